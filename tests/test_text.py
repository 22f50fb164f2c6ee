"""course_lib.text: torchtext-compatible tokenizer and vocabulary, tweet cleaning, collate, vectors.

The same behaviour is checked against the real torchtext in tests/test_torchtext_parity.py.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from course_lib.text import (
    KEPT_STOP_WORDS,
    STOP_WORDS,
    Vocab,
    build_vocab_from_iterator,
    clean_tweet,
    encode,
    get_tokenizer,
    load_word_vectors,
    make_pad_collate,
    pad_collate,
    remove_stop_words,
    vectors_for_vocab,
    vocab,
)

ROOT = Path(__file__).resolve().parent.parent

# torchtext's basic_english rules, literally (pattern, replacement), applied in order.
RULES = [(r"\'", " '  "), (r"\"", ""), (r"\.", " . "), (r"<br \/>", " "), (r",", " , "),
         (r"\(", " ( "), (r"\)", " ) "), (r"\!", " ! "), (r"\?", " ? "), (r"\;", " "), (r"\:", " "),
         (r"\s+", " ")]


def reference_basic_english(line: str) -> list[str]:
    line = line.lower()
    for pattern, replacement in RULES:
        line = re.sub(pattern, replacement, line)
    return line.split()


TRICKY = [
    "You can now install TorchText using pip!",
    "Don't panic: it's (only) a test...",
    'She said "hello"; he said "bye".',
    "line one<br />line two<br/>three",
    'odd <br "/> made by a quote, and <br;/> by a semicolon',
    "3.14, 2,000 and $5.00?!",
    "@united thanks!!! #great :) :( ;-)",
    "tabs\tand\nnewlines\r\n  and\u00a0nbsp\u2003em-space",
    "ÜBER Café NAÏVE İstanbul ß",
    "",
    "   ",
    "''\"\"..,,(())!!??;;::",
    "http://t.co/AbC?x=1&y=2",
    "emoji 😀 and debris \ufffd_\ufffd",
]


@pytest.mark.parametrize("text", TRICKY)
def test_basic_english_matches_torchtext_rules(text):
    assert get_tokenizer("basic_english")(text) == reference_basic_english(text)


def test_basic_english_on_random_strings():
    rng = random.Random(0)
    alphabet = list("abcXYZ '\".,()!?;:<>br/ \t\n\u00a0é😀") + ["<br />", "<br", "/>"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert get_tokenizer("basic_english")(text) == reference_basic_english(text), text


def test_basic_english_examples():
    tok = get_tokenizer("basic_english")
    assert tok("Don't panic!") == ["don", "'", "t", "panic", "!"]
    assert tok('a "quoted" word; b: c') == ["a", "quoted", "word", "b", "c"]
    assert tok("x<br />y") == ["x", "y"]


def test_get_tokenizer_none_callable_and_errors():
    assert get_tokenizer(None)("Keep  CASE, please") == ["Keep", "CASE,", "please"]
    fn = str.split
    assert get_tokenizer(fn) is fn
    with pytest.raises(ValueError, match="only available for Enlish"):
        get_tokenizer("basic_english", language="fr")
    with pytest.raises(ValueError, match="basic_english"):
        get_tokenizer("spacy")


CORPUS = [["b", "a", "c", "b"], ["a", "d", "e"], ["b", "<unk>"], ["c"]]


def test_vocab_order_frequency_then_alphabetical():
    v = build_vocab_from_iterator(iter(CORPUS))
    # b:3, a:2, c:2, then the singletons alphabetically ('<unk>' sorts before letters)
    assert v.get_itos() == ["b", "a", "c", "<unk>", "d", "e"]
    assert v.get_stoi() == {t: i for i, t in enumerate(v.get_itos())}


def test_vocab_specials_first_and_last():
    first = build_vocab_from_iterator(CORPUS, specials=["<unk>", "<pad>"])
    assert first.get_itos() == ["<unk>", "<pad>", "b", "a", "c", "d", "e"]   # '<unk>' counted once only
    last = build_vocab_from_iterator(CORPUS, specials=["<unk>", "<pad>"], special_first=False)
    assert last.get_itos() == ["b", "a", "c", "d", "e", "<unk>", "<pad>"]


def test_vocab_min_freq_and_max_tokens():
    assert build_vocab_from_iterator(CORPUS, min_freq=2).get_itos() == ["b", "a", "c"]
    assert build_vocab_from_iterator(CORPUS, min_freq=2, specials=["<pad>"]).get_itos() == \
        ["<pad>", "b", "a", "c"]
    # max_tokens counts the specials: 4 - 1 = 3 most frequent tokens
    assert build_vocab_from_iterator(CORPUS, max_tokens=4, specials=["<pad>"]).get_itos() == \
        ["<pad>", "b", "a", "c"]
    # the cut happens before specials are removed from the counts, as in torchtext
    assert build_vocab_from_iterator(CORPUS, max_tokens=5, specials=["<unk>"]).get_itos() == \
        ["<unk>", "b", "a", "c"]
    with pytest.raises(AssertionError, match="entirely special tokens"):
        build_vocab_from_iterator(CORPUS, max_tokens=2, specials=["<unk>", "<pad>"])


def test_vocab_default_index_and_unknown_error():
    v = build_vocab_from_iterator(CORPUS, specials=["<unk>"])
    assert v.get_default_index() is None
    with pytest.raises(RuntimeError, match="Token zzz not found and default index is not set"):
        v["zzz"]
    with pytest.raises(RuntimeError, match="not found"):
        v(["b", "zzz"])
    v.set_default_index(v["<unk>"])
    assert v.get_default_index() == 0
    assert v["zzz"] == 0 and v(["b", "zzz"]) == [1, 0] and v.lookup_indices(["a"]) == [2]
    v.set_default_index(None)
    with pytest.raises(RuntimeError):
        v["zzz"]


def test_vocab_lookup_len_contains_and_edits():
    v = Vocab(["<pad>", "hello", "world"])
    assert len(v) == 3 and "hello" in v and "nope" not in v
    assert v.lookup_token(2) == "world" and v.lookup_tokens([2, 0]) == ["world", "<pad>"]
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.lookup_token(3)
    v.insert_token("<unk>", 0)
    assert v.get_itos() == ["<unk>", "<pad>", "hello", "world"] and v["world"] == 3
    v.append_token("new")
    assert v["new"] == 4
    with pytest.raises(RuntimeError, match="already exists"):
        v.append_token("hello")
    with pytest.raises(RuntimeError, match="already exists"):
        v.insert_token("hello", 1)
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.insert_token("x", 99)
    with pytest.raises(RuntimeError, match="Duplicate token"):
        Vocab(["a", "a"])
    with pytest.raises(RuntimeError, match="Duplicate token"):
        build_vocab_from_iterator([["a"]], specials=["<s>", "<s>"])


def test_vocab_factory_keeps_order():
    from collections import OrderedDict

    v = vocab(OrderedDict([("z", 1), ("y", 5), ("x", 3)]), min_freq=2, specials=["<unk>"])
    assert v.get_itos() == ["<unk>", "y", "x"]


def test_encode_uses_vocab_and_tokenizer():
    v = build_vocab_from_iterator([["good", "flight", "good"]], specials=["<unk>"])
    v.set_default_index(v["<unk>"])
    assert encode(["Good flight!", "bad"], v) == [[1, 2, 0], [0]]
    assert encode(["good good good"], v, max_len=2) == [[1, 1]]


# ---------------------------------------------------------------------------------------------
# clean_tweet, stop words
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("@united thanks for nothing http://t.co/abc123", "thanks for nothing"),
    ("RT @user: so #happy today!", "so happy today!"),
    ("Love it &amp; hate it &lt;3 &amp;amp;", "Love it & hate it <3 &"),
    ("I donâ€™t like the cafÃ© at LAX", "I don't like the café at LAX"),
    ("\u201cSmart\u201d quotes \u2018here\u2019", '"Smart" quotes \'here\''),
    ("Googleբ_��_��s cars", "Google s cars"),
    ("cars_\ufffd_.no thank you", "cars .no thank you"),
    ("bye \ufffd\ufffd\ufffd", "bye"),
    ("private \ue30d use and \U000fb30d more", "private use and more"),
    ("keep café, naïve and my_name", "keep café, naïve and my_name"),
    ("  lots \n of\t space  ", "lots of space"),
    ("email me at a@b.com", "email me at a@b.com"),
    ("see www.example.com now", "see now"),
    ("ctrl\x07char", "ctrl char"),
])
def test_clean_tweet(raw, expected):
    assert clean_tweet(raw) == expected


def test_clean_tweet_tokens_for_urls_and_mentions():
    assert clean_tweet("@jetblue see http://x.co/1", url_token="<url>", mention_token="@user") == \
        "@user see <url>"


def test_stop_words_keep_negations():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert isinstance(STOP_WORDS, frozenset)
    assert STOP_WORDS == frozenset(ENGLISH_STOP_WORDS) - KEPT_STOP_WORDS
    assert KEPT_STOP_WORDS <= frozenset(ENGLISH_STOP_WORDS)
    for word in ("not", "no", "nor", "never", "nothing", "without"):
        assert word not in STOP_WORDS
    assert {"the", "a", "was", "on"} <= STOP_WORDS
    assert remove_stop_words(["The", "flight", "was", "not", "on", "time"]) == ["flight", "not", "time"]
    assert remove_stop_words(["a", "b"], stop_words=["b"]) == ["a"]


# ---------------------------------------------------------------------------------------------
# Collate
# ---------------------------------------------------------------------------------------------

def test_pad_collate_shapes_and_lengths():
    batch = [([5, 6], 1), (torch.tensor([7, 8, 9, 10]), 2), ([], 0)]
    x, lengths, y = pad_collate(batch, pad_index=1)
    assert x.dtype == torch.long and lengths.dtype == torch.long and y.dtype == torch.long
    assert x.tolist() == [[5, 6, 1, 1], [7, 8, 9, 10], [1, 1, 1, 1]]
    assert lengths.tolist() == [2, 4, 1]          # an empty text counts as one padding step
    assert y.tolist() == [1, 2, 0]


def test_pad_collate_sorted_and_truncated():
    batch = [([5, 6], 1), ([7, 8, 9, 10], 2), ([3], 0)]
    x, lengths, y = make_pad_collate(0, sort=True)(batch)
    assert lengths.tolist() == [4, 2, 1] and y.tolist() == [2, 1, 0] and x[0].tolist() == [7, 8, 9, 10]
    x, lengths, _ = make_pad_collate(0, max_len=3)(batch)
    assert x.shape == (3, 3) and lengths.tolist() == [2, 3, 1]
    packed = pack_padded_sequence(torch.randn(3, 3, 2), lengths, batch_first=True, enforce_sorted=False)
    assert packed.data.shape == (6, 2)


def test_pad_collate_errors():
    with pytest.raises(ValueError, match="empty batch"):
        pad_collate([])
    with pytest.raises(ValueError, match=r"\(token_ids, label\)"):
        pad_collate([[1, 2, 3]])


def test_collate_in_a_dataloader():
    from torch.utils.data import DataLoader

    data = [([1, 2, 3], 0), ([4], 1), ([5, 6], 2)]
    x, lengths, y = next(iter(DataLoader(data, batch_size=3, collate_fn=make_pad_collate(0))))
    assert x.shape == (3, 3) and lengths.tolist() == [3, 1, 2] and y.tolist() == [0, 1, 2]


# ---------------------------------------------------------------------------------------------
# Word vectors
# ---------------------------------------------------------------------------------------------

def test_load_word_vectors_glove_file(tmp_path):
    path = tmp_path / "tiny.glove.txt"
    path.write_text("the 0.1 0.2 0.3\ngood 1 0 -1\nthe 9 9 9\nnew york 0.5 0.5 0.5\n", encoding="utf-8")
    v, vectors = load_word_vectors(path)
    assert v.get_itos() == ["the", "good", "new york"]       # duplicates keep the first vector
    assert vectors.dtype == torch.float32 and vectors.shape == (3, 3)
    assert torch.allclose(vectors[v["good"]], torch.tensor([1.0, 0.0, -1.0]))
    v2, vectors2 = load_word_vectors(path, max_vectors=2)
    assert len(v2) == 2 and vectors2.shape == (2, 3)


def test_load_word_vectors_word2vec_header_and_errors(tmp_path):
    path = tmp_path / "w2v.txt"
    path.write_text("2 2\nfoo 1 2\nbar 3 4\n", encoding="utf-8")
    v, vectors = load_word_vectors(path)
    assert v.get_itos() == ["foo", "bar"] and vectors.tolist() == [[1, 2], [3, 4]]
    bad = tmp_path / "bad.txt"
    bad.write_text("foo 1 2\nbar 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:2"):
        load_word_vectors(bad)
    with pytest.raises(FileNotFoundError, match="GloVe"):
        load_word_vectors(tmp_path / "missing.txt")


def test_vectors_for_vocab(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("good 1 1\nbad -1 -1\n", encoding="utf-8")
    pre_vocab, pre = load_word_vectors(path)
    mine = build_vocab_from_iterator([["Good", "flight"]], specials=["<pad>"])
    matrix, found = vectors_for_vocab(mine, pre_vocab, pre)
    assert found == 1 and matrix.shape == (3, 2)
    assert matrix[mine["Good"]].tolist() == [1, 1] and matrix[mine["flight"]].tolist() == [0, 0]
    _, found_strict = vectors_for_vocab(mine, pre_vocab, pre, lower_case_backup=False)
    assert found_strict == 0
    emb = torch.nn.Embedding.from_pretrained(matrix, freeze=False, padding_idx=0)
    assert emb(torch.tensor([mine["Good"]])).tolist() == [[1.0, 1.0]]


# ---------------------------------------------------------------------------------------------
# The legacy lane installs, and every extra of pyproject.toml can be installed
# ---------------------------------------------------------------------------------------------

def test_every_extra_installs_with_the_base_dependencies():
    """An extra that pins a base dependency outside the base's range can never be installed (the old
    ``legacy-torchtext`` extra pinned torch==2.3.1 against ``torch>=2.4.1``): pip refuses the pair."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = {canonicalize_name(r.name): r.specifier for r in map(Requirement, project["dependencies"])}
    clashes = []
    for extra, requirements in project.get("optional-dependencies", {}).items():
        for req in map(Requirement, requirements):
            floor = base.get(canonicalize_name(req.name))
            pinned = [s.version for s in req.specifier if s.operator == "=="]
            if floor is not None and any(not floor.contains(v, prereleases=True) for v in pinned):
                clashes.append(f"[{extra}] {req} against the base {req.name}{floor}")
    assert clashes == []


def test_legacy_torchtext_lane_pins_its_own_torch():
    """The lane's pins live in its script, which installs course_lib without its dependencies."""
    script = (ROOT / "scripts" / "test_torchtext.sh").read_text(encoding="utf-8")
    pins = re.search(r"^PINS=\((.*)\)$", script, re.M)
    assert pins, "scripts/test_torchtext.sh must define PINS=(...)"
    assert {"torch==2.3.1", "torchtext==0.18.0"} <= set(re.findall(r'"([^"]+)"', pins.group(1)))
    assert re.search(r"install .*--no-deps -e \.", script)


# ---------------------------------------------------------------------------------------------
# Notebook 11's classifier
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, bidirectional, layers", [("gru", True, 1), ("lstm", False, 2)])
def test_rnn_classifier_shapes_and_padding_is_ignored(cell, bidirectional, layers):
    from course_lib.text import RNNClassifier

    torch.manual_seed(0)
    model = RNNClassifier(20, num_classes=3, embed_dim=8, hidden_dim=6, cell=cell,
                          bidirectional=bidirectional, num_layers=layers, pad_index=0).eval()
    tokens, lengths, _ = pad_collate([([5, 6, 7], 0), ([8, 9], 1)], pad_index=0)
    out = model(tokens, lengths)
    assert out.shape == (2, 3)
    # extra padding columns change nothing: packing stops each sequence at its true length
    wider = torch.cat([tokens, torch.zeros(2, 4, dtype=torch.long)], dim=1)
    assert torch.allclose(model(wider, lengths), out, atol=1e-6)
    alone = model(torch.tensor([[8, 9]]), torch.tensor([2]))
    assert torch.allclose(alone, out[1:], atol=1e-6)


def test_rnn_classifier_rejects_unknown_cell():
    from course_lib.text import RNNClassifier

    with pytest.raises(ValueError, match="gru' or 'lstm"):
        RNNClassifier(10, 2, cell="rnn")


# ---------------------------------------------------------------------------------------------
# Near-duplicate keys, the TF-IDF baseline, the data fingerprint
# ---------------------------------------------------------------------------------------------

def test_near_duplicate_key_merges_copies_only():
    from course_lib.text import near_duplicate_key

    same = ["RT @JetBlue: Our fleet's on fleek. http://t.co/NfjAuW16vZ",
            "@JetBlue: Our fleet's on fleek! http://t.co/vw2v8GVnGq",
            "our FLEET'S on fleek ... \ufffd_\ufffd", "( RT our fleet's on fleek"]
    assert len({near_duplicate_key(t) for t in same}) == 1
    assert near_duplicate_key(same[0]) == ("our", "fleet", "s", "on", "fleek")
    # different words, or the same words in another order, stay apart
    assert near_duplicate_key("not good, bad") != near_duplicate_key("not bad, good")
    assert near_duplicate_key("great flight") != near_duplicate_key("great flights")
    assert near_duplicate_key("") == () == near_duplicate_key("@united http://t.co/x !!!")


def test_tfidf_logreg_chooses_c_on_validation():
    from course_lib.text import tfidf_logreg

    train = [(["good", "flight"], 1), (["great", "crew"], 1), (["bad", "delay"], 0),
             (["awful", "delay"], 0), (["good", "crew"], 1), (["bad", "crew"], 0)] * 3
    val = [(["good"], 1), (["delay"], 0), (["awful"], 0)]
    base = tfidf_logreg(train, val, Cs=(0.01, 10.0))
    assert set(base.val_accuracy) == {0.01, 10.0}
    assert base.val_accuracy[base.C] == max(base.val_accuracy.values())
    assert base.predict([["great", "good"], ["awful", "bad"], ["unseen"]]).tolist()[:2] == [1, 0]
    again = tfidf_logreg(train, val, Cs=(0.01, 10.0))
    assert (again.model.coef_ == base.model.coef_).all()             # seeded: same model twice


def test_encoded_tweets_fingerprint_tracks_split_and_vocab():
    from types import SimpleNamespace

    from course_lib.text import EncodedTweets

    def encoded(split_hash, itos):
        return EncodedTweets([], [], [], Vocab(itos), get_tokenizer("basic_english"), ["a", "b"],
                             SimpleNamespace(stats={"fingerprint": split_hash}))

    base = encoded("abc", ["<pad>", "<unk>", "good"])
    assert base.fingerprint == encoded("abc", ["<pad>", "<unk>", "good"]).fingerprint
    assert len(base.fingerprint) == 16
    assert base.fingerprint != encoded("abd", ["<pad>", "<unk>", "good"]).fingerprint
    assert base.fingerprint != encoded("abc", ["<pad>", "<unk>", "bad"]).fingerprint


def test_encode_tweets_vocabulary_comes_from_train_only():
    """A vocabulary built from all splits would know words that only val/test tweets use."""
    from collections import Counter

    from course_lib.text import encode_tweets

    data = encode_tweets(seed=0, min_freq=2)
    train_counts = Counter(t for tokens, _ in data.tokens[0] for t in tokens)
    known = set(data.vocab.get_itos()) - {"<pad>", "<unk>"}
    assert known == {t for t, n in train_counts.items() if n >= 2}
    held_out_only = {t for part in data.tokens[1:] for tokens, _ in part for t in tokens} - set(train_counts)
    assert held_out_only and not (held_out_only & known)
    assert any(1 in ids for ids, _ in data.test)  # such words are <unk> in the encoded test tweets
