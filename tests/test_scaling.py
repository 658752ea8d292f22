"""Sufficient statistics, the query engine, and the two likelihoods that never touch a student.

The promise of hlmkit.scaling is an identity, not an approximation: the sufficient-statistic
likelihood IS the student-level likelihood, and the marginal likelihood IS the student-level
likelihood with the school intercepts integrated out. So the tests compare them at random
parameter values (far from the posterior too) to floating-point tolerance, against
independent computations (PyMC's own student-level Normal, SciPy's multivariate normal).
No sampling here: an identity of log-densities at every point implies the same posterior.
"""

import re

import numpy as np
import pandas as pd
import pytensor
import pytest
import scipy.stats
import xarray as xr

from hlmkit import (
    load_benchmarks,
    marginal_model,
    nested_model,
    school_effects,
    simulate_literacy,
    statistic_columns,
    sufficient_statistics,
    sufficient_statistics_model,
    sufficient_statistics_parquet,
    sufficient_statistics_sql,
    suggest_parameterization,
)
from tests.conftest import EVALUATE_ONLY

LEVELS = ["state", "county", "school"]
PREDICTORS = ["grade_c", "ses"]
# Log-likelihoods here are sums of ~1,000 terms of size ~5 (|loglik| ~ 1e4 .. 1e6 at random
# points); float64 rounding of the two routes differs by ~1e-12 relative. 1e-9 leaves room for
# summation order and still catches any missing term (the smallest, a log n_j, is ~1e-4 relative).
RTOL = 1e-9


@pytest.fixture(scope="module")
def students():
    """About 1,000 students in 18 schools in 6 counties in 2 states, with a centred grade."""
    region = simulate_literacy(seed=3, n_states=2, counties_per_state=3, schools_per_county=3)
    return region.students.assign(grade_c=lambda d: d["grade"] - region.params["reference_grade"])


@pytest.fixture(scope="module")
def stats(students):
    return sufficient_statistics(students, "literacy", LEVELS, PREDICTORS)


def random_point(model, rng):
    """A random point in the model's unconstrained space, on the scale of literacy scores."""
    point = {}
    for name, value in model.initial_point().items():
        draw = rng.normal(size=np.shape(value))
        if name == "mu":
            draw = 500 + 20 * draw
        elif name.startswith("alpha"):
            draw = 500 + 25 * draw
        elif name == "beta":
            draw = 10 * draw
        elif name.endswith("_log__"):
            draw = np.log(rng.uniform(2, 60, size=np.shape(value)))
        point[name] = draw
    return point


def loglik(model, point, var):
    """The log-density of one term of ``model`` (observed variable or potential) at ``point``."""
    term = model[var] if isinstance(var, str) else var
    return float(model.compile_logp(vars=[term], jacobian=False, mode=EVALUATE_ONLY)(point))


# --- the statistics ------------------------------------------------------------------------------


def test_statistics_match_a_direct_groupby(students, stats):
    direct = students.groupby("school").agg(
        n=("literacy", "size"), total=("literacy", "sum"), ses=("ses", "sum"), county=("county", "first")
    )
    assert stats["school"].tolist() == sorted(students["school"].unique())
    table = stats.set_index("school")
    np.testing.assert_array_equal(table["n"], direct["n"])
    np.testing.assert_allclose(table["sum(literacy)"], direct["total"], rtol=1e-12)
    np.testing.assert_allclose(table["sum(ses)"], direct["ses"], rtol=1e-12)
    cross = (students["ses"] * students["grade_c"]).groupby(students["school"]).sum()
    np.testing.assert_allclose(table["sum(grade_c*ses)"], cross, rtol=1e-12)
    assert (table["county"] == direct["county"]).all()
    assert list(stats.columns) == [*LEVELS, *statistic_columns("literacy", PREDICTORS)]
    assert stats["n"].dtype == np.int64


def test_duckdb_over_parquet_gives_the_same_table(students, stats, tmp_path):
    path = tmp_path / "students.parquet"
    students.to_parquet(path)
    from_file = sufficient_statistics_parquet(path, "literacy", LEVELS, PREDICTORS)
    pd.testing.assert_frame_equal(from_file, stats, check_exact=False, rtol=1e-12)


def test_duckdb_reads_integer_outcomes_and_globs(tmp_path):
    df = pd.DataFrame({"school": ["b", "a", "b", "a"], "score": [1, 2, 3, 4]})
    df.iloc[:2].to_parquet(tmp_path / "part1.parquet")
    df.iloc[2:].to_parquet(tmp_path / "part2.parquet")
    table = sufficient_statistics_parquet(tmp_path / "part*.parquet", "score", "school")
    assert table["school"].tolist() == ["a", "b"]
    assert table["sum(score*score)"].tolist() == [20.0, 10.0]


def test_the_same_sql_runs_unchanged_in_a_second_engine_with_the_same_result(students, stats):
    # The chapter says the GROUP BY runs where the data are; SQLite (standard library) is a second,
    # unrelated engine. Found: the query once read `WITH students AS (... FROM "students")`,
    # which SQLite refuses as a circular reference.
    import sqlite3

    hostile = 'y" FROM t; DROP TABLE t; --'
    with sqlite3.connect(":memory:") as con:
        students[[*LEVELS, *PREDICTORS, "literacy"]].rename(columns={"literacy": hostile}).to_sql("students", con)
        table = pd.read_sql(sufficient_statistics_sql("students", hostile, LEVELS, PREDICTORS), con)
        assert con.execute("SELECT count(*) FROM students").fetchone() == (len(students),)
    table.columns = stats.columns
    pd.testing.assert_frame_equal(table, stats, check_exact=False, rtol=1e-10)


def test_sql_is_a_group_by_with_one_sum_per_statistic():
    sql = sufficient_statistics_sql("students", "y", ["county", "school"], ["x"])
    assert 'GROUP BY "county", "school"' in sql
    for column in statistic_columns("y", ["x"])[1:]:
        assert f'AS "{column}"' in sql


def test_labels_1_and_text_1_are_refused_not_merged():
    # Turning labels into text made 1 and "1" one school; the builders keep them apart.
    mixed = pd.DataFrame({"g": pd.Series([1, 1, "1", "1"], dtype=object), "y": [1.0, 2.0, 3.0, 5.0]})
    with pytest.raises(TypeError, match=r"'g' mixes labels of different types.*astype\(str\)"):
        sufficient_statistics(mixed, "y", "g")
    # One type at a time works, and integer labels stay numbers.
    numbers = sufficient_statistics(mixed.assign(g=[1, 1, 2, 2]), "y", "g")
    assert numbers["g"].tolist() == [1, 2] and pd.api.types.is_integer_dtype(numbers["g"])


def test_nan_in_a_level_is_refused_by_both_routes(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    level = np.array([1.0, np.nan, 2.0, 2.0])
    y = np.array([1.0, 2.0, 3.0, 4.0])
    path = tmp_path / "nan.parquet"
    pq.write_table(pa.table({"g": pa.array(level, from_pandas=False), "y": y}), path)  # NaN, not NULL
    assert pq.read_table(path).column("g").null_count == 0
    with pytest.raises(ValueError, match="level column 'g' has 1 missing"):
        sufficient_statistics(pd.DataFrame({"g": level, "y": y}), "y", "g")
    with pytest.raises(ValueError, match=r"level column 'g' has 1 missing value\(s\) \(NULL or NaN\)"):
        sufficient_statistics_parquet(path, "y", "g")


def test_statistics_that_would_share_a_name_are_refused_by_both_routes(tmp_path):
    # Predictors a and a*a both give "sum(a*a)": the pandas route kept one, DuckDB renamed the other.
    data = pd.DataFrame(
        {"g": ["a", "a", "b", "b"], "y": [1.0, 2.0, 3.0, 4.0], "a": [1.0, 2.0, 3.0, 0.0], "a*a": [0.0, 1.0, 0.0, 1.0]}
    )
    data.to_parquet(tmp_path / "d.parquet")
    for compute in (
        lambda: sufficient_statistics(data, "y", "g", ["a", "a*a"]),
        lambda: sufficient_statistics_parquet(tmp_path / "d.parquet", "y", "g", ["a", "a*a"]),
        lambda: sufficient_statistics_sql("t", "y", "g", ["a", "a*a"]),
    ):
        with pytest.raises(ValueError, match=r"both be named 'sum\(a\*a\)'.*Rename the column\(s\) \['a\*a'\]"):
            compute()
    # Renamed as the message says, the two routes agree.
    renamed = data.rename(columns={"a*a": "a_a"})
    renamed.to_parquet(tmp_path / "r.parquet")
    pd.testing.assert_frame_equal(
        sufficient_statistics(renamed, "y", "g", ["a", "a_a"]),
        sufficient_statistics_parquet(tmp_path / "r.parquet", "y", "g", ["a", "a_a"]),
    )


@pytest.mark.parametrize(
    "source",
    [
        "t) SELECT 1 AS g; DROP TABLE t; --",
        "t; DROP TABLE t",
        '"t"; DROP TABLE t; --',
        "read_parquet('students.parquet')",
        "t WHERE 1=1",
        "t --",
    ],
)
def test_sql_takes_a_table_name_never_sql_text(source):
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 1.0), ('a', 2.0), ('b', 4.0)) AS v(g, y)")
    with pytest.raises(ValueError, match="`source` must be the name of a table or view"):
        query = sufficient_statistics_sql(source, "y", "g")
        con.execute(query)  # never reached: nothing is run with the hostile text
    assert con.execute("SELECT count(*) FROM t").fetchone() == (3,)  # the table is still there


def test_sql_quotes_every_name_and_accepts_a_name_or_a_relation():
    import duckdb

    hostile = 'y" FROM t; DROP TABLE t; --'  # a column may be called anything: it is quoted, never pasted
    con = duckdb.connect()
    frame = pd.DataFrame({"g": ["a", "a", "b"], hostile: [1.0, 2.0, 4.0]})
    con.execute("CREATE TABLE students AS SELECT * FROM frame")
    expected = sufficient_statistics(frame, hostile, "g")
    for source in ("students", "main.students", con.table("students"), con.sql("SELECT * FROM students")):
        table = con.execute(sufficient_statistics_sql(source, hostile, "g")).df()
        np.testing.assert_allclose(
            table.drop(columns="g").to_numpy(dtype=float), expected.drop(columns="g").to_numpy(dtype=float)
        )
    assert con.execute("SELECT count(*) FROM students").fetchone() == (3,)


@pytest.mark.parametrize("kind", ["csv", "empty", "folder", "glob of nothing"])
def test_parquet_route_names_the_path_when_it_is_not_parquet(tmp_path, kind):
    path = tmp_path / "students.parquet"
    if kind == "csv":
        path.write_text("school,y\na,1.0\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "folder":
        path.mkdir()
    else:
        path = tmp_path / "part*.parquet"
    error = FileNotFoundError if kind == "glob of nothing" else ValueError
    with pytest.raises(error, match=r"students\.parquet|part\*\.parquet") as info:
        sufficient_statistics_parquet(path, "y", "school")
    assert str(path) in str(info.value)
    assert re.search(r"Parquet file|glob such as|Write one first", str(info.value))


def test_statistics_do_not_modify_the_data(students):
    before = students.copy()
    sufficient_statistics(students, "literacy", LEVELS, PREDICTORS)
    pd.testing.assert_frame_equal(students, before)


def test_statistics_errors_name_the_problem(students, tmp_path):
    with pytest.raises(KeyError, match="height"):
        sufficient_statistics(students, "height", "school")
    with pytest.raises(TypeError, match="'locale' must be numeric"):
        sufficient_statistics(students, "literacy", "school", ["locale"])
    gappy = students.assign(literacy=students["literacy"].where(students.index != 5))
    with pytest.raises(ValueError, match="missing or infinite"):
        sufficient_statistics(gappy, "literacy", "school")
    crossed = students.assign(county=np.where(students.index % 2 == 0, "North", "South"))
    with pytest.raises(ValueError, match="not nested"):
        sufficient_statistics(crossed, "literacy", ["county", "school"])
    with pytest.raises(ValueError, match="two roles|more than one role"):
        sufficient_statistics(students, "literacy", "school", ["literacy"])
    with pytest.raises(ValueError, match="names the models use"):
        sufficient_statistics(students.rename(columns={"school": "mu"}), "literacy", "mu")


def test_parquet_errors_name_the_problem(students, tmp_path):
    with pytest.raises(FileNotFoundError, match="No Parquet file"):
        sufficient_statistics_parquet(tmp_path / "absent.parquet", "literacy", "school")
    path = tmp_path / "students.parquet"
    students.assign(literacy=students["literacy"].where(students.index != 3)).to_parquet(path)
    with pytest.raises(KeyError, match="height"):
        sufficient_statistics_parquet(path, "height", "school")
    with pytest.raises(TypeError, match="'locale' must be numeric"):
        sufficient_statistics_parquet(path, "ses", "school", ["locale"])
    with pytest.raises(ValueError, match="'literacy' has 1 missing"):
        sufficient_statistics_parquet(path, "literacy", "school")


# --- the sufficient-statistic likelihood is the student-level likelihood --------------------------


@pytest.mark.parametrize(
    ("levels", "predictors", "parameterization"),
    [
        (["school"], [], "centered"),
        (["school"], PREDICTORS, "noncentered"),
        (LEVELS, PREDICTORS, "centered"),
        (LEVELS, ["ses"], {"state": "noncentered", "county": "centered", "school": "noncentered"}),
    ],
)
def test_sufficient_statistic_loglik_equals_student_loglik(students, levels, predictors, parameterization):
    stats = sufficient_statistics(students, "literacy", levels, predictors)
    reference = nested_model(students, "literacy", levels, predictors, parameterization=parameterization)
    model = sufficient_statistics_model(stats, "literacy", levels, predictors, parameterization=parameterization)
    assert set(model.initial_point()) == set(reference.initial_point())
    student_loglik = reference.compile_logp(vars=[reference["y"]], jacobian=False, mode=EVALUATE_ONLY)
    summary_loglik = model.compile_logp(vars=model.potentials, jacobian=False, mode=EVALUATE_ONLY)
    student_posterior = reference.compile_logp(mode=EVALUATE_ONLY)
    summary_posterior = model.compile_logp(mode=EVALUATE_ONLY)
    rng = np.random.default_rng(1)
    for _ in range(5):
        point = random_point(reference, rng)
        assert float(summary_loglik(point)) == pytest.approx(float(student_loglik(point)), rel=RTOL)
        # The priors are the same too (scales computed from the sums instead of the rows), so
        # the whole log-posterior agrees, not only the likelihood: the same posterior.
        assert float(summary_posterior(point)) == pytest.approx(float(student_posterior(point)), rel=RTOL)


# --- the marginal likelihood is the student-level likelihood with the intercepts integrated out ---


def mvn_loglik(students, levels, predictors, point, stats):
    """Sum over schools of the multivariate normal log-density, with dense covariance matrices."""
    sigma = np.exp(point["sigma_log__"])
    tau_school = np.exp(point["tau_log__"])[-1]
    beta = point.get("beta", np.zeros(0))
    schools = stats["school"].tolist()
    if len(levels) > 1:
        parents = sorted(stats[levels[-2]].unique())
        location = dict(
            zip(
                stats["school"],
                point[f"alpha_{levels[-2]}"][[parents.index(c) for c in stats[levels[-2]]]],
                strict=True,
            )
        )
    else:
        location = dict.fromkeys(schools, point["mu"])
    total = 0.0
    for school, rows in students.groupby("school"):
        y = rows["literacy"].to_numpy()
        x = rows[predictors].to_numpy() if predictors else np.zeros((len(y), 0))
        n = len(y)
        cov = sigma**2 * np.eye(n) + tau_school**2 * np.ones((n, n))
        total += scipy.stats.multivariate_normal.logpdf(y, location[school] + x @ beta, cov)
    return total


@pytest.mark.parametrize(("levels", "predictors"), [(["school"], []), (["school"], PREDICTORS), (LEVELS, PREDICTORS)])
def test_marginal_loglik_equals_multivariate_normal_of_each_school(students, levels, predictors):
    stats = sufficient_statistics(students, "literacy", levels, predictors)
    model = marginal_model(stats, "literacy", levels, predictors, parameterization="centered")
    assert "alpha" not in model.named_vars
    marginal_loglik = model.compile_logp(vars=model.potentials, jacobian=False, mode=EVALUATE_ONLY)
    rng = np.random.default_rng(2)
    for _ in range(3):
        point = random_point(model, rng)
        expected = mvn_loglik(students, levels, predictors, point, stats)
        assert float(marginal_loglik(point)) == pytest.approx(expected, rel=RTOL)


def test_marginal_loglik_tends_to_student_loglik_as_tau_vanishes(students, stats):
    """With tau -> 0 every school intercept equals its county's: integrating changes nothing."""
    model = marginal_model(stats, "literacy", LEVELS, PREDICTORS, parameterization="centered")
    reference = nested_model(students, "literacy", LEVELS, PREDICTORS, parameterization="centered")
    point = random_point(model, np.random.default_rng(3))
    point["tau_log__"][-1] = np.log(1e-7)
    full = dict(point)
    parents = sorted(stats["county"].unique())
    full["alpha"] = point["alpha_county"][[parents.index(c) for c in stats["county"]]]
    assert loglik(model, point, model.potentials[0]) == pytest.approx(loglik(reference, full, "y"), rel=1e-8)


def test_the_marginal_likelihood_takes_one_log_per_school_size_and_no_matrix_product_over_schools(stats):
    """Speed, as a property of the graph: on 100,000 schools a log per school and two matrix-vector
    products were nearly 60% of a gradient's time (the census took 68 s, 37 s without them).

    The log-determinant depends on a school only through its size, so the graph takes one log per
    distinct size, weighted by its count; the predictors' products join the elementwise loop over
    the schools. That these give the right number is the identity tests' job: this fixture has
    schools of equal size, so a wrong weight would fail them.
    """
    from pytensor.graph.traversal import applys_between
    from pytensor.scalar import Log
    from pytensor.tensor.elemwise import Elemwise
    from pytensor.tensor.math import Dot

    n_schools, n_sizes = len(stats), stats["n"].nunique()
    assert n_sizes < n_schools, "the fixture needs schools that share a size"
    model = marginal_model(stats, "literacy", LEVELS, PREDICTORS, parameterization="centered")
    logp = model.logp()
    nodes = list(applys_between(model.value_vars, [logp, *pytensor.grad(logp, model.value_vars)]))
    logs = [node.outputs[0].type.shape for node in nodes
            if isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Log)]
    assert (n_sizes,) in logs
    assert (n_schools,) not in logs
    products = [node for node in nodes if isinstance(node.op, Dot)
                and any(n_schools in (variable.type.shape or ()) for variable in node.inputs)]
    assert products == []


# --- a large offset: the same posterior up to the shift, or a clear error --------------------------


def _shifted(point, shift):
    """The point with every intercept-like variable (mu and the alphas, centred form) moved by ``shift``."""
    return {k: v + shift if k == "mu" or k.startswith("alpha") else v for k, v in point.items()}


@pytest.mark.parametrize("builder", [sufficient_statistics_model, marginal_model])
def test_a_large_offset_gives_the_same_log_density_up_to_the_shift(students, builder):
    shift = 1e6  # literacy ~ 500 +- 50: sums of squares ~ 1e12 per pupil, still resolving the spread to ~1e-7
    stats = sufficient_statistics(students, "literacy", LEVELS, PREDICTORS)
    offset = sufficient_statistics(
        students.assign(literacy=students["literacy"] + shift), "literacy", LEVELS, PREDICTORS
    )
    model = builder(stats, "literacy", LEVELS, PREDICTORS, parameterization="centered")
    moved = builder(offset, "literacy", LEVELS, PREDICTORS, parameterization="centered")
    logp, moved_logp = model.compile_logp(mode=EVALUATE_ONLY), moved.compile_logp(mode=EVALUATE_ONLY)
    squares = float(((students["literacy"] + shift) ** 2).sum())
    rng = np.random.default_rng(4)
    for _ in range(5):
        point = random_point(model, rng)
        sigma = float(np.exp(point["sigma_log__"]))
        # The within-school sums of squares of the offset data carry a rounding error of a few
        # eps * sum(y^2); divided by 2 sigma^2 it bounds the difference of log densities.
        tolerance = 64 * np.finfo(float).eps * squares / (2 * sigma**2)
        assert abs(float(moved_logp(_shifted(point, shift))) - float(logp(point))) < tolerance


@pytest.mark.parametrize("builder", [sufficient_statistics_model, marginal_model])
def test_an_offset_beyond_float64_is_a_clear_error_not_a_constant_outcome(builder):
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"school": np.repeat([f"s{k}" for k in range(10)], 10), "y": 1e7 + rng.normal(size=100)})
    stats = sufficient_statistics(data, "y", "school")
    with pytest.raises(ValueError, match=r"'y' varies too little relative to its size.*Subtract a constant") as info:
        builder(stats, "y", "school")
    assert "is constant" not in str(info.value)
    # Done as the message says, the model builds; a truly constant outcome is still called constant.
    builder(sufficient_statistics(data.assign(y=data["y"] - 1e7), "y", "school"), "y", "school")
    with pytest.raises(ValueError, match="'y' is constant"):
        builder(sufficient_statistics(data.assign(y=1e7), "y", "school"), "y", "school")


# --- builders: inputs and errors -------------------------------------------------------------------


def test_builders_reject_a_table_made_for_other_columns(stats):
    with pytest.raises(KeyError, match="sufficient_statistics"):
        marginal_model(stats, "literacy", LEVELS, ["grade"])
    with pytest.raises(ValueError, match="more than one row"):
        marginal_model(pd.concat([stats, stats.iloc[:1]]), "literacy", LEVELS, PREDICTORS)
    with pytest.raises(ValueError, match="whole counts"):
        sufficient_statistics_model(stats.assign(n=0), "literacy", LEVELS, PREDICTORS)
    with pytest.raises(ValueError, match="at least two groups"):
        marginal_model(stats.iloc[:1], "literacy", "school")
    with pytest.raises(ValueError, match="parameterization"):
        marginal_model(stats, "literacy", LEVELS, PREDICTORS, parameterization="sideways")


def test_builders_accept_rows_in_any_order(stats):
    shuffled = stats.sample(frac=1.0, random_state=0)
    a = marginal_model(stats, "literacy", LEVELS, PREDICTORS)
    b = marginal_model(shuffled, "literacy", LEVELS, PREDICTORS)
    point = random_point(a, np.random.default_rng(4))
    assert loglik(a, point, a.potentials[0]) == pytest.approx(loglik(b, point, b.potentials[0]), rel=1e-12)
    assert list(a.coords["school"]) == list(b.coords["school"])


# --- recovering the school intercepts after a marginal fit ----------------------------------------


def fake_fit(stats, *, tau_school, draws=400):
    """A 'posterior' with fixed hyperparameters, so the conditional of alpha is known exactly."""
    counties = sorted(stats["county"].unique())
    states = sorted(stats["state"].unique())
    shape = (2, draws)
    posterior = xr.Dataset(
        {
            "mu": (("chain", "draw"), np.full(shape, 500.0)),
            "sigma": (("chain", "draw"), np.full(shape, 40.0)),
            "tau": (("chain", "draw", "level"), np.broadcast_to([5.0, 4.0, tau_school], (*shape, 3)).copy()),
            "beta": (("chain", "draw", "predictor"), np.broadcast_to([12.0, 15.0], (*shape, 2)).copy()),
            "alpha_county": (("chain", "draw", "county"), np.full((*shape, len(counties)), 490.0)),
            "alpha_state": (("chain", "draw", "state"), np.full((*shape, len(states)), 495.0)),
        },
        coords={
            "chain": [0, 1],
            "draw": np.arange(draws),
            "level": LEVELS,
            "predictor": PREDICTORS,
            "county": counties,
            "state": states,
        },
    )
    return xr.DataTree.from_dict({"posterior": posterior})


def test_school_effects_are_the_precision_weighted_average(stats):
    adjusted = (stats["sum(literacy)"] - 12.0 * stats["sum(grade_c)"] - 15.0 * stats["sum(ses)"]) / stats["n"]
    weight = stats["n"] / (stats["n"] + 40.0**2 / 8.0**2)
    expected = weight * adjusted + (1 - weight) * 490.0
    sd = 1 / np.sqrt(stats["n"] / 40.0**2 + 1 / 8.0**2)
    fit = fake_fit(stats, tau_school=8.0)
    tree = school_effects(fit, stats, "literacy", LEVELS, PREDICTORS, seed=1)
    alpha = tree.posterior["alpha"]
    assert alpha.dims == ("chain", "draw", "school")
    mean = alpha.mean(("chain", "draw")).values
    # 800 draws: each mean is within 4 Monte Carlo standard errors (sd / sqrt(800)).
    assert np.all(np.abs(mean - expected.to_numpy()) < 4 * sd.to_numpy() / np.sqrt(800))
    assert "alpha" not in fit.posterior  # the caller's tree is not modified
    again = school_effects(fit, stats, "literacy", LEVELS, PREDICTORS, seed=1).posterior["alpha"]
    np.testing.assert_array_equal(again.values, alpha.values)


def test_school_effects_limits(stats):
    """tau -> 0 gives the county's intercept (complete pooling); tau -> inf the school's own mean."""
    pooled = school_effects(fake_fit(stats, tau_school=1e-6), stats, "literacy", LEVELS, PREDICTORS, seed=1)
    np.testing.assert_allclose(pooled.posterior["alpha"].values, 490.0, atol=1e-4)
    alone = school_effects(fake_fit(stats, tau_school=1e6), stats, "literacy", LEVELS, PREDICTORS, seed=1)
    own = (stats["sum(literacy)"] - 12.0 * stats["sum(grade_c)"] - 15.0 * stats["sum(ses)"]) / stats["n"]
    spread = 40.0 / np.sqrt(stats["n"].to_numpy())
    assert np.all(np.abs(alone.posterior["alpha"].mean(("chain", "draw")).values - own) < 4 * spread / np.sqrt(800))


def test_school_effects_need_a_marginal_fit(stats):
    fit = fake_fit(stats, tau_school=8.0)
    broken = xr.DataTree.from_dict({"posterior": fit.posterior.to_dataset().drop_vars("alpha_county")})
    with pytest.raises(KeyError, match="alpha_county"):
        school_effects(broken, stats, "literacy", LEVELS, PREDICTORS, seed=1)
    with pytest.raises(TypeError, match="DataTree"):
        school_effects({"posterior": None}, stats, "literacy", LEVELS, PREDICTORS, seed=1)


# --- the rule of thumb -----------------------------------------------------------------------------


def test_suggest_parameterization_follows_the_shrinkage_weight(stats):
    n_median = float(np.median(stats["n"]))
    sigma = 40.0
    # A school is centred when n tau^2 / sigma^2 > 1, i.e. tau > sigma / sqrt(n) for the median school.
    edge = sigma / np.sqrt(n_median)
    big = suggest_parameterization(
        stats, "literacy", LEVELS, sigma=sigma, tau={"state": 5, "county": 4, "school": 2 * edge}
    )
    small = suggest_parameterization(
        stats, "literacy", LEVELS, sigma=sigma, tau={"state": 5, "county": 4, "school": edge / 2}
    )
    assert big["school"] == "centered" and small["school"] == "noncentered"
    # A level above learns from all its members: huge sds there make every level centred ...
    loose = suggest_parameterization(stats, "literacy", LEVELS, sigma=1.0, tau=dict.fromkeys(LEVELS, 100.0))
    assert loose == dict.fromkeys(LEVELS, "centered")
    # ... and tiny ones make it non-centred.
    tight = suggest_parameterization(stats, "literacy", LEVELS, sigma=1000.0, tau=dict.fromkeys(LEVELS, 0.01))
    assert tight == dict.fromkeys(LEVELS, "noncentered")
    with pytest.raises(KeyError, match="county"):
        suggest_parameterization(stats, "literacy", LEVELS, sigma=40.0, tau={"state": 5, "school": 8})
    with pytest.raises(ValueError, match="positive"):
        suggest_parameterization(stats, "literacy", LEVELS, sigma=-1.0, tau=dict.fromkeys(LEVELS, 1.0))


def test_every_benchmark_of_the_book_is_committed_and_the_census_is_census_scale():
    from hlmkit.scaling import BENCHMARKS

    for name in BENCHMARKS:
        table = load_benchmarks(name)
        assert len(table) and {"machine", "date", "load_1min"} <= set(table.columns), name
    census = load_benchmarks("census")
    assert {"pupils", "schools", "disk_mb", "statistics_s", "fit_s", "process_s", "peak_rss_mb"} <= set(census.columns)
    assert (census["pupils"] >= 5 * 10**7).all(), "a national K-12 population is about 5 x 10^7 pupils"
    assert (census["process_s"] > census["statistics_s"] + census["fit_s"]).all()
    # Chapter 13 quotes the latest batch as one machine's measurement of one version of the code.
    assert (census.groupby("batch")["machine"].nunique() == 1).all()
    assert census["batch"].is_monotonic_increasing
