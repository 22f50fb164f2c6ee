"""Every translated message renders as its translator meant: no literal ``**`` or ``__`` on the page.

CommonMark closes ``**`` only on a right-flanking delimiter run: after punctuation it must be followed by
whitespace or punctuation. Chinese puts a Han character straight after full-width punctuation, so
``**适合谁：**在…`` shows its asterisks, while ``**适合谁**：在…`` is bold. The check renders each zh_CN
message, and its generated zh_TW text, with the parser MyST uses (markdown-it-py in CommonMark mode, with
the extensions the site enables in ``site/conf.py``) and looks for delimiters left in the rendered text,
outside code spans, code blocks and math, which are tokens of their own: any ``**`` or ``__``, and a single
``*`` or ``_`` where the English message renders without one (italics break the same way: ``*提示：*在``).
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

from course_lib import i18n

markdown_it = pytest.importorskip("markdown_it")
amsmath = pytest.importorskip("mdit_py_plugins.amsmath")
colon_fence = pytest.importorskip("mdit_py_plugins.colon_fence")
deflist = pytest.importorskip("mdit_py_plugins.deflist")
dollarmath = pytest.importorskip("mdit_py_plugins.dollarmath")

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = sorted((ROOT / "locale" / "zh_CN" / "LC_MESSAGES").glob("*.po"))
#: site/conf.py's myst_enable_extensions that change how a paragraph parses (MyST also enables tables).
EXTENSIONS = {"amsmath": amsmath.amsmath_plugin, "colon_fence": colon_fence.colon_fence_plugin,
              "deflist": deflist.deflist_plugin, "dollarmath": dollarmath.dollarmath_plugin}
STRONG = re.compile(r"\*\*|__")
ANY = re.compile(r"[*_]")


def _parser():
    md = markdown_it.MarkdownIt("commonmark").enable("table")
    for plugin in EXTENSIONS.values():
        md = md.use(plugin)
    return md


MD = _parser()


def leftover_markers(text: str, markers: re.Pattern = STRONG) -> list[str]:
    """The rendered text runs (outside code and math) that still show ``**`` or ``__`` (or ``markers``)."""
    found = []
    for token in MD.parse(text):
        for child in token.children or ():
            if child.type == "text" and markers.search(child.content):
                found.append(child.content)
    return found


def test_the_parser_is_the_sites():
    conf = (ROOT / "site" / "conf.py").read_text(encoding="utf-8")
    enabled = re.search(r"^myst_enable_extensions\s*=\s*\[([^\]]*)\]", conf, re.M)
    assert enabled and set(re.findall(r"[\"'](\w+)[\"']", enabled.group(1))) == set(EXTENSIONS)


@pytest.mark.parametrize(("text", "shows_markers"), [
    ("**适合谁：**在笔记本电脑上自学的学习者", True),        # the start page's bug: ** after ： before 在
    ("**你在这里看到的是一次真实的运行。**下面的每个页面", True),
    ("__适合谁：__在笔记本电脑上", True),
    ("* **适合谁：**在笔记本电脑上", True),                    # in a list item
    ("| 列 |\n|---|\n| **适合谁：**在 |", True),                # in a table cell
    ("**适合谁**：在笔记本电脑上自学的学习者", False),        # the fix
    ("**你在这里看到的是一次真实的运行。** 下面的每个页面", False),  # a space after the run also closes it
    ("**预备知识：** 笔记本 00", False),
    ("用 `a ** 2` 和 `__init__`，以及 $x^{**}$。", False),   # code spans and math are not text
    ("```python\ny = x ** 2\n```", False),
])
def test_leftover_markers_are_found(text, shows_markers):
    assert bool(leftover_markers(text)) == shows_markers


@pytest.mark.parametrize(("text", "shows_markers"), [
    ("*提示：*在第 4 节中", True),                 # italics break the same way
    ("_提示：_在第 4 节中", True),
    ("*提示：* 在第 4 节中", False),
    ("*提示*：在第 4 节中", False),
    ("对 `fan_in` 个输入求和", False),
])
def test_leftover_single_markers_are_found(text, shows_markers):
    assert bool(leftover_markers(text, ANY)) == shows_markers


def translation_shows(msgid: str, msgstr: str) -> list[str]:
    """What the rendered translation shows of ``**``/``__`` (or of ``*``/``_``) that the English does not."""
    for markers in (STRONG, ANY):
        shown = leftover_markers(msgstr, markers)
        if shown and not leftover_markers(msgid, markers):
            return shown
    return []


def test_only_what_the_translation_adds_counts():
    assert translation_shows("**Who it is for:** self-paced learners", "**适合谁：**自学的学习者")
    assert translation_shows("*Hint:* use `x`", "*提示：*用 `x`")
    assert not translation_shows("**Who it is for:** self-paced learners", "**适合谁**：自学的学习者")
    assert not translation_shows("in_channels × kernel height", "in_channels × 卷积核高度")  # as in English


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW"])
@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_translations_render_without_leftover_markers(path, lang):
    """zh_TW is generated from zh_CN (「」 for “”, other words): it must render the same way."""
    bad = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete or not entry.msgstr or "fuzzy" in entry.flags:
            continue
        text = entry.msgstr if lang == "zh_CN" else i18n.to_traditional(entry.msgstr)
        shown = translation_shows(entry.msgid, text)
        if shown:
            bad.append(f"{lang} {path.name} [{entry.msgctxt}] {entry.msgid[:40]!r}: shows {shown[0][:60]!r}")
    assert not bad, ("the rendered translation shows ** or __, or a * or _ the English does not (write "
                     "**粗体**：…, not **粗体：**…):\n"
                     + "\n".join(bad))
