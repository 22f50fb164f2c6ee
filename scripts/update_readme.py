"""Regenerate the README's syllabus table from the course report, and each notebook's runtime line from it.

Run after `make run-all` (or `make test`): it reads the recorded headline results and the
per-notebook wall times and rewrites the block between the syllabus markers in README.md, so
the numbers learners read are the measured ones. Then the "Measured runtime" line at the top of every
notebook is written from the table's two time columns (``course_lib.report.runtime_header``; the
translations render it from the same numbers). `--check` exits 1 when the README or a notebook is stale;
`--headers` rewrites only the notebooks' runtime lines, from the README's table as it stands.

The README's *context lines* (the baselines and comparisons behind the headlines) are generated too:
`scripts/readme_context.md` is their text, with a field such as `{fast:08.error_ratio:.1f}` wherever a
number goes; `--context` fills the fields from a run's notes (`course_lib.report.note`) and headline
results (`record`) — fast-mode fields from `COURSE_DATA_DIR`, full-mode ones from `--full-data DIR` — and
rewrites the block between the context markers. A field that no run filled shows "—".
`tests/test_readme_context.py` checks that the README's block is the template with numbers only where the
fields are, and that every field names a number its notebook records.
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
    load_notes,
    load_results,
    load_times,
    notes_path,
    parse_runtime_header,
    results_path,
    runtime_header,
)

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- syllabus:start -->", "<!-- syllabus:end -->"
CONTEXT_START, CONTEXT_END = "<!-- context:start -->", "<!-- context:end -->"
CONTEXT_TEMPLATE = ROOT / "scripts" / "readme_context.md"
#: ``{fast:08.error_ratio:.1f}``: mode, notebook, the note's (or headline metric's) name, a format spec
FIELD = re.compile(r"\{(fast|full):(\d\d)\.(\w+)(?::([^{}]*))?\}")
#: what a field may have become in the README: a number as ``format`` writes it, or "—" (no value)
FIELD_TEXT = r"(?:—|[-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?)"
MISSING = "—"


def context_fields(template: str) -> list[tuple[str, str, str]]:
    """The ``(mode, notebook, name)`` of every field of a context template, in order.

    >>> context_fields("CNN {fast:08.error_ratio:.1f}x; full {full:09.test_auc:.3f}")
    [('fast', '08', 'error_ratio'), ('full', '09', 'test_auc')]
    """
    return [m.group(1, 2, 3) for m in FIELD.finditer(template)]


def run_values(data: Path, fast: bool) -> dict[tuple[str, str], float]:
    """A run's numbers of one mode, by ``(notebook, name)``: its headline results and its notes."""
    values = {key: r.value for key, r in latest(load_results(data / results_path().name), fast=fast).items()}
    values.update(load_notes(data / notes_path().name, fast=fast))
    return values


def render_context(template: str, values: dict[str, dict[tuple[str, str], float]]) -> str:
    """The template with each field replaced by its value (``values["fast"|"full"][(nb, name)]``), or "—".

    >>> render_context("{fast:08.r:.1f}x and {full:09.test_auc:.3f}", {"fast": {("08", "r"): 2.44}})
    '2.4x and —'
    """
    def fill(m: re.Match) -> str:
        mode, nb, name, spec = m.groups()
        value = values.get(mode, {}).get((nb, name))
        return MISSING if value is None else format(value, spec or ".4g")
    return FIELD.sub(fill, template).rstrip("\n")


def context_pattern(template: str) -> re.Pattern:
    """A pattern that the README's block matches only if it is ``template`` with numbers where the fields
    are: a number anywhere else (typed by hand, or left from an old template) does not match.

    >>> bool(context_pattern("CNN {fast:08.r:.1f}x").fullmatch("CNN 2.4x"))
    True
    >>> bool(context_pattern("CNN {fast:08.r:.1f}x fewer").fullmatch("CNN 2.4x fewer (3 runs)"))
    False
    """
    parts, pos = [], 0
    template = template.rstrip("\n")
    for m in FIELD.finditer(template):
        parts += [re.escape(template[pos:m.start()]), FIELD_TEXT]
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts))


def readme_context(readme_text: str) -> str:
    """The generated block of the README (between the context markers), without the markers."""
    return readme_text.split(CONTEXT_START, 1)[1].split(CONTEXT_END, 1)[0].strip("\n")


def with_context(readme_text: str, block: str) -> str:
    head, rest = readme_text.split(CONTEXT_START, 1)
    _old, tail = rest.split(CONTEXT_END, 1)
    return f"{head}{CONTEXT_START}\n{block}\n{CONTEXT_END}{tail}"


def _cells(num: str, fast: bool, results, times, fast_metrics: list[str] | None = None) -> tuple[str, str]:
    """(time, headline) of notebook ``num`` in one mode, from the report.

    The full-mode column lists values in the order of the fast-mode column's metrics (``fast_metrics``),
    "—" where full mode recorded none, then any full-mode-only metric with its name and target.
    """
    rows = {r.metric: r for (nb, _), r in sorted(results.items()) if nb == num}
    secs = f"{times[num]:.0f} s" if num in times else "—"

    def named(r) -> str:
        return (f"{r.metric} = {r.value:.4g} ({'≥' if r.higher_is_better else '≤'} {r.target:g}"
                f"{'' if r.passed else ', FAILED'})")

    if fast:
        shown = "; ".join(named(r) for r in rows.values())
    else:  # the metrics and targets are named in the fast-mode column
        order = fast_metrics or []
        cells = [f"{rows[m].value:.4g}{'' if rows[m].passed else ' (FAILED)'}" if m in rows else "—"
                 for m in order]
        cells += [f"{named(r)}, full mode only" for m, r in rows.items() if m not in order]
        shown = "; ".join(cells) if any(c != "—" for c in cells) else ""
    return secs, shown or "—"


def syllabus_table() -> str:
    all_results = load_results()
    modes = {fast: (latest(all_results, fast=fast), load_times(fast=fast)) for fast in (True, False)}
    lines = ["| # | notebook | topic | CPU time, fast | headline result, fast mode (target) "
             "| CPU time, full | same metrics, full mode |",
             "|---|---|---|---:|---|---:|---|"]
    for num, (stem, topic) in SYLLABUS.items():
        fast_secs, fast_shown = _cells(num, True, *modes[True])
        fast_metrics = sorted(m for (nb, m) in modes[True][0] if nb == num)
        full_secs, full_shown = _cells(num, False, *modes[False], fast_metrics=fast_metrics)
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
    if "--context" in argv:  # only the context lines, from a run's notes and results
        from course_lib.config import data_dir

        full = Path(argv[argv.index("--full-data") + 1]) if "--full-data" in argv else data_dir()
        values = {"fast": run_values(data_dir(), fast=True), "full": run_values(full, fast=False)}
        template = CONTEXT_TEMPLATE.read_text(encoding="utf-8")
        missing = [f"{mode}:{nb}.{name}" for mode, nb, name in context_fields(template)
                   if (nb, name) not in values[mode]]
        atomic_write(readme, with_context(text, render_context(template, values)))
        print(f"README context lines updated ({len(context_fields(template)) - len(missing)} numbers"
              + (f"; no value for {', '.join(missing)}" if missing else "") + ").")
        return 0
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
