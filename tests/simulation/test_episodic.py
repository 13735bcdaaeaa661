"""The episodic driver: exact regret of the planned policy, stochastic policies, invalid plans."""

import dataclasses
from typing import ClassVar, NamedTuple

import numpy as np
import pytest
from numba import njit

from rltheory.linear import LinearMDP
from rltheory.simulation import EpisodicAgent, simulate

MDP = LinearMDP.random(4, 3, 2, horizon=5, rng=3)


class _FixedParams(NamedTuple):
    policy: np.ndarray  # (H, S) int64


@njit
def _fixed_init(params, n_states, n_actions, horizon, features):
    return np.zeros(1)


@njit
def _fixed_plan(params, state, episode, policy, rng):
    policy[:, :] = params.policy


@njit
def _noop_observe(params, state, h, s, a, reward, s_next, rng):
    state[0] += 1.0


@dataclasses.dataclass(frozen=True)
class FixedPolicy(EpisodicAgent):
    actions: tuple = ()
    name: ClassVar[str] = "TestFixedPolicy"
    Params: ClassVar = _FixedParams
    init: ClassVar = staticmethod(_fixed_init)
    plan: ClassVar = staticmethod(_fixed_plan)
    observe: ClassVar = staticmethod(_noop_observe)

    def compiled_params(self, problem, budget):
        return _FixedParams(np.asarray(self.actions, dtype=np.int64))


class _UniformParams(NamedTuple):
    n_actions: int


@njit
def _uniform_plan(params, state, episode, policy, rng):
    policy[:, :, :] = 1.0 / params.n_actions


@dataclasses.dataclass(frozen=True)
class Uniform(EpisodicAgent):
    name: ClassVar[str] = "TestUniformPolicy"
    stochastic_policy: ClassVar[bool] = True
    Params: ClassVar = _UniformParams
    init: ClassVar = staticmethod(_fixed_init)
    plan: ClassVar = staticmethod(_uniform_plan)
    observe: ClassVar = staticmethod(_noop_observe)

    def compiled_params(self, problem, budget):
        return _UniformParams(problem.n_actions)


def _values_of_uniform(mdp):
    H, S = mdp.horizon, mdp.n_states
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        V[h] = (mdp.R[h] + mdp.P[h] @ V[h + 1]).mean(axis=1)
    return V


def test_regret_of_a_fixed_policy_is_exactly_its_value_gap():
    # Jin et al. (2020), Sec. 2: Regret(K) = sum_k V*_1(s_1^k) - V^{pi_k}_1(s_1^k); with rho-averaged start states and a
    # fixed policy every episode adds rho^T (V* - V^pi), computed here independently by backward induction
    pol = np.zeros((MDP.horizon, MDP.n_states), dtype=np.int64)
    pol[::2] = 2
    curve = simulate(MDP, FixedPolicy(actions=tuple(map(tuple, pol))), n_episodes=30, n_runs=2, checkpoints=[1, 30])
    gap = MDP.initial_distribution @ (MDP.optimal_values().v[0] - MDP.policy_values(pol)[0])
    np.testing.assert_allclose(curve.regret, np.broadcast_to([gap, 30 * gap], (2, 2)), rtol=1e-12)
    assert (curve.pulls[:, -1].sum(axis=1) == 30 * MDP.horizon).all()


def test_stochastic_policy_regret_and_action_frequencies():
    curve = simulate(MDP, Uniform(), n_episodes=400, n_runs=3, seed=1, checkpoints=[400])
    gap = MDP.initial_distribution @ (MDP.optimal_values().v[0] - _values_of_uniform(MDP)[0])
    np.testing.assert_allclose(curve.regret[:, -1], 400 * gap, rtol=1e-10)
    # actions are sampled from the planned distribution: each action's count is Binomial(2000, 1/3); 5 sigma
    n = 400 * MDP.horizon
    counts = curve.pulls[:, -1]
    assert (np.abs(counts - n / 3) < 5 * np.sqrt(n * (1 / 3) * (2 / 3))).all()


def test_invalid_plan_is_reported_with_the_episode():
    bad = np.full((MDP.horizon, MDP.n_states), 7, dtype=np.int64)
    with pytest.raises(ValueError, match=r"planned an action outside \[0, 3\) for episode 1 of run 0"):
        simulate(MDP, FixedPolicy(actions=tuple(map(tuple, bad))), n_episodes=3, n_runs=1)
