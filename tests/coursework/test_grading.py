"""Grading: the grader scores what it should, and survives bad work.

Grading tests use chapter 1 (no sampling, ~5 s a run). Kernels run in parallel (two at a time).
The student versions of the chapters run in ``test_student_versions.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from coursework import (
    DEMO_CHAPTER,
    grade_submissions,
    grade_table,
    read_chapter,
    reference_notebook,
    student_notebook,
    write_grade_report,
)
from tests.coursework import CH01, ROOT

# Per-cell timeout for the chapter-1 scenarios: chapter 1's slowest cell (imports) takes ~6 s on
# a loaded 2-core machine, so 20 s leaves room and keeps the endless-loop cases short.
TIMEOUT = 20
JOBS = 2


# --------------------------------------------------------------------------------------------
# Grading: chapter 1 scenarios, graded together (two kernels at a time)
# --------------------------------------------------------------------------------------------


def _with_answer(notebook, label: str, source: str):
    notebook = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    for cell in notebook.cells:
        if cell.metadata.get("coursework") == {"exercise": label, "role": "answer"}:
            cell.source = source
            return notebook
    raise AssertionError(f"no answer cell for {label}")


# Endless loops that sleep, so that they do not take a core from the other kernels.
LOOP = """import time
while True:
    time.sleep(0.2)
"""
STUCK = """import time
while True:  # an endless loop that also swallows the interrupt
    try:
        time.sleep(0.2)
    except KeyboardInterrupt:
        pass
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every scenario once: {scenario: GradeResult}.

    Each scenario's notebook runs chapter 1 in a kernel of its own (about 12 s of a core), so
    attacks on different exercises share a notebook where they cannot hide one another: the
    tests below read each exercise's own row.
    """
    folder = tmp_path_factory.mktemp("submissions")
    chapter = read_chapter(CH01)
    reference = reference_notebook(chapter)
    blank = student_notebook(chapter)

    def exercise_of(cell):
        return cell.metadata.get("coursework", {}).get("exercise")

    # ex-why-radon's cells moved before ex-why-funnel's, and ex-why-school-means's cells deleted.
    moved = nbformat.from_dict(json.loads(nbformat.writes(reference)))
    radon_cells = [c for c in moved.cells if exercise_of(c) == "ex-why-radon"]
    moved.cells = [c for c in moved.cells if c not in radon_cells and exercise_of(c) != "ex-why-school-means"]
    first_funnel = next(k for k, c in enumerate(moved.cells) if exercise_of(c) == "ex-why-funnel")
    moved.cells[first_funnel:first_funnel] = radon_cells
    # A wrong answer that also disarms the check helpers the grader's checks import, with the public
    # checks "fixed" (the grader uses the chapter's), and a later answer that raises.
    attacked = _with_answer(
        reference,
        "ex-why-funnel",
        "import hlmkit, hlmkit.exercises\nshare_outside = 0.5  # a plausible share, but wrong\n"
        "hlmkit.check = hlmkit.exercises.check = lambda *args, **kwargs: None",
    )
    for cell in attacked.cells:
        if cell.metadata.get("coursework", {}).get("role") == "public-check":
            cell.source = "pass"
    attacked = _with_answer(attacked, "ex-why-radon", "raise RuntimeError('my code is broken')")
    other_chapter = nbformat.from_dict(json.loads(nbformat.writes(reference)))
    other_chapter.metadata["coursework"]["chapter"] = "02_complete_pooling"
    notebooks = {
        "reference": reference,
        "blank": blank,
        "attacked": attacked,
        "loops": _with_answer(reference, "ex-why-funnel", LOOP),
        "stuck": _with_answer(reference, "ex-why-funnel", STUCK),
        "moved": moved,
        "other-chapter": other_chapter,
        # A wrong answer, and an IPython input transformer that turns every later cell into `pass`.
        "transformed": _with_answer(
            reference,
            "ex-why-funnel",
            "share_outside = 0.5\nget_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])",
        ),
    }
    for name, notebook in notebooks.items():
        nbformat.write(notebook, folder / f"{name}.ipynb")
    (folder / "corrupt.ipynb").write_text('{"cells": [ this is not json', encoding="utf-8")
    (folder / "not-a-notebook.ipynb").write_text('{"hello": "world"}', encoding="utf-8")
    results = grade_submissions([folder], chapters_dir=ROOT / "chapters", chapter="01", timeout=TIMEOUT, jobs=JOBS)
    return {result.student: result for result in results}


def _scores(result) -> dict[str, object]:
    return {row["exercise"]: row["score"] for row in result.rows}


SUBMISSIONS = 10  # the scenarios of `graded`
GRADED = [e.label for e in read_chapter(CH01).graded]  # ex-why-funnel first, ex-why-radon later, in order


def _expect(**scores: int) -> dict[str, object]:
    """Chapter 1's scores: None for exercises graded by hand, 1 for graded ones unless given."""
    expected = {e.label: (scores.get(e.label.replace("-", "_"), 1) if e.graded else None)
                for e in read_chapter(CH01).exercises.values()}
    return expected


def test_every_submission_gets_a_row_for_every_exercise(graded):
    chapter = read_chapter(CH01)
    assert len(graded) == SUBMISSIONS
    table = grade_table(graded.values())
    assert len(table) == SUBMISSIONS * len(chapter.exercises)
    assert set(table["exercise"]) == set(chapter.exercises)
    manual = table[table["exercise"] == "ex-why-predict"]
    assert (manual["status"] == "manual").all() and manual["score"].isna().all()
    # The scenarios rely on this order: ex-why-funnel first, ex-why-radon and ex-why-school-means later.
    assert GRADED[0] == "ex-why-funnel" and {"ex-why-radon", "ex-why-school-means"} <= set(GRADED[1:])


def test_reference_solution_scores_full_marks_without_errors(graded):
    result = graded["reference"]
    assert _scores(result) == _expect()
    assert result.notes == []


def test_blank_student_notebook_scores_zero_and_still_executes(graded):
    result = graded["blank"]
    assert [result.row(label)["score"] for label in GRADED] == [0] * len(GRADED)
    assert {result.row(label)["status"] for label in GRADED} == {"unanswered"}
    assert result.notes == [], "a chapter cell failed in the student version"


def test_a_wrong_answer_and_one_that_raises_lose_exactly_their_exercises(graded):
    result = graded["attacked"]
    assert _scores(result) == _expect(ex_why_funnel=0, ex_why_radon=0)
    assert result.row("ex-why-funnel")["status"] == "fail"
    # The public checks the student emptied were replaced by the chapter's; the hidden one caught it.
    assert "hidden check failed: share_outside should be" in result.row("ex-why-funnel")["reason"]
    row = result.row("ex-why-radon")
    assert row["status"] == "error" and "RuntimeError: my code is broken" in row["reason"]


def test_an_endless_loop_is_stopped_and_later_exercises_still_count(graded):
    result = graded["loops"]
    assert _scores(result) == _expect(ex_why_funnel=0)
    row = result.row("ex-why-funnel")
    assert row["status"] == "timeout" and f"longer than {TIMEOUT} s" in row["reason"]


def test_a_loop_that_ignores_interrupts_zeroes_the_rest_with_a_reason(graded):
    result = graded["stuck"]
    assert _scores(result) == _expect(**{label.replace("-", "_"): 0 for label in GRADED})  # funnel is first
    assert result.row("ex-why-funnel")["status"] == "timeout"
    assert "did not recover" in result.row("ex-why-radon")["reason"]
    # The root cause, once, named by the student's own cell number, for the feedback to show first.
    (cause,) = result.notes
    assert cause.startswith("cell ") and "ran longer than" in cause and cause.endswith("no cell after it ran")
    assert result.seconds < 10 * TIMEOUT


def test_a_submission_that_disarms_the_check_helpers_still_fails_its_wrong_answer(graded):
    # The wrong answer of "attacked" rebinds hlmkit.check in the student's kernel; the checks run
    # in the grader's own process, with its own hlmkit.
    assert graded["attacked"].row("ex-why-funnel")["score"] == 0


def test_a_submission_that_rewrites_later_cells_still_fails_its_wrong_answer(graded):
    # Its transformer turns every later cell of its own session into `pass`: the checks, which run
    # in the grader's process, still see the wrong answer, and nothing after it was exported.
    assert _scores(graded["transformed"]) == {label: (0 if score == 1 else score) for label, score in _expect().items()}
    assert "share_outside" in graded["transformed"].row("ex-why-funnel")["reason"]


def test_reordered_cells_are_graded_and_deleted_ones_get_zero_with_a_reason(graded):
    result = graded["moved"]
    assert _scores(result) == _expect(ex_why_school_means=0)  # ex-why-radon's cells, moved, still count
    assert result.row("ex-why-school-means")["status"] == "missing"
    assert "not in the notebook" in result.row("ex-why-school-means")["reason"]


@pytest.mark.parametrize("name", ["corrupt", "not-a-notebook", "other-chapter"])
def test_unreadable_or_foreign_notebooks_get_zero_with_a_reason(graded, name):
    result = graded[name]
    for label in GRADED:
        row = result.row(label)
        assert row["score"] == 0 and row["status"] == "unreadable" and row["reason"]
    if name == "other-chapter":
        assert "02_complete_pooling" in result.row("ex-why-funnel")["reason"]


def test_report_files_hold_every_student(graded, tmp_path):
    paths = write_grade_report(list(graded.values()), tmp_path)
    scores = pd.read_csv(paths["scores"])
    assert len(scores) == SUBMISSIONS * len(read_chapter(CH01).exercises) and set(scores["student"]) == set(graded)
    totals = pd.read_csv(paths["totals"]).set_index("student")
    assert totals.loc["reference", "score"] == len(GRADED) and totals.loc["blank", "score"] == 0
    report = paths["report"].read_text(encoding="utf-8")
    assert all(f"### {student} " in report for student in graded)
    unread = set(totals.index[totals["needs_a_person"].notna()])
    assert unread == {"corrupt", "not-a-notebook", "other-chapter"}, "no grade, for a person to look at"
    assert totals.loc[sorted(unread), "score"].isna().all() and "## Needs a person" in report


def test_points_declared_in_a_chapter_round_trip_through_grading_and_the_report(tmp_path):
    # The demo chapter with 1 point on its public check and 3 on its hidden one: a right answer
    # earns 4/4, a whole number that is not 4 earns the public check's 1 point.
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    text = DEMO_CHAPTER.read_text()
    for tags, points in (("[public-check]", 1), ("[remove-cell, hidden-check]", 3)):
        assert text.count(f":tags: {tags}\n") == 1
        text = text.replace(f":tags: {tags}\n", f":tags: {tags}\n:points: {points}\n")
    (chapters / "99_demo.md").write_text(text)
    chapter = read_chapter(chapters / "99_demo.md")
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    nbformat.write(reference_notebook(chapter), submissions / "ada.ipynb")
    nbformat.write(_with_answer(reference_notebook(chapter), "ex-demo-sum", "answer = 5"), submissions / "bo.ipynb")
    graded = grade_submissions([submissions], chapters_dir=chapters, timeout=TIMEOUT, jobs=JOBS)
    results = {result.student: result for result in graded}
    assert (results["ada"].score, results["ada"].max_score) == (4, 4)
    assert (results["bo"].score, results["bo"].max_score) == (1, 4)
    assert results["bo"].row("ex-demo-sum")["reason"] == "hidden check failed: answer should be two plus two"
    paths = write_grade_report(list(results.values()), tmp_path / "grades")
    totals = pd.read_csv(paths["totals"]).set_index("student")
    assert totals.loc["bo", "score"] == 1 and totals.loc["bo", "max_score"] == 4
    feedback = "\n".join(p.read_text(encoding="utf-8") for p in sorted(Path(paths["feedback"]).glob("bo*.md")))
    assert "1/4" in feedback
