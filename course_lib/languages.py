"""The course's languages, in one place: English (the source) and the translated editions.

Everything that lists languages reads it — the translator (:mod:`course_lib.i18n`), the run-time messages
(:mod:`course_lib.messages`), the command line, the notebooks' runtime line, the website build and its
language menu; the Makefile's ``make lab LANG=...`` list is checked against it by a test.

>>> list(LANGUAGES), HAND_TRANSLATED
(['zh_CN', 'zh_TW'], 'zh_CN')
"""

from __future__ import annotations

#: The source language of the notebooks, the site and the messages.
ENGLISH = "en"
#: Each translated edition and its name in itself (the site's language menu shows it).
LANGUAGES: dict[str, str] = {"zh_CN": "简体中文", "zh_TW": "繁體中文"}
#: The edition translated by people; the others are generated from it (zh_TW: OpenCC, Taiwan phrasing).
HAND_TRANSLATED = "zh_CN"

__all__ = ["ENGLISH", "HAND_TRANSLATED", "LANGUAGES"]
