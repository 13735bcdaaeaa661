"""G-optimal design: Kiefer-Wolfowitz certificate, support bound, cvxpy log-det cross-check."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.linear import g_optimal_design, log_det_design_cvxpy

EPS = np.finfo(float).eps


@st.composite
def arm_sets(draw):
    d = draw(st.integers(1, 6))
    K = draw(st.integers(d, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(K, d)) * rng.uniform(0.1, 3.0, size=(K, 1))
    if draw(st.booleans()):  # duplicate arms
        X = np.vstack([X, X[: K // 2]])
    return X


def _g(X, w):
    V = (X * w[:, None]).T @ X
    return float(np.max(np.einsum("kd,de,ke->k", X, np.linalg.inv(V), X)))


@settings(max_examples=40)
@given(X=arm_sets(), tol=st.sampled_from([1e-1, 1e-2, 1e-3]))
def test_design_weights_and_kiefer_wolfowitz_bound(X, tol):
    K, d = X.shape
    res = g_optimal_design(X, tol=tol)
    w = res.weights
    assert w.shape == (K,) and (w >= 0).all()
    assert abs(w.sum() - 1.0) <= 4 * K * EPS
    g = _g(X, w)
    allow = 1e3 * EPS * d * np.linalg.cond((X * w[:, None]).T @ X)
    # Kiefer-Wolfowitz (Lattimore & Szepesvari 2020, Thm 21.1): min_pi g(pi) = d, so d <= g(pi) <= d (1 + tol)
    assert d - allow <= g <= d * (1 + tol) + allow
    assert res.support.size <= d * (d + 1) // 2
    assert np.array_equal(res.support, np.flatnonzero(w > 0))


@pytest.mark.parametrize("K,d,seed", [(30, 3, 0), (60, 5, 1), (200, 8, 2)])
def test_frank_wolfe_matches_cvxpy_log_det_within_gap_bound(K, d, seed):
    X = np.random.default_rng(seed).normal(size=(K, d))
    res = g_optimal_design(X, tol=1e-3)
    cvx = log_det_design_cvxpy(X)
    ld_cvx = cvx.log_det
    # concavity: log det V* - log det V(pi) <= g(pi) - d; the conic solver is accurate to ~1e-7
    assert ld_cvx - res.log_det <= res.log_det_gap_bound + 1e-6
    # the same certificate for the solver's design, from its own g: no design beats it by more
    assert res.log_det - ld_cvx <= cvx.log_det_gap_bound + 1e-12
    assert res.log_det <= ld_cvx + 1e-6  # cvxpy's is the maximum
    # the cvxpy design is itself (nearly) G-optimal: g = d at the optimum
    assert _g(X, cvx.weights) <= d * (1 + 1e-3)
    assert abs(cvx.g_value - _g(X, cvx.weights)) <= 1e-9 * d and cvx.status == "optimal"
    assert not cvx.weights.flags.writeable and not res.weights.flags.writeable


def test_orthonormal_basis_design_is_uniform():
    res = g_optimal_design(np.eye(4), tol=1e-9)
    assert np.allclose(res.weights, 0.25, atol=1e-12)
    assert res.iterations == 0 and res.converged
    assert abs(res.residual) <= 1e-12  # g = d exactly at the optimum (Kiefer-Wolfowitz)


def test_errors():
    with pytest.raises(ValueError, match="rank"):
        g_optimal_design(np.array([[1.0, 1.0], [2.0, 2.0]]))
    with pytest.raises(ValueError, match="tol"):
        g_optimal_design(np.eye(2), tol=0)
    with pytest.raises(ValueError, match="max_iter"):
        g_optimal_design(np.eye(2), max_iter=-1)


def test_hitting_max_iter_is_a_result_not_an_error():
    """converged=False when the certificate is not reached in max_iter steps; max_iter=0 is the start design."""
    X = np.random.default_rng(0).normal(size=(50, 5))
    res = g_optimal_design(X, tol=1e-9, max_iter=3)
    assert not res.converged and res.iterations == 3
    assert res.residual == res.g_value / 5 - 1 > 1e-9
    # the gap bound is a certificate for any design, converged or not
    assert g_optimal_design(X, tol=1e-6).log_det - res.log_det <= res.log_det_gap_bound
    start = g_optimal_design(X, max_iter=0, prune=False)
    assert start.iterations == 0 and start.support.size == 5  # uniform on d spanning arms
    assert start.converged == (start.g_value <= 5 * (1 + 1e-3))
