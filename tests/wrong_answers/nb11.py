"""Plausible wrong answers to notebook 11's exercises."""

WRONG = {
    "exercise-1": [
        ("padded with 0 instead of vocab['<pad>']",
         "items = [(vocab(tokenizer(text)), label) for text, label in zip(texts, labels)]\n"
         "return pad_collate(items)"),
        ("batch sorted by length (order of the messages lost)",
         "items = [(vocab(tokenizer(text)), label) for text, label in zip(texts, labels)]\n"
         "return pad_collate(items, pad_index=vocab['<pad>'], sort=True)"),
        ("split on whitespace instead of the tokenizer",
         "items = [(vocab(text.split()), label) for text, label in zip(texts, labels)]\n"
         "return pad_collate(items, pad_index=vocab['<pad>'])"),
    ],
    "exercise-2": [
        ("plain mean: padding included", "return outputs.mean(dim=1)"),
        ("masked sum divided by T, not by the lengths",
         "mask = torch.arange(outputs.shape[1])[None, :] < lengths[:, None]\n"
         "return (outputs * mask.unsqueeze(-1)).sum(dim=1) / outputs.shape[1]"),
        ("off by one: <= keeps the first padding step",
         "mask = torch.arange(outputs.shape[1])[None, :] <= lengths[:, None]\n"
         "return (outputs * mask.unsqueeze(-1)).sum(dim=1) / lengths.unsqueeze(-1).float()"),
    ],
    "exercise-3": [
        ("class frequencies instead of inverse frequencies",
         "counts = torch.bincount(torch.as_tensor(labels), minlength=num_classes).float()\n"
         "return counts / len(labels)"),
        ("num_classes left out of the normalisation",
         "counts = torch.bincount(torch.as_tensor(labels), minlength=num_classes).float()\n"
         "return len(labels) / counts"),
        ("1 / count, not normalised",
         "counts = torch.bincount(torch.as_tensor(labels), minlength=num_classes).float()\n"
         "return 1.0 / counts"),
    ],
    "exercise-4": [
        ("gates read in the order i, f, o, g (not PyTorch's i, f, g, o)",
         "i, f, o, g = (F.linear(x, weight_ih, bias_ih) + F.linear(h, weight_hh, bias_hh)).chunk(4, dim=-1)\n"
         "c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)\n"
         "return torch.sigmoid(o) * torch.tanh(c), c"),
        ("tanh forgotten on the cell state: h' = o * c'",
         "i, f, g, o = (F.linear(x, weight_ih, bias_ih) + F.linear(h, weight_hh, bias_hh)).chunk(4, dim=-1)\n"
         "c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)\n"
         "return torch.sigmoid(o) * c, c"),
        ("the state's bias b_h left out",
         "i, f, g, o = (F.linear(x, weight_ih, bias_ih) + F.linear(h, weight_hh)).chunk(4, dim=-1)\n"
         "c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)\n"
         "return torch.sigmoid(o) * torch.tanh(c), c"),
        ("h' computed from the old cell state",
         "i, f, g, o = (F.linear(x, weight_ih, bias_ih) + F.linear(h, weight_hh, bias_hh)).chunk(4, dim=-1)\n"
         "h = torch.sigmoid(o) * torch.tanh(c)\n"
         "return h, torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)"),
        ("no candidate nonlinearity: c' = f * c + i * g without tanh",
         "i, f, g, o = (F.linear(x, weight_ih, bias_ih) + F.linear(h, weight_hh, bias_hh)).chunk(4, dim=-1)\n"
         "c = torch.sigmoid(f) * c + torch.sigmoid(i) * g\n"
         "return torch.sigmoid(o) * torch.tanh(c), c"),
    ],
}
