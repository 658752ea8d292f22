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


# --- points per check: declared in the chapter, partial credit ------------------------------------

PUBLIC_CHECK = ':tags: [public-check]\nfrom hlmkit import check\n\ncheck(lambda: isinstance(answer, int)'
HIDDEN_CHECK = ':tags: [remove-cell, hidden-check]\nfrom hlmkit import check\n\ncheck(lambda: answer == 4'


def _demo_with(tmp_path, public: str = "", hidden: str = ""):
    """The demo chapter with the given option lines (e.g. ':points: 2') on its two check cells."""
    text = DEMO_CHAPTER.read_text()
    assert PUBLIC_CHECK in text and HIDDEN_CHECK in text
    text = text.replace(PUBLIC_CHECK, PUBLIC_CHECK.replace("]\n", f"]\n{public}", 1) if public else PUBLIC_CHECK)
    text = text.replace(HIDDEN_CHECK, HIDDEN_CHECK.replace("]\n", f"]\n{hidden}", 1) if hidden else HIDDEN_CHECK)
    path = tmp_path / "99_demo.md"
    path.write_text(text)
    return path


def test_without_points_an_exercise_is_worth_one_all_or_nothing():
    exercise = CHAPTER.exercises[LABEL]
    assert exercise.check_points == {} and exercise.max_score == 1
    assert _result().row(LABEL)["max_score"] == 1


def test_checks_with_points_give_partial_credit(tmp_path):
    chapter = read_chapter(_demo_with(tmp_path, public=":points: 1\n", hidden=":points: 3\n"))
    assert chapter.problems == []
    exercise = chapter.exercises[LABEL]
    assert sorted(exercise.check_points.values()) == [1, 3] and exercise.max_score == 4
    roles = {0: ("answer", LABEL, "cell 4 ('answer = ...')"), 1: ("public check", LABEL, "public check"),
             2: ("hidden check", LABEL, "hidden check")}
    points = {1: 1, 2: 3}

    def graded(status, unchanged=frozenset()):
        result = blank_result(chapter, "ada", "ada.ipynb")
        assert result.row(LABEL)["max_score"] == 4
        score_exercises(result, roles, status, timeout=60, unchanged=unchanged, points=points)
        return result.row(LABEL)

    right = graded({0: ("ok", ""), 1: ("ok", ""), 2: ("ok", "")})
    assert (right["status"], right["score"]) == ("pass", 4)
    half = graded({0: ("ok", ""), 1: ("ok", ""), 2: ("error", "CheckFailed: answer should be two plus two")})
    assert (half["status"], half["score"]) == ("fail", 1)
    assert half["reason"] == "hidden check failed: answer should be two plus two"
    other_half = graded({0: ("ok", ""), 1: ("error", "CheckFailed: answer should be a whole number"), 2: ("ok", "")})
    assert (other_half["status"], other_half["score"]) == ("fail", 3)
    stub = graded({0: ("ok", ""), 1: ("ok", ""), 2: ("error", "CheckFailed: x")}, unchanged={0})
    assert (stub["status"], stub["score"]) == ("unanswered", 0)  # a stub earns nothing, whatever passes
    crashed = graded({0: ("error", "ValueError: no"), 1: ("error", "NameError: answer"), 2: ("error", "NameError")})
    assert (crashed["status"], crashed["score"]) == ("error", 0)


def test_a_check_without_points_beside_one_with_points_is_worth_one(tmp_path):
    exercise = read_chapter(_demo_with(tmp_path, hidden=":points: 2\n")).exercises[LABEL]
    assert exercise.max_score == 3


def test_bad_points_are_named_in_the_chapter_lint(tmp_path):
    for bad in ("0", "-1", "1.5", "two", "true"):
        problems = read_chapter(_demo_with(tmp_path, public=f":points: {bad}\n")).problems
        assert len(problems) == 1 and "`points` must be a whole number of at least 1" in problems[0], (bad, problems)
        assert "code cell 2 (" in problems[0]  # names the cell
    solution = ":tags: [solution]\nanswer = 2 + 2"
    text = DEMO_CHAPTER.read_text().replace(solution, solution.replace("]\n", "]\n:points: 2\n"))
    (tmp_path / "98_demo.md").write_text(text)
    problems = read_chapter(tmp_path / "98_demo.md").problems
    assert len(problems) == 1 and "only a public-check or hidden-check cell earns points" in problems[0]
