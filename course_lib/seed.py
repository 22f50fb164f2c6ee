"""Reproducibility: one call seeds every random number generator the course uses.

Notebooks call ``seed_everything()`` with no argument: the seed is then :func:`course_seed`, 0 unless the
environment variable ``COURSE_SEED`` says otherwise. Running a notebook with ``COURSE_SEED=1`` is how you
check that a result is a property of the method, not of one lucky draw (``make robustness`` does it).
The seed changes the training randomness (initial weights, shuffling, dropout, sampled noise); the data
sets' train/validation/test splits stay fixed, so every seed is judged on the same test set.

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


def course_seed() -> int:
    """The course's seed: ``COURSE_SEED`` from the environment (an integer), 0 when unset.

    >>> import os
    >>> course_seed() == int(os.environ.get("COURSE_SEED", "0"))
    True
    """
    raw = os.environ.get("COURSE_SEED", "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"COURSE_SEED={raw!r} is not an integer: set it to e.g. 0, 1 or 2, "
                         "or unset it.") from None


def seed_everything(seed: int | None = None, deterministic: bool = True) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); return a seeded ``torch.Generator``.

    ``seed=None`` (the notebooks' call) uses :func:`course_seed`: 0 unless ``COURSE_SEED`` is set.

    Hand the generator to ``DataLoader(..., generator=g)`` so shuffling is reproducible too.
    With ``deterministic=True`` torch is asked for deterministic algorithms where they exist
    (``warn_only=True``: an op without one warns instead of failing), and cuDNN autotuning is
    switched off. Bitwise reproducibility is promised on the CPU; GPUs get close but not always.
    """
    if seed is None:
        seed = course_seed()
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
