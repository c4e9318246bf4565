"""Entry point of `rasplab COMMAND`: builds the parser from the command modules, runs one
command, and turns its errors into one line on stderr.

Each command lives in its own module `rasplab.cli.cmd_<name>` exposing `register(subparsers)`,
which adds its sub-parser and sets `handler=` (a function of the parsed args returning an exit
status).
"""
from __future__ import annotations

import argparse
import sys

from rasplab.cli import (
    cmd_compile,
    cmd_data,
    cmd_distill,
    cmd_library,
    cmd_run,
    cmd_synth,
    cmd_tasks,
    cmd_train,
)
from rasplab.errors import RaspLabError

#: the commands in the order `rasplab --help` lists them
COMMANDS = [cmd_run, cmd_tasks, cmd_data, cmd_compile, cmd_train, cmd_synth, cmd_distill,
            cmd_library]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rasplab", description="Turn transformers into RASP programs you can read.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
