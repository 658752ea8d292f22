"""Properties of the pure functions, checked on many generated inputs (hypothesis).

- Closed-form shrinkage (:mod:`hlmkit.pooling`): the partial-pooling estimate is a weighted
  average, so it lies between the no-pooling value (the group's own mean) and the
  complete-pooling value (the grand mean); its weight on the group's own mean grows with the
  group's size; and it reaches both limits: no data (n = 0) or no spread between groups
  (tau = 0) gives the grand mean, unlimited data (n -> inf), unlimited spread (tau -> inf) or no
  noise (sigma -> 0) gives the group's own mean.
- Group coding (:mod:`hlmkit.coding`): codes and labels are a bijection between the distinct
  values of the column and ``0 .. n_groups - 1``, and decoding the codes gives the column
  back, for text (unicode included), integer and categorical labels (unused categories make no
  empty groups).
- Variance partition (:mod:`hlmkit.variance`): the shares sum to one and each lies in [0, 1],
  draw by draw; the intra-class correlations grow from the top level down; with two levels
  the share of the group level is :func:`hlmkit.icc`.

Every test is derandomised (the same examples on every run, so CI is reproducible) and has no
deadline (the first call of a function can be slow); example counts keep the file well
under 20 s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hlmkit import encode_groups, icc, partial_pooling_estimate, shrinkage_weight, variance_partition, variance_shares

SETTINGS = settings(deadline=None, max_examples=150, derandomize=True, database=None)

# Bounded so that squares and sums stay far from overflow: outcomes on any everyday scale.
means = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
sizes = st.integers(min_value=0, max_value=10**6)
sigmas = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
taus = st.floats(min_value=0.0, max_value=1e3, allow_nan=False, allow_infinity=False)


def _close(a: float, b: float, scale: float, rel: float = 1e-9) -> bool:
    """Agreement up to floating-point rounding of numbers of size ``scale``."""
    return abs(a - b) <= rel * max(1.0, abs(scale))


# --- closed-form shrinkage --------------------------------------------------------------------------


@SETTINGS
@given(group_mean=means, grand_mean=means, n=sizes, sigma=sigmas, tau=taus)
def test_the_estimate_lies_between_no_pooling_and_complete_pooling(group_mean, grand_mean, n, sigma, tau):
    estimate = float(partial_pooling_estimate(group_mean, n, grand_mean, sigma, tau))
    scale = max(abs(group_mean), abs(grand_mean))
    low, high = min(group_mean, grand_mean), max(group_mean, grand_mean)
    # A convex combination can overshoot its ends only by rounding (a few ulps of the values).
    assert low - 1e-12 * max(1.0, scale) <= estimate <= high + 1e-12 * max(1.0, scale)
    weight = float(shrinkage_weight(n, sigma, tau))
    assert 0.0 <= weight <= 1.0


@SETTINGS
@given(n=st.lists(sizes, min_size=2, max_size=8), sigma=sigmas, tau=taus)
def test_the_weight_on_the_own_mean_grows_with_group_size(n, sigma, tau):
    ordered = np.sort(np.asarray(n, dtype=float))
    weights = shrinkage_weight(ordered, sigma, tau)
    # w = n / (n + sigma^2 / tau^2) is non-decreasing in n; allow one ulp of rounding.
    assert (np.diff(weights) >= -1e-15).all()


@SETTINGS
@given(
    group_mean=means,
    grand_mean=means,
    n=st.integers(min_value=1, max_value=10**4),
    sigma=sigmas,
    tau=st.floats(min_value=1e-2, max_value=1e3),
)
def test_a_larger_group_moves_its_estimate_toward_its_own_mean(group_mean, grand_mean, n, sigma, tau):
    small = float(partial_pooling_estimate(group_mean, n, grand_mean, sigma, tau))
    large = float(partial_pooling_estimate(group_mean, 2 * n, grand_mean, sigma, tau))
    assert abs(large - group_mean) <= abs(small - group_mean) + 1e-9 * max(1.0, abs(group_mean), abs(grand_mean))


@SETTINGS
@given(group_mean=means, grand_mean=means, n=sizes, sigma=sigmas, tau=taus)
def test_no_data_or_no_spread_between_groups_gives_complete_pooling(group_mean, grand_mean, n, sigma, tau):
    # n -> 0: a group with no pupils is estimated by the grand mean (exactly: its weight is 0).
    assert float(partial_pooling_estimate(group_mean, 0, grand_mean, sigma, tau)) == grand_mean
    # tau -> 0: groups do not differ, every group gets the grand mean.
    assert float(partial_pooling_estimate(group_mean, n, grand_mean, sigma, 0.0)) == grand_mean


@SETTINGS
@given(group_mean=means, grand_mean=means, n=st.integers(min_value=1, max_value=10**6), sigma=sigmas)
def test_unlimited_spread_between_groups_gives_no_pooling(group_mean, grand_mean, n, sigma):
    # tau -> inf: the population says nothing, each group keeps its own mean (exactly).
    assert float(partial_pooling_estimate(group_mean, n, grand_mean, sigma, np.inf)) == group_mean


@SETTINGS
@given(group_mean=means, grand_mean=means, sigma=sigmas, tau=st.floats(min_value=1e-2, max_value=1e3))
def test_unlimited_data_or_no_noise_approaches_no_pooling(group_mean, grand_mean, sigma, tau):
    scale = max(abs(group_mean), abs(grand_mean))
    # n -> inf: w = 1 - (sigma/tau)^2 / (n + (sigma/tau)^2), so the distance to the own mean shrinks like 1/n.
    # With sigma/tau <= 1e5 (ratio^2 <= 1e10) and n = 1e20 the remaining weight is below 1e-10.
    huge_n = float(partial_pooling_estimate(group_mean, 1e20, grand_mean, sigma, tau))
    assert _close(huge_n, group_mean, scale, rel=1e-9)
    # sigma -> 0: no noise within groups, a single pupil reveals the group (ratio^2 <= 1e-16 here).
    quiet = float(partial_pooling_estimate(group_mean, 1, grand_mean, 1e-10, tau))
    assert _close(quiet, group_mean, scale, rel=1e-9)


@SETTINGS
@given(n=st.floats(min_value=0.0, max_value=1e6), sigma=sigmas, tau=st.floats(min_value=1e-2, max_value=1e3))
def test_the_weight_is_the_share_of_precision_from_the_own_data(n, sigma, tau):
    # w = (n / sigma^2) / (n / sigma^2 + 1 / tau^2): the two ways of writing it agree.
    precision_data, precision_prior = n / sigma**2, 1.0 / tau**2
    expected = precision_data / (precision_data + precision_prior)
    assert abs(float(shrinkage_weight(n, sigma, tau)) - expected) <= 1e-12


# --- group coding ----------------------------------------------------------------------------------

# Any text (unicode letters, marks, emoji), short so that equal labels occur often.
text_labels = st.text(min_size=0, max_size=4)
int_labels = st.integers(min_value=-(10**12), max_value=10**12)


def _check_bijection(column: pd.Series) -> None:
    index = encode_groups(pd.DataFrame({"g": column}), "g")
    codes = index.codes
    # Codes run over 0 .. n_groups - 1, every code is used (no empty group), and labels are distinct.
    assert codes.dtype == np.int64
    assert set(codes.tolist()) == set(range(index.n_groups))
    assert index.labels.is_unique
    assert index.n_groups == column.nunique()
    assert int(index.sizes.sum()) == len(column) and (index.sizes >= 1).all()
    # Decoding gives the column back, row by row, labels unchanged (type and value).
    decoded = index.decode(codes)
    assert list(decoded) == list(column)
    assert [type(v) for v in decoded] == [type(v) for v in column.to_numpy()]
    # Equal labels get equal codes and different labels different codes.
    first = {}
    for label, code in zip(column.tolist(), codes.tolist(), strict=True):
        assert first.setdefault(label, code) == code
    assert len(set(first.values())) == len(first)
    # The coords name the groups in code order.
    assert index.coords == {"g": list(index.labels)}


@SETTINGS
@given(st.lists(text_labels, min_size=1, max_size=40))
def test_text_labels_round_trip(labels):
    column = pd.Series(labels, dtype=object)
    _check_bijection(column)
    # Labels come sorted, so the same data always give the same codes.
    assert list(encode_groups(pd.DataFrame({"g": column}), "g").labels) == sorted(set(labels))


@SETTINGS
@given(st.lists(int_labels, min_size=1, max_size=40))
def test_integer_labels_round_trip(labels):
    column = pd.Series(labels, dtype=np.int64)
    _check_bijection(column)
    assert list(encode_groups(pd.DataFrame({"g": column}), "g").labels) == sorted(set(labels))


@SETTINGS
@given(st.lists(text_labels, min_size=1, max_size=30), st.lists(text_labels, max_size=5), st.randoms())
def test_categorical_labels_round_trip_and_unused_categories_make_no_group(labels, unused, rng):
    categories = list(dict.fromkeys([*labels, *unused]))
    rng.shuffle(categories)
    column = pd.Series(pd.Categorical(labels, categories=categories))
    index = encode_groups(pd.DataFrame({"g": column}), "g")
    assert list(index.decode(index.codes)) == labels
    assert set(index.labels) == set(labels)  # unused categories are not groups
    assert (index.sizes >= 1).all()
    # Groups follow the order of the categories.
    assert list(index.labels) == [c for c in categories if c in set(labels)]


@SETTINGS
@given(st.lists(text_labels, min_size=1, max_size=40), st.randoms())
def test_codes_do_not_depend_on_row_order(labels, rng):
    shuffled = list(labels)
    rng.shuffle(shuffled)
    one = encode_groups(pd.DataFrame({"g": pd.Series(labels, dtype=object)}), "g")
    two = encode_groups(pd.DataFrame({"g": pd.Series(shuffled, dtype=object)}), "g")
    assert list(one.labels) == list(two.labels)
    assert dict(zip(labels, one.codes.tolist(), strict=True)) == dict(zip(shuffled, two.codes.tolist(), strict=True))


# --- the variance partition ----------------------------------------------------------------------

sd = st.floats(min_value=0.0, max_value=1e3, allow_nan=False, allow_infinity=False)
level_names = st.lists(st.text(min_size=1, max_size=6), min_size=2, max_size=5, unique=True)


@SETTINGS
@given(names=level_names, data=st.data())
def test_shares_sum_to_one_and_lie_in_the_unit_interval(names, data):
    values = data.draw(st.lists(sd, min_size=len(names), max_size=len(names)))
    assume(sum(v**2 for v in values) > 0)
    shares = variance_shares(dict(zip(names, values, strict=True)))
    assert list(shares) == names
    total = sum(float(s) for s in shares.values())
    assert abs(total - 1.0) <= 1e-12
    assert all(0.0 <= float(s) <= 1.0 for s in shares.values())


@SETTINGS
@given(names=level_names, n_draws=st.integers(min_value=1, max_value=30), data=st.data())
def test_shares_of_draws_sum_to_one_draw_by_draw(names, n_draws, data):
    draws = {
        name: np.asarray(data.draw(st.lists(sd, min_size=n_draws, max_size=n_draws)), dtype=float) for name in names
    }
    assume((sum(d**2 for d in draws.values()) > 0).all())
    shares = variance_shares(draws)
    stacked = np.stack([shares[name] for name in names])
    np.testing.assert_allclose(stacked.sum(axis=0), 1.0, rtol=0, atol=1e-12)
    assert ((stacked >= 0) & (stacked <= 1)).all()
    table = variance_partition(draws)
    assert abs(table["share"].sum() - 1.0) <= 1e-12
    assert table["share"].between(0, 1).all()
    for column in ("share_lower", "share_upper", "icc_lower", "icc_upper"):
        # An ICC is a cumulative sum of shares: it may pass 1 by rounding, never by more.
        assert table[column].dropna().between(0, 1 + 1e-12).all()


@SETTINGS
@given(names=level_names, data=st.data())
def test_iccs_grow_from_the_top_level_down(names, data):
    values = data.draw(st.lists(sd, min_size=len(names), max_size=len(names)))
    assume(sum(v**2 for v in values) > 0)
    table = variance_partition(dict(zip(names, values, strict=True)))
    iccs = table["icc"].to_numpy()[:-1]
    assert np.isnan(table["icc"].iloc[-1])  # the individual level has no ICC
    assert ((iccs >= 0) & (iccs <= 1 + 1e-12)).all()
    assert (np.diff(iccs) >= -1e-12).all()
    # The lowest group level's ICC is everything but the individual level's share.
    assert abs(iccs[-1] - (1.0 - table["share"].iloc[-1])) <= 1e-12


@SETTINGS
@given(tau=sd, sigma=sd)
def test_two_levels_agree_with_icc(tau, sigma):
    assume(tau**2 + sigma**2 > 0)
    shares = variance_shares({"school": tau, "student": sigma})
    assert abs(float(shares["school"]) - float(icc(tau, sigma))) <= 1e-12
