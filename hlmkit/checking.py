"""Checking and comparing models: predictive checks and leave-one-out cross-validation.

- **Predictive checks** simulate data from a model (before the data: :func:`prior_predictive`;
  after: :func:`posterior_predictive`), compute a statistic on every simulated data set and
  ask whether the observed statistic looks like one of them (:func:`check_statistics`).
  :func:`rate_statistics` computes school-level statistics of pass/fail counts.
- **PSIS-LOO** (ArviZ's ``az.loo`` and ``az.compare``) estimates how well a model predicts
  data it has not seen. It needs the pointwise log-likelihood, which PyMC 6 does not store
  by default: :func:`add_log_likelihood` adds it. *What* is left out matters:
  :func:`student_loo` leaves out one student at a time, :func:`group_loo` one whole school.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from arviz_stats import ELPDDataLOO
from scipy.special import expit, gammaln, log_expit, logsumexp

from hlmkit._validate import (
    check_array,
    check_columns,
    check_count,
    check_frame,
    check_mapping,
    check_name,
    check_no_missing,
    check_probability,
    check_seed,
)
from hlmkit.binary import _check_binary, _check_counts

_SAMPLE_DIMS = ("chain", "draw")


def _check_tree(idata: object, group: str = "posterior") -> xr.DataTree:
    if not isinstance(idata, xr.DataTree) or group not in idata.children:
        raise TypeError(
            f"`idata` must be an xarray.DataTree with a {group!r} group (a fit from hlmkit.sample, "
            f"or the output of hlmkit.prior_predictive / posterior_predictive), got {type(idata).__name__}"
            + (f" with groups {list(idata.children)}" if isinstance(idata, xr.DataTree) else "")
            + "."
        )
    return idata


def _check_model(model: object) -> pm.Model:
    if not isinstance(model, pm.Model):
        raise TypeError(f"`model` must be a pymc.Model (from an hlmkit builder), got {type(model).__name__}.")
    return model


def _check_fit_of(idata: xr.DataTree, model: pm.Model) -> None:
    """Raise unless the posterior holds every free variable of ``model``, with the model's shapes."""
    posterior = idata.posterior
    missing = [v.name for v in model.free_RVs if v.name not in posterior.data_vars]
    if missing:
        raise ValueError(
            f"The posterior lacks the model's free variable(s) {missing}: `idata` is not a fit of this `model`."
        )
    shapes = model.eval_rv_shapes()
    wrong = {
        v.name: (tuple(int(k) for k in shapes[v.name]), posterior[v.name].shape[2:])
        for v in model.free_RVs
        if tuple(int(k) for k in shapes[v.name]) != tuple(posterior[v.name].shape[2:])
    }
    if wrong:
        raise ValueError(
            f"The posterior's draws have other shapes than the model's variables (model, posterior): {wrong}: "
            "`idata` is not a fit of this `model`."
        )


class _quiet_pymc:
    """Silence the `pymc` logger's 'Sampling: [...]' line while PyMC runs (the book reports itself)."""

    def __enter__(self) -> None:
        self._logger = logging.getLogger("pymc")
        self._level = self._logger.level
        self._logger.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        self._logger.setLevel(self._level)


def add_log_likelihood(idata: xr.DataTree, model: pm.Model) -> xr.DataTree:
    """Return a copy of a fit with a ``log_likelihood`` group, as ``az.loo`` needs.

    :func:`hlmkit.sample` (like ``pm.sample`` in PyMC 6) does not store the pointwise
    log-likelihood; this computes it from the posterior draws with
    ``pm.compute_log_likelihood``. The fit passed in is left unchanged.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of ``model`` from :func:`hlmkit.sample`.
    model : pymc.Model
        The model that was sampled.

    Returns
    -------
    xarray.DataTree
        A shallow copy of ``idata`` with a ``log_likelihood`` group: one value per draw and
        observation (dims ``chain``, ``draw`` and those of the likelihood, e.g. ``obs``).

    Raises
    ------
    TypeError
        If ``idata`` has no posterior or ``model`` is not a PyMC model.
    ValueError
        If the posterior lacks a free variable of ``model`` or holds it with another shape (a
        fit of another model).

    Examples
    --------
    >>> from hlmkit import add_log_likelihood, aggregate_binary, binomial_model, sample, simulate_literacy
    >>> schools = aggregate_binary(simulate_literacy(seed=1).students, "proficient", "school")
    >>> model = binomial_model(schools, "successes", "trials", pooling="complete")
    >>> idata = sample(model, seed=1, draws=100, tune=100, chains=2, sampler="pymc", progressbar=False)
    >>> fit = add_log_likelihood(idata, model)
    >>> dict(fit.log_likelihood["y"].sizes) == {"chain": 2, "draw": 100, "obs": len(schools)}
    True
    >>> "log_likelihood" in idata.children
    False
    """
    idata = _check_tree(idata)
    model = _check_model(model)
    _check_fit_of(idata, model)
    fit = idata.copy()
    if "log_likelihood" in fit.children:
        del fit["log_likelihood"]
    with _quiet_pymc():
        pm.compute_log_likelihood(fit, model=model, extend_inferencedata=True, progressbar=False)
    return fit


def prior_predictive(model: pm.Model, *, seed: int, draws: int = 500) -> xr.DataTree:
    """Simulate parameters and data from a model's priors alone: what it believes before the data.

    Parameters
    ----------
    model : pymc.Model
        A model from an hlmkit builder.
    seed : int
        Seed of the simulation.
    draws : int
        Number of simulated data sets.

    Returns
    -------
    xarray.DataTree
        Groups ``prior`` (parameters), ``prior_predictive`` (simulated outcomes, e.g. ``y``)
        and ``observed_data``, each with one chain.

    Raises
    ------
    TypeError
        If ``model`` is not a PyMC model or ``seed``/``draws`` are not integers.

    Examples
    --------
    >>> from hlmkit import aggregate_binary, binomial_model, prior_predictive, simulate_literacy
    >>> schools = aggregate_binary(simulate_literacy(seed=1).students, "proficient", "school")
    >>> prior = prior_predictive(binomial_model(schools, "successes", "trials", "school"), seed=1, draws=50)
    >>> prior.prior_predictive["y"].shape == (1, 50, len(schools))
    True
    """
    model = _check_model(model)
    seed = check_seed(seed)
    draws = check_count(draws, "draws")
    with _quiet_pymc():
        return pm.sample_prior_predictive(draws=draws, model=model, random_seed=seed)


def posterior_predictive(idata: xr.DataTree, model: pm.Model, *, seed: int) -> xr.DataTree:
    """Simulate a replicated data set from each posterior draw: what the fitted model expects to see.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of ``model`` from :func:`hlmkit.sample`.
    model : pymc.Model
        The model that was sampled.
    seed : int
        Seed of the simulation.

    Returns
    -------
    xarray.DataTree
        A shallow copy of ``idata`` with a ``posterior_predictive`` group (same draws as the
        posterior). The fit passed in is left unchanged.

    Raises
    ------
    TypeError
        If ``idata`` has no posterior, ``model`` is not a PyMC model or ``seed`` is not an integer.
    ValueError
        If the posterior lacks a free variable of ``model`` or holds it with another shape (a
        fit of another model).

    Examples
    --------
    >>> from hlmkit import aggregate_binary, binomial_model, posterior_predictive, sample, simulate_literacy
    >>> schools = aggregate_binary(simulate_literacy(seed=1).students, "proficient", "school")
    >>> model = binomial_model(schools, "successes", "trials", pooling="complete")
    >>> idata = sample(model, seed=1, draws=100, tune=100, chains=2, sampler="pymc", progressbar=False)
    >>> posterior_predictive(idata, model, seed=1).posterior_predictive["y"].shape == (2, 100, len(schools))
    True
    """
    idata = _check_tree(idata)
    model = _check_model(model)
    seed = check_seed(seed)
    _check_fit_of(idata, model)
    with _quiet_pymc():
        replicated = pm.sample_posterior_predictive(
            idata, model=model, random_seed=seed, progressbar=False, extend_inferencedata=False
        )
    fit = idata.copy()
    fit["posterior_predictive"] = replicated["posterior_predictive"]
    return fit


def predictive_draws(idata: xr.DataTree, var_name: str = "y", *, group: str = "posterior_predictive") -> np.ndarray:
    """Return simulated outcomes as an array: one row per draw (chains stacked), one column per observation.

    Parameters
    ----------
    idata : xarray.DataTree
        Output of :func:`prior_predictive` or :func:`posterior_predictive`.
    var_name : str
        The simulated variable (the likelihood's name, ``"y"`` in hlmkit builders).
    group : {"posterior_predictive", "prior_predictive"}
        Which simulations to return.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_draws, n_obs)`` (or ``(n_draws, *dims)``).

    Raises
    ------
    TypeError
        If ``idata`` lacks ``group``, or ``var_name`` is not a string.
    KeyError
        If ``var_name`` is not in the group.
    ValueError
        If ``group`` is not one of the two predictive groups.

    Examples
    --------
    >>> from hlmkit import aggregate_binary, binomial_model, predictive_draws, prior_predictive, simulate_literacy
    >>> schools = aggregate_binary(simulate_literacy(seed=1).students, "proficient", "school")
    >>> prior = prior_predictive(binomial_model(schools, "successes", "trials", "school"), seed=1, draws=50)
    >>> predictive_draws(prior, group="prior_predictive").shape == (50, len(schools))
    True
    """
    if group not in ("posterior_predictive", "prior_predictive"):
        raise ValueError(f"`group` must be one of 'posterior_predictive', 'prior_predictive', got {group!r}.")
    check_name(var_name, "var_name", kind="variable")
    tree = _check_tree(idata, group)
    available = list(tree[group].data_vars)
    if var_name not in available:
        raise KeyError(f"{var_name!r} is not in the {group} group. Available: {available}.")
    draws = tree[group][var_name]
    return draws.stack(sample=_SAMPLE_DIMS).transpose("sample", ...).values


def rate_statistics(
    successes: np.ndarray, trials: np.ndarray, *, small: int = 15
) -> dict[str, np.ndarray]:
    """School-level statistics of pass/fail counts, for observed or simulated data alike.

    Each statistic is computed along the last axis (schools), so ``successes`` may be one
    data set (shape ``(n_schools,)``) or many simulated ones (shape ``(n_draws, n_schools)``).

    Parameters
    ----------
    successes : array_like
        Proficient pupils per school; the last axis runs over schools.
    trials : array_like
        Pupils tested per school, shape ``(n_schools,)``.
    small : int
        Schools with at most this many pupils count as small.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"overall rate"`` (share of all pupils who are proficient), ``"sd of school rates"``,
        ``"sd of small-school rates"``, ``"share of small schools at 0% or 100%"``,
        ``"lowest school rate"`` and ``"highest school rate"``: one value per data set.

    Raises
    ------
    TypeError
        If a count is not a number, or ``small`` is not an integer.
    ValueError
        If shapes disagree, counts are invalid (not whole, not finite, negative, above their
        trials) or there are fewer than two small schools.

    Examples
    --------
    >>> import numpy as np
    >>> from hlmkit import rate_statistics
    >>> stats = rate_statistics(np.array([0, 3, 5, 40]), np.array([4, 6, 5, 80]), small=10)
    >>> float(stats["share of small schools at 0% or 100%"])
    0.6666666666666666
    >>> float(stats["overall rate"])
    0.5052631578947369
    """
    k = check_array(successes, "successes")
    n = check_array(trials, "trials")
    if n.ndim != 1 or k.shape[-1:] != n.shape:
        raise ValueError(
            f"`trials` must be one count per school and the last axis of `successes` must match it; "
            f"got shapes {k.shape} and {n.shape}."
        )
    if (k != np.round(k)).any() or (n != np.round(n)).any():
        raise ValueError("`successes` and `trials` must be whole numbers (counts of pupils), not rates.")
    if (n < 1).any() or (k < 0).any() or (k > n).any():
        raise ValueError("Counts must satisfy 0 <= successes <= trials and trials >= 1 for every school.")
    small = check_count(small, "small")
    is_small = n <= small
    if is_small.sum() < 2:
        raise ValueError(f"Fewer than two schools have at most {small} pupils; raise `small`.")
    rate = k / n
    return {
        "overall rate": k.sum(axis=-1) / n.sum(),
        "sd of school rates": rate.std(axis=-1, ddof=1),
        "sd of small-school rates": rate[..., is_small].std(axis=-1, ddof=1),
        "share of small schools at 0% or 100%": ((rate[..., is_small] == 0) | (rate[..., is_small] == 1)).mean(axis=-1),
        "lowest school rate": rate.min(axis=-1),
        "highest school rate": rate.max(axis=-1),
    }


def check_statistics(
    replicated: Mapping[str, np.ndarray], observed: Mapping[str, float], *, prob: float = 0.9
) -> pd.DataFrame:
    """Compare observed statistics with their predictive distribution: one row per statistic.

    Parameters
    ----------
    replicated : mapping of str to array_like
        For each statistic, its value in every simulated data set (one per draw).
    observed : mapping of str to float
        The same statistics computed on the observed data.
    prob : float
        Probability of the central interval of the simulated values.

    Returns
    -------
    pandas.DataFrame
        Indexed by statistic: ``observed``, ``predicted`` (mean of the simulations), ``lower``,
        ``upper`` (central interval) and ``p_value``, the posterior (or prior) predictive
        p-value: the share of simulations larger than the observed value, with ties counted
        half (the "mid p-value", so that a statistic at a boundary, such as a lowest rate of
        0%, is not flagged merely because it cannot be exceeded in one direction). Values near
        0 or 1 flag a statistic the model does not reproduce; near 0.5 is comfortable.

    Raises
    ------
    TypeError
        If an argument is not a mapping, or a value is not numeric.
    KeyError
        If a statistic is in one mapping and not the other.
    ValueError
        If ``prob`` is not in (0, 1), a statistic has no simulations, or a value is not finite
        (a NaN would silently give a p-value of 0).

    Examples
    --------
    >>> import numpy as np
    >>> from hlmkit import check_statistics
    >>> table = check_statistics({"mean": np.arange(100.0)}, {"mean": 89.5})
    >>> float(table.loc["mean", "p_value"])
    0.1
    """
    check_mapping(replicated, "replicated", "{statistic: simulated values}")
    check_mapping(observed, "observed", "{statistic: observed value}")
    if set(replicated) != set(observed):
        raise KeyError(
            f"`replicated` and `observed` must name the same statistics; got {sorted(replicated)} "
            f"and {sorted(observed)}."
        )
    check_probability(prob, "prob")
    rows = {}
    tail = (1 - prob) / 2
    for name, values in replicated.items():
        values = check_array(values, f"replicated[{name!r}]").ravel()
        if values.size == 0:
            raise ValueError(f"The statistic {name!r} has no simulated values.")
        observed_value = check_array(observed[name], f"observed[{name!r}]")
        if observed_value.size != 1:
            raise ValueError(f"`observed[{name!r}]` must be one number, got {observed_value.size} values.")
        obs = float(observed_value.ravel()[0])
        rows[name] = {
            "observed": obs,
            "predicted": float(values.mean()),
            "lower": float(np.quantile(values, tail)),
            "upper": float(np.quantile(values, 1 - tail)),
            "p_value": float((values > obs).mean() + 0.5 * (values == obs).mean()),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("statistic")


def _posterior_values(idata: xr.DataTree, name: str | float, argument: str) -> np.ndarray | float:
    """Draws of a scalar posterior variable (chain x draw), or a fixed number."""
    if isinstance(name, bool):
        raise TypeError(f"`{argument}` must be a variable name or a number, got {name!r}.")
    if isinstance(name, int | float):
        if not np.isfinite(name):
            raise ValueError(f"`{argument}` must be finite, got {name}.")
        return float(name)
    if not isinstance(name, str):
        raise TypeError(f"`{argument}` must be a variable name or a number, got {name!r}.")
    available = list(idata.posterior.data_vars)
    if name not in available:
        raise KeyError(f"`{argument}`={name!r} is not in the posterior. Available: {available}.")
    values = idata.posterior[name]
    if set(values.dims) != set(_SAMPLE_DIMS):
        raise ValueError(f"`{argument}`={name!r} must be a scalar parameter, but has dims {values.dims}.")
    return values.transpose(*_SAMPLE_DIMS).values


def integrated_log_likelihood(
    successes: np.ndarray,
    trials: np.ndarray,
    mu: np.ndarray | float,
    tau: np.ndarray | float,
    *,
    n_nodes: int = 25,
) -> np.ndarray:
    r"""Log-probability of a group's counts with its effect integrated out over Normal(mu, tau).

    .. math::
        \log p(s_j \mid n_j, \mu, \tau) = \log \int
        \mathrm{Binomial}(s_j \mid n_j, \operatorname{logit}^{-1} a)\,
        \mathrm{Normal}(a \mid \mu, \tau^2)\, da

    This is how probable a *new* group's counts are under the population of groups: the
    leave-one-group-out likelihood. The integral is computed by adaptive Gauss-Hermite
    quadrature (centred at the mode of the integrand, scaled by its curvature, as lme4's
    ``nAGQ``), accurate to many digits for groups of any size. ``tau = 0`` gives the binomial
    probability at :math:`\operatorname{logit}^{-1}\mu`.

    Parameters
    ----------
    successes, trials : array_like
        Counts per group, shape ``(n_groups,)``.
    mu, tau : array_like or float
        Population mean and sd of the group log-odds: numbers, or arrays of posterior draws of
        any shape ``S`` (e.g. ``(chain, draw)``).
    n_nodes : int
        Quadrature nodes, 2 to 200.

    Returns
    -------
    numpy.ndarray
        Shape ``S + (n_groups,)``.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If counts are invalid, ``tau`` is negative, values are not finite, or ``n_nodes`` is
        outside 2 to 200.

    Examples
    --------
    >>> import numpy as np
    >>> from hlmkit import integrated_log_likelihood
    >>> # tau = 0: exactly the binomial probability of 3 of 4 at p = 1/2, i.e. 4/16.
    >>> round(float(np.exp(integrated_log_likelihood([3], [4], 0.0, 0.0)[0])), 12)
    0.25
    """
    k = check_array(successes, "successes", finite=False)
    n = check_array(trials, "trials", finite=False)
    if k.ndim != 1 or k.shape != n.shape:
        raise ValueError(f"`successes` and `trials` must be 1-d and of equal length, got {k.shape} and {n.shape}.")
    if (n < 1).any() or (k < 0).any() or (k > n).any() or (k != np.round(k)).any() or (n != np.round(n)).any():
        raise ValueError("Counts must be whole numbers with 0 <= successes <= trials and trials >= 1.")
    mu = check_array(mu, "mu", finite=False)
    tau = check_array(tau, "tau", finite=False)
    if not (np.isfinite(mu).all() and np.isfinite(tau).all()) or (tau < 0).any():
        raise ValueError("`mu` must be finite and `tau` finite and non-negative.")
    n_nodes = check_count(n_nodes, "n_nodes", minimum=2)
    if n_nodes > 200:  # hermgauss solves an n x n eigenproblem; past ~150 nodes the new weights underflow to 0
        raise ValueError(f"`n_nodes` must be at most 200 (25 is plenty for a logit-normal), got {n_nodes}.")
    mu, tau = np.broadcast_arrays(mu, tau)
    m = mu[..., None]
    t = tau[..., None]
    log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
    point = log_choose + k * log_expit(m) + (n - k) * log_expit(-m)  # tau = 0
    safe_t = np.where(t > 0, t, 1.0)
    precision = 1.0 / safe_t**2

    def kernel(a: np.ndarray) -> np.ndarray:
        # k log(expit(a)) + (n - k) log(expit(-a)), using log expit(-a) = log expit(a) - a.
        return n * log_expit(a) - (n - k) * a - 0.5 * (a - m) ** 2 * precision

    # Newton's method for the mode of the (log-concave) integrand, with damped steps.
    a = np.broadcast_to(m, np.broadcast_shapes(m.shape, k.shape)).copy()
    for _ in range(50):
        p = expit(a)
        gradient = k - n * p - (a - m) * precision
        curvature = n * p * (1 - p) + precision
        step = np.clip(gradient / curvature, -2.0, 2.0)
        a = a + step
        if np.abs(step).max() < 1e-10:
            break
    p = expit(a)
    scale = 1.0 / np.sqrt(n * p * (1 - p) + precision)
    nodes, weights = np.polynomial.hermite.hermgauss(n_nodes)
    # The kernel is largest at the mode, so exp(kernel - peak) <= 1 at every node: no overflow.
    peak = kernel(a)
    total = np.zeros_like(a)
    for x, w in zip(nodes, weights, strict=True):
        total += w * np.exp(x**2 + kernel(a + np.sqrt(2.0) * scale * x) - peak)
    log_integral = peak + np.log(total) + np.log(np.sqrt(2.0) * scale)
    integrated = log_choose + log_integral - np.log(np.sqrt(2 * np.pi) * safe_t)
    return np.where(t > 0, integrated, point)


def _loo_quietly(tree: xr.DataTree, var_name: str) -> tuple[Any, list[str]]:
    """``az.loo`` with its Pareto-k warning captured (and returned) rather than printed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        result = az.loo(tree, pointwise=True, var_name=var_name)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return result, messages


def _emit(messages: list[str]) -> None:
    for message in dict.fromkeys(messages):
        warnings.warn(message, UserWarning, stacklevel=3)


def group_loo(
    idata: xr.DataTree,
    data: pd.DataFrame,
    successes: str,
    trials: str,
    group: str,
    *,
    mu: str | float = "mu",
    tau: str | float = "tau",
) -> object:
    """Leave-one-group-out PSIS-LOO for pass/fail counts: how well a model predicts a *new* school.

    Leaving a school's counts out of a binomial fit and keeping its own effect (the default
    of ``az.loo`` on the model's likelihood) asks how well a school's own parameter, learned
    from nothing, predicts it: importance sampling then fails for large schools (Pareto k above
    0.7). Here each school's effect is integrated out over the population distribution
    Normal(``mu``, ``tau``) (:func:`integrated_log_likelihood`), so the question becomes how
    probable the school's counts are for a school the model has never seen, and the
    importance weights only need to undo the school's small influence on ``mu`` and ``tau``.

    - partial pooling: ``mu="mu"``, ``tau="tau"`` (the learned population);
    - no pooling: ``mu=0.0``, ``tau=prior_scale`` (a new school knows only its fixed prior);
    - complete pooling: ``mu="alpha"``, ``tau=0.0`` (every school is the same).

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`hlmkit.sample` of a binomial model.
    data : pandas.DataFrame
        One row per group with the counts (e.g. from :func:`aggregate_binary`).
    successes, trials, group : str
        Columns of ``data``.
    mu, tau : str or float
        Posterior variable names of the population mean and sd of the group log-odds, or fixed numbers.

    Returns
    -------
    arviz_stats.ELPDDataLOO
        As ``az.loo(..., pointwise=True)``, one point per group (dim named ``group``). Pass
        several to ``az.compare`` to rank models. A ``UserWarning`` is raised if a Pareto k
        exceeds the threshold.

    Raises
    ------
    TypeError
        If ``idata`` has no posterior.
    KeyError
        If a column or posterior variable is missing.
    ValueError
        If counts are invalid, a group appears twice, or ``mu``/``tau`` are not scalar parameters.

    Examples
    --------
    >>> from hlmkit import aggregate_binary, binomial_model, group_loo, sample, simulate_literacy
    >>> schools = aggregate_binary(simulate_literacy(seed=1).students, "proficient", "school")
    >>> model = binomial_model(schools, "successes", "trials", "school")
    >>> idata = sample(model, seed=1, draws=200, tune=300, chains=2, sampler="pymc", progressbar=False)
    >>> result = group_loo(idata, schools, "successes", "trials", "school")
    >>> int(result.n_data_points) == len(schools)
    True
    """
    idata = _check_tree(idata)
    check_frame(data)
    check_columns(data, [successes, trials, group])
    check_no_missing(data, group)
    if data[group].duplicated().any():
        raise ValueError(
            f"`data` must hold one row per {group}; {group} {list(data[group][data[group].duplicated()][:5])} "
            "appear twice. Aggregate first with hlmkit.aggregate_binary."
        )
    k, n = _check_counts(data, successes, trials)
    mu_values = _posterior_values(idata, mu, "mu")
    tau_values = _posterior_values(idata, tau, "tau")
    values = integrated_log_likelihood(k, n, mu_values, tau_values)
    shape = idata.posterior.sizes
    values = np.broadcast_to(values, (shape["chain"], shape["draw"], len(k)))
    log_lik = xr.DataArray(
        values,
        dims=(*_SAMPLE_DIMS, group),
        coords={"chain": idata.posterior["chain"].values, "draw": idata.posterior["draw"].values,
                group: data[group].to_numpy()},
        name="y",
    )
    if np.ndim(mu_values) == 0 and np.ndim(tau_values) == 0:
        # Fixed mu and tau (no pooling): the other groups tell a new group nothing, so the
        # leave-one-group-out density is exact, with no importance sampling (k = 0).
        return _exact_loo(log_lik.isel(chain=0, draw=0, drop=True), n_samples=values.shape[0] * values.shape[1])
    tree = xr.DataTree.from_dict({"posterior": idata.posterior.to_dataset(),
                                  "log_likelihood": xr.Dataset({"y": log_lik})})
    result, messages = _loo_quietly(tree, "y")
    _emit(messages)
    return result


def _exact_loo(elpd_i: xr.DataArray, *, n_samples: int) -> ELPDDataLOO:
    """Build an ELPDDataLOO for points whose leave-one-out density is known exactly."""
    values = np.asarray(elpd_i.values, dtype=float)
    return ELPDDataLOO(
        elpd=float(values.sum()), se=float(np.sqrt(values.size * np.var(values, ddof=1))), p=0.0,
        n_samples=n_samples, n_data_points=int(values.size), scale="log", warning=False,
        good_k=float(min(1 - 1 / np.log10(n_samples), 0.7)), elpd_i=elpd_i.rename(None),
        pareto_k=xr.zeros_like(elpd_i).rename("pareto_k"),
    )


def student_loo(
    idata: xr.DataTree,
    data: pd.DataFrame,
    outcome: str,
    group: str | None = None,
    *,
    var_name: str = "p",
) -> object:
    r"""Leave-one-student-out PSIS-LOO for a pass/fail model, from a fit of students or of counts.

    A binomial fit on school counts has the same posterior as the Bernoulli fit on students
    (see :mod:`hlmkit.binary`), so each student's log-likelihood follows from the draws of
    their school's probability ``p``: :math:`y_i \log p_j + (1 - y_i) \log(1 - p_j)`.
    Students of the same school with the same outcome have identical log-likelihoods and hence
    identical LOO terms, so PSIS runs once per (school, outcome) pattern, not once per student:
    the result is the same as ``az.loo`` on all students, in a fraction of the time and memory.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of a :func:`bernoulli_model` or :func:`binomial_model` (any pooling).
    data : pandas.DataFrame
        One row per student.
    outcome : str
        The 0/1 outcome column.
    group : str, optional
        The grouping column of the fit (``None`` for complete pooling).
    var_name : str
        The posterior variable holding the probabilities (``"p"`` in hlmkit builders): a scalar,
        or one value per group with the group labels as coords.

    Returns
    -------
    arviz_stats.ELPDDataLOO
        As ``az.loo(..., pointwise=True)`` with one point per student (dim ``student``), ready
        for ``az.compare``. A ``UserWarning`` is raised if a Pareto k exceeds the threshold.

    Raises
    ------
    TypeError
        If ``idata`` has no posterior.
    KeyError
        If a column or the variable is missing, or a student's group is not in the fit.
    ValueError
        If the outcome is not 0/1, ``var_name`` does not match ``group`` or does not hold
        probabilities.

    Examples
    --------
    >>> from hlmkit import aggregate_binary, binomial_model, sample, simulate_literacy, student_loo
    >>> students = simulate_literacy(seed=1).students
    >>> schools = aggregate_binary(students, "proficient", "school")
    >>> model = binomial_model(schools, "successes", "trials", "school")
    >>> idata = sample(model, seed=1, draws=200, tune=300, chains=2, sampler="pymc", progressbar=False)
    >>> int(student_loo(idata, students, "proficient", "school").n_data_points) == len(students)
    True
    """
    idata = _check_tree(idata)
    check_frame(data)
    check_columns(data, [outcome] + ([group] if group else []))
    y = _check_binary(data, outcome)
    available = list(idata.posterior.data_vars)
    if var_name not in available:
        raise KeyError(f"{var_name!r} is not in the posterior. Available: {available}.")
    p = idata.posterior[var_name]
    extra = [d for d in p.dims if d not in _SAMPLE_DIMS]
    if group is None:
        if extra:
            raise ValueError(f"{var_name!r} has dims {extra}: pass the grouping column as `group`.")
        p = p.expand_dims({"_group": [0]}, axis=-1)
        codes = np.zeros(len(data), dtype=np.int64)
    else:
        if extra != [group]:
            raise ValueError(f"{var_name!r} has dims {extra}; expected exactly ({group!r},). Is `group` right?")
        check_no_missing(data, group)
        labels = pd.Index(p[group].values)
        codes = labels.get_indexer(data[group].to_numpy())
        if (codes < 0).any():
            unknown = list(pd.unique(data[group].to_numpy()[codes < 0])[:5])
            raise KeyError(f"{group} {unknown} of `data` are not in the fit: LOO needs the data the model was fit to.")
        p = p.rename({group: "_group"})
    probability = p.transpose(*_SAMPLE_DIMS, "_group").values
    if not (np.isfinite(probability).all() and (probability >= 0).all() and (probability <= 1).all()):
        raise ValueError(
            f"`var_name`={var_name!r} must hold probabilities in [0, 1] (e.g. 'p' of the hlmkit builders), "
            "not log-odds or other values."
        )
    pattern = codes * 2 + y
    unique, inverse = np.unique(pattern, return_inverse=True)
    group_of, outcome_of = unique // 2, unique % 2
    with np.errstate(divide="ignore"):
        log_p = np.where(outcome_of == 1, np.log(probability[..., group_of]), np.log1p(-probability[..., group_of]))
    log_lik = xr.DataArray(log_p, dims=(*_SAMPLE_DIMS, "pattern"),
                           coords={"chain": p["chain"].values, "draw": p["draw"].values})
    tree = xr.DataTree.from_dict({"posterior": idata.posterior.to_dataset(),
                                  "log_likelihood": xr.Dataset({"y": log_lik})})
    result, messages = _loo_quietly(tree, "y")
    n_samples = result.n_samples
    lpd = logsumexp(log_p.reshape(n_samples, -1), axis=0) - np.log(n_samples)
    pattern_elpd = np.asarray(result.elpd_i.values)
    students = data.index.to_numpy()
    elpd_i = xr.DataArray(pattern_elpd[inverse], dims=("student",), coords={"student": students})
    pareto_k = xr.DataArray(np.asarray(result.pareto_k.values)[inverse], dims=("student",),
                            coords={"student": students})
    elpd = float(elpd_i.sum())
    se = float(np.sqrt(len(students) * np.var(elpd_i.values, ddof=1)))  # as ArviZ
    p_loo = float((lpd - pattern_elpd)[inverse].sum())
    _emit(messages)
    return type(result)(
        elpd=elpd, se=se, p=p_loo, n_samples=n_samples, n_data_points=len(students), scale="log",
        warning=bool((pareto_k.values > result.good_k).any()), good_k=result.good_k,
        elpd_i=elpd_i, pareto_k=pareto_k,
    )


def pareto_k_table(results: Mapping[str, Any]) -> pd.DataFrame:
    """How many points of each LOO result have good, bad and very bad Pareto k.

    PSIS-LOO approximates leaving a point out by reweighting the posterior draws. The Pareto
    shape k of the weights says whether that worked: below ``good_k`` (0.7 for 4,000 draws)
    the estimate is reliable; above it the point was so influential that the posterior
    without it differs too much from the posterior with it, and its LOO term is unreliable
    (refit without it, or ask a question that depends less on single points).

    Parameters
    ----------
    results : mapping of str to ELPDDataLOO
        LOO results computed with ``pointwise=True`` (e.g. from ``az.loo``, :func:`student_loo`,
        :func:`group_loo`), by model name.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``points``, ``good``, ``bad`` (good_k < k <= 1), ``very bad``
        (k > 1), ``max_k`` and ``good_k``.

    Raises
    ------
    TypeError
        If ``results`` is not a mapping.
    ValueError
        If a result has no pointwise Pareto k.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from arviz_stats import ELPDDataLOO
    >>> from hlmkit import pareto_k_table
    >>> fake = ELPDDataLOO(elpd=-1.0, se=0.1, p=1.0, n_samples=4000, n_data_points=3, scale="log",
    ...                    warning=True, good_k=0.7, pareto_k=xr.DataArray(np.array([0.1, 0.8, 1.2])))
    >>> pareto_k_table({"m": fake}).loc["m", ["good", "bad", "very bad"]].tolist()
    [1, 1, 1]
    """
    check_mapping(results, "results", "{'partial pooling': loo_result}")
    rows = {}
    for name, result in results.items():
        k = getattr(result, "pareto_k", None)
        if k is None:
            raise ValueError(f"The LOO result {name!r} has no pointwise Pareto k: compute it with pointwise=True.")
        k = np.asarray(k).ravel()
        good_k = float(result.good_k)
        rows[name] = {
            "points": int(k.size),
            "good": int((k <= good_k).sum()),
            "bad": int(((k > good_k) & (k <= 1)).sum()),
            "very bad": int((k > 1).sum()),
            "max_k": round(float(np.nanmax(k)), 2),
            "good_k": round(good_k, 2),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def compare_models(results: Mapping[str, Any], *, round_to: int = 1) -> pd.DataFrame:
    """Rank models by expected log predictive density (``az.compare``), in a readable table.

    Parameters
    ----------
    results : mapping of str to ELPDData or DataTree
        LOO results by model name, all computed on the same points (the same students, or
        the same schools): a comparison across different points is meaningless.
    round_to : int
        Decimals of the elpd columns.

    Returns
    -------
    pandas.DataFrame
        Best model first: ``rank``, ``elpd`` (higher is better), ``se``, ``elpd_diff`` (to the
        best), ``dse`` (standard error of the difference), ``p`` (effective number of
        parameters) and ``weight`` (stacking weight).

    Raises
    ------
    TypeError
        If ``results`` is not a mapping or ``round_to`` is not an integer.
    ValueError
        If fewer than two models are given or they were scored on different numbers of points.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from arviz_stats import ELPDDataLOO
    >>> from hlmkit import compare_models
    >>> def fake(values):
    ...     e = xr.DataArray(np.asarray(values), dims=["obs"])
    ...     return ELPDDataLOO(elpd=float(e.sum()), se=1.0, p=1.0, n_samples=4000, n_data_points=e.size,
    ...                        scale="log", warning=False, good_k=0.7, elpd_i=e, pareto_k=e * 0)
    >>> compare_models({"a": fake([-1.0, -2.0]), "b": fake([-1.5, -2.5])}).index.tolist()
    ['a', 'b']
    """
    check_mapping(results, "results", "{'no pooling': loo_a, 'partial pooling': loo_b}")
    round_to = check_count(round_to, "round_to", minimum=0)
    if len(results) < 2:
        raise ValueError("`results` must hold at least two models to compare.")
    sizes = {name: getattr(r, "n_data_points", None) for name, r in results.items()}
    if len({s for s in sizes.values() if s is not None}) > 1:
        raise ValueError(
            f"The models were scored on different numbers of points {sizes}: compare like with like "
            "(all leave-one-student-out, or all leave-one-school-out)."
        )
    with warnings.catch_warnings():
        # az.compare re-runs nothing for precomputed results; its Pareto-k advice is in `diag_elpd`.
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto", category=UserWarning)
        table = az.compare(dict(results), round_to="none")
    table = table[["rank", "elpd", "se", "elpd_diff", "dse", "p", "weight"]].astype(float)
    for column in ("elpd", "se", "elpd_diff", "dse", "p"):
        table[column] = table[column].round(round_to)
    table["weight"] = table["weight"].round(2)
    table["rank"] = table["rank"].astype(int)
    return table.rename_axis("model")
