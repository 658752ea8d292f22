"""Leave-one-out cross-validation (PSIS-LOO): how well a model predicts data it has not seen.

*What* is left out matters: :func:`student_loo` leaves out one student at a time,
:func:`group_loo` one whole school. :func:`pareto_k_table` says how far each result can be
trusted, and :func:`compare_models` ranks models by expected log predictive density.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats import ELPDDataLOO
from scipy.special import logsumexp

from hlmkit._fits import _SAMPLE_DIMS, _check_tree
from hlmkit._validate import check_columns, check_count, check_frame, check_mapping, check_no_missing
from hlmkit.binary import _check_binary, _check_counts
from hlmkit.likelihood import _posterior_values, integrated_log_likelihood


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

    Leaving a school's counts out is one question, whichever way it is computed: how probable
    are the school's counts for a school the model has never seen? ``az.loo`` on the model's
    likelihood answers it by reweighting draws in which the school's own effect was learned
    from its data; for a large school the posterior with and without those data are too far
    apart, and importance sampling fails (Pareto k above 0.7). Here each school's effect is
    integrated out over the population distribution Normal(``mu``, ``tau``)
    (:func:`integrated_log_likelihood`) before reweighting, so the importance weights only need
    to undo the school's small influence on ``mu`` and ``tau``: the same leave-one-school-out
    elpd, computed stably.

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
    >>> idata = sample(model, seed=1, draws=200, tune=300, chains=2, progressbar=False)
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
    >>> idata = sample(model, seed=1, draws=200, tune=300, chains=2, progressbar=False)
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
