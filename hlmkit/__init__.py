"""hlmkit: the helpers of *Borrowing Strength*, a book on hierarchical models in Python.

Every chapter imports what it reuses from here, by name. One idea per module:

- :mod:`hlmkit.data` -- the simulated region with known truth, and the real datasets;
- :mod:`hlmkit.coding` -- grouping columns as integer codes and PyMC coords;
- :mod:`hlmkit.models` -- model builders, one per pooling strategy;
- :mod:`hlmkit.inference` -- sampling with the book's defaults, diagnostics, tidy estimates;
- :mod:`hlmkit.pooling` -- closed forms: group summaries, shrinkage, intra-class correlation;
- :mod:`hlmkit.evaluation` -- scoring estimates against the truth;
- :mod:`hlmkit.plots` -- figures reused across chapters;
- :mod:`hlmkit.style` -- the book's figure style.
"""

from hlmkit.coding import GroupIndex, encode_groups, parent_codes
from hlmkit.data import SimulatedRegion, available_datasets, load_dataset, simulate_literacy
from hlmkit.evaluation import SIZE_BANDS, scoreboard, size_band
from hlmkit.inference import (
    MAX_RHAT,
    MIN_ESS,
    check_convergence,
    diagnose,
    group_estimates,
    posterior_draws,
    posterior_summary,
    sample,
)
from hlmkit.models import complete_pooling_model, no_pooling_model, partial_pooling_model
from hlmkit.plots import plot_caterpillar, plot_group_means, plot_group_residuals, plot_shrinkage
from hlmkit.pooling import (
    group_summary,
    icc,
    least_squares_intercepts,
    partial_pooling_estimate,
    shrinkage_weight,
)
from hlmkit.style import PALETTE, STRATEGY_COLORS, set_book_style

__all__ = [
    "MAX_RHAT",
    "MIN_ESS",
    "PALETTE",
    "SIZE_BANDS",
    "STRATEGY_COLORS",
    "GroupIndex",
    "SimulatedRegion",
    "available_datasets",
    "check_convergence",
    "complete_pooling_model",
    "diagnose",
    "encode_groups",
    "group_estimates",
    "group_summary",
    "icc",
    "least_squares_intercepts",
    "load_dataset",
    "no_pooling_model",
    "parent_codes",
    "partial_pooling_estimate",
    "partial_pooling_model",
    "plot_caterpillar",
    "plot_group_means",
    "plot_group_residuals",
    "plot_shrinkage",
    "posterior_draws",
    "posterior_summary",
    "sample",
    "scoreboard",
    "set_book_style",
    "shrinkage_weight",
    "simulate_literacy",
    "size_band",
]

from hlmkit.coursework import (  # noqa: E402
    CheckFailed,
    GradeResult,
    check,
    check_between,
    find_leaks,
    grade_notebook,
    grade_submissions,
    grade_table,
    lint_chapter,
    read_chapter,
    reference_notebook,
    student_notebook,
    write_grade_report,
    write_student_notebooks,
)

__all__ += [
    "CheckFailed",
    "GradeResult",
    "check",
    "check_between",
    "find_leaks",
    "grade_notebook",
    "grade_submissions",
    "grade_table",
    "lint_chapter",
    "read_chapter",
    "reference_notebook",
    "student_notebook",
    "write_grade_report",
    "write_student_notebooks",
]
