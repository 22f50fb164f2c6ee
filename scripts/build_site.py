"""Build the course website (the reader's edition) into ``build/site/html``.

    python scripts/build_site.py            # fast mode (what `make site` and the tests run)
    python scripts/build_site.py --full     # full mode (`make site FAST=0`)
    python scripts/build_site.py --only 00,02   # a few notebooks, while working on the site itself
    python scripts/build_site.py --execute  # execute here even when the test run's outputs match

The sources (``site/``) and the notebooks are copied into ``<out>/src`` and built there with Sphinx +
MyST-NB. A notebook is executed once, by the test run or else by this build:

* **Render only.** The test run (``make test``, nbval) keeps every notebook that passed, with its outputs,
  in ``<its data dir>/executed`` under a fingerprint (``course_lib.fingerprint``: the code cells, every
  file of ``course_lib``, the installed packages, torch, the mode, the device, ``COURSE_SEED``, ...).
  When every notebook of the build has an executed copy whose fingerprint is the one this build
  computes, the pages are rendered from those copies (MyST-NB ``nb_execution_mode = "off"``), and the
  runtime and headline result of each page come from the same run (kept in each copy's metadata).
  ``--executed DIR`` says where to look (default: ``data/test-run/executed``, what ``make test`` writes);
  ``--execute`` never looks.
* **Execute.** Otherwise the notebooks run here with ``COURSE_FAST`` and ``COURSE_DATA_DIR`` set: fast
  and full builds keep their data, their course report and their jupyter-cache apart
  (``data/site-run-fast`` and ``data/site-run-full``). The cache lives in
  ``<data dir>/jupyter_cache/<environment fingerprint>``: jupyter-cache itself keys a notebook on its
  code cells only, so a change to ``course_lib``, torch, the device or the seed gets a fresh cache,
  and a notebook whose code cells did not change is not executed again otherwise.

The build says which it did and, for the second, why each notebook could not be reused. The
translated editions (zh_CN, zh_TW) have the English code cells byte for byte and reuse the English
outputs either way. A notebook that fails stops the build with one line naming the notebook, the cell
and the error.
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

from course_lib.languages import ENGLISH
from course_lib.languages import LANGUAGES as TRANSLATED

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = re.compile(r"^\d\d_[\w-]+\.ipynb$")
PLACEHOLDER_RECIPES = "# Recipes\n"


LANGUAGES = (ENGLISH, *TRANSLATED)  # English at the root of the site, the others in a folder each
LOCALE = ROOT / "locale"


def stage(site: Path, notebooks: Path, src: Path, only: set[str] | None, lang: str = "en") -> list[Path]:
    """Copy the Sphinx sources and the notebooks into ``src`` (a fresh copy each time); return the
    notebooks staged. For ``zh_CN``/``zh_TW`` the notebooks and pages are staged translated
    (``course_lib.i18n``): the same code cells, byte for byte, so jupyter-cache finds the English
    run's outputs and nothing is executed again."""
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
    if lang != "en":
        import nbformat

        from course_lib import i18n
        from course_lib.messages import tr

        translated, maps = {}, {}
        for path in staged:
            english = nbformat.read(path, as_version=4)
            translated[path], _ = i18n.translate_notebook(path, i18n.catalog_path(LOCALE, lang, path), lang)
            maps[path.stem] = i18n.anchor_map(english, translated[path])
        # Links name English heading anchors; MyST resolves them against the translated headings' own.
        for path, nb in translated.items():
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    cell.source = i18n.relink(cell.source, maps, own=path.stem)
            nbformat.write(nb, path)
        for page in sorted(src.glob("*.md")):
            text, _ = i18n.translate_page(page, i18n.catalog_path(LOCALE, lang, page), lang)
            text = re.sub(r"^:caption: (.+)$", lambda m: f":caption: {tr(m.group(1), 'site', lang)}", text,
                          flags=re.M)  # the toctree captions (inside a directive, not in the catalog)
            page.write_text(i18n.relink(text, maps), encoding="utf-8")
        # Search splits Chinese text into words with jieba, whose dictionary is Simplified Chinese and
        # general: the glossary's terms (in this edition's script) are added so that 张量 / 張量 are
        # indexed as one word (site/conf.py passes the file as html_search_options["dict"]).
        terms = [t.chinese for t in i18n.read_glossary(LOCALE / "GLOSSARY.md") if t.chinese]
        words = sorted({i18n.to_traditional(w) if lang == "zh_TW" else w for w in terms})
        (src / "_search_dict.txt").write_text("".join(f"{w} 100000 n\n" for w in words if " " not in w),
                                              encoding="utf-8")
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


def kernel_env(mode: str, data: Path, lang: str = "en") -> dict[str, str]:
    """The environment of the Sphinx process and of the notebook kernels it starts."""
    env = dict(os.environ)
    env.update(
        COURSE_FAST="1" if mode == "fast" else "0",
        COURSE_DATA_DIR=str(data.resolve()),
        COURSE_SITE_REPO=str(ROOT),
        # Figures must come back as PNG outputs: the inline backend, whatever the caller set (the
        # test run sets Agg, which would show no figure at all).
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        TQDM_DISABLE="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
    )
    env["COURSE_SITE_LANG"] = lang
    env["COURSE_SITE_LANGUAGES"] = ",".join(LANGUAGES)
    return env


class Plan:
    """How a build gets its outputs: rendered from a test run's executed notebooks, or executed here."""

    def __init__(self, execution: str, cache: Path, executed: dict[str, Path] | None = None,
                 reasons: dict[str, str] | None = None):
        self.execution = execution  # "off" (render the executed copies) or "cache" (execute, jupyter-cache)
        self.cache = cache
        self.executed = executed or {}  # notebook stem -> its executed copy
        self.reasons = reasons or {}  # notebook stem -> why it cannot be reused (execution == "cache")

    def describe(self) -> str:
        if self.execution == "off":
            folder = next(iter(self.executed.values())).parent
            return (f"Rendering {len(self.executed)} notebooks from the test run's executed copies in "
                    f"{folder} (fingerprints match: nothing is executed)")
        by_reason: dict[str, list[str]] = {}
        for stem, reason in sorted(self.reasons.items()):
            by_reason.setdefault(reason, []).append(stem[:2])
        why = "; ".join(f"{', '.join(nums) if len(nums) < len(self.reasons) else 'all'}: {reason}"
                        for reason, nums in by_reason.items())
        return (f"Executing the notebooks (jupyter-cache {self.cache}); not rendered from a test run's copies"
                f" because {why}" if why else f"Executing the notebooks (jupyter-cache {self.cache})")


def plan(mode: str, data: Path, notebooks: list[Path], executed: Path | None) -> Plan:
    """Render from ``executed`` when every notebook has an executed copy with this build's fingerprint;
    else execute, through the jupyter-cache of this build's environment fingerprint."""
    from course_lib import fingerprint as fp

    context = fp.run_context(kernel_env(mode, data))
    cache = data / "jupyter_cache" / fp.environment_fingerprint(context)[:16]
    found, reasons = {}, {}
    for nb in notebooks:
        if executed is None:
            reasons[nb.stem] = "--execute"
            continue
        copy = fp.find_executed(executed, nb.stem, fp.notebook_fingerprint(nb, context))
        if copy is None:
            reasons[nb.stem] = fp.why_stale(executed, nb.stem, context)
        else:
            found[nb.stem] = copy
    if notebooks and not reasons:
        return Plan("off", cache, executed=found)
    if executed is None:
        reasons = {}
    return Plan("cache", cache, reasons=reasons)


def use_cache(cache: Path) -> None:
    """Create this environment's jupyter-cache and delete the others (and an older flat layout):
    the report in the data folder only describes the runs of one environment."""
    parent = cache.parent
    if parent.is_dir():
        for entry in parent.iterdir():
            if entry != cache:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    cache.mkdir(parents=True, exist_ok=True)


def merge_outputs(staged: Path, executed: Path) -> None:
    """Put the outputs of an executed copy into a staged notebook (English or translated: the code
    cells must be the executed copy's, byte for byte). The outputless notebook is kept in
    ``_pristine/`` for the page's download link."""
    import nbformat

    nb = nbformat.read(staged, as_version=4)
    run = nbformat.read(executed, as_version=4)
    mine = [c for c in nb.cells if c.cell_type == "code"]
    theirs = [c for c in run.cells if c.cell_type == "code"]
    if [c.source for c in mine] != [c.source for c in theirs]:
        raise SystemExit(f"Site build failed: {staged.name}'s code cells differ from its executed copy "
                         f"{executed}")
    pristine = staged.parent.parent / "_pristine" / staged.parent.name / staged.name
    pristine.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(staged, pristine)
    for cell, done in zip(mine, theirs):
        cell.outputs = done.outputs
        cell.execution_count = done.execution_count
    nbformat.write(nb, staged)


def write_report(folder: Path, mode: str, executed: dict[str, Path]) -> Path:
    """The course report of the run that executed these copies (each keeps its own part in its
    metadata), as a data folder: what the page headers and the start page's syllabus show."""
    import nbformat

    from course_lib.fingerprint import METADATA_KEY

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rows, times = [], {}
    for stem, path in sorted(executed.items()):
        meta = nbformat.read(path, as_version=4).metadata.get(METADATA_KEY, {})
        rows += [json.dumps(r) for r in meta.get("results", [])]
        if meta.get("seconds") is not None:
            times[stem[:2]] = meta["seconds"]
    (folder / "results.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    name = "notebook_times.json" if mode == "fast" else "notebook_times_full.json"  # course_lib.report
    (folder / name).write_text(json.dumps(times, indent=1), encoding="utf-8")
    return folder


def build(mode: str, out: Path, data: Path, only: set[str] | None = None,
          notebooks: Path = ROOT / "notebooks", site: Path = ROOT / "site",
          languages: tuple[str, ...] = LANGUAGES, executed: Path | None = None) -> Path:
    """Build the site in every language; return the HTML folder. Raises SystemExit with a clear
    message on failure. With ``executed`` (a test run's ``<data dir>/executed``), render from its
    copies when they all match (see the module's docstring); otherwise English executes the
    notebooks and the translations reuse its outputs."""
    html = out / "html"
    if html.exists():
        shutil.rmtree(html)  # no page of an earlier build (e.g. a removed notebook) survives
    data.mkdir(parents=True, exist_ok=True)
    chosen = [nb for nb in sorted(notebooks.glob("*.ipynb"))
              if NOTEBOOK.match(nb.name) and (only is None or nb.name[:2] in only)]
    how = plan(mode, data, chosen, executed)
    print(how.describe(), flush=True)
    if how.execution == "off":
        report = write_report(out / f"report-{mode}", mode, how.executed)
    else:
        use_cache(how.cache)
        report = data
    (out / "site-build.json").parent.mkdir(parents=True, exist_ok=True)
    (out / "site-build.json").write_text(json.dumps(
        {"execution": how.execution, "mode": mode, "cache": str(how.cache.resolve()),
         "report": str(report.resolve()), "executed": {k: str(v) for k, v in how.executed.items()},
         "reasons": how.reasons}, indent=1), encoding="utf-8")
    for lang in languages:
        build_language(mode, out, report, only, notebooks, site, lang, how)
    return html


def executed_notebook(out: Path, stem: str):
    """The executed notebook behind a page of the build in ``out``: the staged copy with its outputs
    (rendered build), or the build's jupyter-cache entry (MyST-NB's jupyter_execute copy holds the
    outputs only for notebooks executed in this very build, not for cached ones)."""
    import nbformat

    manifest = json.loads((out / "site-build.json").read_text(encoding="utf-8"))
    staged = nbformat.read(out / "src" / "notebooks" / f"{stem}.ipynb", as_version=4)
    if manifest["execution"] == "off":
        return staged
    from jupyter_cache import get_cache

    _, merged = get_cache(manifest["cache"]).merge_match_into_notebook(staged)
    return merged


def build_language(mode: str, out: Path, data: Path, only: set[str] | None, notebooks: Path, site: Path,
                   lang: str, how: Plan | None = None) -> Path:
    """One language of the site: English into ``out/html``, the others into ``out/html/LANG``.
    ``data`` is the kernels' data folder (execution) or the run's report (rendering)."""
    src = out / "src" if lang == "en" else out / f"src-{lang}"
    html = out / "html" if lang == "en" else out / "html" / lang
    staged = stage(site, notebooks, src, only, lang)
    if how is None:
        how = Plan("cache", data / "jupyter_cache")
    if how.execution == "off":
        for path in staged:
            merge_outputs(path, how.executed[path.stem])
    data.mkdir(parents=True, exist_ok=True)
    env = kernel_env(mode, data, lang)
    env.update(COURSE_SITE_CACHE=str(how.cache.resolve()), COURSE_SITE_EXECUTION=how.execution)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "--keep-going",
           "-d", str(out / f"doctrees-{mode}-{lang}"), str(src), str(html)]
    verb = "rendering" if how.execution == "off" else "executing"
    print(f"Building the site ({lang}, {mode} mode, {len(staged)} notebooks, {verb}, data in {data}) ...",
          flush=True)
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
    (out / f"build-{mode}-{lang}.log").write_text(text, encoding="utf-8")
    if rc != 0:
        message = failed_cell(text, src) or f"Site build failed (sphinx exit code {rc}); see the log above."
        raise SystemExit(message)
    seconds = time.perf_counter() - start
    print(f"Site ({lang}) built in {seconds:.0f} s: open {html / 'index.html'}", flush=True)
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
    parser.add_argument("--languages", default=",".join(LANGUAGES),
                        help="comma-separated, English first (default: en,zh_CN,zh_TW)")
    parser.add_argument("--executed", type=Path, default=ROOT / "data" / "test-run" / "executed",
                        help="a test run's executed notebooks, rendered when their fingerprints match "
                             "(default: data/test-run/executed, written by `make test`)")
    parser.add_argument("--execute", action="store_true",
                        help="execute the notebooks here even when executed copies match")
    args = parser.parse_args(argv)
    mode = args.mode or ("fast" if os.environ.get("COURSE_FAST", "1").lower() in {"1", "true", "yes", "on"}
                         else "full")
    data = args.data_dir or ROOT / "data" / f"site-run-{mode}"
    only = {n.strip().zfill(2) for n in args.only.split(",") if n.strip()} or None
    languages = tuple(x.strip() for x in args.languages.split(",") if x.strip())
    if not languages or languages[0] != "en" or set(languages) - set(LANGUAGES):
        parser.error(f"--languages: English first, then any of {', '.join(LANGUAGES[1:])}")
    build(mode, args.out, data, only, args.notebooks, languages=languages,
          executed=None if args.execute else args.executed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
