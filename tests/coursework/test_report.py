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
