"""Tests of rltheory.experiments._plots: panels, bands and theory overlays."""

import numpy as np
import pytest

from rltheory.experiments import ExperimentConfig, run_experiment
from rltheory.experiments._catalogue import get_reproduction
from rltheory.experiments._plots import plot_experiment


@pytest.fixture(scope="module")
def adversarial_result():
    configs = get_reproduction("adversarial").configs(120)
    return run_experiment(configs, budget=120, n_runs=3, checkpoints=20, progress=False)


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
    result = run_experiment(configs, budget=200, n_runs=2, checkpoints=20, progress=False)
    fig = plot_experiment(result, overlays=("lai-robbins",), log_x=True)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "Lai-Robbins lower bound"]
    x, y = line.get_data()
    np.testing.assert_array_equal(y, np.asarray(lai_robbins_curve(configs[0].problem, x), dtype=float))


def test_unknown_overlay_is_rejected(adversarial_result):
    with pytest.raises(ValueError, match="unknown"):
        plot_experiment(adversarial_result, overlays=("nope",))


def test_sqrt_reference_single_panel_and_final_regret_vs_d():
    from rltheory.linear import LinearBandit, LinUCB

    configs = [ExperimentConfig(f"d={d}", LinearBandit.random(d, 6, rng=d), LinUCB()) for d in (2, 4)]
    result = run_experiment(configs, budget=100, n_runs=3, checkpoints=10, progress=False)
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


# --------------------------------------------------------------------------- Garivier & Cappe Fig. 1 view


@pytest.fixture(scope="module")
def two_arms_result():
    rep = get_reproduction("bernoulli-two-arms")
    return run_experiment(rep.configs(400), budget=400, n_runs=6, checkpoints=20, progress=False)


def test_boxplot_panel_shows_the_final_regret_of_every_run(two_arms_result):
    from rltheory.bandits import lai_robbins_curve

    res = two_arms_result
    fig = plot_experiment(res, overlays=("lai-robbins",), log_x=True, final_boxplot=True)
    curves_ax, box_ax = fig.axes
    assert box_ax.get_title() == f"regret at T = 400: distribution over {res.n_runs} runs"
    assert [t.get_text() for t in box_ax.get_xticklabels()] == [c.name for c in res.configs]
    # each box is the distribution of the regret at T: its median line is the median over the runs
    medians = {
        line.get_gid(): line.get_ydata()[0] for line in box_ax.lines if str(line.get_gid()).startswith("median:")
    }
    assert medians == {f"median:{c.name}": float(np.median(res.curves[c.name].regret[:, -1])) for c in res.configs}
    (bound,) = [ln for ln in box_ax.get_lines() if ln.get_label().startswith("Lai-Robbins bound at T")]
    assert bound.get_ydata()[0] == pytest.approx(float(lai_robbins_curve(res.configs[0].problem, [400.0])[0]))


def test_the_figure_says_when_the_asymptotic_bound_lies_above_a_curve(two_arms_result):
    from rltheory.bandits import lai_robbins_curve
    from rltheory.experiments._plots import ASYMPTOTIC_NOTE

    res = two_arms_result
    bound_T = float(lai_robbins_curve(res.configs[0].problem, [400.0])[0])
    below = [c.name for c in res.configs if res.curves[c.name].mean[-1] < bound_T]
    (ax,) = plot_experiment(res, overlays=("lai-robbins",), log_x=True).axes
    notes = [t for t in ax.texts if t.get_gid() == "asymptotic-note"]
    assert len(notes) == (1 if below else 0)
    if notes:
        assert notes[0].get_text() == ASYMPTOTIC_NOTE and "asymptotic" in ASYMPTOTIC_NOTE
    # a panel whose curves all end above the bound carries no note
    worst = max(res.configs, key=lambda c: res.curves[c.name].mean[-1])
    sub = run_experiment([worst], budget=400, n_runs=6, checkpoints=20, progress=False)
    if sub.curves[worst.name].mean[-1] >= bound_T:
        (ax,) = plot_experiment(sub, overlays=("lai-robbins",), log_x=True).axes
        assert not [t for t in ax.texts if t.get_gid() == "asymptotic-note"]


def test_curves_differ_in_colour_or_line_style_and_the_palette_is_okabe_ito(two_arms_result):
    from matplotlib.colors import to_hex

    from rltheory.experiments._plots import LINE_STYLES, PALETTE

    # Okabe & Ito (2008) colour-universal-design palette, black left for the theory overlays
    assert set(PALETTE) <= {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert len(set(LINE_STYLES)) == len(LINE_STYLES) == 12
    assert all(len({c for c, _ in LINE_STYLES[k : k + len(PALETTE)]}) == len(PALETTE) for k in range(7))
    (ax,) = plot_experiment(two_arms_result, log_x=True).axes
    styles = [(to_hex(line.get_color()), line.get_linestyle()) for line in ax.get_lines()]
    assert len(styles) == len(two_arms_result.configs) and len(set(styles)) == len(styles)
    # the five best policies of the figure (KL-UCB, KL-UCB+, TS, Bayes-UCB, IMED: the curves the issue could not
    # tell apart) have five colours and differ in line style from their neighbours
    best = styles[3:8]
    assert len({c for c, _ in best}) == 5 and all(a[1] != b[1] for a, b in zip(best, best[1:]))


def test_riverswim_panels_on_both_scales_with_the_jaksch_bounds():
    from rltheory.tabular import diameter, ucrl2_lower_bound, ucrl2_regret_bound

    rep = get_reproduction("riverswim")
    configs = rep.configs(300)
    result = run_experiment(configs, budget=300, n_runs=2, checkpoints=10, progress=False)
    fig = plot_experiment(result, overlays=rep.overlays, log_x=True, log_y=True, panels="single", also_linear=True)
    log_ax, lin_ax = fig.axes
    assert (log_ax.get_xscale(), log_ax.get_yscale(), lin_ax.get_xscale(), lin_ax.get_yscale()) == (
        "log",
        "log",
        "linear",
        "linear",
    )
    mdp = configs[0].problem
    D = diameter(mdp).diameter
    for ax in (log_ax, lin_ax):
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        (upper,) = [ln for lab, ln in lines.items() if lab.startswith("UCRL2 bound (Thm 2)")]
        x, y = upper.get_data()
        np.testing.assert_allclose(y, ucrl2_regret_bound(6, 2, D, x, delta=0.05), rtol=1e-12)
        (lower,) = [ln for lab, ln in lines.items() if "Thm 5, conditions unmet" in lab]
        x, y = lower.get_data()
        np.testing.assert_allclose(y, ucrl2_lower_bound(6, 2, D, x, check_conditions=False), rtol=1e-12)
    # the linear panel is scaled to the curves, not to the bound far above them
    top = max(float(result.curves[c.name].upper.max()) for c in configs)
    assert lin_ax.get_ylim()[1] == pytest.approx(1.1 * top)


def test_episodic_panel_has_the_steps_axis_and_the_ucbvi_bounds():
    from rltheory.tabular import UCBVI, FiniteMDP, episodic_lower_bound, ucbvi_regret_bound

    H = 3
    mdp = FiniteMDP(
        np.full((2, 2, 2), 0.5),
        np.array([[0.1, 0.9], [0.5, 0.2]]),
        gamma=1.0,
        horizon=H,
        initial_distribution=[0.5, 0.5],
    )
    result = run_experiment(
        [ExperimentConfig("UCBVI-CH", mdp, UCBVI())], budget=60, n_runs=2, checkpoints=10, progress=False
    )
    fig = plot_experiment(result, overlays=("episodic-bounds",), log_x=True, log_y=True)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "episode k"
    (steps,) = [c for c in ax.child_axes if "steps T = kH" in c.get_xlabel()]
    fig.canvas.draw()  # the top axis reads T = kH: its limits are H times the episode axis's
    np.testing.assert_allclose(steps.get_xlim(), np.array(ax.get_xlim()) * H, rtol=1e-12)
    times = np.asarray(result.curves["UCBVI-CH"].times, dtype=float)
    drawn = {ln.get_label(): ln.get_data() for ln in ax.get_lines()}
    (lower,) = [v for lab, v in drawn.items() if "lower-bound rate" in lab]
    np.testing.assert_allclose(lower[1], episodic_lower_bound(2, 2, H, times) * 0.9, rtol=1e-12)  # max r = 0.9
    # Azar et al.'s Thm 1 bound is far above this panel: listed with its value at the last episode
    (box,) = [t for t in ax.texts if t.get_gid() == "bounds-above"]
    assert f"{float(ucbvi_regret_bound(2, 2, H, times[-1])) * 0.9:.3g}" in box.get_text()


def test_first_success_panel_is_the_median_of_the_first_visits():
    from rltheory.experiments._plots import first_success_rows
    from rltheory.tabular import EpsilonGreedyQ
    from rltheory.tabular.envs import deep_sea, deep_sea_treasure

    configs = [ExperimentConfig(f"eps N={n}", deep_sea(n, rng=n), EpsilonGreedyQ(epsilon=0.5)) for n in (2, 3)]
    result = run_experiment(configs, budget=200, n_runs=4, checkpoints=2, progress=False)

    def first_success(cfg):
        size = int(cfg.name.rsplit("=", 1)[1])
        return "eps", size, deep_sea_treasure(size)

    rows = first_success_rows(result, first_success)
    for (series, size, goal, med, q1, q3, censored, runs), cfg in zip(rows, configs):
        visits = np.asarray(result.curves[cfg.name].first_visit)[:, goal]
        first = np.where(visits == 0, 200.0, visits)  # censored runs count as the budget
        assert (series, size, runs, censored) == ("eps", cfg.problem.horizon, 4, int((visits == 0).sum()))
        assert med == np.median(first) and q1 <= med <= q3
    fig = plot_experiment(result, first_success=first_success)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "size N" and ax.get_yscale() == "log"
    (bars,) = [c for c in ax.containers if c.get_label() == "eps"]  # errorbar: medians with quartile bars
    line = bars.lines[0]
    np.testing.assert_array_equal(line.get_data()[0], [2, 3])
    np.testing.assert_array_equal(line.get_data()[1], [r[3] for r in rows])
