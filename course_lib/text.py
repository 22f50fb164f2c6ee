"""Text pipeline pieces: a torchtext-compatible tokenizer and vocabulary, plus what a course needs.

torchtext stopped at 0.18.0, which only loads on torch 2.3. The functions here keep its names and
behaviour (checked against the real library by ``tests/test_torchtext_parity.py``), so torchtext
code runs after a one-line import swap::

    # from torchtext.data.utils import get_tokenizer
    # from torchtext.vocab import build_vocab_from_iterator
    from course_lib.text import get_tokenizer, build_vocab_from_iterator

Beyond torchtext: :func:`clean_tweet`, :data:`STOP_WORDS`/:func:`remove_stop_words`,
:func:`pad_collate`/:func:`make_pad_collate` for ``pack_padded_sequence``, :func:`encode`,
:func:`load_word_vectors`/:func:`vectors_for_vocab` for GloVe-format files, and notebook 11's
tweet pipeline (:func:`encode_tweets`) and :class:`RNNClassifier`, which notebook 12 reuses.

>>> tokenizer = get_tokenizer("basic_english")
>>> tokenizer("You can now install TorchText using pip!")
['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
>>> vocab = build_vocab_from_iterator([["b", "a", "b"], ["c"]], specials=["<unk>"])
>>> vocab.set_default_index(vocab["<unk>"])
>>> vocab(["a", "b", "zzz"])
[2, 1, 0]
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from .clean import basic_english, clean_tweet, near_duplicate_key

__all__ = [
    "STOP_WORDS", "KEPT_STOP_WORDS", "EncodedTweets", "RNNClassifier", "Vocab",  # noqa: F822
    "BucketBatchSampler", "PositionalEncoding",
    "build_vocab_from_iterator", "clean_tweet", "encode", "encode_tweets", "get_tokenizer",
    "load_word_vectors", "make_pad_collate", "near_duplicate_key", "pad_collate", "remove_stop_words",
    "TfidfBaseline", "tfidf_logreg", "vectors_for_vocab", "vocab",
]

# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------

def _split_tokenizer(text: str) -> list[str]:
    return text.split()


def get_tokenizer(tokenizer: str | Callable[[str], list[str]] | None,
                  language: str = "en") -> Callable[[str], list[str]]:
    """A function that turns a string into a list of tokens, as ``torchtext.data.get_tokenizer``.

    ``"basic_english"`` lower-cases and splits off punctuation; ``None`` is ``str.split``;
    a callable is returned unchanged. (torchtext's spaCy/Moses options are not offered.)

    >>> get_tokenizer("basic_english")("Don't panic, it's (only) a test.")
    ['don', "'", 't', 'panic', ',', 'it', "'", 's', '(', 'only', ')', 'a', 'test', '.']
    >>> get_tokenizer(None)("Keep CASE, please")
    ['Keep', 'CASE,', 'please']
    """
    if tokenizer is None:
        return _split_tokenizer
    if tokenizer == "basic_english":
        if language != "en":
            raise ValueError("Basic normalization is only available for Enlish(en)")
        return basic_english
    if callable(tokenizer):
        return tokenizer
    raise ValueError(f"Requested tokenizer {tokenizer!r}: course_lib.text offers 'basic_english', None "
                     "(str.split) or any callable that takes a string and returns a list of tokens.")


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------


class Vocab:
    """Maps tokens to indices and back, with torchtext's ``Vocab`` methods and errors.

    Build one with :func:`build_vocab_from_iterator` (or :func:`vocab`). Looking up a token that
    is not in the vocabulary raises ``RuntimeError`` until :meth:`set_default_index` is called.

    >>> v = Vocab(["<unk>", "hello", "world"])
    >>> v["world"], len(v), "hello" in v
    (2, 3, True)
    >>> v.lookup_tokens([1, 2])
    ['hello', 'world']
    """

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self._itos: list[str] = []
        self._stoi: dict[str, int] = {}
        self._default_index: int | None = None
        for token in tokens:
            if token in self._stoi:
                raise RuntimeError(f"Duplicate token found in tokens list: {token}")
            self._stoi[token] = len(self._itos)
            self._itos.append(token)

    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: str) -> bool:
        return token in self._stoi

    def __getitem__(self, token: str) -> int:
        index = self._stoi.get(token)
        if index is not None:
            return index
        if self._default_index is None:
            raise RuntimeError(f"Token {token} not found and default index is not set")
        return self._default_index

    def __call__(self, tokens: Iterable[str]) -> list[int]:
        """The indices of ``tokens`` (same as :meth:`lookup_indices`)."""
        return self.lookup_indices(tokens)

    forward = __call__

    def __iter__(self):
        return iter(self._itos)

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self._itos[:5])
        more = ", ..." if len(self) > 5 else ""
        return f"Vocab({len(self)} tokens: [{head}{more}], default_index={self._default_index})"

    def set_default_index(self, index: int | None) -> None:
        """Index returned for unknown tokens (usually ``vocab["<unk>"]``); ``None`` to raise again."""
        self._default_index = None if index is None else int(index)

    def get_default_index(self) -> int | None:
        return self._default_index

    def lookup_indices(self, tokens: Iterable[str]) -> list[int]:
        return [self[token] for token in tokens]

    def lookup_token(self, index: int) -> str:
        if not 0 <= index < len(self._itos):
            raise RuntimeError(f"Specified index {index} is out of bounds for vocab of size "
                               f"{len(self._itos)}")
        return self._itos[index]

    def lookup_tokens(self, indices: Iterable[int]) -> list[str]:
        tokens = []
        for position, index in enumerate(indices):
            if not 0 <= index < len(self._itos):
                raise RuntimeError(f"Specified index {index} at position {position} is out of bounds "
                                   f"for vocab of size {len(self._itos)}")
            tokens.append(self._itos[index])
        return tokens

    def get_itos(self) -> list[str]:
        """Index → token, as a new list."""
        return list(self._itos)

    def get_stoi(self) -> dict[str, int]:
        """Token → index, as a new dict."""
        return dict(self._stoi)

    def append_token(self, token: str) -> None:
        """Add ``token`` at the end; ``RuntimeError`` if it is already there."""
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: "
                               f"{self._stoi[token]}")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    def insert_token(self, token: str, index: int) -> None:
        """Insert ``token`` at ``index``, shifting later tokens up by one."""
        if not 0 <= index <= len(self._itos):
            raise RuntimeError(f"Specified index {index} is out of bounds for vocab of size "
                               f"{len(self._itos)}")
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: "
                               f"{self._stoi[token]}")
        self._itos.insert(index, token)
        for i in range(index, len(self._itos)):
            self._stoi[self._itos[i]] = i


def vocab(ordered_dict: dict[str, int], min_freq: int = 1, specials: Sequence[str] | None = None,
          special_first: bool = True) -> Vocab:
    """A :class:`Vocab` from a token → frequency mapping, keeping its order (``torchtext.vocab.vocab``).

    Tokens rarer than ``min_freq`` are dropped; ``specials`` go first (or last) in the given order.

    >>> vocab(OrderedDict([("b", 3), ("a", 2), ("c", 1)]), min_freq=2, specials=["<pad>"]).get_itos()
    ['<pad>', 'b', 'a']
    """
    specials = list(specials or [])
    ordered = OrderedDict(ordered_dict)
    for token in specials:
        ordered.pop(token, None)
    tokens = [token for token, freq in ordered.items() if freq >= min_freq]
    tokens = specials + tokens if special_first else tokens + specials
    return Vocab(tokens)


def build_vocab_from_iterator(iterator: Iterable[Iterable[str]], min_freq: int = 1,
                              specials: Sequence[str] | None = None, special_first: bool = True,
                              max_tokens: int | None = None) -> Vocab:
    """Count tokens over an iterator of token lists and build a :class:`Vocab`, as torchtext does.

    Order: most frequent first, ties broken alphabetically; then tokens rarer than ``min_freq``
    are dropped and ``specials`` are put first (``special_first=True``) or last. ``max_tokens``
    caps the size *including* the specials (the ``max_tokens - len(specials)`` most frequent
    tokens are kept).

    >>> v = build_vocab_from_iterator([["b", "a", "c", "b"], ["a", "d"]], specials=["<unk>", "<pad>"])
    >>> v.get_itos()
    ['<unk>', '<pad>', 'a', 'b', 'c', 'd']
    >>> build_vocab_from_iterator([["b", "a", "c", "b"], ["a", "d"]], max_tokens=3,
    ...                           specials=["<unk>"]).get_itos()
    ['<unk>', 'a', 'b']
    """
    counter: Counter[str] = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = list(specials or [])
    by_freq = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    if max_tokens is not None:
        assert len(specials) < max_tokens, \
            "len(specials) >= max_tokens, so the vocab will be entirely special tokens."
        by_freq = by_freq[:max_tokens - len(specials)]
    return vocab(OrderedDict(by_freq), min_freq=min_freq, specials=specials,
                 special_first=special_first)


# --------------------------------------------------------------------------------------------
# Stop words (cleaning a tweet: course_lib.clean, re-exported here)
# --------------------------------------------------------------------------------------------

#: Negations that scikit-learn's list counts as stop words but that flip a tweet's sentiment
#: ("not good", "never again", "no legroom"): removing them would erase the very signal a
#: sentiment classifier needs, so :data:`STOP_WORDS` keeps them in the text.
KEPT_STOP_WORDS = frozenset({
    "not", "no", "nor", "never", "none", "nothing", "nobody", "noone", "nowhere", "neither",
    "cannot", "cant", "couldnt", "hasnt", "without",
})


_STOP_WORDS: frozenset[str] | None = None


def _stop_words() -> frozenset[str]:
    global _STOP_WORDS
    if _STOP_WORDS is None:
        # Imported on first use: scikit-learn takes seconds to import and most users of this
        # module never need stop words.
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        _STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) - KEPT_STOP_WORDS
    return _STOP_WORDS


def __getattr__(name: str) -> Any:
    # ``STOP_WORDS``: scikit-learn's English stop words (a maintained list of 318 words) minus
    # :data:`KEPT_STOP_WORDS`, the sentiment-bearing negations; a frozenset built on first access.
    if name == "STOP_WORDS":
        return _stop_words()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def remove_stop_words(tokens: Iterable[str], stop_words: Iterable[str] | None = None) -> list[str]:
    """The tokens that are not stop words (compared in lower case); order is kept.

    ``stop_words`` defaults to :data:`STOP_WORDS` (scikit-learn's list minus negations).

    >>> remove_stop_words(["this", "flight", "was", "not", "on", "time"])
    ['flight', 'not', 'time']
    """
    if stop_words is None:
        stop = _stop_words()
    else:
        stop = stop_words if isinstance(stop_words, (set, frozenset)) else frozenset(stop_words)
    return [token for token in tokens if token.lower() not in stop]


# --------------------------------------------------------------------------------------------
# From text to padded batches
# --------------------------------------------------------------------------------------------


def encode(texts: Iterable[str], vocab: Vocab, tokenizer: Callable[[str], list[str]] | None = None,
           max_len: int | None = None) -> list[list[int]]:
    """Token indices of each text (tokenized with ``tokenizer``, default basic_english).

    ``max_len`` keeps the first ``max_len`` tokens of long texts.

    >>> v = build_vocab_from_iterator([["good", "flight"]], specials=["<unk>"])
    >>> v.set_default_index(0)
    >>> encode(["Good flight!", "bad"], v)
    [[2, 1, 0], [0]]
    """
    tokenizer = tokenizer or get_tokenizer("basic_english")
    out = []
    for text in texts:
        ids = vocab(tokenizer(text))
        out.append(ids[:max_len] if max_len is not None else ids)
    return out


def _as_long(sequence) -> torch.Tensor:
    if isinstance(sequence, torch.Tensor):
        return sequence.long().reshape(-1)
    return torch.as_tensor(list(sequence), dtype=torch.long)


def pad_collate(batch: Sequence[tuple], pad_index: int = 0, sort: bool = False,
                max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Collate ``(token_ids, label)`` pairs into ``(padded, lengths, labels)``.

    ``padded`` is a batch-first ``LongTensor`` (B×T, T = longest sequence) filled with
    ``pad_index``; ``lengths`` (B, int64, on the CPU) are the true lengths, at least 1 so that
    an empty text still makes a valid packed sequence; ``labels`` is a LongTensor (B,).
    ``sort=True`` orders the batch by decreasing length (for ``enforce_sorted=True``);
    ``max_len`` truncates long sequences. Pass ``lengths`` to
    ``nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True)``.

    >>> x, lengths, y = pad_collate([([5, 6, 7], 1), ([8], 0)], pad_index=0)
    >>> x.tolist(), lengths.tolist(), y.tolist()
    ([[5, 6, 7], [8, 0, 0]], [3, 1], [1, 0])
    """
    if len(batch) == 0:
        raise ValueError("pad_collate got an empty batch.")
    if not all(isinstance(item, (tuple, list)) and len(item) == 2 for item in batch):
        raise ValueError("pad_collate expects items (token_ids, label); got "
                         f"{type(batch[0]).__name__} of length {len(batch[0])}.")
    sequences = [_as_long(ids) for ids, _label in batch]
    if max_len is not None:
        sequences = [seq[:max_len] for seq in sequences]
    labels = torch.as_tensor([int(label) for _ids, label in batch], dtype=torch.long)
    lengths = torch.tensor([max(len(seq), 1) for seq in sequences], dtype=torch.long)
    if sort:
        order = torch.argsort(lengths, descending=True, stable=True)
        sequences = [sequences[i] for i in order.tolist()]
        lengths, labels = lengths[order], labels[order]
    padded = torch.full((len(sequences), int(lengths.max())), pad_index, dtype=torch.long)
    for row, seq in enumerate(sequences):
        padded[row, :len(seq)] = seq
    return padded, lengths, labels


def make_pad_collate(pad_index: int, sort: bool = False, max_len: int | None = None
                     ) -> Callable[[Sequence[tuple]], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """A ``collate_fn`` for ``DataLoader`` that calls :func:`pad_collate` with these settings.

    >>> collate = make_pad_collate(pad_index=1)
    >>> collate([([4], 0), ([4, 5], 2)])[0].tolist()
    [[4, 1], [4, 5]]
    """
    def collate(batch: Sequence[tuple]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return pad_collate(batch, pad_index=pad_index, sort=sort, max_len=max_len)

    return collate


# --------------------------------------------------------------------------------------------
# Word vectors
# --------------------------------------------------------------------------------------------


def load_word_vectors(path: str | Path, max_vectors: int | None = None,
                      encoding: str = "utf-8") -> tuple[Vocab, torch.Tensor]:
    """Read a GloVe-format text file (``word v1 v2 ... vD`` per line) into ``(vocab, vectors)``.

    ``vectors[vocab[word]]`` is the vector of ``word`` (a float32 tensor N×D). A word2vec text
    header line (``N D``) is skipped; a word seen twice keeps its first vector; ``max_vectors``
    reads only the first lines (files are sorted by frequency). Words may contain spaces: the
    last D fields are the numbers. A line of the wrong length raises ``ValueError`` naming it.

    >>> # vocab, vectors = load_word_vectors(cl.data_dir() / "glove.6B.50d.txt", max_vectors=50_000)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No word-vector file at {path}. GloVe files come from "
                                "https://nlp.stanford.edu/projects/glove/ (one 'word v1 ... vD' per line).")
    words: list[str] = []
    seen: set[str] = set()
    rows: list[list[float]] = []
    dim: int | None = None
    with path.open(encoding=encoding, errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            line = line.rstrip("\n").rstrip("\r").rstrip(" ")
            if not line:
                continue
            fields = line.split(" ")
            if line_no == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
                continue  # word2vec header "count dim"
            if dim is None:
                dim = len(fields) - 1
                if dim < 1:
                    raise ValueError(f"{path}:{line_no}: expected 'word v1 ... vD', got {line[:60]!r}")
            if len(fields) < dim + 1:
                raise ValueError(f"{path}:{line_no}: expected {dim} numbers after the word, "
                                 f"got {len(fields) - 1}.")
            word = " ".join(fields[:len(fields) - dim])
            try:
                values = [float(v) for v in fields[len(fields) - dim:]]
            except ValueError as err:
                raise ValueError(f"{path}:{line_no}: could not read the numbers ({err}).") from None
            if word in seen:
                continue
            seen.add(word)
            words.append(word)
            rows.append(values)
            if max_vectors is not None and len(words) >= max_vectors:
                break
    if not words:
        raise ValueError(f"{path} holds no word vectors.")
    return Vocab(words), torch.tensor(rows, dtype=torch.float32)


def vectors_for_vocab(vocab: Vocab, vectors_vocab: Vocab, vectors: torch.Tensor,
                      lower_case_backup: bool = True) -> tuple[torch.Tensor, int]:
    """An embedding matrix for ``vocab`` from pretrained ``(vectors_vocab, vectors)``.

    Row ``i`` is the pretrained vector of ``vocab``'s token ``i`` (or of its lower-case form
    when ``lower_case_backup``), zeros when there is none — torchtext's default. Returns the
    matrix and how many tokens were found; use it with ``nn.Embedding.from_pretrained``.

    >>> mine = Vocab(["<pad>", "Good"])
    >>> pre, vecs = Vocab(["good"]), torch.tensor([[1.0, 2.0]])
    >>> matrix, found = vectors_for_vocab(mine, pre, vecs)
    >>> matrix.tolist(), found
    ([[0.0, 0.0], [1.0, 2.0]], 1)
    """
    matrix = torch.zeros(len(vocab), vectors.shape[1], dtype=vectors.dtype)
    found = 0
    for index, token in enumerate(vocab.get_itos()):
        for candidate in (token, token.lower()) if lower_case_backup else (token,):
            if candidate in vectors_vocab:
                matrix[index] = vectors[vectors_vocab[candidate]]
                found += 1
                break
    return matrix, found


# --------------------------------------------------------------------------------------------
# The tweet-sentiment pipeline and RNN classifier of notebook 11 (reused by notebook 12)
# --------------------------------------------------------------------------------------------

TWEET_SPECIALS = ("<pad>", "<unk>")


@dataclass
class EncodedTweets:
    """Notebook 11's tweet pipeline output: encoded splits, the vocabulary and the tokenizer.

    ``train``/``val``/``test`` are lists of ``(token_ids, label)`` ready for :func:`pad_collate`;
    ``texts`` holds the raw ``(text, label)`` splits of :func:`course_lib.data.load_tweets`.
    """

    train: list[tuple[list[int], int]]
    val: list[tuple[list[int], int]]
    test: list[tuple[list[int], int]]
    vocab: Vocab
    tokenizer: Callable[[str], list[str]]
    classes: list[str]
    texts: Any
    #: The ``(tokens, label)`` splits before indexing (token strings, for TF-IDF baselines).
    tokens: Any = None

    @property
    def pad_index(self) -> int:
        return self.vocab["<pad>"]

    @property
    def fingerprint(self) -> str:
        """A short hash of the split (loader version, seed, every text and label) and the vocabulary.

        Save it with a trained model; reuse the model only where the fingerprint matches, so a model
        trained on another split or vocabulary is never evaluated on this test set by mistake.
        """
        digest = hashlib.sha256(str(getattr(self.texts, "stats", {}).get("fingerprint", "")).encode())
        digest.update("\n".join(self.vocab.get_itos()).encode())
        return digest.hexdigest()[:16]


def encode_tweets(seed: int = 0, min_freq: int = 2) -> EncodedTweets:
    """The tweets of :func:`course_lib.data.load_tweets`, cleaned, tokenized and encoded.

    Steps (notebook 11 does them one by one): :func:`clean_tweet`, basic_english tokens, a
    vocabulary of the *training* tweets' tokens seen at least ``min_freq`` times with
    ``<pad>`` = 0 and ``<unk>`` = 1 (the default index), then token indices for every split.
    """
    from .data import load_tweets

    splits = load_tweets(seed=seed)
    tokenizer = get_tokenizer("basic_english")
    tokenized = [[(tokenizer(clean_tweet(text)), label) for text, label in part] for part in splits]
    vocabulary = build_vocab_from_iterator((tokens for tokens, _ in tokenized[0]), min_freq=min_freq,
                                           specials=list(TWEET_SPECIALS))
    vocabulary.set_default_index(vocabulary["<unk>"])
    train, val, test = ([(vocabulary(tokens), label) for tokens, label in part] for part in tokenized)
    return EncodedTweets(train, val, test, vocabulary, tokenizer, list(splits.classes), splits, tokenized)


@dataclass
class TfidfBaseline:
    """A fitted TF-IDF + logistic-regression classifier (see :func:`tfidf_logreg`)."""

    vectorizer: Any
    model: Any
    C: float
    val_accuracy: dict[float, float]

    def predict(self, token_lists: Iterable[Sequence[str]]) -> Any:
        """Predicted class of each token list (a NumPy array)."""
        return self.model.predict(self.vectorizer.transform(list(token_lists)))


def tfidf_logreg(train: Sequence[tuple[Sequence[str], int]], val: Sequence[tuple[Sequence[str], int]],
                 Cs: Sequence[float] = (0.5, 1.0, 2.0, 4.0), min_df: int = 2,
                 seed: int = 0) -> TfidfBaseline:
    """The baseline of notebooks 11 and 12: TF-IDF features + logistic regression.

    ``train``/``val`` are lists of ``(tokens, label)``. Words in at least ``min_df`` training
    texts become features, weighted by sublinear term frequency × inverse document frequency
    (the vectorizer is fit on the training texts only). The inverse regularisation strength
    ``C`` is chosen from ``Cs`` by **validation** accuracy; the test set plays no part.
    The ``saga`` solver (stochastic, suited to large sparse inputs) is seeded.

    >>> base = tfidf_logreg([(["good"], 1), (["bad"], 0)] * 5, [(["good"], 1), (["bad"], 0)], Cs=(1.0,))
    >>> base.predict([["good", "good"], ["bad"]]).tolist(), base.C
    ([1, 0], 1.0)
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=list, min_df=min_df, sublinear_tf=True)
    x_train = vectorizer.fit_transform([tokens for tokens, _ in train])
    x_val = vectorizer.transform([tokens for tokens, _ in val])
    y_train = [label for _, label in train]
    y_val = torch.as_tensor([label for _, label in val])
    best: tuple[float, float, Any] | None = None
    scores: dict[float, float] = {}
    for C in Cs:
        model = LogisticRegression(C=C, solver="saga", max_iter=1000, random_state=seed).fit(x_train, y_train)
        scores[C] = float((torch.as_tensor(model.predict(x_val)) == y_val).float().mean())
        if best is None or scores[C] > best[0]:
            best = (scores[C], C, model)
    assert best is not None, "Cs must hold at least one value"
    return TfidfBaseline(vectorizer, best[2], best[1], scores)


class RNNClassifier(nn.Module):
    """Embedding → GRU or LSTM over a packed batch → dropout → linear layer (notebook 11).

    Call it as ``model(tokens, lengths)`` with :func:`pad_collate`'s padded batch-first
    ``tokens`` (B×T) and true ``lengths`` (B). The final hidden state of each direction is the
    summary of the text; with packing the RNN stops at each sequence's true end, so padding
    never reaches it.

    >>> model = RNNClassifier(vocab_size=50, num_classes=3)
    >>> model(torch.tensor([[5, 6, 7], [8, 0, 0]]), torch.tensor([3, 1])).shape
    torch.Size([2, 3])
    """

    def __init__(self, vocab_size: int, num_classes: int, embed_dim: int = 64, hidden_dim: int = 32,
                 cell: str = "gru", bidirectional: bool = True, num_layers: int = 1,
                 dropout: float = 0.3, pad_index: int = 0) -> None:
        super().__init__()
        rnn_types = {"gru": nn.GRU, "lstm": nn.LSTM}
        if cell not in rnn_types:
            raise ValueError(f"cell must be 'gru' or 'lstm', got {cell!r}.")
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        self.rnn = rnn_types[cell](embed_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                                   bidirectional=bidirectional,
                                   dropout=dropout if num_layers > 1 else 0.0)
        self.directions = 2 if bidirectional else 1
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_dim * self.directions, num_classes)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        embedded = self.dropout(self.embedding(tokens))                      # B×T×E
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, hidden = self.rnn(packed)                                        # (layers·dirs)×B×H
        if isinstance(hidden, tuple):                                       # LSTM: (h, c)
            hidden = hidden[0]
        last_layer = hidden[-self.directions:]                              # dirs×B×H
        summary = torch.cat(list(last_layer), dim=1)                        # B×(dirs·H)
        return self.head(self.dropout(summary))


class PositionalEncoding(nn.Module):
    """Add fixed sinusoidal position signals to a batch-first ``B×T×D`` input (notebook 12).

    Dimension ``2i`` carries ``sin(pos / 10000^(2i/D))`` and ``2i+1`` the cosine, so each
    position gets a unique pattern and relative offsets are linear maps of it. The table is a
    non-persistent buffer: it moves with ``.to(device)`` and is neither trained nor saved.

    >>> PositionalEncoding(8)(torch.zeros(2, 5, 8)).shape
    torch.Size([2, 5, 8])
    """

    def __init__(self, dim: int, max_len: int = 512) -> None:
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        frequency = torch.exp(-math.log(10000.0) * torch.arange(0, dim, 2) / dim)
        pe = torch.zeros(max_len, dim)
        pe[:, 0::2] = torch.sin(position * frequency)
        pe[:, 1::2] = torch.cos(position * frequency)
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pe[: x.shape[1]]


class BucketBatchSampler(torch.utils.data.Sampler):
    """Shuffled batches of items with similar lengths, so each batch needs little padding.

    The indices are shuffled, cut into pools of ``chunk_batches`` batches, each pool is sorted by
    length and cut into batches, and the batches are yielded in a random order (notebook 12;
    notebook 13 reuses it). Pass it as ``DataLoader(..., batch_sampler=...)``.

    >>> s = BucketBatchSampler([5, 1, 4, 2], batch_size=2, generator=torch.Generator().manual_seed(0))
    >>> sorted(sorted(b) for b in s)
    [[0, 2], [1, 3]]
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, generator: torch.Generator | None = None,
                 chunk_batches: int = 50) -> None:
        self.lengths = torch.as_tensor(lengths)
        self.batch_size, self.generator, self.chunk = batch_size, generator, chunk_batches

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator)
        batches = []
        for chunk in order.split(self.batch_size * self.chunk):
            chunk = chunk[torch.argsort(self.lengths[chunk], stable=True)]
            batches.extend(chunk.split(self.batch_size))
        for i in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[i].tolist()
