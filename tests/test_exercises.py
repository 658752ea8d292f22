"""hlmkit.exercises: the checks a learner runs after each exercise pass with a tick or fail with the message."""

from __future__ import annotations

import numpy as np
import pytest

from hlmkit import CheckFailed, check, check_between


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


within = ...  # a module-level stub, as in a student's notebook (names a check reads are globals)


def test_an_unanswered_stub_is_named_even_where_numpy_would_raise_first():
    # Chapter 2's check ran np.isfinite(float(v)) on the answers: NumPy's TypeError for `...`
    # ("ufunc 'isfinite' not supported") hid the intended message.
    with pytest.raises(CheckFailed, match=r"still `\.\.\.`: `within` still holds the stub"):
        check(lambda: all(np.isfinite(v) for v in (within, 1.0)), "within should be a number")
    answer = 2.0
    with pytest.raises(CheckFailed, match=r"`within` still holds"):
        check_between(lambda: within, 0, 1, "within should lie between {low} and {high}")
    check(lambda: answer > 1, "a set answer beside the stub is checked as usual")


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
