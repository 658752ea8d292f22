"""Figures for checking and comparing fits: a predictive statistic, Pareto k, estimates against references.

Each takes ``ax=None``, draws on it and returns it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from hlmkit._plotting import _axes
from hlmkit._validate import check_array, check_count, check_number, check_unique_columns
from hlmkit.style import PALETTE, STRATEGY_COLORS, plain_log_ticks


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
        If there are no simulated values, the observed value is not finite, or ``bins`` is below 1.

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
    plain_log_ticks(ax, "x")  # pupils are counted in plain numbers, not powers of ten
    ax.set_xlabel(f"pupils in the left-out {label} (log scale)")
    ax.set_ylabel("Pareto k")
    ax.legend(loc="upper left")
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
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel(f"distance from the {reference} value (posterior sds)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2 + len(estimates))
    return ax
