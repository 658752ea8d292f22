"""plot_model_graph: one node per variable, an arrow per dependency, a plate per dim, parents above children.

conftest.py selects the Agg backend; every figure a test opens is closed after it.
"""

import matplotlib.pyplot as plt
import numpy as np
import pymc as pm
import pytest
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch

from hlmkit import plot_model_graph


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _partial_pooling() -> pm.Model:
    """Chapter 4's model by hand, small: 3 schools, 7 pupils, 2 predictors."""
    rng = np.random.default_rng(0)
    school_idx = np.array([0, 0, 1, 1, 1, 2, 2])
    X = rng.normal(size=(7, 2))
    with pm.Model(coords={"school": ["a", "b", "c"], "predictor": ["grade_c", "ses"]}) as model:
        mu = pm.Normal("mu", 0, 1)
        tau = pm.HalfNormal("tau", 1)
        alpha = pm.Normal("alpha", mu=mu, sigma=tau, dims="school")
        beta = pm.Normal("beta", 0, 1, dims="predictor")
        sigma = pm.HalfNormal("sigma", 1)
        pm.Normal("y", mu=alpha[school_idx] + X @ beta, sigma=sigma, observed=rng.normal(size=7))
    return model


def _node_texts(ax) -> dict[str, tuple[float, float]]:
    """{variable name: centre} from the node labels 'name\\n~ Distribution'."""
    return {t.get_text().split("\n")[0]: t.get_position() for t in ax.texts if "\n~ " in t.get_text()}


def _plates(ax) -> dict[str, tuple[float, float, float, float]]:
    """{plate label: (x0, y0, x1, y1)}: the boxes without a face, matched to their labels."""
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch) and p.get_facecolor()[3] == 0]
    labels = [t for t in ax.texts if "\n~ " not in t.get_text()]
    assert len(boxes) == len(labels)
    found = {}
    for box in boxes:
        x0, y0, x1, y1 = box.get_x(), box.get_y(), box.get_x() + box.get_width(), box.get_y() + box.get_height()
        label = next(t.get_text() for t in labels
                     if x0 <= t.get_position()[0] <= x1 and y0 <= t.get_position()[1] <= y1)
        found[label] = (x0, y0, x1, y1)
    return found


def test_every_variable_is_a_node_with_its_distribution():
    ax = plot_model_graph(_partial_pooling())
    texts = sorted(t.get_text() for t in ax.texts if "\n~ " in t.get_text())
    assert texts == ["alpha\n~ Normal", "beta\n~ Normal", "mu\n~ Normal", "sigma\n~ HalfNormal",
                     "tau\n~ HalfNormal", "y\n~ Normal"]
    ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 6
    grey = [e for e in ellipses if e.get_facecolor()[:3] != (1.0, 1.0, 1.0)]
    assert len(grey) == 1 and np.allclose(grey[0].center, _node_texts(ax)["y"]), "only the observed node is grey"


def test_an_arrow_runs_from_each_parent_down_to_its_child():
    ax = plot_model_graph(_partial_pooling())
    centres = _node_texts(ax)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 5  # mu, tau -> alpha; alpha, beta, sigma -> y
    for arrow in arrows:
        (x0, y0), (x1, y1) = arrow._posA_posB
        parent = min(centres, key=lambda n: np.hypot(*np.subtract(centres[n], (x0, y0))))
        child = min(centres, key=lambda n: np.hypot(*np.subtract(centres[n], (x1, y1))))
        assert (parent, child) in {("mu", "alpha"), ("tau", "alpha"), ("alpha", "y"), ("beta", "y"), ("sigma", "y")}
        assert centres[parent][1] > centres[child][1], f"{parent} should sit above {child}"


def test_each_dim_is_a_plate_around_its_variables_only():
    ax = plot_model_graph(_partial_pooling())
    plates = _plates(ax)
    assert set(plates) == {"school (3)", "predictor (2)", "7"}  # y has no dims: PyMC labels it by its length
    centres = _node_texts(ax)
    inside = {label: {n for n, (x, y) in centres.items() if x0 < x < x1 and y0 < y < y1}
              for label, (x0, y0, x1, y1) in plates.items()}
    assert inside == {"school (3)": {"alpha"}, "predictor (2)": {"beta"}, "7": {"y"}}
    boxes = list(plates.values())
    for k, (a0, b0, a1, b1) in enumerate(boxes):
        for c0, d0, c1, d1 in boxes[k + 1:]:
            assert a1 <= c0 or c1 <= a0 or b1 <= d0 or d1 <= b0, "two plates overlap"


def test_deterministics_and_data_are_boxes_and_a_given_axes_is_used():
    with pm.Model(coords={"school": ["a", "b"]}) as model:
        x = pm.Data("x", np.array([0.5, -0.5]), dims="school")
        mu = pm.Normal("mu", 0, 1)
        theta = pm.Deterministic("theta", mu + x, dims="school")
        pm.Normal("y", theta, 1, observed=[0.0, 1.0], dims="school")
    _, given = plt.subplots()
    ax = plot_model_graph(model, ax=given)
    assert ax is given
    texts = {t.get_text().split("\n")[0]: t.get_text() for t in ax.texts if "\n~ " in t.get_text()}
    assert texts["theta"] == "theta\n~ Deterministic" and texts["x"] == "x\n~ Data"
    filled_boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch) and p.get_facecolor()[3] > 0]
    assert len(filled_boxes) == 2
    assert len([p for p in ax.patches if isinstance(p, Ellipse)]) == 2
    assert set(_plates(ax)) == {"school (2)"}


def test_a_figure_is_sized_to_the_graph():
    wide = plot_model_graph(_partial_pooling()).figure.get_size_inches()
    with pm.Model() as one:
        pm.Normal("mu", 0, 1)
    small = plot_model_graph(one).figure.get_size_inches()
    assert (small < wide).all()


def test_bad_input_says_what_to_pass():
    with pytest.raises(TypeError, match=r"`model` must be a pymc.Model .* got DataFrame"):
        import pandas as pd

        plot_model_graph(pd.DataFrame({"y": [1.0]}))
    with pytest.raises(ValueError, match="has no variables"):
        plot_model_graph(pm.Model())


def test_plates_are_ordered_so_that_arrows_neither_cross_nor_pass_through_another_plate():
    # Found in ch6: plates side by side in the order the model declares them sent arrows across
    # each other and through plates of neither end. Declared here: y (under q) before w (under p).
    with pm.Model(coords={"a": [0, 1], "b": [0, 1, 2], "c": [0, 1, 2, 3]}) as model:
        p = pm.Normal("p", 0, 1, dims="a")
        q = pm.Normal("q", 0, 1, dims="b")
        pm.Normal("y", q.sum(), 1, observed=np.zeros(5))
        pm.Normal("w", p.sum(), 1, dims="c")
    ax = plot_model_graph(model)
    centres = _node_texts(ax)
    assert (centres["p"][0] < centres["q"][0]) == (centres["w"][0] < centres["y"][0]), "p -> w crosses q -> y"
    plates = _plates(ax)
    for arrow in (p for p in ax.patches if isinstance(p, FancyArrowPatch)):
        (x0, y0), (x1, y1) = arrow._posA_posB
        for label, (a0, b0, a1, b1) in plates.items():
            ends_inside = any(a0 < x < a1 and b0 < y < b1 for x, y in [(x0, y0), (x1, y1)])
            through = any(a0 < x0 + s * (x1 - x0) < a1 and b0 < y0 + s * (y1 - y0) < b1 for s in np.linspace(0, 1, 50))
            assert ends_inside or not through, f"an arrow runs through the plate {label!r}"
