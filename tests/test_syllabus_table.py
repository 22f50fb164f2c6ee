"""The Chinese sites' syllabus table (the start page's ``{course-syllabus}``): headers, topics, metric
names and verdicts in the site's language, the numbers and links exactly as in English. And the headline
lines the notebooks print (``course_lib.report.record`` and ``note``), which a translated site shows from
the English run: put in the site's language as a learner running the translated notebook sees them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from course_lib import messages, report
from course_lib.report import Result, format_table, translate_printed
from course_lib.syllabus import SYLLABUS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "site" / "_ext"))

ROWS = [Result("08", "test_accuracy", 0.9851, 0.975, True, True, "cpu", 40.0, True, 1.0e9),
        Result("09", "test_auc", 0.81, 0.9, True, False, "cpu", 12.0, True, 1.0e9)]
TIMES = {"08": 40.4, "09": 12.0}
HAN = re.compile(r"[\u4e00-\u9fff]")


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_english_table_is_unchanged():
    table = format_table(ROWS, TIMES, fast=True).splitlines()
    assert table[0] == "| # | topic | seconds | metric | value | target | result |"
    assert "| 08 | CNN image classification (MNIST) | 40 | test_accuracy | 0.9851 | ≥ 0.975 | pass |" in table
    assert "| 09 | Medical imaging: lung CT | 12 | test_auc | 0.81 | ≥ 0.9 | FAIL |" in table
    assert "| 01 | Tensors | — | — | — | — | not run |" in table
    assert table[-1] == "Total notebook time: 52 s over 2 notebooks."


@pytest.mark.parametrize(("lang", "words"), [
    ("zh_CN", ["主题", "用时（秒）", "指标", "数值", "目标", "结果"]),
    ("zh_TW", ["主題", "用時（秒）", "指標", "數值", "目標", "結果"]),
])
def test_chinese_table_translates_headers_topics_metrics_and_verdicts(lang, words):
    english = format_table(ROWS, TIMES, fast=True).splitlines()
    table = format_table(ROWS, TIMES, fast=True, lang=lang).splitlines()
    assert cells(table[0]) == ["#", *words]
    assert len(table) == len(english) and table[1] == english[1]
    rows = {cells(line)[0]: cells(line) for line in table[2:] if re.match(r"^\| \d\d \|", line)}
    assert set(rows) == set(SYLLABUS)
    for num, row in rows.items():  # every topic is Chinese; numbers, targets and the row's shape stay
        assert HAN.search(row[1]), f"{num}: {row[1]!r} not translated"
        assert row[1] == messages.tr(SYLLABUS[num][1], "syllabus", lang)
    en = {cells(line)[0]: cells(line) for line in english[2:] if re.match(r"^\| \d\d \|", line)}
    for num in ("08", "09"):
        assert rows[num][2:6:2] == en[num][2:6:2] and rows[num][5] == en[num][5]  # seconds, value, target
        assert HAN.search(rows[num][3]) and rows[num][3] == messages.tr(en[num][3], "metric", lang)
    assert rows["08"][6] == messages.tr("pass", "site", lang) != "pass"
    assert rows["09"][6] == messages.tr("FAILED", "site", lang) != "FAILED"
    assert HAN.search(rows["01"][6]) and rows["01"][2:6] == ["—"] * 4
    assert "52" in table[-1] and "2" in table[-1] and HAN.search(table[-1])
    if lang == "zh_CN":
        assert rows["15"][1] == "扩展规模与发布模型" and rows["08"][3] == "测试准确率"
    else:
        assert rows["15"][1] == "擴展規模與發布模型" and rows["08"][3] == "測試準確率"


def test_the_start_pages_syllabus_is_in_the_sites_language(monkeypatch, tmp_path):
    pytest.importorskip("sphinx")
    from course_site import syllabus_markdown

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))  # an empty report: every row "not run"
    text = syllabus_markdown(True, present={"02"}, lang="zh_CN")
    assert "| # | 主题 | 用时（秒） | 指标 | 数值 | 目标 | 结果 |" in text
    assert "| [02](notebooks/02_autograd.ipynb) | 自动求导 |" in text and "| 03 | nn 模块 |" in text
    assert "未运行" in text and "not run" not in text and "topic" not in text
    assert "快速模式" in text


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW"])
def test_printed_headline_lines_read_as_in_the_translated_notebook(lang, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    printed = {}
    for shown in ("en", lang):  # what record() and note() print in each language
        monkeypatch.setenv("COURSE_LANG", shown)
        report.record(notebook="08", metric="test_accuracy", value=0.98512, target=0.975, device="cpu")
        report.record(notebook="09", metric="test_auc", value=0.8, target=0.9, device="cpu")
        report.record(notebook="13", metric="val_loss", value=2.5, target=3.0, higher_is_better=False,
                      device="cpu")
        report.note(notebook="13", name="lookup_bleu", value=14.7)
        printed[shown] = capsys.readouterr().out
    english = "epoch 3: loss 0.12\n" + printed["en"] + "done\n"
    assert translate_printed(english, lang) == "epoch 3: loss 0.12\n" + printed[lang] + "done\n"
    assert printed[lang] != printed["en"] and translate_printed(english, "en") == english


def test_a_translated_page_shows_its_headline_lines_translated():
    pytest.importorskip("sphinx")
    from course_site import translate_outputs
    from docutils import nodes

    line = "[08] test_accuracy = 0.9851 (target >= 0.975) PASS\n"
    doctree = nodes.document(None, None)
    for classes in (["output", "stream"], ["highlight-python"]):  # an output, and code that prints it
        block = nodes.literal_block(line, line)
        block["classes"] += classes
        doctree += block

    class App:
        class config:
            language = "zh_TW"

        class env:
            docname = "notebooks/08_cnn_image_classification"

    translate_outputs(App, doctree)
    output, code = doctree.findall(nodes.literal_block)
    assert output.astext() == output.rawsource == translate_printed(line, "zh_TW") != line
    assert "測試準確率" in output.astext() and code.astext() == line
    App.config.language = "en"
    english = nodes.document(None, None)
    english += nodes.literal_block(line, line, classes=["output", "stream"])
    translate_outputs(App, english)
    assert english.astext() == line
