"""Leaks between splits: which items of a later split an earlier split already holds.

A test item that also sits in the training data — exactly, or after the normalisation the model sees
(lowercasing, tokenizing, cleaning) — is scored on something the model was trained on. Every notebook
that splits data checks its splits with :func:`split_overlap` under the normalisation that matters for
its data, and asserts that nothing is shared.

>>> report = split_overlap({"train": ["Open", "Save"], "test": ["open", "Close"]}, key=str.lower)
>>> report.total, report.shared[("train", "test")]
(1, ['open'])
>>> print(report)
split overlap (items of the later split whose key the earlier one holds):
  train -> test: 1 of 2 (50.0%), e.g. 'open'
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class LeakError(AssertionError):
    """Two splits share items: a model would be scored on what it was trained on."""


@dataclass
class Overlap:
    """What :func:`split_overlap` found: per ordered pair of splits, the shared keys."""

    sizes: dict[str, int]
    #: ``(earlier split, later split)`` -> keys of later-split items that the earlier split holds
    shared: dict[tuple[str, str], list[Hashable]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Items shared over all pairs (0 when the splits are clean)."""
        return sum(len(keys) for keys in self.shared.values())

    def __str__(self) -> str:
        lines = ["split overlap (items of the later split whose key the earlier one holds):"]
        for (a, b), keys in self.shared.items():
            share = len(keys) / self.sizes[b] if self.sizes[b] else 0.0
            example = f", e.g. {keys[0]!r}" if keys else ""
            lines.append(f"  {a} -> {b}: {len(keys)} of {self.sizes[b]} ({share:.1%}){example}")
        return "\n".join(lines)

    def check(self) -> None:
        """Raise :class:`LeakError`, with examples, unless no item is shared."""
        if self.total:
            raise LeakError(f"{self.total} item(s) shared between splits — a leak:\n{self}")


def split_overlap(splits: Mapping[str, Iterable[Any]], key: Callable[[Any], Hashable] | None = None
                  ) -> Overlap:
    """For each pair of splits (in the order given: train, val, test), the items of the later one
    whose ``key`` an earlier one holds. ``key`` is the normalisation under which two items count as
    the same (default: the item itself, which must be hashable): ``str.lower``, a tokenizer's output as a
    tuple, an image's bytes, an undirected edge as a ``frozenset``.

    >>> split_overlap({"train": [(1, 2)], "test": [(2, 1)]}, key=frozenset).total  # one undirected edge
    1
    """
    key = key or (lambda item: item)
    keyed = {name: [key(item) for item in items] for name, items in splits.items()}
    names = list(keyed)
    report = Overlap(sizes={name: len(keys) for name, keys in keyed.items()})
    for i, earlier in enumerate(names):
        seen = set(keyed[earlier])
        for later in names[i + 1:]:
            report.shared[(earlier, later)] = [k for k in keyed[later] if k in seen]
    return report


def pixels(item: Any) -> bytes:
    """The key of an image, or of a ``(image, label)`` item: its exact values, as bytes. Two images with
    the same pixels are the same example, whatever their labels say."""
    image = item[0] if isinstance(item, tuple) else item
    array = image.detach().cpu().numpy() if hasattr(image, "detach") else image
    return array.tobytes()


def dataset_overlap(splits: Any, key: Callable[[Any], Hashable] = pixels) -> Overlap:
    """:func:`split_overlap` of a :class:`course_lib.data.Splits` (train, val, test), item by item —
    by default by their pixels, the check every notebook that splits images runs right after loading.

    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> from types import SimpleNamespace
    >>> x = torch.arange(12.0).reshape(6, 2)
    >>> y = torch.zeros(6)
    >>> parts = SimpleNamespace(train=TensorDataset(x[:4], y[:4]), val=TensorDataset(x[4:5], y[4:5]),
    ...                         test=TensorDataset(x[[5, 0]], y[:2]))   # x[0] is in train and in test
    >>> dataset_overlap(parts).shared[("train", "test")] == [pixels(x[0])]
    True
    """
    return split_overlap({name: list(getattr(splits, name)) for name in ("train", "val", "test")}, key=key)


__all__ = ["LeakError", "Overlap", "dataset_overlap", "pixels", "split_overlap"]
