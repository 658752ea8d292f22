"""hlmkit: the helpers of *Borrowing Strength*, a book on hierarchical models in Python.

Every chapter imports what it reuses from here, by name. One idea per module, in the order a
reader meets them:

- :mod:`hlmkit.data` -- the simulated region with known truth, and the real datasets;
- :mod:`hlmkit.coding` -- grouping columns as integer codes and PyMC coords;
- :mod:`hlmkit.models` -- model builders, one per pooling strategy;
- :mod:`hlmkit.growth` -- growing the model: group-level predictors, varying slopes, nested levels;
- :mod:`hlmkit.inference` -- sampling with the book's defaults, and diagnostics;
- :mod:`hlmkit.summaries` -- tidy tables of a fit: summaries, group estimates, draws;
- :mod:`hlmkit.pooling` -- closed forms: group summaries, shrinkage, intra-class correlation;
- :mod:`hlmkit.evaluation` -- scoring estimates against the truth;
- :mod:`hlmkit.prep` -- centring predictors and school-level summaries of pupil columns;
- :mod:`hlmkit.variance` -- variance partition and intra-class correlations per level;
- :mod:`hlmkit.binary` -- pass/fail outcomes: Bernoulli and binomial builders;
- :mod:`hlmkit.checking` -- prior and posterior predictive checks;
- :mod:`hlmkit.likelihood` -- the pointwise log-likelihood, per student or per school;
- :mod:`hlmkit.loo` -- leave-one-out cross-validation (PSIS-LOO) and comparing models by it;
- :mod:`hlmkit.prediction` -- predictions for existing and new groups, updating with new evidence;
- :mod:`hlmkit.sufficient` -- per-school sufficient statistics, from pandas or from Parquet in DuckDB;
- :mod:`hlmkit.scaling` -- Gaussian models built from those statistics, and which form per level;
- :mod:`hlmkit.marginal` -- the school effects integrated out, and drawn back after the fit;
- :mod:`hlmkit.compare` -- lining up estimates with published and REML values;
- :mod:`hlmkit.exercises` -- the checks a learner runs after each exercise;
- :mod:`hlmkit.plots_pooling` -- figures of pooling: group means, shrinkage, intervals;
- :mod:`hlmkit.plots_levels` -- figures of levels: residuals by group, within and between, variance partition;
- :mod:`hlmkit.plots_checks` -- figures for checking and comparing fits;
- :mod:`hlmkit.plots_models` -- a model's graph in plate notation, drawn without Graphviz;
- :mod:`hlmkit.style` -- the book's figure style, and plain numbers on log axes.

Making student notebooks and grading them is not a lesson: that lives in the ``coursework``
package beside this one, so a learner's install of hlmkit does not carry the grader.
"""

from hlmkit.data import SimulatedRegion, available_datasets, load_dataset, simulate_literacy
from hlmkit.coding import GroupIndex, encode_groups, parent_codes
from hlmkit.models import complete_pooling_model, no_pooling_model, partial_pooling_model
from hlmkit.growth import group_predictors_model, nested_model, varying_slopes_model
from hlmkit.inference import MAX_RHAT, MIN_ESS, SamplingWarning, check_convergence, diagnose, limit_problems, sample
from hlmkit.summaries import group_estimates, posterior_draws, posterior_summary
from hlmkit.pooling import (
    group_summary,
    icc,
    least_squares_intercepts,
    partial_pooling_estimate,
    shrinkage_weight,
)
from hlmkit.evaluation import SIZE_BANDS, scoreboard, size_band
from hlmkit.prep import add_group_means, grand_mean_center, group_mean_center, group_table
from hlmkit.variance import level_sds, variance_partition, variance_shares
from hlmkit.binary import aggregate_binary, bernoulli_model, binomial_model, true_proficiency_rates
from hlmkit.checking import (
    check_statistics,
    posterior_predictive,
    predictive_draws,
    prior_predictive,
    rate_statistics,
)
from hlmkit.likelihood import add_log_likelihood, integrated_log_likelihood
from hlmkit.loo import compare_models, group_loo, pareto_k_table, student_loo
from hlmkit.prediction import EvidenceUpdate, group_effect_draws, unseen_groups, update_with_evidence
from hlmkit.sufficient import (
    statistic_columns,
    sufficient_statistics,
    sufficient_statistics_parquet,
    sufficient_statistics_sql,
)
from hlmkit.scaling import load_benchmarks, sufficient_statistics_model, suggest_parameterization
from hlmkit.marginal import marginal_model, school_effects
from hlmkit.compare import available_references, compare_estimates, load_reference, mixedlm_estimates
from hlmkit.exercises import CheckFailed, check, check_between, check_model
from hlmkit.plots_pooling import (
    plot_caterpillar,
    plot_group_means,
    plot_shrinkage,
    plot_shrinkage_2d,
    plot_shrinkage_to_prediction,
)
from hlmkit.plots_levels import plot_group_residuals, plot_variance_partition, plot_within_between
from hlmkit.plots_checks import plot_estimate_comparison, plot_pareto_k, plot_predictive_statistic
from hlmkit.plots_models import plot_model_graph
from hlmkit.style import PALETTE, STRATEGY_COLORS, plain_log_ticks, set_book_style

__all__ = [
    # data
    "SimulatedRegion",
    "available_datasets",
    "load_dataset",
    "simulate_literacy",
    # coding
    "GroupIndex",
    "encode_groups",
    "parent_codes",
    # models
    "complete_pooling_model",
    "no_pooling_model",
    "partial_pooling_model",
    # growth
    "group_predictors_model",
    "nested_model",
    "varying_slopes_model",
    # inference
    "MAX_RHAT",
    "MIN_ESS",
    "SamplingWarning",
    "check_convergence",
    "diagnose",
    "limit_problems",
    "sample",
    # summaries
    "group_estimates",
    "posterior_draws",
    "posterior_summary",
    # pooling maths
    "group_summary",
    "icc",
    "least_squares_intercepts",
    "partial_pooling_estimate",
    "shrinkage_weight",
    # evaluation
    "SIZE_BANDS",
    "scoreboard",
    "size_band",
    # prep
    "add_group_means",
    "grand_mean_center",
    "group_mean_center",
    "group_table",
    # variance
    "level_sds",
    "variance_partition",
    "variance_shares",
    # binary
    "aggregate_binary",
    "bernoulli_model",
    "binomial_model",
    "true_proficiency_rates",
    # checking
    "check_statistics",
    "posterior_predictive",
    "predictive_draws",
    "prior_predictive",
    "rate_statistics",
    # likelihood
    "add_log_likelihood",
    "integrated_log_likelihood",
    # loo
    "compare_models",
    "group_loo",
    "pareto_k_table",
    "student_loo",
    # prediction
    "EvidenceUpdate",
    "group_effect_draws",
    "unseen_groups",
    "update_with_evidence",
    # sufficient statistics
    "statistic_columns",
    "sufficient_statistics",
    "sufficient_statistics_parquet",
    "sufficient_statistics_sql",
    # scaling
    "load_benchmarks",
    "sufficient_statistics_model",
    "suggest_parameterization",
    # marginal
    "marginal_model",
    "school_effects",
    # compare
    "available_references",
    "compare_estimates",
    "load_reference",
    "mixedlm_estimates",
    # exercises
    "CheckFailed",
    "check",
    "check_between",
    "check_model",
    # plots of pooling
    "plot_caterpillar",
    "plot_group_means",
    "plot_shrinkage",
    "plot_shrinkage_2d",
    "plot_shrinkage_to_prediction",
    # plots of levels
    "plot_group_residuals",
    "plot_variance_partition",
    "plot_within_between",
    # plots for checking
    "plot_estimate_comparison",
    "plot_pareto_k",
    "plot_predictive_statistic",
    # a model's graph
    "plot_model_graph",
    # style
    "PALETTE",
    "STRATEGY_COLORS",
    "plain_log_ticks",
    "set_book_style",
]
