r"""Posterior sampling for average-reward MDPs with dynamic episodes: TSDE (Ouyang, Gagrani, Nayyar & Jain 2017).

**Algorithm** (their Algorithm 1). With :math:`t_k` the start of episode
:math:`k` and :math:`T_{k-1}` the length of the previous one
(:math:`t_0 = 0`, :math:`t = 1` at the start, so :math:`T_0 = 1`): at
:math:`t_k` sample a model :math:`\theta_k \sim \mu_{t_k}` from the posterior,
compute its optimal stationary policy and play it while both stopping
criteria hold:

.. math::

    t \le t_k + T_{k-1} \qquad\text{and}\qquad N_t(s, a) \le 2 N_{t_k}(s, a)\ \ \forall (s, a),

the first bounding the growth of the episode lengths (:math:`T_k \le T_{k-1} + 1`),
the second the doubling of a visit count (as in UCRL2).

**Posterior.** Independent Dirichlet priors
:math:`\mathrm{Dir}(\alpha_0, \dots, \alpha_0)` on every row
:math:`p(\cdot|s,a)` (conjugate: the posterior adds the transition counts)
and :math:`\mathrm{Beta}(a_0, b_0)` priors on the mean rewards, updated with
the observed reward :math:`r \in [0, 1]` as a fractional Bernoulli outcome
(:math:`a \mathrel{+}= r`, :math:`b \mathrel{+}= 1 - r`; the exact conjugate
update for Bernoulli rewards). Ouyang et al. take the rewards known; the
rewards are learnt here like the transitions (Osband, Russo & Van Roy 2013,
Sec. 3, do the same in the episodic setting).

**Planning** on the sample: undiscounted value iteration
:math:`u_{i+1}(s) = \max_a r_\theta(s,a) + \sum_{s'} p_\theta(s'|s,a) u_i(s')`
from :math:`u_0 = 0`, stopped when :math:`\mathrm{sp}(u_{i+1} - u_i) < 1/\sqrt{t_k}`
(the stopping rule of UCRL2's EVI; the greedy policy is then
:math:`1/\sqrt{t_k}`-optimal for the sample, Puterman 2005, Theorem 8.5.5).
A Dirichlet sample has every transition positive, so the sampled model is
unichain and aperiodic and value iteration converges (Puterman 2005,
Theorem 8.5.4).

**Regret** (their Theorem 1): for priors supported on weakly communicating
MDPs whose optimal bias has span at most :math:`H`, the Bayesian regret is
:math:`\tilde O(H S \sqrt{A T})`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from rltheory._validation import check_int, check_real
from rltheory.simulation import ContinuingAgent, rng_beta, rng_gamma
from rltheory.tabular._noisy_rewards import unit_reward_model

__all__ = ["PSRLAverageReward"]

# positions in the agent's ``info`` array (the last entry of its state)
INFO_T_K, INFO_PREVIOUS_LENGTH, INFO_EPISODES, INFO_DOUBLED, INFO_ITERATIONS, INFO_NOT_CONVERGED = 0, 1, 2, 3, 4, 5
INFO_TOTAL_ITERATIONS = 6
INFO_SIZE = 7


@njit(cache=True)
def _relative_vi(P, r, allowed, eps, max_iter, u, u_new, policy):
    """Undiscounted value iteration from 0 until sp(u_{i+1} - u_i) < eps; returns (sweeps, converged)."""
    S, A = r.shape
    for j in range(S):
        u[j] = 0.0
    sweeps = 0
    while sweeps < max_iter:
        for s in range(S):
            best = -np.inf
            ba = -1
            for a in range(A):
                if not allowed[s, a]:
                    continue
                q = r[s, a]
                for j in range(S):
                    q += P[s, a, j] * u[j]
                if q > best:
                    best = q
                    ba = a
            u_new[s] = best
            policy[s] = ba
        sweeps += 1
        dmin, dmax, low = np.inf, -np.inf, np.inf
        for s in range(S):
            diff = u_new[s] - u[s]
            dmin = min(dmin, diff)
            dmax = max(dmax, diff)
            low = min(low, u_new[s])
        for s in range(S):
            u[s] = u_new[s] - low
        if dmax - dmin < eps:
            return sweeps, True
    return sweeps, False


@njit(cache=True)
def _tsde_init(params, n_states, n_actions):
    """State: (counts, episode_counts, transitions, reward_sums, policy, p_sample, r_sample, u, u_new, info)."""
    S, A = n_states, n_actions
    return (
        np.zeros((S, A)),
        np.zeros((S, A)),
        np.zeros((S, A, S)),
        np.zeros((S, A)),
        np.zeros(S, dtype=np.int64),
        np.zeros((S, A, S)),
        np.zeros((S, A)),
        np.zeros(S),
        np.zeros(S),
        np.zeros(INFO_SIZE),
    )


@njit(cache=True)
def _tsde_start_episode(params, state, t, rng):
    counts, ep_counts, trans, rsum, policy, P, r, u, u_new, info = state
    S, A = counts.shape
    now = float(t + 1)
    # Ouyang et al. (2017), Algorithm 1: T_{k-1} <- t - t_k, t_k <- t (t_0 = 0, so T_0 = 1)
    info[INFO_PREVIOUS_LENGTH] = now - info[INFO_T_K]
    info[INFO_T_K] = now
    info[INFO_EPISODES] += 1.0
    info[INFO_DOUBLED] = 0.0
    alpha0, a0, b0 = params.prior_transition, params.prior_reward[0], params.prior_reward[1]
    for s in range(S):
        for a in range(A):
            ep_counts[s, a] = counts[s, a]
            if not params.allowed[s, a]:
                continue
            # Dirichlet(alpha0 + n(s, a, .)) as normalised gammas
            tot = 0.0
            for j in range(S):
                g = rng_gamma(rng, alpha0 + trans[s, a, j])
                P[s, a, j] = g
                tot += g
            for j in range(S):
                P[s, a, j] /= tot
            r[s, a] = rng_beta(rng, a0 + rsum[s, a], b0 + counts[s, a] - rsum[s, a])
    sweeps, converged = _relative_vi(P, r, params.allowed, 1.0 / math.sqrt(now), params.max_iter, u, u_new, policy)
    info[INFO_ITERATIONS] = sweeps
    info[INFO_TOTAL_ITERATIONS] += sweeps
    if not converged:
        info[INFO_NOT_CONVERGED] += 1.0


@njit(cache=True)
def _tsde_act(params, state, t, s, rng):
    policy, info = state[4], state[9]
    # Ouyang et al. (2017), Algorithm 1: continue while t <= t_k + T_{k-1} and N_t(s,a) <= 2 N_{t_k}(s,a) for all (s,a)
    if (
        info[INFO_EPISODES] == 0.0
        or info[INFO_DOUBLED] != 0.0
        or float(t + 1) > info[INFO_T_K] + info[INFO_PREVIOUS_LENGTH]
    ):
        _tsde_start_episode(params, state, t, rng)
    return policy[s]


@njit(cache=True)
def _tsde_observe(params, state, t, s, a, reward, s_next, rng):
    counts, ep_counts, trans, rsum, info = state[0], state[1], state[2], state[3], state[9]
    counts[s, a] += 1.0
    trans[s, a, s_next] += 1.0
    rsum[s, a] += reward
    if counts[s, a] > 2.0 * ep_counts[s, a]:
        info[INFO_DOUBLED] = 1.0


class _TSDEParams(NamedTuple):
    prior_transition: float
    prior_reward: np.ndarray
    max_iter: int
    allowed: np.ndarray


@dataclass(frozen=True)
class PSRLAverageReward(ContinuingAgent):
    r"""Thompson sampling with dynamic episodes, TSDE (Ouyang, Gagrani, Nayyar & Jain 2017, Algorithm 1).

    See :mod:`rltheory.tabular._tsde` (this module's docstring) for the two
    stopping criteria, the Dirichlet / Beta posterior and the planning rule.
    The agent's stream draws the posterior samples (gamma and beta deviates,
    :func:`~rltheory.simulation.rng_gamma`, :func:`~rltheory.simulation.rng_beta`).

    Parameters
    ----------
    prior_transition : float > 0
        :math:`\alpha_0` of the Dirichlet prior of every transition row (1: uniform on the simplex).
    prior_reward : (float, float), both > 0
        :math:`(a_0, b_0)` of the Beta prior of every mean reward.
    max_iter : int >= 1
        Cap on the value-iteration sweeps of one episode (``info[5]`` of the
        state counts the episodes that hit it).

    Notes
    -----
    State (named by :attr:`state_fields`): ``counts``, ``episode_counts``, ``transitions``, ``reward_sums``,
    ``policy``, the sampled ``p_sample`` and ``r_sample``, the value iterate and
    a work vector, and ``info`` (:attr:`info_fields`): ``[t_k, T_{k-1}, episodes, doubled flag,
    sweeps, episodes whose planning did not converge, total sweeps]``.

    Examples
    --------
    >>> from rltheory.simulation import simulate
    >>> from rltheory.tabular import PSRLAverageReward
    >>> from rltheory.tabular.envs import river_swim
    >>> curve = simulate(river_swim(6, gamma=1, variant="osband"), PSRLAverageReward(), n_rounds=2000, n_runs=2,
    ...                  seed=0, checkpoints=4)
    >>> curve.regret.shape, curve.metadata["agent"]["type"]
    ((2, 4), 'PSRLAverageReward')
    """

    prior_transition: float = 1.0
    prior_reward: tuple = (1.0, 1.0)
    max_iter: int = 100_000

    name: ClassVar[str] = "PSRLAverageReward"
    #: The entries of the state tuple (``init``'s return value), in order.
    state_fields: ClassVar[tuple] = (
        "counts",
        "episode_counts",
        "transitions",
        "reward_sums",
        "policy",
        "p_sample",
        "r_sample",
        "u",
        "u_new",
        "info",
    )
    #: The entries of ``info`` (the last entry of the state), in order.
    info_fields: ClassVar[tuple] = (
        "t_k",
        "previous_length",
        "episodes",
        "doubled",
        "sweeps",
        "not_converged",
        "total_sweeps",
    )
    Params: ClassVar = _TSDEParams
    init: ClassVar = staticmethod(_tsde_init)
    act: ClassVar = staticmethod(_tsde_act)
    observe: ClassVar = staticmethod(_tsde_observe)

    def __post_init__(self):
        object.__setattr__(
            self, "prior_transition", check_real("prior_transition", self.prior_transition, low=0.0, low_open=True)
        )
        prior = tuple(self.prior_reward) if isinstance(self.prior_reward, (tuple, list)) else None
        if prior is None or len(prior) != 2:
            raise ValueError(f"prior_reward must be a pair (a0, b0), got {self.prior_reward!r}")
        object.__setattr__(
            self,
            "prior_reward",
            tuple(check_real(f"prior_reward[{i}]", x, low=0.0, low_open=True) for i, x in enumerate(prior)),
        )
        object.__setattr__(self, "max_iter", check_int("max_iter", self.max_iter, low=1))

    def params(self) -> dict:
        out = super().params()
        out["prior_reward"] = list(self.prior_reward)
        return out

    def compiled_params(self, problem, budget):
        mdp = unit_reward_model(problem, "PSRLAverageReward")
        return _TSDEParams(
            self.prior_transition,
            np.array(self.prior_reward, dtype=np.float64),
            self.max_iter,
            np.ascontiguousarray(mdp.action_mask, dtype=np.bool_),
        )
