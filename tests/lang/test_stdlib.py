"""The `.rasp` standard library: every program against its plain-Python reference, the prelude."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasplab.errors import RaspNameError
from rasplab.lang.evaluator import evaluate
from rasplab.lang.library import get_program, library_names, library_path, library_source
from rasplab.lang.parser import load_program
from rasplab.tasks.references import REFERENCES

LETTERS = "abcdehlo"
#: the alphabet each program is tested on (default: LETTERS, and small integers where marked)
ALPHABETS = {
    "dyck1": "()", "dyck2": "(){}", "shuffle_dyck1": "()", "shuffle_dyck2": "(){}",
    "shuffle_dyck3": "(){}[]", "frac_prevs": "abx", "pair_balance": "()ab",
    "detect_pattern": "abc", "count": "abc", "count_less_freq": "abcd",
}
#: programs whose meaning does not depend on the token type: also tested on integer tokens
TYPE_GENERIC = {"reverse", "hist", "double_hist", "sort", "most_freq", "length", "shift_by",
                "count_less_freq", "sort_unique", "sort_freq"}


def test_library_lists_exactly_the_reference_programs():
    assert library_names() == sorted(REFERENCES)


@st.composite
def bracket_words(draw, pairs: str, shuffle: bool) -> list[str]:
    """Words that stay well-formed (Dyck, or per-type balanced when `shuffle`) until a rare slip.

    Uniform words over brackets break at once; these reach balanced and deep prefixes.
    """
    n = draw(st.integers(1, 12))
    openers, closers = pairs[0::2], pairs[1::2]
    stack: list[int] = []
    word = []
    for _ in range(n):
        move = draw(st.integers(0, 9))
        if move == 0:  # a slip: any bracket at all
            t = draw(st.sampled_from(pairs))
        elif stack and move >= 5:
            kind = stack.pop(draw(st.integers(0, len(stack) - 1)) if shuffle else -1)
            t = closers[kind]
        else:
            kind = draw(st.integers(0, len(openers) - 1))
            stack.append(kind)
            t = openers[kind]
        word.append(t)
    return word


@st.composite
def batches(draw, name: str) -> list[list]:
    """A batch of inputs of length 1..12 suited to program `name`."""
    if "dyck" in name and draw(st.booleans()):
        pairs = ALPHABETS[name]
        return draw(st.lists(bracket_words(pairs, name.startswith("shuffle")), min_size=1,
                             max_size=16))
    if name in TYPE_GENERIC and draw(st.booleans()):
        alphabet: list = list(range(-3, 5))
    else:
        alphabet = list(ALPHABETS.get(name, LETTERS))
    token = st.sampled_from(alphabet)
    if name == "sort_unique":
        row = st.lists(token, min_size=1, max_size=min(12, len(alphabet)), unique=True)
    else:
        row = st.lists(token, min_size=1, max_size=12)
    rows = draw(st.lists(row, min_size=1, max_size=16))
    return [["<s>"] + r for r in rows] if name == "hist_bos" else rows


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_program_matches_reference_on_random_inputs(name):
    program = get_program(name)

    @settings(max_examples=25, deadline=None, database=None)
    @given(batches(name))
    def check(xs):
        assert evaluate(program, xs) == [REFERENCES[name](x) for x in xs]

    check()


def test_dyck_matches_reference_on_near_balanced_words():
    """Random words over brackets are mostly broken early; these stay balanced longer."""
    words = ["(())()", "({}[])", "(({}))", "({)}", "(()))(", "{(})", "((((", "{}{}{(}"]
    for name in ("dyck1", "dyck2"):
        xs = [list(w) for w in words if set(w) <= set(ALPHABETS[name])] + [list("(a)b")]
        assert evaluate(get_program(name), xs) == [REFERENCES[name](x) for x in xs]


FIXED = [
    ("reverse", "hello", list("olleh")),
    ("hist", "hello", [1, 1, 2, 2, 1]),
    ("hist_bos", ["<s>", "a", "b", "a"], [0, 2, 1, 2]),
    ("double_hist", "hello", [3, 3, 1, 1, 3]),
    ("sort", "hello", list("ehllo")),
    ("sort", [3, 1, 2, 1], [1, 1, 2, 3]),
    ("most_freq", "hello", list("lheo_")),
    ("dyck1", "(()", list("PPP")),
    ("dyck1", "())(", list("PTFF")),
    ("dyck2", "({})", list("PPPT")),
    ("dyck2", "({)}", list("PPFF")),
    ("dyck2", "{()}}(", list("PPPTFF")),
    ("length", "abc", [3, 3, 3]),
    ("frac_prevs", "xaxx", [1, 0.5, 2 / 3, 0.75]),
    ("pair_balance", "a()b(c))", [0, 1 / 2, 0, 0, 1 / 5, 1 / 6, 0, -1 / 8]),
    ("shuffle_dyck1", "(())", [1, 1, 1, 1]),
    ("shuffle_dyck2", "({)}", [1, 1, 1, 1]),
    ("shuffle_dyck2", "(){)}", [0, 0, 0, 0, 0]),
    ("shuffle_dyck3", "([)]{}", [1] * 6),
    ("shift_by", "abc", ["_", "a", "b"]),
    ("detect_pattern", "abcabc", [0, 0, 1, 0, 0, 1]),
    ("count_less_freq", "aaabbc", [3] * 6),
    ("count_less_freq", "aacbbc", [6] * 6),
    ("sort_unique", [2, 4, 3, 1], [1, 2, 3, 4]),
    ("sort_unique", "bab", ["a", "b", "_"]),
    ("sort_freq", [2, 4, 2, 1], [2, 2, 4, 1]),
    ("count", "aaabbc", [3] * 6),
]


@pytest.mark.parametrize("name, x, expected", FIXED)
def test_program_fixed_cases(name, x, expected):
    if name in ("frac_prevs", "pair_balance"):
        expected = pytest.approx(expected)
    assert evaluate(get_program(name), [list(x)])[0] == expected


# ------------------------------------------------------------------------------ prelude ---
PRELUDE = [
    ("sort(tokens, tokens)", "hello", list("ehllo")),
    ("sort(tokens, indicator(tokens == \"l\"))", "hello", list("heoll")),  # stable
    ("sort(tokens, -indices)", "abc", list("cba")),
    ("shift(tokens, 2, \"_\")", "abcd", ["_", "_", "a", "b"]),
    ("shift(indices, 1, 0)", "abc", [0, 0, 1]),
    ("mark_first_instance(tokens, \"l\")", "hello", [False, False, True, False, False]),
    ("mark_last_instance(tokens, \"l\")", "hello", [False, False, False, True, False]),
    ("mark_first_instance(tokens, \"z\")", "ab", [False, False]),
    ("count(tokens, \"l\")", "hello", [2] * 5),
    ("count(tokens, \"z\")", "hi", [0, 0]),
    ("contains(tokens, \"z\")", "hello", [False] * 5),
    ("contains(tokens, \"o\")", "hello", [True] * 5),
    ("has_focus(select(tokens, \"c\", ==))", "abc", [True] * 3),
    ("has_focus(select(indices, indices, <))", "abc", [False, True, True]),
    ("max(indices, 2)", "abcd", [2, 2, 2, 3]),
    ("min(indices, 2)", "abcd", [0, 1, 2, 2]),
    ("average(indices)", "abcd", [1.5] * 4),
    ("load_from_location(tokens, 1)", "hello", ["e"] * 5),
    ("load_from_location(tokens, length - 1)", "hello", ["o"] * 5),
    ("aggregate(select_from_first(tokens, \"l\"), indices)", "hello", [2] * 5),
    ("aggregate(select_from_last(tokens, \"l\"), indices)", "hello", [3] * 5),
    ("aggregate(select_next_identical(tokens), indices, -1)", "hello", [-1, -1, 3, -1, -1]),
    ("aggregate(select_next_identical(tokens), indices, -1)", "abab", [2, 3, -1, -1]),
    ("selector_width(full_s)", "abc", [3, 3, 3]),
]


@pytest.mark.parametrize("expr, x, expected", PRELUDE)
def test_prelude_functions(expr, x, expected):
    program = load_program(f"out = {expr};")
    assert evaluate(program, [list(x)])[0] == expected


#: the original interpreter's recorded outputs for mark_first_instance(tokens, "a") (issue 21)
RECORDED_FIRST_INSTANCE = [
    ("aaccdaaa", [True, False, False, False, False, False, False, False]),
    ("eacadeca", [False, True, False, False, False, False, False, False]),
]


def test_mark_first_instance_matches_the_original_interpreted_and_compiled():
    from rasplab.compiler import compile_program

    program = load_program('out = mark_first_instance(tokens, "a");')
    inputs = [list(x) for x, _ in RECORDED_FIRST_INSTANCE]
    wanted = [out for _, out in RECORDED_FIRST_INSTANCE]
    assert evaluate(program, inputs) == wanted
    model = compile_program(program, vocab=sorted(set("aaccdaaaeacadeca")), max_len=8)
    assert [list(map(bool, y)) for y in model.predict(inputs)] == wanted


def test_unknown_program_names_close_matches():
    with pytest.raises(RaspNameError, match="did you mean.*reverse"):
        get_program("revers")
    with pytest.raises(RaspNameError, match="no library program 'zzz'"):
        library_path("zzz")


def test_sources_document_their_semantics():
    for name in library_names():
        source = library_source(name)
        assert source.startswith(f"# {name}:"), name
        assert f"\n{name} = " in source, name
    assert get_program("reverse") is get_program("reverse")  # parsed once


PRELUDE_NAMES = ["full_s", "has_focus", "count", "contains", "max", "min", "average",
                 "load_from_location", "shift", "mark_first_instance", "mark_last_instance",
                 "select_from_first", "select_from_last", "sort", "select_next_identical"]


def test_prelude_defines_the_original_library_names():
    from rasplab.lang.parser import parse

    program = parse("x = tokens;")
    missing = [n for n in PRELUDE_NAMES if n not in program]
    assert not missing
