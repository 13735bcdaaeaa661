"""Compiled kernels (_kernels.pyx) against their NumPy references (_reference.py)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rltheory.distributional import _kernels
from rltheory.distributional._operators import csr_arrays
from rltheory.distributional._reference import (
    categorical_projection_reference,
    categorical_sweep_reference,
    quantile_projection_reference,
    quantile_sweep_reference,
)
from rltheory.proofs_checks.strategies import finite_mdps, policies

# Kernel and reference do the same arithmetic in a different summation order:
# each output entry is a sum of at most K terms of size <= 1, so they agree to
# a few K ulps.
PARITY_ATOL = 1e-12


@st.composite
def batches(draw):
    N, K, m = draw(st.integers(1, 5)), draw(st.integers(1, 8)), draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    z = np.sort(rng.uniform(-5, 5, m)) + np.arange(m) * 1e-3  # strictly increasing
    x = rng.uniform(-7, 7, (N, K))
    if draw(st.booleans()):  # some atoms exactly on the support
        x.ravel()[: min(N * K, m)] = z[: min(N * K, m)]
    p = rng.random((N, K)) + 1e-3
    p /= p.sum(axis=1, keepdims=True)
    return x, p, z


@given(batches())
def test_categorical_projection_parity(b):
    x, p, z = b
    out = np.empty((x.shape[0], z.size))
    _kernels.categorical_project(x, p, z, out)
    np.testing.assert_allclose(out, categorical_projection_reference(x, p, z), rtol=0, atol=PARITY_ATOL)


@given(batches(), st.integers(1, 9))
def test_quantile_projection_parity(b, n):
    x, p, _ = b
    out = np.empty((x.shape[0], n))
    _kernels.quantile_project(x, p, out)
    np.testing.assert_array_equal(out, quantile_projection_reference(x, p, n))


@given(st.data(), st.integers(1, 11))
def test_categorical_sweep_parity(data, m):
    mdp = data.draw(finite_mdps(n_states=st.integers(1, 5), sparse=st.booleans(), action_mask=True))
    pi = mdp.policy_matrix(data.draw(policies(mdp)))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    z = np.sort(rng.uniform(-12, 12, m)) + np.arange(m) * 1e-3
    probs = rng.random((mdp.n_states, m))
    probs /= probs.sum(axis=1, keepdims=True)
    arrays = csr_arrays(mdp)
    out = np.empty_like(probs)
    _kernels.categorical_sweep(*arrays, np.ascontiguousarray(mdp.R), pi, mdp.gamma, z, probs, out)
    np.testing.assert_allclose(
        out, categorical_sweep_reference(*arrays, mdp.R, pi, mdp.gamma, z, probs), rtol=0, atol=PARITY_ATOL
    )


@given(st.data(), st.integers(1, 7))
def test_quantile_sweep_parity(data, n):
    mdp = data.draw(finite_mdps(n_states=st.integers(1, 5), sparse=st.booleans(), action_mask=True))
    pi = mdp.policy_matrix(data.draw(policies(mdp)))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    L = np.sort(rng.uniform(-5, 5, (mdp.n_states, n)), axis=1)
    indptr, indices, dat = csr_arrays(mdp)
    max_atoms = int((np.diff(indptr).reshape(mdp.n_states, -1) * (pi > 0)).sum(axis=1).max()) * n
    out = np.empty_like(L)
    _kernels.quantile_sweep(indptr, indices, dat, np.ascontiguousarray(mdp.R), pi, mdp.gamma, L, max_atoms, out)
    ref = quantile_sweep_reference(indptr, indices, dat, mdp.R, pi, mdp.gamma, L)
    # same atoms and masses; only ties of equal atoms may be visited in another
    # order, which cannot change a selected value
    np.testing.assert_allclose(out, ref, rtol=0, atol=PARITY_ATOL)
