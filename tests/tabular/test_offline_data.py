"""OfflineDataset validation (bad rows named), save/load without pickle, and the laws of collect."""

import os
import zipfile

import numpy as np
import pytest

from rltheory.tabular import FiniteMDP, OfflineDataset, collect, data_distribution, stage_occupancy
from tests.tabular._helpers import hoeffding_radius, random_mdp


def _ds(**kw):
    base = dict(
        states=[0, 1, 1],
        actions=[1, 0, 1],
        rewards=[0.5, 1.0, 0.0],
        next_states=[1, 1, 0],
        n_states=2,
        n_actions=2,
        gamma=0.9,
    )
    base.update(kw)
    return OfflineDataset(**base)


def _episodic(**kw):
    base = dict(
        states=[0, 1, 1, 0],
        actions=[0, 0, 1, 1],
        rewards=[1.0, 0.0, 0.0, 1.0],
        next_states=[1, 0, 0, 1],
        n_states=2,
        n_actions=2,
        gamma=1.0,
        horizon=2,
        stages=[0, 1, 0, 1],
        episodes=[7, 7, 3, 3],
    )
    base.update(kw)
    return OfflineDataset(**base)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(states=[], actions=[], rewards=[], next_states=[]), "needs at least one transition, got 0 rows"),
        (dict(rewards=[0.5, np.nan, 0.0]), r"rewards\[1\] = nan \(row 1\) is not finite"),
        (dict(rewards=[0.5, 1.0, np.inf]), r"rewards\[2\] = inf \(row 2\) is not finite"),
        (dict(states=[0, 5, 1]), r"states\[1\] = 5 \(row 1\) is not a state in \[0, 2\)"),
        (dict(next_states=[0, 1, -1]), r"next_states\[2\] = -1 \(row 2\) is not a state in \[0, 2\)"),
        (dict(actions=[0, 2, 0]), r"actions\[1\] = 2 \(row 1\) is not an action in \[0, 2\)"),
        (dict(actions=[0, 1]), "actions has 2 rows but states has 3"),
        (dict(states=[[0, 1, 1]]), r"states must be 1-d \(one entry per row\), got shape \(1, 3\)"),
        (dict(states=[0.0, 1.0, 1.0]), "states must hold integers, got dtype float64"),
        (dict(n_states=0), "n_states = 0 must be >= 1"),
        (dict(gamma=1.5), r"gamma = 1.5 is outside \[0, 1\]"),
        (dict(horizon=3), "needs horizon, stages and episodes together"),
    ],
)
def test_bad_datasets_name_the_row(kw, message):
    with pytest.raises(ValueError, match=message):
        _ds(**kw)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(stages=[0, 1, 1, 0]), r"row 2 has stage 1, expected 0: an episodic dataset holds complete episodes"),
        (dict(stages=[0, 2, 0, 1]), r"stages\[1\] = 2 \(row 1\) is not a stage in \[0, 2\)"),
        (dict(episodes=[7, 8, 3, 3]), r"row 1 has episode id 8 inside the episode of rows 0..1 \(id 7\)"),
        (dict(episodes=[3, 3, 3, 3]), "row 2 starts a second episode with id 3"),
        (dict(next_states=[0, 0, 0, 1]), r"row 0: next_states\[0\] = 0 but the episode's next row 1 starts in state 1"),
    ],
)
def test_bad_episodes_name_the_row(kw, message):
    with pytest.raises(ValueError, match=message):
        _episodic(**kw)


def test_incomplete_last_episode_is_refused():
    with pytest.raises(ValueError, match="row 2 has stage 0, expected 0|complete episodes"):
        OfflineDataset(
            [0, 1, 1],
            [0, 0, 0],
            [0.0] * 3,
            [1, 1, 0],
            n_states=2,
            n_actions=1,
            gamma=1.0,
            horizon=2,
            stages=[0, 1, 0],
            episodes=[0, 0, 1],
        )


def test_dataset_is_frozen_and_read_only():
    d = _ds()
    for arr in (d.states, d.actions, d.rewards, d.next_states, d.pairs, d.pair_counts):
        assert not arr.flags.writeable
    with pytest.raises(Exception):
        d.gamma = 0.5
    e = _episodic()
    assert e.n_episodes == 2 and [x.shape for x in e.episode_arrays()] == [(2, 2)] * 4
    with pytest.raises(ValueError, match="a dataset of transitions has no episodes"):
        _ = d.n_episodes


@pytest.mark.parametrize("make", [_ds, _episodic])
def test_save_load_round_trip_respects_the_umask(tmp_path, make):
    d = make()
    path = tmp_path / "d.npz"
    old = os.umask(0o027)
    try:
        d.save(path)
    finally:
        os.umask(old)
    assert (os.stat(path).st_mode & 0o777) == 0o640
    back = OfflineDataset.load(path)
    for name in ("states", "actions", "rewards", "next_states", "stages", "episodes"):
        a, b = getattr(d, name), getattr(back, name)
        assert (a is None and b is None) or np.array_equal(a, b)
    assert (back.n_states, back.n_actions, back.gamma, back.horizon) == (d.n_states, d.n_actions, d.gamma, d.horizon)
    assert [p.name for p in tmp_path.iterdir()] == ["d.npz"]  # no temporary file left


def test_load_refuses_foreign_oversized_and_pickled_files(tmp_path):
    path = tmp_path / "m.npz"
    FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.5).save(path)
    with pytest.raises(ValueError, match="is not an rltheory OfflineDataset file"):
        OfflineDataset.load(path)
    good = tmp_path / "d.npz"
    _ds().save(good)
    with pytest.raises(ValueError, match="cannot read dataset file .*max_bytes = 8 bytes"):
        OfflineDataset.load(good, max_bytes=8)
    (tmp_path / "t.npz").write_bytes(good.read_bytes()[:60])
    with pytest.raises(ValueError, match="cannot read dataset file"):
        OfflineDataset.load(tmp_path / "t.npz")
    (tmp_path / "x.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"not an .npz \(zip\) archive"):
        OfflineDataset.load(tmp_path / "x.npz")
    pickled = tmp_path / "p.npz"
    np.savez(
        pickled,
        format=np.array("rltheory.OfflineDataset"),
        version=np.array(1),
        states=np.array([object()], dtype=object),
    )
    with pytest.raises(ValueError, match="Object arrays cannot be loaded"):
        OfflineDataset.load(pickled)
    # a declared shape larger than the member's bytes is refused before any allocation
    huge = tmp_path / "h.npz"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(huge, "w") as zout:
        for info in zin.infolist():
            raw = zin.read(info)
            if info.filename == "states.npy":
                raw = raw.replace(b"(3,)", b"(9999999999,)")
            zout.writestr(info.filename, raw)
    with pytest.raises(ValueError, match="member 'states' declares shape"):
        OfflineDataset.load(huge)


def test_split_partitions_rows_and_episodes():
    d = collect(random_mdp(3, 2, 1.0, seed=0, horizon=4), np.full((3, 2), 0.5), n_episodes=11, rng=0)
    parts = d.split(3, rng=1)
    assert sorted(p.n_episodes for p in parts) == [3, 4, 4]
    joined = np.concatenate([p.states for p in parts])
    assert sorted(joined.tolist()) == sorted(d.states.tolist())
    with pytest.raises(ValueError, match="cannot split 11 episodes into 12 parts"):
        d.split(12)


def test_collected_episodes_follow_the_stage_marginals():
    mdp = random_mdp(3, 2, 1.0, seed=5, horizon=3)
    pi = np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
    K = 40_000
    data = collect(mdp, pi, n_episodes=K, rng=6)
    d = stage_occupancy(mdp, pi)
    states, actions, rewards, _ = data.episode_arrays()
    for h in range(3):
        freq = np.bincount(states[:, h] * 2 + actions[:, h], minlength=6).reshape(3, 2) / K
        assert np.all(np.abs(freq - d[h]) <= hoeffding_radius(K, 1e-9 / 18))
    np.testing.assert_array_equal(rewards, np.asarray(mdp.R)[states, actions])  # expected rewards logged


def test_collected_transitions_follow_the_data_distribution():
    mdp = random_mdp(4, 2, 0.7, seed=7)
    pi = np.full((4, 2), 0.5)
    N = 100_000
    data = collect(mdp, pi, n_transitions=N, rng=8)
    mu = data_distribution(mdp, pi)
    assert np.all(np.abs(data.pair_counts / N - mu) <= hoeffding_radius(N, 1e-9 / 8))
    given = collect(mdp, data_distribution=np.full((4, 2), 1 / 8), n_transitions=N, rng=9)
    assert np.all(np.abs(given.pair_counts / N - 1 / 8) <= hoeffding_radius(N, 1e-9 / 8))
    noisy = collect(mdp, pi, n_transitions=N, reward_noise="bernoulli", rng=10)
    assert set(np.unique(noisy.rewards)) <= {0.0, 1.0}
    means = np.bincount(noisy.pairs, weights=noisy.rewards, minlength=8) / noisy.pair_counts.ravel()
    radius = hoeffding_radius(noisy.pair_counts.ravel(), 1e-9 / 8)
    assert np.all(np.abs(means - np.asarray(mdp.R).ravel()) <= radius)


def test_collect_refuses_bad_requests():
    fh = random_mdp(2, 2, 1.0, seed=0, horizon=2)
    disc = random_mdp(2, 2, 0.9, seed=0)
    with pytest.raises(ValueError, match="exactly one budget"):
        collect(fh, np.array([0, 0]))
    with pytest.raises(ValueError, match=r"collect\(n_transitions=...\) solves infinite-horizon discounted"):
        collect(fh, np.array([0, 0]), n_transitions=5)
    with pytest.raises(ValueError, match=r"collect\(n_episodes=...\) solves finite-horizon"):
        collect(disc, np.array([0, 0]), n_episodes=5)
    with pytest.raises(ValueError, match="needs exactly one of behavior_policy and data_distribution"):
        collect(disc, n_transitions=5)
    with pytest.raises(ValueError, match=r"behavior_policy\[2\] \(stage 2\)|behavior_policy has 3 stages"):
        collect(fh, np.zeros((3, 2), dtype=np.int64), n_episodes=5)
    big = FiniteMDP(np.ones((1, 1, 1)), np.array([[2.0]]), gamma=0.5, initial_distribution=[1.0])
    with pytest.raises(ValueError, match="reward_noise='bernoulli' needs rewards in"):
        collect(big, np.array([0]), n_transitions=3, reward_noise="bernoulli")
    with pytest.raises(ValueError, match="the dataset would need"):
        collect(disc, np.array([0, 0]), n_transitions=10**15)
