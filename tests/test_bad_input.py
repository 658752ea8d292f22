"""Every public function refuses bad input with a clear error: one table, every function, every kind.

A bad input must end in a ``TypeError``, ``ValueError`` or ``KeyError`` (or a subclass) raised by
hlmkit itself, before any PyMC graph is built or any sampling starts, whose message names the
argument or column at fault and says what to do. Never a silent wrong answer, never a traceback
from deep inside pandas, NumPy, PyMC or PyTensor, never a hang.

- :data:`FRAME_USES` lists every public function that reads columns of a DataFrame, with the
  columns it reads; from it the standard cases are generated for each function: not a
  DataFrame, an empty frame, each column missing, text in each numeric column, NaN and inf in
  each numeric column, a missing label in each grouping column; and the hostile families: each
  column twice, MultiIndex columns, complex numbers and an object dtype in each numeric column,
  labels of two types (``1`` and ``"1"``) in each grouping column.
- :data:`PATH_USES` lists every public function that reads a file or writes SQL; each gets a
  missing file, a file that is not Parquet (text, empty, a folder) and hostile text (SQL in a
  name or a source, quotes in a path).
- :data:`SPECIFIC` adds what applies to each function: a single group, groups of one row,
  unseen groups at prediction, non-0/1 outcomes, counts above trials, negative or zero sizes
  and scales, non-integer seeds, arguments of the wrong type, unknown options.
- :func:`test_every_public_function_has_a_case` fails when a function is exported without a
  bad-input case here (or an exemption below, with its reason).

Decisions on data that are legal but degenerate (documented in the builders' docstrings):

- *Groups of one row* are allowed: a school with one pupil borrows strength like any other.
  But when *every* group of a Gaussian model has a single row, the spread within groups
  (``sigma``) cannot be told from the spread between them (``tau``, or the group intercepts):
  the Gaussian builders and least squares with groups refuse such data (``ValueError``). Pass/fail
  builders accept it (a binomial row per school, or Bernoulli pupils each alone in a group,
  is a legal and identified design).
- *A single group* is an error where a between-group spread must be learned (partial
  pooling, nested levels, varying slopes, group-level predictors); no pooling of one group is a
  regression with one intercept and is allowed.
- *Missing labels* (None, NaN) in a grouping column are refused; any other value, ``inf``
  included, is a label like any other (labels are matched, never computed with).
- *Missing files* raise ``FileNotFoundError`` (the standard error for a path to nothing),
  not one of the three errors above.

Also here: every public function that takes a DataFrame leaves the caller's frame unchanged.
No test samples: fits are small hand-made posteriors (``xarray.DataTree``).
"""

from __future__ import annotations

import inspect
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr

import hlmkit
from hlmkit import (
    add_group_means,
    add_log_likelihood,
    aggregate_binary,
    bernoulli_model,
    binomial_model,
    check,
    check_between,
    check_convergence,
    check_model,
    check_statistics,
    compare_estimates,
    compare_models,
    complete_pooling_model,
    diagnose,
    encode_groups,
    grand_mean_center,
    group_effect_draws,
    group_estimates,
    group_loo,
    group_mean_center,
    group_predictors_model,
    group_summary,
    group_table,
    icc,
    integrated_log_likelihood,
    least_squares_intercepts,
    level_sds,
    limit_problems,
    load_benchmarks,
    load_dataset,
    load_reference,
    marginal_model,
    mixedlm_estimates,
    nested_model,
    no_pooling_model,
    parent_codes,
    pareto_k_table,
    partial_pooling_estimate,
    partial_pooling_model,
    plain_log_ticks,
    plot_caterpillar,
    plot_estimate_comparison,
    plot_group_means,
    plot_group_residuals,
    plot_model_graph,
    plot_pareto_k,
    plot_predictive_statistic,
    plot_shrinkage,
    plot_shrinkage_2d,
    plot_shrinkage_to_prediction,
    plot_variance_partition,
    plot_within_between,
    posterior_draws,
    posterior_predictive,
    posterior_summary,
    predictive_draws,
    prior_predictive,
    rate_statistics,
    sample,
    school_effects,
    scoreboard,
    shrinkage_weight,
    simulate_literacy,
    size_band,
    statistic_columns,
    student_loo,
    sufficient_statistics,
    sufficient_statistics_model,
    sufficient_statistics_parquet,
    sufficient_statistics_sql,
    suggest_parameterization,
    true_proficiency_rates,
    unseen_groups,
    update_with_evidence,
    variance_partition,
    variance_shares,
    varying_slopes_model,
)

# Functions that take no input at all: nothing can be bad. (The test below checks that they
# really have no parameters, so this list cannot hide a function with inputs.)
EXEMPT = {
    "available_datasets": "takes no arguments; lists the datasets load_dataset knows",
    "available_references": "takes no arguments; lists the reference files in hlmkit/datasets/",
    "set_book_style": "takes no arguments; a pure style setter",
}

# --- small data, made once ---------------------------------------------------------------------


def _students() -> pd.DataFrame:
    """Six schools of four pupils in three counties; every column a model reads."""
    rng = np.random.default_rng(0)
    school = np.repeat([f"s{k}" for k in range(6)], 4)
    ses = rng.normal(size=24)
    literacy = 500.0 + 10.0 * ses + rng.normal(0.0, 20.0, 24)
    return pd.DataFrame(
        {
            "school": school,
            "county": np.repeat(["c1", "c1", "c2", "c2", "c3", "c3"], 4),
            "ses": ses,
            "grade_c": np.tile([-1.0, 0.0, 1.0, 2.0], 6),
            "literacy": literacy,
            "proficient": np.tile([0, 1], 12),
            "private": np.repeat([0, 1, 0, 1, 0, 0], 4),
        }
    )


STUDENTS = _students()
SCHOOLS = sorted(STUDENTS["school"].unique())
COUNTS = aggregate_binary(STUDENTS, "proficient", "school").assign(x=np.arange(6.0))
LEVELS = ["county", "school"]
STATS = sufficient_statistics(STUDENTS, "literacy", LEVELS, ["ses"])
SINGLETONS = STUDENTS.groupby("school").head(1).reset_index(drop=True)  # every school: one pupil
ONE_SCHOOL = STUDENTS[STUDENTS["school"] == "s0"]
TINY_MODEL = complete_pooling_model(STUDENTS, "literacy")
SLOPE_MODEL = complete_pooling_model(STUDENTS, "literacy", ["ses"])


def _fit() -> xr.DataTree:
    """A hand-made fit: two chains of 100 draws of the variables the functions read."""
    rng = np.random.default_rng(1)
    shape = (2, 100)
    draws = {
        "mu": (("chain", "draw"), rng.normal(500.0, 5.0, shape)),
        "tau": (("chain", "draw"), np.abs(rng.normal(10.0, 1.0, shape))),
        "sigma": (("chain", "draw"), np.abs(rng.normal(20.0, 1.0, shape))),
        "alpha": (("chain", "draw", "school"), rng.normal(500.0, 10.0, (*shape, 6))),
        "p": (("chain", "draw", "school"), rng.uniform(0.3, 0.7, (*shape, 6))),
        "mu_logit": (("chain", "draw"), rng.normal(0.0, 0.1, shape)),
        "tau_logit": (("chain", "draw"), np.abs(rng.normal(0.5, 0.05, shape))),
    }
    posterior = xr.Dataset(draws, coords={"chain": [0, 1], "draw": np.arange(100), "school": SCHOOLS})
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros(shape, dtype=bool))})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})


def _marginal_fit() -> xr.DataTree:
    """A hand-made fit of marginal_model(STATS, "literacy", LEVELS, ["ses"])."""
    rng = np.random.default_rng(2)
    shape = (2, 50)
    posterior = xr.Dataset(
        {
            "mu": (("chain", "draw"), rng.normal(500.0, 5.0, shape)),
            "tau": (("chain", "draw", "level"), np.abs(rng.normal(10.0, 1.0, (*shape, 2)))),
            "sigma": (("chain", "draw"), np.abs(rng.normal(20.0, 1.0, shape))),
            "beta": (("chain", "draw", "predictor"), rng.normal(10.0, 1.0, (*shape, 1))),
            "alpha_county": (("chain", "draw", "county"), rng.normal(500.0, 5.0, (*shape, 3))),
        },
        coords={"level": LEVELS, "predictor": ["ses"], "county": ["c1", "c2", "c3"]},
    )
    return xr.DataTree.from_dict({"posterior": posterior})


FIT = _fit()
MARGINAL_FIT = _marginal_fit()
PREDICTIVE = xr.DataTree.from_dict(
    {"posterior_predictive": xr.Dataset({"y": (("chain", "draw", "obs"), np.zeros((1, 5, 3)))})}
)

def _loo(values, k=None):
    from arviz_stats import ELPDDataLOO

    elpd = xr.DataArray(np.asarray(values, dtype=float), dims=["obs"])
    pareto_k = elpd * 0 if k is None else xr.DataArray(np.asarray(k, dtype=float), dims=["obs"])
    return ELPDDataLOO(
        elpd=float(elpd.sum()),
        se=1.0,
        p=1.0,
        n_samples=200,
        n_data_points=elpd.size,
        scale="log",
        warning=False,
        good_k=0.7,
        elpd_i=elpd,
        pareto_k=pareto_k,
    )


# --- the standard cases, generated from the columns each function reads -------------------------


@dataclass(frozen=True)
class FrameUse:
    """How a function reads a DataFrame: the call, a valid frame, its numeric and grouping columns."""

    call: Callable[[pd.DataFrame], object]
    data: pd.DataFrame
    numeric: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    argument: str = "data"


FRAME_USES: dict[str, FrameUse] = {
    "encode_groups": FrameUse(lambda d: encode_groups(d, "school"), STUDENTS, groups=("school",)),
    "parent_codes": FrameUse(lambda d: parent_codes(d, "school", "county"), STUDENTS, groups=("school", "county")),
    "group_summary": FrameUse(lambda d: group_summary(d, "literacy", "school"), STUDENTS, ("literacy",), ("school",)),
    "least_squares_intercepts": FrameUse(
        lambda d: least_squares_intercepts(d, "literacy", ["ses"], "school"), STUDENTS, ("literacy", "ses"), ("school",)
    ),
    "complete_pooling_model": FrameUse(
        lambda d: complete_pooling_model(d, "literacy", ["ses"]), STUDENTS, ("literacy", "ses")
    ),
    "no_pooling_model": FrameUse(
        lambda d: no_pooling_model(d, "literacy", "school", ["ses"]), STUDENTS, ("literacy", "ses"), ("school",)
    ),
    "partial_pooling_model": FrameUse(
        lambda d: partial_pooling_model(d, "literacy", "school", ["ses"]), STUDENTS, ("literacy", "ses"), ("school",)
    ),
    "group_predictors_model": FrameUse(
        lambda d: group_predictors_model(d, "literacy", "school", ["private"], ["ses"]),
        STUDENTS,
        ("literacy", "ses", "private"),
        ("school",),
    ),
    "varying_slopes_model": FrameUse(
        lambda d: varying_slopes_model(d, "literacy", "school", ["ses"], ["grade_c"]),
        STUDENTS,
        ("literacy", "ses", "grade_c"),
        ("school",),
    ),
    "nested_model": FrameUse(
        lambda d: nested_model(d, "literacy", LEVELS, ["ses"]), STUDENTS, ("literacy", "ses"), ("county", "school")
    ),
    "bernoulli_model": FrameUse(
        lambda d: bernoulli_model(d, "proficient", "school", predictors=["ses"]),
        STUDENTS,
        ("proficient", "ses"),
        ("school",),
    ),
    "binomial_model": FrameUse(
        lambda d: binomial_model(d, "successes", "trials", "school", predictors=["x"]),
        COUNTS,
        ("successes", "trials", "x"),
        ("school",),
    ),
    "aggregate_binary": FrameUse(
        lambda d: aggregate_binary(d, "proficient", "school", keep=["county"]),
        STUDENTS,
        ("proficient",),
        ("school", "county"),
    ),
    "grand_mean_center": FrameUse(lambda d: grand_mean_center(d, "ses"), STUDENTS, ("ses",)),
    "group_mean_center": FrameUse(lambda d: group_mean_center(d, "ses", "school"), STUDENTS, ("ses",), ("school",)),
    "add_group_means": FrameUse(lambda d: add_group_means(d, "ses", "school"), STUDENTS, ("ses",), ("school",)),
    "group_table": FrameUse(lambda d: group_table(d, "school", "private"), STUDENTS, groups=("school", "private")),
    "plot_within_between": FrameUse(
        lambda d: plot_within_between(
            d, "ses", "literacy", "school", within_slope=1.0, between_slope=2.0, between_intercept=500.0
        ),
        STUDENTS,
        ("ses", "literacy"),
        ("school",),
    ),
    "group_loo": FrameUse(
        lambda d: group_loo(FIT, d, "successes", "trials", "school", mu="mu_logit", tau="tau_logit"),
        COUNTS,
        ("successes", "trials"),
        ("school",),
    ),
    "student_loo": FrameUse(
        lambda d: student_loo(FIT, d, "proficient", "school"), STUDENTS, ("proficient",), ("school",)
    ),
    "sufficient_statistics": FrameUse(
        lambda d: sufficient_statistics(d, "literacy", LEVELS, ["ses"]), STUDENTS, ("literacy", "ses"), tuple(LEVELS)
    ),
    "sufficient_statistics_model": FrameUse(
        lambda d: sufficient_statistics_model(d, "literacy", LEVELS, ["ses"]),
        STATS,
        tuple(statistic_columns("literacy", ["ses"])),
        tuple(LEVELS),
        argument="stats",
    ),
    "marginal_model": FrameUse(
        lambda d: marginal_model(d, "literacy", LEVELS, ["ses"]),
        STATS,
        tuple(statistic_columns("literacy", ["ses"])),
        tuple(LEVELS),
        argument="stats",
    ),
    "suggest_parameterization": FrameUse(
        lambda d: suggest_parameterization(
            d, "literacy", LEVELS, ["ses"], sigma=20.0, tau={"county": 5.0, "school": 10.0}
        ),
        STATS,
        tuple(statistic_columns("literacy", ["ses"])),
        tuple(LEVELS),
        argument="stats",
    ),
    "school_effects": FrameUse(
        lambda d: school_effects(MARGINAL_FIT, d, "literacy", LEVELS, ["ses"], seed=1),
        STATS,
        tuple(statistic_columns("literacy", ["ses"])),
        tuple(LEVELS),
        argument="stats",
    ),
}


@dataclass(frozen=True)
class Case:
    """One bad input: the call, the error it must raise, and what its message must say."""

    function: str
    kind: str
    call: Callable[[Path], object]
    error: type[Exception] | tuple[type[Exception], ...]
    name: str  # the argument or column the message must name
    hint: str  # a regex for the words that say what to do

    @property
    def id(self) -> str:
        return f"{self.function}: {self.kind}"


def _first_row(data: pd.DataFrame) -> np.ndarray:
    return np.arange(len(data)) == 0


def _as_text(data: pd.DataFrame, column: str) -> pd.DataFrame:
    """The frame with ``column`` as text, as a CSV read without dtypes gives it."""
    return data.assign(**{column: data[column].astype(str)})


def _with_first(data: pd.DataFrame, column: str, value: object) -> pd.DataFrame:
    """The frame with ``value`` in the first row of ``column`` (None: a missing value)."""
    first = _first_row(data)
    values = data[column].where(~first) if value is None or value is np.nan else data[column].mask(first, value)
    return data.assign(**{column: values})


def _twice(data: pd.DataFrame, column: str) -> pd.DataFrame:
    """The frame with ``column`` appearing twice (as a careless ``pd.concat(axis=1)`` gives it)."""
    return pd.concat([data, data[[column]]], axis=1)


def _multiindex(data: pd.DataFrame) -> pd.DataFrame:
    """The frame with two-level column names, as ``groupby(...).agg([...])`` or a pivot gives them."""
    out = data.copy()
    out.columns = pd.MultiIndex.from_tuples([(c, "") for c in data.columns])
    return out


def _mixed_labels(data: pd.DataFrame, column: str) -> pd.DataFrame:
    """The frame with a label of another type in the first row: an integer among strings, or the reverse."""
    values = data[column].astype(object)
    first = values.iloc[0]
    other = 1 if isinstance(first, str) else str(first)
    return data.assign(**{column: values.mask(_first_row(data), other)})


def _generated() -> list[Case]:
    cases = []
    for function, use in FRAME_USES.items():

        def case(kind, transform, error, name, hint, use=use, function=function):
            return Case(function, kind, lambda tmp, t=transform: use.call(t(use.data)), error, name, hint)

        cases.append(case("not a DataFrame", lambda x: x.to_dict("list"), TypeError, use.argument, "DataFrame"))
        cases.append(case("empty frame", lambda x: x.iloc[:0], ValueError, use.argument, "empty|nothing to"))
        cases.append(case("MultiIndex columns", _multiindex, ValueError, use.argument, "flatten"))
        for column in (*use.numeric, *use.groups):
            cases.append(
                case(
                    f"column {column} twice",
                    lambda x, c=column: _twice(x, c),
                    ValueError,
                    column,
                    "appears twice.*rename or drop",
                )
            )
        for column in use.numeric:
            cases.append(
                case(
                    f"complex numbers in {column}",
                    lambda x, c=column: x.assign(**{c: x[c] + 0j}),
                    TypeError,
                    column,
                    "real numbers",
                )
            )
            cases.append(
                case(
                    f"object dtype in {column}",
                    lambda x, c=column: x.assign(**{c: x[c].astype(object)}),
                    TypeError,
                    column,
                    "Convert|to_numeric",
                )
            )
        for column in use.groups:
            cases.append(
                case(
                    f"labels of two types in {column}",
                    lambda x, c=column: _mixed_labels(x, c),
                    TypeError,
                    column,
                    "one type|astype",
                )
            )
        for column in (*use.numeric, *use.groups):
            cases.append(
                case(
                    f"missing column {column}",
                    lambda x, c=column: x.drop(columns=c),
                    KeyError,
                    column,
                    "Available columns|Make the table",
                )
            )
        for column in use.numeric:
            cases.append(
                case(
                    f"text in numeric column {column}",
                    lambda x, c=column: _as_text(x, c),
                    TypeError,
                    column,
                    "Convert|to_numeric",
                )
            )
            cases.append(
                case(
                    f"NaN in {column}",
                    lambda x, c=column: _with_first(x, c, np.nan),
                    ValueError,
                    column,
                    "Drop or impute",
                )
            )
            cases.append(
                case(
                    f"inf in {column}",
                    lambda x, c=column: _with_first(x, c, np.inf),
                    ValueError,
                    column,
                    "Drop or impute",
                )
            )
        for column in use.groups:
            cases.append(
                case(
                    f"missing label in {column}",
                    lambda x, c=column: _with_first(x, c, None),
                    ValueError,
                    column,
                    "drop those rows|give them",
                )
            )
    return cases


# --- the cases that apply to each function --------------------------------------------------------

V, T, K = ValueError, TypeError, KeyError


def _c(function, kind, call, error, name, hint):
    return Case(function, kind, call, error, name, hint)


def _students_with(**columns):
    return STUDENTS.assign(**columns)


EMPTY_MODEL = pm.Model()  # made here: a model made inside a case would count as one the function built

SPECIFIC: list[Case] = [
    # coding
    _c("encode_groups", "column not a string", lambda t: encode_groups(STUDENTS, 3), T, "column", "column name"),
    _c(
        "parent_codes",
        "not nested",
        lambda t: parent_codes(STUDENTS.assign(county=np.tile(["c1", "c2"], 12)), "school", "county"),
        V,
        "county",
        "unique label",
    ),
    _c(
        "parent_codes",
        "parent not a string",
        lambda t: parent_codes(STUDENTS, "school", ["county"]),
        T,
        "parent",
        "column name",
    ),
    # data
    _c("load_dataset", "name not a string", lambda t: load_dataset(3), T, "name", "such as 'hsb'"),
    _c("load_benchmarks", "name not a string", lambda t: load_benchmarks(3), T, "name", "such as 'results'"),
    _c("load_benchmarks", "unknown name", lambda t: load_benchmarks("results.csv"), V, "results.csv", "'census'"),
    _c("load_dataset", "unknown name", lambda t: load_dataset("hsb82"), V, "hsb82", "Available datasets"),
    _c("simulate_literacy", "non-integer seed", lambda t: simulate_literacy(seed=1.5), T, "seed", "integer"),
    _c("simulate_literacy", "string seed", lambda t: simulate_literacy(seed="2024"), T, "seed", "integer"),
    _c("simulate_literacy", "negative seed", lambda t: simulate_literacy(seed=-1), V, "seed", "non-negative"),
    _c("simulate_literacy", "zero states", lambda t: simulate_literacy(n_states=0), V, "n_states", "at least 1"),
    _c(
        "simulate_literacy",
        "negative counties",
        lambda t: simulate_literacy(counties_per_state=-2),
        V,
        "counties_per_state",
        "at least 1",
    ),
    _c(
        "simulate_literacy",
        "fractional schools",
        lambda t: simulate_literacy(schools_per_county=2.5),
        T,
        "schools_per_county",
        "integer",
    ),
    _c(
        "simulate_literacy",
        "tiny schools",
        lambda t: simulate_literacy(median_school_size=2),
        V,
        "median_school_size",
        "at least 8",
    ),
    _c("simulate_literacy", "zero sigma", lambda t: simulate_literacy(sigma=0.0), V, "sigma", "positive"),
    _c("simulate_literacy", "negative sigma", lambda t: simulate_literacy(sigma=-40.0), V, "sigma", "positive"),
    _c(
        "simulate_literacy",
        "negative tau",
        lambda t: simulate_literacy(tau_school=-1.0),
        V,
        "tau_school",
        "non-negative",
    ),
    _c("simulate_literacy", "NaN tau", lambda t: simulate_literacy(tau_county=np.nan), V, "tau_county", "finite"),
    _c(
        "simulate_literacy",
        "negative slope sd",
        lambda t: simulate_literacy(slope_sd=-4.0),
        V,
        "slope_sd",
        "non-negative",
    ),
    _c("simulate_literacy", "text scale", lambda t: simulate_literacy(tau_state="5"), T, "tau_state", "number"),
    _c(
        "simulate_literacy",
        "share above one",
        lambda t: simulate_literacy(private_share=1.5),
        V,
        "private_share",
        "between 0 and 1",
    ),
    _c(
        "simulate_literacy",
        "correlation of one",
        lambda t: simulate_literacy(slope_corr=1.0),
        V,
        "slope_corr",
        "between -1 and 1",
    ),
    _c(
        "simulate_literacy",
        "grades reversed",
        lambda t: simulate_literacy(grades=(8, 4)),
        V,
        "grades",
        "lowest < highest",
    ),
    _c("simulate_literacy", "NaN mean", lambda t: simulate_literacy(mu=np.nan), (T, V), "mu", "finite"),
    # evaluation
    _c("size_band", "zero size", lambda t: size_band([0, 10]), V, "n", "positive"),
    _c("size_band", "text sizes", lambda t: size_band(["ten"]), T, "n", "number"),
    _c(
        "size_band",
        "bands not increasing",
        lambda t: size_band([5], bands=[(40, "b"), (10, "a")]),
        V,
        "bands",
        "increasing",
    ),
    _c("size_band", "size above the last band", lambda t: size_band([500], bands=[(40, "small")]), V, "bands", "inf"),
    _c(
        "scoreboard",
        "no strategies",
        lambda t: scoreboard({}, pd.Series({"a": 1.0}), pd.Series({"a": 5})),
        V,
        "estimates",
        "at least one",
    ),
    _c(
        "scoreboard",
        "estimates not a mapping",
        lambda t: scoreboard([pd.Series({"a": 1.0})], pd.Series({"a": 1.0}), pd.Series({"a": 5})),
        T,
        "estimates",
        "mapping",
    ),
    _c(
        "scoreboard",
        "truth not a Series",
        lambda t: scoreboard({"x": pd.Series({"a": 1.0})}, {"a": 1.0}, pd.Series({"a": 5})),
        T,
        "truth",
        "Series",
    ),
    _c(
        "scoreboard",
        "NaN truth",
        lambda t: scoreboard({"x": pd.Series({"a": 1.0})}, pd.Series({"a": np.nan}), pd.Series({"a": 5})),
        V,
        "truth",
        "missing or infinite",
    ),
    _c(
        "scoreboard",
        "missing estimate",
        lambda t: scoreboard(
            {"x": pd.Series({"a": 1.0})}, pd.Series({"a": 1.0, "b": 2.0}), pd.Series({"a": 5, "b": 9})
        ),
        V,
        "x",
        "no estimate",
    ),
    _c(
        "scoreboard",
        "missing size",
        lambda t: scoreboard(
            {"x": pd.Series({"a": 1.0, "b": 2.0})}, pd.Series({"a": 1.0, "b": 2.0}), pd.Series({"a": 5})
        ),
        V,
        "sizes",
        "no entry",
    ),
    # inference
    _c("sample", "not a model", lambda t: sample("model", seed=1), T, "model", "pymc.Model"),
    _c("sample", "non-integer seed", lambda t: sample(TINY_MODEL, seed=1.5), T, "seed", "integer"),
    _c("sample", "no seed", lambda t: sample(TINY_MODEL, seed=None), T, "seed", "integer"),
    _c("sample", "zero draws", lambda t: sample(TINY_MODEL, seed=1, draws=0), V, "draws", "at least 1"),
    _c("sample", "zero chains", lambda t: sample(TINY_MODEL, seed=1, chains=0), V, "chains", "at least 1"),
    _c("sample", "negative tune", lambda t: sample(TINY_MODEL, seed=1, tune=-5), V, "tune", "at least 0"),
    _c("sample", "unknown sampler", lambda t: sample(TINY_MODEL, seed=1, sampler="stan"), V, "sampler", "one of"),
    _c("sample", "target_accept of one", lambda t: sample(TINY_MODEL, seed=1, target_accept=1.0), V, "target_accept",
       "between 0 and 1"),
    _c("sample", "text target_accept", lambda t: sample(TINY_MODEL, seed=1, target_accept="0.9"), T, "target_accept",
       "number"),
    _c("sample", "text progressbar", lambda t: sample(TINY_MODEL, seed=1, progressbar="no"), T, "progressbar",
       "True or False"),
    _c("sample", "text check", lambda t: sample(TINY_MODEL, seed=1, check="yes"), T, "check", "True or False"),
    _c("limit_problems", "not a fit", lambda t: limit_problems({"posterior": 1}), T, "idata", "hlmkit.sample"),
    _c("limit_problems", "unknown variable", lambda t: limit_problems(FIT, ["rho"]), K, "rho", "Available"),
    _c("limit_problems", "zero shown", lambda t: limit_problems(FIT, shown=0), V, "shown", "at least 1"),
    _c("limit_problems", "text shown", lambda t: limit_problems(FIT, shown="3"), T, "shown", "integer"),
    _c("diagnose", "not a fit", lambda t: diagnose({"posterior": 1}), T, "idata", "hlmkit.sample"),
    _c("diagnose", "unknown variable", lambda t: diagnose(FIT, ["rho"]), K, "rho", "Available"),
    _c("diagnose", "no variables", lambda t: diagnose(FIT, []), V, "var_names", "name the quantities"),
    _c("diagnose", "variable names not strings", lambda t: diagnose(FIT, 3), T, "var_names", "name"),
    _c("check_convergence", "not a fit", lambda t: check_convergence(None), T, "idata", "hlmkit.sample"),
    _c("check_convergence", "unknown variable", lambda t: check_convergence(FIT, ["rho"]), K, "rho", "Available"),
    _c("group_estimates", "unknown variable", lambda t: group_estimates(FIT, "beta"), K, "beta", "Available"),
    _c("group_estimates", "scalar variable", lambda t: group_estimates(FIT, "mu"), V, "mu", "one group dimension"),
    _c(
        "group_estimates",
        "prob of one",
        lambda t: group_estimates(FIT, "alpha", prob=1.0),
        V,
        "prob",
        "between 0 and 1",
    ),
    _c("group_estimates", "text prob", lambda t: group_estimates(FIT, "alpha", prob="0.9"), T, "prob", "number"),
    _c(
        "group_estimates",
        "sizes lack a group",
        lambda t: group_estimates(FIT, "alpha", sizes=pd.Series({"s0": 4})),
        K,
        "sizes",
        "no entry",
    ),
    _c(
        "group_estimates",
        "sizes not a Series",
        lambda t: group_estimates(FIT, "alpha", sizes=[4] * 6),
        T,
        "sizes",
        "Series",
    ),
    _c("group_estimates", "not a fit", lambda t: group_estimates("fit", "alpha"), T, "idata", "hlmkit.sample"),
    _c("posterior_draws", "unknown variable", lambda t: posterior_draws(FIT, "beta"), K, "beta", "Available"),
    _c("posterior_draws", "name not a string", lambda t: posterior_draws(FIT, 3), T, "var_name", "name"),
    _c("posterior_draws", "not a fit", lambda t: posterior_draws(np.zeros(3), "mu"), T, "idata", "hlmkit.sample"),
    _c(
        "posterior_summary",
        "prob of zero",
        lambda t: posterior_summary(FIT, ["mu"], prob=0.0),
        V,
        "prob",
        "between 0 and 1",
    ),
    _c("posterior_summary", "unknown variable", lambda t: posterior_summary(FIT, ["rho"]), K, "rho", "Available"),
    _c("posterior_summary", "not a fit", lambda t: posterior_summary(None), T, "idata", "hlmkit.sample"),
    # models
    _c(
        "complete_pooling_model",
        "constant outcome",
        lambda t: complete_pooling_model(_students_with(literacy=5.0), "literacy"),
        V,
        "literacy",
        "no variation",
    ),
    _c(
        "complete_pooling_model",
        "constant predictor",
        lambda t: complete_pooling_model(_students_with(one=1.0), "literacy", ["one"]),
        V,
        "one",
        "drop them",
    ),
    _c(
        "complete_pooling_model",
        "predictors not names",
        lambda t: complete_pooling_model(STUDENTS, "literacy", 3),
        T,
        "predictors",
        "list of column names",
    ),
    _c(
        "complete_pooling_model",
        "outcome not a string",
        lambda t: complete_pooling_model(STUDENTS, ["literacy"]),
        T,
        "outcome",
        "column name",
    ),
    _c(
        "no_pooling_model",
        "every group a single row",
        lambda t: no_pooling_model(SINGLETONS, "literacy", "school"),
        V,
        "school",
        "complete_pooling_model|larger groups",
    ),
    _c(
        "no_pooling_model",
        "group named like a model variable",
        lambda t: no_pooling_model(STUDENTS.rename(columns={"school": "mu"}), "literacy", "mu"),
        V,
        "mu",
        "Rename",
    ),
    _c(
        "no_pooling_model",
        "predictor listed twice",
        lambda t: no_pooling_model(STUDENTS, "literacy", "school", ["ses", "ses"]),
        V,
        "ses",
        "twice",
    ),
    _c(
        "partial_pooling_model",
        "a single group",
        lambda t: partial_pooling_model(ONE_SCHOOL, "literacy", "school"),
        V,
        "school",
        "complete_pooling_model",
    ),
    _c(
        "partial_pooling_model",
        "every group a single row",
        lambda t: partial_pooling_model(SINGLETONS, "literacy", "school"),
        V,
        "school",
        "complete_pooling_model|larger groups",
    ),
    _c(
        "partial_pooling_model",
        "unknown parameterization",
        lambda t: partial_pooling_model(STUDENTS, "literacy", "school", parameterization="noncentred"),
        V,
        "parameterization",
        "one of",
    ),
    _c(
        "partial_pooling_model",
        "group not a string",
        lambda t: partial_pooling_model(STUDENTS, "literacy", 1),
        T,
        "group",
        "column name",
    ),
    _c(
        "group_predictors_model",
        "a single group",
        lambda t: group_predictors_model(ONE_SCHOOL, "literacy", "school", []),
        V,
        "school",
        "at least two",
    ),
    _c(
        "group_predictors_model",
        "every group a single row",
        lambda t: group_predictors_model(SINGLETONS, "literacy", "school", []),
        V,
        "school",
        "complete_pooling_model|larger groups",
    ),
    _c(
        "group_predictors_model",
        "group predictor varies within groups",
        lambda t: group_predictors_model(STUDENTS, "literacy", "school", ["ses"]),
        V,
        "ses",
        "add_group_means",
    ),
    _c(
        "group_predictors_model",
        "constant group predictor",
        lambda t: group_predictors_model(_students_with(one=1), "literacy", "school", ["one"]),
        V,
        "one",
        "drop them",
    ),
    _c(
        "group_predictors_model",
        "text flag",
        lambda t: group_predictors_model(STUDENTS, "literacy", "school", [], sufficient_statistics="yes"),
        T,
        "sufficient_statistics",
        "True or False",
    ),
    _c(
        "group_predictors_model",
        "unknown parameterization",
        lambda t: group_predictors_model(STUDENTS, "literacy", "school", [], parameterization="centred"),
        V,
        "parameterization",
        "one of",
    ),
    _c(
        "varying_slopes_model",
        "two groups",
        lambda t: varying_slopes_model(STUDENTS[STUDENTS["county"] == "c1"], "literacy", "school", ["ses"]),
        V,
        "school",
        "at least three",
    ),
    _c(
        "varying_slopes_model",
        "every group a single row",
        lambda t: varying_slopes_model(SINGLETONS, "literacy", "school", ["ses"]),
        V,
        "school",
        "complete_pooling_model|larger groups",
    ),
    _c(
        "varying_slopes_model",
        "no varying slope",
        lambda t: varying_slopes_model(STUDENTS, "literacy", "school", []),
        V,
        "varying",
        "partial_pooling_model",
    ),
    _c(
        "varying_slopes_model",
        "zero eta",
        lambda t: varying_slopes_model(STUDENTS, "literacy", "school", ["ses"], eta=0),
        V,
        "eta",
        "positive",
    ),
    _c(
        "varying_slopes_model",
        "varying not names",
        lambda t: varying_slopes_model(STUDENTS, "literacy", "school", 3),
        T,
        "varying",
        "list of column names",
    ),
    _c(
        "varying_slopes_model",
        "unknown intercepts option",
        lambda t: varying_slopes_model(STUDENTS, "literacy", "school", ["ses"], intercepts="fixed"),
        V,
        "intercepts",
        "one of",
    ),
    _c("nested_model", "no levels", lambda t: nested_model(STUDENTS, "literacy", []), V, "levels", "name the grouping"),
    _c(
        "nested_model",
        "levels not nested",
        lambda t: nested_model(STUDENTS.assign(county=np.tile(["c1", "c2"], 12)), "literacy", LEVELS),
        V,
        "county",
        "unique label",
    ),
    _c(
        "nested_model",
        "a level with one group",
        lambda t: nested_model(STUDENTS.assign(county="c1"), "literacy", LEVELS),
        V,
        "county",
        "Drop that level",
    ),
    _c(
        "nested_model",
        "every group a single row",
        lambda t: nested_model(SINGLETONS, "literacy", LEVELS),
        V,
        "school",
        "complete_pooling_model|larger groups",
    ),
    _c(
        "nested_model",
        "unknown parameterization",
        lambda t: nested_model(STUDENTS, "literacy", LEVELS, parameterization={"county": "centred"}),
        V,
        "parameterization",
        "one of",
    ),
    _c(
        "nested_model",
        "parameterization not text",
        lambda t: nested_model(STUDENTS, "literacy", LEVELS, parameterization=1),
        T,
        "parameterization",
        "string or a mapping",
    ),
    # pooling
    _c("shrinkage_weight", "negative size", lambda t: shrinkage_weight(-1, 40.0, 20.0), V, "n", "non-negative"),
    _c("shrinkage_weight", "zero sigma", lambda t: shrinkage_weight(10, 0.0, 20.0), V, "sigma", "positive"),
    _c("shrinkage_weight", "NaN tau", lambda t: shrinkage_weight(10, 40.0, np.nan), V, "tau", "non-negative"),
    _c("shrinkage_weight", "text size", lambda t: shrinkage_weight("ten", 40.0, 20.0), T, "n", "number"),
    _c(
        "partial_pooling_estimate",
        "NaN group mean",
        lambda t: partial_pooling_estimate(np.nan, 10, 500.0, 40.0, 20.0),
        V,
        "group_mean",
        "finite",
    ),
    _c(
        "partial_pooling_estimate",
        "inf grand mean",
        lambda t: partial_pooling_estimate(520.0, 10, np.inf, 40.0, 20.0),
        V,
        "grand_mean",
        "finite",
    ),
    _c(
        "partial_pooling_estimate",
        "negative tau",
        lambda t: partial_pooling_estimate(520.0, 10, 500.0, 40.0, -1.0),
        V,
        "tau",
        "non-negative",
    ),
    _c(
        "partial_pooling_estimate",
        "text mean",
        lambda t: partial_pooling_estimate("high", 10, 500.0, 40.0, 20.0),
        T,
        "group_mean",
        "number",
    ),
    _c("icc", "both scales zero", lambda t: icc(0.0, 0.0), V, "tau", "both be zero"),
    _c("icc", "negative sigma", lambda t: icc(10.0, -1.0), V, "sigma", "non-negative"),
    _c("icc", "text tau", lambda t: icc("big", 1.0), T, "tau", "number"),
    _c(
        "least_squares_intercepts",
        "every group a single row",
        lambda t: least_squares_intercepts(SINGLETONS, "literacy", group="school"),
        V,
        "school",
        "larger groups|group=None",
    ),
    _c(
        "least_squares_intercepts",
        "predictor constant within groups",
        lambda t: least_squares_intercepts(STUDENTS, "literacy", ["private"], "school"),
        V,
        "private",
        "Drop it",
    ),
    _c(
        "least_squares_intercepts",
        "predictors not names",
        lambda t: least_squares_intercepts(STUDENTS, "literacy", 3),
        T,
        "predictors",
        "list of column names",
    ),
    _c(
        "group_summary",
        "group not a string",
        lambda t: group_summary(STUDENTS, "literacy", None),
        T,
        "group",
        "column name",
    ),
    # prep
    _c(
        "grand_mean_center",
        "empty suffix",
        lambda t: grand_mean_center(STUDENTS, "ses", suffix=""),
        V,
        "suffix",
        "non-empty string",
    ),
    _c("grand_mean_center", "no columns", lambda t: grand_mean_center(STUDENTS, []), V, "columns", "at least one"),
    _c(
        "grand_mean_center",
        "new column exists",
        lambda t: grand_mean_center(STUDENTS.assign(ses_c=0.0), "ses"),
        V,
        "ses_c",
        "overwrite=True",
    ),
    _c(
        "grand_mean_center",
        "columns not names",
        lambda t: grand_mean_center(STUDENTS, 3),
        T,
        "columns",
        "list of column names",
    ),
    _c(
        "group_mean_center",
        "group among columns",
        lambda t: group_mean_center(STUDENTS, ["ses", "school"], "school"),
        V,
        "school",
        "remove it",
    ),
    _c(
        "group_mean_center",
        "group not a string",
        lambda t: group_mean_center(STUDENTS, "ses", ["school"]),
        T,
        "group",
        "column name",
    ),
    _c(
        "add_group_means",
        "text overwrite flag",
        lambda t: add_group_means(STUDENTS, "ses", "school", overwrite="no"),
        T,
        "overwrite",
        "True or False",
    ),
    _c(
        "add_group_means",
        "text center flag",
        lambda t: add_group_means(STUDENTS, "ses", "school", center="yes"),
        T,
        "center",
        "True or False",
    ),
    _c(
        "group_table",
        "column varies within groups",
        lambda t: group_table(STUDENTS, "school", "ses"),
        V,
        "ses",
        "add_group_means",
    ),
    # variance
    _c("variance_shares", "not a mapping", lambda t: variance_shares([10.0, 40.0]), T, "sds", "mapping"),
    _c("variance_shares", "one level", lambda t: variance_shares({"student": 40.0}), V, "sds", "at least two"),
    _c(
        "variance_shares",
        "negative sd",
        lambda t: variance_shares({"school": -1.0, "student": 40.0}),
        V,
        "school",
        "non-negative",
    ),
    _c(
        "variance_shares",
        "all zero",
        lambda t: variance_shares({"school": 0.0, "student": 0.0}),
        V,
        "sds",
        "no variance",
    ),
    _c(
        "variance_shares",
        "text sd",
        lambda t: variance_shares({"school": "big", "student": 40.0}),
        T,
        "school",
        "number",
    ),
    _c(
        "variance_shares",
        "draws of different lengths",
        lambda t: variance_shares({"school": np.ones(3), "student": np.ones(4)}),
        V,
        "sds",
        "same length",
    ),
    _c(
        "variance_partition",
        "prob of one",
        lambda t: variance_partition({"school": 1.0, "student": 2.0}, prob=1.0),
        V,
        "prob",
        "between 0 and 1",
    ),
    _c(
        "variance_partition",
        "NaN sd",
        lambda t: variance_partition({"school": np.nan, "student": 2.0}),
        V,
        "school",
        "finite",
    ),
    _c("level_sds", "not a fit", lambda t: level_sds({"tau": 1}), T, "idata", "hlmkit.sample"),
    _c(
        "level_sds",
        "fit without tau",
        lambda t: level_sds(xr.DataTree.from_dict({"posterior": FIT.posterior.to_dataset().drop_vars("tau")})),
        K,
        "tau",
        "multilevel fit",
    ),
    _c(
        "level_sds",
        "level named like the individual level",
        lambda t: level_sds(FIT, individual="school", group="school"),
        K,
        "individual",
        "another",
    ),
    _c("level_sds", "individual not a string", lambda t: level_sds(FIT, individual=3), T, "individual", "str"),
    # binary
    _c(
        "bernoulli_model",
        "outcome not 0/1",
        lambda t: bernoulli_model(STUDENTS, "literacy", "school"),
        V,
        "literacy",
        "0/1 column",
    ),
    _c(
        "bernoulli_model",
        "outcome 2",
        lambda t: bernoulli_model(_students_with(proficient=np.tile([0, 2], 12)), "proficient", "school"),
        V,
        "proficient",
        "0/1 column",
    ),
    _c(
        "bernoulli_model",
        "a single group, partial pooling",
        lambda t: bernoulli_model(ONE_SCHOOL, "proficient", "school"),
        V,
        "school",
        "pooling='complete'",
    ),
    _c(
        "bernoulli_model",
        "no group for partial pooling",
        lambda t: bernoulli_model(STUDENTS, "proficient"),
        V,
        "group",
        "group='school'",
    ),
    _c(
        "bernoulli_model",
        "unknown pooling",
        lambda t: bernoulli_model(STUDENTS, "proficient", "school", pooling="partial pooling"),
        V,
        "pooling",
        "one of",
    ),
    _c(
        "bernoulli_model",
        "zero prior scale",
        lambda t: bernoulli_model(STUDENTS, "proficient", "school", prior_scale=0.0),
        V,
        "prior_scale",
        "positive",
    ),
    _c(
        "bernoulli_model",
        "negative tau scale",
        lambda t: bernoulli_model(STUDENTS, "proficient", "school", tau_scale=-1.0),
        V,
        "tau_scale",
        "positive",
    ),
    _c(
        "bernoulli_model",
        "predictors not names",
        lambda t: bernoulli_model(STUDENTS, "proficient", "school", predictors=3),
        T,
        "predictors",
        "list of column names",
    ),
    _c(
        "binomial_model",
        "successes above trials",
        lambda t: binomial_model(COUNTS.assign(successes=COUNTS["trials"] + 1), "successes", "trials", "school"),
        V,
        "successes",
        "swapped",
    ),
    _c(
        "binomial_model",
        "zero trials",
        lambda t: binomial_model(COUNTS.assign(trials=0, successes=0), "successes", "trials", "school"),
        V,
        "trials",
        "Drop them",
    ),
    _c(
        "binomial_model",
        "negative successes",
        lambda t: binomial_model(COUNTS.assign(successes=-1), "successes", "trials", "school"),
        V,
        "successes",
        "must not be negative",
    ),
    _c(
        "binomial_model",
        "a rate, not a count",
        lambda t: binomial_model(COUNTS, "rate", "trials", "school"),
        V,
        "rate",
        "count",
    ),
    _c(
        "binomial_model",
        "a single group, partial pooling",
        lambda t: binomial_model(COUNTS.iloc[:1], "successes", "trials", "school"),
        V,
        "school",
        "pooling='complete'",
    ),
    _c(
        "binomial_model",
        "same column twice",
        lambda t: binomial_model(COUNTS, "trials", "trials", "school"),
        V,
        "trials",
        "different columns",
    ),
    _c(
        "aggregate_binary",
        "outcome not 0/1",
        lambda t: aggregate_binary(STUDENTS, "literacy", "school"),
        V,
        "literacy",
        "0/1 column",
    ),
    _c(
        "aggregate_binary",
        "kept column varies within groups",
        lambda t: aggregate_binary(STUDENTS, "proficient", "school", keep=["ses"]),
        V,
        "ses",
        "group-level columns",
    ),
    _c(
        "aggregate_binary",
        "group not a string",
        lambda t: aggregate_binary(STUDENTS, "proficient", 0),
        T,
        "group",
        "column name",
    ),
    _c(
        "true_proficiency_rates",
        "not a region",
        lambda t: true_proficiency_rates(STUDENTS),
        T,
        "region",
        "simulate_literacy",
    ),
    # checking
    _c(
        "add_log_likelihood",
        "fit of another model",
        lambda t: add_log_likelihood(FIT, SLOPE_MODEL),
        V,
        "idata",
        "fit of this `model`",
    ),
    _c("add_log_likelihood", "not a model", lambda t: add_log_likelihood(FIT, "model"), T, "model", "pymc.Model"),
    _c("add_log_likelihood", "not a fit", lambda t: add_log_likelihood({}, TINY_MODEL), T, "idata", "hlmkit.sample"),
    _c("prior_predictive", "non-integer seed", lambda t: prior_predictive(TINY_MODEL, seed=0.5), T, "seed", "integer"),
    _c(
        "prior_predictive",
        "zero draws",
        lambda t: prior_predictive(TINY_MODEL, seed=1, draws=0),
        V,
        "draws",
        "at least 1",
    ),
    _c("prior_predictive", "not a model", lambda t: prior_predictive(FIT, seed=1), T, "model", "pymc.Model"),
    _c(
        "posterior_predictive",
        "non-integer seed",
        lambda t: posterior_predictive(FIT, TINY_MODEL, seed="1"),
        T,
        "seed",
        "integer",
    ),
    _c(
        "posterior_predictive",
        "fit of another model",
        lambda t: posterior_predictive(FIT, SLOPE_MODEL, seed=1),
        V,
        "idata",
        "fit of this `model`",
    ),
    _c(
        "posterior_predictive",
        "not a fit",
        lambda t: posterior_predictive(None, TINY_MODEL, seed=1),
        T,
        "idata",
        "hlmkit.sample",
    ),
    _c("predictive_draws", "no predictive group", lambda t: predictive_draws(FIT), T, "idata", "posterior_predictive"),
    _c(
        "predictive_draws",
        "unknown variable",
        lambda t: predictive_draws(PREDICTIVE, "literacy"),
        K,
        "literacy",
        "Available",
    ),
    _c(
        "predictive_draws",
        "unknown group",
        lambda t: predictive_draws(PREDICTIVE, group="posterior"),
        V,
        "group",
        "one of",
    ),
    _c(
        "rate_statistics",
        "successes above trials",
        lambda t: rate_statistics([3, 5, 1], [2, 5, 4]),
        V,
        "successes",
        "successes <= trials",
    ),
    _c("rate_statistics", "shapes disagree", lambda t: rate_statistics([1, 2], [2, 5, 4]), V, "trials", "one count"),
    _c("rate_statistics", "zero small", lambda t: rate_statistics([1, 2], [2, 5], small=0), V, "small", "at least 1"),
    _c(
        "rate_statistics",
        "fractional counts",
        lambda t: rate_statistics([0.5, 2, 1], [2, 5, 4]),
        V,
        "successes",
        "whole numbers",
    ),
    _c("rate_statistics", "NaN count", lambda t: rate_statistics([np.nan, 2, 1], [2, 5, 4]), V, "successes", "finite"),
    _c("rate_statistics", "text counts", lambda t: rate_statistics(["a", "b"], [2, 5]), T, "successes", "number"),
    _c(
        "check_statistics",
        "different statistics",
        lambda t: check_statistics({"a": [1.0]}, {"b": 1.0}),
        K,
        "replicated",
        "same statistics",
    ),
    _c(
        "check_statistics",
        "no simulations",
        lambda t: check_statistics({"a": []}, {"a": 1.0}),
        V,
        "a",
        "no simulated values",
    ),
    _c(
        "check_statistics",
        "NaN observed",
        lambda t: check_statistics({"a": [1.0, 2.0]}, {"a": np.nan}),
        V,
        "a",
        "finite",
    ),
    _c(
        "check_statistics",
        "NaN simulation",
        lambda t: check_statistics({"a": [1.0, np.nan]}, {"a": 1.0}),
        V,
        "a",
        "finite",
    ),
    _c(
        "check_statistics",
        "prob of zero",
        lambda t: check_statistics({"a": [1.0]}, {"a": 1.0}, prob=0),
        V,
        "prob",
        "between 0 and 1",
    ),
    _c("check_statistics", "not mappings", lambda t: check_statistics([1.0], [1.0]), T, "replicated", "mapping"),
    _c(
        "integrated_log_likelihood",
        "successes above trials",
        lambda t: integrated_log_likelihood([5], [4], 0.0, 1.0),
        V,
        "successes",
        "successes <= trials",
    ),
    _c(
        "integrated_log_likelihood",
        "negative tau",
        lambda t: integrated_log_likelihood([1], [4], 0.0, -1.0),
        V,
        "tau",
        "non-negative",
    ),
    _c(
        "integrated_log_likelihood",
        "one node",
        lambda t: integrated_log_likelihood([1], [4], 0.0, 1.0, n_nodes=1),
        V,
        "n_nodes",
        "at least 2",
    ),
    _c(
        "integrated_log_likelihood",
        "text mu",
        lambda t: integrated_log_likelihood([1], [4], "zero", 1.0),
        T,
        "mu",
        "number",
    ),
    _c(
        "compare_models", "one model", lambda t: compare_models({"a": _loo([-1.0, -2.0])}), V, "results", "at least two"
    ),
    _c(
        "compare_models",
        "different points",
        lambda t: compare_models({"a": _loo([-1.0]), "b": _loo([-1.0, -2.0])}),
        V,
        "different numbers of points",
        "compare like with like",
    ),
    _c(
        "compare_models",
        "not a mapping",
        lambda t: compare_models([_loo([-1.0]), _loo([-2.0])]),
        T,
        "results",
        "mapping",
    ),
    _c(
        "compare_models",
        "text round_to",
        lambda t: compare_models({"a": _loo([-1.0]), "b": _loo([-2.0])}, round_to="1"),
        T,
        "round_to",
        "integer",
    ),
    _c("pareto_k_table", "not pointwise", lambda t: pareto_k_table({"a": object()}), V, "a", "pointwise=True"),
    _c("pareto_k_table", "not a mapping", lambda t: pareto_k_table([_loo([-1.0])]), T, "results", "mapping"),
    _c(
        "group_loo",
        "a group twice",
        lambda t: group_loo(
            FIT, pd.concat([COUNTS, COUNTS.iloc[:1]]), "successes", "trials", "school", mu="mu_logit", tau="tau_logit"
        ),
        V,
        "school",
        "aggregate_binary",
    ),
    _c(
        "group_loo",
        "successes above trials",
        lambda t: group_loo(
            FIT,
            COUNTS.assign(successes=COUNTS["trials"] + 1),
            "successes",
            "trials",
            "school",
            mu="mu_logit",
            tau="tau_logit",
        ),
        V,
        "successes",
        "swapped",
    ),
    _c(
        "group_loo",
        "unknown mu",
        lambda t: group_loo(FIT, COUNTS, "successes", "trials", "school", mu="m"),
        K,
        "mu",
        "Available",
    ),
    _c(
        "group_loo",
        "vector mu",
        lambda t: group_loo(FIT, COUNTS, "successes", "trials", "school", mu="alpha"),
        V,
        "mu",
        "scalar parameter",
    ),
    _c(
        "group_loo",
        "negative tau",
        lambda t: group_loo(FIT, COUNTS, "successes", "trials", "school", mu=0.0, tau=-1.0),
        V,
        "tau",
        "non-negative",
    ),
    _c(
        "group_loo",
        "not a fit",
        lambda t: group_loo(None, COUNTS, "successes", "trials", "school"),
        T,
        "idata",
        "hlmkit.sample",
    ),
    _c(
        "student_loo",
        "outcome not 0/1",
        lambda t: student_loo(FIT, STUDENTS, "literacy", "school"),
        V,
        "literacy",
        "0/1 column",
    ),
    _c(
        "student_loo",
        "unseen group",
        lambda t: student_loo(FIT, _students_with(school="s99"), "proficient", "school"),
        K,
        "s99",
        "data the model was fit to",
    ),
    _c(
        "student_loo",
        "unknown variable",
        lambda t: student_loo(FIT, STUDENTS, "proficient", "school", var_name="q"),
        K,
        "q",
        "Available",
    ),
    _c(
        "student_loo",
        "group missing for a grouped fit",
        lambda t: student_loo(FIT, STUDENTS, "proficient"),
        V,
        "group",
        "pass the grouping column",
    ),
    _c(
        "student_loo",
        "probabilities not in [0, 1]",
        lambda t: student_loo(FIT, STUDENTS, "proficient", "school", var_name="alpha"),
        V,
        "alpha",
        "probabilities",
    ),
    # prediction
    _c(
        "group_effect_draws",
        "unseen group",
        lambda t: group_effect_draws(FIT, "alpha", ["s0", "s99"]),
        V,
        "alpha",
        "allow_new=True",
    ),
    _c(
        "group_effect_draws",
        "labels of another type",
        lambda t: group_effect_draws(FIT, "alpha", [0, 1]),
        V,
        "alpha",
        "convert them",
    ),
    _c(
        "group_effect_draws",
        "new group without a seed",
        lambda t: group_effect_draws(FIT, "alpha", ["s99"], allow_new=True),
        V,
        "seed",
        "pass `seed`",
    ),
    _c(
        "group_effect_draws",
        "non-integer seed",
        lambda t: group_effect_draws(FIT, "alpha", ["s99"], allow_new=True, seed=0.5),
        T,
        "seed",
        "integer",
    ),
    _c(
        "group_effect_draws",
        "no groups",
        lambda t: group_effect_draws(FIT, "alpha", []),
        V,
        "groups",
        "one group label per row",
    ),
    _c(
        "group_effect_draws",
        "a single string",
        lambda t: group_effect_draws(FIT, "alpha", "s0"),
        T,
        "groups",
        "sequence of labels",
    ),
    _c(
        "group_effect_draws",
        "missing label",
        lambda t: group_effect_draws(FIT, "alpha", ["s0", None]),
        V,
        "groups",
        "every row needs a group",
    ),
    _c(
        "group_effect_draws",
        "unknown tau",
        lambda t: group_effect_draws(FIT, "alpha", ["s99"], allow_new=True, seed=1, tau="tau_school"),
        K,
        "tau",
        "Available",
    ),
    _c(
        "group_effect_draws",
        "negative tau",
        lambda t: group_effect_draws(FIT, "alpha", ["s99"], allow_new=True, seed=1, tau=-1.0),
        V,
        "tau",
        "non-negative",
    ),
    _c(
        "group_effect_draws",
        "text allow_new",
        lambda t: group_effect_draws(FIT, "alpha", ["s0"], allow_new="yes"),
        T,
        "allow_new",
        "True or False",
    ),
    _c("unseen_groups", "not a fit", lambda t: unseen_groups("fit", "alpha", ["s0"]), T, "idata", "hlmkit.sample"),
    _c(
        "unseen_groups",
        "a single string",
        lambda t: unseen_groups(FIT, "alpha", "s0"),
        T,
        "groups",
        "sequence of labels",
    ),
    _c(
        "unseen_groups",
        "groups not a sequence",
        lambda t: unseen_groups(FIT, "alpha", 3),
        T,
        "groups",
        "sequence of labels",
    ),
    _c("unseen_groups", "scalar variable", lambda t: unseen_groups(FIT, "mu", ["s0"]), V, "mu", "one group dimension"),
    _c(
        "update_with_evidence",
        "successes above trials",
        lambda t: update_with_evidence(np.full(10, 0.5), 5, 4),
        V,
        "successes",
        "cannot exceed",
    ),
    _c(
        "update_with_evidence",
        "not probabilities",
        lambda t: update_with_evidence(np.full(10, 1.5), 1, 4),
        V,
        "probability",
        r"in \[0, 1\]",
    ),
    _c(
        "update_with_evidence",
        "fractional successes",
        lambda t: update_with_evidence(np.full(10, 0.5), 1.5, 4),
        V,
        "successes",
        "integer",
    ),
    _c(
        "update_with_evidence",
        "negative trials",
        lambda t: update_with_evidence(np.full(10, 0.5), 0, -4),
        V,
        "trials",
        "non-negative",
    ),
    # scaling
    _c("statistic_columns", "outcome not a string", lambda t: statistic_columns(3), T, "outcome", "column name"),
    _c(
        "statistic_columns",
        "predictors not names",
        lambda t: statistic_columns("y", 3),
        T,
        "predictors",
        "column names",
    ),
    _c("statistic_columns", "predictor twice", lambda t: statistic_columns("y", ["x", "x"]), V, "predictors", "twice"),
    _c(
        "sufficient_statistics",
        "levels not nested",
        lambda t: sufficient_statistics(STUDENTS.assign(county=np.tile(["c1", "c2"], 12)), "literacy", LEVELS),
        V,
        "county",
        "unique label",
    ),
    _c(
        "sufficient_statistics",
        "no levels",
        lambda t: sufficient_statistics(STUDENTS, "literacy", []),
        V,
        "levels",
        "at least one",
    ),
    _c(
        "sufficient_statistics",
        "a column in two roles",
        lambda t: sufficient_statistics(STUDENTS, "literacy", "school", ["school"]),
        V,
        "school",
        "different",
    ),
    _c(
        "sufficient_statistics",
        "level named like a model variable",
        lambda t: sufficient_statistics(STUDENTS.rename(columns={"school": "n"}), "literacy", "n"),
        V,
        "n",
        "Rename",
    ),
    _c(
        "sufficient_statistics_sql",
        "source not text",
        lambda t: sufficient_statistics_sql(3, "y", "school"),
        T,
        "source",
        "table or view",
    ),
    _c(
        "sufficient_statistics_sql",
        "levels not names",
        lambda t: sufficient_statistics_sql("t", "y", [3]),
        T,
        "levels",
        "column names",
    ),
    _c(
        "sufficient_statistics_parquet",
        "no such file",
        lambda t: sufficient_statistics_parquet(t / "none.parquet", "y", "school"),
        FileNotFoundError,
        "none.parquet",
        "Write one first",
    ),
    _c(
        "sufficient_statistics_parquet",
        "path not a path",
        lambda t: sufficient_statistics_parquet(3, "y", "school"),
        T,
        "path",
        "file path",
    ),
    _c(
        "sufficient_statistics_parquet",
        "missing column",
        lambda t: sufficient_statistics_parquet(_parquet(t, STUDENTS), "score", "school"),
        K,
        "score",
        "Available columns",
    ),
    _c(
        "sufficient_statistics_parquet",
        "text in the outcome",
        lambda t: sufficient_statistics_parquet(
            _parquet(t, STUDENTS.assign(literacy=STUDENTS["literacy"].astype(str))), "literacy", "school"
        ),
        T,
        "literacy",
        "Convert",
    ),
    _c(
        "sufficient_statistics_parquet",
        "NaN in a predictor",
        lambda t: sufficient_statistics_parquet(
            _parquet(t, STUDENTS.assign(ses=STUDENTS["ses"].where(STUDENTS.index > 0))), "literacy", "school", ["ses"]
        ),
        V,
        "ses",
        "Drop or impute",
    ),
    _c(
        "sufficient_statistics_parquet",
        "no rows",
        lambda t: sufficient_statistics_parquet(_parquet(t, STUDENTS.iloc[:0]), "literacy", "school"),
        V,
        "rows",
        "nothing to model",
    ),
    _c(
        "sufficient_statistics_model",
        "a group twice",
        lambda t: sufficient_statistics_model(pd.concat([STATS, STATS.iloc[:1]]), "literacy", LEVELS, ["ses"]),
        V,
        "school",
        "one row per group",
    ),
    _c(
        "sufficient_statistics_model",
        "zero count",
        lambda t: sufficient_statistics_model(STATS.assign(n=0), "literacy", LEVELS, ["ses"]),
        V,
        "n",
        "at least 1",
    ),
    _c(
        "sufficient_statistics_model",
        "every group a single row",
        lambda t: sufficient_statistics_model(_singleton_stats(), "literacy", "school"),
        V,
        "school",
        "complete_pooling_model|larger groups",
    ),
    _c(
        "sufficient_statistics_model",
        "a statistic missing for this predictor",
        lambda t: sufficient_statistics_model(STATS, "literacy", LEVELS, ["grade_c"]),
        K,
        "grade_c",
        "sufficient_statistics",
    ),
    _c(
        "sufficient_statistics_model",
        "unknown parameterization",
        lambda t: sufficient_statistics_model(STATS, "literacy", LEVELS, ["ses"], parameterization="centred"),
        V,
        "parameterization",
        "one of",
    ),
    _c(
        "marginal_model",
        "a level with one group",
        lambda t: marginal_model(STATS.assign(county="c1"), "literacy", LEVELS, ["ses"]),
        V,
        "county",
        "Drop that level",
    ),
    _c(
        "marginal_model",
        "every group a single row",
        lambda t: marginal_model(_singleton_stats(), "literacy", "school"),
        V,
        "school",
        "complete_pooling_model|larger groups",
    ),
    _c(
        "marginal_model",
        "parameterization names an unknown level",
        lambda t: marginal_model(STATS, "literacy", LEVELS, ["ses"], parameterization={"state": "centered"}),
        V,
        "state",
        "not in `levels`",
    ),
    _c(
        "school_effects",
        "not a fit",
        lambda t: school_effects(None, STATS, "literacy", LEVELS, ["ses"], seed=1),
        T,
        "idata",
        "hlmkit.sample",
    ),
    _c(
        "school_effects",
        "non-integer seed",
        lambda t: school_effects(MARGINAL_FIT, STATS, "literacy", LEVELS, ["ses"], seed=1.5),
        T,
        "seed",
        "integer",
    ),
    _c(
        "school_effects",
        "fit of another model",
        lambda t: school_effects(FIT, STATS, "literacy", LEVELS, ["ses"], seed=1),
        K,
        "posterior",
        "marginal_model",
    ),
    _c(
        "suggest_parameterization",
        "zero sigma",
        lambda t: suggest_parameterization(
            STATS, "literacy", LEVELS, ["ses"], sigma=0.0, tau={"county": 5.0, "school": 10.0}
        ),
        V,
        "sigma",
        "positive",
    ),
    _c(
        "suggest_parameterization",
        "tau lacks a level",
        lambda t: suggest_parameterization(STATS, "literacy", LEVELS, ["ses"], sigma=20.0, tau={"school": 10.0}),
        K,
        "tau",
        "one per level",
    ),
    _c(
        "suggest_parameterization",
        "negative tau",
        lambda t: suggest_parameterization(
            STATS, "literacy", LEVELS, ["ses"], sigma=20.0, tau={"county": -5.0, "school": 10.0}
        ),
        V,
        "tau",
        "positive",
    ),
    _c(
        "suggest_parameterization",
        "tau not a mapping",
        lambda t: suggest_parameterization(STATS, "literacy", LEVELS, ["ses"], sigma=20.0, tau=10.0),
        T,
        "tau",
        "mapping",
    ),
    # compare
    _c("load_reference", "name not a string", lambda t: load_reference(3), T, "name", "such as"),
    _c(
        "load_reference",
        "unknown reference",
        lambda t: load_reference("bryk_2002"),
        V,
        "bryk_2002",
        "Available references",
    ),
    _c(
        "load_reference",
        "unknown model",
        lambda t: load_reference("raudenbush_bryk_2002", model="anova"),
        V,
        "anova",
        "Models",
    ),
    _c(
        "load_reference",
        "model not a string",
        lambda t: load_reference("raudenbush_bryk_2002", model=1),
        T,
        "model",
        "string",
    ),
    _c("compare_estimates", "no posterior", lambda t: compare_estimates({}), V, "posterior", "non-empty mapping"),
    _c(
        "compare_estimates",
        "draws of a vector",
        lambda t: compare_estimates({"tau": np.ones((10, 2))}),
        V,
        "tau",
        "Pick one element",
    ),
    _c(
        "compare_estimates",
        "NaN draws",
        lambda t: compare_estimates({"tau": np.array([1.0, np.nan])}),
        V,
        "tau",
        "missing or infinite",
    ),
    _c(
        "compare_estimates",
        "reference for an unknown quantity",
        lambda t: compare_estimates({"tau": np.ones(10)}, {"sigma": 1.0}),
        K,
        "sigma",
        "lined up",
    ),
    _c(
        "compare_estimates",
        "text reference value",
        lambda t: compare_estimates({"tau": np.ones(10)}, {"tau": "one"}),
        T,
        "tau",
        "number",
    ),
    _c(
        "compare_estimates",
        "prob of one",
        lambda t: compare_estimates({"tau": np.ones(10)}, prob=1.0),
        V,
        "prob",
        "between 0 and 1",
    ),
    _c(
        "compare_estimates",
        "estimates not a mapping",
        lambda t: compare_estimates({"tau": np.ones(10)}, estimates=[1.0]),
        T,
        "estimates",
        "mapping",
    ),
    _c(
        "compare_estimates",
        "reference of several models",
        lambda t: compare_estimates({"intercept": np.ones(10)}, load_reference("raudenbush_bryk_2002")),
        V,
        "reference",
        "pass one",
    ),
    _c(
        "mixedlm_estimates",
        "not a MixedLM result",
        lambda t: mixedlm_estimates({"Intercept": 1.0}),
        T,
        "result",
        "smf.mixedlm",
    ),
    # plots
    _c("plot_group_means", "not a DataFrame", lambda t: plot_group_means([1, 2]), T, "summary", "group_summary"),
    _c(
        "plot_group_means",
        "missing column",
        lambda t: plot_group_means(pd.DataFrame({"n": [1, 2]})),
        K,
        "mean",
        "group_summary",
    ),
    _c(
        "plot_group_means",
        "empty summary",
        lambda t: plot_group_means(pd.DataFrame({"n": [], "mean": []})),
        V,
        "summary",
        "empty",
    ),
    _c(
        "plot_group_means",
        "zero size on a log axis",
        lambda t: plot_group_means(pd.DataFrame({"n": [0, 2], "mean": [1.0, 2.0]})),
        V,
        "n",
        "positive",
    ),
    _c(
        "plot_group_means",
        "NaN mean",
        lambda t: plot_group_means(pd.DataFrame({"n": [1, 2], "mean": [np.nan, 2.0]})),
        V,
        "mean",
        "finite",
    ),
    _c(
        "plot_group_means",
        "empty members",
        lambda t: plot_group_means(pd.DataFrame({"n": [1, 2], "mean": [1.0, 2.0]}), members=" "),
        T,
        "members",
        "plural noun",
    ),
    _c(
        "plot_shrinkage",
        "members not text",
        lambda t: plot_shrinkage(pd.Series({"a": 1.0}), pd.Series({"a": 1.0}), pd.Series({"a": 5}), grand_mean=0.0,
                                 members=3),
        T,
        "members",
        "plural noun",
    ),
    _c(
        "plot_group_means",
        "NaN grand mean",
        lambda t: plot_group_means(pd.DataFrame({"n": [1, 2], "mean": [1.0, 2.0]}), grand_mean=np.nan),
        V,
        "grand_mean",
        "finite",
    ),
    _c(
        "plot_shrinkage",
        "different groups",
        lambda t: plot_shrinkage(pd.Series({"a": 1.0}), pd.Series({"b": 1.0}), pd.Series({"a": 5}), grand_mean=0.0),
        V,
        "partial_pooling",
        "same groups",
    ),
    _c(
        "plot_shrinkage",
        "not a Series",
        lambda t: plot_shrinkage({"a": 1.0}, pd.Series({"a": 1.0}), pd.Series({"a": 5}), grand_mean=0.0),
        T,
        "no_pooling",
        "Series",
    ),
    _c(
        "plot_shrinkage",
        "NaN estimate",
        lambda t: plot_shrinkage(pd.Series({"a": np.nan}), pd.Series({"a": 1.0}), pd.Series({"a": 5}), grand_mean=0.0),
        V,
        "no_pooling",
        "finite",
    ),
    _c(
        "plot_shrinkage",
        "zero size",
        lambda t: plot_shrinkage(pd.Series({"a": 1.0}), pd.Series({"a": 1.0}), pd.Series({"a": 0}), grand_mean=0.0),
        V,
        "sizes",
        "positive",
    ),
    _c(
        "plot_shrinkage",
        "NaN grand mean",
        lambda t: plot_shrinkage(pd.Series({"a": 1.0}), pd.Series({"a": 1.0}), pd.Series({"a": 5}), grand_mean=np.nan),
        V,
        "grand_mean",
        "finite",
    ),
    _c(
        "plot_caterpillar",
        "not a DataFrame",
        lambda t: plot_caterpillar(pd.Series([1.0])),
        T,
        "estimates",
        "group_estimates",
    ),
    _c(
        "plot_caterpillar",
        "missing column",
        lambda t: plot_caterpillar(pd.DataFrame({"mean": [1.0]})),
        K,
        "lower",
        "group_estimates",
    ),
    _c(
        "plot_caterpillar",
        "NaN bound",
        lambda t: plot_caterpillar(pd.DataFrame({"mean": [1.0], "lower": [np.nan], "upper": [2.0]})),
        V,
        "lower",
        "finite",
    ),
    _c(
        "plot_caterpillar",
        "truth not a Series",
        lambda t: plot_caterpillar(pd.DataFrame({"mean": [1.0], "lower": [0.0], "upper": [2.0]}), truth=[1.0]),
        T,
        "truth",
        "Series",
    ),
    _c(
        "plot_group_residuals",
        "lengths differ",
        lambda t: plot_group_residuals(pd.Series([1.0, 2.0]), pd.Series(["a"])),
        V,
        "groups",
        "same length",
    ),
    _c(
        "plot_group_residuals",
        "missing residual",
        lambda t: plot_group_residuals(pd.Series([1.0, np.nan]), pd.Series(["a", "a"])),
        V,
        "residuals",
        "missing values",
    ),
    _c(
        "plot_group_residuals",
        "text residuals",
        lambda t: plot_group_residuals(pd.Series(["1", "2"]), pd.Series(["a", "a"])),
        T,
        "residuals",
        "numeric",
    ),
    _c(
        "plot_group_residuals",
        "every group a single observation",
        lambda t: plot_group_residuals(pd.Series([1.0, 2.0]), pd.Series(["a", "b"])),
        V,
        "groups",
        "within-group spread",
    ),
    _c(
        "plot_predictive_statistic",
        "no simulations",
        lambda t: plot_predictive_statistic([], 1.0),
        V,
        "replicated",
        "no finite values",
    ),
    _c(
        "plot_predictive_statistic",
        "NaN observed",
        lambda t: plot_predictive_statistic([1.0, 2.0], np.nan),
        V,
        "observed",
        "finite",
    ),
    _c(
        "plot_predictive_statistic",
        "text observed",
        lambda t: plot_predictive_statistic([1.0, 2.0], "high"),
        T,
        "observed",
        "number",
    ),
    _c(
        "plot_predictive_statistic",
        "zero bins",
        lambda t: plot_predictive_statistic([1.0, 2.0], 1.0, bins=0),
        V,
        "bins",
        "at least 1",
    ),
    _c("plot_model_graph", "a data frame", lambda t: plot_model_graph(STUDENTS), T, "model", "pymc.Model"),
    _c("plot_model_graph", "an empty model", lambda t: plot_model_graph(EMPTY_MODEL), V, "model", "add a distribution"),
    _c("plot_pareto_k", "lengths differ", lambda t: plot_pareto_k([0.1, 0.2], [5]), V, "sizes", "one value per group"),
    _c("plot_pareto_k", "zero size", lambda t: plot_pareto_k([0.1], [0]), V, "sizes", "positive"),
    _c("plot_pareto_k", "NaN k", lambda t: plot_pareto_k([np.nan], [5]), V, "pareto_k", "finite"),
    _c("plot_pareto_k", "text good_k", lambda t: plot_pareto_k([0.1], [5], good_k="0.7"), T, "good_k", "number"),
    _c(
        "plot_within_between",
        "NaN slope",
        lambda t: plot_within_between(
            STUDENTS, "ses", "literacy", "school", within_slope=np.nan, between_slope=1.0, between_intercept=0.0
        ),
        V,
        "within_slope",
        "finite",
    ),
    _c(
        "plot_within_between",
        "text slope",
        lambda t: plot_within_between(
            STUDENTS, "ses", "literacy", "school", within_slope="steep", between_slope=1.0, between_intercept=0.0
        ),
        T,
        "within_slope",
        "number",
    ),
    _c(
        "plot_within_between",
        "zero coverage",
        lambda t: plot_within_between(
            STUDENTS,
            "ses",
            "literacy",
            "school",
            within_slope=1.0,
            between_slope=1.0,
            between_intercept=0.0,
            coverage=0.0,
        ),
        V,
        "coverage",
        r"\(0, 1\]",
    ),
    _c(
        "plot_shrinkage_2d",
        "not a DataFrame",
        lambda t: plot_shrinkage_2d([1.0], pd.DataFrame({"i": [1.0], "s": [1.0]}), mean=np.zeros(2), cov=np.eye(2)),
        T,
        "no_pooling",
        "DataFrame",
    ),
    _c(
        "plot_shrinkage_2d",
        "three columns",
        lambda t: plot_shrinkage_2d(
            pd.DataFrame({"i": [1.0], "s": [1.0], "x": [1.0]}),
            pd.DataFrame({"i": [1.0], "s": [1.0]}),
            mean=np.zeros(2),
            cov=np.eye(2),
        ),
        V,
        "no_pooling",
        "exactly two columns",
    ),
    _c(
        "plot_shrinkage_2d",
        "not a covariance",
        lambda t: plot_shrinkage_2d(
            pd.DataFrame({"i": [1.0], "s": [1.0]}),
            pd.DataFrame({"i": [1.0], "s": [1.0]}),
            mean=np.zeros(2),
            cov=np.array([[1.0, 2.0], [2.0, 1.0]]),
        ),
        V,
        "cov",
        "positive semi-definite",
    ),
    _c(
        "plot_shrinkage_2d",
        "probability of one",
        lambda t: plot_shrinkage_2d(
            pd.DataFrame({"i": [1.0], "s": [1.0]}),
            pd.DataFrame({"i": [1.0], "s": [1.0]}),
            mean=np.zeros(2),
            cov=np.eye(2),
            probs=(0.5, 1.0),
        ),
        V,
        "probs",
        r"\(0, 1\)",
    ),
    _c(
        "plot_shrinkage_2d",
        "NaN estimate",
        lambda t: plot_shrinkage_2d(
            pd.DataFrame({"i": [np.nan], "s": [1.0]}),
            pd.DataFrame({"i": [1.0], "s": [1.0]}),
            mean=np.zeros(2),
            cov=np.eye(2),
        ),
        V,
        "no_pooling",
        "finite",
    ),
    _c(
        "plot_shrinkage_to_prediction",
        "different groups",
        lambda t: plot_shrinkage_to_prediction(
            pd.Series({"a": 1.0}), pd.Series({"a": 1.0}), pd.Series({"b": 1.0}), pd.Series({"a": 5})
        ),
        V,
        "predicted",
        "same groups",
    ),
    _c(
        "plot_shrinkage_to_prediction",
        "NaN prediction",
        lambda t: plot_shrinkage_to_prediction(
            pd.Series({"a": 1.0}), pd.Series({"a": 1.0}), pd.Series({"a": np.nan}), pd.Series({"a": 5})
        ),
        V,
        "predicted",
        "finite",
    ),
    _c(
        "plot_shrinkage_to_prediction",
        "zero size",
        lambda t: plot_shrinkage_to_prediction(
            pd.Series({"a": 1.0}), pd.Series({"a": 1.0}), pd.Series({"a": 1.0}), pd.Series({"a": 0})
        ),
        V,
        "sizes",
        "positive",
    ),
    _c(
        "plot_variance_partition", "no tables", lambda t: plot_variance_partition({}), V, "tables", "variance_partition"
    ),
    _c(
        "plot_variance_partition",
        "table without shares",
        lambda t: plot_variance_partition({"truth": pd.DataFrame({"sd": [1.0]})}),
        V,
        "truth",
        "variance_partition",
    ),
    _c(
        "plot_variance_partition",
        "not a mapping",
        lambda t: plot_variance_partition([variance_partition({"a": 1.0, "b": 1.0})]),
        T,
        "tables",
        "mapping",
    ),
    _c(
        "plot_variance_partition",
        "NaN share",
        lambda t: plot_variance_partition({"truth": pd.DataFrame({"share": [np.nan, 1.0]}, index=["a", "b"])}),
        V,
        "truth",
        "finite",
    ),
    _c(
        "plot_estimate_comparison",
        "missing column",
        lambda t: plot_estimate_comparison(pd.DataFrame({"mean": [1.0]})),
        K,
        "published",
        "compare_estimates",
    ),
    _c(
        "plot_estimate_comparison",
        "no reference values",
        lambda t: plot_estimate_comparison(compare_estimates({"tau": np.arange(10.0)})),
        V,
        "published",
        "reference column",
    ),
    _c(
        "plot_estimate_comparison",
        "not a DataFrame",
        lambda t: plot_estimate_comparison({"mean": 1.0}),
        T,
        "table",
        "compare_estimates",
    ),
    _c(
        "plot_estimate_comparison",
        "labels of the wrong length",
        lambda t: plot_estimate_comparison(
            compare_estimates({"tau": np.arange(10.0)}, {"tau": 4.0}), labels=["a", "b"]
        ),
        V,
        "labels",
        "entries for",
    ),
    _c("plain_log_ticks", "not axes", lambda t: plain_log_ticks("ax"), T, "ax", "matplotlib Axes"),
    _c("plain_log_ticks", "unknown axis", lambda t: plain_log_ticks(plt.subplots()[1], axis="z"), V, "axis",
       "'both', 'x' or 'y'"),
    # exercises
    _c("check", "message not a string", lambda t: check(True, 3), T, "message", "string"),
    _c("check_between", "message not a string", lambda t: check_between([1.0], 0.0, 2.0, None), T, "message",
       "string"),
    _c("check_between", "negative tolerance", lambda t: check_between([1.0], 0.0, 2.0, "m", tolerance=-1.0), V,
       "tolerance", "non-negative"),
    _c("check_between", "labels of the wrong length", lambda t: check_between([1.0, 2.0], 0.0, 2.0, "m", labels=["a"]),
       V, "labels", "one label per value"),
    _c("check_model", "reference not a model", lambda t: check_model(None, "reference"), T, "reference", "pymc.Model"),
    _c("check_model", "describe not words", lambda t: check_model(None, None, describe={"tau": 1}), T, "describe",
       "dict from variable names to words"),
    _c("check_model", "no points", lambda t: check_model(None, None, points=0), V, "points", "positive integer"),
    _c("check_model", "negative tolerance", lambda t: check_model(None, None, rtol=-1.0), V, "rtol", "positive number"),
]


def _parquet(folder: Path, data: pd.DataFrame) -> Path:
    path = folder / "students.parquet"
    data.to_parquet(path)
    return path


def _parquet_with_nan_level(folder: Path) -> Path:
    """A Parquet file whose float level column holds a NaN (a value, not a NULL: pandas writes NULLs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / "nan_level.parquet"
    level = pa.array(np.r_[np.nan, np.arange(1.0, len(STUDENTS))], from_pandas=False)
    pq.write_table(pa.table({"school": level, "literacy": STUDENTS["literacy"].to_numpy()}), path)
    return path


def _not_parquet(folder: Path, kind: str) -> Path:
    """A path that is not a Parquet file: a CSV, an empty file, or a folder."""
    if kind == "folder":
        path = folder / "students"
        path.mkdir()
        return path
    path = folder / "students.parquet"
    path.write_text("" if kind == "empty" else STUDENTS.to_csv(index=False))
    return path


# --- functions that read files or write SQL: missing files, wrong formats, hostile text ---------

HOSTILE_SOURCE = "t) SELECT 1 AS g; DROP TABLE t; --"
HOSTILE_NAME = 'literacy" FROM t; DROP TABLE t; --'

PATH_CASES: list[Case] = [
    _c(
        "sufficient_statistics_parquet",
        "missing file (hostile name)",
        lambda t: sufficient_statistics_parquet(t / "x.parquet'); DROP TABLE t; --", "literacy", "school"),
        FileNotFoundError,
        "DROP TABLE",
        "Write one first",
    ),
    _c(
        "sufficient_statistics_parquet",
        "a glob that matches nothing",
        lambda t: sufficient_statistics_parquet(t / "part*.parquet", "literacy", "school"),
        FileNotFoundError,
        "part*.parquet",
        "Write one first",
    ),
    _c(
        "sufficient_statistics_parquet",
        "a CSV file named .parquet",
        lambda t: sufficient_statistics_parquet(_not_parquet(t, "csv"), "literacy", "school"),
        V,
        "students.parquet",
        "Parquet file",
    ),
    _c(
        "sufficient_statistics_parquet",
        "an empty file",
        lambda t: sufficient_statistics_parquet(_not_parquet(t, "empty"), "literacy", "school"),
        V,
        "students.parquet",
        "Parquet file",
    ),
    _c(
        "sufficient_statistics_parquet",
        "a folder",
        lambda t: sufficient_statistics_parquet(_not_parquet(t, "folder"), "literacy", "school"),
        V,
        "students",
        r"glob such as|\*\.parquet",
    ),
    _c(
        "sufficient_statistics_parquet",
        "hostile column name",
        lambda t: sufficient_statistics_parquet(_parquet(t, STUDENTS), HOSTILE_NAME, "school"),
        K,
        "DROP TABLE",
        "Available columns",
    ),
    _c(
        "sufficient_statistics_parquet",
        "NaN (not NULL) in a level column",
        lambda t: sufficient_statistics_parquet(_parquet_with_nan_level(t), "literacy", "school"),
        V,
        "school",
        "drop those rows|give them",
    ),
    _c(
        "sufficient_statistics_sql",
        "SQL text as the source",
        lambda t: sufficient_statistics_sql(HOSTILE_SOURCE, "literacy", "school"),
        V,
        "source",
        "table or view",
    ),
    _c(
        "sufficient_statistics_sql",
        "a table expression as the source",
        lambda t: sufficient_statistics_sql("read_parquet('students.parquet')", "literacy", "school"),
        V,
        "source",
        "sufficient_statistics_parquet",
    ),
    _c(
        "sufficient_statistics_sql",
        "a quoted name with a comment",
        lambda t: sufficient_statistics_sql('"t" --', "literacy", "school"),
        V,
        "source",
        "table or view",
    ),
    _c(
        "sufficient_statistics_sql",
        "predictors whose statistics collide",
        lambda t: sufficient_statistics_sql("t", "literacy", "school", ["a", "a*a"]),
        V,
        "a*a",
        "Rename",
    ),
]


_PLOT_TABLES = {
    "plot_group_means": (
        lambda d: plot_group_means(d),
        lambda: group_summary(STUDENTS, "literacy", "school"),
        "n",
        "summary",
    ),
    "plot_caterpillar": (
        lambda d: plot_caterpillar(d),
        lambda: pd.DataFrame({"mean": [1.0, 2.0], "lower": [0.0, 1.0], "upper": [2.0, 3.0]}, index=["a", "b"]),
        "mean",
        "estimates",
    ),
    "plot_estimate_comparison": (
        lambda d: plot_estimate_comparison(d),
        lambda: compare_estimates({"intercept": np.linspace(12.0, 13.0, 50)}, {"intercept": 12.64}),
        "mean",
        "table",
    ),
}

SPECIFIC += [
    # tables the plots read: each column once, one level of names
    *[
        _c(
            name,
            f"column {column} twice",
            lambda t, f=f, make=make, c=column: f(_twice(make(), c)),
            V,
            column,
            "appears twice.*rename or drop",
        )
        for name, (f, make, column, _argument) in _PLOT_TABLES.items()
    ],
    *[
        _c(name, "MultiIndex columns", lambda t, f=f, make=make: f(_multiindex(make())), V, argument, "flatten")
        for name, (f, make, _column, argument) in _PLOT_TABLES.items()
    ],
    # prediction: labels given as a frame, or of another type than the fit's
    _c(
        "group_effect_draws",
        "a one-column DataFrame as labels",
        lambda t: group_effect_draws(FIT, "alpha", STUDENTS[["school"]], allow_new=True, seed=3),
        T,
        "groups",
        r"pass the column",
    ),
    _c(
        "group_effect_draws",
        "a 2-d array as labels",
        lambda t: group_effect_draws(FIT, "alpha", STUDENTS[["school"]].to_numpy(), allow_new=True, seed=3),
        T,
        "groups",
        r"one-dimensional|pass the column",
    ),
    _c(
        "unseen_groups",
        "a one-column DataFrame as labels",
        lambda t: unseen_groups(FIT, "alpha", STUDENTS[["school"]]),
        T,
        "groups",
        r"pass the column",
    ),
    _c(
        "group_effect_draws",
        "an integer label on a fit with text labels, allow_new",
        lambda t: group_effect_draws(FIT, "alpha", [0], allow_new=True, seed=3),
        V,
        "groups",
        "did you mean '0'",
    ),
    _c(
        "unseen_groups",
        "an integer label on a fit with text labels",
        lambda t: unseen_groups(FIT, "alpha", [0]),
        V,
        "groups",
        "did you mean '0'",
    ),
    _c(
        "plot_group_residuals",
        "a one-column DataFrame as groups",
        lambda t: plot_group_residuals(pd.Series([1.0, 2.0]), pd.DataFrame({"g": ["a", "a"]})),
        T,
        "groups",
        "Series",
    ),
    # scaling: colliding statistic names, labels of two types
    _c(
        "sufficient_statistics",
        "predictors whose statistics collide",
        lambda t: sufficient_statistics(_students_with(**{"a": 1.0, "a*a": 2.0}), "literacy", "school", ["a", "a*a"]),
        V,
        "a*a",
        "Rename",
    ),
    _c(
        "statistic_columns",
        "predictors whose statistics collide",
        lambda t: statistic_columns("y", ["a", "a*a"]),
        V,
        "a*a",
        "Rename",
    ),
    _c(
        "marginal_model",
        "a level named like a statistic",
        lambda t: marginal_model(
            STATS.rename(columns={"county": "sum(ses)"}), "literacy", ["sum(ses)", "school"], ["ses"]
        ),
        V,
        "sum(ses)",
        "Rename",
    ),
    _c(
        "sufficient_statistics",
        "labels 1 and '1'",
        lambda t: sufficient_statistics(
            _students_with(school=np.tile(np.array([1, "1"], dtype=object), 12)), "literacy", "school"
        ),
        T,
        "school",
        "one type|astype",
    ),
    # data: sizes that cannot fit, sizes out of range
    _c(
        "simulate_literacy",
        "a billion pupils",
        lambda t: simulate_literacy(
            n_states=1000, counties_per_state=1000, schools_per_county=50, median_school_size=400
        ),
        V,
        "schools_per_county",
        "GB.*smaller",
    ),
    _c("simulate_literacy", "huge counts", lambda t: simulate_literacy(n_states=10**9), V, "n_states", "GB.*smaller"),
    _c(
        "simulate_literacy",
        "schools above the size cap",
        lambda t: simulate_literacy(median_school_size=10**6),
        V,
        "median_school_size",
        "between 8 and 5000",
    ),
    # sizes other functions take
    _c(
        "integrated_log_likelihood",
        "a billion nodes",
        lambda t: integrated_log_likelihood([1], [4], 0.0, 1.0, n_nodes=10**9),
        V,
        "n_nodes",
        "at most",
    ),
    _c(
        "plot_predictive_statistic",
        "a billion bins",
        lambda t: plot_predictive_statistic([1.0, 2.0], 1.0, bins=10**9),
        V,
        "bins",
        "at most",
    ),
]


def _singleton_stats() -> pd.DataFrame:
    return sufficient_statistics(SINGLETONS, "literacy", "school")


CASES = _generated() + SPECIFIC + PATH_CASES
HLMKIT_DIR = Path(hlmkit.__file__).resolve().parent


def _pattern(case: Case) -> str:
    """Match a message that names ``case.name`` and contains a hint (in any order)."""
    return rf"(?s)^(?=.*{re.escape(case.name)})(?=.*(?:{case.hint}))"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def models_built(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every ``pymc.Model`` created while the test runs."""
    built: list = []
    original = pm.Model.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(pm.Model, "__init__", counting)
    return built


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_clearly(case: Case, tmp_path: Path, models_built: list) -> None:
    with pytest.raises(case.error, match=_pattern(case)) as info:
        case.call(tmp_path)
    # Raised by hlmkit itself, not deep inside pandas, NumPy, PyMC or PyTensor ...
    raised_in = Path(traceback.extract_tb(info.tb)[-1].filename).resolve()
    assert raised_in.parent == HLMKIT_DIR, f"raised in {raised_in}, not by hlmkit"
    assert not isinstance(info.value, AssertionError)
    # ... and before any PyMC model was built: builders validate first.
    assert not models_built, "a PyMC model was built before the bad input was refused"


def _public_functions() -> dict[str, Callable]:
    return {name: getattr(hlmkit, name) for name in hlmkit.__all__ if inspect.isfunction(getattr(hlmkit, name))}


def test_every_public_function_has_a_case() -> None:
    functions = _public_functions()
    covered = {case.function for case in CASES}
    assert covered <= set(functions), f"cases for names that are not public functions: {covered - set(functions)}"
    missing = set(functions) - covered - set(EXEMPT)
    assert not missing, f"public functions without a bad-input case in tests/test_bad_input.py: {sorted(missing)}"
    for name in EXEMPT:
        assert name in functions, f"{name} is exempt but not a public function"
        assert not inspect.signature(functions[name]).parameters, f"{name} takes arguments: give it cases"


# --- the caller's DataFrame is never modified ------------------------------------------------------


def _takes_a_frame(function: Callable) -> bool:
    return any("DataFrame" in str(p.annotation) for p in inspect.signature(function).parameters.values())


UNCHANGED: dict[str, Callable[[pd.DataFrame], object]] = {name: use.call for name, use in FRAME_USES.items()}
UNCHANGED_DATA: dict[str, pd.DataFrame] = {name: use.data for name, use in FRAME_USES.items()}

_SUMMARY = group_summary(STUDENTS, "literacy", "school")
_ESTIMATES = pd.DataFrame({"mean": [1.0, 2.0], "lower": [0.0, 1.0], "upper": [2.0, 3.0]}, index=["a", "b"])
_PAIRS = pd.DataFrame({"intercept": [1.0, -2.0], "slope": [0.5, 1.5]}, index=["a", "b"])
_PARTITION = variance_partition({"school": 20.0, "student": 40.0})
_REFERENCE = load_reference("raudenbush_bryk_2002", model="one_way_anova")
_COMPARISON = compare_estimates({"intercept": np.linspace(12.0, 13.0, 50)}, {"intercept": 12.64})

for _name, _data, _call in [
    ("plot_group_means", _SUMMARY, lambda d: plot_group_means(d, grand_mean=500.0)),
    ("plot_caterpillar", _ESTIMATES, lambda d: plot_caterpillar(d)),
    ("plot_shrinkage_2d", _PAIRS, lambda d: plot_shrinkage_2d(d, d * 0.5, mean=np.zeros(2), cov=np.eye(2), truth=d)),
    ("plot_variance_partition", _PARTITION, lambda d: plot_variance_partition({"truth": d})),
    ("plot_estimate_comparison", _COMPARISON, lambda d: plot_estimate_comparison(d)),
    (
        "compare_estimates",
        _REFERENCE,
        lambda d: compare_estimates({p: np.linspace(0.0, 20.0, 50) for p in d["parameter"]}, d),
    ),
]:
    UNCHANGED[_name] = _call
    UNCHANGED_DATA[_name] = _data


@pytest.mark.parametrize("name", sorted(UNCHANGED))
def test_the_callers_frame_is_not_modified(name: str) -> None:
    data = UNCHANGED_DATA[name].copy(deep=True)
    before = data.copy(deep=True)
    UNCHANGED[name](data)
    pd.testing.assert_frame_equal(data, before)


def test_every_function_taking_a_frame_is_checked_for_changes() -> None:
    takes_frames = {name for name, function in _public_functions().items() if _takes_a_frame(function)}
    missing = takes_frames - set(UNCHANGED)
    assert not missing, f"functions taking a DataFrame without an input-not-modified test: {sorted(missing)}"


def test_a_region_passed_in_is_not_modified() -> None:
    # true_proficiency_rates takes a SimulatedRegion, whose students and schools are DataFrames.
    region = simulate_literacy(seed=3, n_states=1, counties_per_state=2, schools_per_county=2)
    before = {name: getattr(region, name).copy(deep=True) for name in ("students", "schools", "counties", "states")}
    true_proficiency_rates(region)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(region, name), frame)


# Coursework (which reads chapters, not data) lives in its own package with its own bad-input tests.
PATH_EXEMPT: dict[str, str] = {}


def test_every_function_reading_files_or_writing_sql_gets_hostile_cases() -> None:
    takes_paths = {
        name
        for name, function in _public_functions().items()
        if {"path", "source"} & set(inspect.signature(function).parameters)
    } - set(PATH_EXEMPT)
    kinds: dict[str, set[str]] = {}
    for case in PATH_CASES:
        kinds.setdefault(case.function, set()).add(case.kind)
    for name in takes_paths:
        text = " | ".join(sorted(kinds.get(name, ())))
        if "path" in inspect.signature(_public_functions()[name]).parameters:
            assert re.search(r"missing|matches nothing", text), f"{name}: no missing-file case"
        assert re.search(r"not Parquet|CSV|empty file|folder|table expression", text), f"{name}: no wrong-format case"
        assert re.search(r"hostile|SQL text|comment", text), f"{name}: no hostile-text case"
