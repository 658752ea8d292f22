"""Comparing fits with published values: the reference file, the comparison table, and a replication.

The replication test fits the book's random-intercept model to High School and Beyond once (module
fixture) and checks it against Raudenbush & Bryk's published one-way ANOVA (their ch. 4).
"""

import numpy as np
import pandas as pd
import pytest

from hlmkit import (
    available_references,
    compare_estimates,
    diagnose,
    load_dataset,
    load_reference,
    mixedlm_estimates,
    partial_pooling_model,
    plot_estimate_comparison,
    posterior_draws,
    sample,
)

RB = "raudenbush_bryk_2002"
MODELS = ["one_way_anova", "means_as_outcomes", "random_coefficients", "intercepts_and_slopes_as_outcomes"]


# --- the reference file ---------------------------------------------------------------------------


def test_reference_file_is_tidy_and_complete():
    table = load_reference(RB)
    assert RB in available_references()
    assert table.columns.tolist() == ["model", "parameter", "symbol", "estimate", "se", "source"]
    assert table["model"].unique().tolist() == MODELS  # the book's order
    assert not table.duplicated(["model", "parameter"]).any()
    assert table["estimate"].notna().all() and table["source"].str.contains("Raudenbush & Bryk").all()
    variances = table[table["parameter"].str.endswith("variance")]
    assert (variances["estimate"] > 0).all(), "variances cannot be negative"
    for model in MODELS:  # every model has a grand intercept and a residual variance
        assert {"intercept", "residual_variance"} <= set(table.loc[table["model"] == model, "parameter"])


def test_published_icc_agrees_with_the_published_variances():
    # Two published numbers computed from two others must agree up to the rounding of all three.
    anova = load_reference(RB, model="one_way_anova").set_index("parameter")["estimate"]
    tau00, sigma2 = anova["intercept_variance"], anova["residual_variance"]
    assert abs(tau00 / (tau00 + sigma2) - anova["icc"]) <= 0.005 + 1e-9


def test_load_reference_filters_and_copies():
    first = load_reference(RB, model="means_as_outcomes")
    assert (first["model"] == "means_as_outcomes").all() and first.index.tolist() == list(range(len(first)))
    first.loc[0, "estimate"] = -999.0
    assert load_reference(RB, model="means_as_outcomes").loc[0, "estimate"] != -999.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"name": "no_such_book"}, ValueError, "Available references"),
        ({"name": RB, "model": "two_way_anova"}, ValueError, "one_way_anova"),
        ({"name": 2002}, TypeError, "string"),
        ({"name": RB, "model": 1}, TypeError, "model"),
        ({"name": "hsb"}, ValueError, "Unknown reference"),  # a dataset, not a reference file
    ],
)
def test_load_reference_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_reference(**kwargs)


# --- the comparison table -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def draws():
    rng = np.random.default_rng(2024)
    return {"a": rng.normal(1.0, 0.5, 4000), "b": rng.normal(-2.0, 0.1, 4000), "c": rng.gamma(4.0, 1.0, 4000)}


def test_compare_estimates_columns_order_and_differences(draws):
    table = compare_estimates(draws, {"a": 1.1, "b": -1.0}, {"REML": {"a": 1.05}, "ML": pd.Series({"c": 3.0})})
    assert table.index.tolist() == ["a", "b", "c"]  # the posterior's order
    assert table.columns.tolist() == [
        "published",
        "REML",
        "REML diff",
        "ML",
        "ML diff",
        "mean",
        "sd",
        "lower",
        "upper",
        "diff",
        "z",
        "covered",
    ]
    # Agreement of two ways of computing the same thing.
    np.testing.assert_allclose(table["mean"], [draws[k].mean() for k in "abc"])
    np.testing.assert_allclose(table.loc[["a", "b"], "diff"], table.loc[["a", "b"], "mean"] - [1.1, -1.0])
    np.testing.assert_allclose(table["z"].dropna(), (table["diff"] / table["sd"]).dropna())
    assert table.loc["a", "REML diff"] == pytest.approx(1.05 - 1.1)
    # Missing values where there is nothing to compare.
    assert np.isnan(table.loc["c", "published"]) and np.isnan(table.loc["a", "ML"]) and np.isnan(table.loc["c", "z"])
    # b's reference lies ten posterior sds away: outside the interval; a's lies inside.
    assert table.loc["a", "covered"] is True and table.loc["b", "covered"] is False
    assert np.isnan(table.loc["c", "covered"])


def test_compare_estimates_interval_has_the_asked_probability(draws):
    for prob in (0.5, 0.9):
        table = compare_estimates(draws, prob=prob)
        inside = [((draws[k] >= table.loc[k, "lower"]) & (draws[k] <= table.loc[k, "upper"])).mean() for k in draws]
        np.testing.assert_allclose(inside, prob, atol=0.002)


def test_compare_estimates_takes_a_reference_table_and_its_symbols():
    reference = load_reference(RB, model="one_way_anova")
    rng = np.random.default_rng(0)
    pairs = zip(reference["parameter"], reference["estimate"], strict=True)
    posterior = {name: rng.normal(value, 0.1, 500) for name, value in pairs}
    table = compare_estimates(posterior, reference)
    assert table["symbol"].tolist() == reference["symbol"].tolist()
    assert table["published"].tolist() == reference["estimate"].tolist()
    assert table["covered"].all()


def test_compare_estimates_does_not_touch_its_inputs(draws):
    reference = load_reference(RB, model="one_way_anova")
    before = reference.copy()
    copies = {k: v.copy() for k, v in draws.items()}
    compare_estimates(draws, {"a": 0.0})
    pd.testing.assert_frame_equal(reference, before)
    for key in draws:
        np.testing.assert_array_equal(draws[key], copies[key])


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (({},), {}, ValueError, "non-empty"),
        (({"a": np.ones((10, 2))},), {}, ValueError, "1-D"),
        (({"a": np.array([1.0])},), {}, ValueError, "at least two"),
        (({"a": np.array([1.0, np.nan])},), {}, ValueError, "missing or infinite"),
        (({"a": np.ones(10)}, {"typo": 1.0}), {}, KeyError, "no draws for"),
        (({"a": np.ones(10)}, None, {"REML": {"typo": 1.0}}), {}, KeyError, "typo"),
        (({"a": np.ones(10)}, {"a": "twelve"}), {}, TypeError, "number"),
        (({"a": np.ones(10)}, [1.0]), {}, TypeError, "mapping"),
        (({"a": np.ones(10)},), {"prob": 1.5}, ValueError, "prob"),
        (({"a": np.ones(10)}, None, {"mean": {"a": 1.0}}), {}, ValueError, "own columns"),
        (({"a": np.ones(10)}, pd.DataFrame({"parameter": ["a"], "value": [1.0]})), {}, KeyError, "estimate"),
        (
            ({"a": np.ones(10)}, pd.DataFrame({"parameter": ["a", "a"], "estimate": [1.0, 2.0]})),
            {},
            ValueError,
            "twice",
        ),
    ],
)
def test_compare_estimates_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        compare_estimates(*args, **kwargs)


def test_compare_estimates_refuses_a_table_of_several_models():
    with pytest.raises(ValueError, match="several models"):
        compare_estimates({"intercept": np.ones(10)}, load_reference(RB))


def test_plot_estimate_comparison_draws_rows_with_a_reference(draws):
    import matplotlib.pyplot as plt

    table = compare_estimates(draws, {"a": 1.1, "b": -1.0}, {"REML": {"a": 1.05, "b": -1.0}})
    fig, ax = plt.subplots()
    assert plot_estimate_comparison(table, estimates=["REML"], ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]  # c has no reference value
    plt.close(fig)
    with pytest.raises(KeyError, match="REML"):
        plot_estimate_comparison(compare_estimates(draws, {"a": 1.0}), estimates=["REML"])
    with pytest.raises(ValueError, match="reference"):
        plot_estimate_comparison(compare_estimates(draws))


# --- REML point estimates -------------------------------------------------------------------------


def test_mixedlm_estimates_names_variances_and_covariances():
    class FakeResult:  # the attributes of a statsmodels MixedLMResults
        fe_params = pd.Series({"Intercept": 12.6, "ses": 2.2})
        cov_re = pd.DataFrame([[8.7, 0.05], [0.05, 0.7]], index=["Group", "ses"], columns=["Group", "ses"])
        scale = 36.7

    values = mixedlm_estimates(FakeResult())
    assert values.to_dict() == {
        "Intercept": 12.6,
        "ses": 2.2,
        "var(Group)": 8.7,
        "var(ses)": 0.7,
        "cov(Group, ses)": 0.05,
        "residual variance": 36.7,
    }
    with pytest.raises(TypeError, match="MixedLM"):
        mixedlm_estimates(object())


# --- the replication: random intercepts on High School and Beyond ----------------------------------


@pytest.fixture(scope="module")
def hsb_anova():
    """The centred random-intercept model of math_ach by school on HSB, sampled once (~10 s)."""
    hsb = load_dataset("hsb")
    model = partial_pooling_model(hsb, "math_ach", "school", parameterization="centered")
    idata = sample(model, seed=2024, progressbar=False)
    tau2, sigma2 = posterior_draws(idata, "tau") ** 2, posterior_draws(idata, "sigma") ** 2
    posterior = {
        "intercept": posterior_draws(idata, "mu"),
        "intercept_variance": tau2,
        "residual_variance": sigma2,
        "icc": tau2 / (tau2 + sigma2),
    }
    return idata, compare_estimates(posterior, load_reference(RB, model="one_way_anova"))


def test_hsb_random_intercept_reproduces_the_published_anova(hsb_anova):
    # Tolerances, in posterior sds (z = (posterior mean - published) / posterior sd):
    # - Monte Carlo error of a posterior mean is sd / sqrt(ESS); with bulk ESS >= 1,000 here that is
    #   <= 0.03 sd. Rounding of the published values (+-0.005) is < 0.03 sd of every quantity here.
    # - The priors are weak: over the posterior range of tau (about 2.6 to 3.3) the HalfNormal(s_y = 6.9)
    #   prior density changes by ~4%, which moves the posterior by a negligible fraction of an sd.
    # - The grand mean: posterior mean and REML's GLS estimate coincide up to those errors: |z| < 0.5.
    # - A variance: REML reports a mode, we report a mean. With J = 160 schools a variance's posterior is
    #   roughly scaled-inverse-chi^2 with nu = J - 1 = 159 degrees of freedom, whose mean exceeds its
    #   mode by 4 / (nu - 2) ~ 2.5% of the value while its sd is sqrt(2 / (nu - 4)) ~ 11%: an expected
    #   gap of about +0.23 sd, positive. We allow 0 < z < 0.6. For sigma^2, nu ~ N - J = 7,025 and
    #   the gap is negligible: |z| < 0.5.
    # A model that confused tau with tau^2 (z ~ -5) or ignored schools (sigma^2 ~ 47.8, z ~ +8) fails.
    idata, table = hsb_anova
    diagnostics = diagnose(idata, ["mu", "tau", "sigma"]).iloc[0]
    assert diagnostics["divergences"] == 0 and diagnostics["max_r_hat"] <= 1.01
    assert diagnostics["min_ess_bulk"] >= 1000
    assert abs(table.loc["intercept", "z"]) < 0.5
    assert 0 < table.loc["intercept_variance", "z"] < 0.6
    assert abs(table.loc["residual_variance", "z"]) < 0.5
    assert 0 < table.loc["icc", "z"] < 0.6  # a ratio driven by tau00: the same mean-above-mode gap
    assert table["covered"].all(), "every published value lies in the 90% posterior interval"
    # The posterior sd of the grand mean is the published standard error (0.24) to within 10%:
    # with weak priors and this much data, Bayesian and likelihood uncertainty coincide.
    published_se = load_reference(RB, model="one_way_anova").set_index("parameter").loc["intercept", "se"]
    assert table.loc["intercept", "sd"] == pytest.approx(published_se, rel=0.1)
