r"""How many steps of value iteration on the random policy's Q-function an MDP needs: k-QVI-solvability, exactly.

Laidlaw, Russell & Dragan (2023) explain why deep RL with random exploration works on many benchmark MDPs:
often, acting greedily on the Q-function of the *uniformly random* policy after only a few steps of value
iteration is already optimal. With :math:`Q^1 = Q^{\pi_{\rm rand}}` and :math:`Q^{i+1} = T Q^i` (one
finite-horizon Bellman optimality backup), an MDP is *k-QVI-solvable* when every policy greedy with respect to
:math:`Q^k` is optimal; their effective horizon is :math:`k` plus a logarithmic sample-size term, minimized over
:math:`k`, and their sample-complexity bounds are exponential only in it. :func:`qvi_solvability` computes the
smallest such :math:`k` exactly. (The sample term :math:`\log_A m_k` and the SQIRL algorithm are not implemented
here.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_real, readonly
from rltheory.tabular._finite_horizon import backward_induction
from rltheory.tabular._model import FiniteMDP

__all__ = ["QVISolvabilityResult", "qvi_solvability"]


@dataclass(frozen=True, eq=False)
class QVISolvabilityResult:
    r"""Result of :func:`qvi_solvability`.

    Attributes
    ----------
    k : int
        The smallest :math:`k \in \{1, \dots, H\}` such that the MDP is k-QVI-solvable (always :math:`\le H`).
    solvable : numpy.ndarray of bool, shape (H,)
        ``solvable[i - 1]``: every policy greedy w.r.t. :math:`Q^i` is optimal.
    q_random : numpy.ndarray, shape (H, S, A)
        :math:`Q^1 = Q^{\pi_{\rm rand}}` (``-inf`` on disallowed actions).
    q_k : numpy.ndarray, shape (H, S, A)
        :math:`Q^k`.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, qvi_solvability
    >>> res = qvi_solvability(FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=1.0, horizon=3,
    ...                                 initial_distribution=[1.0]))
    >>> res.k, res.solvable.tolist()  # greedy on the random policy's Q is already optimal
    (1, [True, True, True])
    """

    k: int
    solvable: np.ndarray
    q_random: np.ndarray
    q_k: np.ndarray


def qvi_solvability(mdp: FiniteMDP, *, tol: float = 1e-9, initial_distribution=None) -> QVISolvabilityResult:
    r"""The smallest k such that k - 1 Bellman backups of the random policy's Q give only optimal greedy policies.

    Finite horizon :math:`H` (stages :math:`t = 0..H-1`, stationary :math:`P, r`, discount :math:`\gamma`).
    :math:`\pi_{\rm rand}` is uniform over the allowed actions;
    :math:`Q^1_t = Q^{\pi_{\rm rand}}_t` by backward induction, and

    .. math:: Q^{i+1}_t(s, a) = r(s, a) + \gamma \sum_{s'} P(s'|s,a) \max_{a'} Q^i_{t+1}(s', a'), \qquad
              Q^{i+1}_{H-1} = r,

    so that :math:`Q^i_t = Q^\star_t` for :math:`t \ge H - i` and :math:`k \le H`. The MDP is k-QVI-solvable when every
    policy greedy w.r.t. :math:`Q^k` is optimal from the initial distribution (Laidlaw et al. 2023, definition of
    k-QVI-solvability). By the performance-difference lemma this holds iff at every :math:`(t, s)` reachable under
    some greedy policy, every greedy action is optimal (:math:`Q^\star_t(s, a) = V^\star_t(s)`), which is what is
    checked: reachability by forward propagation of the support under all greedy actions. Ties (greedy and
    optimal sets) are within ``tol`` times :math:`\max(1, |Q|)`.

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon.
    tol : float
        Relative tie tolerance, in ``[0, 1)``.
    initial_distribution : array_like, optional
        Default the model's (required).

    Returns
    -------
    QVISolvabilityResult

    Raises
    ------
    ValueError
        On a model that is not finite-horizon or without an initial distribution.

    References
    ----------
    C. Laidlaw, S. Russell, A. Dragan, "Bridging RL theory and practice with the effective horizon", NeurIPS 2023
    (arXiv:2304.09853), Section 5 (k-QVI-solvability; definition numbers not verified here). C. Laidlaw, B. Zhu,
    S. Russell, A. Dragan, "The effective horizon explains deep RL performance in stochastic environments", ICLR
    2024 (arXiv:2312.08369) (stochastic MDPs, SQIRL).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, qvi_solvability
    >>> P = np.zeros((4, 3, 4)); P[0, 0, 1] = 1.0; P[0, 1:, 2] = 1.0; P[1:, :, 3] = 1.0
    >>> R = np.zeros((4, 3)); R[0, 1:] = 0.4; R[1, 0] = 1.0  # one of three actions in state 1 pays 1
    >>> res = qvi_solvability(FiniteMDP(P, R, gamma=1.0, horizon=2, initial_distribution=[1, 0, 0, 0]))
    >>> res.k, res.q_random[0, 0].round(3).tolist()  # the random policy's Q prefers the sure 0.4 to 1/3
    (2, [0.333, 0.4, 0.4])
    """
    FiniteMDP.require(mdp, ("finite_horizon",), "qvi_solvability")
    tol = check_real("tol", tol, low=0.0, high=1.0, high_open=True)
    rho = mdp.initial_distribution if initial_distribution is None else initial_distribution
    if rho is None:
        raise ValueError(
            "qvi_solvability needs an initial distribution (pass initial_distribution= or build the FiniteMDP with one)"
        )
    rho = np.asarray(rho, dtype=float)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    if rho.shape != (S,):
        raise ValueError(f"initial_distribution has shape {rho.shape}, expected ({S},)")
    mask = np.asarray(mdp.action_mask)
    P = mdp.csr_P
    R = np.asarray(mdp.R, dtype=float)
    g = float(mdp.gamma)
    n_allowed = mask.sum(axis=1)

    def backup(v_next):
        return np.where(mask, R + g * (P @ v_next).reshape(S, A), -np.inf)

    q1 = np.empty((H, S, A))
    v = np.zeros(S)
    for t in range(H - 1, -1, -1):
        q1[t] = backup(v)
        v = np.where(mask, q1[t], 0.0).sum(axis=1) / n_allowed
    star = backward_induction(mdp)
    q_star = np.asarray(star.q)
    v_star = q_star.max(axis=2)
    optimal = q_star >= v_star[:, :, None] - tol * np.maximum(1.0, np.abs(v_star))[:, :, None]

    def greedy_sets(q):
        top = q.max(axis=2)
        return q >= top[:, :, None] - tol * np.maximum(1.0, np.abs(top))[:, :, None]

    def solvable_by(q):
        greedy = greedy_sets(q) & mask[None]
        reach = rho > 0
        Pd = P  # (S*A, S)
        for t in range(H):
            if np.any(greedy[t][reach] & ~optimal[t][reach]):
                return False
            if t < H - 1:
                rows = np.flatnonzero((greedy[t] & reach[:, None]).ravel())
                nxt = np.zeros(S, dtype=bool)
                if rows.size:
                    nxt[np.unique(Pd[rows].indices[Pd[rows].data > 0])] = True
                reach = nxt
        return True

    solvable = np.zeros(H, dtype=bool)
    q, k, q_k = q1.copy(), None, None
    for i in range(1, H + 1):
        solvable[i - 1] = solvable_by(q)
        if solvable[i - 1] and k is None:
            k, q_k = i, q.copy()
        if i < H:  # Q^{i+1}_t = backup(max Q^i_{t+1}), Q^{i+1}_{H-1} = r
            nq = np.empty_like(q)
            nq[H - 1] = backup(np.zeros(S))
            for t in range(H - 1):
                nq[t] = backup(q[t + 1].max(axis=1))
            q = nq
    if k is None:  # cannot happen: Q^H = Q* (kept explicit rather than assumed)
        raise ValueError("qvi_solvability: Q^H is not optimal within tol; increase tol")
    return QVISolvabilityResult(k=int(k), solvable=readonly(solvable), q_random=readonly(q1), q_k=readonly(q_k))
