"""The "dueling" kind: exact regret in the driver, parity of every agent with its paper's pseudo-code,
common random numbers, the Komiyama et al. (2015) lower bound, the anytime-valid confidence sequence."""

import dataclasses

import numpy as np
import pytest
from numba import njit

from rltheory.bandits import (
    RMED,
    RUCB,
    BradleyTerry,
    DoubleThompson,
    DuelingAgent,
    MaxMinLCB,
    PreferenceMatrix,
    bernoulli_kl,
    dueling_gaps,
    dueling_lower_bound_constant,
    dueling_lower_bound_curve,
    preference_confidence_bounds,
)
from rltheory.simulation import agent_from_spec, kind_of, simulate

from ._dueling_reference import reference_duels

BT = BradleyTerry([1.0, 0.4, 0.0, -0.5])
# a Condorcet winner (0) without a total order among the others (1 > 2 > 3 > 1)
CYCLIC = PreferenceMatrix([[0.5, 0.6, 0.7, 0.55], [0.4, 0.5, 0.8, 0.3], [0.3, 0.2, 0.5, 0.75], [0.45, 0.7, 0.25, 0.5]])
# no Condorcet winner: rock-paper-scissors with a fourth, weaker alternative
RPS = PreferenceMatrix([[0.5, 0.9, 0.2, 0.8], [0.1, 0.5, 0.9, 0.8], [0.8, 0.1, 0.5, 0.8], [0.2, 0.2, 0.2, 0.5]])
AGENTS = [RUCB(), RUCB(alpha=0.8), RMED(), RMED(f_scale=0.0), DoubleThompson(), MaxMinLCB(), MaxMinLCB(delta=0.2)]


def compiled_pairs(model, agent, horizon, seed, n_runs):
    curve = simulate(model, agent, n_rounds=horizon, n_runs=n_runs, seed=seed, checkpoints=np.arange(1, horizon + 1))
    steps = np.diff(curve.pulls, axis=1, prepend=0)
    assert (steps.sum(axis=2) == 2).all()  # each duel counts for both slots
    return curve, steps


@pytest.mark.parametrize("model", [BT, CYCLIC, RPS], ids=["bt", "cyclic", "rps"])
@pytest.mark.parametrize("agent", AGENTS, ids=[f"{a.name}-{i}" for i, a in enumerate(AGENTS)])
def test_compiled_agent_matches_python_reference(model, agent):
    horizon, seed = 150, 5
    curve, steps = compiled_pairs(model, agent, horizon, seed, 2)
    for run in range(2):
        pairs, strong, weak = reference_duels(model, agent, horizon, seed, run)
        expected = np.zeros_like(steps[run])
        for t, (a, b) in enumerate(pairs):
            expected[t, a] += 1
            expected[t, b] += 1
        np.testing.assert_array_equal(steps[run], expected)
        np.testing.assert_allclose(curve.regret[run], strong, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(curve.regret_variants["weak"][run], weak, rtol=1e-12, atol=1e-12)


@njit
def _fixed_init(params, n_arms):
    return np.zeros((n_arms, n_arms))


@njit
def _fixed_select(params, state, t, rng):
    return 1, 2


@njit
def _reversed_select(params, state, t, rng):
    return 2, 1


@njit
def _fixed_update(params, state, t, first, second, first_wins, rng):
    if first_wins:
        state[first, second] += 1.0
    else:
        state[second, first] += 1.0


@njit
def _parity_select(params, state, t, rng):
    return (1, 2) if state[0, 0] % 2 == 0 else (1, 3)


@njit
def _reversed_parity_select(params, state, t, rng):
    return (2, 1) if state[0, 0] % 2 == 0 else (3, 1)


@njit
def _parity_update(params, state, t, first, second, first_wins, rng):
    if (first == 1 and first_wins) or (second == 1 and not first_wins):
        state[0, 0] += 1.0


@njit
def _bad_select(params, state, t, rng):
    return 0, 7 if t == 3 else 1


@dataclasses.dataclass(frozen=True)
class FixedPair(DuelingAgent):
    name = "tests.FixedPair"
    init = staticmethod(_fixed_init)
    select = staticmethod(_fixed_select)
    update = staticmethod(_fixed_update)


@dataclasses.dataclass(frozen=True)
class ReversedPair(DuelingAgent):
    name = "tests.ReversedPair"
    init = staticmethod(_fixed_init)
    select = staticmethod(_reversed_select)
    update = staticmethod(_fixed_update)


@dataclasses.dataclass(frozen=True)
class Parity(DuelingAgent):
    name = "tests.Parity"
    init = staticmethod(_fixed_init)
    select = staticmethod(_parity_select)
    update = staticmethod(_parity_update)


@dataclasses.dataclass(frozen=True)
class ReversedParity(DuelingAgent):
    name = "tests.ReversedParity"
    init = staticmethod(_fixed_init)
    select = staticmethod(_reversed_parity_select)
    update = staticmethod(_parity_update)


@dataclasses.dataclass(frozen=True)
class BadPair(DuelingAgent):
    name = "tests.BadPair"
    init = staticmethod(_fixed_init)
    select = staticmethod(_bad_select)
    update = staticmethod(_fixed_update)


def test_regret_is_exact_for_a_fixed_pair():
    gaps = np.asarray(BT.matrix)[0] - 0.5  # the Condorcet winner is 0
    curve = simulate(BT, FixedPair(), n_rounds=1000, n_runs=3, seed=1, checkpoints=[10, 500])
    np.testing.assert_allclose(
        curve.regret, np.outer(np.ones(3), [10, 500, 1000]) * (gaps[1] + gaps[2]) / 2, rtol=1e-12
    )
    np.testing.assert_allclose(
        curve.regret_variants["weak"], np.outer(np.ones(3), [10, 500, 1000]) * gaps[1], rtol=1e-12
    )
    assert (curve.variant("weak").regret <= curve.regret).all()
    assert curve.metadata["kind"] == "dueling" and "condorcet" in curve.metadata["regret"]


def test_duel_outcomes_are_common_random_numbers_per_pair():
    # the n-th duel of {1, 2} has the same winner whichever order the agent names the pair in: an agent that
    # plays {1, 2} while arm 1 has won an even number of duels and {1, 3} otherwise reveals the outcomes
    a = simulate(BT, Parity(), n_rounds=300, n_runs=3, seed=4, checkpoints=np.arange(1, 301))
    b = simulate(BT, ReversedParity(), n_rounds=300, n_runs=3, seed=4, checkpoints=np.arange(1, 301))
    np.testing.assert_array_equal(a.pulls, b.pulls)
    assert a.pulls[0, -1, 2] > 0 and a.pulls[0, -1, 3] > 0


def test_duel_outcomes_follow_the_preference_matrix():
    curve = simulate(BT, Parity(), n_rounds=20000, n_runs=1, seed=0, checkpoints=1)
    # arm 1 changes opponent after each win: the fraction of rounds against 3 is p12 / (p12 + p13) in the
    # stationary regime of the two-state chain (leave {1,2} w.p. p12, leave {1,3} w.p. p13)
    P = np.asarray(BT.matrix)
    frac = curve.pulls[0, -1, 3] / 20000
    expected = P[1, 2] / (P[1, 2] + P[1, 3])
    assert abs(frac - expected) < 0.02


def test_copeland_regret_without_a_condorcet_winner():
    gaps, winner = dueling_gaps(RPS)
    # Copeland scores (2/3, 2/3, 2/3, 0): the three cyclic alternatives are the Copeland winners
    assert winner == "copeland"
    np.testing.assert_allclose(gaps, [0, 0, 0, 2 / 3])
    curve = simulate(RPS, DoubleThompson(), n_rounds=400, n_runs=2, seed=0, checkpoints=4)
    assert "copeland" in curve.metadata["regret"]


def test_invalid_pair_is_reported_with_round_and_run():
    with pytest.raises(ValueError, match=r"selected a pair outside \[0, 4\)\^2 at round 3 of run 0"):
        simulate(BT, BadPair(), n_rounds=10, n_runs=1)


def test_kind_and_specs():
    assert kind_of(BT).name == "dueling" and kind_of(CYCLIC).name == "dueling"
    for agent in AGENTS:
        assert agent_from_spec(agent.to_spec()) == agent
    with pytest.raises(ValueError, match="alpha"):
        RUCB(alpha=0.5)
    with pytest.raises(ValueError, match="delta"):
        MaxMinLCB(delta=1.0)
    with pytest.raises(ValueError, match="DuelingAgent"):
        from rltheory.bandits import UCB1

        simulate(BT, UCB1(), n_rounds=10)


def test_lower_bound_constant_is_the_published_formula():
    # two alternatives: the only suboptimal one must be dueled with the winner: (0 + Delta)/2 / d(P, 1/2)
    P = PreferenceMatrix([[0.5, 0.8], [0.2, 0.5]])
    assert dueling_lower_bound_constant(P) == pytest.approx(0.15 / bernoulli_kl(0.8, 0.5), rel=1e-14)
    # on CYCLIC, alternative 1 is beaten by 0 and by 3; the cheaper information per regret wins
    M = np.asarray(CYCLIC.matrix)
    gaps = M[0] - 0.5
    expected = 0.0
    for j in (1, 2, 3):
        expected += min((gaps[i] + gaps[j]) / 2 / bernoulli_kl(M[i, j], 0.5) for i in range(4) if M[i, j] > 0.5)
    assert dueling_lower_bound_constant(CYCLIC) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(dueling_lower_bound_curve(CYCLIC, [1, np.e]), [0.0, expected], rtol=1e-14)
    with pytest.raises(ValueError, match="Condorcet"):
        dueling_lower_bound_constant(RPS)


def test_good_agents_have_small_regret_on_a_condorcet_problem():
    # sublinear regret: after 5000 rounds the mean per-round strong regret is far below that of a uniform pair
    uniform = float(np.mean(np.add.outer(dueling_gaps(BT)[0], dueling_gaps(BT)[0]) / 2))
    for agent in (RUCB(), RMED(), DoubleThompson(), MaxMinLCB()):
        curve = simulate(BT, agent, n_rounds=5000, n_runs=8, seed=2, checkpoints=5)
        assert curve.upper[-1] / 5000 < 0.2 * uniform, agent.name


def test_confidence_sequence_bounds_are_the_kl_inversion():
    W = np.array([[0, 30, 0], [10, 0, 3], [0, 9, 0]])
    lo, hi = preference_confidence_bounds(W, 0.1)
    n, p, P = 40.0, 0.75, 3.0
    level = np.log(2 * P * n * (n + 1) / 0.1) / n
    assert bernoulli_kl(p, hi[0, 1]) == pytest.approx(level, abs=1e-9) and hi[0, 1] > p
    assert bernoulli_kl(p, lo[0, 1]) == pytest.approx(level, abs=1e-9) and lo[0, 1] < p
    np.testing.assert_allclose(lo, 1 - hi.T, atol=1e-12)
    assert lo[0, 2] == 0.0 and hi[0, 2] == 1.0 and lo[1, 1] == hi[1, 1] == 0.5


def test_confidence_sequence_covers_uniformly_in_time():
    # Monte Carlo: P(some interval of some pair misses at some n <= 400) <= delta over 200 sequences: the
    # one-sided 99% Clopper-Pearson lower bound of the miss rate must not exceed delta
    from scipy import stats

    rng = np.random.default_rng(0)
    delta, K = 0.2, 3
    P = np.asarray(BT.matrix)[:K, :K]
    misses = 0
    n_seq = 200
    for _ in range(n_seq):
        W = np.zeros((K, K))
        missed = False
        for _ in range(400):
            for i in range(K):
                for j in range(i + 1, K):
                    if rng.random() < P[i, j]:
                        W[i, j] += 1
                    else:
                        W[j, i] += 1
            lo, hi = preference_confidence_bounds(W, delta)
            if ((P < lo - 1e-12) | (P > hi + 1e-12)).any():
                missed = True
                break
        misses += missed
    lower = 0.0 if misses == 0 else float(stats.beta.ppf(0.01, misses, n_seq - misses + 1))
    assert lower <= delta
