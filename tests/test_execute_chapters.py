"""scripts/execute_chapters.py fills the execution cache so that the build finds every chapter run.

If the notebook it reads from a page differed from the one the build reads, the build would miss
the cache and run every chapter a second time: slow, and silent. The build reads each page with
the book's MyST settings; the script with the defaults. These tests show that the two give the same
cache key for every page, and that the script finds every chapter of the table of contents.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml
from jupyter_cache import get_cache
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("execute_chapters", ROOT / "scripts" / "execute_chapters.py")
assert spec is not None and spec.loader is not None
execute_chapters = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execute_chapters)

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))


def test_every_chapter_of_the_table_of_contents_is_found_in_order():
    found = execute_chapters.pages()
    assert [p for p in found if p.parent.name == "chapters"] == CHAPTERS
    assert all(p.suffix == ".md" and p.exists() for p in found)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return get_cache(str(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_script_and_the_build_read_the_same_notebook(cache, path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    extensions = set(config["parse"]["myst_enable_extensions"])
    as_built = read_myst_markdown_notebook(
        path.read_text(encoding="utf-8"),
        config=MdParserConfig(enable_extensions=extensions),
        add_source_map=True,
        path=str(path),
    )
    ours = execute_chapters.read_page(path)
    assert cache.create_hashed_notebook(ours)[1] == cache.create_hashed_notebook(as_built)[1]
    assert sum(cell.cell_type == "code" for cell in ours.cells) > 0


def test_a_changed_code_cell_changes_the_key(cache, tmp_path):
    page = tmp_path / CHAPTERS[0].name
    text = CHAPTERS[0].read_text(encoding="utf-8")
    page.write_text(text, encoding="utf-8")
    before = cache.create_hashed_notebook(execute_chapters.read_page(page))[1]
    page.write_text(text.replace("```{code-cell} ipython3\n", "```{code-cell} ipython3\n1 + 1\n", 1), encoding="utf-8")
    assert cache.create_hashed_notebook(execute_chapters.read_page(page))[1] != before


def test_each_executed_chapter_adds_a_row_of_times(tmp_path):
    import csv

    out = tmp_path / "build" / "chapter_times.csv"
    execute_chapters.record_time(CHAPTERS[3], 12.345, 2, False, out=out)
    execute_chapters.record_time(CHAPTERS[13], 40.0, 1, True, out=out)
    rows = list(csv.DictReader(out.open()))
    assert [r["chapter"] for r in rows] == [CHAPTERS[3].stem, CHAPTERS[13].stem]
    assert rows[0]["seconds"] == "12.35" and rows[0]["jobs"] == "2" and rows[0]["failed"] == "False"
    assert rows[1]["jobs"] == "1" and rows[1]["failed"] == "True" and float(rows[1]["load_1min"]) >= 0


def test_run_as_a_script_it_does_not_import_the_iri_grammar():
    # rfc3987_syntax builds a grammar on import (1.4 s of every run); the script goes without it.
    # --jobs 0 stops the script right after its imports.
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "scripts" / "execute_chapters.py"),
                          "--jobs", "0"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2 and "--jobs must be 1 or more" in run.stderr
    assert "| jupyter_cache" in run.stderr and "| myst_nb" in run.stderr  # the imports did run
    assert "rfc3987_syntax.syntax_helpers" not in run.stderr  # the grammar (the import is refused at once)


def test_a_chapter_kernel_glues_without_the_iri_grammar_and_without_a_stray_name(tmp_path):
    # The build's kernels start with KERNEL_ARGUMENTS: a chapter's first glue() then skips the
    # grammar (about 1 s), and the line that refuses it leaves nothing in the reader's namespace.
    page = tmp_path / "page.md"
    page.write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\nkernelspec:\n  name: python3\n"
        "  display_name: Python 3\n---\n\n# A page\n\n```{code-cell} ipython3\nfrom myst_nb import glue\n"
        "glue('answer', 42, display=False)\nimport sys\n"
        "print('rfc3987_syntax.syntax_helpers' in sys.modules,\n"
        "      sorted(n for n in dir() if not n.startswith('_')),\n"
        "      __import__('ipykernel.kernelapp').kernelapp.IPKernelApp.instance().transport)\n```\n",
        encoding="utf-8",
    )
    _, notebook, _, error = execute_chapters.execute(page, timeout=60)
    assert error is None
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.get("name") == "stdout")
    # ipc: Unix sockets, so two kernels started at once cannot be given the same TCP port.
    assert printed.strip() == "False ['In', 'Out', 'exit', 'get_ipython', 'glue', 'open', 'quit', 'sys'] ipc"


def test_a_kernel_that_dies_at_start_fails_its_page_and_the_build_goes_on(tmp_path, monkeypatch):
    # 2026-12-08: a chapter's kernel died before its first cell ("Address already in use"), and the
    # error ended `make test`. Now the page fails with the reason, and the build runs it again.
    page = tmp_path / "page.md"
    page.write_text("---\njupytext:\n  text_representation:\n    format_name: myst\nkernelspec:\n  name: python3\n"
                    "  display_name: Python 3\n---\n\n# A page\n\n```{code-cell} ipython3\n1\n```\n", encoding="utf-8")

    def dies(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(execute_chapters, "single_nb_execution", dies)
    path, notebook, seconds, error = execute_chapters.execute(page, timeout=60)
    assert (path, notebook) == (page, None) and seconds >= 0
    assert error == "RuntimeError: Kernel died before replying to kernel_info"
