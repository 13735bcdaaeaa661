r"""Offline RL with pessimism: VI-LCB and pessimistic model-based planning with a total-variation penalty.

Both learn a policy from a logged :class:`~rltheory.tabular.OfflineDataset` of
discounted transitions, without exploration, by acting on *lower* confidence
bounds so that pairs the data rarely show are not trusted.

* :func:`vi_lcb` -- Rashidinejad, Zhu, Ma, Jiao & Russell (2021), "Bridging
  offline reinforcement learning and imitation learning: a tale of pessimism":
  value iteration with a Hoeffding penalty and data splitting (their Algorithm 3,
  OfflineVI-LCB); with :math:`\gamma = 0` the contextual-bandit LCB (their
  Algorithm 2). Their MDP result bounds the expected suboptimality by
  :math:`\tilde O\big(\min(1/(1-\gamma), \sqrt{S C^\star/((1-\gamma)^5 N)})\big)`,
  and in contextual bandits by :math:`\tilde O(\sqrt{S(C^\star - 1)/N} + S/N)`
  for :math:`C^\star \in [1, 2)`: rate :math:`1/N` on nearly expert data.
* :func:`pessimistic_model_based` -- the plug-in model with the reward penalized
  by a certified bound on the model error in total variation (the penalty of
  MOPO, Yu et al. 2020, Theorem 4.2, with the tabular :math:`L_1` concentration of
  Weissman et al. 2003): the penalized value of every policy is a lower bound on
  its true value, with probability :math:`1 - \delta`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rltheory._validation import (
    as_generator,
    check_finite,
    check_int,
    check_probability,
    check_real,
    check_shape,
    readonly,
)
from rltheory.tabular import _sample_kernels
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._offline_data import OfflineDataset
from rltheory.tabular._policy_iteration import policy_iteration
from rltheory.tabular._samples import EmpiricalModel, empirical_mdp

__all__ = ["PessimisticPlanningResult", "VILCBResult", "pessimistic_model_based", "vi_lcb"]


def _transitions(dataset, who: str) -> OfflineDataset:
    if not isinstance(dataset, OfflineDataset):
        raise ValueError(f"{who} needs an OfflineDataset, got {type(dataset).__name__}")
    if dataset.is_episodic:
        raise ValueError(
            f"{who} learns from discounted transition data; this dataset is episodic (horizon {dataset.horizon})"
        )
    if not dataset.gamma < 1.0:
        raise ValueError(f"{who} needs gamma < 1, got {dataset.gamma!r}")
    return dataset


def _reward_bounds(dataset: OfflineDataset, reward_bounds, who: str) -> tuple[float, float]:
    try:
        lo, hi = reward_bounds
    except (TypeError, ValueError):
        raise ValueError(f"reward_bounds = {reward_bounds!r} must be a pair (low, high)") from None
    lo = check_real("reward_bounds[0]", lo)
    hi = check_real("reward_bounds[1]", hi)
    if not lo < hi:
        raise ValueError(f"reward_bounds = ({lo!r}, {hi!r}) needs low < high")
    r = np.asarray(dataset.rewards)
    out = (r < lo) | (r > hi)
    if out.any():
        i = int(np.argmax(out))
        raise ValueError(f"{who}: rewards[{i}] = {float(r[i])!r} (row {i}) is outside reward_bounds = ({lo}, {hi})")
    return lo, hi


@dataclass(frozen=True, eq=False)
class VILCBResult:
    r"""Result of :func:`vi_lcb`.

    Attributes
    ----------
    policy : numpy.ndarray of int64, shape (S,)
        :math:`\pi_T`.
    v_lower : numpy.ndarray, shape (S,)
        :math:`V_T` (shifted back by :math:`r_{lo}/(1-\gamma)`): with probability :math:`\ge 1-\delta` (all the
        Hoeffding bounds of the penalty hold) :math:`V_T \le V^{\pi_T}` elementwise (pessimism and the monotone
        update; Rashidinejad et al. 2021, proof of their MDP theorem).
    q : numpy.ndarray, shape (S, A)
        The penalized :math:`Q_T` of the last iteration (shifted like ``v_lower``).
    iterations : int
        ``T``.
    n_per_iteration : int
        Transitions per subset, :math:`\lfloor N / (T + 1) \rfloor` or one more (all ``N`` for :math:`\gamma = 0`).
    penalty : numpy.ndarray, shape (S, A)
        :math:`b_T(s, a) = V_{\max}\sqrt{L / m_T(s,a)}` of the last subset (``V_max sqrt(L)`` where
        :math:`m_T = 0`).
    values_history : numpy.ndarray, shape (T + 1, S)
        :math:`V_0, \dots, V_T` (shifted); non-decreasing in ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, vi_lcb
    >>> data = OfflineDataset([0] * 6, [0, 0, 0, 0, 1, 1], [1.0, 1.0, 1.0, 1.0, 1.0, 0.0], [0] * 6, n_states=1,
    ...                       n_actions=2, gamma=0.0)
    >>> res = vi_lcb(data)  # action 1 looks as good once but is seen twice only: the LCB prefers action 0
    >>> res.policy.tolist(), bool(res.v_lower[0] < 1.0)
    ([0], True)
    """

    policy: np.ndarray
    v_lower: np.ndarray
    q: np.ndarray
    iterations: int
    n_per_iteration: int
    penalty: np.ndarray
    values_history: np.ndarray


def vi_lcb(
    dataset,
    *,
    delta: float = 0.05,
    n_iterations: int | None = None,
    reward_bounds=(0.0, 1.0),
    penalty_constant: float = 0.5,
    rng=None,
) -> VILCBResult:
    r"""Offline value iteration with lower confidence bounds (VI-LCB) and data splitting.

    Rashidinejad et al. (2021), Algorithm 3 (OfflineVI-LCB). Split the ``N`` transitions at random into
    :math:`T + 1` subsets of size :math:`m \approx N/(T+1)`; subset 0 sets :math:`\pi_0(s) = \arg\max_a m_0(s,a)`
    (most frequent action) and :math:`V_0 = 0`; iteration :math:`t = 1, \dots, T` uses subset :math:`t` only:

    .. math::
        Q_t(s, a) = \hat r_t(s, a) + \gamma \hat P_t(\cdot|s,a)^\top V_{t-1} - b_t(s, a), \qquad
        b_t(s, a) = V_{\max}\sqrt{\frac{L}{m_t(s, a) \vee 1}},

    then :math:`V_t(s) = \max(V_{t-1}(s), \max_a Q_t(s,a))` with :math:`\pi_t(s)` updated only where the value
    improves (pairs of :math:`m_t = 0` get :math:`Q_t = -V_{\max}\sqrt L`). Rewards are shifted to
    :math:`[0, r_{hi} - r_{lo}]` and :math:`V_{\max} = (r_{hi} - r_{lo})/(1 - \gamma)`. Default
    :math:`T = \lceil \log N / (1 - \gamma)\rceil` (the paper's choice).

    **Penalty constant.** Because :math:`V_{t-1}` does not depend on subset :math:`t`, the samples
    :math:`r_i + \gamma V_{t-1}(s'_i) \in [0, V_{\max}]` are i.i.d. given the past, and Hoeffding's inequality
    with a union bound over :math:`(t, s, a)` makes every :math:`Q_t` a lower bound of
    :math:`r + \gamma P V_{t-1}` with probability :math:`1 - \delta` for
    :math:`L = \tfrac12 \log(2 (T+1) S A/\delta)`: that is the default ``penalty_constant = 1/2``. The paper's
    analysis uses :math:`L = 2000 \log(2(T+1)SA/\delta)` (``penalty_constant = 2000``) for its constants; the
    rate is the same.

    With :math:`\gamma = 0` (a contextual bandit) there is nothing to iterate: one LCB step on all the data,
    :math:`\pi(s) = \arg\max_a \hat r(s, a) - b(s,a)` with :math:`L = \tfrac12\log(2SA/\delta)` (their
    Algorithm 2). Ties go to the lowest action. The loop is one compiled pass per subset
    (:func:`rltheory.tabular._sample_kernels.vi_lcb_loop`; NumPy reference
    :func:`rltheory.tabular._sample_reference.vi_lcb_reference`).

    Parameters
    ----------
    dataset : OfflineDataset
        Discounted transitions (:math:`\gamma < 1`), rewards within ``reward_bounds``.
    delta : float
        Failure probability of the confidence bounds, in ``(0, 1)``.
    n_iterations : int, optional
        ``T >= 1`` (ignored for :math:`\gamma = 0`).
    reward_bounds : (float, float)
        Known range of the rewards.
    penalty_constant : float
        :math:`L` = this times :math:`\log(2 (T + 1) S A / \delta)`.
    rng : numpy.random.Generator, int, SeedSequence or None
        The random split.

    Returns
    -------
    VILCBResult

    References
    ----------
    P. Rashidinejad, B. Zhu, C. Ma, J. Jiao, S. Russell, "Bridging offline reinforcement learning and imitation
    learning: a tale of pessimism", NeurIPS 2021 (arXiv:2103.12021), Algorithms 2-3; IEEE Trans. Inf. Theory
    68(12), 2022. W. Hoeffding, *JASA* 58, 1963, Theorem 2.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, collect, policy_iteration, vi_lcb
    >>> P = np.array([[[0.9, 0.1], [0.1, 0.9]], [[0.1, 0.9], [0.9, 0.1]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=0.8, initial_distribution=[0.5, 0.5])
    >>> expert = policy_iteration(mdp).policy
    >>> data = collect(mdp, np.where(np.eye(2)[expert] > 0, 0.9, 0.1), n_transitions=20_000, rng=0)
    >>> res = vi_lcb(data, rng=0)
    >>> res.policy.tolist() == expert.tolist(), bool(np.all(np.diff(res.values_history, axis=0) >= 0))
    (True, True)
    """
    d = _transitions(dataset, "vi_lcb")
    lo, hi = _reward_bounds(d, reward_bounds, "vi_lcb")
    dlt = check_probability("delta", delta)
    c = check_real("penalty_constant", penalty_constant, low=0.0, low_open=True)
    S, A, N, g = d.n_states, d.n_actions, d.n_transitions, d.gamma
    v_max = (hi - lo) / (1.0 - g)
    pairs = np.ascontiguousarray(d.pairs, dtype=np.int64)
    rewards = np.asarray(d.rewards, dtype=float) - lo
    nxt = np.ascontiguousarray(d.next_states, dtype=np.int64)
    counts = np.empty(S * A, dtype=np.int64)
    sums = np.empty(S * A)
    if g == 0.0:
        T = 1
        L = c * math.log(2 * S * A / dlt)
        _sample_kernels.pair_sums(pairs, rewards, np.arange(N, dtype=np.int64), 0, N, S * A, counts, sums)
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(
                counts > 0,
                sums / np.maximum(counts, 1) - v_max * np.sqrt(L / np.maximum(counts, 1)),
                -v_max * math.sqrt(L),
            ).reshape(S, A)
        policy = np.argmax(q, axis=1).astype(np.int64)
        v = np.maximum(q.max(axis=1), 0.0)  # V_1 = max(V_0, max_a Q_1), V_0 = 0
        history = np.vstack([np.zeros(S), v])
        m = N
        last_counts = counts
    else:
        T = (
            int(math.ceil(math.log(max(N, 2)) / (1.0 - g)))
            if n_iterations is None
            else check_int("n_iterations", n_iterations, low=1)
        )
        if N < T + 1:
            raise ValueError(
                f"vi_lcb: {N} transitions cannot be split into T + 1 = {T + 1} subsets; pass a smaller n_iterations"
            )
        L = c * math.log(2 * (T + 1) * S * A / dlt)
        order = as_generator(rng).permutation(N).astype(np.int64)
        bounds = np.round(np.linspace(0, N, T + 2)).astype(np.int64)
        m0 = np.bincount(pairs[order[bounds[0] : bounds[1]]], minlength=S * A).reshape(S, A)
        policy = np.argmax(m0, axis=1).astype(np.int64)
        v = np.zeros(S)
        q = np.empty((S, A))
        history = np.empty((T + 1, S))
        _sample_kernels.vi_lcb_loop(
            pairs, rewards, nxt, order, bounds, S, A, g, v_max, L, v, policy, q, counts, sums, history
        )
        m = int(np.min(np.diff(bounds)[1:]))
        last_counts = counts  # the kernel leaves subset T's counts in place
    with np.errstate(divide="ignore"):
        pen = np.where(last_counts > 0, v_max * np.sqrt(L / np.maximum(last_counts, 1)), v_max * math.sqrt(L))
    shift = lo / (1.0 - g)
    return VILCBResult(
        policy=readonly(policy),
        v_lower=readonly(v + shift),
        q=readonly(q + shift),
        iterations=int(T),
        n_per_iteration=int(m),
        penalty=readonly(pen.reshape(S, A)),
        values_history=readonly(history + shift),
    )


@dataclass(frozen=True, eq=False)
class PessimisticPlanningResult:
    r"""Result of :func:`pessimistic_model_based`.

    Attributes
    ----------
    policy : numpy.ndarray of int64, shape (S,)
        :math:`\hat\pi`, optimal for the penalized model.
    v_lower : numpy.ndarray, shape (S,)
        :math:`\hat v^{\hat\pi}_{pen}`: with probability :math:`\ge 1 - \delta`,
        :math:`\hat v^{\hat\pi}_{pen} \le v^{\hat\pi}` (and :math:`\hat v^\pi_{pen} \le v^\pi` for every policy).
    v_upper : numpy.ndarray, shape (S,)
        The optimal value of the optimistic model (rewards :math:`\hat r + \text{penalty}`): with the same
        probability :math:`v^\star \le` ``v_upper``.
    policy_suboptimality_bound : float
        ``max(v_upper - v_lower)``: with probability :math:`\ge 1-\delta`, :math:`\|v^\star - v^{\hat\pi}\|_\infty`
        is at most this.
    penalty : numpy.ndarray, shape (S, A)
        :math:`\gamma\, c\, u(s, a) + e(s, a)`, see :func:`pessimistic_model_based`.
    tv_radius : numpy.ndarray, shape (S, A)
        :math:`u(s, a)`, the radius of the :math:`L_1` ball around :math:`\hat P(\cdot|s,a)`.
    model : EmpiricalModel
        The plug-in model (unpenalized).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import OfflineDataset, pessimistic_model_based
    >>> data = OfflineDataset([0, 0], [0, 0], [1.0, 1.0], [0, 0], n_states=1, n_actions=2, gamma=0.5)
    >>> res = pessimistic_model_based(data)
    >>> res.policy.tolist(), bool(np.all(res.v_lower <= res.v_upper))
    ([0], True)
    """

    policy: np.ndarray
    v_lower: np.ndarray
    v_upper: np.ndarray
    policy_suboptimality_bound: float
    penalty: np.ndarray
    tv_radius: np.ndarray
    model: EmpiricalModel


def pessimistic_model_based(
    dataset, *, delta: float = 0.05, reward_bounds=(0.0, 1.0), tv_radius=None
) -> PessimisticPlanningResult:
    r"""Pessimistic model-based offline RL with a total-variation penalty, and its certificate.

    Let :math:`\hat P, \hat r` be the plug-in model (:func:`~rltheory.tabular.empirical_mdp`; unvisited pairs
    a self-loop with reward :math:`r_{lo}`), :math:`u(s,a) \ge \|P(\cdot|s,a) - \hat P(\cdot|s,a)\|_1` and
    :math:`e(s,a) \ge |r(s,a) - \hat r(s,a)|`. For every policy :math:`\pi`, with
    :math:`c = (r_{hi} - r_{lo})/(2(1-\gamma))` (half the span of any value),

    .. math::
        v^\pi - \hat v^\pi = (I - \gamma \hat P^\pi)^{-1}\big[(r - \hat r)^\pi + \gamma (P - \hat P)^\pi v^\pi\big]
        \ge -(I - \gamma \hat P^\pi)^{-1} (e + \gamma c\, u)^\pi,

    because :math:`|(P - \hat P)(\cdot|s,a)^\top v| \le \|P - \hat P\|_1\, \mathrm{span}(v)/2` (derived here:
    the tabular form of the simulation lemma of Yu et al. 2020, Lemma 4.1 / Theorem 4.2, with :math:`d_F` the
    total variation). So the value of :math:`\pi` in the model with rewards :math:`\hat r - e - \gamma c u` is
    a lower bound on :math:`v^\pi` for *every* :math:`\pi` at once, and the same argument with :math:`+` gives
    an upper bound. The returned policy maximizes the pessimistic value
    (:func:`~rltheory.tabular.policy_iteration`); then
    :math:`v^{\hat\pi} \ge \hat v^{\hat\pi}_{pen} = \max_\pi \hat v^\pi_{pen}` and
    :math:`v^\star \le \max_\pi \hat v^\pi_{opt}`, which is the certificate
    ``policy_suboptimality_bound``.

    The default radii hold together with probability :math:`\ge 1 - \delta`: Weissman, Ordentlich, Seroussi,
    Verdú & Weinberger (2003), Theorem 2.1, :math:`\Pr(\|\hat P - P\|_1 \ge \varepsilon) \le (2^S - 2)
    e^{-n\varepsilon^2/2}`, gives :math:`u = \min(2, \sqrt{2 (S \log 2 + \log(2SA/\delta))/n})` (union over the
    pairs, :math:`\delta/2`), and Hoeffding gives :math:`e = (r_{hi} - r_{lo})\sqrt{\log(4SA/\delta)/(2n)}`
    (:math:`\delta/2`); unvisited pairs get :math:`u = 2`, :math:`e = r_{hi} - r_{lo}`.

    Parameters
    ----------
    dataset : OfflineDataset
        Discounted transitions, rewards within ``reward_bounds``.
    delta : float
    reward_bounds : (float, float)
    tv_radius : array_like, shape (S, A), optional
        Radii :math:`u` to use instead of Weissman's (any valid :math:`L_1` bound keeps the certificate).

    Returns
    -------
    PessimisticPlanningResult

    References
    ----------
    T. Yu, G. Thomas, L. Yu, S. Ermon, J. Zou, S. Levine, C. Finn, T. Ma, "MOPO: model-based offline policy
    optimization", NeurIPS 2020, Theorem 4.2. T. Weissman et al., "Inequalities for the L1 deviation of the
    empirical distribution", HP Labs Tech. Rep. HPL-2003-97, Theorem 2.1. M. Uehara, W. Sun, "Pessimistic
    model-based offline reinforcement learning under partial coverage", ICLR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, collect, pessimistic_model_based, policy_evaluation, policy_iteration
    >>> P = np.array([[[0.9, 0.1], [0.1, 0.9]], [[0.1, 0.9], [0.9, 0.1]]])
    >>> mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), gamma=0.8, initial_distribution=[0.5, 0.5])
    >>> res = pessimistic_model_based(collect(mdp, np.full((2, 2), 0.5), n_transitions=50_000, rng=0))
    >>> v_pi = policy_evaluation(mdp, res.policy).v
    >>> v_star = policy_iteration(mdp).v
    >>> bool(np.all(res.v_lower <= v_pi)), bool(np.max(v_star - v_pi) <= res.policy_suboptimality_bound)
    (True, True)
    """
    d = _transitions(dataset, "pessimistic_model_based")
    lo, hi = _reward_bounds(d, reward_bounds, "pessimistic_model_based")
    dlt = check_probability("delta", delta)
    S, A, g = d.n_states, d.n_actions, d.gamma
    model = empirical_mdp(d, unvisited_reward=lo)
    n = np.asarray(model.counts, dtype=float)
    seen = n > 0
    if tv_radius is None:
        # Weissman et al. (2003), Thm 2.1, union bound over the S A pairs with delta / 2
        with np.errstate(divide="ignore"):
            u = np.where(seen, np.sqrt(2.0 * (S * math.log(2.0) + math.log(2.0 * S * A / dlt)) / np.maximum(n, 1)), 2.0)
        u = np.minimum(u, 2.0)
    else:
        u = np.array(tv_radius, dtype=float)
        check_shape("tv_radius", u, (S, A))
        check_finite("tv_radius", u)
        if (u < 0).any():
            raise ValueError("tv_radius must be non-negative")
    width = hi - lo
    with np.errstate(divide="ignore"):
        e = np.where(seen, width * np.sqrt(math.log(4.0 * S * A / dlt) / (2.0 * np.maximum(n, 1))), width)
    e = np.minimum(e, width)
    c = width / (2.0 * (1.0 - g))
    penalty = g * c * u + e
    emp = model.mdp

    def solve(rewards):
        m = FiniteMDP(emp.P, rewards, gamma=g, action_mask=emp.action_mask if emp.has_action_mask else None)
        return policy_iteration(m)

    low = solve(np.asarray(emp.R) - penalty)
    high = solve(np.asarray(emp.R) + penalty)
    v_lower, v_upper = np.array(low.v), np.array(high.v)
    return PessimisticPlanningResult(
        policy=low.policy,
        v_lower=readonly(v_lower),
        v_upper=readonly(v_upper),
        policy_suboptimality_bound=float(np.max(v_upper - v_lower)),
        penalty=readonly(penalty),
        tv_radius=readonly(u),
        model=model,
    )
