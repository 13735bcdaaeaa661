"""Finite games: matrix games, learning dynamics, preference games, Stackelberg games, Markov games.

Every equilibrium comes with the certificate of its defining inequalities:
the duality gap of a zero-sum solution, the NashConv of a Nash equilibrium,
the incentive-constraint violation of a (coarse) correlated equilibrium, the
fixed-point residual of a quantal response equilibrium, the certified value
bounds of Shapley value iteration.

Import explicitly: ``from rltheory.tabular.games import MatrixGame, solve_zero_sum``.
"""

from rltheory.tabular.games._matrix import ExploitabilityResult, MatrixGame, exploitability
from rltheory.tabular.games._zero_sum import ZeroSumResult, solve_zero_sum
from rltheory.tabular.games._correlated import (
    CorrelatedEquilibriumResult,
    cce_violation,
    ce_violation,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
)
from rltheory.tabular.games._nash import NashEquilibriaResult, nash_equilibria
from rltheory.tabular.games._qre import QREResult, qre
from rltheory.tabular.games._dynamics import (
    LearningDynamicsResult,
    ReplicatorResult,
    fictitious_play,
    magnetic_mirror_descent,
    multiplicative_weights,
    optimistic_multiplicative_weights,
    regret_matching,
    regret_matching_plus,
    replicator_dynamics,
)
from rltheory.tabular.games._stackelberg import StackelbergResult, stackelberg_commitment
from rltheory.tabular.games._preference import (
    PreferenceDynamicsResult,
    PreferenceGame,
    RegularizedNashResult,
    nash_md,
    nash_mp,
    regularized_nash,
    self_play_preference_optimization,
)
from rltheory.tabular.games._soccer import SoccerGame, littman_soccer
from rltheory.tabular.games._markov import (
    MarkovExploitabilityResult,
    MarkovGame,
    evaluate_policies,
    markov_exploitability,
)
from rltheory.tabular.games._shapley import ShapleyResult, minimax_policy_iteration, shapley_value_iteration

__all__ = [
    "CorrelatedEquilibriumResult",
    "ExploitabilityResult",
    "LearningDynamicsResult",
    "MarkovExploitabilityResult",
    "MarkovGame",
    "MatrixGame",
    "NashEquilibriaResult",
    "PreferenceDynamicsResult",
    "PreferenceGame",
    "QREResult",
    "RegularizedNashResult",
    "ReplicatorResult",
    "ShapleyResult",
    "SoccerGame",
    "StackelbergResult",
    "ZeroSumResult",
    "cce_violation",
    "ce_violation",
    "coarse_correlated_equilibrium",
    "correlated_equilibrium",
    "evaluate_policies",
    "fictitious_play",
    "magnetic_mirror_descent",
    "exploitability",
    "littman_soccer",
    "markov_exploitability",
    "minimax_policy_iteration",
    "multiplicative_weights",
    "nash_equilibria",
    "nash_md",
    "nash_mp",
    "optimistic_multiplicative_weights",
    "qre",
    "regularized_nash",
    "regret_matching",
    "regret_matching_plus",
    "replicator_dynamics",
    "self_play_preference_optimization",
    "shapley_value_iteration",
    "solve_zero_sum",
    "stackelberg_commitment",
]
