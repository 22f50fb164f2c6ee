"""Regenerate the README's syllabus table from the course report.

Run after `make run-all` (or `make test`): it reads the recorded headline results and the
per-notebook wall times and rewrites the block between the syllabus markers in README.md, so
the numbers learners read are the measured ones. `--check` exits 1 when the README is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from course_lib.files import atomic_write
from course_lib.report import SYLLABUS, latest, load_results, load_times

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


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    new = f"{head}{START}\n{syllabus_table()}\n{END}{tail}"
    if "--check" in argv:
        return 0 if new == text else 1
    atomic_write(readme, new)
    print("README syllabus updated.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
