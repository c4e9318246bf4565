"""`Examples`: input/output examples checked once, the one shape every synthesis method takes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from rasplab.errors import ExamplesError
from rasplab.lang.values import value_key


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
