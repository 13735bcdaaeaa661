# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled soft (log-sum-exp) Bellman backups (private).

For a temperature ``tau > 0`` and log reference probabilities ``logref``
(``-inf`` where the reference puts no mass; all zeros for the
entropy-regularized operator), the soft backup is

    q(s,a) = R(s,a) + gamma sum_t P(s,a,t) v(t)
    (T_tau v)(s) = tau * log sum_a exp(q(s,a)/tau + logref(s,a))

computed stably as ``m + tau log sum_a exp((q - m)/tau + logref)`` with
``m`` the maximizing term. Masked actions (``mask == 0`` when ``use_mask``)
are skipped. Transition layouts as in :mod:`rltheory.tabular._kernels`:
dense ``(S, A, S)`` or the CSR buffers of ``(S*A, S)``.

Numerics: no fast-math; row dot products use four independent accumulators
in a fixed order, so the result does not depend on the number of threads.
Parallelism: ``prange`` over states (static schedule) when the sweep has at
least ``PARALLEL_WORK`` multiply-adds. Min/max of ``T v - v`` are reduced
serially afterwards (race-free, deterministic).

Each kernel has a NumPy reference: :func:`rltheory.tabular._regularized.soft_backup_reference`.
"""

from cython.parallel import prange
from libc.math cimport INFINITY, exp, log
from libc.stdint cimport int32_t, int64_t, uint8_t

PARALLEL_WORK = 200_000

ctypedef fused idx_t:
    int32_t
    int64_t


cdef inline double _dot4(const double* p, const double* v, Py_ssize_t n) noexcept nogil:
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef Py_ssize_t i = 0
    while i + 4 <= n:
        a0 += p[i] * v[i]
        a1 += p[i + 1] * v[i + 1]
        a2 += p[i + 2] * v[i + 2]
        a3 += p[i + 3] * v[i + 3]
        i += 4
    while i < n:
        a0 += p[i] * v[i]
        i += 1
    return (a0 + a1) + (a2 + a3)


cdef inline double _lse_state(double* qrow, const double* lrow, const uint8_t* mrow, bint use_mask,
                              Py_ssize_t A, double tau) noexcept nogil:
    """tau * log sum_a exp(q_a / tau + l_a) over allowed actions with l_a > -inf."""
    cdef double m = -INFINITY, z, acc = 0.0
    cdef Py_ssize_t a
    for a in range(A):
        if use_mask and mrow[a] == 0:
            continue
        if lrow[a] == -INFINITY:
            continue
        z = qrow[a] / tau + lrow[a]
        if z > m:
            m = z
    if m == -INFINITY:
        return -INFINITY
    for a in range(A):
        if use_mask and mrow[a] == 0:
            continue
        if lrow[a] == -INFINITY:
            continue
        acc += exp(qrow[a] / tau + lrow[a] - m)
    return tau * (m + log(acc))


cdef void _soft_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma,
                      const double[::1] v, double tau, const double[:, ::1] logref,
                      const uint8_t[:, ::1] mask, bint use_mask, double[::1] out, double[:, ::1] q,
                      bint parallel) noexcept nogil:
    cdef Py_ssize_t S = P.shape[0], A = P.shape[1], s, a
    if parallel:
        for s in prange(S, schedule="static"):
            for a in range(A):
                if use_mask and mask[s, a] == 0:
                    q[s, a] = -INFINITY
                else:
                    q[s, a] = R[s, a] + gamma * _dot4(&P[s, a, 0], &v[0], S)
            out[s] = _lse_state(&q[s, 0], &logref[s, 0], &mask[s, 0], use_mask, A, tau)
    else:
        for s in range(S):
            for a in range(A):
                if use_mask and mask[s, a] == 0:
                    q[s, a] = -INFINITY
                else:
                    q[s, a] = R[s, a] + gamma * _dot4(&P[s, a, 0], &v[0], S)
            out[s] = _lse_state(&q[s, 0], &logref[s, 0], &mask[s, 0], use_mask, A, tau)


cdef inline double _csr_dot(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                            Py_ssize_t row, const double[::1] v) noexcept nogil:
    cdef double a0 = 0.0, a1 = 0.0
    cdef Py_ssize_t k = indptr[row], end = indptr[row + 1]
    while k + 2 <= end:
        a0 += data[k] * v[indices[k]]
        a1 += data[k + 1] * v[indices[k + 1]]
        k += 2
    if k < end:
        a0 += data[k] * v[indices[k]]
    return a0 + a1


cdef void _soft_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                    const double[:, ::1] R, double gamma, const double[::1] v, double tau,
                    const double[:, ::1] logref, const uint8_t[:, ::1] mask, bint use_mask,
                    double[::1] out, double[:, ::1] q, bint parallel) noexcept nogil:
    cdef Py_ssize_t S = R.shape[0], A = R.shape[1], s, a
    if parallel:
        for s in prange(S, schedule="static"):
            for a in range(A):
                if use_mask and mask[s, a] == 0:
                    q[s, a] = -INFINITY
                else:
                    q[s, a] = R[s, a] + gamma * _csr_dot(data, indices, indptr, s * A + a, v)
            out[s] = _lse_state(&q[s, 0], &logref[s, 0], &mask[s, 0], use_mask, A, tau)
    else:
        for s in range(S):
            for a in range(A):
                if use_mask and mask[s, a] == 0:
                    q[s, a] = -INFINITY
                else:
                    q[s, a] = R[s, a] + gamma * _csr_dot(data, indices, indptr, s * A + a, v)
            out[s] = _lse_state(&q[s, 0], &logref[s, 0], &mask[s, 0], use_mask, A, tau)


cdef tuple _minmax_diff(const double[::1] out, const double[::1] v):
    cdef double lo = INFINITY, hi = -INFINITY, d
    cdef Py_ssize_t s
    for s in range(out.shape[0]):
        d = out[s] - v[s]
        if d < lo:
            lo = d
        if d > hi:
            hi = d
    return lo, hi


def soft_backup_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma, const double[::1] v,
                      double tau, const double[:, ::1] logref, const uint8_t[:, ::1] mask, bint use_mask,
                      double[::1] out, double[:, ::1] q):
    """out = T_tau v, q = R + gamma P v (-inf masked); return (min, max) of out - v."""
    cdef bint par = P.shape[0] * P.shape[1] * P.shape[2] >= PARALLEL_WORK
    with nogil:
        _soft_dense(P, R, gamma, v, tau, logref, mask, use_mask, out, q, par)
    return _minmax_diff(out, v)


def soft_backup_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                    const double[:, ::1] R, double gamma, const double[::1] v, double tau,
                    const double[:, ::1] logref, const uint8_t[:, ::1] mask, bint use_mask,
                    double[::1] out, double[:, ::1] q):
    """CSR version of :func:`soft_backup_dense`."""
    cdef bint par = data.shape[0] >= PARALLEL_WORK
    with nogil:
        _soft_csr(data, indices, indptr, R, gamma, v, tau, logref, mask, use_mask, out, q, par)
    return _minmax_diff(out, v)


def soft_iterate_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma, double[::1] v,
                       double tau, const double[:, ::1] logref, const uint8_t[:, ::1] mask, bint use_mask,
                       double tol, Py_ssize_t max_iter, double[::1] out, double[:, ::1] q):
    """Soft VI loop in one call: stop when gamma/(1-gamma) * span(T v - v) <= tol.

    On return ``v`` holds the last iterate u, ``out = T_tau u`` and ``q`` its
    q-values; returns (iterations, min, max) of ``out - v``.
    """
    cdef bint par = P.shape[0] * P.shape[1] * P.shape[2] >= PARALLEL_WORK
    cdef Py_ssize_t it = 0
    cdef double lo, hi
    cdef double c = gamma / (1.0 - gamma)
    while True:
        with nogil:
            _soft_dense(P, R, gamma, v, tau, logref, mask, use_mask, out, q, par)
        lo, hi = _minmax_diff(out, v)
        if c * (hi - lo) <= tol or it >= max_iter:
            return it, lo, hi
        v[:] = out
        it += 1


def soft_iterate_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                     const double[:, ::1] R, double gamma, double[::1] v, double tau,
                     const double[:, ::1] logref, const uint8_t[:, ::1] mask, bint use_mask,
                     double tol, Py_ssize_t max_iter, double[::1] out, double[:, ::1] q):
    """CSR version of :func:`soft_iterate_dense`."""
    cdef bint par = data.shape[0] >= PARALLEL_WORK
    cdef Py_ssize_t it = 0
    cdef double lo, hi
    cdef double c = gamma / (1.0 - gamma)
    while True:
        with nogil:
            _soft_csr(data, indices, indptr, R, gamma, v, tau, logref, mask, use_mask, out, q, par)
        lo, hi = _minmax_diff(out, v)
        if c * (hi - lo) <= tol or it >= max_iter:
            return it, lo, hi
        v[:] = out
        it += 1
