"""Plain NumPy references of the compiled kernels of :mod:`rltheory.tabular._sample_kernels`.

Same inputs (the uniforms drawn by the caller), same arithmetic in the same order where it matters, so the parity
tests hold kernel and reference equal: bit for bit for sampling and counting, to rounding for the sums (NumPy's
``bincount`` adds in data order too, so in practice those agree exactly as well). The VI-LCB reference is the
straightforward implementation the benchmark compares with: per-subset counts by ``np.bincount`` into a dense
``(S*A, S)`` count matrix, the empirical model, and one NumPy Bellman step per subset.
"""

from __future__ import annotations

import numpy as np

__all__ = ["row_cumsum_reference", "sample_rows_reference", "q_learning_sweeps_reference", "vi_lcb_reference"]


def row_cumsum_reference(data, indptr):
    """Per-row cumulative sums, 1.0 from each row's last positive entry on (see ``row_cumsum``)."""
    out = np.empty(len(data))
    for r in range(len(indptr) - 1):
        a, b = indptr[r], indptr[r + 1]
        if a == b:
            continue
        seg = np.cumsum(data[a:b])
        pos = np.flatnonzero(data[a:b] > 0)
        if pos.size:
            seg[pos[-1] :] = 1.0
        out[a:b] = seg
    return out


def sample_rows_reference(cum, indices, indptr, rows, uniforms):
    """Inverse-CDF sampling row by row with ``np.searchsorted(..., side="right")``."""
    out = np.empty(len(rows), dtype=np.int64)
    for i, (r, u) in enumerate(zip(rows, uniforms)):
        a, b = indptr[r], indptr[r + 1]
        k = a + min(int(np.searchsorted(cum[a:b], u, side="right")), b - a - 1)
        out[i] = indices[k]
    return out


def q_learning_sweeps_reference(q, cum, indices, indptr, R, mask, gamma, uniforms, etas):
    """Vectorized synchronous Q-learning sweeps (one next state per allowed pair and sweep); returns the new ``q``."""
    q = np.array(q, dtype=float)
    S, A = R.shape
    allowed = np.flatnonzero(np.asarray(mask, dtype=bool).ravel())
    for t in range(uniforms.shape[0]):
        v = np.where(mask, q, -np.inf).max(axis=1)
        nxt = sample_rows_reference(cum, indices, indptr, allowed, uniforms[t, allowed])
        target = R.ravel()[allowed] + gamma * v[nxt]
        flat = q.ravel()
        flat[allowed] = (1.0 - etas[t]) * flat[allowed] + etas[t] * target
        q = flat.reshape(S, A)
    return q


def vi_lcb_reference(states, actions, rewards, next_states, order, bounds, n_states, n_actions, gamma, v_max, log_term):
    """VI-LCB with data splitting, by counts: ``(v, policy, q, v_history)`` (see ``vi_lcb_loop``).

    Subset 0 sets the initial policy (most frequent action, ties to the lowest); subset ``t`` gives dense
    ``(S*A, S)`` transition counts and reward sums by ``np.bincount``, the empirical model, and one penalized
    Bellman step ``r_hat - b + gamma P_hat V`` followed by the monotone update.
    """
    S, A = n_states, n_actions
    pairs = np.asarray(states, dtype=np.int64) * A + np.asarray(actions, dtype=np.int64)
    T = len(bounds) - 2
    idx0 = order[bounds[0] : bounds[1]]
    m0 = np.bincount(pairs[idx0], minlength=S * A).reshape(S, A)
    policy = np.argmax(m0, axis=1).astype(np.int64)
    v = np.zeros(S)
    history = np.zeros((T + 1, S))
    q = np.zeros((S, A))
    for t in range(1, T + 1):
        idx = order[bounds[t] : bounds[t + 1]]
        p = pairs[idx]
        m = np.bincount(p, minlength=S * A).astype(float)
        r_sum = np.bincount(p, weights=rewards[idx], minlength=S * A)
        counts = np.bincount(p * S + next_states[idx], minlength=S * A * S).reshape(S * A, S)
        with np.errstate(invalid="ignore", divide="ignore"):
            P_hat = counts / m[:, None]
            r_hat = r_sum / m
            q_flat = r_hat + gamma * (P_hat @ v) - v_max * np.sqrt(log_term / m)
        q_flat = np.where(m > 0, q_flat, -v_max * np.sqrt(log_term))
        q = q_flat.reshape(S, A)
        best = q.max(axis=1)
        better = best > v
        policy = np.where(better, np.argmax(q, axis=1), policy)
        v = np.where(better, best, v)
        history[t] = v
    return v, policy, q, history
