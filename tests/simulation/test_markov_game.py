"""The self-play driver of two-player zero-sum episodic Markov games: exact duality gaps of the played marginals.

Checked against independent code: the per-episode gap the driver accumulates equals
rho^T (V^{dagger, nu} - V^{mu, dagger}) of the marginals by `markov_exploitability` (backward induction on the
two induced MDPs, itself tested against trajectory enumeration), for product and correlated joint policies; a
Nash pair (Shapley backward induction) has gap zero up to its certificate; the realized regret of a deterministic
game with pure policies is the exact return shortfall; invalid joint policies are rejected with the episode named.
"""

import dataclasses
from typing import ClassVar, NamedTuple

import numpy as np
import pytest
from numba import njit

from rltheory.simulation import MarkovGameAgent, simulate
from rltheory.tabular.games import MarkovGame, markov_exploitability, shapley_backward_induction


class _FixedParams(NamedTuple):
    policy: np.ndarray  # (H, S, A, B) joint distribution per step and state


@njit
def _fixed_init(params, n_states, n_max_actions, n_min_actions, horizon):
    return np.zeros(1)


@njit
def _fixed_plan(params, state, episode, policy, rng):
    policy[...] = params.policy


@njit
def _fixed_observe(params, state, h, s, a, b, reward, s_next, rng):
    state[0] += 1.0


@dataclasses.dataclass(frozen=True)
class FixedJointPolicy(MarkovGameAgent):
    joint: tuple = ()
    name: ClassVar[str] = "TestFixedJointPolicy"
    Params: ClassVar = _FixedParams
    init: ClassVar = staticmethod(_fixed_init)
    plan: ClassVar = staticmethod(_fixed_plan)
    observe: ClassVar = staticmethod(_fixed_observe)

    def compiled_params(self, problem, budget):
        return _FixedParams(np.ascontiguousarray(self.joint, dtype=np.float64))


def _as_tuple(a):
    return tuple(map(_as_tuple, a)) if isinstance(a, np.ndarray) and a.ndim else float(a)


def _game(seed, S=3, A=2, B=3, H=3):
    rng = np.random.default_rng(seed)
    return MarkovGame(
        rng.dirichlet(np.ones(S), size=(S, A, B)),
        rng.uniform(-1, 1, size=(S, A, B)),
        gamma=0.9,
        horizon=H,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )


def _exact_gap(game, joint):
    mu, nu = joint.sum(axis=3), joint.sum(axis=2)
    return float(game.initial_distribution @ np.asarray(markov_exploitability(game, mu, nu).gap[0]))


@pytest.mark.parametrize("correlated", [False, True])
def test_gap_is_the_exact_duality_gap_of_the_marginals(correlated):
    game = _game(0)
    rng = np.random.default_rng(1)
    H, S, A, B = game.horizon, game.n_states, game.n_max_actions, game.n_min_actions
    if correlated:
        joint = rng.dirichlet(np.ones(A * B), size=(H, S)).reshape(H, S, A, B)
    else:
        mu, nu = rng.dirichlet(np.ones(A), size=(H, S)), rng.dirichlet(np.ones(B), size=(H, S))
        joint = mu[..., :, None] * nu[..., None, :]
    K = 7
    curve = simulate(game, FixedJointPolicy(joint=_as_tuple(joint)), n_episodes=K, n_runs=2, seed=3, checkpoints=[1, K])
    gap = _exact_gap(game, joint)
    assert gap > 0.0
    scale = 64 * (S + A * B) * H * np.finfo(float).eps * (1 + np.abs(game.R).max()) * H
    np.testing.assert_allclose(curve.regret[:, 0], gap, rtol=0, atol=scale)
    np.testing.assert_allclose(curve.regret[:, 1], K * gap, rtol=0, atol=K * scale)
    assert curve.unit == "episodes"
    assert (curve.pulls[:, -1].sum(axis=1) == K * H).all()


def test_nash_pair_has_gap_within_its_certificate():
    game = _game(2)
    res = shapley_backward_induction(game)
    X, Y = np.asarray(res.max_action_probabilities), np.asarray(res.min_action_probabilities)
    joint = X[..., :, None] * Y[..., None, :]
    curve = simulate(game, FixedJointPolicy(joint=_as_tuple(joint)), n_episodes=3, n_runs=1, seed=0, checkpoints=1)
    bound = res.policy_suboptimality_bound
    assert 0.0 <= curve.regret[0, -1] <= 3 * bound + 1e-12


def test_realized_regret_is_the_return_shortfall_on_a_deterministic_game():
    # one state, deterministic: the max player plays row 0, the min player column 1; r = R[0, 0, 1] every step
    R = np.array([[[3.0, 1.0], [0.0, 2.0]]])
    game = MarkovGame(np.ones((1, 2, 2, 1)), R, gamma=0.5, horizon=3)
    joint = np.zeros((3, 1, 2, 2))
    joint[:, 0, 0, 1] = 1.0
    curve = simulate(game, FixedJointPolicy(joint=_as_tuple(joint)), n_episodes=4, n_runs=1, seed=0, checkpoints=1)
    value = shapley_backward_induction(game).v[0][0]
    assert abs(value - 1.5 * (1 + 0.5 + 0.25)) < 1e-12  # stage value 3/2 (mixed), discounted over 3 steps
    shortfall = value - 1.0 * (1 + 0.5 + 0.25)
    np.testing.assert_allclose(curve.realized_regret[0, -1], 4 * shortfall, rtol=1e-12)
    assert curve.pulls[0, -1].tolist() == [0, 12, 0, 0]  # joint index a * B + b


def test_invalid_joint_policy_is_rejected():
    game = _game(4, S=2, A=2, B=2, H=2)
    joint = np.full((2, 2, 2, 2), 0.3)  # sums to 1.2
    with pytest.raises(ValueError, match="not a probability distribution for episode 1 of run 0"):
        simulate(game, FixedJointPolicy(joint=_as_tuple(joint)), n_episodes=2, n_runs=1, seed=0, checkpoints=1)
