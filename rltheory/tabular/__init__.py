"""Finite MDPs: the model, exact dynamic programming, and environments.

Every solver is a free function that takes a validated :class:`FiniteMDP`
and returns a frozen result dataclass.

Learning: a ``FiniteMDP`` with ``horizon=H``, ``gamma=1`` and an initial
distribution is a problem of the ``"episodic"`` kind of
:func:`rltheory.simulation.simulate` (:class:`BernoulliRewards` observes its
rewards with Bernoulli noise); the compiled episodic learners are
:class:`UCBVI`, :class:`QLearningUCB`, :class:`PSRL`, :class:`RLSVI`,
:class:`MVP` and the baselines :class:`GreedyCertaintyEquivalence` and
:class:`EpsilonGreedyQ`.
"""

from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._episodic_kind import BernoulliRewards
from rltheory.tabular._ucbvi import UCBVI
from rltheory.tabular._qlearning_ucb import EpsilonGreedyQ, QLearningUCB
from rltheory.tabular._psrl import PSRL, GreedyCertaintyEquivalence
from rltheory.tabular._rlsvi import RLSVI
from rltheory.tabular._mvp import MVP, max_episode_return
from rltheory.tabular._optimism import OptimismTrace, optimism_gaps
from rltheory.tabular._regret_bounds import (
    episodic_lower_bound,
    psrl_regret_bound,
    qlearning_regret_bound,
    ucbvi_regret_bound,
)
from rltheory.tabular._operators import bellman_operator, greedy_policy, q_values
from rltheory.tabular._policy_evaluation import PolicyEvaluationResult, discounted_occupancy, policy_evaluation
from rltheory.tabular._policy_iteration import PolicyIterationResult, policy_iteration
from rltheory.tabular._finite_horizon import FiniteHorizonResult, backward_induction
from rltheory.tabular._linear_programming import LinearProgramResult, linear_programming
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
from rltheory.tabular._error_propagation import ErrorPropagationResult, error_propagation_experiment
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
from rltheory.tabular._inference import (
    InferenceResult,
    KLPosteriorResult,
    TrajectoryLaws,
    control_as_inference,
    kl_regularized_posterior,
    trajectory_laws,
)
from rltheory.tabular._value_iteration import (
    ModifiedPolicyIterationResult,
    ValueIterationResult,
    modified_policy_iteration,
    value_iteration,
)

__all__ = [
    "BernoulliRewards",
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
]
