r"""Fixed-budget best-arm identification: Successive Rejects, Sequential Halving, and their error bounds.

Agents of the ``"identification"`` kind for a :class:`~rltheory.bandits.FixedBudgetProblem`
``(bandit, budget)`` with rewards in [0, 1]. Complexities (Audibert & Bubeck 2010, Sec. 2), with the
gaps sorted increasingly :math:`\Delta_{(1)} = \Delta_{(2)} \le \Delta_{(3)} \le \dots \le \Delta_{(K)}`
(the best arm's "gap" is the smallest positive one):

.. math:: H_1 = \sum_{i=1}^K \Delta_{(i)}^{-2}, \qquad H_2 = \max_{i} i\,\Delta_{(i)}^{-2},
   \qquad H_2 \le H_1 \le \overline{\log}(2K) H_2 .
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from ._identification import FixedBudgetProblem, IdentificationAgent, _check_bandit
from ._instances import BernoulliBandit, BoundedBandit

__all__ = [
    "SequentialHalving",
    "SuccessiveRejects",
    "hardness_h1",
    "hardness_h2",
    "sequential_halving_error_bound",
    "successive_rejects_error_bound",
]


def _sorted_gaps(bandit, who):
    _check_bandit(bandit, who)
    gaps = np.sort(np.asarray(bandit.gaps, dtype=np.float64))
    gaps[0] = gaps[1]  # Delta_(1) = Delta_(2)
    return gaps


def hardness_h1(bandit) -> float:
    r""":math:`H_1 = \sum_i \Delta_{(i)}^{-2}` (Audibert & Bubeck 2010, eq. (1); :math:`\Delta_{(1)} = \Delta_{(2)}`).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, hardness_h1
    >>> round(hardness_h1(BernoulliBandit([0.5, 0.4, 0.3])), 6)  # 2 / 0.1^2 + 1 / 0.2^2
    225.0
    """
    return float(np.sum(_sorted_gaps(bandit, "hardness_h1") ** -2.0))


def hardness_h2(bandit) -> float:
    r""":math:`H_2 = \max_i i\,\Delta_{(i)}^{-2}` (Audibert & Bubeck 2010, Sec. 2).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, hardness_h2
    >>> round(hardness_h2(BernoulliBandit([0.5, 0.4, 0.3])), 6)  # max(100, 200, 75)
    200.0
    """
    gaps = _sorted_gaps(bandit, "hardness_h2")
    return float(np.max(np.arange(1, gaps.size + 1) * gaps**-2.0))


def _log_bar(K: int) -> float:
    r""":math:`\overline{\log}(K) = 1/2 + \sum_{i=2}^K 1/i`."""
    return 0.5 + sum(1.0 / i for i in range(2, K + 1))


def _bounded(bandit, who):
    if not isinstance(bandit, (BernoulliBandit, BoundedBandit)):
        raise ValueError(
            f"{who} is proved for rewards in [0, 1] (Hoeffding's inequality); got a {type(bandit).__name__}"
        )


def successive_rejects_error_bound(bandit, budget) -> float:
    r"""Audibert & Bubeck (2010), Theorem 2: :math:`e_n \le \frac{K(K-1)}{2}\exp\!\big(-\frac{n - K}{\overline{\log}(K)
    H_2}\big)`.

    The probability of error of :class:`SuccessiveRejects` with budget :math:`n` on rewards in [0, 1].

    Examples
    --------
    >>> import math
    >>> from rltheory.bandits import BernoulliBandit, successive_rejects_error_bound
    >>> b = BernoulliBandit([0.5, 0.4, 0.3])
    >>> math.isclose(successive_rejects_error_bound(b, 1000), 3 * math.exp(-997 / ((0.5 + 1 / 2 + 1 / 3) * 200)))
    True
    """
    _bounded(bandit, "successive_rejects_error_bound")
    K = bandit.n_arms
    n = int(budget)
    return 0.5 * K * (K - 1) * math.exp(-(n - K) / (_log_bar(K) * hardness_h2(bandit)))


def sequential_halving_error_bound(bandit, budget) -> float:
    r"""Karnin, Koren & Somekh (2013), Theorem 4.1: :math:`\le 3\log_2 K \exp\!\big(-\frac{T}{8 H_2 \log_2 K}\big)`.

    The probability of error of :class:`SequentialHalving` with budget :math:`T` on rewards in [0, 1].

    Examples
    --------
    >>> import math
    >>> from rltheory.bandits import BernoulliBandit, sequential_halving_error_bound
    >>> b = BernoulliBandit([0.5, 0.4, 0.3, 0.2])
    >>> math.isclose(sequential_halving_error_bound(b, 10_000), 6 * math.exp(-10_000 / (8 * 200 * 2)))
    True
    """
    _bounded(bandit, "sequential_halving_error_bound")
    lg = math.log2(bandit.n_arms)
    return 3.0 * lg * math.exp(-float(budget) / (8.0 * hardness_h2(bandit) * lg))


def _fixed_budget(problem, who) -> FixedBudgetProblem:
    if not isinstance(problem, FixedBudgetProblem):
        raise ValueError(
            f"{who} is a fixed-budget strategy: it needs a FixedBudgetProblem, got {type(problem).__name__}"
        )
    return problem


# ---------------------------------------------------------------------------- Successive Rejects


class _SRParams(NamedTuple):
    schedule: np.ndarray  # n_k for phases k = 1..K-1 (index k - 1)


@njit(cache=True)
def _sr_init(params, n_arms):
    """Rows: counts, sums, active (1/0); row 3 column 0: the current phase k (1-based)."""
    state = np.zeros((4, n_arms))
    for a in range(n_arms):
        state[2, a] = 1.0
    state[3, 0] = 1.0
    return state


@njit(cache=True)
def _sr_advance(params, state):
    """Close every finished phase (reject the active arm of lowest mean); True when one arm is left."""
    K = state.shape[1]
    while True:
        k = int(state[3, 0])
        if k >= K:
            return True
        target = params.schedule[k - 1]
        for a in range(K):
            if state[2, a] > 0.0 and state[0, a] < target:
                return False
        # phase k is complete: reject argmin of the empirical means (ties: the highest index)
        worst = -1
        wv = np.inf
        for a in range(K):
            if state[2, a] > 0.0:
                v = state[1, a] / state[0, a] if state[0, a] > 0.0 else 0.0
                if v <= wv:
                    wv = v
                    worst = a
        state[2, worst] = 0.0
        state[3, 0] = k + 1.0


@njit(cache=True)
def _sr_select(params, state, t, rng):
    K = state.shape[1]
    if _sr_advance(params, state):
        for a in range(K):
            if state[2, a] > 0.0:
                return a
    k = int(state[3, 0])
    target = params.schedule[k - 1]
    for a in range(K):  # the lowest active arm short of n_k pulls
        if state[2, a] > 0.0 and state[0, a] < target:
            return a
    return -1


@njit(cache=True)
def _sr_update(params, state, t, arm, reward, rng):
    state[0, arm] += 1.0
    state[1, arm] += reward


@njit(cache=True)
def _sr_stop(params, state, t):
    return _sr_advance(params, state)


@njit(cache=True)
def _sr_recommend(params, state):
    _sr_advance(params, state)
    best = -1
    bv = -np.inf
    for a in range(state.shape[1]):
        if state[2, a] > 0.0:
            v = state[1, a] / state[0, a] if state[0, a] > 0.0 else 0.0
            if v > bv:
                bv = v
                best = a
    return best


@dataclass(frozen=True)
class SuccessiveRejects(IdentificationAgent):
    r"""Successive Rejects of Audibert & Bubeck (2010), *Best arm identification in multi-armed bandits*, COLT.

    With :math:`\overline{\log}(K) = 1/2 + \sum_{i=2}^K 1/i` and
    :math:`n_k = \lceil \frac{1}{\overline{\log}(K)}\frac{n - K}{K + 1 - k}\rceil` (:math:`n_0 = 0`), phase
    :math:`k = 1, \dots, K-1` samples every remaining arm until it has :math:`n_k` samples (the lowest
    index first) and then rejects the remaining arm with the lowest empirical mean (ties: the highest
    index); the last arm is recommended. At most :math:`n` samples are used (the run stops when the last
    phase ends). Theorem 2: :math:`e_n \le \frac{K(K-1)}{2}\exp(-\frac{n-K}{\overline{\log}(K)H_2})`
    (:func:`successive_rejects_error_bound`).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, FixedBudgetProblem, SuccessiveRejects
    >>> from rltheory.simulation import simulate
    >>> res = simulate(FixedBudgetProblem(BernoulliBandit([0.6, 0.4, 0.3]), 300), SuccessiveRejects(), n_rounds=300,
    ...                n_runs=50, seed=0)
    >>> bool(res.stopping_times.max() <= 300), res.error_frequency < 0.2
    (True, True)
    """

    name: ClassVar[str] = "SuccessiveRejects"
    Params: ClassVar = _SRParams
    init: ClassVar = staticmethod(_sr_init)
    select: ClassVar = staticmethod(_sr_select)
    update: ClassVar = staticmethod(_sr_update)
    stop: ClassVar = staticmethod(_sr_stop)
    recommend: ClassVar = staticmethod(_sr_recommend)

    @staticmethod
    def schedule(n_arms: int, budget: int) -> np.ndarray:
        r""":math:`(n_1, \dots, n_{K-1})` of Audibert & Bubeck (2010), Sec. 3.

        Examples
        --------
        >>> from rltheory.bandits import SuccessiveRejects
        >>> SuccessiveRejects.schedule(3, 300).tolist()  # log_bar(3) = 4/3: ceil(0.75 * 297 / 3), ceil(0.75 * 297 / 2)
        [75.0, 112.0]
        """
        lb = _log_bar(n_arms)
        return np.array(
            [math.ceil((budget - n_arms) / (lb * (n_arms + 1 - k))) for k in range(1, n_arms)], dtype=np.float64
        )

    def compiled_params(self, problem, budget):
        problem = _fixed_budget(problem, self.name)
        return _SRParams(self.schedule(problem.n_arms, problem.budget))


# ---------------------------------------------------------------------------- Sequential Halving


class _SHParams(NamedTuple):
    budget: int
    n_rounds: int  # ceil(log2 K)


@njit(cache=True)
def _sh_init(params, n_arms):
    """Rows: this round's counts and sums, active (1/0); row 3: [round r, samples per arm t_r, active count].

    At least 3 columns (row 3 needs them); padding columns are inactive and never sampled.
    """
    state = np.zeros((4, max(n_arms, 3)))
    for a in range(n_arms):
        state[2, a] = 1.0
    state[3, 0] = 0.0
    state[3, 2] = n_arms
    state[3, 1] = params.budget // (n_arms * params.n_rounds)
    return state


@njit(cache=True)
def _sh_advance(params, state, K):
    """Close every finished round (keep the ceil(|S_r|/2) best of the round's means); True when done."""
    while True:
        r = int(state[3, 0])
        if r >= params.n_rounds:
            return True
        t_r = state[3, 1]
        for a in range(K):
            if state[2, a] > 0.0 and state[0, a] < t_r:
                return False
        size = int(state[3, 2])
        keep = (size + 1) // 2
        # keep the `keep` largest means of this round (ties: lower index first) by repeated selection
        chosen = np.zeros(K, np.bool_)
        for _ in range(keep):
            best = -1
            bv = -np.inf
            for a in range(K):
                if state[2, a] > 0.0 and not chosen[a]:
                    v = state[1, a] / state[0, a]
                    if v > bv:
                        bv = v
                        best = a
            chosen[best] = True
        for a in range(K):
            state[2, a] = 1.0 if chosen[a] else 0.0
            state[0, a] = 0.0  # a new round uses its own samples only
            state[1, a] = 0.0
        state[3, 0] = r + 1.0
        state[3, 2] = keep
        state[3, 1] = params.budget // (keep * params.n_rounds)


@njit(cache=True)
def _sh_select(params, state, t, rng):
    K = state.shape[1]
    if _sh_advance(params, state, K):
        for a in range(K):
            if state[2, a] > 0.0:
                return a
    t_r = state[3, 1]
    for a in range(K):
        if state[2, a] > 0.0 and state[0, a] < t_r:
            return a
    return -1


@njit(cache=True)
def _sh_update(params, state, t, arm, reward, rng):
    state[0, arm] += 1.0
    state[1, arm] += reward


@njit(cache=True)
def _sh_stop(params, state, t):
    return _sh_advance(params, state, state.shape[1])


@njit(cache=True)
def _sh_recommend(params, state):
    K = state.shape[1]
    _sh_advance(params, state, K)
    for a in range(K):
        if state[2, a] > 0.0:
            return a
    return -1


@dataclass(frozen=True)
class SequentialHalving(IdentificationAgent):
    r"""Sequential Halving of Karnin, Koren & Somekh (2013), *Almost optimal exploration in multi-armed bandits*, ICML.

    Algorithm 1: :math:`S_0 = [K]`; for :math:`r = 0, \dots, \lceil\log_2 K\rceil - 1`, sample every arm of
    :math:`S_r` :math:`t_r = \lfloor T / (|S_r| \lceil\log_2 K\rceil)\rfloor` times and keep in
    :math:`S_{r+1}` the :math:`\lceil |S_r|/2\rceil` arms with the largest averages *of this round's
    samples* (ties: the lower index); recommend the arm of :math:`S_{\lceil\log_2 K\rceil}`. At most
    :math:`T` samples are used. Theorem 4.1: error :math:`\le 3\log_2 K\exp(-T/(8H_2\log_2 K))`
    (:func:`sequential_halving_error_bound`). Needs :math:`T \ge K\lceil\log_2 K\rceil` (so that
    :math:`t_0 \ge 1`).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, FixedBudgetProblem, SequentialHalving
    >>> from rltheory.simulation import simulate
    >>> res = simulate(FixedBudgetProblem(BernoulliBandit([0.6, 0.4, 0.3, 0.2]), 400), SequentialHalving(),
    ...                n_rounds=400, n_runs=50, seed=0)
    >>> bool(res.stopping_times.max() <= 400), res.error_frequency < 0.2
    (True, True)
    """

    name: ClassVar[str] = "SequentialHalving"
    Params: ClassVar = _SHParams
    init: ClassVar = staticmethod(_sh_init)
    select: ClassVar = staticmethod(_sh_select)
    update: ClassVar = staticmethod(_sh_update)
    stop: ClassVar = staticmethod(_sh_stop)
    recommend: ClassVar = staticmethod(_sh_recommend)

    def compiled_params(self, problem, budget):
        problem = _fixed_budget(problem, self.name)
        K = problem.n_arms
        rounds = math.ceil(math.log2(K))
        if problem.budget < K * rounds:
            raise ValueError(
                f"SequentialHalving needs budget >= K ceil(log2 K) = {K * rounds} (one sample per arm in the first "
                f"round), got {problem.budget}"
            )
        return _SHParams(int(problem.budget), int(rounds))
