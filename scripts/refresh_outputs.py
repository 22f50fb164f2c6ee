"""Execute notebooks in fast mode and store outputs only in the cells nbval compares.

Cells whose source starts with ``# NBVAL_CHECK_OUTPUT`` keep the outputs of this run (so nbval
has a reference to compare with); every other cell is stored without outputs, as the course's
conventions require. Use it after editing a checked cell:

    COURSE_FAST=1 .venv/bin/python scripts/refresh_outputs.py notebooks/03_nn_modules.ipynb

A cell that raises stops the run and leaves the file unchanged (exit code 1).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

CHECK = "# NBVAL_CHECK_OUTPUT"


def refresh(path: Path, timeout: int) -> None:
    import nbformat
    from nbclient import NotebookClient

    original = nbformat.read(path, as_version=4)
    executed = copy.deepcopy(original)
    NotebookClient(executed, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell, done in zip(original.cells, executed.cells):
        if cell.cell_type != "code":
            continue
        if cell.source.lstrip().startswith(CHECK):
            cell.outputs = done.outputs
            cell.execution_count = done.execution_count
        else:
            cell.outputs = []
            cell.execution_count = None
    from course_lib.files import atomic_open

    with atomic_open(path) as fh:
        nbformat.write(original, fh)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_FAST", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    status = 0
    for path in args.notebooks:
        try:
            refresh(path, args.timeout)
            print(f"{path}: checked outputs refreshed")
        except Exception as err:  # report and go on with the next notebook
            print(f"{path}: FAILED, left unchanged: {str(err).strip().splitlines()[-1][:300]}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
