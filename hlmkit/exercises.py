"""Checks for a learner's notebook: run after each exercise, a tick or a helpful message.

A chapter's exercises end with a cell that calls :func:`check` (or :func:`check_between`) on
the learner's answer. These are the only coursework helpers a learner's notebook calls; the tools
that make hand-outs and grade them live in the ``coursework`` package beside ``hlmkit``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class CheckFailed(AssertionError):
    """An answer failed a check; the message says what was expected."""


def _stubs(condition: Callable[[], object]) -> list[str]:
    """Names the condition reads (globals or closure) that still hold the stub ``...``."""
    code = getattr(condition, "__code__", None)
    if code is None:
        return []
    namespace = dict(getattr(condition, "__globals__", {}))
    for name, cell in zip(code.co_freevars, getattr(condition, "__closure__", None) or (), strict=False):
        try:
            namespace[name] = cell.cell_contents
        except ValueError:  # an empty cell: the name is not bound yet
            continue
    names = (*code.co_names, *code.co_freevars)
    return sorted({name for name in names if name in namespace and namespace[name] is Ellipsis})


def _evaluate(condition: object, message: str) -> object:
    __tracebackhide__ = True  # IPython shows the student's cell, not this frame
    if not callable(condition):
        return condition
    stubs = _stubs(condition)
    if stubs:
        listed = ", ".join(f"`{name}`" for name in stubs)
        raise CheckFailed(
            f"{message} (An answer is still `...`: {listed} still holds the stub; replace it with your "
            "answer and run your cell.)"
        )
    try:
        return condition()
    except Exception as error:  # the student's names may be missing or still `...`
        if "ellipsis" in str(error):
            hint = "An answer is still `...`: replace it with your answer and run your cell."
        else:
            hint = (
                f"The check could not be evaluated: {type(error).__name__}: {error}. Did you run your "
                "answer cell and keep the variable names the exercise asks for?"
            )
        raise CheckFailed(f"{message} ({hint})") from None


def check(condition: bool | Callable[[], object], message: str) -> None:
    """Pass quietly with a tick, or stop with a helpful message.

    Parameters
    ----------
    condition : bool or callable
        What must hold. Pass a function of no arguments (a ``lambda``) when evaluating the
        condition could itself fail, e.g. because the student has not defined a name yet: the
        error is then turned into the helpful message instead of a bare ``NameError``.
    message : str
        What the answer should satisfy, addressed to the student
        (e.g. ``"share_outside should be a share between 0 and 1"``).

    Returns
    -------
    None
        Prints ``✓ message`` when the check passes.

    Raises
    ------
    CheckFailed
        If the condition is false, is ``...`` (an unanswered stub), or cannot be evaluated.
    TypeError
        If ``message`` is not a string, or the condition is an array (use ``.all()``).

    Examples
    --------
    >>> from hlmkit import check
    >>> share = 0.25
    >>> check(lambda: 0 <= share <= 1, "share should lie between 0 and 1")
    ✓ share should lie between 0 and 1
    >>> check(lambda: undefined_name > 0, "undefined_name should be positive")
    Traceback (most recent call last):
    ...
    hlmkit.exercises.CheckFailed: undefined_name should be positive (The check could not be evaluated: NameError: ...
    """
    __tracebackhide__ = True
    if not isinstance(message, str):
        raise TypeError(f"`message` must be a string, got {type(message).__name__}.")
    result = _evaluate(condition, message)
    if result is Ellipsis:
        raise CheckFailed(f"{message} (The answer is still `...`: replace it with your answer.)")
    if isinstance(result, np.ndarray) and result.size != 1:
        raise TypeError("check: the condition is an array; reduce it with .all() or .any() first.")
    if not bool(result):
        raise CheckFailed(message)
    print(f"✓ {message}")


def check_between(
    values: object,
    bound_a: object,
    bound_b: object,
    message: str,
    *,
    labels: Sequence[object] | None = None,
    tolerance: float = 1e-6,
) -> None:
    """Check that every value lies between two bounds (in either order), naming the first miss.

    Parameters
    ----------
    values, bound_a, bound_b : array_like or callable
        Numbers that broadcast against each other; each may be a function of no arguments
        (see :func:`check`). For each element, the bounds may come in either order.
    message : str
        Message for the first value outside its bounds; it may use the fields ``{label}``,
        ``{value}``, ``{low}`` and ``{high}`` (e.g. ``"your estimate for school {label}
        ({value:.1f}) should lie between {low:.1f} and {high:.1f}"``).
    labels : sequence, optional
        A label per value (school names, say); default: the position.
    tolerance : float
        How far outside the bounds a value may lie (rounding).

    Returns
    -------
    None
        Prints a tick and the number of values checked when all pass.

    Raises
    ------
    CheckFailed
        If a value lies outside its bounds, is missing (``...`` or NaN), or the shapes differ.
    TypeError
        If ``message`` is not a string or ``labels`` is not a sequence.
    ValueError
        If ``tolerance`` is negative, or ``labels`` does not hold one label per value.

    Examples
    --------
    >>> from hlmkit import check_between
    >>> check_between([2.0, 5.0], [0.0, 9.0], [3.0, 4.0], "value {label} should lie between {low} and {high}")
    ✓ all 2 values lie between their bounds
    >>> check_between([2.0, 10.0], [0.0, 9.0], [3.0, 4.0], "value {label} should lie between {low} and {high}",
    ...               labels=["a", "b"])
    Traceback (most recent call last):
    ...
    hlmkit.exercises.CheckFailed: value b should lie between 4.0 and 9.0
    """
    __tracebackhide__ = True
    if not isinstance(message, str):
        raise TypeError(f"`message` must be a string, got {type(message).__name__}.")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not tolerance >= 0:
        raise ValueError(f"`tolerance` must be a non-negative number, got {tolerance!r}.")
    indexable = hasattr(labels, "__len__") and hasattr(labels, "__getitem__")
    if labels is not None and (isinstance(labels, str) or not indexable):
        raise TypeError(f"`labels` must be a sequence with one label per value, got {type(labels).__name__}.")
    arrays = []
    for name, item in (("values", values), ("first bound", bound_a), ("second bound", bound_b)):
        item = _evaluate(item, f"The {name} of this check could not be computed.")
        try:
            arrays.append(np.asarray(item, dtype=float))
        except (TypeError, ValueError):
            raise CheckFailed(
                f"The {name} of this check are not numbers (got {type(item).__name__}): "
                "did you replace every `...` with your answer?"
            ) from None
    value, a, b = arrays
    try:
        shape = np.broadcast_shapes(value.shape, a.shape, b.shape)
    except ValueError:
        raise CheckFailed(
            f"Expected {max(a.size, b.size)} values, one per bound, but got {value.size}."
        ) from None
    if value.shape != shape:
        raise CheckFailed(f"Expected {int(np.prod(shape))} values but got {value.size}.")
    value, low, high = (np.broadcast_to(x, shape).ravel() for x in (value, np.minimum(a, b), np.maximum(a, b)))
    if labels is not None and len(labels) != value.size:
        raise ValueError(f"`labels` must hold one label per value: got {len(labels)} labels for {value.size} values.")
    bad = np.flatnonzero(~((value >= low - tolerance) & (value <= high + tolerance)))
    if bad.size:
        k = int(bad[0])
        label = labels[k] if labels is not None and k < len(labels) else k
        try:
            text = message.format(label=label, value=value[k], low=low[k], high=high[k])
        except (KeyError, IndexError, ValueError):
            text = message
        raise CheckFailed(f"{text} ({bad.size} of {value.size} values outside their bounds)" if bad.size > 1 else text)
    print(f"✓ all {value.size} values lie between their bounds")


def _model_or_fail(model: object, argument: str) -> Any:
    __tracebackhide__ = True
    import pymc as pm

    if model is Ellipsis:
        raise CheckFailed(f"`{argument}` is still `...`: build your model with `with pm.Model(...) as {argument}:`.")
    if not isinstance(model, pm.Model):
        raise CheckFailed(f"`{argument}` should be a PyMC model (`pm.Model`), got {type(model).__name__}.")
    return model


def _words(name: str, describe: dict[str, str]) -> str:
    return f"{describe[name]} (`{name}`)" if name in describe else f"`{name}`"


def _log_densities(m: Any, names: Sequence[str], free: Sequence[str]) -> Callable:
    """Compile one function of a point: each variable's log density, the total, and the gradient.

    The gradient is taken with respect to the free variables in the order of ``free``, so the
    order of statements in a learner's model does not matter.
    """
    terms = m.logp(vars=[m[name] for name in names], jacobian=True, sum=False)
    outs = [term.sum() for term in terms] + [m.logp(jacobian=True), m.dlogp(vars=[m[name] for name in free])]
    return m.compile_fn(outs, inputs=m.value_vars, on_unused_input="ignore", mode="FAST_COMPILE")


def model_summary(model: Any, *, points: int = 5, seed: int = 0) -> dict[str, Any]:
    """Return what :func:`check_model` compares of a model, as plain data (names, shapes, numbers).

    The grader runs a learner's code in one Python process and the checks in another, so a model
    crosses between them as this summary, never as the model itself.

    Parameters
    ----------
    model : pymc.Model
        The model to summarise.
    points : int
        How many points to evaluate its log density at: its initial point, moved by independent
        normal noise (standard deviation 0.5) on the sampler's scale.
    seed : int
        Seed of the points.

    Returns
    -------
    dict
        ``free`` and ``observed`` (variable names), ``deterministics``, ``shapes`` (of the free
        variables), ``values`` (the name the sampler sees for each free variable, which tells its
        transform), ``observed_data``, ``points`` (dicts from those names to arrays), and at each
        point ``terms`` (each variable's log density), ``total`` and ``grad`` (by free variable).
    """
    free = [rv.name for rv in model.free_RVs]
    names = free + [rv.name for rv in model.observed_RVs]
    rng = np.random.default_rng(seed)
    start = model.initial_point(random_seed=seed)
    trial = [
        {k: np.asarray(v + rng.normal(0.0, 0.5, size=np.shape(v))) for k, v in start.items()} for _ in range(points)
    ]
    fn = _log_densities(model, names, free)
    sizes = [int(np.size(start[model.rvs_to_values[model[name]].name])) for name in free]
    terms, total, grad = [], [], []
    for point in trial:
        out = fn(point)
        terms.append({name: float(out[j]) for j, name in enumerate(names)})
        total.append(float(out[len(names)]))
        pieces = np.split(np.asarray(out[-1], dtype=float), np.cumsum(sizes)[:-1]) if free else []
        grad.append(dict(zip(free, pieces, strict=True)))
    return {
        "free": free,
        "observed": [rv.name for rv in model.observed_RVs],
        "deterministics": [v.name for v in model.deterministics],
        "shapes": {name: [int(k) for k in s] for name, s in model.eval_rv_shapes().items() if name in free},
        "values": {rv.name: model.rvs_to_values[rv].name for rv in model.free_RVs},
        "observed_data": {rv.name: np.asarray(model.rvs_to_values[rv].eval(), dtype=float)
                          for rv in model.observed_RVs},
        "points": trial,
        "terms": terms,
        "total": total,
        "grad": grad,
    }


def check_model(
    model: Any,
    reference: Any,
    *,
    describe: dict[str, str] | None = None,
    points: int = 5,
    seed: int = 0,
    rtol: float = 1e-6,
) -> None:
    """Check that a learner's PyMC model is the reference model: same variables, same densities.

    Two models are the same here when they have the same free and observed variables, with the
    same shapes and transforms, and the same log density and gradient at ``points`` random
    points around the reference's initial point. Names of variables must match, since the
    feedback names them; anything else may differ (coords, ``pm.Data`` or plain arrays, the
    order of statements). The non-centred form, ``alpha = mu + tau * z``, is a different model
    here from the centred one: the sampler sees other free variables.

    Parameters
    ----------
    model : pymc.Model
        The learner's model.
    reference : pymc.Model
        The model it should equal, e.g. from an hlmkit builder.
    describe : dict, optional
        Words for variable names, used in the feedback, e.g. ``{"tau_county": "the county spread"}``.
    points : int
        How many random points to compare the log densities at (at least 1).
    seed : int
        Seed of the random points.
    rtol : float
        Relative tolerance of the comparison of log densities and gradients.

    Returns
    -------
    None
        Prints a tick when the models agree.

    Raises
    ------
    CheckFailed
        Naming the first difference: a variable missing or extra, a shape, a transform, the
        prior of a free variable, the likelihood of an observed one, or another term.
    TypeError
        If ``reference`` is not a PyMC model or ``describe`` is not a dict of strings.
    ValueError
        If ``points`` is not a positive integer or ``rtol`` not a positive number.

    Examples
    --------
    >>> import numpy as np, pymc as pm
    >>> from hlmkit import check_model
    >>> y = np.array([1.0, 2.0, 4.0])
    >>> with pm.Model() as reference:
    ...     mu = pm.Normal("mu", 0, 10)
    ...     sigma = pm.HalfNormal("sigma", 5)
    ...     y_obs = pm.Normal("y", mu, sigma, observed=y)
    >>> with pm.Model() as mine:
    ...     mu = pm.Normal("mu", 0, 10)
    ...     sigma = pm.HalfNormal("sigma", 5)
    ...     y_obs = pm.Normal("y", mu, sigma, observed=y)
    >>> check_model(mine, reference)
    ✓ the same model as the reference: 2 free variables, 1 observed, the same log density and gradient at 5 points
    >>> with pm.Model() as wider:
    ...     mu = pm.Normal("mu", 0, 100)
    ...     sigma = pm.HalfNormal("sigma", 5)
    ...     y_obs = pm.Normal("y", mu, sigma, observed=y)
    >>> check_model(wider, reference, describe={"mu": "the mean"})
    Traceback (most recent call last):
    ...
    hlmkit.exercises.CheckFailed: The prior of the mean (`mu`) differs from the reference's...
    """
    __tracebackhide__ = True
    import pymc as pm

    describe = {} if describe is None else describe
    if not isinstance(describe, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in describe.items()
    ):
        raise TypeError("`describe` must be a dict from variable names to words, e.g. {'tau': 'the school spread'}.")
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValueError(f"`points` must be a positive integer, got {points!r}.")
    if isinstance(rtol, bool) or not isinstance(rtol, int | float) or not rtol > 0:
        raise ValueError(f"`rtol` must be a positive number, got {rtol!r}.")
    if not isinstance(reference, pm.Model):
        raise TypeError(f"`reference` must be a pymc.Model, got {type(reference).__name__}.")
    model = _model_or_fail(model, "model")
    mine = getattr(model, "_hlmkit_summary", None)  # a model the grader read back as data
    if mine is None:
        mine = model_summary(model, points=points, seed=seed)
    if len(mine["points"]) < points:
        raise CheckFailed(f"The grader has your model's log density at {len(mine['points'])} points, not {points}.")

    for kind, theirs in (("free", reference.free_RVs), ("observed", reference.observed_RVs)):
        have, expected = set(mine[kind]), {v.name for v in theirs}
        missing = [n for n in (v.name for v in theirs) if n not in have]
        if missing:
            other = sorted(have - expected)
            hint = f" It has {', '.join(f'`{n}`' for n in other)} instead." if other else ""
            raise CheckFailed(
                f"Your model has no {kind} variable {_words(missing[0], describe)}.{hint} "
                "Name your variables as the exercise does."
            )
        extra = sorted(have - expected)
        if extra:
            raise CheckFailed(
                f"Your model has a {kind} variable {_words(extra[0], describe)} that the reference does not have."
            )
    expected_shapes = reference.eval_rv_shapes()
    for rv in reference.free_RVs:
        mine_shape = tuple(int(k) for k in mine["shapes"][rv.name])
        theirs_shape = tuple(int(k) for k in expected_shapes[rv.name])
        if mine_shape != theirs_shape:
            raise CheckFailed(
                f"{_words(rv.name, describe)[0].upper()}{_words(rv.name, describe)[1:]} has shape {mine_shape} "
                f"in your model but {theirs_shape} in the reference: check its `dims` (or `shape`)."
            )
    for rv in reference.free_RVs:
        value = reference.rvs_to_values[rv].name
        if mine["values"][rv.name] != value:
            raise CheckFailed(
                f"{_words(rv.name, describe)[0].upper()}{_words(rv.name, describe)[1:]} lives on another scale "
                f"in your model (the sampler sees `{value}` in the reference): check its distribution; a "
                "standard deviation, for one, needs a positive distribution such as pm.HalfNormal."
            )
    for rv in reference.observed_RVs:
        theirs_data = np.asarray(reference.rvs_to_values[rv].eval(), dtype=float)
        mine_data = np.asarray(mine["observed_data"][rv.name], dtype=float)
        if mine_data.shape != theirs_data.shape or not np.allclose(mine_data, theirs_data, equal_nan=True):
            raise CheckFailed(
                f"The data observed in {_words(rv.name, describe)} differ from the reference's: "
                "check the column you pass as `observed=`."
            )

    names = [rv.name for rv in reference.free_RVs + reference.observed_RVs]
    free = [rv.name for rv in reference.free_RVs]
    observed = {rv.name for rv in reference.observed_RVs}
    their_fn = _log_densities(reference, names, free)
    value_shapes = {name: np.shape(x) for name, x in reference.initial_point(random_seed=seed).items()}
    for k in range(points):
        point = mine["points"][k]
        if set(point) != set(value_shapes) or any(np.shape(point[v]) != s for v, s in value_shapes.items()):
            raise CheckFailed("The grader could not read your model's log density (its points do not fit the model).")
        their_out = their_fn(point)
        for j, name in enumerate([*names, "(total)"]):
            a = float(mine["total"][k]) if name == "(total)" else float(mine["terms"][k][name])
            b = float(their_out[j])
            if np.isclose(a, b, rtol=rtol, atol=rtol):
                continue
            if name == "(total)":
                raise CheckFailed(
                    "Every variable's own density matches the reference's, but the model's total does not: "
                    "check any pm.Potential terms."
                )
            role = "likelihood" if name in observed else "prior"
            raise CheckFailed(
                f"The {role} of {_words(name, describe)} differs from the reference's: check its distribution "
                f"and its parameters (at one point the reference's log density is {b:.3f}, yours {a:.3f})."
            )
        mine_grad = np.concatenate([np.ravel(mine["grad"][k][name]) for name in free])
        same = mine_grad.shape == np.shape(their_out[-1])
        if not same or not np.allclose(mine_grad, their_out[-1], rtol=rtol, atol=rtol):
            raise CheckFailed("The gradient of your model's log density differs from the reference's.")
    print(
        f"✓ the same model as the reference: {len(free)} free variables, {len(observed)} observed, "
        f"the same log density and gradient at {points} points"
    )
