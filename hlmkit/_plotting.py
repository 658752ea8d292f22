"""What the plot functions share: axes to draw on, and checks of what they are given."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from hlmkit._validate import check_array, check_unique_columns


def _plural(noun: str) -> str:
    """English plural of a group's name: school -> schools, class -> classes, county -> counties."""
    if noun.endswith(("s", "x", "ch", "sh")):
        return f"{noun}es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{noun[:-1]}ies"
    return f"{noun}s"


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _check_members(members: object) -> str:
    """Return ``members``, the plural noun for what a group holds ("pupils", "homes")."""
    if not isinstance(members, str) or not members.strip():
        raise TypeError(
            f"`members` must be a plural noun for what a group holds, e.g. 'pupils' or 'homes'; got {members!r}."
        )
    return members.strip()


def _check_series(values: object, argument: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(f"`{argument}` must be a pandas Series indexed by group label, got {type(values).__name__}.")
    return values


def _check_table(table: object, argument: str, columns: list[str], source: str, needs: str) -> pd.DataFrame:
    """Return ``table`` if it is a non-empty DataFrame with finite numeric ``columns``, else raise."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"`{argument}` must be a DataFrame (use {source}), got {type(table).__name__}.")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"`{argument}` needs columns {needs} (use {source}); missing: {missing}.")
    check_unique_columns(table, columns, argument=argument)  # and no MultiIndex: table[c] must be one column
    if table.empty:
        raise ValueError(f"`{argument}` is empty: there is nothing to draw.")
    for column in columns:
        check_array(table[column], f"{argument}[{column!r}]")
    return table


def _finite(values: pd.Series | pd.DataFrame, argument: str) -> None:
    """Raise if a Series or table of estimates holds a missing or infinite value (it would vanish from the plot)."""
    check_array(values, argument, finite=False)
    array = np.asarray(values, dtype=float)
    if not np.isfinite(array).all():
        raise ValueError(
            f"`{argument}` must be finite: it holds {int((~np.isfinite(array)).sum())} NaN or inf value(s), which "
            "would silently vanish from the plot. Drop those groups first."
        )


def _positive_sizes(sizes: pd.Series | np.ndarray, argument: str = "sizes") -> np.ndarray:
    n = check_array(sizes, argument)
    if (n <= 0).any():
        raise ValueError(f"`{argument}` must be positive group sizes (they set marker areas and log axes).")
    return n
