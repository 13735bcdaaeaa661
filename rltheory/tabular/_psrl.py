r"""PSRL (Osband, Russo & Van Roy 2013) and the greedy certainty-equivalence baseline, compiled.

PSRL: at the start of each episode, sample an MDP from the posterior and play
its optimal policy (Osband et al. 2013, Algorithm 1). Priors, conjugate and
independent over pairs:

* transitions: :math:`P(\cdot|s, a) \sim \mathrm{Dirichlet}(\alpha_0 \mathbf 1_S)`,
  posterior :math:`\mathrm{Dirichlet}(\alpha_0 + N(s, a, \cdot))`, sampled as
  normalised :math:`\mathrm{Gamma}(\alpha_0 + N(s, a, s'), 1)` draws
  (:func:`rltheory.simulation.rng_gamma`);
* rewards: :math:`r(s, a) \sim \mathrm{Beta}(1, 1)`, posterior
  :math:`\mathrm{Beta}(1 + \sum r, 1 + N(s, a) - \sum r)`: conjugate for
  Bernoulli rewards (:class:`~rltheory.tabular.NoisyRewards`); for
  rewards observed without noise in :math:`[0, 1]` this is the usual
  fractional ("Bernoulli trick") update, exact in its first moment.

Planning is backward induction on the sample (:math:`O(HS^2A)` per
episode). ``state[0]`` holds the sampled MDP's values :math:`\tilde V_{k,h}`.
Bayesian regret (their Theorem 1): :func:`~rltheory.tabular.psrl_regret_bound`.

:class:`GreedyCertaintyEquivalence` plans on the maximum-likelihood model
(:math:`\hat P = N(s,a,\cdot)/N(s,a)`, :math:`\hat r` the mean observed
reward) with value 0 for pairs never tried (ties to the lowest action): the
no-exploration baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from rltheory._validation import check_real
from rltheory.simulation import EpisodicAgent, rng_gamma
from rltheory.tabular._episodic_kind import episodic_mdp, require_unit_rewards
from rltheory.tabular._episodic_model import model_init, model_observe

__all__ = ["GreedyCertaintyEquivalence", "PSRL"]


class _PSRLParams(NamedTuple):
    transition_prior: float


@njit(cache=True)
def _psrl_init(params, n_states, n_actions, horizon, features):
    V = np.zeros((horizon + 1, n_states))
    Pk = np.zeros((n_states, n_actions, n_states))
    rk = np.zeros((n_states, n_actions))
    return (V, Pk, rk, model_init(n_states, n_actions, horizon))


@njit(cache=True)
def _psrl_plan(params, state, episode, policy, rng):
    V, Pk, rk, model = state
    N, Nsas, Rsum, Rsq, Nh, support, n_support = model
    H = policy.shape[0]
    S, A = N.shape
    a0 = params.transition_prior
    # Osband et al. (2013), Algorithm 1: sample M_k ~ posterior, then plan on M_k
    for s in range(S):
        for a in range(A):
            tot = 0.0
            for t in range(S):
                g = rng_gamma(rng, a0 + Nsas[s, a, t])
                Pk[s, a, t] = g
                tot += g
            for t in range(S):
                Pk[s, a, t] /= tot
            x = rng_gamma(rng, 1.0 + Rsum[s, a])
            y = rng_gamma(rng, 1.0 + N[s, a] - Rsum[s, a])
            rk[s, a] = x / (x + y)
    for h in range(H - 1, -1, -1):
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                q = rk[s, a]
                for t in range(S):
                    q += Pk[s, a, t] * V[h + 1, t]
                if q > best:
                    best = q
                    arg = a
            V[h, s] = best
            policy[h, s] = arg


@njit(cache=True)
def _psrl_observe(params, state, h, s, a, r, s2, rng):
    model_observe(state[3], h, s, a, r, s2)


@dataclass(frozen=True)
class PSRL(EpisodicAgent):
    r"""Posterior sampling for reinforcement learning (Osband, Russo & Van Roy 2013), episodic, compiled.

    Dirichlet(``transition_prior``) prior on every transition row and a
    Beta(1, 1) prior on every mean reward (see :mod:`rltheory.tabular._psrl`);
    one posterior sample per episode. Their Theorem 1 bounds the *Bayesian*
    regret (the expectation over MDPs drawn from the prior), not the regret
    on a fixed MDP.

    Parameters
    ----------
    transition_prior : float > 0
        :math:`\alpha_0` of the Dirichlet prior (1: uniform over the simplex).

    References
    ----------
    I. Osband, D. Russo and B. Van Roy, "(More) efficient reinforcement
    learning via posterior sampling", NeurIPS 2013 (arXiv:1306.0940).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, PSRL
    >>> from rltheory.tabular.envs import garnet
    >>> from rltheory.simulation import simulate
    >>> g = garnet(5, 2, 2, rng=0)
    >>> mdp = FiniteMDP(g.P, g.R, gamma=1.0, horizon=4, initial_distribution=np.full(5, 0.2))
    >>> simulate(mdp, PSRL(), n_episodes=100, n_runs=2, checkpoints=2).regret.shape
    (2, 2)
    """

    transition_prior: float = 1.0

    name: ClassVar[str] = "PSRL"
    value_estimates: ClassVar[str] = "sample"
    Params: ClassVar = _PSRLParams
    init: ClassVar = staticmethod(_psrl_init)
    plan: ClassVar = staticmethod(_psrl_plan)
    observe: ClassVar = staticmethod(_psrl_observe)

    def __post_init__(self):
        object.__setattr__(
            self, "transition_prior", check_real("transition_prior", self.transition_prior, low=0.0, low_open=True)
        )

    def compiled_params(self, problem, budget):
        mdp, _ = episodic_mdp(problem, self.name)
        require_unit_rewards(mdp, self.name, why="its Beta reward posterior assumes rewards in [0, 1]")
        return _PSRLParams(self.transition_prior)


@njit(cache=True)
def _ce_init(params, n_states, n_actions, horizon, features):
    return (np.zeros((horizon + 1, n_states)), model_init(n_states, n_actions, horizon))


@njit(cache=True)
def _ce_plan(params, state, episode, policy, rng):
    V, model = state
    N, Nsas, Rsum, Rsq, Nh, support, n_support = model
    H = policy.shape[0]
    S, A = N.shape
    for h in range(H - 1, -1, -1):
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                n = N[s, a]
                q = 0.0
                if n > 0.0:
                    q = Rsum[s, a] / n
                    for j in range(n_support[s, a]):
                        t = support[s, a, j]
                        q += Nsas[s, a, t] / n * V[h + 1, t]
                if q > best:
                    best = q
                    arg = a
            V[h, s] = best
            policy[h, s] = arg


@njit(cache=True)
def _ce_observe(params, state, h, s, a, r, s2, rng):
    model_observe(state[1], h, s, a, r, s2)


@dataclass(frozen=True)
class GreedyCertaintyEquivalence(EpisodicAgent):
    r"""Plan greedily on the maximum-likelihood model (no exploration): the baseline that can fail to learn.

    Pairs never tried are worth 0; ties go to the lowest action. On a
    problem whose rewards are all positive this tries other actions only
    when the tried ones look bad, and it can lock onto a suboptimal policy
    forever (linear regret).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, GreedyCertaintyEquivalence
    >>> from rltheory.simulation import simulate
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.5, 1.0]]), gamma=1.0, horizon=1, initial_distribution=[1.0])
    >>> float(simulate(mdp, GreedyCertaintyEquivalence(), n_episodes=50, checkpoints=[50]).regret[0, -1])
    25.0
    """

    name: ClassVar[str] = "GreedyCertaintyEquivalence"
    value_estimates: ClassVar[str] = "estimate"
    init: ClassVar = staticmethod(_ce_init)
    plan: ClassVar = staticmethod(_ce_plan)
    observe: ClassVar = staticmethod(_ce_observe)
