"""Claims of regularized DP and policy optimization with exact gradients.

Soft / KL-regularized operators (Geist et al. 2019), mirror-descent VI (Vieillard et al. 2020), the KL-penalty
identity (Korbak, Perez & Buckley 2022), softmax PG (Mei et al. 2020), entropy-regularized NPG (Cen et al. 2022),
policy mirror descent (Lan 2022; Xiao 2022; Johnson et al. 2023) and PMD-mean (Xu et al. 2026).
Slack convention as everywhere: ``>= 0`` holds, allowance included.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks._registry import DEFAULT_EXAMPLES, CheckContext, CheckResult, Claim, Slack, register
from rltheory.proofs_checks._search import property_claim
from rltheory.proofs_checks.strategies import discounts, finite_mdps, value_vectors

_EPS = float(np.finfo(float).eps)
GEIST = "M. Geist, B. Scherrer, O. Pietquin, A theory of regularized Markov decision processes, ICML 2019"
VIEILLARD = (
    "N. Vieillard, T. Kozuno, B. Scherrer, O. Pietquin, R. Munos, M. Geist, Leverage the average: an analysis of KL "
    "regularization in reinforcement learning, NeurIPS 2020"
)


def _scale(mdp) -> float:
    return (1.0 + float(np.max(np.abs(mdp.R)))) / (1.0 - mdp.gamma)


def _random_mdp(rng, S, A, gamma):
    from rltheory.tabular import FiniteMDP

    return FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=gamma)


def _rate_result(cid, fit, claimed, n, message, two_sided=False):
    if two_sided:
        slack = min(claimed - fit.ci[0], fit.ci[1] - claimed)
    else:
        slack = claimed - fit.ci[0]  # upper-bound rate: fail only if the whole CI lies above the claim
    return CheckResult(
        claim_id=cid,
        passed=bool(slack >= 0),
        n_instances=n,
        worst_slack=float(slack),
        counterexample=None,
        seconds=0.0,
        fitted_exponent=fit.exponent,
        exponent_ci=fit.ci,
        claimed_exponent=claimed,
        rate=fit,
        message=f"{message}; {fit.describe()}",
        relative_slack=float(slack) / _size((fit.ci[1] - fit.ci[0]) / 2),  # in CI half-widths
    )


def _size(x: float) -> float:
    # the scale of a relative slack (rltheory.proofs_checks.Slack) must be > 0
    return max(float(x), float(np.finfo(float).tiny))


# ------------------------------------------------------------- soft VI
@st.composite
def _soft_instances(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 4),
            n_actions=st.integers(1, 3),
            gamma=discounts(max_value=0.9),
            sparse=st.booleans(),
            action_mask=True,
        )
    )
    return mdp, draw(st.floats(0.05, 5.0)), draw(st.integers(0, 40))


@property_claim(
    id="soft-vi.macqueen-bounds",
    statement=(
        "After any number of sweeps, the interval [v_lower, v_upper] returned by rltheory.tabular.soft_value_iteration "
        "(T_tau u + gamma/(1-gamma) min(T_tau u - u) <= v*_tau <= T_tau u + gamma/(1-gamma) max(T_tau u - u)) brackets "
        "the regularized optimum v*_tau computed independently by soft policy iteration (the soft operator is monotone "
        "and gamma-translation-equivariant, so the MacQueen-Porteus argument applies)."
    ),
    latex=r"T_\tau u + \tfrac{\gamma}{1-\gamma}\min d \le v^*_\tau \le T_\tau u + \tfrac{\gamma}{1-\gamma}\max d",
    source=f"{GEIST}, Sec. 2-3 (T_tau monotone, gamma-contraction); M. L. Puterman (2005), Prop. 6.6.1 "
    "(MacQueen-Porteus)",
    kind="inequality",
    tags=("regularized", "soft-vi", "fast"),
    strategy=lambda: _soft_instances(),
    message="slack = min(v* - v_lower, v_upper - v*) + fp allowance",
)
def _soft_vi_slack(instance):
    from rltheory.tabular import soft_policy_iteration, soft_value_iteration

    mdp, tau, k = instance
    vi = soft_value_iteration(mdp, tau, tol=np.finfo(float).tiny, max_iter=k)  # tol > 0: the smallest one
    v_star = np.asarray(soft_policy_iteration(mdp, tau).v)
    scale = _scale(mdp) + tau * np.log(mdp.n_actions + 1) / (1 - mdp.gamma)
    fp = 64 * mdp.n_states * _EPS * scale / (1 - mdp.gamma)
    margin = min(float(np.min(v_star - vi.v_lower)), float(np.min(vi.v_upper - v_star))) + fp
    return Slack(margin, scale=_size(float(np.max(vi.v_upper - vi.v_lower)) + fp))


@property_claim(
    id="soft-vi.temperature-zero-is-vi",
    statement=(
        "Soft value iteration with temperature 0 is value iteration: its certified interval and the one of "
        "rltheory.tabular.value_iteration both contain v*, hence intersect, at tol = 1e-10."
    ),
    latex=r"T_0 = T:\quad [v^{soft}_{lower}, v^{soft}_{upper}] \cap [v^{VI}_{lower}, v^{VI}_{upper}] \ne \emptyset",
    source=f"{GEIST}, Sec. 3 (tau -> 0 limit); the reduction identities of docs/ARCHITECTURE.md (Tests)",
    kind="identity",
    tags=("regularized", "soft-vi", "fast"),
    strategy=lambda: _soft_instances(),
    message="slack = min over states of the overlap of the two certified intervals (+ fp)",
)
def _tau_zero_slack(instance):
    from rltheory.tabular import soft_value_iteration, value_iteration

    mdp = instance[0]
    soft = soft_value_iteration(mdp, 0.0, tol=1e-10)
    hard = value_iteration(mdp, tol=1e-10)
    fp = 64 * mdp.n_states * _EPS * _scale(mdp) / (1 - mdp.gamma)
    margin = min(float(np.min(hard.v_upper - soft.v_lower)), float(np.min(soft.v_upper - hard.v_lower))) + fp
    width = max(float(np.max(hard.v_upper - hard.v_lower)), float(np.max(soft.v_upper - soft.v_lower)))
    return Slack(margin, scale=_size(width + fp))


@st.composite
def _gibbs_instances(draw):
    mdp = draw(
        finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 4), sparse=st.booleans(), action_mask=True)
    )
    v = draw(value_vectors(mdp.n_states, magnitude=20.0))
    mask = np.asarray(mdp.action_mask)
    w = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=mask.size, max_size=mask.size))).reshape(mask.shape)
    w = np.where(mask, w + 1e-3, 0.0)
    return mdp, v, draw(st.floats(0.01, 10.0)), w / w.sum(axis=1, keepdims=True)


@property_claim(
    id="soft.gibbs-variational",
    statement=(
        "Gibbs variational principle for the soft Bellman operator: for every MDP, v, tau > 0 and policy p, "
        "<p, q_v(s)> + tau H(p(s)) <= (T_tau v)(s) = tau log sum_a exp(q_v(s,a)/tau), with equality at the "
        "soft-greedy policy exp((q_v - T_tau v)/tau)."
    ),
    latex=r"\langle p, q_v\rangle + \tau\mathcal H(p) \le \tau\log\sum_a e^{q_v(\cdot,a)/\tau} = \langle \pi_v, "
    r"q_v\rangle + \tau\mathcal H(\pi_v)",
    source=f"{GEIST}, Sec. 2 (Legendre-Fenchel transform of the negative entropy); Donsker & Varadhan (1975)",
    kind="inequality",
    tags=("regularized", "soft-vi", "fast"),
    strategy=lambda: _gibbs_instances(),
    message="slack = min(T_tau v - value(p), -|T_tau v - value(soft-greedy)|) + fp",
)
def _gibbs_slack(instance):
    from rltheory.tabular import soft_bellman_operator

    mdp, v, tau, p = instance
    mask = np.asarray(mdp.action_mask)
    tv = soft_bellman_operator(mdp, v, tau)
    q = np.where(mask, np.asarray(mdp.R) + mdp.gamma * np.einsum("saj,j->sa", mdp.dense_P, v), -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.where(p > 0, p * (q - tau * np.log(np.where(p > 0, p, 1.0))), 0.0).sum(axis=1)
        star = np.where(mask, np.exp(np.where(mask, q - tv[:, None], -np.inf) / tau), 0.0)
        val_star = np.where(star > 0, star * (q - tau * np.log(np.where(star > 0, star, 1.0))), 0.0).sum(axis=1)
    scale = 1 + float(np.max(np.abs(mdp.R))) + float(np.max(np.abs(v))) + tau * np.log(mdp.n_actions + 1)
    fp = 16 * (mdp.n_states + mdp.n_actions) * _EPS * scale * (1 + 1 / tau)
    parts = (  # the variational inequality, and the identity at the Gibbs policy
        Slack(float(np.min(tv - val)) + fp, scale=_size(fp + float(np.max(np.abs(tv - val))))),
        Slack(fp - float(np.max(np.abs(tv - val_star))), scale=fp),
    )
    return min(parts, key=lambda x: x.relative)


# ------------------------------------------------------------- MD-VI (Vieillard et al.)
@st.composite
def _mdvi_instances(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 4), n_actions=st.integers(1, 3), gamma=discounts(max_value=0.95), action_mask=True
        )
    )
    return mdp, draw(st.floats(0.05, 20.0)), draw(st.floats(0.0, 2.0)), draw(st.integers(0, 2**31 - 1))


@property_claim(
    id="mdvi.kl-greedy-is-softmax-of-sum",
    statement=(
        "In mirror-descent value iteration with KL weight lambda (no entropy), pi_0 uniform and arbitrary (noisy) "
        "q-iterates, the KL-regularized greedy policies are the softmax of the SUM of past q-values: "
        "pi_{k+1} = softmax(sum_{j<=k} q_j / lambda), to relative precision 1e-10."
    ),
    latex=r"\pi_{k+1} \propto \exp\Big(\tfrac1\lambda\sum_{j=0}^{k} q_j\Big)",
    source=f"{VIEILLARD}, Sec. 3 (the identity behind Theorem 1: KL regularization implicitly averages q-values)",
    kind="identity",
    tags=("regularized", "mdvi", "fast"),
    strategy=lambda: _mdvi_instances(),
    message="slack = 1e-10 - max relative deviation of the policies",
)
def _mdvi_sum_slack(instance):
    from rltheory.tabular import mirror_descent_value_iteration

    mdp, lam, sigma, seed = instance
    K = 20
    res = mirror_descent_value_iteration(mdp, lam, max_iter=K, noise_scale=sigma, rng=seed)
    mask = np.asarray(mdp.action_mask)
    csum = np.cumsum(res.q_history, axis=0)
    worst = 0.0
    for k in range(K):
        z = np.where(mask, csum[k] / lam, -np.inf)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        e /= e.sum(axis=1, keepdims=True)
        big = e > 1e-200
        if big.any():
            worst = max(worst, float(np.max(np.abs(res.action_probabilities_history[k + 1][big] - e[big]) / e[big])))
    # each step rounds log pi and the sum: relative error grows like k eps ||q|| / lambda
    allowance = 8 * K * _EPS * (1 + float(np.max(np.abs(csum))) / lam)
    return Slack(max(1e-10, allowance) - worst, scale=max(1e-10, allowance))


def _mdvi_error_averaging_check(ctx: CheckContext) -> CheckResult:
    from dataclasses import replace

    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.tabular import error_propagation_experiment

    eps, delta = 0.01, 1e-3
    # effort: H = 5..80 from half the default effort up; below, H = 5..20 (each doubling of H costs ~16x: the
    # experiment evaluates every iterate's policy exactly, and chain length and iterations both grow like H)
    gammas = [0.8, 0.9, 0.95, 0.975, 0.9875] if ctx.examples >= DEFAULT_EXAMPLES // 2 else [0.8, 0.9, 0.95]
    res = error_propagation_experiment(gammas, epsilon=eps, kl_weight=1.0, margin=delta)
    g, K, H = res.gammas, res.iterations, res.horizons
    bt = 2 * g * eps / (1 - g) ** 2  # Bertsekas & Tsitsiklis (1996), Prop. 6.1
    closed = (1 - delta) * (1 - g ** (K - 3)) * bt  # AVI's greedy pi_K stays at the error wave's front K - 2
    tol = 1e-9 * bt
    slacks = {
        "AVI loss = closed form": float(np.min(tol - np.abs(res.avi_loss - closed))),
        "AVI loss <= 2 g eps/(1-g)^2": float(np.min(bt + tol - res.avi_loss)),
        "MD-VI q-loss at K <= Thm 1": float(np.min(res.mdvi_bound - res.mdvi_last_loss)),
        "MD-VI loss <= 2 eps H": float(np.min(2 * eps * H - res.mdvi_loss)),
    }
    fit_avi = fit_power_law(H, res.avi_loss, seed=ctx.seed)
    slacks["AVI exponent >= 1.8 (one-sided)"] = fit_avi.ci[1] - 1.8
    fit_md = fit_power_law(H, res.mdvi_loss, seed=ctx.seed)
    out = _rate_result(
        "mdvi.error-averaging",
        fit_md,
        1.0,
        len(g),
        f"adversarial chain, eps={eps}, lambda=1, H in {np.round(H).astype(int).tolist()}; AVI {fit_avi.describe()}; "
        + ", ".join(f"{k}: slack {v:.3g}" for k, v in slacks.items())
        + "; MD-VI",
    )
    worst = min(min(slacks.values()), out.worst_slack)
    return replace(out, passed=bool(worst >= 0), worst_slack=worst, relative_slack=None)  # mixed units


register(
    Claim(
        id="mdvi.error-averaging",
        statement=(
            "With the same persistent moving evaluation errors eps_k = eps (1_{k+1} - 1_k) (||eps_k|| = eps) on a "
            "deterministic chain, approximate VI's greedy policies lose exactly (1-delta)(1-gamma^{K-3}) 2 gamma eps/"
            "(1-gamma)^2 (Bertsekas-Tsitsiklis's bound attained up to 1-delta; fitted exponent in H = 1/(1-gamma) "
            ">= 1.8), while KL-regularized MD-VI (lambda = 1, tau = 0) stays within Vieillard et al.'s Theorem 1 bound "
            "2/(1-gamma) ||(1/k) sum_j eps_j|| + 4/(1-gamma)^2 (r_max + gamma lambda log|A|)/k and its asymptotic "
            "loss grows at most linearly in H (fitted exponent not significantly above 1): errors are averaged, not "
            "accumulated."
        ),
        latex=(
            r"\limsup_k\|v^*-v^{\pi_k}_{AVI}\|_\infty \le \frac{2\gamma\epsilon}{(1-\gamma)^2}\ \text{(tight)},\qquad "
            r"\|q^*-q^{\pi_k}_{MD\text{-}VI}\|_\infty \le "
            r"\frac{2}{1-\gamma}\Big\|\frac1k\sum_{j=1}^k\epsilon_j\Big\|_\infty"
            r" + \frac{4}{(1-\gamma)^2}\frac{r_{max}+\gamma\lambda\ln|A|}{k}"
        ),
        source=(
            f"{VIEILLARD}, Theorem 1; D. P. Bertsekas, J. N. Tsitsiklis, Neuro-Dynamic Programming (1996), Prop. 6.1; "
            "tightness chain in the style of B. Scherrer, B. Lesner, NIPS 2012"
        ),
        kind="rate",
        tags=("regularized", "mdvi", "rate", "slow"),
        check=_mdvi_error_averaging_check,
        published_form=(
            "AVI: limsup_k ||v* - v^{pi_k}||_inf <= 2 gamma eps / (1-gamma)^2 (B&T Prop. 6.1); MD-VI (tau = 0): "
            "||q* - q^{pi_k}||_inf <= 2/(1-gamma) ||(1/k) sum_{j=1}^k eps_j||_inf + 4/(1-gamma)^2 (r_max + gamma "
            "lambda ln|A|)/k "
            "(Vieillard et al. 2020, Thm 1)"
        ),
        claimed_exponent=1.0,
    )
)


# ------------------------------------------------------------- KL penalty as Bayesian inference
def _kl_identity_slack(instance):
    r, pi0, pi, beta = instance
    with np.errstate(divide="ignore"):
        logZ = float(np.log(np.sum(pi0 * np.exp(r / beta - np.max(r / beta)))) + np.max(r / beta))
    pstar = pi0 * np.exp(r / beta - logZ)
    lhs = float(pi @ r) - beta * float(np.sum(pi * np.log(pi / pi0)))
    rhs = beta * logZ - beta * float(np.sum(pi * np.log(pi / pstar)))
    scale = float(np.max(np.abs(r))) + beta * (abs(logZ) + float(np.max(np.abs(np.log(pi / pi0)))))
    tol = 64 * r.size * _EPS * (1 + scale)
    return Slack(tol - abs(lhs - rhs), scale=tol)


@st.composite
def _kl_instances(draw):
    A = draw(st.integers(1, 6))
    r = np.array(draw(st.lists(st.floats(-10, 10), min_size=A, max_size=A)))
    w0 = np.array(draw(st.lists(st.floats(0.01, 1), min_size=A, max_size=A)))
    w = np.array(draw(st.lists(st.floats(0.01, 1), min_size=A, max_size=A)))
    return r, w0 / w0.sum(), w / w.sum(), draw(st.floats(0.05, 10.0))


def _kl_check(ctx: CheckContext) -> CheckResult:
    import sympy

    from rltheory.proofs_checks._search import search

    # exact, symbolic: A = 3 actions, free rewards, probabilities and beta
    r = sympy.symbols("r0:3", real=True)
    p0 = sympy.symbols("q0:3", positive=True)
    p = sympy.symbols("p0:3", positive=True)
    beta = sympy.Symbol("beta", positive=True)
    Z = sum(p0[a] * sympy.exp(r[a] / beta) for a in range(3))
    pstar = [p0[a] * sympy.exp(r[a] / beta) / Z for a in range(3)]
    lhs = sum(p[a] * r[a] for a in range(3)) - beta * sum(p[a] * sympy.log(p[a] / p0[a]) for a in range(3))
    rhs = beta * sympy.log(Z) - beta * sum(p[a] * sympy.log(p[a] / pstar[a]) for a in range(3))
    diff = sympy.expand(sympy.expand_log(lhs - rhs, force=True)).subs(p[2], 1 - p[0] - p[1])
    exact_ok = sympy.simplify(diff) == 0
    out = search(_kl_instances(), _kl_identity_slack, max_examples=ctx.examples, seed=ctx.seed)
    passed = bool(exact_ok) and out.counterexample is None
    return CheckResult(
        claim_id="kl-penalty.bayesian-identity",
        passed=passed,
        n_instances=out.n_instances + 1,
        worst_slack=out.worst_slack if exact_ok else -1.0,
        relative_slack=out.worst_relative_slack if exact_ok else -1.0,
        counterexample=out.counterexample,
        seconds=0.0,
        message=f"sympy (A=3, symbolic r, pi0, pi, beta): {'identity holds exactly' if exact_ok else 'FAILED'}; "
        "numeric: slack = rounding allowance - |lhs - rhs|",
    )


register(
    Claim(
        id="kl-penalty.bayesian-identity",
        statement=(
            "For rewards r, a reference pi0, any pi and beta > 0: E_pi r - beta KL(pi || pi0) = beta log Z - beta "
            "KL(pi || pi*), "
            "Z = sum_a pi0(a) e^{r(a)/beta}, pi* = pi0 e^{r/beta}/Z; so KL-penalized reward maximization is "
            "variational "
            "inference of the posterior pi*. Checked symbolically (sympy, 3 actions) and numerically on random "
            "instances."
        ),
        latex=r"\mathbb{E}_\pi r - \beta\,\mathrm{KL}(\pi\|\pi_0) = \beta\log Z - \beta\,\mathrm{KL}(\pi\|\pi^*)",
        source="T. Korbak, E. Perez, C. Buckley, RL with KL penalties is better viewed as Bayesian inference, "
        "Findings of EMNLP 2022, Sec. 3",
        kind="identity",
        tags=("regularized", "kl", "exact", "fast"),
        check=_kl_check,
        evaluate=_kl_identity_slack,
    )
)


# ------------------------------------------------------------- softmax PG (Mei et al. 2020)
def _mei_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.tabular import discounted_occupancy, policy_iteration, softmax_policy_gradient

    rng = np.random.default_rng(ctx.seed_sequence(31))
    mdp = _random_mdp(rng, 2, 2, 0.5)
    mu = np.full(2, 0.5)
    T = 20_000
    res = softmax_policy_gradient(mdp, max_iter=T, initial_distribution=mu)
    pi_star = policy_iteration(mdp).policy
    c = float(np.min(res.action_probabilities_history[:, np.arange(2), pi_star]))
    d_star = discounted_occupancy(mdp, pi_star, initial_distribution=mu).sum(axis=1) * (1 - mdp.gamma)
    const = 16 * 2 * float(np.max(d_star / mu)) ** 2 * float(np.max(1 / mu)) / (c**2 * (1 - mdp.gamma) ** 6)
    t = np.arange(1, T + 1)
    bound_slack = float(np.min(const / t - res.suboptimality[1:]))
    keep = np.unique(np.geomspace(T // 10, T, 12).astype(int))
    fit = fit_power_law(keep, res.suboptimality[keep], seed=ctx.seed)
    out = _rate_result(
        "pg.softmax.sublinear-rate",
        fit,
        -1.0,
        T,
        f"2x2 MDP, gamma=0.5, eta=(1-gamma)^3/8, T={T}; Thm 4 bound slack {bound_slack:.3g}",
    )
    if bound_slack < 0:
        from dataclasses import replace

        out = replace(out, passed=False, worst_slack=bound_slack, relative_slack=None)
    return out


register(
    Claim(
        id="pg.softmax.sublinear-rate",
        statement=(
            "Softmax policy gradient with exact gradients and eta = (1-gamma)^3/8 satisfies Mei et al.'s Theorem 4 "
            "bound "
            "V*(mu) - V^{pi_t}(mu) <= 16 S ||d*_mu/mu||^2 ||1/mu|| / (c^2 (1-gamma)^6 t) at every t <= T (c the min "
            "over "
            "the run of pi_t(a*(s)|s)), and the fitted log-log slope of the gap on [T/10, T] is not significantly "
            "above -1."
        ),
        latex=r"V^*(\mu) - V^{\pi_{\theta_t}}(\mu) \le \frac{16 S}{c^2(1-\gamma)^6 "
        r"t}\Big\|\frac{d^{\pi^*}_\mu}{\mu}\Big\|_\infty^2\Big\|\frac1\mu\Big\|_\infty",
        source=(
            "J. Mei, C. Xiao, C. Szepesvari, D. Schuurmans, On the global convergence rates of softmax policy gradient "
            "methods, ICML 2020, Theorem 4; Lemma 7 (V is 8/(1-gamma)^3-smooth in theta, so eta = 1/L)"
        ),
        kind="rate",
        tags=("policy-gradient", "rate", "fast"),
        check=_mei_check,
        published_form="V*(rho) - V^{pi_theta_t}(rho) <= 16 S / (c^2 (1-gamma)^6 t) * ||d_mu^{pi*}/mu||_inf^2 * "
        "||1/mu||_inf",
        claimed_exponent=-1.0,
    )
)


# ------------------------------------------------------------- NPG (Cen et al. 2022)
@st.composite
def _npg_instances(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 4), n_actions=st.integers(1, 3), gamma=discounts(max_value=0.9), action_mask=True
        )
    )
    return mdp, draw(st.floats(0.05, 1.0)), draw(st.floats(0.1, 1.0))


def _cen_slack(instance):
    from rltheory.tabular import natural_policy_gradient, soft_value_iteration

    mdp, tau, frac = instance
    g = mdp.gamma
    eta = frac * (1 - g) / tau
    T = 25
    res = natural_policy_gradient(mdp, step_size=eta, temperature=tau, max_iter=T)
    soft = soft_value_iteration(mdp, tau, tol=1e-13)
    mask = np.asarray(mdp.action_mask)
    P = mdp.dense_P

    def q_of(v):
        return np.where(mask, np.asarray(mdp.R) + g * np.einsum("saj,j->sa", P, v), 0.0)

    q_star = q_of(np.asarray(soft.v))
    log_star = np.log(np.where(mask, soft.action_probabilities, 1.0))
    C1 = float(np.max(np.abs(q_star - q_of(res.values_history[0])))) + 2 * tau * (1 - eta * tau / (1 - g)) * float(
        np.max(np.abs(log_star - np.log(np.where(mask, res.action_probabilities_history[0], 1.0))))
    )
    fp = 1e-9 * _scale(mdp) / (1 - g) + g * soft.bound / (1 - g)
    worst = np.inf
    for t in range(T):
        rate = (1 - eta * tau) ** t  # Cen et al. 2022, Theorem 1
        worst = min(worst, C1 * g * rate + fp - float(np.max(np.abs(q_star - q_of(res.values_history[t + 1])))))
        lp = np.log(np.where(mask, res.action_probabilities_history[t + 1], 1.0))
        worst = min(worst, 2 * C1 / tau * rate + fp / tau - float(np.max(np.abs(log_star - lp))))
    return worst


register(
    Claim(
        id="npg.entropy.cen-bound",
        statement=(
            "Entropy-regularized NPG with 0 < eta <= (1-gamma)/tau and exact evaluation satisfies, for all t, "
            "||Q*_tau - Q_tau^{(t+1)}||_inf <= C1 gamma (1 - eta tau)^t and ||log pi*_tau - log pi^{(t+1)}||_inf <= "
            "2 C1 tau^{-1} (1 - eta tau)^t, C1 = ||Q*_tau - Q_tau^{(0)}|| + 2 tau (1 - eta tau/(1-gamma)) ||log "
            "pi*_tau - log pi^{(0)}||."
        ),
        latex=r"\|Q^*_\tau - Q^{(t+1)}_\tau\|_\infty \le C_1\gamma(1-\eta\tau)^t,\ \ \|\log\pi^*_\tau - "
        r"\log\pi^{(t+1)}\|_\infty \le 2C_1\tau^{-1}(1-\eta\tau)^t",
        source="S. Cen, C. Cheng, Y. Chen, Y. Wei, Y. Chi, Fast global convergence of natural policy gradient methods "
        "with entropy regularization, Oper. Res. 70(4), 2022, Theorem 1",
        kind="inequality",
        tags=("policy-gradient", "npg", "fast"),
        check=lambda ctx: _search_check(
            "npg.entropy.cen-bound",
            _npg_instances(),
            _cen_slack,
            ctx,
            "slack = bound - error (both bounds, all t <= 25) + fp",
        ),
        evaluate=_cen_slack,
    )
)


def _search_check(cid, strategy, slack, ctx, message):
    from rltheory.proofs_checks._search import search

    out = search(strategy, slack, max_examples=ctx.examples, seed=ctx.seed)
    return CheckResult(
        claim_id=cid,
        passed=out.counterexample is None,
        n_instances=out.n_instances,
        worst_slack=out.worst_slack,
        counterexample=out.counterexample,
        seconds=0.0,
        message=message + (f"; slack raised {out.error}" if out.error else ""),
        relative_slack=out.worst_relative_slack,
    )


def _npg_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_exponential_rate
    from rltheory.tabular import natural_policy_gradient

    rng = np.random.default_rng(ctx.seed_sequence(41))
    mdp = _random_mdp(rng, 5, 3, 0.9)
    tau, eta = 0.05, 0.5
    res = natural_policy_gradient(mdp, step_size=eta, temperature=tau, max_iter=400)
    err = res.sup_suboptimality
    keep = np.flatnonzero(err > 1e-11)
    fit = fit_exponential_rate(keep, err[keep], seed=ctx.seed)
    return _rate_result(
        "npg.entropy.linear-rate", fit, 1 - eta * tau, int(keep.size), "5x3 MDP, gamma=0.9, tau=0.05, eta=0.5"
    )


register(
    Claim(
        id="npg.entropy.linear-rate",
        statement=(
            "Entropy-regularized NPG converges linearly at rate (1 - eta tau): the fitted geometric rate of "
            "||V*_tau - V_tau^{(t)}||_inf is not significantly above 1 - eta tau (random 5-state, 3-action MDP)."
        ),
        latex=r"\|V^*_\tau - V^{(t)}_\tau\|_\infty \le C (1-\eta\tau)^t",
        source="S. Cen et al., Oper. Res. 70(4), 2022, Theorem 1",
        kind="rate",
        tags=("policy-gradient", "npg", "rate", "fast"),
        check=_npg_rate_check,
        published_form="||Q*_tau - Q_tau^{(t+1)}||_inf <= C1 gamma (1 - eta tau)^t for 0 < eta <= (1-gamma)/tau",
        claimed_exponent=0.975,
    )
)


# ------------------------------------------------------------- PMD
def _pmd_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_exponential_rate
    from rltheory.tabular import policy_mirror_descent

    rng = np.random.default_rng(ctx.seed_sequence(51))
    g = 0.8
    mdp = _random_mdp(rng, 5, 3, g)
    res = policy_mirror_descent(mdp, 0.1 / g ** np.arange(60))
    err = res.sup_suboptimality
    keep = np.flatnonzero(err > 1e-10 * _scale(mdp))
    fit = fit_exponential_rate(keep, err[keep], seed=ctx.seed)
    return _rate_result(
        "pmd.geometric-steps.linear-rate", fit, g, int(keep.size), "KL-PMD, eta_k = 0.1 gamma^-k, 5x3 MDP, gamma = 0.8"
    )


register(
    Claim(
        id="pmd.geometric-steps.linear-rate",
        statement=(
            "Exact policy mirror descent (KL) with geometrically increasing step sizes eta_k = eta_0 / gamma^k "
            "converges "
            "linearly at rate gamma: the fitted geometric rate of ||V* - V^{pi_k}||_inf is not significantly above "
            "gamma."
        ),
        latex=r"\eta_{k+1} \ge \eta_k/\gamma \implies \|V^* - V^{\pi_k}\|_\infty \le C\gamma^k",
        source=(
            "L. Xiao, On the convergence rates of policy gradient methods, JMLR 23 (2022), Sec. 4 (linear convergence "
            "with "
            "geometrically increasing step sizes); G. Lan, Math. Program. 198 (2023); E. Johnson, C. Pike-Burke, "
            "P. Rebeschini, Optimal convergence rate for exact policy mirror descent, NeurIPS 2023 (rate exactly gamma)"
        ),
        kind="rate",
        tags=("policy-gradient", "pmd", "rate", "fast"),
        check=_pmd_rate_check,
        published_form="V*(rho) - V^{pi_k}(rho) <= gamma^k (V*(rho) - V^{pi_0}(rho) + D_0 / ((1-gamma) eta_0)) for "
        "eta_{k+1} >= eta_k / gamma",
        claimed_exponent=0.8,
    )
)


@st.composite
def _pmd_instances(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 4), n_actions=st.integers(1, 3), gamma=discounts(max_value=0.9), action_mask=True
        )
    )
    return mdp, draw(st.sampled_from(["kl", "euclidean"])), draw(st.floats(0.01, 10.0))


@property_claim(
    id="pmd.monotone-improvement",
    statement=(
        "Exact policy mirror descent (KL or Euclidean Bregman divergence, any positive step) improves the value in "
        "every "
        "state at every step: V^{pi_{k+1}} >= V^{pi_k} pointwise."
    ),
    latex=r"V^{\pi_{k+1}}(s) \ge V^{\pi_k}(s)\quad\forall s, k",
    source="L. Xiao, JMLR 23 (2022), Sec. 4 (three-point descent lemma for PMD); G. Lan, Math. Program. 198 (2023), "
    "Sec. 3; Tomar et al. (MDPO), ICLR 2022",
    kind="inequality",
    tags=("policy-gradient", "pmd", "fast"),
    strategy=lambda: _pmd_instances(),
    message="slack = min_k min_s (V_{k+1} - V_k) + fp",
)
def _pmd_monotone_slack(instance):
    from rltheory.tabular import policy_mirror_descent

    mdp, div, eta = instance
    res = policy_mirror_descent(mdp, np.full(12, eta), divergence=div)
    fp = 64 * mdp.n_states * _EPS * _scale(mdp) / (1 - mdp.gamma)
    step = np.diff(res.values_history, axis=0)
    return Slack(float(np.min(step)) + fp, scale=_size(float(np.max(np.abs(step))) + fp))


@st.composite
def _pi_instances(draw):
    from rltheory.tabular import FiniteMDP

    S, A = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    return FiniteMDP(
        rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=draw(discounts(max_value=0.95))
    )


@property_claim(
    id="pmd.infinite-step-is-pi",
    statement=(
        "Policy mirror descent with infinite step size is policy iteration: from the uniform policy, the first step is "
        "the greedy policy pi_1 and the values V^{pi_{k+1}} coincide with those of policy iteration started at pi_1."
    ),
    latex=r"\eta_k = \infty:\ \pi_{k+1}(s) \in \arg\max_a Q^{\pi_k}(s,a)\ \Rightarrow\ \text{PMD} = \text{PI}",
    source="L. Xiao, JMLR 23 (2022), Sec. 4 (PMD with eta -> inf is policy iteration); R. A. Howard (1960)",
    kind="identity",
    tags=("policy-gradient", "pmd", "fast"),
    strategy=lambda: _pi_instances(),
    message="slack = fp allowance - max |V_PMD - V_PI| over the iterations",
)
def _pmd_pi_slack(mdp):
    from rltheory.tabular import policy_iteration, policy_mirror_descent

    res = policy_mirror_descent(mdp, [np.inf] * (mdp.n_states * mdp.n_actions + 2))
    p1 = res.action_probabilities_history[1]
    if not np.allclose(p1.max(axis=1), 1.0):  # exact ties (measure zero here): the greedy step is not unique
        return 0.0
    hist = np.asarray(policy_iteration(mdp, v0_policy=np.argmax(p1, axis=1)).values_history)
    n = min(hist.shape[0], res.values_history.shape[0] - 1)
    fp = 64 * mdp.n_states * _EPS * _scale(mdp) / (1 - mdp.gamma)
    return Slack(fp - float(np.max(np.abs(res.values_history[1 : 1 + n] - hist[:n]))), scale=fp)


# ------------------------------------------------------------- PMD-mean
@st.composite
def _pmd_mean_instances(draw):
    A = draw(st.integers(2, 6))
    w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=A, max_size=A)))
    r = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=A, max_size=A)))
    return w / w.sum(), r, draw(st.floats(0.05, 5.0))


@property_claim(
    id="pmd-mean.mixed-kl-chi2",
    statement=(
        "On bandits, the PMD-mean population update (log-partition replaced by the mean reward, regression in "
        "log-policy space; Lambert-W closed form) equals the mirror-descent step with the mixed regularizer "
        "tau KL(p||pi) + (tau kappa / 2) chi^2(p||pi) for the adaptive kappa >= 0: the gradient of that strictly "
        "concave "
        "objective is constant across actions at the update, to 1e-8."
    ),
    latex=r"\pi_{new} = \arg\max_p \langle p, r\rangle - \tau\mathrm{KL}(p\|\pi) - \tfrac{\tau\kappa}{2}\chi^2(p\|\pi)",
    source="Z. Xu, Q. Lu, C. Yu, T. Zhao, Approximation of log-partition function in policy mirror descent induces "
    "implicit regularization for LLM post-training, arXiv:2602.05933 (2026), Sec. 3",
    kind="identity",
    tags=("policy-gradient", "pmd", "fast"),
    strategy=lambda: _pmd_mean_instances(),
    message="slack = 1e-8 (1 + tau (1 + kappa)) - spread of the mixed objective's gradient",
)
def _pmd_mean_slack(instance):
    from rltheory.tabular import pmd_mean_step

    pi, r, tau = instance
    step = pmd_mean_step(pi, r, tau)
    k = float(step.chi2_weight[0])
    rho = step.action_probabilities[0] / pi
    grad = r - tau * (np.log(rho) + 1) - tau * k * (rho - 1)
    tol = 1e-8 * (1 + tau * (1 + k))
    return Slack(tol - float(np.ptp(grad)), scale=tol)


# ------------------------------------------------------------- control as inference (Levine 2018)
LEVINE = (
    "S. Levine, Reinforcement learning and control as probabilistic inference: tutorial and review, "
    "arXiv:1805.00909 (2018)"
)


@st.composite
def _horizon_mdps(draw, deterministic):
    from rltheory.tabular import FiniteMDP

    S, A, H = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            if deterministic:
                P[s, a, draw(st.integers(0, S - 1))] = 1.0
            else:
                w = np.array(draw(st.lists(st.integers(0, 4), min_size=S, max_size=S)), dtype=float)
                if w.sum() == 0:
                    w[draw(st.integers(0, S - 1))] = 1.0
                P[s, a] = w / w.sum()
    R = np.array(draw(st.lists(st.floats(-3, 3), min_size=S * A, max_size=S * A))).reshape(S, A)
    return FiniteMDP(P, R, gamma=1.0, horizon=H), draw(st.integers(0, S - 1))


def _inference_tol(mdp):
    H = mdp.horizon
    return 64 * _EPS * H * (1 + H * float(np.max(np.abs(mdp.R))) + np.log(mdp.n_actions * mdp.n_states + 1))


@property_claim(
    id="inference.deterministic-soft-q",
    statement=(
        "Control as inference with deterministic dynamics: the log backward message log p(O_{t:H} | s, a) equals the "
        "soft (maximum-entropy) Q-function, and the trajectory posterior p(tau | O, s_0) equals the law of "
        "trajectories "
        "of the soft-optimal policy (exact enumeration, H <= 3)."
    ),
    latex=r"\log\beta_t(s,a) = Q^{soft}_t(s,a),\qquad p(\tau\mid\mathcal O_{0:H-1}, s_0) = \prod_t "
    r"\pi^{soft}_t(a_t|s_t)",
    source=f"{LEVINE}, Sec. 2.3-2.4 (backward messages, posterior policy) and Sec. 3",
    kind="identity",
    tags=("regularized", "inference", "fast"),
    strategy=lambda: _horizon_mdps(True),
    message="slack = allowance - max(|log beta - Q_soft|, |p_post - p_soft|)",
)
def _inference_det_slack(instance):
    from rltheory.tabular import control_as_inference, trajectory_laws

    mdp, s0 = instance
    res = control_as_inference(mdp)
    fin = np.isfinite(res.soft_q)
    err = float(np.max(np.abs(res.q[fin] - res.soft_q[fin]), initial=0.0))
    laws = trajectory_laws(mdp, initial_distribution=np.eye(mdp.n_states)[s0])
    err = max(err, float(np.max(np.abs(laws.posterior - laws.soft_optimal))))
    return Slack(_inference_tol(mdp) - err, scale=_inference_tol(mdp))


@property_claim(
    id="inference.optimistic-backup",
    statement=(
        "Control as inference with stochastic dynamics: the inference backup r + log E e^{V(s')} dominates the soft "
        "backup "
        "r + E V^{soft}(s') (optimism, Jensen), and the trajectory posterior factorizes as the posterior policy times "
        "the tilted dynamics P(s'|s,a) e^{V_{t+1}(s')} / E e^{V_{t+1}}, not the true dynamics."
    ),
    latex=r"Q^{inf}_t \ge Q^{soft}_t,\qquad p(\tau|\mathcal O) = \prod_t "
    r"\pi^{post}_t(a_t|s_t)\,\frac{P(s_{t+1}|s_t,a_t)e^{V_{t+1}(s_{t+1})}}{\mathbb{E}_{s'}e^{V_{t+1}(s')}}",
    source=f"{LEVINE}, Sec. 3 (the optimism problem of exact inference with stochastic dynamics)",
    kind="inequality",
    tags=("regularized", "inference", "fast"),
    strategy=lambda: _horizon_mdps(False),
    message="slack = min(min(Q_inf - Q_soft), allowance - max factorization error) + allowance",
)
def _inference_opt_slack(instance):
    from rltheory.tabular import control_as_inference, trajectory_laws

    mdp, s0 = instance
    res = control_as_inference(mdp)
    tol = _inference_tol(mdp)
    fin = np.isfinite(res.soft_q)
    m1 = float(np.min(res.q[fin] - res.soft_q[fin], initial=0.0)) + tol
    laws = trajectory_laws(mdp, initial_distribution=np.eye(mdp.n_states)[s0])
    H = mdp.horizon
    worst = 0.0
    for row, p in zip(laws.trajectories, laws.posterior):
        prob = 1.0
        for t in range(H):
            s, a, s2 = row[2 * t], row[2 * t + 1], row[2 * t + 2]
            prob *= res.action_probabilities[t, s, a] * res.posterior_transitions[t, s, a, s2]
        worst = max(worst, abs(prob - p))
    return min(m1, tol - worst)
