"""Execute once: the website renders what the test run executed, and only when nothing changed since.

``conftest.py`` keeps each notebook nbval ran through with its outputs in ``data_dir()/executed`` under
its fingerprint (``course_lib.fingerprint``); ``scripts/build_site.py`` renders those copies when the
fingerprint it computes for its own build is the same, and otherwise executes (through a jupyter-cache
of its own environment fingerprint). These tests use tiny synthetic notebooks, never the course's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib import fingerprint as fp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import build_site  # noqa: E402

MARKER = "printed by the test run 0b1f"


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem[:2]} · A tiny notebook")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _executed_copy(folder: Path, notebook: Path, context: dict, text: str = MARKER) -> Path:
    """An executed copy of ``notebook`` as conftest.py writes it, with ``text`` as every cell's output."""
    nb = nbformat.read(notebook, as_version=4)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{text}\n")]
        cell.execution_count = i + 1
    result = {"notebook": notebook.stem[:2], "metric": "tiny_metric", "value": 0.75, "target": 0.5,
              "higher_is_better": True, "passed": True, "device": "cpu", "seconds": 1.0, "fast": True,
              "timestamp": 1.7e9}
    return fp.write_executed(folder, notebook.stem, nb, fp.notebook_fingerprint(notebook, context), context,
                             {"seconds": 12.3, "results": [result]})


def _context(data: Path) -> dict:
    return fp.run_context(build_site.kernel_env("fast", data))


@pytest.fixture
def frozen(tmp_path, monkeypatch) -> Path:
    """A copy of course_lib that the fingerprints are computed from: nobody edits it during the test
    (in a shared working tree, an edit to course_lib between two fingerprints rightly changes them)."""
    package = tmp_path / "frozen" / "course_lib"
    shutil.copytree(fp.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fp, "PACKAGE_DIR", package)
    return package


# -- The fingerprint -----------------------------------------------------------------------------------

def test_a_course_lib_change_changes_the_fingerprint(tmp_path):
    package = tmp_path / "course_lib"
    shutil.copytree(fp.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    notebook = _notebook(tmp_path / "00_tiny.ipynb", "print(1)")
    env = {"COURSE_FAST": "1"}
    before = fp.notebook_fingerprint(notebook, fp.run_context(env, package))
    assert fp.notebook_fingerprint(notebook, fp.run_context(env, package)) == before  # stable
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"cache")  # caches do not count
    assert fp.notebook_fingerprint(notebook, fp.run_context(env, package)) == before
    module = package / "metrics.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# a comment is a change\n", encoding="utf-8")
    assert fp.notebook_fingerprint(notebook, fp.run_context(env, package)) != before
    shutil.copytree(fp.PACKAGE_DIR, package, dirs_exist_ok=True)
    assert fp.notebook_fingerprint(notebook, fp.run_context(env, package)) == before
    catalog = next(package.rglob("*.po"))  # package data: the run-time messages' catalog
    catalog.write_text(catalog.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert fp.notebook_fingerprint(notebook, fp.run_context(env, package)) != before


@pytest.mark.parametrize(("name", "value"), [("COURSE_FAST", "0"), ("COURSE_SEED", "1"),
                                             ("COURSE_DEVICE", "fakegpu"), ("ATEN_CPU_CAPABILITY", "default"),
                                             ("COURSE_LANG", "zh_CN")])
def test_mode_seed_device_and_cpu_kernels_change_the_fingerprint(tmp_path, name, value):
    notebook = _notebook(tmp_path / "00_tiny.ipynb", "print(1)")
    env = {"COURSE_FAST": "1"}
    base = fp.notebook_fingerprint(notebook, fp.run_context(env))
    assert fp.notebook_fingerprint(notebook, fp.run_context({**env, name: value})) != base
    default_seed = fp.run_context({**env, "COURSE_SEED": "0"})
    assert fp.notebook_fingerprint(notebook, default_seed) == base


def test_code_changes_the_fingerprint_and_prose_does_not(tmp_path):
    context = fp.run_context({"COURSE_FAST": "1"})
    notebook = _notebook(tmp_path / "00_tiny.ipynb", "print(1)")
    base = fp.notebook_fingerprint(notebook, context)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source = "# 00 · 一个很小的笔记本"  # a translation
    assert fp.notebook_fingerprint(nb, context) == base
    nb.cells[1].source = "print(2)"
    assert fp.notebook_fingerprint(nb, context) != base


# -- The site's choice ---------------------------------------------------------------------------------

def test_matching_copies_are_rendered_and_a_course_lib_change_makes_them_stale(tmp_path, monkeypatch, frozen):
    notebooks, executed, data = tmp_path / "notebooks", tmp_path / "run" / "executed", tmp_path / "site-data"
    chosen = [_notebook(notebooks / "00_a.ipynb", "print('a')"),
              _notebook(notebooks / "01_b.ipynb", "print('b')")]
    context = _context(data)
    for nb in chosen:
        _executed_copy(executed, nb, context)
    how = build_site.plan("fast", data, chosen, executed)
    assert how.execution == "off" and set(how.executed) == {"00_a", "01_b"}
    assert "nothing is executed" in how.describe()
    assert build_site.plan("fast", data, chosen, None).execution == "cache"  # --execute

    # course_lib changes: every copy is stale, and the build says why
    report = frozen / "report.py"
    original = report.read_text(encoding="utf-8")
    report.write_text(original + "\n# changed\n", encoding="utf-8")
    stale = build_site.plan("fast", data, chosen, executed)
    assert stale.execution == "cache" and stale.executed == {}
    assert stale.reasons == {"00_a": "course_lib changed", "01_b": "course_lib changed"}
    assert stale.cache != how.cache  # and jupyter-cache is keyed on the environment too
    report.write_text(original, encoding="utf-8")
    assert build_site.plan("fast", data, chosen, executed).execution == "off"

    # one notebook missing (e.g. it failed under nbval): nothing is rendered, all are executed
    next(executed.glob("01_b-*.ipynb")).unlink()
    partial = build_site.plan("fast", data, chosen, executed)
    assert partial.execution == "cache" and partial.reasons == {"01_b": "not executed by a test run"}
    # another mode or seed is another fingerprint
    assert build_site.plan("full", data, chosen[:1], executed).execution == "cache"
    monkeypatch.setenv("COURSE_SEED", "1")
    assert build_site.plan("fast", data, chosen[:1], executed).reasons == {"00_a": "seed 0 -> 1"}


def test_a_copy_whose_recorded_fingerprint_differs_is_not_found(tmp_path, frozen):
    notebook = _notebook(tmp_path / "00_a.ipynb", "print('a')")
    context = fp.run_context({"COURSE_FAST": "1"})
    path = _executed_copy(tmp_path / "executed", notebook, context)
    fingerprint = fp.notebook_fingerprint(notebook, context)
    assert fp.find_executed(tmp_path / "executed", "00_a", fingerprint) == path
    nb = nbformat.read(path, as_version=4)
    nb.metadata[fp.METADATA_KEY]["fingerprint"] = fingerprint[:20] + "0" * 44  # same file name
    nbformat.write(nb, path)
    assert fp.find_executed(tmp_path / "executed", "00_a", fingerprint) is None


def test_translated_notebooks_get_the_english_outputs_and_download_without_them(tmp_path, frozen):
    english = _notebook(tmp_path / "en" / "00_a.ipynb", "x = 1", "print(x)")
    context = fp.run_context({"COURSE_FAST": "1"})
    copy = _executed_copy(tmp_path / "executed", english, context)
    staged = tmp_path / "src" / "notebooks" / "00_a.ipynb"
    staged.parent.mkdir(parents=True)
    nb = nbformat.read(english, as_version=4)
    nb.cells[0].source = "# 00 · 一个很小的笔记本"
    nbformat.write(nb, staged)
    build_site.merge_outputs(staged, copy)
    merged = nbformat.read(staged, as_version=4)
    assert merged.cells[0].source.endswith("一个很小的笔记本")
    assert [c.outputs[0]["text"] for c in merged.cells[1:]] == [f"{MARKER}\n"] * 2
    pristine = nbformat.read(tmp_path / "src" / "_pristine" / "notebooks" / "00_a.ipynb", as_version=4)
    assert all(c.outputs == [] for c in pristine.cells if c.cell_type == "code")
    nb.cells[1].source = "x = 2"  # a translation that changed code must never get these outputs
    nbformat.write(nb, staged)
    with pytest.raises(SystemExit, match="code cells differ"):
        build_site.merge_outputs(staged, copy)


def test_the_site_renders_a_matching_copy_and_never_publishes_a_stale_one(tmp_path, frozen):
    """Real (tiny) builds. The notebook raises when executed: a rendered build that succeeds executed
    nothing and shows the test run's output and report; once course_lib changes, the copy is stale and
    the build executes, which fails here, so the stale output cannot be published."""
    pytest.importorskip("myst_nb", reason="the site tools are not installed: pip install -e '.[site]'")
    notebooks, executed, data = tmp_path / "notebooks", tmp_path / "run" / "executed", tmp_path / "site-data"
    notebook = _notebook(notebooks / "00_tiny.ipynb", "raise RuntimeError('executed by the site build')")
    _executed_copy(executed, notebook, _context(data))
    html = build_site.build("fast", tmp_path / "out", data, notebooks=notebooks, languages=("en",),
                            executed=executed)
    page = (html / "notebooks" / "00_tiny.html").read_text(encoding="utf-8")
    assert MARKER in page
    assert "tiny_metric = 0.75" in page and "12 s" in page  # the header: that run's report
    download = nbformat.read(html / "notebooks" / "00_tiny.ipynb", as_version=4)
    assert download.cells[1].outputs == []
    behind = build_site.executed_notebook(tmp_path / "out", "00_tiny")
    assert behind.cells[1].outputs[0]["text"] == f"{MARKER}\n"

    (frozen / "train.py").write_text((frozen / "train.py").read_text(encoding="utf-8") + "\n# changed\n",
                                     encoding="utf-8")
    with pytest.raises(SystemExit, match="executed by the site build"):
        build_site.build("fast", tmp_path / "out", data, notebooks=notebooks, languages=("en",),
                         executed=executed)
    assert not (html / "notebooks" / "00_tiny.html").exists()


# -- What the test run keeps (conftest.py under nbval) ---------------------------------------------------

def test_nbval_keeps_passed_notebooks_with_outputs_and_never_a_failed_one(tmp_path, frozen):
    """Run conftest.py's hooks for real: nbval on a passing and a failing tiny notebook (the run and its
    kernels import the frozen copy of course_lib)."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy2(ROOT / "conftest.py", work / "conftest.py")
    good = _notebook(work / "00_good.ipynb",
                     "import course_lib\nprint('hello from', course_lib.__file__)",
                     "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()",
                     "from course_lib.report import record\n"
                     "assert record(notebook='00', metric='tiny', value=1.0, target=0.5, device='cpu')")
    bad = _notebook(work / "01_bad.ipynb", "print('fine so far')", "raise ValueError('this notebook fails')",
                    "print('after the failure')")
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "PYTEST_"))}
    path = os.pathsep.join([str(frozen.parent), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.update(COURSE_DATA_DIR=str(data), COURSE_FAST="1", MPLBACKEND="Agg", PYTHONPATH=path)
    context = fp.run_context(env)
    # a copy of the failing notebook from an earlier run with the same fingerprint must not survive
    earlier = _executed_copy(data / "executed", bad, context)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval-lax",
                           "--nbval-current-env", "00_good.ipynb", "01_bad.ipynb"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1 failed" in proc.stdout, proc.stdout[-3000:]
    assert not earlier.exists(), fp.why_stale(data / "executed", "00_good", context)
    assert fp.other_copies(data / "executed", "01_bad") == []
    kept = fp.find_executed(data / "executed", "00_good", fp.notebook_fingerprint(good, context))
    assert kept is not None, proc.stdout[-3000:]
    nb = nbformat.read(kept, as_version=4)
    nbformat.validate(nb)
    outputs = [c.outputs for c in nb.cells if c.cell_type == "code"]
    assert outputs[0][0]["text"] == f"hello from {frozen / '__init__.py'}\n"
    assert any("image/png" in o.get("data", {}) for o in outputs[1]), outputs[1]  # the inline backend
    meta = nb.metadata[fp.METADATA_KEY]
    assert meta["fingerprint"] == fp.notebook_fingerprint(good, context) and meta["seconds"] > 0
    assert [(r["notebook"], r["metric"], r["value"]) for r in meta["results"]] == [("00", "tiny", 1.0)]
    from course_lib.report import load_times

    assert set(load_times(data / "notebook_times.json")) == {"00", "01"}


# -- make check: which notebooks a change can affect ------------------------------------------------------

def test_make_check_picks_changed_notebooks_and_those_importing_changed_code(tmp_path):
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    by_number = {nb.name[:2]: nb for nb in notebooks}
    picked = fp.affected_notebooks(["notebooks/" + by_number["05"].name, "course_lib/gan.py", "README.md"],
                                   notebooks)
    assert {nb.name[:2]: why for nb, why in picked.items()} == {"05": "changed",
                                                                "10": "imports course_lib.gan"}
    assert fp.affected_notebooks(["README.md", "locale/zh_CN/LC_MESSAGES/02_autograd.po"], notebooks) == {}
    for everything in ("course_lib/__init__.py", "course_lib/config.py", "course_lib/device.py",
                       "conftest.py", "course_lib/locale/zh_CN/LC_MESSAGES/course_lib.po"):
        assert len(fp.affected_notebooks([everything], notebooks)) == len(notebooks), everything
    # through another module: course_lib.ddp_train is launched by notebook 15 only
    assert [nb.name[:2] for nb in fp.affected_notebooks(["course_lib/ddp_train.py"], notebooks)] == ["15"]

    # the files that differ from a branch: committed, staged, modified or untracked
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                       capture_output=True)

    git("init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a")
    (repo / "b.txt").write_text("b")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    git("checkout", "-q", "-b", "work")
    (repo / "c.txt").write_text("c")
    git("add", "c.txt")
    git("commit", "-q", "-m", "two")
    (repo / "a.txt").write_text("changed")
    (repo / "new.txt").write_text("untracked")
    assert fp.changed_files("main", repo) == ["a.txt", "c.txt", "new.txt"]


def test_packages_digest_ignores_folders_added_to_sys_path(tmp_path, monkeypatch):
    """A test (or the current folder) that puts a ``*.dist-info`` on sys.path must not change the packages
    the fingerprint sees: the notebook kernels never see that folder, and the two would disagree."""
    info = tmp_path / "planted-9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: planted\nVersion: 9.9\n")
    fp.distributions_digest.cache_clear()
    before = fp.distributions_digest()
    monkeypatch.syspath_prepend(str(tmp_path))
    fp.distributions_digest.cache_clear()
    from importlib import metadata
    assert any(d.metadata["Name"] == "planted" for d in metadata.distributions())  # sys.path sees it ...
    assert fp.distributions_digest() == before  # ... the fingerprint does not
    fp.distributions_digest.cache_clear()
