"""The built website in a real browser (headless Chromium), as a reader sees it.

Playwright drives the system's Chromium (Debian package `chromium`); no browser is downloaded.
`make screenshots` also saves a screenshot of every page, whole, under `_build/screenshots/` for a
person to look at (BOOK_SCREENSHOTS=1). `make test` leaves them out: they were about 40% of the
browser's time (3 s a chapter on the 2-core AMD EPYC).
"""

import functools
import http.server
import os
import shutil
import threading

import pytest

from .conftest import ROOT, parsed, toc_pages

sync_api = pytest.importorskip("playwright.sync_api")

PAGES = toc_pages()
CHAPTERS = [page for page in PAGES if page.startswith("chapters/")]
SCREENSHOTS = ROOT / "_build" / "screenshots"
SCREENSHOTS_WANTED = os.environ.get("BOOK_SCREENSHOTS") == "1"

# Console errors that come from the theme, not from the book, each with its reason.
# (sphinx-thebe's script, added twice to every page, is made unique by _ext/unique_scripts.py.)
KNOWN_CONSOLE_ERRORS: set[str] = set()

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Pages are opened with wait_until="load": the page's own images, styles and scripts are in, and
# MathJax's typesetting is awaited where a test depends on it. "networkidle" would add half a
# second of waiting for no request to every one of the about 40 page loads.


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def server(html_root):
    handler = functools.partial(_QuietHandler, directory=str(html_root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: `sudo apt-get install chromium` (Debian/Ubuntu), then rerun.")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def _unknown(errors):
    return [e for e in errors if not any(known in e for known in KNOWN_CONSOLE_ERRORS)]


@pytest.mark.parametrize("name", [*PAGES, "genindex"])
def test_page_renders_its_maths_and_figures_on_a_desktop_and_a_phone(page, server, name):
    # Loaded once, at a desktop's 1366 px, then narrowed to a phone's 390 px. Narrowing lays the
    # page out as loading it at 390 px does: on every page of the book (8 December 2026), the
    # page's width and every figure's size came out the same to 0.1 px either way, and one load
    # instead of two saves about 3 s of the browser's time a page.
    page.set_viewport_size({"width": 1366, "height": 900})
    response = page.goto(f"{server}/{name}.html", wait_until="load")
    assert response is not None and response.status == 200, f"{name}: HTTP {response and response.status}"
    if page.locator("span.math, div.math").count():
        page.wait_for_selector("mjx-container", state="attached", timeout=15_000)
        _typeset(page)
        text = page.evaluate(
            """() => { const main = document.querySelector('main').cloneNode(true);
                       main.querySelectorAll('pre, code, mjx-container, script').forEach(n => n.remove());
                       return main.innerText; }"""
        )
        assert "$$" not in text and "\\[" not in text and "\\(" not in text, f"{name}: raw LaTeX left in the text"
    images = page.evaluate(
        """() => Array.from(document.querySelectorAll('main img')).map(
               img => ({src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0,
                        alt: (img.getAttribute('alt') || '').trim()}))"""
    )
    for image in images:
        assert image["ok"], f"{name}: image {image['src']} did not load"
        assert image["alt"], f"{name}: image {image['src']} has no alt text"
    _check_layout(page, name)
    if SCREENSHOTS_WANTED:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"{name.replace('/', '__')}.png"
        shot.unlink(missing_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 0, f"{name}: no screenshot written"
    page.set_viewport_size({"width": 390, "height": 800})
    _check_layout(page, name)
    assert not _unknown(page.console_errors), f"{name}: console errors {page.console_errors}"


@pytest.mark.parametrize("where", ["title", "link"])
def test_solution_toggle_reveals_the_solution(page, server, where):
    # A click on the title's words "Exercise N.M (tier)", which sphinx-exercise makes a link to the
    # exercise, used to jump to the exercise and leave the solution shut (CI failed on it when the
    # click landed on the words). Both places must open it, stay on the page, and shut it again.
    chapter = next(p for p in PAGES if p.startswith("chapters/"))
    page.goto(f"{server}/{chapter}.html", wait_until="load")
    solution = page.locator("div.solution").first
    content = solution.locator("section").first
    title = solution.locator(".admonition-title")
    assert not content.is_visible(), "solutions must start collapsed"
    if where == "link":
        target = title.locator("a")
        assert target.count() == 1, "the solution's title should link to its exercise"
        target.click()
    else:
        box = title.bounding_box()
        assert box is not None
        title.click(position={"x": box["width"] - 60, "y": box["height"] / 2})
    content.wait_for(state="visible", timeout=5_000)
    assert "#" not in page.url, f"the click left the page for {page.url}"
    title.locator("a" if where == "link" else ".toggle-button").click()
    content.wait_for(state="hidden", timeout=5_000)
    assert not _unknown(page.console_errors), f"console errors {page.console_errors}"


def test_a_chapter_downloads_as_a_notebook_or_a_pdf_not_as_raw_source(page, server):
    page.goto(f"{server}/chapters/04_partial_pooling.html", wait_until="load")
    page.locator(".dropdown-download-buttons button.dropdown-toggle").first.click()
    menu = page.locator(".dropdown-download-buttons .dropdown-menu").first
    menu.wait_for(state="visible", timeout=5_000)
    shown = [text.strip() for text in menu.locator(".dropdown-item:visible").all_inner_texts()]
    assert shown == [".ipynb", ".pdf"], f"the download menu offers {shown}"


def _open_dialogs(page):
    return page.evaluate("() => Array.from(document.querySelectorAll('dialog')).filter(d => d.open).map(d => d.id)")


def test_on_a_phone_the_chapter_list_and_the_contents_open_and_their_links_work(browser, server):
    # pydata-sphinx-theme 0.17 wires only the first, hidden .primary-toggle; _static/navigation.js
    # passes the visible buttons' clicks on. Without it, neither button opens anything at 390 px.
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(f"{server}/chapters/04_partial_pooling.html", wait_until="load")
    chapter_list = page.locator("#pst-primary-sidebar-modal")
    page.locator(".primary-toggle:visible").first.click()
    chapter_list.wait_for(state="visible", timeout=5_000)
    assert _open_dialogs(page) == ["pst-primary-sidebar-modal"]
    page.locator("#pst-primary-sidebar-modal a.reference.internal", has_text="Varying slopes").first.click()
    page.wait_for_url("**/06_varying_slopes.html", timeout=10_000)
    page.locator(".secondary-toggle:visible").first.click()
    page.locator("#pst-secondary-sidebar-modal").wait_for(state="visible", timeout=5_000)
    contents = page.locator("#pst-secondary-sidebar-modal #pst-page-toc-nav a:visible")
    assert contents.count() >= 5, "the page's contents should list its sections"
    context.close()


def test_on_a_wide_screen_the_chapter_list_button_hides_and_shows_the_list(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/chapters/04_partial_pooling.html", wait_until="load")
    sidebar = page.locator(".bd-sidebar-primary")
    assert sidebar.is_visible()
    page.locator(".primary-toggle:visible").first.click()
    sidebar.wait_for(state="hidden", timeout=5_000)
    page.locator(".primary-toggle:visible").first.click()
    sidebar.wait_for(state="visible", timeout=5_000)
    assert _open_dialogs(page) == []
    context.close()


def test_printing_shows_the_text_and_code_in_light_colours_without_the_website_around_it(page, server):
    page.goto(f"{server}/chapters/04_partial_pooling.html", wait_until="load")
    page.evaluate("() => { document.documentElement.dataset.theme = 'dark'; }")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    state = page.evaluate(
        """() => ({
            theme: document.documentElement.dataset.theme,
            sidebar: getComputedStyle(document.querySelector('.bd-sidebar-primary')).display,
            solutions: Array.from(document.querySelectorAll('div.solution')).filter(
                s => getComputedStyle(s).display !== 'none').length,
            cut: Array.from(document.querySelectorAll('div.cell_input pre')).filter(
                p => p.scrollWidth > p.clientWidth + 1).length,
            flex: Array.from(document.querySelectorAll('div.cell_input, div.cell_input div.highlight')).filter(
                e => getComputedStyle(e).display === 'flex').length,
        })"""
    )
    assert state["theme"] == "light", "printing must use the light colours"
    assert state["sidebar"] == "none", "the chapter list must not be printed"
    assert state["solutions"] == 0, "solutions must be left out of print"
    assert state["cut"] == 0, "code must wrap at the margin in print, not be cut off"
    assert state["flex"] == 0, "code boxes must be blocks in print (a flex box that crosses a page prints empty)"
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark", "the reader's choice comes back"


def _typeset(page):
    """Wait for MathJax to typeset the page's maths, where it has any (wide equations widen it)."""
    if page.locator("span.math, div.math").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")


def test_search_finds_a_chapter_by_a_word_in_it(page, server):
    page.goto(f"{server}/search.html?q=shrinkage", wait_until="load")
    page.wait_for_selector("ul.search li a", timeout=15_000)
    hits = page.locator("ul.search li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any("partial_pooling" in hit for hit in hits), hits
    assert not _unknown(page.console_errors), page.console_errors


def test_no_internal_link_is_broken(html_root):
    from urllib.parse import unquote, urlparse

    broken = []
    for html in html_root.rglob("*.html"):
        if "_static" in html.parts:
            continue
        doc = parsed(html)
        for anchor in doc.find_all("a", href=True):
            href = anchor["href"]
            url = urlparse(href)
            if url.scheme or href.startswith(("mailto:", "#", "//")) or not url.path:
                continue
            if url.path == "borrowing-strength.pdf" and html.name == "intro.html":
                continue  # written by `make pdf` after the build, not by `make book`
            target = (html.parent / unquote(url.path)).resolve()
            if not target.exists():
                broken.append(f"{html.relative_to(html_root)} -> {href}")
    assert not broken, broken


def _check_layout(page, name):
    """Assert that a loaded page does not scroll sideways, and that its figures are sharp, legible and in shape.

    Wide equations, tables and code scroll inside their own box; the page itself never does.
    Sharp: retina PNGs, at least 1.8 image pixels per CSS pixel shown. Legible: a figure's smallest
    text (hlmkit.style._SMALLEST_TEXT_PT, which tests/test_plots.py holds every chapter and hlmkit
    to) is drawn at that many points at figure.dpi: points * dpi / 72 CSS px when the figure is
    shown at its drawn width (the img's style width); shown narrower, it shrinks in proportion. At
    least 9 CSS px, on a phone too, where the figure's box scrolls sideways rather than shrink it
    further (and the page does not). Every chapter has figures.
    """
    from hlmkit.style import _RC, _SMALLEST_TEXT_PT

    width = page.viewport_size["width"]
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll[0] <= scroll[1], f"{name}: the page is {scroll[0]} px wide on a {scroll[1]} px screen"
    base_px = _SMALLEST_TEXT_PT * _RC["figure.dpi"] / 72
    figures = page.evaluate(
        """() => Array.from(document.querySelectorAll('main .cell_output img')).map(img => ({
               src: img.getAttribute('src'), drawn: parseFloat(img.style.width) || img.naturalWidth / 2,
               pixels: img.naturalWidth, aspect: img.naturalHeight / img.naturalWidth,
               shown: img.getBoundingClientRect().width, height: img.getBoundingClientRect().height}))"""
    )
    assert figures or name not in CHAPTERS, f"{name}: no figures found"
    blurry = [(f["src"], f["pixels"], round(f["shown"])) for f in figures if f["pixels"] < 1.8 * f["shown"]]
    assert not blurry, f"{name} at {width} px: under 1.8 pixels per CSS px (image, px, shown): {blurry[:5]}"
    small = [(f["src"], round(base_px * f["shown"] / f["drawn"], 1)) for f in figures
             if base_px * f["shown"] / f["drawn"] < 9]
    assert not small, f"{name} at {width} px: figure text below 9 CSS px (image, px): {small[:5]}"
    squeezed = [(f["src"], round(f["height"] / f["shown"], 3), round(f["aspect"], 3)) for f in figures
                if abs(f["height"] / f["shown"] - f["aspect"]) > 0.02 * f["aspect"]]
    assert not squeezed, f"{name}: figures shown out of shape (image, shown h/w, drawn h/w): {squeezed[:3]}"
