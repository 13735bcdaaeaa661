"""TSDE (Ouyang et al. 2017): the two stopping criteria, the agent = its NumPy reference on the same streams,
posterior concentration, validation."""

import math

import numpy as np
import pytest

from rltheory.simulation import agent_from_spec, kind_of, run_states, simulate
from rltheory.tabular import FiniteMDP, NoisyRewards, PSRLAverageReward
from rltheory.tabular._average_reward_reference import tsde_reference_run
from rltheory.tabular._tsde import INFO_EPISODES, INFO_NOT_CONVERGED, INFO_PREVIOUS_LENGTH, INFO_T_K
from rltheory.tabular.envs import garnet, river_swim

from ._helpers import actions_of, step_continuing_agent


def _riverswim():
    return river_swim(6, gamma=1, variant="osband")


@pytest.mark.parametrize("problem", [_riverswim(), NoisyRewards(_riverswim())], ids=["expected", "bernoulli"])
def test_agent_plays_the_numpy_reference_actions(problem):
    T = 1500
    agent = PSRLAverageReward(prior_transition=0.5, prior_reward=(1.0, 2.0))
    curve = simulate(problem, agent, n_rounds=T, n_runs=1, seed=5, checkpoints=np.arange(1, T + 1))
    arrays = kind_of(problem).prepare(problem, agent, T).arrays
    env_state, agent_state = run_states(5, np.array([0]), 2)[0]
    ref = tsde_reference_run(arrays, T, env_state, agent_state, prior_transition=0.5, prior_reward=(1.0, 2.0))
    assert actions_of(curve) == ref


def test_episodes_follow_the_two_stopping_criteria():
    # Ouyang et al. (2017), Algorithm 1: an episode continues while t <= t_k + T_{k-1} and N_t <= 2 N_{t_k}; so
    # T_k <= T_{k-1} + 1, and an episode shorter than that ended because some count more than doubled
    mdp = garnet(4, 2, 2, rng=1, gamma=0.9)
    mdp = FiniteMDP(mdp.P, np.clip(mdp.R, 0, 1), gamma=1.0)
    T = 4000
    log = []  # (t, counts at the episode start, T_{k-1})
    seen = {"k": 0.0}
    counts_before = {}

    def watch(t, state):
        counts, info = state[0], state[-1]
        if info[INFO_EPISODES] != seen["k"]:
            seen["k"] = info[INFO_EPISODES]
            assert info[INFO_T_K] == t + 1
            log.append((t, counts.copy(), info[INFO_PREVIOUS_LENGTH], counts_before.get("c")))
        counts_before["c"] = counts.copy()
        assert info[INFO_NOT_CONVERGED] == 0.0

    step_continuing_agent(mdp, PSRLAverageReward(), T, seed=3, watch=watch)
    assert log[0][0] == 0 and log[0][2] == 1.0  # t_0 = 0: T_0 = 1
    lengths = np.diff([t for t, *_ in log])
    assert (lengths[1:] <= lengths[:-1] + 1).all()
    for k in range(1, len(log)):
        t, counts_at_start, prev_len, _ = log[k]
        t_prev, counts_prev_start, _, _ = log[k - 1]
        assert prev_len == t - t_prev
        if t - t_prev < (log[k - 1][2] + 1):  # shorter than allowed: the doubling criterion fired
            assert (counts_at_start > 2 * counts_prev_start).any()
    # episodes grow at most linearly: at least sqrt(2T) - 1 of them (K (K + 1) / 2 >= T)
    assert len(log) >= math.sqrt(2 * T) - 1


def test_posterior_concentrates_and_the_agent_learns_riverswim():
    # with the posterior concentrating, the sampled policies become optimal: after a burn-in the pseudo-regret
    # per step is far below that of the first steps (a coarse check; the rate is the claims' business)
    mdp = _riverswim()
    curve = simulate(mdp, PSRLAverageReward(), n_rounds=20_000, n_runs=8, seed=0, checkpoints=[2_000, 20_000])
    early = curve.mean[0] / 2_000
    late = (curve.mean[1] - curve.mean[0]) / 18_000
    assert late < 0.25 * early


def test_validation_and_spec_round_trip():
    with pytest.raises(ValueError, match="prior_transition = 0.0 must be > 0.0"):
        PSRLAverageReward(prior_transition=0.0)
    with pytest.raises(ValueError, match="prior_reward must be a pair"):
        PSRLAverageReward(prior_reward=(1.0,))
    with pytest.raises(ValueError, match=r"prior_reward\[1\] = -1.0 must be > 0.0"):
        PSRLAverageReward(prior_reward=(1.0, -1.0))
    agent = PSRLAverageReward(prior_transition=0.25, prior_reward=(2.0, 1.0))
    assert agent.to_spec()["params"]["prior_reward"] == [2.0, 1.0]
    assert agent_from_spec(agent.to_spec()) == agent
    with pytest.raises(ValueError, match=r"PSRLAverageReward assumes rewards in \[0, 1\]"):
        simulate(river_swim(6, gamma=1), agent, n_rounds=10)
