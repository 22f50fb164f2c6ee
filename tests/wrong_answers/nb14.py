"""Plausible wrong answers to notebook 14's exercises."""

_AA_PREFIX = """ones = torch.ones(edge_index.shape[1])
A = torch.sparse_coo_tensor(edge_index, ones, (num_nodes, num_nodes), check_invariants=True)
degree = torch.zeros(num_nodes).index_add_(0, edge_index[0], ones)
"""

WRONG = {
    "exercise-1": [
        ("messages summed at their source instead of their target (direction swapped)",
         """src, dst = edge_index
total = torch.zeros_like(x).index_add_(0, src, x[dst])
count = torch.bincount(src, minlength=x.shape[0]).clamp(min=1).unsqueeze(1)
return total / count"""),
        ("no clamp: a node without messages divides 0 by 0",
         """src, dst = edge_index
total = torch.zeros_like(x).index_add_(0, dst, x[src])
count = torch.bincount(dst, minlength=x.shape[0]).unsqueeze(1)
return total / count"""),
        ("counts clamped at 2 instead of 1: a node with one neighbour gets half its features",
         """src, dst = edge_index
total = torch.zeros_like(x).index_add_(0, dst, x[src])
count = torch.bincount(dst, minlength=x.shape[0]).clamp(min=2).unsqueeze(1)
return total / count"""),
        ("sum instead of mean",
         """src, dst = edge_index
return torch.zeros_like(x).index_add_(0, dst, x[src])"""),
        ("GCN habit: the node's own vector included in the mean",
         """src, dst = edge_index
total = torch.zeros_like(x).index_add_(0, dst, x[src]) + x
count = torch.bincount(dst, minlength=x.shape[0]).unsqueeze(1) + 1
return total / count"""),
    ],
    "exercise-2": [
        ("common neighbours: the 1/log(degree) weight forgotten",
         _AA_PREFIX + "return torch.sparse.mm(A, A.to_dense())"),
        ("resource allocation: 1/degree instead of 1/log(degree)",
         _AA_PREFIX + "return torch.sparse.mm(A, A.to_dense() / degree.clamp(min=1)[:, None])"),
        ("weighted by the degree of the pair's first node instead of the common neighbour",
         _AA_PREFIX + "return torch.sparse.mm(A, A.to_dense()) / torch.log(degree.clamp(min=2))[:, None]"),
        ("degree counted with a self loop, as in the GCN's D",
         _AA_PREFIX + "return torch.sparse.mm(A, A.to_dense() / torch.log(degree + 1)[:, None])"),
    ],
}
