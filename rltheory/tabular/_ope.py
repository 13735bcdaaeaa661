r"""Off-policy evaluation (OPE) of a target policy from logged episodes, with exact ground truth.

An episodic :class:`~rltheory.tabular.OfflineDataset` holds ``n`` episodes of
horizon ``H`` logged by a behaviour policy :math:`\mu`; the target is the value
of a policy :math:`\pi`,

.. math:: v^\pi = \mathbb{E}^\pi_\rho\Big[\sum_{h=0}^{H-1} \gamma^h r_h\Big],

with :math:`\rho` the distribution of the first states. Importance ratios
:math:`\rho_h = \pi_h(a_h|s_h)/\mu_h(a_h|s_h)` and their products
:math:`\rho_{0:h} = \prod_{k \le h} \rho_k` (:math:`\rho_{0:-1} = 1`) give

* :func:`importance_sampling` (trajectory-wise IS): :math:`\rho_{0:H-1}\sum_h \gamma^h r_h`;
* :func:`per_decision_importance_sampling` (PDIS, Precup, Sutton & Singh 2000):
  :math:`\sum_h \gamma^h \rho_{0:h} r_h`;
* :func:`weighted_importance_sampling` (WIS): IS normalized by the mean weight;
* :func:`doubly_robust` (DR, Jiang & Li 2016, Eq. (10)):
  :math:`\sum_h \gamma^h\big(\rho_{0:h}(r_h - \hat Q_h(s_h,a_h)) + \rho_{0:h-1}\hat V_h(s_h)\big)`;
* :func:`fitted_q_evaluation` (FQE, Le, Voloshin & Yue 2019; tabular: stage-wise
  empirical Bellman backups);
* :func:`marginalized_importance_sampling` (MIS, Xie, Ma & Wang 2019): the
  state-marginal ratios :math:`\hat d^\pi_h / \hat d^\mu_h` estimated by a
  forward recursion, or the exact ratios (:func:`state_distribution_ratio`).

Each returns the estimate, its standard error and the per-episode terms. IS,
PDIS, DR (with :math:`\hat Q` independent of the episodes it is applied to) and
MIS with the exact ratio are unbiased; WIS, FQE and MIS with estimated ratios
are consistent. :func:`exact_estimator_variance` and :func:`cramer_rao_bound`
give the exact per-episode variances and the Cramér-Rao bounds of Jiang & Li
(2016, Theorem 2, tree MDPs) and of Kallus & Uehara (2020, Markov models).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import (
    PROBABILITY_SUM_ATOL,
    as_generator,
    check_choice,
    check_finite,
    check_int,
    check_probability_vector,
    check_real,
    check_shape,
    readonly,
)
from rltheory.tabular._finite_horizon_evaluation import finite_horizon_policy_evaluation, policy_tensor, stage_occupancy
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._offline_data import OfflineDataset

__all__ = [
    "CramerRaoBound",
    "FittedQEvaluationResult",
    "MarginalizedISResult",
    "OffPolicyEstimate",
    "cramer_rao_bound",
    "doubly_robust",
    "exact_estimator_variance",
    "fitted_q_evaluation",
    "importance_sampling",
    "marginalized_importance_sampling",
    "per_decision_importance_sampling",
    "state_distribution_ratio",
    "weighted_importance_sampling",
]

REWARD_NOISE = ("none", "bernoulli")
EXACT_METHODS = ("importance_sampling", "per_decision_importance_sampling", "doubly_robust")


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class OffPolicyEstimate:
    r"""An off-policy estimate of :math:`v^\pi` from ``n`` episodes.

    Attributes
    ----------
    estimate : float
        :math:`\hat v`.
    standard_error : float
        ``std(terms, ddof=1) / sqrt(n)`` (``0`` for one episode): the standard error of a mean of i.i.d. terms
        (IS, PDIS, DR), or its delta-method version for WIS (the terms are the estimated influence function
        plus the estimate).
    terms : numpy.ndarray, shape (n,)
        The per-episode terms whose mean is ``estimate``.
    method : str
    n_episodes : int

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, importance_sampling
    >>> d = OfflineDataset([0, 0], [0, 1], [1.0, 0.0], [0, 0], n_states=1, n_actions=2, gamma=1.0, horizon=1,
    ...                    stages=[0, 0], episodes=[0, 1])
    >>> res = importance_sampling(d, np.array([0]), np.array([[0.5, 0.5]]))
    >>> res.estimate, res.terms.tolist()  # the target always plays action 0, reward 1
    (1.0, [2.0, 0.0])
    """

    estimate: float
    standard_error: float
    terms: np.ndarray
    method: str
    n_episodes: int


@dataclass(frozen=True, eq=False)
class FittedQEvaluationResult:
    r"""Result of :func:`fitted_q_evaluation`.

    Attributes
    ----------
    estimate : float
        :math:`\hat v = \hat\rho^\top \hat v_0` (episodic: the empirical first-state distribution; transitions:
        the given initial distribution).
    standard_error : float
        Plug-in standard error from the estimated efficient influence function (see :func:`fitted_q_evaluation`).
    terms : numpy.ndarray
        The influence-function values plus the estimate (per episode; per transition for transition data).
    q : numpy.ndarray, shape (H, S, A) (transitions: (S, A))
        :math:`\hat Q`.
    v : numpy.ndarray, shape (H+1, S) (transitions: (S,))
        :math:`\hat V_h(s) = \sum_a \pi_h(a|s) \hat Q_h(s, a)`.
    visited : numpy.ndarray of bool
        The stage-pairs (transitions: pairs) with data; the others hold ``unvisited_value``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, fitted_q_evaluation
    >>> d = OfflineDataset([0, 1], [0, 0], [1.0, 2.0], [1, 0], n_states=2, n_actions=1, gamma=1.0, horizon=2,
    ...                    stages=[0, 1], episodes=[0, 0])
    >>> fitted_q_evaluation(d, np.array([0, 0])).estimate
    3.0
    """

    estimate: float
    standard_error: float
    terms: np.ndarray
    q: np.ndarray
    v: np.ndarray
    visited: np.ndarray


@dataclass(frozen=True, eq=False)
class MarginalizedISResult:
    r"""Result of :func:`marginalized_importance_sampling`.

    Attributes
    ----------
    estimate : float
    standard_error : float
        Exact ratio: the standard error of the mean of the per-episode terms. Estimated ratio: the plug-in
        standard error of the estimator's influence function (see :func:`marginalized_importance_sampling`).
    terms : numpy.ndarray, shape (n,)
    state_ratio : numpy.ndarray, shape (H, S)
        :math:`w_h(s) = d^\pi_h(s) / d^\mu_h(s)` used (estimated or exact; 0 where the data never visit).
    method : str
        ``"estimated-ratio"`` or ``"exact-ratio"``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, marginalized_importance_sampling
    >>> d = OfflineDataset([0, 0], [0, 1], [1.0, 0.0], [0, 0], n_states=1, n_actions=2, gamma=1.0, horizon=1,
    ...                    stages=[0, 0], episodes=[0, 1])
    >>> marginalized_importance_sampling(d, np.array([0]), np.array([[0.5, 0.5]])).estimate
    1.0
    """

    estimate: float
    standard_error: float
    terms: np.ndarray
    state_ratio: np.ndarray
    method: str


@dataclass(frozen=True, eq=False)
class CramerRaoBound:
    r"""Result of :func:`cramer_rao_bound`: per-episode variance bounds (divide by ``n`` for ``n`` episodes).

    Attributes
    ----------
    tree : float
        Jiang & Li (2016, Theorem 2): the Cramér-Rao bound of unbiased estimators in a *tree* MDP,
        :math:`\sum_h \gamma^{2h}\mathbb{E}_\mu[\rho_{0:h-1}^2 \mathbb{V}(V_h(s_h) \mid s_{h-1}, a_{h-1})]
        + \sum_h \gamma^{2h}\mathbb{E}_\mu[\rho_{0:h}^2 \mathbb{V}(r_h \mid s_h, a_h)]`
        (the first term at :math:`h = 0` is :math:`\mathbb{V}_\rho(V_0(s_0))`); it equals the variance of DR
        with :math:`\hat Q = Q^\pi` (their Theorem 1 with :math:`\Delta = 0`) in every MDP.
    markov : float
        Kallus & Uehara (2020): the efficiency bound of a Markov (time-inhomogeneous) model,
        :math:`\mathbb{V}_\rho(V_0) + \sum_h \gamma^{2h} \sum_{s,a} \frac{d^\pi_h(s,a)^2}{d^\mu_h(s,a)}
        \mathbb{V}(r_h + \gamma V_{h+1}(s_{h+1}) \mid s, a)`; ``markov <= tree``, with equality in a tree MDP
        (where :math:`\rho_{0:h}` is a function of :math:`(s_h, a_h)`).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, cramer_rao_bound
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=1.0, horizon=1, initial_distribution=[1.0])
    >>> b = cramer_rao_bound(mdp, np.array([0]), np.array([[0.5, 0.5]]))
    >>> b.tree, b.markov  # deterministic rewards and one start state: a zero-variance estimator exists (DR)
    (0.0, 0.0)
    """

    tree: float
    markov: float


# --------------------------------------------------------------------------- validation helpers
def _episodic(dataset, who: str) -> OfflineDataset:
    if not isinstance(dataset, OfflineDataset):
        raise ValueError(f"{who} needs an OfflineDataset, got {type(dataset).__name__}")
    if not dataset.is_episodic:
        raise ValueError(f"{who} needs an episodic dataset (complete episodes with stages); this one holds transitions")
    return dataset


def policy_probabilities(policy, S: int, A: int, H: int, name: str) -> np.ndarray:
    """``(H, S, A)`` action probabilities of a policy given as ``(S,)``, ``(S, A)``, ``(H, S)`` or ``(H, S, A)``.

    Examples
    --------
    >>> policy_probabilities(np.array([1]), 1, 2, 2, "policy").tolist()
    [[[0.0, 1.0]], [[0.0, 1.0]]]
    """
    pol = np.asarray(policy)
    if pol.ndim in (1, 2) and pol.dtype.kind in "iu":
        acts = np.broadcast_to(pol, (H, S)) if pol.ndim == 1 else pol
        check_shape(name, acts, (H, S))
        bad = (acts < 0) | (acts >= A)
        if bad.any():
            h, s = (int(i) for i in np.argwhere(bad)[0])
            where = f"[{h}, {s}]" if pol.ndim == 2 else f"[{s}]"
            raise ValueError(f"{name}{where} = {int(acts[h, s])} is not an action in [0, {A})")
        out = np.zeros((H, S, A))
        out[np.arange(H)[:, None], np.arange(S)[None, :], acts] = 1.0
        return out
    try:
        pol = np.asarray(pol, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be integer actions or action probabilities, got dtype {pol.dtype}") from None
    if pol.ndim == 2:
        check_shape(name, pol, (S, A))
        pol = np.broadcast_to(pol, (H, S, A))
    else:
        check_shape(name, pol, (H, S, A))
    check_finite(name, pol)
    if (pol < 0).any():
        idx = [int(i) for i in np.argwhere(pol < 0)[0]]
        raise ValueError(f"{name} has a negative probability at (stage, state, action) {tuple(idx)}")
    sums = pol.sum(axis=2)
    bad = np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL
    if bad.any():
        h, s = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}: the action probabilities of state {s} (stage {h}) sum to {float(sums[h, s])!r}")
    return np.array(pol)


def _ratios(dataset: OfflineDataset, target, behavior, who: str):
    """``(pi, mu, rho)``: the policies ``(H, S, A)`` and the per-row ratios ``(n, H)``; checks support."""
    S, A, H = dataset.n_states, dataset.n_actions, dataset.horizon
    pi = policy_probabilities(target, S, A, H, "target_policy")
    mu = policy_probabilities(behavior, S, A, H, "behavior_policy")
    uncovered = (pi > 0) & (mu == 0)
    if uncovered.any():
        h, s, a = (int(i) for i in np.argwhere(uncovered)[0])
        raise ValueError(
            f"{who}: the target policy plays action {a} in state {s} at stage {h} but the behaviour policy never "
            "does; importance weights need mu(a|s) > 0 wherever pi(a|s) > 0"
        )
    st, ac = np.asarray(dataset.states), np.asarray(dataset.actions)
    stage = np.asarray(dataset.stages)
    p_mu = mu[stage, st, ac]
    zero = p_mu == 0
    if zero.any():
        i = int(np.argmax(zero))
        raise ValueError(
            f"{who}: row {i} logs action {int(ac[i])} in state {int(st[i])} at stage {int(stage[i])}, to which the "
            "behaviour policy gives probability 0: the data cannot come from this behaviour policy"
        )
    rho = (pi[stage, st, ac] / p_mu).reshape(-1, H)
    return pi, mu, rho


def _estimate(terms: np.ndarray, method: str) -> OffPolicyEstimate:
    n = terms.shape[0]
    se = float(np.std(terms, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    return OffPolicyEstimate(
        estimate=float(np.mean(terms)), standard_error=se, terms=readonly(terms), method=method, n_episodes=int(n)
    )


def _discounts(gamma: float, H: int) -> np.ndarray:
    return gamma ** np.arange(H, dtype=float)


# --------------------------------------------------------------------------- importance sampling
def importance_sampling(dataset, target_policy, behavior_policy) -> OffPolicyEstimate:
    r"""Trajectory-wise importance sampling: the mean of :math:`\rho_{0:H-1} \sum_h \gamma^h r_h`.

    Unbiased when :math:`\mu_h(a|s) > 0` wherever :math:`\pi_h(a|s) > 0` (checked): the weight
    :math:`\rho_{0:H-1}` is the likelihood ratio of the trajectory under :math:`\pi` and :math:`\mu`
    (Precup, Sutton & Singh 2000, Sec. 2).

    Parameters
    ----------
    dataset : OfflineDataset
        Episodic.
    target_policy, behavior_policy : array_like
        ``(S,)``, ``(S, A)``, ``(H, S)`` or ``(H, S, A)``; the behaviour policy must give positive probability
        to every logged action (a row contradicting it raises ``ValueError`` naming the row).

    Returns
    -------
    OffPolicyEstimate

    References
    ----------
    D. Precup, R. S. Sutton, S. Singh, "Eligibility traces for off-policy policy evaluation", ICML 2000.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, collect, finite_horizon_policy_evaluation, importance_sampling
    >>> P = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.5, 0.5]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=1.0, horizon=3, initial_distribution=[1.0, 0.0])
    >>> target, behavior = np.array([0, 1]), np.full((2, 2), 0.5)
    >>> res = importance_sampling(collect(mdp, behavior, n_episodes=20000, rng=0), target, behavior)
    >>> v = finite_horizon_policy_evaluation(mdp, target).value
    >>> bool(abs(res.estimate - v) < 4 * res.standard_error)
    True
    """
    d = _episodic(dataset, "importance_sampling")
    _, _, rho = _ratios(d, target_policy, behavior_policy, "importance_sampling")
    r = np.asarray(d.rewards).reshape(-1, d.horizon)
    terms = np.prod(rho, axis=1) * (r @ _discounts(d.gamma, d.horizon))
    return _estimate(terms, "importance_sampling")


def per_decision_importance_sampling(dataset, target_policy, behavior_policy) -> OffPolicyEstimate:
    r"""Per-decision importance sampling: the mean of :math:`\sum_h \gamma^h \rho_{0:h} r_h`.

    The reward of step ``h`` is weighted by the ratios of the decisions before it only; unbiased under the same
    support condition as :func:`importance_sampling` (Precup, Sutton & Singh 2000, Sec. 3). It is DR with
    :math:`\hat Q = 0` (Jiang & Li 2016). Its variance is *not* always below IS's (Liu, Bacon & Brunskill 2020).

    Parameters
    ----------
    dataset : OfflineDataset
        Episodic.
    target_policy, behavior_policy : array_like

    Returns
    -------
    OffPolicyEstimate

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, per_decision_importance_sampling
    >>> d = OfflineDataset([0, 0], [0, 1], [1.0, 5.0], [0, 0], n_states=1, n_actions=2, gamma=0.5, horizon=2,
    ...                    stages=[0, 1], episodes=[0, 0])
    >>> # rho_0 = 0.5 / 0.25 = 2, rho_1 = 0.5 / 0.75 = 2/3: 2 * 1 + 0.5 * (2 * 2/3) * 5
    >>> per_decision_importance_sampling(d, np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]])).terms.round(12).tolist()
    [5.333333333333]
    """
    d = _episodic(dataset, "per_decision_importance_sampling")
    _, _, rho = _ratios(d, target_policy, behavior_policy, "per_decision_importance_sampling")
    r = np.asarray(d.rewards).reshape(-1, d.horizon)
    terms = (np.cumprod(rho, axis=1) * r) @ _discounts(d.gamma, d.horizon)
    return _estimate(terms, "per_decision_importance_sampling")


def weighted_importance_sampling(dataset, target_policy, behavior_policy) -> OffPolicyEstimate:
    r"""Weighted (self-normalized) importance sampling: :math:`\sum_i w_i G_i / \sum_i w_i`,
    :math:`w_i = \rho^{(i)}_{0:H-1}`.

    Biased but consistent (Precup, Sutton & Singh 2000, Sec. 2), and always within the range of the observed
    returns. The standard error is the delta-method one of a ratio estimator: the terms are
    :math:`\hat v + w_i (G_i - \hat v) / \bar w`.

    Parameters
    ----------
    dataset : OfflineDataset
        Episodic.
    target_policy, behavior_policy : array_like

    Returns
    -------
    OffPolicyEstimate
        ``estimate`` is ``nan`` when every weight is 0 (no episode is possible under the target policy).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, weighted_importance_sampling
    >>> d = OfflineDataset([0, 0], [0, 1], [1.0, 0.0], [0, 0], n_states=1, n_actions=2, gamma=1.0, horizon=1,
    ...                    stages=[0, 0], episodes=[0, 1])
    >>> weighted_importance_sampling(d, np.array([0]), np.array([[0.5, 0.5]])).estimate
    1.0
    """
    d = _episodic(dataset, "weighted_importance_sampling")
    _, _, rho = _ratios(d, target_policy, behavior_policy, "weighted_importance_sampling")
    r = np.asarray(d.rewards).reshape(-1, d.horizon)
    w = np.prod(rho, axis=1)
    G = r @ _discounts(d.gamma, d.horizon)
    wbar = float(w.mean())
    if wbar == 0:
        n = w.shape[0]
        return OffPolicyEstimate(
            float("nan"), float("nan"), readonly(np.full(n, np.nan)), "weighted_importance_sampling", int(n)
        )
    est = float((w * G).sum() / w.sum())
    terms = est + w * (G - est) / wbar
    res = _estimate(terms, "weighted_importance_sampling")
    return OffPolicyEstimate(est, res.standard_error, res.terms, res.method, res.n_episodes)


# --------------------------------------------------------------------------- FQE
def _stage_fqe(dataset: OfflineDataset, pi: np.ndarray, unvisited_value: float):
    """Stage-wise tabular FQE: ``(q (H, S, A), v (H+1, S), visited (H, S, A))``."""
    S, A, H = dataset.n_states, dataset.n_actions, dataset.horizon
    st, ac, r, nx = dataset.episode_arrays()
    q = np.full((H, S, A), float(unvisited_value))
    v = np.zeros((H + 1, S))
    visited = np.zeros((H, S, A), dtype=bool)
    for h in range(H - 1, -1, -1):
        pairs = st[:, h] * A + ac[:, h]
        target = r[:, h] + dataset.gamma * v[h + 1, nx[:, h]]
        cnt = np.bincount(pairs, minlength=S * A)
        tot = np.bincount(pairs, weights=target, minlength=S * A)
        seen = cnt > 0
        qh = q[h].ravel()
        qh[seen] = tot[seen] / cnt[seen]
        q[h] = qh.reshape(S, A)
        visited[h] = seen.reshape(S, A)
        v[h] = np.einsum("sa,sa->s", pi[h], q[h])
    return q, v, visited


def _empirical_pair_ratio(dataset: OfflineDataset, pi: np.ndarray) -> np.ndarray:
    """:math:`\\hat d^\\pi_h(s,a) / \\hat d^\\mu_h(s,a)` from the empirical model's forward recursion, ``(H, S, A)``."""
    S, A, H = dataset.n_states, dataset.n_actions, dataset.horizon
    st, ac, _, nx = dataset.episode_arrays()
    n = st.shape[0]
    ratio = np.zeros((H, S, A))
    d_state = np.bincount(st[:, 0], minlength=S) / n  # d^pi_0 = empirical first-state distribution
    for h in range(H):
        pairs = st[:, h] * A + ac[:, h]
        cnt = np.bincount(pairs, minlength=S * A).reshape(S, A)
        d_mu = cnt / n
        d_pi = d_state[:, None] * pi[h]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio[h] = np.where(cnt > 0, d_pi / np.where(cnt > 0, d_mu, 1.0), 0.0)
        # empirical transitions of stage h, weighted by the target's pair mass
        trans = np.zeros((S * A, S))
        np.add.at(trans, (pairs, nx[:, h]), 1.0)
        cnt_flat = cnt.ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            P_hat = np.where(cnt_flat[:, None] > 0, trans / np.maximum(cnt_flat, 1)[:, None], 0.0)
        d_state = (d_pi.ravel() * (cnt_flat > 0)) @ P_hat
    return ratio


def fitted_q_evaluation(
    dataset, target_policy, *, initial_distribution=None, unvisited_value: float = 0.0
) -> FittedQEvaluationResult:
    r"""Fitted Q evaluation with tabular functions: empirical Bellman backups of the target policy.

    **Episodic data** (stage-wise, time-inhomogeneous fits; Le, Voloshin & Yue 2019, Algorithm 3 with the
    tabular class): for :math:`h = H-1, \dots, 0`,

    .. math:: \hat Q_h(s,a) = \frac{1}{n_h(s,a)} \sum_{i: (s^i_h, a^i_h) = (s,a)}
                 \big(r^i_h + \gamma \hat V_{h+1}(s^i_{h+1})\big),
       \qquad \hat V_h(s) = \sum_a \pi_h(a|s)\hat Q_h(s,a),

    and :math:`\hat v = \frac1n \sum_i \hat V_0(s^i_0)`. Stage-pairs without data get ``unvisited_value``.
    This is the value of :math:`\pi` in the stage-wise empirical model, consistent when the data cover the
    target's pairs. **Transition data** (discounted): :math:`\hat Q = \hat r + \gamma \hat P \hat V` solved
    exactly on the plug-in model (the fixed point of FQE), :math:`\hat v = \rho^\top \hat V` for the given
    initial distribution.

    **Standard error**: plug-in estimate of the efficient influence function of a Markov model (Kallus &
    Uehara 2020; the asymptotic variance of this estimator): per episode
    :math:`\psi_i = \hat V_0(s^i_0) - \hat v + \sum_h \gamma^h \hat w_h(s^i_h,a^i_h)\,
    (r^i_h + \gamma \hat V_{h+1}(s^i_{h+1}) - \hat Q_h(s^i_h,a^i_h))`,
    :math:`\hat w_h = \hat d^\pi_h / \hat d^\mu_h` the empirical pair-marginal ratios; transitions:
    :math:`\psi_i = \hat w(s_i,a_i)(r_i + \gamma\hat V(s'_i) - \hat Q(s_i,a_i))/(1-\gamma)` with the normalized
    occupancy ratio of the plug-in model.

    Parameters
    ----------
    dataset : OfflineDataset
    target_policy : array_like
        ``(S,)`` / ``(S, A)`` (episodic also per stage).
    initial_distribution : array_like, optional
        Required for transition data (the episodes carry their own first states).
    unvisited_value : float
        :math:`\hat Q` on pairs without data.

    Returns
    -------
    FittedQEvaluationResult

    References
    ----------
    H. Le, C. Voloshin, Y. Yue, "Batch policy learning under constraints", ICML 2019 (FQE).
    N. Kallus, M. Uehara, "Double reinforcement learning for efficient off-policy evaluation in Markov decision
    processes", JMLR 21(167), 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, collect, finite_horizon_policy_evaluation, fitted_q_evaluation
    >>> P = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.5, 0.5]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=1.0, horizon=3, initial_distribution=[1.0, 0.0])
    >>> res = fitted_q_evaluation(collect(mdp, np.full((2, 2), 0.5), n_episodes=5000, rng=0), np.array([0, 1]))
    >>> v = finite_horizon_policy_evaluation(mdp, np.array([0, 1])).value
    >>> bool(abs(res.estimate - v) < 4 * res.standard_error)
    True
    """
    if not isinstance(dataset, OfflineDataset):
        raise ValueError(f"fitted_q_evaluation needs an OfflineDataset, got {type(dataset).__name__}")
    fill = check_real("unvisited_value", unvisited_value)
    S, A = dataset.n_states, dataset.n_actions
    if dataset.is_episodic:
        if initial_distribution is not None:
            raise ValueError("initial_distribution is for transition data; the episodes carry their first states")
        H = dataset.horizon
        pi = policy_probabilities(target_policy, S, A, H, "target_policy")
        q, v, visited = _stage_fqe(dataset, pi, fill)
        st, ac, r, nx = dataset.episode_arrays()
        est = float(np.mean(v[0, st[:, 0]]))
        w = _empirical_pair_ratio(dataset, pi)
        hh = np.arange(H)[None, :]
        resid = r + dataset.gamma * v[hh + 1, nx] - q[hh, st, ac]
        psi = v[0, st[:, 0]] - est + (w[hh, st, ac] * resid) @ _discounts(dataset.gamma, H)
        terms = est + psi
        n = terms.shape[0]
        se = float(np.std(psi, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
        return FittedQEvaluationResult(est, se, readonly(terms), readonly(q), readonly(v), readonly(visited))
    if initial_distribution is None:
        raise ValueError("fitted_q_evaluation of transition data needs initial_distribution= (the start of v^pi)")
    gamma = dataset.gamma
    if gamma >= 1.0:
        raise ValueError(f"fitted_q_evaluation of transition data needs gamma < 1, got {gamma!r}")
    rho = check_probability_vector("initial_distribution", initial_distribution, S)
    pi = policy_probabilities(target_policy, S, A, 1, "target_policy")[0]
    from rltheory.tabular._policy_evaluation import discounted_occupancy, policy_evaluation
    from rltheory.tabular._samples import empirical_mdp

    model = empirical_mdp(dataset, unvisited_reward=(1.0 - gamma) * fill)  # a self-loop of value `fill`
    res = policy_evaluation(model.mdp, pi)
    q, v = np.array(res.q), np.array(res.v)
    est = float(rho @ v)
    d = (1.0 - gamma) * discounted_occupancy(model.mdp, pi, rho)
    mu_hat = model.counts / dataset.n_transitions
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(model.counts > 0, d / np.where(model.counts > 0, mu_hat, 1.0), 0.0)
    st, ac, rw, nx = (np.asarray(x) for x in (dataset.states, dataset.actions, dataset.rewards, dataset.next_states))
    psi = w[st, ac] * (rw + gamma * v[nx] - q[st, ac]) / (1.0 - gamma)
    N = psi.shape[0]
    se = float(np.std(psi, ddof=1) / np.sqrt(N)) if N > 1 else 0.0
    return FittedQEvaluationResult(est, se, readonly(est + psi), readonly(q), readonly(v), readonly(model.visited))


# --------------------------------------------------------------------------- DR
def doubly_robust(dataset, target_policy, behavior_policy, *, q=None, n_folds: int = 2, rng=None) -> OffPolicyEstimate:
    r"""The doubly robust estimator of Jiang & Li (2016): importance sampling with a learned control variate.

    Per episode, with :math:`\hat V_h(s) = \sum_a \pi_h(a|s)\hat Q_h(s,a)` (Jiang & Li 2016, Eq. (10), written
    forward):

    .. math:: V_{DR} = \sum_{h=0}^{H-1} \gamma^h \Big(\rho_{0:h}\big(r_h - \hat Q_h(s_h, a_h)\big)
              + \rho_{0:h-1} \hat V_h(s_h)\Big).

    It is unbiased whenever :math:`\hat Q` does not depend on the episode it is applied to; with
    :math:`\hat Q = 0` it is :func:`per_decision_importance_sampling`; with :math:`\hat Q = Q^\pi` its variance
    is the bound of :func:`cramer_rao_bound` (``tree``), attained asymptotically when :math:`\hat Q` is
    consistent (Jiang & Li 2016, Theorems 1-2).

    ``q=None`` **cross-fits** :math:`\hat Q`: the episodes are split into ``n_folds`` random folds (``rng``);
    the episodes of each fold use the tabular :func:`fitted_q_evaluation` fit of the other folds (unvisited
    pairs 0), so every term is unbiased given the other folds and the estimate is unbiased (Chernozhukov et al.
    2018 for cross-fitting; Kallus & Uehara 2020 for OPE).

    Parameters
    ----------
    dataset : OfflineDataset
        Episodic.
    target_policy, behavior_policy : array_like
    q : array_like, shape (H, S, A) or (S, A), optional
        A fixed :math:`\hat Q` (independent of ``dataset``); default: cross-fitted FQE.
    n_folds : int
        Folds of the cross-fit, ``>= 2``.
    rng : numpy.random.Generator, int, SeedSequence or None
        The fold assignment.

    Returns
    -------
    OffPolicyEstimate

    References
    ----------
    N. Jiang, L. Li, "Doubly robust off-policy value evaluation for reinforcement learning", ICML 2016.
    V. Chernozhukov et al., "Double/debiased machine learning for treatment and structural parameters",
    *Econometrics Journal* 21(1), 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import (FiniteMDP, collect, doubly_robust, finite_horizon_policy_evaluation,
    ...                               per_decision_importance_sampling)
    >>> P = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.5, 0.5]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=1.0, horizon=3, initial_distribution=[1.0, 0.0])
    >>> target, behavior = np.array([0, 1]), np.full((2, 2), 0.5)
    >>> data = collect(mdp, behavior, n_episodes=4000, rng=0)
    >>> exact = finite_horizon_policy_evaluation(mdp, target)
    >>> dr = doubly_robust(data, target, behavior, q=exact.q)
    >>> pdis = per_decision_importance_sampling(data, target, behavior)
    >>> bool(dr.standard_error < pdis.standard_error / 5), bool(abs(dr.estimate - exact.value) < 4 * dr.standard_error)
    (True, True)
    >>> cross_fit = doubly_robust(data, target, behavior, rng=0)
    >>> bool(abs(cross_fit.estimate - exact.value) < 4 * cross_fit.standard_error)
    True
    """
    d = _episodic(dataset, "doubly_robust")
    pi, _, rho = _ratios(d, target_policy, behavior_policy, "doubly_robust")
    S, A, H = d.n_states, d.n_actions, d.horizon
    st, ac, r, _ = d.episode_arrays()
    n = st.shape[0]
    if q is not None:
        qh = np.asarray(q, dtype=float)
        if qh.shape == (S, A):
            qh = np.broadcast_to(qh, (H, S, A))
        check_shape("q", qh, (H, S, A))
        check_finite("q", qh)
        q_rows = np.broadcast_to(qh, (n, H, S, A))
        method = "doubly_robust"
    else:
        k = check_int("n_folds", n_folds, low=2)
        if k > n:
            raise ValueError(f"doubly_robust: cannot cross-fit {n} episodes on {k} folds")
        fold = np.empty(n, dtype=np.int64)
        for j, idx in enumerate(np.array_split(as_generator(rng).permutation(n), k)):
            fold[idx] = j
        fits = []
        for j in range(k):
            rest = np.flatnonzero(fold != j)
            rows = (rest[:, None] * H + np.arange(H)).ravel()
            fits.append(_stage_fqe(d._subset(rows), pi, 0.0)[0])
        q_rows = np.stack(fits)[fold]  # (n, H, S, A): each episode sees the fit of the other folds
        method = "doubly_robust_cross_fit"
    ep = np.arange(n)[:, None]
    hh = np.arange(H)[None, :]
    q_taken = q_rows[ep, hh, st, ac]
    v_hat = np.einsum("nhsa,hsa->nhs", q_rows, pi)[ep, hh, st]
    w = np.cumprod(rho, axis=1)
    w_prev = np.concatenate([np.ones((n, 1)), w[:, :-1]], axis=1)
    terms = (w * (r - q_taken) + w_prev * v_hat) @ _discounts(d.gamma, H)
    return _estimate(terms, method)


# --------------------------------------------------------------------------- MIS
def state_distribution_ratio(mdp: FiniteMDP, target_policy, behavior_policy, initial_distribution=None) -> np.ndarray:
    r"""Exact state-marginal ratios :math:`w_h(s) = d^\pi_h(s) / d^\mu_h(s)`, shape ``(H, S)``.

    :math:`d_h(s) = \Pr(s_h = s)` from :func:`~rltheory.tabular.stage_occupancy`; ``0`` where both vanish,
    ``inf`` where only :math:`d^\mu_h` does.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, state_distribution_ratio
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, np.zeros((2, 2)), gamma=1.0, horizon=2, initial_distribution=[1.0, 0.0])
    >>> state_distribution_ratio(mdp, np.array([0, 0]), np.full((2, 2), 0.5)).tolist()  # target stays in 0
    [[1.0, 0.0], [2.0, 0.0]]
    """
    FiniteMDP.require(mdp, "finite_horizon", "state_distribution_ratio")
    dp = stage_occupancy(mdp, target_policy, initial_distribution).sum(axis=2)
    dm = stage_occupancy(mdp, behavior_policy, initial_distribution).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return readonly(np.where(dp > 0, dp / dm, 0.0))


def marginalized_importance_sampling(
    dataset, target_policy, behavior_policy, *, state_ratio=None
) -> MarginalizedISResult:
    r"""Marginalized importance sampling (Xie, Ma & Wang 2019): reweight by state-marginal ratios.

    .. math:: \hat v = \frac1n \sum_i \sum_h \gamma^h\, \hat w_h(s^i_h)\, \rho^i_h\, r^i_h,
       \qquad \hat w_h = \hat d^\pi_h / \hat d^\mu_h,

    only the *current* ratio :math:`\rho_h` instead of the product :math:`\rho_{0:h}`. With
    ``state_ratio=None`` the ratios are estimated by the forward recursion of Xie et al. (2019, Sec. 3):
    :math:`\hat d^\mu_h(s) = n_h(s)/n`, :math:`\hat d^\pi_0 = \hat d^\mu_0`,
    :math:`\hat d^\pi_{h+1}(s') = \sum_s \hat d^\pi_h(s)\, \frac{1}{n_h(s)}
    \sum_{i: s^i_h = s} \rho^i_h \mathbf 1[s^i_{h+1} = s']`,
    which makes :math:`\hat v = \sum_h \gamma^h \sum_s \hat d^\pi_h(s)\hat r^\pi_h(s)` with
    :math:`\hat r^\pi_h(s) = \frac{1}{n_h(s)}\sum_{i: s^i_h = s}\rho^i_h r^i_h`: the value of the
    importance-weighted state-level reward process. Its standard error is that of its influence function,
    :math:`\psi_i = \hat V_0(s^i_0) - \hat v + \sum_h \gamma^h \hat w_h(s^i_h)\big(\rho^i_h(r^i_h + \gamma\hat
    V_{h+1}(s^i_{h+1})) - \hat V_h(s^i_h)\big)`, whose variance
    :math:`\mathbb V(V_0) + \sum_h \gamma^{2h}\mathbb E_\mu[w_h(s_h)^2 \mathbb V(\rho_h(r_h + \gamma V_{h+1}) \mid
    s_h)]` is the leading term of Xie et al.'s MSE bound: no product of ratios (no exponential "curse of
    horizon"), but the per-step action variance stays (FQE and DR remove it with :math:`\hat Q`). With the exact
    ratio (:func:`state_distribution_ratio`) the estimator is unbiased, a mean of per-episode terms.

    Parameters
    ----------
    dataset : OfflineDataset
        Episodic.
    target_policy, behavior_policy : array_like
    state_ratio : array_like, shape (H, S), optional
        The exact :math:`w_h(s)`.

    Returns
    -------
    MarginalizedISResult

    References
    ----------
    T. Xie, Y. Ma, Y.-X. Wang, "Towards optimal off-policy evaluation for reinforcement learning with
    marginalized importance sampling", NeurIPS 2019. M. Yin, Y.-X. Wang, "Asymptotically efficient off-policy
    evaluation for tabular reinforcement learning", AISTATS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import (FiniteMDP, collect, finite_horizon_policy_evaluation,
    ...                               marginalized_importance_sampling, state_distribution_ratio)
    >>> P = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.5, 0.5]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=1.0, horizon=3, initial_distribution=[1.0, 0.0])
    >>> target, behavior = np.array([0, 1]), np.full((2, 2), 0.5)
    >>> data = collect(mdp, behavior, n_episodes=5000, rng=0)
    >>> v = finite_horizon_policy_evaluation(mdp, target).value
    >>> est = marginalized_importance_sampling(data, target, behavior)
    >>> exact = marginalized_importance_sampling(data, target, behavior,
    ...                                          state_ratio=state_distribution_ratio(mdp, target, behavior))
    >>> bool(abs(est.estimate - v) < 4 * est.standard_error), bool(abs(exact.estimate - v) < 4 * exact.standard_error)
    (True, True)
    """
    d = _episodic(dataset, "marginalized_importance_sampling")
    pi, _, rho = _ratios(d, target_policy, behavior_policy, "marginalized_importance_sampling")
    S, H = d.n_states, d.horizon
    st, ac, r, nx = d.episode_arrays()
    n = st.shape[0]
    disc = _discounts(d.gamma, H)
    hh = np.arange(H)[None, :]
    if state_ratio is not None:
        w = np.asarray(state_ratio, dtype=float)
        check_shape("state_ratio", w, (H, S))
        check_finite("state_ratio", np.where(np.isinf(w) & (w > 0), 0.0, w))
        terms = (w[hh, st] * rho * r) @ disc
        est = _estimate(terms, "marginalized_importance_sampling")
        return MarginalizedISResult(est.estimate, est.standard_error, est.terms, readonly(w), "exact-ratio")
    w = np.zeros((H, S))
    d_pi = np.bincount(st[:, 0], minlength=S) / n
    for h in range(H):
        n_h = np.bincount(st[:, h], minlength=S)
        seen = n_h > 0
        w[h, seen] = d_pi[seen] / (n_h[seen] / n)
        # d^pi_{h+1}(s') = sum_s d^pi_h(s) / n_h(s) sum_{i: s_h = s} rho_h 1[s_{h+1} = s']
        weight = np.where(seen[st[:, h]], d_pi[st[:, h]] / np.maximum(n_h[st[:, h]], 1), 0.0) * rho[:, h]
        d_pi = np.bincount(nx[:, h], weights=weight, minlength=S)
    terms = (w[hh, st] * rho * r) @ disc
    estimate = float(np.mean(terms))
    # standard error: the influence function of this plug-in of the state-level reward process (r^pi_h, P^pi_h),
    # whose values solve V_h(s) = mean over visits of rho_h (r_h + gamma V_{h+1}(s_{h+1})):
    # psi = V_0(s_0) - v + sum_h gamma^h w_h(s_h) (rho_h (r_h + gamma V_{h+1}(s_{h+1})) - V_h(s_h))
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        n_h = np.bincount(st[:, h], minlength=S)
        tot = np.bincount(st[:, h], weights=rho[:, h] * (r[:, h] + d.gamma * V[h + 1, nx[:, h]]), minlength=S)
        V[h] = np.where(n_h > 0, tot / np.maximum(n_h, 1), 0.0)
    resid = rho * (r + d.gamma * V[hh + 1, nx]) - V[hh, st]
    psi = V[0, st[:, 0]] - estimate + (w[hh, st] * resid) @ disc
    se = float(np.std(psi, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    return MarginalizedISResult(estimate, se, readonly(terms), readonly(w), "estimated-ratio")


# --------------------------------------------------------------------------- exact variances and bounds
def _reward_moments(mdp: FiniteMDP, reward_noise: str):
    R = np.asarray(mdp.R, dtype=float)
    noise = check_choice("reward_noise", reward_noise, REWARD_NOISE)
    if noise == "bernoulli":
        mask = np.asarray(mdp.action_mask)
        if (R[mask] < 0).any() or (R[mask] > 1).any():
            raise ValueError("reward_noise='bernoulli' needs rewards in [0, 1]")
        return R, R.copy()  # E[r^2] = E[r] for a Bernoulli reward
    return R, R * R


def _forward_second_moment(mdp, mu, rho0, step):
    """E[X^2] of a per-episode estimator by a forward recursion over the states (see exact_estimator_variance)."""
    P = mdp.dense_P
    S = mdp.n_states
    state = {"A": rho0.copy(), "B": np.zeros(S), "C": np.zeros(S)}
    for h in range(mdp.horizon):
        a_, b_, c_ = step(h, state, mu[h])
        # push (s, a) -> s' with the behaviour's action probabilities
        state = {k: np.einsum("sa,sat->t", x, P) for k, x in (("A", a_), ("B", b_), ("C", c_))}
    return float(state["C"].sum())


def exact_estimator_variance(
    mdp: FiniteMDP,
    target_policy,
    behavior_policy,
    method: str,
    *,
    q=None,
    reward_noise: str = "none",
    initial_distribution=None,
) -> float:
    r"""The exact variance of one episode's term of an importance-sampling estimator.

    For ``method`` in ``"importance_sampling"``, ``"per_decision_importance_sampling"`` and ``"doubly_robust"``
    (with a fixed :math:`\hat Q` = ``q``, default :math:`Q^\pi`), the second moment is computed by a forward
    recursion over the stages that carries, per state, the moments of the running weight and sum (derived
    here): for PDIS and DR, with :math:`W_h = \rho_{0:h-1}` and :math:`D_{h+1} = D_h + \gamma^h W_h c_h`
    (:math:`c_h = \rho_h r_h`, resp. :math:`\rho_h(r_h - \hat Q_h) + \hat V_h(s_h)`), the per-state quantities
    :math:`\mathbb E[W_h^2 \mathbf 1_{s_h}]`, :math:`\mathbb E[W_h D_h \mathbf 1_{s_h}]`,
    :math:`\mathbb E[D_h^2 \mathbf 1_{s_h}]` are pushed through :math:`\mu_h(a|s)P(s'|s,a)`; for IS, the moments
    of :math:`W_h^2`, :math:`W_h^2 C_h`, :math:`W_h^2 C_h^2` with :math:`C_h = \sum_{k<h}\gamma^k r_k`. The
    variance is :math:`\mathbb E[X^2] - (v^\pi)^2` (all three are unbiased). ``reward_noise`` is the reward law of
    the logged data (as in :func:`~rltheory.tabular.collect`).

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon, with an initial distribution (or pass one).
    target_policy, behavior_policy : array_like
    method : str
    q : array_like, shape (H, S, A), optional
        DR only.
    reward_noise : {"none", "bernoulli"}
    initial_distribution : array_like, optional

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, exact_estimator_variance
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=1.0, horizon=1, initial_distribution=[1.0])
    >>> # IS of "always action 0" from uniform logging: term 2 w.p. 1/2, else 0: variance 1
    >>> exact_estimator_variance(mdp, np.array([0]), np.array([[0.5, 0.5]]), "importance_sampling")
    1.0
    """
    FiniteMDP.require(mdp, "finite_horizon", "exact_estimator_variance")
    method = check_choice("method", method, EXACT_METHODS)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    pi = policy_tensor(mdp, target_policy, "target_policy")
    mu = policy_tensor(mdp, behavior_policy, "behavior_policy")
    if ((pi > 0) & (mu == 0)).any():
        raise ValueError("exact_estimator_variance needs mu(a|s) > 0 wherever pi(a|s) > 0")
    if initial_distribution is not None:
        init = check_probability_vector("initial_distribution", initial_distribution, S)
    elif mdp.initial_distribution is not None:
        init = np.asarray(mdp.initial_distribution, dtype=float)
    else:
        raise ValueError("exact_estimator_variance needs an initial distribution")
    R, R2 = _reward_moments(mdp, reward_noise)
    ev = finite_horizon_policy_evaluation(mdp, pi, init)
    g = mdp.gamma
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(mu > 0, pi / np.where(mu > 0, mu, 1.0), 0.0)  # (H, S, A)
    if method == "importance_sampling":

        def step(h, st, muh):
            ratio = ratios[h]
            w2 = muh * ratio**2  # E over a ~ mu of rho^2 (per action)
            a_ = st["A"][:, None] * w2
            b_ = (st["B"][:, None] + g**h * R * st["A"][:, None]) * w2
            c_ = (st["C"][:, None] + 2 * g**h * R * st["B"][:, None] + g ** (2 * h) * R2 * st["A"][:, None]) * w2
            return a_, b_, c_
    else:
        if method == "doubly_robust":
            qh = np.array(ev.q) if q is None else np.asarray(q, dtype=float)
            check_shape("q", qh, (H, S, A))
            qh = np.where(np.isfinite(qh), qh, 0.0)
            vh = np.einsum("hsa,hsa->hs", pi, qh)
        else:
            qh = np.zeros((H, S, A))
            vh = np.zeros((H, S))

        def step(h, st, muh):
            ratio = ratios[h]
            # c = rho (r - Q) + V: E[c] and E[c^2] given (s, a)
            ec = ratio * (R - qh[h]) + vh[h][:, None]
            ec2 = (
                ratio**2 * (R2 - 2 * R * qh[h] + qh[h] ** 2)
                + 2 * ratio * (R - qh[h]) * vh[h][:, None]
                + vh[h][:, None] ** 2
            )
            a_ = st["A"][:, None] * muh * ratio**2
            b_ = (st["B"][:, None] * ratio + g**h * ratio * ec * st["A"][:, None]) * muh
            c_ = (st["C"][:, None] + 2 * g**h * ec * st["B"][:, None] + g ** (2 * h) * ec2 * st["A"][:, None]) * muh
            return a_, b_, c_

    second = _forward_second_moment(mdp, mu, init, step)
    v = float(ev.value)
    return float(max(second - v * v, 0.0))


def cramer_rao_bound(
    mdp: FiniteMDP, target_policy, behavior_policy, *, reward_noise: str = "none", initial_distribution=None
) -> CramerRaoBound:
    r"""Per-episode Cramér-Rao variance bounds for off-policy evaluation (see :class:`CramerRaoBound`).

    ``tree`` (Jiang & Li 2016, Theorem 2, for discrete tree MDPs -- each state reachable by one history only --
    where it bounds the variance of every unbiased estimator from one episode; ``n`` episodes: divide by ``n``):

    .. math::
        \sum_{h=0}^{H-1} \gamma^{2h}\Big(\mathbb E_\mu\big[\rho_{0:h-1}^2\,
        \mathbb V(V_h(s_h) \mid s_{h-1}, a_{h-1})\big]
        + \mathbb E_\mu\big[\rho_{0:h}^2\, \mathbb V(r_h \mid s_h, a_h)\big]\Big),

    computed by the forward recursion of the squared weights
    :math:`m_{h+1}(s') = \sum_{s,a} m_h(s)\,\pi_h(a|s)^2/\mu_h(a|s)\, P(s'|s,a)`, :math:`m_0 = \rho`. In any MDP
    it is the variance of DR with :math:`\hat Q = Q^\pi` (their Theorem 1 with :math:`\Delta = 0`), checked by
    :func:`exact_estimator_variance` in the tests. ``markov`` is the efficiency bound of Kallus & Uehara (2020)
    for Markov models, which estimators that exploit the Markov property (FQE, MIS) attain and which is lower
    outside tree MDPs.

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon.
    target_policy, behavior_policy : array_like
    reward_noise : {"none", "bernoulli"}
        The reward law of the data: ``"none"`` (deterministic :math:`r(s,a)`) or Bernoulli.
    initial_distribution : array_like, optional

    Returns
    -------
    CramerRaoBound

    References
    ----------
    N. Jiang, L. Li, ICML 2016, Theorems 1-2. N. Kallus, M. Uehara, JMLR 21(167), 2020 (efficiency bound of
    Markov decision processes).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, cramer_rao_bound
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.5, 0.0]]), gamma=1.0, horizon=1, initial_distribution=[1.0])
    >>> b = cramer_rao_bound(mdp, np.array([0]), np.array([[0.25, 0.75]]), reward_noise="bernoulli")
    >>> b.tree, b.markov  # E_mu[rho^2 Var r] = 0.25 * 4^2 * 0.25
    (1.0, 1.0)
    """
    FiniteMDP.require(mdp, "finite_horizon", "cramer_rao_bound")
    H, S = mdp.horizon, mdp.n_states
    pi = policy_tensor(mdp, target_policy, "target_policy")
    mu = policy_tensor(mdp, behavior_policy, "behavior_policy")
    if ((pi > 0) & (mu == 0)).any():
        raise ValueError("cramer_rao_bound needs mu(a|s) > 0 wherever pi(a|s) > 0")
    if initial_distribution is not None:
        init = check_probability_vector("initial_distribution", initial_distribution, S)
    elif mdp.initial_distribution is not None:
        init = np.asarray(mdp.initial_distribution, dtype=float)
    else:
        raise ValueError("cramer_rao_bound needs an initial distribution")
    R, R2 = _reward_moments(mdp, reward_noise)
    var_r = np.maximum(R2 - R * R, 0.0)
    ev = finite_horizon_policy_evaluation(mdp, pi, init)
    V = np.array(ev.v)  # (H+1, S)
    P = mdp.dense_P
    g = mdp.gamma
    with np.errstate(divide="ignore", invalid="ignore"):
        w2 = np.where(mu > 0, pi**2 / np.where(mu > 0, mu, 1.0), 0.0)  # E_mu[rho^2 | s, a] * mu = pi^2 / mu
    tree = float(init @ V[0] ** 2 - (init @ V[0]) ** 2)
    m = init.copy()
    occ_pi = stage_occupancy(mdp, pi, init)
    occ_mu = stage_occupancy(mdp, mu, init)
    markov = tree
    for h in range(H):
        mean_next = np.einsum("sat,t->sa", P, V[h + 1])
        var_next = np.maximum(np.einsum("sat,t->sa", P, V[h + 1] ** 2) - mean_next**2, 0.0)
        tree += g ** (2 * h) * float(np.sum(m[:, None] * w2[h] * (var_r + g**2 * var_next)))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio2 = np.where(occ_mu[h] > 0, occ_pi[h] ** 2 / np.where(occ_mu[h] > 0, occ_mu[h], 1.0), 0.0)
        markov += g ** (2 * h) * float(np.sum(ratio2 * (var_r + g**2 * var_next)))
        m = np.einsum("sa,sat->t", m[:, None] * w2[h], P)
    return CramerRaoBound(tree=float(tree), markov=float(markov))
