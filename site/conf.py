"""Sphinx configuration of the course website (the reader's edition).

Build it with ``make site`` (fast mode) or ``make site FAST=0`` (full mode): ``scripts/build_site.py``
copies this folder and the notebooks into ``build/site/src`` and runs Sphinx there, with
``COURSE_DATA_DIR`` and ``COURSE_FAST`` set for the notebook kernels. Notebooks are rendered from a test
run's executed copies when their fingerprints match, and otherwise executed by MyST-NB through
jupyter-cache, so an unchanged notebook is not executed again.

Everything the pages load is local (no CDN): MathJax comes from the ``django-static-mathjax`` wheel,
fonts and icons from the theme, search is Sphinx's own ``searchindex.js``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

# -- Project -------------------------------------------------------------------------------------
# The language of this build (scripts/build_site.py builds en, then zh_CN and zh_TW from the
# translated notebooks). Sphinx then translates the theme's own words and, for Chinese, indexes the
# pages for search with jieba's word segmentation (sphinx.search.zh).
language = os.environ.get("COURSE_SITE_LANG", "en")
if language != "en":
    from course_lib.messages import tr

    project = tr("PyTorch, from tensors to graphs", "site", language)
else:
    project = "PyTorch, from tensors to graphs"
if (HERE / "_search_dict.txt").exists():  # written by build_site.py for the Chinese editions
    html_search_options = {"dict": str(HERE / "_search_dict.txt")}
author = "the course authors"
copyright = "the course authors, MIT licence"

# -- Extensions ----------------------------------------------------------------------------------
extensions = [
    "myst_nb",
    "sphinx_copybutton",
    "course_site",  # _ext/course_site.py: notebook headers, syllabus table, downloads, offline MathJax
]
# _pristine: the notebooks without outputs, for the download links of a rendered build (build_site.py).
exclude_patterns = ["_search_dict.txt", "_build", "_pristine", "**.ipynb_checkpoints", "jupyter_execute",
                    "Thumbs.db", ".DS_Store"]
html_static_path = ["_static"]

# -- MyST / MyST-NB ------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3  # recipes link to notebooks/08_x.ipynb#some-heading-slug
if "COURSE_SITE_CACHE" not in os.environ:
    raise RuntimeError("build the site with `make site` (scripts/build_site.py): it stages the notebooks "
                       "and sets COURSE_SITE_CACHE, COURSE_SITE_EXECUTION, COURSE_DATA_DIR and COURSE_FAST")
# build_site.py decides: "off" when every notebook was staged with the outputs of a test run whose
# fingerprint (course_lib.fingerprint) is this build's (render only, execute nothing); "cache" otherwise:
# execute through jupyter-cache, whose folder is per environment fingerprint (it keys a notebook on its
# code cells only), so an unchanged notebook is not executed again in the same environment.
nb_execution_mode = os.environ.get("COURSE_SITE_EXECUTION", "cache")
if nb_execution_mode not in ("off", "cache"):
    raise RuntimeError(f"COURSE_SITE_EXECUTION={nb_execution_mode!r}: 'off' or 'cache'")
nb_execution_cache_path = os.environ["COURSE_SITE_CACHE"]
nb_execution_timeout = 600  # seconds per cell
nb_execution_raise_on_error = True  # a notebook that errors fails the build
nb_execution_show_tb = True
nb_merge_streams = True
# Progress bars are ipywidgets in Jupyter; a static page cannot run them (and the widget manager
# would come from a CDN): show no widget JavaScript, render the text fallback, which course_site then
# drops when it is a progress bar.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

# -- HTML ----------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = project
html_favicon = "_static/favicon.svg"  # a static host is asked for one; a missing icon is a failed request
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_search_scorer = str(HERE / "_static" / "course_scorer.js")
# Search runs offline from file:// too; only the result snippets would need to fetch other pages,
# which browsers refuse there (CORS), so the result list shows titles only.
html_show_search_summary = False
# An explicit default colour mode: the theme logs a console error when none is set.
html_context = {"default_mode": "auto"}
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,  # our own "download notebook" link sits in each page's header
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
}

# MathJax 3 from a local copy (course_site copies it into _static/mathjax); never the CDN default.
mathjax_path = "mathjax/tex-mml-chtml.js"
