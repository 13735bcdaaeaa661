"""Catalogue of small MDPs with exact answers, published or derived with sympy.

Every entry builds the same problem in three representations -- ``"dense"``
(float ``(S, A, S)``), ``"sparse"`` (CSR ``(S*A, S)``) and ``"exact"``
(:class:`fractions.Fraction`) -- so every solver can be checked on each.
Answers are never copied from rltheory's own output: they are either quoted
from the cited source or derived here symbolically (sympy), independently of
the solvers under test.

Oracles
-------
- :func:`sympy_policy_values` solves ``(I - gamma P^pi) v = r^pi`` with
  sympy (symbolic ``gamma`` allowed).
- :func:`brute_force_optimal_values`: ``v* = max_pi v^pi`` over the finitely
  many deterministic stationary policies, pointwise; valid because a
  deterministic stationary optimal policy exists for finite discounted MDPs
  (Puterman 2005, Theorem 6.2.10) and ``v^pi <= v*`` for every policy.
- :func:`brute_force_finite_horizon`: the best expected total reward over all
  deterministic Markov policies, by direct enumeration (Puterman 2005,
  Theorem 4.4.2: a deterministic Markov optimal policy exists).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction as F

import numpy as np
import scipy.sparse as sp
import sympy

from rltheory.tabular import FiniteMDP

REPRESENTATIONS = ("dense", "sparse", "exact")
EPS = np.finfo(float).eps


# ---------------------------------------------------------------- builders
def build(P, R, gamma, representation: str, **kwargs) -> FiniteMDP:
    """Build ``FiniteMDP`` from rational ``P`` (S, A, S) and ``R`` (S, A) in a representation."""
    P = np.array(P, dtype=object)
    R = np.array(R, dtype=object)
    P = np.vectorize(F, otypes=[object])(P)
    R = np.vectorize(F, otypes=[object])(R)
    gamma = F(gamma)
    if representation == "exact":
        return FiniteMDP(P, R, gamma=gamma, **kwargs)
    Pf, Rf, gf = P.astype(float), R.astype(float), float(gamma)
    if representation == "dense":
        return FiniteMDP(Pf, Rf, gamma=gf, **kwargs)
    if representation == "sparse":
        S, A = Rf.shape
        return FiniteMDP(sp.csr_array(Pf.reshape(S * A, S)), Rf, gamma=gf, **kwargs)
    raise ValueError(representation)


def exact_arrays(mdp: FiniteMDP):
    """``(P, R, gamma)`` as Fractions; for float models the floats' exact rational values."""
    if mdp.is_exact:
        return mdp.P_exact, mdp.R_exact, mdp.gamma_exact
    P = mdp.P.toarray().reshape(mdp.n_states, mdp.n_actions, mdp.n_states) if mdp.is_sparse else np.asarray(mdp.P)
    to_f = np.vectorize(F, otypes=[object])
    return to_f(P), to_f(np.asarray(mdp.R)), F(mdp.gamma)


# ----------------------------------------------------------------- oracles
def sympy_policy_values(P, R, gamma, policy, terminal_states=()):
    """Exact ``v^pi`` of a deterministic policy with sympy; ``gamma`` may be a sympy Symbol.

    With terminal states the system is solved on the other states (``v = 0``
    on terminal states), as for a proper policy of an SSP.
    """
    S = len(policy)
    idx = [s for s in range(S) if s not in set(terminal_states)]
    g = sympy.nsimplify(gamma) if not isinstance(gamma, sympy.Basic) else gamma
    M = sympy.Matrix([[(1 if i == j else 0) - g * sympy.Rational(P[i][policy[i]][j]) for j in idx] for i in idx])
    r = sympy.Matrix([sympy.Rational(R[i][policy[i]]) for i in idx])
    sol = M.LUsolve(r) if idx else sympy.Matrix([])
    v = [sympy.Integer(0)] * S
    for k, i in enumerate(idx):
        v[i] = sympy.simplify(sol[k])
    return v


def deterministic_policies(action_mask):
    mask = np.asarray(action_mask)
    choices = [np.flatnonzero(mask[s]).tolist() for s in range(mask.shape[0])]
    return [np.array(p, dtype=np.int64) for p in itertools.product(*choices)]


def n_deterministic_policies(action_mask) -> int:
    return int(np.prod(np.asarray(action_mask).sum(axis=1)))


def brute_force_optimal_values(mdp: FiniteMDP) -> list[F]:
    """``v*(s) = max_pi v^pi(s)`` over deterministic stationary policies (exact rationals)."""
    P, R, g = exact_arrays(mdp)
    P = P.tolist()
    R = R.tolist()
    best = None
    for pi in deterministic_policies(mdp.action_mask):
        v = sympy_policy_values(P, R, sympy.Rational(g.numerator, g.denominator), pi)
        v = [F(int(x.p), int(x.q)) for x in v]
        best = v if best is None else [max(a, b) for a, b in zip(best, v)]
    return best


def optimal_action_sets(mdp: FiniteMDP, v_star) -> list[set[int]]:
    """Exact argmax sets of ``q*(s, .) = r + gamma P v*`` over allowed actions."""
    P, R, g = exact_arrays(mdp)
    S, A = R.shape
    out = []
    for s in range(S):
        allowed = np.flatnonzero(np.asarray(mdp.action_mask)[s])
        q = {int(a): R[s, a] + g * sum(P[s, a, t] * v_star[t] for t in range(S)) for a in allowed}
        m = max(q.values())
        out.append({a for a, x in q.items() if x == m})
    return out


def brute_force_finite_horizon(mdp: FiniteMDP) -> np.ndarray:
    """Best ``E[sum_{t<H} gamma^t r_t]`` per start state over deterministic Markov policies (float)."""
    P = mdp.P.toarray().reshape(mdp.n_states, mdp.n_actions, mdp.n_states) if mdp.is_sparse else np.asarray(mdp.P)
    R, g, H, S = np.asarray(mdp.R), mdp.gamma, mdp.horizon, mdp.n_states
    stationary = deterministic_policies(mdp.action_mask)
    best = np.full(S, -np.inf)
    rows = np.arange(S)
    for seq in itertools.product(stationary, repeat=H):
        # forward: value = sum_t gamma^t (P_{d_0} ... P_{d_{t-1}}) r_{d_t}
        value = np.zeros(S)
        reach = np.eye(S)
        for t, d in enumerate(seq):
            value += g**t * reach @ R[rows, d]
            reach = reach @ P[rows, d]
        best = np.maximum(best, value)
    return best


def float_tolerance(mdp: FiniteMDP, scale: float, condition: float | None = None) -> float:
    """Round-off bound for a float solve of ``(I - gamma P^pi) v = r^pi``.

    Forward error <= condition number x backward error: LU with partial
    pivoting is backward stable with ``|dM| <= c n eps |L||U|`` (Higham 2002,
    Theorem 9.3), and ``kappa_inf(I - gamma P^pi) <= (1+gamma)/(1-gamma)``
    (since ``||(I - gamma P)^{-1}||_inf = 1/(1-gamma)``). Rounding the model's
    rationals to floats perturbs ``P, r, gamma`` by one ulp each, which is
    covered by the same bound. ``condition`` overrides the condition number
    (for SSP models: ``2 * max expected steps``).
    """
    if condition is None:
        condition = (1 + mdp.gamma) / (1 - mdp.gamma)
    return 16 * (mdp.n_states + 2) * EPS * condition * max(1.0, scale)


# --------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class KnownAnswer:
    """A problem with its exact optimal values and optimal action sets."""

    name: str
    citation: str
    build: Callable[[str], FiniteMDP]
    v_star: tuple  # Fractions
    optimal_actions: tuple  # per state, a frozenset of optimal actions


# Puterman (2005), Sec. 3.1, Fig. 3.1.1 -- the two-state example, used again in
# Example 6.2.1 (discounted). State s1 = 0: a_{1,1} = 0 (reward 5, stay or move
# w.p. 1/2 each), a_{1,2} = 1 (reward 10, move to s2); state s2 = 1: a_{2,1} = 0
# (reward -1, stay). Action 1 is not available in s2.
PUTERMAN_TWO_STATE_P = [[[F(1, 2), F(1, 2)], [0, 1]], [[0, 1], [0, 1]]]
PUTERMAN_TWO_STATE_R = [[5, 10], [-1, 0]]
PUTERMAN_TWO_STATE_MASK = [[True, True], [True, False]]


def puterman_two_state(gamma, representation: str = "dense") -> FiniteMDP:
    return build(PUTERMAN_TWO_STATE_P, PUTERMAN_TWO_STATE_R, gamma, representation, action_mask=PUTERMAN_TWO_STATE_MASK)


def puterman_two_state_symbolic():
    """sympy-derived ``v^pi`` of both deterministic policies as functions of gamma, and the switch point.

    Returns ``(g, v_stay, v_move, switch)`` where ``switch`` is the discount in
    (0, 1) at which both policies have equal value in s1 (Puterman: 10/11).
    """
    g = sympy.Symbol("gamma", positive=True)
    v_stay = sympy_policy_values(PUTERMAN_TWO_STATE_P, PUTERMAN_TWO_STATE_R, g, [0, 0])
    v_move = sympy_policy_values(PUTERMAN_TWO_STATE_P, PUTERMAN_TWO_STATE_R, g, [1, 0])
    roots = [r for r in sympy.solve(sympy.Eq(v_stay[0], v_move[0]), g) if 0 < r < 1]
    return g, v_stay, v_move, roots


# A two-state "invest or consume" chain (this catalogue's own; v* derived with
# sympy). State 0 (poor): consume (reward 1, stay) or invest (reward 0, to the
# rich state w.p. 3/4); state 1 (rich): harvest (reward 3, back to poor w.p.
# 1/2) or maintain (reward 1, stay).
INVEST_P = [[[1, 0], [F(1, 4), F(3, 4)]], [[F(1, 2), F(1, 2)], [0, 1]]]
INVEST_R = [[1, 0], [3, 1]]


def invest_chain(gamma, representation: str = "dense") -> FiniteMDP:
    return build(INVEST_P, INVEST_R, gamma, representation)


def invest_chain_symbolic():
    """sympy ``v^pi(gamma)`` for the four deterministic policies (dict policy -> [v0, v1])."""
    g = sympy.Symbol("gamma", positive=True)
    return g, {pi: sympy_policy_values(INVEST_P, INVEST_R, g, list(pi)) for pi in itertools.product((0, 1), repeat=2)}


# Geometric trials: each step succeeds w.p. p (-> terminal state 1), reward -1
# per step; the number of steps is Geometric(p) with mean 1/p (Feller 1968,
# Vol. I, Sec. XI.2 / XIII; any probability text).
def geometric_trial(p, representation: str = "dense") -> FiniteMDP:
    p = F(p)
    return build([[[1 - p, p]], [[0, 1]]], [[-1], [0]], 1, representation, terminal_states=[1])


# Gambler's ruin on {0, ..., N}, 0 and N absorbing, up w.p. p and down w.p.
# q = 1 - p; reward -1 per step, so v(k) = -D_k with the expected duration
# D_k = k/(q-p) - N/(q-p) (1 - (q/p)^k)/(1 - (q/p)^N)  (p != q), D_k = k(N-k)
# (p = q)  -- Feller (1968), Vol. I, Sec. XIV.3, eqs. (3.4)-(3.5).
def gamblers_ruin(N: int, p, representation: str = "dense") -> FiniteMDP:
    p = F(p)
    q = 1 - p
    P = [[[0] * (N + 1)] for _ in range(N + 1)]
    R = [[0] for _ in range(N + 1)]
    P[0][0][0] = 1
    P[N][0][N] = 1
    for k in range(1, N):
        P[k][0][k + 1] = p
        P[k][0][k - 1] = q
        R[k][0] = -1
    return build(P, R, 1, representation, terminal_states=[0, N])


def gamblers_ruin_duration(N: int, p) -> list[F]:
    """Feller's closed form for the expected duration ``D_k``, k = 0..N (exact)."""
    p = F(p)
    q = 1 - p
    if p == q:
        return [F(k * (N - k)) for k in range(N + 1)]
    rho = q / p
    return [F(k) / (q - p) - F(N) / (q - p) * (1 - rho**k) / (1 - rho**N) for k in range(N + 1)]


# Puterman (2005), Sec. 3.2.2 and Sec. 4.6.1: the single-product stochastic
# inventory model, capacity M = 3, demand 0/1/2 w.p. 1/4, 1/2, 1/4, N = 4
# (three decision epochs), zero terminal reward. The state-action data are as
# reproduced in QuantEcon's test suite (quantecon/markov/tests/test_ddp.py,
# TestFiniteHorizon, which cites the same sections).
_INV_PAIRS = [
    (0, 0, 0),
    (0, 1, -1),
    (0, 2, -2),
    (0, 3, -5),
    (1, 0, 5),
    (1, 1, 0),
    (1, 2, -3),
    (2, 0, 6),
    (2, 1, -1),
    (3, 0, 5),
]
_INV_NEXT = {  # distribution of the next stock given stock-after-order u = s + a
    0: [1, 0, 0, 0],
    1: [F(3, 4), F(1, 4), 0, 0],
    2: [F(1, 4), F(1, 2), F(1, 4), 0],
    3: [0, F(1, 4), F(1, 2), F(1, 4)],
}
#: Puterman (2005), Sec. 4.6.1: u_1^*(s), s = 0..3, and the optimal decision rules d_1^*, d_2^*, d_3^*.
PUTERMAN_INVENTORY_V1 = (F(67, 16), F(129, 16), F(194, 16), F(227, 16))
PUTERMAN_INVENTORY_V2 = (F(2), F(25, 4), F(10), F(21, 2))
PUTERMAN_INVENTORY_V3 = (F(0), F(5), F(6), F(5))
PUTERMAN_INVENTORY_POLICY = ((3, 0, 0, 0), (2, 0, 0, 0), (0, 0, 0, 0))


def puterman_inventory(representation: str = "dense", *, horizon: int | None = 3, gamma=1) -> FiniteMDP:
    S = A = 4
    P = [[[1, 0, 0, 0] for _ in range(A)] for _ in range(S)]
    R = [[0] * A for _ in range(S)]
    mask = np.zeros((S, A), dtype=bool)
    for s, a, r in _INV_PAIRS:
        P[s][a] = list(_INV_NEXT[s + a])
        R[s][a] = r
        mask[s, a] = True
    return build(P, R, gamma, representation, horizon=horizon, action_mask=mask)


def _discounted_entry(name, citation, builder) -> KnownAnswer:
    exact = builder("exact")
    v = brute_force_optimal_values(exact)
    acts = optimal_action_sets(exact, v)
    return KnownAnswer(name, citation, builder, tuple(v), tuple(frozenset(a) for a in acts))


@functools.cache
def discounted_catalogue() -> tuple[KnownAnswer, ...]:
    """Discounted entries with v* from the sympy brute-force oracle (independent of the solvers)."""
    return (
        _discounted_entry(
            "puterman_two_state_gamma_19_20",
            "Puterman (2005), Sec. 3.1 Fig. 3.1.1, Example 6.2.1",
            lambda rep: puterman_two_state(F(19, 20), rep),
        ),
        _discounted_entry(
            "puterman_two_state_gamma_1_2",
            "Puterman (2005), Sec. 3.1 Fig. 3.1.1, Example 6.2.1",
            lambda rep: puterman_two_state(F(1, 2), rep),
        ),
        _discounted_entry(
            "invest_chain_gamma_9_10", "sympy-derived (this catalogue)", lambda rep: invest_chain(F(9, 10), rep)
        ),
        _discounted_entry(
            "invest_chain_gamma_1_3", "sympy-derived (this catalogue)", lambda rep: invest_chain(F(1, 3), rep)
        ),
        _discounted_entry(
            "puterman_inventory_discounted_gamma_9_10",
            "Puterman (2005), Sec. 3.2.2 model; v* sympy-derived",
            lambda rep: puterman_inventory(rep, horizon=None, gamma=F(9, 10)),
        ),
    )


# ------------------------------------------------------- stochastic shortest path
# A three-state SSP solved by hand (state 2 terminal; every action of a transient state reaches a lower state with
# positive probability, so no end component avoids termination and every policy is proper):
#   state 1: a0 -> 2 w.p. 1, reward -3;          a1 -> 2 or stay w.p. 1/2 each, reward -1
#   state 0: a0 -> 1 w.p. 1, reward -1;          a1 -> 2 w.p. 1/4, stay w.p. 3/4, reward -1
# v*(1) = max(-3, v) with v = -1 + v/2, i.e. -2 (a1); v*(0) = max(-1 + v*(1), v) with v = -1 + 3v/4, i.e.
# max(-3, -4) = -3 (a0). The largest expected time to termination: M(1) = max(1, 2) = 2, M(0) = max(1 + M(1), 4) = 4.
SMALL_SSP_P = [
    [[0, 1, 0], [F(3, 4), 0, F(1, 4)]],
    [[0, 0, 1], [0, F(1, 2), F(1, 2)]],
    [[0, 0, 1], [0, 0, 1]],
]
SMALL_SSP_R = [[-1, -1], [-3, -1], [0, 0]]
SMALL_SSP_V_STAR = (F(-3), F(-2), F(0))
SMALL_SSP_POLICY = (0, 1)
SMALL_SSP_M = (F(4), F(2), F(0))


def small_ssp(representation: str = "dense") -> FiniteMDP:
    return build(SMALL_SSP_P, SMALL_SSP_R, 1, representation, terminal_states=[2])


def gamblers_problem(goal: int = 100, p_heads=F(2, 5), representation: str = "sparse", *, stake_zero: bool = False):
    """Sutton & Barto (2018), Example 4.3: the gambler's problem as an undiscounted SSP.

    Capital ``s`` in ``0..goal`` (0 and ``goal`` terminal); in ``0 < s < goal`` the stakes are
    ``1..min(s, goal - s)`` (action ``k`` stakes ``k + 1``), plus stake 0 as the last action when ``stake_zero``
    (Sutton & Barto's action set includes it). The coin comes up heads w.p. ``p_heads``: the capital moves to
    ``s + a`` or ``s - a``; reward +1 on reaching ``goal``, else 0, so ``v^pi(s)`` is the probability of reaching
    the goal. Without stake 0 every policy is proper (losing repeatedly ruins within ``goal`` steps with positive
    probability); stake 0 is an improper policy of reward 0. Disallowed actions keep a self-loop row (never used).
    """
    p = F(p_heads)
    n_stakes = goal // 2
    A = n_stakes + (1 if stake_zero else 0)
    S = goal + 1
    entries = {}  # (s, a) -> {next: probability}
    R = {}
    mask = np.zeros((S, A), dtype=bool)
    for t in (0, goal):
        mask[t, 0] = True
    for s in range(1, goal):
        for k in range(min(s, goal - s)):
            a = k + 1
            row = entries.setdefault((s, k), {})
            row[s + a] = row.get(s + a, F(0)) + p
            row[s - a] = row.get(s - a, F(0)) + (1 - p)
            R[s, k] = p if s + a == goal else F(0)
            mask[s, k] = True
        if stake_zero:
            mask[s, A - 1] = True
    for s in range(S):
        for a in range(A):
            entries.setdefault((s, a), {s: F(1)})
    if representation == "exact":
        P = np.full((S, A, S), F(0), dtype=object)
        Rx = np.full((S, A), F(0), dtype=object)
        for (s, a), row in entries.items():
            for t, q in row.items():
                P[s, a, t] = q
        for (s, a), r in R.items():
            Rx[s, a] = r
        return FiniteMDP(P, Rx, gamma=F(1), terminal_states=[0, goal], action_mask=mask)
    rows, cols, vals = [], [], []
    for (s, a), row in sorted(entries.items()):
        for t, q in sorted(row.items()):
            rows.append(s * A + a)
            cols.append(t)
            vals.append(float(q))
    P = sp.csr_array((vals, (rows, cols)), shape=(S * A, S))
    Rf = np.zeros((S, A))
    for (s, a), r in R.items():
        Rf[s, a] = float(r)
    if representation == "dense":
        P = P.toarray().reshape(S, A, S)
    return FiniteMDP(P, Rf, gamma=1.0, terminal_states=[0, goal], action_mask=mask)


def exact_policy_values(mdp: FiniteMDP, policy, terminal_states) -> list[F]:
    """``v^pi`` of a deterministic policy of an SSP (gamma = 1) in rationals: ``(I - P^pi_TT) v_T = r^pi_T``.

    ``P`` and ``R`` are read from the float model and turned into Fractions exactly (``Fraction(float)``), so pass
    a model whose entries are dyadic or compare with the float model's own rational values.
    """
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    S = mdp.n_states
    terminal = set(int(t) for t in terminal_states)
    idx = [s for s in range(S) if s not in terminal]
    pos = {s: i for i, s in enumerate(idx)}
    P = mdp.csr_P
    A = mdp.n_actions
    rows, rhs = [], []
    for s in idx:
        row = [QQ(0)] * len(idx)
        row[pos[s]] += QQ(1)
        r = P.indptr[s * A + int(policy[s])], P.indptr[s * A + int(policy[s]) + 1]
        for k in range(*r):
            t = int(P.indices[k])
            if t in pos:
                q = F(float(P.data[k]))
                row[pos[t]] -= QQ(q.numerator, q.denominator)
        rr = F(float(mdp.R[s, int(policy[s])]))
        rows.append(row)
        rhs.append([QQ(rr.numerator, rr.denominator)])
    x = DomainMatrix(rows, (len(idx), len(idx)), QQ).lu_solve(DomainMatrix(rhs, (len(idx), 1), QQ)).to_list()
    v = [F(0)] * S
    for s, row in zip(idx, x):
        v[s] = F(int(row[0].numerator), int(row[0].denominator))
    return v


@functools.cache
def gamblers_problem_values(goal: int = 100, p_heads=F(2, 5)) -> tuple[F, ...]:
    """The optimal values of :func:`gamblers_problem`, exactly: bold play, checked optimal in rationals.

    Bold play stakes ``min(s, goal - s)``; its values solve a sparse linear system (2 entries per row), and they
    satisfy the Bellman optimality equation ``v(s) = max_a [p v(s + a) + (1 - p) v(s - a)]`` *exactly* for every
    stake (checked here; Dubins & Savage 1965 prove bold play optimal for subfair red-and-black). Every policy is
    proper, so the optimality equation has one solution (Bertsekas & Tsitsiklis 1991, Prop. 2): this is ``v*``,
    the probability of reaching the goal under optimal play (v(0) = 0, v(goal) = 1 by the reward on entry).
    Sutton & Barto (2018), Figure 4.3 plots it for ``p_heads = 0.4``.
    """
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    p = F(p_heads)
    n = goal - 1
    rows, rhs = [], []
    for s in range(1, goal):
        a = min(s, goal - s)
        row = [QQ(0)] * n
        row[s - 1] += QQ(1)
        b = F(0)
        if s + a == goal:
            b += p  # the +1 on entering the goal, times p
        else:
            row[s + a - 1] -= QQ(p.numerator, p.denominator)
        if s - a > 0:
            row[s - a - 1] -= QQ((1 - p).numerator, (1 - p).denominator)
        rows.append(row)
        rhs.append([QQ(b.numerator, b.denominator)])
    x = DomainMatrix(rows, (n, n), QQ).lu_solve(DomainMatrix(rhs, (n, 1), QQ)).to_list()
    v = [F(0)] + [F(int(r[0].numerator), int(r[0].denominator)) for r in x] + [F(0)]  # v(goal) = 0: terminal
    # q(s, a) = p (1[s + a = goal] + v(s + a)) + (1 - p) v(s - a): the reward is paid on entering the goal
    for s in range(1, goal):
        best = max(
            p * ((1 if s + a == goal else 0) + v[s + a]) + (1 - p) * v[s - a] for a in range(1, min(s, goal - s) + 1)
        )
        if best != v[s]:
            raise AssertionError(f"bold play is not optimal at s = {s}: {best} > {v[s]}")
    return tuple(v)
