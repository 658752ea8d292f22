"""One visual style for every figure in the book (colour-blind-safe)."""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

#: The Okabe-Ito palette, safe for the common forms of colour blindness.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: The colour of each pooling strategy, the same in every chapter.
STRATEGY_COLORS: dict[str, str] = {
    "complete pooling": PALETTE["vermillion"],
    "no pooling": PALETTE["orange"],
    "partial pooling": PALETTE["blue"],
    "truth": PALETTE["black"],
}

_RC = {
    "axes.prop_cycle": cycler(color=[PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow", "black")]),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "legend.frameon": False,
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "figure.constrained_layout.use": True,
    "font.size": 10.5,
}


def set_book_style() -> None:
    """Apply the book's matplotlib style: Okabe-Ito colours, light grid, no top/right spines.

    Every chapter calls this once at the top; plotting helpers never change global style.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> from hlmkit import set_book_style
    >>> set_book_style()
    >>> mpl.rcParams["axes.spines.top"]
    False
    """
    mpl.rcParams.update(_RC)
