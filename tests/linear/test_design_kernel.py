"""Compiled G-optimal design: the Kiefer-Wolfowitz certificate, the pruning bound, parity with the NumPy reference.

Kiefer-Wolfowitz (Lattimore & Szepesvari 2020, Theorem 21.1) on the rows of a full-column-rank Z (m, r):
min_pi g(pi) = r, every design has g >= r, an optimal design with support <= r(r+1)/2 exists, and
log det V* - log det V(pi) <= g(pi) - r (concavity). Comparisons of two different factorizations of the same
matrix allow a relative rounding slack of 1e-10 (the matrices here have condition numbers below 1e3, so the
rounding error is below 1e3 * 2.2e-16 * r * 10, far below the slack and far below every theorem margin).
"""

import numpy as np
import pytest
import scipy.linalg

from rltheory.linear import g_optimal_design, log_det_design_cvxpy
from rltheory.linear._design_kernel import (
    _null_vector,
    design_g,
    frank_wolfe_design,
    g_optimal_design_kernel,
    greedy_spanning_rows,
    prune_design,
)

ROUND = 1e-10  # relative rounding slack between two factorizations (see the module docstring)
SHAPES = [(6, 1), (5, 5), (12, 4), (30, 3), (60, 5), (120, 8), (200, 10)]


def _g_numpy(Z, w):
    """g(pi) = max_a z_a^T V(pi)^{-1} z_a and log det V(pi), by NumPy (solve + slogdet), independently of the kernel."""
    V = (Z * w[:, None]).T @ Z
    norms = np.einsum("ai,ia->a", Z, np.linalg.solve(V, Z.T))
    return float(norms.max()), float(np.linalg.slogdet(V)[1])


def _arms(m, r, seed):
    return np.random.default_rng(seed).standard_normal((m, r))


@pytest.mark.parametrize("m,r", SHAPES)
@pytest.mark.parametrize("tol", [0.05, 1e-3])
def test_certificate_support_and_distribution(m, r, tol):
    for seed in range(3):
        Z = _arms(m, r, seed)
        w = np.empty(m)
        g, iterations, certified = g_optimal_design_kernel(Z, tol, 100_000, w)
        assert certified
        g_np, _ = _g_numpy(Z, w)
        assert abs(g_np - g) <= ROUND * g  # the reported g is g(pi) of the returned weights
        assert g_np <= r * (1 + tol) * (1 + ROUND)  # the certificate, recomputed independently
        assert g_np >= r * (1 - ROUND)  # sum_a pi(a) ||z_a||^2 = r, so g >= r for every design
        assert (w >= 0).all() and abs(w.sum() - 1.0) <= 1e-12
        assert np.count_nonzero(w) <= r * (r + 1) // 2  # Caratheodory bound of Theorem 21.1


@pytest.mark.parametrize("m,r", SHAPES)
def test_pruning_never_increases_g(m, r):
    """Both on Frank-Wolfe iterates (few support points) and on uniform designs (many pruning steps)."""
    for seed in range(3):
        Z = _arms(m, r, seed)
        for start in ("frank-wolfe", "uniform"):
            w = np.empty(m)
            if start == "frank-wolfe":
                frank_wolfe_design(Z, 1e-4, 100_000, w)
            else:
                w[:] = 1.0 / m
            g_before, _ = _g_numpy(Z, w)
            V_before = (Z * w[:, None]).T @ Z
            prune_design(Z, w)
            g_after, _ = _g_numpy(Z, w)
            assert g_after <= g_before * (1 + ROUND)
            # the identity behind it: the unnormalized moment matrix is unchanged, so V_after = V_before / mu, mu <= 1
            V_after = (Z * w[:, None]).T @ Z
            mu = np.trace(V_before) / np.trace(V_after)
            assert mu <= 1 + ROUND
            assert np.abs(mu * V_after - V_before).max() <= ROUND * np.abs(V_before).max()
            assert np.count_nonzero(w) <= r * (r + 1) // 2
            assert (w >= 0).all() and abs(w.sum() - 1.0) <= 1e-12


@pytest.mark.parametrize("m,r", [(12, 4), (30, 3), (60, 5), (100, 8)])
def test_kiefer_wolfowitz_against_the_python_design_and_cvxpy(m, r):
    tol = 0.05
    for seed in range(2):
        Z = _arms(m, r, 10 + seed)
        w = np.empty(m)
        g, _, certified = g_optimal_design_kernel(Z, tol, 100_000, w)
        assert certified
        g_k, ld_k = _g_numpy(Z, w)
        py = g_optimal_design(Z, tol=tol)
        # both certified: both in [r, r (1 + tol)], hence within each other's certificates
        for value in (g_k, py.g_value):
            assert r * (1 - ROUND) <= value <= r * (1 + tol) * (1 + ROUND)
        assert abs(g_k - py.g_value) <= r * tol * (1 + ROUND)
        # log det: the cvxpy weights are a feasible design, so ld_cvx <= ld* <= ld_k + (g_k - r); symmetrically
        # ld_k <= ld* <= ld_cvx + (g_cvx - r) with g_cvx the cvxpy design's own g (Kiefer-Wolfowitz gap bound)
        cvx = log_det_design_cvxpy(Z)
        w_cvx, ld_cvx = cvx.weights, cvx.log_det
        g_cvx, _ = _g_numpy(Z, np.asarray(w_cvx))
        assert ld_cvx - ld_k <= (g_k - r) + ROUND * abs(ld_k) + ROUND
        assert ld_k - ld_cvx <= (g_cvx - r) + ROUND * abs(ld_k) + ROUND
        assert abs(ld_k - py.log_det) <= max(g_k, py.g_value) - r + ROUND * abs(ld_k) + ROUND


@pytest.mark.parametrize("m,r", [(12, 4), (60, 5), (200, 10)])
def test_frank_wolfe_matches_the_numpy_reference_iterates(m, r):
    """Same start (pivoted-QR spanning rows), same exact line search: the unpruned iterates of g_optimal_design."""
    for seed in range(3):
        Z = _arms(m, r, 20 + seed)
        w = np.empty(m)
        iterations, certified = frank_wolfe_design(Z, 1e-3, 100_000, w)
        py = g_optimal_design(Z, tol=1e-3, prune=False)
        assert certified
        assert iterations == py.iterations
        assert np.allclose(w, py.weights, rtol=0.0, atol=1e-10)


@pytest.mark.parametrize("m,r", SHAPES)
def test_greedy_spanning_rows_are_the_pivoted_qr_pivots(m, r):
    for seed in range(3):
        Z = _arms(m, r, 30 + seed)
        out = np.empty(r, dtype=np.int64)
        assert greedy_spanning_rows(Z, out) == r
        assert out.tolist() == scipy.linalg.qr(Z.T, mode="r", pivoting=True)[1][:r].tolist()
        assert np.linalg.matrix_rank(Z[out]) == r


def test_iteration_cap_reports_the_true_g_without_certifying():
    r, m = 5, 60
    Z = _arms(m, r, 3)
    w = np.empty(m)
    for cap in (0, 1, 3):
        g, iterations, certified = g_optimal_design_kernel(Z, 1e-6, cap, w)
        assert iterations <= cap
        g_np, _ = _g_numpy(Z, w)
        assert abs(g_np - g) <= ROUND * g
        assert certified == (g <= r * (1 + 1e-6))
        assert not certified  # far from optimal after <= 3 steps on this instance
    # max_iter = 0 returns the initial design, certified when it already is optimal: the uniform design on an
    # orthonormal basis with the other rows inside the unit ball has g = r exactly
    Z = np.vstack([np.eye(r), 0.5 * np.eye(r)[::-1]])
    w = np.empty(2 * r)
    g, iterations, certified = g_optimal_design_kernel(Z, 1e-9, 0, w)
    assert (iterations, certified) == (0, True)
    assert np.allclose(w[:r], 1.0 / r) and (w[r:] == 0).all()
    assert abs(g - r) <= ROUND * r


def test_design_g_is_the_numpy_value():
    Z = _arms(40, 6, 4)
    w = np.random.default_rng(5).dirichlet(np.ones(40))
    norms = np.empty(40)
    g, logdet = design_g(Z, w, norms)
    g_np, ld_np = _g_numpy(Z, w)
    assert abs(g - g_np) <= ROUND * g_np
    assert abs(logdet - ld_np) <= ROUND * (1 + abs(ld_np))


def test_null_vector_of_full_and_rank_deficient_matrices():
    rng = np.random.default_rng(6)
    cases = [
        rng.standard_normal((15, 16)),
        rng.standard_normal((10, 3)) @ rng.standard_normal((3, 11)),
        np.zeros((4, 5)),
        np.hstack([np.eye(3), np.eye(3)[:, :1]]),
    ]
    for M in cases:
        c = np.empty(M.shape[1])
        _null_vector(M.copy(), c)
        assert abs(np.linalg.norm(c) - 1.0) <= 1e-12
        assert np.abs(M @ c).max() <= 1e-12 * max(1.0, np.abs(M).max())
