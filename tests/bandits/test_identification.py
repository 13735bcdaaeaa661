"""The identification problem kind: problems, driver determinism and chunking, results and their statistics."""

import numpy as np
import pytest
from scipy import stats

from rltheory.bandits import (
    UCB1,
    BernoulliBandit,
    BoundedBandit,
    FixedBudgetProblem,
    GaussianBandit,
    IdentificationProblem,
    IdentificationResult,
    SequenceBandit,
    SuccessiveRejects,
    TrackAndStop,
    clopper_pearson,
    plot_error_rates,
    plot_stopping_times,
)
from rltheory.simulation import PyXoshiro, kind_of, run_states, simulate

P = IdentificationProblem(BernoulliBandit([0.8, 0.5, 0.4]), 0.1)


def test_kind_and_specs():
    assert kind_of(P).name == "identification" and kind_of(FixedBudgetProblem(P.bandit, 30)).budget == "n_rounds"
    assert IdentificationProblem.from_spec(P.to_spec()) == P
    fb = FixedBudgetProblem(BoundedBandit([2.0, 1.0], [1.0, 2.0]), 50)
    assert FixedBudgetProblem.from_spec(fb.to_spec()) == fb


def test_chunks_are_bit_identical_and_concatenate():
    whole = simulate(P, TrackAndStop(), n_rounds=10**5, n_runs=6, seed=4)
    parts = [simulate(P, TrackAndStop(), n_rounds=10**5, n_runs=n, seed=4, run_start=s) for s, n in ((4, 2), (0, 4))]
    merged = IdentificationResult.concatenate(parts)
    for name in ("stopping_times", "recommendations", "correct", "stopped", "pulls", "stopping_time_quantiles"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name))
    assert merged.metadata == whole.metadata and merged.error_upper == whole.error_upper
    assert (whole.pulls.sum(axis=1) == whole.stopping_times).all()


def test_common_random_numbers_with_the_bandit_kind():
    # the same per-arm reward streams as the bandit kind: with budget 4 and K = 2, Successive Rejects
    # (n_1 = ceil((4 - 2) / (logbar(2) * 2)) = 1) pulls arm 0 then arm 1 once, exactly as UCB1 does in rounds 1-2
    bandit = BernoulliBandit([0.6, 0.4])
    n_runs, seed = 12, 9
    sr = simulate(FixedBudgetProblem(bandit, 4), SuccessiveRejects(), n_rounds=4, n_runs=n_runs, seed=seed)
    ucb = simulate(bandit, UCB1(), n_rounds=2, n_runs=n_runs, seed=seed, checkpoints=[2])
    states = run_states(seed, np.arange(n_runs), 3)
    x = np.array(
        [[1.0 if PyXoshiro(states[r, a]).uniform() < bandit.means[a] else 0.0 for a in range(2)] for r in range(n_runs)]
    )
    assert sr.pulls.tolist() == [[1, 1]] * n_runs and (sr.stopping_times == 2).all()
    # SR rejects the lower empirical mean (ties: the higher index), so it recommends arm 1 iff x_1 > x_0
    np.testing.assert_array_equal(sr.recommendations, (x[:, 1] > x[:, 0]).astype(int))
    # UCB1's realized regret after its two rounds is 2 mu* - x_0 - x_1 on the same rewards
    np.testing.assert_allclose(ucb.realized_regret[:, -1], 2 * 0.6 - x.sum(axis=1))


def test_cap_and_unstopped_runs_count_as_errors():
    res = simulate(IdentificationProblem(BernoulliBandit([0.51, 0.5]), 0.01), TrackAndStop(), n_rounds=50, n_runs=8)
    assert res.n_unstopped == 8 and res.n_errors == 8 and (res.stopping_times == 50).all()
    assert res.error_frequency == 1.0 and res.error_upper == 1.0


def test_statistics_match_their_definitions():
    res = simulate(P, TrackAndStop(), n_rounds=10**5, n_runs=40, seed=1)
    tau = res.stopping_times.astype(float)
    z = stats.norm.ppf(0.975)
    half = z * tau.std(ddof=1) / np.sqrt(tau.size)
    assert res.mean_stopping_time == pytest.approx(tau.mean())
    assert res.stopping_time_upper - res.mean_stopping_time == pytest.approx(half)
    np.testing.assert_allclose(res.stopping_time_quantiles, np.quantile(tau, res.quantile_levels))
    assert res.correct.tolist() == (res.recommendations == 0).tolist()


def test_clopper_pearson_exact_values():
    # k = 0: upper = 1 - (alpha/2)^(1/n); k = n: lower = (alpha/2)^(1/n); otherwise Beta quantiles
    assert clopper_pearson(0, 50, 0.9)[1] == pytest.approx(1 - 0.05 ** (1 / 50))
    assert clopper_pearson(50, 50, 0.9)[0] == pytest.approx(0.05 ** (1 / 50))
    lo, hi = clopper_pearson(3, 40, 0.95)
    # coverage identity: P(X >= 3 | p = lo) = 0.025 and P(X <= 3 | p = hi) = 0.025
    assert stats.binom.sf(2, 40, lo) == pytest.approx(0.025) and stats.binom.cdf(3, 40, hi) == pytest.approx(0.025)


def test_save_load_csv(tmp_path):
    res = simulate(
        FixedBudgetProblem(BernoulliBandit([0.6, 0.5, 0.3]), 60), SuccessiveRejects(), n_rounds=60, n_runs=5, seed=2
    )
    res.save(tmp_path / "r.npz")
    back = IdentificationResult.load(tmp_path / "r.npz")
    np.testing.assert_array_equal(back.pulls, res.pulls)
    assert back.metadata == res.metadata and back.setting == "fixed-budget" and back.problem.budget == 60
    res.to_csv(tmp_path / "r.csv")
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[0].startswith("run,stopping_time,recommendation,correct,stopped,pulls_0") and len(lines) == 6
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a valid IdentificationResult"):
        IdentificationResult.load(tmp_path / "bad.npz")


def test_plots():
    from matplotlib.figure import Figure

    res = [simulate(IdentificationProblem(P.bandit, d), TrackAndStop(), n_rounds=10**5, n_runs=3) for d in (0.1, 0.01)]
    ax = Figure().subplots()
    plot_stopping_times(res, ax)
    assert len(ax.get_lines()) >= 2
    fb = [simulate(FixedBudgetProblem(P.bandit, T), SuccessiveRejects(), n_rounds=T, n_runs=10) for T in (20, 60)]
    ax = Figure().subplots()
    plot_error_rates(fb, ax)
    assert ax.get_yscale() == "log"
    res[0].plot(Figure().subplots())
    with pytest.raises(ValueError, match="fixed-budget result"):
        plot_stopping_times(fb)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: IdentificationProblem(BernoulliBandit([0.5, 0.5]), 0.1), "share the largest mean"),
        (lambda: IdentificationProblem(SequenceBandit.adversarial(10, 2), 0.1), "stochastic bandit"),
        (lambda: IdentificationProblem(GaussianBandit([0.0, 1.0]), 1.0), "delta"),
        (lambda: FixedBudgetProblem(BernoulliBandit([0.5, 0.4, 0.2]), 2), "budget"),
        (lambda: simulate(FixedBudgetProblem(P.bandit, 100), SuccessiveRejects(), n_rounds=50), "below the"),
        (lambda: simulate(P, UCB1(), n_rounds=10), "IdentificationAgent"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_identification_columns_are_one_row_per_run():
    pytest.importorskip("pandas")
    r = IdentificationResult.from_runs(
        [3, 4, 9], [0, 1, 0], [True, True, False], [[2, 1], [1, 3], [5, 4]], 2, {"best_arm": 0}
    )
    df = r.to_dataframe()
    assert df["run"].tolist() == [2, 3, 4]
    assert df["correct"].tolist() == [True, False, False]  # the last run did not stop
    assert df[["pulls_0", "pulls_1"]].to_numpy().tolist() == r.pulls.tolist()
    assert df["stopping_time"].mean() == r.mean_stopping_time
