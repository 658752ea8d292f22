"""Scoring from what ran: the root cause of a failure is noted in the order it ran; no points are invented.

These tests give ``score_exercises`` the cell statuses the executor reports, so no kernel runs.
"""

from __future__ import annotations

from coursework import DEMO_CHAPTER, read_chapter
from coursework.scoring import UNKNOWN_EXERCISE, blank_result, score_exercises

CHAPTER = read_chapter(DEMO_CHAPTER)
LABEL = CHAPTER.graded[0].label  # the demo chapter's one graded exercise


def _result():
    return blank_result(CHAPTER, "ada", "ada.ipynb")


# The grading notebook of the demo chapter as the executor sees it: two cells of the student's, the
# answer, its public check, one more cell of the student's.
ROLES = {
    0: ("student", None, "cell 1 ('import numpy as np')"),
    1: ("student", None, "cell 2 ('schools = (')"),
    2: ("answer", LABEL, "cell 4 ('answer = schools')"),
    3: ("public check", LABEL, f"public check of {LABEL}"),
    4: ("student", None, "cell 6 ('print(answer)')"),
}


def test_errors_outside_the_exercises_are_noted_in_the_order_they_ran():
    result = _result()
    status = {
        0: ("ok", ""),
        1: ("error", "SyntaxError: '(' was never closed"),
        2: ("error", "NameError: name 'schools' is not defined"),
        3: ("error", "NameError: name 'answer' is not defined"),
        4: ("error", "NameError: name 'answer' is not defined"),
    }
    score_exercises(result, ROLES, status, timeout=60)
    assert result.notes == [
        "cell 2 ('schools = (') failed: SyntaxError: '(' was never closed",
        "cell 6 ('print(answer)') failed: NameError: name 'answer' is not defined",
    ]
    assert result.row(LABEL)["status"] == "error" and "NameError" in result.row(LABEL)["reason"]
    assert result.warnings == []


def test_an_answer_that_kills_the_kernel_is_noted_once_as_what_stopped_the_rest():
    result = _result()
    status = {
        0: ("ok", ""),
        1: ("ok", ""),
        2: ("error", "the kernel died while running this cell (Kernel died)"),
        3: ("not run", "not run: the kernel died in cell 3"),
        4: ("not run", "not run: the kernel died in cell 3"),
    }
    score_exercises(result, ROLES, status, timeout=60)
    assert result.notes == [
        "cell 4 ('answer = schools') failed (the kernel died while running this cell (Kernel died)), "
        "and no cell after it ran"
    ]
    # A cell of the student's own that kills the kernel is noted by the first rule only, once.
    result = _result()
    status[1], status[2] = status[2], ("not run", "not run: the kernel died in cell 2")
    score_exercises(result, ROLES, status, timeout=60)
    assert result.notes == ["cell 2 ('schools = (') failed: the kernel died while running this cell (Kernel died)"]


def test_a_kernel_that_never_started_is_noted():
    result = _result()
    detail = "the notebook could not be executed: RuntimeError: no kernel"
    score_exercises(result, ROLES, dict.fromkeys(ROLES, ("not run", detail)), timeout=60)
    assert result.notes == [detail]
    assert result.row(LABEL)["status"] == "error"


def test_a_result_without_a_chapter_invents_no_points_and_needs_a_person():
    result = blank_result(None, "carol", "carol.ipynb")
    assert result.chapter == UNKNOWN_EXERCISE and result.max_score == 0 and result.needs_a_person
    result.fail_pending("unreadable", "could not read this notebook")
    assert (result.score, result.max_score) == (0, 0)
    assert result.needs_a_person == "could not read this notebook"
    graded = _result()
    score_exercises(graded, ROLES, dict.fromkeys(ROLES, ("ok", "")), timeout=60)
    assert graded.needs_a_person == "" and graded.score == graded.max_score == 1
