"""Regenerate the README's syllabus table from the course report, and each notebook's runtime line from it.

Run after `make run-all` (or `make test`): it reads the recorded headline results and the
per-notebook wall times and rewrites the block between the syllabus markers in README.md, so
the numbers learners read are the measured ones. Then the "Measured runtime" line at the top of every
notebook is written from the table's two time columns (``course_lib.report.runtime_header``; the
translations render it from the same numbers). `--check` exits 1 when the README or a notebook is stale;
`--headers` rewrites only the notebooks' runtime lines, from the README's table as it stands.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from course_lib.files import atomic_write
from course_lib.i18n import split_blocks
from course_lib.report import (
    RUNTIME_PREFIX,
    SYLLABUS,
    format_duration,
    latest,
    load_results,
    load_times,
    parse_runtime_header,
    runtime_header,
)

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- syllabus:start -->", "<!-- syllabus:end -->"


def _cells(num: str, fast: bool, results, times) -> tuple[str, str]:
    """(time, headline) of notebook ``num`` in one mode, from the report."""
    rows = [r for (nb, _), r in sorted(results.items()) if nb == num]
    secs = f"{times[num]:.0f} s" if num in times else "—"
    if fast:
        shown = "; ".join(f"{r.metric} = {r.value:.4g} ({'≥' if r.higher_is_better else '≤'} "
                          f"{r.target:g}{'' if r.passed else ', FAILED'})" for r in rows)
    else:  # the metrics and targets are named in the fast-mode column
        shown = "; ".join(f"{r.value:.4g}{'' if r.passed else ' (FAILED)'}" for r in rows)
    return secs, shown or "—"


def syllabus_table() -> str:
    all_results = load_results()
    modes = {fast: (latest(all_results, fast=fast), load_times(fast=fast)) for fast in (True, False)}
    lines = ["| # | notebook | topic | CPU time, fast | headline result, fast mode (target) "
             "| CPU time, full | same metrics, full mode |",
             "|---|---|---|---:|---|---:|---|"]
    for num, (stem, topic) in SYLLABUS.items():
        fast_secs, fast_shown = _cells(num, True, *modes[True])
        full_secs, full_shown = _cells(num, False, *modes[False])
        link = f"[`{stem}.ipynb`](notebooks/{stem}.ipynb)"
        row = [num, link, topic, fast_secs, fast_shown, full_secs, full_shown]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    for fast, how in ((True, "`make test`"), (False, "`make run-all FAST=0`")):
        times = modes[fast][1]
        total = sum(t for k, t in times.items() if k in SYLLABUS)
        mode = "fast" if fast else "full"
        if not times:
            lines.append(f"Total notebook time in {mode} mode: not measured yet ({how}).  ")
            continue
        lines.append(f"Total notebook time in {mode} mode: **{total / 60:.1f} min** on a 2-core CPU machine "
                     f"(measured by {how}; see `python -m course_lib report`).  ")
    return "\n".join(lines).rstrip()


def table_times(readme_text: str) -> dict[str, tuple[str, str]]:
    """Notebook number -> (fast, full) durations as the runtime line writes them, from the syllabus table."""
    times = {}
    for line in readme_text.split(START, 1)[1].split(END, 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in SYLLABUS:
            fast, full = (float(c[:-2]) if re.fullmatch(r"\d+ s", c) else None for c in (cells[3], cells[5]))
            times[cells[0]] = (format_duration(fast), format_duration(full))
    return times


def with_runtime_line(source: str, fast: str, full: str) -> str:
    """A notebook's first markdown cell with its runtime paragraph (old or generated) replaced."""
    blocks = split_blocks(source)
    for i, block in enumerate(blocks):
        if parse_runtime_header(block) or block.lstrip().startswith(("**Expected runtime", RUNTIME_PREFIX)):
            blocks[i] = runtime_header(fast, full)
            return "".join(blocks)
    raise ValueError("no runtime paragraph ('**Measured runtime** ...') in its first markdown cell")


def stale_notebooks(readme_text: str, write: bool) -> list[str]:
    """The notebooks whose runtime line differs from the table (rewritten when ``write``)."""
    stale = []
    for num, (fast, full) in table_times(readme_text).items():
        path = ROOT / "notebooks" / f"{SYLLABUS[num][0]}.ipynb"
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.cell_type == "markdown")
        try:
            new = with_runtime_line(cell.source, fast, full)
        except ValueError as exc:
            raise SystemExit(f"{path.name}: {exc}") from None
        if new != cell.source:
            stale.append(path.name)
            if write:
                cell.source = new
                atomic_write(path, nbformat.writes(nb) + "\n")
    return stale


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if "--headers" in argv:  # only the notebooks' runtime lines, from the table as it stands
        for name in stale_notebooks(text, write=True):
            print(f"{name}: runtime line updated.")
        return 0
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    new = f"{head}{START}\n{syllabus_table()}\n{END}{tail}"
    if "--check" in argv:
        stale = stale_notebooks(new, write=False)
        for name in stale:
            print(f"{name}: its runtime line is not the table's (run `make readme`)")
        return 0 if new == text and not stale else 1
    atomic_write(readme, new)
    print("README syllabus updated.")
    for name in stale_notebooks(new, write=True):
        print(f"{name}: runtime line updated.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
