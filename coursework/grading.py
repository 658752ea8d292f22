"""Grading: one submitted notebook against its chapter, or many in parallel, never losing one.

Grading reads the submission, runs it with the chapter's current checks put back after each
exercise (:mod:`coursework.execution`) and scores each exercise from what ran
(:mod:`coursework.scoring`). A bad submission never raises: it gets a row per exercise, with
the reason.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from coursework import sandbox
from coursework._util import check_path, check_paths, check_timeout, remove_tree, short, skip_iri_checker
from coursework.chapter import Chapter, as_chapter, resolve_chapter
from coursework.execution import check_answers, execute, export_plan, grading_notebook
from coursework.handout import stub
from coursework.scoring import GradeResult, blank_result, score_exercises

#: Default per-cell timeout of the grader, in seconds.
DEFAULT_TIMEOUT = 60


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
    of the public checks are dropped. Right after the last answer or check cell of each
    exercise, the kernel writes the values the chapter's checks read to files, as data; the
    chapter's public and hidden checks then run on those values in the grader's own process,
    which has run the chapter's code once (:mod:`coursework.trusted`), so nothing the
    submission does to its own session can change a check. An exercise scores 1 when all
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
        A row per exercise (manual ones marked ``manual``), notes (what stopped the code
        outside the exercises, in the order it ran) and warnings.

    Raises
    ------
    TypeError
        If ``submission`` is not a path, ``chapter`` not a chapter, ``timeout`` not a number or
        ``student`` not a string.
    ValueError
        If ``timeout`` is not positive.

    Examples
    --------
    >>> from coursework import grade_notebook
    >>> result = grade_notebook("alice.ipynb", "chapters/01_why_hierarchical.md")  # doctest: +SKIP
    >>> result.score, result.max_score  # doctest: +SKIP
    (2, 2)
    """
    import nbformat

    timeout = check_timeout(timeout)
    path = check_path(submission, "submission")
    if student is not None and not isinstance(student, str):
        raise TypeError(f"`student` must be a string (a name for the report), got {type(student).__name__}.")
    chapter = as_chapter(chapter)
    result = blank_result(chapter, student or path.stem, str(path))
    started = time.perf_counter()
    try:
        try:
            notebook = nbformat.read(path, as_version=4)
            if not isinstance(notebook.get("cells"), list):
                raise ValueError("it has no list of cells")
        except Exception as error:
            reason = f"could not read the notebook: {type(error).__name__}: {short(error, 200)}"
            result.fail_pending("unreadable", reason)
            return result
        meta = notebook.get("metadata", {}).get("coursework") or {}
        made_from = meta.get("chapter") if isinstance(meta, dict) else None
        if made_from and made_from != chapter.name:
            result.fail_pending("unreadable", f"this notebook was made from chapter {made_from}, not {chapter.name}")
            return result
        if not made_from:
            result.warnings.append("the notebook has no coursework metadata (not made by `make student`?)")
        elif meta.get("source_sha256") != chapter.source_hash:
            result.warnings.append(
                "the chapter has changed since this notebook was handed out; graded with the current checks"
            )
        grading, roles = grading_notebook(notebook, chapter, result)
        stubs = {
            stub(chapter, index, exercise.label).strip()
            for exercise in chapter.graded
            for index in exercise.solution_cells
        }
        unchanged = {
            k
            for k, cell in enumerate(grading.cells)
            if roles.get(k, ("",))[0] == "answer" and cell.source.strip() in stubs
        }
        workdir = tempfile.mkdtemp(prefix="grade-", dir=sandbox.grading_folder())
        try:
            run, plan = export_plan(grading, roles, chapter, workdir)
            checks = frozenset(k for _export, cells, _names, _folder in plan.values() for k in cells[1:])
            no_sandbox = sandbox.available()
            if no_sandbox:
                result.warnings.append(f"graded without an OS sandbox ({no_sandbox}): see instructor.md")
            status = execute(run, timeout, workdir=workdir, skip=checks, sandboxed=not no_sandbox, chapter=chapter)
            stubs_only = {
                label
                for label in plan
                if (answers := [k for k, r in roles.items() if r[:2] == ("answer", label)])
                and all(k in unchanged for k in answers)
            }
            check_answers(chapter, grading, plan, status, timeout, stubs_only)
        finally:
            remove_tree(workdir)
        points = {k: cell.metadata["points"] for k, cell in enumerate(grading.cells) if "points" in cell.metadata}
        score_exercises(result, roles, status, timeout, unchanged, points)
    except Exception as error:  # a bug or an odd notebook: still a row per exercise
        reason = f"the grader could not process this notebook: {type(error).__name__}: {short(error, 200)}"
        result.fail_pending("error", reason)
    finally:
        result.seconds = time.perf_counter() - started
    return result


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


def _grade_job(submission: str, chapter_path: str | None, timeout: float, student: str) -> GradeResult:
    if chapter_path is None:
        result = blank_result(None, student, submission)
        result.fail_pending(
            "unreadable",
            "could not read this notebook, nor tell which chapter it belongs to (no chapter name in its file name)",
        )
        return result
    try:
        return grade_notebook(submission, chapter_path, timeout=timeout, student=student)
    except Exception as error:
        result = blank_result(None, student, submission, Path(chapter_path).stem)
        result.fail_pending("error", f"the grader failed: {type(error).__name__}: {short(error)}")
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
    >>> from coursework import grade_submissions, write_grade_report
    >>> results = grade_submissions(["submissions/"], chapter="01", jobs=2)  # doctest: +SKIP
    >>> write_grade_report(results, "grades")  # doctest: +SKIP
    """
    if not (isinstance(jobs, int) and jobs >= 1):
        raise ValueError(f"`jobs` must be a positive integer, got {jobs!r}.")
    timeout = check_timeout(timeout)
    paths = check_paths(submissions, "submissions", "notebooks or folders of notebooks")
    folder = check_path(chapters_dir, "chapters_dir")
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
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=skip_iri_checker) as pool:
        futures = [pool.submit(_grade_job, *task) for task in tasks]
        for task, future in zip(tasks, futures, strict=True):
            try:
                results.append(future.result())
            except Exception as error:  # a worker died: the row stays, with the reason
                result = blank_result(None, task[3], task[0], Path(task[1]).stem if task[1] else None)
                result.fail_pending("error", f"the grading process failed: {type(error).__name__}: {short(error)}")
                results.append(result)
    return results
