"""Identification strategies: parity with plain-Python references on identical streams, correctness, thresholds."""

import math

import numpy as np
import pytest

from rltheory.bandits import (
    KLLUCB,
    LUCB,
    BernoulliBandit,
    FixedBudgetProblem,
    GaussianBandit,
    IdentificationProblem,
    LilUCB,
    SequentialHalving,
    SuccessiveRejects,
    TopTwoThompson,
    TrackAndStop,
    bai_lower_bound,
    glr_threshold,
    optimal_weights,
    sequential_halving_error_bound,
    successive_rejects_error_bound,
)
from rltheory.bandits._bai_agents import kk21_gaussian_calibration, kk21_t_function
from rltheory.bandits._bai_reference import _linf_projection, reference_runs, scipy_optimal_weights
from rltheory.simulation import agent_from_spec, simulate

B3 = BernoulliBandit([0.7, 0.5, 0.35])
G3 = GaussianBandit([1.0, 0.4, 0.1], sigma=0.8)

FC_CASES = [
    (B3, TrackAndStop(tol=1e-12)),
    (B3, TrackAndStop(tracking="C", tol=1e-12)),
    (G3, TrackAndStop(family="gaussian", tol=1e-12)),
    (B3, TopTwoThompson()),
    (G3, TopTwoThompson(family="gaussian", max_resamples=5)),
    (B3, LUCB()),
    (B3, KLLUCB()),
    (G3, KLLUCB(family="gaussian")),
]


def _check_parity(problem, agent, n_rounds, n_runs, seed):
    res = simulate(problem, agent, n_rounds=n_rounds, n_runs=n_runs, seed=seed)
    tau, rec, pulls, _ = reference_runs(problem, agent, n_rounds, n_runs, seed)
    np.testing.assert_array_equal(res.stopping_times, tau)
    np.testing.assert_array_equal(res.recommendations, rec)
    np.testing.assert_array_equal(res.pulls, pulls)
    return res


@pytest.mark.parametrize(("bandit", "agent"), FC_CASES, ids=[f"{a.name}-{i}" for i, (_, a) in enumerate(FC_CASES)])
def test_fixed_confidence_parity_with_reference(bandit, agent):
    problem = IdentificationProblem(bandit, 0.1)
    # capped runs compare the sampling decisions up to each cap; the uncapped ones the stopping rule too
    for cap in (7, 60):
        res = _check_parity(problem, agent, cap, 3, seed=5)
        assert (res.stopping_times <= cap).all()
    res = _check_parity(problem, agent, 20_000, 3, seed=5)
    assert res.stopped.all()


def test_lil_ucb_parity_with_reference():
    problem = IdentificationProblem(BernoulliBandit([0.8, 0.5, 0.45]), 1e-3)
    for cap in (9, 100, 50_000):
        _check_parity(problem, LilUCB(), cap, 2, seed=3)


@pytest.mark.parametrize("agent", [SuccessiveRejects(), SequentialHalving()])
@pytest.mark.parametrize("budget", [5, 37, 200])
def test_fixed_budget_parity_with_reference(agent, budget):
    problem = FixedBudgetProblem(BernoulliBandit([0.5, 0.45, 0.3, 0.3, 0.1]), budget)
    if isinstance(agent, SequentialHalving) and budget < 15:
        with pytest.raises(ValueError, match="budget >= K ceil"):
            simulate(problem, agent, n_rounds=budget)
        return
    res = _check_parity(problem, agent, budget, 4, seed=1)
    assert (res.stopping_times <= budget).all() and (res.pulls.sum(axis=1) == res.stopping_times).all()


def test_successive_rejects_uses_the_published_schedule():
    # Audibert & Bubeck (2010), Sec. 3: arms rejected in phase k have exactly n_k samples
    budget, K = 200, 5
    res = simulate(
        FixedBudgetProblem(BernoulliBandit([0.5, 0.45, 0.3, 0.2, 0.1]), budget),
        SuccessiveRejects(),
        n_rounds=budget,
        n_runs=20,
        seed=0,
    )
    schedule = SuccessiveRejects.schedule(K, budget)
    for row in res.pulls:
        counts = np.sort(row)
        np.testing.assert_array_equal(counts[:-1], schedule)  # the K - 1 rejected arms, in phase order
        assert counts[-1] == schedule[-1]
    assert res.stopping_times[0] == schedule.sum() + schedule[-1] <= budget


def test_scipy_reference_weights_agree_with_the_certified_solver():
    for means in ([0.5, 0.45, 0.43, 0.4], [0.9, 0.1, 0.05], [1.0, 0.3]):
        ow = optimal_weights(BernoulliBandit(means))
        np.testing.assert_allclose(scipy_optimal_weights(means), ow.weights, rtol=1e-9)


def test_linf_projection_is_the_water_filling():
    from rltheory.bandits._bai_agents import _project

    rng = np.random.default_rng(0)
    for _ in range(50):
        w = rng.dirichlet(np.full(6, 0.3))
        eps = rng.uniform(0, 1 / 6)
        ours, ref = np.empty(6), _linf_projection(w, eps)
        _project(w, eps, ours)
        np.testing.assert_allclose(ours, ref, atol=1e-14)
        assert ours.min() >= eps * (1 - 1e-12) and ours.sum() == pytest.approx(1.0)
        # no other point of {v >= eps, sum v = 1} is closer in sup norm: the raise of the lowest arm is forced,
        # and the common decrease eta is the smallest that restores the sum
        assert np.abs(ours - w).max() <= max(np.maximum(eps - w, 0).max(), np.abs(ours - w).max()) + 1e-15


def test_kk21_functions():
    # T(x) = 2 h~_{3/2}((h^-1(1 + x) + log(2 zeta(2))) / 2), recomputed with h^-1 by root finding (not Lambert W)
    from scipy.optimize import brentq

    def h_inv(y):
        return brentq(lambda u: u - math.log(u) - y, 1.0, 2.0 * y + 2.0, xtol=1e-14) if y > 1 else 1.0

    def t_ref(x, z=1.5):
        v = (h_inv(1 + x) + math.log(2 * math.pi**2 / 6)) / 2
        return 2 * (
            math.exp(1 / h_inv(v)) * h_inv(v) if v >= h_inv(1 / math.log(z)) else z * (v - math.log(math.log(z)))
        )

    for x in (0.5, 5.0, 10.0, 50.0, 1e4):
        assert kk21_t_function(x) == pytest.approx(t_ref(x), rel=1e-10)
        assert kk21_t_function(x) > x  # the threshold exceeds the union-bound level log((K - 1)/delta)
    assert kk21_t_function(1e4) / 1e4 < 1.01  # T(x) = x + O(log x)
    # C^{gG}(x) >= x (g_G(lambda) + x) / lambda with lambda <= 1, and C^{gG}(x) / x -> 1
    assert kk21_gaussian_calibration(1000.0) / 1000.0 == pytest.approx(1.0, rel=0.02)
    b = glr_threshold(np.array([10, 100, 1000]), 0.01, 4)
    assert (np.diff(b) > 0).all() and b[0] > math.log(3 / 0.01)
    h = glr_threshold(100, 0.01, 4, threshold="heuristic")
    assert h == pytest.approx(math.log((1 + math.log(100)) / 0.01))


@pytest.mark.parametrize("agent", [TrackAndStop(), TopTwoThompson(), LUCB(), KLLUCB()], ids=lambda a: a.name)
def test_delta_correct_and_above_the_lower_bound(agent):
    # delta-correctness: the upper Clopper-Pearson end of the error frequency is <= delta; Garivier & Kaufmann
    # (2016), Thm 1: E[tau] >= T* kl(delta, 1 - delta), so the upper end of the mean's CI is above it
    delta = 0.1
    problem = IdentificationProblem(BernoulliBandit([0.8, 0.55, 0.4]), delta)
    res = simulate(problem, agent, n_rounds=10**6, n_runs=100, seed=11)
    assert res.n_unstopped == 0 and res.error_upper <= delta
    assert res.stopping_time_upper >= bai_lower_bound(problem.bandit, delta)


def test_fixed_budget_errors_within_their_bounds():
    b = BernoulliBandit([0.7, 0.5, 0.45, 0.3])
    for agent, bound in (
        (SuccessiveRejects(), successive_rejects_error_bound),
        (SequentialHalving(), sequential_halving_error_bound),
    ):
        for budget in (200, 800):
            res = simulate(FixedBudgetProblem(b, budget), agent, n_rounds=budget, n_runs=400, seed=2)
            # a bound on a probability fails only if the lower Clopper-Pearson end exceeds it
            assert res.error_lower <= bound(b, budget)


@pytest.mark.parametrize(
    "agent",
    [
        TrackAndStop(tracking="C"),
        TopTwoThompson(beta=0.3),
        LUCB(epsilon=0.1),
        KLLUCB(alpha=2.0, k1=3.0),
        LilUCB(),
        SuccessiveRejects(),
        SequentialHalving(),
    ],
    ids=lambda a: a.name,
)
def test_spec_round_trip(agent):
    assert agent_from_spec(agent.to_spec()) == agent


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: TrackAndStop(tracking="E"), "tracking"),
        (lambda: TopTwoThompson(beta=1.0), "beta"),
        (lambda: KLLUCB(alpha=1.5, k1=2.0), "k1"),
        (lambda: LilUCB(epsilon=0.0), "epsilon"),
        (lambda: simulate(IdentificationProblem(B3, 0.1), LilUCB(), n_rounds=10), "log\\(1 \\+ epsilon\\)"),
        (
            lambda: simulate(IdentificationProblem(B3, 0.1), TrackAndStop(family="gaussian"), n_rounds=10),
            "needs a GaussianBandit",
        ),
        (lambda: simulate(FixedBudgetProblem(B3, 10), TrackAndStop(), n_rounds=10), "IdentificationProblem"),
        (lambda: simulate(IdentificationProblem(B3, 0.1), SuccessiveRejects(), n_rounds=10), "FixedBudgetProblem"),
        (lambda: glr_threshold(1, 0.1, 3), "t must be >= 2"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
