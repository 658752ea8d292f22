"""hlmkit.check_model: a learner's PyMC model against a reference, with feedback naming the difference."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

from hlmkit import CheckFailed, check_model, partial_pooling_model, simulate_literacy


@pytest.fixture(scope="module")
def students():
    return simulate_literacy(3, n_states=1, counties_per_state=3, schools_per_county=4, median_school_size=15).students


def by_hand(students, *, tau_scale=None, mu_name="mu", tau_dist=pm.HalfNormal, centred=True, county=False,
            observed=None, group_dims="school"):
    """The varying-intercept model as a learner would write it on the page."""
    y = students["literacy"].to_numpy()
    codes, schools = students["school"].factorize(sort=True)
    y_bar, s_y = y.mean(), y.std()
    with pm.Model(coords={"school": schools, "obs": np.arange(len(y))}) as model:
        mu = pm.Normal(mu_name, mu=y_bar, sigma=2.5 * s_y)
        tau = tau_dist("tau", sigma=s_y if tau_scale is None else tau_scale)
        if centred:
            alpha = pm.Normal("alpha", mu=mu, sigma=tau, dims=group_dims)
        else:
            z = pm.Normal("z", 0.0, 1.0, dims=group_dims)
            alpha = pm.Deterministic("alpha", mu + tau * z, dims=group_dims)
        if county:
            pm.HalfNormal("tau_county", sigma=s_y)
        sigma = pm.HalfNormal("sigma", sigma=s_y)
        pm.Normal("y", mu=alpha[codes], sigma=sigma, observed=y if observed is None else observed, dims="obs")
    return model


@pytest.fixture(scope="module")
def reference(students):
    return partial_pooling_model(students, "literacy", "school", parameterization="centered")


def test_the_model_on_the_page_is_the_builders_model(students, reference, capsys):
    check_model(by_hand(students), reference)
    assert capsys.readouterr().out.startswith("✓ the same model as the reference: 4 free variables, 1 observed")


def test_the_non_centred_form_on_the_page_is_the_builders_non_centred_model(students):
    check_model(by_hand(students, centred=False),
                partial_pooling_model(students, "literacy", "school", parameterization="noncentered"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tau_scale": 1.0}, r"The prior of the school spread \(`tau`\) differs"),
        ({"mu_name": "mean"}, r"no free variable `mu`\. It has `mean` instead"),
        ({"county": True}, r"has a free variable `tau_county` that the reference does not have"),
        ({"centred": False}, r"no free variable `alpha`\. It has `z` instead"),
        ({"tau_dist": lambda name, sigma: pm.Normal(name, 0.0, sigma)}, r"`tau`\) lives on another scale"),
    ],
    ids=["prior", "renamed", "extra", "other form", "transform"],
)
def test_feedback_names_the_first_difference(students, reference, change, message):
    with pytest.raises(CheckFailed, match=message):
        check_model(by_hand(students, **change), reference, describe={"tau": "the school spread"})


def test_other_observed_data_are_named(students, reference):
    shifted = students["literacy"].to_numpy() + 1.0
    with pytest.raises(CheckFailed, match=r"data observed in `y` differ"):
        check_model(by_hand(students, observed=shifted), reference)


def test_a_wrong_shape_is_named(students, reference):
    y = students["literacy"].to_numpy()
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=y.mean(), sigma=2.5 * y.std())
        tau = pm.HalfNormal("tau", sigma=y.std())
        alpha = pm.Normal("alpha", mu=mu, sigma=tau, shape=3)
        sigma = pm.HalfNormal("sigma", sigma=y.std())
        pm.Normal("y", mu=alpha[0], sigma=sigma, observed=y)
    n_schools = students["school"].nunique()
    assert n_schools != 3
    expected = rf"`alpha` has shape \(3,\) in your model but \({n_schools},\) in the reference"
    with pytest.raises(CheckFailed, match=expected):
        check_model(model, reference)


def test_a_wrong_likelihood_is_named(students, reference):
    y = students["literacy"].to_numpy()
    codes, schools = students["school"].factorize(sort=True)
    with pm.Model(coords={"school": schools}) as model:
        mu = pm.Normal("mu", mu=y.mean(), sigma=2.5 * y.std())
        tau = pm.HalfNormal("tau", sigma=y.std())
        alpha = pm.Normal("alpha", mu=mu, sigma=tau, dims="school")
        sigma = pm.HalfNormal("sigma", sigma=y.std())
        pm.StudentT("y", nu=4, mu=alpha[codes], sigma=sigma, observed=y)
    with pytest.raises(CheckFailed, match=r"The likelihood of `y` differs"):
        check_model(model, reference)


def test_an_extra_potential_is_caught_by_the_total(students, reference):
    model = by_hand(students)
    with model:
        pm.Potential("nudge", -model["tau"])
    with pytest.raises(CheckFailed, match=r"Potential"):
        check_model(model, reference)


@pytest.mark.parametrize(("answer", "message"), [(..., r"still `\.\.\.`"), ({"mu": 1}, r"should be a PyMC model")])
def test_an_unanswered_or_wrong_typed_answer_fails_with_a_message(reference, answer, message):
    with pytest.raises(CheckFailed, match=message):
        check_model(answer, reference)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"reference": "model"}, TypeError, r"`reference` must be a pymc.Model"),
        ({"describe": {"tau": 1}}, TypeError, r"`describe` must be a dict"),
        ({"points": 0}, ValueError, r"`points` must be a positive integer"),
        ({"rtol": -1.0}, ValueError, r"`rtol` must be a positive number"),
    ],
)
def test_bad_arguments_are_refused(students, reference, kwargs, error, message):
    arguments = {"reference": reference, **kwargs}
    with pytest.raises(error, match=message):
        check_model(by_hand(students), **arguments)
