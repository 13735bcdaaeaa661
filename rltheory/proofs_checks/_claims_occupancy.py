"""Claims of the occupancy-measure programs: multi-objective fronts, general utilities, Dual RL, inverse RL,
reward expressivity, correlated proxies, C-MORL, quasimetric RL and submodular RL.

Each claim is checked on seeded random tiny instances (the instance of a check is its seed, so a reported
counterexample is re-checked by ``recheck``); the number of instances scales with the effort (``examples``), as
each instance solves a few convex programs. Slack convention as everywhere: ``>= 0`` holds, allowance included.
"""

from __future__ import annotations

import itertools

import numpy as np

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Counterexample, Slack, register

PUTERMAN = "M. L. Puterman, Markov Decision Processes, Wiley 2005"
JAGGI = "M. Jaggi, Revisiting Frank-Wolfe: projection-free sparse convex optimization, ICML 2013"
SIKCHI = (
    "H. Sikchi, Q. Zheng, A. Zhang, S. Niekum, Dual RL: unification and new methods for reinforcement and "
    "imitation learning, ICLR 2024"
)
LAIDLAW = (
    "C. Laidlaw, S. Singhal, A. Dragan, Correlated proxies: a new definition and improved mitigation for reward "
    "hacking, ICLR 2025"
)
ABEL = (
    "D. Abel, W. Dabney, A. Harutyunyan, M. K. Ho, M. L. Littman, D. Precup, S. Singh, On the expressivity of "
    "Markov reward, NeurIPS 2021"
)
CAO = "H. Cao, S. N. Cohen, L. Szpruch, Identifiability in inverse reinforcement learning, NeurIPS 2021"
SK = (
    "A. Schlaginhaufen, M. Kamgarpour, Identifiability and generalizability in constrained inverse reinforcement "
    "learning, ICML 2023"
)
SKALSE = (
    "J. Skalse, A. Abate, Quantifying the sensitivity of inverse reinforcement learning to misspecification, ICLR 2024"
)
NWF = (
    "G. L. Nemhauser, L. A. Wolsey, M. L. Fisher, An analysis of approximations for maximizing submodular set "
    "functions I, Math. Programming 14 (1978)"
)


def _deterministic_policies(mdp):
    """Every deterministic policy allowed by the action mask, by itertools (an oracle independent of the code)."""
    allowed = [np.flatnonzero(row) for row in np.asarray(mdp.action_mask)]
    return np.array(list(itertools.product(*allowed)), dtype=np.int64)


def _size(x: float) -> float:
    return max(float(x), float(np.finfo(float).tiny))


def _mdp(rng, S, A, gamma, mask=False, rewards=False):
    from rltheory.tabular import FiniteMDP

    action_mask = None
    if mask and A > 1:
        action_mask = rng.uniform(size=(S, A)) < 0.7
        action_mask[np.arange(S), rng.integers(0, A, S)] = True
    R = rng.uniform(-1, 1, size=(S, A)) if rewards else np.zeros((S, A))
    return FiniteMDP(
        rng.dirichlet(np.full(S, 0.6), size=(S, A)),
        R,
        gamma=gamma,
        action_mask=action_mask,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )


def seeded_claim(*, id, statement, latex, source, kind, tags, n_instances, message, published_form=None):
    """Decorator: ``slack(seed) -> Slack`` over seeds ``0..n-1`` (``n = n_instances(examples)``) becomes a Claim.

    For a ``counterexample`` claim the check passes when some seed refutes the statement (negative slack).
    """

    def decorate(slack):
        def check(ctx: CheckContext) -> CheckResult:
            base = 0 if ctx.seed is None else int(ctx.seed)
            n = int(n_instances(ctx.examples))
            worst, worst_rel, cx = np.inf, np.inf, None
            best, best_rel, witness = -np.inf, -np.inf, None
            for i in range(n):
                seed = base * 100_003 + i
                out = slack(seed)
                value, rel = (out.value, out.relative) if isinstance(out, Slack) else (float(out), None)
                if value < worst:
                    worst, worst_rel = value, rel
                    if value < 0:
                        cx = Counterexample(instance=seed, slack=value, text=f"seed = {seed}", seed=ctx.seed)
                if -value > best:
                    best, best_rel = -value, None if rel is None else -rel
                if kind == "counterexample" and value < 0:
                    witness = Counterexample(instance=seed, slack=value, text=f"seed = {seed}", seed=ctx.seed)
                    break
            if kind == "counterexample":
                passed = witness is not None
                return CheckResult(
                    claim_id=id,
                    passed=passed,
                    n_instances=i + 1,
                    worst_slack=best if passed else min(best, 0.0),
                    counterexample=witness,
                    seconds=0.0,
                    message=message,
                    relative_slack=best_rel if passed else None,
                )
            passed = cx is None
            return CheckResult(
                claim_id=id,
                passed=passed,
                n_instances=n,
                worst_slack=worst,
                counterexample=cx,
                seconds=0.0,
                message=message,
                relative_slack=worst_rel,
            )

        return register(
            Claim(
                id=id,
                statement=statement,
                latex=latex,
                source=source,
                kind=kind,
                tags=tuple(tags),
                check=check,
                evaluate=slack,
                published_form=published_form,
            )
        )

    return decorate


# ------------------------------------------------------------- multi-objective
@seeded_claim(
    id="pareto.front-dominates-every-policy",
    statement=(
        "The Pareto front returned by rltheory.tabular.pareto_front (k = 2, 3 objectives) is exact: every "
        "deterministic policy's and every random stationary policy's value vector is weakly dominated by a point "
        "of the front's polytope, no deterministic policy strictly dominates a returned vertex, each vertex "
        "maximizes its positive weight's scalarization, and vertex enumeration equals the scalarization method."
    ),
    latex=(
        r"\mathcal V = \mathrm{conv}\{J(\pi): \pi\ \text{det.}\},\ \ \mathcal V - \mathbb R^k_+ = "
        r"\mathrm{conv}(\text{front}) - \mathbb R^k_+"
    ),
    source=(
        f"{PUTERMAN}, Thm 6.9.1 and Prop. 6.9.3; H. Isermann, Operations Research 22 (1974) (efficiency = positive "
        f"weights)"
    ),
    kind="identity",
    tags=("multi-objective", "occupancy", "fast"),
    n_instances=lambda e: max(3, e // 20),
    message=(
        "slack = 1e-9 scale - max violation (domination LP residual, strict dominance, weight optimality, method "
        "mismatch)"
    ),
)
def _pareto_slack(seed):
    import scipy.optimize as so

    from rltheory.tabular import pareto_front, vector_values

    rng = np.random.default_rng(seed)
    S, A, k = [(3, 2, 2), (4, 2, 2), (3, 2, 3), (3, 3, 2)][seed % 4]
    mdp = _mdp(rng, S, A, 0.8, mask=seed % 2 == 1)
    r = rng.uniform(-1, 1, size=(k, S, A))
    a = pareto_front(mdp, r, method="vertices")
    b = pareto_front(mdp, r, method="scalarization")
    V = np.asarray(a.values)
    X = np.array([vector_values(mdp, r, p) for p in _deterministic_policies(mdp)])
    mask = np.asarray(mdp.action_mask)
    mixed = []
    for _ in range(10):
        pi = np.where(mask, rng.dirichlet(np.ones(A), size=S), 0.0)
        mixed.append(vector_values(mdp, r, pi / pi.sum(axis=1, keepdims=True)))
    worst = 0.0
    n = len(V)
    for x in np.vstack([X, mixed]):  # min t: sum lam V >= x - t
        res = so.linprog(
            np.r_[np.zeros(n), 1.0],
            A_ub=np.hstack([-V.T, -np.ones((k, 1))]),
            b_ub=-x,
            A_eq=np.r_[np.ones(n), 0.0][None],
            b_eq=[1.0],
            bounds=[(0, None)] * (n + 1),
            method="highs",
        )
        worst = max(worst, res.fun)
    tol = 1e-9 * a.scale
    for v, w in zip(V, a.weights):
        strict = np.all(X >= v - tol, axis=1) & np.any(X > v + tol, axis=1)
        worst = max(worst, float(strict.any()) * 1.0, float(np.max(X @ w) - w @ v))
    if V.shape != np.asarray(b.values).shape:
        worst = max(worst, 1.0)
    else:
        worst = max(worst, float(np.max(np.abs(V - np.asarray(b.values)))))
    return Slack(tol - worst, scale=tol)


@seeded_claim(
    id="hypervolume.inclusion-exclusion",
    statement=(
        "rltheory.tabular.hypervolume of a finite point set (k = 1..4) equals the inclusion-exclusion formula "
        "sum over nonempty subsets T of (-1)^(|T|+1) prod_i (min_{t in T} y_ti - r_i)^+, computed in rationals."
    ),
    latex=(
        r"\lambda\big(\cup_j [r, y_j]\big) = \sum_{\emptyset \ne T} (-1)^{|T|+1} \prod_i (\min_{t\in T} y_{ti} - "
        r"r_i)^+"
    ),
    source="E. Zitzler, L. Thiele, PPSN V (1998) (the indicator); inclusion-exclusion for a union of boxes",
    kind="identity",
    tags=("multi-objective", "hypervolume", "exact", "fast"),
    n_instances=lambda e: max(5, e // 2),
    message="slack = 1e-12 (1 + HV) - |HV - exact|",
)
def _hv_slack(seed):
    import itertools
    from fractions import Fraction as Fr

    from rltheory.tabular import hypervolume

    rng = np.random.default_rng(seed)
    k, n = 1 + seed % 4, 2 + seed % 5
    pts = [tuple(Fr(int(x), 8) for x in row) for row in rng.integers(-4, 16, size=(n, k))]
    ref = tuple(Fr(int(x), 8) for x in rng.integers(-4, 2, size=k))
    exact = Fr(0)
    for size in range(1, n + 1):
        for T in itertools.combinations(range(n), size):
            vol = Fr(1)
            for i in range(k):
                vol *= max(Fr(0), min(pts[t][i] for t in T) - ref[i])
            exact += (-1) ** (size + 1) * vol
    got = hypervolume(np.array(pts, dtype=float), np.array(ref, dtype=float))
    allowance = 1e-12 * (1.0 + float(exact))
    return Slack(allowance - abs(got - float(exact)), scale=allowance)


@seeded_claim(
    id="cmorl.efficient-points-bounded-hypervolume",
    statement=(
        "Every policy returned by rltheory.tabular.cmorl (exact constrained steps with the lexicographic "
        "tie-break) is Pareto-optimal (Benson's LP test returns 0), its hypervolume history never decreases, "
        "and it never exceeds the hypervolume of the exact achievable polytope."
    ),
    latex=(
        r"\mathrm{HV}(\text{C-MORL}_t) \uparrow,\quad \mathrm{HV}(\text{C-MORL}_t) \le \mathrm{HV}(\mathcal "
        r"V),\quad \text{gap}(x) = 0"
    ),
    source=(
        "R. Liu et al., C-MORL, ICLR 2025 (the algorithm); M. Ehrgott, Multicriteria Optimization (2005), Sec. 4.1 "
        "(epsilon-constraint); H. P. Benson, JOTA 26 (1978)"
    ),
    kind="inequality",
    tags=("multi-objective", "c-morl", "fast"),
    n_instances=lambda e: max(2, e // 50),
    message="slack = tol - max(Benson gap, HV decrease, HV excess)",
)
def _cmorl_slack(seed):
    from rltheory.tabular import cmorl, hypervolume, pareto_front, pareto_gap

    rng = np.random.default_rng(seed)
    S, A, k = (4, 3, 2) if seed % 2 == 0 else (3, 2, 3)
    mdp = _mdp(rng, S, A, 0.85)
    r = rng.uniform(-1, 1, size=(k, S, A))
    front = pareto_front(mdp, r)
    ref = np.asarray(front.values).min(axis=0) - 0.5
    res = cmorl(mdp, r, ref, n_initial=k, n_rounds=3)
    scale = 1.0 / (1 - mdp.gamma)
    hist = np.asarray(res.hypervolume_history)
    hv = hypervolume(front, ref)
    worst = max(
        max(pareto_gap(mdp, r, v) for v in res.values) / scale,
        float(np.max(-np.diff(hist), initial=0.0)) / hv,
        (hist[-1] - hv) / hv,
    )
    return Slack(1e-6 - worst, scale=1e-6)


# ------------------------------------------------------------- general utilities
def _fw_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.tabular import FiniteMDP, divergence_utility, maximize_utility

    rng = np.random.default_rng(ctx.seed_sequence(41))
    S, A = 5, 3
    P = rng.dirichlet(np.full(S, 0.5), size=(S, A))
    mdp = FiniteMDP(P, np.zeros((S, A)), gamma=0.8, initial_distribution=rng.dirichlet(np.ones(S)))
    # an imitation target outside the occupancy polytope: the optimum lies on its boundary, away from vertices
    target = rng.dirichlet(np.ones(S * A)).reshape(S, A)
    U = divergence_utility(target, "chi2")
    star = maximize_utility(mdp, U)
    K = 400
    fw = maximize_utility(mdp, U, method="frank_wolfe", max_iter=K, tol=1e-14)
    h = star.value + star.duality_gap - np.asarray(fw.utility_history)
    k = np.arange(len(h))
    bound_slack = float(np.min(8 * U.smoothness / (k[1:] + 2) - h[1:]))  # Jaggi 2013, Theorem 1
    keep = np.unique(np.geomspace(20, len(h) - 1, 12).astype(int))
    keep = keep[h[keep] > 1e3 * (star.duality_gap + 1e-12)]
    fit = fit_power_law(keep, h[keep], seed=ctx.seed)
    slack = -1.0 - fit.ci[0]  # O(1/k): fail only when the whole CI lies above -1
    passed = slack >= 0 and bound_slack >= 0
    worst = min(slack, bound_slack) if not passed else slack
    return CheckResult(
        claim_id="utility.frank-wolfe.sublinear-rate",
        passed=bool(passed),
        n_instances=len(h),
        worst_slack=float(worst),
        counterexample=None,
        seconds=0.0,
        fitted_exponent=fit.exponent,
        exponent_ci=fit.ci,
        claimed_exponent=-1.0,
        rate=fit,
        message=f"5x3 MDP, chi2 imitation, K={K}; Jaggi bound slack {bound_slack:.3g}; {fit.describe()}",
        relative_slack=float(worst) / _size((fit.ci[1] - fit.ci[0]) / 2) if passed else None,
    )


register(
    Claim(
        id="utility.frank-wolfe.sublinear-rate",
        statement=(
            "Frank-Wolfe on the occupancy polytope with step 2/(k+2) and exact linear-maximization oracles (policy "
            "iteration) satisfies F* - F(lambda_k) <= 8 L / (k+2) at every k for an L-smooth concave utility "
            "(l1 -> linf Lipschitz gradient), and the fitted log-log slope of the primal gap is not significantly "
            "above -1 (here: -chi2 imitation of a target outside the polytope, F* from the certified convex program)."
        ),
        latex=r"F^* - F(\lambda_k) \le \frac{2 C_F}{k+2},\quad C_F \le L\,\mathrm{diam}_1(\Delta)^2 = 4L",
        source=(
            f"{JAGGI}, Theorem 1 and Lemma 7; E. Hazan et al., Provably efficient maximum entropy exploration, "
            f"ICML 2019"
        ),
        kind="rate",
        tags=("utility", "frank-wolfe", "rate", "fast"),
        check=_fw_rate_check,
        published_form="f(x^(k)) - f(x*) <= 2 C_f / (k + 2)",
        claimed_exponent=-1.0,
    )
)


@seeded_claim(
    id="utility.frank-wolfe-gap.weak-duality",
    statement=(
        "For a concave utility F of the normalized occupancy and any feasible occupancy lambda, the Frank-Wolfe gap "
        "g(lambda) = max_{lambda'} <grad F(lambda), lambda' - lambda> (an exact MDP solve) upper-bounds "
        "F* - F(lambda); F* from rltheory.tabular.maximize_utility, itself certified by the Lagrangian dual."
    ),
    latex=r"F^* - F(\lambda) \le \max_{\lambda'\in\Lambda}\langle\nabla F(\lambda), \lambda' - \lambda\rangle",
    source=f"{JAGGI}, Sec. 2 (the duality gap); {PUTERMAN}, Thm 6.9.1 (linear maximization over occupancies is an MDP)",
    kind="inequality",
    tags=("utility", "duality", "fast"),
    n_instances=lambda e: max(5, e // 5),
    message="slack = g(lambda) - (F* + gap(F*) - F(lambda)) + 1e-9",
)
def _fw_gap_slack(seed):
    from rltheory.tabular import (
        discounted_occupancy,
        divergence_utility,
        entropy_utility,
        frank_wolfe_gap,
        maximize_utility,
    )

    rng = np.random.default_rng(seed)
    S, A = 3 + seed % 2, 2 + seed % 2
    mdp = _mdp(rng, S, A, 0.8)
    U = [
        entropy_utility("state"),
        entropy_utility("state_action", smoothing=0.1),
        divergence_utility(rng.dirichlet(np.ones(S * A)).reshape(S, A), "chi2"),
    ][seed % 3]
    star = maximize_utility(mdp, U)
    pi = rng.dirichlet(np.ones(A), size=S)
    lam = (1.0 - mdp.gamma) * discounted_occupancy(mdp, pi, np.asarray(mdp.initial_distribution))
    g = frank_wolfe_gap(mdp, U, lam)
    return Slack(g - (star.value - U.value(lam)) + 1e-9, scale=_size(g + 1e-9))


# ------------------------------------------------------------- Dual RL
@seeded_claim(
    id="dual-rl.strong-duality-kkt",
    statement=(
        "For the f-divergence-regularized occupancy program with KL, chi-square and TV generators, the dual-V "
        "optimum min_V (1-gamma) mu^T V + alpha E_{d^O} f*_p((r + gamma P V - V)/alpha) equals the primal "
        "optimum (duality gap <= 1e-8 relative) and the KKT conditions d* = d^O w*, w* in the subdifferential of "
        "f*_p at delta_V*/alpha, recover the primal solution."
    ),
    latex=(
        r"\max_{d\in\Lambda}\langle r,d\rangle - \alpha D_f(d\|d^O) = \min_V (1-\gamma)\mu^\top V + "
        r"\alpha\,\mathbb E_{d^O}[f^*_p(\delta_V/\alpha)]"
    ),
    source=f"{SIKCHI}, Sec. 3-4 (dual-V); S. Boyd, L. Vandenberghe, Convex Optimization (2004), Sec. 5.2.3 (Slater)",
    kind="identity",
    tags=("dual-rl", "duality", "fast"),
    n_instances=lambda e: max(6, e // 5),
    message="slack = 1e-8 (1 + |value|) - max(duality gap, KKT residual / 1e4)",
)
def _dual_rl_slack(seed):
    from rltheory.tabular import dual_rl

    rng = np.random.default_rng(seed)
    mdp = _mdp(rng, 3 + seed % 2, 2 + seed % 2, 0.85, rewards=True)
    S, A = mdp.n_states, mdp.n_actions
    dO = rng.dirichlet(np.ones(S * A)).reshape(S, A)
    div = ("kl", "chi2", "tv")[seed % 3]
    res = dual_rl(mdp, dO, float(rng.choice([0.05, 0.5, 2.0])), div)
    allowance = 1e-8 * (1 + abs(res.primal_value))
    return Slack(allowance - max(res.duality_gap, res.kkt_residual * 1e-4), scale=allowance)


# ------------------------------------------------------------- inverse RL
@seeded_claim(
    id="irl.feasible-set-is-optimality",
    statement=(
        "A reward r (state-action, or state as in Ng & Russell's Theorem 3) lies in rltheory.tabular."
        "irl_feasible_set(mdp, pi) iff the deterministic policy pi is optimal for r (all advantages <= 0, by policy "
        "evaluation), on random rewards; and every reward of Metelli et al.'s explicit form -B zeta + (E - gamma P)V "
        "(zeta >= 0) makes pi optimal."
    ),
    latex=(
        r"\pi \in \Pi^*(r) \iff (I + (\gamma P - E)(I-\gamma P^\pi)^{-1}\Pi)\, r \le 0 \iff r = -B^\pi\zeta + "
        r"(E-\gamma P)V"
    ),
    source=(
        "A. Y. Ng, S. Russell, Algorithms for inverse reinforcement learning, ICML 2000, Thm 3; A. M. Metelli et al., "
        f"Provably efficient learning of transferable rewards, ICML 2021, Lemma 3.2; {PUTERMAN}, Thm 6.2.6"
    ),
    kind="identity",
    tags=("irl", "fast"),
    n_instances=lambda e: max(5, e // 5),
    message="slack = -(number of disagreements) (0 when membership always matches optimality)",
)
def _irl_slack(seed):
    from rltheory.tabular import FiniteMDP, irl_feasible_set, policy_evaluation

    rng = np.random.default_rng(seed)
    mdp = _mdp(rng, 3, 2 + seed % 2, 0.8, mask=seed % 3 == 0)
    S, A = mdp.n_states, mdp.n_actions
    mask = np.asarray(mdp.action_mask)
    pol = np.array([rng.choice(np.flatnonzero(mask[s])) for s in range(S)])
    fs, fss = irl_feasible_set(mdp, pol), irl_feasible_set(mdp, pol, reward="state")
    P = np.asarray(mdp.dense_P)

    def optimal(r):
        v = np.asarray(policy_evaluation(FiniteMDP(mdp.P, r, gamma=mdp.gamma, action_mask=mask), pol).v)
        q = r + mdp.gamma * P @ v
        return bool(np.all(q[mask] <= np.repeat(v[:, None], A, 1)[mask] + 1e-9 * (1 + np.abs(v).max())))

    bad = 0
    for _ in range(60):
        r = rng.normal(size=(S, A))
        bad += fs.contains(r) != optimal(r)
        R = rng.normal(size=S)
        bad += fss.contains(R) != optimal(np.repeat(R[:, None], A, 1))
    K = np.repeat(np.eye(S), A, axis=0) - mdp.gamma * P.reshape(S * A, S)
    for _ in range(10):
        r = (fs.rays @ rng.exponential(size=fs.rays.shape[1]) + K @ rng.normal(size=S)).reshape(S, A)
        bad += not (fs.contains(r) and optimal(r))
    return Slack(0.0 - float(bad), scale=1.0)


@seeded_claim(
    id="irl.soft.two-discounts-identify-up-to-constant",
    statement=(
        "The rewards of an entropy-regularized expert are tau log pi + potential shapings (an S-dimensional "
        "ambiguity, identifiable exactly up to shaping); demonstrations of the same reward under two discount factors "
        "(or two random transition kernels) identify it up to a constant, and the recovered reward equals the truth "
        "up to a constant."
    ),
    latex=r"\{r : \pi_{r,\gamma_1} = \pi_1\} \cap \{r : \pi_{r,\gamma_2} = \pi_2\} = r + \mathbb R\mathbf 1",
    source=f"{CAO}, Theorem 1 and Sec. 4 (two discounts / two environments)",
    kind="identity",
    tags=("irl", "identifiability", "fast"),
    n_instances=lambda e: max(4, e // 10),
    message="slack = 1e-6 - max(|dim - expected| , spread of recovered - true)",
)
def _cao_slack(seed):
    from rltheory.tabular import FiniteMDP, reward_identifiability, soft_irl_reward_set, soft_value_iteration

    rng = np.random.default_rng(seed)
    S, A, tau = 3, 2 + seed % 2, 0.7
    P1, P2 = rng.dirichlet(np.ones(S), size=(S, A)), rng.dirichlet(np.ones(S), size=(S, A))
    r = rng.normal(size=(S, A))

    def reward_set(P, gamma):
        m = FiniteMDP(P, r, gamma=gamma)
        pi = soft_value_iteration(m, tau, tol=1e-12).action_probabilities
        return soft_irl_reward_set(FiniteMDP(P, np.zeros((S, A)), gamma=gamma), pi, tau)

    a, b, c = reward_set(P1, 0.9), reward_set(P1, 0.5), reward_set(P2, 0.9)
    one = reward_identifiability(a)
    worst = abs(one.dimension - S) + (0 if one.up_to_shaping and not one.up_to_constant else 1)
    for other in (b, c):
        res = reward_identifiability(a, other)
        worst = max(worst, abs(res.dimension - 1) + (0 if res.up_to_constant else 1), float(np.ptp(res.reward - r)))
    return Slack(1e-6 - worst, scale=1e-6)


@seeded_claim(
    id="irl.constrained.active-constraint-breaks-shaping-identifiability",
    statement=(
        "For an entropy-regularized expert of a constrained MDP whose cost constraint is active (KKT multiplier > 0), "
        "the reward set is tau log pi + shapings + cone{c}: its ambiguity has dimension S + 1 and is no longer "
        "contained in the potential shapings; with the constraint inactive, identifiability up to shaping returns."
    ),
    latex=r"r \in \tau\log\pi + \mathrm{im}(E-\gamma P) + \mathbb R_+ c \quad (c\ \text{active})",
    source=f"{SK}, Sec. 3-4",
    kind="identity",
    tags=("irl", "identifiability", "constrained", "fast"),
    n_instances=lambda e: max(4, e // 10),
    message="slack = -(number of wrong verdicts)",
)
def _sk_slack(seed):
    from rltheory.tabular import (
        FiniteMDP,
        discounted_occupancy,
        reward_identifiability,
        soft_irl_reward_set,
        soft_value_iteration,
    )

    rng = np.random.default_rng(seed)
    S, A, tau = 3, 2, 0.5
    mdp = FiniteMDP(
        rng.dirichlet(np.ones(S), size=(S, A)), np.zeros((S, A)), gamma=0.8, initial_distribution=np.full(S, 1 / S)
    )
    r, c = rng.normal(size=(S, A)), rng.uniform(size=(S, A))
    eta = float(rng.uniform(0.2, 2.0))
    pi = soft_value_iteration(FiniteMDP(mdp.P, r - eta * c, gamma=0.8), tau, tol=1e-12).action_probabilities
    Jc = float(np.sum(discounted_occupancy(mdp, pi) * c))
    active = reward_identifiability(soft_irl_reward_set(mdp, pi, tau, costs=c[None], thresholds=[Jc]))
    inactive = reward_identifiability(soft_irl_reward_set(mdp, pi, tau, costs=c[None], thresholds=[Jc + 1.0]))
    wrong = (active.dimension != S + 1) + active.up_to_shaping + (not inactive.up_to_shaping)
    return Slack(0.0 - float(wrong), scale=1.0)


@seeded_claim(
    id="irl.misspecification.discount-vs-temperature",
    statement=(
        "Under a maximum-causal-entropy expert, IRL that assumes a wrong temperature returns only rewards at STARC "
        "distance 0 from the truth (positive rescalings plus shapings), while IRL that assumes a wrong discount can "
        "return rewards at distance at least 1/sqrt(2) (the exact supremum of rltheory.tabular."
        "misspecification_sensitivity); every sampled IRL answer lies between the computed best and worst distances."
    ),
    latex=r"\sup_{r'\in\mathcal R_{\tau'}} d(r,r') = 0,\qquad \sup_{r'\in\mathcal R_{\gamma'}} d(r,r') \ge 1/\sqrt2",
    source=(
        f"{SKALSE} (qualitative conclusions); the exact supremum and the 1/sqrt(2) bound derived in "
        f"rltheory.tabular._irl"
    ),
    kind="inequality",
    tags=("irl", "misspecification", "fast"),
    n_instances=lambda e: max(4, e // 10),
    message="slack = min(1e-9 - temperature distance, worst - 1/sqrt 2, sandwich margins)",
)
def _skalse_slack(seed):
    from rltheory.tabular import FiniteMDP, misspecification_sensitivity, starc_distance

    rng = np.random.default_rng(seed)
    S, A, tau = 3, 2, float(rng.uniform(0.3, 2.0))
    P = rng.dirichlet(np.ones(S), size=(S, A))
    r = rng.normal(size=(S, A))
    true = FiniteMDP(P, r, gamma=0.9)
    t = misspecification_sensitivity(true, r, tau, assumed_temperature=3 * tau)
    g_assumed = float(rng.uniform(0.3, 0.8))
    d = misspecification_sensitivity(true, r, tau, assumed_mdp=FiniteMDP(P, r, gamma=g_assumed))
    K = np.repeat(np.eye(S), A, axis=0) - g_assumed * P.reshape(S * A, S)
    base = (tau * np.log(np.asarray(d.expert))).ravel()
    samples = [
        starc_distance(true, r, (base + K @ (s * rng.normal(size=S))).reshape(S, A))
        for s in (0.1, 1.0, 100.0)
        for _ in range(30)
    ]
    margin = min(
        1e-9 - t.worst_distance,
        d.worst_distance - 1 / np.sqrt(2) + 1e-12,
        d.worst_distance + 1e-9 - max(samples),
        min(samples) - d.best_distance + 1e-9,
    )
    return Slack(margin, scale=1.0)


# ------------------------------------------------------------- expressivity
@seeded_claim(
    id="expressivity.soap-margin-duality",
    statement=(
        "The margin of rltheory.tabular.realize_policy_set (the largest t with <r, d_good> >= c + t, <r, d_bad> <= "
        "c - t, "
        "|r| <= 1) equals half the l1 distance between the convex hulls of the acceptable and unacceptable "
        "policies' occupancies (an independent LP), so a SOAP is realizable iff the hulls are disjoint; when it is, "
        "the returned reward makes every acceptable policy beat every other by 2t."
    ),
    latex=r"t^* = \tfrac12\min_{\lambda\in\Delta_G,\nu\in\Delta_B}\|D_G^\top\lambda - D_B^\top\nu\|_1",
    source=f"{ABEL}, Thm 4.3 (the LP); the duality derived in rltheory.tabular._expressivity",
    kind="identity",
    tags=("expressivity", "duality", "fast"),
    n_instances=lambda e: max(5, e // 5),
    message="slack = 1e-6 - max(|t* - hull distance / 2|, realization shortfall)",
)
def _soap_slack(seed):
    import scipy.optimize as so

    from rltheory.tabular import FiniteMDP, discounted_occupancy, policy_evaluation, realize_policy_set

    rng = np.random.default_rng(seed)
    S, A = 2 + seed % 2, 2
    mdp = _mdp(rng, S, A, 0.7)
    n = A**S
    good = rng.uniform(size=n) < 0.5
    good[0], good[-1] = True, False
    res = realize_policy_set(mdp, good)
    mu = np.asarray(mdp.initial_distribution)
    D = np.stack([discounted_occupancy(mdp, p, mu) for p in np.asarray(res.policies)]).reshape(n, -1)
    G, B, m = D[good], D[~good], D.shape[1]
    M = np.hstack([G.T, -B.T])
    g, b = len(G), len(B)
    out = so.linprog(
        np.r_[np.zeros(g + b), np.ones(m)],
        A_ub=np.vstack([np.hstack([M, -np.eye(m)]), np.hstack([-M, -np.eye(m)])]),
        b_ub=np.zeros(2 * m),
        A_eq=np.vstack([np.r_[np.ones(g), np.zeros(b + m)], np.r_[np.zeros(g), np.ones(b), np.zeros(m)]]),
        b_eq=[1, 1],
        bounds=[(0, None)] * (g + b + m),
        method="highs",
    )
    worst = abs(res.margin - 0.5 * out.fun)
    if res.realizable:
        m_ = FiniteMDP(mdp.P, np.asarray(res.reward), gamma=mdp.gamma)
        V = np.array([mu @ np.asarray(policy_evaluation(m_, p).v) for p in res.policies])
        worst = max(worst, 2 * res.margin - (V[good].min() - V[~good].max()))
    return Slack(1e-6 - worst, scale=1e-6)


@seeded_claim(
    id="expressivity.conjunction-of-objectives-unrealizable",
    statement=(
        "Some multi-objective constraint specifications cannot be expressed by any scalar Markov reward: on a "
        "two-state model whose actions stay put, with J = (1,1), (2,0), (0,2), (1,1), the set {J_1 >= 1 and "
        "J_2 >= 1} (equivalently the max-min ordering) is an XOR task whose LP margin is 0 (checked as: 'every such "
        "specification is realizable' fails)."
    ),
    latex=r"\exists\ \text{SOAP}:\ \max\{t : \langle r, d_g - d_b\rangle \ge 2t,\ \|r\|_\infty \le 1\} = 0",
    source=(
        f"{ABEL}, Thm 4.1 (non-realizable SOAPs); J. Skalse, A. Abate, On the limitations of Markovian rewards to "
        "express multi-objective, risk-sensitive, and modal tasks, UAI 2023"
    ),
    kind="counterexample",
    tags=("expressivity", "multi-objective", "fast"),
    n_instances=lambda e: 1,
    message="slack of 'the spec is realizable' = LP margin - 1e-7 (its certified accuracy); negative: no reward can",
)
def _xor_slack(seed):
    from rltheory.tabular import FiniteMDP, deterministic_policy_values, realize_policy_set

    P = np.zeros((2, 2, 2))
    P[0, :, 0] = P[1, :, 1] = 1.0
    mdp = FiniteMDP(P, np.zeros((2, 2)), gamma=0.5, initial_distribution=[0.5, 0.5])
    r1, r2 = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    J = np.asarray(deterministic_policy_values(mdp, np.array([r1, r2])).values)
    res = realize_policy_set(mdp, np.all(J >= 1.0, axis=1))
    return Slack(res.margin - 1e-7, scale=1e-7)


# ------------------------------------------------------------- correlated proxies
@seeded_claim(
    id="proxies.correlated-bound-and-safe-chi2",
    statement=(
        "For every policy pi (deterministic or random), (J(pi,R) - J(ref,R))/sigma_R >= rho (J(pi,R~) - J(ref,R~))"
        "/sigma_R~ - sqrt(1 - rho^2) sqrt(chi2(mu_pi || mu_ref)) with rho the correlation of R and the proxy R~ "
        "under the reference occupancy; hence the sqrt(chi2)-occupancy-regularized optimum with strength "
        "sigma_R~ sqrt(1-rho^2)/rho never has a lower true return than the reference."
    ),
    latex=(
        r"\frac{\Delta J_R}{\sigma_R} \ge \rho\frac{\Delta J_{\tilde R}}{\sigma_{\tilde R}} - "
        r"\sqrt{1-\rho^2}\sqrt{\chi^2(\mu_\pi\|\mu_{\rm ref})}"
    ),
    source=f"{LAIDLAW}, Thm 5.1 (in the form derived by Cauchy-Schwarz in rltheory.tabular._proxies)",
    kind="inequality",
    tags=("proxies", "reward-hacking", "fast"),
    n_instances=lambda e: max(5, e // 10),
    message="slack = min over policies of (true improvement - bound), and the chi2 policy's true improvement (+1e-7)",
)
def _proxy_slack(seed):
    from rltheory.tabular import correlated_proxy_bound, proxy_regularized_policy

    rng = np.random.default_rng(seed)
    mdp = _mdp(rng, 3 + seed % 2, 2 + seed % 2, 0.8)
    S, A = mdp.n_states, mdp.n_actions
    R = rng.normal(size=(S, A))
    proxy = R + rng.uniform(0.2, 1.5) * rng.normal(size=(S, A))
    ref = rng.dirichlet(np.ones(A), size=S)
    worst = np.inf
    for pi in list(_deterministic_policies(mdp)) + [rng.dirichlet(np.full(A, 0.3), size=S) for _ in range(10)]:
        b = correlated_proxy_bound(mdp, R, proxy, ref, pi)
        worst = min(worst, b.true_improvement - b.lower_bound + 1e-9)
    safe = correlated_proxy_bound(mdp, R, proxy, ref, ref).safe_strength
    if np.isfinite(safe):
        chi = proxy_regularized_policy(mdp, proxy, ref, safe)
        worst = min(worst, correlated_proxy_bound(mdp, R, proxy, ref, chi.action_probabilities).true_improvement + 1e-7)
    return Slack(worst, scale=1.0)


@seeded_claim(
    id="proxies.action-kl-can-hack",
    statement=(
        "Action-distribution KL regularization does not prevent reward hacking: on a three-state instance whose "
        "proxy is well correlated with the true reward under the reference (rho > 0.7), the KL-regularized optimum "
        "(beta = 0.3) improves the proxy but lowers the true return (checked as: 'the KL-regularized policy never "
        "lowers the true return' fails), while the chi2-occupancy policy at the safe strength does not."
    ),
    latex=r"\exists:\ J(\pi_{KL},\tilde R) > J(\pi_{\rm ref},\tilde R),\ \ J(\pi_{KL},R) < J(\pi_{\rm ref},R)",
    source=f"{LAIDLAW}, Sec. 5 (why action-KL fails and occupancy chi2 works)",
    kind="counterexample",
    tags=("proxies", "reward-hacking", "fast"),
    n_instances=lambda e: 1,
    message="slack of 'KL never hacks' = true improvement of the KL policy (negative: it hacks) if chi2 is safe",
)
def _kl_hacks(seed):
    from rltheory.tabular import FiniteMDP, correlated_proxy_bound, proxy_regularized_policy

    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 2] = P[1, 0, 1] = P[1, 1, 0] = P[2, 0, 2] = P[2, 1, 0] = 1.0
    R = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, -1.0]])
    proxy = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    ref = np.array([[0.95, 0.05], [0.9, 0.1], [0.2, 0.8]])
    mdp = FiniteMDP(P, R, gamma=0.9, initial_distribution=[1.0, 0.0, 0.0])
    base = correlated_proxy_bound(mdp, R, proxy, ref, ref)
    kl_policy = proxy_regularized_policy(mdp, proxy, ref, 0.3, regularizer="kl_action").action_probabilities
    kl = correlated_proxy_bound(mdp, R, proxy, ref, kl_policy)
    chi = correlated_proxy_bound(
        mdp, R, proxy, ref, proxy_regularized_policy(mdp, proxy, ref, base.safe_strength).action_probabilities
    )
    if base.correlation <= 0.7 or kl.proxy_improvement <= 0 or chi.true_improvement < -1e-9:
        return Slack(1.0, scale=1.0)  # not the described witness
    return Slack(kl.true_improvement, scale=abs(kl.true_improvement) + 1e-12)


# ------------------------------------------------------------- quasimetric and submodular RL
@seeded_claim(
    id="quasimetric.lp-is-shortest-path",
    statement=(
        "The optimum of QRL's quasimetric LP (maximize sum_{s,g} w d(s,g) over quasimetrics with d(s,s') <= cost on "
        "every transition) is the shortest-path distance of the transition graph (Dijkstra), for random positive "
        "costs and weights."
    ),
    latex=r"\arg\max\{\textstyle\sum w\,d : d\ \text{quasimetric},\ d(s,s') \le c(s,s')\} = d_{\rm sp}",
    source=(
        "T. Wang, A. Torralba, P. Isola, A. Zhang, Optimal goal-reaching RL via quasimetric learning, ICML 2023, "
        "Thm 1 (tabular form derived in rltheory.tabular._quasimetric)"
    ),
    kind="identity",
    tags=("quasimetric", "fast"),
    n_instances=lambda e: max(5, e // 5),
    message="slack = 1e-6 - max |d_LP - d_shortest_path|",
)
def _qrl_slack(seed):
    import scipy.sparse as sp
    import scipy.sparse.csgraph as csgraph

    from rltheory.tabular import FiniteMDP, quasimetric_distances

    rng = np.random.default_rng(seed)
    S, A = 5, 2
    P = np.zeros((S, A, S))
    P[np.arange(S)[:, None], np.arange(A)[None, :], rng.integers(0, S, size=(S, A))] = 1.0
    costs = rng.uniform(0.5, 2.0, size=(S, A))
    mdp = FiniteMDP(P, np.zeros((S, A)), gamma=0.9)
    res = quasimetric_distances(mdp, costs=costs, weights=rng.uniform(0.5, 1.5, size=(S, S)))
    W = np.full((S, S), np.inf)
    for s in range(S):
        for a in range(A):
            t = int(np.argmax(P[s, a]))
            if t != s:
                W[s, t] = min(W[s, t], costs[s, a])
    sp_d = csgraph.shortest_path(sp.csr_array(np.where(np.isfinite(W), W, 0.0)), method="D")
    D = np.asarray(res.distances)
    same_inf = np.array_equal(np.isinf(D), np.isinf(sp_d))
    err = float(np.max(np.abs(D[np.isfinite(D)] - sp_d[np.isfinite(sp_d)]))) if same_inf else np.inf
    return Slack(1e-6 - err, scale=1e-6)


@seeded_claim(
    id="submodular.greedy-one-minus-one-over-e",
    statement=(
        "In a bandit-like deterministic model (every action jumps to its state), the greedy marginal-gain policy "
        "of submodular RL achieves at least (1 - 1/e) of the optimum (brute force over all action sequences) for "
        "random weighted coverage functions, and SubPO's exact gradient ascent never exceeds the optimum."
    ),
    latex=r"J(\pi_{\rm greedy}) \ge (1 - 1/e)\max_{a_{0:H-1}} F(\{s_0, a_0, \dots, a_{H-1}\})",
    source=(
        f"{NWF}, Thm 4.2; M. Prajapat, M. Mutny, M. N. Zeilinger, A. Krause, Submodular reinforcement learning, "
        f"ICLR 2024"
    ),
    kind="inequality",
    tags=("submodular", "fast"),
    n_instances=lambda e: max(5, e // 5),
    message="slack = min(J_greedy - (1 - 1/e) OPT, OPT - J_SubPO) + 1e-12",
)
def _greedy_slack(seed):
    import itertools

    from rltheory.tabular import (
        FiniteMDP,
        coverage_function,
        submodular_greedy,
        submodular_optimum,
        submodular_policy_optimization,
    )

    rng = np.random.default_rng(seed)
    S, H = 4 + seed % 3, 2 + seed % 2
    mdp = FiniteMDP(np.stack([np.eye(S)] * S, axis=0), np.zeros((S, S)), gamma=1.0, horizon=H)
    F = coverage_function(rng.uniform(size=(S, 8)) < 0.35, rng.uniform(0.1, 1.0, size=8))
    s0 = int(rng.integers(S))
    brute = max(F[sum(1 << s for s in set((s0, *seq)))] for seq in itertools.product(range(S), repeat=H))
    opt = submodular_optimum(mdp, F, initial_state=s0).value
    greedy = submodular_greedy(mdp, F, initial_state=s0).value
    pg = submodular_policy_optimization(mdp, F, initial_state=s0, max_iter=50).value
    margin = min(greedy - (1 - 1 / np.e) * brute, brute - pg, -abs(opt - brute)) + 1e-12
    return Slack(margin, scale=_size(brute + 1e-12))
