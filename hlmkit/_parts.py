"""The pieces of PyMC the Gaussian builders share, each a few lines of the model on the page.

Common slopes, the mean the group intercepts are drawn around, the intercepts in either
form, and the likelihood: observed per row, or computed from per-group sums (the same
posterior at O(groups) per gradient).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hlmkit._design import _Design
from hlmkit.coding import GroupIndex


def _slopes(design: _Design) -> pm.Deterministic | float:
    """Add the common slopes (if any) to the model in context and return X @ beta."""
    if not design.predictors:
        return 0.0
    beta = pm.Normal("beta", mu=0.0, sigma=2.5 * design.y_scale / design.x_scale, dims="predictor")
    x = pm.Data("x", design.x, dims=("obs", "predictor"))
    return pm.math.dot(x, beta)


def _common_slopes(design: _Design):
    """Add the common slopes ``beta`` alone (no data node): for likelihoods computed from sums."""
    if not design.predictors:
        return None
    return pm.Normal("beta", mu=0.0, sigma=2.5 * design.y_scale / design.x_scale, dims="predictor")


def _group_mean(design: _Design, w: np.ndarray, w_scale: np.ndarray, group: str, names: list[str]):
    """Add ``mu`` (and ``gamma``, ``alpha_pred`` if there are group predictors); return the group means."""
    mu = pm.Normal("mu", mu=design.y_mean, sigma=2.5 * design.y_scale)
    if not names:
        return mu
    w_data = pm.Data("w", w, dims=(group, "group_predictor"))
    gamma = pm.Normal("gamma", mu=0.0, sigma=2.5 * design.y_scale / w_scale, dims="group_predictor")
    return pm.Deterministic("alpha_pred", mu + pm.math.dot(w_data, gamma), dims=group)


def _varying_intercepts(mean, tau, group: str, parameterization: str):
    """Add the group intercepts ``alpha`` ~ N(mean, tau^2): drawn directly, or as ``mean + tau * z``."""
    if parameterization == "noncentered":
        z = pm.Normal("z", 0.0, 1.0, dims=group)
        return pm.Deterministic("alpha", mean + tau * z, dims=group)
    return pm.Normal("alpha", mu=mean, sigma=tau, dims=group)


def _level_intercepts(name: str, level: str, mean, tau, parameterization: str):
    """Add one level's intercepts ``name`` ~ N(mean, tau^2) and their deviations ``effect_<level>``."""
    if parameterization == "centered":
        alpha = pm.Normal(name, mu=mean, sigma=tau, dims=level)
        pm.Deterministic(f"effect_{level}", alpha - mean, dims=level)
        return alpha
    z = pm.Normal(f"z_{level}", 0.0, 1.0, dims=level)
    effect = pm.Deterministic(f"effect_{level}", tau * z, dims=level)
    return pm.Deterministic(name, mean + effect, dims=level)


def _likelihood(design: _Design, index: GroupIndex, alpha, sigma, *, sufficient_statistics: bool, slope=None) -> None:
    """Add the outcome's likelihood: ``y`` observed per row, or the ``loglik`` of the per-group sums.

    ``alpha`` holds one intercept per group of ``index``; ``slope`` (groups x varying), if
    given, the group's slopes of the design's varying predictors.
    """
    if sufficient_statistics:
        sums = _group_sums(design, design.v, index)
        pm.Potential("loglik", _sufficient_loglik(sums, alpha, slope, _common_slopes(design), sigma))
        return
    group_code = pm.Data(f"{index.name}_code", index.codes, dims="obs")
    mean = alpha[group_code]
    if slope is not None:
        x_varying = pm.Data("x_varying", design.v, dims=("obs", "varying"))
        mean = mean + (x_varying * slope[group_code]).sum(axis=-1)
    pm.Normal("y", mu=mean + _slopes(design), sigma=sigma, observed=design.y, dims="obs")


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
