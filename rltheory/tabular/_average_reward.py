r"""Average-reward (gain-optimal) dynamic programming for finite MDPs.

The criterion is the long-run average reward (gain)

.. math::

    g^\pi(s) = \lim_{N\to\infty} \frac1N\, \mathbb{E}^\pi_s \Big[\sum_{t<N} r(s_t, a_t)\Big]
             = (P_\pi^* r_\pi)(s),

with :math:`P_\pi^* = \lim_N \frac1N \sum_{t<N} P_\pi^t` the Cesaro limiting
matrix, and the bias :math:`h^\pi = H_\pi r_\pi`, :math:`H_\pi = (I - P_\pi +
P_\pi^*)^{-1}(I - P_\pi^*)` the deviation (Drazin-inverse) matrix, normalized
by :math:`P_\pi^* h^\pi = 0` (Puterman 2005, Sec. 8.2, Theorem 8.2.6 and
Appendix A.5).

Every function here accepts any infinite-horizon :class:`FiniteMDP`; the
discount ``mdp.gamma`` is **ignored** (an average-reward model is naturally
built with ``gamma=1``, which :class:`FiniteMDP` accepts without terminal
states; the discounted solvers refuse such a model and point here).
Terminal states are simply absorbing zero-reward states.

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 2005, chapters 8-9.
W. K. Grassmann, M. I. Taksar, D. P. Heyman, "Regenerative analysis and
steady state distributions for Markov chains", *Oper. Res.* 33(5), 1985.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from rltheory._validation import (
    as_generator,
    check_finite,
    check_int,
    check_max_iter,
    check_probability,
    check_real,
    check_tol,
    readonly,
)
from rltheory.tabular import _kernels
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._operators import _kernel_inputs

__all__ = [
    "AverageRewardLPResult",
    "AverageRewardPolicyIterationResult",
    "ChainClasses",
    "GainBiasResult",
    "MDPClassification",
    "PluginEstimateResult",
    "RelativeValueIterationResult",
    "average_reward_linear_programming",
    "average_reward_plugin",
    "average_reward_policy_iteration",
    "chain_classes",
    "classify",
    "gain_and_bias",
    "mixing_time",
    "relative_value_iteration",
    "stationary_distribution",
]


# ====================================================================== results
@dataclass(frozen=True, eq=False)
class ChainClasses:
    """Communicating structure of a Markov chain (see :func:`chain_classes`).

    Attributes
    ----------
    recurrent_classes : tuple of numpy.ndarray
        The closed communicating classes (sorted state indices), ordered by
        their smallest state.
    transient_states : numpy.ndarray
        States in no closed class.
    periods : tuple of int
        The period of each recurrent class (1 = aperiodic).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import chain_classes
    >>> c = chain_classes(np.array([[1.0, 0.0], [0.5, 0.5]]))
    >>> [k.tolist() for k in c.recurrent_classes], c.transient_states.tolist(), c.periods
    ([[0]], [1], (1,))
    """

    recurrent_classes: tuple
    transient_states: np.ndarray
    periods: tuple


@dataclass(frozen=True, eq=False)
class MDPClassification:
    """Classification of a finite MDP (Puterman 2005, Sec. 8.3.1 and 9.5).

    Attributes
    ----------
    communicating : bool
        Every state reaches every other under some deterministic stationary
        policy (the graph of all allowed transitions is strongly connected).
    weakly_communicating : bool
        There is a closed set of states communicating in the above sense and
        every other state is transient under every policy; equivalently the
        MDP has exactly one maximal end component. The optimal gain is then
        constant (Puterman, Theorem 8.3.2 / Sec. 9.5).
    unichain : bool
        Every deterministic stationary policy has a single recurrent class
        (decided by enumeration: the problem is NP-hard in general,
        Tsitsiklis 2007).
    multichain : bool
        ``not unichain``.
    end_components : tuple of numpy.ndarray
        The maximal end components: maximal sets ``C`` closed under some
        choice of actions and strongly connected under those actions. A state
        is recurrent under some stationary policy iff it lies in one.
    transient_states : numpy.ndarray
        States in no end component: transient under every policy.
    n_policies_checked : int
        Number of deterministic policies enumerated for ``unichain``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, classify
    >>> c = classify(FiniteMDP(np.array([[[1.0, 0.0]], [[0.0, 1.0]]]), np.zeros((2, 1)), gamma=1.0))
    >>> c.communicating, c.multichain, [e.tolist() for e in c.end_components]  # two absorbing states
    (False, True, [[0], [1]])
    """

    communicating: bool
    weakly_communicating: bool
    unichain: bool
    multichain: bool
    end_components: tuple
    transient_states: np.ndarray
    n_policies_checked: int


@dataclass(frozen=True, eq=False)
class GainBiasResult:
    r"""Gain and bias of a stationary policy (see :func:`gain_and_bias`).

    Attributes
    ----------
    gain : numpy.ndarray, shape (S,)
        :math:`g = P^* r_\pi` (constant on each recurrent class).
    bias : numpy.ndarray, shape (S,)
        :math:`h = H r_\pi`, normalized so that :math:`P^* h = 0`.
    limiting_matrix : numpy.ndarray, shape (S, S)
        The Cesaro limit :math:`P^*`.
    recurrent_classes : tuple of numpy.ndarray
    transient_states : numpy.ndarray
    residual : float
        :math:`\max(\|g - P g\|_\infty, \|g + h - r_\pi - P h\|_\infty, \|P^* h\|_\infty)`
        (zero in exact arithmetic).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, gain_and_bias
    >>> cycle = FiniteMDP(np.array([[[0.0, 1.0]], [[1.0, 0.0]]]), np.array([[2.0], [0.0]]), gamma=1.0)
    >>> res = gain_and_bias(cycle, [0, 0])
    >>> res.gain, res.bias, res.limiting_matrix  # a 2-cycle: gain 1, bias +-1/2
    (array([1., 1.]), array([ 0.5, -0.5]), array([[0.5, 0.5],
           [0.5, 0.5]]))
    """

    gain: np.ndarray
    bias: np.ndarray
    limiting_matrix: np.ndarray
    recurrent_classes: tuple
    transient_states: np.ndarray
    residual: float


@dataclass(frozen=True, eq=False)
class RelativeValueIterationResult:
    r"""Result of :func:`relative_value_iteration`.

    Attributes
    ----------
    gain : numpy.ndarray, shape (S,)
        The certified estimate :math:`(g_{lower} + g_{upper})/2` on every
        state (the optimal gain of a weakly communicating model is
        constant): :math:`|g^* - g| \le (g_{upper} - g_{lower})/2`.
    bias : numpy.ndarray, shape (S,)
        The last iterate :math:`w` (relative values, ``w[reference_state] = 0``):
        an approximate solution of :math:`g^* + h = T h`, i.e. the optimal
        bias up to an additive constant (use :func:`gain_and_bias` for the
        normalized bias of ``policy``).
    policy : numpy.ndarray of int64, shape (S,)
        Greedy policy with respect to ``bias``; its gain satisfies
        :math:`g^{\pi} \ge g_{lower}` on every state.
    gain_lower, gain_upper : float
        :math:`\min_s (Tw - w)(s) \le g^* \le \max_s (Tw - w)(s)`
        (``-inf`` / ``+inf`` for a non-finite iterate).
    iterations : int
        Updates of ``w`` before the last iterate.
    converged : bool
        ``residual <= tol``; never for a non-finite iterate.
    residual : float
        The span :math:`\max_s (Tw - w)(s) - \min_s (Tw - w)(s)` at the last
        iterate (= ``gain_upper - gain_lower``).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, relative_value_iteration
    >>> res = relative_value_iteration(FiniteMDP(np.ones((1, 1, 1)), np.array([[3.0]]), gamma=1.0))
    >>> res.gain, res.gain_lower, res.gain_upper, res.converged
    (array([3.]), 3.0, 3.0, True)
    """

    gain: np.ndarray
    bias: np.ndarray
    policy: np.ndarray
    gain_lower: float
    gain_upper: float
    iterations: int
    converged: bool
    residual: float


@dataclass(frozen=True, eq=False)
class AverageRewardPolicyIterationResult:
    """Result of :func:`average_reward_policy_iteration`.

    Attributes
    ----------
    gain : numpy.ndarray, shape (S,)
        Optimal gain :math:`g^*` (state dependent in multichain models).
    bias : numpy.ndarray, shape (S,)
        Bias of the returned policy (normalized ``P* h = 0``).
    policy : numpy.ndarray of int64, shape (S,)
    iterations : int
        Number of improvement steps; ``iterations + 1`` policies were evaluated.
    converged : bool
        Neither gain nor bias improvement changes ``policy``: it is
        gain-optimal. False when ``max_iter`` improvements ran out.
    gains_history : numpy.ndarray, shape (iterations + 1, S)
        Gain of every evaluated policy (non-decreasing; Puterman 2005,
        Sec. 9.2).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, average_reward_policy_iteration
    >>> res = average_reward_policy_iteration(FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 2.0]]), gamma=1.0))
    >>> res.gain, res.policy, res.converged, res.gains_history.shape
    (array([2.]), array([1]), True, (1, 1))
    """

    gain: np.ndarray
    bias: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    gains_history: np.ndarray


@dataclass(frozen=True, eq=False)
class AverageRewardLPResult:
    r"""Result of :func:`average_reward_linear_programming`.

    Attributes
    ----------
    gain : numpy.ndarray, shape (S,)
        Gain of the returned policy (exact evaluation).
    bias : numpy.ndarray, shape (S,)
        Bias of the returned policy.
    policy : numpy.ndarray of int64, shape (S,)
    objective : float
        LP optimum :math:`g_{LP}`.
    gain_upper : float
        Certified :math:`g^* \le g_{LP} + \text{primal infeasibility}`.
    occupancy : numpy.ndarray, shape (S, A)
        Dual solution: a stationary state-action distribution of an optimal
        policy.
    duality_gap : float
    primal_infeasibility : float
    dual_infeasibility : float
    status : str
    solver : str

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, average_reward_linear_programming
    >>> res = average_reward_linear_programming(FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 2.0]]), gamma=1.0))
    >>> res.policy, round(res.objective, 6), bool(res.gain[0] <= res.gain_upper + 1e-9)
    (array([1]), 2.0, True)
    """

    gain: np.ndarray
    bias: np.ndarray
    policy: np.ndarray
    objective: float
    gain_upper: float
    occupancy: np.ndarray
    duality_gap: float
    primal_infeasibility: float
    dual_infeasibility: float
    status: str
    solver: str


@dataclass(frozen=True, eq=False)
class PluginEstimateResult:
    """Result of :func:`average_reward_plugin`.

    Attributes
    ----------
    policy : numpy.ndarray of int64, shape (S,)
        Gain-optimal policy of the empirical model.
    empirical_mdp : FiniteMDP
        The model with transitions estimated from ``n_samples`` generative
        draws per state-action pair (rewards known).
    gain : numpy.ndarray, shape (S,)
        True gain of ``policy`` (evaluated on the true model).
    optimal_gain : numpy.ndarray, shape (S,)
        True optimal gain.
    suboptimality : float
        :math:`\\max_s (g^*(s) - g^{\\hat\\pi}(s))`.
    n_samples : int
        Samples per state-action pair; ``n_samples * S * A`` in total.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, average_reward_plugin
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 2.0]]), gamma=1.0)
    >>> res = average_reward_plugin(mdp, 10, rng=0)  # one state: the empirical model is exact
    >>> res.policy, res.gain, res.suboptimality, res.n_samples
    (array([1]), array([2.]), 0.0, 10)
    """

    policy: np.ndarray
    empirical_mdp: FiniteMDP
    gain: np.ndarray
    optimal_gain: np.ndarray
    suboptimality: float
    n_samples: int


# ====================================================================== helpers
#: Every average-reward function accepts any infinite-horizon model (the discount is ignored).
_INFINITE_HORIZON = ("discounted", "ssp", "average_reward")


def _as_chain(P, name: str = "P") -> np.ndarray:
    """A validated dense row-stochastic (n, n) float array."""
    if sp.issparse(P):
        P = P.toarray()
    P = np.array(P, dtype=float)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {P.shape}")
    check_finite(name, P)
    if (P < 0).any():
        i, j = np.argwhere(P < 0)[0]
        raise ValueError(f"{name}[{i}, {j}] = {P[i, j]!r} is negative")
    sums = P.sum(axis=1)
    bad = np.abs(sums - 1.0) > 1e-10 * P.shape[0]
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"row {i} of {name} sums to {sums[i]!r}, expected 1")
    return P


def _period(P_sub: np.ndarray) -> int:
    """Period of an irreducible chain: gcd over edges (u, v) of level(u) + 1 - level(v)."""
    graph = sp.csr_array(P_sub > 0)
    order, pred = breadth_first_order(graph, 0, directed=True, return_predecessors=True)
    level = np.zeros(P_sub.shape[0], dtype=np.int64)
    for u in order[1:]:
        level[u] = level[pred[u]] + 1
    rows, cols = graph.nonzero()
    return int(np.gcd.reduce(np.abs(level[rows] + 1 - level[cols]))) or 1


def chain_classes(P) -> ChainClasses:
    """Recurrent classes, transient states and periods of a finite Markov chain.

    The recurrent classes are the closed strongly connected components of the
    transition graph (Puterman 2005, Appendix A.2; Seneta 1981, Sec. 1.2);
    the period of a class is the gcd of its cycle lengths.

    Parameters
    ----------
    P : array_like or scipy.sparse array, shape (n, n)
        Row-stochastic matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import chain_classes
    >>> c = chain_classes(np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    >>> [k.tolist() for k in c.recurrent_classes], c.transient_states.tolist(), c.periods
    ([[1, 2]], [0], (2,))
    """
    P = _as_chain(P)
    n_comp, labels = connected_components(sp.csr_array(P > 0), directed=True, connection="strong")
    classes = []
    for c in range(n_comp):
        members = np.flatnonzero(labels == c)
        out_mass = P[np.ix_(members, np.setdiff1d(np.arange(P.shape[0]), members))].sum()
        if out_mass == 0.0:
            classes.append(members)
    classes.sort(key=lambda m: int(m[0]))
    recurrent = np.concatenate(classes) if classes else np.zeros(0, dtype=np.int64)
    transient = np.setdiff1d(np.arange(P.shape[0]), recurrent)
    periods = tuple(_period(P[np.ix_(m, m)]) for m in classes)
    return ChainClasses(
        recurrent_classes=tuple(readonly(m.astype(np.int64)) for m in classes),
        transient_states=readonly(transient.astype(np.int64)),
        periods=periods,
    )


def _gth(P: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible stochastic matrix by GTH elimination.

    Grassmann, Taksar & Heyman (1985): Gaussian elimination in which every
    pivot is computed as the sum of the off-diagonal entries of its row, so
    no subtraction occurs and the result has small componentwise relative
    error (O'Cinneide 1993, *Numer. Math.* 65).
    """
    A = np.array(P, dtype=float)
    n = A.shape[0]
    for k in range(n - 1, 0, -1):
        s = A[k, :k].sum()  # pivot = 1 - A[k,k] computed without cancellation (GTH 1985, Sec. 3)
        A[:k, k] /= s
        A[:k, :k] += np.outer(A[:k, k], A[k, :k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for j in range(1, n):
        pi[j] = pi[:j] @ A[:j, j]
    return pi / pi.sum()


def stationary_distribution(P) -> np.ndarray:
    r"""The stationary distribution :math:`\pi = \pi P` of a chain with one recurrent class.

    Computed by the GTH algorithm (Grassmann, Taksar & Heyman 1985) on the
    recurrent class, which avoids subtractions and is accurate to a small
    multiple of machine epsilon componentwise (O'Cinneide 1993); transient
    states get probability 0.

    Parameters
    ----------
    P : array_like or scipy.sparse array, shape (n, n)
        Row-stochastic matrix with exactly one recurrent class (otherwise
        the stationary distribution is not unique: use
        :func:`gain_and_bias`'s ``limiting_matrix``).

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    ValueError
        If ``P`` is not stochastic or has several recurrent classes.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import stationary_distribution
    >>> stationary_distribution(np.array([[0.9, 0.1], [0.5, 0.5]]))
    array([0.83333333, 0.16666667])
    """
    P = _as_chain(P)
    classes = chain_classes(P)
    if len(classes.recurrent_classes) != 1:
        raise ValueError(
            f"P has {len(classes.recurrent_classes)} recurrent classes "
            f"{[c.tolist() for c in classes.recurrent_classes]}; the stationary distribution is not unique"
        )
    C = np.asarray(classes.recurrent_classes[0])
    pi = np.zeros(P.shape[0])
    pi[C] = _gth(P[np.ix_(C, C)])
    return pi


def _limiting_matrix(P: np.ndarray, classes: ChainClasses) -> np.ndarray:
    """Cesaro limit P* (Puterman 2005, Appendix A.4, Theorem A.6 / eq. (A.18))."""
    n = P.shape[0]
    Pstar = np.zeros((n, n))
    T = np.asarray(classes.transient_states)
    pis = []
    for C in classes.recurrent_classes:
        C = np.asarray(C)
        pi = _gth(P[np.ix_(C, C)])
        Pstar[np.ix_(C, C)] = pi[None, :]
        pis.append((C, pi))
    if T.size:
        # absorption probabilities into each class: (I - P_TT) b = P_TC 1
        M = np.eye(T.size) - P[np.ix_(T, T)]
        rhs = np.stack([P[np.ix_(T, C)].sum(axis=1) for C, _ in pis], axis=1)
        b = np.linalg.solve(M, rhs)
        for k, (C, pi) in enumerate(pis):
            Pstar[np.ix_(T, C)] = b[:, k : k + 1] * pi[None, :]
    return Pstar


def mixing_time(P, eps: float = 0.25, *, max_iter: int = 100_000) -> int:
    r"""Exact mixing time :math:`t_{mix}(\varepsilon) = \min\{t : \max_s \|P^t(s,\cdot) - \pi\|_{TV} \le \varepsilon\}`.

    Computed by repeated multiplication (meant for small chains). The
    distance :math:`d(t) = \max_s \|P^t(s,\cdot)-\pi\|_{TV}` is
    non-increasing (Levin, Peres & Wilmer 2017, Exercise 4.2), so the first
    ``t`` with ``d(t) <= eps`` is the mixing time (their eq. (4.33)).

    Parameters
    ----------
    P : array_like, shape (n, n)
        Stochastic matrix with one recurrent class, aperiodic.
    eps : float in (0, 1)
    max_iter : int
        Largest ``t`` tried (>= 0).

    Raises
    ------
    ValueError
        If the chain has several recurrent classes or a periodic one (it
        never mixes), or ``eps`` is outside (0, 1).
    RuntimeError
        If ``max_iter`` steps do not suffice (the function returns a number,
        not a result with a ``converged`` flag, so there is nothing to return).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import mixing_time
    >>> mixing_time(np.array([[0.5, 0.5], [0.5, 0.5]]), 0.25)
    1
    """
    P = _as_chain(P)
    eps = check_probability("eps", eps)
    max_iter = check_max_iter(max_iter)
    classes = chain_classes(P)
    if len(classes.recurrent_classes) != 1:
        raise ValueError(f"P has {len(classes.recurrent_classes)} recurrent classes: it has no mixing time")
    if classes.periods[0] != 1:
        raise ValueError(f"the recurrent class of P has period {classes.periods[0]}: the chain never mixes")
    pi = stationary_distribution(P)
    Pt = np.eye(P.shape[0])
    for t in range(0, max_iter + 1):
        if 0.5 * np.abs(Pt - pi[None, :]).sum(axis=1).max() <= eps:
            return t
        Pt = Pt @ P
    raise RuntimeError(f"the chain has not mixed to eps = {eps} within max_iter = {max_iter} steps")


def _policy_chain(mdp: FiniteMDP, policy) -> tuple[np.ndarray, np.ndarray]:
    P = mdp.policy_transition(policy)
    P = P.toarray() if sp.issparse(P) else np.array(P, dtype=float)
    return P, np.asarray(mdp.policy_reward(policy), dtype=float)


def _gain_bias(P: np.ndarray, r: np.ndarray) -> GainBiasResult:
    classes = chain_classes(P)
    Pstar = _limiting_matrix(P, classes)
    n = P.shape[0]
    g = Pstar @ r
    # deviation matrix H = (I - P + P*)^{-1} (I - P*), bias h = H r (Puterman 2005, Theorem A.7, eq. (8.2.8))
    h = np.linalg.solve(np.eye(n) - P + Pstar, r - g)
    residual = max(
        float(np.max(np.abs(g - P @ g))),
        float(np.max(np.abs(g + h - r - P @ h))),
        float(np.max(np.abs(Pstar @ h))),
    )
    return GainBiasResult(
        gain=readonly(g),
        bias=readonly(h),
        limiting_matrix=readonly(Pstar),
        recurrent_classes=classes.recurrent_classes,
        transient_states=classes.transient_states,
        residual=residual,
    )


def gain_and_bias(mdp: FiniteMDP, policy) -> GainBiasResult:
    r"""Gain and bias of a stationary policy (the discount of ``mdp`` is ignored).

    .. math::

        g = P^* r_\pi, \qquad h = (I - P_\pi + P^*)^{-1} (I - P^*)\, r_\pi,

    the bias normalized by :math:`P^* h = 0`. They are the unique solution of
    :math:`(I - P_\pi) g = 0`, :math:`g + (I - P_\pi) h = r_\pi`,
    :math:`P^* h = 0` (Puterman 2005, Theorem 8.2.6 and Corollary 8.2.7;
    Appendix A.5, Theorem A.7 for the deviation matrix). :math:`P^*` is
    assembled from the GTH stationary distributions of the recurrent classes
    and the absorption probabilities of the transient states (Appendix A.4).

    Parameters
    ----------
    mdp : FiniteMDP
        Infinite-horizon model (any ``gamma``; it is not used).
    policy : array_like
        ``(S,)`` actions or ``(S, A)`` probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, gain_and_bias
    >>> P = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    >>> res = gain_and_bias(FiniteMDP(P, np.array([[1.0], [0.0]]), gamma=1.0), [0, 0])
    >>> res.gain, res.bias
    (array([0.5, 0.5]), array([ 0.5, -0.5]))
    """
    FiniteMDP.require(mdp, _INFINITE_HORIZON, "gain_and_bias")
    P, r = _policy_chain(mdp, policy)
    return _gain_bias(P, r)


# ====================================================================== classification
def _support_rows(mdp: FiniteMDP) -> sp.csr_array:
    """Boolean support of P as a CSR (S*A, S) matrix (row s*A + a), without densifying sparse models."""
    M = sp.csr_array(mdp.csr_P, copy=True)
    M.data = (M.data > 0).astype(np.int8)
    M.eliminate_zeros()
    return M


def _end_components(M: sp.csr_array, mask: np.ndarray) -> list[np.ndarray]:
    """Maximal end components (de Alfaro 1997, PhD thesis, Stanford): refine SCCs, drop leaving actions.

    ``M`` is the (S*A, S) support in CSR form, ``mask`` the (S, A) action mask; O(nnz) per refinement.
    """
    S, A = mask.shape
    row_state = np.repeat(np.arange(S), A)
    allowed = mask.reshape(-1).copy()
    alive = np.ones(S, dtype=bool)
    while True:
        keep = sp.diags_array(allowed.astype(float))
        sel = sp.csr_array((np.ones(S * A), (row_state, np.arange(S * A))), shape=(S, S * A))
        adj = sp.csr_array(sel @ keep @ M)
        adj = sp.csr_array(sp.diags_array(alive.astype(float)) @ adj @ sp.diags_array(alive.astype(float)))
        _, labels = connected_components(adj, directed=True, connection="strong")
        labels = np.where(alive, labels, -1)
        # an action leaving its state's component (or reaching a dead state) is removed
        coo = M.tocoo()
        bad = (labels[coo.col] != labels[row_state[coo.row]]) | ~alive[coo.col]
        leaves = np.zeros(S * A, dtype=bool)
        leaves[coo.row[bad]] = True
        new_allowed = allowed & ~leaves & alive[row_state]
        new_alive = alive & new_allowed.reshape(S, A).any(axis=1)
        if np.array_equal(new_allowed, allowed) and np.array_equal(new_alive, alive):
            break
        allowed, alive = new_allowed, new_alive
    comps = {}
    for s in np.flatnonzero(alive):
        comps.setdefault(int(labels[s]), []).append(s)
    return sorted((np.array(v, dtype=np.int64) for v in comps.values()), key=lambda m: int(m[0]))


def classify(mdp: FiniteMDP, *, max_policies: int = 4096) -> MDPClassification:
    r"""Classify a finite MDP: communicating, weakly communicating, unichain, multichain.

    * *communicating* iff the graph with an edge ``s -> j`` whenever
      ``P(j|s,a) > 0`` for some allowed ``a`` is strongly connected
      (Puterman 2005, Sec. 8.3.1; a randomized policy using every action then
      makes the chain irreducible);
    * the *maximal end components* are computed by the refinement algorithm
      of de Alfaro (1997): strongly connected components, removal of actions
      that can leave their component, repeat. A state is recurrent under
      some stationary policy iff it lies in an end component; *weakly
      communicating* iff there is exactly one (Puterman, Sec. 8.3.1 and
      9.5.1; Kallenberg 2002);
    * *unichain* iff every deterministic stationary policy has a single
      recurrent class (Puterman, Sec. 8.3.1). Deciding this is NP-hard
      (Tsitsiklis 2007, *J. Optim. Theory Appl.* 133), so it is done by
      enumerating the deterministic policies.

    Parameters
    ----------
    mdp : FiniteMDP
    max_policies : int
        Largest number of deterministic policies enumerated for ``unichain``;
        a model with more raises ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, classify
    >>> P = np.zeros((2, 2, 2)); P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 1] = P[1, 1, 0] = 1.0
    >>> c = classify(FiniteMDP(P, np.zeros((2, 2)), gamma=1.0))
    >>> c.communicating, c.weakly_communicating, c.unichain
    (True, True, False)
    """
    FiniteMDP.require(mdp, _INFINITE_HORIZON, "classify")
    max_policies = check_int("max_policies", max_policies, low=1)
    P = mdp.dense_P
    mask = np.asarray(mdp.action_mask)
    S = mdp.n_states
    adj = np.zeros((S, S), dtype=bool)
    for a in range(mdp.n_actions):
        adj |= (P[:, a, :] > 0) & mask[:, a][:, None]
    n_scc, _ = connected_components(sp.csr_array(adj), directed=True, connection="strong")
    ecs = _end_components(_support_rows(mdp), mask)
    in_ec = np.zeros(S, dtype=bool)
    for c in ecs:
        in_ec[c] = True
    counts = mask.sum(axis=1)
    n_policies = math.prod(int(c) for c in counts)
    if n_policies > max_policies:
        raise ValueError(
            f"deciding unichain enumerates the {n_policies} deterministic policies (> max_policies = {max_policies}); "
            "the problem is NP-hard (Tsitsiklis 2007): raise max_policies"
        )
    unichain = True
    choices = [np.flatnonzero(mask[s]) for s in range(S)]
    for acts in itertools.product(*choices):
        if len(chain_classes(P[np.arange(S), np.array(acts)]).recurrent_classes) != 1:
            unichain = False
            break
    return MDPClassification(
        communicating=n_scc == 1,
        weakly_communicating=len(ecs) == 1,
        unichain=unichain,
        multichain=not unichain,
        end_components=tuple(readonly(c) for c in ecs),
        transient_states=readonly(np.flatnonzero(~in_ec).astype(np.int64)),
        n_policies_checked=n_policies,
    )


# ====================================================================== relative value iteration
def _require_weakly_communicating(mdp: FiniteMDP, who: str) -> None:
    ecs = _end_components(_support_rows(mdp), np.asarray(mdp.action_mask))
    if len(ecs) != 1:
        raise ValueError(
            f"{who} needs a weakly communicating model (constant optimal gain); this one has {len(ecs)} maximal end "
            f"components {[c.tolist() for c in ecs]}: use average_reward_policy_iteration (multichain)"
        )


def relative_value_iteration(
    mdp: FiniteMDP,
    *,
    tol: float = 1e-8,
    max_iter: int = 100_000,
    aperiodicity: float = 0.5,
    reference_state: int = 0,
) -> RelativeValueIterationResult:
    r"""Relative value iteration with the aperiodicity transformation and certified gain bounds.

    With :math:`T w = \max_a [r_a + P_a w]` (undiscounted) and
    :math:`\tau \in (0, 1]` the iteration is

    .. math::

        \tilde w_{n+1} = w_n + \tau (T w_n - w_n), \qquad
        w_{n+1} = \tilde w_{n+1} - \tilde w_{n+1}(s_0) \mathbf 1,

    i.e. relative value iteration on the transformed model
    :math:`\tilde r = \tau r`, :math:`\tilde P = (1-\tau) I + \tau P`, which
    has aperiodic chains, gain :math:`\tau g` and the same bias (Puterman
    2005, Sec. 8.5.4, Proposition 8.5.8). At every iterate (Odoni 1969;
    Puterman, Theorem 8.5.5 and Sec. 9.5.2 for weakly communicating models)

    .. math::

        \min_s (T w - w)(s) \;\le\; g^* \;\le\; \max_s (T w - w)(s),

    and the greedy policy :math:`\pi` satisfies
    :math:`g^\pi \ge \min_s (Tw - w)(s)` (apply :math:`P^*_\pi` to
    :math:`r_\pi + P_\pi w \ge w + \min (Tw - w)`). The loop stops when
    :math:`\operatorname{sp}(Tw - w) \le` ``tol``, so the returned policy is
    ``tol``-optimal.

    Parameters
    ----------
    mdp : FiniteMDP
        Weakly communicating (checked; otherwise ``ValueError`` pointing to
        :func:`average_reward_policy_iteration`). ``gamma`` is ignored.
    tol : float
        Target span of :math:`Tw - w` (absolute, reward units; > 0).
    max_iter : int
        Number of updates (``0``: bounds at ``w = 0`` only).
    aperiodicity : float in (0, 1]
        :math:`\tau`; ``1`` is plain RVI (may oscillate on periodic models).
    reference_state : int

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, relative_value_iteration
    >>> P = np.zeros((2, 2, 2)); P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 1] = P[1, 1, 0] = 1.0
    >>> R = np.array([[0.0, 1.0], [2.0, 0.0]])
    >>> res = relative_value_iteration(FiniteMDP(P, R, gamma=1.0), tol=1e-10)
    >>> res.gain, res.policy
    (array([2., 2.]), array([1, 0]))
    """
    FiniteMDP.require(mdp, _INFINITE_HORIZON, "relative_value_iteration")
    tol = check_tol(tol)
    max_iter = check_max_iter(max_iter)
    tau = check_real("aperiodicity", aperiodicity, low=0.0, high=1.0, low_open=True)
    ref = check_int("reference_state", reference_state, low=0, high=mdp.n_states - 1)
    _require_weakly_communicating(mdp, "relative_value_iteration")
    kind, Pbuf, mask, use_mask = _kernel_inputs(mdp)
    fn = _kernels.bellman_backup_dense if kind == "dense" else _kernels.bellman_backup_csr
    S = mdp.n_states
    w = np.zeros(S)
    tw = np.empty(S)
    pi = np.empty(S, dtype=np.int64)
    converged = False
    it = 0
    for it in range(max_iter + 1):
        dmin, dmax = fn(*Pbuf, mdp.R, 1.0, w, mask, use_mask, tw, pi)
        # Odoni bounds: min(Tw - w) <= g* <= max(Tw - w) (Puterman 2005, Theorem 8.5.5)
        if dmax - dmin <= tol:
            converged = True
            break
        if it == max_iter:
            break
        w = w + tau * (tw - w)
        w -= w[ref]
    # the compiled min/max skip NaN: an overflowing iterate certifies nothing (issue 11, sec. 1)
    if not (np.isfinite(w).all() and np.isfinite(tw).all() and np.isfinite(dmin) and np.isfinite(dmax)):
        dmin, dmax, converged = -np.inf, np.inf, False
    return RelativeValueIterationResult(
        gain=readonly(np.full(S, 0.5 * (dmin + dmax))),
        bias=readonly(w.copy()),
        policy=readonly(pi.copy()),
        gain_lower=float(dmin),
        gain_upper=float(dmax),
        iterations=it,
        converged=converged,
        residual=float(dmax - dmin),
    )


# ====================================================================== multichain policy iteration
def _all_q(P: np.ndarray, R: np.ndarray, x: np.ndarray, mask: np.ndarray, add_reward: bool) -> np.ndarray:
    q = np.einsum("saj,j->sa", P, x)
    if add_reward:
        q = q + R
    return np.where(mask, q, -np.inf)


def _improve(q: np.ndarray, current: np.ndarray, allowed: np.ndarray, atol: float) -> np.ndarray:
    """Keep the current action unless some allowed action beats it by more than atol (then lowest argmax)."""
    qa = np.where(allowed, q, -np.inf)
    best = qa.max(axis=1)
    cur = qa[np.arange(q.shape[0]), current]
    new = np.argmax(qa >= best[:, None] - atol, axis=1)
    return np.where(cur >= best - atol, current, new)


def average_reward_policy_iteration(
    mdp: FiniteMDP, *, v0_policy=None, max_iter: int = 10_000, tie_tol: float = 1e-10
) -> AverageRewardPolicyIterationResult:
    r"""Multichain policy iteration for the average-reward criterion (Puterman 2005, Sec. 9.2).

    1. *Evaluation*: gain and bias of :math:`d_n` (:func:`gain_and_bias`).
    2. *Gain improvement*: :math:`d_{n+1}(s) \in \arg\max_a \sum_j p(j|s,a) g_n(j)`,
       keeping :math:`d_n(s)` when it attains the maximum.
    3. If that changed nothing, *bias improvement*:
       :math:`d_{n+1}(s) \in \arg\max_{a \in A_s'} r(s,a) + \sum_j p(j|s,a) h_n(j)`
       over the gain-maximizing actions :math:`A'_s`, again keeping
       :math:`d_n(s)` when possible.
    4. Stop when :math:`d_{n+1} = d_n`: then :math:`g_n = g^*` on every state
       (Puterman, Theorem 9.2.3; the gains are non-decreasing and the
       sequence of (gain, bias) pairs increases lexicographically, Sec. 9.2).

    Ties are compared with the tolerance ``tie_tol * max(1, ||x||_inf)``,
    ``x`` the vector being maximized, so evaluation round-off cannot cycle.

    Parameters
    ----------
    mdp : FiniteMDP
        Any infinite-horizon model (multichain allowed); ``gamma`` ignored.
    v0_policy : array_like of int, optional
        Initial deterministic policy; default ``argmax_a r(s, a)``.
    max_iter : int
        Cap on improvement steps (>= 0); when reached the last policy is
        returned with ``converged=False``.
    tie_tol : float

    Examples
    --------
    Two absorbing states with different rewards: a multichain model whose
    optimal gain depends on the state.

    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, average_reward_policy_iteration
    >>> P = np.zeros((3, 2, 3)); P[0, 0, 1] = P[0, 1, 0] = P[1, :, 1] = P[2, :, 2] = 1.0
    >>> R = np.array([[0.0, 0.5], [1.0, 1.0], [2.0, 2.0]])
    >>> res = average_reward_policy_iteration(FiniteMDP(P, R, gamma=1.0))
    >>> res.gain, res.policy
    (array([1., 1., 2.]), array([0, 0, 0]))
    """
    FiniteMDP.require(mdp, _INFINITE_HORIZON, "average_reward_policy_iteration")
    max_iter = check_max_iter(max_iter)
    tie_tol = check_real("tie_tol", tie_tol, low=0.0)
    P = mdp.dense_P
    R = np.asarray(mdp.R, dtype=float)
    mask = np.asarray(mdp.action_mask)
    S = mdp.n_states
    if v0_policy is None:
        d = np.argmax(np.where(mask, R, -np.inf), axis=1).astype(np.int64)
    else:
        d = np.asarray(v0_policy)
        if d.shape != (S,) or not np.issubdtype(d.dtype, np.integer):
            raise ValueError(f"v0_policy must be an integer array of shape ({S},), got {d.dtype} {d.shape}")
        d = d.astype(np.int64)
        bad = (d < 0) | (d >= mdp.n_actions)
        if bad.any() or not mask[np.arange(S), np.clip(d, 0, mdp.n_actions - 1)].all():
            s = int(np.argmax(bad | ~mask[np.arange(S), np.clip(d, 0, mdp.n_actions - 1)]))
            raise ValueError(f"v0_policy[{s}] = {int(d[s])} is not an allowed action")
    history = []
    k = 0
    while True:
        ev = _gain_bias(P[np.arange(S), d], R[np.arange(S), d])
        history.append(np.array(ev.gain))
        qg = _all_q(P, R, ev.gain, mask, add_reward=False)
        atol_g = tie_tol * max(1.0, float(np.max(np.abs(ev.gain))))
        d_new = _improve(qg, d, mask, atol_g)
        if np.array_equal(d_new, d):
            gain_opt = qg >= qg.max(axis=1, keepdims=True) - atol_g
            qh = _all_q(P, R, ev.bias, mask, add_reward=True)
            atol_h = tie_tol * max(1.0, float(np.max(np.abs(ev.bias))), float(np.max(np.abs(R))))
            d_new = _improve(qh, d, gain_opt & mask, atol_h)
        converged = bool(np.array_equal(d_new, d))
        if converged or k >= max_iter:
            return AverageRewardPolicyIterationResult(
                gain=ev.gain,
                bias=ev.bias,
                policy=readonly(d.copy()),
                iterations=k,
                converged=converged,
                gains_history=readonly(np.array(history)),
            )
        d = d_new
        k += 1


# ====================================================================== unichain LP
def average_reward_linear_programming(
    mdp: FiniteMDP, *, solver: str | None = None, tol: float = 1e-7, solver_options: dict | None = None
) -> AverageRewardLPResult:
    r"""The average-reward LP of a weakly communicating MDP (Puterman 2005, Sec. 8.8 and 9.5.3), via cvxpy.

    Primal and dual:

    .. math::

        \min_{g, h} g \;\; \text{s.t.}\;\; g + h(s) - \sum_j p(j|s,a) h(j) \ge r(s,a)
        \quad\Longleftrightarrow\quad
        \max_{x \ge 0} \sum_{s,a} r(s,a) x(s,a) \;\;\text{s.t.}\;\;
        \sum_a x(j,a) = \sum_{s,a} p(j|s,a) x(s,a),\ \sum_{s,a} x(s,a) = 1.

    The optimum is the (constant) optimal gain (Puterman, Theorem 8.8.2 for
    unichain and Sec. 9.5.3 for weakly communicating models). Every solve
    is checked: status, primal and dual feasibility, duality gap. A
    primal point violating its constraints by at most :math:`\delta` gives
    the certified bound :math:`g^* \le g_{LP} + \delta` (apply
    :math:`P^*_\pi` for any :math:`\pi`). The policy is read off the dual on
    states with occupancy, greedily w.r.t. :math:`r + P h` elsewhere, and is
    then polished by :func:`average_reward_policy_iteration` if its exact
    gain falls short of :math:`g_{LP}` by more than the certificate
    tolerance (transient states carry no occupancy).

    Parameters
    ----------
    mdp : FiniteMDP
        Weakly communicating; ``gamma`` ignored.
    solver : str, optional
        cvxpy solver, default CLARABEL (else HIGHS).
    tol : float
        Acceptance threshold of the certificate checks (relative).
    solver_options : dict, optional

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, average_reward_linear_programming
    >>> P = np.zeros((2, 2, 2)); P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 1] = P[1, 1, 0] = 1.0
    >>> R = np.array([[0.0, 1.0], [2.0, 0.0]])
    >>> res = average_reward_linear_programming(FiniteMDP(P, R, gamma=1.0))
    >>> round(res.objective, 6), res.policy
    (2.0, array([1, 0]))
    """
    import cvxpy as cp

    from rltheory.tabular._lp_certificates import check_certificate, choose_solver, require_optimal

    FiniteMDP.require(mdp, _INFINITE_HORIZON, "average_reward_linear_programming")
    tol = check_tol(tol)
    if solver_options is not None and not isinstance(solver_options, dict):
        raise ValueError(f"solver_options must be a dict, got {type(solver_options).__name__}")
    _require_weakly_communicating(mdp, "average_reward_linear_programming")
    solver_name = choose_solver(solver)
    S, A = mdp.n_states, mdp.n_actions
    P = mdp.dense_P
    mask = np.asarray(mdp.action_mask)
    pairs = np.argwhere(mask)
    Prow = sp.csr_array(P[pairs[:, 0], pairs[:, 1]])
    E = sp.csr_array((np.ones(len(pairs)), (np.arange(len(pairs)), pairs[:, 0])), shape=(len(pairs), S))
    M = sp.csr_array(E - Prow)
    r = np.asarray(mdp.R)[pairs[:, 0], pairs[:, 1]]
    g = cp.Variable(name="g")
    h = cp.Variable(S, name="h")
    constraint = g + M @ h >= r
    problem = cp.Problem(cp.Minimize(g), [constraint])
    problem.solve(solver=solver_name, **(solver_options or {}))
    require_optimal(problem, solver_name)
    gv, hv = float(g.value), np.asarray(h.value, dtype=float)
    x = np.asarray(constraint.dual_value, dtype=float).ravel()
    primal_inf = float(max(0.0, np.max(r - gv - M @ hv)))
    dual_inf = float(max(0.0, np.max(-x), np.max(np.abs(M.T @ x)), abs(x.sum() - 1.0)))
    gap = abs(gv - float(r @ x))
    scale = max(1.0, float(np.max(np.abs(r))))
    limit = tol * scale
    check_certificate(
        [
            ("primal infeasibility", primal_inf, limit),
            ("dual infeasibility", dual_inf / scale, limit),
            ("duality gap", gap, limit),
        ],
        solver_name,
        tol,
    )
    occ = np.zeros((S, A))
    occ[pairs[:, 0], pairs[:, 1]] = x
    has_mass = occ.sum(axis=1) > tol
    greedy = np.argmax(np.where(mask, np.asarray(mdp.R) + np.einsum("saj,j->sa", P, hv), -np.inf), axis=1)
    policy = np.where(has_mass, np.argmax(np.where(mask, occ, -np.inf), axis=1), greedy).astype(np.int64)
    ev = gain_and_bias(mdp, policy)
    if float(np.min(ev.gain)) < gv - primal_inf - 10 * tol * scale:
        pi_res = average_reward_policy_iteration(mdp, v0_policy=policy)
        policy = np.array(pi_res.policy)
        ev = gain_and_bias(mdp, policy)
    return AverageRewardLPResult(
        gain=ev.gain,
        bias=ev.bias,
        policy=readonly(policy),
        objective=gv,
        gain_upper=gv + primal_inf,  # g* <= g_LP + delta (Puterman 2005, Theorem 8.8.2 argument)
        occupancy=readonly(occ),
        duality_gap=gap,
        primal_infeasibility=primal_inf,
        dual_infeasibility=dual_inf,
        status=str(problem.status),
        solver=solver_name,
    )


# ====================================================================== plug-in estimator
def average_reward_plugin(mdp: FiniteMDP, n_samples: int, *, rng=None) -> PluginEstimateResult:
    r"""Generative-model plug-in estimator for average-reward MDPs.

    Draws ``n_samples`` next states from :math:`P(\cdot|s,a)` for every
    allowed pair (``n_samples * |S||A|`` samples in all), forms the empirical
    model :math:`\hat P` (rewards known), and returns a gain-optimal policy
    of :math:`\hat P` (multichain policy iteration, so empirical models of
    any structure are handled), evaluated on the true model.

    For weakly communicating models with uniform mixing time
    :math:`t_{mix}`, Wang, Blanchet & Glynn (2023), "Optimal sample
    complexity for average reward Markov decision processes" (ICLR 2024),
    show that :math:`\tilde O(|S||A| t_{mix} \varepsilon^{-2})` samples
    suffice for an :math:`\varepsilon`-optimal policy (their Theorem 1, via
    a plug-in solver of a reduced discounted MDP), i.e. an error of order
    :math:`\sqrt{t_{mix}/n}` per pair; the rate experiment of
    ``proofs_checks`` fits these exponents.

    Parameters
    ----------
    mdp : FiniteMDP
    n_samples : int
        Samples per allowed state-action pair, ``>= 1``.
    rng : numpy.random.Generator, int or None

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, average_reward_plugin, gain_and_bias
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    >>> R = np.array([[0.0, 0.5], [1.0, 0.2]])
    >>> mdp = FiniteMDP(P, R, gamma=1.0)
    >>> res = average_reward_plugin(mdp, 1000, rng=0)
    >>> # by hand: policy (1, 0) has stationary law (5/13, 8/13) and gain 21/26; the other three gain <= 0.24
    >>> res.policy.tolist(), bool(np.allclose(res.optimal_gain, 21 / 26))
    ([1, 0], True)
    >>> res.suboptimality == float(np.max(res.optimal_gain - gain_and_bias(mdp, res.policy).gain))
    True
    """
    FiniteMDP.require(mdp, _INFINITE_HORIZON, "average_reward_plugin")
    n = check_int("n_samples", n_samples, low=1)
    gen = as_generator(rng)
    S, A = mdp.n_states, mdp.n_actions
    P = mdp.dense_P
    mask = np.asarray(mdp.action_mask)
    P_hat = np.zeros_like(P)
    for s in range(S):
        for a in range(A):
            if mask[s, a]:
                p = np.clip(P[s, a], 0.0, None)
                P_hat[s, a] = gen.multinomial(n, p / p.sum()) / n
            else:
                P_hat[s, a, s] = 1.0  # masked: any stochastic row (never used)
    emp = FiniteMDP(P_hat, np.asarray(mdp.R), gamma=1.0, action_mask=mask if mdp.has_action_mask else None)
    pol = average_reward_policy_iteration(emp).policy
    true_opt = average_reward_policy_iteration(mdp).gain
    g = gain_and_bias(mdp, np.array(pol)).gain
    return PluginEstimateResult(
        policy=pol,
        empirical_mdp=emp,
        gain=g,
        optimal_gain=true_opt,
        suboptimality=float(max(0.0, np.max(true_opt - g))),
        n_samples=n,
    )
