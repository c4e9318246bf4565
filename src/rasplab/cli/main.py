"""Entry point of `rasplab COMMAND`: builds the parser from the command modules, runs one
command, and turns its errors into one line on stderr.

Each command lives in its own module `rasplab.cli.cmd_<name>` exposing `register(subparsers)`,
which adds its sub-parser and sets `handler=` (a function of the parsed args returning an exit
status).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from rasplab.errors import RaspLabError

#: the commands in the order `rasplab --help` lists them; module `rasplab.cli.cmd_<name>` each
COMMANDS = ["run", "tasks", "data", "compile", "train", "synth", "distill", "library"]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with `only` of that command alone (the other command
    modules, and what they import, are then not loaded)."""
    parser = argparse.ArgumentParser(
        prog="rasplab", description="Turn transformers into RASP programs you can read.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in [only] if only in COMMANDS else COMMANDS:
        importlib.import_module(f"rasplab.cli.cmd_{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=argv[0] if argv else None)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except RaspLabError as exc:
        print(f"rasplab {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"rasplab {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `rasplab run ... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
