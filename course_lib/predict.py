"""A minimal inference entry point for a trained digit classifier.

``python -m course_lib predict --checkpoint data/models/mnist_cnn.pt digit.png ...`` prints the
predicted class and its probability for each image. Inputs are validated with errors that say
what is wrong and what to do.

>>> # load_classifier("data/models/mnist_cnn.pt") -> (model, classes)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn


class InputError(ValueError):
    """An input image or checkpoint cannot be used; the message says why and what to do."""


def load_classifier(checkpoint: str | os.PathLike) -> tuple[nn.Module, list[str], tuple[int, int, int]]:
    """Load a course checkpoint holding a SmallCNN; return (model in eval mode, classes, input shape)."""
    from .checkpoint import NotACheckpointError, UnsafeCheckpointError
    from .vision import load_mnist_cnn

    path = Path(checkpoint)
    if not path.is_file():
        raise InputError(f"Checkpoint {path} does not exist. Train notebook 08 first; it saves "
                         "data/models/mnist_cnn.pt.")
    try:
        model = load_mnist_cnn(path)
    except (NotACheckpointError, UnsafeCheckpointError, KeyError, RuntimeError, ValueError) as err:
        raise InputError(f"{path} is not a course_lib SmallCNN checkpoint ({err}). Use the file that "
                         "notebook 08 saves (course_lib.vision.mnist_cnn_path()).") from None
    shape = tuple(int(s) for s in model.info.get("input_shape", (1, 28, 28)))
    classes = list(model.info.get("classes") or [str(i) for i in range(10)])
    return model, classes, shape  # type: ignore[return-value]


def load_image(path: str | os.PathLike, shape: tuple[int, int, int] = (1, 28, 28)) -> torch.Tensor:
    """Read an image file as a ``C×H×W`` float tensor in [0, 1], checking channels and size.

    Digits must look like MNIST: a light digit on a dark background, 28×28, one channel.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"Image {path} does not exist.")
    try:
        with Image.open(path) as im:
            im.load()
            mode, size, array = im.mode, im.size, np.asarray(im)
    except (UnidentifiedImageError, OSError) as err:
        raise InputError(f"{path} is not a readable image ({err}).") from None
    channels = 1 if array.ndim == 2 else array.shape[2]
    c, h, w = shape
    if channels != c:
        raise InputError(f"{path} has {channels} channels (mode {mode}); the model expects {c}. "
                         "Convert it to greyscale first, e.g. PIL: Image.open(p).convert('L').")
    if size != (w, h):
        raise InputError(f"{path} is {size[0]}×{size[1]} pixels; the model expects {w}×{h}. "
                         f"Resize it first, e.g. PIL: im.resize(({w}, {h})).")
    x = torch.from_numpy(array.astype(np.float32) / (255.0 if array.dtype == np.uint8 else 1.0))
    return x.reshape(h, w, c).permute(2, 0, 1)


@torch.no_grad()
def predict_images(model: nn.Module, images: torch.Tensor, classes: list[str]) -> list[tuple[str, float]]:
    """Classify a batch ``N×C×H×W``; return (class name, probability) per image."""
    probs = torch.softmax(model(images), dim=1)
    conf, idx = probs.max(dim=1)
    return [(classes[i], c) for i, c in zip(idx.tolist(), conf.tolist())]


def cli_predict(checkpoint: str, images: list[str]) -> int:
    """The ``predict`` command: 0 on success, 2 with a message on bad input."""
    try:
        model, classes, shape = load_classifier(checkpoint)
        batch = torch.stack([load_image(p, shape) for p in images])
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path, (label, conf) in zip(images, predict_images(model, batch, classes)):
        print(f"{path}\t{label}\t{conf:.3f}")
    return 0
