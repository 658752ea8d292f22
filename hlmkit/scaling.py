r"""Scaling up: Gaussian models built from per-school sufficient statistics, never touching a student.

For a Gaussian multilevel model with varying intercepts, the students of school :math:`j`
enter the likelihood only through a few sums: the count :math:`n_j`, the sums
:math:`\sum y` and :math:`\sum y^2`, and for student-level predictors :math:`X_j`
the cross-products :math:`X_j^\top 1`, :math:`X_j^\top X_j` and :math:`X_j^\top y_j`.
With :math:`\bar y_j`, :math:`\bar x_j` the school means and

.. math::

    W(\beta) = \sum_j \sum_{i \in j} \bigl((y_i - \bar y_j) - (x_i - \bar x_j)^\top \beta\bigr)^2
              = W_{yy} - 2 \beta^\top W_{xy} + \beta^\top W_{xx} \beta

the within-school sum of squares (its three pieces are sums over schools of the
sufficient statistics), the student-level log-likelihood is exactly

.. math::

    \log p(y \mid \alpha, \beta, \sigma) = -\frac{N}{2} \log(2 \pi \sigma^2)
        - \frac{W(\beta) + \sum_j n_j (\bar y_j - \alpha_j - \bar x_j^\top \beta)^2}{2 \sigma^2}

(:func:`sufficient_statistics_model`): O(schools) per gradient instead of O(students).
:mod:`hlmkit.marginal` goes further and integrates the school effects out.

The statistics come from :mod:`hlmkit.sufficient` (pandas or DuckDB, the same table); the
model builders here take that table.

Levels are named from the top down, as in :func:`hlmkit.nested_model`, e.g.
``["state", "county", "school"]``: the last level (schools) is the one whose groups the
statistics summarise. The builders make :func:`hlmkit.nested_model` (the student-level
likelihood, O(students) per gradient) with the same variable names and the same priors,
computed from the statistics, so the three likelihoods give the same posterior.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from hlmkit._parts import _level_intercepts
from hlmkit._validate import (
    check_columns,
    check_frame,
    check_no_missing,
    check_numeric,
    check_parameterizations,
)
from hlmkit.sufficient import _check_nested, _names, statistic_columns

PARAMETERIZATIONS = ("centered", "noncentered")


# --- from statistics to model inputs ---------------------------------------------------------------


@dataclass(frozen=True)
class _Summary:
    """The statistics reduced to what the models use, with the hierarchy and the prior scales."""

    levels: list[str]
    predictors: list[str]
    labels: dict[str, pd.Index]  # level -> its labels, in code order
    parent: dict[str, np.ndarray]  # level (not the top) -> code of each of its groups' parent group
    n: np.ndarray  # (J,) students per school
    y_mean: np.ndarray  # (J,)
    x_mean: np.ndarray  # (J, p)
    w_yy: float  # within-school sums of squares and cross-products, summed over schools
    w_xy: np.ndarray  # (p,)
    w_xx: np.ndarray  # (p, p)
    n_total: int
    y_center: float  # mean of y over all students
    y_scale: float  # sd of y over all students
    x_scale: np.ndarray  # (p,) sd of each predictor over all students


def _summarise(stats: pd.DataFrame, outcome: str, levels: list[str], predictors: list[str]) -> _Summary:
    """Check a statistics table and reduce it to school means and pooled within-school sums."""
    check_frame(stats, argument="stats")
    columns = statistic_columns(outcome, predictors)
    try:
        check_columns(stats, [*levels, *columns], argument="stats")
    except KeyError as error:
        raise KeyError(
            f"{error.args[0]} Make the table with sufficient_statistics(...) or sufficient_statistics_parquet(...) "
            "with the same outcome, levels and predictors."
        ) from None
    for level in levels:
        check_no_missing(stats, level, role="level")
    bottom = stats[levels[-1]]
    if not bottom.is_unique:
        raise ValueError(
            f"`stats` has more than one row for some {levels[-1]!r} label(s) "
            f"(e.g. {list(bottom[bottom.duplicated()][:3])}): one row per group is expected."
        )
    _check_nested(stats, levels)
    values = {c: check_numeric(stats, c, role="statistic") for c in columns}
    n = values["n"]
    if (n < 1).any() or (n != np.round(n)).any():
        raise ValueError("The column 'n' of `stats` must hold whole counts of at least 1 student per group.")
    order = np.argsort(pd.factorize(bottom, sort=True)[0], kind="stable")
    table = stats.iloc[order]
    values = {c: v[order] for c, v in values.items()}
    n = values["n"]
    p = len(predictors)
    y_sum, yy_sum = values[f"sum({outcome})"], values[f"sum({outcome}*{outcome})"]
    x_sum = np.column_stack([values[f"sum({x})"] for x in predictors]) if p else np.zeros((len(n), 0))
    xy_sum = np.column_stack([values[f"sum({x}*{outcome})"] for x in predictors]) if p else np.zeros((len(n), 0))
    xx_sum = np.zeros((len(n), p, p))
    for k, a in enumerate(predictors):
        for m in range(k, p):
            xx_sum[:, k, m] = xx_sum[:, m, k] = values[f"sum({a}*{predictors[m]})"]
    y_mean = y_sum / n
    x_mean = x_sum / n[:, None]
    n_total = int(n.sum())
    y_center = float(y_sum.sum() / n_total)
    y_var = float(yy_sum.sum() / n_total - y_center**2)
    x_center = x_sum.sum(axis=0) / n_total
    x_var = np.array([xx_sum[:, k, k].sum() / n_total - x_center[k] ** 2 for k in range(p)])
    _check_resolved(outcome, "outcome", n, y_sum, yy_sum)
    constant = [x for k, x in enumerate(predictors) if _check_resolved(x, "predictor", n, x_sum[:, k], xx_sum[:, k, k])]
    if constant:
        raise ValueError(f"Predictor(s) {constant} are constant: drop them, they cannot be estimated.")
    labels: dict[str, pd.Index] = {}
    codes: dict[str, np.ndarray] = {}
    for level in levels:
        level_codes, level_labels = pd.factorize(table[level], sort=True)
        labels[level], codes[level] = pd.Index(level_labels, name=level), level_codes
    few = {level: len(index) for level, index in labels.items() if len(index) < 2}
    if few:
        raise ValueError(
            f"Each level needs at least two groups to learn how they differ; found {few}. "
            "Drop that level from `levels`."
        )
    parent: dict[str, np.ndarray] = {}
    for outer, inner in zip(levels[:-1], levels[1:], strict=True):
        pairs = pd.DataFrame({"child": codes[inner], "parent": codes[outer]}).drop_duplicates("child")
        parent[inner] = pairs.sort_values("child")["parent"].to_numpy(dtype=np.int64)
    return _Summary(
        levels=levels,
        predictors=predictors,
        labels=labels,
        parent=parent,
        n=n,
        y_mean=y_mean,
        x_mean=x_mean,
        w_yy=float((yy_sum - n * y_mean**2).sum()),
        w_xy=(xy_sum - n[:, None] * x_mean * y_mean[:, None]).sum(axis=0),
        w_xx=(xx_sum - n[:, None, None] * x_mean[:, :, None] * x_mean[:, None, :]).sum(axis=0),
        n_total=n_total,
        y_center=y_center,
        y_scale=float(np.sqrt(y_var)),
        x_scale=np.sqrt(x_var),
    )


#: float64 sums of squares must resolve the variation around the group means to this relative precision.
_RESOLUTION = 1e-5


def _check_resolved(column: str, role: str, n: np.ndarray, sums: np.ndarray, squares: np.ndarray) -> bool:
    r"""Whether a column is constant (True for a predictor; an error for the outcome), or raise if its sums lost it.

    The table holds raw sums, so the variation around the group means is a difference of large
    numbers: :math:`W = \sum_j (S^{(2)}_j - S_j^2 / n_j)`. Each stored sum of squares carries a
    rounding error of about ``eps * S2_j``; when the values are far from zero compared with their
    spread (1e7 + N(0, 1)), that error swamps W. Such a column is neither constant nor usable:
    the message says to subtract a constant before summarising. The values the models use are
    computed as before; only this check is new.
    """
    eps = np.finfo(float).eps
    noise = eps * float(np.abs(squares).sum())  # the rounding error of the stored sums of squares
    means = sums / n
    center = float(sums.sum() / n.sum())
    within = float((squares - n * means**2).sum())
    between = float((n * (means - center) ** 2).sum())
    if between <= 16 * noise and within <= 16 * noise:
        if role == "predictor":
            return True
        unresolved = "" if within + between == 0.0 else (
            f" If it should vary, it varies by less than float64 sums of values near {center:.6g} can resolve: "
            f"subtract a constant first, e.g. data[{column!r}] - {float(f'{center:.2g}'):.6g}, and compute the "
            "statistics again."
        )
        raise ValueError(f"The {role} {column!r} is constant: there is no variation to model.{unresolved}")
    if n.max() == 1 or within <= 16 * noise or within * _RESOLUTION >= noise:
        return False  # resolved, or no pupils share a group, or constant within every group (a legal degenerate case)
    spread = np.sqrt(max(within + between, 0.0) / n.sum())
    raise ValueError(
        f"The {role} {column!r} varies too little relative to its size for sums of squares in float64: its values are "
        f"about {center:.6g} but vary by about {spread:.3g} (sd), so the statistics keep only about "
        f"{max(int(np.log10(max(within, 1e-300) / noise)), 0)} of the {int(-np.log10(_RESOLUTION))} significant digits "
        "of that variation the models need. Subtract a "
        f"constant first, e.g. data[{column!r}] - {float(f'{center:.2g}'):.6g}, and compute the statistics again: "
        "slopes and standard deviations do not change, intercepts shift by that constant."
    )


def _check_not_all_singletons(summary: _Summary) -> None:
    """Raise if every school has one student: sigma and tau cannot then be told apart."""
    if (summary.n == 1).all():
        raise ValueError(
            f"Every {summary.levels[-1]!r} group in `stats` has a single row of data (n = 1), so the spread within "
            "groups (sigma) cannot be told apart from the differences between groups. Use complete_pooling_model, "
            "or summarise by a coarser column with larger groups."
        )


def _coords(summary: _Summary) -> dict[str, list]:
    coords: dict[str, list] = {"level": list(summary.levels)}
    coords.update({level: list(summary.labels[level]) for level in summary.levels})
    if summary.predictors:
        coords["predictor"] = list(summary.predictors)
    return coords


def _hierarchy(summary: _Summary, chosen: dict[str, str], *, include_bottom: bool) -> tuple:
    """Add the priors and the group intercepts of :func:`hlmkit.nested_model` to the model in context.

    Returns ``sigma``, ``beta`` (None without predictors), ``tau`` (dim ``level``) and, when
    ``include_bottom``, the school intercepts ``alpha``; otherwise the expected intercept
    of each school given the levels above (``mu`` itself in a two-level model).
    """
    s = summary.y_scale
    levels = summary.levels
    mu = pm.Normal("mu", mu=summary.y_center, sigma=2.5 * s)
    tau = pm.HalfNormal("tau", sigma=s, dims="level")
    upper: Any = None
    for k, level in enumerate(levels):
        mean = mu if k == 0 else upper[summary.parent[level]]
        if level == levels[-1] and not include_bottom:
            upper = mean
            break
        name = "alpha" if level == levels[-1] else f"alpha_{level}"
        upper = _level_intercepts(name, level, mean, tau[k], chosen[level])
    sigma = pm.HalfNormal("sigma", sigma=s)
    beta = None
    if summary.predictors:
        beta = pm.Normal("beta", mu=0.0, sigma=2.5 * s / summary.x_scale, dims="predictor")
    return sigma, beta, tau, upper


def _within(summary: _Summary, beta):
    """W(beta): the within-school sum of squared residuals, from three summed statistics."""
    if beta is None:
        return summary.w_yy
    return summary.w_yy - 2.0 * pt.dot(summary.w_xy, beta) + pt.dot(beta, pt.dot(summary.w_xx, beta))


def _adjusted_means(summary: _Summary, beta):
    """School means of the outcome net of the predictors: ybar_j - xbar_j' beta.

    Written column by column, not as ``pt.dot``: the products then join the one loop over the
    schools that computes the likelihood and its gradient, instead of two matrix-vector products
    of their own (a fifth of the time of a gradient on 100,000 schools).
    """
    if beta is None:
        return summary.y_mean
    return summary.y_mean - sum(summary.x_mean[:, k] * beta[k] for k in range(len(summary.predictors)))


def sufficient_statistics_model(
    stats: pd.DataFrame,
    outcome: str,
    levels: str | Sequence[str],
    predictors: Sequence[str] = (),
    *,
    parameterization: str | Mapping[str, str] = "noncentered",
) -> pm.Model:
    r""":func:`hlmkit.nested_model` with its likelihood computed from per-school statistics.

    The log-likelihood (a ``pymc.Potential`` named ``loglik``) equals the student-level one
    exactly, for every parameter value, but costs O(schools) per gradient instead of
    O(students):

    .. math:: -\frac{N}{2}\log(2\pi\sigma^2) - \frac{W(\beta)
              + \sum_j n_j (\bar y_j - \alpha_j - \bar x_j^\top \beta)^2}{2\sigma^2}

    Priors, variables and names are those of :func:`hlmkit.nested_model`, so the two give
    the same posterior.

    Parameters
    ----------
    stats : pandas.DataFrame
        The table of :func:`sufficient_statistics` or :func:`sufficient_statistics_parquet`.
    outcome : str
        Numeric outcome column the table summarises (e.g. ``"literacy"``).
    levels : str or sequence of str
        Grouping columns from the top level down: ``"school"`` for two levels,
        ``["state", "county", "school"]`` for schools in counties in states.
    predictors : sequence of str, optional
        Student-level predictors with common slopes ``beta``. Centre them for clean
        sampling and an interpretable intercept.
    parameterization : {"noncentered", "centered"} or mapping
        One choice for every level, or ``{level: choice}`` (levels left out are
        non-centred). Centred suits groups with much data each, non-centred groups with
        little (see :func:`suggest_parameterization`).

    Returns
    -------
    pymc.Model
        Variables ``mu``, ``tau`` (dim ``level``), ``sigma``, ``beta`` (dim ``predictor``, if
        any), ``alpha`` (dim of the last level), and for each level above ``alpha_<level>``;
        ``effect_<level>`` (and ``z_<level>`` when non-centred) for every level. No observed
        variable: the data enter through the potential ``loglik``.

    Raises
    ------
    KeyError
        If a level or statistic column is missing from ``stats``.
    TypeError, ValueError
        If a statistic is not numeric or finite, a count is below 1, a group has two rows,
        every group has a single student (``n`` = 1: sigma and tau cannot be told apart), a
        level has fewer than two groups or is not nested in the one above, or the
        parameterization is unknown.

    Examples
    --------
    >>> from hlmkit import simulate_literacy, sufficient_statistics, sufficient_statistics_model
    >>> students = simulate_literacy(seed=1).students
    >>> stats = sufficient_statistics(students, "literacy", "school", ["ses"])
    >>> model = sufficient_statistics_model(stats, "literacy", "school", ["ses"], parameterization="centered")
    >>> sorted(v.name for v in model.free_RVs), [p.name for p in model.potentials]
    (['alpha', 'beta', 'mu', 'sigma', 'tau'], ['loglik'])
    """
    outcome, levels, predictors = _names(outcome, levels, predictors)
    summary = _summarise(stats, outcome, levels, predictors)
    _check_not_all_singletons(summary)
    chosen = check_parameterizations(parameterization, levels, PARAMETERIZATIONS)
    with pm.Model(coords=_coords(summary)) as model:
        sigma, beta, _, alpha = _hierarchy(summary, chosen, include_bottom=True)
        residual = _adjusted_means(summary, beta) - alpha
        squares = _within(summary, beta) + pt.sum(summary.n * residual**2)
        pm.Potential("loglik", -0.5 * summary.n_total * pt.log(2 * np.pi * sigma**2) - squares / (2 * sigma**2))
    return model


def suggest_parameterization(
    stats: pd.DataFrame,
    outcome: str,
    levels: str | Sequence[str],
    predictors: Sequence[str] = (),
    *,
    sigma: float,
    tau: Mapping[str, float],
) -> dict[str, str]:
    r"""Centred or non-centred for each level, by the rule of thumb of the chapter on sampling problems.

    A group's intercept is pinned down by its own data when they carry more than half of
    its posterior precision, i.e. when its shrinkage weight :math:`w = P / (P + 1/\tau^2)`
    exceeds one half, where :math:`P` is the precision of the group's data: :math:`n_j /
    \sigma^2` for a school, and for a group of a level above, the sum over its member
    groups of :math:`1 / (\tau_{\text{member}}^2 + 1 / P_{\text{member}})`. Then the
    centred form samples best; otherwise the non-centred one. The rule looks at the median
    group of each level, with rough values of the scales from a pilot fit, e.g. of
    :func:`marginal_model`, which has no school intercepts to parameterise. The funnel lives
    where :math:`\tau` is small, so pass the small end of each :math:`\tau`'s plausible range
    (say its 5% posterior quantile): for a level with few groups, :math:`\tau` is poorly
    determined and a central value can suggest centring a level whose posterior still reaches
    down into the funnel.

    Parameters
    ----------
    stats : pandas.DataFrame
        The table of :func:`sufficient_statistics` (the counts ``n`` and the levels are used).
    outcome, levels, predictors
        As for the model builders.
    sigma : float
        Rough within-school standard deviation (positive).
    tau : mapping of str to float
        Rough standard deviation of the intercepts at each level, e.g.
        ``{"state": 6, "county": 4, "school": 10}`` (positive).

    Returns
    -------
    dict of str to str
        ``{level: "centered" | "noncentered"}``, to pass as ``parameterization``.

    Raises
    ------
    KeyError
        If ``tau`` lacks a level, or ``stats`` lacks a column.
    ValueError
        If a scale is not a positive number.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import suggest_parameterization, sufficient_statistics
    >>> df = pd.DataFrame({"school": list("aabbb"), "y": [1.0, 2.0, 3.0, 4.0, 6.0]})
    >>> stats = sufficient_statistics(df, "y", "school")
    >>> suggest_parameterization(stats, "y", "school", sigma=1.0, tau={"school": 2.0})
    {'school': 'centered'}
    >>> suggest_parameterization(stats, "y", "school", sigma=10.0, tau={"school": 2.0})
    {'school': 'noncentered'}
    """
    outcome, levels, predictors = _names(outcome, levels, predictors)
    summary = _summarise(stats, outcome, levels, predictors)
    if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not sigma > 0:
        raise ValueError(f"`sigma` must be a positive number, got {sigma!r}.")
    if not isinstance(tau, Mapping):
        raise TypeError(f"`tau` must be a mapping {{level: sd}}, got {tau!r}.")
    missing = [level for level in levels if level not in tau]
    if missing:
        raise KeyError(f"`tau` has no value for level(s) {missing}; give one per level of {levels}.")
    scales = {level: tau[level] for level in levels}
    bad = {k: v for k, v in scales.items() if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0}
    if bad:
        raise ValueError(f"Every `tau` must be a positive number, got {bad}.")
    chosen: dict[str, str] = {}
    precision = summary.n / sigma**2  # what each school's own students say about its intercept
    for k in range(len(levels) - 1, -1, -1):  # from the schools up
        level = levels[k]
        weight = precision / (precision + 1.0 / scales[level] ** 2)
        chosen[level] = "centered" if float(np.median(weight)) > 0.5 else "noncentered"
        if k > 0:  # what a group of the level above learns from its member groups
            member = 1.0 / (scales[level] ** 2 + 1.0 / precision)
            precision = np.bincount(summary.parent[level], weights=member, minlength=len(summary.labels[levels[k - 1]]))
    return {level: chosen[level] for level in levels}


#: The folder of the benchmark results committed with the book (see ``bench/README.md``).
BENCHMARK_FOLDER = Path(__file__).resolve().parent.parent / "bench"
#: Where ``make bench`` writes its results.
BENCHMARK_FILE = BENCHMARK_FOLDER / "results.csv"
#: The benchmarks :func:`load_benchmarks` reads, and the command that writes each.
BENCHMARKS = {"results": "make bench", "census": "python bench/census.py run"}


def load_benchmarks(name: str = "results") -> pd.DataFrame:
    """Load benchmark results committed with the book (``bench/<name>.csv``).

    Runs too slow for a page are measured once and read back from these files, with the
    machine and the date they were measured on: ``"results"`` (written by ``make bench``:
    the samplers, and the student-level likelihood on a million students) and ``"census"``
    (written by ``bench/census.py``: the three-level model on 10^8 pupils in Parquet files).

    Parameters
    ----------
    name : {"results", "census"}
        Which benchmark.

    Returns
    -------
    pandas.DataFrame
        One row per benchmark process. ``"results"``: ``suite``, ``case``, ``engine``,
        ``size``, ``n_students``, timings in seconds (``process_s``, ``setup_s``,
        ``sampling_s``, ...), diagnostics, estimates, ``machine``, ``date`` and
        ``load_1min``. ``"census"``: ``pupils``, ``schools``, ``disk_mb``, the time of each
        step and of the whole process, ``peak_rss_mb``, diagnostics, ``machine``, ``date``,
        ``load_1min`` and ``batch`` (the run of ``bench/census.py`` the row belongs to).

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not a benchmark of the book.
    FileNotFoundError
        If the file is missing (the message names the command that writes it).

    Examples
    --------
    >>> from hlmkit import load_benchmarks
    >>> {"suite", "case", "process_s", "machine", "date"} <= set(load_benchmarks().columns)
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be the name of a benchmark such as 'results' or 'census', got {name!r}.")
    if name not in BENCHMARKS:
        raise ValueError(f"`name` must be one of the book's benchmarks {sorted(BENCHMARKS)}, got {name!r}.")
    path = BENCHMARK_FOLDER / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"The benchmark results are missing: {path}. They are committed with the book; "
            f"restore them with `git checkout -- bench/` or write them with `{BENCHMARKS[name]}`."
        )
    return pd.read_csv(path)
