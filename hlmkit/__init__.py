"""hlmkit: the helpers of *Borrowing Strength*, a book on hierarchical models in Python.

Every chapter imports what it reuses from here, by name. One idea per module:

- :mod:`hlmkit.data` -- the simulated region with known truth, and the real datasets;
- :mod:`hlmkit.coding` -- grouping columns as integer codes and PyMC coords;
- :mod:`hlmkit.models` -- model builders, one per pooling strategy;
- :mod:`hlmkit.inference` -- sampling with the book's defaults, diagnostics, tidy estimates;
- :mod:`hlmkit.pooling` -- closed forms: group summaries, shrinkage, intra-class correlation;
- :mod:`hlmkit.evaluation` -- scoring estimates against the truth;
- :mod:`hlmkit.plots` -- figures reused across chapters;
- :mod:`hlmkit.style` -- the book's figure style;
- :mod:`hlmkit.prep` -- centring predictors and school-level summaries of pupil columns;
- :mod:`hlmkit.variance` -- variance partition and intra-class correlations per level;
- :mod:`hlmkit.binary` -- pass/fail outcomes: Bernoulli and binomial builders;
- :mod:`hlmkit.checking` -- prior and posterior predictive checks, PSIS-LOO helpers;
- :mod:`hlmkit.prediction` -- predictions for existing and new groups, updating with new evidence;
- :mod:`hlmkit.scaling` -- sufficient statistics (pandas or DuckDB) and marginalised models;
- :mod:`hlmkit.compare` -- lining up estimates with published and REML values;
- :mod:`hlmkit.coursework` -- student notebooks, checks and grading.
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

from hlmkit.prep import add_group_means, grand_mean_center, group_mean_center, group_table  # noqa: E402

__all__ += ["add_group_means", "grand_mean_center", "group_mean_center", "group_table"]

from hlmkit.models import group_predictors_model, nested_model, varying_slopes_model  # noqa: E402
from hlmkit.variance import level_sds, variance_partition, variance_shares  # noqa: E402

__all__ += [
    "group_predictors_model",
    "nested_model",
    "varying_slopes_model",
    "level_sds",
    "variance_partition",
    "variance_shares",
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

from hlmkit.binary import aggregate_binary, bernoulli_model, binomial_model  # noqa: E402
from hlmkit.checking import (  # noqa: E402
    add_log_likelihood,
    check_statistics,
    compare_models,
    group_loo,
    integrated_log_likelihood,
    pareto_k_table,
    posterior_predictive,
    predictive_draws,
    prior_predictive,
    rate_statistics,
    student_loo,
)
from hlmkit.prediction import EvidenceUpdate, group_effect_draws, unseen_groups, update_with_evidence  # noqa: E402

__all__ += [
    "aggregate_binary",
    "bernoulli_model",
    "binomial_model",
    "add_log_likelihood",
    "check_statistics",
    "compare_models",
    "group_loo",
    "integrated_log_likelihood",
    "pareto_k_table",
    "posterior_predictive",
    "predictive_draws",
    "prior_predictive",
    "rate_statistics",
    "student_loo",
    "EvidenceUpdate",
    "group_effect_draws",
    "unseen_groups",
    "update_with_evidence",
]

from hlmkit.scaling import (  # noqa: E402
    marginal_model,
    school_effects,
    statistic_columns,
    sufficient_statistics,
    sufficient_statistics_model,
    sufficient_statistics_parquet,
    sufficient_statistics_sql,
    suggest_parameterization,
)

__all__ += [
    "marginal_model",
    "school_effects",
    "statistic_columns",
    "suggest_parameterization",
    "sufficient_statistics",
    "sufficient_statistics_model",
    "sufficient_statistics_parquet",
    "sufficient_statistics_sql",
]

from hlmkit.plots import plot_pareto_k, plot_predictive_statistic  # noqa: E402

__all__ += ["plot_pareto_k", "plot_predictive_statistic"]

from hlmkit.plots import (  # noqa: E402
    plot_shrinkage_2d,
    plot_shrinkage_to_prediction,
    plot_variance_partition,
    plot_within_between,
)

__all__ += ["plot_shrinkage_2d", "plot_shrinkage_to_prediction", "plot_variance_partition", "plot_within_between"]

from hlmkit.binary import true_proficiency_rates  # noqa: E402

__all__ += ["true_proficiency_rates"]

from hlmkit.scaling import load_benchmarks  # noqa: E402

__all__ += ["load_benchmarks"]

from hlmkit.compare import available_references, compare_estimates, load_reference, mixedlm_estimates  # noqa: E402

__all__ += ["available_references", "compare_estimates", "load_reference", "mixedlm_estimates"]

from hlmkit.plots import plot_estimate_comparison  # noqa: E402

__all__ += ["plot_estimate_comparison"]

from hlmkit.plots import plain_log_ticks  # noqa: E402

__all__ += ["plain_log_ticks"]
