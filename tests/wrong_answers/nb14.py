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
        ("a self loop counted in the degree only (count + 1), not in the sum",
         """src, dst = edge_index
total = torch.zeros_like(x).index_add_(0, dst, x[src])
count = torch.bincount(dst, minlength=x.shape[0]).unsqueeze(1) + 1
return total / count"""),
        ("two self loops instead of none: the node's own vector counted twice",
         """src, dst = edge_index
total = torch.zeros_like(x).index_add_(0, dst, x[src]) + 2 * x
count = torch.bincount(dst, minlength=x.shape[0]).unsqueeze(1) + 2
return total / count"""),
        ("GCN habit: symmetric 1/sqrt(d_i d_j) weights instead of the mean 1/d_i",
         """src, dst = edge_index
deg = torch.bincount(dst, minlength=x.shape[0]).clamp(min=1).float()
w = (deg[src] * deg[dst]).rsqrt().unsqueeze(1)
return torch.zeros_like(x).index_add_(0, dst, x[src] * w)"""),
        ("divided by the sender's out-degree instead of the receiver's in-degree",
         """src, dst = edge_index
out_degree = torch.bincount(src, minlength=x.shape[0]).clamp(min=1).float()
return torch.zeros_like(x).index_add_(0, dst, x[src] / out_degree[src].unsqueeze(1))"""),
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
        ("two self loops in the degree: log(d + 2)",
         _AA_PREFIX + "return torch.sparse.mm(A, A.to_dense() / torch.log(degree + 2)[:, None])"),
        ("each undirected edge counted once: the degree halved",
         _AA_PREFIX + "return torch.sparse.mm(A, A.to_dense() / torch.log((degree / 2).clamp(min=2))[:, None])"),
        ("degree clamped at 3 instead of 2: common neighbours of degree 2 under-weighted",
         _AA_PREFIX + "return torch.sparse.mm(A, A.to_dense() / torch.log(degree.clamp(min=3))[:, None])"),
        ("log base 2 instead of the natural log",
         _AA_PREFIX + "return torch.sparse.mm(A, A.to_dense() / torch.log2(degree.clamp(min=2))[:, None])"),
        ("GCN habit: self loops added to A before the product (A + I)",
         _AA_PREFIX + """A = (A + torch.eye(num_nodes).to_sparse()).coalesce()
return torch.sparse.mm(A, A.to_dense() / torch.log(degree.clamp(min=2))[:, None])"""),
        ("the weight applied twice (A W W A): 1/log(d)^2",
         _AA_PREFIX + "return torch.sparse.mm(A, A.to_dense() / torch.log(degree.clamp(min=2))[:, None] ** 2)"),
    ],
    "exercise-3": [
        ("the mean and max over the whole batch, not per graph",
         """mean = x.mean(0).expand(num_graphs, -1)
maximum = x.max(0).values.expand(num_graphs, -1)
return torch.cat([mean, maximum], dim=1)"""),
        ("sum instead of mean",
         """total = x.new_zeros(num_graphs, x.shape[1]).index_add_(0, batch, x)
index = batch.unsqueeze(1).expand_as(x)
maximum = x.new_full((num_graphs, x.shape[1]), float("-inf")).scatter_reduce(0, index, x, reduce="amax")
return torch.cat([total, maximum], dim=1)"""),
        ("the max starts from zeros: a graph whose values are all negative gets 0",
         """total = x.new_zeros(num_graphs, x.shape[1]).index_add_(0, batch, x)
count = torch.bincount(batch, minlength=num_graphs).clamp(min=1).unsqueeze(1)
index = batch.unsqueeze(1).expand_as(x)
maximum = x.new_zeros(num_graphs, x.shape[1]).scatter_reduce(0, index, x, reduce="amax")
return torch.cat([total / count, maximum], dim=1)"""),
        ("nodes assumed grouped by graph: the batch split by graph sizes in order",
         """sizes = torch.bincount(batch, minlength=num_graphs).tolist()
parts = torch.split(x, sizes)
return torch.stack([torch.cat([p.mean(0), p.max(0).values]) for p in parts])"""),
        ("max before mean: the two halves swapped",
         """total = x.new_zeros(num_graphs, x.shape[1]).index_add_(0, batch, x)
count = torch.bincount(batch, minlength=num_graphs).clamp(min=1).unsqueeze(1)
index = batch.unsqueeze(1).expand_as(x)
maximum = x.new_full((num_graphs, x.shape[1]), float("-inf")).scatter_reduce(0, index, x, reduce="amax")
return torch.cat([maximum, total / count], dim=1)"""),
        ("divided by the average graph size instead of each graph's own size",
         """total = x.new_zeros(num_graphs, x.shape[1]).index_add_(0, batch, x)
index = batch.unsqueeze(1).expand_as(x)
maximum = x.new_full((num_graphs, x.shape[1]), float("-inf")).scatter_reduce(0, index, x, reduce="amax")
return torch.cat([total / (x.shape[0] / num_graphs), maximum], dim=1)"""),
    ],
}
