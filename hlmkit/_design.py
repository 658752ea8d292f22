"""The checked design every Gaussian builder starts from: one check of the frame, then arrays.

A builder calls :func:`_design` once: it checks the frame, the names and the columns, and
returns the outcome and predictors as arrays with the scales that set the priors (see
:mod:`hlmkit.models`). Group codes, group-level predictors and coords are made from that
checked frame without checking it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hlmkit._validate import check_columns, check_frame, check_name, check_names, check_numeric
from hlmkit.coding import GroupIndex
from hlmkit.prep import _group_table

#: Names of the builders' own dims and variables: a group column named like one would clash.
RESERVED_NAMES = ("obs", "predictor", "alpha", "beta", "mu", "tau", "z", "sigma", "x", "y")

#: Names the growth builders use for their own dims and variables, on top of ``RESERVED_NAMES``.
GROWTH_RESERVED_NAMES = (
    "w", "gamma", "alpha_pred", "group_predictor", "varying", "effect", "effect_bis", "level",
    "mu_slope", "slope", "corr", "chol_cov", "chol_corr", "x_varying", "loglik",
)


@dataclass(frozen=True)
class _Design:
    """The outcome and the row-level predictors as arrays, with the scales that set the priors.

    ``x`` holds the predictors with common slopes, ``v`` those whose slopes vary by group
    (no columns unless the builder has varying slopes).
    """

    y: np.ndarray
    x: np.ndarray
    predictors: list[str]
    y_mean: float
    y_scale: float
    x_scale: np.ndarray
    v: np.ndarray
    v_scale: np.ndarray


def _design(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    group: str | None = None,
    varying: Sequence[str] = (),
) -> _Design:
    """Check the frame and the columns once; return arrays and the scales that set the priors.

    ``varying`` must already be a list of names (the builder checks it with its own argument
    name); its columns are checked like ``predictors``, after them.
    """
    check_frame(data)
    predictors = check_names(predictors, "predictors")
    check_name(outcome, "outcome")
    if group is not None:
        check_name(group, "group")
    if group in RESERVED_NAMES:
        raise ValueError(
            f"The group column {group!r} has a name the model uses for its own dims and variables "
            f"{RESERVED_NAMES}. Rename it first, e.g. data.rename(columns={{{group!r}: '{group}_id'}})."
        )
    _check_roles(outcome, group, predictors)
    check_columns(data, [outcome, *predictors] + ([group] if group else []))
    y = check_numeric(data, outcome, role="outcome")
    x = _columns(data, predictors)
    y_scale = float(np.std(y))
    if not y_scale > 0:
        raise ValueError(f"The outcome {outcome!r} is constant ({y[0]}); there is no variation to model.")
    x_scale = _scales(x, predictors)
    varying = list(varying)
    _check_roles(outcome, group, varying)
    check_columns(data, varying)
    v = _columns(data, varying)
    return _Design(
        y=y,
        x=x,
        predictors=predictors,
        y_mean=float(np.mean(y)),
        y_scale=y_scale,
        x_scale=x_scale,
        v=v,
        v_scale=_scales(v, varying),
    )


def _check_roles(outcome: str, group: str | None, predictors: list[str]) -> None:
    if outcome in predictors or (group is not None and group in predictors + [outcome]):
        raise ValueError(
            f"The outcome {outcome!r}, group {group!r} and predictors {predictors} must be different columns."
        )


def _columns(data: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Return the numeric columns as a rows x columns array (no columns for no names)."""
    columns = [check_numeric(data, name, role="predictor") for name in names]
    return np.column_stack(columns) if columns else np.zeros((len(data), 0))


def _scales(x: np.ndarray, names: list[str]) -> np.ndarray:
    """Each column's standard deviation, refusing a constant column."""
    scale = np.std(x, axis=0) if names else np.zeros(0)
    constant = [p for p, s in zip(names, scale, strict=True) if not s > 0]
    if constant:
        raise ValueError(f"Predictor(s) {constant} are constant: drop them, they cannot be estimated.")
    return scale


def _check_group_name(name: object, argument: str) -> str:
    name = check_name(name, argument)
    if name in RESERVED_NAMES or name in GROWTH_RESERVED_NAMES:
        raise ValueError(
            f"The group column {name!r} has a name the model uses for its own dims and variables. "
            f"Rename it first, e.g. data.rename(columns={{{name!r}: '{name}_id'}})."
        )
    return name


def _group_level_design(
    data: pd.DataFrame, group: str, group_predictors: list[str], index: GroupIndex, taken: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """One row per group of the group-level predictors, and their scales across groups."""
    overlap = [name for name in group_predictors if name in taken]
    if overlap:
        raise ValueError(
            f"Column(s) {overlap} appear both in `group_predictors` and among the outcome, group or "
            "student-level predictors: give each column one role."
        )
    if not group_predictors:
        return np.zeros((index.n_groups, 0)), np.zeros(0)
    check_columns(data, group_predictors)
    for name in group_predictors:
        check_numeric(data, name, role="group-level predictor")
    table = _group_table(data, group, group_predictors).loc[index.labels]
    w = table.to_numpy(dtype=float)
    scale = np.std(w, axis=0)
    constant = [p for p, s in zip(group_predictors, scale, strict=True) if not s > 0]
    if constant:
        raise ValueError(
            f"Group-level predictor(s) {constant} take the same value in every {group}: drop them, "
            "they cannot be estimated."
        )
    return w, scale


def _coords(
    design: _Design, *groups: Mapping[str, list], group_predictors: Sequence[str] = (), rows: bool = True
) -> dict[str, list]:
    """PyMC coords: ``obs`` (one per row, unless the likelihood comes from sums), ``predictor``, then the rest."""
    coords: dict[str, list] = {"obs": list(range(len(design.y)))} if rows else {}
    if design.predictors:
        coords["predictor"] = design.predictors
    for extra in groups:
        coords.update(extra)
    if group_predictors:
        coords["group_predictor"] = list(group_predictors)
    return coords
