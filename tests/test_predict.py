"""The inference command (the DDP script is exercised end to end by notebook 15)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from course_lib.__main__ import main
from course_lib.checkpoint import save_checkpoint
from course_lib.data import load_mnist5k
from course_lib.vision import SmallCNN


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    torch.manual_seed(0)
    model = SmallCNN()
    path = tmp_path_factory.mktemp("m") / "cnn.pt"
    save_checkpoint(path, model=model, extra={"arch": "SmallCNN", "classes": [str(i) for i in range(10)],
                                              "input_shape": [1, 28, 28]})
    return path


def write_png(path, array):
    Image.fromarray(array).save(path)
    return str(path)


def _expected(ckpt, pixels: np.ndarray) -> list[tuple[str, float]]:
    """What the model itself says (most likely class and its probability) on 8-bit pixels."""
    from course_lib.vision import load_mnist_cnn

    model = load_mnist_cnn(ckpt)
    x = torch.from_numpy(pixels.astype(np.float32) / 255)[:, None]
    with torch.no_grad():
        probs = torch.softmax(model(x), dim=1)
    conf, idx = probs.max(dim=1)
    return [(str(i), c) for i, c in zip(idx.tolist(), conf.tolist())]


def _cli(ckpt, files, capsys) -> list[tuple[str, float]]:
    assert main(["predict", "--checkpoint", str(ckpt), *files]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    return [(label, float(conf)) for _path, label, conf in rows]


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return (load_mnist5k().test.tensors[0][:4, 0].numpy() * 255).round().astype(np.uint8)


def test_predict_reports_the_models_most_likely_class(ckpt, tmp_path, capsys, digits):
    files = [write_png(tmp_path / f"{i}.png", d) for i, d in enumerate(digits)]
    got, want = _cli(ckpt, files, capsys), _expected(ckpt, digits)
    assert [g[0] for g in got] == [w[0] for w in want]
    assert np.allclose([g[1] for g in got], [w[1] for w in want], atol=1e-3)


def test_16_bit_png_and_float_tiff_are_scaled_by_their_real_range(ckpt, tmp_path, capsys, digits):
    want = _expected(ckpt, digits)
    wide = digits.astype(np.uint16) * 257  # the same picture in 16 bits (255 -> 65535)
    files16 = []
    for i, d in enumerate(wide):
        Image.fromarray(d).save(tmp_path / f"{i}_16.png")
        files16.append(str(tmp_path / f"{i}_16.png"))
    floats = []
    for i, d in enumerate(digits):
        Image.fromarray(d.astype(np.float32) / 255).save(tmp_path / f"{i}.tif")
        floats.append(str(tmp_path / f"{i}.tif"))
    for files in (files16, floats):
        got = _cli(ckpt, files, capsys)
        assert [g[0] for g in got] == [w[0] for w in want]
        assert np.allclose([g[1] for g in got], [w[1] for w in want], atol=1e-3)


def test_float_image_outside_unit_range_is_refused(ckpt, tmp_path, capsys, digits):
    path = tmp_path / "raw.tif"
    Image.fromarray(digits[0].astype(np.float32)).save(path)  # 0..255 stored as floats
    assert main(["predict", "--checkpoint", str(ckpt), str(path)]) == 2
    assert "expects [0, 1]" in capsys.readouterr().err


@pytest.mark.parametrize("case,message", [
    ("missing", "does not exist"),
    ("rgb", "3 channels"),
    ("size", "expects 28×28"),
    ("not_image", "not a readable image"),
])
def test_predict_bad_images(ckpt, tmp_path, capsys, case, message):
    path = tmp_path / "x.png"
    if case == "rgb":
        write_png(path, np.zeros((28, 28, 3), np.uint8))
    elif case == "size":
        write_png(path, np.zeros((32, 32), np.uint8))
    elif case == "not_image":
        path.write_text("hello")
    assert main(["predict", "--checkpoint", str(ckpt), str(path)]) == 2
    assert message in capsys.readouterr().err


def test_predict_bad_checkpoints(tmp_path, capsys):
    img = write_png(tmp_path / "d.png", np.zeros((28, 28), np.uint8))
    assert main(["predict", "--checkpoint", str(tmp_path / "none.pt"), img]) == 2
    assert "does not exist" in capsys.readouterr().err
    torch.save({"weight": torch.ones(2)}, tmp_path / "foreign.pt")
    assert main(["predict", "--checkpoint", str(tmp_path / "foreign.pt"), img]) == 2
    assert "not a course_lib SmallCNN checkpoint" in capsys.readouterr().err


def test_a_palette_png_is_read_through_its_palette(ckpt, tmp_path, capsys, digits):
    """Issue 23: a two-colour digit saved as a palette PNG reached the model as indices 0/1 (max 0.0039)."""
    from course_lib.predict import load_image

    two_tone = np.where(digits > 127, 255, 0).astype(np.uint8)
    files = []
    for i, d in enumerate(two_tone):
        im = Image.fromarray(d).convert("P", palette=Image.Palette.ADAPTIVE, colors=2)
        assert im.mode == "P" and np.asarray(im).max() <= 1  # stored as indices
        im.save(tmp_path / f"{i}_p.png")
        files.append(str(tmp_path / f"{i}_p.png"))
    x = load_image(files[0])
    assert x.max().item() == 1.0 and torch.equal(x[0], torch.from_numpy(two_tone[0] / 255).float())
    got, want = _cli(ckpt, files, capsys), _expected(ckpt, two_tone)
    assert [g[0] for g in got] == [w[0] for w in want]
    assert np.allclose([g[1] for g in got], [w[1] for w in want], atol=1e-3)

    colour = Image.fromarray(np.stack([two_tone[0], two_tone[0] // 2, two_tone[0] // 3], axis=-1))
    colour.convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(tmp_path / "colour_p.png")
    with pytest.raises(Exception, match="colour palette image"):
        load_image(tmp_path / "colour_p.png")
