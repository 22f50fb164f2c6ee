"""Choosing where tensors live: CUDA, then Apple's MPS, then the CPU.

``COURSE_DEVICE=fakegpu`` (or ``fakemps``) selects the simulated accelerator of
:mod:`course_lib.fakegpu`: it computes on the CPU but fails the way CUDA (or MPS) fails. The few
things it cannot do are checked with :func:`supports`, which prints why a section is skipped.

>>> get_device("cpu")
device(type='cpu')
"""

from __future__ import annotations

import os

import torch

VALID = ("cuda", "mps", "cpu")
#: Simulated accelerators (course_lib.fakegpu): CUDA-like and MPS-like; both are device type 'fakegpu'.
FAKE = ("fakegpu", "fakemps")

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
    if kind in FAKE:
        from .fakegpu import enable

        return enable("mps" if kind == "fakemps" else "cuda")
    if kind not in VALID:
        raise ValueError(f"Unknown device {requested!r}: choose one of {', '.join(VALID + FAKE)} "
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
    if is_fake(device):
        from .fakegpu import flavour

        return f"{device} (simulated {flavour().upper()} on the CPU: course_lib.fakegpu)"
    return str(device)


def is_fake(device: torch.device | str | None = None) -> bool:
    """Whether ``device`` (default: :func:`get_device`) is the simulated accelerator ``fakegpu``.

    >>> is_fake("cpu")
    False
    """
    device = torch.device(device) if device is not None else get_device()
    return device.type == "fakegpu"


#: What the simulated accelerator cannot do, and what a learner on real hardware should know.
FAKE_LIMITS = {
    "pin_memory": "DataLoader(pin_memory=True) needs page-locked host memory, which only a real "
                  "accelerator provides (on CUDA it speeds up host-to-GPU copies)",
    "amp": "torch.autocast/GradScaler need a real CUDA (or MPS/CPU) backend; on CUDA use float16 "
           "with a GradScaler, on recent GPUs bfloat16",
    "device_generator": "torch.Generator(device=...) needs a real device; on CUDA a generator must "
                        "be on the same device as the tensor it fills",
    "multi_device": "NCCL and several devices need real GPUs; the simulated device is one device",
}


def supports(feature: str, device: torch.device | str | None = None) -> bool:
    """Whether ``feature`` can run on ``device`` (default :func:`get_device`); if not, print why.

    The one check notebooks use to skip what the simulated accelerator (``COURSE_DEVICE=fakegpu``)
    cannot run: ``pin_memory``, ``amp``, ``device_generator``, ``multi_device``. On real devices
    and on the CPU it returns True (the notebook's own checks still apply).

    >>> supports("pin_memory", "cpu")
    True
    """
    if feature not in FAKE_LIMITS:
        raise ValueError(f"Unknown feature {feature!r}: choose one of {', '.join(FAKE_LIMITS)}.")
    if not is_fake(device):
        return True
    print(f"Skipped on the simulated accelerator (course_lib.fakegpu): {FAKE_LIMITS[feature]}.")
    return False
