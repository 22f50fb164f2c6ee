"""The floor lane (scripts/floor_lane.sh) tests exactly the torch that pyproject.toml declares."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "floor_lane.sh"
DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the lane is a bash script")


def declared(name: str) -> str:
    """The ``>=`` floor pyproject.toml declares for ``name``."""
    req = next(d for d in DEPENDENCIES if re.fullmatch(rf"{name}\s*>=\s*[\d.]+", d))
    return req.split(">=")[1].strip()


def deps(*requirements: str) -> str:
    return "dependencies = [\n" + "".join(f'    "{r}",\n' for r in requirements) + "]\n"


def pins(root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(root / "scripts" / "floor_lane.sh"), "--print-pins"],
                          capture_output=True, text=True, timeout=60)


def test_the_lane_installs_pyprojects_floor_and_its_torchvision():
    floor = declared("torch")
    assert re.fullmatch(r"\d+\.\d+\.\d+", floor), "declare the floor as X.Y.Z, the release the lane tests"
    major, minor, patch = floor.split(".")
    vision = f"0.{int(minor) + 15}.{patch}"  # torch 2.Y.Z pairs with torchvision 0.(Y+15).Z
    proc = pins()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [f"torch=={floor}", f"torchvision=={vision}"]
    assert declared("torchvision") == vision


def test_the_lane_refuses_floors_that_do_not_pair(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "floor_lane.sh")
    (tmp_path / "pyproject.toml").write_text(deps("torch>=2.5.1", "torchvision>=0.19.1"))
    proc = pins(tmp_path)
    assert proc.returncode == 2 and "torch 2.5.1 pairs with 0.20.1" in proc.stderr
    (tmp_path / "pyproject.toml").write_text(deps("torch>=2.5.1", "torchvision>=0.20.1"))
    assert pins(tmp_path).stdout.split() == ["torch==2.5.1", "torchvision==0.20.1"]


def test_ci_can_install_first_and_test_later(tmp_path):
    """.ci/run installs the floor venv while the main lane runs (FLOOR_STEPS=install) and runs its tests
    later (FLOOR_STEPS=tests): the tests step refuses a venv that was not installed for these pins."""
    (tmp_path / "scripts").mkdir()
    for name in ("floor_lane.sh", "pick_python.sh"):
        shutil.copy(ROOT / "scripts" / name, tmp_path / "scripts" / name)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "VENV": str(tmp_path / "venv")}

    def lane(steps: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(tmp_path / "scripts" / "floor_lane.sh")], cwd=tmp_path,
                              env={**env, "FLOOR_STEPS": steps}, capture_output=True, text=True, timeout=60)

    bad = lane("install tset")
    assert bad.returncode == 2 and "unknown step 'tset'" in bad.stderr
    early = lane("tests")
    assert early.returncode == 2 and "run FLOOR_STEPS=install first" in early.stderr
    assert not (tmp_path / "venv").exists()  # refused before creating anything
