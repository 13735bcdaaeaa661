"""Tests of rltheory.tabular.envs: structure, hand-derived answers, seeds, Gymnasium vs Monte Carlo."""

from __future__ import annotations

import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from rltheory.tabular import bellman_operator, policy_evaluation, policy_iteration, value_iteration
from rltheory.tabular.envs import (
    GRID_ACTIONS,
    cell_to_state,
    chain,
    from_gymnasium,
    garnet,
    gridworld,
    plot_gridworld,
    river_swim,
    state_to_cell,
)

UP, RIGHT, DOWN, LEFT = range(4)


def dense_P(mdp):
    S, A = mdp.n_states, mdp.n_actions
    return mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(mdp.P)


def assert_stochastic(mdp):
    rows = np.asarray(mdp.P.sum(axis=1)).ravel() if mdp.is_sparse else mdp.P.sum(axis=2).ravel()
    # FiniteMDP's own tolerance on row sums
    assert np.all(np.abs(rows - 1.0) <= 1e-10)
    data = mdp.P.data if mdp.is_sparse else mdp.P
    assert np.all(data >= 0)


def hoeffding_radius(n, delta, width=1.0):
    """Two-sided Hoeffding radius for the mean of n i.i.d. variables in an interval of this width."""
    return width * np.sqrt(np.log(2.0 / delta) / (2.0 * n))


# ---------------------------------------------------------------- gridworld


def test_gridworld_slip_convention_interior_and_walls():
    slip = 0.3
    mdp = gridworld((5, 5), slip=slip, walls=[(1, 2)], terminal_rewards={}, gamma=0.9, sparse=False)
    assert mdp.n_states == 24 and mdp.n_actions == 4 and mdp.terminal_states is None
    assert_stochastic(mdp)
    s = cell_to_state((5, 5), 2, 2, walls=[(1, 2)])
    up_blocked = s  # (1, 2) is a wall: moving up stays in place
    nbr = {
        RIGHT: cell_to_state((5, 5), 2, 3, walls=[(1, 2)]),
        DOWN: cell_to_state((5, 5), 3, 2, walls=[(1, 2)]),
        LEFT: cell_to_state((5, 5), 2, 1, walls=[(1, 2)]),
    }
    P = mdp.P
    # intended direction 1 - slip, each other direction slip / 3
    assert P[s, RIGHT, nbr[RIGHT]] == pytest.approx(1 - slip, abs=1e-15)
    assert P[s, RIGHT, nbr[DOWN]] == pytest.approx(slip / 3, abs=1e-15)
    assert P[s, RIGHT, nbr[LEFT]] == pytest.approx(slip / 3, abs=1e-15)
    assert P[s, RIGHT, up_blocked] == pytest.approx(slip / 3, abs=1e-15)
    assert P[s, UP, up_blocked] == pytest.approx(1 - slip, abs=1e-15)
    assert np.count_nonzero(P[s, UP]) == 4


def test_gridworld_corner_bumps_accumulate():
    slip = 0.3
    mdp = gridworld((3, 3), slip=slip, terminal_rewards={}, gamma=0.5)
    s = cell_to_state((3, 3), 0, 0)
    # up from the top-left corner: intended bump (1 - slip) plus the slip to the left bump (slip / 3)
    assert mdp.P[s, UP, s] == pytest.approx(1 - slip + slip / 3, abs=1e-15)
    assert mdp.P[s, UP, cell_to_state((3, 3), 0, 1)] == pytest.approx(slip / 3, abs=1e-15)
    assert mdp.P[s, UP, cell_to_state((3, 3), 1, 0)] == pytest.approx(slip / 3, abs=1e-15)


def test_gridworld_rewards_on_entry_and_terminal_absorbing():
    layout = """
        S..
        .#G
        ..H
    """
    mdp = gridworld(layout, step_reward=-0.5, slip=0.2, gamma=0.9)
    goal, hole = cell_to_state(layout, 1, 2), cell_to_state(layout, 2, 2)
    assert mdp.terminal_states.tolist() == sorted([goal, hole])
    for t in (goal, hole):
        assert np.all(mdp.P[t, :, t] == 1.0) and np.all(mdp.R[t] == 0.0)
    s = cell_to_state(layout, 0, 2)
    # r(s, a) = step + sum_t P(t | s, a) * terminal reward
    for a in range(4):
        expected = -0.5 + mdp.P[s, a, goal] * 1.0 + mdp.P[s, a, hole] * (-1.0)
        assert mdp.R[s, a] == pytest.approx(expected, abs=1e-14)
    assert mdp.R[s, DOWN] == pytest.approx(-0.5 + 0.8, abs=1e-14)
    start = cell_to_state(layout, 0, 0)
    assert mdp.initial_distribution.tolist() == [1.0 if i == start else 0.0 for i in range(mdp.n_states)]


def test_gridworld_corridor_values_are_minus_distance():
    """Deterministic corridor, step -1, goal at the end: v*(c) = -(distance to the goal), by hand."""
    n = 7
    mdp = gridworld((1, n), step_reward=-1.0, terminal_rewards={(0, n - 1): 0.0}, gamma=1.0)
    v_hand = -np.array([n - 1 - c for c in range(n)], dtype=float)
    # Bellman optimality equation T v = v holds exactly at the hand-computed values; with every
    # improper policy of infinite cost its solution is unique (Bertsekas & Tsitsiklis 1991, Prop. 2).
    assert np.array_equal(bellman_operator(mdp, v_hand), v_hand)
    pi = policy_iteration(mdp)
    assert np.allclose(pi.v, v_hand, rtol=0, atol=1e-12)
    assert np.all(pi.policy[:-1] == RIGHT)


@pytest.mark.parametrize("sparse", [False, True])
def test_gridworld_open_grid_manhattan_distance(sparse):
    rows, cols = 4, 6
    goal = (3, 5)
    mdp = gridworld((rows, cols), step_reward=-1.0, terminal_rewards={goal: 0.0}, gamma=1.0, sparse=sparse)
    r, c = state_to_cell((rows, cols), np.arange(mdp.n_states))
    dist = np.abs(r - goal[0]) + np.abs(c - goal[1])
    assert np.array_equal(bellman_operator(mdp, -dist.astype(float)), -dist.astype(float))
    pi = policy_iteration(mdp)
    assert np.allclose(pi.v, -dist, rtol=0, atol=1e-10)
    # discounted: v*(s) = -(1 - gamma^d) / (1 - gamma); value iteration's certified bound holds
    gamma = 0.9
    mdp_d = gridworld((rows, cols), step_reward=-1.0, terminal_rewards={goal: 0.0}, gamma=gamma, sparse=sparse)
    v_star = -(1 - gamma**dist) / (1 - gamma)
    vi = value_iteration(mdp_d, tol=1e-9)
    assert np.max(np.abs(vi.v - v_star)) <= vi.bound + 1e-12
    assert np.all(vi.v_lower <= v_star + 1e-12) and np.all(v_star <= vi.v_upper + 1e-12)


def test_gridworld_dense_and_sparse_identical():
    kwargs = dict(
        walls=[(1, 1), (2, 3)],
        slip=0.15,
        step_reward=-0.04,
        terminal_rewards={(0, 4): 1.0, (1, 4): -1.0},
        gamma=0.95,
        start=(3, 0),
    )
    d = gridworld((4, 5), sparse=False, **kwargs)
    s = gridworld((4, 5), sparse=True, **kwargs)
    assert not d.is_sparse and s.is_sparse
    assert np.array_equal(dense_P(s), d.P)
    assert np.array_equal(s.R, d.R)
    assert np.array_equal(s.terminal_states, d.terminal_states)
    assert np.array_equal(s.initial_distribution, d.initial_distribution)
    pi_d, pi_s = policy_iteration(d), policy_iteration(s)
    assert np.array_equal(pi_d.policy, pi_s.policy)
    assert np.allclose(pi_d.v, pi_s.v, rtol=0, atol=1e-9)


def test_gridworld_large_is_sparse_and_structured():
    n = 300
    mdp = gridworld((n, n), slip=0.1, step_reward=-1.0)
    S = n * n
    assert mdp.is_sparse and mdp.n_states == S and mdp.P.shape == (4 * S, S)
    assert_stochastic(mdp)
    # at most 4 distinct successors per (s, a); terminal rows have exactly one
    counts = np.diff(mdp.P.indptr)
    assert counts.max() <= 4
    assert mdp.terminal_states.tolist() == [S - 1]
    assert np.all(counts[4 * (S - 1) : 4 * S] == 1)
    # an interior cell: four neighbours, the intended one with probability 0.9
    s = cell_to_state((n, n), 150, 150)
    row = mdp.P[[4 * s + RIGHT], :].toarray().ravel()
    assert row[cell_to_state((n, n), 150, 151)] == pytest.approx(0.9, abs=1e-15)
    assert np.count_nonzero(row) == 4


def test_gridworld_walls_as_mask_equal_walls_as_cells():
    mask = np.zeros((3, 4), dtype=bool)
    mask[1, 1] = mask[0, 3] = True
    a = gridworld((3, 4), walls=mask, slip=0.2, step_reward=-1.0)
    b = gridworld((3, 4), walls=[(1, 1), (0, 3)], slip=0.2, step_reward=-1.0)
    c = gridworld("...#\n.#..\n...G", slip=0.2, step_reward=-1.0)
    assert a.n_states == 10
    for other in (b, c):
        assert np.array_equal(a.P, other.P) and np.array_equal(a.R, other.R)
    with pytest.raises(ValueError, match=r"walls mask has shape \(2, 2\)"):
        gridworld((3, 4), walls=np.zeros((2, 2), dtype=bool))


def test_gridworld_auto_sparse_threshold():
    assert not gridworld((10, 10)).is_sparse
    assert gridworld((30, 30)).is_sparse


def test_cell_state_round_trip_with_walls():
    layout = """
        .#..
        ..#.
        ....
    """
    S = 10
    states = np.arange(S)
    r, c = state_to_cell(layout, states)
    assert np.array_equal(cell_to_state(layout, r, c), states)
    assert cell_to_state(layout, 0, 2) == 1
    with pytest.raises(ValueError, match=r"cell \(0, 1\) is a wall"):
        cell_to_state(layout, 0, 1)
    with pytest.raises(ValueError, match="outside the 3 x 4 grid"):
        cell_to_state(layout, 3, 0)
    with pytest.raises(ValueError, match=r"state 10 is outside \[0, 10\)"):
        state_to_cell(layout, 10)


def test_grid_actions_names():
    assert GRID_ACTIONS == ("up", "right", "down", "left")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(layout=(3, 3), slip=1.5), r"slip = 1.5 must be <= 1.0"),
        (dict(layout=(3, 3), slip=-0.1), "slip = -0.1"),
        (dict(layout=(0, 3)), "pair of positive integers"),
        (dict(layout="..\n..."), "layout row 1 has 3 cells, expected 2"),
        (dict(layout="..x"), r"layout cell \(0, 2\) is 'x'"),
        (dict(layout=(3, 3), walls=[(2, 2)]), r"terminal cell \(2, 2\) is a wall"),
        (dict(layout=(3, 3), walls=[(5, 0)]), r"wall cell = \(5, 0\) is outside the 3 x 3 grid"),
        (dict(layout=(3, 3), start=(1, 1), walls=[(1, 1)]), r"start cell \(1, 1\) is a wall"),
        (dict(layout=(3, 3), start=(2, 2)), r"start cell \(2, 2\) is a terminal cell"),
        (dict(layout=(3, 3), terminal_rewards={}, gamma=1.0), "gamma = 1 needs at least one terminal cell"),
        (dict(layout=(3, 3), gamma=1.5), r"gamma = 1.5 is outside \[0, 1\]"),
        (dict(layout=(3, 3), step_reward=np.zeros((2, 2))), r"step_reward has shape \(2, 2\)"),
        (dict(layout=(3, 3), step_reward=float("nan")), "step_reward = nan must be finite"),
        (dict(layout=(3, 3), terminal_rewards={(0, 0): float("inf")}), "must be a finite real number"),
        (dict(layout=(3, 3), sparse="yes"), "sparse = 'yes'"),
        (dict(layout="##\n##"), "every cell of the grid is a wall"),
    ],
)
def test_gridworld_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gridworld(**kwargs)


def test_plot_gridworld_draws_values_policy_and_walls():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layout = "S.#\n..G"
    mdp = gridworld(layout, step_reward=-1.0, gamma=1.0)
    res = policy_iteration(mdp)
    ax = plot_gridworld(layout, values=res.v, policy=res.policy)
    # one quiver per action, arrows only on the 4 non-terminal free cells
    n_arrows = sum(len(q.U) for q in ax.collections if hasattr(q, "U"))
    assert n_arrows == 4
    ax2 = plot_gridworld(layout, policy=np.full((mdp.n_states, 4), 0.25))
    assert sum(len(q.U) for q in ax2.collections if hasattr(q, "U")) == 16
    with pytest.raises(ValueError, match=r"values has shape \(3,\), expected \(5,\)"):
        plot_gridworld(layout, values=np.zeros(3))
    plt.close("all")


# --------------------------------------------------------------- river swim


def test_river_swim_strehl_littman_parameters():
    mdp = river_swim()
    assert mdp.n_states == 6 and mdp.n_actions == 2 and mdp.gamma == 0.95
    assert_stochastic(mdp)
    P, R = mdp.P, mdp.R
    for s in range(6):
        assert P[s, 0, max(s - 1, 0)] == 1.0  # swimming left is deterministic
    assert P[0, 1].tolist() == [0.7, 0.3, 0, 0, 0, 0]
    for s in range(1, 5):
        assert P[s, 1, s - 1] == 0.1 and P[s, 1, s] == 0.6 and P[s, 1, s + 1] == 0.3
    assert P[5, 1, 4] == 0.7 and P[5, 1, 5] == 0.3
    expected_R = np.zeros((6, 2))
    expected_R[0, 0] = 5.0
    expected_R[5, 1] = 0.3 * 10000
    assert np.array_equal(R, expected_R)
    assert mdp.initial_distribution.tolist() == [0, 0.5, 0.5, 0, 0, 0]


def test_river_swim_exact_optimal_policy_swims_right():
    mdp = river_swim(gamma=Fraction(19, 20))
    assert mdp.is_exact and mdp.P_exact[0, 1, 0] == Fraction(7, 10)
    res = policy_iteration(mdp, exact=True)
    assert res.policy.tolist() == [1] * 6
    # exact values satisfy the Bellman equation of the optimal policy with rational arithmetic
    v = res.v_exact
    for s in range(6):
        q = [mdp.R_exact[s, a] + mdp.gamma_exact * sum(mdp.P_exact[s, a, t] * v[t] for t in range(6)) for a in range(2)]
        assert v[s] == max(q)


def test_river_swim_osband_variant_and_sizes():
    mdp = river_swim(n_states=10, variant="osband")
    assert_stochastic(mdp)
    assert mdp.P[0, 1, 1] == 0.6 and mdp.P[4, 1, 5] == 0.35 and mdp.P[4, 1, 3] == 0.05 and mdp.P[9, 1, 8] == 0.4
    assert mdp.R[0, 0] == 0.005 and mdp.R[9, 1] == 1.0 and np.count_nonzero(mdp.R) == 2
    assert mdp.initial_distribution[0] == 1.0
    assert_stochastic(river_swim(n_states=2))
    with pytest.raises(ValueError, match="n_states = 1 must be >= 2"):
        river_swim(n_states=1)
    with pytest.raises(ValueError, match="variant = 'x'"):
        river_swim(variant="x")
    with pytest.raises(ValueError, match="gamma"):
        river_swim(gamma=1.5)
    assert river_swim(gamma=1.0).gamma == 1.0  # an average-reward model


# -------------------------------------------------------------------- chain


def test_chain_matches_published_definition():
    mdp = chain()
    assert mdp.n_states == 5 and mdp.n_actions == 2
    assert_stochastic(mdp)
    for s in range(5):
        nxt = min(s + 1, 4)
        if nxt != 0:
            assert mdp.P[s, 0, nxt] == pytest.approx(0.8) and mdp.P[s, 0, 0] == pytest.approx(0.2)
            assert mdp.P[s, 1, 0] == pytest.approx(0.8) and mdp.P[s, 1, nxt] == pytest.approx(0.2)
        ell = 10.0 if s == 4 else 0.0
        assert mdp.R[s, 0] == pytest.approx(0.8 * ell + 0.2 * 2, abs=1e-14)
        assert mdp.R[s, 1] == pytest.approx(0.8 * 2 + 0.2 * ell, abs=1e-14)


def test_chain_exact_and_optimal_policy_goes_forward():
    mdp = chain(slip=Fraction(1, 5), gamma=Fraction(99, 100))
    assert mdp.is_exact
    res = policy_iteration(mdp, exact=True)
    # Strens (2000): the optimal policy always chooses action a (forward) when gamma = 0.99
    assert res.policy.tolist() == [0] * 5
    with pytest.raises(ValueError, match=r"slip = 2 must be <= 1"):
        chain(slip=2)
    with pytest.raises(ValueError, match="large_reward"):
        chain(large_reward="big")


# ------------------------------------------------------------------- garnet


def test_garnet_structure_and_seed_reproducibility():
    a = garnet(40, 3, 4, rng=123)
    b = garnet(40, 3, 4, rng=123)
    c = garnet(40, 3, 4, rng=124)
    assert np.array_equal(a.P, b.P) and np.array_equal(a.R, b.R)
    assert not np.array_equal(a.P, c.P)
    assert_stochastic(a)
    assert np.all((a.P > 0).sum(axis=2) == 4)
    # state-dependent rewards in [0, 1] (Geist & Scherrer 2014)
    assert np.all(a.R[:, :1] == a.R) and np.all((a.R >= 0) & (a.R <= 1))
    sa = garnet(40, 3, 4, rng=123, reward="state-action")
    assert not np.all(sa.R[:, :1] == sa.R)
    # a Generator is consumed, an equal-state Generator reproduces
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    assert np.array_equal(garnet(10, 2, 3, rng=g1).P, garnet(10, 2, 3, rng=g2).P)


@pytest.mark.parametrize("branching", [1, 5, 30])
def test_garnet_dense_and_sparse_same_seed(branching):
    d = garnet(30, 4, branching, rng=5)
    s = garnet(30, 4, branching, rng=5, sparse=True)
    assert s.is_sparse and np.array_equal(dense_P(s), d.P) and np.array_equal(s.R, d.R)
    assert np.all(np.diff(s.P.indptr) == branching)


def test_garnet_large_sparse_builds():
    mdp = garnet(2000, 10, 5, rng=0, sparse=True)
    assert mdp.P.shape == (20000, 2000) and mdp.P.nnz == 20000 * 5
    assert_stochastic(mdp)


def test_garnet_distribution_moments():
    """Each next state is in a (s, a)'s support w.p. b/S; each probability has mean 1/b (Beta(1, b-1))."""
    S, A, b = 20, 50, 4
    mdp = garnet(S, A, b, rng=2024, sparse=True)
    n = S * A
    delta = 1e-6
    indicator = (dense_P(mdp) > 0).reshape(n, S)
    freq = indicator.mean(axis=0)  # per target state, average of n Bernoulli(b/S)
    assert np.all(np.abs(freq - b / S) <= hoeffding_radius(n, delta / S))
    first = mdp.P.data.reshape(n, b)[:, 0]  # the spacing of the smallest chosen state, ~ Beta(1, b-1)
    assert abs(first.mean() - 1 / b) <= hoeffding_radius(n, delta)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((10, 2, 11), {}, "branching = 11 exceeds n_states = 10"),
        ((0, 2, 1), {}, "n_states = 0 must be >= 1"),
        ((10, 2, 0), {}, "branching = 0"),
        ((10, 2, 2), {"reward": "gauss"}, "reward = 'gauss'"),
        ((10, 2, 2), {"rng": "seed"}, "rng must be a Generator"),
        ((10, 2, 2), {"gamma": 1.5}, "gamma"),
        ((10, 2, 2), {"sparse": None}, "sparse = None must be True or False"),
    ],
)
def test_garnet_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        garnet(*args, **kwargs)


def test_dense_sizes_that_cannot_fit_are_refused_before_sampling(monkeypatch):
    """garnet(30000, 2, 2) dense tried to allocate 13.4 GiB (issue 11, sec. 4): refused with the size and the advice."""
    import rltheory.tabular._model as model

    with pytest.raises(
        ValueError,
        match=r"garnet\(1000000, 2, 2\): a dense P of shape \(1000000, 2, 1000000\) would "
        r"need 16000000000000 bytes \(14.6 TiB\).*pass sparse=True",
    ):
        garnet(10**6, 2, 2)
    assert garnet(10**5, 2, 2, sparse=True, rng=0).P.nnz == 4 * 10**5  # sparse input is the way
    monkeypatch.setattr(model, "dense_limit_bytes", lambda: 13 << 30)  # a 26 GiB machine
    with pytest.raises(ValueError, match=r"garnet\(30000, 2, 2\): a dense P .* \(13.4 GiB\)"):
        garnet(30000, 2, 2)
    with pytest.raises(ValueError, match=r"gridworld with 1000000 states: a dense P .*pass sparse=True"):
        gridworld((1000, 1000), sparse=False)


# ---------------------------------------------------------------- gymnasium

try:
    import gymnasium as gym
except ImportError:  # pragma: no cover - the gym extra is optional
    gym = None
needs_gym = pytest.mark.skipif(gym is None, reason="needs the gym extra: pip install rltheory[gym]")


def make_taxi():
    for name in ("Taxi-v3", "Taxi-v4"):  # v3 is deprecated (not makeable) in Gymnasium >= 1.2
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return gym.make(name)
        except gym.error.Error:
            continue
    pytest.skip("no Taxi environment registered")


def rollout_returns(env, policy, gamma, n_episodes, seed):
    """Discounted returns of n_episodes of the real environment (unwrapped: no time limit)."""
    base = env.unwrapped
    rng = np.random.default_rng(seed)
    cum = np.cumsum(policy, axis=1)
    out = np.empty(n_episodes)
    base.reset(seed=seed)
    for i in range(n_episodes):
        s, _ = base.reset()
        total, disc, done = 0.0, 1.0, False
        while not done:
            a = min(int(np.searchsorted(cum[s], rng.random(), side="right")), policy.shape[1] - 1)
            s, r, terminated, truncated, _ = base.step(a)
            total += disc * r
            disc *= gamma
            done = terminated
        out[i] = total
    return out


@needs_gym
@pytest.mark.parametrize("slippery", [True, False])
def test_frozen_lake_structure(slippery):
    env = gym.make("FrozenLake-v1", is_slippery=slippery)
    mdp = from_gymnasium(env, gamma=0.95)
    assert mdp.n_states == 17 and mdp.n_actions == 4 and mdp.terminal_states.tolist() == [16]
    assert_stochastic(mdp)
    assert mdp.initial_distribution[0] == 1.0 and mdp.initial_distribution[16] == 0.0
    desc = env.unwrapped.desc.astype(str)
    for s in range(16):
        if desc.flat[s] in "HG":  # holes and the goal terminate whatever the action
            assert np.all(mdp.P[s, :, 16] == 1.0) and np.all(mdp.R[s] == 0.0)
    # only transitions into the goal pay, and they terminate
    goal = int(np.flatnonzero(desc.ravel() == "G")[0])
    table = env.unwrapped.P
    for s in range(16):
        for a in range(4):
            p_goal = sum(p for p, nxt, r, term in table[s][a] if nxt == goal and desc.flat[s] not in "HG")
            assert mdp.R[s, a] == pytest.approx(p_goal, abs=1e-15)


@needs_gym
def test_frozen_lake_deterministic_optimal_value_is_one():
    mdp = from_gymnasium(gym.make("FrozenLake-v1", is_slippery=False))  # gamma = 1
    res = policy_iteration(mdp)
    # the goal is reachable from the start without a hole: success probability 1
    assert res.v[0] == pytest.approx(1.0, abs=1e-12)


@needs_gym
@pytest.mark.parametrize("slippery", [True, False])
def test_frozen_lake_values_match_monte_carlo(slippery):
    """Model values vs returns of the real Gymnasium environment.

    Returns lie in [0, 1], so with probability >= 1 - delta the Monte Carlo mean of n
    episodes is within sqrt(log(2/delta) / (2n)) of the true value (Hoeffding); delta = 1e-6.
    """
    gamma, n, delta = 0.99, 3000, 1e-6
    env = gym.make("FrozenLake-v1", is_slippery=slippery)
    mdp = from_gymnasium(env, gamma=gamma)
    optimal = np.zeros((17, 4))
    optimal[np.arange(17), policy_iteration(mdp).policy] = 1.0
    mixed = np.zeros((17, 4))
    mixed[:, DOWN] = 0.5
    mixed[:, RIGHT] = 0.5
    values = []
    for policy in (optimal, mixed):
        v = policy_evaluation(mdp, policy).v
        returns = rollout_returns(env, policy[:16], gamma, n, seed=11)
        assert abs(returns.mean() - v[0]) <= hoeffding_radius(n, delta)
        values.append(v[0])
    assert values[0] > 0.5  # not vacuous: the optimal policy reaches the goal with large probability


@needs_gym
def test_cliff_walking_optimal_undiscounted_return():
    env = gym.make("CliffWalking-v1")
    mdp = from_gymnasium(env)
    res = policy_iteration(mdp)
    start = int(np.argmax(mdp.initial_distribution))
    # Sutton & Barto (2018), Example 6.6: the shortest safe path has 13 steps of reward -1
    assert start == 36 and res.v[start] == pytest.approx(-13.0, abs=1e-9)


@needs_gym
def test_taxi_conversion():
    env = make_taxi()
    mdp = from_gymnasium(env, gamma=0.99)
    assert mdp.n_states == 501 and mdp.n_actions == 6 and mdp.is_sparse
    assert_stochastic(mdp)
    # deterministic dynamics: one successor per (s, a); rewards -1 (move), -10 (bad pickup/dropoff), 20 (delivery)
    assert np.all(np.diff(mdp.P.indptr) == 1)
    assert set(np.unique(mdp.R[:500]).tolist()) <= {-1.0, -10.0, 20.0}
    term_rows = np.flatnonzero(mdp.P.indices == 500)
    assert np.all(mdp.R.ravel()[term_rows[term_rows < 3000]] == 20.0)
    assert from_gymnasium(env, sparse=False).P.shape == (501, 6, 501)


class _TableEnv:
    def __init__(self, table, isd=None):
        self.P = table
        if isd is not None:
            self.initial_state_distrib = isd

    @property
    def unwrapped(self):
        return self


@needs_gym
def test_from_gymnasium_merges_duplicates_and_terminates():
    table = {
        0: {0: [(0.25, 1, 1.0, False), (0.25, 1, 3.0, False), (0.5, 0, 0.0, True)], 1: [(1.0, 1, -2.0, False)]},
        1: {0: [(1.0, 1, 0.0, True)], 1: [(0.5, 0, 4.0, False), (0.5, 1, 4.0, True)]},
    }
    mdp = from_gymnasium(_TableEnv(table, isd=np.array([1.0, 0.0])), gamma=0.9)
    P = mdp.P
    assert P[0, 0].tolist() == [0.0, 0.5, 0.5] and P[1, 1].tolist() == [0.5, 0.0, 0.5]
    assert mdp.R[0, 0] == 0.25 * 1 + 0.25 * 3 and mdp.R[1, 1] == 4.0 and mdp.R[1, 0] == 0.0
    assert np.all(P[2, :, 2] == 1.0) and np.all(mdp.R[2] == 0.0)
    assert mdp.initial_distribution.tolist() == [1.0, 0.0, 0.0]


@needs_gym
@pytest.mark.parametrize(
    "table, match",
    [
        ({0: {0: [(1.0, 3, 0.0, False)]}}, r"next state 3 outside \[0, 1\)"),
        ({0: {0: [(1.2, 0, 0.0, False)]}}, r"P\[s=0, a=0\] sums to 1.2"),
        ({0: {0: [(-0.5, 0, 0.0, False), (1.5, 0, 0.0, False)]}}, "negative probability"),
        ({0: {0: [(1.0, 0, float("nan"), False)]}}, "non-finite reward"),
        ({0: {0: []}}, r"P\[0\]\[0\] is empty"),
        ({0: {0: [(1.0, 0)]}}, "is not \\(prob, next_state, reward, terminated\\)"),
        ({0: {0: [(1.0, 0, 0.0, False)]}, 1: {1: [(1.0, 0, 0.0, False)]}}, "state 1 has actions \\[1\\]"),
        ({}, "no transition table"),
    ],
)
def test_from_gymnasium_rejects_bad_tables(table, match):
    with pytest.raises(ValueError, match=match):
        from_gymnasium(_TableEnv(table), gamma=0.9)


@needs_gym
def test_from_gymnasium_rejects_bad_sparse_flag():
    with pytest.raises(ValueError, match="sparse = 'auto' must be True, False or None"):
        from_gymnasium(_TableEnv({0: {0: [(1.0, 0, 0.0, True)]}}), sparse="auto")


@needs_gym
def test_from_gymnasium_needs_a_transition_table():
    env = gym.make("CartPole-v1")
    with pytest.raises(ValueError, match="has no transition table env.unwrapped.P"):
        from_gymnasium(env)


def test_from_gymnasium_without_gymnasium_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # makes `import gymnasium` raise ImportError
    with pytest.raises(ImportError, match=r"pip install rltheory\[gym\]"):
        from_gymnasium(_TableEnv({0: {0: [(1.0, 0, 0.0, True)]}}))


@needs_gym
def test_sparse_P_is_csr_with_sorted_indices():
    for mdp in (gridworld((30, 30)), garnet(50, 2, 3, rng=1, sparse=True), from_gymnasium(make_taxi())):
        assert isinstance(mdp.P, sp.csr_array) and mdp.P.has_sorted_indices
