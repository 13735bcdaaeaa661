"""rltheory.linear: linear function approximation.

* Features for finite MDPs: :func:`one_hot_features`, :func:`polynomial_features`,
  :func:`fourier_features`, :func:`random_features`, :func:`state_action_features`,
  :func:`check_features`.
* Linear policy evaluation: the TD fixed point with the Tsitsiklis-Van Roy
  bounds (:func:`td_fixed_point`, :func:`projection`, :func:`mspbe`; default
  weights from :func:`rltheory.tabular.stationary_distribution`) and compiled learners (:func:`td`,
  :func:`lstd`, :func:`gtd2`, :func:`tdc`) with :func:`baird_counterexample`.
* Linear and contextual bandits (their public home): :class:`LinearBandit`,
  :class:`LinUCB` (OFUL), :class:`LinTS`, :class:`PhasedElimination`,
  :func:`simulate_linear` (a :class:`~rltheory.bandits.RegretCurve`),
  :func:`oful_radius`; G-optimal design (:func:`g_optimal_design`,
  :func:`log_det_design_cvxpy`); misspecification and sparsity
  (:class:`MisspecifiedLinearBandit`, :func:`design_baseline`,
  :func:`sparse_support_enumeration`).
* Linear MDPs: :class:`LinearMDP`, :func:`lsvi_ucb`, :func:`lmc_lsvi`,
  their agent records :class:`LSVIUCB`, :class:`LMCLSVI` run by
  :func:`simulate_linear_mdp`, :func:`fitted_q_iteration`, and the Langevin
  check (:func:`langevin_ridge_samples`, :func:`ula_gaussian_moments`).

The ``linear-bandit`` and ``linear-mdp`` paper reproductions live in the
experiments catalogue (``rltheory reproduce linear-bandit``).

Examples
--------
>>> import numpy as np
>>> from rltheory.linear import g_optimal_design
>>> g_optimal_design(np.eye(3)).weights.round(3).tolist()
[0.333, 0.333, 0.333]
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
from rltheory.linear._design import DesignResult, LogDetDesignResult, g_optimal_design, log_det_design_cvxpy
from rltheory.linear._linear_mdp import (
    LMCLSVI,
    LSVIUCB,
    FQIResult,
    LinearMDP,
    fitted_q_iteration,
    langevin_ridge_samples,
    lmc_lsvi,
    lmc_lsvi_reference,
    lsvi_ucb,
    lsvi_ucb_reference,
    simulate_linear_mdp,
    ula_gaussian_moments,
)
from rltheory.linear._misspecified import (
    MisspecifiedLinearBandit,
    MisspecifiedResult,
    design_baseline,
    sparse_support_enumeration,
)
from rltheory.linear._td import (
    BairdCounterexample,
    BoyanChain,
    LSTDResult,
    TDFixedPointResult,
    TDLearningResult,
    baird_counterexample,
    boyan_chain,
    gtd2,
    lstd,
    mspbe,
    projection,
    td,
    td_fixed_point,
    tdc,
)

__all__ = [
    "BairdCounterexample",
    "BoyanChain",
    "DesignResult",
    "FQIResult",
    "LMCLSVI",
    "LSTDResult",
    "LSVIUCB",
    "LinTS",
    "LinUCB",
    "LinearBandit",
    "LinearMDP",
    "LogDetDesignResult",
    "MisspecifiedLinearBandit",
    "MisspecifiedResult",
    "PhasedElimination",
    "TDFixedPointResult",
    "TDLearningResult",
    "baird_counterexample",
    "boyan_chain",
    "check_features",
    "design_baseline",
    "fitted_q_iteration",
    "fourier_features",
    "g_optimal_design",
    "gtd2",
    "langevin_ridge_samples",
    "lmc_lsvi",
    "lmc_lsvi_reference",
    "log_det_design_cvxpy",
    "lstd",
    "lsvi_ucb",
    "lsvi_ucb_reference",
    "mspbe",
    "oful_radius",
    "one_hot_features",
    "polynomial_features",
    "projection",
    "random_features",
    "simulate_linear",
    "simulate_linear_mdp",
    "sparse_support_enumeration",
    "state_action_features",
    "td",
    "td_fixed_point",
    "tdc",
    "ula_gaussian_moments",
]
