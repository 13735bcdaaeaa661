"""FiniteMDP with a horizon as an episodic problem: exact regret, reward noise, common random numbers, bad input."""

import dataclasses
from typing import ClassVar, NamedTuple

import numpy as np
import pytest
from numba import njit

from rltheory.simulation import EpisodicAgent, kind_of, simulate
from rltheory.tabular import PSRL, UCBVI, FiniteMDP, NoisyRewards, backward_induction
from rltheory.tabular._learning_reference import reference_run

from ._learning import small_mdp


class _Fixed(NamedTuple):
    policy: np.ndarray


@njit
def _init(params, n_states, n_actions, horizon, features):
    return np.zeros(1)


@njit
def _plan(params, state, episode, policy, rng):
    policy[:, :] = params.policy


@njit
def _observe(params, state, h, s, a, reward, s_next, rng):
    state[0] += reward


@dataclasses.dataclass(frozen=True)
class Fixed(EpisodicAgent):
    actions: tuple = ()
    name: ClassVar[str] = "TestTabularFixed"
    Params: ClassVar = _Fixed
    init: ClassVar = staticmethod(_init)
    plan: ClassVar = staticmethod(_plan)
    observe: ClassVar = staticmethod(_observe)

    def compiled_params(self, problem, budget):
        return _Fixed(np.asarray(self.actions, dtype=np.int64))


MDP = small_mdp(21)
POLICY = np.array([[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]])


def _policy_value(mdp, pol):
    V = np.zeros(mdp.n_states)
    idx = np.arange(mdp.n_states)
    for h in range(mdp.horizon - 1, -1, -1):
        V = mdp.R[idx, pol[h]] + mdp.P[idx, pol[h]] @ V
    return V


def test_kind_and_metadata():
    assert kind_of(MDP).name == "episodic" and kind_of(NoisyRewards(MDP)).name == "episodic"
    curve = simulate(NoisyRewards(MDP), Fixed(tuple(map(tuple, POLICY))), n_episodes=5, checkpoints=2)
    assert curve.metadata["horizon"] == 3 and curve.metadata["rewards"].startswith("Bernoulli")
    assert "two xoshiro256++ streams" in curve.metadata["rng"] and curve.first_visit.shape == (1, 4)
    assert simulate(MDP, Fixed(tuple(map(tuple, POLICY))), n_episodes=5).metadata["rewards"] == "expected r_h(s, a)"


@pytest.mark.parametrize("noisy", [False, True])
def test_regret_of_a_fixed_policy_is_its_exact_gap_and_the_realized_regret_is_unbiased(noisy):
    # pseudo-regret per episode = rho^T (V*_1 - V^pi_1) exactly (backward induction, independently here); the
    # realized regret V*_1(s_1) - sum_h r_h has that mean: CLT check at 5 standard errors over runs
    problem = NoisyRewards(MDP) if noisy else MDP
    gap = MDP.initial_distribution @ (backward_induction(MDP).v[0] - _policy_value(MDP, POLICY))
    K, n = 200, 64
    curve = simulate(problem, Fixed(tuple(map(tuple, POLICY))), n_episodes=K, n_runs=n, seed=2, checkpoints=[K])
    np.testing.assert_allclose(curve.regret[:, -1], K * gap, rtol=1e-12)
    real = curve.realized_regret[:, -1]
    assert abs(real.mean() - K * gap) < 5 * real.std(ddof=1) / np.sqrt(n)


def test_common_random_numbers_and_first_visits():
    # the environment stream is consumed identically whatever the agent: two agents see the same start states
    a = reference_run(MDP, UCBVI(bonus_scale=0.02), 30, seed=4, run=1)
    b = reference_run(MDP, PSRL(), 30, seed=4, run=1)
    assert np.array_equal(a.states[:, 0], b.states[:, 0])
    curve = simulate(MDP, UCBVI(bonus_scale=0.02), n_episodes=30, n_runs=2, seed=4, checkpoints=3)
    first = np.zeros(MDP.n_states, dtype=np.int64)
    for k in range(30):
        for s in a.states[k]:
            if first[s] == 0:
                first[s] = k + 1
    assert np.array_equal(curve.first_visit[1], first)


def test_bad_problems_are_refused_clearly():
    P, R, rho = MDP.P, MDP.R, MDP.initial_distribution
    agent = UCBVI()
    with pytest.raises(ValueError, match="not a problem of any simulated kind"):
        simulate(FiniteMDP(P, R, gamma=0.9), agent, n_episodes=2)
    with pytest.raises(ValueError, match="gamma=1.0"):
        simulate(FiniteMDP(P, R, gamma=0.9, horizon=3, initial_distribution=rho), agent, n_episodes=2)
    with pytest.raises(ValueError, match="initial_distribution"):
        simulate(FiniteMDP(P, R, gamma=1.0, horizon=3), agent, n_episodes=2)
    mask = np.ones((4, 2), dtype=bool)
    mask[0, 1] = False
    with pytest.raises(ValueError, match="masks some actions"):
        simulate(FiniteMDP(P, R, gamma=1.0, horizon=3, initial_distribution=rho, action_mask=mask), agent, n_episodes=2)
    with pytest.raises(ValueError, match="needs expected rewards in \\[0, 1\\]"):
        NoisyRewards(FiniteMDP(P, R + 1.0, gamma=1.0, horizon=3, initial_distribution=rho))
    with pytest.raises(ValueError, match="takes its budget as n_episodes"):
        simulate(MDP, agent, n_rounds=5)
