"""The README's context lines (the baselines behind the headlines) are generated from a run's numbers:
the README's block is its template with numbers only where the template has fields, and every field
names a number that its notebook records (``course_lib.report.note`` or ``record``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.report import SYLLABUS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import update_readme  # noqa: E402

README = (ROOT / "README.md").read_text(encoding="utf-8")
TEMPLATE = update_readme.CONTEXT_TEMPLATE.read_text(encoding="utf-8")
#: a notebook's code that records a number: note(notebook="08", name="x", ...) or record(..., metric="x", ...)
RECORDS = re.compile(r"\b(?:note|record)\(\s*notebook=\"(\d\d)\",\s*(?:name|metric)=\"(\w+)\"")
#: numbers the template may write as text, because no run measures them (each with its reason)
LITERALS = {
    "95 %": "the confidence level of an interval, a choice",
    "8×8": "the digits' image size, a property of the data",
}


def recorded_numbers() -> set[tuple[str, str]]:
    found = set()
    for num, (stem, _) in SYLLABUS.items():
        nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                found |= {(nb_num, name) for nb_num, name in RECORDS.findall(cell.source) if nb_num == num}
    return found


def test_the_readme_block_is_the_template_with_numbers_only_in_its_fields():
    block = update_readme.readme_context(README)
    assert update_readme.context_pattern(TEMPLATE).fullmatch(block), (
        "README.md's context lines are not scripts/readme_context.md filled in: edit the template, then "
        "`make readme-context` (a number typed into the README by hand fails this test)")


def test_every_field_is_a_number_its_notebook_records():
    recorded = recorded_numbers()
    fields = update_readme.context_fields(TEMPLATE)
    assert fields, "the template has fields"
    missing = sorted({f"{mode}:{nb}.{name}" for mode, nb, name in fields if (nb, name) not in recorded})
    assert not missing, f"fields that no notebook records with note(...) or record(...): {missing}"


def test_the_template_writes_no_number_by_hand():
    text = update_readme.FIELD.sub("", TEMPLATE)
    for literal in LITERALS:
        text = text.replace(literal, "")
    text = re.sub(r"\*\*[^*]*\*\*", "", text)          # bold labels name notebooks: **01 / 03:**
    text = re.sub(r"`[^`]*`", "", text)                # code: file names, commands
    text = re.sub(r"\b(?:notebook|in|of|to|from|and) \d\d\b", "", text)  # "in 08": a notebook's number
    by_hand = re.findall(r".{0,30}\d.{0,30}", text)
    assert not by_hand, (f"a number written by hand in scripts/readme_context.md: {by_hand} — make it a "
                         "field such as {fast:08.error_ratio:.1f} that its notebook records with note()")


def test_a_hand_edited_number_or_an_old_template_is_caught():
    values = {"fast": {(nb, name): 0.5 for _, nb, name in update_readme.context_fields(TEMPLATE)},
              "full": {(nb, name): 0.5 for _, nb, name in update_readme.context_fields(TEMPLATE)}}
    rendered = update_readme.render_context(TEMPLATE, values)
    pattern = update_readme.context_pattern(TEMPLATE)
    assert pattern.fullmatch(rendered)
    assert pattern.fullmatch(update_readme.render_context(TEMPLATE, {}))  # no run yet: every field is "—"
    first_field = update_readme.FIELD.search(TEMPLATE)
    edited = rendered.replace("0.5", "0.5 (3 runs)", 1)
    assert not pattern.fullmatch(edited), "a number added by hand next to a field"
    words = rendered.replace(" the ", " a ", 1)
    assert not pattern.fullmatch(words), "the README's wording drifted from the template"
    assert first_field is not None


@pytest.mark.parametrize("spec, value, shown", [(".3f", 0.98765, "0.988"), (".1f", 2.44, "2.4"),
                                                 (".0f", 31.0, "31"), ("+.1f", -2.76, "-2.8")])
def test_fields_render_as_the_pattern_expects(spec, value, shown):
    template = f"x {{fast:08.r:{spec}}} y"
    out = update_readme.render_context(template, {"fast": {("08", "r"): value}})
    assert out == f"x {shown} y"
    assert update_readme.context_pattern(template).fullmatch(out)


def test_the_full_mode_column_lines_up_with_the_fast_metrics():
    from course_lib.report import Result

    def result(metric, value, fast):
        return Result("15", metric, value, 1e-4, False, True, "cpu", 1.0, fast, 0.0)

    full = {("15", m): result(m, v, False) for m, v in (("ddp", 0.0), ("fsdp", 0.0), ("resume", 0.0))}
    _, shown = update_readme._cells("15", False, full, {}, fast_metrics=["ddp", "export", "resume"])
    # export was not recorded in full mode: "—" in its place, not the next metric's value; fsdp is named
    assert shown == "0; —; 0; fsdp = 0 (≤ 0.0001), full mode only"
    assert update_readme._cells("07", False, {}, {}, fast_metrics=["test_accuracy"]) == ("—", "—")
