"""Plain NumPy reference implementations of the tabular DP kernels.

These are the specification the compiled kernels (``_kernels.pyx``) are held
equal to by property tests. They favour clarity over speed and validate
nothing: callers pass a validated :class:`~rltheory.tabular.FiniteMDP`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["q_values_reference", "bellman_backup_reference", "policy_backup_reference"]


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
