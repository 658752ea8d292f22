"""The command line, python -m coursework: student notebooks for every chapter, grading that never crashes."""

from __future__ import annotations

import subprocess
import sys

import nbformat

from coursework import cli, find_leaks, read_chapter
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
