"""Configuration read from the environment.

Three switches shape how the course runs:

* ``COURSE_FAST=1`` — fast mode: fewer epochs and less data, used by ``make test`` and CI.
* ``COURSE_DATA_DIR`` — where downloads, caches, models and results live. Unset, that is the
  repository's ``data/`` when ``course_lib`` runs from a checkout of the course, and otherwise a
  per-user cache folder (``~/.cache/pytorch-course`` on Linux): never inside the installed package.
* ``COURSE_OFFLINE=1`` — never touch the network; downloads raise :class:`OfflineError` at once.

>>> pick(full=20, fast=2) == (2 if is_fast() else 20)
True
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple, TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}

#: The folder of the ``course_lib`` package itself (read-only for the course: nothing is written here).
PACKAGE_DIR = Path(__file__).resolve().parent
#: The folder name of the per-user cache when ``course_lib`` is installed (not a checkout).
APP_NAME = "pytorch-course"
#: The distribution name in the course's ``pyproject.toml`` (how a checkout is recognised).
PROJECT_NAME = "course-lib"
_INSTALL_DIRS = {"site-packages", "dist-packages"}


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


def _project_name(pyproject: Path) -> str | None:
    """The normalised ``[project] name`` of a ``pyproject.toml``, or None if it cannot be read."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the first `name = "..."` line is the project's
        match = re.search(r"^name\s*=\s*[\"']([^\"']+)[\"']", text, re.M)
        name = match.group(1) if match else None
    else:
        try:
            name = tomllib.loads(text).get("project", {}).get("name")
        except tomllib.TOMLDecodeError:
            return None
    return re.sub(r"[-_.]+", "-", name).lower() if isinstance(name, str) else None


def checkout_root(package_dir: Path | None = None) -> Path | None:
    """The repository root when ``course_lib`` runs from a checkout of the course, else None.

    A checkout is a folder that holds the package, a ``pyproject.toml`` naming the project
    ``course-lib`` and a ``notebooks/`` folder, and is not inside ``site-packages``/``dist-packages``
    (where an installed package lives, possibly read-only and shared).

    >>> checkout_root(Path("/venv/lib/python3.11/site-packages/course_lib")) is None
    True
    """
    package_dir = PACKAGE_DIR if package_dir is None else Path(package_dir)
    if _INSTALL_DIRS & set(package_dir.parts):
        return None
    root = package_dir.parent
    if not (root / "notebooks").is_dir() or _project_name(root / "pyproject.toml") != PROJECT_NAME:
        return None
    return root


def user_cache_dir() -> Path:
    """The per-user cache folder of the course (the platform's convention, via ``platformdirs``).

    Linux: ``$XDG_CACHE_HOME/pytorch-course`` (``~/.cache/pytorch-course``); macOS:
    ``~/Library/Caches/pytorch-course``; Windows: ``%LOCALAPPDATA%\\pytorch-course\\Cache``.

    >>> user_cache_dir().name in ("pytorch-course", "Cache")
    True
    """
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


class DataLocation(NamedTuple):
    """Where the course keeps its data, and why there."""

    path: Path
    #: ``"COURSE_DATA_DIR"``, ``"checkout"`` or ``"user cache"``.
    source: str

    def why(self) -> str:
        """One sentence for people: why the data go to this folder."""
        return {
            "COURSE_DATA_DIR": "set by COURSE_DATA_DIR",
            "checkout": "the repository's data/, because course_lib runs from a checkout",
            "user cache": ("the per-user cache, because course_lib is installed rather than run from a "
                           "checkout; set COURSE_DATA_DIR to choose another folder"),
        }[self.source]


def data_location() -> DataLocation:
    """Where data go, without creating anything: ``COURSE_DATA_DIR``, else a checkout's ``data/``,
    else :func:`user_cache_dir`.

    >>> data_location().source in ("COURSE_DATA_DIR", "checkout", "user cache")
    True
    """
    raw = os.environ.get("COURSE_DATA_DIR", "").strip()
    if raw:
        return DataLocation(Path(raw).expanduser(), "COURSE_DATA_DIR")
    root = checkout_root()
    if root is not None:
        return DataLocation(root / "data", "checkout")
    return DataLocation(user_cache_dir(), "user cache")


def data_dir() -> Path:
    """The folder for downloads, caches, models and results (see :func:`data_location`).

    The folder is created if it does not exist. It is never inside the installed package.

    >>> import os, tempfile
    >>> old = os.environ.get("COURSE_DATA_DIR")
    >>> os.environ["COURSE_DATA_DIR"] = os.path.join(tempfile.mkdtemp(), "new", "course-data")
    >>> data_dir().name, data_dir().is_dir()
    ('course-data', True)
    >>> _ = os.environ.pop("COURSE_DATA_DIR") if old is None else os.environ.update(COURSE_DATA_DIR=old)
    """
    path = data_location().path
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """``data_dir()/cache`` — generated data sets (e.g. the simulated CT slices) are cached here."""
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
