r"""Binary and count outcomes: logistic models of pass/fail, one row per student or per school.

A student is proficient (1) or not (0). Two likelihoods describe the same data:

- **Bernoulli**, one row per student: :math:`y_i \sim \mathrm{Bernoulli}(p_{j[i]})`;
- **binomial**, one row per school: :math:`s_j \sim \mathrm{Binomial}(n_j, p_j)`, with
  :math:`s_j` the proficient pupils out of :math:`n_j` tested (see :func:`aggregate_binary`).

When the probability depends only on the school, the two likelihoods differ by the constant
:math:`\log\binom{n_j}{s_j}`, so they give the same posterior; the binomial form evaluates
one term per school instead of one per student, and samples much faster.

Both builders offer the three pooling strategies of the book on the log-odds (logit) scale,
:math:`p = \operatorname{logit}^{-1}(\alpha)`:

- ``pooling="complete"``: one ``alpha`` for everybody;
- ``pooling="no"``: an independent ``alpha`` per group, each with the fixed prior
  Normal(0, ``prior_scale``);
- ``pooling="partial"``: :math:`\alpha_j \sim \mathrm{Normal}(\mu, \tau)` with ``mu`` and ``tau`` learned.

The default priors are on the log-odds scale: ``Normal(0, 1.5)`` for an intercept puts roughly
even prior mass on every probability between 5% and 95% (a wider one piles it up near 0 and
1); ``tau ~ HalfNormal(1)`` expects schools' log-odds to differ by up to about one unit, i.e.
proficiency rates from about 27% to 73% around an average school at 50%. Slopes get
``Normal(0, 1 / s_x)``: a change of one standard deviation in a predictor is expected to move the
log-odds by less than about 2.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pymc as pm

from hlmkit._design import RESERVED_NAMES
from hlmkit._parameterization import CHOICES, auto_parameterization_binary
from hlmkit._validate import (
    check_columns,
    check_frame,
    check_name,
    check_names,
    check_no_missing,
    check_numeric,
    check_positive,
)
from hlmkit.coding import encode_groups

#: The pooling strategies the builders accept.
POOLING = ("complete", "no", "partial")

#: Names the binary builders use for their own dims and variables (a group column so named would clash).
BINARY_RESERVED_NAMES = (*RESERVED_NAMES, "p", "trials")


def _check_binary(data: pd.DataFrame, outcome: str) -> np.ndarray:
    """Return the outcome as an int array of 0/1, or raise naming the column and the bad values."""
    values = check_numeric(data, outcome, role="outcome")
    bad = (values != 0) & (values != 1)
    if bad.any():
        examples = sorted(set(data[outcome][bad].tolist()))[:5]
        raise ValueError(
            f"The outcome column {outcome!r} must hold only 0 and 1 (or False/True), but "
            f"{int(bad.sum())} row(s) hold other values (e.g. {examples}). Make a 0/1 column first, "
            f"e.g. data.assign(pass_=(data[{outcome!r}] >= threshold).astype(int))."
        )
    return values.astype(np.int64)


def _check_counts(data: pd.DataFrame, successes: str, trials: str) -> tuple[np.ndarray, np.ndarray]:
    """Return integer successes and trials, or raise naming the column and the first bad rows."""
    if successes == trials:
        raise ValueError(f"`successes` and `trials` must be different columns, got {successes!r} twice.")
    check_columns(data, [successes, trials])
    k = check_numeric(data, successes, role="successes")
    n = check_numeric(data, trials, role="trials")
    for values, column in ((k, successes), (n, trials)):
        fractional = values != np.round(values)
        if fractional.any():
            rows = list(data.index[fractional][:5])
            raise ValueError(
                f"The column {column!r} must hold whole numbers (counts of pupils), but rows {rows} "
                "do not. Did you pass a rate instead of a count?"
            )
    if (n < 1).any():
        rows = list(data.index[n < 1][:5])
        raise ValueError(
            f"The trials column {trials!r} must be at least 1 in every row (a group with no pupils "
            f"tested has no data); rows {rows} are not. Drop them."
        )
    if (k < 0).any():
        rows = list(data.index[k < 0][:5])
        raise ValueError(f"The successes column {successes!r} must not be negative; rows {rows} are.")
    over = k > n
    if over.any():
        rows = list(data.index[over][:5])
        raise ValueError(
            f"The successes column {successes!r} exceeds its number of trials {trials!r} in "
            f"{int(over.sum())} row(s) (first rows: {rows}): a school cannot have more proficient "
            "pupils than pupils tested. Check that the columns are not swapped."
        )
    return k.astype(np.int64), n.astype(np.int64)


def _check_options(group: str | None, pooling: str, parameterization: str) -> None:
    if pooling not in POOLING:
        raise ValueError(f"`pooling` must be one of {POOLING}, got {pooling!r}.")
    if parameterization not in CHOICES:
        raise ValueError(f"`parameterization` must be one of {CHOICES}, got {parameterization!r}.")
    if pooling != "complete" and group is None:
        raise ValueError(
            f"pooling={pooling!r} needs a `group` column (e.g. group='school'); "
            "only pooling='complete' works without groups."
        )
    if group is not None and not isinstance(group, str):
        raise TypeError(f"`group` must be a column name (str), got {group!r}.")
    if group in BINARY_RESERVED_NAMES:
        raise ValueError(
            f"The group column {group!r} has a name the model uses for its own dims and variables "
            f"{BINARY_RESERVED_NAMES}. Rename it first, e.g. data.rename(columns={{{group!r}: '{group}_id'}})."
        )


def _predictor_matrix(
    data: pd.DataFrame, predictors: Sequence[str], used: Sequence[str | None]
) -> tuple[list[str], np.ndarray]:
    predictors = check_names(predictors, "predictors")
    clash = [p for p in predictors if p in used]
    if clash:
        raise ValueError(f"Predictor(s) {clash} are also the outcome, count or group column: use different columns.")
    check_columns(data, predictors)
    columns = [check_numeric(data, p, role="predictor") for p in predictors]
    x = np.column_stack(columns) if columns else np.zeros((len(data), 0))
    scale = np.std(x, axis=0)
    constant = [p for p, s in zip(predictors, scale, strict=True) if not s > 0]
    if constant:
        raise ValueError(f"Predictor(s) {constant} are constant: drop them, they cannot be estimated.")
    return predictors, x


def _check_groups(data: pd.DataFrame, group: str | None, pooling: str) -> None:
    """Refuse partial pooling of a single group, before any PyMC graph is built."""
    if pooling != "partial" or group is None:
        return
    index = encode_groups(data, group)
    if index.n_groups < 2:
        raise ValueError(
            f"Partial pooling needs at least two groups in {group!r} to learn how much groups "
            f"differ (tau), but found one ({index.labels[0]!r}). Use pooling='complete' instead."
        )


def _logit_structure(
    data: pd.DataFrame,
    group: str | None,
    pooling: str,
    parameterization: str,
    predictors: list[str],
    x: np.ndarray,
    prior_scale: float,
    tau_scale: float,
):
    """Add the log-odds structure to the model in context and return (logit per row, probability)."""
    slopes = 0.0
    if predictors:
        beta = pm.Normal("beta", mu=0.0, sigma=1.0 / np.std(x, axis=0), dims="predictor")
        x_data = pm.Data("x", x, dims=("obs", "predictor"))
        slopes = pm.math.dot(x_data, beta)
    if pooling == "complete":
        alpha = pm.Normal("alpha", mu=0.0, sigma=prior_scale)
        pm.Deterministic("p", pm.math.invlogit(alpha))
        return alpha + slopes
    assert group is not None  # _check_options: pooling other than complete has a group
    index = encode_groups(data, group)
    code = pm.Data(f"{group}_code", index.codes, dims="obs")
    if pooling == "no":
        alpha = pm.Normal("alpha", mu=0.0, sigma=prior_scale, dims=group)
    else:
        mu = pm.Normal("mu", mu=0.0, sigma=prior_scale)
        tau = pm.HalfNormal("tau", sigma=tau_scale)
        if parameterization == "noncentered":
            z = pm.Normal("z", 0.0, 1.0, dims=group)
            alpha = pm.Deterministic("alpha", mu + tau * z, dims=group)
        else:
            alpha = pm.Normal("alpha", mu=mu, sigma=tau, dims=group)
    pm.Deterministic("p", pm.math.invlogit(alpha), dims=group)
    return alpha[code] + slopes


def _choose(
    data: pd.DataFrame, group: str | None, pooling: str, choice: str, successes: np.ndarray, trials: np.ndarray
) -> str:
    """Choose the form of the group intercepts: the one given, or the rule's for ``"auto"`` (partial pooling)."""
    if choice != "auto" or pooling != "partial" or group is None:
        return "noncentered" if choice == "auto" else choice
    return auto_parameterization_binary(successes, trials, encode_groups(data, group))


def _coords(data: pd.DataFrame, group: str | None, pooling: str, predictors: list[str]) -> dict[str, list]:
    coords: dict[str, list] = {"obs": list(range(len(data)))}
    if predictors:
        coords["predictor"] = predictors
    if pooling != "complete":
        assert group is not None  # _check_options: pooling other than complete has a group
        coords.update(encode_groups(data, group).coords)
    return coords


def bernoulli_model(
    data: pd.DataFrame,
    outcome: str,
    group: str | None = None,
    *,
    pooling: str = "partial",
    predictors: Sequence[str] = (),
    parameterization: str = "auto",
    prior_scale: float = 1.5,
    tau_scale: float = 1.0,
) -> pm.Model:
    r"""Logistic regression with one row per student: a 0/1 outcome and a pooling strategy.

    .. math:: y_i \sim \mathrm{Bernoulli}(p_i), \quad
              \operatorname{logit}(p_i) = \alpha_{j[i]} + x_i^\top \beta

    Parameters
    ----------
    data : pandas.DataFrame
        One row per student.
    outcome : str
        Column of 0/1 (or boolean) outcomes, e.g. ``"proficient"``.
    group : str, optional
        Grouping column (e.g. ``"school"``); required unless ``pooling="complete"``.
    pooling : {"complete", "no", "partial"}
        The pooling strategy for the group intercepts (see the module docstring).
    predictors : sequence of str, optional
        Numeric student-level predictors with common slopes (centre them).
    parameterization : {"auto", "noncentered", "centered"}
        For ``pooling="partial"``: ``alpha = mu + tau * z`` (free ``z``) or ``alpha`` drawn
        directly; ``"auto"`` (the default) chooses by the rule of the chapter on sampling
        problems for pass/fail data (:func:`auto_parameterization_binary`). The form used is in
        ``model.parameterization`` (``{group: form}``; empty without partial pooling).
    prior_scale : float
        Prior sd of the intercept(s) ``alpha`` (complete and no pooling) or of ``mu`` (partial
        pooling), on the log-odds scale.
    tau_scale : float
        Scale of the HalfNormal prior of ``tau`` (partial pooling only).

    Returns
    -------
    pymc.Model
        Variables ``alpha`` (scalar, or dim ``group``), ``p`` (the group probabilities, same
        shape as ``alpha``), ``mu``, ``tau`` (and ``z``) for partial pooling, ``beta`` (dim
        ``predictor``) if predictors; likelihood ``y`` (dim ``obs``).

    Raises
    ------
    KeyError
        If a column is missing.
    TypeError
        If a column is not numeric, or ``group`` is not a string.
    ValueError
        If the outcome is not 0/1, a value is missing, a predictor is constant, an option is
        unknown, ``group`` is missing for pooling other than complete, or partial pooling has one group.

    Examples
    --------
    >>> from hlmkit import bernoulli_model, simulate_literacy
    >>> students = simulate_literacy(seed=1).students
    >>> model = bernoulli_model(students, "proficient", "school")
    >>> model.parameterization  # the rule's choice: schools of about 45 pupils carry much information
    {'school': 'centered'}
    >>> sorted(v.name for v in model.free_RVs)
    ['alpha', 'mu', 'tau']
    >>> model.named_vars_to_dims["p"]
    ('school',)
    """
    check_frame(data)
    check_name(outcome, "outcome")
    _check_options(group, pooling, parameterization)
    prior_scale = check_positive(prior_scale, "prior_scale")
    tau_scale = check_positive(tau_scale, "tau_scale")
    check_columns(data, [outcome] + ([group] if group else []))
    if group is not None:
        check_no_missing(data, group)
    y = _check_binary(data, outcome)
    predictors, x = _predictor_matrix(data, predictors, [outcome, group])
    _check_groups(data, group, pooling)
    parameterization = _choose(data, group, pooling, parameterization, y, np.ones_like(y))
    with pm.Model(coords=_coords(data, group, pooling, predictors)) as model:
        logit_p = _logit_structure(data, group, pooling, parameterization, predictors, x, prior_scale, tau_scale)
        pm.Bernoulli("y", logit_p=logit_p, observed=y, dims="obs")
    model.parameterization = {group: parameterization} if pooling == "partial" else {}
    return model


def binomial_model(
    data: pd.DataFrame,
    successes: str,
    trials: str,
    group: str | None = None,
    *,
    pooling: str = "partial",
    predictors: Sequence[str] = (),
    parameterization: str = "auto",
    prior_scale: float = 1.5,
    tau_scale: float = 1.0,
) -> pm.Model:
    r"""Logistic regression for counts: successes out of trials per row (typically one row per school).

    .. math:: s_r \sim \mathrm{Binomial}(n_r, p_r), \quad
              \operatorname{logit}(p_r) = \alpha_{j[r]} + x_r^\top \beta

    With one row per school (from :func:`aggregate_binary`) this has the same posterior as
    :func:`bernoulli_model` on the students, and is much faster to sample.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group (or per group and covariate pattern).
    successes, trials : str
        Columns of whole numbers with ``0 <= successes <= trials`` and ``trials >= 1``.
    group : str, optional
        Grouping column; required unless ``pooling="complete"``. A group may span several rows.
    pooling : {"complete", "no", "partial"}
        The pooling strategy for the group intercepts.
    predictors : sequence of str, optional
        Numeric row-level predictors with common slopes.
    parameterization : {"auto", "noncentered", "centered"}
        For ``pooling="partial"``, as in :func:`bernoulli_model`.
    prior_scale, tau_scale : float
        Prior scales, as in :func:`bernoulli_model`.

    Returns
    -------
    pymc.Model
        As :func:`bernoulli_model`; the likelihood ``y`` (dim ``obs``, one per row) counts the
        successes, and the trials are stored as data ``trials``.

    Raises
    ------
    KeyError, TypeError
        As for :func:`bernoulli_model`.
    ValueError
        If a count is not a whole number, trials are below 1, successes are negative or exceed
        their trials, or as for :func:`bernoulli_model`.

    Examples
    --------
    >>> from hlmkit import aggregate_binary, binomial_model, simulate_literacy
    >>> schools = aggregate_binary(simulate_literacy(seed=1).students, "proficient", "school")
    >>> model = binomial_model(schools, "successes", "trials", "school", pooling="no")
    >>> sorted(v.name for v in model.free_RVs)
    ['alpha']
    >>> model.named_vars_to_dims["y"]
    ('obs',)
    """
    check_frame(data)
    check_name(successes, "successes")
    check_name(trials, "trials")
    _check_options(group, pooling, parameterization)
    prior_scale = check_positive(prior_scale, "prior_scale")
    tau_scale = check_positive(tau_scale, "tau_scale")
    if group is not None:
        check_columns(data, [group])
        check_no_missing(data, group)
        if group in (successes, trials):
            raise ValueError(f"The group column {group!r} cannot also be the successes or trials column.")
    k, n = _check_counts(data, successes, trials)
    predictors, x = _predictor_matrix(data, predictors, [successes, trials, group])
    _check_groups(data, group, pooling)
    parameterization = _choose(data, group, pooling, parameterization, k, n)
    with pm.Model(coords=_coords(data, group, pooling, predictors)) as model:
        logit_p = _logit_structure(data, group, pooling, parameterization, predictors, x, prior_scale, tau_scale)
        n_data = pm.Data("trials", n, dims="obs")
        pm.Binomial("y", n=n_data, logit_p=logit_p, observed=k, dims="obs")
    model.parameterization = {group: parameterization} if pooling == "partial" else {}
    return model


def aggregate_binary(data: pd.DataFrame, outcome: str, group: str, *, keep: Sequence[str] = ()) -> pd.DataFrame:
    """Turn one row per student into one row per group: proficient pupils out of pupils tested.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per student.
    outcome : str
        Column of 0/1 (or boolean) outcomes.
    group : str
        Grouping column (e.g. ``"school"``).
    keep : sequence of str, optional
        Group-level columns to carry along (e.g. ``["county"]``); each must be constant within a group.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted by label (the order of :func:`hlmkit.encode_groups`), with
        columns ``group``, the ``keep`` columns, ``successes``, ``trials`` and ``rate``
        (successes / trials, the no-pooling estimate). The input is not modified.

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        If the outcome is not 0/1, a column has missing values, or a ``keep`` column varies
        within a group.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import aggregate_binary
    >>> students = pd.DataFrame({"school": ["b", "a", "b", "b"], "passed": [1, 0, 0, 1]})
    >>> aggregate_binary(students, "passed", "school")
      school  successes  trials      rate
    0      a          0       1  0.000000
    1      b          2       3  0.666667
    """
    check_frame(data)
    keep = check_names(keep, "keep")
    check_name(outcome, "outcome")
    check_name(group, "group")
    reserved = [c for c in [group, *keep] if c in ("successes", "trials", "rate")]
    if reserved:
        raise ValueError(
            f"Column(s) {reserved} would clash with the output columns successes/trials/rate: rename them."
        )
    if outcome == group or outcome in keep or group in keep:
        raise ValueError(f"`outcome` ({outcome!r}), `group` ({group!r}) and `keep` {keep} must be different columns.")
    check_columns(data, [outcome, group, *keep])
    check_no_missing(data, group)
    y = _check_binary(data, outcome)
    index = encode_groups(data, group)
    successes = np.bincount(index.codes, weights=y, minlength=index.n_groups).astype(np.int64)
    trials = index.sizes.astype(np.int64)
    table = pd.DataFrame({group: index.labels.to_numpy()})
    for column in keep:
        check_no_missing(data, column, role="keep")
        varying = pd.Series(data[column].to_numpy()).groupby(index.codes).nunique()
        if (varying > 1).any():
            bad = list(index.decode(varying.index[varying > 1].to_numpy()[:5]))
            raise ValueError(
                f"The column {column!r} varies within {group} {bad}: only group-level columns "
                "(constant within each group) can be kept."
            )
        first = pd.Series(data[column].to_numpy()).groupby(index.codes).first()
        table[column] = first.to_numpy()
    table["successes"] = successes
    table["trials"] = trials
    table["rate"] = successes / trials
    return table


def true_proficiency_rates(region: object) -> pd.Series:
    r"""Each simulated school's true proficiency rate: the chance that a random pupil of it is proficient.

    In :func:`hlmkit.simulate_literacy` a pupil of school :math:`j` in grade :math:`g` scores
    :math:`\alpha_j + \beta_{\text{grade}}(g - g_0) + \beta_j \text{SES} + \varepsilon` with
    SES normal around the school's mean SES and :math:`\varepsilon \sim N(0, \sigma^2)`, and
    grades equally likely. The score is then normal given the grade, so the rate is the average
    over grades of a normal tail probability above the threshold. The grades and the
    within-school SES spread are read from the students, not assumed.

    Parameters
    ----------
    region : hlmkit.SimulatedRegion
        A region from :func:`hlmkit.simulate_literacy`.

    Returns
    -------
    pandas.Series
        True rate per school, indexed by school label (the order of ``region.schools``).

    Raises
    ------
    TypeError
        If ``region`` is not a simulated region.
    ValueError
        If the students' grades are not (close to) equally likely, as the formula assumes.

    Examples
    --------
    >>> from hlmkit import simulate_literacy, true_proficiency_rates
    >>> region = simulate_literacy(seed=1)
    >>> rates = true_proficiency_rates(region)
    >>> bool(rates.between(0, 1).all()), len(rates) == len(region.schools)
    (True, True)
    """
    from scipy.stats import norm

    from hlmkit.data import SimulatedRegion

    if not isinstance(region, SimulatedRegion):
        raise TypeError(
            f"`region` must be a SimulatedRegion from hlmkit.simulate_literacy, got {type(region).__name__}."
        )
    students, schools, params = region.students, region.schools.set_index("school"), region.params
    shares = students["grade"].value_counts(normalize=True)
    if (shares - 1 / len(shares)).abs().max() > 0.05:
        raise ValueError(
            f"The grades are not equally likely ({shares.round(2).to_dict()}); the formula assumes they are."
        )
    grades = np.sort(shares.index.to_numpy())
    within_sd = float((students["ses"] - students.groupby("school")["ses"].transform("mean")).std())
    slope = schools["true_ses_slope"].to_numpy()[:, None]
    mean = (schools["true_intercept"].to_numpy()[:, None]
            + params["beta_grade"] * (grades - params["reference_grade"])
            + (schools["true_ses_slope"] * schools["mean_ses"]).to_numpy()[:, None])
    sd = np.sqrt(params["sigma"] ** 2 + (within_sd * slope) ** 2)
    rate = norm.sf(params["proficiency_threshold"], mean, sd).mean(axis=1)
    return pd.Series(rate, index=schools.index, name="true_rate")
