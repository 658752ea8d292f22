"""coursework: the instructor's tools of *Borrowing Strength*, beside ``hlmkit`` and not part of it.

A chapter is the one source of truth for its exercises; from it come the hand-outs, and against
it the submissions are graded. Learners never import this package: their notebooks call only
``hlmkit.check`` and ``hlmkit.check_between``. Run it from the repository's root as
``python -m coursework student|answers|grade|lint|selftest`` (``make student``, ``make answers``,
``make grade``).

- :mod:`coursework.chapter` -- reading a chapter: exercises, solutions, checks, what breaks the markup;
- :mod:`coursework.names` -- which names a code cell binds and uses (for stubs and broken cells);
- :mod:`coursework.handout` -- writing hand-outs: student and reference notebooks;
- :mod:`coursework.leaks` -- the leak finder: any trace of a solution left in a hand-out;
- :mod:`coursework.execution` -- running a submission in a fresh kernel, and its checks outside it;
- :mod:`coursework.exporter` -- what the student's kernel runs where checks stand: the answers written as data;
- :mod:`coursework.trusted` -- the grader's own process: the chapter run once, the checks run on those data;
- :mod:`coursework.sandbox` -- the OS sandbox of a student's kernel (Linux user namespaces);
- :mod:`coursework.scoring` -- a row per exercise, scored from what ran;
- :mod:`coursework.grading` -- grading one notebook, or many in parallel;
- :mod:`coursework.report` -- the grade table and the files an instructor reads;
- :mod:`coursework.handgrading` -- written answers queued for hand grading, marks merged into totals;
- :mod:`coursework.release` -- release folders: an assignment frozen when handed out, graded from it;
- :mod:`coursework.cli` -- the command line.
"""

from coursework.chapter import DEMO_CHAPTER, Chapter, Exercise, lint_chapter, read_chapter, resolve_chapter
from coursework.handout import reference_notebook, student_notebook, write_student_notebooks
from coursework.leaks import find_leaks
from coursework.scoring import GradeResult
from coursework.grading import DEFAULT_TIMEOUT, grade_notebook, grade_submissions
from coursework.report import grade_table, write_grade_report
from coursework.handgrading import merge_hand_grades
from coursework.release import release_chapters, write_release

__all__ = [
    # reading a chapter
    "DEMO_CHAPTER",
    "Chapter",
    "Exercise",
    "read_chapter",
    "lint_chapter",
    "resolve_chapter",
    # hand-outs
    "student_notebook",
    "reference_notebook",
    "write_student_notebooks",
    "find_leaks",
    # grading and reporting
    "DEFAULT_TIMEOUT",
    "GradeResult",
    "grade_notebook",
    "grade_submissions",
    "grade_table",
    "write_grade_report",
    "merge_hand_grades",
    # release folders
    "write_release",
    "release_chapters",
]
