"""Device choice, seeding and configuration."""

import random
import sys
from pathlib import Path

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
    """Run from this checkout (editable install), the data go to the repository's data/."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    repo = Path(__file__).resolve().parent.parent
    assert config.checkout_root() == repo
    assert config.data_location() == (repo / "data", "checkout")
    assert config.data_dir() == repo / "data"


def _fake_project(root: Path, name: str = "course-lib", notebooks: bool = True) -> Path:
    """A folder laid out like the course's repository; returns its course_lib/ folder."""
    (root / "course_lib").mkdir(parents=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0.1.0"\n')
    if notebooks:
        (root / "notebooks").mkdir()
    return root / "course_lib"


def test_checkout_is_recognised_by_its_pyproject_and_notebooks(tmp_path):
    assert config.checkout_root(_fake_project(tmp_path / "a")) == tmp_path / "a"
    assert config.checkout_root(_fake_project(tmp_path / "b", name="Course_Lib")) == tmp_path / "b"
    assert config.checkout_root(_fake_project(tmp_path / "c", name="other-project")) is None
    assert config.checkout_root(_fake_project(tmp_path / "d", notebooks=False)) is None
    broken = _fake_project(tmp_path / "e")
    (tmp_path / "e" / "pyproject.toml").write_text("[project\nname = ")
    assert config.checkout_root(broken) is None
    assert config.checkout_root(tmp_path / "nothing-here" / "course_lib") is None


@pytest.mark.parametrize("install_dir", ["site-packages", "dist-packages"])
def test_installed_package_uses_the_user_cache_never_its_own_folder(monkeypatch, tmp_path, install_dir):
    """Even a site-packages that happens to hold a pyproject.toml and notebooks/ is not a checkout."""
    package = _fake_project(tmp_path / "venv" / "lib" / "python3" / install_dir)
    monkeypatch.setattr(config, "PACKAGE_DIR", package)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config.checkout_root() is None
    where = config.data_location()
    assert where.source == "user cache" and where.path == config.user_cache_dir()
    if sys.platform.startswith("linux"):
        assert where.path == tmp_path / "cache" / "pytorch-course"
    assert config.data_dir() == where.path and where.path.is_dir()
    assert tmp_path / "venv" not in where.path.parents
    assert sorted(p.name for p in package.parent.iterdir()) == ["course_lib", "notebooks", "pyproject.toml"]
    assert not list(package.iterdir())


def test_course_data_dir_wins_over_checkout_and_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "mine"))
    assert config.data_location() == (tmp_path / "mine", "COURSE_DATA_DIR")
    monkeypatch.setattr(config, "PACKAGE_DIR", tmp_path / "site-packages" / "course_lib")
    assert config.data_location() == (tmp_path / "mine", "COURSE_DATA_DIR")
    monkeypatch.setenv("COURSE_DATA_DIR", "  ")  # blank counts as unset
    assert config.data_location().source == "user cache"


@pytest.mark.parametrize("case,expected", [("env", "set by COURSE_DATA_DIR"),
                                           ("checkout", "runs from a checkout"),
                                           ("installed", "per-user cache")])
def test_doctor_says_where_data_go_and_why(monkeypatch, tmp_path, case, expected):
    from course_lib.doctor import data_dir_check

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if case == "env":
        monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "mine"))
    else:
        monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    if case == "checkout":  # a throw-away checkout, so the test writes nothing into the real data/
        monkeypatch.setattr(config, "PACKAGE_DIR", _fake_project(tmp_path / "repo"))
    if case == "installed":
        monkeypatch.setattr(config, "PACKAGE_DIR", tmp_path / "site-packages" / "course_lib")
    row = data_dir_check()
    assert row.ok and expected in row.detail and str(config.data_location().path) in row.detail


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


# -- What needs a newer torch than the floor: device.supports says so, and why -----------------------------

def test_supports_judges_a_feature_by_the_torch_version(capsys):
    from course_lib.device import supports

    assert not supports("fsdp2", torch_version="2.8.0+cpu")
    said = capsys.readouterr().out
    assert "fsdp2 needs torch 2.9 or newer (this is torch 2.8.0+cpu)" in said and "fully_shard" in said
    assert supports("fsdp2", torch_version="2.9.0") and supports("fsdp2", torch_version="3.0")
    assert capsys.readouterr().out == ""  # nothing printed when it runs


def test_supports_fsdp2_agrees_with_the_running_torch(monkeypatch, capsys):
    import torch.distributed.fsdp as fsdp

    from course_lib.device import supports

    if supports("fsdp2"):
        assert hasattr(fsdp, "fully_shard")  # the public API (there from torch 2.6 on)
    monkeypatch.setattr(torch, "__version__", "2.4.1")
    assert not supports("fsdp2") and "this is torch 2.4.1" in capsys.readouterr().out


def test_supports_fakegpu_asks_torch_for_its_extension_points(monkeypatch, capsys):
    from course_lib import fakegpu
    from course_lib.device import supports

    monkeypatch.setattr(fakegpu, "missing_requirements", lambda: ["torch._C._acc", "Library.fallback"])
    assert not supports("fakegpu")
    assert "lacks: torch._C._acc; Library.fallback" in capsys.readouterr().out
    monkeypatch.setattr(fakegpu, "missing_requirements", lambda: [])
    assert supports("fakegpu") and capsys.readouterr().out == ""


def test_supports_refuses_an_unknown_feature():
    from course_lib.device import supports, torch_release

    with pytest.raises(ValueError, match="pin_memory.*fsdp2.*fakegpu"):
        supports("fsdp3")
    assert torch_release("2.10.0a0+git1234") == (2, 10)
    with pytest.raises(ValueError, match="not a torch version"):
        torch_release("nightly")
