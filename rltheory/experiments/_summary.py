"""The summary of an experiment: one :class:`SummaryRow` per configuration, as a table and as CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from rltheory.experiments._dispatch import problem_kind
from rltheory.experiments._records import SummaryRow

if TYPE_CHECKING:
    from rltheory.experiments._records import ExperimentConfig
    from rltheory.simulation import RegretCurve

__all__ = ["format_summary", "summary_row", "summary_csv"]


def _lai_robbins_ratio(bandit, mean_final, budget):
    if problem_kind(bandit) != "bandit":
        return math.nan  # no Lai-Robbins constant for linear bandits / linear MDPs
    from rltheory import bandits as _b

    sequence_type = getattr(_b, "SequenceBandit", None)
    if sequence_type is not None and isinstance(bandit, sequence_type):
        return math.nan
    try:
        # Lai & Robbins (1985), Theorem 2: liminf R_T / log T >= sum_i Delta_i / KL(mu_i, mu*).
        ref = float(np.asarray(_b.lai_robbins_curve(bandit, np.array([budget], dtype=float))).reshape(-1)[-1])
    except (ValueError, TypeError, NotImplementedError, AttributeError):
        return math.nan
    if not np.isfinite(ref) or ref <= 0:
        return math.nan
    return float(mean_final) / ref


def _slope_fit(curve, budget):
    times = np.asarray(curve.times)
    t_min = max(float(times[0]), budget / 10.0)
    try:
        fit = curve.slope(t_min, float(budget))
    except ValueError:
        return math.nan, math.nan, math.nan
    lower = getattr(fit, "lower", None)
    upper = getattr(fit, "upper", None)
    if lower is None or upper is None:
        ci = getattr(fit, "ci", None)
        lower, upper = ci if ci is not None else (math.nan, math.nan)
    return float(fit.slope), float(lower), float(upper)


def summary_row(cfg: ExperimentConfig, curve: RegretCurve, budget: int) -> SummaryRow:
    """The :class:`SummaryRow` of configuration ``cfg`` with regret curve ``curve`` at ``budget``.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> from rltheory.experiments import ExperimentConfig
    >>> from rltheory.simulation import simulate
    >>> cfg = ExperimentConfig("UCB1", BernoulliBandit([0.6, 0.4]), UCB1())
    >>> curve = simulate(cfg.problem, cfg.agent, n_rounds=200, n_runs=4, seed=0, checkpoints=10)
    >>> row = summary_row(cfg, curve, 200)
    >>> bool(row.final_mean == curve.mean[-1]), row.n_runs
    (True, 4)
    """
    mean = np.asarray(curve.mean)
    lower = np.asarray(curve.lower)
    upper = np.asarray(curve.upper)
    slope, s_lo, s_hi = _slope_fit(curve, budget)
    return SummaryRow(
        name=cfg.name,
        agent=str(getattr(cfg.agent, "name", type(cfg.agent).__name__)),
        n_runs=int(np.shape(curve.regret)[0]),
        budget=int(budget),
        final_mean=float(mean[-1]),
        final_lower=float(lower[-1]),
        final_upper=float(upper[-1]),
        slope=slope,
        slope_lower=s_lo,
        slope_upper=s_hi,
        lai_robbins_ratio=_lai_robbins_ratio(cfg.problem, mean[-1], budget),
    )


def _fmt(x, spec):
    return "-" if not np.isfinite(x) else format(x, spec)


def format_summary(rows: Iterable[SummaryRow]) -> str:
    """Plain-text table of :class:`SummaryRow` s.

    Columns: configuration, runs, final mean regret with the half-width of its
    confidence interval, the log-log slope over ``[T/10, T]`` with its interval,
    and the ratio to the Lai-Robbins curve at ``T`` ("-" when undefined).

    Examples
    --------
    >>> row = SummaryRow("UCB1", "UCB1", 10, 100, 5.0, 4.0, 6.0, 0.3, 0.2, 0.4, 1.5)
    >>> print(format_summary([row]))  # doctest: +NORMALIZE_WHITESPACE
    config  runs  budget  regret(T)    +-  slope  slope CI       R(T)/LR(T)
    UCB1      10      100       5.00  1.00  0.300  [0.200, 0.400]      1.500
    """
    header = ["config", "runs", "budget", "regret(T)", "+-", "slope", "slope CI", "R(T)/LR(T)"]
    lines = [header]
    for r in rows:
        half = 0.5 * (r.final_upper - r.final_lower)
        ci = (
            "-"
            if not (np.isfinite(r.slope_lower) and np.isfinite(r.slope_upper))
            else (f"[{r.slope_lower:.3f}, {r.slope_upper:.3f}]")
        )
        lines.append(
            [
                r.name,
                str(r.n_runs),
                str(r.budget),
                _fmt(r.final_mean, ".2f"),
                _fmt(half, ".2f"),
                _fmt(r.slope, ".3f"),
                ci,
                _fmt(r.lai_robbins_ratio, ".3f"),
            ]
        )
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
    out = []
    for line in lines:
        cells = [line[0].ljust(widths[0])] + [line[c].rjust(widths[c]) for c in range(1, len(header))]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def summary_csv(rows: Iterable[SummaryRow]) -> bytes:
    """The rows as CSV bytes: a header of the :class:`SummaryRow` field names, one line per row.

    Examples
    --------
    >>> row = SummaryRow("UCB1", "UCB1", 10, 100, 5.0, 4.0, 6.0, 0.3, 0.2, 0.4, float("nan"))
    >>> print(summary_csv([row]).decode().splitlines()[1])
    UCB1,UCB1,10,100,5.0,4.0,6.0,0.3,0.2,0.4,nan
    """
    buf = io.StringIO()
    names = [f.name for f in dataclasses.fields(SummaryRow)]
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for r in rows:
        writer.writerow([getattr(r, n) for n in names])
    return buf.getvalue().encode()
