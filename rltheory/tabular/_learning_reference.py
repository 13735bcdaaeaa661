r"""Plain-Python references of the episodic learners and of the engine's episodic driver (for parity tests and
harnesses).

:func:`reference_run` replays run ``run`` of ``simulate(problem, agent,
n_episodes=K, seed=seed)`` in Python, step for step: the same two
xoshiro256++ streams (:class:`~rltheory.simulation.PyXoshiro` twins), the same
draws in the same order, the same exact regret arithmetic. The agent is either
the plain-Python reference of its class (:data:`REFERENCES`; loops written
like the compiled code, so a parity test can demand *identical* actions) or the
agent's own compiled functions called one by one from Python
(``compiled=True``), which lets a harness read the agent's documented state
after every ``plan`` (``state[0]``: the agent's values, see
``EpisodicAgent.value_estimates``) without any side channel in the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rltheory._validation import readonly
from rltheory.simulation import PyXoshiro, rng_categorical, run_states
from rltheory.tabular._finite_horizon import backward_induction

__all__ = ["REFERENCES", "ReferenceRun", "reference_run"]


# ----------------------------------------------------------------------------- agents
class _Model:
    """Twin of :mod:`rltheory.tabular._episodic_model`."""

    def __init__(self, S, A, H):
        self.N = np.zeros((S, A))
        self.Nsas = np.zeros((S, A, S))
        self.Rsum = np.zeros((S, A))
        self.Rsq = np.zeros((S, A))
        self.Nh = np.zeros((H + 1, S))
        self.support = [[[] for _ in range(A)] for _ in range(S)]

    def observe(self, h, s, a, r, s2):
        self.N[s, a] += 1.0
        self.Rsum[s, a] += r
        self.Rsq[s, a] += r * r
        if self.Nsas[s, a, s2] == 0.0:
            self.support[s][a].append(s2)
        self.Nsas[s, a, s2] += 1.0
        self.Nh[h, s] += 1.0


class UCBVIReference:
    def __init__(self, p, S, A, H):
        self.p = p
        self.V = np.zeros((H + 1, S))
        self.V[:H] = p.horizon
        self.Q = np.full((H, S, A), p.horizon)
        self.m = _Model(S, A, H)

    def plan(self, k, policy, rng):
        p, m, V, Q = self.p, self.m, self.V, self.Q
        H, S, A = Q.shape
        Hf, L = p.horizon, p.log_term
        for h in range(H - 1, -1, -1):
            for s in range(S):
                best, arg = -math.inf, 0
                for a in range(A):
                    n = m.N[s, a]
                    q = Hf
                    if n > 0.0:
                        pv = pv2 = corr = 0.0
                        for t in m.support[s][a]:
                            pr = m.Nsas[s, a, t] / n
                            v = V[h + 1, t]
                            pv += pr * v
                            pv2 += pr * v * v
                            if p.bernstein and h < H - 1:
                                c = m.Nh[h + 1, t]
                                w = Hf * Hf if c == 0.0 else min(p.bf_constant / c, Hf * Hf)
                                corr += pr * w
                        if p.bernstein:
                            var = max(pv2 - pv * pv, 0.0)
                            b = math.sqrt(8.0 * L * var / n) + 14.0 * Hf * L / (3.0 * n) + math.sqrt(8.0 * corr / n)
                        else:
                            b = 7.0 * Hf * L * math.sqrt(1.0 / n)
                        q = min(min(m.Rsum[s, a] / n + pv + p.bonus_scale * b, Q[h, s, a]), Hf)
                    Q[h, s, a] = q
                    if q > best:
                        best, arg = q, a
                V[h, s] = best
                policy[h, s] = arg

    def observe(self, h, s, a, r, s2, rng):
        self.m.observe(h, s, a, r, s2)


class QLearningReference:
    stochastic = False

    def __init__(self, p, S, A, H):
        self.p = p
        self.V = np.zeros((H + 1, S))
        self.V[:H] = min(p.initial_value, p.horizon)
        self.Q = np.full((H, S, A), p.initial_value)
        self.N = np.zeros((H, S, A))
        self.Vsum = np.zeros((H, S, A))
        self.Vsq = np.zeros((H, S, A))
        self.beta = np.zeros((H, S, A))

    def observe(self, h, s, a, r, s2, rng):
        p = self.p
        Hf = p.horizon
        self.N[h, s, a] += 1.0
        t = self.N[h, s, a]
        alpha = (Hf + 1.0) / (Hf + t)
        vn = self.V[h + 1, s2]
        b = 0.0
        if p.c > 0.0:
            if p.bernstein:
                self.Vsum[h, s, a] += vn
                self.Vsq[h, s, a] += vn * vn
                mean = self.Vsum[h, s, a] / t
                W = max(self.Vsq[h, s, a] / t - mean * mean, 0.0)
                bt = min(
                    p.c1 * (math.sqrt(Hf / t * (W + Hf) * p.iota) + p.sqrt_h7sa * p.iota / t),
                    p.c2 * math.sqrt(Hf * Hf * Hf * p.iota / t),
                )
                b = (bt - (1.0 - alpha) * self.beta[h, s, a]) / (2.0 * alpha)
                self.beta[h, s, a] = bt
            else:
                b = p.c * math.sqrt(Hf * Hf * Hf * p.iota / t)
        self.Q[h, s, a] = (1.0 - alpha) * self.Q[h, s, a] + alpha * (r + vn + p.bonus_scale * b)
        best = self.Q[h, s, 0]
        for aa in range(1, self.Q.shape[2]):
            if self.Q[h, s, aa] > best:
                best = self.Q[h, s, aa]
        self.V[h, s] = min(Hf, best)

    def _greedy(self, h, s):
        arg, best = 0, self.Q[h, s, 0]
        for a in range(1, self.Q.shape[2]):
            if self.Q[h, s, a] > best:
                best, arg = self.Q[h, s, a], a
        return arg

    def plan(self, k, policy, rng):
        H, S, A = self.Q.shape
        for h in range(H):
            for s in range(S):
                policy[h, s] = self._greedy(h, s)


class EpsilonGreedyReference(QLearningReference):
    def plan(self, k, policy, rng):
        H, S, A = self.Q.shape
        eps = self.p.epsilon
        for h in range(H):
            for s in range(S):
                arg = self._greedy(h, s)
                for a in range(A):
                    policy[h, s, a] = eps / A
                policy[h, s, arg] += 1.0 - eps


class PSRLReference:
    def __init__(self, p, S, A, H):
        self.p = p
        self.V = np.zeros((H + 1, S))
        self.Pk = np.zeros((S, A, S))
        self.rk = np.zeros((S, A))
        self.m = _Model(S, A, H)

    def plan(self, k, policy, rng):
        m, V, Pk, rk = self.m, self.V, self.Pk, self.rk
        H = policy.shape[0]
        S, A = m.N.shape
        a0 = self.p.transition_prior
        for s in range(S):
            for a in range(A):
                tot = 0.0
                for t in range(S):
                    g = rng.gamma(a0 + float(m.Nsas[s, a, t]))
                    Pk[s, a, t] = g
                    tot += g
                for t in range(S):
                    Pk[s, a, t] /= tot
                x = rng.gamma(1.0 + float(m.Rsum[s, a]))
                y = rng.gamma(1.0 + float(m.N[s, a] - m.Rsum[s, a]))
                rk[s, a] = x / (x + y)
        for h in range(H - 1, -1, -1):
            for s in range(S):
                best, arg = -math.inf, 0
                for a in range(A):
                    q = rk[s, a]
                    for t in range(S):
                        q += Pk[s, a, t] * V[h + 1, t]
                    if q > best:
                        best, arg = q, a
                V[h, s] = best
                policy[h, s] = arg

    def observe(self, h, s, a, r, s2, rng):
        self.m.observe(h, s, a, r, s2)


class CertaintyEquivalenceReference:
    def __init__(self, p, S, A, H):
        self.V = np.zeros((H + 1, S))
        self.m = _Model(S, A, H)

    def plan(self, k, policy, rng):
        m, V = self.m, self.V
        H = policy.shape[0]
        S, A = m.N.shape
        for h in range(H - 1, -1, -1):
            for s in range(S):
                best, arg = -math.inf, 0
                for a in range(A):
                    n = m.N[s, a]
                    q = 0.0
                    if n > 0.0:
                        q = m.Rsum[s, a] / n
                        for t in m.support[s][a]:
                            q += m.Nsas[s, a, t] / n * V[h + 1, t]
                    if q > best:
                        best, arg = q, a
                V[h, s] = best
                policy[h, s] = arg

    def observe(self, h, s, a, r, s2, rng):
        self.m.observe(h, s, a, r, s2)


class RLSVIReference:
    def __init__(self, p, S, A, H):
        self.p = p
        self.V = np.zeros((H + 1, S))
        self.n = np.zeros((H, S, A))
        self.rsum = np.zeros((H, S, A))
        self.nsas = np.zeros((H, S, A, S))
        self.support = [[[[] for _ in range(A)] for _ in range(S)] for _ in range(H)]

    def plan(self, k, policy, rng):
        H, S, A = self.n.shape
        s2, lam = self.p.noise_variance, self.p.prior_precision
        V = self.V
        for h in range(H - 1, -1, -1):
            for s in range(S):
                best, arg = -math.inf, 0
                for a in range(A):
                    y = self.rsum[h, s, a]
                    for t in self.support[h][s][a]:
                        y += self.nsas[h, s, a, t] * V[h + 1, t]
                    precision = self.n[h, s, a] / s2 + lam
                    q = (y / s2) / precision + rng.normal() / math.sqrt(precision)
                    if q > best:
                        best, arg = q, a
                V[h, s] = best
                policy[h, s] = arg

    def observe(self, h, s, a, r, s_next, rng):
        self.n[h, s, a] += 1.0
        self.rsum[h, s, a] += r
        if self.nsas[h, s, a, s_next] == 0.0:
            self.support[h][s][a].append(s_next)
        self.nsas[h, s, a, s_next] += 1.0


class MVPReference:
    def __init__(self, p, S, A, H):
        from rltheory.tabular._mvp import C1, C2, C3

        self.c = (C1, C2, C3)
        self.p = p
        self.V = np.zeros((H + 1, S))
        self.V[:H] = 1.0
        self.m = _Model(S, A, H)
        self.fn = np.zeros((S, A))
        self.fsas = np.zeros((S, A, S))
        self.fr = np.zeros((S, A))
        self.fr2 = np.zeros((S, A))
        self.stored = np.zeros((H, S), dtype=np.int64)
        self.dirty = True

    def plan(self, k, policy, rng):
        if not self.dirty:
            policy[:, :] = self.stored
            return
        self.dirty = False
        C1, C2, C3 = self.c
        m, V, iota = self.m, self.V, self.p.iota
        H = policy.shape[0]
        S, A = m.N.shape
        for h in range(H - 1, -1, -1):
            for s in range(S):
                best, arg = -math.inf, 0
                for a in range(A):
                    n = max(self.fn[s, a], 1.0)
                    pv = pv2 = 0.0
                    for t in m.support[s][a]:
                        pr = self.fsas[s, a, t] / n
                        v = V[h + 1, t]
                        pv += pr * v
                        pv2 += pr * v * v
                    rbar = self.fr[s, a] / n
                    rvar = max(self.fr2[s, a] / n - rbar * rbar, 0.0)
                    var = max(pv2 - pv * pv, 0.0)
                    b = C1 * math.sqrt(var * iota / n) + C2 * math.sqrt(rvar * iota / n) + C3 * iota / n
                    q = min(rbar + pv + self.p.bonus_scale * b, 1.0)
                    if q > best:
                        best, arg = q, a
                V[h, s] = best
                policy[h, s] = arg
                self.stored[h, s] = arg

    def observe(self, h, s, a, r, s2, rng):
        m = self.m
        m.observe(h, s, a, r, s2)
        n = int(m.N[s, a])
        if n & (n - 1) == 0:
            self.fn[s, a] = m.N[s, a]
            self.fr[s, a] = m.Rsum[s, a]
            self.fr2[s, a] = m.Rsq[s, a]
            for t in m.support[s][a]:
                self.fsas[s, a, t] = m.Nsas[s, a, t]
            self.dirty = True


def _references():
    from rltheory.tabular._mvp import MVP
    from rltheory.tabular._psrl import PSRL, GreedyCertaintyEquivalence
    from rltheory.tabular._qlearning_ucb import EpsilonGreedyQ, QLearningUCB
    from rltheory.tabular._rlsvi import RLSVI
    from rltheory.tabular._ucbvi import UCBVI

    return {
        UCBVI: UCBVIReference,
        QLearningUCB: QLearningReference,
        EpsilonGreedyQ: EpsilonGreedyReference,
        PSRL: PSRLReference,
        GreedyCertaintyEquivalence: CertaintyEquivalenceReference,
        RLSVI: RLSVIReference,
        MVP: MVPReference,
    }


#: Agent class -> its plain-Python reference (filled on first use).
REFERENCES: dict = {}


# ----------------------------------------------------------------------------- driver
@dataclass(frozen=True, eq=False)
class ReferenceRun:
    """One run replayed by :func:`reference_run`.

    Attributes
    ----------
    actions : (K, H) int64
        The action played at each step of each episode.
    states : (K, H + 1) int64
        The states visited (``states[k, 0]`` the start state).
    regret, realized_regret : (K,) float64
        Cumulative pseudo-regret :math:`\\sum_{j \\le k}\\rho^\\top(V^*_1 - V^{\\pi_j}_1)` and realized regret.
    value_gaps : (K,) float64 or None
        With ``record_values=True``: :math:`\\min_{h, s}(\\bar V_{k,h}(s) - V^*_h(s))` of the agent's
        ``state[0]`` right after each ``plan`` (non-negative exactly when the agent's values are optimistic).
    """

    actions: np.ndarray
    states: np.ndarray
    regret: np.ndarray
    realized_regret: np.ndarray
    value_gaps: np.ndarray | None


def reference_run(
    problem,
    agent,
    n_episodes: int,
    *,
    seed: int = 0,
    run: int = 0,
    compiled: bool = False,
    record_values: bool = False,
    exact_regret: bool = True,
) -> ReferenceRun:
    """Replay run ``run`` of ``simulate(problem, agent, n_episodes=n_episodes, seed=seed)`` in Python.

    ``compiled=False`` plays the plain-Python reference of the agent's class;
    ``compiled=True`` calls the agent's own compiled ``init``/``plan``/``observe``
    from Python (``record_values`` then reads ``state[0]`` after every plan).
    ``exact_regret=False`` skips the regret arithmetic (zeros), for harnesses
    that only need the trajectory or the values.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.simulation import simulate
    >>> from rltheory.tabular import FiniteMDP, UCBVI
    >>> mdp = FiniteMDP(np.full((2, 2, 2), 0.5), np.array([[0.1, 0.9], [0.5, 0.2]]), gamma=1.0, horizon=3,
    ...                 initial_distribution=[0.5, 0.5])
    >>> ref = reference_run(mdp, UCBVI(), 20, seed=3)
    >>> curve = simulate(mdp, UCBVI(), n_episodes=20, seed=3, checkpoints=np.arange(1, 21))
    >>> bool(np.array_equal(ref.regret, curve.regret[0]))
    True
    """
    from rltheory.tabular._episodic_kind import episodic_mdp

    if not REFERENCES:
        REFERENCES.update(_references())
    mdp, noise = episodic_mdp(problem, "reference_run")
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    P = np.asarray(mdp.dense_P)
    R = np.asarray(mdp.R)
    cumP = np.cumsum(P, axis=2)
    rho = np.asarray(mdp.initial_distribution, dtype=float)
    cum0 = np.cumsum(rho)
    opt = backward_induction(mdp).v
    vstar = opt[0]
    params = agent.compiled_params(problem, n_episodes)
    words = run_states(seed, np.array([run]), 2)[0]
    env = PyXoshiro(words[0])
    stochastic = bool(getattr(type(agent), "stochastic_policy", False))
    if compiled:
        cls = type(agent)
        rng = words[1].copy()
        state = cls.init(params, S, A, H, np.zeros((S, A, 0)))

        def plan(k, pol):
            cls.plan(params, state, k, pol, rng)

        def observe(h, s, a, x, s2):
            cls.observe(params, state, h, s, a, x, s2, rng)

        def sample(cum):
            return int(rng_categorical(rng, cum))

        def values():
            return np.asarray(state[0])
    else:
        ref = REFERENCES[type(agent)](params, S, A, H)
        rng = PyXoshiro(words[1])

        def plan(k, pol):
            ref.plan(k, pol, rng)

        def observe(h, s, a, x, s2):
            ref.observe(h, s, a, x, s2, rng)

        def sample(cum):
            return rng.categorical(cum)

        def values():
            return ref.V

    pol = np.zeros((H, S, A)) if stochastic else np.zeros((H, S), dtype=np.int64)
    actions = np.zeros((n_episodes, H), dtype=np.int64)
    states = np.zeros((n_episodes, H + 1), dtype=np.int64)
    regret = np.zeros(n_episodes)
    realized = np.zeros(n_episodes)
    gaps = np.zeros(n_episodes) if record_values else None
    reg = real = 0.0
    Vn = np.zeros(S)
    Vpi = np.zeros(S)
    cum_pol = np.zeros(A)
    for k in range(n_episodes):
        plan(k, pol)
        if record_values:
            gaps[k] = float((values()[:H] - opt[:H]).min())  # V_{H+1} = V*_{H+1} = 0 is not informative
        if exact_regret:
            Vn[:] = 0.0
            for h in range(H - 1, -1, -1):
                for s in range(S):
                    if stochastic:
                        v = 0.0
                        for a in range(A):
                            pr = pol[h, s, a]
                            if pr > 0.0:
                                acc = R[s, a]
                                for t in range(S):
                                    acc += P[s, a, t] * Vn[t]
                                v += pr * acc
                        Vpi[s] = v
                    else:
                        a = pol[h, s]
                        acc = R[s, a]
                        for t in range(S):
                            acc += P[s, a, t] * Vn[t]
                        Vpi[s] = acc
                Vn[:] = Vpi
            gap = 0.0
            for s in range(S):
                gap += rho[s] * (vstar[s] - Vn[s])
            reg += gap
        s = env.categorical(cum0)
        states[k, 0] = s
        real += vstar[s]
        for h in range(H):
            if stochastic:
                acc = 0.0
                for a in range(A):
                    acc += pol[h, s, a]
                    cum_pol[a] = acc
                cum_pol[A - 1] = max(cum_pol[A - 1], 1.0)
                a = sample(cum_pol)
            else:
                a = int(pol[h, s])
            s2 = env.categorical(cumP[s, a])
            x = float(R[s, a])
            if noise == "bernoulli":
                x = 1.0 if env.uniform() < x else 0.0
            real -= x
            observe(h, s, a, x, s2)
            actions[k, h] = a
            states[k, h + 1] = s2
            s = s2
        regret[k] = reg
        realized[k] = real
    return ReferenceRun(
        readonly(actions),
        readonly(states),
        readonly(regret),
        readonly(realized),
        None if gaps is None else readonly(gaps),
    )
