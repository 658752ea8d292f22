"""Sampling with the book's defaults, and convergence diagnostics against the book's limits.

The tidy tables of a fit (:func:`posterior_summary`, :func:`group_estimates`,
:func:`posterior_draws`) are in :mod:`hlmkit.summaries`; they can still be imported from here.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
import weakref
from collections.abc import Sequence

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from hlmkit import _convergence
from hlmkit._fits import _check_sampled, _check_var_names
from hlmkit._validate import check_count, check_flag, check_probability, check_seed
from hlmkit.summaries import group_estimates, posterior_draws, posterior_summary

__all__ = [
    "MAX_RHAT",
    "MIN_ESS",
    "SAMPLERS",
    "SamplingWarning",
    "check_convergence",
    "diagnose",
    "group_estimates",
    "limit_problems",
    "posterior_draws",
    "posterior_summary",
    "sample",
]

#: Samplers that :func:`sample` accepts.
SAMPLERS = ("nutpie", "pymc")

#: Largest rank-normalised split R-hat the book accepts for a reported fit.
MAX_RHAT = 1.01
#: Smallest bulk effective sample size the book accepts for a reported quantity.
MIN_ESS = 400


class SamplingWarning(UserWarning):
    """A fit from :func:`sample` misses the book's limits (divergences, r_hat or bulk ESS).

    Examples
    --------
    Turn the warning into an error, so that no broken fit goes unnoticed (as the tests do):

    >>> import warnings
    >>> from hlmkit import SamplingWarning
    >>> warnings.simplefilter("error", SamplingWarning)
    >>> warnings.resetwarnings()
    >>> issubclass(SamplingWarning, UserWarning)
    True
    """


def _progressbar_default() -> bool:
    """Progress bars for a person running a notebook; none in the book build (HLMKIT_PROGRESSBAR=0)."""
    return os.environ.get("HLMKIT_PROGRESSBAR", "1") not in ("0", "false", "False", "")


def sample(
    model: pm.Model,
    *,
    seed: int,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    sampler: str = "nutpie",
    target_accept: float | None = None,
    progressbar: bool | None = None,
    check: bool = True,
) -> xr.DataTree:
    """Draw from a model's posterior with the book's defaults, and say so when the fit is not clean.

    Four chains of 1,000 draws after 1,000 tuning steps give 4,000 draws: a bulk ESS well
    above 400 and r_hat within 1.01 even for the largest of a hundred group parameters
    when the model is well parameterised (with 500 draws, the worst of 120 school
    intercepts reached r_hat 1.012 here). ``nutpie`` (NUTS compiled to native code) was
    the fastest sampler per model on the book's 2-core machine once its first model had
    compiled; ``sampler="pymc"`` uses PyMC's own NUTS.

    Parameters
    ----------
    model : pymc.Model
        A model from one of the hlmkit builders (or any PyMC model).
    seed : int
        Seed of the sampler: the same seed gives the same draws.
    draws, tune, chains : int
        Draws kept per chain, tuning steps per chain, number of chains.
    sampler : {"nutpie", "pymc"}
        The NUTS implementation.
    target_accept : float, optional
        Target acceptance rate in (0, 1); raise it (e.g. 0.95) to remove divergences
        caused by small step sizes.
    progressbar : bool, optional
        Show a progress bar. By default on, except when the environment variable
        ``HLMKIT_PROGRESSBAR`` is ``0`` (as in the book build).
    check : bool
        Check every posterior quantity against the book's limits (0 divergences,
        r_hat <= ``MAX_RHAT``, bulk ESS >= ``MIN_ESS``) and issue a :class:`SamplingWarning`
        naming the worst quantities and the remedies when the fit misses them. A fit is never
        returned silently broken; pass ``False`` only where the failure is the lesson.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior``, ``sample_stats`` and ``observed_data``; the wall time in
        seconds is in ``attrs["sampling_time"]`` of the tree and, when checked, the verdict in
        ``attrs["clean"]`` (True when the fit meets the limits).

    Warns
    -----
    SamplingWarning
        When ``check`` is on and the fit has divergences, r_hat above ``MAX_RHAT`` or bulk ESS
        below ``MIN_ESS`` for some quantity.

    Raises
    ------
    TypeError
        If ``model`` is not a PyMC model, ``seed`` or a count is not an integer,
        ``target_accept`` is not a number or ``progressbar`` is not True or False.
    ValueError
        If a count is below 1 (``tune`` below 0), the sampler is unknown or ``target_accept``
        is not in (0, 1).

    Examples
    --------
    >>> from hlmkit import complete_pooling_model, sample, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> model = complete_pooling_model(students, "literacy")
    >>> idata = sample(model, seed=1, draws=100, tune=100, chains=2, progressbar=False)
    >>> dict(idata.posterior.sizes)
    {'chain': 2, 'draw': 100}
    """
    if not isinstance(model, pm.Model):
        raise TypeError(f"`model` must be a pymc.Model (from an hlmkit builder), got {type(model).__name__}.")
    seed = check_seed(seed)
    draws = check_count(draws, "draws")
    tune = check_count(tune, "tune", minimum=0)
    chains = check_count(chains, "chains")
    if sampler not in SAMPLERS:
        raise ValueError(f"`sampler` must be one of {SAMPLERS}, got {sampler!r}.")
    kwargs: dict = {}
    if target_accept is not None:
        kwargs["target_accept"] = check_probability(target_accept, "target_accept")
    if progressbar is None:
        progressbar = _progressbar_default()
    progressbar = check_flag(progressbar, "progressbar")
    check = check_flag(check, "check")
    start = time.perf_counter()
    cores = min(chains, os.cpu_count() or 1)
    if sampler == "nutpie":
        idata = _sample_nutpie(model, seed, draws, tune, chains, cores, progressbar, kwargs)
    else:
        with model:
            # The sampler reports how it ran on the `pymc` logger; the book reports diagnostics itself.
            pymc_logger = logging.getLogger("pymc")
            level = pymc_logger.level
            pymc_logger.setLevel(logging.ERROR)
            try:
                idata = pm.sample(
                    draws=draws,
                    tune=tune,
                    chains=chains,
                    cores=cores,
                    random_seed=seed,
                    nuts_sampler=sampler,
                    progressbar=progressbar,
                    compute_convergence_checks=False,
                    **kwargs,
                )
            finally:
                pymc_logger.setLevel(level)
    idata.attrs["sampling_time"] = time.perf_counter() - start
    idata.attrs["sampler"] = sampler
    if check:
        problems = limit_problems(idata)
        idata.attrs["clean"] = not problems
        if problems:
            warnings.warn(
                SamplingWarning(
                    f"The fit misses the book's limits ({MAX_RHAT=}, {MIN_ESS=}, no divergences): "
                    + "; ".join(problems)
                    + ". Remedies, in order: change the parameterisation (non-centred for groups with little "
                    "data, centred for groups with much), raise target_accept (e.g. 0.95), draw more. "
                    "See hlmkit.diagnose(idata, [names you report])."
                ),
                stacklevel=2,
            )
    return idata


def limit_problems(idata: xr.DataTree, var_names: Sequence[str] | None = None, *, shown: int = 3) -> list[str]:
    """List what keeps a fit from the book's limits, worst quantities first; empty when it is clean.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`sample`.
    var_names : sequence of str, optional
        The quantities to check (default: every posterior variable).
    shown : int
        How many of the worst quantities to name per problem.

    Returns
    -------
    list of str
        One sentence per broken limit (divergences, r_hat, bulk ESS), naming the worst
        quantities, e.g. ``"r_hat up to 1.120 (tau 1.120, mu 1.050)"``.

    Raises
    ------
    TypeError
        If ``idata`` is not a fit or ``shown`` is not an integer.
    KeyError
        If a name in ``var_names`` is not in the posterior.

    Examples
    --------
    >>> from hlmkit import complete_pooling_model, limit_problems, sample, simulate_literacy
    >>> model = complete_pooling_model(simulate_literacy(seed=1).students, "literacy")
    >>> idata = sample(model, seed=1, draws=50, tune=100, chains=2, progressbar=False, check=False)
    >>> any(problem.startswith("bulk ESS down to") for problem in limit_problems(idata))
    True
    """
    idata = _check_sampled(idata)
    names = _check_var_names(idata, var_names)
    shown = check_count(shown, "shown")
    stats = idata.sample_stats if "sample_stats" in idata.children else None
    problems = []
    divergences = int(stats["diverging"].sum()) if stats is not None and "diverging" in stats else 0
    if divergences:
        problems.append(f"{divergences} divergent transition(s)")
    worst_rhat: dict[str, float] = {}
    worst_ess: dict[str, float] = {}
    for name in names:
        # Constant quantities (the unit diagonal of a correlation matrix) have no r_hat: NaN, skipped.
        rhat, ess = _convergence.diagnostics(_draws(idata, name))
        if np.isfinite(rhat).any():
            worst_rhat[name] = float(np.nanmax(rhat))
        if np.isfinite(ess).any():
            worst_ess[name] = float(np.nanmin(ess))
    high = sorted(((v, k) for k, v in worst_rhat.items() if v > MAX_RHAT), reverse=True)
    if high:
        listed = ", ".join(f"{k} {v:.4f}" for v, k in high[:shown])
        problems.append(f"r_hat up to {high[0][0]:.4f} ({listed})")
    low = sorted((v, k) for k, v in worst_ess.items() if v < MIN_ESS)
    if low:
        listed = ", ".join(f"{k} {v:.0f}" for v, k in low[:shown])
        problems.append(f"bulk ESS down to {low[0][0]:.0f} ({listed})")
    return problems


#: Compiled nutpie models, one per model object: refitting a model (another seed, more draws)
#: reuses its compiled code instead of compiling it again (several seconds each time).
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _data_fingerprint(model: pm.Model) -> tuple:
    """Fingerprint the model's data containers: a model whose data changed must be compiled again."""
    return tuple((v.name, hash(np.asarray(v.get_value()).tobytes())) for v in model.data_vars)


def _sample_nutpie(
    model: pm.Model, seed: int, draws: int, tune: int, chains: int, cores: int, progressbar: bool, kwargs: dict
) -> xr.DataTree:
    """Sample as ``pm.sample(nuts_sampler="nutpie")`` does (same seeds, same draws), compiling once per model."""
    import nutpie
    from pymc.backends.arviz import patch_nutpie_idata

    from hlmkit._nutpie import compile_model

    fingerprint = _data_fingerprint(model)
    cached = _COMPILED.get(model)
    if cached is None or cached[0] != fingerprint:
        cached = (fingerprint, compile_model(model))  # nutpie's compile, faster (hlmkit/_nutpie.py)
        _COMPILED[model] = cached
    # pm.sample spawns one seed per chain from the seed and gives nutpie the first one.
    chain_seed = int(np.random.default_rng(seed).spawn(chains)[0].integers(2**30))
    start = time.time()
    idata = nutpie.sample(
        cached[1],
        draws=draws,
        tune=max(tune, 1),  # nuts-rs needs at least one tuning step
        chains=chains,
        cores=cores,
        seed=chain_seed,
        save_warmup=False,
        progress_bar=progressbar,
        **kwargs,
    )
    patch_nutpie_idata(idata, model, sampling_time=time.time() - start)
    return idata


def _draws(idata: xr.DataTree, name: str) -> np.ndarray:
    """Return a posterior variable's draws as an array (chain, draw, quantity)."""
    values = idata.posterior[name].transpose("chain", "draw", ...).values
    return values.reshape(values.shape[0], values.shape[1], -1)


def diagnose(idata: xr.DataTree, var_names: Sequence[str] | None = None, *, label: str = "fit") -> pd.DataFrame:
    """One tidy row of convergence diagnostics for a fit, with a plain-language verdict.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`sample`.
    var_names : sequence of str, optional
        The quantities the chapter reports (default: every posterior variable). Computing
        ESS over thousands of group parameters costs seconds: name what you report.
    label : str
        Name of the fit, used as the row label (so several fits stack into one table).

    Returns
    -------
    pandas.DataFrame
        One row, labelled ``label``, with ``divergences``, ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``,
        ``max_treedepth_hits``, ``sampling_s`` (seconds, including compilation), ``ok`` and ``verdict``.

    Raises
    ------
    TypeError
        If ``idata`` is not a fit.
    KeyError
        If a name in ``var_names`` is not in the posterior.

    Examples
    --------
    >>> from hlmkit import complete_pooling_model, diagnose, sample, simulate_literacy
    >>> model = complete_pooling_model(simulate_literacy(seed=1).students, "literacy")
    >>> idata = sample(model, seed=1, draws=200, tune=200, chains=2, progressbar=False)
    >>> diagnose(idata, ["alpha", "sigma"]).columns.tolist()[:3]
    ['divergences', 'max_r_hat', 'min_ess_bulk']
    """
    idata = _check_sampled(idata)
    names = _check_var_names(idata, var_names)
    stats = idata.sample_stats if "sample_stats" in idata.children else None
    divergences = int(stats["diverging"].sum()) if stats is not None and "diverging" in stats else 0
    depth_hits = 0
    if stats is not None and "reached_max_treedepth" in stats:
        depth_hits = int(stats["reached_max_treedepth"].sum())
    elif stats is not None and "maxdepth_reached" in stats:
        depth_hits = int(stats["maxdepth_reached"].sum())
    # ArviZ's r_hat and ESS (az.rhat, az.ess), computed for all quantities at once (_convergence).
    per_name = [_convergence.diagnostics(_draws(idata, name), az.rcParams["stats.ci_prob"]) for name in names]
    rhat, ess_bulk, ess_tail = (np.concatenate(values) for values in zip(*per_name, strict=True))
    with warnings.catch_warnings():
        # A constant quantity (the unit diagonal of a correlation matrix) has no r_hat or ESS: NaN,
        # which the extremes below skip, without a RuntimeWarning on the reader's page.
        warnings.simplefilter("ignore", RuntimeWarning)
        max_rhat, min_bulk, min_tail = float(np.nanmax(rhat)), float(np.nanmin(ess_bulk)), float(np.nanmin(ess_tail))
    problems = []
    if divergences:
        problems.append(
            f"{divergences} divergent transition(s): the sampler could not follow the posterior's "
            "geometry; try a non-centred parameterisation or a higher target_accept"
        )
    if not max_rhat <= MAX_RHAT:
        problems.append(f"r_hat up to {max_rhat:.3f} > {MAX_RHAT}: chains disagree; run longer or reparameterise")
    if not min_bulk >= MIN_ESS:
        problems.append(f"bulk ESS down to {min_bulk:.0f} < {MIN_ESS}: too few effective draws; draw more")
    if depth_hits:
        problems.append(f"{depth_hits} draw(s) hit the maximum tree depth: the sampler is working hard")
    hard = [p for p in problems if "tree depth" not in p]
    if not problems:
        verdict = "clean: 0 divergences, r_hat and ESS within the book's limits"
    elif not hard:
        verdict = "clean, but slow: " + problems[0] + " (raise max_treedepth or reparameterise)"
    else:
        verdict = "; ".join(problems)
    return pd.DataFrame(
        {
            "divergences": [divergences],
            "max_r_hat": [round(max_rhat, 4)],
            "min_ess_bulk": [round(min_bulk)],
            "min_ess_tail": [round(min_tail)],
            "max_treedepth_hits": [depth_hits],
            "sampling_s": [round(float(idata.attrs.get("sampling_time", np.nan)), 2)],
            "ok": [divergences == 0 and max_rhat <= MAX_RHAT and min_bulk >= MIN_ESS],
            "verdict": [verdict],
        },
        index=pd.Index([label], name="model"),
    )


def check_convergence(
    idata: xr.DataTree, var_names: Sequence[str] | None = None, *, label: str = "fit"
) -> pd.DataFrame:
    """Diagnose a fit and raise if it breaks the book's limits, so a regression fails the build.

    The limits: 0 divergences, r_hat <= ``MAX_RHAT`` (1.01) and bulk ESS >= ``MIN_ESS``
    (400) for ``var_names``.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`sample`.
    var_names : sequence of str, optional
        The quantities the chapter reports.
    label : str
        Name of the fit, the row label of the table.

    Returns
    -------
    pandas.DataFrame
        The table from :func:`diagnose`, when the fit is clean.

    Raises
    ------
    AssertionError
        If the fit is not clean; the message says what is wrong and what to try.

    Examples
    --------
    >>> from hlmkit import check_convergence, complete_pooling_model, sample, simulate_literacy
    >>> model = complete_pooling_model(simulate_literacy(seed=1).students, "literacy")
    >>> idata = sample(model, seed=1, progressbar=False)  # 4 chains of 1,000 draws: clean for any seed
    >>> bool(check_convergence(idata, ["alpha", "sigma"])["ok"].iloc[0])
    True
    """
    table = diagnose(idata, var_names, label=label)
    if not bool(table["ok"].iloc[0]):
        raise AssertionError(f"The fit {label!r} breaks the book's convergence limits: {table['verdict'].iloc[0]}.")
    return table
