r"""Scaling up: per-school sufficient statistics, and Gaussian models that never touch a student.

For a Gaussian multilevel model with varying intercepts, the students of school :math:`j`
enter the likelihood only through a few sums: the count :math:`n_j`, the sums
:math:`\sum y` and :math:`\sum y^2`, and for student-level predictors :math:`X_j`
the cross-products :math:`X_j^\top 1`, :math:`X_j^\top X_j` and :math:`X_j^\top y_j`.
With :math:`\bar y_j`, :math:`\bar x_j` the school means and

.. math::

    W(\beta) = \sum_j \sum_{i \in j} \bigl((y_i - \bar y_j) - (x_i - \bar x_j)^\top \beta\bigr)^2
              = W_{yy} - 2 \beta^\top W_{xy} + \beta^\top W_{xx} \beta

the within-school sum of squares (its three pieces are sums over schools of the
sufficient statistics), the student-level log-likelihood is exactly

.. math::

    \log p(y \mid \alpha, \beta, \sigma) = -\frac{N}{2} \log(2 \pi \sigma^2)
        - \frac{W(\beta) + \sum_j n_j (\bar y_j - \alpha_j - \bar x_j^\top \beta)^2}{2 \sigma^2}

(:func:`sufficient_statistics_model`): O(schools) per gradient instead of O(students).
Integrating out :math:`\alpha_j \sim N(m_j, \tau^2)` gives each school a multivariate
normal with covariance :math:`\sigma^2 I + \tau^2 1 1^\top`, whose log-density follows
from the matrix determinant lemma and the Sherman-Morrison formula:

.. math::

    \log p(y \mid m, \beta, \sigma, \tau) = -\frac{N}{2} \log 2\pi
        - \frac{N - J}{2} \log \sigma^2 - \frac{W(\beta)}{2 \sigma^2}
        - \sum_j \Bigl[\frac{1}{2} \log(\sigma^2 + n_j \tau^2)
        + \frac{n_j (\bar y_j - \bar x_j^\top \beta - m_j)^2}{2 (\sigma^2 + n_j \tau^2)}\Bigr]

(:func:`marginal_model`): the school effects leave the sampler altogether, and
:func:`school_effects` draws them afterwards from their exact conditional posterior.

The statistics are a ``GROUP BY``: :func:`sufficient_statistics` computes them from a
DataFrame; :func:`sufficient_statistics_parquet` runs the query of
:func:`sufficient_statistics_sql` in DuckDB over a Parquet file, out of core, so the same
step runs where large data live. Both return the same table, which the model builders take.

Levels are named from the top down, as in :func:`hlmkit.nested_model`, e.g.
``["state", "county", "school"]``: the last level (schools) is the one whose groups the
statistics summarise. The builders make :func:`hlmkit.nested_model` (the student-level
likelihood, O(students) per gradient) with the same variable names and the same priors,
computed from the statistics, so the three likelihoods give the same posterior.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from hlmkit._validate import (
    check_columns,
    check_frame,
    check_label_types,
    check_name,
    check_names,
    check_no_missing,
    check_numeric,
    check_parameterizations,
    check_seed,
)

PARAMETERIZATIONS = ("centered", "noncentered")

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

    Sums can be computed partition by partition and added, so the query runs in any SQL
    engine and in distributed ones; :func:`sufficient_statistics_parquet` runs it in DuckDB.
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
    WITH students AS (
        SELECT "school",
               CAST("y" AS DOUBLE) AS "y"
        FROM "students"
    )
    SELECT "school",
           count(*) AS "n",
           sum("y") AS "sum(y)",
           sum("y" * "y") AS "sum(y*y)"
    FROM students
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
    return (
        f"WITH students AS (\n    SELECT {keys}{casts}\n    FROM {source}\n)\n"
        f"SELECT {keys}{body}\n"
        f"FROM students\nGROUP BY {keys}\nORDER BY {_quote(levels[-1])}"
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


# --- from statistics to model inputs ---------------------------------------------------------------


@dataclass(frozen=True)
class _Summary:
    """The statistics reduced to what the models use, with the hierarchy and the prior scales."""

    levels: list[str]
    predictors: list[str]
    labels: dict[str, pd.Index]  # level -> its labels, in code order
    parent: dict[str, np.ndarray]  # level (not the top) -> code of each of its groups' parent group
    n: np.ndarray  # (J,) students per school
    y_mean: np.ndarray  # (J,)
    x_mean: np.ndarray  # (J, p)
    w_yy: float  # within-school sums of squares and cross-products, summed over schools
    w_xy: np.ndarray  # (p,)
    w_xx: np.ndarray  # (p, p)
    n_total: int
    y_center: float  # mean of y over all students
    y_scale: float  # sd of y over all students
    x_scale: np.ndarray  # (p,) sd of each predictor over all students


def _summarise(stats: pd.DataFrame, outcome: str, levels: list[str], predictors: list[str]) -> _Summary:
    """Check a statistics table and reduce it to school means and pooled within-school sums."""
    check_frame(stats, argument="stats")
    columns = statistic_columns(outcome, predictors)
    try:
        check_columns(stats, [*levels, *columns], argument="stats")
    except KeyError as error:
        raise KeyError(
            f"{error.args[0]} Make the table with sufficient_statistics(...) or sufficient_statistics_parquet(...) "
            "with the same outcome, levels and predictors."
        ) from None
    for level in levels:
        check_no_missing(stats, level, role="level")
    bottom = stats[levels[-1]]
    if not bottom.is_unique:
        raise ValueError(
            f"`stats` has more than one row for some {levels[-1]!r} label(s) "
            f"(e.g. {list(bottom[bottom.duplicated()][:3])}): one row per group is expected."
        )
    _check_nested(stats, levels)
    values = {c: check_numeric(stats, c, role="statistic") for c in columns}
    n = values["n"]
    if (n < 1).any() or (n != np.round(n)).any():
        raise ValueError("The column 'n' of `stats` must hold whole counts of at least 1 student per group.")
    order = np.argsort(pd.factorize(bottom, sort=True)[0], kind="stable")
    table = stats.iloc[order]
    values = {c: v[order] for c, v in values.items()}
    n = values["n"]
    p = len(predictors)
    y_sum, yy_sum = values[f"sum({outcome})"], values[f"sum({outcome}*{outcome})"]
    x_sum = np.column_stack([values[f"sum({x})"] for x in predictors]) if p else np.zeros((len(n), 0))
    xy_sum = np.column_stack([values[f"sum({x}*{outcome})"] for x in predictors]) if p else np.zeros((len(n), 0))
    xx_sum = np.zeros((len(n), p, p))
    for k, a in enumerate(predictors):
        for m in range(k, p):
            xx_sum[:, k, m] = xx_sum[:, m, k] = values[f"sum({a}*{predictors[m]})"]
    y_mean = y_sum / n
    x_mean = x_sum / n[:, None]
    n_total = int(n.sum())
    y_center = float(y_sum.sum() / n_total)
    y_var = float(yy_sum.sum() / n_total - y_center**2)
    x_center = x_sum.sum(axis=0) / n_total
    x_var = np.array([xx_sum[:, k, k].sum() / n_total - x_center[k] ** 2 for k in range(p)])
    _check_resolved(outcome, "outcome", n, y_sum, yy_sum)
    constant = [x for k, x in enumerate(predictors) if _check_resolved(x, "predictor", n, x_sum[:, k], xx_sum[:, k, k])]
    if constant:
        raise ValueError(f"Predictor(s) {constant} are constant: drop them, they cannot be estimated.")
    labels: dict[str, pd.Index] = {}
    codes: dict[str, np.ndarray] = {}
    for level in levels:
        level_codes, level_labels = pd.factorize(table[level], sort=True)
        labels[level], codes[level] = pd.Index(level_labels, name=level), level_codes
    few = {level: len(index) for level, index in labels.items() if len(index) < 2}
    if few:
        raise ValueError(
            f"Each level needs at least two groups to learn how they differ; found {few}. "
            "Drop that level from `levels`."
        )
    parent: dict[str, np.ndarray] = {}
    for outer, inner in zip(levels[:-1], levels[1:], strict=True):
        pairs = pd.DataFrame({"child": codes[inner], "parent": codes[outer]}).drop_duplicates("child")
        parent[inner] = pairs.sort_values("child")["parent"].to_numpy(dtype=np.int64)
    return _Summary(
        levels=levels,
        predictors=predictors,
        labels=labels,
        parent=parent,
        n=n,
        y_mean=y_mean,
        x_mean=x_mean,
        w_yy=float((yy_sum - n * y_mean**2).sum()),
        w_xy=(xy_sum - n[:, None] * x_mean * y_mean[:, None]).sum(axis=0),
        w_xx=(xx_sum - n[:, None, None] * x_mean[:, :, None] * x_mean[:, None, :]).sum(axis=0),
        n_total=n_total,
        y_center=y_center,
        y_scale=float(np.sqrt(y_var)),
        x_scale=np.sqrt(x_var),
    )


#: float64 sums of squares must resolve the variation around the group means to this relative precision.
_RESOLUTION = 1e-5


def _check_resolved(column: str, role: str, n: np.ndarray, sums: np.ndarray, squares: np.ndarray) -> bool:
    r"""Whether a column is constant (True for a predictor; an error for the outcome), or raise if its sums lost it.

    The table holds raw sums, so the variation around the group means is a difference of large
    numbers: :math:`W = \sum_j (S^{(2)}_j - S_j^2 / n_j)`. Each stored sum of squares carries a
    rounding error of about ``eps * S2_j``; when the values are far from zero compared with their
    spread (1e7 + N(0, 1)), that error swamps W. Such a column is neither constant nor usable:
    the message says to subtract a constant before summarising. The values the models use are
    computed as before; only this check is new.
    """
    eps = np.finfo(float).eps
    noise = eps * float(np.abs(squares).sum())  # the rounding error of the stored sums of squares
    means = sums / n
    center = float(sums.sum() / n.sum())
    within = float((squares - n * means**2).sum())
    between = float((n * (means - center) ** 2).sum())
    if between <= 16 * noise and within <= 16 * noise:
        if role == "predictor":
            return True
        unresolved = "" if within + between == 0.0 else (
            f" If it should vary, it varies by less than float64 sums of values near {center:.6g} can resolve: "
            f"subtract a constant first, e.g. data[{column!r}] - {float(f'{center:.2g}'):.6g}, and compute the "
            "statistics again."
        )
        raise ValueError(f"The {role} {column!r} is constant: there is no variation to model.{unresolved}")
    if n.max() == 1 or within <= 16 * noise or within * _RESOLUTION >= noise:
        return False  # resolved, or no pupils share a group, or constant within every group (a legal degenerate case)
    spread = np.sqrt(max(within + between, 0.0) / n.sum())
    raise ValueError(
        f"The {role} {column!r} varies too little relative to its size for sums of squares in float64: its values are "
        f"about {center:.6g} but vary by about {spread:.3g} (sd), so the statistics keep only about "
        f"{max(int(np.log10(max(within, 1e-300) / noise)), 0)} of the {int(-np.log10(_RESOLUTION))} significant digits "
        "of that variation the models need. Subtract a "
        f"constant first, e.g. data[{column!r}] - {float(f'{center:.2g}'):.6g}, and compute the statistics again: "
        "slopes and standard deviations do not change, intercepts shift by that constant."
    )


def _check_not_all_singletons(summary: _Summary) -> None:
    """Raise if every school has one student: sigma and tau cannot then be told apart."""
    if (summary.n == 1).all():
        raise ValueError(
            f"Every {summary.levels[-1]!r} group in `stats` has a single row of data (n = 1), so the spread within "
            "groups (sigma) cannot be told apart from the differences between groups. Use complete_pooling_model, "
            "or summarise by a coarser column with larger groups."
        )


def _coords(summary: _Summary) -> dict[str, list]:
    coords: dict[str, list] = {"level": list(summary.levels)}
    coords.update({level: list(summary.labels[level]) for level in summary.levels})
    if summary.predictors:
        coords["predictor"] = list(summary.predictors)
    return coords


def _hierarchy(summary: _Summary, chosen: dict[str, str], *, include_bottom: bool) -> tuple:
    """Add the priors and the group intercepts of :func:`hlmkit.nested_model` to the model in context.

    Returns ``sigma``, ``beta`` (None without predictors), ``tau`` (dim ``level``) and, when
    ``include_bottom``, the school intercepts ``alpha``; otherwise the expected intercept
    of each school given the levels above (``mu`` itself in a two-level model).
    """
    s = summary.y_scale
    levels = summary.levels
    mu = pm.Normal("mu", mu=summary.y_center, sigma=2.5 * s)
    tau = pm.HalfNormal("tau", sigma=s, dims="level")
    upper: Any = None
    for k, level in enumerate(levels):
        mean = mu if k == 0 else upper[summary.parent[level]]
        if level == levels[-1] and not include_bottom:
            upper = mean
            break
        name = "alpha" if level == levels[-1] else f"alpha_{level}"
        if chosen[level] == "centered":
            upper = pm.Normal(name, mu=mean, sigma=tau[k], dims=level)
            pm.Deterministic(f"effect_{level}", upper - mean, dims=level)
        else:
            z = pm.Normal(f"z_{level}", 0.0, 1.0, dims=level)
            effect = pm.Deterministic(f"effect_{level}", tau[k] * z, dims=level)
            upper = pm.Deterministic(name, mean + effect, dims=level)
    sigma = pm.HalfNormal("sigma", sigma=s)
    beta = None
    if summary.predictors:
        beta = pm.Normal("beta", mu=0.0, sigma=2.5 * s / summary.x_scale, dims="predictor")
    return sigma, beta, tau, upper


def _within(summary: _Summary, beta):
    """W(beta): the within-school sum of squared residuals, from three summed statistics."""
    if beta is None:
        return summary.w_yy
    return summary.w_yy - 2.0 * pt.dot(summary.w_xy, beta) + pt.dot(beta, pt.dot(summary.w_xx, beta))


def _adjusted_means(summary: _Summary, beta):
    """School means of the outcome net of the predictors: ybar_j - xbar_j' beta."""
    if beta is None:
        return summary.y_mean
    return summary.y_mean - pt.dot(summary.x_mean, beta)


def sufficient_statistics_model(
    stats: pd.DataFrame,
    outcome: str,
    levels: str | Sequence[str],
    predictors: Sequence[str] = (),
    *,
    parameterization: str | Mapping[str, str] = "noncentered",
) -> pm.Model:
    r""":func:`hlmkit.nested_model` with its likelihood computed from per-school statistics.

    The log-likelihood (a ``pymc.Potential`` named ``loglik``) equals the student-level one
    exactly, for every parameter value, but costs O(schools) per gradient instead of
    O(students):

    .. math:: -\frac{N}{2}\log(2\pi\sigma^2) - \frac{W(\beta)
              + \sum_j n_j (\bar y_j - \alpha_j - \bar x_j^\top \beta)^2}{2\sigma^2}

    Priors, variables and names are those of :func:`hlmkit.nested_model`, so the two give
    the same posterior.

    Parameters
    ----------
    stats : pandas.DataFrame
        The table of :func:`sufficient_statistics` or :func:`sufficient_statistics_parquet`.
    outcome : str
        Numeric outcome column the table summarises (e.g. ``"literacy"``).
    levels : str or sequence of str
        Grouping columns from the top level down: ``"school"`` for two levels,
        ``["state", "county", "school"]`` for schools in counties in states.
    predictors : sequence of str, optional
        Student-level predictors with common slopes ``beta``. Centre them for clean
        sampling and an interpretable intercept.
    parameterization : {"noncentered", "centered"} or mapping
        One choice for every level, or ``{level: choice}`` (levels left out are
        non-centred). Centred suits groups with much data each, non-centred groups with
        little (see :func:`suggest_parameterization`).

    Returns
    -------
    pymc.Model
        Variables ``mu``, ``tau`` (dim ``level``), ``sigma``, ``beta`` (dim ``predictor``, if
        any), ``alpha`` (dim of the last level), and for each level above ``alpha_<level>``;
        ``effect_<level>`` (and ``z_<level>`` when non-centred) for every level. No observed
        variable: the data enter through the potential ``loglik``.

    Raises
    ------
    KeyError
        If a level or statistic column is missing from ``stats``.
    TypeError, ValueError
        If a statistic is not numeric or finite, a count is below 1, a group has two rows,
        every group has a single student (``n`` = 1: sigma and tau cannot be told apart), a
        level has fewer than two groups or is not nested in the one above, or the
        parameterization is unknown.

    Examples
    --------
    >>> from hlmkit import simulate_literacy, sufficient_statistics, sufficient_statistics_model
    >>> students = simulate_literacy(seed=1).students
    >>> stats = sufficient_statistics(students, "literacy", "school", ["ses"])
    >>> model = sufficient_statistics_model(stats, "literacy", "school", ["ses"], parameterization="centered")
    >>> sorted(v.name for v in model.free_RVs), [p.name for p in model.potentials]
    (['alpha', 'beta', 'mu', 'sigma', 'tau'], ['loglik'])
    """
    outcome, levels, predictors = _names(outcome, levels, predictors)
    summary = _summarise(stats, outcome, levels, predictors)
    _check_not_all_singletons(summary)
    chosen = check_parameterizations(parameterization, levels, PARAMETERIZATIONS)
    with pm.Model(coords=_coords(summary)) as model:
        sigma, beta, _, alpha = _hierarchy(summary, chosen, include_bottom=True)
        residual = _adjusted_means(summary, beta) - alpha
        squares = _within(summary, beta) + pt.sum(summary.n * residual**2)
        pm.Potential("loglik", -0.5 * summary.n_total * pt.log(2 * np.pi * sigma**2) - squares / (2 * sigma**2))
    return model


def marginal_model(
    stats: pd.DataFrame,
    outcome: str,
    levels: str | Sequence[str],
    predictors: Sequence[str] = (),
    *,
    parameterization: str | Mapping[str, str] = "noncentered",
) -> pm.Model:
    r""":func:`hlmkit.nested_model` with the school intercepts integrated out.

    Given the levels above, the students of school :math:`j` are jointly normal with mean
    :math:`m_j + X_j \beta` and covariance :math:`\sigma^2 I + \tau^2 1 1^\top`. Its
    determinant (matrix determinant lemma) and inverse (Sherman-Morrison) reduce the
    log-density to the school's statistics, so the log-likelihood (a ``pymc.Potential``
    named ``loglik``) is

    .. math:: -\frac{N}{2}\log 2\pi - \frac{N-J}{2}\log\sigma^2 - \frac{W(\beta)}{2\sigma^2}
              - \sum_j \Bigl[\tfrac12 \log(\sigma^2 + n_j\tau^2)
              + \frac{n_j(\bar y_j - \bar x_j^\top\beta - m_j)^2}{2(\sigma^2 + n_j\tau^2)}\Bigr]

    The sampler never sees the school intercepts, so they cannot form a funnel whatever
    the school sizes; :func:`school_effects` draws them after sampling.

    Parameters
    ----------
    stats : pandas.DataFrame
        The table of :func:`sufficient_statistics` or :func:`sufficient_statistics_parquet`.
    outcome : str
        Numeric outcome column the table summarises (e.g. ``"literacy"``).
    levels : str or sequence of str
        Grouping columns from the top level down: ``"school"`` for two levels,
        ``["state", "county", "school"]`` for schools in counties in states.
    predictors : sequence of str, optional
        Student-level predictors with common slopes ``beta``.
    parameterization : {"noncentered", "centered"} or mapping
        For the levels above the schools, as in :func:`sufficient_statistics_model`; the
        choice for the last level is ignored (its intercepts are integrated out).

    Returns
    -------
    pymc.Model
        Variables ``mu``, ``tau`` (dim ``level``; its last entry is the sd of the school
        intercepts), ``sigma``, ``beta`` (if predictors) and, for each level above the
        schools, ``alpha_<level>`` and ``effect_<level>`` (``z_<level>`` when non-centred);
        no ``alpha``.

    Raises
    ------
    KeyError, TypeError, ValueError
        As for :func:`sufficient_statistics_model`.

    Examples
    --------
    >>> from hlmkit import marginal_model, simulate_literacy, sufficient_statistics
    >>> students = simulate_literacy(seed=1).students
    >>> levels = ["state", "county", "school"]
    >>> stats = sufficient_statistics(students, "literacy", levels, ["ses"])
    >>> model = marginal_model(stats, "literacy", levels, ["ses"], parameterization="centered")
    >>> sorted(v.name for v in model.free_RVs)
    ['alpha_county', 'alpha_state', 'beta', 'mu', 'sigma', 'tau']
    """
    outcome, levels, predictors = _names(outcome, levels, predictors)
    summary = _summarise(stats, outcome, levels, predictors)
    _check_not_all_singletons(summary)
    chosen = check_parameterizations(parameterization, levels, PARAMETERIZATIONS)
    n, n_groups = summary.n, len(summary.n)
    with pm.Model(coords=_coords(summary)) as model:
        sigma, beta, tau, location = _hierarchy(summary, chosen, include_bottom=False)
        residual = _adjusted_means(summary, beta) - location
        school_variance = sigma**2 + n * tau[-1] ** 2  # n_j times the variance of school j's adjusted mean
        loglik = (
            -0.5 * summary.n_total * np.log(2 * np.pi)
            - 0.5 * (summary.n_total - n_groups) * pt.log(sigma**2)
            - _within(summary, beta) / (2 * sigma**2)
            - 0.5 * pt.sum(pt.log(school_variance) + n * residual**2 / school_variance)
        )
        pm.Potential("loglik", loglik)
    return model


def school_effects(
    idata: xr.DataTree,
    stats: pd.DataFrame,
    outcome: str,
    levels: str | Sequence[str],
    predictors: Sequence[str] = (),
    *,
    seed: int,
) -> xr.DataTree:
    r"""Add the school intercepts ``alpha`` to a fit of :func:`marginal_model`.

    Given the other parameters, school :math:`j`'s intercept has an exact normal posterior,
    the precision-weighted average of chapter 4:

    .. math:: \alpha_j \mid \cdot \sim N\Bigl(\frac{n_j r_j / \sigma^2 + m_j / \tau^2}
              {n_j / \sigma^2 + 1 / \tau^2},\ \frac{1}{n_j / \sigma^2 + 1 / \tau^2}\Bigr),
              \quad r_j = \bar y_j - \bar x_j^\top \beta

    One draw per posterior draw gives draws from the joint posterior, as if the intercepts
    had been sampled.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`marginal_model` (from :func:`hlmkit.sample`). Not modified.
    stats, outcome, levels, predictors
        The arguments the model was built with.
    seed : int
        Seed of the normal draws.

    Returns
    -------
    xarray.DataTree
        A copy of ``idata`` whose posterior also holds ``alpha`` (dims chain, draw and the
        last level).

    Raises
    ------
    TypeError
        If ``idata`` is not a fit or ``seed`` is not an integer.
    KeyError
        If the posterior lacks a variable of the marginal model built with these arguments.

    Examples
    --------
    >>> from hlmkit import marginal_model, sample, school_effects, simulate_literacy, sufficient_statistics
    >>> students = simulate_literacy(seed=1).students
    >>> stats = sufficient_statistics(students, "literacy", "school")
    >>> idata = sample(marginal_model(stats, "literacy", "school"), seed=1, draws=100, tune=100, chains=2,
    ...                sampler="pymc", progressbar=False)
    >>> school_effects(idata, stats, "literacy", "school", seed=1).posterior["alpha"].dims
    ('chain', 'draw', 'school')
    """
    if not isinstance(idata, xr.DataTree) or "posterior" not in idata.children:
        raise TypeError(f"`idata` must be a fit from hlmkit.sample (an xarray.DataTree), got {type(idata).__name__}.")
    seed = check_seed(seed)
    outcome, levels, predictors = _names(outcome, levels, predictors)
    summary = _summarise(stats, outcome, levels, predictors)
    posterior = idata.posterior.to_dataset()
    above = [f"alpha_{levels[-2]}"] if len(levels) > 1 else []
    missing = [v for v in ["mu", "tau", "sigma", *(["beta"] if predictors else []), *above] if v not in posterior]
    if missing:
        raise KeyError(f"The posterior lacks {missing}: pass a fit of marginal_model built with these arguments.")
    if "alpha" in posterior:
        raise ValueError("The posterior already holds `alpha`: this is not a fit of marginal_model.")
    if "level" not in posterior["tau"].dims or levels[-1] not in posterior["tau"]["level"].values:
        raise ValueError(
            f"The posterior's `tau` has no entry for level {levels[-1]!r}: pass a fit of marginal_model built with "
            "these arguments."
        )
    sigma = posterior["sigma"].values[..., None]
    tau = posterior["tau"].sel(level=levels[-1]).values[..., None]
    if above:
        location = posterior[above[0]].transpose("chain", "draw", levels[-2]).values[..., summary.parent[levels[-1]]]
    else:
        location = posterior["mu"].values[..., None]
    adjusted = summary.y_mean
    if predictors:
        adjusted = adjusted - posterior["beta"].transpose("chain", "draw", "predictor").values @ summary.x_mean.T
    precision = summary.n / sigma**2 + 1 / tau**2
    mean = (summary.n * adjusted / sigma**2 + location / tau**2) / precision
    rng = np.random.default_rng(seed)
    draws = mean + rng.standard_normal(mean.shape) / np.sqrt(precision)
    bottom = levels[-1]
    alpha = xr.DataArray(
        draws,
        dims=("chain", "draw", bottom),
        coords={"chain": posterior["chain"].values, "draw": posterior["draw"].values,
                bottom: list(summary.labels[bottom])},
        name="alpha",
    )
    tree = idata.copy()
    tree["posterior"] = xr.DataTree(posterior.assign(alpha=alpha))
    return tree


def suggest_parameterization(
    stats: pd.DataFrame,
    outcome: str,
    levels: str | Sequence[str],
    predictors: Sequence[str] = (),
    *,
    sigma: float,
    tau: Mapping[str, float],
) -> dict[str, str]:
    r"""Centred or non-centred for each level, by the rule of thumb of the chapter on sampling problems.

    A group's intercept is pinned down by its own data when they carry more than half of
    its posterior precision, i.e. when its shrinkage weight :math:`w = P / (P + 1/\tau^2)`
    exceeds one half, where :math:`P` is the precision of the group's data: :math:`n_j /
    \sigma^2` for a school, and for a group of a level above, the sum over its member
    groups of :math:`1 / (\tau_{\text{member}}^2 + 1 / P_{\text{member}})`. Then the
    centred form samples best; otherwise the non-centred one. The rule looks at the median
    group of each level, with rough values of the scales from a pilot fit, e.g. of
    :func:`marginal_model`, which has no school intercepts to parameterise. The funnel lives
    where :math:`\tau` is small, so pass the small end of each :math:`\tau`'s plausible range
    (say its 5% posterior quantile): for a level with few groups, :math:`\tau` is poorly
    determined and a central value can suggest centring a level whose posterior still reaches
    down into the funnel.

    Parameters
    ----------
    stats : pandas.DataFrame
        The table of :func:`sufficient_statistics` (the counts ``n`` and the levels are used).
    outcome, levels, predictors
        As for the model builders.
    sigma : float
        Rough within-school standard deviation (positive).
    tau : mapping of str to float
        Rough standard deviation of the intercepts at each level, e.g.
        ``{"state": 6, "county": 4, "school": 10}`` (positive).

    Returns
    -------
    dict of str to str
        ``{level: "centered" | "noncentered"}``, to pass as ``parameterization``.

    Raises
    ------
    KeyError
        If ``tau`` lacks a level, or ``stats`` lacks a column.
    ValueError
        If a scale is not a positive number.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmkit import suggest_parameterization, sufficient_statistics
    >>> df = pd.DataFrame({"school": list("aabbb"), "y": [1.0, 2.0, 3.0, 4.0, 6.0]})
    >>> stats = sufficient_statistics(df, "y", "school")
    >>> suggest_parameterization(stats, "y", "school", sigma=1.0, tau={"school": 2.0})
    {'school': 'centered'}
    >>> suggest_parameterization(stats, "y", "school", sigma=10.0, tau={"school": 2.0})
    {'school': 'noncentered'}
    """
    outcome, levels, predictors = _names(outcome, levels, predictors)
    summary = _summarise(stats, outcome, levels, predictors)
    if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not sigma > 0:
        raise ValueError(f"`sigma` must be a positive number, got {sigma!r}.")
    if not isinstance(tau, Mapping):
        raise TypeError(f"`tau` must be a mapping {{level: sd}}, got {tau!r}.")
    missing = [level for level in levels if level not in tau]
    if missing:
        raise KeyError(f"`tau` has no value for level(s) {missing}; give one per level of {levels}.")
    scales = {level: tau[level] for level in levels}
    bad = {k: v for k, v in scales.items() if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0}
    if bad:
        raise ValueError(f"Every `tau` must be a positive number, got {bad}.")
    chosen: dict[str, str] = {}
    precision = summary.n / sigma**2  # what each school's own students say about its intercept
    for k in range(len(levels) - 1, -1, -1):  # from the schools up
        level = levels[k]
        weight = precision / (precision + 1.0 / scales[level] ** 2)
        chosen[level] = "centered" if float(np.median(weight)) > 0.5 else "noncentered"
        if k > 0:  # what a group of the level above learns from its member groups
            member = 1.0 / (scales[level] ** 2 + 1.0 / precision)
            precision = np.bincount(summary.parent[level], weights=member, minlength=len(summary.labels[levels[k - 1]]))
    return {level: chosen[level] for level in levels}


#: Where ``make bench`` writes its results (see ``bench/README.md``).
BENCHMARK_FILE = Path(__file__).resolve().parent.parent / "bench" / "results.csv"


def load_benchmarks() -> pd.DataFrame:
    """Load the benchmark results committed with the book (``bench/results.csv``, written by ``make bench``).

    Runs too slow for a page (the student-level likelihood on a million students) are
    measured once by ``bench/run_bench.py`` and read back from this file, with the machine
    and the date they were measured on.

    Returns
    -------
    pandas.DataFrame
        One row per benchmark process: ``suite``, ``case``, ``engine``, ``size``,
        ``n_students``, timings in seconds (``process_s``, ``setup_s``, ``sampling_s``, ...),
        diagnostics, estimates, ``machine``, ``date`` and ``load_1min``.

    Raises
    ------
    FileNotFoundError
        If the file is missing (run ``make bench`` to write it).

    Examples
    --------
    >>> from hlmkit import load_benchmarks
    >>> {"suite", "case", "process_s", "machine", "date"} <= set(load_benchmarks().columns)
    True
    """
    if not BENCHMARK_FILE.exists():
        raise FileNotFoundError(
            f"The benchmark results are missing: {BENCHMARK_FILE}. They are committed with the book; "
            "restore them with `git checkout -- bench/` or write them with `make bench`."
        )
    return pd.read_csv(BENCHMARK_FILE)
