r"""UCBVI (Azar, Osband & Munos 2017): optimistic value iteration on the empirical model, compiled.

At the start of episode :math:`k`, backwards over :math:`h = H, \dots, 1`
(Azar et al. 2017, Algorithms 1-2, "UCB-Q-values"):

.. math::

    Q_{k,h}(s, a) = \min\big(Q_{k-1,h}(s, a),\ H,\ \hat r(s, a) + \hat P_k V_{k,h+1}(s, a) + b_{k,h}(s, a)\big)

for pairs already visited (:math:`Q = H` otherwise), :math:`V_{k,h}(s) = \max_a Q_{k,h}(s, a)`,
:math:`V_{k,H+1} = 0`, then the greedy policy. Bonuses, with
:math:`L = \ln(5SAT/\delta)`, :math:`T = KH` and :math:`n = N_k(s, a)`:

* UCBVI-CH (Chernoff-Hoeffding, Algorithm 3): :math:`b = 7HL\sqrt{1/n}`;
* UCBVI-BF (Bernstein-Freedman, Algorithm 4):

  .. math::

      b = \sqrt{\frac{8L\,\mathrm{Var}_{Y\sim\hat P}(V_{k,h+1}(Y))}{n}} + \frac{14HL}{3n}
          + \sqrt{\frac{8\,\mathbb{E}_{Y\sim\hat P}\big[\min\big(\frac{100^2H^3S^2AL^2}{N'_{k,h+1}(Y)},
          H^2\big)\big]}{n}}

  with :math:`N'_{k,h}(y)` the number of visits of state :math:`y` at step
  :math:`h` before episode :math:`k` (:math:`\min(\cdot, H^2) = H^2` when it is
  0). At the last step :math:`V_{k,H+1} = V^*_{H+1} = 0`, and the third term,
  which bounds :math:`(\hat P - P)(V_{k,h+1} - V^*_{h+1})`, is 0.

The paper assumes known rewards; here :math:`\hat r` is the empirical mean of
the observed rewards (equal to :math:`r` after one visit when rewards are
observed without noise). Transitions are stage-homogeneous (the paper's
setting). Guarantees (Azar et al. 2017, Theorems 1 and 2):
:func:`~rltheory.tabular.ucbvi_regret_bound`; optimism
:math:`V_{k,h} \ge V^*_h` for all :math:`k, h` with probability
:math:`1 - \delta` (their Lemma 18 / the event :math:`\mathcal E`), which
``state[0]`` (the :math:`(H+1, S)` array :math:`V_{k,\cdot}`) exposes.
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
from rltheory.tabular._episodic_model import model_init, model_observe

__all__ = ["UCBVI", "ucbvi_log_term"]


def ucbvi_log_term(n_states: int, n_actions: int, n_steps: int, delta: float) -> float:
    r""":math:`L = \ln(5SAT/\delta)` of Azar et al. (2017), Algorithms 3-4 and Theorems 1-2.

    Examples
    --------
    >>> round(ucbvi_log_term(10, 3, 10_000, 0.1), 6)
    16.523561
    """
    return math.log(5.0 * n_states * n_actions * n_steps / delta)


class _UCBVIParams(NamedTuple):
    horizon: float
    log_term: float
    bernstein: bool
    bonus_scale: float
    bf_constant: float  # 100^2 H^3 S^2 A L^2


@njit(cache=True)
def _ucbvi_init(params, n_states, n_actions, horizon, features):
    V = np.zeros((horizon + 1, n_states))
    V[:horizon] = params.horizon
    Q = np.full((horizon, n_states, n_actions), params.horizon)
    return (V, Q, model_init(n_states, n_actions, horizon))


@njit(cache=True)
def _ucbvi_plan(params, state, episode, policy, rng):
    V, Q, model = state
    N, Nsas, Rsum, Rsq, Nh, support, n_support = model
    H = policy.shape[0]
    S, A = N.shape
    Hf = params.horizon
    L = params.log_term
    for h in range(H - 1, -1, -1):
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                n = N[s, a]
                q = Hf
                if n > 0.0:
                    pv = 0.0
                    pv2 = 0.0
                    corr = 0.0
                    for j in range(n_support[s, a]):
                        t = support[s, a, j]
                        p = Nsas[s, a, t] / n
                        v = V[h + 1, t]
                        pv += p * v
                        pv2 += p * v * v
                        if params.bernstein and h < H - 1:
                            m = Nh[h + 1, t]
                            w = Hf * Hf
                            if m > 0.0:
                                w = min(params.bf_constant / m, Hf * Hf)
                            corr += p * w
                    if params.bernstein:
                        # Azar et al. (2017), Algorithm 4 (UCBVI-BF)
                        var = max(pv2 - pv * pv, 0.0)
                        b = math.sqrt(8.0 * L * var / n) + 14.0 * Hf * L / (3.0 * n) + math.sqrt(8.0 * corr / n)
                    else:
                        # Azar et al. (2017), Algorithm 3 (UCBVI-CH): b = 7 H L sqrt(1 / n)
                        b = 7.0 * Hf * L * math.sqrt(1.0 / n)
                    q = Rsum[s, a] / n + pv + params.bonus_scale * b
                    # Algorithm 2: Q_{k,h} = min(Q_{k-1,h}, H, r + P V + b)
                    q = min(q, Q[h, s, a], Hf)
                Q[h, s, a] = q
                if q > best:
                    best = q
                    arg = a
            V[h, s] = best
            policy[h, s] = arg


@njit(cache=True)
def _ucbvi_observe(params, state, h, s, a, r, s2, rng):
    model_observe(state[2], h, s, a, r, s2)


@dataclass(frozen=True)
class UCBVI(EpisodicAgent):
    r"""UCBVI-CH / UCBVI-BF (Azar, Osband & Munos 2017, Algorithms 1-4), compiled.

    See :mod:`rltheory.tabular._ucbvi` for the update and the bonuses. Regret
    with probability :math:`1 - \delta` (their Theorems 1 and 2; evaluated by
    :func:`~rltheory.tabular.ucbvi_regret_bound`): UCBVI-CH
    :math:`20HL\sqrt{SAT} + 250H^2S^2AL^2`, UCBVI-BF
    :math:`30HL\sqrt{SAT}`-type leading term improved to :math:`\tilde O(\sqrt{HSAT})`
    for :math:`T \ge H^3S^3A`.

    Parameters
    ----------
    bonus : {"hoeffding", "bernstein"}
        UCBVI-CH or UCBVI-BF.
    delta : float in (0, 1)
        Confidence level of the theorems (enters :math:`L = \ln(5SAT/\delta)`).
    bonus_scale : float >= 0
        Multiplies the bonus (1 = the paper; experiments only: the theorems
        and the claims use 1).

    References
    ----------
    M. G. Azar, I. Osband and R. Munos, "Minimax regret bounds for
    reinforcement learning", ICML 2017, PMLR 70:263-272 (arXiv:1703.05449).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, UCBVI
    >>> from rltheory.tabular.envs import garnet
    >>> from rltheory.simulation import simulate
    >>> g = garnet(5, 2, 2, rng=0)
    >>> mdp = FiniteMDP(g.P, g.R, gamma=1.0, horizon=4, initial_distribution=np.full(5, 0.2))
    >>> curve = simulate(mdp, UCBVI(bonus="bernstein"), n_episodes=200, n_runs=2, seed=0, checkpoints=4)
    >>> curve.regret.shape, bool((np.diff(curve.regret, axis=1) >= -1e-12).all())
    ((2, 4), True)
    >>> UCBVI(bonus="chernoff")
    Traceback (most recent call last):
    ...
    ValueError: bonus = 'chernoff' must be one of ('hoeffding', 'bernstein')
    """

    bonus: str = "hoeffding"
    delta: float = 0.1
    bonus_scale: float = 1.0

    name: ClassVar[str] = "UCBVI"
    value_estimates: ClassVar[str] = "upper"
    Params: ClassVar = _UCBVIParams
    init: ClassVar = staticmethod(_ucbvi_init)
    plan: ClassVar = staticmethod(_ucbvi_plan)
    observe: ClassVar = staticmethod(_ucbvi_observe)

    def __post_init__(self):
        check_choice("bonus", self.bonus, ("hoeffding", "bernstein"))
        object.__setattr__(self, "delta", check_probability("delta", self.delta))
        object.__setattr__(self, "bonus_scale", check_real("bonus_scale", self.bonus_scale, low=0.0))

    def compiled_params(self, problem, budget):
        mdp, _ = episodic_mdp(problem, self.name)
        require_unit_rewards(mdp, self.name)
        S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
        L = ucbvi_log_term(S, A, budget * H, self.delta)
        return _UCBVIParams(float(H), L, self.bonus == "bernstein", self.bonus_scale, 100.0**2 * H**3 * S**2 * A * L**2)
