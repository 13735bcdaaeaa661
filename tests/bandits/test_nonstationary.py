"""Non-stationary bandits: instances, the exact dynamic regret of the "nonstationary-bandit" kind, and the agents.

Parity: every compiled agent plays the same arms as its plain-Python reference (``_nonstationary_reference``,
the papers' pseudo-code) on the same streams, and the kind's dynamic regret equals the reference's
``sum_t max_a mu_t(a) - mu_t(A_t)`` exactly.
"""

import math

import numpy as np
import pytest

from rltheory.bandits import (
    MUCB,
    UCB1,
    BernoulliBandit,
    DiscountedUCB,
    DriftingBandit,
    GaussianBandit,
    GLRklUCB,
    PiecewiseStationaryBandit,
    SlidingWindowUCB,
    nonstationary_regret_order,
)
from rltheory.simulation import agent_from_spec, kind_of, simulate

from ._nonstationary_reference import reference_run

PIECEWISE = PiecewiseStationaryBandit([150, 300], [[0.8, 0.5, 0.2], [0.2, 0.5, 0.8], [0.5, 0.9, 0.1]])
GAUSS_PIECEWISE = PiecewiseStationaryBandit([200], [[1.0, 0.0], [0.0, 1.0]], family="gaussian", sigma=0.5)
DRIFT = DriftingBandit.sinusoidal(400, [0.5, 0.5], [0.4, 0.4], 200, [0.0, math.pi])

CASES = [
    (PIECEWISE, SlidingWindowUCB()),
    (PIECEWISE, SlidingWindowUCB(window=37, xi=1.0)),
    (GAUSS_PIECEWISE, SlidingWindowUCB(window=50, B=2.0)),
    (DRIFT, SlidingWindowUCB(window=60)),
    (PIECEWISE, DiscountedUCB()),
    (GAUSS_PIECEWISE, DiscountedUCB(gamma=0.97, B=2.0)),
    (DRIFT, DiscountedUCB(gamma=0.98)),
    (PIECEWISE, MUCB(window=40, threshold=8.0, gamma=0.1)),
    (PIECEWISE, MUCB(window=20, threshold=4.0, gamma=0.0)),
    (GAUSS_PIECEWISE, MUCB(window=30, threshold=8.0, gamma=0.2)),
    (PIECEWISE, GLRklUCB()),
    (PIECEWISE, GLRklUCB(delta=0.1, alpha=0.2, check_every=3, split_every=2)),
    (DRIFT, GLRklUCB(alpha=0.1)),
]


def compiled_run(bandit, agent, horizon, n_runs, seed):
    curve = simulate(bandit, agent, n_rounds=horizon, n_runs=n_runs, seed=seed, checkpoints=np.arange(1, horizon + 1))
    steps = np.diff(curve.pulls, axis=1, prepend=0)
    assert (steps.sum(axis=2) == 1).all()
    return steps.argmax(axis=2), curve


@pytest.mark.parametrize(("bandit", "agent"), CASES, ids=[f"{a.name}-{i}" for i, (_, a) in enumerate(CASES)])
def test_compiled_agents_replay_their_references(bandit, agent):
    horizon, n_runs, seed = 400, 2, 11
    arms, curve = compiled_run(bandit, agent, horizon, n_runs, seed)
    for run in range(n_runs):
        ref_arms, ref_regret = reference_run(bandit, agent, horizon, seed, run)
        np.testing.assert_array_equal(arms[run], ref_arms)
        np.testing.assert_array_equal(curve.regret[run], ref_regret)


def test_the_detectors_restart_in_the_parity_runs():
    # the parity cases exercise the restarts: M-UCB's and GLR-klUCB's references restart at least once
    from ._nonstationary_reference import RefGLR, RefM

    for cls, agent in ((RefM, MUCB(window=40, threshold=8.0, gamma=0.1)), (RefGLR, GLRklUCB())):
        restarts = []
        orig = cls.restart

        def spy(self, t, orig=orig):
            restarts.append(t)
            orig(self, t)

        cls.restart = spy
        try:
            reference_run(PIECEWISE, agent, 400, 11, 0)
        finally:
            cls.restart = orig
        assert restarts and min(restarts) > 150  # a restart after the first breakpoint, none before it


def test_dynamic_regret_is_the_sum_of_per_round_gaps():
    # R_T = sum_t max_a mu_t(a) - mu_t(A_t), from the played arms and the instance's means (an exact identity)
    horizon = 400
    for bandit in (PIECEWISE, DRIFT):
        arms, curve = compiled_run(bandit, UCB1(), horizon, 3, 5)
        mu = bandit.means_at(np.arange(1, horizon + 1))
        gaps = mu.max(axis=1)[None, :] - np.take_along_axis(mu[None].repeat(3, 0), arms[..., None], 2)[..., 0]
        np.testing.assert_allclose(curve.regret, np.cumsum(gaps, axis=1), rtol=1e-12, atol=1e-12)
        assert curve.metadata["kind"] == "nonstationary-bandit"


def test_stationary_piecewise_regret_equals_the_bandit_kind():
    # with no breakpoint inside the horizon, the dynamic regret is the ordinary pseudo-regret, and the
    # same seed gives the same rewards as the "bandit" kind (same streams): identical arms and regret
    ns = PiecewiseStationaryBandit([10_000], [[0.7, 0.4, 0.6], [0.1, 0.2, 0.3]])
    a = simulate(ns, UCB1(), n_rounds=300, n_runs=3, seed=2, checkpoints=30)
    b = simulate(BernoulliBandit([0.7, 0.4, 0.6]), UCB1(), n_rounds=300, n_runs=3, seed=2, checkpoints=30)
    np.testing.assert_array_equal(a.pulls, b.pulls)
    np.testing.assert_allclose(a.regret, b.regret, rtol=1e-12)
    assert a.metadata["breakpoints"] == []


def test_kind_registration_and_specs():
    assert kind_of(PIECEWISE).name == "nonstationary-bandit"
    assert kind_of(DRIFT).name == "nonstationary-bandit"
    for agent in (SlidingWindowUCB(window=5), DiscountedUCB(gamma=0.9), MUCB(window=4), GLRklUCB(delta=0.1)):
        assert agent_from_spec(agent.to_spec()) == agent
    curve = simulate(PIECEWISE, SlidingWindowUCB(), n_rounds=200, n_runs=1, checkpoints=2)
    assert curve.metadata["breakpoints"] == [150]  # only those within the horizon


def test_tunings_follow_the_papers():
    T = 10_000
    b = PiecewiseStationaryBandit([2500, 5000, 7500], [[0.9, 0.1], [0.1, 0.9], [0.9, 0.1], [0.1, 0.9]])
    assert SlidingWindowUCB().compiled_params(b, T).tau == math.floor(2 * math.sqrt(T * math.log(T) / 3))
    assert DiscountedUCB().compiled_params(b, T).gamma == 1 - math.sqrt(3 / T) / 4
    assert SlidingWindowUCB(n_breakpoints=1).compiled_params(b, T).tau == math.floor(2 * math.sqrt(T * math.log(T)))
    # on a stationary bandit Upsilon = 0 is replaced by 1 in SW/D-UCB; M-UCB has no forced exploration
    assert SlidingWindowUCB().compiled_params(BernoulliBandit([0.5, 0.4]), T).tau == math.floor(
        2 * math.sqrt(T * math.log(T))
    )
    assert MUCB(window=10).compiled_params(BernoulliBandit([0.5, 0.4]), T).explore == 0
    g = GLRklUCB().compiled_params(b, T)
    assert g.log_inv_delta == pytest.approx(0.5 * math.log(3 * T))
    assert g.explore == math.floor(2 / math.sqrt(3 * 2 * math.log(T) / T))


def test_validation_names_what_and_where():
    with pytest.raises(ValueError, match=r"means\[1, 0\] = -0.1"):
        PiecewiseStationaryBandit([5], [[0.1, 0.2], [-0.1, 0.3]])
    with pytest.raises(ValueError, match="3 segments"):
        PiecewiseStationaryBandit([5, 9], [[0.1, 0.2], [0.2, 0.3]])
    with pytest.raises(ValueError, match=r"means\[1\] equals means\[0\]"):
        PiecewiseStationaryBandit([5], [[0.1, 0.2], [0.1, 0.2]])
    with pytest.raises(ValueError, match=r"breakpoints\[0\]"):
        PiecewiseStationaryBandit([1], [[0.1, 0.2], [0.2, 0.1]])
    with pytest.raises(ValueError, match="family"):
        DriftingBandit([[0.1, 0.2]], family="poisson")
    with pytest.raises(ValueError, match="sigma"):
        DriftingBandit([[0.1, 0.2]], family="gaussian", sigma=0.0)
    with pytest.raises(ValueError, match="exceeds the 400 rounds"):
        simulate(DRIFT, UCB1(), n_rounds=401)
    with pytest.raises(ValueError, match="even"):
        MUCB(window=5)
    with pytest.raises(ValueError, match="no breakpoint"):
        MUCB().compiled_params(BernoulliBandit([0.5, 0.4]), 100)
    with pytest.raises(ValueError, match="rewards in"):
        simulate(GAUSS_PIECEWISE, GLRklUCB(), n_rounds=10)
    with pytest.raises(ValueError, match="rewards in"):
        simulate(GaussianBandit([0.0, 1.0]), GLRklUCB(), n_rounds=10)
    with pytest.raises(ValueError, match="xi"):
        SlidingWindowUCB(xi=0.0)


def test_regret_orders():
    T = np.array([100.0, 10_000.0])
    np.testing.assert_allclose(nonstationary_regret_order("DiscountedUCB", T, 4), 2 * np.sqrt(T) * np.log(T))
    np.testing.assert_allclose(nonstationary_regret_order("GLRklUCB", T, 1, 3), 3 * np.sqrt(T * np.log(T)))
    np.testing.assert_allclose(nonstationary_regret_order("lower", T), np.sqrt(T))
    with pytest.raises(ValueError, match="n_rounds"):
        nonstationary_regret_order("MUCB", 1)
