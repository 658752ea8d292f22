"""Release folders: the assignment is frozen when handed out, and graded from what was frozen."""

from __future__ import annotations

import hashlib
import json
import shutil

import nbformat
import pytest

from coursework import (
    find_leaks,
    grade_submissions,
    read_chapter,
    reference_notebook,
    release_chapters,
    student_notebook,
    write_release,
)
from coursework.cli import main
from tests.coursework import CH01

HIDDEN = ":tags: [remove-cell, hidden-check]\n"
BROKEN = 'from hlmkit import check as _broken\n_broken(lambda: False, "a check changed after the release")\n'


@pytest.fixture
def live(tmp_path):
    """A chapters folder of its own (the live chapters an instructor keeps editing)."""
    folder = tmp_path / "chapters"
    folder.mkdir()
    shutil.copy2(CH01, folder / CH01.name)
    return folder


def test_a_release_freezes_the_chapter_its_hand_out_and_their_sums(live, tmp_path):
    manifest = write_release([live / CH01.name], tmp_path / "releases" / "week-1")
    folder = manifest.parent
    recorded = json.loads(manifest.read_text(encoding="utf-8"))
    assert set(recorded) == {"released", "commit", "chapters"}
    frozen = folder / "chapters" / CH01.name
    assert frozen.read_bytes() == CH01.read_bytes()
    assert recorded["chapters"] == {CH01.stem: hashlib.sha256(CH01.read_bytes()).hexdigest()}
    handout = nbformat.read(folder / "student" / f"{CH01.stem}.ipynb", as_version=4)
    assert [c.source for c in handout.cells] == [c.source for c in student_notebook(CH01).cells]
    assert find_leaks(handout, read_chapter(frozen)) == []
    assert release_chapters(folder) == folder / "chapters"
    with pytest.raises(FileExistsError, match="never overwritten"):
        write_release([live / CH01.name], folder)
    assert not list(folder.parent.glob("*.partial"))


def test_grading_uses_the_frozen_checks_and_refuses_a_changed_release(live, tmp_path, capsys):
    assert main(["--chapters-dir", str(live), "release", "01", "--out", str(tmp_path / "week-1")]) == 0
    submission = tmp_path / "submissions" / "ada.ipynb"
    submission.parent.mkdir()
    nbformat.write(reference_notebook(CH01), submission)
    # After the hand-out, the live chapter's first hidden check changes so that nobody can pass it.
    text = (live / CH01.name).read_text(encoding="utf-8")
    (live / CH01.name).write_text(text.replace(HIDDEN, HIDDEN + BROKEN, 1), encoding="utf-8")

    (frozen,) = grade_submissions([submission], chapters_dir=release_chapters(tmp_path / "week-1"), timeout=20, jobs=1)
    (changed,) = grade_submissions([submission], chapters_dir=live, timeout=20, jobs=1)
    assert frozen.score == frozen.max_score > 0, frozen.rows
    assert changed.score == changed.max_score - 1
    assert any("changed after the release" in str(row["reason"]) for row in changed.rows)

    # Someone edits the frozen copy: grading from the release is refused, naming the chapter.
    frozen_path = tmp_path / "week-1" / "chapters" / CH01.name
    frozen_path.write_text(frozen_path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    capsys.readouterr()
    release = str(tmp_path / "week-1")
    status = main(["grade", str(submission.parent), "--release", release, "--out", str(tmp_path / "g")])
    message = capsys.readouterr().err
    assert status == 2 and f"{CH01.stem}: changed since the release" in message
    assert not (tmp_path / "g").exists()
