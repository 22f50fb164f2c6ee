"""Build the course website (the reader's edition) into ``build/site/html``.

    python scripts/build_site.py            # fast mode (what `make site` and the tests run)
    python scripts/build_site.py --full     # full mode (`make site FAST=0`)
    python scripts/build_site.py --only 00,02   # a few notebooks, while working on the site itself

The sources (``site/``) and the notebooks are copied into ``<out>/src`` and built there with Sphinx +
MyST-NB. Notebooks run with ``COURSE_FAST`` and ``COURSE_DATA_DIR`` set: fast and full builds keep
their data, their course report and their jupyter-cache apart (``data/site-run-fast`` and
``data/site-run-full``; the cache lives in ``<data dir>/jupyter_cache`` so the two cannot disagree),
and a notebook whose code cells did not change is not executed again.

A notebook that fails stops the build with one line naming the notebook, the cell and the error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = re.compile(r"^\d\d_[\w-]+\.ipynb$")
PLACEHOLDER_RECIPES = "# Recipes\n"


def stage(site: Path, notebooks: Path, src: Path, only: set[str] | None) -> list[Path]:
    """Copy the Sphinx sources and the notebooks into ``src`` (a fresh copy each time); return the
    notebooks staged."""
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(site, src, ignore=shutil.ignore_patterns(".jupyter_cache", "__pycache__",
                                                             ".ipynb_checkpoints", "notebooks"))
    if not (src / "recipes.md").exists():  # the recipes page is written separately; never required here
        (src / "recipes.md").write_text(PLACEHOLDER_RECIPES, encoding="utf-8")
    (src / "notebooks").mkdir()
    staged = []
    for nb in sorted(notebooks.glob("*.ipynb")):
        if NOTEBOOK.match(nb.name) and (only is None or nb.name[:2] in only):
            staged.append(Path(shutil.copy2(nb, src / "notebooks" / nb.name)))
    if not staged:
        raise SystemExit(f"no notebooks NN_name.ipynb found in {notebooks} (only={sorted(only or [])})")
    return staged


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failed_cell(log: str, src: Path) -> str | None:
    """One line naming the notebook, the cell and the error of a failed execution in Sphinx's log.

    Cells are counted from 1, as in the notebook's order (markdown cells included).
    """
    log = ANSI.sub("", log)
    failed = log.find("Executing notebook failed")
    if failed < 0:
        return None
    names = re.findall(r"(notebooks/\d\d_[\w-]+\.ipynb)", log[max(0, log.rfind("\n", 0, failed)):])
    notebook = names[0] if names else "a notebook"
    cell = re.search(r"An error occurred while executing the following cell:\n-+\n(.*?)\n-+\n", log, re.S)
    where, error = "an unknown cell", "see the traceback above"
    if cell:
        source = cell.group(1).strip()
        exc = re.search(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning)):(.*)$",
                        log[cell.end():], re.M)
        if exc:
            error = f"{exc.group(1)}:{exc.group(2)}".strip()
        path = src / notebook
        if path.exists():
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            code_seen = 0
            for i, c in enumerate(cells, start=1):
                code_seen += c["cell_type"] == "code"
                text = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                if c["cell_type"] == "code" and text.strip() == source:
                    where = f"cell {i} (code cell {code_seen})"
                    break
        first = source.splitlines()[0] if source else ""
        where += f" starting `{first[:80]}`"
    return f"Site build failed: {notebook}, {where}: {error}"


def build(mode: str, out: Path, data: Path, only: set[str] | None = None,
          notebooks: Path = ROOT / "notebooks", site: Path = ROOT / "site") -> Path:
    """Build the site; return the HTML folder. Raises SystemExit with a clear message on failure."""
    src = out / "src"
    html = out / "html"
    staged = stage(site, notebooks, src, only)
    data.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        COURSE_FAST="1" if mode == "fast" else "0",
        COURSE_DATA_DIR=str(data.resolve()),
        COURSE_SITE_CACHE=str((data / "jupyter_cache").resolve()),
        COURSE_SITE_REPO=str(ROOT),
        # Figures must come back as PNG outputs: the inline backend, whatever the caller set (the
        # test run sets Agg, which would show no figure at all).
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        TQDM_DISABLE="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
    )
    if html.exists():
        shutil.rmtree(html)  # no page of an earlier build (e.g. a removed notebook) survives
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "--keep-going",
           "-d", str(out / f"doctrees-{mode}"), str(src), str(html)]
    print(f"Building the site ({mode} mode, {len(staged)} notebooks, data in {data}) ...", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", errors="replace")
    log = []
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        log.append(line)
    rc = proc.wait()
    text = "".join(log)
    (out / f"build-{mode}.log").write_text(text, encoding="utf-8")
    if rc != 0:
        message = failed_cell(text, src) or f"Site build failed (sphinx exit code {rc}); see the log above."
        raise SystemExit(message)
    print(f"Site built in {time.perf_counter() - start:.0f} s: open {html / 'index.html'}", flush=True)
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--fast", dest="mode", action="store_const", const="fast")
    group.add_argument("--full", dest="mode", action="store_const", const="full")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="COURSE_DATA_DIR of the notebooks (default: data/site-run-MODE)")
    parser.add_argument("--only", default=os.environ.get("COURSE_SITE_ONLY", ""),
                        help="comma-separated notebook numbers, for work on the site only (e.g. 00,02)")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    args = parser.parse_args(argv)
    mode = args.mode or ("fast" if os.environ.get("COURSE_FAST", "1").lower() in {"1", "true", "yes", "on"}
                         else "full")
    data = args.data_dir or ROOT / "data" / f"site-run-{mode}"
    only = {n.strip().zfill(2) for n in args.only.split(",") if n.strip()} or None
    build(mode, args.out, data, only, args.notebooks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
