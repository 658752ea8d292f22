"""Grouping columns as integer codes and nesting."""

import numpy as np
import pandas as pd
import pytest

from hlmkit import encode_groups, parent_codes


def test_codes_round_trip_to_labels(region):
    index = encode_groups(region.students, "school")
    np.testing.assert_array_equal(index.decode(index.codes), region.students["school"].to_numpy())
    assert index.codes.min() == 0 and index.codes.max() == index.n_groups - 1
    assert index.coords == {"school": sorted(region.students["school"].unique())}
    assert index.sizes.sum() == len(region.students)


def test_codes_do_not_depend_on_row_order():
    df = pd.DataFrame({"g": ["b", "a", "c", "a"]})
    shuffled = df.iloc[[3, 2, 1, 0]]
    assert encode_groups(df, "g").coords == encode_groups(shuffled, "g").coords


def test_numeric_group_labels_are_kept():
    index = encode_groups(pd.DataFrame({"county": [85, 1, 1]}), "county")
    assert index.coords == {"county": [1, 85]}


def test_parent_codes_follow_the_nesting(region):
    students = region.students
    school_to_county = parent_codes(students, "school", "county")
    schools = encode_groups(students, "school").labels
    counties = encode_groups(students, "county").labels
    truth = region.schools.set_index("school").loc[schools, "county"].to_numpy()
    np.testing.assert_array_equal(counties.to_numpy()[school_to_county], truth)


def test_crossed_groups_are_rejected_with_advice():
    df = pd.DataFrame({"school": ["s1", "s1", "s2"], "county": ["north", "south", "south"]})
    with pytest.raises(ValueError, match="'school' is not nested in 'county'.*s1"):
        parent_codes(df, "school", "county")


@pytest.mark.parametrize(
    ("data", "column", "error", "match"),
    [
        (pd.DataFrame({"g": ["a", None]}), "g", ValueError, "'g' has 1 missing"),
        (pd.DataFrame({"g": ["a"]}), "school", KeyError, "school.*not found.*Available columns"),
        (pd.DataFrame({"g": []}), "g", ValueError, "empty"),
        ([("a",)], "g", TypeError, "DataFrame"),
    ],
)
def test_encode_groups_bad_input(data, column, error, match):
    with pytest.raises(error, match=match):
        encode_groups(data, column)
