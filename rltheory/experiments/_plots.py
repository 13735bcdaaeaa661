"""Figures of experiment results: regret curves with confidence bands and theory overlays.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas,
never through ``pyplot``: no global figure state, no display needed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

__all__ = ["plot_experiment", "OVERLAYS"]

#: Theory curves that can be drawn over a panel, by name.
OVERLAYS = {
    "lai-robbins": "Lai-Robbins asymptotic lower bound sum_i Delta_i log t / KL(mu_i, mu*) (Lai & Robbins 1985, Thm 2)",
    "exp3-bound": "EXP3 regret bound 2 sqrt(e-1) sqrt(t K ln K) (Auer, Cesa-Bianchi, Freund & Schapire 2002, Cor. 3.2)",
}


def _bandit_key(bandit):
    text = json.dumps(bandit.to_spec(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _bandit_title(bandit):
    kind = type(bandit).__name__
    means = np.asarray(bandit.means)
    if kind == "SequenceBandit":
        return f"{kind} (K={bandit.n_arms}, adversarial reward table)"
    shown = ", ".join(f"{m:g}" for m in means[:10])
    return f"{kind}({shown}{', ...' if means.size > 10 else ''})"


def _overlay_lai_robbins(ax, bandit, times):
    from rltheory import bandits as b

    if isinstance(bandit, getattr(b, "SequenceBandit", ())):
        return
    # Lai & Robbins (1985), Theorem 2: the regret of a uniformly good policy is
    # asymptotically at least sum_{i: Delta_i > 0} Delta_i log t / KL(mu_i, mu*).
    curve = np.asarray(b.lai_robbins_curve(bandit, times), dtype=float)
    ax.plot(times, curve, color="black", linestyle="--", linewidth=1.5, label="Lai-Robbins lower bound")


def _overlay_exp3_bound(ax, bandit, times):
    from rltheory import bandits as b

    # Auer, Cesa-Bianchi, Freund & Schapire (2002), Corollary 3.2: EXP3 tuned for
    # horizon T (g = T) has weak regret at most 2 sqrt(e - 1) sqrt(T K ln K); drawn
    # as a function of the horizon t.
    values = np.asarray(b.exp3_regret_bound(bandit, times), dtype=float)
    ax.plot(times, values, color="black", linestyle=":", linewidth=1.5, label=r"EXP3 bound $2\sqrt{e-1}\sqrt{tK\ln K}$")


_OVERLAY_FUNCS = {"lai-robbins": _overlay_lai_robbins, "exp3-bound": _overlay_exp3_bound}


def plot_experiment(result, *, overlays=(), log_x=False, title=None, path=None):
    """Regret curves of an :class:`ExperimentResult`, one panel per bandit instance.

    Each configuration is drawn with ``RegretCurve.plot`` (mean regret and its
    confidence band) in the panel of its bandit; the requested ``overlays``
    (keys of :data:`OVERLAYS`) are drawn in every panel where they apply.

    Parameters
    ----------
    result : ExperimentResult
    overlays : sequence of str
        Names from :data:`OVERLAYS`.
    log_x : bool
        Logarithmic time axis (the style of Garivier & Cappé 2011, Fig. 1).
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
        For an unknown overlay name.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, KLUCB
    >>> from rltheory.experiments import ExperimentConfig, run_experiment
    >>> cfg = ExperimentConfig("KL-UCB", BernoulliBandit([0.9, 0.8]), KLUCB())
    >>> res = run_experiment([cfg], horizon=300, n_runs=3, checkpoints=10, progress=False)
    >>> fig = plot_experiment(res, overlays=("lai-robbins",), log_x=True)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['KL-UCB', 'Lai-Robbins lower bound']
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    unknown = [o for o in overlays if o not in _OVERLAY_FUNCS]
    if unknown:
        raise ValueError(f"overlays: unknown {unknown}; known: {sorted(_OVERLAY_FUNCS)}")
    groups = {}
    for cfg in result.configs:
        groups.setdefault(_bandit_key(cfg.bandit), []).append(cfg)
    n = len(groups)
    fig = Figure(figsize=(6.4 * n, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, cfgs in zip(axes, groups.values()):
        bandit = cfgs[0].bandit
        times = None
        for cfg in cfgs:
            curve = result.curves[cfg.name]
            curve.plot(ax=ax, label=cfg.name, logx=log_x)
            times = np.asarray(curve.times, dtype=float)
        positive = times[times >= 1]
        for name in overlays:
            _OVERLAY_FUNCS[name](ax, bandit, positive)
        ax.set_xscale("log" if log_x else "linear")
        ax.set_xlabel("time t")
        ax.set_ylabel("regret")
        ax.set_title(_bandit_title(bandit), fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(f"{title}  ({result.n_runs} runs, T = {result.horizon})")
    if path is not None:
        fig.savefig(Path(path), dpi=120, format="png")
    return fig
