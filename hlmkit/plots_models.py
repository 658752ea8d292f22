"""A model's graph in plate notation, drawn with matplotlib.

``pm.model_to_graphviz(model)`` draws the same graph where Graphviz is installed, but Graphviz's
``dot`` program is a system package that pip cannot install. :func:`plot_model_graph` reads the
graph from PyMC the same way and needs only matplotlib, so it draws on every machine the book runs on.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import pymc as pm
from matplotlib.axes import Axes
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch
from pymc.model_graph import ModelGraph, NodeType, random_variable_symbol

# Sizes in inches (the axes' units): a column and a row of the layout's grid, a node, and the gap
# between a node and its plate's box, whose label sits in a strip under its lowest row.
_COLUMN, _ROW = 1.7, 1.3
_NODE_WIDTH, _NODE_HEIGHT = 1.42, 0.62
_MARGIN, _LABEL = 0.1, 0.2


def _plate_label(plate) -> str:
    """Label a plate by its dims and their lengths: "school (160)", "2 × 2"; one dim a line if long.

    A dim without a name shows its length alone ("6540"), as ``pm.model_to_graphviz`` does.
    """
    dims = [f"{name} ({length})" if name else f"{length}"
            for name, length in zip(plate.dim_info.names, plate.dim_info.lengths, strict=True)]
    return " × ".join(dims) if len(" × ".join(dims)) <= 16 else " ×\n".join(dims)


def _symbol(variable) -> str:
    """Name a random variable's distribution as PyMC's class does: "HalfNormal", "LKJCorr"."""
    name = type(variable.owner.op).__name__.lstrip("_").removesuffix("RV")
    return name if name and name[0].isupper() else random_variable_symbol(variable)


def _plates_in_order(rows: dict[str, int], plate_of: dict[str, str], order: list[str]) -> list[list[str]]:
    """Each plate's members, plates in the order the model declares them, highest first."""
    bands: dict[str, list[str]] = {}
    for name in order:
        if plate_of[name]:
            bands.setdefault(plate_of[name], []).append(name)
    return sorted(bands.values(), key=lambda m: (min(rows[n] for n in m), order.index(m[0])))


def _layout(rows: dict[str, int], plate_of: dict[str, str], order: list[str], neighbours: dict[str, set[str]],
            plates: list[list[str]]) -> tuple[dict[str, tuple[float, int]], dict[str, tuple[float, float]]]:
    """Place each node in a column: a plate's nodes share a band of columns that no other plate uses in its rows.

    Plates take their bands in the order of ``plates`` (each plate's members), each in the
    leftmost columns free in its rows. A band is as wide as the plate's widest row, and wide
    enough for the plate's label. A variable outside every plate needs no box: it takes the free
    column of its row nearest its neighbours. Returns each node's (column, row) and each plate's
    band (first column, last column).
    """
    char = 0.6 * plt.rcParams["font.size"] / 72  # a character's width in inches, roughly
    placed: list[tuple[int, int, float, float]] = []  # (first row, last row, first column, end column)
    position: dict[str, tuple[float, int]] = {}
    band: dict[str, tuple[float, float]] = {}
    for members in plates:
        first, last = min(rows[n] for n in members), max(rows[n] for n in members)
        width = max(sum(rows[n] == row for n in members) for row in range(first, last + 1))
        label = max(plate_of[members[0]].split("\n"), key=len)
        width = max(width, 1 + math.ceil((len(label) * char + 0.15 - _NODE_WIDTH - 2 * _MARGIN) / _COLUMN))
        start = 0.0  # the leftmost columns free in these rows
        while any(first <= b_last and b_first <= last and start < b_end and b_start < start + width
                  for b_first, b_last, b_start, b_end in placed):
            start += 1
        placed.append((first, last, start, start + width))
        band[plate_of[members[0]]] = (start, start + width - 1)
        for row in range(first, last + 1):
            in_row = [n for n in members if rows[n] == row]
            offset = start + (width - len(in_row)) / 2  # centred in the band
            position.update({name: (offset + k, row) for k, name in enumerate(in_row)})
    for name in sorted((n for n in order if not plate_of[n]), key=rows.__getitem__):
        near = [position[n][0] for n in neighbours[name] if n in position]
        target = sum(near) / len(near) if near else 0.0
        row = rows[name]

        def free(column: float, row: int = row) -> bool:
            taken = any(b_first <= row <= b_last and b_start - 1 < column < b_end
                        for b_first, b_last, b_start, b_end in placed)
            return not taken and all(abs(x - column) >= 1 for x, r in position.values() if r == row)

        column = min((c for c in range(math.floor(target) - 20, math.ceil(target) + 21) if free(c)),
                     key=lambda c: (abs(c - target), -c))  # the nearest free column; to the right on a tie
        position[name] = (float(column), row)
    shift = -min(x for x, _ in position.values())
    position = {name: (x + shift, row) for name, (x, row) in position.items()}
    band = {label: (first + shift, last + shift) for label, (first, last) in band.items()}
    return position, band


def _plate_box(label: str, members: list[tuple[float, float]], band: tuple[float, float]) -> tuple[float, ...]:
    """Return a plate's box (x0, y0, width, height) in inches: around its members' centres, label strip below."""
    ys = [y for _, y in members]
    strip = _LABEL * (label.count("\n") + 1)
    x0 = band[0] * _COLUMN - _NODE_WIDTH / 2 - _MARGIN
    y0 = min(ys) - _NODE_HEIGHT / 2 - _MARGIN - strip
    width = (band[1] - band[0]) * _COLUMN + _NODE_WIDTH + 2 * _MARGIN
    height = max(ys) - min(ys) + _NODE_HEIGHT + 2 * _MARGIN + strip
    return x0, y0, width, height


def _passes_through(start: tuple[float, float], end: tuple[float, float], box: tuple[float, ...]) -> bool:
    """Whether the segment from ``start`` to ``end`` runs through the box (x0, y0, width, height) (Liang-Barsky)."""
    (x, y), (x_end, y_end) = start, end
    dx, dy = x_end - x, y_end - y
    low, high = 0.0, 1.0
    for p, q in ((-dx, x - box[0]), (dx, box[0] + box[2] - x), (-dy, y - box[1]), (dy, box[1] + box[3] - y)):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            low = max(low, r)
        else:
            high = min(high, r)
        if low > high:
            return False
    return True


def _untidiness(position: dict[str, tuple[float, int]], band: dict[str, tuple[float, float]],
                plate_of: dict[str, str], parents: dict[str, set[str]]) -> tuple[int, int, int, float]:
    """How hard a layout is to read, worst first: arrows behind a node, through a plate of neither end, crossing.

    Then the arrows' total width. An arrow into or out of a plate crosses its box, as plate
    notation means; one that passes through a third plate suggests a dependence on that plate's
    dim that is not there, and one behind a node seems to end there.
    """
    def centre(name: str) -> tuple[float, float]:
        return position[name][0] * _COLUMN, -position[name][1] * _ROW

    boxes = {label: _plate_box(label, [centre(n) for n in plate_of if plate_of[n] == label], band[label])
             for label in band}
    edges = [(centre(parent), centre(child), {plate_of[parent], plate_of[child]}, {parent, child})
             for child in parents for parent in parents[child]]
    through = sum(_passes_through(start, end, box) for start, end, ends, _ in edges
                  for label, box in boxes.items() if label not in ends)
    nodes = {name: (x - _NODE_WIDTH / 2, y - _NODE_HEIGHT / 2, _NODE_WIDTH, _NODE_HEIGHT)
             for name, (x, y) in ((n, centre(n)) for n in position)}
    hidden = sum(_passes_through(start, end, box) for start, end, _, names in edges
                 for name, box in nodes.items() if name not in names)
    segments = [(start, end) for start, end, _, _ in edges]
    crossing = sum(_cross(*first, *second) for k, first in enumerate(segments) for second in segments[k + 1:]
                   if not set(first) & set(second))  # arrows that share a node meet there, not cross
    length = sum(abs(start[0] - end[0]) for start, end, _, _ in edges)
    return hidden, through, crossing, length


def _cross(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float], s: tuple[float, float]) -> bool:
    """Whether segments pq and rs cross at a point inside both."""
    def turn(a, b, c) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    return turn(p, q, r) * turn(p, q, s) < 0 and turn(r, s, p) * turn(r, s, q) < 0


def _tidiest_layout(rows: dict[str, int], plate_of: dict[str, str], order: list[str],
                    neighbours: dict[str, set[str]], parents: dict[str, set[str]]):
    """Lay out the graph with the plate order whose arrows are easiest to follow (:func:`_untidiness`).

    Starts from the model's own order and swaps two plates while a swap helps (a local search:
    a model has a handful of plates, so this is quick).
    """
    plates = _plates_in_order(rows, plate_of, order)
    best = _layout(rows, plate_of, order, neighbours, plates)
    best_score = _untidiness(*best, plate_of, parents)
    improved = True
    while improved:
        improved = False
        for i in range(len(plates)):
            for j in range(i + 1, len(plates)):
                trial = plates[:]
                trial[i], trial[j] = trial[j], trial[i]
                layout = _layout(rows, plate_of, order, neighbours, trial)
                score = _untidiness(*layout, plate_of, parents)
                if score < best_score:
                    plates, best, best_score, improved = trial, layout, score, True
    return best


def plot_model_graph(model: pm.Model, *, ax: Axes | None = None) -> Axes:
    """Draw a PyMC model as a graph in plate notation.

    One node per variable, with its distribution; an arrow from each variable to the variables
    whose distribution it sets; a box (a *plate*) around the variables that repeat over a dim,
    labelled with the dim and its length, e.g. "school (160)". Free variables are open ellipses,
    observed ones grey ellipses, deterministic ones boxes and data grey rounded boxes, as
    ``pm.model_to_graphviz`` draws them. Every arrow points down: a variable sits one row below
    its lowest parent, and a parent just above its highest child.

    Parameters
    ----------
    model : pymc.Model
        The model to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Without one, a figure is made whose size fits the graph.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`pymc.Model`.
    ValueError
        If the model has no variables.

    Examples
    --------
    >>> import pymc as pm
    >>> from hlmkit import plot_model_graph
    >>> with pm.Model(coords={"school": ["a", "b", "c"]}) as model:
    ...     mu = pm.Normal("mu", 0, 1)
    ...     alpha = pm.Normal("alpha", mu, 1, dims="school")
    ...     _ = pm.Normal("y", alpha, 1, observed=[0.1, -0.3, 0.5], dims="school")
    >>> ax = plot_model_graph(model)
    >>> sorted(" ".join(t.get_text().split()) for t in ax.texts)
    ['alpha ~ Normal', 'mu ~ Normal', 'school (3)', 'y ~ Normal']
    """
    if not isinstance(model, pm.Model):
        raise TypeError(
            f"`model` must be a pymc.Model (the `with pm.Model() as model:` block), got {type(model).__name__}."
        )
    graph = ModelGraph(model)
    plates = graph.get_plates()
    kind = {node.var.name: node.node_type for plate in plates for node in plate.variables}
    if not kind:
        raise ValueError("`model` has no variables to draw: add a distribution inside its `with pm.Model()` block.")
    plate_of = {node.var.name: _plate_label(plate) if plate.dim_info else ""
                for plate in plates for node in plate.variables}
    order = [name for name in graph.vars_to_plot() if name in kind]  # the order the model declares them
    parents: dict[str, set[str]] = {name: set() for name in order}
    for child, parent in graph.edges():
        parents[child].add(parent)

    # Rows: each variable one row below its lowest parent; then each parent moves down to sit just
    # above its highest child (a prior used only by the likelihood sits next to it, not at the top).
    rows: dict[str, int] = {}

    def row_of(name: str) -> int:
        if name not in rows:
            rows[name] = 1 + max((row_of(p) for p in parents[name]), default=-1)
        return rows[name]

    for name in order:
        row_of(name)
    for name in sorted(order, key=rows.__getitem__, reverse=True):
        children = [c for c in order if name in parents[c]]
        if children:
            rows[name] = min(rows[c] for c in children) - 1
    neighbours = {name: parents[name] | {c for c in order if name in parents[c]} for name in order}
    position, band = _tidiest_layout(rows, plate_of, order, neighbours, parents)
    n_columns = max([x for x, _ in position.values()] + [last for _, last in band.values()]) + 1
    n_rows = max(rows.values()) + 1
    left, right = -_NODE_WIDTH / 2 - 0.1, (n_columns - 1) * _COLUMN + _NODE_WIDTH / 2 + 0.1
    lines = max((plate_of[n].count("\n") + 1 for n in order if rows[n] == n_rows - 1 and plate_of[n]), default=0)
    bottom = -(n_rows - 1) * _ROW - _NODE_HEIGHT / 2 - (_MARGIN + lines * _LABEL if lines else 0) - 0.05
    top = _NODE_HEIGHT / 2 + 0.1
    if ax is None:
        _, ax = plt.subplots(figsize=(right - left, top - bottom), layout="constrained")

    def centre(name: str) -> tuple[float, float]:
        column, row = position[name]
        return column * _COLUMN, -row * _ROW

    def rim(name: str, toward: str) -> tuple[float, float]:
        """Where the line from a node's centre toward another node leaves the node's outline."""
        (x, y), (x_to, y_to) = centre(name), centre(toward)
        length = ((x_to - x) ** 2 + (y_to - y) ** 2) ** 0.5
        dx, dy = (x_to - x) / length, (y_to - y) / length
        a, b = _NODE_WIDTH / 2, _NODE_HEIGHT / 2
        if kind[name] in (NodeType.FREE_RV, NodeType.OBSERVED_RV):
            reach = 1 / ((dx / a) ** 2 + (dy / b) ** 2) ** 0.5
        else:
            reach = min(a / abs(dx) if dx else float("inf"), b / abs(dy) if dy else float("inf"))
        return x + reach * dx, y + reach * dy

    for label in sorted(set(plate_of.values()) - {""}):  # the plates, under the nodes
        x0, y0, width, height = _plate_box(label, [centre(n) for n in order if plate_of[n] == label], band[label])
        ax.add_patch(FancyBboxPatch((x0, y0), width, height, boxstyle="round,pad=0,rounding_size=0.06",
                                    facecolor="none", edgecolor="0.35", linewidth=1))
        ax.text(x0 + width - 0.05, y0 + 0.03, label, ha="right", va="bottom", color="0.2", linespacing=1.1,
                zorder=1.5, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # over any arrow through it
    for name in order:
        x, y = centre(name)
        grey = kind[name] in (NodeType.OBSERVED_RV, NodeType.DATA)
        style: dict[str, Any] = {"facecolor": "0.85" if grey else "white", "edgecolor": "black", "linewidth": 1,
                                 "zorder": 2}
        if kind[name] in (NodeType.FREE_RV, NodeType.OBSERVED_RV):
            ax.add_patch(Ellipse((x, y), _NODE_WIDTH, _NODE_HEIGHT, **style))
            what = _symbol(model[name])
        else:
            rounding = 0.08 if kind[name] == NodeType.DATA else 0.0
            ax.add_patch(FancyBboxPatch((x - _NODE_WIDTH / 2, y - _NODE_HEIGHT / 2), _NODE_WIDTH, _NODE_HEIGHT,
                                        boxstyle=f"round,pad=0,rounding_size={rounding}", **style))
            what = kind[name].value.split()[-1]  # Deterministic, Data, Potential
        ax.text(x, y, f"{name}\n~ {what}", ha="center", va="center", zorder=3)
    for child in order:
        for parent in sorted(parents[child]):
            ax.add_patch(FancyArrowPatch(rim(parent, child), rim(child, parent), arrowstyle="-|>",
                                         mutation_scale=12, shrinkA=0, shrinkB=1, color="0.2", zorder=1))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
