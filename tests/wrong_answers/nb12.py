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
        ("[CLS] appended at the end",
         "batch, _, dim = embedded.shape\n"
         "return torch.cat([embedded, cls.reshape(1, 1, dim).expand(batch, 1, dim)], dim=1), lengths + 1"),
        ("lengths not updated",
         "batch, _, dim = embedded.shape\n"
         "return torch.cat([cls.reshape(1, 1, dim).expand(batch, 1, dim), embedded], dim=1), lengths"),
        ("[CLS] added to the first token instead of prepended",
         "out = embedded.clone()\nout[:, 0] = out[:, 0] + cls\nreturn out, lengths + 1"),
    ],
}
