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


# ---------------------------------------------------------------- learning from samples
#: Failure probability of the statistical checks of the sample-based tests (each check holds with probability
#: at least 1 - STAT_DELTA by the inequality it uses; seeds are fixed, so a pass is reproducible).
STAT_DELTA = 1e-9


def hoeffding_radius(n, delta=STAT_DELTA, width=1.0):
    """Hoeffding (1963), Thm 2: the mean of n independent draws in an interval of length ``width`` is within
    ``width * sqrt(log(2/delta) / (2n))`` of its expectation with probability >= 1 - delta."""
    return width * np.sqrt(np.log(2.0 / delta) / (2.0 * np.asarray(n, dtype=float)))


def random_mdp(S=4, A=2, gamma=0.9, seed=0, *, horizon=None, sparse=False, initial=True, support=None):
    """A random FiniteMDP: Dirichlet(1) rows (``support`` successors per row when given), uniform [0, 1) rewards."""
    import scipy.sparse as sp

    from rltheory.tabular import FiniteMDP

    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    if support is not None:
        for s in range(S):
            for a in range(A):
                keep = rng.choice(S, size=support, replace=False)
                row = np.zeros(S)
                row[keep] = rng.dirichlet(np.ones(support))
                P[s, a] = row
    R = rng.uniform(0.0, 1.0, (S, A))
    init = rng.dirichlet(np.ones(S)) if initial else None
    P_in = sp.csr_array(P.reshape(S * A, S)) if sparse else P
    return FiniteMDP(P_in, R, gamma=gamma, horizon=horizon, initial_distribution=init)
