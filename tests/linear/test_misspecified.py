"""Misspecified linear bandits: the design baseline's eps sqrt(d) and the sparse 4 eps guarantees, query counts."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.linear import MisspecifiedLinearBandit, design_baseline, sparse_support_enumeration


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 6), s=st.integers(1, 2), eps=st.sampled_from([0.02, 0.1, 0.3]))
def test_guarantees_hold_on_random_sparse_instances(seed, d, s, eps):
    s = min(s, d)
    b = MisspecifiedLinearBandit.random_sparse(d, 40, s, eps, rng=seed)
    base = design_baseline(b)
    sparse = sparse_support_enumeration(b, s)
    # Cauchy-Schwarz + Kiefer-Wolfowitz: 2 eps (1 + sqrt(g)); enumeration: 4 eps (docstring derivations)
    assert base.suboptimality <= base.guarantee + 1e-12
    assert sparse.suboptimality <= 4 * eps + 1e-12
    assert base.queries <= d * (d + 1) // 2
    # candidate count <= C(d, s) (2 ceil(s B A_max / (2 eps)) + 1)^s = O(eps^-s d^s)
    amax = np.abs(b.arms).max()
    assert sparse.candidates <= math.comb(d, s) * (2 * math.ceil(s * amax / (2 * eps)) + 1) ** s
    assert sparse.queries <= min(40, sparse.candidates)


def test_adversarial_instance_makes_the_baseline_pay_but_not_the_sparse_algorithm():
    rng = np.random.default_rng(0)
    eps = 0.02
    ratios = {}
    for d in (4, 16):
        vals = []
        for _ in range(3):
            X = rng.normal(size=(150, d))
            X /= np.linalg.norm(X, axis=1, keepdims=True)
            th = np.zeros(d)
            th[0] = 0.1
            b = MisspecifiedLinearBandit.adversarial_for_design(X, th, eps)
            vals.append(design_baseline(b).suboptimality / eps)
            assert sparse_support_enumeration(b, 1).suboptimality <= 4 * eps + 1e-12
        ratios[d] = np.mean(vals)
    assert ratios[16] > ratios[4] > 0.5  # grows with d (the eps sqrt(d) barrier)


def test_validation():
    with pytest.raises(ValueError, match="exceeds epsilon"):
        MisspecifiedLinearBandit(np.eye(2), [1.0, 0.0], [0.2, 0.0], 0.1)
    b = MisspecifiedLinearBandit(np.eye(2), [1.0, 0.0], [0.0, 0.0], 0.1)
    with pytest.raises(ValueError, match="sparsity"):
        sparse_support_enumeration(b, 3)
    with pytest.raises(ValueError, match="theta_bound"):
        sparse_support_enumeration(b, 1, theta_bound=0.5)
    with pytest.raises(ValueError, match="epsilon > 0"):
        sparse_support_enumeration(MisspecifiedLinearBandit(np.eye(2), [1.0, 0.0], [0.0, 0.0], 0.0), 1)


def test_scalar_validation_uses_the_shared_checks():
    b = MisspecifiedLinearBandit(np.eye(2), [1.0, 0.0], [0.0, 0.0], 0.1)
    with pytest.raises(ValueError, match="theta_bound = 0.0 must be > 0.0"):
        sparse_support_enumeration(b, 1, theta_bound=0.0)
    with pytest.raises(ValueError, match="sparsity must be an int"):
        sparse_support_enumeration(b, True)
    with pytest.raises(ValueError, match="sparsity = 3 must be <= 2"):
        MisspecifiedLinearBandit.random_sparse(2, 5, 3, 0.1, rng=0)
    with pytest.raises(ValueError, match="epsilon"):
        MisspecifiedLinearBandit(np.eye(2), [1.0, 0.0], [0.0, 0.0], -0.1)
    with pytest.raises(ValueError, match="theta has shape"):
        MisspecifiedLinearBandit(np.eye(2), [1.0], [0.0, 0.0], 0.1)
    with pytest.raises(ValueError, match="arm = 2 must be <= 1"):
        b.suboptimality(2)
