"""scripts/robustness.py: the variations, the JUnit parsing and the report (no notebook is run here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import robustness  # noqa: E402

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="notebooks.03_nn_modules.ipynb" name="Cell 0" file="notebooks/03_nn_modules.ipynb"/>
<testcase classname="notebooks.03_nn_modules.ipynb" name="Cell 1" file="notebooks/03_nn_modules.ipynb"/>
<testcase classname="notebooks.10_gan_image_generation.ipynb" name="Cell 0"
  file="notebooks/10_gan_image_generation.ipynb"/>
<testcase classname="notebooks.10_gan_image_generation.ipynb" name="Cell 31"
  file="notebooks/10_gan_image_generation.ipynb"><failure message="AssertionError">x</failure></testcase>
<testcase classname="tests.test_core" name="test_x" file="tests/test_core.py"/>
</testsuite></testsuites>"""


def test_one_failed_cell_fails_its_notebook(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    assert robustness.notebook_outcomes(junit) == {"03": True, "10": False}


def test_each_variation_changes_one_thing_from_the_default():
    caller = {"COURSE_SEED": "2", "ATEN_CPU_CAPABILITY": "avx512", "OMP_NUM_THREADS": "1", "HOME": "/root"}
    default = robustness.variation_env("default", False, Path("/d"), caller)
    assert not set(robustness.SWITCHES) & set(default) and default["HOME"] == "/root"
    for name, (changes, _) in robustness.VARIATIONS.items():
        env = robustness.variation_env(name, True, Path("/d"), caller)
        assert {k: env[k] for k in robustness.SWITCHES if k in env} == changes
        assert env["COURSE_FAST"] == "0" and env["COURSE_DATA_DIR"] == "/d"
    assert {"seed1", "seed2", "isa-default", "isa-avx2", "threads1", "fakegpu"} <= set(robustness.VARIATIONS)


@pytest.mark.parametrize(("row", "expected"), [
    ({"value": 0.97, "target": 0.95, "higher_is_better": True}, 0.02),
    ({"value": 0.93, "target": 0.95, "higher_is_better": True}, -0.02),
    ({"value": 30.0, "target": 39.7, "higher_is_better": False}, 9.7),
    ({"value": 41.0, "target": 39.7, "higher_is_better": False}, -1.3),
])
def test_margin_is_positive_on_the_good_side_only(row, expected):
    assert robustness.margin(row) == pytest.approx(expected)


def _fake_run(base: Path, name: str, rows: list[tuple], passed: dict[str, bool]) -> None:
    folder = base / "fast" / name
    folder.mkdir(parents=True)
    lines = [json.dumps({"notebook": nb, "metric": m, "value": v, "target": t, "higher_is_better": hib,
                         "passed": True, "device": "cpu", "seconds": 1.0, "fast": True, "timestamp": 1.0})
             for nb, m, v, t, hib in rows]
    (folder / "results.jsonl").write_text("\n".join(lines) + "\n")
    meta = {"variation": name, "mode": "fast", "env": robustness.VARIATIONS[name][0], "torch": "2.x",
            "cpu_capability": "AVX2", "threads": 2,
            "notebooks": {nb: {"passed": ok, "commit": "abc1234", "when": 1.0} for nb, ok in passed.items()}}
    (folder / "runs.json").write_text(json.dumps(meta))


def test_report_gives_spread_worst_run_and_failures(tmp_path, monkeypatch):
    monkeypatch.setattr(robustness, "BASE", tmp_path)
    _fake_run(tmp_path, "default", [("10", "gan_frechet_distance", 30.0, 39.7, False)], {"10": True})
    _fake_run(tmp_path, "seed1", [("10", "gan_frechet_distance", 36.0, 39.7, False)], {"10": True})
    _fake_run(tmp_path, "threads1", [("10", "gan_frechet_distance", 41.0, 39.7, False)], {"10": False})
    text = robustness.report()
    row = next(line for line in text.splitlines() if "gan_frechet_distance" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    # notebook, metric, target, runs, min, median, max, smallest margin, relative, worst run
    assert cells[2:8] == ["≤ 39.7", "3", "30", "36", "41", "-1.3"] and cells[9] == "threads1"
    table = next(line for line in text.splitlines() if line.startswith("| 10 |") and "pass" in line)
    assert table.count("pass") == 2 and "**FAIL**" in table
    assert "Full mode" in text and "No run yet." in text


def test_a_kernel_path_this_cpu_uses_already_is_not_run_twice(tmp_path, monkeypatch):
    """On an AVX2 machine ``ATEN_CPU_CAPABILITY=avx2`` is the default run: recorded as that, not rerun."""
    kernels = {"avx2": "AVX2", "default": "DEFAULT"}
    monkeypatch.setattr(robustness, "probe", lambda env: {
        "torch": "2.x", "threads": 2, "cpu_capability": kernels.get(env.get("ATEN_CPU_CAPABILITY"), "AVX2")})
    env = robustness.variation_env
    assert robustness.same_as_default("isa-avx2", env("isa-avx2", False, tmp_path, {}),
                                      env("default", False, tmp_path, {})) == \
        "this CPU's best kernel path is AVX2 already"
    assert robustness.same_as_default("isa-default", env("isa-default", False, tmp_path, {}),
                                      env("default", False, tmp_path, {})) == ""
    assert robustness.same_as_default("seed1", env("seed1", False, tmp_path, {}),
                                      env("default", False, tmp_path, {})) == ""

    monkeypatch.setattr(robustness, "BASE", tmp_path)
    monkeypatch.setattr(robustness.subprocess, "run", lambda *a, **k: pytest.fail("nothing may run"))
    assert robustness.run("isa-avx2", False, None) == 0
    _fake_run(tmp_path, "default", [("08", "test_accuracy", 0.985, 0.98, True)], {"08": True})
    text = robustness.report()
    assert "**the default run on this machine** (this CPU's best kernel path is AVX2 already)" in text
    row = next(line for line in text.splitlines() if line.startswith("| 08 |") and "pass" in line)
    assert row.split("|")[2:4] == [" pass ", " pass (= default) "]
    headline = next(line for line in text.splitlines() if "test_accuracy" in line)
    assert headline.split("|")[4].strip() == "1"  # one run, not two copies of it
