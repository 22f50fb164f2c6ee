"""Markdown headings and the anchors MyST-Parser makes for them (``myst_heading_anchors``).

The website's pages link to notebook sections by anchor (``08_x.ipynb#3-a-cnn``); the anchor is the
heading's GitHub-style slug. A translated notebook keeps its English anchors too
(:func:`course_lib.i18n.translate_notebook` puts them before each translated heading), so every link
of the English edition also works in the Chinese ones.

>>> github_slugify("5 · Early stopping")
'5--early-stopping'
"""

from __future__ import annotations

import re

_NOT_SLUG = re.compile(r"[^\w\u4e00-\u9fff\- ]")


def github_slugify(title: str) -> str:
    """MyST-Parser's GitHub-style slug (``myst_parser.slugs.github_slugify``).

    >>> github_slugify("2. random_split: train, validation and test — the same split")
    '2-random_split-train-validation-and-test--the-same-split'
    """
    return _NOT_SLUG.sub("", title.lower().replace(" ", "-"))


#: An ATX heading line: group 1 its ``#`` marks (the level), group 2 its text.
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
#: The line opening a fenced code block (CommonMark: up to 3 spaces, 3 or more backticks or tildes).
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\s](?:[^$]*[^$\s])?\$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML = re.compile(r"</?[A-Za-z][^>]*>")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def heading_text(inline: str) -> str:
    """The text MyST slugs for a heading: its text and inline code, without math, markup or URLs."""
    spans: list[str] = []

    def keep_code(match: re.Match) -> str:
        content = match.group(2)
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]  # CommonMark strips one space on each side
        spans.append(content)
        return f"\x00{len(spans) - 1}\x00"

    text = _CODE_SPAN.sub(keep_code, inline)
    text = _MATH.sub("", text)  # dollarmath: math is its own token, not text
    text = _LINK.sub(r"\1", text)
    text = _HTML.sub("", text)
    text = _ESCAPE.sub(r"\1", text)
    text = re.sub(r"(?<!\w)[*_]+|[*_]+(?!\w)", "", text)  # emphasis delimiters, not intra-word underscores
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)




def heading_slug(line: str) -> str | None:
    """The anchor slug of an ATX heading line (``None`` when the line is not a heading).

    >>> heading_slug("## 3. `backward()` and the graph")
    '3-backward-and-the-graph'
    """
    atx = ATX_HEADING.match(line)
    if not atx:
        return None
    return github_slugify(heading_text(atx.group(2) or "").strip())


def unique_slug(slug: str, taken) -> str:
    """``slug``, or ``slug-1``, ``slug-2``, ... : the first not in ``taken`` (MyST numbers a repeated
    heading's anchor so within one document).

    >>> unique_slug("intro", {"intro", "intro-1"})
    'intro-2'
    """
    unique, i = slug, 0
    while unique in taken:
        i += 1
        unique = f"{slug}-{i}"
    return unique


def headings(markdown: str) -> list[tuple[int, str]]:
    r"""``(level, text)`` of a Markdown text's ATX headings, outside fenced code blocks (CommonMark: a
    fence closes only on a line of the same character, at least as long, with nothing after it; an
    unclosed fence runs to the end of the text). ``text`` is what MyST slugs (:func:`heading_text`).

    >>> headings("# A\n````\n```\n# not a heading\n```\n````\n## B `x` ##")
    [(1, 'A'), (2, 'B x')]
    """
    found, fence = [], None
    for line in markdown.splitlines():
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]) and len(line) - len(
                    line.lstrip(" ")) <= 3:
                fence = None
            continue
        opening = FENCE.match(line)
        if opening:
            fence = opening.group(1)
            continue
        atx = ATX_HEADING.match(line)
        if atx:
            found.append((len(atx.group(1)), heading_text(atx.group(2) or "").strip()))
    return found


def anchored_headings(markdown_cells, max_level: int = 3) -> list[tuple[str, str]]:
    r"""``(anchor, heading text)`` of the headings (levels 1 to ``max_level``) of one page made of
    Markdown cells (each its own text: a fence never runs into the next cell), in order, numbered as
    MyST numbers a repeated anchor (:func:`unique_slug`). The one heading walker of the course: the
    translated notebooks' anchors (:func:`course_lib.i18n.heading_anchors`) and the recipes' links
    (``tests/test_recipes.py``) both use it.

    >>> anchored_headings(["# Intro\n```\n# x = 1\n```", "## Intro\n#### Deep"])
    [('intro', 'Intro'), ('intro-1', 'Intro')]
    """
    anchors: list[tuple[str, str]] = []
    for cell in markdown_cells:
        for level, text in headings(cell):
            slug = github_slugify(text)
            if level <= max_level and slug:
                anchors.append((unique_slug(slug, {a for a, _ in anchors}), text))
    return anchors
