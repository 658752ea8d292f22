"""Answers cross from the student's kernel to the grader's checks as data, and nothing else crosses.

:mod:`coursework.exporter` writes an exercise's answer values to files in the student's kernel;
:mod:`coursework.trusted` reads them back in the grader's process, where the checks run. These
tests run both ends in this process: every kind of answer a chapter asks for round-trips, and
hostile files (links, pickles, odd names, too many bytes) become an unreadable answer whose check
fails, never code that runs.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pymc as pm
import pytest

from coursework import trusted
from coursework.exporter import export_answers, export_cell
from coursework.trusted import Unreadable, read_answers
from hlmkit import CheckFailed, check_model


def _model(prior_sd: float = 10.0, y=(1.0, 2.0, 4.0)):
    with pm.Model(coords={"school": ["a", "b"]}) as model:
        mu = pm.Normal("mu", 0.0, prior_sd, dims="school")
        sigma = pm.HalfNormal("sigma", 5.0)
        pm.Normal("y", mu[np.array([0, 1, 1])], sigma, observed=np.array(y))
    return model


def _round_trip(tmp_path, **values):
    export_answers(values, list(values), str(tmp_path))
    return read_answers(tmp_path, list(values))


def test_every_kind_of_answer_round_trips(tmp_path):
    table = pd.DataFrame({"school": ["a", "b"], "mean": [1.5, np.nan]}).set_index("school")
    series = pd.Series([0.2, 0.8], index=pd.Index(["a", "b"], name="school"), name="weight")
    values = {
        "share": 0.25, "count": 3, "flag": True, "word": "tau", "nothing": None,
        "ids": [1, "b", 2.5], "pair": (1, 2), "named": {"a": np.arange(3)},
        "array": np.linspace(0, 1, 5), "scalar": np.float64(2.5), "table": table, "weights": series,
    }
    back = _round_trip(tmp_path, **values)
    assert back["share"] == 0.25 and back["count"] == 3 and back["flag"] is True and back["nothing"] is None
    assert back["ids"] == [1, "b", 2.5] and back["pair"] == (1, 2) and back["word"] == "tau"
    np.testing.assert_array_equal(back["named"]["a"], np.arange(3))
    np.testing.assert_array_equal(back["array"], values["array"])
    assert isinstance(back["scalar"], np.float64) and back["scalar"] == 2.5
    pd.testing.assert_frame_equal(back["table"], table)
    pd.testing.assert_series_equal(back["weights"], series)


def test_a_fit_round_trips_by_group_with_its_coords(tmp_path):
    import arviz as az

    fit = az.from_dict({"posterior": {"mu": np.arange(24.0).reshape(2, 4, 3)}}, dims={"mu": ["school"]},
                       coords={"school": ["a", "b", "c"]})
    back = _round_trip(tmp_path, fit=fit)["fit"]
    np.testing.assert_array_equal(back["posterior"]["mu"].values, fit["posterior"]["mu"].values)
    assert list(back["posterior"]["school"].values) == ["a", "b", "c"]
    assert back["posterior"]["mu"].dims == ("chain", "draw", "school")


def test_a_model_crosses_as_its_summary_and_is_checked_as_the_model_itself(tmp_path, capsys):
    model = _round_trip(tmp_path, mine=_model())["mine"]
    assert isinstance(model, pm.Model) and type(model).__name__ == "Model"
    assert [v.name for v in model.free_RVs] == ["mu", "sigma"] and [v.name for v in model.observed_RVs] == ["y"]
    assert tuple(model["mu"].shape.eval()) == (2,) and model["mu"].eval().shape == (2,)
    assert list(model.coords["school"]) == ["a", "b"] and "sigma" in model and not hasattr(model, "parameterization")
    check_model(model, _model())
    assert capsys.readouterr().out.startswith("✓ the same model as the reference: 2 free variables")
    wider = _round_trip(tmp_path / "w", wider=_model(prior_sd=100.0))["wider"]
    with pytest.raises(CheckFailed, match=r"The prior of `mu` differs from the reference's"):
        check_model(wider, _model())
    other_data = _round_trip(tmp_path / "d", other=_model(y=(1.0, 2.0, 5.0)))["other"]
    with pytest.raises(CheckFailed, match=r"data observed in `y` differ"):
        check_model(other_data, _model())


def test_a_builders_model_is_still_told_apart(tmp_path):
    from hlmkit import partial_pooling_model, simulate_literacy

    students = simulate_literacy(3, n_states=1, counties_per_state=2, schools_per_county=2).students
    built = partial_pooling_model(students, "literacy", "school")
    back = _round_trip(tmp_path, built=built)["built"]
    assert back.parameterization == built.parameterization


def test_missing_and_unsupported_answers(tmp_path):
    back = _round_trip(tmp_path, here=1.0, function=lambda x: x)
    export_answers({"here": 1.0}, ["here", "absent"], str(tmp_path / "b"))
    assert "absent" not in read_answers(tmp_path / "b", ["here", "absent"])
    unusable = back["function"]
    assert isinstance(unusable, Unreadable)
    with pytest.raises(CheckFailed, match=r"`function` is a builtins.function, which the grader cannot read"):
        float(unusable)
    with pytest.raises(CheckFailed):
        unusable.mean()


def test_the_export_cell_leaves_no_name_behind(tmp_path):
    namespace = {"answer": 4}
    exec(export_cell(["answer"], str(tmp_path)), namespace)  # noqa: S102 - the cell, as the kernel runs it
    assert set(namespace) == {"answer", "__builtins__"}
    assert read_answers(tmp_path, ["answer"]) == {"answer": 4}


def _manifest(folder, entries):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(entries))


@pytest.mark.parametrize(
    "attack",
    ["pickle", "link", "traversal", "too big", "bad json", "no manifest", "not finite point", "bad kind"],
)
def test_hostile_answer_files_are_unreadable_never_run(tmp_path, monkeypatch, attack):
    folder = tmp_path / "answers"
    if attack == "pickle":  # an object array is a pickle: np.load(allow_pickle=False) refuses it
        folder.mkdir()
        np.save(folder / "v1.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
        _manifest(folder, {"x": {"kind": "npy", "file": "v1.npy"}})
    elif attack == "link":
        secret = tmp_path / "hidden_checks.npy"
        np.save(secret, np.arange(3))
        folder.mkdir()
        os.symlink(secret, folder / "v1.npy")
        _manifest(folder, {"x": {"kind": "npy", "file": "v1.npy"}})
    elif attack == "traversal":
        np.save(tmp_path / "v1.npy", np.arange(3))
        _manifest(folder, {"x": {"kind": "npy", "file": "../v1.npy"}})
    elif attack == "too big":
        export_answers({"x": np.zeros(1000)}, ["x"], str(folder))
        monkeypatch.setattr(trusted, "MAX_EXPORT_BYTES", 100)
    elif attack == "bad json":
        folder.mkdir()
        (folder / "manifest.json").write_text("{not json")
    elif attack == "not finite point":
        export_answers({"x": _model()}, ["x"], str(folder))
        manifest = json.loads((folder / "manifest.json").read_text())
        first = manifest["x"]["summary"]["items"]["points"]["items"][0]["items"]["mu"]["file"]
        np.save(folder / first, np.array([np.nan, 0.0]))
    elif attack == "bad kind":
        _manifest(folder, {"x": {"kind": "code", "value": "import os; os.remove('x')"}})
    (value,) = read_answers(folder, ["x"]).values()
    assert isinstance(value, Unreadable), value
    with pytest.raises(CheckFailed, match="`x` is"):
        _ = value.shape


def test_an_object_of_another_kind_crosses_as_the_attributes_the_checks_read(tmp_path):
    class Fit:  # e.g. a statsmodels MixedLM result
        converged = True
        params = pd.Series([1.0, 2.0], index=["a", "b"])

        def summary(self):
            return "not data"

    export_answers({"fit": Fit()}, ["fit"], str(tmp_path), {"fit": ["converged", "params", "missing"]})
    fit = read_answers(tmp_path, ["fit"])["fit"]
    assert fit.converged is True
    pd.testing.assert_series_equal(fit.params, Fit.params)
    with pytest.raises(CheckFailed, match=r"no `missing` of your .*Fit"):
        _ = fit.missing


def test_potentials_and_the_shapes_of_deterministics_cross_with_a_model(tmp_path):
    with pm.Model() as model:
        z = pm.Normal("z", 0.0, 1.0, shape=3)
        pm.Deterministic("alpha", 2.0 * z)
        pm.Potential("loglik", -(z**2).sum())
    back = _round_trip(tmp_path, model=model)["model"]
    assert [p.name for p in back.potentials] == ["loglik"] and not back.observed_RVs
    assert tuple(back["alpha"].shape.eval()) == (3,) and [d.name for d in back.deterministics] == ["alpha"]
    assert "normal" in str(back["z"].owner.op).lower()


# rfc3987_syntax builds a grammar when jsonschema imports it (1.5-4 s), and nbformat imports
# jsonschema: every process and kernel of the grader that reads or glues a notebook goes without it.
_NO_GRAMMAR = "import sys, nbformat\nassert 'rfc3987_syntax.syntax_helpers' not in sys.modules, 'grammar built'"


def test_a_students_kernel_imports_nbformat_without_the_iri_grammar():
    import nbformat

    from coursework.execution import execute

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_NO_GRAMMAR)])
    assert execute(notebook, timeout=60) == {0: ("ok", "")}


def test_the_checking_process_imports_nbformat_without_the_iri_grammar():
    import subprocess
    import sys

    from tests.coursework import ROOT

    run = subprocess.run([sys.executable, "-m", "coursework.trusted"], input=json.dumps({"code": _NO_GRAMMAR}) + "\n",
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert json.loads(run.stdout) == {"status": "ok", "detail": ""}
