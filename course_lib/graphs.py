"""Graph neural networks from scratch: tensors from networkx, the GCN layer, link-prediction helpers.

Notebook 14 derives each piece by hand first; here they are once, tested, for reuse.
Conventions follow PyTorch Geometric so the two can be compared directly:

* ``edge_index`` is a ``LongTensor`` of shape ``(2, E)``; column ``(j, i)`` is a message from
  node ``j`` (source) to node ``i`` (target). An undirected graph lists both directions.
* The GCN propagation matrix is ``Â = D^-1/2 (A + I) D^-1/2`` with ``A[i, j] = 1`` for an edge
  ``j -> i``, stored as a sparse COO tensor.

>>> import networkx as nx
>>> data = from_networkx(nx.path_graph(3))
>>> data.edge_index.tolist()
[[0, 1, 1, 2], [1, 0, 2, 1]]
>>> adj = normalized_adjacency(data.edge_index, data.num_nodes)
>>> layer = GCNLayer(data.num_features, 2)
>>> layer(data.x, adj).shape
torch.Size([3, 2])
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .metrics import roc_auc

__all__ = ["GraphData", "from_networkx", "to_undirected", "normalized_adjacency",
           "adjacency_for_device", "supports_sparse_mm", "dense_adjacency_bytes", "MAX_DENSE_NODES",
           "GCNLayer", "GCN", "segment_softmax", "GATLayer", "negative_sampling", "EdgeSplit",
           "split_edges", "link_roc_auc", "precision_at_k", "recall_at_k", "pairs_to_dense"]


# --------------------------------------------------------------------------- graph -> tensors
@dataclass
class GraphData:
    """A graph as tensors: ``edge_index`` (2×E, both directions), features ``x`` (N×F),
    optional labels ``y`` (N,), the label names ``classes`` and the original ``nodes``
    (``nodes[i]`` is the networkx node behind row ``i``)."""

    edge_index: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor | None = None
    classes: list = field(default_factory=list)
    nodes: list = field(default_factory=list)

    @property
    def num_nodes(self) -> int:
        return self.x.shape[0]

    @property
    def num_features(self) -> int:
        return self.x.shape[1]

    @property
    def num_edges(self) -> int:
        """Number of undirected edges (half the columns of ``edge_index``)."""
        return self.edge_index.shape[1] // 2

    def __repr__(self) -> str:
        y = "" if self.y is None else f", y={tuple(self.y.shape)}, classes={self.classes}"
        return (f"GraphData(num_nodes={self.num_nodes}, num_edges={self.num_edges}, "
                f"x={tuple(self.x.shape)}{y})")


def to_undirected(edge_index: torch.Tensor, num_nodes: int | None = None) -> torch.Tensor:
    """Both directions of every edge, sorted, without duplicates or self loops.

    >>> to_undirected(torch.tensor([[0, 1], [1, 2]])).tolist()
    [[0, 1, 1, 2], [1, 0, 2, 1]]
    """
    edge_index = _check_edge_index(edge_index, num_nodes)
    if num_nodes is None:
        num_nodes = int(edge_index.max()) + 1 if edge_index.numel() else 1
    n = max(num_nodes, 1)
    src, dst = edge_index
    keep = src != dst
    both = torch.cat([torch.stack([src[keep], dst[keep]]), torch.stack([dst[keep], src[keep]])], 1)
    codes = torch.unique(both[0] * n + both[1])  # sorted by (source, target)
    return torch.stack([codes // n, codes % n])


def from_networkx(graph, *, label: str | None = None, features: str = "identity") -> GraphData:
    """Convert an undirected ``networkx.Graph`` to :class:`GraphData`.

    ``label`` names a node attribute (e.g. ``"club"``) turned into integer labels (classes in
    sorted order). ``features`` is ``"identity"`` (one-hot node id: the model learns one vector
    per user), ``"degree"`` (one column: the node degree) or ``"ones"``.

    >>> import networkx as nx
    >>> data = from_networkx(nx.karate_club_graph(), label="club")
    >>> data
    GraphData(num_nodes=34, num_edges=78, x=(34, 34), y=(34,), classes=['Mr. Hi', 'Officer'])
    """
    if graph.is_directed():
        raise ValueError("from_networkx expects an undirected graph; call graph.to_undirected() first.")
    nodes: list[Hashable] = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        raise ValueError("The graph has no nodes.")
    index = {node: i for i, node in enumerate(nodes)}
    pairs = [(index[u], index[v]) for u, v in graph.edges()]
    edges = torch.tensor(pairs, dtype=torch.long).T if pairs else torch.empty(2, 0, dtype=torch.long)
    edge_index = to_undirected(edges, n)
    if features == "identity":
        x = torch.eye(n)
    elif features == "degree":
        x = torch.tensor([[float(graph.degree(v))] for v in nodes])
    elif features == "ones":
        x = torch.ones(n, 1)
    else:
        raise ValueError(f"Unknown features={features!r}; use 'identity', 'degree' or 'ones'.")
    y, classes = None, []
    if label is not None:
        missing = [v for v in nodes if label not in graph.nodes[v]]
        if missing:
            raise KeyError(f"{len(missing)} node(s) have no attribute {label!r} (e.g. node "
                           f"{missing[0]!r}); available: {sorted(graph.nodes[nodes[0]])}.")
        values = [graph.nodes[v][label] for v in nodes]
        classes = sorted(set(values))
        y = torch.tensor([classes.index(v) for v in values], dtype=torch.long)
    return GraphData(edge_index, x, y, classes, nodes)


def _check_edge_index(edge_index: torch.Tensor, num_nodes: int | None = None) -> torch.Tensor:
    if not isinstance(edge_index, torch.Tensor):
        raise TypeError(f"edge_index must be a torch.Tensor, got {type(edge_index).__name__}.")
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, num_edges), got {tuple(edge_index.shape)}. "
                         "If you have a list of (u, v) pairs, use torch.tensor(pairs).T.")
    if edge_index.dtype != torch.long:
        raise TypeError(f"edge_index must hold integers (torch.long), got {edge_index.dtype}.")
    if edge_index.numel():
        lo, hi = int(edge_index.min()), int(edge_index.max())
        if lo < 0 or (num_nodes is not None and hi >= num_nodes):
            raise ValueError(f"edge_index refers to node {lo if lo < 0 else hi}, outside "
                             f"0..{(num_nodes or 0) - 1} (num_nodes={num_nodes}).")
    return edge_index


# --------------------------------------------------------------------------- normalization
def normalized_adjacency(edge_index: torch.Tensor, num_nodes: int, *,
                         add_self_loops: bool = True) -> torch.Tensor:
    """The GCN propagation matrix ``D^-1/2 (A + I) D^-1/2`` as a sparse COO tensor (N×N).

    ``A[i, j] = 1`` for each edge ``j -> i`` (duplicates count once; existing self loops are
    replaced by one loop of weight 1, as PyG's ``GCNConv`` does); ``D`` is the diagonal of row
    sums of ``A + I``. A node without neighbours keeps only its self loop (without self loops its
    row is all zero instead of dividing by zero). Works on whatever device ``edge_index`` is on.

    >>> adj = normalized_adjacency(torch.tensor([[0, 1], [1, 0]]), 2)
    >>> adj.to_dense()
    tensor([[0.5000, 0.5000],
            [0.5000, 0.5000]])
    """
    _check_edge_index(edge_index, num_nodes)
    if num_nodes <= 0:
        raise ValueError(f"num_nodes must be positive, got {num_nodes}.")
    src, dst = edge_index
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if add_self_loops:
        loops = torch.arange(num_nodes, device=edge_index.device)
        src, dst = torch.cat([src, loops]), torch.cat([dst, loops])
    values = torch.ones(src.numel(), device=edge_index.device)
    adj = torch.sparse_coo_tensor(torch.stack([dst, src]), values, (num_nodes, num_nodes),
                                  check_invariants=True).coalesce()
    rows, cols = adj.indices()
    weights = torch.ones_like(adj.values())  # duplicates count once
    degree = torch.zeros(num_nodes, device=edge_index.device).index_add_(0, rows, weights)
    inv_sqrt = degree.pow(-0.5)
    inv_sqrt[degree == 0] = 0.0
    return torch.sparse_coo_tensor(adj.indices(), inv_sqrt[rows] * weights * inv_sqrt[cols],
                                   (num_nodes, num_nodes), is_coalesced=True, check_invariants=False)


#: The largest graph whose adjacency :func:`adjacency_for_device` will densify on a backend without
#: sparse products: a float32 8,192 × 8,192 matrix is 256 MiB. A 100,000-node graph would need 40 GB.
MAX_DENSE_NODES = 8192


def supports_sparse_mm(device: torch.device | str) -> bool:
    """Whether ``torch.sparse.mm`` (sparse COO × dense) works on ``device`` in this PyTorch build.

    CPU and CUDA support it; some Apple MPS builds do not. Tries a 2×2 product once.

    >>> supports_sparse_mm("cpu")
    True
    """
    device = torch.device(device)
    try:
        eye = torch.eye(2).to_sparse().to(device)
        torch.sparse.mm(eye, torch.ones(2, 1, device=device))
        return True
    except (RuntimeError, NotImplementedError, TypeError):
        return False


def dense_adjacency_bytes(num_nodes: int) -> int:
    """Memory of a dense float32 ``num_nodes × num_nodes`` adjacency, in bytes.

    >>> dense_adjacency_bytes(100_000) / 1e9
    40.0
    """
    return 4 * int(num_nodes) ** 2


def adjacency_for_device(adj: torch.Tensor, device: torch.device | str, *,
                         max_dense_nodes: int = MAX_DENSE_NODES) -> torch.Tensor:
    """Move a sparse adjacency to ``device``; on a backend that cannot multiply sparse matrices
    (some Apple MPS builds) fall back to a dense copy, with a warning, but only for graphs of at
    most ``max_dense_nodes`` nodes: a larger one raises ``MemoryError`` instead of allocating
    ``4 N²`` bytes (keep such a graph's adjacency on the CPU, or sample sub-graphs).

    >>> adjacency_for_device(torch.eye(2).to_sparse(), "cpu").is_sparse
    True
    """
    device = torch.device(device)
    if not adj.is_sparse:
        return adj.to(device)
    if supports_sparse_mm(device):
        return adj.to(device)
    n = adj.shape[0]
    if max(adj.shape) > max_dense_nodes:
        raise MemoryError(
            f"Sparse matrix products are not supported on {device.type} here, and a dense "
            f"{adj.shape[0]:,} × {adj.shape[1]:,} adjacency would need "
            f"{dense_adjacency_bytes(max(adj.shape)) / 2**30:.1f} GiB (limit: {max_dense_nodes:,} nodes, "
            f"max_dense_nodes). Keep this graph on the CPU: adjacency_for_device(adj, 'cpu').")
    warnings.warn(f"Sparse matrix products are not supported on {device.type} here; using a "
                  f"dense adjacency ({n} × {n}) instead (fine for small graphs).", stacklevel=2)
    return adj.to_dense().to(device)


# --------------------------------------------------------------------------- GCN
class GCNLayer(nn.Module):
    """One graph convolution (Kipf & Welling): ``H' = Â · (H W^T) + b``.

    Each node's new vector is the degree-normalized average of its neighbours' (and its own)
    transformed vectors. ``adj`` is :func:`normalized_adjacency` (sparse or dense). Parameter
    names and initialization (Glorot weight, zero bias) match ``torch_geometric.nn.GCNConv``,
    so ``conv.lin.weight`` and ``conv.bias`` can be copied across.

    >>> layer = GCNLayer(4, 3)
    >>> adj = normalized_adjacency(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
    >>> layer(torch.randn(3, 4), adj).shape
    torch.Size([3, 3])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.lin = nn.Linear(in_features, out_features, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        if adj.shape[0] != x.shape[0] or adj.shape[1] != x.shape[0]:
            raise ValueError(f"adj has shape {tuple(adj.shape)} but x has {x.shape[0]} nodes; "
                             "build adj with normalized_adjacency(edge_index, num_nodes=x.shape[0]).")
        h = self.lin(x)                                    # transform: (N, out)
        out = torch.sparse.mm(adj, h) if adj.is_sparse else adj @ h   # aggregate neighbours
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"{self.lin.in_features}, {self.lin.out_features}, bias={self.bias is not None}"


class GCN(nn.Module):
    """Two GCN layers with a non-linearity and dropout in between: ``Â σ(Â X W1) W2``.

    :meth:`embed` returns the hidden node vectors (after the activation).

    >>> model = GCN(3, 8, 2)
    >>> adj = normalized_adjacency(torch.tensor([[0, 1], [1, 0]]), 3)
    >>> model(torch.eye(3), adj).shape
    torch.Size([3, 2])
    """

    def __init__(self, in_features: int, hidden_features: int, out_features: int,
                 dropout: float = 0.5, activation: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = GCNLayer(in_features, hidden_features)
        self.conv2 = GCNLayer(hidden_features, out_features)
        self.activation = activation if activation is not None else nn.ReLU()
        self.dropout = nn.Dropout(dropout)

    def embed(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        return self.activation(self.conv1(self.dropout(x), adj))

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.dropout(self.embed(x, adj)), adj)


# --------------------------------------------------------------------------- GAT
def segment_softmax(scores: torch.Tensor, index: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Softmax of ``scores`` within each group of entries that share the same ``index``.

    For graph attention, ``scores`` holds one score per edge and ``index`` is each edge's
    *target* node: the weights of the messages a node receives sum to 1. The group maximum is
    subtracted first (per group, not globally: a global shift can underflow a whole group to 0/0).
    ``scores`` may have trailing dimensions (one softmax per head). Works on any device.

    >>> w = segment_softmax(torch.tensor([0.0, 0.0, 5.0]), torch.tensor([0, 0, 1]), 2)
    >>> w.tolist()
    [0.5, 0.5, 1.0]
    """
    if index.dim() != 1 or index.shape[0] != scores.shape[0]:
        raise ValueError(f"index must be 1-D with one entry per score; got index {tuple(index.shape)} "
                         f"for scores {tuple(scores.shape)}.")
    idx = index.view(-1, *([1] * (scores.dim() - 1))).expand_as(scores)
    shape = (num_segments, *scores.shape[1:])
    group_max = torch.full(shape, float("-inf"), dtype=scores.dtype, device=scores.device)
    group_max = group_max.scatter_reduce(0, idx, scores.detach(), reduce="amax", include_self=True)
    e = (scores - group_max.gather(0, idx)).exp()
    total = torch.zeros(shape, dtype=scores.dtype, device=scores.device).scatter_add(0, idx, e)
    return e / total.gather(0, idx)


class GATLayer(nn.Module):
    """One graph attention layer (Veličković et al., 2018), one head.

    For every message ``j -> i`` (and a self loop ``i -> i``):
    ``e_ij = LeakyReLU(a_dst · W h_i + a_src · W h_j)``, which is ``a^T [W h_i || W h_j]`` with
    ``a = [a_dst; a_src]``; ``α_ij = softmax_j(e_ij)`` over the messages node ``i`` receives
    (:func:`segment_softmax`); ``h'_i = Σ_j α_ij W h_j + b``. Parameter names (``lin``, ``att_src``,
    ``att_dst``, ``bias``) follow ``torch_geometric.nn.GATConv`` with ``heads=1``. Attention
    dropout is left out. ``forward(..., return_attention=True)`` also returns
    ``(edge_index with self loops, α)``.

    >>> layer = GATLayer(4, 3)
    >>> out, (ei, alpha) = layer(torch.randn(3, 4), torch.tensor([[0, 1], [1, 0]]), return_attention=True)
    >>> out.shape, ei.shape[1], round(alpha[ei[1] == 0].sum().item(), 5)
    (torch.Size([3, 3]), 5, 1.0)
    """

    def __init__(self, in_features: int, out_features: int, negative_slope: float = 0.2,
                 bias: bool = True) -> None:
        super().__init__()
        self.lin = nn.Linear(in_features, out_features, bias=False)
        self.att_src = nn.Parameter(torch.empty(out_features))
        self.att_dst = nn.Parameter(torch.empty(out_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self.negative_slope = negative_slope
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        bound = (6.0 / (1 + self.lin.out_features)) ** 0.5   # Glorot for a (1, out) vector, as PyG
        nn.init.uniform_(self.att_src, -bound, bound)
        nn.init.uniform_(self.att_dst, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, return_attention: bool = False):
        n = x.shape[0]
        _check_edge_index(edge_index, n)
        src, dst = edge_index[:, edge_index[0] != edge_index[1]]        # existing loops replaced
        loops = torch.arange(n, device=edge_index.device)
        src, dst = torch.cat([src, loops]), torch.cat([dst, loops])
        h = self.lin(x)                                                 # W h: (N, out)
        scores = F.leaky_relu((h @ self.att_dst).index_select(0, dst)
                              + (h @ self.att_src).index_select(0, src),
                              self.negative_slope)                      # one score per message
        alpha = segment_softmax(scores, dst, n)                         # over each target's messages
        out = torch.zeros_like(h).index_add_(0, dst, alpha.unsqueeze(1) * h.index_select(0, src))
        if self.bias is not None:
            out = out + self.bias
        return (out, (torch.stack([src, dst]), alpha)) if return_attention else out

    def extra_repr(self) -> str:
        return f"{self.lin.in_features}, {self.lin.out_features}, bias={self.bias is not None}"


# --------------------------------------------------------------------------- link prediction
def _generator(seed: int | torch.Generator | None) -> torch.Generator:
    if isinstance(seed, torch.Generator):
        return seed
    g = torch.Generator()
    g.manual_seed(0 if seed is None else int(seed))
    return g


def negative_sampling(edge_index: torch.Tensor, num_nodes: int, num_samples: int, *,
                      seed: int | torch.Generator | None = 0,
                      exclude: torch.Tensor | None = None) -> torch.Tensor:
    """Sample ``num_samples`` distinct node pairs ``(u, v)`` with ``u < v`` that are NOT edges.

    "Not an edge" means neither ``(u, v)`` nor ``(v, u)`` appears in ``edge_index`` (or in the
    optional ``exclude``, e.g. negatives already drawn for another split), and ``u != v``.
    Sampling is uniform and reproducible for a given ``seed``. Returns a (2, num_samples) tensor
    on the CPU.

    >>> neg = negative_sampling(torch.tensor([[0, 1], [1, 2]]), 4, 3, seed=0)
    >>> sorted(map(tuple, neg.T.tolist()))
    [(0, 2), (0, 3), (2, 3)]
    """
    _check_edge_index(edge_index, num_nodes)
    if num_samples < 0:
        raise ValueError(f"num_samples must be >= 0, got {num_samples}.")
    known = edge_index.cpu()
    if exclude is not None:
        known = torch.cat([known, _check_edge_index(exclude, num_nodes).cpu()], 1)
    lo, hi = torch.minimum(known[0], known[1]), torch.maximum(known[0], known[1])
    taken = torch.unique(lo[lo != hi] * num_nodes + hi[lo != hi])
    available = num_nodes * (num_nodes - 1) // 2 - taken.numel()
    if num_samples > available:
        raise ValueError(f"Asked for {num_samples} negative pairs but this graph has only "
                         f"{available} non-edges among {num_nodes} nodes.")
    g = _generator(seed)
    if num_samples > available // 2:  # dense regime: enumerate every non-edge, then pick
        iu = torch.triu_indices(num_nodes, num_nodes, offset=1)
        codes = iu[0] * num_nodes + iu[1]
        codes = codes[~torch.isin(codes, taken)]
        chosen = codes[torch.randperm(codes.numel(), generator=g)[:num_samples]]
    else:  # sparse regime: draw candidates in bulk and reject edges, loops and repeats
        chosen = torch.empty(0, dtype=torch.long)
        while chosen.numel() < num_samples:
            k = 2 * (num_samples - chosen.numel()) + 16
            u = torch.randint(num_nodes, (k,), generator=g)
            v = torch.randint(num_nodes, (k,), generator=g)
            cand = torch.minimum(u, v) * num_nodes + torch.maximum(u, v)
            cand = cand[(u != v) & ~torch.isin(cand, taken) & ~torch.isin(cand, chosen)]
            _, first = np.unique(cand.numpy(), return_index=True)  # keep draw order
            cand = cand[torch.from_numpy(np.sort(first))]
            chosen = torch.cat([chosen, cand[: num_samples - chosen.numel()]])
    return torch.stack([chosen // num_nodes, chosen % num_nodes])


@dataclass
class EdgeSplit:
    """Edges split for link prediction (every pair as ``(u, v)`` with ``u < v``).

    ``train_edge_index`` (both directions) is the graph the model may see; ``*_pos`` are true
    friendships, ``*_neg`` sampled non-edges (never edges of the full graph, disjoint across
    splits).
    """

    train_edge_index: torch.Tensor
    train_pos: torch.Tensor
    val_pos: torch.Tensor
    val_neg: torch.Tensor
    test_pos: torch.Tensor
    test_neg: torch.Tensor
    num_nodes: int

    def __repr__(self) -> str:
        return (f"EdgeSplit(num_nodes={self.num_nodes}, train={self.train_pos.shape[1]}, "
                f"val={self.val_pos.shape[1]}+{self.val_neg.shape[1]} neg, "
                f"test={self.test_pos.shape[1]}+{self.test_neg.shape[1]} neg)")


def _spanning_forest(pairs: np.ndarray, num_nodes: int) -> np.ndarray:
    """Boolean mask of the edges (in the given order) that Kruskal keeps in a spanning forest."""
    parent = list(range(num_nodes))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    keep = np.zeros(len(pairs), dtype=bool)
    for k, (u, v) in enumerate(pairs.tolist()):
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[ru] = rv
            keep[k] = True
    return keep


def split_edges(edge_index: torch.Tensor, num_nodes: int, *, val_ratio: float = 0.05,
                test_ratio: float = 0.1, seed: int = 0, neg_ratio: float = 1.0) -> EdgeSplit:
    """Hold out a share of the undirected edges for validation and testing.

    A random spanning forest always stays in training, so the training graph keeps every node
    connected as in the full graph (no user loses all their friends). Validation/test negatives
    are sampled non-edges of the *full* graph, ``neg_ratio`` per positive, disjoint between
    splits. Reproducible for a given ``seed``.

    >>> import networkx as nx
    >>> data = from_networkx(nx.karate_club_graph())
    >>> split_edges(data.edge_index, data.num_nodes, val_ratio=0.1, test_ratio=0.2)
    EdgeSplit(num_nodes=34, train=54, val=8+8 neg, test=16+16 neg)
    """
    _check_edge_index(edge_index, num_nodes)
    if not (0 <= val_ratio and 0 <= test_ratio and val_ratio + test_ratio < 1):
        raise ValueError(f"Need 0 <= val_ratio, test_ratio and val_ratio + test_ratio < 1; "
                         f"got {val_ratio} and {test_ratio}.")
    und = to_undirected(edge_index.cpu(), num_nodes)
    pairs = und[:, und[0] < und[1]]
    num_edges = pairs.shape[1]
    g = _generator(seed)
    pairs = pairs[:, torch.randperm(num_edges, generator=g)]
    forest = torch.from_numpy(_spanning_forest(pairs.T.numpy(), num_nodes))
    n_val, n_test = int(round(val_ratio * num_edges)), int(round(test_ratio * num_edges))
    spare = (~forest).nonzero().ravel()  # edges we may hold out, in random order
    if n_val + n_test > spare.numel():
        raise ValueError(f"Cannot hold out {n_val + n_test} of {num_edges} edges without "
                         f"disconnecting the graph (at most {spare.numel()}); lower the ratios.")
    test_idx, val_idx = spare[:n_test], spare[n_test:n_test + n_val]
    train_mask = torch.ones(num_edges, dtype=torch.bool)
    train_mask[test_idx] = False
    train_mask[val_idx] = False
    train_pos = pairs[:, train_mask]
    val_neg = negative_sampling(und, num_nodes, int(round(neg_ratio * n_val)), seed=g)
    test_neg = negative_sampling(und, num_nodes, int(round(neg_ratio * n_test)), seed=g,
                                 exclude=val_neg)
    return EdgeSplit(to_undirected(train_pos, num_nodes), train_pos, pairs[:, val_idx], val_neg,
                     pairs[:, test_idx], test_neg, num_nodes)


# --------------------------------------------------------------------------- ranking metrics
def link_roc_auc(pos_scores: torch.Tensor, neg_scores: torch.Tensor) -> float:
    """ROC AUC of scores for true edges (positives) versus non-edges (negatives): the chance
    that a random friendship outscores a random non-friendship.

    >>> link_roc_auc(torch.tensor([0.9, 0.8]), torch.tensor([0.1, 0.85]))
    0.75
    """
    if len(pos_scores) == 0 or len(neg_scores) == 0:
        raise ValueError("link_roc_auc needs at least one positive and one negative score.")
    pos = torch.as_tensor(pos_scores).detach().float().cpu().ravel()
    neg = torch.as_tensor(neg_scores).detach().float().cpu().ravel()
    labels = torch.cat([torch.ones_like(pos), torch.zeros_like(neg)])
    return roc_auc(labels, torch.cat([pos, neg]))


def _top_k_hits(scores: torch.Tensor, relevant: torch.Tensor, k: int,
                exclude: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    if scores.dim() != 2 or relevant.shape != scores.shape:
        raise ValueError(f"scores and relevant must be 2-D with the same shape (users × items); "
                         f"got {tuple(scores.shape)} and {tuple(relevant.shape)}.")
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"k must be between 1 and the number of items ({scores.shape[1]}), got {k}.")
    scores = scores.detach().float()
    relevant = relevant.bool()
    if exclude is not None:
        if exclude.shape != scores.shape:
            raise ValueError(f"exclude must have shape {tuple(scores.shape)}, got {tuple(exclude.shape)}.")
        scores = scores.masked_fill(exclude.bool(), float("-inf"))
        relevant = relevant & ~exclude.bool()
    top = scores.topk(k, dim=1).indices
    hits = relevant.gather(1, top).sum(1).float()
    return hits, relevant.sum(1).float()


def precision_at_k(scores: torch.Tensor, relevant: torch.Tensor, k: int, *,
                   exclude: torch.Tensor | None = None) -> float:
    """Mean over users of (relevant items among the user's top-``k`` scores) / ``k``.

    ``scores`` and ``relevant`` are (users × items); ``exclude`` marks items never to
    recommend (the user themself, known friends). Users with no relevant item are skipped.

    >>> scores = torch.tensor([[0.9, 0.1, 0.8, 0.3]])
    >>> relevant = torch.tensor([[True, False, False, True]])
    >>> precision_at_k(scores, relevant, k=2)
    0.5
    """
    hits, n_rel = _top_k_hits(scores, relevant, k, exclude)
    users = n_rel > 0
    if not users.any():
        raise ValueError("No user has a relevant item; precision@k is undefined.")
    return (hits[users] / k).mean().item()


def recall_at_k(scores: torch.Tensor, relevant: torch.Tensor, k: int, *,
                exclude: torch.Tensor | None = None) -> float:
    """Mean over users of (relevant items in the top-``k``) / (relevant items of that user).

    >>> scores = torch.tensor([[0.9, 0.1, 0.8, 0.3]])
    >>> relevant = torch.tensor([[True, False, False, True]])
    >>> recall_at_k(scores, relevant, k=3)
    1.0
    """
    hits, n_rel = _top_k_hits(scores, relevant, k, exclude)
    users = n_rel > 0
    if not users.any():
        raise ValueError("No user has a relevant item; recall@k is undefined.")
    return (hits[users] / n_rel[users]).mean().item()


def pairs_to_dense(pairs: torch.Tensor | Sequence, num_nodes: int) -> torch.Tensor:
    """A symmetric boolean (N×N) matrix with ``True`` at every pair in ``pairs`` (2×K).

    Handy to build the ``relevant`` / ``exclude`` masks of :func:`precision_at_k`.

    >>> pairs_to_dense(torch.tensor([[0], [2]]), 3).int().tolist()
    [[0, 0, 1], [0, 0, 0], [1, 0, 0]]
    """
    pairs = _check_edge_index(torch.as_tensor(pairs), num_nodes).cpu()
    mask = torch.zeros(num_nodes, num_nodes, dtype=torch.bool)
    mask[pairs[0], pairs[1]] = True
    mask[pairs[1], pairs[0]] = True
    return mask
