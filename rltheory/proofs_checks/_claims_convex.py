"""Claims of convex-program DP: constrained MDPs (Altman 1999) and robust MDPs (Iyengar 2005; Nilim & El Ghaoui 2005).

Slack convention as in :mod:`rltheory.proofs_checks._claims_dp`: ``margin +
allowance``, the allowance being the solver's stated acceptance threshold
(LP certificates) or the floating-point bound of :mod:`rltheory.proofs_checks._fp`.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks._fp import U, gamma_n
from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, register
from rltheory.proofs_checks._search import property_claim, search
from rltheory.proofs_checks.strategies import finite_mdps, stochastic_matrices, value_vectors

ALTMAN = "E. Altman, Constrained Markov Decision Processes (Chapman & Hall/CRC 1999)"
IYENGAR = "G. N. Iyengar, Robust dynamic programming, Math. Oper. Res. 30(2), 2005"
NILIM = (
    "A. Nilim and L. El Ghaoui, Robust control of Markov decision processes with uncertain transition matrices, "
    "Oper. Res. 53(5), 2005"
)
LP_TOL = 1e-7  # constrained_lp's default acceptance threshold

ROBUST_KINDS = ("l1", "linf", "chi2", "kl", "wasserstein", "box")


def _inf(x) -> float:
    return float(np.max(np.abs(x), initial=0.0))


# ===================================================================== constrained MDPs
@st.composite
def _cmdps(draw, n_states=st.integers(1, 5), n_actions=st.integers(1, 3), m=st.integers(1, 3)):
    """Random CMDPs whose thresholds are the costs of a random randomized policy (feasible, usually tight)."""
    from rltheory.tabular import ConstrainedMDP, discounted_occupancy

    mdp = draw(
        finite_mdps(
            n_states=n_states, n_actions=n_actions, gamma=st.floats(0.1, 0.9), sparse=st.booleans(), action_mask=True
        )
    )
    k = draw(m)
    S, A = mdp.n_states, mdp.n_actions
    C = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=k * S * A, max_size=k * S * A))).reshape(k, S, A)
    w = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=S * A, max_size=S * A))).reshape(S, A)
    w = np.where(np.asarray(mdp.action_mask), w, 0.0)
    pi0 = w / w.sum(axis=1, keepdims=True)
    occ = discounted_occupancy(mdp, pi0, initial_distribution=np.full(S, 1.0 / S))
    return ConstrainedMDP(mdp, C, np.einsum("isa,sa->i", C, occ))


@property_claim(
    id="cmdp.randomization-at-most-m",
    statement=(
        "For every discounted constrained MDP with m constraints, the basic optimal solution of the occupancy LP "
        "returned by rltheory.tabular.constrained_lp (purified to a vertex) gives a stationary optimal policy that "
        "randomizes in at most m states."
    ),
    latex=r"\#\{s : |\{a : \pi^*(a|s) > 0\}| \ge 2\} \le m",
    source=f"{ALTMAN}, Ch. 3 (Thm 3.8 as cited in issue 14); E. A. Feinberg, Math. Oper. Res. 25(1), 2000",
    kind="inequality",
    tags=("convex", "cmdp", "fast"),
    strategy=lambda: _cmdps(),
    message="slack = m - #randomized states of the basic solution",
)
def _randomization_slack(cmdp):
    from rltheory.tabular import constrained_lp

    res = constrained_lp(cmdp)
    return float(cmdp.n_constraints - res.randomized_states.size)


def _deterministic_totals(cmdp):
    """(V_r(mu), V_c(mu)) of every deterministic stationary policy, by one LU solve each."""
    mdp = cmdp.mdp
    S, A = mdp.n_states, mdp.n_actions
    P = mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(mdp.P)
    mask = np.asarray(mdp.action_mask)
    mu = np.asarray(cmdp.initial_distribution)
    out = []
    for pol in itertools.product(*[np.flatnonzero(mask[s]) for s in range(S)]):
        pol = np.array(pol)
        d = np.linalg.solve((np.eye(S) - mdp.gamma * P[np.arange(S), pol]).T, mu)
        out.append(
            (
                float(d @ np.asarray(mdp.R)[np.arange(S), pol]),
                np.array([float(d @ c[np.arange(S), pol]) for c in np.asarray(cmdp.costs)]),
            )
        )
    return out


def _dual_by_enumeration(cmdp) -> float:
    r""":math:`\min_{\lambda \ge 0} \max_\pi [V_r^\pi - \lambda (V_c^\pi - d)]` for one constraint, exactly:
    the upper envelope of one line per deterministic policy is convex piecewise linear, so its minimum over
    :math:`\lambda \ge 0` is at 0 or at an intersection of two lines."""
    d = float(cmdp.thresholds[0])
    lines = [(vr, vc[0] - d) for vr, vc in _deterministic_totals(cmdp)]  # L = vr - lam * slope
    cands = [0.0]
    for (a1, b1), (a2, b2) in itertools.combinations(lines, 2):
        if b1 != b2:
            lam = (a1 - a2) / (b1 - b2)
            if lam > 0:
                cands.append(lam)
    return min(max(a - lam * b for a, b in lines) for lam in cands)


def _strong_duality_slack(cmdp):
    from rltheory.tabular import constrained_lp

    res = constrained_lp(cmdp)
    dual = _dual_by_enumeration(cmdp)
    scale = max(1.0, abs(dual))
    # the LP's returned policy is optimal within its certified suboptimality bound (and feasible within
    # the primal threshold, which can raise its value by at most lam* times the violation)
    allowance = res.suboptimality_bound + LP_TOL * scale * (1.0 + float(np.sum(res.multipliers))) + 64 * U * scale
    return allowance - abs(res.objective - dual)


register(
    Claim(
        id="cmdp.strong-duality",
        statement=(
            "Zero duality gap of constrained MDPs: the optimal value of the occupancy LP (constrained_lp) equals "
            "min_{lam >= 0} max_pi [V_r^pi(mu) - lam (V_c^pi(mu) - d)], the Lagrangian dual, computed independently "
            "by enumerating the deterministic policies (one constraint; the dual is the minimum of the upper envelope "
            "of their lines)."
        ),
        latex=(
            r"\max_{\pi: V_c^\pi \le d} V_r^\pi = "
            r"\min_{\lambda\ge 0}\max_\pi \big[V_r^\pi - \lambda(V_c^\pi - d)\big]"
        ),
        source=(
            f"{ALTMAN}, Ch. 3 (LP duality of the occupancy LP); S. Paternain, L. Chamon, M. Calvo-Fullana, A. Ribeiro, "
            "Constrained reinforcement learning has zero duality gap, NeurIPS 2019"
        ),
        kind="identity",
        tags=("convex", "cmdp", "fast"),
        check=lambda ctx: _search_check(
            "cmdp.strong-duality",
            _cmdps(n_states=st.integers(1, 3), n_actions=st.integers(1, 3), m=st.just(1)),
            _strong_duality_slack,
            CheckContext(examples=max(1, ctx.examples // 2), seed=ctx.seed),
            "slack = certified allowance - |V_LP - min_lam L(lam)| (enumeration); examples/2 LP solves",
        ),
        evaluate=_strong_duality_slack,
    )
)


def _search_check(claim_id, strategy, slack, ctx, message):
    out = search(strategy, slack, max_examples=ctx.examples, seed=ctx.seed)
    return CheckResult(
        claim_id=claim_id,
        passed=out.counterexample is None,
        n_instances=out.n_instances,
        worst_slack=out.worst_slack,
        counterexample=out.counterexample,
        seconds=0.0,
        message=message + (f"; slack raised {out.error}" if out.error else ""),
    )


def _rate_instance(rng):
    """S=3, A=2, one constraint halfway between its minimum and the cost of the unconstrained optimum.

    Instances where the two differ by less than 0.1 (the constraint would be inactive or nearly so) are
    redrawn, so the constraint binds and the multiplier is positive.
    """
    from rltheory.tabular import ConstrainedMDP, FiniteMDP, discounted_occupancy, policy_iteration

    S, A = 3, 2
    mu = np.full(S, 1.0 / S)
    while True:
        P = rng.dirichlet(np.ones(S) * 0.5, size=(S, A))
        mdp = FiniteMDP(P, rng.random((S, A)), gamma=0.8)
        C = rng.random((1, S, A))
        lo = -float(mu @ policy_iteration(FiniteMDP(P, -C[0], gamma=0.8)).v)
        hi = float(np.sum(C[0] * discounted_occupancy(mdp, policy_iteration(mdp).policy, initial_distribution=mu)))
        if hi - lo >= 0.1:
            return ConstrainedMDP(mdp, C, [0.5 * (lo + hi)]), hi - 0.5 * (lo + hi)


def _primal_dual_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.tabular import constrained_lp, lagrangian_primal_dual

    Ts = np.array([50, 100, 200, 400, 800])
    n_inst = 1 + ctx.examples // 100
    errors = np.empty((Ts.size, n_inst))
    for j in range(n_inst):
        rng = np.random.default_rng(ctx.seed_sequence(14, j))
        cmdp, g0 = _rate_instance(rng)
        lam_star = float(constrained_lp(cmdp).multipliers[0])
        for i, T in enumerate(Ts):
            # the rate's constant is smallest for a step ~ |lambda*| / (G sqrt(T)); G ~ the initial subgradient g0
            res = lagrangian_primal_dual(cmdp, max_iter=int(T), step=max(lam_star, 1e-3) / (g0 * np.sqrt(T)))
            errors[i, j] = res.gap_history[-1] + res.violation_history[-1]
    fit = fit_power_law(Ts, errors, seed=ctx.seed)
    slack = -0.5 - fit.ci[0]
    return CheckResult(
        claim_id="cmdp.primal-dual-rate",
        passed=slack >= 0,
        n_instances=n_inst,
        worst_slack=float(slack),
        counterexample=None,
        seconds=0.0,
        fitted_exponent=fit.exponent,
        exponent_ci=fit.ci,
        claimed_exponent=-0.5,
        rate=fit,
        message=f"{n_inst} random CMDP(s) S=3 A=2 m=1, T in {Ts.tolist()}, error = gap + violation; {fit.describe()}",
    )


register(
    Claim(
        id="cmdp.primal-dual-rate",
        statement=(
            "Dual subgradient descent on the Lagrange multipliers with exact best responses "
            "(rltheory.tabular.lagrangian_primal_dual), constant step ~ 1/sqrt(T): the averaged occupancy's optimality "
            "gap plus constraint violation after T iterations decays at least like T^{-1/2} (fitted exponent not "
            "significantly above -1/2, one-sided 95% bootstrap CI), on random 3-state CMDPs with an active constraint."
        ),
        latex=r"|r^\top \bar x_T - V^*| + \|(C\bar x_T - d)^+\|_\infty = O(T^{-1/2})",
        source=(
            "A. Nedic and A. Ozdaglar, Approximate primal solutions and rate analysis for dual subgradient methods, "
            "SIAM J. Optim. 19(4), 2009, Sec. 3; zero duality gap: Paternain et al., NeurIPS 2019"
        ),
        kind="rate",
        tags=("convex", "cmdp", "rate", "fast"),
        check=_primal_dual_rate_check,
        published_form=(
            "gap(x_bar_k) <= ||lam_0||^2/(2 k eta) + eta G^2/2, violation <= 2||lam*||/(k eta): eta ~ 1/sqrt(T)"
        ),
        claimed_exponent=-0.5,
    )
)


# ===================================================================== robust MDPs
def _uncertainty(kind, P, kappa):
    from rltheory.tabular import UncertaintySet

    S = P.shape[0]
    if kind == "box":
        return UncertaintySet("box", lower=np.maximum(P - kappa / 2, 0.0), upper=np.minimum(P + kappa, 1.0))
    if kind == "wasserstein":
        D = np.abs(np.subtract.outer(np.arange(S), np.arange(S))).astype(float)
        return UncertaintySet("wasserstein", kappa, ground_metric=D)
    if kind == "s-l1":
        return UncertaintySet("l1", kappa, rectangularity="s")
    return UncertaintySet(kind, kappa)


def _dense(mdp):
    S, A = mdp.n_states, mdp.n_actions
    return mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(mdp.P)


def _fp(mdp, *vs):
    scale = float(np.max(np.abs(mdp.R))) + max(_inf(v) for v in vs)
    return 4.0 * gamma_n(2 * mdp.n_states + mdp.n_actions + 8) * scale


@st.composite
def _robust_instances(draw, kinds=ROBUST_KINDS + ("s-l1",)):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 5),
            n_actions=st.integers(1, 3),
            gamma=st.floats(0.0, 0.95),
            sparse=st.booleans(),
            action_mask=True,
        )
    )
    kind = draw(st.sampled_from(kinds))
    kappa = draw(st.sampled_from([0.0, 0.05, 0.5, 2.0]))
    v = draw(value_vectors(mdp.n_states, magnitude=20.0))
    w = draw(value_vectors(mdp.n_states, magnitude=20.0))
    return mdp, kind, kappa, v, w


INNER_TOL = 1e-12  # robust_bellman_operator's default tolerance of the iterative duals (KL, Wasserstein)


@property_claim(
    id="robust.bellman.contraction",
    statement=(
        "For every finite discounted MDP, every rectangular uncertainty set around its kernel ((s,a)-rectangular L1, "
        "L-inf, KL, chi-square, Wasserstein-1, box; s-rectangular L1) and all v, w, the robust Bellman operator "
        "(Tv)(s) = max_a [r(s,a) + gamma min_{p in U_sa} p.v] (max-min over randomized actions for s-rectangular sets) "
        "satisfies ||Tv - Tw||_inf <= gamma ||v - w||_inf."
    ),
    latex=r"\|T v - T w\|_\infty \le \gamma \|v - w\|_\infty",
    source=f"{IYENGAR}, Sec. 3; {NILIM}, Sec. 3; Wiesemann, Kuhn & Rustem, Math. Oper. Res. 38(1), 2013, Sec. 3",
    kind="inequality",
    tags=("convex", "robust", "bellman", "fast"),
    strategy=lambda: _robust_instances(),
    message="slack = gamma ||v-w|| - ||Tv-Tw|| + fp allowance + 2 gamma inner_tol",
)
def _robust_contraction(instance):
    from rltheory.tabular import robust_bellman_operator

    mdp, kind, kappa, v, w = instance
    Us = _uncertainty(kind, _dense(mdp), kappa)
    Tv, Tw = robust_bellman_operator(mdp, Us, v), robust_bellman_operator(mdp, Us, w)
    return mdp.gamma * _inf(v - w) - _inf(Tv - Tw) + 2 * _fp(mdp, v, w) + 2 * mdp.gamma * INNER_TOL


@st.composite
def _robust_models(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 5),
            n_actions=st.integers(1, 3),
            gamma=st.floats(0.0, 0.9),
            sparse=st.booleans(),
            action_mask=True,
        )
    )
    return mdp, draw(st.sampled_from(ROBUST_KINDS + ("s-l1",))), draw(st.sampled_from([0.05, 0.5, 2.0]))


@property_claim(
    id="robust.value-below-nominal",
    statement=(
        "The robust optimal value is at most the nominal optimal value (the nominal kernel belongs to every "
        "uncertainty set), checked through the certified bounds of robust_value_iteration and value_iteration: "
        "v_lower(robust) <= v*(robust) <= v*(nominal) <= v_upper(nominal)."
    ),
    latex=r"v^*_{\mathcal U} = \max_\pi \min_{P' \in \mathcal U} v^\pi_{P'} \le \max_\pi v^\pi_{P} = v^*",
    source=f"{IYENGAR}, Sec. 3 (min over a set containing P); {NILIM}, Sec. 3",
    kind="inequality",
    tags=("convex", "robust", "fast"),
    strategy=lambda: _robust_models(),
    message="slack = min(v_upper(nominal) - v_lower(robust)) + fp allowance",
)
def _below_nominal(instance):
    from rltheory.tabular import robust_value_iteration, value_iteration

    mdp, kind, kappa = instance
    rob = robust_value_iteration(mdp, _uncertainty(kind, _dense(mdp), kappa), tol=1e-9)
    nom = value_iteration(mdp, tol=1e-9)
    return float(np.min(nom.v_upper - rob.v_lower)) + _fp(mdp, nom.v_upper, rob.v_lower) / (1 - mdp.gamma)


@st.composite
def _inner_instances(draw):
    S = draw(st.integers(1, 6))
    q = draw(stochastic_matrices(n_rows=1, n_cols=S, sparsity=0.3))[0]
    v = draw(value_vectors(S, magnitude=10.0))
    if draw(st.booleans()):
        v = np.round(v)
    kind = draw(st.sampled_from(("l1", "linf", "chi2", "kl", "box")))
    return q, v, kind, draw(st.sampled_from([1e-3, 0.05, 0.3, 1.5]))


def _inner_slack(instance):
    from rltheory.tabular import FiniteMDP, worst_case_values

    q, v, kind, kappa = instance
    S = q.size
    P = np.tile(q, (S, 1)).reshape(S, 1, S)
    mdp = FiniteMDP(P, np.zeros((S, 1)), gamma=0.5)
    Us = _uncertainty(kind, P, kappa)
    ex = worst_case_values(mdp, Us, v)
    cx = worst_case_values(mdp, Us, v, method="cvxpy", tol=1e-6)
    fp = 8 * gamma_n(S + 4) * max(1.0, _inf(v))
    # both certified intervals contain sigma, so they intersect; the exact one is tight (closed forms: width 0,
    # KL: within its inner tolerance)
    return (
        min(
            float(np.min(cx.upper - ex.lower)),
            float(np.min(ex.upper - cx.lower)),
            1e-12 - float(np.max(ex.upper - ex.lower)),
        )
        + fp
    )


register(
    Claim(
        id="robust.inner.exact-equals-cvxpy",
        statement=(
            "The exact inner problems of (s,a)-rectangular robust DP (L1 and L-inf / box by sorting, chi-square by "
            "its exact one-dimensional dual, KL by its one-dimensional dual to 1e-12) agree with the certified cvxpy "
            "programs: both certified intervals [lower, upper] contain min_{p in U} p.v, so they intersect, and the "
            "exact interval is tight."
        ),
        latex=(
            r"[\sigma^{lo}_{exact}, \sigma^{hi}_{exact}] \cap [\sigma^{lo}_{cvxpy}, \sigma^{hi}_{cvxpy}]"
            r" \ne \emptyset,\ "
            r"\sigma^{hi}_{exact} - \sigma^{lo}_{exact} \approx 0"
        ),
        source=(
            f"{IYENGAR}, Sec. 4; {NILIM}, Sec. 4-6; J. Duchi and H. Namkoong, Ann. Statist. 49(3), 2021 "
            "(chi-square dual)"
        ),
        kind="identity",
        tags=("convex", "robust", "fast"),
        check=lambda ctx: _search_check(
            "robust.inner.exact-equals-cvxpy",
            _inner_instances(),
            _inner_slack,
            ctx,
            "slack = min(interval overlaps, 1e-12 - exact width) + fp allowance",
        ),
        evaluate=_inner_slack,
    )
)


@st.composite
def _zero_radius_instances(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 6),
            n_actions=st.integers(1, 3),
            gamma=st.floats(0.0, 0.95),
            sparse=st.booleans(),
            action_mask=True,
        )
    )
    return mdp, draw(st.sampled_from(("l1", "linf", "chi2", "kl")))


@property_claim(
    id="robust.radius-zero-is-nominal",
    statement=(
        "Reduction identity: with radius 0 every ball is {P}, and robust_value_iteration returns exactly (bit for "
        "bit) the values, bounds, action values and policy of value_iteration."
    ),
    latex=r"\kappa = 0 \implies \mathcal U = \{P\},\ T_{\mathcal U} = T",
    source=f"{IYENGAR}, Sec. 3 (a singleton set is the nominal MDP)",
    kind="identity",
    tags=("convex", "robust", "fast"),
    strategy=lambda: _zero_radius_instances(),
    message="slack = -max |robust - nominal| over v, v_lower, v_upper, q (0 = identical)",
)
def _radius_zero(instance):
    from rltheory.tabular import UncertaintySet, robust_value_iteration, value_iteration

    mdp, kind = instance
    a = robust_value_iteration(mdp, UncertaintySet(kind, 0.0), tol=1e-8)
    b = value_iteration(mdp, tol=1e-8)
    finite = np.isfinite(np.asarray(b.q))
    diffs = [_inf(np.subtract(a.q, b.q, out=np.zeros(finite.shape), where=finite))]
    diffs.append(float(np.sum(np.isfinite(np.asarray(a.q)) != finite)))
    diffs += [_inf(np.asarray(getattr(a, f)) - np.asarray(getattr(b, f))) for f in ("v", "v_lower", "v_upper")]
    diffs.append(float(np.sum(np.asarray(a.policy) != np.asarray(b.policy))))
    return -max(diffs)


# ===================================================================== seeds: static robust MDPs, regularized robust DP
@st.composite
def _product_sets(draw, rectangular=True):
    from rltheory.tabular import FiniteMDP

    S, A = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    K = draw(st.integers(1, 2)) if rectangular else draw(st.integers(2, 3))
    rows = np.array(draw(stochastic_matrices(n_rows=K * S * A, n_cols=S))).reshape(K, S, A, S)
    if rectangular:  # every combination of per-pair rows: the (s,a)-rectangular product set
        kernels = np.array(
            [
                rows[np.array(c).reshape(S, A), np.arange(S)[:, None], np.arange(A)[None, :]]
                for c in itertools.product(range(K), repeat=S * A)
            ]
        )
    else:
        kernels = rows
    R = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=S * A, max_size=S * A))).reshape(S, A)
    return FiniteMDP(kernels[0], R, gamma=draw(st.floats(0.1, 0.9))), kernels


def _static_optimum(mdp, kernels):
    """max over deterministic stationary policies of min over the kernels of mu . v (enumeration)."""
    S, A = mdp.n_states, mdp.n_actions
    mu = np.full(S, 1.0 / S)
    R = np.asarray(mdp.R)
    best = -np.inf
    for pol in itertools.product(range(A), repeat=S):
        pol = np.array(pol)
        best = max(
            best,
            min(
                float(mu @ np.linalg.solve(np.eye(S) - mdp.gamma * T[np.arange(S), pol], R[np.arange(S), pol]))
                for T in kernels
            ),
        )
    return best


def _static_dynamic_slack(instance):
    from rltheory.tabular import iwocs

    mdp, kernels = instance
    best = _static_optimum(mdp, kernels)
    res = iwocs(mdp, kernels, tol=1e-9)
    fp = 1e3 * U * (1.0 + float(np.max(np.abs(mdp.R)))) / (1.0 - mdp.gamma)
    return (
        min(
            best - res.dynamic_lower,
            res.dynamic_upper - best,  # static optimum = dynamic optimum
            best - res.value_lower,
            res.value_upper - best,  # IWOCS's certified interval contains it
            1e-9 - (res.value_upper - res.value_lower),
        )
        + fp
    )  # and closes (saddle point)


register(
    Claim(
        id="robust.static-equals-dynamic-rectangular",
        statement=(
            "For (s,a)-rectangular sets of kernels (here: all combinations of finitely many rows per pair), the "
            "static robust optimum max_pi min_T mu.v^pi_T (nature commits to one kernel; enumeration of deterministic "
            "policies and kernels) equals the dynamic one (robust value iteration over the set), and IWOCS returns a "
            "certified interval that contains it and closes."
        ),
        latex=(
            r"\max_\pi \min_{T \in \mathcal T} \mu^\top v^\pi_T = \mu^\top v^*_{dyn}"
            r"\quad (\mathcal T\ \text{rectangular})"
        ),
        source=(
            f"{IYENGAR}, Sec. 3; A. Zouitine, M. Geist, E. Rachelson, Solving robust MDPs as a sequence of static RL "
            "problems, arXiv:2410.06212, 2024, Sec. 3 (static-dynamic equivalence, no duality gap)"
        ),
        kind="identity",
        tags=("convex", "robust", "fast"),
        check=lambda ctx: _search_check(
            "robust.static-equals-dynamic-rectangular",
            _product_sets(),
            _static_dynamic_slack,
            ctx,
            "slack = min(static - dynamic interval, IWOCS interval, closure) + fp allowance",
        ),
        evaluate=_static_dynamic_slack,
    )
)


@property_claim(
    id="robust.static-dynamic-gap",
    statement=(
        "For non-rectangular sets the static robust value can be strictly larger than the dynamic one: there is a "
        "finite set of kernels whose certified static value (IWOCS's lower bound) exceeds the certified dynamic value "
        "over its rectangular hull (robust value iteration's upper bound). The check passes when it finds one."
    ),
    latex=(
        r"\exists\, \mathcal T:\ \max_\pi \min_{T \in \mathcal T} \mu^\top v^\pi_T > "
        r"\mu^\top v^*_{\mathrm{rect}(\mathcal T)}"
    ),
    source=f"{IYENGAR}, Sec. 2 (rectangularity); Wiesemann, Kuhn & Rustem 2013, Sec. 1; Zouitine et al. 2024, Sec. 3",
    kind="counterexample",
    tags=("convex", "robust", "fast"),
    strategy=lambda: _product_sets(rectangular=False),
    message="slack of the false claim 'static <= dynamic' = dynamic_upper - static lower bound + fp (negative: a gap)",
)
def _gap_slack(instance):
    from rltheory.tabular import iwocs

    mdp, kernels = instance
    res = iwocs(mdp, kernels, tol=1e-9)
    # a witness must beat rounding: the allowance of the exact evaluations behind both bounds
    fp = 1e3 * U * (1.0 + float(np.max(np.abs(mdp.R)))) / (1.0 - mdp.gamma)
    return float(res.dynamic_upper - res.value_lower) + fp


@st.composite
def _regularized_instances(draw):
    S = draw(st.integers(1, 6))
    q = draw(stochastic_matrices(n_rows=1, n_cols=S, sparsity=0.3))[0]
    v = draw(value_vectors(S, magnitude=10.0))
    if draw(st.booleans()):
        v = np.round(v)
    return q, v, draw(st.sampled_from(("kl", "chi2", "tv"))), draw(st.sampled_from([0.01, 0.3, 2.0, 20.0]))


def _regularized_slack(instance):
    from rltheory.tabular import FiniteMDP, regularized_worst_case_values

    q, v, div, beta = instance
    S = q.size
    mdp = FiniteMDP(np.tile(q, (S, 1)).reshape(S, 1, S), np.zeros((S, 1)), gamma=0.5)
    ex = regularized_worst_case_values(mdp, div, beta, v)
    cx = regularized_worst_case_values(mdp, div, beta, v, method="cvxpy", tol=1e-6)
    fp = 8 * gamma_n(S + 4) * max(1.0, _inf(v)) * (1.0 + beta)
    return (
        min(float(np.min(cx.upper - ex.lower)), float(np.min(ex.upper - cx.lower)), -float(np.max(ex.upper - ex.lower)))
        + fp
    )


register(
    Claim(
        id="robust.regularized-duals-equal-cvxpy",
        statement=(
            "The closed-form duals of nature's penalized inner problem min_p p.v + beta D(p, q) used by "
            "regularized_robust_value_iteration (the tabular R2PVI operator) - KL: -beta log E_q exp(-v/beta); TV: "
            "E_q min(v, min v + beta); chi-square: the exact root of its one-dimensional conjugate dual - agree with "
            "the certified cvxpy programs (intersecting certified intervals) and are exact (zero width)."
        ),
        latex=(
            r"\min_{p\in\Delta} p^\top v + \beta D(p, q) = "
            r"\max_\eta\, \eta - \beta\, \mathbb E_q f^*\big((\eta - v)/\beta\big)"
        ),
        source=(
            "C. Tang, Z. Liu, P. Xu, Robust offline RL with linearly structured f-divergence regularization, "
            "arXiv:2411.18612, 2024 (closed-form duals); convex conjugate duality of f-divergences"
        ),
        kind="identity",
        tags=("convex", "robust", "fast"),
        check=lambda ctx: _search_check(
            "robust.regularized-duals-equal-cvxpy",
            _regularized_instances(),
            _regularized_slack,
            ctx,
            "slack = min(interval overlaps, -exact width) + fp allowance",
        ),
        evaluate=_regularized_slack,
    )
)
