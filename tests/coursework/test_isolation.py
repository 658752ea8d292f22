"""A submission cannot reach the checks, the repository, other students or the grader.

Each hostile submission of the demo chapter (``answer = 2 + 2``) computes its answer from what
its attack found: it stores the right answer, 4, only when the attack failed. So a score of 1
says the attack failed, as the grader's own checks saw it; and the files it aimed at are
checked afterwards. The OS sandbox (:mod:`coursework.sandbox`) exists on Linux with user
namespaces; elsewhere the sandbox tests are skipped, and the environment test still runs.
"""

from __future__ import annotations

import json
import socket
import textwrap

import nbformat
import pytest

from coursework import DEMO_CHAPTER, grade_submissions, read_chapter, reference_notebook, sandbox
from tests.coursework import ROOT

needs_sandbox = pytest.mark.skipif(bool(sandbox.available()), reason=sandbox.available() or "sandboxed")


def _submission(chapter, source: str):
    notebook = nbformat.from_dict(json.loads(nbformat.writes(reference_notebook(chapter))))
    (cell,) = [c for c in notebook.cells if c.metadata.get("coursework", {}).get("role") == "answer"]
    cell.source = textwrap.dedent(source)
    return notebook


@pytest.fixture(scope="module")
def attacks(tmp_path_factory):
    """Grade every attack once; return their results and the paths they aimed at."""
    base = tmp_path_factory.mktemp("isolation")
    chapters = base / "chapters"
    chapters.mkdir()
    (chapters / "99_demo.md").write_text(DEMO_CHAPTER.read_text())
    chapter = read_chapter(chapters / "99_demo.md")
    outside = base / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("the grader's file")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    targets = {
        "chapter": chapters / "99_demo.md",
        "book": ROOT / "chapters" / "01_why_hierarchical.md",
        "outside": outside,
    }
    sources = {
        # Read the hidden checks: from the chapter given to the grader, from the book's chapters
        # folder beside hlmkit, and from the grader's working folder through /proc.
        "read": f"""
            import glob, os, pathlib, hlmkit
            found = []
            for path in [{str(targets["chapter"])!r}, {str(targets["book"])!r},
                         str(pathlib.Path(hlmkit.__file__).parents[1] / "chapters" / "01_why_hierarchical.md")]:
                try:
                    found.append(open(path).read()[:10])
                except OSError:
                    pass
            for cwd in glob.glob("/proc/*/cwd"):
                try:
                    if any(name.endswith(".md") for name in os.listdir(cwd)):
                        found.append(cwd)
                except OSError:
                    pass
            answer = 4 if not found else 5
        """,
        # Change the world outside its folder: delete the grader's file, write a new one, and
        # rewrite the chapter's hidden check so that the next student's wrong answer passes.
        "write": f"""
            import os
            done = 0
            for action in (lambda: os.remove({str(outside / "keep.txt")!r}),
                           lambda: open({str(outside / "new.txt")!r}, "w").write("x"),
                           lambda: open({str(targets["chapter"])!r}, "a").write("\\ncheck(lambda: True, 'x')\\n")):
                try:
                    action()
                    done += 1
                except OSError:
                    pass
            answer = 4 if done == 0 else 5
        """,
        # Reach the network: the grader's machine listens on a local port.
        "network": f"""
            import socket
            s = socket.socket()
            s.settimeout(2)
            answer = 4 if s.connect_ex(("127.0.0.1", {port})) != 0 else 5
        """,
        # A process that outlives the kernel would keep running with the student's rights.
        "linger": f"""
            import subprocess
            subprocess.Popen(["sh", "-c", "sleep 3; touch {outside / 'late.txt'}"], start_new_session=True)
            answer = 4
        """,
    }
    submissions = base / "submissions"
    submissions.mkdir()
    for name, source in sources.items():
        nbformat.write(_submission(chapter, source), submissions / f"{name}.ipynb")
    results = grade_submissions([submissions], chapters_dir=chapters, timeout=30, jobs=2)
    listener.close()
    import time

    time.sleep(4)  # the lingering process would have written by now
    return {result.student: result for result in results}, targets, chapters


@needs_sandbox
@pytest.mark.parametrize("attack", ["read", "write", "network", "linger"])
def test_each_attack_fails_and_the_answer_it_gives_scores_what_it_deserves(attacks, attack):
    results, _targets, _chapters = attacks
    row = results[attack].row("ex-demo-sum")
    assert (row["status"], row["score"]) == ("pass", 1), row


@needs_sandbox
def test_the_files_outside_its_folder_are_untouched(attacks):
    _results, targets, chapters = attacks
    assert (targets["outside"] / "keep.txt").read_text() == "the grader's file"
    assert sorted(p.name for p in targets["outside"].iterdir()) == ["keep.txt"], "no new file, none written late"
    assert targets["chapter"].read_text() == DEMO_CHAPTER.read_text(), "the hidden checks are unchanged"


def test_the_kernel_gets_none_of_the_graders_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("HLMKIT_TEST_SECRET", "s3cret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret")
    chapter = read_chapter(DEMO_CHAPTER)
    source = "import os\nanswer = 4 if 's3cret' not in str(dict(os.environ)) else 5\n"
    nbformat.write(_submission(chapter, source), tmp_path / "env.ipynb")
    (result,) = grade_submissions([tmp_path / "env.ipynb"], chapter=str(DEMO_CHAPTER), chapters_dir=DEMO_CHAPTER.parent,
                                  timeout=30)
    assert result.row("ex-demo-sum")["score"] == 1, result.row("ex-demo-sum")


def test_a_hook_on_every_later_cell_sees_no_check(tmp_path):
    # An IPython hook runs before every later cell of the student's session and could read (or
    # rewrite) the checks if they ran there. Here it spoils the answer if it ever sees one; the
    # checks run in the grader's process, so it never does. Holds with or without the sandbox.
    chapter = read_chapter(DEMO_CHAPTER)
    source = """
        answer = 4
        def _spy(info):
            if "answer == 4" in (info.raw_cell or "") or "check(" in (info.raw_cell or ""):
                globals()["answer"] = 5
        get_ipython().events.register("pre_run_cell", _spy)
    """
    nbformat.write(_submission(chapter, source), tmp_path / "hook.ipynb")
    (result,) = grade_submissions([tmp_path / "hook.ipynb"], chapter=str(DEMO_CHAPTER),
                                  chapters_dir=DEMO_CHAPTER.parent, timeout=30)
    assert result.row("ex-demo-sum")["score"] == 1, result.row("ex-demo-sum")
