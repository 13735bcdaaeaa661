# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""Compiled categorical and quantile projections and projected Bellman sweeps.

Private kernels: they validate nothing, write into preallocated ``out``
arrays and release the GIL. Each has a NumPy reference in ``_reference.py``
(same arguments, same arithmetic) and a parity test.

Transitions are CSR ``(S*A, S)`` (row ``s*A + a``) given as ``indptr``,
``indices`` (int64) and ``data``; dense models are converted once by the
caller. Rows whose policy weight is zero are skipped (masked actions).

Categorical projection of an atom ``x`` with mass ``p`` onto
``z_0 < ... < z_{m-1}`` (Rowland et al. 2018, Eq. (7)): all of ``p`` to
``z_0`` when ``x <= z_0``, to ``z_{m-1}`` when ``x >= z_{m-1}``, otherwise,
with ``z_l <= x < z_{l+1}`` found by bisection, ``p (1 - w)`` to ``z_l`` and
``p w`` to ``z_{l+1}``, ``w = (x - z_l) / (z_{l+1} - z_l)``.

Quantile projection (Dabney et al. 2018, Lemma 2): sort the atoms, then
``theta_i = F^{-1}((2i+1)/(2n))``, ``i = 0..n-1``, with the generalized
inverse ``inf{x : F(x) >= tau}`` read off the running sum of the masses.
"""

from cython.parallel cimport parallel, prange
from libc.float cimport DBL_EPSILON
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc, qsort


#: Minimum work (multiply-adds) before a kernel uses OpenMP threads. Below it
#: (e.g. a 1000-state garnet sweep with 51 atoms, ~2e6 operations, ~1 ms) the
#: fork/join and barrier cost dominates, and on a loaded 2-core box a
#: descheduled worker made the threaded sweep 10x slower than the serial one
#: (benchmarks/bench_distributional.py).
PARALLEL_WORK = 4_000_000
cdef Py_ssize_t _PARALLEL_WORK = PARALLEL_WORK


cdef struct Pair:
    double x
    double w


cdef int _cmp_pair(const void* a, const void* b) noexcept nogil:
    cdef double xa = (<const Pair*> a).x
    cdef double xb = (<const Pair*> b).x
    return (xa > xb) - (xa < xb)


cdef inline void _project_atom(double x, double p, const double* z, Py_ssize_t m, double* out) noexcept nogil:
    cdef Py_ssize_t lo, hi, mid
    cdef double wu
    if m == 1:
        out[0] += p
        return
    if x <= z[0]:
        out[0] += p
        return
    if x >= z[m - 1]:
        out[m - 1] += p
        return
    lo = 0
    hi = m - 1  # invariant z[lo] <= x < z[hi]
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if z[mid] <= x:
            lo = mid
        else:
            hi = mid
    wu = (x - z[lo]) / (z[lo + 1] - z[lo])
    out[lo] += p * (1.0 - wu)
    out[lo + 1] += p * wu


cdef inline void _quantiles_sorted(Pair* buf, Py_ssize_t K, Py_ssize_t n, double* out) noexcept nogil:
    # F^{-1}(tau) = the first atom whose cumulative weight reaches tau. The running sum is off by at most
    # K eps: a sum within 4 K eps of tau counts as reaching it, so an exact tie (weights summing to tau
    # exactly, e.g. two successors of one (s, a)) picks the same atom whatever order rounding sorted them in
    # (without it, the projection of an iterate could jump between the two neighbouring atoms).
    cdef Py_ssize_t i, k = 0
    cdef double c, tau
    cdef double slack = 4.0 * K * DBL_EPSILON
    qsort(buf, K, sizeof(Pair), _cmp_pair)
    c = buf[0].w
    for i in range(n):
        tau = (2.0 * i + 1.0) / (2.0 * n)
        while c < tau - slack and k < K - 1:
            k += 1
            c += buf[k].w
        out[i] = buf[k].x


def categorical_project(const double[:, ::1] atoms, const double[:, ::1] probs,
                        const double[::1] support, double[:, ::1] out):
    """Project each row of ``(atoms, probs)`` (N, K) onto ``support`` (m,) into ``out`` (N, m)."""
    cdef Py_ssize_t N = atoms.shape[0], K = atoms.shape[1], m = support.shape[0]
    cdef Py_ssize_t i, j, k
    for i in prange(N, nogil=True, schedule="static", use_threads_if=N * K * 8 > _PARALLEL_WORK):
        for j in range(m):
            out[i, j] = 0.0
        for k in range(K):
            _project_atom(atoms[i, k], probs[i, k], &support[0], m, &out[i, 0])


def quantile_project(const double[:, ::1] atoms, const double[:, ::1] probs, double[:, ::1] out):
    """Quantile-project each row of ``(atoms, probs)`` (N, K) into sorted ``out`` (N, n)."""
    cdef Py_ssize_t N = atoms.shape[0], K = atoms.shape[1], n = out.shape[1]
    cdef Py_ssize_t i, k
    cdef Pair* buf
    with nogil, parallel(use_threads_if=N * K * 8 > _PARALLEL_WORK):
        buf = <Pair*> malloc(K * sizeof(Pair))
        for i in prange(N, schedule="static"):
            for k in range(K):
                buf[k].x = atoms[i, k]
                buf[k].w = probs[i, k]
            _quantiles_sorted(buf, K, n, &out[i, 0])
        free(buf)


def categorical_sweep(const int64_t[::1] indptr, const int64_t[::1] indices, const double[::1] data,
                      const double[:, ::1] R, const double[:, ::1] pi, double gamma,
                      const double[::1] support, const double[:, ::1] probs_in, double[:, ::1] out):
    r"""``out = Pi_C T^pi probs_in``: mix next-state laws per (s, a), then project the shifted atoms."""
    cdef Py_ssize_t S = R.shape[0], A = R.shape[1], m = support.shape[0]
    cdef Py_ssize_t s, a, j, k, row, s2, l
    cdef double w, pk, r, x, wu
    cdef double* mix
    with nogil, parallel(use_threads_if=indices.shape[0] * m > _PARALLEL_WORK):
        mix = <double*> malloc(m * sizeof(double))
        for s in prange(S, schedule="dynamic", chunksize=16):
            for j in range(m):
                out[s, j] = 0.0
            for a in range(A):
                w = pi[s, a]
                if w == 0.0:
                    continue
                for j in range(m):
                    mix[j] = 0.0
                row = s * A + a
                for k in range(indptr[row], indptr[row + 1]):
                    pk = data[k]
                    s2 = indices[k]
                    for j in range(m):
                        mix[j] += pk * probs_in[s2, j]
                r = R[s, a]
                if m == 1:
                    out[s, 0] += w * mix[0]
                    continue
                # the atoms r + gamma z_j increase with j (gamma >= 0), so the
                # bracketing index l only moves right: a merge walk replaces the
                # bisection of _project_atom (same l, same weights)
                l = 0
                for j in range(m):
                    x = r + gamma * support[j]
                    pk = w * mix[j]
                    if x <= support[0]:
                        out[s, 0] += pk
                    elif x >= support[m - 1]:
                        out[s, m - 1] += pk
                    else:
                        while support[l + 1] <= x:
                            l = l + 1
                        wu = (x - support[l]) / (support[l + 1] - support[l])
                        out[s, l] += pk * (1.0 - wu)
                        out[s, l + 1] += pk * wu
        free(mix)


def quantile_sweep(const int64_t[::1] indptr, const int64_t[::1] indices, const double[::1] data,
                   const double[:, ::1] R, const double[:, ::1] pi, double gamma,
                   const double[:, ::1] locations_in, Py_ssize_t max_atoms, double[:, ::1] out):
    r"""``out = Pi_Q T^pi locations_in``; ``max_atoms`` bounds ``n * sum_a nnz(s, a)`` over states."""
    cdef Py_ssize_t S = R.shape[0], A = R.shape[1], n = locations_in.shape[1]
    cdef Py_ssize_t s, a, j, k, row, s2, K
    cdef double w, r
    cdef Pair* buf
    with nogil, parallel(use_threads_if=indices.shape[0] * n * 16 > _PARALLEL_WORK):
        buf = <Pair*> malloc(max_atoms * sizeof(Pair))
        for s in prange(S, schedule="dynamic", chunksize=4):
            K = 0
            for a in range(A):
                if pi[s, a] == 0.0:
                    continue
                row = s * A + a
                r = R[s, a]
                for k in range(indptr[row], indptr[row + 1]):
                    s2 = indices[k]
                    w = (pi[s, a] * data[k]) / n
                    for j in range(n):
                        buf[K].x = r + gamma * locations_in[s2, j]
                        buf[K].w = w
                        K = K + 1
            _quantiles_sorted(buf, K, n, &out[s, 0])
        free(buf)
