"""Parity of every compiled policy with a plain-Python transcription of its paper's pseudo-code.

Both sides consume the same xoshiro256++ streams (the compiled one in Numba,
the reference through ``PyXoshiro``), so the arm sequences must be identical.
"""

import dataclasses

import numpy as np
import pytest
from numba import njit

from rltheory.bandits import (
    EXP3,
    EXP3IX,
    IMED,
    KLUCB,
    MOSS,
    UCB1,
    UCBV,
    BanditAgent,
    BayesUCB,
    BernoulliBandit,
    BoundedBandit,
    EpsilonGreedy,
    ExploreThenCommit,
    GaussianBandit,
    KLUCBPlus,
    SequenceBandit,
    ThompsonSampling,
    TsallisINF,
    klucb_bernoulli,
)
from rltheory.bandits._policies import beta_quantile, normal_quantile
from rltheory.simulation import agent_from_spec, simulate

from ._reference import klucb_index_ref, reference_arms

BERN = BernoulliBandit([0.3, 0.5, 0.55, 0.1])
GAUSS = GaussianBandit([0.0, 0.3, 0.5], sigma=0.7)
BOUNDED = BoundedBandit([2.0, 3.0, 1.0], [2.0, 1.5, 1.0])
SEQ = SequenceBandit.adversarial(200, 3, rng=3)

CASES = [
    (BERN, EpsilonGreedy(epsilon=0.2)),
    (BERN, EpsilonGreedy(schedule="decaying", c=6.0, d=0.2)),
    (BERN, ExploreThenCommit(m=5)),
    (BERN, UCB1()),
    (GAUSS, UCB1(alpha=1.0)),
    (BOUNDED, UCBV()),
    (BERN, MOSS()),
    (BERN, KLUCB()),
    (BERN, KLUCB(c=3.0)),
    (GAUSS, KLUCB(family="gaussian", sigma=0.7)),
    (BERN, KLUCBPlus()),
    (BERN, ThompsonSampling()),
    (BOUNDED, ThompsonSampling()),
    (GAUSS, ThompsonSampling(prior="gaussian", sigma=0.7)),
    (BERN, BayesUCB()),
    (GAUSS, BayesUCB(c=1.0, prior="gaussian", sigma=0.7)),
    (BERN, IMED()),
    (GAUSS, IMED(family="gaussian", sigma=0.7)),
    (SEQ, EXP3()),
    (BERN, EXP3(gamma=0.3)),
    (SEQ, EXP3IX()),
    (SEQ, TsallisINF()),
    (BERN, TsallisINF()),
]


def compiled_arms(bandit, policy, horizon, n_runs, seed):
    curve = simulate(bandit, policy, n_rounds=horizon, n_runs=n_runs, seed=seed, checkpoints=np.arange(1, horizon + 1))
    steps = np.diff(curve.pulls, axis=1, prepend=0)
    assert (steps.sum(axis=2) == 1).all()
    return steps.argmax(axis=2)


@pytest.mark.parametrize(
    ("bandit", "policy"), CASES, ids=[f"{p.name}-{type(b).__name__}-{i}" for i, (b, p) in enumerate(CASES)]
)
def test_compiled_policy_matches_python_reference(bandit, policy):
    horizon, seed = 200, 11
    arms = compiled_arms(bandit, policy, horizon, 3, seed)
    for run in range(3):
        np.testing.assert_array_equal(arms[run], reference_arms(bandit, policy, horizon, seed, run))


def test_klucb_index_is_the_exact_root():
    # Garivier & Cappe (2011), Alg. 1: the index is max{q: d(p, q) <= level}
    for p in (0.0, 0.05, 0.3, 0.5, 0.9, 0.999):
        for level in (1e-4, 1e-2, 0.3, 2.0, 20.0):
            q = klucb_bernoulli(p, level)
            assert q >= klucb_index_ref(p, level) - 1e-10
            assert abs(q - klucb_index_ref(p, level)) < 1e-9
    assert klucb_bernoulli(0.4, 0.0) == 0.4
    assert klucb_bernoulli(1.0, 1.0) == 1.0


def test_quantiles_match_scipy():
    from scipy import stats

    for level in (0.5, 0.9, 1 - 1e-4):
        assert abs(normal_quantile(level) - stats.norm.ppf(level)) < 1e-9
        for a, b in ((1.0, 1.0), (3.0, 7.0), (500.0, 20.0)):
            assert abs(beta_quantile(level, a, b) - stats.beta.ppf(level, a, b)) < 1e-10


@pytest.mark.parametrize(("bandit", "policy"), CASES[::3])
def test_spec_round_trip(bandit, policy):
    assert agent_from_spec(policy.to_spec()) == policy
    import json

    json.dumps(policy.to_spec())


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: UCB1(alpha=-1.0), "alpha"),
        (lambda: UCB1(alpha=float("nan")), "alpha"),
        (lambda: EpsilonGreedy(epsilon=1.5), "epsilon"),
        (lambda: EpsilonGreedy(schedule="linear"), "schedule"),
        (lambda: EpsilonGreedy(d=0.0), "d"),
        (lambda: ExploreThenCommit(m=0), "m"),
        (lambda: ExploreThenCommit(m=2.5), "m"),
        (lambda: UCBV(zeta=0.0), "zeta"),
        (lambda: KLUCB(c=-1.0), "c"),
        (lambda: KLUCB(family="poisson"), "family"),
        (lambda: KLUCB(family="gaussian", sigma=0.0), "sigma"),
        (lambda: ThompsonSampling(prior="dirichlet"), "prior"),
        (lambda: BayesUCB(sigma=-2.0), "sigma"),
        (lambda: IMED(family="x"), "family"),
        (lambda: EXP3(gamma=0.0), "gamma"),
        (lambda: EXP3(gamma=2.0), "gamma"),
        (lambda: EXP3IX(eta=-1.0), "eta"),
        (lambda: agent_from_spec({"type": "Nope"}), "unknown agent type"),
        (lambda: agent_from_spec({"type": "UCB1", "params": {"beta": 1}}), r"unknown parameters \['beta'\] for UCB1"),
        (lambda: agent_from_spec("UCB1"), "spec"),
    ],
)
def test_bad_parameters_raise(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


# --- a user-written policy is compiled into the engine like a built-in ----------


@njit
def _rr_init(params, n_arms):
    return np.zeros((1, n_arms))


@njit
def _rr_select(params, state, t, rng):
    return (t - 1) % state.shape[1]


@njit
def _rr_update(params, state, t, arm, reward, rng):
    state[0, arm] += reward


@dataclasses.dataclass(frozen=True)
class RoundRobin(BanditAgent):
    name = "TestRoundRobin"
    init = staticmethod(_rr_init)
    select = staticmethod(_rr_select)
    update = staticmethod(_rr_update)


@njit
def _bad_select(params, state, t, rng):
    return 7


@dataclasses.dataclass(frozen=True)
class BadArm(BanditAgent):
    name = "TestBadArm"
    init = staticmethod(_rr_init)
    select = staticmethod(_bad_select)
    update = staticmethod(_rr_update)


def test_user_policy_runs_in_the_engine():
    bandit = BernoulliBandit([0.5, 0.4, 0.2])
    curve = simulate(bandit, RoundRobin(), n_rounds=30, n_runs=2, checkpoints=[3, 30])
    np.testing.assert_array_equal(curve.pulls[:, -1], [[10, 10, 10], [10, 10, 10]])
    # round robin pays each gap once per cycle: pseudo-regret = 10 * sum(gaps)
    np.testing.assert_allclose(curve.final, 10 * bandit.gaps.sum())
    assert agent_from_spec(RoundRobin().to_spec()) == RoundRobin()


def test_user_policy_with_invalid_arm_raises():
    with pytest.raises(ValueError, match="outside"):
        simulate(BernoulliBandit([0.5, 0.4]), BadArm(), n_rounds=10, n_runs=2)


def test_builtin_name_cannot_be_taken():
    with pytest.raises(ValueError, match="built-in"):

        @dataclasses.dataclass(frozen=True)
        class Fake(BanditAgent):
            name = "UCB1"
