"""What `distill` returns: the program found and the evidence for it (its own module, so that
the report reads it without importing the pipeline)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasplab.distill.oracle import Patterns
from rasplab.distill.verify import Verification
from rasplab.lang import Node


@dataclass
class DistillResult:
    """What `distill` found and the evidence for it."""

    program: Node
    source: str
    sexpr: str
    agreement: float
    verification: Verification
    solved_queries: bool
    seconds: float
    n_queries: int
    rounds: int
    candidates: int
    task: str | None
    model_description: str
    head_matches: list[dict[str, Any]] = field(default_factory=list)
    head_priors: list[dict[str, Any]] = field(default_factory=list)
    example_patterns: Patterns | None = None
    report: str | None = None
    #: Ctrl-C stopped the search: the program is the best found so far
    interrupted: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "program": self.source, "sexpr": self.sexpr, "agreement": self.agreement,
            "seconds": self.seconds, "task": self.task, "model": self.model_description,
            "queries": self.n_queries, "rounds": self.rounds, "candidates": self.candidates,
            "solved_queries": self.solved_queries,
            "verification": self.verification.to_json(),
            "heads": [{k: v for k, v in m.items() if k != "node"} for m in self.head_matches],
            "head_priors": self.head_priors, "report": self.report,
            "interrupted": self.interrupted,
        }
