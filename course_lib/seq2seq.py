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

:func:`paired_bleu` scores a test set once, with a bootstrap confidence interval and a paired
test against a baseline: a few hundred test strings leave BLEU uncertain by several points.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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


def words_key(text: str) -> tuple[str, ...]:
    """The words of a UI string — lowercased, without punctuation, ellipses, numbers or placeholders.

    Two strings with the same key are one string as far as a train/test split is concerned: a model
    that learned "Open…" has seen "Open" and "Open %1" (:func:`course_lib.data.load_en_fr` keeps one
    string per key).

    >>> words_key("Open…") == words_key("open") == words_key("Open %1") == ("open",)
    True
    >>> words_key("Shut Down Kernel"), words_key("Console %1")
    (('shut', 'down', 'kernel'), ('console',))
    """
    return tuple(t for t in tokenize(text) if not is_placeholder(t) and any(ch.isalpha() for ch in t))


def detokenize(tokens: list[str]) -> str:
    """Join tokens back into a string: spaces between tokens, none after an elision (``l'``).

    Punctuation keeps its surrounding spaces; BLEU's standard tokenizer (sacrebleu "13a")
    splits punctuation again, so this does not change the score.

    >>> detokenize(["ouvrir", "l'", "onglet", "%1", "?"])
    "ouvrir l'onglet %1 ?"
    """
    text = " ".join(tokens)
    return re.sub(r"(\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])') ", r"\1", text)


@dataclass(frozen=True)
class PairedBleu:
    """Corpus BLEU with a 95 % bootstrap interval, and the p-value of its difference from a baseline."""

    score: float
    low: float
    high: float
    baseline: float
    p_value: float

    def __str__(self) -> str:
        return (f"BLEU {self.score:.1f} (95% CI {self.low:.1f}-{self.high:.1f}; "
                f"baseline {self.baseline:.1f}, paired bootstrap p = {self.p_value:.3f})")


def paired_bleu(hypotheses: Sequence[str], baseline: Sequence[str], references: Sequence[str], *,
                n_samples: int = 1000, lowercase: bool = True) -> PairedBleu:
    """BLEU of ``hypotheses`` with sacreBLEU's paired bootstrap resampling against ``baseline``.

    The same ``n_samples`` resamples of the test sentences (with replacement) score both systems
    (Koehn, 2004; sacreBLEU's ``--paired-bs``). The interval is sacreBLEU's: the mean of the
    resampled scores ± half the width of their 2.5-97.5 percentile range. ``p_value`` is the
    (two-sided) chance of a difference at least this large if the systems were equally good. The
    resampling seed is sacreBLEU's fixed default (environment variable ``SACREBLEU_SEED``), so the
    result is the same on every run.

    >>> refs = ["le fichier est ouvert", "ouvrir le dossier %1", "enregistrer le fichier"] * 20
    >>> r = paired_bleu(refs, ["le dossier"] * 60, refs, n_samples=200)
    >>> round(r.score), round(r.low), round(r.high), r.baseline, r.p_value < 0.01
    (100, 100, 100, 0.0, True)
    """
    from sacrebleu.metrics import BLEU
    from sacrebleu.significance import PairedTest

    if not len(hypotheses) == len(baseline) == len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses, {len(baseline)} baseline outputs and "
                         f"{len(references)} references: one each per test sentence.")
    test = PairedTest([("baseline", list(baseline)), ("system", list(hypotheses))],
                      {"BLEU": BLEU(lowercase=lowercase)}, [list(references)], test_type="bs",
                      n_samples=n_samples)
    _, scores = test()
    base, system = scores["BLEU"]
    return PairedBleu(float(system.score), float(system.mean - system.ci), float(system.mean + system.ci),
                      float(base.score), float(system.p_value))
