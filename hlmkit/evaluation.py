"""Scoring estimates against a known truth: the scoreboard of pooling strategies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hlmkit._validate import check_array, check_mapping, check_series

#: Default school-size bands: upper bounds (inclusive) and their labels.
SIZE_BANDS: tuple[tuple[float, str], ...] = (
    (15, "tiny (5-15)"),
    (40, "small (16-40)"),
    (100, "medium (41-100)"),
    (np.inf, "large (> 100)"),
)


def size_band(n: pd.Series | np.ndarray, bands: Sequence[tuple[float, str]] = SIZE_BANDS) -> pd.Categorical:
    """Label each group size with its band (ordered categorical).

    Parameters
    ----------
    n : array_like
        Group sizes (positive).
    bands : sequence of (upper, label)
        Increasing inclusive upper bounds with their labels; the last should be ``inf``.

    Returns
    -------
    pandas.Categorical
        One ordered label per size.

    Raises
    ------
    TypeError
        If a size is not a number, or ``bands`` is not a sequence of (upper, label) pairs.
    ValueError
        If a size is not positive, bounds do not increase, or a size exceeds the last bound.

    Examples
    --------
    >>> from hlmkit import size_band
    >>> list(size_band([8, 30, 400]))
    ['tiny (5-15)', 'small (16-40)', 'large (> 100)']
    """
    sizes = check_array(n, "n", finite=False)
    if np.isnan(sizes).any() or (sizes <= 0).any():
        raise ValueError("Group sizes `n` must be positive numbers.")
    try:
        uppers = np.array([upper for upper, _ in bands], dtype=float)
        labels = [label for _, label in bands]
    except (TypeError, ValueError):
        raise TypeError(
            f"`bands` must be a sequence of (upper bound, label) pairs such as SIZE_BANDS, got {bands!r:.80}."
        ) from None
    if len(uppers) == 0 or (np.diff(uppers) <= 0).any():
        raise ValueError("`bands` must be a non-empty sequence of (upper bound, label) with increasing bounds.")
    if (sizes > uppers[-1]).any():
        raise ValueError(f"A size exceeds the last band's upper bound {uppers[-1]}; end `bands` with inf.")
    codes = np.searchsorted(uppers, sizes, side="left")
    return pd.Categorical.from_codes(codes, categories=labels, ordered=True)


def scoreboard(
    estimates: Mapping[str, pd.Series],
    truth: pd.Series,
    sizes: pd.Series,
    bands: Sequence[tuple[float, str]] = SIZE_BANDS,
) -> pd.DataFrame:
    """Root-mean-square error of each strategy's group estimates against the truth, by size band.

    Parameters
    ----------
    estimates : mapping of str to pandas.Series
        For each strategy (e.g. ``"no pooling"``), its estimates indexed by group label.
    truth : pandas.Series
        The true value for each group, indexed by group label.
    sizes : pandas.Series
        Each group's size, indexed by group label.
    bands : sequence of (upper, label)
        Size bands as in :func:`size_band`.

    Returns
    -------
    pandas.DataFrame
        One row per strategy; a column per size band present, then ``overall``. A final
        row ``schools`` counts the groups in each band.

    Raises
    ------
    TypeError
        If ``estimates`` is not a mapping of Series, or ``truth`` or ``sizes`` is not a Series.
    ValueError
        If there are no strategies, or an estimate or truth is missing for a group, or not finite.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import scoreboard
    >>> truth = pd.Series({"a": 0.0, "b": 1.0})
    >>> sizes = pd.Series({"a": 10, "b": 200})
    >>> board = scoreboard({"guess": pd.Series({"a": 1.0, "b": 1.0})}, truth, sizes)
    >>> board.loc["guess", "overall"].round(3)
    np.float64(0.707)
    """
    check_mapping(estimates, "estimates", "{'no pooling': series, 'partial pooling': series}")
    check_series(truth, "truth")
    check_series(sizes, "sizes")
    for name, estimate in estimates.items():
        check_series(estimate, f"estimates[{name!r}]")
    if not estimates:
        raise ValueError("`estimates` is empty: pass at least one strategy, e.g. {'no pooling': series}.")
    if "schools" in estimates:
        raise ValueError("A strategy may not be called 'schools': that row of the scoreboard counts the groups.")
    groups = truth.index
    if truth.isna().any() or not np.isfinite(truth.to_numpy(dtype=float)).all():
        raise ValueError("`truth` has missing or infinite values.")
    missing_sizes = groups.difference(sizes.index)
    if len(missing_sizes):
        raise ValueError(f"`sizes` has no entry for group(s) {list(missing_sizes[:5])}.")
    band = pd.Series(size_band(sizes.reindex(groups).to_numpy(), bands), index=groups)
    rows = {}
    for name, estimate in estimates.items():
        missing = groups.difference(estimate.index)
        if len(missing):
            raise ValueError(f"Strategy {name!r} has no estimate for group(s) {list(missing[:5])}.")
        error = estimate.reindex(groups).astype(float) - truth.astype(float)
        if not np.isfinite(error.to_numpy()).all():
            raise ValueError(f"Strategy {name!r} has missing or infinite estimates.")
        squared = error**2
        row = squared.groupby(band, observed=True).mean().pow(0.5)
        row["overall"] = float(np.sqrt(squared.mean()))
        rows[name] = row
    table = pd.DataFrame(rows).T
    counts = band.value_counts().reindex(table.columns[:-1])
    table.loc["schools"] = [*counts.to_numpy(), len(groups)]
    return table
