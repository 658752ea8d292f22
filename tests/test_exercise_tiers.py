"""The book's exercises: enough of them, in three tiers, and model exercises graded by model.

Issue 17 asks for at least six exercises per chapter, each titled with its tier (Understand,
Compute, Model), and at least two Model exercises in every chapter: the reader writes or changes
a PyMC model, and the grader compares models with ``hlmkit.check_model``, not numbers. Chapter 1
fits no model, so its two write the complete- and no-pooling models as a look ahead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coursework import read_chapter
from coursework.chapter import TIERS

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
MIN_EXERCISES = 6
#: The Model exercises each chapter asks for.
MODEL_CHAPTERS = {f"{number:02d}": 2 for number in range(1, 15)}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_six_exercises_each_titled_with_its_tier(path):
    exercises = list(read_chapter(path).exercises.values())
    assert len(exercises) >= MIN_EXERCISES, f"{path.stem}: {len(exercises)} exercises"
    untitled = [e.label for e in exercises if e.tier not in TIERS]
    assert not untitled, f"{path.stem}: exercises without a tier title: {untitled}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_model_exercises_are_graded_by_comparing_models(path):
    chapter = read_chapter(path)
    models = [e for e in chapter.exercises.values() if e.tier == "Model"]
    assert len(models) >= MODEL_CHAPTERS.get(path.stem[:2], 0), f"{path.stem}: {len(models)} Model exercises"
    for exercise in models:
        checks = "\n".join(
            chapter.notebook.cells[k].source for k in exercise.public_checks + exercise.hidden_checks
        )
        assert exercise.graded and "check_model(" in checks, (
            f"{path.stem}: {exercise.label} is a Model exercise but no check compares the reader's model "
            "with a reference by check_model"
        )
