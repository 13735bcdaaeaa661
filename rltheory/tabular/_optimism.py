r"""Optimism of an episodic agent's values, read from its documented state (a harness, not part of the engine).

An agent whose class sets ``value_estimates = "upper"`` keeps, as
``state[0]``, the :math:`(H+1, S)` array of the upper values
:math:`\bar V_{k,h}` it planned episode :math:`k` with
(:class:`~rltheory.simulation.EpisodicAgent`). :func:`optimism_gaps` replays
runs of ``simulate(problem, agent, ...)`` (same streams, same trajectories:
:func:`rltheory.tabular._learning_reference.reference_run` with the agent's
compiled functions) and records, after every plan,

.. math:: g_k = \min_{h, s}\big(\bar V_{k,h}(s) - V^*_h(s)\big),

which is :math:`\ge 0` at every episode exactly on the event of the UCB
analyses (Azar et al. 2017, the event :math:`\mathcal E` of their Lemma 18;
Jin et al. 2018, Lemma 4.3: :math:`Q^k_h \ge Q^*_h`), of probability at
least :math:`1 - \delta`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_int, readonly
from rltheory.tabular._learning_reference import reference_run

__all__ = ["OptimismTrace", "optimism_gaps"]


@dataclass(frozen=True, eq=False)
class OptimismTrace:
    """Result of :func:`optimism_gaps`.

    Attributes
    ----------
    gaps : (n_runs, K) float64
        :math:`\\min_{h,s}(\\bar V_{k,h}(s) - V^*_h(s))` after the plan of each episode.
    first_violation : (n_runs,) int64
        The first episode (1-based) with a negative gap, 0 if none.
    n_optimistic_runs : int
        Runs optimistic at every episode.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, QLearningUCB, optimism_gaps
    >>> mdp = FiniteMDP(np.full((2, 2, 2), 0.5), np.array([[0.1, 0.9], [0.5, 0.2]]), gamma=1.0, horizon=3,
    ...                 initial_distribution=[0.5, 0.5])
    >>> trace = optimism_gaps(mdp, QLearningUCB(), 50, n_runs=2, seed=1)
    >>> trace.first_violation.tolist(), trace.n_optimistic_runs  # no negative gap: 0 marks a run never violated
    ([0, 0], 2)
    >>> bool((trace.gaps >= 0).all())
    True
    """

    gaps: np.ndarray
    first_violation: np.ndarray
    n_optimistic_runs: int


def optimism_gaps(
    problem, agent, n_episodes: int, *, n_runs: int = 1, seed: int = 0, run_start: int = 0
) -> OptimismTrace:
    r"""Replay runs of ``simulate(problem, agent, ...)`` and record the agent's optimism gap after every plan.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, QLearningUCB, optimism_gaps
    >>> mdp = FiniteMDP(np.full((2, 2, 2), 0.5), np.array([[0.1, 0.9], [0.5, 0.2]]), gamma=1.0, horizon=3,
    ...                 initial_distribution=[0.5, 0.5])
    >>> trace = optimism_gaps(mdp, QLearningUCB(), 50, n_runs=2, seed=1)
    >>> trace.gaps.shape, trace.n_optimistic_runs
    ((2, 50), 2)
    """
    if getattr(type(agent), "value_estimates", None) != "upper":
        raise ValueError(
            f"optimism_gaps needs an agent whose state[0] holds upper values (value_estimates = 'upper'); "
            f"{type(agent).__name__} has value_estimates = {getattr(type(agent), 'value_estimates', None)!r}"
        )
    n_episodes = check_int("n_episodes", n_episodes, low=1)
    n_runs = check_int("n_runs", n_runs, low=1)
    run_start = check_int("run_start", run_start, low=0)
    gaps = np.empty((n_runs, n_episodes))
    for j in range(n_runs):
        run = reference_run(
            problem,
            agent,
            n_episodes,
            seed=seed,
            run=run_start + j,
            compiled=True,
            record_values=True,
            exact_regret=False,
        )
        gaps[j] = run.value_gaps
    bad = gaps < 0.0
    first = np.where(bad.any(axis=1), np.argmax(bad, axis=1) + 1, 0).astype(np.int64)
    return OptimismTrace(readonly(gaps), readonly(first), int((first == 0).sum()))
