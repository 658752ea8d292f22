"""Model builders: one per pooling strategy, each returning a ``pymc.Model`` with named dims.

Builders never sample (see :func:`hlmkit.sample`). Priors are weakly informative and scaled
to the data, as in bambi and rstanarm: with ``s_y`` the standard deviation of the outcome,

- the intercept (or group means) ~ Normal(mean(y), 2.5 s_y),
- each slope ~ Normal(0, 2.5 s_y / s_x),
- sigma, tau ~ HalfNormal(s_y).

So a model means the same thing whether literacy is scored out of 10 or out of 1000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm

from hlmkit._validate import check_columns, check_frame, check_numeric
from hlmkit.coding import GroupIndex, encode_groups

PARAMETERIZATIONS = ("noncentered", "centered")

#: Names of the builders' own dims and variables: a group column named like one would clash.
RESERVED_NAMES = ("obs", "predictor", "alpha", "beta", "mu", "tau", "z", "sigma", "x", "y")


@dataclass(frozen=True)
class _Design:
    y: np.ndarray
    x: np.ndarray
    predictors: list[str]
    y_mean: float
    y_scale: float
    x_scale: np.ndarray


def _design(data: pd.DataFrame, outcome: str, predictors: Sequence[str], *, group: str | None = None) -> _Design:
    """Validate the columns and return arrays and the scales that set the priors."""
    check_frame(data)
    if isinstance(predictors, str):
        predictors = [predictors]
    predictors = list(predictors)
    if not isinstance(outcome, str):
        raise TypeError(f"`outcome` must be a column name (str), got {outcome!r}.")
    if group is not None and not isinstance(group, str):
        raise TypeError(f"`group` must be a column name (str), got {group!r}.")
    if group in RESERVED_NAMES:
        raise ValueError(
            f"The group column {group!r} has a name the model uses for its own dims and variables "
            f"{RESERVED_NAMES}. Rename it first, e.g. data.rename(columns={{{group!r}: '{group}_id'}})."
        )
    if len(set(predictors)) != len(predictors):
        raise ValueError(f"`predictors` lists a column twice: {predictors}.")
    if outcome in predictors or (group is not None and group in predictors + [outcome]):
        raise ValueError(
            f"The outcome {outcome!r}, group {group!r} and predictors {predictors} must be different columns."
        )
    check_columns(data, [outcome, *predictors] + ([group] if group else []))
    y = check_numeric(data, outcome, role="outcome")
    columns = [check_numeric(data, p, role="predictor") for p in predictors]
    x = np.column_stack(columns) if columns else np.zeros((len(data), 0))
    y_scale = float(np.std(y))
    if not y_scale > 0:
        raise ValueError(f"The outcome {outcome!r} is constant ({y[0]}); there is no variation to model.")
    x_scale = np.std(x, axis=0) if columns else np.zeros(0)
    constant = [p for p, s in zip(predictors, x_scale, strict=True) if not s > 0]
    if constant:
        raise ValueError(f"Predictor(s) {constant} are constant: drop them, they cannot be estimated.")
    return _Design(y=y, x=x, predictors=predictors, y_mean=float(np.mean(y)), y_scale=y_scale, x_scale=x_scale)


def _slopes(design: _Design) -> pm.Deterministic | float:
    """Add the common slopes (if any) to the model in context and return X @ beta."""
    if not design.predictors:
        return 0.0
    beta = pm.Normal("beta", mu=0.0, sigma=2.5 * design.y_scale / design.x_scale, dims="predictor")
    x = pm.Data("x", design.x, dims=("obs", "predictor"))
    return pm.math.dot(x, beta)


def _coords(design: _Design, n_obs: int, index: GroupIndex | None = None) -> dict[str, list]:
    coords: dict[str, list] = {"obs": list(range(n_obs))}
    if design.predictors:
        coords["predictor"] = design.predictors
    if index is not None:
        coords.update(index.coords)
    return coords


def complete_pooling_model(data: pd.DataFrame, outcome: str, predictors: Sequence[str] = ()) -> pm.Model:
    """One regression for everybody: every group is assumed identical.

    .. math:: y_i \\sim N(\\alpha + x_i^\\top \\beta, \\sigma^2)

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
    with pm.Model(coords=_coords(design, len(data))) as model:
        alpha = pm.Normal("alpha", mu=design.y_mean, sigma=2.5 * design.y_scale)
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        pm.Normal("y", mu=alpha + _slopes(design), sigma=sigma, observed=design.y, dims="obs")
    return model


def no_pooling_model(data: pd.DataFrame, outcome: str, group: str, predictors: Sequence[str] = ()) -> pm.Model:
    """A separate intercept for every group, with no link between groups.

    Each group's intercept has its own fixed, wide prior, so a group learns only from
    its own rows. Slopes of ``predictors`` and ``sigma`` are shared.

    .. math:: y_i \\sim N(\\alpha_{j[i]} + x_i^\\top \\beta, \\sigma^2), \\quad
              \\alpha_j \\sim N(\\bar y, (2.5 s_y)^2) \\text{ independently}

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    outcome : str
        Numeric outcome column.
    group : str
        Grouping column (e.g. ``"school"``); a group may have a single row.
    predictors : sequence of str, optional
        Numeric predictor columns with common slopes.

    Returns
    -------
    pymc.Model
        Free variables ``alpha`` (dim ``group``), ``beta`` (if predictors), ``sigma``.

    Raises
    ------
    KeyError, TypeError, ValueError
        As for :func:`complete_pooling_model`, and if ``group`` has missing values or is
        named like one of the model's own dims or variables (``RESERVED_NAMES``).

    Examples
    --------
    >>> from hlmkit import no_pooling_model, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> model = no_pooling_model(students, "literacy", "school")
    >>> model.named_vars_to_dims["alpha"]
    ('school',)
    """
    design = _design(data, outcome, predictors, group=group)
    index = encode_groups(data, group)
    with pm.Model(coords=_coords(design, len(data), index)) as model:
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
    parameterization: str = "noncentered",
) -> pm.Model:
    """Varying intercepts: group intercepts drawn from a common distribution that is learned.

    .. math:: y_i \\sim N(\\alpha_{j[i]} + x_i^\\top \\beta, \\sigma^2), \\quad
              \\alpha_j \\sim N(\\mu, \\tau^2)

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    outcome : str
        Numeric outcome column.
    group : str
        Grouping column; at least two groups are needed to learn ``tau``. A group may have
        a single row.
    predictors : sequence of str, optional
        Numeric predictor columns with common slopes.
    parameterization : {"noncentered", "centered"}
        ``"noncentered"`` writes :math:`\\alpha_j = \\mu + \\tau z_j` with :math:`z_j \\sim N(0, 1)`
        (free variable ``z``); it samples well when groups hold little data. ``"centered"``
        draws :math:`\\alpha_j` directly and suits groups with much data each.

    Returns
    -------
    pymc.Model
        Variables ``mu``, ``tau``, ``sigma``, ``alpha`` (dim ``group``), ``beta`` (if predictors).

    Raises
    ------
    KeyError, TypeError
        As for :func:`complete_pooling_model`.
    ValueError
        As for :func:`complete_pooling_model`; also if there is only one group, the
        parameterization is unknown, or ``group`` is named like one of the model's own dims
        or variables (``RESERVED_NAMES``).

    Examples
    --------
    >>> from hlmkit import partial_pooling_model, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> model = partial_pooling_model(students, "literacy", "school", ["ses"])
    >>> sorted(v.name for v in model.free_RVs)
    ['beta', 'mu', 'sigma', 'tau', 'z']
    """
    if parameterization not in PARAMETERIZATIONS:
        raise ValueError(f"`parameterization` must be one of {PARAMETERIZATIONS}, got {parameterization!r}.")
    design = _design(data, outcome, predictors, group=group)
    index = encode_groups(data, group)
    if index.n_groups < 2:
        raise ValueError(
            f"Partial pooling needs at least two groups in {group!r} to learn how much groups "
            f"differ (tau), but found one ({index.labels[0]!r}). Use complete_pooling_model instead."
        )
    with pm.Model(coords=_coords(design, len(data), index)) as model:
        group_code = pm.Data(f"{group}_code", index.codes, dims="obs")
        mu = pm.Normal("mu", mu=design.y_mean, sigma=2.5 * design.y_scale)
        tau = pm.HalfNormal("tau", sigma=design.y_scale)
        if parameterization == "noncentered":
            z = pm.Normal("z", 0.0, 1.0, dims=group)
            alpha = pm.Deterministic("alpha", mu + tau * z, dims=group)
        else:
            alpha = pm.Normal("alpha", mu=mu, sigma=tau, dims=group)
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        pm.Normal("y", mu=alpha[group_code] + _slopes(design), sigma=sigma, observed=design.y, dims="obs")
    return model

