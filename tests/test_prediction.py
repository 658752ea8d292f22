"""Predictions for existing and new groups, and updating with new evidence.

New-group prediction is checked against closed forms on hand-made posteriors (no sampling):
with the population's mean and sd known in every draw, a new group's effect must be
Normal(mu, tau) and independent of every existing group, and a new school in a new county
must add the county and school variances. One real fit checks the whole path against a
simulated reference.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.special import expit

from hlmkit import (
    aggregate_binary,
    binomial_model,
    group_effect_draws,
    posterior_draws,
    sample,
    simulate_literacy,
    unseen_groups,
    update_with_evidence,
)

CHAINS, DRAWS = 4, 5000
N = CHAINS * DRAWS


def _fit(mu, tau, alpha, labels, **extra):
    """A fake fit: posterior draws given as arrays of shape (N,) or (N, groups)."""
    shape = (CHAINS, DRAWS)
    data = {
        "mu": (("chain", "draw"), np.broadcast_to(mu, (N,)).reshape(shape)),
        "tau": (("chain", "draw"), np.broadcast_to(tau, (N,)).reshape(shape)),
        "alpha": (("chain", "draw", "school"), alpha.reshape(*shape, len(labels))),
    }
    for name, (values, dim, coords) in extra.items():
        data[name] = (
            (("chain", "draw", dim), values.reshape(*shape, len(coords)))
            if dim
            else (("chain", "draw"), values.reshape(shape))
        )
    coords = {"school": labels}
    for _, (_values, dim, labels_) in extra.items():
        if dim:
            coords[dim] = labels_
    return xr.DataTree.from_dict({"posterior": xr.Dataset(data, coords=coords)})


@pytest.fixture(scope="module")
def fixed_fit():
    """mu = 0.3 and tau = 0.8 in every draw; two schools with their own draws."""
    rng = np.random.default_rng(0)
    alpha = np.column_stack([rng.normal(1.0, 0.2, N), rng.normal(-0.5, 0.3, N)])
    return _fit(0.3, 0.8, alpha, ["A", "B"])


def test_seen_groups_get_exactly_their_own_draws(fixed_fit):
    draws = group_effect_draws(fixed_fit, "alpha", ["B", "A", "B"])
    alpha = posterior_draws(fixed_fit, "alpha")
    np.testing.assert_array_equal(draws, alpha[:, [1, 0, 1]])


def test_new_group_is_normal_mu_tau_and_reuses_no_other_group(fixed_fit):
    """Closed form: with mu and tau fixed, a new school's effect is exactly Normal(0.3, 0.8)."""
    draws = group_effect_draws(fixed_fit, "alpha", ["A", "new"], allow_new=True, seed=1)
    new = draws[:, 1]
    se_mean = 0.8 / np.sqrt(N)
    assert abs(new.mean() - 0.3) < 4 * se_mean
    assert abs(new.std() - 0.8) < 4 * 0.8 / np.sqrt(2 * N)  # sd of a sample sd is about sd / sqrt(2N)
    # Not a copy of an existing school, nor correlated with one (|r| < 4 / sqrt(N)).
    alpha = posterior_draws(fixed_fit, "alpha")
    for k in range(alpha.shape[1]):
        assert not np.allclose(new, alpha[:, k])
        assert abs(np.corrcoef(new, alpha[:, k])[0, 1]) < 4 / np.sqrt(N)


def test_new_group_adds_population_uncertainty_to_tau():
    """With mu and tau uncertain, Var(new effect) = Var(mu) + E[tau^2] (law of total variance)."""
    rng = np.random.default_rng(1)
    mu = rng.normal(0.0, 0.5, N)
    tau = np.abs(rng.normal(1.0, 0.3, N))
    fit = _fit(mu, tau, rng.normal(size=(N, 1)), ["A"])
    new = group_effect_draws(fit, "alpha", ["new"], allow_new=True, seed=2)[:, 0]
    expected = np.sqrt(0.25 + np.mean(tau**2))
    assert new.std() == pytest.approx(expected, rel=0.03)


def test_probability_of_a_new_school_matches_the_logistic_normal_integral(fixed_fit):
    """P(pass) for a pupil of a new school is E[logit^-1(a)], a ~ Normal(mu, tau): Gauss-Hermite reference."""
    nodes, weights = np.polynomial.hermite.hermgauss(60)
    reference = float(np.sum(weights * expit(0.3 + np.sqrt(2) * 0.8 * nodes)) / np.sqrt(np.pi))
    p = expit(group_effect_draws(fixed_fit, "alpha", ["new"], allow_new=True, seed=3)[:, 0])
    assert abs(p.mean() - reference) < 4 * p.std() / np.sqrt(N)


def test_rows_of_one_new_group_share_it_and_different_new_groups_do_not(fixed_fit):
    draws = group_effect_draws(fixed_fit, "alpha", ["x", "y", "x"], allow_new=True, seed=4)
    np.testing.assert_array_equal(draws[:, 0], draws[:, 2])
    assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]) < 4 / np.sqrt(N)


def test_a_new_groups_draws_do_not_depend_on_what_else_is_predicted(fixed_fit):
    alone = group_effect_draws(fixed_fit, "alpha", ["x"], allow_new=True, seed=5)
    together = group_effect_draws(fixed_fit, "alpha", ["A", "w", "x"], allow_new=True, seed=5)
    np.testing.assert_array_equal(alone[:, 0], together[:, 2])


def test_new_school_in_a_new_county_adds_both_variances():
    """Three levels: a new school in a known county varies by tau_school; in a new county by
    sqrt(tau_county^2 + tau_school^2). Levels predicted with the same seed are independent."""
    rng = np.random.default_rng(6)
    county_effect = rng.normal(0.0, 0.05, (N, 2))
    school_effect = rng.normal(0.0, 0.05, (N, 2))
    fit = _fit(
        0.0,
        1.0,
        rng.normal(size=(N, 2)),
        ["s1", "s2"],
        effect_county=(county_effect, "county", ["c1", "c2"]),
        effect_school=(school_effect, "school", ["s1", "s2"]),
        tau_county=(np.full(N, 0.6), None, None),
        tau_school=(np.full(N, 0.8), None, None),
    )
    counties = ["c1", "c_new"]
    schools = ["s_new1", "s_new2"]
    county = group_effect_draws(fit, "effect_county", counties, tau="tau_county", center=None, allow_new=True, seed=7)
    school = group_effect_draws(fit, "effect_school", schools, tau="tau_school", center=None, allow_new=True, seed=7)
    total = county + school
    assert total[:, 0].std() == pytest.approx(np.sqrt(0.05**2 + 0.8**2), rel=0.03)  # known county
    assert total[:, 1].std() == pytest.approx(np.sqrt(0.6**2 + 0.8**2), rel=0.03)  # new county
    assert abs(np.corrcoef(county[:, 1], school[:, 1])[0, 1]) < 4 / np.sqrt(N)
    # tau given as draws (as for nested_model's tau with a level dim) gives the same result.
    same = group_effect_draws(fit, "effect_county", counties, tau=np.full(N, 0.6), center=None, allow_new=True, seed=7)
    np.testing.assert_array_equal(same, county)


def test_unseen_labels_are_an_error_by_default(fixed_fit):
    with pytest.raises(ValueError, match=r"not in the fit's 'alpha' \(e\.g\. \['C'\]\).*allow_new=True"):
        group_effect_draws(fixed_fit, "alpha", ["A", "C"])
    assert unseen_groups(fixed_fit, "alpha", ["A", "C", "C", "D"]) == ["C", "D"]


def test_label_type_mismatch_gets_a_hint():
    fit = _fit(0.0, 1.0, np.zeros((N, 2)), ["180", "280"])
    with pytest.raises(ValueError, match="of type str .* of type int"):
        group_effect_draws(fit, "alpha", [180, 280])


@pytest.fixture(scope="module")
def numbered_fit():
    """Schools labelled by integers (as read from a CSV with numeric ids)."""
    rng = np.random.default_rng(2)
    return _fit(0.0, 5.0, rng.normal(0.0, 0.5, (N, 3)), [1221, 1222, 1223])


def test_a_column_and_a_one_column_frame_are_not_the_same_labels(numbered_fit):
    new = pd.DataFrame({"school": [1221] * 4 + [9999] * 3})
    draws = group_effect_draws(numbered_fit, "alpha", new["school"], allow_new=True, seed=3)
    assert draws.shape == (N, len(new))  # one column per row, never one per column name
    with pytest.raises(TypeError, match=r"pass the column, e\.g\. data\['school'\]"):
        group_effect_draws(numbered_fit, "alpha", new[["school"]], allow_new=True, seed=3)
    with pytest.raises(TypeError, match="pass the column"):
        unseen_groups(numbered_fit, "alpha", new[["school"]])
    # Arrays, lists and Series give the same draws.
    for labels in (new["school"].to_numpy(), new["school"].tolist()):
        np.testing.assert_array_equal(group_effect_draws(numbered_fit, "alpha", labels, allow_new=True, seed=3), draws)


def test_a_label_of_another_type_is_never_drawn_as_a_new_group(numbered_fit):
    # "1221" is school 1221 read as text: drawn as a new school it would spread by tau (5), not 0.5.
    with pytest.raises(ValueError, match=r"'1221' in `groups` is a string: did you mean 1221\?"):
        group_effect_draws(numbered_fit, "alpha", ["1221"], allow_new=True, seed=3)
    with pytest.raises(ValueError, match="did you mean 1221"):
        unseen_groups(numbered_fit, "alpha", ["1221"])
    # The same label as a number (any integer or float type) is the fit's own school.
    own = posterior_draws(numbered_fit, "alpha")[:, 0]
    for label in (1221, np.int64(1221), 1221.0):
        np.testing.assert_array_equal(group_effect_draws(numbered_fit, "alpha", [label])[:, 0], own)
    # A genuinely new school of the same type is still drawn from the population.
    assert unseen_groups(numbered_fit, "alpha", [1221, 9999]) == [9999]
    new = group_effect_draws(numbered_fit, "alpha", [9999], allow_new=True, seed=3)[:, 0]
    assert abs(new.std() - 5.0) < 0.2


def test_labels_of_two_types_in_one_request_are_refused(numbered_fit):
    with pytest.raises(TypeError, match="mixes labels of different types"):
        group_effect_draws(numbered_fit, "alpha", [1221, "1221"], allow_new=True, seed=3)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"groups": ["new"], "allow_new": True}, ValueError, "pass `seed`"),
        ({"groups": []}, ValueError, "empty"),
        ({"groups": "A"}, TypeError, "not a single string"),
        ({"groups": ["A", None]}, ValueError, "missing label"),
        ({"groups": ["new"], "allow_new": True, "seed": 1, "tau": "sigma"}, KeyError, "'sigma' is not in"),
        ({"groups": ["new"], "allow_new": True, "seed": 1, "tau": np.ones(3)}, ValueError, "one finite value per"),
        ({"groups": ["A"], "var_name": "mu"}, ValueError, "exactly one group dimension"),
    ],
)
def test_group_effect_errors(fixed_fit, kwargs, error, match):
    arguments = {"var_name": "alpha"} | kwargs
    with pytest.raises(error, match=match):
        group_effect_draws(fixed_fit, **arguments)


def test_group_effect_needs_a_fit():
    with pytest.raises(TypeError, match="DataTree"):
        group_effect_draws({"alpha": 1}, "alpha", ["A"])


# --- a real fit, checked against simulation ---------------------------------------------------


@pytest.fixture(scope="module")
def region_fit():
    region = simulate_literacy(seed=3, n_states=2, counties_per_state=4, schools_per_county=4, median_school_size=20)
    schools = aggregate_binary(region.students, "proficient", "school")
    fit = sample(binomial_model(schools, "successes", "trials", "school"), seed=3, progressbar=False)
    return schools, fit


def test_new_school_prediction_matches_simulating_from_the_population(region_fit):
    """Simulated reference: in every draw, simulate a school from Normal(mu, tau) by hand; the
    helper's predicted probabilities have the same mean and sd (within 4 Monte Carlo SE)."""
    _, fit = region_fit
    mu, tau = posterior_draws(fit, "mu"), posterior_draws(fit, "tau")
    reference = expit(mu + tau * np.random.default_rng(99).standard_normal(mu.size))
    helper = expit(group_effect_draws(fit, "alpha", ["School new"], allow_new=True, seed=8)[:, 0])
    se = np.sqrt(reference.var() / mu.size + helper.var() / mu.size)
    assert abs(helper.mean() - reference.mean()) < 4 * se
    assert helper.std() == pytest.approx(reference.std(), rel=0.06)
    # A new school is more uncertain than any school that was seen.
    seen = expit(posterior_draws(fit, "alpha"))
    assert helper.std() > seen.std(axis=0).max()


# --- updating with new evidence -----------------------------------------------------------------


def test_update_matches_the_conjugate_beta_posterior():
    """Draws from Beta(3, 2) reweighted by 7 of 10 must give Beta(10, 5): mean 2/3, quantiles too."""
    rng = np.random.default_rng(10)
    p = rng.beta(3, 2, size=40_000)
    update = update_with_evidence(p, successes=7, trials=10)
    assert update.pareto_k < 0.7
    assert float(update.mean(p)) == pytest.approx(10 / 15, abs=0.005)
    from scipy.stats import beta

    lower, upper = update.quantile(p, [0.05, 0.95])
    assert lower == pytest.approx(beta.ppf(0.05, 10, 5), abs=0.01)
    assert upper == pytest.approx(beta.ppf(0.95, 10, 5), abs=0.01)
    assert update.ess < p.size


def test_cohorts_combine_by_adding_counts():
    p = np.random.default_rng(11).beta(2, 2, size=20_000)
    both = update_with_evidence(p, 5, 12)
    weights_by_hand = p**5 * (1 - p) ** 7
    weights_by_hand /= weights_by_hand.sum()
    assert float(both.mean(p)) == pytest.approx(float(weights_by_hand @ p), abs=0.002)


def test_no_evidence_changes_nothing_and_overwhelming_evidence_is_flagged():
    p = np.random.default_rng(12).beta(1, 1, size=4000)
    unchanged = update_with_evidence(p, 0, 0)
    assert float(unchanged.mean(p)) == pytest.approx(p.mean())
    overwhelmed = update_with_evidence(p, 3000, 10_000)
    assert overwhelmed.pareto_k > 0.7  # refit instead


def test_much_new_evidence_shows_in_ess_before_pareto_k():
    """A bounded likelihood keeps k low while the effective draws collapse: ess is the warning."""
    from hlmkit import MIN_ESS

    p = np.random.default_rng(13).beta(6, 14, size=4000)
    ess = [update_with_evidence(p, round(0.3 * n), n).ess for n in (100, 1000, 10_000)]
    assert ess[0] > ess[1] > ess[2]
    heavy = update_with_evidence(p, 3000, 10_000)
    assert heavy.pareto_k < 0.7 and heavy.ess < MIN_ESS


@pytest.mark.parametrize(
    ("probability", "successes", "trials", "match"),
    [
        (np.array([0.2, 1.3]), 1, 2, "probability in"),
        (np.array([0.2, 0.3]), 3, 2, "cannot exceed"),
        (np.array([0.2, 0.3]), -1, 2, "non-negative integer"),
        (np.array([0.2, 0.3]), 1.5, 2, "non-negative integer"),
    ],
)
def test_update_errors(probability, successes, trials, match):
    with pytest.raises(ValueError, match=match):
        update_with_evidence(probability, successes, trials)
