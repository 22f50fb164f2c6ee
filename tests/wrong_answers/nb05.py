"""Plausible wrong answers to notebook 05's exercises."""

WRONG = {
    "exercise-1": [
        ("balanced instead of the target mix", """
class_sizes = torch.bincount(labels).float()
return 1.0 / class_sizes[labels]
"""),
        ("forgot to divide by the class size", "return target[labels]"),
        ("multiplied by the class size instead of dividing", """
class_sizes = torch.bincount(labels).float()
return target[labels] * class_sizes[labels]
"""),
        ("one weight per class, not per example", """
class_sizes = torch.bincount(labels).float()
return target / class_sizes
"""),
    ],
    "exercise-2": [
        ("batch first instead of time first", """
sequences = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
lengths = torch.tensor([len(s) for s in sequences])
tokens = pad_sequence(sequences, batch_first=True, padding_value=PAD)
mask = torch.arange(tokens.shape[1]).unsqueeze(0) >= lengths.unsqueeze(1)
return tokens, mask, torch.tensor([label for _, label in batch])
"""),
        ("padded with 0, the default, instead of PAD", """
sequences = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
lengths = torch.tensor([len(s) for s in sequences])
tokens = pad_sequence(sequences)
mask = torch.arange(tokens.shape[0]).unsqueeze(0) >= lengths.unsqueeze(1)
return tokens, mask, torch.tensor([label for _, label in batch])
"""),
        ("mask inverted: True at the real tokens", """
sequences = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
lengths = torch.tensor([len(s) for s in sequences])
tokens = pad_sequence(sequences, padding_value=PAD)
mask = torch.arange(tokens.shape[0]).unsqueeze(0) < lengths.unsqueeze(1)
return tokens, mask, torch.tensor([label for _, label in batch])
"""),
        ("mask off by one (> instead of >=)", """
sequences = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
lengths = torch.tensor([len(s) for s in sequences])
tokens = pad_sequence(sequences, padding_value=PAD)
mask = torch.arange(tokens.shape[0]).unsqueeze(0) > lengths.unsqueeze(1)
return tokens, mask, torch.tensor([label for _, label in batch])
"""),
    ],
    "exercise-3": [
        ("average of the per-batch means and standard deviations", """
means, stds = [], []
for x, _ in loader:
    means.append(x.mean(dim=(0, 2, 3)))
    stds.append(x.std(dim=(0, 2, 3), correction=0))
return torch.stack(means).mean(dim=0), torch.stack(stds).mean(dim=0)
"""),
        ("counted images instead of values per channel", """
n, s1, s2 = 0, 0.0, 0.0
for x, _ in loader:
    n += x.shape[0]
    s1 = s1 + x.sum(dim=(0, 2, 3))
    s2 = s2 + (x ** 2).sum(dim=(0, 2, 3))
mean = s1 / n
return mean, (s2 / n - mean ** 2).sqrt()
"""),
        ("forgot to subtract the squared mean", """
n, s1, s2 = 0, 0.0, 0.0
for x, _ in loader:
    n += x.numel() // x.shape[1]
    s1 = s1 + x.sum(dim=(0, 2, 3))
    s2 = s2 + (x ** 2).sum(dim=(0, 2, 3))
return s1 / n, (s2 / n).sqrt()
"""),
        ("summed over the channels too", """
n, s1, s2 = 0, 0.0, 0.0
for x, _ in loader:
    n += x.numel()
    s1 = s1 + x.sum()
    s2 = s2 + (x ** 2).sum()
mean = s1 / n
return mean, (s2 / n - mean ** 2).sqrt()
"""),
    ],
}
