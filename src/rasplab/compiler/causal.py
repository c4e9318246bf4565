"""Causal programs for the compiler: the body without its `Causal` markers, `length` as the prefix
length `indices + 1`; every attention head of the model is then causally masked."""
from __future__ import annotations

from rasplab.lang.ast import Causal, LengthType, Map, Node, indices, is_causal, rewrite
from rasplab.lang.functions import SLOT0, Const, Fn


def causal_body(program: Node) -> tuple[Node, bool]:
    """(what to lower, whether the model's attention is causal) for a program."""
    if not is_causal(program):
        return program, False

    def step(node: Node) -> Node:
        if isinstance(node, LengthType):  # under a causal mask, position q sees q + 1 tokens
            return Map(Fn("add", (SLOT0, Const(1))), indices, encoding=node.encoding,
                       name=node.name)
        return node.sop if isinstance(node, Causal) else node

    return rewrite(program, step), True
