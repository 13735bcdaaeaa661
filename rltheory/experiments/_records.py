"""The records of an experiment: what to run (:class:`ExperimentConfig`) and what came out
(:class:`ExperimentResult`, :class:`SummaryRow`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rltheory.experiments._dispatch import check_pairing

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ExperimentConfig", "ExperimentResult", "SummaryRow"]


@dataclass(frozen=True)
class ExperimentConfig:
    """One line of an experiment: a named ``(problem, agent)`` pair.

    Parameters
    ----------
    name : str
        Label, unique within an experiment (legend, file names, summary).
    problem : problem instance
        Any problem :func:`rltheory.simulation.simulate` runs (a bandit, a
        :class:`rltheory.linear.LinearBandit`, a :class:`rltheory.linear.LinearMDP`, ...;
        :func:`rltheory.simulation.problem_kinds` lists them).
    agent : Agent
        An agent of the problem's kind (checked here, before any work).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, KLUCB
    >>> cfg = ExperimentConfig("KL-UCB", BernoulliBandit([0.9, 0.8]), KLUCB())
    >>> cfg.name, cfg.agent.name
    ('KL-UCB', 'KLUCB')
    >>> ExperimentConfig("x", problem=None, agent=None)
    Traceback (most recent call last):
    ...
    ValueError: ExperimentConfig 'x': problem must be a problem instance with to_spec(), got None
    """

    name: str
    problem: Any
    agent: Any

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"ExperimentConfig: name must be a non-empty string, got {self.name!r}")
        for what in ("problem", "agent"):
            obj = getattr(self, what)
            if not callable(getattr(obj, "to_spec", None)):
                raise ValueError(
                    f"ExperimentConfig {self.name!r}: {what} must be a {what} instance with to_spec(), got {obj!r}"
                )
        check_pairing(self.name, self.problem, self.agent)


@dataclass(frozen=True)
class SummaryRow:
    """Summary of one configuration at the end of its runs.

    Attributes
    ----------
    name, agent : str
        Configuration label and agent name.
    n_runs, budget : int
        Runs, and their length in the problem's unit (rounds or episodes).
    final_mean, final_lower, final_upper : float
        Mean regret at the last checkpoint and its confidence interval (the
        ``RegretCurve`` interval: ``mean``, ``lower``, ``upper``).
    slope, slope_lower, slope_upper : float
        Least-squares slope of ``log(mean regret)`` against ``log t`` over the
        last decade of checkpoints ``[T/10, T]`` with its confidence interval
        (``RegretCurve.slope``): about 0 for logarithmic regret, 1/2 for
        ``sqrt(T)`` regret, 1 for linear regret.
    lai_robbins_ratio : float
        Mean regret at ``T`` divided by the Lai-Robbins curve
        ``sum_i Delta_i log(T) / KL(mu_i, mu*)`` at ``T`` (Lai & Robbins 1985,
        Theorem 2); ``nan`` for non-stochastic instances, linear bandits and
        linear MDPs.

    Examples
    --------
    >>> row = SummaryRow("UCB1", "UCB1", 10, 100, 5.0, 4.0, 6.0, 0.3, 0.2, 0.4, 1.5)
    >>> row.final_upper - row.final_lower
    2.0
    """

    name: str
    agent: str
    n_runs: int
    budget: int
    final_mean: float
    final_lower: float
    final_upper: float
    slope: float
    slope_lower: float
    slope_upper: float
    lai_robbins_ratio: float


@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`~rltheory.experiments.run_experiment` returns.

    Attributes
    ----------
    configs : tuple of ExperimentConfig
    curves : Mapping[str, RegretCurve]
        Read-only mapping from configuration name to its full regret curve
        (all ``n_runs`` runs, chunks concatenated in run order).
    summary : tuple of SummaryRow
        One row per configuration, in ``configs`` order.
    budget, n_runs, seed, checkpoints, chunk_size : int
    out_dir : pathlib.Path or None
        Results folder, or ``None`` when nothing was written.
    chunks_computed, chunks_reused : int
        Chunks simulated by this call, and chunks taken from ``out_dir``.
    chunks_rejected : tuple of str
        One message per chunk file found in ``out_dir`` but not reused (hash
        mismatch, corrupted file, wrong run range); those chunks were recomputed.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> from rltheory.experiments import run_experiment
    >>> res = run_experiment([ExperimentConfig("UCB1", BernoulliBandit([0.6, 0.4]), UCB1())],
    ...                      budget=100, n_runs=3, checkpoints=5, progress=False)
    >>> res.curves["UCB1"].regret.shape[0], res.chunks_computed, res.out_dir is None
    (3, 1, True)
    >>> res.format_summary().splitlines()[1].split()[:3]
    ['UCB1', '3', '100']
    """

    configs: tuple
    curves: Mapping[str, Any]
    summary: tuple
    budget: int
    n_runs: int
    seed: int
    checkpoints: int
    chunk_size: int
    out_dir: Path | None
    chunks_computed: int
    chunks_reused: int
    chunks_rejected: tuple = field(default=())

    def to_columns(self, what: str = "summary") -> dict:
        """The summary or all runs in long (tidy) form: a dict of equal-length 1-D arrays.

        ``what="summary"``: one row per configuration, in ``configs`` order, the fields of
        :class:`SummaryRow` as columns (``name``, ``agent``, ``n_runs``, ``budget``, ``final_mean``, ...),
        the same table as ``summary.csv``.

        ``what="runs"``: one row per configuration, run and checkpoint: ``config`` (str, the configuration
        name) followed by the columns of :meth:`rltheory.simulation.RegretCurve.to_columns` (``run``,
        ``time``, ``regret``, ``realized_regret``, ``regret_<variant>``; a variant column that another
        configuration lacks is NaN there).

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.experiments import run_experiment
        >>> res = run_experiment([ExperimentConfig("UCB1", BernoulliBandit([0.6, 0.4]), UCB1())],
        ...                      budget=100, n_runs=3, checkpoints=5, progress=False)
        >>> list(res.to_columns())[:4], res.to_columns()["final_mean"].tolist() == [res.summary[0].final_mean]
        (['name', 'agent', 'n_runs', 'budget'], True)
        >>> list(res.to_columns("runs")), len(res.to_columns("runs")["run"])
        (['config', 'run', 'time', 'regret', 'realized_regret'], 15)
        """
        import dataclasses

        import numpy as np

        from rltheory._validation import check_choice

        check_choice("what", what, ("summary", "runs"))
        if what == "summary":
            names = [f.name for f in dataclasses.fields(SummaryRow)]
            return {n: np.array([getattr(r, n) for r in self.summary]) for n in names}
        parts = [(cfg.name, self.curves[cfg.name].to_columns()) for cfg in self.configs]
        keys = ["config"]
        for _, cols in parts:
            keys += [k for k in cols if k not in keys]
        out = {}
        for key in keys:
            chunks = []
            for name, cols in parts:
                n = len(cols["run"])
                if key == "config":
                    chunks.append(np.full(n, name, dtype=object))
                else:
                    chunks.append(cols[key] if key in cols else np.full(n, np.nan))
            out[key] = np.concatenate(chunks)
        return out

    def to_dataframe(self, what: str = "summary") -> pd.DataFrame:
        """The summary (``what="summary"``) or all runs (``"runs"``) as a tidy ``pandas.DataFrame``.

        The columns are those of :meth:`to_columns`. Needs the optional pandas
        (``pip install rltheory[dataframe]``; an ``ImportError`` says so).

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.experiments import run_experiment
        >>> res = run_experiment([ExperimentConfig("UCB1", BernoulliBandit([0.6, 0.4]), UCB1())],
        ...                      budget=100, n_runs=3, checkpoints=5, progress=False)
        >>> res.to_dataframe().loc[0, "name"], res.to_dataframe("runs").shape
        ('UCB1', (15, 5))
        """
        from rltheory._dataframe import dataframe

        return dataframe(self.to_columns(what), "ExperimentResult.to_dataframe")

    def format_summary(self) -> str:
        """The summary as a plain-text table (see :func:`~rltheory.experiments.format_summary`).

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, UCB1
        >>> from rltheory.experiments import run_experiment
        >>> res = run_experiment([ExperimentConfig("UCB1", BernoulliBandit([0.6, 0.4]), UCB1())],
        ...                      budget=50, n_runs=2, checkpoints=4, progress=False)
        >>> res.format_summary().split()[:4]
        ['config', 'runs', 'budget', 'regret(T)']
        """
        from rltheory.experiments._summary import format_summary

        return format_summary(self.summary)
