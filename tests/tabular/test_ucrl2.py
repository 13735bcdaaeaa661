"""UCRL2 and extended value iteration: Fig. 2 is the exact L1-ball maximiser, EVI = its NumPy twin, optimism,
doubling episodes (Jaksch et al. 2010, Prop. 18), agent = NumPy reference on the same streams, validation."""

import math

import numpy as np
import pytest
from scipy.optimize import linprog

from rltheory.simulation import kind_of, run_states, simulate
from rltheory.tabular import (
    UCRL2,
    FiniteMDP,
    NoisyRewards,
    average_reward_policy_iteration,
    extended_value_iteration,
    gain_and_bias,
)
from rltheory.tabular._average_reward_reference import extended_value_iteration_reference, ucrl2_reference_run
from rltheory.tabular._ucrl2 import (
    INFO_EPISODES,
    INFO_GAIN_LOWER,
    INFO_GAIN_UPPER,
    INFO_NOT_CONVERGED,
    INFO_T_K,
    _inner_max,
    _inner_max_support,
)
from rltheory.tabular.envs import garnet, river_swim

from ._helpers import actions_of, step_continuing_agent


def _l1_ball_lp(p_hat, d, u):
    """max p.u over the simplex with ||p - p_hat||_1 <= d, as an LP in (p, e) with e >= |p - p_hat| (HiGHS)."""
    S = p_hat.size
    c = np.concatenate([-u, np.zeros(S)])
    eye = np.eye(S)
    A_ub = np.block([[eye, -eye], [-eye, -eye], [np.zeros((1, S)), np.ones((1, S))]])
    b_ub = np.concatenate([p_hat, -p_hat, [d]])
    A_eq = np.concatenate([np.ones(S), np.zeros(S)])[None, :]
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * (2 * S), method="highs")
    assert res.status == 0
    return -res.fun


@pytest.mark.parametrize("seed", range(12))
def test_fig2_inner_maximum_is_the_l1_ball_optimum(seed):
    # Jaksch et al. (2010), Sec. 3.1.2 / Fig. 2: the sorting argument returns max_{p in P(s,a)} p.u exactly
    g = np.random.default_rng(seed)
    S = int(g.integers(2, 9))
    p_hat = g.dirichlet(np.full(S, 0.5))
    d = float(g.choice([0.0, g.uniform(0, 0.3), g.uniform(0.3, 2.5)]))
    u = g.normal(size=S)
    p = np.empty(S)
    value = _inner_max(p_hat, d, u, np.argsort(-u, kind="mergesort"), p)
    assert abs(p.sum() - 1.0) < 1e-12 and (p >= 0).all()
    assert np.abs(p - p_hat).sum() <= d + 1e-12
    assert value == pytest.approx(float(p @ u), abs=1e-12)
    assert value == pytest.approx(_l1_ball_lp(p_hat, d, u), abs=1e-7)  # HiGHS' feasibility tolerance


@pytest.mark.parametrize("seed", range(40))
def test_fig2_on_the_support_is_the_dense_fig2_bit_for_bit(seed):
    # EVI's sweeps run Fig. 2 on the support of p_hat: skipping zero entries must not change a single bit
    g = np.random.default_rng(seed)
    S = int(g.integers(1, 12))
    counts = g.integers(0, 6, size=S) * (g.random(S) < g.uniform(0.1, 1.0))
    if seed % 7 == 0:
        counts[:] = 0  # an unvisited pair: p_hat = 0
    p_hat = counts / counts.sum() if counts.sum() else np.zeros(S)
    d = float(g.choice([0.0, g.uniform(0, 0.4), g.uniform(0.4, 3.0)]))
    u = g.normal(size=S) * g.choice([1e-3, 1.0, 1e3])
    u[g.random(S) < 0.3] = 0.0  # ties
    order = np.argsort(-u, kind="mergesort")
    rank = np.empty(S, dtype=np.int64)
    rank[order] = np.arange(S)
    supp = np.flatnonzero(p_hat).astype(np.int64)
    p_dense, p_sparse = np.empty(S), np.full(S, np.nan)
    value = _inner_max(p_hat, d, u, order, p_dense)
    value_support = _inner_max_support(
        p_hat,
        d,
        u,
        int(order[0]),
        rank,
        np.concatenate([supp, np.zeros(S, np.int64)]),
        supp.size,
        np.empty(S, dtype=np.int64),
        p_sparse,
    )
    assert value_support == value  # identical floating-point result
    written = np.union1d(supp, [order[0]])
    np.testing.assert_array_equal(p_sparse[written], p_dense[written])
    assert (p_dense[np.setdiff1d(np.arange(S), written)] == 0).all()


def _instance(seed, S=6, A=3, unvisited=2):
    g = np.random.default_rng(seed)
    counts = g.integers(0, 30, size=(S, A, S)).astype(float)
    for _ in range(unvisited):
        counts[g.integers(S), g.integers(A)] = 0.0
    N = counts.sum(axis=2)
    p_hat = counts / np.maximum(N, 1)[:, :, None]
    r_hat = g.uniform(0, 1, size=(S, A))
    t = max(float(N.sum()), 1.0)
    r_rad = np.sqrt(7 * math.log(2 * S * A * t / 0.05) / (2 * np.maximum(N, 1)))
    p_rad = np.sqrt(14 * S * math.log(2 * A * t / 0.05) / np.maximum(N, 1))
    return p_hat, r_hat, p_rad * g.uniform(0.01, 0.2), r_rad * g.uniform(0.01, 0.2), t


@pytest.mark.parametrize("seed", range(6))
def test_compiled_evi_equals_its_numpy_reference(seed):
    p_hat, r_hat, p_rad, r_rad, t = _instance(seed)
    mask = np.ones(r_hat.shape, dtype=bool)
    mask[0, 1] = False
    res = extended_value_iteration(p_hat, r_hat, p_rad, r_rad, tol=1e-8, action_mask=mask)
    u, pol, sweeps, converged, lo, hi = extended_value_iteration_reference(
        p_hat, np.minimum(1, r_hat + r_rad), p_rad, mask, 1e-8, 100_000
    )
    assert res.converged and converged and res.iterations == sweeps
    np.testing.assert_array_equal(res.policy, pol)
    # the two sum in different orders: per sweep ~ S ulps of the values, accumulated over the sweeps
    tol = 8 * sweeps * p_hat.shape[0] * np.finfo(float).eps * (1 + np.abs(u).max())
    np.testing.assert_allclose(res.bias, u, rtol=0, atol=tol)
    assert abs(res.gain_lower - lo) <= tol and abs(res.gain_upper - hi) <= tol
    assert res.policy[0] != 1  # never a disallowed action


@pytest.mark.parametrize("seed", range(5))
def test_evi_is_optimistic_and_its_policy_is_near_optimal_on_the_optimistic_model(seed):
    # the true model in the confidence set => g* <= gain_upper (Odoni: any policy's gain <= max(Tu - u)), and at
    # the stop gain_lower > gain_upper - tol >= g~* - tol >= g* - tol (Jaksch et al. 2010, Thm 7 / Eq. (6))
    mdp = garnet(5, 2, 3, rng=seed, gamma=0.9)
    mdp = FiniteMDP(mdp.P, mdp.R, gamma=1.0)
    g_star = float(average_reward_policy_iteration(mdp).gain[0])
    p_rad = np.full((5, 2), 0.2)
    r_rad = np.full((5, 2), 0.05)
    tol = 1e-6
    res = extended_value_iteration(mdp.dense_P, mdp.R, p_rad, r_rad, tol=tol)
    assert res.converged and res.residual < tol
    assert res.gain_upper >= g_star - 1e-12
    assert res.gain_lower >= g_star - tol
    # the returned policy on the optimistic model of the last sweep: its gain is >= gain_lower (it attains
    # r~ + P~ u_i = u_{i+1} >= u_i + gain_lower), and <= gain_upper (no policy beats the extended optimum)
    optimistic = FiniteMDP(res.transitions, res.rewards, gamma=1.0)
    gain = gain_and_bias(optimistic, np.asarray(res.policy)).gain
    assert (gain >= res.gain_lower - 1e-9).all() and (gain <= res.gain_upper + 1e-9).all()
    # the optimistic transitions lie in the L1 balls, the rewards in [r_hat, r_hat + rad] capped at 1
    assert (np.abs(res.transitions - mdp.dense_P).sum(axis=2) <= p_rad + 1e-12).all()
    np.testing.assert_allclose(res.rewards, np.minimum(1, mdp.R + r_rad))


def test_evi_validates_its_inputs():
    p_hat, r_hat, p_rad, r_rad, _ = _instance(0)
    with pytest.raises(ValueError, match="p_radius has a negative entry"):
        extended_value_iteration(p_hat, r_hat, -p_rad, r_rad, tol=1e-3)
    bad = p_hat.copy()
    bad[1, 1] *= 0.5
    bad[1, 1, 0] += 0.01
    with pytest.raises(ValueError, match=r"p_hat\[1, 1\] sums to"):
        extended_value_iteration(bad, r_hat, p_rad, r_rad, tol=1e-3)
    with pytest.raises(ValueError, match="r_hat must lie in"):
        extended_value_iteration(p_hat, r_hat + 1, p_rad, r_rad, tol=1e-3)
    res = extended_value_iteration(p_hat, r_hat, p_rad, r_rad, tol=1e-300, max_iter=3)
    assert not res.converged and res.iterations == 3


def _riverswim():
    return river_swim(6, gamma=1, variant="osband")


@pytest.mark.parametrize("problem", [_riverswim(), NoisyRewards(_riverswim())], ids=["expected", "bernoulli"])
def test_agent_plays_the_numpy_reference_actions(problem):
    T = 1500
    agent = UCRL2(delta=0.1)
    curve = simulate(problem, agent, n_rounds=T, n_runs=1, seed=11, checkpoints=np.arange(1, T + 1))
    arrays = kind_of(problem).prepare(problem, agent, T).arrays
    env_state = run_states(11, np.array([0]), 2)[0, 0]
    assert actions_of(curve) == ucrl2_reference_run(arrays, T, env_state, delta=0.1)


def test_episodes_double_counts_and_their_number_obeys_proposition_18():
    # Jaksch et al. (2010), Prop. 18: for T >= SA, UCRL2 has at most SA log2(8T / (SA)) episodes; an episode
    # ends exactly when the pair about to be played has v_k >= max(1, N_k)
    mdp = garnet(4, 2, 2, rng=3, gamma=0.9)
    mdp = FiniteMDP(mdp.P, np.clip(mdp.R, 0, 1), gamma=1.0)
    T = 3000
    starts, seen = [], {"k": 0.0}
    g_star = float(average_reward_policy_iteration(mdp).gain[0])

    def watch(t, state):
        info = state[-1]
        if info[INFO_EPISODES] != seen["k"]:
            seen["k"] = info[INFO_EPISODES]
            starts.append(t)
            assert info[INFO_T_K] == t + 1
            assert info[INFO_GAIN_UPPER] >= info[INFO_GAIN_LOWER]
            assert info[INFO_GAIN_UPPER] - info[INFO_GAIN_LOWER] < 1 / math.sqrt(t + 1)

    actions = step_continuing_agent(mdp, UCRL2(delta=0.1), T, seed=2, watch=watch)
    S, A = 4, 2
    assert len(starts) <= S * A * math.log2(8 * T / (S * A))
    curve = simulate(mdp, UCRL2(delta=0.1), n_rounds=T, n_runs=1, seed=2, checkpoints=np.arange(1, T + 1))
    assert actions_of(curve) == actions  # the Python stepping is the driver's
    assert g_star > 0


def test_validation_and_kind():
    with pytest.raises(ValueError, match="delta = 0.0 must be > 0.0"):
        UCRL2(delta=0.0)
    with pytest.raises(ValueError, match="max_iter = 0 must be >= 1"):
        UCRL2(max_iter=0)
    big = river_swim(6, gamma=1)  # Strehl & Littman's rewards 5 and 3000
    with pytest.raises(ValueError, match=r"UCRL2 assumes rewards in \[0, 1\]; r\(0, 0\) = 5.0"):
        simulate(big, UCRL2(), n_rounds=10)
    with pytest.raises(ValueError, match="not a problem of any simulated kind"):
        simulate(river_swim(6, variant="osband"), UCRL2(), n_rounds=10)  # discounted
    assert UCRL2(delta=0.2).to_spec() == {"type": "UCRL2", "params": {"delta": 0.2, "max_iter": 100_000}}


def test_a_masked_model_and_evi_convergence_counter():
    mdp = _riverswim()
    mask = np.ones((6, 2), dtype=bool)
    mask[3, 0] = False  # no swimming back from state 3
    masked = FiniteMDP(mdp.P, mdp.R, gamma=1.0, action_mask=mask, initial_distribution=mdp.initial_distribution)
    curve = simulate(
        masked, UCRL2(), n_rounds=3000, n_runs=2, seed=1, checkpoints=3
    )  # raises if a masked action is played
    assert curve.regret.shape == (2, 3)
    infos = []
    step_continuing_agent(masked, UCRL2(), 500, seed=1, watch=lambda t, st: infos.append(st[-1][INFO_NOT_CONVERGED]))
    assert infos[-1] == 0.0  # Thm 7: EVI converges (the confidence sets contain a communicating MDP)
