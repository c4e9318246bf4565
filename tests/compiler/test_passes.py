"""Each pass on its own: graph, value sets, MLP tables, attention tables, layer allocation."""
import itertools
from fractions import Fraction

import numpy as np
import pytest

from rasplab.compiler import compile_program
from rasplab.compiler.attention import table_pairs
from rasplab.compiler.graph import build_graph, selector_leaves
from rasplab.compiler.layers import allocate, schedule
from rasplab.compiler.lower import lower
from rasplab.compiler.mlp import and_table, numeric_lookup
from rasplab.compiler.residual import CatRep, Ctx, Lin, Space
from rasplab.compiler.values import infer_values, mean_values
from rasplab.errors import CompileError
from rasplab.lang import (
    EQ,
    LE,
    LT,
    NE,
    Aggregate,
    Select,
    evaluate,
    indices,
    numerical,
    select,
    tokens,
)

from .agree import disagreements, random_inputs
from .tracr_lib import make_frac_prevs, make_length, make_reverse


def _read(lin: Lin, env: dict) -> float:
    """A functional's value given {(space, index): value} (missing dimensions are 0)."""
    return sum(c * env.get(key, 0.0) for key, c in lin.items())


def _ctx_env(ctx: Ctx) -> dict:
    return {(ctx.one, 0): 1.0, (ctx.bos, 0): 0.0}


# --- graph -------------------------------------------------------------------------------
def test_graph_orders_children_first_and_refuses_selectors():
    program = make_reverse(tokens)
    graph = build_graph(program)
    position = {n: i for i, n in enumerate(graph.order)}
    for node in graph.order:
        assert all(position[c] < position[node] for c in node.children)
    with pytest.raises(CompileError, match="selector"):
        build_graph(select(tokens, tokens, EQ))


def test_selector_leaves_stop_at_sops():
    inner = Select(tokens, tokens, LT)
    sel = (Select(indices, indices, LT) & ~Select(tokens, tokens, NE)) | inner
    leaves = selector_leaves(sel)
    assert set(leaves) == {Select(indices, indices, LT), Select(tokens, tokens, NE), inner}


# --- value sets --------------------------------------------------------------------------
def test_mean_values_match_brute_force():
    source, max_len = [0, 1, 3], 4
    brute = {float(Fraction(sum(c), len(c))) for n in range(1, max_len + 1)
             for c in itertools.combinations_with_replacement(source, n)}
    assert mean_values(source, max_len) == sorted(brute)


def test_value_sets_exhaustive_and_symbolic_agree_on_reach():
    program = make_frac_prevs(tokens.eq("a"))
    graph = build_graph(program)
    small = infer_values(graph, list("ab"), 4)  # 30 inputs: exhaustive, hence exact
    observed = {v for row in evaluate(program, ["".join(p) for n in range(1, 5)
                                                for p in itertools.product("ab", repeat=n)])
                for v in row}
    assert set(small[program]) == observed
    big = infer_values(graph, [f"t{i}" for i in range(20)] + ["a"], 4)  # symbolic
    assert observed <= set(big[program])  # never misses a value


# --- MLP tables --------------------------------------------------------------------------
@pytest.mark.parametrize("out_kind", ["num", "cat"])
def test_numeric_lookup_is_exact_on_every_value(out_kind):
    ctx = Ctx(Space("one", 1), Space("bos", 1))
    x_space = Space("x", 1, nonneg=False)
    xs = [-2.0, -0.5, 0.0, 1 / 3, 2.0, 7.0]

    def f(v):
        return round(v * v - 3 * v, 6) if out_kind == "num" else ("neg" if v < 0 else v > 1)

    op, rep = numeric_lookup(ctx, "f", None, Lin.of(x_space), xs, f, out_kind)
    for v in xs:
        env = _ctx_env(ctx) | {(x_space, 0): v}
        hidden = [max(0.0, _read(u, env)) for u in op.units]
        out = np.array(hidden) @ op.w_out if op.units else np.zeros(op.out.size)
        env |= {(op.out, i): out[i] for i in range(op.out.size)}
        if out_kind == "num":
            assert abs(_read(rep.lin, env) - f(v)) < 1e-9
        else:
            got = [_read(ind, env) for ind in rep.ind]
            assert rep.values[int(np.argmax(got))] == f(v)
            assert sorted(np.round(got, 9)) == [0.0] * (len(got) - 1) + [1.0]


def test_and_table_uses_one_unit_per_non_default_pair():
    ctx = Ctx(Space("one", 1), Space("bos", 1))
    a, b = Space("a", 3), Space("b", 2)
    ra = CatRep(["p", "q", "r"], [Lin.of(a, i) for i in range(3)])
    rb = CatRep([0, 1], [Lin.of(b, i) for i in range(2)])
    op, rep = and_table(ctx, "t", None, [ra, rb], lambda x, y: x == "q" and y == 1, "cat")
    assert len(op.units) == 1  # only (q, 1) gives the rarer value True
    for i, j in itertools.product(range(3), range(2)):
        env = _ctx_env(ctx) | {(a, i): 1.0, (b, j): 1.0}
        hidden = [max(0.0, _read(u, env)) for u in op.units]
        out = np.array(hidden) @ op.w_out
        env |= {(op.out, k): out[k] for k in range(op.out.size)}
        got = [_read(ind, env) for ind in rep.ind]
        assert rep.values[int(np.argmax(got))] == (i == 1 and j == 1)


# --- attention tables --------------------------------------------------------------------
def test_table_pairs_reproduce_the_table_with_small_rank():
    k_space, q_space = Space("k", 5), Space("q", 4)
    keys = CatRep(list(range(5)), [Lin.of(k_space, i) for i in range(5)])
    queries = CatRep(list(range(4)), [Lin.of(q_space, i) for i in range(4)])
    table = np.array([[a <= b for b in range(4)] for a in range(5)])
    pairs = table_pairs(keys, queries, table)
    assert len(pairs) <= 4
    for a, b in itertools.product(range(5), range(4)):
        env = {(k_space, a): 1.0, (q_space, b): 1.0}
        assert sum(_read(q, env) * _read(k, env) for q, k in pairs) == float(table[a, b])


# --- layers ------------------------------------------------------------------------------
def test_layers_are_as_few_as_the_dependency_chain_allows():
    assert compile_program(make_length(), list("abc"), 5).cfg.n_layers == 1
    assert compile_program(make_frac_prevs(tokens.eq("a")), list("abc"), 5).cfg.n_layers == 1
    # length (attn+mlp), length - indices (mlp), then the reversing head
    assert compile_program(make_reverse(tokens), list("abc"), 5).cfg.n_layers == 3


def test_categorical_maps_cost_no_layer():
    program = Aggregate(select(indices, indices, EQ), tokens.eq("a") | tokens.eq("b"))
    model = compile_program(program.eq(True), list("abc"), 4)
    assert model.cfg.n_layers == 1 and model.cfg.d_mlp == 1  # the maps fold into read-outs


def test_residual_reuse_shrinks_d_model_and_keeps_outputs():
    program = make_reverse(tokens)
    plain = compile_program(program, list("abcd"), 6, reuse_residual=False)
    packed = compile_program(program, list("abcd"), 6)
    assert packed.cfg.d_model < plain.cfg.d_model
    assert any(r["kind"] == "clear" for r in packed.cfg.layout)
    inputs = random_inputs("abcd", 6, 200)
    assert disagreements(packed, program, inputs) == []
    assert disagreements(plain, program, inputs) == []


def test_schedule_and_allocate_assign_every_op_and_space():
    graph = build_graph(make_reverse(tokens))
    lowered = lower(graph, infer_values(graph, list("abc"), 5), list("abc"), 5)
    n_layers = schedule(lowered)
    layout = allocate(lowered, n_layers)
    assert all(0 <= op.sublayer < 2 * n_layers for op in layout.ops)
    for op in lowered.ops:  # every op runs after the ops it reads
        assert all(s.op is None or s.op.sublayer < op.sublayer for s in op.reads())
    assert all(len(s.dims) in (0, s.size) for s in layout.spaces)
    assert max(d for s in layout.spaces for d in s.dims) == layout.d_model - 1


def test_mean_of_numbers_uses_the_mean_not_a_lookup():
    program = numerical(Aggregate(Select(indices, indices, LE), numerical(tokens), default=0))
    model = compile_program(program, [1, 2, 5], 5)
    out = model.predict([[5, 1, 2]])[0]
    assert out == pytest.approx([5.0, 3.0, 8 / 3], abs=1e-9)
