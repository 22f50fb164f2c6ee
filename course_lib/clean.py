"""Cleaning and normalising text, below everything that reads data: :func:`basic_english` (torchtext's
``basic_english`` rules), :func:`clean_tweet` and :func:`near_duplicate_key`.

:mod:`course_lib.data` deduplicates the tweets with :func:`near_duplicate_key` and :mod:`course_lib.text`
(which re-exports these names, as the notebooks import them) builds its pipeline on top of both; this module
imports neither, so the package has no import circle (``tests/test_structure.py``).
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["basic_english", "clean_tweet", "near_duplicate_key"]

# torchtext's basic_english rules, applied in this order after lower-casing:
#   '  -> " '  "   "  -> ""   .  -> " . "   <br />  -> " "   ,  -> " , "   (  -> " ( "   )  -> " ) "
#   !  -> " ! "    ?  -> " ? "   ;  -> " "   :  -> " "   \s+ -> " "        then split on whitespace.
# Because the result is split on whitespace, the spaces only matter as separators, and every
# rule except <br /> replaces single characters. So the same tokens come from: delete double
# quotes (which can create a "<br />"), replace "<br />" (before ";"/":" could create one), then
# one str.translate pass — about ten times faster than twelve regex passes.
# tests/test_text.py checks this against the rule list; test_torchtext_parity.py against torchtext.
_BASIC_ENGLISH_TABLE = str.maketrans({
    "'": " ' ", ".": " . ", ",": " , ", "(": " ( ", ")": " ) ", "!": " ! ", "?": " ? ",
    ";": " ", ":": " ",
})


def basic_english(line: str) -> list[str]:
    """torchtext's ``basic_english`` tokenizer (``get_tokenizer("basic_english")``).

    >>> basic_english("Don't stop<br />now: (really)!")
    ['don', "'", 't', 'stop', 'now', '(', 'really', ')', '!']
    """
    line = line.lower().replace('"', "").replace("<br />", " ")
    return line.translate(_BASIC_ENGLISH_TABLE).split()


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w+:?")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_RETWEET = re.compile(r"^\s*(?:RT|MT)\b:?\s*(?:@\w+:?)?")
# Mojibake: UTF-8 bytes that were decoded as Windows-1252/Latin-1, e.g. "donâ€™t", "cafÃ©".
_CP1252_EXTRA = "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014" \
                "\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_EXTRA}]+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
                         "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " "})
# A run of non-ASCII characters and underscores; it is debris when it holds a replacement char
# (U+FFFD, from bytes that were not valid UTF-8) or a private-use, unassigned or control character.
_NON_ASCII_RUN = re.compile(r"_*(?:[^\x00-\x7f]+_*)+")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BROKEN_CATEGORIES = {"Co", "Cn", "Cs", "Cc"}


def _fix_mojibake(text: str) -> str:
    def repair(match: re.Match) -> str:
        chunk = match.group(0)
        for codec in ("cp1252", "latin-1"):
            try:
                return chunk.encode(codec).decode("utf-8")
            except UnicodeError:
                continue
        return chunk

    return _MOJIBAKE.sub(repair, text)


def _is_debris(run: str) -> bool:
    return any(ch == "\ufffd" or unicodedata.category(ch) in _BROKEN_CATEGORIES for ch in run)


def _drop_debris(text: str) -> str:
    def replace(match: re.Match) -> str:
        run = match.group(0)
        return " " if _is_debris(run) else run

    if not text.isascii():
        text = _NON_ASCII_RUN.sub(replace, text)
    return _ASCII_CONTROL.sub(" ", text)


def clean_tweet(text: str, url_token: str = "", mention_token: str = "") -> str:
    """Tidy a raw tweet for a tokenizer: one line of words, case kept.

    * HTML entities are decoded (``&amp;`` → ``&``, also when escaped twice),
    * mojibake is repaired (``donâ€™t`` → ``don't``) and curly quotes become ASCII quotes,
    * encoding debris is removed: runs of odd characters holding a ``\\ufffd`` replacement
      character or a private-use/unassigned/control character (emoji that did not survive
      an export), with the underscores glued to them,
    * a leading ``RT``/``MT`` marker is dropped, URLs become ``url_token`` and @mentions
      ``mention_token`` (both removed by default), ``#hashtags`` become their word,
    * whitespace is collapsed.

    >>> clean_tweet("RT @united: thanks!! &amp; see http://t.co/x #GreatService \\ufffd_\\ufffd")
    'thanks!! & see GreatService'
    >>> clean_tweet("I donâ€™t like it", mention_token="@user")
    "I don't like it"
    """
    for _ in range(2):
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = _fix_mojibake(text)
    text = _drop_debris(text)
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    text = _RETWEET.sub("", text)
    text = _URL.sub(f" {url_token} " if url_token else " ", text)
    text = _MENTION.sub(f" {mention_token} " if mention_token else " ", text)
    text = _HASHTAG.sub(r"\1", text)
    return " ".join(text.split())


def near_duplicate_key(text: str) -> tuple[str, ...]:
    """What two tweets must share to count as the same tweet: their cleaned *words*.

    :func:`clean_tweet` (no URLs, @mentions, ``RT`` marker, HTML entities or debris), then
    ``basic_english`` tokens (lower case) keeping only tokens with a letter or digit, and without
    a stray ``rt``. Retweets, and copies that differ in a link, a mention, case or punctuation,
    get the same key; :func:`course_lib.data.load_tweets` keeps one tweet per key, before splitting.

    >>> near_duplicate_key("RT @united: Thanks!! http://t.co/abc") == near_duplicate_key("@delta thanks.")
    True
    >>> near_duplicate_key("not good") == near_duplicate_key("good, not")
    False
    """
    tokens = basic_english(clean_tweet(text))
    return tuple(tok for tok in tokens if tok != "rt" and any(ch.isalnum() for ch in tok))
