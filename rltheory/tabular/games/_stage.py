r"""Compiled exact solver for many small zero-sum matrix games (the stage games of Shapley's operator).

Private kernel: validates nothing, writes into preallocated outputs. The
NumPy/scipy reference is :func:`rltheory.tabular.games._reference.stage_values_reference`
(one ``linprog`` per matrix); ``tests/tabular/games/test_stage.py`` holds
them equal within the certificates.

For each matrix ``M`` (``m x n``, row player maximizes) the kernel

1. returns a pure saddle point when ``max_i min_j M = min_j max_i M``;
2. otherwise, for ``m = n = 2``, the closed form (von Neumann & Morgenstern
   1944, Sec. 17.8; no saddle point, so both strategies are interior):
   ``x_1 = (d - c) / (a - b - c + d)``, ``y_1 = (d - b) / (a - b - c + d)``
   for ``M = [[a, b], [c, d]]``;
3. otherwise runs the simplex method on the column player's LP after the
   affine map ``M' = (M - min M) / range + 1`` (entries in ``[1, 2]``, so the
   value is positive and the tolerances are absolute)::

       max 1^T w   s.t.  M' w <= 1,  w >= 0

   from the slack basis (feasible, no phase 1). At the optimum ``z = 1^T w
   = 1 / v(M')``, ``y = w / z``, and the row player's ``x = u / z`` is read
   off the objective row (the reduced costs of the slacks are the dual
   solution ``u``). Pivoting: Dantzig's largest coefficient, switching to
   Bland's smallest-index rule (which cannot cycle; Bland 1977) after the
   first degenerate pivot.

Whatever the path, the strategies are put exactly on the simplex and
certified on the original ``M``: ``lo = min_j (x^T M)_j <= v(M) <= max_i
(M y)_i = hi`` (weak duality). A failed simplex (pivot cap) sets ``ok =
False`` and the caller falls back to an LP.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_PIVOT_EPS = 1e-12


@njit(cache=True)
def _certify(M, x, y):
    m, n = M.shape
    lo = np.inf
    for j in range(n):
        s = 0.0
        for i in range(m):
            s += x[i] * M[i, j]
        if s < lo:
            lo = s
    hi = -np.inf
    for i in range(m):
        s = 0.0
        for j in range(n):
            s += M[i, j] * y[j]
        if s > hi:
            hi = s
    return lo, hi


@njit(cache=True)
def _normalize(p):
    s = 0.0
    for k in range(p.shape[0]):
        if p[k] < 0.0:
            p[k] = 0.0
        s += p[k]
    if s > 0.0 and np.isfinite(s):
        for k in range(p.shape[0]):
            p[k] /= s
    else:
        for k in range(p.shape[0]):
            p[k] = 1.0 / p.shape[0]


@njit(cache=True)
def _saddle(M, x, y):
    """Pure saddle point test; fills x, y and returns True when one exists."""
    m, n = M.shape
    best_row, lower = 0, -np.inf
    for i in range(m):
        r = np.inf
        for j in range(n):
            if M[i, j] < r:
                r = M[i, j]
        if r > lower:
            lower, best_row = r, i
    best_col, upper = 0, np.inf
    for j in range(n):
        c = -np.inf
        for i in range(m):
            if M[i, j] > c:
                c = M[i, j]
        if c < upper:
            upper, best_col = c, j
    if lower < upper:
        return False
    x[:] = 0.0
    y[:] = 0.0
    x[best_row] = 1.0
    y[best_col] = 1.0
    return True


@njit(cache=True)
def _simplex(M, x, y, T, basis, max_pivots):
    """Simplex on the column player's LP (see the module docstring); returns success."""
    m, n = M.shape
    mn = np.inf
    mx = -np.inf
    for i in range(m):
        for j in range(n):
            if M[i, j] < mn:
                mn = M[i, j]
            if M[i, j] > mx:
                mx = M[i, j]
    rng = mx - mn
    if rng <= 0.0:
        x[:] = 1.0 / m
        y[:] = 1.0 / n
        return True
    ncol = n + m + 1
    rhs = n + m
    for i in range(m + 1):
        for k in range(ncol):
            T[i, k] = 0.0
    for i in range(m):
        for j in range(n):
            T[i, j] = (M[i, j] - mn) / rng + 1.0
        T[i, n + i] = 1.0
        T[i, rhs] = 1.0
        basis[i] = n + i
    for j in range(n):
        T[m, j] = -1.0
    bland = False
    for _ in range(max_pivots):
        # entering column
        e = -1
        best = -_PIVOT_EPS
        for k in range(n + m):
            if T[m, k] < best:
                e = k
                if bland:
                    break
                best = T[m, k]
        if e < 0:
            # optimal: z = T[m, rhs], w from the basis, u from the slack reduced costs
            z = T[m, rhs]
            y[:] = 0.0
            for i in range(m):
                if basis[i] < n:
                    y[basis[i]] = T[i, rhs]
            for i in range(m):
                x[i] = T[m, n + i]
            for j in range(n):
                y[j] /= z
            for i in range(m):
                x[i] /= z
            return True
        # ratio test, ties to the smallest basic index (Bland)
        r = -1
        ratio = np.inf
        for i in range(m):
            a = T[i, e]
            if a > _PIVOT_EPS:
                t = T[i, rhs] / a
                if t < ratio - 1e-15 or (t <= ratio + 1e-15 and r >= 0 and basis[i] < basis[r]):
                    ratio, r = t, i
        if r < 0:
            return False  # unbounded: impossible for M' > 0, a numerical failure
        if ratio <= 1e-15:
            bland = True
        piv = T[r, e]
        for k in range(ncol):
            T[r, k] /= piv
        for i in range(m + 1):
            if i != r:
                f = T[i, e]
                if f != 0.0:
                    for k in range(ncol):
                        T[i, k] -= f * T[r, k]
        basis[r] = e
    return False


@njit(cache=True)
def solve_stage(M, x, y, T, basis):
    """Solve one matrix game into ``x`` (m,), ``y`` (n,); returns ``(lo, hi, ok)``.

    ``T`` is a work array of shape at least ``(m + 1, n + m + 1)``, ``basis``
    of length at least ``m``.
    """
    m, n = M.shape
    ok = True
    if not _saddle(M, x, y):
        if m == 2 and n == 2:
            a, b, c, d = M[0, 0], M[0, 1], M[1, 0], M[1, 1]
            den = a - b - c + d
            x[0] = (d - c) / den
            x[1] = 1.0 - x[0]
            y[0] = (d - b) / den
            y[1] = 1.0 - y[0]
        else:
            ok = _simplex(M, x, y, T, basis, 50 * (m + n) + 50)
    _normalize(x)
    _normalize(y)
    lo, hi = _certify(M, x, y)
    return lo, hi, ok


@njit(cache=True)
def solve_stages(Q, X, Y, lo, hi, ok):
    """Solve ``Q[s]`` (S, m, n) for every s into ``X`` (S, m), ``Y`` (S, n), ``lo``, ``hi``, ``ok`` (S,) bool.

    Returns the number of states whose simplex failed (``ok[s] = False``;
    their ``lo``/``hi`` still certify the strategies written, which may be poor).
    """
    S, m, n = Q.shape
    T = np.empty((m + 1, n + m + 1))
    basis = np.empty(m, dtype=np.int64)
    failed = 0
    for s in range(S):
        l, h, good = solve_stage(Q[s], X[s], Y[s], T, basis)
        lo[s] = l
        hi[s] = h
        ok[s] = good
        if not good:
            failed += 1
    return failed
