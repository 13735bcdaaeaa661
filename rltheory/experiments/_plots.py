"""Figures of experiment results: regret curves with confidence bands and theory overlays.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas,
never through ``pyplot``: no global figure state, no display needed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rltheory.experiments._dispatch import problem_kind

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rltheory.experiments._records import ExperimentResult

__all__ = ["plot_experiment", "first_success_rows", "OVERLAYS", "PANELS", "LINE_STYLES"]

#: Theory curves that can be drawn over a panel, by name.
OVERLAYS = {
    "lai-robbins": "Lai-Robbins asymptotic lower bound sum_i Delta_i log t / KL(mu_i, mu*) (Lai & Robbins 1985, Thm 2)",
    "exp3-bound": "EXP3 regret bound 2 sqrt(e-1) sqrt(t K ln K) (Auer, Cesa-Bianchi, Freund & Schapire 2002, Cor. 3.2)",
    "sqrt-t": "reference slope 1/2: c sqrt(t) through the largest final mean regret of the panel (the sqrt(T) rate of "
    "OFUL, Abbasi-Yadkori, Pal & Szepesvari 2011, Thm 3, and of LSVI-UCB, Jin et al. 2020, Thm 3.1, up to logs)",
    "ucrl2-bound": "UCRL2 regret bound 34 D S sqrt(A t log(t/delta)) with the diameter D of the MDP and the delta of "
    "the "
    "panel's UCRL2 configuration (Jaksch, Ortner & Auer 2010, Thm 2)",
    "ucrl2-lower-bound": "minimax lower bound 0.015 sqrt(D S A t) (Jaksch, Ortner & Auer 2010, Thm 5): some MDP with "
    "these "
    "S, A, D forces it on every algorithm; drawn for scale, with its conditions S, A >= 10, D >= 20 log_A S stated",
    "dueling-lower-bound": "asymptotic lower bound of the strong dueling regret, sum_j min_i (Delta_i + Delta_j)/2 / "
    "d(P_ij, 1/2) log t (Komiyama, Honda, Kashima & Nakagawa 2015, Thm 2), on problems with a Condorcet winner",
    "breakpoints": "vertical lines at the breakpoints of a piecewise-stationary bandit (the rounds where the means "
    "change; Garivier & Moulines 2011, Sec. 2)",
    "episodic-bounds": "on a tabular episodic panel: UCBVI-CH / -BF high-probability bounds (Azar et al. 2017, Thms "
    "1-2, "
    "delta = 0.1, explicit constants) and the minimax lower-bound rate sqrt(H^2 S A T) (Domingues et al. 2021, "
    "constant 1); bounds above the panel are listed in a box with their value at the last episode",
}

#: Panel layouts of :func:`plot_experiment`.
PANELS = ("instance", "single")

#: Colours of the curves: the Okabe & Ito (2008) colour-blind safe palette ("Color Universal Design") without
#: black (kept for the theory overlays) and yellow (too faint for a line on white), ordered so that
#: neighbouring curves differ most.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
_DASHES = ("-", "--", "-.", ":")

#: ``(colour, line style)`` of the k-th curve of a panel: colours and line styles cycle together, so any
#: six consecutive curves have six colours, and the first 12 pairs (lcm(6, 4)) are all different.
LINE_STYLES = tuple((PALETTE[k % len(PALETTE)], _DASHES[k % len(_DASHES)]) for k in range(12))

#: Written on a panel whose Lai-Robbins curve lies above a policy's mean regret at the end of the runs.
ASYMPTOTIC_NOTE = (
    "The Lai-Robbins bound is asymptotic\n"
    "(liminf R(T) / log T as T -> infinity):\n"
    "at finite T good policies can lie below it"
)


def _bandit_key(bandit):
    text = json.dumps(bandit.to_spec(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _bandit_title(bandit):
    kind = type(bandit).__name__
    problem = problem_kind(bandit)
    if problem == "continuing":
        noise = f", {bandit.noise} rewards" if hasattr(bandit, "noise") else ""
        return f"{kind} (S={bandit.n_states}, A={bandit.n_actions}, average reward{noise})"
    if problem == "linear-bandit":
        contexts = f", {bandit.n_contexts} contexts" if bandit.is_contextual else ""
        return f"{kind} (d={bandit.dim}, K={bandit.n_arms}{contexts}, sigma={bandit.noise_sigma:g})"
    if problem == "episodic" and hasattr(bandit, "dim"):
        return f"{kind} (S={bandit.n_states}, A={bandit.n_actions}, d={bandit.dim}, H={bandit.horizon})"
    if problem == "dueling":
        from rltheory.bandits import condorcet_winner

        c = condorcet_winner(bandit)
        winner = f"Condorcet winner {c}" if c is not None else "no Condorcet winner"
        if kind == "BradleyTerry":
            shown = ", ".join(f"{r:g}" for r in np.asarray(bandit.rewards)[:8])
            return f"BradleyTerry({shown}{', ...' if bandit.n_arms > 8 else ''}), {winner}"
        return f"{kind} (K={bandit.n_arms}, {winner})"
    if problem == "episodic":
        mdp = getattr(bandit, "mdp", bandit)
        r = float(np.max(mdp.R))
        return f"{kind} (S={mdp.n_states}, A={mdp.n_actions}, H={mdp.horizon}, max r = {r:.3g})"
    if problem == "nonstationary-bandit":
        bps = getattr(bandit, "breakpoints", None)
        what = f"{len(bps)} breakpoints" if bps is not None else f"drifting means over {bandit.n_rounds} rounds"
        return f"{kind} (K={bandit.n_arms}, {what}, {bandit.family} rewards)"
    means = np.asarray(bandit.means)
    if kind == "SequenceBandit":
        return f"{kind} (K={bandit.n_arms}, adversarial reward table)"
    shown = ", ".join(f"{m:g}" for m in means[:10])
    return f"{kind}({shown}{', ...' if means.size > 10 else ''})"


def _series_label(cfg):
    """Legend of the final-regret-vs-d panel: the policy and the problem's sizes other than d."""
    problem, kind = cfg.problem, problem_kind(cfg.problem)
    policy = str(getattr(cfg.agent, "name", type(cfg.agent).__name__))
    if kind == "linear-bandit":
        return f"{policy}, K={problem.n_arms}"
    if kind == "episodic":
        return f"{policy}, S={problem.n_states}, A={problem.n_actions}, H={problem.horizon}"
    return policy


def _final_vs_dim_panel(ax, result):
    """Final mean regret (with its confidence interval) against the dimension d, one line per series."""
    series = {}
    for cfg in result.configs:
        dim = getattr(cfg.problem, "dim", None)
        if dim is None:
            raise ValueError(f"final_vs_dim: configuration {cfg.name!r} has a {type(cfg.problem).__name__} without dim")
        curve = result.curves[cfg.name]
        series.setdefault(_series_label(cfg), []).append(
            (int(dim), float(curve.mean[-1]), float(curve.lower[-1]), float(curve.upper[-1]))
        )
    for label, points in series.items():
        d, m, lo, hi = (np.array(v) for v in zip(*sorted(points)))
        ax.errorbar(d, m, yerr=np.vstack([m - lo, hi - m]), marker="o", capsize=3, label=label)
    ax.set_xlabel("dimension d")
    ax.set_ylabel(f"regret at T = {result.budget}")
    ax.set_title("final regret vs d", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")


def _overlay_lai_robbins(ax, bandit, times, curves):
    from rltheory import bandits as b

    if problem_kind(bandit) != "bandit" or isinstance(bandit, getattr(b, "SequenceBandit", ())):
        return
    # Lai & Robbins (1985), Theorem 2: the regret of a uniformly good policy is
    # asymptotically at least sum_{i: Delta_i > 0} Delta_i log t / KL(mu_i, mu*).
    curve = np.asarray(b.lai_robbins_curve(bandit, times), dtype=float)
    ax.plot(times, curve, color="black", linestyle=(0, (6, 3)), linewidth=2.0, label="Lai-Robbins lower bound")
    # The bound holds in the limit only: say so on the figure when a curve ends below it.
    if any(float(np.asarray(c.mean)[-1]) < float(curve[-1]) for c in curves):
        ax.text(
            0.5,
            0.98,
            ASYMPTOTIC_NOTE,
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=7,
            bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.6", alpha=0.9),
            gid="asymptotic-note",
        )


def _overlay_exp3_bound(ax, bandit, times, curves):
    from rltheory import bandits as b

    if problem_kind(bandit) != "bandit":
        return
    # Auer, Cesa-Bianchi, Freund & Schapire (2002), Corollary 3.2: EXP3 tuned for
    # horizon T (g = T) has weak regret at most 2 sqrt(e - 1) sqrt(T K ln K); drawn
    # as a function of t.
    values = np.asarray(b.exp3_regret_bound(bandit, times), dtype=float)
    ax.plot(times, values, color="black", linestyle=":", linewidth=1.5, label=r"EXP3 bound $2\sqrt{e-1}\sqrt{tK\ln K}$")


def _overlay_sqrt_t(ax, bandit, times, curves):
    # A guide for the eye, not a bound: c sqrt(t) with c = max_curve R_bar(T) / sqrt(T), so that on
    # log-log axes a curve parallel to it grows like sqrt(t) (Abbasi-Yadkori et al. 2011, Thm 3:
    # O(d sqrt(T) log T) for OFUL; Jin et al. 2020, Thm 3.1: O(sqrt(d^3 H^3 T) log) for LSVI-UCB).
    final_t = float(times[-1])
    c = max(float(np.asarray(curve.mean)[-1]) for curve in curves) / np.sqrt(final_t)
    if not np.isfinite(c) or c <= 0:
        return
    ax.plot(
        times, c * np.sqrt(times), color="black", linestyle="--", linewidth=1.2, label=r"slope 1/2 ($\propto\sqrt{t}$)"
    )


def _continuing_model(problem):
    """The FiniteMDP of a continuing problem (a NoisyRewards wrapper holds one), or None for another kind."""
    if problem_kind(problem) != "continuing":
        return None
    return getattr(problem, "mdp", problem)


def _overlay_ucrl2_bound(ax, problem, times, curves):
    from rltheory import tabular

    mdp = _continuing_model(problem)
    deltas = [c.metadata["agent"]["params"]["delta"] for c in curves if c.metadata["agent"]["type"] == "UCRL2"]
    if mdp is None or not deltas:
        return
    D = tabular.diameter(mdp).diameter
    t = times[times > 1]
    if not np.isfinite(D) or t.size == 0:
        return
    # Jaksch, Ortner & Auer (2010), Theorem 2: with probability 1 - delta, regret(T) <= 34 D S sqrt(A T log(T/delta))
    values = tabular.ucrl2_regret_bound(mdp.n_states, mdp.n_actions, D, t, delta=deltas[0])
    ax.plot(
        t,
        values,
        color="black",
        linestyle=":",
        linewidth=1.5,
        label=rf"UCRL2 bound (Thm 2), D={D:.3g}, $\delta$={deltas[0]:g}",
    )


def _overlay_ucrl2_lower_bound(ax, problem, times, curves):
    import math

    from rltheory import tabular

    mdp = _continuing_model(problem)
    if mdp is None:
        return
    D = tabular.diameter(mdp).diameter
    if not np.isfinite(D) or D <= 0:
        return
    S, A = mdp.n_states, mdp.n_actions
    met = S >= 10 and A >= 10 and D >= 20 * math.log(S) / math.log(A)
    # Jaksch, Ortner & Auer (2010), Theorem 5: some MDP with S states, A actions and diameter D has expected
    # regret >= 0.015 sqrt(D S A T) for every algorithm (S, A >= 10, D >= 20 log_A S, T >= D S A)
    values = tabular.ucrl2_lower_bound(S, A, D, times, check_conditions=False)
    note = "" if met else ", conditions unmet"
    ax.plot(
        times,
        values,
        color="black",
        linestyle=(0, (6, 3)),
        linewidth=2.0,
        label=rf"minimax lower bound $0.015\sqrt{{DSAt}}$ (Thm 5{note})",
    )


def _final_boxplot_panel(ax, result, styles, overlays):
    """Boxplots of the regret at the end of the runs, one box per configuration."""
    from rltheory import bandits as b

    configs = list(result.configs)
    data = [np.asarray(result.curves[cfg.name].regret)[:, -1] for cfg in configs]
    boxes = ax.boxplot(data, patch_artist=True, widths=0.6, medianprops=dict(color="black"))
    for patch, median, cfg in zip(boxes["boxes"], boxes["medians"], configs):
        colour, _ = styles[cfg.name]
        patch.set_facecolor(colour)
        patch.set_alpha(0.6)
        median.set_gid(f"median:{cfg.name}")
    ax.set_xticks(np.arange(1, len(configs) + 1))
    ax.set_xticklabels([cfg.name for cfg in configs], rotation=45, ha="right", fontsize=7)
    problems = {_bandit_key(cfg.problem): cfg.problem for cfg in configs}
    if "lai-robbins" in overlays and len(problems) == 1:
        (bandit,) = problems.values()
        if problem_kind(bandit) == "bandit" and not isinstance(bandit, getattr(b, "SequenceBandit", ())):
            # Lai & Robbins (1985), Theorem 2, evaluated at T (asymptotic, see ASYMPTOTIC_NOTE).
            bound = float(np.asarray(b.lai_robbins_curve(bandit, [float(result.budget)]), dtype=float)[-1])
            ax.axhline(
                bound,
                color="black",
                linestyle=(0, (6, 3)),
                linewidth=1.5,
                label=f"Lai-Robbins bound at T (asymptotic) = {bound:.1f}",
            )
            ax.legend(fontsize=7, loc="upper right")
    ax.set_ylabel(f"regret at T = {result.budget}")
    ax.set_title(f"regret at T = {result.budget}: distribution over {result.n_runs} runs", fontsize=9)
    ax.grid(True, axis="y", alpha=0.3)


def _overlay_dueling_lower_bound(ax, problem, times, curves):
    from rltheory import bandits as b

    if problem_kind(problem) != "dueling" or b.condorcet_winner(problem) is None:
        return
    # Komiyama, Honda, Kashima & Nakagawa (2015), Theorem 2: the strong regret of a strongly consistent
    # algorithm is asymptotically at least C log t
    curve = np.asarray(b.dueling_lower_bound_curve(problem, times), dtype=float)
    ax.plot(times, curve, color="black", linestyle=(0, (6, 3)), linewidth=2.0, label="Komiyama et al. lower bound")


def _overlay_episodic_bounds(ax, problem, times, curves):
    from rltheory import tabular

    if problem_kind(problem) != "episodic" or hasattr(problem, "dim"):
        return
    mdp = getattr(problem, "mdp", problem)
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    scale = float(np.max(mdp.R))  # bounds are for rewards in [0, 1]; an MDP with rewards in [0, 1/H] scales them
    top = 20.0 * max(float(np.nanmax(np.asarray(c.upper if c.n_runs > 1 else c.mean))) for c in curves)
    hidden = []
    for label, values, style in (
        ("UCBVI-CH bound (Azar et al. 2017, Thm 1)", tabular.ucbvi_regret_bound(S, A, H, times, delta=0.1), "-."),
        ("UCBVI-BF bound (Thm 2)", tabular.ucbvi_regret_bound(S, A, H, times, delta=0.1, bonus="bernstein"), ":"),
        (
            r"lower-bound rate $\sqrt{H^2SAT}$ (Domingues et al. 2021)",
            tabular.episodic_lower_bound(S, A, H, times),
            "--",
        ),
    ):
        values = np.asarray(values, dtype=float) * scale
        if values.min() > top:
            hidden.append(f"{label}: {values[-1]:.3g} at k = {int(times[-1])}")
            continue
        ax.plot(times, values, color="black", linestyle=style, linewidth=1.2, label=label)
    if hidden:
        ax.text(
            0.98,
            0.02,
            "above the panel:\n" + "\n".join(hidden),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=6,
            bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.6", alpha=0.9),
            gid="bounds-above",
        )


def _first_success_panel(ax, result, first_success, styles):
    """Episodes to first success (first visit of the goal state) against the problem size, per series."""
    series = {}
    for cfg in result.configs:
        name, size, goal = first_success(cfg)
        curve = result.curves[cfg.name]
        first = np.asarray(curve.first_visit)[:, goal].astype(float)
        censored = first == 0
        first = np.where(censored, float(curve.budget), first)
        q1, med, q3 = np.quantile(first, [0.25, 0.5, 0.75])
        series.setdefault(name, []).append((size, med, q1, q3, int(censored.sum()), curve.n_runs))
    for k, (name, points) in enumerate(series.items()):
        colour, dashes = LINE_STYLES[k % len(LINE_STYLES)]
        n, m, lo, hi, cens, runs = (np.array(v) for v in zip(*sorted(points)))
        ax.errorbar(
            n, m, yerr=np.vstack([m - lo, hi - m]), marker="o", capsize=3, color=colour, linestyle=dashes, label=name
        )
        full = cens * 2 >= runs
        if full.any():  # the median itself is censored: only a lower bound
            ax.plot(n[full], m[full], marker="^", linestyle="none", color=colour, markersize=9, markerfacecolor="none")
    ax.axhline(result.budget, color="0.5", linewidth=0.8, linestyle=":", label=f"budget ({result.budget} episodes)")
    ax.set_yscale("log")
    ax.set_xlabel("size N")
    ax.set_ylabel("episodes to first success (median, quartiles)")
    ax.set_title("episodes to first success vs size (open triangles: median censored at the budget)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")


def first_success_rows(result, first_success):
    """``(series, size, goal, median, q1, q3, censored, runs)`` per configuration (episodes to first success).

    Censored runs (never succeeded) count as the budget, so the statistics are lower bounds when censored > 0.
    """
    rows = []
    for cfg in result.configs:
        name, size, goal = first_success(cfg)
        curve = result.curves[cfg.name]
        first = np.asarray(curve.first_visit)[:, goal].astype(float)
        censored = first == 0
        first = np.where(censored, float(curve.budget), first)
        q1, med, q3 = np.quantile(first, [0.25, 0.5, 0.75])
        rows.append((name, int(size), int(goal), float(med), float(q1), float(q3), int(censored.sum()), curve.n_runs))
    return rows


def _overlay_breakpoints(ax, bandit, times, curves):
    bps = [b for b in getattr(bandit, "breakpoints", ()) if b <= float(times[-1])]
    for k, b in enumerate(bps):
        label = "breakpoints" if k == 0 else "_nolegend_"
        ax.axvline(b, color="black", linestyle=":", linewidth=1.0, label=label, gid="breakpoint")


_OVERLAY_FUNCS = {
    "breakpoints": _overlay_breakpoints,
    "dueling-lower-bound": _overlay_dueling_lower_bound,
    "lai-robbins": _overlay_lai_robbins,
    "exp3-bound": _overlay_exp3_bound,
    "sqrt-t": _overlay_sqrt_t,
    "ucrl2-bound": _overlay_ucrl2_bound,
    "ucrl2-lower-bound": _overlay_ucrl2_lower_bound,
    "episodic-bounds": _overlay_episodic_bounds,
}


def plot_experiment(
    result: ExperimentResult,
    *,
    overlays: Sequence[str] = (),
    log_x: bool = False,
    log_y: bool = False,
    panels: str = "instance",
    final_vs_dim: bool = False,
    final_boxplot: bool = False,
    also_linear: bool = False,
    first_success: Callable | None = None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Regret curves of an :class:`ExperimentResult`, one panel per problem instance (or one panel).

    Each configuration is drawn with ``RegretCurve.plot`` (mean regret and its
    confidence band) in the panel of its problem, in the colour and line style
    :data:`LINE_STYLES` gives its position in the panel (a colour-blind safe
    palette, and line styles that tell curves apart in grey scale too); the
    requested ``overlays`` (keys of :data:`OVERLAYS`) are drawn in black in
    every panel where they apply. Where a policy ends below the Lai-Robbins
    curve, the panel carries :data:`ASYMPTOTIC_NOTE` (the bound is asymptotic).

    Parameters
    ----------
    result : ExperimentResult
    overlays : sequence of str
        Names from :data:`OVERLAYS`.
    log_x, log_y : bool
        Logarithmic time / regret axis (log-log shows a regret rate t^a as a line of slope a).
    panels : {"instance", "single"}
        One panel per problem instance, or every configuration in one panel.
    final_vs_dim : bool
        Add a panel of the final mean regret (with its confidence interval)
        against the problem dimension ``d`` (linear bandits, linear MDPs), one
        line per policy and problem size other than ``d``.
    final_boxplot : bool
        Add a panel of boxplots of the regret at the end of the runs, one
        box per configuration (with the Lai-Robbins value at ``T`` when that
        overlay is asked for and all configurations share one instance).
    also_linear : bool
        Draw every curve panel a second time on linear axes (after the
        panels on the requested axes), its regret axis limited to the curves'
        range (a theory curve far above them is then cut at the top).
    first_success : callable, optional
        ``first_success(cfg) -> (series, size, goal_state)``: draw one panel of
        the episodes to first success (``first_visit[:, goal_state]``, median
        and quartiles over runs, censored runs at the budget) against the size,
        one line per series, instead of the regret panels.
    title : str, optional
        Figure title.
    path : str or path-like, optional
        When given, the figure is saved there (PNG, 120 dpi).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For an unknown overlay name or panel layout, or ``final_vs_dim`` on problems without ``dim``.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, KLUCB
    >>> from rltheory.experiments import ExperimentConfig, run_experiment
    >>> cfg = ExperimentConfig("KL-UCB", BernoulliBandit([0.9, 0.8]), KLUCB())
    >>> res = run_experiment([cfg], budget=300, n_runs=3, checkpoints=10, progress=False)
    >>> fig = plot_experiment(res, overlays=("lai-robbins",), log_x=True)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['KL-UCB', 'Lai-Robbins lower bound']
    >>> fig = plot_experiment(res, overlays=("lai-robbins",), log_x=True, final_boxplot=True)
    >>> len(fig.axes), fig.axes[1].get_title()
    (2, 'regret at T = 300: distribution over 3 runs')
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    unknown = [o for o in overlays if o not in _OVERLAY_FUNCS]
    if unknown:
        raise ValueError(f"overlays: unknown {unknown}; known: {sorted(_OVERLAY_FUNCS)}")
    if panels not in PANELS:
        raise ValueError(f"panels: expected one of {PANELS}, got {panels!r}")
    groups = {}
    for cfg in result.configs:
        if first_success is not None:
            break
        key = "all" if panels == "single" else _bandit_key(cfg.problem)
        groups.setdefault(key, []).append(cfg)
    styles = {cfg.name: LINE_STYLES[k % len(LINE_STYLES)] for cfgs in groups.values() for k, cfg in enumerate(cfgs)}
    scales = [(log_x, log_y)] + ([(False, False)] if also_linear else [])
    curve_panels = [(cfgs, lx, ly) for lx, ly in scales for cfgs in groups.values()]
    n = len(curve_panels) + bool(final_vs_dim) + bool(final_boxplot) + (first_success is not None)
    fig = Figure(figsize=(6.4 * n, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (cfgs, log_x, log_y) in zip(axes, curve_panels):
        bandit = cfgs[0].problem
        times = None
        curves = [result.curves[cfg.name] for cfg in cfgs]
        for cfg, curve in zip(cfgs, curves):
            colour, dashes = styles[cfg.name]
            curve.plot(ax=ax, label=cfg.name, logx=log_x, logy=log_y, color=colour, linestyle=dashes, linewidth=1.6)
            times = np.asarray(curve.times, dtype=float)
        positive = times[times >= 1]
        for name in overlays:
            _OVERLAY_FUNCS[name](ax, bandit, positive, curves)
        ax.set_xscale("log" if log_x else "linear")
        ax.set_yscale("log" if log_y else "linear")
        if also_linear and not (log_x or log_y):
            top = max(float(np.nanmax(np.asarray(c.upper if c.n_runs > 1 else c.mean))) for c in curves)
            bottom = min(0.0, min(float(np.nanmin(np.asarray(c.lower if c.n_runs > 1 else c.mean))) for c in curves))
            if np.isfinite(top) and top > bottom:
                ax.set_ylim(bottom, 1.1 * top)
        elif "episodic-bounds" in overlays and problem_kind(bandit) == "episodic":
            top = 20.0 * max(float(np.nanmax(np.asarray(c.upper if c.n_runs > 1 else c.mean))) for c in curves)
            low = (
                min(
                    float(np.nanmin(np.asarray(c.mean)[np.asarray(c.mean) > 0]))
                    for c in curves
                    if (np.asarray(c.mean) > 0).any()
                )
                if log_y
                else 0.0
            )
            ax.set_ylim(low / 2 if log_y else 0.0, top)
        ax.set_xlabel("episode k" if problem_kind(bandit) == "episodic" else "time t")
        horizons = {getattr(getattr(c.problem, "mdp", c.problem), "horizon", None) for c in cfgs}
        if problem_kind(bandit) == "episodic" and len(horizons) == 1:  # against the steps T = kH (the papers' T)
            H = float(horizons.pop())
            steps = ax.secondary_xaxis("top", functions=(lambda k, H=H: k * H, lambda t, H=H: t / H))
            steps.set_xlabel(f"steps T = kH (H = {H:g})", fontsize=8)
        ax.set_ylabel("regret")
        if len({_bandit_key(cfg.problem) for cfg in cfgs}) == 1:
            ax.set_title(_bandit_title(bandit), fontsize=9)
        else:
            ax.set_title(f"{len(cfgs)} configurations ({type(bandit).__name__} instances)", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    extra = iter(axes[len(curve_panels) :])
    if first_success is not None:
        _first_success_panel(next(extra), result, first_success, styles)
    if final_vs_dim:
        _final_vs_dim_panel(next(extra), result)
    if final_boxplot:
        _final_boxplot_panel(next(extra), result, styles, overlays)
    if title:
        fig.suptitle(f"{title}  ({result.n_runs} runs, T = {result.budget})")
    if path is not None:
        fig.savefig(Path(path), dpi=120, format="png")
    return fig
