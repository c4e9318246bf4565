"""Errors name unnamed program nodes by their RASP source: `rasplab.lang` installs its printer
into `rasplab.errors`, which imports no stage."""
from __future__ import annotations

from rasplab.errors import RaspRuntimeError, describe_node
from rasplab.lang import indices, tokens


def test_unnamed_nodes_are_described_by_their_rasp_source():
    node = tokens + indices
    assert describe_node(node) == "'tokens + indices'"
    assert describe_node(node.named("total")) == "'total'"
    assert "at 'tokens + indices' on input [1]" in str(RaspRuntimeError("bad", node, [1]))
