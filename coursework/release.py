"""Release folders: an assignment frozen when it is handed out, and graded from what was frozen.

Grading against the live ``chapters/`` would grade with whatever the chapters say on the day of
grading: a fix to a check, a new exercise, or a file changed by anyone with access to the
repository. A release folder freezes the assignment instead::

    releases/week-2/
        release.json          what was released, when, from which commit, and the sha256 of each chapter
        chapters/02_complete_pooling.md   the chapter as it was, solutions and hidden checks included
        student/02_complete_pooling.ipynb the hand-out given to students
        student/README.md

``python -m coursework grade --release releases/week-2 ...`` then grades with the frozen chapters,
and refuses a release whose chapters no longer match their recorded sha256. A release folder holds
the solutions: keep it where students cannot read it (``releases/`` is ignored by git).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from coursework._util import check_path, check_paths
from coursework.chapter import read_chapter
from coursework.handout import write_student_notebooks

MANIFEST = "release.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _commit(folder: Path) -> str | None:
    """Return the git commit the chapters come from, or None outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def write_release(chapters: Iterable[str | os.PathLike], out: str | os.PathLike) -> Path:
    """Freeze chapters as an assignment: their sources, their student notebooks and a manifest.

    Parameters
    ----------
    chapters : iterable of path
        Chapter files to release together (one assignment may hold several).
    out : path
        The release folder to create. It must not exist yet, or be empty: a release is never
        overwritten.

    Returns
    -------
    pathlib.Path
        The manifest, ``out/release.json``.

    Raises
    ------
    FileNotFoundError
        If a chapter file does not exist.
    FileExistsError
        If ``out`` already holds files (an earlier release).
    TypeError
        If ``chapters`` is not a list of paths (a single path is refused) or ``out`` not a path.
    ValueError
        If ``chapters`` is empty or names a chapter twice.
    RuntimeError
        If a student notebook would leak a solution (nothing is released then).

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from coursework import DEMO_CHAPTER, write_release
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     manifest = write_release([DEMO_CHAPTER], Path(folder) / "week-1")
    ...     sorted(json.loads(manifest.read_text())["chapters"])
    ['demo_chapter']
    """
    paths = [check_path(p, "chapters") for p in check_paths(chapters, "chapters", "chapter files")]
    folder = check_path(out, "out")
    if not paths:
        raise ValueError("`chapters` is empty: name at least one chapter file to release.")
    names = [p.stem for p in paths]
    if len(set(names)) < len(names):
        raise ValueError(f"`chapters` names a chapter twice: {sorted(n for n in names if names.count(n) > 1)}.")
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(
            f"`out` ({folder}) already holds a release: a release is never overwritten. Choose a new folder "
            "(e.g. releases/week-3), or delete this one yourself if it was never handed out."
        )
    for path in paths:
        read_chapter(path)  # a missing or unreadable chapter is refused before anything is written
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        (staging / "chapters").mkdir(parents=True)
        for path in paths:
            shutil.copy2(path, staging / "chapters" / path.name)
        frozen = [staging / "chapters" / path.name for path in paths]
        write_student_notebooks(frozen, staging / "student")
        manifest = {
            "released": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": _commit(paths[0].parent),
            "chapters": {path.stem: _sha256(path) for path in frozen},
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            folder.rmdir()  # empty (checked above)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder / MANIFEST


def release_chapters(release: str | os.PathLike) -> Path:
    """Return the frozen chapters folder of a release, after checking that nothing in it changed.

    Parameters
    ----------
    release : path
        A folder written by :func:`write_release`.

    Returns
    -------
    pathlib.Path
        ``release/chapters``, to grade with (``grade_submissions(..., chapters_dir=...)``).

    Raises
    ------
    FileNotFoundError
        If ``release`` is not a release folder (it has no ``release.json``).
    TypeError
        If ``release`` is not a path.
    ValueError
        If a frozen chapter is missing, changed since the release (its sha256 differs), or not in
        the manifest.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from coursework import DEMO_CHAPTER, release_chapters, write_release
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     manifest = write_release([DEMO_CHAPTER], Path(folder) / "week-1")
    ...     [p.name for p in release_chapters(manifest.parent).glob("*.md")]
    ['demo_chapter.md']
    """
    folder = check_path(release, "release")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"`release` ({folder}) is not a release folder: it has no {MANIFEST}. "
            "Make one with `python -m coursework release CHAPTER ... --out releases/NAME`."
        )
    try:
        recorded = json.loads(manifest_path.read_text(encoding="utf-8"))["chapters"]
        if not isinstance(recorded, dict):
            raise TypeError("not a mapping")
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"`release`: {manifest_path} is not a readable manifest ({error}).") from None
    chapters = folder / "chapters"
    present = {p.stem for p in chapters.glob("*.md")}
    problems = [f"{name}: not in {MANIFEST}" for name in sorted(present - set(recorded))]
    for name, digest in sorted(recorded.items()):
        path = chapters / f"{name}.md"
        if not path.is_file():
            problems.append(f"{name}: missing from {chapters}")
        elif _sha256(path) != digest:
            problems.append(f"{name}: changed since the release (its sha256 differs from {MANIFEST})")
    if problems:
        raise ValueError(
            f"`release` ({folder}) does not match what was handed out, so its checks cannot be trusted: "
            + "; ".join(problems)
            + ". Restore the chapters from a backup or from git at the release's commit, or make a new release."
        )
    return chapters
