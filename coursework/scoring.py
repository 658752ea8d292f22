"""Scoring: a row per exercise, and the score each gets from the status of its answer and check cells.

An exercise scores 1 when all its checks run without error, else 0 with the first failure as the
reason. Where the chapter gives its checks points (``:points: 2``), it earns the points of the checks
that pass: partial credit. An exercise without code (a text answer) is graded by hand ("manual"). A notebook that
could not be read gets no grade at all: its rows say why, and :attr:`GradeResult.needs_a_person`
flags it for the instructor.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from coursework._util import short
from coursework.chapter import Chapter

#: The exercise (and chapter) name of a result whose chapter is unknown: nothing could be graded.
UNKNOWN_EXERCISE = "?"


@dataclass
class GradeResult:
    """The grade of one submission: a row per exercise, and notes for the report.

    Attributes
    ----------
    student : str
        Who handed it in (by default the file name).
    submission : str
        The notebook's path.
    chapter : str
        The chapter's name.
    rows : list of dict
        One per exercise: ``exercise``, ``number``, ``status`` (``pass``; ``fail``: a check
        failed; ``unanswered``: the stub is unchanged; ``error``: the answer raised or did not
        run; ``timeout``; ``missing``: its cells were deleted; ``unreadable``: the notebook could
        not be read or is of another chapter; ``manual``: graded by hand), ``score`` (1 or 0, or
        with points declared in the chapter anything up to ``max_score``; None for manual),
        ``max_score`` and ``reason``. A notebook whose chapter is unknown has one row, exercise
        :data:`UNKNOWN_EXERCISE`, worth nothing (``max_score`` 0).
    notes : list of str
        Errors outside the checks that stopped the submission's code, in the order they ran: a
        cell of the student's own (e.g. a SyntaxError in cell 2, or a chapter cell broken by an
        edit) that failed, a cell that killed the kernel. The exercises after it often fail
        only because of it, so the feedback shows these first.
    warnings : list of str
        What the grader noticed that stopped nothing: no coursework metadata, a chapter changed
        since the notebook was handed out.
    seconds : float
        Wall time spent grading.
    """

    student: str
    submission: str
    chapter: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def row(self, label: str) -> dict[str, Any]:
        """Return the row of exercise ``label``."""
        for row in self.rows:
            if row["exercise"] == label:
                return row
        raise KeyError(f"No exercise {label!r} in the grade of {self.student}.")

    def fail_pending(self, status: str, reason: str) -> None:
        """Give 0 with ``reason`` to every graded exercise not scored yet."""
        for row in self.rows:
            if row["status"] == "pending":
                row.update(status=status, score=0, reason=reason)

    @property
    def score(self) -> int:
        """Points earned on the automatically graded exercises."""
        return int(sum(row["score"] or 0 for row in self.rows))

    @property
    def max_score(self) -> int:
        """Points available on the automatically graded exercises."""
        return int(sum(row["max_score"] or 0 for row in self.rows))

    @property
    def needs_a_person(self) -> str:
        """Why a person must look at this submission before it has a grade; ``""`` when it was graded.

        A notebook that could not be read, was made from another chapter, or whose chapter the
        grader could not tell (or that crashed the grader) has no grade: its 0 is not a mark.
        """
        for row in self.rows:
            if row["status"] == "unreadable" or row["exercise"] == UNKNOWN_EXERCISE:
                return str(row["reason"]) or "the notebook could not be graded"
        return ""


def blank_result(
    chapter: Chapter | None, student: str, submission: str, chapter_name: str | None = None
) -> GradeResult:
    """Return a result with a pending row per graded exercise (a manual row per other): nothing ran yet.

    Without a chapter (an unreadable notebook of unknown chapter, or one the grader failed on) it
    holds one pending row, exercise :data:`UNKNOWN_EXERCISE`, worth nothing: the grader does not
    know the chapter's points, so it invents none (``max_score`` 0), and the result
    :attr:`~GradeResult.needs_a_person`.
    """
    name = chapter.name if chapter else (chapter_name or UNKNOWN_EXERCISE)
    result = GradeResult(student=student, submission=submission, chapter=name)
    if chapter is None:
        result.rows.append(
            {"exercise": UNKNOWN_EXERCISE, "number": 0, "status": "pending", "score": 0, "max_score": 0, "reason": ""}
        )
        return result
    for exercise in chapter.exercises.values():
        graded = exercise.graded
        result.rows.append(
            {
                "exercise": exercise.label,
                "number": exercise.number,
                "status": "pending" if graded else "manual",
                "score": 0 if graded else None,
                "max_score": exercise.max_score if graded else None,
                "reason": ""
                if graded
                else "graded by hand (" + ("no automatic checks" if exercise.solution_cells else "text answer") + ")",
            }
        )
    return result


def score_exercises(
    result: GradeResult,
    roles: dict[int, tuple[str, str | None, str]],
    status: dict[int, tuple[str, str]],
    timeout: float,
    unchanged: Set[int] = frozenset(),
    points: Mapping[int, int] | None = None,
) -> None:
    """Fill in each pending row of ``result`` from the status of the cells that ran.

    ``roles`` gives each cell's ``(role, exercise label, where)`` and ``status`` its ``(status,
    detail)``; an exercise passes when all its checks ran without error. ``unchanged`` holds the
    answer cells that still hold their stub (then the exercise is "unanswered"). ``points`` gives the
    check cells of exercises with partial credit their points: such an exercise scores the points
    of its checks that ran without error (a stub scores nothing). Errors in cells
    outside the exercises become notes, in the order the cells ran, and so does whatever stopped
    every cell after it (an answer that killed the kernel, a kernel that never started).
    """
    checks: dict[str | None, list[int]] = {}
    answers: dict[str | None, list[int]] = {}
    for k, (role, label, where) in roles.items():
        if role in ("public check", "hidden check"):
            checks.setdefault(label, []).append(k)
        elif role == "answer":
            answers.setdefault(label, []).append(k)
        elif status.get(k, ("ok", ""))[0] in ("error", "timeout"):
            result.notes.append(f"{where} failed: {status[k][1]}")
    stopped = next((k for k in sorted(status) if status[k][0] == "not run"), None)
    if stopped is not None:  # nothing ran after some cell: say which, once, unless a note above does
        failed = [k for k in sorted(status) if k < stopped and status[k][0] in ("error", "timeout")]
        if not failed:
            result.notes.append(status[stopped][1])
        elif roles.get(failed[-1], ("student",))[0] != "student":
            result.notes.append(f"{roles[failed[-1]][2]} failed ({status[failed[-1]][1]}), and no cell after it ran")
    for row in result.rows:
        label = row["exercise"]
        if row["status"] != "pending":
            continue
        if label not in checks:
            row.update(status="error", score=0, reason="the chapter has no checks for this exercise")
            continue
        failures = [k for k in checks[label] if status.get(k, ("not run", ""))[0] != "ok"]
        if not failures:
            row.update(status="pass", score=row["max_score"], reason="")
            continue
        earned = sum((points or {}).get(k, 0) for k in checks[label] if k not in failures)
        state, detail = status.get(failures[0], ("not run", "not run"))
        kind = roles[failures[0]][0]
        message = f"{kind} failed: {detail.removeprefix('CheckFailed: ')}"
        if state == "not run":
            message = detail
        trouble = [status[a] for a in answers.get(label, []) if status.get(a, ("ok", ""))[0] != "ok"]
        if answers.get(label) and all(k in unchanged for k in answers[label]):
            row.update(status="unanswered", score=0, reason="not answered: the answer cell still holds the stub")
            continue
        if trouble:
            answer_state, answer_detail = trouble[0]
            if answer_state == "timeout":
                state = "timeout"
                message = f"your answer ran longer than {timeout:g} s and was stopped (an endless loop?); {message}"
            elif answer_state == "not run":
                state, message = "error", answer_detail
            else:
                state, message = "error", f"your answer raised {answer_detail}; {message}"
        row.update(
            status={"error": "fail", "not run": "error"}.get(state, state) if not trouble else state,
            score=earned,
            reason=short(message, 400),
        )
