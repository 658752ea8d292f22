"""Private checks shared by every public function: clear errors, never silent wrong answers."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd


def check_frame(data: object, *, argument: str = "data") -> pd.DataFrame:
    """Return ``data`` if it is a non-empty DataFrame, else raise a clear error."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"`{argument}` must be a pandas DataFrame, got {type(data).__name__}. "
            "Load one with hlmkit.load_dataset(...) or build it with pandas."
        )
    if isinstance(data.columns, pd.MultiIndex):
        raise ValueError(
            f"`{argument}` has MultiIndex columns (e.g. {data.columns[0]!r}): flatten them to single names first, "
            f"e.g. {argument}.columns = ['_'.join(map(str, c)).strip('_') for c in {argument}.columns]."
        )
    if data.empty:
        raise ValueError(f"`{argument}` is empty (0 rows): there is nothing to model.")
    return data


def check_unique_columns(data: pd.DataFrame, columns: Iterable[str], *, argument: str = "data") -> None:
    """Raise if a column that will be read appears more than once in ``data`` (``data[c]`` would be a frame)."""
    if isinstance(data.columns, pd.MultiIndex):
        check_frame(data, argument=argument)
    counts = pd.Series(data.columns).value_counts()
    for column in columns:
        if counts.get(column, 0) > 1:
            raise ValueError(
                f"The column {column!r} appears twice in `{argument}` ({int(counts[column])} times): rename or drop "
                f"the duplicates first, e.g. {argument}.loc[:, ~{argument}.columns.duplicated()]."
            )


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
    check_unique_columns(data, columns, argument=argument)


def check_numeric(data: pd.DataFrame, column: str, *, role: str = "column") -> np.ndarray:
    """Return a finite float array from ``data[column]`` or raise naming the column."""
    series = data[column]
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise TypeError(
            f"The {role} column {column!r} must be numeric, but has dtype {series.dtype} "
            f"(e.g. {series.iloc[0]!r}). Convert it first, e.g. with pd.to_numeric, or encode "
            "categories as 0/1 indicator columns."
        )
    if series.dtype.kind == "c":
        raise TypeError(
            f"The {role} column {column!r} holds complex numbers (dtype {series.dtype}): the models need real numbers. "
            f"Keep the part you mean first, e.g. data[{column!r}].to_numpy().real or abs(data[{column!r}])."
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
    """Raise if a (grouping) column has missing values, or labels of more than one type (``1`` and ``"1"``)."""
    series = data[column]
    bad = series.isna().to_numpy()
    if bad.any():
        rows = list(series.index[bad][:5])
        raise ValueError(
            f"The {role} column {column!r} has {int(bad.sum())} missing value(s) "
            f"(first rows: {rows}). Every row must belong to a group: drop those rows "
            "or give them a group."
        )
    check_label_types(series, f"The {role} column {column!r}", column=column)


def label_kind(value: object) -> str:
    """Return the kind of a group label: 'number' (int or float), 'string', 'boolean' or its type name."""
    if isinstance(value, bool | np.bool_):
        return "boolean"
    if isinstance(value, numbers.Number):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def check_label_types(values: pd.Series | Iterable, what: str, *, column: str | None = None) -> None:
    """Raise if labels mix kinds (numbers and strings, ...): ``1`` and ``"1"`` print alike but are different groups.

    Cheap on large columns: only object (or categorical) columns that pandas infers as mixed are
    looked at value by value, and then only their unique values.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = pd.Series(series.cat.categories, dtype=object)
    elif series.dtype != object:
        return
    if pd.api.types.infer_dtype(series, skipna=True) not in ("mixed", "mixed-integer"):
        return
    examples: dict[str, object] = {}
    for value in pd.unique(series.dropna()):
        examples.setdefault(label_kind(value), value)
    if len(examples) > 1:
        shown = ", ".join(f"{value!r} ({kind})" for kind, value in examples.items())
        convert = f"data[{column!r}].astype(str)" if column else "[str(label) for label in labels]"
        raise TypeError(
            f"{what} mixes labels of different types: {shown}. Labels such as 1 and '1' look alike but are "
            f"different groups: convert them to one type first, e.g. {convert}, and check that the groups are "
            "the ones you mean."
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


def check_name(value: object, argument: str, *, kind: str = "column") -> str:
    """Return ``value`` if it is a column (or variable) name: a non-empty string."""
    if not isinstance(value, str) or not value:
        raise TypeError(
            f"`{argument}` must be a {kind} name (a non-empty str), got {value!r} ({type(value).__name__})."
        )
    return value


def check_names(value: object, argument: str, *, allow_empty: bool = True) -> list[str]:
    """Return a list of column names from one name or a sequence of names, or raise naming ``argument``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise TypeError(
            f"`{argument}` must be a column name or a list of column names, got {value!r} ({type(value).__name__})."
        )
    names = list(value)
    bad = [name for name in names if not isinstance(name, str) or not name]
    if bad:
        raise TypeError(f"`{argument}` must be a column name or a list of column names (str), got {bad[:5]}.")
    if not names and not allow_empty:
        raise ValueError(f"`{argument}` is empty: name at least one column.")
    if len(set(names)) != len(names):
        raise ValueError(f"`{argument}` lists a column twice: {names}.")
    return names


def check_flag(value: object, argument: str) -> bool:
    """Return ``value`` if it is True or False (not 0/1, not a string), else raise."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"`{argument}` must be True or False, got {value!r} ({type(value).__name__}).")
    return bool(value)


def check_number(value: object, argument: str) -> float:
    """Return ``value`` as float if it is a finite real number (not a bool), else raise."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{argument}` must be a number, got {value!r} ({type(value).__name__}).")
    if not np.isfinite(float(value)):
        raise ValueError(f"`{argument}` must be a finite number, got {value}.")
    return float(value)


def check_probability(value: object, argument: str) -> float:
    """Return ``value`` if it is a number strictly between 0 and 1, else raise."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{argument}` must be a number strictly between 0 and 1 (e.g. 0.9), got {value!r}.")
    if not 0 < float(value) < 1:
        raise ValueError(f"`{argument}` must lie strictly between 0 and 1 (e.g. 0.9), got {value}.")
    return float(value)


def check_array(values: object, argument: str, *, finite: bool = True) -> np.ndarray:
    """Return ``values`` as a float array if they are numbers (and finite), else raise naming ``argument``."""
    raw = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if raw.dtype.kind not in "biuf" and not all(
        isinstance(v, numbers.Real) and not isinstance(v, str) for v in raw.ravel().tolist()
    ):
        raise TypeError(
            f"`{argument}` must be a number or an array of numbers, got values of dtype {raw.dtype} "
            "(text?). Convert them first, e.g. with pd.to_numeric."
        )
    array = np.asarray(raw, dtype=float)
    if finite and not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).sum())
        raise ValueError(f"`{argument}` must be finite: it holds {bad} NaN or inf value(s). Drop or fix them first.")
    return array


def check_mapping(value: object, argument: str, example: str) -> Mapping:
    """Return ``value`` if it is a mapping (a dict), else raise showing the expected shape."""
    if not isinstance(value, Mapping):
        raise TypeError(f"`{argument}` must be a mapping such as {example}, got {type(value).__name__}.")
    return value


def check_series(value: object, argument: str) -> pd.Series:
    """Return ``value`` if it is a pandas Series, else raise."""
    if not isinstance(value, pd.Series):
        raise TypeError(f"`{argument}` must be a pandas Series indexed by group label, got {type(value).__name__}.")
    return value


def check_labels(groups: object, argument: str = "groups") -> list:
    """Return group labels as a list from a sequence (a column, a list, a 1-d array), refusing frames and strings."""
    what = "a sequence of labels (e.g. a column such as data['school'])"
    if isinstance(groups, str | bytes):
        raise TypeError(f"`{argument}` must be {what}, not a single string ({groups!r}).")
    if isinstance(groups, pd.DataFrame):
        # list(frame) would give its column names: the name would become a label.
        column = groups.columns[0] if len(groups.columns) else "school"
        raise TypeError(
            f"`{argument}` must be {what}, not a DataFrame (columns {list(groups.columns)[:5]}): "
            f"pass the column, e.g. data[{column!r}] rather than data[[{column!r}]]."
        )
    if isinstance(groups, np.ndarray) and groups.ndim != 1:
        raise TypeError(
            f"`{argument}` must be one-dimensional {what}, got an array of shape {groups.shape}: "
            "pass the column, e.g. labels.ravel() or data['school']."
        )
    if isinstance(groups, Mapping) or not isinstance(groups, Iterable):
        raise TypeError(f"`{argument}` must be {what}, got {type(groups).__name__}.")
    return list(groups)


def check_not_all_singletons(sizes: object, group: str, *, argument: str = "data") -> None:
    """Raise if every group has a single row: a Gaussian model cannot then separate sigma from tau.

    With one row per group, the spread of the rows *within* groups is never observed: every
    difference between rows is also a difference between groups, so the within-group sd
    (``sigma``) and the group effects (or their sd ``tau``) are not separately identified.
    """
    sizes = np.asarray(sizes)
    if sizes.size and (sizes == 1).all():
        raise ValueError(
            f"Every group in {group!r} has a single row of `{argument}`, so the spread within groups (sigma) "
            f"cannot be told apart from the differences between groups. Use complete_pooling_model, or group by "
            f"a coarser column with larger groups."
        )


def check_parameterizations(
    parameterization: object, levels: list[str], choices: tuple[str, ...] = ("noncentered", "centered")
) -> dict[str, str]:
    """One parameterisation per level, from a single choice or a mapping {level: choice}.

    Levels a mapping leaves out are non-centred, the safe default when groups are small.
    """
    if isinstance(parameterization, str):
        chosen = dict.fromkeys(levels, parameterization)
    elif isinstance(parameterization, Mapping):
        unknown = [level for level in parameterization if level not in levels]
        if unknown:
            raise ValueError(f"`parameterization` names level(s) {unknown} that are not in `levels` {levels}.")
        chosen = {level: parameterization.get(level, "noncentered") for level in levels}
    else:
        raise TypeError(
            f"`parameterization` must be a string or a mapping {{level: choice}}, got {parameterization!r}."
        )
    bad = {level: choice for level, choice in chosen.items() if choice not in choices}
    if bad:
        raise ValueError(f"`parameterization` must be one of {choices} for each level, got {bad}.")
    return chosen
