r"""Predictions from posterior draws: for existing groups, for new groups, and updated by new data.

Each posterior draw is one plausible world; a prediction is made in every world and the
spread of the results is the uncertainty. What must be drawn depends on what is new:

- a new student in an **existing school**: the school's own effect draws (seen in training);
- a student in a **new school**: a school effect that was never estimated, so in each draw it
  is drawn afresh from the population, :math:`\alpha_{\text{new}} \sim \mathrm{Normal}(\mu, \tau)`;
- a student in a new school in a **new county** (a model with school and county levels,
  :math:`\operatorname{logit} p = \mu + u_{\text{county}} + u_{\text{school}}`): *both* a
  county effect from Normal(0, tau_county) and a school effect from Normal(0, tau_school).
  What is needed is a fit with a county level (the draws of ``tau_county`` and of the
  county effects); a two-level school model cannot tell a new county from a new school in a
  known county. Call :func:`group_effect_draws` once per level and add the results (see its
  examples).

:func:`group_effect_draws` matches groups **by label** against the fit's coords. A label
never seen in training is an error unless ``allow_new=True``, and then it gets its own draws
from the population distribution: it never silently reuses another group's effect (the bug of
re-encoding new data with fresh integer codes).

:func:`update_with_evidence` turns new data (a school's next cohort) into an updated posterior
by reweighting the draws with the new data's likelihood: Bayes' rule applied to draws.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import logsumexp

from hlmkit._fits import _SAMPLE_DIMS, _check_sampled, _scalar_posterior
from hlmkit._validate import check_flag, check_label_types, check_labels, check_seed, label_kind


def _scalar_draws(
    idata: xr.DataTree, value: str | float | np.ndarray | None, argument: str, n_samples: int
) -> np.ndarray:
    """Draws (n_samples,) of a scalar posterior variable, given draws, or a constant array for a number (None = 0)."""
    if value is None:
        return np.zeros(n_samples)
    if isinstance(value, bool):
        raise TypeError(f"`{argument}` must be a posterior variable name, a number or None, got {value!r}.")
    if isinstance(value, np.ndarray | xr.DataArray):
        array = np.asarray(value, dtype=float).reshape(-1)
        if array.size != n_samples or not np.isfinite(array).all():
            raise ValueError(
                f"`{argument}` given as draws must hold one finite value per posterior draw ({n_samples}), "
                f"got {array.size} values."
            )
        return array
    if isinstance(value, int | float):
        if not np.isfinite(value):
            raise ValueError(f"`{argument}` must be finite, got {value}.")
        return np.full(n_samples, float(value))
    if not isinstance(value, str):
        raise TypeError(f"`{argument}` must be a posterior variable name, a number or None, got {value!r}.")
    return _scalar_posterior(idata, value, argument).values.reshape(-1)


def _label_stream(seed: int, var_name: str, label: object) -> np.random.Generator:
    """Return a generator for one new label of one variable (the same label, the same draws)."""
    if isinstance(label, np.generic):  # np.int64(7) is the label 7, whether it came in a list or an array
        label = label.item()
    key = [seed, zlib.crc32(var_name.encode()), zlib.crc32(repr(label).encode())]
    return np.random.default_rng(key)


def _is_missing(label: object) -> bool:
    return label is None or label is pd.NA or (isinstance(label, float) and np.isnan(label))


def _suggest(label: object, kind: str) -> str:
    """Return the label converted to ``kind`` (for a hint), or '' if it does not convert."""
    try:
        if kind == "number":
            number = float(str(label).strip())
            return repr(int(number)) if number.is_integer() else repr(number)
        if kind == "string":
            return repr(str(label))
    except ValueError:
        pass
    return ""


def _check_label_kinds(labels: pd.Index, given: Sequence[object], var_name: str) -> None:
    """Refuse labels of another kind than the fit's (``"1221"`` on a fit labelled 1221): never a silent new group.

    A genuinely new group carries a label like the others; a label of another type is almost
    always the right group spelled wrongly (a column read as text), and drawn as a new group it
    would silently get the population's spread instead of its own draws.
    """
    check_label_types(list(given), "`groups`")
    fit_kinds = {label_kind(label) for label in labels}
    if len(fit_kinds) != 1:
        return
    (fit_kind,) = fit_kinds
    for label in given:
        kind = label_kind(label)
        if kind != fit_kind:
            plural = {"number": "numbers", "string": "strings"}.get(fit_kind, fit_kind)
            suggestion = _suggest(label, fit_kind)
            guess = f" did you mean {suggestion}?" if suggestion else ""
            raise ValueError(
                f"The labels of {var_name!r} in the fit are {plural} (e.g. {labels[0]!r}); the label {label!r} in "
                f"`groups` is a {kind}:{guess} Convert `groups` to the fit's type first (e.g. "
                f"new['school'].astype({'int' if fit_kind == 'number' else 'str'})). A label of another type is never "
                "drawn as a new group."
            )


def unseen_groups(idata: xr.DataTree, var_name: str, groups: Sequence[object]) -> list:
    """List the labels in ``groups`` that the fit has no ``var_name`` for (new groups), in order.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`hlmkit.sample`.
    var_name : str
        A group-level posterior variable with one dimension (e.g. ``"alpha"`` with dim ``school``).
    groups : sequence
        Group labels, e.g. a column of new data (``new["school"]``, not ``new[["school"]]``).

    Returns
    -------
    list
        Unique unseen labels. A label of another type than the fit's (``"1221"`` on a fit
        labelled ``1221``) is an error, not an unseen label.

    Raises
    ------
    TypeError, KeyError, ValueError
        As for :func:`group_effect_draws`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from hlmkit import unseen_groups
    >>> alpha = xr.DataArray(np.zeros((1, 3, 2)), dims=("chain", "draw", "school"),
    ...                      coords={"school": ["a", "b"]})
    >>> fit = xr.DataTree.from_dict({"posterior": xr.Dataset({"alpha": alpha})})
    >>> unseen_groups(fit, "alpha", ["b", "c", "c"])
    ['c']
    """
    labels, _ = _group_labels(idata, var_name)
    values = pd.unique(pd.Series(check_labels(groups), dtype=object))
    _check_label_kinds(labels, [g for g in values if not _is_missing(g)], var_name)
    return [g for g in values if g not in set(labels)]


def _group_labels(idata: xr.DataTree, var_name: str) -> tuple[pd.Index, str]:
    idata = _check_sampled(idata)
    if not isinstance(var_name, str):
        raise TypeError(f"`var_name` must be the name of a posterior variable (str), got {var_name!r}.")
    available = list(idata.posterior.data_vars)
    if var_name not in available:
        raise KeyError(f"{var_name!r} is not in the posterior. Available: {available}.")
    dims = [d for d in idata.posterior[var_name].dims if d not in _SAMPLE_DIMS]
    if len(dims) != 1:
        raise ValueError(f"{var_name!r} has dims {dims}; group effects need exactly one group dimension.")
    return pd.Index(idata.posterior[var_name][dims[0]].values), dims[0]


def group_effect_draws(
    idata: xr.DataTree,
    var_name: str,
    groups: Sequence[object],
    *,
    tau: str | float | np.ndarray = "tau",
    center: str | float | np.ndarray | None = "mu",
    allow_new: bool = False,
    seed: int | None = None,
) -> np.ndarray:
    r"""Posterior draws of each row's group effect, for groups seen in training and (optionally) new ones.

    For a label in the fit, the effect is the fit's own draws of ``var_name`` for that label.
    For a new label, in every draw :math:`s` a fresh effect is drawn from the population,
    :math:`\text{center}_s + \tau_s\, z` with :math:`z \sim \mathrm{Normal}(0, 1)`: the
    uncertainty about where the new group lies (``tau``) adds to the uncertainty about the
    population (the spread of ``center`` and ``tau`` over draws). Rows with the same new label
    share one effect (pupils of one new school share their school); different new labels get
    independent effects.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`hlmkit.sample`.
    var_name : str
        The group effect, a posterior variable with one group dimension: ``"alpha"`` in the
        hlmkit builders (which already includes ``mu``), or a deviation such as ``"u_county"``.
    groups : sequence
        One group label per row to predict: a column (``new_data["school"]``, not the one-column
        frame ``new_data[["school"]]``), a list or a 1-d array. Labels are matched exactly against
        the fit's coords (``"7"`` is not ``7``); a label of another type than the fit's is an
        error, never a new group.
    tau : str, float or numpy.ndarray
        The population sd of the effect: a scalar posterior variable, a number, or one value
        per draw (e.g. ``idata.posterior["tau"].sel(level="county")`` for
        :func:`hlmkit.nested_model`, whose ``tau`` has a ``level`` dim).
    center : str, float, numpy.ndarray or None
        The population mean of the effect, in the same forms: ``"mu"`` for the builders'
        ``alpha``; ``None`` (0) for a deviation centred at zero such as ``effect_county``.
    allow_new : bool
        If False (default) an unseen label is an error; if True it is drawn from the population.
    seed : int, optional
        Seed for the new groups' draws; required when there is a new group. The draws of a
        label depend only on ``seed``, ``var_name`` and the label, so a new school keeps its
        draws whatever else is predicted, and levels predicted with the same seed are independent.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_draws, len(groups))``, chains stacked first (as :func:`hlmkit.posterior_draws`).

    Raises
    ------
    TypeError
        If ``idata`` is not a fit, an argument has the wrong type, ``groups`` is a DataFrame or
        mixes label types (``1`` and ``"1"``).
    KeyError
        If ``var_name``, ``tau`` or ``center`` is not in the posterior.
    ValueError
        If there are unseen labels and ``allow_new`` is False, if an unseen label has another
        type than the fit's labels (``"1221"`` on a fit labelled ``1221``), if a new group needs
        a seed, if ``groups`` is empty or has missing labels, or ``tau`` has negative draws.

    Examples
    --------
    A two-level fit: ``alpha[school] = mu + tau * z``.

    >>> import numpy as np, xarray as xr
    >>> from hlmkit import group_effect_draws
    >>> rng = np.random.default_rng(0)
    >>> post = xr.Dataset({
    ...     "mu": (("chain", "draw"), np.full((2, 500), 1.0)),
    ...     "tau": (("chain", "draw"), np.full((2, 500), 0.5)),
    ...     "alpha": (("chain", "draw", "school"), rng.normal(1.0, 0.1, (2, 500, 2))),
    ... }, coords={"school": ["A", "B"]})
    >>> fit = xr.DataTree.from_dict({"posterior": post})
    >>> draws = group_effect_draws(fit, "alpha", ["A", "new", "new"], allow_new=True, seed=1)
    >>> draws.shape
    (1000, 3)
    >>> bool(np.array_equal(draws[:, 1], draws[:, 2]))  # one new school, one shared effect
    True
    >>> round(float(draws[:, 1].std()), 1)  # a new school's effect spreads by tau
    0.5

    A new county in a three-level fit adds a county effect and a school effect, each from
    its own population (``center=None``: deviations around zero), to the intercept::

        logit_p = (mu_draws[:, None]
                   + group_effect_draws(fit, "u_county", new["county"], tau="tau_county",
                                        center=None, allow_new=True, seed=1)
                   + group_effect_draws(fit, "u_school", new["school"], tau="tau_school",
                                        center=None, allow_new=True, seed=1))
    """
    labels, _ = _group_labels(idata, var_name)
    allow_new = check_flag(allow_new, "allow_new")
    rows = pd.Series(check_labels(groups), dtype=object)
    if rows.empty:
        raise ValueError("`groups` is empty: pass one group label per row to predict.")
    if rows.isna().any():
        raise ValueError(f"`groups` has {int(rows.isna().sum())} missing label(s): every row needs a group.")
    check_label_types(rows, "`groups`")
    positions = labels.get_indexer(rows.to_numpy())
    new_labels = list(pd.unique(rows[positions < 0]))
    if new_labels and allow_new:
        _check_label_kinds(labels, new_labels, var_name)
    if new_labels and not allow_new:
        hint = ""
        if len(labels) and all(type(g) is not type(labels[0]) for g in new_labels):
            hint = (f" The fit's labels are of type {type(labels[0]).__name__} (e.g. {labels[0]!r}), "
                    f"the ones given of type {type(new_labels[0]).__name__}: convert them to match.")
        raise ValueError(
            f"{len(new_labels)} group label(s) are not in the fit's {var_name!r} (e.g. {new_labels[:5]}).{hint} "
            "If they are genuinely new groups, pass allow_new=True (with a seed) to draw their effects "
            "from the population distribution."
        )
    draws = idata.posterior[var_name].stack(sample=_SAMPLE_DIMS).transpose("sample", ...).values
    n_samples = draws.shape[0]
    result = np.empty((n_samples, len(rows)))
    seen = positions >= 0
    result[:, seen] = draws[:, positions[seen]]
    if new_labels:
        if seed is None:
            raise ValueError("New groups are drawn at random: pass `seed` (an integer) for reproducible draws.")
        seed = check_seed(seed)
        center_draws = _scalar_draws(idata, center, "center", n_samples)
        tau_draws = _scalar_draws(idata, tau, "tau", n_samples)
        if (tau_draws < 0).any():
            raise ValueError("`tau` must be non-negative in every draw.")
        for label in new_labels:
            z = _label_stream(seed, var_name, label).standard_normal(n_samples)
            result[:, (rows == label).to_numpy()] = (center_draws + tau_draws * z)[:, None]
    return result


@dataclass(frozen=True)
class EvidenceUpdate:
    r"""Posterior draws reweighted by new evidence (see :func:`update_with_evidence`).

    Attributes
    ----------
    weights : numpy.ndarray
        One normalised importance weight per draw (they sum to 1).
    pareto_k : float
        Pareto shape of the weights' upper tail: above 0.7 the reweighting is unreliable (refit
        the model with the new data). A binomial likelihood is bounded, so its weights get a
        heavy tail only once very few draws carry them: k can stay low while the new data
        outweigh the old, so check ``ess`` too.
    ess : float
        Effective number of draws after reweighting, :math:`1 / \sum_s w_s^2`. It falls as the
        new evidence grows; refit once it is below what the quantities you report need (the
        book asks for ``MIN_ESS``).
    """

    weights: np.ndarray
    pareto_k: float
    ess: float

    def _values(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if values.shape[0] != self.weights.shape[0]:
            raise ValueError(f"`values` must have one row per draw ({self.weights.shape[0]}), got {values.shape[0]}.")
        return values

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Return the updated posterior mean of a quantity given by its draws (first axis: draws)."""
        values = self._values(values)
        return np.tensordot(self.weights, values, axes=(0, 0))

    def quantile(self, values: np.ndarray, q: float | Sequence[float]) -> np.ndarray:
        """Return the updated posterior quantile(s) of a quantity with one value per draw."""
        values = self._values(values)
        if values.ndim != 1:
            raise ValueError("`quantile` needs one value per draw (a 1-d array).")
        order = np.argsort(values)
        cumulative = np.cumsum(self.weights[order])
        cumulative /= cumulative[-1]
        index = np.searchsorted(cumulative, np.atleast_1d(np.asarray(q, dtype=float)), side="left")
        result = values[order][np.minimum(index, len(values) - 1)]
        return result if np.ndim(q) else result[0]


def update_with_evidence(probability: np.ndarray, successes: int, trials: int) -> EvidenceUpdate:
    r"""Update a group's posterior with new pass/fail counts, by reweighting its draws (Bayes' rule).

    If the draws :math:`p_s` represent the posterior given the old data, then the posterior
    given the old *and* the new data is the same set of draws weighted by the new data's
    likelihood, :math:`w_s \propto p_s^{k} (1 - p_s)^{n - k}`: new information is evidence
    that multiplies the old posterior. The weights are Pareto-smoothed (PSIS, as in LOO). The
    draws can carry the update while their Pareto k is below 0.7 *and* enough effective draws
    are left: with much new evidence k stays low but ``ess`` collapses, and a refit is needed.
    Several cohorts of the same school combine by adding their counts.

    Parameters
    ----------
    probability : array_like
        Posterior draws of the group's probability, one per draw, all in [0, 1].
    successes, trials : int
        The new evidence: proficient pupils out of pupils tested (``0 <= successes <= trials``;
        ``trials = 0`` leaves the posterior unchanged).

    Returns
    -------
    EvidenceUpdate
        Weights, Pareto k and effective sample size; its ``mean`` and ``quantile`` methods
        summarise any quantity under the updated posterior.

    Raises
    ------
    ValueError
        If the draws are not probabilities or the counts are invalid.

    Examples
    --------
    Draws from Beta(2, 2); after 3 of 4 the exact posterior is Beta(5, 3), with mean 5/8.

    >>> import numpy as np
    >>> from hlmkit import update_with_evidence
    >>> p = np.random.default_rng(0).beta(2, 2, size=20_000)
    >>> update = update_with_evidence(p, successes=3, trials=4)
    >>> round(float(update.mean(p)), 2)
    0.62
    >>> bool(update.pareto_k < 0.7)
    True
    """
    p = np.asarray(probability, dtype=float).ravel()
    if p.size < 2 or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("`probability` must hold at least two draws, each a probability in [0, 1].")
    for value, name in ((successes, "successes"), (trials, "trials")):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative integer, got {value!r}.")
    if successes > trials:
        raise ValueError(f"`successes` ({successes}) cannot exceed `trials` ({trials}).")
    with np.errstate(divide="ignore"):
        log_ratio = successes * np.log(p) + (trials - successes) * np.log1p(-p)
    if not np.isfinite(log_ratio).any():
        raise ValueError("No draw is compatible with the new evidence (every likelihood is 0): refit the model.")
    if trials == 0:
        weights = np.full(p.size, 1.0 / p.size)
        return EvidenceUpdate(weights=weights, pareto_k=-np.inf, ess=float(p.size))
    # ArviZ's psislw takes log-likelihoods of points to *remove* (weights 1 / likelihood); adding
    # evidence is the reverse, so it gets the negated log-likelihood of the new data.
    ratios = xr.DataArray(-np.where(np.isfinite(log_ratio), log_ratio, -1e300), dims=("sample",))
    log_weights, pareto_k = ratios.azstats.psislw(dim="sample", r_eff=1.0)
    log_weights = np.asarray(log_weights.values, dtype=float)
    weights = np.exp(log_weights - logsumexp(log_weights))
    return EvidenceUpdate(weights=weights, pareto_k=float(pareto_k), ess=float(1.0 / np.sum(weights**2)))
