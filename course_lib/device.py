"""Choosing where tensors live: CUDA, then Apple's MPS, then the CPU.

>>> get_device("cpu")
device(type='cpu')
"""

from __future__ import annotations

import os

import torch

VALID = ("cuda", "mps", "cpu")

_FIX = {
    "cuda": "install a CUDA build of PyTorch (see https://pytorch.org/get-started/locally/) on a machine "
    "with an NVIDIA GPU and driver, or unset COURSE_DEVICE to fall back automatically",
    "mps": "use an Apple-silicon Mac with macOS 12.3+ and a recent PyTorch, "
    "or unset COURSE_DEVICE to fall back automatically",
    "cpu": "",
}


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps and mps.is_available())
    return True


def get_device(prefer: str | None = None) -> torch.device:
    """Return the device to compute on.

    Order of precedence: ``prefer`` (if given), then the ``COURSE_DEVICE`` environment
    variable, then the first available of CUDA, MPS, CPU. A device index is allowed
    (``"cuda:1"``).

    Raises ``ValueError`` for an unknown name and ``RuntimeError`` when the requested
    device is not available here (the message says how to fix it).

    >>> get_device().type in VALID
    True
    """
    requested = prefer or os.environ.get("COURSE_DEVICE") or None
    if requested is None:
        for kind in VALID:
            if _available(kind):
                return torch.device(kind)
    name = requested.strip().lower()
    kind = name.split(":", 1)[0]
    if kind not in VALID:
        raise ValueError(f"Unknown device {requested!r}: choose one of {', '.join(VALID)} "
                         "(optionally with an index, e.g. 'cuda:0').")
    if not _available(kind):
        source = "prefer=" if prefer else "COURSE_DEVICE="
        raise RuntimeError(f"Device {name!r} was requested ({source}{requested!r}) but is not "
                           f"available on this machine. To fix it: {_FIX[kind]}.")
    return torch.device(name)


def describe(device: torch.device | None = None) -> str:
    """A one-line human description of a device, e.g. ``'cuda:0 (NVIDIA H100)'``."""
    device = device or get_device()
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)
