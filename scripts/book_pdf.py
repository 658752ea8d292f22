"""The whole book as one PDF, printed from the built website by the Chromium the browser tests use.

    python scripts/book_pdf.py [--html _build/html] [--out _build/html/borrowing-strength.pdf]

Every page of ``_toc.yml``, in order, is opened in headless Chromium, its maths rendered, and
printed with the book's print stylesheet (``_static/book.css``: no navigation, code wrapped,
solutions left out, light colours). The pages are joined into one PDF with an outline entry per
page. ``make pdf`` runs this after ``make book``; it is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_pages() -> list[str]:
    """Every page of ``_toc.yml`` in reading order, as paths without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            pages.append(chapter["file"])
            pages.extend(section["file"] for section in chapter.get("sections", []))
    return pages


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> int:
    """Print every page and join them; return a shell exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=None, help="default: HTML/borrowing-strength.pdf")
    args = parser.parse_args()
    html = args.html.resolve()
    out = (args.out or html / "borrowing-strength.pdf").resolve()
    if not (html / "index.html").exists():
        print(f"No built site at {html}: run `make book` first.", file=sys.stderr)
        return 2
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is not installed: `sudo apt-get install chromium` (Debian/Ubuntu), then rerun.",
              file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright
    from pypdf import PdfWriter

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(html)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    writer = PdfWriter()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 900, "height": 1200})
        for number, name in enumerate(toc_pages()):
            page.goto(f"{base}/{name}.html", wait_until="networkidle")
            if page.locator("span.math, div.math").count():
                page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
                page.evaluate("() => MathJax.startup.promise")
            page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")  # light colours
            title = page.locator("main h1").first.inner_text().strip().replace("#", "").strip()
            path = Path(tmp) / f"{number:02d}.pdf"
            page.pdf(
                path=str(path),
                format="A4",
                margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                print_background=True,
            )
            start = len(writer.pages)
            writer.append(str(path))
            writer.add_outline_item(title=title, page_number=start)
            print(f"  {name}: {len(writer.pages) - start} pages", flush=True)
        browser.close()
    httpd.shutdown()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        writer.write(handle)
    print(f"The book as one PDF ({len(writer.pages)} pages): {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
