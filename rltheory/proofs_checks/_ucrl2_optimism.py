r"""A compiled harness that runs UCRL2 and audits every episode's optimism against the true model.

It steps :class:`~rltheory.tabular.UCRL2`'s own compiled functions exactly as
the continuing driver does (same streams, same order of draws) and, at every
episode start :math:`t_k`, reads the agent's documented state
(``UCRL2.state_fields``: ``p_hat``, ``r_hat``, ``p_radius``, ``r_radius`` and
``info``'s ``gain_lower`` / ``gain_upper``) to decide whether the true MDP lies
in the confidence set :math:`\mathcal M_k` and whether the optimistic gain
bounds the true optimal gain :math:`g^*`. Used by the claim
``average-reward.ucrl2.evi-optimism``; loaded only when that claim runs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from rltheory.simulation import rng_categorical, rng_uniform
from rltheory.tabular import UCRL2

__all__ = ["RUN_FIELDS", "check_layout", "optimism_runs"]

_init = UCRL2.init
_act = UCRL2.act
_observe = UCRL2.observe

#: Per-run outputs of :func:`optimism_runs`.
RUN_FIELDS = (
    "episodes",
    "episodes_in_set",
    "episodes_optimism_failed",
    "implication_violations",
    "min_relative_margin",
)

#: The state entries the harness reads, at the positions it reads them.
_LAYOUT = {5: "p_hat", 6: "r_hat", 7: "p_radius", 8: "r_radius", 13: "info"}
_INFO = {0: "t_k", 1: "episodes", 2: "gain_lower", 3: "gain_upper"}


def check_layout() -> None:
    """Refuse to run if UCRL2's documented state layout is not the one this harness reads."""
    for pos, name in _LAYOUT.items():
        if UCRL2.state_fields[pos] != name:
            raise RuntimeError(f"UCRL2.state_fields[{pos}] is {UCRL2.state_fields[pos]!r}, the harness reads {name!r}")
    for pos, name in _INFO.items():
        if UCRL2.info_fields[pos] != name:
            raise RuntimeError(f"UCRL2.info_fields[{pos}] is {UCRL2.info_fields[pos]!r}, the harness reads {name!r}")


@njit(cache=True)
def _one_run(params, cumP, P, R, allowed, cum0, noise, gstar, budget, env, rng, tol, out):
    S, A = R.shape
    state = _init(params, S, A)
    p_hat, r_hat, p_rad, r_rad, info = state[5], state[6], state[7], state[8], state[13]
    seen = 0.0
    episodes = in_set_count = failed = violations = 0
    margin = np.inf
    s = rng_categorical(env, cum0)
    for t in range(budget):
        a = _act(params, state, t, s, rng)
        if info[1] != seen:  # an episode started at this round
            seen = info[1]
            episodes += 1
            in_set = True
            for ss in range(S):
                for aa in range(A):
                    if not allowed[ss, aa]:
                        continue
                    d = 0.0
                    for j in range(S):
                        d += abs(P[ss, aa, j] - p_hat[ss, aa, j])
                    if d > p_rad[ss, aa] or abs(R[ss, aa] - r_hat[ss, aa]) > r_rad[ss, aa]:
                        in_set = False
            eps = 1.0 / math.sqrt(info[0])
            upper_ok = info[3] >= gstar - tol
            if not upper_ok:
                failed += 1
            if in_set:
                in_set_count += 1
                # Jaksch et al. (2010): M in M_k => g~* >= g*, so max(Tu - u) >= g* and, at the stop, min(Tu - u) >
                # max(Tu - u) - eps >= g* - eps; the margin is relative to eps
                m = (info[2] - (gstar - eps)) / eps
                margin = min(margin, m)
                if not upper_ok or info[2] < gstar - eps - tol:
                    violations += 1
        x = R[s, a]
        if noise == 1:
            x = 1.0 if rng_uniform(env) < R[s, a] else 0.0
        s2 = rng_categorical(env, cumP[s, a])
        _observe(params, state, t, s, a, x, s2, rng)
        s = s2
    out[0] = episodes
    out[1] = in_set_count
    out[2] = failed
    out[3] = violations
    out[4] = margin


@njit(cache=True, parallel=True)
def _runs(params, cumP, P, R, allowed, cum0, noise, gstar, budget, streams, tol, out):
    for r in prange(streams.shape[0]):
        env = streams[r, 0].copy()
        rng = streams[r, 1].copy()
        _one_run(params, cumP, P, R, allowed, cum0, noise, gstar, budget, env, rng, tol, out[r])


def optimism_runs(problem, agent: UCRL2, n_rounds: int, n_runs: int, seed: int, tol: float = 1e-9) -> np.ndarray:
    """``(n_runs, len(RUN_FIELDS))`` per-run audit of UCRL2's optimism on ``problem`` (run ``i``'s streams)."""
    from rltheory.simulation import kind_of, run_states
    from rltheory.tabular import NoisyRewards

    check_layout()
    mdp = problem.mdp if isinstance(problem, NoisyRewards) else problem
    prepared = kind_of(problem).prepare(problem, agent, n_rounds)
    cumP, R, allowed, cum0, gstar, noise = prepared.arrays
    params = agent.compiled_params(problem, n_rounds)
    streams = run_states(seed, np.arange(n_runs), 2)
    out = np.zeros((n_runs, len(RUN_FIELDS)))
    _runs(
        params,
        cumP,
        np.ascontiguousarray(mdp.dense_P, dtype=np.float64),
        R,
        allowed,
        cum0,
        noise,
        gstar,
        n_rounds,
        streams,
        tol,
        out,
    )
    return out
