"""Finite MDPs: the model, exact dynamic programming, learners, and environments.

Every solver is a free function that takes a validated :class:`FiniteMDP`
and returns a frozen result dataclass. Average-reward models (``gamma = 1``,
no terminal state, no horizon) are also problems of the ``"continuing"``
simulation kind: ``rltheory.simulation.simulate(mdp, agent, n_rounds=T)`` runs
a learner such as :class:`UCRL2` or :class:`PSRLAverageReward` on them
(:class:`NoisyRewards` adds Bernoulli reward noise).

Learning: a ``FiniteMDP`` with ``horizon=H``, ``gamma=1`` and an initial
distribution is a problem of the ``"episodic"`` kind of
:func:`rltheory.simulation.simulate` (:class:`NoisyRewards` observes its
rewards with Bernoulli noise); the compiled episodic learners are
:class:`UCBVI`, :class:`QLearningUCB`, :class:`PSRL`, :class:`RLSVI`,
:class:`MVP` and the baselines :class:`GreedyCertaintyEquivalence` and
:class:`EpsilonGreedyQ`.
"""

from rltheory.tabular import (
    _continuing_kind,  # noqa: F401  (registers the "continuing" problem kind)
    _episodic_kind,  # noqa: F401  (registers the "episodic" problem kind)
)
from rltheory.tabular._average_reward import (
    AverageRewardLPResult,
    AverageRewardPolicyIterationResult,
    ChainClasses,
    GainBiasResult,
    MDPClassification,
    PluginEstimateResult,
    RelativeValueIterationResult,
    average_reward_linear_programming,
    average_reward_plugin,
    average_reward_policy_iteration,
    chain_classes,
    classify,
    gain_and_bias,
    mixing_time,
    relative_value_iteration,
    stationary_distribution,
)
from rltheory.tabular._average_reward_bounds import ucrl2_lower_bound, ucrl2_regret_bound
from rltheory.tabular._average_reward_reduction import AverageRewardReductionResult, average_reward_reduction
from rltheory.tabular._cmorl import CMORLResult, cmorl, crowding_distance
from rltheory.tabular._constrained import (
    ConstrainedLPResult,
    ConstrainedMDP,
    LagrangianPrimalDualResult,
    constrained_lp,
    lagrangian_primal_dual,
)
from rltheory.tabular._coverage import ConcentrabilityResult, concentrability, data_distribution
from rltheory.tabular._diameter import DiameterResult, diameter
from rltheory.tabular._dual_rl import DualRLResult, conjugate_generator, dual_rl
from rltheory.tabular._edge_of_reach import EdgeOfReachResult, rollout_value_learning
from rltheory.tabular._effective_horizon import QVISolvabilityResult, qvi_solvability
from rltheory.tabular._error_propagation import ErrorPropagationResult, error_propagation_experiment
from rltheory.tabular._expressivity import (
    PolicyValues,
    RealizabilityResult,
    deterministic_policy_values,
    realize_policy_order,
    realize_policy_set,
)
from rltheory.tabular._finite_horizon import FiniteHorizonResult, backward_induction
from rltheory.tabular._finite_horizon_evaluation import (
    FiniteHorizonEvaluationResult,
    finite_horizon_policy_evaluation,
    stage_occupancy,
)
from rltheory.tabular._generative import (
    ModelBasedPlanningResult,
    QLearningResult,
    model_based_planning,
    synchronous_q_learning,
)
from rltheory.tabular._imitation import (
    BehaviorCloningResult,
    DemonstrationRegularizedResult,
    behavior_cloning,
    demonstration_regularized_rl,
)
from rltheory.tabular._inference import (
    InferenceResult,
    KLPosteriorResult,
    TrajectoryLaws,
    control_as_inference,
    kl_regularized_posterior,
    trajectory_laws,
)
from rltheory.tabular._irl import (
    FeasibleRewardSet,
    IdentifiabilityResult,
    MisspecificationResult,
    NgRussellResult,
    RewardSet,
    irl_feasible_set,
    misspecification_sensitivity,
    ng_russell_irl,
    reward_identifiability,
    soft_irl_reward_set,
    starc_distance,
)
from rltheory.tabular._linear_programming import LinearProgramResult, linear_programming
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._multiobjective import ParetoFront, hypervolume, pareto_front, pareto_gap, vector_values
from rltheory.tabular._mvp import MVP, max_episode_return
from rltheory.tabular._noisy_rewards import NoisyRewards
from rltheory.tabular._offline_data import OfflineDataset, collect
from rltheory.tabular._ope import (
    CramerRaoBound,
    FittedQEvaluationResult,
    MarginalizedISResult,
    OffPolicyEstimate,
    cramer_rao_bound,
    doubly_robust,
    exact_estimator_variance,
    fitted_q_evaluation,
    importance_sampling,
    marginalized_importance_sampling,
    per_decision_importance_sampling,
    state_distribution_ratio,
    weighted_importance_sampling,
)
from rltheory.tabular._operators import bellman_operator, greedy_policy, q_values
from rltheory.tabular._optimism import OptimismTrace, optimism_gaps
from rltheory.tabular._pessimism import PessimisticPlanningResult, VILCBResult, pessimistic_model_based, vi_lcb
from rltheory.tabular._policy_evaluation import PolicyEvaluationResult, discounted_occupancy, policy_evaluation
from rltheory.tabular._policy_iteration import PolicyIterationResult, policy_iteration
from rltheory.tabular._policy_optimization import (
    PMDMeanStep,
    PolicyOptimizationResult,
    mdpo,
    natural_policy_gradient,
    pmd_mean_step,
    policy_gradient,
    policy_mirror_descent,
    softmax_policy,
    softmax_policy_gradient,
    trust_region_policy_optimization,
)
from rltheory.tabular._proxies import (
    ProxyBound,
    ProxyPolicyResult,
    correlated_proxy_bound,
    proxy_regularized_policy,
)
from rltheory.tabular._psrl import PSRL, GreedyCertaintyEquivalence
from rltheory.tabular._qlearning_ucb import EpsilonGreedyQ, QLearningUCB
from rltheory.tabular._quasimetric import QuasimetricResult, quasimetric_distances
from rltheory.tabular._rcsl import RCSLPolicy, RCSLValue, rcsl_value, return_conditioned_policy
from rltheory.tabular._regret_bounds import (
    episodic_lower_bound,
    psrl_regret_bound,
    qlearning_regret_bound,
    ucbvi_regret_bound,
)
from rltheory.tabular._regularized import (
    MirrorDescentVIResult,
    RegularizedPolicyEvaluationResult,
    SoftPolicyIterationResult,
    SoftValueIterationResult,
    mirror_descent_value_iteration,
    regularized_policy_evaluation,
    soft_bellman_operator,
    soft_policy_iteration,
    soft_value_iteration,
)
from rltheory.tabular._rlsvi import RLSVI
from rltheory.tabular._robust import (
    RobustDPResult,
    StaticRobustResult,
    UncertaintySet,
    WorstCaseResult,
    iwocs,
    regularized_robust_value_iteration,
    regularized_worst_case_values,
    robust_bellman_operator,
    robust_policy_iteration,
    robust_value_iteration,
    worst_case_values,
)
from rltheory.tabular._samples import EmpiricalModel, GenerativeSamples, empirical_mdp, generative_samples
from rltheory.tabular._submodular import (
    SubmodularRLResult,
    coverage_function,
    submodular_greedy,
    submodular_optimum,
    submodular_policy_optimization,
)
from rltheory.tabular._tsde import PSRLAverageReward
from rltheory.tabular._ucbvi import UCBVI
from rltheory.tabular._ucrl2 import UCRL2, ExtendedValueIterationResult, extended_value_iteration
from rltheory.tabular._utility import (
    Utility,
    UtilityResult,
    divergence_utility,
    entropy_utility,
    frank_wolfe_gap,
    linear_utility,
    maximize_utility,
)
from rltheory.tabular._value_iteration import (
    ModifiedPolicyIterationResult,
    ValueIterationResult,
    modified_policy_iteration,
    value_iteration,
)

__all__ = [
    "ConstrainedLPResult",
    "ConstrainedMDP",
    "LagrangianPrimalDualResult",
    "constrained_lp",
    "lagrangian_primal_dual",
    "RobustDPResult",
    "StaticRobustResult",
    "UncertaintySet",
    "WorstCaseResult",
    "iwocs",
    "regularized_robust_value_iteration",
    "regularized_worst_case_values",
    "robust_bellman_operator",
    "robust_policy_iteration",
    "robust_value_iteration",
    "worst_case_values",
    "SubmodularRLResult",
    "coverage_function",
    "submodular_greedy",
    "submodular_optimum",
    "submodular_policy_optimization",
    "QuasimetricResult",
    "quasimetric_distances",
    "ProxyBound",
    "ProxyPolicyResult",
    "correlated_proxy_bound",
    "proxy_regularized_policy",
    "DualRLResult",
    "conjugate_generator",
    "dual_rl",
    "PolicyValues",
    "RealizabilityResult",
    "deterministic_policy_values",
    "realize_policy_order",
    "realize_policy_set",
    "CMORLResult",
    "cmorl",
    "crowding_distance",
    "FeasibleRewardSet",
    "IdentifiabilityResult",
    "MisspecificationResult",
    "NgRussellResult",
    "RewardSet",
    "irl_feasible_set",
    "misspecification_sensitivity",
    "ng_russell_irl",
    "reward_identifiability",
    "soft_irl_reward_set",
    "starc_distance",
    "Utility",
    "UtilityResult",
    "divergence_utility",
    "entropy_utility",
    "frank_wolfe_gap",
    "linear_utility",
    "maximize_utility",
    "ParetoFront",
    "hypervolume",
    "pareto_front",
    "pareto_gap",
    "vector_values",
    "DiameterResult",
    "ExtendedValueIterationResult",
    "NoisyRewards",
    "PSRLAverageReward",
    "UCRL2",
    "diameter",
    "extended_value_iteration",
    "ucrl2_lower_bound",
    "ucrl2_regret_bound",
    "EpsilonGreedyQ",
    "GreedyCertaintyEquivalence",
    "MVP",
    "PSRL",
    "QLearningUCB",
    "RLSVI",
    "UCBVI",
    "max_episode_return",
    "OptimismTrace",
    "optimism_gaps",
    "episodic_lower_bound",
    "psrl_regret_bound",
    "qlearning_regret_bound",
    "ucbvi_regret_bound",
    "AverageRewardLPResult",
    "AverageRewardPolicyIterationResult",
    "ChainClasses",
    "GainBiasResult",
    "MDPClassification",
    "PluginEstimateResult",
    "RelativeValueIterationResult",
    "average_reward_linear_programming",
    "average_reward_plugin",
    "average_reward_policy_iteration",
    "chain_classes",
    "classify",
    "gain_and_bias",
    "mixing_time",
    "relative_value_iteration",
    "stationary_distribution",
    "ErrorPropagationResult",
    "MirrorDescentVIResult",
    "RegularizedPolicyEvaluationResult",
    "SoftPolicyIterationResult",
    "SoftValueIterationResult",
    "error_propagation_experiment",
    "mirror_descent_value_iteration",
    "regularized_policy_evaluation",
    "soft_bellman_operator",
    "soft_policy_iteration",
    "soft_value_iteration",
    "PMDMeanStep",
    "PolicyOptimizationResult",
    "mdpo",
    "natural_policy_gradient",
    "pmd_mean_step",
    "policy_gradient",
    "policy_mirror_descent",
    "softmax_policy",
    "softmax_policy_gradient",
    "trust_region_policy_optimization",
    "InferenceResult",
    "KLPosteriorResult",
    "TrajectoryLaws",
    "control_as_inference",
    "kl_regularized_posterior",
    "trajectory_laws",
    "FiniteHorizonResult",
    "FiniteMDP",
    "LinearProgramResult",
    "PolicyEvaluationResult",
    "PolicyIterationResult",
    "backward_induction",
    "discounted_occupancy",
    "linear_programming",
    "policy_evaluation",
    "policy_iteration",
    "bellman_operator",
    "greedy_policy",
    "q_values",
    "ModifiedPolicyIterationResult",
    "ValueIterationResult",
    "modified_policy_iteration",
    "value_iteration",
    # learning from samples: data, coverage, exact finite-horizon quantities
    "ConcentrabilityResult",
    "EmpiricalModel",
    "FiniteHorizonEvaluationResult",
    "GenerativeSamples",
    "OfflineDataset",
    "collect",
    "concentrability",
    "data_distribution",
    "empirical_mdp",
    "finite_horizon_policy_evaluation",
    "generative_samples",
    "stage_occupancy",
    "ModelBasedPlanningResult",
    "QLearningResult",
    "model_based_planning",
    "synchronous_q_learning",
    "CramerRaoBound",
    "FittedQEvaluationResult",
    "MarginalizedISResult",
    "OffPolicyEstimate",
    "cramer_rao_bound",
    "doubly_robust",
    "exact_estimator_variance",
    "fitted_q_evaluation",
    "importance_sampling",
    "marginalized_importance_sampling",
    "per_decision_importance_sampling",
    "state_distribution_ratio",
    "weighted_importance_sampling",
    "PessimisticPlanningResult",
    "VILCBResult",
    "pessimistic_model_based",
    "vi_lcb",
    "BehaviorCloningResult",
    "behavior_cloning",
    "DemonstrationRegularizedResult",
    "demonstration_regularized_rl",
    "EdgeOfReachResult",
    "QVISolvabilityResult",
    "qvi_solvability",
    "rollout_value_learning",
    "RCSLPolicy",
    "RCSLValue",
    "rcsl_value",
    "return_conditioned_policy",
    "AverageRewardReductionResult",
    "average_reward_reduction",
]
