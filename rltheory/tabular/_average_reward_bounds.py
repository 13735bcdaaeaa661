r"""Regret bounds of average-reward (undiscounted, continuing) reinforcement learning, in their published form.

* :func:`ucrl2_regret_bound`: Jaksch, Ortner & Auer (2010), Theorem 2 -- with
  probability at least :math:`1 - \delta`, for every initial state and every
  :math:`T > 1`, UCRL2 run with confidence :math:`\delta` on a communicating
  MDP with :math:`S` states, :math:`A` actions, diameter :math:`D` and rewards
  in :math:`[0, 1]` has regret
  :math:`\Delta(T) = T\rho^* - \sum_{t \le T} r_t \le 34\, D S \sqrt{A T \log(T/\delta)}`.
* :func:`ucrl2_lower_bound`: Jaksch, Ortner & Auer (2010), Theorem 5 -- for
  any algorithm and any :math:`S, A \ge 10`, :math:`D \ge 20 \log_A S`,
  :math:`T \ge D S A`, there is an MDP with :math:`S` states, :math:`A`
  actions and diameter :math:`D` on which the expected regret after
  :math:`T` steps is at least :math:`0.015 \sqrt{D S A T}` from every initial
  state. It is a minimax statement (the hard MDP depends on the algorithm), not
  a bound for a given MDP: drawn next to the curves of a given MDP it shows the
  scale no algorithm can beat uniformly.

The logarithm is natural. Both functions take the sizes and the diameter
(:func:`~rltheory.tabular.diameter`) and return one value per time.
"""

from __future__ import annotations

import math

import numpy as np

from rltheory._validation import check_int, check_probability, check_real

__all__ = ["ucrl2_lower_bound", "ucrl2_regret_bound"]


def _times(times, low: float, name: str) -> np.ndarray:
    t = np.asarray(times, dtype=np.float64)
    if t.ndim > 1 or not np.isfinite(t).all():
        raise ValueError(f"{name} must be a finite scalar or 1-d array")
    if (t <= low).any():
        raise ValueError(f"{name} must be > {low:g}; got {float(t.min())!r}")
    return t


def ucrl2_regret_bound(n_states: int, n_actions: int, diameter: float, times, *, delta: float) -> np.ndarray:
    r"""Jaksch, Ortner & Auer (2010), Theorem 2: :math:`34\, D S \sqrt{A T \log(T/\delta)}` at each ``T > 1``.

    Parameters
    ----------
    n_states, n_actions : int >= 1
    diameter : float >= 0
        :math:`D` (finite: the theorem is for communicating MDPs).
    times : array_like of float > 1
    delta : float in (0, 1)
        The confidence parameter UCRL2 was run with.

    Returns
    -------
    numpy.ndarray
        The bound at each time (it holds for all ``T`` simultaneously with probability ``1 - delta``).

    Examples
    --------
    >>> import math
    >>> from rltheory.tabular import ucrl2_regret_bound
    >>> b = ucrl2_regret_bound(2, 2, 1.0, [100.0], delta=0.1)
    >>> bool(abs(b[0] - 34 * 1 * 2 * math.sqrt(2 * 100 * math.log(1000))) < 1e-9)
    True
    """
    S = check_int("n_states", n_states, low=1)
    A = check_int("n_actions", n_actions, low=1)
    D = check_real("diameter", diameter, low=0.0)
    delta = check_probability("delta", delta)
    T = _times(times, 1.0, "times")
    # Jaksch et al. (2010), Theorem 2: Delta(M, UCRL2, s, T) <= 34 D S sqrt(A T log(T / delta))
    return 34.0 * D * S * np.sqrt(A * T * np.log(T / delta))


def ucrl2_lower_bound(
    n_states: int, n_actions: int, diameter: float, times, *, check_conditions: bool = True
) -> np.ndarray:
    r"""Jaksch, Ortner & Auer (2010), Theorem 5: the minimax lower bound :math:`0.015 \sqrt{D S A T}`.

    Parameters
    ----------
    n_states, n_actions : int >= 1
    diameter : float > 0
    times : array_like of float > 0
    check_conditions : bool
        Raise ``ValueError`` unless the theorem's conditions hold:
        :math:`S, A \ge 10`, :math:`D \ge 20 \log_A S` and every
        :math:`T \ge D S A`. ``False`` returns the formula regardless (for a
        reference curve on a figure, labelled as such).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from rltheory.tabular import ucrl2_lower_bound
    >>> ucrl2_lower_bound(10, 10, 20.0, [1e6]).round(3).tolist()
    [670.82]
    >>> ucrl2_lower_bound(6, 2, 15.0, [1e6])
    Traceback (most recent call last):
    ...
    ValueError: Jaksch et al. (2010), Theorem 5 needs S >= 10 and A >= 10; got S = 6, A = 2
    """
    S = check_int("n_states", n_states, low=1)
    A = check_int("n_actions", n_actions, low=1)
    D = check_real("diameter", diameter, low=0.0, low_open=True)
    T = _times(times, 0.0, "times")
    if check_conditions:
        if S < 10 or A < 10:
            raise ValueError(f"Jaksch et al. (2010), Theorem 5 needs S >= 10 and A >= 10; got S = {S}, A = {A}")
        if D < 20.0 * math.log(S) / math.log(A):
            raise ValueError(
                f"Jaksch et al. (2010), Theorem 5 needs D >= 20 log_A S = {20.0 * math.log(S) / math.log(A):g}; "
                f"got D = {D!r}"
            )
        if (T < D * S * A).any():
            raise ValueError(
                f"Jaksch et al. (2010), Theorem 5 needs T >= D S A = {D * S * A:g}; got T = {float(T.min())!r}"
            )
    # Jaksch et al. (2010), Theorem 5: E[Delta(M, A, s, T)] >= 0.015 sqrt(D S A T)
    return 0.015 * np.sqrt(D * S * A * T)
