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
                       warnings=["the notebook has no coursework metadata (not made by `make student`?)"])


def test_each_submission_gets_its_feedback_with_the_reason(tmp_path):
    paths = write_grade_report([_result("ada"), _result("bob", "unanswered", "the answer cell still holds the stub")],
                               tmp_path)
    files = sorted(p.name for p in paths["feedback"].iterdir())
    assert files == ["ada__01_why.md", "bob__01_why.md"]
    ada = (paths["feedback"] / "ada__01_why.md").read_text()
    assert "Score: **1/2**" in ada
    assert "Exercise 1 (`ex-a`): passed" in ada and "Exercise 3 (`ex-c`): graded by hand" in ada
    assert "Exercise 2 (`ex-b`): a check failed.\n  What to fix: x should be positive" in ada
    assert "Notes on the notebook:\n- the notebook has no coursework metadata" in ada
    assert "First, this stopped your code" not in ada  # nothing did
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


def test_what_stopped_the_code_comes_before_the_exercises_it_broke(tmp_path):
    """A SyntaxError in cell 2 is the root cause of the NameErrors after it: feedback and report say it first."""
    broken = _result("ada", "error", "your answer raised NameError: name 'schools' is not defined")
    broken.notes = ["cell 2 ('schools = (') failed: SyntaxError: '(' was never closed (line 1)"]
    paths = write_grade_report([broken], tmp_path)
    feedback = (paths["feedback"] / "ada__01_why.md").read_text()
    cause = feedback.index("First, this stopped your code:\n- cell 2 ('schools = (') failed: SyntaxError")
    assert cause < feedback.index("Exercise 1 (`ex-a`)") < feedback.index("NameError: name 'schools'")
    assert feedback.index("Score: **1/2**") < cause  # the score still heads the file
    details = paths["report"].read_text().split("### ada (01_why): 1/2")[1]
    assert details.index("first, this stopped the code: cell 2") < details.index("`ex-b`: error: your answer raised")


def test_a_notebook_of_unknown_chapter_gets_no_grade_and_is_flagged_for_a_person(tmp_path):
    import pandas as pd

    from coursework import grade_submissions
    from tests.coursework import ROOT

    corrupt = tmp_path / "submissions" / "carol.ipynb"  # no chapter in its name, unreadable: chapter unknown
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"\x00\xff not a notebook")
    (unknown,) = grade_submissions([corrupt.parent], chapters_dir=ROOT / "chapters")
    assert unknown.max_score == 0, "the grader must not invent the points of a chapter it cannot tell"
    assert unknown.rows[0]["status"] == "unreadable" and "could not read this notebook" in unknown.needs_a_person
    paths = write_grade_report([_result("ada"), unknown], tmp_path / "run")

    totals = pd.read_csv(paths["totals"]).set_index("student")
    assert pd.isna(totals.loc["carol", "score"]) and totals.loc["carol", "max_score"] == 0
    assert "could not read" in totals.loc["carol", "needs_a_person"] and pd.isna(totals.loc["ada", "needs_a_person"])
    book = pd.read_csv(paths["gradebook"]).set_index("student")
    assert list(book.columns) == ["01_why (of 2)", "total"], "no column (an LMS assignment) for an unknown chapter"
    assert pd.isna(book.loc["carol"]).all() and book.loc["ada", "total"] == 1  # empty, never a 0

    report = paths["report"].read_text()
    assert report.index("## Needs a person") < report.index("## 01_why")
    assert "**carol** (?" in report and "no grade: could not be read, needs a person" in report
    assert "## ?" not in report, "no table of exercises for a chapter nobody knows"
    feedback = (paths["feedback"] / "carol__unnamed.md").read_text()
    assert feedback.startswith("# Feedback: carol.ipynb (chapter unknown)\n\nNo grade yet: your notebook could not")
    assert "Score:" not in feedback and "0/0" not in feedback

    from coursework import merge_hand_grades

    final = pd.read_csv(merge_hand_grades(paths["totals"].parent)["totals"]).set_index("student")
    assert pd.isna(final.loc["carol", "total"]) and final.loc["ada", "total"] == 1


def test_an_unreadable_notebook_of_a_known_chapter_leaves_its_gradebook_cell_empty(tmp_path):
    import pandas as pd

    rows = [{"exercise": label, "number": k, "status": "unreadable", "score": 0, "max_score": 1,
             "reason": "could not read the notebook: NotJSONError: ..."} for k, label in enumerate(["ex-a", "ex-b"], 1)]
    corrupt = GradeResult(student="bob", submission="bob.ipynb", chapter="01_why", rows=rows)
    other = _result("bob")
    other.chapter = "02_pooling"
    paths = write_grade_report([_result("ada"), corrupt, other], tmp_path)
    book = pd.read_csv(paths["gradebook"]).set_index("student")
    assert list(book.columns) == ["01_why (of 2)", "02_pooling (of 2)", "total"]
    assert pd.isna(book.loc["bob", "01_why (of 2)"]) and book.loc["bob", "02_pooling (of 2)"] == 1
    assert pd.isna(book.loc["bob", "total"]), "a total over a missing grade would read as final"
    assert "- **bob** (01_why, `bob.ipynb`): could not read the notebook" in paths["report"].read_text()
