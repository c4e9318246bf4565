"""The `.rasp` front end: precedence, meta-language, loads and errors, checked by evaluation."""
import pytest

from rasplab.errors import RaspNameError, RaspSyntaxError
from rasplab.lang import (
    EQ,
    LT,
    Aggregate,
    Full,
    Map,
    Select,
    SequenceMap,
    evaluate,
    indices,
    tokens,
)
from rasplab.lang.functions import SLOT0, Const, Fn, Slot, binary
from rasplab.lang.parser import load_program, parse, parse_file


def env(source: str, **kw):
    return parse(source, prelude=False, **kw).env


def run(source: str, name: str, inputs):
    return evaluate(env(source)[name], inputs)


# --- precedence (RASP-NOTES) ---------------------------------------------------------------
def test_atom_precedence():
    e = env("a = 2^3^2; b = 7 % 3 * 2; c = 1 + 2 * 3; d = -2^2; f = 10 - 2 - 3; g = 1 + 1 == 2;"
            "h = 2 * 3 % 4; i = 3 if 1 > 2 else 4 + 1; j = 1 + 1 in [2, 3];")
    assert (e["a"], e["b"], e["c"], e["d"], e["f"], e["g"]) == (64, 1, 7, 4, 5, True)
    assert (e["h"], e["i"], e["j"]) == (2, 5, True)


def test_not_binds_tighter_than_comparison():
    # (not tokens) == "a" is False everywhere, unlike not (tokens == "a")
    assert run('x = not tokens == "a";', "x", ["ab"]) == [[False, False]]
    assert run('x = not (tokens == "a");', "x", ["ab"]) == [[False, True]]


def test_in_is_loosest():
    out = run('pairs = [2, 4]; x = indices + indices in pairs;', "x", ["abc"])
    assert out == [[False, True, True]]


def test_and_or_one_level_left_to_right():
    e = env("a = True or False and False; b = False and True or True;")
    assert e["a"] is False and e["b"] is True  # (True or False) and False


def test_ternary_left_associative_and_elementwise():
    assert env("x = 1 if False else 2 if True else 3;")["x"] == 2
    out = run('x = indices if tokens == "a" else -1;', "x", ["abca"])
    assert out == [[0, -1, -1, 3]]
    prog = env('x = indices if tokens == "a" else -1;')["x"]
    assert prog == SequenceMap(Fn("ifelse", (SLOT0, Slot(1), Const(-1))), indices,
                               Map(Fn("eq", (SLOT0, Const("a"))), tokens, encoding=None),
                               encoding=None)


# --- node shapes -------------------------------------------------------------------------------
def test_nodes_are_unannotated_and_named():
    e = env("s = select(indices, 0, ==); y = aggregate(s, tokens); z = tokens + indices;"
            "w = 1 - indices;")
    assert e["s"] == Select(indices, Full(0, encoding=None), EQ) and e["s"].name == "s"
    assert e["y"] == Aggregate(e["s"], tokens, 0, encoding=None)
    assert e["z"] == SequenceMap(binary("add"), tokens, indices, encoding=None)
    assert e["w"] == Map(Fn("sub", (Const(1), SLOT0)), indices, encoding=None)
    assert e["y"].name == "y" and e["y"].encoding is None


def test_aggregate_default_zero_and_explicit():
    src = "prev = aggregate(select(indices, indices - 1, ==), tokens);" \
          'prev2 = aggregate(select(indices, indices - 1, ==), tokens, "_");'
    e = env(src)
    assert evaluate(e["prev"], ["abc"]) == [[0, "a", "b"]]
    assert evaluate(e["prev2"], ["abc"]) == [["_", "a", "b"]]


def test_atoms_as_keys_and_queries():
    e = env("first = aggregate(select(indices, 0, ==), tokens);"
            "everything = select(1, 1, ==); w = selector_width(everything);")
    assert evaluate(e["first"], ["xyz"]) == [["x", "x", "x"]]
    assert evaluate(e["w"], ["xyz", "ab"]) == [[3, 3, 3], [2, 2]]


def test_selector_logic():
    e = env("a = select(indices, indices, <) and not select(indices, 0, ==);"
            "b = select(indices, indices, ==) or select(indices, 0, ==);"
            "wa = selector_width(a); wb = selector_width(b);")
    assert evaluate(e["wa"], ["abcd"]) == [[0, 0, 1, 2]]
    assert evaluate(e["wb"], ["abcd"]) == [[1, 2, 2, 2]]


def test_numbers_and_mean():
    e = env("frac = aggregate(select(indices, indices, <=), indicator(tokens == \"a\"));"
            "r = round(frac * 10); h = 0.5 * indices;")
    assert evaluate(e["frac"], ["abaa"]) == [[1, 0.5, 2 / 3, 0.75]]
    assert evaluate(e["r"], ["abaa"]) == [[10, 5, 7, 8]]
    assert evaluate(e["h"], ["abc"]) == [[0.0, 0.5, 1.0]]


# --- meta-language -----------------------------------------------------------------------------
def test_comprehensions_range_zip_len():
    e = env("sq = [i * i for i in range(1, 4)]; d = {k: v for k, v in zip([\"a\", \"b\"], sq)};"
            "n = len(sq) + len(d); s = [x + 1 for x in [indices, 2]];")
    assert e["sq"] == [1, 4, 9] and e["d"] == {"a": 1, "b": 4} and e["n"] == 5
    assert evaluate(e["s"][0], ["ab"]) == [[1, 2]] and e["s"][1] == 3


def test_for_loop_unrolls():
    src = "acc = indices; for i in range(3) { acc = acc + i; } for c in [\"x\"] { last = c; }"
    e = env(src)
    assert evaluate(e["acc"], ["ab"]) == [[3, 4]]
    assert e["last"] == "x"


def test_nested_defs_closures_and_multiple_returns():
    src = """
    def adder(n) {
        def add(s) { return s + n; }
        return add;
    }
    add2 = adder(2);
    def both(s) { a = s + 1; b = s * 2; return a, b; }
    x, y = both(indices);
    z = add2(indices);
    p, q = 1, "two";
    """
    e = env(src)
    assert evaluate(e["x"], ["abc"]) == [[1, 2, 3]]
    assert evaluate(e["y"], ["abc"]) == [[0, 2, 4]]
    assert evaluate(e["z"], ["abc"]) == [[2, 3, 4]]
    assert (e["p"], e["q"]) == (1, "two")


def test_closure_sees_defining_scope_not_callers():
    src = "k = 10; def f(s) { return s + k; } def g(s) { k = 100; return f(s); } x = g(indices);"
    assert run(src, "x", ["ab"]) == [[10, 11]]


def test_dict_and_list_indexing():
    e = env('d = {"a": 1, "b": 2}; x = d[tokens]; l = [5, 6, 7]; y = l[indices];'
            'c = d["b"]; m = l[-1];')
    assert evaluate(e["x"], ["abba"]) == [[1, 2, 2, 1]]
    assert evaluate(e["y"], ["xyz"]) == [[5, 6, 7]]
    assert (e["c"], e["m"]) == (2, 7)


def test_sop_constant_index_broadcasts():
    e = env("first = tokens[0]; last = tokens[-1]; second = indices[1];")
    assert evaluate(e["first"], ["abc", "xy"]) == [["a"] * 3, ["x"] * 2]
    assert evaluate(e["last"], ["abc", "xy"]) == [["c"] * 3, ["y"] * 2]
    assert evaluate(e["second"], ["abc"]) == [[1, 1, 1]]


def test_atom_in_sop_and_sop_in_list():
    e = env('has = "a" in tokens; m = tokens in ["a", "c"]; k = tokens in {"b": 1};')
    assert evaluate(e["has"], ["bab", "bcd"]) == [[True] * 3, [False] * 3]
    assert evaluate(e["m"], ["abc"]) == [[True, False, True]]
    assert evaluate(e["k"], ["abc"]) == [[False, True, False]]


def test_string_concatenation():
    e = env('x = tokens + "!"; y = "<" + tokens; s = "ab" + "c";')
    assert evaluate(e["x"], ["ab"]) == [["a!", "b!"]]
    assert evaluate(e["y"], ["ab"]) == [["<a", "<b"]]
    assert e["s"] == "abc"


def test_typed_tokens():
    e = env("i = tokens_int * 2; f = tokens_float / 2; s = tokens_str; a = tokens_asis;")
    assert evaluate(e["i"], ["123", [4, 5]]) == [[2, 4, 6], [8, 10]]
    assert evaluate(e["f"], ["12"]) == [[0.5, 1.0]]
    assert e["s"] == tokens and e["a"] == tokens


def test_calling_an_sop_evaluates_it():
    e = env("flip = select(indices, length - indices - 1, ==); rev = aggregate(flip, tokens);"
            'out = rev("hello"); nums = rev([1, 2, 3]);')
    assert e["out"] == list("olleh") and e["nums"] == [3, 2, 1]


def test_draw_comments_and_annotations_extensions():
    src = """# a comment
    x = numerical(aggregate(select(indices, indices, <), 1, 0));  # trailing comment
    draw(x, "abc");
    draw(x);
    y = categorical(tokens); f = 1.5e1; z = unannotated(indices);
    g = fn("max", slot(0), 3)(indices); p = select(indices, indices, TRUE);
    """
    e = env(src)
    assert e["x"].encoding.value == "numerical" and e["y"].encoding.value == "categorical"
    assert e["z"].encoding is None and e["f"] == 15.0
    assert evaluate(e["g"], ["abcde"]) == [[3, 3, 3, 3, 4]]
    assert e["p"].predicate.op == "true"


def test_program_result_fields():
    prog = parse("a = tokens; s = select(a, a, ==); b = 3; c = indices + 1; t = select(1,1,==);",
                 prelude=False)
    assert prog.names == ["a", "s", "b", "c", "t"]
    assert prog.last.name == "c" and prog.last_node.name == "t"
    assert prog["b"] == 3 and prog["indices"] == indices


# --- files -------------------------------------------------------------------------------------
def test_load_relative_to_file_and_private_names(tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "helpers.rasp").write_text("_offset = 1; def shifted(s) { return s + _offset; }\n"
                                      "flipped = aggregate(select(indices, length - indices - 1,"
                                      " ==), tokens);\n")
    (lib / "main.rasp").write_text('load "helpers";\nx = shifted(indices);\ny = flipped;\n')
    monkeypatch.chdir(tmp_path)  # the cwd is not the file's folder
    prog = parse_file(lib / "main.rasp", prelude=False)
    assert evaluate(prog["x"], ["abc"]) == [[1, 2, 3]]
    assert "_offset" not in prog.env and "shifted" in prog.env
    assert evaluate(load_program(lib / "main.rasp", prelude=False), ["abc"]) == [list("cba")]
    assert evaluate(load_program(str(lib / "main.rasp"), "x", prelude=False), ["a"]) == [[1]]


def test_file_may_redefine_library_names(tmp_path):
    prelude = tmp_path / "prelude.rasp"
    prelude.write_text("def double(s) { return s * 2; } full_s = select(1, 1, ==);")
    prog = parse("def double(s) { return s * 3; } x = double(indices);"
                 "w = selector_width(full_s);", prelude=prelude)
    assert evaluate(prog["x"], ["ab"]) == [[0, 3]]
    assert evaluate(prog["w"], ["ab"]) == [[2, 2]]


def test_load_cycle_and_missing(tmp_path):
    (tmp_path / "a.rasp").write_text('load "b";\nx = 1;')
    (tmp_path / "b.rasp").write_text('load "a";\ny = 1;')
    with pytest.raises(RaspSyntaxError, match="b.rasp:1:6: load cycle"):
        parse_file(tmp_path / "a.rasp", prelude=False)
    with pytest.raises(RaspNameError, match=r"<source>:2:6: cannot load 'missing'"):
        parse('x = 1;\nload "missing";', prelude=False)


# --- errors ------------------------------------------------------------------------------------
def test_syntax_error_location_in_file(tmp_path):
    bad = tmp_path / "bad.rasp"
    bad.write_text("x = tokens;\ny = (x + 1;\n")
    with pytest.raises(RaspSyntaxError) as info:
        parse_file(bad, prelude=False)
    err = info.value
    assert (err.file, err.line, err.column) == (str(bad), 2, 11)
    assert str(err).startswith(f"{bad}:2:11: unexpected ';'")


@pytest.mark.parametrize("source, error, pattern", [
    ("x = 1;\ny = nope + 1;", RaspNameError, r"<source>:2:5: unknown name 'nope'"),
    ("x = aggregate(tokens, tokens);", RaspSyntaxError, r"1:5: aggregate needs a selector"),
    ("x = aggregate(select(1,1,==), tokens, indices);", RaspSyntaxError, "default must be an atom"),
    ("def f(a) { return a; }\nx = f(1, 2);", RaspSyntaxError, r"2:5: f takes 1 arguments, got 2"),
    ("x = select(tokens, tokens, ==) + 1;", RaspSyntaxError, "s-ops or atoms, got a selector"),
    ("x = \"abc;", RaspSyntaxError, "1:5: unterminated string"),
    ("x, y = 1, 2, 3;", RaspSyntaxError, "cannot assign 3 values to 2 names"),
    ("x = tokens[indices];", RaspSyntaxError, "constant integer position"),
    ('x = {"a": tokens}[tokens];', RaspSyntaxError, "dict indexed by an s-op must hold atoms"),
    ("x = 1 / 0;", RaspSyntaxError, "ZeroDivisionError"),
    ("x = select(indices, indices, 3);", RaspSyntaxError, "comparison such as =="),
    ("x = tokens\ny = 2;", RaspSyntaxError, r"2:1: unexpected 'y'"),
    ("def f(a) { x = a; }", RaspSyntaxError, "unexpected '}'"),
])
def test_errors_name_problem_and_place(source, error, pattern):
    with pytest.raises(error, match=pattern):
        parse(source, prelude=False)


def test_error_inside_function_points_into_body():
    with pytest.raises(RaspNameError, match=r"<source>:2:19: unknown name 'zz'"):
        parse("x = 1;\ndef f(a) { return zz; }\ny = f(1);", prelude=False)


def test_runtime_error_on_call_is_a_rasplab_error():
    from rasplab.errors import RaspRuntimeError
    with pytest.raises(RaspRuntimeError):
        parse('x = aggregate(select(indices, indices, <=), tokens); y = x("ab");', prelude=False)


def test_select_uses_key_pred_query_convention():
    # query q selects key k when key_k < query_q
    sel = env("s = select(indices, indices, <);")["s"]
    assert sel == Select(indices, indices, LT)
    mat = evaluate(sel, ["abc"])[0]
    assert mat.tolist() == [[False, False, False], [True, False, False], [True, True, False]]


def test_standard_library_prelude_and_load_from_library():
    # the default prelude (stdlib/rasplib.rasp) provides the original library's functions
    prog = parse('c = count(tokens, "a"); f = has_focus(select(tokens, "b", ==));')
    assert evaluate(prog["c"], ["abca"]) == [[2, 2, 2, 2]]
    assert evaluate(prog["f"], ["ab", "aa"]) == [[True, True], [False, False]]
    # `load` falls back to the library folder
    rev = parse('load "reverse"; y = reverse;', prelude=False)["y"]
    assert evaluate(rev, ["abc"]) == [list("cba")]


def test_names_keep_first_assignment_order_and_last_tracks_latest():
    prog = parse("a = indices; b = tokens; a = indices + 1; n = 3;", prelude=False)
    assert prog.names == ["a", "b", "n"]
    assert evaluate(prog.last, ["xy"]) == [[1, 2]] and prog.last.name == "a"
