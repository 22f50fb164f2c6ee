"""Saving and loading training state safely.

``torch.save`` uses pickle, and unpickling can run arbitrary code. So we always load with
``torch.load(..., weights_only=True)``, which only rebuilds tensors and plain containers, and
we write atomically (temporary file + ``os.replace``) so a crash never leaves half a file.

>>> import torch, tempfile, os
>>> m = torch.nn.Linear(2, 1)
>>> p = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
>>> save_checkpoint(p, model=m, epoch=3)
>>> load_checkpoint(p, model=m)["epoch"]
3
"""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .files import atomic_open

FORMAT = "course_lib.checkpoint/1"


class UnsafeCheckpointError(RuntimeError):
    """The file holds Python objects that ``weights_only=True`` refuses to unpickle."""


class NotACheckpointError(ValueError):
    """The file loaded, but it is not a checkpoint written by :func:`save_checkpoint`."""


def atomic_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename it into place."""
    with atomic_open(path, "wb") as fh:
        torch.save(obj, fh)


def safe_load(path: str | os.PathLike, map_location: Any = "cpu") -> Any:
    """``torch.load(path, weights_only=True)`` with errors that say what to do."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No checkpoint at {path}. Check the path, or train first to create it.")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f"Refusing to load {path}: it contains Python objects that are not plain tensors or "
            "containers, and unpickling them could run arbitrary code. Only load files you trust; "
            "re-save such a file as a state_dict (torch.save(model.state_dict(), ...)). "
            f"Details: {err}") from None
    except Exception as err:  # torch raises many types for a file that is not a checkpoint
        raise NotACheckpointError(f"{path} is not a readable PyTorch file ({err}).") from None


def rng_state(generator: torch.Generator | None = None) -> dict[str, Any]:
    """Capture the Python, NumPy and torch RNG states: the CPU's, every CUDA device's, Apple MPS's (plus a
    DataLoader generator's). A resumed run on a GPU draws the same dropout masks only if the device's
    generator is restored too.

    >>> sorted(rng_state())[:3]
    ['numpy', 'python', 'torch']
    """
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        # NumPy's MT19937 key is uint32, which torch 2.4's torch.save cannot write ("KeyError: dtype
        # torch.uint32 is not recognized"): it is stored as int64 (every value fits) and cast back on load.
        "numpy": (np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if torch.backends.mps.is_available():
        state["mps"] = torch.mps.get_rng_state()
    if generator is not None:
        state["generator"] = generator.get_state()
    return state


def set_rng_state(state: dict[str, Any], generator: torch.Generator | None = None) -> None:
    """Restore what :func:`rng_state` captured."""
    version, *rest = state["python"]
    random.setstate((version, tuple(rest[0]), *rest[1:]))
    name, keys, *others = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), *others))  # int64, or uint32 in old files
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if "mps" in state and torch.backends.mps.is_available():
        torch.mps.set_rng_state(state["mps"])
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])


def _plain(value: Any, key: str) -> Any:
    """``value`` as something ``torch.load(weights_only=True)`` accepts, or a ``TypeError`` naming ``key``.

    NumPy scalars become Python numbers, NumPy arrays become tensors, paths become strings, and
    tuples/lists/dicts are converted item by item.
    """
    if isinstance(value, np.generic):  # first: np.float64 is also a float, but pickles as a NumPy object
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str, bytes, torch.Tensor, torch.dtype,
                                           torch.device, torch.Size)):
        return value
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        items = [_plain(v, f"{key}[{i}]") for i, v in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)):
                raise TypeError(f"extra{key}: dictionary key {k!r} is a {type(k).__name__}; "
                                "use str or int keys.")
            out[k] = _plain(v, f"{key}[{k!r}]")
        return out
    raise TypeError(f"extra{key} is a {type(value).__module__}.{type(value).__qualname__}, which "
                    "load_checkpoint (weights_only=True) would refuse to read back. Store plain numbers, "
                    "strings, lists, dicts or tensors (e.g. float(x), str(path), x.tolist()).")


def save_checkpoint(path: str | os.PathLike, *, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None,
                    epoch: int | None = None, extra: dict[str, Any] | None = None,
                    generator: torch.Generator | None = None) -> None:
    """Atomically save model (and optionally optimizer, scheduler, RNG) state.

    ``extra`` may hold plain values (numbers, strings, lists, dicts, tensors), for example the
    training history or the class names. NumPy numbers and arrays and ``Path`` objects are
    converted; anything else raises ``TypeError`` naming the key, *before* anything is written —
    otherwise the file would be one that :func:`load_checkpoint` refuses to read.
    """
    payload: dict[str, Any] = {
        "format": FORMAT,
        "model": model.state_dict(),
        "epoch": None if epoch is None else int(epoch),
        "extra": {k: _plain(v, f"[{k!r}]") for k, v in (extra or {}).items()},
        "rng": rng_state(generator),
    }
    if optimizer is not None:
        payload["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        payload["scheduler"] = scheduler.state_dict()
    atomic_save(payload, path)


def load_checkpoint(path: str | os.PathLike, *, model: torch.nn.Module | None = None,
                    optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None,
                    map_location: Any = "cpu", restore_rng: bool = False,
                    generator: torch.Generator | None = None) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` (safely) and restore state.

    Returns the whole payload (``epoch``, ``extra``, ...). Raises :class:`UnsafeCheckpointError`
    for a pickle that carries arbitrary objects and :class:`NotACheckpointError` for a file that
    is not one of ours.
    """
    payload = safe_load(path, map_location=map_location)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise NotACheckpointError(
            f"{path} is not a course_lib checkpoint (expected a dict with format={FORMAT!r}). "
            "For a bare state_dict use model.load_state_dict(safe_load(path)).")
    if model is not None:
        model.load_state_dict(payload["model"])
    if optimizer is not None and "optimizer" in payload:
        optimizer.load_state_dict(payload["optimizer"])
    if scheduler is not None and "scheduler" in payload:
        scheduler.load_state_dict(payload["scheduler"])
    if restore_rng:
        set_rng_state(payload["rng"], generator)
    return payload


# -- A folder of numbered checkpoints, for jobs that must survive being killed -------------------------
#
# ``step_00000040.pt`` is written atomically; then ``step_00000040.pt.sha256`` (its digest) is written,
# also atomically. A checkpoint counts only when its digest file exists and matches: a file damaged
# later (a bad disk, a copy cut short, a hand edit) is detected and skipped, and so is one whose
# writer was killed between the two writes. Resuming takes the newest good one.

STEP_FILE = "step_{:08d}.pt"


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_step_checkpoint(folder: str | os.PathLike, step: int, *, keep: int = 3, **state: Any) -> Path:
    """Save training state as ``folder/step_NNNNNNNN.pt`` (+ its sha256), keep the newest ``keep``.

    ``state`` is what :func:`save_checkpoint` takes (``model=``, ``optimizer=``, ``extra=``, ...).

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> for s in (10, 20, 30, 40):
    ...     _ = save_step_checkpoint(d, s, keep=2, model=torch.nn.Linear(1, 1))
    >>> [p.name for p in step_checkpoints(d)]
    ['step_00000040.pt', 'step_00000030.pt']
    """
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(f"keep={keep!r}: at least the checkpoint just written must be kept (keep >= 1); "
                         "with keep=0 a restart would silently start again from step 0")
    folder = Path(folder)
    path = folder / STEP_FILE.format(step)
    save_checkpoint(path, **state)
    from .files import atomic_write

    atomic_write(path.with_name(path.name + ".sha256"), f"{_sha256(path)}  {path.name}\n")
    for old in step_checkpoints(folder)[keep:]:
        old.unlink(missing_ok=True)
        old.with_name(old.name + ".sha256").unlink(missing_ok=True)
    return path


def step_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """The numbered checkpoints in ``folder``, newest (highest step) first."""
    return sorted(Path(folder).glob("step_*.pt"), reverse=True)


def checkpoint_problem(path: str | os.PathLike) -> str | None:
    """Why the numbered checkpoint ``path`` cannot be trusted, or ``None`` when it is good."""
    path = Path(path)
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.exists():
        return "no .sha256 file beside it (its writer was stopped before finishing)"
    expected = sidecar.read_text(encoding="utf-8").split()[:1]
    if not expected or expected[0] != _sha256(path):
        return "its sha256 does not match the .sha256 file (the file was damaged or cut short)"
    return None


def latest_good_checkpoint(folder: str | os.PathLike, log=print) -> tuple[Path, dict[str, Any]] | None:
    """The newest checkpoint in ``folder`` that is intact and loads: ``(path, payload)``.

    Each damaged one is reported through ``log`` (one line naming the file and the reason) and the
    next older one is tried. ``None`` when the folder holds no checkpoint at all — the job starts
    from scratch. When checkpoints exist but none is good, raises ``RuntimeError``: silently starting
    again from step 0 would throw away the whole run.
    """
    candidates = step_checkpoints(folder)
    reasons = []
    for path in candidates:
        problem = checkpoint_problem(path)
        if problem is None:
            try:
                return path, load_checkpoint(path)
            except (NotACheckpointError, UnsafeCheckpointError) as err:
                problem = str(err)
        reasons.append(f"{path.name}: {problem}")
        log(f"skipping damaged checkpoint {path.name}: {problem}")
    if candidates:
        raise RuntimeError(f"All {len(candidates)} checkpoints in {folder} are damaged ("
                           + "; ".join(reasons) + "). Refusing to restart from scratch: restore one from a "
                           "backup, or delete the folder to start over on purpose.")
    return None
