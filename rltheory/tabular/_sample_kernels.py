r"""Compiled (Numba) kernels of the sample-based learners of :mod:`rltheory.tabular`.

Private: every kernel takes preallocated outputs, validates nothing, and has a
NumPy reference in :mod:`rltheory.tabular._sample_reference` that
``tests/tabular/test_sample_kernels.py`` holds equal to it. Randomness never
enters a kernel as a generator: the caller draws uniforms with its
:class:`numpy.random.Generator` and passes them in, so kernel and reference see
the same numbers. No ``fastmath``: theorem checks read these outputs.

* :func:`row_cumsum` -- per-row cumulative sums of a CSR matrix (the inverse
  CDFs of the rows of ``P``), the last positive entry of each row and all
  entries after it set to exactly 1 (so a uniform in ``[0, 1)`` never lands on
  a zero-probability entry or past the row).
* :func:`sample_rows` -- inverse-CDF sampling: ``out[i]`` is the column of the
  first entry of row ``rows[i]`` whose cumulative probability exceeds
  ``uniforms[i]`` (binary search in the row).
* :func:`q_learning_sweeps` -- synchronous Q-learning sweeps (Li et al. 2021):
  every pair draws one next state per sweep.
* :func:`vi_lcb_loop` -- the iterations of VI-LCB with data splitting
  (Rashidinejad et al. 2021, Algorithm 3), one pass over each subset.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["row_cumsum", "sample_rows", "q_learning_sweeps", "vi_lcb_loop", "pair_sums"]


@njit(cache=True)
def row_cumsum(data, indptr, out):
    """``out[k]`` = sum of the row's entries up to ``k``; 1.0 from the row's last positive entry on."""
    n_rows = indptr.shape[0] - 1
    for r in range(n_rows):
        start = indptr[r]
        stop = indptr[r + 1]
        acc = 0.0
        last = -1
        for k in range(start, stop):
            acc += data[k]
            out[k] = acc
            if data[k] > 0.0:
                last = k
        if last >= 0:
            for k in range(last, stop):
                out[k] = 1.0


@njit(cache=True, inline="always")
def _search_row(cum, start, stop, u):
    """First ``k`` in ``[start, stop)`` with ``cum[k] > u`` (``stop - 1`` if none)."""
    lo = start
    hi = stop - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def sample_rows(cum, indices, indptr, rows, uniforms, out):
    """``out[i] = indices[k]`` with ``k`` the first entry of row ``rows[i]`` whose ``cum[k] > uniforms[i]``."""
    for i in range(rows.shape[0]):
        r = rows[i]
        k = _search_row(cum, indptr[r], indptr[r + 1], uniforms[i])
        out[i] = indices[k]


@njit(cache=True)
def q_learning_sweeps(q, cum, indices, indptr, R, mask, gamma, uniforms, etas, v_buf):
    r"""Synchronous Q-learning: for each sweep ``t`` (row ``t`` of ``uniforms``, step ``etas[t]``),

    .. math:: Q(s,a) \leftarrow (1 - \eta_t) Q(s,a) + \eta_t \big(r(s,a) + \gamma \max_{b} Q(s', b)\big),
       \quad s' \sim P(\cdot|s,a),

    for every allowed pair at once (the max uses the previous sweep's ``Q``; ``v_buf`` holds it). Disallowed
    pairs (``mask`` 0) are skipped and their ``q`` left as is.
    """
    S = R.shape[0]
    A = R.shape[1]
    for t in range(uniforms.shape[0]):
        for s in range(S):
            best = -np.inf
            for a in range(A):
                if mask[s, a] and q[s, a] > best:
                    best = q[s, a]
            v_buf[s] = best
        eta = etas[t]
        for s in range(S):
            for a in range(A):
                if not mask[s, a]:
                    continue
                r = s * A + a
                k = _search_row(cum, indptr[r], indptr[r + 1], uniforms[t, r])
                target = R[s, a] + gamma * v_buf[indices[k]]
                q[s, a] = (1.0 - eta) * q[s, a] + eta * target


@njit(cache=True)
def pair_sums(pairs, values, order, start, stop, n_pairs, counts, sums):
    """``counts[p]`` / ``sums[p]``: number and sum of ``values[order[i]]``, ``i in [start, stop)``, with pair ``p``."""
    for p in range(n_pairs):
        counts[p] = 0
        sums[p] = 0.0
    for i in range(start, stop):
        j = order[i]
        p = pairs[j]
        counts[p] += 1
        sums[p] += values[j]


@njit(cache=True)
def vi_lcb_loop(
    pairs,
    rewards,
    next_states,
    order,
    bounds,
    n_states,
    n_actions,
    gamma,
    v_max,
    log_term,
    v,
    policy,
    q,
    counts,
    sums,
    v_history,
):
    r"""VI-LCB iterations with data splitting (Rashidinejad et al. 2021, Algorithm 3 "OfflineVI-LCB").

    Subset ``t`` (``t = 1..T``) is ``order[bounds[t]:bounds[t + 1]]``; subset 0 set ``policy`` (the most
    frequent action per state) before the call. Iteration ``t`` computes, from subset ``t`` only,

    .. math::
        Q_t(s, a) = \frac{1}{m_t(s,a)} \sum_{i \in D_t(s,a)} \big(r_i + \gamma V_{t-1}(s'_i)\big)
                    - V_{\max} \sqrt{\frac{L}{m_t(s,a)}} \quad (m_t(s,a) \ge 1),
        \qquad Q_t(s, a) = -V_{\max}\sqrt{L} \quad (m_t(s, a) = 0),

    ``L = log_term``, then the monotone update: where ``max_a Q_t(s, a) > V_{t-1}(s)`` take the new value and
    greedy action (ties to the lowest action), else keep both. Row ``t`` of ``v_history`` is ``V_t``.
    """
    S = n_states
    A = n_actions
    n_pairs = S * A
    T = bounds.shape[0] - 2
    for s in range(S):
        v_history[0, s] = v[s]
    for t in range(1, T + 1):
        for p in range(n_pairs):
            counts[p] = 0
            sums[p] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            j = order[i]
            p = pairs[j]
            counts[p] += 1
            sums[p] += rewards[j] + gamma * v[next_states[j]]
        for s in range(S):
            best = -np.inf
            best_a = 0
            for a in range(A):
                p = s * A + a
                m = counts[p]
                if m > 0:
                    val = sums[p] / m - v_max * math.sqrt(log_term / m)
                else:
                    val = -v_max * math.sqrt(log_term)
                q[s, a] = val
                if val > best:
                    best = val
                    best_a = a
            if best > v[s]:
                v[s] = best
                policy[s] = best_a
        for s in range(S):
            v_history[t, s] = v[s]
