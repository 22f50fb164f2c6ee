"""The course report: every notebook records its headline result here.

Each call to :func:`record` appends one JSON line to ``data_dir()/results.jsonl``
(git-ignored), marked with the mode it ran in (fast or full). ``python -m course_lib report`` prints
the latest result of every notebook in each mode, joined with the wall times that the test run
and ``scripts/run_notebooks.py`` write to ``data_dir()/notebook_times.json`` (fast mode) and
``notebook_times_full.json`` (full mode).

>>> passed = record(notebook="00", metric="demo", value=1.0, target=0.5)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .config import data_dir, is_fast
from .files import atomic_write
from .syllabus import SYLLABUS

#: Set when ``course_lib`` is imported, i.e. near the start of a notebook's kernel.
_T0 = time.perf_counter()


@dataclass
class Result:
    """One headline result of one notebook."""

    notebook: str
    metric: str
    value: float
    target: float
    higher_is_better: bool
    passed: bool
    device: str
    seconds: float
    fast: bool
    timestamp: float


def results_path() -> Path:
    """Where results are appended (``data_dir()/results.jsonl``)."""
    return data_dir() / "results.jsonl"


def times_path(fast: bool | None = None) -> Path:
    """Where per-notebook wall times of one mode live (``fast=None``: the current mode)."""
    fast = is_fast() if fast is None else fast
    return data_dir() / ("notebook_times.json" if fast else "notebook_times_full.json")


def save_times(times: dict[str, float], fast: bool | None = None) -> Path:
    """Merge ``{"08": seconds, ...}`` into the times file of a mode, atomically; return its path.

    Times already there for other notebooks are kept; an unreadable file is replaced.
    """
    path = times_path(fast)
    merged = load_times(path)
    merged.update({str(k): round(float(v), 1) for k, v in times.items()})
    atomic_write(path, json.dumps(dict(sorted(merged.items())), indent=1))
    return path


def record(notebook: str, metric: str, value: float, target: float, *,
           higher_is_better: bool = True, device: str | None = None) -> bool:
    """Record a notebook's headline result and return whether it meets its target.

    Prints one line such as ``[08] test_accuracy = 0.9860 (target >= 0.98) PASS``.
    The notebook should still ``assert`` the result itself, so a failure is visible there.
    """
    value = float(value)
    if math.isnan(value):
        passed = False
    else:
        passed = value >= target if higher_is_better else value <= target
    if device is None:
        from .device import get_device
        device = str(get_device())
    result = Result(str(notebook), metric, value, float(target), higher_is_better, passed,
                    device, round(time.perf_counter() - _T0, 2), is_fast(), time.time())
    with results_path().open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(result)) + "\n")
    op = ">=" if higher_is_better else "<="
    # .4f would print a tiny error such as 3e-07 as 0.0000: switch to scientific notation there
    shown = f"{value:.4f}" if value == 0 or 1e-3 <= abs(value) < 1e6 else f"{value:.3e}"
    from .messages import frame, language, tr

    local = tr(metric, "metric")  # a learner reading Chinese sees the metric's name and its identifier
    name = metric if language() == "en" or local == metric else f"{local} {metric}"
    verdict = frame("PASS" if passed else "FAIL")
    print(frame("[{notebook}] {metric} = {value} (target {op} {target}) {verdict}", notebook=str(notebook),
                metric=name, value=shown, op=op, target=str(target), verdict=verdict))
    return passed


_RECORD_LINE = re.compile(r"^\[(?P<notebook>[^\]\n]+)\] (?P<metric>\S+) = (?P<value>\S+) "
                          r"\(target (?P<op>>=|<=) (?P<target>\S+)\) (?P<verdict>PASS|FAIL)$", re.M)
_NOTE_LINE = re.compile(r"^\[(?P<notebook>[^\]\n]+)\] note: (?P<name>\S+) = (?P<value>\S+)$", re.M)


def translate_printed(text: str, lang: str) -> str:
    """``text`` (a notebook's printed output, run in English) with the lines :func:`record` and
    :func:`note` printed as they print in ``lang``: the Chinese sites show the English run's outputs.

    >>> translate_printed("[08] test_accuracy = 0.9851 (target >= 0.975) PASS", "zh_CN")
    '[08] 测试准确率 test_accuracy = 0.9851（目标 >= 0.975）...'
    """
    if lang == "en":
        return text
    from .messages import frame, tr

    def headline(m: re.Match) -> str:
        local = tr(m["metric"], "metric", lang)
        name = m["metric"] if local == m["metric"] else f"{local} {m['metric']}"
        return frame("[{notebook}] {metric} = {value} (target {op} {target}) {verdict}", lang,
                     notebook=m["notebook"], metric=name, value=m["value"], op=m["op"], target=m["target"],
                     verdict=frame(m["verdict"], lang))

    def noted(m: re.Match) -> str:
        return frame("[{notebook}] note: {name} = {value}", lang, notebook=m["notebook"], name=m["name"],
                     value=m["value"])

    return _NOTE_LINE.sub(noted, _RECORD_LINE.sub(headline, text))


def notes_path() -> Path:
    """Where context numbers are appended (``data_dir()/notes.jsonl``)."""
    return data_dir() / "notes.jsonl"


def note(notebook: str, name: str, value: float) -> float:
    """Record a number that the README's context lines quote — a baseline's score, a ratio, a p-value —
    next to the headline results, and return it unchanged.

    It has no target (the notebook asserts what must hold); ``scripts/update_readme.py`` writes the
    README's context lines from the newest notes of a run, so the README never says a number that no
    run produced. Prints one line such as ``[08] note: lookup_bleu = 14.7``.

    >>> ratio = note(notebook="08", name="error_ratio", value=2.4)  # doctest: +SKIP
    """
    value = float(value)
    row = {"notebook": str(notebook), "name": name, "value": value, "fast": is_fast(),
           "timestamp": time.time()}
    with notes_path().open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
    from .messages import frame

    print(frame("[{notebook}] note: {name} = {value}", notebook=str(notebook), name=name,
                value=f"{value:.4g}"))
    return value


def load_notes(path: Path | None = None, fast: bool | None = None) -> dict[tuple[str, str], float]:
    """The newest value of each ``(notebook, name)`` note (of one mode if ``fast`` is given)."""
    path = path or notes_path()
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                rows.append((float(row["timestamp"]), str(row["notebook"]), str(row["name"]),
                             float(row["value"]), bool(row["fast"])))
            except (ValueError, TypeError, KeyError):
                continue
    return {(nb, name): value for _, nb, name, value, is_fast_row in sorted(rows)
            if fast is None or is_fast_row == fast}


def load_results(path: Path | None = None) -> list[Result]:
    """All recorded results, oldest first (malformed lines are skipped)."""
    path = path or results_path()
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(Result(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out


def latest(results: list[Result], fast: bool | None = None) -> dict[tuple[str, str], Result]:
    """The newest result for each (notebook, metric); only those of one mode if ``fast`` is given."""
    table: dict[tuple[str, str], Result] = {}
    for r in sorted(results, key=lambda r: r.timestamp):
        if fast is None or bool(r.fast) == fast:
            table[(r.notebook, r.metric)] = r
    return table


def load_times(path: Path | None = None, *, fast: bool | None = None) -> dict[str, float]:
    """Per-notebook wall times in seconds, keyed by notebook number ("08"), of one mode."""
    path = path or times_path(fast)
    if not path.exists():
        return {}
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except (ValueError, TypeError, AttributeError):
        return {}


def format_table(results: list[Result] | None = None, times: dict[str, float] | None = None,
                 fast: bool | None = None, lang: str = "en") -> str:
    """A Markdown table of one mode (``fast=None``: the current one): notebook, topic, seconds,
    metric, value, target, pass/fail. In a translated ``lang`` (the Chinese sites' syllabus) the
    headers, topics, metric names and verdicts are the run-time catalog's (``course_lib.messages``);
    numbers, targets and metric identifiers without a translation stay as they are."""
    fast = is_fast() if fast is None else fast
    results = load_results() if results is None else results
    times = load_times(fast=fast) if times is None else times
    table = latest(results, fast=fast)

    def say(text: str, context: str = "site") -> str:
        if lang == "en":
            return text
        from .messages import tr

        return tr(text, context, lang)

    def verdict(passed: bool) -> str:
        return ("pass" if passed else "FAIL") if lang == "en" else say("pass" if passed else "FAILED")

    header = " | ".join(say(h) for h in ("topic", "seconds", "metric", "value", "target", "result"))
    lines = [f"| # | {header} |", "|---|---|---:|---|---:|---|---|"]
    for num, (_stem, topic) in SYLLABUS.items():
        rows = [r for (nb, _), r in table.items() if nb == num]
        secs = times.get(num)
        secs_txt = f"{secs:.0f}" if secs is not None else "—"
        topic = say(topic, "syllabus")
        if not rows:
            lines.append(f"| {num} | {topic} | {secs_txt} | — | — | — | {say('not run')} |")
        for r in rows:
            op = "≥" if r.higher_is_better else "≤"
            lines.append(f"| {num} | {topic} | {secs_txt} | {say(r.metric, 'metric')} | {r.value:.4g} | "
                         f"{op} {r.target:g} | {verdict(r.passed)} |")
    total = sum(times.values())
    if times:
        total_line = say("Total notebook time: {total} s over {count} notebooks.")
        lines.append("\n" + total_line.format(total=f"{total:.0f}", count=len(times)))
    return "\n".join(lines)


# -- the runtime line at the top of every notebook -------------------------------------------------------
# Written by `make readme` (scripts/update_readme.py) from the README's syllabus table, which the course
# report fills: never by hand. Translations render it again from its numbers (course_lib.i18n), so a new
# measurement needs no new translation.

RUNTIME_PREFIX = "**Measured runtime**"
_RUNTIME_EN = ("**Measured runtime** on a 2-core CPU: {fast} in fast mode (`COURSE_FAST=1`), {full} in "
               "full mode (the README's syllabus table, from the course report; machines differ about 2× "
               "either way).")
_RUNTIME_ZH = ("**实测运行时间**（2 核 CPU）：快速模式（`COURSE_FAST=1`）{fast}，完整模式 {full}"
               "（数据来自 README 的课程表，由课程报告生成；不同机器之间大约相差 2 倍）。")
_DURATION = r"\d+(?:\.\d)? (?:s|min)|not measured"
_RUNTIME_RE = re.compile(re.escape(_RUNTIME_EN).replace(r"\{fast\}", f"(?P<fast>{_DURATION})")
                         .replace(r"\{full\}", f"(?P<full>{_DURATION})"))


def format_duration(seconds: float | None) -> str:
    """A notebook's wall time as the runtime line shows it.

    >>> format_duration(24.8), format_duration(136.0), format_duration(None)
    ('25 s', '2.3 min', 'not measured')
    """
    if seconds is None:
        return "not measured"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def runtime_header(fast: str, full: str, lang: str = "en") -> str:
    """The runtime line of a notebook, from two durations as :func:`format_duration` writes them.

    >>> runtime_header("25 s", "2.3 min")[:62]
    '**Measured runtime** on a 2-core CPU: 25 s in fast mode (`COUR'
    >>> runtime_header("25 s", "2.3 min", "zh_CN")[:45]
    '**实测运行时间**（2 核 CPU）：快速模式（`COURSE_FAST=1`）25 秒'
    """
    if lang == "en":
        return _RUNTIME_EN.format(fast=fast, full=full)
    from .languages import LANGUAGES

    if lang not in LANGUAGES:
        raise ValueError(f"no runtime line for language {lang!r}")

    def zh(duration: str) -> str:
        if duration == "not measured":
            return "尚未测量"
        number, unit = duration.split()
        return f"{number} {'秒' if unit == 's' else '分钟'}"

    text = _RUNTIME_ZH.format(fast=zh(fast), full=zh(full))
    if lang == "zh_TW":
        from .traditional import to_traditional

        text = to_traditional(text)
    return text


def parse_runtime_header(block: str) -> tuple[str, str] | None:
    """``(fast, full)`` durations of a runtime line, or None when ``block`` is not one.

    >>> parse_runtime_header(runtime_header("25 s", "not measured"))
    ('25 s', 'not measured')
    >>> parse_runtime_header("**Expected runtime:** about a minute.") is None
    True
    """
    found = _RUNTIME_RE.fullmatch(block.strip())
    return (found["fast"], found["full"]) if found else None
