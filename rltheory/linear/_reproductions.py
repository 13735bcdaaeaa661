r"""Named reproductions of linear-bandit and linear-MDP regret curves.

``rltheory.experiments.run_experiment`` dispatches every chunk to
:func:`rltheory.bandits.simulate`, which does not accept linear bandits or
linear MDPs; until it has a hook, these reproductions run here with the same
semantics: each configuration's runs are cut into chunks ``[a, b)`` simulated
with ``run_start=a`` and merged with :meth:`~rltheory.bandits.RegretCurve.concatenate`,
so the curves are bit-identical whatever the chunking and the executor (any
:class:`concurrent.futures.Executor`, e.g. from
:func:`rltheory.experiments.make_executor`; in-process by default).

* ``"linear-bandit"``: LinUCB (OFUL) on random unit-sphere instances with
  :math:`d \in \{5, 10, 20\}` and :math:`K \in \{50, 1000\}`; the regret
  grows like :math:`d\sqrt{T}` up to logs (Abbasi-Yadkori, Pal & Szepesvari
  2011, Theorem 3): log-log slope in :math:`T` tending to 1/2 (the
  theoretical radius makes the burn-in long: at :math:`T = 2\cdot 10^4` the
  last-decade slope is still 0.6-0.85 for :math:`d = 10, 20`), final regret
  growing about linearly in :math:`d`.
* ``"linear-mdp"``: LSVI-UCB (Jin et al. 2020, Theorem 3.1) and LMC-LSVI
  (Ishfaq et al. 2024, Theorem 4.2) on random low-rank linear MDPs.
"""

from __future__ import annotations

import numbers
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from ..bandits._curve import RegretCurve
from ._bandits import LinearBandit, LinUCB, simulate_linear
from ._linear_mdp import LinearMDP, lmc_lsvi, lsvi_ucb

__all__ = ["LINEAR_REPRODUCTIONS", "LinearReproductionResult", "run_linear_reproduction"]


@dataclass(frozen=True)
class _Config:
    label: str
    kind: str  # "bandit" or "mdp"
    params: tuple


def _bandit_configs():
    out = []
    for K in (50, 1000):
        for d in (5, 10, 20):
            out.append(_Config(f"LinUCB d={d} K={K}", "bandit", (d, K)))
    return tuple(out)


def _mdp_configs():
    out = []
    for d, H in ((5, 5), (10, 5)):
        out.append(_Config(f"LSVI-UCB d={d} H={H}", "lsvi", (d, H)))
        out.append(_Config(f"LMC-LSVI d={d} H={H}", "lmc", (d, H)))
    return tuple(out)


#: name -> (description, citation, configurations, default horizon, default runs)
LINEAR_REPRODUCTIONS = {
    "linear-bandit": (
        "LinUCB (OFUL) on random unit-sphere linear bandits, d in {5, 10, 20}, K in {50, 1000}, noise sigma = 1: "
        "regret vs T (slope ~ 1/2) and vs d (growth ~ d)",
        "Abbasi-Yadkori, Pal & Szepesvari (2011), Improved algorithms for linear stochastic bandits, NeurIPS, Thm 3",
        _bandit_configs,
        20_000,
        20,
    ),
    "linear-mdp": (
        "LSVI-UCB (beta = 0.5) and LMC-LSVI (inverse temperature 10, 20 Langevin steps) on random low-rank linear MDPs "
        "(S = 20, A = 4): regret vs episodes",
        "Jin, Yang, Wang & Jordan (2020), COLT, Thm 3.1; Ishfaq et al. (2024), Provable and practical: efficient "
        "exploration in RL via Langevin Monte Carlo, ICLR, Thm 4.2",
        _mdp_configs,
        2_000,
        8,
    ),
}


def _chunk(kind, params, horizon, n, start, seed, checkpoints):
    """One chunk of runs (module-level, picklable)."""
    if kind == "bandit":
        d, K = params
        bandit = LinearBandit.random(d, K, noise_sigma=1.0, rng=np.random.SeedSequence([2011, d, K]))
        return simulate_linear(bandit, LinUCB(), horizon, n, seed=seed, checkpoints=checkpoints, run_start=start)
    d, H = params
    mdp = LinearMDP.random(20, 4, d, horizon=H, rng=np.random.SeedSequence([2020, d, H]))
    if kind == "lsvi":
        return lsvi_ucb(mdp, horizon, beta=0.5, n_runs=n, seed=seed, checkpoints=checkpoints, run_start=start)
    return lmc_lsvi(mdp, horizon, inverse_temperature=10.0, n_langevin_steps=20, n_runs=n, seed=seed, checkpoints=checkpoints, run_start=start)


@dataclass(frozen=True)
class LinearReproductionResult:
    r"""Curves of a linear reproduction.

    Attributes
    ----------
    name : str
    labels : tuple of str
    curves : tuple of RegretCurve
        One per configuration, all runs merged.
    slopes : (n_configs,) ndarray
        Log-log slope of the mean regret over the last decade ``[T/10, T]``
        (:meth:`RegretCurve.slope`).
    description, citation : str
    """

    name: str
    labels: tuple
    curves: tuple
    slopes: np.ndarray
    description: str
    citation: str


def _last_decade_slope(curve) -> float:
    try:
        return float(curve.slope(t_min=max(1, curve.horizon // 10)).slope)
    except ValueError:  # fewer than two checkpoints with positive regret in the last decade
        return float("nan")


def run_linear_reproduction(name: str, *, horizon: int | None = None, n_runs: int | None = None, seed: int = 0,
                            executor: Executor | None = None, chunk_size: int | None = None, checkpoints=50) -> LinearReproductionResult:
    r"""Run a named linear reproduction (see :data:`LINEAR_REPRODUCTIONS`).

    Configuration ``k`` uses the seed ``SeedSequence([seed, k])`` (first
    word, 63 bits); its runs are split into chunks of ``chunk_size``
    (default: all runs in one chunk) submitted to ``executor`` (default: in
    process). Results do not depend on ``executor`` or ``chunk_size``.

    Examples
    --------
    >>> res = run_linear_reproduction("linear-mdp", horizon=50, n_runs=2, checkpoints=3)
    >>> len(res.curves), res.curves[0].regret.shape
    (4, (2, 3))
    """
    if name not in LINEAR_REPRODUCTIONS:
        raise ValueError(f"unknown linear reproduction {name!r}; known: {', '.join(sorted(LINEAR_REPRODUCTIONS))}")
    description, citation, build, T0, R0 = LINEAR_REPRODUCTIONS[name]
    T = T0 if horizon is None else horizon
    R = R0 if n_runs is None else n_runs
    for what, v in (("horizon", T), ("n_runs", R)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{what} = {v!r} must be an integer >= 1")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed = {seed!r} must be a non-negative integer")
    size = R if chunk_size is None else chunk_size
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"chunk_size = {chunk_size!r} must be an integer >= 1")
    configs = build()
    jobs = []
    for k, cfg in enumerate(configs):
        cseed = int(np.random.SeedSequence([int(seed), k]).generate_state(1, np.uint64)[0] >> np.uint64(1))
        for a in range(0, R, size):
            jobs.append((k, (cfg.kind, cfg.params, int(T), min(size, R - a), a, cseed, checkpoints)))
    if executor is None:
        results = [_chunk(*args) for _, args in jobs]
    else:
        futures = [executor.submit(_chunk, *args) for _, args in jobs]
        results = [f.result() for f in futures]
    curves = []
    for k in range(len(configs)):
        curves.append(RegretCurve.concatenate([r for (j, _), r in zip(jobs, results) if j == k]))
    slopes = np.array([_last_decade_slope(c) for c in curves])
    return LinearReproductionResult(name, tuple(c.label for c in configs), tuple(curves), slopes, description, citation)
