r"""Marginal models: the school effects integrated out, and drawn back after the fit.

Integrating out :math:`\alpha_j \sim N(m_j, \tau^2)` gives each school a multivariate
normal with covariance :math:`\sigma^2 I + \tau^2 1 1^\top`, whose log-density follows
from the matrix determinant lemma and the Sherman-Morrison formula:

.. math::

    \log p(y \mid m, \beta, \sigma, \tau) = -\frac{N}{2} \log 2\pi
        - \frac{N - J}{2} \log \sigma^2 - \frac{W(\beta)}{2 \sigma^2}
        - \sum_j \Bigl[\frac{1}{2} \log(\sigma^2 + n_j \tau^2)
        + \frac{n_j (\bar y_j - \bar x_j^\top \beta - m_j)^2}{2 (\sigma^2 + n_j \tau^2)}\Bigr]

(:func:`marginal_model`): the school effects leave the sampler altogether, and
:func:`school_effects` draws them afterwards from their exact conditional posterior. The
statistics and the notation are those of :mod:`hlmkit.scaling`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from hlmkit._validate import (
    check_parameterizations,
    check_seed,
)
from hlmkit.scaling import (
    PARAMETERIZATIONS,
    _adjusted_means,
    _check_not_all_singletons,
    _coords,
    _hierarchy,
    _summarise,
    _within,
)
from hlmkit.sufficient import _names


def marginal_model(
    stats: pd.DataFrame,
    outcome: str,
    levels: str | Sequence[str],
    predictors: Sequence[str] = (),
    *,
    parameterization: str | Mapping[str, str] = "noncentered",
) -> pm.Model:
    r""":func:`hlmkit.nested_model` with the school intercepts integrated out.

    Given the levels above, the students of school :math:`j` are jointly normal with mean
    :math:`m_j + X_j \beta` and covariance :math:`\sigma^2 I + \tau^2 1 1^\top`. Its
    determinant (matrix determinant lemma) and inverse (Sherman-Morrison) reduce the
    log-density to the school's statistics, so the log-likelihood (a ``pymc.Potential``
    named ``loglik``) is

    .. math:: -\frac{N}{2}\log 2\pi - \frac{N-J}{2}\log\sigma^2 - \frac{W(\beta)}{2\sigma^2}
              - \sum_j \Bigl[\tfrac12 \log(\sigma^2 + n_j\tau^2)
              + \frac{n_j(\bar y_j - \bar x_j^\top\beta - m_j)^2}{2(\sigma^2 + n_j\tau^2)}\Bigr]

    The sampler never sees the school intercepts, so they cannot form a funnel whatever
    the school sizes; :func:`school_effects` draws them after sampling.

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
        Student-level predictors with common slopes ``beta``.
    parameterization : {"noncentered", "centered"} or mapping
        For the levels above the schools, as in :func:`sufficient_statistics_model`; the
        choice for the last level is ignored (its intercepts are integrated out).

    Returns
    -------
    pymc.Model
        Variables ``mu``, ``tau`` (dim ``level``; its last entry is the sd of the school
        intercepts), ``sigma``, ``beta`` (if predictors) and, for each level above the
        schools, ``alpha_<level>`` and ``effect_<level>`` (``z_<level>`` when non-centred);
        no ``alpha``.

    Raises
    ------
    KeyError, TypeError, ValueError
        As for :func:`sufficient_statistics_model`.

    Examples
    --------
    >>> from hlmkit import marginal_model, simulate_literacy, sufficient_statistics
    >>> students = simulate_literacy(seed=1).students
    >>> levels = ["state", "county", "school"]
    >>> stats = sufficient_statistics(students, "literacy", levels, ["ses"])
    >>> model = marginal_model(stats, "literacy", levels, ["ses"], parameterization="centered")
    >>> sorted(v.name for v in model.free_RVs)
    ['alpha_county', 'alpha_state', 'beta', 'mu', 'sigma', 'tau']
    """
    outcome, levels, predictors = _names(outcome, levels, predictors)
    summary = _summarise(stats, outcome, levels, predictors)
    _check_not_all_singletons(summary)
    chosen = check_parameterizations(parameterization, levels, PARAMETERIZATIONS)
    n, n_groups = summary.n, len(summary.n)
    with pm.Model(coords=_coords(summary)) as model:
        sigma, beta, tau, location = _hierarchy(summary, chosen, include_bottom=False)
        residual = _adjusted_means(summary, beta) - location
        school_variance = sigma**2 + n * tau[-1] ** 2  # n_j times the variance of school j's adjusted mean
        # The log-determinant depends on a school only through its size: one log per distinct size,
        # weighted by how many schools have it, not one per school (two fifths of a gradient's time otherwise).
        sizes, schools_of_size = np.unique(n, return_counts=True)
        loglik = (
            -0.5 * summary.n_total * np.log(2 * np.pi)
            - 0.5 * (summary.n_total - n_groups) * pt.log(sigma**2)
            - _within(summary, beta) / (2 * sigma**2)
            - 0.5 * pt.sum(schools_of_size * pt.log(sigma**2 + sizes * tau[-1] ** 2))
            - 0.5 * pt.sum(n * residual**2 / school_variance)
        )
        pm.Potential("loglik", loglik)
    return model


def school_effects(
    idata: xr.DataTree,
    stats: pd.DataFrame,
    outcome: str,
    levels: str | Sequence[str],
    predictors: Sequence[str] = (),
    *,
    seed: int,
) -> xr.DataTree:
    r"""Add the school intercepts ``alpha`` to a fit of :func:`marginal_model`.

    Given the other parameters, school :math:`j`'s intercept has an exact normal posterior,
    the precision-weighted average of chapter 4:

    .. math:: \alpha_j \mid \cdot \sim N\Bigl(\frac{n_j r_j / \sigma^2 + m_j / \tau^2}
              {n_j / \sigma^2 + 1 / \tau^2},\ \frac{1}{n_j / \sigma^2 + 1 / \tau^2}\Bigr),
              \quad r_j = \bar y_j - \bar x_j^\top \beta

    One draw per posterior draw gives draws from the joint posterior, as if the intercepts
    had been sampled.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`marginal_model` (from :func:`hlmkit.sample`). Not modified.
    stats, outcome, levels, predictors
        The arguments the model was built with.
    seed : int
        Seed of the normal draws.

    Returns
    -------
    xarray.DataTree
        A copy of ``idata`` whose posterior also holds ``alpha`` (dims chain, draw and the
        last level).

    Raises
    ------
    TypeError
        If ``idata`` is not a fit or ``seed`` is not an integer.
    KeyError
        If the posterior lacks a variable of the marginal model built with these arguments.

    Examples
    --------
    >>> from hlmkit import marginal_model, sample, school_effects, simulate_literacy, sufficient_statistics
    >>> students = simulate_literacy(seed=1).students
    >>> stats = sufficient_statistics(students, "literacy", "school")
    >>> idata = sample(marginal_model(stats, "literacy", "school"), seed=1, draws=100, tune=100, chains=2,
    ...                progressbar=False)
    >>> school_effects(idata, stats, "literacy", "school", seed=1).posterior["alpha"].dims
    ('chain', 'draw', 'school')
    """
    if not isinstance(idata, xr.DataTree) or "posterior" not in idata.children:
        raise TypeError(f"`idata` must be a fit from hlmkit.sample (an xarray.DataTree), got {type(idata).__name__}.")
    seed = check_seed(seed)
    outcome, levels, predictors = _names(outcome, levels, predictors)
    summary = _summarise(stats, outcome, levels, predictors)
    posterior = idata.posterior.to_dataset()
    above = [f"alpha_{levels[-2]}"] if len(levels) > 1 else []
    missing = [v for v in ["mu", "tau", "sigma", *(["beta"] if predictors else []), *above] if v not in posterior]
    if missing:
        raise KeyError(f"The posterior lacks {missing}: pass a fit of marginal_model built with these arguments.")
    if "alpha" in posterior:
        raise ValueError("The posterior already holds `alpha`: this is not a fit of marginal_model.")
    if "level" not in posterior["tau"].dims or levels[-1] not in posterior["tau"]["level"].values:
        raise ValueError(
            f"The posterior's `tau` has no entry for level {levels[-1]!r}: pass a fit of marginal_model built with "
            "these arguments."
        )
    sigma = posterior["sigma"].values[..., None]
    tau = posterior["tau"].sel(level=levels[-1]).values[..., None]
    if above:
        location = posterior[above[0]].transpose("chain", "draw", levels[-2]).values[..., summary.parent[levels[-1]]]
    else:
        location = posterior["mu"].values[..., None]
    adjusted = summary.y_mean
    if predictors:
        adjusted = adjusted - posterior["beta"].transpose("chain", "draw", "predictor").values @ summary.x_mean.T
    precision = summary.n / sigma**2 + 1 / tau**2
    mean = (summary.n * adjusted / sigma**2 + location / tau**2) / precision
    rng = np.random.default_rng(seed)
    draws = mean + rng.standard_normal(mean.shape) / np.sqrt(precision)
    bottom = levels[-1]
    alpha = xr.DataArray(
        draws,
        dims=("chain", "draw", bottom),
        coords={"chain": posterior["chain"].values, "draw": posterior["draw"].values,
                bottom: list(summary.labels[bottom])},
        name="alpha",
    )
    tree = idata.copy()
    tree["posterior"] = xr.DataTree(posterior.assign(alpha=alpha))
    return tree
