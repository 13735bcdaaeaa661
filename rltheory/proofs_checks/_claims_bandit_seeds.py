"""Claims of the seed bandit results: learning to relax (SOR as a bandit), recovering bandits, restless bandits.

Statistical convention (as in :mod:`rltheory.proofs_checks._claims_bandits`): a bound on an *expected* regret
fails only if the lower end of the simulation's 95% confidence interval of the mean regret exceeds it.
"""

from __future__ import annotations

import math

import numpy as np

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Counterexample, claim


def _seed(ctx: CheckContext, *key) -> int:
    return int(ctx.seed_sequence(*key).generate_state(1)[0])


# --------------------------------------------------------------------------------------------------------------
# Learning to relax: Young's theorem and the regret of Tsallis-INF / EXP3 over an omega grid
# --------------------------------------------------------------------------------------------------------------

#: (dimension, n, shift): consistently ordered model problems, 2-D in red-black order, 1-D tridiagonal
_YOUNG_INSTANCES = ((1, 4, 0), (1, 3, 1), (1, 5, 2), (2, 2, 0), (2, 2, 1))


def _young_instance(dim, n, shift):
    """The exact matrix (sympy, red-black order in 2-D) and its exact Jacobi eigenvalues."""
    import sympy as sp

    c = sp.Integer(shift)
    cos = [sp.cos(sp.pi * k / (n + 1)) for k in range(1, n + 1)]
    if dim == 1:
        A = sp.zeros(n, n)
        for i in range(n):
            A[i, i] = 2 + c
            if i + 1 < n:
                A[i, i + 1] = A[i + 1, i] = -1
        mus = [2 * x / (2 + c) for x in cos]  # eigenvalues of J = I - D^{-1} A for tridiag(-1, 2 + c, -1)
        return A, mus
    N = n * n
    A = sp.zeros(N, N)
    for i in range(n):
        for j in range(n):
            k = i * n + j
            A[k, k] = 4 + c
            for a, b in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                if 0 <= a < n and 0 <= b < n:
                    A[k, a * n + b] = -1
    red = [i * n + j for i in range(n) for j in range(n) if (i + j) % 2 == 0]
    black = [i * n + j for i in range(n) for j in range(n) if (i + j) % 2 == 1]
    order = red + black
    A = A.extract(order, order)
    mus = [(2 * x + 2 * y) / (4 + c) for x in cos for y in cos]
    return A, mus


def _young_check(ctx: CheckContext) -> CheckResult:
    import sympy as sp

    from rltheory.bandits import PoissonSystem, young_optimal_omega

    lam, w = sp.symbols("lambda omega")
    worst, cx = math.inf, None
    for dim, n, shift in _YOUNG_INSTANCES:
        A, mus = _young_instance(dim, n, shift)
        N = A.shape[0]
        D = sp.diag(*[A[k, k] for k in range(N)])
        E = -A.lower_triangular(-1)
        F = -A.upper_triangular(1)
        # det(lambda I - L_w) = det(lambda (D - wE) - (1 - w) D - wF) / det(D)   (D - wE is lower triangular)
        char = sp.expand((lam * (D - w * E) - (1 - w) * D - w * F).det(method="berkowitz") / D.det())
        # Young's relation, squared so that the +-mu pairing is not needed: each pair +-mu gives its factor twice
        rhs = sp.Integer(1)
        for mu in mus:
            rhs *= (lam + w - 1) ** 2 - lam * w**2 * mu**2
        identity = sp.expand(char**2 - rhs) == 0  # the cosines are radicals: expansion decides zero
        rho = max(mus, key=lambda m: float(abs(m)))
        w_star = 2 / (1 + sp.sqrt(1 - rho**2))
        # at omega*, the factor of rho has the double root omega* - 1: w*^2 rho^2 = 4 (w* - 1) exactly; every other
        # factor has discriminant w^2 mu^2 (w^2 mu^2 - 4 (w - 1)) <= 0, so complex roots of modulus |w* - 1|
        double_root = sp.expand(sp.fraction(sp.together(w_star**2 * rho**2 - 4 * (w_star - 1)))[0]) == 0
        # given the double root, that discriminant's sign is the sign of mu^2 - rho^2: exact zeros stay zeros
        margins = []
        for mu in mus:
            d = sp.expand(rho**2 - mu**2)
            margins.append(0.0 if d == 0 else float(sp.N(d, 30)))
        # the library's omega* and its rho(J) formula for the 2-D model problem
        rho_f = float(sp.N(rho, 30))
        lib_rho = PoissonSystem(n, float(shift)).jacobi_radius if dim == 2 else rho_f
        lib = abs(young_optimal_omega(lib_rho) - float(sp.N(w_star, 30)))
        slack = min(0.0 if identity else -1.0, 0.0 if double_root else -1.0, min(margins), 1e-12 - lib)
        worst = min(worst, slack)
        if slack < 0 and cx is None:
            cx = Counterexample(
                (dim, n, shift),
                slack,
                f"{dim}-D model problem n={n}, shift={shift}: identity={identity}, double root={double_root}, "
                f"min rho^2 - mu^2 = {min(margins)!r}, |omega*_lib - omega*|={lib!r}",
                seed=ctx.seed,
            )
    return CheckResult(
        "bandits.sor.young-optimal-omega",
        cx is None,
        len(_YOUNG_INSTANCES),
        worst,
        cx,
        0.0,
        message=f"{len(_YOUNG_INSTANCES)} consistently ordered model problems (1-D tridiagonal, 2-D red-black), "
        "exact in sympy; slack = min(0 if exact, min rho(J)^2 - mu^2, 1e-12 - |library omega* - exact|)",
    )


@claim(
    id="bandits.sor.young-optimal-omega",
    statement=(
        "For a consistently ordered matrix with real Jacobi eigenvalues and rho(J) < 1, the SOR iteration matrix "
        "satisfies det(lambda I - L_w)^2 = prod_mu ((lambda + w - 1)^2 - lambda w^2 mu^2) over the Jacobi "
        "eigenvalues mu, and at w* = 2 / (1 + sqrt(1 - rho(J)^2)) every eigenvalue of L_w* has modulus w* - 1, "
        "so rho(L_w*) = w* - 1 (checked exactly in sympy on 1-D tridiagonal and 2-D red-black model problems, "
        "with the library's omega* and rho(J) = 4 cos(pi h) / (4 + c))."
    ),
    latex=r"\rho(L_{\omega^*}) = \omega^* - 1,\quad \omega^* = \frac{2}{1 + \sqrt{1 - \rho(J)^2}}",
    source="D. M. Young, Iterative Solution of Large Linear Systems (1971), Thm 6.2.3; Y. Saad, Iterative Methods "
    "for Sparse Linear Systems, 2nd ed. (2003), Thm 4.7 (the comparator of Khodak et al., ICLR 2024)",
    kind="identity",
    tags=("bandits", "sor", "exact", "fast"),
)
def _young_claim(ctx: CheckContext) -> CheckResult:
    return _young_check(ctx)


_SOR_N = 10
_SOR_SHIFTS = (0.0, 0.1, 0.3, 0.6, 1.0, 2.0)
_SOR_OMEGAS = tuple(np.round(np.linspace(1.0, 1.9, 10), 2))
_SOR_ROUNDS = 1000
_SOR_MAX_ITER = 400


def _sor_table(seed: int):
    from rltheory.bandits import PoissonSystem, sor_cost_table

    rng = np.random.default_rng(seed)
    shifts = rng.choice(np.array(_SOR_SHIFTS), size=_SOR_ROUNDS)
    systems = [PoissonSystem(_SOR_N, float(c)) for c in shifts]
    return sor_cost_table(systems, _SOR_OMEGAS, tol=1e-8, max_iter=_SOR_MAX_ITER)


def _sor_regret_check(ctx: CheckContext) -> CheckResult:
    from rltheory.bandits import EXP3, TsallisINF, exp3_regret_bound
    from rltheory.simulation import simulate

    table = _sor_table(_seed(ctx, 0))
    bandit = table.bandit
    K, T = bandit.n_arms, bandit.n_rounds
    n_runs = max(20, ctx.examples // 5)
    worst, worst_rel, cx, parts = math.inf, math.inf, None, []
    for i, (agent, bound_fn) in enumerate(
        (
            # Zimmert & Seldin (2021), Thm 1: anytime pseudo-regret <= 4 sqrt(K t) + 1 against any fixed arm
            (TsallisINF(), lambda t: 4.0 * np.sqrt(K * t) + 1.0),
            # Auer et al. (2002b), Cor. 3.2 with g = T (Thm 3.1: the same constant bounds every t <= T)
            (EXP3(), lambda t: np.full(t.shape, float(exp3_regret_bound(bandit, T)))),
        )
    ):
        seed = _seed(ctx, 1, i)
        curve = simulate(bandit, agent, n_rounds=T, n_runs=n_runs, seed=seed, checkpoints=10)
        bound = bound_fn(curve.times.astype(float))
        slack = float(np.min(bound - curve.lower))
        worst_rel = min(worst_rel, float(np.min((bound - curve.lower) / bound)))
        parts.append(f"{agent.name}: regret {float(curve.mean[-1]) * table.max_iter:.0f} iterations")
        worst = min(worst, slack)
        if slack < 0 and cx is None:
            cx = Counterexample(
                (agent.name, seed), slack, f"{agent.name} on the SOR table, T={T}, runs={n_runs}", seed=ctx.seed
            )
    return CheckResult(
        "bandits.sor.regret",
        cx is None,
        2,
        worst,
        cx,
        0.0,
        relative_slack=worst_rel,
        message=f"{T} shifted 2-D Poisson systems (n={_SOR_N}), {K} omegas in [1, 1.9], cap {table.max_iter}; "
        f"{n_runs} runs; " + ", ".join(parts) + " (of the best fixed omega's "
        f"{int(table.costs[:, table.best_fixed_arm].sum())})",
    )


@claim(
    id="bandits.sor.regret",
    statement=(
        "Learning to relax: on a sequence of diagonally shifted 2-D Poisson systems, with cost = SOR iterations to "
        "relative residual 1e-8 and reward 1 - cost / max_iter, Tsallis-INF over an omega grid has expected regret "
        "against the best fixed grid omega at most 4 sqrt(K t) + 1 at every t, and EXP3 (g = T) at most "
        "2 sqrt(e - 1) sqrt(T K ln K) (in units of max_iter iterations)."
    ),
    latex=r"\mathbb E\Big[\sum_{t\le T} c_t(\omega_t)\Big] - \min_k \sum_{t \le T} c_t(\omega_k) \le "
    r"c_{\max}\,(4\sqrt{KT} + 1)",
    source="M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar, Learning to relax: setting solver parameters across a "
    "sequence of linear system instances, ICLR 2024 (arXiv:2310.02246), the setting; J. Zimmert, Y. Seldin, "
    "Tsallis-INF, JMLR 22 (2021), Thm 1; Auer et al., SIAM J. Comput. 32 (2002), Cor. 3.2",
    kind="inequality",
    tags=("bandits", "sor", "statistical", "fast"),
)
def _sor_regret_claim(ctx: CheckContext) -> CheckResult:
    return _sor_regret_check(ctx)


# --------------------------------------------------------------------------------------------------------------
# Recovering bandits: periodic schedules <= exact optimum <= fluid LP bound
# --------------------------------------------------------------------------------------------------------------


def _random_recovering(rng):
    from rltheory.bandits import RecoveringBandit

    n = int(rng.integers(2, 4))
    k = int(rng.integers(1, n))
    dmax = int(rng.integers(2, 5))
    R = np.sort(rng.uniform(size=(n, dmax)), axis=1)
    return RecoveringBandit(R, k, rng.integers(1, dmax + 1, size=n)), int(rng.integers(3, 11))


def _recovering_check(ctx: CheckContext) -> CheckResult:
    from rltheory.bandits import best_periodic_schedule, recovering_optimal_value, recovering_upper_bound

    rng = np.random.default_rng(ctx.seed_sequence(0))
    n_inst = max(10, ctx.examples // 5)
    worst, worst_rel, cx, ratio = math.inf, math.inf, None, math.inf
    for _ in range(n_inst):
        bandit, T = _random_recovering(rng)
        opt = recovering_optimal_value(bandit, T).value
        ub = recovering_upper_bound(bandit, T).bound
        per = best_periodic_schedule(bandit, T, max_period=3).value
        # both sides of the sandwich; the rounding slack of the DP's sums is a few ulps of T
        tol = 1e-12 * T
        slack = min(ub - opt + tol, opt - per + tol)
        scale = max(opt, 1e-12)
        worst, worst_rel = min(worst, slack), min(worst_rel, slack / scale)
        if opt > 0:
            ratio = min(ratio, per / opt)
        if slack < 0 and cx is None:
            cx = Counterexample(
                (bandit.recovery.tolist(), bandit.pulls_per_period, bandit.initial_idle.tolist(), T),
                slack,
                f"R={bandit.recovery.tolist()}, K={bandit.pulls_per_period}, T={T}: periodic {per!r}, "
                f"optimum {opt!r}, bound {ub!r}",
                seed=ctx.seed,
            )
    return CheckResult(
        "bandits.recovering.fluid-bound",
        cx is None,
        n_inst,
        worst,
        cx,
        0.0,
        relative_slack=worst_rel,
        message=f"{n_inst} random instances (N <= 3, K < N, d_max <= 4, T <= 10); optimum by backward induction; "
        f"least ratio best periodic (periods <= 3) / optimum = {ratio:.3f}",
    )


@claim(
    id="bandits.recovering.fluid-bound",
    statement=(
        "Recovering bandits (N arms, at most K pulls per period, nondecreasing R_i(d) of the capped idle time): "
        "every purely periodic schedule's total reward <= the optimal total reward over T periods <= the fluid "
        "LP bound min_beta beta K T + sum_i (T + d0_i - 1) max_d (R_i(d) - beta)^+ / d (checked against exact "
        "backward induction and brute force over periodic schedules on random small instances)."
    ),
    latex=r"V^{\mathrm{periodic}}_T \le V^*_T \le \min_{\beta\ge0}\Big[\beta K T + \sum_i (T + d^0_i - 1)"
    r"\max_d \frac{(R_i(d)-\beta)^+}{d}\Big]",
    source="D. Simchi-Levi, Z. Zheng, F. Zhu, Dynamic planning and learning under recovering rewards, ICML 2021 "
    "(the model and the purely periodic policies); the fluid bound by weak LP duality (rltheory.bandits._recovering)",
    kind="inequality",
    tags=("bandits", "recovering", "exact", "fast"),
)
def _recovering_claim(ctx: CheckContext) -> CheckResult:
    return _recovering_check(ctx)


# --------------------------------------------------------------------------------------------------------------
# Restless bandits: the Whittle index identity, and index policy <= optimum <= Whittle's relaxation
# --------------------------------------------------------------------------------------------------------------


def _random_arm(rng, S, gamma=0.9):
    from rltheory.bandits import RestlessArm

    return RestlessArm(rng.dirichlet(np.full(S, 0.7), size=(S, 2)), rng.uniform(size=(S, 2)), gamma)


def _whittle_identity_check(ctx: CheckContext) -> CheckResult:
    from rltheory.bandits import whittle_indices

    rng = np.random.default_rng(ctx.seed_sequence(0))
    n_arms = max(4, ctx.examples // 25)
    worst, worst_rel, cx, n_indexable = math.inf, math.inf, None, 0
    for _ in range(n_arms):
        arm = _random_arm(rng, int(rng.integers(2, 4)))
        res = whittle_indices(arm)
        n_indexable += res.indexable
        # |D(s, W(s))| <= (tol + 4 eps |W|) / (1 - gamma): W is that close to a zero of D(s, .) and
        # |dD/dlambda| <= 1 / (1 - gamma); policy iteration's rounding adds a few ulps of the values (<= 1e-9 of them)
        w_max = float(np.abs(res.indices).max())
        allowed = (res.tol + 4 * np.finfo(float).eps * w_max) / (1.0 - arm.gamma) + 1e-9 * max(1.0, w_max) / (
            1 - arm.gamma
        )
        slack = allowed - float(np.abs(res.advantage).max())
        worst, worst_rel = min(worst, slack), min(worst_rel, slack / allowed)
        if slack < 0 and cx is None:
            cx = Counterexample(
                (arm.P.tolist(), arm.R.tolist(), arm.gamma),
                slack,
                f"S={arm.n_states}: |D(s, W(s))| = {float(np.abs(res.advantage).max())!r} > {allowed!r}",
                seed=ctx.seed,
            )
    return CheckResult(
        "bandits.restless.whittle-index-identity",
        cx is None,
        n_arms,
        worst,
        cx,
        0.0,
        relative_slack=worst_rel,
        message=f"{n_arms} random arms (S in {{2, 3}}, gamma = 0.9), {n_indexable} indexable on the subsidy grid; "
        "slack = tol / (1 - gamma) - max_s |q(s, active) - q(s, passive)| at lambda = W(s)",
    )


@claim(
    id="bandits.restless.whittle-index-identity",
    statement=(
        "At the Whittle index W(s) of a restless arm (the least subsidy for passivity at which s is passive in the "
        "subsidy problem), both actions are optimal at s: q^W(s, active) = q^W(s, passive), up to the root "
        "finder's tolerance times the Lipschitz constant 1 / (1 - gamma) of the active advantage in the subsidy."
    ),
    latex=r"q^{\lambda}(s, 1) = q^{\lambda}(s, 0) \text{ at } \lambda = W(s)",
    source="P. Whittle, Restless bandits: activity allocation in a changing world, J. Appl. Probab. 25A (1988), "
    "Sec. 3; J. Gittins, K. Glazebrook, R. Weber, Multi-armed Bandit Allocation Indices, 2nd ed. (2011), Sec. 6.2",
    kind="identity",
    tags=("bandits", "restless", "exact", "fast"),
)
def _whittle_identity_claim(ctx: CheckContext) -> CheckResult:
    return _whittle_identity_check(ctx)


def _restless_sandwich_check(ctx: CheckContext) -> CheckResult:
    from rltheory.bandits import RestlessBandit, restless_optimal_value, whittle_policy_value, whittle_relaxation_bound

    rng = np.random.default_rng(ctx.seed_sequence(1))
    n_inst = max(2, ctx.examples // 50)
    worst, worst_rel, cx, ratio = math.inf, math.inf, None, math.inf
    for _ in range(n_inst):
        bandit = RestlessBandit(tuple(_random_arm(rng, 2) for _ in range(3)), int(rng.integers(1, 3)))
        opt = restless_optimal_value(bandit).v
        wi = whittle_policy_value(bandit).v
        ub = whittle_relaxation_bound(bandit).bound
        tol = 1e-9 * max(1.0, float(np.abs(opt).max()))  # linear-solve rounding of the exact evaluations
        slack = min(float(np.min(ub - opt)) + tol, float(np.min(opt - wi)) + tol)
        worst, worst_rel = min(worst, slack), min(worst_rel, slack / max(1.0, float(np.abs(opt).max())))
        ratio = min(ratio, float(np.min(wi / opt)))
        if slack < 0 and cx is None:
            cx = Counterexample(
                ([(a.P.tolist(), a.R.tolist()) for a in bandit.arms], bandit.n_active),
                slack,
                f"N=3, K={bandit.n_active}: index policy {wi.tolist()}, optimum {opt.tolist()}, bound {ub.tolist()}",
                seed=ctx.seed,
            )
    return CheckResult(
        "bandits.restless.relaxation-sandwich",
        cx is None,
        n_inst,
        worst,
        cx,
        0.0,
        relative_slack=worst_rel,
        message=f"{n_inst} random instances (3 two-state arms, K in {{1, 2}}, gamma = 0.9), every joint state; "
        f"least Whittle-policy / optimum ratio {ratio:.4f}",
    )


@claim(
    id="bandits.restless.relaxation-sandwich",
    statement=(
        "For N restless arms with exactly K active per period (discounted), the Whittle index policy's value <= the "
        "optimal value (brute force on the joint MDP) <= Whittle's relaxation bound "
        "min_lambda sum_i V_i^lambda(s_i) - lambda (N - K) / (1 - gamma), at every joint state."
    ),
    latex=r"V^{\mathrm{Whittle}}(s) \le V^*(s) \le \min_\lambda \sum_i V_i^\lambda(s_i) - "
    r"\frac{\lambda (N-K)}{1-\gamma}",
    source="P. Whittle, J. Appl. Probab. 25A (1988), Sec. 3 (the relaxation and the index policy); Gittins, "
    "Glazebrook & Weber (2011), Sec. 6.2",
    kind="inequality",
    tags=("bandits", "restless", "exact", "fast"),
)
def _restless_sandwich_claim(ctx: CheckContext) -> CheckResult:
    return _restless_sandwich_check(ctx)
