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


def available(kind: str) -> bool:
    """Whether a device kind ("cuda", "mps", "cpu") can be used in this process (what get_device tries)."""
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
            if available(kind):
                return torch.device(kind)
    name = requested.strip().lower()
    kind = name.split(":", 1)[0]
    if kind in FAKE:
        from .fakegpu import enable

        return enable("mps" if kind == "fakemps" else "cuda")
    if kind not in VALID:
        raise ValueError(f"Unknown device {requested!r}: choose one of {', '.join(VALID + FAKE)} "
                         "(optionally with an index, e.g. 'cuda:0').")
    if not available(kind):
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
    "device_generator": "torch.Generator(device=...) needs a real device; on CUDA a generator must "
                        "be on the same device as the tensor it fills",
    "multi_device": "NCCL and several devices need real GPUs; the simulated device is one device",
}


#: What needs a newer PyTorch than the course's floor (``torch>=`` in pyproject.toml): the first release
#: that has it, and what it is. ``supports`` says why a section is skipped on an older torch.
NEWER_TORCH = {
    # fully_shard is public from 2.6, but on CPU processes (gloo) FSDP2 fails in 2.6 (CPU streams lack
    # record_event) and sums the gradients instead of averaging them in 2.7 and 2.8 (pytorch#162338).
    "fsdp2": ((2, 9), "FSDP2 (torch.distributed.fsdp.fully_shard) on CPU processes with gloo fails before "
                      "torch 2.7 and averages gradients wrongly before 2.9"),
}
#: Features that depend on PyTorch extension points rather than on one release: checked by asking.
PROBED = {
    "fakegpu": "the simulated accelerator (course_lib.fakegpu), built from recent PyTorch extension points",
}


def torch_release(version: str | None = None) -> tuple[int, int]:
    """``(major, minor)`` of ``version`` (default: the running torch), e.g. ``'2.4.1+cu121'`` -> ``(2, 4)``.

    >>> torch_release("2.4.1+cu121")
    (2, 4)
    """
    import re

    found = re.match(r"(\d+)\.(\d+)", str(version or torch.__version__))
    if not found:
        raise ValueError(f"not a torch version: {version!r}")
    return int(found[1]), int(found[2])


def _missing_fakegpu() -> str:
    """What this torch lacks for course_lib.fakegpu ('' when nothing)."""
    from . import fakegpu

    return "; ".join(fakegpu.missing_requirements())


def supports(feature: str, device: torch.device | str | None = None, *,
             torch_version: str | None = None) -> bool:
    """Whether ``feature`` can run here; if not, print why (the reason a notebook section is skipped).

    Two kinds of feature:

    * what the simulated accelerator (``COURSE_DEVICE=fakegpu``) cannot run on ``device`` (default
      :func:`get_device`): ``pin_memory``, ``device_generator``, ``multi_device``. On real
      devices and on the CPU they are supported (the notebook's own checks still apply);
    * what needs a newer PyTorch than the course's floor: ``fsdp2`` (torch 2.9), judged on
      ``torch_version`` (default: the running torch), and ``fakegpu`` (the extension points it is built
      from, asked of the running torch).

    >>> supports("pin_memory", "cpu")
    True
    >>> supports("fsdp2", torch_version="2.4.1")
    Skipped: fsdp2 needs torch 2.9 or newer (this is torch 2.4.1): FSDP2 ... Upgrade torch to run it.
    False
    >>> supports("fsdp2", torch_version="2.9.1")
    True
    """
    if feature in NEWER_TORCH:
        (major, minor), what = NEWER_TORCH[feature]
        version = torch_version or torch.__version__
        if torch_release(version) >= (major, minor):
            return True
        print(f"Skipped: {feature} needs torch {major}.{minor} or newer (this is torch {version}): {what}. "
              "Upgrade torch to run it.")
        return False
    if feature in PROBED:
        missing = _missing_fakegpu()
        if not missing:
            return True
        print(f"Skipped: {PROBED[feature]} needs what torch {torch.__version__} lacks: {missing}. "
              "Upgrade torch to run it.")
        return False
    if feature not in FAKE_LIMITS:
        raise ValueError(f"Unknown feature {feature!r}: choose one of "
                         f"{', '.join([*FAKE_LIMITS, *NEWER_TORCH, *PROBED])}.")
    if not is_fake(device):
        return True
    print(f"Skipped on the simulated accelerator (course_lib.fakegpu): {FAKE_LIMITS[feature]}.")
    return False


# -- capabilities: code paths keyed on what a device does, not on its name -----------------------
# The simulated accelerator (device type 'fakegpu', CUDA flavour) takes CUDA's paths through these,
# so CI runs them without a GPU.

def is_cuda_like(device: torch.device | str | None = None) -> bool:
    """Whether ``device`` (default :func:`get_device`) takes CUDA's code paths: CUDA itself, or the
    simulated accelerator in its CUDA flavour (``COURSE_DEVICE=fakegpu``).

    >>> is_cuda_like("cpu")
    False
    """
    device = torch.device(device) if device is not None else get_device()
    if device.type == "cuda":
        return True
    if is_fake(device):
        from .fakegpu import flavour

        return flavour() == "cuda"
    return False


def amp_dtype(device: torch.device | str | None = None) -> torch.dtype:
    """The 16-bit type of mixed precision (``torch.autocast``) on ``device``: float16 on GPUs, which
    have fast float16 units (CUDA, Apple MPS, and the simulated accelerator in either flavour),
    bfloat16 on the CPU.

    >>> amp_dtype("cpu")
    torch.bfloat16
    """
    device = torch.device(device) if device is not None else get_device()
    return torch.float16 if device.type in ("cuda", "mps") or is_fake(device) else torch.bfloat16


def uses_grad_scaler(device: torch.device | str | None = None) -> bool:
    """Whether mixed-precision training on ``device`` needs ``torch.amp.GradScaler``: with float16
    (:func:`amp_dtype`: GPUs) small gradients underflow to zero unless the loss is scaled up first;
    bfloat16 has float32's range and needs none.

    >>> uses_grad_scaler("cpu")
    False
    """
    return amp_dtype(device) == torch.float16


def synchronize(device: torch.device | str | None = None) -> None:
    """Wait until all work queued on ``device`` has finished; nothing to wait for on the CPU.

    CUDA and MPS run asynchronously (a timer must wait for them); the simulated accelerator runs
    synchronously and counts the call (``course_lib.fakegpu.sync_counts()["synchronize"]``).

    >>> synchronize("cpu")
    """
    device = torch.device(device) if device is not None else get_device()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
    elif is_fake(device):
        torch.fakegpu.synchronize(device)
