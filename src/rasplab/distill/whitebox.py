"""The white box of a user's sequence model: its heads' attention on a probe of the queries,
read as selector priors for the search and, once a program is found, as the head behind each of
its selectors (`rasplab distill` on Hugging Face and TransformerLens models).

Trained heads are soft and often park attention on BOS, so they are read with
`guidance.relative_priors` (against attending everywhere or nowhere, relative to the model's most
telling head) rather than the absolute threshold that suits rasplab's own sharp heads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasplab.distill.guidance import match_program_heads, relative_priors
from rasplab.distill.oracle import Patterns
from rasplab.distill.sequence_oracle import SequenceOracle
from rasplab.errors import RaspLabError
from rasplab.lang import Node
from rasplab.lang.printer import to_rasp_expr

#: queried sequences whose attention is read (the prompts come first among the queries)
PROBE = 48


@dataclass
class WhiteBox:
    """What the heads said: priors for the search, and the per-head table for the report."""

    probe: list[list[Any]] = field(default_factory=list)
    patterns: Patterns | None = None
    causal: bool = False
    skip_first: bool = False
    priors: dict = field(default_factory=dict)
    table: list[dict[str, Any]] = field(default_factory=list)

    def pair(self, program: Node) -> list[dict[str, Any]]:
        """Each selector of `program` with the head that shows it best (gain over the head's
        uninformative readings: 0 means no head shows it)."""
        if not self.patterns:
            return []
        try:
            found = match_program_heads(self.patterns, program, self.probe, causal=self.causal,
                                        skip_first=self.skip_first)
        except RaspLabError:
            return []
        return [{"selector": to_rasp_expr(m.selector), "head": m.head,
                 "similarity": round(m.similarity or 0.0, 4), "gain": round(m.score, 4)}
                for m in found]


def read_white_box(oracle: SequenceOracle, xs: list[list[Any]], *, skip_first: bool = False
                   ) -> WhiteBox:
    """Attention on the first `PROBE` queries, read as selector priors. `skip_first`: every
    query starts with the same special token (a `<bos>` inside the prompts), read like BOS."""
    probe = [list(x) for x in xs[:PROBE] if len(x) > (1 if skip_first else 0)]
    box = WhiteBox(probe=probe, causal=bool(oracle.causal), skip_first=skip_first)
    if not probe:
        return box
    try:
        box.patterns = oracle.attention(probe)
    except (RuntimeError, ValueError, TypeError, AttributeError):
        # an architecture whose attention cannot be read is distilled as a black box
        box.patterns = None
    if not box.patterns:
        return box
    box.priors, best = relative_priors(box.patterns, probe, causal=box.causal,
                                       skip_first=skip_first)
    box.table = [{"head": m.head, "selector": to_rasp_expr(m.selector), "gain": round(m.score, 4),
                  "prior": round(box.priors[m.selector], 3) if m.counted else None}
                 for m in best]
    return box
