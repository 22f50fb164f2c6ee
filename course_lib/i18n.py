"""Translations of the course: gettext catalogs (``.po``) of the notebooks' prose.

One catalog per notebook, ``locale/zh_CN/LC_MESSAGES/NN_name.po``. A message is one paragraph (block)
of a markdown cell; its context (``msgctxt``) is the cell's id, so the same sentence in two cells is
two messages. Code cells are never translated: a translated notebook has the same code, byte for byte.

Simplified Chinese (``zh_CN``) is translated by people; Traditional Chinese (``zh_TW``) is generated
from it with OpenCC (``s2twp``: Taiwan phrasing) plus :data:`TW_OVERRIDES`, never edited by hand.

The life of a message::

    update_catalog(nb, po)   # after an English edit: new paragraphs appear empty, edited ones
                             # keep their old translation but are marked fuzzy (stale)
    catalog_problems(nb, po) # what is missing or stale, by cell id ([] = complete)
    translate_notebook(nb, po, "zh_CN")  # the notebook with its prose translated

English is compared up to line wrapping (:func:`normalize`): a re-wrapped paragraph keeps its
translation. An edited paragraph keeps the most similar old translation as fuzzy, found in its cell,
in another cell (a paragraph moved and edited) or among the obsolete entries (a deleted paragraph
restored), with its translator comments. Every catalog has a complete header and a template
(``locale/templates/NN_name.pot``) for a translation platform; :func:`handover` tells an
English-only contributor what to hand to a translator, and a translated notebook marks what is still
English (:func:`mark_untranslated`).

>>> split_blocks("One.\\n\\n```python\\nx = 1\\n\\ny = 2\\n```\\n\\nTwo.")
['One.', '\\n\\n', '```python\\nx = 1\\n\\ny = 2\\n```', '\\n\\n', 'Two.']
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib

from .languages import HAND_TRANSLATED as SOURCE_LANGUAGE  # translated by hand; the others generated
from .languages import LANGUAGES
from .report import parse_runtime_header, runtime_header

# zh_TW is generated from zh_CN: re-exported, as report.runtime_header and the site build read them here
from .traditional import TW_OVERRIDES, to_traditional  # noqa: F401

FUZZY_CUTOFF = 0.5  # an edited paragraph keeps its old translation (marked stale) above this similarity

_FENCE = re.compile(r"^\s*(```|~~~)")
_SEP = re.compile(r"\n[ \t]*\n+")


def split_blocks(text: str) -> list[str]:
    """Split markdown into blocks and the blank-line separators between them (kept, so joining the
    list gives ``text`` back). A fenced code block or a ``$$`` display-math block is never split."""
    pieces = _SEP.split(text)
    seps = _SEP.findall(text)
    parts: list[str] = []
    current: str | None = None
    open_fence = open_math = False
    for i, piece in enumerate(pieces):
        if current is None:
            if i > 0:
                parts.append(seps[i - 1])
            current = piece
        else:
            current += seps[i - 1] + piece
        for line in piece.splitlines():
            if _FENCE.match(line):
                open_fence = not open_fence
            elif not open_fence and line.count("$$") % 2 == 1:
                open_math = not open_math
        if not open_fence and not open_math:
            parts.append(current)
            current = None
    if current is not None:  # an unclosed fence or formula: the rest is one block
        parts.append(current)
    return [p for p in parts if p != ""]


def is_translatable(block: str) -> bool:
    """A block with prose in it: not a bare code fence, display formula, image, HTML tag or rule."""
    stripped = block.strip()
    if not stripped or _FENCE.match(stripped) and stripped.rstrip().endswith(("```", "~~~")):
        return False
    if parse_runtime_header(stripped):  # generated from the report, rendered in each language instead
        return False
    if stripped.startswith("$$") and stripped.endswith("$$"):
        return False
    if re.fullmatch(r"(!\[[^\]]*\]\([^)]*\)\s*)+", stripped):
        return False
    if re.fullmatch(r"(<[^>]+>\s*)+", stripped) or re.fullmatch(r"[-*_]{3,}", stripped):
        return False
    return bool(re.search(r"[A-Za-z]{2}", re.sub(r"`[^`]*`|\$[^$]*\$", "", stripped)))


def _markdown_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "markdown"]


def _cell_blocks(cell) -> list[str]:
    return [b for b in split_blocks(cell.source) if not _SEP.fullmatch(b) and is_translatable(b)]


PAGE_ID = "page"  # the one "cell" of a Markdown page (the website's start page, the recipes)


def _read(path: Path):
    """A notebook, or a Markdown page as a notebook with one markdown cell whose id is ``page``."""
    if path.suffix == ".md":
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_markdown_cell(path.read_text(encoding="utf-8"))
        cell.id = PAGE_ID
        nb.cells = [cell]
        return nb
    return nbformat.read(path, as_version=4)


#: The header of every catalog, complete for msgfmt --check and a translation platform (Weblate,
#: Crowdin, Transifex, Poedit): the language, its plural forms (Chinese has one), the team.
HEADER = {
    "Project-Id-Version": "",
    "Report-Msgid-Bugs-To": "the course's issue tracker",
    "POT-Creation-Date": "",
    "PO-Revision-Date": "",
    "Last-Translator": "the course's translators (locale/GLOSSARY.md)",
    "Language-Team": "Chinese (Simplified) (locale/GLOSSARY.md)",
    "Language": SOURCE_LANGUAGE,
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}
#: The same fields in a template (``.pot``): gettext's placeholders, which a platform fills per language.
TEMPLATE_HEADER = {**HEADER, "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE", "Last-Translator":
                   "FULL NAME <EMAIL@ADDRESS>", "Language-Team": "LANGUAGE <LL@li.org>", "Language": ""}
del TEMPLATE_HEADER["Plural-Forms"]  # as xgettext writes a template without plural messages
_HEADING = re.compile(r"(#{1,6})\s+(.*)")


def extract(notebook: str | Path) -> polib.POFile:
    """A fresh catalog (every message untranslated) of one notebook's markdown prose (or of a
    Markdown page's). Each message's extracted comment (``#.``) tells a translator where it is: the
    heading it is under, or that it is a heading."""
    path = Path(notebook)
    nb = _read(path)
    po = polib.POFile(wrapwidth=0)
    po.metadata = {**TEMPLATE_HEADER, "Project-Id-Version": path.stem}
    seen: set[tuple[str, str]] = set()
    section = ""
    for cell in _markdown_cells(nb):
        if "id" not in cell:
            raise ValueError(f"{path}: a markdown cell has no id (nbformat >= 4.5 gives every cell one); "
                             "re-save the notebook with Jupyter or nbformat to add ids")
        for block in _cell_blocks(cell):
            heading = _HEADING.match(block.strip())
            if heading and "\n" not in block.strip():
                comment = f"a heading (level {len(heading.group(1))}): keep its level"
                section = heading.group(2).strip()
            else:
                comment = f"under the heading: {section}" if section else ""
            if (cell.id, block) in seen:
                continue
            seen.add((cell.id, block))
            po.append(polib.POEntry(msgctxt=cell.id, msgid=block, msgstr="", comment=comment,
                                    occurrences=[(f"{path.parent.name}/{path.name}", cell.id)]))
    return po


#: What a run-time message of ``course_lib.po`` is, by context (``msgctxt``): the translator's ``#.``.
RUNTIME_CONTEXTS = {
    "frame": "a sentence course_lib builds around a learner's message (exercise checks, headline line)",
    "check": "what an exercise check checked: printed after ✅, or inside “Not yet: expected …”",
    "metric": "a headline metric's name, printed in the notebook's headline line",
    "site": "the website's own words around the notebooks (site/_ext/course_site.py, site/conf.py)",
    "syllabus": "a topic in the syllabus table (README and the website's start page)",
}
_BRACE_FIELD = re.compile(r"\{(?:[A-Za-z_]\w*|\d+)?(?:\.[A-Za-z_]\w*|\[[^\]{}]+\])*(?:![rsa])?(?::[^{}]*)?\}")


def annotate_runtime(po: polib.POFile) -> polib.POFile:
    """Mark the run-time messages for a translator and for ``msgfmt --check``: ``python-brace-format``
    on a message whose ``{}`` fields are all ``str.format`` fields (an f-string's ``{len(x)}`` is not:
    tests/test_i18n.py checks those placeholders), and what the message is (:data:`RUNTIME_CONTEXTS`).

    >>> po = polib.POFile(); po.append(polib.POEntry(msgctxt="frame", msgid="Hint: {hint}"))
    >>> annotate_runtime(po)[0].flags
    ['python-brace-format']
    """
    from .messages import placeholders

    for entry in po:
        fields = placeholders(entry.msgid)
        if fields and all(_BRACE_FIELD.fullmatch(f) for f in fields):
            entry.flags = [f for f in entry.flags if f != "python-brace-format"] + ["python-brace-format"]
        entry.comment = entry.comment or RUNTIME_CONTEXTS.get(entry.msgctxt or "", "")
    return po


@dataclass
class UpdateStats:
    """What :func:`update_catalog` did to one catalog."""

    kept: int = 0  # English unchanged (or only re-wrapped, or moved): translation kept as it was
    stale: int = 0  # English edited: the most similar old translation kept, marked fuzzy
    new: int = 0  # no translation yet
    obsolete: int = 0  # English removed: kept as an obsolete (#~) entry, revived if it comes back
    revived: int = 0  # of kept and stale: taken from an obsolete entry (a paragraph deleted, then restored)

    def __str__(self) -> str:
        return (f"{self.kept} kept, {self.stale} stale, {self.new} new, {self.obsolete} obsolete"
                + (f" ({self.revived} revived)" if self.revived else ""))


_STRUCTURAL = re.compile(r"\s*(?:[-*+]\s|\d+[.)]\s|\||>|#{1,6}\s|\$\$|<)")


def normalize(block: str) -> str:
    """A block's English with its line wrapping and runs of spaces undone: two blocks with the same
    ``normalize`` are the same message (a re-wrapped paragraph keeps its translation). Lines that
    start a list item, table row, quote, heading or formula stay lines; a block with a code fence keeps
    its lines as they are (indentation is code).

    >>> normalize("A  long\\nparagraph,\\n  re-wrapped.\\n- item\\n  one")
    'A long paragraph, re-wrapped.\\n- item one'
    """
    lines = [line.rstrip() for line in block.strip().splitlines()]
    if any(_FENCE.match(line) for line in lines):
        return "\n".join(lines)
    out: list[str] = []
    for line in lines:
        if out and line.strip() and not _STRUCTURAL.match(line):
            out[-1] += " " + line.strip()  # a wrapped line of the paragraph (or list item) above
        else:
            out.append(line)
    return "\n".join(re.sub(r"(?<=\S)[ \t]+", " ", line) for line in out)


def update_catalog(notebook: str | Path, po_path: str | Path) -> UpdateStats:
    """Bring ``po_path`` in line with the notebook's English (like gettext's ``msgmerge``).

    A message keeps its translation (its flags and translator comments too) when its English is the
    same up to line wrapping and spacing (:func:`normalize`), in its cell or moved to another one. A
    paragraph that was edited keeps the translation of the most similar old paragraph -- of the same
    cell first, else of any cell, else of an obsolete entry -- marked ``fuzzy`` with the old English
    as ``#| msgid`` so a translator sees what changed, and with the old translator comments (a
    ``glossary-ok`` waiver). A paragraph that was removed stays in the catalog as an obsolete (``#~``)
    entry, and gets its translation back when it is restored. Everything else starts empty.
    """
    return merge_catalog(extract(notebook), po_path, Path(notebook).stem)


FUZZY_CUTOFF_ELSEWHERE = 0.6  # a paragraph from another cell or an obsolete one: gettext msgmerge's cutoff


def _merge(fresh: polib.POFile, old: list[polib.POEntry], fuzzy: bool = True) -> tuple[UpdateStats, list]:
    """Carry the translations of ``old`` (live and obsolete entries) into ``fresh``'s entries, in
    place; returns the stats and the old entries left over (not carried, to keep as obsolete)."""
    stats = UpdateStats()
    translated = [e for e in old if e.msgstr.strip()]
    used: set[int] = set()
    exact: dict[tuple, polib.POEntry] = {}
    by_text: dict[str, polib.POEntry] = {}
    reverted: dict[str, polib.POEntry] = {}  # a stale entry's translation is that of its old English
    for e in sorted(translated, key=lambda e: e.obsolete):  # a live entry before an obsolete one
        exact.setdefault((e.msgctxt, normalize(e.msgid)), e)
        if not e.obsolete or "fuzzy" not in e.flags:
            by_text.setdefault(normalize(e.msgid), e)
        if "fuzzy" in e.flags and e.previous_msgid:
            reverted.setdefault(normalize(e.previous_msgid), e)

    def carry(entry, source, stale: bool) -> None:
        entry.msgstr = source.msgstr
        entry.tcomment = source.tcomment
        formats = [f for f in entry.flags if f.endswith("-format")]  # the English's, as extracted
        others = [f for f in source.flags if f != "fuzzy" and not f.endswith("-format")]
        fuzzy = ["fuzzy"] if stale or "fuzzy" in source.flags else []
        entry.flags = fuzzy + others + formats
        if stale:
            entry.previous_msgid = source.previous_msgid or source.msgid
        else:
            entry.previous_msgid = source.previous_msgid
        used.add(id(source))
        stats.revived += source.obsolete
        if stale:
            stats.stale += 1
        else:
            stats.kept += 1

    pending = []
    for entry in fresh:  # the same English, up to wrapping, in the same cell
        hit = exact.get((entry.msgctxt, normalize(entry.msgid)))
        if hit is not None and (not hit.obsolete or id(hit) not in used):
            carry(entry, hit, stale=False)
        else:
            pending.append(entry)
    rest = []
    for entry in pending:  # the same English moved to another cell (or restored)
        hit = by_text.get(normalize(entry.msgid))
        back = reverted.get(normalize(entry.msgid))
        if hit is not None:
            carry(entry, hit, stale=False)
        elif back is not None and id(back) not in used:  # an edit undone: its translation is current again
            carry(entry, back, stale=False)
            entry.flags = [f for f in entry.flags if f != "fuzzy"]
            entry.previous_msgid = None
        else:
            rest.append(entry)
    if fuzzy and rest:  # edited: the most similar old paragraph, best pairs first
        candidates = [e for e in translated if id(e) not in used]
        pairs = []
        for entry in rest:
            text = normalize(entry.msgid)
            for e in candidates:
                here = e.msgctxt == entry.msgctxt and not e.obsolete
                cutoff = FUZZY_CUTOFF if here else FUZZY_CUTOFF_ELSEWHERE
                score = _similarity(normalize(e.msgid), text, cutoff)
                if score >= cutoff:
                    pairs.append((here, score, entry, e))
        done: set[int] = set()
        for _here, _score, entry, e in sorted(pairs, key=lambda p: (p[0], p[1]), reverse=True):
            if id(entry) not in done and id(e) not in used:
                carry(entry, e, stale=True)
                done.add(id(entry))
        stats.new = len(rest) - len(done)
    else:
        stats.new = len(rest)
    texts = {normalize(e.msgid) for e in fresh}
    leftover = [e for e in translated if id(e) not in used and normalize(e.msgid) not in texts]
    return stats, leftover


def merge_catalog(fresh: polib.POFile, po_path: str | Path, project: str) -> UpdateStats:
    """Write ``fresh`` (the current English messages) to ``po_path``, carrying over the translations
    of the catalog there, live and obsolete: see :func:`update_catalog`. The header is completed
    (:data:`HEADER`), and the catalog's template (``.pot``) is written beside the languages' folders
    (``locale/templates/NN_name.pot`` for ``locale/zh_CN/LC_MESSAGES/NN_name.po``). A file is
    rewritten only when more than its date would change."""
    po_path = Path(po_path)
    old = polib.pofile(str(po_path), wrapwidth=0) if po_path.exists() else polib.POFile(wrapwidth=0)
    if project == "course_lib":  # the run-time messages: python-brace-format flags, what each one is
        annotate_runtime(fresh)
    stats, leftover = _merge(fresh, list(old))
    template = _template(fresh, project)
    # The header: the old one's values (a platform may set Last-Translator), completed (HEADER).
    fresh.metadata = {**HEADER, **{k: v for k, v in old.metadata.items() if v},
                      "Project-Id-Version": project}
    po_path.parent.mkdir(parents=True, exist_ok=True)
    if po_path.parent.name == "LC_MESSAGES":  # locale/zh_CN/LC_MESSAGES/x.po: locale/templates/x.pot
        template_path = po_path.parents[2] / "templates" / f"{po_path.stem}.pot"
        template_path.parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(template_path, template, "POT-Creation-Date")
    fresh.metadata["POT-Creation-Date"] = (template.metadata["POT-Creation-Date"]
                                           or fresh.metadata.get("POT-Creation-Date") or _now())
    seen = set()
    for e in leftover:  # removed English: kept (once) as obsolete, to be revived if it comes back
        key = (e.msgctxt, normalize(e.msgid))
        if key in seen:
            continue
        seen.add(key)
        stats.obsolete += not e.obsolete
        e.obsolete = True
        e.occurrences = []
        fresh.append(e)
    _write_if_changed(po_path, fresh, "PO-Revision-Date")
    return stats


def _template(fresh: polib.POFile, project: str) -> polib.POFile:
    """The template (``.pot``) of a catalog: its messages, untranslated, with gettext's header."""
    pot = polib.POFile(wrapwidth=0)
    pot.metadata = {**TEMPLATE_HEADER, "Project-Id-Version": project, "POT-Creation-Date": ""}
    for e in fresh:
        pot.append(polib.POEntry(msgctxt=e.msgctxt, msgid=e.msgid, msgstr="", comment=e.comment,
                                 occurrences=list(e.occurrences),
                                 flags=[f for f in e.flags if f.endswith("-format")]))
    return pot


def _now() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M+0000")


def _write_if_changed(path: Path, po: polib.POFile, date_field: str) -> None:
    """Write ``po`` unless only its date would change; the date (``PO-Revision-Date`` of a catalog,
    ``POT-Creation-Date`` of a template) is the time of the last change, so an update that changes
    nothing leaves the file as it was (no churn in git)."""
    from .files import atomic_write

    before = polib.pofile(str(path), wrapwidth=0) if path.exists() else None
    when = before.metadata.get(date_field, "") if before is not None else ""
    po.metadata[date_field] = when
    if before is not None and when and _po_text(po) == path.read_text(encoding="utf-8"):
        return
    po.metadata[date_field] = _now()
    atomic_write(path, _po_text(po))


def _po_text(po: polib.POFile) -> str:
    return str(po) + ("\n" if not str(po).endswith("\n") else "")


def _similarity(a: str, b: str, cutoff: float = 0.0) -> float:
    """difflib's ratio of two texts (0 when a cheap upper bound is already under ``cutoff``)."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
        return 0.0
    return matcher.ratio()


@dataclass(frozen=True)
class Problem:
    """One message of a notebook that is not translated (``missing``) or out of date (``stale``)."""

    notebook: str
    cell_id: str
    kind: str
    english: str

    def __str__(self) -> str:
        first = self.english.strip().splitlines()[0] if self.english.strip() else ""
        return f"{self.notebook}, cell {self.cell_id}: {self.kind}: {first[:70]!r}"


def _old_entries(po_path: Path) -> list[polib.POEntry]:
    return list(polib.pofile(str(po_path), wrapwidth=0)) if po_path.exists() else []


def catalog_problems(notebook: str | Path, po_path: str | Path) -> list[Problem]:
    """Every paragraph of the notebook whose translation is missing or stale ([] = all up to date).

    Compares with the notebook itself, as :func:`update_catalog` would merge it, so an English edit
    shows up here even before the catalog is updated: ``stale`` when an old translation is carried
    (fuzzy), ``missing`` when none is. A re-wrapped or moved paragraph is neither.
    """
    notebook = Path(notebook)
    fresh = extract(notebook)
    _merge(fresh, _old_entries(Path(po_path)))
    problems = []
    for entry in fresh:
        if not entry.msgstr.strip():
            problems.append(Problem(notebook.name, entry.msgctxt, "missing", entry.msgid))
        elif "fuzzy" in entry.flags:
            problems.append(Problem(notebook.name, entry.msgctxt, "stale", entry.msgid))
    return problems


def handover(problems: list[Problem], locale_dir: str = "locale") -> str:
    """What an English-only contributor reads when their edit left paragraphs without an up-to-date
    translation: which paragraphs (notebook, cell, first line), and how to hand them to a translator
    (``make i18n-update``, then ``scripts/i18n_fill.py export``). "" when there are none."""
    if not problems:
        return ""
    lines = [f"{len(problems)} paragraph(s) need a translator. Until they have one, the Chinese editions "
             f"show them in English, marked {UNTRANSLATED}:"]
    kinds = {"missing": "new English, no translation",
             "stale": "English edited, old translation kept as a draft"}
    names = []
    for p in problems:
        first = p.english.strip().splitlines()[0] if p.english.strip() else ""
        lines.append(f"  {p.notebook}, cell {p.cell_id} ({kinds.get(p.kind, p.kind)}): {first[:70]!r}")
        name = Path(p.notebook).stem
        name = name[:2] if re.match(r"\d\d_", name) else f"site-{name}"
        if name not in names:
            names.append(name)
    lines += ["If you do not write Chinese, hand them over (no Chinese needed):",
              "  1. make i18n-update   # writes them into the catalogs in "
              f"{locale_dir}/{SOURCE_LANGUAGE}/LC_MESSAGES/ (needs only polib and nbformat)",
              *(f"  2. python scripts/i18n_fill.py export {n} > {n}-todo.json   # the paragraphs to translate"
                for n in names),
              "  3. commit the catalogs with your edit, attach the .json file(s) to your pull request and",
              "     ask for a translator, who fills each \"msgstr\" and runs:",
              "     python scripts/i18n_fill.py import NN FILE   (or edits the .po file in any PO editor)"]
    return "\n".join(lines)


def catalog_path(locale_dir: str | Path, lang: str, notebook: str | Path) -> Path:
    """Where the catalog of ``notebook`` for ``lang`` lives (zh_TW reads zh_CN's: it is generated)."""
    lang = SOURCE_LANGUAGE if lang in LANGUAGES else lang
    name = Path(notebook).stem if Path(notebook).suffix != ".md" else f"site-{Path(notebook).stem}"
    return Path(locale_dir) / lang / "LC_MESSAGES" / f"{name}.po"




def load_translations(po_path: str | Path, lang: str, notebook: str | Path | None = None
                      ) -> dict[tuple[str, str], str]:
    """``{(cell id, English block): translated block}`` of the up-to-date messages of a catalog; with
    ``notebook``, keyed by that notebook's blocks as :func:`update_catalog` would merge them (a
    re-wrapped, moved or restored paragraph is translated before the catalog is updated)."""
    entries = _old_entries(Path(po_path))
    if notebook is not None:
        fresh = extract(notebook)
        _merge(fresh, entries, fuzzy=False)
        entries = list(fresh)
    table = {}
    for e in entries:
        if e.obsolete or not e.msgstr.strip() or "fuzzy" in e.flags:
            continue
        table[(e.msgctxt, e.msgid)] = to_traditional(e.msgstr) if lang == "zh_TW" else e.msgstr
    return table


def translate_notebook(notebook: str | Path, po_path: str | Path, lang: str):
    """The notebook with its prose in ``lang``; code cells and outputs untouched.

    A paragraph without an up-to-date translation stays in English with a visible "not yet
    translated" mark (:func:`mark_untranslated`; :func:`catalog_problems` lists them). Returns
    ``(notebook node, number of paragraphs left in English)``.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    nb = _read(Path(notebook))
    table = load_translations(po_path, lang, notebook)
    left = 0
    out = copy.deepcopy(nb)
    for cell in _markdown_cells(out):
        blocks = split_blocks(cell.source)
        for i, block in enumerate(blocks):
            durations = parse_runtime_header(block)
            if durations:
                blocks[i] = runtime_header(*durations, lang=lang)
                continue
            if _SEP.fullmatch(block) or not is_translatable(block):
                continue
            if (cell.id, block) in table:
                blocks[i] = _keep_anchor(block, table[(cell.id, block)])
            else:
                blocks[i] = mark_untranslated(block, lang)
                left += 1
        cell.source = "".join(blocks)
    out.metadata["language_info"] = out.metadata.get("language_info", {"name": "python"})
    out.metadata.setdefault("course", {})["language"] = lang
    return out, left


UNTRANSLATED = "尚未翻译"  # zh_CN; zh_TW's is generated from it
_OWN_LINE = re.compile(r"\s*(?:#{1,6}(?:\s|$)|\||<|\$\$|```|~~~|=+\s*$|-+\s*$)")  # no text after these


def mark_untranslated(block: str, lang: str) -> str:
    """An English block of a translated notebook, marked ``<mark class="untranslated">尚未翻译</mark>``
    where a reader sees it: at the end of a paragraph (or of its last list item or quote line), or
    as a paragraph of its own after a heading (whose anchor must not change), a table, a code fence or
    a formula.

    >>> mark_untranslated("Some English\\nprose.", "zh_CN")
    'Some English\\nprose. <mark class="untranslated">尚未翻译</mark>'
    >>> mark_untranslated("## 3. Loss", "zh_TW")
    '## 3. Loss\\n\\n<mark class="untranslated">尚未翻譯</mark>'
    """
    text = to_traditional(UNTRANSLATED) if lang == "zh_TW" else UNTRANSLATED
    mark = f'<mark class="untranslated">{text}</mark>'
    body = block.rstrip()
    trailing = block[len(body):]
    lines = body.splitlines()
    if not lines or _OWN_LINE.match(lines[-1]) or _OWN_LINE.match(lines[0]) and len(lines) == 1:
        indent = re.match(r"[ \t]*", lines[0] if lines else "").group()
        return f"{body}\n\n{indent}{mark}{trailing}"
    return f"{body} {mark}{trailing}"


def _keep_anchor(english: str, translated: str) -> str:
    """A translated heading (levels 1-3, those the site makes anchors for) preceded by an empty
    element carrying the English heading's anchor, so ``notebook.ipynb#english-slug`` links still land
    there."""
    from .markdown import ATX_HEADING, heading_slug

    atx = ATX_HEADING.match(english.splitlines()[0]) if english.strip() else None
    if not atx or len(atx.group(1)) > 3 or "\n" in english.strip():
        return translated
    slug, local = heading_slug(english.splitlines()[0]), heading_slug(translated.splitlines()[0])
    if not slug or slug == local:
        return translated
    return f'<div id="{slug}"></div>\n\n{translated}'


def translate_page(page: str | Path, po_path: str | Path, lang: str) -> tuple[str, int]:
    """A Markdown page with its prose in ``lang``: ``(text, paragraphs left in English)``."""
    nb, left = translate_notebook(page, po_path, lang)
    return nb.cells[0].source, left


def translate_folder(src: str | Path, out: str | Path, lang: str, locale_dir: str | Path,
                     keep_existing: bool = False) -> list[Path]:
    """Write every ``src/*.ipynb`` translated into ``out``; returns the paths written.

    ``keep_existing=True`` leaves a notebook that is already in ``out`` alone: a learner's edited
    copy is never overwritten.
    """
    src, out = Path(src), Path(out)
    notebooks = [src] if src.is_file() else sorted(src.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {src}")
    if out.resolve() == (src if src.is_dir() else src.parent).resolve():
        raise ValueError(f"refusing to write translations over the English notebooks in {out}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    from .files import atomic_write

    for nb_path in notebooks:
        target = out / nb_path.name
        if keep_existing and target.exists():
            continue
        translated, _left = translate_notebook(nb_path, catalog_path(locale_dir, lang, nb_path), lang)
        atomic_write(target, nbformat.writes(translated) + "\n")
        written.append(target)
    return written


_CODE = re.compile(r"``[^`]+``|`(?:[^`\n]|\n(?!\n))+`")  # a code span may wrap a line
_MATH = re.compile(r"\$\$.*?\$\$|(?<![\\$])\$(?:[^$\n]|\n(?!\n))+\$", re.S)  # inline: may wrap once
_LINK = re.compile(r"\]\(([^)\s]+)[^)]*\)")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*")  # 约10: a digit after a Chinese character counts


_SCALED_EN = re.compile(r"(?<![A-Za-z0-9_.])(\d+(?:[.,]\d+)*)"
                        r"(?:\s*(thousand|million|billion)\b|([kKM])(?![A-Za-z]))")
_SCALED_ZH = re.compile(r"(?<![A-Za-z0-9_.])(\d+(?:[.,]\d+)*)\s*(万亿|千万|百万|亿|万|千)")
_HAN_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9)))
_HAN_UNITS = {"十": 10, "百": 100, "千": 1000}
# "2-D"/"3D" are written 二维/三维 in Chinese prose: the dimension keeps its value.
_DIMENSION_ZH = re.compile(r"([一二三四五六七八九])维")
_HAN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千]+(?:万亿|亿|万)")
_SCALE = {"thousand": 1e3, "k": 1e3, "K": 1e3, "million": 1e6, "M": 1e6, "billion": 1e9,
          "千": 1e3, "万": 1e4, "百万": 1e6, "千万": 1e7, "亿": 1e8, "万亿": 1e12}


def _han_value(text: str) -> float:
    """The value of a Chinese numeral ending in 万/亿: 五十万 = 500000, 两万 = 20000, 一亿 = 1e8."""
    scale = 1e12 if text.endswith("万亿") else 1e8 if text.endswith("亿") else 1e4
    total, digit = 0, 0
    for ch in text.rstrip("万亿"):
        if ch in _HAN_DIGITS:
            digit = _HAN_DIGITS[ch]
        else:
            total += (digit or 1) * _HAN_UNITS[ch]
            digit = 0
    return (total + digit) * scale


def _value(number: str) -> float | None:
    """``500,000`` -> 500000.0; ``None`` for what is not one number (a version, ``2.4.1``)."""
    try:
        return float(number.replace(",", ""))
    except ValueError:
        return None


def _scaled(m: re.Match) -> float | None:
    value = _value(m.group(1))
    return None if value is None else value * _SCALE[next(u for u in m.groups()[1:] if u)]


def _chinese_values(text: str) -> list[float]:
    """Every number of a translation as a value: plain (``500,000``), with 万/亿 (``50 万``, ``1.2 亿``)
    or in Chinese numerals (``五十万``)."""
    values = [_value(x) for x in _NUMBER.findall(text)] + [_scaled(m) for m in _SCALED_ZH.finditer(text)]
    dims = [float("一二三四五六七八九".index(m.group(1)) + 1) for m in _DIMENSION_ZH.finditer(text)]
    han = [_han_value(m.group()) for m in _HAN_NUMBER.finditer(text)]
    return [v for v in values if v is not None] + han + dims


def _prose(text: str) -> str:
    """The text with code spans, formulas and link targets removed."""
    return _LINK.sub("]", _MATH.sub(" ", _CODE.sub(" ", text)))


def message_issues(msgid: str, msgstr: str) -> list[str]:
    """What a translation changed that it must not: inline code, formulas, link targets, numbers,
    the heading level or the list/quote/table structure. ``[]`` = nothing.

    >>> message_issues("Call `f(x)` twice.", "调用 `f(x)` 两次。")
    []
    >>> message_issues("Call `f(x)` 2 times.", "调用 f(x) 两次。")
    ['code spans differ: missing `f(x)`', 'numbers differ: missing 2']
    >>> message_issues("30 % of ~500,000 images, 2.5 million pixels.", "约 50 万张图像的 30%，250 万像素。")
    []
    >>> message_issues("A 2-D grid of 3D volumes.", "由三维体积组成的二维网格。")
    []
    """
    issues = []
    for name, pattern in (("code spans", _CODE), ("formulas", _MATH)):
        a, b = sorted(pattern.findall(msgid)), sorted(pattern.findall(msgstr))
        if a != b:
            missing = [x for x in a if x not in b]
            extra = [x for x in b if x not in a]
            issues.append(f"{name} differ: " + ", ".join([f"missing {x}" for x in missing]
                                                          + [f"added {x}" for x in extra]))
    if sorted(_LINK.findall(msgid)) != sorted(_LINK.findall(msgstr)):
        issues.append(f"link targets differ: {sorted(_LINK.findall(msgid))} "
                      f"vs {sorted(_LINK.findall(msgstr))}")
    # A number may be rewritten the Chinese way: "30 %" as 30%, "~500,000" as 约 50 万 (or 五十万),
    # "2.5 million" as 250 万; its value must stay.
    a = sorted(_NUMBER.findall(_prose(msgid)))
    b = sorted(_NUMBER.findall(_prose(msgstr)))
    english = {m.group(1): _scaled(m) for m in _SCALED_EN.finditer(_prose(msgid))}
    values = _chinese_values(_prose(msgstr)) + [_scaled(m) or 0 for m in _SCALED_EN.finditer(_prose(msgstr))]
    missing = [x for x in a if (x not in b or x in english) and not any(
        math.isclose(v, english.get(x) or _value(x) or math.nan, rel_tol=1e-9) for v in values)]
    if missing:
        issues.append("numbers differ: missing " + ", ".join(missing))
    head_a = re.match(r"#+ ", msgid)
    head_b = re.match(r"#+ ", msgstr)
    if (head_a and head_a.group()) != (head_b and head_b.group()):
        issues.append("heading level differs")
    for name, pattern in (("list items", r"^\s*(?:[-*+]|\d+\.) "), ("table rows", r"^\s*\|"),
                          ("quote lines", r"^\s*>")):
        if len(re.findall(pattern, msgid, re.M)) != len(re.findall(pattern, msgstr, re.M)):
            issues.append(f"number of {name} differs")
    return issues


@dataclass(frozen=True)
class Term:
    """One row of ``locale/GLOSSARY.md``."""

    english: str
    chinese: str
    checked: bool


def read_glossary(path: str | Path) -> list[Term]:
    """The glossary's table rows (English | 简体中文 | checked | note)."""
    terms = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and line.lstrip().startswith("|") and cells[0] not in {"English", ""} \
                and not set(cells[0]) <= set("-: "):
            terms.append(Term(cells[0], cells[1], cells[2] == "checked"))
    return terms


def glossary_issues(msgid: str, msgstr: str, terms: list[Term], comment: str = "") -> list[str]:
    """Checked glossary terms that a translation does not render with the glossary's Chinese term,
    or leaves in English. ``comment`` is the message's translator comment (``glossary-ok: TERM``).

    >>> t = [Term("gradient", "梯度", True)]
    >>> glossary_issues("The gradient is zero.", "梯度为零。", t)
    []
    >>> glossary_issues("The gradients are zero.", "gradient 为零。", t)
    ["'gradient' should be 梯度", "'gradient' left in English"]
    """
    issues = []
    waived = set(re.findall(r"glossary-ok:\s*([\w -]+)", comment))
    waived = {w.strip().lower() for w in waived}
    english = re.sub(r"\s+", " ", _prose(msgid).replace("**", ""))  # "**validation** set", "learning\n rate"
    chinese = re.sub(r"[（(][A-Za-z][A-Za-z ,/-]*[）)]", "", _prose(msgstr))  # 张量（tensor） is fine
    for term in terms:
        if not term.checked or term.english.lower() in waived:
            continue
        word = re.compile(rf"\b{re.escape(term.english)}(?:s|es|al)?\b", re.I)
        if word.search(english):
            if term.chinese not in msgstr:
                issues.append(f"{term.english!r} should be {term.chinese}")
            if word.search(chinese):
                issues.append(f"{term.english!r} left in English")
    return issues


def heading_anchors(nb) -> list[str]:
    """The anchors MyST makes for a notebook's headings (levels 1-3), in order; a repeated one gets
    ``-1``, ``-2``, ... as MyST numbers them (:func:`course_lib.markdown.anchored_headings`)."""
    from .markdown import anchored_headings

    return [anchor for anchor, _ in anchored_headings(cell.source for cell in _markdown_cells(nb))]


def anchor_map(english, translated) -> dict[str, str]:
    """English anchor -> the translated heading's anchor, heading by heading ({} if they differ in number)."""
    a, b = heading_anchors(english), heading_anchors(translated)
    return dict(zip(a, b)) if len(a) == len(b) else {}


_NOTEBOOK_LINK = re.compile(r"\]\(((?:[\w./-]*/)?(\d\d_[\w-]+)\.ipynb)#([^)\s]+)\)")
_LOCAL_LINK = re.compile(r"\]\(#([^)\s]+)\)")


def relink(text: str, maps: dict[str, dict[str, str]], own: str | None = None) -> str:
    """Point links to English heading anchors (``08_x.ipynb#2-why-convolutions``, ``#intro``) at the
    translated headings' anchors; ``maps`` is :func:`anchor_map` per notebook stem, ``own`` the stem of
    the notebook ``text`` is in (for ``#anchor`` links).

    >>> relink("[see](notebooks/08_x.ipynb#2-why) and [here](#a)", {"08_x": {"2-why": "2-为什么"},
    ...        "01_y": {"a": "甲"}}, own="01_y")
    '[see](notebooks/08_x.ipynb#2-为什么) and [here](#甲)'
    """
    def other(m: re.Match) -> str:
        return f"]({m.group(1)}#{maps.get(m.group(2), {}).get(m.group(3), m.group(3))})"

    text = _NOTEBOOK_LINK.sub(other, text)
    if own is not None:
        text = _LOCAL_LINK.sub(lambda m: f"](#{maps.get(own, {}).get(m.group(1), m.group(1))})", text)
    return text
