r"""Continuing (average-reward) agents and their engine driver: one long run, no reset.

A problem of the ``"continuing"`` kind is a finite MDP run for ``T`` rounds
(``simulate(..., n_rounds=T)``) from a start state drawn from its initial
distribution, one decision per round and no episodes imposed by the
environment (an agent may cut its own episodes, as UCRL2 and TSDE do). A
:class:`ContinuingAgent` has three compiled functions over explicit state:

* ``init(params, n_states, n_actions) -> state``;
* ``act(params, state, t, s, rng) -> a``: the action in state ``s`` at round
  ``t`` (0-based);
* ``observe(params, state, t, s, a, reward, s_next, rng)`` after the step.

Regret (Jaksch, Ortner & Auer 2010, Sec. 1) is measured against the optimal
gain :math:`g^*` of the true model (constant: the model must have one, e.g.
be weakly communicating):

* ``regret``: the pseudo-regret :math:`\sum_{t<T} \big(g^* - r(s_t, a_t)\big)`
  with the *expected* reward of each pair played;
* ``realized_regret``: :math:`T g^* - \sum_{t<T} r_t`, the regret of Jaksch et
  al., with the rewards observed (equal to the pseudo-regret when the rewards
  are their expectations, the default; different under reward noise).

Each run owns two xoshiro256++ streams: the environment's (start state,
transitions, reward noise) and the agent's (its own randomisation), so agents
compared on one seed share the environment's random numbers as long as their
trajectories agree. Memory is ``O(n_runs x checkpoints x A)``: nothing of
size ``T`` is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit

from ._agent import Agent
from ._curves import RegretCurve
from ._rng import rng_categorical, rng_uniform
from ._simulate import PreparedProblem

__all__ = ["ContinuingAgent", "continuing_prepared"]

#: Reward models of the continuing driver: the expected reward, or a Bernoulli draw with that mean.
REWARD_MODELS = ("expected", "bernoulli")


@dataclass(frozen=True)
class ContinuingAgent(Agent):
    """Base class of agents for continuing (average-reward) MDPs (see the module docstring for the protocol).

    Examples
    --------
    A user agent that alternates its two actions, on a two-state average-reward MDP:

    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> from numba import njit
    >>> from rltheory.simulation import ContinuingAgent, simulate
    >>> from rltheory.tabular import FiniteMDP
    >>> @njit
    ... def alt_init(params, n_states, n_actions):
    ...     return np.zeros(1)
    >>> @njit
    ... def alt_act(params, state, t, s, rng):
    ...     return t % 2
    >>> @njit
    ... def alt_observe(params, state, t, s, a, reward, s_next, rng):
    ...     state[0] += reward
    >>> @dataclass(frozen=True)
    ... class Alternate(ContinuingAgent):
    ...     name = "Alternate"
    ...     init = staticmethod(alt_init)
    ...     act = staticmethod(alt_act)
    ...     observe = staticmethod(alt_observe)
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])  # action a moves to state a
    >>> mdp = FiniteMDP(P, np.array([[0.0, 0.5], [0.0, 1.0]]), gamma=1.0)  # g* = 1: stay in 1 playing 1
    >>> curve = simulate(mdp, Alternate(), n_rounds=100, n_runs=2, checkpoints=2)
    >>> curve.unit, curve.pulls[:, -1].tolist(), curve.metadata["optimal_gain"]
    ('rounds', [[50, 50], [50, 50]], 1.0)
    """

    name: ClassVar[str] = "ContinuingAgent"
    kind: ClassVar[str] = "continuing"
    slots: ClassVar[tuple[str, ...]] = ("init", "act", "observe")
    init: ClassVar = None
    act: ClassVar = None
    observe: ClassVar = None


@njit(cache=True)
def continuing_run(init, act, observe, params, problem, budget, times, streams, outputs, r):
    """One run; returns 0, or the (1-based) round at which the agent chose an invalid or disallowed action."""
    cumP, R, allowed, cum0, gstar, noise = problem
    S, A = R.shape[0], R.shape[1]
    env = streams[r, 0].copy()
    rng = streams[r, 1].copy()
    o_reg, o_real, o_pulls = outputs[0][r], outputs[1][r], outputs[2][r]
    state = init(params, S, A)
    counts = np.zeros(A, dtype=np.int64)
    pseudo = 0.0
    realized = 0.0
    c = 0
    n_ckpt = times.shape[0]
    s = rng_categorical(env, cum0)
    for t in range(budget):
        a = act(params, state, t, s, rng)
        if a < 0 or a >= A or not allowed[s, a]:
            return t + 1
        mean = R[s, a]
        x = mean
        if noise == 1:  # Bernoulli reward with mean r(s, a), drawn before the transition on the environment stream
            x = 1.0 if rng_uniform(env) < mean else 0.0
        s2 = rng_categorical(env, cumP[s, a])
        pseudo += gstar - mean
        realized += gstar - x
        counts[a] += 1
        observe(params, state, t, s, a, x, s2, rng)
        s = s2
        if c < n_ckpt and t + 1 == times[c]:
            o_reg[c] = pseudo
            o_real[c] = realized
            for k in range(A):
                o_pulls[c, k] = counts[k]
            c += 1
    return 0


def continuing_prepared(
    *, P, R, action_mask, initial_distribution, optimal_gain: float, rewards: str, description: str
) -> PreparedProblem:
    """The :class:`PreparedProblem` of a continuing problem given as arrays.

    ``P`` is the dense ``(S, A, S)`` transition tensor, ``R`` the ``(S, A)``
    expected rewards, ``action_mask`` the ``(S, A)`` allowed actions,
    ``initial_distribution`` the ``(S,)`` law of the start state,
    ``optimal_gain`` the constant optimal gain :math:`g^*` and ``rewards`` one
    of :data:`REWARD_MODELS`. The curve's metadata records ``optimal_gain``,
    ``rewards`` and ``description`` (how the rewards are generated).

    A subpackage that defines a continuing problem calls this from the
    ``prepare`` of its :func:`register_problem_kind` registration.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.simulation import continuing_prepared
    >>> prep = continuing_prepared(P=np.full((2, 1, 2), 0.5), R=np.full((2, 1), 0.5),
    ...                            action_mask=np.ones((2, 1), bool), initial_distribution=[0.5, 0.5],
    ...                            optimal_gain=0.5, rewards="bernoulli",
    ...                            description="Bernoulli(R[s, a]) rewards")
    >>> prep.n_streams, prep.arrays[4]
    (2, 0.5)
    """
    if rewards not in REWARD_MODELS:
        raise ValueError(f"rewards = {rewards!r}; expected one of {REWARD_MODELS}")
    P = np.ascontiguousarray(P, dtype=np.float64)
    cumP = np.cumsum(P, axis=2)
    cumP[:, :, -1] = np.maximum(cumP[:, :, -1], 1.0)  # rounding: the last state closes every row
    rho = np.ascontiguousarray(initial_distribution, dtype=np.float64)
    cum0 = np.cumsum(rho)
    cum0[-1] = max(cum0[-1], 1.0)
    A = P.shape[1]
    gstar = float(optimal_gain)
    arrays = (
        np.ascontiguousarray(cumP),
        np.ascontiguousarray(R, dtype=np.float64),
        np.ascontiguousarray(action_mask, dtype=np.bool_),
        cum0,
        gstar,
        1 if rewards == "bernoulli" else 0,
    )

    def allocate(n_runs, n_checkpoints):
        return (
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints, A), dtype=np.int64),
        )

    def finish(times, outputs, run_start, metadata, confidence, interval):
        regret, realized, pulls = outputs
        metadata = dict(metadata, optimal_gain=gstar, rewards=rewards, reward_model=description)
        return RegretCurve.from_runs(times, regret, realized, pulls, run_start, metadata, confidence, interval)

    return PreparedProblem(
        driver=continuing_run,
        arrays=arrays,
        n_streams=2,
        allocate=allocate,
        bytes_per_checkpoint=8 * (2 + A),
        finish=finish,
        rng="two xoshiro256++ streams per run seeded by SeedSequence(seed, spawn_key=(run,)): the environment's "
        "(start state, reward noise, transitions) and the agent's",
        invalid_action=f"agent {{agent!r}} chose an action outside [0, {A}) or disallowed by the action mask at {{at}} "
        "of run {run}",
    )
