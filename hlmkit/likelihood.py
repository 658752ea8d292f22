"""The pointwise log-likelihood that leave-one-out needs, per student or per school.

PSIS-LOO (ArviZ's ``az.loo`` and ``az.compare``) needs the log-likelihood of every data point
under every draw, which PyMC 6 does not store by default: :func:`add_log_likelihood` adds it,
one term per observation. To leave out a whole school, its term must integrate the school's
effect out: :func:`integrated_log_likelihood` does that for binomial counts.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import xarray as xr
from scipy.special import expit, gammaln, log_expit

from hlmkit._fits import _check_fit_of, _check_model, _check_tree, _quiet_pymc, _scalar_posterior
from hlmkit._validate import check_array, check_count


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
    >>> idata = sample(model, seed=1, draws=100, tune=100, chains=2, progressbar=False)
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
    return _scalar_posterior(idata, name, argument).values


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
        Quadrature nodes.

    Returns
    -------
    numpy.ndarray
        Shape ``S + (n_groups,)``.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If counts are invalid, ``tau`` is negative, or values are not finite.

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
