"""RegretCurve: the frozen result of :func:`rltheory.simulation.simulate` for regret-measuring problem kinds."""

from __future__ import annotations

import csv
import json
import math
import numbers
import zipfile
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from .._validation import readonly

__all__ = ["RegretCurve", "SlopeFit"]

_FORMAT = "rltheory.simulation.RegretCurve/1"
#: Number of bootstrap resamples for confidence bands and slope intervals.
N_BOOTSTRAP = 2000
# spawn_key tag of the bootstrap stream, disjoint from the run streams (0, 1, ...)
_BOOTSTRAP_TAG = 2**62 + 1
_SLOPE_TAG = 2**62 + 2


def _bootstrap_weights(n_runs: int, seed: int, tag: int, size: int) -> np.ndarray:
    """``(size, n_runs)`` multinomial resampling weights (each row sums to 1)."""
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(tag,)))
    return rng.multinomial(n_runs, np.full(n_runs, 1.0 / n_runs), size=size).astype(np.float64) / n_runs


def summarize(regret: np.ndarray, confidence: float, interval: str, seed: int):
    """Mean and two-sided ``confidence`` interval of the mean over runs (axis 0).

    ``interval="normal"``: ``mean +- z * s / sqrt(n)`` with ``z`` the
    ``(1 + confidence) / 2`` normal quantile and ``s`` the sample standard
    deviation (CLT interval).  ``interval="bootstrap"``: percentile interval of
    ``N_BOOTSTRAP`` resampled means (Efron & Tibshirani 1993, Sec. 13.3) drawn
    from a stream fixed by ``seed``.  With a single run both bounds are NaN.
    """
    n = regret.shape[0]
    mean = regret.mean(axis=0)
    if n < 2:
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan.copy()
    if interval == "normal":
        z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
        half = z * regret.std(axis=0, ddof=1) / math.sqrt(n)
        return mean, mean - half, mean + half
    means = _bootstrap_weights(n, seed, _BOOTSTRAP_TAG, N_BOOTSTRAP) @ regret
    lo, hi = np.quantile(means, [0.5 - confidence / 2.0, 0.5 + confidence / 2.0], axis=0)
    return mean, lo, hi


@dataclass(frozen=True)
class SlopeFit:
    """Log-log least-squares fit ``log mean(t) ~ intercept + slope * log t``.

    ``lower``/``upper`` is the percentile bootstrap interval of the slope over
    runs at level ``confidence``.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, EpsilonGreedy
    >>> from rltheory.simulation import simulate
    >>> curve = simulate(BernoulliBandit([0.6, 0.4]), EpsilonGreedy(epsilon=0.5), n_rounds=5000, n_runs=8,
    ...                  checkpoints=20)
    >>> fit = curve.slope(t_min=500)   # constant exploration: linear regret, slope 1
    >>> round(fit.slope, 1), fit.lower < fit.upper
    (1.0, True)
    """

    slope: float
    intercept: float
    lower: float
    upper: float
    confidence: float
    t_min: int
    t_max: int
    n_points: int


@dataclass(frozen=True)
class RegretCurve:
    r"""Regret of ``n_runs`` independent runs at checkpoint times.

    Returned by :func:`rltheory.simulation.simulate` for every problem kind that
    measures regret (bandits, linear bandits, episodic MDPs); checkpoints are
    rounds or episodes (``unit``).

    Attributes
    ----------
    times : (C,) int64
        Increasing checkpoint times in ``[1, budget]``; ``times[-1] == budget``.
    regret : (n_runs, C) float64
        Pseudo-regret up to each checkpoint, as the problem kind defines it:
        :math:`\sum_{s \le t}\Delta_{A_s}` for a stochastic bandit (for a
        :class:`~rltheory.bandits.SequenceBandit`, :math:`\sum_{s\le t} x_{s,i^*} - x_{s,A_s}`
        with :math:`i^*` the best fixed arm over the run), the per-round gap to
        the best arm of the round's arm set for a linear bandit, and
        :math:`\sum_{k}\rho^\top(V_1^* - V_1^{\pi_k})` over episodes for an
        episodic MDP.
    realized_regret : (n_runs, C) float64
        The same with the observed rewards in place of their means (for a
        ``SequenceBandit``, :math:`\max_i \sum_{s\le t} x_{s,i} - \sum_{s \le t} x_{s,A_s}`).
    pulls : (n_runs, C, K) int64
        How often each arm (action) was chosen up to each checkpoint.
    first_visit : (n_runs, S) int64
        For problem kinds with states (episodic MDPs): the first episode
        (1-based) in which each state was visited (as a start state or a next
        state), 0 if never; ``S = 0`` (an empty array) for bandits. The
        "episodes to first success" of a problem with a goal state ``g`` is
        ``first_visit[:, g]``.
    run_start : int
        Global index of the first run (runs are ``run_start + j``).
    mean, lower, upper : (C,) float64
        Mean pseudo-regret and its ``confidence`` interval (``interval`` kind).
    final : (n_runs,) float64
        Pseudo-regret at the end of each run.
    metadata : dict
        JSON-serialisable: problem kind, problem and agent specs, seed, budget
        and its unit, how the random streams are used, versions.
    confidence : float
    interval : str
        ``"normal"`` or ``"bootstrap"``.
    regret_variants : dict of str to (n_runs, C) float64
        Other regret notions the problem kind measures exactly on the same runs
        (empty for bandits, linear bandits and episodic MDPs; the ``"dueling"``
        kind adds ``"weak"``, the weak regret, while ``regret`` is the strong
        one). :meth:`variant` turns one into a curve of its own (mean, band,
        slope, plot).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> from rltheory.simulation import RegretCurve, simulate
    >>> curve = simulate(BernoulliBandit([0.9, 0.8]), UCB1(), n_rounds=500, n_runs=4, seed=0, checkpoints=5)
    >>> parts = [simulate(BernoulliBandit([0.9, 0.8]), UCB1(), n_rounds=500, n_runs=2, seed=0, checkpoints=5,
    ...                   run_start=s) for s in (0, 2)]
    >>> bool(np.array_equal(RegretCurve.concatenate(parts).regret, curve.regret))
    True
    """

    times: np.ndarray
    regret: np.ndarray
    realized_regret: np.ndarray
    pulls: np.ndarray
    run_start: int
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    final: np.ndarray
    metadata: dict
    confidence: float = 0.95
    interval: str = "normal"
    regret_variants: dict = field(default_factory=dict)
    first_visit: np.ndarray | None = None

    def __post_init__(self):
        n, c = np.shape(self.regret)
        fv = np.zeros((n, 0), dtype=np.int64) if self.first_visit is None else np.asarray(self.first_visit)
        if fv.ndim != 2 or fv.shape[0] != n:
            raise ValueError(f"first_visit has shape {fv.shape}, expected ({n}, S)")
        object.__setattr__(self, "first_visit", fv.astype(np.int64, copy=False))
        for name, shape in (
            ("times", (c,)),
            ("realized_regret", (n, c)),
            ("mean", (c,)),
            ("lower", (c,)),
            ("upper", (c,)),
            ("final", (n,)),
        ):
            if np.shape(getattr(self, name)) != shape:
                raise ValueError(f"{name} has shape {np.shape(getattr(self, name))}, expected {shape}")
        if np.ndim(self.pulls) != 3 or np.shape(self.pulls)[:2] != (n, c):
            raise ValueError(f"pulls has shape {np.shape(self.pulls)}, expected ({n}, {c}, K)")
        for name in ("times", "regret", "realized_regret", "pulls", "mean", "lower", "upper", "final", "first_visit"):
            object.__setattr__(self, name, readonly(getattr(self, name)))
        if not isinstance(self.regret_variants, dict):
            raise ValueError(f"regret_variants must be a dict of arrays, got {type(self.regret_variants).__name__}")
        variants = {}
        for key, value in self.regret_variants.items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"regret_variants keys must be non-empty strings, got {key!r}")
            arr = np.asarray(value, dtype=np.float64)
            if arr.shape != (n, c):
                raise ValueError(f"regret_variants[{key!r}] has shape {arr.shape}, expected {(n, c)}")
            variants[key] = readonly(arr)
        object.__setattr__(self, "regret_variants", variants)

    # ------------------------------------------------------------------ build
    @classmethod
    def from_runs(
        cls,
        times,
        regret,
        realized_regret,
        pulls,
        run_start,
        metadata,
        confidence=0.95,
        interval="normal",
        *,
        regret_variants=None,
        first_visit=None,
    ):
        """Build a curve from per-run arrays, computing the summary statistics.

        Examples
        --------
        >>> import numpy as np
        >>> c = RegretCurve.from_runs([1, 2], np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2)),
        ...                           np.zeros((2, 2, 2), dtype=np.int64), 0, {"seed": 0})
        >>> c.mean.tolist(), c.final.tolist()
        ([2.0, 3.0], [2.0, 4.0])
        """
        regret = np.asarray(regret, dtype=np.float64)
        mean, lower, upper = summarize(regret, confidence, interval, int(metadata.get("seed", 0)))
        return cls(
            times=np.asarray(times, dtype=np.int64),
            regret=regret,
            realized_regret=np.asarray(realized_regret, dtype=np.float64),
            pulls=np.asarray(pulls, dtype=np.int64),
            run_start=int(run_start),
            mean=mean,
            lower=lower,
            upper=upper,
            final=regret[:, -1].copy(),
            metadata=metadata,
            confidence=float(confidence),
            interval=interval,
            regret_variants=dict(regret_variants or {}),
            first_visit=first_visit,
        )

    def variant(self, name: str) -> RegretCurve:
        """The curve of the regret variant ``name`` (its mean, band, slope and plot), on the same runs.

        Examples
        --------
        >>> import numpy as np
        >>> strong = np.array([[1.0, 2.0], [1.0, 3.0]])
        >>> curve = RegretCurve.from_runs([5, 10], strong, strong, np.zeros((2, 2, 3)), 0, {"seed": 0},
        ...                               regret_variants={"weak": strong / 2})
        >>> curve.variant("weak").mean.tolist(), curve.mean.tolist()
        ([0.5, 1.25], [1.0, 2.5])
        """
        if name not in self.regret_variants:
            raise ValueError(f"no regret variant {name!r}; this curve has {sorted(self.regret_variants)}")
        metadata = dict(self.metadata, regret_variant=name)
        return RegretCurve.from_runs(
            self.times,
            self.regret_variants[name],
            self.realized_regret,
            self.pulls,
            self.run_start,
            metadata,
            self.confidence,
            self.interval,
            first_visit=self.first_visit,
        )

    @property
    def n_runs(self) -> int:
        """Number of runs (rows of ``regret``).

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import simulate
        >>> curve = simulate(BernoulliBandit([0.6, 0.4]), UCB1(), n_rounds=400, n_runs=5, seed=0, checkpoints=10)
        >>> curve.n_runs, curve.budget, curve.unit
        (5, 400, 'rounds')
        """
        return int(self.regret.shape[0])

    @property
    def budget(self) -> int:
        """The run length in the curve's ``unit`` (the last checkpoint).

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import simulate
        >>> curve = simulate(BernoulliBandit([0.6, 0.4]), UCB1(), n_rounds=400, n_runs=5, seed=0, checkpoints=10)
        >>> curve.budget, int(curve.times[-1])
        (400, 400)
        """
        return int(self.times[-1])

    @property
    def unit(self) -> str:
        """``"rounds"`` (bandits) or ``"episodes"`` (episodic MDPs), from the metadata.

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import simulate
        >>> curve = simulate(BernoulliBandit([0.6, 0.4]), UCB1(), n_rounds=400, n_runs=5, seed=0, checkpoints=10)
        >>> curve.unit
        'rounds'
        """
        return str(self.metadata.get("unit", "rounds"))

    @classmethod
    def concatenate(cls, curves) -> RegretCurve:
        """Merge chunks of one experiment (same times, metadata, confidence, interval).

        Chunks are ordered by ``run_start`` and must cover contiguous run
        ranges; the summary is recomputed over all runs, so chunked and
        unchunked simulations give identical curves.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import RegretCurve, simulate
        >>> bandit = BernoulliBandit([0.6, 0.4])
        >>> whole = simulate(bandit, UCB1(), n_rounds=100, n_runs=4, seed=3, checkpoints=5)
        >>> parts = [simulate(bandit, UCB1(), n_rounds=100, n_runs=2, seed=3, checkpoints=5, run_start=k)
        ...          for k in (2, 0)]
        >>> bool(np.array_equal(RegretCurve.concatenate(parts).regret, whole.regret))
        True
        """
        curves = list(curves)
        if not curves:
            raise ValueError("concatenate needs at least one curve")
        for k, c in enumerate(curves):
            if not isinstance(c, RegretCurve):
                raise ValueError(f"curves[{k}] is a {type(c).__name__}, not a RegretCurve")
        first = curves[0]
        for k, c in enumerate(curves[1:], start=1):
            if not np.array_equal(c.times, first.times):
                raise ValueError(f"curves[{k}] has different checkpoint times")
            if c.metadata != first.metadata:
                raise ValueError(f"curves[{k}] has different metadata (another experiment)")
            if c.confidence != first.confidence or c.interval != first.interval:
                raise ValueError(f"curves[{k}] has a different confidence level or interval kind")
            if c.pulls.shape[2] != first.pulls.shape[2]:
                raise ValueError(f"curves[{k}] has a different number of arms")
            if sorted(c.regret_variants) != sorted(first.regret_variants):
                raise ValueError(f"curves[{k}] has different regret variants")
            if c.first_visit.shape[1] != first.first_visit.shape[1]:
                raise ValueError(f"curves[{k}] has a different number of states")
        curves.sort(key=lambda c: c.run_start)
        for a, b in zip(curves, curves[1:]):
            if b.run_start != a.run_start + a.n_runs:
                raise ValueError(
                    f"runs are not contiguous: [{a.run_start}, {a.run_start + a.n_runs}) is followed by run "
                    f"{b.run_start}"
                )
        return cls.from_runs(
            first.times,
            np.concatenate([c.regret for c in curves]),
            np.concatenate([c.realized_regret for c in curves]),
            np.concatenate([c.pulls for c in curves]),
            curves[0].run_start,
            first.metadata,
            first.confidence,
            first.interval,
            regret_variants={k: np.concatenate([c.regret_variants[k] for c in curves]) for k in first.regret_variants},
            first_visit=np.concatenate([c.first_visit for c in curves]),
        )

    # --------------------------------------------------------------- analysis
    def slope(self, t_min=None, t_max=None) -> SlopeFit:
        r"""Least-squares slope of :math:`\log \bar R(t)` against :math:`\log t` on ``[t_min, t_max]``.

        Only checkpoints with a positive mean regret enter.  The interval is a
        percentile bootstrap over runs (``N_BOOTSTRAP`` resamples from a
        stream fixed by the experiment's seed) at level ``self.confidence``.
        A slope near 1/2 indicates :math:`\sqrt T` regret, near 0 (on a long
        window) logarithmic regret, near 1 linear regret.

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import simulate
        >>> curve = simulate(BernoulliBandit([0.6, 0.4]), UCB1(), n_rounds=400, n_runs=5, seed=0, checkpoints=10)
        >>> fit = curve.slope(t_min=40)
        >>> fit.t_min >= 40, fit.t_max, 0.0 < fit.slope < 1.0   # UCB1: sublinear regret
        (True, 400, True)
        """
        lo = int(self.times[0]) if t_min is None else t_min
        hi = int(self.times[-1]) if t_max is None else t_max
        for name, v in (("t_min", lo), ("t_max", hi)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise ValueError(f"{name} must be a number, got {v!r}")
        if lo >= hi:
            raise ValueError(f"t_min = {lo} must be < t_max = {hi}")
        sel = (self.times >= lo) & (self.times <= hi) & (self.mean > 0)
        if sel.sum() < 2:
            raise ValueError(f"fewer than 2 checkpoints with positive mean regret in [{lo}, {hi}]")
        x = np.log(self.times[sel].astype(np.float64))
        slope, intercept = np.polyfit(x, np.log(self.mean[sel]), 1)
        n = self.n_runs
        if n < 2:
            lower = upper = math.nan
        else:
            means = (
                _bootstrap_weights(n, int(self.metadata.get("seed", 0)), _SLOPE_TAG, N_BOOTSTRAP) @ self.regret[:, sel]
            )
            ok = (means > 0).all(axis=1)
            xc = x - x.mean()
            slopes = (np.log(means[ok]) @ xc) / (xc @ xc)
            lower, upper = np.quantile(slopes, [0.5 - self.confidence / 2, 0.5 + self.confidence / 2])
        return SlopeFit(
            slope=float(slope),
            intercept=float(intercept),
            lower=float(lower),
            upper=float(upper),
            confidence=self.confidence,
            t_min=int(self.times[sel][0]),
            t_max=int(self.times[sel][-1]),
            n_points=int(sel.sum()),
        )

    def plot(self, ax=None, label=None, *, logx=True, logy=False, band=True, steps=False, **kwargs):
        """Plot the mean regret and its confidence band; returns the matplotlib Axes.

        With ``steps=True`` (episodic curves, whose metadata records the
        ``horizon`` H) the x-axis is the number of steps :math:`T = kH`.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import simulate
        >>> curve = simulate(BernoulliBandit([0.6, 0.4]), UCB1(), n_rounds=400, n_runs=5, seed=0, checkpoints=10)
        >>> ax = curve.plot(label="UCB1")
        >>> ax.get_xlabel(), ax.get_xscale()
        ('rounds', 'log')
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        if label is None:
            label = self.metadata.get("agent", {}).get("type")
        x = self.times
        if steps:
            if "horizon" not in self.metadata:
                raise ValueError("steps=True needs an episodic curve (its metadata records the horizon)")
            x = self.times * int(self.metadata["horizon"])
        (line,) = ax.plot(x, self.mean, label=label, **kwargs)
        if band and self.n_runs > 1:
            ax.fill_between(x, self.lower, self.upper, color=line.get_color(), alpha=0.2, linewidth=0)
        if logx:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("steps T = kH" if steps else self.unit)
        ax.set_ylabel("regret")
        return ax

    # --------------------------------------------------------------------- io
    def to_columns(self) -> dict:
        """The curve in long (tidy) form: a dict of equal-length 1-D arrays, one row per run and checkpoint.

        Columns, rows ordered by run then time:

        * ``run`` (int64): global run index ``run_start + j``;
        * ``time`` (int64): the checkpoint, in the curve's ``unit``;
        * ``regret`` (float64): pseudo-regret up to ``time`` (the ``regret`` attribute);
        * ``realized_regret`` (float64): the same with the observed rewards;
        * ``regret_<name>`` (float64): one column per entry of ``regret_variants`` (e.g. ``regret_weak``).

        :meth:`to_dataframe` wraps it in a ``pandas.DataFrame``; the CLI writes it as CSV without pandas.

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import simulate
        >>> curve = simulate(BernoulliBandit([0.6, 0.4]), UCB1(), n_rounds=100, n_runs=3, seed=0, checkpoints=4)
        >>> cols = curve.to_columns()
        >>> list(cols), len(cols["run"]) == 3 * len(curve.times)
        (['run', 'time', 'regret', 'realized_regret'], True)
        """
        n, c = self.regret.shape
        cols = {
            "run": np.repeat(np.arange(self.run_start, self.run_start + n, dtype=np.int64), c),
            "time": np.tile(np.asarray(self.times, dtype=np.int64), n),
            "regret": np.asarray(self.regret, dtype=np.float64).reshape(-1),
            "realized_regret": np.asarray(self.realized_regret, dtype=np.float64).reshape(-1),
        }
        for name, values in self.regret_variants.items():
            cols[f"regret_{name}"] = np.asarray(values, dtype=np.float64).reshape(-1)
        return cols

    def to_dataframe(self):
        """The curve as a long (tidy) ``pandas.DataFrame``: the columns of :meth:`to_columns`.

        Needs the optional pandas (``pip install rltheory[dataframe]``; an ``ImportError`` says so).
        The mean and its band are ``df.groupby("time")["regret"].mean()`` and the ``mean``, ``lower``,
        ``upper`` attributes.

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import simulate
        >>> curve = simulate(BernoulliBandit([0.6, 0.4]), UCB1(), n_rounds=100, n_runs=3, seed=0, checkpoints=4)
        >>> df = curve.to_dataframe()
        >>> df.shape == (3 * len(curve.times), 4)
        True
        >>> import numpy as np
        >>> bool(np.allclose(df.groupby("time")["regret"].mean().to_numpy(), curve.mean, rtol=1e-12))
        True
        """
        from .._dataframe import dataframe

        return dataframe(self.to_columns(), "RegretCurve.to_dataframe")

    def to_csv(self, path) -> None:
        """Write ``time, mean, lower, upper`` (one row per checkpoint).

        Examples
        --------
        >>> import os, tempfile
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import simulate
        >>> curve = simulate(BernoulliBandit([0.6, 0.4]), UCB1(), n_rounds=400, n_runs=5, seed=0, checkpoints=10)
        >>> path = os.path.join(tempfile.mkdtemp(), "curve.csv")
        >>> curve.to_csv(path)
        >>> open(path).readline().strip()
        'time,mean,lower,upper'
        """
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["time", "mean", "lower", "upper"])
            for row in zip(self.times.tolist(), self.mean.tolist(), self.lower.tolist(), self.upper.tolist()):
                w.writerow(row)

    def save(self, path) -> None:
        """Save as ``.npz`` (no pickles); metadata is stored as a JSON string.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.simulation import simulate
        >>> curve = simulate(BernoulliBandit([0.6, 0.4]), UCB1(), n_rounds=400, n_runs=5, seed=0, checkpoints=10)
        >>> path = os.path.join(tempfile.mkdtemp(), "curve.npz")
        >>> curve.save(path)
        >>> back = RegretCurve.load(path)
        >>> bool(np.array_equal(back.regret, curve.regret)), back.metadata == curve.metadata
        (True, True)
        """
        np.savez_compressed(
            path,
            format=np.array(_FORMAT),
            times=self.times,
            regret=self.regret,
            realized_regret=self.realized_regret,
            pulls=self.pulls,
            run_start=np.array(self.run_start, dtype=np.int64),
            mean=self.mean,
            lower=self.lower,
            upper=self.upper,
            confidence=np.array(self.confidence),
            interval=np.array(self.interval),
            metadata=np.array(json.dumps(self.metadata, sort_keys=True)),
            variant_names=np.array(json.dumps(sorted(self.regret_variants))),
            **{f"variant/{k}": v for k, v in self.regret_variants.items()},
            first_visit=self.first_visit,
        )

    @classmethod
    def load(cls, path) -> RegretCurve:
        """Load a curve written by :meth:`save`; a foreign or corrupted file raises ``ValueError``.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "other.npz")
        >>> import numpy as np
        >>> np.savez(path, x=np.zeros(2))
        >>> RegretCurve.load(path)
        Traceback (most recent call last):
        ...
        ValueError: ... is not a rltheory.simulation.RegretCurve/1 file
        """
        keys = (
            "times",
            "regret",
            "realized_regret",
            "pulls",
            "run_start",
            "mean",
            "lower",
            "upper",
            "confidence",
            "interval",
            "metadata",
        )
        try:
            with np.load(path, allow_pickle=False) as z:
                if "format" not in z.files or str(z["format"]) != _FORMAT:
                    raise ValueError(f"{path} is not a {_FORMAT} file")
                missing = [k for k in keys if k not in z.files]
                if missing:
                    raise ValueError(f"{path} lacks the arrays {missing}")
                d = {k: z[k] for k in keys}
                names = json.loads(str(z["variant_names"])) if "variant_names" in z.files else []
                variants = {str(k): z[f"variant/{k}"] for k in names}
                # files written before first_visit existed have none: no states recorded
                d["first_visit"] = z["first_visit"] if "first_visit" in z.files else None
            metadata = json.loads(str(d["metadata"]))
            regret = d["regret"].astype(np.float64, copy=False)
            return cls(
                times=d["times"].astype(np.int64, copy=False),
                regret=regret,
                realized_regret=d["realized_regret"].astype(np.float64, copy=False),
                pulls=d["pulls"].astype(np.int64, copy=False),
                run_start=int(d["run_start"]),
                mean=d["mean"],
                lower=d["lower"],
                upper=d["upper"],
                final=regret[:, -1].copy() if regret.ndim == 2 and regret.shape[1] else np.zeros(0),
                metadata=metadata,
                confidence=float(d["confidence"]),
                interval=str(d["interval"]),
                regret_variants=variants,
                first_visit=d["first_visit"],
            )
        except ValueError as exc:
            if str(exc).startswith(str(path)):
                raise
            raise ValueError(f"{path} is not a valid RegretCurve file: {exc}") from exc
        except (OSError, EOFError, KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            raise ValueError(f"{path} is not a valid RegretCurve file: {exc}") from exc
