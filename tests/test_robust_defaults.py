"""Defaults that cannot fail silently: `sample` warns on a fit that misses the book's limits,
reuses a compiled model across fits, and the builders choose their parameterisation by the rule
of the chapter on sampling problems (``parameterization="auto"``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hlmkit import (
    SamplingWarning,
    encode_groups,
    group_predictors_model,
    limit_problems,
    load_dataset,
    nested_model,
    partial_pooling_model,
    sample,
    simulate_literacy,
    varying_slopes_model,
)
from hlmkit.inference import _COMPILED
from hlmkit.models import auto_parameterizations

SWITCHED_OFF = {
    "tau_state": 0.0,
    "tau_county": 0.0,
    "suburban_effect": 0.0,
    "rural_effect": 0.0,
    "beta_mean_ses": 0.0,
    "slope_sd": 0.0,
    "private_share": 0.0,
}


def region(median_school_size: int, tau: float = 5.0, sigma: float = 40.0, seed: int = 3) -> pd.DataFrame:
    return simulate_literacy(
        seed=seed,
        n_states=2,
        counties_per_state=4,
        schools_per_county=4,
        median_school_size=median_school_size,
        tau_school=tau,
        sigma=sigma,
        **SWITCHED_OFF,
    ).students


# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "tau", "sigma", "expected"),
    [
        (8, 5.0, 40.0, "noncentered"),  # n tau^2 / sigma^2 = 0.125: the prior dominates, a funnel
        (300, 5.0, 40.0, "centered"),  # 4.7: the data pin each school down
        (40, 20.0, 10.0, "centered"),  # 160
        (8, 2.0, 50.0, "noncentered"),  # 0.013
    ],
)
def test_auto_follows_the_information_ratio(size, tau, sigma, expected):
    students = region(size, tau, sigma)
    model = partial_pooling_model(students, "literacy", "school")
    assert model.parameterization == {"school": expected}
    free = {v.name for v in model.free_RVs}
    assert ("alpha" in free) == (expected == "centered")
    assert ("z" in free) == (expected == "noncentered")


def test_auto_with_no_spread_between_groups_is_noncentred():
    # tau = 0 once SES is accounted for: the moment estimate of tau^2 is about zero or
    # negative, the funnel's neck.
    students = region(200, tau=0.0)
    assert partial_pooling_model(students, "literacy", "school", ["ses"]).parameterization == {"school": "noncentered"}


def test_explicit_choice_is_kept_and_recorded():
    students = region(300)
    for form in ("centered", "noncentered"):
        assert partial_pooling_model(students, "literacy", "school", parameterization=form).parameterization == {
            "school": form
        }
        assert group_predictors_model(students, "literacy", "school", [], parameterization=form).parameterization == {
            "school": form
        }
        assert varying_slopes_model(students, "literacy", "school", ["ses"], intercepts=form).parameterization == {
            "school": form
        }


def test_every_builder_with_group_effects_defaults_to_auto():
    small, large = region(8), region(300)
    for students, form in ((small, "noncentered"), (large, "centered")):
        assert group_predictors_model(students, "literacy", "school", []).parameterization == {"school": form}
        assert varying_slopes_model(students, "literacy", "school", ["ses"]).parameterization == {"school": form}
        assert nested_model(students, "literacy", ["county", "school"]).parameterization["school"] == form


def test_nested_auto_decides_level_by_level():
    # Big county effects over 8 counties of ~20 schools, tiny schools: centre counties, not schools.
    students = simulate_literacy(
        seed=4,
        n_states=2,
        counties_per_state=4,
        schools_per_county=20,
        median_school_size=8,
        tau_county=30.0,
        tau_school=3.0,
        sigma=40.0,
        **{k: v for k, v in SWITCHED_OFF.items() if k != "tau_county"},
    ).students
    model = nested_model(students, "literacy", ["county", "school"])
    assert model.parameterization == {"county": "centered", "school": "noncentered"}
    assert {"alpha_county", "z_school"} <= {v.name for v in model.free_RVs}
    # A mapping still overrides the rule for the levels it names.
    forced = nested_model(students, "literacy", ["county", "school"], parameterization={"county": "noncentered"})
    assert forced.parameterization == {"county": "noncentered", "school": "noncentered"}


def test_auto_parameterizations_is_shift_and_scale_free():
    students = region(40, tau=10.0, sigma=30.0)
    index = encode_groups(students, "school")
    y = students["literacy"].to_numpy()
    no_x = np.zeros((len(y), 0))
    assert auto_parameterizations(y, no_x, [index]) == auto_parameterizations(1e6 + 1e-3 * y, no_x, [index])


def test_unknown_choice_lists_auto():
    with pytest.raises(ValueError, match="'auto'"):
        partial_pooling_model(region(8), "literacy", "school", parameterization="centred")


# --- sample() speaks up --------------------------------------------------------------------------


def test_sample_warns_on_a_fit_that_misses_the_limits():
    # 60 draws cannot give a bulk ESS of 400: the warning names the quantities and the remedies.
    model = partial_pooling_model(region(8), "literacy", "school")
    with pytest.warns(SamplingWarning, match=r"bulk ESS down to \d+ \((mu|tau|sigma|z|alpha)") as record:
        idata = sample(model, seed=1, draws=60, tune=200, progressbar=False)
    assert "parameterisation" in str(record[0].message) and "target_accept" in str(record[0].message)
    assert idata.attrs["clean"] is False
    assert limit_problems(idata)


def test_sample_is_quiet_on_a_clean_fit_and_says_so():
    # Clean by a wide margin, so for any seed and CPU: 40 pupils a school, centred by the rule.
    # Over seeds 0-19 on an AMD znver3: r_hat at most 1.0062, bulk ESS at least 2,102, no
    # divergence. The 8-pupil region used before is near the limits (r_hat up to 1.0094 and one
    # divergence over those seeds): seed 2 gave r_hat 1.0108 for tau in a process that compiled
    # the model afresh, and 1.0040 in one that loaded it from PyTensor's cache.
    model = partial_pooling_model(region(40, tau=10.0), "literacy", "school")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplingWarning)
        idata = sample(model, seed=2, progressbar=False)
    assert idata.attrs["clean"] is True
    assert limit_problems(idata) == []


def test_check_false_skips_the_check():
    model = partial_pooling_model(region(8), "literacy", "school")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplingWarning)
        idata = sample(model, seed=1, draws=60, tune=100, progressbar=False, check=False)
    assert "clean" not in idata.attrs


def test_divergences_are_reported_first():
    students = region(8)
    model = partial_pooling_model(students, "literacy", "school", parameterization="centered")
    # The centred few-pupils funnel: over a few fits, at least one diverges, and then the
    # warning leads with the divergences.
    messages = []
    for seed in range(4):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            sample(model, seed=seed, progressbar=False)
        messages += [str(w.message) for w in record if issubclass(w.category, SamplingWarning)]
    assert any(m.split(": ", 1)[1].split(";")[0].endswith("divergent transition(s)") for m in messages)


# --- one compilation per model -------------------------------------------------------------------


def test_refits_reuse_the_compiled_model_and_stay_reproducible():
    model = partial_pooling_model(region(40, tau=10.0), "literacy", "school")
    first = sample(model, seed=11, draws=100, tune=100, chains=2, progressbar=False, check=False)
    compiled = _COMPILED[model][1]
    other = sample(model, seed=12, draws=100, tune=100, chains=2, progressbar=False, check=False)
    again = sample(model, seed=11, draws=100, tune=100, chains=2, progressbar=False, check=False)
    assert _COMPILED[model][1] is compiled
    np.testing.assert_array_equal(first.posterior["mu"].values, again.posterior["mu"].values)
    assert not np.array_equal(first.posterior["mu"].values, other.posterior["mu"].values)


def test_changed_data_is_compiled_again():
    import pymc as pm

    model = partial_pooling_model(region(40, tau=10.0), "literacy", "school")
    sample(model, seed=1, draws=50, tune=50, chains=2, progressbar=False, check=False)
    compiled = _COMPILED[model][1]
    codes = model["school_code"].get_value()
    with model:
        pm.set_data({"school_code": codes[::-1].copy()})
    sample(model, seed=1, draws=50, tune=50, chains=2, progressbar=False, check=False)
    assert _COMPILED[model][1] is not compiled


# --- the defaults on the book's real data --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build", "draws"),
    [
        # Radon with uranium as a county predictor: centred by habit, r_hat 1.12 and ESS 29 for tau.
        # 2,000 draws, as the book's radon fits (chapters 4 and 11): at 1,000 an Intel emeraldrapids
        # gave r_hat 1.0117 for tau at seed 1 (max 1.0046 over these seeds at 2,000). The centred
        # form's r_hat of 1.12 is far beyond what doubling the draws repairs.
        (
            "radon + uranium",
            lambda: group_predictors_model(load_dataset("radon"), "log_radon", "county", ["log_uranium"], ["floor"]),
            2000,
        ),
        # Dutch classes, lang ~ 1 + (1 | class): non-centred by habit, r_hat 1.012 for mu. 2,000
        # draws too: at 1,000 the largest r_hat of the 214 quantities reached 1.0094 over seeds 1-20
        # (seed 3; AMD znver3), too near 1.01 for any CPU; at 2,000 it was at most 1.0033.
        ("nlschools", lambda: partial_pooling_model(load_dataset("nlschools"), "lang", "class"), 2000),
    ],
)
def test_defaults_sample_cleanly_on_the_books_data_for_ten_seeds(name, build, draws):
    model = build()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplingWarning)  # any fit that misses a limit fails the test
        for seed in range(1, 11):
            sample(model, seed=seed, draws=draws, progressbar=False)
