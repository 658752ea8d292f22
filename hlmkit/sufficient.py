r"""Sufficient statistics: the few sums per school that a Gaussian multilevel model needs.

For a Gaussian model with varying intercepts, the students of school :math:`j` enter the
likelihood only through the count :math:`n_j`, the sums :math:`\sum y` and :math:`\sum y^2`,
and for student-level predictors :math:`X_j` the cross-products :math:`X_j^\top 1`,
:math:`X_j^\top X_j` and :math:`X_j^\top y_j` (:mod:`hlmkit.scaling` builds the models from them).

The statistics are a ``GROUP BY``: :func:`sufficient_statistics` computes them from a
DataFrame; :func:`sufficient_statistics_parquet` runs the query of
:func:`sufficient_statistics_sql` in DuckDB over a Parquet file, out of core, so the same
step runs where large data live. Both return the same table, one row per school, with the
levels above it as columns, named from the top down, e.g. ``["state", "county", "school"]``.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hlmkit._validate import (
    check_columns,
    check_frame,
    check_label_types,
    check_name,
    check_names,
    check_no_missing,
    check_numeric,
)

#: Names the builders use for their own dims and variables: a level cannot be called so.
_RESERVED = ("obs", "predictor", "level", "alpha", "beta", "mu", "tau", "z", "sigma", "y", "loglik", "n")

_NUMERIC_DUCKDB = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                   "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL", "BOOLEAN")



# --- names and validation --------------------------------------------------------------------------


def _names(outcome: object, levels: object, predictors: object) -> tuple[str, list[str], list[str]]:
    """Validate the outcome, levels and predictors arguments and return them as lists."""
    outcome = check_name(outcome, "outcome")
    levels = check_names(levels, "levels")
    predictors = check_names(predictors, "predictors")
    if not levels:
        raise ValueError(
            "`levels` must name at least one grouping column, from the top down, e.g. ['county', 'school']."
        )
    overlap = set(levels) & ({outcome} | set(predictors)) or ({outcome} & set(predictors))
    if overlap:
        raise ValueError(
            f"The outcome {outcome!r}, levels {levels} and predictors {predictors} must be different "
            f"columns; {sorted(overlap)} appears in more than one role."
        )
    clash = [name for name in levels if name in _RESERVED]
    if clash:
        raise ValueError(
            f"Level column(s) {clash} have names the models use for their own variables {_RESERVED}. "
            f"Rename them first, e.g. data.rename(columns={{{clash[0]!r}: '{clash[0]}_id'}})."
        )
    statistics = statistic_columns(outcome, predictors)
    taken = [name for name in levels if name in statistics]
    if taken:
        raise ValueError(
            f"Level column(s) {taken} are named like statistics of the table {statistics}. "
            f"Rename them first, e.g. data.rename(columns={{{taken[0]!r}: 'level_{len(taken)}'}})."
        )
    return outcome, levels, predictors


def _statistics(outcome: str, predictors: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Each statistic's name with the columns it multiplies, in table order."""
    y = outcome
    items: list[tuple[str, tuple[str, ...]]] = [("n", ()), (f"sum({y})", (y,)), (f"sum({y}*{y})", (y, y))]
    items += [(f"sum({x})", (x,)) for x in predictors]
    items += [(f"sum({x}*{y})", (x, y)) for x in predictors]
    items += [(f"sum({a}*{b})", (a, b)) for k, a in enumerate(predictors) for b in predictors[k:]]
    return items


def statistic_columns(outcome: str, predictors: Sequence[str] = ()) -> list[str]:
    """Names of the sufficient-statistic columns, in table order.

    ``n``, ``sum(y)``, ``sum(y*y)``, then for each predictor ``sum(x)`` and ``sum(x*y)``,
    then ``sum(x*x')`` for every pair of predictors (each pair once, in predictor order),
    with ``y`` and ``x`` replaced by the column names.

    Parameters
    ----------
    outcome : str
        The outcome column.
    predictors : sequence of str, optional
        Student-level predictor columns.

    Returns
    -------
    list of str
        Column names of the statistics (without the level columns).

    Raises
    ------
    TypeError
        If ``outcome`` is not a column name or ``predictors`` are not column names.
    ValueError
        If a predictor is listed twice, or two statistics would have the same name (predictors
        ``a`` and ``a*a`` both give ``sum(a*a)``).

    Examples
    --------
    >>> from hlmkit import statistic_columns
    >>> statistic_columns("literacy", ["ses"])
    ['n', 'sum(literacy)', 'sum(literacy*literacy)', 'sum(ses)', 'sum(ses*literacy)', 'sum(ses*ses)']
    """
    y = check_name(outcome, "outcome")
    predictors = check_names(predictors, "predictors")
    items = _statistics(y, predictors)
    seen: dict[str, tuple[str, ...]] = {}
    for name, factors in items:
        if name in seen:
            first, second = seen[name], factors
            culprits = sorted({c for c in (*first, *second) if "*" in c or "(" in c or ")" in c} or {*first, *second})
            tidy = "".join(ch if ch.isalnum() else "_" for ch in culprits[0])

            def describe(factors: tuple[str, ...]) -> str:
                return " times ".join(repr(c) for c in factors) if len(factors) > 1 else f"column {factors[0]!r}"

            raise ValueError(
                f"Two statistics would both be named {name!r}: the sum of {describe(first)} and the sum of "
                f"{describe(second)}, so the two routes to the table would disagree. Rename the column(s) {culprits} "
                f"first, e.g. data.rename(columns={{{culprits[0]!r}: {tidy!r}}}): names with '*' or brackets look "
                "like the names of statistics."
            )
        seen[name] = factors
    return [name for name, _ in items]


def _check_nested(table: pd.DataFrame, levels: list[str]) -> None:
    """Raise if a group sits in more than one group of the level above."""
    for outer, inner in zip(levels[:-1], levels[1:], strict=True):
        parents = table.groupby(inner, sort=False)[outer].nunique()
        crossed = parents[parents > 1]
        if len(crossed):
            raise ValueError(
                f"{inner!r} is not nested in {outer!r}: {len(crossed)} {inner} label(s) appear under more "
                f"than one {outer} (e.g. {list(crossed.index[:3])}). Give each {inner} a unique label "
                f"(e.g. combine it with its {outer}) before summarising."
            )


# --- the statistics --------------------------------------------------------------------------------


def sufficient_statistics(
    data: pd.DataFrame, outcome: str, levels: str | Sequence[str], predictors: Sequence[str] = ()
) -> pd.DataFrame:
    """Per-school sufficient statistics of a Gaussian model, from a student-level DataFrame.

    Everything a Gaussian varying-intercept model with student-level predictors needs from
    the students of a school: their count, the sums of the outcome and of its square, and
    the cross-products of predictors and outcome (see :func:`statistic_columns`). The model
    builders of this module take the table in place of the students.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per student. Not modified.
    outcome : str
        Numeric outcome column (e.g. ``"literacy"``).
    levels : str or sequence of str
        Grouping columns from the top level down (e.g. ``["state", "county", "school"]``).
        One row is made per group of the last level; the others are carried along and
        must be nested.
    predictors : sequence of str, optional
        Numeric student-level predictors (a school-level column, constant within a
        school, works too).

    Returns
    -------
    pandas.DataFrame
        One row per group of the last level, sorted by its label: the level columns, then the
        statistics (``n`` as integer, sums as float).

    Raises
    ------
    KeyError
        If a column is missing.
    TypeError
        If the outcome or a predictor is not numeric (complex numbers included), a level mixes
        label types (``1`` and ``"1"`` would print alike as two groups), or an argument is of
        the wrong type.
    ValueError
        If the data are empty, a value is missing or infinite, a column is named twice or
        in two roles, two statistics would share a name (predictors ``a`` and ``a*a``), or
        the levels are not nested.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import sufficient_statistics
    >>> df = pd.DataFrame({"school": ["a", "a", "b"], "y": [1.0, 3.0, 5.0], "x": [0.0, 1.0, 2.0]})
    >>> sufficient_statistics(df, "y", "school", ["x"])
      school  n  sum(y)  sum(y*y)  sum(x)  sum(x*y)  sum(x*x)
    0      a  2     4.0      10.0     1.0       3.0       1.0
    1      b  1     5.0      25.0     2.0      10.0       4.0
    """
    check_frame(data)
    outcome, levels, predictors = _names(outcome, levels, predictors)
    check_columns(data, [outcome, *levels, *predictors])
    y = check_numeric(data, outcome, role="outcome")
    xs = [check_numeric(data, p, role="predictor") for p in predictors]
    for level in levels:
        check_no_missing(data, level, role="level")
    codes, labels = pd.factorize(data[levels[-1]], sort=True)
    n_groups = len(labels)

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=n_groups)

    sums = [np.bincount(codes, minlength=n_groups).astype(np.int64), total(y), total(y * y)]
    sums += [total(x) for x in xs]
    sums += [total(x * y) for x in xs]
    sums += [total(a * b) for k, a in enumerate(xs) for b in xs[k:]]
    table = pd.DataFrame(index=range(n_groups))
    if len(levels) > 1:
        outer = data[levels].assign(_code=codes).drop_duplicates()
        _check_nested(outer, levels)
        outer = outer.sort_values("_code").set_index("_code")
        for level in levels[:-1]:
            table[level] = outer[level].to_numpy()
    table[levels[-1]] = labels
    stats = pd.DataFrame(dict(zip(statistic_columns(outcome, predictors), sums, strict=True)))
    return _label_dtypes(pd.concat([table, stats], axis=1), levels)


def _label_dtypes(table: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """Level labels as numbers or as pandas strings, whichever route made the table."""
    for level in levels:
        if not pd.api.types.is_numeric_dtype(table[level]):
            table[level] = table[level].astype("str")
    return table


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: A table or view name, optionally schema-qualified: no spaces, quotes, brackets or semicolons.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}")


def _source_sql(source: object) -> str:
    """Return the FROM item for ``source``: a quoted table or view name, or a DuckDB relation's own query."""
    if type(source).__name__ == "DuckDBPyRelation" and hasattr(source, "sql_query"):
        return f"({source.sql_query()}) AS source"
    if not isinstance(source, str) or not source.strip():
        raise TypeError(
            f"`source` must be the name of a table or view (str), e.g. 'students', or a DuckDB relation, "
            f"got {source!r} ({type(source).__name__})."
        )
    if not _IDENTIFIER.fullmatch(source):
        raise ValueError(
            f"`source` must be the name of a table or view (letters, digits and underscores, optionally "
            f"schema-qualified such as 'main.students'), got {source!r}. SQL text is never pasted into the query. "
            "To read a Parquet file, use sufficient_statistics_parquet(path, ...); for any other query, create a "
            "view first (con.execute(\"CREATE VIEW students AS SELECT ...\")) and pass its name, or pass the "
            "DuckDB relation (con.sql(...))."
        )
    return ".".join(_quote(part) for part in source.split("."))


def sufficient_statistics_sql(
    source: str, outcome: str, levels: str | Sequence[str], predictors: Sequence[str] = ()
) -> str:
    """Write the SQL query that computes the sufficient statistics: a ``GROUP BY`` with sums.

    Sums can be computed partition by partition and added, so the query suits distributed
    engines too; :func:`sufficient_statistics_parquet` runs it in DuckDB, and the tests run it
    unchanged in SQLite with the same result. It is standard SQL with names in double quotes and
    casts to ``DOUBLE``; engines that differ need small edits: Spark SQL and BigQuery quote names
    with backticks, BigQuery names the type ``FLOAT64`` and PostgreSQL ``DOUBLE PRECISION``.
    Every name in the query is quoted as an identifier and the source is a table name (or a
    DuckDB relation), never SQL text: a name cannot change what the query does.

    Parameters
    ----------
    source : str or duckdb.DuckDBPyRelation
        The table or view to read, e.g. ``"students"`` or ``"main.students"`` (letters,
        digits and underscores), or a DuckDB relation such as ``con.table("students")``.
    outcome, levels, predictors
        As for :func:`sufficient_statistics`.

    Returns
    -------
    str
        The query; its columns are those of :func:`sufficient_statistics`.

    Raises
    ------
    TypeError
        If an argument is of the wrong type.
    ValueError
        If ``source`` is not a table name (SQL text, a table expression), a column is named
        twice or in two roles, or two statistics would have the same name.

    Examples
    --------
    >>> from hlmkit import sufficient_statistics_sql
    >>> print(sufficient_statistics_sql("students", "y", "school"))
    SELECT "school",
           count(*) AS "n",
           sum("y") AS "sum(y)",
           sum("y" * "y") AS "sum(y*y)"
    FROM (
        SELECT "school",
               CAST("y" AS DOUBLE) AS "y"
        FROM "students"
    ) AS pupils
    GROUP BY "school"
    ORDER BY "school"
    """
    outcome, levels, predictors = _names(outcome, levels, predictors)
    return _statistics_query(_source_sql(source), outcome, levels, predictors)


def _statistics_query(source: str, outcome: str, levels: list[str], predictors: list[str]) -> str:
    """Return the GROUP BY query over ``source``, an SQL FROM item that hlmkit built and quoted itself."""
    keys = ", ".join(_quote(level) for level in levels)
    casts = "".join(f",\n           CAST({_quote(c)} AS DOUBLE) AS {_quote(c)}" for c in [outcome, *predictors])
    y = _quote(outcome)
    terms = [f"sum({y})", f"sum({y} * {y})"]
    terms += [f"sum({_quote(x)})" for x in predictors]
    terms += [f"sum({_quote(x)} * {y})" for x in predictors]
    terms += [f"sum({_quote(a)} * {_quote(b)})" for k, a in enumerate(predictors) for b in predictors[k:]]
    names = statistic_columns(outcome, predictors)
    select = ['count(*) AS "n"'] + [f"{term} AS {_quote(name)}" for term, name in zip(terms, names[1:], strict=True)]
    body = "".join(f",\n       {item}" for item in select)
    # A derived table, not a WITH clause named like the source: SQLite (and the SQL standard) read
    # `WITH students AS (... FROM students)` as a circular reference.
    return (
        f"SELECT {keys}{body}\n"
        f"FROM (\n    SELECT {keys}{casts}\n    FROM {source}\n) AS pupils\n"
        f"GROUP BY {keys}\nORDER BY {_quote(levels[-1])}"
    )


def sufficient_statistics_parquet(
    path: str | Path, outcome: str, levels: str | Sequence[str], predictors: Sequence[str] = ()
) -> pd.DataFrame:
    """Per-school sufficient statistics computed by DuckDB from a Parquet file.

    Runs :func:`sufficient_statistics_sql` in an embedded, in-memory DuckDB database that
    streams the file (out of core: the students never need to fit in memory). Gives the
    same table as :func:`sufficient_statistics` on the same rows.

    Parameters
    ----------
    path : str or pathlib.Path
        A Parquet file (or a glob such as ``"students/*.parquet"``) with one row per student.
    outcome, levels, predictors
        As for :func:`sufficient_statistics`.

    Returns
    -------
    pandas.DataFrame
        One row per group of the last level, sorted by its label; columns as in
        :func:`sufficient_statistics`.

    Raises
    ------
    FileNotFoundError
        If no file matches ``path``.
    KeyError
        If a column is missing from the file.
    TypeError
        If the outcome or a predictor is not numeric, or a level mixes label types.
    ValueError
        If ``path`` is a folder or not a Parquet file (DuckDB's error is named in the message),
        a value is missing or not finite (NULL or NaN in a level), the file has no rows, two
        statistics would share a name, or the levels are not nested.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from hlmkit import sufficient_statistics_parquet
    >>> df = pd.DataFrame({"school": ["a", "a", "b"], "y": [1.0, 3.0, 5.0]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "students.parquet"
    ...     df.to_parquet(path)
    ...     sufficient_statistics_parquet(path, "y", "school")
      school  n  sum(y)  sum(y*y)
    0      a  2     4.0      10.0
    1      b  1     5.0      25.0
    """
    import duckdb  # imported here: only this function needs the query engine

    outcome, levels, predictors = _names(outcome, levels, predictors)
    if not isinstance(path, str | Path):
        raise TypeError(f"`path` must be a file path (str or pathlib.Path), got {type(path).__name__}.")
    pattern = str(path)
    if not Path(pattern).exists() and not (any(ch in pattern for ch in "*?[") and glob.glob(pattern)):
        raise FileNotFoundError(
            f"No Parquet file at (or matching) {pattern!r}. Write one first, e.g. with DataFrame.to_parquet."
        )
    if Path(pattern).is_dir():
        raise ValueError(
            f"`path` {pattern!r} is a folder, not a Parquet file: pass a file, or a glob such as "
            f"'{Path(pattern) / '*.parquet'}' to read every Parquet file in it."
        )
    source = "read_parquet(" + "'" + pattern.replace("'", "''") + "')"  # a string literal, quotes doubled
    levels_sql = [_quote(c) for c in levels]
    with duckdb.connect() as con:
        try:
            schema = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        except duckdb.Error as error:
            raise ValueError(
                f"DuckDB could not read `path` {pattern!r} as Parquet ({type(error).__name__}: "
                f"{str(error).splitlines()[0]}). Pass a Parquet file (e.g. written with DataFrame.to_parquet), "
                "not a CSV, an empty file or another format."
            ) from error
        types = {row[0]: str(row[1]).upper() for row in schema}
        missing = [c for c in [outcome, *levels, *predictors] if c not in types]
        if missing:
            raise KeyError(f"Column(s) {missing} not found in {pattern!r}. Available columns: {list(types)}.")
        for column, role in [(outcome, "outcome")] + [(p, "predictor") for p in predictors]:
            if not types[column].startswith(_NUMERIC_DUCKDB):
                raise TypeError(
                    f"The {role} column {column!r} must be numeric, but the file stores it as {types[column]}. "
                    "Convert it before writing the file."
                )
        bad_value = [
            f"count(*) FILTER (WHERE {_quote(c)} IS NULL OR NOT isfinite(CAST({_quote(c)} AS DOUBLE)))"
            for c in [outcome, *predictors]
        ] + [
            # NaN is a value, not a NULL, in a float column; pandas counts it as missing, so must this route.
            f"count(*) FILTER (WHERE {q} IS NULL"
            + (f" OR isnan({q}))" if types[c].startswith(("FLOAT", "DOUBLE", "REAL")) else ")")
            for c, q in zip(levels, levels_sql, strict=True)
        ]
        try:
            counts = con.execute(f"SELECT count(*), {', '.join(bad_value)} FROM {source}").fetchone()
            if counts is None or counts[0] == 0:
                raise ValueError(f"The file {pattern!r} has no rows: there is nothing to model.")
            for column, count in zip([outcome, *predictors], counts[1:], strict=False):
                if count:
                    raise ValueError(
                        f"The column {column!r} has {count} missing or infinite value(s) in {pattern!r}. "
                        "Drop or impute them before modelling."
                    )
            for column, count in zip(levels, counts[1 + 1 + len(predictors) :], strict=True):
                if count:
                    raise ValueError(
                        f"The level column {column!r} has {count} missing value(s) (NULL or NaN) in {pattern!r}. "
                        "Every row must belong to a group: drop those rows or give them a group."
                    )
            table = con.execute(_statistics_query(source, outcome, levels, predictors)).df()
        except duckdb.Error as error:
            raise ValueError(
                f"DuckDB could not compute the statistics from `path` {pattern!r} ({type(error).__name__}: "
                f"{str(error).splitlines()[0]}). Check that every file has the same columns and types."
            ) from error
    check_label_types(table[levels[-1]], f"The level column {levels[-1]!r}", column=levels[-1])
    _check_nested(table, levels)
    table = table.sort_values(levels[-1], kind="stable").reset_index(drop=True)
    table["n"] = table["n"].astype(np.int64)
    for column in statistic_columns(outcome, predictors)[1:]:
        table[column] = table[column].astype(float)
    return _label_dtypes(table, levels)

