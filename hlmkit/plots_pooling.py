"""Figures of pooling: raw group means, shrinkage (toward the mean, a prediction, or in two dimensions), intervals.

Each takes ``ax=None``, draws on it and returns it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from hlmkit._plotting import _axes, _check_members, _check_series, _check_table, _finite, _positive_sizes
from hlmkit._validate import check_array, check_number
from hlmkit.style import PALETTE, STRATEGY_COLORS, plain_log_ticks


def _no_and_partial_pooling(ax: Axes, x: np.ndarray, before: np.ndarray, after: np.ndarray, area: np.ndarray,
                            label: str, after_label: str) -> None:
    """Draw the shrinkage plots' pair of markers: open no-pooling estimates, filled partial-pooling ones."""
    ax.scatter(x, before, s=area, facecolor="none", edgecolor=STRATEGY_COLORS["no pooling"], linewidth=1.2,
               label=f"no pooling (the {label} alone)")
    ax.scatter(x, after, s=area, color=STRATEGY_COLORS["partial pooling"], alpha=0.85, zorder=3, label=after_label)


def plot_group_means(summary: pd.DataFrame, *, grand_mean: float | None = None, ax: Axes | None = None,
                     label: str = "school", outcome: str = "literacy", members: str = "pupils") -> Axes:
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
    members : str
        What a group is made of, in the plural, for the size axis and the mean line:
        ``"pupils"`` (the default), ``"homes"`` for radon counties.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``summary`` is not a DataFrame or holds text, or ``members`` is not a word.
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
    members = _check_members(members)
    if grand_mean is not None:
        grand_mean = check_number(grand_mean, "grand_mean")
    ax = _axes(ax)
    ax.scatter(summary["n"], summary["mean"], s=22, color=PALETTE["blue"], alpha=0.75, edgecolor="white", linewidth=0.5)
    if grand_mean is not None:
        ax.axhline(grand_mean, color=PALETTE["black"], linestyle="--", linewidth=1, label=f"mean of all {members}")
        # Above the axes, where no group's point can sit under it.
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_xscale("log")
    plain_log_ticks(ax, "x")
    ax.set_xlabel(f"{members} in the {label} (log scale)")
    ax.set_ylabel(f"{label} mean {outcome}")
    return ax


def plot_shrinkage(no_pooling: pd.Series, partial_pooling: pd.Series, sizes: pd.Series, *,
                   grand_mean: float, ax: Axes | None = None, label: str = "school",
                   outcome: str = "literacy", members: str = "pupils") -> Axes:
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
    members : str
        What a group is made of, in the plural, for the size axis: ``"pupils"`` (the default),
        ``"homes"`` for radon counties.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If an estimate or size argument is not a Series, or ``members`` is not a word.
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
    members = _check_members(members)
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
    ax.set_xlabel(f"{members} in the {label} (log scale)")
    ax.set_ylabel(f"estimated {label} {outcome}")
    # Above the axes, in one row: a legend inside would cover the small groups' points.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
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
    ax.legend(loc="best")
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
    ax.legend(loc="upper left")
    return ax
