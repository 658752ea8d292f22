"""Model builders: one per pooling strategy, each returning a ``pymc.Model`` with named dims.

Builders never sample (see :func:`hlmkit.sample`). Priors are weakly informative and scaled
to the data, as in bambi and rstanarm: with ``s_y`` the standard deviation of the outcome,

- the intercept (or group means) ~ Normal(mean(y), 2.5 s_y),
- each slope ~ Normal(0, 2.5 s_y / s_x),
- sigma, tau ~ HalfNormal(s_y).

So a model means the same thing whether literacy is scored out of 10 or out of 1000.

The growing models (group-level predictors, varying slopes, nested levels) are in
:mod:`hlmkit.growth`, the checked design and the pieces the builders share in private modules;
every name that used to live here can still be imported from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pymc as pm

from hlmkit._design import GROWTH_RESERVED_NAMES, RESERVED_NAMES, _coords, _design
from hlmkit._design import _check_group_name as _check_group_name
from hlmkit._design import _Design as _Design
from hlmkit._design import _group_level_design as _group_level_design
from hlmkit._parameterization import CHOICES, PARAMETERIZATIONS, _resolve, auto_parameterizations
from hlmkit._parts import _common_slopes as _common_slopes
from hlmkit._parts import _group_mean as _group_mean
from hlmkit._parts import _group_sums as _group_sums
from hlmkit._parts import _likelihood, _slopes, _varying_intercepts
from hlmkit._parts import _sufficient_loglik as _sufficient_loglik
from hlmkit._parts import _Sums as _Sums
from hlmkit._validate import check_flag, check_not_all_singletons
from hlmkit.coding import _encode
from hlmkit.growth import group_predictors_model, nested_model, varying_slopes_model

__all__ = [
    "CHOICES",
    "GROWTH_RESERVED_NAMES",
    "PARAMETERIZATIONS",
    "RESERVED_NAMES",
    "auto_parameterizations",
    "complete_pooling_model",
    "group_predictors_model",
    "nested_model",
    "no_pooling_model",
    "partial_pooling_model",
    "varying_slopes_model",
]


def complete_pooling_model(data: pd.DataFrame, outcome: str, predictors: Sequence[str] = ()) -> pm.Model:
    r"""One regression for everybody: every group is assumed identical.

    .. math:: y_i \sim N(\alpha + x_i^\top \beta, \sigma^2)

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation (student).
    outcome : str
        Numeric outcome column (e.g. ``"literacy"``).
    predictors : sequence of str, optional
        Numeric predictor columns (e.g. ``["grade_c", "ses"]``). Centre them for clean
        sampling and an interpretable intercept.

    Returns
    -------
    pymc.Model
        Free variables ``alpha``, ``beta`` (dim ``predictor``, if any) and ``sigma``;
        likelihood ``y`` (dim ``obs``).

    Raises
    ------
    KeyError
        If a column is missing.
    TypeError
        If a column is not numeric.
    ValueError
        If the data are empty, a value is missing or infinite, or a column is constant.

    Examples
    --------
    >>> from hlmkit import complete_pooling_model, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> model = complete_pooling_model(students, "literacy", ["ses"])
    >>> sorted(v.name for v in model.free_RVs)
    ['alpha', 'beta', 'sigma']
    """
    design = _design(data, outcome, predictors)
    with pm.Model(coords=_coords(design)) as model:
        alpha = pm.Normal("alpha", mu=design.y_mean, sigma=2.5 * design.y_scale)
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        pm.Normal("y", mu=alpha + _slopes(design), sigma=sigma, observed=design.y, dims="obs")
    return model


def no_pooling_model(data: pd.DataFrame, outcome: str, group: str, predictors: Sequence[str] = ()) -> pm.Model:
    r"""Give every group a separate intercept, with no link between groups.

    Each group's intercept has its own fixed, wide prior, so a group learns only from
    its own rows. Slopes of ``predictors`` and ``sigma`` are shared.

    .. math:: y_i \sim N(\alpha_{j[i]} + x_i^\top \beta, \sigma^2), \quad
              \alpha_j \sim N(\bar y, (2.5 s_y)^2) \text{ independently}

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    outcome : str
        Numeric outcome column.
    group : str
        Grouping column (e.g. ``"school"``); a group may have a single row, but not every
        group (then ``sigma`` could not be told apart from the group intercepts).
    predictors : sequence of str, optional
        Numeric predictor columns with common slopes.

    Returns
    -------
    pymc.Model
        Free variables ``alpha`` (dim ``group``), ``beta`` (if predictors), ``sigma``.

    Raises
    ------
    KeyError, TypeError, ValueError
        As for :func:`complete_pooling_model`, and if ``group`` has missing values, every
        group has a single row, or ``group`` is named like one of the model's own dims or
        variables (``RESERVED_NAMES``).

    Examples
    --------
    >>> from hlmkit import no_pooling_model, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> model = no_pooling_model(students, "literacy", "school")
    >>> model.named_vars_to_dims["alpha"]
    ('school',)
    """
    design = _design(data, outcome, predictors, group=group)
    index = _encode(data, group)
    check_not_all_singletons(index.sizes, group)
    with pm.Model(coords=_coords(design, index.coords)) as model:
        group_code = pm.Data(f"{group}_code", index.codes, dims="obs")
        alpha = pm.Normal("alpha", mu=design.y_mean, sigma=2.5 * design.y_scale, dims=group)
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        pm.Normal("y", mu=alpha[group_code] + _slopes(design), sigma=sigma, observed=design.y, dims="obs")
    return model


def partial_pooling_model(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    predictors: Sequence[str] = (),
    *,
    parameterization: str = "auto",
    sufficient_statistics: bool = False,
) -> pm.Model:
    r"""Varying intercepts: group intercepts drawn from a common distribution that is learned.

    .. math:: y_i \sim N(\alpha_{j[i]} + x_i^\top \beta, \sigma^2), \quad
              \alpha_j \sim N(\mu, \tau^2)

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    outcome : str
        Numeric outcome column.
    group : str
        Grouping column; at least two groups are needed to learn ``tau``. A group may have
        a single row, but not every group (then ``tau`` and ``sigma`` could not be told apart).
    predictors : sequence of str, optional
        Numeric predictor columns with common slopes.
    parameterization : {"auto", "noncentered", "centered"}
        ``"noncentered"`` writes :math:`\alpha_j = \mu + \tau z_j` with :math:`z_j \sim N(0, 1)`
        (free variable ``z``); it samples well when groups hold little data. ``"centered"``
        draws :math:`\alpha_j` directly and suits groups with much data each. ``"auto"``
        chooses by the rule of :func:`auto_parameterizations`.
    sufficient_statistics : bool
        Compute the likelihood from per-group sums: the same posterior and the same geometry
        for the sampler, at O(groups) instead of O(rows) per gradient. The model then has a
        ``pymc.Potential`` ``loglik`` instead of the observed variable ``y`` and no ``obs`` dim.

    Returns
    -------
    pymc.Model
        Variables ``mu``, ``tau``, ``sigma``, ``alpha`` (dim ``group``), ``beta`` (if predictors).
        The form used is in ``model.parameterization`` (``{group: form}``).

    Raises
    ------
    KeyError, TypeError
        As for :func:`complete_pooling_model`.
    ValueError
        As for :func:`complete_pooling_model`; also if there is only one group, every group
        has a single row, the parameterization is unknown, or ``group`` is named like one of
        the model's own dims or variables (``RESERVED_NAMES``).

    Examples
    --------
    >>> from hlmkit import partial_pooling_model, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> model = partial_pooling_model(students, "literacy", "school", ["ses"])
    >>> model.parameterization  # the rule's choice: schools of about 40 pupils hold much data
    {'school': 'centered'}
    >>> sorted(v.name for v in model.free_RVs)
    ['alpha', 'beta', 'mu', 'sigma', 'tau']
    """
    if parameterization not in CHOICES:
        raise ValueError(f"`parameterization` must be one of {CHOICES}, got {parameterization!r}.")
    design = _design(data, outcome, predictors, group=group)
    index = _encode(data, group)
    if index.n_groups < 2:
        raise ValueError(
            f"Partial pooling needs at least two groups in {group!r} to learn how much groups "
            f"differ (tau), but found one ({index.labels[0]!r}). Use complete_pooling_model instead."
        )
    check_not_all_singletons(index.sizes, group)
    sufficient_statistics = check_flag(sufficient_statistics, "sufficient_statistics")
    parameterization = _resolve(parameterization, design, index, "parameterization")
    coords = _coords(design, index.coords, rows=not sufficient_statistics)
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("mu", mu=design.y_mean, sigma=2.5 * design.y_scale)
        tau = pm.HalfNormal("tau", sigma=design.y_scale)
        alpha = _varying_intercepts(mu, tau, group, parameterization)
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        _likelihood(design, index, alpha, sigma, sufficient_statistics=sufficient_statistics)
    model.parameterization = {group: parameterization}
    return model
