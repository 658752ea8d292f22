"""Predictive checks and leave-one-out: statistics, the integrated likelihood, and LOO rankings.

The LOO ranking test samples the book's region (seed 2024) with two binomial models once per
module (a few seconds each: one row per school).
"""

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from arviz_stats import ELPDDataLOO
from scipy.special import logsumexp
from scipy.stats import binom, norm

from hlmkit import (
    add_log_likelihood,
    aggregate_binary,
    bernoulli_model,
    binomial_model,
    check_statistics,
    compare_models,
    group_loo,
    integrated_log_likelihood,
    pareto_k_table,
    posterior_predictive,
    predictive_draws,
    prior_predictive,
    rate_statistics,
    sample,
    simulate_literacy,
    student_loo,
)

BOOK_SEED = 2024


# --- integrated likelihood ---------------------------------------------------------------------


def _grid_reference(k, n, mu, tau):
    """Brute force: the integral on a fine grid over +-12 tau (trapezoid in log space)."""
    a = np.linspace(mu - 12 * tau, mu + 12 * tau, 200_001)
    step = a[1] - a[0]
    return np.array(
        [
            logsumexp(binom.logpmf(kk, nn, 1 / (1 + np.exp(-a))) + norm.logpdf(a, mu, tau)) + np.log(step)
            for kk, nn in zip(k, n, strict=True)
        ]
    )


@pytest.mark.parametrize(("mu", "tau"), [(0.2, 0.5), (-1.0, 1.5), (0.0, 3.0)])
def test_integrated_likelihood_matches_brute_force(mu, tau):
    """Adaptive quadrature agrees with a 200,001-point grid to 1e-5, for 0 of 4 up to 500 pupils."""
    k = np.array([0, 4, 3, 250, 0, 499, 1])
    n = np.array([4, 4, 10, 500, 30, 500, 1])
    np.testing.assert_allclose(integrated_log_likelihood(k, n, mu, tau), _grid_reference(k, n, mu, tau), atol=1e-5)


def test_integrated_likelihood_limits():
    k, n = np.array([0, 3, 12]), np.array([4, 10, 12])
    # tau = 0: the binomial probability at logit^-1(mu), exactly.
    np.testing.assert_allclose(
        np.exp(integrated_log_likelihood(k, n, 0.4, 0.0)), binom.pmf(k, n, 1 / (1 + np.exp(-0.4))), rtol=1e-12
    )
    # A tiny tau is continuous with tau = 0.
    np.testing.assert_allclose(
        integrated_log_likelihood(k, n, 0.4, 1e-6), integrated_log_likelihood(k, n, 0.4, 0.0), atol=1e-8
    )
    # One pupil: P(pass) = E[logit^-1(a)], and the two outcomes' probabilities sum to 1.
    both = np.exp(integrated_log_likelihood(np.array([0, 1]), np.array([1, 1]), 0.7, 1.3))
    assert both.sum() == pytest.approx(1.0, abs=1e-10)


def test_integrated_likelihood_broadcasts_over_draws():
    mu = np.zeros((2, 3))
    tau = np.full((2, 3), 0.5)
    assert integrated_log_likelihood(np.array([1, 2]), np.array([3, 4]), mu, tau).shape == (2, 3, 2)


@pytest.mark.parametrize(
    ("k", "n", "tau", "match"),
    [([5], [4], 1.0, "0 <= successes <= trials"), ([1.5], [4], 1.0, "whole numbers"), ([1], [4], -1.0, "non-negative")],
)
def test_integrated_likelihood_errors(k, n, tau, match):
    with pytest.raises(ValueError, match=match):
        integrated_log_likelihood(np.array(k), np.array(n), 0.0, tau)


# --- statistics ---------------------------------------------------------------------------------


def test_rate_statistics_by_hand_and_over_draws():
    k = np.array([0, 3, 5, 40])
    n = np.array([4, 6, 5, 80])
    stats = rate_statistics(k, n, small=10)
    assert float(stats["overall rate"]) == pytest.approx(48 / 95)
    assert float(stats["sd of school rates"]) == pytest.approx(np.std([0, 0.5, 1, 0.5], ddof=1))
    assert float(stats["sd of small-school rates"]) == pytest.approx(np.std([0, 0.5, 1], ddof=1))
    assert float(stats["share of small schools at 0% or 100%"]) == pytest.approx(2 / 3)
    many = rate_statistics(np.stack([k, n]), n, small=10)  # second "draw": every pupil passes
    assert many["overall rate"].tolist() == pytest.approx([48 / 95, 1.0])
    assert many["highest school rate"].tolist() == [1.0, 1.0]


def test_rate_statistics_errors():
    with pytest.raises(ValueError, match="last axis"):
        rate_statistics(np.array([1, 2]), np.array([3, 4, 5]))
    with pytest.raises(ValueError, match="successes <= trials"):
        rate_statistics(np.array([5, 1, 1]), np.array([4, 4, 4]))
    with pytest.raises(ValueError, match="Fewer than two schools"):
        rate_statistics(np.array([1, 2]), np.array([30, 40]), small=15)


def test_check_statistics_p_value_and_interval():
    values = np.arange(1000.0)
    table = check_statistics({"t": values}, {"t": 899.5})
    assert table.loc["t", "p_value"] == pytest.approx(0.1)
    assert table.loc["t", "lower"] == pytest.approx(np.quantile(values, 0.05))
    assert table.loc["t", "predicted"] == pytest.approx(499.5)
    # Ties count half: a statistic that can only equal or exceed the observed value is not flagged.
    assert check_statistics({"t": np.array([0.0, 0.0, 0.1, 0.2])}, {"t": 0.0}).loc["t", "p_value"] == 0.75
    with pytest.raises(KeyError, match="same statistics"):
        check_statistics({"t": values}, {"u": 1.0})


# --- fits ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def region_counts():
    region = simulate_literacy(seed=BOOK_SEED)
    return region.students, aggregate_binary(region.students, "proficient", "school")


@pytest.fixture(scope="module")
def region_fits(region_counts):
    """No and partial pooling of the book's region, as the chapters fit them."""
    _, schools = region_counts
    models = {
        pooling: binomial_model(schools, "successes", "trials", "school", pooling=pooling)
        for pooling in ("no", "partial")
    }
    fits = {pooling: sample(model, seed=BOOK_SEED, progressbar=False) for pooling, model in models.items()}
    return models, fits


def test_loo_ranks_partial_above_no_pooling_on_the_region(region_counts, region_fits):
    """On the seeded region, partial pooling predicts both a left-out student and a left-out school better.

    The margin is required to exceed two standard errors of the difference, so the ranking is
    not a coin flip of Monte Carlo noise.
    """
    students, schools = region_counts
    _, fits = region_fits
    by_student = compare_models(
        {name: student_loo(fit, students, "proficient", "school") for name, fit in fits.items()}
    )
    assert by_student.index[0] == "partial"
    assert -by_student.loc["no", "elpd_diff"] > 2 * by_student.loc["no", "dse"]
    by_school = compare_models(
        {
            "no": group_loo(fits["no"], schools, "successes", "trials", "school", mu=0.0, tau=1.5),
            "partial": group_loo(fits["partial"], schools, "successes", "trials", "school"),
        }
    )
    assert by_school.index[0] == "partial"
    assert -by_school.loc["no", "elpd_diff"] > 2 * by_school.loc["no", "dse"]


def test_integrated_school_loo_is_reliable_where_the_conditional_one_is_not(region_counts, region_fits):
    """Leaving a school's counts out of the binomial likelihood (keeping its own effect) gives
    Pareto k above 0.7 for many schools; integrating the effect out gives k below 0.7 for all."""
    _, schools = region_counts
    models, fits = region_fits
    with pytest.warns(UserWarning, match="Pareto"):
        conditional = az.loo(add_log_likelihood(fits["partial"], models["partial"]), pointwise=True)
    integrated = group_loo(fits["partial"], schools, "successes", "trials", "school")
    table = pareto_k_table({"conditional": conditional, "integrated": integrated})
    assert table.loc["conditional", "bad"] + table.loc["conditional", "very bad"] > 10
    assert table.loc["integrated", "max_k"] < table.loc["integrated", "good_k"]


def test_no_pooling_group_loo_is_exact(region_counts, region_fits):
    """With fixed mu and tau the new-school density needs no importance sampling."""
    _, schools = region_counts
    _, fits = region_fits
    result = group_loo(fits["no"], schools, "successes", "trials", "school", mu=0.0, tau=1.5)
    expected = integrated_log_likelihood(schools["successes"], schools["trials"], 0.0, 1.5)
    np.testing.assert_allclose(result.elpd_i.values, expected)
    assert float(result.pareto_k.max()) == 0.0


def test_group_loo_errors(region_counts, region_fits):
    _, schools = region_counts
    _, fits = region_fits
    with pytest.raises(ValueError, match="one row per school"):
        group_loo(fits["partial"], pd.concat([schools, schools.iloc[:1]]), "successes", "trials", "school")
    with pytest.raises(KeyError, match="'sigma' is not in the posterior"):
        group_loo(fits["partial"], schools, "successes", "trials", "school", tau="sigma")
    with pytest.raises(ValueError, match="must be a scalar parameter"):
        group_loo(fits["partial"], schools, "successes", "trials", "school", mu="alpha")


def test_add_log_likelihood_copies_and_checks_the_model(region_fits):
    models, fits = region_fits
    fit = add_log_likelihood(fits["partial"], models["partial"])
    assert "log_likelihood" in fit.children and "log_likelihood" not in fits["partial"].children
    with pytest.raises(ValueError, match="not a fit of this `model`"):
        add_log_likelihood(fits["no"], models["partial"])
    with pytest.raises(TypeError, match="pymc.Model"):
        add_log_likelihood(fits["no"], "model")


def test_posterior_predictive_has_one_replicate_per_draw(region_counts, region_fits):
    _, schools = region_counts
    models, fits = region_fits
    replicated = predictive_draws(posterior_predictive(fits["partial"], models["partial"], seed=1))
    assert replicated.shape == (4000, len(schools))
    assert (replicated <= schools["trials"].to_numpy()).all() and (replicated >= 0).all()
    assert "posterior_predictive" not in fits["partial"].children


def test_prior_predictive_and_missing_groups(region_counts, region_fits):
    _, schools = region_counts
    models, fits = region_fits
    prior = prior_predictive(models["partial"], seed=1, draws=20)
    assert predictive_draws(prior, group="prior_predictive").shape == (20, len(schools))
    with pytest.raises(TypeError, match="posterior_predictive"):
        predictive_draws(fits["partial"])
    with pytest.raises(KeyError, match="not in the prior_predictive group"):
        predictive_draws(prior, "literacy", group="prior_predictive")


# --- student-level LOO from counts equals the full Bernoulli computation -------------------------


@pytest.fixture(scope="module")
def small_bernoulli():
    students = simulate_literacy(
        seed=6, n_states=2, counties_per_state=2, schools_per_county=3, median_school_size=10
    ).students
    model = bernoulli_model(students, "proficient", "school")
    return students, model, sample(model, seed=6, progressbar=False)


def test_student_loo_equals_az_loo_on_every_student(small_bernoulli):
    """Computing PSIS once per (school, outcome) pattern gives exactly az.loo over all students."""
    students, model, fit = small_bernoulli
    full = az.loo(add_log_likelihood(fit, model), pointwise=True)
    fast = student_loo(fit, students, "proficient", "school")
    assert fast.elpd == pytest.approx(full.elpd, abs=1e-8)
    assert fast.se == pytest.approx(full.se, rel=1e-8)
    assert fast.p == pytest.approx(full.p, abs=1e-8)
    np.testing.assert_allclose(fast.elpd_i.values, full.elpd_i.values, atol=1e-10)
    np.testing.assert_allclose(fast.pareto_k.values, full.pareto_k.values, atol=1e-10)


def test_student_loo_errors(small_bernoulli):
    students, _, fit = small_bernoulli
    with pytest.raises(ValueError, match="pass the grouping column"):
        student_loo(fit, students, "proficient")
    with pytest.raises(KeyError, match="not in the fit"):
        student_loo(fit, students.assign(school="School 99"), "proficient", "school")
    with pytest.raises(ValueError, match="only 0 and 1"):
        student_loo(fit, students, "literacy", "school")


# --- tables -------------------------------------------------------------------------------------


def _fake(values, k=None):
    e = xr.DataArray(np.asarray(values, dtype=float), dims=["obs"])
    k = e * 0 if k is None else xr.DataArray(np.asarray(k, dtype=float), dims=["obs"])
    return ELPDDataLOO(
        elpd=float(e.sum()),
        se=1.0,
        p=1.0,
        n_samples=4000,
        n_data_points=e.size,
        scale="log",
        warning=False,
        good_k=0.7,
        elpd_i=e,
        pareto_k=k,
    )


def test_compare_models_orders_best_first_and_refuses_mixed_points():
    table = compare_models({"worse": _fake([-2.0, -3.0]), "better": _fake([-1.0, -2.0])})
    assert table.index.tolist() == ["better", "worse"]
    assert table.loc["worse", "elpd_diff"] == pytest.approx(-2.0)
    with pytest.raises(ValueError, match="different numbers of points"):
        compare_models({"a": _fake([-1.0]), "b": _fake([-1.0, -2.0])})
    with pytest.raises(ValueError, match="at least two"):
        compare_models({"a": _fake([-1.0])})


def test_pareto_k_table_counts():
    table = pareto_k_table({"m": _fake([-1.0, -1.0, -1.0, -1.0], k=[0.1, 0.7, 0.9, 1.5])})
    assert table.loc["m", ["points", "good", "bad", "very bad"]].tolist() == [4, 2, 1, 1]
    assert table.loc["m", "max_k"] == 1.5
