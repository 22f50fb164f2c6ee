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

from course_lib.exercises import (
    BEGIN,
    ExerciseFailed,
    LearnerCopyError,
    exercise_tags,
    make_learner_copy,
    strip_solutions,
)
from tests.nbutil import NOTEBOOKS, load, source
from tests.wrong_answers import count_spans, replace_solutions, wrong_answers


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


def _tag(param) -> str:
    return param.id.split("-", 1)[1]


def wrong_cases():
    for param in EXERCISES:
        path, cells = param.values
        for what, replacement in wrong_answers(path.stem[:2]).get(_tag(param), []):
            yield pytest.param(path, cells, replacement, id=f"{param.id}-{what}")


WRONG_CASES = list(wrong_cases())


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
    """The learner copy's stub stops with the stub's own message (not some other error)."""
    with pytest.raises(NotImplementedError, match="Exercise: your code here"):
        run_cells([strip_solutions(c) for c in cells])


@pytest.mark.parametrize("path,cells,tag", [pytest.param(*p.values, _tag(p), id=p.id) for p in EXERCISES])
def test_every_exercise_has_two_wrong_answers(path, cells, tag):
    cases = wrong_answers(path.stem[:2]).get(tag, [])
    assert len(cases) >= 2, (f"{path.name} {tag}: the tests need at least two plausible wrong answers "
                             f"(tests/wrong_answers/nb{path.stem[:2]}.py)")
    for what, replacement in cases:
        parts = 1 if isinstance(replacement, str) else len(replacement)
        assert parts == count_spans(cells), f"{what}: {parts} replacement(s) for {count_spans(cells)} span(s)"


@pytest.mark.parametrize("path,cells,replacement", WRONG_CASES)
def test_wrong_answer_is_rejected(path, cells, replacement):
    """A plausible mistake must make the check fail with its own message — not crash, not pass."""
    with pytest.raises(ExerciseFailed):
        run_cells(replace_solutions(cells, replacement))


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


def _nb(*cells) -> str:
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


SOLVED = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
          "source": "x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n"}


def test_learner_copy_refuses_to_overwrite_the_solutions(tmp_path):
    (tmp_path / "01_a.ipynb").write_text(_nb(SOLVED))
    before = (tmp_path / "01_a.ipynb").read_text()
    for out in (tmp_path, tmp_path / "." / ""):
        with pytest.raises(LearnerCopyError, match="overwrite"):
            make_learner_copy(tmp_path, out)
    with pytest.raises(LearnerCopyError, match="overwrite"):
        make_learner_copy(tmp_path / "01_a.ipynb", tmp_path)
    assert (tmp_path / "01_a.ipynb").read_text() == before


def test_learner_copy_names_a_corrupt_notebook_and_writes_nothing(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "01_a.ipynb").write_text(_nb(SOLVED))
    (src / "02_b.ipynb").write_text('{"cells": [')
    with pytest.raises(LearnerCopyError, match="02_b.ipynb"):
        make_learner_copy(src, out)
    assert not out.exists() or not list(out.iterdir())


def test_learner_copy_tolerates_cells_without_source(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "01_a.ipynb").write_text(_nb({"cell_type": "code", "metadata": {}, "outputs": []}, SOLVED))
    [written] = make_learner_copy(src, out)
    cells = json.loads(written.read_text())["cells"]
    assert "source" not in cells[0] and "y = 2" not in source(cells[1])


def test_learner_copy_cli_gives_one_line_for_a_missing_source(tmp_path, capsys):
    from course_lib.__main__ import main

    assert main(["make-learner-copy", str(tmp_path / "nope"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "does not exist" in err and len(err.strip().splitlines()) == 1
