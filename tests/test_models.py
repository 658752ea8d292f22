"""Model builders: variables, dims and coords of each pooling strategy, and their input checks.

Building a model is cheap (no sampling, no compilation), so these tests build many.
"""

import numpy as np
import pandas as pd
import pytest

from hlmkit import complete_pooling_model, no_pooling_model, partial_pooling_model
from tests.conftest import EVALUATE_ONLY

PREDICTORS = ["grade_c", "ses"]


@pytest.fixture(scope="module")
def students(region):
    """The default region's students with grade centred at the reference grade."""
    return region.students.assign(grade_c=region.students["grade"] - region.params["reference_grade"])


def _free(model):
    return sorted(v.name for v in model.free_RVs)


def _deterministics(model):
    return sorted(v.name for v in model.deterministics)


def test_complete_pooling_variables_and_dims(students):
    model = complete_pooling_model(students, "literacy", PREDICTORS)
    assert _free(model) == ["alpha", "beta", "sigma"]
    assert model.named_vars_to_dims["beta"] == ("predictor",)
    assert model.named_vars_to_dims["y"] == ("obs",)
    assert "alpha" not in model.named_vars_to_dims  # one intercept, no dims
    assert list(model.coords["predictor"]) == PREDICTORS
    assert len(model.coords["obs"]) == len(students)
    assert [v.name for v in model.observed_RVs] == ["y"]


def test_no_predictors_means_no_slopes(students):
    model = complete_pooling_model(students, "literacy")
    assert _free(model) == ["alpha", "sigma"]
    assert "predictor" not in model.coords


def test_a_single_predictor_may_be_a_string(students):
    model = complete_pooling_model(students, "literacy", "ses")
    assert list(model.coords["predictor"]) == ["ses"]


def test_no_pooling_variables_dims_and_coords(students):
    model = no_pooling_model(students, "literacy", "school", PREDICTORS)
    assert _free(model) == ["alpha", "beta", "sigma"]
    assert model.named_vars_to_dims["alpha"] == ("school",)
    assert list(model.coords["school"]) == sorted(students["school"].unique())
    assert list(model.coords["predictor"]) == PREDICTORS
    # Each row's code points at its own school's label.
    codes = model["school_code"].get_value()
    np.testing.assert_array_equal(np.asarray(model.coords["school"])[codes], students["school"].to_numpy())


def test_partial_pooling_noncentered(students):
    model = partial_pooling_model(students, "literacy", "school", PREDICTORS, parameterization="noncentered")
    assert _free(model) == ["beta", "mu", "sigma", "tau", "z"]
    assert _deterministics(model) == ["alpha"]
    assert model.named_vars_to_dims["z"] == ("school",)
    assert model.named_vars_to_dims["alpha"] == ("school",)
    assert model.named_vars_to_dims["beta"] == ("predictor",)
    assert list(model.coords["school"]) == sorted(students["school"].unique())


def test_partial_pooling_centered(students):
    model = partial_pooling_model(students, "literacy", "school", PREDICTORS, parameterization="centered")
    assert _free(model) == ["alpha", "beta", "mu", "sigma", "tau"]
    assert _deterministics(model) == []
    assert model.named_vars_to_dims["alpha"] == ("school",)


@pytest.mark.parametrize("parameterization", ["noncentered", "centered"])
def test_partial_pooling_log_density_is_finite_at_the_initial_point(students, parameterization):
    model = partial_pooling_model(students, "literacy", "school", PREDICTORS, parameterization=parameterization)
    logps = model.point_logps(mode=EVALUATE_ONLY)
    assert set(logps) == {v.name for v in model.free_RVs} | {"y"}
    assert all(np.isfinite(value) for value in logps.values())


def test_numeric_group_labels_are_sorted_numerically():
    df = pd.DataFrame({"county": [85, 1, 1, 85, 7], "y": [1.0, 2.0, 3.0, 4.0, 6.0]})
    model = partial_pooling_model(df, "y", "county")
    assert list(model.coords["county"]) == [1, 7, 85]


def test_a_group_with_one_observation_is_allowed(students):
    lonely = students.iloc[[0]].assign(school="School 999")
    data = pd.concat([students, lonely], ignore_index=True)
    for build in (no_pooling_model, partial_pooling_model):
        model = build(data, "literacy", "school", PREDICTORS)
        assert "School 999" in list(model.coords["school"])


def test_builders_do_not_change_the_callers_frame(students):
    data = students.iloc[::-1].copy()  # unsorted, with a non-default index
    before = data.copy()
    complete_pooling_model(data, "literacy", PREDICTORS)
    no_pooling_model(data, "literacy", "school", PREDICTORS)
    partial_pooling_model(data, "literacy", "school", PREDICTORS)
    partial_pooling_model(data, "literacy", "school", PREDICTORS, parameterization="centered")
    pd.testing.assert_frame_equal(data, before)


def test_the_outcome_is_observed_in_row_order(students):
    data = students.sample(frac=1.0, random_state=3)
    model = partial_pooling_model(data, "literacy", "school", PREDICTORS)
    np.testing.assert_array_equal(model.rvs_to_values[model["y"]].data, data["literacy"].to_numpy())


# --- bad input ----------------------------------------------------------------------------------

BUILDERS = {
    "complete": lambda data, **kw: complete_pooling_model(data, "literacy", **kw),
    "no": lambda data, **kw: no_pooling_model(data, "literacy", "school", **kw),
    "partial": lambda data, **kw: partial_pooling_model(data, "literacy", "school", **kw),
}


@pytest.fixture(scope="module")
def small(students):
    return students.groupby("school").head(3).reset_index(drop=True)


@pytest.mark.parametrize("builder", BUILDERS)
def test_unknown_column_is_named(small, builder):
    with pytest.raises(KeyError, match=r"\['grade_centred'\] not found in `data`"):
        BUILDERS[builder](small, predictors=["grade_centred"])


@pytest.mark.parametrize("builder", BUILDERS)
def test_missing_outcome_value_is_an_error(small, builder):
    data = small.copy()
    data.loc[4, "literacy"] = np.nan
    with pytest.raises(ValueError, match="outcome column 'literacy' has 1 missing or infinite value.*rows: \\[4\\]"):
        BUILDERS[builder](data)


@pytest.mark.parametrize("builder", BUILDERS)
def test_text_in_a_numeric_predictor_is_a_type_error(small, builder):
    data = small.assign(ses=small["ses"].astype(str))
    with pytest.raises(TypeError, match="predictor column 'ses' must be numeric"):
        BUILDERS[builder](data, predictors=["ses"])


@pytest.mark.parametrize("builder", BUILDERS)
def test_empty_frame_is_an_error(small, builder):
    with pytest.raises(ValueError, match="empty"):
        BUILDERS[builder](small.iloc[:0])


@pytest.mark.parametrize("builder", BUILDERS)
def test_outcome_listed_as_predictor_is_an_error(small, builder):
    with pytest.raises(ValueError, match="must be different columns"):
        BUILDERS[builder](small, predictors=["ses", "literacy"])


@pytest.mark.parametrize("builder", BUILDERS)
def test_constant_predictor_is_an_error(small, builder):
    with pytest.raises(ValueError, match=r"Predictor\(s\) \['one'\] are constant"):
        BUILDERS[builder](small.assign(one=1.0), predictors=["ses", "one"])


@pytest.mark.parametrize("builder", BUILDERS)
def test_predictor_listed_twice_is_an_error(small, builder):
    with pytest.raises(ValueError, match="lists a column twice"):
        BUILDERS[builder](small, predictors=["ses", "ses"])


@pytest.mark.parametrize("builder", BUILDERS)
def test_not_a_frame_is_a_type_error(small, builder):
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        BUILDERS[builder](small.to_dict("list"))


def test_constant_outcome_is_an_error(small):
    with pytest.raises(ValueError, match="outcome 'literacy' is constant"):
        complete_pooling_model(small.assign(literacy=500.0), "literacy")


@pytest.mark.parametrize("builder", [no_pooling_model, partial_pooling_model])
def test_group_column_checks(small, builder):
    with pytest.raises(ValueError, match="must be different columns"):
        builder(small, "literacy", "school", ["school"])
    with pytest.raises(KeyError, match=r"\['classroom'\] not found"):
        builder(small, "literacy", "classroom")
    data = small.copy()
    data.loc[2, "school"] = None
    with pytest.raises(ValueError, match="group column 'school' has 1 missing value"):
        builder(data, "literacy", "school")


@pytest.mark.parametrize("name", ["obs", "predictor", "alpha", "z"])
def test_group_named_like_a_model_dim_or_variable_is_an_error(small, name):
    # Such a group's coords would overwrite the model's own ("obs": a 5-row likelihood with
    # 3 coordinate labels) or clash with a variable, failing only after sampling, obscurely.
    data = small.rename(columns={"school": name})
    for builder in (no_pooling_model, partial_pooling_model):
        with pytest.raises(ValueError, match=f"group column '{name}' has a name the model uses.*Rename it"):
            builder(data, "literacy", name, ["ses"])


def test_partial_pooling_needs_two_groups(small):
    one_school = small[small["school"] == small["school"].iloc[0]]
    with pytest.raises(ValueError, match="at least two groups.*complete_pooling_model"):
        partial_pooling_model(one_school, "literacy", "school")
    # No pooling of a single group is just a regression with one intercept: allowed.
    assert list(no_pooling_model(one_school, "literacy", "school").coords["school"]) == [one_school["school"].iloc[0]]


def test_unknown_parameterization(small):
    with pytest.raises(ValueError, match="`parameterization` must be one of .*'noncentred'"):
        partial_pooling_model(small, "literacy", "school", parameterization="noncentred")
