"""Coursework from the chapters: checks, student notebooks without solutions, and autograding.

The chapter file is the one source of truth. Its exercises are marked up as for the website
(sphinx-exercise), and a few cell tags say what each code cell is:

``solution``
    Every code cell between ``{solution-start} ex-...`` and ``{solution-end}``. The student
    notebook replaces it with a stub (``# YOUR CODE HERE`` and, for every name that later
    cells use, ``name = ...  # YOUR CODE HERE``). A ``solution`` cell that is also
    ``remove-cell`` (e.g. the glue of a number quoted in a text solution) is dropped without a stub.
``public-check``
    A visible cell after the solution block that checks the answer with :func:`check`; it
    stays in the student notebook so students can test their work.
``hidden-check`` (with ``remove-cell``)
    A cell after the solution block that checks the answer more strictly. The website hides
    it but the build executes it against the reference solution, which proves that the checks
    pass; the student notebook leaves it out and the grader puts it back.

A check cell belongs to the exercise of the nearest preceding ``{exercise}`` or solution
directive. Text solutions (``{solution}`` directives) and the text of gated solutions are
removed from the student notebook and replaced by an answer cell; an exercise whose solution
has no code is graded by hand ("manual"). Grading executes a submitted notebook cell by cell
with a per-cell timeout, with the chapter's current checks put back after each exercise: an
exercise scores 1 when all its checks run without error.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SOLUTION_TAG = "solution"
PUBLIC_TAG = "public-check"
HIDDEN_TAG = "hidden-check"
REMOVE_TAG = "remove-cell"
STUB_MARK = "# YOUR CODE HERE"
ANSWER_MARK = "YOUR ANSWER HERE"
#: Exercises per chapter that the book asks for.
MIN_EXERCISES = 3
#: Default per-cell timeout of the grader, in seconds.
DEFAULT_TIMEOUT = 60

_TIMEOUT_ENAME = "CellTimeout"
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[^}\s]+)\}\s*(?P<arg>.*?)\s*$")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
_SOLUTION_DIRECTIVE = re.compile(r"\{solution(?:-start|-end)?\}")
_DIRECTIVES = {"solution", "solution-start", "solution-end", "exercise", "exercise-start", "exercise-end"}


# ---------------------------------------------------------------------------------------------
# Checks, for chapters and students
# ---------------------------------------------------------------------------------------------


class CheckFailed(AssertionError):
    """An answer failed a check; the message says what was expected."""


def _evaluate(condition: object, message: str) -> object:
    __tracebackhide__ = True  # IPython shows the student's cell, not this frame
    if not callable(condition):
        return condition
    try:
        return condition()
    except Exception as error:  # the student's names may be missing or still `...`
        if "ellipsis" in str(error):
            hint = "An answer is still `...`: replace it with your answer and run your cell."
        else:
            hint = (
                f"The check could not be evaluated: {type(error).__name__}: {error}. Did you run your "
                "answer cell and keep the variable names the exercise asks for?"
            )
        raise CheckFailed(f"{message} ({hint})") from None


def check(condition: bool | Callable[[], object], message: str) -> None:
    """Pass quietly with a tick, or stop with a helpful message.

    Parameters
    ----------
    condition : bool or callable
        What must hold. Pass a function of no arguments (a ``lambda``) when evaluating the
        condition could itself fail, e.g. because the student has not defined a name yet: the
        error is then turned into the helpful message instead of a bare ``NameError``.
    message : str
        What the answer should satisfy, addressed to the student
        (e.g. ``"share_outside should be a share between 0 and 1"``).

    Returns
    -------
    None
        Prints ``✓ message`` when the check passes.

    Raises
    ------
    CheckFailed
        If the condition is false, is ``...`` (an unanswered stub), or cannot be evaluated.
    TypeError
        If ``message`` is not a string, or the condition is an array (use ``.all()``).

    Examples
    --------
    >>> from hlmkit import check
    >>> share = 0.25
    >>> check(lambda: 0 <= share <= 1, "share should lie between 0 and 1")
    ✓ share should lie between 0 and 1
    >>> check(lambda: undefined_name > 0, "undefined_name should be positive")
    Traceback (most recent call last):
    ...
    hlmkit.coursework.CheckFailed: undefined_name should be positive (The check could not be evaluated: NameError: ...
    """
    __tracebackhide__ = True
    if not isinstance(message, str):
        raise TypeError(f"`message` must be a string, got {type(message).__name__}.")
    result = _evaluate(condition, message)
    if result is Ellipsis:
        raise CheckFailed(f"{message} (The answer is still `...`: replace it with your answer.)")
    if isinstance(result, np.ndarray) and result.size != 1:
        raise TypeError("check: the condition is an array; reduce it with .all() or .any() first.")
    if not bool(result):
        raise CheckFailed(message)
    print(f"✓ {message}")


def check_between(
    values: object,
    bound_a: object,
    bound_b: object,
    message: str,
    *,
    labels: Sequence[object] | None = None,
    tolerance: float = 1e-6,
) -> None:
    """Check that every value lies between two bounds (in either order), naming the first miss.

    Parameters
    ----------
    values, bound_a, bound_b : array_like or callable
        Numbers that broadcast against each other; each may be a function of no arguments
        (see :func:`check`). For each element, the bounds may come in either order.
    message : str
        Message for the first value outside its bounds; it may use the fields ``{label}``,
        ``{value}``, ``{low}`` and ``{high}`` (e.g. ``"your estimate for school {label}
        ({value:.1f}) should lie between {low:.1f} and {high:.1f}"``).
    labels : sequence, optional
        A label per value (school names, say); default: the position.
    tolerance : float
        How far outside the bounds a value may lie (rounding).

    Returns
    -------
    None
        Prints a tick and the number of values checked when all pass.

    Raises
    ------
    CheckFailed
        If a value lies outside its bounds, is missing (``...`` or NaN), or the shapes differ.
    TypeError
        If ``message`` is not a string or ``labels`` is not a sequence.
    ValueError
        If ``tolerance`` is negative, or ``labels`` does not hold one label per value.

    Examples
    --------
    >>> from hlmkit import check_between
    >>> check_between([2.0, 5.0], [0.0, 9.0], [3.0, 4.0], "value {label} should lie between {low} and {high}")
    ✓ all 2 values lie between their bounds
    >>> check_between([2.0, 10.0], [0.0, 9.0], [3.0, 4.0], "value {label} should lie between {low} and {high}",
    ...               labels=["a", "b"])
    Traceback (most recent call last):
    ...
    hlmkit.coursework.CheckFailed: value b should lie between 4.0 and 9.0
    """
    __tracebackhide__ = True
    if not isinstance(message, str):
        raise TypeError(f"`message` must be a string, got {type(message).__name__}.")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not tolerance >= 0:
        raise ValueError(f"`tolerance` must be a non-negative number, got {tolerance!r}.")
    indexable = hasattr(labels, "__len__") and hasattr(labels, "__getitem__")
    if labels is not None and (isinstance(labels, str) or not indexable):
        raise TypeError(f"`labels` must be a sequence with one label per value, got {type(labels).__name__}.")
    arrays = []
    for name, item in (("values", values), ("first bound", bound_a), ("second bound", bound_b)):
        item = _evaluate(item, f"The {name} of this check could not be computed.")
        try:
            arrays.append(np.asarray(item, dtype=float))
        except (TypeError, ValueError):
            raise CheckFailed(
                f"The {name} of this check are not numbers (got {type(item).__name__}): "
                "did you replace every `...` with your answer?"
            ) from None
    value, a, b = arrays
    try:
        shape = np.broadcast_shapes(value.shape, a.shape, b.shape)
    except ValueError:
        raise CheckFailed(
            f"Expected {max(a.size, b.size)} values, one per bound, but got {value.size}."
        ) from None
    if value.shape != shape:
        raise CheckFailed(f"Expected {int(np.prod(shape))} values but got {value.size}.")
    value, low, high = (np.broadcast_to(x, shape).ravel() for x in (value, np.minimum(a, b), np.maximum(a, b)))
    if labels is not None and len(labels) != value.size:
        raise ValueError(f"`labels` must hold one label per value: got {len(labels)} labels for {value.size} values.")
    bad = np.flatnonzero(~((value >= low - tolerance) & (value <= high + tolerance)))
    if bad.size:
        k = int(bad[0])
        label = labels[k] if labels is not None and k < len(labels) else k
        try:
            text = message.format(label=label, value=value[k], low=low[k], high=high[k])
        except (KeyError, IndexError, ValueError):
            text = message
        raise CheckFailed(f"{text} ({bad.size} of {value.size} values outside their bounds)" if bad.size > 1 else text)
    print(f"✓ all {value.size} values lie between their bounds")


# ---------------------------------------------------------------------------------------------
# Reading a chapter
# ---------------------------------------------------------------------------------------------


@dataclass
class Exercise:
    """One exercise of a chapter, as the coursework tools see it.

    Attributes
    ----------
    label : str
        The ``:label:`` of the ``{exercise}`` directive, e.g. ``"ex-why-funnel"``.
    number : int
        Its position in the chapter (1, 2, ...).
    solution_cells, public_checks, hidden_checks : list of int
        Indices (in the chapter's notebook) of the code cells in each role.
    hidden_solution_cells : list of int
        Solution cells also tagged ``remove-cell`` (e.g. glue for the solution's text): left out
        of the student notebook without a stub.
    has_text_solution : bool
        Whether the solution has text (a ``{solution}`` directive or text in a gated solution).
    has_solution : bool
        Whether a ``{solution}`` or ``{solution-start}`` refers to the exercise.
    """

    label: str
    number: int
    solution_cells: list[int] = field(default_factory=list)
    public_checks: list[int] = field(default_factory=list)
    hidden_checks: list[int] = field(default_factory=list)
    hidden_solution_cells: list[int] = field(default_factory=list)
    has_text_solution: bool = False
    has_solution: bool = False

    @property
    def graded(self) -> bool:
        """Whether the exercise is graded automatically: solution code to replace, and checks."""
        return bool(self.solution_cells) and bool(self.public_checks or self.hidden_checks)


@dataclass
class _Piece:
    kind: str  # text, exercise, exercise-end, solution, gated-start, gated-text, gated-end, code
    lines: list[str] = field(default_factory=list)
    label: str | None = None
    cell_index: int | None = None
    md_cell: int | None = None


@dataclass
class Chapter:
    """A chapter read for coursework: its notebook, exercises, the role of each cell, and problems.

    Attributes
    ----------
    name : str
        The file stem, e.g. ``"01_why_hierarchical"``.
    notebook : nbformat.NotebookNode
        The chapter as read by jupytext.
    exercises : dict of str to Exercise
        In chapter order.
    roles : dict of int to tuple
        ``(role, exercise label)`` of each code cell: role is ``"chapter"``, ``"solution"``,
        ``"hidden-solution"``, ``"public-check"`` or ``"hidden-check"``.
    problems : list of str
        What breaks the coursework conventions (see :func:`lint_chapter`).
    """

    name: str
    notebook: Any
    exercises: dict[str, Exercise]
    roles: dict[int, tuple[str, str | None]]
    problems: list[str]
    pieces: list[_Piece]
    source_hash: str
    path: Path | None = None

    @property
    def graded(self) -> list[Exercise]:
        """The exercises graded automatically, in order."""
        return [exercise for exercise in self.exercises.values() if exercise.graded]


def _closing(lines: list[str], start: int, fence: str) -> int | None:
    char, length = fence[0], len(fence)
    pattern = re.compile(rf"^ {{0,3}}{re.escape(char)}{{{length},}}\s*$")
    for k in range(start + 1, len(lines)):
        if pattern.match(lines[k]):
            return k
    return None


def _options(lines: list[str]) -> dict[str, str]:
    options = {}
    for line in lines:
        match = _OPTION.match(line)
        if not match:
            break
        options[match["key"]] = match["value"]
    return options


def _first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip()]
    return (lines[0][:60] + ("..." if len(lines[0]) > 60 else "")) if lines else "(empty)"


def _tags(cell: Any) -> set[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return set(tags) if isinstance(tags, list) else set()


def read_chapter(source: str | os.PathLike | Any, *, name: str | None = None) -> Chapter:
    """Read a chapter and find its exercises, solutions and checks.

    Parameters
    ----------
    source : path or nbformat.NotebookNode
        A MyST Markdown chapter (read with jupytext) or a notebook already read.
    name : str, optional
        The chapter's name; default: the file stem (``"chapter"`` for a notebook).

    Returns
    -------
    Chapter
        Its exercises, the role of each code cell, and the problems found (never raised here:
        see :func:`lint_chapter`).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    TypeError
        If ``source`` is neither a path nor a notebook, or ``name`` is not a string.

    Examples
    --------
    >>> import jupytext
    >>> from hlmkit import read_chapter
    >>> text = '''# A chapter
    ...
    ... ```{exercise}
    ... :label: ex-demo
    ...
    ... Store 2 + 2 in `answer`.
    ... ```
    ...
    ... ```{solution-start} ex-demo
    ... :class: dropdown
    ... ```
    ...
    ... ```{code-cell} ipython3
    ... :tags: [solution]
    ... answer = 2 + 2
    ... ```
    ...
    ... ```{solution-end}
    ... ```
    ...
    ... ```{code-cell} ipython3
    ... :tags: [remove-cell, hidden-check]
    ... assert answer == 4
    ... ```
    ... '''
    >>> chapter = read_chapter(jupytext.reads(text, fmt="md:myst"), name="demo")
    >>> exercise = chapter.exercises["ex-demo"]
    >>> exercise.graded, exercise.solution_cells, exercise.hidden_checks  # indices of notebook cells
    (True, [1], [3])
    """
    path = None
    if name is not None and not isinstance(name, str):
        raise TypeError(f"`name` must be a string (the chapter's name), got {type(name).__name__}.")
    if not isinstance(source, str | os.PathLike) and not isinstance(getattr(source, "cells", None), list):
        raise TypeError(
            "`source` must be a chapter file path (str or pathlib.Path, e.g. 'chapters/01_why_hierarchical.md') "
            f"or a notebook read with jupytext or nbformat, got {type(source).__name__}."
        )
    if isinstance(source, str | os.PathLike):
        import jupytext

        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"Chapter {path} not found: pass a chapters/NN_name.md file.")
        text = path.read_text(encoding="utf-8")
        notebook = jupytext.read(path)
        name = name or path.stem
        digest = hashlib.sha256(text.encode()).hexdigest()
    else:
        notebook = source
        name = name or "chapter"
        digest = hashlib.sha256(json.dumps([c.get("source", "") for c in notebook.cells]).encode()).hexdigest()
    return _parse(notebook, name, digest[:16], path)


def _flush(pieces: list[_Piece], text: list[str], gated: str | None, cell_number: int) -> None:
    """Move the Markdown lines gathered in ``text`` into ``pieces`` (inside a gated solution or not)."""
    if text:
        pieces.append(_Piece("gated-text" if gated is not None else "text", list(text), gated, md_cell=cell_number))
        text.clear()


def _parse(notebook: Any, name: str, digest: str, path: Path | None) -> Chapter:
    problems: list[str] = []
    pieces: list[_Piece] = []
    exercises: dict[str, Exercise] = {}
    roles: dict[int, tuple[str, str | None]] = {}
    gated: str | None = None  # label of the open solution-start block
    current: str | None = None  # exercise that check cells attach to
    code_index = 0
    where = f"{name}"

    def add_exercise(label: str | None, line: str) -> str | None:
        if not label:
            problems.append(f"{where}: an exercise has no :label: ({line.strip()!r}); add `:label: ex-...`.")
            return None
        if label in exercises:
            problems.append(f"{where}: exercise label {label!r} is used twice.")
            return label
        exercises[label] = Exercise(label=label, number=len(exercises) + 1)
        return label

    def solution_for(label: str, line: str) -> str | None:
        if label not in exercises:
            problems.append(
                f"{where}: {line.strip()!r} refers to {label!r}, which is not the label of an "
                "earlier {exercise}."
            )
            return None
        exercises[label].has_solution = True
        return label

    for cell_number, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            tags = _tags(cell)
            index = cell_number
            code_index += 1
            head = f"{where}: code cell {code_index} ({_first_line(cell.source)!r})"
            if gated is not None:
                if SOLUTION_TAG not in tags:
                    problems.append(
                        f"{head} sits between {{solution-start}} {gated} and {{solution-end}} without "
                        f"the `{SOLUTION_TAG}` tag: add `:tags: [{SOLUTION_TAG}]` (the student version "
                        "would otherwise depend on where the cell is, not on what it is)."
                    )
                if tags & {PUBLIC_TAG, HIDDEN_TAG}:
                    problems.append(f"{head}: a check cell must come after {{solution-end}}, not inside it.")
                role = "hidden-solution" if REMOVE_TAG in tags else "solution"
                if gated in exercises:
                    exercise = exercises[gated]
                    targets = exercise.hidden_solution_cells if role == "hidden-solution" else exercise.solution_cells
                    targets.append(index)
                roles[index] = (role, gated)
            elif SOLUTION_TAG in tags:
                if current is None or REMOVE_TAG not in tags:
                    problems.append(
                        f"{head} is tagged `{SOLUTION_TAG}` outside a solution block: put it between "
                        "{solution-start} and {solution-end}, or (for a hidden helper of a text solution "
                        f"inside an exercise) tag it `{REMOVE_TAG}` too."
                    )
                roles[index] = ("hidden-solution", current)
                if current in exercises:
                    exercises[current].hidden_solution_cells.append(index)
            elif tags & {PUBLIC_TAG, HIDDEN_TAG}:
                kind = HIDDEN_TAG if HIDDEN_TAG in tags else PUBLIC_TAG
                if {PUBLIC_TAG, HIDDEN_TAG} <= tags:
                    problems.append(f"{head} is tagged both {PUBLIC_TAG} and {HIDDEN_TAG}: choose one.")
                if kind == HIDDEN_TAG and REMOVE_TAG not in tags:
                    problems.append(
                        f"{head}: a {HIDDEN_TAG} cell must also be tagged {REMOVE_TAG} (else the website shows it)."
                    )
                if kind == PUBLIC_TAG and REMOVE_TAG in tags:
                    problems.append(f"{head}: a {PUBLIC_TAG} cell should be visible: drop {REMOVE_TAG}.")
                if current not in exercises:
                    problems.append(f"{head}: a check cell must follow an exercise and its solution.")
                else:
                    exercise = exercises[current]
                    (exercise.hidden_checks if kind == HIDDEN_TAG else exercise.public_checks).append(index)
                roles[index] = (kind, current)
            else:
                roles[index] = ("chapter", None)
            pieces.append(_Piece("code", cell_index=index, label=roles[index][1]))
            continue
        if cell.cell_type != "markdown":  # a raw cell: part of a solution if inside one
            kind = "gated-text" if gated is not None else "text"
            pieces.append(_Piece(kind, cell.source.splitlines(), gated, cell_index=cell_number))
            continue
        lines = cell.source.splitlines()
        k = 0
        text: list[str] = []

        while k < len(lines):
            line = lines[k]
            match = _FENCE.match(line)
            directive = match["name"] if match else None
            if directive not in _DIRECTIVES or (gated is not None and directive != "solution-end"):
                if gated is not None and match and directive in _DIRECTIVES:
                    problems.append(f"{where}: {line.strip()!r} inside the open solution block of {gated}.")
                text.append(line)
                k += 1
                continue
            assert match is not None  # a directive was matched: the branch above handles the rest
            end = _closing(lines, k, match["fence"])
            if end is None:
                problems.append(f"{where}: the directive {line.strip()!r} is not closed in its cell.")
                end = len(lines) - 1
            block = lines[k : end + 1]
            body = lines[k + 1 : end]
            label = (match["arg"].split() or [None])[0]
            _flush(pieces, text, gated, cell_number)
            if directive in ("exercise", "exercise-start"):
                current = add_exercise(_options(body).get("label"), line)
                pieces.append(_Piece("exercise", block, current, md_cell=cell_number))
            elif directive == "exercise-end":
                pieces.append(_Piece("exercise-end", block, md_cell=cell_number))
            elif directive == "solution":
                current = solution_for(label or "", line) or current
                if current in exercises:
                    exercises[current].has_text_solution = True
                pieces.append(_Piece("solution", block, label, md_cell=cell_number))
            elif directive == "solution-start":
                gated = label or "?"
                current = solution_for(label or "", line) or current
                pieces.append(_Piece("gated-start", block, gated, md_cell=cell_number))
            else:  # solution-end
                if gated is None:
                    problems.append(f"{where}: {{solution-end}} without a {{solution-start}} before it.")
                pieces.append(_Piece("gated-end", block, gated, md_cell=cell_number))
                gated = None
            k = end + 1
        _flush(pieces, text, gated, cell_number)
    if gated is not None:
        problems.append(f"{where}: {{solution-start}} {gated} is never closed by {{solution-end}}.")
    for piece in pieces:
        if piece.kind == "gated-text" and piece.label in exercises and any(line.strip() for line in piece.lines):
            exercises[piece.label].has_text_solution = True
    if len(exercises) < MIN_EXERCISES:
        problems.append(f"{where}: {len(exercises)} exercises; the book asks for at least {MIN_EXERCISES}.")
    for exercise in exercises.values():
        if not exercise.has_solution:
            problems.append(f"{where}: exercise {exercise.label} has no solution.")
        if exercise.solution_cells and not exercise.public_checks:
            problems.append(
                f"{where}: exercise {exercise.label} has a code solution but no `{PUBLIC_TAG}` cell after it."
            )
        if exercise.solution_cells and not exercise.hidden_checks:
            problems.append(
                f"{where}: exercise {exercise.label} has a code solution but no `{HIDDEN_TAG}` cell after it."
            )
        if not exercise.solution_cells and (exercise.public_checks or exercise.hidden_checks):
            problems.append(f"{where}: exercise {exercise.label} has checks but no solution code to grade.")
    problems += _dependency_problems(notebook, roles, where)
    return Chapter(name, notebook, exercises, roles, problems, pieces, digest, path)


def _dependency_problems(notebook: Any, roles: dict[int, tuple[str, str | None]], where: str) -> list[str]:
    """Cells that would fail in the student version because they use a name only a solution defines.

    A chapter cell may not use a name that only solutions define, and the checks of one exercise
    may not use a name that only another exercise's solution defines, unless the cell is tagged
    ``needs-answer`` (then the chapter says that it needs the student's answer).
    """
    problems = []
    defined: set[str] = set()  # by chapter cells so far
    from_solutions: dict[str, str | None] = {}  # name -> exercise whose solution defines it
    for k, cell in enumerate(notebook.cells):
        role, label = roles.get(k, (None, None))
        if role is None:
            continue
        if role in ("solution", "hidden-solution"):
            for name in _assigned(cell.source):
                from_solutions.setdefault(name, label)
            continue
        missing = {
            name: owner
            for name, owner in from_solutions.items()
            if name in _loaded(cell.source) and name not in defined and (role == "chapter" or owner != label)
        }
        if missing and "needs-answer" not in _tags(cell):
            listed = ", ".join(f"`{name}` (from {owner})" for name, owner in sorted(missing.items()))
            problems.append(
                f"{where}: code cell ({_first_line(cell.source)!r}) uses {listed}, which only a solution "
                "defines: the student version would fail there. Define it outside the solution, or tag the "
                "cell `needs-answer` to say that it needs the student's answer."
            )
        if role == "chapter":
            defined.update(_assigned(cell.source))
    return problems


def _as_chapter(chapter: Chapter | str | os.PathLike) -> Chapter:
    if isinstance(chapter, Chapter):
        return chapter
    if not isinstance(chapter, str | os.PathLike) and not isinstance(getattr(chapter, "cells", None), list):
        raise TypeError(
            "`chapter` must be a chapter file path (str or pathlib.Path, e.g. 'chapters/01_why_hierarchical.md') "
            f"or a Chapter from read_chapter, got {type(chapter).__name__}."
        )
    return read_chapter(chapter)


def _check_notebook(notebook: object, argument: str) -> Any:
    if not isinstance(getattr(notebook, "cells", None), list):
        raise TypeError(
            f"`{argument}` must be a notebook (an nbformat.NotebookNode, e.g. from student_notebook or "
            f"nbformat.read), got {type(notebook).__name__}."
        )
    return notebook


def _check_path(value: object, argument: str) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"`{argument}` must be a path (str or pathlib.Path), got {type(value).__name__}.")
    return Path(value)


def _check_paths(values: object, argument: str, what: str) -> list:
    if isinstance(values, str | os.PathLike) or not isinstance(values, Iterable):
        raise TypeError(f"`{argument}` must be a list of {what}, e.g. [path], got {values!r:.80}.")
    return list(values)


def lint_chapter(chapter: Chapter | str | os.PathLike) -> list[str]:
    """List what breaks the coursework conventions of a chapter (empty when all is well).

    Checked: every code cell between ``{solution-start}`` and ``{solution-end}`` is tagged
    ``solution``; solution blocks are balanced and refer to earlier exercises; every exercise has
    a label and a solution; every exercise with solution code has at least one ``public-check``
    and one ``hidden-check`` cell (tagged ``remove-cell`` too) after it; check cells follow an
    exercise; the chapter has at least ``MIN_EXERCISES`` exercises; and no cell outside an
    exercise uses a name that only a solution defines (the student version would fail there),
    unless it is tagged ``needs-answer``.

    Parameters
    ----------
    chapter : Chapter or path
        A chapter file (or one already read with :func:`read_chapter`).

    Returns
    -------
    list of str
        One message per problem, naming the cell and what to do.

    Raises
    ------
    FileNotFoundError
        If ``chapter`` is a path to no file.
    TypeError
        If ``chapter`` is neither a path nor a chapter.

    Examples
    --------
    >>> import jupytext
    >>> from hlmkit import lint_chapter, read_chapter
    >>> text = '''```{exercise}
    ... :label: ex-demo
    ... Compute.
    ... ```
    ...
    ... ```{solution-start} ex-demo
    ... ```
    ...
    ... ```{code-cell} ipython3
    ... answer = 4
    ... ```
    ...
    ... ```{solution-end}
    ... ```
    ... '''
    >>> for problem in lint_chapter(read_chapter(jupytext.reads(text, fmt="md:myst"), name="demo")):
    ...     print(problem[:75].rstrip())
    demo: code cell 1 ('answer = 4') sits between {solution-start} ex-demo and
    demo: 1 exercises; the book asks for at least 3.
    demo: exercise ex-demo has a code solution but no `public-check` cell after
    demo: exercise ex-demo has a code solution but no `hidden-check` cell after
    """
    return list(_as_chapter(chapter).problems)


# ---------------------------------------------------------------------------------------------
# The student notebook
# ---------------------------------------------------------------------------------------------


def _python(source: str) -> ast.Module | None:
    cleaned = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        return ast.parse(cleaned)
    except SyntaxError:
        return None


def _assigned(source: str) -> list[str]:
    """Names a cell binds at top level (assignments, loops, imports, definitions), in order."""
    tree = _python(source)
    names: list[str] = []

    def target(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                target(element)
        elif isinstance(node, ast.Starred):
            target(node.value)

    def statements(body: Iterable[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Assign):
                for item in node.targets:
                    target(item)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                target(node.target)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                target(node.target)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for with_item in node.items:
                    if with_item.optional_vars is not None:
                        target(with_item.optional_vars)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.extend((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
            for child in ("body", "orelse", "finalbody"):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    statements(getattr(node, child, []) or [])
            for handler in getattr(node, "handlers", []) or []:
                statements(handler.body)
            if isinstance(node, ast.Expr) or isinstance(node, ast.Assign):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.NamedExpr):
                        target(sub.target)

    if tree is not None:
        statements(tree.body)
    return list(dict.fromkeys(names))


def _loaded(source: str) -> set[str]:
    tree = _python(source)
    if tree is None:  # unparsable: be generous, every identifier-like word counts
        return set(re.findall(r"[A-Za-z_]\w*", source))
    loaded: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return loaded - bound  # names the cell needs from before it (not its own loop or local names)


def _stub(chapter: Chapter, index: int, label: str) -> str:
    """Return the code a student starts from in place of solution cell ``index``."""
    cells = chapter.notebook.cells
    later: set[str] = set()
    for k in range(index + 1, len(cells)):
        role = chapter.roles.get(k)
        if role is not None and role[0] in ("chapter", "public-check", "hidden-check"):
            later |= _loaded(cells[k].source)
    needed = [name for name in _assigned(cells[index].source) if name in later]
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
    title = f"**Exercise{number}** (`{piece.label}`)" if piece.label else f"**Exercise{number}**"
    return [title, "", *content]


def _clean_markdown(lines: list[str]) -> str:
    text = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def _cell_metadata(cell: Any) -> dict[str, Any]:
    metadata = copy.deepcopy(dict(cell.get("metadata", {})))
    if _tags(cell) & {REMOVE_TAG, "remove-input"}:
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
    >>> import jupytext
    >>> from hlmkit import read_chapter, student_notebook
    >>> text = '''```{exercise}
    ... :label: ex-demo
    ... Store 2 + 2 in `answer`.
    ... ```
    ...
    ... ```{solution-start} ex-demo
    ... ```
    ...
    ... ```{code-cell} ipython3
    ... :tags: [solution]
    ... answer = 2 + 2
    ... ```
    ...
    ... ```{solution-end}
    ... ```
    ...
    ... ```{code-cell} ipython3
    ... :tags: [remove-cell, hidden-check]
    ... assert answer == 4
    ... ```
    ... '''
    >>> notebook = student_notebook(read_chapter(jupytext.reads(text, fmt="md:myst"), name="demo"))
    >>> [cell.source for cell in notebook.cells]
    ['**Exercise 1** (`ex-demo`)\n\nStore 2 + 2 in `answer`.',
     '# Exercise 1 (ex-demo): YOUR CODE HERE\nanswer = ...  # YOUR CODE HERE']
    """
    import nbformat
    from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor

    chapter = _as_chapter(chapter)
    source_cells = chapter.notebook.cells
    cells: list[Any] = []
    buffer: list[str] = []
    buffer_cell: list[int | None] = [None]
    counter = {"answer": 0}

    def flush() -> None:
        text = _clean_markdown(buffer)
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
                cell = nbformat.v4.new_code_cell(_stub(chapter, index, label or "?"))
                cell.metadata["coursework"] = {"exercise": label, "role": "answer"}
                cell.metadata["deletable"] = False
            else:
                cell = nbformat.v4.new_code_cell(source.source)
                cell.metadata.update(_cell_metadata(source))
                if role == "public-check":
                    cell.metadata["coursework"] = {"exercise": label, "role": "public-check"}
                    cell.metadata["editable"] = False
                    cell.metadata["deletable"] = False
            cells.append(cell)
    flush()

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
    and by ``scripts/coursework.py selftest``.

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
    >>> import jupytext
    >>> from hlmkit import read_chapter, reference_notebook
    >>> text = '''```{exercise}
    ... :label: ex-demo
    ... Store 2 + 2 in `answer`.
    ... ```
    ...
    ... ```{solution-start} ex-demo
    ... ```
    ...
    ... ```{code-cell} ipython3
    ... :tags: [solution]
    ... answer = 2 + 2
    ... ```
    ...
    ... ```{solution-end}
    ... ```
    ... '''
    >>> notebook = reference_notebook(read_chapter(jupytext.reads(text, fmt="md:myst"), name="demo"))
    >>> notebook.cells[-1].source
    'answer = 2 + 2'
    """
    chapter = _as_chapter(chapter)
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


# ---------------------------------------------------------------------------------------------
# Leak check
# ---------------------------------------------------------------------------------------------


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
    >>> import jupytext
    >>> from hlmkit import find_leaks, read_chapter, student_notebook
    >>> text = '''```{exercise}
    ... :label: ex-demo
    ... Explain.
    ... ```
    ...
    ... ```{solution} ex-demo
    ... Because the small schools are noisy.
    ... ```
    ... '''
    >>> chapter = read_chapter(jupytext.reads(text, fmt="md:myst"), name="demo")
    >>> find_leaks(student_notebook(chapter), chapter)
    []
    >>> find_leaks(chapter.notebook, chapter)[0]
    'cell 1 (markdown): a solution directive is left'
    """
    notebook = _check_notebook(notebook, "notebook")
    chapter = _as_chapter(chapter)
    fingerprints = _solution_fingerprints(chapter)
    leaks: list[str] = []
    for k, cell in enumerate(notebook.cells, start=1):
        where = f"cell {k} ({cell.cell_type})"
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if _SOLUTION_DIRECTIVE.search(source):
            leaks.append(f"{where}: a solution directive is left")
        tags = _tags(cell)
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
    >>> from hlmkit import write_student_notebooks
    >>> paths = write_student_notebooks(["chapters/01_why_hierarchical.md"], "/tmp/student")  # doctest: +SKIP
    """
    import nbformat

    paths = _check_paths(chapters, "chapters", "chapter files")
    folder = _check_path(out, "out")
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


# ---------------------------------------------------------------------------------------------
# Grading
# ---------------------------------------------------------------------------------------------


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
        not be read or is of another chapter; ``manual``: graded by hand), ``score`` (1, 0, or
        None for manual), ``max_score`` and ``reason``.
    notes : list of str
        Errors outside the checks (e.g. a chapter cell broken by an edit), version warnings.
    seconds : float
        Wall time spent grading.
    """

    student: str
    submission: str
    chapter: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
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


def _blank_result(
    chapter: Chapter | None, student: str, submission: str, chapter_name: str | None = None
) -> GradeResult:
    name = chapter.name if chapter else (chapter_name or "?")
    result = GradeResult(student=student, submission=submission, chapter=name)
    if chapter is None:
        result.rows.append(
            {"exercise": "?", "number": 0, "status": "pending", "score": 0, "max_score": 1, "reason": ""}
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
                "max_score": 1 if graded else None,
                "reason": ""
                if graded
                else "graded by hand (" + ("no automatic checks" if exercise.solution_cells else "text answer") + ")",
            }
        )
    return result


def _short(text: object, limit: int = 300) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _grading_notebook(
    notebook: Any, chapter: Chapter, result: GradeResult
) -> tuple[Any, dict[int, tuple[str, str | None, str]]]:
    """Return the submission's code cells with the chapter's checks put back after each exercise.

    Returns the notebook to execute and, per cell, ``(role, exercise label, where)``.
    """
    import nbformat

    graded = {exercise.label: exercise for exercise in chapter.graded}
    anchors: dict[str, int] = {}
    for k, cell in enumerate(notebook.cells):
        info = cell.get("metadata", {}).get("coursework") or {}
        if isinstance(info, dict) and info.get("exercise") in graded and info.get("role") in ("answer", "public-check"):
            anchors[info["exercise"]] = k
    for label in graded:
        if label not in anchors:
            result.row(label).update(
                status="missing",
                score=0,
                reason="the exercise's answer and check cells are not in the notebook (deleted?): "
                "copy them back from a fresh student notebook",
            )
    after: dict[int, list[str]] = {}
    for label in graded:  # chapter order
        if label in anchors:
            after.setdefault(anchors[label], []).append(label)
    cells: list[Any] = []
    roles: dict[int, tuple[str, str | None, str]] = {}
    for k, cell in enumerate(notebook.cells):
        info = cell.get("metadata", {}).get("coursework") or {}
        info = info if isinstance(info, dict) else {}
        if info.get("role") != "public-check" and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            where = f"cell {k + 1} ({_first_line(source)!r})"
            role = ("answer", info.get("exercise"), where) if info.get("role") == "answer" else ("student", None, where)
            roles[len(cells)] = role
            cells.append(nbformat.v4.new_code_cell(source))
        for label in after.get(k, []):
            exercise = graded[label]
            checks = [(i, "public check") for i in exercise.public_checks]
            checks += [(i, "hidden check") for i in exercise.hidden_checks]
            for index, kind in checks:
                roles[len(cells)] = (kind, label, f"{kind} of {label}")
                cells.append(nbformat.v4.new_code_cell(chapter.notebook.cells[index].source))
    grading = nbformat.v4.new_notebook()
    grading.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    grading.cells = cells
    return grading, roles


def _execute(grading: Any, timeout: float) -> dict[int, tuple[str, str]]:
    """Run each code cell; return ``{index: (status, detail)}`` with status ok/error/timeout/not run."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    status: dict[int, tuple[str, str]] = {}
    workdir = tempfile.mkdtemp(prefix="hlmkit-grade-")
    client = NotebookClient(
        grading,
        timeout=int(math.ceil(timeout)),
        kernel_name="python3",
        allow_errors=False,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": _TIMEOUT_ENAME,
            "evalue": f"the cell ran longer than {timeout:g} s and was stopped",
            "traceback": [],
        },
        shutdown_kernel="immediate",
        record_timing=False,
        extra_arguments=["--IPKernelApp.log_level=40"],  # no "running over TCP" warnings
        resources={"metadata": {"path": workdir}},
    )
    env = {**os.environ, "HLMKIT_PROGRESSBAR": "0", "MPLBACKEND": "agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    stopped = ""
    try:
        with client.setup_kernel(env=env):
            for k, cell in enumerate(grading.cells):
                if cell.cell_type != "code":
                    continue
                if stopped:
                    status[k] = ("not run", stopped)
                    continue
                try:
                    client.execute_cell(cell, k)
                    status[k] = ("ok", "")
                except CellExecutionError as error:
                    timed_out = getattr(error, "ename", "") == _TIMEOUT_ENAME
                    status[k] = ("timeout" if timed_out else "error", _short(f"{error.ename}: {error.evalue}"))
                    if timed_out and not _responsive(client, k):
                        stopped = f"not run: the kernel did not recover after cell {k + 1} timed out"
                except CellTimeoutError:
                    status[k] = ("timeout", f"the cell ran longer than {timeout:g} s")
                    if not _responsive(client, k):
                        stopped = f"not run: the kernel did not recover after cell {k + 1} timed out"
                except DeadKernelError as error:
                    status[k] = ("error", f"the kernel died while running this cell ({_short(error)})")
                    stopped = f"not run: the kernel died in cell {k + 1}"
                finally:
                    cell.outputs = []  # only the status matters; keeps memory flat
    except Exception as error:  # kernel failed to start or to shut down: report, never crash
        detail = f"the notebook could not be executed: {type(error).__name__}: {_short(error)}"
        for k, cell in enumerate(grading.cells):
            if cell.cell_type == "code" and k not in status:
                status[k] = ("not run", detail)
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return status


def _responsive(client: Any, index: int) -> bool:
    """Tell whether the kernel still answers a trivial cell after a timeout (and nbclient's interrupt)."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    probe = nbformat.v4.new_code_cell("None")
    saved = client.timeout
    client.timeout = min(int(saved), 10)
    try:
        client.execute_cell(probe, index)
        return True
    except (CellExecutionError, CellTimeoutError, DeadKernelError):
        return False
    finally:
        client.timeout = saved


def _check_timeout(timeout: object) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"`timeout` must be a number of seconds, got {timeout!r} ({type(timeout).__name__}).")
    if not timeout > 0:
        raise ValueError(f"`timeout` must be a positive number of seconds, got {timeout!r}.")
    return float(timeout)


def grade_notebook(
    submission: str | os.PathLike,
    chapter: Chapter | str | os.PathLike,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    student: str | None = None,
) -> GradeResult:
    """Grade one submitted student notebook against its chapter's checks.

    The submission's cells run in a fresh kernel, in a temporary working folder, cell by cell
    with a per-cell ``timeout`` (a cell that runs longer is interrupted). The student's copies
    of the public checks are replaced by the chapter's current public and hidden checks, put
    right after the last answer or check cell of each exercise. An exercise scores 1 when all
    its checks run without error, else 0 with the first failure as the reason. An unreadable
    notebook, a notebook of another chapter, a deleted exercise, a crash or a timeout gives 0 to
    the exercises affected, with a reason: this function does not raise for a bad submission.

    Parameters
    ----------
    submission : path
        The student's ``.ipynb``.
    chapter : Chapter or path
        The chapter the notebook was made from.
    timeout : float
        Seconds each cell may run.
    student : str, optional
        Name for the report; default: the file stem.

    Returns
    -------
    GradeResult
        A row per exercise (manual ones marked ``manual``), and notes.

    Raises
    ------
    TypeError
        If ``submission`` is not a path, ``chapter`` not a chapter, ``timeout`` not a number or
        ``student`` not a string.
    ValueError
        If ``timeout`` is not positive.

    Examples
    --------
    >>> from hlmkit import grade_notebook
    >>> result = grade_notebook("alice.ipynb", "chapters/01_why_hierarchical.md")  # doctest: +SKIP
    >>> result.score, result.max_score  # doctest: +SKIP
    (2, 2)
    """
    import nbformat

    timeout = _check_timeout(timeout)
    path = _check_path(submission, "submission")
    if student is not None and not isinstance(student, str):
        raise TypeError(f"`student` must be a string (a name for the report), got {type(student).__name__}.")
    chapter = _as_chapter(chapter)
    result = _blank_result(chapter, student or path.stem, str(path))
    started = time.perf_counter()
    try:
        try:
            notebook = nbformat.read(path, as_version=4)
            if not isinstance(notebook.get("cells"), list):
                raise ValueError("it has no list of cells")
        except Exception as error:
            reason = f"could not read the notebook: {type(error).__name__}: {_short(error, 200)}"
            result.fail_pending("unreadable", reason)
            return result
        meta = notebook.get("metadata", {}).get("coursework") or {}
        made_from = meta.get("chapter") if isinstance(meta, dict) else None
        if made_from and made_from != chapter.name:
            result.fail_pending("unreadable", f"this notebook was made from chapter {made_from}, not {chapter.name}")
            return result
        if not made_from:
            result.notes.append("the notebook has no coursework metadata (not made by `make student`?)")
        elif meta.get("source_sha256") != chapter.source_hash:
            result.notes.append(
                "the chapter has changed since this notebook was handed out; graded with the current checks"
            )
        grading, roles = _grading_notebook(notebook, chapter, result)
        stubs = {
            _stub(chapter, index, exercise.label).strip()
            for exercise in chapter.graded
            for index in exercise.solution_cells
        }
        unchanged = {
            k
            for k, cell in enumerate(grading.cells)
            if roles.get(k, ("",))[0] == "answer" and cell.source.strip() in stubs
        }
        status = _execute(grading, timeout)
        _score(result, roles, status, timeout, unchanged)
    except Exception as error:  # a bug or an odd notebook: still a row per exercise
        reason = f"the grader could not process this notebook: {type(error).__name__}: {_short(error, 200)}"
        result.fail_pending("error", reason)
    finally:
        result.seconds = time.perf_counter() - started
    return result


def _score(
    result: GradeResult,
    roles: dict[int, tuple[str, str | None, str]],
    status: dict[int, tuple[str, str]],
    timeout: float,
    unchanged: Set[int] = frozenset(),
) -> None:
    checks: dict[str | None, list[int]] = {}
    answers: dict[str | None, list[int]] = {}
    for k, (role, label, where) in roles.items():
        if role in ("public check", "hidden check"):
            checks.setdefault(label, []).append(k)
        elif role == "answer":
            answers.setdefault(label, []).append(k)
        elif status.get(k, ("ok", ""))[0] in ("error", "timeout"):
            result.notes.append(f"{where} failed: {status[k][1]}")
    for row in result.rows:
        label = row["exercise"]
        if row["status"] != "pending":
            continue
        if label not in checks:
            row.update(status="error", score=0, reason="the chapter has no checks for this exercise")
            continue
        failures = [k for k in checks[label] if status.get(k, ("not run", ""))[0] != "ok"]
        if not failures:
            row.update(status="pass", score=1, reason="")
            continue
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
            score=0,
            reason=_short(message, 400),
        )


def _chapter_of(path: Path, chapters: dict[str, Path]) -> str | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8", errors="replace")).get("metadata", {}).get("coursework", {})
        name = meta.get("chapter") if isinstance(meta, dict) else None
        if name in chapters:
            return name
    except Exception:  # unreadable: fall back on the file name
        pass
    matches = [name for name in chapters if name in str(path)]
    return max(matches, key=len) if matches else None


def resolve_chapter(name: str | os.PathLike, chapters_dir: str | os.PathLike = "chapters") -> Path:
    """Find a chapter file from a number, a name or a path.

    Parameters
    ----------
    name : str or path
        ``"01"``, ``"01_why_hierarchical"``, ``"chapters/01_why_hierarchical.md"`` ...
    chapters_dir : path
        Folder of the chapters.

    Returns
    -------
    pathlib.Path
        The chapter file.

    Raises
    ------
    ValueError
        If no chapter, or more than one, matches.

    Examples
    --------
    >>> from hlmkit.coursework import resolve_chapter
    >>> resolve_chapter("01").name  # doctest: +SKIP
    '01_why_hierarchical.md'
    """
    path = Path(name)
    if path.suffix == ".md" and path.is_file():
        return path
    folder = Path(chapters_dir)
    matches = sorted(folder.glob(f"{path.stem}*.md"))
    if len(matches) != 1:
        found = ", ".join(p.stem for p in sorted(folder.glob("*.md")))
        raise ValueError(
            f"Chapter {str(name)!r} matches {len(matches)} files in {folder}; use one of: {found}."
        )
    return matches[0]


def _grade_job(submission: str, chapter_path: str | None, timeout: float, student: str) -> GradeResult:
    if chapter_path is None:
        result = _blank_result(None, student, submission)
        result.fail_pending(
            "unreadable",
            "could not tell which chapter this notebook belongs to (unreadable, and no chapter name "
            "in its file name): grade it with --chapter",
        )
        return result
    try:
        return grade_notebook(submission, chapter_path, timeout=timeout, student=student)
    except Exception as error:
        result = _blank_result(None, student, submission, Path(chapter_path).stem)
        result.fail_pending("error", f"the grader failed: {type(error).__name__}: {_short(error)}")
        return result


def _submissions(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for item in paths:
        item = Path(item)
        if item.is_dir():
            for path in sorted(item.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in path.parts:
                    found.append((path, str(path.relative_to(item).with_suffix(""))))
        elif item.exists():
            found.append((item, item.stem))
        else:
            raise FileNotFoundError(f"Submission {item} not found: pass notebooks or folders of notebooks.")
    names: dict[str, int] = {}
    unique = []
    for path, name in found:
        names[name] = names.get(name, 0) + 1
        unique.append((path, name if names[name] == 1 else f"{name} ({names[name]})"))
    return unique


def grade_submissions(
    submissions: Iterable[str | os.PathLike],
    *,
    chapters_dir: str | os.PathLike = "chapters",
    chapter: str | os.PathLike | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = 1,
) -> list[GradeResult]:
    """Grade many notebooks, in parallel, one row per student and exercise, never losing one.

    Parameters
    ----------
    submissions : iterable of path
        Notebooks, or folders searched recursively for ``*.ipynb`` (the student's name is the
        path inside the folder, without ``.ipynb``).
    chapters_dir : path
        Folder of the chapters.
    chapter : str or path, optional
        The chapter every submission answers (``"01"``, a name or a path). Default: read from
        each notebook's metadata, else from its file name.
    timeout : float
        Seconds each cell may run.
    jobs : int
        Notebooks graded at once (each in its own process and kernel).

    Returns
    -------
    list of GradeResult
        In the order of the submissions.

    Raises
    ------
    FileNotFoundError
        If a submission path does not exist.
    TypeError
        If ``submissions`` is not a list of paths (a single path is refused), or ``timeout`` is
        not a number.
    ValueError
        If ``chapter`` matches no chapter, ``jobs`` is not a positive integer or ``timeout`` is
        not positive.

    Examples
    --------
    >>> from hlmkit import grade_submissions, write_grade_report
    >>> results = grade_submissions(["submissions/"], chapter="01", jobs=2)  # doctest: +SKIP
    >>> write_grade_report(results, "grades")  # doctest: +SKIP
    """
    if not (isinstance(jobs, int) and jobs >= 1):
        raise ValueError(f"`jobs` must be a positive integer, got {jobs!r}.")
    timeout = _check_timeout(timeout)
    paths = _check_paths(submissions, "submissions", "notebooks or folders of notebooks")
    folder = _check_path(chapters_dir, "chapters_dir")
    chapters = {path.stem: path for path in sorted(folder.glob("*.md"))}
    fixed = resolve_chapter(chapter, folder) if chapter is not None else None
    items = _submissions(paths)
    tasks = []
    for path, student in items:
        name = fixed.stem if fixed else _chapter_of(path, chapters)
        chapter_path = str(fixed) if fixed else (str(chapters[name]) if name else None)
        tasks.append((str(path), chapter_path, float(timeout), student))
    if jobs == 1 or len(tasks) <= 1:
        return [_grade_job(*task) for task in tasks]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    results: list[GradeResult] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_grade_job, *task) for task in tasks]
        for task, future in zip(tasks, futures, strict=True):
            try:
                results.append(future.result())
            except Exception as error:  # a worker died: the row stays, with the reason
                result = _blank_result(None, task[3], task[0], Path(task[1]).stem if task[1] else None)
                result.fail_pending("error", f"the grading process failed: {type(error).__name__}: {_short(error)}")
                results.append(result)
    return results


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
    >>> from hlmkit.coursework import GradeResult, grade_table
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
    """Write ``scores.csv`` (student x exercise), ``totals.csv`` and a readable ``report.md``.

    Parameters
    ----------
    results : sequence of GradeResult
        From :func:`grade_submissions`.
    out : path
        Folder to write into (created if needed).

    Returns
    -------
    dict of str to pathlib.Path
        ``{"scores": ..., "totals": ..., "report": ...}``.

    Raises
    ------
    TypeError
        If ``results`` does not hold GradeResult objects, or ``out`` is not a path.

    Examples
    --------
    >>> from hlmkit import write_grade_report
    >>> write_grade_report(results, "_build/grades")  # doctest: +SKIP
    """
    import pandas as pd

    results = _check_results(results)
    folder = _check_path(out, "out")
    folder.mkdir(parents=True, exist_ok=True)
    table = grade_table(results)
    scores = folder / "scores.csv"
    table.to_csv(scores, index=False)
    totals = pd.DataFrame(
        [
            {
                "student": r.student,
                "chapter": r.chapter,
                "score": r.score,
                "max_score": r.max_score,
                "manual": sum(row["status"] == "manual" for row in r.rows),
                "seconds": round(r.seconds, 1),
                "submission": r.submission,
            }
            for r in results
        ],
        columns=["student", "chapter", "score", "max_score", "manual", "seconds", "submission"],
    )
    totals_path = folder / "totals.csv"
    totals.to_csv(totals_path, index=False)

    lines = ["# Grades", "", f"{len(results)} submission(s). A graded exercise scores 1 when all its checks pass.", ""]
    symbol = {"pass": "1", "manual": "manual"}
    for chapter_name in dict.fromkeys(r.chapter for r in results):
        group = [r for r in results if r.chapter == chapter_name]
        labels = list(dict.fromkeys(row["exercise"] for r in group for row in r.rows))
        header = "| student | " + " | ".join(labels) + " | score |"
        lines += [f"## {chapter_name}", "", header, "|---" * (len(labels) + 2) + "|"]
        for r in group:
            cells = {row["exercise"]: symbol.get(row["status"], f"0 ({row['status']})") for row in r.rows}
            marks = " | ".join(cells.get(label, "") for label in labels)
            lines.append(f"| {r.student} | {marks} | {r.score}/{r.max_score} |")
        lines.append("")
    lines += ["## Details", ""]
    for r in results:
        trouble = [row for row in r.rows if row["status"] not in ("pass", "manual")]
        manual = [row["exercise"] for row in r.rows if row["status"] == "manual"]
        lines.append(f"### {r.student} ({r.chapter}): {r.score}/{r.max_score}")
        lines.append("")
        for row in trouble:
            lines.append(f"- `{row['exercise']}`: {row['status']}: {row['reason']}")
        if manual:
            lines.append(f"- to grade by hand: {', '.join(f'`{label}`' for label in manual)}")
        for note in r.notes:
            lines.append(f"- note: {note}")
        if not trouble and not r.notes:
            lines.append("- every graded exercise passed")
        lines.append("")
    report = folder / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return {"scores": scores, "totals": totals_path, "report": report}
