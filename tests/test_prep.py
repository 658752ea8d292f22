"""Centring helpers: the identities they promise, that they leave the caller's data alone, and their errors."""

import numpy as np
import pandas as pd
import pytest

from hlmkit import add_group_means, encode_groups, grand_mean_center, group_mean_center, group_table


@pytest.fixture(scope="module")
def students(region):
    """The default region's students (about 120 schools, unequal sizes)."""
    return region.students


def test_grand_mean_center_moves_the_zero_only(students):
    out = grand_mean_center(students, ["ses", "grade"])
    assert abs(out["ses_c"].mean()) < 1e-12 and abs(out["grade_c"].mean()) < 1e-12
    # A constant shift: differences between any two rows are unchanged.
    np.testing.assert_allclose(out["ses_c"] - students["ses"], (out["ses_c"] - students["ses"]).iloc[0])


def test_group_mean_center_sums_to_zero_within_every_group(students):
    out = group_mean_center(students, "ses", "school")
    assert out.groupby("school")["ses_within"].sum().abs().max() < 1e-9
    # Deviation + group mean gives back the original value.
    means = students.groupby("school")["ses"].transform("mean")
    np.testing.assert_allclose(out["ses_within"] + means, students["ses"])


def test_add_group_means_is_constant_within_groups_and_centres_over_groups(students):
    out = add_group_means(students, "ses", "school")
    assert out.groupby("school")["ses_mean"].nunique().max() == 1
    expected = students.groupby("school")["ses"].mean()
    np.testing.assert_allclose(out.groupby("school")["ses_mean"].first(), expected)
    centred = add_group_means(students, "ses", "school", center=True)
    # Centred over groups (each school counted once), not over students.
    assert abs(centred.groupby("school")["ses_mean"].first().mean()) < 1e-12
    np.testing.assert_allclose(centred["ses_mean"] - out["ses_mean"], -expected.mean())


def test_within_plus_mean_recovers_grand_centred_up_to_a_constant(students):
    out = add_group_means(
        group_mean_center(grand_mean_center(students, "ses"), "ses", "school"), "ses", "school", center=True
    )
    shift = out["ses_c"] - out["ses_within"] - out["ses_mean"]
    assert shift.max() - shift.min() < 1e-9


def test_helpers_leave_the_callers_frame_unchanged(students):
    before = students.copy()
    grand_mean_center(students, "ses")
    group_mean_center(students, "ses", "school")
    add_group_means(students, "ses", "school", center=True)
    group_table(students, "school", ["sector", "locale"])
    pd.testing.assert_frame_equal(students, before)


def test_group_table_is_in_encode_groups_order_and_checks_constancy(students):
    table = group_table(students, "school", ["sector", "locale"])
    assert list(table.index) == list(encode_groups(students, "school").labels)
    assert table.index.name == "school"
    with pytest.raises(ValueError, match=r"vary within 'school'.*'ses'"):
        group_table(students, "school", ["sector", "ses"])


def test_a_single_column_may_be_a_string():
    df = pd.DataFrame({"g": ["a", "a", "b"], "x": [1.0, 3.0, 5.0]})
    assert "x_c" in grand_mean_center(df, "x").columns
    assert group_table(df.assign(w=[1, 1, 2]), "g", "w")["w"].tolist() == [1, 2]


def test_errors_name_the_problem():
    df = pd.DataFrame({"g": ["a", "a", "b"], "x": [1.0, 3.0, 5.0], "label": ["p", "q", "r"]})
    with pytest.raises(KeyError, match="missing"):
        grand_mean_center(df, "missing")
    with pytest.raises(TypeError, match="'label' must be numeric"):
        group_mean_center(df, "label", "g")
    with pytest.raises(ValueError, match="already exist"):
        grand_mean_center(df.assign(x_c=0.0), "x")
    assert grand_mean_center(df.assign(x_c=0.0), "x", overwrite=True)["x_c"].tolist() == [-2.0, 0.0, 2.0]
    with pytest.raises(ValueError, match="cannot also be centred"):
        group_mean_center(df, ["x", "g"], "g")
    with pytest.raises(ValueError, match="missing or infinite"):
        add_group_means(df.assign(x=[1.0, np.nan, 2.0]), "x", "g")
    with pytest.raises(ValueError, match="missing value"):
        group_mean_center(df.assign(g=["a", None, "b"]), "x", "g")
    with pytest.raises(ValueError, match="lists a column twice"):
        grand_mean_center(df, ["x", "x"])
    with pytest.raises(ValueError, match="suffix"):
        grand_mean_center(df, "x", suffix="")
    with pytest.raises(TypeError, match="DataFrame"):
        grand_mean_center(df.to_dict(), "x")
