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


def test_predict_good_images(ckpt, tmp_path, capsys):
    x = load_mnist5k().test.tensors[0][:2]
    files = [write_png(tmp_path / f"{i}.png", (x[i, 0].numpy() * 255).astype(np.uint8)) for i in range(2)]
    assert main(["predict", "--checkpoint", str(ckpt), *files]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        path, label, conf = line.split("\t")
        assert label in [str(i) for i in range(10)] and 0 < float(conf) <= 1


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
