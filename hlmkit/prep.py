"""Centring predictors for multilevel models: grand-mean, group-mean, and group means as columns.

Where a predictor's zero lies decides what an intercept means, and whether a slope mixes two
different relations. Three moves cover the usual choices (Raudenbush and Bryk 2002, ch. 5;
Enders and Tofighi 2007):

- :func:`grand_mean_center` subtracts one number from every row: slopes keep their meaning,
  the intercept becomes the outcome of an average student;
- :func:`group_mean_center` subtracts each group's own mean: the slope becomes purely
  *within* groups;
- :func:`add_group_means` adds each group's mean as a group-level column (constant within a
  group), so that the *between*-group relation has a slope of its own.

:func:`group_table` collects such group-level columns into one row per group, checking that
they really are constant within every group. Every function returns a new DataFrame and
leaves the caller's unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hlmkit._validate import check_columns, check_flag, check_frame, check_no_missing, check_numeric

__all__ = ["add_group_means", "grand_mean_center", "group_mean_center", "group_table"]


def _column_list(columns: str | Sequence[str], argument: str = "columns") -> list[str]:
    if isinstance(columns, str):
        columns = [columns]
    try:
        columns = list(columns)
    except TypeError:
        raise TypeError(f"`{argument}` must be a column name or a list of column names, got {columns!r}.") from None
    if not columns:
        raise ValueError(f"`{argument}` is empty: name at least one column.")
    if len(set(columns)) != len(columns):
        raise ValueError(f"`{argument}` lists a column twice: {columns}.")
    return columns


def _check_suffix(suffix: object, argument: str) -> str:
    if not isinstance(suffix, str) or not suffix:
        raise ValueError(f"`{argument}` must be a non-empty string such as '_c', got {suffix!r}.")
    return suffix


def _new_names(data: pd.DataFrame, columns: list[str], suffix: str, *, overwrite: bool) -> list[str]:
    """Name each new column ``column + suffix``, refusing names ``data`` already has unless ``overwrite``."""
    names = [f"{column}{suffix}" for column in columns]
    overwrite = check_flag(overwrite, "overwrite")
    clash = [name for name in names if name in data.columns]
    if clash and not overwrite:
        raise ValueError(
            f"Column(s) {clash} already exist in `data`. Choose another suffix, or pass "
            "overwrite=True to replace them."
        )
    return names


def _check_group(data: pd.DataFrame, columns: list[str], group: object, verb: str) -> None:
    """Check the grouping column: a name, not among ``columns`` (which it cannot also be ``verb``), no missing label."""
    if not isinstance(group, str):
        raise TypeError(f"`group` must be a column name (str), got {group!r}.")
    if group in columns:
        raise ValueError(f"The group column {group!r} cannot also be {verb}: remove it from `columns`.")
    check_columns(data, [*columns, group])
    check_no_missing(data, group)


def grand_mean_center(
    data: pd.DataFrame, columns: str | Sequence[str], *, suffix: str = "_c", overwrite: bool = False
) -> pd.DataFrame:
    """Centre columns at their mean over all rows (grand-mean centring).

    Subtracting a constant changes no slope: it moves the zero of the predictor, so the
    intercept becomes the expected outcome of a row with an average value.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation (student).
    columns : str or sequence of str
        Numeric columns to centre.
    suffix : str
        The centred copy of ``col`` is named ``col + suffix`` (e.g. ``ses_c``).
    overwrite : bool
        Replace a column of that name if it already exists (else it is an error).

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the centred columns added.

    Raises
    ------
    KeyError
        If a column is missing.
    TypeError
        If a column is not numeric, or ``overwrite`` is not True or False.
    ValueError
        If a column has missing values, or a new column name already exists.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import grand_mean_center
    >>> df = pd.DataFrame({"ses": [1.0, 2.0, 6.0]})
    >>> grand_mean_center(df, "ses")["ses_c"].tolist()
    [-2.0, -1.0, 3.0]
    """
    check_frame(data)
    columns = _column_list(columns)
    suffix = _check_suffix(suffix, "suffix")
    check_columns(data, columns)
    new = _new_names(data, columns, suffix, overwrite=overwrite)
    out = data.copy()
    for column, name in zip(columns, new, strict=True):
        values = check_numeric(data, column, role="predictor")
        out[name] = values - values.mean()
    return out


def group_mean_center(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    group: str,
    *,
    suffix: str = "_within",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Centre columns at their group's own mean (group-mean centring, "centring within context").

    The centred column varies only within groups: its slope is the *within*-group relation,
    untouched by differences between groups. The group means themselves are lost unless you
    add them back as a group-level column with :func:`add_group_means`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    columns : str or sequence of str
        Numeric columns to centre.
    group : str
        Grouping column (e.g. ``"school"``).
    suffix : str
        The centred copy of ``col`` is named ``col + suffix`` (e.g. ``ses_within``).
    overwrite : bool
        Replace a column of that name if it already exists.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the centred columns added; each sums to zero within each group.

    Raises
    ------
    KeyError
        If a column is missing.
    TypeError
        If a column is not numeric, or ``overwrite`` is not True or False.
    ValueError
        If a column or the group has missing values, ``group`` is among ``columns``, or a
        new column name already exists.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import group_mean_center
    >>> df = pd.DataFrame({"school": ["a", "a", "b", "b"], "ses": [1.0, 3.0, 10.0, 14.0]})
    >>> group_mean_center(df, "ses", "school")["ses_within"].tolist()
    [-1.0, 1.0, -2.0, 2.0]
    """
    check_frame(data)
    columns = _column_list(columns)
    suffix = _check_suffix(suffix, "suffix")
    _check_group(data, columns, group, "centred")
    new = _new_names(data, columns, suffix, overwrite=overwrite)
    out = data.copy()
    for column, name in zip(columns, new, strict=True):
        values = pd.Series(check_numeric(data, column, role="predictor"), index=data.index)
        out[name] = values - values.groupby(data[group].to_numpy()).transform("mean").to_numpy()
    return out


def add_group_means(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    group: str,
    *,
    suffix: str = "_mean",
    center: bool = False,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Add each group's mean of a column as a group-level column (constant within the group).

    In a model with the group-mean-centred column (within effect), the group mean's slope is
    the *between*-group relation; with the raw or grand-mean-centred column instead, it is
    the **contextual effect**: what a group's mean adds for two students of equal own value.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    columns : str or sequence of str
        Numeric columns to average.
    group : str
        Grouping column.
    suffix : str
        The group mean of ``col`` is named ``col + suffix`` (e.g. ``ses_mean``).
    center : bool
        Subtract the mean of the group means (each group counted once), so that 0 is the
        average group and a model's intercept stays interpretable.
    overwrite : bool
        Replace a column of that name if it already exists.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the group-mean columns added.

    Raises
    ------
    KeyError, TypeError, ValueError
        As for :func:`group_mean_center`; also ``TypeError`` if ``center`` is not True or False.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import add_group_means
    >>> df = pd.DataFrame({"school": ["a", "a", "b"], "ses": [1.0, 3.0, 8.0]})
    >>> add_group_means(df, "ses", "school")["ses_mean"].tolist()
    [2.0, 2.0, 8.0]
    >>> add_group_means(df, "ses", "school", center=True)["ses_mean"].tolist()
    [-3.0, -3.0, 3.0]
    """
    check_frame(data)
    columns = _column_list(columns)
    suffix = _check_suffix(suffix, "suffix")
    center = check_flag(center, "center")
    _check_group(data, columns, group, "averaged")
    new = _new_names(data, columns, suffix, overwrite=overwrite)
    out = data.copy()
    keys = data[group].to_numpy()
    for column, name in zip(columns, new, strict=True):
        values = pd.Series(check_numeric(data, column, role="predictor"), index=data.index)
        means = values.groupby(keys).mean()
        if center:
            means = means - means.mean()
        out[name] = means.reindex(keys).to_numpy()
    return out


def group_table(data: pd.DataFrame, group: str, columns: str | Sequence[str]) -> pd.DataFrame:
    """One row per group with its group-level columns, checked to be constant within each group.

    Group-level predictors (a school's sector, its mean SES) are stored on every student's
    row; a model needs them once per group. This collects them, in the order of
    :func:`hlmkit.encode_groups` (sorted labels), and refuses a column that varies within a
    group: that would be a student-level predictor.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    group : str
        Grouping column.
    columns : str or sequence of str
        Columns that should be constant within each group (any dtype).

    Returns
    -------
    pandas.DataFrame
        Indexed by group label (sorted), one column per requested column.

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        If the group or a column has missing values, or a column varies within a group
        (the message names the column and a group where it varies).

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import group_table
    >>> df = pd.DataFrame({"school": ["b", "a", "b"], "private": [1, 0, 1]})
    >>> group_table(df, "school", "private")
            private
    school
    a             0
    b             1
    """
    check_frame(data)
    columns = _column_list(columns)
    if not isinstance(group, str):
        raise TypeError(f"`group` must be a column name (str), got {group!r}.")
    if group in columns:
        raise ValueError(f"The group column {group!r} is the index of the table: remove it from `columns`.")
    check_columns(data, [*columns, group])
    return _group_table(data, group, columns)


def _group_table(data: pd.DataFrame, group: str, columns: list[str]) -> pd.DataFrame:
    """:func:`group_table` on a frame and columns already checked (a builder checks its frame once)."""
    check_no_missing(data, group)
    for column in columns:
        check_no_missing(data, column, role="group-level")
    grouped = data.groupby(group, sort=True)[columns]
    varying = grouped.nunique(dropna=False).max()
    bad = [column for column in columns if varying[column] > 1]
    if bad:
        column = bad[0]
        counts = data.groupby(group, sort=True)[column].nunique(dropna=False)
        example = counts[counts > 1].index[0]
        raise ValueError(
            f"Column(s) {bad} vary within {group!r} (e.g. {column!r} takes {int(counts[example])} values in "
            f"{group} {example!r}), so they are not {group}-level. Use add_group_means(...) to make a "
            f"{group}-level mean, or enter the column as a student-level predictor."
        )
    table = grouped.first()
    table.index = pd.Index(np.asarray(table.index), name=group)
    return table
