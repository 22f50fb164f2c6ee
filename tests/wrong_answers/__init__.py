"""Plausible wrong answers to every exercise: each one must be rejected by its check.

One module per notebook, ``nbNN.py``, defines ``WRONG``: a dict from the exercise tag
(``"exercise-1"``) to a list of ``(what is wrong, replacement)`` pairs. A replacement is the code
that takes the place of the ``### BEGIN SOLUTION`` … ``### END SOLUTION`` span, written without
indentation (it is indented like the span). An exercise with several spans (in the order they
appear across its cells) takes a tuple of strings, one per span.

``tests/test_exercises.py`` runs every exercise once per wrong answer and requires
:class:`course_lib.exercises.ExerciseFailed` — not a crash, not a pass.
"""

from __future__ import annotations

import importlib
import re
import textwrap

from course_lib.exercises import SOLUTION_SPAN  # the same solution-span pattern the learner copy strips


def wrong_answers(notebook: str) -> dict[str, list[tuple[str, str | tuple[str, ...]]]]:
    """The ``WRONG`` table of notebook ``notebook`` (``"03"``), or ``{}`` if it has none."""
    try:
        module = importlib.import_module(f"tests.wrong_answers.nb{notebook}")
    except ModuleNotFoundError:
        return {}
    return module.WRONG


def count_spans(cells: list[str]) -> int:
    """How many solution spans the cells of one exercise hold."""
    return sum(len(SOLUTION_SPAN.findall(c)) for c in cells)


def replace_solutions(cells: list[str], replacement: str | tuple[str, ...]) -> list[str]:
    """The exercise's cells with each solution span replaced, in order, by ``replacement``.

    >>> replace_solutions(["def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION\\n"],
    ...                   "return 2")
    ['def f():\\n    return 2\\n']
    """
    parts = [replacement] if isinstance(replacement, str) else list(replacement)
    if len(parts) != count_spans(cells):
        raise ValueError(f"{len(parts)} replacement(s) for {count_spans(cells)} solution span(s)")
    queue = iter(parts)

    def sub(m: re.Match) -> str:
        code = textwrap.dedent(next(queue)).strip("\n")
        return textwrap.indent(code, m.group("indent"), lambda _line: True) + "\n"

    return [SOLUTION_SPAN.sub(sub, c) for c in cells]
