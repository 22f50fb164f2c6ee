"""Tests for course_lib.graphs: tensors from networkx, GCN normalization and layer, link prediction."""

from __future__ import annotations

import math
import warnings

import networkx as nx
import pytest
import torch

from course_lib.graphs import (
    GCN,
    MAX_DENSE_NODES,
    GATLayer,
    GCNLayer,
    adjacency_for_device,
    dense_adjacency_bytes,
    from_networkx,
    link_roc_auc,
    negative_sampling,
    normalized_adjacency,
    pairs_to_dense,
    precision_at_k,
    recall_at_k,
    segment_softmax,
    split_edges,
    supports_sparse_mm,
    to_undirected,
)

# A 4-node graph: a triangle 0-1-2 plus a pendant node 3 hanging off node 0.
EDGES_4 = torch.tensor([[0, 0, 0, 1], [1, 2, 3, 2]])


def _sets(pairs: torch.Tensor) -> set[tuple[int, int]]:
    return {(min(u, v), max(u, v)) for u, v in pairs.T.tolist()}


# --------------------------------------------------------------------------- graph -> tensors
def test_from_networkx_karate_labels_and_edges():
    data = from_networkx(nx.karate_club_graph(), label="club")
    assert data.num_nodes == 34 and data.num_edges == 78
    assert data.edge_index.shape == (2, 156) and data.edge_index.dtype == torch.long
    assert data.classes == ["Mr. Hi", "Officer"]
    assert data.y[0].item() == 0 and data.y[33].item() == 1
    assert torch.equal(data.x, torch.eye(34))
    # both directions of every edge are present
    assert _sets(data.edge_index) == {(min(u, v), max(u, v)) for u, v in nx.karate_club_graph().edges}


def test_from_networkx_keeps_node_order_for_named_nodes():
    g = nx.les_miserables_graph()
    data = from_networkx(g, features="degree")
    assert data.nodes == list(g.nodes)
    i = data.nodes.index("Valjean")
    assert data.x[i, 0].item() == g.degree("Valjean")


@pytest.mark.parametrize("kwargs, err, match", [
    ({"label": "nope"}, KeyError, "no attribute 'nope'"),
    ({"features": "pixels"}, ValueError, "Unknown features"),
])
def test_from_networkx_errors(kwargs, err, match):
    with pytest.raises(err, match=match):
        from_networkx(nx.karate_club_graph(), **kwargs)


def test_from_networkx_rejects_directed_and_empty():
    with pytest.raises(ValueError, match="undirected"):
        from_networkx(nx.DiGraph([(0, 1)]))
    with pytest.raises(ValueError, match="no nodes"):
        from_networkx(nx.Graph())


def test_to_undirected_dedupes_and_drops_loops():
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 1, 0]])
    assert to_undirected(ei, 3).tolist() == [[0, 0, 1, 2], [1, 2, 0, 0]]


@pytest.mark.parametrize("bad, err, match", [
    (torch.tensor([0, 1]), ValueError, r"shape \(2, num_edges\)"),
    (torch.tensor([[0.0], [1.0]]), TypeError, "torch.long"),
    (torch.tensor([[0], [5]]), ValueError, "outside"),
    ([[0], [1]], TypeError, "torch.Tensor"),
])
def test_bad_edge_index_gives_clear_errors(bad, err, match):
    with pytest.raises(err, match=match):
        normalized_adjacency(bad, 4)


# --------------------------------------------------------------------------- normalization
def test_normalized_adjacency_matches_hand_computation():
    # degrees with self loops: node 0 -> 4, node 1 -> 3, node 2 -> 3, node 3 -> 2
    d = [4, 3, 3, 2]
    links = {(0, 0), (1, 1), (2, 2), (3, 3), (0, 1), (0, 2), (0, 3), (1, 2)}
    expected = torch.zeros(4, 4)
    for i in range(4):
        for j in range(4):
            if (min(i, j), max(i, j)) in links:
                expected[i, j] = 1 / math.sqrt(d[i] * d[j])
    assert expected[0, 3].item() == pytest.approx(1 / math.sqrt(8))
    adj = normalized_adjacency(to_undirected(EDGES_4, 4), 4)
    assert adj.is_sparse and adj.shape == (4, 4)
    torch.testing.assert_close(adj.to_dense(), expected)
    torch.testing.assert_close(adj.to_dense(), adj.to_dense().T)  # symmetric


def test_normalized_adjacency_equals_dense_formula_on_karate():
    data = from_networkx(nx.karate_club_graph())
    a = torch.zeros(34, 34)
    a[data.edge_index[1], data.edge_index[0]] = 1
    a_hat = a + torch.eye(34)
    d_inv_sqrt = a_hat.sum(1).pow(-0.5)
    expected = d_inv_sqrt[:, None] * a_hat * d_inv_sqrt[None, :]
    torch.testing.assert_close(normalized_adjacency(data.edge_index, 34).to_dense(), expected)


def test_normalization_ignores_duplicates_and_existing_loops_and_handles_isolated_nodes():
    clean = normalized_adjacency(torch.tensor([[0, 1], [1, 0]]), 3).to_dense()
    messy = normalized_adjacency(torch.tensor([[0, 1, 0, 1, 0], [1, 0, 1, 1, 0]]), 3).to_dense()
    torch.testing.assert_close(messy, clean)
    assert clean[2].tolist() == [0.0, 0.0, 1.0]  # isolated node keeps its own feature
    no_loops = normalized_adjacency(torch.tensor([[0, 1], [1, 0]]), 3, add_self_loops=False)
    assert no_loops.to_dense()[2].tolist() == [0.0, 0.0, 0.0]  # no division by zero
    with pytest.raises(ValueError, match="num_nodes"):
        normalized_adjacency(torch.empty(2, 0, dtype=torch.long), 0)


def test_adjacency_for_device_keeps_sparse_on_cpu():
    adj = normalized_adjacency(to_undirected(EDGES_4, 4), 4)
    assert adjacency_for_device(adj, "cpu").is_sparse


# --------------------------------------------------------------------------- GCN layer
def test_gcn_layer_sparse_equals_dense_and_has_gradients():
    torch.manual_seed(0)
    adj = normalized_adjacency(to_undirected(EDGES_4, 4), 4)
    layer = GCNLayer(3, 2)
    x = torch.randn(4, 3)
    out = layer(x, adj)
    torch.testing.assert_close(out, adj.to_dense() @ (x @ layer.lin.weight.T) + layer.bias)
    torch.testing.assert_close(layer(x, adj.to_dense()), out)
    out.sum().backward()
    assert layer.lin.weight.grad is not None and layer.bias.grad is not None


def test_gcn_layer_rejects_mismatched_adjacency():
    adj = normalized_adjacency(to_undirected(EDGES_4, 4), 4)
    with pytest.raises(ValueError, match="normalized_adjacency"):
        GCNLayer(3, 2)(torch.randn(5, 3), adj)


def _pyg():
    """PyG is a declared dependency: a failed import must fail the run, not skip it."""
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module("torch_geometric.nn")


def test_pyg_parity_single_layer():
    pyg = _pyg()
    torch.manual_seed(0)
    data = from_networkx(nx.karate_club_graph())
    ours = GCNLayer(34, 8)
    with torch.no_grad():
        ours.bias.normal_()  # a non-zero bias, so the bias is compared too
    conv = pyg.GCNConv(34, 8)
    with torch.no_grad():
        conv.lin.weight.copy_(ours.lin.weight)
        conv.bias.copy_(ours.bias)
    x = torch.randn(34, 34)
    adj = normalized_adjacency(data.edge_index, data.num_nodes)
    torch.testing.assert_close(ours(x, adj), conv(x, data.edge_index), atol=1e-5, rtol=1e-5)


def test_pyg_parity_two_layer_model_outputs_and_gradients():
    pyg = _pyg()
    torch.manual_seed(1)
    data = from_networkx(nx.karate_club_graph(), label="club")
    ours = GCN(34, 16, 2, dropout=0.0)
    conv1, conv2 = pyg.GCNConv(34, 16), pyg.GCNConv(16, 2)
    with torch.no_grad():
        for conv, layer in ((conv1, ours.conv1), (conv2, ours.conv2)):
            conv.lin.weight.copy_(layer.lin.weight)
            conv.bias.copy_(layer.bias)
    adj = normalized_adjacency(data.edge_index, data.num_nodes)
    out_ours = ours(data.x, adj)
    out_pyg = conv2(torch.relu(conv1(data.x, data.edge_index)), data.edge_index)
    torch.testing.assert_close(out_ours, out_pyg, atol=1e-5, rtol=1e-5)
    torch.nn.functional.cross_entropy(out_ours, data.y).backward()
    torch.nn.functional.cross_entropy(out_pyg, data.y).backward()
    torch.testing.assert_close(ours.conv1.lin.weight.grad, conv1.lin.weight.grad, atol=1e-5, rtol=1e-4)


def test_gcn_embed_shape_and_eval_is_deterministic():
    model = GCN(4, 8, 3).eval()
    adj = normalized_adjacency(to_undirected(EDGES_4, 4), 4)
    x = torch.eye(4)
    assert model.embed(x, adj).shape == (4, 8)
    torch.testing.assert_close(model(x, adj), model(x, adj))


# --------------------------------------------------------------------------- negative sampling
@pytest.mark.parametrize("num_samples", [10, 400, 1200])
def test_negative_sampling_never_returns_edges_or_loops(num_samples):
    g = nx.gnm_random_graph(60, 300, seed=3)
    data = from_networkx(g)
    neg = negative_sampling(data.edge_index, 60, num_samples, seed=0)
    assert neg.shape == (2, num_samples)
    pairs = _sets(neg)
    assert len(pairs) == num_samples  # no repeats
    assert (neg[0] < neg[1]).all()  # canonical, no self loops
    assert not pairs & {(min(u, v), max(u, v)) for u, v in g.edges}


def test_negative_sampling_is_seeded_and_respects_exclude():
    ei = from_networkx(nx.karate_club_graph()).edge_index
    a = negative_sampling(ei, 34, 50, seed=7)
    assert torch.equal(a, negative_sampling(ei, 34, 50, seed=7))
    assert not torch.equal(a, negative_sampling(ei, 34, 50, seed=8))
    b = negative_sampling(ei, 34, 50, seed=7, exclude=a)
    assert not _sets(a) & _sets(b)


def test_negative_sampling_all_and_too_many():
    neg = negative_sampling(EDGES_4, 4, 2, seed=0)  # only (1, 3) and (2, 3) are non-edges
    assert _sets(neg) == {(1, 3), (2, 3)}
    with pytest.raises(ValueError, match="only 2 non-edges"):
        negative_sampling(EDGES_4, 4, 3)
    with pytest.raises(ValueError, match=">= 0"):
        negative_sampling(EDGES_4, 4, -1)


# --------------------------------------------------------------------------- edge split
def test_split_edges_is_disjoint_complete_and_keeps_graph_connected():
    g = nx.connected_watts_strogatz_graph(200, 6, 0.2, seed=1)
    data = from_networkx(g)
    split = split_edges(data.edge_index, 200, val_ratio=0.1, test_ratio=0.2, seed=0)
    tr, va, te = _sets(split.train_pos), _sets(split.val_pos), _sets(split.test_pos)
    everything = {(min(u, v), max(u, v)) for u, v in g.edges}
    assert not tr & va and not tr & te and not va & te
    assert tr | va | te == everything
    assert len(te) == round(0.2 * len(everything)) and len(va) == round(0.1 * len(everything))
    vn, tn = _sets(split.val_neg), _sets(split.test_neg)
    assert len(vn) == len(va) and len(tn) == len(te)
    assert not (vn | tn) & everything and not vn & tn
    train_graph = nx.Graph(list(tr))
    train_graph.add_nodes_from(range(200))
    assert nx.is_connected(train_graph)  # every user keeps a path to every other
    assert _sets(split.train_edge_index) == tr and split.train_edge_index.shape[1] == 2 * len(tr)


def test_split_edges_is_seeded_and_validates_ratios():
    ei = from_networkx(nx.karate_club_graph()).edge_index
    a, b = split_edges(ei, 34, seed=3), split_edges(ei, 34, seed=3)
    assert torch.equal(a.test_pos, b.test_pos) and torch.equal(a.test_neg, b.test_neg)
    with pytest.raises(ValueError, match="val_ratio"):
        split_edges(ei, 34, val_ratio=0.6, test_ratio=0.5)
    with pytest.raises(ValueError, match="disconnecting"):
        split_edges(from_networkx(nx.path_graph(5)).edge_index, 5, val_ratio=0.0, test_ratio=0.5)


# --------------------------------------------------------------------------- ranking metrics
def test_precision_and_recall_at_k_tiny_example():
    scores = torch.tensor([[0.9, 0.1, 0.8, 0.3],
                           [0.2, 0.7, 0.6, 0.5],
                           [0.1, 0.2, 0.3, 0.4]])
    relevant = torch.tensor([[1, 0, 0, 1],
                             [0, 0, 1, 0],
                             [0, 0, 0, 0]], dtype=torch.bool)   # user 2 has nothing: skipped
    # user 0: top-2 = {0, 2} -> 1 hit; user 1: top-2 = {1, 2} -> 1 hit
    assert precision_at_k(scores, relevant, 2) == pytest.approx(0.5)
    assert recall_at_k(scores, relevant, 2) == pytest.approx((1 / 2 + 1 / 1) / 2)
    # excluding item 0 for user 0 (a known friend): top-2 = {2, 3} -> 1 hit of 1 relevant left
    exclude = torch.zeros_like(relevant)
    exclude[0, 0] = True
    assert precision_at_k(scores, relevant, 2, exclude=exclude) == pytest.approx(0.5)
    assert recall_at_k(scores, relevant, 2, exclude=exclude) == pytest.approx(1.0)


def test_ranking_metric_errors():
    s = torch.rand(2, 3)
    with pytest.raises(ValueError, match="k must be"):
        precision_at_k(s, torch.ones(2, 3, dtype=torch.bool), 4)
    with pytest.raises(ValueError, match="same shape"):
        recall_at_k(s, torch.ones(3, 3, dtype=torch.bool), 1)
    with pytest.raises(ValueError, match="No user"):
        precision_at_k(s, torch.zeros(2, 3, dtype=torch.bool), 1)


def test_link_roc_auc_and_pairs_to_dense():
    assert link_roc_auc(torch.tensor([3.0, 2.0]), torch.tensor([1.0, 0.0])) == 1.0
    assert link_roc_auc(torch.tensor([0.0]), torch.tensor([1.0])) == 0.0
    with pytest.raises(ValueError, match="at least one"):
        link_roc_auc(torch.tensor([]), torch.tensor([1.0]))
    m = pairs_to_dense(torch.tensor([[0, 1], [3, 2]]), 4)
    assert m.sum().item() == 4 and m[3, 0] and m[0, 3] and m[2, 1]


def test_adjacency_for_device_falls_back_to_dense_with_a_warning(monkeypatch):
    adj = normalized_adjacency(to_undirected(EDGES_4, 4), 4)

    def unsupported(*args, **kwargs):
        raise NotImplementedError("sparse mm not supported on this backend")

    monkeypatch.setattr(torch.sparse, "mm", unsupported)
    with pytest.warns(UserWarning, match="dense adjacency"):
        dense = adjacency_for_device(adj, "cpu")
    assert not dense.is_sparse
    torch.testing.assert_close(dense, adj.to_dense())


def _no_sparse_mm(monkeypatch):
    def unsupported(*args, **kwargs):
        raise NotImplementedError("sparse mm not supported on this backend")

    monkeypatch.setattr(torch.sparse, "mm", unsupported)


def test_supports_sparse_mm_detects_a_backend_without_sparse_products(monkeypatch):
    assert supports_sparse_mm("cpu")
    _no_sparse_mm(monkeypatch)
    assert not supports_sparse_mm("cpu")


def test_adjacency_for_device_never_densifies_a_large_graph(monkeypatch):
    """The dense fallback of a 100,000-node graph would allocate 40 GB: it must refuse, clearly."""
    n = 100_000
    ring = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
    adj = normalized_adjacency(to_undirected(ring, n), n)
    _no_sparse_mm(monkeypatch)
    to_dense_calls = []
    monkeypatch.setattr(torch.Tensor, "to_dense", lambda self, *a, **k: to_dense_calls.append(1))
    with pytest.raises(MemoryError, match=r"37\.3 GiB.*adjacency_for_device\(adj, 'cpu'\)"):
        adjacency_for_device(adj, "cpu")
    assert not to_dense_calls
    assert dense_adjacency_bytes(n) == 40_000_000_000


def test_adjacency_for_device_dense_fallback_limit_is_inclusive_and_configurable(monkeypatch):
    _no_sparse_mm(monkeypatch)
    small = normalized_adjacency(to_undirected(EDGES_4, 4), 4)
    with pytest.warns(UserWarning, match=r"dense adjacency \(4 × 4\)"):
        assert adjacency_for_device(small, "cpu", max_dense_nodes=4).shape == (4, 4)
    with pytest.raises(MemoryError, match="limit: 3 nodes"):
        adjacency_for_device(small, "cpu", max_dense_nodes=3)
    assert MAX_DENSE_NODES ** 2 * 4 <= 2**28          # the default costs at most 256 MiB


# --------------------------------------------------------------------------- GAT
def test_segment_softmax_per_group_and_stable():
    scores = torch.tensor([1.0, 2.0, 3.0, 500.0, -500.0, 0.0])
    index = torch.tensor([0, 0, 0, 1, 1, 2])
    w = segment_softmax(scores, index, 4)
    assert torch.allclose(w[:3], torch.softmax(scores[:3], 0))
    assert torch.allclose(w[3:5], torch.tensor([1.0, 0.0])) and w[5].item() == 1.0
    # far-apart groups: a global shift would underflow group 2 to 0/0
    far = segment_softmax(torch.tensor([-400.0, -401.0, 400.0]), torch.tensor([0, 0, 1]), 2)
    assert torch.isfinite(far).all() and torch.allclose(far[:2].sum(), torch.tensor(1.0))
    multi = segment_softmax(torch.randn(6, 3), index, 3)            # one softmax per head
    assert torch.allclose(torch.zeros(3, 3).index_add_(0, index, multi), torch.ones(3, 3))


def test_gat_layer_matches_dense_loop():
    torch.manual_seed(0)
    layer = GATLayer(3, 2)
    x = torch.randn(4, 3)
    out, (ei, alpha) = layer(x, to_undirected(EDGES_4, 4), return_attention=True)
    A = torch.zeros(4, 4)
    A[EDGES_4[0], EDGES_4[1]] = 1
    A = A + A.T + torch.eye(4)
    h = layer.lin(x)
    for i in range(4):
        nbrs = A[i].nonzero().ravel()
        e = torch.nn.functional.leaky_relu(h[i] @ layer.att_dst + h[nbrs] @ layer.att_src, 0.2)
        assert torch.allclose(out[i], torch.softmax(e, 0) @ h[nbrs] + layer.bias, atol=1e-6)
    assert torch.allclose(torch.zeros(4).index_add_(0, ei[1], alpha), torch.ones(4))


def test_gat_layer_matches_pyg_gatconv():
    pyg = pytest.importorskip("torch_geometric.nn")
    torch.manual_seed(0)
    conv = pyg.GATConv(5, 3, heads=1, add_self_loops=True)
    ours = GATLayer(5, 3)
    lin = conv.lin if getattr(conv, "lin", None) is not None else conv.lin_src
    with torch.no_grad():
        ours.lin.weight.copy_(lin.weight)
        ours.att_src.copy_(conv.att_src.view(-1))
        ours.att_dst.copy_(conv.att_dst.view(-1))
        ours.bias.copy_(conv.bias)
    x = torch.randn(4, 5)
    ei = to_undirected(EDGES_4, 4)
    assert torch.allclose(ours(x, ei), conv(x, ei), atol=1e-5)
