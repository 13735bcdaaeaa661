r"""The ``"continuing"`` problem kind for finite MDPs: average reward, one long run.

A :class:`~rltheory.tabular.FiniteMDP` with ``gamma = 1``, no terminal state
and no horizon (``mdp.criterion == "average_reward"``), or such a model
wrapped in :class:`~rltheory.tabular.NoisyRewards`, is a problem of the
continuing kind: ``simulate(mdp, agent, n_rounds=T, ...)`` runs a
:class:`~rltheory.simulation.ContinuingAgent` for ``T`` steps from a start
state drawn from ``mdp.initial_distribution`` (uniform over the states when the
model has none). The regret is measured against the optimal gain
:math:`g^*`, computed once per model by multichain policy iteration
(:func:`~rltheory.tabular.average_reward_policy_iteration`, exact policy
evaluation); a model whose optimal gain is not constant over the states has no
regret :math:`T g^*` and is refused.
"""

from __future__ import annotations

import weakref

import numpy as np

from rltheory.simulation import ContinuingAgent, ProblemKind, continuing_prepared, register_problem_kind
from rltheory.tabular._average_reward import average_reward_policy_iteration
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._noisy_rewards import NoisyRewards

__all__ = ["optimal_gain"]

_GAINS: weakref.WeakKeyDictionary[FiniteMDP, float] = weakref.WeakKeyDictionary()


def optimal_gain(mdp: FiniteMDP) -> float:
    r"""The constant optimal gain :math:`g^*` of an average-reward model (cached per model).

    By multichain policy iteration (Puterman 2005, Sec. 9.2); ``ValueError``
    when the optimal gain depends on the state (then :math:`T g^*` is not
    the benchmark of a single run).
    """
    hit = _GAINS.get(mdp)
    if hit is not None:
        return hit
    gain = np.asarray(average_reward_policy_iteration(mdp).gain, dtype=float)
    scale = max(1.0, float(np.max(np.abs(np.asarray(mdp.R)[np.asarray(mdp.action_mask)]))))
    if float(np.ptp(gain)) > 1e-9 * scale:
        raise ValueError(
            f"a continuing problem needs a constant optimal gain (e.g. a weakly communicating model); this one has "
            f"g* ranging over [{float(gain.min())!r}, {float(gain.max())!r}] across states"
        )
    _GAINS[mdp] = float(gain.mean())
    return _GAINS[mdp]


def _prepare(problem, agent, n_rounds):
    if isinstance(problem, NoisyRewards):
        mdp, rewards = problem.mdp, problem.noise
        description = "Bernoulli rewards with mean r(s, a), drawn on the environment stream before the transition"
    else:
        mdp, rewards = problem, "expected"
        description = "the expected reward r(s, a) of every step (no noise)"
    rho = mdp.initial_distribution
    if rho is None:
        rho = np.full(mdp.n_states, 1.0 / mdp.n_states)
    return continuing_prepared(
        P=mdp.dense_P,
        R=mdp.R,
        action_mask=mdp.action_mask,
        initial_distribution=rho,
        optimal_gain=optimal_gain(mdp),
        rewards=rewards,
        description=description,
    )


register_problem_kind(
    ProblemKind(
        name="continuing",
        problem_types=(FiniteMDP,),
        agent_base=ContinuingAgent,
        budget="n_rounds",
        prepare=_prepare,
        accepts=lambda mdp: mdp.criterion == "average_reward",
    )
)
register_problem_kind(
    ProblemKind(
        name="continuing",
        problem_types=(NoisyRewards,),
        agent_base=ContinuingAgent,
        budget="n_rounds",
        prepare=_prepare,
        accepts=lambda p: p.mdp.criterion == "average_reward",
    )
)
