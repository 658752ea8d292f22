"""The diagnostics table on real fits: it must flag a funnel and pass the same model re-parameterised.

tests/test_inference.py breaks a clean fit by hand to reach each failure path; here the failure is
the real thing the book warns about (the few-pupils region of chapter 12). Thirty-odd schools of
about ten pupils each, with schools differing by tau = 5 points against sigma = 40 within: a
school's own data carry a weight of n tau^2 / (n tau^2 + sigma^2) ~ 0.14, far below one half, so
the posterior of the centred model is a funnel (tau near 0 squeezes every alpha_j together). With
nutpie's defaults and seed 2024 the centred fit had 4 divergences, r_hat 1.22 and a bulk ESS of 14
for the worst reported quantity; the non-centred fit of the same data had none, r_hat 1.005 and
ESS ~1,000. (With 3 schools per county instead of 4, the non-centred fit had one divergence: the
margin of a clean fit on a dozen pupils per school is not wide.) Two fits, ~5-10 s each.
"""

import warnings

import arviz as az
import numpy as np
import pytest
import xarray as xr

from hlmkit import (
    _convergence,
    check_convergence,
    diagnose,
    limit_problems,
    partial_pooling_model,
    sample,
    simulate_literacy,
)

SEED = 2024
REPORTED = ["mu", "tau", "sigma", "alpha"]
FEW_PUPILS = {
    "n_states": 2,
    "counties_per_state": 4,
    "schools_per_county": 4,
    "median_school_size": 8,
    "tau_school": 5.0,
    "tau_state": 0.0,
    "tau_county": 0.0,
    "suburban_effect": 0.0,
    "rural_effect": 0.0,
    "beta_mean_ses": 0.0,
    "slope_sd": 0.0,
    "private_share": 0.0,
}


@pytest.fixture(scope="module")
def few_pupils():
    return simulate_literacy(seed=SEED, **FEW_PUPILS).students


@pytest.fixture(scope="module")
def funnel_fit(few_pupils):
    model = partial_pooling_model(few_pupils, "literacy", "school", parameterization="centered")
    return sample(model, seed=SEED, progressbar=False)


@pytest.fixture(scope="module")
def clean_fit(few_pupils):
    model = partial_pooling_model(few_pupils, "literacy", "school", parameterization="noncentered")
    return sample(model, seed=SEED, progressbar=False)


def test_the_region_is_one_where_schools_hold_little_information(few_pupils):
    n = few_pupils.groupby("school").size()
    weight = n * 5.0**2 / (n * 5.0**2 + 40.0**2)
    assert weight.median() < 0.25


def test_diagnose_flags_the_centred_funnel(funnel_fit):
    table = diagnose(funnel_fit, REPORTED, label="centred")
    row = table.loc["centred"]
    assert not row["ok"]
    assert row["max_r_hat"] > 1.01 or row["min_ess_bulk"] < 400 or row["divergences"] > 0
    # The verdict names every broken limit and says what to try.
    if row["max_r_hat"] > 1.01:
        assert "r_hat" in row["verdict"]
    if row["min_ess_bulk"] < 400:
        assert "bulk ESS" in row["verdict"]
    if row["divergences"]:
        assert "non-centred" in row["verdict"]
    assert row["sampling_s"] > 0


def test_check_convergence_fails_the_build_on_the_funnel(funnel_fit):
    with pytest.raises(AssertionError, match="'centred' breaks the book's convergence limits"):
        check_convergence(funnel_fit, REPORTED, label="centred")


def test_the_non_centred_model_passes(clean_fit):
    table = check_convergence(clean_fit, REPORTED, label="non-centred")
    row = table.loc["non-centred"]
    assert row["ok"] and row["divergences"] == 0
    assert row["max_r_hat"] <= 1.01 and row["min_ess_bulk"] >= 400
    assert row["verdict"].startswith("clean")


def test_tables_of_several_fits_stack(funnel_fit, clean_fit):
    import pandas as pd

    both = pd.concat(
        [diagnose(funnel_fit, REPORTED, label="centred"), diagnose(clean_fit, REPORTED, label="non-centred")]
    )
    assert both.index.tolist() == ["centred", "non-centred"]
    assert both["ok"].tolist() == [False, True]
    # The funnel costs effective draws: the non-centred fit has several times more.
    assert both.loc["non-centred", "min_ess_bulk"] > 3 * both.loc["centred", "min_ess_bulk"]


# --- r_hat and ESS for all quantities at once: ArviZ's numbers ------------------------------------


def _ar1(rng, shape, phi):
    """Autocorrelated draws (chain, draw, quantity): an AR(1) chain with coefficient phi."""
    draws = rng.normal(size=shape)
    for t in range(1, shape[1]):
        draws[:, t] = phi * draws[:, t - 1] + draws[:, t]
    return draws


def _draw_kinds():
    rng = np.random.default_rng(7)
    sticky = rng.normal(size=(4, 300, 3)).repeat(2, axis=1)  # each draw kept twice, as NUTS sometimes does
    with_nan = rng.normal(size=(4, 100, 2))
    with_nan[1, 5, 0] = np.nan
    return {
        "independent": rng.normal(size=(4, 1000, 5)),
        "autocorrelated": _ar1(rng, (4, 1000, 4), 0.9),
        "barely mixing": _ar1(rng, (4, 500, 3), 0.99),
        "chains apart": rng.normal(size=(4, 300, 3)) + np.arange(4)[:, None, None],
        "ties": np.round(rng.normal(size=(4, 400, 3))),
        "repeated draws": sticky,
        "odd number of draws": rng.normal(size=(3, 101, 2)),
        "one chain": rng.normal(size=(1, 200, 2)),
        "three draws": rng.normal(size=(2, 3, 2)),
        "heavy tails": rng.standard_cauchy(size=(4, 500, 3)),
        "constant": np.full((4, 100, 2), 2.5),
        "a NaN draw": with_nan,
        "more quantities than a block": rng.normal(size=(2, 60, _convergence.BLOCK + 50)),
    }


@pytest.mark.parametrize("kind", list(_draw_kinds()))
def test_rhat_and_ess_for_all_quantities_at_once_are_arviz_numbers(kind):
    draws = _draw_kinds()[kind]
    posterior = xr.Dataset({"x": xr.DataArray(draws, dims=("chain", "draw", "quantity"))})
    prob = az.rcParams["stats.ci_prob"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = [az.rhat(posterior)["x"].values, az.ess(posterior, method="bulk")["x"].values,
                    az.ess(posterior, method="tail", prob=prob)["x"].values]
    for name, ours, theirs in zip(["r_hat", "bulk ESS", "tail ESS"], _convergence.diagnostics(draws, prob), expected,
                                  strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0, equal_nan=True, err_msg=name)


def _values(tree, name):
    """ArviZ's diagnostics come back as a tree with or without a ``posterior`` child."""
    return (tree.posterior if "posterior" in tree.children else tree)[name].values


def test_the_fits_verdicts_use_arviz_numbers_for_every_quantity(funnel_fit, clean_fit):
    """diagnose and limit_problems on real fits: the extremes ArviZ finds, and the same verdict."""
    for fit in (funnel_fit, clean_fit):
        names = list(fit.posterior.data_vars)
        row = diagnose(fit, names).iloc[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rhat = max(float(np.nanmax(_values(az.rhat(fit, var_names=[n]), n))) for n in names)
            bulk = min(float(np.nanmin(_values(az.ess(fit, var_names=[n], method="bulk"), n))) for n in names)
            tail = min(float(np.nanmin(_values(az.ess(fit, var_names=[n], method="tail"), n))) for n in names)
        assert row["max_r_hat"] == pytest.approx(round(rhat, 4), abs=1e-12)
        assert row["min_ess_bulk"] == round(bulk) and row["min_ess_tail"] == round(tail)
        problems = limit_problems(fit)
        assert any(p.startswith("r_hat up to") for p in problems) == (rhat > 1.01)
        assert any(p.startswith("bulk ESS down to") for p in problems) == (bulk < 400)


def test_a_correlation_matrix_diagonal_has_no_rhat_and_breaks_no_limit(clean_fit):
    """A constant quantity (the unit diagonal of a correlation matrix) is skipped, as ArviZ's NaN is."""
    chains, draws = clean_fit.posterior.sizes["chain"], clean_fit.posterior.sizes["draw"]
    corr = np.tile(np.eye(2), (chains, draws, 1, 1))
    corr[..., 0, 1] = corr[..., 1, 0] = np.random.default_rng(1).uniform(-0.5, 0.5, size=(chains, draws))
    fit = clean_fit.copy()
    fit["posterior"] = fit.posterior.to_dataset().assign(corr=(("chain", "draw", "a", "b"), corr))
    assert limit_problems(fit, ["mu", "corr"]) == []
    assert diagnose(fit, ["corr"]).iloc[0]["ok"]
