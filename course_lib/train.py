"""A small, readable supervised training loop: :func:`fit` and :func:`evaluate`.

Notebook 06 writes this loop by hand first; here it is once, tested, for the later notebooks.
A batch is a tuple ``(*inputs, target)``; the model is called as ``model(*inputs)``.

>>> import torch
>>> from torch.utils.data import DataLoader, TensorDataset
>>> ds = TensorDataset(torch.randn(64, 4), torch.randint(0, 2, (64,)))
>>> history = fit(torch.nn.Linear(4, 2), DataLoader(ds, batch_size=16), epochs=2, progress=False)
>>> len(history)
2
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from .checkpoint import load_checkpoint, save_checkpoint
from .device import amp_dtype, get_device, is_cuda_like, uses_grad_scaler

_log = logging.getLogger(__name__)
Metric = Callable[[torch.Tensor, torch.Tensor], float]
Callback = Callable[[int, dict, nn.Module], Any]


class History:
    """Per-epoch records of a training run.

    ``history.records`` is a list of dicts (``epoch``, ``train_loss``, ``val_loss``,
    ``train_<metric>``, ``val_<metric>``, ``lr``, ``seconds``); ``history["val_loss"]`` is
    one column as a list.
    """

    def __init__(self, records: Iterable[dict] | None = None, monitor: str = "val_loss",
                 mode: str = "min") -> None:
        self.records: list[dict] = list(records or [])
        self.monitor = monitor
        self.mode = mode
        #: The mixed precision fit used: "off", "float16 + GradScaler" or "bfloat16".
        self.amp = "off"

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key: str) -> list:
        """One column; ``nan`` for epochs that lack it (e.g. a metric added on resume).

        A key that no epoch has is a ``KeyError`` (a typo must not read as a column of NaN).
        """
        if self.records and not any(key in r for r in self.records):
            raise KeyError(f"{key!r} is not in the history; columns: {', '.join(self.keys())}")
        return [r.get(key, math.nan) for r in self.records]

    def keys(self) -> list[str]:
        return list(dict.fromkeys(k for r in self.records for k in r))

    def append(self, record: dict) -> None:
        self.records.append(dict(record))

    @property
    def best_epoch(self) -> int | None:
        """The epoch (1-based) with the best monitored value, or None before any epoch."""
        values = [(r[self.monitor], r["epoch"]) for r in self.records if self.monitor in r]
        if not values:
            return None
        pick = min if self.mode == "min" else max
        return pick(values, key=lambda v: v[0])[1]

    @property
    def best(self) -> dict | None:
        """The record of :attr:`best_epoch`."""
        best = self.best_epoch
        return next((r for r in self.records if r["epoch"] == best), None)

    def to_dict(self) -> dict:
        return {"records": self.records, "monitor": self.monitor, "mode": self.mode}

    @classmethod
    def from_dict(cls, data: Mapping) -> History:
        return cls(data["records"], data["monitor"], data["mode"])

    def __repr__(self) -> str:
        last = self.records[-1] if self.records else {}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items()
                          if isinstance(v, float) and k != "seconds")
        return f"History({len(self)} epochs; last: {shown})"


def to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a (nested) tuple/list/dict batch to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def split_batch(batch: Any) -> tuple[tuple, Any]:
    """A batch ``(*inputs, target)`` as ``(inputs, target)``, as :func:`fit` and
    :func:`course_lib.metrics.evaluate` read it; anything else is refused with what to do.

    >>> split_batch((1, 2, 3))
    ((1, 2), 3)
    """
    if not isinstance(batch, (list, tuple)) or len(batch) < 2:
        raise ValueError("Each batch must be a tuple (*inputs, target); got "
                         f"{type(batch).__name__}. Wrap your Dataset to return (x, y).")
    return tuple(batch[:-1]), batch[-1]


def _check_loss(loss: torch.Tensor, epoch: int, step: int) -> float:
    """Check that the loss is a finite scalar; return its value as a Python float."""
    if loss.dim() != 0:
        raise ValueError(f"loss_fn returned a tensor of shape {tuple(loss.shape)}; fit needs a scalar. "
                         "Use reduction='mean' (the default) or call .mean() on the loss.")
    value = loss.item()  # the one host transfer per step; fit reuses it for the running total
    if not math.isfinite(value):
        raise FloatingPointError(
            f"The loss became {value} at epoch {epoch}, step {step}. Things to try: a lower "
            "learning rate, gradient clipping (grad_clip=1.0), checking the inputs for NaN/inf, "
            "or torch.autograd.set_detect_anomaly(True) to find the operation that produced it.")
    return value


def _same_device_hint(err: RuntimeError, device: torch.device) -> RuntimeError:
    msg = str(err)
    if "same device" in msg or "Expected all tensors" in msg:
        return RuntimeError(f"The model and a batch ended up on different devices (fit uses {device}). "
                            "Create extra tensors inside forward() with device=x.device, and register "
                            f"constant tensors as buffers so .to(device) moves them. Original error: {msg}")
    return err


def _run_epoch(model: nn.Module, loader: Iterable, loss_fn: Callable, metrics: Mapping[str, Metric],
               device: torch.device, *, optimizer: torch.optim.Optimizer | None = None,
               grad_clip: float | None = None, scaler: Any = None, autocast: Any = nullcontext,
               epoch: int = 0) -> dict[str, float]:
    training = optimizer is not None
    model.train(training)
    totals = {"loss": 0.0, **{name: 0.0 for name in metrics}}
    count = 0
    grad_mode = torch.enable_grad() if training else torch.no_grad()
    with grad_mode:
        for step, batch in enumerate(loader, start=1):
            inputs, target = split_batch(to_device(batch, device))
            try:
                with autocast():
                    output = model(*inputs)
                    loss = loss_fn(output, target)
            except RuntimeError as err:
                hinted = _same_device_hint(err, device)
                if hinted is err:
                    raise  # not a device problem: the original error, unchanged
                raise hinted from err
            loss_value = _check_loss(loss, epoch, step)
            if training:
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.unscale_(optimizer)
                else:
                    loss.backward()
                if grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
            n = len(target) if hasattr(target, "__len__") else 1
            count += n
            totals["loss"] += loss_value * n
            if metrics:
                scores = output.detach().float()
                for name, fn in metrics.items():
                    totals[name] += float(fn(scores, target)) * n
    if count == 0:
        raise ValueError("The data loader produced no batches. Is the dataset empty, or is "
                         "drop_last=True with fewer samples than batch_size?")
    return {name: total / count for name, total in totals.items()}


def evaluate(model: nn.Module, loader: Iterable, *, loss_fn: Callable | None = None,
             metrics: Mapping[str, Metric] | None = None,
             device: torch.device | None = None) -> dict[str, float]:
    """Average loss and metrics of ``model`` over ``loader``, without gradients.

    >>> # evaluate(model, test_loader, metrics={"acc": accuracy}) -> {"loss": 0.07, "acc": 0.98}
    """
    device = device or next((p.device for p in model.parameters()), None) or get_device()
    model.to(device)
    return _run_epoch(model, loader, loss_fn or nn.CrossEntropyLoss(), metrics or {}, device)


def _check_optimizer(model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """The optimizer must update this model's parameters (not those of a model built earlier)."""
    own = {id(p) for p in model.parameters()}
    given = [p for group in optimizer.param_groups for p in group["params"]]
    foreign = sum(id(p) not in own for p in given)
    if foreign:
        raise ValueError(f"The optimizer holds {foreign} of {len(given)} parameter tensors that do not "
                         "belong to this model, so fit would not train it. Build the optimizer from this "
                         "model, after creating (or re-creating) it: torch.optim.AdamW(model.parameters()).")


def _check_checkpoint_path(path: str | Path | None, resume: bool) -> Path | None:
    """Fail before the first epoch, not after it, on a checkpoint path that cannot work."""
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint_path={str(path)!r} is a directory; give a file name such as "
                                f"{str(path / 'last.pt')!r}.")
    if path.exists() and not resume:
        raise FileExistsError(f"{path} already holds a checkpoint and resume=False would overwrite it. "
                              "Pass resume=True to continue that run, or delete the file / choose another "
                              "path to start a new one.")
    return path


def _amp_context(device: torch.device, amp: bool | str) -> tuple[Any, Callable[[], Any], str]:
    """(GradScaler or None, autocast factory, description). ``"auto"``: on where CUDA's paths run
    (CUDA, and the simulated accelerator ``COURSE_DEVICE=fakegpu``). The type and the scaler follow
    the device: float16 + GradScaler on GPUs, bfloat16 on the CPU."""
    if amp not in (True, False, "auto"):
        raise ValueError(f"amp must be True, False or 'auto', not {amp!r}.")
    use_amp = is_cuda_like(device) if amp == "auto" else amp
    if not use_amp:
        return None, nullcontext, "off"
    dtype = amp_dtype(device)
    scaler = torch.amp.GradScaler(device.type) if uses_grad_scaler(device) else None

    def autocast():
        return torch.autocast(device.type, dtype=dtype)

    return scaler, autocast, str(dtype).removeprefix("torch.") + (" + GradScaler" if scaler else "")


def _resume(path: Path, *, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any,
            device: torch.device, generator: torch.Generator | None, epochs: int,
            patience: int | None) -> tuple[History, dict | None, int]:
    """Load a checkpoint that :func:`fit` wrote; return (history, best weights, first epoch to run)."""
    payload = load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler,
                              map_location=device, restore_rng=True, generator=generator)
    if "history" not in payload.get("extra", {}) or payload.get("epoch") is None:
        raise ValueError(f"{path} was not written by fit() (it has no training history), so fit cannot "
                         "resume it. Load it with course_lib.checkpoint.load_checkpoint instead, or pass a "
                         "new checkpoint_path.")
    history = History.from_dict(payload["extra"]["history"])
    start = payload["epoch"] + 1
    if patience is not None and history.best_epoch is not None \
            and payload["epoch"] - history.best_epoch >= patience:
        start = epochs + 1  # that run had already stopped early: do not train it further
    return history, payload["extra"].get("best_state"), start


def _step_scheduler(scheduler: Any, record: dict, monitor: str) -> None:
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        if monitor not in record:
            raise ValueError(f"ReduceLROnPlateau needs the monitored value {monitor!r}, which is not in the "
                             f"epoch record (keys: {', '.join(record)}). Pass monitor= one of those keys.")
        scheduler.step(record[monitor])
    else:
        scheduler.step()


def fit(model: nn.Module, train_loader: Iterable, *, epochs: int,
        optimizer: torch.optim.Optimizer | None = None, loss_fn: Callable | None = None,
        val_loader: Iterable | None = None, metrics: Mapping[str, Metric] | None = None,
        device: torch.device | None = None, scheduler: Any = None, grad_clip: float | None = None,
        amp: bool | str = "auto", patience: int | None = None, monitor: str = "val_loss",
        mode: str | None = None, restore_best: bool = False,
        checkpoint_path: str | Path | None = None, resume: bool = False,
        callbacks: Iterable[Callback] = (), progress: bool = True) -> History:
    """Train ``model`` for ``epochs`` epochs and return its :class:`History`.

    Each epoch: one pass over ``train_loader`` (forward, loss, backward, optional gradient
    clipping, step), then ``evaluate`` on ``val_loader`` if given, then ``scheduler.step()``.

    * ``amp="auto"`` uses float16 autocast with a gradient scaler on CUDA only, where it pays
      (and on the simulated accelerator ``COURSE_DEVICE=fakegpu``, so CI runs that path);
      ``amp=True`` elsewhere uses float16 + scaler on MPS, bfloat16 on the CPU. ``history.amp``
      says which (``"off"``, ``"float16 + GradScaler"``, ``"bfloat16"``); when it is on, fit
      says so once.
    * ``patience``: stop when ``monitor`` has not improved for that many epochs
      (``mode`` is "min" for losses, "max" otherwise, unless given).
    * ``restore_best``: load the weights of the best epoch at the end.
    * ``checkpoint_path``: save the full state after every epoch; with ``resume=True`` an
      existing checkpoint is loaded and training continues after its epoch — on the CPU the
      result is bitwise identical to an uninterrupted run. An existing file is never
      overwritten with ``resume=False``.
    * ``callbacks``: ``cb(epoch, record, model)``; returning True stops training.
    """
    device = device or get_device()
    model.to(device)
    optimizer = optimizer or torch.optim.AdamW(model.parameters(), lr=1e-3)
    _check_optimizer(model, optimizer)
    checkpoint_path = _check_checkpoint_path(checkpoint_path, resume)
    callbacks = list(callbacks)  # a generator would be used up after the first epoch
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    metrics = dict(metrics or {})
    mode = mode or ("min" if "loss" in monitor else "max")
    if monitor.startswith("val_") and val_loader is None:
        monitor = "train" + monitor[3:]
    history = History(monitor=monitor, mode=mode)
    scaler, autocast, amp_mode = _amp_context(device, amp)
    if amp_mode != "off":
        note = f"fit: mixed precision on {device}: {amp_mode} (amp=False trains in float32)"
        _log.info(note)
        if progress:
            print(note)
    generator = getattr(train_loader, "generator", None)
    start, best_state = 1, None
    if resume and checkpoint_path is not None and checkpoint_path.exists():
        history, best_state, start = _resume(checkpoint_path, model=model, optimizer=optimizer,
                                             scheduler=scheduler, device=device, generator=generator,
                                             epochs=epochs, patience=patience)
    history.amp = amp_mode

    bar = tqdm(range(start, epochs + 1), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        t0 = time.perf_counter()
        train = _run_epoch(model, train_loader, loss_fn, metrics, device, optimizer=optimizer,
                           grad_clip=grad_clip, scaler=scaler, autocast=autocast, epoch=epoch)
        record: dict[str, float] = {"epoch": epoch, **{f"train_{k}": v for k, v in train.items()}}
        if val_loader is not None:
            val = _run_epoch(model, val_loader, loss_fn, metrics, device, epoch=epoch)
            record.update({f"val_{k}": v for k, v in val.items()})
        record["lr"] = optimizer.param_groups[0]["lr"]
        _step_scheduler(scheduler, record, monitor)
        record["seconds"] = time.perf_counter() - t0
        history.append(record)
        if monitor not in record and (patience is not None or restore_best):
            raise ValueError(f"monitor={monitor!r} is not in the epoch record (keys: {', '.join(record)}). "
                             "Pass a metric under that name via metrics={...}, or pick one of the keys.")
        if history.best_epoch == epoch and (restore_best or patience is not None):
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        bar.set_postfix({k: f"{v:.3f}" for k, v in record.items() if k.endswith(("loss", "acc"))})
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, model=model, optimizer=optimizer, scheduler=scheduler,
                            epoch=epoch, generator=generator,
                            extra={"history": history.to_dict(), "best_state": best_state})
        stop = any(cb(epoch, record, model) is True for cb in callbacks)
        if stop or (patience is not None and epoch - (history.best_epoch or epoch) >= patience):
            break
    bar.close()
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    return history
