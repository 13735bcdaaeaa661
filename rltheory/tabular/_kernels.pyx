# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernels of exact tabular dynamic programming (private).

Every kernel takes the transition tensor either dense, ``P`` of shape
``(S, A, S)`` C-contiguous (``*_dense``), or as the three buffers of the CSR
matrix ``(S*A, S)`` with row ``s*A + a`` (``*_csr``; int32 or int64 indices,
the same dtype for ``indices`` and ``indptr``). Kernels validate nothing:
callers pass validated, C-contiguous arrays and preallocated ``out`` arrays.
``mask`` is the ``(S, A)`` action mask viewed as ``uint8``; it is only read
when ``use_mask`` is true.

Numerics: no fast-math. Each row dot product ``sum_t P[s,a,t] v[t]`` uses
eight independent accumulators in a fixed order (so the compiler may
vectorise it without reassociation), which makes results independent of the
number of threads. ``max`` / ``argmax`` over actions keep the first maximum
(ties go to the lowest action).

Parallelism: states are split into a fixed number of contiguous chunks and
the chunks are distributed with ``prange`` (OpenMP, static schedule). Min and
max reductions are written per chunk and reduced serially afterwards, so they
are race-free and deterministic. Small problems (fewer than ``PARALLEL_WORK``
multiply-adds per sweep) run serially: on a small machine waking OpenMP
workers costs more than such a sweep. The iterative solvers
(``iterate_dense`` / ``iterate_csr``) run the whole loop in one call.

Each kernel has a plain NumPy counterpart in :mod:`rltheory.tabular._reference`.
"""

from cython.parallel import prange
from libc.math cimport INFINITY, fabs
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

#: Sweeps with fewer multiply-adds than this run on one thread.
PARALLEL_WORK = 200_000
#: Number of state chunks used for the parallel layout (at most S).
N_CHUNKS = 256
#: A Gauss-Seidel run certifies (one Jacobi backup) at least every this many sweeps.
GS_CHECK_EVERY = 10

cdef Py_ssize_t _PARALLEL_WORK = PARALLEL_WORK
cdef Py_ssize_t _N_CHUNKS = N_CHUNKS
cdef Py_ssize_t _GS_CHECK_EVERY = GS_CHECK_EVERY

ctypedef fused idx_t:
    int32_t
    int64_t


cdef struct PMat:
    int kind                 # 0 dense, 1 CSR int32, 2 CSR int64
    Py_ssize_t S
    Py_ssize_t A
    const double* dense      # (S*A, S) row-major
    const double* data
    const int32_t* ind32
    const int32_t* ptr32
    const int64_t* ind64
    const int64_t* ptr64
    Py_ssize_t work          # multiply-adds of one full backup


# ----------------------------------------------------------------- building blocks
cdef extern from *:
    """
    /* Row kernels in plain C so that GCC can build an AVX2 clone next to the
       baseline one (function multiversioning, picked at load time). Both
       clones compute the same eight lanes in the same order with separate
       multiply and add (no FMA, no reassociation), so results are
       bit-identical whichever clone runs. */
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define RLT_CLONES __attribute__((target_clones("avx2", "default")))
    #else
    #define RLT_CLONES
    #endif
    RLT_CLONES
    static double rlt_dot(const double *p, const double *v, Py_ssize_t n) {
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        Py_ssize_t t = 0;
        for (; t + 8 <= n; t += 8)
            for (int j = 0; j < 8; ++j) { double prod = p[t + j] * v[t + j]; acc[j] = acc[j] + prod; }
        for (; t < n; ++t) { double prod = p[t] * v[t]; acc[0] = acc[0] + prod; }
        return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
    RLT_CLONES
    static double rlt_sum(const double *p, Py_ssize_t n) {
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        Py_ssize_t t = 0;
        for (; t + 8 <= n; t += 8)
            for (int j = 0; j < 8; ++j) acc[j] = acc[j] + p[t + j];
        for (; t < n; ++t) acc[0] = acc[0] + p[t];
        return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
    """
    double rlt_dot(const double* p, const double* v, Py_ssize_t n) noexcept nogil
    double rlt_sum(const double* p, Py_ssize_t n) noexcept nogil


cdef inline double _dot(const double* p, const double* v, Py_ssize_t n) noexcept nogil:
    """sum_t p[t] v[t] with eight independent lanes in a fixed order (SIMD-friendly)."""
    return rlt_dot(p, v, n)


cdef inline double _sum(const double* p, Py_ssize_t n) noexcept nogil:
    """sum_t p[t] with the same eight-lane pattern as :func:`_dot`."""
    return rlt_sum(p, n)


cdef inline double _rowdot(const PMat* M, Py_ssize_t r, const double* v) noexcept nogil:
    """sum_t P[r, t] v[t] for row r = s*A + a."""
    cdef Py_ssize_t k, k1
    cdef double acc = 0.0
    if M.kind == 0:
        return _dot(M.dense + r * M.S, v, M.S)
    if M.kind == 1:
        k1 = M.ptr32[r + 1]
        for k in range(M.ptr32[r], k1):
            acc = acc + M.data[k] * v[M.ind32[k]]
    else:
        k1 = M.ptr64[r + 1]
        for k in range(M.ptr64[r], k1):
            acc = acc + M.data[k] * v[M.ind64[k]]
    return acc


cdef inline double _state_max(const PMat* M, const double* R, double gamma, const double* v,
                              const uint8_t* mask, bint use_mask, Py_ssize_t s,
                              int64_t* best_a) noexcept nogil:
    """max_a [R[s,a] + gamma P[s,a,:] v] over allowed actions; first argmax."""
    cdef Py_ssize_t a, A = M.A
    cdef double q, best = -INFINITY
    cdef int64_t ba = -1
    for a in range(A):
        if use_mask and not mask[s * A + a]:
            continue
        q = R[s * A + a] + gamma * _rowdot(M, s * A + a, v)
        if ba < 0 or q > best:
            best = q
            ba = a
    best_a[0] = ba
    return best


cdef inline Py_ssize_t _n_chunks(Py_ssize_t S) noexcept nogil:
    return S if S < _N_CHUNKS else _N_CHUNKS


cdef inline Py_ssize_t _chunk_lo(Py_ssize_t c, Py_ssize_t nc, Py_ssize_t S) noexcept nogil:
    return (c * S) // nc


# --------------------------------------------------------------------- sweeps
cdef void _backup(const PMat* M, const double* R, double gamma, const double* v,
                  const uint8_t* mask, bint use_mask, double* tv, int64_t* pi,
                  double* cmin, double* cmax, double* dmin, double* dmax) noexcept nogil:
    """Jacobi optimality backup tv = T v, pi = greedy(v); min/max of tv - v."""
    cdef Py_ssize_t S = M.S, nc = _n_chunks(S)
    cdef Py_ssize_t c, s, lo, hi
    cdef double d, lmin, lmax
    cdef bint par = M.work >= _PARALLEL_WORK
    for c in prange(nc, schedule="static", use_threads_if=par):
        lo = _chunk_lo(c, nc, S)
        hi = _chunk_lo(c + 1, nc, S)
        lmin = INFINITY
        lmax = -INFINITY
        for s in range(lo, hi):
            tv[s] = _state_max(M, R, gamma, v, mask, use_mask, s, &pi[s])
            d = tv[s] - v[s]
            if d < lmin:
                lmin = d
            if d > lmax:
                lmax = d
        cmin[c] = lmin
        cmax[c] = lmax
    lmin = INFINITY
    lmax = -INFINITY
    for c in range(nc):
        if cmin[c] < lmin:
            lmin = cmin[c]
        if cmax[c] > lmax:
            lmax = cmax[c]
    dmin[0] = lmin
    dmax[0] = lmax


cdef double _gauss_seidel(const PMat* M, const double* R, double gamma, double* v,
                          const uint8_t* mask, bint use_mask, int64_t* pi) noexcept nogil:
    """In-place Gauss-Seidel sweep (states in increasing order); sup of the change."""
    cdef Py_ssize_t s
    cdef double new, delta = 0.0
    for s in range(M.S):
        new = _state_max(M, R, gamma, v, mask, use_mask, s, &pi[s])
        if fabs(new - v[s]) > delta:
            delta = fabs(new - v[s])
        v[s] = new
    return delta


cdef void _policy_sweep(const PMat* M, const double* R, double gamma, const double* v,
                        const int64_t* pi, double* out) noexcept nogil:
    """out = T^pi v for a deterministic policy pi."""
    cdef Py_ssize_t S = M.S, A = M.A, nc = _n_chunks(S)
    cdef Py_ssize_t c, s, lo, hi, r
    cdef bint par = (M.work // A) >= _PARALLEL_WORK
    for c in prange(nc, schedule="static", use_threads_if=par):
        lo = _chunk_lo(c, nc, S)
        hi = _chunk_lo(c + 1, nc, S)
        for s in range(lo, hi):
            r = s * A + pi[s]
            out[s] = R[r] + gamma * _rowdot(M, r, v)


cdef void _q_values(const PMat* M, const double* R, double gamma, const double* v,
                    const uint8_t* mask, bint use_mask, double* q) noexcept nogil:
    cdef Py_ssize_t S = M.S, A = M.A, nc = _n_chunks(S)
    cdef Py_ssize_t c, s, a, lo, hi
    cdef bint par = M.work >= _PARALLEL_WORK
    for c in prange(nc, schedule="static", use_threads_if=par):
        lo = _chunk_lo(c, nc, S)
        hi = _chunk_lo(c + 1, nc, S)
        for s in range(lo, hi):
            for a in range(A):
                if use_mask and not mask[s * A + a]:
                    q[s * A + a] = -INFINITY
                else:
                    q[s * A + a] = R[s * A + a] + gamma * _rowdot(M, s * A + a, v)


cdef double _stream(const PMat* M, double* csum) noexcept nogil:
    """Sum of all stored entries of P, chunked over states like the backups."""
    cdef Py_ssize_t S = M.S, A = M.A, nc = _n_chunks(S)
    cdef Py_ssize_t c, lo, hi, k0, k1
    cdef double total = 0.0
    cdef bint par = M.work >= _PARALLEL_WORK
    for c in prange(nc, schedule="static", use_threads_if=par):
        lo = _chunk_lo(c, nc, S)
        hi = _chunk_lo(c + 1, nc, S)
        if M.kind == 0:
            csum[c] = _sum(M.dense + lo * A * S, (hi - lo) * A * S)
        elif M.kind == 1:
            k0 = M.ptr32[lo * A]
            k1 = M.ptr32[hi * A]
            csum[c] = _sum(M.data + k0, k1 - k0)
        else:
            k0 = M.ptr64[lo * A]
            k1 = M.ptr64[hi * A]
            csum[c] = _sum(M.data + k0, k1 - k0)
    for c in range(nc):
        total = total + csum[c]
    return total


# ------------------------------------------------------------------- the loops
cdef int _iterate(const PMat* M, const double* R, double gamma, double* v_io,
                  const uint8_t* mask, bint use_mask, Py_ssize_t m, bint gauss_seidel,
                  double tol, Py_ssize_t max_iter, double* tv_out, int64_t* pi,
                  Py_ssize_t* n_iter, double* dmin, double* dmax) noexcept nogil:
    """Value iteration (m = 0), modified policy iteration (m > 0) or Gauss-Seidel VI.

    On exit ``v_io`` holds the last iterate v and ``tv_out`` its Jacobi backup
    T v, ``pi`` the greedy policy of v and ``dmin``/``dmax`` the min/max of
    T v - v; returns 1 when gamma/(1-gamma) * (dmax - dmin) <= tol
    (MacQueen 1966; Porteus 1971; Puterman 2005, Thm 6.6.3), 0 when max_iter
    sweeps (outer iterations for MPI) ran out, -1 on allocation failure.
    """
    cdef Py_ssize_t S = M.S, nc = _n_chunks(S), k, it = 0
    cdef double c_bound = gamma / (1.0 - gamma)
    cdef double delta
    cdef bint check = True, converged = False
    cdef double* b0 = <double*> malloc(S * sizeof(double))
    cdef double* b1 = <double*> malloc(S * sizeof(double))
    cdef double* b2 = <double*> malloc(S * sizeof(double))
    cdef double* cmin = <double*> malloc(nc * sizeof(double))
    cdef double* cmax = <double*> malloc(nc * sizeof(double))
    cdef double* pv
    cdef double* ptv
    cdef double* pw
    cdef double* cur
    cdef double* tmp
    if b0 == NULL or b1 == NULL or b2 == NULL or cmin == NULL or cmax == NULL:
        free(b0); free(b1); free(b2); free(cmin); free(cmax)
        return -1
    memcpy(b0, v_io, S * sizeof(double))
    pv = b0
    ptv = b1
    pw = b2
    while it < max_iter:
        it = it + 1
        if gauss_seidel and not check and it < max_iter:
            delta = _gauss_seidel(M, R, gamma, pv, mask, use_mask, pi)
            # heuristic trigger only; the certificate is the Jacobi backup below
            if c_bound * delta <= tol or it % _GS_CHECK_EVERY == 0:
                check = True
            continue
        check = False
        _backup(M, R, gamma, pv, mask, use_mask, ptv, pi, cmin, cmax, dmin, dmax)
        # certified stopping rule: max(v_upper - v_lower) = gamma/(1-gamma) span(Tv - v)
        # (MacQueen 1966; Porteus 1971; Puterman 2005, Thm 6.6.3)
        if c_bound * (dmax[0] - dmin[0]) <= tol:
            converged = True
            break
        if it >= max_iter:
            break
        # next iterate: T v, followed (MPI) by m partial-evaluation sweeps of T^pi
        # (Puterman 2005, Sec. 6.5.1, eq. 6.5.6)
        cur = ptv
        for k in range(m):
            _policy_sweep(M, R, gamma, cur, pi, pw)
            tmp = cur
            cur = pw
            pw = tmp
        # cur holds the new iterate; the old iterate's buffer becomes the backup target
        tmp = pv
        pv = cur
        ptv = tmp
    memcpy(v_io, pv, S * sizeof(double))
    memcpy(tv_out, ptv, S * sizeof(double))
    n_iter[0] = it
    free(b0); free(b1); free(b2); free(cmin); free(cmax)
    return 1 if converged else 0


# --------------------------------------------------------------- construction
cdef PMat _dense(const double[:, :, ::1] P):
    cdef PMat M
    M.kind = 0
    M.S = P.shape[0]
    M.A = P.shape[1]
    M.dense = &P[0, 0, 0]
    M.data = NULL
    M.ind32 = NULL
    M.ptr32 = NULL
    M.ind64 = NULL
    M.ptr64 = NULL
    M.work = M.S * M.A * M.S
    return M


cdef PMat _csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
               Py_ssize_t S, Py_ssize_t A):
    cdef PMat M
    M.S = S
    M.A = A
    M.dense = NULL
    M.data = &data[0] if data.shape[0] > 0 else NULL
    M.ind32 = NULL
    M.ptr32 = NULL
    M.ind64 = NULL
    M.ptr64 = NULL
    if idx_t is int32_t:
        M.kind = 1
        M.ind32 = &indices[0] if indices.shape[0] > 0 else NULL
        M.ptr32 = &indptr[0]
    else:
        M.kind = 2
        M.ind64 = &indices[0] if indices.shape[0] > 0 else NULL
        M.ptr64 = &indptr[0]
    M.work = data.shape[0] + S * A
    return M


cdef tuple _run_backup(const PMat* M, const double[:, ::1] R, double gamma, const double[::1] v,
                       const uint8_t[:, ::1] mask, bint use_mask, double[::1] tv, int64_t[::1] pi):
    cdef Py_ssize_t nc = _n_chunks(M.S)
    cdef double dmin = 0.0, dmax = 0.0
    cdef double* cmin = <double*> malloc(nc * sizeof(double))
    cdef double* cmax = <double*> malloc(nc * sizeof(double))
    if cmin == NULL or cmax == NULL:
        free(cmin); free(cmax)
        raise MemoryError()
    with nogil:
        _backup(M, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &tv[0], &pi[0], cmin, cmax, &dmin, &dmax)
    free(cmin); free(cmax)
    return dmin, dmax


cdef tuple _run_iterate(const PMat* M, const double[:, ::1] R, double gamma, double[::1] v,
                        const uint8_t[:, ::1] mask, bint use_mask, Py_ssize_t m, bint gauss_seidel,
                        double tol, Py_ssize_t max_iter, double[::1] tv, int64_t[::1] pi):
    cdef Py_ssize_t n_iter = 0
    cdef double dmin = 0.0, dmax = 0.0
    cdef int status
    with nogil:
        status = _iterate(M, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, m, gauss_seidel,
                          tol, max_iter, &tv[0], &pi[0], &n_iter, &dmin, &dmax)
    if status < 0:
        raise MemoryError()
    return n_iter, bool(status), dmin, dmax


cdef double _run_stream(const PMat* M):
    cdef Py_ssize_t nc = _n_chunks(M.S)
    cdef double total
    cdef double* csum = <double*> malloc(nc * sizeof(double))
    if csum == NULL:
        raise MemoryError()
    with nogil:
        total = _stream(M, csum)
    free(csum)
    return total


# ------------------------------------------------------------- Python entry points
def bellman_backup_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma,
                         const double[::1] v, const uint8_t[:, ::1] mask, bint use_mask,
                         double[::1] tv, int64_t[::1] pi):
    """tv = T v, pi = greedy(v) (ties to lowest action); return (min, max) of tv - v."""
    cdef PMat M = _dense(P)
    return _run_backup(&M, R, gamma, v, mask, use_mask, tv, pi)


def bellman_backup_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                       const double[:, ::1] R, double gamma, const double[::1] v,
                       const uint8_t[:, ::1] mask, bint use_mask, double[::1] tv, int64_t[::1] pi):
    """CSR version of :func:`bellman_backup_dense`."""
    cdef PMat M = _csr(data, indices, indptr, R.shape[0], R.shape[1])
    return _run_backup(&M, R, gamma, v, mask, use_mask, tv, pi)


def q_values_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma,
                   const double[::1] v, const uint8_t[:, ::1] mask, bint use_mask, double[:, ::1] q):
    """q = R + gamma P v, -inf on masked actions."""
    cdef PMat M = _dense(P)
    with nogil:
        _q_values(&M, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &q[0, 0])


def q_values_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                 const double[:, ::1] R, double gamma, const double[::1] v,
                 const uint8_t[:, ::1] mask, bint use_mask, double[:, ::1] q):
    """CSR version of :func:`q_values_dense`."""
    cdef PMat M = _csr(data, indices, indptr, R.shape[0], R.shape[1])
    with nogil:
        _q_values(&M, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &q[0, 0])


def gauss_seidel_sweep_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma,
                             double[::1] v, const uint8_t[:, ::1] mask, bint use_mask, int64_t[::1] pi):
    """One in-place Gauss-Seidel sweep over states 0..S-1; return max_s |change|."""
    cdef PMat M = _dense(P)
    cdef double delta
    with nogil:
        delta = _gauss_seidel(&M, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &pi[0])
    return delta


def gauss_seidel_sweep_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                           const double[:, ::1] R, double gamma, double[::1] v,
                           const uint8_t[:, ::1] mask, bint use_mask, int64_t[::1] pi):
    """CSR version of :func:`gauss_seidel_sweep_dense`."""
    cdef PMat M = _csr(data, indices, indptr, R.shape[0], R.shape[1])
    cdef double delta
    with nogil:
        delta = _gauss_seidel(&M, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &pi[0])
    return delta


def policy_sweep_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma,
                       const double[::1] v, const int64_t[::1] pi, double[::1] out):
    """out = T^pi v for a deterministic policy pi (S,)."""
    cdef PMat M = _dense(P)
    with nogil:
        _policy_sweep(&M, &R[0, 0], gamma, &v[0], &pi[0], &out[0])


def policy_sweep_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                     const double[:, ::1] R, double gamma, const double[::1] v,
                     const int64_t[::1] pi, double[::1] out):
    """CSR version of :func:`policy_sweep_dense`."""
    cdef PMat M = _csr(data, indices, indptr, R.shape[0], R.shape[1])
    with nogil:
        _policy_sweep(&M, &R[0, 0], gamma, &v[0], &pi[0], &out[0])


def iterate_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma, double[::1] v,
                  const uint8_t[:, ::1] mask, bint use_mask, Py_ssize_t m, bint gauss_seidel,
                  double tol, Py_ssize_t max_iter, double[::1] tv, int64_t[::1] pi):
    """Run VI (m=0), MPI (m>0) or Gauss-Seidel VI until certified or max_iter.

    ``v`` is the start on entry and the last iterate on exit; ``tv`` its
    Jacobi backup; ``pi`` its greedy policy. Returns
    ``(iterations, converged, min(tv - v), max(tv - v))``. Needs gamma < 1
    and max_iter >= 1.
    """
    cdef PMat M = _dense(P)
    return _run_iterate(&M, R, gamma, v, mask, use_mask, m, gauss_seidel, tol, max_iter, tv, pi)


def iterate_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                const double[:, ::1] R, double gamma, double[::1] v,
                const uint8_t[:, ::1] mask, bint use_mask, Py_ssize_t m, bint gauss_seidel,
                double tol, Py_ssize_t max_iter, double[::1] tv, int64_t[::1] pi):
    """CSR version of :func:`iterate_dense`."""
    cdef PMat M = _csr(data, indices, indptr, R.shape[0], R.shape[1])
    return _run_iterate(&M, R, gamma, v, mask, use_mask, m, gauss_seidel, tol, max_iter, tv, pi)


def stream_sum_dense(const double[:, :, ::1] P):
    """Sum of all entries of P: a read-only pass with the backups' layout."""
    cdef PMat M = _dense(P)
    return _run_stream(&M)


def stream_sum_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                   Py_ssize_t S, Py_ssize_t A):
    """Sum of the stored entries of the CSR matrix (reads ``data`` only)."""
    cdef PMat M = _csr(data, indices, indptr, S, A)
    return _run_stream(&M)
