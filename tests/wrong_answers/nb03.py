"""Plausible wrong answers to notebook 03's exercises."""

_LAYERS = "self.layers = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:]))"
_FORWARD_OK = """
for i, layer in enumerate(self.layers):
    x = layer(x)
    if i < len(self.layers) - 1:
        x = torch.relu(x)
return x
"""

WRONG = {
    "exercise-1": [
        ("padding forgotten", "return (size - dilation * (kernel - 1) - 1) // stride + 1"),
        ("off by one", "return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride"),
        ("dilation ignored", "return (size + 2 * padding - kernel) // stride + 1"),
        ("dilation multiplies the whole kernel", "return (size + 2 * padding - dilation * kernel) // stride + 1"),
    ],
    "exercise-2": [
        ("no ReLU between the hidden layers", (_LAYERS, """
for layer in self.layers:
    x = layer(x)
return x
""")),
        ("a ReLU after the last layer too", (_LAYERS, """
for layer in self.layers:
    x = torch.relu(layer(x))
return x
""")),
        ("a ReLU after the first layer only", (_LAYERS, """
for i, layer in enumerate(self.layers):
    x = layer(x)
    if i == 0:
        x = torch.relu(x)
return x
""")),
        ("layers in a plain Python list", (
            "self.layers = [nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]", _FORWARD_OK)),
    ],
    "exercise-3": [
        ("only nn.Linear handled, as in section 7", """
if isinstance(module, nn.Linear):
    nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
    nn.init.zeros_(module.bias)
"""),
        ("fan_out instead of fan_in", """
if isinstance(module, (nn.Conv2d, nn.Linear)):
    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    nn.init.zeros_(module.bias)
"""),
        ("biases left at PyTorch's default", """
if isinstance(module, (nn.Conv2d, nn.Linear)):
    nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
"""),
        ("the ReLU gain forgotten (variance 1/fan_in)", """
if isinstance(module, (nn.Conv2d, nn.Linear)):
    nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="linear")
    nn.init.zeros_(module.bias)
"""),
        ("uniform instead of normal", """
if isinstance(module, (nn.Conv2d, nn.Linear)):
    nn.init.kaiming_uniform_(module.weight, mode="fan_in", nonlinearity="relu")
    nn.init.zeros_(module.bias)
"""),
    ],
}

_SAMPLE = """
with torch.no_grad():
    outs = torch.stack([model(x) for _ in range(samples)])
"""

_DROPOUT_ON = """
model.eval()
for m in model.modules():
    if isinstance(m, nn.Dropout):
        m.train()
"""

WRONG["exercise-4"] = [
    ("model.train(): BatchNorm switched to batch statistics too", "model.train()" + _SAMPLE + """
model.eval()
return outs.mean(dim=0), outs.std(dim=0)
"""),
    ("dropout never switched on", "model.eval()" + _SAMPLE + """
return outs.mean(dim=0), outs.std(dim=0)
"""),
    ("the dropout layers left in training mode afterwards", _DROPOUT_ON + _SAMPLE + """
return outs.mean(dim=0), outs.std(dim=0)
"""),
    ("reduced over the batch instead of the samples", _DROPOUT_ON + _SAMPLE + """
model.eval()
return outs.mean(dim=1), outs.std(dim=1)
"""),
]
