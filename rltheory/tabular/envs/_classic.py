r"""Classic exploration benchmarks from the literature: RiverSwim and the n-chain.

Both are built from exact rationals (:class:`fractions.Fraction`), so passing
a rational ``gamma`` (e.g. ``Fraction(19, 20)``) yields an *exact* model that
:func:`~rltheory.tabular.policy_iteration` can solve in rational arithmetic.
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np

from rltheory._validation import check_int, check_real
from rltheory.tabular._model import FiniteMDP

__all__ = ["river_swim", "chain"]


def _exact_or_float(name: str, x, **bounds):
    """``check_real`` the parameter, then keep a rational exact (Fraction) and a float a float."""
    check_real(name, x, **bounds)
    return Fraction(x) if isinstance(x, numbers.Rational) else float(x)


def _zeros(shape, exact: bool):
    if exact:
        out = np.empty(shape, dtype=object)
        out.fill(Fraction(0))
        return out
    return np.zeros(shape)


def river_swim(n_states: int = 6, *, gamma=0.95, variant: str = "strehl-littman") -> FiniteMDP:
    r"""RiverSwim: a chain where swimming upstream is slow but pays a large reward.

    States :math:`0, \dots, n-1` lie along a river; action ``0`` swims
    *left* (with the current) and action ``1`` swims *right* (against it).

    ``variant="strehl-littman"`` (default) is the MDP of Strehl & Littman
    (2008), Section 6 (the RiverSwim figure), generalized to ``n`` states:

    * left: moves to :math:`s-1` with probability 1 (state 0 stays), and
      swimming left in state 0 earns 5;
    * right in state 0: stay 0.7, move right 0.3;
      right in :math:`0 < s < n-1`: move left 0.1, stay 0.6, move right 0.3;
      right in state :math:`n-1`: move left 0.7, stay 0.3, and the stay earns
      10000 (so :math:`r(n-1, \text{right}) = 0.3 \times 10000 = 3000`);
    * the agent starts in state 1 or 2 with equal probability.

    ``variant="osband"`` is the common re-parameterization of Osband, Russo &
    Van Roy (2013), Appendix (used by most posterior-sampling papers):
    right in state 0: stay 0.4, move right 0.6; right in the interior: left
    0.05, stay 0.6, right 0.35; right in state :math:`n-1`: left 0.4, stay
    0.6; rewards :math:`r(0, \text{left}) = 5/1000` and
    :math:`r(n-1, \text{right}) = 1`; start in state 0. (Osband et al. use it
    episodically with horizon 20: pass the model to a finite-horizon solver.)

    Parameters
    ----------
    n_states : int >= 2
        Number of states (6 in both papers).
    gamma : float or Fraction
        Discount factor in [0, 1). A rational ``gamma`` makes the model exact.
    variant : {"strehl-littman", "osband"}

    Returns
    -------
    FiniteMDP
        Dense, with an initial distribution.

    References
    ----------
    A. L. Strehl and M. L. Littman, "An analysis of model-based Interval
    Estimation for Markov Decision Processes", *J. Comput. Syst. Sci.* 74(8),
    1309-1331, 2008, Section 6 (RiverSwim figure).
    I. Osband, D. Russo and B. Van Roy, "(More) efficient reinforcement
    learning via posterior sampling", NeurIPS 2013, Appendix (RiverSwim).

    Examples
    --------
    >>> from fractions import Fraction
    >>> from rltheory.tabular.envs import river_swim
    >>> mdp = river_swim()
    >>> mdp.P[0, 1].tolist()
    [0.7, 0.3, 0.0, 0.0, 0.0, 0.0]
    >>> mdp.R[0].tolist(), mdp.R[5].tolist()
    ([5.0, 0.0], [0.0, 3000.0])
    >>> river_swim(gamma=Fraction(19, 20)).is_exact
    True
    """
    n = check_int("n_states", n_states, low=2)
    if variant == "strehl-littman":
        p_left, p_stay, p_right = Fraction(1, 10), Fraction(6, 10), Fraction(3, 10)
        first_stay, last_left = Fraction(7, 10), Fraction(7, 10)
        small, large_on_stay = Fraction(5), Fraction(10000)
        starts = [s for s in (1, 2) if s < n]
    elif variant == "osband":
        p_left, p_stay, p_right = Fraction(5, 100), Fraction(6, 10), Fraction(35, 100)
        first_stay, last_left = Fraction(4, 10), Fraction(4, 10)
        small, large_on_stay = Fraction(5, 1000), None
        starts = [0]
    else:
        raise ValueError(f"variant = {variant!r}; expected 'strehl-littman' or 'osband'")

    LEFT, RIGHT = 0, 1
    P = _zeros((n, 2, n), exact=True)
    Rsas = _zeros((n, 2, n), exact=True)
    for s in range(n):
        P[s, LEFT, max(s - 1, 0)] = Fraction(1)
    Rsas[0, LEFT, 0] = small
    for s in range(1, n - 1):
        P[s, RIGHT, s - 1] = p_left
        P[s, RIGHT, s] = p_stay
        P[s, RIGHT, s + 1] = p_right
    P[0, RIGHT, 0] = first_stay
    P[0, RIGHT, 1] = 1 - first_stay
    P[n - 1, RIGHT, n - 2] = last_left
    P[n - 1, RIGHT, n - 1] = 1 - last_left
    if large_on_stay is not None:
        Rsas[n - 1, RIGHT, n - 1] = large_on_stay  # paid on the stay transition (probability 0.3)
        R = Rsas
    else:
        R = (P * Rsas).sum(axis=2)
        R[n - 1, RIGHT] = Fraction(1)
    init = np.zeros(n)
    init[starts] = 1.0 / len(starts)
    gamma = _exact_or_float("gamma", gamma, low=0, high=1)
    return FiniteMDP(P, R, gamma=gamma, initial_distribution=init)


def chain(n_states: int = 5, *, slip=0.2, small_reward=2, large_reward=10, gamma=0.99) -> FiniteMDP:
    r"""The n-chain of Dearden, Friedman & Russell (1998) and Strens (2000).

    States :math:`0, \dots, n-1`; action ``0`` is *forward* ("a") and action
    ``1`` is *back* ("b"). With probability ``slip`` the *other* action is
    executed instead (and its reward is received):

    * forward moves from :math:`s` to :math:`s+1` with reward 0; in the last
      state it stays there and earns ``large_reward``;
    * back returns to state 0 and earns ``small_reward``.

    Hence, with :math:`p` = ``slip`` and :math:`\ell(s) =` ``large_reward``
    if :math:`s = n-1` else 0,

    .. math::
        P(\min(s+1, n-1) \mid s, 0) = 1-p,\ P(0 \mid s, 0) = p, \qquad
        r(s, 0) = (1-p)\,\ell(s) + p\,\text{small},

        P(0 \mid s, 1) = 1-p,\ P(\min(s+1, n-1) \mid s, 1) = p, \qquad
        r(s, 1) = (1-p)\,\text{small} + p\,\ell(s).

    The defaults are the published ones (5 states, slip 0.2, rewards 2 and
    10); the episode starts in state 0. It is also Gym's ``NChain-v0``.
    Rational ``slip``/rewards and a rational ``gamma`` give an exact model.

    Parameters
    ----------
    n_states : int >= 2
    slip : float in [0, 1]
    small_reward, large_reward : float
    gamma : float in [0, 1)

    Returns
    -------
    FiniteMDP
        Dense, with initial distribution the point mass on state 0.

    References
    ----------
    R. Dearden, N. Friedman and S. Russell, "Bayesian Q-learning", AAAI
    1998, Figure 1 (the chain problem).
    M. Strens, "A Bayesian framework for reinforcement learning", ICML 2000,
    Section 5 (the Chain problem, Figure 1).

    Examples
    --------
    >>> from rltheory.tabular.envs import chain
    >>> mdp = chain()
    >>> mdp.P[4, 0].tolist()           # forward at the end: stay w.p. 0.8, slip back to 0
    [0.2, 0.0, 0.0, 0.0, 0.8]
    >>> [round(x, 12) for x in mdp.R[4].tolist()]   # 0.8*10 + 0.2*2, 0.8*2 + 0.2*10
    [8.4, 3.6]
    """
    n = check_int("n_states", n_states, low=2)
    p = _exact_or_float("slip", slip, low=0, high=1)
    small = _exact_or_float("small_reward", small_reward)
    large = _exact_or_float("large_reward", large_reward)
    exact = all(isinstance(x, Fraction) for x in (p, small, large))
    one = Fraction(1) if exact else 1.0
    P = _zeros((n, 2, n), exact)
    R = _zeros((n, 2), exact)
    FORWARD, BACK = 0, 1
    for s in range(n):
        nxt = min(s + 1, n - 1)
        ell = large if s == n - 1 else 0 * large
        P[s, FORWARD, nxt] += one - p
        P[s, FORWARD, 0] += p
        P[s, BACK, 0] += one - p
        P[s, BACK, nxt] += p
        R[s, FORWARD] = (one - p) * ell + p * small
        R[s, BACK] = (one - p) * small + p * ell
    init = np.zeros(n)
    init[0] = 1.0
    gamma = _exact_or_float("gamma", gamma, low=0, high=1)
    return FiniteMDP(P, R, gamma=gamma, initial_distribution=init)
