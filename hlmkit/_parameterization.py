"""Centred or non-centred: the rule of the chapter on sampling problems, for each level of a model.

The builders accept either form by name, or ``"auto"``: then :func:`auto_parameterizations`
chooses from cheap moment estimates, before any sampling.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hlmkit._design import _Design
from hlmkit.coding import GroupIndex

PARAMETERIZATIONS = ("noncentered", "centered")
#: What the builders accept: either form, or ``"auto"``, the rule of the chapter on sampling problems.
CHOICES = ("auto", *PARAMETERIZATIONS)


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


def auto_parameterization_binary(successes: np.ndarray, trials: np.ndarray, index: GroupIndex) -> str:
    r"""Centred or non-centred for the group intercepts of a logistic model of pass/fail counts.

    The rule of :func:`auto_parameterizations` with the information of pass/fail data: a group's
    own pupils carry :math:`n_j p_j (1 - p_j)` units of information about its log-odds, so the
    level is centred when the median group has :math:`n_j p_j (1 - p_j)\,\tau^2 > 1`. Each
    :math:`p_j` is the group's share with half a success and half a failure added (finite
    log-odds for 0 of n), and :math:`\tau^2` the variance of the groups' empirical log-odds less
    the mean of their sampling variances :math:`1/((n_j + 1) p_j (1 - p_j))`. Predictors are
    ignored: the estimate need only be rough. One row per pupil or one per group gives the same
    choice.

    Parameters
    ----------
    successes, trials : numpy.ndarray
        Successes and trials per row (for one row per pupil, the 0/1 outcome and ones).
    index : GroupIndex
        The coding of the rows' groups.

    Returns
    -------
    str
        ``"centered"`` or ``"noncentered"``.

    Examples
    --------
    >>> import numpy as np
    >>> from hlmkit import encode_groups, simulate_literacy
    >>> from hlmkit.binary import auto_parameterization_binary
    >>> students = simulate_literacy(seed=1, median_school_size=200).students
    >>> index = encode_groups(students, "school")
    >>> y = students["proficient"].to_numpy()
    >>> auto_parameterization_binary(y, np.ones_like(y), index)
    'centered'
    """
    k = np.bincount(index.codes, weights=successes, minlength=index.n_groups)
    n = np.bincount(index.codes, weights=trials, minlength=index.n_groups)
    p = (k + 0.5) / (n + 1.0)
    log_odds = np.log(p / (1.0 - p))
    sampling_variance = 1.0 / ((n + 1.0) * p * (1.0 - p))
    tau2 = float(np.var(log_odds, ddof=1) - np.mean(sampling_variance)) if index.n_groups > 1 else 0.0
    centred = tau2 > 0 and float(np.median(n * p * (1.0 - p))) * tau2 > 1.0
    return "centered" if centred else "noncentered"


def _resolve(choice: str, design: _Design, index: GroupIndex, argument: str, extra: np.ndarray | None = None) -> str:
    """One level's parameterisation: the choice given, or the rule's when it is ``"auto"``."""
    if choice not in CHOICES:
        raise ValueError(f"`{argument}` must be one of {CHOICES}, got {choice!r}.")
    if choice != "auto":
        return choice
    x = design.x if extra is None or extra.shape[1] == 0 else np.column_stack([design.x, extra])
    return auto_parameterizations(design.y, x, [index])[index.name]
