"""Tidy tables of a fit: a readable summary, one row per group, all draws of a variable."""

from __future__ import annotations

from collections.abc import Sequence

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from hlmkit._fits import _check_sampled, _check_var_names
from hlmkit._validate import check_name, check_probability, check_series


def group_estimates(
    idata: xr.DataTree,
    var_name: str,
    *,
    sizes: pd.Series | None = None,
    prob: float = 0.9,
) -> pd.DataFrame:
    """Tabulate a group-level quantity tidily: one row per group, estimate and interval.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`sample`.
    var_name : str
        A posterior variable with one dimension (e.g. ``"alpha"`` with dim ``school``).
    sizes : pandas.Series, optional
        Group sizes indexed by group label, added as column ``n``.
    prob : float
        Probability of the central (equal-tailed) interval.

    Returns
    -------
    pandas.DataFrame
        Indexed by group label: ``mean``, ``sd``, ``lower``, ``upper`` (and ``n``).

    Raises
    ------
    TypeError
        If ``idata`` is not a fit, ``var_name`` is not a string, ``prob`` is not a number
        or ``sizes`` is not a Series.
    KeyError
        If ``var_name`` is not in the posterior, or ``sizes`` lacks a group.
    ValueError
        If the variable does not have exactly one dimension, or ``prob`` is not in (0, 1).

    Examples
    --------
    >>> from hlmkit import group_estimates, no_pooling_model, sample, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> idata = sample(no_pooling_model(students, "literacy", "school"), seed=1,
    ...                draws=200, tune=200, chains=2, progressbar=False)
    >>> group_estimates(idata, "alpha").columns.tolist()
    ['mean', 'sd', 'lower', 'upper']
    """
    idata = _check_sampled(idata)
    _check_var_names(idata, [check_name(var_name, "var_name", kind="variable")])
    check_probability(prob, "prob")
    if sizes is not None:
        check_series(sizes, "sizes")
    draws = idata.posterior[var_name]
    dims = [d for d in draws.dims if d not in ("chain", "draw")]
    if len(dims) != 1:
        raise ValueError(f"{var_name!r} has dims {dims}; group_estimates needs exactly one group dimension.")
    dim = dims[0]
    stacked = draws.stack(sample=("chain", "draw")).transpose(dim, "sample").values
    tail = (1 - prob) / 2
    table = pd.DataFrame(
        {
            "mean": stacked.mean(axis=1),
            "sd": stacked.std(axis=1, ddof=1),
            "lower": np.quantile(stacked, tail, axis=1),
            "upper": np.quantile(stacked, 1 - tail, axis=1),
        },
        index=pd.Index(draws[dim].values, name=dim),
    )
    if sizes is not None:
        missing = table.index.difference(sizes.index)
        if len(missing):
            raise KeyError(f"`sizes` has no entry for group(s) {list(missing[:5])}.")
        table["n"] = sizes.reindex(table.index).to_numpy()
    return table


def posterior_draws(idata: xr.DataTree, var_name: str) -> np.ndarray:
    """Return all draws of a variable, chains stacked first: shape ``(n_draws, *dims)``.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`sample`.
    var_name : str
        A posterior variable.

    Returns
    -------
    numpy.ndarray
        The draws, one row per draw (chain by chain), then the variable's own dims.

    Raises
    ------
    TypeError
        If ``idata`` is not a fit or ``var_name`` is not a string.
    KeyError
        If ``var_name`` is not in the posterior.

    Examples
    --------
    >>> from hlmkit import complete_pooling_model, posterior_draws, sample, simulate_literacy
    >>> model = complete_pooling_model(simulate_literacy(seed=1).students, "literacy")
    >>> idata = sample(model, seed=1, draws=100, tune=100, chains=2, progressbar=False)
    >>> posterior_draws(idata, "sigma").shape
    (200,)
    """
    idata = _check_sampled(idata)
    _check_var_names(idata, [check_name(var_name, "var_name", kind="variable")])
    draws = idata.posterior[var_name]
    return draws.stack(sample=("chain", "draw")).transpose("sample", ...).values


def posterior_summary(
    idata: xr.DataTree, var_names: Sequence[str] | None = None, *, prob: float = 0.9
) -> PosteriorSummary:
    """Summarise a posterior readably: mean, sd, central interval, bulk ESS and r_hat per quantity.

    Numbers are rounded for reading: each row's mean, sd and interval to two significant
    digits of its posterior sd (a quantity known to within 0.5 is not shown to 12 digits),
    ESS to whole draws and r_hat to three decimals. The table shows each row with its own
    decimals, trailing zeros kept (``0.50``, not ``0.5`` nor ``0.500``); its values are plain
    floats, and a table made from it (a selection, a sum) is a plain DataFrame.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`sample`.
    var_names : sequence of str, optional
        Variables to summarise (default: all).
    prob : float
        Probability of the equal-tailed interval (``lower``, ``upper``).

    Returns
    -------
    PosteriorSummary
        A pandas DataFrame, indexed by quantity (e.g. ``beta[ses]``): ``mean``, ``sd``, ``lower``, ``upper``,
        ``ess_bulk``, ``r_hat``. The diagonal of a correlation matrix (``corr[intercept,
        intercept]``, 1 in every draw, r_hat undefined) is left out.

    Raises
    ------
    TypeError
        If ``idata`` is not a fit.
    KeyError
        If a variable is not in the posterior.
    ValueError
        If ``prob`` is not in (0, 1).

    Examples
    --------
    >>> from hlmkit import complete_pooling_model, posterior_summary, sample, simulate_literacy
    >>> model = complete_pooling_model(simulate_literacy(seed=1).students, "literacy")
    >>> idata = sample(model, seed=1, draws=200, tune=200, chains=2, progressbar=False)
    >>> posterior_summary(idata, ["alpha", "sigma"]).columns.tolist()
    ['mean', 'sd', 'lower', 'upper', 'ess_bulk', 'r_hat']
    """
    idata = _check_sampled(idata)
    names = _check_var_names(idata, var_names)
    check_probability(prob, "prob")
    raw = pd.DataFrame(az.summary(idata, var_names=names, ci_prob=prob, ci_kind="eti", round_to="none"))
    lower = next(c for c in raw.columns if c.endswith("_lb"))
    upper = next(c for c in raw.columns if c.endswith("_ub"))
    table = raw[["mean", "sd", lower, upper, "ess_bulk", "r_hat"]].astype(float)
    table.columns = ["mean", "sd", "lower", "upper", "ess_bulk", "r_hat"]
    decimals = _decimals(table["sd"].to_numpy())
    for column in ("mean", "sd", "lower", "upper"):
        table[column] = [round(v, d) for v, d in zip(table[column], decimals, strict=True)]
    table["ess_bulk"] = table["ess_bulk"].round().astype(int)
    table["r_hat"] = table["r_hat"].round(3)
    diagonal = [label for label in _unit_diagonals(idata, names) if label in table.index]
    return PosteriorSummary(table.drop(index=diagonal))


def _decimals(sd: np.ndarray) -> np.ndarray:
    """Decimals that keep two significant digits of each posterior sd (0 to 6)."""
    return np.clip(1 - np.floor(np.log10(np.maximum(sd, 1e-12))), 0, 6).astype(int)


def _plain(value: float, places: int) -> str:
    """Write a number to ``places`` decimals: empty when missing, never ``-0.00``."""
    if not np.isfinite(value):
        return ""
    text = f"{value:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


class PosteriorSummary(pd.DataFrame):
    """The table :func:`posterior_summary` returns: a DataFrame shown with each row's own decimals.

    pandas shows a column of floats with one number of decimals, the most any value needs, so
    ``41.17`` above ``0.054`` would read ``41.170``: a precision the posterior does not have.
    This table shows each row's mean, sd and interval to the decimals of its sd, ESS whole and
    r_hat to three decimals. Its values are the floats themselves; anything made from it is a
    plain DataFrame.
    """

    @property
    def _constructor(self):  # a selection or a computation gives a plain DataFrame
        return pd.DataFrame

    def shown(self) -> pd.DataFrame:
        """Return the table as it is shown: its numbers as text, each row to its own decimals."""
        table = pd.DataFrame(self).astype(object)
        sd = pd.to_numeric(self["sd"], errors="coerce").to_numpy(dtype=float) if "sd" in self else None
        for column in self.columns:
            values = pd.to_numeric(self[column], errors="coerce").to_numpy(dtype=float)
            if column in ("mean", "sd", "lower", "upper") and sd is not None:
                places = _decimals(np.where(np.isfinite(sd), sd, 1.0))
            elif column == "r_hat":
                places = np.full(len(values), 3)
            elif column == "ess_bulk":
                places = np.zeros(len(values), dtype=int)
            else:
                continue
            table[column] = [_plain(v, d) for v, d in zip(values, places, strict=True)]
        return table

    def _repr_html_(self) -> str | None:
        return self.shown()._repr_html_()

    def __repr__(self) -> str:
        return repr(self.shown())


def _unit_diagonals(idata: xr.DataTree, names: list[str]) -> list[str]:
    """Row labels of the diagonal of every correlation matrix: 1 in every draw, nothing to summarise."""
    labels = []
    for name in names:
        values = idata.posterior[name]
        dims = [d for d in values.dims if d not in ("chain", "draw")]
        if len(dims) != 2 or values.sizes[dims[0]] != values.sizes[dims[1]]:
            continue
        diagonal = np.diagonal(values.transpose(..., *dims).values, axis1=-2, axis2=-1)
        if diagonal.size and np.all(diagonal == 1.0):
            rows, columns = (values[d].values for d in dims)
            labels += [f"{name}[{a}, {b}]" for a, b in zip(rows, columns, strict=True)]
    return labels
