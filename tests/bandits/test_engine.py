"""The bandit problem kind: determinism, chunking, regret identities, memory footprint, input validation."""

import numpy as np
import pytest

from rltheory.bandits import UCB1, BernoulliBandit, GaussianBandit, SequenceBandit, ThompsonSampling
from rltheory.linear import LinUCB
from rltheory.simulation import RegretCurve, checkpoint_times, simulate

B = BernoulliBandit([0.7, 0.5, 0.4])


@pytest.mark.parametrize("policy", [UCB1(), ThompsonSampling()])
def test_same_seed_same_curve_and_chunks_are_bit_identical(policy):
    whole = simulate(B, policy, n_rounds=500, n_runs=8, seed=3, checkpoints=20)
    again = simulate(B, policy, n_rounds=500, n_runs=8, seed=3, checkpoints=20)
    np.testing.assert_array_equal(whole.regret, again.regret)
    parts = [
        simulate(B, policy, n_rounds=500, n_runs=n, seed=3, checkpoints=20, run_start=s) for s, n in ((5, 3), (0, 5))
    ]
    merged = RegretCurve.concatenate(parts)
    for name in ("regret", "realized_regret", "pulls", "mean", "lower", "upper", "final"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name))
    assert merged.run_start == 0 and merged.metadata == whole.metadata
    other = simulate(B, policy, n_rounds=500, n_runs=8, seed=4, checkpoints=20)
    assert not np.array_equal(other.regret, whole.regret)


def test_progress_batches_do_not_change_numbers():
    a = simulate(B, UCB1(), n_rounds=300, n_runs=25, seed=9, checkpoints=5)
    b = simulate(B, UCB1(), n_rounds=300, n_runs=25, seed=9, checkpoints=5, progress=True)
    np.testing.assert_array_equal(a.regret, b.regret)


def test_common_random_numbers_across_policies():
    # one reward stream per arm: the n-th pull of an arm pays the same in every policy
    bandit = BernoulliBandit([0.5, 0.5])
    a = simulate(bandit, UCB1(), n_rounds=200, n_runs=4, seed=1, checkpoints=[200])
    b = simulate(bandit, ThompsonSampling(), n_rounds=200, n_runs=4, seed=1, checkpoints=[200])
    assert a.regret.sum() == 0 == b.regret.sum()


def test_regret_identities():
    curve = simulate(B, UCB1(), n_rounds=400, n_runs=6, seed=2, checkpoints=30)
    # pseudo-regret = sum_k N_k(t) gap_k (Lattimore & Szepesvari 2020, Lemma 4.5)
    np.testing.assert_allclose(curve.regret, curve.pulls @ B.gaps, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(curve.pulls.sum(axis=2), np.broadcast_to(curve.times, curve.regret.shape))
    assert (np.diff(curve.regret, axis=1) >= -1e-12).all()
    np.testing.assert_array_equal(curve.final, curve.regret[:, -1])


def test_sequence_bandit_regret_is_against_best_fixed_arm():
    seq = SequenceBandit.adversarial(300, 3, rng=0)
    curve = simulate(seq, UCB1(), n_rounds=300, n_runs=3, checkpoints=[150, 300])
    # at the horizon both regrets compare with the best fixed arm in hindsight
    np.testing.assert_allclose(curve.regret[:, -1], curve.realized_regret[:, -1], atol=1e-9)


def test_memory_is_runs_times_checkpoints():
    # O(n_runs x checkpoints x K) outputs: for T = 10^7, 1000 runs, 200 checkpoints
    times = checkpoint_times(10**7, 200)
    assert times.size <= 200 and times[-1] == 10**7
    n_runs, K = 1000, 10
    nbytes = n_runs * times.size * (8 + 8 + 8 * K)
    assert nbytes < 20 * 2**20
    curve = simulate(BernoulliBandit([0.5] * K), UCB1(), n_rounds=2000, n_runs=3, checkpoints=200)
    assert curve.regret.shape == (3, curve.times.size) and curve.pulls.shape == (3, curve.times.size, K)
    assert curve.times.size <= 200


def test_checkpoint_times():
    t = checkpoint_times(10**5, 50)
    assert t[0] == 1 and t[-1] == 10**5 and (np.diff(t) > 0).all()
    assert checkpoint_times(10, 1000).tolist() == list(range(1, 11))
    assert checkpoint_times(100, [5, 10]).tolist() == [5, 10, 100]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_rounds": 0}, "n_rounds"),
        ({"n_rounds": 10.5}, "n_rounds"),
        ({"n_rounds": None, "n_episodes": 10}, "takes its budget as n_rounds=, not n_episodes="),
        ({"n_rounds": None}, "needs its budget: n_rounds="),
        ({"n_runs": 0}, "n_runs"),
        ({"seed": -1}, "seed"),
        ({"run_start": -2}, "run_start"),
        ({"confidence": 1.0}, "confidence"),
        ({"interval": "t"}, "interval"),
        ({"checkpoints": 0}, "checkpoints"),
        ({"checkpoints": [3, 2]}, "increasing"),
        ({"checkpoints": [0, 5]}, r"\[1, 100\]"),
        ({"checkpoints": [5, 500]}, r"\[1, 100\]"),
        ({"checkpoints": [1.5]}, "integer"),
        ({"checkpoints": [[1, 2]]}, "1-D"),
        ({"agent": "UCB1"}, "must be an rltheory agent"),
        (
            {"agent": LinUCB()},
            "LinUCB is an agent of the linear-bandit kind; a problem of the bandit kind needs a BanditAgent",
        ),
        ({"bandit": [0.5, 0.4]}, "does not know problems of type list"),
        ({"checkpoints": 10**9, "n_rounds": 10**9, "n_runs": 10**4}, "would need .* more than the limit"),
        ({"bandit": SequenceBandit(np.zeros((50, 2)))}, "exceeds"),
    ],
)
def test_bad_input(kwargs, message):
    args = {"bandit": B, "agent": UCB1(), "n_rounds": 100, "n_runs": 2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        simulate(args.pop("bandit"), args.pop("agent"), **args)


def test_gaussian_realized_regret_is_unbiased_for_pseudo_regret():
    # E[realized] = E[pseudo] (Lattimore & Szepesvari 2020, Lemma 4.5); 5-sigma check
    curve = simulate(GaussianBandit([0.0, -1.0]), UCB1(), n_rounds=200, n_runs=400, seed=5, checkpoints=[200])
    diff = curve.realized_regret[:, -1] - curve.regret[:, -1]
    assert abs(diff.mean()) < 5 * diff.std(ddof=1) / np.sqrt(diff.size)
