"""Test configuration shared by the unit tests and the notebook run (nbval).

Sets fast mode and a headless matplotlib backend (this process: Agg; the notebook kernels nbval
starts: the inline backend, so that figures become outputs) and writes each notebook's wall time to
``data_dir()/notebook_times.json`` (``notebook_times_full.json`` in full mode) for
``python -m course_lib report`` as soon as the notebook finishes.

Execute once: every notebook whose cells all passed is written with its outputs (figures included)
to ``data_dir()/executed`` under its fingerprint (``course_lib.fingerprint``), with its wall time and
the headline results it recorded; the website (``scripts/build_site.py``) renders those copies instead
of executing the notebooks again when the fingerprints match. A notebook that fails, or runs only in
part, is not written (and the copy of an earlier run with the same fingerprint is deleted when it
starts). ``tests/test_site.py`` runs after the notebooks, so the site test of the same session renders.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
# OpenMP threads sleep instead of spinning while waiting: on a busy machine (parallel jobs, CI)
# spinning threads made small models ~10-50x slower per step; little or no cost on an idle one.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A doctest must not change the environment: it would change every later test and notebook
    (a doctest that set COURSE_FAST=1 once made `make test FAST=0` run in fast mode)."""
    def env() -> dict[str, str]:
        # The course's own switches (libraries such as scikit-learn set others when imported).
        return {k: v for k, v in os.environ.items() if k.startswith("COURSE_") or k == "MPLBACKEND"}

    before = env() if isinstance(item, DoctestItem) else None
    result = yield
    if before is not None and env() != before:
        after = env()
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        raise AssertionError(f"doctest {item.name} changed environment variables {changed}; restore them")
    return result


_START: dict[str, float] = {}
_TIMES: dict[str, float] = {}
#: The kernels' backend: figures come back as PNG outputs, as in Jupyter and on the website.
KERNEL_MPLBACKEND = "module://matplotlib_inline.backend_inline"


class _Run:
    """One notebook of this session: its cells' outputs and whether they all passed."""

    def __init__(self, path: Path, nb, expected: int):
        self.path, self.nb, self.expected = path, nb, expected
        self.outputs: dict[int, list] = {}
        self.ok = True
        self.started_wall = time.time()
        self.started = False
        self.fingerprint = self.context = None

    def start(self) -> None:
        from course_lib.config import data_dir
        from course_lib.fingerprint import executed_path, notebook_fingerprint, run_context

        self.started, self.started_wall = True, time.time()
        try:
            self.context = run_context()  # this process's environment is the kernel's
            self.fingerprint = notebook_fingerprint(self.nb, self.context)
        except Exception as exc:  # noqa: BLE001 - never fail a notebook for its bookkeeping
            print(f"\n{self.path.name}: no fingerprint ({exc!r}); its outputs are not kept")
            return
        # An earlier copy under the same fingerprint must not outlive a failure of this run.
        try:
            executed_path(data_dir() / "executed", self.path.stem, self.fingerprint).unlink(missing_ok=True)
        except OSError as exc:
            print(f"\n{self.path.name}: {exc}; its outputs are not kept")
            self.fingerprint = None

    def finish(self, seconds: float) -> Path | None:
        """Write the executed notebook if every code cell ran and passed; return where."""
        if not self.ok or self.fingerprint is None or len(self.outputs) != self.expected:
            return None
        import copy

        import nbformat

        from course_lib.config import data_dir, is_fast
        from course_lib.fingerprint import write_executed
        from course_lib.report import load_results

        nb = copy.deepcopy(self.nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        for num, cell in enumerate(code):
            cell.outputs = [_output(o) for o in self.outputs[num]]
            cell.execution_count = num + 1
            for out in cell.outputs:
                if out.output_type == "execute_result":
                    out.execution_count = num + 1
        key = self.path.name[:2]
        since = self.started_wall - 1
        results = [vars(r) for r in load_results()
                   if r.notebook == key and r.timestamp >= since and bool(r.fast) == is_fast()]
        try:
            return write_executed(data_dir() / "executed", self.path.stem, nb, self.fingerprint, self.context,
                                  {"seconds": round(seconds, 1), "results": results})
        except nbformat.ValidationError as exc:
            print(f"\n{self.path.name}: executed copy not kept (invalid notebook: {exc.message})")
            return None


def _output(out):
    """An nbval output (a NotebookNode of what the kernel sent) as a valid nbformat v4 output."""
    from nbformat.v4 import new_output

    kind = out.get("output_type")
    if kind == "stream":
        return new_output("stream", name=out.get("name", "stdout"), text=out.get("text", ""))
    if kind == "error":
        return new_output("error", ename=out.get("ename", ""), evalue=out.get("evalue", ""),
                          traceback=list(out.get("traceback", [])))
    return new_output(kind, data=dict(out.get("data", {})), metadata=dict(out.get("metadata", {})),
                      **({"execution_count": out.get("execution_count")} if kind == "execute_result" else {}))


_RUNS: dict[str, _Run] = {}     # notebook path -> its run
_CELL_RUN: dict[str, _Run] = {}  # a cell's nodeid -> its notebook's run
_LAST: dict[str, _Run] = {}      # the nodeid of a notebook's last collected cell -> the run


def _is_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    """The first cell of a notebook starts its kernel (nbval): fingerprint the run, and start the
    kernel with the inline backend (environment variables are copied when it starts)."""
    run = _CELL_RUN.get(item.nodeid) if _is_cell(item) else None
    if run is None or run.started:
        return (yield)
    run.start()
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = KERNEL_MPLBACKEND
    try:
        return (yield)
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    run = _CELL_RUN.get(item.nodeid) if _is_cell(item) else None
    if run is not None:
        if report.failed or report.skipped:
            run.ok = False
        elif report.when == "call" and item.test_outputs is not None:
            run.outputs[item.cell_num] = list(item.test_outputs)
    return report


def _notebook_key(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    if not path.endswith(".ipynb"):
        return None
    return Path(path).name[:2]


#: Phase of the session -> [first start, last finish] (wall clock), printed as "[phase] NAME: N s".
_PHASES: dict[str, list[float]] = {}


def _phase(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return "notebooks"
    if path.endswith("test_site.py"):
        return "site build+browser test"
    return "unit tests"


def pytest_runtest_logstart(nodeid, location):
    key = _notebook_key(nodeid)
    if key is not None:
        _START.setdefault(key, time.perf_counter())
    now = time.perf_counter()
    _PHASES.setdefault(_phase(nodeid), [now, now])


def pytest_terminal_summary(terminalreporter, config):
    """One line per phase of a session that has several (unit tests, notebooks, site): .ci/run
    tabulates them (a session of one phase is timed as a whole by the Makefile). With ``--quick``, what
    was left out."""
    if config.getoption("--quick"):
        terminalreporter.write_line("--quick: left to `make test`: " + ", ".join(SLOW_TESTS))
    if len(_PHASES) < 2:
        return
    for name, (start, end) in _PHASES.items():
        terminalreporter.write_line(f"[phase] {name}: {end - start:.0f} s")


def pytest_runtest_logfinish(nodeid, location):
    key = _notebook_key(nodeid)
    if key is not None:
        _TIMES[key] = time.perf_counter() - _START[key]
    if _phase(nodeid) in _PHASES:
        _PHASES[_phase(nodeid)][1] = time.perf_counter()
    run = _LAST.get(nodeid)
    if run is not None:  # the notebook's last cell: its time and outputs are final
        from course_lib.report import save_times

        save_times({key: _TIMES[key]})  # now, not at the end: the site test of this session shows it
        try:
            run.finish(_TIMES[key])
        except Exception as exc:  # noqa: BLE001 - never fail the session for its bookkeeping
            print(f"\n{run.path.name}: executed copy not kept ({exc!r})")


def pytest_sessionfinish(session, exitstatus):
    if not _TIMES:
        return
    from course_lib.config import is_fast
    from course_lib.report import save_times

    save_times(_TIMES)  # saved as each notebook finished; again for a notebook whose last cell did not run
    lines = [f"  {k}: {v:6.1f} s" for k, v in sorted(_TIMES.items())]
    print(f"\nNotebook wall times ({'fast' if is_fast() else 'full'} mode):\n" + "\n".join(lines)
          + f"\n  total: {sum(_TIMES.values()):.1f} s")


#: The slow tests that `make check` (pytest --quick) leaves to `make test` and CI: each takes from 15 s to
#: over a minute on a 2-core machine (torchrun jobs, a wheel in a fresh venv, notebooks run by the tests
#: themselves, real Sphinx builds, JupyterLab started by `make lab`, the recipes' processes, rebuilding
#: the MNIST cache). Node id prefixes.
SLOW_TESTS = (
    "tests/test_distributed.py",
    "tests/test_ddp_train.py::test_single_process_run",
    "tests/test_recipes.py::test_recipe_runs",
    "tests/test_data_sources.py::test_mnist5k_cache_is_exact_and_rebuilt_when_damaged",
    "tests/test_standalone.py::test_a_notebook_runs_alone",
    "tests/test_i18n.py::test_a_translated_notebook_executes_end_to_end",
    "tests/test_i18n.py::test_translate_command",
    "tests/test_packaging.py::test_make_lab",
    "tests/test_fakegpu.py::test_on_fakegpu",
    "tests/test_execution_cache.py::test_the_site_renders",
    "tests/test_execution_cache.py::test_nbval_keeps",
    "tests/test_site.py::test_a_failing_notebook_fails_the_build",
    # the real nbgrader grading notebooks 00 and 01 (about 100 s of CPU); its other tests stay quick
    "tests/test_nbgrader.py::test_student_version",
    "tests/test_nbgrader.py::test_solution_earns",
    "tests/test_nbgrader.py::test_each_wrong_answer",
    "tests/test_nbgrader.py::test_feedback",
    "tests/test_nbgrader.py::test_whole_notebook",
)


def pytest_addoption(parser):
    parser.addoption("--quick", action="store_true",
                     help="leave the slow integration tests (conftest.SLOW_TESTS) to `make test`")


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: the last cell of a notebook is the last to run
def pytest_collection_modifyitems(config, items):
    """nbval waits only 5 s for a cell's outputs after the kernel says the cell finished; on a busy
    machine (CI, the slower fakegpu lane) a long cell's outputs can arrive later than that, and nbval
    then fails the cell with "Timeout of 5 seconds exceeded waiting for output". Wait up to 60 s.

    The site tests (tests/test_site.py) run last, after the notebooks: the site then renders the
    notebooks this session executed instead of executing them again.

    ``--quick`` deselects the slow integration tests (:data:`SLOW_TESTS`) and says which."""
    if config.getoption("--quick"):
        slow = [item for item in items if item.nodeid.startswith(SLOW_TESTS)]
        if slow:
            items[:] = [item for item in items if not item.nodeid.startswith(SLOW_TESTS)]
            config.hook.pytest_deselected(items=slow)
    for item in items:
        if _is_cell(item):
            item.output_timeout = 60
            path = Path(item.parent.path)
            run = _RUNS.get(str(path))
            if run is None:
                run = _RUNS[str(path)] = _Run(path, item.parent.nb, sum(
                    c.cell_type == "code" for c in item.parent.nb.cells))
            _CELL_RUN[item.nodeid] = run
    for run in _RUNS.values():
        cells = [nodeid for nodeid, r in _CELL_RUN.items() if r is run]
        if cells:
            _LAST[cells[-1]] = run
    if _RUNS:  # import torch and list the packages now, not in the first notebook's time
        from course_lib.fingerprint import run_context

        try:
            run_context()
        except Exception:  # noqa: BLE001 - _Run.start() says it, notebook by notebook
            pass
    site = [item for item in items if item.path.name == "test_site.py"]
    if site:
        items[:] = [item for item in items if item.path.name != "test_site.py"] + site
