"""Studies: catalogue reproductions whose result is a statistic against a sample size, not a regret curve.

A regret reproduction simulates agents with :func:`rltheory.simulation.simulate`
(:mod:`._runner`). A *study* instead calls learners or estimators of the
subpackages over independent seeds, at every value of a grid (a dataset size, a
number of episodes), and summarizes the runs at each grid value by their mean or
root mean square: suboptimality of offline RL policies against the dataset size,
RMSE of off-policy estimators against the number of episodes.

* :class:`Study` -- what to compute: the grid for a budget, a module-level
  ``task`` (so it pickles by reference and runs on any executor), the series and
  panels, the summary statistic (a mean, a root mean square, or the frequency of
  an event with its Clopper-Pearson interval), and exact reference lines (on
  every panel, or on the panels that name them);
* :func:`run_study` -- cuts every grid value's runs into chunks and maps
  ``task`` over them on an executor (the runner's executors). Run ``i`` at grid
  value ``k`` draws only from ``SeedSequence(seed, spawn_key=(k, i))``, so the
  numbers do not depend on the executor or the chunking;
* :func:`plot_study` -- panels (log-log by default) with bootstrap or
  Clopper-Pearson bands, slopes fitted on the plotted axes in the legend and the
  reference lines; :func:`write_study` -- the figure, the
  values (``study.npz``, no pickle) and ``summary.csv``, written atomically.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io
import json
import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rltheory._validation import check_int, readonly
from rltheory.experiments import _atomic
from rltheory.experiments._executors import SerialExecutor

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["Study", "StudyResult", "run_study", "plot_study", "write_study", "STUDY_FILES", "STUDY_TABLES"]

STATISTICS = ("mean", "rmse", "frequency")
#: The files :func:`write_study` writes (besides the figure ``NAME.png``).
STUDY_FILES = ("study.json", "study.npz", "summary.csv")
#: The long tables ``rltheory reproduce --format csv|parquet`` writes next to them.
STUDY_TABLES = ("runs.csv", "runs.parquet")
_N_BOOTSTRAP = 1000


@dataclass(frozen=True)
class Study:
    """A statistic of learners or estimators against a sample size, over independent seeds.

    Attributes
    ----------
    x_label, y_label : str
        Axis labels.
    grid : callable
        ``grid(budget) -> tuple of int``: the sample sizes for a budget (the largest one, usually).
    panels : tuple of (str, tuple of str) or (str, tuple of str, tuple of str)
        ``(title, series names)`` per panel; every series of ``task`` appears in one panel. A third element names
        the reference lines drawn on that panel (a line that belongs to one instance); without it a panel shows
        every reference line.
    task : callable
        ``task(x, k, run_start, run_stop, seed) -> {series: array of run_stop - run_start values}``, a
        module-level function; run ``i`` must draw only from ``np.random.SeedSequence(seed, spawn_key=(k, i))``.
    statistic : {"mean", "rmse", "frequency"}
        Summary of the runs at a grid value: the mean of the values, the root mean square (for errors), or, for
        values that are 0 or 1 (an event, e.g. a wrong recommendation), their frequency with the exact
        Clopper-Pearson 95% interval (Clopper & Pearson 1934) in place of the bootstrap one.
    reference : callable, optional
        ``reference(x) -> {label: array}``: exact lines drawn in black on every panel (e.g. a Cramér-Rao bound).
    log_x, log_y : bool
        Logarithmic axes. The fitted slope is taken on the plotted axes: of log statistic on log x (log-log), of
        log statistic on x (an exponential rate), of the statistic on log x, or of the statistic on x.

    Examples
    --------
    >>> s = Study("n", "error", lambda b: (10, 100), (("all", ("a",)),), task=_demo_task)
    >>> s.grid(100), s.statistic
    ((10, 100), 'mean')
    """

    x_label: str
    y_label: str
    grid: Callable
    panels: tuple
    task: Callable
    statistic: str = "mean"
    reference: Callable | None = None
    log_x: bool = True
    log_y: bool = True

    def __post_init__(self):
        if self.statistic not in STATISTICS:
            raise ValueError(f"Study: statistic = {self.statistic!r} must be one of {STATISTICS}")
        for panel in self.panels:
            if len(panel) not in (2, 3):
                raise ValueError(f"Study: panel {panel!r} must be (title, series) or (title, series, references)")

    @property
    def series(self) -> tuple:
        """All series names, panel by panel.

        Examples
        --------
        >>> Study("n", "e", lambda b: (1,), (("p", ("a", "b")), ("q", ("c",))), task=_demo_task).series
        ('a', 'b', 'c')
        """
        return tuple(name for panel in self.panels for name in panel[1])

    def panel_references(self, panel) -> tuple | None:
        """The reference labels drawn on ``panel`` (one entry of ``panels``); ``None`` means all of them.

        Examples
        --------
        >>> s = Study("n", "e", lambda b: (1,), (("p", ("a",), ("line p",)), ("q", ("b",))), task=_demo_task)
        >>> s.panel_references(s.panels[0]), s.panel_references(s.panels[1])
        (('line p',), None)
        """
        return tuple(panel[2]) if len(panel) == 3 else None


def _demo_task(x, k, run_start, run_stop, seed):
    """A toy task for the doctests: |mean of x standard normals| per run (decays like x^-1/2)."""
    out = []
    for i in range(run_start, run_stop):
        g = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k, i)))
        out.append(abs(g.normal(size=int(x)).mean()))
    return {"a": np.array(out)}


@dataclass(frozen=True, eq=False)
class StudyResult:
    """What :func:`run_study` returns.

    Attributes
    ----------
    name : str
    x : numpy.ndarray
        The grid.
    values : Mapping[str, numpy.ndarray]
        Per series, ``(len(x), n_runs)``: run ``i`` at grid value ``k``.
    summary, lower, upper : Mapping[str, numpy.ndarray]
        Per series and grid value: the statistic and its 95% percentile-bootstrap interval (runs resampled), or
        its Clopper-Pearson interval for ``statistic="frequency"``.
    slopes : Mapping[str, tuple]
        Per series ``(slope, low, high)``: least-squares slope of the statistic on the plotted axes (log statistic
        on log x for a log-log study, see :class:`Study`) and its bootstrap 95% interval (``nan`` when a
        statistic on a log axis is not positive).
    references : Mapping[str, numpy.ndarray]
        The study's reference lines at ``x``.
    statistic : str
    n_runs, seed : int

    Examples
    --------
    >>> s = Study("n", "error", lambda b: (10, 100, 1000), (("all", ("a",)),), task=_demo_task)
    >>> res = run_study("demo", s, budget=1000, n_runs=200, seed=0)
    >>> bool(res.slopes["a"][1] <= -0.5 <= res.slopes["a"][2]), res.values["a"].shape
    (True, (3, 200))
    """

    name: str
    x: np.ndarray
    values: Mapping
    summary: Mapping
    lower: Mapping
    upper: Mapping
    slopes: Mapping
    references: Mapping
    statistic: str
    n_runs: int
    seed: int
    extra: Mapping = field(default_factory=dict)

    def to_columns(self) -> dict:
        """The per-run values in long (tidy) form: a dict of equal-length 1-D arrays.

        One row per series, grid value and run (in that order): ``series`` (str), ``x`` (float64, the grid
        value), ``run`` (int64) and ``value`` (float64, run ``run`` of the series at ``x``; the study's
        statistic is the mean, or the root mean square for ``"rmse"``, of ``value`` over the runs).

        Examples
        --------
        >>> s = Study("n", "error", lambda b: (10, 100), (("all", ("a",)),), task=_demo_task)
        >>> cols = run_study("demo", s, budget=100, n_runs=3).to_columns()
        >>> list(cols), cols["x"].tolist()
        (['series', 'x', 'run', 'value'], [10.0, 10.0, 10.0, 100.0, 100.0, 100.0])
        """
        x = np.asarray(self.x, dtype=np.float64)
        series, xs, runs, values = [], [], [], []
        for name, v in self.values.items():
            v = np.asarray(v, dtype=np.float64)
            n_x, n = v.shape
            series.append(np.full(n_x * n, name, dtype=object))
            xs.append(np.repeat(x, n))
            runs.append(np.tile(np.arange(n, dtype=np.int64), n_x))
            values.append(v.reshape(-1))
        return {
            "series": np.concatenate(series),
            "x": np.concatenate(xs),
            "run": np.concatenate(runs),
            "value": np.concatenate(values),
        }

    def to_dataframe(self) -> pd.DataFrame:
        """The per-run values as a long (tidy) ``pandas.DataFrame``: the columns of :meth:`to_columns`.

        Needs the optional pandas (``pip install rltheory[dataframe]``; an ``ImportError`` says so).

        Examples
        --------
        >>> s = Study("n", "error", lambda b: (10, 100), (("all", ("a",)),), task=_demo_task)
        >>> res = run_study("demo", s, budget=100, n_runs=3)
        >>> df = res.to_dataframe()
        >>> df.shape, bool(np.allclose(df.groupby("x")["value"].mean().to_numpy(), res.summary["a"]))
        ((6, 4), True)
        """
        from rltheory._dataframe import dataframe

        return dataframe(self.to_columns(), "StudyResult.to_dataframe")


def _summarize(v: np.ndarray, statistic: str) -> np.ndarray:
    return np.sqrt(np.mean(v**2, axis=-1)) if statistic == "rmse" else np.mean(v, axis=-1)


def _clopper_pearson(values: np.ndarray):
    """Exact 95% intervals of the frequency of 1s per row (Clopper & Pearson 1934; SciPy's ``method="exact"``)."""
    from scipy.stats import binomtest

    n = values.shape[1]
    ends = [binomtest(int(round(k)), n).proportion_ci(confidence_level=0.95, method="exact") for k in values.sum(1)]
    return np.array([e.low for e in ends]), np.array([e.high for e in ends])


def _bootstrap(values: np.ndarray, x: np.ndarray, statistic: str, seed: int, log_x=True, log_y=True):
    """Per-point 95% intervals and the slope interval, runs resampled independently at every point."""
    n_x, n = values.shape
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**20,)))
    idx = rng.integers(0, n, size=(_N_BOOTSTRAP, n_x, n))
    boot = _summarize(np.take_along_axis(np.broadcast_to(values, (_N_BOOTSTRAP, n_x, n)), idx, axis=2), statistic)
    lo, hi = _clopper_pearson(values) if statistic == "frequency" else np.quantile(boot, [0.025, 0.975], axis=0)
    stat = _summarize(values, statistic)
    slope = (np.nan, np.nan, np.nan)
    if n_x >= 2 and (not log_y or np.all(stat > 0)):
        lx = np.log(x) if log_x else x
        s0 = np.polyfit(lx, np.log(stat) if log_y else stat, 1)[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            lb = np.log(boot) if log_y else boot
        ok = np.all(np.isfinite(lb), axis=1)
        if ok.sum() >= _N_BOOTSTRAP // 2:
            dx = lx - lx.mean()
            s = ((lb[ok] - lb[ok].mean(axis=1, keepdims=True)) @ dx) / (dx @ dx)
            slope = (float(s0), float(np.quantile(s, 0.025)), float(np.quantile(s, 0.975)))
        else:
            slope = (float(s0), np.nan, np.nan)
    return lo, hi, slope


def run_study(
    name: str,
    study: Study,
    *,
    budget: int,
    n_runs: int,
    seed: int = 0,
    executor: cf.Executor | None = None,
    chunk_size: int | None = None,
) -> StudyResult:
    """Run ``study.task`` for ``n_runs`` runs at every grid value of ``study.grid(budget)``, on an executor.

    The runs of a grid value are cut into chunks of ``chunk_size`` (default: all of them) and each chunk is one
    ``executor.submit(study.task, x, k, start, stop, seed)``; run ``i`` at grid value ``k`` depends only on
    ``(seed, k, i)``, so the values are identical for every executor and chunk size.

    Parameters
    ----------
    name : str
    study : Study
    budget, n_runs : int
    seed : int
    executor : concurrent.futures.Executor, optional
        Default: in-process.
    chunk_size : int, optional

    Returns
    -------
    StudyResult

    Raises
    ------
    ValueError
        On bad sizes, or a task that does not return one value per run for every series.

    Examples
    --------
    >>> s = Study("n", "error", lambda b: (10, 100), (("all", ("a",)),), task=_demo_task)
    >>> one = run_study("demo", s, budget=100, n_runs=6, seed=3)
    >>> two = run_study("demo", s, budget=100, n_runs=6, seed=3, chunk_size=4)
    >>> bool(np.array_equal(one.values["a"], two.values["a"]))  # chunking never changes a number
    True
    """
    budget = check_int("budget", budget, low=1)
    n_runs = check_int("n_runs", n_runs, low=1)
    seed = check_int("seed", seed, low=0)
    chunk = n_runs if chunk_size is None else check_int("chunk_size", chunk_size, low=1)
    if executor is not None and not isinstance(executor, cf.Executor):
        raise ValueError(f"executor: expected a concurrent.futures.Executor, got {type(executor).__name__}")
    x = np.array(study.grid(budget), dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"study {name!r}: the grid for budget {budget} is empty")
    own = executor is None
    ex = SerialExecutor() if own else executor
    values = {s: np.empty((x.size, n_runs)) for s in study.series}
    try:
        futures = {}
        for k, xv in enumerate(x):
            for a in range(0, n_runs, chunk):
                b = min(a + chunk, n_runs)
                futures[ex.submit(study.task, int(xv), k, a, b, seed)] = (k, a, b)
        for fut, (k, a, b) in futures.items():
            out = fut.result()
            for s in study.series:
                arr = np.asarray(out.get(s), dtype=float) if s in out else None
                if arr is None or arr.shape != (b - a,):
                    raise ValueError(f"study {name!r}: task returned no {b - a} values of series {s!r} at x = {x[k]:g}")
                values[s][k, a:b] = arr
    finally:
        if own:
            ex.shutdown()
    summary, lower, upper, slopes = {}, {}, {}, {}
    for s, v in values.items():
        if study.statistic == "frequency" and not np.all((v == 0) | (v == 1)):
            raise ValueError(f"study {name!r}: a frequency needs values 0 or 1 (an event per run), series {s!r}")
        summary[s] = readonly(_summarize(v, study.statistic))
        lo, hi, slopes[s] = _bootstrap(v, x, study.statistic, seed, study.log_x, study.log_y)
        lower[s], upper[s] = readonly(lo), readonly(hi)
        values[s] = readonly(v)
    refs = (
        {}
        if study.reference is None
        else {k: readonly(np.asarray(v, dtype=float)) for k, v in study.reference(x).items()}
    )
    mp = types.MappingProxyType
    return StudyResult(
        name=name,
        x=readonly(x),
        values=mp(values),
        summary=mp(summary),
        lower=mp(lower),
        upper=mp(upper),
        slopes=mp(slopes),
        references=mp(refs),
        statistic=study.statistic,
        n_runs=n_runs,
        seed=seed,
    )


def slope_axes(study: Study) -> str:
    """What the fitted slopes of ``study`` measure, for labels: ``"log-log"``, ``"log-linear"``, ...

    Examples
    --------
    >>> slope_axes(Study("n", "e", lambda b: (1,), (), task=_demo_task, log_x=False))
    'log-linear'
    """
    return f"{'log' if study.log_y else 'linear'}-{'log' if study.log_x else 'linear'}"


def plot_study(
    result: StudyResult, study: Study, *, title: str | None = None, path: str | os.PathLike | None = None
) -> Figure:
    """One panel per ``study.panels`` entry: the statistic with its bootstrap band, slopes in the legend.

    Built on :class:`matplotlib.figure.Figure` with the Agg canvas (no ``pyplot``). Reference lines are black.

    Examples
    --------
    >>> s = Study("n", "error", lambda b: (10, 100), (("all", ("a",)),), task=_demo_task)
    >>> fig = plot_study(run_study("demo", s, budget=100, n_runs=4), s)
    >>> [line.get_label() for line in fig.axes[0].get_lines()][0].startswith("a (slope")
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from rltheory.experiments._plots import LINE_STYLES

    n = len(study.panels)
    fig = Figure(figsize=(5.6 * n, 4.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n, squeeze=False)[0]
    x = np.asarray(result.x)
    for ax, entry in zip(axes, study.panels):
        panel, names, shown = entry[0], entry[1], study.panel_references(entry)
        for j, s in enumerate(names):
            colour, dashes = LINE_STYLES[j % len(LINE_STYLES)]
            sl, lo, hi = result.slopes[s]
            label = f"{s} (slope {sl:.3g} [{lo:.3g}, {hi:.3g}])" if np.isfinite(sl) else s
            y = np.asarray(result.summary[s])
            keep = y > 0 if study.log_y else np.ones_like(y, dtype=bool)
            if not keep.all():  # a log axis cannot show an exact 0 (e.g. an exactly optimal policy): say so
                label += f"; = 0 at {int((~keep).sum())} of {keep.size} points (not drawn)"
            ax.plot(x[keep], y[keep], color=colour, linestyle=dashes, marker="o", markersize=3, label=label)
            band_lo, band_hi = np.asarray(result.lower[s]), np.asarray(result.upper[s])
            ok = keep & (band_lo > 0) if study.log_y else keep
            ax.fill_between(x[ok], band_lo[ok], band_hi[ok], color=colour, alpha=0.15, linewidth=0)
        refs = [(label, y) for label, y in result.references.items() if shown is None or label in shown]
        for k, (label, y) in enumerate(refs):
            ax.plot(x, np.asarray(y), color="black", linestyle=("--", ":", "-.")[k % 3], linewidth=1.3, label=label)
        ax.set_xscale("log" if study.log_x else "linear")
        ax.set_yscale("log" if study.log_y else "linear")
        ax.set_xlabel(study.x_label)
        ax.set_ylabel(study.y_label)
        ax.set_title(panel, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(f"{title}  ({result.n_runs} runs per point, {result.statistic})")
    if path is not None:
        fig.savefig(Path(path), dpi=120, format="png")
    return fig


def write_study(result: StudyResult, study: Study, out_dir: str | os.PathLike, *, title: str | None = None) -> Path:
    """Write ``NAME.png``, ``study.npz``, ``summary.csv`` and the marker ``study.json`` into ``out_dir``.

    Every file is written atomically (:mod:`._atomic`) with the process umask. A folder that holds files other
    than these is refused: rltheory never overwrites a file it did not write. Returns the figure's path.

    Examples
    --------
    >>> import tempfile
    >>> s = Study("n", "error", lambda b: (10, 100), (("all", ("a",)),), task=_demo_task)
    >>> res = run_study("demo", s, budget=100, n_runs=3)
    >>> d = Path(tempfile.mkdtemp())
    >>> write_study(res, s, d).name, sorted(p.name for p in d.iterdir())
    ('demo.png', ['demo.png', 'study.json', 'study.npz', 'summary.csv'])
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir: {str(out)!r} is a file, expected a folder")
    out.mkdir(parents=True, exist_ok=True)
    ours = set(STUDY_FILES) | set(STUDY_TABLES) | {f"{result.name}.png"}
    foreign = sorted(p.name for p in out.iterdir() if p.name not in ours and not p.name.startswith(_atomic.TMP_PREFIX))
    if foreign:
        raise ValueError(
            f"out_dir: {str(out)!r} holds files rltheory did not write for this study ({', '.join(foreign[:5])}); "
            "choose an empty or new folder"
        )
    arrays = {"x": np.asarray(result.x)}
    for i, s in enumerate(result.values):
        arrays[f"values_{i}"] = np.asarray(result.values[s])
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    _atomic.write_bytes(out / "study.npz", buf.getvalue())
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(["series", "x", result.statistic, "lower", "upper", "slope", "slope_lower", "slope_upper"])
    for s in result.values:
        sl = result.slopes[s]
        for k, xv in enumerate(result.x):
            w.writerow(
                [
                    s,
                    f"{xv:g}",
                    f"{result.summary[s][k]:.6g}",
                    f"{result.lower[s][k]:.6g}",
                    f"{result.upper[s][k]:.6g}",
                    f"{sl[0]:.4g}",
                    f"{sl[1]:.4g}",
                    f"{sl[2]:.4g}",
                ]
            )
    _atomic.write_bytes(out / "summary.csv", text.getvalue().encode("utf-8"))
    png = out / f"{result.name}.png"
    _atomic.save_with(lambda p: plot_study(result, study, title=title, path=p), png)
    marker = {
        "format": "rltheory-study",
        "name": result.name,
        "n_runs": result.n_runs,
        "seed": result.seed,
        "statistic": result.statistic,
        "series": list(result.values),
        "x": [float(v) for v in result.x],
    }
    _atomic.write_bytes(out / "study.json", json.dumps(marker, indent=1).encode("utf-8"))
    return png
