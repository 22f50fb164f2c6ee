"""Plots used across the course. Each returns a matplotlib ``Figure`` and works headless.

>>> import numpy as np
>>> fig = plot_confusion_matrix(np.eye(2, dtype=int), ["a", "b"])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure


def _figure(figsize: tuple[float, float]) -> Figure:
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize)


def plot_history(history, metrics: Sequence[str] = ("loss",), title: str = "Training curves") -> Figure:
    """Train and validation curves per epoch, one panel per metric (``"loss"``, ``"acc"``, ...)."""
    fig = _figure((5 * len(metrics), 3.6))
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    epochs = history["epoch"]
    for ax, name in zip(axes, metrics):
        for split, style in (("train", "-o"), ("val", "-s")):
            values = history[f"{split}_{name}"]
            if any(v == v for v in values):  # skip all-NaN columns
                ax.plot(epochs, values, style, label=split, markersize=3)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(f"{title}: {name}")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def show_images(images, labels: Sequence | None = None, ncols: int = 8, title: str | None = None,
                cmap: str = "gray", size: float = 1.4) -> Figure:
    """A grid of images: a tensor/array ``N×C×H×W`` or ``N×H×W`` (or a list of H×W(×3) arrays)."""
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().float()
        if images.dim() == 4:
            images = images.permute(0, 2, 3, 1)
        images = images.numpy()
    images = [np.asarray(im).squeeze() for im in images]
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    fig = _figure((size * ncols, size * nrows + (0.4 if title else 0)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap if images[i].ndim == 2 else None)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(cm, classes: Sequence[str], title: str = "Confusion matrix",
                          normalize: bool = False) -> Figure:
    """Heat map of a confusion matrix with counts (or row-normalised rates) written in the cells."""
    cm = np.asarray(cm)
    shown = cm / cm.sum(axis=1, keepdims=True).clip(min=1) if normalize else cm
    fig = _figure((1.0 + 0.55 * len(classes), 0.8 + 0.5 * len(classes)))
    ax = fig.subplots()
    im = ax.imshow(shown, cmap="Blues")
    fig.colorbar(im, ax=ax)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    threshold = shown.max() / 2 if shown.size else 0
    for i in range(shown.shape[0]):
        for j in range(shown.shape[1]):
            text = f"{shown[i, j]:.2f}" if normalize else str(cm[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if shown[i, j] > threshold else "black")
    fig.tight_layout()
    return fig
