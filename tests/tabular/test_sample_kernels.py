"""Parity of the compiled sampling / learning kernels with their NumPy references, and the inverse-CDF identity."""

import numpy as np
import scipy.sparse as sp

from rltheory.tabular import _sample_kernels as K
from rltheory.tabular import _sample_reference as ref
from rltheory.tabular._samples import transition_cdf
from tests.tabular._helpers import random_mdp


def _csr_with_zeros(seed):
    rng = np.random.default_rng(seed)
    dense = rng.dirichlet(np.ones(5), size=7)
    dense[dense < 0.15] = 0.0
    dense[:, -1] += 1.0 - dense.sum(axis=1)  # rows sum to 1, some trailing zeros, some stored zeros below
    dense = np.abs(dense)
    dense /= dense.sum(axis=1, keepdims=True)
    M = sp.csr_array(dense)
    # store explicit zeros too: they must never be sampled
    data = np.concatenate([M.data, np.zeros(7)])
    rows = np.concatenate([np.repeat(np.arange(7), np.diff(M.indptr)), np.arange(7)])
    cols = np.concatenate([M.indices, np.full(7, 4)])
    coo = sp.coo_array((data, (rows, cols)), shape=(7, 5))
    Z = sp.csr_array((coo.data, (coo.row, coo.col)), shape=(7, 5))
    Z.sort_indices()
    return dense, Z


def test_row_cumsum_matches_reference_and_ends_at_one():
    for seed in range(5):
        dense, Z = _csr_with_zeros(seed)
        out = np.empty(Z.nnz)
        K.row_cumsum(Z.data, Z.indptr.astype(np.int64), out)
        np.testing.assert_array_equal(out, ref.row_cumsum_reference(Z.data, Z.indptr))
        for r in range(7):
            seg = out[Z.indptr[r] : Z.indptr[r + 1]]
            assert seg[-1] == 1.0 and np.all(np.diff(seg) >= 0)


def test_sample_rows_is_the_inverse_cdf_exactly():
    # with M uniforms on the grid (k + 1/2)/M, the fraction mapped to entry j is P[j] within 1/M (each cell of
    # the CDF of length p captures between p M - 1 and p M + 1 grid points): exact, no randomness
    M = 20_000
    for seed in range(3):
        dense, Z = _csr_with_zeros(seed)
        cum = np.empty(Z.nnz)
        K.row_cumsum(Z.data, Z.indptr.astype(np.int64), cum)
        u = (np.arange(M) + 0.5) / M
        for r in range(7):
            out = np.empty(M, dtype=np.int64)
            K.sample_rows(cum, Z.indices.astype(np.int64), Z.indptr.astype(np.int64), np.full(M, r), u, out)
            freq = np.bincount(out, minlength=5) / M
            assert np.all(np.abs(freq - dense[r]) <= 1.0 / M + 1e-12)
            assert np.all(freq[dense[r] == 0] == 0)  # zero-probability successors (stored zeros too) never drawn


def test_sample_rows_matches_reference_bit_for_bit():
    rng = np.random.default_rng(3)
    dense, Z = _csr_with_zeros(1)
    cum = ref.row_cumsum_reference(Z.data, Z.indptr)
    rows = rng.integers(0, 7, 5000)
    u = rng.random(5000)
    u[:3] = [0.0, np.nextafter(1.0, 0.0), 0.5]
    out = np.empty(5000, dtype=np.int64)
    K.sample_rows(cum, Z.indices.astype(np.int64), Z.indptr.astype(np.int64), rows, u, out)
    np.testing.assert_array_equal(out, ref.sample_rows_reference(cum, Z.indices, Z.indptr, rows, u))


def test_q_learning_sweeps_match_reference():
    mdp = random_mdp(5, 3, 0.9, seed=4)
    cdf = transition_cdf(mdp)
    rng = np.random.default_rng(0)
    mask = np.ones((5, 3), dtype=np.uint8)
    mask[2, 1] = 0
    u = rng.random((40, 15))
    etas = 1.0 / (1.0 + 0.1 * np.arange(40))
    q0 = rng.random((5, 3))
    q = q0.copy()
    K.q_learning_sweeps(q, *cdf, np.asarray(mdp.R), mask, 0.9, u, etas, np.empty(5))
    expected = ref.q_learning_sweeps_reference(q0, *cdf, np.asarray(mdp.R), mask.astype(bool), 0.9, u, etas)
    np.testing.assert_allclose(q, expected, rtol=0, atol=1e-13)
    assert q[2, 1] == q0[2, 1]  # a disallowed pair is never updated


def test_vi_lcb_loop_matches_reference():
    rng = np.random.default_rng(5)
    S, A, N, T = 6, 3, 3000, 8
    s = rng.integers(0, S, N)
    a = rng.integers(0, A, N)
    r = rng.random(N)
    s2 = rng.integers(0, S, N)
    order = rng.permutation(N)
    bounds = np.linspace(0, N, T + 2).astype(np.int64)
    pairs = s * A + a
    m0 = np.bincount(pairs[order[bounds[0] : bounds[1]]], minlength=S * A).reshape(S, A)
    v = np.zeros(S)
    policy = np.argmax(m0, axis=1).astype(np.int64)
    q = np.empty((S, A))
    hist = np.empty((T + 1, S))
    K.vi_lcb_loop(
        pairs, r, s2, order, bounds, S, A, 0.8, 5.0, 0.3, v, policy, q, np.empty(S * A, np.int64), np.empty(S * A), hist
    )
    v_ref, pol_ref, q_ref, hist_ref = ref.vi_lcb_reference(s, a, r, s2, order, bounds, S, A, 0.8, 5.0, 0.3)
    np.testing.assert_allclose(v, v_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(q, q_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hist, hist_ref, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(policy, pol_ref)
    assert np.all(np.diff(hist, axis=0) >= 0)  # the monotone update never lowers a value
