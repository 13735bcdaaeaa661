r"""MVP, Monotonic Value Propagation (Zhang, Ji & Du 2021): a variance-aware, nearly horizon-free agent, compiled.

Setting: stage-homogeneous transitions and rewards with **total reward at most
1 per episode** (:math:`\sum_h r_h \le 1` on every trajectory; Zhang et al.
2021, Assumption 1), where the minimax regret is
:math:`\tilde\Theta(\sqrt{SAK})` with only logarithmic dependence on
:math:`H`. MVP (their Algorithm 1):

* statistics of a pair are refreshed only when its count reaches
  :math:`1, 2, 4, 8, \dots` (the doubling "triggering set"); planning uses the
  frozen :math:`\hat P, \hat r` and :math:`n = \max(N(s, a), 1)` of the last
  refresh (re-planned only after a refresh: the same values otherwise);
* backwards over :math:`h`,

  .. math::

      Q_h(s, a) = \min\Big\{\hat r(s,a) + \hat P V_{h+1} + c_1\sqrt{\frac{\mathbb V(\hat P, V_{h+1})\,\iota}{n}}
      + c_2\sqrt{\frac{\widehat{\mathrm{Var}}(r)\,\iota}{n}} + c_3\frac{\iota}{n},\ 1\Big\},\qquad
      V_h(s) = \max_a Q_h(s, a),

  with :math:`\mathbb V(\hat P, V) = \hat P V^2 - (\hat P V)^2`,
  :math:`c_1 = 460/9`, :math:`c_2 = 2\sqrt 2`, :math:`c_3 = 544/9` (the
  constants of their Algorithm 1 as we read them; not re-verified here) and
  :math:`\iota = \ln(SAHK/\delta)` (our union-bound log term).

We chose MVP over EULER (Zanette & Brunskill 2019) because its guarantee is
the horizon-free one the claims test (regret nearly independent of :math:`H`
when the total reward is bounded by 1), and it needs only upper values (no
lower-confidence value iteration). ``state[0]`` is :math:`V` (optimistic,
capped at 1).

Reference: Z. Zhang, X. Ji and S. S. Du, "Is reinforcement learning more
difficult than bandits? A near-optimal algorithm escaping the curse of
horizon", COLT 2021, PMLR 134:4528-4531 (arXiv:2009.13503), Algorithm 1 and
Theorem 1 (regret :math:`\tilde O(\sqrt{SAK} + S^2A)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from rltheory._validation import check_probability, check_real
from rltheory.simulation import EpisodicAgent
from rltheory.tabular._episodic_kind import episodic_mdp, require_unit_rewards
from rltheory.tabular._episodic_model import model_init, model_observe

__all__ = ["MVP", "max_episode_return"]

C1, C2, C3 = 460.0 / 9.0, 2.0 * math.sqrt(2.0), 544.0 / 9.0


def max_episode_return(mdp) -> float:
    r"""The largest total reward of any trajectory of positive probability: :math:`\max_{s_1, \text{path}} \sum_h
    r(s_h, a_h)`.

    Backward induction of :math:`U_h(s) = \max_a [r(s, a) + \max_{s': P(s'|s,a) > 0} U_{h+1}(s')]`
    over every start state (MVP's Assumption 1 asks :math:`U_1 \le 1`).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> mdp = FiniteMDP(np.array([[[0.5, 0.5]], [[0.0, 1.0]]]), np.array([[0.1], [0.3]]), gamma=1.0, horizon=3)
    >>> round(max_episode_return(mdp), 12)  # start in state 1 and collect 0.3 three times
    0.9
    """
    P = np.asarray(mdp.dense_P)
    R = np.asarray(mdp.R)
    U = np.zeros(mdp.n_states)
    for _ in range(mdp.horizon):
        nxt = np.where(P > 0.0, U[None, None, :], -np.inf).max(axis=2)
        U = (R + nxt).max(axis=1)
    return float(U.max())


class _MVPParams(NamedTuple):
    iota: float
    bonus_scale: float


@njit(cache=True)
def _mvp_init(params, n_states, n_actions, horizon, features):
    V = np.zeros((horizon + 1, n_states))
    V[:horizon] = 1.0
    frozen_n = np.zeros((n_states, n_actions))
    frozen_sas = np.zeros((n_states, n_actions, n_states))
    frozen_r = np.zeros((n_states, n_actions))
    frozen_r2 = np.zeros((n_states, n_actions))
    stored = np.zeros((horizon, n_states), dtype=np.int64)
    dirty = np.ones(1, dtype=np.int64)
    return (V, model_init(n_states, n_actions, horizon), frozen_n, frozen_sas, frozen_r, frozen_r2, stored, dirty)


@njit(cache=True)
def _mvp_plan(params, state, episode, policy, rng):
    V, model, fn, fsas, fr, fr2, stored, dirty = state
    N, Nsas, Rsum, Rsq, Nh, support, n_support = model
    H = policy.shape[0]
    S, A = N.shape
    if dirty[0] == 0:
        for h in range(H):
            for s in range(S):
                policy[h, s] = stored[h, s]
        return
    dirty[0] = 0
    iota = params.iota
    for h in range(H - 1, -1, -1):
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                n = max(fn[s, a], 1.0)
                pv = 0.0
                pv2 = 0.0
                for j in range(n_support[s, a]):
                    t = support[s, a, j]
                    p = fsas[s, a, t] / n
                    v = V[h + 1, t]
                    pv += p * v
                    pv2 += p * v * v
                rbar = fr[s, a] / n
                rvar = max(fr2[s, a] / n - rbar * rbar, 0.0)
                var = max(pv2 - pv * pv, 0.0)
                # Zhang, Ji & Du (2021), Algorithm 1: Bernstein-type bonus on the frozen statistics
                b = C1 * math.sqrt(var * iota / n) + C2 * math.sqrt(rvar * iota / n) + C3 * iota / n
                q = min(rbar + pv + params.bonus_scale * b, 1.0)
                if q > best:
                    best = q
                    arg = a
            V[h, s] = best
            policy[h, s] = arg
            stored[h, s] = arg


@njit(cache=True)
def _mvp_observe(params, state, h, s, a, r, s2, rng):
    V, model, fn, fsas, fr, fr2, stored, dirty = state
    model_observe(model, h, s, a, r, s2)
    N, Nsas, Rsum, Rsq, Nh, support, n_support = model
    n = int(N[s, a])
    if n & (n - 1) == 0:  # n in the triggering set {1, 2, 4, ...}: refresh the pair's statistics
        fn[s, a] = N[s, a]
        fr[s, a] = Rsum[s, a]
        fr2[s, a] = Rsq[s, a]
        for j in range(n_support[s, a]):
            t = support[s, a, j]
            fsas[s, a, t] = Nsas[s, a, t]
        dirty[0] = 1


@dataclass(frozen=True)
class MVP(EpisodicAgent):
    r"""Monotonic Value Propagation (Zhang, Ji & Du 2021) for episodic MDPs with total reward at most 1.

    See :mod:`rltheory.tabular._mvp`. The problem must satisfy the paper's
    assumption: every trajectory's total reward is at most 1
    (:func:`max_episode_return`), e.g. per-step rewards in :math:`[0, 1/H]`.

    Parameters
    ----------
    delta : float in (0, 1)
    bonus_scale : float >= 0
        Multiplies the bonus (experiments only).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, MVP
    >>> from rltheory.tabular.envs import garnet
    >>> from rltheory.simulation import simulate
    >>> g = garnet(5, 2, 2, rng=0)
    >>> mdp = FiniteMDP(g.P, g.R / 4, gamma=1.0, horizon=4, initial_distribution=np.full(5, 0.2))
    >>> simulate(mdp, MVP(), n_episodes=100, n_runs=2, checkpoints=2).regret.shape
    (2, 2)
    >>> simulate(FiniteMDP(g.P, g.R, gamma=1.0, horizon=4, initial_distribution=np.full(5, 0.2)), MVP(),
    ...          n_episodes=10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: MVP: assumes every episode's total reward is at most 1 (Zhang, Ji & Du 2021, Assumption 1); ...
    """

    delta: float = 0.1
    bonus_scale: float = 1.0

    name: ClassVar[str] = "MVP"
    value_estimates: ClassVar[str] = "upper"
    Params: ClassVar = _MVPParams
    init: ClassVar = staticmethod(_mvp_init)
    plan: ClassVar = staticmethod(_mvp_plan)
    observe: ClassVar = staticmethod(_mvp_observe)

    def __post_init__(self):
        object.__setattr__(self, "delta", check_probability("delta", self.delta))
        object.__setattr__(self, "bonus_scale", check_real("bonus_scale", self.bonus_scale, low=0.0))

    def compiled_params(self, problem, budget):
        mdp, _ = episodic_mdp(problem, self.name)
        require_unit_rewards(mdp, self.name)
        top = max_episode_return(mdp)
        if top > 1.0 + 1e-12:
            raise ValueError(
                f"{self.name}: assumes every episode's total reward is at most 1 (Zhang, Ji & Du 2021, Assumption 1); "
                f"this MDP has a trajectory with total reward {top:.6g} (scale the rewards by 1/H)"
            )
        S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
        return _MVPParams(math.log(S * A * H * budget / self.delta), self.bonus_scale)
