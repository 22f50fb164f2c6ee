"""Plausible wrong answers to notebook 00's exercises."""

WRONG = {
    "exercise-1": [
        ("nothing moved", "return batch"),
        ("the labels forgotten", 'return {k: (v.to(device) if k == "x" else v) for k, v in batch.items()}'),
        (".to() called on every value, the list of ids too", "return {k: v.to(device) for k, v in batch.items()}"),
        ("always copies", "return {k: v.clone().to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}"),
        ("edits the caller's dict in place", """
for k, v in batch.items():
    if isinstance(v, torch.Tensor):
        batch[k] = v.to(device)
return batch
"""),
    ],
    "exercise-2": [
        ("the means of the test targets (peeking)", """
means = test_targets.mean(dim=0)
return means, ((test_targets - means) ** 2).mean().item()
"""),
        ("one mean over every number instead of one per column", """
means = train_targets.mean()
return means, ((test_targets - means) ** 2).mean().item()
"""),
        ("the mean along each row (dim=1)", """
means = train_targets.mean(dim=1)
return means, ((test_targets - means.mean()) ** 2).mean().item()
"""),
        ("the median instead of the mean", """
means = train_targets.median(dim=0).values
return means, ((test_targets - means) ** 2).mean().item()
"""),
        ("the error measured on the training targets", """
means = train_targets.mean(dim=0)
return means, ((train_targets - means) ** 2).mean().item()
"""),
        ("a square root: the RMSE, not the MSE", """
means = train_targets.mean(dim=0)
return means, ((test_targets - means) ** 2).mean().sqrt().item()
"""),
        ("squared errors summed over the columns, averaged over the rows only", """
means = train_targets.mean(dim=0)
return means, ((test_targets - means) ** 2).sum(dim=1).mean().item()
"""),
        ("one error per column", """
means = train_targets.mean(dim=0)
return means, ((test_targets - means) ** 2).mean(dim=0)
"""),
    ],
}
