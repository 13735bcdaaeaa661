"""Tests of rltheory.experiments._plots: panels, bands and theory overlays."""

import numpy as np
import pytest

from rltheory.experiments import ExperimentConfig, run_experiment
from rltheory.experiments._catalogue import get_reproduction
from rltheory.experiments._plots import plot_experiment


@pytest.fixture(scope="module")
def adversarial_result():
    configs = get_reproduction("adversarial").configs(120)
    return run_experiment(configs, horizon=120, n_runs=3, checkpoints=20, progress=False)


def test_one_panel_per_bandit_and_a_png(tmp_path, adversarial_result):
    path = tmp_path / "fig.png"
    fig = plot_experiment(adversarial_result, overlays=("exp3-bound",), path=path, title="adversarial")
    assert len(fig.axes) == 2  # the stochastic and the adversarial instance
    assert path.read_bytes()[:4] == b"\x89PNG"
    for ax in fig.axes:
        labels = [line.get_label() for line in ax.get_lines()]
        assert any("EXP3 bound" in lab for lab in labels)


def test_lai_robbins_overlay_is_the_theory_curve(tmp_path):
    from rltheory.bandits import lai_robbins_curve

    configs = get_reproduction("bernoulli-two-arms").configs()[:2]
    result = run_experiment(configs, horizon=200, n_runs=2, checkpoints=20, progress=False)
    fig = plot_experiment(result, overlays=("lai-robbins",), log_x=True)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "Lai-Robbins lower bound"]
    x, y = line.get_data()
    np.testing.assert_array_equal(y, np.asarray(lai_robbins_curve(configs[0].bandit, x), dtype=float))


def test_unknown_overlay_is_rejected(adversarial_result):
    with pytest.raises(ValueError, match="unknown"):
        plot_experiment(adversarial_result, overlays=("nope",))


def test_sqrt_reference_single_panel_and_final_regret_vs_d():
    from rltheory.linear import LinearBandit, LinUCB

    configs = [
        ExperimentConfig(f"d={d}", LinearBandit.random(d, 6, rng=d), LinUCB()) for d in (2, 4)
    ]
    result = run_experiment(configs, horizon=100, n_runs=3, checkpoints=10, progress=False)
    fig = plot_experiment(result, overlays=("sqrt-t",), log_x=True, log_y=True, panels="single", final_vs_dim=True)
    curves_ax, dim_ax = fig.axes
    assert curves_ax.get_yscale() == "log"
    (ref,) = [ln for ln in curves_ax.get_lines() if "slope 1/2" in ln.get_label()]
    x, y = ref.get_data()
    # c sqrt(t) through the largest final mean regret: slope exactly 1/2 in log-log
    np.testing.assert_allclose(np.diff(np.log(y)) / np.diff(np.log(x)), 0.5, rtol=1e-12)
    assert y[-1] == pytest.approx(max(result.curves[c.name].mean[-1] for c in configs), rel=1e-12)
    (series,) = [c for c in dim_ax.containers if c.get_label() == "LinUCB, K=6"]  # errorbar: mean and CI vs d
    data_line = series.lines[0]
    np.testing.assert_array_equal(data_line.get_xdata(), [2, 4])
    np.testing.assert_array_equal(data_line.get_ydata(), [result.curves[c.name].mean[-1] for c in configs])


def test_unknown_panel_layout_is_rejected(adversarial_result):
    with pytest.raises(ValueError, match="panels"):
        plot_experiment(adversarial_result, panels="grid")
