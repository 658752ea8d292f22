"""Turn grouping columns into integer codes and PyMC coords.

Every multilevel model indexes a vector of group effects by an integer code per row
(``alpha_school[school_code]``). This module makes those codes once, the same way in
every chapter, and keeps the labels so that results can be named again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hlmkit._validate import check_columns, check_frame, check_name, check_no_missing


@dataclass(frozen=True)
class GroupIndex:
    """Integer codes of a grouping column and the labels they stand for.

    Attributes
    ----------
    name : str
        The name of the grouping column, used as the PyMC dimension name.
    codes : numpy.ndarray
        One integer in ``0 .. n_groups - 1`` per row of the data.
    labels : pandas.Index
        The group labels, in code order (``labels[codes]`` gives back the column).
    """

    name: str
    codes: np.ndarray
    labels: pd.Index

    @property
    def n_groups(self) -> int:
        """Number of distinct groups."""
        return len(self.labels)

    @property
    def sizes(self) -> np.ndarray:
        """Number of rows in each group, in code order."""
        return np.bincount(self.codes, minlength=self.n_groups)

    @property
    def coords(self) -> dict[str, list]:
        """A ``{name: labels}`` mapping to pass as ``coords`` to ``pymc.Model``."""
        return {self.name: list(self.labels)}

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Map integer codes back to their labels."""
        return self.labels.to_numpy()[np.asarray(codes)]


def encode_groups(data: pd.DataFrame, column: str) -> GroupIndex:
    """Encode a grouping column as integer codes ``0 .. n_groups - 1``.

    Labels are sorted, so the same data always gives the same codes.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    column : str
        The grouping column (school, county, ...). Missing values are an error.

    Returns
    -------
    GroupIndex
        Codes per row, the labels in code order, sizes and PyMC coords.

    Raises
    ------
    KeyError
        If ``column`` is not in ``data``.
    TypeError
        If ``data`` is not a DataFrame or ``column`` is not a column name.
    ValueError
        If ``data`` is empty or ``column`` has missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import encode_groups
    >>> df = pd.DataFrame({"school": ["b", "a", "b", "c"]})
    >>> index = encode_groups(df, "school")
    >>> index.codes.tolist()
    [1, 0, 1, 2]
    >>> index.coords
    {'school': ['a', 'b', 'c']}
    >>> index.sizes.tolist()
    [1, 2, 1]
    """
    check_frame(data)
    check_columns(data, [check_name(column, "column")])
    return _encode(data, column)


def _encode(data: pd.DataFrame, column: str) -> GroupIndex:
    """Encode a column of a frame already checked (a builder checks its frame once, then encodes)."""
    check_no_missing(data, column)
    codes, labels = pd.factorize(data[column], sort=True)
    return GroupIndex(name=column, codes=codes.astype(np.int64), labels=pd.Index(labels, name=column))


def parent_codes(data: pd.DataFrame, child: str, parent: str) -> np.ndarray:
    """For each child group, the code of the parent group it sits in.

    Used to index one level by the level above, e.g. each school's county
    (``alpha_county[county_of_school]``). The data must be strictly nested: every
    child label belongs to exactly one parent label.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation, with both columns.
    child, parent : str
        The lower and the upper grouping column (e.g. ``"school"``, ``"county"``).

    Returns
    -------
    numpy.ndarray
        Integer array of length ``encode_groups(data, child).n_groups``: the parent code
        (as in ``encode_groups(data, parent)``) of each child, in child code order.

    Raises
    ------
    KeyError
        If a column is missing.
    TypeError
        If ``data`` is not a DataFrame or ``child``/``parent`` are not column names.
    ValueError
        If a child group appears under more than one parent (not nested), or a column has
        missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import parent_codes
    >>> df = pd.DataFrame({"school": ["s1", "s2", "s3", "s1"],
    ...                    "county": ["north", "north", "south", "north"]})
    >>> parent_codes(df, "school", "county").tolist()
    [0, 0, 1]
    """
    check_frame(data)
    check_columns(data, [check_name(child, "child"), check_name(parent, "parent")])
    return _parent_codes(_encode(data, child), _encode(data, parent))


def _parent_codes(child_index: GroupIndex, parent_index: GroupIndex) -> np.ndarray:
    """:func:`parent_codes` from the two levels' codes, already made (a builder encodes each level once)."""
    child, parent = child_index.name, parent_index.name
    pairs = pd.DataFrame({"child": child_index.codes, "parent": parent_index.codes}).drop_duplicates()
    n_parents = pairs.groupby("child")["parent"].nunique()
    crossed = n_parents[n_parents > 1]
    if len(crossed):
        examples = list(child_index.decode(crossed.index.to_numpy()[:5]))
        raise ValueError(
            f"{child!r} is not nested in {parent!r}: {len(crossed)} {child} label(s) appear under "
            f"more than one {parent} (e.g. {examples}). Give each {child} a unique label "
            f"(e.g. combine it with its {parent}) before building a nested model."
        )
    return pairs.sort_values("child")["parent"].to_numpy(dtype=np.int64)
