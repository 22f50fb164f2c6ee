"""Every result-like number in a notebook's prose is backed by something (issue 22: "numbers that
nothing checks").

A number a learner reads as a result (a decimal such as 0.41, a percentage, a factor such as 3.2×) must be
one of:

* a literal the notebook's code states: a setting it uses or a bound it asserts (``0.97`` in ``assert acc >=
  0.97``; "98 %" matches a literal 0.98 or 98) — true by construction, found automatically; or
* listed for that notebook in ``tests/prose_numbers.toml`` with its kind:

  - ``asserted``  a measured value the code checks: ``code`` holds a fragment of that check, which must
    be in the notebook's code (delete the assert and this test fails);
  - ``recorded``  a measured value the notebook ``record()``s: ``code`` holds the ``record(`` call's fragment;
  - ``derived``   arithmetic on other stated numbers (``why`` shows it, e.g. 1 − 0.1 + 0.1/10 = 0.91);
  - ``fact``      a property of the world or of a library, not of our runs (``why`` gives the source);
  - ``history``   what an earlier run measured, told as history (``why`` says where it was measured);
  - ``illustration`` a made-up example, not a claim about our runs.

Not counted: the generated "**Measured runtime**" line (tests/test_runtime_line.py checks it), math
(``$...$``), code spans, section numbers ("### 6.1", "section 1.2"), version numbers (Python 3.10,
PyTorch 2.6) and image sizes (28×28). The ledger cannot go stale: each entry must still occur in the
notebook's prose.
"""

from __future__ import annotations

import re

import pytest
import tomllib

from course_lib.report import RUNTIME_PREFIX
from course_lib.traditional import split_protected
from tests.nbutil import NOTEBOOKS, ROOT, load, source

LEDGER_PATH = ROOT / "tests" / "prose_numbers.toml"
KINDS = {"asserted", "recorded", "derived", "fact", "history", "illustration"}
NEEDS_CODE = {"asserted", "recorded"}

# A decimal, a percentage or a factor; not part of a longer token (1.2.3, v0.18, §6.1, x86_64).
NUMBER = re.compile(r"(?<![\w.§/-])(\d+(?:\.\d+)?)(\s?%|\s?×|x\b)?(?![\w.]*\d)")
# What is not a result: versions, section references, sizes.
_VERSION = re.compile(r"(?:Python|PyTorch|torch|torchvision|torchtext|version|release|CUDA|≤|≥|<=|>=)\s*$",
                      re.I)
_SECTION = re.compile(r"(?:section|sections|§|and|Section)\s*$")


def _prose(markdown: str) -> str:
    """A markdown cell's prose: no math, code, HTML comments, links' targets or headings' numbers."""
    # Code, math and link targets: the spans the zh_TW conversion leaves alone, found the same way.
    text = "".join(" " if protected else part for part, protected in split_protected(markdown))
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"^#+\s*\d+(?:\.\d+)*", "#", text, flags=re.M)  # "### 6.1 Cleaning"
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(RUNTIME_PREFIX)]
    return "\n".join(lines)


def result_numbers(markdown: str) -> list[str]:
    """The result-like numbers of a markdown cell, as written ("0.41", "94 %", "3.2×").

    >>> result_numbers("It reaches 0.97 (section 6.1; PyTorch 2.6), 94 % of pairs, 3.2× the noise, 28×28.")
    ['0.97', '94 %', '3.2×']
    """
    text = _prose(markdown)
    found = []
    for m in NUMBER.finditer(text):
        number, unit = m.group(1), (m.group(2) or "")
        before, after = text[:m.start()], text[m.end():]
        if unit.strip() in ("×", "x") and re.match(r"\s?\d", after):
            continue  # 28×28: a size
        if re.search(r"\d\s?×\s?$", before):
            continue  # the second half of 28×28
        if not unit and "." not in number:
            continue  # a plain integer: counts, epochs, sizes -- too many to mean "a result"
        if _VERSION.search(before) or _SECTION.search(before):
            continue
        found.append(number + unit)
    return found


def _value(written: str) -> set[float]:
    """The literals that state ``written``: 94 % is 94 or 0.94; 3.2× is 3.2."""
    number = float(re.match(r"[\d.]+", written).group())
    return {number, round(number / 100, 6)} if "%" in written else {number}


def code_literals(code: str) -> set[float]:
    """Every numeric literal in the code (1e-3, 0.98, 20), as floats."""
    literals = set()
    for m in re.finditer(r"(?<![\w.])(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)(?![\w.])", code):
        try:
            literals.add(round(float(m.group(1)), 6))
        except ValueError:
            pass
    return literals


def ledger() -> dict[str, dict[str, dict[str, str]]]:
    with LEDGER_PATH.open("rb") as f:
        return tomllib.load(f)


def unbacked(path) -> list[str]:
    """The result-like numbers of a notebook's prose that neither its code nor the ledger backs."""
    nb = load(path)
    code = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "code")
    literals = code_literals(code)
    listed = ledger().get(path.name, {})
    missing = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for written in result_numbers(source(cell)):
            if written in listed or _value(written) & literals:
                continue
            context = _prose(source(cell))
            at = context.find(written.split()[0])
            missing.append(f"{written!r} in: ...{context[max(0, at - 60):at + 40]!r}...")
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_every_result_number_in_the_prose_is_backed(path):
    missing = unbacked(path)
    assert not missing, (
        f"{path.name}: numbers in the prose that no code states and {LEDGER_PATH.name} does not list. "
        "Assert or record them (and list them as asserted/recorded), or list them as derived, fact, "
        "history or illustration:\n  " + "\n  ".join(missing))


def test_the_ledger_is_well_formed_and_not_stale():
    notebooks = {p.name: p for p in NOTEBOOKS}
    for name, entries in ledger().items():
        assert name in notebooks, f"{LEDGER_PATH.name}: no notebook {name}"
        nb = load(notebooks[name])
        code = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "code")
        prose = [n for c in nb["cells"] if c["cell_type"] == "markdown" for n in result_numbers(source(c))]
        for written, entry in entries.items():
            where = f"{LEDGER_PATH.name} [{name}] {written!r}"
            assert written in prose, f"{where}: no longer in the prose (remove the entry)"
            assert entry.get("kind") in KINDS, f"{where}: kind must be one of {sorted(KINDS)}"
            if entry["kind"] in NEEDS_CODE:
                assert entry.get("code") and entry["code"] in code, \
                    f"{where}: its check {entry.get('code')!r} is not in the notebook's code"
            else:
                assert entry.get("why"), f"{where}: say why ({entry['kind']})"


def test_the_check_finds_an_unbacked_number_and_accepts_a_backed_one():
    """Planted: a made-up result fails, a number an assert states passes, a size or version is no result."""
    assert result_numbers("The model reaches 0.931 on test.") == ["0.931"]
    assert result_numbers("Images of 28×28 pixels, PyTorch 2.6, section 4.2, 16 notebooks.") == []
    assert _value("94 %") & code_literals("assert share >= 0.94")
    assert not (_value("0.931") & code_literals("assert acc >= 0.93"))
