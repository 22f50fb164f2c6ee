"""Give every notebook its install cell, built from ``[tool.course] repository`` in pyproject.toml.

A notebook opened without the repository (a hosted notebook service, a downloaded copy) has no
``course_lib``. Its first code cell, tagged ``install-course`` and placed right after the title,
installs the course package from the repository URL when ``course_lib`` is missing and does
nothing (prints nothing) when it is installed. With no URL configured it installs nothing and
raises an error that says how to get the course instead.

    .venv/bin/python scripts/sync_install_cell.py            # insert or update the cell everywhere
    .venv/bin/python scripts/sync_install_cell.py --check    # exit 1 if a notebook is out of date

Running it twice changes nothing the second time. Only that one cell is touched.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
TAG = "install-course"
CELL_ID = "install-course"
# What pip accepts after "git+" (https://host/owner/repo(.git)(@ref), ssh://...), and nothing that
# IPython would expand in a %pip line ($name, {expr}) or that would break the quoting.
_URL = re.compile(r"(https|ssh)://[A-Za-z0-9._~:/@+%-]+")

_INSTALL = '''\
# Installs the course package `course_lib` when this notebook runs without it (a hosted notebook
# service, a downloaded copy); does nothing when it is installed. (scripts/sync_install_cell.py)
import importlib.util

if importlib.util.find_spec("course_lib") is None:
    %pip install --quiet "course-lib @ git+{url}"
    importlib.invalidate_caches()
    if importlib.util.find_spec("course_lib") is None:
        raise ModuleNotFoundError("Installing the course package failed: see pip's message above. "
                                  "Or clone {url} and run `make install`.")'''

_NO_URL = '''\
# This notebook needs the course package `course_lib`: this cell checks that it is installed and
# says how to get it if not; it does nothing otherwise. (scripts/sync_install_cell.py)
import importlib.util

if importlib.util.find_spec("course_lib") is None:
    raise ModuleNotFoundError(
        "This notebook needs the course package `course_lib`, which is not installed in this kernel's "
        "environment. Get the course: clone its repository and run `make install` (then choose the "
        "kernel of its .venv), or `pip install course_lib-<version>-py3-none-any.whl` if you were "
        "given the wheel; then restart the kernel and run the notebook again.")'''


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """``[tool.course] repository`` ("" when unset); refuses a value pip could not install from."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"cannot read [tool.course] repository from {pyproject}: {err}") from None
    url = str(data.get("tool", {}).get("course", {}).get("repository", "")).strip()
    if url and not _URL.fullmatch(url):
        raise ValueError(f"{pyproject}: [tool.course] repository = {url!r} is not a git URL pip can "
                         "install from; use e.g. \"https://github.com/OWNER/REPO\" (or leave it empty).")
    return url


def cell_source(url: str) -> str:
    """The install cell's code for a repository URL ("" = not published: explain instead)."""
    return _INSTALL.format(url=url) if url else _NO_URL


def _position(cells: list) -> int:
    """Right after the title cell (a notebook's first markdown cell stays the first thing seen)."""
    return 1 if cells and cells[0].cell_type == "markdown" else 0


def sync(nb, source: str) -> bool:
    """Insert or update the install cell of a notebook (an ``nbformat`` node); True if it changed."""
    import nbformat

    before = nbformat.writes(nb)
    tagged = [c for c in nb.cells if TAG in c.get("metadata", {}).get("tags", [])]
    cell = tagged[0] if tagged else None
    nb.cells = [c for c in nb.cells if all(c is not t for t in tagged)]
    if cell is None or cell.cell_type != "code":
        taken = {c.get("id") for c in nb.cells}
        cell = nbformat.v4.new_code_cell(id=None if CELL_ID in taken else CELL_ID)
        cell.metadata["tags"] = [TAG]
    cell.source = source
    cell.outputs = []
    cell.execution_count = None
    nb.cells.insert(_position(nb.cells), cell)
    return nbformat.writes(nb) != before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to process (default: notebooks/NN_*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when an install cell is missing or out of date")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import nbformat

    from course_lib.files import atomic_open

    try:
        source = cell_source(repository_url(args.pyproject))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    stale = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not sync(nb, source):
            continue
        stale.append(path)
        if not args.check:
            with atomic_open(path) as fh:
                nbformat.write(nb, fh)
    verb = "out of date (run scripts/sync_install_cell.py)" if args.check else "updated"
    for path in stale:
        print(f"{path}: install cell {verb}")
    print(f"{len(paths) - len(stale)} of {len(paths)} notebook(s) already in sync.")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
