"""Plain NumPy reference implementations of the tabular DP kernels.

These are the specification the compiled kernels (``_kernels.pyx``) are held
equal to by property tests. They favour clarity over speed and validate
nothing: callers pass a validated :class:`~rltheory.tabular.FiniteMDP`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "q_values_reference",
    "bellman_backup_reference",
    "policy_backup_reference",
    "backup_span_reference",
    "gauss_seidel_sweep_reference",
    "iterate_reference",
    "stream_sum_reference",
    "backward_induction_reference",
    "policy_values_reference",
    "optimal_values_reference",
]


def q_values_reference(P, R, gamma, v, action_mask=None):
    """``q[s, a] = R[s, a] + gamma * sum_t P[s, a, t] v[t]``; -inf where masked.

    ``P`` is dense ``(S, A, S)`` or CSR ``(S*A, S)``.
    """
    S, A = R.shape
    if P.ndim == 2:  # CSR (S*A, S)
        pv = np.asarray(P @ v).reshape(S, A)
    else:
        pv = P @ v
    q = R + gamma * pv
    if action_mask is not None and not action_mask.all():
        q = np.where(action_mask, q, -np.inf)
    return q


def bellman_backup_reference(P, R, gamma, v, action_mask=None):
    """One optimality backup: ``(T v, greedy policy, max |T v - v|)``.

    Ties in the greedy policy go to the lowest action index.
    """
    q = q_values_reference(P, R, gamma, v, action_mask)
    policy = np.argmax(q, axis=1)
    tv = q[np.arange(q.shape[0]), policy]
    return tv, policy, float(np.max(np.abs(tv - v)))


def policy_backup_reference(P, R, gamma, v, policy):
    """One evaluation backup ``T^pi v`` for a deterministic ``policy`` (S,)."""
    q = q_values_reference(P, R, gamma, v)
    return q[np.arange(q.shape[0]), policy]


def backup_span_reference(P, R, gamma, v, action_mask=None):
    """One optimality backup ``(T v, greedy policy, min(T v - v), max(T v - v))``.

    The quantities of the MacQueen/Porteus bounds (Puterman 2005, Thm 6.6.3).
    """
    tv, policy, _ = bellman_backup_reference(P, R, gamma, v, action_mask)
    d = tv - v
    return tv, policy, float(d.min()), float(d.max())


def gauss_seidel_sweep_reference(P, R, gamma, v, action_mask=None):
    """In-place Gauss-Seidel sweep over states ``0..S-1``: ``(v, policy, max |change|)``.

    State ``s`` is backed up with the values of states ``< s`` already
    updated in this sweep (Puterman 2005, Sec. 6.3.3).
    """
    S, A = R.shape
    v = np.array(v, dtype=float)
    policy = np.empty(S, dtype=np.int64)
    delta = 0.0
    for s in range(S):
        rows = P[s * A : (s + 1) * A] if P.ndim == 2 else P[s]
        q = R[s] + gamma * np.asarray(rows @ v).ravel()
        if action_mask is not None:
            q = np.where(action_mask[s], q, -np.inf)
        policy[s] = int(np.argmax(q))
        delta = max(delta, abs(q[policy[s]] - v[s]))
        v[s] = q[policy[s]]
    return v, policy, delta


def stop_quantity_reference(rule, gamma, factor, dmin, dmax):
    """The stopping quantity of the whole loops: rule 0 discounted span, 1 SSP, 2 sup residual."""
    if rule == 0:
        return gamma / (1.0 - gamma) * (dmax - dmin)
    if rule == 1:
        return factor * (max(dmax, 0.0) - min(dmin, 0.0))
    return max(abs(dmin), abs(dmax))


def iterate_reference(P, R, gamma, v, action_mask=None, *, m=0, tol=0.0, max_iter=1000, rule=0, factor=0.0):
    """Value iteration (``m = 0``) or modified policy iteration (``m > 0``), Jacobi.

    Each iteration backs up ``v`` (``T v``, greedy ``pi``, ``d = T v - v``),
    stops when the stopping quantity (rule 0: ``gamma / (1 - gamma) * (max d -
    min d)``; see :func:`stop_quantity_reference`) is ``<= tol`` or after
    ``max_iter`` backups, and otherwise moves to ``(T^pi)^m T v`` (Puterman
    2005, Sec. 6.5.1). Returns ``(iterations, converged, v, T v, pi, min d,
    max d)`` where ``v`` is the last iterate, as the compiled loop does.
    """
    v = np.array(v, dtype=float)
    it = 0
    while True:
        it += 1
        tv, policy, dmin, dmax = backup_span_reference(P, R, gamma, v, action_mask)
        if stop_quantity_reference(rule, gamma, factor, dmin, dmax) <= tol:
            return it, True, v, tv, policy, dmin, dmax
        if it >= max_iter:
            return it, False, v, tv, policy, dmin, dmax
        u = tv
        for _ in range(m):
            u = policy_backup_reference(P, R, gamma, u, policy)
        v = u


def backward_induction_reference(P, R, gamma, horizon, action_mask=None):
    """``(v, q, policy)`` of backward induction: ``v[H] = 0``, ``q[t] = r + gamma P v[t+1]``, first argmax.

    Shapes ``(H + 1, S)``, ``(H, S, A)`` and ``(H, S)`` (Puterman 2005, Sec. 4.5).
    """
    S, A = R.shape
    v = np.zeros((horizon + 1, S))
    q = np.empty((horizon, S, A))
    policy = np.empty((horizon, S), dtype=np.int64)
    for t in range(horizon - 1, -1, -1):
        q[t] = q_values_reference(P, R, gamma, v[t + 1], action_mask)
        policy[t] = np.argmax(q[t], axis=1)
        v[t] = q[t][np.arange(S), policy[t]]
    return v, q, policy


def stream_sum_reference(P):
    """Sum of all stored entries of ``P`` (dense array or CSR ``data``)."""
    return float(np.sum(P.data if P.ndim == 2 else P))


def _dense(P, S, A):
    return P.toarray().reshape(S, A, S) if P.ndim == 2 else np.asarray(P)


def policy_values_reference(P, R, gamma, policy):
    """``v^pi`` of a deterministic ``policy`` by a dense linear solve (gamma < 1)."""
    S, A = R.shape
    idx = np.arange(S)
    Pd = _dense(P, S, A)
    return np.linalg.solve(np.eye(S) - gamma * Pd[idx, policy], R[idx, policy])


def optimal_values_reference(P, R, gamma, action_mask=None, max_iter=10_000):
    """``(v*, optimal policy, error bound)`` by Howard's policy iteration with dense solves.

    An action changes only on an improvement larger than ``1e-13 (1 + |q|)``.
    The returned error bound is ``||T v - v||_inf / (1 - gamma)``, a bound on
    ``||v - v*||_inf`` for any ``v`` (Puterman 2005, Thm. 6.3.1 and its proof).
    """
    S, A = R.shape
    idx = np.arange(S)
    mask = np.ones((S, A), dtype=bool) if action_mask is None else np.asarray(action_mask)
    pi = np.argmax(mask, axis=1)
    for _ in range(max_iter):
        v = policy_values_reference(P, R, gamma, pi)
        q = q_values_reference(P, R, gamma, v, mask)
        best = q.max(axis=1)
        improve = best > q[idx, pi] + 1e-13 * (1.0 + np.abs(best))
        if not improve.any():
            break
        pi = np.where(improve, np.argmax(q, axis=1), pi)
    err = float(np.max(np.abs(q.max(axis=1) - v))) / (1.0 - gamma)
    return v, pi, err
