"""RegretCurve: summary statistics, slope, save/load, csv, plot, concatenate."""

import json
import math
from statistics import NormalDist

import numpy as np
import pytest

from rltheory.bandits import UCB1, BernoulliBandit, EpsilonGreedy
from rltheory.simulation import RegretCurve, simulate

B = BernoulliBandit([0.6, 0.4])


@pytest.fixture(scope="module")
def curve():
    return simulate(B, UCB1(), n_rounds=2000, n_runs=20, seed=1, checkpoints=25)


def test_normal_interval_is_the_clt_interval(curve):
    z = NormalDist().inv_cdf(0.975)
    half = z * curve.regret.std(axis=0, ddof=1) / math.sqrt(curve.n_runs)
    np.testing.assert_allclose(curve.upper - curve.mean, half, atol=1e-12)
    np.testing.assert_allclose(curve.mean, curve.regret.mean(axis=0))


def test_bootstrap_interval_is_seeded_and_brackets_the_mean():
    a = simulate(B, UCB1(), n_rounds=500, n_runs=30, seed=2, checkpoints=10, interval="bootstrap")
    b = simulate(B, UCB1(), n_rounds=500, n_runs=30, seed=2, checkpoints=10, interval="bootstrap")
    np.testing.assert_array_equal(a.lower, b.lower)
    assert (a.lower <= a.mean + 1e-12).all() and (a.mean <= a.upper + 1e-12).all()


def test_slope_of_linear_regret_is_one():
    # constant epsilon-greedy has linear regret: eps (K-1)/K gap per round
    c = simulate(B, EpsilonGreedy(epsilon=0.5), n_rounds=20000, n_runs=10, seed=0, checkpoints=30)
    fit = c.slope(t_min=1000)
    assert abs(fit.slope - 1.0) < 0.05 and fit.lower <= fit.slope <= fit.upper


def test_save_load_round_trip(tmp_path, curve):
    path = tmp_path / "c.npz"
    curve.save(path)
    back = RegretCurve.load(path)
    for name in ("times", "regret", "realized_regret", "pulls", "mean", "lower", "upper", "final"):
        np.testing.assert_array_equal(getattr(back, name), getattr(curve, name))
    assert back.metadata == curve.metadata and back.run_start == curve.run_start
    json.dumps(back.metadata)


def test_load_rejects_foreign_and_corrupted_files(tmp_path, curve):
    foreign = tmp_path / "f.npz"
    np.savez(foreign, x=np.arange(3))
    with pytest.raises(ValueError, match="not"):
        RegretCurve.load(foreign)
    good = tmp_path / "g.npz"
    curve.save(good)
    bad = tmp_path / "b.npz"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError):
        RegretCurve.load(bad)
    text = tmp_path / "t.npz"
    text.write_text("hello")
    with pytest.raises(ValueError):
        RegretCurve.load(text)


def test_csv_and_plot(tmp_path, curve):
    curve.to_csv(tmp_path / "c.csv")
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0] == "time,mean,lower,upper" and len(lines) == curve.times.size + 1
    import matplotlib

    matplotlib.use("Agg")
    ax = curve.plot(label="UCB1")
    assert ax.get_xscale() == "log" and ax.get_lines()[0].get_label() == "UCB1"


def test_concatenate_validation(curve):
    other_seed = simulate(B, UCB1(), n_rounds=2000, n_runs=5, seed=9, checkpoints=25, run_start=20)
    with pytest.raises(ValueError, match="metadata"):
        RegretCurve.concatenate([curve, other_seed])
    gap = simulate(B, UCB1(), n_rounds=2000, n_runs=5, seed=1, checkpoints=25, run_start=30)
    with pytest.raises(ValueError, match="contiguous"):
        RegretCurve.concatenate([curve, gap])
    other_times = simulate(B, UCB1(), n_rounds=2000, n_runs=5, seed=1, checkpoints=10, run_start=20)
    with pytest.raises(ValueError, match="times"):
        RegretCurve.concatenate([curve, other_times])
    with pytest.raises(ValueError):
        RegretCurve.concatenate([])
    with pytest.raises(ValueError, match="t_min"):
        curve.slope(t_min=100, t_max=10)


def test_regret_variants_are_validated_concatenated_saved_and_loaded(tmp_path):
    times = np.array([5, 10])
    strong = np.array([[1.0, 2.0], [1.0, 3.0], [0.0, 1.0]])
    weak = strong / 2
    pulls = np.zeros((3, 2, 2))
    whole = RegretCurve.from_runs(times, strong, strong, pulls, 0, {"seed": 0}, regret_variants={"weak": weak})
    assert not whole.regret_variants["weak"].flags.writeable
    parts = [
        RegretCurve.from_runs(
            times, strong[a:b], strong[a:b], pulls[a:b], a, {"seed": 0}, regret_variants={"weak": weak[a:b]}
        )
        for a, b in ((0, 1), (1, 3))
    ]
    merged = RegretCurve.concatenate(parts)
    np.testing.assert_array_equal(merged.regret_variants["weak"], weak)
    np.testing.assert_array_equal(merged.variant("weak").mean, weak.mean(axis=0))
    path = tmp_path / "v.npz"
    whole.save(path)
    np.testing.assert_array_equal(RegretCurve.load(path).regret_variants["weak"], weak)
    with pytest.raises(ValueError, match="shape"):
        RegretCurve.from_runs(times, strong, strong, pulls, 0, {}, regret_variants={"weak": weak[:2]})
    with pytest.raises(ValueError, match="no regret variant"):
        whole.variant("strong")
    plain = RegretCurve.from_runs(times, strong[1:], strong[1:], pulls[1:], 1, {"seed": 0})
    with pytest.raises(ValueError, match="regret variants"):
        RegretCurve.concatenate([parts[0], plain])


def _tidy_curve():
    regret = np.array([[1.0, 2.0, 4.0], [0.0, 1.0, 1.5]])
    pulls = np.zeros((2, 3, 2), dtype=np.int64)
    return RegretCurve.from_runs(
        [1, 5, 10], regret, regret - 0.5, pulls, 7, {"seed": 0}, regret_variants={"weak": regret / 2}
    )


def test_curve_columns_are_the_runs_in_long_form():
    pytest.importorskip("pandas")
    curve = _tidy_curve()
    df = curve.to_dataframe()
    assert df["run"].tolist() == [7, 7, 7, 8, 8, 8]  # global run indices, run-major
    assert df["time"].tolist() == [1, 5, 10] * 2
    wide = df.pivot(index="run", columns="time", values="regret").to_numpy()
    np.testing.assert_array_equal(wide, curve.regret)
    np.testing.assert_array_equal(df["regret_weak"].to_numpy(), curve.regret_variants["weak"].reshape(-1))
    np.testing.assert_array_equal(df["realized_regret"].to_numpy(), curve.realized_regret.reshape(-1))
