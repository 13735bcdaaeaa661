"""LinearMDP: validation, the one-hot reduction of a tabular MDP, low rank, exact planning."""

import numpy as np
import pytest

from rltheory.linear import LinearMDP
from rltheory.tabular import FiniteMDP


def test_validation():
    phi = np.ones((2, 1, 1))
    mu = np.array([[[0.5, 0.5]]])
    with pytest.raises(ValueError, match="sums to"):
        LinearMDP(phi, 2 * mu, [[0.5]], [1.0, 0.0])
    with pytest.raises(ValueError, match="negative"):
        LinearMDP(phi, np.array([[[1.5, -0.5]]]), [[0.5]], [1.0, 0.0])
    with pytest.raises(ValueError, match="outside"):
        LinearMDP(phi, mu, [[1.5]], [1.0, 0.0])
    with pytest.raises(ValueError, match="mu has shape"):
        LinearMDP(phi, np.ones((1, 2, 2)), [[0.5]], [1.0, 0.0])
    m = LinearMDP(phi, mu, [[0.5]], [1.0, 0.0])
    with pytest.raises(ValueError, match="policy"):
        m.policy_values(np.zeros((2, 2), dtype=int))


def test_from_tabular_one_hot_reproduces_the_tabular_kernel_and_values():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4), size=(4, 2))
    R = rng.uniform(0, 1, (4, 2))
    mdp = FiniteMDP(P, R, gamma=0.9)
    lin = LinearMDP.from_tabular(mdp, 6)
    assert lin.dim == 8
    assert np.allclose(lin.P, P[None], atol=1e-15) and np.allclose(lin.R, R[None], atol=1e-15)
    opt = lin.optimal_values()
    V, Q, pol = opt.v, opt.q, opt.policy
    # Bellman optimality equations hold; the greedy policy attains V* (backward induction, Puterman 2005 Thm 4.5.1)
    for h in range(6):
        assert np.allclose(Q[h], R + P @ V[h + 1], atol=1e-13)
    assert np.allclose(lin.policy_values(pol), V, atol=1e-12)


def test_random_low_rank_model_has_rank_at_most_d():
    m = LinearMDP.random(12, 3, 4, horizon=3, rng=1)
    for h in range(3):
        assert np.linalg.matrix_rank(m.P[h].reshape(36, 12)) <= 4
