"""rltheory.linear: linear function approximation.

* features for finite MDPs (:func:`one_hot_features`, :func:`polynomial_features`,
  :func:`fourier_features`, :func:`random_features`, :func:`state_action_features`,
  :func:`check_features`);
* linear policy evaluation: the TD fixed point and its bounds
  (:func:`td_fixed_point`, :func:`projection`, :func:`mspbe`,
  :func:`stationary_distribution`) and compiled learners (:func:`td`,
  :func:`lstd`, :func:`gtd2`, :func:`tdc`, :func:`baird_counterexample`).
"""

from rltheory.linear._features import (
    check_features,
    fourier_features,
    one_hot_features,
    polynomial_features,
    random_features,
    state_action_features,
)
from rltheory.linear._bandits import LinearBandit, LinTS, LinUCB, PhasedElimination, oful_radius, simulate_linear
from rltheory.linear._design import DesignResult, g_optimal_design, log_det_design_cvxpy
from rltheory.linear._linear_mdp import (
    FQIResult,
    LinearMDP,
    fitted_q_iteration,
    langevin_ridge_samples,
    lmc_lsvi,
    lsvi_ucb,
    lsvi_ucb_reference,
    ula_gaussian_moments,
)
from rltheory.linear._td import (
    BairdCounterexample,
    LSTDResult,
    TDFixedPointResult,
    TDLearningResult,
    baird_counterexample,
    gtd2,
    lstd,
    mspbe,
    projection,
    stationary_distribution,
    td,
    td_fixed_point,
    tdc,
)

__all__ = [
    "BairdCounterexample",
    "DesignResult",
    "FQIResult",
    "LinearMDP",
    "LSTDResult",
    "LinTS",
    "LinUCB",
    "LinearBandit",
    "PhasedElimination",
    "TDFixedPointResult",
    "TDLearningResult",
    "baird_counterexample",
    "check_features",
    "fitted_q_iteration",
    "fourier_features",
    "g_optimal_design",
    "gtd2",
    "langevin_ridge_samples",
    "lmc_lsvi",
    "log_det_design_cvxpy",
    "lsvi_ucb",
    "lsvi_ucb_reference",
    "lstd",
    "mspbe",
    "one_hot_features",
    "oful_radius",
    "polynomial_features",
    "projection",
    "random_features",
    "simulate_linear",
    "state_action_features",
    "stationary_distribution",
    "td",
    "td_fixed_point",
    "tdc",
    "ula_gaussian_moments",
]
