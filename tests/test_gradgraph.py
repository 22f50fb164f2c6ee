"""course_lib.gradgraph: the recorded backward graph as a networkx DiGraph (notebook 02, section 2)."""

from __future__ import annotations

import pytest
import torch

from course_lib.gradgraph import backward_graph


def _by_label(G):
    return {G.nodes[n]["label"]: n for n in G}


def test_a_leaf_used_twice_is_one_node_with_two_parents():
    x = torch.tensor(0.5, requires_grad=True)
    w = torch.tensor(3.0, requires_grad=True)
    q = x * w + torch.sin(x) * 2.0          # the constant 2.0 needs no gradient: no node for it
    G = backward_graph(q, names={"x": x, "w": w})
    nodes = _by_label(G)
    assert set(nodes) == {"AddBackward0", "MulBackward0", "SinBackward0", "AccumulateGrad\nx.grad",
                          "AccumulateGrad\nw.grad"}
    x_node = nodes["AccumulateGrad\nx.grad"]
    assert G.in_degree(x_node) == 2 and G.out_degree(x_node) == 0 and G.nodes[x_node]["leaf"]
    assert sum(G.nodes[n]["leaf"] for n in G) == 2
    # layers: the longest path from the output
    assert G.nodes[nodes["AddBackward0"]]["layer"] == 0
    assert G.nodes[x_node]["layer"] == 3   # Add -> Mul(sin, 2) -> Sin -> x
    assert next(iter(G)) is q.grad_fn


def test_uses_counts_repeated_inputs_and_unnamed_leaves_keep_the_class_name():
    x = torch.tensor(2.0, requires_grad=True)
    G = backward_graph(x * x)
    (edge,) = G.edges(data="uses")
    assert edge[2] == 2 and G.nodes[edge[1]]["label"] == "AccumulateGrad"


def test_a_leaf_has_no_graph():
    with pytest.raises(ValueError, match="no grad_fn"):
        backward_graph(torch.tensor(1.0, requires_grad=True))
