"""Coursework from the chapters: student notebooks, grading, and checks of the exercise markup.

    python -m coursework student [CHAPTER ...] [--out _build/student]
    python -m coursework answers [CHAPTER ...] [--out _build/answers]
    python -m coursework release CHAPTER ... --out releases/NAME
    python -m coursework grade SUBMISSION ... [--release releases/NAME] [--chapter 01]
                               [--out _build/grades] [--timeout 60] [--jobs 2]
    python -m coursework merge GRADING_RUN
    python -m coursework lint [CHAPTER ...]
    python -m coursework selftest [CHAPTER ...]

student   writes one student notebook per chapter (solutions replaced by stubs, hidden checks
          removed, no outputs) and a README for students; refuses a notebook that would leak.
answers   writes one answers notebook per chapter for the instructor: the student notebook with
          every answer cell filled in with the reference solution (what a grader expects; it
          scores full marks). Never hand these out.
release   freezes chapters as an assignment: their sources, the student notebooks to hand out
          and a manifest of sha256 sums, in a new folder (never overwritten).
grade     runs submitted notebooks (files or folders of .ipynb) with the hidden checks put back
          and writes scores.csv (a row per student and exercise), totals.csv and report.md.
          With --release, the checks come from the release's frozen chapters (refused if changed).
merge     adds the hand marks written into a run's hand_grading.csv to its automatic scores:
          final_totals.csv and final_gradebook.csv in the run's folder.
lint      lists what breaks the exercise conventions of each chapter (tags, checks, labels).
selftest  grades each chapter's reference solution (must score full marks) and its blank
          student notebook (must score 0 with no error outside the exercises).

A CHAPTER is a number ("01"), a name ("01_why_hierarchical") or a path; default: every chapter.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import coursework

ROOT = Path(__file__).resolve().parent.parent

STUDENT_README = """# {title}: student notebooks

One notebook per chapter. Open one with Jupyter (JupyterLab, Notebook or VS Code) using a Python
environment where the book's requirements are installed (`pip install -r requirements.txt` in a
copy of the book's repository; it includes `hlmkit`).

- Run the notebook from the top: the chapter's own cells build everything the exercises use.
- Write your code in the cells marked `# YOUR CODE HERE`. Keep the variable names the exercise
  asks for (they appear as `name = ...` in the cell): the checks look for them.
- Run the "Check your answer" cell after each of your answers. A tick means the public checks
  pass; your instructor also runs hidden checks when grading.
- Write text answers in the cells marked `YOUR ANSWER HERE`.
- Do not delete or reorder the answer and check cells. Hand in the `.ipynb` file.
"""


def _chapters(names: list[str], chapters_dir: Path) -> list[Path]:
    """Return the chapter files the names point to; every chapter when there is none."""
    if not names:
        return sorted(chapters_dir.glob("*.md"))
    return [coursework.resolve_chapter(name, chapters_dir) for name in names]


def cmd_student(args: argparse.Namespace) -> int:
    """Write the student notebook of each chapter, and a README for students."""
    out = Path(args.out)
    started = time.perf_counter()
    status = 0
    written = 0
    for path in _chapters(args.chapters, Path(args.chapters_dir)):
        t0 = time.perf_counter()
        chapter = coursework.read_chapter(path)
        for problem in chapter.problems:
            print(f"  warning: {problem}")
        try:
            target = coursework.write_student_notebooks([path], out)[0]
        except RuntimeError as error:
            print(f"  LEAK, not written: {error}")
            status = 1
            continue
        written += 1
        graded = sum(exercise.graded for exercise in chapter.exercises.values())
        print(
            f"{target}  ({len(chapter.exercises)} exercises, {graded} graded automatically, "
            f"{time.perf_counter() - t0:.2f} s)"
        )
    (out / "README.md").write_text(STUDENT_README.format(title="Borrowing Strength"), encoding="utf-8")
    print(f"{written} student notebook(s) in {out}/ in {time.perf_counter() - started:.1f} s")
    return status


ANSWERS_README = """# {title}: answers (for instructors only)

One notebook per chapter: the student notebook with every answer cell filled in with the
reference solution, the code the grader expects (it scores full marks). Written answers point
to the solution on the book's website. These notebooks hold the solutions: never hand them out.
"""


def cmd_answers(args: argparse.Namespace) -> int:
    """Write the answers notebook (the reference solutions filled in) of each chapter, and a README."""
    import nbformat

    started = time.perf_counter()
    paths = _chapters(args.chapters, Path(args.chapters_dir))  # a name that matches nothing: nothing written
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        chapter = coursework.read_chapter(path)
        target = out / f"{chapter.name}.ipynb"
        nbformat.write(coursework.reference_notebook(chapter), target)
        graded = sum(exercise.graded for exercise in chapter.exercises.values())
        print(f"{target}  ({len(chapter.exercises)} exercises, {graded} with solution code the checks grade)")
    (out / "README.md").write_text(ANSWERS_README.format(title="Borrowing Strength"), encoding="utf-8")
    print(f"{len(paths)} answers notebook(s) in {out}/ in {time.perf_counter() - started:.1f} s "
          "(they hold the solutions: keep them from students)")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    """Freeze the chapters as an assignment in a new release folder."""
    paths = _chapters(args.chapters, Path(args.chapters_dir))
    manifest = coursework.write_release(paths, args.out)
    folder = manifest.parent
    for path in sorted((folder / "student").glob("*.ipynb")):
        print(f"hand out: {path}")
    print(f"released {len(paths)} chapter(s) into {folder}/ (keep it from students: it holds the solutions)")
    print(f"grade with: python -m coursework grade SUBMISSIONS --release {folder}")
    return 0


def _run_folder(out: Path) -> Path:
    """Return a new folder for this run's grades inside ``out``: earlier runs are never overwritten."""
    stamp = datetime.now().strftime("%Y-%m-%d_%H%M%S")
    folder, k = out / stamp, 1
    while folder.exists():
        k += 1
        folder = out / f"{stamp}_{k}"
    return folder


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade the submissions and write this run's scores, totals, report and feedback in a new folder."""
    started = time.perf_counter()
    try:
        chapters_dir = coursework.release_chapters(args.release) if args.release else args.chapters_dir
        results = coursework.grade_submissions(
            args.submissions,
            chapters_dir=chapters_dir,
            chapter=args.chapter,
            timeout=args.timeout,
            jobs=args.jobs,
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    if not results:
        print("grade: no .ipynb files found in the submissions given", file=sys.stderr)
        return 2
    paths = coursework.write_grade_report(results, _run_folder(Path(args.out)))
    for result in results:
        score = "NO GRADE" if result.needs_a_person else f"{result.score}/{result.max_score}"
        print(f"{result.student:30s} {result.chapter:28s} {score}  ({result.seconds:.0f} s)")
    print(f"graded {len(results)} notebook(s) in {time.perf_counter() - started:.1f} s")
    unread = [result for result in results if result.needs_a_person]
    if unread:
        print(f"{len(unread)} notebook(s) could not be read and need a person (open them by hand, or grade "
              "again with --chapter; report.md, 'Needs a person'):")
        for result in unread:
            print(f"  {result.student}: {result.needs_a_person}")
    for name, path in paths.items():
        print(f"{name:7s} {path}")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    """Merge the hand marks of a grading run into its totals."""
    paths = coursework.merge_hand_grades(args.folder)
    for name, path in paths.items():
        print(f"{name:9s} {path}")
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    """Print what breaks the exercise conventions of each chapter."""
    problems = 0
    for path in _chapters(args.chapters, Path(args.chapters_dir)):
        found = coursework.lint_chapter(path)
        problems += len(found)
        print(f"{path.stem}: {'ok' if not found else f'{len(found)} problem(s)'}")
        for problem in found:
            print(f"  {problem}")
    return 1 if problems else 0


def cmd_selftest(args: argparse.Namespace) -> int:
    """Grade each chapter's reference (full marks) and blank notebook (zero)."""
    import nbformat

    failures = []
    with tempfile.TemporaryDirectory() as folder:
        submissions = []
        for path in _chapters(args.chapters, Path(args.chapters_dir)):
            chapter = coursework.read_chapter(path)
            for kind, notebook in (("reference", coursework.reference_notebook(chapter)),
                                   ("blank", coursework.student_notebook(chapter))):
                target = Path(folder) / f"{chapter.name}--{kind}.ipynb"
                nbformat.write(notebook, target)
                submissions.append(target)
        results = coursework.grade_submissions(
            submissions, chapters_dir=args.chapters_dir, timeout=args.timeout, jobs=args.jobs
        )
    for result in results:
        kind = result.student.split("--")[-1]
        graded = [row for row in result.rows if row["status"] != "manual"]
        if kind == "reference":
            bad = [f"{row['exercise']}: {row['reason']}" for row in graded if row["score"] != 1]
        else:
            bad = [f"{row['exercise']} scored {row['score']}" for row in graded if row["score"] != 0]
        bad += [f"note: {note}" for note in result.notes]
        verdict = ("ok" if graded else "ok (no auto-graded exercises: see lint)") if not bad else "FAILED"
        print(f"{result.chapter:28s} {kind:9s} {result.score}/{result.max_score}  {result.seconds:5.1f} s  {verdict}")
        for line in bad:
            print(f"    {line}")
        if bad:
            failures.append(result.student)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    os.environ.setdefault("HLMKIT_PROGRESSBAR", "0")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapters-dir", default=str(ROOT / "chapters"), help="folder of the chapters")
    commands = parser.add_subparsers(dest="command", required=True)

    student = commands.add_parser("student", help="write student notebooks")
    student.add_argument("chapters", nargs="*", help="chapters (default: all)")
    student.add_argument("--out", default=str(ROOT / "_build" / "student"), help="output folder")
    student.set_defaults(run=cmd_student)

    answers = commands.add_parser("answers", help="write answers notebooks (reference solutions) for instructors")
    answers.add_argument("chapters", nargs="*", help="chapters (default: all)")
    answers.add_argument("--out", default=str(ROOT / "_build" / "answers"), help="output folder")
    answers.set_defaults(run=cmd_answers)

    jobs_default = max(1, min(4, os.cpu_count() or 1))
    grade = commands.add_parser("grade", help="grade submitted notebooks")
    grade.add_argument("submissions", nargs="+", help=".ipynb files or folders of them")
    grade.add_argument("--release", help="a release folder: grade with its frozen chapters (default: the live ones)")
    grade.add_argument("--chapter", help="the chapter every submission answers (default: from each notebook)")
    grade.add_argument("--out", default=str(ROOT / "_build" / "grades"), help="output folder")
    grade.add_argument("--timeout", type=float, default=coursework.DEFAULT_TIMEOUT, help="seconds per cell")
    grade.add_argument("--jobs", type=int, default=jobs_default, help="notebooks graded at once")
    grade.set_defaults(run=cmd_grade)

    merge = commands.add_parser("merge", help="add hand marks (hand_grading.csv) to a grading run's totals")
    merge.add_argument("folder", help="one grading run's folder, e.g. _build/grades/2026-12-05_101500")
    merge.set_defaults(run=cmd_merge)

    release = commands.add_parser("release", help="freeze chapters as an assignment")
    release.add_argument("chapters", nargs="+", help="chapters to hand out together")
    release.add_argument("--out", required=True, help="a new folder for the release, e.g. releases/week-2")
    release.set_defaults(run=cmd_release)

    lint = commands.add_parser("lint", help="check the exercise markup of chapters")
    lint.add_argument("chapters", nargs="*", help="chapters (default: all)")
    lint.set_defaults(run=cmd_lint)

    selftest = commands.add_parser("selftest", help="grade reference and blank notebooks of chapters")
    selftest.add_argument("chapters", nargs="*", help="chapters (default: all)")
    selftest.add_argument("--timeout", type=float, default=180, help="seconds per cell")
    selftest.add_argument("--jobs", type=int, default=jobs_default, help="notebooks graded at once")
    selftest.set_defaults(run=cmd_selftest)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileExistsError, FileNotFoundError) as error:  # e.g. a chapter that matches nothing
        print(f"{args.command}: {error}", file=sys.stderr)
        return 2
