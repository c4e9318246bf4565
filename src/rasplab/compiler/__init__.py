"""RASP -> transformer weights that agree with the interpreter, as a pipeline of named passes.

graph (dependency DAG) -> values (exact value sets) -> lower (functionals, heads, MLP tables)
-> layers (sublayers, residual dimensions with reuse) -> assemble (a torch module).
"""
from __future__ import annotations

from typing import Any, Sequence

from rasplab.compiler.assemble import assemble
from rasplab.compiler.causal import causal_body
from rasplab.compiler.graph import build_graph
from rasplab.compiler.io import load_compiled, save_compiled
from rasplab.compiler.layers import allocate, schedule
from rasplab.compiler.lower import lower
from rasplab.compiler.model import CompiledConfig, CompiledTransformer
from rasplab.compiler.values import dedupe, infer_values
from rasplab.lang.ast import Node


def _program_text(program: Node) -> str | None:
    """The program as an s-expression for the model file (None for opaque Python functions)."""
    try:
        from rasplab.lang.sexpr import to_sexpr

        return to_sexpr(program)
    except Exception:
        return None


def compile_program(program: Node, vocab: Sequence[Any], max_len: int, *,
                    reuse_residual: bool = True) -> CompiledTransformer:
    """Compile `program` for inputs over `vocab` of length 1..max_len into a transformer whose
    decoded outputs equal `evaluate(program, x)`; raises CompileError naming the node otherwise.
    A causal program compiles to causally masked attention (BOS stays visible to every query)."""
    body, causal = causal_body(program)
    graph = build_graph(body)
    values = infer_values(graph, vocab, max_len, causal=causal)
    lowered = lower(graph, values, dedupe(list(vocab)), max_len)
    n_layers = schedule(lowered)
    layout = allocate(lowered, n_layers, reuse=reuse_residual)
    return assemble(lowered, layout, values.get(graph.output), _program_text(program),
                    causal=causal)


__all__ = ["compile_program", "CompiledTransformer", "CompiledConfig", "save_compiled",
           "load_compiled"]
