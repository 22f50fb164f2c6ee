"""A notebook that works alone: installed from a wheel, run outside the repository.

A launch link or a download hands a learner ONE notebook and no repository. Then ``course_lib``
comes from a wheel in ``site-packages`` and must keep its data in the per-user cache, never inside
the installed package; and every notebook's first code cell installs the course when it is missing
(``scripts/sync_install_cell.py``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
#: A quick notebook (about 10 s in fast mode) that records a result, so results.jsonl must appear.
NOTEBOOK = ROOT / "notebooks" / "02_autograd.ipynb"
KERNEL = "course-standalone"


def _sync_module():
    path = ROOT / "scripts" / "sync_install_cell.py"
    spec = importlib.util.spec_from_file_location("sync_install_cell", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync_install_cell = _sync_module()


# --- the install cell -------------------------------------------------------------------------


def test_every_notebook_has_the_install_cell_from_pyproject(capsys):
    """`scripts/sync_install_cell.py --check` passes: run the script after changing [tool.course]."""
    status = sync_install_cell.main(["--check"])
    assert status == 0, capsys.readouterr().out


def _notebook(tmp_path: Path, name: str = "01_x.ipynb") -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · A title", id="title"),
                nbformat.v4.new_code_cell("import course_lib as cl", id="imports"),
                nbformat.v4.new_markdown_cell("Some text.", id="text")]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _pyproject(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[project]\nname = "course-lib"\n\n[tool.course]\nrepository = {json.dumps(url)}\n')
    return path


def _install_cell(path: Path) -> dict:
    cells = nbformat.read(path, as_version=4).cells
    tagged = [(i, c) for i, c in enumerate(cells) if sync_install_cell.TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{len(tagged)} install cells"
    index, cell = tagged[0]
    assert index == 1 and cells[0].cell_type == "markdown", "the install cell belongs right after the title"
    assert cell.cell_type == "code" and cell.outputs == [] and "NBVAL_CHECK_OUTPUT" not in cell.source
    return cell


def test_sync_inserts_once_after_the_title_and_check_tells_stale_from_synced(tmp_path, capsys):
    path = _notebook(tmp_path)
    url = "https://github.com/example/pytorch-course"
    args = ["--pyproject", str(_pyproject(tmp_path, url)), str(path)]
    assert sync_install_cell.main(["--check", *args]) == 1          # missing: out of date
    assert sync_install_cell.main(args) == 0
    cell = _install_cell(path)
    assert f'%pip install --quiet "course-lib @ git+{url}"' in cell.source
    written = path.read_bytes()
    assert sync_install_cell.main(args) == 0 and path.read_bytes() == written   # idempotent
    assert sync_install_cell.main(["--check", *args]) == 0
    # Changing the one setting makes every notebook stale until the script runs again.
    args[1] = str(_pyproject(tmp_path, ""))
    assert sync_install_cell.main(["--check", *args]) == 1
    assert path.read_bytes() == written, "--check must not write"
    assert sync_install_cell.main(args) == 0
    cell = _install_cell(path)
    assert "%pip" not in cell.source and "make install" in cell.source
    assert [c.source for c in nbformat.read(path, as_version=4).cells][2:] == ["import course_lib as cl",
                                                                                "Some text."]
    assert "out of date" in capsys.readouterr().out


def test_sync_moves_a_misplaced_or_edited_install_cell_back(tmp_path):
    path = _notebook(tmp_path)
    pyproject = str(_pyproject(tmp_path, ""))
    sync_install_cell.main(["--pyproject", pyproject, str(path)])
    nb = nbformat.read(path, as_version=4)
    cell = nb.cells.pop(1)
    cell.source += "\nprint('edited')"
    cell.outputs = [nbformat.v4.new_output("stream", text="edited\n")]
    nb.cells.append(cell)
    nbformat.write(nb, path)
    assert sync_install_cell.main(["--check", "--pyproject", pyproject, str(path)]) == 1
    sync_install_cell.main(["--pyproject", pyproject, str(path)])
    assert "edited" not in _install_cell(path).source


@pytest.mark.parametrize("url", ["github.com/a/b", "https://github.com/a/b\" && rm -rf ~", "https://x/$HOME",
                                 "https://x/{y}"])
def test_sync_refuses_a_repository_pip_cannot_install_from(tmp_path, url, capsys):
    path = _notebook(tmp_path)
    before = path.read_bytes()
    assert sync_install_cell.main(["--pyproject", str(_pyproject(tmp_path, url)), str(path)]) == 2
    assert "[tool.course] repository" in capsys.readouterr().err and path.read_bytes() == before


def _run_cell(source: str, module: str) -> list[str]:
    """Run an install cell as IPython would, with `module` as the course package; return the magics."""
    from IPython.core.inputtransformer2 import TransformerManager

    calls: list[str] = []

    class FakeIPython:
        def run_line_magic(self, name: str, line: str) -> None:
            calls.append(f"%{name} {line}")

    code = TransformerManager().transform_cell(source.replace('"course_lib"', repr(module)))
    exec(compile(code, "<install-cell>", "exec"), {"get_ipython": FakeIPython})
    return calls


def test_install_cell_does_nothing_when_the_course_is_installed(capsys):
    for url in ("", "https://github.com/example/pytorch-course"):
        assert _run_cell(sync_install_cell.cell_source(url), "course_lib") == []
    assert capsys.readouterr().out == ""


def test_install_cell_installs_from_the_repository_when_the_course_is_missing():
    url = "https://github.com/example/pytorch-course"
    with pytest.raises(ModuleNotFoundError, match="Installing the course package failed") as err:
        _run_cell(sync_install_cell.cell_source(url), "no_such_course_package")
    assert url in str(err.value)
    calls: list[str] = []
    try:
        calls = _run_cell(sync_install_cell.cell_source(url).replace("raise ModuleNotFoundError", "print"),
                          "no_such_course_package")
    finally:
        assert calls == [f'%pip install --quiet "course-lib @ git+{url}"']


def test_install_cell_without_a_repository_explains_instead_of_installing():
    with pytest.raises(ModuleNotFoundError, match=r"clone its repository and run `make install`.*\.whl"):
        _run_cell(sync_install_cell.cell_source(""), "no_such_course_package")


# --- the wheel in a fresh virtual environment ---------------------------------------------------


def _purelib(python: Path | str) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True, timeout=60)
    return Path(out.stdout.strip())


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``folder``: relative path -> (size, mtime in ns)."""
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def _build_wheel(tmp_path: Path) -> Path:
    """Build the course's wheel from a copy of its sources (the working tree stays untouched)."""
    src, dist = tmp_path / "src", tmp_path / "dist"
    shutil.copytree(ROOT / "course_lib", src / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--quiet", "--wheel-dir", str(dist), str(src)], check=True, timeout=300)
    [wheel] = dist.glob("course_lib-*.whl")
    return wheel


def test_the_wheel_carries_the_licence(tmp_path):
    """pyproject.toml says MIT: the wheel must carry the licence text, not only the word."""
    import zipfile

    with zipfile.ZipFile(_build_wheel(tmp_path)) as wheel:
        licences = [n for n in wheel.namelist() if n.split("/")[-1] == "LICENSE" and ".dist-info/" in n]
        assert licences, "no LICENSE in the wheel's .dist-info"
        assert wheel.read(licences[0]).decode() == (ROOT / "LICENSE").read_text(encoding="utf-8")
        metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "MIT" in metadata


_RUNNER = """
import json, sys
import nbformat
from nbclient import NotebookClient

path, kernel = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import json, sys, course_lib\\n"
    "from course_lib.config import data_location\\n"
    "where = data_location()\\n"
    "print(json.dumps({'course_lib': course_lib.__file__, 'prefix': sys.prefix,"
    " 'data_dir': str(where.path), 'source': where.source}))"))
NotebookClient(nb, timeout=300, kernel_name=kernel, allow_errors=False,
               resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}).execute()
print("PROBE " + nb.cells[-1].outputs[0]["text"].strip())
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the fresh venv's layout is POSIX here")
def test_a_notebook_runs_alone_from_the_wheel_and_writes_nothing_into_site_packages(tmp_path):
    start = time.perf_counter()
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = _purelib(python)
    assert site.is_relative_to(venv) and site.name == "site-packages"
    # Install the wheel alone (no deps, no index), before the heavy dependencies become visible.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                    "--no-index", "--quiet", str(wheel)], check=True, timeout=300)
    # torch & co. come from the course's own environment: a plain path line in a .pth file adds that
    # folder to sys.path without running its own .pth files, so its editable course_lib stays invisible.
    (site / "zz_course_dependencies.pth").write_text(f"{_purelib(sys.executable)}\n")
    kernels = tmp_path / "jupyter" / "kernels" / KERNEL
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv with the course wheel", "language": "python"}))
    alone = tmp_path / "alone"
    alone.mkdir()
    notebook = Path(shutil.copy2(NOTEBOOK, alone / NOTEBOOK.name))
    sync_install_cell.main([str(notebook)])  # as the repository's notebooks are (checked above)
    _install_cell(notebook)
    home = tmp_path / "home"
    home.mkdir()
    private = ("COURSE_", "PYTHON", "VIRTUAL_ENV", "JUPYTER", "XDG_", "IPYTHON", "MPLCONFIG")
    env = {k: v for k, v in os.environ.items() if not k.startswith(private)}
    env.update(HOME=str(home), COURSE_FAST="1", COURSE_OFFLINE="1", MPLBACKEND="Agg", TQDM_DISABLE="1",
               OMP_WAIT_POLICY="PASSIVE", JUPYTER_PATH=str(tmp_path / "jupyter"),
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    before = _snapshot(site)
    proc = subprocess.run([str(python), "-c", _RUNNER, str(notebook), KERNEL], cwd=alone, env=env,
                          capture_output=True, text=True, timeout=600)
    output = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, f"{NOTEBOOK.name} failed alone:\n{output}"
    probe = json.loads(proc.stdout.split("PROBE ", 1)[1])
    # The kernel ran in the fresh venv, on the wheel's copy of course_lib (not the repository's).
    assert Path(probe["prefix"]) == venv
    assert Path(probe["course_lib"]).resolve().is_relative_to(site.resolve()), probe["course_lib"]
    # Nothing was written into site-packages, nor next to the notebook ...
    after = _snapshot(site)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"written under site-packages: {changed[:20]}"
    assert sorted(p.name for p in alone.iterdir()) == [NOTEBOOK.name]
    # ... the data went to the per-user cache under the (temporary) home folder.
    cache = home / ".cache" / "pytorch-course"
    assert probe["source"] == "user cache" and Path(probe["data_dir"]) == cache
    results = [json.loads(line) for line in (cache / "results.jsonl").read_text().splitlines()]
    assert any(r["notebook"] == NOTEBOOK.stem[:2] for r in results), results
    print(f"standalone wheel + {NOTEBOOK.name}: {time.perf_counter() - start:.1f} s")
