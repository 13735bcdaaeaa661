"""The ``"bandit"`` problem kind: its per-run driver and its registration with the simulation layer.

Run ``i`` (global index ``run_start + j``) draws all its randomness from
``np.random.SeedSequence(seed, spawn_key=(i,))``: the first ``4 K`` words seed
one xoshiro256++ stream per arm for the rewards, the last 4 words the agent's
stream. One reward stream per arm realises the "stack of rewards" model
(Lattimore & Szepesvári 2020, Sec. 4.6): the ``n``-th pull of arm ``k`` in
run ``i`` yields the same reward whatever the agent, so agents compared on
the same seed share common random numbers.

Memory is ``O(n_runs x checkpoints x K)``: nothing of size ``T`` is stored
(except the reward table of a :class:`SequenceBandit`, which is the instance).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..simulation import (
    PreparedProblem,
    ProblemKind,
    RegretCurve,
    register_problem_kind,
    rng_beta,
    rng_normal,
    rng_uniform,
)
from ._instances import BernoulliBandit, BoundedBandit, GaussianBandit, SequenceBandit
from ._policies import BanditAgent

__all__: list[str] = []

_BERNOULLI, _GAUSSIAN, _BETA, _SEQUENCE = 0, 1, 2, 3


@njit(cache=True)
def bandit_run(init, select, update, params, problem, budget, times, streams, outputs, r):
    """Simulate run ``r`` of a batch; returns 0, or the round at which ``select`` returned an invalid arm."""
    kind, arm_a, arm_b, table, best_arm, gaps, mu_star = problem
    K = gaps.shape[0]
    env = streams[r, :K]
    pol = streams[r, K]
    o_reg = outputs[0][r]
    o_real = outputs[1][r]
    o_pulls = outputs[2][r]
    state = init(params, K)
    counts = np.zeros(K, np.int64)
    cum = np.zeros(K)
    seq_regret = 0.0
    collected = 0.0
    c = 0
    n_ckpt = times.shape[0]
    for t in range(1, budget + 1):
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


def _bandit_arrays(bandit, n_rounds):
    dummy = np.zeros((1, bandit.n_arms))
    if isinstance(bandit, BernoulliBandit):
        return (
            _BERNOULLI,
            np.asarray(bandit.means, dtype=np.float64),
            np.zeros(1),
            dummy,
            bandit.best_arm,
            np.ascontiguousarray(bandit.gaps, dtype=np.float64),
            float(bandit.best_mean),
        )
    if isinstance(bandit, GaussianBandit):
        return (
            _GAUSSIAN,
            np.asarray(bandit.means, dtype=np.float64),
            np.array([bandit.sigma]),
            dummy,
            bandit.best_arm,
            np.ascontiguousarray(bandit.gaps, dtype=np.float64),
            float(bandit.best_mean),
        )
    if isinstance(bandit, BoundedBandit):
        return (
            _BETA,
            np.asarray(bandit.alpha, dtype=np.float64),
            np.asarray(bandit.beta, dtype=np.float64),
            dummy,
            bandit.best_arm,
            np.ascontiguousarray(bandit.gaps, dtype=np.float64),
            float(bandit.best_mean),
        )
    if n_rounds > bandit.n_rounds:
        raise ValueError(f"n_rounds = {n_rounds} exceeds the {bandit.n_rounds} rounds of the SequenceBandit")
    table = np.ascontiguousarray(bandit.rewards[:n_rounds])
    means = table.mean(axis=0)
    best = int(np.argmax(means))  # best fixed arm in hindsight over the run
    return (_SEQUENCE, means, np.zeros(1), table, best, np.ascontiguousarray(means.max() - means), float(means.max()))


def _prepare(bandit, agent, n_rounds) -> PreparedProblem:
    arrays = _bandit_arrays(bandit, n_rounds)
    K = bandit.n_arms

    def allocate(n_runs, n_checkpoints):
        return (
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints)),
            np.zeros((n_runs, n_checkpoints, K), dtype=np.int64),
        )

    def finish(times, outputs, run_start, metadata, confidence, interval):
        regret, realized, pulls = outputs
        return RegretCurve.from_runs(times, regret, realized, pulls, run_start, metadata, confidence, interval)

    return PreparedProblem(
        driver=bandit_run,
        arrays=arrays,
        n_streams=K + 1,
        allocate=allocate,
        bytes_per_checkpoint=8 * (2 + K),
        finish=finish,
        rng="xoshiro256++ per arm (rewards) and one for the agent, seeded by SeedSequence(seed, spawn_key=(run,))",
        invalid_action=f"agent {{agent!r}} selected an arm outside [0, {K}) at {{at}} of run {{run}}",
    )


register_problem_kind(
    ProblemKind(
        name="bandit",
        problem_types=(BernoulliBandit, GaussianBandit, BoundedBandit, SequenceBandit),
        agent_base=BanditAgent,
        budget="n_rounds",
        prepare=_prepare,
    )
)
