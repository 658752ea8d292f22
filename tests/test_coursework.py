"""Coursework: student notebooks leak nothing, the grader scores what it should, and survives bad work.

Leak tests run on every chapter that exists. Grading tests use chapter 1 (no sampling, ~5 s a
run); the execution test of the student versions covers every chapter with auto-graded
exercises. Kernels run in parallel (two at a time), so the whole file takes 1-2 minutes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from hlmkit import (
    CheckFailed,
    check,
    check_between,
    find_leaks,
    grade_submissions,
    grade_table,
    lint_chapter,
    read_chapter,
    reference_notebook,
    student_notebook,
    write_grade_report,
)
from hlmkit.coursework import STUB_MARK

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
CH01 = ROOT / "chapters" / "01_why_hierarchical.md"
# Per-cell timeout for the chapter-1 scenarios: chapter 1's slowest cell (imports) takes ~6 s on
# a loaded 2-core machine, so 20 s leaves room and keeps the endless-loop cases short.
TIMEOUT = 20
JOBS = 2


def stem(path: Path) -> str:
    return path.stem


# --------------------------------------------------------------------------------------------
# check and check_between
# --------------------------------------------------------------------------------------------


def test_check_passes_with_a_tick(capsys):
    check(lambda: 1 + 1 == 2, "two should be two")
    check(True, "plain booleans work too")
    assert capsys.readouterr().out.splitlines() == ["✓ two should be two", "✓ plain booleans work too"]


def test_check_fails_with_the_message():
    with pytest.raises(CheckFailed, match=r"^share should lie between 0 and 1$"):
        check(lambda: 0 <= 3.0 <= 1, "share should lie between 0 and 1")
    assert issubclass(CheckFailed, AssertionError)  # plain `assert`-style failures for graders


def test_check_turns_errors_and_unanswered_stubs_into_the_message():
    with pytest.raises(CheckFailed, match="answer_x should be positive.*NameError"):
        check(lambda: answer_x > 0, "answer_x should be positive")  # noqa: F821
    stub = ...
    with pytest.raises(CheckFailed, match=r"still `\.\.\.`"):
        check(lambda: stub > 0, "stub should be positive")
    with pytest.raises(CheckFailed, match=r"still `\.\.\.`"):
        check(lambda: stub, "stub should be set")


def test_check_rejects_ambiguous_arrays_and_bad_messages():
    with pytest.raises(TypeError, match=r"\.all\(\)"):
        check(np.array([True, False]), "an array is not a verdict")
    with pytest.raises(TypeError, match="message"):
        check(True, 42)


def test_check_between_accepts_bounds_in_either_order_and_names_the_first_miss(capsys):
    check_between([1.0, 5.0], [0.0, 9.0], [2.0, 4.0], "value {label}")
    assert "all 2 values" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match=r"school b \(10\.0\) should lie between 4\.0 and 9\.0"):
        check_between(
            [1.0, 10.0],
            [0.0, 9.0],
            [2.0, 4.0],
            "school {label} ({value:.1f}) should lie between {low:.1f} and {high:.1f}",
            labels=["a", "b"],
        )
    with pytest.raises(CheckFailed, match="Expected 2 values"):
        check_between([1.0, 2.0, 3.0], [0.0, 0.0], [5.0, 5.0], "x")
    with pytest.raises(CheckFailed, match="not numbers"):
        check_between(..., [0.0], [1.0], "x")


# --------------------------------------------------------------------------------------------
# Leak tests: every chapter
# --------------------------------------------------------------------------------------------


def _sources(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells]


def _distinctive_lines(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if len(line.strip()) > 16]


@pytest.mark.parametrize("path", CHAPTERS, ids=stem)
def test_chapter_exercise_markup_follows_the_conventions(path):
    """Structural check of the chapter file: tagged solutions, checks after each code exercise."""
    assert lint_chapter(path) == []


@pytest.mark.parametrize("path", CHAPTERS, ids=stem)
def test_student_notebook_leaks_no_solution_hidden_check_or_output(path):
    chapter = read_chapter(path)
    notebook = student_notebook(chapter)
    nbformat.validate(notebook)
    assert find_leaks(notebook, chapter) == []
    # The same, checked here without find_leaks: directives, tags, outputs, solution lines.
    everything = "\n".join(_sources(notebook))
    assert not re.search(r"\{solution", everything)
    public = "\n".join(
        cell.source
        for k, cell in enumerate(chapter.notebook.cells)
        if cell.cell_type == "markdown" or chapter.roles.get(k, ("chapter",))[0] in ("chapter", "public-check")
    )
    for k, (role, label) in chapter.roles.items():
        if role in ("solution", "hidden-solution", "hidden-check"):
            for line in _distinctive_lines(chapter.notebook.cells[k].source):
                if line not in public:
                    assert line not in everything, f"{role} of {label} leaked: {line!r}"
    for cell in notebook.cells:
        assert not {"solution", "hidden-check"} & set(cell.metadata.get("tags", []))
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", CHAPTERS, ids=stem)
def test_student_notebook_keeps_one_answer_stub_and_the_public_checks_per_graded_exercise(path):
    chapter = read_chapter(path)
    notebook = student_notebook(chapter)
    roles = [
        (c.metadata.get("coursework", {}).get("exercise"), c.metadata.get("coursework", {}).get("role"))
        for c in notebook.cells
    ]
    for exercise in chapter.graded:
        answers = [c for c, r in zip(notebook.cells, roles, strict=True) if r == (exercise.label, "answer")]
        assert len(answers) == len(exercise.solution_cells)
        assert all(STUB_MARK in cell.source for cell in answers)
        assert roles.count((exercise.label, "public-check")) == len(exercise.public_checks)
    assert notebook.metadata["coursework"]["chapter"] == chapter.name


def _mutated_chapter(tmp_path: Path, old: str, new: str) -> Path:
    text = CH01.read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / CH01.name
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_lint_catches_a_solution_cell_without_its_tag_and_the_student_version_still_hides_it(tmp_path):
    path = _mutated_chapter(tmp_path, ":tags: [solution]\nstandard_error", "standard_error")
    problems = lint_chapter(path)
    assert len(problems) == 1 and "without the `solution` tag" in problems[0]
    chapter = read_chapter(path)
    notebook = student_notebook(chapter)
    assert "standard_error = sigma_within" not in "\n".join(_sources(notebook))
    assert find_leaks(notebook, chapter) == []


def test_lint_catches_a_cell_that_needs_an_answer_unless_the_chapter_says_so(tmp_path):
    later = "\n```{code-cell} ipython3\nprint(share_outside)\n```\n\n## References"
    path = _mutated_chapter(tmp_path, "\n## References", later)
    problems = lint_chapter(path)
    assert len(problems) == 1 and "`share_outside` (from ex-why-funnel)" in problems[0]
    path = _mutated_chapter(
        tmp_path, "\n## References", later.replace("ipython3\n", "ipython3\n:tags: [needs-answer]\n")
    )
    assert lint_chapter(path) == []


def test_solution_directives_in_other_fence_styles_are_stripped(tmp_path):
    extra = (
        ":::{solution} ex-why-predict\n:class: dropdown\n\nA colon-fenced solution the markup allows.\n:::\n\n"
        "````{solution} ex-why-predict\n:class: dropdown\n\nA solution with code inside:\n\n"
        "```python\nsecret_value = 42  # nested fence\n```\n````\n\n"
    )
    path = _mutated_chapter(
        tmp_path, "```{exercise}\n:label: ex-why-funnel", extra + "```{exercise}\n:label: ex-why-funnel"
    )
    chapter = read_chapter(path)
    assert lint_chapter(chapter) == []
    notebook = student_notebook(chapter)
    text = "\n".join(_sources(notebook))
    assert "colon-fenced solution" not in text and "secret_value" not in text and "{solution" not in text
    assert find_leaks(notebook, chapter) == []


def test_leak_check_reports_every_kind_of_leak():
    chapter = read_chapter(CH01)
    # 1. The chapter itself, as a notebook: directives, solution code and text, hidden checks.
    leaks = "\n".join(find_leaks(chapter.notebook, chapter))
    for expected in (
        "a solution directive is left",
        "solution code of ex-why-funnel",
        "solution text of ex-why-predict",
        "solution text of ex-why-radon",
        "hidden check of ex-why-radon",
    ):
        assert expected in leaks
    clean = student_notebook(chapter)
    # 2. Outputs and execution counts.
    with_output = nbformat.from_dict(json.loads(nbformat.writes(clean)))
    code = next(cell for cell in with_output.cells if cell.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    code.execution_count = 1
    assert any("outputs" in leak for leak in find_leaks(with_output, chapter))
    # 3. A hidden-check cell put back, and a line of solution text pasted into a markdown cell.
    hidden = chapter.notebook.cells[chapter.exercises["ex-why-funnel"].hidden_checks[0]]
    pasted = nbformat.from_dict(json.loads(nbformat.writes(clean)))
    pasted.cells.append(nbformat.v4.new_code_cell(hidden.source, metadata={"tags": ["hidden-check"]}))
    pasted.cells.append(
        nbformat.v4.new_markdown_cell(
            "Far more than 5% ... schools truly differ and $\\tau > 0$. The schools outside are mostly the large ones (median"  # noqa: E501 (one line of a Markdown table or message)
        )
    )
    leaks = "\n".join(find_leaks(pasted, chapter))
    assert "tagged ['hidden-check']" in leaks and "hidden check of ex-why-funnel" in leaks
    assert "solution text of ex-why-funnel" in leaks


# --------------------------------------------------------------------------------------------
# Grading: chapter 1 scenarios, graded together (two kernels at a time)
# --------------------------------------------------------------------------------------------


def _with_answer(notebook, label: str, source: str):
    notebook = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    for cell in notebook.cells:
        if cell.metadata.get("coursework") == {"exercise": label, "role": "answer"}:
            cell.source = source
            return notebook
    raise AssertionError(f"no answer cell for {label}")


# Endless loops that sleep, so that they do not take a core from the other kernels.
LOOP = """import time
while True:
    time.sleep(0.2)
"""
STUCK = """import time
while True:  # an endless loop that also swallows the interrupt
    try:
        time.sleep(0.2)
    except KeyboardInterrupt:
        pass
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every scenario once: {scenario: GradeResult}."""
    folder = tmp_path_factory.mktemp("submissions")
    chapter = read_chapter(CH01)
    reference = reference_notebook(chapter)
    blank = student_notebook(chapter)
    reordered = nbformat.from_dict(json.loads(nbformat.writes(reference)))
    radon_cells = [c for c in reordered.cells if c.metadata.get("coursework", {}).get("exercise") == "ex-why-radon"]
    first_funnel = next(
        k for k, c in enumerate(reordered.cells) if c.metadata.get("coursework", {}).get("exercise") == "ex-why-funnel"
    )
    reordered.cells = [c for c in reordered.cells if c not in radon_cells]
    reordered.cells[first_funnel:first_funnel] = radon_cells
    deleted = nbformat.from_dict(json.loads(nbformat.writes(reference)))
    deleted.cells = [c for c in deleted.cells if c.metadata.get("coursework", {}).get("exercise") != "ex-why-radon"]
    wrong = _with_answer(reference, "ex-why-funnel", "share_outside = 0.5  # a plausible share, but wrong")
    for cell in wrong.cells:  # ... and the student "fixed" the public checks: the grader uses the chapter's
        if cell.metadata.get("coursework", {}).get("role") == "public-check":
            cell.source = "pass"
    other_chapter = nbformat.from_dict(json.loads(nbformat.writes(reference)))
    other_chapter.metadata["coursework"]["chapter"] = "02_complete_pooling"
    notebooks = {
        "reference": reference,
        "blank": blank,
        "wrong": wrong,
        "raises": _with_answer(reference, "ex-why-radon", "raise RuntimeError('my code is broken')"),
        "loops": _with_answer(reference, "ex-why-funnel", LOOP),
        "stuck": _with_answer(reference, "ex-why-funnel", STUCK),
        "reordered": reordered,
        "deleted": deleted,
        "other-chapter": other_chapter,
    }
    for name, notebook in notebooks.items():
        nbformat.write(notebook, folder / f"{name}.ipynb")
    (folder / "corrupt.ipynb").write_text('{"cells": [ this is not json', encoding="utf-8")
    (folder / "not-a-notebook.ipynb").write_text('{"hello": "world"}', encoding="utf-8")
    results = grade_submissions([folder], chapters_dir=ROOT / "chapters", chapter="01", timeout=TIMEOUT, jobs=JOBS)
    return {result.student: result for result in results}


def _scores(result) -> dict[str, object]:
    return {row["exercise"]: row["score"] for row in result.rows}


GRADED = ["ex-why-funnel", "ex-why-radon"]


def test_every_submission_gets_a_row_for_every_exercise(graded):
    chapter = read_chapter(CH01)
    assert len(graded) == 11
    table = grade_table(graded.values())
    assert len(table) == 11 * len(chapter.exercises)
    assert set(table["exercise"]) == set(chapter.exercises)
    manual = table[table["exercise"] == "ex-why-predict"]
    assert (manual["status"] == "manual").all() and manual["score"].isna().all()
    assert [e.label for e in chapter.graded] == GRADED


def test_reference_solution_scores_full_marks_without_errors(graded):
    result = graded["reference"]
    assert _scores(result) == {"ex-why-predict": None, "ex-why-funnel": 1, "ex-why-radon": 1}
    assert result.notes == []


def test_blank_student_notebook_scores_zero_and_still_executes(graded):
    result = graded["blank"]
    assert [result.row(label)["score"] for label in GRADED] == [0, 0]
    assert {result.row(label)["status"] for label in GRADED} == {"unanswered"}
    assert result.notes == [], "a chapter cell failed in the student version"


def test_one_wrong_answer_loses_exactly_that_exercise(graded):
    result = graded["wrong"]
    assert _scores(result) == {"ex-why-predict": None, "ex-why-funnel": 0, "ex-why-radon": 1}
    assert result.row("ex-why-funnel")["status"] == "fail"
    # The public checks the student emptied were replaced by the chapter's; the hidden one caught it.
    assert "hidden check failed: share_outside should be" in result.row("ex-why-funnel")["reason"]


def test_an_answer_that_raises_loses_its_exercise_only(graded):
    result = graded["raises"]
    assert _scores(result) == {"ex-why-predict": None, "ex-why-funnel": 1, "ex-why-radon": 0}
    row = result.row("ex-why-radon")
    assert row["status"] == "error" and "RuntimeError: my code is broken" in row["reason"]


def test_an_endless_loop_is_stopped_and_later_exercises_still_count(graded):
    result = graded["loops"]
    assert _scores(result) == {"ex-why-predict": None, "ex-why-funnel": 0, "ex-why-radon": 1}
    row = result.row("ex-why-funnel")
    assert row["status"] == "timeout" and f"longer than {TIMEOUT} s" in row["reason"]


def test_a_loop_that_ignores_interrupts_zeroes_the_rest_with_a_reason(graded):
    result = graded["stuck"]
    assert _scores(result) == {"ex-why-predict": None, "ex-why-funnel": 0, "ex-why-radon": 0}
    assert result.row("ex-why-funnel")["status"] == "timeout"
    assert "did not recover" in result.row("ex-why-radon")["reason"]
    assert result.seconds < 10 * TIMEOUT


def test_reordered_cells_are_graded_and_deleted_ones_get_zero_with_a_reason(graded):
    assert _scores(graded["reordered"]) == {"ex-why-predict": None, "ex-why-funnel": 1, "ex-why-radon": 1}
    result = graded["deleted"]
    assert _scores(result) == {"ex-why-predict": None, "ex-why-funnel": 1, "ex-why-radon": 0}
    assert result.row("ex-why-radon")["status"] == "missing"
    assert "not in the notebook" in result.row("ex-why-radon")["reason"]


@pytest.mark.parametrize("name", ["corrupt", "not-a-notebook", "other-chapter"])
def test_unreadable_or_foreign_notebooks_get_zero_with_a_reason(graded, name):
    result = graded[name]
    for label in GRADED:
        row = result.row(label)
        assert row["score"] == 0 and row["status"] == "unreadable" and row["reason"]
    if name == "other-chapter":
        assert "02_complete_pooling" in result.row("ex-why-funnel")["reason"]


def test_report_files_hold_every_student(graded, tmp_path):
    paths = write_grade_report(list(graded.values()), tmp_path)
    scores = pd.read_csv(paths["scores"])
    assert len(scores) == 11 * 3 and set(scores["student"]) == set(graded)
    totals = pd.read_csv(paths["totals"]).set_index("student")
    assert totals.loc["reference", "score"] == 2 and totals.loc["blank", "score"] == 0
    report = paths["report"].read_text(encoding="utf-8")
    assert all(f"### {student} " in report for student in graded)


# --------------------------------------------------------------------------------------------
# The student version of every chapter with graded exercises executes (stubs break nothing else)
# --------------------------------------------------------------------------------------------


def _has_graded_exercises(path: Path) -> bool:
    try:
        return bool(read_chapter(path).graded)
    except Exception:  # a broken chapter fails the markup test above, not the collection of this file
        return False


# Longest first (chapter 4 samples three models), so that the two kernels finish together.
OTHER_CHAPTERS = sorted((p for p in CHAPTERS if p != CH01 and _has_graded_exercises(p)), reverse=True)


@pytest.fixture(scope="module")
def blank_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blank")
    for path in OTHER_CHAPTERS:
        nbformat.write(student_notebook(path), folder / f"{path.stem}.ipynb")
    # Sampling cells take ~20 s on a loaded machine; the per-cell limit only guards against hangs.
    results = grade_submissions([folder], chapters_dir=ROOT / "chapters", timeout=300, jobs=JOBS)
    return {result.chapter: result for result in results}


@pytest.mark.parametrize("path", OTHER_CHAPTERS, ids=stem)
def test_student_version_executes_with_only_the_exercises_failing(blank_runs, path):
    result = blank_runs[path.stem]
    assert result.notes == [], f"cells outside the exercises failed: {result.notes}"
    for row in result.rows:
        assert row["status"] in ("unanswered", "manual"), row


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_cli_writes_leak_free_student_notebooks_for_every_chapter(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "coursework.py"), "student", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for path in CHAPTERS:
        notebook = nbformat.read(tmp_path / f"{path.stem}.ipynb", as_version=4)
        assert find_leaks(notebook, path) == []
    assert (tmp_path / "README.md").exists()


def _cli():
    """scripts/coursework.py as a module, to call its main() in this process."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("coursework_cli", ROOT / "scripts" / "coursework.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_grades_without_crashing_on_a_corrupt_file_and_rejects_unknown_chapters(tmp_path, capsys):
    bad = tmp_path / "submissions" / "alice.ipynb"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\xff not a notebook")
    cli = _cli()
    assert cli.main(["grade", str(bad.parent), "--chapter", "01", "--out", str(tmp_path / "grades")]) == 0
    scores = (tmp_path / "grades" / "scores.csv").read_text().splitlines()
    assert len(scores) == 1 + 3 and all(line.startswith("alice,") for line in scores[1:])
    assert "unreadable" in (tmp_path / "grades" / "report.md").read_text()
    assert cli.main(["grade", str(bad.parent), "--chapter", "99"]) == 2
    assert "matches 0 files" in capsys.readouterr().err
