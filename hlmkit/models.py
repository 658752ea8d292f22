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
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from hlmkit._validate import (
    check_columns,
    check_flag,
    check_frame,
    check_name,
    check_names,
    check_not_all_singletons,
    check_numeric,
)
from hlmkit.coding import GroupIndex, encode_groups

PARAMETERIZATIONS = ("noncentered", "centered")
#: What the builders accept: either form, or ``"auto"``, the rule of the chapter on sampling problems.
CHOICES = ("auto", *PARAMETERIZATIONS)

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
    predictors = check_names(predictors, "predictors")
    check_name(outcome, "outcome")
    if group is not None:
        check_name(group, "group")
    if group in RESERVED_NAMES:
        raise ValueError(
            f"The group column {group!r} has a name the model uses for its own dims and variables "
            f"{RESERVED_NAMES}. Rename it first, e.g. data.rename(columns={{{group!r}: '{group}_id'}})."
        )
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


def auto_parameterizations(
    y: np.ndarray,
    x: np.ndarray,
    indexes: Sequence[GroupIndex],
    parents: Sequence[np.ndarray] = (),
) -> dict[str, str]:
    r"""Centred or non-centred for each level, by the rule of the chapter on sampling problems.

    A level is centred when its median group's own data carry more than half the weight of
    its estimate, :math:`P\tau^2 > 1`, with :math:`P` the precision of the group's data
    (:math:`n_j/\sigma^2` for the bottom level; for a level above, the sum over its members of
    :math:`1/(\tau^2_{\text{member}} + 1/P_{\text{member}})`). The scales come from cheap
    moment estimates on the residuals of a pooled least-squares fit of ``y`` on ``x``:
    :math:`\sigma^2` from the spread within bottom groups, each :math:`\tau^2` from the spread
    of group means within their parent groups less the part their own noise explains. A level
    whose :math:`\tau^2` estimate is not positive is non-centred: its posterior reaches into
    the funnel.

    Parameters
    ----------
    y : numpy.ndarray
        The outcome, one value per row.
    x : numpy.ndarray
        Row-level predictors (rows x predictors; may have no columns).
    indexes : sequence of GroupIndex
        The coding of each level, from the top level down.
    parents : sequence of numpy.ndarray
        For each level but the top, the code of each group's parent in the level above.

    Returns
    -------
    dict of str to str
        ``{level: "centered" | "noncentered"}``.

    Examples
    --------
    >>> import numpy as np
    >>> from hlmkit import encode_groups, simulate_literacy
    >>> from hlmkit.models import auto_parameterizations
    >>> students = simulate_literacy(seed=1, median_school_size=200).students
    >>> index = encode_groups(students, "school")
    >>> auto_parameterizations(students["literacy"].to_numpy(), np.zeros((len(students), 0)), [index])
    {'school': 'centered'}
    """
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    bottom = indexes[-1]
    n = np.bincount(bottom.codes, minlength=bottom.n_groups).astype(float)
    means = np.bincount(bottom.codes, weights=residual, minlength=bottom.n_groups) / np.maximum(n, 1)
    df = len(y) - bottom.n_groups
    within = residual - means[bottom.codes]
    sigma2 = float(within @ within / df) if df > 0 else float(np.var(residual))
    precision = n / max(sigma2, 1e-300)
    choices: dict[str, str] = {}
    for k in reversed(range(len(indexes))):
        level = indexes[k].name
        parent = np.asarray(parents[k - 1]) if k > 0 else np.zeros(len(means), dtype=int)
        n_parents = int(parent.max()) + 1
        counts = np.bincount(parent, minlength=n_parents).astype(float)
        parent_means = np.bincount(parent, weights=means, minlength=n_parents) / np.maximum(counts, 1)
        deviation = means - parent_means[parent]
        df = len(means) - n_parents
        between = float(deviation @ deviation / df) if df > 0 else 0.0
        tau2 = between - float(np.mean(1.0 / precision))
        centred = tau2 > 0 and float(np.median(precision)) * tau2 > 1.0
        choices[level] = "centered" if centred else "noncentered"
        member = 1.0 / (max(tau2, 0.0) + 1.0 / precision)
        precision = np.bincount(parent, weights=member, minlength=n_parents)
        means = parent_means
    return {index.name: choices[index.name] for index in indexes}


def _resolve(choice: str, design: _Design, index: GroupIndex, argument: str, extra: np.ndarray | None = None) -> str:
    """One level's parameterisation: the choice given, or the rule's when it is ``"auto"``."""
    if choice not in CHOICES:
        raise ValueError(f"`{argument}` must be one of {CHOICES}, got {choice!r}.")
    if choice != "auto":
        return choice
    x = design.x if extra is None or extra.shape[1] == 0 else np.column_stack([design.x, extra])
    return auto_parameterizations(design.y, x, [index])[index.name]


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
    with pm.Model(coords=_coords(design, len(data))) as model:
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
    index = encode_groups(data, group)
    check_not_all_singletons(index.sizes, group)
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
    index = encode_groups(data, group)
    if index.n_groups < 2:
        raise ValueError(
            f"Partial pooling needs at least two groups in {group!r} to learn how much groups "
            f"differ (tau), but found one ({index.labels[0]!r}). Use complete_pooling_model instead."
        )
    check_not_all_singletons(index.sizes, group)
    sufficient_statistics = check_flag(sufficient_statistics, "sufficient_statistics")
    parameterization = _resolve(parameterization, design, index, "parameterization")
    coords = _coords(design, len(data), index)
    if sufficient_statistics:
        del coords["obs"]
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("mu", mu=design.y_mean, sigma=2.5 * design.y_scale)
        tau = pm.HalfNormal("tau", sigma=design.y_scale)
        if parameterization == "noncentered":
            z = pm.Normal("z", 0.0, 1.0, dims=group)
            alpha = pm.Deterministic("alpha", mu + tau * z, dims=group)
        else:
            alpha = pm.Normal("alpha", mu=mu, sigma=tau, dims=group)
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        if sufficient_statistics:
            sums = _group_sums(design, np.zeros((len(data), 0)), index)
            pm.Potential("loglik", _sufficient_loglik(sums, alpha, None, _common_slopes(design), sigma))
        else:
            group_code = pm.Data(f"{group}_code", index.codes, dims="obs")
            pm.Normal("y", mu=alpha[group_code] + _slopes(design), sigma=sigma, observed=design.y, dims="obs")
    model.parameterization = {group: parameterization}
    return model


# ----------------------------------------------------------------------------------------------
# Growing the model (chapters 5-8): group-level predictors, varying slopes, more levels.
# ----------------------------------------------------------------------------------------------

from collections.abc import Mapping  # noqa: E402

import pytensor.tensor as pt  # noqa: E402

from hlmkit._validate import check_parameterizations, check_positive  # noqa: E402
from hlmkit.coding import parent_codes  # noqa: E402
from hlmkit.prep import group_table  # noqa: E402

#: Names the growth builders use for their own dims and variables, on top of ``RESERVED_NAMES``.
GROWTH_RESERVED_NAMES = (
    "w", "gamma", "alpha_pred", "group_predictor", "varying", "effect", "effect_bis", "level",
    "mu_slope", "slope", "corr", "chol_cov", "chol_corr", "x_varying", "loglik",
)


def _column_names(columns: str | Sequence[str], argument: str) -> list[str]:
    return check_names(columns, argument)


def _check_group_name(name: object, argument: str) -> str:
    name = check_name(name, argument)
    if name in RESERVED_NAMES or name in GROWTH_RESERVED_NAMES:
        raise ValueError(
            f"The group column {name!r} has a name the model uses for its own dims and variables. "
            f"Rename it first, e.g. data.rename(columns={{{name!r}: '{name}_id'}})."
        )
    return name


def _group_level_design(
    data: pd.DataFrame, group: str, group_predictors: list[str], index: GroupIndex, taken: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """One row per group of the group-level predictors, and their scales across groups."""
    overlap = [name for name in group_predictors if name in taken]
    if overlap:
        raise ValueError(
            f"Column(s) {overlap} appear both in `group_predictors` and among the outcome, group or "
            "student-level predictors: give each column one role."
        )
    if not group_predictors:
        return np.zeros((index.n_groups, 0)), np.zeros(0)
    check_columns(data, group_predictors)
    for name in group_predictors:
        check_numeric(data, name, role="group-level predictor")
    table = group_table(data, group, group_predictors).loc[index.labels]
    w = table.to_numpy(dtype=float)
    scale = np.std(w, axis=0)
    constant = [p for p, s in zip(group_predictors, scale, strict=True) if not s > 0]
    if constant:
        raise ValueError(
            f"Group-level predictor(s) {constant} take the same value in every {group}: drop them, "
            "they cannot be estimated."
        )
    return w, scale


def _group_mean(design: _Design, w: np.ndarray, w_scale: np.ndarray, group: str, names: list[str]):
    """Add ``mu`` (and ``gamma``, ``alpha_pred`` if there are group predictors); return the group means."""
    mu = pm.Normal("mu", mu=design.y_mean, sigma=2.5 * design.y_scale)
    if not names:
        return mu
    w_data = pm.Data("w", w, dims=(group, "group_predictor"))
    gamma = pm.Normal("gamma", mu=0.0, sigma=2.5 * design.y_scale / w_scale, dims="group_predictor")
    return pm.Deterministic("alpha_pred", mu + pm.math.dot(w_data, gamma), dims=group)


@dataclass(frozen=True)
class _Sums:
    """Per-group sums that carry all a Gaussian likelihood needs (the outcome centred at ``shift``)."""

    n_obs: int
    shift: float
    n: np.ndarray  # (J,) rows per group
    y: np.ndarray  # (J,) sums of y
    x: np.ndarray  # (J, p) sums of the common-slope predictors
    v: np.ndarray  # (J, q) sums of the varying-slope predictors
    vy: np.ndarray  # (J, q) sums of v * y
    vx: np.ndarray  # (J, q, p) sums of v x^T
    vv: np.ndarray  # (J, q, q) sums of v v^T
    yy: float
    xy: np.ndarray  # (p,)
    xx: np.ndarray  # (p, p)


def _group_sums(design: _Design, varying: np.ndarray, index: GroupIndex) -> _Sums:
    """Compute the sufficient statistics of the Gaussian likelihood, per group, in one pass over the rows."""
    y = design.y - design.y_mean
    x, v = design.x, varying
    codes, n_groups = index.codes, index.n_groups

    def per_group(values: np.ndarray) -> np.ndarray:
        """Sum ``values`` (rows, ...) within each group: (groups, ...), one column at a time (O(groups) memory)."""
        flat = values.reshape(len(y), int(np.prod(values.shape[1:])))
        sums = np.zeros((n_groups, flat.shape[1]))
        for k in range(flat.shape[1]):
            sums[:, k] = np.bincount(codes, weights=flat[:, k], minlength=n_groups)
        return sums.reshape(n_groups, *values.shape[1:])

    return _Sums(
        n_obs=len(y),
        shift=design.y_mean,
        n=np.bincount(codes, minlength=n_groups).astype(float),
        y=np.bincount(codes, weights=y, minlength=n_groups),
        x=per_group(x),
        v=per_group(v),
        vy=per_group(v * y[:, None]),
        vx=per_group(v[:, :, None] * x[:, None, :]),
        vv=per_group(v[:, :, None] * v[:, None, :]),
        yy=float(y @ y),
        xy=x.T @ y,
        xx=x.T @ x,
    )


def _sufficient_loglik(sums: _Sums, alpha, slope, beta, sigma):
    """Compute the Gaussian log-likelihood of all rows from the per-group sums: O(groups) per evaluation.

    With u = y - x'beta and the residual r = u - alpha_j - v'b_j of a row in group j,
    sum(r^2) = sum(u^2) + sum_j [n_j alpha_j^2 - 2 alpha_j sum(u) - 2 b_j' sum(v u)
    + 2 alpha_j b_j' sum(v) + b_j' sum(v v') b_j], and every sum over rows is a sum of statistics.
    """
    alpha = alpha - sums.shift
    n_varying = sums.v.shape[1]
    if beta is None:
        sum_u, sum_uu = sums.y, sums.yy
        sum_vu = [sums.vy[:, k] for k in range(n_varying)]
    else:
        sum_u = sums.y - pt.dot(sums.x, beta)
        sum_uu = sums.yy - 2.0 * pt.dot(sums.xy, beta) + pt.dot(beta, pt.dot(sums.xx, beta))
        sum_vu = [sums.vy[:, k] - pt.dot(sums.vx[:, k, :], beta) for k in range(n_varying)]
    squares = sum_uu + pt.sum(sums.n * alpha**2 - 2.0 * alpha * sum_u)
    # Slope terms one predictor (pair) at a time: only 1-D and 2-D operations, which every
    # backend (numba included) compiles cleanly; there are only a few varying predictors.
    for k in range(n_varying if slope is not None else 0):
        squares = squares + pt.sum(slope[:, k] * (2.0 * alpha * sums.v[:, k] - 2.0 * sum_vu[k]))
        for m in range(n_varying):
            squares = squares + pt.sum(slope[:, k] * slope[:, m] * sums.vv[:, k, m])
    return -0.5 * sums.n_obs * pt.log(2.0 * np.pi * sigma**2) - squares / (2.0 * sigma**2)


def _common_slopes(design: _Design):
    """Add the common slopes ``beta`` alone (no data node): for likelihoods computed from sums."""
    if not design.predictors:
        return None
    return pm.Normal("beta", mu=0.0, sigma=2.5 * design.y_scale / design.x_scale, dims="predictor")


def _check_flag(value: object, argument: str) -> bool:
    return check_flag(value, argument)


def group_predictors_model(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    group_predictors: Sequence[str],
    predictors: Sequence[str] = (),
    *,
    parameterization: str = "auto",
    sufficient_statistics: bool = False,
) -> pm.Model:
    r"""Varying intercepts whose mean depends on group-level predictors.

    The school-level regression explains part of how schools differ; ``tau`` is what is
    left, and each school is shrunk toward *its predicted* intercept, not the grand mean:

    .. math:: y_i \sim N(\alpha_{j[i]} + x_i^\top \beta, \sigma^2), \quad
              \alpha_j \sim N(\mu + w_j^\top \gamma, \tau^2)

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation, the group-level predictors repeated on each row of a group.
    outcome : str
        Numeric outcome column.
    group : str
        Grouping column (at least two groups).
    group_predictors : sequence of str
        Numeric columns constant within each group (e.g. ``["private", "ses_mean"]``); centre
        them (e.g. ``add_group_means(..., center=True)``) to keep ``mu`` interpretable. With
        none, this is the varying-intercept model of :func:`hlmkit.partial_pooling_model`
        (handy to compare the two with the same options).
    predictors : sequence of str, optional
        Numeric student-level predictor columns with common slopes.
    parameterization : {"auto", "centered", "noncentered"}
        ``"centered"`` draws :math:`\alpha_j` directly (good when groups hold dozens of rows);
        ``"noncentered"`` writes :math:`\alpha_j = \mu + w_j^\top\gamma + \tau z_j`;
        ``"auto"`` chooses by the rule of :func:`auto_parameterizations` (the form used is in
        ``model.parameterization``).
    sufficient_statistics : bool
        Compute the likelihood from per-group sums (same posterior, O(groups) instead of
        O(rows) per gradient). The model then has a ``pymc.Potential`` ``loglik`` instead of
        the observed variable ``y`` and no ``obs`` dim, so it cannot draw predictions per row.

    Returns
    -------
    pymc.Model
        Variables ``mu``, ``tau``, ``alpha`` (dim ``group``), ``sigma``, ``beta`` (if
        predictors); with group predictors also ``gamma`` (dim ``group_predictor``),
        ``alpha_pred`` (each group's predicted intercept, dim ``group``) and data ``w``
        (groups x group predictors).

    Raises
    ------
    KeyError, TypeError
        For a missing or non-numeric column.
    ValueError
        If a group predictor varies within a group or is constant across groups, a column
        has two roles, there are fewer than two groups, every group has a single row, or the
        parameterization is unknown.

    Examples
    --------
    >>> from hlmkit import group_predictors_model, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> students["private"] = (students["sector"] == "private").astype(int)
    >>> model = group_predictors_model(students, "literacy", "school", ["private"], ["ses"])
    >>> model.named_vars_to_dims["gamma"], model.named_vars_to_dims["alpha_pred"]
    (('group_predictor',), ('school',))
    """
    if parameterization not in CHOICES:
        raise ValueError(f"`parameterization` must be one of {CHOICES}, got {parameterization!r}.")
    sufficient_statistics = _check_flag(sufficient_statistics, "sufficient_statistics")
    group = _check_group_name(group, "group")
    group_predictors = _column_names(group_predictors, "group_predictors")
    design = _design(data, outcome, predictors, group=group)
    index = encode_groups(data, group)
    if index.n_groups < 2:
        raise ValueError(
            f"A multilevel model needs at least two groups in {group!r}, found one. Use complete_pooling_model instead."
        )
    check_not_all_singletons(index.sizes, group)
    w, w_scale = _group_level_design(data, group, group_predictors, index, [outcome, group, *design.predictors])
    parameterization = _resolve(parameterization, design, index, "parameterization", w[index.codes])
    coords = _coords(design, len(data), index)
    if group_predictors:
        coords["group_predictor"] = group_predictors
    if sufficient_statistics:
        del coords["obs"]
    with pm.Model(coords=coords) as model:
        alpha_pred = _group_mean(design, w, w_scale, group, group_predictors)
        tau = pm.HalfNormal("tau", sigma=design.y_scale)
        if parameterization == "noncentered":
            z = pm.Normal("z", 0.0, 1.0, dims=group)
            alpha = pm.Deterministic("alpha", alpha_pred + tau * z, dims=group)
        else:
            alpha = pm.Normal("alpha", mu=alpha_pred, sigma=tau, dims=group)
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        if sufficient_statistics:
            sums = _group_sums(design, np.zeros((len(data), 0)), index)
            pm.Potential("loglik", _sufficient_loglik(sums, alpha, None, _common_slopes(design), sigma))
        else:
            group_code = pm.Data(f"{group}_code", index.codes, dims="obs")
            pm.Normal("y", mu=alpha[group_code] + _slopes(design), sigma=sigma, observed=design.y, dims="obs")
    model.parameterization = {group: parameterization}
    return model


def varying_slopes_model(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    varying: Sequence[str],
    predictors: Sequence[str] = (),
    *,
    group_predictors: Sequence[str] = (),
    eta: float = 2.0,
    intercepts: str = "auto",
    sufficient_statistics: bool = False,
) -> pm.Model:
    r"""Varying intercepts and varying slopes, correlated, with an LKJ prior on their correlation.

    Each group has an intercept and a slope for each ``varying`` predictor; these effects
    are drawn together from a multivariate normal whose standard deviations ``tau`` and
    correlation matrix ``corr`` are learned:

    .. math::

        y_i &\sim N\big(\alpha_{j[i]} + x_i^\top b_{j[i]} + v_i^\top \beta, \sigma^2\big),\\
        (\alpha_j, b_j) &\sim \mathrm{MVN}\big((\mu + w_j^\top\gamma,\ \mu_b),\
              \mathrm{diag}(\tau)\, \Omega\, \mathrm{diag}(\tau)\big),
        \quad \Omega \sim \mathrm{LKJ}(\eta).

    The standard deviations have their own priors, :math:`\tau_k \sim \mathrm{HalfNormal}`,
    and the correlation matrix :math:`\Omega = L L^\top` an LKJ prior through its Cholesky
    factor :math:`L` (``pm.LKJCorr``). The effects are written non-centred,
    :math:`(\alpha_j, b_j) = \text{mean} + \mathrm{diag}(\tau) L z_j` with
    :math:`z_j \sim N(0, I)`, which samples cleanly where the centred form diverges. (Written
    with ``pm.LKJCholeskyCov``, which draws the scales and correlations as one factor, the same
    model stuck in some fits of the HSB capstone, with a chain near a slope sd of zero.) With
    ``intercepts="centered"`` the intercepts are drawn directly,
    :math:`\alpha_j \sim N(\text{mean}_j, \tau_\alpha^2)`, and only the slopes are
    non-centred, given the intercept (:math:`z_{j0} = (\alpha_j - \text{mean}_j) /
    \tau_\alpha`): the same model, which mixes better when groups hold dozens of rows each.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    outcome : str
        Numeric outcome column.
    group : str
        Grouping column (at least three groups).
    varying : sequence of str
        Numeric predictors whose slope varies by group (e.g. ``["ses_within"]``). Centre
        them: the intercept-slope correlation depends on where zero is.
    predictors : sequence of str, optional
        Numeric predictors with one common slope (``beta``).
    group_predictors : sequence of str, optional
        Group-level columns that predict the intercept (``gamma``), as in
        :func:`group_predictors_model`.
    eta : float
        LKJ shape: 1 is uniform over correlation matrices; larger values favour weaker
        correlations. The default 2 gently doubts extreme correlations.
    intercepts : {"auto", "noncentered", "centered"}
        Parameterisation of the intercepts (the slopes are always non-centred). Centred
        intercepts suit groups with much data each; ``"auto"`` chooses by the rule of
        :func:`auto_parameterizations` (the form used is in ``model.parameterization``).
    sufficient_statistics : bool
        Compute the likelihood from per-group sums (same posterior, O(groups) instead of
        O(rows) per gradient). The model then has a ``pymc.Potential`` ``loglik`` instead of
        the observed variable ``y`` and no ``obs`` dim, so it cannot draw predictions per row.

    Returns
    -------
    pymc.Model
        Variables ``mu``, ``mu_slope`` (mean slope, dim ``varying``), ``tau`` (dim ``effect``:
        ``intercept`` then the varying predictors), ``chol_corr`` (the Cholesky factor of the
        correlation matrix), ``corr`` (dims ``effect``, ``effect_bis``),
        ``z`` (dims ``group``, ``effect``; ``group``, ``varying`` with centred intercepts),
        ``alpha`` (dim ``group``), ``slope`` (dims
        ``group``, ``varying``), ``sigma``, and ``beta``, ``gamma``, ``alpha_pred`` when
        asked for.

    Raises
    ------
    KeyError, TypeError
        For a missing or non-numeric column.
    ValueError
        If ``varying`` is empty, a column has two roles, there are fewer than three groups or
        every group has a single row, ``eta`` is not positive, or a group predictor is not
        constant within groups.

    Examples
    --------
    >>> from hlmkit import simulate_literacy, varying_slopes_model
    >>> students = simulate_literacy(seed=1).students
    >>> model = varying_slopes_model(students, "literacy", "school", ["ses"])
    >>> model.named_vars_to_dims["slope"], list(model.coords["effect"])
    (('school', 'varying'), ['intercept', 'ses'])
    """
    group = _check_group_name(group, "group")
    varying = _column_names(varying, "varying")
    if not varying:
        raise ValueError(
            "`varying` is empty: name at least one predictor whose slope varies, or use partial_pooling_model."
        )
    predictors = _column_names(predictors, "predictors")
    both = [name for name in varying if name in predictors]
    if both:
        raise ValueError(
            f"Column(s) {both} are in both `varying` and `predictors`: a varying slope already has a "
            "common mean (mu_slope), so list each predictor once."
        )
    eta = check_positive(eta, "eta")
    if intercepts not in CHOICES:
        raise ValueError(f"`intercepts` must be one of {CHOICES}, got {intercepts!r}.")
    sufficient_statistics = _check_flag(sufficient_statistics, "sufficient_statistics")
    group_predictors = _column_names(group_predictors, "group_predictors")
    design = _design(data, outcome, predictors, group=group)
    slopes = _design(data, outcome, varying, group=group)
    index = encode_groups(data, group)
    if index.n_groups < 3:
        raise ValueError(
            f"Varying slopes need at least three groups in {group!r} to learn a correlation, "
            f"found {index.n_groups}: use partial_pooling_model, or more groups."
        )
    check_not_all_singletons(index.sizes, group)
    w, w_scale = _group_level_design(
        data, group, group_predictors, index, [outcome, group, *design.predictors, *varying]
    )
    intercepts = _resolve(intercepts, design, index, "intercepts", np.column_stack([slopes.x, w[index.codes]]))
    effects = ["intercept", *varying]
    coords = _coords(design, len(data), index) | {"varying": varying, "effect": effects, "effect_bis": effects}
    if group_predictors:
        coords["group_predictor"] = group_predictors
    if sufficient_statistics:
        del coords["obs"]
    n_effects = len(effects)
    with pm.Model(coords=coords) as model:
        intercept_mean = _group_mean(design, w, w_scale, group, group_predictors)
        mu_slope = pm.Normal("mu_slope", mu=0.0, sigma=2.5 * design.y_scale / slopes.x_scale, dims="varying")
        # Standard deviations and correlations, each with its own prior: tau_k ~ HalfNormal(scale_k)
        # (intercept: s_y; slope: s_y / s_x) and the correlation matrix ~ LKJ(eta), through its
        # Cholesky factor. Their product diag(tau) L is the Cholesky factor of the covariance.
        sd_scales = np.concatenate([[design.y_scale], design.y_scale / slopes.x_scale])
        tau = pm.HalfNormal("tau", sigma=sd_scales, dims="effect")
        chol_corr = pm.LKJCorr("chol_corr", n=n_effects, eta=eta)
        pm.Deterministic("corr", chol_corr @ chol_corr.T, dims=("effect", "effect_bis"))
        if intercepts == "centered":
            alpha = pm.Normal("alpha", mu=intercept_mean, sigma=tau[0], dims=group)
            z_slope = pm.Normal("z", 0.0, 1.0, dims=(group, "varying"))
            # The first row of a correlation's Cholesky factor is (1, 0, ...): the intercept's own
            # standardised deviation is z_0 = (alpha - mean) / tau_0, and the slopes follow from it.
            z = pt.concatenate([((alpha - intercept_mean) / tau[0])[:, None], z_slope], axis=1)
            deviations = pm.math.dot(z, chol_corr.T) * tau
        else:
            z = pm.Normal("z", 0.0, 1.0, dims=(group, "effect"))
            deviations = pm.math.dot(z, chol_corr.T) * tau
            alpha = pm.Deterministic("alpha", intercept_mean + deviations[:, 0], dims=group)
        slope = pm.Deterministic("slope", mu_slope + deviations[:, 1:], dims=(group, "varying"))
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        if sufficient_statistics:
            sums = _group_sums(design, slopes.x, index)
            pm.Potential("loglik", _sufficient_loglik(sums, alpha, slope, _common_slopes(design), sigma))
        else:
            group_code = pm.Data(f"{group}_code", index.codes, dims="obs")
            x_varying = pm.Data("x_varying", slopes.x, dims=("obs", "varying"))
            mean = alpha[group_code] + (x_varying * slope[group_code]).sum(axis=-1) + _slopes(design)
            pm.Normal("y", mu=mean, sigma=sigma, observed=design.y, dims="obs")
    model.parameterization = {group: intercepts}
    return model


def nested_model(
    data: pd.DataFrame,
    outcome: str,
    levels: Sequence[str],
    predictors: Sequence[str] = (),
    *,
    group_predictors: Sequence[str] = (),
    parameterization: str | Mapping[str, str] = "auto",
    sufficient_statistics: bool = False,
) -> pm.Model:
    r"""Varying intercepts at several nested levels: students in schools in counties in states.

    Each unit's intercept is drawn around its parent's, so a school borrows from its
    county, a county from its state, a state from the region:

    .. math::

        y_i &\sim N(\alpha_{j[i]} + x_i^\top\beta, \sigma^2),\\
        \alpha_j &= \mu + w_j^\top\gamma + u^{\text{state}}_{s[j]} + u^{\text{county}}_{c[j]}
            + u^{\text{school}}_j, \quad u^{\ell} \sim N(0, \tau_\ell^2).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    outcome : str
        Numeric outcome column.
    levels : sequence of str
        Grouping columns from the top level down, e.g. ``["state", "county", "school"]``;
        each must be nested in the one before (see :func:`hlmkit.parent_codes`), and each
        must have at least two groups.
    predictors : sequence of str, optional
        Numeric student-level predictors with common slopes.
    group_predictors : sequence of str, optional
        Numeric columns constant within each group of the *lowest* level (e.g. a school's
        locale or mean SES), with slopes ``gamma``.
    parameterization : {"auto", "noncentered", "centered"} or mapping
        One choice for every level, or ``{level: choice}`` (levels left out are
        non-centred). Non-centred suits levels whose units hold little information (a few
        states or counties); centred suits units with much data each. ``"auto"`` chooses per
        level by the rule of :func:`auto_parameterizations`; the forms used are in
        ``model.parameterization``.
    sufficient_statistics : bool
        Compute the likelihood from per-group sums (same posterior, O(groups) instead of
        O(rows) per gradient). The model then has a ``pymc.Potential`` ``loglik`` instead of
        the observed variable ``y`` and no ``obs`` dim, so it cannot draw predictions per row.

    Returns
    -------
    pymc.Model
        Variables ``mu``, ``tau`` (dim ``level``), ``sigma``, ``beta`` and ``gamma`` when
        asked for; for each level an ``effect_<level>`` (the unit's deviation from its
        parent) and an ``alpha_<level>`` (its intercept), both with the level's dim; the
        lowest level's intercept is called ``alpha``. Non-centred levels also have ``z_<level>``.

    Raises
    ------
    KeyError, TypeError
        For a missing or non-numeric column.
    ValueError
        If ``levels`` is empty or repeats a column, a level is not nested in the one
        above or has fewer than two groups, every group of the lowest level has a single row,
        a column has two roles, or a parameterization is unknown.

    Examples
    --------
    >>> from hlmkit import nested_model, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> model = nested_model(students, "literacy", ["state", "county", "school"], ["ses"])
    >>> list(model.coords["level"]), model.named_vars_to_dims["effect_county"]
    (['state', 'county', 'school'], ('county',))
    """
    levels = _column_names(levels, "levels")
    if not levels:
        raise ValueError("`levels` is empty: name the grouping columns from the top level down.")
    for level in levels:
        _check_group_name(level, "levels")
    choices = check_parameterizations(parameterization, levels, CHOICES)
    group_predictors = _column_names(group_predictors, "group_predictors")
    sufficient_statistics = _check_flag(sufficient_statistics, "sufficient_statistics")
    bottom = levels[-1]
    design = _design(data, outcome, predictors, group=bottom)
    roles = [outcome, *design.predictors]
    clash = [level for level in levels if level in roles]
    if clash:
        raise ValueError(f"Level column(s) {clash} are also the outcome or a predictor: give each column one role.")
    check_columns(data, levels)
    indexes = [encode_groups(data, level) for level in levels]
    few = {level: index.n_groups for level, index in zip(levels, indexes, strict=True) if index.n_groups < 2}
    if few:
        raise ValueError(
            f"Each level needs at least two groups to learn how they differ; found {few}. "
            "Drop that level from `levels`."
        )
    check_not_all_singletons(indexes[-1].sizes, bottom)
    parents = [parent_codes(data, child, parent) for parent, child in zip(levels[:-1], levels[1:], strict=True)]
    w, w_scale = _group_level_design(data, bottom, group_predictors, indexes[-1], [*roles, *levels])
    if "auto" in choices.values():
        x = design.x if not group_predictors else np.column_stack([design.x, w[indexes[-1].codes]])
        rule = auto_parameterizations(design.y, x, indexes, parents)
        choices = {level: rule[level] if choice == "auto" else choice for level, choice in choices.items()}
    coords = _coords(design, len(data)) | {"level": levels}
    for index in indexes:
        coords.update(index.coords)
    if group_predictors:
        coords["group_predictor"] = group_predictors
    if sufficient_statistics:
        del coords["obs"]
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("mu", mu=design.y_mean, sigma=2.5 * design.y_scale)
        tau = pm.HalfNormal("tau", sigma=design.y_scale, dims="level")
        parent_alpha: Any = None
        for k, level in enumerate(levels):
            mean = mu if k == 0 else parent_alpha[parents[k - 1]]
            if level == bottom and group_predictors:
                w_data = pm.Data("w", w, dims=(bottom, "group_predictor"))
                gamma = pm.Normal("gamma", mu=0.0, sigma=2.5 * design.y_scale / w_scale, dims="group_predictor")
                mean = mean + pm.math.dot(w_data, gamma)
            name = "alpha" if level == bottom else f"alpha_{level}"
            if choices[level] == "centered":
                alpha_level = pm.Normal(name, mu=mean, sigma=tau[k], dims=level)
                pm.Deterministic(f"effect_{level}", alpha_level - mean, dims=level)
            else:
                z = pm.Normal(f"z_{level}", 0.0, 1.0, dims=level)
                effect = pm.Deterministic(f"effect_{level}", tau[k] * z, dims=level)
                alpha_level = pm.Deterministic(name, mean + effect, dims=level)
            parent_alpha = alpha_level
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        if sufficient_statistics:
            sums = _group_sums(design, np.zeros((len(data), 0)), indexes[-1])
            pm.Potential("loglik", _sufficient_loglik(sums, parent_alpha, None, _common_slopes(design), sigma))
        else:
            bottom_code = pm.Data(f"{bottom}_code", indexes[-1].codes, dims="obs")
            pm.Normal("y", mu=parent_alpha[bottom_code] + _slopes(design), sigma=sigma, observed=design.y, dims="obs")
    model.parameterization = dict(choices)
    return model
