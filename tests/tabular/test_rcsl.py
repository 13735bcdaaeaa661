"""RCSL: the tabular maximum-likelihood policy, its exact value, success on covered data, failure to stitch."""

import numpy as np
import pytest

from rltheory.tabular import (
    FiniteMDP,
    OfflineDataset,
    backward_induction,
    collect,
    finite_horizon_policy_evaluation,
    model_based_planning,
    rcsl_value,
    return_conditioned_policy,
)
from rltheory.tabular.envs import stitching_mdp


def _stage_policy(mdp, at_one, start_action=None):
    """Per-stage behaviour: uniform everywhere, except ``at_one`` in state 1 at stage 1 (and ``start_action`` in 0)."""
    pi = np.full((2, mdp.n_states, 2), 0.5)
    pi[1, 1] = np.eye(2)[at_one]
    if start_action is not None:
        pi[0, 0] = np.eye(2)[start_action]
    return pi


def _stitching_data(mdp, n, rng):
    """Two kinds of suboptimal episodes: from 0 (a1 in state 1), from 3 (a0 in state 1)."""
    g = np.random.default_rng(rng)
    from0 = collect(mdp, _stage_policy(mdp, 1), n_episodes=n, initial_distribution=np.eye(5)[0], rng=g)
    from3 = collect(mdp, _stage_policy(mdp, 0), n_episodes=n, initial_distribution=np.eye(5)[3], rng=g)
    return OfflineDataset.concatenate([from0, from3])


def test_policy_is_the_empirical_law_given_stage_state_and_return():
    d = OfflineDataset(
        [0, 1, 0, 1, 0, 1],
        [0, 0, 1, 1, 0, 1],
        [0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        [1, 0, 1, 0, 1, 0],
        n_states=2,
        n_actions=2,
        gamma=0.5,
        horizon=2,
        stages=[0, 1] * 3,
        episodes=[0, 0, 1, 1, 2, 2],
    )
    pol = return_conditioned_policy(d)
    # returns-to-go at stage 0: 0 + 0.5 * 1 = 0.5 (episodes 0 and 2), 0 (episode 1)
    assert pol.stages.tolist() == [0, 0, 1, 1] and pol.returns_to_go.tolist() == [0.0, 0.5, 0.0, 1.0]
    assert pol.key_counts.tolist() == [1, 2, 1, 2]
    p, ok = pol.action_distribution(0, 0, 0.5)
    assert ok and p.tolist() == [1.0, 0.0]
    p, ok = pol.action_distribution(1, 1, 1.0)
    assert ok and p.tolist() == [0.5, 0.5]  # two episodes reach state 1 with return-to-go 1: actions 0 and 1
    p, ok = pol.action_distribution(1, 0, 3.0)
    assert not ok and p.tolist() == [0.5, 0.5]  # state 0 never seen at stage 1: the uniform fallback
    assert not pol.action_probabilities.flags.writeable


def test_value_matches_the_exact_value_of_the_equivalent_markov_policy():
    # data from a deterministic per-stage policy: every (h, s) has one return-to-go per reward sequence; on a
    # deterministic model the RCSL policy conditioned on the logged return replays that policy exactly
    rng = np.random.default_rng(3)
    P = np.zeros((4, 2, 4))
    P[np.arange(4)[:, None], np.arange(2)[None, :], rng.integers(0, 4, size=(4, 2))] = 1.0
    mdp = FiniteMDP(P, rng.uniform(size=(4, 2)), gamma=0.9, horizon=3, initial_distribution=np.eye(4)[0])
    pi = rng.integers(0, 2, size=(3, 4))
    data = collect(mdp, pi, n_episodes=5, rng=0)
    res = rcsl_value(mdp, return_conditioned_policy(data))
    assert res.value == pytest.approx(finite_horizon_policy_evaluation(mdp, pi).value, abs=1e-12)
    assert res.fallback_probability == 0.0


def test_value_on_a_stochastic_model_sums_over_the_augmented_law():
    # one state, H = 2, gamma = 1; logged: action 0 -> rewards (1, 0) and (1, 1); action 1 -> (0, 1)
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=1.0, horizon=2, initial_distribution=[1.0])
    d = OfflineDataset(
        [0] * 6,
        [0, 1, 0, 0, 1, 0],
        [1.0, 0.0, 1.0, 1.0, 0.0, 1.0],
        [0] * 6,
        n_states=1,
        n_actions=2,
        gamma=1.0,
        horizon=2,
        stages=[0, 1] * 3,
        episodes=[0, 0, 1, 1, 2, 2],
    )
    pol = return_conditioned_policy(d)
    # target 2: episode 1 only (a0, a0) -> value 2; target 1 at stage 0: episodes 0 and 2: a0 then g = 0 at
    # stage 1 -> logged a1 (episode 0) -> value 1; target 1 from episode 2 is (a1 then a0)... stage 0 with g = 1:
    # episode 0 (a0) and episode 2 (a1) -> a0 or a1 w.p. 1/2 each
    assert rcsl_value(mdp, pol, 2.0).value == pytest.approx(2.0)
    # g0 = 1: a0 (1/2) -> r 1, g 0 -> a1 -> 0: total 1; a1 (1/2) -> r 0, g 1 -> a0 -> 1: total 1
    assert rcsl_value(mdp, pol, 1.0).value == pytest.approx(1.0)
    out = rcsl_value(mdp, pol, 0.25)
    assert out.fallback_probability == 1.0
    # fallback stage 0: BC (2/3 a0, 1/3 a1); stage 1 after a0 has g = -0.75 (unlogged) -> BC stage 1 (1/3 a0)
    assert out.value == pytest.approx(2 / 3 * (1 + 2 / 3) + 1 / 3 * (0 + 2 / 3))


def test_rcsl_succeeds_when_an_optimal_episode_is_logged():
    # Brandfonbrener et al. (2022): deterministic dynamics and rewards, the target return covered by the data
    mdp = stitching_mdp()
    data = collect(mdp, np.full((5, 2), 0.5), n_episodes=200, initial_distribution=np.eye(5)[0], rng=0)
    s, a, _, _ = data.episode_arrays()
    assert np.any((a[:, 0] == 0) & (a[:, 1] == 0))  # the optimal episode is in the data
    res = rcsl_value(mdp, return_conditioned_policy(data), initial_distribution=np.eye(5)[0])
    assert res.value == 1.0 and res.fallback_probability == 0.0


def test_rcsl_cannot_stitch_while_planning_on_the_same_data_does():
    mdp = stitching_mdp()
    data = _stitching_data(mdp, 100, 0)
    pol = return_conditioned_policy(data)
    rho0 = np.eye(5)[0]
    v_star = backward_induction(mdp).v[0, 0]
    logged = sorted(set(pol.returns_to_go.tolist()))
    assert logged == [0.0, 0.5, 1.0]
    values = [rcsl_value(mdp, pol, g, initial_distribution=rho0).value for g in logged]
    assert values[0] == 0.0 and values[1] == 0.5
    frac = np.mean(np.asarray(data.episode_arrays()[1])[:100, 0] == 0)  # BC's share of a0 at the start
    assert values[2] == pytest.approx(frac * 1.0 + (1 - frac) * 0.5)  # target 1: fallback at 0, then stitched luck
    assert max(values) < v_star == 1.0
    plan = model_based_planning(data).policy
    assert finite_horizon_policy_evaluation(mdp, plan, initial_distribution=rho0).value == pytest.approx(1.0)


def test_bad_inputs_are_refused():
    transitions = OfflineDataset([0], [0], [1.0], [0], n_states=1, n_actions=1, gamma=0.5)
    with pytest.raises(ValueError, match="needs episodic data"):
        return_conditioned_policy(transitions)
    with pytest.raises(ValueError, match="needs an OfflineDataset"):
        return_conditioned_policy([1, 2])
    d = OfflineDataset([0], [0], [1.0], [0], n_states=1, n_actions=2, gamma=1.0, horizon=1, stages=[0], episodes=[0])
    pol = return_conditioned_policy(d)
    with pytest.raises(ValueError, match=r"the model has \(H, S, A\) = \(2, 1, 2\), the policy \(1, 1, 2\)"):
        rcsl_value(
            FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=1.0, horizon=2, initial_distribution=[1.0]), pol
        )
    with pytest.raises(ValueError, match="needs an RCSLPolicy"):
        rcsl_value(stitching_mdp(), "policy")


def test_concatenate_renumbers_episodes_and_refuses_mismatched_tasks():
    mdp = stitching_mdp()
    data = _stitching_data(mdp, 3, 1)
    assert data.n_episodes == 6 and np.asarray(data.episodes).tolist() == np.repeat(np.arange(6), 2).tolist()
    other = OfflineDataset(
        [0], [0], [1.0], [0], n_states=5, n_actions=2, gamma=0.5, horizon=1, stages=[0], episodes=[0]
    )
    with pytest.raises(ValueError, match=r"datasets\[1\] has \(n_states, n_actions, gamma, horizon\)"):
        OfflineDataset.concatenate([data, other])
    with pytest.raises(ValueError, match="non-empty sequence"):
        OfflineDataset.concatenate([])
