"""Translate a catalog without a PO editor: export its open messages to JSON, fill them, import back.

    python scripts/i18n_fill.py export 03 > work.json       # missing and stale messages of notebook 03
    python scripts/i18n_fill.py import 03 work.json         # each item's "msgstr" goes into the catalog
    python scripts/i18n_fill.py check 03                    # formatting and glossary problems
    python scripts/i18n_fill.py export lib > lib.json       # what course_lib prints (checks, headlines)
    python scripts/i18n_fill.py export site-index > i.json  # a page of the website (site/index.md)

Exported items are ``{"ctxt", "msgid", "previous_msgid", "msgstr"}``. On import a message is matched
by (ctxt, msgid); a filled msgstr clears the stale (fuzzy) flag. Import refuses items whose
translation changed code, formulas, links, numbers or structure (``course_lib.i18n.message_issues``)
and prints why; the others are written. Any PO editor (Poedit, Lokalize, Weblate) works as well.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib import i18n  # noqa: E402
from course_lib.files import atomic_write  # noqa: E402


def catalog(number: str) -> Path:
    if number == "lib":  # what course_lib prints at run time (exercise checks, headline results)
        from course_lib.messages import CATALOG

        return CATALOG
    folder = ROOT / "locale" / i18n.SOURCE_LANGUAGE / "LC_MESSAGES"
    # a notebook by its number (03), a page of the website by its catalog's name (site-index)
    matches = sorted(folder.glob(f"{number.zfill(2)}_*.po")) or sorted(folder.glob(f"{number}.po"))
    if not matches:
        raise SystemExit(f"no catalog for notebook {number}: run `python -m course_lib i18n update` first")
    return matches[0]


def problems(entry: polib.POEntry, terms: list[i18n.Term]) -> list[str]:
    from course_lib.messages import placeholders

    found = i18n.message_issues(entry.msgid, entry.msgstr) + i18n.glossary_issues(
        entry.msgid, entry.msgstr, terms, entry.tcomment or "")
    if sorted(placeholders(entry.msgid)) != sorted(placeholders(entry.msgstr)):
        found.append(f"placeholders differ: {placeholders(entry.msgid)} vs {placeholders(entry.msgstr)}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"export", "import", "check"}:
        print(__doc__)
        return 2
    action, path = argv[0], catalog(argv[1])
    po = polib.pofile(str(path), wrapwidth=0)
    terms = i18n.read_glossary(ROOT / "locale" / "GLOSSARY.md")
    if action == "export":
        items = [{"ctxt": e.msgctxt, "msgid": e.msgid, "previous_msgid": e.previous_msgid or "",
                  "msgstr": e.msgstr} for e in po if not e.obsolete and (not e.msgstr or "fuzzy" in e.flags)]
        print(json.dumps(items, ensure_ascii=False, indent=1))
        return 0
    if action == "check":
        bad = 0
        for e in po:
            if e.obsolete or not e.msgstr:
                continue
            found = problems(e, terms)
            if found:
                bad += 1
                print(f"[{e.msgctxt}] {e.msgid[:60]!r}: " + "; ".join(found))
        print(f"{path.name}: {bad} message(s) with problems")
        return 1 if bad else 0
    items = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
    index = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    written = refused = unknown = 0
    for item in items:
        entry = index.get((item["ctxt"], item["msgid"]))
        if entry is None:
            unknown += 1
            print(f"not in the catalog (English changed?): [{item['ctxt']}] {item['msgid'][:60]!r}")
            continue
        if not item.get("msgstr", "").strip():
            continue
        trial = polib.POEntry(msgid=entry.msgid, msgstr=item["msgstr"],
                              tcomment=item.get("comment", entry.tcomment))
        found = problems(trial, terms)
        if found:
            refused += 1
            print(f"refused [{entry.msgctxt}] {entry.msgid[:60]!r}: " + "; ".join(found))
            continue
        entry.msgstr = item["msgstr"]
        if item.get("comment"):
            entry.tcomment = item["comment"]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
        written += 1
    if written:  # the header says when a translator last changed the catalog
        po.metadata["PO-Revision-Date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M+0000")
        text = str(po)
        atomic_write(path, text if text.endswith("\n") else text + "\n")  # as course_lib.i18n writes it
    print(f"{path.name}: {written} written, {refused} refused, {unknown} unknown")
    return 1 if refused or unknown else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
