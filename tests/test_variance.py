"""The variance partition: shares sum to one, the two-level limit, the meaning of each ICC, the truth."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hlmkit import icc, level_sds, simulate_literacy, variance_partition, variance_shares

#: A region with many units at every level and large effects, so that realised variances are
#: close to the generating ones: with K units a sample variance has relative sd sqrt(2 / K),
#: about 8% for the 300 states below and less at the levels beneath.
BIG = {
    "n_states": 300,
    "counties_per_state": 3,
    "schools_per_county": 2,
    "median_school_size": 8,
    "tau_state": 20.0,
    "tau_county": 15.0,
    "tau_school": 10.0,
    "sigma": 20.0,
    "slope_sd": 0.0,
    "private_share": 0.0,
}


@pytest.fixture(scope="module")
def big_region():
    return simulate_literacy(seed=11, **BIG)


def test_shares_sum_to_one_for_numbers_and_draws():
    table = variance_partition({"state": 5.0, "county": 4.0, "school": 8.0, "student": 40.0})
    assert table["share"].sum() == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    draws = {level: rng.gamma(5.0, 2.0, size=500) for level in ("county", "school", "student")}
    shares = variance_shares(draws)
    np.testing.assert_allclose(sum(shares.values()), 1.0)
    table = variance_partition(draws)
    assert table["share"].sum() == pytest.approx(1.0)  # means of shares that sum to 1 draw by draw
    assert {"share_lower", "share_upper", "icc_lower", "icc_upper"} <= set(table.columns)
    assert (table["share_lower"] <= table["share"]).all() and (table["share"] <= table["share_upper"]).all()


def test_two_levels_give_the_classic_icc():
    tau, sigma = np.array([3.0, 10.0, 20.0]), np.array([40.0, 40.0, 10.0])
    for t, s in zip(tau, sigma, strict=True):
        table = variance_partition({"school": t, "student": s})
        assert table.loc["school", "icc"] == pytest.approx(float(icc(t, s)))
        assert np.isnan(table.loc["student", "icc"])


def test_icc_is_cumulative_from_the_top():
    sds = {"state": 5.0, "county": 4.0, "school": 8.0, "student": 40.0}
    table = variance_partition(sds)
    np.testing.assert_allclose(table["icc"].iloc[:-1], table["share"].cumsum().iloc[:-1])
    # Two pupils of one school share everything but their own residual.
    assert table.loc["school", "icc"] == pytest.approx(1 - table.loc["student", "share"])
    # A level with zero variance adds nothing.
    no_county = variance_partition({**sds, "county": 0.0})
    assert no_county.loc["county", "icc"] == pytest.approx(no_county.loc["state", "icc"])


def _random_part(region):
    """Each pupil's outcome minus its fixed part: state + county + school effects + residual."""
    students = region.students.merge(
        region.schools[
            ["school", "true_intercept", "true_ses_slope", "effect_state", "effect_county", "effect_school"]
        ],
        on="school",
    )
    params = region.params
    residual = (
        students["literacy"]
        - students["true_intercept"]
        - params["beta_grade"] * (students["grade"] - params["reference_grade"])
        - students["true_ses_slope"] * students["ses"]
    )
    students["random"] = students["effect_state"] + students["effect_county"] + students["effect_school"] + residual
    students["residual"] = residual
    return students


def test_partition_of_the_realised_effects_matches_the_truth(big_region):
    students = _random_part(big_region)
    schools = big_region.schools
    realised = {
        "state": big_region.states["effect_state"].std(),
        "county": big_region.counties["effect_county"].std(),
        "school": schools["effect_school"].std(),
        "student": students["residual"].std(),
    }
    params = big_region.params
    truth = variance_partition(
        {
            "state": params["tau_state"],
            "county": params["tau_county"],
            "school": params["tau_school"],
            "student": params["sigma"],
        }
    )
    estimate = variance_partition(realised)
    # 300 states: relative sd of a variance ~ 8%, so a share of ~0.36 is known to ~0.03.
    np.testing.assert_allclose(estimate["share"], truth["share"], atol=0.05)
    np.testing.assert_allclose(estimate["icc"].iloc[:-1], truth["icc"].iloc[:-1], atol=0.05)


def test_each_icc_is_the_correlation_of_two_pupils_sharing_that_level(big_region):
    students = _random_part(big_region).reset_index(drop=True)
    params = big_region.params
    truth = variance_partition(
        {
            "state": params["tau_state"],
            "county": params["tau_county"],
            "school": params["tau_school"],
            "student": params["sigma"],
        }
    )
    rng = np.random.default_rng(3)

    def pair_correlation(same, different):
        """Correlation of the random parts of pupil pairs that share `same` but differ in `different`."""
        first, second = [], []
        for _, members in students.groupby(same):
            if different is None:
                if len(members) < 2:
                    continue
                a, b = rng.choice(members.index, size=2, replace=False)
            else:
                units = members[different].unique()
                if len(units) < 2:
                    continue
                u, v = rng.choice(units, size=2, replace=False)
                a = rng.choice(members.index[members[different] == u])
                b = rng.choice(members.index[members[different] == v])
            first.append(students.at[a, "random"])
            second.append(students.at[b, "random"])
        return float(np.corrcoef(first, second)[0, 1]), len(first)

    for level, same, different in [
        ("school", "school", None),
        ("county", "county", "school"),
        ("state", "state", "county"),
    ]:
        correlation, n_pairs = pair_correlation(same, different)
        # One pair per unit: the standard error of a correlation is about (1 - r^2) / sqrt(n).
        tolerance = 4 * (1 - truth.loc[level, "icc"] ** 2) / np.sqrt(n_pairs)
        assert correlation == pytest.approx(truth.loc[level, "icc"], abs=tolerance), level


def test_level_sds_reads_a_nested_and_a_two_level_fit():
    draws = np.abs(np.random.default_rng(1).normal(size=(2, 50, 3))) + 1
    nested = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(
                {
                    "tau": (("chain", "draw", "level"), draws),
                    "sigma": (("chain", "draw"), draws[:, :, 0] * 10),
                },
                coords={"level": ["state", "county", "school"]},
            )
        }
    )
    sds = level_sds(nested)
    assert list(sds) == ["state", "county", "school", "student"]
    assert all(v.shape == (100,) for v in sds.values())
    assert variance_partition(sds)["share"].sum() == pytest.approx(1.0)
    two = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(
                {"tau": (("chain", "draw"), draws[:, :, 0]), "sigma": (("chain", "draw"), draws[:, :, 1])}
            )
        }
    )
    assert list(level_sds(two, group="class", individual="pupil")) == ["class", "pupil"]
    with pytest.raises(KeyError, match="tau"):
        level_sds(xr.DataTree.from_dict({"posterior": xr.Dataset({"sigma": (("chain", "draw"), draws[:, :, 0])})}))
    with pytest.raises(TypeError, match="DataTree"):
        level_sds({"tau": 1.0})


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match="mapping"):
        variance_partition([5.0, 40.0])
    with pytest.raises(ValueError, match="at least two levels"):
        variance_partition({"student": 40.0})
    with pytest.raises(ValueError, match="'school'.*non-negative"):
        variance_partition({"school": -1.0, "student": 40.0})
    with pytest.raises(ValueError, match="same length"):
        variance_partition({"school": np.ones(10), "student": np.ones(20)})
    with pytest.raises(ValueError, match="zero"):
        variance_partition({"school": 0.0, "student": 0.0})
    with pytest.raises(ValueError, match="prob"):
        variance_partition({"school": 1.0, "student": 1.0}, prob=1.5)
    assert isinstance(variance_partition({"school": 1.0, "student": 1.0}), pd.DataFrame)
