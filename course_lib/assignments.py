"""The course's exercises as an nbgrader course: assignments, locked graded checks, points.

Every notebook with exercises becomes one nbgrader assignment. An exercise is the code cells tagged
``exercise-N``: its solution (between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, the markers
nbgrader itself uses) becomes an *autograded answer* cell, and its check code (``check(...)`` calls that
print ✅ or raise ❌) a *locked, graded test* cell worth the exercise's :data:`POINTS`. A cell holding
both (notebooks 04, 05) is split after its last solution span. ``make-learner-copy`` strips the same
spans, so nbgrader's student version and the learner copy hold the same code.

>>> code = "def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION\\ncheck(f())\\n"
>>> cell = {"cell_type": "code", "metadata": {"tags": ["exercise-1"]}, "outputs": [], "source": code}
>>> [c["metadata"]["nbgrader"]["grade_id"] for c in exercise_cells("01", [cell])]
['exercise-1-answer', 'exercise-1-check']

The course folder follows nbgrader's layout (``source/<assignment>/<notebook>.ipynb`` and an
``nbgrader_config.py``); ``nbgrader generate_assignment``, ``autograde`` and ``generate_feedback``
then work as usual (docs/instructors.md). Grading runs in fast mode: the config sets ``COURSE_FAST=1``.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

from .exercises import BEGIN, SOLUTION_SPAN, STUB, exercise_tags
from .files import atomic_write

#: What each exercise is worth, by notebook number and exercise tag: the one
#: place points come from.
#: 1 point for one check, 2 for two or three, 3 for four or more (the exercise's ``check*`` calls, counted
#: when this table was written); docs/instructors.md shows it. A new exercise needs an entry here.
POINTS: dict[str, dict[str, int]] = {
    "00": {"exercise-1": 3, "exercise-2": 2},
    "01": {"exercise-1": 3, "exercise-2": 2, "exercise-3": 2},
    "02": {"exercise-1": 2, "exercise-2": 2, "exercise-3": 1, "exercise-4": 3},
    "03": {"exercise-1": 1, "exercise-2": 3, "exercise-3": 3, "exercise-4": 3},
    "04": {"exercise-1": 2, "exercise-2": 1, "exercise-3": 1},
    "05": {"exercise-1": 2, "exercise-2": 3, "exercise-3": 1},
    "06": {"exercise-1": 2, "exercise-2": 3, "exercise-3": 3},
    "07": {"exercise-1": 3, "exercise-2": 2, "exercise-3": 2},
    "08": {"exercise-1": 1, "exercise-2": 1, "exercise-3": 2},
    "09": {"exercise-1": 2, "exercise-2": 3, "exercise-3": 2},
    "10": {"exercise-1": 3, "exercise-2": 3, "exercise-3": 3},
    "11": {"exercise-1": 3, "exercise-2": 2, "exercise-3": 2, "exercise-4": 3},
    "12": {"exercise-1": 2, "exercise-2": 3, "exercise-3": 3},
    "13": {"exercise-1": 3, "exercise-2": 3, "exercise-3": 3},
    "14": {"exercise-1": 1, "exercise-2": 2, "exercise-3": 2},
    "15": {"exercise-1": 2, "exercise-2": 2},
}

#: The course's nbgrader settings, written as ``nbgrader_config.py`` beside ``source/``.
CONFIG = f'''"""nbgrader settings for the PyTorch course (from `python -m course_lib make-assignments`)."""
import os

# Grading runs every notebook in fast mode (COURSE_FAST=1): the same checks, less training.
os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "pytorch-course"
# The student version's stub is the learner copy's (course_lib.exercises.STUB), so both read the same.
c.ClearSolutions.code_stub = {{"python": {STUB!r}}}
# Seconds per cell: a fast-mode training cell takes up to about a minute on a busy 2-core machine.
c.Execute.timeout = 600
'''


class AssignmentError(ValueError):
    """A notebook cannot become an assignment; the message names the notebook and the exercise."""


def points(number: str, tag: str) -> int:
    """Points of exercise ``tag`` of notebook ``number`` (from :data:`POINTS`).

    >>> points("01", "exercise-1")
    3
    """
    try:
        return POINTS[number][tag]
    except KeyError:
        raise AssignmentError(f"notebook {number} {tag} has no points: add it to "
                              "course_lib/assignments.py POINTS") from None


def _text(cell: dict) -> str:
    raw = cell.get("source", "")
    return "".join(raw) if isinstance(raw, list) else raw


def split_check(source: str) -> tuple[str, str]:
    """Split a cell into (solution part, check part) after the statement that holds its last solution.

    The check part is empty when nothing but blank lines follows.

    >>> head, tail = split_check("def f():\\n    ### BEGIN SOLUTION\\n    x = 1\\n    ### END SOLUTION\\n"
    ...                          "    return x\\nprint(f())\\n")
    >>> head.splitlines()[-1], tail
    ('    return x', 'print(f())\\n')
    """
    spans = list(SOLUTION_SPAN.finditer(source))
    if not spans:
        return "", source
    end_line = source[:spans[-1].end()].rstrip("\n").count("\n") + 1  # 1-based line of the last END
    tree = ast.parse(re.sub(r"(?m)^(\s*)[%!].*$", r"\1pass", source))  # IPython magics: any statement
    cut = max([end_line] + [node.end_lineno for node in tree.body if node.lineno <= end_line])
    lines = source.splitlines(keepends=True)
    head, tail = "".join(lines[:cut]), "".join(lines[cut:])
    if not tail.strip():
        return source, ""
    return head, tail.lstrip("\n")


def nbgrader_meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
                  points: int | None = None) -> dict:
    """nbgrader's cell metadata (schema 3): an answer, a graded test or a read-only cell.

    >>> nbgrader_meta("exercise-1-check", grade=True, locked=True, points=2)["points"]
    2
    """
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _cell(template: dict, source: str, meta: dict, suffix: str) -> dict:
    cell = copy.deepcopy(template)
    cell["source"] = source
    cell["outputs"], cell["execution_count"] = [], None
    cell.setdefault("metadata", {})["nbgrader"] = meta
    if "id" in cell:
        cell["id"] = f"{cell['id']}-{suffix}"[:64]
    return cell


def exercise_cells(number: str, cells: list[dict]) -> list[dict]:
    """One exercise's code cells as nbgrader cells: answers, then ONE locked graded check cell.

    Check code after the last solution (from split cells and the cells that follow) becomes one
    graded cell worth the exercise's points, so any failing check costs them all; cells before the
    last solution are read-only.
    """
    [tag] = {t for c in cells for t in exercise_tags(c)}
    last = max((i for i, c in enumerate(cells) if BEGIN in _text(c)), default=None)
    if last is None:
        raise AssignmentError(f"notebook {number} {tag}: no '{BEGIN}' in its cells")
    out, checks, answers, setups = [], [], 0, 0
    for i, cell in enumerate(cells):
        head, tail = split_check(_text(cell))
        if head:
            answers += 1
            grade_id = f"{tag}-answer" + (f"-{answers}" if answers > 1 else "")
            out.append(_cell(cell, head, nbgrader_meta(grade_id, solution=True), "answer"))
        if tail and i < last:
            setups += 1
            out.append(_cell(cell, tail, nbgrader_meta(f"{tag}-setup-{setups}", locked=True), "setup"))
        elif tail:
            checks.append((cell, tail))
    if not checks:
        raise AssignmentError(f"notebook {number} {tag}: no check after its last solution")
    source = "\n\n".join(tail.rstrip("\n") for _, tail in checks) + "\n"
    out.append(_cell(checks[0][0], source, nbgrader_meta(f"{tag}-check", grade=True, locked=True,
                                                          points=points(number, tag)), "check"))
    return out


def _quote_markers(text: str) -> str:
    """Prose that *mentions* the markers: a no-break space, so nbgrader does not take it for a solution."""
    return text.replace("BEGIN SOLUTION", "BEGIN\u00a0SOLUTION").replace("END SOLUTION", "END\u00a0SOLUTION")


def assignment_notebook(nb: dict, number: str, exercises_only: bool = False) -> dict:
    """The nbgrader *source* version of a course notebook (solutions kept, outputs cleared).

    ``exercises_only`` keeps the title cell and the notebook from the heading before its first exercise
    (usually the summary) to its end: a short assignment that grades in seconds.
    """
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    first = next((i for i, c in enumerate(cells) if exercise_tags(c)), None)
    if first is None:
        raise AssignmentError(f"notebook {number} has no exercise")
    if exercises_only:
        start = max((i for i in range(1, first) if cells[i]["cell_type"] == "markdown"
                     and _text(cells[i]).lstrip().startswith("#")), default=1)
        cells = cells[:1] + cells[start:]
    out: list[dict] = []
    groups: dict[str, list[dict]] = {}
    for cell in cells:
        tags = exercise_tags(cell) if cell.get("cell_type") == "code" else []
        if tags:
            if tags[0] not in groups:
                groups[tags[0]] = []
                out.append({"placeholder": tags[0]})
            groups[tags[0]].append(cell)
            continue
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        else:
            cell["source"] = _quote_markers(_text(cell))
        out.append(cell)
    nb["cells"] = [c for item in out for c in (exercise_cells(number, groups[item["placeholder"]])
                                               if "placeholder" in item else [item])]
    return nb


def write_course(src: str | Path, out: str | Path, only: list[str] | None = None,
                 exercises_only: bool = False) -> list[Path]:
    """Write an nbgrader course folder: ``out/source/<stem>/<stem>.ipynb`` per notebook with exercises.

    ``only`` keeps the notebooks whose number is listed (``["01", "04"]``). ``nbgrader_config.py`` is
    written when missing (an instructor's edits are kept). Returns the notebooks written.
    """
    src, out = Path(src), Path(out)
    notebooks = sorted(src.glob("[0-9][0-9]_*.ipynb")) if src.is_dir() else [src]
    notebooks = [p for p in notebooks if only is None or p.name[:2] in only]
    if not notebooks:
        raise FileNotFoundError(f"no course notebook (NN_name.ipynb) in {src}"
                                + (f" numbered {', '.join(only)}" if only else ""))
    built = []
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if not any(exercise_tags(c) for c in nb["cells"]):
            continue
        try:
            built.append((path, assignment_notebook(nb, path.name[:2], exercises_only)))
        except AssignmentError as err:
            raise AssignmentError(f"{path.name}: {err}") from None
    written = []
    for path, nb in built:  # all converted before any is written
        target = out / "source" / path.stem / path.name
        atomic_write(target, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        written.append(target)
    config = out / "nbgrader_config.py"
    if not config.exists():
        atomic_write(config, CONFIG)
    return written


def points_table(src: str | Path = "notebooks") -> str:
    """A Markdown table: each notebook's exercises with their points, and the notebook's total."""
    rows = ["| notebook | points per exercise | total |", "|---|---|---:|"]
    for path in sorted(Path(src).glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        tags = sorted({t for c in nb["cells"] for t in exercise_tags(c)}, key=lambda t: int(t.split("-")[1]))
        if tags:
            worth = [points(path.name[:2], t) for t in tags]
            parts = " · ".join(f"{t.split('-')[1]}: {p}" for t, p in zip(tags, worth))
            rows.append(f"| `{path.stem}` | {parts} | {sum(worth)} |")
    return "\n".join(rows)
