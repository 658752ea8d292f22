"""Checks for a learner's notebook: run after each exercise, a tick or a helpful message.

A chapter's exercises end with a cell that calls :func:`check` (or :func:`check_between`) on
the learner's answer. These are the only coursework helpers a learner's notebook calls; the tools
that make hand-outs and grade them live in the ``coursework`` package beside ``hlmkit``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
