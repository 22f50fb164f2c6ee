"""The course website, built in fast mode and checked in a real browser (headless Chromium).

The site is built once per test session with the same entry point as ``make site``
(``scripts/build_site.py``), into ``build/site/test``. In ``make test`` these tests run after the
notebooks (conftest.py orders them last), so the build renders the notebooks that nbval just executed
(``$COURSE_DATA_DIR/executed``, matched by fingerprint) and executes nothing. Run alone, without such
copies, it executes them, with its own data and execution cache (``$COURSE_DATA_DIR/site-test``); a
notebook whose code did not change is then not executed again.
The browser is Debian's ``chromium`` driven by Playwright (no browser download). Without them the
browser tests skip with one reason locally, and fail when ``CI=true``.

``COURSE_SITE_TEST_ONLY=00,02`` builds only some notebooks, for work on the site itself; CI never
sets it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "site" / "_ext"))

import build_site  # noqa: E402

OUT = ROOT / "build" / "site" / "test"
SCREENSHOTS = ROOT / "build" / "site" / "screenshots"
ONLY = {n.strip().zfill(2) for n in os.environ.get("COURSE_SITE_TEST_ONLY", "").split(",") if n.strip()}
IMAGE_MIMES = {"image/png", "image/jpeg", "image/svg+xml"}
#: (query, the notebook that must come first)
SEARCHES = [("autograd", "02_autograd"), ("Hounsfield", "09_medical_imaging_ct"),
            ("torchrun", "15_scaling_and_shipping"),
            ("zh_CN/张量", "01_tensors"), ("zh_TW/張量", "01_tensors")]  # Chinese search (jieba)
#: A notebook page in any language of the site: en at the root, zh_CN/ and zh_TW/ beside it.
NOTEBOOK_PAGE = re.compile(r"^(?:(zh_CN|zh_TW)/)?notebooks/(\d\d_[\w-]+)\.html$")
IN_CI = os.environ.get("CI", "").strip().lower() == "true"
#: The test run's data folder: nbval keeps the notebooks it executed in its ``executed/``.
RUN_DATA = Path(os.environ.get("COURSE_DATA_DIR", ROOT / "data"))
#: The notebooks' data (report, execution cache) of the test build when it must execute them.
DATA = RUN_DATA / "site-test"


# -- Pieces that need no build ----------------------------------------------------------------------

def test_launch_links_come_from_one_setting():
    from course_site import header_html, launch_links

    assert launch_links("", "notebooks/08_x.ipynb") == []
    links = dict(launch_links("https://github.com/someone/course", "notebooks/08_x.ipynb"))
    assert links["Binder"] == "https://mybinder.org/v2/gh/someone/course/HEAD?labpath=notebooks/08_x.ipynb"
    assert links["Colab"].endswith("/github/someone/course/blob/main/notebooks/08_x.ipynb")
    assert list(dict(launch_links("https://gitlab.com/a/b", "notebooks/08_x.ipynb"))) == ["Binder"]
    without = header_html("08", "08_x", True, {}, {}, "")
    assert "launch" not in without and 'href="08_x.ipynb"' in without and "not measured" in without
    with_repo = header_html("08", "08_x", True, {}, {"08": 41.6}, "https://github.com/someone/course")
    assert "launch on Binder" in with_repo and "42 s" in with_repo


def test_header_shows_the_reports_result():
    from course_site import header_html

    from course_lib.report import Result, latest

    rows = [Result("08", "test_accuracy", 0.9851, 0.98, True, True, "cpu", 40.0, True, 1.0e9),
            Result("08", "test_accuracy", 0.9612, 0.98, True, False, "cpu", 41.0, True, 2.0e9),
            Result("08", "test_accuracy", 0.9900, 0.98, True, True, "cpu", 99.0, False, 3.0e9)]
    block = header_html("08", "08_x", True, latest(rows, fast=True), {"08": 40.0}, "")
    assert "test_accuracy = 0.9612" in block and "FAILED" in block  # the newest fast-mode run
    assert "0.99 " not in block and "fast mode" in block


def test_syllabus_links_only_built_notebooks(monkeypatch, tmp_path):
    from course_site import syllabus_markdown

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    text = syllabus_markdown(True, present={"02"})
    assert "| [02](notebooks/02_autograd.ipynb) |" in text
    assert "| 03 |" in text and "notebooks/03_" not in text
    assert "fast mode" in text


def test_failed_cell_names_notebook_cell_and_error(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": ["# t"], "metadata": {}},
                    {"cell_type": "code", "source": ["x = 1"], "metadata": {}, "outputs": []},
                    {"cell_type": "code", "source": ["y = x\n", "1 / 0"], "metadata": {}, "outputs": []}]}
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "07_demo.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    log = ("/x/src/notebooks/07_demo.ipynb: WARNING: Executing notebook failed: CellExecutionError\n"
           "nbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:\n"
           "------------------\ny = x\n1 / 0\n------------------\n\n\n"
           "\x1b[31mZeroDivisionError\x1b[39m     Traceback (most recent call last)\n"
           "\x1b[31mZeroDivisionError\x1b[39m: division by zero\n\n")
    message = build_site.failed_cell(log, tmp_path)
    assert message == ("Site build failed: notebooks/07_demo.ipynb, cell 3 (code cell 2) starting `y = x`: "
                       "ZeroDivisionError: division by zero")
    assert build_site.failed_cell("all good\n", tmp_path) is None


def test_a_failing_notebook_fails_the_build(tmp_path):
    """A real (tiny) build: the notebook that raises stops it, named with its cell and error."""
    pytest.importorskip("myst_nb", reason="the site tools are not installed: pip install -e '.[site]'")
    nbformat = pytest.importorskip("nbformat")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 00 · Broken"), nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("y = x + 1\nraise ValueError('boom in the second code cell')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebooks / "00_broken.ipynb")
    with pytest.raises(SystemExit) as err:
        build_site.build("fast", tmp_path / "out", tmp_path / "data", notebooks=notebooks)
    assert str(err.value) == ("Site build failed: notebooks/00_broken.ipynb, cell 3 (code cell 2) starting "
                              "`y = x + 1`: ValueError: boom in the second code cell")


# -- The built site ----------------------------------------------------------------------------------

def _missing_or_fail(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the site test must run in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def site_html() -> Path:
    try:
        import myst_nb  # noqa: F401
        import sphinx_book_theme  # noqa: F401
    except ImportError:
        _missing_or_fail("the site tools are not installed: pip install -e '.[site]' (make install does it)")
    return build_site.build("fast", OUT, DATA, ONLY or None, executed=RUN_DATA / "executed")


@pytest.fixture(scope="session")
def browser():
    chromium = (shutil.which("chromium") or shutil.which("chromium-browser")
                or shutil.which("google-chrome"))   # GitHub's Ubuntu runners ship Google Chrome
    if chromium is None:
        _missing_or_fail("no Chromium browser: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_or_fail("Playwright is not installed: pip install -e '.[site]'")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


def _executed(stem: str) -> dict:
    """The executed notebook behind a page: the test run's copy it was rendered from, or the build's
    jupyter-cache entry (``build_site.executed_notebook``)."""
    return build_site.executed_notebook(OUT, stem)


def image_outputs(nb: dict) -> int:
    """The number of outputs of a notebook that are images (one per output, whatever its formats)."""
    return sum(1 for cell in nb["cells"] for out in cell.get("outputs", [])
               if IMAGE_MIMES & set(out.get("data", {})))


def _open(page, url: str) -> None:
    """Go to a page and wait until it is fully loaded (load event) and its requests have settled."""
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => document.readyState === 'complete'")


_ALL_IMAGES_LOADED = """async () => {
  const imgs = [...document.querySelectorAll('img')];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  return imgs.map(i => ({src: i.getAttribute('src'), width: i.naturalWidth,
                         output: i.closest('.cell_output') !== null}));
}"""


@pytest.fixture(scope="session")
def visits(browser, site_html) -> dict:
    """Open every page once: console errors, failed and off-site requests, images, links, ids."""
    pages = {}
    for path in sorted(site_html.rglob("*.html")):
        rel = path.relative_to(site_html).as_posix()
        if re.sub(r"^zh_(CN|TW)/", "", rel).startswith(("_static/", "_sources/", "_images/")):
            continue  # assets of the English site and of each translation
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        seen = {"errors": [], "failed": [], "offsite": []}
        page.on("console", lambda m, s=seen: m.type == "error" and s["errors"].append(m.text))
        page.on("pageerror", lambda e, s=seen: s["errors"].append(str(e)))
        page.on("requestfailed", lambda r, s=seen: s["failed"].append(f"{r.url} ({r.failure})"))

        def route(r, s=seen):
            url = r.request.url
            if url.startswith(("file://", "data:", "blob:")) or urlsplit(url).hostname == "127.0.0.1":
                r.continue_()
            else:
                s["offsite"].append(url)
                r.abort()

        page.route("**/*", route)
        _open(page, path.as_uri())
        seen["images"] = page.evaluate(_ALL_IMAGES_LOADED)
        seen["links"] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        seen["ids"] = set(page.eval_on_selector_all("[id], a[name]", "els => els.map(e => e.id || e.name)"))
        page.close()
        pages[rel] = seen
    return pages


def test_every_page_loads_offline_without_errors(visits):
    assert "index.html" in visits and "search.html" in visits
    bad = {rel: {k: v for k, v in seen.items() if k in ("errors", "failed", "offsite") and v}
           for rel, seen in visits.items()}
    assert not {rel: b for rel, b in bad.items() if b}


def test_no_asset_points_off_site(site_html):
    """No <script src>, <link href>, CSS @import or url() of the site leaves it (no CDN)."""
    remote = re.compile(r"""<script[^>]+src=["']?(?:https?:)?//|<link[^>]+href=["']?(?:https?:)?//|"""
                        r"""@import\s+(?:url\()?["']?(?:https?:)?//|url\(["']?(?:https?:)?//""", re.I)
    offenders = [p.relative_to(site_html).as_posix() for p in site_html.rglob("*")
                 if p.suffix in {".html", ".css"} and remote.search(p.read_text("utf-8", errors="replace"))]
    assert offenders == []


def test_every_notebook_image_decodes_and_matches_the_executed_notebook(visits, site_html):
    notebook_pages = {rel: seen for rel, seen in visits.items() if NOTEBOOK_PAGE.match(rel)}
    assert notebook_pages, "no notebook page was built"
    total = 0
    for rel, seen in notebook_pages.items():
        broken = [img["src"] for img in seen["images"] if img["width"] == 0]
        assert broken == [], f"{rel}: images that do not decode: {broken}"
        shown = sum(img["output"] for img in seen["images"])
        expected = image_outputs(_executed(NOTEBOOK_PAGE.match(rel).group(2)))  # same run in every language
        assert shown == expected, f"{rel}: {shown} images shown, {expected} image outputs in its notebook"
        total += shown
    assert total > 0, "not one image on the notebook pages: were the figures rendered (inline backend)?"


def test_every_internal_link_resolves(visits, site_html):
    base = site_html.resolve()
    broken = []
    for rel, seen in visits.items():
        for href in seen["links"]:
            parts = urlsplit(href)
            if parts.scheme != "file":
                continue  # launch links and other sites: not fetched, not our files
            target = Path(unquote(parts.path))
            if target.is_dir():
                target = target / "index.html"
            if base not in target.resolve().parents or not target.is_file():
                broken.append(f"{rel} -> {href}")
                continue
            anchor = unquote(parts.fragment)
            if anchor and target.suffix == ".html":
                target_rel = target.resolve().relative_to(base).as_posix()
                if target_rel in visits and anchor not in visits[target_rel]["ids"]:
                    broken.append(f"{rel} -> {href} (no #{anchor})")
    if ONLY:  # a partial build: links to the notebooks left out cannot resolve
        built = "|".join(sorted(ONLY))
        left_out = re.compile(rf"notebooks/(?!(?:{built})_)\d\d_|#\d\d_\w+\.ipynb")
        broken = [b for b in broken if not left_out.search(b)]
    assert broken == []


def test_each_notebook_page_has_download_link_and_recorded_run(visits, site_html):
    pages = [r for r in visits if NOTEBOOK_PAGE.match(r)]
    assert {NOTEBOOK_PAGE.match(r).group(1) for r in pages} == {None, "zh_CN", "zh_TW"}
    for rel in pages:
        page = (site_html / rel).read_text("utf-8")
        header = re.search(r'<div class="course-nb-header.*?</div>', page, re.S)
        assert header, f"{rel}: no run header"
        for missing in ("not measured", "no result recorded", "未测量", "没有记录结果",
                        "未測量", "沒有記錄結果"):
            assert missing not in header.group(0), rel
        assert re.search(r'<span class="course-runtime">\d+ s', header.group(0)), rel
        assert (site_html / rel).with_suffix(".ipynb").is_file(), f"{rel}: notebook not downloadable"


def test_every_page_links_to_itself_in_the_other_languages(visits, site_html):
    for rel in visits:
        if re.sub(r"^zh_(CN|TW)/", "", rel) in ("search.html", "genindex.html"):
            continue  # Sphinx's own pages, without the page body the switch is put in
        lang = rel.split("/", 1)[0] if rel.startswith(("zh_CN/", "zh_TW/")) else "en"
        page = rel.split("/", 1)[1] if lang != "en" else rel
        base = site_html.resolve()
        targets = {Path(unquote(urlsplit(h).path)).resolve() for h in visits[rel]["links"]
                   if urlsplit(h).scheme == "file"}
        for other in {"en", "zh_CN", "zh_TW"} - {lang}:
            want = (base / page) if other == "en" else (base / other / page)
            assert want.resolve() in targets, f"{rel}: no link to its {other} version"


def test_chinese_pages_are_chinese_with_the_same_code(site_html):
    for lang, word in (("zh_CN", "张量"), ("zh_TW", "張量")):
        page = (site_html / lang / "notebooks" / "01_tensors.html")
        if ONLY and "01" not in ONLY:
            pytest.skip("notebook 01 is not in COURSE_SITE_TEST_ONLY")
        text = page.read_text("utf-8")
        assert f'lang="{lang.replace("_", "-")}"' in text and word in text
        english = (site_html / "notebooks" / "01_tensors.html").read_text("utf-8")
        code = re.compile(r'<div class="cell_input.*?</div>\s*</div>', re.S)
        assert code.findall(text) == code.findall(english)  # the code cells, byte for byte


@pytest.mark.parametrize(("query", "stem"), SEARCHES)
def test_search_finds_the_right_notebook_first(browser, site_html, query, stem):
    if ONLY and stem[:2] not in ONLY:
        pytest.skip(f"notebook {stem} is not in COURSE_SITE_TEST_ONLY")
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    folder, _, query = query.rpartition("/")  # "zh_CN/张量": search the Chinese edition
    page.goto((site_html / folder / "search.html").as_uri() + f"?q={query}")
    # Finished: a summary line, or (Sphinx's zh_TW catalog leaves the summary empty) a first result.
    page.wait_for_function("() => { const s = document.querySelector('#search-results .search-summary');"
                           " return (s && s.textContent.trim().length > 0)"
                           " || document.querySelectorAll('#search-results ul.search li a').length > 0; }",
                           timeout=30_000)
    hrefs = page.eval_on_selector_all("#search-results ul.search li a",
                                      "els => els.map(e => e.getAttribute('href'))")
    page.close()
    assert errors == []
    assert hrefs, f"no result for {query!r}"
    assert hrefs[0].split("#")[0] == f"notebooks/{stem}.html", f"{query!r}: results {hrefs[:5]}"


#: the screenshots' viewport (CSS pixels = image pixels: device scale factor 1)
VIEWPORT = (1280, 1000)


def screenshot_problems(png: Path, figure_box=None, size=VIEWPORT) -> list[str]:
    """What is wrong with a screenshot of a page, as a reader would see it ([] = nothing).

    Decoded, not weighed: the image has the viewport's size; text or pictures ("ink", a pixel far from
    the page's background colour) cover at least 2 % of it and reach at least 40 % of its rows and
    columns (a blank page, one shot before the page rendered, or a lone error line or header fails,
    however large its file); ``figure_box`` ``(x, y, width, height)`` — where the browser placed a figure
    — must show a picture there (many colours, not one flat tone: a broken or empty image fails).
    """
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB")).astype(np.int16)
    problems = []
    if (pixels.shape[1], pixels.shape[0]) != tuple(size):
        problems.append(f"{pixels.shape[1]}x{pixels.shape[0]} pixels, not the viewport's {size[0]}x{size[1]}")
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    ink = np.abs(pixels - colours[counts.argmax()]).max(axis=2) > 48
    if ink.mean() < 0.02:
        problems.append(f"almost empty: {ink.mean():.2%} of the pixels differ from the background")
    rows, cols = ink.any(axis=1).mean(), ink.any(axis=0).mean()
    if min(rows, cols) < 0.4:
        problems.append(f"content in only {rows:.0%} of the rows and {cols:.0%} of the columns")
    if figure_box is not None:
        x, y, w, h = (round(v) for v in figure_box)
        part = pixels[max(y, 0):max(y + h, 0), max(x, 0):max(x + w, 0)].reshape(-1, 3)
        n_colours = len(np.unique(part, axis=0)) if part.size else 0
        if w < 50 or h < 50 or part.size == 0 or n_colours < 32 or part.std() < 8:
            problems.append(f"no picture where the figure is ({x}, {y}, {w}x{h}): {n_colours} colours")
    return problems


def test_screenshot_check_rejects_what_a_broken_page_shows(tmp_path):
    """The old check (a file over 10 kB) passed each of these; :func:`screenshot_problems` does not."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(0)

    def save(name, pixels):
        Image.fromarray(pixels.astype(np.uint8)).save(tmp_path / name)
        return tmp_path / name

    w, h = VIEWPORT
    # a page: lines of dark "text" down the left two thirds, and a figure (a colour gradient with noise)
    page = Image.new("RGB", VIEWPORT, "white")
    draw = ImageDraw.Draw(page)
    for line in range(40, h - 20, 24):
        draw.text((240 + line % 37, line), "The tensor x has shape (3, 4); autograd records it " * 3,
                  fill=(20, 20, 20))
    yy, xx = np.mgrid[0:300, 0:400]
    figure = np.stack([xx * 255 / 400, yy * 255 / 300, 128 + rng.integers(-40, 40, xx.shape)], axis=2)
    good = np.asarray(page).copy()
    good[500:800, 300:700] = figure
    good_png = save("good.png", good)
    assert screenshot_problems(good_png, figure_box=(300, 500, 400, 300)) == []

    # a blank white page of 20 kB and more (invisible noise: the size check passed it)
    blank = save("blank.png", 255 - rng.integers(0, 3, (h, w, 3)))
    assert blank.stat().st_size > 20_000
    assert any("almost empty" in p for p in screenshot_problems(blank))
    # only a header bar and one error line (the page body did not render)
    header = np.full((h, w, 3), 255)
    header[:60] = (40, 60, 120)
    header[:60] += rng.integers(0, 3, (60, w, 3))
    header[100:115, 20:600] = 0
    header_png = save("header.png", header)
    assert header_png.stat().st_size > 10_000
    assert any("rows" in p for p in screenshot_problems(header_png))
    # the right page at another size (a device scale factor or a clipped shot)
    small = save("small.png", good[: h // 2, : w // 2])
    assert any("viewport" in p for p in screenshot_problems(small))
    # the page is there but the figure is a broken image (white where the browser placed it)
    broken = good.copy()
    broken[500:800, 300:700] = 255
    broken_png = save("broken_figure.png", broken)
    assert broken_png.stat().st_size > 10_000 and screenshot_problems(broken_png) == []
    assert any("no picture" in p for p in screenshot_problems(broken_png, figure_box=(300, 500, 400, 300)))


def test_screenshots_for_review(browser, site_html, visits):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    notebooks = [rel for rel in visits if rel.startswith("notebooks/")]  # the English edition
    # the notebook page with most figures, preferring the CT notebook
    chosen = ("notebooks/09_medical_imaging_ct.html" if "notebooks/09_medical_imaging_ct.html" in visits
              else max(notebooks, key=lambda r: len(visits[r]["images"])))
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    _open(page, (site_html / "index.html").as_uri())
    page.screenshot(path=SCREENSHOTS / "start_page.png")
    _open(page, (site_html / chosen).as_uri())
    page.screenshot(path=SCREENSHOTS / "notebook_page.png")
    figure = page.locator(".cell_output img").first
    figure_box = None
    (SCREENSHOTS / "notebook_page_figure.png").unlink(missing_ok=True)
    if figure.count():
        figure.scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, -200)")
        page.screenshot(path=SCREENSHOTS / "notebook_page_figure.png")
        # where the browser says the figure is: that part of the screenshot must show a picture
        box = figure.bounding_box()
        figure_box = (box["x"], box["y"], box["width"], box["height"]) if box else (0, 0, 0, 0)
    page.close()
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    _open(page, (site_html / "zh_CN" / chosen).as_uri())  # the Chinese edition of the same page
    page.screenshot(path=SCREENSHOTS / "notebook_page_zh_CN.png")
    page.close()
    problems = {name: screenshot_problems(SCREENSHOTS / name, box)
                for name, box in (("start_page.png", None), ("notebook_page.png", None),
                                  ("notebook_page_zh_CN.png", None), ("notebook_page_figure.png", figure_box))
                if (SCREENSHOTS / name).exists()}
    assert not any(problems.values()), problems


def test_the_site_also_works_from_a_static_web_server(browser, site_html):
    """Any static host works too: serve the folder on 127.0.0.1, open a page and search."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site_html))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        problems = []
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("requestfailed", lambda r: problems.append(f"{r.url} ({r.failure})"))
        query, stem = next((q, s) for q, s in SEARCHES if (not ONLY or s[:2] in ONLY) and "/" not in q)
        _open(page, f"http://127.0.0.1:{server.server_port}/search.html?q={query}")
        page.wait_for_function("() => { const s = document.querySelector('#search-results .search-summary');"
                               " return s && s.textContent.trim().length > 0; }", timeout=30_000)
        first = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")[0]
        page.close()
    finally:
        server.shutdown()
        server.server_close()
    assert problems == []
    assert urlsplit(first).path == f"/notebooks/{stem}.html"
