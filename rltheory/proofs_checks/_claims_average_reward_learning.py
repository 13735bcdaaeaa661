"""Claims of average-reward learning: UCRL2's regret bound and optimism (Jaksch, Ortner & Auer 2010), the diameter.

Statistical conventions. A high-probability statement "with probability at
least 1 - delta, E holds" fails only when the 95% Clopper-Pearson interval of
the fraction of runs where E failed lies entirely above delta. A bound on a
mean fails when the upper end of the 95% confidence interval of the mean lies
above it. Slacks of the statistical claims are relative (fractions of the bound
or of delta); ``>= 0`` holds.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Counterexample, Slack, claim
from rltheory.proofs_checks._search import property_claim

JAKSCH = (
    "T. Jaksch, R. Ortner and P. Auer, Near-optimal regret bounds for reinforcement learning, JMLR 11 (2010) 1563-1600"
)
_DELTA = 0.1


def _seed(ctx: CheckContext, *key) -> int:
    return int(ctx.seed_sequence(*key).generate_state(1)[0] >> np.uint32(1))


def _clopper_pearson_low(k: int, n: int) -> float:
    """Lower end of the two-sided 95% Clopper-Pearson interval of a binomial proportion (0 when k = 0)."""
    from scipy.stats import binomtest

    return 0.0 if k == 0 else float(binomtest(int(k), int(n)).proportion_ci(0.95, method="exact").low)


# ------------------------------------------------------------------ instances
def _switch(stay: float):
    """Two states; action a moves to state a with probability ``stay`` (D = 1/stay); r = [[0.2, 0.1], [0.3, 0.9]]."""
    from rltheory.tabular import FiniteMDP

    P = np.zeros((2, 2, 2))
    for s in range(2):
        for a in range(2):
            P[s, a, a] = stay
            P[s, a, 1 - a] += 1.0 - stay
    return FiniteMDP(P, np.array([[0.2, 0.1], [0.3, 0.9]]), gamma=1.0, initial_distribution=[1.0, 0.0])


def _bound_instances():
    from rltheory.tabular import NoisyRewards

    return (
        ("deterministic two-state switch", NoisyRewards(_switch(1.0))),
        ("two-state switch with slip 0.1", NoisyRewards(_switch(0.9))),
    )


# ------------------------------------------------------------------ UCRL2 regret bound
def _ucrl2_bound_check(ctx: CheckContext) -> CheckResult:
    from rltheory.simulation import simulate
    from rltheory.tabular import UCRL2, diameter, ucrl2_regret_bound

    n_runs = max(10, ctx.examples // 10)  # examples = 100 -> 10 runs per instance
    T = 500_000
    times = np.unique(np.geomspace(1_000, T, 13).astype(np.int64))
    worst, cx, notes = math.inf, None, []
    for i, (label, problem) in enumerate(_bound_instances()):
        mdp = problem.mdp
        D = diameter(mdp).diameter
        seed = _seed(ctx, 41, i)
        curve = simulate(problem, UCRL2(delta=_DELTA), n_rounds=T, n_runs=n_runs, seed=seed, checkpoints=times)
        bound = ucrl2_regret_bound(mdp.n_states, mdp.n_actions, D, curve.times, delta=_DELTA)
        real = np.asarray(curve.realized_regret)
        # (a) the mean realized regret's upper 95% CI (normal) below the bound at every checkpoint
        upper = real.mean(axis=0) + 1.96 * real.std(axis=0, ddof=1) / math.sqrt(n_runs)
        slack_mean = float(np.min((bound - upper) / bound))
        # (b) P(some checkpoint above the bound) <= delta: Clopper-Pearson
        k = int((real > bound[None, :]).any(axis=1).sum())
        slack_prob = (_DELTA - _clopper_pearson_low(k, n_runs)) / _DELTA
        slack = min(slack_mean, slack_prob)
        g = curve.metadata["optimal_gain"]
        useful = curve.times[bound < curve.times * g]
        first = int(useful[0]) if useful.size else None
        notes.append(
            f"{label}: D = {D:.4g}, g* = {g:.4g}, mean regret at T = {real[:, -1].mean():.4g} vs bound "
            f"{bound[-1]:.4g}, {k}/{n_runs} runs above it; bound < T g* from T = {first}"
        )
        if slack < worst:
            worst = slack
        if slack < 0 and cx is None:
            cx = Counterexample(
                (label, T, n_runs, seed), slack, f"{label}, T={T}, runs={n_runs}, seed={seed}", seed=ctx.seed
            )
    return CheckResult(
        "average-reward.ucrl2.regret-bound",
        cx is None,
        len(notes),
        worst,
        cx,
        0.0,
        relative_slack=worst,
        message="; ".join(notes),
    )


claim(
    id="average-reward.ucrl2.regret-bound",
    statement=(
        "UCRL2 with confidence delta = 0.1 (the paper's radii) on communicating MDPs with Bernoulli rewards: the "
        "realized regret T g* - sum_t r_t stays below 34 D S sqrt(A T log(T/delta)) at 13 checkpoints up to T = 5e5 "
        "(mean regret's upper 95% CI below the bound, and the fraction of runs crossing it compatible with <= delta), "
        "on two 2-state instances (D = 1 and 1/0.9) where the bound drops below T g* (the largest possible regret) "
        "after T ~ 1e5 to 3e5: "
        "below that it is vacuous, which the message reports."
    ),
    latex=r"\Pr\Big(\forall T>1:\ T g^* - \sum_{t\le T} r_t \le 34\,DS\sqrt{AT\log(T/\delta)}\Big) \ge 1-\delta",
    source=f"{JAKSCH}, Theorem 2",
    kind="inequality",
    tags=("average-reward", "ucrl2", "statistical", "fast"),
)(_ucrl2_bound_check)


# ------------------------------------------------------------------ UCRL2 optimism
def _optimism_instances():
    from rltheory.tabular import FiniteMDP, NoisyRewards
    from rltheory.tabular.envs import garnet, river_swim

    g = garnet(5, 2, 3, rng=np.random.SeedSequence([2010, 5]), gamma=0.9, reward="state-action")
    R = np.clip(np.asarray(g.R), 0.0, 1.0)
    return (
        ("RiverSwim-6 (Osband), Bernoulli rewards", NoisyRewards(river_swim(6, gamma=1, variant="osband"))),
        ("garnet(5, 2, 3), Bernoulli rewards", NoisyRewards(FiniteMDP(g.P, R, gamma=1.0))),
    )


def _ucrl2_optimism_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks._ucrl2_optimism import RUN_FIELDS, optimism_runs
    from rltheory.tabular import UCRL2

    n_runs = max(20, ctx.examples // 2)  # examples = 100 -> 50 runs per instance
    T = 20_000
    col = {name: k for k, name in enumerate(RUN_FIELDS)}
    worst, cx, notes = math.inf, None, []
    for i, (label, problem) in enumerate(_optimism_instances()):
        seed = _seed(ctx, 43, i)
        out = optimism_runs(problem, UCRL2(delta=_DELTA), T, n_runs, seed)
        episodes = int(out[:, col["episodes"]].sum())
        in_set = int(out[:, col["episodes_in_set"]].sum())
        violations = int(out[:, col["implication_violations"]].sum())
        margin = float(np.min(out[:, col["min_relative_margin"]]))
        # (a) M in M_k => gain_upper >= g* and gain_lower >= g* - 1/sqrt(t_k): deterministic, no run may violate it
        slack_a = margin if violations == 0 else -max(1.0, float(violations))
        # (b) P(some episode with gain_upper < g*) <= P(M not in some M_k) <= delta: Clopper-Pearson on the runs
        k_fail = int((out[:, col["episodes_optimism_failed"]] > 0).sum())
        k_out = int((out[:, col["episodes_in_set"]] < out[:, col["episodes"]]).sum())
        slack_b = (_DELTA - _clopper_pearson_low(max(k_fail, k_out), n_runs)) / _DELTA
        slack = min(slack_a, slack_b)
        notes.append(
            f"{label}: {episodes} episodes over {n_runs} runs, {in_set} with M in M_k, {violations} "
            f"violations of the implication (min margin {margin:.3g} x 1/sqrt(t_k)), runs with M outside "
            f"some M_k: {k_out}, with optimism failing: {k_fail}"
        )
        if slack < worst:
            worst = slack
        if slack < 0 and cx is None:
            cx = Counterexample(
                (label, T, n_runs, seed), slack, f"{label}, T={T}, runs={n_runs}, seed={seed}", seed=ctx.seed
            )
    return CheckResult(
        "average-reward.ucrl2.evi-optimism",
        cx is None,
        len(notes),
        worst,
        cx,
        0.0,
        relative_slack=worst,
        message="; ".join(notes),
    )


claim(
    id="average-reward.ucrl2.evi-optimism",
    statement=(
        "UCRL2's extended value iteration is optimistic: at every episode k whose confidence set M_k contains the "
        "true MDP, the recorded upper gain bound max_s(u_{i+1} - u_i)(s) is >= g* and the optimistic gain "
        "min_s(u_{i+1} - u_i)(s) is >= g* - 1/sqrt(t_k) (checked on every episode of every run, exact implication); "
        "and the runs in which the true MDP leaves some M_k (hence optimism may fail) are a fraction <= delta "
        "(Clopper-Pearson), for delta = 0.1, T = 2e4, on RiverSwim-6 and a 5-state garnet with Bernoulli rewards."
    ),
    latex=r"M \in \mathcal M_k \Rightarrow \max_s (u_{i+1}-u_i)(s) \ge \tilde\rho^* \ge g^*,\ "
    r"\min_s (u_{i+1}-u_i)(s) \ge g^* - \tfrac{1}{\sqrt{t_k}};\quad \Pr(\exists k: M\notin\mathcal M_k) \le \delta",
    source=(
        f"{JAKSCH}, Sec. 4 (Eq. (6) and Theorem 7 for EVI; the confidence sets fail with total probability "
        "< delta, Sec. 4.2); A. Odoni (1969), Oper. Res. 17 (gain bounds of value iteration)"
    ),
    kind="inequality",
    tags=("average-reward", "ucrl2", "statistical", "fast"),
)(_ucrl2_optimism_check)


# ------------------------------------------------------------------ diameter
def _brute_force_diameter(mdp) -> float:
    """max_{s != s'} min over deterministic policies of E[hitting time]: one linear solve per (policy, target)."""
    S = mdp.n_states
    P = np.asarray(mdp.dense_P)
    mask = np.asarray(mdp.action_mask)
    best = np.full((S, S), np.inf)
    np.fill_diagonal(best, 0.0)
    for pol in itertools.product(*[np.flatnonzero(mask[s]) for s in range(S)]):
        Ppi = P[np.arange(S), list(pol)]
        for target in range(S):
            adj = Ppi > 0
            adj[target] = False
            reach = adj | np.eye(S, dtype=bool)
            for _ in range(S):
                reach = reach | ((reach.astype(int) @ reach.astype(int)) > 0)
            can = reach[:, target]
            sure = ~(reach & ~can[None, :]).any(axis=1)  # hits the target a.s.: reaches no state that cannot
            F = [s for s in range(S) if sure[s] and s != target]
            if F:
                h = np.linalg.solve(np.eye(len(F)) - Ppi[np.ix_(F, F)], np.ones(len(F)))
                best[F, target] = np.minimum(best[F, target], h)
    return float(np.max(best[~np.eye(S, dtype=bool)])) if S > 1 else 0.0


@st.composite
def _small_mdps(draw):
    from rltheory.tabular import FiniteMDP

    S, A = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            succ = draw(st.lists(st.integers(0, S - 1), min_size=1, max_size=S, unique=True))
            w = draw(st.lists(st.integers(1, 5), min_size=len(succ), max_size=len(succ)))
            P[s, a, succ] = np.array(w, dtype=float) / sum(w)
    return FiniteMDP(P, np.zeros((S, A)), gamma=1.0)


@property_claim(
    id="average-reward.diameter.brute-force",
    statement=(
        "rltheory.tabular.diameter(mdp) (almost-sure reachability, then one stochastic shortest path per target "
        "solved by policy iteration) equals max_{s != s'} min over all deterministic stationary policies of the "
        "expected hitting time of s' from s, enumerated by brute force (infinite for non-communicating models)."
    ),
    latex=r"D(M) = \max_{s\ne s'}\min_{\pi:S\to A}\mathbb E[T(s'\mid M,\pi,s)]",
    source=f"{JAKSCH}, Definition 1; Bertsekas & Tsitsiklis (1991), Math. Oper. Res. 16(3), Prop. 2",
    kind="identity",
    tags=("average-reward", "diameter", "fast"),
    strategy=lambda: _small_mdps(),
    message="slack = 1e-9 D - |D - D_brute| (both infinite: 1)",
)
def _diameter_slack(mdp):
    from rltheory.tabular import diameter

    D, brute = diameter(mdp).diameter, _brute_force_diameter(mdp)
    if math.isinf(D) or math.isinf(brute):
        return Slack(1.0 if D == brute else -1.0, scale=1.0)
    tol = 1e-9 * max(1.0, brute)
    return Slack(tol - abs(D - brute), scale=tol)


def _closed_form_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular import FiniteMDP, diameter
    from rltheory.tabular.envs import river_swim

    worst, n, cx = math.inf, 0, None
    for size in range(2, 9):
        P = np.zeros((size, 2, size), dtype=object)
        P[:] = Fraction(0)
        for s in range(size):
            P[s, 0, max(s - 1, 0)] = Fraction(1)
            P[s, 1, min(s + 1, size - 1)] = Fraction(1)
        cases = [
            (
                f"deterministic chain of {size} states",
                FiniteMDP(P, np.zeros((size, 2), dtype=int), gamma=1),
                Fraction(size - 1),
            )
        ]
        for variant in ("osband", "strehl-littman"):
            mdp = river_swim(size, gamma=1, variant=variant)
            # swimming right is a birth-death chain: E_0[tau_{n-1}] = sum_i m_i, m_i = (1 + q_i m_{i-1}) / p_i
            m, total = Fraction(0), Fraction(0)
            for s in range(size - 1):
                q = mdp.P_exact[s, 1, s - 1] if s > 0 else Fraction(0)
                m = (1 + q * m) / mdp.P_exact[s, 1, s + 1]
                total += m
            cases.append((f"RiverSwim-{size} ({variant})", mdp, max(total, Fraction(size - 1))))
        for label, mdp, expected in cases:
            got = diameter(mdp).diameter_exact
            n += 1
            ok = got == expected
            worst = min(worst, 1.0 if ok else -1.0)
            if not ok and cx is None:
                cx = Counterexample(label, -1.0, f"{label}: diameter {got} != closed form {expected}", seed=ctx.seed)
    return CheckResult(
        "average-reward.diameter.closed-forms",
        cx is None,
        n,
        worst,
        cx,
        0.0,
        relative_slack=worst,
        message="exact rational diameters of chains (S - 1) and RiverSwim (birth-death passage time "
        "upstream), S = 2..8; slack 1 = equal",
    )


claim(
    id="average-reward.diameter.closed-forms",
    statement=(
        "The exact diameter of the deterministic left/right chain with S states is S - 1, and that of RiverSwim "
        "(both published parameterisations, S = 2..8) is the expected passage time from the left bank to the right "
        "bank swimming right, sum_i m_i with m_i = (1 + q_i m_{i-1}) / p_i (a birth-death chain; swimming left "
        "reaches any state deterministically), computed in rational arithmetic."
    ),
    latex=r"D(\text{RiverSwim}_n) = \sum_{i=0}^{n-2} m_i,\quad m_i = \frac{1 + q_i m_{i-1}}{p_i}",
    source=(
        f"{JAKSCH}, Definition 1; passage times of a birth-death chain by first-step analysis (J. R. Norris, "
        "Markov Chains, Cambridge 1997, Sec. 1.3)"
    ),
    kind="identity",
    tags=("average-reward", "diameter", "fast"),
)(_closed_form_check)
