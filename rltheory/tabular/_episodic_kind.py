r"""Finite MDPs with a horizon as problems of the ``"episodic"`` kind of :func:`rltheory.simulation.simulate`.

A :class:`~rltheory.tabular.FiniteMDP` built with ``horizon=H``, ``gamma=1``
and an ``initial_distribution`` :math:`\rho` is an episodic problem: an
episode is :math:`H` steps from :math:`s_1 \sim \rho` under the
stage-homogeneous kernel :math:`P` (the engine's ``stage`` array is all
zeros: every step uses the same :math:`P` and :math:`r`). Agents are
:class:`~rltheory.simulation.EpisodicAgent` s (see :mod:`rltheory.tabular`
for the built-in learners); their regret
:math:`\sum_k \rho^\top(V_1^* - V_1^{\pi_k})` is exact (:math:`V^*` by
:func:`~rltheory.tabular.backward_induction`, :math:`V^{\pi_k}` by backward
induction of the planned policy on the true model), and so is the realized
regret :math:`\sum_k V_1^*(s_1^k) - \sum_h r_h^k`.

Rewards: the agent observes the expected reward :math:`r(s, a)` (default),
or, for :class:`~rltheory.tabular.NoisyRewards` ``(mdp)`` (the one reward-noise wrapper, shared with
the continuing kind), a Bernoulli draw with mean
:math:`r(s, a) \in [0, 1]`. The noise model is a property of the *problem*
(the same MDP with another observation model is another problem, with its
own spec and its own experiments' hashes) rather than an option of
``simulate``, so the reproduction runner and the curve metadata
(``metadata["rewards"]``) state it without any new argument anywhere.

Two xoshiro256++ streams per run: stream 0 is the environment's (start
states, next states, reward noise: one uniform per draw whatever the agent
does), stream 1 the agent's (its own randomness and, for a stochastic
policy, its sampled actions). Agents compared on one seed therefore face the
same environment uniforms (common random numbers).

Examples
--------
A user's tabular agent is written like a bandit policy: jitted ``init`` /
``plan`` / ``observe`` over explicit state arrays, compiled into the engine
like the built-in ones. This one plays, in every state, the action with the
best mean observed reward so far (untried actions first):

>>> import numpy as np
>>> from dataclasses import dataclass
>>> from numba import njit
>>> from rltheory.simulation import EpisodicAgent, simulate
>>> from rltheory.tabular import FiniteMDP
>>> @njit
... def greedy_init(params, n_states, n_actions, horizon, features):
...     return (np.zeros((n_states, n_actions)), np.zeros((n_states, n_actions)))  # counts, reward sums
>>> @njit
... def greedy_plan(params, state, episode, policy, rng):
...     n, total = state
...     for s in range(n.shape[0]):
...         best, arg = -1.0, 0
...         for a in range(n.shape[1]):
...             score = np.inf if n[s, a] == 0 else total[s, a] / n[s, a]
...             if score > best:
...                 best, arg = score, a
...         policy[:, s] = arg
>>> @njit
... def greedy_observe(params, state, h, s, a, reward, s_next, rng):
...     state[0][s, a] += 1.0
...     state[1][s, a] += reward
>>> @dataclass(frozen=True)
... class MyopicGreedy(EpisodicAgent):
...     name = "MyopicGreedy"
...     init = staticmethod(greedy_init)
...     plan = staticmethod(greedy_plan)
...     observe = staticmethod(greedy_observe)
>>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.3, 0.6]]), gamma=1.0, horizon=2, initial_distribution=[1.0])
>>> curve = simulate(mdp, MyopicGreedy(), n_episodes=10, n_runs=2, checkpoints=[10])
>>> curve.pulls[:, -1].tolist(), curve.regret[:, -1].tolist()  # one episode of action 0, then action 1
([[2, 18], [2, 18]], [0.6, 0.6])
"""

from __future__ import annotations

import numpy as np

from rltheory.simulation import EpisodicAgent, ProblemKind, episodic_prepared, register_problem_kind
from rltheory.tabular._finite_horizon import backward_induction
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._noisy_rewards import NoisyRewards

__all__ = ["episodic_mdp", "is_episodic", "require_unit_rewards"]

_RNG = (
    "two xoshiro256++ streams per run, seeded by SeedSequence(seed, spawn_key=(run,)): stream 0 the environment's "
    "(start state, next states, reward noise), stream 1 the agent's (its randomness, its sampled actions)"
)


def require_unit_rewards(mdp: FiniteMDP, who: str, *, why: str = "its bonuses assume rewards in [0, 1]") -> None:
    """``ValueError`` naming ``who`` and the first offending entry unless every ``mdp.R[s, a]`` is in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> require_unit_rewards(FiniteMDP(np.ones((1, 1, 1)), np.array([[-0.5]]), gamma=1.0, horizon=1), "UCBVI")
    Traceback (most recent call last):
    ...
    ValueError: UCBVI: its bonuses assume rewards in [0, 1]; mdp.R[0, 0] = -0.5
    """
    R = np.asarray(mdp.R)
    bad = (R < 0.0) | (R > 1.0)
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{who}: {why}; mdp.R[{s}, {a}] = {float(R[s, a])!r}")


def is_episodic(problem) -> bool:
    """Whether ``problem`` (a FiniteMDP or a NoisyRewards) has a horizon, i.e. belongs to the episodic kind.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> is_episodic(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0, horizon=3))
    True
    >>> is_episodic(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.9))
    False
    """
    mdp = problem.mdp if isinstance(problem, NoisyRewards) else problem
    return isinstance(mdp, FiniteMDP) and mdp.horizon is not None


def episodic_mdp(problem, who: str = "simulate") -> tuple[FiniteMDP, str]:
    """``(mdp, reward_noise)`` of an episodic problem, checked: horizon, ``gamma = 1``, a start distribution, no masks.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> episodic_mdp(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0, horizon=3), "UCBVI")
    Traceback (most recent call last):
    ...
    ValueError: UCBVI: an episodic FiniteMDP needs initial_distribution= (the law of the start state s_1)
    """
    noise = problem.noise if isinstance(problem, NoisyRewards) else "none"
    mdp = problem.mdp if isinstance(problem, NoisyRewards) else problem
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"{who}: expected a FiniteMDP or a NoisyRewards, got {type(problem).__name__}")
    if mdp.horizon is None:
        raise ValueError(f"{who}: an episodic agent needs a FiniteMDP with a horizon (FiniteMDP(..., horizon=H))")
    if mdp.gamma != 1.0:
        raise ValueError(
            f"{who}: episodic learners maximise the undiscounted H-step return; build the model with gamma=1.0 "
            f"(got gamma={mdp.gamma!r})"
        )
    if mdp.initial_distribution is None:
        raise ValueError(f"{who}: an episodic FiniteMDP needs initial_distribution= (the law of the start state s_1)")
    if not bool(np.asarray(mdp.action_mask).all()):
        raise ValueError(f"{who}: episodic agents play every action in every state; this FiniteMDP masks some actions")
    return mdp, noise


def _prepare(problem, agent, n_episodes: int):
    mdp, noise = episodic_mdp(problem, "simulate")
    S, A = mdp.n_states, mdp.n_actions
    return episodic_prepared(
        agent,
        features=np.zeros((S, A, 0)),
        P=np.asarray(mdp.dense_P)[None],
        R=np.asarray(mdp.R)[None],
        stage=np.zeros(mdp.horizon, dtype=np.int64),
        initial_distribution=mdp.initial_distribution,
        vstar=backward_induction(mdp).v[0],
        shared_stream=False,
        rng_description=_RNG,
        reward_noise=noise,
    )


register_problem_kind(
    ProblemKind(
        name="episodic",
        problem_types=(FiniteMDP, NoisyRewards),
        agent_base=EpisodicAgent,
        budget="n_episodes",
        prepare=_prepare,
        accepts=is_episodic,
    )
)
