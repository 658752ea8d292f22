"""The built website: every page exists, shows its figures with alt text, and no error output."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .conftest import ROOT, parsed, toc_pages

PAGES = toc_pages()
CHAPTERS = [page for page in PAGES if page.startswith("chapters/")]
BACKMATTER = [page for page in PAGES if page.startswith("backmatter/")]


def soup(html_root: Path, page: str) -> BeautifulSoup:
    path = html_root / f"{page}.html"
    assert path.exists(), f"{path} was not built"
    return parsed(path)


def test_index_exists_and_links_every_chapter(html_root):
    index = (html_root / "index.html").read_text()
    assert "intro.html" in index or "Borrowing Strength" in index
    intro = soup(html_root, "intro")
    links = {a.get("href", "") for a in intro.find_all("a")}
    for chapter in CHAPTERS:
        assert any(chapter + ".html" in link for link in links), f"landing page does not link {chapter}"


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_error_output(html_root, page):
    doc = soup(html_root, page)
    for css in ("output.traceback", "output.stderr", "output.error"):
        assert not doc.select(f"div.{css}"), f"{page} shows {css} output"
    # Outputs of executed cells only: the API reference legitimately shows exceptions in its examples.
    text = " ".join(output.get_text() for output in doc.select("div.cell_output"))
    # (Not "Warning:": the capstone shows statsmodels' ConvergenceWarning on purpose, as its lesson.)
    for marker in ("Traceback (most recent call last)", "Error:", "WARNING"):
        assert marker not in text, f"{page} shows {marker!r} in a cell output"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_figures_exist_with_alt_text_and_captions(html_root, page):
    doc = soup(html_root, page)
    images = doc.select("main img") or doc.find_all("img")
    figures = [img for img in images if "logo" not in " ".join(img.get("class", []))]
    assert figures, f"{page} has no figures"
    for img in figures:
        src = img.get("src", "")
        target = (html_root / page).parent / src
        assert target.resolve().exists(), f"{page}: image {src} is missing"
        assert img.get("alt", "").strip(), f"{page}: image {src} has no alt text"
    for figure in doc.select("figure"):
        assert figure.select("figcaption"), f"{page}: a figure has no caption"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_has_objectives_exercises_solutions_and_references(html_root, page):
    doc = soup(html_root, page)
    text = doc.get_text()
    assert "Learning objectives" in text
    assert len(doc.select(".exercise")) >= 3, f"{page} needs at least 3 exercises"
    assert doc.select(".solution"), f"{page} has no solutions"
    assert doc.select(".bibliography, .citation"), f"{page} has no references"


def test_no_raw_glue_or_unresolved_references(html_root):
    for page in PAGES:
        text = soup(html_root, page).get_text()
        assert "{glue" not in text and "{ref}" not in text and "{cite" not in text, page


def test_chapter_sources_are_text_notebooks():
    for chapter in CHAPTERS:
        head = (ROOT / f"{chapter}.md").read_text().splitlines()[:12]
        assert "jupytext:" in head and any("name: python3" in line for line in head), chapter


def test_every_chapter_is_published_as_a_notebook_with_outputs(html_root):
    import json

    intro = (html_root / "intro.html").read_text()
    for chapter in CHAPTERS:
        name = chapter.split("/")[-1]
        path = html_root / "notebooks" / f"{name}.ipynb"
        assert path.exists(), f"{path} is missing: run `make book`"
        assert f'href="notebooks/{name}.ipynb"' in intro, f"the landing page does not offer {name}.ipynb"
        cells = json.loads(path.read_text())["cells"]
        assert any(cell.get("outputs") for cell in cells if cell["cell_type"] == "code"), f"{name}.ipynb has no outputs"
        # The page's own download button offers _sources/...ipynb: the same executed notebook.
        download = html_root / "_sources" / "chapters" / f"{name}.ipynb"
        assert f'href="../_sources/chapters/{name}.ipynb"' in (html_root / f"{chapter}.html").read_text()
        assert json.loads(download.read_text())["cells"] == cells, f"the page's download of {name} lacks its outputs"


def test_no_published_file_names_the_build_machine_or_carries_its_warnings(html_root):
    # Library warnings on stderr name the build machine's paths (site-packages under the build folder).
    leaks = []
    for path in html_root.rglob("*"):
        if path.suffix not in {".html", ".ipynb", ".txt", ".md"} or "_static" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in (str(ROOT), "site-packages/", '"name": "stderr"'):
            if marker in text:
                leaks.append(f"{path.relative_to(html_root)}: {marker}")
    assert not leaks, leaks[:10]


def test_shown_code_leaves_out_the_build_plumbing_and_the_download_keeps_it(html_root):
    # _ext/reader_code.py: glue's imports and the seed sweep's variable serve the build, not the lesson.
    import json

    for chapter in CHAPTERS:
        shown = "\n".join(block.get_text() for block in soup(html_root, chapter).select(".cell_input pre"))
        for plumbing in ("from myst_nb import glue", "from IPython.display import Markdown", "BOOK_SEED",
                         "import os\n"):
            assert plumbing not in shown, f"{chapter} shows {plumbing!r}"
        name = chapter.split("/")[-1]
        source = (ROOT / f"{chapter}.md").read_text()
        cells = json.loads((html_root / "notebooks" / f"{name}.ipynb").read_text())["cells"]
        downloaded = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
        seed = re.search(r'os\.environ\.get\("BOOK_SEED", (\d+)\)', source)
        if seed:
            assert f"RANDOM_SEED = {seed.group(1)}  # the sampler's seed\n" in shown, f"{chapter} hides its seed"
            assert 'os.environ.get("BOOK_SEED"' in downloaded, f"{name}.ipynb lost the seed sweep's variable"
        assert "from myst_nb import glue" in downloaded, f"{name}.ipynb lost its glue import"


@pytest.mark.parametrize("page", BACKMATTER)
def test_back_matter_pages_exist(html_root, page):
    assert soup(html_root, page).select("main h1")


def test_reference_lists_use_the_same_author_year_labels_as_the_text(html_root):
    # The text cites "Gelman and Hill [2007]"; a list labelled "[GH07]" could not be matched to it.
    import re

    pattern = re.compile(r"^[A-Z][^\[\]]*(, | and [^,]+, | et al\., )\d{4}[a-z]?$")
    labels = []
    for name in toc_pages():
        for label in soup(html_root, name).select("div.citation span.label"):
            text = "".join(s for s in label.find_all(string=True) if "fn-bracket" not in s.parent.get("class", []))
            labels.append((name, text.strip()))
    assert labels, "no reference list found"
    bad = [(name, text) for name, text in labels if not pattern.match(text)]
    assert not bad, f"labels not in author-year form: {bad[:5]}"


def test_chapters_link_the_glossary_where_its_terms_are_introduced(html_root):
    # Part I introduces the pooling strategies and the MCMC vocabulary: a reader can look each up.
    linked = {}
    for name in ("chapters/01_why_hierarchical", "chapters/02_complete_pooling"):
        doc = soup(html_root, name)
        linked[name] = {a.get_text().strip().lower() for a in doc.select("main a[href*='glossary']")}
    assert {"complete pooling", "no pooling", "partial pooling", "shrinkage"} <= linked["chapters/01_why_hierarchical"]
    assert {"r-hat", "effective sample size", "divergence", "credible interval"} <= linked[
        "chapters/02_complete_pooling"
    ]


def test_every_chapter_links_the_glossary_for_the_terms_it_introduces(html_root):
    # A reader who meets a term in any chapter can look it up; each chapter links the terms it is
    # the first to use (its own learning objectives name them).
    expected = {
        "chapters/06_varying_slopes": {"lkj", "cholesky factor", "varying slopes"},
        "chapters/10_checking": {"posterior predictive checks", "elpd", "pareto k"},
    }
    for name in (p for p in toc_pages() if p.startswith("chapters/")):
        doc = soup(html_root, name)
        linked = {a.get_text().strip().lower() for a in doc.select("main a[href*='glossary']")}
        assert linked, f"{name} links no glossary term"
        assert expected.get(name, set()) <= linked, f"{name}: {expected[name] - linked} not linked"


def test_no_page_declares_a_script_twice(html_root):
    # sphinx-thebe's inline `const THEBE_JS_URL` appeared twice on every page: a console error.
    doubled = []
    for name in toc_pages():
        inline = [s.get_text() for s in soup(html_root, name).select("script") if s.get_text().strip()]
        doubled += [(name, text[:40]) for text in set(inline) if inline.count(text) > 1 and "const " in text]
    assert not doubled, doubled[:5]
