"""Regenerate the README's syllabus table from the course report.

Run after `make run-all` (or `make test`): it reads the recorded headline results and the
per-notebook wall times and rewrites the block between the syllabus markers in README.md, so
the numbers learners read are the measured ones. `--check` exits 1 when the README is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from course_lib.report import SYLLABUS, latest, load_results, load_times

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- syllabus:start -->", "<!-- syllabus:end -->"


def syllabus_table() -> str:
    results, times = latest(load_results()), load_times()
    lines = ["| # | notebook | topic | CPU time (fast mode) | headline result (fast mode) |",
             "|---|---|---|---:|---|"]
    for num, (stem, topic) in SYLLABUS.items():
        rows = [r for (nb, _), r in sorted(results.items()) if nb == num]
        secs = f"{times[num]:.0f} s" if num in times else "—"
        shown = "; ".join(f"{r.metric} = {r.value:.4g} ({'≥' if r.higher_is_better else '≤'} "
                          f"{r.target:g}{'' if r.passed else ', FAILED'})" for r in rows) or "—"
        lines.append(f"| {num} | [`{stem}.ipynb`](notebooks/{stem}.ipynb) | {topic} | {secs} | {shown} |")
    total = sum(t for k, t in times.items() if k in SYLLABUS)
    lines.append("")
    lines.append(f"Total notebook time in fast mode: **{total / 60:.1f} min** on a 2-core CPU machine "
                 "(measured by `make test`; see `python -m course_lib report`).")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    new = f"{head}{START}\n{syllabus_table()}\n{END}{tail}"
    if "--check" in argv:
        return 0 if new == text else 1
    readme.write_text(new, encoding="utf-8")
    print("README syllabus updated.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
