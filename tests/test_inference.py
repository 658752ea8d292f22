"""Sampling, diagnostics and tidy estimates; and what a fit recovers of a known truth.

One partial-pooling fit (``partial_fit`` in conftest.py, ~4 s) serves every test here, plus
two tiny fits for the same-seed-same-draws promise. Badly converged fits are made from the
clean one by breaking exactly one thing (divergences, disagreeing chains, too few draws),
so each failure path is exercised deterministically and without sampling again.
"""

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hlmkit import (
    MAX_RHAT,
    MIN_ESS,
    check_convergence,
    complete_pooling_model,
    diagnose,
    group_estimates,
    least_squares_intercepts,
    partial_pooling_estimate,
    posterior_draws,
    posterior_summary,
    sample,
)

REPORTED = ["mu", "tau", "sigma", "beta", "alpha"]
DIAGNOSE_COLUMNS = [
    "divergences",
    "max_r_hat",
    "min_ess_bulk",
    "min_ess_tail",
    "max_treedepth_hits",
    "sampling_s",
    "ok",
    "verdict",
]


@pytest.fixture(scope="module")
def truth(small_region):
    """True school intercepts: expected literacy at the reference grade with SES 0."""
    return small_region.schools.set_index("school")["true_intercept"]


@pytest.fixture(scope="module")
def tiny_frame():
    return pd.DataFrame({"school": list("aabbbc"), "y": [1.0, 2.0, 3.0, 4.0, 6.0, 7.0], "x": [0.0, 1, 0, 1, 2, 0]})


# --- the fit itself -----------------------------------------------------------------------------


def test_fit_has_the_book_defaults_and_labelled_groups(partial_fit, small_students):
    assert {"posterior", "sample_stats", "observed_data"} <= set(partial_fit.children)
    assert dict(partial_fit.posterior.sizes)["chain"] == 4
    assert dict(partial_fit.posterior.sizes)["draw"] == 1000
    assert partial_fit.attrs["sampler"] == "nutpie"
    assert partial_fit.attrs["sampling_time"] > 0
    assert partial_fit.posterior["alpha"].dims == ("chain", "draw", "school")
    assert partial_fit.posterior["school"].values.tolist() == sorted(small_students["school"].unique())
    assert partial_fit.posterior["predictor"].values.tolist() == ["grade_c", "ses"]


def test_the_fit_is_clean(partial_fit):
    table = check_convergence(partial_fit, REPORTED)
    assert table.columns.tolist() == DIAGNOSE_COLUMNS
    assert len(table) == 1
    row = table.iloc[0]
    assert bool(row["ok"])
    assert row["divergences"] == 0
    assert row["max_r_hat"] <= MAX_RHAT
    assert row["min_ess_bulk"] >= MIN_ESS
    assert row["min_ess_tail"] > 0
    assert row["sampling_s"] > 0
    assert row["verdict"].startswith("clean")


def test_diagnose_labels_its_row(partial_fit):
    assert diagnose(partial_fit, ["mu"], label="partial pooling").index.tolist() == ["partial pooling"]
    # Diagnostics of all variables (the default) are at least as bad as those of a subset.
    everything, subset = diagnose(partial_fit).iloc[0], diagnose(partial_fit, ["mu"]).iloc[0]
    assert everything["max_r_hat"] >= subset["max_r_hat"]
    assert everything["min_ess_bulk"] <= subset["min_ess_bulk"]


def _broken(fit: xr.DataTree) -> xr.DataTree:
    return fit.copy(deep=True)


def test_divergences_fail_the_convergence_check(partial_fit):
    bad = _broken(partial_fit)
    bad["sample_stats"]["diverging"][0, :5] = True
    assert diagnose(bad, ["mu"]).iloc[0]["divergences"] == 5
    with pytest.raises(AssertionError, match="convergence limits: 5 divergent transition"):
        check_convergence(bad, ["mu"])
    # The clean fit was not touched by breaking its copy.
    assert int(partial_fit.sample_stats["diverging"].sum()) == 0


def test_disagreeing_chains_fail_the_convergence_check(partial_fit):
    bad = _broken(partial_fit)
    # Move one chain of mu by ten posterior sds: the chains no longer overlap, and even the
    # rank-normalised r_hat (which saturates for separated chains) lands far above 1.01.
    shift = 10 * float(partial_fit.posterior["mu"].std())
    bad["posterior"]["mu"][0] = bad["posterior"]["mu"][0] + shift
    assert diagnose(bad, ["mu"]).iloc[0]["max_r_hat"] > 1.2
    with pytest.raises(AssertionError, match=r"r_hat up to .* > 1\.01"):
        check_convergence(bad, ["mu"], label="shifted")


def test_too_few_draws_fail_the_convergence_check(partial_fit):
    # 4 chains x 25 draws = 100 draws. Even the best-mixing quantity here has bulk ESS ~1.5
    # times the draws (antithetic NUTS), far below the 400 required.
    short = partial_fit.isel(draw=slice(0, 25))
    with pytest.raises(AssertionError, match=r"bulk ESS down to \d+ < 400"):
        check_convergence(short, REPORTED)


def test_tree_depth_hits_are_counted_and_reported(partial_fit):
    bad = _broken(partial_fit)
    bad["sample_stats"]["maxdepth_reached"][1, :3] = True
    row = diagnose(bad, ["mu"]).iloc[0]
    assert row["max_treedepth_hits"] == 3
    assert "3 draw(s) hit the maximum tree depth" in row["verdict"]


def test_diagnose_bad_input(partial_fit):
    with pytest.raises(TypeError, match="DataTree"):
        diagnose(partial_fit.posterior.to_dataset())
    with pytest.raises(KeyError, match=r"\['gamma'\] not in the posterior"):
        diagnose(partial_fit, ["mu", "gamma"])


# --- tidy estimates -----------------------------------------------------------------------------


def test_group_estimates_table(partial_fit, small_students):
    sizes = small_students["school"].value_counts()
    table = group_estimates(partial_fit, "alpha", sizes=sizes)
    assert table.columns.tolist() == ["mean", "sd", "lower", "upper", "n"]
    assert table.index.name == "school"
    assert table.index.tolist() == sorted(small_students["school"].unique())
    # n is aligned by label, not by position (value_counts is sorted by count).
    np.testing.assert_array_equal(table["n"], sizes.reindex(table.index))
    assert ((table["lower"] < table["mean"]) & (table["mean"] < table["upper"])).all()
    assert (table["sd"] > 0).all()
    # The same numbers as the raw draws give.
    draws = posterior_draws(partial_fit, "alpha")
    assert draws.shape == (4000, len(table))
    np.testing.assert_allclose(table["mean"], draws.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(table["upper"], np.quantile(draws, 0.95, axis=0), rtol=1e-12)


def test_narrower_probability_gives_nested_intervals(partial_fit):
    wide = group_estimates(partial_fit, "alpha", prob=0.9)
    narrow = group_estimates(partial_fit, "alpha", prob=0.5)
    assert ((wide["lower"] < narrow["lower"]) & (narrow["upper"] < wide["upper"])).all()
    pd.testing.assert_series_equal(wide["mean"], narrow["mean"])


def test_group_estimates_of_any_one_dimensional_variable(partial_fit):
    slopes = group_estimates(partial_fit, "beta")
    assert slopes.index.name == "predictor"
    assert slopes.index.tolist() == ["grade_c", "ses"]


def test_group_estimates_bad_input(partial_fit):
    with pytest.raises(KeyError, match=r"\['gamma'\] not in the posterior"):
        group_estimates(partial_fit, "gamma")
    with pytest.raises(ValueError, match="'mu' has dims \\[\\]; group_estimates needs exactly one group dimension"):
        group_estimates(partial_fit, "mu")
    with pytest.raises(ValueError, match="`prob` must lie strictly between 0 and 1"):
        group_estimates(partial_fit, "alpha", prob=1.0)
    with pytest.raises(KeyError, match="`sizes` has no entry for group"):
        group_estimates(partial_fit, "alpha", sizes=pd.Series({"School 01": 12}))
    with pytest.raises(TypeError, match="DataTree"):
        group_estimates({"posterior": None}, "alpha")


def test_posterior_draws_shapes(partial_fit):
    assert posterior_draws(partial_fit, "mu").shape == (4000,)
    assert posterior_draws(partial_fit, "beta").shape == (4000, 2)
    with pytest.raises(KeyError, match="not in the posterior"):
        posterior_draws(partial_fit, "gamma")


def test_posterior_summary_columns_and_rounding(partial_fit):
    table = posterior_summary(partial_fit, ["mu", "beta", "sigma"])
    assert table.columns.tolist() == ["mean", "sd", "lower", "upper", "ess_bulk", "r_hat"]
    assert table.index.tolist() == ["mu", "beta[grade_c]", "beta[ses]", "sigma"]
    assert pd.api.types.is_integer_dtype(table["ess_bulk"])
    raw = {
        "mu": posterior_draws(partial_fit, "mu"),
        "beta[grade_c]": posterior_draws(partial_fit, "beta")[:, 0],
        "beta[ses]": posterior_draws(partial_fit, "beta")[:, 1],
        "sigma": posterior_draws(partial_fit, "sigma"),
    }
    for name, draws in raw.items():
        row = table.loc[name]
        sd = draws.std(ddof=1)
        # The sd is shown to two significant digits ...
        digits = 1 - int(np.floor(np.log10(row["sd"])))
        assert row["sd"] == round(row["sd"], digits)
        assert row["sd"] == pytest.approx(sd, rel=0.05)
        # ... so mean and interval are rounded to a tenth of the sd's leading digit or finer:
        # off the unrounded values by at most sd / 20 (plus the quantile rule's tiny spread).
        assert abs(row["mean"] - draws.mean()) <= sd / 20 + 1e-9
        assert abs(row["lower"] - np.quantile(draws, 0.05)) <= sd / 20 + sd / 100
        assert abs(row["upper"] - np.quantile(draws, 0.95)) <= sd / 20 + sd / 100
        assert row["r_hat"] == round(row["r_hat"], 3)


def test_posterior_summary_shows_each_row_with_its_own_decimals_and_stays_a_table_of_floats(partial_fit):
    table = posterior_summary(partial_fit, ["mu", "beta", "sigma"])
    shown = table.shown()
    for name, row in table.iterrows():
        places = 1 - int(np.floor(np.log10(row["sd"])))
        for column in ("mean", "sd", "lower", "upper"):
            text = shown.loc[name, column]
            assert len(text.split(".")[1]) == places if places else "." not in text, (name, column, text)
            assert float(text) == pytest.approx(row[column], abs=10.0**-places)
        assert shown.loc[name, "ess_bulk"] == str(int(row["ess_bulk"]))
        assert len(shown.loc[name, "r_hat"].split(".")[1]) == 3
    assert shown.loc["mu", "mean"] in repr(table) and shown.loc["mu", "mean"] in table._repr_html_()
    assert pd.api.types.is_float_dtype(table["mean"])
    assert type(table[["mean", "sd"]]) is pd.DataFrame and type(table.loc["mu"]) is pd.Series


def test_posterior_summary_never_shows_minus_zero():
    from hlmkit.summaries import PosteriorSummary

    table = PosteriorSummary(pd.DataFrame({"mean": [-0.001, np.nan], "sd": [0.2, 0.3]}, index=["a", "b"]))
    assert table.shown()["mean"].tolist() == ["0.00", ""]


def test_posterior_summary_rows_of_different_precision_keep_their_own_decimals():
    # Found in ch4: pandas showed 41.17 as 41.170 beside a slope known to three decimals.
    from hlmkit.summaries import PosteriorSummary

    table = PosteriorSummary(pd.DataFrame({"mean": [41.17, 0.054, 0.5], "sd": [0.51, 0.012, 0.12]}, index=list("abc")))
    assert table.shown()["mean"].tolist() == ["41.17", "0.054", "0.50"]
    assert table.shown()["sd"].tolist() == ["0.51", "0.012", "0.12"]


def test_posterior_summary_leaves_out_the_unit_diagonal_of_a_correlation_matrix():
    # A varying-slopes fit's corr is 1 on its diagonal in every draw: no sd, no r_hat, nothing to read.
    rng = np.random.default_rng(0)
    effects = ["intercept", "ses"]
    corr = np.tile(np.eye(2), (2, 100, 1, 1))
    corr[..., 0, 1] = corr[..., 1, 0] = np.tanh(rng.normal(0.3, 0.2, (2, 100)))
    cov = corr * 4.0  # a covariance matrix: its diagonal varies, nothing is dropped
    cov[..., 0, 0] += rng.uniform(0, 1, (2, 100))
    dims = ("chain", "draw", "effect", "effect_bis")
    posterior = xr.Dataset(
        {"corr": (dims, corr), "cov": (dims, cov)}, coords={"effect": effects, "effect_bis": effects}
    )
    table = posterior_summary(xr.DataTree.from_dict({"posterior": posterior}))
    assert [name for name in table.index if name.startswith("corr")] == ["corr[intercept, ses]", "corr[ses, intercept]"]
    assert table.loc[["corr[intercept, ses]", "corr[ses, intercept]"], "r_hat"].notna().all()
    assert len([name for name in table.index if name.startswith("cov")]) == 4


def test_diagnose_skips_the_unit_diagonal_of_a_correlation_matrix_without_a_warning():
    # Found in ch14 (seed 1): r_hat of a quantity that is 1 in every draw is 0/0, and ArviZ's
    # RuntimeWarning, with the build machine's path in it, reached the reader's page.
    import warnings

    rng = np.random.default_rng(1)
    corr = np.tile(np.eye(2), (4, 200, 1, 1))
    corr[..., 0, 1] = corr[..., 1, 0] = np.tanh(rng.normal(0.3, 0.2, (4, 200)))
    dims = ("chain", "draw", "effect", "effect_bis")
    posterior = xr.Dataset(
        {"corr": (dims, corr), "mu": (("chain", "draw"), rng.normal(0.0, 1.0, (4, 200)))},
        coords={"effect": ["intercept", "ses"], "effect_bis": ["intercept", "ses"]},
    )
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((4, 200), dtype=bool))})
    fit = xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        row = diagnose(fit, ["mu", "corr"]).iloc[0]
    assert np.isfinite(row["max_r_hat"]) and row["max_r_hat"] < 1.05
    assert np.isfinite(row["min_ess_bulk"]) and np.isfinite(row["min_ess_tail"])


def test_posterior_summary_bad_input(partial_fit):
    with pytest.raises(KeyError, match="not in the posterior"):
        posterior_summary(partial_fit, ["gamma"])
    with pytest.raises(ValueError, match="`prob` must lie strictly between 0 and 1"):
        posterior_summary(partial_fit, ["mu"], prob=0.0)


# --- sample -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"seed": 1.5}, TypeError, "`seed` must be a non-negative integer"),
        ({"seed": True}, TypeError, "`seed` must be a non-negative integer"),
        ({"seed": -1}, ValueError, "`seed` must be a non-negative integer"),
        ({"seed": 1, "sampler": "stan"}, ValueError, "`sampler` must be one of"),
        ({"seed": 1, "target_accept": 1.0}, ValueError, "`target_accept` must lie strictly between 0 and 1"),
        ({"seed": 1, "target_accept": 0.0}, ValueError, "`target_accept` must lie strictly between 0 and 1"),
        ({"seed": 1, "target_accept": 1.2}, ValueError, "`target_accept` must lie strictly between 0 and 1"),
        ({"seed": 1, "draws": 0}, ValueError, "`draws` must be at least 1"),
        ({"seed": 1, "chains": 2.0}, TypeError, "`chains` must be an integer"),
    ],
)
def test_sample_bad_arguments(tiny_frame, kwargs, error, match):
    model = complete_pooling_model(tiny_frame, "y", ["x"])
    with pytest.raises(error, match=match):
        sample(model, progressbar=False, **kwargs)


def test_sample_needs_a_model(tiny_frame):
    with pytest.raises(TypeError, match="`model` must be a pymc.Model"):
        sample(tiny_frame, seed=1)


def test_same_seed_same_draws(tiny_frame):
    # Two short fits of a tiny model (~3 s each, mostly nutpie's compilation).
    model = complete_pooling_model(tiny_frame, "y", ["x"])
    first, second = (sample(model, seed=5, draws=50, tune=50, chains=2, progressbar=False) for _ in range(2))
    for name in ("alpha", "beta", "sigma"):
        np.testing.assert_array_equal(first.posterior[name].values, second.posterior[name].values)


def test_pymcs_own_sampler_gives_the_same_kind_of_fit(tiny_frame):
    # sampler="pymc" (PyMC's NUTS, in Python: slower per draw than nutpie here, so the examples
    # use nutpie) returns the same structure, labelled with its sampler.
    model = complete_pooling_model(tiny_frame, "y", ["x"])
    idata = sample(model, seed=5, draws=30, tune=30, chains=2, sampler="pymc", progressbar=False, check=False)
    assert (idata.posterior.sizes["chain"], idata.posterior.sizes["draw"]) == (2, 30)
    assert set(idata.posterior.data_vars) >= {"alpha", "beta", "sigma"}
    assert idata.attrs["sampler"] == "pymc" and "sample_stats" in idata.children


# --- recovery of a known truth ------------------------------------------------------------------


@pytest.mark.parametrize("prob", [0.5, 0.9])
def test_intervals_cover_the_true_intercepts_at_about_the_nominal_rate(partial_fit, truth, prob):
    table = group_estimates(partial_fit, "alpha", prob=prob)
    true = truth.reindex(table.index)
    covered = int(((table["lower"] <= true) & (true <= table["upper"])).sum())
    n_schools = len(table)
    expected = prob * n_schools
    binomial_sd = np.sqrt(n_schools * prob * (1 - prob))  # 3.2 and 1.9 schools for 42 schools
    # Averaged over schools, a posterior interval of the right model covers at its nominal
    # rate. Misses are not independent, though: an estimate of tau that is too small narrows
    # every interval at once, so the count varies more than a binomial (with ~100 schools and
    # 10 seeds, single fits ranged from 2.2 binomial sds below to 1.4 above). We allow 4
    # binomial sds. That still catches intervals of the wrong width (90% intervals would cover
    # ~38 of 42, outside 21 +- 13; 50% intervals ~21, outside 37.8 - 7.8) and intercepts
    # attached to the wrong school (coverage would collapse to chance).
    assert abs(covered - expected) <= 4 * binomial_sd, f"{covered} of {n_schools} covered at {prob:.0%}"


def test_common_parameters_are_recovered(partial_fit, small_region):
    # Each true value within 3.3 posterior sds of the posterior mean (a 99.9% normal interval;
    # with five checks, a calibrated posterior fails one ~0.5% of the time).
    params = small_region.params
    truth = {
        "mu": params["mu"],
        "sigma": params["sigma"],
        "tau": params["tau_school"],
        "beta[grade_c]": params["beta_grade"],
        "beta[ses]": params["beta_ses"],
    }
    draws = {
        "mu": posterior_draws(partial_fit, "mu"),
        "sigma": posterior_draws(partial_fit, "sigma"),
        "tau": posterior_draws(partial_fit, "tau"),
        "beta[grade_c]": posterior_draws(partial_fit, "beta")[:, 0],
        "beta[ses]": posterior_draws(partial_fit, "beta")[:, 1],
    }
    for name, value in truth.items():
        z = (draws[name].mean() - value) / draws[name].std()
        assert abs(z) < 3.3, f"{name}: posterior mean {draws[name].mean():.2f}, truth {value}"


def test_partial_pooling_beats_no_pooling_and_complete_pooling(partial_fit, small_students, truth):
    # Why this region (conftest.py): small schools, where pooling's gain is large for every
    # seed tried, so the comparison tests the model, not the luck of one draw.
    partial = group_estimates(partial_fit, "alpha")["mean"]
    predictors = ["grade_c", "ses"]
    no_pooling = least_squares_intercepts(small_students, "literacy", predictors, group="school")["intercepts"]
    pooled = least_squares_intercepts(small_students, "literacy", predictors)["intercepts"]["all"]
    true = truth.reindex(partial.index)

    def rmse(estimate):
        return float(np.sqrt(np.mean((np.asarray(estimate, dtype=float) - true.to_numpy()) ** 2)))

    assert rmse(partial) < rmse(no_pooling.reindex(partial.index))
    assert rmse(partial) < rmse(np.full(len(true), pooled))


def test_posterior_mean_equals_the_averaged_closed_form(partial_fit, small_students):
    # Given (mu, tau, sigma, beta), alpha_j is normal with mean
    #   w_j (ybar_j - xbar_j @ beta) + (1 - w_j) mu,  w_j = n_j / (n_j + sigma^2 / tau^2),
    # exactly. Averaging it over the posterior draws (Rao-Blackwell) estimates E[alpha_j | y]
    # like the plain mean of alpha's draws does, with less variance and positively correlated
    # with it, so the two differ by at most about one MCSE of alpha's mean. Demanding < 4 MCSE
    # for each of 42 schools fails by chance with probability ~42 * 6e-5 ~ 0.3%: allow none.
    predictors = ["grade_c", "ses"]
    by_school = small_students.groupby("school", sort=True)
    ybar = by_school["literacy"].mean().to_numpy()
    xbar = by_school[predictors].mean().to_numpy()
    n = by_school.size().to_numpy()
    beta = posterior_draws(partial_fit, "beta")  # (draws, predictor)
    mu, sigma, tau = (posterior_draws(partial_fit, name)[:, None] for name in ("mu", "sigma", "tau"))
    conditional = partial_pooling_estimate(ybar[None, :] - beta @ xbar.T, n, mu, sigma, tau)  # (draws, school)
    closed_form = conditional.mean(axis=0)

    table = group_estimates(partial_fit, "alpha")
    assert table.index.tolist() == by_school.size().index.tolist()
    mcse = az.mcse(partial_fit, var_names=["alpha"])["alpha"].to_series().reindex(table.index).to_numpy()
    gap = np.abs(table["mean"].to_numpy() - closed_form) / mcse
    assert (gap < 4).all(), f"worst school {table.index[gap.argmax()]}: {gap.max():.1f} MCSE"

    # The check has teeth: without shrinkage (w = 1), the estimates miss alpha's posterior
    # mean by far more than 4 MCSE for most schools.
    unshrunk = (ybar[None, :] - beta @ xbar.T).mean(axis=0)
    assert np.mean(np.abs(table["mean"].to_numpy() - unshrunk) / mcse > 4) > 0.5


# --- the faster nutpie wrappers (hlmkit/_nutpie.py) ------------------------------------------------


def test_the_faster_nutpie_wrappers_give_the_same_draws_to_the_bit(monkeypatch):
    # The same model compiled by nutpie with its own wrappers and by compile_model (hlmkit's
    # wrappers and shape checks without formatted messages): the log density, its gradient (hence
    # the draws) and the expanded values (a deterministic) must not change in the last bit. Both
    # compile from scratch, PyTensor's disk cache off: code loaded from that cache can differ in the
    # last bits from code compiled afresh (a cold first run gives other draws). Each compile takes
    # 10-15 s without the cache, so hlmkit's wrappers are not also compiled on their own.
    import nutpie
    import nutpie.compile_pymc as compile_pymc
    import pymc as pm
    import pytensor

    from hlmkit import _nutpie

    assert _nutpie.use_fast_wrappers()
    stock = (_nutpie.STOCK["_make_c_logp_func"], _nutpie.STOCK["_make_c_expand_func"])
    fast = (_nutpie._make_c_logp_func, _nutpie._make_c_expand_func)
    kinds = {"stock": (stock, nutpie.compile_pymc_model),
             "compile_model": (fast, lambda model, backend: _nutpie.compile_model(model))}
    checks = []  # the shape checks compile_model compiled (a data container with dims has one)
    original = _nutpie._specify_shape

    def counted(op, node, **kwargs):
        checks.append(node)
        return original(op, node, **kwargs)

    monkeypatch.setattr(_nutpie, "_specify_shape", counted)
    rng = np.random.default_rng(4)
    school = rng.integers(8, size=60)
    with pm.Model(coords={"school": range(8), "obs": range(60), "predictor": ["x"]}) as model:
        # One predictor: the graph checks that the data container has one column (a SpecifyShape).
        x = pm.Data("x", rng.normal(size=(60, 1)), dims=("obs", "predictor"))
        beta = pm.Normal("beta", 0, 1, dims="predictor")
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 2)
        alpha = pm.Normal("alpha", mu, tau, dims="school")
        pm.Deterministic("alpha_twice", 2 * alpha, dims="school")
        pm.Normal("y", alpha[school] + pm.math.dot(x, beta), 1, observed=rng.normal(size=60) + school / 4, dims="obs")
    draws = {}
    with pytensor.config.change_flags(numba__cache=False):
        for kind, ((logp, expand), compile_) in kinds.items():
            monkeypatch.setattr(compile_pymc, "_make_c_logp_func", logp)  # put back after the test
            monkeypatch.setattr(compile_pymc, "_make_c_expand_func", expand)
            fit = nutpie.sample(compile_(model, backend="numba"), draws=100, tune=100, chains=2,
                                cores=1, seed=11, progress_bar=False)
            draws[kind] = np.concatenate([fit.posterior[v].values.reshape(2, 100, -1)
                                          for v in ("mu", "tau", "beta", "alpha", "alpha_twice")], axis=-1)
    assert draws["stock"].shape == (2, 100, 19)
    assert checks, "compile_model compiled no shape check of its own"
    np.testing.assert_array_equal(draws["compile_model"], draws["stock"])


def test_shape_checks_without_formatted_messages_still_fail_and_pytensors_own_come_back():
    # While compile_model runs, SpecifyShape is compiled with a fixed message: a wrong length must
    # still raise, naming the dimension; afterwards (also after an error) PyTensor's own is back.
    import pytensor
    import pytensor.tensor as pt
    from pytensor.link.numba.dispatch import basic as numba_basic
    from pytensor.tensor.shape import SpecifyShape

    from hlmkit import _nutpie

    keyed, legacy = numba_basic.numba_funcify_default_op_cache_key, numba_basic.numba_funcify
    own = (keyed.dispatch(SpecifyShape), legacy.dispatch(SpecifyShape))
    x = pt.matrix("x")
    with pytensor.config.change_flags(numba__cache=False), _nutpie._unformatted_shape_checks():
        assert keyed.dispatch(SpecifyShape) is _nutpie._specify_shape
        checked = pytensor.function([x], pt.specify_shape(x, (None, 3)) * 2, mode="NUMBA")
    np.testing.assert_array_equal(checked(np.ones((5, 3))), np.full((5, 3), 2.0))
    with pytest.raises(AssertionError, match="dim 1 of the input does not have the specified length"):
        checked(np.ones((5, 4)))
    assert (keyed.dispatch(SpecifyShape), legacy.dispatch(SpecifyShape)) == own
    with pytest.raises(RuntimeError, match="inside"), _nutpie._unformatted_shape_checks():
        raise RuntimeError("inside")
    assert (keyed.dispatch(SpecifyShape), legacy.dispatch(SpecifyShape)) == own


def test_the_faster_wrappers_leave_another_nutpie_version_alone(monkeypatch):
    import nutpie
    import nutpie.compile_pymc as compile_pymc

    from hlmkit import _nutpie

    stock = _nutpie.STOCK.get("_make_c_logp_func", compile_pymc._make_c_logp_func)
    monkeypatch.setattr(compile_pymc, "_make_c_logp_func", stock)  # each put back after the test
    monkeypatch.setattr(compile_pymc, "_make_c_expand_func", compile_pymc._make_c_expand_func)
    monkeypatch.setattr(nutpie, "__version__", "0.17.0")
    assert _nutpie.use_fast_wrappers() is False and compile_pymc._make_c_logp_func is stock
    monkeypatch.setattr(nutpie, "__version__", _nutpie.NUTPIE_VERSION)
    assert _nutpie.use_fast_wrappers() is True
    assert compile_pymc._make_c_logp_func is _nutpie._make_c_logp_func
    assert compile_pymc._make_c_expand_func is _nutpie._make_c_expand_func


def _logp_and_gradient(compiled, x):
    """What a compiled nutpie model's C function returns at the unconstrained point ``x``."""
    import ctypes

    x = np.ascontiguousarray(x, dtype=float)
    grad, logp = np.zeros_like(x), np.zeros(())
    double = ctypes.POINTER(ctypes.c_double)
    code = compiled.compiled_logp_func.ctypes(len(x), x.ctypes.data_as(double), grad.ctypes.data_as(double),
                                              logp.ctypes.data_as(double), compiled.user_data.ctypes.data)
    assert code == 0
    return float(logp), grad


def test_cached_wrappers_compute_the_model_they_are_loaded_for():
    # compile_model keeps nutpie's wrappers in PyTensor's disk cache. Data never seen before (a fresh
    # random draw each run), so the first compile must compile and save, an equal model must load
    # that code and compute the same to the bit, a model with other observed values must not load it,
    # and a model whose data container holds other values may load it but must read its own data.
    import secrets

    import pymc as pm
    import pytensor

    from hlmkit._nutpie import compile_model

    rng = np.random.default_rng(secrets.randbits(64))
    school = rng.integers(6, size=40)
    x_values, y_values = rng.normal(size=40), rng.normal(size=40)

    def model(y, x):
        with pm.Model(coords={"school": range(6)}) as m:
            data = pm.Data("x", x)
            mu = pm.Normal("mu", 0, 5)
            beta = pm.Normal("beta", 0, 1)
            tau = pm.HalfNormal("tau", 2)
            alpha = pm.Normal("alpha", mu, tau, dims="school")
            pm.Normal("y", alpha[school] + beta * data, 1, observed=y)
        return m

    def hits(compiled):
        return compiled.compiled_logp_func._cache_hits, compiled.compiled_expand_func._cache_hits

    points = rng.normal(size=(5, 9))
    first = compile_model(model(y_values, x_values))
    again = compile_model(model(y_values, x_values))
    assert hits(first)[0] == 0 and hits(again) == (1, 1)  # expand reads no data: compiled in any earlier run
    for point in points:
        logp, grad = _logp_and_gradient(first, point)
        logp_again, grad_again = _logp_and_gradient(again, point)
        assert logp == logp_again and np.array_equal(grad, grad_again)

    other_outcome = compile_model(model(y_values + 1, x_values))
    assert hits(other_outcome)[0] == 0  # its stored values (expand) do not involve y: that code may be shared
    assert _logp_and_gradient(other_outcome, points[0])[0] != _logp_and_gradient(first, points[0])[0]

    other_x = model(y_values, x_values * 2)
    cached = compile_model(other_x)
    with pytensor.config.change_flags(numba__cache=False):
        fresh = compile_model(other_x)  # no cache key: compiled afresh, nothing loaded
    assert hits(cached) == (1, 1) and hits(fresh) == (0, 0)
    for point in points:
        logp, grad = _logp_and_gradient(cached, point)
        logp_fresh, grad_fresh = _logp_and_gradient(fresh, point)
        assert logp != _logp_and_gradient(first, point)[0]
        np.testing.assert_allclose(logp, logp_fresh, rtol=1e-12)
        np.testing.assert_allclose(grad, grad_fresh, rtol=1e-10, atol=1e-12)
