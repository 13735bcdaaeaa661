# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled inner problems of (s,a)-rectangular robust dynamic programming (private).

For every allowed pair ``(s, a)`` with nominal row ``q = P[s, a, :]`` and a
positive radius (or a box) the kernels write certified robust action values
``out_lo <= R[s, a] + gamma sigma <= out_hi``, where
``sigma = min_{p in U_{s,a}} p.v`` is nature's inner value, computed as
``q.v + correction`` in one pass over the row: a sequential dot product
(four accumulators) brings the row into cache, then the correction walks it.
Pairs with radius 0 get NaN: the caller takes the house kernel's nominal
``R + gamma P v`` (:mod:`rltheory.tabular._kernels`) there, so a zero
radius gives the nominal backup bit for bit. Masked pairs get ``-inf``.
Layouts as in
:mod:`rltheory.tabular._kernels`: dense ``(S, A, S)`` or the CSR buffers of
``(S*A, S)``. ``order`` is an ascending argsort of ``v`` (ties in any fixed
order), ``rank`` its inverse. Kernels validate nothing.

Inner problems (the mathematics and references are in
:mod:`rltheory.tabular._robust`, whose NumPy functions ``_inner_*`` are the
reference these kernels are held equal to):

* ``KIND_L1``: move ``min(kappa/2, 1 - q[j*])`` mass to ``j* = order[0]``
  from the highest values (dense rows: a walk down ``order`` that stops when
  the mass is moved; CSR rows: the row's entries sorted by rank);
* ``KIND_LINF`` / ``KIND_BOX``: start from the lower bounds, fill the lowest
  values up to the upper bounds (``[max(0, q - kappa), min(1, q + kappa)]``
  for L-infinity), walking ``order`` merged with the row's support;
* ``KIND_CHI2``: the exact maximizer of the one-dimensional dual on the
  support sorted by value; lower bound the dual value, upper bound a
  feasible mixture;
* ``KIND_KL``: safeguarded Newton on ``log mu`` for the dual, warm-started
  from ``warm[s, a]`` (NaN: cold), until the certified gap is ``<= inner_tol``
  or ``max_inner`` steps; lower bound the dual value, upper bound the Gibbs
  distribution's value.

Corrections are computed as sums of ``mass * (value - reference value)``
(no cancellation against ``q.v``). No fast-math. Parallelism: ``prange``
over fixed chunks of states with per-chunk scratch buffers when the sweep
reads at least ``PARALLEL_WORK`` entries; results do not depend on it.
"""

import numpy as np

from cython.parallel import prange
from libc.math cimport INFINITY, NAN, exp, isfinite, isnan, log, sqrt
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport free, malloc

KIND_L1 = 0
KIND_LINF = 1
KIND_BOX = 2
KIND_CHI2 = 3
KIND_KL = 4
PARALLEL_WORK = 200_000
N_CHUNKS = 256

ctypedef fused idx_t:
    int32_t
    int64_t


cdef struct Scratch:
    int64_t* jj      # support indices, ascending by value
    double* qq       # their nominal masses
    double* ww       # work (KL: shifted values, gathered)
    int64_t* key     # sort keys (CSR)


cdef inline double dmin(double a, double b) noexcept nogil:
    return a if a < b else b


cdef inline double dmax(double a, double b) noexcept nogil:
    return a if a > b else b


cdef int _scratch_init(Scratch* W, Py_ssize_t S) noexcept nogil:
    W.jj = <int64_t*> malloc((S + 1) * sizeof(int64_t))
    W.qq = <double*> malloc((S + 1) * sizeof(double))
    W.ww = <double*> malloc((S + 1) * sizeof(double))
    W.key = <int64_t*> malloc((S + 1) * sizeof(int64_t))
    if W.jj == NULL or W.qq == NULL or W.ww == NULL or W.key == NULL:
        return -1
    return 0


cdef void _scratch_free(Scratch* W) noexcept nogil:
    free(W.jj)
    free(W.qq)
    free(W.ww)
    free(W.key)


cdef inline double _dot4(const double* p, const double* v, Py_ssize_t n) noexcept nogil:
    """sum_t p[t] v[t] with four independent accumulators (fixed order)."""
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef Py_ssize_t i = 0
    while i + 4 <= n:
        a0 = a0 + p[i] * v[i]
        a1 = a1 + p[i + 1] * v[i + 1]
        a2 = a2 + p[i + 2] * v[i + 2]
        a3 = a3 + p[i + 3] * v[i + 3]
        i += 4
    while i < n:
        a0 = a0 + p[i] * v[i]
        i += 1
    return (a0 + a1) + (a2 + a3)


# ------------------------------------------------------------------ gathering
cdef Py_ssize_t _gather_dense(const double* q, Py_ssize_t S, const int64_t* order, Scratch* W) noexcept nogil:
    """The support of a dense row, ascending by value (walk of ``order``)."""
    cdef Py_ssize_t k, n = 0
    cdef int64_t j
    for k in range(S):
        j = order[k]
        if q[j] > 0:
            W.jj[n] = j
            W.qq[n] = q[j]
            n += 1
    return n


cdef void _sift(int64_t* key, int64_t* jj, double* qq, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    cdef Py_ssize_t root = start, child, sw
    cdef int64_t tk, tj
    cdef double tq
    while 2 * root + 1 <= end:
        child = 2 * root + 1
        sw = root
        if key[sw] < key[child]:
            sw = child
        if child + 1 <= end and key[sw] < key[child + 1]:
            sw = child + 1
        if sw == root:
            return
        tk = key[root]; key[root] = key[sw]; key[sw] = tk
        tj = jj[root]; jj[root] = jj[sw]; jj[sw] = tj
        tq = qq[root]; qq[root] = qq[sw]; qq[sw] = tq
        root = sw


cdef void _heapsort(int64_t* key, int64_t* jj, double* qq, Py_ssize_t n) noexcept nogil:
    """Sort (key, jj, qq) ascending by key (keys distinct: ranks)."""
    cdef Py_ssize_t start, end
    cdef int64_t tk, tj
    cdef double tq
    if n < 2:
        return
    start = (n - 2) // 2
    while start >= 0:
        _sift(key, jj, qq, start, n - 1)
        start -= 1
    end = n - 1
    while end > 0:
        tk = key[end]; key[end] = key[0]; key[0] = tk
        tj = jj[end]; jj[end] = jj[0]; jj[0] = tj
        tq = qq[end]; qq[end] = qq[0]; qq[0] = tq
        end -= 1
        _sift(key, jj, qq, 0, end)


cdef Py_ssize_t _gather_csr(const double* data, const idx_t* ind, Py_ssize_t k0, Py_ssize_t k1,
                            const int64_t* rank, Scratch* W) noexcept nogil:
    """The support of a CSR row, ascending by value (heapsort by rank)."""
    cdef Py_ssize_t k, n = 0
    for k in range(k0, k1):
        if data[k] > 0:
            W.jj[n] = ind[k]
            W.qq[n] = data[k]
            W.key[n] = rank[ind[k]]
            n += 1
    _heapsort(W.key, W.jj, W.qq, n)
    return n


# ------------------------------------------------------------------ row solvers
cdef void _l1_dense(const double* q, const double* v, Py_ssize_t S, const int64_t* order, double kappa,
                    double* lo, double* hi) noexcept nogil:
    """L1 ball on a dense row: walk down ``order`` until min(kappa/2, 1 - q[j*]) is moved."""
    cdef int64_t js = order[0], j
    cdef double vmin = v[js], eps, take, corr = 0.0
    cdef Py_ssize_t k
    eps = dmin(0.5 * kappa, 1.0 - q[js])
    k = S - 1
    while eps > 0 and k >= 1:
        j = order[k]
        if q[j] > 0:
            take = dmin(q[j], eps)
            corr = corr + take * (vmin - v[j])
            eps = eps - take
        k -= 1
    lo[0] = corr
    hi[0] = corr


cdef void _l1_list(const Scratch* W, Py_ssize_t n, const double* v, const int64_t* order, double kappa,
                   double* lo, double* hi) noexcept nogil:
    """L1 ball on a sorted support list (CSR rows)."""
    cdef int64_t js = order[0]
    cdef double vmin = v[js], qs = 0.0, eps, take, corr = 0.0
    cdef Py_ssize_t k
    if n > 0 and W.jj[0] == js:
        qs = W.qq[0]
    eps = dmin(0.5 * kappa, 1.0 - qs)
    k = n - 1
    while eps > 0 and k >= 0:
        if W.jj[k] != js:
            take = dmin(W.qq[k], eps)
            corr = corr + take * (vmin - v[W.jj[k]])
            eps = eps - take
        k -= 1
    lo[0] = corr
    hi[0] = corr


cdef void _box_list(const Scratch* W, Py_ssize_t n, const double* v, Py_ssize_t S, const int64_t* order,
                    bint linf, double kappa, const double* lrow, const double* urow,
                    double* lo, double* hi) noexcept nogil:
    """Box / L-infinity: lower bounds on the support, then fill ascending (order merged with the support)."""
    cdef double vref = v[order[0]], corr = 0.0, suml = 0.0, rest, l, u, qj, add
    cdef Py_ssize_t k, i = 0
    cdef int64_t j
    # lower bounds are zero off the support (L-infinity: max(0, -kappa); box: validated lower <= P)
    for k in range(n):
        j = W.jj[k]
        l = dmax(0.0, W.qq[k] - kappa) if linf else lrow[j]
        suml = suml + l
        corr = corr + (l - W.qq[k]) * (v[j] - vref)
    rest = 1.0 - suml
    k = 0
    while rest > 0 and k < S:
        j = order[k]
        qj = 0.0
        if i < n and W.jj[i] == j:
            qj = W.qq[i]
            i += 1
        if linf:
            l = dmax(0.0, qj - kappa)
            u = dmin(1.0, qj + kappa)
        else:
            l = lrow[j]
            u = urow[j]
        add = dmin(u - l, rest)
        if add > 0:
            corr = corr + add * (v[j] - vref)
            rest = rest - add
        k += 1
    lo[0] = corr
    hi[0] = corr


cdef void _chi2_list(const Scratch* W, Py_ssize_t n, const double* v, double kappa,
                     double* lo, double* hi) noexcept nogil:
    """Chi-square ball: exact dual maximizer on the sorted support; certified lower and upper bounds."""
    cdef double base, mean = 0.0, Q = 0.0, S1 = 0.0, S2 = 0.0, B, m, var, root, nxt, eta = 0.0
    cdef double psi_acc = 0.0, wsum = 0.0, pv = 0.0, chi = 0.0, t, x, w, ph
    cdef Py_ssize_t k, ke, kend = 0
    cdef bint found = False
    if n == 0:
        lo[0] = 0.0
        hi[0] = 0.0
        return
    base = v[W.jj[0]]
    for k in range(n):
        mean = mean + W.qq[k] * (v[W.jj[k]] - base)
    if kappa == 0:
        lo[0] = 0.0
        hi[0] = 0.0
        return
    k = 0
    while k < n:
        ke = k
        while ke < n and v[W.jj[ke]] == v[W.jj[k]]:
            x = v[W.jj[ke]] - base
            Q = Q + W.qq[ke]
            S1 = S1 + W.qq[ke] * x
            S2 = S2 + W.qq[ke] * x * x
            ke += 1
        if k == 0 and Q * (1.0 + kappa) >= 1.0:
            eta = 0.0
            kend = ke
            found = True
            break
        B = (1.0 + kappa) * Q - 1.0
        if B > 0:
            m = S1 / Q
            var = dmax(S2 / Q - m * m, 0.0)
            root = m + sqrt(var / B)
            nxt = (v[W.jj[ke]] - base) if ke < n else INFINITY
            if root <= nxt:
                eta = dmax(root, v[W.jj[ke - 1]] - base)
                kend = ke
                found = True
                break
        k = ke
    if not found:  # unreachable in exact arithmetic (the last segment always has a root)
        eta = S1 / Q
        kend = n
    # lower bound psi(eta) and the feasible mixture, over the entries below eta (those walked)
    for k in range(kend):
        x = eta - (v[W.jj[k]] - base)
        if x > 0:
            psi_acc = psi_acc + W.qq[k] * x * x
            wsum = wsum + W.qq[k] * x
    lo[0] = eta - sqrt((1.0 + kappa) * psi_acc) - mean
    if wsum <= 0:  # eta at the lowest value: all mass on the lowest group
        lo[0] = -mean
        hi[0] = -mean
        return
    for k in range(kend):
        x = eta - (v[W.jj[k]] - base)
        if x > 0:
            ph = W.qq[k] * x / wsum
            pv = pv + ph * (v[W.jj[k]] - base)
            chi = chi + ph * ph / W.qq[k]
    chi = chi - 1.0
    t = 1.0 if chi <= kappa else sqrt(kappa / chi)
    # upper bound: (1 - t) E_q v + t E_phat v, relative to E_q v
    hi[0] = t * (pv - mean)
    if lo[0] > hi[0]:
        lo[0] = hi[0]


cdef double _kl_terms(const Scratch* W, Py_ssize_t n, double mu, double* logZ, double* m, double* var) noexcept nogil:
    """KL(p_mu || q), log Z, E_p w, Var_p w of the Gibbs distribution p ~ q exp(-w / mu); w = W.ww >= 0."""
    cdef double Z = 0.0, e, s1 = 0.0, s2 = 0.0, mm
    cdef Py_ssize_t k
    for k in range(n):
        e = W.qq[k] * exp(-W.ww[k] / mu)
        Z = Z + e
        s1 = s1 + e * W.ww[k]
    mm = s1 / Z
    for k in range(n):
        e = W.qq[k] * exp(-W.ww[k] / mu)
        s2 = s2 + e * (W.ww[k] - mm) * (W.ww[k] - mm)
    logZ[0] = log(Z)
    m[0] = mm
    var[0] = s2 / Z
    return -mm / mu - logZ[0]


cdef void _kl_list(Scratch* W, Py_ssize_t n, const double* v, double kappa, double inner_tol, int max_inner,
                   double* warm, double* lo, double* hi) noexcept nogil:
    """KL ball: safeguarded Newton on log mu for KL(p_mu) = kappa; certified dual / primal bounds."""
    cdef double vmin, mean = 0.0, qmin = 0.0, mu, lo_mu = 0.0, hi_mu = INFINITY, best_lo, hi_val = INFINITY
    cdef double kl, logZ = 0.0, m = 0.0, var = 0.0, ph, step, t_new, mu_new, acc = 0.0
    cdef Py_ssize_t k
    cdef int it
    cdef bint any_pos = False
    if n == 0:
        lo[0] = 0.0
        hi[0] = 0.0
        return
    vmin = v[W.jj[0]]
    for k in range(n):
        W.ww[k] = v[W.jj[k]] - vmin
        mean = mean + W.qq[k] * W.ww[k]
        if W.ww[k] == 0:
            qmin = qmin + W.qq[k]
        else:
            any_pos = True
        acc = acc + W.qq[k] * W.ww[k] * W.ww[k]
    if kappa == 0 or not any_pos:
        lo[0] = 0.0
        hi[0] = 0.0
        return
    if -log(qmin) <= kappa:
        lo[0] = -mean
        hi[0] = -mean
        warm[0] = 0.0
        return
    mu = warm[0]
    if not (isfinite(mu) and mu > 0):
        mu = sqrt(dmax(acc, 1e-300) / (2.0 * kappa))
    best_lo = 0.0  # phi(0+) = vmin, i.e. 0 relative to vmin
    for it in range(max_inner):
        kl = _kl_terms(W, n, mu, &logZ, &m, &var)
        ph = -mu * kappa - mu * logZ
        if ph > best_lo:
            best_lo = ph
        if kl <= kappa:
            hi_mu = mu
            if m < hi_val:
                hi_val = m
        else:
            lo_mu = mu
        if hi_val - best_lo <= inner_tol:
            break
        if var > 0:
            step = (kl - kappa) * mu * mu / var
            t_new = log(mu) + step
            mu_new = exp(t_new) if (isfinite(t_new) and t_new < 700) else INFINITY
        else:
            mu_new = INFINITY
        if not (mu_new > lo_mu and mu_new < hi_mu and isfinite(mu_new) and mu_new > 0):
            if isfinite(hi_mu) and lo_mu > 0:
                mu_new = sqrt(lo_mu * hi_mu)
            elif isfinite(hi_mu):
                mu_new = hi_mu / 4.0
            else:
                mu_new = dmax(lo_mu, mu) * 4.0
        mu = mu_new
    if not isfinite(hi_val):  # no feasible Gibbs point: the nominal row is feasible
        hi_val = mean
    warm[0] = hi_mu
    lo[0] = dmin(best_lo, hi_val) - mean
    hi[0] = hi_val - mean


cdef inline void _row(int kind, const double* q, const double* v, Py_ssize_t S, const int64_t* order,
                      double kappa, const double* lrow, const double* urow, double inner_tol, int max_inner,
                      double* warm, Scratch* W, Py_ssize_t n, bint have_list, double* lo, double* hi) noexcept nogil:
    if kind == 0:
        if have_list:
            _l1_list(W, n, v, order, kappa, lo, hi)
        else:
            _l1_dense(q, v, S, order, kappa, lo, hi)
    elif kind == 1 or kind == 2:
        _box_list(W, n, v, S, order, kind == 1, kappa, lrow, urow, lo, hi)
    elif kind == 3:
        _chi2_list(W, n, v, kappa, lo, hi)
    else:
        _kl_list(W, n, v, kappa, inner_tol, max_inner, warm, lo, hi)


cdef int _dense_range(const double* P, const double* R, double gamma, const double* v, Py_ssize_t S, Py_ssize_t A,
                      const int64_t* order, int kind, const double* radius, const double* lower, const double* upper,
                      const uint8_t* mask, bint use_mask, double inner_tol, int max_inner, double* warm,
                      double* out_lo, double* out_hi, Py_ssize_t s0, Py_ssize_t s1) noexcept nogil:
    cdef Scratch W
    cdef Py_ssize_t s, a, r, n = 0
    cdef const double* q
    cdef const double* lrow = NULL
    cdef const double* urow = NULL
    cdef double dot, lo, hi
    if _scratch_init(&W, S) != 0:
        _scratch_free(&W)
        return -1
    for s in range(s0, s1):
        for a in range(A):
            r = s * A + a
            if use_mask and not mask[r]:
                out_lo[r] = -INFINITY
                out_hi[r] = -INFINITY
                continue
            if kind != 2 and radius[r] == 0:  # the set is {q}: the caller uses the nominal kernel
                out_lo[r] = NAN
                out_hi[r] = NAN
                continue
            q = P + r * S
            dot = _dot4(q, v, S)  # also brings the row into cache for the walks below
            if kind == 2:
                lrow = lower + r * S
                urow = upper + r * S
            if kind != 0:
                n = _gather_dense(q, S, order, &W)
            _row(kind, q, v, S, order, radius[r] if kind != 2 else 0.0, lrow, urow, inner_tol, max_inner,
                 &warm[r], &W, n, False, &lo, &hi)
            out_lo[r] = R[r] + gamma * (dot + lo)
            out_hi[r] = R[r] + gamma * (dot + hi)
    _scratch_free(&W)
    return 0


cdef int _csr_range(const double* data, const idx_t* ind, const idx_t* ptr, const double* R, double gamma,
                    const double* v, Py_ssize_t S, Py_ssize_t A, const int64_t* order, const int64_t* rank, int kind,
                    const double* radius, const double* lower, const double* upper, const uint8_t* mask,
                    bint use_mask, double inner_tol, int max_inner, double* warm, double* out_lo, double* out_hi,
                    Py_ssize_t s0, Py_ssize_t s1) noexcept nogil:
    cdef Scratch W
    cdef Py_ssize_t s, a, r, n, k
    cdef const double* lrow = NULL
    cdef const double* urow = NULL
    cdef double dot, lo, hi
    if _scratch_init(&W, S) != 0:
        _scratch_free(&W)
        return -1
    for s in range(s0, s1):
        for a in range(A):
            r = s * A + a
            if use_mask and not mask[r]:
                out_lo[r] = -INFINITY
                out_hi[r] = -INFINITY
                continue
            if kind != 2 and radius[r] == 0:
                out_lo[r] = NAN
                out_hi[r] = NAN
                continue
            if kind == 2:
                lrow = lower + r * S
                urow = upper + r * S
            dot = 0.0
            for k in range(ptr[r], ptr[r + 1]):
                dot = dot + data[k] * v[ind[k]]
            n = _gather_csr(data, ind, ptr[r], ptr[r + 1], rank, &W)
            _row(kind, NULL, v, S, order, radius[r] if kind != 2 else 0.0, lrow, urow, inner_tol, max_inner,
                 &warm[r], &W, n, True, &lo, &hi)
            out_lo[r] = R[r] + gamma * (dot + lo)
            out_hi[r] = R[r] + gamma * (dot + hi)
    _scratch_free(&W)
    return 0


# ------------------------------------------------------------------ entry points
def sa_robust_q_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma, const double[::1] v,
                      const int64_t[::1] order, int kind, const double[:, ::1] radius,
                      const double[:, :, ::1] lower, const double[:, :, ::1] upper,
                      const uint8_t[:, ::1] mask, bint use_mask, double inner_tol, int max_inner,
                      double[:, ::1] warm, double[:, ::1] out_lo, double[:, ::1] out_hi):
    """Certified ``out_lo <= R + gamma sigma <= out_hi`` for every pair of a dense model.

    NaN where the radius is 0 (use the nominal kernel there), ``-inf`` where
    masked. ``lower``/``upper``: box only (any ``(1, 1, 1)`` array
    otherwise); ``warm``: the KL multipliers (read and written; NaN = cold).
    """
    cdef Py_ssize_t S = P.shape[0], A = P.shape[1]
    cdef Py_ssize_t nc = S if S < N_CHUNKS else N_CHUNKS, c
    cdef int status = 0, st
    cdef const double* pl = &lower[0, 0, 0]
    cdef const double* pu = &upper[0, 0, 0]
    if S * A * S >= PARALLEL_WORK:
        for c in prange(nc, nogil=True, schedule="dynamic"):
            st = _dense_range(&P[0, 0, 0], &R[0, 0], gamma, &v[0], S, A, &order[0], kind, &radius[0, 0], pl, pu,
                              &mask[0, 0], use_mask, inner_tol, max_inner, &warm[0, 0], &out_lo[0, 0],
                              &out_hi[0, 0], (c * S) // nc, ((c + 1) * S) // nc)
            if st != 0:
                status = st
    else:
        with nogil:
            status = _dense_range(&P[0, 0, 0], &R[0, 0], gamma, &v[0], S, A, &order[0], kind, &radius[0, 0], pl, pu,
                                  &mask[0, 0], use_mask, inner_tol, max_inner, &warm[0, 0], &out_lo[0, 0],
                                  &out_hi[0, 0], 0, S)
    if status != 0:
        raise MemoryError()


def sa_robust_q_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                    Py_ssize_t S, Py_ssize_t A, const double[:, ::1] R, double gamma, const double[::1] v,
                    const int64_t[::1] order, const int64_t[::1] rank, int kind, const double[:, ::1] radius,
                    const double[:, :, ::1] lower, const double[:, :, ::1] upper,
                    const uint8_t[:, ::1] mask, bint use_mask, double inner_tol, int max_inner,
                    double[:, ::1] warm, double[:, ::1] out_lo, double[:, ::1] out_hi):
    """As :func:`sa_robust_q_dense` for the CSR buffers of ``(S*A, S)`` (CSR rows summed in stored order)."""
    cdef Py_ssize_t nc = S if S < N_CHUNKS else N_CHUNKS, c
    cdef int status = 0, st
    cdef const double* pl = &lower[0, 0, 0]
    cdef const double* pu = &upper[0, 0, 0]
    cdef const double* pd = &data[0] if data.shape[0] > 0 else NULL
    cdef const idx_t* pi = &indices[0] if indices.shape[0] > 0 else NULL
    if data.shape[0] * 4 >= PARALLEL_WORK:
        for c in prange(nc, nogil=True, schedule="dynamic"):
            st = _csr_range(pd, pi, &indptr[0], &R[0, 0], gamma, &v[0], S, A, &order[0], &rank[0], kind,
                            &radius[0, 0], pl, pu, &mask[0, 0], use_mask, inner_tol, max_inner, &warm[0, 0],
                            &out_lo[0, 0], &out_hi[0, 0], (c * S) // nc, ((c + 1) * S) // nc)
            if st != 0:
                status = st
    else:
        with nogil:
            status = _csr_range(pd, pi, &indptr[0], &R[0, 0], gamma, &v[0], S, A, &order[0], &rank[0], kind,
                                &radius[0, 0], pl, pu, &mask[0, 0], use_mask, inner_tol, max_inner, &warm[0, 0],
                                &out_lo[0, 0], &out_hi[0, 0], 0, S)
    if status != 0:
        raise MemoryError()
