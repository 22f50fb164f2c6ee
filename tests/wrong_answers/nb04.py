"""Plausible wrong answers to notebook 04's exercises."""

WRONG = {
    "exercise-1": [
        ("log of softmax, no max subtracted (overflows)", """
n, c = logits.shape
log_probs = torch.log(torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True))
smooth = torch.full_like(logits, eps / c)
smooth[torch.arange(n), target] += 1 - eps
return -(smooth * log_probs).sum(dim=1).mean()
"""),
        ("true class aimed at 1 - eps, the others at eps / (C - 1)", """
n, c = logits.shape
m = logits.max(dim=1, keepdim=True).values
log_probs = logits - (m + torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True)))
smooth = torch.full_like(logits, eps / (c - 1))
smooth[torch.arange(n), target] = 1 - eps
return -(smooth * log_probs).sum(dim=1).mean()
"""),
        ("smoothing forgotten", """
n, c = logits.shape
m = logits.max(dim=1, keepdim=True).values
log_probs = logits - (m + torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True)))
return -log_probs[torch.arange(n), target].mean()
"""),
        ("normalised over the batch axis", """
n, c = logits.shape
m = logits.max(dim=0, keepdim=True).values
log_probs = logits - (m + torch.log(torch.exp(logits - m).sum(dim=0, keepdim=True)))
smooth = torch.full_like(logits, eps / c)
smooth[torch.arange(n), target] += 1 - eps
return -(smooth * log_probs).sum(dim=1).mean()
"""),
    ],
    "exercise-2": [
        ("weight decay added to the gradient (that is Adam, not AdamW)", """
beta1, beta2 = betas
grad = grad + weight_decay * w
m = beta1 * m + (1 - beta1) * grad
s = beta2 * s + (1 - beta2) * grad ** 2
m_hat = m / (1 - beta1 ** t)
s_hat = s / (1 - beta2 ** t)
return w - lr * m_hat / (s_hat.sqrt() + eps), m, s
"""),
        ("no bias correction", """
beta1, beta2 = betas
w = w * (1 - lr * weight_decay)
m = beta1 * m + (1 - beta1) * grad
s = beta2 * s + (1 - beta2) * grad ** 2
return w - lr * m / (s.sqrt() + eps), m, s
"""),
        ("weight decay applied after the Adam update", """
beta1, beta2 = betas
m = beta1 * m + (1 - beta1) * grad
s = beta2 * s + (1 - beta2) * grad ** 2
m_hat = m / (1 - beta1 ** t)
s_hat = s / (1 - beta2 ** t)
w = w - lr * m_hat / (s_hat.sqrt() + eps)
return w * (1 - lr * weight_decay), m, s
"""),
        ("weight decay forgotten", """
beta1, beta2 = betas
m = beta1 * m + (1 - beta1) * grad
s = beta2 * s + (1 - beta2) * grad ** 2
m_hat = m / (1 - beta1 ** t)
s_hat = s / (1 - beta2 ** t)
return w - lr * m_hat / (s_hat.sqrt() + eps), m, s
"""),
    ],
    "exercise-3": [
        ("ndim > 2 instead of >= 2", """
decay = [p for p in model.parameters() if p.ndim > 2]
no_decay = [p for p in model.parameters() if p.ndim <= 2]
return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
"""),
        ("split by the name 'bias' (LayerNorm's weight still decays)", """
named = list(model.named_parameters())
decay = [p for n, p in named if not n.endswith("bias")]
no_decay = [p for n, p in named if n.endswith("bias")]
return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
"""),
        ("second group without its own weight_decay (AdamW's default 0.01 applies)", """
decay = [p for p in model.parameters() if p.ndim >= 2]
no_decay = [p for p in model.parameters() if p.ndim < 2]
return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay}]
"""),
    ],
}
