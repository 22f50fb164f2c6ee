"""The simulated accelerator (course_lib.fakegpu), tested from a process of its own.

Enabling ``fakegpu`` cannot be undone in a process: afterwards ``torch.accelerator`` reports it
(so ``DataLoader(pin_memory=True)`` fails on CPU data) and the autograd engine, if it ran a backward
pass before, trips an internal assert on the new device. So this CPU test process never enables
it: the cases in ``tests/fakegpu_cases.py`` run in one child process that enables it first, and each
case is reported here as a test of its own (``test_on_fakegpu[<case>]``). The tests below that
check the CPU process itself run here.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch

from course_lib import fakegpu

if fakegpu.missing_requirements():  # an older torch (the floor lane): device.supports("fakegpu") is False
    pytest.skip(f"course_lib.fakegpu needs what torch {torch.__version__} lacks: "
                + "; ".join(fakegpu.missing_requirements()), allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).with_name("fakegpu_cases.py")
#: Starts the child: enable the device before anything else (before any backward pass), then pytest.
CHILD = ("import sys, pytest\nfrom course_lib import fakegpu\nfakegpu.enable()\n"
         "sys.exit(pytest.main(sys.argv[1:]))")


def case_names() -> list[str]:
    """The test functions of fakegpu_cases.py, read without importing it."""
    tree = ast.parse(CASES.read_text(encoding="utf-8"))
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


@pytest.fixture(scope="module")
def fakegpu_run(tmp_path_factory) -> tuple[dict[str, tuple[str, str]], str]:
    """Run every case once in a fakegpu process: ({test id: (outcome, message)}, its output)."""
    report = tmp_path_factory.mktemp("fakegpu") / "report.xml"
    env = {**os.environ, "COURSE_DEVICE": "fakegpu", "TQDM_DISABLE": "1"}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(CASES), "-q", "-p", "no:cacheprovider",
                           f"--junitxml={report}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    results: dict[str, tuple[str, str]] = {}
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            outcome, message = "passed", ""
            for child in case:
                if child.tag in ("failure", "error", "skipped"):
                    outcome = child.tag
                    message = (child.get("message") or "") + "\n" + (child.text or "")
            results[case.get("name", "")] = (outcome, message)
    return results, output


@pytest.mark.parametrize("case", case_names())
def test_on_fakegpu(case, fakegpu_run):
    results, output = fakegpu_run
    runs = {name: result for name, result in results.items() if name == case or name.startswith(case + "[")}
    if not runs:
        pytest.fail(f"{case} did not run in the fakegpu process; its output:\n{output[-4000:]}")
    bad = {name: message for name, (outcome, message) in runs.items() if outcome in ("failure", "error")}
    if bad:
        pytest.fail("\n\n".join(f"{name} failed on fakegpu:\n{message}" for name, message in bad.items()),
                    pytrace=False)
    skipped = [message for outcome, message in runs.values() if outcome == "skipped"]
    if len(skipped) == len(runs):
        pytest.skip(skipped[0].strip())


def _backend_untouched() -> None:
    assert torch._C._get_privateuse1_backend_name() == "privateuseone", \
        "course_lib.fakegpu was enabled in the CPU test process (it must run in a process of its own)"
    assert not fakegpu.is_enabled() and not hasattr(torch, "fakegpu")


def test_cpu_test_process_never_registers_the_backend():
    """Importing the suite's modules (as collection does) and running the doctests, which this
    process has done by now, must leave the CPU process a CPU process."""
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        if path.stem not in sys.modules:   # pytest imports test modules by their bare name
            sys.path.insert(0, str(path.parent))
            try:
                importlib.import_module(path.stem)
            except pytest.skip.Exception:     # a module that skips itself here (an optional package)
                pass
            finally:
                sys.path.remove(str(path.parent))
    _backend_untouched()
    if not torch.cuda.is_available():
        assert not torch.accelerator.is_available()


def test_enable_refuses_a_cpu_test_process(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    with pytest.raises(RuntimeError, match="pytest process that does not run on the simulated device"):
        fakegpu.enable()
    _backend_untouched()


def test_enable_names_what_an_older_torch_lacks(monkeypatch):
    assert fakegpu.missing_requirements() == []          # this torch has every hook
    monkeypatch.setenv("COURSE_DEVICE", "fakegpu")       # past the guard above
    monkeypatch.setattr(fakegpu, "missing_requirements",
                        lambda: ["torch.utils.backend_registration._setup_privateuseone_for_python_backend"])
    with pytest.raises(RuntimeError, match=r"cannot run on torch .*_setup_privateuseone_for_python_backend"):
        fakegpu.enable()
    _backend_untouched()                                 # refused before registering anything
