"""Every public function of coursework refuses bad input with a clear error, raised by coursework itself.

The same rule as tests/test_bad_input.py for hlmkit: a ``TypeError``, ``ValueError`` or ``KeyError``
(``FileNotFoundError`` for a path to nothing) whose message names the argument at fault and says
what to do; never a traceback from deep inside nbformat, jupytext or pandas.
"""

from __future__ import annotations

import inspect
import re
import traceback
from pathlib import Path

import pytest

import coursework
from coursework import (
    DEMO_CHAPTER,
    find_leaks,
    grade_notebook,
    grade_submissions,
    grade_table,
    lint_chapter,
    merge_hand_grades,
    read_chapter,
    reference_notebook,
    release_chapters,
    resolve_chapter,
    student_notebook,
    write_grade_report,
    write_release,
    write_student_notebooks,
)

T, V = TypeError, ValueError
CHAPTER = read_chapter(DEMO_CHAPTER)
COURSEWORK_DIR = Path(coursework.__file__).resolve().parent


def _c(function, kind, call, error, name, hint):
    """One bad input: the call, the error it must raise, and the argument and hint its message must hold."""
    return pytest.param(function, call, error, name, hint, id=f"{function}: {kind}")


CASES = [
    _c("read_chapter", "no such file", lambda t: read_chapter(t / "99_missing.md"), FileNotFoundError, "99_missing",
       "chapters/NN_name.md"),
    _c("read_chapter", "not a path or notebook", lambda t: read_chapter(3), T, "source", "path"),
    _c("read_chapter", "name not a string", lambda t: read_chapter(CHAPTER.notebook, name=3), T, "name", "string"),
    _c("lint_chapter", "not a chapter", lambda t: lint_chapter(3), T, "chapter", "path"),
    _c("student_notebook", "not a chapter", lambda t: student_notebook(None), T, "chapter", "path"),
    _c("reference_notebook", "not a chapter", lambda t: reference_notebook(2.5), T, "chapter", "path"),
    _c("find_leaks", "not a notebook", lambda t: find_leaks("notebook.ipynb", CHAPTER), T, "notebook",
       "nbformat.read"),
    _c("find_leaks", "not a chapter", lambda t: find_leaks(CHAPTER.notebook, 3), T, "chapter", "path"),
    _c("write_student_notebooks", "chapters not paths", lambda t: write_student_notebooks(3, t), T, "chapters",
       "list of chapter files"),
    _c("write_student_notebooks", "a single path", lambda t: write_student_notebooks("chapters/01.md", t), T,
       "chapters", "list of chapter files"),
    _c("write_student_notebooks", "no such chapter", lambda t: write_student_notebooks([t / "99_missing.md"], t / "o"),
       FileNotFoundError, "99_missing", "chapters/NN_name.md"),
    _c("grade_notebook", "zero timeout", lambda t: grade_notebook(t / "a.ipynb", CHAPTER, timeout=0), V, "timeout",
       "positive number"),
    _c("grade_notebook", "text timeout", lambda t: grade_notebook(t / "a.ipynb", CHAPTER, timeout="60"), T, "timeout",
       "number"),
    _c("grade_notebook", "submission not a path", lambda t: grade_notebook(3, CHAPTER), T, "submission", "path"),
    _c("grade_notebook", "chapter not a chapter", lambda t: grade_notebook(t / "a.ipynb", 3), T, "chapter", "path"),
    _c("grade_notebook", "student not a string", lambda t: grade_notebook(t / "a.ipynb", CHAPTER, student=7), T,
       "student", "string"),
    _c("grade_submissions", "no such submission", lambda t: grade_submissions([t / "missing.ipynb"]),
       FileNotFoundError, "missing.ipynb", "notebooks or folders"),
    _c("grade_submissions", "zero jobs", lambda t: grade_submissions([], jobs=0), V, "jobs", "positive integer"),
    _c("grade_submissions", "negative timeout", lambda t: grade_submissions([], timeout=-1), V, "timeout",
       "positive number"),
    _c("grade_submissions", "submissions not paths", lambda t: grade_submissions(3), T, "submissions",
       "list of notebooks"),
    _c("grade_submissions", "a single path", lambda t: grade_submissions("alice.ipynb"), T, "submissions",
       "list of notebooks"),
    _c("grade_table", "not grade results", lambda t: grade_table([{"student": "a"}]), T, "results", "GradeResult"),
    _c("write_grade_report", "not grade results", lambda t: write_grade_report([3], t), T, "results", "GradeResult"),
    _c("write_release", "a single path", lambda t: write_release(DEMO_CHAPTER, t / "r"), T, "chapters",
       "list of chapter files"),
    _c("write_release", "no chapters", lambda t: write_release([], t / "r"), V, "chapters", "at least one"),
    _c("write_release", "a chapter twice", lambda t: write_release([DEMO_CHAPTER, DEMO_CHAPTER], t / "r"), V,
       "chapters", "twice"),
    _c("write_release", "no such chapter", lambda t: write_release([t / "99_missing.md"], t / "r"),
       FileNotFoundError, "99_missing", "chapters/NN_name.md"),
    _c("write_release", "out not a path", lambda t: write_release([DEMO_CHAPTER], 3), T, "out", "path"),
    _c("release_chapters", "not a release", lambda t: release_chapters(t), FileNotFoundError, "release",
       "coursework release"),
    _c("release_chapters", "not a path", lambda t: release_chapters(None), T, "release", "path"),
    _c("merge_hand_grades", "not a grading run", lambda t: merge_hand_grades(t), FileNotFoundError, "folder",
       "make grade prints it"),
    _c("merge_hand_grades", "not a path", lambda t: merge_hand_grades(2), T, "folder", "path"),
    _c("resolve_chapter", "no such chapter", lambda t: resolve_chapter("99", t), V, "99", "use one of"),
]


@pytest.mark.parametrize(("function", "call", "error", "name", "hint"), CASES)
def test_bad_input_is_refused_clearly(function, call, error, name, hint, tmp_path: Path) -> None:
    with pytest.raises(error, match=rf"(?s)^(?=.*{re.escape(name)})(?=.*(?:{hint}))") as info:
        call(tmp_path)
    raised_in = Path(traceback.extract_tb(info.tb)[-1].filename).resolve()
    assert raised_in.parent == COURSEWORK_DIR, f"raised in {raised_in}, not by coursework"
    assert not isinstance(info.value, AssertionError)


def test_every_public_function_has_a_case() -> None:
    functions = {name for name in coursework.__all__ if inspect.isfunction(getattr(coursework, name))}
    covered = {case.values[0] for case in CASES}
    assert covered <= functions, f"cases for names that are not public functions: {covered - functions}"
    missing = functions - covered
    assert not missing, f"public functions without a bad-input case in {Path(__file__).name}: {sorted(missing)}"
