"""The translator's workflow (issue 26): what an English edit does to the catalogs.

A re-wrapped paragraph keeps its translation; a typo fix and a paragraph moved to another cell *and*
edited keep the old translation as fuzzy; translator comments (a ``glossary-ok`` waiver) follow the
message through edits and moves; a deleted-then-restored paragraph gets its translation back.
Each test builds a small notebook and its catalog in a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import polib
import pytest

from course_lib import i18n, messages

FIRST = ("The optimizer takes one step per batch: it reads each parameter's gradient and moves the\n"
         "parameter against it, scaled by the learning rate.")
SECOND = "A second paragraph, about something else entirely: the data loader shuffles every epoch."
THIRD = "## 2. Training for real"
ZH = {FIRST: "优化器每个批次走一步：读取每个参数的梯度，按学习率缩放后沿其反方向移动参数。",
      SECOND: "第二段，讲的是另一回事：数据加载器每轮都会打乱数据。",
      THIRD: "## 2. 真正的训练"}


def write_notebook(path, cells: dict[str, str]) -> None:
    nb = nbformat.v4.new_notebook()
    for cell_id, text in cells.items():
        cell = nbformat.v4.new_markdown_cell(text)
        cell.id = cell_id
        nb.cells.append(cell)
    nbformat.write(nb, path)


def translated_setup(tmp_path, cells=None, comments=None):
    """A notebook (cells a, b) and its complete zh_CN catalog; returns (notebook, catalog)."""
    nb, po_path = tmp_path / "01_x.ipynb", tmp_path / "01_x.po"
    write_notebook(nb, cells or {"a": f"{THIRD}\n\n{FIRST}", "b": SECOND})
    i18n.update_catalog(nb, po_path)
    po = polib.pofile(str(po_path), wrapwidth=0)
    for e in po:
        e.msgstr = ZH[e.msgid]
        e.tcomment = (comments or {}).get(e.msgid, "")
    po.save(str(po_path))
    assert i18n.catalog_problems(nb, po_path) == []
    return nb, po_path


def entry(po_path, msgid) -> polib.POEntry:
    return next(e for e in polib.pofile(str(po_path)) if e.msgid == msgid and not e.obsolete)


def test_a_rewrapped_paragraph_keeps_its_translation(tmp_path):
    nb, po_path = translated_setup(tmp_path)
    rewrapped = FIRST.replace("\n", " ").replace("batch: it reads", "batch:\nit  reads")
    write_notebook(nb, {"a": f"{THIRD}\n\n{rewrapped}", "b": SECOND})
    # Not stale, not missing: before the catalog is updated (CI stays green) ...
    assert i18n.catalog_problems(nb, po_path) == []
    translated, left = i18n.translate_notebook(nb, po_path, "zh_CN")
    assert left == 0 and ZH[FIRST] in translated.cells[0].source
    # ... and after: the catalog takes the new wrapping, the translation as it was.
    stats = i18n.update_catalog(nb, po_path)
    assert (stats.kept, stats.stale, stats.new) == (3, 0, 0)
    e = entry(po_path, rewrapped)
    assert e.msgstr == ZH[FIRST] and "fuzzy" not in e.flags
    assert i18n.normalize(FIRST) == i18n.normalize(rewrapped)
    # Whitespace that is structure is not wrapping: a list is not the paragraph it was joined from.
    assert i18n.normalize("- one\n- two") != i18n.normalize("- one - two")


def test_a_one_letter_typo_fix_is_stale_with_the_old_translation_not_empty(tmp_path):
    nb, po_path = translated_setup(tmp_path)
    fixed = FIRST.replace("against", "agianst").replace("agianst", "against ")  # a spacing fix is no edit
    typo = FIRST.replace("learning rate", "learning rates")
    write_notebook(nb, {"a": f"{THIRD}\n\n{typo}", "b": SECOND})
    problems = i18n.catalog_problems(nb, po_path)
    assert [(p.cell_id, p.kind) for p in problems] == [("a", "stale")]  # not "missing" before the update
    stats = i18n.update_catalog(nb, po_path)
    assert (stats.stale, stats.new) == (1, 0)
    e = entry(po_path, typo)
    assert "fuzzy" in e.flags and e.msgstr == ZH[FIRST] and e.previous_msgid == FIRST
    assert i18n.normalize(fixed) == i18n.normalize(FIRST)


def test_a_paragraph_moved_to_another_cell_and_edited_keeps_its_translation_as_fuzzy(tmp_path):
    nb, po_path = translated_setup(tmp_path)
    edited = FIRST.replace("one step per batch", "one step per mini-batch")
    write_notebook(nb, {"a": THIRD, "b": f"{SECOND}\n\n{edited}"})
    assert [(p.cell_id, p.kind) for p in i18n.catalog_problems(nb, po_path)] == [("b", "stale")]
    i18n.update_catalog(nb, po_path)
    e = entry(po_path, edited)
    assert e.msgctxt == "b" and "fuzzy" in e.flags and e.msgstr == ZH[FIRST] and e.previous_msgid == FIRST
    # Moved unchanged: translated as it was, not even fuzzy.
    (tmp_path / "again").mkdir()
    nb, po_path = translated_setup(tmp_path / "again")
    write_notebook(nb, {"a": THIRD, "b": SECOND, "c": FIRST})
    assert i18n.catalog_problems(nb, po_path) == []
    # Unrelated English elsewhere is not offered as a translation.
    write_notebook(nb, {"a": THIRD, "b": SECOND, "c": "Completely different words on tensors and dtypes."})
    assert [(p.cell_id, p.kind) for p in i18n.catalog_problems(nb, po_path)] == [("c", "missing")]


def test_an_edit_undone_before_a_translator_came_is_current_again(tmp_path):
    nb, po_path = translated_setup(tmp_path)
    write_notebook(nb, {"a": f"{THIRD}\n\n{FIRST.replace('one step', 'a step')}", "b": SECOND})
    i18n.update_catalog(nb, po_path)  # stale, with FIRST as its previous English
    write_notebook(nb, {"a": f"{THIRD}\n\n{FIRST}", "b": SECOND})  # reverted
    assert i18n.catalog_problems(nb, po_path) == []
    i18n.update_catalog(nb, po_path)
    e = entry(po_path, FIRST)
    assert e.msgstr == ZH[FIRST] and "fuzzy" not in e.flags and not e.previous_msgid


def test_two_edited_paragraphs_of_a_cell_each_keep_their_own_translation(tmp_path):
    nb, po_path = translated_setup(tmp_path, cells={"a": f"{FIRST}\n\n{SECOND}"})
    one, two = FIRST.replace("one step", "a step"), SECOND.replace("every epoch", "each epoch")
    write_notebook(nb, {"a": f"{two}\n\n{one}"})  # both edited, and swapped
    i18n.update_catalog(nb, po_path)
    assert entry(po_path, one).msgstr == ZH[FIRST] and entry(po_path, two).msgstr == ZH[SECOND]


def test_translator_comments_follow_the_message_through_edits_and_moves(tmp_path):
    waiver = "glossary-ok: optimizer"
    nb, po_path = translated_setup(tmp_path, comments={FIRST: waiver})
    moved = FIRST.replace("\n", " ")  # re-wrapped and moved to a new cell
    write_notebook(nb, {"a": THIRD, "b": SECOND, "c": moved})
    i18n.update_catalog(nb, po_path)
    assert entry(po_path, moved).tcomment == waiver
    edited = moved.replace("one step", "a single step")  # then edited
    write_notebook(nb, {"a": THIRD, "b": SECOND, "c": edited})
    i18n.update_catalog(nb, po_path)
    e = entry(po_path, edited)
    assert e.tcomment == waiver and "fuzzy" in e.flags


def test_a_deleted_then_restored_paragraph_gets_its_translation_back(tmp_path):
    nb, po_path = translated_setup(tmp_path)
    write_notebook(nb, {"a": THIRD, "b": SECOND})  # FIRST deleted
    assert i18n.update_catalog(nb, po_path).obsolete == 1
    gone = [e for e in polib.pofile(str(po_path)) if e.obsolete]
    assert [(e.msgid, e.msgstr) for e in gone] == [(FIRST, ZH[FIRST])]
    i18n.update_catalog(nb, po_path)  # a second update keeps the obsolete entry
    assert [e.msgid for e in polib.pofile(str(po_path)) if e.obsolete] == [FIRST]
    write_notebook(nb, {"a": f"{THIRD}\n\n{FIRST}", "b": SECOND})  # restored
    assert i18n.catalog_problems(nb, po_path) == []
    stats = i18n.update_catalog(nb, po_path)
    assert (stats.kept, stats.new, stats.revived) == (3, 0, 1)
    assert entry(po_path, FIRST).msgstr == ZH[FIRST]
    assert not [e for e in polib.pofile(str(po_path)) if e.obsolete]
    # Restored with an edit: the obsolete translation comes back as fuzzy.
    write_notebook(nb, {"a": THIRD, "b": SECOND})
    i18n.update_catalog(nb, po_path)
    edited = FIRST.replace("one step", "a step")
    write_notebook(nb, {"a": THIRD, "b": SECOND, "c": edited})
    i18n.update_catalog(nb, po_path)
    e = entry(po_path, edited)
    assert "fuzzy" in e.flags and e.msgstr == ZH[FIRST]


@pytest.mark.parametrize(("english", "chinese"), [
    ("It keeps 30 % of the pixels.", "它保留了 30% 的像素。"),
    ("About ~500,000 parameters.", "约 50 万个参数。"),
    ("About ~500,000 parameters.", "约五十万个参数。"),
    ("About 20,000 words.", "约两万个词。"),
    ("1.2 billion images and 2.5 million labels.", "12 亿张图像和 250 万个标签。"),
    ("A 60k-word vocabulary of 1,000 rows.", "6 万词的词表，1000 行。"),
])
def test_number_check_accepts_chinese_rewrites_of_a_number(english, chinese):
    assert i18n.message_issues(english, chinese) == []


@pytest.mark.parametrize(("english", "chinese"), [
    ("It keeps 30 % of the pixels.", "它保留了 3% 的像素。"),
    ("About ~500,000 parameters.", "约 5 万个参数。"),
    ("About ~500,000 parameters.", "约五万个参数。"),
    ("1.2 billion images.", "1.2 万张图像。"),
    ("torch 2.4.1 or newer.", "torch 2.4 或更新版本。"),
])
def test_number_check_still_rejects_a_changed_number(english, chinese):
    assert i18n.message_issues(english, chinese)


UNTRANSLATED_CELL = """## 4. Something new

A paragraph nobody has translated,
wrapped over two lines.

- one item
- another item, the last

| name | value |
|---|---|
| lr | 0.1 |

```python
x = 1
```

$$
y = x^2
$$

> A quoted line."""


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW"])
def test_an_untranslated_paragraph_is_shown_in_english_with_a_visible_mark(tmp_path, lang):
    markdown_it = pytest.importorskip("markdown_it")
    nb, po_path = translated_setup(tmp_path)
    write_notebook(nb, {"a": f"{THIRD}\n\n{FIRST}", "b": SECOND, "c": UNTRANSLATED_CELL})
    translated, left = i18n.translate_notebook(nb, po_path, lang)
    assert left == 5  # heading, paragraph, list, table, quote (code and the formula are not prose)
    source = translated.cells[2].source
    word = "尚未翻译" if lang == "zh_CN" else "尚未翻譯"
    assert source.count(f'<mark class="untranslated">{word}</mark>') == 5
    assert "翻" not in translated.cells[0].source + translated.cells[1].source  # translated cells: no mark
    md = markdown_it.MarkdownIt("commonmark").enable("table")
    before, after = md.parse(UNTRANSLATED_CELL), md.parse(source)

    def shape(tokens):  # the structure a reader sees: the mark must not break a heading, list or table
        return [t.type for t in tokens if t.type.endswith("_open") and t.type != "paragraph_open"]

    assert shape(after) == shape(before)
    html = md.render(source)
    assert html.count(f"<mark class=\"untranslated\">{word}</mark>") == 5
    assert "<h2>4. Something new</h2>" in html  # the heading (and its anchor) unchanged
    assert "A paragraph nobody has translated,\nwrapped over two lines." in html


def test_an_english_only_edit_fails_with_what_to_hand_to_a_translator(tmp_path):
    nb, po_path = translated_setup(tmp_path)
    added = "A new paragraph by a contributor who writes no Chinese."
    edited = SECOND.replace("every epoch", "at every epoch")
    write_notebook(nb, {"a": f"{THIRD}\n\n{FIRST}", "b": f"{edited}\n\n{added}"})
    problems = i18n.catalog_problems(nb, po_path)
    message = i18n.handover(problems)  # what tests/test_i18n.py's failure says
    assert "2 paragraph(s) need a translator" in message
    assert f"01_x.ipynb, cell b (English edited, old translation kept as a draft): {edited[:70]!r}" in message
    assert f"01_x.ipynb, cell b (new English, no translation): {added!r}" in message
    assert "make i18n-update" in message and "scripts/i18n_fill.py export 01 > 01-todo.json" in message
    assert "scripts/i18n_fill.py import" in message and i18n.UNTRANSLATED in message
    assert i18n.handover([]) == ""
    page = [i18n.Problem("index.md", "page", "missing", "Welcome.")]
    assert "scripts/i18n_fill.py export site-index" in i18n.handover(page)


# --- Catalogs a translation platform takes as they are (Weblate, Crowdin, Transifex, Poedit) ---------

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "site").glob("*.md"))
CATALOGS = [i18n.catalog_path(ROOT / "locale", "zh_CN", s) for s in SOURCES] + [messages.CATALOG]


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: p.name)
def test_msgfmt_check_passes_on_every_catalog(po_path):
    """gettext's own validation: header fields, format strings (python-brace-format), plural forms."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:  # gettext's msgfmt; test_catalog_headers_and_format_flags checks the same
        if os.environ.get("CI") == "true":  # .ci/run: check as much as CI does
            pytest.fail("msgfmt (gettext) is missing: apt-get install gettext")
        pytest.skip("msgfmt (gettext) is not installed; the polib checks below still run")
    proc = subprocess.run([msgfmt, "--check", "-o", os.devnull, str(po_path)], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: p.name)
def test_catalog_headers_and_format_flags(po_path):
    """What msgfmt --check checks, with polib (runs where gettext is not installed): a complete header
    (Language, Plural-Forms, Language-Team, PO-Revision-Date, Content-Type), each message once, and a
    run-time message with str.format fields flagged python-brace-format, its translation keeping them."""
    po = polib.pofile(str(po_path))
    for field in i18n.HEADER:
        assert po.metadata.get(field), f"{po_path.name}: header field {field} missing"
    assert po.metadata["Language"] == "zh_CN" and po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert "charset=UTF-8" in po.metadata["Content-Type"]
    live = [e for e in po if not e.obsolete]
    assert len({(e.msgctxt, e.msgid) for e in live}) == len(live), "a message is in the catalog twice"
    for e in live:
        fields = messages.placeholders(e.msgid)
        brace = bool(fields) and all(i18n._BRACE_FIELD.fullmatch(f) for f in fields)
        if po_path == messages.CATALOG:
            assert ("python-brace-format" in e.flags) == brace, e.msgid
        if "python-brace-format" in e.flags and e.msgstr:
            assert sorted(messages.placeholders(e.msgstr)) == sorted(fields), e.msgid
        assert e.msgid.startswith("\n") == e.msgstr.startswith("\n") or not e.msgstr
        assert e.msgid.endswith("\n") == e.msgstr.endswith("\n") or not e.msgstr


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_catalog_has_a_current_template(source):
    """locale/templates/NN_name.pot, one per catalog: a platform's component is a template and its
    translations (locale/*/LC_MESSAGES/NN_name.po); `python -m course_lib i18n update` writes both."""
    po_path = i18n.catalog_path(ROOT / "locale", "zh_CN", source)
    template = ROOT / "locale" / "templates" / f"{po_path.stem}.pot"
    assert template.exists(), f"no {template.relative_to(ROOT)}: run `make i18n-update` and commit it"
    pot = polib.pofile(str(template))
    assert [(e.msgctxt, e.msgid) for e in pot] == [(e.msgctxt, e.msgid) for e in i18n.extract(source)], (
        f"{template.relative_to(ROOT)} is out of date: run `make i18n-update` and commit it")
    assert not any(e.msgstr for e in pot) and pot.metadata["Language"] == ""


def test_the_run_time_messages_have_a_current_template():
    """course_lib/locale/templates/course_lib.pot: what course_lib.po holds (the merge writes both)."""
    template = messages.CATALOG.parents[2] / "templates" / "course_lib.pot"
    want = {(e.msgctxt, e.msgid) for e in polib.pofile(str(messages.CATALOG)) if not e.obsolete}
    assert {(e.msgctxt, e.msgid) for e in polib.pofile(str(template))} == want, (
        f"{template.relative_to(ROOT)} is out of date: run `make i18n-update` and commit it")


def test_an_update_that_changes_nothing_leaves_the_files_alone(tmp_path):
    nb, po_path = translated_setup(tmp_path)
    folder = tmp_path / "locale" / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po_path = po_path.rename(folder / "01_x.po")
    i18n.update_catalog(nb, po_path)
    template = tmp_path / "locale" / "templates" / "01_x.pot"
    before = po_path.read_text(encoding="utf-8"), template.read_text(encoding="utf-8")
    assert "#. under the heading: 2. Training for real" in before[0]
    assert "Plural-Forms: nplurals=1; plural=0;" in before[0] and 'msgstr ""' in before[1]
    i18n.update_catalog(nb, po_path)
    assert (po_path.read_text(encoding="utf-8"), template.read_text(encoding="utf-8")) == before


def test_i18n_commands_need_only_polib_and_nbformat():
    """`make i18n-update` / `i18n-status` install polib and nbformat (a 33 MB venv, measured), not the
    course's 6 GB: the commands must not import torch or OpenCC (zh_TW is generated at build time)."""
    code = ("import sys; sys.modules.update(torch=None, opencc=None, numpy=None, matplotlib=None)\n"
            "from course_lib.__main__ import main\n"
            "sys.exit(main(['i18n', 'status', '--show', '0']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "Error" not in proc.stderr, proc.stderr[-2000:]
    assert "01_tensors.ipynb:" in proc.stdout
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    tools = re.search(r"^I18N_TOOLS := (.*)$", makefile, re.M).group(1)
    for target in ("i18n-update", "i18n-status"):
        prerequisites = re.search(rf"^{target}:(.*)$", makefile, re.M).group(1)
        assert not re.search(r"\binstall\b", prerequisites) and "I18N_VENV" in prerequisites, prerequisites
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"]
    pinned = set(extras["i18n"]) | set(extras["dev"])
    assert set(re.findall(r'"([^"]+)"', tools)) <= pinned and "polib" in tools and "nbformat" in tools
