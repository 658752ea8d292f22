"""Small helpers every coursework module shares: argument checks, cell tags, short messages."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: A kernel argument that runs :func:`skip_iri_checker` before the first cell (and leaves no name).
SKIP_IRI_CHECKER_IN_KERNEL = "--IPKernelApp.exec_lines=__import__('sys').modules.setdefault('rfc3987_syntax', None)"


def skip_iri_checker() -> None:
    """Let this process import nbformat without jsonschema's optional IRI checker.

    Importing ``rfc3987_syntax`` builds a grammar: 1.5-4 s of every process that reads or runs
    a notebook (the grader's workers, its checking process, a student's kernel where the chapter
    glues a number), and no notebook schema checks an IRI. Call it before nbformat is imported.
    """
    # `import rfc3987_syntax` now raises ImportError
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def check_notebook(notebook: object, argument: str) -> Any:
    """Return ``notebook`` if it is a notebook (has a list of cells); else raise a TypeError."""
    if not isinstance(getattr(notebook, "cells", None), list):
        raise TypeError(
            f"`{argument}` must be a notebook (an nbformat.NotebookNode, e.g. from student_notebook or "
            f"nbformat.read), got {type(notebook).__name__}."
        )
    return notebook


def check_path(value: object, argument: str) -> Path:
    """Return ``value`` as a Path if it is a str or os.PathLike; else raise a TypeError."""
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"`{argument}` must be a path (str or pathlib.Path), got {type(value).__name__}.")
    return Path(value)


def check_paths(values: object, argument: str, what: str) -> list:
    """Return ``values`` as a list if it is an iterable other than a single path; else raise a TypeError."""
    if isinstance(values, str | os.PathLike) or not isinstance(values, Iterable):
        raise TypeError(f"`{argument}` must be a list of {what}, e.g. [path], got {values!r:.80}.")
    return list(values)


def check_timeout(timeout: object) -> float:
    """Return ``timeout`` as a float if it is a positive number of seconds; else raise."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"`timeout` must be a number of seconds, got {timeout!r} ({type(timeout).__name__}).")
    if not timeout > 0:
        raise ValueError(f"`timeout` must be a positive number of seconds, got {timeout!r}.")
    return float(timeout)


def tags_of(cell: Any) -> set[str]:
    """Return the tags of a notebook cell (an empty set when it has none, or they are not a list)."""
    found = cell.get("metadata", {}).get("tags", [])
    return set(found) if isinstance(found, list) else set()


def first_line(source: str) -> str:
    """Return the first non-blank line of a cell, cut to 60 characters: how a message names a cell."""
    lines = [line for line in source.splitlines() if line.strip()]
    return (lines[0][:60] + ("..." if len(lines[0]) > 60 else "")) if lines else "(empty)"


def write_gradebook(totals: Any, points: str, available: str, path: Path) -> Path:
    """Write the wide gradebook a learning platform imports: a row per student, a column per chapter, a total.

    ``totals`` has a row per student and chapter; ``points`` names its column of points earned and
    ``available`` its column of points available, which each chapter's column header states. An
    empty ``points`` cell is no grade (a notebook that could not be read, for a person to look
    at): its gradebook cell and its student's total stay empty, never 0, and a chapter nobody has
    a grade in (the unknown chapter of an unreadable notebook) gets no column, since the platform
    would make each column an assignment.
    """
    book = totals.groupby(["student", "chapter"])[points].sum(min_count=1).unstack("chapter")
    book = book.dropna(axis="columns", how="all")
    book.columns = [f"{chapter} (of {totals.loc[totals['chapter'] == chapter, available].max():g})"
                    for chapter in book.columns]
    ungraded = totals.groupby("student")[points].apply(lambda column: column.isna().any())
    book["total"] = book.sum(axis=1, min_count=1).mask(ungraded.reindex(book.index, fill_value=False))
    book.reset_index().to_csv(path, index=False)
    return path


def short(text: object, limit: int = 300) -> str:
    """Return one line of at most ``limit`` characters, without terminal colour codes: for reports."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def remove_tree(path: str | os.PathLike) -> None:
    """Remove a folder a kernel wrote to, even where it left folders without permissions (never following links).

    The sandbox's overlay leaves a work folder of mode 000, which :func:`shutil.rmtree` alone cannot
    enter as an ordinary user.
    """
    import shutil

    for root, dirs, _files in os.walk(os.fspath(path)):
        for name in dirs:
            folder = os.path.join(root, name)
            if not os.path.islink(folder):
                try:
                    os.chmod(folder, 0o700)
                except OSError:
                    pass
    shutil.rmtree(path, ignore_errors=True)
