"""to_gymnasium / from_gymnasium both ways, the registered ids, and rollouts of the Env against exact values."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from rltheory.bandits import BernoulliBandit, BoundedBandit, GaussianBandit
from rltheory.tabular import FiniteMDP, backward_induction, policy_evaluation, policy_iteration
from rltheory.tabular.envs import (
    chain,
    from_gymnasium,
    garnet,
    gridworld,
    register_gymnasium_envs,
    river_swim,
    to_gymnasium,
)
from tests._helpers import missing_examples

gym = pytest.importorskip("gymnasium", reason="needs the gym extra: pip install rltheory[gym]")
from gymnasium.utils.env_checker import check_env  # noqa: E402

DELTA = 1e-6  # every statistical assertion below holds with probability >= 1 - DELTA; the seeds are fixed


def hoeffding_radius(n, delta, width):
    """Two-sided Hoeffding radius: the mean of n i.i.d. variables in an interval of this width is within it of
    their expectation with probability >= 1 - delta (Hoeffding 1963, Thm 2)."""
    return width * np.sqrt(np.log(2.0 / delta) / (2.0 * n))


def uniform(S):
    return np.full(S, 1.0 / S)


def masked_mdp():
    """Three states, two actions, action 1 disallowed in state 0 (an empty row with a non-zero reward) and in
    state 1 (a row summing to 0.5), state 2 terminal; gamma = 1 (a stochastic shortest path)."""
    P = np.zeros((3, 2, 3))
    P[0, 0] = [0.1, 0.2, 0.7]
    P[1, 0] = [0.0, 0.3, 0.7]
    P[1, 1] = [0.5, 0.0, 0.0]
    P[2, :, 2] = 1.0
    R = np.array([[-1.0, 7.0], [-2.0, 3.0], [0.0, 0.0]])
    mask = np.array([[True, False], [True, False], [True, True]])
    return FiniteMDP(P, R, gamma=1.0, terminal_states=[2], action_mask=mask, initial_distribution=[0.5, 0.5, 0.0])


def models():
    grid = gridworld(
        (3, 4), slip=0.2, step_reward=-0.04, terminal_rewards={(0, 3): 1.0, (1, 3): -1.0}, start=(2, 0), gamma=0.9
    )
    sparse_garnet = garnet(40, 3, 4, rng=7, sparse=True, gamma=0.7)
    sparse_garnet = FiniteMDP(sparse_garnet.P, sparse_garnet.R, gamma=0.7, initial_distribution=uniform(40))
    ch = chain(5, gamma=0.8)
    finite = FiniteMDP(ch.P, ch.R, gamma=1.0, horizon=8, initial_distribution=ch.initial_distribution)
    return {
        "river_swim": river_swim(6),
        "chain": chain(5, gamma=0.8),
        "gridworld_terminal": grid,
        "masked_ssp": masked_mdp(),
        "sparse_garnet": sparse_garnet,
        "finite_horizon": finite,
    }


def assert_same_model(a, b):
    assert a.is_sparse == b.is_sparse
    assert a.n_states == b.n_states and a.n_actions == b.n_actions
    assert np.array_equal(a.dense_P, b.dense_P)  # exact equality, not a tolerance
    assert np.array_equal(a.R, b.R)
    assert a.gamma == b.gamma and a.horizon == b.horizon
    if a.terminal_states is None:
        assert b.terminal_states is None
    else:
        assert np.array_equal(a.terminal_states, b.terminal_states)
    assert np.array_equal(a.action_mask, b.action_mask)
    assert np.array_equal(a.initial_distribution, b.initial_distribution)


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", list(models()))
def test_round_trip_is_exact(name):
    mdp = models()[name]
    env = to_gymnasium(mdp)
    assert_same_model(from_gymnasium(env, gamma=mdp.gamma, sparse=mdp.is_sparse), mdp)


def test_round_trip_through_a_wrapper_and_the_table_shape():
    mdp = masked_mdp()
    env = gym.wrappers.TimeLimit(to_gymnasium(mdp), max_episode_steps=50)  # from_gymnasium reads env.unwrapped
    assert_same_model(from_gymnasium(env, gamma=1.0, sparse=False), mdp)
    table = env.unwrapped.P
    # toy-text convention: every entry (prob, next_state, reward, terminated), reward = R[s, a], terminated iff
    # the next state is terminal; the empty disallowed row carries R[0, 1] in one zero-probability entry
    assert table[0][1] == [(0.0, 0, 7.0, False)]
    assert table[1][0] == [(0.3, 1, -2.0, False), (0.7, 2, -2.0, True)]
    assert table[2][1] == [(1.0, 2, 0.0, True)]


def test_toy_text_reading_is_unchanged_by_the_declared_mode():
    # FrozenLake declares nothing: one terminal state is still added
    mdp = from_gymnasium(gym.make("FrozenLake-v1", is_slippery=False), gamma=0.9)
    assert mdp.n_states == 17 and mdp.terminal_states.tolist() == [16]


def test_bandit_round_trip_is_the_one_state_mean_model():
    bandit = BernoulliBandit([0.2, 0.5, 0.9])
    mdp = from_gymnasium(to_gymnasium(bandit), gamma=0.5)
    assert mdp.n_states == 1 and mdp.R[0].tolist() == [0.2, 0.5, 0.9] and mdp.dense_P.tolist() == [[[1.0]] * 3]


def test_declared_structure_is_checked():
    env = to_gymnasium(masked_mdp()).unwrapped
    env.terminal_states = None  # the table's terminated entries now contradict the declaration
    with pytest.raises(ValueError, match=r"terminated=True but next state 2 is one of|not one of"):
        from_gymnasium(env, gamma=1.0)


# ---------------------------------------------------------------- the Env API


# check_env samples actions from action_space without a mask, and a disallowed action raises: the masked model is
# left out (its mask is tested in test_bad_actions_raise and test_spaces_info_and_render)
@pytest.mark.parametrize("name", [name for name in models() if name != "masked_ssp"])
def test_check_env(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # check_env reports problems as warnings: none is allowed
        warnings.filterwarnings("ignore", message=".*alternative render modes.*")
        check_env(to_gymnasium(models()[name], render_mode="ansi"), skip_render_check=False)


@pytest.mark.parametrize(
    "bandit",
    [BernoulliBandit([0.1, 0.7]), GaussianBandit([0.0, 1.0], sigma=2.0), BoundedBandit([2.0, 1.0], [1.0, 1.0])],
)
def test_check_env_bandits(bandit):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=".*alternative render modes.*")
        check_env(to_gymnasium(bandit, horizon=20, render_mode="ansi"), skip_render_check=False)


def test_spaces_info_and_render():
    mdp = masked_mdp()
    env = to_gymnasium(mdp, render_mode="ansi")
    assert env.observation_space == gym.spaces.Discrete(3) and env.action_space == gym.spaces.Discrete(2)
    s, info = env.reset(seed=3)
    assert info["step"] == 0 and info["action_mask"].tolist() == mdp.action_mask[s].astype(int).tolist()
    assert info["prob"] == mdp.initial_distribution[s]
    s2, r, terminated, truncated, info = env.step(0)
    assert r == mdp.R[s, 0] and info["prob"] == mdp.dense_P[s, 0, s2] > 0 and terminated == (s2 == 2)
    assert not truncated and info["step"] == 1
    text = env.render()
    assert isinstance(text, str) and f"state {s2}" in text and "action 0" in text


def test_terminal_and_horizon_flags():
    env = to_gymnasium(models()["finite_horizon"])
    env.reset(seed=0)
    flags = [env.step(1)[2:4] for _ in range(8)]
    assert flags[:7] == [(False, False)] * 7 and flags[7] == (False, True)  # truncated exactly at H = 8
    env = to_gymnasium(masked_mdp())
    for seed in range(20):
        s, _ = env.reset(seed=seed)
        terminated = False
        for _ in range(200):
            s, _, terminated, truncated, _ = env.step(0)
            assert not truncated  # no horizon: never truncated
            if terminated:
                break
        assert terminated and s == 2  # terminated exactly on entering the terminal state


def test_bandit_horizon_truncates():
    env = to_gymnasium(GaussianBandit([0.0, 1.0]), horizon=3)
    env.reset(seed=0)
    assert [env.step(0)[3] for _ in range(3)] == [False, False, True]


@pytest.mark.parametrize(
    "action, match",
    [
        (2, r"action 2 is outside the action space \[0, 2\)"),
        (-1, r"action -1 is outside"),
        (float("nan"), r"action nan is not an integer action of Discrete\(2\)"),
        (1.0, r"action 1.0 is not an integer"),
        (True, r"action True is not an integer"),
        ("0", r"action '0' is not an integer"),
        (1, r"action 1 is not allowed in state 0 \(the model's action_mask\)"),
    ],
)
def test_bad_actions_raise(action, match):
    P = masked_mdp()
    env = to_gymnasium(
        FiniteMDP(
            P.P, P.R, gamma=1.0, terminal_states=[2], action_mask=P.action_mask, initial_distribution=[1.0, 0.0, 0.0]
        )
    )
    env.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        env.step(action)
    assert env.step(np.int64(0))[4]["step"] == 1  # numpy integers are actions; the failed step changed nothing


def test_bad_construction_raises():
    rs = river_swim(4)
    with pytest.raises(ValueError, match="needs an initial distribution"):
        to_gymnasium(garnet(5, 2, 2, rng=0))
    with pytest.raises(ValueError, match="initial_distribution"):
        to_gymnasium(rs, initial_distribution=[0.5, 0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="initial_distribution"):
        to_gymnasium(rs, initial_distribution=[np.nan, 1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="horizon = 5 is for bandits"):
        to_gymnasium(rs, horizon=5)
    with pytest.raises(ValueError, match="horizon"):
        to_gymnasium(BernoulliBandit([0.1, 0.2]), horizon=0)
    with pytest.raises(ValueError, match="render_mode = 'human' must be None or 'ansi'"):
        to_gymnasium(rs, render_mode="human")
    with pytest.raises(ValueError, match="to_gymnasium takes a FiniteMDP or a bandit"):
        to_gymnasium(np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match=r"reset\(\) before step"):
        to_gymnasium(rs).step(0)


# ---------------------------------------------------------------- seeding


def trajectory(env, seed, n_steps=60):
    rng = np.random.default_rng(123)  # the actions: the same sequence for every call
    s, _ = env.reset(seed=seed)
    out = [s]
    for _ in range(n_steps):
        s, r, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
        out += [s, r]
        if terminated or truncated:
            s, _ = env.reset()
            out.append(s)
    return out


@pytest.mark.parametrize("model", [garnet(30, 3, 5, rng=1, gamma=0.9), GaussianBandit([0.0, 1.0, 2.0])])
def test_same_seed_same_trajectory(model):
    kwargs = {"initial_distribution": uniform(30)} if isinstance(model, FiniteMDP) else {}
    a, b = to_gymnasium(model, **kwargs), to_gymnasium(model, **kwargs)
    assert trajectory(a, seed=5) == trajectory(b, seed=5) == trajectory(a, seed=5)
    assert trajectory(a, seed=5) != trajectory(a, seed=6)


# ---------------------------------------------------------------- rollouts against exact values


def discounted_returns(env, policy, gamma, n, T, seed):
    """Returns sum_{t < min(T, tau)} gamma^t r_t of n episodes under a deterministic stationary policy."""
    out = np.empty(n)
    env.reset(seed=seed)
    for i in range(n):
        s, _ = env.reset()
        total, disc = 0.0, 1.0
        for _ in range(T):
            s, r, terminated, truncated, _ = env.step(int(policy[s]))
            total += disc * r
            disc *= gamma
            if terminated or truncated:
                break
        out[i] = total
    return out


@pytest.mark.parametrize(
    "name, n, T",
    [
        ("garnet", 2000, 40),
        ("gridworld", 12000, 250),
        pytest.param("gridworld", 100_000, 250, marks=pytest.mark.slow),
        pytest.param("chain", 4000, 120, marks=pytest.mark.slow),
    ],
)
def test_rollouts_agree_with_policy_evaluation(name, n, T):
    r"""The Monte-Carlo mean of n truncated discounted returns vs mu^T V^pi of the optimal policy.

    Every reward lies in [r_lo, r_hi] (the allowed entries of R; terminal states pay 0), so a return truncated at
    T steps lies in an interval of width (r_hi - r_lo)(1 - gamma^T)/(1 - gamma): Hoeffding gives
    |mean - E G_T| <= that width * sqrt(log(2/delta)/(2n)) with probability >= 1 - delta. The truncation bias is
    |E G_T - mu^T V^pi| <= gamma^T max(|r_lo|, |r_hi|)/(1 - gamma) (an episode that terminates earlier has no
    bias: terminal states absorb with reward 0).
    """
    if name == "garnet":
        g = garnet(20, 3, 3, rng=2, gamma=0.5)
        mdp = FiniteMDP(g.P, g.R, gamma=0.5, initial_distribution=uniform(20))
    elif name == "gridworld":
        mdp = models()["gridworld_terminal"]
    else:
        mdp = models()["chain"]
    gamma = mdp.gamma
    policy = policy_iteration(mdp).policy
    exact = float(mdp.initial_distribution @ policy_evaluation(mdp, policy).v)
    rewards = np.asarray(mdp.R)[np.asarray(mdp.action_mask)]
    r_lo, r_hi = float(rewards.min()), float(rewards.max())
    width = (r_hi - r_lo) * (1 - gamma**T) / (1 - gamma)
    bias = gamma**T * max(abs(r_lo), abs(r_hi)) / (1 - gamma)
    radius = hoeffding_radius(n, DELTA, width)
    returns = discounted_returns(to_gymnasium(mdp), policy, gamma, n, T, seed=2024)
    assert abs(returns.mean() - exact) <= radius + bias
    assert radius + bias < 0.6 * max(abs(exact), 1.0)  # not vacuous


def test_finite_horizon_rollouts_agree_with_backward_induction():
    """H-step undiscounted returns under the optimal Markov policy (which reads info["step"]) vs v[0] of backward
    induction: returns lie in [H r_lo, H r_hi], no truncation bias; Hoeffding at confidence 1 - delta."""
    mdp = models()["finite_horizon"]
    H, n = mdp.horizon, 4000
    res = backward_induction(mdp)
    exact = float(mdp.initial_distribution @ res.v[0])
    env = to_gymnasium(mdp)
    env.reset(seed=77)
    returns = np.empty(n)
    for i in range(n):
        s, info = env.reset()
        total, truncated = 0.0, False
        while not truncated:
            s, r, _, truncated, info2 = env.step(int(res.policy[info["step"], s]))
            total, info = total + r, info2
        assert info["step"] == H
        returns[i] = total
    radius = hoeffding_radius(n, DELTA, H * float(mdp.R.max() - mdp.R.min()))
    assert abs(returns.mean() - exact) <= radius
    assert radius < 0.5 * exact  # not vacuous


@pytest.mark.parametrize(
    "bandit, sub_gaussian",
    [
        (BernoulliBandit([0.15, 0.6]), None),
        (BoundedBandit([2.0, 1.0], [1.0, 3.0]), None),
        (GaussianBandit([-1.0, 2.0], sigma=1.5), 1.5),
    ],
)
def test_bandit_rewards_have_the_arm_means(bandit, sub_gaussian):
    """Mean of n pulls of each arm vs its mean: Hoeffding (rewards in [0, 1]) or the Gaussian tail
    sigma sqrt(2 log(2/delta)/n), at confidence 1 - delta per arm."""
    n = 4000
    env = to_gymnasium(bandit)
    env.reset(seed=9)
    for a, mu in enumerate(bandit.means):
        x = np.array([env.step(a)[1] for _ in range(n)])
        radius = (
            hoeffding_radius(n, DELTA, 1.0)
            if sub_gaussian is None
            else (sub_gaussian * np.sqrt(2 * np.log(2 / DELTA) / n))
        )
        assert abs(x.mean() - mu) <= radius
        if isinstance(bandit, BernoulliBandit):
            assert set(np.unique(x)) <= {0.0, 1.0}


# ---------------------------------------------------------------- registration


def test_registered_ids_build_the_bundled_models():
    register_gymnasium_envs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second registration does not override (no warning)
        register_gymnasium_envs()
    rs = gym.make("rltheory/RiverSwim-v0", n_states=5)
    assert_same_model(from_gymnasium(rs, gamma=0.95), river_swim(5))
    ch = gym.make("rltheory/Chain-v0", slip=0.1, gamma=0.9)
    assert_same_model(from_gymnasium(ch, gamma=0.9), chain(5, slip=0.1, gamma=0.9))
    gw = gym.make("rltheory/GridWorld-v0", layout=(3, 3), gamma=0.9)
    back = from_gymnasium(gw, gamma=0.9)
    ref = gridworld((3, 3), gamma=0.9)
    assert np.array_equal(back.dense_P, ref.dense_P) and np.array_equal(back.terminal_states, ref.terminal_states)
    mu = np.asarray(gw.unwrapped.initial_state_distrib)  # no start cell: uniform over the non-terminal cells
    assert np.array_equal(mu > 0, ~np.isin(np.arange(9), ref.terminal_states)) and mu.sum() == pytest.approx(1)
    g1 = from_gymnasium(gym.make("rltheory/Garnet-v0", n_states=8, seed=4), gamma=0.9)
    ref = garnet(8, 3, 2, rng=4)
    assert np.array_equal(g1.dense_P, ref.dense_P) and np.array_equal(g1.R, ref.R)
    assert not np.array_equal(from_gymnasium(gym.make("rltheory/Garnet-v0", n_states=8, seed=5)).dense_P, ref.dense_P)
    for env_id in ("rltheory/RiverSwim-v0", "rltheory/Chain-v0", "rltheory/GridWorld-v0", "rltheory/Garnet-v0"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_env(gym.make(env_id, render_mode="ansi").unwrapped)


def test_import_rltheory_does_not_import_gymnasium():
    code = "import sys, rltheory, rltheory.tabular, rltheory.tabular.envs; print('gymnasium' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sparse_table_for_a_sparse_model():
    mdp = models()["sparse_garnet"]
    table = to_gymnasium(mdp).unwrapped.P
    csr = mdp.csr_P
    assert sum(len(table[s][a]) for s in table for a in table[s]) == csr.nnz  # only the stored entries
    back = from_gymnasium(to_gymnasium(mdp), gamma=mdp.gamma)  # sparse=None: dense for S <= 500
    assert not back.is_sparse and np.array_equal(back.dense_P, mdp.dense_P)
    assert sp.issparse(from_gymnasium(to_gymnasium(mdp), gamma=mdp.gamma, sparse=True).P)


def test_every_public_symbol_of_envs_has_an_example():
    # rltheory.tabular.envs is not in rltheory.tabular.__all__, so tests/tabular/test_docstrings.py does not reach it
    assert missing_examples("rltheory.tabular.envs") == []


def test_draw_never_returns_a_zero_weight_entry():
    from rltheory.tabular.envs._gymnasium import _draw

    class Top:  # the largest double below 1: u * total may round up to the total
        def random(self):
            return np.nextafter(1.0, 0.0)

    cum = np.cumsum([0.0, 0.3, 0.7, 0.0, 0.0])
    assert _draw(Top(), cum) == 2
    assert _draw(type("Zero", (), {"random": lambda self: 0.0})(), cum) == 1  # leading zero weights are skipped


def test_registered_ids_work_with_gymnasium_wrappers_and_vector_envs():
    register_gymnasium_envs()
    env = gym.make("rltheory/Chain-v0", max_episode_steps=3)  # Gymnasium's TimeLimit over an Env without horizon
    env.reset(seed=0)
    assert [env.step(0)[3] for _ in range(3)] == [False, False, True]
    vec = gym.make_vec("rltheory/RiverSwim-v0", num_envs=2, vectorization_mode="sync")
    obs, info = vec.reset(seed=0)
    mu = river_swim(6).initial_distribution
    assert obs.shape == (2,) and all(mu[s] > 0 for s in obs) and info["step"].tolist() == [0, 0]
    vec.close()
