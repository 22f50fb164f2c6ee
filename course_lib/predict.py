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
    """Load a course checkpoint holding a SmallCNN (notebook 08) or the ``ddp_train`` CNN (notebook 15,
    DDP or FSDP); return (model in eval mode, classes, input shape)."""
    from .checkpoint import NotACheckpointError, UnsafeCheckpointError
    from .vision import load_mnist_cnn

    path = Path(checkpoint)
    if not path.is_file():
        raise InputError(f"Checkpoint {path} does not exist. Train notebook 08 first; it saves "
                         "data/models/mnist_cnn.pt.")
    try:
        model = _load_ddp_model(path) or load_mnist_cnn(path)
    except (NotACheckpointError, UnsafeCheckpointError, KeyError, RuntimeError, ValueError) as err:
        raise InputError(f"{path} is not a course_lib SmallCNN checkpoint ({err}). Use the file that "
                         "notebook 08 saves (course_lib.vision.mnist_cnn_path()).") from None
    shape = tuple(int(s) for s in model.info.get("input_shape", (1, 28, 28)))
    classes = list(model.info.get("classes") or [str(i) for i in range(10)])
    return model, classes, shape  # type: ignore[return-value]


def _load_ddp_model(path: Path) -> nn.Module | None:
    """The model of ``course_lib.ddp_train`` (DDP or FSDP run, notebook 15) when ``path`` holds one."""
    from .checkpoint import load_checkpoint
    from .ddp_train import build_model

    payload = load_checkpoint(path)
    if payload.get("extra", {}).get("arch") != "ddp_train":
        return None
    model = build_model()
    model.load_state_dict(payload["model"])
    model.info = {"classes": [str(d) for d in range(10)], "input_shape": [1, 28, 28]}
    return model.eval()


def load_image(path: str | os.PathLike, shape: tuple[int, int, int] = (1, 28, 28)) -> torch.Tensor:
    """Read an image file as a ``C×H×W`` float tensor in [0, 1], checking channels and size.

    Digits must look like MNIST: a light digit on a dark background, 28×28, one channel. A palette image
    is read through its palette (a grey one; a colour palette is refused like any colour image).
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"Image {path} does not exist.")
    try:
        with Image.open(path) as im:
            im.load()
            mode, size, array = im.mode, im.size, np.asarray(im)
            if mode == "P":  # a palette image: the pixels are indices into the palette, not brightness
                array, mode = _through_palette(im, path), "P (read through its palette)"
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
    x = torch.from_numpy(_unit_range(array, path, mode))
    return x.reshape(h, w, c).permute(2, 0, 1)


def _through_palette(im, path: Path) -> np.ndarray:
    """A palette ("P") image's real grey levels (uint8): each index looked up in its palette.

    Many tools save a two-colour digit this way; read as it is stored, the pixels would be the indices 0
    and 1 (brightness 0.004 instead of 1.0) and the model would answer confidently about a black image.
    A palette with colours is refused like any colour image."""
    rgb = np.asarray(im.convert("RGB"))
    if not ((rgb[..., 0] == rgb[..., 1]) & (rgb[..., 1] == rgb[..., 2])).all():
        raise InputError(f"{path} is a colour palette image; the model expects greyscale. Convert it first, "
                         "e.g. PIL: Image.open(p).convert('L').")
    return rgb[..., 0].copy()


def _unit_range(array: np.ndarray, path: Path, mode: str) -> np.ndarray:
    """Pixel values scaled to [0, 1] by the image's real range (8-bit, 16-bit, 1-bit or float).

    A float image must already hold values in [0, 1]; 32-bit integer images must fit 8 or 16 bits.
    Anything else is refused: guessing a scale would give confident wrong answers.
    """
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16 or (mode.startswith("I;16")):
        return array.astype(np.float32) / 65535.0
    if np.issubdtype(array.dtype, np.integer):  # PIL mode "I": 32-bit integers, range unknown
        low, high = int(array.min()), int(array.max())
        if low >= 0 and high <= 255:
            return array.astype(np.float32) / 255.0
        if low >= 0 and high <= 65535:
            return array.astype(np.float32) / 65535.0
        raise InputError(f"{path} holds 32-bit integers from {low} to {high}; save it as an 8-bit or 16-bit "
                         "greyscale PNG.")
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise InputError(f"{path} contains NaN or infinite pixel values.")
        low, high = float(array.min()), float(array.max())
        if low < 0 or high > 1:
            raise InputError(f"{path} is a floating-point image with values from {low:g} to {high:g}; "
                             "the model expects [0, 1]. Divide by the image's maximum (e.g. 255) and save "
                             "it again, or save an 8-bit PNG.")
        return array.astype(np.float32)
    raise InputError(f"{path} has pixels of type {array.dtype} (mode {mode}); save an 8-bit greyscale PNG.")


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
