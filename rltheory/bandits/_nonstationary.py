r"""Non-stationary bandits: instances, the ``"nonstationary-bandit"`` kind (dynamic regret) and its agents.

Instances
    :class:`PiecewiseStationaryBandit` (breakpoints and the means of every
    stationary segment) and :class:`DriftingBandit` (the means of every round,
    e.g. sinusoidal drift, :meth:`DriftingBandit.sinusoidal`), with Bernoulli or
    Gaussian rewards.

Regret
    The kind's driver measures the *dynamic* pseudo-regret against the per-round
    best arm exactly,

    .. math:: R_T = \sum_{t=1}^{T} \big(\max_a \mu_t(a) - \mu_t(A_t)\big),

    and the realized regret :math:`\sum_t \max_a\mu_t(a) - \sum_t X_t`
    (Garivier & Moulines 2011, Sec. 2). Run ``i`` draws from
    ``SeedSequence(seed, spawn_key=(i,))`` exactly like the ``"bandit"`` kind: one
    xoshiro256++ stream per arm for the rewards (the ``n``-th pull of arm ``a``
    uses the ``n``-th draw of stream ``a``, thresholded at -- or shifted by -- the
    mean of the round it is pulled in, so agents compared on a seed share common
    random numbers) and one for the agent.

Agents (all :class:`~rltheory.bandits.BanditAgent` s: they run on stationary bandits too)
    :class:`SlidingWindowUCB`, :class:`DiscountedUCB` (Garivier & Moulines 2011),
    :class:`MUCB` (Cao, Wen, Kveton & Xie 2019), :class:`GLRklUCB` (Besson,
    Kaufmann, Maillard & Seznec 2022). Their default tunings are the papers'
    choices as functions of the horizon ``T`` and the number of breakpoints
    :math:`\Upsilon_T`, read from the instance when not given (the papers' tunings
    assume them known). Ties are broken towards the lowest arm.

Bounds
    :func:`nonstationary_regret_order`: the published regret orders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from .._validation import check_choice, check_finite, check_int, check_real, check_shape, readonly
from ..simulation import PreparedProblem, ProblemKind, RegretCurve, register_problem_kind, rng_normal, rng_uniform
from ._instances import GaussianBandit
from ._kl import bernoulli_kl, klucb_bernoulli
from ._policies import BanditAgent

__all__ = [
    "DiscountedUCB",
    "DriftingBandit",
    "GLRklUCB",
    "MUCB",
    "PiecewiseStationaryBandit",
    "SlidingWindowUCB",
    "nonstationary_regret_order",
]

FAMILIES = ("bernoulli", "gaussian")


# ----------------------------------------------------------------------------
# instances
# ----------------------------------------------------------------------------


def _means_table(name: str, values, family: str, rows: str) -> np.ndarray:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 2-D array of real numbers ({rows} x arms), got {values!r:.200}") from exc
    check_shape(name, arr, (None, None))
    if arr.shape[0] < 1 or arr.shape[1] < 2:
        raise ValueError(f"{name} has shape {arr.shape}; it needs at least one row and 2 arms ({rows} x arms)")
    check_finite(name, arr)
    if family == "bernoulli":
        bad = (arr < 0.0) | (arr > 1.0)
        if bad.any():
            i, k = (int(v) for v in np.argwhere(bad)[0])
            raise ValueError(f"{name}[{i}, {k}] = {float(arr[i, k])!r} is not a Bernoulli mean in [0, 1]")
    return readonly(np.ascontiguousarray(arr))


class _NonStationaryMixin:
    """Shared derived quantities; subclasses define ``segment_starts``, ``segment_means``, ``family``, ``sigma``."""

    @property
    def n_arms(self) -> int:
        return int(self.segment_means.shape[1])

    def means_at(self, t) -> np.ndarray:
        """Means of round(s) ``t`` (1-based): ``(K,)`` for a scalar, ``(len(t), K)`` for an array.

        Examples
        --------
        >>> from rltheory.bandits import PiecewiseStationaryBandit
        >>> b = PiecewiseStationaryBandit([3], [[0.9, 0.1], [0.1, 0.9]])
        >>> b.means_at([1, 2, 3, 4]).tolist()
        [[0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [0.1, 0.9]]
        """
        t = np.asarray(t)
        if (t < 1).any():
            raise ValueError(f"means_at: rounds are 1-based, got {t.min()}")
        seg = np.searchsorted(self.segment_starts, t, side="right") - 1
        return self.segment_means[seg]

    def n_breakpoints_until(self, n_rounds: int) -> int:
        r"""Breakpoints :math:`\Upsilon_T`: the rounds ``2 <= t <= T`` whose means differ from round ``t - 1``'s.

        Examples
        --------
        >>> from rltheory.bandits import PiecewiseStationaryBandit
        >>> b = PiecewiseStationaryBandit([100, 200], [[0.9, 0.1], [0.1, 0.9], [0.5, 0.9]])
        >>> b.n_breakpoints_until(150), b.n_breakpoints_until(1000)
        (1, 2)
        """
        n_rounds = check_int("n_rounds", n_rounds, low=1)
        return int(np.count_nonzero(self.segment_starts[1:] <= n_rounds))

    def min_change(self, n_rounds: int) -> float:
        r"""Smallest change :math:`\min_j \max_a |\mu_{j+1}(a) - \mu_j(a)|` over the breakpoints up to ``n_rounds``.

        The :math:`\delta` of Cao, Wen, Kveton & Xie (2019, Assumption 1); ``inf`` without a breakpoint.

        Examples
        --------
        >>> from rltheory.bandits import PiecewiseStationaryBandit
        >>> PiecewiseStationaryBandit([100], [[0.9, 0.1], [0.6, 0.2]]).min_change(1000)
        0.30000000000000004
        """
        m = self.n_breakpoints_until(n_rounds)
        if m == 0:
            return math.inf
        jumps = np.abs(np.diff(self.segment_means[: m + 1], axis=0)).max(axis=1)
        return float(jumps.min())


@dataclass(frozen=True, eq=False)
class PiecewiseStationaryBandit(_NonStationaryMixin):
    r"""A piecewise-stationary (switching) bandit: the means jump at known-to-the-simulator breakpoints.

    Segment ``j`` (0-based) covers the rounds ``breakpoints[j - 1] <= t <
    breakpoints[j]`` (with ``breakpoints[-1] = 1`` and ``breakpoints[Upsilon] =
    inf``) and pays Bernoulli(``means[j, a]``) or N(``means[j, a]``,
    ``sigma^2``) rewards for arm ``a``: the switching bandit of Garivier &
    Moulines (2011), Sec. 2, with :math:`\Upsilon_T` breakpoints.

    Parameters
    ----------
    breakpoints : sequence of int
        Strictly increasing rounds ``>= 2`` at which a new segment starts (may be empty).
    means : array_like, shape (len(breakpoints) + 1, K)
        The means of every segment; consecutive segments differ (else there is no breakpoint).
    family : {"bernoulli", "gaussian"}
    sigma : float
        Gaussian noise standard deviation (ignored for Bernoulli rewards).

    Examples
    --------
    >>> from rltheory.bandits import PiecewiseStationaryBandit
    >>> b = PiecewiseStationaryBandit([500, 1000], [[0.9, 0.5, 0.1], [0.1, 0.5, 0.9], [0.5, 0.9, 0.1]])
    >>> b.n_arms, b.n_segments, b.best_arms.tolist()
    (3, 3, [0, 2, 1])
    >>> PiecewiseStationaryBandit([5, 5], [[0.1, 0.2], [0.2, 0.1], [0.1, 0.2]])
    Traceback (most recent call last):
    ...
    ValueError: breakpoints must be strictly increasing: breakpoints[1] = 5 <= breakpoints[0] = 5
    """

    breakpoints: tuple
    means: np.ndarray
    family: str = "bernoulli"
    sigma: float = 1.0

    def __post_init__(self):
        check_choice("family", self.family, FAMILIES)
        try:
            raw = list(self.breakpoints)
        except TypeError as exc:
            raise ValueError(f"breakpoints must be a sequence of rounds, got {self.breakpoints!r}") from exc
        bps = tuple(check_int(f"breakpoints[{j}]", b, low=2) for j, b in enumerate(raw))
        for j in range(1, len(bps)):
            if bps[j] <= bps[j - 1]:
                raise ValueError(
                    f"breakpoints must be strictly increasing: breakpoints[{j}] = {bps[j]} <= "
                    f"breakpoints[{j - 1}] = {bps[j - 1]}"
                )
        means = _means_table("means", self.means, self.family, "segments")
        if means.shape[0] != len(bps) + 1:
            raise ValueError(
                f"means has {means.shape[0]} segments (rows); {len(bps)} breakpoints make {len(bps) + 1} segments"
            )
        for j in range(1, means.shape[0]):
            if np.array_equal(means[j], means[j - 1]):
                raise ValueError(
                    f"means[{j}] equals means[{j - 1}]: breakpoints[{j - 1}] = {bps[j - 1]} changes nothing"
                )
        object.__setattr__(self, "breakpoints", bps)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "sigma", check_real("sigma", self.sigma, low=0.0, low_open=True))

    @property
    def n_segments(self) -> int:
        """Number of stationary segments (breakpoints + 1).

        Examples
        --------
        >>> PiecewiseStationaryBandit([3], [[0.9, 0.1], [0.1, 0.9]]).n_segments
        2
        """
        return int(self.means.shape[0])

    @property
    def segment_starts(self) -> np.ndarray:
        """``(n_segments,)`` int64: the first round of every segment (``1, breakpoints...``).

        Examples
        --------
        >>> PiecewiseStationaryBandit([3, 7], [[0.9, 0.1], [0.1, 0.9], [0.5, 0.6]]).segment_starts.tolist()
        [1, 3, 7]
        """
        return readonly(np.array((1, *self.breakpoints), dtype=np.int64))

    @property
    def segment_means(self) -> np.ndarray:
        """``(n_segments, K)``: the means of every segment (``means``).

        Examples
        --------
        >>> PiecewiseStationaryBandit([3], [[0.9, 0.1], [0.1, 0.9]]).segment_means.tolist()
        [[0.9, 0.1], [0.1, 0.9]]
        """
        return self.means

    @property
    def best_arms(self) -> np.ndarray:
        """``(n_segments,)``: the best arm of every segment (lowest index among the maximisers).

        Examples
        --------
        >>> PiecewiseStationaryBandit([3], [[0.9, 0.9], [0.1, 0.9]]).best_arms.tolist()
        [0, 1]
        """
        return readonly(np.argmax(self.means, axis=1))

    def to_spec(self) -> dict:
        """JSON-serialisable description.

        Examples
        --------
        >>> PiecewiseStationaryBandit([3], [[0.9, 0.1], [0.1, 0.9]]).to_spec()["breakpoints"]
        [3]
        """
        return {
            "type": "PiecewiseStationaryBandit",
            "breakpoints": list(self.breakpoints),
            "means": self.means.tolist(),
            "family": self.family,
            "sigma": self.sigma,
        }


@dataclass(frozen=True, eq=False)
class DriftingBandit(_NonStationaryMixin):
    r"""A bandit whose means drift: ``means[t - 1, a]`` is the mean of arm ``a`` in round ``t``.

    Rewards are Bernoulli(``means[t - 1, a]``) or N(``means[t - 1, a]``,
    ``sigma^2``). :meth:`sinusoidal` builds the smoothly changing means
    :math:`\mu_t(a) = b_a + c_a \sin(2\pi t / P + \varphi_a)`. The simulated
    horizon is at most ``len(means)``.

    Examples
    --------
    >>> from rltheory.bandits import DriftingBandit
    >>> b = DriftingBandit([[0.2, 0.8], [0.5, 0.5], [0.8, 0.2]])
    >>> b.n_rounds, b.n_arms, b.n_breakpoints_until(3)
    (3, 2, 2)
    >>> DriftingBandit([[0.2, 1.5]])
    Traceback (most recent call last):
    ...
    ValueError: means[0, 1] = 1.5 is not a Bernoulli mean in [0, 1]
    """

    means: np.ndarray
    family: str = "bernoulli"
    sigma: float = 1.0

    def __post_init__(self):
        check_choice("family", self.family, FAMILIES)
        object.__setattr__(self, "means", _means_table("means", self.means, self.family, "rounds"))
        object.__setattr__(self, "sigma", check_real("sigma", self.sigma, low=0.0, low_open=True))
        # rounds whose means differ from the previous round's start a new constant stretch
        changed = np.flatnonzero((self.means[1:] != self.means[:-1]).any(axis=1)) + 2
        object.__setattr__(self, "_starts", readonly(np.concatenate(([1], changed)).astype(np.int64)))

    @classmethod
    def sinusoidal(cls, n_rounds, base, amplitude, period, phase=None, *, family="bernoulli", sigma=1.0):
        r"""Means :math:`\mu_t(a) = b_a + c_a \sin(2\pi t/P + \varphi_a)` for ``t = 1..n_rounds``.

        Examples
        --------
        >>> import math
        >>> b = DriftingBandit.sinusoidal(1000, [0.5, 0.5], [0.4, 0.4], 500, [0.0, math.pi])
        >>> b.means.shape, round(float(b.means[124, 0]), 6), round(float(b.means[124, 1]), 6)  # t = 125: sin = 1
        ((1000, 2), 0.9, 0.1)
        """
        n_rounds = check_int("n_rounds", n_rounds, low=1)
        base = np.asarray(base, dtype=np.float64)
        amplitude = np.asarray(amplitude, dtype=np.float64)
        check_shape("base", base, (None,))
        check_shape("amplitude", amplitude, (base.size,))
        period = check_real("period", period, low=0.0, low_open=True)
        phase = np.zeros(base.size) if phase is None else np.asarray(phase, dtype=np.float64)
        check_shape("phase", phase, (base.size,))
        t = np.arange(1, n_rounds + 1, dtype=np.float64)[:, None]
        means = base[None, :] + amplitude[None, :] * np.sin(2.0 * np.pi * t / period + phase[None, :])
        return cls(means, family=family, sigma=sigma)

    @property
    def n_rounds(self) -> int:
        """The number of rounds whose means are given (the longest simulable horizon).

        Examples
        --------
        >>> DriftingBandit([[0.2, 0.8], [0.5, 0.5]]).n_rounds
        2
        """
        return int(self.means.shape[0])

    @property
    def segment_starts(self) -> np.ndarray:
        """First rounds of the maximal stretches of constant means (``1`` and every changing round).

        Examples
        --------
        >>> DriftingBandit([[0.2, 0.8], [0.2, 0.8], [0.5, 0.5]]).segment_starts.tolist()
        [1, 3]
        """
        return self._starts

    @property
    def segment_means(self) -> np.ndarray:
        """The means of every stretch of :attr:`segment_starts` (what the driver reads).

        Examples
        --------
        >>> DriftingBandit([[0.2, 0.8], [0.2, 0.8], [0.5, 0.5]]).segment_means.tolist()
        [[0.2, 0.8], [0.5, 0.5]]
        """
        return readonly(self.means[self._starts - 1])

    def to_spec(self) -> dict:
        """JSON-serialisable description (the whole table of means).

        Examples
        --------
        >>> DriftingBandit([[0.2, 0.8]]).to_spec()
        {'type': 'DriftingBandit', 'means': [[0.2, 0.8]], 'family': 'bernoulli', 'sigma': 1.0}
        """
        return {"type": "DriftingBandit", "means": self.means.tolist(), "family": self.family, "sigma": self.sigma}


# ----------------------------------------------------------------------------
# the "nonstationary-bandit" kind: driver and registration
# ----------------------------------------------------------------------------


@njit(cache=True)
def nonstationary_run(init, select, update, params, problem, budget, times, streams, outputs, r):
    """Simulate run ``r``; returns 0, or the round at which ``select`` returned an invalid arm."""
    family, starts, seg_means, seg_best, sigma = problem
    K = seg_means.shape[1]
    n_seg = starts.shape[0]
    env = streams[r, :K]
    pol = streams[r, K]
    o_reg = outputs[0][r]
    o_real = outputs[1][r]
    o_pulls = outputs[2][r]
    state = init(params, K)
    counts = np.zeros(K, np.int64)
    regret = 0.0
    best_total = 0.0
    collected = 0.0
    seg = 0
    c = 0
    n_ckpt = times.shape[0]
    for t in range(1, budget + 1):
        while seg + 1 < n_seg and starts[seg + 1] <= t:
            seg += 1
        a = select(params, state, t, pol)
        if a < 0 or a >= K:
            return t
        mu = seg_means[seg, a]
        if family == 0:
            x = 1.0 if rng_uniform(env[a]) < mu else 0.0
        else:
            x = mu + sigma * rng_normal(env[a])
        # dynamic pseudo-regret: the gap to the best arm of this round (Garivier & Moulines 2011, Sec. 2)
        regret += seg_best[seg] - mu
        best_total += seg_best[seg]
        collected += x
        counts[a] += 1
        update(params, state, t, a, x, pol)
        if c < n_ckpt and t == times[c]:
            o_reg[c] = regret
            o_real[c] = best_total - collected
            for k in range(K):
                o_pulls[c, k] = counts[k]
            c += 1
    return 0


def _prepare(bandit, agent, n_rounds) -> PreparedProblem:
    if isinstance(bandit, DriftingBandit) and n_rounds > bandit.n_rounds:
        raise ValueError(f"n_rounds = {n_rounds} exceeds the {bandit.n_rounds} rounds of the DriftingBandit's means")
    K = bandit.n_arms
    seg_means = np.ascontiguousarray(bandit.segment_means, dtype=np.float64)
    arrays = (
        FAMILIES.index(bandit.family),
        np.ascontiguousarray(bandit.segment_starts, dtype=np.int64),
        seg_means,
        np.ascontiguousarray(seg_means.max(axis=1)),
        float(bandit.sigma),
    )

    def allocate(n_runs, n_checkpoints):
        return (
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints, K), dtype=np.int64),
        )

    def finish(times, outputs, run_start, metadata, confidence, interval):
        regret, realized, pulls = outputs
        return RegretCurve.from_runs(times, regret, realized, pulls, run_start, metadata, confidence, interval)

    starts = bandit.segment_starts
    metadata = {"regret": "dynamic: sum_t max_a mu_t(a) - mu_t(A_t)"}
    if isinstance(bandit, PiecewiseStationaryBandit):
        metadata["breakpoints"] = [int(s) for s in starts[1:] if s <= n_rounds]
    return PreparedProblem(
        driver=nonstationary_run,
        arrays=arrays,
        n_streams=K + 1,
        allocate=allocate,
        bytes_per_checkpoint=8 * (2 + K),
        finish=finish,
        rng="xoshiro256++ per arm (rewards) and one for the agent, seeded by SeedSequence(seed, spawn_key=(run,))",
        invalid_action=f"agent {{agent!r}} selected an arm outside [0, {K}) at {{at}} of run {{run}}",
        metadata=metadata,
    )


register_problem_kind(
    ProblemKind(
        name="nonstationary-bandit",
        problem_types=(PiecewiseStationaryBandit, DriftingBandit),
        agent_base=BanditAgent,
        budget="n_rounds",
        prepare=_prepare,
    )
)


# ----------------------------------------------------------------------------
# tuning helpers
# ----------------------------------------------------------------------------


def _upsilon(agent, problem, budget) -> int:
    r""":math:`\Upsilon_T`: the agent's ``n_breakpoints``, else the instance's breakpoints up to ``budget``, else 0."""
    if agent.n_breakpoints is not None:
        return agent.n_breakpoints
    if isinstance(problem, PiecewiseStationaryBandit | DriftingBandit):
        return problem.n_breakpoints_until(budget)
    return 0


def _optional_int(name, value, low):
    return None if value is None else check_int(name, value, low=low)


def _optional_real(name, value, **bounds):
    return None if value is None else check_real(name, value, **bounds)


@njit(cache=True)
def _lowest_unplayed(counts):
    for a in range(counts.shape[0]):
        if counts[a] == 0.0:
            return a
    return -1


# ----------------------------------------------------------------------------
# Sliding-window UCB
# ----------------------------------------------------------------------------


class _SWParams(NamedTuple):
    tau: int
    xi: float
    B: float


@njit(cache=True)
def _sw_init(params, n_arms):
    # stats: row 0 pulls in the window, row 1 their reward sum; ring buffers of the last tau arms and rewards
    return np.zeros((2, n_arms)), np.zeros(params.tau, np.int64), np.zeros(params.tau)


@njit(cache=True)
def _sw_select(params, state, t, rng):
    stats = state[0]
    a = _lowest_unplayed(stats[0])
    if a >= 0:
        return a
    K = stats.shape[1]
    lg = math.log(min(t - 1, params.tau))
    best = 0
    bv = -np.inf
    for i in range(K):
        v = stats[1, i] / stats[0, i] + params.B * math.sqrt(params.xi * lg / stats[0, i])
        if v > bv:
            bv = v
            best = i
    return best


@njit(cache=True)
def _sw_update(params, state, t, arm, reward, rng):
    stats, arms, rewards = state
    pos = (t - 1) % params.tau
    if t > params.tau:  # round t - tau leaves the window
        old = arms[pos]
        stats[0, old] -= 1.0
        stats[1, old] = 0.0 if stats[0, old] == 0.0 else stats[1, old] - rewards[pos]
    arms[pos] = arm
    rewards[pos] = reward
    stats[0, arm] += 1.0
    stats[1, arm] += reward


@dataclass(frozen=True)
class SlidingWindowUCB(BanditAgent):
    r"""Sliding-window UCB (SW-UCB): UCB on the last :math:`\tau` rounds only.

    Garivier & Moulines (2011), *On upper-confidence bound policies for
    switching bandit problems*, ALT, Sec. 4: after one pull of every arm, round
    :math:`t + 1` plays :math:`\arg\max_i \bar X_t(\tau, i) + c_t(\tau, i)` with
    :math:`N_t(\tau, i) = \sum_{s = t - \tau + 1}^{t} 1\{I_s = i\}`, the window
    mean :math:`\bar X_t(\tau, i)` and

    .. math:: c_t(\tau, i) = B \sqrt{\xi \log(\min(t, \tau)) / N_t(\tau, i)}

    (an arm absent from the window has an infinite index: the lowest such arm is
    played). With rewards in :math:`[0, B]`, :math:`\xi > 1/2` and
    :math:`\tau = 2B\sqrt{T\log T / \Upsilon_T}` (the default, floored, at least 1),
    their Theorem 2 bounds the expected number of suboptimal pulls by
    :math:`O(\sqrt{T \Upsilon_T \log T})`. ``n_breakpoints`` defaults to the
    instance's :math:`\Upsilon_T` (0 on a stationary bandit); :math:`\Upsilon_T = 0`
    is replaced by 1 in the tuning.

    Parameters
    ----------
    window : int, optional
        :math:`\tau`; overrides the tuning.
    n_breakpoints : int, optional
        :math:`\Upsilon_T` used by the tuning.
    xi : float
        :math:`\xi > 1/2` (default 0.6).
    B : float
        Reward bound :math:`B` (1 for Bernoulli rewards).

    Examples
    --------
    >>> from rltheory.bandits import PiecewiseStationaryBandit, SlidingWindowUCB
    >>> from rltheory.simulation import simulate
    >>> b = PiecewiseStationaryBandit([2000], [[0.9, 0.1], [0.1, 0.9]])
    >>> SlidingWindowUCB().compiled_params(b, 4000).tau  # floor(2 sqrt(4000 log 4000 / 1))
    364
    >>> curve = simulate(b, SlidingWindowUCB(), n_rounds=4000, n_runs=4, checkpoints=4)
    >>> bool((curve.final < 400).all())  # far below the 2000 of the policy that ignores the switch
    True
    """

    window: int | None = None
    n_breakpoints: int | None = None
    xi: float = 0.6
    B: float = 1.0

    name: ClassVar[str] = "SlidingWindowUCB"
    Params: ClassVar = _SWParams
    init: ClassVar = staticmethod(_sw_init)
    select: ClassVar = staticmethod(_sw_select)
    update: ClassVar = staticmethod(_sw_update)

    def __post_init__(self):
        object.__setattr__(self, "window", _optional_int("window", self.window, 1))
        object.__setattr__(self, "n_breakpoints", _optional_int("n_breakpoints", self.n_breakpoints, 0))
        object.__setattr__(self, "xi", check_real("xi", self.xi, low=0.0, low_open=True))
        object.__setattr__(self, "B", check_real("B", self.B, low=0.0, low_open=True))

    def compiled_params(self, problem, budget):
        tau = self.window
        if tau is None:
            ups = max(_upsilon(self, problem, budget), 1)
            tau = max(1, int(math.floor(2.0 * self.B * math.sqrt(budget * math.log(budget) / ups))))
        return _SWParams(int(tau), self.xi, self.B)


# ----------------------------------------------------------------------------
# Discounted UCB
# ----------------------------------------------------------------------------


class _DParams(NamedTuple):
    gamma: float
    xi: float
    B: float


@njit(cache=True)
def _d_init(params, n_arms):
    return np.zeros((2, n_arms))  # discounted pulls N_t(gamma, i), discounted reward sums


@njit(cache=True)
def _d_select(params, state, t, rng):
    a = _lowest_unplayed(state[0])
    if a >= 0:
        return a
    K = state.shape[1]
    n = 0.0
    for i in range(K):
        n += state[0, i]
    lg = math.log(n)
    best = 0
    bv = -np.inf
    for i in range(K):
        v = state[1, i] / state[0, i] + 2.0 * params.B * math.sqrt(params.xi * lg / state[0, i])
        if v > bv:
            bv = v
            best = i
    return best


@njit(cache=True)
def _d_update(params, state, t, arm, reward, rng):
    g = params.gamma
    for i in range(state.shape[1]):
        state[0, i] *= g
        state[1, i] *= g
    state[0, arm] += 1.0
    state[1, arm] += reward


@dataclass(frozen=True)
class DiscountedUCB(BanditAgent):
    r"""Discounted UCB (D-UCB): UCB on geometrically discounted statistics.

    Garivier & Moulines (2011), ALT, Sec. 3 (after Kocsis & Szepesvári 2006):
    with :math:`N_t(\gamma, i) = \sum_{s \le t} \gamma^{t-s} 1\{I_s = i\}`, the
    discounted mean :math:`\bar X_t(\gamma, i)`, :math:`n_t(\gamma) = \sum_i
    N_t(\gamma, i)`, round :math:`t + 1` plays :math:`\arg\max_i \bar X_t(\gamma, i)
    + c_t(\gamma, i)` with

    .. math:: c_t(\gamma, i) = 2B \sqrt{\xi \log n_t(\gamma) / N_t(\gamma, i)}

    (unplayed arms first). With rewards in :math:`[0, B]`, :math:`\xi > 1/2` and
    :math:`\gamma = 1 - (4B)^{-1}\sqrt{\Upsilon_T / T}` (the default), their
    Theorem 1 bounds the expected number of suboptimal pulls by
    :math:`O(\sqrt{T\Upsilon_T}\log T)`. ``n_breakpoints`` defaults to the
    instance's :math:`\Upsilon_T`; :math:`\Upsilon_T = 0` is replaced by 1.

    Parameters
    ----------
    gamma : float, optional
        Discount in ``(0, 1]``; overrides the tuning.
    n_breakpoints : int, optional
    xi : float
        :math:`\xi > 1/2` (default 0.6).
    B : float
        Reward bound.

    Examples
    --------
    >>> from rltheory.bandits import DiscountedUCB, PiecewiseStationaryBandit
    >>> b = PiecewiseStationaryBandit([2000], [[0.9, 0.1], [0.1, 0.9]])
    >>> round(DiscountedUCB().compiled_params(b, 4000).gamma, 6)  # 1 - sqrt(1 / 4000) / 4
    0.996047
    """

    gamma: float | None = None
    n_breakpoints: int | None = None
    xi: float = 0.6
    B: float = 1.0

    name: ClassVar[str] = "DiscountedUCB"
    Params: ClassVar = _DParams
    init: ClassVar = staticmethod(_d_init)
    select: ClassVar = staticmethod(_d_select)
    update: ClassVar = staticmethod(_d_update)

    def __post_init__(self):
        object.__setattr__(self, "gamma", _optional_real("gamma", self.gamma, low=0.0, low_open=True, high=1.0))
        object.__setattr__(self, "n_breakpoints", _optional_int("n_breakpoints", self.n_breakpoints, 0))
        object.__setattr__(self, "xi", check_real("xi", self.xi, low=0.0, low_open=True))
        object.__setattr__(self, "B", check_real("B", self.B, low=0.0, low_open=True))

    def compiled_params(self, problem, budget):
        gamma = self.gamma
        if gamma is None:
            ups = max(_upsilon(self, problem, budget), 1)
            gamma = max(1.0 - math.sqrt(ups / budget) / (4.0 * self.B), 0.0)
        if gamma <= 0.0:
            raise ValueError(f"DiscountedUCB: the tuned discount {gamma} is not in (0, 1]; give gamma=")
        return _DParams(float(gamma), self.xi, self.B)


# ----------------------------------------------------------------------------
# M-UCB
# ----------------------------------------------------------------------------


class _MParams(NamedTuple):
    w: int
    b: float
    explore: int  # floor(K / gamma); 0 without forced exploration


@njit(cache=True)
def _m_init(params, n_arms):
    # stats: row 0 pulls since the restart, row 1 reward sums, [2, 0] the restart round tau;
    # buf[a, n % w]: the last w rewards of arm a since the restart
    return np.zeros((3, n_arms)), np.zeros((n_arms, params.w))


@njit(cache=True)
def _forced_arm(explore, s, K):
    """Forced exploration of M-UCB and GLR-klUCB: arm ``j - 1`` when ``j = s mod explore`` is in ``1..K``."""
    if explore > 0:
        j = s % explore
        if j >= 1 and j <= K:
            return j - 1
    return -1


@njit(cache=True)
def _m_select(params, state, t, rng):
    stats = state[0]
    K = stats.shape[1]
    s = t - int(stats[2, 0])
    a = _forced_arm(params.explore, s, K)
    if a >= 0:
        return a
    a = _lowest_unplayed(stats[0])
    if a >= 0:
        return a
    lg = math.log(s)
    best = 0
    bv = -np.inf
    for i in range(K):
        v = stats[1, i] / stats[0, i] + math.sqrt(2.0 * lg / stats[0, i])
        if v > bv:
            bv = v
            best = i
    return best


@njit(cache=True)
def _m_update(params, state, t, arm, reward, rng):
    stats, buf = state
    w = params.w
    n = int(stats[0, arm])
    buf[arm, n % w] = reward
    stats[0, arm] += 1.0
    stats[1, arm] += reward
    n += 1
    if n >= w:
        # the last w rewards, oldest first, start at position n % w; CD(w, b): |second half - first half| > b
        start = n % w
        half = w // 2
        first = 0.0
        second = 0.0
        for i in range(half):
            first += buf[arm, (start + i) % w]
        for i in range(half, w):
            second += buf[arm, (start + i) % w]
        if abs(second - first) > params.b:
            for k in range(stats.shape[1]):
                stats[0, k] = 0.0
                stats[1, k] = 0.0
            stats[2, 0] = t


@dataclass(frozen=True)
class MUCB(BanditAgent):
    r"""Monitored UCB (M-UCB): UCB with uniform forced exploration and a windowed change detector.

    Cao, Wen, Kveton & Xie (2019), *Nearly optimal adaptive procedure with
    change detection for piecewise-stationary bandit*, AISTATS, Algorithm 1.
    With :math:`\tau` the last detection (0 at first) and :math:`L = \lfloor
    K/\gamma\rfloor`: if :math:`j = (t - \tau) \bmod L \in \{1, \dots, K\}` arm
    :math:`j` is played (forced exploration, rate :math:`\gamma`), else the UCB
    arm :math:`\arg\max_k \hat\mu_k + \sqrt{2\log(t - \tau)/n_k}` on the samples
    since :math:`\tau` (unplayed arms first). After every pull of an arm with at
    least :math:`w` samples since :math:`\tau`, the detector CD(w, b) tests its
    last :math:`w` rewards :math:`Y_1..Y_w`: if :math:`|\sum_{i > w/2} Y_i -
    \sum_{i \le w/2} Y_i| > b`, then :math:`\tau \leftarrow t` and every arm's
    statistics restart.

    Default tuning (Cao et al., Sec. 4, as used in Besson et al. 2022's
    experiments): :math:`w` the smallest even integer
    :math:`\ge (4/\delta^2)(\sqrt{\log(2KT^2)} + \sqrt{\log(2T)})^2` with
    :math:`\delta` the smallest change (``min_change``, default the instance's),
    :math:`b = \sqrt{w \log(2KT^2)/2}` and :math:`\gamma = \min\{1,
    \sqrt{\Upsilon_T K (2b + 3\sqrt w)/(2T)}\}`; their Theorem 1 then gives a
    regret :math:`O(\sqrt{\Upsilon_T K T \log T})`. Without a breakpoint
    (:math:`\Upsilon_T = 0`) the tuned :math:`\gamma` is 0: no forced exploration.

    Parameters
    ----------
    window : int, optional
        :math:`w` (even, >= 2).
    threshold : float, optional
        :math:`b`.
    gamma : float, optional
        Forced-exploration rate in ``[0, 1]``.
    min_change : float, optional
        :math:`\delta` for the tuning of :math:`w`.
    n_breakpoints : int, optional
        :math:`\Upsilon_T` for the tuning of :math:`\gamma`.

    Examples
    --------
    >>> from rltheory.bandits import MUCB, PiecewiseStationaryBandit
    >>> b = PiecewiseStationaryBandit([5000], [[0.9, 0.1], [0.1, 0.9]])
    >>> p = MUCB().compiled_params(b, 10_000)
    >>> p.w, round(p.b, 3), p.explore  # delta = 0.8: w = ceil(6.25 (sqrt(log 4e8) + sqrt(log 2e4))^2) = 361, even
    (362, 59.875, 15)
    """

    window: int | None = None
    threshold: float | None = None
    gamma: float | None = None
    min_change: float | None = None
    n_breakpoints: int | None = None

    name: ClassVar[str] = "MUCB"
    Params: ClassVar = _MParams
    init: ClassVar = staticmethod(_m_init)
    select: ClassVar = staticmethod(_m_select)
    update: ClassVar = staticmethod(_m_update)

    def __post_init__(self):
        w = _optional_int("window", self.window, 2)
        if w is not None and w % 2:
            raise ValueError(f"window = {w} must be even (the detector compares its two halves)")
        object.__setattr__(self, "window", w)
        object.__setattr__(self, "threshold", _optional_real("threshold", self.threshold, low=0.0))
        object.__setattr__(self, "gamma", _optional_real("gamma", self.gamma, low=0.0, high=1.0))
        object.__setattr__(self, "min_change", _optional_real("min_change", self.min_change, low=0.0, low_open=True))
        object.__setattr__(self, "n_breakpoints", _optional_int("n_breakpoints", self.n_breakpoints, 0))

    def compiled_params(self, problem, budget):
        K = problem.n_arms
        T = budget
        w = self.window
        if w is None:
            delta = self.min_change
            if delta is None:
                delta = problem.min_change(T) if isinstance(problem, _NonStationaryMixin) else math.inf
            if not math.isfinite(delta):
                raise ValueError("MUCB: no breakpoint to tune the window on; give window= or min_change=")
            w = math.ceil(4.0 / delta**2 * (math.sqrt(math.log(2 * K * T**2)) + math.sqrt(math.log(2 * T))) ** 2)
            w += w % 2
        b = self.threshold if self.threshold is not None else math.sqrt(w * math.log(2 * K * T**2) / 2.0)
        gamma = self.gamma
        if gamma is None:
            ups = _upsilon(self, problem, budget)
            gamma = min(1.0, math.sqrt(ups * K * (2.0 * b + 3.0 * math.sqrt(w)) / (2.0 * T)))
        explore = int(math.floor(K / gamma)) if gamma > 0.0 else 0
        return _MParams(int(w), float(b), explore)


# ----------------------------------------------------------------------------
# GLR-klUCB
# ----------------------------------------------------------------------------


class _GLRParams(NamedTuple):
    horizon: int
    log_inv_delta: float
    explore: int
    check_every: int
    split_every: int


@njit(cache=True)
def glr_statistic_exceeds(cum, n, threshold, split_every):
    r"""Bernoulli GLR change-point test on ``n`` samples with prefix sums ``cum[0..n]``.

    True iff some split ``s`` (``1 <= s < n``, ``s`` a multiple of ``split_every``) has
    :math:`s\,\mathrm{kl}(\hat\mu_{1:s}, \hat\mu_{1:n}) + (n-s)\,\mathrm{kl}(\hat\mu_{s+1:n}, \hat\mu_{1:n}) \ge`
    ``threshold`` (Besson et al. 2022, eq. (4)).
    """
    mu = cum[n] / n
    for s in range(split_every, n, split_every):
        m1 = cum[s] / s
        m2 = (cum[n] - cum[s]) / (n - s)
        if s * bernoulli_kl(m1, mu) + (n - s) * bernoulli_kl(m2, mu) >= threshold:
            return True
    return False


@njit(cache=True)
def _glr_init(params, n_arms):
    # stats: row 0 pulls since the restart, row 1 reward sums, [2, 0] the restart round tau;
    # cum[a, n]: sum of the first n rewards of arm a since the restart
    return np.zeros((3, n_arms)), np.zeros((n_arms, params.horizon + 1))


@njit(cache=True)
def _glr_select(params, state, t, rng):
    stats = state[0]
    K = stats.shape[1]
    s = t - int(stats[2, 0])
    a = _forced_arm(params.explore, s, K)
    if a >= 0:
        return a
    a = _lowest_unplayed(stats[0])
    if a >= 0:
        return a
    lg = math.log(s)
    best = 0
    bv = -np.inf
    for i in range(K):
        v = klucb_bernoulli(stats[1, i] / stats[0, i], lg / stats[0, i])
        if v > bv:
            bv = v
            best = i
    return best


@njit(cache=True)
def _glr_update(params, state, t, arm, reward, rng):
    stats, cum = state
    n = int(stats[0, arm]) + 1
    stats[0, arm] = n
    stats[1, arm] += reward
    cum[arm, n] = cum[arm, n - 1] + reward
    if n >= 2 and n % params.check_every == 0:
        # beta(n, delta) = log(3 n^{3/2} / delta)
        threshold = math.log(3.0) + 1.5 * math.log(n) + params.log_inv_delta
        if glr_statistic_exceeds(cum[arm], n, threshold, params.split_every):
            for k in range(stats.shape[1]):
                stats[0, k] = 0.0
                stats[1, k] = 0.0
            stats[2, 0] = t


@dataclass(frozen=True)
class GLRklUCB(BanditAgent):
    r"""GLR-klUCB with global restarts: kl-UCB, forced exploration and the Bernoulli GLR change-point test.

    Besson, Kaufmann, Maillard & Seznec (2022), *Efficient change-point
    detection for tackling piecewise-stationary bandits*, JMLR 23, Algorithm 1
    (global restarts). With :math:`\tau` the last restart and :math:`L =
    \lfloor K/\alpha\rfloor`: if :math:`j = (t - \tau) \bmod L \in \{1..K\}` arm
    :math:`j` is played, else :math:`\arg\max_k \max\{q : n_k\,\mathrm{kl}(\hat\mu_k,
    q) \le \log(t - \tau)\}` (kl-UCB on the samples since :math:`\tau`, unplayed
    arms first). After a pull of arm :math:`a` with :math:`n` samples since the
    restart, the Bernoulli GLR test (:func:`glr_statistic_exceeds`)

    .. math:: \sup_{1 \le s < n} s\,\mathrm{kl}(\hat\mu_{1:s}, \hat\mu_{1:n})
              + (n - s)\,\mathrm{kl}(\hat\mu_{s+1:n}, \hat\mu_{1:n}) \ge \beta(n, \delta)

    with :math:`\beta(n, \delta) = \log(3n^{3/2}/\delta)` (the threshold of the
    paper's experiments; its theorems use a slightly larger one) restarts every
    arm. Defaults: :math:`\delta = 1/\sqrt{\Upsilon_T T}` and :math:`\alpha =
    \min\{1, \sqrt{\Upsilon_T K \log(T)/T}\}` (:math:`\Upsilon_T` of the
    instance, replaced by 1 when 0), the tuning of the paper's regret bound
    :math:`O(K\sqrt{\Upsilon_T T \log T})` for a known number of breakpoints.
    ``check_every`` (:math:`\Delta n`) and ``split_every`` (:math:`\Delta s`) are
    the paper's speed-ups (test every :math:`\Delta n` samples, splits on
    multiples of :math:`\Delta s`); the defaults 1, 1 run the exact test.

    Parameters
    ----------
    delta : float, optional
        Confidence level of the test, in (0, 1).
    alpha : float, optional
        Forced-exploration rate in [0, 1].
    n_breakpoints : int, optional
    check_every, split_every : int

    Examples
    --------
    >>> from rltheory.bandits import GLRklUCB, PiecewiseStationaryBandit
    >>> from rltheory.simulation import simulate
    >>> b = PiecewiseStationaryBandit([1000], [[0.9, 0.1], [0.1, 0.9]])
    >>> p = GLRklUCB().compiled_params(b, 2000)
    >>> round(p.log_inv_delta, 4), p.explore  # log sqrt(2000), floor(2 / sqrt(2 log(2000) / 2000))
    (3.8005, 22)
    >>> curve = simulate(b, GLRklUCB(), n_rounds=2000, n_runs=4, checkpoints=4)
    >>> bool((curve.final < 300).all())
    True
    """

    delta: float | None = None
    alpha: float | None = None
    n_breakpoints: int | None = None
    check_every: int = 1
    split_every: int = 1

    name: ClassVar[str] = "GLRklUCB"
    Params: ClassVar = _GLRParams
    init: ClassVar = staticmethod(_glr_init)
    select: ClassVar = staticmethod(_glr_select)
    update: ClassVar = staticmethod(_glr_update)

    def __post_init__(self):
        d = _optional_real("delta", self.delta, low=0.0, low_open=True, high=1.0, high_open=True)
        object.__setattr__(self, "delta", d)
        object.__setattr__(self, "alpha", _optional_real("alpha", self.alpha, low=0.0, high=1.0))
        object.__setattr__(self, "n_breakpoints", _optional_int("n_breakpoints", self.n_breakpoints, 0))
        object.__setattr__(self, "check_every", check_int("check_every", self.check_every, low=1))
        object.__setattr__(self, "split_every", check_int("split_every", self.split_every, low=1))

    def compiled_params(self, problem, budget):
        if isinstance(problem, GaussianBandit) or getattr(problem, "family", "bernoulli") != "bernoulli":
            raise ValueError(
                f"GLRklUCB: the Bernoulli GLR test and kl-UCB need rewards in [0, 1]; got a {type(problem).__name__} "
                "with Gaussian rewards"
            )
        K = problem.n_arms
        T = budget
        ups = max(_upsilon(self, problem, budget), 1)
        log_inv_delta = -math.log(self.delta) if self.delta is not None else 0.5 * math.log(ups * T)
        alpha = self.alpha
        if alpha is None:
            alpha = min(1.0, math.sqrt(ups * K * math.log(T) / T)) if T > 1 else 1.0
        explore = int(math.floor(K / alpha)) if alpha > 0.0 else 0
        return _GLRParams(int(T), float(log_inv_delta), explore, self.check_every, self.split_every)


# ----------------------------------------------------------------------------
# published bounds
# ----------------------------------------------------------------------------

_ORDERS = {
    "SlidingWindowUCB": "sqrt(T Upsilon log T)  (Garivier & Moulines 2011, Thm 2)",
    "DiscountedUCB": "sqrt(T Upsilon) log T  (Garivier & Moulines 2011, Thm 1)",
    "MUCB": "sqrt(Upsilon K T log T)  (Cao, Wen, Kveton & Xie 2019, Thm 1)",
    "GLRklUCB": "K sqrt(Upsilon T log T)  (Besson, Kaufmann, Maillard & Seznec 2022, global restarts, known Upsilon)",
    "lower": "sqrt(T)  (Garivier & Moulines 2011, Thm 3: some switching problem forces it on every policy)",
}


def nonstationary_regret_order(algorithm: str, n_rounds, n_breakpoints: int = 1, n_arms: int = 2):
    r"""The published regret order of a non-stationary bandit algorithm, with constant 1.

    The papers state these bounds as orders (their constants are not stated
    in closed form in the theorems), so this is the *rate* only, for
    reference slopes and claims, never a certified bound:

    ============================  ==========================================
    ``"SlidingWindowUCB"``         :math:`\sqrt{T\Upsilon_T\log T}`
    ``"DiscountedUCB"``            :math:`\sqrt{T\Upsilon_T}\,\log T`
    ``"MUCB"``                     :math:`\sqrt{\Upsilon_T K T \log T}`
    ``"GLRklUCB"``                 :math:`K\sqrt{\Upsilon_T T \log T}`
    ``"lower"``                    :math:`\sqrt{T}` (the minimax lower bound)
    ============================  ==========================================

    (:math:`\Upsilon_T` is replaced by 1 when 0; references in the agents' docstrings.)

    Parameters
    ----------
    algorithm : str
        One of the keys above.
    n_rounds : int or array_like
        :math:`T` (``>= 2`` so that :math:`\log T > 0`).
    n_breakpoints, n_arms : int

    Examples
    --------
    >>> from rltheory.bandits import nonstationary_regret_order
    >>> float(nonstationary_regret_order("SlidingWindowUCB", 10_000, 4)) == (10_000 * 4 * math.log(10_000)) ** 0.5
    True
    >>> nonstationary_regret_order("UCB1", 100)
    Traceback (most recent call last):
    ...
    ValueError: algorithm = 'UCB1' must be one of ('SlidingWindowUCB', 'DiscountedUCB', 'MUCB', 'GLRklUCB', ...
    """
    check_choice("algorithm", algorithm, tuple(_ORDERS))
    T = np.asarray(n_rounds, dtype=np.float64)
    if (T < 2).any():
        raise ValueError(f"n_rounds must be >= 2, got {n_rounds!r}")
    ups = max(check_int("n_breakpoints", n_breakpoints, low=0), 1)
    K = check_int("n_arms", n_arms, low=2)
    if algorithm == "SlidingWindowUCB":
        return np.sqrt(T * ups * np.log(T))
    if algorithm == "DiscountedUCB":
        return np.sqrt(T * ups) * np.log(T)
    if algorithm == "MUCB":
        return np.sqrt(ups * K * T * np.log(T))
    if algorithm == "GLRklUCB":
        return K * np.sqrt(ups * T * np.log(T))
    return np.sqrt(T)
