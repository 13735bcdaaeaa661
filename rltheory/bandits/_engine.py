"""The compiled simulation engine: :func:`simulate`.

Runs are independent and execute in one Numba ``prange`` loop.  Run ``i``
(global index ``run_start + j``) draws all its randomness from
``np.random.SeedSequence(seed, spawn_key=(i,))`` (the ``i``-th child of
``SeedSequence(seed).spawn``): the first ``4 K`` words seed one xoshiro256++
stream per arm for the rewards, the last 4 words the policy's stream.  One
reward stream per arm realises the "stack of rewards" model (Lattimore &
Szepesvári 2020, Sec. 4.6): the ``n``-th pull of arm ``k`` in run ``i`` yields
the same reward whatever the policy, so policies compared on the same seed
share common random numbers.  Splitting runs into chunks, threads or workers
never changes a run's numbers.

Memory is ``O(n_runs x checkpoints x K)``: nothing of size ``T`` is stored
(except the reward table of a :class:`SequenceBandit`, which is the instance).
"""

from __future__ import annotations

import math
import numbers
import platform

import numba
import numpy as np
from numba import njit, prange

from . import _policies as P
from ._curve import RegretCurve
from ._instances import BernoulliBandit, BoundedBandit, GaussianBandit, SequenceBandit
from ._rng import rng_beta, rng_normal, rng_uniform, run_states

__all__ = ["checkpoint_times", "simulate"]

_BERNOULLI, _GAUSSIAN, _BETA, _SEQUENCE = 0, 1, 2, 3


@njit(cache=True)
def _run_one(init, select, update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls):
    """Simulate one run; returns 0, or the round at which ``select`` returned an invalid arm."""
    K = gaps.shape[0]
    state = np.zeros((n_rows, K))
    init(params, state)
    counts = np.zeros(K, np.int64)
    cum = np.zeros(K)
    seq_regret = 0.0
    collected = 0.0
    c = 0
    n_ckpt = times.shape[0]
    for t in range(1, horizon + 1):
        a = select(params, state, t, pol)
        if a < 0 or a >= K:
            return t
        if kind == 0:
            x = 1.0 if rng_uniform(env[a]) < arm_a[a] else 0.0
        elif kind == 1:
            x = arm_a[a] + arm_b[0] * rng_normal(env[a])
        elif kind == 2:
            x = rng_beta(env[a], arm_a[a], arm_b[a])
        else:
            x = table[t - 1, a]
            for k in range(K):
                cum[k] += table[t - 1, k]
            seq_regret += table[t - 1, best_arm] - x
        collected += x
        counts[a] += 1
        update(params, state, t, a, x, pol)
        if c < n_ckpt and t == times[c]:
            if kind == 3:
                o_reg[c] = seq_regret
                best = -np.inf
                for k in range(K):
                    best = max(best, cum[k])
                o_real[c] = best - collected
            else:
                # pseudo-regret sum_k N_k(t) gap_k (Lattimore & Szepesvari 2020, Lemma 4.5)
                s = 0.0
                for k in range(K):
                    s += counts[k] * gaps[k]
                o_reg[c] = s
                o_real[c] = t * mu_star - collected
            for k in range(K):
                o_pulls[c, k] = counts[k]
            c += 1
    return 0


@njit(parallel=True)
def _kernel_generic(init, select, update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    # user policies: functions passed as arguments (compiled once per process, not cached)
    for r in prange(env.shape[0]):
        errors[r] = _run_one(init, select, update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_eg(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._eg_select, P._mean_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_etc(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._etc_init, P._etc_select, P._mean_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_ucb1(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._ucb1_select, P._ucb1_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_ucbv(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._ucbv_select, P._ucbv_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_moss(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._moss_select, P._mean_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_klucb(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._klucb_select, P._mean_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_ts(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._ts_init, P._ts_select, P._ts_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_bayesucb(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._bayesucb_select, P._mean_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_imed(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._imed_select, P._mean_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_exp3(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._exp3_select, P._exp3_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_exp3ix(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._exp3ix_select, P._exp3ix_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

@njit(cache=True, parallel=True)
def _kernel_tsallis(params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env, pol, o_reg, o_real, o_pulls, errors):
    for r in prange(env.shape[0]):
        errors[r] = _run_one(P._noop_init, P._tsallis_select, P._tsallis_update, params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, gaps, mu_star, env[r], pol[r], o_reg[r], o_real[r], o_pulls[r])

_BUILTIN_KERNELS = {
    P.EpsilonGreedy: _kernel_eg,
    P.ExploreThenCommit: _kernel_etc,
    P.UCB1: _kernel_ucb1,
    P.UCBV: _kernel_ucbv,
    P.MOSS: _kernel_moss,
    P.KLUCB: _kernel_klucb,
    P.ThompsonSampling: _kernel_ts,
    P.BayesUCB: _kernel_bayesucb,
    P.IMED: _kernel_imed,
    P.EXP3: _kernel_exp3,
    P.EXP3IX: _kernel_exp3ix,
    P.TsallisINF: _kernel_tsallis,
    P.KLUCBPlus: _kernel_klucb,
}


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < low:
        raise ValueError(f"{name} = {value} must be >= {low}")
    return int(value)


def checkpoint_times(horizon: int, checkpoints=200) -> np.ndarray:
    """Checkpoint times: ``checkpoints`` log-spaced integers in ``[1, T]`` or an explicit array.

    An int gives ``unique(round(logspace(0, log10 T, checkpoints)))`` (so
    possibly fewer than ``checkpoints`` times for small ``T``), always
    containing ``T``.  An array must be strictly increasing integers in
    ``[1, T]``; ``T`` is appended when absent so that the last checkpoint is
    the horizon.

    Examples
    --------
    >>> checkpoint_times(1000, 4).tolist()
    [1, 10, 100, 1000]
    """
    horizon = _check_int("horizon", horizon, 1)
    if isinstance(checkpoints, numbers.Integral) and not isinstance(checkpoints, bool):
        n = _check_int("checkpoints", checkpoints, 1)
        if n == 1:
            return np.array([horizon], dtype=np.int64)
        times = np.unique(np.rint(np.logspace(0.0, math.log10(horizon), n)).astype(np.int64))
        times = times[(times >= 1) & (times <= horizon)]
    else:
        try:
            raw = np.asarray(checkpoints)
        except Exception as exc:  # noqa: BLE001 - report any conversion failure as bad input
            raise ValueError(f"checkpoints must be an int or a 1-D array of times, got {checkpoints!r}") from exc
        if raw.ndim != 1 or raw.size == 0:
            raise ValueError(f"checkpoints must be an int or a non-empty 1-D array, got shape {raw.shape}")
        if raw.dtype.kind not in "iuf" or (raw.dtype.kind == "f" and not np.all(np.isfinite(raw) & (raw == np.rint(raw)))):
            raise ValueError("checkpoints must contain integer times")
        times = raw.astype(np.int64)
        if (np.diff(times) <= 0).any():
            i = int(np.argmax(np.diff(times) <= 0))
            raise ValueError(f"checkpoints must be strictly increasing; checkpoints[{i + 1}] = {times[i + 1]} <= {times[i]}")
        if times[0] < 1 or times[-1] > horizon:
            raise ValueError(f"checkpoints must lie in [1, {horizon}], got [{times[0]}, {times[-1]}]")
    if times[-1] != horizon:
        times = np.append(times, horizon)
    return times.astype(np.int64)


def _bandit_arrays(bandit, horizon):
    if not isinstance(bandit, (BernoulliBandit, GaussianBandit, BoundedBandit, SequenceBandit)):
        raise ValueError(f"bandit must be a BernoulliBandit, GaussianBandit, BoundedBandit or SequenceBandit, got {type(bandit).__name__}")
    dummy = np.zeros((1, bandit.n_arms))
    if isinstance(bandit, BernoulliBandit):
        return _BERNOULLI, np.asarray(bandit.means, dtype=np.float64), np.zeros(1), dummy, bandit.best_arm, np.array(bandit.gaps), bandit.best_mean
    if isinstance(bandit, GaussianBandit):
        return _GAUSSIAN, np.asarray(bandit.means, dtype=np.float64), np.array([bandit.sigma]), dummy, bandit.best_arm, np.array(bandit.gaps), bandit.best_mean
    if isinstance(bandit, BoundedBandit):
        return _BETA, np.asarray(bandit.alpha, dtype=np.float64), np.asarray(bandit.beta, dtype=np.float64), dummy, bandit.best_arm, np.array(bandit.gaps), bandit.best_mean
    if isinstance(bandit, SequenceBandit):
        if horizon > bandit.n_rounds:
            raise ValueError(f"horizon = {horizon} exceeds the {bandit.n_rounds} rounds of the SequenceBandit")
        table = np.ascontiguousarray(bandit.rewards[:horizon])
        means = table.mean(axis=0)
        best = int(np.argmax(means))  # best fixed arm in hindsight over the horizon
        return _SEQUENCE, means, np.zeros(1), table, best, means.max() - means, float(means.max())
    raise ValueError(f"bandit must be a BernoulliBandit, GaussianBandit, BoundedBandit or SequenceBandit, got {type(bandit).__name__}")


def _versions():
    from .. import __version__

    return {"rltheory": __version__, "numpy": np.__version__, "numba": numba.__version__, "python": platform.python_version()}


def simulate(
    bandit,
    policy,
    horizon: int,
    n_runs: int,
    *,
    seed: int = 0,
    checkpoints=200,
    run_start: int = 0,
    confidence: float = 0.95,
    interval: str = "normal",
    progress: bool = False,
) -> RegretCurve:
    """Simulate ``n_runs`` independent runs of ``policy`` on ``bandit`` for ``horizon`` rounds.

    Parameters
    ----------
    bandit : BernoulliBandit, GaussianBandit, BoundedBandit or SequenceBandit
    policy : Policy
        A built-in policy or a user subclass of :class:`Policy`.
    horizon : int
        ``T >= 1`` (at most ``n_rounds`` for a :class:`SequenceBandit`).
    n_runs : int
        Number of runs, global indices ``run_start, ..., run_start + n_runs - 1``.
    seed : int
        Non-negative root seed; run ``i`` uses ``SeedSequence(seed, spawn_key=(i,))``.
    checkpoints : int or array_like
        See :func:`checkpoint_times`.
    run_start : int
        Global index of the first run, so that chunks ``[0, 50)`` and
        ``[50, 100)`` reproduce the runs of one call with ``n_runs=100``
        bit for bit (merge them with :meth:`RegretCurve.concatenate`).
    confidence, interval : float, {"normal", "bootstrap"}
        Level and kind of the confidence band of the mean regret.
    progress : bool
        Show a tqdm bar (runs are then simulated in batches; results are
        unchanged).  Off automatically when stderr is not a terminal.

    Returns
    -------
    RegretCurve

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1, simulate
    >>> curve = simulate(BernoulliBandit([0.9, 0.8]), UCB1(), 1000, 8, seed=1, checkpoints=10)
    >>> curve.regret.shape, int(curve.times[-1])
    ((8, 10), 1000)
    >>> bool((curve.pulls[:, -1].sum(axis=1) == 1000).all())
    True
    """
    if not isinstance(policy, P.Policy):
        raise ValueError(f"policy must be a rltheory.bandits.Policy, got {type(policy).__name__}")
    if policy.select is None or policy.update is None:
        raise ValueError(f"policy {policy.name!r} does not define select and update")
    horizon = _check_int("horizon", horizon, 1)
    n_runs = _check_int("n_runs", n_runs, 1)
    seed = _check_int("seed", seed, 0)
    run_start = _check_int("run_start", run_start, 0)
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real) or not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence = {confidence!r} must be in (0, 1)")
    if interval not in ("normal", "bootstrap"):
        raise ValueError(f"interval = {interval!r} must be 'normal' or 'bootstrap'")
    kind, arm_a, arm_b, table, best_arm, gaps, mu_star = _bandit_arrays(bandit, horizon)
    times = checkpoint_times(horizon, checkpoints)
    K = bandit.n_arms
    params = np.ascontiguousarray(policy.param_vector(K, horizon), dtype=np.float64)
    n_rows = _check_int("state_rows", policy.state_rows(K, horizon), 1)

    C = times.size
    regret = np.zeros((n_runs, C))
    realized = np.zeros((n_runs, C))
    pulls = np.zeros((n_runs, C, K), dtype=np.int64)
    errors = np.zeros(n_runs, dtype=np.int64)
    kernel = _BUILTIN_KERNELS.get(type(policy))  # exact type: a subclass may override the functions

    batches = [(0, n_runs)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        step = max(1, -(-n_runs // 20))
        batches = [(s, min(s + step, n_runs)) for s in range(0, n_runs, step)]
        bar = tqdm(total=n_runs, desc=f"{policy.name}", unit="run", disable=None)
    try:
        for lo, hi in batches:
            states = run_states(seed, np.arange(run_start + lo, run_start + hi), K + 1)
            env = np.ascontiguousarray(states[:, :K])
            pol = np.ascontiguousarray(states[:, K])
            args = (params, n_rows, kind, arm_a, arm_b, table, horizon, times, best_arm, np.ascontiguousarray(gaps, dtype=np.float64), float(mu_star), env, pol, regret[lo:hi], realized[lo:hi], pulls[lo:hi], errors[lo:hi])
            if kernel is not None:
                kernel(*args)
            else:
                _kernel_generic(type(policy).init, type(policy).select, type(policy).update, *args)
            if bar is not None:
                bar.update(hi - lo)
    finally:
        if bar is not None:
            bar.close()
    if errors.any():
        j = int(np.argmax(errors != 0))
        raise ValueError(f"policy {policy.name!r} selected an arm outside [0, {K}) at round {int(errors[j])} of run {run_start + j}")
    metadata = {
        "bandit": bandit.to_spec(),
        "policy": policy.to_spec(),
        "seed": seed,
        "horizon": horizon,
        "rng": "xoshiro256++ per arm and per policy, seeded by SeedSequence(seed, spawn_key=(run,))",
        "versions": _versions(),
    }
    return RegretCurve.from_runs(times, regret, realized, pulls, run_start, metadata, float(confidence), interval)
