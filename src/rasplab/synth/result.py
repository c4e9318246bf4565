"""The result every synthesis method returns: the program, its source forms and how well it fits.

One plain dataclass shared by `bottomup`, `near` and `library`, so that callers (the CLI, the
distillation pipeline, benchmarks) read the same fields whatever method ran.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rasplab.lang.ast import Node
from rasplab.lang.printer import to_rasp
from rasplab.lang.sexpr import to_sexpr


@dataclass
class SynthResult:
    """A synthesised program and its scores; `solved` means it agrees with every example."""

    program: Node | None
    source: str
    sexpr: str
    solved: bool
    accuracy: float
    seconds: float
    candidates: int
    method: str = "bottomup"
    cost: float | None = None
    interrupted: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    #: the program as the search built it, before its tables were made total (library
    #: learning compresses this form: the guards for unseen keys are not the task's structure)
    searched: Node | None = field(default=None, repr=False)

    @property
    def candidates_per_second(self) -> float:
        return self.candidates / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The `rasplab synth --json` document (`program` is the `.rasp` source)."""
        doc = asdict(self)
        doc.pop("program")
        doc.pop("source")
        doc.pop("searched")
        return {"program": self.source, **doc}


def sexpr_or_empty(program: Node) -> str:
    """The program as an s-expression, or `""` where it has none (an opaque Python function):
    the s-expression is optional output and must not lose the result."""
    try:
        return to_sexpr(program)
    except Exception:
        return ""


def source_forms(program: Node | None) -> tuple[str, str]:
    """The program's `.rasp` source and s-expression (`""`, `""` for no program)."""
    if program is None:
        return "", ""
    return to_rasp(program), sexpr_or_empty(program)
