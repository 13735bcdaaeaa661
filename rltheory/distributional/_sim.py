"""Numba rollout kernel for Monte Carlo returns (private; validates nothing).

The uniforms are drawn outside (one NumPy Generator per block of episodes,
spawned from one SeedSequence), so the returns are bit-identical whatever
the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def rollout_returns(indptr, indices, cumdata, cum_pi, last_action, R, gamma, start, absorbing, uniforms, out):
    """Discounted returns of ``uniforms.shape[0]`` episodes of ``uniforms.shape[1]`` steps.

    ``cumdata`` holds the within-row cumulative transition probabilities of
    the CSR matrix ``(S*A, S)``; ``cum_pi[s]`` the cumulative policy; an
    episode stops early in an ``absorbing`` state (zero reward forever).
    Inversion sampling: the first entry whose cumulative mass exceeds the
    uniform; rounding shortfalls of the last cumulative sum fall back to the
    last entry with positive mass.
    """
    n, H = uniforms.shape[0], uniforms.shape[1]
    A = cum_pi.shape[1]
    for e in prange(n):
        s = start
        g = 0.0
        disc = 1.0
        for t in range(H):
            if absorbing[s]:
                break
            u = uniforms[e, t, 0]
            a = last_action[s]
            for b in range(A):
                if cum_pi[s, b] > u:
                    a = b
                    break
            row = s * A + a
            lo, hi = indptr[row], indptr[row + 1]
            nxt = indices[hi - 1]
            u2 = uniforms[e, t, 1]
            for k in range(lo, hi):
                if cumdata[k] > u2:
                    nxt = indices[k]
                    break
            g += disc * R[s, a]
            disc *= gamma
            s = nxt
        out[e] = g


def cumulative_rows(indptr: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Within-row cumulative sums of CSR ``data``."""
    cs = np.cumsum(data)
    before = np.concatenate(([0.0], cs))[indptr[:-1]]
    return cs - np.repeat(before, np.diff(indptr))
