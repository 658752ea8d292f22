"""Scoring estimates against the truth: size bands and the scoreboard."""

import numpy as np
import pandas as pd
import pytest

from hlmkit import SIZE_BANDS, scoreboard, size_band

LABELS = [label for _, label in SIZE_BANDS]


# --- size_band ----------------------------------------------------------------------------------


def test_size_band_upper_bounds_are_inclusive():
    sizes = [5, 15, 16, 40, 41, 100, 101, 5000]
    bands = size_band(sizes)
    assert list(bands) == [LABELS[0], LABELS[0], LABELS[1], LABELS[1], LABELS[2], LABELS[2], LABELS[3], LABELS[3]]
    assert bands.ordered
    assert list(bands.categories) == LABELS


def test_size_band_accepts_a_series_and_custom_bands():
    bands = size_band(pd.Series([1, 2, 3, 10]), bands=[(2, "few"), (np.inf, "many")])
    assert list(bands) == ["few", "few", "many", "many"]
    assert bands.min() == "few" and bands.max() == "many"  # ordered: few < many


@pytest.mark.parametrize(
    ("sizes", "bands", "match"),
    [
        ([10, 0], SIZE_BANDS, "must be positive"),
        ([10, -3], SIZE_BANDS, "must be positive"),
        ([10, np.nan], SIZE_BANDS, "must be positive"),
        ([10], [(40, "b"), (15, "a")], "increasing bounds"),
        ([10], [(15, "a"), (15, "b")], "increasing bounds"),
        ([10], [], "non-empty"),
        ([10, 200], [(15, "a"), (100, "b")], "exceeds the last band's upper bound 100"),
    ],
)
def test_size_band_bad_input(sizes, bands, match):
    with pytest.raises(ValueError, match=match):
        size_band(sizes, bands)


# --- scoreboard ---------------------------------------------------------------------------------


@pytest.fixture
def example():
    truth = pd.Series({"a": 0.0, "b": 1.0, "c": 2.0})
    sizes = pd.Series({"c": 200, "a": 10, "b": 12})  # a, b tiny; c large
    estimates = {
        "x": pd.Series({"c": 5.0, "a": 1.0, "b": 1.0}),  # errors 1, 0, 3
        "y": pd.Series({"a": 0.0, "b": 3.0, "c": 2.0, "extra school": 99.0}),  # errors 0, 2, 0
    }
    return estimates, truth, sizes


def test_scoreboard_by_hand(example):
    board = scoreboard(*example)
    assert board.index.tolist() == ["x", "y", "schools"]
    # Only bands that hold a school, in size order, then overall.
    assert board.columns.tolist() == [LABELS[0], LABELS[3], "overall"]
    tiny, large = LABELS[0], LABELS[3]
    exact = {"rel": 1e-12}
    assert board.loc["x", tiny] == pytest.approx(np.sqrt((1**2 + 0**2) / 2), **exact)
    assert board.loc["x", large] == pytest.approx(3.0, **exact)
    assert board.loc["x", "overall"] == pytest.approx(np.sqrt((1 + 0 + 9) / 3), **exact)
    assert board.loc["y", tiny] == pytest.approx(np.sqrt(2.0), **exact)
    assert board.loc["y", large] == pytest.approx(0.0, abs=1e-12)
    # A school outside the truth is ignored, not scored.
    assert board.loc["y", "overall"] == pytest.approx(np.sqrt(4 / 3), **exact)
    assert board.loc["schools"].tolist() == [2, 1, 3]


def test_scoreboard_overall_is_the_size_weighted_combination_of_bands(example):
    # Overall MSE is the count-weighted mean of the band MSEs: a consistency check between columns.
    board = scoreboard(*example)
    counts = board.loc["schools"].iloc[:-1]
    for strategy in ("x", "y"):
        band_mse = board.loc[strategy].iloc[:-1] ** 2
        overall_mse = float((band_mse * counts).sum() / counts.sum())
        assert board.loc[strategy, "overall"] ** 2 == pytest.approx(overall_mse, rel=1e-12)


def test_scoreboard_perfect_estimates_score_zero(example):
    _, truth, sizes = example
    board = scoreboard({"truth": truth.copy()}, truth, sizes)
    assert (board.loc["truth"] == 0).all()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda e, t, s: ({"x": e["x"].drop("b")}, t, s), r"Strategy 'x' has no estimate for group\(s\) \['b'\]"),
        (lambda e, t, s: ({}, t, s), "`estimates` is empty"),
        (lambda e, t, s: (e, t, s.drop("c")), r"`sizes` has no entry for group\(s\) \['c'\]"),
        (lambda e, t, s: (e, t.replace(1.0, np.nan), s), "`truth` has missing or infinite"),
        (lambda e, t, s: ({"x": e["x"].replace(5.0, np.inf)}, t, s), "'x' has missing or infinite estimates"),
    ],
)
def test_scoreboard_bad_input(example, change, match):
    with pytest.raises(ValueError, match=match):
        scoreboard(*change(*example))


def test_scoreboard_rejects_a_strategy_named_like_the_count_row():
    truth = pd.Series({"a": 0.0})
    with pytest.raises(ValueError, match="may not be called 'schools'"):
        scoreboard({"schools": truth}, truth, pd.Series({"a": 3}))
