"""Causal mode and the best-value aggregates: the prefix property on random programs (every
evaluator path), the `.rasp` front end, and the printers' round trips."""
import math

import numpy as np
import pytest

from rasplab.errors import RaspRuntimeError, RaspSyntaxError
from rasplab.lang import (
    EQ,
    FALSE,
    GE,
    GT,
    LE,
    LT,
    NE,
    NUMERICAL,
    TRUE,
    Aggregate,
    AggregateBest,
    Causal,
    Full,
    Map,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    aggregate_max,
    aggregate_min,
    causal,
    evaluate,
    indices,
    is_causal,
    length,
    load_program,
    parse,
    select,
    to_python,
    to_rasp,
    to_rasp_expr,
    tokens,
)
from rasplab.lang import evaluator as evaluator_module
from rasplab.lang.ast import Select, uncausal
from rasplab.lang.evaluator import Batch
from rasplab.lang.sexpr import from_sexpr, to_sexpr

PREDICATES = [EQ, NE, LT, LE, GT, GE, TRUE, FALSE, lambda k, q: (k + q) % 2 == 0]


# --- random programs ---------------------------------------------------------------------------
def random_sop(rng, depth):
    leaves = [tokens, indices, length, Full(int(rng.integers(0, 3)))]
    if depth <= 0 or rng.random() < 0.2:
        return leaves[int(rng.integers(len(leaves)))]
    kind = int(rng.integers(6))
    if kind == 0:
        return Map(lambda v: (v + 1) % 4, random_sop(rng, depth - 1))
    if kind == 1:
        return SequenceMap(lambda a, b: min(a, b), random_sop(rng, depth - 1),
                           random_sop(rng, depth - 1))
    if kind == 2:
        return SelectorWidth(random_selector(rng, depth - 1))
    if kind == 3:
        best = aggregate_max if rng.random() < 0.5 else aggregate_min
        score = random_sop(rng, depth - 1) if rng.random() < 0.5 else None
        return best(random_selector(rng, depth - 1), random_sop(rng, depth - 1), default=-1,
                    score=score)
    encoding = [NUMERICAL, None, None][int(rng.integers(3))]  # categorical ones rarely agree
    return Aggregate(random_selector(rng, depth - 1), random_sop(rng, depth - 1), default=0,
                     encoding=encoding)


def random_selector(rng, depth):
    kind = rng.random()
    if depth > 0 and kind < 0.15:
        return SelectorAnd(random_selector(rng, depth - 1), random_selector(rng, depth - 1))
    if depth > 0 and kind < 0.25:
        return SelectorOr(random_selector(rng, depth - 1), random_selector(rng, depth - 1))
    if depth > 0 and kind < 0.35:
        return SelectorNot(random_selector(rng, depth - 1))
    pred = PREDICATES[int(rng.integers(len(PREDICATES)))]
    return select(random_sop(rng, depth - 1), random_sop(rng, depth - 1), pred)


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(
            a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b and type(a) is type(b)


def naive(node, x, causal):
    """Plain-Python reference semantics for one input: each selector masked to k <= q and
    `length` the prefix length when `causal` (the definition, written as directly as it reads)."""
    n = len(x)
    if isinstance(node, Causal):
        return naive(node.sop, x, True)
    if node == tokens:
        return list(x)
    if node == indices:
        return list(range(n))
    if node == length:
        return [q + 1 for q in range(n)] if causal else [n] * n
    if isinstance(node, Full):
        return [node.value] * n
    if isinstance(node, Map):
        return [node.fn(v) for v in naive(node.arg, x, causal)]
    if isinstance(node, SequenceMap):
        cols = [naive(a, x, causal) for a in node.args]
        return [node.fn(*vs) for vs in zip(*cols)]
    if isinstance(node, Select):
        ks, qs = naive(node.keys, x, causal), naive(node.queries, x, causal)
        return [[bool(node.predicate(k, qv)) and (k_i <= q or not causal)
                 for k_i, k in enumerate(ks)] for q, qv in enumerate(qs)]
    if isinstance(node, SelectorAnd | SelectorOr):
        a, b = naive(node.left, x, causal), naive(node.right, x, causal)
        f = (lambda u, v: u and v) if isinstance(node, SelectorAnd) else (lambda u, v: u or v)
        return [[f(u, v) for u, v in zip(ra, rb)] for ra, rb in zip(a, b)]
    if isinstance(node, SelectorNot):
        return [[not u and (k <= q or not causal) for k, u in enumerate(row)]
                for q, row in enumerate(naive(node.inner, x, causal))]
    if isinstance(node, SelectorWidth):
        return [sum(row) for row in naive(node.selector, x, causal)]
    if isinstance(node, AggregateBest):
        sel = naive(node.selector, x, causal)
        vals, scores = naive(node.sop, x, causal), naive(node.score, x, causal)
        out = []
        for row in sel:
            picked = [k for k, s in enumerate(row) if s]
            if not picked:
                out.append(node.default)
                continue
            best = picked[0]
            for k in picked[1:]:  # strictly better only: ties keep the earliest key
                if (scores[k] > scores[best]) if node.maximise else (scores[k] < scores[best]):
                    best = k
            out.append(vals[best])
        return out
    if isinstance(node, Aggregate):
        sel, vals = naive(node.selector, x, causal), naive(node.sop, x, causal)
        out = []
        for row in sel:
            picked = [v for v, s in zip(vals, row) if s]
            if not picked:
                out.append(node.default)
            elif all(p == picked[0] for p in picked):
                out.append(float(picked[0]) if node.encoding == NUMERICAL else picked[0])
            elif node.encoding == NUMERICAL or all(isinstance(p, int | float) for p in vals):
                out.append(sum(float(p) for p in picked) / len(picked))
            else:
                out.append(node.default)  # a conflict (strict=False gives the default)
        return out
    raise AssertionError(type(node))


def agree(got, want):
    return len(got) == len(want) and all(same(a, b) for a, b in zip(got, want))


def check_causal(program, inputs):
    """The evaluator against the reference, and prefix consistency: position q's output is the
    output at the last position of the prefix x[:q+1] (nothing leaks from later positions)."""
    got = evaluate(program, inputs, strict=False)
    for x, g in zip(inputs, got):
        assert agree(g, naive(program, x, False)), (x, g, naive(program, x, False))
        prefixes = evaluate(program, [x[: q + 1] for q in range(len(x))], strict=False)
        assert agree(g, [p[-1] for p in prefixes]), (x, g, prefixes)


@pytest.mark.parametrize("seed", range(5))
def test_causal_position_equals_plain_prefix(seed):
    """Mixed lengths (padding), matrix-free shapes and rank selects, shared sub-programs."""
    rng = np.random.default_rng(seed)
    inputs = [rng.integers(0, 4, size=int(rng.integers(1, 7))).tolist() for _ in range(12)]
    for _ in range(25):
        check_causal(causal(random_sop(rng, 3)), inputs)


def test_one_attention_layer_equals_the_plain_program_on_each_prefix():
    """Where every selector reads only tokens and indices, a causal program at position q is the
    plain program's output at the last position of x[:q+1] (a decoder's next-token view)."""
    rng = np.random.default_rng(7)
    inputs = [rng.integers(0, 4, size=int(rng.integers(1, 7))).tolist() for _ in range(8)]
    leaves = [tokens, indices, Map(lambda v: (v + 1) % 4, tokens)]

    def sel():
        pred = PREDICATES[int(rng.integers(len(PREDICATES)))]
        s = select(leaves[int(rng.integers(3))], leaves[int(rng.integers(3))], pred)
        return SelectorNot(s) if rng.random() < 0.3 else s

    for _ in range(20):
        kind = int(rng.integers(3))
        value = leaves[int(rng.integers(3))]
        program = (SelectorWidth(sel()) if kind == 0 else
                   Aggregate(sel(), value, 0, encoding=NUMERICAL) if kind == 1 else
                   aggregate_min(sel(), value, score=leaves[int(rng.integers(3))]))
        got = evaluate(causal(program), inputs)
        for x, g in zip(inputs, got):
            want = [evaluate(program, [x[: q + 1]])[0][-1] for q in range(len(x))]
            assert agree(g, want), (x, g, want)


def test_prefix_property_in_small_chunks(monkeypatch):
    """Chunks of a few inputs each: the causal mask must follow each chunk's own width."""
    monkeypatch.setattr(evaluator_module, "CHUNK_CELLS", 40)
    rng = np.random.default_rng(11)
    inputs = [rng.integers(0, 4, size=int(rng.integers(1, 7))).tolist() for _ in range(10)]
    for _ in range(10):
        check_causal(causal(random_sop(rng, 3)), inputs)


@pytest.mark.parametrize("program", [
    SelectorWidth(select(tokens, tokens, EQ)),                       # rank width, matrix-free
    Aggregate(select(tokens, tokens, EQ), indices, 0, encoding=NUMERICAL),  # == aggregate fast path
    Aggregate(select(tokens, tokens, TRUE), tokens, 0, encoding=NUMERICAL),  # TRUE rank select
    SelectorWidth(SelectorNot(select(tokens, tokens, LT))),          # `not` stays within k <= q
    length + indices,
    aggregate_min(select(tokens, tokens, GT), tokens),               # sort's next token
], ids=["width", "eq-mean", "true-mean", "not", "length", "next-larger"])
def test_fast_paths_under_causal_mode(program):
    inputs = [[3, 1, 3, 0, 2], [1, 1], [2], [0, 3, 1, 1, 2, 3, 0]]
    check_causal(causal(program), inputs)
    assert evaluate(program, inputs, causal=True) == evaluate(causal(program), inputs)


def test_causal_selector_matrices_and_a_batch_reused_both_ways():
    inputs = [[2, 1, 2, 0], [1, 2]]
    sel = SelectorNot(select(tokens, tokens, EQ))
    plain = Batch(inputs).value(sel)
    masked = Batch(inputs, causal=True).value(sel)
    prefix = np.tril(np.ones((4, 4), dtype=bool))
    valid = np.array([[True] * 4, [True, True, False, False]])
    assert (masked == (plain & prefix & valid[:, :, None] & valid[:, None, :])).all()
    assert evaluate(sel, inputs, causal=True)[0].tolist() == masked[0].tolist()
    # one batch asked for a program plainly, then for its causal version: no stale memo
    width = SelectorWidth(select(tokens, tokens, EQ))
    batch = Batch(inputs)
    assert batch.value(width).to_lists(batch.lengths) == [[2, 1, 2, 1], [1, 1]]
    assert batch.value(causal(width)).to_lists(batch.lengths) == [[1, 1, 2, 1], [1, 1]]
    assert batch.value(width).to_lists(batch.lengths) == [[2, 1, 2, 1], [1, 1]]


def test_causal_marks_the_whole_program_and_is_idempotent():
    x = causal(length)
    assert causal(x) == x and isinstance(x, Causal) and x.encoding == length.encoding
    assert is_causal(length + x) and not is_causal(length + indices)
    assert evaluate(length + x, ["abc"]) == [[2, 4, 6]]  # a marker anywhere: all of it causal
    assert evaluate(causal(causal(length) + 1), ["ab"]) == [[2, 3]]  # nested: a no-op
    assert evaluate(length, ["abc"]) == [[3, 3, 3]]  # without a marker: the original language
    assert causal(numerical(indices)).encoding == NUMERICAL


def numerical(sop):
    return sop.annotated(NUMERICAL)


# --- best aggregates ---------------------------------------------------------------------------
def test_best_aggregate_semantics():
    everything = select(tokens, tokens, TRUE)
    assert evaluate(aggregate_max(everything, indices, score=tokens), ["abcb"]) == [[2] * 4]
    # ties go to the earliest key, for max and for min
    assert evaluate(aggregate_max(everything, indices, score=tokens), ["cbc"]) == [[0] * 3]
    assert evaluate(aggregate_min(everything, indices, score=tokens), ["bab", "a"]) == [
        [1] * 3, [0]]
    # nothing selected: the default
    nothing = select(tokens, tokens, FALSE)
    assert evaluate(aggregate_max(nothing, tokens, default="-"), ["ab"]) == [["-", "-"]]
    assert evaluate(aggregate_max(nothing, tokens), ["ab"]) == [[None, None]]
    # scores in natural order: booleans False < True, strings lexicographically
    flags = Map(lambda t: t == "x", tokens)
    assert evaluate(aggregate_max(everything, indices, score=flags), ["abxax"]) == [[2] * 5]
    assert evaluate(aggregate_min(everything, tokens), [["bb", "ab", "b"]]) == [["ab"] * 3]
    assert evaluate(aggregate_max(everything, tokens), [[3, 10, 2]]) == [[10] * 3]
    # the result keeps the sop's values exactly, whatever their type
    pairs = SequenceMap(lambda a, b: (a, b), tokens, indices)
    assert evaluate(aggregate_max(everything, pairs, score=indices), ["ab"]) == [[("b", 1)] * 2]


def test_running_max_and_majority():
    running_max = causal(aggregate_max(select(tokens, tokens, TRUE), tokens))
    assert evaluate(running_max, [[1, 3, 2, 5, 4]]) == [[1, 3, 3, 5, 5]]
    count = SelectorWidth(select(tokens, tokens, EQ))
    majority = aggregate_max(select(tokens, tokens, TRUE), tokens, score=count)
    assert evaluate(majority, ["abbcb", "cab", "abba"]) == [["b"] * 5, ["c"] * 3, ["a"] * 4]
    assert evaluate(causal(majority), ["abba"]) == [["a", "a", "b", "b"]]


def test_scores_that_do_not_compare_are_a_clear_error():
    mixed = SequenceMap(lambda t, i: t if i else 0, tokens, indices)
    with pytest.raises(RaspRuntimeError, match="do not compare"):
        evaluate(aggregate_max(select(tokens, tokens, TRUE), tokens, score=mixed), ["ab"])


def test_best_aggregate_node_fields():
    node = aggregate_min(select(tokens, tokens, GT), tokens)
    assert isinstance(node, AggregateBest) and node.score == tokens and not node.maximise
    assert node.default is None and node.encoding is not None
    with pytest.raises(TypeError):
        AggregateBest(tokens, tokens)  # type: ignore[arg-type]


def test_uncausal_removes_every_marker():
    body = aggregate_max(select(tokens, tokens, GT), indices) + length
    assert uncausal(causal(body)) == body
    assert uncausal(body + causal(length)) == body + length
    assert not is_causal(uncausal(causal(body)))


# --- the .rasp front end -----------------------------------------------------------------------
CAUSAL_SOURCE = """# running histogram and the smallest larger token seen so far
causal;
hist = selector_width(select(tokens, tokens, ==));
bigger = aggregate_min(select(tokens, tokens, >), tokens, "-");
n = length;
"""


def test_causal_declaration_wraps_every_sop():
    program = parse(CAUSAL_SOURCE, prelude=False)
    assert program.causal
    assert all(isinstance(program[name], Causal) for name in ("hist", "bigger", "n"))
    assert program.last == program["n"] and program.last_node == program["n"]
    assert evaluate(program["hist"], ["abab"]) == [[1, 1, 2, 2]]
    assert evaluate(program["bigger"], ["cadb"]) == [["-", "c", "-", "c"]]
    assert evaluate(program["n"], ["abc"]) == [[1, 2, 3]]
    assert load_program(CAUSAL_SOURCE, "hist", prelude=False) == program["hist"]
    with_library = parse(CAUSAL_SOURCE)  # library names read through a causal file
    assert evaluate(with_library["hist"], ["aa"]) == [[1, 2]]
    assert isinstance(with_library["length"], Causal)


def test_causal_file_loaded_and_run_inside_source(tmp_path):
    path = tmp_path / "prefix.rasp"
    path.write_text(CAUSAL_SOURCE)
    assert evaluate(load_program(path, "n"), ["ab"]) == [[1, 2]]
    program = parse(f'load "{path.with_suffix("")}";\nwidths = hist;\n', file=str(tmp_path / "x"))
    assert isinstance(program["widths"], Causal)
    # an s-op called on an input inside a causal file runs causally
    inline = parse('causal;\nout = selector_width(select(tokens, tokens, ==))("aa");\n')
    assert inline["out"] == [1, 2]


@pytest.mark.parametrize("source, line, column", [
    ("x = tokens;\ncausal;\n", 2, 1),
    ("x = tokens;\n\n  causal;", 3, 3),
    ('load "hist";\ncausal;\n', 2, 1),
    ("def f(a) {\n  causal;\n  return a;\n}\ny = f(tokens);\n", 2, 3),
    ("for i in [1] {\n causal;\n}\n", 2, 2),
])
def test_misplaced_causal_declaration_is_located(source, line, column):
    with pytest.raises(RaspSyntaxError, match="first statement") as err:
        parse(source)
    assert (err.value.line, err.value.column) == (line, column)


def test_without_the_declaration_nothing_changes():
    program = parse("causal = 2;\nn = length + causal;\n", prelude=False)
    assert not program.causal and not isinstance(program.last, Causal)
    assert evaluate(program.last, ["abc"]) == [[5, 5, 5]]


def test_best_aggregate_calls_in_source():
    src = """
    sel = select(tokens, tokens, TRUE);
    a = aggregate_max(sel, tokens);
    b = aggregate_min(sel, indices, "none");
    c = aggregate_max(sel, indices, None, tokens);
    d = aggregate_max(select(tokens, tokens, FALSE), tokens, 0);
    """
    program = parse(src, prelude=False)
    sel = select(tokens, tokens, TRUE)
    assert program["a"] == aggregate_max(sel, tokens).named("a")
    assert program["c"] == aggregate_max(sel, indices, score=tokens)
    assert evaluate(program["a"], ["acb"]) == [["c"] * 3]
    assert evaluate(program["b"], ["acb"]) == [[0] * 3]
    assert evaluate(program["c"], ["acb"]) == [[1] * 3]
    assert evaluate(program["d"], ["ab"]) == [[0, 0]]
    with pytest.raises(RaspSyntaxError, match="aggregate_max takes 2 to 4 arguments"):
        parse("x = aggregate_max(select(tokens, tokens, ==));", prelude=False)
    with pytest.raises(RaspSyntaxError, match="needs a selector"):
        parse("x = aggregate_min(tokens, tokens);", prelude=False)


# --- printers ----------------------------------------------------------------------------------
SORT_NEXT = causal(aggregate_min(select(tokens, tokens, GT) & select(indices, indices, LT),
                                 tokens, default="_"))
MAJORITY = causal(aggregate_max(select(tokens, tokens, TRUE), tokens,
                                score=SelectorWidth(select(tokens, tokens, EQ))))


@pytest.mark.parametrize("program", [SORT_NEXT, MAJORITY, causal(length + indices),
                                     aggregate_max(select(tokens, tokens, LT), indices, 0)])
def test_printers_round_trip(program):
    text = to_rasp(program)
    assert text.startswith("causal;\n") == isinstance(program, Causal)
    assert parse(text, prelude=False).last == program
    namespace: dict = {}
    exec(to_python(program), namespace)
    assert namespace["program"] == program
    assert from_sexpr(to_sexpr(program)) == program
    inputs = ["abcab", "ba"]
    assert evaluate(parse(text).last, inputs) == evaluate(program, inputs)


def test_printed_forms():
    assert to_rasp(SORT_NEXT) == ("causal;\n"
                                  "sel_1 = select(tokens, tokens, >);\n"
                                  "sel_2 = select(indices, indices, <);\n"
                                  'program = aggregate_min(sel_1 and sel_2, tokens, "_");\n')
    assert "program = causal(best_1)" in to_python(SORT_NEXT)
    assert to_sexpr(SORT_NEXT) == ('(causal (aggregate_min (and (select tokens tokens gt) '
                                   '(select indices indices lt)) tokens "_" tokens))')
    assert to_rasp_expr(causal(aggregate_max(select(tokens, tokens, TRUE), indices))) == (
        "causal(aggregate_max(select(tokens, tokens, TRUE), indices))")
    # a marker below the root: the whole program is causal, and the source says so once
    assert to_rasp(length + causal(length)) == "causal;\nprogram = categorical(length + length);\n"
    # the s-expression reader takes the short forms too
    assert from_sexpr("(aggregate_max (select tokens tokens true) indices)") == aggregate_max(
        select(tokens, tokens, TRUE), indices)
