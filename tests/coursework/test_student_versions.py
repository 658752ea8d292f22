"""The student versions: a chapter's hand-out runs as a student gets it, only its exercises failing.

The book's strict build runs every chapter with its solutions, and the chapter lint
(``test_handout.py``) proves that no cell outside an exercise uses what only a solution defines or
changes, so every student version runs too. Here chapters 2 and 4, whose exercises ask for a model,
also run as a student gets them, to test the hand-out itself end to end (stubs, the glue stand-in,
plain Markdown). ``COURSEWORK_EXECUTE=all`` (``make student-check``) runs every chapter that way
(~3 minutes). A module of its own, so that make test runs it beside the grading tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from coursework import grade_submissions, read_chapter, student_notebook
from tests.coursework import CH01, CHAPTERS, ROOT, stem

JOBS = 2  # kernels at a time


# --------------------------------------------------------------------------------------------
# The student version of every chapter with graded exercises executes (stubs break nothing else)
# --------------------------------------------------------------------------------------------


def _has_graded_exercises(path: Path) -> bool:
    try:
        return bool(read_chapter(path).graded)
    except Exception:  # a broken chapter fails the markup test above, not the collection of this file
        return False


# Longest first, so that the two kernels finish together.
OTHER_CHAPTERS = sorted(
    (
        p
        for p in CHAPTERS
        if p != CH01
        and (os.environ.get("COURSEWORK_EXECUTE") == "all" or p.name.startswith(("02_", "04_")))
        and _has_graded_exercises(p)  # last: it reads the chapter (about 0.2 s)
    ),
    reverse=True,
)


@pytest.fixture(scope="module")
def blank_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blank")
    for path in OTHER_CHAPTERS:
        nbformat.write(student_notebook(path), folder / f"{path.stem}.ipynb")
    # Sampling cells take ~20 s on a loaded machine; the per-cell limit only guards against hangs.
    results = grade_submissions([folder], chapters_dir=ROOT / "chapters", timeout=300, jobs=JOBS)
    return {result.chapter: result for result in results}


@pytest.mark.parametrize("path", OTHER_CHAPTERS, ids=stem)
def test_student_version_executes_with_only_the_exercises_failing(blank_runs, path):
    result = blank_runs[path.stem]
    assert result.notes == [], f"cells outside the exercises failed: {result.notes}"
    for row in result.rows:
        assert row["status"] in ("unanswered", "manual"), row
