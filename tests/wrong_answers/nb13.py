"""Plausible wrong answers to notebook 13's exercises."""

_DOT = '''scores = torch.einsum("bh,bsh->bs", query, keys)
weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)
context = torch.einsum("bs,bsh->bh", weights, keys)'''

WRONG = {
    "exercise-1": [
        ("padding mask forgotten",
         _DOT.replace('.masked_fill(~mask, float("-inf"))', "")),
        ("softmax over the batch axis",
         _DOT.replace("softmax(dim=-1)", "softmax(dim=0)")),
        ("scaled by sqrt(H) although the dot score is unscaled",
         _DOT.replace('query, keys)\n', 'query, keys) / math.sqrt(query.size(-1))\n')),
        ("context from the raw scores instead of the weights",
         _DOT.replace('"bs,bsh->bh", weights, keys', '"bs,bsh->bh", scores, keys')),
    ],
    "exercise-2": [
        ("the 5 of the formula forgotten", ("return (length / 6) ** alpha",
                                             "return max(hypotheses, key=lambda h: h[1] / length_penalty(len(h[0]), alpha))[0]")),
        ("alpha as a factor, not an exponent", ("return (5 + length) / 6 * alpha",
                                                 "return max(hypotheses, key=lambda h: h[1] / length_penalty(len(h[0]), alpha))[0]")),
        ("multiplies by the penalty instead of dividing",
         ("return ((5 + length) / 6) ** alpha",
          "return max(hypotheses, key=lambda h: h[1] * length_penalty(len(h[0]), alpha))[0]")),
        ("the worst hypothesis (min instead of max)",
         ("return ((5 + length) / 6) ** alpha",
          "return min(hypotheses, key=lambda h: h[1] / length_penalty(len(h[0]), alpha))[0]")),
    ],
    "exercise-3": [
        ("window ignored: the plain causal mask",
         ("return torch.arange(max_len, device=lengths.device) >= lengths[:, None]",
          "return torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)")),
        ("window one position too wide",
         ("return torch.arange(max_len, device=lengths.device) >= lengths[:, None]",
          "t = torch.arange(T)\ndistance = t[:, None] - t[None, :]\nreturn (distance < 0) | (distance > window)")),
        ("padding mask off by one (> instead of >=)",
         ("return torch.arange(max_len, device=lengths.device) > lengths[:, None]",
          "t = torch.arange(T)\ndistance = t[:, None] - t[None, :]\nreturn (distance < 0) | (distance >= window)")),
        ("inverted mask: True where attending is allowed",
         ("return torch.arange(max_len, device=lengths.device) >= lengths[:, None]",
          "t = torch.arange(T)\ndistance = t[:, None] - t[None, :]\nreturn (distance >= 0) & (distance < window)")),
    ],
}
