r"""The variance partition: how much of the outcome's variation lies at each level of a hierarchy.

With independent normal effects at each level (states, counties, schools) and a residual
for individuals (students), the variance of one student's outcome, given the predictors, is
the sum of the levels' variances:

.. math:: \operatorname{Var}(y) = \tau_{\text{state}}^2 + \tau_{\text{county}}^2
          + \tau_{\text{school}}^2 + \sigma^2 .

Each level's **share** is its variance over that total. The **intra-class correlation** of
a level is the correlation between two different students who share a unit of that level
(and therefore every unit above it): the sum of the shares of that level and the levels
above. For two levels it is :func:`hlmkit.icc`, :math:`\tau^2/(\tau^2+\sigma^2)`
(Snijders and Bosker 2012, ch. 4).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike

from hlmkit._validate import check_array, check_name, check_probability

__all__ = ["level_sds", "variance_partition", "variance_shares"]


def _check_sds(sds: object) -> dict[str, np.ndarray]:
    if not isinstance(sds, Mapping):
        raise TypeError(
            "`sds` must be a mapping {level: standard deviation}, ordered from the top level to the "
            f"individual level, e.g. {{'school': tau, 'student': sigma}}; got {type(sds).__name__}."
        )
    if len(sds) < 2:
        raise ValueError(
            f"`sds` needs at least two levels (a group level and the individual level), got {list(sds)}."
        )
    arrays = {}
    for level, value in sds.items():
        if not isinstance(level, str):
            raise TypeError(f"Level names in `sds` must be strings, got {level!r}.")
        array = check_array(value, f"sds[{level!r}]", finite=False)
        if array.ndim > 1:
            raise ValueError(f"The standard deviation of level {level!r} must be a number or a 1-D array of draws.")
        if np.isnan(array).any() or (array < 0).any() or np.isinf(array).any():
            raise ValueError(f"The standard deviation of level {level!r} must be finite and non-negative.")
        arrays[level] = array
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        sizes = {level: a.size for level, a in arrays.items()}
        raise ValueError(
            f"The levels' draws in `sds` must have the same length (draws of one fit, paired by index); got {sizes}."
        ) from None
    arrays = {level: np.broadcast_to(a, shape) for level, a in arrays.items()}
    total = np.asarray(sum(a**2 for a in arrays.values()))
    if (total == 0).any():
        raise ValueError(
            "Every standard deviation in `sds` is zero: there is no variance to share out. "
            "Give at least one level a positive standard deviation."
        )
    return arrays


def variance_shares(sds: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """Each level's share of the total variance, draw by draw.

    Parameters
    ----------
    sds : mapping of str to array_like
        Standard deviation of each level, ordered from the top level down to the individual
        (residual) level, e.g. ``{"state": tau_state, "county": tau_county, "school":
        tau_school, "student": sigma}``. Numbers, or 1-D arrays of posterior draws of one
        fit (paired by index).

    Returns
    -------
    dict of str to numpy.ndarray
        The share of each level (same keys and order); the shares sum to 1 draw by draw.

    Raises
    ------
    TypeError
        If ``sds`` is not a mapping with string keys, or a value is not numeric.
    ValueError
        If there are fewer than two levels, a value is negative or not finite, the draws
        differ in length, or every value is zero.

    Examples
    --------
    >>> from hlmkit import variance_shares
    >>> shares = variance_shares({"school": 20.0, "student": 40.0})
    >>> {level: round(float(share), 2) for level, share in shares.items()}
    {'school': 0.2, 'student': 0.8}
    """
    arrays = _check_sds(sds)
    total = sum(a**2 for a in arrays.values())
    return {level: a**2 / total for level, a in arrays.items()}


def variance_partition(sds: Mapping[str, ArrayLike], *, prob: float = 0.9) -> pd.DataFrame:
    """Tabulate the variance at each level: standard deviation, variance, share and ICC.

    Parameters
    ----------
    sds : mapping of str to array_like
        Standard deviation of each level, ordered from the top level down to the individual
        (residual) level, as numbers (e.g. a simulation's truth) or 1-D arrays of posterior
        draws of one fit.
    prob : float
        Probability of the equal-tailed intervals reported when draws are given.

    Returns
    -------
    pandas.DataFrame
        Indexed by level (``level``), top first: ``sd``, ``variance``, ``share`` (of the total
        variance; the column sums to 1) and ``icc`` (the correlation of two individuals who
        share a unit of that level: the cumulative share from the top level down to it; NaN
        for the individual level). For draws these are posterior means, and
        ``share_lower``, ``share_upper``, ``icc_lower``, ``icc_upper`` give the intervals.

    Raises
    ------
    TypeError, ValueError
        As for :func:`variance_shares`; also if ``prob`` is not in (0, 1).

    Examples
    --------
    >>> from hlmkit import variance_partition
    >>> table = variance_partition({"county": 10.0, "school": 20.0, "student": 40.0})
    >>> table["share"].round(3).tolist()
    [0.048, 0.19, 0.762]
    >>> table["icc"].round(3).tolist()  # two pupils of one school share its county too
    [0.048, 0.238, nan]
    """
    check_probability(prob, "prob")
    arrays = _check_sds(sds)
    shares = variance_shares(arrays)
    levels = list(arrays)
    cumulative = np.cumsum(np.stack([shares[level] for level in levels]), axis=0)
    iccs = {level: cumulative[k] for k, level in enumerate(levels[:-1])}
    table = pd.DataFrame(
        {
            "sd": [float(np.mean(arrays[level])) for level in levels],
            "variance": [float(np.mean(arrays[level] ** 2)) for level in levels],
            "share": [float(np.mean(shares[level])) for level in levels],
            "icc": [float(np.mean(iccs[level])) if level in iccs else np.nan for level in levels],
        },
        index=pd.Index(levels, name="level"),
    )
    if next(iter(arrays.values())).ndim == 1:
        tail = (1 - prob) / 2
        for name, values in (("share", shares), ("icc", iccs)):
            table[f"{name}_lower"] = [
                float(np.quantile(values[level], tail)) if level in values else np.nan for level in levels
            ]
            table[f"{name}_upper"] = [
                float(np.quantile(values[level], 1 - tail)) if level in values else np.nan for level in levels
            ]
    return table


def level_sds(idata: xr.DataTree, *, individual: str = "student", group: str | None = None) -> dict[str, np.ndarray]:
    """Posterior draws of each level's standard deviation, ready for :func:`variance_partition`.

    Reads ``tau`` (one per level, with dim ``level``, as :func:`hlmkit.nested_model` stores
    it; or a single ``tau`` as in :func:`hlmkit.partial_pooling_model`) and ``sigma``.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`hlmkit.sample` with ``tau`` and ``sigma`` in its posterior.
    individual : str
        Name of the individual (residual) level, the key of ``sigma``'s draws.
    group : str, optional
        Name of the group level when ``tau`` is a single scalar (default ``"group"``).

    Returns
    -------
    dict of str to numpy.ndarray
        ``{level: draws}`` from the top level down, then ``{individual: sigma draws}``.

    Raises
    ------
    TypeError
        If ``idata`` is not a fit, or ``individual`` or ``group`` is not a string.
    KeyError
        If ``tau`` or ``sigma`` is not in the posterior, or a level is named like ``individual``.

    Examples
    --------
    >>> from hlmkit import level_sds, partial_pooling_model, sample, simulate_literacy
    >>> model = partial_pooling_model(simulate_literacy(seed=1).students, "literacy", "school")
    >>> idata = sample(model, seed=1, draws=100, tune=100, chains=2, progressbar=False)
    >>> {level: draws.shape for level, draws in level_sds(idata, group="school").items()}
    {'school': (200,), 'student': (200,)}
    """
    if not isinstance(idata, xr.DataTree) or "posterior" not in idata.children:
        raise TypeError(f"`idata` must be a fit from hlmkit.sample (an xarray.DataTree), got {type(idata).__name__}.")
    check_name(individual, "individual", kind="level")
    if group is not None:
        check_name(group, "group", kind="level")
    posterior = idata.posterior
    missing = [name for name in ("tau", "sigma") if name not in posterior.data_vars]
    if missing:
        raise KeyError(f"{missing} not in the posterior: level_sds needs a multilevel fit with `tau` and `sigma`.")
    tau = posterior["tau"].stack(sample=("chain", "draw"))
    sigma = posterior["sigma"].stack(sample=("chain", "draw")).values
    if "level" in tau.dims:
        sds = {str(level): tau.sel(level=level).values for level in tau["level"].values}
    elif tau.ndim == 1:
        sds = {group or "group": tau.values}
    else:
        raise KeyError(f"`tau` has dims {tau.dims}; expected a scalar or dim 'level'.")
    if individual in sds:
        raise KeyError(f"A level is already named {individual!r}: pass another `individual` name.")
    sds[individual] = sigma
    return sds
