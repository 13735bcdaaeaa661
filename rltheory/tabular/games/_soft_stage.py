r"""Compiled solver for many entropy-regularized zero-sum matrix games (the stages of the regularized Shapley operator).

Private kernel: validates nothing, writes into preallocated outputs. The
reference is :func:`rltheory.tabular.games.qre` (pseudo-arclength
continuation on the QRE equations of :class:`~rltheory.tabular.games.MatrixGame`),
to which ``tests/tabular/games/test_soft_stage.py`` holds it equal within
the certificates.

The regularized game of a matrix ``M`` (row player maximizes) at
temperature ``tau > 0`` is

.. math::

    \mathrm{val}_\tau(M) = \max_{x \in \Delta_m} \min_{y \in \Delta_n}
    x^\top M y + \tau H(x) - \tau H(y),

strictly concave-convex, with the unique saddle point the logit QRE
``x = softmax(M y / tau)``, ``y = softmax(-M^T x / tau)`` (McKelvey &
Palfrey 1995). For *any* ``x, y`` the inner problems have closed forms
(Gibbs variational principle), which certify the value by weak duality:

.. math::

    lo(x) = \tau H(x) - \tau \log \textstyle\sum_b e^{-(M^\top x)_b / \tau}
    \;\le\; \mathrm{val}_\tau(M) \;\le\;
    -\tau H(y) + \tau \log \textstyle\sum_a e^{(M y)_a / \tau} = hi(y).

The kernel minimizes the certified gap ``hi - lo`` by Newton's method on
the QRE equations in log coordinates ``z = (log x, log y)``,

.. math::

    F(z) = \big(z_x - \log \mathrm{softmax}(M y / \tau),\;
                z_y - \log \mathrm{softmax}(-M^\top x / \tau)\big) = 0,

from the caller's warm start, with backtracking on the gap; when a Newton
step cannot decrease the gap it takes steps of the predictive update of
Cen, Wei & Chi (2021, Algorithm 1, step size ``1 / (tau + 2 max|M|)``),
which converges linearly for every start. It stops when the certified gap
is below the caller's absolute tolerance and reports ``ok = False``
otherwise (the caller then uses the continuation of :func:`qre`).

References
----------
R. D. McKelvey and T. R. Palfrey, "Quantal response equilibria for normal
form games", Games Econ. Behav. 10 (1995).
S. Cen, Y. Wei and Y. Chi, "Fast policy extragradient methods for
competitive games with entropy regularization", NeurIPS 2021.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _lse(u):
    m = -np.inf
    for k in range(u.shape[0]):
        if u[k] > m:
            m = u[k]
    s = 0.0
    for k in range(u.shape[0]):
        s += math.exp(u[k] - m)
    return m + math.log(s)


@njit(cache=True)
def _entropy(p):
    h = 0.0
    for k in range(p.shape[0]):
        if p[k] > 0.0:
            h -= p[k] * math.log(p[k])
    return h


@njit(cache=True)
def soft_certificate(M, tau, x, y, u, w):
    """``(lo, hi)`` of the module docstring; leaves ``u = M y / tau`` and ``w = -M^T x / tau`` in the buffers."""
    m, n = M.shape
    for i in range(m):
        acc = 0.0
        for j in range(n):
            acc += M[i, j] * y[j]
        u[i] = acc / tau
    for j in range(n):
        acc = 0.0
        for i in range(m):
            acc += x[i] * M[i, j]
        w[j] = -acc / tau
    lo = tau * _entropy(x) - tau * _lse(w)
    hi = -tau * _entropy(y) + tau * _lse(u)
    return lo, hi


@njit(cache=True)
def _softmax_into(u, out):
    c = _lse(u)
    for k in range(u.shape[0]):
        out[k] = math.exp(u[k] - c)


@njit(cache=True)
def _solve_linear(J, rhs, out):
    """Gaussian elimination with partial pivoting on a copy in ``J`` (overwritten); False when singular."""
    N = rhs.shape[0]
    for k in range(N):
        out[k] = rhs[k]
    for c in range(N):
        p = c
        best = abs(J[c, c])
        for r in range(c + 1, N):
            if abs(J[r, c]) > best:
                best = abs(J[r, c])
                p = r
        if not (best > 1e-300):
            return False
        if p != c:
            for k in range(N):
                t = J[c, k]
                J[c, k] = J[p, k]
                J[p, k] = t
            t = out[c]
            out[c] = out[p]
            out[p] = t
        for r in range(c + 1, N):
            f = J[r, c] / J[c, c]
            if f != 0.0:
                for k in range(c, N):
                    J[r, k] -= f * J[c, k]
                out[r] -= f * out[c]
    for c in range(N - 1, -1, -1):
        acc = out[c]
        for k in range(c + 1, N):
            acc -= J[c, k] * out[k]
        out[c] = acc / J[c, c]
    return True


@njit(cache=True)
def _normalize_log(z, p):
    """``z <- z - logsumexp(z)`` and ``p <- exp(z)`` renormalized onto the simplex (underflow to 0 allowed)."""
    c = _lse(z)
    tot = 0.0
    for k in range(z.shape[0]):
        z[k] -= c
        p[k] = math.exp(z[k])
        tot += p[k]
    for k in range(z.shape[0]):
        p[k] /= tot


@njit(cache=True)
def _pu_step(M, tau, zx, zy, x, y, eta, u, w, xb, yb):
    """One predictive update (Cen, Wei & Chi 2021, Algorithm 1) of the log-strategies, in place."""
    m, n = M.shape
    keep = 1.0 - eta * tau
    # midpoint: xb ∝ x^{1 - eta tau} exp(eta M y), yb ∝ y^{1 - eta tau} exp(-eta M^T x)
    for i in range(m):
        acc = 0.0
        for j in range(n):
            acc += M[i, j] * y[j]
        u[i] = keep * zx[i] + eta * acc
    for j in range(n):
        acc = 0.0
        for i in range(m):
            acc += x[i] * M[i, j]
        w[j] = keep * zy[j] - eta * acc
    _softmax_into(u, xb)
    _softmax_into(w, yb)
    for i in range(m):
        acc = 0.0
        for j in range(n):
            acc += M[i, j] * yb[j]
        zx[i] = keep * zx[i] + eta * acc
    for j in range(n):
        acc = 0.0
        for i in range(m):
            acc += xb[i] * M[i, j]
        zy[j] = keep * zy[j] - eta * acc
    _normalize_log(zx, x)
    _normalize_log(zy, y)


@njit(cache=True)
def _newton(M, tau, zx, zy, x, y, tol, work, max_steps, eta):
    """Damped Newton on the log-strategies (PU steps when a step cannot reduce the gap); returns ``(lo, hi)``.

    ``zx``, ``zy`` are normalized log-probabilities, ``x``, ``y`` their
    exponentials on the simplex (entries may underflow to 0; the logs stay exact).
    """
    m, n = M.shape
    N = m + n
    J, rhs, dz, u, w, bx, by, zxt, zyt, xb, yb, xt, yt = work
    lo, hi = soft_certificate(M, tau, x, y, u, w)
    gap = hi - lo
    for _ in range(max_steps):
        if gap <= tol:
            break
        # Newton direction on F(z) = (z_x - log softmax(u), z_y - log softmax(w)), u = M y / tau, w = -M^T x / tau
        _softmax_into(u, bx)
        _softmax_into(w, by)
        lu = _lse(u)
        lw = _lse(w)
        for i in range(m):
            rhs[i] = -(zx[i] - (u[i] - lu))
        for j in range(n):
            rhs[m + j] = -(zy[j] - (w[j] - lw))
        for r in range(N):
            for c in range(N):
                J[r, c] = 1.0 if r == c else 0.0
        # dF_x / dz_y = -(I - 1 bx^T) M diag(y) / tau
        for j in range(n):
            col = 0.0
            for k in range(m):
                col += bx[k] * M[k, j]
            for i in range(m):
                J[i, m + j] = -(M[i, j] - col) * y[j] / tau
        # dF_y / dz_x = (I - 1 by^T) M^T diag(x) / tau
        for i in range(m):
            row = 0.0
            for k in range(n):
                row += by[k] * M[i, k]
            for j in range(n):
                J[m + j, i] = (M[i, j] - row) * x[i] / tau
        improved = False
        if _solve_linear(J, rhs, dz):
            t = 1.0
            for _ls in range(30):
                for i in range(m):
                    zxt[i] = zx[i] + t * dz[i]
                for j in range(n):
                    zyt[j] = zy[j] + t * dz[m + j]
                _normalize_log(zxt, xt)
                _normalize_log(zyt, yt)
                lo2, hi2 = soft_certificate(M, tau, xt, yt, u, w)
                if hi2 - lo2 < gap:
                    for i in range(m):
                        zx[i] = zxt[i]
                        x[i] = xt[i]
                    for j in range(n):
                        zy[j] = zyt[j]
                        y[j] = yt[j]
                    improved = True
                    break
                t *= 0.5
        if not improved:
            for _k in range(20):
                _pu_step(M, tau, zx, zy, x, y, eta, u, w, xb, yb)
        lo, hi = soft_certificate(M, tau, x, y, u, w)
        gap = hi - lo
    return lo, hi


@njit(cache=True)
def solve_soft_stage(M, tau, zx, zy, x, y, tol, work):
    """Solve one regularized game; ``zx`` (m,), ``zy`` (n,) are the warm start (any finite log-weights) and
    receive the solution's log-probabilities, ``x``, ``y`` the strategies. Returns ``(lo, hi, ok)``.

    ``work`` is a tuple of buffers from :func:`make_work`; ``tol`` the target
    certified gap. Newton from the warm start first; if that does not reach
    ``tol``, continuation in the temperature from ``max|M|`` down to ``tau``
    (factor 1/3 per level, Newton at each level from the previous solution).
    """
    m, n = M.shape
    for i in range(m):
        if not np.isfinite(zx[i]):
            zx[i] = 0.0
    for j in range(n):
        if not np.isfinite(zy[j]):
            zy[j] = 0.0
    _normalize_log(zx, x)
    _normalize_log(zy, y)
    amax = 0.0
    for i in range(m):
        for j in range(n):
            if abs(M[i, j]) > amax:
                amax = abs(M[i, j])
    eta = 1.0 / (tau + 2.0 * amax)
    lo, hi = _newton(M, tau, zx, zy, x, y, tol, work, 25, eta)
    if hi - lo <= tol:
        return lo, hi, True
    # continuation in the temperature from the uniform profile
    zx[:] = 0.0
    zy[:] = 0.0
    _normalize_log(zx, x)
    _normalize_log(zy, y)
    levels = 0
    t = tau
    while t < amax:
        t *= 3.0
        levels += 1
    t = tau * 3.0**levels
    for _ in range(levels):
        _newton(M, t, zx, zy, x, y, 1e-9 * (t + amax), work, 40, 1.0 / (t + 2.0 * amax))
        t /= 3.0
    lo, hi = _newton(M, tau, zx, zy, x, y, tol, work, 200, eta)
    return lo, hi, hi - lo <= tol


@njit(cache=True)
def make_work(m, n):
    """Work buffers of :func:`solve_soft_stage` for an ``m x n`` game."""
    N = m + n
    return (
        np.empty((N, N)),
        np.empty(N),
        np.empty(N),
        np.empty(m),
        np.empty(n),
        np.empty(m),
        np.empty(n),
        np.empty(m),
        np.empty(n),
        np.empty(m),
        np.empty(n),
        np.empty(m),
        np.empty(n),
    )


@njit(cache=True)
def solve_soft_stages(Q, tau, ZX, ZY, X, Y, lo, hi, ok, rtol):
    """Solve ``Q[s]`` (S, m, n) at temperature ``tau`` for every ``s``, warm-started from ``ZX``, ``ZY``.

    ``ZX`` (S, m), ``ZY`` (S, n): log-weights in, the solutions' log-probabilities
    out; ``X``, ``Y`` the strategies. Target gap per state: ``rtol * (tau +
    max|Q[s]|)``. Returns the number of states left above it (``ok[s] =
    False``; their intervals still certify the strategies written).
    """
    S, m, n = Q.shape
    work = make_work(m, n)
    failed = 0
    for s in range(S):
        amax = 0.0
        for i in range(m):
            for j in range(n):
                if abs(Q[s, i, j]) > amax:
                    amax = abs(Q[s, i, j])
        l, h, good = solve_soft_stage(Q[s], tau, ZX[s], ZY[s], X[s], Y[s], rtol * (tau + amax), work)
        lo[s] = l
        hi[s] = h
        ok[s] = good
        if not good:
            failed += 1
    return failed
