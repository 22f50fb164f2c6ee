"""The DDP training script: device choice and a single-process run (torchrun runs in notebook 15)."""

from __future__ import annotations

import pytest
import torch

from course_lib import ddp_train
from course_lib.checkpoint import load_checkpoint


def test_cpu_is_chosen_when_there_are_fewer_gpus_than_processes(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert ddp_train.choose_device_kind("auto", 1) == "cuda"
    assert ddp_train.choose_device_kind("auto", 2) == "cpu"  # one GPU cannot serve two workers
    with pytest.raises(SystemExit, match="one GPU per process"):
        ddp_train.choose_device_kind("cuda", 2)


def test_course_device_cpu_wins_over_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 8)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert ddp_train.choose_device_kind("auto", 2) == "cpu"


def test_unknown_device_is_refused():
    with pytest.raises(SystemExit):
        ddp_train.choose_device_kind("tpu", 1)


def test_single_process_run_saves_its_device_and_losses(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    out = tmp_path / "one.pt"
    args = ddp_train.parse_args(["--epochs", "2", "--samples", "128", "--batch-size", "32", "--device", "cpu",
                                 "--out", str(out)])
    summary = ddp_train.train(args)
    assert summary["world_size"] == 1 and summary["device"] == "cpu" and len(summary["losses"]) == 2
    saved = load_checkpoint(out)
    assert saved["extra"]["device"] == "cpu" and saved["epoch"] == 2


def test_fsdp_on_a_torch_too_old_for_it_says_which_it_needs(monkeypatch, capsys):
    monkeypatch.setattr(torch, "__version__", "2.8.0")
    with pytest.raises(SystemExit, match="--fsdp cannot run on torch 2.8.0"):
        ddp_train.train(ddp_train.parse_args(["--fsdp", "--device", "cpu"]))
    assert "fsdp2 needs torch 2.9 or newer (this is torch 2.8.0)" in capsys.readouterr().out


def test_a_checkpoint_of_another_run_is_not_resumed(tmp_path, monkeypatch):
    """Issue 23: reusing a --ckpt-dir with another --lr, --seed or --samples used to resume silently."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    common = ["--epochs", "1", "--batch-size", "32", "--device", "cpu", "--ckpt-dir", str(tmp_path / "ck"),
              "--ckpt-every", "2"]
    ddp_train.train(ddp_train.parse_args([*common, "--samples", "128", "--lr", "0.05"]))
    for changed, message in ((["--samples", "128", "--lr", "0.1"], "lr: 0.05 in the checkpoint, 0.1 now"),
                             (["--samples", "96", "--lr", "0.05"], "samples: 128 in the checkpoint, 96 now"),
                             (["--samples", "128", "--lr", "0.05", "--seed", "1"], "seed: 0 in the")):
        with pytest.raises(SystemExit, match=message):
            ddp_train.train(ddp_train.parse_args([*common, *changed]))
    # the same run resumes (more epochs continue it)
    again = ddp_train.train(ddp_train.parse_args([*common[:1], "2", *common[2:], "--samples", "128",
                                                  "--lr", "0.05"]))
    assert again["resumed_from"] and len(again["losses"]) == 2


def test_keep_must_keep_the_checkpoint_just_written(tmp_path):
    from course_lib.checkpoint import save_step_checkpoint

    with pytest.raises(ValueError, match="keep >= 1"):
        save_step_checkpoint(tmp_path, 10, keep=0, model=torch.nn.Linear(1, 1))
    assert not list(tmp_path.iterdir())
    with pytest.raises(SystemExit):
        ddp_train.parse_args(["--keep", "0"])
