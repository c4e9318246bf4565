"""The same `.rasp` expression over an atom (computed eagerly) and over an s-op (built as nodes)
must agree at every position: checks operand order, constants and every operator's node form."""
from hypothesis import given, settings
from hypothesis import strategies as st

from rasplab.errors import RaspLabError
from rasplab.lang import evaluate
from rasplab.lang.parser import parse

BINARY = ["+", "-", "*", "%", "^", "==", "<", ">", "<=", ">=", "and", "or"]


@st.composite
def expressions(draw, depth=3):
    """Random source text over the variable `x` and small integer literals."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(["x", "x", "0", "1", "2", "3", "True"]))
    kind = draw(st.sampled_from(["bin", "bin", "bin", "unary", "call", "ifelse", "in"]))
    sub = expressions(depth - 1)
    if kind == "bin":
        a, b = draw(sub), draw(sub)
        return f"({a} {draw(st.sampled_from(BINARY))} {b})"
    if kind == "unary":
        return f"({draw(st.sampled_from(['-', 'not ', '+']))}{draw(sub)})"
    if kind == "call":
        return f"{draw(st.sampled_from(['indicator', 'round']))}({draw(sub)})"
    if kind == "ifelse":
        return f"({draw(sub)} if {draw(sub)} else {draw(sub)})"
    items = draw(st.lists(st.integers(0, 4), max_size=3))
    return f"({draw(sub)} in {items})"


def _value(source: str, x: str):
    try:
        program = parse(f"x = {x}; y = {source};", prelude=False)
        y = program["y"]
        if x == "indices":
            return ("ok", evaluate(y, ["abcde"])[0][3]) if hasattr(y, "encoding") else ("ok", y)
        return "ok", y
    except (RaspLabError, OverflowError):
        return "error", None


@given(expressions())
@settings(max_examples=300, deadline=None)
def test_sop_expression_agrees_with_atom_expression_at_each_position(source):
    atom = _value(source, "3")
    sop = _value(source, "indices")
    if sop[0] == "ok":  # (the s-op form may also fail on other positions' values)
        assert atom[0] == "ok", source
        assert sop[1] == atom[1] and type(sop[1]) is type(atom[1]), source
