"""Configuration read from the environment.

Three switches shape how the course runs:

* ``COURSE_FAST=1`` — fast mode: fewer epochs and less data, used by ``make test`` and CI.
* ``COURSE_DATA_DIR`` — where downloads and caches live (default: ``data/`` in the repository).
* ``COURSE_OFFLINE=1`` — never touch the network; downloads raise :class:`OfflineError` at once.

>>> pick(full=20, fast=2) == (2 if is_fast() else 20)
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}

#: The repository root (the folder that holds ``course_lib/``).
REPO_ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def is_fast() -> bool:
    """True when ``COURSE_FAST`` is set to 1/true/yes/on.

    >>> isinstance(is_fast(), bool)
    True
    """
    return _flag("COURSE_FAST")


def is_offline() -> bool:
    """True when ``COURSE_OFFLINE`` is set: downloads must not touch the network."""
    return _flag("COURSE_OFFLINE")


def pick(full: T, fast: T) -> T:
    """Return ``fast`` in fast mode and ``full`` otherwise.

    >>> epochs = pick(full=20, fast=3)
    """
    return fast if is_fast() else full


def data_dir() -> Path:
    """The folder for downloads and caches: ``COURSE_DATA_DIR`` or ``<repo>/data``.

    The folder is created if it does not exist.

    >>> import os, tempfile
    >>> old = os.environ.get("COURSE_DATA_DIR")
    >>> os.environ["COURSE_DATA_DIR"] = os.path.join(tempfile.mkdtemp(), "new", "course-data")
    >>> data_dir().name, data_dir().is_dir()
    ('course-data', True)
    >>> _ = os.environ.pop("COURSE_DATA_DIR") if old is None else os.environ.update(COURSE_DATA_DIR=old)
    """
    raw = os.environ.get("COURSE_DATA_DIR")
    path = Path(raw).expanduser() if raw else REPO_ROOT / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """``data_dir()/cache`` — generated data sets (e.g. the simulated CT slices) are cached here."""
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
