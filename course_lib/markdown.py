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


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
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
    atx = _ATX.match(line)
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
