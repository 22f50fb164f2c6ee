"""Test configuration shared by the unit tests and the notebook run (nbval).

Sets fast mode and a headless matplotlib backend for every kernel nbval starts (kernels inherit
this process's environment) and writes each notebook's wall time to
``data_dir()/notebook_times.json`` (``notebook_times_full.json`` in full mode) for
``python -m course_lib report``.
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


def _notebook_key(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    if not path.endswith(".ipynb"):
        return None
    return Path(path).name[:2]


def pytest_runtest_logstart(nodeid, location):
    key = _notebook_key(nodeid)
    if key is not None:
        _START.setdefault(key, time.perf_counter())


def pytest_runtest_logfinish(nodeid, location):
    key = _notebook_key(nodeid)
    if key is not None:
        _TIMES[key] = time.perf_counter() - _START[key]


def pytest_sessionfinish(session, exitstatus):
    if not _TIMES:
        return
    from course_lib.config import is_fast
    from course_lib.report import save_times

    save_times(_TIMES)
    lines = [f"  {k}: {v:6.1f} s" for k, v in sorted(_TIMES.items())]
    print(f"\nNotebook wall times ({'fast' if is_fast() else 'full'} mode):\n" + "\n".join(lines)
          + f"\n  total: {sum(_TIMES.values()):.1f} s")


def pytest_collection_modifyitems(items):
    """nbval waits only 5 s for a cell's outputs after the kernel says the cell finished; on a busy
    machine (CI, the slower fakegpu lane) a long cell's outputs can arrive later than that, and nbval
    then fails the cell with "Timeout of 5 seconds exceeded waiting for output". Wait up to 60 s."""
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.output_timeout = 60
