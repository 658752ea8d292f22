"""The leak finder: every trace of a solution, hidden check or output left in a student notebook."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from coursework._util import check_notebook, tags_of
from coursework.chapter import _FENCE, _OPTION, _SOLUTION_DIRECTIVE, HIDDEN_TAG, SOLUTION_TAG, Chapter, as_chapter


def _solution_fingerprints(chapter: Chapter) -> dict[str, str]:
    """Distinctive lines of solutions and hidden checks that appear nowhere else in the chapter."""
    secret: dict[str, str] = {}
    public: set[str] = set()
    cells = chapter.notebook.cells

    def lines_of(text_lines: Iterable[str]) -> list[str]:
        return [line.strip() for line in text_lines if line.strip()]

    for piece in chapter.pieces:
        if piece.kind == "code":
            assert piece.cell_index is not None  # a code piece always has its cell
            role, label = chapter.roles[piece.cell_index]
            lines = lines_of(cells[piece.cell_index].source.splitlines())
            if role in ("solution", "hidden-solution", "hidden-check"):
                kind = "hidden check" if role == "hidden-check" else "solution code"
                secret.update({line: f"{kind} of {label}" for line in lines})
            else:
                public.update(lines)
        elif piece.kind in ("solution", "gated-text"):
            body = piece.lines[1:-1] if piece.kind == "solution" else piece.lines
            secret.update({line: f"solution text of {piece.label}" for line in lines_of(body)})
        else:
            public.update(lines_of(piece.lines))
    public_text = "\n".join(public)
    return {
        line: origin
        for line, origin in secret.items()
        if line not in public_text and len(line) > 16 and not _OPTION.match(line) and not _FENCE.match(line)
    }


def find_leaks(notebook: Any, chapter: Chapter | str | os.PathLike) -> list[str]:
    """List every trace of a solution, hidden check or output in a student notebook.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A student notebook (e.g. from :func:`student_notebook`).
    chapter : Chapter or path
        The chapter it was made from: its solutions and hidden checks are what must not appear.

    Returns
    -------
    list of str
        Empty for a clean notebook. Detected: any ``{solution}``, ``{solution-start}`` or
        ``{solution-end}`` directive; a cell tagged ``solution`` or ``hidden-check``; any output
        or execution count; and any distinctive line (more than 16 characters) of a solution's
        code or text or of a hidden check that appears nowhere else in the chapter.

    Raises
    ------
    FileNotFoundError
        If ``chapter`` is a path to no file.
    TypeError
        If ``notebook`` is not a notebook, or ``chapter`` is neither a path nor a chapter.

    Examples
    --------
    >>> from coursework import DEMO_CHAPTER, find_leaks, read_chapter, student_notebook
    >>> chapter = read_chapter(DEMO_CHAPTER)
    >>> find_leaks(student_notebook(chapter), chapter)
    []
    >>> find_leaks(chapter.notebook, chapter)[0]
    'cell 1 (markdown): a solution directive is left'
    """
    notebook = check_notebook(notebook, "notebook")
    chapter = as_chapter(chapter)
    fingerprints = _solution_fingerprints(chapter)
    leaks: list[str] = []
    for k, cell in enumerate(notebook.cells, start=1):
        where = f"cell {k} ({cell.cell_type})"
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if _SOLUTION_DIRECTIVE.search(source):
            leaks.append(f"{where}: a solution directive is left")
        tags = tags_of(cell)
        if tags & {SOLUTION_TAG, HIDDEN_TAG}:
            leaks.append(f"{where}: a cell tagged {sorted(tags & {SOLUTION_TAG, HIDDEN_TAG})} is left")
        role = cell.get("metadata", {}).get("coursework", {}).get("role")
        if role in ("solution", "hidden-check"):
            leaks.append(f"{where}: a {role} cell is left")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            leaks.append(f"{where}: has outputs or an execution count")
        text = source + "\n" + json.dumps(cell.get("metadata", {}))
        seen = {line.strip() for line in text.splitlines()}
        for line, origin in fingerprints.items():
            if line in seen or (len(line) > 40 and line in text):
                leaks.append(f"{where}: contains {origin}: {line[:70]!r}")
    return leaks
