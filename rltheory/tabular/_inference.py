r"""Reinforcement learning as probabilistic inference (finite horizon, exact).

Attach to every step an "optimality" variable with
:math:`p(\mathcal O_t = 1 \mid s_t, a_t) = e^{r(s_t, a_t)}` and put a prior
:math:`p(a|s)` (default uniform over allowed actions) on actions. The backward
messages :math:`\beta_t(s,a) = p(\mathcal O_{t:H} \mid s_t = s, a_t = a)` obey
(Levine 2018, Sec. 2.3)

.. math::

    \beta_t(s,a) = e^{r(s,a)} \sum_{s'} P(s'|s,a)\, \beta_{t+1}(s'),\qquad
    \beta_t(s) = \sum_a p(a|s)\, \beta_t(s,a),\qquad \beta_H \equiv 1,

and in log space, :math:`Q_t = \log \beta_t(s,a)`, :math:`V_t = \log \beta_t(s)`:

.. math::

    Q_t(s,a) = r(s,a) + \log \mathbb{E}_{s'\sim P(\cdot|s,a)} e^{V_{t+1}(s')},\qquad
    V_t(s) = \log \sum_a p(a|s)\, e^{Q_t(s,a)}.

The posterior policy is :math:`p(a_t|s_t,\mathcal O_{t:H}) = p(a|s)
e^{Q_t(s,a) - V_t(s)}` (Levine, Sec. 2.3). The *soft* (maximum-entropy)
backup instead uses :math:`\mathbb{E}_{s'} V_{t+1}(s')`; by Jensen the
inference backup is optimistic, :math:`Q^{inf}_t \ge Q^{soft}_t`, with
equality for deterministic dynamics (Levine, Sec. 2.4-3): then the log
backward message *is* the soft Q-function and the trajectory posterior
:math:`p(\tau \mid \mathcal O_{1:H})` *is* the law of trajectories of the
soft-optimal policy; with stochastic dynamics the posterior also tilts the
transitions, :math:`p(s'|s,a,\mathcal O) \propto P(s'|s,a) e^{V_{t+1}(s')}`.

References
----------
S. Levine, "Reinforcement learning and control as probabilistic inference:
tutorial and review", arXiv:1805.00909 (2018). T. Korbak, E. Perez,
C. Buckley, "RL with KL penalties is better viewed as Bayesian inference",
Findings of EMNLP 2022.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from rltheory._validation import check_finite, check_int, check_probability_vector, check_real, readonly
from rltheory.tabular._model import FiniteMDP

__all__ = [
    "InferenceResult",
    "KLPosteriorResult",
    "TrajectoryLaws",
    "control_as_inference",
    "kl_regularized_posterior",
    "trajectory_laws",
]


@dataclass(frozen=True, eq=False)
class InferenceResult:
    r"""Result of :func:`control_as_inference`.

    Attributes
    ----------
    q : numpy.ndarray, shape (H, S, A)
        Log backward messages :math:`\log\beta_t(s,a)` (``-inf`` on masked actions).
    v : numpy.ndarray, shape (H + 1, S)
        :math:`\log\beta_t(s)` (``v[H] = 0``).
    action_probabilities : numpy.ndarray, shape (H, S, A)
        Posterior policy :math:`p(a_t|s_t,\mathcal O_{t:H})`.
    posterior_transitions : numpy.ndarray, shape (H, S, A, S)
        :math:`p(s_{t+1}|s_t,a_t,\mathcal O_{t+1:H}) \propto P(s'|s,a) e^{v_{t+1}(s')}`.
    soft_q : numpy.ndarray, shape (H, S, A)
        The soft (maximum-entropy) backup :math:`r + \mathbb{E}_{s'} V^{soft}_{t+1}`.
    soft_v : numpy.ndarray, shape (H + 1, S)
    soft_action_probabilities : numpy.ndarray, shape (H, S, A)
        Soft-optimal policy :math:`p(a|s) e^{Q^{soft}_t - V^{soft}_t}`.
    optimism_gap : float
        :math:`\max_{t,s,a} (Q^{inf}_t - Q^{soft}_t)(s,a) \ge 0` (0 for deterministic dynamics).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, control_as_inference
    >>> res = control_as_inference(FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=1.0, horizon=2))
    >>> res.action_probabilities[0], res.v[:, 0], res.optimism_gap  # log beta_t = 0: O has likelihood 1
    (array([[0.5, 0.5]]), array([0., 0., 0.]), 0.0)
    """

    q: np.ndarray
    v: np.ndarray
    action_probabilities: np.ndarray
    posterior_transitions: np.ndarray
    soft_q: np.ndarray
    soft_v: np.ndarray
    soft_action_probabilities: np.ndarray
    optimism_gap: float


@dataclass(frozen=True, eq=False)
class TrajectoryLaws:
    r"""Exact laws over all trajectories :math:`(s_0, a_0, \dots, s_{H-1}, a_{H-1}, s_H)`; see :func:`trajectory_laws`.

    Attributes
    ----------
    trajectories : numpy.ndarray of int64, shape (N, 2H + 1)
        States and actions interleaved, every trajectory of positive prior probability.
    posterior : numpy.ndarray, shape (N,)
        :math:`p(\tau \mid \mathcal O_{0:H-1}) \propto p(s_0) \prod_t p(a_t|s_t) P(s_{t+1}|s_t,a_t) e^{\sum_t r_t}`.
    soft_optimal : numpy.ndarray, shape (N,)
        Law of the trajectories of the soft-optimal policy under the true dynamics.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, trajectory_laws
    >>> laws = trajectory_laws(FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=1.0, horizon=1), [1.0])
    >>> laws.trajectories.tolist(), laws.posterior, laws.soft_optimal
    ([[0, 0, 0], [0, 1, 0]], array([0.5, 0.5]), array([0.5, 0.5]))
    """

    trajectories: np.ndarray
    posterior: np.ndarray
    soft_optimal: np.ndarray


@dataclass(frozen=True, eq=False)
class KLPosteriorResult:
    r"""Result of :func:`kl_regularized_posterior`.

    Attributes
    ----------
    action_probabilities : numpy.ndarray, shape (A,)
        :math:`\pi^* = \pi_0 e^{r/\beta} / Z`.
    log_partition : float
        :math:`\log Z = \log \sum_a \pi_0(a) e^{r(a)/\beta}`.

    Examples
    --------
    >>> from rltheory.tabular import kl_regularized_posterior
    >>> res = kl_regularized_posterior([0.0, 0.0], [0.25, 0.75], 1.0)  # equal rewards: the posterior is the prior
    >>> res.action_probabilities, round(res.log_partition, 12)  # log Z = log 1
    (array([0.25, 0.75]), 0.0)
    """

    action_probabilities: np.ndarray
    log_partition: float


def _check(mdp, who):
    FiniteMDP.require(mdp, "finite_horizon", who)
    if mdp.gamma != 1.0:
        raise ValueError(
            f"{who} uses undiscounted finite-horizon rewards (Levine 2018); got gamma = {mdp.gamma!r}, use gamma=1"
        )


def _log_prior(mdp, prior):
    mask = np.asarray(mdp.action_mask)
    if prior is None:
        p = mask / mask.sum(axis=1, keepdims=True)
    else:
        p = np.asarray(mdp.policy_matrix(prior))
    with np.errstate(divide="ignore"):
        return np.where(mask & (p > 0), np.log(np.where(p > 0, p, 1.0)), -np.inf)


def control_as_inference(mdp: FiniteMDP, prior=None) -> InferenceResult:
    r"""Exact backward messages, posterior policy and dynamics of RL-as-inference, and the soft-optimal comparison.

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon ``H = mdp.horizon``, ``gamma = 1``; ``R`` plays the
        role of the log-likelihood of optimality.
    prior : array_like, shape (S, A), optional
        Action prior :math:`p(a|s)`; default uniform over allowed actions.

    Examples
    --------
    Deterministic dynamics: the log message equals the soft Q-function.

    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, control_as_inference
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = P[:, 1, 1] = 1.0
    >>> res = control_as_inference(FiniteMDP(P, np.array([[0.0, 1.0], [-1.0, 0.5]]), gamma=1.0, horizon=3))
    >>> bool(np.max(np.abs(res.q - res.soft_q)) < 1e-12), res.optimism_gap == 0.0
    (True, True)
    """
    _check(mdp, "control_as_inference")
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    P = mdp.dense_P
    R = np.asarray(mdp.R, dtype=float)
    lp = _log_prior(mdp, prior)
    mask = np.isfinite(lp)
    q = np.full((H, S, A), -np.inf)
    v = np.zeros((H + 1, S))
    sq = np.full((H, S, A), -np.inf)
    sv = np.zeros((H + 1, S))
    post_T = np.zeros((H, S, A, S))
    with np.errstate(divide="ignore"):
        logP = np.log(P)
    for t in range(H - 1, -1, -1):
        # log E_{s'} e^{V_{t+1}(s')} (Levine 2018, Sec. 2.3, in log space): log-sum-exp over successors
        m = logsumexp(logP + v[t + 1][None, None, :], axis=2)
        q[t] = np.where(mask, R + m, -np.inf)
        v[t] = logsumexp(q[t] + lp, axis=1)
        w = logP + v[t + 1][None, None, :] - m[:, :, None]
        post_T[t] = np.exp(w)
        sq[t] = np.where(mask, R + P @ sv[t + 1], -np.inf)
        sv[t] = logsumexp(sq[t] + lp, axis=1)
    policy = np.where(mask[None], np.exp(q + lp[None] - v[:H, :, None]), 0.0)
    soft_policy = np.where(mask[None], np.exp(sq + lp[None] - sv[:H, :, None]), 0.0)
    gap = float(np.max(np.where(mask[None], q - sq, -np.inf)))
    return InferenceResult(
        q=readonly(q),
        v=readonly(v),
        action_probabilities=readonly(policy),
        posterior_transitions=readonly(post_T),
        soft_q=readonly(sq),
        soft_v=readonly(sv),
        soft_action_probabilities=readonly(soft_policy),
        optimism_gap=max(gap, 0.0) if np.isfinite(gap) else 0.0,
    )


def trajectory_laws(
    mdp: FiniteMDP, initial_distribution=None, prior=None, *, max_trajectories: int = 200_000
) -> TrajectoryLaws:
    r"""Enumerate all trajectories and compute the exact posterior law and the soft-optimal trajectory law.

    For deterministic dynamics the two coincide (Levine 2018, Sec. 2.3-2.4:
    :math:`p(\tau|\mathcal O) \propto p(s_0)\prod_t p(a_t|s_t) e^{r_t}` and
    :math:`\prod_t \pi^{soft}_t(a_t|s_t) = \prod_t p(a_t|s_t) e^{r_t} / e^{V_0(s_0)}`),
    provided the initial state is fixed; with stochastic dynamics they differ
    (the posterior tilts the transitions toward lucky outcomes).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, trajectory_laws
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, np.array([[0.0, 1.0], [-1.0, 0.5]]), gamma=1.0, horizon=3)
    >>> laws = trajectory_laws(mdp, initial_distribution=[1.0, 0.0])
    >>> bool(np.max(np.abs(laws.posterior - laws.soft_optimal)) < 1e-12)
    True
    """
    _check(mdp, "trajectory_laws")
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    if initial_distribution is None:
        if mdp.initial_distribution is None:
            raise ValueError("trajectory_laws needs an initial distribution: pass initial_distribution=")
        mu = np.asarray(mdp.initial_distribution, dtype=float)
    else:
        mu = check_probability_vector("initial_distribution", initial_distribution, S)
    max_trajectories = check_int("max_trajectories", max_trajectories, low=1)
    if float(S) ** (H + 1) * float(A) ** H > max_trajectories:
        raise ValueError(
            f"{S}^{H + 1} * {A}^{H} trajectories exceed max_trajectories = {max_trajectories}; use a smaller model or "
            "horizon"
        )
    P = mdp.dense_P
    R = np.asarray(mdp.R, dtype=float)
    lp = _log_prior(mdp, prior)
    inf = control_as_inference(mdp, prior)
    trajs, log_post, log_soft = [], [], []
    for s0 in np.flatnonzero(mu > 0):
        for acts in itertools.product(range(A), repeat=H):
            # expand states along the action sequence
            partial = [([int(s0)], np.log(mu[s0]), np.log(mu[s0]))]
            for t, a in enumerate(acts):
                nxt = []
                for states, lpo, lso in partial:
                    s = states[-1]
                    if not np.isfinite(lp[s, a]):
                        continue
                    for s2 in np.flatnonzero(P[s, a] > 0):
                        step = np.log(P[s, a, s2])
                        nxt.append(
                            (
                                states + [int(s2)],
                                lpo + lp[s, a] + step + R[s, a],
                                lso + np.log(inf.soft_action_probabilities[t, s, a]) + step,
                            )
                        )
                partial = nxt
            for states, lpo, lso in partial:
                row = [states[0]]
                for t, a in enumerate(acts):
                    row += [a, states[t + 1]]
                trajs.append(row)
                log_post.append(lpo)
                log_soft.append(lso)
    log_post = np.array(log_post)
    post = np.exp(log_post - logsumexp(log_post))
    soft = np.exp(np.array(log_soft))
    return TrajectoryLaws(
        trajectories=readonly(np.array(trajs, dtype=np.int64).reshape(len(trajs), 2 * H + 1)),
        posterior=readonly(post),
        soft_optimal=readonly(soft),
    )


def kl_regularized_posterior(rewards, reference, beta: float) -> KLPosteriorResult:
    r"""The maximizer of :math:`\mathbb{E}_\pi r - \beta\,\mathrm{KL}(\pi\|\pi_0)` and :math:`\log Z`.

    :math:`\pi^* = \pi_0 e^{r/\beta}/Z`, :math:`Z = \sum_a \pi_0(a) e^{r(a)/\beta}`, and for every
    :math:`\pi`: :math:`\mathbb{E}_\pi r - \beta\mathrm{KL}(\pi\|\pi_0) = \beta\log Z - \beta\mathrm{KL}(\pi\|\pi^*)`
    (Korbak, Perez & Buckley 2022, Sec. 3): KL-penalized RL is variational inference of :math:`\pi^*`.

    Examples
    --------
    >>> from rltheory.tabular import kl_regularized_posterior
    >>> res = kl_regularized_posterior([0.0, 1.0], [0.5, 0.5], 1.0)
    >>> res.action_probabilities.round(4), round(res.log_partition, 4)  # log((1 + e) / 2)
    (array([0.2689, 0.7311]), 0.6201)
    """
    r = np.asarray(rewards, dtype=float)
    if r.ndim != 1:
        raise ValueError(f"rewards must be 1-d, got shape {r.shape}")
    check_finite("rewards", r)
    p0 = check_probability_vector("reference", reference, r.size)
    beta = check_real("beta", beta, low=0.0, low_open=True)
    with np.errstate(divide="ignore"):
        z = np.where(p0 > 0, np.log(np.where(p0 > 0, p0, 1.0)) + r / beta, -np.inf)
    log_z = float(logsumexp(z))
    return KLPosteriorResult(action_probabilities=readonly(np.exp(z - log_z)), log_partition=log_z)
