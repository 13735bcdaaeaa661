# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernels of exact tabular dynamic programming (private).

Every kernel takes the transition tensor either dense, ``P`` of shape
``(S, A, S)`` C-contiguous (``*_dense``), or as the three buffers of the CSR
matrix ``(S*A, S)`` with row ``s*A + a`` (``*_csr``; int32 or int64 indices,
the same dtype for ``indices`` and ``indptr``). Kernels validate nothing:
callers pass validated, C-contiguous arrays and preallocated ``out`` arrays.
``mask`` is the ``(S, A)`` action mask viewed as ``uint8``; it is only read
when ``use_mask`` is true.

Numerics: no fast-math, no FMA contraction. Each dense row dot product
``sum_t P[s,a,t] v[t]`` uses sixteen independent lanes (lane ``j`` sums the
terms ``t = j mod 16`` in increasing ``t``; the remaining ``n mod 16`` terms
are added in order after a fixed reduction tree), written with GCC vector
extensions so the AVX-512, AVX2 and baseline clones compute the same lanes in
the same order: results are bit-identical whichever clone runs, and
independent of the number of threads. CSR rows are summed in stored order.
``max`` / ``argmax`` over actions keep the first maximum (ties go to the
lowest action).

Storage kinds (dense, CSR int32, CSR int64) are separate compiled
specialisations (a fused struct type), and the masked and unmasked paths are
separate loops, so no kind or mask test runs per row. Dense kernels read ``v``
from a 64-byte aligned buffer (a copy when the caller's is not aligned).
Whole CSR loops narrow int64 indices to int32 once (when they fit), and CSR
modified policy iteration runs its ``m`` evaluation sweeps on a compact copy
of the policy's rows (padded to a fixed width when rows are short); both keep
every sum in stored order, so results are the same bit for bit.

Parallelism: states are split into a fixed number of contiguous chunks and
the chunks are distributed with ``prange`` (OpenMP, dynamic schedule, so a
descheduled thread on a busy machine does not hold up the others). Min and
max reductions are written per chunk and reduced serially afterwards, so they
are race-free and deterministic. Small problems (fewer than ``PARALLEL_WORK``
multiply-adds per sweep) run serially: on a small machine waking OpenMP
workers costs more than such a sweep. The iterative solvers
(``iterate_dense`` / ``iterate_csr``) run the whole loop in one call.

Each kernel has a plain NumPy counterpart in :mod:`rltheory.tabular._reference`.
"""

import numpy as np

from cython.parallel import prange
from libc.math cimport INFINITY, fabs, fmax, fmin
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

#: Sweeps with fewer multiply-adds than this run on one thread.
PARALLEL_WORK = 200_000
#: Number of state chunks used for the parallel layout (at most S).
N_CHUNKS = 256
#: A Gauss-Seidel run certifies (one Jacobi backup) at least every this many sweeps.
GS_CHECK_EVERY = 10
#: Number of independent lanes of the dense row dot product and of the stream sum.
DOT_LANES = 16

cdef Py_ssize_t _PARALLEL_WORK = PARALLEL_WORK
cdef Py_ssize_t _N_CHUNKS = N_CHUNKS
cdef Py_ssize_t _GS_CHECK_EVERY = GS_CHECK_EVERY
#: A whole loop first re-times the thread mode it is not using after this many steps.
THREAD_PROBE_EVERY = 16
cdef Py_ssize_t _THREAD_PROBE_EVERY = THREAD_PROBE_EVERY

ctypedef fused idx_t:
    int32_t
    int64_t


# ----------------------------------------------------------------- building blocks
cdef extern from *:
    """
    /* Row kernels in plain C so that GCC can build AVX-512 and AVX2 clones next
       to the baseline one (function multiversioning, picked at load time).
       The sixteen lanes are two 8-double vectors of GCC's vector extension:
       element-wise IEEE multiply and add, lowered to zmm, ymm or xmm
       instructions, so every clone computes the same lanes in the same order.
       fp-contract=off forbids fusing multiply and add into FMA (the AVX-512
       clone would otherwise do so), so results are bit-identical whichever
       clone runs. */
    #include <string.h>
    #include <stdlib.h>
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define RLT_CLONES __attribute__((target_clones("avx512f", "avx2", "default"), optimize("fp-contract=off")))
    #elif defined(__GNUC__) && !defined(__clang__)
    #define RLT_CLONES __attribute__((optimize("fp-contract=off")))
    #else
    #define RLT_CLONES
    #endif
    #if defined(__clang__)
    #pragma STDC FP_CONTRACT OFF
    #endif
    #if defined(__GNUC__)
    typedef double rlt_v8d __attribute__((vector_size(64)));
    #define RLT_LOAD(dst, ptr) memcpy(&(dst), (ptr), sizeof(rlt_v8d))
    /* fixed tree over the sixteen lanes: lo holds lanes 0..7, hi lanes 8..15 */
    #define RLT_HSUM16(lo, hi, res) do { rlt_v8d c_ = (lo) + (hi); \
        (res) = ((c_[0] + c_[4]) + (c_[2] + c_[6])) + ((c_[1] + c_[5]) + (c_[3] + c_[7])); } while (0)

    RLT_CLONES
    static double rlt_dot(const double *p, const double *v, Py_ssize_t n) {
        rlt_v8d lo = {0, 0, 0, 0, 0, 0, 0, 0}, hi = {0, 0, 0, 0, 0, 0, 0, 0}, x, y;
        double r;
        Py_ssize_t t = 0;
        for (; t + 16 <= n; t += 16) {
            rlt_v8d px, py;
            RLT_LOAD(px, p + t); RLT_LOAD(x, v + t);
            RLT_LOAD(py, p + t + 8); RLT_LOAD(y, v + t + 8);
            px = px * x; py = py * y;
            lo = lo + px; hi = hi + py;
        }
        RLT_HSUM16(lo, hi, r);
        for (; t < n; ++t) { double prod = p[t] * v[t]; r = r + prod; }
        return r;
    }
    RLT_CLONES
    static double rlt_sum(const double *p, Py_ssize_t n) {
        rlt_v8d lo = {0, 0, 0, 0, 0, 0, 0, 0}, hi = {0, 0, 0, 0, 0, 0, 0, 0}, x, y;
        double r;
        Py_ssize_t t = 0;
        for (; t + 16 <= n; t += 16) {
            RLT_LOAD(x, p + t); RLT_LOAD(y, p + t + 8);
            lo = lo + x; hi = hi + y;
        }
        RLT_HSUM16(lo, hi, r);
        for (; t < n; ++t) r = r + p[t];
        return r;
    }
    #else
    static double rlt_dot(const double *p, const double *v, Py_ssize_t n) {
        double acc[16] = {0}; double r; Py_ssize_t t = 0; int j;
        for (; t + 16 <= n; t += 16) for (j = 0; j < 16; ++j) { double prod = p[t + j] * v[t + j]; acc[j] = acc[j] + prod; }
        for (j = 0; j < 8; ++j) acc[j] = acc[j] + acc[j + 8];
        r = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
        for (; t < n; ++t) { double prod = p[t] * v[t]; r = r + prod; }
        return r;
    }
    static double rlt_sum(const double *p, Py_ssize_t n) {
        double acc[16] = {0}; double r; Py_ssize_t t = 0; int j;
        for (; t + 16 <= n; t += 16) for (j = 0; j < 16; ++j) acc[j] = acc[j] + p[t + j];
        for (j = 0; j < 8; ++j) acc[j] = acc[j] + acc[j + 8];
        r = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
        for (; t < n; ++t) r = r + p[t];
        return r;
    }
    #endif
    /* out[s] = R[s] + gamma * sum_j data[s*W + j] v[ind[s*W + j]] for s in [lo, hi):
       rows padded to width W with zero entries. The sum starts at +0.0, so it
       is never -0.0, and adding a padding term 0.0 * v[.] = +-0.0 leaves it
       unchanged: the result equals the unpadded stored-order sum bit for bit. */
    #define RLT_ELL_BODY(W)                                                          \
        for (s = lo; s < hi; ++s) {                                                  \
            const double *d = data + s * (W); const int32_t *i = ind + s * (W);      \
            double acc = 0.0; int j;                                                 \
            for (j = 0; j < (W); ++j) { double prod = d[j] * v[i[j]]; acc = acc + prod; } \
            out[s] = R[s] + gamma * acc;                                             \
        }
    static void rlt_ell_sweep(const double *data, const int32_t *ind, Py_ssize_t W, const double *R,
                              double gamma, const double *v, double *out, Py_ssize_t lo, Py_ssize_t hi) {
        Py_ssize_t s;
        switch (W) {
        case 1: RLT_ELL_BODY(1) break;
        case 2: RLT_ELL_BODY(2) break;
        case 3: RLT_ELL_BODY(3) break;
        case 4: RLT_ELL_BODY(4) break;
        case 5: RLT_ELL_BODY(5) break;
        case 6: RLT_ELL_BODY(6) break;
        case 7: RLT_ELL_BODY(7) break;
        case 8: RLT_ELL_BODY(8) break;
        default: RLT_ELL_BODY(W) break;
        }
    }
    #include <time.h>
    #ifdef _OPENMP
    #include <omp.h>
    static int rlt_max_threads(void) { return omp_get_max_threads(); }
    #else
    static int rlt_max_threads(void) { return 1; }
    #endif
    /* wall-clock seconds (C11 timespec_get): used only to choose between the
       serial and the parallel sweep, which compute identical results */
    static double rlt_now(void) {
        struct timespec ts;
        if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0.0;
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    }
    /* 64-byte aligned buffer (whole-vector loads of v never straddle a cache
       line); release with free(). NULL on failure. */
    static double *rlt_alloc(Py_ssize_t n) {
        void *p = NULL;
        size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(double);
        bytes = (bytes + 63) & ~(size_t)63;
    #if defined(_WIN32)
        p = malloc(bytes);
    #else
        if (posix_memalign(&p, 64, bytes) != 0) p = NULL;
    #endif
        return (double *)p;
    }
    static int rlt_is_aligned(const double *p) { return ((size_t)p & 63) == 0; }
    """
    double rlt_dot(const double* p, const double* v, Py_ssize_t n) noexcept nogil
    double rlt_sum(const double* p, Py_ssize_t n) noexcept nogil
    double* rlt_alloc(Py_ssize_t n) noexcept nogil
    double rlt_now() noexcept nogil
    int rlt_max_threads() noexcept nogil
    void rlt_ell_sweep(const double* data, const int32_t* ind, Py_ssize_t W, const double* R, double gamma,
                       const double* v, double* out, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil
    bint rlt_is_aligned(const double* p) noexcept nogil


# ------------------------------------------------------------ storage kinds
cdef struct DenseP:
    Py_ssize_t S
    Py_ssize_t A
    const double* P          # (S*A, S) row-major
    Py_ssize_t work          # multiply-adds of one full backup

cdef struct Csr32P:
    Py_ssize_t S
    Py_ssize_t A
    const double* data
    const int32_t* ind
    const int32_t* ptr
    Py_ssize_t work

cdef struct Csr64P:
    Py_ssize_t S
    Py_ssize_t A
    const double* data
    const int64_t* ind
    const int64_t* ptr
    Py_ssize_t work

# one compiled copy of every loop per storage kind (no runtime kind branch)
ctypedef fused mat_t:
    DenseP
    Csr32P
    Csr64P


cdef inline double _rowdot(const mat_t* M, Py_ssize_t r, const double* v) noexcept nogil:
    """sum_t P[r, t] v[t] for row r = s*A + a (CSR: stored order)."""
    cdef Py_ssize_t k, k1
    cdef double acc = 0.0
    if mat_t is DenseP:
        return rlt_dot(M.P + r * M.S, v, M.S)
    else:
        k1 = M.ptr[r + 1]
        for k in range(M.ptr[r], k1):
            acc = acc + M.data[k] * v[M.ind[k]]
        return acc


cdef inline double _state_max(const mat_t* M, const double* R, double gamma, const double* v,
                              Py_ssize_t s, int64_t* best_a) noexcept nogil:
    """max_a [R[s,a] + gamma P[s,a,:] v] over all actions; first argmax."""
    cdef Py_ssize_t a, A = M.A, r0 = s * M.A, k, k0, k1
    cdef double q, acc, best
    cdef int64_t ba = 0
    if mat_t is DenseP:
        best = R[r0] + gamma * _rowdot(M, r0, v)
        for a in range(1, A):
            q = R[r0 + a] + gamma * _rowdot(M, r0 + a, v)
            if q > best:
                best = q
                ba = a
    else:
        # all A rows of state s form one indptr range
        k0 = M.ptr[r0]
        acc = 0.0
        k1 = M.ptr[r0 + 1]
        for k in range(k0, k1):
            acc = acc + M.data[k] * v[M.ind[k]]
        best = R[r0] + gamma * acc
        for a in range(1, A):
            k0 = k1
            k1 = M.ptr[r0 + a + 1]
            acc = 0.0
            for k in range(k0, k1):
                acc = acc + M.data[k] * v[M.ind[k]]
            q = R[r0 + a] + gamma * acc
            if q > best:
                best = q
                ba = a
    best_a[0] = ba
    return best


cdef inline double _state_max_masked(const mat_t* M, const double* R, double gamma, const double* v,
                                     const uint8_t* mask, Py_ssize_t s, int64_t* best_a) noexcept nogil:
    """max_a [R[s,a] + gamma P[s,a,:] v] over allowed actions; first argmax."""
    cdef Py_ssize_t a, A = M.A
    cdef double q, best = -INFINITY
    cdef int64_t ba = -1
    for a in range(A):
        if not mask[s * A + a]:
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
cdef inline void _backup_range(const mat_t* M, const double* R, double gamma, const double* v,
                               const uint8_t* mask, bint use_mask, Py_ssize_t lo, Py_ssize_t hi,
                               double* tv, int64_t* pi, double* cmin, double* cmax) noexcept nogil:
    cdef Py_ssize_t s
    cdef double t, d, lmin = INFINITY, lmax = -INFINITY
    if use_mask:
        for s in range(lo, hi):
            t = _state_max_masked(M, R, gamma, v, mask, s, &pi[s])
            tv[s] = t
            d = t - v[s]
            if d < lmin:
                lmin = d
            if d > lmax:
                lmax = d
    else:
        for s in range(lo, hi):
            t = _state_max(M, R, gamma, v, s, &pi[s])
            tv[s] = t
            d = t - v[s]
            if d < lmin:
                lmin = d
            if d > lmax:
                lmax = d
    cmin[0] = lmin
    cmax[0] = lmax


cdef void _backup(const mat_t* M, const double* R, double gamma, const double* v,
                  const uint8_t* mask, bint use_mask, double* tv, int64_t* pi,
                  double* cmin, double* cmax, double* dmin, double* dmax, bint serial=False) noexcept nogil:
    """Jacobi optimality backup tv = T v, pi = greedy(v); min/max of tv - v."""
    cdef Py_ssize_t S = M.S, nc = _n_chunks(S)
    cdef Py_ssize_t c
    cdef double lmin, lmax
    if M.work >= _PARALLEL_WORK and not serial:
        for c in prange(nc, schedule="dynamic"):
            _backup_range(M, R, gamma, v, mask, use_mask, _chunk_lo(c, nc, S), _chunk_lo(c + 1, nc, S),
                          tv, pi, &cmin[c], &cmax[c])
    else:
        nc = 1
        _backup_range(M, R, gamma, v, mask, use_mask, 0, S, tv, pi, &cmin[0], &cmax[0])
    lmin = INFINITY
    lmax = -INFINITY
    for c in range(nc):
        if cmin[c] < lmin:
            lmin = cmin[c]
        if cmax[c] > lmax:
            lmax = cmax[c]
    dmin[0] = lmin
    dmax[0] = lmax


cdef double _gauss_seidel(const mat_t* M, const double* R, double gamma, double* v,
                          const uint8_t* mask, bint use_mask, int64_t* pi) noexcept nogil:
    """In-place Gauss-Seidel sweep (states in increasing order); sup of the change."""
    cdef Py_ssize_t s
    cdef double new, ch, delta = 0.0
    if use_mask:
        for s in range(M.S):
            new = _state_max_masked(M, R, gamma, v, mask, s, &pi[s])
            ch = fabs(new - v[s])
            if ch > delta:
                delta = ch
            v[s] = new
    else:
        for s in range(M.S):
            new = _state_max(M, R, gamma, v, s, &pi[s])
            ch = fabs(new - v[s])
            if ch > delta:
                delta = ch
            v[s] = new
    return delta


cdef inline void _policy_range(const mat_t* M, const double* R, double gamma, const double* v,
                               const int64_t* pi, double* out, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef Py_ssize_t s, r, A = M.A
    for s in range(lo, hi):
        r = s * A + pi[s]
        out[s] = R[r] + gamma * _rowdot(M, r, v)


cdef void _policy_sweep(const mat_t* M, const double* R, double gamma, const double* v,
                        const int64_t* pi, double* out, bint serial=False) noexcept nogil:
    """out = T^pi v for a deterministic policy pi."""
    cdef Py_ssize_t S = M.S, nc = _n_chunks(S)
    cdef Py_ssize_t c
    if (M.work // M.A) >= _PARALLEL_WORK and not serial:
        for c in prange(nc, schedule="dynamic"):
            _policy_range(M, R, gamma, v, pi, out, _chunk_lo(c, nc, S), _chunk_lo(c + 1, nc, S))
    else:
        _policy_range(M, R, gamma, v, pi, out, 0, S)


cdef inline void _q_range(const mat_t* M, const double* R, double gamma, const double* v,
                          const uint8_t* mask, bint use_mask, double* q, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef Py_ssize_t s, a, A = M.A
    for s in range(lo, hi):
        for a in range(A):
            if use_mask and not mask[s * A + a]:
                q[s * A + a] = -INFINITY
            else:
                q[s * A + a] = R[s * A + a] + gamma * _rowdot(M, s * A + a, v)


cdef void _q_values(const mat_t* M, const double* R, double gamma, const double* v,
                    const uint8_t* mask, bint use_mask, double* q) noexcept nogil:
    cdef Py_ssize_t S = M.S, nc = _n_chunks(S)
    cdef Py_ssize_t c
    if M.work >= _PARALLEL_WORK:
        for c in prange(nc, schedule="dynamic"):
            _q_range(M, R, gamma, v, mask, use_mask, q, _chunk_lo(c, nc, S), _chunk_lo(c + 1, nc, S))
    else:
        _q_range(M, R, gamma, v, mask, use_mask, q, 0, S)


cdef inline double _stream_range(const mat_t* M, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef Py_ssize_t S = M.S, A = M.A
    if mat_t is DenseP:
        return rlt_sum(M.P + lo * A * S, (hi - lo) * A * S)
    else:
        return rlt_sum(M.data + M.ptr[lo * A], M.ptr[hi * A] - M.ptr[lo * A])


cdef double _stream(const mat_t* M, double* csum) noexcept nogil:
    """Sum of all stored entries of P, chunked over states like the backups."""
    cdef Py_ssize_t S = M.S, nc = _n_chunks(S)
    cdef Py_ssize_t c
    cdef double total = 0.0
    if M.work >= _PARALLEL_WORK:
        for c in prange(nc, schedule="dynamic"):
            csum[c] = _stream_range(M, _chunk_lo(c, nc, S), _chunk_lo(c + 1, nc, S))
    else:
        for c in range(nc):
            csum[c] = _stream_range(M, _chunk_lo(c, nc, S), _chunk_lo(c + 1, nc, S))
    for c in range(nc):
        total = total + csum[c]
    return total


# ------------------------------------------------- compact policy rows (CSR MPI)
cdef struct Compact:
    Csr32P M                 # S rows (A = 1): row s is row s*A + pi[s] of the model
    double* R                # R[s, pi[s]]
    Py_ssize_t cap           # capacity of data/ind
    Py_ssize_t W             # > 0: ELL layout, every row padded to W entries (row s at s*W)


cdef int _compact_init(const mat_t* M, Compact* C) noexcept nogil:
    """Allocate a compact policy matrix; capacity sum_s max_a nnz(s, a). 0 ok, -1 unusable."""
    cdef Py_ssize_t s, a, n, cap = 0, W = 0, S = M.S, A = M.A
    C.W = 0
    C.M.S = S
    C.M.A = 1
    C.M.data = NULL
    C.M.ind = NULL
    C.M.ptr = NULL
    C.R = NULL
    if mat_t is DenseP:
        return -1
    else:
        for s in range(S):
            n = 0
            for a in range(A):
                if M.ptr[s * A + a + 1] - M.ptr[s * A + a] > n:
                    n = M.ptr[s * A + a + 1] - M.ptr[s * A + a]
            cap = cap + n
            if n > W:
                W = n
        if cap >= 2147483647 or S >= 2147483647:
            return -1
        # short rows: pad to a fixed width (branch-free rows) when that costs < 50% more entries
        C.W = 0
        if W <= 8 and S * W <= cap + cap // 2:
            C.W = W if W > 0 else 1
            cap = S * C.W
        C.cap = cap
        C.M.data = <double*> malloc((cap if cap > 0 else 1) * sizeof(double))
        C.M.ind = <int32_t*> malloc((cap if cap > 0 else 1) * sizeof(int32_t))
        C.M.ptr = <int32_t*> malloc((S + 1) * sizeof(int32_t))
        C.R = <double*> malloc(S * sizeof(double))
        if C.M.data == NULL or C.M.ind == NULL or C.M.ptr == NULL or C.R == NULL:
            _compact_free(C)
            return -1
        return 0


cdef void _compact_free(Compact* C) noexcept nogil:
    free(<void*> C.M.data); free(<void*> C.M.ind); free(<void*> C.M.ptr); free(C.R)
    C.M.data = NULL
    C.M.ind = NULL
    C.M.ptr = NULL
    C.R = NULL


cdef void _compact_gather(const mat_t* M, const double* R, const int64_t* pi, Compact* C) noexcept nogil:
    """Copy row s*A + pi[s] of P (stored order) and R[s, pi[s]] into the compact matrix."""
    cdef Py_ssize_t s, r, k, j = 0, S = M.S, A = M.A
    cdef double* data = <double*> C.M.data
    cdef int32_t* ind = <int32_t*> C.M.ind
    cdef int32_t* ptr = <int32_t*> C.M.ptr
    cdef Py_ssize_t W = C.W
    if mat_t is not DenseP:
        if W > 0:
            for s in range(S):
                r = s * A + pi[s]
                C.R[s] = R[r]
                j = s * W
                for k in range(M.ptr[r], M.ptr[r + 1]):
                    data[j] = M.data[k]
                    ind[j] = <int32_t> M.ind[k]
                    j = j + 1
                while j < (s + 1) * W:
                    data[j] = 0.0
                    ind[j] = 0
                    j = j + 1
            C.M.work = S * W + S
            return
        ptr[0] = 0
        for s in range(S):
            r = s * A + pi[s]
            C.R[s] = R[r]
            for k in range(M.ptr[r], M.ptr[r + 1]):
                data[j] = M.data[k]
                ind[j] = <int32_t> M.ind[k]
                j = j + 1
            ptr[s + 1] = <int32_t> j
        C.M.work = j + S


cdef inline void _compact_range(const Compact* C, double gamma, const double* v, double* out,
                                Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    cdef Py_ssize_t s
    if C.W > 0:
        rlt_ell_sweep(C.M.data, C.M.ind, C.W, C.R, gamma, v, out, lo, hi)
        return
    for s in range(lo, hi):
        out[s] = C.R[s] + gamma * _rowdot(&C.M, s, v)


cdef void _compact_sweep(const Compact* C, double gamma, const double* v, double* out,
                         bint serial=False) noexcept nogil:
    """out = T^pi v on the compact policy rows (same arithmetic as :func:`_policy_sweep`)."""
    cdef Py_ssize_t S = C.M.S, nc = _n_chunks(S)
    cdef Py_ssize_t c
    if C.M.work >= _PARALLEL_WORK and not serial:
        for c in prange(nc, schedule="dynamic"):
            _compact_range(C, gamma, v, out, _chunk_lo(c, nc, S), _chunk_lo(c + 1, nc, S))
    else:
        _compact_range(C, gamma, v, out, 0, S)


# ------------------------------------------------- thread mode (timing, not arithmetic)
cdef struct ThreadMode:
    # Which of two result-identical sweeps (serial or parallel) the next backup runs. When the sweep is big
    # enough for threads, the first backup runs serial and the second parallel, both timed; the loop then uses
    # the faster (for backups and evaluation sweeps) and re-times the other after THREAD_PROBE_EVERY backups
    # (doubling the wait, up to 1024, each time it loses again). On a loaded machine a parallel sweep waits for
    # a descheduled worker at every barrier (milliseconds), so serial can win. Either way the results are
    # identical (per-state work, per-chunk reductions): only the clock reads below differ between runs.
    bint eligible
    bint serial
    bint probing
    Py_ssize_t n_backup
    Py_ssize_t next_probe
    Py_ssize_t probe_gap
    double t0
    double t_ser
    double t_par


cdef inline void _mode_init(ThreadMode* tm, bint eligible) noexcept nogil:
    tm.eligible = eligible
    tm.serial = False
    tm.probing = False
    tm.n_backup = 0
    tm.next_probe = 2 + _THREAD_PROBE_EVERY
    tm.probe_gap = _THREAD_PROBE_EVERY
    tm.t0 = 0.0
    tm.t_ser = INFINITY
    tm.t_par = INFINITY


cdef inline void _mode_begin(ThreadMode* tm) noexcept nogil:
    """Choose serial or parallel for the next backup and start its clock."""
    if not tm.eligible:
        return
    tm.n_backup = tm.n_backup + 1
    tm.probing = tm.n_backup <= 2 or tm.n_backup == tm.next_probe
    if tm.n_backup <= 2:
        tm.serial = tm.n_backup == 1
    elif tm.n_backup == tm.next_probe:
        tm.serial = not (tm.t_ser < tm.t_par)
    else:
        tm.serial = tm.t_ser < tm.t_par
    tm.t0 = rlt_now()


cdef inline void _mode_end(ThreadMode* tm) noexcept nogil:
    """Stop the clock of the backup just run; the latest time of each mode counts."""
    cdef double t
    if not tm.eligible:
        return
    t = rlt_now() - tm.t0
    if tm.probing and tm.n_backup > 2:
        # a probe that loses doubles the wait before the next one
        if (tm.serial and t >= tm.t_par) or (not tm.serial and t >= tm.t_ser):
            tm.probe_gap = tm.probe_gap * 2 if tm.probe_gap < 1024 else tm.probe_gap
        else:
            tm.probe_gap = _THREAD_PROBE_EVERY
        tm.next_probe = tm.n_backup + tm.probe_gap
    if tm.serial:
        tm.t_ser = t
    else:
        tm.t_par = t


# ------------------------------------------------------------------- the loops
#: Stopping rules of the whole loops (``rule`` argument).
#: 0 -- discounted: gamma/(1-gamma) * (max d - min d) <= tol (MacQueen 1966; Porteus 1971; Puterman 2005, Thm 6.6.3);
#: 1 -- stochastic shortest path with every policy proper: factor * (max(max d, 0) - min(min d, 0)) <= tol with
#:      factor = max_s M(s) - 1, M the largest expected time to termination (see rltheory.tabular._ssp);
#: 2 -- uncertified: max |d| <= tol (an SSP whose properness cannot be verified).
STOP_DISCOUNTED = 0
STOP_SSP = 1
STOP_RESIDUAL = 2


cdef inline double _stop_quantity(int rule, double c, double dmin, double dmax) noexcept nogil:
    if rule == 0:
        return c * (dmax - dmin)
    if rule == 1:
        return c * (fmax(dmax, 0.0) - fmin(dmin, 0.0))
    return fmax(fabs(dmin), fabs(dmax))


cdef int _iterate(const mat_t* M, const double* R, double gamma, double* v_io,
                  const uint8_t* mask, bint use_mask, Py_ssize_t m, bint gauss_seidel,
                  double tol, Py_ssize_t max_iter, double* tv_out, int64_t* pi,
                  Py_ssize_t* n_iter, double* dmin, double* dmax, int rule, double factor) noexcept nogil:
    """Value iteration (m = 0), modified policy iteration (m > 0) or Gauss-Seidel VI.

    On exit ``v_io`` holds the last iterate v and ``tv_out`` its Jacobi backup
    T v, ``pi`` the greedy policy of v and ``dmin``/``dmax`` the min/max of
    T v - v; returns 1 when the stopping rule ``rule`` holds (rule 0:
    gamma/(1-gamma) * (dmax - dmin) <= tol, MacQueen 1966; Porteus 1971;
    Puterman 2005, Thm 6.6.3), 0 when max_iter sweeps (outer iterations for
    MPI) ran out, -1 on allocation failure.
    """
    cdef Py_ssize_t S = M.S, nc = _n_chunks(S), k, it = 0
    cdef double c_bound = gamma / (1.0 - gamma) if rule == 0 else factor
    cdef double c_gs = 1.0 if rule == 2 else c_bound
    cdef double delta
    cdef bint check = True, converged = False
    cdef Compact C
    cdef ThreadMode tm
    # CSR MPI: the m evaluation sweeps read a compact copy of the policy's rows
    # (one gather per improvement instead of m strided passes over all rows)
    cdef bint compact = m >= 2 and _compact_init(M, &C) == 0
    # iterates live in 64-byte aligned buffers (aligned vector loads of v)
    cdef double* b0 = rlt_alloc(S)
    cdef double* b1 = rlt_alloc(S)
    cdef double* b2 = rlt_alloc(S)
    cdef double* cmin = <double*> malloc(nc * sizeof(double))
    cdef double* cmax = <double*> malloc(nc * sizeof(double))
    cdef double* pv
    cdef double* ptv
    cdef double* pw
    cdef double* cur
    cdef double* tmp
    _mode_init(&tm, M.work >= _PARALLEL_WORK and rlt_max_threads() > 1)
    if b0 == NULL or b1 == NULL or b2 == NULL or cmin == NULL or cmax == NULL:
        free(b0); free(b1); free(b2); free(cmin); free(cmax)
        if compact:
            _compact_free(&C)
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
            if c_gs * delta <= tol or it % _GS_CHECK_EVERY == 0:
                check = True
            continue
        check = False
        _mode_begin(&tm)
        _backup(M, R, gamma, pv, mask, use_mask, ptv, pi, cmin, cmax, dmin, dmax, tm.serial)
        _mode_end(&tm)
        # the stopping rule (rule 0: max(v_upper - v_lower) = gamma/(1-gamma) span(Tv - v))
        if _stop_quantity(rule, c_bound, dmin[0], dmax[0]) <= tol:
            converged = True
            break
        if it >= max_iter:
            break
        # next iterate: T v, followed (MPI) by m partial-evaluation sweeps of T^pi
        # (Puterman 2005, Sec. 6.5.1, eq. 6.5.6)
        cur = ptv
        if compact:
            _compact_gather(M, R, pi, &C)
        for k in range(m):
            # evaluation sweeps follow the chosen mode (serial during a probe)
            if compact:
                _compact_sweep(&C, gamma, cur, pw, tm.serial or tm.probing)
            else:
                _policy_sweep(M, R, gamma, cur, pi, pw, tm.serial or tm.probing)
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
    if compact:
        _compact_free(&C)
    return 1 if converged else 0


cdef void _backward_induction(const mat_t* M, const double* R, double gamma, const uint8_t* mask, bint use_mask,
                              Py_ssize_t H, double* v, double* q, int64_t* pi) noexcept nogil:
    """Stages t = H-1, ..., 0: q[t] = R + gamma P v[t+1], pi[t] = first argmax, v[t] = max (v[H] = 0 on entry)."""
    cdef Py_ssize_t S = M.S, A = M.A, t, s, a
    cdef double best
    cdef int64_t ba
    cdef double* qt
    for t in range(H - 1, -1, -1):
        qt = q + t * S * A
        _q_values(M, R, gamma, v + (t + 1) * S, mask, use_mask, qt)
        for s in range(S):
            ba = 0
            best = qt[s * A]
            for a in range(1, A):
                if qt[s * A + a] > best:
                    best = qt[s * A + a]
                    ba = a
            pi[t * S + s] = ba
            v[t * S + s] = best


# --------------------------------------------------------------- construction
cdef DenseP _dense(const double[:, :, ::1] P):
    cdef DenseP M
    M.S = P.shape[0]
    M.A = P.shape[1]
    M.P = &P[0, 0, 0]
    M.work = M.S * M.A * M.S
    return M


cdef Csr32P _csr32(const double[::1] data, const int32_t[::1] indices, const int32_t[::1] indptr,
                   Py_ssize_t S, Py_ssize_t A):
    cdef Csr32P M
    M.S = S
    M.A = A
    M.data = &data[0] if data.shape[0] > 0 else NULL
    M.ind = &indices[0] if indices.shape[0] > 0 else NULL
    M.ptr = &indptr[0]
    M.work = data.shape[0] + S * A
    return M


cdef Csr64P _csr64(const double[::1] data, const int64_t[::1] indices, const int64_t[::1] indptr,
                   Py_ssize_t S, Py_ssize_t A):
    cdef Csr64P M
    M.S = S
    M.A = A
    M.data = &data[0] if data.shape[0] > 0 else NULL
    M.ind = &indices[0] if indices.shape[0] > 0 else NULL
    M.ptr = &indptr[0]
    M.work = data.shape[0] + S * A
    return M


cdef class _AlignedV:
    """A 64-byte aligned view of ``v`` for the dense kernels (a copy when ``v`` is not aligned)."""
    cdef double* buf
    cdef const double* ptr

    def __cinit__(self):
        self.buf = NULL
        self.ptr = NULL

    cdef int set(self, const double* v, Py_ssize_t S) except -1:
        if rlt_is_aligned(v):
            self.ptr = v
            return 0
        self.buf = rlt_alloc(S)
        if self.buf == NULL:
            raise MemoryError()
        memcpy(self.buf, v, S * sizeof(double))
        self.ptr = self.buf
        return 0

    def __dealloc__(self):
        free(self.buf)


cdef tuple _run_backup(const mat_t* M, const double[:, ::1] R, double gamma, const double* v,
                       const uint8_t[:, ::1] mask, bint use_mask, double[::1] tv, int64_t[::1] pi):
    cdef Py_ssize_t nc = _n_chunks(M.S)
    cdef double dmin = 0.0, dmax = 0.0
    cdef double* cmin = <double*> malloc(nc * sizeof(double))
    cdef double* cmax = <double*> malloc(nc * sizeof(double))
    if cmin == NULL or cmax == NULL:
        free(cmin); free(cmax)
        raise MemoryError()
    with nogil:
        _backup(M, &R[0, 0], gamma, v, &mask[0, 0], use_mask, &tv[0], &pi[0], cmin, cmax, &dmin, &dmax)
    free(cmin); free(cmax)
    return dmin, dmax


cdef tuple _run_iterate(const mat_t* M, const double[:, ::1] R, double gamma, double[::1] v,
                        const uint8_t[:, ::1] mask, bint use_mask, Py_ssize_t m, bint gauss_seidel,
                        double tol, Py_ssize_t max_iter, double[::1] tv, int64_t[::1] pi, int rule, double factor):
    cdef Py_ssize_t n_iter = 0
    cdef double dmin = 0.0, dmax = 0.0
    cdef int status
    with nogil:
        status = _iterate(M, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, m, gauss_seidel,
                          tol, max_iter, &tv[0], &pi[0], &n_iter, &dmin, &dmax, rule, factor)
    if status < 0:
        raise MemoryError()
    return n_iter, bool(status), dmin, dmax


cdef double _run_stream(const mat_t* M) except? -1.0:
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
    cdef DenseP M = _dense(P)
    cdef _AlignedV va = _AlignedV()
    va.set(&v[0], M.S)
    return _run_backup(&M, R, gamma, va.ptr, mask, use_mask, tv, pi)


def bellman_backup_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                       const double[:, ::1] R, double gamma, const double[::1] v,
                       const uint8_t[:, ::1] mask, bint use_mask, double[::1] tv, int64_t[::1] pi):
    """CSR version of :func:`bellman_backup_dense`."""
    cdef Csr32P M32
    cdef Csr64P M64
    if idx_t is int32_t:
        M32 = _csr32(data, indices, indptr, R.shape[0], R.shape[1])
        return _run_backup(&M32, R, gamma, &v[0], mask, use_mask, tv, pi)
    else:
        M64 = _csr64(data, indices, indptr, R.shape[0], R.shape[1])
        return _run_backup(&M64, R, gamma, &v[0], mask, use_mask, tv, pi)


def q_values_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma,
                   const double[::1] v, const uint8_t[:, ::1] mask, bint use_mask, double[:, ::1] q):
    """q = R + gamma P v, -inf on masked actions."""
    cdef DenseP M = _dense(P)
    cdef _AlignedV va = _AlignedV()
    va.set(&v[0], M.S)
    with nogil:
        _q_values(&M, &R[0, 0], gamma, va.ptr, &mask[0, 0], use_mask, &q[0, 0])


def q_values_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                 const double[:, ::1] R, double gamma, const double[::1] v,
                 const uint8_t[:, ::1] mask, bint use_mask, double[:, ::1] q):
    """CSR version of :func:`q_values_dense`."""
    cdef Csr32P M32
    cdef Csr64P M64
    if idx_t is int32_t:
        M32 = _csr32(data, indices, indptr, R.shape[0], R.shape[1])
        with nogil:
            _q_values(&M32, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &q[0, 0])
    else:
        M64 = _csr64(data, indices, indptr, R.shape[0], R.shape[1])
        with nogil:
            _q_values(&M64, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &q[0, 0])


def gauss_seidel_sweep_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma,
                             double[::1] v, const uint8_t[:, ::1] mask, bint use_mask, int64_t[::1] pi):
    """One in-place Gauss-Seidel sweep over states 0..S-1; return max_s |change|."""
    cdef DenseP M = _dense(P)
    cdef double delta
    with nogil:
        delta = _gauss_seidel(&M, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &pi[0])
    return delta


def gauss_seidel_sweep_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                           const double[:, ::1] R, double gamma, double[::1] v,
                           const uint8_t[:, ::1] mask, bint use_mask, int64_t[::1] pi):
    """CSR version of :func:`gauss_seidel_sweep_dense`."""
    cdef Csr32P M32
    cdef Csr64P M64
    cdef double delta
    if idx_t is int32_t:
        M32 = _csr32(data, indices, indptr, R.shape[0], R.shape[1])
        with nogil:
            delta = _gauss_seidel(&M32, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &pi[0])
    else:
        M64 = _csr64(data, indices, indptr, R.shape[0], R.shape[1])
        with nogil:
            delta = _gauss_seidel(&M64, &R[0, 0], gamma, &v[0], &mask[0, 0], use_mask, &pi[0])
    return delta


def policy_sweep_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma,
                       const double[::1] v, const int64_t[::1] pi, double[::1] out):
    """out = T^pi v for a deterministic policy pi (S,)."""
    cdef DenseP M = _dense(P)
    cdef _AlignedV va = _AlignedV()
    va.set(&v[0], M.S)
    with nogil:
        _policy_sweep(&M, &R[0, 0], gamma, va.ptr, &pi[0], &out[0])


def policy_sweep_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                     const double[:, ::1] R, double gamma, const double[::1] v,
                     const int64_t[::1] pi, double[::1] out):
    """CSR version of :func:`policy_sweep_dense`."""
    cdef Csr32P M32
    cdef Csr64P M64
    if idx_t is int32_t:
        M32 = _csr32(data, indices, indptr, R.shape[0], R.shape[1])
        with nogil:
            _policy_sweep(&M32, &R[0, 0], gamma, &v[0], &pi[0], &out[0])
    else:
        M64 = _csr64(data, indices, indptr, R.shape[0], R.shape[1])
        with nogil:
            _policy_sweep(&M64, &R[0, 0], gamma, &v[0], &pi[0], &out[0])


def iterate_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma, double[::1] v,
                  const uint8_t[:, ::1] mask, bint use_mask, Py_ssize_t m, bint gauss_seidel,
                  double tol, Py_ssize_t max_iter, double[::1] tv, int64_t[::1] pi,
                  int rule=STOP_DISCOUNTED, double factor=0.0):
    """Run VI (m=0), MPI (m>0) or Gauss-Seidel VI until the stopping rule holds or max_iter.

    ``v`` is the start on entry and the last iterate on exit; ``tv`` its
    Jacobi backup; ``pi`` its greedy policy. Returns
    ``(iterations, converged, min(tv - v), max(tv - v))``, ``iterations``
    counting backups (the certifying one included). ``rule`` is one of
    ``STOP_DISCOUNTED`` (needs gamma < 1), ``STOP_SSP`` (with ``factor``) and
    ``STOP_RESIDUAL``. Needs max_iter >= 1.
    """
    cdef DenseP M = _dense(P)
    return _run_iterate(&M, R, gamma, v, mask, use_mask, m, gauss_seidel, tol, max_iter, tv, pi, rule, factor)


def iterate_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                const double[:, ::1] R, double gamma, double[::1] v,
                const uint8_t[:, ::1] mask, bint use_mask, Py_ssize_t m, bint gauss_seidel,
                double tol, Py_ssize_t max_iter, double[::1] tv, int64_t[::1] pi,
                int rule=STOP_DISCOUNTED, double factor=0.0):
    """CSR version of :func:`iterate_dense`."""
    cdef Csr32P M32
    cdef Csr64P M64
    if idx_t is int32_t:
        M32 = _csr32(data, indices, indptr, R.shape[0], R.shape[1])
        return _run_iterate(&M32, R, gamma, v, mask, use_mask, m, gauss_seidel, tol, max_iter, tv, pi, rule, factor)
    else:
        if max_iter > 1 and indptr[indptr.shape[0] - 1] < 2147483647 and R.shape[0] < 2147483647:
            # a whole loop reads the indices hundreds of times: narrow them once to
            # int32 (half the index traffic of every sweep; same arithmetic, same result)
            return iterate_csr(data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int32),
                               R, gamma, v, mask, use_mask, m, gauss_seidel, tol, max_iter, tv, pi, rule, factor)
        M64 = _csr64(data, indices, indptr, R.shape[0], R.shape[1])
        return _run_iterate(&M64, R, gamma, v, mask, use_mask, m, gauss_seidel, tol, max_iter, tv, pi, rule, factor)


def backward_induction_dense(const double[:, :, ::1] P, const double[:, ::1] R, double gamma,
                             const uint8_t[:, ::1] mask, bint use_mask, double[:, ::1] v, double[:, :, ::1] q,
                             int64_t[:, ::1] pi):
    """Finite-horizon stage loop: ``v`` (H+1, S) with ``v[H]`` set on entry, ``q`` (H, S, A), ``pi`` (H, S).

    ``q[t] = R + gamma P v[t+1]`` (-inf on masked actions), ``pi[t]`` its first argmax, ``v[t]`` its max.
    """
    cdef DenseP M = _dense(P)
    cdef Py_ssize_t H = q.shape[0]
    if H == 0:
        return
    with nogil:
        _backward_induction(&M, &R[0, 0], gamma, &mask[0, 0], use_mask, H, &v[0, 0], &q[0, 0, 0], &pi[0, 0])


def backward_induction_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                           const double[:, ::1] R, double gamma, const uint8_t[:, ::1] mask, bint use_mask,
                           double[:, ::1] v, double[:, :, ::1] q, int64_t[:, ::1] pi):
    """CSR version of :func:`backward_induction_dense`."""
    cdef Csr32P M32
    cdef Csr64P M64
    cdef Py_ssize_t H = q.shape[0]
    if H == 0:
        return
    if idx_t is int32_t:
        M32 = _csr32(data, indices, indptr, R.shape[0], R.shape[1])
        with nogil:
            _backward_induction(&M32, &R[0, 0], gamma, &mask[0, 0], use_mask, H, &v[0, 0], &q[0, 0, 0], &pi[0, 0])
    else:
        M64 = _csr64(data, indices, indptr, R.shape[0], R.shape[1])
        with nogil:
            _backward_induction(&M64, &R[0, 0], gamma, &mask[0, 0], use_mask, H, &v[0, 0], &q[0, 0, 0], &pi[0, 0])


def stream_sum_dense(const double[:, :, ::1] P):
    """Sum of all entries of P: a read-only pass with the backups' layout."""
    cdef DenseP M = _dense(P)
    return _run_stream(&M)


def stream_sum_csr(const double[::1] data, const idx_t[::1] indices, const idx_t[::1] indptr,
                   Py_ssize_t S, Py_ssize_t A):
    """Sum of the stored entries of the CSR matrix (reads ``data`` only)."""
    cdef Csr32P M32
    cdef Csr64P M64
    if idx_t is int32_t:
        M32 = _csr32(data, indices, indptr, S, A)
        return _run_stream(&M32)
    else:
        M64 = _csr64(data, indices, indptr, S, A)
        return _run_stream(&M64)
