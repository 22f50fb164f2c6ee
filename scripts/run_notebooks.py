"""Execute notebooks headless with nbclient (no pytest/nbval needed) and print a timing table.

Used by the GPU lane (scripts/gpu_suite.sh), where only a bare Python image is available:

    COURSE_DEVICE=cuda COURSE_FAST=1 python scripts/run_notebooks.py notebooks/*.ipynb --json out.json

Each notebook runs in a fresh kernel in its own folder; a failing cell is reported with its error
and the run continues with the next notebook. Exit code 1 when any notebook failed. Each
notebook's wall time is merged into the course report's times file for the current mode
(``course_lib.report.save_times``), exactly as the pytest run does, so ``python -m course_lib report``
shows them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def run(path: Path, timeout: int) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    error = None
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1][:500]
    return {"notebook": path.name, "seconds": round(time.perf_counter() - t0, 1), "error": error}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--json", type=Path, help="write the rows here too")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    rows = []
    for path in sorted(args.notebooks):
        row = run(path, args.timeout)
        rows.append(row)
        status = "ok" if row["error"] is None else f"FAILED: {row['error']}"
        print(f"{row['notebook']:<45} {row['seconds']:7.1f} s  {status}", flush=True)
    print(f"total: {sum(r['seconds'] for r in rows):.0f} s")
    from course_lib.report import save_times

    times = {r["notebook"][:2]: r["seconds"] for r in rows if r["error"] is None}
    if times:
        print(f"times written to {save_times(times)}")
    if args.json:
        from course_lib.files import atomic_write

        atomic_write(args.json, json.dumps(rows, indent=1))
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
