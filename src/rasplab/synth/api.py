"""`synthesize(examples, method=..., budget=...)`: check the examples once, run a method.

A method is a function `(inputs, outputs, *, budget, seed, ...) -> SynthResult` taking the
keywords of `synthesize` that it supports; `register_method` adds more (a sharded search, a
method of one's own).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from rasplab.errors import RaspNameError
from rasplab.synth.bottomup.search import search as bottomup
from rasplab.synth.example_set import Examples
from rasplab.synth.library import Library
from rasplab.synth.library import synthesize as with_library
from rasplab.synth.result import SynthResult

Method = Callable[..., SynthResult]


def near(inputs: list[list[Any]], outputs: list[list[Any]], **keywords: Any) -> SynthResult:
    """NEAR (`rasplab.synth.near.synthesize`), imported when first run: it loads torch, which
    takes seconds that the other methods never spend."""
    from rasplab.synth.near import synthesize as near_synthesize

    return near_synthesize(inputs, outputs, **keywords)


#: method name -> the function that runs it
METHODS: dict[str, Method] = {"bottomup": bottomup, "near": near, "library": with_library}


def register_method(name: str, fn: Method) -> None:
    """Make `synthesize(..., method=name)` call `fn`."""
    METHODS[name] = fn


def synthesize(examples: Examples | Iterable[Any], method: str = "bottomup",
               budget: float = 60.0, *, grammar: Any = None,
               library: Library | str | None = None, selector_priors: dict | None = None,
               seed: int = 0, progress: bool | None = None, causal: bool = False,
               shard: tuple[int, int] | None = None) -> SynthResult:
    """Search for a RASP program reproducing `examples` within `budget` seconds.

    `grammar` is the method's grammar: for `bottomup` and `library` a Grammar, a dict of
    production costs, a JSON path or "uniform"; for `near` "plain", "macro" or a NEAR Grammar.
    `library` (a learned Library or its file) is for method `library`; `selector_priors`
    (Select node -> cost discount), `causal` (search causal programs) and `shard` (one member
    of a parallel portfolio) for `bottomup` and `library`. A keyword left at its default is
    not passed, so a method need only take the ones it supports. When no program fits every
    example, the result holds the most accurate one found.
    """
    data = Examples.of(examples)
    fn = METHODS.get(method)
    if fn is None:
        raise RaspNameError(f"unknown synthesis method {method!r}; methods: {', '.join(METHODS)}")
    given = {"grammar": grammar, "library": library, "selector_priors": selector_priors,
             "progress": progress, "causal": causal or None, "shard": shard}
    return fn(data.inputs, data.outputs, budget=budget, seed=seed,
              **{k: v for k, v in given.items() if v is not None})
