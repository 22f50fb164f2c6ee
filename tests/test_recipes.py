"""Every recipe on the site's Recipes page (``site/recipes.md``) runs, and links to the right place.

Each ``## `` section of the page is one recipe: a task heading, a sentence or two of why, exactly one
```` ```python ```` block that is complete on its own, and exactly one "Explained in:" link of the form
``[NN title § Section](notebooks/NN_name.ipynb#heading-slug)``. This module

* executes every recipe's code in a process of its own (a new temporary working folder, ``COURSE_DATA_DIR``
  in it, ``COURSE_OFFLINE=1``, ``MPLBACKEND=Agg``, the rest of the environment inherited, so
  ``COURSE_DEVICE`` applies), one test id per recipe. On POSIX the processes are forked from a warm
  server that has only imported torch (see ``ForkRunner``); ``COURSE_RECIPES_SPAWN=1`` starts a new
  interpreter per recipe instead. They run in parallel, so the page costs seconds, not minutes;
* checks that the linked notebook exists and has a heading (level 1-3, as ``myst_heading_anchors = 3`` in
  ``site/conf.py`` makes anchors for) whose slug is the link's anchor. The slug rule is MyST-Parser's
  ``github_slugify`` (``myst_parser/slugs.py``): lowercase, spaces to ``-``, drop every character that is
  not a word character, a CJK ideograph, ``-`` or a space; the title is the heading's text and inline code
  (not its math, links' URLs or markup); a repeated slug in one document gets ``-1``, ``-2``, ...
  When MyST's own Markdown stack is installed, a test compares this rule with it on every notebook heading;
* proves that the checks can fail: a broken recipe fails to run, a missing import is not hidden by the
  warm server, a hung recipe is stopped, and a wrong anchor is reported.

Run one recipe: ``pytest tests/test_recipes.py -k frechet``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import re
import runpy
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unicodedata
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECIPES_PAGE = ROOT / "site" / "recipes.md"
HEADING_ANCHOR_LEVELS = 3  # site/conf.py: myst_heading_anchors = 3
MIN_RECIPES = 25
RECIPE_TIMEOUT_S = 180  # generous: CI machines are shared; a recipe takes a few seconds
EXPLAINED_IN = re.compile(r"Explained in:?\s*\[([^\]]+)\]\(([^)\s]+)\)")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")


# --------------------------------------------------------------------------- parsing the page
@dataclass
class Recipe:
    title: str
    line: int  # 1-based line of the heading in the page
    code_blocks: list[str] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)  # lines outside code blocks

    @property
    def slug(self) -> str:
        return github_slugify(self.title)

    @property
    def test_id(self) -> str:  # ASCII, so that `pytest -k frechet` finds "Fréchet"
        return unicodedata.normalize("NFKD", self.slug).encode("ascii", "ignore").decode()

    @property
    def links(self) -> list[tuple[str, str]]:
        return EXPLAINED_IN.findall("\n".join(self.prose))

    @property
    def explained_in_count(self) -> int:
        return sum(line.count("Explained in") for line in self.prose)

    def __repr__(self) -> str:  # short test ids and messages
        return f"Recipe({self.title!r}, line {self.line})"


def parse_recipes(text: str) -> list[Recipe]:
    """Split a Markdown page into its ``## `` sections, with their fenced code and their prose.

    ``#`` lines inside code blocks are code, not headings. Only blocks whose info string is ``python``
    count as code to execute; a section's other blocks (``bash``) are kept out of its prose.
    """
    recipes: list[Recipe] = []
    fence: str | None = None  # the opening fence while inside a code block
    block: list[str] = []
    language = ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if fence is None and match:
            fence, language, block = match.group(1), match.group(2).lower(), []
            continue
        if fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                if recipes and language in ("python", "py", "python3"):
                    recipes[-1].code_blocks.append("\n".join(block) + "\n")
                fence = None
            else:
                block.append(line)
            continue
        if line.startswith("## "):
            recipes.append(Recipe(title=line[3:].strip(), line=number))
        elif recipes:
            recipes[-1].prose.append(line)
    if fence is not None:
        raise ValueError(f"a code block opened with {fence!r} is never closed")
    return recipes


from course_lib.markdown import anchored_headings, github_slugify, heading_text  # noqa: E402


def notebook_cells(path: Path) -> list[str]:
    """The sources of a notebook's Markdown cells."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "markdown"]


def notebook_markdown(path: Path) -> str:
    return "\n\n".join(notebook_cells(path))


def notebook_anchors(path: Path, max_level: int = HEADING_ANCHOR_LEVELS) -> dict[str, str]:
    """Anchor slug -> heading text for one notebook page, as MyST-NB numbers them (one document): the
    package's one heading walker, :func:`course_lib.markdown.anchored_headings`."""
    return dict(anchored_headings(notebook_cells(path), max_level=max_level))


def link_problems(recipe: Recipe, root: Path = ROOT) -> list[str]:
    """Everything wrong with a recipe's shape and its "Explained in" link (empty when all is well)."""
    problems = []
    if len(recipe.code_blocks) != 1:
        problems.append(f"has {len(recipe.code_blocks)} python code blocks, expected exactly 1")
    if recipe.explained_in_count != 1 or len(recipe.links) != 1:
        problems.append(f"has {recipe.explained_in_count} 'Explained in' mentions and {len(recipe.links)} "
                        "'Explained in: [text](notebooks/NN_name.ipynb#slug)' links, expected exactly 1")
        return problems
    _, target = recipe.links[0]
    path, _, anchor = target.partition("#")
    if not re.fullmatch(r"notebooks/\d\d_[\w-]+\.ipynb", path):
        problems.append(f"links to {path!r}, not to a course notebook notebooks/NN_name.ipynb")
        return problems
    notebook = root / path
    if not notebook.exists():
        problems.append(f"links to {path}, which does not exist")
        return problems
    anchors = notebook_anchors(notebook)
    if not anchor:
        problems.append(f"links to {path} without '#section-slug'")
    elif anchor not in anchors:
        near = sorted(a for a in anchors if set(anchor.split("-")) & set(a.split("-")) - {""})[:5]
        problems.append(f"links to {path}#{anchor}, but that notebook has no heading (level 1-"
                        f"{HEADING_ANCHOR_LEVELS}) with that slug; similar: {near}")
    return problems


# --------------------------------------------------------------------------- running the code
# `import torch` alone costs ~3 s of CPU on a small machine, more than most recipes' own work. So on POSIX
# the recipes run in processes *forked* from one warm interpreter that has imported torch and numpy and
# done nothing else: every recipe still gets a process of its own, fresh globals (a missing import still
# fails), its own working folder, data folder and output, and no state left by another recipe.
# Set COURSE_RECIPES_SPAWN=1 (or run on Windows) to start a brand-new interpreter per recipe instead.
PRELOAD = ("numpy", "torch", "torch.testing", "torch._dynamo")  # the last two: imported by assert_close and
# by the first optimizer step; each costs ~1-2 s of CPU per recipe otherwise. A module that fails to import
# here is simply not preloaded (the recipe that needs it reports the error).


def recipe_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({
        "COURSE_DATA_DIR": str(workdir / "data"),
        "COURSE_OFFLINE": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",  # recipes run side by side; one thread each is fastest on a small machine
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    })
    return env


@dataclass
class RunResult:
    returncode: int
    output: str
    seconds: float  # wall-clock
    cpu_seconds: float | None = None  # the recipe's process and the processes it waited for


def _new_job(code: str, name: str, timeout: float = RECIPE_TIMEOUT_S) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"recipe-{name[:40]}-"))
    script = workdir / "recipe.py"
    script.write_text(code, encoding="utf-8")
    return {"workdir": str(workdir), "script": str(script), "log": str(workdir / "output.txt"),
            "timeout": timeout}


def run_code(code: str, name: str = "recipe", timeout: float = RECIPE_TIMEOUT_S) -> RunResult:
    """Run ``code`` as a script in a brand-new interpreter, in a temporary folder removed afterwards."""
    job = _new_job(code, name, timeout)
    workdir = Path(job["workdir"])
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, job["script"]], cwd=workdir, env=recipe_env(workdir),
                              capture_output=True, text=True, timeout=timeout)
        return RunResult(proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - t0)
    except subprocess.TimeoutExpired:
        return RunResult(124, f"[timed out after {timeout} s]", time.perf_counter() - t0)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class SpawnRunner:
    """One new interpreter per recipe, a few at a time."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="recipe")

    def submit(self, code: str, name: str, timeout: float = RECIPE_TIMEOUT_S) -> Future:
        return self.pool.submit(run_code, code, name, timeout)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class ForkRunner:
    """Recipes run in children forked by a warm server process (``python tests/test_recipes.py --serve``).

    Jobs go to the server's stdin as JSON lines; it forks up to ``workers`` children at a time and answers
    on stdout with one JSON line per finished job (exit code, seconds).
    """

    def __init__(self, workers: int) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="recipe-server-"))
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", str(workers)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=self.home,
                                     env=recipe_env(self.home))
        self.jobs: dict[int, tuple[dict, Future]] = {}
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True, name="recipe-server-reader")
        self.reader.start()

    def submit(self, code: str, name: str, timeout: float = RECIPE_TIMEOUT_S) -> Future:
        future: Future = Future()
        job = _new_job(code, name, timeout)
        with self.lock:
            job["id"] = len(self.jobs)
            self.jobs[job["id"]] = (job, future)
        try:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
        except OSError as err:
            future.set_exception(RuntimeError(f"the recipe server is gone ({err})"))
        return future

    def _read(self) -> None:
        for line in self.proc.stdout:
            answer = json.loads(line)
            with self.lock:
                job, future = self.jobs[answer["id"]]
            log = Path(job["log"])
            output = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            if answer["timed_out"]:
                output += f"\n[timed out after {job['timeout']} s]"
            shutil.rmtree(job["workdir"], ignore_errors=True)
            future.set_result(RunResult(answer["returncode"], output, answer["seconds"],
                                        answer["cpu_seconds"]))
        with self.lock:  # the server ended: nothing more will come
            for job, future in self.jobs.values():
                if not future.done():
                    future.set_exception(RuntimeError(f"the recipe server exited ({self.proc.poll()}) "
                                                      "before this recipe finished"))
                    shutil.rmtree(job["workdir"], ignore_errors=True)

    def close(self) -> None:
        with self.lock:
            unfinished = any(not future.done() for _, future in self.jobs.values())
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                if unfinished:  # e.g. pytest -x stopped early: do not wait for the rest
                    self.proc.stdin.write(json.dumps({"stop": True}) + "\n")
                self.proc.stdin.close()  # the server finishes (or, on stop, kills) its jobs, then exits
            except OSError:
                pass
        try:
            self.proc.wait(timeout=RECIPE_TIMEOUT_S + 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.reader.join(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)


def _run_child(job: dict) -> None:
    """In a forked child: become a fresh ``python recipe.py`` in the job's folder; never returns."""
    code = 1
    try:
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.setpgrp()  # its own process group: a timeout kills the recipe's subprocesses (torchrun) too
        os.chdir(job["workdir"])
        os.environ["COURSE_DATA_DIR"] = str(Path(job["workdir"]) / "data")
        sys.argv = [job["script"]]
        sys.path[0] = job["workdir"]  # as for `python recipe.py`: the script's folder, not tests/
        random.seed()  # Python's global generator is not shared with the server or other recipes
        try:
            runpy.run_path(job["script"], run_name="__main__")
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(workers: int) -> None:
    """The warm server of :class:`ForkRunner`: import the heavy modules once, then fork per job."""
    for module in PRELOAD:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - an optimisation only
            pass
    pending: deque = deque()
    running: dict[int, tuple[dict, float, bool]] = {}
    buffer, stdin_open = b"", True
    while stdin_open or pending or running:
        if stdin_open and select.select([0], [], [], 0.02)[0]:
            data = os.read(0, 1 << 16)
            stdin_open = bool(data)
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for job in (json.loads(line) for line in lines if line.strip()):
                if job.get("stop"):
                    pending.clear()
                    for pid in running:
                        _kill_group(pid)
                    stdin_open = False
                else:
                    pending.append(job)
        elif not stdin_open:
            time.sleep(0.02)
        while pending and len(running) < workers:
            job = pending.popleft()
            pid = os.fork()
            if pid == 0:
                _run_child(job)
            running[pid] = (job, time.monotonic(), False)
        for pid, (job, start, killed) in list(running.items()):
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                del running[pid]
                answer = {"id": job["id"], "returncode": os.waitstatus_to_exitcode(status),
                          "seconds": time.monotonic() - start, "timed_out": killed,
                          "cpu_seconds": usage.ru_utime + usage.ru_stime}
                sys.stdout.write(json.dumps(answer) + "\n")
                sys.stdout.flush()
            elif not killed and time.monotonic() - start > job["timeout"]:
                _kill_group(pid)
                running[pid] = (job, start, True)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # not yet in its own group: kill the child alone
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def make_runner(workers: int) -> SpawnRunner | ForkRunner:
    if hasattr(os, "fork") and os.environ.get("COURSE_RECIPES_SPAWN", "") in ("", "0"):
        return ForkRunner(workers)
    return SpawnRunner(workers)


RECIPES = parse_recipes(RECIPES_PAGE.read_text(encoding="utf-8")) if RECIPES_PAGE.exists() else []


def simulator_limit(recipe: Recipe) -> str | None:
    """Why a recipe cannot run on the simulated accelerator (``COURSE_DEVICE=fakegpu``/``fakemps``), if so.

    None today: ``course_lib.fakegpu`` registers autocast and GradScaler for its backend, so even the
    mixed-precision recipe runs there (float16 with a GradScaler, CUDA's path). Kept as the one place to
    name a recipe the simulator cannot run, with the reason the skip prints.
    """
    return None


@pytest.fixture(scope="module")
def runner():
    r = make_runner(max(2, min(8, os.cpu_count() or 2)))
    yield r
    r.close()


@pytest.fixture(scope="module")
def recipe_runs(request, runner) -> dict[str, Future]:
    """Start every *selected* recipe at once; each test then waits for its own result."""
    this = sys.modules[__name__]
    selected = [item.callspec.params["recipe"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_recipe_runs" and item.module is this]
    # Recipes that start processes of their own (torchrun) take longest: start them first.
    selected.sort(key=lambda r: "subprocess" not in "".join(r.code_blocks))
    return {r.slug: runner.submit(r.code_blocks[0], r.slug) for r in selected
            if r.code_blocks and not simulator_limit(r)}


# --------------------------------------------------------------------------- the tests
def test_page_has_enough_distinct_recipes():
    assert RECIPES_PAGE.exists(), f"{RECIPES_PAGE} is missing"
    assert len(RECIPES) >= MIN_RECIPES, f"{len(RECIPES)} recipes on the page, expected at least {MIN_RECIPES}"
    slugs = [r.slug for r in RECIPES]
    assert len(set(slugs)) == len(slugs), "two recipes have the same heading"


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.test_id for r in RECIPES])
def test_recipe_links_to_the_section_that_explains_it(recipe):
    problems = link_problems(recipe)
    assert not problems, f"{recipe.title} (site/recipes.md line {recipe.line}): " + "; ".join(problems)


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.test_id for r in RECIPES])
def test_recipe_runs(recipe, recipe_runs):
    assert len(recipe.code_blocks) == 1, f"{recipe.title}: expected exactly one python code block"
    assert re.search(r"^\s*assert\b|assert_close\(", recipe.code_blocks[0], re.M), \
        f"{recipe.title}: the recipe must check its claim with an assert"
    if simulator_limit(recipe):
        pytest.skip(simulator_limit(recipe))
    result = recipe_runs[recipe.slug].result()
    assert result.returncode == 0, (f"recipe '{recipe.title}' (site/recipes.md line {recipe.line}) failed "
                                    f"with exit code {result.returncode} after {result.seconds:.1f} s:\n"
                                    f"{result.output[-4000:]}")


# --------------------------------------------------------------------------- the checks can fail
BROKEN_PAGE = """\
# Recipes

## Add two numbers

Wrong on purpose.

```python
import torch

assert torch.tensor(1) + torch.tensor(1) == 3
```

Explained in: [01 Tensors § 5. Broadcasting](notebooks/01_tensors.ipynb#5-broadcasting)

## Broadcast a row

Right code, wrong anchor.

```python
import torch

assert (torch.zeros(2, 3) + torch.arange(3)).shape == (2, 3)
```

Explained in: [01 Tensors § Broadcasting](notebooks/01_tensors.ipynb#broadcasting-rules)

## No code, two links

Explained in: [01 Tensors § 5. Broadcasting](notebooks/01_tensors.ipynb#5-broadcasting)
Explained in: [ghost](notebooks/99_missing.ipynb#x)
"""


def test_the_checks_catch_a_broken_recipe_and_a_bad_anchor(runner):
    wrong_sum, bad_anchor, no_code = parse_recipes(BROKEN_PAGE)
    assert [r.title for r in (wrong_sum, bad_anchor, no_code)] == \
        ["Add two numbers", "Broadcast a row", "No code, two links"]
    # A recipe whose assert fails exits non-zero, with the AssertionError in its output ...
    failed = runner.submit(wrong_sum.code_blocks[0], "meta-broken")
    fine = runner.submit(bad_anchor.code_blocks[0], "meta-fine")
    # ... a recipe that forgets an import fails even though the warm server has imported torch ...
    no_import = runner.submit("x = torch.zeros(1)\n", "meta-no-import")
    failed, fine, no_import = failed.result(), fine.result(), no_import.result()
    assert failed.returncode != 0 and "AssertionError" in failed.output, failed
    assert no_import.returncode != 0 and "NameError" in no_import.output, no_import
    # ... and one that works exits 0 (so the runner is not failing everything).
    assert fine.returncode == 0, fine
    # The right anchor passes, a made-up one is named, and so are a missing block and a second link.
    assert link_problems(wrong_sum) == []
    problems = link_problems(bad_anchor)
    assert len(problems) == 1 and "#broadcasting-rules" in problems[0] and "5-broadcasting" in problems[0]
    problems = " ".join(link_problems(no_code))
    assert "0 python code blocks" in problems and "2 'Explained in'" in problems


def test_a_recipe_that_hangs_is_stopped(runner):
    hung = runner.submit("import time\ntime.sleep(60)\n", "meta-hang", timeout=1).result()
    assert hung.returncode != 0 and "timed out after 1 s" in hung.output and hung.seconds < 30, hung


def test_parser_is_not_fooled_by_code_or_unclosed_fences():
    page = ("## Title\n\n```python\n## not a heading\nx = 1\n```\n\n"
            "Explained in: [a](notebooks/00_b.ipynb#c)\n")
    (recipe,) = parse_recipes(page)
    assert recipe.code_blocks == ["## not a heading\nx = 1\n"]
    assert recipe.links == [("a", "notebooks/00_b.ipynb#c")]
    with pytest.raises(ValueError, match="never closed"):
        parse_recipes("## Title\n\n```python\nx = 1\n")


@pytest.mark.parametrize("heading, slug", [
    ("Hello World", "hello-world"),
    ("1 · Data: three splits, three loaders", "1--data-three-splits-three-loaders"),
    ("1.2 `CrossEntropyLoss` — classification", "12-crossentropyloss--classification"),
    ("5. Switching recording off: `no_grad`, `detach`", "5-switching-recording-off-no_grad-detach"),
    ("4 · User interests: friendships *and* profiles", "4--user-interests-friendships-and-profiles"),
    ("Why $\\hat A$ and not [the mean](https://example.org)?", "why--and-not-the-mean"),
    ("Ça marche", "ça-marche"),
])
def test_slug_rule(heading, slug):
    assert github_slugify(heading_text(heading)) == slug


def test_slug_rule_matches_myst_on_every_notebook_heading():
    """Cross-check against MyST's own stack (markdown-it-py + mdit-py-plugins + myst_parser.slugs)."""
    markdown_it = pytest.importorskip("markdown_it")
    anchors_plugin = pytest.importorskip("mdit_py_plugins.anchors").anchors_plugin
    dollarmath_plugin = pytest.importorskip("mdit_py_plugins.dollarmath").dollarmath_plugin
    myst_slugify = pytest.importorskip("myst_parser.slugs").github_slugify
    md = markdown_it.MarkdownIt("commonmark").use(dollarmath_plugin).use(
        anchors_plugin, max_level=HEADING_ANCHOR_LEVELS, slug_func=myst_slugify)
    checked = 0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        theirs = [t.attrs["id"] for t in md.parse(notebook_markdown(path))
                  if t.type == "heading_open" and "id" in t.attrs]
        assert list(notebook_anchors(path)) == theirs, path.name
        checked += len(theirs)
    assert checked > 100


def test_a_recipe_runs_in_its_own_folder_and_process(runner):
    """Both runners give a recipe a fresh folder (cwd and COURSE_DATA_DIR) and report output and exit code."""
    code = ("import os, sys\nprint('cwd', os.getcwd())\nprint('data', os.environ['COURSE_DATA_DIR'])\n"
            "print('pid', os.getpid())\nopen('left_behind.txt', 'w').close()\nsys.exit(3)\n")
    spawner = SpawnRunner(1)
    try:
        results = [r.submit(code, "meta-isolation").result() for r in (runner, spawner)]
    finally:
        spawner.close()
    for result in results:
        lines = dict(line.split(" ", 1) for line in result.output.splitlines() if " " in line)
        assert result.returncode == 3, result
        assert Path(lines["data"]) == Path(lines["cwd"]) / "data"
        assert not Path(lines["cwd"]).exists()  # removed, with everything the recipe wrote
        assert int(lines["pid"]) != os.getpid()


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    serve(int(sys.argv[2]))
