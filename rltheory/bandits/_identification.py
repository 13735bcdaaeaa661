r"""Best-arm identification as a problem kind of :func:`rltheory.simulation.simulate`: problems, agents, results.

Two problems wrap a stochastic bandit with a unique best arm :math:`a^*`:

* :class:`IdentificationProblem` ``(bandit, delta)``, the *fixed-confidence*
  setting: the agent samples until it decides to stop (a stopping time
  :math:`\tau`) and recommends :math:`\hat a_\tau`; it is :math:`\delta`-correct
  when :math:`\mathbb P(\tau < \infty, \hat a_\tau \ne a^*) \le \delta`
  (Garivier & Kaufmann 2016, Sec. 1);
* :class:`FixedBudgetProblem` ``(bandit, budget)``, the *fixed-budget*
  setting: the agent has ``budget`` samples and then recommends; its error is
  :math:`e_T = \mathbb P(\hat a_T \ne a^*)` (Audibert & Bubeck 2010, Sec. 2).

Both are problems of the ``"identification"`` kind, whose agents are
:class:`IdentificationAgent` s: the bandit protocol (``init``, ``select``,
``update``, see :class:`~rltheory.bandits.BanditAgent`) with two more compiled
functions,

* ``stop(params, state, t) -> bool``: called after the update of round ``t``
  (``t`` samples observed); ``True`` ends the run with :math:`\tau = t`;
* ``recommend(params, state) -> arm``: the recommendation, called once at the end.

The run ends at the first ``t`` where ``stop`` is true, at the fixed budget,
or at the cap ``n_rounds`` of :func:`~rltheory.simulation.simulate` (a
fixed-confidence run that reaches the cap is recorded as *not stopped*; a
fixed-budget problem's budget may not exceed the cap). Rewards come from one
xoshiro256++ stream per arm as in the ``"bandit"`` kind (the ``n``-th pull of
an arm pays the same whatever the agent), the agent draws from its own stream.

:func:`~rltheory.simulation.simulate` returns an :class:`IdentificationResult`:
per run the stopping time, the recommendation, whether it is correct, whether
the run stopped, and the pulls of each arm; with the mean stopping time and its
confidence interval, the error frequency with its Clopper-Pearson interval, and
quantiles.
"""

from __future__ import annotations

import csv
import json
import math
import zipfile
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import ClassVar

import numpy as np
from numba import njit

from .._validation import check_int, check_probability, readonly
from ..simulation import Agent, PreparedProblem, ProblemKind, register_problem_kind, rng_beta, rng_normal, rng_uniform
from ._instances import BernoulliBandit, BoundedBandit, GaussianBandit, bandit_from_spec

__all__ = [
    "FixedBudgetProblem",
    "IdentificationAgent",
    "IdentificationProblem",
    "IdentificationResult",
    "clopper_pearson",
    "plot_error_rates",
    "plot_stopping_times",
]

_BERNOULLI, _GAUSSIAN, _BETA = 0, 1, 2
_STOCHASTIC = (BernoulliBandit, GaussianBandit, BoundedBandit)


def _check_bandit(bandit, who):
    if not isinstance(bandit, _STOCHASTIC):
        raise ValueError(
            f"{who}: bandit must be a BernoulliBandit, GaussianBandit or BoundedBandit (a stochastic bandit), "
            f"got {type(bandit).__name__}"
        )
    means = np.asarray(bandit.means)
    top = np.flatnonzero(means == means.max())
    if top.size > 1:
        raise ValueError(
            f"{who}: arms {top.tolist()} share the largest mean {float(means.max())!r}; best-arm identification "
            "needs a unique best arm"
        )


class _Wrapped:
    """Shared read-only views of the wrapped bandit."""

    @property
    def n_arms(self) -> int:
        return self.bandit.n_arms

    @property
    def means(self) -> np.ndarray:
        return self.bandit.means

    @property
    def best_arm(self) -> int:
        return self.bandit.best_arm

    @property
    def gaps(self) -> np.ndarray:
        return self.bandit.gaps

    def __eq__(self, other):
        return type(self) is type(other) and self.to_spec() == other.to_spec()

    def __hash__(self):
        return hash(json.dumps(self.to_spec(), sort_keys=True))


@dataclass(frozen=True, eq=False)
class IdentificationProblem(_Wrapped):
    r"""Fixed-confidence best-arm identification on ``bandit`` at risk ``delta``.

    Parameters
    ----------
    bandit : BernoulliBandit, GaussianBandit or BoundedBandit
        With a unique best arm.
    delta : float
        The risk in ``(0, 1)``: a :math:`\delta`-correct agent has
        :math:`\mathbb P(\tau < \infty, \hat a_\tau \ne a^*) \le \delta`.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, IdentificationProblem
    >>> p = IdentificationProblem(BernoulliBandit([0.6, 0.4]), delta=0.05)
    >>> p.best_arm, p.to_spec()["delta"]
    (0, 0.05)
    """

    bandit: object
    delta: float

    def __post_init__(self):
        _check_bandit(self.bandit, "IdentificationProblem")
        object.__setattr__(self, "delta", check_probability("delta", self.delta))

    def to_spec(self) -> dict:
        """A JSON-able dict: the bandit's spec and ``delta`` (:meth:`from_spec` inverts it).

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, IdentificationProblem
        >>> IdentificationProblem(BernoulliBandit([0.6, 0.4]), delta=0.05).to_spec()
        {'type': 'IdentificationProblem', 'bandit': {'type': 'BernoulliBandit', 'means': [0.6, 0.4]}, 'delta': 0.05}
        """
        return {"type": "IdentificationProblem", "bandit": self.bandit.to_spec(), "delta": self.delta}

    @classmethod
    def from_spec(cls, spec: dict) -> IdentificationProblem:
        """Inverse of :meth:`to_spec`.

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, IdentificationProblem
        >>> p = IdentificationProblem(BernoulliBandit([0.6, 0.4]), delta=0.05)
        >>> IdentificationProblem.from_spec(p.to_spec()) == p
        True
        """
        return cls(bandit_from_spec(spec["bandit"]), spec["delta"])


@dataclass(frozen=True, eq=False)
class FixedBudgetProblem(_Wrapped):
    r"""Fixed-budget best-arm identification on ``bandit`` with ``budget`` samples.

    ``simulate(FixedBudgetProblem(bandit, T), agent, n_rounds=N)`` needs ``N >= T``: every run ends at
    (at most) ``T`` samples and the agent then recommends.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, FixedBudgetProblem
    >>> FixedBudgetProblem(BernoulliBandit([0.6, 0.4, 0.3]), budget=300).budget
    300
    """

    bandit: object
    budget: int

    def __post_init__(self):
        _check_bandit(self.bandit, "FixedBudgetProblem")
        object.__setattr__(self, "budget", check_int("budget", self.budget, low=self.bandit.n_arms))

    def to_spec(self) -> dict:
        """A JSON-able dict: the bandit's spec and ``budget`` (:meth:`from_spec` inverts it).

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, FixedBudgetProblem
        >>> FixedBudgetProblem(BernoulliBandit([0.6, 0.4]), budget=300).to_spec()
        {'type': 'FixedBudgetProblem', 'bandit': {'type': 'BernoulliBandit', 'means': [0.6, 0.4]}, 'budget': 300}
        """
        return {"type": "FixedBudgetProblem", "bandit": self.bandit.to_spec(), "budget": self.budget}

    @classmethod
    def from_spec(cls, spec: dict) -> FixedBudgetProblem:
        """Inverse of :meth:`to_spec`.

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, FixedBudgetProblem
        >>> p = FixedBudgetProblem(BernoulliBandit([0.6, 0.4, 0.3]), budget=300)
        >>> FixedBudgetProblem.from_spec(p.to_spec()) == p
        True
        """
        return cls(bandit_from_spec(spec["bandit"]), spec["budget"])


@dataclass(frozen=True)
class IdentificationAgent(Agent):
    """Base class of identification strategies: agents of the ``"identification"`` problem kind.

    The bandit protocol plus ``stop`` and ``recommend`` (module docstring). ``compiled_params(problem,
    budget)`` receives the :class:`IdentificationProblem` (read ``problem.delta``) or the
    :class:`FixedBudgetProblem` (read ``problem.budget``).

    Examples
    --------
    Uniform sampling that stops after 20 rounds and recommends the best empirical mean:

    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> from numba import njit
    >>> from rltheory.bandits import BernoulliBandit, IdentificationAgent, IdentificationProblem
    >>> from rltheory.simulation import simulate
    >>> @njit
    ... def u_init(params, n_arms):
    ...     return np.zeros((2, n_arms))
    >>> @njit
    ... def u_select(params, state, t, rng):
    ...     return (t - 1) % state.shape[1]
    >>> @njit
    ... def u_update(params, state, t, arm, reward, rng):
    ...     state[0, arm] += 1.0
    ...     state[1, arm] += reward
    >>> @njit
    ... def u_stop(params, state, t):
    ...     return t >= 20
    >>> @njit
    ... def u_recommend(params, state):
    ...     return int(np.argmax(state[1] / state[0]))
    >>> @dataclass(frozen=True)
    ... class Uniform20(IdentificationAgent):
    ...     name = "Uniform20"
    ...     init = staticmethod(u_init)
    ...     select = staticmethod(u_select)
    ...     update = staticmethod(u_update)
    ...     stop = staticmethod(u_stop)
    ...     recommend = staticmethod(u_recommend)
    >>> res = simulate(IdentificationProblem(BernoulliBandit([0.9, 0.1]), 0.1), Uniform20(), n_rounds=100, n_runs=5)
    >>> res.stopping_times.tolist(), res.pulls[0].tolist()
    ([20, 20, 20, 20, 20], [10, 10])
    """

    name: ClassVar[str] = "IdentificationAgent"
    kind: ClassVar[str] = "identification"
    slots: ClassVar[tuple[str, ...]] = ("init", "select", "update", "stop", "recommend")
    init: ClassVar = None
    select: ClassVar = None
    update: ClassVar = None
    stop: ClassVar = None
    recommend: ClassVar = None


@njit(cache=True)
def identification_run(init, select, update, stop, recommend, params, problem, budget, times, streams, outputs, r):
    """Run ``r``: sample until ``stop`` (or the budget, or the cap), then recommend.

    Returns 0, or the round at which ``select`` returned an invalid arm (``cap + 1`` for an invalid
    recommendation).
    """
    kind, arm_a, arm_b, fixed_budget = problem
    K = arm_a.shape[0]
    env = streams[r, :K]
    pol = streams[r, K]
    o_tau, o_rec, o_stopped, o_pulls = outputs[0], outputs[1], outputs[2], outputs[3]
    state = init(params, K)
    cap = budget if fixed_budget == 0 else fixed_budget
    tau = cap
    stopped = fixed_budget > 0  # a fixed-budget run always ends at (at most) its budget
    for t in range(1, cap + 1):
        a = select(params, state, t, pol)
        if a < 0 or a >= K:
            return t
        if kind == 0:
            x = 1.0 if rng_uniform(env[a]) < arm_a[a] else 0.0
        elif kind == 1:
            x = arm_a[a] + arm_b[0] * rng_normal(env[a])
        else:
            x = rng_beta(env[a], arm_a[a], arm_b[a])
        o_pulls[r, a] += 1
        update(params, state, t, a, x, pol)
        if stop(params, state, t):
            tau = t
            stopped = True
            break
    rec = recommend(params, state)
    if rec < 0 or rec >= K:
        return cap + 1
    o_tau[r] = tau
    o_rec[r] = rec
    o_stopped[r] = 1 if stopped else 0
    return 0


def _arrays(bandit, fixed_budget):
    if isinstance(bandit, BernoulliBandit):
        return (_BERNOULLI, np.asarray(bandit.means, dtype=np.float64), np.zeros(1), int(fixed_budget))
    if isinstance(bandit, GaussianBandit):
        return (_GAUSSIAN, np.asarray(bandit.means, dtype=np.float64), np.array([bandit.sigma]), int(fixed_budget))
    return (
        _BETA,
        np.asarray(bandit.alpha, dtype=np.float64),
        np.asarray(bandit.beta, dtype=np.float64),
        int(fixed_budget),
    )


def _prepare(problem, agent, n_rounds) -> PreparedProblem:
    fixed = problem.budget if isinstance(problem, FixedBudgetProblem) else 0
    if fixed > n_rounds:
        raise ValueError(
            f"n_rounds = {n_rounds} is below the FixedBudgetProblem's budget {fixed}: n_rounds caps every run"
        )
    K = problem.n_arms
    best = problem.best_arm
    setting = "fixed-budget" if fixed else "fixed-confidence"

    def allocate(n_runs, n_checkpoints):
        return (
            np.zeros(n_runs, dtype=np.int64),
            np.full(n_runs, -1, dtype=np.int64),
            np.zeros(n_runs, dtype=np.int64),
            np.zeros((n_runs, K), dtype=np.int64),
        )

    def finish(times, outputs, run_start, metadata, confidence, interval):
        tau, rec, stopped, pulls = outputs
        metadata = dict(metadata, setting=setting, best_arm=best)
        return IdentificationResult.from_runs(tau, rec, stopped.astype(bool), pulls, run_start, metadata, confidence)

    return PreparedProblem(
        driver=identification_run,
        arrays=_arrays(problem.bandit, fixed),
        n_streams=K + 1,
        allocate=allocate,
        bytes_per_checkpoint=0,  # outputs are O(n_runs K), whatever the checkpoints
        finish=finish,
        rng="xoshiro256++ per arm (rewards) and one for the agent, seeded by SeedSequence(seed, spawn_key=(run,))",
        invalid_action="agent {agent!r} selected (or, at round n_rounds + 1, recommended) an arm outside "
        f"[0, {K}) at {{at}} of run {{run}}",
    )


register_problem_kind(
    ProblemKind(
        name="identification",
        problem_types=(IdentificationProblem, FixedBudgetProblem),
        agent_base=IdentificationAgent,
        budget="n_rounds",
        prepare=_prepare,
    )
)


# --------------------------------------------------------------------------- results

_FORMAT = "rltheory.bandits.IdentificationResult/1"
#: Levels of :attr:`IdentificationResult.stopping_time_quantiles`.
QUANTILE_LEVELS = (0.1, 0.25, 0.5, 0.75, 0.9)


def clopper_pearson(errors: int, n: int, confidence: float = 0.95) -> tuple:
    r"""The two-sided Clopper-Pearson interval of a binomial proportion (``errors`` out of ``n``).

    :math:`[B(\alpha/2; k, n - k + 1),\ B(1 - \alpha/2; k + 1, n - k)]` with :math:`B(q; a, b)` the
    Beta quantile, :math:`\alpha = 1 -` ``confidence`` (Clopper & Pearson 1934, *Biometrika* 26(4)); the
    lower end is 0 when ``errors = 0`` and the upper end 1 when ``errors = n``. Each end is a one-sided
    bound at level :math:`1 - \alpha/2`. Returns a pair ``(lower, upper)`` of floats.

    Examples
    --------
    >>> from rltheory.bandits import clopper_pearson
    >>> lo, hi = clopper_pearson(0, 100, 0.95)
    >>> lo, round(hi, 6)  # 1 - 0.025 ** (1 / 100)
    (0.0, 0.036217)
    """
    from scipy.stats import beta

    errors = check_int("errors", errors, low=0)
    n = check_int("n", n, low=max(errors, 1))
    confidence = check_probability("confidence", confidence)
    alpha = 1.0 - confidence
    lo = 0.0 if errors == 0 else float(beta.ppf(alpha / 2, errors, n - errors + 1))
    hi = 1.0 if errors == n else float(beta.ppf(1 - alpha / 2, errors + 1, n - errors))
    return lo, hi


@dataclass(frozen=True)
class IdentificationResult:
    r"""Stopping times and recommendations of ``n_runs`` identification runs.

    Returned by :func:`~rltheory.simulation.simulate` for an :class:`IdentificationProblem` or a
    :class:`FixedBudgetProblem`.

    Attributes
    ----------
    stopping_times : (n_runs,) int64
        :math:`\tau` of each run (the cap ``n_rounds`` for a run that did not stop; the number of samples
        used for a fixed-budget run).
    recommendations : (n_runs,) int64
        :math:`\hat a_\tau`.
    correct : (n_runs,) bool
        The run stopped and recommended the best arm.
    stopped : (n_runs,) bool
        The run stopped before the cap (always true for a fixed budget).
    pulls : (n_runs, K) int64
        Pulls of each arm at the end of the run.
    run_start : int
        Global index of the first run.
    metadata : dict
        As for :class:`~rltheory.simulation.RegretCurve`, plus ``setting`` (``"fixed-confidence"`` or
        ``"fixed-budget"``) and ``best_arm``.
    confidence : float
        Level of the intervals below.
    mean_stopping_time, stopping_time_lower, stopping_time_upper : float
        Mean of ``stopping_times`` and its normal (CLT) interval :math:`\bar\tau \pm z s/\sqrt n`
        (NaN with one run). Runs that did not stop enter at the cap: the mean is then a lower bound.
    n_errors, n_unstopped : int
        Runs that did not recommend the best arm or did not stop; runs that did not stop.
    error_frequency, error_lower, error_upper : float
        ``n_errors / n_runs`` and its Clopper-Pearson interval (:func:`clopper_pearson`). Counting the
        unstopped runs as errors makes ``error_upper`` a bound on :math:`\mathbb P(\tau > \text{cap}` or
        :math:`\hat a \ne a^*)`, hence on :math:`\mathbb P(\tau < \infty, \hat a \ne a^*)` too.
    quantile_levels, stopping_time_quantiles : (5,) float64
        The levels :data:`QUANTILE_LEVELS` and the empirical quantiles of ``stopping_times``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.bandits import IdentificationResult
    >>> r = IdentificationResult.from_runs([10, 12, 30], [0, 0, 1], [True, True, True], [[6, 4], [7, 5], [15, 15]],
    ...                                    0, {"best_arm": 0, "seed": 0})
    >>> r.n_errors, round(r.error_frequency, 3), r.mean_stopping_time
    (1, 0.333, 17.333333333333332)
    """

    stopping_times: np.ndarray
    recommendations: np.ndarray
    correct: np.ndarray
    stopped: np.ndarray
    pulls: np.ndarray
    run_start: int
    metadata: dict
    confidence: float
    mean_stopping_time: float
    stopping_time_lower: float
    stopping_time_upper: float
    n_errors: int
    n_unstopped: int
    error_frequency: float
    error_lower: float
    error_upper: float
    quantile_levels: np.ndarray = field(default_factory=lambda: np.array(QUANTILE_LEVELS))
    stopping_time_quantiles: np.ndarray = field(default_factory=lambda: np.full(len(QUANTILE_LEVELS), np.nan))

    def __post_init__(self):
        n = np.shape(self.stopping_times)[0]
        for name in ("recommendations", "correct", "stopped"):
            if np.shape(getattr(self, name)) != (n,):
                raise ValueError(f"{name} has shape {np.shape(getattr(self, name))}, expected ({n},)")
        if np.ndim(self.pulls) != 2 or np.shape(self.pulls)[0] != n:
            raise ValueError(f"pulls has shape {np.shape(self.pulls)}, expected ({n}, K)")
        for name in (
            "stopping_times",
            "recommendations",
            "correct",
            "stopped",
            "pulls",
            "quantile_levels",
            "stopping_time_quantiles",
        ):
            object.__setattr__(self, name, readonly(getattr(self, name)))

    # ------------------------------------------------------------------ build
    @classmethod
    def from_runs(cls, stopping_times, recommendations, stopped, pulls, run_start, metadata, confidence=0.95):
        """Build a result from per-run arrays (``metadata["best_arm"]`` decides correctness).

        Examples
        --------
        >>> from rltheory.bandits import IdentificationResult
        >>> r = IdentificationResult.from_runs([10, 12, 30], [0, 0, 1], [True, True, True], [[6, 4], [7, 5], [15, 15]],
        ...                                    0, {"best_arm": 0})
        >>> r.correct.tolist(), r.n_errors, r.n_unstopped  # the third run recommended arm 1
        ([True, True, False], 1, 0)
        >>> bool(r.error_lower <= r.error_frequency <= r.error_upper)  # inside its Clopper-Pearson interval
        True
        """
        tau = np.asarray(stopping_times, dtype=np.int64)
        rec = np.asarray(recommendations, dtype=np.int64)
        stopped = np.asarray(stopped, dtype=bool)
        pulls = np.asarray(pulls, dtype=np.int64)
        correct = stopped & (rec == int(metadata["best_arm"]))
        n = int(tau.size)
        if n == 0:
            raise ValueError("an IdentificationResult needs at least one run")
        mean = float(tau.mean())
        if n > 1:
            z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
            half = z * float(tau.std(ddof=1)) / math.sqrt(n)
            lo, hi = mean - half, mean + half
        else:
            lo = hi = math.nan
        n_errors = int(n - correct.sum())
        e_lo, e_hi = clopper_pearson(n_errors, n, confidence)
        return cls(
            stopping_times=tau,
            recommendations=rec,
            correct=correct,
            stopped=stopped,
            pulls=pulls,
            run_start=int(run_start),
            metadata=metadata,
            confidence=float(confidence),
            mean_stopping_time=mean,
            stopping_time_lower=lo,
            stopping_time_upper=hi,
            n_errors=n_errors,
            n_unstopped=int(n - stopped.sum()),
            error_frequency=n_errors / n,
            error_lower=e_lo,
            error_upper=e_hi,
            quantile_levels=np.array(QUANTILE_LEVELS),
            stopping_time_quantiles=np.quantile(tau.astype(np.float64), QUANTILE_LEVELS),
        )

    @property
    def n_runs(self) -> int:
        """The number of runs (the length of ``stopping_times``).

        Examples
        --------
        >>> from rltheory.bandits import IdentificationResult
        >>> r = IdentificationResult.from_runs([10, 12, 30], [0, 0, 1], [True, True, True], [[6, 4], [7, 5], [15, 15]],
        ...                                    0, {"best_arm": 0})
        >>> r.n_runs
        3
        """
        return int(self.stopping_times.shape[0])

    @property
    def budget(self) -> int:
        """The cap ``n_rounds`` of the simulation.

        ``metadata["budget"]`` when recorded (as :func:`~rltheory.simulation.simulate` does), else the
        largest stopping time.

        Examples
        --------
        >>> from rltheory.bandits import IdentificationResult
        >>> r = IdentificationResult.from_runs([10, 12, 30], [0, 0, 1], [True, True, True], [[6, 4], [7, 5], [15, 15]],
        ...                                    0, {"best_arm": 0})
        >>> r.budget  # no budget in the metadata: the largest stopping time
        30
        """
        return int(self.metadata.get("budget", int(self.stopping_times.max())))

    @property
    def setting(self) -> str:
        """``"fixed-confidence"`` or ``"fixed-budget"``.

        Examples
        --------
        >>> from rltheory.bandits import IdentificationResult
        >>> meta = {"best_arm": 0, "setting": "fixed-budget"}
        >>> IdentificationResult.from_runs([20], [0], [True], [[10, 10]], 0, meta).setting
        'fixed-budget'
        >>> IdentificationResult.from_runs([20], [0], [True], [[10, 10]], 0, {"best_arm": 0}).setting  # the default
        'fixed-confidence'
        """
        return str(self.metadata.get("setting", "fixed-confidence"))

    @property
    def delta(self) -> float:
        """The risk of a fixed-confidence problem (NaN for a fixed budget).

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, IdentificationProblem, IdentificationResult
        >>> p = IdentificationProblem(BernoulliBandit([0.6, 0.4]), delta=0.05)
        >>> r = IdentificationResult.from_runs([10], [0], [True], [[6, 4]], 0, {"best_arm": 0, "problem": p.to_spec()})
        >>> r.delta
        0.05
        """
        return float(self.metadata.get("problem", {}).get("delta", math.nan))

    @property
    def problem(self):
        """The problem, rebuilt from the metadata.

        Examples
        --------
        >>> from rltheory.bandits import BernoulliBandit, IdentificationProblem, IdentificationResult
        >>> p = IdentificationProblem(BernoulliBandit([0.6, 0.4]), delta=0.05)
        >>> r = IdentificationResult.from_runs([10], [0], [True], [[6, 4]], 0, {"best_arm": 0, "problem": p.to_spec()})
        >>> r.problem == p, r.problem.best_arm
        (True, 0)
        """
        spec = self.metadata["problem"]
        cls = IdentificationProblem if spec["type"] == "IdentificationProblem" else FixedBudgetProblem
        return cls.from_spec(spec)

    @classmethod
    def concatenate(cls, results) -> IdentificationResult:
        """Merge chunks of one experiment (same metadata and confidence, contiguous run ranges).

        The statistics are recomputed over all runs, so chunked and unchunked simulations agree.

        Examples
        --------
        >>> from rltheory.bandits import IdentificationResult
        >>> meta = {"best_arm": 0, "seed": 0}
        >>> a = IdentificationResult.from_runs([5], [0], [True], [[3, 2]], 0, meta)
        >>> b = IdentificationResult.from_runs([7], [1], [True], [[3, 4]], 1, meta)
        >>> IdentificationResult.concatenate([b, a]).stopping_times.tolist()
        [5, 7]
        """
        results = list(results)
        if not results:
            raise ValueError("concatenate needs at least one result")
        for k, r in enumerate(results):
            if not isinstance(r, IdentificationResult):
                raise ValueError(f"results[{k}] is a {type(r).__name__}, not an IdentificationResult")
        first = results[0]
        for k, r in enumerate(results[1:], start=1):
            if r.metadata != first.metadata:
                raise ValueError(f"results[{k}] has different metadata (another experiment)")
            if r.confidence != first.confidence:
                raise ValueError(f"results[{k}] has a different confidence level")
            if r.pulls.shape[1] != first.pulls.shape[1]:
                raise ValueError(f"results[{k}] has a different number of arms")
        results.sort(key=lambda r: r.run_start)
        for a, b in zip(results, results[1:]):
            if b.run_start != a.run_start + a.n_runs:
                raise ValueError(
                    f"runs are not contiguous: [{a.run_start}, {a.run_start + a.n_runs}) is followed by run "
                    f"{b.run_start}"
                )
        return cls.from_runs(
            np.concatenate([r.stopping_times for r in results]),
            np.concatenate([r.recommendations for r in results]),
            np.concatenate([r.stopped for r in results]),
            np.concatenate([r.pulls for r in results]),
            results[0].run_start,
            first.metadata,
            first.confidence,
        )

    # ---------------------------------------------------------------- plots
    def plot(self, ax=None, *, lower_bound=True, bins=40, **kwargs):
        r"""Histogram of the stopping times, with :math:`T^*(\mu)\,\mathrm{kl}(\delta, 1-\delta)` as a line.

        The lower bound (Garivier & Kaufmann 2016, Thm 1, :func:`~rltheory.bandits.bai_lower_bound`) is drawn
        for a fixed-confidence result on a Bernoulli or Gaussian bandit. Returns the Axes.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from rltheory.bandits import IdentificationResult
        >>> r = IdentificationResult.from_runs([10, 12, 30], [0, 0, 1], [True, True, True], [[6, 4], [7, 5], [15, 15]],
        ...                                    0, {"best_arm": 0})
        >>> ax = r.plot(lower_bound=False)
        >>> ax.get_xlabel(), [line.get_label() for line in ax.get_lines()]  # the mean (52 / 3) as a vertical line
        ('stopping time', ['mean 17'])
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        ax.hist(self.stopping_times, bins=bins, alpha=0.7, label=self.metadata.get("agent", {}).get("type"), **kwargs)
        ax.axvline(self.mean_stopping_time, color="black", linewidth=1.2, label=f"mean {self.mean_stopping_time:.0f}")
        if lower_bound and self.setting == "fixed-confidence":
            bound = _lower_bound_or_none(self.problem.bandit, self.delta)
            if bound is not None:
                ax.axvline(bound, color="black", linestyle="--", label=r"$T^*(\mu)\,\mathrm{kl}(\delta,1-\delta)$")
        ax.set_xlabel("stopping time")
        ax.set_ylabel("runs")
        ax.legend(fontsize=7)
        return ax

    # --------------------------------------------------------------------- io
    def to_columns(self) -> dict:
        r"""The runs in tidy form: a dict of equal-length 1-D arrays, one row per run (as :meth:`to_csv`).

        Columns: ``run`` (int64, global index ``run_start + j``), ``stopping_time`` (int64, :math:`\tau`),
        ``recommendation`` (int64, :math:`\hat a_\tau`), ``correct`` and ``stopped`` (bool), and
        ``pulls_0, ..., pulls_{K-1}`` (int64, pulls of each arm at the end of the run).

        Examples
        --------
        >>> from rltheory.bandits import IdentificationResult
        >>> r = IdentificationResult.from_runs([10, 12, 30], [0, 0, 1], [True, True, True], [[6, 4], [7, 5], [15, 15]],
        ...                                    0, {"best_arm": 0})
        >>> cols = r.to_columns()
        >>> list(cols), cols["correct"].tolist()
        (['run', 'stopping_time', 'recommendation', 'correct', 'stopped', 'pulls_0', 'pulls_1'], [True, True, False])
        """
        cols = {
            "run": np.arange(self.run_start, self.run_start + self.n_runs, dtype=np.int64),
            "stopping_time": np.asarray(self.stopping_times, dtype=np.int64),
            "recommendation": np.asarray(self.recommendations, dtype=np.int64),
            "correct": np.asarray(self.correct, dtype=bool),
            "stopped": np.asarray(self.stopped, dtype=bool),
        }
        for k in range(self.pulls.shape[1]):
            cols[f"pulls_{k}"] = np.asarray(self.pulls[:, k], dtype=np.int64)
        return cols

    def to_dataframe(self):
        """The runs as a tidy ``pandas.DataFrame``, one row per run: the columns of :meth:`to_columns`.

        Needs the optional pandas (``pip install rltheory[dataframe]``; an ``ImportError`` says so).

        Examples
        --------
        >>> from rltheory.bandits import IdentificationResult
        >>> r = IdentificationResult.from_runs([10, 12, 30], [0, 0, 1], [True, True, True], [[6, 4], [7, 5], [15, 15]],
        ...                                    0, {"best_arm": 0})
        >>> df = r.to_dataframe()
        >>> float(df["stopping_time"].mean()) == r.mean_stopping_time, int((~df["correct"]).sum()) == r.n_errors
        (True, True)
        """
        from rltheory._dataframe import dataframe

        return dataframe(self.to_columns(), "IdentificationResult.to_dataframe")

    def to_csv(self, path) -> None:
        """One row per run: ``run, stopping_time, recommendation, correct, stopped, pulls_0, ...``.

        Examples
        --------
        >>> import os, tempfile
        >>> from rltheory.bandits import IdentificationResult
        >>> r = IdentificationResult.from_runs([10, 12, 30], [0, 0, 1], [True, True, True], [[6, 4], [7, 5], [15, 15]],
        ...                                    0, {"best_arm": 0})
        >>> path = os.path.join(tempfile.mkdtemp(), "r.csv")
        >>> r.to_csv(path)
        >>> open(path).read().splitlines()[:2], open(path).read().splitlines()[-1]
        (['run,stopping_time,recommendation,correct,stopped,pulls_0,pulls_1', '0,10,0,1,1,6,4'], '2,30,1,0,1,15,15')
        """
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            K = self.pulls.shape[1]
            w.writerow(
                ["run", "stopping_time", "recommendation", "correct", "stopped"] + [f"pulls_{k}" for k in range(K)]
            )
            for j in range(self.n_runs):
                w.writerow(
                    [
                        self.run_start + j,
                        int(self.stopping_times[j]),
                        int(self.recommendations[j]),
                        int(self.correct[j]),
                        int(self.stopped[j]),
                        *self.pulls[j].tolist(),
                    ]
                )

    def save(self, path) -> None:
        """Save as ``.npz`` (no pickles); metadata as a JSON string.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from rltheory.bandits import IdentificationResult
        >>> r = IdentificationResult.from_runs([10, 12, 30], [0, 0, 1], [True, True, True], [[6, 4], [7, 5], [15, 15]],
        ...                                    0, {"best_arm": 0})
        >>> path = os.path.join(tempfile.mkdtemp(), "r.npz")
        >>> r.save(path)
        >>> back = IdentificationResult.load(path)
        >>> bool(np.array_equal(back.pulls, r.pulls)), back.n_errors, back.metadata == r.metadata
        (True, 1, True)
        """
        np.savez_compressed(
            path,
            format=np.array(_FORMAT),
            stopping_times=self.stopping_times,
            recommendations=self.recommendations,
            stopped=self.stopped,
            pulls=self.pulls,
            run_start=np.array(self.run_start, dtype=np.int64),
            confidence=np.array(self.confidence),
            metadata=np.array(json.dumps(self.metadata, sort_keys=True)),
        )

    @classmethod
    def load(cls, path) -> IdentificationResult:
        """Load a result written by :meth:`save`; a foreign or corrupted file raises ``ValueError``.

        Examples
        --------
        >>> import os, tempfile
        >>> from rltheory.bandits import IdentificationResult
        >>> r = IdentificationResult.from_runs([5, 9], [0, 0], [True, True], [[3, 2], [5, 4]], 0, {"best_arm": 0})
        >>> path = os.path.join(tempfile.mkdtemp(), "r.npz")
        >>> r.save(path)
        >>> IdentificationResult.load(path).stopping_times.tolist()
        [5, 9]
        """
        keys = ("stopping_times", "recommendations", "stopped", "pulls", "run_start", "confidence", "metadata")
        try:
            with np.load(path, allow_pickle=False) as z:
                if "format" not in z.files or str(z["format"]) != _FORMAT:
                    raise ValueError(f"{path} is not a {_FORMAT} file")
                missing = [k for k in keys if k not in z.files]
                if missing:
                    raise ValueError(f"{path} lacks the arrays {missing}")
                d = {k: z[k] for k in keys}
            return cls.from_runs(
                d["stopping_times"],
                d["recommendations"],
                d["stopped"],
                d["pulls"],
                int(d["run_start"]),
                json.loads(str(d["metadata"])),
                float(d["confidence"]),
            )
        except ValueError as exc:
            if str(exc).startswith(str(path)):
                raise
            raise ValueError(f"{path} is not a valid IdentificationResult file: {exc}") from exc
        except (OSError, EOFError, KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            raise ValueError(f"{path} is not a valid IdentificationResult file: {exc}") from exc


def _lower_bound_or_none(bandit, delta):
    from ._characteristic_time import bai_lower_bound

    if not isinstance(bandit, (BernoulliBandit, GaussianBandit)) or not 0 < delta < 0.5:
        return None
    return bai_lower_bound(bandit, delta)


def _check_results(results, setting, who):
    results = list(results)
    if not results:
        raise ValueError(f"{who} needs at least one IdentificationResult")
    for k, r in enumerate(results):
        if not isinstance(r, IdentificationResult):
            raise ValueError(f"{who}: results[{k}] is a {type(r).__name__}, not an IdentificationResult")
        if r.setting != setting:
            raise ValueError(f"{who}: results[{k}] is a {r.setting} result, expected {setting}")
    return results


def plot_stopping_times(results, ax=None, *, label=None, lower_bound=True, **kwargs):
    r"""Mean stopping time (with its confidence interval) against :math:`\log(1/\delta)`, and the lower bound.

    ``results`` are fixed-confidence results of one agent on one bandit at several risks. The lower
    bound :math:`T^*(\mu)\,\mathrm{kl}(\delta, 1 - \delta)` (Garivier & Kaufmann 2016, Thm 1) is drawn
    over the range of the risks when ``lower_bound`` (Bernoulli or Gaussian bandits). Returns the Axes.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, IdentificationProblem, TrackAndStop, plot_stopping_times
    >>> from rltheory.simulation import simulate
    >>> b = BernoulliBandit([0.8, 0.3])
    >>> res = [simulate(IdentificationProblem(b, d), TrackAndStop(), n_rounds=10**5, n_runs=4) for d in (0.1, 0.01)]
    >>> ax = plot_stopping_times(res, label="TaS")
    >>> [line.get_label() for line in ax.get_lines()][-1]
    'lower bound $T^*(\\mu)\\,\\mathrm{kl}(\\delta, 1-\\delta)$'
    """
    results = sorted(_check_results(results, "fixed-confidence", "plot_stopping_times"), key=lambda r: -r.delta)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    x = np.array([math.log(1.0 / r.delta) for r in results])
    mean = np.array([r.mean_stopping_time for r in results])
    lo = np.array([r.stopping_time_lower for r in results])
    hi = np.array([r.stopping_time_upper for r in results])
    yerr = np.vstack([mean - lo, hi - mean]) if np.isfinite(lo).all() else None
    if label is None:
        label = results[0].metadata.get("agent", {}).get("type")
    ax.errorbar(x, mean, yerr=yerr, marker="o", capsize=3, label=label, **kwargs)
    if lower_bound:
        bandit = results[0].problem.bandit
        deltas = np.exp(-np.linspace(x.min(), x.max(), 50))
        bounds = [_lower_bound_or_none(bandit, float(d)) for d in deltas]
        if all(b is not None for b in bounds):
            ax.plot(
                -np.log(deltas),
                bounds,
                color="black",
                linestyle="--",
                label=r"lower bound $T^*(\mu)\,\mathrm{kl}(\delta, 1-\delta)$",
            )
    ax.set_xlabel(r"$\log(1/\delta)$")
    ax.set_ylabel(r"$\mathbb{E}[\tau_\delta]$")
    ax.legend(fontsize=7)
    return ax


def plot_error_rates(results, ax=None, *, label=None, bound=None, **kwargs):
    r"""Error frequency (with its Clopper-Pearson interval) against the budget, for fixed-budget results.

    ``bound``, when given, is a function of ``(bandit, budget)`` drawn over the budgets (e.g.
    :func:`~rltheory.bandits.successive_rejects_error_bound`). The y axis is logarithmic (the bounds
    decay exponentially in the budget); a zero frequency is drawn at its Clopper-Pearson upper end
    with a downward marker. Returns the Axes.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, FixedBudgetProblem, SuccessiveRejects, plot_error_rates
    >>> from rltheory.simulation import simulate
    >>> b = BernoulliBandit([0.6, 0.5, 0.4])
    >>> res = [simulate(FixedBudgetProblem(b, T), SuccessiveRejects(), n_rounds=T, n_runs=20) for T in (30, 90)]
    >>> ax = plot_error_rates(res, label="SR")
    >>> ax.get_xlabel()
    'budget T'
    """
    results = sorted(_check_results(results, "fixed-budget", "plot_error_rates"), key=lambda r: r.problem.budget)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    budgets = np.array([r.problem.budget for r in results], dtype=float)
    freq = np.array([r.error_frequency for r in results])
    lo = np.array([r.error_lower for r in results])
    hi = np.array([r.error_upper for r in results])
    if label is None:
        label = results[0].metadata.get("agent", {}).get("type")
    positive = freq > 0
    shown = np.where(positive, freq, hi)
    (line,) = ax.plot(budgets, shown, marker="o", label=label, **kwargs)
    ax.vlines(budgets, np.where(positive, lo, hi * 1e-3), hi, color=line.get_color(), alpha=0.6)
    if (~positive).any():
        ax.plot(budgets[~positive], hi[~positive], linestyle="none", marker="v", color=line.get_color())
    if bound is not None:
        bandit = results[0].problem.bandit
        grid = np.linspace(budgets.min(), budgets.max(), 50)
        ax.plot(
            grid,
            [min(1.0, float(bound(bandit, int(g)))) for g in grid],
            color="black",
            linestyle="--",
            label=getattr(bound, "__name__", "bound"),
        )
    ax.set_yscale("log")
    ax.set_xlabel("budget T")
    ax.set_ylabel("error frequency")
    ax.legend(fontsize=7)
    return ax
