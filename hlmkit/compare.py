r"""Comparing a fit with the literature: published values, point estimates and a posterior, side by side.

A capstone replication asks three questions of every parameter: what did the book report,
what does a likelihood fit (e.g. REML with statsmodels ``MixedLM``) give, and what does the
posterior say? :func:`compare_estimates` lines the three up in one tidy table with their
differences, measured in points and in posterior standard deviations, so that each gap can be
read, judged and explained.

Published values live in tidy CSV files in ``hlmkit/datasets/``, inside the package, one row per
parameter (columns ``model``, ``parameter``, ``symbol``, ``estimate``, ``se``, ``source``; see
``hlmkit/datasets/README.md``), read with :func:`load_reference`. :func:`mixedlm_estimates` turns a
statsmodels ``MixedLM`` result into the same kind of named point estimates.

Compare like with like: published variance components (:math:`\tau_{00}`, :math:`\sigma^2`)
are variances, while the book's models have standard deviations (``tau``, ``sigma``): square
the draws, then summarise. The posterior mean of a variance is not its REML estimate (a
mode of the restricted likelihood); for a right-skewed posterior it is larger.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hlmkit.data import DATA_DIR

__all__ = [
    "REFERENCE_COLUMNS",
    "available_references",
    "compare_estimates",
    "load_reference",
    "mixedlm_estimates",
]

#: The columns every reference file has, in this order.
REFERENCE_COLUMNS: tuple[str, ...] = ("model", "parameter", "symbol", "estimate", "se", "source")


def _reference_files(directory: Path) -> dict[str, Path]:
    """CSV files in ``directory`` whose header starts with the reference columns."""
    found = {}
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            header = handle.readline().strip().split(",")
        if tuple(header[: len(REFERENCE_COLUMNS)]) == REFERENCE_COLUMNS:
            found[path.stem] = path
    return found


def available_references() -> list[str]:
    """Names of the reference files shipped in ``hlmkit/datasets/`` (published values to compare with).

    A reference file is a CSV whose header starts with :data:`REFERENCE_COLUMNS`.

    Returns
    -------
    list of str
        Names to pass to :func:`load_reference`, sorted.

    Examples
    --------
    >>> from hlmkit import available_references
    >>> "raudenbush_bryk_2002" in available_references()
    True
    """
    return list(_reference_files(DATA_DIR))


def load_reference(name: str, model: str | None = None) -> pd.DataFrame:
    """Load a file of published estimates, optionally only the rows of one model.

    Parameters
    ----------
    name : str
        The file's name without ``.csv``, e.g. ``"raudenbush_bryk_2002"`` (see
        :func:`available_references`).
    model : str, optional
        Keep only this model's rows (a value of the ``model`` column).

    Returns
    -------
    pandas.DataFrame
        A fresh copy with columns ``model``, ``parameter``, ``symbol``, ``estimate``, ``se``
        (NaN where the source gives none) and ``source``; the values exactly as published.

    Raises
    ------
    TypeError
        If ``name`` or ``model`` is not a string.
    ValueError
        If no reference file has that name, or the file has no rows for ``model``; the
        message lists what there is.

    Examples
    --------
    >>> from hlmkit import load_reference
    >>> anova = load_reference("raudenbush_bryk_2002", model="one_way_anova")
    >>> float(anova.set_index("parameter").loc["intercept", "estimate"])
    12.64
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string such as 'raudenbush_bryk_2002', got {name!r}.")
    files = _reference_files(DATA_DIR)
    key = name.strip().removesuffix(".csv")
    if key not in files:
        raise ValueError(f"Unknown reference {name!r}. Available references: {sorted(files)}.")
    table = pd.read_csv(files[key], dtype={"model": str, "parameter": str, "symbol": str, "source": str})
    table = table[list(REFERENCE_COLUMNS)]
    if model is None:
        return table
    if not isinstance(model, str):
        raise TypeError(f"`model` must be a string (a value of the 'model' column), got {model!r}.")
    rows = table[table["model"] == model]
    if rows.empty:
        raise ValueError(f"Reference {key!r} has no rows for model {model!r}. Models: {list(table['model'].unique())}.")
    return rows.reset_index(drop=True)


def _point_values(values: object, argument: str) -> tuple[pd.Series, pd.Series | None]:
    """Named point values (and symbols, if given) from a mapping, a Series or a reference table."""
    symbols = None
    if isinstance(values, pd.DataFrame):
        missing = [c for c in ("parameter", "estimate") if c not in values.columns]
        if missing:
            raise KeyError(
                f"`{argument}` is a DataFrame without column(s) {missing}: pass a table from "
                "load_reference(...) or a mapping {parameter: value}."
            )
        if "model" in values.columns and values["model"].nunique() > 1:
            raise ValueError(
                f"`{argument}` holds several models {list(values['model'].unique())}: pass one, e.g. "
                "load_reference(name, model=...)."
            )
        repeated = values["parameter"][values["parameter"].duplicated()].tolist()
        if repeated:
            raise ValueError(f"`{argument}` lists parameter(s) {repeated} twice: keep one row per parameter.")
        series = pd.Series(values["estimate"].to_numpy(dtype=float), index=values["parameter"].to_numpy())
        if "symbol" in values.columns:
            symbols = pd.Series(values["symbol"].to_numpy(), index=series.index)
    elif isinstance(values, pd.Series):
        if values.index.has_duplicates:
            raise ValueError(f"`{argument}` has a repeated label: keep one value per parameter.")
        series = values
    elif isinstance(values, Mapping):
        series = pd.Series(dict(values), dtype=object)
    else:
        raise TypeError(
            f"`{argument}` must be a mapping {{parameter: value}}, a pandas Series or a table from "
            f"load_reference, got {type(values).__name__}."
        )
    bad = [k for k in series.index if not isinstance(k, str)]
    if bad:
        raise TypeError(f"Parameter names in `{argument}` must be strings, got {bad}.")
    out = {}
    for key, value in series.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise TypeError(f"`{argument}[{key!r}]` must be a number, got {value!r}.")
        out[key] = float(value)
    return pd.Series(out, dtype=float), symbols


def _check_known(names: pd.Index, known: list[str], argument: str) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise KeyError(
            f"`{argument}` has value(s) for {unknown} but `posterior` has no draws for them: every value "
            f"must be lined up with a posterior quantity. Posterior quantities: {known}."
        )


def compare_estimates(
    posterior: Mapping[str, ArrayLike],
    reference: Mapping[str, float] | pd.Series | pd.DataFrame | None = None,
    estimates: Mapping[str, Mapping[str, float] | pd.Series] | None = None,
    *,
    prob: float = 0.9,
    reference_name: str = "published",
) -> pd.DataFrame:
    """Line up posterior summaries with reference values and other point estimates.

    One row per posterior quantity, in the order given. For each: the reference value
    (e.g. published), any point estimates (e.g. REML), the posterior mean, sd and central
    interval, and the differences from the reference, in the quantity's units and in
    posterior standard deviations.

    Parameters
    ----------
    posterior : mapping of str to array_like
        Draws of each quantity, 1-D (e.g. ``posterior_draws(idata, "tau") ** 2`` for a
        variance). Transform draws before summarising, never summaries.
    reference : mapping, pandas.Series or pandas.DataFrame, optional
        Reference values by quantity name, or a table from :func:`load_reference` for one
        model (its ``symbol`` column is carried into the result). Quantities without a
        reference value get NaN.
    estimates : mapping of str to mapping, optional
        Named sets of point estimates, e.g. ``{"REML": {...}}``; each becomes a column, with
        its difference from the reference in a column ``"<name> diff"``.
    prob : float
        Probability of the equal-tailed posterior interval.
    reference_name : str
        Name of the reference column (default ``"published"``).

    Returns
    -------
    pandas.DataFrame
        Indexed by quantity (``parameter``): ``symbol`` (if the reference has symbols), the
        reference column, one column per set of estimates and its ``diff``, then ``mean``,
        ``sd``, ``lower``, ``upper``, ``diff`` (posterior mean minus reference), ``z``
        (``diff`` over the posterior sd) and ``covered`` (whether the reference lies in the
        interval; NaN where there is no reference). Unrounded: round for reading.

    Raises
    ------
    TypeError
        If an argument has the wrong type or a value is not a number.
    KeyError
        If the reference or an estimate names a quantity the posterior lacks (a typo would
        otherwise silently drop a value from the comparison).
    ValueError
        If ``posterior`` is empty, draws are not a 1-D finite array of at least two draws,
        ``prob`` is not in (0, 1), or a name is used twice.

    Examples
    --------
    >>> import numpy as np
    >>> from hlmkit import compare_estimates
    >>> draws = np.random.default_rng(1).normal(12.6, 0.25, 4000)
    >>> table = compare_estimates({"intercept": draws}, {"intercept": 12.64}, {"REML": {"intercept": 12.637}})
    >>> table.columns.tolist()
    ['published', 'REML', 'REML diff', 'mean', 'sd', 'lower', 'upper', 'diff', 'z', 'covered']
    >>> bool(table.loc["intercept", "covered"])
    True
    """
    if not isinstance(posterior, Mapping) or len(posterior) == 0:
        raise ValueError("`posterior` must be a non-empty mapping {quantity: 1-D array of draws}.")
    if not (isinstance(prob, int | float) and not isinstance(prob, bool) and 0 < prob < 1):
        raise ValueError(f"`prob` must lie strictly between 0 and 1, got {prob!r}.")
    if not isinstance(reference_name, str) or not reference_name:
        raise ValueError(f"`reference_name` must be a non-empty string, got {reference_name!r}.")
    names = []
    draws = {}
    for name, values in posterior.items():
        if not isinstance(name, str):
            raise TypeError(f"Quantity names in `posterior` must be strings, got {name!r}.")
        array = np.asarray(values, dtype=float)
        if array.ndim != 1 or array.size < 2:
            raise ValueError(
                f"`posterior[{name!r}]` must be a 1-D array of at least two draws, got shape {array.shape}. "
                "Pick one element of a vector quantity first, e.g. posterior_draws(idata, 'tau')[:, 0]."
            )
        if not np.isfinite(array).all():
            raise ValueError(f"`posterior[{name!r}]` has missing or infinite draws.")
        names.append(name)
        draws[name] = array
    tail = (1 - prob) / 2
    table = pd.DataFrame(index=pd.Index(names, name="parameter"))
    if reference is not None:
        ref_values, symbols = _point_values(reference, "reference")
        _check_known(ref_values.index, names, "reference")
        if symbols is not None:
            table["symbol"] = symbols.reindex(table.index).to_numpy()
        ref = ref_values.reindex(table.index)
    else:
        ref = pd.Series(np.nan, index=table.index)
    table[reference_name] = ref.to_numpy(dtype=float)
    if estimates is not None:
        if not isinstance(estimates, Mapping):
            raise TypeError(
                f"`estimates` must be a mapping {{name: {{parameter: value}}}}, got {type(estimates).__name__}."
            )
        for label, values in estimates.items():
            if not isinstance(label, str) or label in (reference_name, "symbol", "mean", "sd", "lower", "upper",
                                                       "diff", "z", "covered"):
                raise ValueError(f"Estimate set name {label!r} must be a string unlike the table's own columns.")
            point, _ = _point_values(values, f"estimates[{label!r}]")
            _check_known(point.index, names, f"estimates[{label!r}]")
            table[label] = point.reindex(table.index).to_numpy(dtype=float)
            table[f"{label} diff"] = table[label] - table[reference_name]
    table["mean"] = [float(draws[n].mean()) for n in names]
    table["sd"] = [float(draws[n].std(ddof=1)) for n in names]
    table["lower"] = [float(np.quantile(draws[n], tail)) for n in names]
    table["upper"] = [float(np.quantile(draws[n], 1 - tail)) for n in names]
    table["diff"] = table["mean"] - table[reference_name]
    sd = table["sd"].where(table["sd"] > 0)
    table["z"] = table["diff"] / sd
    covered = [
        np.nan if math.isnan(r) else bool(lo <= r <= hi)
        for r, lo, hi in zip(table[reference_name], table["lower"], table["upper"], strict=True)
    ]
    table["covered"] = pd.Series(covered, index=table.index, dtype=object)
    return table


def mixedlm_estimates(result: Any) -> pd.Series:
    """Collect the point estimates of a fitted statsmodels ``MixedLM``, named for a comparison table.

    Parameters
    ----------
    result : statsmodels MixedLMResults
        A fitted model (``smf.mixedlm(...).fit()``), converged or not: check
        ``result.converged`` and the warnings yourself.

    Returns
    -------
    pandas.Series
        The fixed effects under their statsmodels names (e.g. ``Intercept``,
        ``mean_ses:ses_centred``); each random effect's variance as ``var(<name>)`` (the
        random intercept is ``var(Group)`` unless named otherwise); each covariance as
        ``cov(<a>, <b>)``; and the residual variance as ``residual variance``. Variances, not
        standard deviations.

    Raises
    ------
    TypeError
        If ``result`` does not look like a fitted ``MixedLM`` (no ``fe_params``, ``cov_re``
        or ``scale``).

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> from hlmkit import load_dataset, mixedlm_estimates
    >>> hsb = load_dataset("hsb")
    >>> fit = smf.mixedlm("math_ach ~ 1", hsb, groups=hsb["school"]).fit(reml=True)
    >>> mixedlm_estimates(fit).index.tolist()
    ['Intercept', 'var(Group)', 'residual variance']
    """
    missing = [a for a in ("fe_params", "cov_re", "scale") if not hasattr(result, a)]
    if missing:
        raise TypeError(
            f"`result` must be a fitted statsmodels MixedLM (from smf.mixedlm(...).fit()); "
            f"{type(result).__name__} has no {missing}."
        )
    values = {str(k): float(v) for k, v in pd.Series(result.fe_params).items()}
    cov = pd.DataFrame(result.cov_re)
    labels = [str(c) for c in cov.columns]
    matrix = cov.to_numpy(dtype=float)
    for i, label in enumerate(labels):
        values[f"var({label})"] = float(matrix[i, i])
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            values[f"cov({labels[i]}, {labels[j]})"] = float(matrix[i, j])
    values["residual variance"] = float(result.scale)
    return pd.Series(values, dtype=float)
