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

import pytest

from hlmkit import check_convergence, diagnose, partial_pooling_model, sample, simulate_literacy

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
