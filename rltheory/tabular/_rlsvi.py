r"""RLSVI (Osband, Van Roy & Wen 2016), tabular form, compiled.

Randomized least-squares value iteration with one-hot features
:math:`\phi(s, a) = e_{(s,a)}` (Osband et al. 2016, Algorithm 1): backwards
over :math:`h`, the Bayesian linear regression of the targets
:math:`y = r + \max_{a'}\tilde Q_{h+1}(s', a')` on the step-:math:`h` data,
with prior :math:`N(0, \lambda^{-1} I)` and noise variance :math:`\sigma^2`,
is sampled. With one-hot features the posterior factorises over pairs:

.. math::

    \tilde Q_h(s, a) \sim N\Big(\frac{\sum_{\tau}(r_\tau + \tilde V_{h+1}(s'_\tau))/\sigma^2}{n_h(s,a)/\sigma^2 +
    \lambda},\
    \frac{1}{n_h(s,a)/\sigma^2 + \lambda}\Big),

the sum over the past visits :math:`\tau` of :math:`(s, a)` at step
:math:`h`, :math:`n_h(s, a)` their number, :math:`\tilde V_{h+1}(s) = \max_a
\tilde Q_{h+1}(s, a)`, :math:`\tilde V_{H+1} = 0`. The sum is
:math:`\sum r_\tau + \sum_{s'} n_h(s, a, s')\tilde V_{h+1}(s')`, kept as
counts (the data are per step :math:`h`, as in the paper: RLSVI does not
assume stage-homogeneous transitions). ``state[0]`` is :math:`\tilde V`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from rltheory._validation import check_real
from rltheory.simulation import EpisodicAgent, rng_normal
from rltheory.tabular._episodic_kind import episodic_mdp

__all__ = ["RLSVI"]


class _RLSVIParams(NamedTuple):
    noise_variance: float
    prior_precision: float


@njit(cache=True)
def _rlsvi_init(params, n_states, n_actions, horizon, features):
    V = np.zeros((horizon + 1, n_states))
    n = np.zeros((horizon, n_states, n_actions))
    rsum = np.zeros((horizon, n_states, n_actions))
    nsas = np.zeros((horizon, n_states, n_actions, n_states))
    support = np.zeros((horizon, n_states, n_actions, n_states), dtype=np.int64)
    n_support = np.zeros((horizon, n_states, n_actions), dtype=np.int64)
    return (V, n, rsum, nsas, support, n_support)


@njit(cache=True)
def _rlsvi_plan(params, state, episode, policy, rng):
    V, n, rsum, nsas, support, n_support = state
    H, S, A = n.shape
    s2 = params.noise_variance
    lam = params.prior_precision
    for h in range(H - 1, -1, -1):
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                y = rsum[h, s, a]
                for j in range(n_support[h, s, a]):
                    t = support[h, s, a, j]
                    y += nsas[h, s, a, t] * V[h + 1, t]
                precision = n[h, s, a] / s2 + lam
                # Osband et al. (2016), Algorithm 1: theta ~ N(Sigma X^T y / sigma^2, Sigma), one-hot features
                q = (y / s2) / precision + rng_normal(rng) / math.sqrt(precision)
                if q > best:
                    best = q
                    arg = a
            V[h, s] = best
            policy[h, s] = arg


@njit(cache=True)
def _rlsvi_observe(params, state, h, s, a, r, s_next, rng):
    V, n, rsum, nsas, support, n_support = state
    n[h, s, a] += 1.0
    rsum[h, s, a] += r
    if nsas[h, s, a, s_next] == 0.0:
        support[h, s, a, n_support[h, s, a]] = s_next
        n_support[h, s, a] += 1
    nsas[h, s, a, s_next] += 1.0


@dataclass(frozen=True)
class RLSVI(EpisodicAgent):
    r"""Randomized least-squares value iteration (Osband, Van Roy & Wen 2016), tabular features.

    Parameters
    ----------
    noise_variance : float > 0
        :math:`\sigma^2` of Algorithm 1.
    prior_precision : float > 0
        :math:`\lambda` of Algorithm 1 (prior :math:`N(0, \lambda^{-1})` per pair).

    References
    ----------
    I. Osband, B. Van Roy and Z. Wen, "Generalization and exploration via
    randomized value functions", ICML 2016, PMLR 48:2377-2386, Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, RLSVI
    >>> from rltheory.tabular.envs import garnet
    >>> from rltheory.simulation import simulate
    >>> g = garnet(5, 2, 2, rng=0)
    >>> mdp = FiniteMDP(g.P, g.R, gamma=1.0, horizon=4, initial_distribution=np.full(5, 0.2))
    >>> simulate(mdp, RLSVI(), n_episodes=100, n_runs=2, checkpoints=2).regret.shape
    (2, 2)
    """

    noise_variance: float = 1.0
    prior_precision: float = 1.0

    name: ClassVar[str] = "RLSVI"
    value_estimates: ClassVar[str] = "sample"
    Params: ClassVar = _RLSVIParams
    init: ClassVar = staticmethod(_rlsvi_init)
    plan: ClassVar = staticmethod(_rlsvi_plan)
    observe: ClassVar = staticmethod(_rlsvi_observe)

    def __post_init__(self):
        for name in ("noise_variance", "prior_precision"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0, low_open=True))

    def compiled_params(self, problem, budget):
        episodic_mdp(problem, self.name)
        return _RLSVIParams(self.noise_variance, self.prior_precision)
