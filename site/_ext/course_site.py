"""Sphinx extension of the course website.

* ``{course-syllabus}`` directive: the syllabus table of the start page, generated at build time from
  the course report (``course_lib.report``) of the run that built the site.
* A header near the top of every notebook page: the notebook's runtime and headline result from that
  same report, a "download notebook" link and, when ``[tool.course] repository`` is set in
  ``pyproject.toml``, launch links for Binder (and Colab for GitHub repositories).
* After each notebook is executed, its run time (MyST-NB's execution data, kept by jupyter-cache for
  a cached notebook) is written to the report with ``course_lib.report.save_times``; the start page
  is read last, so its table shows this build's run.
* The notebooks themselves (as stored in the repository: no outputs; ``_pristine/`` holds them when
  the build rendered notebooks staged with a test run's outputs) are copied next to their pages
  for download, and MathJax is copied from the ``django-static-mathjax`` wheel into ``_static``.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from course_lib.config import is_fast
from course_lib.languages import ENGLISH, LANGUAGES
from course_lib.report import (
    SYLLABUS,
    Result,
    format_table,
    latest,
    load_results,
    load_times,
    save_times,
    translate_printed,
)

logger = logging.getLogger(__name__)

NOTEBOOK_DOC = re.compile(r"^notebooks/(\d\d)_[\w-]+$")


def mode_name() -> str:
    """``"fast"`` or ``"full"``: the mode the notebooks of this build ran in (``COURSE_FAST``)."""
    return "fast" if is_fast() else "full"


def read_repository(pyproject: Path) -> str:
    """``[tool.course] repository`` of a ``pyproject.toml`` ('' when unset or unreadable)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    value = data.get("tool", {}).get("course", {}).get("repository", "")
    return value.strip().rstrip("/") if isinstance(value, str) else ""


def launch_links(repository: str, notebook_path: str) -> list[tuple[str, str]]:
    """(label, URL) of hosted notebook services for one notebook of the repository; none without URL.

    >>> launch_links("", "notebooks/00_welcome_and_setup.ipynb")
    []
    >>> [label for label, _ in launch_links("https://github.com/o/r", "notebooks/00_a.ipynb")]
    ['Binder', 'Colab']
    >>> launch_links("https://github.com/o/r.git", "notebooks/00_a.ipynb")[1][1]
    'https://colab.research.google.com/github/o/r/blob/main/notebooks/00_a.ipynb'
    """
    if not repository:
        return []
    github = re.match(r"^https://github\.com/([^/]+)/([^/]+?)(?:\.git)?$", repository)
    if github:
        owner, repo = github.groups()
        return [("Binder", f"https://mybinder.org/v2/gh/{owner}/{repo}/HEAD?labpath={notebook_path}"),
                ("Colab", f"https://colab.research.google.com/github/{owner}/{repo}/blob/main/{notebook_path}")]
    binder = f"https://mybinder.org/v2/git/{quote(repository, safe='')}/HEAD?labpath={notebook_path}"
    return [("Binder", binder)]


LANGUAGE_NAMES = {ENGLISH: "English", **LANGUAGES}


def say(text: str, lang: str = "en", **values: str) -> str:
    """One of the site's own phrases (``course_lib.messages.SITE``) in ``lang``, values filled in."""
    from course_lib.messages import frame

    return frame(text, lang, context="site", **values)


def _shown(r: Result, lang: str = "en") -> str:
    op = "≥" if r.higher_is_better else "≤"
    metric = r.metric
    if lang != "en":
        from course_lib.messages import tr

        local = tr(r.metric, "metric", lang)
        metric = r.metric if local == r.metric else f"{local} {r.metric}"
    return say("{metric} = {value} (target {op} {target}, {verdict})", lang, metric=metric,
               value=f"{r.value:.4g}", op=op, target=f"{r.target:g}",
               verdict=say("pass" if r.passed else "FAILED", lang))


def header_html(num: str, stem: str, fast: bool, results: dict, times: dict[str, float],
                repository: str, lang: str = "en") -> str:
    """The block shown under a notebook page's title (runtime, headline, download, launch)."""
    rows = [r for (nb, _), r in sorted(results.items()) if nb == num]
    mode = say("fast" if fast else "full", lang)
    secs = times.get(num)
    runtime = f"{secs:.0f} s" if secs is not None else say("not measured", lang)
    headline = "; ".join(html.escape(_shown(r, lang)) for r in rows) or say("no result recorded", lang)
    when = ""
    if rows:
        stamp = datetime.fromtimestamp(max(r.timestamp for r in rows), tz=timezone.utc)
        when = say(" on {device}, {stamp} UTC", lang, device=html.escape(rows[0].device),
                   stamp=f"{stamp:%Y-%m-%d %H:%M}")
    download = say("download notebook", lang)
    links = [f'<a class="course-download" href="{stem}.ipynb" download>{download}</a>']
    links += [f'<a class="course-launch" href="{html.escape(url)}">'
              f'{say("launch on {label}", lang, label=label)}</a>'
              for label, url in launch_links(repository, f"notebooks/{stem}.ipynb")]
    title = say("This page is a recorded run ({mode} mode{when})", lang, mode=mode, when=when)
    return (
        '<div class="course-nb-header admonition note">\n'
        f'<p class="admonition-title">{title}</p>\n'
        f'<p><strong>{say("Runtime:", lang)}</strong> <span class="course-runtime">{runtime}</span> · '
        f'<strong>{say("Headline result:", lang)}</strong> '
        f'<span class="course-headline">{headline}</span></p>\n'
        f'<p class="course-links">{" · ".join(links)}</p>\n'
        "</div>\n"
    )


def language_switch(pagename: str, lang: str, languages: list[str]) -> str:
    """Links to this page in every language of the site (English at the root, the others in a folder).

    >>> switch = language_switch("notebooks/01_tensors", "zh_CN", ["en", "zh_CN"])
    >>> switch.count('href="../../notebooks/01_tensors.html"')
    1
    """
    up = "../" * (pagename.count("/") + (lang != "en"))
    items = []
    for other in languages:
        name = LANGUAGE_NAMES.get(other, other)
        if other == lang:
            items.append(f'<strong lang="{other.replace("_", "-")}">{name}</strong>')
            continue
        target = up + ("" if other == "en" else f"{other}/") + f"{pagename}.html"
        code = other.replace("_", "-")
        items.append(f'<a class="course-lang" hreflang="{code}" href="{target}">{name}</a>')
    return f'<div class="course-lang-switch">{say("Language:", lang)} ' + " · ".join(items) + "</div>\n"


def syllabus_markdown(fast: bool, present: set[str] | None = None, lang: str = "en") -> str:
    """The start page's syllabus: ``course_lib.report.format_table`` with each row linked to its page
    (to the pages of ``present`` notebook numbers only, when given), in the site's language."""
    table = format_table(fast=fast, lang=lang)

    def link(match: re.Match) -> str:
        num = match.group(1)
        if present is not None and num not in present:
            return match.group(0)
        return f"| [{num}](notebooks/{SYLLABUS[num][0]}.ipynb) |"

    lines = [re.sub(r"^\| (\d\d) \|", link, line) if re.match(r"^\| \d\d \|", line) else line
             for line in table.splitlines()]
    flag = "COURSE_FAST=1" if fast else "COURSE_FAST=0"
    intro = say("Measured by the run that built this site: {mode} mode (`{flag}`); seconds are wall-clock "
                "time of executing each notebook, results are the headline metrics the notebooks assert.",
                lang, mode=say("fast" if fast else "full", lang), flag=flag)
    return intro + "\n\n" + "\n".join(lines)


class SyllabusDirective(SphinxDirective):
    """``{course-syllabus}``: the generated syllabus table (Markdown, parsed in place)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        container = nodes.container(classes=["course-syllabus"])
        present = {m.group(1) for d in self.env.found_docs if (m := NOTEBOOK_DOC.match(d))}
        text = syllabus_markdown(is_fast(), present, site_language(self.env.app))
        self.state.nested_parse(StringList(text.splitlines(), source="course-syllabus"),
                                self.content_offset, container)
        return [container]


def index_last(app: Sphinx, env, docnames: list[str]) -> None:
    """Read the start page after the notebooks, so its syllabus shows this build's run."""
    if app.config.root_doc in docnames:
        docnames.remove(app.config.root_doc)
        docnames.append(app.config.root_doc)


def record_time(app: Sphinx, doctree) -> None:
    """Write a just executed (or cached) notebook's run time into the course report."""
    from myst_nb.sphinx_ import NbMetadataCollector

    match = NOTEBOOK_DOC.match(app.env.docname)
    data = NbMetadataCollector.get_exec_data(app.env, app.env.docname) if match else None
    if data and data.get("succeeded") and data.get("runtime") is not None:
        save_times({match.group(1): data["runtime"]}, fast=is_fast())


PROGRESS_BAR = re.compile(r"^[^\n]*\d+%\|[^\n]*\|\s*\d+/\d+ \[[^\n]*\]\s*$")


def drop_progress_bars(app: Sphinx, doctree) -> None:
    """Remove the text of tqdm progress bars (widgets in Jupyter) from notebook outputs.

    >>> bool(PROGRESS_BAR.match("epochs:   0%|          | 0/10 [00:00<?, ?it/s]"))
    True
    """
    if not NOTEBOOK_DOC.match(app.env.docname):
        return
    for block in list(doctree.findall(nodes.literal_block)):
        if "output" in block["classes"] and PROGRESS_BAR.match(block.astext().strip()):
            block.parent.remove(block)


def translate_outputs(app: Sphinx, doctree) -> None:
    """A translated site shows the English run's outputs: the headline lines ``course_lib.report``
    printed there are put in the site's language (``report.translate_printed``), as a learner running
    the translated notebook sees them."""
    lang = site_language(app)
    if lang == "en" or not NOTEBOOK_DOC.match(app.env.docname):
        return
    for block in list(doctree.findall(nodes.literal_block)):
        if "output" in block["classes"]:
            text = block.astext()
            new = translate_printed(text, lang)
            if new != text and len(block.children) == 1 and isinstance(block.children[0], nodes.Text):
                block.replace(block.children[0], nodes.Text(new))
                block.rawsource = new  # Sphinx highlights a literal block only when the two agree


def site_language(app: Sphinx) -> str:
    return app.config.language if app.config.language in LANGUAGE_NAMES else "en"


def add_header(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if "body" not in context:
        return
    lang = site_language(app)
    languages = [x for x in os.environ.get("COURSE_SITE_LANGUAGES", "en").split(",") if x]
    switch = language_switch(pagename, lang, languages) if len(languages) > 1 else ""
    match = NOTEBOOK_DOC.match(pagename)
    if not match:
        context["body"] = switch + context["body"]
        return
    fast = is_fast()
    num = match.group(1)
    results = latest(load_results(), fast=fast)
    block = header_html(num, pagename.split("/", 1)[1], fast, results, load_times(fast=fast),
                        app.config.course_repository, lang)
    body = context["body"]
    end = body.find("</h1>")
    body = body[:end + 5] + "\n" + block + body[end + 5:] if end >= 0 else block + body
    context["body"] = switch + body


def copy_assets(app: Sphinx, exception: Exception | None) -> None:
    """Copy the notebooks (for download) and a local MathJax into the HTML output."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    for docname in app.env.found_docs:
        if NOTEBOOK_DOC.match(docname):
            src = Path(app.srcdir) / f"{docname}.ipynb"
            pristine = Path(app.srcdir) / "_pristine" / f"{docname}.ipynb"  # a rendered build's notebooks
            src = pristine if pristine.is_file() else src                   # hold outputs: not these
            (out / docname).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out / f"{docname}.ipynb")
    import mathjax  # the django-static-mathjax wheel: MathJax 3 without Django

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = out / "_static" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(es5 / "tex-mml-chtml.js", target / "tex-mml-chtml.js")
    for sub in ("input", "output/chtml", "a11y", "ui", "adaptors"):
        shutil.copytree(es5 / sub, target / sub, dirs_exist_ok=True)


def fix_chinese_search_stemmer() -> None:
    """Sphinx 9.0's Chinese search ships the English JS stemmer (``english-stemmer.js``, as the Python
    side stems Latin words in English) but names it ``ChineseStemmer`` in ``language_data.js``, so every
    page of a Chinese build logs "ChineseStemmer is not defined". Name the stemmer it ships."""
    from sphinx.search import languages
    from sphinx.search.zh import SearchChinese

    if SearchChinese.js_stemmer_rawcode != "english-stemmer.js" or SearchChinese.language_name == "English":
        return  # fixed upstream (or changed): nothing to do

    class SearchChineseWithEnglishStemmer(SearchChinese):
        language_name = "English"  # -> `window.Stemmer = EnglishStemmer`, defined by english-stemmer.js

    languages["zh"] = SearchChineseWithEnglishStemmer


def setup(app: Sphinx) -> dict:
    fix_chinese_search_stemmer()
    repo_root = Path(os.environ.get("COURSE_SITE_REPO", Path(__file__).resolve().parents[2]))
    app.add_config_value("course_repository", read_repository(repo_root / "pyproject.toml"), "html")
    app.add_directive("course-syllabus", SyllabusDirective)
    app.connect("env-before-read-docs", index_last)
    app.connect("doctree-read", record_time)
    app.connect("doctree-read", drop_progress_bars)
    app.connect("doctree-read", translate_outputs)
    app.connect("html-page-context", add_header)
    app.connect("build-finished", copy_assets)
    app.add_css_file("course.css")
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
