"""Fingerprints of a notebook run: a hash of everything that can change a notebook's outputs.

A notebook executed once (by the test run, under nbval) is kept with its outputs in
``data_dir()/executed`` under its fingerprint, and the website renders that copy instead of executing
the notebook again, but only when the fingerprint it computes for its own build is the same. The
fingerprint covers

* the notebook's code cells (markdown is not in it: a translated notebook has the same code, byte for
  byte, so it has the English notebook's fingerprint);
* every file of the ``course_lib`` package (its modules and package data: data sources, catalogs);
* the installed distributions (name and version of each: torch, the packages that ship the data sets,
  ...), the Python version, torch's version and the CPU kernels it picks (``ATEN_CPU_CAPABILITY``);
* the run's switches: fast or full mode, the device (``COURSE_DEVICE`` or the one picked
  automatically), the seed (``COURSE_SEED``, "0" when unset) and the other environment variables that
  change what a notebook prints (:data:`ENV_VARS`).

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"),
...                                      nbformat.v4.new_code_cell("x = 1")])
>>> context = {"course_lib": "a", "mode": "fast", "device": "cpu", "seed": "0"}
>>> first = notebook_fingerprint(nb, context)
>>> nb.cells[0].source = "# Titre"  # prose only: same fingerprint
>>> notebook_fingerprint(nb, context) == first
True
>>> notebook_fingerprint(nb, {**context, "course_lib": "b"}) == first  # a course_lib file changed
False
>>> notebook_fingerprint(nb, {**context, "seed": "1"}) == first
False
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import PACKAGE_DIR

#: Environment variables that change what a notebook computes or prints, besides the mode, device and
#: seed (which :func:`run_context` reads with their defaults).
ENV_VARS = ("ATEN_CPU_CAPABILITY", "COURSE_LANG", "COURSE_FULL_DATA", "COURSE_OFFLINE", "CI",
            "OMP_NUM_THREADS", "MKL_NUM_THREADS", "CUBLAS_WORKSPACE_CONFIG")
_TRUE = {"1", "true", "yes", "on"}
#: Folders and files of the package that are not part of the course (caches, editor leftovers).
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}
_SKIP_SUFFIXES = {".pyc", ".pyo", ".swp"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_cells(notebook: Any) -> list[str]:
    """The sources of a notebook's code cells, in order (a path, a JSON string's dict or nbformat node).

    >>> code_cells({"cells": [{"cell_type": "code", "source": ["a = 1\\n", "b = 2"]},
    ...                       {"cell_type": "markdown", "source": "text"}]})
    ['a = 1\\nb = 2']
    """
    if isinstance(notebook, (str, Path)):
        notebook = json.loads(Path(notebook).read_text(encoding="utf-8"))
    out = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = cell["source"]
            out.append("".join(source) if isinstance(source, list) else source)
    return out


def package_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """A hash of every file of the package (path and bytes), caches excluded.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.py").write_text("x = 1")
    >>> before = package_digest(folder)
    >>> _ = (folder / "a.py").write_text("x = 2")
    >>> package_digest(folder) == before
    False
    """
    package_dir = Path(package_dir)
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        rel = path.relative_to(package_dir)
        if not path.is_file() or _SKIP_DIRS & set(rel.parts) or path.suffix in _SKIP_SUFFIXES:
            continue
        digest.update(rel.as_posix().encode() + b"\0" + _sha(path.read_bytes()).encode() + b"\n")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def distributions_digest() -> str:
    """A hash of the installed distributions (``name==version``, sorted); read once per process.

    Only the interpreter's own site-packages count, not ``sys.path``: a test that adds a folder to
    ``sys.path``, or the current folder holding ``course_lib.egg-info``, must not make the test process
    and the notebook kernels it starts disagree about what is installed."""
    import sysconfig
    from importlib import metadata

    paths = sorted({sysconfig.get_paths()[key] for key in ("purelib", "platlib")})
    names = sorted({f"{(d.metadata['Name'] or '').lower()}=={d.version}"
                    for d in metadata.distributions(path=paths)})
    return _sha("\n".join(names).encode())


def _device(requested: str) -> str:
    """The device a notebook will use: ``COURSE_DEVICE`` as given, else the one picked automatically."""
    requested = requested.strip().lower()
    if requested:
        return requested  # fakegpu/fakemps are not enabled in this process: the name is enough
    from .device import VALID, available  # get_device()'s automatic choice, whatever this process's env

    kind = next(k for k in VALID if available(k))
    if kind == "cuda":
        import torch

        return f"cuda ({torch.cuda.get_device_name(0)})"
    return kind


def run_context(env: Mapping[str, str] | None = None, package_dir: Path | None = None) -> dict[str, Any]:
    """Everything but the notebook's code that can change its outputs, for a kernel started with
    ``env`` (default: this process's environment) and the course package in ``package_dir`` (default:
    this one). JSON-serialisable; see the module's docstring."""
    env = os.environ if env is None else env
    torch_version, capability = _torch_facts()
    context: dict[str, Any] = {
        "course_lib": package_digest(PACKAGE_DIR if package_dir is None else package_dir),
        "mode": "fast" if env.get("COURSE_FAST", "").strip().lower() in _TRUE else "full",
        "device": _device(env.get("COURSE_DEVICE", "")),
        "seed": env.get("COURSE_SEED", "").strip() or "0",
        "torch": torch_version,
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
        "packages": distributions_digest(),
        "env": {name: env[name] for name in ENV_VARS if env.get(name, "") != ""},
    }
    if capability is not None:
        # The kernels torch picks for this CPU (AVX2, AVX512, ...); ATEN_CPU_CAPABILITY changes them, but
        # only in a process started with it: a kernel started with `env` would see env's value.
        context["cpu_capability"] = env.get("ATEN_CPU_CAPABILITY", "").strip().upper() or capability
    return context


@functools.lru_cache(maxsize=1)
def _torch_facts() -> tuple[str, str | None]:
    """torch's version and the CPU kernels it picked in this process (imports torch once)."""
    import torch

    capability = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", None)
    return torch.__version__, capability() if capability is not None else None


def environment_fingerprint(context: Mapping[str, Any] | None = None) -> str:
    """The hash of a :func:`run_context` (computed from this process's environment when not given).

    >>> environment_fingerprint({"seed": "0"}) == environment_fingerprint({"seed": "0"})
    True
    """
    context = run_context() if context is None else context
    return _sha(json.dumps(context, sort_keys=True).encode())


def notebook_fingerprint(notebook: Any, context: Mapping[str, Any] | None = None) -> str:
    """The fingerprint of running ``notebook`` (a path or a notebook) in ``context`` (a
    :func:`run_context`; default: this process's environment): 64 hex digits."""
    payload = {"code": code_cells(notebook), "environment": environment_fingerprint(context)}
    return _sha(json.dumps(payload, sort_keys=True).encode())


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What changed between two run contexts, in words (for "why is this copy stale?").

    >>> differences({"seed": "0", "course_lib": "aa"}, {"seed": "1", "course_lib": "bb"})
    ['course_lib changed', 'seed 0 -> 1']
    """
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key in ("course_lib", "packages"):
            out.append(f"{key} changed")
        else:
            out.append(f"{key} {a} -> {b}")
    return out


# -- Executed notebooks ------------------------------------------------------------------------------

#: Where a notebook's metadata keeps the fingerprint and report of the run that produced its outputs.
METADATA_KEY = "course_execution"
#: How many executed copies of one notebook are kept (e.g. fast and full mode, a second seed).
KEEP_PER_NOTEBOOK = 4


def executed_path(folder: Path, stem: str, fingerprint: str) -> Path:
    """Where the executed copy of notebook ``stem`` with ``fingerprint`` lives in ``folder``.

    >>> executed_path(Path("x"), "02_autograd", "ab" * 32).as_posix()
    'x/02_autograd-abababababababababab.ipynb'
    """
    return Path(folder) / f"{stem}-{fingerprint[:20]}.ipynb"


def find_executed(folder: Path, stem: str, fingerprint: str) -> Path | None:
    """The executed copy of ``stem`` whose recorded fingerprint is exactly ``fingerprint``, else None."""
    path = executed_path(folder, stem, fingerprint)
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))["metadata"].get(METADATA_KEY, {})
    except (OSError, ValueError, KeyError, AttributeError):
        return None
    return path if meta.get("fingerprint") == fingerprint else None


def other_copies(folder: Path, stem: str) -> list[Path]:
    """The executed copies of ``stem`` in ``folder``, newest first (whatever their fingerprint)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{stem}-*.ipynb") if len(p.stem) == len(stem) + 21]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def write_executed(folder: Path, stem: str, notebook: Any, fingerprint: str, context: Mapping[str, Any],
                   report: Mapping[str, Any] | None = None) -> Path:
    """Write a fully executed notebook (an nbformat node with its outputs) under its fingerprint,
    atomically, with the fingerprint, the context and the run's ``report`` (seconds, results) in its
    metadata; keep at most :data:`KEEP_PER_NOTEBOOK` copies of the notebook. Return the path."""
    import nbformat

    from .files import atomic_write

    notebook.metadata[METADATA_KEY] = {"fingerprint": fingerprint, "context": dict(context),
                                       **(dict(report) if report else {})}
    nbformat.validate(notebook)
    path = executed_path(folder, stem, fingerprint)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, nbformat.writes(notebook))
    for old in other_copies(folder, stem)[KEEP_PER_NOTEBOOK:]:
        old.unlink(missing_ok=True)
    return path


def why_stale(folder: Path, stem: str, context: Mapping[str, Any]) -> str:
    """One phrase saying why no executed copy of ``stem`` matches ``context`` (for the build's log)."""
    copies = other_copies(folder, stem)
    if not copies:
        return "not executed by a test run"
    try:
        meta = json.loads(copies[0].read_text(encoding="utf-8"))["metadata"].get(METADATA_KEY, {})
    except (OSError, ValueError, KeyError, AttributeError):
        return "its executed copy is unreadable"
    changed = differences(meta.get("context", {}), context)
    return "; ".join(changed) if changed else "its code cells changed"


__all__ = ["ENV_VARS", "METADATA_KEY", "code_cells", "differences", "distributions_digest",
           "environment_fingerprint", "executed_path", "find_executed", "notebook_fingerprint",
           "other_copies", "package_digest", "run_context", "why_stale", "write_executed"]


# -- Which notebooks a change can affect (`make check`) -----------------------------------------------

#: Files outside course_lib/ whose change can change how every notebook runs under the tests.
EVERY_NOTEBOOK = ("conftest.py", "pyproject.toml", "tests/sanitize.cfg")
_FROM_PACKAGE = re.compile(r"^[ \t]*from\s+course_lib((?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n#;]+)", re.M)
_IMPORT_PACKAGE = re.compile(r"^[ \t]*import\s+course_lib((?:\.\w+)*)", re.M)
_RELATIVE = re.compile(r"^[ \t]*from\s+(\.+)(\w+(?:\.\w+)*)?\s+import\s+(\([^)]*\)|[^\n#;]+)", re.M)
_LAZY = re.compile(r"""["']\.(\w+)["']""")  # course_lib/__init__.py's lazy names: {"get_device": ".device"}


def _module(package_dir: Path, parts: list[str]) -> str | None:
    """``["data", "sources"]`` -> ``"data/sources"`` when that module (or package) exists."""
    if not parts:
        return "__init__"
    rel = "/".join(parts)
    if (package_dir / f"{rel}.py").is_file():
        return rel
    if (package_dir / rel / "__init__.py").is_file():
        return f"{rel}/__init__"
    return None


def _names(text: str) -> list[str]:
    """``"(a, b as c)"`` -> ``["a", "b"]``."""
    return [n.split()[0] for n in text.strip("() \t\n").replace("\n", " ").split(",") if n.strip()]


def imported_modules(source: str, package_dir: Path = PACKAGE_DIR, here: str | None = None) -> set[str]:
    """The course_lib modules a piece of code imports (``"__init__"``, ``"train"``, ``"data/__init__"``);
    ``here``: the module the code is (for its relative imports).

    >>> sorted(imported_modules("import course_lib as cl\\nfrom course_lib.train import fit\\n"
    ...                         "from course_lib import plots, pick"))
    ['__init__', 'plots', 'train']
    """
    found: set[str] = set()
    for match in _IMPORT_PACKAGE.finditer(source):
        found.add(_module(package_dir, [p for p in match.group(1).split(".") if p]) or "__init__")
    for match in _FROM_PACKAGE.finditer(source):
        base = [p for p in match.group(1).split(".") if p]
        found.add(_module(package_dir, base) or "__init__")
        found.update(m for name in _names(match.group(2)) if (m := _module(package_dir, [*base, name])))
    if here is not None:
        folder = here.split("/")[:-1]
        for match in _RELATIVE.finditer(source):
            base = folder[:len(folder) - (len(match.group(1)) - 1)] if len(match.group(1)) > 1 else folder
            base = [*base, *(match.group(2) or "").split(".")] if match.group(2) else base
            base = [p for p in base if p]
            found.add(_module(package_dir, base) or "__init__")
            found.update(m for name in _names(match.group(3)) if (m := _module(package_dir, [*base, name])))
        if here.endswith("__init__"):
            found.update(m for name in _LAZY.findall(source) if (m := _module(package_dir, [*folder, name])))
    return found


def module_closure(modules: set[str], package_dir: Path = PACKAGE_DIR) -> set[str]:
    """``modules`` and every course_lib module they import, directly or not (a module also imports the
    ``__init__`` of each package above it)."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split("/")
        parents = ["/".join([*parts[:i], "__init__"]) for i in range(len(parts) - 1 if parts[-1] != "__init__"
                                                                     else len(parts) - 1)]
        path = package_dir / f"{name}.py"
        source = path.read_text(encoding="utf-8") if path.is_file() else ""
        todo += [p for p in parents if (package_dir / f"{p}.py").is_file()]
        todo += list(imported_modules(source, package_dir, here=name))
    return seen


def affected_notebooks(changed: list[str], notebooks: list[Path],
                       package_dir: Path = PACKAGE_DIR) -> dict[Path, str]:
    """The notebooks a change can affect, each with why: ``changed`` are paths relative to the
    repository (as ``git diff --name-only`` prints them).

    >>> root = PACKAGE_DIR.parent
    >>> nbs = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    >>> picked = affected_notebooks(["course_lib/gan.py"], nbs)
    >>> [p.name[:2] for p in picked], sorted(set(picked.values()))
    (['10'], ['imports course_lib.gan'])
    >>> len(affected_notebooks(["course_lib/config.py"], nbs)) == len(nbs)
    True
    """
    out: dict[Path, str] = {}
    prefix = package_dir.name + "/"
    everything = sorted(c for c in changed if c in EVERY_NOTEBOOK
                        or (c.startswith(prefix) and not c.endswith(".py") and "__pycache__" not in c))
    modules = {c[len(prefix):-3] for c in changed if c.startswith(prefix) and c.endswith(".py")}
    for nb in notebooks:
        rel = f"{nb.parent.name}/{nb.name}"
        if rel in changed:
            out[nb] = "changed"
            continue
        if everything:
            out[nb] = f"{everything[0]} changed (every notebook)"
            continue
        uses = module_closure(imported_modules("\n".join(code_cells(nb)), package_dir), package_dir)
        hit = sorted(modules & uses)
        if hit:
            direct = imported_modules("\n".join(code_cells(nb)), package_dir)
            shown = [m.replace("/__init__", "").replace("__init__", "").replace("/", ".") for m in hit]
            how = "imports" if set(hit) <= direct else "depends on"
            out[nb] = f"{how} " + ", ".join(f"course_lib.{m}".rstrip(".") for m in shown)
    return out


def changed_files(base: str = "main", root: Path | None = None) -> list[str]:
    """Files that differ from ``base`` (committed or not) plus untracked ones, relative to the repository."""
    import subprocess

    root = root or PACKAGE_DIR.parent

    def git(*args: str) -> list[str]:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout
        return [line for line in out.splitlines() if line]

    untracked = git("ls-files", "--others", "--exclude-standard")
    return sorted(set(git("diff", "--name-only", base)) | set(untracked))


def main(argv: list[str] | None = None) -> int:
    """``python -m course_lib.fingerprint affected [--base main]``: print the notebooks a change can
    affect, one path a line (the reasons go to stderr)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_lib.fingerprint")
    sub = parser.add_subparsers(dest="command", required=True)
    affected = sub.add_parser("affected", help="notebooks changed versus BASE or importing changed code")
    affected.add_argument("--base", default="main")
    affected.add_argument("--notebooks", type=Path, default=PACKAGE_DIR.parent / "notebooks")
    args = parser.parse_args(argv)
    changed = changed_files(args.base)
    notebooks = sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb"))
    picked = affected_notebooks(changed, notebooks)
    print(f"{len(changed)} file(s) differ from {args.base}; {len(picked)} of {len(notebooks)} notebooks "
          "to run" + (":" if picked else "."), file=sys.stderr)
    for nb, why in picked.items():
        print(f"  {nb.name}: {why}", file=sys.stderr)
    root = PACKAGE_DIR.parent
    for nb in picked:
        print(nb.relative_to(root) if nb.is_relative_to(root) else nb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
