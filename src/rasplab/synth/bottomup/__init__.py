"""Bottom-up synthesis: cost-ordered enumeration over RASP with observational-equivalence pruning.

Modules: `values` (the fast value representation), `grammar` (productions and costs as data),
`bank` (distinct values), `enumerate` (level-by-level growth), `goal` (working back from the
output), `naming` (total tables, readable step names), `search` (the method end to end).
"""
from rasplab.synth.bottomup.grammar import Abstraction, Grammar
from rasplab.synth.bottomup.search import search

__all__ = ["Abstraction", "Grammar", "search"]
