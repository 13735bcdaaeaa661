"""Distributional dynamic programming on known tabular models.

Return-distribution representations (finite support, categorical, quantile),
exact return laws and Monte Carlo checks, the distributional Bellman
operators and their categorical / quantile projections (compiled kernels
with NumPy references), projected policy evaluation with certified bounds,
probability metrics, risk functionals, and stock-augmented optimization of
return-distribution objectives (CVaR, homeostatic band probability,
mean-variance) with a brute-force oracle.
"""

from rltheory.distributional._evaluation import (
    CategoricalEvaluationResult,
    QuantileEvaluationResult,
    categorical_policy_evaluation,
    quantile_policy_evaluation,
)
from rltheory.distributional._exact import (
    ExactReturnDistribution,
    MonteCarloReturns,
    exact_return_distribution,
    monte_carlo_returns,
)
from rltheory.distributional._metrics import (
    cramer_distance,
    kolmogorov_distance,
    supremum_distance,
    wasserstein_distance,
)
from rltheory.distributional._operators import (
    ContractionRatio,
    InstabilityExample,
    categorical_bellman_operator,
    categorical_projection,
    contraction_ratio,
    distributional_bellman_operator,
    greedy_instability_example,
    quantile_bellman_operator,
    quantile_projection,
)
from rltheory.distributional._representations import (
    CategoricalDistribution,
    FiniteDistribution,
    QuantileDistribution,
)
from rltheory.distributional._risk import band_probability, cvar, entropic_risk, mean_variance, value_at_risk
from rltheory.distributional._stock import (
    BandProbabilityObjective,
    BruteForceResult,
    CVaRObjective,
    MeanVarianceObjective,
    StockAugmentedResult,
    brute_force_optimization,
    stock_augmented_optimization,
)

__all__ = [
    "BandProbabilityObjective",
    "BruteForceResult",
    "CVaRObjective",
    "CategoricalDistribution",
    "CategoricalEvaluationResult",
    "ContractionRatio",
    "ExactReturnDistribution",
    "FiniteDistribution",
    "InstabilityExample",
    "MeanVarianceObjective",
    "MonteCarloReturns",
    "QuantileDistribution",
    "QuantileEvaluationResult",
    "StockAugmentedResult",
    "band_probability",
    "brute_force_optimization",
    "categorical_bellman_operator",
    "categorical_policy_evaluation",
    "categorical_projection",
    "contraction_ratio",
    "cramer_distance",
    "cvar",
    "distributional_bellman_operator",
    "entropic_risk",
    "exact_return_distribution",
    "greedy_instability_example",
    "kolmogorov_distance",
    "mean_variance",
    "monte_carlo_returns",
    "quantile_bellman_operator",
    "quantile_policy_evaluation",
    "quantile_projection",
    "stock_augmented_optimization",
    "supremum_distance",
    "value_at_risk",
    "wasserstein_distance",
]
