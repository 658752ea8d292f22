"""One visual style for every figure in the book (colour-blind-safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib as mpl
from cycler import cycler

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

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

_RC: dict[RcKeyType, Any] = {
    "axes.prop_cycle": cycler(
        color=[PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow", "black")]
    ),
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
    """Apply the book's style: Okabe-Ito colours, light grid, no top/right spines, readable tables.

    Every chapter calls this once at the top; plotting helpers never change global style.
    Besides matplotlib, it lets pandas show a table's text in full (a diagnostic verdict is a
    sentence, which pandas would otherwise cut at 50 characters).

    Examples
    --------
    >>> import matplotlib as mpl
    >>> import pandas as pd
    >>> from hlmkit import set_book_style
    >>> set_book_style()
    >>> mpl.rcParams["axes.spines.top"], pd.get_option("display.max_colwidth")
    (False, 200)
    """
    import pandas as pd

    mpl.rcParams.update(_RC)
    pd.set_option("display.max_colwidth", 200)
