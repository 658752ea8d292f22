"""Writing hand-outs: the student notebook of a chapter, its reference twin, and the files.

A student notebook keeps the chapter's text and code, with every solution replaced by a stub
or an answer cell, the public checks kept and the hidden ones removed; the reference notebook
is the same notebook with the chapter's solutions in the answer cells. Nothing is written that
:func:`coursework.leaks.find_leaks` finds a trace of a solution in.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from coursework._util import check_path, check_paths, tags_of
from coursework.chapter import (
    ANSWER_MARK,
    HIDDEN_TAG,
    REMOVE_TAG,
    SOLUTION_TAG,
    STUB_MARK,
    Chapter,
    _options,
    _Piece,
    as_chapter,
    read_chapter,
)
from coursework.leaks import find_leaks
from coursework.myst import GLUE_NOTE, book_context, caption_sentence, plain_markdown
from coursework.names import assigned, loaded


def stub(chapter: Chapter, index: int, label: str) -> str:
    """Return the code a student starts from in place of solution cell ``index``."""
    cells = chapter.notebook.cells
    later: set[str] = set()
    for k in range(index + 1, len(cells)):
        role = chapter.roles.get(k)
        if role is not None and role[0] in ("chapter", "public-check", "hidden-check"):
            later |= loaded(cells[k].source)
    needed = [name for name in assigned(cells[index].source) if name in later]
    exercise = chapter.exercises.get(label)
    head = f"# Exercise {exercise.number} ({label}): " if exercise else f"# {label}: "
    lines = [head + STUB_MARK.lstrip("# ")]
    lines += [f"{name} = ...  {STUB_MARK}" for name in needed]
    return "\n".join(lines)


def _exercise_markdown(piece: _Piece, chapter: Chapter) -> list[str]:
    """Turn an ``{exercise}`` directive into plain Markdown that Jupyter renders."""
    body = piece.lines[1:-1] if piece.lines[-1:] and piece.lines[-1].strip().strip("`:") == "" else piece.lines[1:]
    options = _options(body)
    content = body[len(options) :]
    exercise = chapter.exercises.get(piece.label or "")
    number = f" {exercise.number}" if exercise else ""
    tier = f" · {exercise.tier.lower()}" if exercise and exercise.tier else ""
    title = f"**Exercise{number}**{tier} (`{piece.label}`)" if piece.label else f"**Exercise{number}**{tier}"
    return [title, "", *content]


def _clean_markdown(lines: list[str]) -> str:
    text = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


#: What replaces the book's ``from myst_nb import glue`` in a hand-out: a student's install has no
#: Jupyter Book, so there a glued number is printed, by the name the text uses for it.
GLUE_SHIM = """try:
    from myst_nb import glue  # the book's build records numbers for its text
except ImportError:  # a student's install: show the number the book's text refers to by name
    def glue(name, value, display=True):
        shown = getattr(value, "data", value)  # a Markdown object shows its text
        print(f"{name} = {shown:.4g}" if isinstance(shown, float) else f"{name} = {shown}")
        return value"""


def _portable(source: str) -> str:
    """Return a code cell's source with the book-only import of ``glue`` made optional."""
    return re.sub(r"^from myst_nb import glue$", GLUE_SHIM, source, flags=re.M)


def _cell_metadata(cell: Any) -> dict[str, Any]:
    metadata = copy.deepcopy(dict(cell.get("metadata", {})))
    if tags_of(cell) & {REMOVE_TAG, "remove-input"}:
        metadata.setdefault("jupyter", {})["source_hidden"] = True
    return metadata


def student_notebook(chapter: Chapter | str | os.PathLike) -> Any:
    r"""Make the student version of a chapter: solutions replaced by stubs, hidden checks removed.

    Solution code cells become stubs (``# YOUR CODE HERE``, plus ``name = ...`` for each name
    that later cells use); ``{solution}`` text and the text of gated solutions become an answer
    cell (``YOUR ANSWER HERE``); the ``{solution-start}``/``{solution-end}`` fences go;
    ``hidden-check`` cells are removed (nbconvert's ``TagRemovePreprocessor``) and every output
    is cleared (``ClearOutputPreprocessor``). Exercise directives become plain Markdown. Answer
    and check cells carry ``metadata["coursework"] = {"exercise": label, "role": ...}``, which the
    grader uses to find them again.

    Parameters
    ----------
    chapter : Chapter or path
        The chapter (MyST Markdown) to convert.

    Returns
    -------
    nbformat.NotebookNode
        A version 4 notebook with no outputs, ready to write with ``nbformat.write``.

    Raises
    ------
    FileNotFoundError
        If ``chapter`` is a path to no file.
    TypeError
        If ``chapter`` is neither a path nor a chapter.

    Examples
    --------
    >>> from coursework import DEMO_CHAPTER, student_notebook
    >>> notebook = student_notebook(DEMO_CHAPTER)
    >>> [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    ['# Exercise 1 (ex-demo-sum): YOUR CODE HERE\nanswer = ...  # YOUR CODE HERE',
     'from hlmkit import check\n\ncheck(lambda: isinstance(answer, int), "answer should be a whole number")']
    >>> notebook.cells[-1].source
    '**Your answer** (`ex-demo-more`): YOUR ANSWER HERE'
    """
    import nbformat
    from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor

    chapter = as_chapter(chapter)
    source_cells = chapter.notebook.cells
    cells: list[Any] = []
    buffer: list[str] = []
    buffer_cell: list[int | None] = [None]
    counter = {"answer": 0}
    context = book_context()
    for source_cell in source_cells:  # the chapter's own figures, wherever it comes from
        figure = source_cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if isinstance(figure, dict) and figure.get("name") and figure.get("caption"):
            context.figures[figure["name"]] = caption_sentence(str(figure["caption"]))
    chapter_text = "\n".join(cell.source for cell in source_cells if cell.cell_type == "markdown")
    glued: list[str] = []

    def flush() -> None:
        text, names = plain_markdown(_clean_markdown(buffer), context, chapter_text=chapter_text)
        glued.extend(names)
        if text.strip():
            cells.append(nbformat.v4.new_markdown_cell(text))
        buffer.clear()

    def answer_text(label: str | None) -> None:
        flush()
        cell = nbformat.v4.new_markdown_cell(f"**Your answer** (`{label}`): {ANSWER_MARK}")
        cell.metadata["coursework"] = {"exercise": label, "role": "answer-text"}
        cells.append(cell)

    gated_text: dict[str, bool] = {}
    for piece in chapter.pieces:
        if piece.md_cell is not None and piece.md_cell != buffer_cell[0]:
            flush()
            buffer_cell[0] = piece.md_cell
        if piece.kind == "text":
            if piece.cell_index is not None:  # a raw cell
                flush()
                cells.append(nbformat.v4.new_raw_cell(source_cells[piece.cell_index].source))
            else:
                buffer.extend(piece.lines)
        elif piece.kind == "exercise":
            buffer.extend(_exercise_markdown(piece, chapter))
        elif piece.kind == "exercise-end":
            continue
        elif piece.kind == "solution":
            answer_text(piece.label)
        elif piece.kind == "gated-start":
            flush()
            gated_text[piece.label or ""] = False
        elif piece.kind == "gated-text":
            if any(line.strip() for line in piece.lines):
                gated_text[piece.label or ""] = True
        elif piece.kind == "gated-end":
            if gated_text.pop(piece.label or "", False):
                answer_text(piece.label)
            else:
                flush()
        elif piece.kind == "code":
            flush()
            buffer_cell[0] = None
            index = piece.cell_index
            assert index is not None  # a code piece always has its cell
            role, label = chapter.roles[index]
            source = source_cells[index]
            if role == "hidden-solution":
                continue
            if role == "solution":
                counter["answer"] += 1
                cell = nbformat.v4.new_code_cell(stub(chapter, index, label or "?"))
                cell.metadata["coursework"] = {"exercise": label, "role": "answer"}
                cell.metadata["deletable"] = False
            else:
                cell = nbformat.v4.new_code_cell(_portable(source.source))
                cell.metadata.update(_cell_metadata(source))
                if role == "public-check":
                    cell.metadata["coursework"] = {"exercise": label, "role": "public-check"}
                    cell.metadata["editable"] = False
                    cell.metadata["deletable"] = False
            cells.append(cell)
    flush()
    if glued:  # say once, near the top, how numbers computed by the book appear here
        first_text = next((k for k, cell in enumerate(cells) if cell.cell_type == "markdown"), -1)
        cells.insert(first_text + 1, nbformat.v4.new_markdown_cell(GLUE_NOTE.format(name=glued[0])))

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = copy.deepcopy(dict(chapter.notebook.metadata.get("kernelspec", {}))) or {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["coursework"] = {
        "chapter": chapter.name,
        "source_sha256": chapter.source_hash,
        "exercises": [exercise.label for exercise in chapter.exercises.values()],
    }
    notebook.cells = cells
    resources: dict[str, Any] = {}
    remove = TagRemovePreprocessor(remove_cell_tags={HIDDEN_TAG, SOLUTION_TAG})
    notebook, resources = remove.preprocess(notebook, resources)
    notebook, resources = ClearOutputPreprocessor().preprocess(notebook, resources)
    for k, cell in enumerate(notebook.cells):
        info = cell.metadata.get("coursework")
        cell["id"] = f"{info['exercise']}-{info['role']}-{k}" if info else f"cell-{k}"
    return notebook


def reference_notebook(chapter: Chapter | str | os.PathLike) -> Any:
    """Make the student notebook with every stub filled in with the reference solution.

    What a perfect student would hand in: grading it must give full marks. Used by the tests
    and by ``python -m coursework selftest``.

    Parameters
    ----------
    chapter : Chapter or path
        The chapter.

    Returns
    -------
    nbformat.NotebookNode
        The student notebook whose answer cells hold the chapter's solution code.

    Raises
    ------
    FileNotFoundError
        If ``chapter`` is a path to no file.
    TypeError
        If ``chapter`` is neither a path nor a chapter.

    Examples
    --------
    >>> from coursework import DEMO_CHAPTER, reference_notebook
    >>> notebook = reference_notebook(DEMO_CHAPTER)
    >>> [cell.source for cell in notebook.cells if cell.metadata.get("coursework", {}).get("role") == "answer"]
    ['answer = 2 + 2']
    """
    chapter = as_chapter(chapter)
    notebook = student_notebook(chapter)
    solutions = {
        label: [chapter.notebook.cells[k].source for k in exercise.solution_cells]
        for label, exercise in chapter.exercises.items()
    }
    for cell in notebook.cells:
        info = cell.metadata.get("coursework", {})
        if info.get("role") == "answer":
            cell.source = solutions[info["exercise"]].pop(0)
        elif info.get("role") == "answer-text":
            cell.source = "(reference solution: see the website)"
    return notebook


def write_student_notebooks(
    chapters: Iterable[str | os.PathLike], out: str | os.PathLike
) -> list[Path]:
    """Write the student notebook of each chapter into ``out``, refusing any that leaks.

    Parameters
    ----------
    chapters : iterable of path
        Chapter files.
    out : path
        Folder to write ``<chapter>.ipynb`` into (created if needed).

    Returns
    -------
    list of pathlib.Path
        The notebooks written, in the order of ``chapters``.

    Raises
    ------
    FileNotFoundError
        If a chapter file does not exist.
    TypeError
        If ``chapters`` is not a list of paths (a single path is refused) or ``out`` not a path.
    RuntimeError
        If a student notebook would leak a solution (it is then not written); the message
        lists the leaks.

    Examples
    --------
    >>> import tempfile
    >>> from coursework import DEMO_CHAPTER, write_student_notebooks
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [path.name for path in write_student_notebooks([DEMO_CHAPTER], folder)]
    ['demo_chapter.ipynb']
    """
    import nbformat

    paths = check_paths(chapters, "chapters", "chapter files")
    folder = check_path(out, "out")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        chapter = read_chapter(path)
        notebook = student_notebook(chapter)
        leaks = find_leaks(notebook, chapter)
        if leaks:
            raise RuntimeError(
                f"{chapter.name}: the student notebook would leak; not written:\n  " + "\n  ".join(leaks)
            )
        target = folder / f"{chapter.name}.ipynb"
        nbformat.write(notebook, target)
        written.append(target)
    return written
