"""Hand-outs render in plain Jupyter: no raw MyST reaches a student notebook."""

from __future__ import annotations

import re

import pytest

from coursework import read_chapter, student_notebook
from coursework.myst import Context, book_context, plain_markdown
from tests.coursework import CHAPTERS, stem

RAW_MYST = re.compile(r"\{[a-z]+(:[a-z]+)?\}`|^:{3,}|^`{3,}\{|^\([\w-]+\)=$", flags=re.M)


@pytest.mark.parametrize("path", CHAPTERS, ids=stem)
def test_student_notebooks_hold_no_raw_myst(path):
    notebook = student_notebook(path)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    found = sorted({m.group(0) for m in RAW_MYST.finditer(text)})
    assert not found, f"raw MyST in the student notebook of {path.name}: {found}"
    assert "*Numbers that the book's text computes" in text or "{glue" not in path.read_text()


def test_the_books_labels_captions_and_references_are_found():
    context = book_context()
    assert context.titles["ch-partial-pooling"] == "*Partial pooling: the multilevel model* (chapter 4)"
    assert context.titles["glossary"] == "*Glossary*"
    assert context.figures["fig-pp-shrinkage"] == "The shrinkage plot"
    assert context.citations["gelman2007data"][:2] == ("Gelman and Hill", "2007")
    assert context.citations["gelman2013bda"][0] == "Gelman et al."


CONTEXT = Context(
    titles={"ch-why": "*Why?* (chapter 1)"},
    figures={"fig-a": "A funnel"},
    citations={"a2000": ("Able", "2000", "Able, Ann (2000). A book."), "b2001": ("Baker", "2001", "Baker (2001).")},
)


@pytest.mark.parametrize(
    ("myst", "plain"),
    [
        ("{ref}`ch-why`", "*Why?* (chapter 1)"),
        ("{ref}`the first chapter <ch-why>`", "the first chapter"),
        ("{ref}`ch-unknown`", "*ch-unknown*"),
        ("{numref}`fig-a`", "the figure “A funnel”"),
        ("{cite:p}`a2000,b2001`", "(Able 2000; Baker 2001)"),
        ("{cite:t}`a2000`", "Able (2000)"),
        ("{cite:p}`nobody`", "(nobody)"),
        ("{term}`chains <chain>`", "chains"),
        ("{term}`R-hat`", "R-hat"),
        ("{glue:text}`tau_mean:.1f` and {glue:md}`label`", "`tau_mean` and `label`"),
        ("(ch-why)=\n# Why", "# Why"),
    ],
)
def test_roles_become_plain_markdown(myst, plain):
    assert plain_markdown(myst, CONTEXT)[0] == plain


def test_admonitions_become_block_quotes_and_the_bibliography_a_list():
    text = ":::{admonition} Learning objectives\n:class: tip\n\nYou can\n\n1. fit\n:::\nText {cite:p}`b2001`.\n"
    text += "\n## References\n\n```{bibliography}\n:filter: docname in docnames\n```\n"
    plain, glued = plain_markdown(text, CONTEXT)
    assert plain.startswith("> **Learning objectives**\n>\n> You can\n>\n> 1. fit\nText (Baker 2001).")
    assert plain.rstrip().endswith("## References\n\n- Baker (2001).")
    assert glued == []


def test_an_instructor_only_admonition_is_left_out_of_the_hand_out():
    text = (
        "Before.\n\n:::{admonition} Rubric for instructors\n:class: dropdown instructor-only\n\n"
        "| Criterion | Points |\n| --- | --- |\n| Model | 20 |\n:::\n\n:::{note}\nKept.\n:::\nAfter.\n"
    )
    plain = plain_markdown(text, CONTEXT)[0]
    assert "Rubric" not in plain and "Criterion" not in plain and "instructor-only" not in plain
    assert plain.startswith("Before.") and "> **Note**\n>\n> Kept." in plain and plain.rstrip().endswith("After.")



def test_the_capstone_rubric_is_on_the_website_but_not_in_the_student_notebook():
    capstone = next(p for p in CHAPTERS if p.name.startswith("14_"))
    assert "Rubric for instructors" in capstone.read_text(encoding="utf-8")
    text = "\n".join(cell.source for cell in student_notebook(capstone).cells)
    assert "Rubric for instructors" not in text and "Common slips to look for" not in text


def test_accented_names_from_the_bibliography_keep_their_accents():
    # references.bib writes Lüdtke and Muthén as L{\"u}dtke and Muth{\'e}n; the hand-out must not drop the accents.
    context = book_context()
    assert plain_markdown("{cite:t}`ludtke2008latent`", context)[0] == "Lüdtke et al. (2008)"
    assert "Muthén, Bengt" in context.citations["ludtke2008latent"][2]


def test_a_reference_to_an_exercise_reads_as_its_number_in_the_hand_out():
    # {ref}`ex-scaling-by-hand` showed the raw label in the hand-out; the website shows "Exercise 13.7".
    context = book_context()
    for path in CHAPTERS:
        chapter = read_chapter(path)
        where = f" (chapter {int(path.stem[:2])})"
        for label, exercise in chapter.exercises.items():
            assert context.titles[label] == f"Exercise {exercise.number}{where}", label
    text, _ = plain_markdown("Use the statistics of {ref}`ex-scaling-by-hand`.", context)
    assert text == f"Use the statistics of {context.titles['ex-scaling-by-hand']}." and "*ex-" not in text
