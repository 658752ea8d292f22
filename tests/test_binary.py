"""Binary and count outcomes: aggregation, the logistic builders, their input checks, and the
promise that the Bernoulli and binomial forms give the same posterior.

Building models is cheap; the equivalence test samples two small models once (module fixture).
"""

import arviz as az
import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln

from hlmkit import (
    aggregate_binary,
    bernoulli_model,
    binomial_model,
    sample,
    simulate_literacy,
    true_proficiency_rates,
)
from tests.conftest import EVALUATE_ONLY

SEED = 6


@pytest.fixture(scope="module")
def students():
    """A small region: 32 schools of median 12 pupils (504 students), two of them all-pass or all-fail."""
    region = simulate_literacy(seed=SEED, n_states=2, counties_per_state=4, schools_per_county=3, median_school_size=12)
    return region.students


@pytest.fixture(scope="module")
def schools(students):
    return aggregate_binary(students, "proficient", "school", keep=["county"])


def _free(model):
    return sorted(v.name for v in model.free_RVs)


# --- aggregate_binary -------------------------------------------------------------------------


def test_aggregate_counts_match_a_groupby(students, schools):
    expected = students.groupby("school")["proficient"].agg(["sum", "size"])
    assert schools["school"].tolist() == expected.index.tolist()
    np.testing.assert_array_equal(schools["successes"], expected["sum"])
    np.testing.assert_array_equal(schools["trials"], expected["size"])
    np.testing.assert_allclose(schools["rate"], expected["sum"] / expected["size"])
    assert schools["successes"].dtype == np.int64 and schools["trials"].dtype == np.int64
    # The kept county is the school's own county.
    county = students.groupby("school")["county"].first()
    assert schools.set_index("school")["county"].equals(county.rename("county"))


def test_aggregate_leaves_the_input_alone(students):
    before = students.copy()
    aggregate_binary(students, "proficient", "school")
    pd.testing.assert_frame_equal(students, before)


def test_aggregate_accepts_booleans():
    data = pd.DataFrame({"g": ["a", "a", "b"], "passed": [True, False, True]})
    assert aggregate_binary(data, "passed", "g")["successes"].tolist() == [1, 1]


def test_aggregate_rejects_a_non_binary_outcome(students):
    with pytest.raises(ValueError, match="must hold only 0 and 1"):
        aggregate_binary(students, "literacy", "school")


def test_aggregate_rejects_a_kept_column_that_varies(students):
    with pytest.raises(ValueError, match="'grade' varies within school"):
        aggregate_binary(students, "proficient", "school", keep=["grade"])


def test_aggregate_rejects_missing_groups(students):
    data = students.copy()
    data.loc[data.index[:2], "school"] = None
    with pytest.raises(ValueError, match="missing value"):
        aggregate_binary(data, "proficient", "school")


# --- builders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pooling", "free", "alpha_dims"),
    [("complete", ["alpha"], None), ("no", ["alpha"], ("school",)), ("partial", ["mu", "tau", "z"], ("school",))],
)
def test_binomial_variables_and_dims(schools, pooling, free, alpha_dims):
    model = binomial_model(schools, "successes", "trials", "school", pooling=pooling, parameterization="noncentered")
    assert _free(model) == free
    assert model.named_vars_to_dims.get("alpha") == alpha_dims
    assert model.named_vars_to_dims.get("p") == alpha_dims
    assert model.named_vars_to_dims["y"] == ("obs",)
    np.testing.assert_array_equal(model["trials"].get_value(), schools["trials"])


def test_bernoulli_codes_point_at_each_students_school(students):
    model = bernoulli_model(students, "proficient", "school", pooling="no")
    codes = model["school_code"].get_value()
    np.testing.assert_array_equal(np.asarray(model.coords["school"])[codes], students["school"].to_numpy())


def test_centered_partial_pooling_draws_alpha_directly(schools):
    model = binomial_model(schools, "successes", "trials", "school", parameterization="centered")
    assert _free(model) == ["alpha", "mu", "tau"]


def test_predictors_get_slopes(students):
    data = students.assign(ses_c=students["ses"] - students["ses"].mean())
    model = bernoulli_model(data, "proficient", "school", predictors=["ses_c"])
    assert "beta" in _free(model)
    assert list(model.coords["predictor"]) == ["ses_c"]


def test_complete_pooling_needs_no_group(schools):
    model = binomial_model(schools, "successes", "trials", pooling="complete")
    assert _free(model) == ["alpha"] and "school" not in model.coords


def test_prior_probabilities_are_not_piled_at_0_and_1(schools):
    """The default Normal(0, 1.5) intercept spreads prior mass over the probability scale.

    A probability below 5% or above 95% needs |logit| > 2.94: with sd 1.5 that is |z| > 1.96,
    5% of the prior; a 'vague' sd of 10 puts 2 * Phi(-0.294), about 77%, there.
    """
    model = binomial_model(schools, "successes", "trials", pooling="complete")
    assert model["alpha"].owner.inputs[-1].eval() == pytest.approx(1.5)  # the prior sd in the graph
    rng = np.random.default_rng(0)
    for scale, expected in ((1.5, 0.05), (10.0, 0.769)):
        p = 1 / (1 + np.exp(-rng.normal(0, scale, 100_000)))
        extreme = np.mean((p < 0.05) | (p > 0.95))
        assert abs(extreme - expected) < 0.005  # binomial sd of a share from 100,000 draws is < 0.0015


def test_bernoulli_and_binomial_log_densities_differ_by_a_constant(students, schools):
    """Same model, two likelihoods: log p(theta | data) differs by sum(log C(n, k)) at every theta."""
    bern = bernoulli_model(students, "proficient", "school")
    binom = binomial_model(schools, "successes", "trials", "school")
    # "auto" sees the same counts in one row per pupil and in one row per school.
    assert bern.parameterization == binom.parameterization
    free = "z" if bern.parameterization["school"] == "noncentered" else "alpha"
    logp_bern, logp_binom = bern.compile_logp(mode=EVALUATE_ONLY), binom.compile_logp(mode=EVALUATE_ONLY)
    rng = np.random.default_rng(0)
    k, n = schools["successes"].to_numpy(), schools["trials"].to_numpy()
    constant = float(np.sum(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)))
    for _ in range(5):
        point = {"mu": rng.normal(), "tau_log__": rng.normal(), free: rng.normal(size=len(schools))}
        assert logp_binom(point) - logp_bern(point) == pytest.approx(constant, abs=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"pooling": "some"}, ValueError, "`pooling` must be one of"),
        ({"parameterization": "wide"}, ValueError, "`parameterization` must be one of"),
        ({"prior_scale": -1.0}, ValueError, "prior_scale"),
        ({"group": None, "pooling": "partial"}, ValueError, "needs a `group` column"),
    ],
)
def test_binomial_option_errors(schools, kwargs, error, match):
    arguments = {"group": "school"} | kwargs
    with pytest.raises(error, match=match):
        binomial_model(schools, "successes", "trials", **arguments)


def test_successes_above_trials_is_an_error(schools):
    bad = schools.copy()
    bad.loc[3, "successes"] = bad.loc[3, "trials"] + 1
    with pytest.raises(ValueError, match=r"exceeds its number of trials 'trials'.*\[3\]"):
        binomial_model(bad, "successes", "trials", "school")


def test_swapped_count_columns_are_caught(schools):
    some_passed = schools[schools["successes"] > 0]  # (a school with 0 successes fails earlier: 0 trials)
    assert (some_passed["successes"] < some_passed["trials"]).any()
    with pytest.raises(ValueError, match="Check that the columns are not swapped"):
        binomial_model(some_passed, "trials", "successes", "school")


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("successes", 1.5, "whole numbers"),
        ("trials", 0, "at least 1"),
        ("successes", -1, "must not be negative"),
        ("successes", np.nan, "missing or infinite"),
    ],
)
def test_invalid_counts(schools, column, value, match):
    bad = schools.copy()
    bad[column] = bad[column].astype(float)
    bad.loc[0, column] = value
    with pytest.raises(ValueError, match=match):
        binomial_model(bad, "successes", "trials", "school")


def test_bernoulli_rejects_a_score_as_outcome(students):
    with pytest.raises(ValueError, match=r"'literacy' must hold only 0 and 1.*astype\(int\)"):
        bernoulli_model(students, "literacy", "school")


def test_reserved_group_name_is_an_error(schools):
    with pytest.raises(ValueError, match="Rename it first"):
        binomial_model(schools.rename(columns={"school": "p"}), "successes", "trials", "p")


def test_partial_pooling_needs_two_groups(schools):
    with pytest.raises(ValueError, match="at least two groups"):
        binomial_model(schools.iloc[:1], "successes", "trials", "school")


# --- the two likelihoods give the same posterior ------------------------------------------------


@pytest.fixture(scope="module")
def two_fits(students, schools):
    bern = sample(bernoulli_model(students, "proficient", "school"), seed=SEED, progressbar=False)
    binom = sample(binomial_model(schools, "successes", "trials", "school"), seed=SEED + 1, progressbar=False)
    return bern, binom


def test_bernoulli_and_binomial_posteriors_agree_within_monte_carlo_error(two_fits):
    """Posterior means of mu, tau and every school's p agree within Monte Carlo error.

    The difference of two independent estimates has standard error sqrt(mcse1^2 + mcse2^2);
    among ~30 quantities a |z| above 4 has probability below 0.2% if the posteriors are equal.
    Posterior sds must agree to 10% (their MCSE is a few percent at these ESS).
    """
    bern, binom = two_fits
    for name in ("mu", "tau", "p"):
        m1 = bern.posterior[name].mean(("chain", "draw")).values
        m2 = binom.posterior[name].mean(("chain", "draw")).values
        se1 = az.mcse(bern, var_names=[name])[name].values
        se2 = az.mcse(binom, var_names=[name])[name].values
        z = (m1 - m2) / np.sqrt(se1**2 + se2**2)
        assert np.abs(z).max() < 4, f"{name}: max |z| = {np.abs(z).max():.2f}"
        sd1 = bern.posterior[name].std(("chain", "draw")).values
        sd2 = binom.posterior[name].std(("chain", "draw")).values
        np.testing.assert_allclose(sd1, sd2, rtol=0.1)


def test_partial_pooling_keeps_all_pass_and_all_fail_schools_off_0_and_1(schools, two_fits):
    """No pooling's estimate of a 0-of-n or n-of-n school is 0% or 100%; partial pooling's is not."""
    _, binom = two_fits
    p = binom.posterior["p"].mean(("chain", "draw")).to_series()
    extreme = schools.set_index("school").query("successes == 0 or successes == trials")
    assert len(extreme) > 0, "the fixture region should contain an all-pass or all-fail school"
    for school, row in extreme.iterrows():
        assert 0.02 < p[school] < 0.98
        # ... and lies strictly between its raw rate and the overall rate.
        overall = schools["successes"].sum() / schools["trials"].sum()
        low, high = sorted([row["rate"], overall])
        assert low < p[school] < high


def test_true_rates_are_what_the_simulated_pupils_achieve():
    """In a region of ~1,000 schools, observed rates scatter around the true rates as binomial
    noise predicts: standardised residuals have mean ~0 (within 4 SE) and variance ~1."""
    region = simulate_literacy(seed=7, n_states=10, counties_per_state=10, schools_per_county=10)
    true_rate = true_proficiency_rates(region)
    counts = aggregate_binary(region.students, "proficient", "school").set_index("school")
    z = (counts["rate"] - true_rate) / np.sqrt(true_rate * (1 - true_rate) / counts["trials"])
    assert abs(z.mean()) < 4 / np.sqrt(len(z))
    assert abs(z.var() - 1) < 0.15
    with pytest.raises(TypeError, match="SimulatedRegion"):
        true_proficiency_rates(region.students)


# --- "auto": the rule of the chapter on sampling problems, for pass/fail data -----------------


def _counts(n_groups, size, tau, seed):
    """Pass/fail counts of groups whose log-odds differ with sd tau around 0."""
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-rng.normal(0.0, tau, n_groups)))
    return pd.DataFrame({"group": [f"g{j:03d}" for j in range(n_groups)], "trials": size,
                         "successes": rng.binomial(size, p)})


@pytest.mark.parametrize(
    ("size", "tau", "expected"),
    [(200, 1.0, "centered"), (3, 0.3, "noncentered"), (200, 0.0, "noncentered")],
    ids=["much-data", "little-data", "no-spread"],
)
def test_auto_centres_where_a_group_carries_much_information(size, tau, expected):
    # n p (1 - p) tau^2: 200 * 0.2 * 1 = 40 (centre); 3 * 0.25 * 0.09 < 1 (do not); tau = 0: the
    # funnel is the posterior (do not centre).
    counts = _counts(80, size, tau, seed=3)
    model = binomial_model(counts, "successes", "trials", "group")
    assert model.parameterization == {"group": expected}
    assert ("alpha" in _free(model)) == (expected == "centered")


def test_auto_gives_the_same_choice_from_pupils_and_from_counts():
    counts = _counts(40, 30, 0.8, seed=5)
    pupils = counts.loc[counts.index.repeat(counts["trials"])].copy()
    pupils["passed"] = np.concatenate([np.r_[np.ones(k), np.zeros(n - k)] for k, n in
                                       zip(counts["successes"], counts["trials"], strict=True)])
    bern = bernoulli_model(pupils, "passed", "group")
    binom = binomial_model(counts, "successes", "trials", "group")
    assert bern.parameterization == binom.parameterization


def test_explicit_forms_are_kept_and_other_poolings_record_none(schools):
    for form in ("centered", "noncentered"):
        model = binomial_model(schools, "successes", "trials", "school", parameterization=form)
        assert model.parameterization == {"school": form}
    assert binomial_model(schools, "successes", "trials", "school", pooling="no").parameterization == {}
