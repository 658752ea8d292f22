"""Plots reused across chapters. Each takes ``ax=None``, draws on it and returns it."""

from __future__ import annotations

from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from hlmkit._validate import (
    check_array,
    check_columns,
    check_count,
    check_frame,
    check_mapping,
    check_name,
    check_no_missing,
    check_number,
    check_numeric,
    check_unique_columns,
)
from hlmkit.style import PALETTE, STRATEGY_COLORS


def _plural(noun: str) -> str:
    """English plural of a group's name: school -> schools, class -> classes, county -> counties."""
    if noun.endswith(("s", "x", "ch", "sh")):
        return f"{noun}es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{noun[:-1]}ies"
    return f"{noun}s"


def _no_and_partial_pooling(ax: Axes, x: np.ndarray, before: np.ndarray, after: np.ndarray, area: np.ndarray,
                            label: str, after_label: str) -> None:
    """Draw the shrinkage plots' pair of markers: open no-pooling estimates, filled partial-pooling ones."""
    ax.scatter(x, before, s=area, facecolor="none", edgecolor=STRATEGY_COLORS["no pooling"], linewidth=1.2,
               label=f"no pooling (the {label} alone)")
    ax.scatter(x, after, s=area, color=STRATEGY_COLORS["partial pooling"], alpha=0.85, zorder=3, label=after_label)


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _check_series(values: object, argument: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(f"`{argument}` must be a pandas Series indexed by group label, got {type(values).__name__}.")
    return values


def _check_table(table: object, argument: str, columns: list[str], source: str, needs: str) -> pd.DataFrame:
    """Return ``table`` if it is a non-empty DataFrame with finite numeric ``columns``, else raise."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"`{argument}` must be a DataFrame (use {source}), got {type(table).__name__}.")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"`{argument}` needs columns {needs} (use {source}); missing: {missing}.")
    check_unique_columns(table, columns, argument=argument)  # and no MultiIndex: table[c] must be one column
    if table.empty:
        raise ValueError(f"`{argument}` is empty: there is nothing to draw.")
    for column in columns:
        check_array(table[column], f"{argument}[{column!r}]")
    return table


def _finite(values: pd.Series | pd.DataFrame, argument: str) -> None:
    """Raise if a Series or table of estimates holds a missing or infinite value (it would vanish from the plot)."""
    check_array(values, argument, finite=False)
    array = np.asarray(values, dtype=float)
    if not np.isfinite(array).all():
        raise ValueError(
            f"`{argument}` must be finite: it holds {int((~np.isfinite(array)).sum())} NaN or inf value(s), which "
            "would silently vanish from the plot. Drop those groups first."
        )


def _positive_sizes(sizes: pd.Series | np.ndarray, argument: str = "sizes") -> np.ndarray:
    n = check_array(sizes, argument)
    if (n <= 0).any():
        raise ValueError(f"`{argument}` must be positive group sizes (they set marker areas and log axes).")
    return n


def plot_group_means(summary: pd.DataFrame, *, grand_mean: float | None = None, ax: Axes | None = None,
                     label: str = "school", outcome: str = "literacy") -> Axes:
    """Raw group means against group size (log scale): small groups scatter widest.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`hlmkit.group_summary` (columns ``n`` and ``mean``).
    grand_mean : float, optional
        Draw a horizontal reference line here.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure if omitted).
    label, outcome : str
        Words for the axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``summary`` is not a DataFrame or holds text.
    KeyError
        If ``summary`` lacks ``n`` or ``mean``.
    ValueError
        If ``summary`` is empty, a value is not finite, a size is not positive, or
        ``grand_mean`` is not finite.

    Examples
    --------
    >>> from hlmkit import group_summary, plot_group_means, simulate_literacy
    >>> summary = group_summary(simulate_literacy(seed=1).students, "literacy", "school")
    >>> ax = plot_group_means(summary, grand_mean=500)
    >>> ax.get_xscale()
    'log'
    """
    _check_table(summary, "summary", ["n", "mean"], "hlmkit.group_summary", "'n' and 'mean'")
    _positive_sizes(summary["n"], "summary['n']")
    if grand_mean is not None:
        grand_mean = check_number(grand_mean, "grand_mean")
    ax = _axes(ax)
    ax.scatter(summary["n"], summary["mean"], s=22, color=PALETTE["blue"], alpha=0.75, edgecolor="white", linewidth=0.5)
    if grand_mean is not None:
        ax.axhline(grand_mean, color=PALETTE["black"], linestyle="--", linewidth=1, label="mean of all students")
        ax.legend(loc="upper right")
    ax.set_xscale("log")
    plain_log_ticks(ax, "x")
    ax.set_xlabel(f"pupils tested in the {label} (log scale)")
    ax.set_ylabel(f"{label} mean {outcome}")
    return ax


def plot_shrinkage(no_pooling: pd.Series, partial_pooling: pd.Series, sizes: pd.Series, *,
                   grand_mean: float, ax: Axes | None = None, label: str = "school",
                   outcome: str = "literacy") -> Axes:
    """Draw the shrinkage plot: each group's no-pooling estimate pulled to its partial-pooling estimate.

    Groups are placed by size (log scale); an arrow runs from the no-pooling estimate
    (open circle) to the partial-pooling estimate (filled), marker area grows with size,
    and the dashed line is the population mean. Small groups move most.

    Parameters
    ----------
    no_pooling, partial_pooling : pandas.Series
        Estimates indexed by group label.
    sizes : pandas.Series
        Group sizes indexed by group label.
    grand_mean : float
        The population mean that estimates are pulled toward.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    label, outcome : str
        Words for the axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If an estimate or size argument is not a Series.
    ValueError
        If the three Series do not cover the same groups, an estimate or ``grand_mean`` is
        not finite, or a size is not positive.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import plot_shrinkage
    >>> ax = plot_shrinkage(pd.Series({"a": 560.0, "b": 480.0}), pd.Series({"a": 530.0, "b": 485.0}),
    ...                     pd.Series({"a": 8, "b": 300}), grand_mean=500.0)
    >>> len(ax.collections) >= 2
    True
    """
    for value, name in ((no_pooling, "no_pooling"), (partial_pooling, "partial_pooling"), (sizes, "sizes")):
        _check_series(value, name)
    groups = no_pooling.index
    if set(groups) != set(partial_pooling.index) or not set(groups) <= set(sizes.index):
        raise ValueError("`no_pooling`, `partial_pooling` and `sizes` must be indexed by the same groups.")
    _finite(no_pooling, "no_pooling")
    _finite(partial_pooling, "partial_pooling")
    _positive_sizes(sizes.reindex(groups))
    grand_mean = check_number(grand_mean, "grand_mean")
    n = sizes.reindex(groups).to_numpy(dtype=float)
    before = no_pooling.to_numpy(dtype=float)
    after = partial_pooling.reindex(groups).to_numpy(dtype=float)
    area = 12 + 60 * np.sqrt(n / n.max())
    ax = _axes(ax)
    for x, y0, y1 in zip(n, before, after, strict=True):
        ax.annotate("", xy=(x, y1), xytext=(x, y0),
                    arrowprops={"arrowstyle": "-|>", "color": "0.55", "lw": 0.8, "shrinkA": 2, "shrinkB": 2})
    _no_and_partial_pooling(ax, n, before, after, area, label, "partial pooling (multilevel)")
    ax.axhline(grand_mean, color=STRATEGY_COLORS["complete pooling"], linestyle="--", linewidth=1.2,
               label="population mean")
    ax.set_xscale("log")
    plain_log_ticks(ax, "x")
    ax.set_xlabel(f"pupils in the {label} (log scale)")
    ax.set_ylabel(f"estimated {label} {outcome}")
    # Above the axes, in one row: a legend inside would cover the small groups' points.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=9, frameon=False)
    return ax


def plot_caterpillar(estimates: pd.DataFrame, *, truth: pd.Series | None = None, ax: Axes | None = None,
                     color: str | None = None, label: str = "estimate", sort: bool = True) -> Axes:
    """Caterpillar (forest) plot of group estimates with their intervals, sorted by estimate.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Output of :func:`hlmkit.group_estimates` (``mean``, ``lower``, ``upper``), indexed by group.
    truth : pandas.Series, optional
        True values indexed by group, drawn as black crosses.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    color : str, optional
        Colour of points and intervals.
    label : str
        Legend label of the estimates.
    sort : bool
        Order groups by estimate (else keep the given order).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``estimates`` is not a DataFrame or ``truth`` not a Series.
    KeyError
        If ``estimates`` lacks ``mean``, ``lower`` or ``upper``.
    ValueError
        If ``estimates`` is empty or holds a value that is not finite.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import plot_caterpillar
    >>> est = pd.DataFrame({"mean": [1.0, 2.0], "lower": [0.0, 1.5], "upper": [2.0, 2.5]}, index=["a", "b"])
    >>> ax = plot_caterpillar(est)
    >>> ax.get_xlabel()
    'groups, ordered by estimate'
    """
    _check_table(estimates, "estimates", ["mean", "lower", "upper"], "hlmkit.group_estimates",
                 "'mean', 'lower', 'upper'")
    if truth is not None:
        _check_series(truth, "truth")
    table = estimates.sort_values("mean") if sort else estimates
    color = color or PALETTE["blue"]
    position = np.arange(len(table))
    ax = _axes(ax)
    ax.vlines(position, table["lower"], table["upper"], color=color, alpha=0.5, linewidth=1.2)
    ax.scatter(position, table["mean"], color=color, s=10, zorder=3, label=label)
    if truth is not None:
        ax.scatter(position, truth.reindex(table.index), marker="x", color=PALETTE["black"], s=14, zorder=4,
                   linewidth=0.9, label="truth")
    ax.set_xticks([])
    ax.set_xlabel("groups, ordered by estimate" if sort else "groups")
    ax.legend(loc="upper left")
    return ax


def plot_group_residuals(residuals: pd.Series, groups: pd.Series, *, ax: Axes | None = None,
                         label: str = "school") -> Axes:
    """Mean residual of each group with a ±2 standard-error bar, groups sorted by it.

    If a model's residuals were independent of the group, about 95% of the bars would
    cross zero. Bars that miss zero (in colour) are structure the model ignores.

    Parameters
    ----------
    residuals : pandas.Series
        One residual per observation (outcome minus the model's prediction).
    groups : pandas.Series
        The group label of each observation, aligned with ``residuals``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    label : str
        What a group is called, for the axis label.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If an argument is not a Series, or the residuals are not numeric.
    ValueError
        If the two Series differ in length or hold missing values, or every group has a
        single observation.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import plot_group_residuals
    >>> ax = plot_group_residuals(pd.Series([1.0, -1.0, 3.0, 5.0]), pd.Series(["a", "a", "b", "b"]))
    >>> ax.get_ylabel()
    'mean residual of the school'
    """
    _check_series(residuals, "residuals")
    _check_series(groups, "groups")
    if len(residuals) != len(groups):
        raise ValueError(f"`residuals` ({len(residuals)}) and `groups` ({len(groups)}) must have the same length.")
    if not (pd.api.types.is_numeric_dtype(residuals) or pd.api.types.is_bool_dtype(residuals)):
        raise TypeError(
            f"`residuals` must be numeric, but has dtype {residuals.dtype}: convert it first, e.g. with pd.to_numeric."
        )
    if residuals.isna().any() or groups.isna().any():
        raise ValueError("`residuals` and `groups` must not hold missing values.")
    frame = pd.DataFrame({"r": residuals.to_numpy(dtype=float), "g": groups.to_numpy()})
    stats = frame.groupby("g")["r"].agg(["mean", "size"]).sort_values("mean")
    within = frame["r"] - frame.groupby("g")["r"].transform("mean")
    if len(frame) == len(stats):
        raise ValueError(
            "Every group in `groups` has a single observation: there is no within-group spread to size the bars. "
            "Plot residuals by a coarser grouping."
        )
    dof = len(frame) - len(stats)
    se = np.sqrt((within**2).sum() / dof) / np.sqrt(stats["size"].to_numpy())
    position = np.arange(len(stats))
    misses = (np.abs(stats["mean"].to_numpy()) > 2 * se)
    ax = _axes(ax)
    ax.axhline(0.0, color=PALETTE["black"], linewidth=0.8)
    for mask, color, name in ((~misses, "0.6", "bar crosses 0"), (misses, PALETTE["vermillion"], "bar misses 0")):
        ax.errorbar(position[mask], stats["mean"].to_numpy()[mask], yerr=2 * se[mask], fmt="o", markersize=3,
                    color=color, elinewidth=0.8, label=f"{name} ({int(mask.sum())})")
    ax.set_xticks([])
    ax.set_xlabel(f"{_plural(label)}, ordered by mean residual")
    ax.set_ylabel(f"mean residual of the {label}")
    ax.legend(loc="upper left")
    return ax


def plot_predictive_statistic(replicated: np.ndarray, observed: float, *, ax: Axes | None = None,
                              label: str = "statistic", color: str | None = None, bins: int = 40) -> Axes:
    """Draw a predictive check: a statistic over simulated data sets, and its observed value.

    If the observed value (vertical line) sits inside the histogram, the model reproduces this
    feature of the data; far in a tail (or outside), it does not.

    Parameters
    ----------
    replicated : array_like
        The statistic in every simulated data set (one value per draw).
    observed : float
        The statistic of the observed data.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    label : str
        Name of the statistic, for the x-axis.
    color : str, optional
        Colour of the histogram.
    bins : int
        Number of histogram bins.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If a value is not a number, or ``bins`` is not an integer.
    ValueError
        If there are no simulated values, the observed value is not finite, or ``bins`` is below
        1 or above 10,000.

    Examples
    --------
    >>> import numpy as np
    >>> from hlmkit import plot_predictive_statistic
    >>> ax = plot_predictive_statistic(np.random.default_rng(0).normal(size=500), 2.5, label="max")
    >>> ax.get_xlabel()
    'max'
    """
    values = check_array(replicated, "replicated", finite=False).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("`replicated` has no finite values to draw.")
    observed = check_number(observed, "observed")
    bins = check_count(bins, "bins")
    if bins > 10_000:  # each bin is a bar: a billion would exhaust memory for a picture no one can read
        raise ValueError(f"`bins` must be at most 10,000 (the default 40 suits a few thousand draws), got {bins}.")
    ax = _axes(ax)
    ax.hist(values, bins=bins, color=color or PALETTE["sky"], alpha=0.8, label="simulated data sets")
    ax.axvline(observed, color=PALETTE["black"], linewidth=2, label="observed")
    ax.set_xlabel(label)
    ax.set_yticks([])
    return ax


def plot_pareto_k(pareto_k: np.ndarray, sizes: np.ndarray, *, good_k: float = 0.7, ax: Axes | None = None,
                  label: str = "school", color: str | None = None) -> Axes:
    """Pareto k of each left-out group against its size: which LOO terms can be trusted.

    Points above the dashed line (``good_k``) are groups whose removal changes the posterior
    too much for importance sampling to approximate leaving them out.

    Parameters
    ----------
    pareto_k : array_like
        One Pareto k per group (``loo_result.pareto_k``).
    sizes : array_like
        The size of each group (same order), drawn on a log axis.
    good_k : float
        The reliability threshold (``loo_result.good_k``, 0.7 for 4,000 draws).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    label : str
        What a group is called, for the axis label.
    color : str, optional
        Colour of the points.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If a value is not a number.
    ValueError
        If the two arrays differ in length, a value is not finite or a size is not positive.

    Examples
    --------
    >>> from hlmkit import plot_pareto_k
    >>> ax = plot_pareto_k([0.1, 0.9, 0.4], [5, 300, 40])
    >>> ax.get_xscale()
    'log'
    """
    k = check_array(pareto_k, "pareto_k").ravel()
    n = check_array(sizes, "sizes").ravel()
    if k.shape != n.shape:
        raise ValueError(f"`pareto_k` ({k.size}) and `sizes` ({n.size}) must have one value per group each.")
    if (n <= 0).any():
        raise ValueError("`sizes` must be positive.")
    good_k = check_number(good_k, "good_k")
    ax = _axes(ax)
    bad = k > good_k
    ax.scatter(n[~bad], k[~bad], s=16, color=color or PALETTE["blue"], label=f"k <= {good_k:.2f} ({int((~bad).sum())})")
    ax.scatter(n[bad], k[bad], s=16, color=PALETTE["vermillion"], label=f"k > {good_k:.2f} ({int(bad.sum())})")
    ax.axhline(good_k, color=PALETTE["black"], linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel(f"pupils in the left-out {label} (log scale)")
    ax.set_ylabel("Pareto k")
    ax.legend(loc="upper left", fontsize=9)
    return ax


# ----------------------------------------------------------------------------------------------
# Growing the model (chapters 5-8): within and between slopes, 2-D shrinkage, shrinkage toward
# a predicted mean, and the variance partition.
# ----------------------------------------------------------------------------------------------


def plot_within_between(data: pd.DataFrame, x: str, y: str, group: str, *, within_slope: float,
                        between_slope: float, between_intercept: float, ax: Axes | None = None,
                        label: str = "school", x_label: str | None = None, y_label: str | None = None,
                        coverage: float = 0.8) -> Axes:
    """Draw the two slopes of a predictor: within groups (short lines) and between groups (long line).

    Each group is a dot at its mean ``(x, y)`` (area grows with its size), crossed by a
    short line with the *within*-group slope over the central ``coverage`` of its own
    ``x`` values; the long line is the *between*-group regression of group means. When the
    two slopes differ, a group's mean ``x`` carries information beyond its members' own
    ``x``: the contextual effect is the difference.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    x, y : str
        Numeric predictor and outcome columns.
    group : str
        Grouping column.
    within_slope : float
        Slope of the within-group lines (e.g. a posterior mean).
    between_slope, between_intercept : float
        The between-group line ``y = between_intercept + between_slope * x``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    label : str
        What a group is called, for the legend.
    x_label, y_label : str, optional
        Axis labels (default: the column names).
    coverage : float
        Share of a group's ``x`` values (central quantiles) that its line spans.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    KeyError
        If a column is missing.
    TypeError
        If ``data`` is not a DataFrame, ``x`` or ``y`` is not numeric, or a slope is not a number.
    ValueError
        If ``data`` is empty, ``x``, ``y`` or ``group`` has missing (or infinite) values, a
        slope or intercept is not finite, or ``coverage`` is not in (0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import plot_within_between
    >>> df = pd.DataFrame({"school": list("aabb"), "ses": [0.0, 1.0, 2.0, 3.0], "y": [0.0, 1.0, 4.0, 5.0]})
    >>> ax = plot_within_between(df, "ses", "y", "school", within_slope=1.0, between_slope=2.0,
    ...                          between_intercept=-0.5)
    >>> len(ax.get_lines()) >= 3
    True
    """
    check_frame(data)
    check_columns(data, [check_name(x, "x"), check_name(y, "y"), check_name(group, "group")])
    check_numeric(data, x, role="x")
    check_numeric(data, y, role="y")
    check_no_missing(data, group)
    within_slope = check_number(within_slope, "within_slope")
    between_slope = check_number(between_slope, "between_slope")
    between_intercept = check_number(between_intercept, "between_intercept")
    if not 0 < check_number(coverage, "coverage") <= 1:
        raise ValueError(f"`coverage` must lie in (0, 1], got {coverage}.")
    tail = (1 - coverage) / 2
    grouped = data.groupby(group)[x]
    stats = pd.DataFrame({
        "x": grouped.mean(), "y": data.groupby(group)[y].mean(), "n": grouped.size(),
        "lo": grouped.quantile(tail), "hi": grouped.quantile(1 - tail),
    })
    ax = _axes(ax)
    for k, row in enumerate(stats.itertuples()):
        xs = np.array([row.lo, row.hi])
        ax.plot(xs, row.y + within_slope * (xs - row.x), color=PALETTE["sky"], linewidth=0.9, alpha=0.7,
                label=f"within each {label} (slope {within_slope:.3g})" if k == 0 else None)
    area = 8 + 50 * np.sqrt(stats["n"] / stats["n"].max())
    ax.scatter(stats["x"], stats["y"], s=area, color=PALETTE["blue"], alpha=0.8, edgecolor="white",
               linewidth=0.5, zorder=3, label=f"{label} means")
    grid = np.linspace(stats["x"].min(), stats["x"].max(), 50)
    ax.plot(grid, between_intercept + between_slope * grid, color=PALETTE["vermillion"], linewidth=2.2, zorder=4,
            label=f"between {_plural(label)} (slope {between_slope:.3g})")
    ax.set_xlabel(x_label or x)
    ax.set_ylabel(y_label or y)
    ax.legend(loc="upper left", fontsize=9)
    return ax


def _arrows(ax: Axes, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> None:
    """Grey arrows from (x0, y0) to (x1, y1), all drawn as one quiver (fast for hundreds)."""
    ax.quiver(x0, y0, x1 - x0, y1 - y0, angles="xy", scale_units="xy", scale=1, color="0.6", width=0.0025,
              headwidth=4, headlength=5, headaxislength=4.5, zorder=1)


def _ellipse(mean: np.ndarray, cov: np.ndarray, prob: float, n: int = 120) -> np.ndarray:
    """Points on the ``prob`` contour of a 2-D normal distribution."""
    radius = np.sqrt(-2.0 * np.log(1.0 - prob))
    values, vectors = np.linalg.eigh(cov)
    angle = np.linspace(0.0, 2.0 * np.pi, n)
    circle = np.stack([np.cos(angle), np.sin(angle)])
    return (mean[:, None] + vectors @ (np.sqrt(np.clip(values, 0.0, None))[:, None] * radius * circle)).T


def plot_shrinkage_2d(no_pooling: pd.DataFrame, partial_pooling: pd.DataFrame, *, mean: np.ndarray,
                      cov: np.ndarray, sizes: pd.Series | None = None, truth: pd.DataFrame | None = None,
                      probs: tuple[float, ...] = (0.5, 0.9), ax: Axes | None = None,
                      labels: tuple[str, str] | None = None) -> Axes:
    """Shrinkage in two dimensions: each group's (intercept, slope) pulled toward the population.

    Open circles are the no-pooling pairs (each group alone), filled circles the
    partial-pooling pairs, joined by arrows; the ellipses are contours of the population
    distribution of pairs (``mean``, ``cov``). Groups move toward the centre *along the
    ellipse*: a correlation between intercepts and slopes bends the path, so a group's
    intercept informs its slope.

    Parameters
    ----------
    no_pooling, partial_pooling : pandas.DataFrame
        Two columns (intercept, slope), indexed by group label.
    mean : array_like
        The population mean pair (length 2).
    cov : array_like
        The population covariance (2 x 2, symmetric positive semi-definite).
    sizes : pandas.Series, optional
        Group sizes; marker area grows with size.
    truth : pandas.DataFrame, optional
        True pairs (two columns, indexed by group), drawn as small crosses.
    probs : tuple of float
        Probabilities of the population contours.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    labels : tuple of str, optional
        Axis labels (default: the columns of ``partial_pooling``).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If an estimate table is not a DataFrame.
    ValueError
        If a table does not have two columns or holds a value that is not finite, the tables
        cover different groups, ``mean`` or ``cov`` have the wrong shape, ``cov`` is not a
        covariance, or a probability is not in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from hlmkit import plot_shrinkage_2d
    >>> before = pd.DataFrame({"intercept": [1.0, -2.0], "slope": [0.5, 1.5]}, index=["a", "b"])
    >>> after = before * 0.5
    >>> ax = plot_shrinkage_2d(before, after, mean=np.zeros(2), cov=np.eye(2))
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('intercept', 'slope')
    """
    for table, name in ((no_pooling, "no_pooling"), (partial_pooling, "partial_pooling")):
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"`{name}` must be a DataFrame with two columns (intercept, slope), got "
                            f"{type(table).__name__}.")
        if table.shape[1] != 2:
            raise ValueError(f"`{name}` must have exactly two columns (intercept, slope), got {list(table.columns)}.")
    if set(no_pooling.index) != set(partial_pooling.index):
        raise ValueError("`no_pooling` and `partial_pooling` must be indexed by the same groups.")
    _finite(no_pooling, "no_pooling")
    _finite(partial_pooling, "partial_pooling")
    mean = check_array(mean, "mean")
    cov = check_array(cov, "cov")
    if mean.shape != (2,) or cov.shape != (2, 2):
        raise ValueError(f"`mean` must have 2 values and `cov` be 2 x 2, got shapes {mean.shape} and {cov.shape}.")
    if not np.allclose(cov, cov.T) or np.linalg.eigvalsh(cov).min() < -1e-12 * max(1.0, np.abs(cov).max()):
        raise ValueError("`cov` must be a symmetric positive semi-definite covariance matrix.")
    if not all(0 < p < 1 for p in probs):
        raise ValueError(f"Every probability in `probs` must lie in (0, 1), got {probs}.")
    groups = partial_pooling.index
    before = no_pooling.loc[groups].to_numpy(dtype=float)
    after = partial_pooling.to_numpy(dtype=float)
    if sizes is not None:
        n = _positive_sizes(_check_series(sizes, "sizes").reindex(groups))
        area = 10 + 60 * np.sqrt(n / np.nanmax(n))
    else:
        area = np.full(len(groups), 25.0)
    ax = _axes(ax)
    _arrows(ax, before[:, 0], before[:, 1], after[:, 0], after[:, 1])
    ax.scatter(before[:, 0], before[:, 1], s=area, facecolor="none", edgecolor=STRATEGY_COLORS["no pooling"],
               linewidth=1.1, label="no pooling (each group alone)")
    ax.scatter(after[:, 0], after[:, 1], s=area, color=STRATEGY_COLORS["partial pooling"], alpha=0.85,
               label="partial pooling", zorder=3)
    if truth is not None:
        if not isinstance(truth, pd.DataFrame) or truth.shape[1] != 2:
            raise ValueError("`truth` must be a DataFrame with two columns (intercept, slope).")
        true = truth.reindex(groups).to_numpy(dtype=float)
        ax.scatter(true[:, 0], true[:, 1], marker="x", s=14, linewidth=0.8, color=STRATEGY_COLORS["truth"],
                   label="truth", zorder=4)
    for k, prob in enumerate(sorted(probs)):
        contour = _ellipse(mean, cov, prob)
        ax.plot(contour[:, 0], contour[:, 1], color=PALETTE["black"], linewidth=1.0,
                linestyle="-" if k == len(probs) - 1 else "--", label=f"population, {prob:.0%} contour")
    ax.scatter(mean[0], mean[1], marker="+", s=120, color=PALETTE["black"], zorder=5)
    xlabel, ylabel = labels or tuple(str(c) for c in partial_pooling.columns)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_shrinkage_to_prediction(no_pooling: pd.Series, partial_pooling: pd.Series, predicted: pd.Series,
                                 sizes: pd.Series, *, ax: Axes | None = None, label: str = "school",
                                 outcome: str = "literacy") -> Axes:
    """Shrinkage toward each group's *predicted* mean, not the grand mean.

    With group-level predictors, a group's estimate is pulled toward what those predictors
    predict for it. Each group sits at its predicted value on the x-axis; the arrow runs
    from its no-pooling estimate (open) to its partial-pooling estimate (filled); the
    diagonal is the prediction itself. Small groups land near the diagonal, large groups
    stay near their own data.

    Parameters
    ----------
    no_pooling, partial_pooling, predicted : pandas.Series
        Estimates and predicted intercepts, indexed by group label.
    sizes : pandas.Series
        Group sizes indexed by group label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    label, outcome : str
        Words for the axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If an argument is not a Series.
    ValueError
        If the Series do not cover the same groups, an estimate is not finite or a size is
        not positive.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import plot_shrinkage_to_prediction
    >>> ax = plot_shrinkage_to_prediction(pd.Series({"a": 560.0, "b": 480.0}), pd.Series({"a": 530.0, "b": 485.0}),
    ...                                   pd.Series({"a": 510.0, "b": 490.0}), pd.Series({"a": 8, "b": 300}))
    >>> ax.get_xlabel()
    'predicted school literacy (from school-level predictors)'
    """
    for value, name in ((no_pooling, "no_pooling"), (partial_pooling, "partial_pooling"),
                        (predicted, "predicted"), (sizes, "sizes")):
        _check_series(value, name)
    groups = partial_pooling.index
    if not (set(groups) == set(no_pooling.index) == set(predicted.index)) or not set(groups) <= set(sizes.index):
        raise ValueError("`no_pooling`, `partial_pooling`, `predicted` and `sizes` must be indexed by the same groups.")
    for value, name in ((no_pooling, "no_pooling"), (partial_pooling, "partial_pooling"), (predicted, "predicted")):
        _finite(value, name)
    _positive_sizes(sizes.reindex(groups))
    x = predicted.reindex(groups).to_numpy(dtype=float)
    before = no_pooling.reindex(groups).to_numpy(dtype=float)
    after = partial_pooling.to_numpy(dtype=float)
    n = sizes.reindex(groups).to_numpy(dtype=float)
    area = 10 + 60 * np.sqrt(n / n.max())
    ax = _axes(ax)
    _arrows(ax, x, before, x, after)
    _no_and_partial_pooling(ax, x, before, after, area, label, "partial pooling")
    lims = np.array([x.min(), x.max()])
    ax.plot(lims, lims, color=STRATEGY_COLORS["complete pooling"], linestyle="--", linewidth=1.2,
            label=f"the {label}'s predicted mean")
    ax.set_xlabel(f"predicted {label} {outcome} (from {label}-level predictors)")
    ax.set_ylabel(f"estimated {label} {outcome}")
    ax.legend(loc="upper left", fontsize=9)
    return ax


def plot_variance_partition(tables: dict[str, pd.DataFrame], *, ax: Axes | None = None,
                            colors: dict[str, str] | None = None) -> Axes:
    """Stacked bars of each level's share of the variance, one bar per table (model or truth).

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        ``{bar label: table}``, each table from :func:`hlmkit.variance_partition` (a
        ``share`` column indexed by level, top level first). Tables may have different levels.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    colors : dict of str to str, optional
        Colour of each level (default: the book palette in level order).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``tables`` is not a mapping.
    ValueError
        If ``tables`` is empty, or a table has no ``share`` column or a share that is not finite
        and in [0, 1].

    Examples
    --------
    >>> from hlmkit import plot_variance_partition, variance_partition
    >>> table = variance_partition({"school": 20.0, "student": 40.0})
    >>> ax = plot_variance_partition({"truth": table})
    >>> ax.get_xlabel()
    'share of the variance'
    """
    check_mapping(tables, "tables", "{'truth': variance_partition(...)}")
    if not tables:
        raise ValueError("`tables` is empty: pass {label: variance_partition(...)}.")
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame) or "share" not in table.columns:
            raise ValueError(f"Table {name!r} must be a DataFrame with a 'share' column (use variance_partition).")
        shares = check_array(table["share"], f"tables[{name!r}]['share']", finite=False)
        if not (np.isfinite(shares).all() and (shares >= 0).all() and (shares <= 1).all()):
            raise ValueError(f"Table {name!r} must hold finite shares in [0, 1] (use variance_partition).")
    levels: list[str] = []
    for table in tables.values():
        levels += [str(level) for level in table.index if str(level) not in levels]
    cycle = [PALETTE[k] for k in ("vermillion", "orange", "green", "blue", "purple", "sky")]
    colors = colors or {level: cycle[k % len(cycle)] for k, level in enumerate(levels)}
    ax = _axes(ax)
    names = list(tables)
    for row, name in enumerate(names):
        left = 0.0
        shares = tables[name]["share"]
        for level in levels:
            if level not in shares.index:
                continue
            share = float(shares[level])
            ax.barh(row, share, left=left, color=colors.get(level, "0.6"), edgecolor="white", label=level)
            if share >= 0.04:
                ax.text(left + share / 2, row, f"{share:.0%}", ha="center", va="center", fontsize=11,
                        fontweight="bold", color="white")
            left += share
    handles, labs = ax.get_legend_handles_labels()
    unique = dict(zip(labs, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=len(unique),
              fontsize=9)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the variance")
    ax.invert_yaxis()
    return ax


def plot_estimate_comparison(table: pd.DataFrame, *, reference: str = "published",
                             estimates: tuple[str, ...] | list[str] = (), ax: Axes | None = None,
                             labels: list[str] | None = None) -> Axes:
    """How far each estimate lies from a reference value, in posterior standard deviations.

    One row per quantity of a table from :func:`hlmkit.compare_estimates` (tables of several
    models can be concatenated first). On a common scale, ``(value - reference) / posterior
    sd``, the posterior's central interval is a line with its mean as a dot, each set of
    point estimates (e.g. REML) a marker, and the reference the vertical line at 0: a row
    whose interval crosses 0 agrees with the reference. Rows without a reference value are
    left out.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`hlmkit.compare_estimates` (columns ``mean``, ``sd``, ``lower``,
        ``upper`` and the reference column).
    reference : str
        Name of the reference column.
    estimates : sequence of str
        Columns of point estimates to mark (e.g. ``["REML"]``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    labels : list of str, optional
        Row labels (default: the table's index, joined with " / " if it has several levels).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame.
    KeyError
        If a needed column is missing.
    ValueError
        If no row has a reference value, or ``labels`` has the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> from hlmkit import compare_estimates, plot_estimate_comparison
    >>> draws = np.random.default_rng(1).normal(12.6, 0.25, 4000)
    >>> table = compare_estimates({"intercept": draws}, {"intercept": 12.64}, {"REML": {"intercept": 12.637}})
    >>> ax = plot_estimate_comparison(table, estimates=["REML"])
    >>> ax.get_xlabel()
    'distance from the published value (posterior sds)'
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"`table` must be a DataFrame (the output of hlmkit.compare_estimates), got {type(table).__name__}."
        )
    estimates = [estimates] if isinstance(estimates, str) else list(estimates)
    needed = ["mean", "sd", "lower", "upper", reference, *estimates]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise KeyError(f"`table` has no column(s) {missing}: pass the output of hlmkit.compare_estimates.")
    check_unique_columns(table, needed, argument="table")
    if labels is None:
        labels = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in table.index]
    if len(labels) != len(table):
        raise ValueError(f"`labels` has {len(labels)} entries for {len(table)} rows.")
    keep = table[reference].notna().to_numpy() & (table["sd"] > 0).to_numpy()
    if not keep.any():
        raise ValueError(f"No row of `table` has a value in its reference column {reference!r}.")
    rows = table[keep]
    names = [label for label, k in zip(labels, keep, strict=True) if k]
    ref, sd = rows[reference].to_numpy(float), rows["sd"].to_numpy(float)
    y = np.arange(len(rows))
    ax = _axes(ax)
    ax.axvline(0.0, color=PALETTE["black"], linewidth=1, label=reference)
    ax.hlines(y, (rows["lower"].to_numpy(float) - ref) / sd, (rows["upper"].to_numpy(float) - ref) / sd,
              color=STRATEGY_COLORS["partial pooling"], linewidth=2.5, alpha=0.6)
    ax.scatter((rows["mean"].to_numpy(float) - ref) / sd, y, color=STRATEGY_COLORS["partial pooling"], s=28,
               zorder=3, label="posterior mean and interval")
    markers = ["D", "x", "s", "^"]
    colours = [PALETTE["orange"], PALETTE["vermillion"], PALETTE["green"], PALETTE["purple"]]
    for k, name in enumerate(estimates):
        ax.scatter((rows[name].to_numpy(float) - ref) / sd, y, marker=markers[k % 4], color=colours[k % 4],
                   s=30, zorder=4, label=name)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"distance from the {reference} value (posterior sds)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2 + len(estimates), fontsize=8)
    return ax


def _minor_log_label(axis: object, value: float, _position: object) -> str:
    """Label a minor log tick: all of them on a short axis, only 2 and 5 of each decade on a long one."""
    low, high = sorted(axis.get_view_interval())  # type: ignore[attr-defined]
    if value <= 0 or low <= 0:
        return ""
    digit = round(value / 10 ** np.floor(np.log10(value)))
    short = np.log10(high / low) < 1.3
    return f"{value:g}" if short or digit in (2, 5) else ""


def plain_log_ticks(ax: Axes, axis: str = "both") -> Axes:
    """Label a logarithmic axis with plain numbers (5, 10, 20, 100) instead of powers of ten.

    On a log axis spanning less than a decade or two, matplotlib labels its minor ticks as
    ``4 x 10^0``, ``6 x 10^0``; readers count pupils, not powers. Call this after setting the
    scale; linear axes are left alone.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes whose log-scaled axis (or axes) to relabel.
    axis : {"both", "x", "y"}
        Which axis to relabel.

    Returns
    -------
    matplotlib.axes.Axes
        The same axes.

    Raises
    ------
    TypeError
        If ``ax`` is not a matplotlib Axes.
    ValueError
        If ``axis`` is not one of "both", "x" or "y".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from hlmkit import plain_log_ticks
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([4, 30], [1, 2])
    >>> ax.set_xscale("log")
    >>> _ = plain_log_ticks(ax)
    >>> fig.canvas.draw()
    >>> labels = [t.get_text() for t in ax.get_xticklabels(minor=True) if t.get_text()]
    >>> "10" in [t.get_text() for t in ax.get_xticklabels()] and "20" in labels
    True
    >>> plt.close(fig)
    """
    from matplotlib.ticker import FuncFormatter, LogLocator

    if not isinstance(ax, Axes):
        raise TypeError(f"`ax` must be a matplotlib Axes, got {type(ax).__name__}.")
    if axis not in ("both", "x", "y"):
        raise ValueError(f"`axis` must be 'both', 'x' or 'y', got {axis!r}.")
    formatter = FuncFormatter(lambda value, _: f"{value:g}")
    targets = [ax.xaxis, ax.yaxis] if axis == "both" else [ax.xaxis if axis == "x" else ax.yaxis]
    for target in targets:
        if target.get_scale() != "log":
            continue
        target.set_major_formatter(formatter)
        # Minor ticks: every one labelled on a short axis (4, 5, 6 ...), only 2 and 5 of each decade on a long one.
        target.set_minor_locator(LogLocator(base=10, subs=(2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0)))
        target.set_minor_formatter(FuncFormatter(partial(_minor_log_label, target)))
    return ax
