"""Builders for the growing model: group-level predictors, varying slopes, nested levels.

Structure and errors are checked on built (never sampled) models. Recovery is checked on three
simulated regions whose truth the model can express exactly, each fitted once per module with a
fixed seed; a check passes when the truth lies in the central 99% posterior interval, which with
4,000 draws is far wider than the Monte Carlo error of its end points.
"""

import numpy as np
import pandas as pd
import pytest

from hlmkit import (
    check_convergence,
    group_mean_center,
    group_predictors_model,
    group_table,
    level_sds,
    nested_model,
    partial_pooling_model,
    posterior_draws,
    sample,
    simulate_literacy,
    variance_partition,
    varying_slopes_model,
)
from tests.conftest import EVALUATE_ONLY

PUPIL = ["grade_c", "ses_within"]
SCHOOL = ["ses_mean", "private", "suburban", "rural"]


def _prepare(region):
    students = region.students.assign(
        grade_c=lambda d: d["grade"] - region.params["reference_grade"],
        private=lambda d: (d["sector"] == "private").astype(int),
        suburban=lambda d: (d["locale"] == "suburban").astype(int),
        rural=lambda d: (d["locale"] == "rural").astype(int),
    )
    students = group_mean_center(students, "ses", "school")
    students["ses_mean"] = students.groupby("school")["ses"].transform("mean")
    return students


@pytest.fixture(scope="module")
def students(region):
    return _prepare(region)


def _free(model):
    return sorted(v.name for v in model.free_RVs)


def _interval(draws, prob=0.99):
    tail = (1 - prob) / 2
    return np.quantile(draws, tail, axis=0), np.quantile(draws, 1 - tail, axis=0)


def _covers(draws, value, prob=0.99):
    low, high = _interval(draws, prob)
    return bool(np.all((low < value) & (value < high)))


# ---------------------------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------------------------


def test_group_predictors_model_structure(students):
    model = group_predictors_model(students, "literacy", "school", SCHOOL, PUPIL)
    assert _free(model) == ["alpha", "beta", "gamma", "mu", "sigma", "tau"]
    assert model.named_vars_to_dims["gamma"] == ("group_predictor",)
    assert model.named_vars_to_dims["alpha_pred"] == ("school",)
    assert list(model.coords["group_predictor"]) == SCHOOL
    # The group-level data are one row per school, in the order of the school coords.
    expected = group_table(students, "school", SCHOOL).loc[list(model.coords["school"])].to_numpy(float)
    np.testing.assert_allclose(model["w"].get_value(), expected)
    noncentered = group_predictors_model(students, "literacy", "school", SCHOOL, PUPIL, parameterization="noncentered")
    assert "z" in _free(noncentered) and "alpha" not in _free(noncentered)


def test_group_predictors_model_without_group_predictors_is_the_varying_intercept_model(students):
    model = group_predictors_model(students, "literacy", "school", [], PUPIL)
    assert _free(model) == ["alpha", "beta", "mu", "sigma", "tau"]
    assert "group_predictor" not in model.coords and "alpha_pred" not in model.named_vars


def test_varying_slopes_model_structure(students):
    model = varying_slopes_model(students, "literacy", "school", ["ses_within"], ["grade_c"], intercepts="noncentered")
    assert list(model.coords["effect"]) == ["intercept", "ses_within"]
    assert model.named_vars_to_dims["slope"] == ("school", "varying")
    assert model.named_vars_to_dims["tau"] == ("effect",)
    assert model.named_vars_to_dims["corr"] == ("effect", "effect_bis")
    assert model.named_vars_to_dims["z"] == ("school", "effect")
    assert {"tau", "chol_corr"} <= set(_free(model))
    centred = varying_slopes_model(students, "literacy", "school", ["ses_within"], ["grade_c"], intercepts="centered")
    assert "alpha" in _free(centred)
    assert centred.named_vars_to_dims["z"] == ("school", "varying")
    with_w = varying_slopes_model(students, "literacy", "school", ["ses_within"], group_predictors=["ses_mean"])
    assert {"gamma", "alpha_pred"} <= set(with_w.named_vars)


def test_nested_model_structure_and_names(students):
    model = nested_model(
        students,
        "literacy",
        ["state", "county", "school"],
        PUPIL,
        group_predictors=SCHOOL,
        parameterization={"school": "centered"},
    )
    assert list(model.coords["level"]) == ["state", "county", "school"]
    assert model.named_vars_to_dims["tau"] == ("level",)
    for level in ["state", "county", "school"]:
        assert model.named_vars_to_dims[f"effect_{level}"] == (level,)
    assert model.named_vars_to_dims["alpha"] == ("school",)
    assert model.named_vars_to_dims["alpha_county"] == ("county",)
    assert {"z_state", "z_county", "alpha"} <= set(_free(model)) and "z_school" not in _free(model)


def test_nested_model_puts_each_school_under_its_own_county_and_state(students):
    model = nested_model(students, "literacy", ["state", "county", "school"], PUPIL, parameterization="noncentered")
    point = model.initial_point()
    point = {k: np.zeros_like(v) for k, v in point.items()}
    point["mu"] = np.array(500.0)
    point["tau_log__"] = np.log(np.array([2.0, 3.0, 5.0]))
    states, counties = list(model.coords["state"]), list(model.coords["county"])
    point["z_state"][states.index("State B")] = 1.0  # + 2 points for State B
    point["z_county"][counties.index("County A01")] = 1.0  # + 3 points for County A01
    (alpha_of_values,) = model.replace_rvs_by_values([model["alpha"]])
    alpha_of = model.compile_fn(alpha_of_values, inputs=model.value_vars, on_unused_input="ignore", mode=EVALUATE_ONLY)
    alpha = alpha_of(point)
    schools = pd.Series(alpha, index=list(model.coords["school"]))
    lookup = students.groupby("school")[["county", "state"]].first().loc[schools.index]
    expected = 500.0 + 2.0 * (lookup["state"] == "State B") + 3.0 * (lookup["county"] == "County A01")
    np.testing.assert_allclose(schools, expected)


@pytest.mark.parametrize("builder", ["partial_pooling", "group_predictors", "varying_slopes", "nested"])
def test_sufficient_statistics_give_the_same_log_posterior(students, builder):
    if builder == "partial_pooling":
        def build(**kw):
            return partial_pooling_model(students, "literacy", "school", PUPIL, parameterization="noncentered", **kw)
    elif builder == "group_predictors":
        def build(**kw):
            return group_predictors_model(students, "literacy", "school", SCHOOL, PUPIL, **kw)
    elif builder == "varying_slopes":

        def build(**kw):
            return varying_slopes_model(
                students, "literacy", "school", ["ses_within", "grade_c"], ["ses"], group_predictors=["ses_mean"], **kw
            )
    else:

        def build(**kw):
            return nested_model(
                students,
                "literacy",
                ["state", "county", "school"],
                PUPIL,
                group_predictors=SCHOOL,
                parameterization={"county": "centered"},
                **kw,
            )

    rows, sums = build(), build(sufficient_statistics=True)
    assert "y" in rows.named_vars and "y" not in sums.named_vars and "loglik" in sums.named_vars
    assert "obs" not in sums.coords
    logp_rows, logp_sums = rows.compile_logp(mode=EVALUATE_ONLY), sums.compile_logp(mode=EVALUATE_ONLY)
    rng = np.random.default_rng(0)
    for _ in range(3):
        point = {k: v + rng.normal(0.0, 0.5, size=np.shape(v)) for k, v in rows.initial_point().items()}
        assert logp_sums(point) == pytest.approx(logp_rows(point), rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_group_predictor_errors(students):
    with pytest.raises(ValueError, match=r"vary within 'school'"):
        group_predictors_model(students, "literacy", "school", ["ses"], ["grade_c"])
    with pytest.raises(ValueError, match="same value in every school"):
        group_predictors_model(students.assign(one=1), "literacy", "school", ["one"])
    with pytest.raises(ValueError, match="one role"):
        group_predictors_model(students, "literacy", "school", ["ses_mean"], ["ses_mean"])
    with pytest.raises(TypeError, match="'locale' must be numeric"):
        group_predictors_model(students, "literacy", "school", ["locale"])
    with pytest.raises(ValueError, match="parameterization"):
        group_predictors_model(students, "literacy", "school", SCHOOL, parameterization="sideways")
    with pytest.raises(TypeError, match="sufficient_statistics"):
        group_predictors_model(students, "literacy", "school", SCHOOL, sufficient_statistics="yes")
    with pytest.raises(ValueError, match="name the model uses"):
        group_predictors_model(students.rename(columns={"school": "level"}), "literacy", "level", SCHOOL)


def test_varying_slopes_errors(students):
    with pytest.raises(ValueError, match="`varying` is empty"):
        varying_slopes_model(students, "literacy", "school", [])
    with pytest.raises(ValueError, match="both `varying` and `predictors`"):
        varying_slopes_model(students, "literacy", "school", ["ses_within"], ["ses_within"])
    with pytest.raises(ValueError, match="`eta` must be a finite positive"):
        varying_slopes_model(students, "literacy", "school", ["ses_within"], eta=-1.0)
    with pytest.raises(ValueError, match="`intercepts`"):
        varying_slopes_model(students, "literacy", "school", ["ses_within"], intercepts="both")
    two_schools = students[students["school"].isin(["School 001", "School 002"])]
    with pytest.raises(ValueError, match="at least three groups"):
        varying_slopes_model(two_schools, "literacy", "school", ["ses_within"])
    with pytest.raises(KeyError, match="nope"):
        varying_slopes_model(students, "literacy", "school", ["nope"])


def test_nested_errors(students):
    crossed = students.assign(county=np.where(students.index % 2 == 0, "North", "South"))
    with pytest.raises(ValueError, match="not nested"):
        nested_model(crossed, "literacy", ["county", "school"])
    with pytest.raises(ValueError, match="at least two groups"):
        nested_model(students.assign(country="Here"), "literacy", ["country", "school"])
    with pytest.raises(ValueError, match="not in `levels`"):
        nested_model(students, "literacy", ["county", "school"], parameterization={"state": "centered"})
    with pytest.raises(ValueError, match="one of"):
        nested_model(students, "literacy", ["county", "school"], parameterization={"county": "upside-down"})
    with pytest.raises(ValueError, match="`levels` is empty"):
        nested_model(students, "literacy", [])
    with pytest.raises(ValueError, match="one role"):
        nested_model(students, "literacy", ["county", "school"], ["grade_c"], group_predictors=["county"])


# ---------------------------------------------------------------------------------------------
# Recovery of known truth
# ---------------------------------------------------------------------------------------------

#: Regions where each model is exactly right: only the levels and effects the model has are on.
ONLY_SCHOOLS = {"tau_state": 0.0, "tau_county": 0.0, "suburban_effect": 0.0, "rural_effect": 0.0, "beta_mean_ses": 0.0}


@pytest.fixture(scope="module")
def slopes_fit():
    """About 120 schools of ~40 pupils whose SES slopes vary a lot (sd 8) and correlate (-0.6)
    with their intercepts: a correlation that 120 noisy pairs can pin down to about +-0.1."""
    region = simulate_literacy(
        seed=5,
        n_states=3,
        counties_per_state=5,
        schools_per_county=8,
        median_school_size=40,
        slope_sd=8.0,
        slope_corr=-0.6,
        private_share=0.0,
        **ONLY_SCHOOLS,
    )
    students = region.students.assign(grade_c=lambda d: d["grade"] - region.params["reference_grade"])
    model = varying_slopes_model(
        students, "literacy", "school", ["ses"], ["grade_c"], intercepts="centered", sufficient_statistics=True
    )
    return region, students, model, sample(model, seed=5, progressbar=False)


def test_varying_slopes_recover_slopes_sds_and_correlation(slopes_fit):
    region, _, model, idata = slopes_fit
    check_convergence(idata, ["mu", "mu_slope", "tau", "corr", "sigma", "beta"])
    schools = region.schools.set_index("school").loc[list(model.coords["school"])]
    # The model's intercept at SES 0 and grade 6 is the simulation's true intercept.
    true_intercept, true_slope = schools["true_intercept"], schools["true_ses_slope"]
    tau = posterior_draws(idata, "tau")
    assert _covers(posterior_draws(idata, "mu_slope")[:, 0], true_slope.mean())
    assert _covers(tau[:, 0], true_intercept.std())
    assert _covers(tau[:, 1], true_slope.std())
    assert _covers(posterior_draws(idata, "corr")[:, 0, 1], np.corrcoef(true_intercept, true_slope)[0, 1])
    assert _covers(posterior_draws(idata, "sigma"), region.params["sigma"])


def test_partial_pooling_slopes_beat_each_schools_own_slope(slopes_fit):
    region, students, model, idata = slopes_fit
    order = list(model.coords["school"])
    truth = region.schools.set_index("school").loc[order, "true_ses_slope"]
    beta_grade = posterior_draws(idata, "beta").mean()
    own = []
    for school in order:
        rows = students[students["school"] == school]
        own.append(np.polyfit(rows["ses"], rows["literacy"] - beta_grade * rows["grade_c"], 1)[0])
    pooled = posterior_draws(idata, "slope")[:, :, 0].mean(axis=0)
    rmse_own = np.sqrt(np.mean((np.array(own) - truth) ** 2))
    rmse_pooled = np.sqrt(np.mean((pooled - truth) ** 2))
    assert rmse_pooled < 0.8 * rmse_own


@pytest.fixture(scope="module")
def school_predictors_fit():
    """About 200 schools whose intercepts depend on sector and locale (effects 10, 20, -15)."""
    region = simulate_literacy(
        seed=6,
        n_states=4,
        counties_per_state=6,
        schools_per_county=8,
        median_school_size=30,
        private_share=0.3,
        private_effect=10.0,
        slope_sd=0.0,
        **{**ONLY_SCHOOLS, "suburban_effect": 20.0, "rural_effect": -15.0},
    )
    students = _prepare(region)
    model = group_predictors_model(
        students, "literacy", "school", ["private", "suburban", "rural"], ["grade_c", "ses"], sufficient_statistics=True
    )
    return region, sample(model, seed=6, progressbar=False)


def test_group_predictors_recover_school_level_effects_and_tau(school_predictors_fit):
    region, idata = school_predictors_fit
    check_convergence(idata, ["mu", "gamma", "tau", "sigma", "beta"])
    params = region.params
    gamma = posterior_draws(idata, "gamma")
    assert _covers(gamma, np.array([params["private_effect"], params["suburban_effect"], params["rural_effect"]]))
    assert _covers(posterior_draws(idata, "tau"), params["tau_school"])
    assert _covers(posterior_draws(idata, "beta"), np.array([params["beta_grade"], params["beta_ses"]]))


@pytest.fixture(scope="module")
def nested_fit():
    """Ten states of six counties of about six schools: every level has units enough to learn its sd."""
    region = simulate_literacy(
        seed=7,
        n_states=10,
        counties_per_state=6,
        schools_per_county=6,
        median_school_size=40,
        tau_state=12.0,
        tau_county=8.0,
        tau_school=8.0,
        suburban_effect=0.0,
        rural_effect=0.0,
        beta_mean_ses=0.0,
        private_share=0.0,
        slope_sd=0.0,
    )
    students = region.students.assign(grade_c=lambda d: d["grade"] - region.params["reference_grade"])
    model = nested_model(
        students,
        "literacy",
        ["state", "county", "school"],
        ["grade_c", "ses"],
        parameterization="centered",
        sufficient_statistics=True,
    )
    return region, sample(model, seed=7, progressbar=False)


def test_nested_model_recovers_the_sd_of_every_level(nested_fit):
    region, idata = nested_fit
    check_convergence(idata, ["mu", "tau", "sigma", "beta"])
    params = region.params
    tau = posterior_draws(idata, "tau")
    assert _covers(tau, np.array([params["tau_state"], params["tau_county"], params["tau_school"]]))
    assert _covers(posterior_draws(idata, "sigma"), params["sigma"])


def test_fitted_variance_partition_matches_the_truth(nested_fit):
    region, idata = nested_fit
    params = region.params
    fitted = variance_partition(level_sds(idata), prob=0.99)
    truth = variance_partition(
        {
            "state": params["tau_state"],
            "county": params["tau_county"],
            "school": params["tau_school"],
            "student": params["sigma"],
        }
    )
    assert list(fitted.index) == list(truth.index)
    assert fitted["share"].sum() == pytest.approx(1.0)
    assert ((fitted["share_lower"] < truth["share"]) & (truth["share"] < fitted["share_upper"])).all()
    groups = truth.index[:-1]
    assert (
        (fitted.loc[groups, "icc_lower"] < truth.loc[groups, "icc"])
        & (truth.loc[groups, "icc"] < fitted.loc[groups, "icc_upper"])
    ).all()


def test_sufficient_statistics_cost_memory_in_groups_not_rows_times_groups():
    """The per-group sums are bincounts: a dense rows x groups indicator (here 320 MB) is never built."""
    import tracemalloc

    rng = np.random.default_rng(0)
    rows, groups = 20_000, 2_000
    data = pd.DataFrame({"g": rng.integers(0, groups, rows), "y": rng.normal(size=rows), "x": rng.normal(size=rows)})
    data["w"] = data["g"] % 2
    tracemalloc.start()
    try:
        group_predictors_model(data, "y", "g", ["w"], ["x"], sufficient_statistics=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * rows * groups * 8  # a tenth of the dense indicator matrix; measured ~4 MB
