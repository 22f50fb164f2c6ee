"""Every exercise: its solution passes its check, and the learner stub fails it.

The cells tagged ``exercise-N`` of a notebook are run on their own, in a fresh namespace,
once as written and once with the solution stubbed by ``make-learner-copy``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import pytest

from course_lib.exercises import BEGIN, ExerciseFailed, exercise_tags, make_learner_copy, strip_solutions
from tests.nbutil import NOTEBOOKS, load, source


def exercises():
    for path in NOTEBOOKS:
        groups: dict[str, list[str]] = {}
        for cell in load(path)["cells"]:
            if cell["cell_type"] == "code":
                for tag in exercise_tags(cell):
                    groups.setdefault(tag, []).append(source(cell))
        for tag, cells in sorted(groups.items()):
            yield pytest.param(path, cells, id=f"{path.stem[:2]}-{tag}")


EXERCISES = list(exercises())


def run_cells(cells: list[str]) -> None:
    namespace: dict = {"__name__": "__exercise__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for code in cells:
            lines = [ln for ln in code.splitlines() if not ln.lstrip().startswith(("%", "!"))]
            exec(compile("\n".join(lines), "<exercise>", "exec"), namespace)


@pytest.fixture(autouse=True)
def _headless(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("COURSE_FAST", "1")


@pytest.mark.parametrize("path,cells", EXERCISES)
def test_solution_passes(path, cells):
    assert any(BEGIN in c for c in cells), f"{path.name}: exercise has no '{BEGIN}' marker"
    run_cells(cells)


@pytest.mark.parametrize("path,cells", EXERCISES)
def test_stub_fails(path, cells):
    with pytest.raises((NotImplementedError, ExerciseFailed)):
        run_cells([strip_solutions(c) for c in cells])


def test_every_notebook_has_exercises():
    with_ex = {param.values[0].stem[:2] for param in EXERCISES}
    missing = [p.name for p in NOTEBOOKS if p.stem[:2] not in with_ex]
    assert not missing, f"notebooks without exercises: {missing}"


def test_learner_copy_strips_solutions_and_outputs(tmp_path):
    written = make_learner_copy(os.fspath(NOTEBOOKS[0].parent), tmp_path)
    assert len(written) == len(list(NOTEBOOKS[0].parent.glob("*.ipynb")))
    for out in written:
        nb = json.loads(out.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert BEGIN not in source(cell), f"{out.name}: a solution survived"
                assert cell["outputs"] == [] and cell["execution_count"] is None


def test_strip_keeps_indentation():
    code = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n\nprint(1)\n"
    assert strip_solutions(code) == ('def f(x):\n    raise NotImplementedError("Exercise: your code here")\n'
                                     "\nprint(1)\n")


def test_make_learner_copy_cli(tmp_path):
    from course_lib.__main__ import main

    assert main(["make-learner-copy", os.fspath(NOTEBOOKS[0]), os.fspath(tmp_path)]) == 0
    assert (tmp_path / NOTEBOOKS[0].name).exists()
