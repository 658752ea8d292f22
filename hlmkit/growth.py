"""Growing the model (chapters 5-8): group-level predictors, varying slopes, more levels.

The same priors as the pooling builders of :mod:`hlmkit.models`, scaled to the data; the
same ``parameterization`` rule; and the same choice of likelihood, per row or from sums.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from hlmkit._design import _check_group_name, _coords, _design, _group_level_design
from hlmkit._parameterization import CHOICES, _resolve, auto_parameterizations
from hlmkit._parts import _group_mean, _level_intercepts, _likelihood, _varying_intercepts
from hlmkit._validate import (
    check_columns,
    check_flag,
    check_names,
    check_not_all_singletons,
    check_parameterizations,
    check_positive,
)
from hlmkit.coding import _encode, _parent_codes


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
    sufficient_statistics = check_flag(sufficient_statistics, "sufficient_statistics")
    group = _check_group_name(group, "group")
    group_predictors = check_names(group_predictors, "group_predictors")
    design = _design(data, outcome, predictors, group=group)
    index = _encode(data, group)
    if index.n_groups < 2:
        raise ValueError(
            f"A multilevel model needs at least two groups in {group!r}, found one. Use complete_pooling_model instead."
        )
    check_not_all_singletons(index.sizes, group)
    w, w_scale = _group_level_design(data, group, group_predictors, index, [outcome, group, *design.predictors])
    parameterization = _resolve(parameterization, design, index, "parameterization", w[index.codes])
    coords = _coords(design, index.coords, group_predictors=group_predictors, rows=not sufficient_statistics)
    with pm.Model(coords=coords) as model:
        alpha_pred = _group_mean(design, w, w_scale, group, group_predictors)
        tau = pm.HalfNormal("tau", sigma=design.y_scale)
        alpha = _varying_intercepts(alpha_pred, tau, group, parameterization)
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        _likelihood(design, index, alpha, sigma, sufficient_statistics=sufficient_statistics)
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
    varying = check_names(varying, "varying")
    if not varying:
        raise ValueError(
            "`varying` is empty: name at least one predictor whose slope varies, or use partial_pooling_model."
        )
    predictors = check_names(predictors, "predictors")
    both = [name for name in varying if name in predictors]
    if both:
        raise ValueError(
            f"Column(s) {both} are in both `varying` and `predictors`: a varying slope already has a "
            "common mean (mu_slope), so list each predictor once."
        )
    eta = check_positive(eta, "eta")
    if intercepts not in CHOICES:
        raise ValueError(f"`intercepts` must be one of {CHOICES}, got {intercepts!r}.")
    sufficient_statistics = check_flag(sufficient_statistics, "sufficient_statistics")
    group_predictors = check_names(group_predictors, "group_predictors")
    design = _design(data, outcome, predictors, group=group, varying=varying)
    index = _encode(data, group)
    if index.n_groups < 3:
        raise ValueError(
            f"Varying slopes need at least three groups in {group!r} to learn a correlation, "
            f"found {index.n_groups}: use partial_pooling_model, or more groups."
        )
    check_not_all_singletons(index.sizes, group)
    w, w_scale = _group_level_design(
        data, group, group_predictors, index, [outcome, group, *design.predictors, *varying]
    )
    intercepts = _resolve(intercepts, design, index, "intercepts", np.column_stack([design.v, w[index.codes]]))
    effects = ["intercept", *varying]
    effect_coords = {"varying": varying, "effect": effects, "effect_bis": effects}
    coords = _coords(
        design, index.coords, effect_coords, group_predictors=group_predictors, rows=not sufficient_statistics
    )
    n_effects = len(effects)
    with pm.Model(coords=coords) as model:
        intercept_mean = _group_mean(design, w, w_scale, group, group_predictors)
        mu_slope = pm.Normal("mu_slope", mu=0.0, sigma=2.5 * design.y_scale / design.v_scale, dims="varying")
        # Standard deviations and correlations, each with its own prior: tau_k ~ HalfNormal(scale_k)
        # (intercept: s_y; slope: s_y / s_x) and the correlation matrix ~ LKJ(eta), through its
        # Cholesky factor. Their product diag(tau) L is the Cholesky factor of the covariance.
        sd_scales = np.concatenate([[design.y_scale], design.y_scale / design.v_scale])
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
        _likelihood(design, index, alpha, sigma, sufficient_statistics=sufficient_statistics, slope=slope)
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
    levels = check_names(levels, "levels")
    if not levels:
        raise ValueError("`levels` is empty: name the grouping columns from the top level down.")
    for level in levels:
        _check_group_name(level, "levels")
    choices = check_parameterizations(parameterization, levels, CHOICES)
    group_predictors = check_names(group_predictors, "group_predictors")
    sufficient_statistics = check_flag(sufficient_statistics, "sufficient_statistics")
    bottom = levels[-1]
    design = _design(data, outcome, predictors, group=bottom)
    roles = [outcome, *design.predictors]
    clash = [level for level in levels if level in roles]
    if clash:
        raise ValueError(f"Level column(s) {clash} are also the outcome or a predictor: give each column one role.")
    check_columns(data, levels)
    indexes = [_encode(data, level) for level in levels]
    few = {level: index.n_groups for level, index in zip(levels, indexes, strict=True) if index.n_groups < 2}
    if few:
        raise ValueError(
            f"Each level needs at least two groups to learn how they differ; found {few}. "
            "Drop that level from `levels`."
        )
    check_not_all_singletons(indexes[-1].sizes, bottom)
    parents = [_parent_codes(child, parent) for parent, child in zip(indexes[:-1], indexes[1:], strict=True)]
    w, w_scale = _group_level_design(data, bottom, group_predictors, indexes[-1], [*roles, *levels])
    if "auto" in choices.values():
        x = design.x if not group_predictors else np.column_stack([design.x, w[indexes[-1].codes]])
        rule = auto_parameterizations(design.y, x, indexes, parents)
        choices = {level: rule[level] if choice == "auto" else choice for level, choice in choices.items()}
    level_coords = [{"level": levels}, *(index.coords for index in indexes)]
    coords = _coords(design, *level_coords, group_predictors=group_predictors, rows=not sufficient_statistics)
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
            parent_alpha = _level_intercepts(name, level, mean, tau[k], choices[level])
        sigma = pm.HalfNormal("sigma", sigma=design.y_scale)
        _likelihood(design, indexes[-1], parent_alpha, sigma, sufficient_statistics=sufficient_statistics)
    model.parameterization = dict(choices)
    return model
