"""Reproducibility: one call seeds every random number generator the course uses.

>>> g = seed_everything(0)
>>> a = torch.rand(2, generator=g)
>>> g = seed_everything(0)
>>> torch.equal(a, torch.rand(2, generator=g))
True
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int = 0, deterministic: bool = True) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); return a seeded ``torch.Generator``.

    Hand the generator to ``DataLoader(..., generator=g)`` so shuffling is reproducible too.
    With ``deterministic=True`` torch is asked for deterministic algorithms where they exist
    (``warn_only=True``: an op without one warns instead of failing), and cuDNN autotuning is
    switched off. Bitwise reproducibility is promised on the CPU; GPUs get close but not always.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    else:
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.deterministic = False
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
