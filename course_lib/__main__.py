"""Command line: ``python -m course_lib COMMAND``.

Commands: ``doctor``, ``report``, ``data list``, ``data prefetch [NAMES]``,
``make-learner-copy SRC OUT``, ``make-assignments SRC OUT``, ``predict --checkpoint PATH IMAGE...``,
``i18n update|status``, ``translate --lang zh_CN|zh_TW SRC OUT``.
"""

from __future__ import annotations

import argparse
import sys

from .languages import LANGUAGES


def _report(args: argparse.Namespace) -> int:
    from .report import format_table, latest, load_results

    results = load_results()
    modes = [args.mode == "fast"] if args.mode else sorted({bool(r.fast) for r in results}, reverse=True)
    for fast in modes or [True]:
        print(f"\n{'Fast' if fast else 'Full'} mode:\n")
        print(format_table(results, fast=fast))
    results = [r for r in results if args.mode is None or bool(r.fast) == (args.mode == "fast")]
    failed = [r for r in latest(results).values() if not r.passed]
    return 1 if args.strict and (failed or not results) else 0


def _learner(args: argparse.Namespace) -> int:
    from .exercises import LearnerCopyError, make_learner_copy

    try:
        written = make_learner_copy(args.src, args.out)
    except (FileNotFoundError, LearnerCopyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Wrote {len(written)} learner notebook(s) to {args.out} (solutions stubbed, outputs cleared).")
    return 0


def _assignments(args: argparse.Namespace) -> int:
    from .assignments import AssignmentError, write_course

    try:
        written = write_course(args.src, args.out, args.only or None, args.exercises_only)
    except (FileNotFoundError, AssignmentError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Wrote {len(written)} nbgrader assignment(s) to {args.out}/source. Next, in {args.out}: "
          "nbgrader generate_assignment NAME (see docs/instructors.md).")
    return 0


def _data(args: argparse.Namespace) -> int:
    from .data import registry

    if args.action == "list":
        return registry.cli_list()
    return registry.cli_prefetch(args.names)


def _doctor(_args: argparse.Namespace) -> int:
    from .doctor import main as doctor_main

    return doctor_main()


def _predict(args: argparse.Namespace) -> int:
    from .predict import cli_predict

    return cli_predict(args.checkpoint, args.images)


def _i18n(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import i18n

    notebooks = sorted(Path(args.notebooks).glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print(f"error: no notebooks NN_name.ipynb in {args.notebooks}", file=sys.stderr)
        return 2
    pages = sorted(Path(args.site).glob("*.md")) if args.site else []  # the website's own pages
    sources = notebooks + pages
    if args.action == "update":
        for nb in sources:
            stats = i18n.update_catalog(nb, i18n.catalog_path(args.locale, i18n.SOURCE_LANGUAGE, nb))
            print(f"{nb.name}: {stats}")
        from . import messages

        stats = i18n.merge_catalog(messages.extract(notebooks), messages.CATALOG, "course_lib")
        print(f"course_lib.po (what the code prints): {stats}")
        print(f"zh_TW is generated from {i18n.SOURCE_LANGUAGE} (OpenCC s2twp): nothing to update.")
    problems = []
    for nb in sources:
        found = i18n.catalog_problems(nb, i18n.catalog_path(args.locale, i18n.SOURCE_LANGUAGE, nb))
        problems += found
        if args.action == "status":
            total = len(i18n.extract(nb))
            print(f"{nb.name}: {total - len(found)}/{total} translated"
                  + (f" ({sum(p.kind == 'missing' for p in found)} missing, "
                     f"{sum(p.kind == 'stale' for p in found)} stale)" if found else ""))
    if args.action == "status":
        from . import messages

        runtime = messages.problems(notebooks)
        total = len(messages.extract(notebooks))
        print(f"course_lib.po (what the code prints): {total - len(runtime)}/{total} translated")
        problems += runtime
        paragraphs = [p for p in problems if isinstance(p, i18n.Problem)]
        if paragraphs:  # which paragraphs, and how an English-only contributor hands them over
            text = i18n.handover(paragraphs).splitlines()
            listed = [line for line in text[1:] if line.startswith("  ") and ", cell " in line]
            print(text[0])
            for line in listed[: args.show]:
                print(line)
            if len(listed) > args.show:
                print(f"  ... and {len(listed) - args.show} more")
            print("\n".join(text[1 + len(listed):]))
        others = [p for p in problems if not isinstance(p, i18n.Problem)]
        for problem in others[: args.show]:
            print("  " + str(problem))
        if len(others) > args.show:
            print(f"  ... and {len(others) - args.show} more")
    return 1 if problems and args.action == "status" else 0


def _translate(args: argparse.Namespace) -> int:
    from . import i18n

    try:
        written = i18n.translate_folder(args.src, args.out, args.lang, args.locale, args.keep_existing)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    missing = [p.name for p in written if not i18n.catalog_path(args.locale, args.lang, p).exists()]
    if missing:
        print(f"warning: no catalog in {args.locale} for {', '.join(missing)}: left in English",
              file=sys.stderr)
    print(f"Wrote {len(written)} notebook(s) in {i18n.LANGUAGES[args.lang]} to {args.out}"
          + (" (notebooks already there were kept)." if args.keep_existing else "."))
    return 0


def _default_locale() -> str:
    """The repository's ``locale/`` folder (beside the package in a clone), else ``./locale``."""
    from pathlib import Path

    beside = Path(__file__).resolve().parents[1] / "locale"
    return str(beside) if beside.is_dir() else "locale"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="check this machine for the course").set_defaults(func=_doctor)
    rep = sub.add_parser("report", help="print every notebook's recorded result and time")
    rep.add_argument("--strict", action="store_true",
                     help="exit 1 when a latest result failed or none exist")
    rep.add_argument("--mode", choices=["fast", "full"], help="one mode only (default: every mode recorded)")
    rep.set_defaults(func=_report)
    data = sub.add_parser("data", help="offline sources and full (download) datasets")
    data.add_argument("action", choices=["list", "prefetch"])
    data.add_argument("names", nargs="*", help="datasets to prefetch (default: all)")
    data.set_defaults(func=_data)
    lc = sub.add_parser("make-learner-copy", help="notebooks with solutions stubbed, outputs cleared")
    lc.add_argument("src")
    lc.add_argument("out")
    lc.set_defaults(func=_learner)
    asg = sub.add_parser("make-assignments", help="an nbgrader course folder: one assignment per notebook")
    asg.add_argument("src", help="a notebook or the notebooks folder")
    asg.add_argument("out", help="the nbgrader course folder to write (source/ and nbgrader_config.py)")
    asg.add_argument("--only", nargs="*", metavar="NN", help="only these notebook numbers, e.g. 01 04")
    asg.add_argument("--exercises-only", action="store_true",
                     help="keep only the exercises section of each notebook (grades in seconds)")
    asg.set_defaults(func=_assignments)
    pr = sub.add_parser("predict", help="classify 28×28 digit images with a trained checkpoint")
    pr.add_argument("--checkpoint", required=True)
    pr.add_argument("images", nargs="+")
    pr.set_defaults(func=_predict)
    loc = sub.add_parser("i18n", help="translation catalogs: update after English edits, or show status")
    loc.add_argument("action", choices=["update", "status"])
    loc.add_argument("--notebooks", default="notebooks")
    loc.add_argument("--locale", default=_default_locale(), help="folder of the catalogs (default: locale/)")
    loc.add_argument("--site", default="site", help="folder of the website's Markdown pages ('' = none)")
    loc.add_argument("--show", type=int, default=20, help="list at most this many problems")
    loc.set_defaults(func=_i18n)
    tr = sub.add_parser("translate", help="write the notebooks with their prose in Chinese")
    tr.add_argument("--lang", required=True, choices=list(LANGUAGES))
    tr.add_argument("--locale", default=_default_locale(),
                    help="folder of the catalogs (default: the course repository's locale/)")
    tr.add_argument("--keep-existing", action="store_true",
                    help="leave notebooks already in OUT alone (a learner's edited copies)")
    tr.add_argument("src", help="a notebook or a folder of notebooks")
    tr.add_argument("out", help="folder to write the translated notebooks into")
    tr.set_defaults(func=_translate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
