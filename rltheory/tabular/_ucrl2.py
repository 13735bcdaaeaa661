r"""UCRL2 (Jaksch, Ortner & Auer 2010) with extended value iteration, compiled.

**Confidence set** (their Algorithm 1, step 3, Eqs. (1)-(2)). At the start
:math:`t_k` of episode :math:`k`, with :math:`N_k(s,a)` the visits of
:math:`(s,a)` before :math:`t_k`, :math:`\hat r_k` and :math:`\hat p_k` the
empirical means (0 for an unvisited pair), :math:`\mathcal M_k` is the set of
MDPs with rewards :math:`\tilde r(s,a) \in [0, 1]` and transitions
:math:`\tilde p(\cdot|s,a)` such that

.. math::

    |\tilde r(s,a) - \hat r_k(s,a)| \le \sqrt{\frac{7 \log(2 S A t_k / \delta)}{2 \max\{1, N_k(s,a)\}}},
    \qquad
    \|\tilde p(\cdot|s,a) - \hat p_k(\cdot|s,a)\|_1 \le \sqrt{\frac{14 S \log(2 A t_k / \delta)}{\max\{1, N_k(s,a)\}}}.

**Extended value iteration** (their Sec. 3.1.1, Eq. (4), Fig. 2). From
:math:`u_0 = 0`,

.. math::

    u_{i+1}(s) = \max_{a} \Big\{ \tilde r(s,a) + \max_{p \in \mathcal P(s,a)} \sum_{s'} p(s')\, u_i(s') \Big\},
    \qquad \tilde r(s,a) = \min\{1, \hat r_k(s,a) + \mathrm{rad}_r(s,a)\},

where the inner maximum over the :math:`L_1` ball is solved exactly by the
sorting argument of Fig. 2: sort the states by decreasing :math:`u_i`, put
:math:`\min\{1, \hat p(s'_1) + d/2\}` on the best one, keep :math:`\hat p`
elsewhere, and remove the excess mass from the worst states first. EVI stops
when :math:`\max_s (u_{i+1} - u_i)(s) - \min_s (u_{i+1} - u_i)(s) < 1/\sqrt{t_k}`
(their Eq. (5)); the greedy policy with respect to :math:`u_i` (the maximiser
of the last sweep) is then :math:`1/\sqrt{t_k}`-optimal for the extended MDP
(their Theorem 7). Each sweep costs one sort of the states and, per pair with
:math:`n` observed successors, :math:`O(n)` plus an insertion sort of the
support when mass must be removed (Fig. 2 restricted to the support gives the
same numbers as on the dense row); the
iterate is shifted by its minimum after each sweep (the operator commutes
with constants, so differences and policies are those of the paper).

**Episodes** (Algorithm 1, step 4): the policy :math:`\tilde\pi_k` is played
while :math:`v_k(s_t, \tilde\pi_k(s_t)) < \max\{1, N_k(s_t, \tilde\pi_k(s_t))\}`,
:math:`v_k` the visits within the episode: an episode ends when the count of
the pair about to be played has doubled.

**Optimism, certified.** At every sweep :math:`\min_s (u_{i+1}-u_i)(s) \le
\tilde\rho^* \le \max_s (u_{i+1}-u_i)(s)`, :math:`\tilde\rho^*` the optimal
gain of the extended MDP (Odoni's bounds; Puterman 2005, Theorem 8.5.5); when
the true MDP lies in :math:`\mathcal M_k` its policies are policies of the
extended MDP, so the recorded ``gain_upper`` :math:`\ge g^*`, and at the
stopping sweep ``gain_lower`` :math:`> \tilde\rho^* - 1/\sqrt{t_k} \ge g^* - 1/\sqrt{t_k}`
(Jaksch et al., Eq. (6)).

The whole of a run (episodes, EVI) stays in compiled code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from rltheory._validation import check_finite, check_int, check_probability, check_real, check_shape, readonly
from rltheory.simulation import ContinuingAgent
from rltheory.tabular._noisy_rewards import unit_reward_model

__all__ = ["ExtendedValueIterationResult", "UCRL2", "extended_value_iteration"]

# positions in the agent's ``info`` array (the last entry of its state; see UCRL2's docstring)
INFO_T_K, INFO_EPISODES, INFO_GAIN_LOWER, INFO_GAIN_UPPER, INFO_ITERATIONS, INFO_NOT_CONVERGED = 0, 1, 2, 3, 4, 5
INFO_TOTAL_ITERATIONS, INFO_RESIDUAL = 6, 7
INFO_SIZE = 8


@njit(cache=True)
def _inner_max(p_hat, d, u, order, p):
    """Jaksch et al. (2010), Fig. 2: ``p`` maximising ``p . u`` over the L1 ball of radius ``d`` around ``p_hat``.

    ``order`` sorts the states by decreasing ``u``. Writes ``p`` and returns ``p . u``.
    """
    S = p_hat.shape[0]
    total = 0.0
    for j in range(S):
        p[j] = p_hat[j]
    best = order[0]
    p[best] = min(1.0, p_hat[best] + 0.5 * d)
    for j in range(S):
        total += p[j]
    ell = S - 1
    while total > 1.0 and ell > 0:
        j = order[ell]
        old = p[j]
        new = max(0.0, 1.0 - (total - old))
        p[j] = new
        total += new - old
        ell -= 1
    value = 0.0
    for j in range(S):
        value += p[j] * u[j]
    return value


@njit(cache=True)
def _inner_max_support(p_hat, d, u, best, rank, supp, n, work, p):
    """:func:`_inner_max` on the support ``supp[:n]`` (ascending) of ``p_hat``; returns ``p . u``.

    The same floating-point operations in the same order as the dense version, the zero entries skipped:
    adding ``0 * u[j]`` or ``0`` to a sum leaves it unchanged, and the removal step of Fig. 2 leaves a zero
    entry at zero. ``best = order[0]``, ``rank[order[i]] = i``; ``p`` (scratch) is written on the support
    and at ``best`` only, ``work`` (scratch) receives the support by decreasing rank (worst state first).
    """
    pb_hat = 0.0
    best_in = False
    for k in range(n):
        j = supp[k]
        p[j] = p_hat[j]
        if j == best:
            best_in = True
            pb_hat = p_hat[j]
    pb = min(1.0, pb_hat + 0.5 * d)
    p[best] = pb
    total = 0.0
    inserted = best_in
    for k in range(n):
        j = supp[k]
        if not inserted and best < j:
            total += pb
            inserted = True
        total += p[j]
    if not inserted:
        total += pb
    if total > 1.0:
        m = 0
        for k in range(n):  # insertion sort of the support (minus best) by decreasing rank; supports are small
            j = supp[k]
            if j == best:
                continue
            r = rank[j]
            i = m
            while i > 0 and rank[work[i - 1]] < r:
                work[i] = work[i - 1]
                i -= 1
            work[i] = j
            m += 1
        i = 0
        while total > 1.0 and i < m:
            j = work[i]
            old = p[j]
            new = max(0.0, 1.0 - (total - old))
            p[j] = new
            total += new - old
            i += 1
    value = 0.0
    inserted = best_in
    for k in range(n):
        j = supp[k]
        if not inserted and best < j:
            value += pb * u[best]
            inserted = True
        value += p[j] * u[j]
    if not inserted:
        value += pb * u[best]
    return value


@njit(cache=True)
def _evi(p_hat, r_tilde, p_radius, allowed, eps, max_iter, u, u_new, p, policy):
    """Extended value iteration from ``u = 0`` (Jaksch et al. 2010, Sec. 3.1.1); no validation.

    On return ``u`` holds the iterate :math:`u_i` of the last sweep (shifted by a constant), ``u_new`` its image
    :math:`u_{i+1}` and ``policy`` the greedy policy of that sweep; returns
    ``(sweeps, converged, min(u_new - u), max(u_new - u))``. The supports of the rows of ``p_hat`` are indexed
    once per call, and every sweep runs Fig. 2 on them (:func:`_inner_max_support`, the same numbers as
    :func:`_inner_max` on the dense rows, in O(support) per pair instead of O(S)).
    """
    S, A = r_tilde.shape
    support = np.empty((S, A, S), dtype=np.int64)
    n_support = np.zeros((S, A), dtype=np.int64)
    for s in range(S):
        for a in range(A):
            n = 0
            for j in range(S):
                if p_hat[s, a, j] != 0.0:
                    support[s, a, n] = j
                    n += 1
            n_support[s, a] = n
    rank = np.empty(S, dtype=np.int64)
    work = np.empty(S, dtype=np.int64)
    for j in range(S):
        u[j] = 0.0
    dmin, dmax = 0.0, 0.0
    sweeps = 0
    converged = False
    while sweeps < max_iter:
        order = np.argsort(-u, kind="mergesort")
        for i in range(S):
            rank[order[i]] = i
        top = order[0]
        for s in range(S):
            best = -np.inf
            ba = -1
            for a in range(A):
                if not allowed[s, a]:
                    continue
                q = r_tilde[s, a] + _inner_max_support(
                    p_hat[s, a], p_radius[s, a], u, top, rank, support[s, a], n_support[s, a], work, p
                )
                if q > best:
                    best = q
                    ba = a
            u_new[s] = best
            policy[s] = ba
        sweeps += 1
        dmin, dmax = np.inf, -np.inf
        low = np.inf
        for s in range(S):
            diff = u_new[s] - u[s]
            if diff < dmin:
                dmin = diff
            if diff > dmax:
                dmax = diff
            if u_new[s] < low:
                low = u_new[s]
        # Jaksch et al. (2010), Eq. (5): stop when the span of u_{i+1} - u_i is below eps = 1/sqrt(t_k)
        if dmax - dmin < eps:
            converged = True
            break
        if sweeps >= max_iter:
            break
        for s in range(S):
            u[s] = u_new[s] - low
    return sweeps, converged, dmin, dmax


@njit(cache=True)
def _ucrl2_init(params, n_states, n_actions):
    """State: (counts, episode_counts, transitions, reward_sums, policy, p_hat, r_hat, p_radius, r_radius,
    r_tilde, u, u_new, p, info)."""
    S, A = n_states, n_actions
    info = np.zeros(INFO_SIZE)
    return (
        np.zeros((S, A)),
        np.zeros((S, A)),
        np.zeros((S, A, S)),
        np.zeros((S, A)),
        np.zeros(S, dtype=np.int64),
        np.zeros((S, A, S)),
        np.zeros((S, A)),
        np.zeros((S, A)),
        np.zeros((S, A)),
        np.zeros((S, A)),
        np.zeros(S),
        np.zeros(S),
        np.zeros(S),
        info,
    )


@njit(cache=True)
def _ucrl2_start_episode(params, state, t):
    counts, ep_counts, trans, rsum, policy, p_hat, r_hat, p_rad, r_rad, r_tilde, u, u_new, p, info = state
    S, A = counts.shape
    t_k = float(t + 1)
    delta = params.delta
    # Jaksch et al. (2010), Algorithm 1, Eqs. (1) and (2): the confidence radii at the episode start t_k
    log_r = math.log(2.0 * S * A * t_k / delta)
    log_p = math.log(2.0 * A * t_k / delta)
    for s in range(S):
        for a in range(A):
            n = counts[s, a]
            ep_counts[s, a] = n
            m = max(1.0, n)
            r_hat[s, a] = rsum[s, a] / m
            r_rad[s, a] = math.sqrt(7.0 * log_r / (2.0 * m))
            p_rad[s, a] = math.sqrt(14.0 * S * log_p / m)
            r_tilde[s, a] = min(1.0, r_hat[s, a] + r_rad[s, a])
            for j in range(S):
                p_hat[s, a, j] = trans[s, a, j] / m
    sweeps, converged, dmin, dmax = _evi(
        p_hat, r_tilde, p_rad, params.allowed, 1.0 / math.sqrt(t_k), params.max_iter, u, u_new, p, policy
    )
    info[INFO_T_K] = t_k
    info[INFO_EPISODES] += 1.0
    info[INFO_GAIN_LOWER] = dmin
    info[INFO_GAIN_UPPER] = dmax
    info[INFO_ITERATIONS] = sweeps
    info[INFO_TOTAL_ITERATIONS] += sweeps
    info[INFO_RESIDUAL] = dmax - dmin
    if not converged:
        info[INFO_NOT_CONVERGED] += 1.0


@njit(cache=True)
def _ucrl2_act(params, state, t, s, rng):
    counts, ep_counts, policy, info = state[0], state[1], state[4], state[13]
    a = policy[s]
    # Jaksch et al. (2010), Algorithm 1, step 4: play pi_k while v_k(s, pi_k(s)) < max{1, N_k(s, pi_k(s))}
    if info[INFO_EPISODES] == 0.0 or counts[s, a] - ep_counts[s, a] >= max(1.0, ep_counts[s, a]):
        _ucrl2_start_episode(params, state, t)
        a = policy[s]
    return a


@njit(cache=True)
def _ucrl2_observe(params, state, t, s, a, reward, s_next, rng):
    counts, trans, rsum = state[0], state[2], state[3]
    counts[s, a] += 1.0
    trans[s, a, s_next] += 1.0
    rsum[s, a] += reward


class _UCRL2Params(NamedTuple):
    delta: float
    max_iter: int
    allowed: np.ndarray


@dataclass(frozen=True)
class UCRL2(ContinuingAgent):
    r"""UCRL2 (Jaksch, Ortner & Auer 2010, Algorithm 1) with extended value iteration.

    See :mod:`rltheory.tabular._ucrl2` (this module's docstring) for the
    confidence set (Eqs. (1)-(2), with the constants of the paper), extended
    value iteration (Fig. 2, stopping rule Eq. (5)) and the doubling episodes.

    **Regret** (Theorem 2): on a communicating MDP with diameter :math:`D`
    and rewards in :math:`[0, 1]`, with probability at least :math:`1 - \delta`,
    for every initial state and every :math:`T > 1`,
    :math:`T g^* - \sum_{t \le T} r_t \le 34\, D S \sqrt{A T \log(T/\delta)}`
    (:func:`~rltheory.tabular.ucrl2_regret_bound`).

    Parameters
    ----------
    delta : float in (0, 1)
        Confidence parameter :math:`\delta`.
    max_iter : int >= 1
        Cap on the EVI sweeps of one episode; an episode whose EVI hits it
        plays the last greedy policy and is counted in the state's
        ``info[5]`` (Theorem 7 guarantees convergence when the confidence set
        contains a communicating MDP).

    Notes
    -----
    State (the tuple returned by ``init``, named by :attr:`state_fields`; read
    by the optimism check of ``rltheory check``): ``counts`` :math:`N(s,a)`,
    ``episode_counts`` :math:`N_k`, ``transitions`` (counts of
    :math:`s,a \to s'`), ``reward_sums``, ``policy`` :math:`\tilde\pi_k`,
    ``p_hat``, ``r_hat``, ``p_radius``, ``r_radius``, ``r_tilde`` (the
    episode's estimates and radii), the EVI iterate ``u`` and two work vectors,
    and ``info`` (:attr:`info_fields`): ``[t_k, episodes, gain_lower,
    gain_upper, sweeps, episodes whose EVI did not converge, total sweeps,
    residual]``.

    Examples
    --------
    >>> from rltheory.simulation import simulate
    >>> from rltheory.tabular import UCRL2
    >>> from rltheory.tabular.envs import river_swim
    >>> mdp = river_swim(6, gamma=1, variant="osband")
    >>> curve = simulate(mdp, UCRL2(delta=0.05), n_rounds=2000, n_runs=2, seed=0, checkpoints=4)
    >>> curve.regret.shape, curve.unit
    ((2, 4), 'rounds')
    >>> UCRL2(delta=1.5)
    Traceback (most recent call last):
    ...
    ValueError: delta = 1.5 must be < 1.0
    """

    delta: float = 0.05
    max_iter: int = 100_000

    name: ClassVar[str] = "UCRL2"
    #: The entries of the state tuple (``init``'s return value), in order.
    state_fields: ClassVar[tuple] = (
        "counts",
        "episode_counts",
        "transitions",
        "reward_sums",
        "policy",
        "p_hat",
        "r_hat",
        "p_radius",
        "r_radius",
        "r_tilde",
        "u",
        "u_new",
        "p",
        "info",
    )
    #: The entries of ``info`` (the last entry of the state), in order.
    info_fields: ClassVar[tuple] = (
        "t_k",
        "episodes",
        "gain_lower",
        "gain_upper",
        "sweeps",
        "not_converged",
        "total_sweeps",
        "residual",
    )
    Params: ClassVar = _UCRL2Params
    init: ClassVar = staticmethod(_ucrl2_init)
    act: ClassVar = staticmethod(_ucrl2_act)
    observe: ClassVar = staticmethod(_ucrl2_observe)

    def __post_init__(self):
        object.__setattr__(self, "delta", check_probability("delta", self.delta))
        object.__setattr__(self, "max_iter", check_int("max_iter", self.max_iter, low=1))

    def compiled_params(self, problem, budget):
        mdp = unit_reward_model(problem, "UCRL2")
        return _UCRL2Params(self.delta, self.max_iter, np.ascontiguousarray(mdp.action_mask, dtype=np.bool_))


# ====================================================================== public EVI
@dataclass(frozen=True, eq=False)
class ExtendedValueIterationResult:
    r"""Result of :func:`extended_value_iteration`.

    Attributes
    ----------
    policy : numpy.ndarray of int64, shape (S,)
        The greedy policy of the last sweep (:math:`\tilde\pi`).
    bias : numpy.ndarray, shape (S,)
        The last iterate :math:`u_{i+1}`, shifted to minimum 0 (the values of the extended MDP up to a constant).
    gain : numpy.ndarray, shape (S,)
        :math:`(g_{lower} + g_{upper}) / 2` on every state.
    gain_lower, gain_upper : float
        :math:`\min_s (u_{i+1} - u_i)(s) \le \tilde\rho^* \le \max_s (u_{i+1} - u_i)(s)`,
        :math:`\tilde\rho^*` the optimal gain of the extended MDP; ``gain_lower``
        also lower-bounds the gain of ``policy`` on the optimistic model.
    iterations : int
        Sweeps performed.
    converged : bool
        The span fell below ``tol``.
    residual : float
        ``gain_upper - gain_lower``.
    transitions : numpy.ndarray, shape (S, A, S)
        The maximisers :math:`\tilde p(\cdot|s, a)` of Fig. 2 of the last sweep (the optimistic model
        :math:`\tilde M` that ``policy`` is greedy for), 0 for a disallowed pair.
    rewards : numpy.ndarray, shape (S, A)
        :math:`\tilde r = \min\{1, \hat r + \mathrm{rad}_r\}`.

    Examples
    --------
    With zero radii the optimistic model is the estimate itself. Both states jump to a uniform next
    state, so the gain is the mean reward :math:`(0.2 + 0.6)/2` and the bias difference is
    :math:`r(1) - r(0)`:

    >>> import numpy as np
    >>> from rltheory.tabular import extended_value_iteration
    >>> p_hat = np.full((2, 1, 2), 0.5)
    >>> res = extended_value_iteration(p_hat, np.array([[0.2], [0.6]]), np.zeros((2, 1)), np.zeros((2, 1)), tol=1e-10)
    >>> res.converged, res.policy.tolist(), res.gain.round(9).tolist(), res.bias.round(9).tolist()
    (True, [0, 0], [0.4, 0.4], [0.0, 0.4])
    >>> bool(res.gain_lower <= res.gain_upper), bool(np.array_equal(res.transitions, p_hat)), res.rewards.tolist()
    (True, True, [[0.2], [0.6]])
    """

    policy: np.ndarray
    bias: np.ndarray
    gain: np.ndarray
    gain_lower: float
    gain_upper: float
    iterations: int
    converged: bool
    residual: float
    transitions: np.ndarray
    rewards: np.ndarray


def extended_value_iteration(
    p_hat, r_hat, p_radius, r_radius, *, tol: float, max_iter: int = 100_000, action_mask=None
) -> ExtendedValueIterationResult:
    r"""Extended value iteration of UCRL2 (Jaksch, Ortner & Auer 2010, Sec. 3.1.1, Fig. 2), compiled.

    Computes an optimistic policy for the set of MDPs with rewards
    :math:`\tilde r(s,a) \in [0, 1]`, :math:`|\tilde r - \hat r| \le` ``r_radius``
    and transitions :math:`\|\tilde p(\cdot|s,a) - \hat p(\cdot|s,a)\|_1 \le`
    ``p_radius``, by value iteration on the extended MDP from :math:`u_0 = 0`
    until :math:`\mathrm{sp}(u_{i+1} - u_i) <` ``tol`` (UCRL2 uses
    ``tol = 1/sqrt(t_k)``; see :class:`UCRL2`).

    Parameters
    ----------
    p_hat : array_like, shape (S, A, S)
        Empirical transition probabilities (rows sum to 1, or are 0 for an unvisited pair).
    r_hat : array_like, shape (S, A)
        Empirical mean rewards in [0, 1].
    p_radius, r_radius : array_like, shape (S, A)
        Non-negative :math:`L_1` and reward radii.
    tol : float > 0
    max_iter : int >= 1
        Cap on the sweeps (``converged=False`` when reached).
    action_mask : array_like of bool, shape (S, A), optional

    Returns
    -------
    ExtendedValueIterationResult

    Examples
    --------
    Two states, one action each; state 1 pays 1. The radius 0.4 lets the
    optimistic model move 0.2 of the mass of ``p_hat(.|1)`` onto state 1 itself,
    so the optimistic chain spends a share 1 / (1 + 0.3) = 10/13 of the time
    in state 1:

    >>> import numpy as np
    >>> from rltheory.tabular import extended_value_iteration
    >>> p_hat = np.array([[[0.0, 1.0]], [[0.5, 0.5]]])
    >>> res = extended_value_iteration(p_hat, np.array([[0.0], [1.0]]), np.full((2, 1), 0.4), np.zeros((2, 1)),
    ...                                tol=1e-9)
    >>> res.converged, res.transitions[1, 0].round(12).tolist(), round(res.gain_upper, 9), round(10 / 13, 9)
    (True, [0.3, 0.7], 0.769230769, 0.769230769)
    """
    p_hat = np.array(p_hat, dtype=np.float64)
    if p_hat.ndim != 3 or p_hat.shape[0] != p_hat.shape[2]:
        raise ValueError(f"p_hat has shape {p_hat.shape}, expected (S, A, S)")
    S, A = p_hat.shape[0], p_hat.shape[1]
    arrays = {}
    for name, value in (("r_hat", r_hat), ("p_radius", p_radius), ("r_radius", r_radius)):
        arr = np.array(value, dtype=np.float64)
        check_shape(name, arr, (S, A))
        check_finite(name, arr)
        arrays[name] = arr
    check_finite("p_hat", p_hat)
    if (p_hat < 0).any():
        raise ValueError(f"p_hat has a negative entry at {tuple(int(i) for i in np.argwhere(p_hat < 0)[0])}")
    sums = p_hat.sum(axis=2)
    bad = (np.abs(sums - 1.0) > 1e-9) & (sums != 0.0)
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"p_hat[{s}, {a}] sums to {float(sums[s, a])!r}, expected 1 (or 0 for an unvisited pair)")
    for name in ("p_radius", "r_radius"):
        if (arrays[name] < 0).any():
            raise ValueError(
                f"{name} has a negative entry at {tuple(int(i) for i in np.argwhere(arrays[name] < 0)[0])}"
            )
    if ((arrays["r_hat"] < 0) | (arrays["r_hat"] > 1)).any():
        raise ValueError("r_hat must lie in [0, 1] (the rewards of UCRL2)")
    mask = np.ones((S, A), dtype=bool) if action_mask is None else np.asarray(action_mask)
    check_shape("action_mask", mask, (S, A))
    if mask.dtype != bool or not mask.any(axis=1).all():
        raise ValueError("action_mask must be boolean with at least one allowed action per state")
    tol = check_real("tol", tol, low=0.0, low_open=True)
    max_iter = check_int("max_iter", max_iter, low=1)
    r_tilde = np.minimum(1.0, arrays["r_hat"] + arrays["r_radius"])
    u, u_new, p = np.zeros(S), np.zeros(S), np.zeros(S)
    policy = np.zeros(S, dtype=np.int64)
    sweeps, converged, dmin, dmax = _evi(
        p_hat, r_tilde, arrays["p_radius"], np.ascontiguousarray(mask), tol, max_iter, u, u_new, p, policy
    )
    order = np.argsort(-u, kind="mergesort")  # u is the iterate of the last sweep: its maximisers are the model's
    transitions = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            if mask[s, a]:
                _inner_max(p_hat[s, a], float(arrays["p_radius"][s, a]), u, order, transitions[s, a])
    return ExtendedValueIterationResult(
        policy=readonly(policy),
        bias=readonly(u_new - u_new.min()),
        gain=readonly(np.full(S, 0.5 * (dmin + dmax))),
        gain_lower=float(dmin),
        gain_upper=float(dmax),
        iterations=int(sweeps),
        converged=bool(converged),
        residual=float(dmax - dmin),
        transitions=readonly(transitions),
        rewards=readonly(r_tilde),
    )
