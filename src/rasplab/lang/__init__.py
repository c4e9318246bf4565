"""The RASP language: program nodes, the batched evaluator, `.rasp` syntax, printers, library."""
from rasplab.lang.ast import (
                              CATEGORICAL,
                              NUMERICAL,
                              Aggregate,
                              AggregateBest,
                              Causal,
                              Comparison,
                              Encoding,
                              Full,
                              Map,
                              Node,
                              Select,
                              Selector,
                              SelectorAnd,
                              SelectorNot,
                              SelectorOr,
                              SelectorWidth,
                              SequenceMap,
                              SOp,
                              aggregate,
                              aggregate_max,
                              aggregate_min,
                              categorical,
                              causal,
                              indices,
                              is_causal,
                              length,
                              numerical,
                              select,
                              selector_width,
                              size,
                              tokens,
                              walk,
)
from rasplab.lang.evaluator import evaluate, run
from rasplab.lang.functions import EQ, FALSE, GE, GT, LE, LT, NE, TRUE, Const, Fn, Slot
from rasplab.lang.parser import load_program, parse, parse_file
from rasplab.lang.printer import to_python, to_rasp, to_rasp_expr
from rasplab.lang.sexpr import from_sexpr, to_sexpr

__all__ = [
    "CATEGORICAL", "NUMERICAL", "Aggregate", "AggregateBest", "Causal", "Comparison", "Encoding",
    "Full", "Map", "Node", "Select", "Selector", "SelectorAnd", "SelectorNot", "SelectorOr",
    "SelectorWidth", "SequenceMap", "SOp", "aggregate", "aggregate_max", "aggregate_min",
    "categorical", "causal", "is_causal", "indices", "length", "numerical", "select",
    "selector_width", "size", "tokens", "walk", "evaluate", "run", "EQ", "FALSE", "GE", "GT", "LE",
    "LT", "NE", "TRUE", "Const", "Fn", "Slot", "parse", "parse_file", "load_program", "to_rasp",
    "to_rasp_expr", "to_python", "to_sexpr", "from_sexpr",
]
