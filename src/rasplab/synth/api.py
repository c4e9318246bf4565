"""`synthesize(examples, method=..., budget=...)`: validate the examples, dispatch to a method.

A method is a function `(inputs, outputs, *, budget, **options) -> SynthResult`. Built-in methods
are named by import path and loaded on first use, so a method whose package is absent costs
nothing; `register_method` adds more (a learned library, a sharded search).
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Iterable, Sequence

from rasplab.errors import ExamplesError, RaspNameError
from rasplab.lang.values import value_key
from rasplab.synth.result import SynthResult

Method = Callable[..., SynthResult]

#: method name -> a callable, or "module:function" loaded when first used
METHODS: dict[str, Method | str] = {
    "bottomup": "rasplab.synth.bottomup.search:search",
    "near": "rasplab.synth.near:synthesize",
    "library": "rasplab.synth.library:synthesize",
}


def register_method(name: str, fn: Method | str) -> None:
    """Make `synthesize(..., method=name)` call `fn` (a callable or "module:function")."""
    METHODS[name] = fn


def _resolve(name: str) -> Method:
    entry = METHODS.get(name)
    if entry is None:
        raise RaspNameError(f"unknown synthesis method {name!r}; methods: {', '.join(METHODS)}")
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        try:
            entry = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise RaspNameError(f"synthesis method {name!r} is not available ({exc})") from None
        METHODS[name] = entry
    return entry


def normalise_examples(examples: Iterable[Any]) -> tuple[list[list[Any]], list[list[Any]]]:
    """(inputs, outputs) from Example objects, (input, output) pairs or {"input", "output"} dicts.

    Raises ExamplesError for an empty set, empty inputs, mismatched lengths, or one input given
    two different outputs, naming the example (1-based).
    """
    inputs: list[list[Any]] = []
    outputs: list[list[Any]] = []
    seen: dict[tuple, tuple[int, tuple]] = {}
    for i, ex in enumerate(examples, start=1):
        if isinstance(ex, dict):
            x, y = ex.get("input"), ex.get("output")
        elif hasattr(ex, "input") and hasattr(ex, "output"):
            x, y = ex.input, ex.output
        else:
            try:
                x, y = ex
            except (TypeError, ValueError):
                raise ExamplesError(f"example {i}: expected an (input, output) pair") from None
        if isinstance(x, str):
            x = list(x)
        if not isinstance(x, Sequence) or not isinstance(y, Sequence) or isinstance(y, str):
            raise ExamplesError(f"example {i}: input and output must be lists")
        x, y = list(x), list(y)
        if not x:
            raise ExamplesError(f"example {i}: empty input (RASP inputs are non-empty)")
        if len(x) != len(y):
            raise ExamplesError(f"example {i}: input has {len(x)} tokens but output has "
                                f"{len(y)} values")
        key = tuple(value_key(t) for t in x)
        out = tuple(value_key(v) for v in y)
        if key in seen and seen[key][1] != out:
            raise ExamplesError(f"example {i}: input {x!r} was given a different output in "
                                f"example {seen[key][0]}")
        seen.setdefault(key, (i, out))
        inputs.append(x)
        outputs.append(y)
    if not inputs:
        raise ExamplesError("no examples to synthesise from")
    return inputs, outputs


def synthesize(examples: Iterable[Any], method: str = "bottomup", budget: float = 60.0,
               **options: Any) -> SynthResult:
    """Search for a RASP program reproducing `examples` within `budget` seconds.

    Options are passed to the method; `bottomup` takes `weights` (a Grammar, a dict of production
    costs or a JSON path), `selector_priors` (Select node -> cost discount), `seed`, `progress`.
    When no program fits every example, the result holds the most accurate one found.
    """
    inputs, outputs = normalise_examples(examples)
    return _resolve(method)(inputs, outputs, budget=budget, **options)
