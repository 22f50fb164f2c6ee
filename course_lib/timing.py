"""Honest timing of PyTorch code on any device (taught in notebook 01).

GPUs run asynchronously: a kernel launch returns before the work is done, so a timer must
wait for the device (``synchronize``) before it reads the clock, and the first runs (warm-up:
memory allocation, kernel selection, compilation) must not be counted.

>>> import torch
>>> t = median_seconds(lambda: torch.ones(8) @ torch.ones(8), torch.device("cpu"), repeats=3)
>>> t > 0
True
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

from .device import synchronize as _synchronize


def synchronize(device: torch.device) -> None:
    """Wait until all work queued on ``device`` has finished (nothing to wait for on the CPU).

    The same as :func:`course_lib.device.synchronize`: CUDA, MPS, and the simulated accelerator
    (``COURSE_DEVICE=fakegpu``, where the call is counted), so its path runs in CI too.
    """
    _synchronize(device)


def median_seconds(fn: Callable[[], object], device: torch.device, repeats: int = 5,
                   warmup: int = 2) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs, after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
