"""Tests for course_lib.vision: the course CNN, its checkpoint contract, explanations and readers."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch
from netutil import Route, serve
from torch import nn

from course_lib.checkpoint import save_checkpoint
from course_lib.data import download, sha256sum
from course_lib.vision import (
    MNIST_FILES,
    SmallCNN,
    grad_cam,
    layer_cam,
    load_medmnist_npz,
    load_mnist_cnn,
    load_mnist_full,
    mnist_from_idx,
    read_idx,
    saliency,
    write_idx,
)


def test_small_cnn_shapes():
    model = SmallCNN()
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 10)
    ct = SmallCNN(num_classes=1, in_channels=2)
    assert ct(torch.rand(2, 2, 64, 64)).shape == (2, 1)


def test_load_mnist_cnn_missing_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="notebooks/08"):
        load_mnist_cnn(tmp_path / "nope.pt")
    assert load_mnist_cnn(tmp_path / "nope.pt", missing_ok=True) is None


def test_load_mnist_cnn_round_trip(tmp_path):
    torch.manual_seed(0)
    model = SmallCNN().eval()
    path = tmp_path / "models" / "mnist_cnn.pt"
    extra = {"arch": "SmallCNN", "classes": [str(d) for d in range(10)], "input_shape": [1, 28, 28],
             "test_accuracy": 0.987}
    save_checkpoint(path, model=model, extra=extra)
    loaded = load_mnist_cnn(path)
    x = torch.rand(4, 1, 28, 28)
    assert not loaded.training
    assert loaded.info["test_accuracy"] == pytest.approx(0.987)
    assert torch.allclose(loaded(x), model(x))


def _save_cnn(path, **extra):
    torch.manual_seed(0)
    model = SmallCNN().eval()
    save_checkpoint(path, model=model, extra={"arch": "SmallCNN", "classes": [str(d) for d in range(10)],
                                              "input_shape": [1, 28, 28], **extra})
    return model


def test_load_mnist_cnn_trained_by_contract(tmp_path, capsys):
    path = tmp_path / "mnist_cnn.pt"
    _save_cnn(path, fast=False, trained_by="15-standin")
    assert load_mnist_cnn(path).info["trained_by"] == "15-standin"       # no filter: accepted
    assert load_mnist_cnn(path, trained_by="15-standin") is not None
    with pytest.raises(ValueError, match="trained by '15-standin', not '08'"):
        load_mnist_cnn(path, trained_by="08")
    capsys.readouterr()
    assert load_mnist_cnn(path, trained_by="08", missing_ok=True) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "'15-standin'" in out and "'08'" in out


def test_load_mnist_cnn_accept_fast_contract(tmp_path, capsys):
    fast, full, old = tmp_path / "fast.pt", tmp_path / "full.pt", tmp_path / "old.pt"
    _save_cnn(fast, fast=True, trained_by="08")
    model = _save_cnn(full, fast=False, trained_by="08")
    _save_cnn(old)                                   # written before the keys existed
    assert load_mnist_cnn(fast) is not None          # accept_fast=True is the default
    for path in (fast, old):                         # no "fast" key counts as fast
        with pytest.raises(ValueError, match="fast mode"):
            load_mnist_cnn(path, accept_fast=False)
        capsys.readouterr()
        assert load_mnist_cnn(path, accept_fast=False, missing_ok=True) is None
        assert "fast mode" in capsys.readouterr().out
    loaded = load_mnist_cnn(full, accept_fast=False, trained_by="08")
    x = torch.rand(2, 1, 28, 28)
    assert torch.allclose(loaded(x), model(x)) and loaded.info["fast"] is False
    with pytest.raises(ValueError, match="trained by None"):          # old file, any trained_by
        load_mnist_cnn(old, trained_by="08")
    # missing file: the documented FileNotFoundError, or one line and None
    with pytest.raises(FileNotFoundError):
        load_mnist_cnn(tmp_path / "none.pt", accept_fast=False, trained_by="08")
    assert load_mnist_cnn(tmp_path / "none.pt", accept_fast=False, missing_ok=True) is None


def test_grad_cam_and_saliency_shapes_and_ranges():
    torch.manual_seed(0)
    model = SmallCNN().train()
    x = torch.rand(3, 1, 28, 28)
    cam = grad_cam(model, x, target=4)
    assert cam.shape == (3, 28, 28)
    assert (cam >= 0).all() and cam.max() <= 1.0 + 1e-6
    assert model.training, "grad_cam must restore the training flag"
    small = grad_cam(model, x, upsample=False)
    assert small.shape == (3, 3, 3)
    sal = saliency(model, x)
    assert sal.shape == (3, 28, 28) and (sal >= 0).all()
    lcam = layer_cam(model, x)
    assert lcam.shape == (3, 28, 28) and (lcam >= 0).all() and lcam.max() <= 1.0 + 1e-6
    single = SmallCNN(num_classes=1).eval()
    assert grad_cam(single, torch.rand(2, 1, 64, 64)).shape == (2, 64, 64)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32])
def test_idx_round_trip(tmp_path, dtype):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4) if dtype != np.uint8 \
        else np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        write_idx(tmp_path / name, array)
        back = read_idx(tmp_path / name)
        assert back.dtype == array.dtype and np.array_equal(back, array)


def test_idx_matches_the_mnist_header(tmp_path):
    write_idx(tmp_path / "l.gz", np.array([7, 2, 1], dtype=np.uint8))
    raw = gzip.decompress((tmp_path / "l.gz").read_bytes())
    assert raw[:8] == bytes([0, 0, 8, 1, 0, 0, 0, 3])  # magic 2049, then the count, big-endian


def test_idx_rejects_bad_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"<html>not found</html>")
    with pytest.raises(ValueError, match="not an idx file"):
        read_idx(tmp_path / "junk")
    write_idx(tmp_path / "ok", np.zeros((4, 2), dtype=np.uint8))
    (tmp_path / "cut").write_bytes((tmp_path / "ok").read_bytes()[:-3])
    with pytest.raises(ValueError, match="damaged"):
        read_idx(tmp_path / "cut")


def _fake_mnist(folder, n_train=20, n_test=10):
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = MNIST_FILES[split]
        write_idx(folder / images, rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8))
        write_idx(folder / labels, (np.arange(n) % 10).astype(np.uint8))


def test_idx_served_locally_through_the_downloader(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    www = tmp_path / "www"
    _fake_mnist(www)
    dest = tmp_path / "data" / "mnist"
    names = (*MNIST_FILES["train"], *MNIST_FILES["test"])
    with serve({f"/{n}": Route((www / n).read_bytes()) for n in names}) as srv:
        for name in names:
            got = download(srv.url(f"/{name}"), dest / name, sha256sum(www / name), progress=False)
            assert got == (dest / name).resolve()
    ds = mnist_from_idx(dest / MNIST_FILES["train"][0], dest / MNIST_FILES["train"][1])
    x, y = ds.tensors
    assert x.shape == (20, 1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() <= x.max() <= 1
    assert y.dtype == torch.int64 and y.tolist() == [i % 10 for i in range(20)]
    assert np.array_equal((x[:, 0] * 255).round().numpy().astype(np.uint8),
                          read_idx(www / MNIST_FILES["train"][0]))
    splits = load_mnist_full(tmp_path / "data", download=False, val=0.5)
    assert splits.sizes() == {"train": 10, "val": 10, "test": 10}


def test_load_mnist_full_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="prefetch mnist"):
        load_mnist_full(tmp_path, download=False)


def test_medmnist_npz_2d_grey(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 6), ("val", 2), ("test", 3)):
        arrays[f"{split}_images"] = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(n) % 2).reshape(n, 1).astype(np.uint8)
    np.savez(tmp_path / "pneumoniamnist.npz", **arrays)
    splits = load_medmnist_npz(tmp_path / "pneumoniamnist.npz", classes=["normal", "pneumonia"])
    assert splits.sizes() == {"train": 6, "val": 2, "test": 3}
    x, y = splits.train.tensors
    assert x.shape == (6, 1, 28, 28) and x.dtype == torch.float32 and float(x.max()) <= 1.0
    assert y.tolist() == [0, 1, 0, 1, 0, 1] and y.dtype == torch.int64
    assert torch.allclose(x[0, 0] * 255, torch.from_numpy(arrays["train_images"][0]).float())
    assert splits.classes == ["normal", "pneumonia"]


def test_medmnist_npz_3d_colour_and_multilabel(tmp_path):
    vol = {f"{s}_images": np.zeros((2, 28, 28, 28), dtype=np.uint8) for s in ("train", "val", "test")}
    vol |= {f"{s}_labels": np.array([[0], [1]], dtype=np.uint8) for s in ("train", "val", "test")}
    np.savez(tmp_path / "nodulemnist3d.npz", **vol)
    assert load_medmnist_npz(tmp_path / "nodulemnist3d.npz").train.tensors[0].shape == (2, 1, 28, 28, 28)
    rgb = {f"{s}_images": np.zeros((2, 28, 28, 3), dtype=np.uint8) for s in ("train", "val", "test")}
    rgb |= {f"{s}_labels": np.array([[0, 1, 1], [1, 0, 0]], dtype=np.uint8)
            for s in ("train", "val", "test")}
    np.savez(tmp_path / "chest.npz", **rgb)
    splits = load_medmnist_npz(tmp_path / "chest.npz")
    assert splits.train.tensors[0].shape == (2, 3, 28, 28)
    assert splits.train.tensors[1].dtype == torch.float32 and splits.train.tensors[1].shape == (2, 3)


def test_medmnist_npz_wrong_layout(tmp_path):
    np.savez(tmp_path / "bad.npz", images=np.zeros((1, 28, 28)))
    with pytest.raises(ValueError, match="missing train_images"):
        load_medmnist_npz(tmp_path / "bad.npz")
    with pytest.raises(FileNotFoundError):
        load_medmnist_npz(tmp_path / "absent.npz")


class _TwoBlobs(nn.Module):
    """Class k's score is the mean of channel k: the explanation of class 0 must be channel 0's blob."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 1, bias=False)
        self.head = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.eye(2).view(2, 2, 1, 1))
            self.head.weight.copy_(torch.eye(2))

    def forward(self, x):
        return self.head(self.conv(x).mean((2, 3)))


def _two_blobs():
    x = torch.zeros(1, 2, 8, 8)
    x[0, 0, 1, 1] = 1.0  # evidence for class 0 at (1, 1)
    x[0, 1, 6, 6] = 2.0  # evidence for class 1 at (6, 6), brighter (an activation-only map favours it)
    return x


@pytest.mark.parametrize("method", [grad_cam, layer_cam])
def test_cams_follow_the_gradient_not_just_the_activations(method):
    model, x = _TwoBlobs(), _two_blobs()
    for target, here, there in [(0, (1, 1), (6, 6)), (1, (6, 6), (1, 1))]:
        cam = method(model, x, layer=model.conv, target=target, upsample=False)[0]
        assert cam[here].item() == pytest.approx(1.0), (method, target)
        assert cam[there].item() == pytest.approx(0.0), (method, target)


def test_saliency_marks_the_pixels_the_score_depends_on():
    class OnePixel(nn.Module):
        def forward(self, x):
            return torch.stack([3.0 * x[:, 0, 2, 5], -x[:, 0, 7, 1]], dim=1)

    x = torch.rand(2, 1, 9, 9, generator=torch.Generator().manual_seed(0))
    sal = saliency(OnePixel(), x, target=1)
    assert sal[:, 7, 1].tolist() == [1.0, 1.0]
    assert sal.sum().item() == pytest.approx(2.0)  # nothing anywhere else
    sal0 = saliency(OnePixel(), x, target=0)
    assert sal0[:, 2, 5].tolist() == [3.0, 3.0] and sal0.sum().item() == pytest.approx(6.0)
