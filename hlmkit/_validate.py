"""Private checks shared by every public function: clear errors, never silent wrong answers."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np
import pandas as pd


def check_frame(data: object, *, argument: str = "data") -> pd.DataFrame:
    """Return ``data`` if it is a non-empty DataFrame, else raise a clear error."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"`{argument}` must be a pandas DataFrame, got {type(data).__name__}. "
            "Load one with hlmkit.load_dataset(...) or build it with pandas."
        )
    if data.empty:
        raise ValueError(f"`{argument}` is empty (0 rows): there is nothing to model.")
    return data


def check_columns(data: pd.DataFrame, columns: Iterable[str], *, argument: str = "data") -> None:
    """Raise ``KeyError`` naming every requested column that ``data`` lacks."""
    columns = list(columns)
    for column in columns:
        if not isinstance(column, str):
            raise TypeError(f"Column names must be strings, got {column!r} ({type(column).__name__}).")
    missing = [column for column in columns if column not in data.columns]
    if missing:
        raise KeyError(
            f"Column(s) {missing} not found in `{argument}`. "
            f"Available columns: {list(map(str, data.columns))}."
        )


def check_numeric(data: pd.DataFrame, column: str, *, role: str = "column") -> np.ndarray:
    """Return a finite float array from ``data[column]`` or raise naming the column."""
    series = data[column]
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise TypeError(
            f"The {role} column {column!r} must be numeric, but has dtype {series.dtype} "
            f"(e.g. {series.iloc[0]!r}). Convert it first, e.g. with pd.to_numeric, or encode "
            "categories as 0/1 indicator columns."
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        rows = list(series.index[bad][:5])
        raise ValueError(
            f"The {role} column {column!r} has {int(bad.sum())} missing or infinite value(s) "
            f"(first rows: {rows}). Drop or impute them before modelling."
        )
    return values


def check_no_missing(data: pd.DataFrame, column: str, *, role: str = "group") -> None:
    """Raise if a (grouping) column has missing values."""
    series = data[column]
    bad = series.isna().to_numpy()
    if bad.any():
        rows = list(series.index[bad][:5])
        raise ValueError(
            f"The {role} column {column!r} has {int(bad.sum())} missing value(s) "
            f"(first rows: {rows}). Every row must belong to a group: drop those rows "
            "or give them a group."
        )


def check_seed(seed: object, *, argument: str = "seed") -> int:
    """Return ``seed`` if it is a non-negative integer (not bool), else raise."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"`{argument}` must be a non-negative integer (e.g. {argument}=2024), "
            f"got {seed!r} ({type(seed).__name__})."
        )
    if seed < 0:
        raise ValueError(f"`{argument}` must be a non-negative integer, got {seed}.")
    return int(seed)


def check_positive(value: object, argument: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is a finite positive number, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{argument}` must be a number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not ok:
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{argument}` must be a finite {bound} number, got {value}.")
    return value


def check_count(value: object, argument: str, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{argument}` must be an integer, got {value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"`{argument}` must be at least {minimum}, got {value}.")
    return int(value)
