"""The mathematics of pooling in closed form: group summaries, shrinkage, intra-class correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hlmkit._validate import (
    check_array,
    check_columns,
    check_frame,
    check_name,
    check_names,
    check_no_missing,
    check_numeric,
)
from hlmkit.coding import encode_groups


def group_summary(data: pd.DataFrame, outcome: str, group: str) -> pd.DataFrame:
    """Size, mean and standard deviation of the outcome in each group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    outcome : str
        Numeric outcome column.
    group : str
        Grouping column.

    Returns
    -------
    pandas.DataFrame
        Indexed by group label (sorted): ``n``, ``mean`` and ``sd`` (NaN for a group of one).

    Raises
    ------
    KeyError
        If a column is missing.
    TypeError, ValueError
        If ``data`` is not a DataFrame or is empty, a column name is not a string, the outcome
        is not numeric or has missing values, or the group column has missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import group_summary
    >>> df = pd.DataFrame({"school": ["a", "a", "b"], "literacy": [1.0, 3.0, 5.0]})
    >>> group_summary(df, "literacy", "school")
            n  mean        sd
    school
    a       2   2.0  1.414214
    b       1   5.0       NaN
    """
    check_frame(data)
    check_columns(data, [check_name(outcome, "outcome"), check_name(group, "group")])
    check_numeric(data, outcome, role="outcome")
    check_no_missing(data, group)
    grouped = data.groupby(group, sort=True)[outcome]
    return pd.DataFrame({"n": grouped.size(), "mean": grouped.mean(), "sd": grouped.std()})


def _nonnegative(value: ArrayLike, argument: str) -> np.ndarray:
    array = check_array(value, argument, finite=False)
    if np.isnan(array).any() or (array < 0).any():
        raise ValueError(f"`{argument}` must be non-negative (inf allowed for a limit), got {value!r}.")
    return array


def shrinkage_weight(n: ArrayLike, sigma: ArrayLike, tau: ArrayLike) -> np.ndarray:
    r"""Weight of a group's own mean in its partial-pooling estimate.

    .. math:: w_j = \frac{n_j}{n_j + \sigma^2 / \tau^2}
                  = \frac{n_j / \sigma^2}{n_j / \sigma^2 + 1 / \tau^2}

    the share of the precision that comes from the group's own data. ``tau -> 0`` gives
    ``w = 0`` (complete pooling) and ``tau -> inf`` gives ``w = 1`` (no pooling). All
    arguments broadcast, so posterior draws of ``sigma`` and ``tau`` can be passed as arrays.

    Parameters
    ----------
    n : array_like
        Group sizes (non-negative).
    sigma : array_like
        Within-group standard deviation (positive).
    tau : array_like
        Between-group standard deviation (non-negative, ``inf`` allowed).

    Returns
    -------
    numpy.ndarray
        Weights in [0, 1], broadcast over the arguments.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If a size or scale is negative or NaN, or ``sigma`` is zero.

    Examples
    --------
    >>> from hlmkit import shrinkage_weight
    >>> shrinkage_weight([5, 20, 80], sigma=40.0, tau=20.0).round(3).tolist()
    [0.556, 0.833, 0.952]
    >>> float(shrinkage_weight(15, sigma=40.0, tau=0.0))
    0.0
    """
    n = _nonnegative(n, "n")
    sigma = _nonnegative(sigma, "sigma")
    tau = _nonnegative(tau, "tau")
    if (sigma == 0).any():
        raise ValueError("`sigma` must be positive: with no noise within groups there is nothing to pool.")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(tau == 0, np.inf, (sigma / np.where(tau == 0, 1.0, tau)) ** 2)
        weight = np.where(np.isinf(ratio), 0.0, n / (n + ratio))
    weight = np.where(np.isinf(tau), 1.0, weight)
    # A group with no data gets no weight; in the no-pooling limit (tau = inf) the weight is 1 by
    # convention, although the estimate of an empty group is then undefined.
    return np.asarray(np.where((n == 0) & ~np.isinf(tau), 0.0, weight), dtype=float)


def partial_pooling_estimate(
    group_mean: ArrayLike, n: ArrayLike, grand_mean: ArrayLike, sigma: ArrayLike, tau: ArrayLike
) -> np.ndarray:
    r"""Partial-pooling estimate of a group's mean: a precision-weighted average.

    .. math:: \hat\alpha_j = w_j \bar y_j + (1 - w_j) \mu, \quad
              w_j = \frac{n_j}{n_j + \sigma^2 / \tau^2}

    This is the exact posterior mean of :math:`\alpha_j` in the Gaussian varying-intercept
    model given :math:`\mu`, :math:`\tau` and :math:`\sigma`. Averaged over posterior
    draws of those three, it gives the posterior mean that MCMC estimates.

    Parameters
    ----------
    group_mean : array_like
        The group's own mean (the no-pooling estimate), e.g. of outcome minus slopes times predictors.
    n : array_like
        Group sizes.
    grand_mean : array_like
        The population mean :math:`\mu` (the complete-pooling estimate).
    sigma, tau : array_like
        Within- and between-group standard deviations.

    Returns
    -------
    numpy.ndarray
        Estimates, broadcast over the arguments.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        As for :func:`shrinkage_weight`, or if a mean is not finite.

    Examples
    --------
    >>> from hlmkit import partial_pooling_estimate
    >>> float(partial_pooling_estimate(group_mean=560.0, n=12, grand_mean=500.0, sigma=40.0, tau=20.0))
    545.0
    """
    group_mean = check_array(group_mean, "group_mean")
    grand_mean = check_array(grand_mean, "grand_mean")
    weight = shrinkage_weight(n, sigma, tau)
    return weight * group_mean + (1.0 - weight) * grand_mean


def icc(tau: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    r"""Intra-class correlation: the share of outcome variance that lies between groups.

    .. math:: \rho = \frac{\tau^2}{\tau^2 + \sigma^2}

    It is also the correlation between two students of the same school.

    Parameters
    ----------
    tau, sigma : array_like
        Between- and within-group standard deviations (non-negative; not both zero).

    Returns
    -------
    numpy.ndarray
        Values in [0, 1], broadcast over the arguments.

    Raises
    ------
    TypeError
        If a scale is not numeric.
    ValueError
        If a scale is negative or NaN, or both are zero.

    Examples
    --------
    >>> from hlmkit import icc
    >>> float(icc(tau=20.0, sigma=40.0))
    0.2
    """
    tau = _nonnegative(tau, "tau")
    sigma = _nonnegative(sigma, "sigma")
    total = tau**2 + sigma**2
    if (total == 0).any():
        raise ValueError("`tau` and `sigma` cannot both be zero: there is no variance to share out.")
    return tau**2 / total


def least_squares_intercepts(
    data: pd.DataFrame, outcome: str, predictors: list[str] | tuple[str, ...] = (), group: str | None = None
) -> dict[str, object]:
    """Ordinary least squares with common slopes: one intercept, or one intercept per group.

    With ``group=None`` this is the complete-pooling regression; with a group it is the
    no-pooling (fixed-effects, "dummy variable") regression, whose intercepts equal each
    group's mean of ``outcome - predictors @ slopes``. The Bayesian versions with wide priors
    (:func:`hlmkit.complete_pooling_model`, :func:`hlmkit.no_pooling_model`) agree closely with
    these (their wide priors pull a tiny group's intercept by a percent or two of its distance
    from the overall mean); least squares is what the classical answer computes.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    outcome : str
        Numeric outcome column.
    predictors : sequence of str
        Numeric predictor columns with common slopes.
    group : str, optional
        Grouping column for one intercept per group.

    Returns
    -------
    dict
        ``intercepts`` (pandas.Series indexed by group label, or one value named
        ``"all"``), ``slopes`` (pandas.Series indexed by predictor), ``sigma`` (residual
        standard deviation, float) and ``standard_errors`` of the intercepts (pandas.Series).

    Raises
    ------
    KeyError, TypeError, ValueError
        For a missing column, a non-numeric column, missing values, or a design whose
        columns are collinear (e.g. a predictor constant within every group).

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import least_squares_intercepts
    >>> df = pd.DataFrame({"school": ["a", "a", "b", "b"], "y": [1.0, 3.0, 10.0, 12.0]})
    >>> fit = least_squares_intercepts(df, "y", group="school")
    >>> fit["intercepts"].round(6).tolist()
    [2.0, 11.0]
    """
    check_frame(data)
    predictors = check_names(predictors, "predictors")
    check_name(outcome, "outcome")
    if group is not None:
        check_name(group, "group")
    check_columns(data, [outcome, *predictors] + ([group] if group is not None else []))
    if outcome in predictors or (group is not None and group in [outcome, *predictors]):
        raise ValueError(
            f"The outcome {outcome!r}, group {group!r} and predictors {predictors} must be different columns."
        )
    y = check_numeric(data, outcome, role="outcome")
    x = [check_numeric(data, p, role="predictor") for p in predictors]
    # The dummy-variable regression solved without its dummies (Frisch-Waugh-Lovell): the slopes
    # come from each predictor's deviations from its group mean, and each intercept is the group's
    # mean of outcome - predictors @ slopes. Same numbers as the full design, with a p x p solve.
    if group is None:
        labels, codes = pd.Index(["all"]), np.zeros(len(data), dtype=np.intp)
    else:
        index = encode_groups(data, group)
        labels, codes = index.labels, index.codes
    counts = np.bincount(codes, minlength=len(labels)).astype(float)

    def group_means(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, values, len(labels)) / counts

    x_matrix = np.column_stack(x) if x else np.zeros((len(y), 0))
    x_means = np.array([group_means(column) for column in x_matrix.T]).reshape(len(predictors), len(labels)).T
    y_means = group_means(y)
    x_within = x_matrix - x_means[codes]
    # A predictor constant within every group has (nearly) zero deviations; two predictors whose
    # deviations are proportional are collinear too. Either way the intercepts cannot be separated.
    spread = np.sqrt((x_within**2).sum(axis=0)) / (np.sqrt((x_matrix**2).sum(axis=0)) + 1.0)
    rank = np.linalg.matrix_rank(x_within) if x and (spread > 1e-10).all() else 0
    n_coef = len(labels) + len(predictors)
    if rank < len(predictors):
        raise ValueError(
            f"The predictors {predictors} are collinear with the intercepts (rank {len(labels) + rank} < "
            f"{n_coef} columns): a predictor is constant, or constant within every group. Drop it."
        )
    gram_inv = np.linalg.inv(x_within.T @ x_within)
    slopes = gram_inv @ (x_within.T @ (y - y_means[codes]))
    intercepts = y_means - x_means @ slopes
    residual = y - intercepts[codes] - x_matrix @ slopes
    dof = len(y) - n_coef
    if dof <= 0:
        every = f" every group in {group!r} has a single row, so" if group is not None and len(labels) == len(y) else ""
        raise ValueError(
            f"Too few rows ({len(y)}) for {n_coef} coefficients:{every} no residual variance is left. "
            "Use larger groups, fewer predictors, or group=None for one common intercept."
        )
    sigma = float(np.sqrt(residual @ residual / dof))
    # Var(intercept_j) = sigma^2 (1/n_j + xbar_j' (X_w' X_w)^-1 xbar_j), the diagonal of the full inverse.
    variance = sigma**2 * (1.0 / counts + np.einsum("jk,kl,jl->j", x_means, gram_inv, x_means))
    return {
        "intercepts": pd.Series(intercepts, index=labels, name="intercept"),
        "slopes": pd.Series(slopes, index=pd.Index(predictors, name="predictor"), name="slope"),
        "sigma": sigma,
        "standard_errors": pd.Series(np.sqrt(variance), index=labels, name="se"),
    }
