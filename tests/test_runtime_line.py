"""Each notebook's "Measured runtime" line is generated from the README's syllabus table (the report's
numbers), and every language renders it from the same numbers."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from course_lib import i18n
from course_lib.report import SYLLABUS, parse_runtime_header, runtime_header

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import update_readme  # noqa: E402

README = (ROOT / "README.md").read_text(encoding="utf-8")


def first_markdown(path: Path) -> str:
    return next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown").source


def test_every_notebook_shows_the_tables_times():
    times = update_readme.table_times(README)
    assert set(times) == set(SYLLABUS), "every notebook has a row with its times in the syllabus table"
    assert update_readme.stale_notebooks(README, write=False) == [], "run `make readme`"
    for num, (stem, _) in SYLLABUS.items():
        lines = [b for b in i18n.split_blocks(first_markdown(ROOT / "notebooks" / f"{stem}.ipynb"))
                 if parse_runtime_header(b)]
        assert [parse_runtime_header(b) for b in lines] == [times[num]]


def test_a_new_measurement_makes_the_notebooks_stale():
    row = next(line for line in README.splitlines() if line.startswith("| 03 |"))
    cells = row.split("|")
    cells[4] = " 999 s "  # the fast-mode time column
    changed = README.replace(row, "|".join(cells))
    assert update_readme.table_times(changed)["03"][0] == "16.6 min"
    assert update_readme.stale_notebooks(changed, write=False) == ["03_nn_modules.ipynb"]


def test_the_line_replaces_the_old_paragraph_and_refuses_a_cell_without_one():
    old = "# Title\n\n**Expected runtime:** about a minute on a laptop.\n\nThe lesson."
    new = update_readme.with_runtime_line(old, "25 s", "not measured")
    assert new == f"# Title\n\n{runtime_header('25 s', 'not measured')}\n\nThe lesson."
    assert update_readme.with_runtime_line(new, "30 s", "2.0 min").count("Measured runtime") == 1
    with pytest.raises(ValueError, match="no runtime paragraph"):
        update_readme.with_runtime_line("# Title\n\nNo times here.", "1 s", "1 s")


@pytest.mark.parametrize(("lang", "word"), [("zh_CN", "实测运行时间"), ("zh_TW", "實測執行時間")])
def test_translations_render_the_same_numbers(lang, word):
    stem = SYLLABUS["08"][0]
    fast, full = update_readme.table_times(README)["08"]
    nb, _ = i18n.translate_notebook(ROOT / "notebooks" / f"{stem}.ipynb",
                                    i18n.catalog_path(ROOT / "locale", "zh_CN", f"{stem}.ipynb"), lang)
    first = next(c for c in nb.cells if c.cell_type == "markdown").source
    assert word in first and "Measured runtime" not in first
    for duration in (fast, full):
        assert duration.split()[0] in first
    # not a message of the catalogs: nothing to translate again when the numbers change
    assert not any(parse_runtime_header(e.msgid) for e in i18n.extract(ROOT / "notebooks" / f"{stem}.ipynb"))
