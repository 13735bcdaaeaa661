r"""Two-player zero-sum episodic Markov games: the agent protocol of self-play learners and their engine driver.

An episode is ``H`` steps from a start state drawn from :math:`\rho`; at
step ``h`` in state ``s`` the two players choose ``(a, b)`` jointly from the
*correlated* policy :math:`\pi_h(\cdot, \cdot | s)` the learner planned (a
product policy :math:`\mu_h \otimes \nu_h` is a special case), the max
player receives :math:`r_h(s, a, b)` (the min player pays it) and the state
moves to :math:`s' \sim P_h(\cdot | s, a, b)`. A :class:`MarkovGameAgent`
controls both players (self-play) with three compiled functions over
explicit state:

* ``init(params, n_states, n_max_actions, n_min_actions, horizon) -> state``;
* ``plan(params, state, episode, policy, rng)``: at the start of episode
  ``episode`` (0-based) write the joint policy of the episode into
  ``policy``, shape ``(H, S, A, B)``, each ``policy[h, s]`` a distribution
  over joint actions;
* ``observe(params, state, h, s, a, b, reward, s_next, rng)`` after each step.

*What is measured.* The driver plays the planned policy and measures, on
the true model and exactly (backward induction, no sampling), the duality
gap of its marginals :math:`\mu_h(a|s) = \sum_b \pi_h(a,b|s)`,
:math:`\nu_h(b|s) = \sum_a \pi_h(a,b|s)`:

.. math::

    \mathrm{gap}_k = \rho^\top\big(V_1^{\dagger, \nu^k} - V_1^{\mu^k, \dagger}\big) \;\ge\; 0,
    \qquad \mathrm{Regret}(K) = \sum_{k \le K} \mathrm{gap}_k,

the regret of self-play in a zero-sum Markov game (Bai & Jin 2020, Sec. 2;
Liu, Yu, Bai & Jin 2021, Sec. 2), zero exactly when every episode plays a
Nash equilibrium. ``realized_regret`` is the max player's realized shortfall
from the game value, :math:`\sum_k (V_1^*(s_1^k) - \sum_h \gamma^{h-1}
r_h^k)` (an unbiased estimate of :math:`\sum_k \rho^\top V_1^* - V_1^{\pi_k}`;
it can be negative). ``pulls`` counts joint actions, index ``a * B + b``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit

from ._agent import Agent
from ._curves import RegretCurve
from ._rng import rng_categorical
from ._simulate import PreparedProblem

__all__ = ["MarkovGameAgent", "markov_game_gaps", "markov_game_prepared"]


@dataclass(frozen=True)
class MarkovGameAgent(Agent):
    """Base class of self-play agents for two-player zero-sum episodic Markov games (module docstring).

    Examples
    --------
    Both players uniform at every step, on a random game:

    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> from numba import njit
    >>> from rltheory.simulation import MarkovGameAgent, simulate
    >>> from rltheory.tabular.games import MarkovGame
    >>> @njit
    ... def uniform_init(params, n_states, n_max_actions, n_min_actions, horizon):
    ...     return np.zeros(1)
    >>> @njit
    ... def uniform_plan(params, state, episode, policy, rng):
    ...     policy[...] = 1.0 / (policy.shape[2] * policy.shape[3])
    >>> @njit
    ... def uniform_observe(params, state, h, s, a, b, reward, s_next, rng):
    ...     state[0] += 1.0
    >>> @dataclass(frozen=True)
    ... class UniformPlay(MarkovGameAgent):
    ...     name = "UniformPlay"
    ...     init = staticmethod(uniform_init)
    ...     plan = staticmethod(uniform_plan)
    ...     observe = staticmethod(uniform_observe)
    >>> rng = np.random.default_rng(0)
    >>> game = MarkovGame(rng.dirichlet(np.ones(3), size=(3, 2, 2)), rng.uniform(size=(3, 2, 2)), gamma=1.0, horizon=4)
    >>> curve = simulate(game, UniformPlay(), n_episodes=10, n_runs=2, checkpoints=2)
    >>> curve.unit, curve.pulls[:, -1].sum(axis=1).tolist()  # 10 episodes of 4 joint actions
    ('episodes', [40, 40])
    """

    name: ClassVar[str] = "MarkovGameAgent"
    kind: ClassVar[str] = "markov-game"
    slots: ClassVar[tuple[str, ...]] = ("init", "plan", "observe")
    init: ClassVar = None
    plan: ClassVar = None
    observe: ClassVar = None


@njit(cache=True)
def markov_game_gaps(P, R, stage, gamma, pol, Vup, Vlo):
    """Exact best-response values of the marginals of a joint policy ``pol`` (H, S, A, B).

    Writes ``Vup[h] = V_h^{dagger, nu}`` (the max player best-responds to the
    min player's marginal) and ``Vlo[h] = V_h^{mu, dagger}`` into ``(H + 1, S)``
    arrays by backward induction on ``P`` ``(G, S, A, B, S)``, ``R``
    ``(G, S, A, B)`` with ``stage`` mapping steps to ``G`` stages.
    """
    H, S, A, B = pol.shape
    for s in range(S):
        Vup[H, s] = 0.0
        Vlo[H, s] = 0.0
    mu = np.empty(A)
    nu = np.empty(B)
    for h in range(H - 1, -1, -1):
        g = stage[h]
        for s in range(S):
            for a in range(A):
                mu[a] = 0.0
            for b in range(B):
                nu[b] = 0.0
            for a in range(A):
                for b in range(B):
                    mu[a] += pol[h, s, a, b]
                    nu[b] += pol[h, s, a, b]
            best_up = -np.inf
            for a in range(A):
                acc = 0.0
                for b in range(B):
                    if nu[b] > 0.0:
                        q = R[g, s, a, b]
                        for t in range(S):
                            q += gamma * P[g, s, a, b, t] * Vup[h + 1, t]
                        acc += nu[b] * q
                if acc > best_up:
                    best_up = acc
            best_lo = np.inf
            for b in range(B):
                acc = 0.0
                for a in range(A):
                    if mu[a] > 0.0:
                        q = R[g, s, a, b]
                        for t in range(S):
                            q += gamma * P[g, s, a, b, t] * Vlo[h + 1, t]
                        acc += mu[a] * q
                if acc < best_lo:
                    best_lo = acc
            Vup[h, s] = best_up
            Vlo[h, s] = best_lo


@njit(cache=True)
def _checkpoint(c, times, k, reg, real, counts, o_reg, o_real, o_pulls):
    if c < times.shape[0] and k + 1 == times[c]:
        o_reg[c] = reg
        o_real[c] = real
        for j in range(counts.shape[0]):
            o_pulls[c, j] = counts[j]
        return c + 1
    return c


@njit(cache=True)
def markov_game_run(init, plan, observe, params, problem, budget, times, streams, outputs, r):
    """One run of a self-play agent; returns 0, or the episode whose joint policy was not a distribution."""
    P, cumP, R, stage, cum0, rho, vstar, gamma, env_stream, agent_stream = problem
    S, A, B = R.shape[1], R.shape[2], R.shape[3]
    H = stage.shape[0]
    env = streams[r, env_stream].copy()
    rng = env if agent_stream == env_stream else streams[r, agent_stream].copy()
    o_reg, o_real, o_pulls = outputs[0][r], outputs[1][r], outputs[2][r]
    state = init(params, S, A, B, H)
    pol = np.zeros((H, S, A, B))
    cum = np.zeros(A * B)
    Vup = np.zeros((H + 1, S))
    Vlo = np.zeros((H + 1, S))
    counts = np.zeros(A * B, dtype=np.int64)
    reg = 0.0
    real = 0.0
    c = 0
    for k in range(budget):
        plan(params, state, k, pol, rng)
        for h in range(H):
            for s in range(S):
                tot = 0.0
                for a in range(A):
                    for b in range(B):
                        if not (pol[h, s, a, b] >= 0.0):
                            return k + 1
                        tot += pol[h, s, a, b]
                if abs(tot - 1.0) > 1e-9:
                    return k + 1
        markov_game_gaps(P, R, stage, gamma, pol, Vup, Vlo)
        gap = 0.0
        for s in range(S):
            gap += rho[s] * (Vup[0, s] - Vlo[0, s])
        reg += gap
        s = rng_categorical(env, cum0)
        real += vstar[s]
        disc = 1.0
        for h in range(H):
            g = stage[h]
            acc = 0.0
            for a in range(A):
                for b in range(B):
                    acc += pol[h, s, a, b]
                    cum[a * B + b] = acc
            cum[A * B - 1] = max(cum[A * B - 1], 1.0)  # rounding: the last joint action closes the distribution
            j = rng_categorical(rng, cum)
            a = j // B
            b = j - a * B
            counts[j] += 1
            s2 = rng_categorical(env, cumP[g, s, a, b])
            x = R[g, s, a, b]
            real -= disc * x
            disc *= gamma
            observe(params, state, h, s, a, b, x, s2, rng)
            s = s2
        c = _checkpoint(c, times, k, reg, real, counts, o_reg, o_real, o_pulls)
    return 0


def markov_game_prepared(
    P, R, stage, gamma: float, initial_distribution, vstar, *, shared_stream: bool, rng_description: str
) -> PreparedProblem:
    """The :class:`PreparedProblem` of a zero-sum episodic Markov game given as arrays.

    ``P`` is ``(G, S, A, B, S)`` and ``R`` ``(G, S, A, B)`` for ``G`` distinct
    stages, ``stage`` ``(H,)`` maps each step to its stage, ``vstar`` is the
    game value :math:`V_1^*` ``(S,)`` (for the realized regret only).

    Examples
    --------
    A one-step matching-pennies game (value 0) from one state:

    >>> import numpy as np
    >>> from rltheory.simulation import markov_game_prepared
    >>> R = np.array([[[[1.0, -1.0], [-1.0, 1.0]]]])
    >>> prep = markov_game_prepared(np.ones((1, 1, 2, 2, 1)), R, np.zeros(1), 1.0, [1.0], np.zeros(1),
    ...                             shared_stream=False, rng_description="two streams per run")
    >>> prep.n_streams
    2
    """
    P = np.ascontiguousarray(P, dtype=np.float64)
    cumP = np.ascontiguousarray(np.cumsum(P, axis=4))
    rho = np.ascontiguousarray(initial_distribution, dtype=np.float64)
    A, B = P.shape[2], P.shape[3]
    arrays = (
        P,
        cumP,
        np.ascontiguousarray(R, dtype=np.float64),
        np.ascontiguousarray(stage, dtype=np.int64),
        np.cumsum(rho),
        rho,
        np.ascontiguousarray(vstar, dtype=np.float64),
        float(gamma),
        0,
        0 if shared_stream else 1,
    )

    def allocate(n_runs, n_checkpoints):
        return (
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints, A * B), dtype=np.int64),
        )

    def finish(times, outputs, run_start, metadata, confidence, interval):
        regret, realized, pulls = outputs
        return RegretCurve.from_runs(times, regret, realized, pulls, run_start, metadata, confidence, interval)

    return PreparedProblem(
        driver=markov_game_run,
        arrays=arrays,
        n_streams=1 if shared_stream else 2,
        allocate=allocate,
        bytes_per_checkpoint=8 * (2 + A * B),
        finish=finish,
        rng=rng_description,
        invalid_action="agent {agent!r} planned a joint policy that is not a probability distribution for {at} of "
        "run {run}",
    )
