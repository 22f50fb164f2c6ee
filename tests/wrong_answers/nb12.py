"""Plausible wrong answers to notebook 12's exercises."""

WRONG = {
    "exercise-1": [
        ("conventions swapped",
         "ignore = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)\nreturn ~ignore, ignore"),
        ("the diagonal masked too: a position may not see itself",
         "ignore = torch.ones(T, T, dtype=torch.bool).triu(diagonal=0)\nreturn ignore, ~ignore"),
        ("the past masked instead of the future",
         "ignore = torch.ones(T, T, dtype=torch.bool).tril(diagonal=-1)\nreturn ignore, ~ignore"),
        ("the same mask for both functions",
         "ignore = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)\nreturn ignore, ignore"),
    ],
    "exercise-2": [
        ("rotation the wrong way (a shift by -k; also what the transposed matrix gives)",
         "m = torch.zeros(dim, dim)\n"
         "for i in range(0, dim, 2):\n"
         "    angle = k * 10000 ** (-i / dim)\n"
         "    m[i, i], m[i, i + 1] = math.cos(angle), -math.sin(angle)\n"
         "    m[i + 1, i], m[i + 1, i + 1] = math.sin(angle), math.cos(angle)\n"
         "return m"),
        ("the sine's minus sign forgotten: +sin in both off-diagonal entries (symmetric, not a rotation)",
         "m = torch.zeros(dim, dim)\n"
         "for i in range(0, dim, 2):\n"
         "    angle = k * 10000 ** (-i / dim)\n"
         "    m[i, i], m[i, i + 1] = math.cos(angle), math.sin(angle)\n"
         "    m[i + 1, i], m[i + 1, i + 1] = math.sin(angle), math.cos(angle)\n"
         "return m"),
        ("the minus sign put on both sines: -sin in both off-diagonal entries",
         "m = torch.zeros(dim, dim)\n"
         "for i in range(0, dim, 2):\n"
         "    angle = k * 10000 ** (-i / dim)\n"
         "    m[i, i], m[i, i + 1] = math.cos(angle), -math.sin(angle)\n"
         "    m[i + 1, i], m[i + 1, i + 1] = -math.sin(angle), math.cos(angle)\n"
         "return m"),
        ("frequency from the pair number i/2 instead of 2i",
         "m = torch.zeros(dim, dim)\n"
         "for i in range(0, dim, 2):\n"
         "    angle = k * 10000 ** (-(i // 2) / dim)\n"
         "    m[i, i], m[i, i + 1] = math.cos(angle), math.sin(angle)\n"
         "    m[i + 1, i], m[i + 1, i + 1] = -math.sin(angle), math.cos(angle)\n"
         "return m"),
        ("the shift k left out of the angle",
         "m = torch.zeros(dim, dim)\n"
         "for i in range(0, dim, 2):\n"
         "    angle = 10000 ** (-i / dim)\n"
         "    m[i, i], m[i, i + 1] = math.cos(angle), math.sin(angle)\n"
         "    m[i + 1, i], m[i + 1, i + 1] = -math.sin(angle), math.cos(angle)\n"
         "return m"),
    ],
    "exercise-3": [
        ("padding included: the maximum over every position",
         "return hidden.amax(dim=1)"),
        ("padding zeroed as for the mean: a padded 0 beats a feature whose real values are negative",
         "pad = torch.arange(hidden.shape[1])[None, :] >= lengths[:, None]\nreturn (hidden * (~pad).unsqueeze(-1)).amax(dim=1)"),
        ("padding filled with 0 instead of -inf",
         "pad = torch.arange(hidden.shape[1])[None, :] >= lengths[:, None]\nreturn hidden.masked_fill(pad.unsqueeze(-1), 0.0).amax(dim=1)"),
        ("the mask's convention inverted: the maximum over the padding",
         "pad = torch.arange(hidden.shape[1])[None, :] >= lengths[:, None]\nreturn hidden.masked_fill(~pad.unsqueeze(-1), float('-inf')).amax(dim=1)"),
        ("off by one: the first padding position counted as real",
         "pad = torch.arange(hidden.shape[1])[None, :] > lengths[:, None]\n"
         "return hidden.masked_fill(pad.unsqueeze(-1), float('-inf')).amax(dim=1)"),
        ("the maximum over the features instead of the positions",
         "pad = torch.arange(hidden.shape[1])[None, :] >= lengths[:, None]\nreturn hidden.masked_fill(pad.unsqueeze(-1), float('-inf')).amax(dim=2)"),
        ("section 5's masked mean instead of the maximum",
         "keep = (~(torch.arange(hidden.shape[1])[None, :] >= lengths[:, None])).unsqueeze(-1).float()\n"
         "return (hidden * keep).sum(dim=1) / keep.sum(dim=1)"),
    ],
}
