"""Recovering bandits: the DP optimum against brute force, the fluid bound against scipy's LP, periodic schedules."""

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from rltheory.bandits import (
    RecoveringBandit,
    best_periodic_schedule,
    periodic_schedule_value,
    recovering_optimal_value,
    recovering_upper_bound,
)


def _brute_force(bandit, T):
    """Best total reward over every sequence of at most K arms per period (independent of the DP)."""
    n, K, dmax = bandit.n_arms, bandit.pulls_per_period, bandit.max_idle
    choices = [c for m in range(K + 1) for c in itertools.combinations(range(n), m)]
    best = -np.inf
    for seq in itertools.product(choices, repeat=T):
        idle, total = list(bandit.initial_idle), 0.0
        for pulled in seq:
            for i in range(n):
                if i in pulled:
                    total += bandit.recovery[i, idle[i] - 1]
                    idle[i] = 1
                else:
                    idle[i] = min(idle[i] + 1, dmax)
        best = max(best, total)
    return best


def _lp(bandit, T):
    """The fluid LP of the module docstring, primal, by HiGHS."""
    n, dmax = bandit.recovery.shape
    c = -bandit.recovery.reshape(-1)
    A = np.zeros((n + 1, n * dmax))
    for i in range(n):
        A[i, i * dmax : (i + 1) * dmax] = np.arange(1, dmax + 1)
    A[n] = 1.0
    b = np.concatenate([T + bandit.initial_idle - 1.0, [bandit.pulls_per_period * T]])
    res = linprog(c, A_ub=A, b_ub=b, bounds=(0, None), method="highs")
    assert res.status == 0
    return -res.fun


def _instances(seed, count):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(2, 4))
        dmax = int(rng.integers(1, 4))
        R = np.sort(rng.uniform(size=(n, dmax)), axis=1)
        yield RecoveringBandit(R, int(rng.integers(1, n + 1)), rng.integers(1, dmax + 1, size=n))


def test_optimum_is_the_brute_force_optimum():
    for bandit in _instances(0, 4):
        for T in (1, 2, 4):
            assert recovering_optimal_value(bandit, T).value == pytest.approx(_brute_force(bandit, T), abs=1e-12)


def test_optimal_schedule_attains_the_optimum_and_respects_k():
    for bandit in _instances(1, 5):
        plan = recovering_optimal_value(bandit, 7)
        assert plan.schedule.sum(axis=1).max() <= bandit.pulls_per_period
        idle, total = list(bandit.initial_idle), 0.0
        for row in plan.schedule:
            for i in range(bandit.n_arms):
                if row[i]:
                    total += bandit.recovery[i, idle[i] - 1]
                    idle[i] = 1
                else:
                    idle[i] = min(idle[i] + 1, bandit.max_idle)
        assert total == pytest.approx(plan.value, abs=1e-12)


def test_fluid_bound_is_the_lp_value_and_bounds_the_optimum():
    # strong duality: the least breakpoint of U equals the primal LP optimum; weak duality: it bounds the optimum
    for bandit in _instances(2, 8):
        for T in (2, 6, 11):
            ub = recovering_upper_bound(bandit, T)
            assert ub.bound == pytest.approx(_lp(bandit, T), rel=1e-9, abs=1e-9)
            assert ub.bound >= recovering_optimal_value(bandit, T).value - 1e-12


def test_periodic_schedules():
    b = RecoveringBandit([[0.2, 0.6, 1.0], [0.5, 0.5, 0.5]])
    # arm 0 every third period from period 1 (1.0 each), arm 1 in the other periods (0.5 each): 2 + 4 * 0.5
    assert periodic_schedule_value(b, [3, 0], [1, 0], 6) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="period 1"):
        periodic_schedule_value(b, [1, 1], [0, 0], 6)
    best = best_periodic_schedule(b, 6, max_period=3)
    assert best.value <= recovering_optimal_value(b, 6).value + 1e-12
    assert best.value == pytest.approx(periodic_schedule_value(b, best.periods, best.offsets, 6))


def test_validation_names_the_argument():
    with pytest.raises(ValueError, match="decreases"):
        RecoveringBandit([[0.5, 0.4]])
    with pytest.raises(ValueError, match="pulls_per_period"):
        RecoveringBandit([[0.5]], 2)
    with pytest.raises(ValueError, match="initial_idle\\[0\\]"):
        RecoveringBandit([[0.1, 0.5]], 1, [3])
    with pytest.raises(ValueError, match="horizon"):
        recovering_optimal_value(RecoveringBandit([[0.5]]), 0)
