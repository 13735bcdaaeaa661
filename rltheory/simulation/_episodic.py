r"""Episodic MDP agents and their engine driver, shared by every finite episodic problem.

An episode is ``H`` steps from a start state drawn from the initial
distribution :math:`\rho`, with stage-dependent transitions
:math:`P_h(\cdot|s, a)` and rewards :math:`r_h(s, a)` (a stage-homogeneous
problem repeats one stage). An :class:`EpisodicAgent` has three compiled
functions over explicit state:

* ``init(params, n_states, n_actions, horizon, features) -> state``, where
  ``features`` is the ``(S, A, d)`` array of a linear MDP (``d = 0`` for a
  tabular problem);
* ``plan(params, state, episode, policy, rng)``: at the start of episode
  ``episode`` (0-based), write the policy the agent will play in it into
  ``policy``: ``(H, S)`` int64 actions for a deterministic agent, or
  ``(H, S, A)`` probabilities when the class sets ``stochastic_policy = True``;
* ``observe(params, state, h, s, a, reward, s_next, rng)`` after each step.

An agent whose class sets ``value_estimates`` (``"upper"`` for optimistic
agents, ``"sample"`` for posterior-sampling ones, ``"estimate"`` for plug-in
ones) keeps, as ``state[0]``, the ``(H + 1, S)`` array of the values
:math:`V_{k,h}(s)` it planned episode :math:`k` with (``V[H] = 0``): harnesses
read it there, e.g. to check the optimism :math:`V_{k,h} \ge V^*_h` of a UCB
agent (:func:`rltheory.tabular.optimism_gaps`).

The kind is shared by every finite episodic problem: linear MDPs
(:class:`rltheory.linear.LinearMDP`, one stream per run) and finite MDPs with a
horizon (:class:`rltheory.tabular.FiniteMDP`, two streams per run).

The engine plays the planned policy (sampling actions from it on the agent's
stream when it is stochastic), so the policy of every episode is known
exactly and its regret is exact:
:math:`\rho^\top(V_1^* - V_1^{\pi_k})`, by backward induction on the true
model (no sampling error). This is the conditional expectation, given the
history up to the start of episode :math:`k`, of the pseudo-regret
:math:`V_1^*(s_1^k) - V_1^{\pi_k}(s_1^k)` of Azar et al. (2017) and Jin et al.
(2018) (:math:`s_1^k \sim \rho` is drawn independently of :math:`\pi_k`), so
the two regrets have the same expectation and the one recorded has the
smaller variance (the start-state noise is averaged out exactly).
``realized_regret`` is :math:`\sum_k V_1^*(s_1^k) - \sum_h r_h^k` with the
rewards the agent observed.

Rewards are the expected rewards :math:`r_h(s, a)` or, for a problem that
asks for it (``reward_noise="bernoulli"``), Bernoulli draws with those means,
drawn on the environment's stream right after the next state, so the
environment consumes the same uniforms whatever the agent does: agents run
with one seed share common random numbers. ``first_visit[s]`` records the
first episode (1-based) in which state ``s`` was visited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit

from .._validation import check_choice
from ._agent import Agent
from ._curves import RegretCurve
from ._rng import rng_categorical, rng_uniform
from ._simulate import PreparedProblem

__all__ = ["REWARD_NOISE", "EpisodicAgent", "episodic_prepared"]


@dataclass(frozen=True)
class EpisodicAgent(Agent):
    """Base class of agents for finite episodic MDPs (see the module docstring for the protocol).

    Examples
    --------
    A user agent that always plays action 0, on a random linear MDP:

    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> from numba import njit
    >>> from rltheory.linear import LinearMDP
    >>> from rltheory.simulation import EpisodicAgent, simulate
    >>> @njit
    ... def zero_init(params, n_states, n_actions, horizon, features):
    ...     return np.zeros(1)
    >>> @njit
    ... def zero_plan(params, state, episode, policy, rng):
    ...     policy[:, :] = 0
    >>> @njit
    ... def zero_observe(params, state, h, s, a, reward, s_next, rng):
    ...     state[0] += reward
    >>> @dataclass(frozen=True)
    ... class AlwaysZero(EpisodicAgent):
    ...     name = "AlwaysZero"
    ...     init = staticmethod(zero_init)
    ...     plan = staticmethod(zero_plan)
    ...     observe = staticmethod(zero_observe)
    >>> mdp = LinearMDP.random(4, 2, 3, horizon=5, rng=0)
    >>> curve = simulate(mdp, AlwaysZero(), n_episodes=20, n_runs=2, checkpoints=3)
    >>> curve.unit, curve.pulls[:, -1, 0].tolist()  # 20 episodes of 5 steps, all action 0
    ('episodes', [100, 100])
    """

    name: ClassVar[str] = "EpisodicAgent"
    kind: ClassVar[str] = "episodic"
    slots: ClassVar[tuple[str, ...]] = ("init", "plan", "observe")
    #: Whether ``plan`` writes action probabilities ``(H, S, A)`` instead of actions ``(H, S)``.
    stochastic_policy: ClassVar[bool] = False
    #: ``None``, or what ``state[0]`` (an ``(H + 1, S)`` array) holds after ``plan``: ``"upper"``, ``"sample"``
    #: or ``"estimate"`` values (see the module docstring).
    value_estimates: ClassVar[str | None] = None
    init: ClassVar = None
    plan: ClassVar = None
    observe: ClassVar = None


@njit(cache=True)
def _checkpoint(c, times, k, reg, real, counts, o_reg, o_real, o_pulls):
    if c < times.shape[0] and k + 1 == times[c]:
        o_reg[c] = reg
        o_real[c] = real
        for a in range(counts.shape[0]):
            o_pulls[c, a] = counts[a]
        return c + 1
    return c


@njit(cache=True, inline="always")
def _reward(env, mean, noise):
    """The observed reward: the mean, or (noise = 1) a Bernoulli(mean) draw on the environment's stream."""
    if noise == 1:
        return 1.0 if rng_uniform(env) < mean else 0.0
    return mean


@njit(cache=True, inline="always")
def _first(o_first, s, k):
    if o_first[s] == 0:
        o_first[s] = k + 1


@njit(cache=True)
def episodic_run(init, plan, observe, params, problem, budget, times, streams, outputs, r):
    """One run of a deterministic-policy agent; returns 0, or the episode whose policy had an invalid action."""
    phi, P, cumP, R, stage, cum0, rho, vstar, env_stream, agent_stream, noise = problem
    S, A = R.shape[1], R.shape[2]
    H = stage.shape[0]
    env = streams[r, env_stream].copy()
    rng = env if agent_stream == env_stream else streams[r, agent_stream].copy()
    o_reg, o_real, o_pulls, o_first = outputs[0][r], outputs[1][r], outputs[2][r], outputs[3][r]
    state = init(params, S, A, H, phi)
    pol = np.zeros((H, S), dtype=np.int64)
    Vpi = np.zeros(S)
    Vn = np.zeros(S)
    counts = np.zeros(A, dtype=np.int64)
    reg = 0.0
    real = 0.0
    c = 0
    for k in range(budget):
        plan(params, state, k, pol, rng)
        for h in range(H):
            for s in range(S):
                if pol[h, s] < 0 or pol[h, s] >= A:
                    return k + 1
        # exact regret of the planned policy: rho^T (V*_0 - V^pi_0), backward induction on the true model
        for s in range(S):
            Vn[s] = 0.0
        for h in range(H - 1, -1, -1):
            g = stage[h]
            for s in range(S):
                a = pol[h, s]
                acc = R[g, s, a]
                for t in range(S):
                    acc += P[g, s, a, t] * Vn[t]
                Vpi[s] = acc
            for s in range(S):
                Vn[s] = Vpi[s]
        gap = 0.0
        for s in range(S):
            gap += rho[s] * (vstar[s] - Vn[s])
        reg += gap
        # play the episode
        s = rng_categorical(env, cum0)
        _first(o_first, s, k)
        real += vstar[s]
        for h in range(H):
            g = stage[h]
            a = pol[h, s]
            counts[a] += 1
            s2 = rng_categorical(env, cumP[g, s, a])
            x = _reward(env, R[g, s, a], noise)
            _first(o_first, s2, k)
            real -= x
            observe(params, state, h, s, a, x, s2, rng)
            s = s2
        c = _checkpoint(c, times, k, reg, real, counts, o_reg, o_real, o_pulls)
    return 0


@njit(cache=True)
def episodic_run_stochastic(init, plan, observe, params, problem, budget, times, streams, outputs, r):
    """One run of a stochastic-policy agent; returns 0, or the episode whose policy was not a distribution."""
    phi, P, cumP, R, stage, cum0, rho, vstar, env_stream, agent_stream, noise = problem
    S, A = R.shape[1], R.shape[2]
    H = stage.shape[0]
    env = streams[r, env_stream].copy()
    rng = env if agent_stream == env_stream else streams[r, agent_stream].copy()
    o_reg, o_real, o_pulls, o_first = outputs[0][r], outputs[1][r], outputs[2][r], outputs[3][r]
    state = init(params, S, A, H, phi)
    pol = np.zeros((H, S, A))
    cum_pol = np.zeros(A)
    Vpi = np.zeros(S)
    Vn = np.zeros(S)
    counts = np.zeros(A, dtype=np.int64)
    reg = 0.0
    real = 0.0
    c = 0
    for k in range(budget):
        plan(params, state, k, pol, rng)
        for h in range(H):
            for s in range(S):
                tot = 0.0
                for a in range(A):
                    if not (pol[h, s, a] >= 0.0):
                        return k + 1
                    tot += pol[h, s, a]
                if abs(tot - 1.0) > 1e-9:
                    return k + 1
        for s in range(S):
            Vn[s] = 0.0
        for h in range(H - 1, -1, -1):
            g = stage[h]
            for s in range(S):
                v = 0.0
                for a in range(A):
                    p = pol[h, s, a]
                    if p > 0.0:
                        acc = R[g, s, a]
                        for t in range(S):
                            acc += P[g, s, a, t] * Vn[t]
                        v += p * acc
                Vpi[s] = v
            for s in range(S):
                Vn[s] = Vpi[s]
        gap = 0.0
        for s in range(S):
            gap += rho[s] * (vstar[s] - Vn[s])
        reg += gap
        s = rng_categorical(env, cum0)
        _first(o_first, s, k)
        real += vstar[s]
        for h in range(H):
            g = stage[h]
            acc = 0.0
            for a in range(A):
                acc += pol[h, s, a]
                cum_pol[a] = acc
            cum_pol[A - 1] = max(cum_pol[A - 1], 1.0)  # rounding: the last action closes the distribution
            a = rng_categorical(rng, cum_pol)
            counts[a] += 1
            s2 = rng_categorical(env, cumP[g, s, a])
            x = _reward(env, R[g, s, a], noise)
            _first(o_first, s2, k)
            real -= x
            observe(params, state, h, s, a, x, s2, rng)
            s = s2
        c = _checkpoint(c, times, k, reg, real, counts, o_reg, o_real, o_pulls)
    return 0


#: Reward models of :func:`episodic_prepared`: what the agent observes after playing ``a`` in ``s``.
REWARD_NOISE = ("none", "bernoulli")


def episodic_prepared(
    agent,
    *,
    features,
    P,
    R,
    stage,
    initial_distribution,
    vstar,
    shared_stream: bool,
    rng_description: str,
    reward_noise: str = "none",
) -> PreparedProblem:
    """The :class:`PreparedProblem` of an episodic problem given as arrays.

    ``P`` is ``(G, S, A, S)`` and ``R`` ``(G, S, A)`` for ``G`` distinct
    stages, ``stage`` ``(H,)`` maps each step to its stage, ``vstar`` is
    :math:`V_1^*` ``(S,)``. With ``shared_stream`` the environment and the
    agent draw from one stream per run (one stream in all); otherwise from two
    (stream 0 the environment's, stream 1 the agent's). ``reward_noise``:
    ``"none"`` (the agent observes :math:`r_h(s, a)`) or ``"bernoulli"``
    (a Bernoulli draw with that mean, which must lie in [0, 1]).

    A subpackage that defines an episodic problem calls this from the
    ``prepare`` of its :func:`register_problem_kind` registration.

    Examples
    --------
    One stage, two states, one action, horizon 2:

    >>> import numpy as np
    >>> from rltheory.simulation import EpisodicAgent, episodic_prepared
    >>> P = np.array([[[[0.5, 0.5]], [[0.0, 1.0]]]])
    >>> prep = episodic_prepared(EpisodicAgent, features=np.eye(2), P=P, R=np.ones((1, 2, 1)),
    ...                          stage=np.zeros(2), initial_distribution=[1.0, 0.0], vstar=np.full(2, 2.0),
    ...                          shared_stream=False, rng_description="two streams per run")
    >>> prep.n_streams, prep.bytes_per_checkpoint
    (2, 24)
    """
    check_choice("reward_noise", reward_noise, REWARD_NOISE)
    P = np.ascontiguousarray(P, dtype=np.float64)
    cumP = np.ascontiguousarray(np.cumsum(P, axis=3))
    rho = np.ascontiguousarray(initial_distribution, dtype=np.float64)
    A = P.shape[2]
    arrays = (
        np.ascontiguousarray(features, dtype=np.float64),
        P,
        cumP,
        np.ascontiguousarray(R, dtype=np.float64),
        np.ascontiguousarray(stage, dtype=np.int64),
        np.cumsum(rho),
        rho,
        np.ascontiguousarray(vstar, dtype=np.float64),
        0,
        0 if shared_stream else 1,
        REWARD_NOISE.index(reward_noise),
    )
    S = P.shape[1]

    def allocate(n_runs, n_checkpoints):
        return (
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints, A), dtype=np.int64),
            np.zeros((n_runs, S), dtype=np.int64),
        )

    def finish(times, outputs, run_start, metadata, confidence, interval):
        regret, realized, pulls, first_visit = outputs
        return RegretCurve.from_runs(
            times, regret, realized, pulls, run_start, metadata, confidence, interval, first_visit=first_visit
        )

    stochastic = bool(getattr(type(agent), "stochastic_policy", False))
    what = "a policy that is not a probability distribution" if stochastic else f"an action outside [0, {A})"
    return PreparedProblem(
        driver=episodic_run_stochastic if stochastic else episodic_run,
        arrays=arrays,
        n_streams=1 if shared_stream else 2,
        allocate=allocate,
        bytes_per_checkpoint=8 * (2 + A),
        finish=finish,
        rng=rng_description,
        invalid_action="agent {agent!r} planned " + what + " for {at} of run {run}",
        bytes_per_run=8 * S,
        metadata={
            "horizon": int(np.shape(stage)[0]),
            "rewards": "expected r_h(s, a)"
            if reward_noise == "none"
            else "Bernoulli(r_h(s, a)), drawn on the environment's stream after the next state",
        },
    )
