"""Reporting: the grades as a table, and the files an instructor reads (scores, totals, a report)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from coursework._util import check_path, write_gradebook
from coursework.handgrading import write_hand_grading_queue
from coursework.scoring import UNKNOWN_EXERCISE, GradeResult


def _check_results(results: object) -> list[GradeResult]:
    if isinstance(results, GradeResult):
        raise TypeError("`results` must be a list of GradeResult, not a single one: pass [result].")
    if not isinstance(results, Iterable):
        raise TypeError(
            f"`results` must be a list of GradeResult (from grade_submissions), got {type(results).__name__}."
        )
    results = list(results)
    bad = [type(r).__name__ for r in results if not isinstance(r, GradeResult)]
    if bad:
        raise TypeError(
            f"`results` must hold GradeResult objects (from grade_notebook or grade_submissions), got {bad[:3]}."
        )
    return results


def grade_table(results: Iterable[GradeResult]) -> Any:
    """One row per student and exercise, as a DataFrame (what ``scores.csv`` holds).

    Parameters
    ----------
    results : iterable of GradeResult
        From :func:`grade_notebook` or :func:`grade_submissions`.

    Returns
    -------
    pandas.DataFrame
        Columns ``student, chapter, exercise, number, status, score, max_score, reason, submission``.

    Raises
    ------
    TypeError
        If ``results`` does not hold GradeResult objects.

    Examples
    --------
    >>> from coursework import GradeResult, grade_table
    >>> result = GradeResult("alice", "alice.ipynb", "01_why_hierarchical",
    ...                      rows=[{"exercise": "ex-a", "number": 1, "status": "pass", "score": 1,
    ...                             "max_score": 1, "reason": ""}])
    >>> grade_table([result])[["student", "exercise", "score"]]
      student exercise  score
    0   alice     ex-a      1
    """
    import pandas as pd

    results = _check_results(results)
    columns = ["student", "chapter", "exercise", "number", "status", "score", "max_score", "reason", "submission"]
    records = [
        {"student": r.student, "chapter": r.chapter, "submission": r.submission, **row}
        for r in results
        for row in r.rows
    ]
    table = pd.DataFrame.from_records(records, columns=columns)
    for column in ("score", "max_score"):
        table[column] = table[column].astype("Int64")
    return table


def write_grade_report(results: Sequence[GradeResult], out: str | os.PathLike) -> dict[str, Path]:
    """Write ``scores.csv``, ``totals.csv``, ``report.md``, the hand-grading queue and a feedback file per student.

    Parameters
    ----------
    results : sequence of GradeResult
        From :func:`grade_submissions`.
    out : path
        Folder to write into (created if needed).

    Returns
    -------
    dict of str to pathlib.Path
        ``{"scores": ..., "totals": ..., "gradebook": ..., "report": ..., "feedback": ...,
        "hand_grading": ...}``. ``hand_grading.csv`` queues the written answers, one row per
        student and exercise graded by hand, for :func:`coursework.merge_hand_grades`.
        ``gradebook.csv`` has one row per student and a column of points per chapter, the wide
        form a learning platform's grade import takes; the folder ``feedback``
        holds one Markdown file per submission, ``<student>__<chapter>.md``, with its score, what
        stopped its code first (a SyntaxError, a dead kernel: the root cause) and, for each
        exercise, what to fix. A notebook that could not be read has no grade: ``report.md``
        lists it under "Needs a person", ``totals.csv`` gives the reason in ``needs_a_person``
        and leaves ``score`` empty, and its cell in ``gradebook.csv`` is empty, never 0.

    Raises
    ------
    TypeError
        If ``results`` does not hold GradeResult objects, or ``out`` is not a path.

    Examples
    --------
    >>> from coursework import write_grade_report
    >>> write_grade_report(results, "_build/grades")  # doctest: +SKIP
    """
    import pandas as pd

    results = _check_results(results)
    folder = check_path(out, "out")
    folder.mkdir(parents=True, exist_ok=True)
    table = grade_table(results)
    scores = folder / "scores.csv"
    table.to_csv(scores, index=False)
    totals = pd.DataFrame(
        [
            {
                "student": r.student,
                "chapter": r.chapter,
                "score": None if r.needs_a_person else r.score,  # no grade is not a 0
                "max_score": r.max_score,
                "manual": sum(row["status"] == "manual" for row in r.rows),
                "seconds": round(r.seconds, 1),
                "needs_a_person": r.needs_a_person,
                "submission": r.submission,
            }
            for r in results
        ],
        columns=["student", "chapter", "score", "max_score", "manual", "seconds", "needs_a_person", "submission"],
    )
    totals["score"] = totals["score"].astype("Int64")
    totals_path = folder / "totals.csv"
    totals.to_csv(totals_path, index=False)
    gradebook_path = write_gradebook(totals, "score", "max_score", folder / "gradebook.csv")

    lines = ["# Grades", "", f"{len(results)} submission(s). A graded exercise scores 1 when all its checks pass.", ""]
    unread = [r for r in results if r.needs_a_person]
    if unread:
        lines += [
            "## Needs a person",
            "",
            f"{len(unread)} notebook(s) could not be read or matched to a chapter, so they have no grade: "
            "their cell in gradebook.csv is empty, not 0. Open each by hand (or grade it again with "
            "`--chapter`).",
            "",
        ]
        lines += [f"- **{r.student}** ({r.chapter}, `{r.submission}`): {r.needs_a_person}" for r in unread]
        lines.append("")
    symbol = {"pass": "1", "manual": "manual"}
    for chapter_name in dict.fromkeys(r.chapter for r in results if r.chapter != UNKNOWN_EXERCISE):
        group = [r for r in results if r.chapter == chapter_name]
        labels = list(dict.fromkeys(row["exercise"] for r in group for row in r.rows))
        header = "| student | " + " | ".join(labels) + " | score |"
        lines += [f"## {chapter_name}", "", header, "|---" * (len(labels) + 2) + "|"]
        for r in group:
            cells = {row["exercise"]: symbol.get(row["status"], f"0 ({row['status']})") for row in r.rows}
            marks = " | ".join(cells.get(label, "") for label in labels)
            lines.append(f"| {r.student} | {marks} | {_score(r)} |")
        lines.append("")
    lines += ["## Details", ""]
    for r in results:
        trouble = [row for row in r.rows if row["status"] not in ("pass", "manual")]
        manual = [row["exercise"] for row in r.rows if row["status"] == "manual"]
        lines.append(f"### {r.student} ({r.chapter}): {_score(r)}")
        lines.append("")
        for note in r.notes:  # the root cause before the failures it caused
            lines.append(f"- first, this stopped the code: {note}")
        for row in trouble:
            lines.append(f"- `{row['exercise']}`: {row['status']}: {row['reason']}")
        if manual:
            lines.append(f"- to grade by hand: {', '.join(f'`{label}`' for label in manual)}")
        for warning in r.warnings:
            lines.append(f"- note: {warning}")
        if not trouble and not r.notes:
            lines.append("- every graded exercise passed")
        lines.append("")
    report = folder / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    feedback = folder / "feedback"
    feedback.mkdir(exist_ok=True)
    written: set[str] = set()
    for r in results:
        name = stem = f"{_safe_name(r.student)}__{_safe_name(r.chapter)}"
        k = 1
        while name in written:  # two names that differ only in characters a file name cannot hold
            k += 1
            name = f"{stem}_{k}"
        written.add(name)
        (feedback / f"{name}.md").write_text(_feedback(r), encoding="utf-8")
    return {
        "scores": scores,
        "totals": totals_path,
        "gradebook": gradebook_path,
        "report": report,
        "feedback": feedback,
        "hand_grading": write_hand_grading_queue(results, folder),
    }


def _safe_name(name: str) -> str:
    """Return a file name made of a student's or chapter's name: letters, digits, dot, dash only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "unnamed"
    return cleaned[:80]


_WORDS = {
    "pass": "passed",
    "fail": "a check failed",
    "unanswered": "not answered",
    "error": "your code raised an error",
    "timeout": "ran too long",
    "missing": "its cells are missing",
    "unreadable": "the notebook could not be read",
    "manual": "graded by hand",
}


def _score(result: GradeResult) -> str:
    """Return a result's score as the report shows it: ``1/2``, or that it has none and why."""
    if result.needs_a_person:
        return "no grade: could not be read, needs a person (see above)"
    return f"{result.score}/{result.max_score}"


def _feedback(result: GradeResult) -> str:
    """Write the feedback for one submission: its score, what stopped its code, then each exercise."""
    known = result.chapter != UNKNOWN_EXERCISE
    lines = [f"# Feedback: {result.chapter if known else Path(result.submission).name + ' (chapter unknown)'}", ""]
    if result.needs_a_person:
        lines += [
            "No grade yet: your notebook could not be read or graded automatically. Your instructor will "
            "open it by hand.",
            "",
            f"Why: {result.needs_a_person}",
            "",
        ]
    else:
        lines += [f"Score: **{result.score}/{result.max_score}**", ""]
    if result.notes:
        lines += ["First, this stopped your code:"] + [f"- {note}" for note in result.notes]
        lines += ["", "Fix this first: exercises after it may have failed only because of it.", ""]
    if not result.needs_a_person:
        lines.append("Exercises:")
        for row in result.rows:
            words = _WORDS.get(row["status"], row["status"])
            head = f"- Exercise {row.get('number', '')} (`{row['exercise']}`): {words}"
            lines.append(head if row["status"] in ("pass", "manual") or not row.get("reason") else f"{head}.")
            if row["status"] not in ("pass", "manual") and row.get("reason"):
                lines.append(f"  What to fix: {row['reason']}")
    if result.warnings:
        lines += ["", "Notes on the notebook:"] + [f"- {warning}" for warning in result.warnings]
    return "\n".join(lines).rstrip("\n") + "\n"
