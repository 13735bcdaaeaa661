"""Finite games: matrix games, learning dynamics, preference games, Stackelberg games, Markov games.

Every equilibrium comes with the certificate of its defining inequalities:
the duality gap of a zero-sum solution, the NashConv of a Nash equilibrium,
the incentive-constraint violation of a (coarse) correlated equilibrium, the
fixed-point residual of a quantal response equilibrium, the certified value
bounds of Shapley value iteration.

Import explicitly: ``from rltheory.tabular.games import MatrixGame, solve_zero_sum``.

Building blocks (for solvers built on this package):

* :class:`MatrixGame` -- ``payoffs`` of shape ``(n, A_1, ..., A_n)``, every
  player maximizes; :meth:`MatrixGame.strategy_profile` validates profiles,
  :meth:`MatrixGame.deviation_payoffs` gives ``u_i(., x_{-i})``;
  :func:`exploitability` is NashConv.
* :func:`solve_zero_sum` -- the certified LP of a two-player constant-sum
  game (``max_strategy`` for the row player, ``min_strategy`` for the column
  player, ``value_lower <= v <= value_upper``).
* :class:`MarkovGame` -- ``P (S, A, B, S)``, ``R (S, A, B)`` (the max player's
  reward), ``gamma``, optional ``horizon``; :meth:`MarkovGame.max_player_mdp` /
  :meth:`MarkovGame.min_player_mdp` turn a fixed opponent into a
  :class:`~rltheory.tabular.FiniteMDP`; :func:`evaluate_policies` and
  :func:`markov_exploitability` (exact best responses) certify policy pairs.
* Stage games in bulk: ``rltheory.tabular.games._stage.solve_stages(Q, X, Y,
  lo, hi, ok)`` solves ``Q[s]`` (S, m, n) for all ``s`` in one compiled call and
  certifies each by weak duality (``lo[s] <= val Q[s] <= hi[s]``); failed
  states (``ok[s] = False``) need the LP of ``_zero_sum._lp_solve``. The
  certified Shapley backup is ``_shapley._Backup``.
* Self-play learners: a :class:`MarkovGame` with a horizon is the
  ``"markov-game"`` problem kind of :func:`rltheory.simulation.simulate`
  (agents derive from :class:`~rltheory.simulation.MarkovGameAgent`; the regret
  is the exact duality gap of the played marginals); :class:`NashVI` is one,
  :func:`nash_vi` its output policy with an optimism certificate.
  Offline: :func:`pessimistic_minimax_value_iteration` on counts from
  :func:`sample_transition_counts`, certified the same way; :func:`minimax_fqi`
  (fitted Q-iteration on tabular or linear features, discounted games).
* General-sum Markov games: :class:`GeneralSumMarkovGame`,
  :func:`markov_correlated_equilibrium` (stage CE/CCE LPs by backward
  induction), :func:`markov_deviation_gains` (exact).
* Mean-field games: :class:`MeanFieldGame` (``flow``, ``q_values``),
  :func:`mean_field_exploitability`, three learning schemes, and
  :func:`n_player_flow` (the exact finite-population law).
"""

from rltheory.tabular.games import _selfplay  # noqa: F401 - registers the "markov-game" problem kind
from rltheory.tabular.games._correlated import (
    CorrelatedEquilibriumResult,
    cce_violation,
    ce_violation,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
)
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
from rltheory.tabular.games._finite_horizon import ShapleyBackwardInductionResult, shapley_backward_induction
from rltheory.tabular.games._markov import (
    MarkovExploitabilityResult,
    MarkovGame,
    evaluate_policies,
    markov_exploitability,
)
from rltheory.tabular.games._markov_correlated import (
    GeneralSumMarkovGame,
    MarkovCorrelatedResult,
    markov_correlated_equilibrium,
    markov_deviation_gains,
)
from rltheory.tabular.games._matrix import ExploitabilityResult, MatrixGame, exploitability
from rltheory.tabular.games._mean_field import (
    MeanFieldExploitabilityResult,
    MeanFieldGame,
    MeanFieldLearningResult,
    NPlayerFlowResult,
    mean_field_exploitability,
    mean_field_fictitious_play,
    mean_field_fixed_point,
    mean_field_mirror_descent,
    n_player_flow,
)
from rltheory.tabular.games._minimax_fqi import MinimaxFQIResult, minimax_fqi
from rltheory.tabular.games._nash import NashEquilibriaResult, nash_equilibria
from rltheory.tabular.games._nash_vi import NashVI, NashVIResult, nash_vi
from rltheory.tabular.games._offline import (
    PessimisticMinimaxResult,
    pessimistic_minimax_value_iteration,
    sample_transition_counts,
)
from rltheory.tabular.games._preference import (
    PreferenceDynamicsResult,
    PreferenceGame,
    RegularizedNashResult,
    nash_md,
    nash_mp,
    regularized_nash,
    self_play_preference_optimization,
)
from rltheory.tabular.games._qre import QREResult, qre
from rltheory.tabular.games._regularized import (
    RegularizedExploitabilityResult,
    RegularizedShapleyResult,
    TeamSoftPolicyIterationResult,
    heterogeneous_agent_soft_policy_iteration,
    regularized_markov_exploitability,
    regularized_shapley_value_iteration,
)
from rltheory.tabular.games._shapley import ShapleyResult, minimax_policy_iteration, shapley_value_iteration
from rltheory.tabular.games._soccer import SoccerGame, littman_soccer
from rltheory.tabular.games._stackelberg import StackelbergResult, stackelberg_commitment
from rltheory.tabular.games._zero_sum import ZeroSumResult, solve_zero_sum

__all__ = [
    "CorrelatedEquilibriumResult",
    "ExploitabilityResult",
    "GeneralSumMarkovGame",
    "LearningDynamicsResult",
    "MarkovCorrelatedResult",
    "MarkovExploitabilityResult",
    "MarkovGame",
    "MatrixGame",
    "MeanFieldExploitabilityResult",
    "MeanFieldGame",
    "MeanFieldLearningResult",
    "MinimaxFQIResult",
    "NPlayerFlowResult",
    "NashEquilibriaResult",
    "NashVI",
    "NashVIResult",
    "PessimisticMinimaxResult",
    "PreferenceDynamicsResult",
    "PreferenceGame",
    "QREResult",
    "RegularizedNashResult",
    "RegularizedExploitabilityResult",
    "RegularizedShapleyResult",
    "ReplicatorResult",
    "ShapleyBackwardInductionResult",
    "ShapleyResult",
    "SoccerGame",
    "StackelbergResult",
    "TeamSoftPolicyIterationResult",
    "ZeroSumResult",
    "cce_violation",
    "ce_violation",
    "coarse_correlated_equilibrium",
    "correlated_equilibrium",
    "evaluate_policies",
    "fictitious_play",
    "heterogeneous_agent_soft_policy_iteration",
    "magnetic_mirror_descent",
    "exploitability",
    "littman_soccer",
    "markov_correlated_equilibrium",
    "markov_deviation_gains",
    "markov_exploitability",
    "minimax_fqi",
    "minimax_policy_iteration",
    "multiplicative_weights",
    "mean_field_exploitability",
    "mean_field_fictitious_play",
    "mean_field_fixed_point",
    "mean_field_mirror_descent",
    "nash_equilibria",
    "nash_md",
    "nash_mp",
    "nash_vi",
    "n_player_flow",
    "optimistic_multiplicative_weights",
    "pessimistic_minimax_value_iteration",
    "qre",
    "regularized_markov_exploitability",
    "regularized_nash",
    "regularized_shapley_value_iteration",
    "regret_matching",
    "regret_matching_plus",
    "replicator_dynamics",
    "sample_transition_counts",
    "self_play_preference_optimization",
    "shapley_backward_induction",
    "shapley_value_iteration",
    "solve_zero_sum",
    "stackelberg_commitment",
]
