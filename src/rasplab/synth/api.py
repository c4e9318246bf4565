"""`synthesize(examples, method=..., budget=...)`: check the examples once, run a method.

A method is a function `(inputs, outputs, *, budget, seed, ...) -> SynthResult` taking the
keywords of `synthesize` that it supports; `register_method` adds more (a sharded search, a
method of one's own).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from rasplab.errors import ExamplesError, RaspNameError
from rasplab.lang.values import value_key
from rasplab.synth.bottomup.search import search as bottomup
from rasplab.synth.library import Library
from rasplab.synth.library import synthesize as with_library
from rasplab.synth.result import SynthResult

Method = Callable[..., SynthResult]


@dataclass(frozen=True)
class Examples:
    """Input/output examples, checked once: non-empty inputs (a string is its characters),
    outputs of the same length, and no input given two different outputs."""

    inputs: list[list[Any]]
    outputs: list[list[Any]]

    def __len__(self) -> int:
        return len(self.inputs)

    @classmethod
    def of(cls, examples: "Examples | Iterable[Any]") -> "Examples":
        """Examples from Example objects, (input, output) pairs or {"input", "output"} dicts
        (an Examples passes through unchecked: it was checked when made).

        Raises ExamplesError for an empty set, empty inputs, mismatched lengths, or one input
        given two different outputs, naming the example (1-based).
        """
        if isinstance(examples, Examples):
            return examples
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
        return cls(inputs, outputs)


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
