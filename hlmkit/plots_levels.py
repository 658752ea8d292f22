"""Figures of levels: residuals by group, within- and between-group slopes, the variance partition.

Each takes ``ax=None``, draws on it and returns it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from hlmkit._plotting import _axes, _check_series, _plural
from hlmkit._validate import (
    check_array,
    check_columns,
    check_frame,
    check_mapping,
    check_name,
    check_no_missing,
    check_number,
    check_numeric,
)
from hlmkit.style import PALETTE


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
    ax.legend(loc="upper left")
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
    ax.legend(unique.values(), unique.keys(), loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=len(unique))
    ax.set_yticks(range(len(names)), names)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the variance")
    ax.invert_yaxis()
    return ax
