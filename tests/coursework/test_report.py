"""The grade report: one feedback file per submission, what to fix first, safe file names."""

from __future__ import annotations

from coursework import write_grade_report
from coursework.scoring import GradeResult


def _result(student: str, status: str = "fail", reason: str = "x should be positive") -> GradeResult:
    rows = [
        {"exercise": "ex-a", "number": 1, "status": "pass", "score": 1, "max_score": 1, "reason": ""},
        {"exercise": "ex-b", "number": 2, "status": status, "score": 0, "max_score": 1, "reason": reason},
        {"exercise": "ex-c", "number": 3, "status": "manual", "score": None, "max_score": 0, "reason": ""},
    ]
    return GradeResult(student=student, submission=f"{student}.ipynb", chapter="01_why", rows=rows,
                       notes=["cell 4 raised NameError"])


def test_each_submission_gets_its_feedback_with_the_reason(tmp_path):
    paths = write_grade_report([_result("ada"), _result("bob", "unanswered", "the answer cell still holds the stub")],
                               tmp_path)
    files = sorted(p.name for p in paths["feedback"].iterdir())
    assert files == ["ada__01_why.md", "bob__01_why.md"]
    ada = (paths["feedback"] / "ada__01_why.md").read_text()
    assert "Score: **1/2**" in ada
    assert "Exercise 1 (`ex-a`): passed" in ada and "Exercise 3 (`ex-c`): graded by hand" in ada
    assert "Exercise 2 (`ex-b`): a check failed.\n  What to fix: x should be positive" in ada
    assert "Outside the exercises:\n- cell 4 raised NameError" in ada
    assert "What to fix: the answer cell still holds the stub" in (paths["feedback"] / "bob__01_why.md").read_text()


def test_hostile_or_clashing_student_names_stay_inside_the_feedback_folder(tmp_path):
    results = [_result("../../etc/passwd"), _result("a b"), _result("a/b"), _result("")]
    paths = write_grade_report(results, tmp_path / "grades")
    written = sorted(p.name for p in paths["feedback"].iterdir())
    assert len(written) == 4, written
    assert all(p.parent == paths["feedback"] for p in paths["feedback"].iterdir())
    assert "etc_passwd__01_why.md" in written and "a_b__01_why.md" in written and "a_b__01_why_2.md" in written
    assert not (tmp_path / "etc").exists()


def test_the_gradebook_has_a_row_per_student_and_a_column_per_chapter(tmp_path):
    import pandas as pd

    other = _result("ada")
    other.chapter = "02_pooling"
    paths = write_grade_report([_result("ada"), _result("bob"), other], tmp_path)
    book = pd.read_csv(paths["gradebook"]).set_index("student")
    assert list(book.columns) == ["01_why (of 2)", "02_pooling (of 2)", "total"]
    assert book.loc["ada", "total"] == 2 and book.loc["bob", "01_why (of 2)"] == 1
    assert pd.isna(book.loc["bob", "02_pooling (of 2)"])


def _with_answer(tmp_path, student: str, answer: str) -> GradeResult:
    """A result whose submission file holds a written answer to ex-c."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_markdown_cell(answer)
    cell.metadata["coursework"] = {"exercise": "ex-c", "role": "answer-text"}
    notebook.cells = [nbformat.v4.new_markdown_cell("The chapter."), cell]
    path = tmp_path / f"{student}.ipynb"
    nbformat.write(notebook, path)
    result = _result(student)
    result.submission = str(path)
    return result


def test_written_answers_are_queued_for_hand_grading_and_their_marks_merged(tmp_path):
    import pandas as pd

    from coursework import merge_hand_grades

    results = [_with_answer(tmp_path, "ada", "Small schools are noisy."),
               _with_answer(tmp_path, "007", "YOUR ANSWER HERE")]
    paths = write_grade_report(results, tmp_path / "run")
    queue = pd.read_csv(paths["hand_grading"], dtype=str, keep_default_na=False)  # as a spreadsheet edits it
    assert list(queue["student"]) == ["ada", "007"] and list(queue["exercise"]) == ["ex-c", "ex-c"]
    assert list(queue["answer"]) == ["Small schools are noisy.", ""]  # an untouched stub is no answer
    # Before marking, a written answer counts 0 and is listed as unmarked.
    final = pd.read_csv(merge_hand_grades(paths["totals"].parent)["totals"], dtype={"student": str})
    assert list(final["total"]) == [1, 1] and list(final["unmarked"]) == [1, 1]
    # The instructor marks ada's answer 0.5 of 2 points and leaves 007's unmarked.
    queue.loc[0, ["points", "max_points"]] = ["0.5", "2"]
    queue.to_csv(paths["hand_grading"], index=False)
    merged = merge_hand_grades(paths["totals"].parent)
    final = pd.read_csv(merged["totals"], dtype={"student": str}).set_index("student")
    assert final.loc["ada", ["auto", "hand", "total", "total_max", "unmarked"]].tolist() == [1, 0.5, 1.5, 4, 0]
    assert final.loc["007", ["hand", "total", "total_max", "unmarked"]].tolist() == [0, 1, 3, 1]
    book = pd.read_csv(merged["gradebook"], dtype={"student": str}).set_index("student")
    assert book.loc["ada", "01_why (of 4)"] == 1.5 and book.loc["007", "total"] == 1
    assert pd.read_csv(paths["totals"])["score"].tolist() == [1, 1]  # the run's own files are unchanged


def test_marks_that_are_not_points_are_refused_with_their_row(tmp_path):
    import pandas as pd
    import pytest

    from coursework import merge_hand_grades

    paths = write_grade_report([_with_answer(tmp_path, "ada", "An answer.")], tmp_path / "run")
    queue = pd.read_csv(paths["hand_grading"], dtype=str, keep_default_na=False)
    for points, most, message in [("good", "1", "must be a number"), ("-1", "1", "0 or more"), ("3", "2", "exceeds"),
                                  ("1", "", "max_points` is empty")]:
        queue.loc[0, "points"], queue.loc[0, "max_points"] = points, most
        queue.to_csv(paths["hand_grading"], index=False)
        with pytest.raises(ValueError, match=rf"row 2 \(ada, ex-c\).*{message}"):
            merge_hand_grades(paths["totals"].parent)
    queue.loc[0, ["student", "points", "max_points"]] = ["mallory", "1", "1"]
    queue.to_csv(paths["hand_grading"], index=False)
    with pytest.raises(ValueError, match="graded no submission of mallory"):
        merge_hand_grades(paths["totals"].parent)
