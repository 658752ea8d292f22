"""Predictive checks: whether data simulated from a model look like the observed data.

Simulate data from a model before the data (:func:`prior_predictive`) or after it
(:func:`posterior_predictive`), compute a statistic on every simulated data set and ask whether
the observed statistic looks like one of them (:func:`check_statistics`).
:func:`rate_statistics` computes school-level statistics of pass/fail counts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from hlmkit._fits import _SAMPLE_DIMS, _check_fit_of, _check_model, _check_tree, _quiet_pymc
from hlmkit._validate import check_array, check_count, check_mapping, check_name, check_probability, check_seed


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
    >>> idata = sample(model, seed=1, draws=100, tune=100, chains=2, progressbar=False)
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
