"""Plausible wrong answers to notebook 02's exercises."""

WRONG = {
    "exercise-1": [
        ("rows stacked as columns (the transpose)", """
xg = x.detach().clone().requires_grad_(True)
y = f(xg)
rows = []
for i in range(y.numel()):
    e_i = torch.zeros_like(y)
    e_i[i] = 1.0
    (row,) = torch.autograd.grad(y, xg, grad_outputs=e_i, retain_graph=True)
    rows.append(row)
return torch.stack(rows, dim=1)
"""),
        ("the .sum() trick, only right for element-wise f", """
xg = x.detach().clone().requires_grad_(True)
y = f(xg)
(g,) = torch.autograd.grad(y.sum(), xg)
return g.expand(y.numel(), -1)
"""),
        ("x itself made to require gradients", """
x.requires_grad_(True)
y = f(x)
rows = []
for i in range(y.numel()):
    e_i = torch.zeros_like(y)
    e_i[i] = 1.0
    (row,) = torch.autograd.grad(y, x, grad_outputs=e_i, retain_graph=True)
    rows.append(row)
return torch.stack(rows)
"""),
    ],
    "exercise-2": [
        ("grad_output ignored in backward", ("""
out = 1 / (1 + torch.exp(-x))
ctx.save_for_backward(out)
return out
""", """
(out,) = ctx.saved_tensors
return out * (1 - out)
""")),
        ("the derivative of sigmoid taken as sigmoid", ("""
out = 1 / (1 + torch.exp(-x))
ctx.save_for_backward(out)
return out
""", """
(out,) = ctx.saved_tensors
return grad_output * out
""")),
        ("saved the input, used it as if it were the output", ("""
ctx.save_for_backward(x)
return 1 / (1 + torch.exp(-x))
""", """
(x,) = ctx.saved_tensors
return grad_output * x * (1 - x)
""")),
    ],
    "exercise-3": [
        ("gradients never reset", """
a, b, c = (torch.zeros((), requires_grad=True) for _ in range(3))
for _ in range(steps):
    loss = ((a * x**2 + b * x + c - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c):
            p -= lr * p.grad
return a.item(), b.item(), c.item()
"""),
        ("step up the gradient instead of down", """
a, b, c = (torch.zeros((), requires_grad=True) for _ in range(3))
for _ in range(steps):
    loss = ((a * x**2 + b * x + c - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c):
            p += lr * p.grad
            p.grad = None
return a.item(), b.item(), c.item()
"""),
        ("summed instead of mean squared error with the same learning rate", """
a, b, c = (torch.zeros((), requires_grad=True) for _ in range(3))
for _ in range(steps):
    loss = ((a * x**2 + b * x + c - y) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c):
            p -= lr * p.grad
            p.grad = None
return a.item(), b.item(), c.item()
"""),
        ("the x² term forgotten", """
a, b, c = (torch.zeros((), requires_grad=True) for _ in range(3))
for _ in range(steps):
    loss = ((a * x + b * x + c - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c):
            p -= lr * p.grad
            p.grad = None
return a.item(), b.item(), c.item()
"""),
    ],
}

_GRAD = """
xg = x.detach().clone().requires_grad_(True)
(grad,) = torch.autograd.grad(f(xg), xg, create_graph=True)
"""

WRONG["exercise-4"] = [
    ("one product with the all-ones vector: the sum of every Hessian entry, not the trace", _GRAD + """
(hv,) = torch.autograd.grad(grad, xg, grad_outputs=torch.ones_like(xg))
return hv.sum().item()
"""),
    ("the squared gradient in place of the second derivatives", _GRAD + """
return (grad**2).sum().item()
"""),
    ("off by one: entry i + 1 of H e_i, an off-diagonal entry", _GRAD + """
total = 0.0
for i in range(xg.numel()):
    e_i = torch.zeros_like(xg)
    e_i[i] = 1.0
    (column,) = torch.autograd.grad(grad, xg, grad_outputs=e_i, retain_graph=True)
    total += column[(i + 1) % xg.numel()].item()
return total
"""),
]
