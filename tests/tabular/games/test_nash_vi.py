"""Nash-VI self-play (Liu, Yu, Bai & Jin 2021, Algorithm 1): optimism certificates judged by exact duality gaps.

Checked against independent code:
- optimism of the l1 bonus (module docstring; holds with probability >= 1 - delta, union bound): in every episode the
  certified gap rho^T(Vup_1 - Vlo_1) of the learner bounds the exact duality gap of the played marginals measured by
  the simulation driver (backward induction on the true model); the output's exact gap (markov_exploitability)
  is the driver's gap of that episode and is at most the output's certified gap;
- one step, noiseless rewards: the bonus vanishes (V^max_{H} = 0), so once the certified gap is 0 the stage CCE is
  one of the true matrix game, whose marginals are a Nash pair (zero-sum: a CCE's marginals are maximin strategies);
  the exact gap is then zero up to rounding;
- every stage solve is a CCE up to rounding (cce_violation) and the output marginals are distributions;
- sample complexity (Liu et al. 2021, Sec. 3: an epsilon-Nash output after O~(H^3 SAB / epsilon^2) episodes with the
  Bernstein bonus; the l1 bonus is expected to keep the K^{-1/2} order, Hoeffding-type analyses losing sqrt(S)): the
  fitted exponent of the output's certified gap over K in 300..10^4 (5 seeds, bootstrap CI) is not significantly
  above -1/2.
"""

import numpy as np
import pytest

from rltheory.proofs_checks.rates import assert_rate_at_most, fit_power_law
from rltheory.simulation import simulate
from rltheory.tabular.games import MarkovGame, NashVI, NashVIResult, nash_vi

EPS = np.finfo(float).eps


def _game(seed, S=2, A=2, B=2, H=2):
    rng = np.random.default_rng(seed)
    return MarkovGame(
        rng.dirichlet(np.ones(S), size=(S, A, B)),
        rng.uniform(-1, 1, size=(S, A, B)),
        gamma=1.0,
        horizon=H,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )


@pytest.mark.parametrize("seed, shape", [(0, (2, 2, 2, 2)), (1, (3, 2, 3, 3))])
def test_l1_optimism_bounds_every_played_gap(seed, shape):
    S, A, B, H = shape
    game = _game(seed, S, A, B, H)
    K = 150
    res = nash_vi(game, K, bonus="l1", seed=seed)
    assert isinstance(res, NashVIResult)
    curve = simulate(game, NashVI(bonus="l1"), n_episodes=K, n_runs=1, seed=seed, checkpoints=list(range(1, K + 1)))
    played = np.diff(curve.regret[0], prepend=0.0)  # the driver's exact gap of each episode
    tol = 64 * (S + A * B) * H * EPS * (1 + np.abs(game.R).max()) * H * (1 + np.arange(K))  # cumulative rounding
    assert (played >= -tol).all()
    assert (played <= res.certified_gap_history + tol).all()
    k = res.best_episode
    assert res.certified_gap == res.certified_gap_history.min() == res.certified_gap_history[k]
    assert abs(res.duality_gap - played[k]) <= tol[k] + 64 * EPS
    assert -64 * EPS <= res.duality_gap <= res.certified_gap + 64 * EPS
    assert res.cce_failures == 0 and res.cce_violation <= 1e-12
    for marg in (res.max_action_probabilities, res.min_action_probabilities):
        np.testing.assert_allclose(marg.sum(axis=2), 1.0, rtol=0, atol=1e-12)


def test_one_step_noiseless_game_is_solved_exactly():
    rng = np.random.default_rng(5)
    game = MarkovGame(np.ones((1, 3, 2, 1)), rng.uniform(-1, 1, size=(1, 3, 2)), gamma=1.0, horizon=1)
    res = nash_vi(game, 40, seed=0)
    assert res.certified_gap == 0.0
    assert abs(res.duality_gap) <= 64 * 6 * EPS


def test_bernstein_agent_plays_distributions_with_nonnegative_gaps():
    game = _game(3)
    curve = simulate(game, NashVI(c=0.1), n_episodes=60, n_runs=2, seed=0, checkpoints=list(range(1, 61)))
    assert (np.diff(curve.regret, axis=1) >= -1e-12).all()


def test_validation():
    with pytest.raises(ValueError, match="finite-horizon"):
        nash_vi(MarkovGame(np.ones((1, 2, 2, 1)), np.zeros((1, 2, 2)), gamma=0.9), 10)
    with pytest.raises(ValueError, match=r"delta = 1\.0 must be < 1\.0"):
        NashVI(delta=1.0)
    with pytest.raises(ValueError, match="c"):
        NashVI(c=0.0)


def test_certified_gap_decays_like_k_to_the_minus_half():
    game = _game(0)
    Ks = [300, 1000, 3000, 10_000]
    gaps = np.array([[nash_vi(game, K, seed=s).certified_gap for s in range(5)] for K in Ks])
    assert_rate_at_most(fit_power_law(Ks, gaps, seed=0), -0.5)
