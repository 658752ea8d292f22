"""The command line, python -m coursework: student notebooks for every chapter, grading that never crashes."""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest

from coursework import cli, find_leaks, read_chapter, reference_notebook
from tests.coursework import CH01, CHAPTERS, ROOT


def test_cli_writes_leak_free_student_notebooks_for_every_chapter(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "coursework", "student", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for path in CHAPTERS:
        notebook = nbformat.read(tmp_path / f"{path.stem}.ipynb", as_version=4)
        assert find_leaks(notebook, path) == []
    assert (tmp_path / "README.md").exists()


def test_cli_grades_without_crashing_on_a_corrupt_file_and_rejects_unknown_chapters(tmp_path, capsys):
    bad = tmp_path / "submissions" / "alice.ipynb"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\xff not a notebook")
    assert cli.main(["grade", str(bad.parent), "--chapter", "01", "--out", str(tmp_path / "grades")]) == 0
    (run,) = (tmp_path / "grades").iterdir()  # each run writes a folder of its own
    scores = (run / "scores.csv").read_text().splitlines()
    exercises = len(read_chapter(CH01).exercises)  # one row per exercise of chapter 1, all of them failed
    assert len(scores) == 1 + exercises and all(line.startswith("alice,") for line in scores[1:])
    assert "unreadable" in (run / "report.md").read_text()
    assert cli.main(["grade", str(bad.parent), "--chapter", "01", "--out", str(tmp_path / "grades")]) == 0
    assert len(list((tmp_path / "grades").iterdir())) == 2, "a second run must not overwrite the first"
    assert cli.main(["grade", str(bad.parent), "--chapter", "99"]) == 2
    assert "matches 0 files" in capsys.readouterr().err


def test_cli_answers_writes_the_reference_notebooks_of_the_chapters_named(tmp_path, capsys):
    second = CHAPTERS[1]
    assert cli.main(["answers", "01", second.stem[:2], "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(["README.md", f"{CH01.stem}.ipynb", f"{second.stem}.ipynb"]), "only the chapters named"
    assert "never hand them out" in (tmp_path / "README.md").read_text()
    chapter = read_chapter(CH01)
    notebook = nbformat.read(tmp_path / f"{CH01.stem}.ipynb", as_version=4)
    answers = [c.source for c in notebook.cells if c.metadata.get("coursework", {}).get("role") == "answer"]
    solutions = [chapter.notebook.cells[k].source for e in chapter.exercises.values() for k in e.solution_cells]
    assert answers == solutions and answers, "each answer cell holds the chapter's solution code"
    assert notebook.cells == reference_notebook(chapter).cells  # what selftest grades to full marks
    assert "keep them from students" in capsys.readouterr().out
    assert cli.main(["answers", "99", "--out", str(tmp_path / "none")]) == 2
    assert not (tmp_path / "none").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_student_and_answers_pass_the_chapters_named_to_the_cli():
    def planned(*args: str) -> str:
        done = subprocess.run(["make", "--dry-run", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return " ".join(done.stdout.split())

    assert "-m coursework student 02 03 --out _build/student" in planned("student", "CHAPTERS=02 03")
    assert "-m coursework answers 02 03 --out _build/answers" in planned("answers", "CHAPTERS=02 03")
    assert "-m coursework student --out _build/student" in planned("student", "CHAPTERS=")  # every chapter
    help_text = planned("help")
    assert "make student [CHAPTERS=" in help_text and "make answers [CHAPTERS=" in help_text
