"""Closed forms of pooling: shrinkage weights, partial-pooling estimates, ICC, group summaries, least squares."""

import numpy as np
import pandas as pd
import pytest

from hlmkit import group_summary, icc, least_squares_intercepts, partial_pooling_estimate, shrinkage_weight

# Closed forms in float64: agreement with a hand computation is exact up to a few ulps.
EXACT = {"rtol": 1e-12, "atol": 1e-12}
APPROX = {"rel": 1e-12, "abs": 1e-12}


# --- shrinkage_weight and partial_pooling_estimate -------------------------------------------


def test_shrinkage_weight_by_hand():
    # n / (n + sigma^2 / tau^2) = 12 / (12 + 1600 / 400) = 12 / 16.
    assert float(shrinkage_weight(12, sigma=40.0, tau=20.0)) == pytest.approx(0.75, **APPROX)
    # The precision form gives the same number: (n / sigma^2) / (n / sigma^2 + 1 / tau^2).
    n, sigma, tau = 7.0, 3.0, 2.0
    precision_share = (n / sigma**2) / (n / sigma**2 + 1 / tau**2)
    assert float(shrinkage_weight(n, sigma, tau)) == pytest.approx(precision_share, **APPROX)


def test_partial_pooling_estimate_by_hand():
    # 0.75 * 560 + 0.25 * 500 = 545.
    estimate = partial_pooling_estimate(group_mean=560.0, n=12, grand_mean=500.0, sigma=40.0, tau=20.0)
    assert float(estimate) == pytest.approx(545.0, **APPROX)


def test_tau_zero_is_complete_pooling():
    n = np.array([1, 5, 40, 500])
    group_mean = np.array([430.0, 610.0, 480.0, 515.0])
    np.testing.assert_array_equal(shrinkage_weight(n, sigma=40.0, tau=0.0), np.zeros(4))
    np.testing.assert_allclose(partial_pooling_estimate(group_mean, n, 500.0, 40.0, 0.0), np.full(4, 500.0), **EXACT)


def test_tau_infinite_is_no_pooling():
    n = np.array([1, 5, 40, 500])
    group_mean = np.array([430.0, 610.0, 480.0, 515.0])
    np.testing.assert_array_equal(shrinkage_weight(n, sigma=40.0, tau=np.inf), np.ones(4))
    np.testing.assert_allclose(partial_pooling_estimate(group_mean, n, 500.0, 40.0, np.inf), group_mean, **EXACT)


def test_limits_are_approached_continuously():
    # The limits are not special cases glued on: w = n tau^2 / (n tau^2 + sigma^2) is about
    # n tau^2 / sigma^2 for tiny tau and 1 - sigma^2 / (n tau^2) for huge tau (first order;
    # the relative size of the next term is n tau^2 / sigma^2 ~ 6e-9, resp. sigma^2 / (n tau^2)
    # ~ 2e-8, and rounding in 1 - w costs ~1e-16 / 2e-8 ~ 1e-8: all well inside rel=1e-6).
    n, sigma = 10, 40.0
    assert float(shrinkage_weight(n, sigma, tau=1e-3)) == pytest.approx(n * 1e-3**2 / sigma**2, rel=1e-6)
    assert 1 - float(shrinkage_weight(n, sigma, tau=1e5)) == pytest.approx(sigma**2 / (n * 1e5**2), rel=1e-6)


def test_a_group_without_data_gets_no_weight():
    assert float(shrinkage_weight(0, sigma=40.0, tau=20.0)) == 0.0


def test_weight_increases_with_group_size_and_with_tau():
    n = np.arange(1, 1001)
    weight = shrinkage_weight(n, sigma=40.0, tau=12.0)
    assert (np.diff(weight) > 0).all()
    assert ((weight > 0) & (weight < 1)).all()
    taus = np.geomspace(0.1, 1000, 200)
    assert (np.diff(shrinkage_weight(15, sigma=40.0, tau=taus)) > 0).all()
    # ... and decreases with the noise within groups.
    sigmas = np.geomspace(0.1, 1000, 200)
    assert (np.diff(shrinkage_weight(15, sigma=sigmas, tau=12.0)) < 0).all()


def test_weight_is_the_spearman_brown_reliability_of_a_group_mean():
    # With rho = icc(tau, sigma), w = n rho / (1 + (n - 1) rho): two closed forms, one number.
    n = np.array([1, 3, 12, 80])[:, None]
    tau = np.array([0.5, 5.0, 20.0])[None, :]
    rho = icc(tau, 40.0)
    np.testing.assert_allclose(shrinkage_weight(n, 40.0, tau), n * rho / (1 + (n - 1) * rho), **EXACT)


def test_posterior_draws_broadcast_against_groups():
    # Draws of (sigma, tau, mu) as columns, groups as a row: one estimate per draw and group.
    rng = np.random.default_rng(3)
    n_draws, n_groups = 50, 7
    sigma = rng.uniform(30, 50, size=(n_draws, 1))
    tau = rng.uniform(5, 20, size=(n_draws, 1))
    mu = rng.normal(500, 3, size=(n_draws, 1))
    n = rng.integers(1, 100, size=n_groups)
    group_mean = rng.normal(500, 30, size=(n_draws, n_groups))
    weight = shrinkage_weight(n, sigma, tau)
    estimate = partial_pooling_estimate(group_mean, n, mu, sigma, tau)
    assert weight.shape == estimate.shape == (n_draws, n_groups)
    # Each cell equals the scalar computation for that draw and group.
    d, j = 17, 4
    scalar = partial_pooling_estimate(group_mean[d, j], n[j], mu[d, 0], sigma[d, 0], tau[d, 0])
    assert estimate[d, j] == pytest.approx(float(scalar), **APPROX)


def test_estimate_lies_between_group_mean_and_grand_mean():
    rng = np.random.default_rng(11)
    size = 1000
    group_mean = rng.normal(500, 50, size)
    grand_mean = rng.normal(500, 10, size)
    n = rng.integers(0, 300, size)
    sigma = rng.uniform(1, 80, size)
    tau = np.where(rng.random(size) < 0.1, np.inf, rng.uniform(0, 40, size))
    estimate = partial_pooling_estimate(group_mean, n, grand_mean, sigma, tau)
    low, high = np.minimum(group_mean, grand_mean), np.maximum(group_mean, grand_mean)
    # A convex combination can overshoot its ends only by rounding (values ~500, eps ~1e-16).
    slack = 1e-9
    assert ((estimate >= low - slack) & (estimate <= high + slack)).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 12, "sigma": -40.0, "tau": 20.0}, "`sigma` must be non-negative"),
        ({"n": 12, "sigma": 40.0, "tau": -1.0}, "`tau` must be non-negative"),
        ({"n": -3, "sigma": 40.0, "tau": 20.0}, "`n` must be non-negative"),
        ({"n": [12, np.nan], "sigma": 40.0, "tau": 20.0}, "`n` must be non-negative"),
        ({"n": 12, "sigma": np.nan, "tau": 20.0}, "`sigma` must be non-negative"),
        ({"n": 12, "sigma": 40.0, "tau": [20.0, np.nan]}, "`tau` must be non-negative"),
        ({"n": 12, "sigma": 0.0, "tau": 20.0}, "`sigma` must be positive"),
        ({"n": 12, "sigma": [40.0, 0.0], "tau": 20.0}, "`sigma` must be positive"),
    ],
)
def test_shrinkage_weight_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        shrinkage_weight(**kwargs)
    with pytest.raises(ValueError, match=match):
        partial_pooling_estimate(group_mean=560.0, grand_mean=500.0, **kwargs)


@pytest.mark.parametrize(("group_mean", "grand_mean"), [(np.nan, 500.0), (560.0, np.inf), ([560.0, np.nan], 500.0)])
def test_partial_pooling_estimate_needs_finite_means(group_mean, grand_mean):
    with pytest.raises(ValueError, match="must be finite"):
        partial_pooling_estimate(group_mean, 12, grand_mean, 40.0, 20.0)


# --- icc ----------------------------------------------------------------------------------------


def test_icc_by_hand_and_at_its_bounds():
    assert float(icc(tau=20.0, sigma=40.0)) == pytest.approx(0.2, **APPROX)  # 400 / 2000
    assert float(icc(tau=30.0, sigma=30.0)) == pytest.approx(0.5, **APPROX)
    assert float(icc(tau=0.0, sigma=40.0)) == 0.0
    assert float(icc(tau=20.0, sigma=0.0)) == 1.0


def test_icc_lies_in_unit_interval_and_broadcasts():
    rng = np.random.default_rng(5)
    tau = rng.uniform(0, 50, size=(100, 1))
    sigma = rng.uniform(0.1, 50, size=(1, 30))
    rho = icc(tau, sigma)
    assert rho.shape == (100, 30)
    assert ((rho >= 0) & (rho <= 1)).all()
    # Increasing in tau for fixed sigma.
    assert (np.diff(icc(np.linspace(0, 100, 50), 40.0)) > 0).all()


@pytest.mark.parametrize(
    ("tau", "sigma", "match"),
    [
        (-1.0, 40.0, "`tau` must be non-negative"),
        (20.0, -1.0, "`sigma` must be non-negative"),
        (np.nan, 40.0, "`tau` must be non-negative"),
        (0.0, 0.0, "cannot both be zero"),
        ([1.0, 0.0], [1.0, 0.0], "cannot both be zero"),
    ],
)
def test_icc_bad_input(tau, sigma, match):
    with pytest.raises(ValueError, match=match):
        icc(tau, sigma)


# --- group_summary ------------------------------------------------------------------------------


def test_group_summary_on_a_tiny_frame():
    df = pd.DataFrame({"school": ["b", "a", "b", "a", "c"], "literacy": [5.0, 1.0, 7.0, 3.0, 9.0]})
    summary = group_summary(df, "literacy", "school")
    assert summary.index.tolist() == ["a", "b", "c"]
    assert summary.columns.tolist() == ["n", "mean", "sd"]
    assert summary["n"].tolist() == [2, 2, 1]
    np.testing.assert_allclose(summary["mean"], [2.0, 6.0, 9.0], **EXACT)
    # sd with ddof=1: sqrt(((1-2)^2 + (3-2)^2) / 1) = sqrt(2); a group of one has no sd.
    np.testing.assert_allclose(summary["sd"].iloc[:2], [np.sqrt(2), np.sqrt(2)], **EXACT)
    assert np.isnan(summary["sd"].iloc[2])


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (pd.DataFrame({"school": ["a"], "y": [1.0]}), KeyError, r"\['literacy'\] not found"),
        (pd.DataFrame({"school": ["a", None], "literacy": [1.0, 2.0]}), ValueError, "'school' has 1 missing"),
        (pd.DataFrame({"school": ["a", "b"], "literacy": [1.0, np.nan]}), ValueError, "'literacy' has 1 missing"),
        (pd.DataFrame({"school": ["a", "b"], "literacy": ["1", "2"]}), TypeError, "'literacy' must be numeric"),
        (pd.DataFrame({"school": [], "literacy": []}), ValueError, "empty"),
    ],
)
def test_group_summary_bad_input(data, error, match):
    with pytest.raises(error, match=match):
        group_summary(data, "literacy", "school")


# --- least_squares_intercepts -------------------------------------------------------------------


@pytest.fixture(scope="module")
def noiseless():
    """Outcome exactly intercept_j + 2 x1 - 3 x2, with predictors varying within every group."""
    rng = np.random.default_rng(8)
    intercepts = pd.Series({"a": 10.0, "b": -4.0, "c": 25.0, "d": 0.5})
    group = np.repeat(intercepts.index.to_numpy(), [3, 5, 4, 6])
    x1 = rng.normal(size=len(group))
    x2 = rng.normal(size=len(group))
    y = intercepts.reindex(group).to_numpy() + 2.0 * x1 - 3.0 * x2
    data = pd.DataFrame({"g": group, "x1": x1, "x2": x2, "y": y}).sample(frac=1.0, random_state=1)
    return data, intercepts


def test_least_squares_recovers_exact_coefficients(noiseless):
    data, intercepts = noiseless
    fit = least_squares_intercepts(data, "y", ["x1", "x2"], group="g")
    # Exact data: only rounding error in a well-conditioned 18 x 6 solve.
    pd.testing.assert_series_equal(fit["intercepts"], intercepts, check_names=False, check_index_type=False, rtol=1e-9)
    assert fit["intercepts"].index.tolist() == ["a", "b", "c", "d"]
    np.testing.assert_allclose(fit["slopes"].to_numpy(), [2.0, -3.0], rtol=1e-9)
    assert fit["slopes"].index.tolist() == ["x1", "x2"]
    assert fit["sigma"] < 1e-9
    assert fit["standard_errors"].index.equals(fit["intercepts"].index)


def test_one_intercept_named_all_without_a_group(noiseless):
    data, _ = noiseless
    data = data.assign(y=data["x1"] * 2.0 + 7.0)
    fit = least_squares_intercepts(data, "y", ["x1"])
    assert fit["intercepts"].index.tolist() == ["all"]
    assert fit["intercepts"]["all"] == pytest.approx(7.0, rel=1e-9)
    assert fit["slopes"]["x1"] == pytest.approx(2.0, rel=1e-9)


def test_intercepts_are_group_means_of_the_outcome_net_of_slopes():
    # The fixed-effects identity the docstring states, on noisy data.
    rng = np.random.default_rng(4)
    data = pd.DataFrame({"g": rng.choice(list("pqrst"), 200), "x": rng.normal(size=200)})
    data["y"] = rng.normal(size=200) + 1.5 * data["x"]
    fit = least_squares_intercepts(data, "y", "x", group="g")
    net = (data["y"] - fit["slopes"]["x"] * data["x"]).groupby(data["g"]).mean()
    np.testing.assert_allclose(fit["intercepts"].to_numpy(), net.to_numpy(), rtol=1e-10)
    # Without predictors, the intercepts are the raw group means.
    plain = least_squares_intercepts(data, "y", group="g")["intercepts"]
    np.testing.assert_allclose(plain.to_numpy(), group_summary(data, "y", "g")["mean"].to_numpy(), rtol=1e-10)


def test_standard_errors_are_sigma_over_root_n_without_predictors():
    rng = np.random.default_rng(9)
    data = pd.DataFrame({"g": np.repeat(["a", "b", "c"], [4, 16, 64]), "y": rng.normal(size=84)})
    fit = least_squares_intercepts(data, "y", group="g")
    np.testing.assert_allclose(fit["standard_errors"].to_numpy(), fit["sigma"] / np.sqrt([4, 16, 64]), rtol=1e-10)


@pytest.mark.parametrize("group", ["g", None])
def test_least_squares_equals_the_full_dummy_design(group):
    # The function solves the dummy-variable regression without building the dummies; the full
    # design, solved and inverted directly, must give the same intercepts, slopes, sigma and
    # standard errors (the SEs include the slopes' uncertainty, not just sigma / sqrt(n)).
    rng = np.random.default_rng(11)
    data = pd.DataFrame({"g": rng.choice(list("pqrstu"), 300), "x1": rng.normal(3.0, 2.0, 300)})
    data["x2"] = rng.normal(size=300) + 0.5 * data["x1"] + data["g"].map({c: i for i, c in enumerate("pqrstu")})
    data["y"] = rng.normal(size=300) * 2.0 + 1.5 * data["x1"] - data["x2"]
    fit = least_squares_intercepts(data, "y", ["x1", "x2"], group=group)
    labels = sorted(data["g"].unique()) if group else ["all"]
    dummies = (data["g"].to_numpy()[:, None] == np.array(labels)) if group else np.ones((300, 1))
    design = np.column_stack([dummies.astype(float), data[["x1", "x2"]].to_numpy()])
    coef = np.linalg.solve(design.T @ design, design.T @ data["y"].to_numpy())
    residual = data["y"].to_numpy() - design @ coef
    sigma = np.sqrt(residual @ residual / (300 - design.shape[1]))
    se = sigma * np.sqrt(np.diag(np.linalg.inv(design.T @ design)))
    np.testing.assert_allclose(fit["intercepts"].to_numpy(), coef[: len(labels)], rtol=1e-9)
    np.testing.assert_allclose(fit["slopes"].to_numpy(), coef[len(labels) :], rtol=1e-9)
    assert fit["sigma"] == pytest.approx(sigma, rel=1e-9)
    np.testing.assert_allclose(fit["standard_errors"].to_numpy(), se[: len(labels)], rtol=1e-9)
    assert fit["standard_errors"].iloc[0] > fit["sigma"] / np.sqrt(dummies[:, 0].sum()) * 1.01


def test_predictors_collinear_through_group_constants():
    # x2 = x1 + a group constant: each varies within groups, but not independently of the other.
    rng = np.random.default_rng(12)
    data = pd.DataFrame({"g": np.repeat(list("abcd"), 5), "x1": rng.normal(size=20), "y": rng.normal(size=20)})
    data["x2"] = data["x1"] + data["g"].map({"a": 1.0, "b": 2.0, "c": 0.0, "d": -1.0})
    with pytest.raises(ValueError, match="collinear"):
        least_squares_intercepts(data, "y", ["x1", "x2"], group="g")
    assert least_squares_intercepts(data, "y", ["x1", "x2"])["slopes"].notna().all()


def test_predictor_constant_within_every_group_is_collinear(noiseless):
    data, intercepts = noiseless
    data = data.assign(school_level=data["g"].map({"a": 1.0, "b": 2.0, "c": 2.0, "d": 5.0}))
    with pytest.raises(ValueError, match=r"collinear.*constant within every group"):
        least_squares_intercepts(data, "y", ["x1", "school_level"], group="g")
    # A constant column is collinear with the single intercept too.
    with pytest.raises(ValueError, match="collinear"):
        least_squares_intercepts(data.assign(one=1.0), "y", ["one"])


def test_no_residual_degrees_of_freedom_is_an_error():
    data = pd.DataFrame({"g": ["a", "b"], "y": [1.0, 2.0]})
    with pytest.raises(ValueError, match="Too few rows"):
        least_squares_intercepts(data, "y", group="g")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"predictors": ["x9"]}, KeyError, r"\['x9'\] not found"),
        ({"group": "district"}, KeyError, r"\['district'\] not found"),
        ({"predictors": ["label"]}, TypeError, "'label' must be numeric"),
        ({"predictors": ["x_missing"]}, ValueError, "'x_missing' has 1 missing"),
    ],
)
def test_least_squares_bad_input(kwargs, error, match):
    data = pd.DataFrame(
        {
            "g": ["a", "a", "b", "b"],
            "y": [1.0, 2.0, 3.0, 5.0],
            "label": list("wxyz"),
            "x_missing": [1.0, np.nan, 0.0, 2.0],
        }
    )
    with pytest.raises(error, match=match):
        least_squares_intercepts(data, "y", **kwargs)


def test_least_squares_rejects_the_outcome_as_a_predictor():
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "y": [1.0, 2.0, 3.0, 5.0]})
    with pytest.raises(ValueError, match="must be different columns"):
        least_squares_intercepts(df, "y", ["y"])
