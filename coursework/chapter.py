"""Reading a chapter: its exercises, solutions and checks, and what breaks the conventions.

The chapter file is the one source of truth. Its exercises are marked up as for the website
(sphinx-exercise), and a few cell tags say what each code cell is:

``solution``
    Every code cell between ``{solution-start} ex-...`` and ``{solution-end}``. The student
    notebook replaces it with a stub (``# YOUR CODE HERE`` and, for every name that later
    cells use, ``name = ...  # YOUR CODE HERE``). A ``solution`` cell that is also
    ``remove-cell`` (e.g. the glue of a number quoted in a text solution) is dropped without a stub.
``public-check``
    A visible cell after the solution block that checks the answer with ``hlmkit.check``; it
    stays in the student notebook so students can test their work.
``hidden-check`` (with ``remove-cell``)
    A cell after the solution block that checks the answer more strictly. The website hides
    it but the build executes it against the reference solution, which proves that the checks
    pass; the student notebook leaves it out and the grader puts it back.

A check cell belongs to the exercise of the nearest preceding ``{exercise}`` or solution
directive. Text solutions (``{solution}`` directives) and the text of gated solutions are
removed from the student notebook and replaced by an answer cell; an exercise whose solution
has no code is graded by hand ("manual"). ``coursework/demo_chapter.md`` is a chapter of three
exercises in this markup (:data:`DEMO_CHAPTER`): the examples read it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursework._util import first_line, tags_of
from coursework.names import dependency_problems

SOLUTION_TAG = "solution"
PUBLIC_TAG = "public-check"
HIDDEN_TAG = "hidden-check"
REMOVE_TAG = "remove-cell"
STUB_MARK = "# YOUR CODE HERE"
ANSWER_MARK = "YOUR ANSWER HERE"
#: Exercises per chapter that the conventions ask for (the book asks more: tests/test_exercise_tiers.py).
MIN_EXERCISES = 3
#: The tiers an exercise may give as its title (``{exercise} Model``): explain an idea in words,
#: compute from data, or write or change a PyMC model.
TIERS = ("Understand", "Compute", "Model")
#: Default per-cell timeout of the grader, in seconds.

#: A chapter of three exercises in the coursework markup; the examples in the docstrings read it.
DEMO_CHAPTER = Path(__file__).with_name("demo_chapter.md")

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[^}\s]+)\}\s*(?P<arg>.*?)\s*$")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
_SOLUTION_DIRECTIVE = re.compile(r"\{solution(?:-start|-end)?\}")
_DIRECTIVES = {"solution", "solution-start", "solution-end", "exercise", "exercise-start", "exercise-end"}


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
    tier : str or None
        The directive's title when it is one of :data:`TIERS` (``{exercise} Model``), else None.
    check_points : dict of int to int
        The points a check cell declares (``:points: 2`` in the cell's options), by cell index.
        When an exercise's checks declare none, the exercise is worth 1 point, all or nothing;
        when any does, each check is worth its points (1 if it declares none), and the exercise
        earns the points of the checks that pass: partial credit.
    """

    label: str
    number: int
    tier: str | None = None
    solution_cells: list[int] = field(default_factory=list)
    public_checks: list[int] = field(default_factory=list)
    hidden_checks: list[int] = field(default_factory=list)
    hidden_solution_cells: list[int] = field(default_factory=list)
    has_text_solution: bool = False
    has_solution: bool = False
    check_points: dict[int, int] = field(default_factory=dict)

    @property
    def graded(self) -> bool:
        """Whether the exercise is graded automatically: solution code to replace, and checks."""
        return bool(self.solution_cells) and bool(self.public_checks or self.hidden_checks)

    def points(self, check: int) -> int:
        """Return what check cell ``check`` is worth: its declared points, else 1."""
        return self.check_points.get(check, 1)

    @property
    def max_score(self) -> int:
        """Points the exercise is worth: its checks' points if any declares some, else 1 (all or nothing)."""
        if not self.check_points:
            return 1
        return sum(self.points(check) for check in self.public_checks + self.hidden_checks)


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
    >>> from coursework import DEMO_CHAPTER, read_chapter
    >>> chapter = read_chapter(DEMO_CHAPTER)
    >>> [(exercise.label, exercise.graded) for exercise in chapter.exercises.values()]
    [('ex-demo-sum', True), ('ex-demo-why', False), ('ex-demo-more', False)]
    >>> exercise = chapter.exercises["ex-demo-sum"]
    >>> exercise.solution_cells, exercise.public_checks, exercise.hidden_checks  # indices of notebook cells
    ([1], [3], [4])
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

    def add_exercise(label: str | None, line: str, title: str) -> str | None:
        if not label:
            problems.append(f"{where}: an exercise has no :label: ({line.strip()!r}); add `:label: ex-...`.")
            return None
        if label in exercises:
            problems.append(f"{where}: exercise label {label!r} is used twice.")
            return label
        if title and title not in TIERS:
            problems.append(
                f"{where}: exercise {label} has the title {title!r}; an exercise's title is its tier, "
                f"one of {', '.join(TIERS)} (or no title)."
            )
        exercises[label] = Exercise(label=label, number=len(exercises) + 1, tier=title if title in TIERS else None)
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
            tags = tags_of(cell)
            index = cell_number
            code_index += 1
            head = f"{where}: code cell {code_index} ({first_line(cell.source)!r})"
            points = cell.metadata.get("points")
            valid_points = isinstance(points, int) and not isinstance(points, bool) and points >= 1
            if points is not None and not tags & {PUBLIC_TAG, HIDDEN_TAG}:
                problems.append(f"{head} declares `points`, but only a {PUBLIC_TAG} or {HIDDEN_TAG} cell earns points.")
            elif points is not None and not valid_points:
                problems.append(f"{head}: `points` must be a whole number of at least 1, e.g. `:points: 2`; "
                                f"got {points!r}.")
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
                    if valid_points:
                        exercise.check_points[index] = points
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
                current = add_exercise(_options(body).get("label"), line, match["arg"])
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
    problems += dependency_problems(notebook, roles, where)
    return Chapter(name, notebook, exercises, roles, problems, pieces, digest, path)


def as_chapter(chapter: Chapter | str | os.PathLike) -> Chapter:
    """Return ``chapter`` if it is a Chapter, else read it (a path or a notebook)."""
    if isinstance(chapter, Chapter):
        return chapter
    if not isinstance(chapter, str | os.PathLike) and not isinstance(getattr(chapter, "cells", None), list):
        raise TypeError(
            "`chapter` must be a chapter file path (str or pathlib.Path, e.g. 'chapters/01_why_hierarchical.md') "
            f"or a Chapter from read_chapter, got {type(chapter).__name__}."
        )
    return read_chapter(chapter)


def lint_chapter(chapter: Chapter | str | os.PathLike) -> list[str]:
    r"""List what breaks the coursework conventions of a chapter (empty when all is well).

    Checked: every code cell between ``{solution-start}`` and ``{solution-end}`` is tagged
    ``solution``; solution blocks are balanced and refer to earlier exercises; every exercise has
    a label and a solution; every exercise with solution code has at least one ``public-check``
    and one ``hidden-check`` cell (tagged ``remove-cell`` too) after it; check cells follow an
    exercise; the chapter has at least ``MIN_EXERCISES`` exercises; and no cell outside an
    exercise uses a name that only a solution defines (the student version would fail there),
    unless it is tagged ``needs-answer``; only check cells declare ``points``, whole numbers of
    at least 1.

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
    >>> from coursework import DEMO_CHAPTER, lint_chapter, read_chapter
    >>> lint_chapter(DEMO_CHAPTER)
    []
    >>> text = DEMO_CHAPTER.read_text().replace(":tags: [solution]\n", "")  # a solution cell without its tag
    >>> for problem in lint_chapter(read_chapter(jupytext.reads(text, fmt="md:myst"), name="demo")):
    ...     print(problem)
    demo: code cell 1 ('answer = 2 + 2') sits between {solution-start} ex-demo-sum and {solution-end} without ...
    """
    return list(as_chapter(chapter).problems)


# ---------------------------------------------------------------------------------------------
# The student notebook
# ---------------------------------------------------------------------------------------------


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
    >>> from coursework import resolve_chapter
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
