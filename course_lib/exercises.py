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

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: your code here")'
_SPAN = re.compile(r"^(?P<indent>[ \t]*)" + re.escape(BEGIN) + r"[^\n]*\n.*?^[ \t]*" + re.escape(END)
                   + r"[^\n]*(\n|$)", re.S | re.M)


class ExerciseFailed(AssertionError):
    """An exercise check did not pass; the message says what was expected."""


def check(condition: bool, what: str, hint: str | None = None) -> None:
    """Pass (print ✅) when ``condition`` is true, else raise :class:`ExerciseFailed`."""
    if not condition:
        raise ExerciseFailed(f"❌ Not yet: expected {what}." + (f" Hint: {hint}" if hint else ""))
    print(f"✅ {what}")


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
        raise ExerciseFailed(f"❌ Not yet: {what} should have shape {tuple(e.shape)}, got {tuple(a.shape)}.")
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
    return _SPAN.sub(lambda m: f"{m.group('indent')}{STUB}\n", source)


def exercise_tags(cell: dict) -> list[str]:
    """The ``exercise-N`` tags of a notebook cell (as a dict from the .ipynb JSON)."""
    return [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("exercise-")]


def learner_notebook(nb: dict) -> dict:
    """A copy of a notebook dict with solutions stubbed and every output cleared."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if BEGIN in src:
            cell["source"] = strip_solutions(src)
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def make_learner_copy(src: str | Path, out: str | Path) -> list[Path]:
    """Write learner copies of every notebook in ``src`` (a folder or one file) into ``out``."""
    src, out = Path(src), Path(out)
    notebooks = sorted(src.glob("*.ipynb")) if src.is_dir() else [src]
    if not notebooks:
        raise FileNotFoundError(f"No notebooks found in {src}.")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        target = out / path.name
        target.write_text(json.dumps(learner_notebook(nb), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        written.append(target)
    return written
