"""Hand-outs: the markup of every chapter is right, and student notebooks leak nothing.

Leak tests run on every chapter that exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from coursework import DEMO_CHAPTER, find_leaks, lint_chapter, read_chapter, student_notebook
from coursework.chapter import STUB_MARK
from coursework.names import changed_in_place
from tests.coursework import CH01, CHAPTERS, stem


def _sources(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells]


def _distinctive_lines(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if len(line.strip()) > 16]


@pytest.mark.parametrize("path", CHAPTERS, ids=stem)
def test_chapter_exercise_markup_follows_the_conventions(path):
    """Structural check of the chapter file: tagged solutions, checks after each code exercise."""
    assert lint_chapter(path) == []



def test_the_demo_chapter_of_the_examples_follows_the_conventions():
    chapter = read_chapter(DEMO_CHAPTER)
    assert lint_chapter(chapter) == []
    assert find_leaks(student_notebook(chapter), chapter) == []


def test_an_exercise_title_is_its_tier_and_the_hand_out_says_it(tmp_path):
    chapter = read_chapter(DEMO_CHAPTER)
    assert [e.tier for e in chapter.exercises.values()] == ["Compute", "Understand", "Understand"]
    text = "\n".join(cell.source for cell in student_notebook(chapter).cells if cell.cell_type == "markdown")
    assert "**Exercise 1** · compute (`ex-demo-sum`)" in text
    assert "**Exercise 2** · understand (`ex-demo-why`)" in text
    path = tmp_path / "99_demo.md"
    titled = "{exercise} Understand\n:label: ex-demo-why"
    path.write_text(DEMO_CHAPTER.read_text().replace(titled, titled.replace("Understand", "Hard")))
    problems = lint_chapter(path)
    assert len(problems) == 1 and "ex-demo-why has the title 'Hard'" in problems[0] and "Understand" in problems[0]
    assert read_chapter(path).exercises["ex-demo-why"].tier is None


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
        # Every answer cell is a stub; one that binds nothing a later cell needs is only its header line.
        assert all(STUB_MARK.lstrip("# ") in cell.source.splitlines()[0] for cell in answers)
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


def test_a_name_a_cell_imports_itself_is_not_one_it_needs_from_before():
    # Chapter 1's public checks import pymc as pm, which an earlier solution also imports.
    from coursework.names import loaded

    cell = "import pymc as pm\ncheck(lambda: isinstance(model, pm.Model), 'm')"
    assert loaded(cell) == {"check", "isinstance", "model"}
    assert loaded("from hlmkit import check\nimport os.path\ncheck(os.path.exists(x))") == {"x"}
    assert loaded("print(pm.Model)") == {"print", "pm"}


def test_lint_catches_a_solution_that_changes_a_chapter_object_a_later_cell_uses(tmp_path):
    change = 'share_outside = float(outside.mean())\nschools["outside"] = outside'
    later = '\n```{code-cell} ipython3\nschools.head()\n```\n\n## References'
    path = _mutated_chapter(tmp_path, "share_outside = float(outside.mean())", change)
    path.write_text(path.read_text(encoding="utf-8").replace("\n## References", later, 1), encoding="utf-8")
    problems = lint_chapter(path)
    assert len(problems) == 1, problems
    assert "`schools`, which the solution of ex-why-funnel changes in place" in problems[0]
    assert "schools = schools.copy()" in problems[0]
    # Working on a copy, or a chapter cell that rebinds the name first, is fine.
    copied = change.replace('schools["outside"]', 'schools = schools.copy()\nschools["outside"]')
    path.write_text(path.read_text(encoding="utf-8").replace(change, copied, 1), encoding="utf-8")
    assert lint_chapter(path) == []
    rebound = later.replace("schools.head()", "schools = group_summary(students, 'literacy', 'school')\nschools.head()")
    path = _mutated_chapter(tmp_path, "share_outside = float(outside.mean())", change)
    path.write_text(path.read_text(encoding="utf-8").replace("\n## References", rebound, 1), encoding="utf-8")
    assert lint_chapter(path) == []


def test_changes_in_place_are_found_and_rebinding_is_not_one():
    source = (
        'students["x"] = 1\nrows.append(3)\ndf.fillna(0, inplace=True)\ndel table["a"]\n'
        "fig.axes[0].title = 't'\nnew = students.copy()\nnew['a'] = 2\nax.set(xlabel='a')"
    )
    assert changed_in_place(source) == {
        "students": "assigns to a part of it",
        "rows": "calls .append() on it",
        "df": "calls .fillna(inplace=True) on it",
        "table": "deletes a part of it",
        "fig": "assigns to a part of it",
    }
    assert changed_in_place("this is not python (") == {}


def test_solution_directives_in_other_fence_styles_are_stripped(tmp_path):
    extra = (
        ":::{solution} ex-why-predict\n:class: dropdown\n\nA colon-fenced solution the markup allows.\n:::\n\n"
        "````{solution} ex-why-predict\n:class: dropdown\n\nA solution with code inside:\n\n"
        "```python\nsecret_value = 42  # nested fence\n```\n````\n\n"
    )
    text = CH01.read_text(encoding="utf-8")
    label = text.index(":label: ex-why-funnel")
    directive = text[text.rindex("```{exercise}", 0, label) : label]  # with its tier title, if any
    path = _mutated_chapter(tmp_path, directive + ":label: ex-why-funnel", extra + directive + ":label: ex-why-funnel")
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
