"""Tokenizing and detokenizing short UI strings for sequence-to-sequence translation (notebook 13).

UI strings are full of placeholders (``%1``, ``{name}``, ``{}``) that a translation must carry over
unchanged, so the tokenizer keeps each placeholder as one token. Everything else is lowercased,
punctuation is split off, and French elisions (``l'``, ``d'``, ``qu'`` …) become their own token so
``l'ouverture`` and ``l'affichage`` share the token ``l'``.

>>> tokenize("Open %1 in {name}'s folder?")
['open', '%1', 'in', '{name}', "'", 's', 'folder', '?']
>>> tokenize("Impossible d'ouvrir l'Éditeur…")
['impossible', "d'", 'ouvrir', "l'", 'éditeur', '…']
>>> detokenize(["impossible", "d'", "ouvrir", "l'", "éditeur", "…"])
"impossible d'ouvrir l'éditeur …"
"""

from __future__ import annotations

import re

#: Placeholders that must survive translation whole: ``%1`` ``%s`` ``%(name)s`` ``{}`` ``{name}`` ``${x}``.
PLACEHOLDER = r"%\d+|%\(\w+\)[sd]|%[sd]|\$?\{\w*\}"
#: French elided articles/pronouns, kept with their apostrophe: ``l'``, ``d'``, ``qu'``, ``jusqu'`` …
ELISION = r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])['’](?=\w)"
_WORD = r"\w+(?:[-'’]\w+)*"
_TOKEN = re.compile(f"{PLACEHOLDER}|{ELISION}|{_WORD}|[^\\w\\s]", re.IGNORECASE)
_IS_PLACEHOLDER = re.compile(f"(?:{PLACEHOLDER})")


def tokenize(text: str) -> list[str]:
    """Split a UI string into lowercase tokens, keeping placeholders and French elisions whole.

    Typographic apostrophes (’) are normalised to ASCII ('). Placeholders keep their case.

    >>> tokenize("Rename %1 to %2.")
    ['rename', '%1', 'to', '%2', '.']
    >>> tokenize("Jusqu'à {count} fichiers (max)")
    ["jusqu'", 'à', '{count}', 'fichiers', '(', 'max', ')']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a str, got {type(text).__name__}.")
    text = text.replace("’", "'")
    return [t if is_placeholder(t) else t.lower() for t in _TOKEN.findall(text)]


def is_placeholder(token: str) -> bool:
    """Whether ``token`` is a placeholder such as ``%1`` or ``{name}``.

    >>> is_placeholder("%2"), is_placeholder("{}"), is_placeholder("100%")
    (True, True, False)
    """
    return _IS_PLACEHOLDER.fullmatch(token) is not None


def detokenize(tokens: list[str]) -> str:
    """Join tokens back into a string: spaces between tokens, none after an elision (``l'``).

    Punctuation keeps its surrounding spaces; BLEU's standard tokenizer (sacrebleu "13a")
    splits punctuation again, so this does not change the score.

    >>> detokenize(["ouvrir", "l'", "onglet", "%1", "?"])
    "ouvrir l'onglet %1 ?"
    """
    text = " ".join(tokens)
    return re.sub(r"(\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])') ", r"\1", text)
