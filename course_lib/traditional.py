"""Simplified → Traditional Chinese (Taiwan phrasing), the one conversion the zh_TW edition is made with.

Below the catalog tooling on purpose: :mod:`course_lib.messages` (the run-time messages learners see) needs
only this, not :mod:`course_lib.i18n` (notebooks, catalogs, polib), and OpenCC is imported on first use.
"""

from __future__ import annotations

import functools
import re

# OpenCC's s2twp is right for general Taiwan phrasing; these are deep-learning terms it gets wrong.
# Applied to the converted text, in order (longest first where they overlap).
TW_OVERRIDES: list[tuple[str, str]] = [
    ("超引數", "超參數"),  # hyperparameter: 參數 (parameter), not 引數 (a function's argument)
    ("引數", "參數"),  # a model's parameters are 參數 in Taiwan's ML writing too
    ("最佳化器", "優化器"),  # PyTorch's optimizer: 優化器 is the common Taiwan usage (torch.optim docs)
]


@functools.lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("s2twp")


def to_traditional(text: str) -> str:
    """Simplified → Traditional Chinese with Taiwan phrasing (OpenCC ``s2twp``) and the course's
    overrides. Code in backticks and formulas in ``$…$`` are left exactly as they are.

    >>> to_traditional("张量的梯度")
    '張量的梯度'
    """
    out = []
    for part in re.split(r"(`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|\]\([^)]*\))", text, flags=re.S):
        if part.startswith(("`", "$", "](")):
            out.append(part)
            continue
        converted = _opencc().convert(part)
        for wrong, right in TW_OVERRIDES:
            converted = converted.replace(wrong, right)
        out.append(converted)
    return "".join(out)
