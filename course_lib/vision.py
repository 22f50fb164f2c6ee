"""Vision helpers taught in notebooks 08 (CNNs on MNIST) and 09 (CT): the course's small CNN,
loading the CNN that notebook 08 trains, saliency and Grad-CAM maps, and readers for the
"full" image formats (MNIST's idx files, MedMNIST's ``.npz`` files).

>>> import torch
>>> model = SmallCNN(num_classes=10, in_channels=1)
>>> model(torch.zeros(2, 1, 28, 28)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .config import data_dir

#: Where notebook 08 saves its trained CNN (under ``data_dir()``).
MNIST_CNN_RELPATH = Path("models") / "mnist_cnn.pt"


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """3×3 convolution (same padding) → batch norm → ReLU → 2×2 max-pool: halves H and W.

    >>> conv_block(1, 8)(torch.zeros(1, 1, 28, 28)).shape
    torch.Size([1, 8, 14, 14])
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SmallCNN(nn.Module):
    """Three conv blocks (16, 32, 64 channels) and a two-layer classifier head.

    Built for 1×28×28 MNIST digits in [0, 1] (notebook 08), but any input of at least 8×8
    pixels works: an adaptive average pool brings the last feature map to 3×3, so the same
    class classifies 64×64 CT slices in notebook 09. ``model.features[-1]`` is the last
    conv block, the usual Grad-CAM layer.

    >>> SmallCNN(num_classes=2, in_channels=2)(torch.zeros(1, 2, 64, 64)).shape
    torch.Size([1, 2])
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 16,
                 hidden: int = 128, dropout: float = 0.3) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.features = nn.Sequential(
            conv_block(in_channels, width),        # 28×28 → 14×14
            conv_block(width, 2 * width),          # 14×14 → 7×7
            conv_block(2 * width, 4 * width),      # 7×7 → 3×3
        )
        self.pool = nn.AdaptiveAvgPool2d(3)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(4 * width * 9, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


class Augmented(torch.utils.data.Dataset):
    """Wrap a dataset of ``(image, label)`` pairs and apply ``transform`` to each image on the fly.

    Used for training-time augmentation (notebooks 08 and 09): every epoch sees a new random
    version of each image, while the wrapped dataset stays untouched for evaluation.

    >>> ds = torch.utils.data.TensorDataset(torch.zeros(2, 1, 4, 4), torch.tensor([0, 1]))
    >>> x, y = Augmented(ds, lambda im: im + 1)[1]
    >>> float(x.mean()), int(y)
    (1.0, 1)
    """

    def __init__(self, base, transform) -> None:
        self.base, self.transform = base, transform

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i):
        x, *rest = self.base[i]
        return (self.transform(x), *rest)


def mnist_cnn_path() -> Path:
    """``data_dir()/models/mnist_cnn.pt``: where notebook 08 saves its CNN."""
    return data_dir() / MNIST_CNN_RELPATH


def load_mnist_cnn(path: str | os.PathLike | None = None, *, device: torch.device | str | None = None,
                   missing_ok: bool = False, accept_fast: bool = True,
                   trained_by: str | None = None) -> SmallCNN | None:
    """Load the MNIST :class:`SmallCNN` that notebook 08 trained, in eval mode.

    The checkpoint's ``extra`` dict (``arch``, ``classes``, ``input_shape``,
    ``test_accuracy``, ``fast``, ``trained_by``) is attached to the model as ``model.info``.

    A checkpoint is *refused* when it does not exist, when ``trained_by`` is given and differs
    from the checkpoint's ``extra["trained_by"]`` (notebook 08 writes ``"08"``; notebook 15's
    stand-in ``"15-standin"``), or when ``accept_fast=False`` and it was trained in fast mode
    (``extra["fast"]``; an old checkpoint without the key counts as fast). A refused checkpoint
    raises (``FileNotFoundError`` for a missing file saying to run notebook 08, ``ValueError``
    otherwise, with the reason), or with ``missing_ok=True`` prints one line saying why and
    returns ``None`` — so a later notebook can train a stand-in instead.

    >>> load_mnist_cnn("/no/such/file.pt", missing_ok=True) is None
    No trained MNIST CNN at /no/such/file.pt (run notebook 08 first).
    True
    """
    from .checkpoint import load_checkpoint

    path = Path(path) if path is not None else mnist_cnn_path()
    if not path.exists():
        if missing_ok:
            print(f"No trained MNIST CNN at {path} (run notebook 08 first).")
            return None
        raise FileNotFoundError(
            f"No trained MNIST CNN at {path}. Run notebooks/08_cnn_image_classification.ipynb "
            "first (it saves the model there), or pass missing_ok=True and train a small one.")
    payload = load_checkpoint(path, map_location="cpu")
    extra = payload.get("extra", {})
    if extra.get("arch", "SmallCNN") != "SmallCNN":
        raise ValueError(f"{path} holds a {extra.get('arch')!r}, not a SmallCNN.")
    refusal = None
    if trained_by is not None and extra.get("trained_by") != trained_by:
        refusal = (f"the MNIST CNN at {path} was trained by {extra.get('trained_by')!r}, "
                   f"not {trained_by!r}")
    elif not accept_fast and extra.get("fast", True):
        refusal = (f"the MNIST CNN at {path} was trained in fast mode (or does not say); "
                   "rerun notebook 08 in full mode (COURSE_FAST=0)")
    if refusal is not None:
        if missing_ok:
            print(f"Not using it: {refusal}.")
            return None
        raise ValueError(f"Refusing to load: {refusal}.")
    classes = extra.get("classes") or [str(d) for d in range(10)]
    in_channels = int((extra.get("input_shape") or [1])[0])
    model = SmallCNN(num_classes=len(classes), in_channels=in_channels)
    model.load_state_dict(payload["model"])
    model.info = dict(extra)
    model.eval()
    return model.to(device) if device is not None else model


# --------------------------------------------------------------------------- explanations

def saliency(model: nn.Module, x: torch.Tensor, target: int | torch.Tensor | None = None) -> torch.Tensor:
    """Vanilla gradient saliency: ``|∂ score / ∂ pixel|``, max over channels → ``N×H×W``.

    ``target`` is the class whose logit is explained (default: the predicted class; for a
    model with one output logit, that logit).

    >>> m = SmallCNN().eval()
    >>> saliency(m, torch.rand(2, 1, 28, 28)).shape
    torch.Size([2, 28, 28])
    """
    was_training = model.training
    model.eval()
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        scores = _class_scores(model(x), target)
        (grad,) = torch.autograd.grad(scores.sum(), x)
    model.train(was_training)
    return grad.abs().amax(dim=1).detach()


def _class_scores(logits: torch.Tensor, target: int | torch.Tensor | None) -> torch.Tensor:
    if logits.dim() == 1 or logits.shape[1] == 1:
        return logits.reshape(-1)
    if target is None:
        target = logits.argmax(dim=1)
    target = torch.as_tensor(target, device=logits.device).reshape(-1).expand(logits.shape[0])
    return logits.gather(1, target[:, None]).squeeze(1)


def grad_cam(model: nn.Module, x: torch.Tensor, layer: nn.Module | None = None,
             target: int | torch.Tensor | None = None, upsample: bool = True) -> torch.Tensor:
    """Grad-CAM heat maps (Selvaraju et al., 2017), one per image, in [0, 1]: ``N×H×W``.

    Each channel of ``layer``'s output is weighted by the spatial mean of the gradient of the
    target score with respect to it; the weighted sum goes through a ReLU (keep only evidence
    *for* the class), is scaled to a maximum of 1 and, with ``upsample``, resized bilinearly to
    the input size. ``layer`` defaults to ``model.features[-1]`` (SmallCNN's last conv block).

    >>> m = SmallCNN().eval()
    >>> cam = grad_cam(m, torch.rand(2, 1, 28, 28))
    >>> cam.shape, bool((cam >= 0).all())
    (torch.Size([2, 28, 28]), True)
    """
    return _cam(model, x, layer, target, upsample, elementwise=False)


def layer_cam(model: nn.Module, x: torch.Tensor, layer: nn.Module | None = None,
              target: int | torch.Tensor | None = None, upsample: bool = True) -> torch.Tensor:
    """LayerCAM heat maps (Jiang et al., 2021): like :func:`grad_cam`, but every *position* of
    every channel is weighted by its own positive gradient instead of the channel's mean one.

    Sharper where the score depends on a few positions only — e.g. a network that ends in a
    global *max* pool (notebook 09), where Grad-CAM's channel averages smear the evidence.

    >>> layer_cam(SmallCNN().eval(), torch.rand(1, 1, 28, 28)).shape
    torch.Size([1, 28, 28])
    """
    return _cam(model, x, layer, target, upsample, elementwise=True)


def _cam(model: nn.Module, x: torch.Tensor, layer: nn.Module | None, target, upsample: bool,
         elementwise: bool) -> torch.Tensor:
    layer = layer if layer is not None else model.features[-1]
    store: dict[str, torch.Tensor] = {}

    def hook(_module, _inputs, output):
        store["act"] = output

    handle = layer.register_forward_hook(hook)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            x = x.detach().clone().requires_grad_(True)  # so the graph exists even if layers are frozen
            scores = _class_scores(model(x), target)
            act = store["act"]
            (grads,) = torch.autograd.grad(scores.sum(), act)
    finally:
        handle.remove()
        model.train(was_training)
    weights = torch.relu(grads) if elementwise else grads.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * act).sum(dim=1, keepdim=True)).detach()
    if upsample:
        cam = nn.functional.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
    cam = cam.squeeze(1)
    peak = cam.flatten(1).amax(dim=1).clamp(min=1e-12)
    return cam / peak[:, None, None]


# --------------------------------------------------------------------------- MNIST idx files

#: idx type codes (third byte of the magic number) → big-endian NumPy dtype.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open_maybe_gzip(path: Path):
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else path.open("rb")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an idx file (the format of the original MNIST files), gzipped or not.

    Layout: two zero bytes, a type code (0x08 = uint8, ...), the number of dimensions, then
    one big-endian uint32 per dimension, then the data in big-endian C order.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x-idx3-ubyte.gz"
    >>> write_idx(p, np.arange(8, dtype=np.uint8).reshape(2, 2, 2))
    >>> read_idx(p).tolist()
    [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]
    """
    path = Path(path)
    with _open_maybe_gzip(path) as fh:
        header = fh.read(4)
        if len(header) != 4 or header[:2] != b"\x00\x00" or header[2] not in IDX_DTYPES:
            raise ValueError(f"{path} is not an idx file (magic bytes {header.hex() or 'missing'}); "
                             "expected 00 00 <type code> <ndim>. Was the download truncated?")
        ndim = header[3]
        shape = struct.unpack(f">{ndim}I", fh.read(4 * ndim))
        dtype = np.dtype(IDX_DTYPES[header[2]])
        data = fh.read()
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{path}: header says shape {shape} ({expected} bytes) but the file holds "
                         f"{len(data)} bytes of data. The file is damaged; delete it and download again.")
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an idx file (gzipped when the name ends in ``.gz``): the inverse of
    :func:`read_idx`, handy for making small test files in the MNIST format."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}
    code = codes.get(array.dtype)
    if code is None:
        raise ValueError(f"idx cannot store dtype {array.dtype}; use one of "
                         f"{sorted(str(d) for d in codes)}.")
    blob = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) \
        + array.astype(np.dtype(IDX_DTYPES[code])).tobytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as fh:
        fh.write(blob)


def mnist_from_idx(images_path: str | os.PathLike, labels_path: str | os.PathLike
                   ) -> torch.utils.data.TensorDataset:
    """A ``TensorDataset`` of (``float32 N×1×28×28`` in [0, 1], ``int64`` labels) from the pair of
    idx files (e.g. ``train-images-idx3-ubyte.gz`` and ``train-labels-idx1-ubyte.gz``)."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"Expected images N×H×W and labels N; got {images.shape} and {labels.shape}.")
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]
    return torch.utils.data.TensorDataset(x, torch.from_numpy(labels.astype(np.int64)))


MNIST_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
               "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def load_mnist_full(root: str | os.PathLike | None = None, *, download: bool = True, val: float = 0.1,
                    seed: int = 0):
    """The full MNIST (60,000 training + 10,000 test digits) from its four idx files.

    With ``download=True`` the files are fetched (or verified, when already there) through
    :func:`course_lib.data.fetch` into ``root/mnist`` (default ``data_dir()/mnist``); with
    ``download=False`` they must already be there. A stratified ``val`` share of the training
    set becomes the validation split; the official test set stays the test split. Returns
    :class:`course_lib.data.Splits` like :func:`course_lib.data.load_mnist5k`.
    """
    from .data import DatasetInfo, Splits, fetch, split_indices
    from .data.registry import dataset_dir

    folder = dataset_dir("mnist", root)
    if download:
        fetch("mnist", root=root)
    missing = [f for pair in MNIST_FILES.values() for f in pair if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"MNIST files missing in {folder}: {', '.join(missing)}. Use "
                                "download=True or run `python -m course_lib data prefetch mnist`.")
    train = mnist_from_idx(*(folder / f for f in MNIST_FILES["train"]))
    test = mnist_from_idx(*(folder / f for f in MNIST_FILES["test"]))
    tr, va, _ = split_indices(train.tensors[1].numpy(), seed=seed, val=val, test=0.0)
    x, y = train.tensors
    classes = [str(d) for d in range(10)]
    info = DatasetInfo(name="MNIST (full)", size=len(train) + len(test), classes=tuple(classes),
                       licence="CC BY-SA 3.0 (Y. LeCun and C. Cortes)",
                       citation="LeCun, Bottou, Bengio, Haffner (1998). Proc. IEEE 86(11).",
                       source=str(folder))
    return Splits(torch.utils.data.TensorDataset(x[tr], y[tr]),
                  torch.utils.data.TensorDataset(x[va], y[va]), test, classes=classes, info=info)


# --------------------------------------------------------------------------- MedMNIST .npz

MEDMNIST_SPLITS = ("train", "val", "test")


def load_medmnist_npz(path: str | os.PathLike, classes: list[str] | None = None):
    """Read a MedMNIST ``.npz`` file (``train_images``, ``train_labels``, ``val_*``, ``test_*``)
    into :class:`course_lib.data.Splits` of ``TensorDataset``\\ s.

    Images become ``float32`` in [0, 1] with the channel first: 2-D grey ``N×H×W`` → ``N×1×H×W``,
    2-D colour ``N×H×W×3`` → ``N×3×H×W``, 3-D volumes ``N×D×H×W`` (e.g. NoduleMNIST3D) →
    ``N×1×D×H×W``. Single-label ``N×1`` labels become ``int64`` ``N``; multi-label ``N×K``
    labels (ChestMNIST) stay ``float32`` ``N×K`` for ``BCEWithLogitsLoss``.
    """
    from .data import DatasetInfo, Splits

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No MedMNIST file at {path}. Download it first (see notebook 09).")
    with np.load(path, allow_pickle=False) as npz:
        missing = [f"{s}_{k}" for s in MEDMNIST_SPLITS for k in ("images", "labels")
                   if f"{s}_{k}" not in npz.files]
        if missing:
            raise ValueError(f"{path} is not in the MedMNIST layout: missing {', '.join(missing)} "
                             f"(found {', '.join(npz.files)}).")
        parts = []
        for split in MEDMNIST_SPLITS:
            images, labels = npz[f"{split}_images"], npz[f"{split}_labels"]
            parts.append(torch.utils.data.TensorDataset(_medmnist_images(images),
                                                        _medmnist_labels(labels)))
    num = int(max(int(ds.tensors[1].max()) for ds in parts)) + 1 if parts[0].tensors[1].dim() == 1 \
        else parts[0].tensors[1].shape[1]
    classes = list(classes) if classes else [str(i) for i in range(num)]
    info = DatasetInfo(name=path.stem, size=sum(len(p) for p in parts), classes=tuple(classes),
                       licence="see https://medmnist.com (CC BY 4.0 for most subsets)",
                       citation="Yang et al. (2023). MedMNIST v2. Scientific Data 10, 41.",
                       source=str(path))
    return Splits(*parts, classes=classes, info=info)


def _medmnist_images(images: np.ndarray) -> torch.Tensor:
    x = images.astype(np.float32)
    if images.dtype == np.uint8:
        x /= 255.0
    if x.ndim == 3:                      # N×H×W grey
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] == 3:   # N×H×W×3 colour (volumes are D×H×W, D ≥ 28)
        x = x.transpose(0, 3, 1, 2)
    elif x.ndim == 4:                    # N×D×H×W volume
        x = x[:, None]
    else:
        raise ValueError(f"Unexpected MedMNIST image array of shape {images.shape}.")
    return torch.from_numpy(np.ascontiguousarray(x))


def _medmnist_labels(labels: np.ndarray) -> torch.Tensor:
    labels = labels.reshape(len(labels), -1)
    if labels.shape[1] == 1:
        return torch.from_numpy(labels[:, 0].astype(np.int64))
    return torch.from_numpy(labels.astype(np.float32))
