"""Metrics for classifiers. Where writing the metric is not the lesson we lean on scikit-learn.

>>> import torch
>>> accuracy(torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0]))
0.5
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch import nn


def accuracy(output: torch.Tensor, target: torch.Tensor) -> float:
    """Share of rows whose arg-max (or, for one logit per row, ``> 0``) equals ``target``."""
    if output.dim() == 1 or (output.dim() == 2 and output.shape[1] == 1):
        pred = (output.reshape(-1) > 0).long()
    else:
        pred = output.argmax(dim=-1)
    return (pred == target.reshape(pred.shape)).float().mean().item()


@torch.no_grad()
def predict(model: nn.Module, loader: Iterable, device: torch.device | None = None
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``model`` over a loader of ``(*inputs, target)`` batches; return outputs and targets on CPU."""
    from .train import split_batch, to_device

    device = device or next(model.parameters()).device
    model.eval()
    outputs, targets = [], []
    for batch in loader:
        inputs, target = split_batch(to_device(batch, device))
        outputs.append(model(*inputs).float().cpu())
        targets.append(target.cpu())
    return torch.cat(outputs), torch.cat(targets)


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts ``cm[i, j]`` of samples with true class ``i`` predicted as ``j``.

    >>> confusion_matrix([0, 1, 1], [0, 0, 1]).tolist()
    [[1, 0], [1, 1]]
    """
    t, p = _np(y_true).astype(int).ravel(), _np(y_pred).astype(int).ravel()
    n = num_classes or int(max(t.max(initial=0), p.max(initial=0)) + 1)
    cm = np.zeros((n, n), dtype=int)
    np.add.at(cm, (t, p), 1)
    return cm


def classification_report(y_true, y_pred, classes: Sequence[str] | None = None) -> dict:
    """Per-class precision, recall, F1 and support, plus macro averages and accuracy (a dict).

    Print it with ``print(format_report(report))``.
    """
    from sklearn.metrics import classification_report as sk_report

    t, p = _np(y_true).astype(int).ravel(), _np(y_pred).astype(int).ravel()
    labels = list(range(len(classes))) if classes else None
    return sk_report(t, p, labels=labels, target_names=list(classes) if classes else None,
                     output_dict=True, zero_division=0)


def format_report(report: dict, digits: int = 3) -> str:
    """Render :func:`classification_report`'s dict as an aligned text table."""
    rows = [f"{'':>14} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}"]
    for name, vals in report.items():
        if isinstance(vals, dict):
            rows.append(f"{name:>14} {vals['precision']:9.{digits}f} {vals['recall']:9.{digits}f} "
                        f"{vals['f1-score']:9.{digits}f} {int(vals['support']):8d}")
    if "accuracy" in report:
        rows.append(f"{'accuracy':>14} {report['accuracy']:29.{digits}f}")
    return "\n".join(rows)


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve for binary labels and real-valued scores (higher = positive)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(_np(y_true).ravel(), _np(scores).ravel()))


def roc_curve(y_true, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False-positive rates, true-positive rates and thresholds (scikit-learn's ``roc_curve``)."""
    from sklearn.metrics import roc_curve as sk_roc

    return sk_roc(_np(y_true).ravel(), _np(scores).ravel())
