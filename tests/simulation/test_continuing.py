"""The continuing driver: regret identities on deterministic models, reward noise, streams, invalid actions."""

import dataclasses
from typing import ClassVar, NamedTuple

import numpy as np
import pytest
from numba import njit

from rltheory.simulation import ContinuingAgent, RegretCurve, rng_integers, simulate
from rltheory.tabular import FiniteMDP, NoisyRewards


class _FixedParams(NamedTuple):
    policy: np.ndarray  # (S,) int64


@njit
def _fixed_init(params, n_states, n_actions):
    return np.zeros(2)


@njit
def _fixed_act(params, state, t, s, rng):
    return params.policy[s]


@njit
def _fixed_observe(params, state, t, s, a, reward, s_next, rng):
    state[0] += reward
    state[1] += 1.0


@dataclasses.dataclass(frozen=True)
class FixedPolicy(ContinuingAgent):
    actions: tuple = ()
    name: ClassVar[str] = "TestContinuingFixedPolicy"
    Params: ClassVar = _FixedParams
    init: ClassVar = staticmethod(_fixed_init)
    act: ClassVar = staticmethod(_fixed_act)
    observe: ClassVar = staticmethod(_fixed_observe)

    def compiled_params(self, problem, budget):
        return _FixedParams(np.asarray(self.actions, dtype=np.int64))


@njit
def _random_act(params, state, t, s, rng):
    return rng_integers(rng, 2)


@dataclasses.dataclass(frozen=True)
class UniformRandom(ContinuingAgent):
    name: ClassVar[str] = "TestContinuingUniform"
    init: ClassVar = staticmethod(_fixed_init)
    act: ClassVar = staticmethod(_random_act)
    observe: ClassVar = staticmethod(_fixed_observe)


def _cycle():
    """Three states on a cycle: action 0 stays, action 1 moves s -> s + 1 (mod 3); r(s, a) = (s + 1) / 4 + a / 8."""
    S = 3
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    for s in range(S):
        P[s, 0, s] = 1.0
        P[s, 1, (s + 1) % S] = 1.0
        R[s] = [(s + 1) / 4, (s + 1) / 4 + 1 / 8]
    return FiniteMDP(P, R, gamma=1.0, initial_distribution=[1.0, 0.0, 0.0])


def test_regret_of_a_fixed_policy_on_a_deterministic_model_is_the_path_sum():
    # g* = 3/4 (stay in state 2 with action 0; r(2, 1) = 7/8 leaves it). Playing "move" everywhere visits
    # 0, 1, 2, 0, ... with rewards 3/8, 5/8, 7/8: regret(T) = sum_{t<T} (g* - r_t), computed here by hand
    mdp = _cycle()
    T = 30
    curve = simulate(mdp, FixedPolicy(actions=(1, 1, 1)), n_rounds=T, n_runs=2, seed=5, checkpoints=np.arange(1, T + 1))
    assert curve.metadata["optimal_gain"] == 0.75 and curve.metadata["rewards"] == "expected"
    rewards = np.array([3 / 8, 5 / 8, 7 / 8] * (T // 3))
    expected = np.cumsum(0.75 - rewards)
    np.testing.assert_allclose(curve.regret[0], expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(curve.realized_regret, curve.regret)  # expected rewards: no noise
    assert curve.pulls[0, -1].tolist() == [0, T]


def test_a_gain_optimal_policy_has_bounded_pseudo_regret():
    # staying in state 2 is optimal; from state 0 "move, move, stay, ..." pays 3/8 + 5/8 then 3/4 forever:
    # regret = (3/4 - 3/8) + (3/4 - 5/8) = 1/2 for every T >= 2 (the bias difference, not growing with T)
    curve = simulate(_cycle(), FixedPolicy(actions=(1, 1, 0)), n_rounds=1000, n_runs=1, checkpoints=[1, 2, 10, 1000])
    np.testing.assert_allclose(curve.regret[0], [0.375, 0.5, 0.5, 0.5], rtol=0, atol=1e-12)


def test_start_state_is_uniform_without_an_initial_distribution():
    # the regret of round 1 is g* - r(s_0, a_0): its mean over runs reveals the law of s_0
    mdp = _cycle()
    uniform = FiniteMDP(mdp.P, mdp.R, gamma=1.0)
    curve = simulate(uniform, FixedPolicy(actions=(0, 0, 0)), n_rounds=1, n_runs=3000, seed=1, checkpoints=1)
    first = 0.75 - curve.regret[:, 0]  # r(s_0, 0) = (s_0 + 1) / 4
    states = np.rint(first * 4 - 1).astype(int)
    counts = np.bincount(states, minlength=3)
    # multinomial(3000, 1/3): each count within 5 standard deviations of 1000
    assert (np.abs(counts - 1000) < 5 * np.sqrt(3000 * (1 / 3) * (2 / 3))).all()


def test_bernoulli_rewards_are_unbiased_and_binary():
    mdp = _cycle()
    curve = simulate(NoisyRewards(mdp), UniformRandom(), n_rounds=400, n_runs=300, seed=2, checkpoints=[400])
    assert curve.metadata["rewards"] == "bernoulli" and "Bernoulli" in curve.metadata["reward_model"]
    # realized - pseudo = sum_t (r(s_t, a_t) - r_t): a martingale with mean 0 (5-sigma over runs)
    diff = curve.realized_regret[:, -1] - curve.regret[:, -1]
    assert abs(diff.mean()) < 5 * diff.std(ddof=1) / np.sqrt(diff.size)
    # T g* - realized regret = number of unit rewards: an integer
    collected = 400 * 0.75 - curve.realized_regret[:, -1]
    np.testing.assert_allclose(collected, np.rint(collected), rtol=0, atol=1e-9)


def test_noise_shares_the_environment_stream_and_the_agent_has_its_own():
    # with a fixed policy the trajectory of a deterministic model does not depend on the streams at all
    mdp = _cycle()
    a = simulate(mdp, FixedPolicy(actions=(1, 1, 1)), n_rounds=50, n_runs=1, seed=3, checkpoints=2)
    b = simulate(mdp, FixedPolicy(actions=(1, 1, 1)), n_rounds=50, n_runs=1, seed=4, checkpoints=2)
    np.testing.assert_array_equal(a.regret, b.regret)
    # a random agent draws on its own stream: the run changes with the seed, never with the chunking
    c = simulate(mdp, UniformRandom(), n_rounds=200, n_runs=4, seed=3, checkpoints=4)
    parts = [simulate(mdp, UniformRandom(), n_rounds=200, n_runs=2, seed=3, checkpoints=4, run_start=s) for s in (0, 2)]
    np.testing.assert_array_equal(RegretCurve.concatenate(parts).regret, c.regret)
    assert not np.array_equal(c.pulls[0], c.pulls[1])


@njit
def _bad_act(params, state, t, s, rng):
    return 2 if t == 7 else 0


@dataclasses.dataclass(frozen=True)
class OutOfRange(ContinuingAgent):
    name: ClassVar[str] = "TestContinuingOutOfRange"
    init: ClassVar = staticmethod(_fixed_init)
    act: ClassVar = staticmethod(_bad_act)
    observe: ClassVar = staticmethod(_fixed_observe)


def test_invalid_and_disallowed_actions_are_reported_with_their_round():
    mdp = _cycle()
    with pytest.raises(ValueError, match="round 8 of run 0"):
        simulate(mdp, OutOfRange(), n_rounds=20, n_runs=1)
    masked = FiniteMDP(
        mdp.P,
        mdp.R,
        gamma=1.0,
        action_mask=[[True, True], [True, True], [True, False]],
        initial_distribution=[1.0, 0.0, 0.0],
    )
    with pytest.raises(ValueError, match="disallowed by the action mask at round 3 of run 0"):
        simulate(masked, FixedPolicy(actions=(1, 1, 1)), n_rounds=20, n_runs=1)


def test_kind_budget_and_criterion_are_checked():
    mdp = _cycle()
    with pytest.raises(ValueError, match="continuing kind takes its budget as n_rounds="):
        simulate(mdp, FixedPolicy(actions=(0, 0, 0)), n_episodes=10)
    discounted = FiniteMDP(mdp.P, mdp.R, gamma=0.9)
    with pytest.raises(ValueError, match="not a problem of any simulated kind"):
        simulate(discounted, FixedPolicy(actions=(0, 0, 0)), n_rounds=10)
    # two absorbing states with different rewards: the optimal gain depends on the state
    P = np.zeros((2, 1, 2))
    P[0, 0, 0] = P[1, 0, 1] = 1.0
    multichain = FiniteMDP(P, np.array([[0.0], [1.0]]), gamma=1.0)
    with pytest.raises(ValueError, match="constant optimal gain"):
        simulate(multichain, FixedPolicy(actions=(0, 0)), n_rounds=10)
