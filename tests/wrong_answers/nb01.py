"""Plausible wrong answers to notebook 01's exercises."""

WRONG = {
    "exercise-1": [
        ("centroid is the sum, not the mean", """
centroids = torch.stack([X_train[y_train == c].sum(dim=0) for c in range(num_classes)])
dists = ((X_query[:, None, :] - centroids[None, :, :]) ** 2).sum(dim=-1)
return dists.argmin(dim=1)
"""),
        ("argmax instead of argmin", """
centroids = torch.stack([X_train[y_train == c].mean(dim=0) for c in range(num_classes)])
dists = ((X_query[:, None, :] - centroids[None, :, :]) ** 2).sum(dim=-1)
return dists.argmax(dim=1)
"""),
        ("argmin over the wrong dimension", """
centroids = torch.stack([X_train[y_train == c].mean(dim=0) for c in range(num_classes)])
dists = ((X_query[:, None, :] - centroids[None, :, :]) ** 2).sum(dim=-1)
return dists.argmin(dim=0)
"""),
        ("1-nearest neighbour instead of the class means", """
dists = ((X_query[:, None, :] - X_train[None, :, :]) ** 2).sum(dim=-1)
return y_train[dists.argmin(dim=1)]
"""),
        ("3-nearest neighbours, majority vote", """
dists = ((X_query[:, None, :] - X_train[None, :, :]) ** 2).sum(dim=-1)
nearest = dists.topk(3, largest=False).indices
return torch.mode(y_train[nearest], dim=1).values
"""),
        ("class sums divided by the number of all rows, not the class's own count", """
centroids = torch.stack([X_train[y_train == c].sum(dim=0) / len(y_train) for c in range(num_classes)])
dists = ((X_query[:, None, :] - centroids[None, :, :]) ** 2).sum(dim=-1)
return dists.argmin(dim=1)
"""),
        ("distance summed over the wrong axis", """
centroids = torch.stack([X_train[y_train == c].mean(dim=0) for c in range(num_classes)])
dists = ((X_query[:, None, :] - centroids[None, :, :]) ** 2).sum(dim=1)
return dists.argmin(dim=1)
"""),
    ],
    "exercise-2": [
        ("one mean and std for the whole table", """
mean, std = x.mean(), x.std()
return torch.where((x - mean).abs() > k * std, mean, x)
"""),
        ("statistics per row instead of per column", """
mean, std = x.mean(dim=1, keepdim=True), x.std(dim=1, keepdim=True)
return torch.where((x - mean).abs() > k * std, mean, x)
"""),
        ("no absolute value: low glitches missed", """
mean, std = x.mean(dim=0, keepdim=True), x.std(dim=0, keepdim=True)
return torch.where(x - mean > k * std, mean, x)
"""),
        ("edits the input in place", """
mean, std = x.mean(dim=0, keepdim=True), x.std(dim=0, keepdim=True)
mask = (x - mean).abs() > k * std
x[mask] = mean.expand_as(x)[mask]
return x
"""),
    ],
    "exercise-3": [
        ("reshape keeps the memory order", "return batch.reshape(batch.shape[0], batch.shape[3], batch.shape[1], batch.shape[2])"),
        ("height and width swapped", "return batch.permute(0, 3, 2, 1)"),
        ("a contiguous copy instead of a view", "return batch.permute(0, 3, 1, 2).contiguous()"),
    ],
}
