"""rltheory.linear: linear function approximation.

* Features for finite MDPs: :func:`one_hot_features`, :func:`polynomial_features`,
  :func:`fourier_features`, :func:`random_features`, :func:`state_action_features`,
  :func:`check_features`.
* Linear policy evaluation: the TD fixed point with the Tsitsiklis-Van Roy
  bounds (:func:`td_fixed_point`, :func:`projection`, :func:`mspbe`; default
  weights from :func:`rltheory.tabular.stationary_distribution`) and compiled learners (:func:`td`,
  :func:`lstd`, :func:`gtd2`, :func:`tdc`) with :func:`baird_counterexample`.
* Linear and contextual bandits (their public home): :class:`LinearBandit`
  (a problem of :func:`rltheory.simulation.simulate`), the agents
  :class:`LinUCB` (OFUL) and :class:`LinTS` and their base
  :class:`LinearBanditAgent` (for user agents), :func:`oful_radius`;
  G-optimal design (:func:`g_optimal_design`,
  :func:`log_det_design_cvxpy`); misspecification and sparsity
  (:class:`MisspecifiedLinearBandit`, :func:`design_baseline`,
  :func:`sparse_support_enumeration`).
* Linear MDPs: :class:`LinearMDP` (an episodic problem of
  :func:`rltheory.simulation.simulate`), the agents :class:`LSVIUCB` and
  :class:`LMCLSVI`, :func:`fitted_q_iteration`, and the Langevin check
  (:func:`langevin_ridge_samples`, :func:`ula_gaussian_moments`).

The ``linear-bandit`` and ``linear-mdp`` paper reproductions live in the
experiments catalogue (``rltheory reproduce linear-bandit``).

Examples
--------
>>> import numpy as np
>>> from rltheory.linear import g_optimal_design
>>> g_optimal_design(np.eye(3)).weights.round(3).tolist()
[0.333, 0.333, 0.333]
"""

from rltheory.linear._design import DesignResult, LogDetDesignResult, g_optimal_design, log_det_design_cvxpy
from rltheory.linear._features import (
    check_features,
    fourier_features,
    one_hot_features,
    polynomial_features,
    random_features,
    state_action_features,
)
from rltheory.linear._fqi import FQIResult, fitted_q_iteration
from rltheory.linear._langevin import langevin_ridge_samples, ula_gaussian_moments
from rltheory.linear._linear_bandit import LinearBandit, oful_radius
from rltheory.linear._linear_bandit_agents import LinearBanditAgent, LinTS, LinUCB
from rltheory.linear._linear_mdp import LinearMDP
from rltheory.linear._lsvi import LMCLSVI, LSVIUCB
from rltheory.linear._misspecified import (
    MisspecifiedLinearBandit,
    MisspecifiedResult,
    design_baseline,
    sparse_support_enumeration,
)
from rltheory.linear._phased_elimination import PhasedElimination
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
    "LinearBanditAgent",
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
    "log_det_design_cvxpy",
    "lstd",
    "mspbe",
    "oful_radius",
    "one_hot_features",
    "polynomial_features",
    "projection",
    "random_features",
    "sparse_support_enumeration",
    "state_action_features",
    "td",
    "td_fixed_point",
    "tdc",
    "ula_gaussian_moments",
]
