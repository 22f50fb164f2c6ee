"""The graph autograd records, as a networkx graph you can inspect or draw (notebook 02, section 2).

:func:`backward_graph` walks ``grad_fn`` and ``next_functions`` from a result back to its leaves, as
notebook 02's ``show_graph`` does by hand, but keeps each backward node once: a tensor used twice is
one node with two incoming edges, where a printed tree would show it twice.

>>> import torch
>>> x = torch.tensor(2.0, requires_grad=True)
>>> G = backward_graph(x * x + 1, names={"x": x})
>>> [G.nodes[n]["label"] for n in G]
['AddBackward0', 'MulBackward0', 'AccumulateGrad\\nx.grad']
>>> leaf = next(n for n in G if G.nodes[n]["leaf"])
>>> G.in_degree(leaf), G.number_of_edges(leaf, leaf)   # x is used twice by one multiplication
(1, 0)
>>> [d for _, _, d in G.in_edges(leaf, data="uses")]
[2]
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import torch

__all__ = ["backward_graph"]


def backward_graph(output: torch.Tensor, names: Mapping[str, torch.Tensor] | None = None) -> nx.DiGraph:
    """The backward graph that ends in ``output.grad_fn``, one node per backward function.

    An edge ``a -> b`` means that ``a`` passes a gradient to ``b`` (the direction ``backward()`` runs);
    its ``uses`` attribute counts how many of ``a``'s inputs come from ``b`` (2 for ``x * x``). Node
    attributes: ``label`` (the class name; for a leaf's ``AccumulateGrad``, plus ``name.grad`` when
    ``names`` maps a name to that leaf), ``leaf`` (True for ``AccumulateGrad``) and ``layer`` (the
    longest path from the output: 0 for the output's own node). Nodes are listed in the order they are
    first reached, breadth first.
    """
    if output.grad_fn is None:
        raise ValueError("this tensor has no grad_fn: it is a leaf or was computed without recording")
    by_id = {id(t): name for name, t in (names or {}).items()}
    G = nx.DiGraph()
    queue, seen = [output.grad_fn], {output.grad_fn}
    while queue:
        fn = queue.pop(0)
        is_leaf = hasattr(fn, "variable")  # an AccumulateGrad node holds its leaf tensor
        label = type(fn).__name__
        if is_leaf and id(fn.variable) in by_id:
            label += f"\n{by_id[id(fn.variable)]}.grad"
        G.add_node(fn, label=label, leaf=is_leaf)
        for child, _ in fn.next_functions:
            if child is None:  # an input that needs no gradient (a constant)
                continue
            if G.has_edge(fn, child):
                G.edges[fn, child]["uses"] += 1
            else:
                G.add_edge(fn, child, uses=1)
            if child not in seen:
                seen.add(child)
                queue.append(child)
    for fn in nx.topological_sort(G):  # longest distance from the output: a layered drawing
        G.nodes[fn]["layer"] = max((G.nodes[p]["layer"] + 1 for p in G.predecessors(fn)), default=0)
    return G
