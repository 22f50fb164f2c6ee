"""Automatic checks for the notebooks' exercises, and learner copies without solutions.

An exercise's solution sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in cells
tagged ``exercise-N``; :func:`make_learner_copy` replaces it with a stub.

>>> check(1 + 1 == 2, "one plus one is two")
✅ one plus one is two
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import torch

from .files import atomic_write

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: your code here")'
SOLUTION_SPAN = re.compile(r"^(?P<indent>[ \t]*)" + re.escape(BEGIN) + r"[^\n]*\n.*?^[ \t]*" + re.escape(END)
                           + r"[^\n]*(\n|$)", re.S | re.M)


class ExerciseFailed(AssertionError):
    """An exercise check did not pass; the message says what was expected."""


def check(condition: bool, what: str, hint: str | None = None) -> None:
    """Pass (print ✅) when ``condition`` is true, else raise :class:`ExerciseFailed`."""
    from .messages import frame, tr

    what = tr(what)  # in the learner's language when COURSE_LANG is set (course_lib.messages)
    if not condition:
        raise ExerciseFailed("❌ " + frame("Not yet: expected {what}.", what=what)
                             + (_space() + frame("Hint: {hint}", hint=tr(hint)) if hint else ""))
    print(f"✅ {what}")


def _space() -> str:
    """Between two sentences: a space in English, none after Chinese full-width punctuation."""
    from .messages import language

    return "" if language().startswith("zh") else " "


def check_shape(tensor: torch.Tensor, shape: tuple[int, ...], what: str = "the tensor") -> None:
    """Check a tensor's shape."""
    got = tuple(getattr(tensor, "shape", ()))
    check(got == tuple(shape), f"{what} to have shape {tuple(shape)}",
          hint=f"it has shape {got}" if got != tuple(shape) else None)


def check_close(actual, expected, what: str = "the result", atol: float = 1e-5, rtol: float = 1e-4,
                hint: str | None = None) -> None:
    """Check that ``actual`` equals ``expected`` within a tolerance (numbers, arrays or tensors)."""
    a = torch.as_tensor(actual, dtype=torch.float64) if not isinstance(actual, torch.Tensor) \
        else actual.detach().cpu().double()
    e = torch.as_tensor(expected, dtype=torch.float64) if not isinstance(expected, torch.Tensor) \
        else expected.detach().cpu().double()
    if a.shape != e.shape:
        from .messages import frame, tr

        raise ExerciseFailed("❌ " + frame("{what} should have shape {want}, got {got}.", what=tr(what),
                                           want=str(tuple(e.shape)), got=str(tuple(a.shape))))
    ok = torch.allclose(a, e, atol=atol, rtol=rtol)
    detail = hint or (None if ok else f"largest difference {(a - e).abs().max().item():.3g}")
    check(ok, f"{what} to match the reference", hint=detail)


def strip_solutions(source: str) -> str:
    """Replace every ``BEGIN/END SOLUTION`` span by a stub at the same indentation.

    >>> print(strip_solutions("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION\\n"))
    def f():
        raise NotImplementedError("Exercise: your code here")
    <BLANKLINE>
    """
    return SOLUTION_SPAN.sub(lambda m: f"{m.group('indent')}{STUB}\n", source)


def exercise_tags(cell: dict) -> list[str]:
    """The ``exercise-N`` tags of a notebook cell (as a dict from the .ipynb JSON)."""
    return [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("exercise-")]


class LearnerCopyError(ValueError):
    """A learner copy cannot be made; the message names the file and says what to do."""


def learner_notebook(nb: dict) -> dict:
    """A copy of a notebook dict with solutions stubbed and every output cleared.

    Cells without a ``source`` key (allowed by hand-edited files) are kept as they are.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        raw = cell.get("source", "")
        src = "".join(raw) if isinstance(raw, list) else raw
        if BEGIN in src:
            cell["source"] = strip_solutions(src)
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def _read_notebook(path: Path) -> dict:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise LearnerCopyError(f"{path} is not a valid notebook file ({err}); nothing was written. "
                               "Fix or remove it, then run the command again.") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise LearnerCopyError(f"{path} is JSON but not a notebook (no 'cells' list); nothing was written.")
    return nb


def make_learner_copy(src: str | Path, out: str | Path) -> list[Path]:
    """Write learner copies of every notebook in ``src`` (a folder or one file) into ``out``.

    Refuses (before writing anything) when a copy would overwrite one of the source notebooks, or
    when a source file is not a readable notebook. Each copy is written atomically.
    """
    src, out = Path(src), Path(out)
    if not src.exists():
        raise FileNotFoundError(f"{src} does not exist: give a notebook or a folder of notebooks.")
    notebooks = sorted(src.glob("*.ipynb")) if src.is_dir() else [src]
    if not notebooks:
        raise FileNotFoundError(f"No notebooks found in {src}.")
    sources = {p.resolve() for p in notebooks}
    clashes = [p for p in notebooks if (out / p.name).resolve() in sources]
    if clashes:
        raise LearnerCopyError(f"Refusing to write learner copies into {out}: they would overwrite the "
                               f"solution notebook(s) {', '.join(p.name for p in clashes)}. "
                               "Choose another output folder, e.g. 'learner'.")
    loaded = [(path, _read_notebook(path)) for path in notebooks]  # all read before any is written
    written = []
    for path, nb in loaded:
        target = out / path.name
        atomic_write(target, json.dumps(learner_notebook(nb), indent=1, ensure_ascii=False) + "\n")
        written.append(target)
    return written
