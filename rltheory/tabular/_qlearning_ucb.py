r"""Q-learning with UCB exploration (Jin, Allen-Zhu, Bubeck & Jordan 2018) and epsilon-greedy Q-learning, compiled.

Both keep stage-dependent tables :math:`Q_h(s, a)` and counts :math:`N_h(s, a)`
and, after step :math:`h` of an episode with :math:`t = N_h(s, a)` (after the
increment) and learning rate :math:`\alpha_t = (H + 1)/(H + t)`
(Jin et al. 2018, Sec. 3, Algorithm 1 line 7):

.. math::

    Q_h(s, a) \leftarrow (1 - \alpha_t) Q_h(s, a) + \alpha_t\big[r + V_{h+1}(s') + b_t\big],\qquad
    V_h(s) \leftarrow \min\big(H, \max_a Q_h(s, a)\big).

:math:`Q_h` changes only at step :math:`h`, after the action of step
:math:`h` was chosen, so the greedy policy :math:`\arg\max_a Q_h(s, a)` of
every later step :math:`h' > h` of the same episode is the one at the start
of the episode: ``plan`` writes it once per episode and the engine's regret
is exactly that of the policy the algorithm plays.

Bonuses (:math:`\iota = \ln(SAT/p)`, :math:`T = KH`):

* UCB-Hoeffding (Algorithm 1): :math:`b_t = c\sqrt{H^3\iota/t}`. Theorem 1
  holds for "some absolute constant :math:`c`"; we take :math:`c = 2`, the
  constant of the Azuma-Hoeffding step in the proof of their Lemma 4.3
  (:math:`\sum_i (\alpha_t^i)^2 \le 2H/t`, increments bounded by :math:`H`).
* UCB-Bernstein (Algorithm 2): :math:`\beta_t = \min\{c_1(\sqrt{\tfrac{H}{t}(W_t + H)\iota} +
\tfrac{\sqrt{H^7SA}\,\iota}{t}),\ c_2\sqrt{H^3\iota/t}\}`
  and :math:`b_t = (\beta_t - (1 - \alpha_t)\beta_{t-1})/(2\alpha_t)`, where
  :math:`W_t` is the empirical variance of the :math:`t` observed
  :math:`V_{h+1}(s')` (each at the time of its visit); we take
  :math:`c_1 = c_2 = 2` (the paper's constants are unspecified absolute
  constants).

``state[0]`` is the :math:`(H+1, S)` array :math:`V` (optimistic for the UCB
variants: :math:`Q^k_h \ge Q^*_h` with probability :math:`1 - p`, their
Lemma 4.3 / C.7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from rltheory._validation import check_choice, check_probability, check_real
from rltheory.simulation import EpisodicAgent
from rltheory.tabular._episodic_kind import episodic_mdp, require_unit_rewards

__all__ = ["EpsilonGreedyQ", "QLearningUCB"]


class _QParams(NamedTuple):
    horizon: float
    iota: float
    bernstein: bool
    c: float
    c1: float
    c2: float
    sqrt_h7sa: float
    bonus_scale: float
    initial_value: float
    epsilon: float


@njit(cache=True)
def _q_init(params, n_states, n_actions, horizon, features):
    V = np.zeros((horizon + 1, n_states))
    V[:horizon] = min(params.initial_value, params.horizon)
    Q = np.full((horizon, n_states, n_actions), params.initial_value)
    N = np.zeros((horizon, n_states, n_actions))
    Vsum = np.zeros((horizon, n_states, n_actions))
    Vsq = np.zeros((horizon, n_states, n_actions))
    beta = np.zeros((horizon, n_states, n_actions))
    return (V, Q, N, Vsum, Vsq, beta)


@njit(cache=True)
def _q_observe(params, state, h, s, a, r, s2, rng):
    V, Q, N, Vsum, Vsq, beta = state
    Hf = params.horizon
    N[h, s, a] += 1.0
    t = N[h, s, a]
    alpha = (Hf + 1.0) / (Hf + t)  # Jin et al. (2018), eq. (3)
    vn = V[h + 1, s2]
    b = 0.0
    if params.c > 0.0:
        if params.bernstein:
            Vsum[h, s, a] += vn
            Vsq[h, s, a] += vn * vn
            mean = Vsum[h, s, a] / t
            W = max(Vsq[h, s, a] / t - mean * mean, 0.0)
            # Jin et al. (2018), Algorithm 2, lines 8-9
            bt = min(
                params.c1 * (math.sqrt(Hf / t * (W + Hf) * params.iota) + params.sqrt_h7sa * params.iota / t),
                params.c2 * math.sqrt(Hf * Hf * Hf * params.iota / t),
            )
            b = (bt - (1.0 - alpha) * beta[h, s, a]) / (2.0 * alpha)
            beta[h, s, a] = bt
        else:
            # Jin et al. (2018), Algorithm 1, line 6: b_t = c sqrt(H^3 iota / t)
            b = params.c * math.sqrt(Hf * Hf * Hf * params.iota / t)
    Q[h, s, a] = (1.0 - alpha) * Q[h, s, a] + alpha * (r + vn + params.bonus_scale * b)
    best = Q[h, s, 0]
    for aa in range(1, Q.shape[2]):
        if Q[h, s, aa] > best:
            best = Q[h, s, aa]
    V[h, s] = min(Hf, best)


@njit(cache=True)
def _q_greedy_plan(params, state, episode, policy, rng):
    Q = state[1]
    H, S, A = Q.shape
    for h in range(H):
        for s in range(S):
            arg = 0
            best = Q[h, s, 0]
            for a in range(1, A):
                if Q[h, s, a] > best:
                    best = Q[h, s, a]
                    arg = a
            policy[h, s] = arg


@njit(cache=True)
def _q_epsilon_plan(params, state, episode, policy, rng):
    Q = state[1]
    H, S, A = Q.shape
    eps = params.epsilon
    for h in range(H):
        for s in range(S):
            arg = 0
            best = Q[h, s, 0]
            for a in range(1, A):
                if Q[h, s, a] > best:
                    best = Q[h, s, a]
                    arg = a
            for a in range(A):
                policy[h, s, a] = eps / A
            policy[h, s, arg] += 1.0 - eps


def _iota(mdp, budget, delta):
    return math.log(mdp.n_states * mdp.n_actions * budget * mdp.horizon / delta)


@dataclass(frozen=True)
class QLearningUCB(EpisodicAgent):
    r"""Q-learning with UCB-Hoeffding or UCB-Bernstein bonuses (Jin, Allen-Zhu, Bubeck & Jordan 2018).

    See :mod:`rltheory.tabular._qlearning_ucb` for the update. Initial
    :math:`Q_h = H`. Regret with probability :math:`1 - p` (their Theorems 1
    and 2): :math:`O(\sqrt{H^4SAT\iota})` (Hoeffding) and
    :math:`O(\sqrt{H^3SAT\iota} + \sqrt{H^9S^3A^3}\,\iota^2)` (Bernstein), with
    unspecified absolute constants (:func:`~rltheory.tabular.qlearning_regret_bound`).

    Parameters
    ----------
    bonus : {"hoeffding", "bernstein"}
    delta : float in (0, 1)
        The theorems' failure probability :math:`p`.
    c : float > 0
        The bonus constant (Hoeffding :math:`c`; Bernstein :math:`c_1 = c_2 = c`).
    bonus_scale : float >= 0
        Multiplies the bonus (experiments only).

    References
    ----------
    C. Jin, Z. Allen-Zhu, S. Bubeck and M. I. Jordan, "Is Q-learning provably
    efficient?", NeurIPS 2018 (arXiv:1807.03765).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, QLearningUCB
    >>> from rltheory.tabular.envs import garnet
    >>> from rltheory.simulation import simulate
    >>> g = garnet(5, 2, 2, rng=0)
    >>> mdp = FiniteMDP(g.P, g.R, gamma=1.0, horizon=4, initial_distribution=np.full(5, 0.2))
    >>> simulate(mdp, QLearningUCB(), n_episodes=100, n_runs=2, checkpoints=2).regret.shape
    (2, 2)
    """

    bonus: str = "hoeffding"
    delta: float = 0.1
    c: float = 2.0
    bonus_scale: float = 1.0

    name: ClassVar[str] = "QLearningUCB"
    value_estimates: ClassVar[str] = "upper"
    Params: ClassVar = _QParams
    init: ClassVar = staticmethod(_q_init)
    plan: ClassVar = staticmethod(_q_greedy_plan)
    observe: ClassVar = staticmethod(_q_observe)

    def __post_init__(self):
        check_choice("bonus", self.bonus, ("hoeffding", "bernstein"))
        object.__setattr__(self, "delta", check_probability("delta", self.delta))
        object.__setattr__(self, "c", check_real("c", self.c, low=0.0, low_open=True))
        object.__setattr__(self, "bonus_scale", check_real("bonus_scale", self.bonus_scale, low=0.0))

    def compiled_params(self, problem, budget):
        mdp, _ = episodic_mdp(problem, self.name)
        require_unit_rewards(mdp, self.name)
        S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
        return _QParams(
            float(H),
            _iota(mdp, budget, self.delta),
            self.bonus == "bernstein",
            self.c,
            self.c,
            self.c,
            math.sqrt(float(H) ** 7 * S * A),
            self.bonus_scale,
            float(H),
            0.0,
        )


@dataclass(frozen=True)
class EpsilonGreedyQ(EpisodicAgent):
    r"""Epsilon-greedy Q-learning: the update of :class:`QLearningUCB` without bonus, dithering exploration.

    :math:`Q_h` starts at ``initial_value`` (0: no optimism), learning rate
    :math:`(H+1)/(H+t)`; each episode plays :math:`\pi_h(a|s) = \epsilon/A +
    (1 - \epsilon)\,1\{a = \arg\max_b Q_h(s, b)\}` (a stochastic policy: the
    engine samples the actions on the agent's stream and evaluates the mixed
    policy exactly). The dithering baseline of the deep-sea experiment of
    Osband et al. (2019): it needs a number of episodes exponential in the
    depth to find a reward reached by one action sequence.

    Parameters
    ----------
    epsilon : float in [0, 1]
    initial_value : float

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import EpsilonGreedyQ, FiniteMDP
    >>> from rltheory.simulation import simulate
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=1.0, horizon=2, initial_distribution=[1.0])
    >>> curve = simulate(mdp, EpsilonGreedyQ(epsilon=1.0), n_episodes=10, n_runs=1, checkpoints=[10])
    >>> float(curve.regret[0, -1])  # uniform play: 1/2 per step
    10.0
    """

    epsilon: float = 0.1
    initial_value: float = 0.0

    name: ClassVar[str] = "EpsilonGreedyQ"
    stochastic_policy: ClassVar[bool] = True
    Params: ClassVar = _QParams
    init: ClassVar = staticmethod(_q_init)
    plan: ClassVar = staticmethod(_q_epsilon_plan)
    observe: ClassVar = staticmethod(_q_observe)

    def __post_init__(self):
        object.__setattr__(self, "epsilon", check_real("epsilon", self.epsilon, low=0.0, high=1.0))
        object.__setattr__(self, "initial_value", check_real("initial_value", self.initial_value))

    def compiled_params(self, problem, budget):
        mdp, _ = episodic_mdp(problem, self.name)
        H = mdp.horizon
        return _QParams(float(H), 1.0, False, 0.0, 0.0, 0.0, 0.0, 0.0, self.initial_value, self.epsilon)
