"""What ``course_lib`` says to a learner at run time -- exercise checks, headline results -- in the
learner's language.

The code of a translated notebook is the English code, byte for byte, so its sentences cannot be
translated in the notebook: they are translated when they are printed. Set ``COURSE_LANG=zh_CN`` or
``zh_TW`` (``make lab LANG=zh_CN`` does) and :func:`~course_lib.exercises.check` and
:func:`~course_lib.report.record` print Chinese; unset (or ``en``) they print English.

The sentences live in a gettext catalog shipped with the package,
``course_lib/locale/zh_CN/LC_MESSAGES/course_lib.po``, extracted from the notebooks' code by
:func:`extract` (``python -m course_lib i18n update``): every string given to ``check``,
``check_shape`` and ``check_close``, every metric name given to ``record``, and the framing sentences
in :data:`FRAMES`. A message written as an f-string in a notebook is stored as its template
(``"{name} bias zero"``); the printed text is matched against it and the values are put into the
translation's placeholders.

>>> tr("one plus one is two", lang="en")
'one plus one is two'
"""

from __future__ import annotations

import ast
import functools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .languages import LANGUAGES
from .syllabus import SYLLABUS

if TYPE_CHECKING:
    import polib

CATALOG = Path(__file__).resolve().parent / "locale" / "zh_CN" / "LC_MESSAGES" / "course_lib.po"
SUPPORTED = tuple(LANGUAGES)


def _polib():
    """polib, imported on first use: only a Chinese edition reads the catalog, and polib comes with the
    ``[i18n]`` extra (``make lab LANG=zh_CN`` installs it; the English course does not need it)."""
    try:
        import polib
    except ImportError as err:
        raise ImportError("The Chinese edition needs the course's [i18n] extra: pip install -e '.[i18n]' "
                          "(`make lab LANG=zh_CN` installs it).") from err
    return polib

# The sentences course_lib itself builds around a learner's message (str.format templates).
FRAMES = [
    "Not yet: expected {what}.",
    "Hint: {hint}",
    "{what} to have shape {shape}",
    "it has shape {got}",
    "{what} to match the reference",
    "largest difference {diff}",
    "{what} should have shape {want}, got {got}.",
    "the tensor",
    "the result",
    "[{notebook}] {metric} = {value} (target {op} {target}) {verdict}",
    "[{notebook}] note: {name} = {value}",
    "PASS",
    "FAIL",
]
# The website's own words around the notebooks (site/_ext/course_site.py, site/conf.py).
SITE = [
    "PyTorch, from tensors to graphs",
    "This page is a recorded run ({mode} mode{when})",
    " on {device}, {stamp} UTC",
    "fast",
    "full",
    "Runtime:",
    "Headline result:",
    "not measured",
    "no result recorded",
    "download notebook",
    "launch on {label}",
    "{metric} = {value} (target {op} {target}, {verdict})",
    "pass",
    "FAILED",
    "Measured by the run that built this site: {mode} mode (`{flag}`); seconds are wall-clock time of "
    "executing each notebook, results are the headline metrics the notebooks assert.",
    "Language:",
    "Notebooks",
    "For copy-paste readers",
    "For instructors",
    # the start page's syllabus table (course_lib.report.format_table); its topics have the context
    # "syllabus" (course_lib.syllabus), its metric names "metric"
    "topic",
    "seconds",
    "metric",
    "value",
    "target",
    "result",
    "not run",
    "Total notebook time: {total} s over {count} notebooks.",
]
CHECKS = {"check": (1, 2), "check_shape": (2,), "check_close": (2,)}  # positions of what / hint
KEYWORDS = {"what", "hint"}


def language() -> str:
    """The learner's language: ``COURSE_LANG`` when it is one the course has, else ``"en"``."""
    lang = os.environ.get("COURSE_LANG", "en").split(".")[0]
    return lang if lang in SUPPORTED else "en"


def tr(text: str, context: str | None = None, lang: str | None = None) -> str:
    """``text`` in the learner's language (itself when there is no translation)."""
    lang = lang or language()
    if lang == "en" or not text:
        return text
    exact, templates = _table(lang)
    if (context, text) in exact:
        return exact[(context, text)]
    for (ctxt, msgid), msgstr in exact.items():
        if msgid == text and (context is None or ctxt == context):
            return msgstr
    for ctxt, pattern, names, msgstr in templates:
        if context is not None and ctxt != context:
            continue
        match = pattern.fullmatch(text)
        if match:
            values = match.groups()
            if ctxt == "frame":  # the pieces are themselves messages (e.g. the `what` of a check)
                values = tuple(tr(v, None, lang) for v in values)
            out = msgstr
            for name, value in zip(names, values):
                out = out.replace(name, value)
            return out
    return text


def frame(template: str, lang: str | None = None, context: str = "frame", **values: str) -> str:
    """One of :data:`FRAMES` (or, with ``context="site"``, :data:`SITE`), translated, with ``values``
    filled in."""
    lang = lang or language()
    text = tr(template, context, lang) if lang != "en" else template
    return text.format(**values)


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(?:[^{}]|\{[^{}]*\})*\}")


def placeholders(template: str) -> list[str]:
    """The ``{...}`` fields of a template, in order (``{{`` and ``}}`` are literal braces).

    >>> placeholders("{name} weight std = {want:.4f} {{x}}")
    ['{name}', '{want:.4f}']
    """
    return [m.group() for m in _PLACEHOLDER.finditer(template) if m.group() not in ("{{", "}}")]


def _pattern(template: str) -> re.Pattern:
    parts, pos = [], 0
    for m in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[pos:m.start()]))
        parts.append(re.escape(m.group()[0]) if m.group() in ("{{", "}}") else "(.+?)")
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts), re.S)


@functools.lru_cache(maxsize=4)
def _table(lang: str):
    from .traditional import to_traditional

    path = CATALOG  # zh_CN, translated by people; zh_TW is generated from it
    if not path.exists():
        return {}, []
    exact, templates = {}, []
    for e in _polib().pofile(str(path)):
        if e.obsolete or not e.msgstr.strip() or "fuzzy" in e.flags:
            continue
        msgstr = to_traditional(e.msgstr) if lang == "zh_TW" else e.msgstr
        exact[(e.msgctxt, e.msgid)] = msgstr  # frame() asks for the template itself
        names = placeholders(e.msgid)
        if names:
            templates.append((e.msgctxt, _pattern(e.msgid), names, msgstr))
    templates.sort(key=lambda t: -len(t[1].pattern))  # the most specific template first
    return exact, templates


def template_of(node: ast.expr) -> str | None:
    """The message of a string literal or f-string argument, as a template; ``None`` otherwise.

    >>> template_of(ast.parse('f"{name} bias {x:.2f} zero"', mode="eval").body)
    '{name} bias {x:.2f} zero'
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if "{" not in node.value else node.value.replace("{", "{{").replace("}", "}}")
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value).replace("{", "{{").replace("}", "}}"))
            else:
                out.append(_field(part))
        return "".join(out)
    return None


def _field(part: ast.FormattedValue) -> str:
    text = ast.unparse(part.value)
    if part.conversion != -1:
        text += "!" + chr(part.conversion)
    if part.format_spec is not None:
        spec = "".join(str(v.value) if isinstance(v, ast.Constant) else _field(v)
                       for v in part.format_spec.values)
        text += ":" + spec
    return "{" + text + "}"


def notebook_messages(source: str) -> list[tuple[str, str]]:
    """``(context, template)`` of every message a code cell gives to the checks and to ``record``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # cell magics and the like
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name in CHECKS:
            args = [node.args[i] for i in CHECKS[name] if i < len(node.args)]
            args += [k.value for k in node.keywords if k.arg in KEYWORDS]
            found += [("check", t) for t in map(template_of, args) if t]
        elif name == "record":
            for k in node.keywords:
                if k.arg == "metric" and (t := template_of(k.value)):
                    found.append(("metric", t))
    return found


def extract(notebooks: list[Path]) -> polib.POFile:
    """A fresh catalog of every run-time message of the notebooks, plus :data:`FRAMES`, :data:`SITE` and
    the syllabus's topics."""
    import nbformat
    import polib

    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Project-Id-Version": "course_lib", "Content-Type": "text/plain; charset=UTF-8",
                   "Content-Transfer-Encoding": "8bit", "MIME-Version": "1.0"}
    seen: dict[tuple[str, str], polib.POEntry] = {}
    for text in FRAMES:
        seen[("frame", text)] = polib.POEntry(msgctxt="frame", msgid=text, occurrences=[("course_lib", "")])
    for text in SITE:
        seen[("site", text)] = polib.POEntry(msgctxt="site", msgid=text, occurrences=[("site", "")])
    for stem, topic in SYLLABUS.values():
        seen[("syllabus", topic)] = polib.POEntry(msgctxt="syllabus", msgid=topic,
                                                  occurrences=[(f"notebooks/{stem}.ipynb", "")])
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for ctxt, text in notebook_messages(cell.source):
                entry = seen.setdefault((ctxt, text), polib.POEntry(msgctxt=ctxt, msgid=text))
                where = (f"notebooks/{path.name}", cell.get("id", ""))
                if where not in entry.occurrences:
                    entry.occurrences.append(where)
    for entry in seen.values():
        po.append(entry)
    return po


def problems(notebooks: list[Path]) -> list[str]:
    """Run-time messages of the notebooks with no up-to-date translation ([] = complete)."""
    import polib

    have = {}
    if CATALOG.exists():
        have = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(CATALOG)) if not e.obsolete}
    out = []
    for entry in extract(notebooks):
        got = have.get((entry.msgctxt, entry.msgid))
        kind = "missing" if got is None or not got.msgstr.strip() else "stale" if "fuzzy" in got.flags else ""
        if kind:
            where = entry.occurrences[0][0] if entry.occurrences else "course_lib"
            out.append(f"course_lib.po [{entry.msgctxt}] {kind}: {entry.msgid[:70]!r} ({where})")
    return out
