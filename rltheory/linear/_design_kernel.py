r"""Compiled G-optimal design (Frank-Wolfe / Fedorov-Wynn with Caratheodory pruning) for compiled agents.

The jitted twin of :func:`rltheory.linear.g_optimal_design` (the NumPy
reference; ``tests/linear/test_design_kernel.py`` holds them to the same
Kiefer-Wolfowitz certificate), for use inside compiled agents such as
:class:`~rltheory.linear.PhasedElimination`, which recompute a design at every
phase boundary.

For a design :math:`\pi` on the rows :math:`z_1..z_m` of a matrix
:math:`Z \in \mathbb{R}^{m\times r}` of full column rank, let
:math:`V(\pi) = \sum_a \pi(a) z_a z_a^\top` and
:math:`g(\pi) = \max_a \|z_a\|^2_{V(\pi)^{-1}}`. Kiefer-Wolfowitz (Lattimore
& Szepesvari 2020, *Bandit Algorithms*, Theorem 21.1): :math:`\min_\pi
g(\pi) = r`, attained by the D-optimal design, with a support of at most
:math:`r(r+1)/2` points; and for every design :math:`g(\pi) \ge r` (since
:math:`\sum_a \pi(a)\|z_a\|^2_{V(\pi)^{-1}} = r`).

* :func:`frank_wolfe_design`: Frank-Wolfe on :math:`\log\det V(\pi)` with the
  exact line search :math:`\gamma_k = (g_k/r - 1)/(g_k - 1)` (Lattimore &
  Szepesvari 2020, Note 21.2; Todd 2016, *Minimum-Volume Ellipsoids*, Alg.
  3.1) and Sherman-Morrison updates of :math:`V^{-1}` and of the norms
  :math:`\|z_a\|^2_{V^{-1}}` (:math:`O(mr + r^2)` per iteration, refreshed
  from the weights every 64 iterations and before the stopping rule is
  accepted), started from the uniform design on :math:`r` spanning rows chosen
  greedily (Gram-Schmidt with largest-residual pivoting, the pivots of a
  column-pivoted QR, which Numba lacks). It stops at the certificate
  :math:`g \le r(1+\text{tol})`.
* :func:`prune_design`: Caratheodory pruning to at most :math:`r(r+1)/2`
  support points that never increases :math:`g` (as ``_prune`` of
  :mod:`rltheory.linear._design`, on :math:`r(r+1)/2 + 1` support points at a
  time).
* :func:`design_g`: :math:`g(\pi)` and :math:`\log\det V(\pi)` computed afresh
  from the weights (Cholesky factor of :math:`V(\pi)`).
* :func:`g_optimal_design_kernel`: the three in sequence; the certificate is
  judged on the fresh :math:`g` of the pruned design.

Kernels validate nothing: ``Z`` must be C-contiguous float64 of full column
rank, ``weights`` a preallocated float64 array of length ``m``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["design_g", "frank_wolfe_design", "g_optimal_design_kernel", "greedy_spanning_rows", "prune_design"]

#: V^{-1} and the norms are recomputed from the weights every _REFRESH Frank-Wolfe iterations.
_REFRESH = 64


@njit(cache=True)
def greedy_spanning_rows(Z, out):
    """Indices of ``r`` linearly independent rows of ``Z`` written to ``out``; returns how many were found.

    Gram-Schmidt with pivoting: repeatedly take the row with the largest
    residual norm after projecting out the rows already taken (the pivot
    order of a column-pivoted QR of ``Z^T``). Residual norms are recomputed,
    not downdated, so no cancellation accumulates.
    """
    m, r = Z.shape
    R = Z.copy()
    res = np.empty(m)
    top = 0.0
    for i in range(m):
        s = 0.0
        for j in range(r):
            s += R[i, j] * R[i, j]
        res[i] = s
        top = max(top, s)
    q = np.empty(r)
    found = 0
    for step in range(r):
        k = 0
        best = -1.0
        for i in range(m):
            if res[i] > best:
                best = res[i]
                k = i
        if best <= 1e-24 * top or best <= 0.0:
            break
        out[step] = k
        found += 1
        nrm = math.sqrt(best)
        for j in range(r):
            q[j] = R[k, j] / nrm
        for i in range(m):
            if res[i] < 0.0:
                continue
            c = 0.0
            for j in range(r):
                c += R[i, j] * q[j]
            s = 0.0
            for j in range(r):
                R[i, j] -= c * q[j]
                s += R[i, j] * R[i, j]
            res[i] = s
        res[k] = -1.0  # taken
    return found


@njit(cache=True)
def _moment(Z, w):
    m, r = Z.shape
    V = np.zeros((r, r))
    for a in range(m):
        wa = w[a]
        if wa > 0.0:
            for i in range(r):
                zi = wa * Z[a, i]
                for j in range(r):
                    V[i, j] += zi * Z[a, j]
    return V


@njit(cache=True)
def design_g(Z, w, norms):
    r"""Fresh :math:`g(\pi)` and :math:`\log\det V(\pi)`; writes :math:`\|z_a\|^2_{V(\pi)^{-1}}` to ``norms``.

    Cholesky factor :math:`V = LL^\top` and forward substitution
    :math:`y = L^{-1} z_a`, so :math:`\|z_a\|^2_{V^{-1}} = \|y\|^2`
    (:math:`O(mr^2)`). ``w`` need not be normalized (the values are those of
    ``w`` as given).
    """
    m, r = Z.shape
    L = np.linalg.cholesky(_moment(Z, w))
    y = np.empty(r)
    g = 0.0
    for a in range(m):
        s = 0.0
        for i in range(r):
            acc = Z[a, i]
            for j in range(i):
                acc -= L[i, j] * y[j]
            y[i] = acc / L[i, i]
            s += y[i] * y[i]
        norms[a] = s
        if s > g:
            g = s
    logdet = 0.0
    for i in range(r):
        logdet += 2.0 * math.log(L[i, i])
    return g, logdet


@njit(cache=True)
def _refresh(Z, w, Vinv, norms):
    m, r = Z.shape
    Vinv[:, :] = np.linalg.inv(_moment(Z, w))
    for a in range(m):
        s = 0.0
        for i in range(r):
            acc = 0.0
            for j in range(r):
                acc += Vinv[i, j] * Z[a, j]
            s += Z[a, i] * acc
        norms[a] = s


@njit(cache=True)
def frank_wolfe_design(Z, tol, max_iter, weights):
    r"""Frank-Wolfe (Fedorov-Wynn) iterations from the uniform design on greedy spanning rows.

    Writes the design to ``weights`` and returns ``(iterations, certified)``
    where ``certified`` says that the stopping rule
    :math:`\max_a \|z_a\|^2_{V(\pi)^{-1}} \le r(1+\text{tol})` held for
    norms freshly recomputed from the weights (``max_iter = 0`` returns the
    initial design).
    """
    m, r = Z.shape
    target = r * (1.0 + tol)
    basis = np.empty(r, dtype=np.int64)
    nb = greedy_spanning_rows(Z, basis)
    for a in range(m):
        weights[a] = 0.0
    for i in range(nb):
        weights[basis[i]] = 1.0 / nb
    Vinv = np.empty((r, r))
    norms = np.empty(m)
    u = np.empty(r)
    _refresh(Z, weights, Vinv, norms)
    since = 0
    it = 0
    certified = False
    while True:
        k = 0
        g = -1.0
        for a in range(m):
            if norms[a] > g:
                g = norms[a]
                k = a
        if g <= target:
            if since == 0:
                certified = True
                break
            _refresh(Z, weights, Vinv, norms)  # accept the certificate only on fresh norms
            since = 0
            continue
        if it >= max_iter:
            break
        # Lattimore & Szepesvari (2020), Note 21.2: exact line search of log det along e_k - pi
        step = (g / r - 1.0) / (g - 1.0)
        for a in range(m):
            weights[a] *= 1.0 - step
        weights[k] += step
        # V' = (1-s) V + s z z^T;  V'^{-1} = (V^{-1} - c u u^T) / (1-s), u = V^{-1} z, c = s / (1 - s + s g)
        for i in range(r):
            acc = 0.0
            for j in range(r):
                acc += Vinv[i, j] * Z[k, j]
            u[i] = acc
        coef = step / (1.0 - step + step * g)
        inv1 = 1.0 / (1.0 - step)
        for i in range(r):
            for j in range(r):
                Vinv[i, j] = (Vinv[i, j] - coef * u[i] * u[j]) * inv1
        for a in range(m):
            p = 0.0
            for j in range(r):
                p += Z[a, j] * u[j]
            norms[a] = (norms[a] - coef * p * p) * inv1
        it += 1
        since += 1
        if since == _REFRESH:
            _refresh(Z, weights, Vinv, norms)
            since = 0
    return it, certified


@njit(cache=True)
def _null_vector(M, c):
    """A unit null vector of the ``(p, p+1)`` matrix ``M`` (overwritten) in ``c``: elimination with complete pivoting.

    Written by hand rather than calling LAPACK's SVD: at these sizes (p = r(r+1)/2 <= a few hundred) one SVD per
    pruning step cost 1-30 ms under BLAS threading on a shared machine against ~0.1 ms here. The elimination stops
    when the remaining block is below ``1e-13`` times the largest entry (rank deficiency); the free column gets 1 and
    the pivot variables follow by back substitution, so ``M c`` vanishes up to rounding (complete pivoting keeps the
    growth factor small).
    """
    p, n = M.shape
    perm = np.arange(n)
    scale = 0.0
    for i in range(p):
        for j in range(n):
            scale = max(scale, abs(M[i, j]))
    rank = 0
    for k in range(p):
        best = 0.0
        bi = k
        bj = k
        for i in range(k, p):
            for j in range(k, n):
                v = abs(M[i, j])
                if v > best:
                    best = v
                    bi = i
                    bj = j
        if best <= 1e-13 * scale:
            break
        if bi != k:
            for j in range(n):
                tmp = M[k, j]
                M[k, j] = M[bi, j]
                M[bi, j] = tmp
        if bj != k:
            for i in range(p):
                tmp = M[i, k]
                M[i, k] = M[i, bj]
                M[i, bj] = tmp
            t = perm[k]
            perm[k] = perm[bj]
            perm[bj] = t
        piv = M[k, k]
        for i in range(k + 1, p):
            f = M[i, k] / piv
            if f != 0.0:
                for j in range(k, n):
                    M[i, j] -= f * M[k, j]
        rank += 1
    x = np.zeros(n)
    x[rank] = 1.0
    for i in range(rank - 1, -1, -1):
        acc = M[i, rank]
        for j in range(i + 1, rank):
            acc += M[i, j] * x[j]
        x[i] = -acc / M[i, i]
    nrm = 0.0
    for j in range(n):
        nrm += x[j] * x[j]
    nrm = math.sqrt(nrm)
    for j in range(n):
        c[perm[j]] = x[j] / nrm


@njit(cache=True)
def prune_design(Z, w):
    r"""Caratheodory pruning of ``w`` in place to at most :math:`r(r+1)/2` support points, never increasing :math:`g`.

    While the support has more than :math:`p = r(r+1)/2` points, take the
    first :math:`p + 1` of them: their matrices :math:`z_a z_a^\top` (vectors
    of the :math:`p`-dimensional space of symmetric matrices) are linearly
    dependent, so a null vector :math:`c \ne 0` of the :math:`p \times (p+1)`
    matrix of their upper triangles exists (found by ``_null_vector``).
    Orient it so :math:`\sum_a c_a \le 0` and move :math:`w \leftarrow w + tc`
    until a weight hits zero: :math:`\sum_a w_a z_a z_a^\top` is unchanged
    and the mass :math:`\mu \le 1`, so after renormalizing :math:`V` becomes
    :math:`V/\mu` and :math:`g` becomes :math:`\mu g \le g`. Each step removes
    at least one support point. ``w`` ends normalized.
    """
    m, r = Z.shape
    p = r * (r + 1) // 2
    sup = np.empty(p + 1, dtype=np.int64)
    M = np.empty((p, p + 1))
    cvec = np.empty(p + 1)
    while True:
        n = 0
        for a in range(m):
            if w[a] > 0.0:
                if n <= p:
                    sup[n] = a
                n += 1
        if n <= p:
            break
        for c in range(p + 1):
            a = sup[c]
            idx = 0
            for i in range(r):
                for j in range(i, r):
                    M[idx, c] = Z[a, i] * Z[a, j]
                    idx += 1
        _null_vector(M, cvec)  # exists: rank(M) <= p < p + 1 columns
        if cvec.sum() > 0.0:
            for c in range(p + 1):
                cvec[c] = -cvec[c]
        cmax = np.abs(cvec).max()
        best = np.inf
        jmin = -1
        for c in range(p + 1):
            if cvec[c] < -1e-14 * cmax:
                ratio = w[sup[c]] / (-cvec[c])
                if ratio < best:
                    best = ratio
                    jmin = c
        if jmin < 0:  # no descent direction: cannot happen for a non-zero null vector with sum <= 0
            break
        for c in range(p + 1):
            v = w[sup[c]] + best * cvec[c]
            w[sup[c]] = v if v > 0.0 else 0.0
        w[sup[jmin]] = 0.0
        total = w.sum()
        for a in range(m):
            w[a] /= total
    total = w.sum()
    for a in range(m):
        w[a] /= total


@njit(cache=True)
def g_optimal_design_kernel(Z, tol, max_iter, weights):
    r"""A G-optimal design on the rows of ``Z`` with its Kiefer-Wolfowitz certificate.

    :func:`frank_wolfe_design`, then :func:`prune_design`, then
    :func:`design_g` on the pruned weights. Writes the design to ``weights``
    and returns ``(g, iterations, certified)``: ``g`` is :math:`g(\pi)`
    computed afresh from the returned weights (so ``g`` is what a user of the
    design can rely on), ``certified`` is :math:`g \le r(1+\text{tol})`.

    Examples
    --------
    Three unit vectors and their mean direction: the optimal design is uniform
    on the basis (:math:`g = r = 3`, Kiefer-Wolfowitz) and the fourth row gets
    no weight.

    >>> import numpy as np
    >>> Z = np.vstack([np.eye(3), np.ones((1, 3)) / 3])
    >>> w = np.empty(4)
    >>> g, iterations, certified = g_optimal_design_kernel(Z, 1e-6, 1000, w)
    >>> round(g, 9), iterations, certified, w.round(6).tolist()
    (3.0, 0, True, [0.333333, 0.333333, 0.333333, 0.0])
    """
    m, r = Z.shape
    it, _ = frank_wolfe_design(Z, tol, max_iter, weights)
    prune_design(Z, weights)
    norms = np.empty(m)
    g, _ = design_g(Z, weights, norms)
    return g, it, g <= r * (1.0 + tol)
