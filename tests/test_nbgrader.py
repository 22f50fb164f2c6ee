"""The instructor kit: the course as nbgrader assignments (course_lib.assignments), graded by real nbgrader.

The first tests need no nbgrader. The others run nbgrader 0.9 (``pip install -e ".[instructor]"``; they
skip, saying so, where it is not installed) on notebooks 00 and 01: ``generate_assignment`` leaves no
solution code and agrees with the learner copy; ``autograde`` gives the solution full points and each
stored wrong answer (tests/wrong_answers) loses exactly its exercise's points; ``generate_feedback`` shows
the failing check's own ❌ message, in Chinese with ``COURSE_LANG=zh_CN``.

The wrong-answer sweep grades the short, exercises-only assignments (``--exercises-only``: seconds per
submission); notebook 01 is also graded whole, as the default assignment is, and timed.
"""

from __future__ import annotations

import contextlib
import html
import importlib.util
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from course_lib import assignments
from course_lib.exercises import BEGIN, END, ExerciseFailed, exercise_tags, learner_notebook
from tests.nbutil import NOTEBOOKS, load
from tests.wrong_answers import replace_solutions, wrong_answers

ROOT = Path(__file__).resolve().parents[1]
GRADED = ["00", "01"]  # cheap notebooks (10 s each in fast mode); 00 mentions the markers in its prose
HAVE_NBGRADER = importlib.util.find_spec("nbgrader") is not None
# nbgrader 0.9.6's own SQLAlchemy session warnings (autoflush of a submission not yet added)
pytestmark = pytest.mark.filterwarnings("ignore:Object of type:Warning")
needs_nbgrader = pytest.mark.skipif(not HAVE_NBGRADER, reason="nbgrader is not installed: "
                                    "pip install -e '.[instructor]' (CI installs it)")


def _nb(number: str) -> Path:
    return next(p for p in NOTEBOOKS if p.name.startswith(number))


def _src(cell: dict) -> str:
    raw = cell.get("source", "")
    return "".join(raw) if isinstance(raw, list) else raw


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _lines(cells: list[dict]) -> list[str]:
    """The non-blank lines of some cells, sorted (prose that mentions the markers read as written)."""
    text = "\n".join(_src(c) for c in cells).replace("\u00a0SOLUTION", " SOLUTION")
    return sorted(ln.strip() for ln in text.splitlines() if ln.strip())


# --- without nbgrader ---------------------------------------------------------------------------------

def test_every_exercise_has_points():
    for path in NOTEBOOKS:
        for tag in sorted({t for c in load(path)["cells"] for t in exercise_tags(c)}):
            assert assignments.points(path.name[:2], tag) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_assignment_keeps_every_line_and_grades_each_exercise_once(path):
    nb = load(path)
    out = assignments.assignment_notebook(nb, path.name[:2])
    tags = sorted({t for c in nb["cells"] for t in exercise_tags(c)})
    graded = [c for c in out["cells"] if _meta(c).get("grade")]
    assert [_meta(c)["grade_id"] for c in graded] == [f"{t}-check" for t in tags]
    assert all(c["metadata"]["nbgrader"]["locked"] and not _meta(c)["solution"] for c in graded)
    assert [_meta(c)["points"] for c in graded] == [assignments.points(path.name[:2], t) for t in tags]
    for c in out["cells"]:
        if BEGIN in _src(c):
            assert _meta(c)["solution"] and not _meta(c)["grade"], "a solution outside an answer cell"
    ids = [_meta(c)["grade_id"] for c in out["cells"] if _meta(c)]
    assert len(ids) == len(set(ids))
    assert _lines(nb["cells"]) == _lines(out["cells"])


def test_split_check_cuts_after_the_statement_holding_the_solution():
    code = "def f():\n    ### BEGIN SOLUTION\n    y = 1\n    ### END SOLUTION\n    return y\n\n\ncheck(f())\n"
    assert assignments.split_check(code) == (code[:code.index("\n\n\n") + 1], "check(f())\n")
    assert assignments.split_check("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n") == (
        "x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n", "")


def test_prose_mentioning_the_markers_is_not_a_solution():
    nb = assignments.assignment_notebook(load(_nb("00")), "00")
    prose = [_src(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert not any(BEGIN in p or END in p for p in prose)
    assert any("BEGIN\u00a0SOLUTION" in p for p in prose)


def test_missing_points_name_the_fix():
    with pytest.raises(assignments.AssignmentError, match="POINTS"):
        assignments.points("99", "exercise-1")


def test_make_assignments_cli(tmp_path, capsys):
    from course_lib.__main__ import main

    assert main(["make-assignments", str(ROOT / "notebooks"), str(tmp_path), "--only", "01", "04"]) == 0
    assert sorted(p.name for p in (tmp_path / "source").iterdir()) == [_nb("01").stem, _nb("04").stem]
    config = (tmp_path / "nbgrader_config.py").read_text()
    assert "COURSE_FAST" in config and assignments.STUB.replace('"', "") in config.replace('"', "").replace(
        "'", "")
    assert main(["make-assignments", str(tmp_path / "none"), str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("page", ["docs/instructors.md", "site/instructors.md"])
def test_docs_table_is_the_points_table(page):
    doc = (ROOT / page).read_text(encoding="utf-8")
    assert assignments.points_table(ROOT / "notebooks") in doc, f"{page}: paste the output of " \
        "`python -c 'from course_lib import assignments; print(assignments.points_table())'`"


# --- with the real nbgrader ---------------------------------------------------------------------------

@contextlib.contextmanager
def environment(**values: str):
    """os.environ with ``values`` set (the kernels nbgrader starts inherit it), restored afterwards."""
    saved = dict(os.environ)
    os.environ.update(values)
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + saved.get("PATH", "")  # alembic
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Nbgrader:
    """nbgrader's Python API (NbGraderAPI, the code its command line runs) on a course folder and its
    nbgrader_config.py: one process for every call saves nbgrader's start, about 5 s of CPU each."""

    def __init__(self, course: Path, **env: str):
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        self.env = {"COURSE_DATA_DIR": str(course / "data"), "OMP_NUM_THREADS": "1", **env}
        with environment(**self.env):
            config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
        config.CourseDirectory.root = str(course)
        self.api = NbGraderAPI(CourseDirectory(config=config), config=config)

    def __call__(self, command: str, *args) -> str:
        with environment(**self.env):
            result = getattr(self.api, command)(*args)
        assert result["success"], result.get("error", "") + result.get("log", "")[-3000:]
        assert "[ERROR]" not in result.get("log", ""), result["log"][-3000:]
        return result.get("log", "")


def grades(course: Path, assignment: str) -> dict[str, dict[str, float]]:
    """Each student's score per graded cell (grade_id), from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: {g.name: g.score for nb in s.notebooks for g in nb.grades}
                for s in gb.assignment_submissions(assignment)}


def submission(release: dict, source: dict, wrong: dict | None = None) -> dict:
    """The released student notebook with its answers filled in: the solutions, except the exercises in
    ``wrong`` (tag -> a stored wrong answer), whose answer cells get that wrong answer."""
    nb = json.loads(json.dumps(release))
    answers = [i for i, c in enumerate(source["cells"]) if _meta(c).get("solution")]
    for i in answers:
        assert _meta(nb["cells"][i])["grade_id"] == _meta(source["cells"][i])["grade_id"]
        nb["cells"][i]["source"] = _src(source["cells"][i])
    for tag, replacement in (wrong or {}).items():
        mine = [i for i in answers if _meta(source["cells"][i])["grade_id"].startswith(f"{tag}-answer")]
        for i, code in zip(mine, replace_solutions([_src(source["cells"][i]) for i in mine], replacement)):
            nb["cells"][i]["source"] = code
    return nb


def sweep(number: str) -> dict[str, dict[str, tuple[str, str]]]:
    """The wrong-answer submissions of a notebook: student ``wrong-K`` holds the K-th stored wrong answer of
    every exercise that has one (tag -> (what, code)), the other exercises solved.

    Several exercises per submission keep the sweep short; it still shows each wrong answer costing its
    exercise's points and no other's, as every check is a cell of its own, graded on its own, and every
    exercise runs alone (tests/test_exercises.py runs each in a fresh namespace). The last submissions
    of 01 hold one wrong answer only.
    """
    table = wrong_answers(number)
    return {f"wrong-{k}": {tag: cases[k] for tag, cases in table.items() if k < len(cases)}
            for k in range(max(map(len, table.values())))}


def built_once(tmp_path_factory, name: str, build) -> dict:
    """``build(folder)`` run once per test session, also when pytest-xdist spreads this module's tests over
    workers (they share the parent of their base temp folders and take turns on a lock); its result (JSON)
    is kept beside the folder."""
    import fcntl

    root = tmp_path_factory.getbasetemp()
    root = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    folder, done = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            done.write_text(json.dumps(build(folder)))
    return {"folder": str(folder), **json.loads(done.read_text())}


#: The language each assignment is graded in: the sweep of 00 also proves the Chinese feedback.
LANG = {"00": "zh_CN", "01": "en"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The exercises-only assignments of GRADED, released, with the solution and the wrong-answer sweep
    submitted and autograded, and the feedback of submission wrong-1."""
    if not HAVE_NBGRADER:
        pytest.skip("nbgrader is not installed: pip install -e '.[instructor]' (CI installs it)")
    return Path(built_once(tmp_path_factory, "nbgrader-course", _grade_the_sweep)["folder"])


def _grade_the_sweep(course: Path) -> dict:
    written = assignments.write_course(ROOT / "notebooks", course, only=GRADED, exercises_only=True)
    for path in written:
        name, number = path.parent.name, path.name[:2]
        grader = Nbgrader(course, COURSE_LANG=LANG[number])
        grader("generate_assignment", name)
        release = json.loads((course / "release" / name / path.name).read_text())
        source = json.loads(path.read_text())
        students = {"solution": {}}
        students.update({s: {t: code for t, (_, code) in w.items()} for s, w in sweep(number).items()})
        start = time.perf_counter()
        for student, wrong in students.items():
            target = course / "submitted" / student / name / path.name
            target.parent.mkdir(parents=True)
            target.write_text(json.dumps(submission(release, source, wrong)))
            grader("autograde", name, student)
        print(f"\n{name}: autograded {len(students)} exercises-only submissions in "
              f"{time.perf_counter() - start:.0f} s")
        grader("generate_feedback", name, "wrong-1")
    return {}


@needs_nbgrader
def test_student_version_has_no_solution_and_matches_the_learner_copy(course):
    for number in GRADED:
        path = _nb(number)
        release = json.loads((course / "release" / path.stem / path.name).read_text())
        code = "\n".join(_src(c) for c in release["cells"])
        assert BEGIN not in code and END not in code
        source = json.loads((course / "source" / path.stem / path.name).read_text())
        for cell in source["cells"]:
            if _meta(cell).get("solution"):  # no line of a solution survives into the student version
                solution = _src(cell).split(BEGIN)[1].split(END)[0]
                for line in solution.splitlines()[1:-1]:
                    assert line.strip() not in code or len(line.strip()) < 12, line
        learner = learner_notebook(load(path))  # what `make learner-copy` writes
        for tag in assignments.POINTS[number]:  # each exercise: the same code in both, line for line
            assert _lines([c for c in release["cells"] if tag in exercise_tags(c)]) == \
                _lines([c for c in learner["cells"] if tag in exercise_tags(c)]), tag
        lesson = [_src(c) for c in learner["cells"] if c["cell_type"] == "code" and not exercise_tags(c)]
        assert all(_src(c) in lesson for c in release["cells"] if c["cell_type"] == "code"
                   and not exercise_tags(c))


@needs_nbgrader
@pytest.mark.parametrize("number", GRADED)
def test_solution_earns_full_points(course, number):
    got = grades(course, _nb(number).stem)["solution"]
    assert got == {f"{t}-check": float(p) for t, p in assignments.POINTS[number].items()}


@needs_nbgrader
@pytest.mark.parametrize("number", GRADED)
def test_each_wrong_answer_loses_exactly_its_exercise(course, number):
    table = grades(course, _nb(number).stem)
    full = table["solution"]
    for student, wrong in sweep(number).items():
        expected = {**full, **{f"{tag}-check": 0.0 for tag in wrong}}
        assert table[student] == expected, f"{number} {student} ({[what for what, _ in wrong.values()]})"


def _failure(number: str, tag: str, k: int) -> str:
    """The ❌ message the exercise's check gives for wrong answer k, run here (self-study's words)."""
    from tests.test_exercises import run_cells

    cells = [_src(c) for c in load(_nb(number))["cells"] if tag in exercise_tags(c)]
    with pytest.raises(ExerciseFailed) as err:
        run_cells(replace_solutions(cells, wrong_answers(number)[tag][k][1]))
    return str(err.value)


def _text(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


@needs_nbgrader
@pytest.mark.parametrize("number", GRADED)
def test_feedback_names_the_failing_check_in_the_learners_words(course, monkeypatch, number):
    """The feedback page shows each failing check's own ❌ message (01 graded in English, 04 in Chinese)."""
    monkeypatch.setenv("COURSE_FAST", "1")
    monkeypatch.setenv("COURSE_LANG", LANG[number])
    name = _nb(number).stem
    page = _text(course / "feedback" / "wrong-1" / name / f"{name}.html")
    for tag in sweep(number)["wrong-1"]:
        message = _failure(number, tag, 1)
        assert message in page, f"{tag}: {message}"
    assert ("❌ 还没通过：期望" if LANG[number] == "zh_CN" else "❌ Not yet: expected") in page


@pytest.fixture(scope="module")
def whole_notebook_time(tmp_path_factory):
    """Notebook 01 as the default assignment (the whole notebook), its solution autograded and timed."""
    if not HAVE_NBGRADER:
        pytest.skip("nbgrader is not installed: pip install -e '.[instructor]' (CI installs it)")
    built = built_once(tmp_path_factory, "nbgrader-whole", _grade_one_whole_notebook)
    return Path(built["folder"]), built["name"], built["seconds"]


def _grade_one_whole_notebook(course: Path) -> dict:
    [path] = assignments.write_course(ROOT / "notebooks", course, only=["01"])
    name = path.parent.name
    grader = Nbgrader(course, COURSE_LANG="en")
    grader("generate_assignment", name)
    target = course / "submitted" / "solution" / name / path.name
    target.parent.mkdir(parents=True)
    shutil.copy(path, target)  # the source notebook, solutions in, as a submission
    start = time.perf_counter()
    grader("autograde", name, "solution")
    seconds = time.perf_counter() - start
    print(f"\n{name}: one whole-notebook submission autograded in {seconds:.0f} s (fast mode)")
    return {"name": name, "seconds": seconds}


@needs_nbgrader
def test_whole_notebook_grades_in_fast_mode_within_two_minutes(whole_notebook_time):
    course, name, seconds = whole_notebook_time
    assert grades(course, name)["solution"] == {f"{t}-check": float(p)
                                                for t, p in assignments.POINTS["01"].items()}
    assert seconds < 120, f"autograding one submission of {name} took {seconds:.0f} s (target: 2 min)"


def test_grading_runs_in_fast_mode(tmp_path):
    """The course's nbgrader_config.py sets COURSE_FAST=1 (unless the grader chose a mode) and the stub."""
    assignments.write_course(ROOT / "notebooks", tmp_path, only=["01"])
    from types import SimpleNamespace

    config = SimpleNamespace(CourseDirectory=SimpleNamespace(), ClearSolutions=SimpleNamespace(),
                             Execute=SimpleNamespace())
    namespace = {"get_config": lambda: config}
    with environment():
        os.environ.pop("COURSE_FAST", None)
        exec((tmp_path / "nbgrader_config.py").read_text(), namespace)
        assert os.environ["COURSE_FAST"] == "1"
    assert namespace["c"].ClearSolutions.code_stub == {"python": assignments.STUB}
