"""Claims of linear function approximation, linear bandits and linear MDPs (rltheory.linear).

Slack convention as in :mod:`rltheory.proofs_checks._registry`: ``>= 0`` holds.
Floating-point allowances are stated next to each slack.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats
from hypothesis import strategies as st

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Counterexample, Slack, register
from rltheory.proofs_checks._search import property_claim, render_instance
from rltheory.proofs_checks.rates import fit_power_law

EPS = float(np.finfo(float).eps)
TVR = (
    "J. N. Tsitsiklis & B. Van Roy (1997), An analysis of temporal-difference learning with function approximation, "
    "IEEE TAC 42(5)"
)


# ------------------------------------------------------------------ TD fixed point
def _tvr_instances():
    return st.tuples(
        st.integers(0, 2**32 - 1),
        st.integers(2, 8),
        st.integers(1, 3),
        st.floats(0.0, 0.99),
        st.sampled_from([0.0, 0.5, 0.9, 1.0]),
    )


@property_claim(
    id="linear.td.tsitsiklis-van-roy",
    statement=(
        "For a finite MDP, a policy pi whose chain has stationary distribution xi > 0, and full-rank features Phi, the "
        "TD(lambda) fixed point satisfies ||Phi theta - v^pi||_D <= ||Pi v^pi - v^pi||_D / sqrt(1 - alpha^2) <= "
        "(1 - lambda gamma)/(1 - gamma) ||Pi v^pi - v^pi||_D, alpha = gamma (1 - lambda)/(1 - lambda gamma). "
        "Searched over strictly positive random kernels, random features and lambda in {0, 0.5, 0.9, 1}."
    ),
    latex=r"\|\Phi\theta_\lambda - v^\pi\|_D \le \frac{\|\Pi v^\pi - v^\pi\|_D}{\sqrt{1-\alpha^2}} \le "
    r"\frac{1-\lambda\gamma}{1-\gamma}\|\Pi v^\pi - v^\pi\|_D",
    source=TVR + ", Lemma 4 (modulus of T^(lambda)) and Theorem 1 (the sqrt form by Pythagoras, see "
    "rltheory.linear.td_fixed_point)",
    kind="inequality",
    strategy=_tvr_instances,
    tags=("linear", "td", "fast"),
    message="slack = min(bound - ||v_TD - v^pi||_xi, TvR bound - bound) + solve allowance; relative to the TvR bound",
)
def tvr_slack(instance):
    from rltheory.linear import random_features, td_fixed_point
    from rltheory.tabular import FiniteMDP

    seed, S, A, gamma, lam = instance
    rng = np.random.default_rng(seed)
    mdp = FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(-1, 1, (S, A)), gamma=gamma)
    phi = random_features(S, int(rng.integers(1, S + 1)), rng=rng)
    res = td_fixed_point(mdp, rng.dirichlet(np.ones(A), size=S), phi, lambda_=lam)
    # rounding of the LU solves: ~ cond(A) eps relative
    allow = 1e3 * EPS * np.linalg.cond(res.A) * (1.0 + np.max(np.abs(res.v_pi)))
    return Slack(min(res.bound - res.error, res.tvr_bound - res.bound) + allow, scale=res.tvr_bound + allow)


# ------------------------------------------------------------------ Baird
def _baird_check(ctx: CheckContext) -> CheckResult:
    from rltheory.linear import baird_counterexample, gtd2, mspbe, td, tdc

    bc = baird_counterexample()
    D = np.full(7, 1.0 / 7.0)
    n_runs = max(2, ctx.examples // 10)
    seed = int(ctx.seed_sequence().generate_state(1)[0] >> 1)
    kw = dict(behavior=bc.behavior, theta0=bc.theta0, n_steps=20_000, n_runs=n_runs, seed=seed, checkpoints=2)
    r = td(bc.mdp, bc.target, bc.features, alpha=0.01, **kw)
    growth = float(np.log10(np.linalg.norm(r.theta, axis=1).min() / np.linalg.norm(bc.theta0)))
    start = mspbe(bc.mdp, bc.target, bc.features, bc.theta0, weights=D)
    shrink = []
    for learner in (gtd2, tdc):
        res = learner(bc.mdp, bc.target, bc.features, **kw)
        shrink.append(
            float(np.log10(start / max(mspbe(bc.mdp, bc.target, bc.features, t, weights=D) for t in res.theta)))
        )
    # divergence: ||theta|| grew by > 10^6; convergence: MSPBE fell by > 10^3 on every run
    slack = min(growth - 6.0, shrink[0] - 3.0, shrink[1] - 3.0)
    return CheckResult(
        claim_id="linear.td.baird",
        passed=slack >= 0,
        n_instances=3 * n_runs,
        worst_slack=slack,
        counterexample=None
        if slack >= 0
        else Counterexample(("baird", seed), slack, f"baird seed={seed}", seed=ctx.seed),
        seconds=0.0,
        message=f"TD: log10 ||theta_T||/||theta_0|| = {growth:.1f}; GTD2/TDC: log10 MSPBE_0/MSPBE_T = "
        f"{shrink[0]:.1f}/{shrink[1]:.1f} "
        f"after 2e4 steps ({n_runs} runs)",
    )


register(
    Claim(
        id="linear.td.baird",
        statement=(
            "On Baird's seven-state counterexample (gamma = 0.99, behaviour 6/7 dashed, target solid) semi-gradient "
            "off-policy TD(0) with alpha = 0.01 diverges (||theta|| grows by more than 10^6 in 2e4 steps), while GTD2 "
            "and "
            "TDC (alpha = 0.005, beta = 0.05) reduce the MSPBE by more than 10^3."
        ),
        latex=r"\|\theta^{TD}_t\|\to\infty,\quad \mathrm{MSPBE}(\theta^{GTD2/TDC}_t)\to 0",
        source="Sutton & Barto (2018), Reinforcement Learning, 2nd ed., Example 11.1, Figs. 11.2 and 11.5; "
        "Sutton et al. (2009), ICML, Theorems 1-2",
        kind="inequality",
        tags=("linear", "td", "statistical"),
        check=_baird_check,
    )
)


# ------------------------------------------------------------------ OFUL ellipsoid coverage
_OFUL_DELTA = 0.1
_OFUL_ALPHA = 1e-3


def _oful_violations(seed: int, n_trials: int, d: int, K: int, T: int, lam: float, sigma: float) -> int:
    from rltheory.linear import oful_radius

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(K, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    theta = rng.normal(size=d)
    theta /= np.linalg.norm(theta)
    bad = 0
    for _ in range(n_trials):
        V = lam * np.eye(d)
        b = np.zeros(d)
        violated = False
        for _ in range(T):
            a = X[rng.integers(K)]  # any adapted sequence is allowed by the theorem
            r = a @ theta + sigma * rng.normal()
            V += np.outer(a, a)
            b += a * r
            err = np.linalg.solve(V, b) - theta
            rad = oful_radius(np.linalg.slogdet(V)[1], d, lam, _OFUL_DELTA, sigma, 1.0)
            if math.sqrt(err @ V @ err) > rad:
                violated = True
                break
        bad += violated
    return bad


def _oful_check(ctx: CheckContext) -> CheckResult:
    m = 4 * ctx.examples
    seed = int(ctx.seed_sequence(1).generate_state(1)[0] >> 1)
    k = _oful_violations(seed, m, d=3, K=20, T=200, lam=1.0, sigma=1.0)
    lo = 0.0 if k == 0 else float(scipy.stats.beta.ppf(_OFUL_ALPHA, k, m - k + 1))  # Clopper-Pearson lower bound
    slack = _OFUL_DELTA - lo
    return CheckResult(
        claim_id="linear.oful.coverage",
        passed=slack >= 0,
        n_instances=m,
        worst_slack=slack,
        relative_slack=slack / _OFUL_DELTA,
        counterexample=None
        if slack >= 0
        else Counterexample((seed, m), slack, render_instance((seed, m)), seed=ctx.seed),
        seconds=0.0,
        message=f"{k}/{m} trajectories (d=3, K=20, T=200, uniform actions) left the ellipsoid at some t; delta = "
        f"{_OFUL_DELTA}",
    )


register(
    Claim(
        id="linear.oful.coverage",
        statement=(
            "Self-normalized confidence ellipsoid: with sigma-sub-Gaussian noise, ||theta|| <= S and V_t = lambda I + "
            "sum A_s A_s^T, "
            "Pr(exists t: ||theta_hat_t - theta||_{V_t} > sigma sqrt(2 log(det(V_t)^(1/2) det(lambda "
            "I)^(-1/2)/delta)) + "
            "sqrt(lambda) S) <= delta. Monte Carlo coverage with a Clopper-Pearson margin (alpha = 1e-3)."
        ),
        latex=r"\Pr\big(\exists t:\ \|\hat\theta_t-\theta\|_{V_t} > \sqrt{\beta_t(\delta)}\big)\le\delta",
        source="Abbasi-Yadkori, Pal & Szepesvari (2011), Improved algorithms for linear stochastic bandits, NeurIPS, "
        "Theorem 2",
        kind="inequality",
        tags=("linear", "bandits", "statistical"),
        check=_oful_check,
    )
)


# ------------------------------------------------------------------ regret slopes
def _slope_result(claim_id, fit, allowance, what):
    # an upper-bound rate: fails only if the whole CI lies above 1/2 + the log-factor allowance
    slack = 0.5 + allowance - fit.ci[0]
    return CheckResult(
        claim_id=claim_id,
        passed=slack >= 0,
        n_instances=int(np.shape(fit.y)[0]),
        worst_slack=float(slack),
        counterexample=None,
        seconds=0.0,
        fitted_exponent=float(fit.exponent),
        exponent_ci=(float(fit.ci[0]), float(fit.ci[1])),
        claimed_exponent=0.5,
        rate=fit,
        message=f"{what}; {fit.describe()}; allowance for log factors 1/ln(t_min) = {allowance:.3f}",
        relative_slack=float(slack) / ((fit.ci[1] - fit.ci[0]) / 2),  # in CI half-widths
    )


def _linucb_slope(ctx: CheckContext) -> CheckResult:
    from rltheory.linear import LinearBandit, LinUCB
    from rltheory.simulation import simulate

    T = 20_000
    bandit = LinearBandit.random(5, 50, noise_sigma=1.0, rng=2011)
    seed = int(ctx.seed_sequence(2).generate_state(1)[0] >> 1)
    curve = simulate(bandit, LinUCB(), n_rounds=T, n_runs=max(8, ctx.examples // 4), seed=seed, checkpoints=30)
    sel = curve.times >= T // 10
    fit = fit_power_law(curve.times[sel], curve.regret[:, sel].T, seed=seed)
    return _slope_result("linear.linucb.regret-slope", fit, 1.0 / math.log(T // 10), f"LinUCB, d=5, K=50, T={T}")


register(
    Claim(
        id="linear.linucb.regret-slope",
        statement=(
            "LinUCB/OFUL has regret O(d sqrt(T) log T): the log-log slope of the mean regret over [T/10, T] is not "
            "significantly above 1/2 plus the local slope 1/ln(T/10) of the log factor."
        ),
        latex=r"R_T = O(d\sqrt{T}\log T)",
        source="Abbasi-Yadkori, Pal & Szepesvari (2011), NeurIPS, Theorem 3",
        kind="rate",
        tags=("linear", "bandits", "statistical", "rate"),
        check=_linucb_slope,
        published_form="R_T <= 4 sqrt(T d log(lambda + T L / d)) (sqrt(lambda) S + R sqrt(2 log(1/delta) + d log(1 + "
        "T L/(lambda d))))",
        claimed_exponent=0.5,
    )
)


def _lsvi_slope(ctx: CheckContext) -> CheckResult:
    from rltheory.linear import LSVIUCB, LinearMDP
    from rltheory.simulation import simulate

    K = 3_000
    m = LinearMDP.random(10, 3, 5, horizon=5, rng=2020)
    seed = int(ctx.seed_sequence(3).generate_state(1)[0] >> 1)
    curve = simulate(m, LSVIUCB(beta=0.5), n_episodes=K, n_runs=max(4, ctx.examples // 10), seed=seed, checkpoints=30)
    sel = curve.times >= K // 10
    fit = fit_power_law(curve.times[sel], curve.regret[:, sel].T, seed=seed)
    return _slope_result(
        "linear.lsvi-ucb.regret-slope", fit, 2.0 / math.log(K // 10), f"LSVI-UCB, S=10, A=3, d=5, H=5, K={K}, beta=0.5"
    )


register(
    Claim(
        id="linear.lsvi-ucb.regret-slope",
        statement=(
            "LSVI-UCB on a linear MDP has regret O~(sqrt(d^3 H^3 T)): the log-log slope of the mean regret against the "
            "number of episodes over [K/10, K] is not significantly above 1/2 plus 2/ln(K/10) (the iota^2 log factor)."
        ),
        latex=r"\mathrm{Regret}(K) = \tilde O(\sqrt{d^3H^3T}),\ T = KH",
        source="Jin, Yang, Wang & Jordan (2020), Provably efficient RL with linear function approximation, COLT, "
        "Theorem 3.1",
        kind="rate",
        tags=("linear", "linear-mdp", "statistical", "rate"),
        check=_lsvi_slope,
        published_form="Regret(K) <= c sqrt(d^3 H^3 T iota^2), iota = log(2 d T / p)",
        claimed_exponent=0.5,
    )
)


# ------------------------------------------------------------------ design
def _design_instances():
    return st.tuples(
        st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(0, 30), st.sampled_from([1e-1, 1e-2, 1e-3])
    )


@property_claim(
    id="linear.design.kiefer-wolfowitz",
    statement=(
        "For arms spanning R^d, the Frank-Wolfe design returned by g_optimal_design has weights summing to one, "
        "support <= d(d+1)/2 and d <= g(pi) = max_a ||a||^2_{V(pi)^-1} <= d(1 + tol) (g >= d for every design)."
    ),
    latex=r"d \le \max_a\|a\|^2_{V(\pi)^{-1}} \le d(1+\epsilon),\quad |\mathrm{supp}\,\pi|\le d(d+1)/2",
    source="Lattimore & Szepesvari (2020), Bandit Algorithms, Theorem 21.1 (Kiefer-Wolfowitz) and Note 21.2 "
    "(Frank-Wolfe)",
    kind="inequality",
    strategy=_design_instances,
    tags=("linear", "design", "fast"),
    message="slack = min(g - d, d (1 + tol) - g, d(d+1)/2 - |support|, weights sum to 1, min weight) + allowance",
)
def design_slack(instance):
    from rltheory.linear import g_optimal_design

    seed, d, extra, tol = instance
    X = np.random.default_rng(seed).normal(size=(d + extra, d))
    res = g_optimal_design(X, tol=tol)
    w = res.weights
    V = (X * w[:, None]).T @ X
    g = float(np.max(np.einsum("kd,de,ke->k", X, np.linalg.inv(V), X)))
    allow = 1e3 * EPS * d * np.linalg.cond(V)
    return min(
        g - d + allow,
        d * (1 + tol) - g + allow,
        d * (d + 1) / 2 - res.support.size,
        4 * w.size * EPS - abs(w.sum() - 1.0),
        float(w.min()),
    )


# ------------------------------------------------------------------ FQI
def _fqi_instances():
    return st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 3), st.floats(0.0, 0.95))


@property_claim(
    id="linear.fqi.geometric-decay",
    statement=(
        "Fitted Q iteration with exact regression on a Bellman-complete linear class (one-hot features) has "
        "algorithmic "
        "error ||Q_k - Q*||_inf <= gamma^k ||Q_0 - Q*||_inf (the gamma^K term of the FQI bound)."
    ),
    latex=r"\|Q_k - Q^*\|_\infty \le \gamma^k\|Q_0-Q^*\|_\infty",
    source="Fan, Wang, Xie & Yang (2020), A theoretical analysis of deep Q-learning, L4DC, Theorem 4.4 (algorithmic "
    "term); "
    "Puterman (2005), Theorem 6.3.1",
    kind="inequality",
    strategy=_fqi_instances,
    tags=("linear", "fqi", "fast"),
    message="slack = min_k (gamma^k ||Q_0 - Q*|| - ||Q_k - Q*||) + allowance; relative to the bound",
)
def fqi_slack(instance):
    from rltheory.linear import fitted_q_iteration, one_hot_features
    from rltheory.tabular import FiniteMDP

    seed, S, A, gamma = instance
    rng = np.random.default_rng(seed)
    mdp = FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(-1, 1, (S, A)), gamma=gamma)
    res = fitted_q_iteration(mdp, one_hot_features(S * A), 30)
    scale = 1.0 + float(np.abs(res.q).max())
    allow = 1e3 * EPS * scale / (1.0 - gamma)  # rounding of the solves and of Q* (policy iteration)
    margin = float(np.min(res.algorithmic_bound - res.q_errors)) + allow
    return Slack(margin, scale=float(np.max(res.algorithmic_bound)) + allow)


# ------------------------------------------------------------------ misspecification and sparsity
def _sparsity_check(ctx: CheckContext) -> CheckResult:
    from rltheory.linear import MisspecifiedLinearBandit, design_baseline, sparse_support_enumeration

    eps, s = 0.05, 2
    dims = np.array([4, 6, 8, 12, 16])
    reps = max(2, ctx.examples // 25)
    rng = np.random.default_rng(ctx.seed_sequence(4))
    cands = np.zeros((dims.size, reps))
    worst = math.inf
    for i, d in enumerate(dims):
        for j in range(reps):
            b = MisspecifiedLinearBandit.random_sparse(int(d), 60, s, eps, rng=rng)
            base = design_baseline(b)
            sp = sparse_support_enumeration(b, s)
            worst = min(worst, 4 * eps - sp.suboptimality, base.guarantee - base.suboptimality)
            cands[i, j] = sp.candidates
    fit = fit_power_law(dims, cands, seed=0)
    # C(d, s) grid^s: local exponent s + O(1/d); allowance 0.3 over d = 4..16
    slack = min(worst + 1e-12, s + 0.3 - fit.exponent)
    return CheckResult(
        claim_id="linear.misspecified.sparsity",
        passed=slack >= 0,
        n_instances=int(dims.size * reps),
        worst_slack=float(slack),
        counterexample=None,
        seconds=0.0,
        fitted_exponent=float(fit.exponent),
        exponent_ci=(float(fit.ci[0]), float(fit.ci[1])),
        claimed_exponent=float(s),
        rate=fit,
        message=f"s={s}, eps={eps}: sparse suboptimality <= 4 eps and design baseline <= 2 eps (1 + sqrt g) on all "
        "instances; "
        f"candidates vs d: {fit.describe()}",
    )


register(
    Claim(
        id="linear.misspecified.sparsity",
        statement=(
            "In eps-misspecified linear bandits with an s-sparse theta, support enumeration over an eps-grid returns a "
            "4 eps-optimal arm using O(eps^-s d^s) candidate queries (fitted exponent in d at most s + 0.3 for s = 2), "
            "while the optimal-design estimator only guarantees 2 eps (1 + sqrt(d (1 + tol)))."
        ),
        latex=r"f(a^*) - f(\hat a) \le 4\epsilon\ \text{with}\ O(\epsilon^{-s}d^s)\ \text{queries}",
        source="Dong & Yang (2023), Does sparsity help in learning misspecified linear bandits?, ICML (abstract, "
        "upper bound); "
        "Lattimore, Szepesvari & Weisz (2020), ICML, Sec. 4 (eps sqrt(d))",
        kind="rate",
        tags=("linear", "bandits", "misspecified", "rate"),
        check=_sparsity_check,
        published_form="O(eps)-optimal with O(eps^-s d^s) queries",
        claimed_exponent=2.0,
    )
)
