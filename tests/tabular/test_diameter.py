"""diameter: closed forms (chains, RiverSwim as a birth-death chain, exactly), brute force over all deterministic
policies, almost-sure reachability, sparse = dense."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from rltheory.tabular import FiniteMDP, diameter
from rltheory.tabular.envs import garnet, river_swim


def _reach(adj):
    """Reflexive-transitive closure of a boolean adjacency matrix (repeated squaring)."""
    R = adj | np.eye(adj.shape[0], dtype=bool)
    for _ in range(adj.shape[0]):
        R = R | ((R.astype(int) @ R.astype(int)) > 0)
    return R


def _brute_force(mdp):
    """min over deterministic stationary policies of E[hitting time], by one linear solve per (policy, target).

    Under a fixed chain with the target made absorbing, the target is hit almost surely from s iff s reaches no
    state that cannot reach the target; on those states h = 1 + Q h.
    """
    S = mdp.n_states
    P = np.asarray(mdp.dense_P)
    mask = np.asarray(mdp.action_mask)
    best = np.full((S, S), np.inf)
    np.fill_diagonal(best, 0.0)
    for pol in itertools.product(*[np.flatnonzero(mask[s]) for s in range(S)]):
        Ppi = P[np.arange(S), list(pol)]
        for target in range(S):
            adj = Ppi > 0
            adj[target] = False
            R = _reach(adj)
            can = R[:, target]
            sure = ~(R & ~can[None, :]).any(axis=1)
            F = [s for s in range(S) if sure[s] and s != target]
            if not F:
                continue
            Q = Ppi[np.ix_(F, F)]
            h = np.linalg.solve(np.eye(len(F)) - Q, np.ones(len(F)))
            best[F, target] = np.minimum(best[F, target], h)
    return best


def _chain(S):
    P = np.zeros((S, 2, S))
    for s in range(S):
        P[s, 0, max(s - 1, 0)] = 1.0
        P[s, 1, min(s + 1, S - 1)] = 1.0
    return FiniteMDP(P, np.zeros((S, 2)), gamma=1.0)


@pytest.mark.parametrize("S", [2, 3, 7])
def test_a_deterministic_chain_has_diameter_its_length(S):
    res = diameter(_chain(S))
    assert res.diameter == S - 1 and (res.source, res.target) == (0, S - 1)
    i, j = np.indices((S, S))
    np.testing.assert_array_equal(res.hitting_times, np.abs(i - j))


def _birth_death_hitting_time(p_right, p_left):
    """E_0[tau_{n-1}] for a birth-death chain swimming right: m_i = (1 + q_i m_{i-1}) / p_i, summed (exact)."""
    total, m = Fraction(0), Fraction(0)
    for p, q in zip(p_right, p_left):
        m = (1 + q * m) / p
        total += m
    return total


@pytest.mark.parametrize("variant", ["osband", "strehl-littman"])
def test_riverswim_diameter_is_the_upstream_birth_death_hitting_time_exactly(variant):
    # the slowest pair is the left bank -> the right bank, swimming right all the way (left moves away);
    # swimming right is a birth-death chain, whose expected passage times have the closed form above
    n = 6
    mdp = river_swim(n, gamma=1, variant=variant)
    res = diameter(mdp)
    P = mdp.P_exact
    p_right = [P[s, 1, s + 1] for s in range(n - 1)]
    p_left = [Fraction(0)] + [P[s, 1, s - 1] for s in range(1, n - 1)]
    expected = _birth_death_hitting_time(p_right, p_left)
    assert res.diameter_exact == expected
    assert (res.source, res.target) == (0, n - 1)
    assert res.diameter == float(expected)
    assert res.hitting_times_exact[n - 1, 0] == n - 1  # swimming left is deterministic
    assert (res.policies[n - 1][: n - 1] == 1).all()


@pytest.mark.parametrize("seed", range(8))
def test_diameter_is_the_brute_force_minimum_over_deterministic_policies(seed):
    g = np.random.default_rng(seed)
    S, A = int(g.integers(2, 5)), int(g.integers(1, 4))
    mdp = garnet(S, A, int(g.integers(1, S + 1)), rng=seed, gamma=0.5)
    mdp = FiniteMDP(mdp.P, mdp.R, gamma=1.0)
    res = diameter(mdp)
    brute = _brute_force(mdp)
    finite = np.isfinite(brute)
    np.testing.assert_array_equal(np.isfinite(res.hitting_times), finite)
    np.testing.assert_allclose(res.hitting_times[finite], brute[finite], rtol=1e-9, atol=0)
    # the returned policies attain the hitting times
    P = np.asarray(mdp.dense_P)
    for target in range(S):
        others = [s for s in range(S) if s != target and np.isfinite(res.hitting_times[s, target])]
        if not others:
            continue
        pol = res.policies[target]
        Q = P[others, pol[others]][:, others]
        h = np.linalg.solve(np.eye(len(others)) - Q, np.ones(len(others)))
        np.testing.assert_allclose(h, res.hitting_times[others, target], rtol=1e-9)


def test_a_risky_action_has_infinite_hitting_time_and_is_avoided():
    # state 0: action 0 reaches 2 or falls into the trap 1 (absorbing) with probability 1/2 each; action 1 reaches
    # 2 through two steps. Reaching 2 almost surely needs action 1 (expected time 2), and 1 never reaches anything
    P = np.zeros((4, 2, 4))
    P[0, 0, 2] = P[0, 0, 1] = 0.5
    P[0, 1, 3] = 1.0
    P[1, :, 1] = 1.0
    P[2, :, 0] = 1.0
    P[3, :, 2] = 1.0
    res = diameter(FiniteMDP(P, np.zeros((4, 2)), gamma=1.0))
    assert res.hitting_times[0, 2] == 2.0 and res.policies[2, 0] == 1
    assert np.isinf(res.hitting_times[1]).sum() == 3 and res.diameter == np.inf
    assert res.hitting_times[2, 0] == 1.0 and res.policies[2, 3] in (0, 1)


def test_sparse_and_exact_models_agree_with_the_dense_float_one():
    mdp = river_swim(6, gamma=1, variant="osband")
    dense = FiniteMDP(np.asarray(mdp.dense_P, dtype=float), np.asarray(mdp.R, dtype=float), gamma=1.0)
    sparse = FiniteMDP(sp.csr_array(dense.dense_P.reshape(12, 6)), dense.R, gamma=1.0)
    exact = diameter(mdp)
    for res in (diameter(dense), diameter(sparse)):
        assert res.diameter_exact is None
        assert res.diameter == pytest.approx(float(exact.diameter_exact), rel=1e-12)
    one = diameter(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0))
    assert one.diameter == 0.0 and (one.source, one.target) == (-1, -1)
    with pytest.raises(ValueError, match="diameter needs a FiniteMDP"):
        diameter(np.eye(2))
