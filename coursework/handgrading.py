"""Hand grading: the written answers queued for an instructor, and their marks merged into the totals.

``make grade`` scores the exercises with checks. The others (explain, predict, interpret) are
marked ``manual``; each grading run also writes ``hand_grading.csv`` in its folder, one row per
student and manual exercise with the student's written answer, an empty ``points`` column and
``max_points``. Fill in ``points`` (in a spreadsheet or any editor; leave a cell empty for an answer
not marked yet, add a ``comment`` if you like), then::

    python -m coursework merge _build/grades/2026-12-05_101500

writes ``final_totals.csv`` (automatic, hand and total points per student and chapter) and
``final_gradebook.csv`` (one row per student, a column per chapter) next to the run's own files,
which are never changed. Points that are not numbers, are negative or exceed ``max_points`` are
refused with the row they are on.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from coursework._util import check_path, write_gradebook
from coursework.scoring import GradeResult

QUEUE = "hand_grading.csv"
#: Points a written answer is worth unless the instructor changes ``max_points`` in the queue.
DEFAULT_POINTS = 1
COLUMNS = ["student", "chapter", "exercise", "number", "answer", "points", "max_points", "comment", "submission"]


def _answers(submission: str) -> dict[str, str]:
    """Return the text a student wrote in each exercise's answer cells ({exercise: text}), or {}."""
    import nbformat

    try:
        notebook = nbformat.read(submission, as_version=4)
    except Exception:  # unreadable: the automatic grades already say so
        return {}
    found: dict[str, list[str]] = {}
    for cell in notebook.get("cells", []):
        info = cell.get("metadata", {}).get("coursework") or {}
        if isinstance(info, dict) and info.get("role") == "answer-text" and isinstance(info.get("exercise"), str):
            text = cell.get("source", "")
            found.setdefault(info["exercise"], []).append(text if isinstance(text, str) else "".join(text))
    return {label: "\n\n".join(parts).strip() for label, parts in found.items()}


def write_hand_grading_queue(results: Sequence[GradeResult], folder: Path) -> Path:
    """Write ``hand_grading.csv``: a row per student and manual exercise, with the written answer."""
    import pandas as pd

    rows = []
    for result in results:
        answers = _answers(result.submission)
        for row in result.rows:
            if row["status"] == "manual":
                answer = answers.get(row["exercise"], "")
                rows.append({
                    "student": result.student,
                    "chapter": result.chapter,
                    "exercise": row["exercise"],
                    "number": row.get("number"),
                    "answer": "" if answer.strip() == "YOUR ANSWER HERE" else answer,
                    "points": None,
                    "max_points": DEFAULT_POINTS,
                    "comment": "",
                    "submission": result.submission,
                })
    path = folder / QUEUE
    pd.DataFrame.from_records(rows, columns=COLUMNS).to_csv(path, index=False)
    return path


def _number(value: Any, where: str, column: str) -> float | None:
    import pandas as pd

    if value is None or (isinstance(value, float) and pd.isna(value)) or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: `{column}` must be a number of points, got {value!r}.") from None
    if not number >= 0:
        raise ValueError(f"{where}: `{column}` must be 0 or more, got {value!r}.")
    return number


def merge_hand_grades(folder: str | os.PathLike) -> dict[str, Path]:
    """Add the hand marks of ``hand_grading.csv`` to a grading run's automatic scores.

    Parameters
    ----------
    folder : path
        One grading run's folder (``_build/grades/<date_time>``), holding ``totals.csv`` and the
        ``hand_grading.csv`` an instructor has filled in.

    Returns
    -------
    dict of str to pathlib.Path
        ``{"totals": final_totals.csv, "gradebook": final_gradebook.csv}``. ``final_totals.csv`` has,
        per student and chapter, ``auto`` and ``auto_max`` (the checked exercises), ``hand`` and
        ``hand_max`` (the written ones), ``total``, ``total_max`` and ``unmarked`` (written answers
        without points yet; they count 0 until marked). A submission that needs a person (its
        notebook could not be read) keeps ``auto`` and ``total`` empty, with the reason in
        ``needs_a_person``.

    Raises
    ------
    FileNotFoundError
        If ``folder`` is not a grading run (no ``totals.csv`` or no ``hand_grading.csv``).
    TypeError
        If ``folder`` is not a path.
    ValueError
        If a row's ``points`` or ``max_points`` is not a number, is negative, or ``points`` exceeds
        ``max_points``; or if the queue names a student or chapter the run did not grade. The
        message names the row.

    Examples
    --------
    >>> from coursework import merge_hand_grades
    >>> merge_hand_grades("_build/grades/2026-12-05_101500")  # doctest: +SKIP
    """
    import pandas as pd

    run = check_path(folder, "folder")
    for name in ("totals.csv", QUEUE):
        if not (run / name).is_file():
            raise FileNotFoundError(
                f"`folder` ({run}) is not a grading run: it has no {name}. Pass one run's folder, "
                "e.g. _build/grades/2026-12-05_101500 (make grade prints it)."
            )
    totals = pd.read_csv(run / "totals.csv", dtype={"student": str, "chapter": str, "needs_a_person": str},
                         keep_default_na=False, na_values={"score": [""]})
    queue = pd.read_csv(run / QUEUE, dtype={"student": str, "chapter": str, "exercise": str}, keep_default_na=True)
    missing = [c for c in ("student", "chapter", "exercise", "points", "max_points") if c not in queue.columns]
    if missing:
        raise ValueError(f"`folder`: {QUEUE} lacks the column(s) {missing}; write the points in the file as made.")
    graded = set(zip(totals["student"], totals["chapter"], strict=True))
    hand: dict[tuple[str, str], list[float]] = {}
    for k, row in queue.iterrows():
        where = f"{QUEUE}, row {int(k) + 2} ({row['student']}, {row['exercise']})"
        if (row["student"], row["chapter"]) not in graded:
            raise ValueError(f"{where}: this run graded no submission of {row['student']} for {row['chapter']}.")
        most = _number(row["max_points"], where, "max_points")
        if most is None:
            raise ValueError(f"{where}: `max_points` is empty; give the points the answer is worth.")
        points = _number(row["points"], where, "points")
        if points is not None and points > most:
            raise ValueError(f"{where}: `points` ({points:g}) exceeds `max_points` ({most:g}).")
        marks = hand.setdefault((row["student"], row["chapter"]), [0.0, 0.0, 0.0])
        marks[0] += points or 0.0
        marks[1] += most
        marks[2] += points is None
    records = []
    for _, row in totals.iterrows():
        got, most, unmarked = hand.get((row["student"], row["chapter"]), [0.0, 0.0, 0.0])
        records.append({
            "student": row["student"],
            "chapter": row["chapter"],
            "auto": row["score"],
            "auto_max": row["max_score"],
            "hand": got,
            "hand_max": most,
            "total": row["score"] + got,
            "total_max": row["max_score"] + most,
            "unmarked": int(unmarked),
            "needs_a_person": row.get("needs_a_person", ""),  # no automatic grade: total stays empty
        })
    final = pd.DataFrame.from_records(records)
    totals_path = run / "final_totals.csv"
    final.to_csv(totals_path, index=False)
    gradebook_path = write_gradebook(final, "total", "total_max", run / "final_gradebook.csv")
    return {"totals": totals_path, "gradebook": gradebook_path}
