"""The RASP language: program nodes, the batched evaluator, `.rasp` syntax, printers, library."""
import importlib
from typing import Any

from rasplab.errors import set_node_renderer
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

#: names imported on first use: the parser brings in lark and the printers are not needed to
#: run a program, so `rasplab run` on a library program starts without them
_LAZY = {"load_program": "parser", "parse": "parser", "parse_file": "parser",
         "to_python": "printer", "to_rasp": "printer", "to_rasp_expr": "printer",
         "from_sexpr": "sexpr", "to_sexpr": "sexpr"}


def _render(node: object) -> str:
    """Errors describe unnamed nodes in RASP: the printer is imported when one is described."""
    from rasplab.lang.printer import to_rasp_expr  # installs itself as the renderer

    return to_rasp_expr(node)


set_node_renderer(_render)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"rasplab.lang.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rasplab.lang' has no attribute {name!r}")


__all__ = [
    "CATEGORICAL", "NUMERICAL", "Aggregate", "AggregateBest", "Causal", "Comparison", "Encoding",
    "Full", "Map", "Node", "Select", "Selector", "SelectorAnd", "SelectorNot", "SelectorOr",
    "SelectorWidth", "SequenceMap", "SOp", "aggregate", "aggregate_max", "aggregate_min",
    "categorical", "causal", "is_causal", "indices", "length", "numerical", "select",
    "selector_width", "size", "tokens", "walk", "evaluate", "run", "EQ", "FALSE", "GE", "GT", "LE",
    "LT", "NE", "TRUE", "Const", "Fn", "Slot", "parse", "parse_file", "load_program", "to_rasp",
    "to_rasp_expr", "to_python", "to_sexpr", "from_sexpr",
]
