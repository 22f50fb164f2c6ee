"""Run the notebooks under the variations a learner's machine brings, and report how far each headline moves.

    python scripts/robustness.py run seed1               # one variation, every notebook (fast mode)
    python scripts/robustness.py run seed1 --only 03,10  # some notebooks (results merge into the same run)
    python scripts/robustness.py run seed1 --full        # full mode
    python scripts/robustness.py report                  # docs/robustness.md from every run on disk
    python scripts/robustness.py all                     # `make robustness`: every variation, then the report

A *variation* changes one thing from the default run, as another laptop would: the seed (``COURSE_SEED``),
the CPU kernel path (``ATEN_CPU_CAPABILITY``, which changes the instructions and the order of reductions),
the thread count, or the device (the simulated accelerator, ``COURSE_DEVICE=fakegpu``). Each one keeps its
data, results and pytest log in ``data/robustness/<mode>/<variation>/`` (git-ignored), so runs can be made
one at a time, on different days, and the report gathers whatever is there. Every run records the commit
it ran, so a report never passes off an old run as the current code's.

The report gives, per headline metric, the min / median / max over the runs, the target and the smallest
margin (how far the worst run stayed from the target), and per notebook which runs passed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "data" / "robustness"
REPORT = ROOT / "docs" / "robustness.md"

#: name -> (environment changes, what it stands for). One change from the default at a time.
VARIATIONS: dict[str, tuple[dict[str, str], str]] = {
    "default": ({}, "seed 0, this CPU's best kernels, all cores"),
    "seed1": ({"COURSE_SEED": "1"}, "another seed"),
    "seed2": ({"COURSE_SEED": "2"}, "a third seed"),
    "isa-default": ({"ATEN_CPU_CAPABILITY": "default"}, "no SIMD kernels (an old or different CPU)"),
    "isa-avx2": ({"ATEN_CPU_CAPABILITY": "avx2"}, "AVX2 kernels (most laptops)"),
    "threads1": ({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
                 "one thread (reductions in another order)"),
    "fakegpu": ({"COURSE_DEVICE": "fakegpu"}, "the simulated accelerator (device code paths)"),
}
#: Full mode is long: the headlines it asserts, under two seeds.
FULL_VARIATIONS = ("default", "seed1")


def notebooks(only: set[str] | None) -> list[Path]:
    found = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return [p for p in found if only is None or p.name[:2] in only]


def run_dir(name: str, full: bool) -> Path:
    return BASE / ("full" if full else "fast") / name


def commit() -> str:
    """The commit the notebooks ran at, with ``+dirty`` when notebooks or course_lib had local changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "notebooks", "course_lib"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def probe(env: dict[str, str]) -> dict[str, str]:
    """What the variation really gave: torch's version, its CPU kernel path and thread count."""
    code = ("import json, torch; print(json.dumps({'torch': torch.__version__, "
            "'threads': torch.get_num_threads(), "
            "'cpu_capability': torch.backends.cpu.get_cpu_capability()}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def notebook_outcomes(junit: Path) -> dict[str, bool]:
    """Notebook number -> True if every one of its cells passed, from pytest's JUnit XML."""
    outcomes: dict[str, bool] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        where = case.get("file") or case.get("classname") or ""
        name = Path(where.replace(".", "/").replace("/ipynb", ".ipynb")).name if "ipynb" in where else ""
        if not (name[:2].isdigit() and name[2:3] == "_"):
            continue
        failed = any(child.tag in {"failure", "error"} for child in case)
        outcomes[name[:2]] = outcomes.get(name[:2], True) and not failed
    return outcomes


#: Every switch a variation may set: the caller's shell must not add a second change to a run.
SWITCHES = ("COURSE_SEED", "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "COURSE_DEVICE")


def variation_env(name: str, full: bool, data: Path, base: dict[str, str]) -> dict[str, str]:
    """The environment of one variation's run: ``base`` less every switch, then the variation's change.

    >>> env = variation_env("seed1", False, Path("/tmp/x"), {"COURSE_DEVICE": "fakegpu", "PATH": "/bin"})
    >>> env["COURSE_SEED"], "COURSE_DEVICE" in env, env["COURSE_FAST"], env["PATH"]
    ('1', False, '1', '/bin')
    """
    env = {k: v for k, v in base.items() if k not in SWITCHES}
    env.update(COURSE_FAST="0" if full else "1", COURSE_DATA_DIR=str(data), COURSE_OFFLINE="1")
    env.update(VARIATIONS[name][0])
    return env


def same_as_default(name: str, env: dict[str, str], default_env: dict[str, str]) -> str:
    """Why a variation changes nothing on this machine ('' when it does change something).

    ``ATEN_CPU_CAPABILITY=avx2`` on a CPU whose best kernels are AVX2 selects the kernels the default run
    uses already: the two runs are the same computation."""
    if "ATEN_CPU_CAPABILITY" not in VARIATIONS[name][0]:
        return ""
    mine, default = probe(env), probe(default_env)
    if mine == default:
        return f"this CPU's best kernel path is {default['cpu_capability']} already"
    return ""


def run(name: str, full: bool, only: set[str] | None) -> int:
    """Run the notebooks under one variation; merge the outcome into the variation's ``runs.json``."""
    changes, _ = VARIATIONS[name]
    out = run_dir(name, full)
    out.mkdir(parents=True, exist_ok=True)
    env = variation_env(name, full, out, os.environ)
    paths = notebooks(only)
    same = same_as_default(name, env, variation_env("default", full, out, os.environ))
    if same:
        # Running it would repeat the default run bit for bit: say so instead of pretending to a variation.
        (out / "runs.json").write_text(json.dumps({"variation": name, "mode": "full" if full else "fast",
                                                   "env": changes, "same_as": "default", "why": same,
                                                   **probe(env), "notebooks": {}}, indent=1, sort_keys=True))
        print(f"robustness: {name} is the default run on this machine ({same}); not run", flush=True)
        return 0
    junit = out / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", f"--junitxml={junit}",
           "-o", "junit_family=xunit1", *map(str, paths)]
    print(f"robustness: {name} ({'full' if full else 'fast'} mode), {len(paths)} notebooks, data in {out}",
          flush=True)
    start = time.time()
    with open(out / "pytest.log", "a", encoding="utf-8") as log:
        rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = time.time() - start
    outcomes = notebook_outcomes(junit) if junit.exists() else {}
    meta_path = out / "runs.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {"notebooks": {}}
    meta.update(variation=name, mode="full" if full else "fast", env=changes, **probe(env))
    for nb in (p.name[:2] for p in paths):
        meta["notebooks"][nb] = {"passed": outcomes.get(nb, False), "commit": commit(), "started": start,
                                 "when": time.time()}
    meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True))
    failed = sorted(nb for nb in (p.name[:2] for p in paths) if not outcomes.get(nb, False))
    print(f"robustness: {name} took {seconds:.0f} s; "
          + (f"FAILED notebooks {', '.join(failed)} (see {out / 'pytest.log'})" if failed else "all passed"),
          flush=True)
    return rc


def latest_results(folder: Path, full: bool, started: dict[str, float] | None = None
                   ) -> dict[tuple[str, str], dict]:
    """(notebook, metric) -> the newest result row of that mode in the folder's results.jsonl.

    ``started``: notebook -> when its latest run began; a metric that run no longer records (an older
    row) is left out, so a headline dropped from a notebook does not linger in the report."""
    rows: dict[tuple[str, str], dict] = {}
    path = folder / "results.jsonl"
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if started and row["timestamp"] < started.get(row["notebook"], 0.0):
            continue
        if bool(row.get("fast", True)) == (not full):
            key = (row["notebook"], row["metric"])
            if key not in rows or row["timestamp"] >= rows[key]["timestamp"]:
                rows[key] = row
    return rows


def margin(row: dict) -> float:
    """How far a result is on the good side of its target (negative: it missed)."""
    return row["value"] - row["target"] if row["higher_is_better"] else row["target"] - row["value"]


def fmt(x: float) -> str:
    return f"{x:.4g}"


def mode_section(full: bool) -> list[str]:
    mode = "full" if full else "fast"
    names = [n for n in VARIATIONS if (run_dir(n, full) / "runs.json").exists()]
    if not names:
        return [f"## {mode.capitalize()} mode", "", "No run yet.", ""]
    metas = {n: json.loads((run_dir(n, full) / "runs.json").read_text()) for n in names}
    results = {n: latest_results(run_dir(n, full), full,
                                 {nb: info.get("started", 0.0) for nb, info in metas[n]["notebooks"].items()})
               for n in names}
    lines = [f"## {mode.capitalize()} mode", "", "| run | what it changes | torch | CPU kernels | threads |",
             "|---|---|---|---|---|"]
    for n in names:
        m = metas[n]
        changes = ", ".join(f"`{k}={v}`" for k, v in m["env"].items()) or "nothing"
        same = (f" — **the default run on this machine** ({m['why']}), not run twice"
                if m.get("same_as") else "")
        lines.append(f"| {n} | {changes}: {VARIATIONS[n][1]}{same} | {m['torch']} | {m['cpu_capability']} "
                     f"| {m['threads']} |")
    lines += ["", "### Headlines", "",
              "Margin: how far the worst run stayed on the good side of the target (negative = missed); "
              "relative: that margin over the target.", "",
              "| notebook | metric | target | runs | min | median | max | smallest margin | relative "
              "| worst run |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    keys = sorted({k for r in results.values() for k in r})
    for key in keys:
        rows = {n: results[n][key] for n in names if key in results[n]}
        values = [r["value"] for r in rows.values()]
        worst = min(rows, key=lambda n: margin(rows[n]))
        target = rows[worst]["target"]
        sign = "≥" if rows[worst]["higher_is_better"] else "≤"
        rel = f"{margin(rows[worst]) / abs(target):+.0%}" if target else "—"
        lines.append(f"| {key[0]} | {key[1]} | {sign} {fmt(target)} | {len(rows)} | {fmt(min(values))} "
                     f"| {fmt(statistics.median(values))} | {fmt(max(values))} | {fmt(margin(rows[worst]))} "
                     f"| {rel} | {worst} |")
    nbs = sorted({nb for m in metas.values() for nb in m["notebooks"]})
    lines += ["", "### Notebooks: which runs passed", "",
              "Every cell of the notebook, asserts included. `—`: not run in this variation.", "",
              "| notebook | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for nb in nbs:
        cells = []
        for n in names:
            source = metas.get(metas[n].get("same_as"), metas[n])  # an aliased run shows the default's
            info = source["notebooks"].get(nb)
            mark = " (= default)" if metas[n].get("same_as") and info is not None else ""
            cells.append("—" if info is None else ("pass" if info["passed"] else "**FAIL**") + mark)
        lines.append(f"| {nb} | " + " | ".join(cells) + " |")
    commits = sorted({info["commit"] for m in metas.values() for info in m["notebooks"].values()})
    lines += ["", f"Commits these runs executed: {', '.join(f'`{c}`' for c in commits)}.", ""]
    return lines


def report() -> str:
    lines = ["# Robustness: the headlines under other seeds, CPUs, thread counts and devices", "",
             "Written by `make robustness` (`scripts/robustness.py`); do not edit by hand. Each run",
             "changes one thing from the default, as another machine would. An assert in a notebook must",
             "pass in every run.",
             ""]
    for full in (False, True):
        lines += mode_section(full)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("run", help="run the notebooks under one variation")
    one.add_argument("variation", choices=list(VARIATIONS))
    one.add_argument("--full", action="store_true")
    one.add_argument("--only", default="", help="comma-separated notebook numbers, e.g. 03,10")
    sub.add_parser("report", help=f"write {REPORT.relative_to(ROOT)} from the runs on disk")
    every = sub.add_parser("all", help="every variation in fast mode (and --full: two seeds in full mode)")
    every.add_argument("--full", action="store_true")
    every.add_argument("--only", default="")
    args = parser.parse_args(argv)
    only = {n.strip().zfill(2) for n in getattr(args, "only", "").split(",") if n.strip()} or None
    rc = 0
    if args.command == "run":
        rc = run(args.variation, args.full, only)
    elif args.command == "all":
        for name in VARIATIONS:
            rc |= run(name, False, only)
        if args.full:
            for name in FULL_VARIATIONS:
                rc |= run(name, True, only)
    text = report()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    print(f"wrote {REPORT}")
    return 1 if rc else 0


if __name__ == "__main__":
    sys.exit(main())
