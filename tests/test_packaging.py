"""Packaging: pyproject, environment.yml, the Makefile and `make lab`."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_torchtext_is_not_a_default_dependency():
    project = PYPROJECT["project"]
    deps = " ".join(project["dependencies"] + project["optional-dependencies"]["dev"])
    assert "torchtext" not in deps


def test_torch_is_not_capped():
    torch_req = next(d for d in PYPROJECT["project"]["dependencies"] if d.startswith("torch>"))
    assert "<" not in torch_req and "==" not in torch_req


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement strings ("torch>=2.4" -> "torch"), normalised."""
    return {re.split(r"[<>=!~;\[\s]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_card_packages_are_dependencies():
    deps = _names(PYPROJECT["project"]["dependencies"])
    for name in ("torch", "torchvision", "jupyterlab", "matplotlib", "networkx"):
        assert name in deps, name  # a real name match: "torchvision" does not count as "torch"
    assert "nbval" in _names(PYPROJECT["project"]["optional-dependencies"]["dev"])
    assert _names(["torchvision>=0.19"]) == {"torchvision"}


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    version = tuple(int(x) for x in re.search(r"(\d+)\.(\d+)", python).groups())
    requires = PYPROJECT["project"]["requires-python"]
    minimum = tuple(int(x) for x in re.search(r"(\d+)\.(\d+)", requires).groups())
    assert version >= minimum, "environment.yml's Python is older than requires-python"
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert '-e ".[dev]"' in pip or "-e .[dev]" in pip, "environment.yml must install the package with [dev]"
    # Every other package must come from pyproject (one source of truth, no drift).
    listed = {re.split(r"[<>=\s]", d)[0].lower() for d in deps if isinstance(d, str)} - {"python", "pip"}
    assert not listed, f"declare these in pyproject.toml instead: {sorted(listed)}"


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_serves_jupyterlab(tmp_path):
    """`make lab` starts JupyterLab on localhost; we request /lab and stop it."""
    venv = Path(sys.prefix)
    if not (venv / ".installed").exists() or not (venv / "bin" / "jupyter").exists():
        pytest.skip("run through `make test` (needs the Makefile's .venv)")
    port = _free_port()
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token=test "
            f"--ServerApp.runtime_dir={tmp_path}")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    proc = subprocess.Popen(["make", "-s", "lab", f"VENV={venv}", f"LAB_ARGS={args}"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token=test", timeout=5) as r:
                    body = r.read().decode("utf-8", "replace")
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail("JupyterLab did not answer on localhost within 90 s")
                time.sleep(0.5)
        assert r.status == 200 and "JupyterLab" in body
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_make_test_keeps_its_data_apart_from_the_learners():
    """`make test`/`make run-all` write models, caches and results to data/test-run, never data/ itself."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^RUN_DATA \?= \$\(CURDIR\)/data/test-run$", makefile, re.M)
    for target in ("test", "run-all"):
        body = re.search(rf"^{target}:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1)
        runs = [line for line in body.splitlines() if "python -m pytest" in line]
        assert runs and all("COURSE_DATA_DIR=$(RUN_DATA)" in line for line in runs), target
