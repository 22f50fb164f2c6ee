"""Structure of every notebook: the course's conventions, checked without running them."""

from __future__ import annotations

import re

import pytest

from course_lib.report import SYLLABUS
from tests.nbutil import NOTEBOOKS, ROOT, load, source

README = (ROOT / "README.md").read_text(encoding="utf-8")
IDS = [p.stem[:2] for p in NOTEBOOKS]


def test_notebooks_exist_and_are_numbered():
    assert NOTEBOOKS, "no notebooks found"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", p.stem) for p in NOTEBOOKS)
    assert len(set(IDS)) == len(IDS), "two notebooks share a number"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_conventions(path):
    nb = load(path)
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    cells = nb["cells"]
    code = "\n".join(source(c) for c in cells if c["cell_type"] == "code")
    # Listed in the README syllabus and in course_lib.report.SYLLABUS (which the report uses).
    assert path.name in README, f"{path.name} is missing from the README syllabus"
    assert SYLLABUS[path.stem[:2]][0] == path.stem
    # Starts with a markdown title.
    assert cells[0]["cell_type"] == "markdown" and source(cells[0]).lstrip().startswith("# ")
    # Stored without error outputs, and outputs only where nbval compares them.
    for c in cells:
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error", f"{path.name}: stored with an error output"
        if c.get("outputs"):
            assert source(c).lstrip().startswith("# NBVAL_CHECK_OUTPUT"), \
                f"{path.name}: outputs stored in a cell nbval does not check"
    assert "# NBVAL_CHECK_OUTPUT" in code, "needs at least one # NBVAL_CHECK_OUTPUT cell"
    # Asserts and records its headline result.
    assert re.search(r"\brecord\(", code), "headline result is not recorded (course_lib.report.record)"
    assert re.search(r"^\s*assert\b", code, re.M), "headline result is not asserted"
    # Device-agnostic: the static scan for hard-coded CUDA.
    assert not re.search(r"\.cuda\(\)|device\s*=\s*['\"]cuda", code), "hard-coded CUDA"
    assert "get_device(" in code, "choose the device with course_lib.get_device()"
    assert "seed_everything(" in code, "seed at the top with course_lib.seed_everything()"


def test_readme_lists_every_syllabus_entry():
    for stem, _topic in SYLLABUS.values():
        if (ROOT / "notebooks" / f"{stem}.ipynb").exists():
            assert f"{stem}.ipynb" in README
