"""Checkpoint schedules: the times at which a simulation records its curves."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import check_int

__all__ = ["checkpoint_times"]


def checkpoint_times(budget: int, checkpoints=200) -> np.ndarray:
    """Checkpoint times: ``checkpoints`` log-spaced integers in ``[1, budget]`` or an explicit array.

    ``budget`` is the simulation's length in its own unit (rounds of a bandit,
    episodes of an episodic MDP). An int gives
    ``unique(round(logspace(0, log10 budget, checkpoints)))`` (so possibly
    fewer than ``checkpoints`` times for a small budget), always containing
    ``budget``. An array must be strictly increasing integers in
    ``[1, budget]``; ``budget`` is appended when absent so that the last
    checkpoint is the end of the run.

    Examples
    --------
    >>> checkpoint_times(1000, 4).tolist()
    [1, 10, 100, 1000]
    >>> checkpoint_times(50, [10, 20]).tolist()
    [10, 20, 50]
    """
    budget = check_int("budget", budget, low=1)
    if isinstance(checkpoints, numbers.Integral) and not isinstance(checkpoints, bool):
        n = check_int("checkpoints", checkpoints, low=1)
        if n == 1:
            return np.array([budget], dtype=np.int64)
        times = np.unique(np.rint(np.logspace(0.0, math.log10(budget), n)).astype(np.int64))
        times = times[(times >= 1) & (times <= budget)]
    else:
        try:
            raw = np.asarray(checkpoints)
        except Exception as exc:  # noqa: BLE001 - report any conversion failure as bad input
            raise ValueError(f"checkpoints must be an int or a 1-D array of times, got {checkpoints!r}") from exc
        if raw.ndim != 1 or raw.size == 0:
            raise ValueError(f"checkpoints must be an int or a non-empty 1-D array, got shape {raw.shape}")
        if raw.dtype.kind not in "iuf" or (
            raw.dtype.kind == "f" and not np.all(np.isfinite(raw) & (raw == np.rint(raw)))
        ):
            raise ValueError("checkpoints must contain integer times")
        times = raw.astype(np.int64)
        if (np.diff(times) <= 0).any():
            i = int(np.argmax(np.diff(times) <= 0))
            raise ValueError(
                f"checkpoints must be strictly increasing; checkpoints[{i + 1}] = {times[i + 1]} <= {times[i]}"
            )
        if times[0] < 1 or times[-1] > budget:
            raise ValueError(f"checkpoints must lie in [1, {budget}], got [{times[0]}, {times[-1]}]")
    if times[-1] != budget:
        times = np.append(times, budget)
    return times.astype(np.int64)
