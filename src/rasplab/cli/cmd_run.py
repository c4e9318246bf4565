"""`rasplab run PROGRAM INPUT...`: run a `.rasp` file, a library or task program, or a model file.

PROGRAM is resolved by `rasplab.cli.names`: a `.safetensors` model file (its metadata's
`rasplab_kind` says trained or compiled), `file.rasp` or `file.rasp:name`, a library name (it
runs on any tokens: only a model has a vocabulary), a task name.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from rasplab.cli.common import json_lines, parse_input
from rasplab.cli.names import resolve as resolve_name
from rasplab.errors import ExamplesError, ModelFileError


@dataclass
class Runner:
    """Something that maps inputs to outputs, with an optional per-input check."""

    label: str
    run: Callable[[list[list[Any]]], list[Any]]
    check: Callable[[list[Any]], None] = lambda x: None


class _IntermixedParser(argparse.ArgumentParser):
    """Lets options follow the inputs (`run prog a b --json`) and precede them (`--json a b`)."""

    _inside = False

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if self._inside:  # parse_known_intermixed_args calls back into this method
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a program or model on inputs",
                       description="Run PROGRAM (a .rasp file, file.rasp:name, a library or task "
                                   "name, or a .safetensors model) on each input.")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="a string (split into characters) or a JSON list of tokens")
    p.add_argument("--examples", metavar="FILE",
                   help="run on the inputs of a JSONL file: examples (outputs optional) or "
                        "one JSON list of tokens a line")
    p.add_argument("--json", action="store_true", help="one JSON array per input, one a line")
    p.set_defaults(handler=run)
    p.__class__ = _IntermixedParser


def _model_runner(path: Path) -> Runner:
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        from safetensors import safe_open
        with safe_open(str(path), framework="numpy") as f:
            meta = dict(f.metadata() or {})
    except Exception as exc:  # a truncated or foreign file
        raise ModelFileError(f"{path}: not a readable safetensors model file ({exc})") from None
    kind = meta.get("rasplab_kind")
    if kind == "trained":
        try:
            from rasplab.models import load_model  # type: ignore[attr-defined]
        except ImportError:
            from rasplab.models.checkpoint import load_model
        model = load_model(path)
    elif kind == "compiled":
        from rasplab.compiler import load_compiled  # type: ignore[attr-defined]
        model = load_compiled(path)
    else:
        raise ModelFileError(f"{path}: not a rasplab model file (rasplab_kind={kind!r}; "
                             "expected 'trained' or 'compiled')")
    vocab = getattr(model, "vocab", None)

    def check(x: list[Any]) -> None:
        if vocab is None:
            return
        allowed = set(vocab)
        for i, t in enumerate(x):
            if t not in allowed:
                raise ExamplesError(f"token {t!r} at position {i} is not in the model's "
                                    f"vocabulary ({' '.join(map(str, vocab))})")
    return Runner(f"{kind} model {path.name}", model.predict, check)


def _program_runner(program: Any, label: str, task: Any = None) -> Runner:
    from rasplab.lang import evaluate

    def check(x: list[Any]) -> None:
        if task is not None:
            task.check_input(x, check_length=False)
    return Runner(label, lambda xs: evaluate(program, xs), check)


def resolve(spec: str) -> Runner:
    """The runner for a PROGRAM argument (`rasplab.cli.names` decides what it names)."""
    target = resolve_name(spec)
    if target.kind == "model":
        return _model_runner(target.path)
    # a library name that is also a task runs the program on any tokens: only a task checks
    return _program_runner(target.program, target.label,
                           target.task if target.kind == "task" else None)


def _read_inputs(args: argparse.Namespace) -> list[list[Any]]:
    if args.examples and args.inputs:
        raise ExamplesError("give inputs on the command line or --examples, not both")
    if args.examples:
        from rasplab.tasks import load_inputs
        inputs = load_inputs(args.examples)
        if not inputs:
            raise ExamplesError(f"{args.examples}: no examples (the file holds no input)")
        return inputs
    if not args.inputs:
        raise ExamplesError("no inputs: give INPUT... or --examples FILE")
    inputs = [parse_input(a) for a in args.inputs]
    for a, x in zip(args.inputs, inputs):
        if not x:
            raise ExamplesError(f"input {a!r} is empty; RASP inputs are non-empty")
    return inputs


def _show_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def show_input(x: Sequence[Any]) -> str:
    """An input as typed: characters joined when every token is one character, else JSON."""
    if all(isinstance(t, str) and len(t) == 1 and not t.isspace() for t in x):
        return "".join(x)
    return json.dumps(list(x))


def show_output(y: Any) -> str:
    """Outputs separated by spaces; a selector matrix as rows of 0/1."""
    if hasattr(y, "ndim") and getattr(y, "ndim", 0) == 2:
        return "\n".join("  " + " ".join(str(int(v)) for v in row) for row in y)
    return " ".join(_show_value(v) for v in y)


def run(args: argparse.Namespace) -> int:
    from rasplab.tasks.examples import paused_gc

    # up to millions of tokens in lists, which form no cycles: the cyclic collector would only
    # walk them again and again (a fifth of a large run's time)
    with paused_gc():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    runner = resolve(args.program)
    inputs = _read_inputs(args)
    for x in inputs:
        runner.check(x)
    outputs = runner.run(inputs)
    if args.json:  # all lines in one write: thousands of outputs cost one encoder pass
        sys.stdout.write(json_lines(outputs))
        return 0
    for x, y in zip(inputs, outputs):
        if hasattr(y, "ndim"):
            sys.stdout.write(f"{show_input(x)} ->\n{show_output(y)}\n")
        else:
            sys.stdout.write(f"{show_input(x)} -> {show_output(y)}\n")
    return 0
