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
        ("majority chosen on the test labels", """
majority = torch.bincount(test_labels).argmax().item()
return majority, (test_labels == majority).float().mean().item()
"""),
        ("accuracy measured on the training labels", """
majority = torch.bincount(train_labels).argmax().item()
return majority, (train_labels == majority).float().mean().item()
"""),
        ("the largest label instead of the most frequent", """
majority = train_labels.max().item()
return majority, (test_labels == majority).float().mean().item()
"""),
    ],
}
