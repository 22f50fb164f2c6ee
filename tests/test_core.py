"""Device choice, seeding and configuration."""

import random

import numpy as np
import pytest
import torch

import course_lib as cl
from course_lib import config


def test_cpu_fallback(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert cl.get_device() == torch.device("cpu")


def test_cuda_preferred_when_available(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert cl.get_device().type == "cuda"


def test_env_override(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert cl.get_device() == torch.device("cpu")


def test_prefer_beats_env(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "mps")
    assert cl.get_device("cpu") == torch.device("cpu")


def test_unknown_device_lists_valid_names(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="cuda, mps, cpu"):
        cl.get_device()


def test_unavailable_device_says_how_to_fix(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="not available.*To fix it"):
        cl.get_device("cuda:0")


def test_seed_everything_reproducible():
    def draw():
        g = cl.seed_everything(123)
        return (random.random(), np.random.rand(), torch.rand(3), torch.rand(3, generator=g))

    a, b = draw(), draw()
    assert a[0] == b[0] and a[1] == b[1]
    assert torch.equal(a[2], b[2]) and torch.equal(a[3], b[3])
    assert isinstance(cl.seed_everything(0), torch.Generator)


def test_seeded_dataloader_order_repeats():
    ds = torch.utils.data.TensorDataset(torch.arange(20))

    def order():
        g = cl.seed_everything(7)
        return torch.cat([b[0] for b in torch.utils.data.DataLoader(ds, batch_size=5, shuffle=True,
                                                                    generator=g)])

    assert torch.equal(order(), order())


def test_deterministic_flag_toggles():
    cl.seed_everything(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    cl.seed_everything(0, deterministic=False)
    assert not torch.are_deterministic_algorithms_enabled()
    cl.seed_everything(0)


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_fast_and_offline_flags(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_FAST", value)
    monkeypatch.setenv("COURSE_OFFLINE", value)
    assert config.is_fast() is expected
    assert config.is_offline() is expected
    assert config.pick(full="full", fast="fast") == ("fast" if expected else "full")


def test_data_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    assert config.data_dir() == tmp_path / "d" and (tmp_path / "d").is_dir()
    assert config.cache_dir() == tmp_path / "d" / "cache"


def test_data_dir_default_is_repo_data(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    assert config.data_dir() == config.REPO_ROOT / "data"


def test_import_and_report_do_not_import_torch(tmp_path):
    """`import course_lib` and `python -m course_lib report` stay light (no torch: ~1 s, not ~800 MB)."""
    import subprocess
    import sys

    code = ("import sys, runpy; import course_lib; assert 'torch' not in sys.modules, 'import'; "
            "sys.argv = ['course_lib', 'report']\n"
            "try:\n    runpy.run_module('course_lib', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "assert 'torch' not in sys.modules, 'report'\n"
            "from course_lib import get_device; assert get_device().type in ('cpu', 'cuda', 'mps')")
    env = {**__import__("os").environ, "COURSE_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
