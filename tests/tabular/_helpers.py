"""Rounding allowances shared by the tabular tests (Higham 2002, *Accuracy and Stability of Numerical
Algorithms*, Thm. 3.1).

Two evaluations of ``r + gamma P v`` in different summation orders differ by at most ``2 gamma_n (|r| + gamma
|P| |v|)`` with ``gamma_n ~ n u``; ``backup_slack`` is that bound. ``fp_slack`` bounds the rounding accumulated by
a whole solver run: per-backup errors of that size, amplified by at most ``1 / (1 - gamma)`` through the
contraction, times 8 for the few bound evaluations combined.
"""

import numpy as np

EPS = np.finfo(float).eps


def value_scale(mdp, v=None):
    """``|r|_max + gamma ||v||_inf`` (``||v|| <= |r|_max / (1 - gamma)`` by default)."""
    rmax = float(np.max(np.abs(mdp.R)))
    vmax = rmax / (1.0 - mdp.gamma) if v is None else float(np.max(np.abs(v)))
    return rmax + mdp.gamma * vmax


def backup_slack(mdp, v=None):
    """Higham Thm. 3.1: two orderings of one backup differ by <= 2 (S+2) u (|r| + gamma ||v||)."""
    return 2 * (mdp.n_states + 2) * EPS * (value_scale(mdp, v) + 1e-300)


def fp_slack(mdp):
    """Rounding accumulated by a solver run (see the module docstring)."""
    return 8 * (mdp.n_states + 2) * EPS * (value_scale(mdp) + 1.0) / (1.0 - mdp.gamma)




def actions_of(curve, run=0):
    """The action of every round of a curve recorded at every round (``checkpoints=np.arange(1, T + 1)``)."""
    pulls = np.asarray(curve.pulls[run])
    steps = np.diff(np.vstack([np.zeros((1, pulls.shape[1]), dtype=pulls.dtype), pulls]), axis=0)
    assert (steps.sum(axis=1) == 1).all(), "the curve was not recorded at every round"
    return steps.argmax(axis=1).tolist()


def step_continuing_agent(problem, agent, n_rounds, *, seed=0, run=0, watch=None):
    """Run a continuing agent's compiled functions from Python, exactly as the continuing driver does.

    The environment and agent streams are run ``run``'s of ``seed``; ``watch(t, state)`` is called after every
    ``act`` (before the step), so a test can read the agent's documented state. Returns the actions played.
    """
    from rltheory.simulation import PyXoshiro, kind_of, run_states

    kind = kind_of(problem)
    prepared = kind.prepare(problem, agent, n_rounds)
    cumP, R, allowed, cum0, gstar, noise = prepared.arrays
    streams = run_states(seed, np.array([run]), 2)[0]
    env = PyXoshiro(streams[0])
    rng = streams[1].copy()
    params = agent.compiled_params(problem, n_rounds)
    state = type(agent).init(params, R.shape[0], R.shape[1])
    s = env.categorical(cum0)
    actions = []
    for t in range(n_rounds):
        a = int(type(agent).act(params, state, t, s, rng))
        if watch is not None:
            watch(t, state)
        actions.append(a)
        x = float(R[s, a])
        if noise == 1:
            x = 1.0 if env.uniform() < R[s, a] else 0.0
        s2 = env.categorical(cumP[s, a])
        type(agent).observe(params, state, t, s, a, x, s2, rng)
        s = s2
    return actions
