"""Plots reused across chapters. Each takes ``ax=None``, draws on it and returns it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from hlmkit.style import PALETTE, STRATEGY_COLORS


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _check_series(values: object, argument: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(f"`{argument}` must be a pandas Series indexed by group label, got {type(values).__name__}.")
    return values


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

    Examples
    --------
    >>> from hlmkit import group_summary, plot_group_means, simulate_literacy
    >>> summary = group_summary(simulate_literacy(seed=1).students, "literacy", "school")
    >>> ax = plot_group_means(summary, grand_mean=500)
    >>> ax.get_xscale()
    'log'
    """
    if not {"n", "mean"} <= set(summary.columns):
        raise KeyError("`summary` needs columns 'n' and 'mean' (use hlmkit.group_summary).")
    ax = _axes(ax)
    ax.scatter(summary["n"], summary["mean"], s=22, color=PALETTE["blue"], alpha=0.75, edgecolor="white", linewidth=0.5)
    if grand_mean is not None:
        ax.axhline(grand_mean, color=PALETTE["black"], linestyle="--", linewidth=1, label="mean of all students")
        ax.legend(loc="upper right")
    ax.set_xscale("log")
    ax.set_xlabel(f"pupils tested in the {label} (log scale)")
    ax.set_ylabel(f"{label} mean {outcome}")
    return ax


def plot_shrinkage(no_pooling: pd.Series, partial_pooling: pd.Series, sizes: pd.Series, *,
                   grand_mean: float, ax: Axes | None = None, label: str = "school",
                   outcome: str = "literacy") -> Axes:
    """The shrinkage plot: each group's no-pooling estimate pulled to its partial-pooling estimate.

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
        If the three Series do not cover the same groups.

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
    n = sizes.reindex(groups).to_numpy(dtype=float)
    before = no_pooling.to_numpy(dtype=float)
    after = partial_pooling.reindex(groups).to_numpy(dtype=float)
    area = 12 + 60 * np.sqrt(n / n.max())
    ax = _axes(ax)
    for x, y0, y1 in zip(n, before, after, strict=True):
        ax.annotate("", xy=(x, y1), xytext=(x, y0),
                    arrowprops={"arrowstyle": "-|>", "color": "0.55", "lw": 0.8, "shrinkA": 2, "shrinkB": 2})
    ax.scatter(n, before, s=area, facecolor="none", edgecolor=STRATEGY_COLORS["no pooling"], linewidth=1.2,
               label="no pooling (the school alone)")
    ax.scatter(n, after, s=area, color=STRATEGY_COLORS["partial pooling"], alpha=0.85,
               label="partial pooling (multilevel)")
    ax.axhline(grand_mean, color=STRATEGY_COLORS["complete pooling"], linestyle="--", linewidth=1.2,
               label="population mean")
    ax.set_xscale("log")
    ax.set_xlabel(f"pupils in the {label} (log scale)")
    ax.set_ylabel(f"estimated {label} {outcome}")
    ax.legend(loc="upper right", fontsize=9)
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

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import plot_caterpillar
    >>> est = pd.DataFrame({"mean": [1.0, 2.0], "lower": [0.0, 1.5], "upper": [2.0, 2.5]}, index=["a", "b"])
    >>> ax = plot_caterpillar(est)
    >>> ax.get_xlabel()
    'groups, ordered by estimate'
    """
    if not {"mean", "lower", "upper"} <= set(estimates.columns):
        raise KeyError("`estimates` needs columns 'mean', 'lower', 'upper' (use hlmkit.group_estimates).")
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
        If an argument is not a Series.
    ValueError
        If the two Series differ in length or hold missing values.

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
    if residuals.isna().any() or groups.isna().any():
        raise ValueError("`residuals` and `groups` must not hold missing values.")
    frame = pd.DataFrame({"r": residuals.to_numpy(dtype=float), "g": groups.to_numpy()})
    stats = frame.groupby("g")["r"].agg(["mean", "size"]).sort_values("mean")
    within = frame["r"] - frame.groupby("g")["r"].transform("mean")
    if len(frame) == len(stats):
        raise ValueError("Every group has a single observation: there is no within-group spread to size the bars.")
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
    ax.set_xlabel(f"{label}s, ordered by mean residual")
    ax.set_ylabel(f"mean residual of the {label}")
    ax.legend(loc="upper left")
    return ax
