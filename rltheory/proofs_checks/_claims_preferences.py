"""Claims of learning from preferences (rltheory.bandits: preference models, dueling bandits, the DPO family).

Identities are searched over random instances with the allowance of their certificate (the gradient
tolerance of the solver, or rounding); statistical claims follow the convention of
:mod:`rltheory.proofs_checks._claims_bandits` (a bound on a probability or a mean fails only if the
confidence interval lies beyond it); rates are log-log fits with bootstrap intervals. Slack ``>= 0``
holds.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Slack, register
from rltheory.proofs_checks._search import property_claim, search

EPS = float(np.finfo(float).eps)
RAFAILOV = (
    "R. Rafailov, A. Sharma, E. Mitchell, S. Ermon, C. D. Manning, C. Finn, Direct preference optimization: your "
    "language model is secretly a reward model, NeurIPS 2023"
)
AZAR = (
    "M. G. Azar, M. Rowland, B. Piot, D. Guo, D. Calandriello, M. Valko, R. Munos, A general theoretical paradigm to "
    "understand learning from human preferences, AISTATS 2024 (arXiv:2310.12036)"
)
ZHU = (
    "B. Zhu, M. I. Jordan, J. Jiao, Principled reinforcement learning with human feedback from pairwise or K-wise "
    "comparisons, ICML 2023"
)
BEIRAMI = (
    "A. Beirami, A. Agarwal, J. Berant, A. D'Amour, J. Eisenstein, C. Nagpal, A. T. Suresh, Theoretical guarantees "
    "on the best-of-n alignment policy, arXiv:2401.01879 (ICML 2025)"
)
#: allowance of identities certified by the solvers' gradient tolerance 1e-10 (policies move by <= ~1e-9)
SOLVE_ALLOWANCE = 1e-8


def _size(x: float) -> float:
    return max(float(x), float(np.finfo(float).tiny))


def _instance(seed, X, Y, beta, general=False):
    from rltheory.bandits import AlignmentProblem

    rng = np.random.default_rng(seed)
    ref = rng.dirichlet(3.0 * np.ones(Y), size=X)
    if not general:
        return AlignmentProblem(ref, rewards=rng.normal(scale=2.0, size=(X, Y)), beta=beta)
    P = np.full((X, Y, Y), 0.5)
    iu = np.triu_indices(Y, 1)
    for x in range(X):
        upper = rng.uniform(0.02, 0.98, size=iu[0].size)
        P[x][iu] = upper
        P[x][(iu[1], iu[0])] = 1 - upper
    return AlignmentProblem(ref, preferences=P, beta=beta)


def _problems(general=False):
    return st.tuples(
        st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(2, 5), st.floats(0.2, 3.0), st.just(general)
    )


def _rate_result(cid, fit, claimed, n, message, direction="upper"):
    """``upper``: the rate is at most ``claimed`` (fail only if the whole CI lies above it); ``below``: the fitted
    exponent is significantly below ``claimed`` (the whole CI lies below it)."""
    lo, hi = fit.ci
    slack = claimed - lo if direction == "upper" else claimed - hi
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
        relative_slack=float(slack) / _size((hi - lo) / 2),
    )


# =========================================================================== the DPO family


@property_claim(
    id="dpo.population-minimizer",
    statement=(
        "Under Bradley-Terry preferences and pairs (y, y') ~ pi_ref x pi_ref (full coverage), the population DPO "
        "loss over tabular policies is minimized by pi* ∝ pi_ref exp(r / beta), the KL-regularized optimum, and "
        "its minimum is the entropy of the preference labels (the cross-entropy bound is attained)."
    ),
    latex=r"\arg\min_\pi \mathbb E\,\ell\big(\beta h_\pi(y_w) - \beta h_\pi(y_l)\big) = \pi^* \propto "
    r"\pi_{\mathrm{ref}}e^{r/\beta}",
    source=f"{RAFAILOV}, Thm 1 and Sec. 5",
    kind="identity",
    strategy=lambda: _problems(),
    tags=("preferences", "dpo", "exact", "fast"),
    message="slack = allowance - max(|pi_dpo - pi*|, |loss - label entropy|); allowance 1e-8 from the gradient "
    "tolerance",
)
def _dpo_slack(instance):
    from rltheory.bandits import dpo

    prob = _instance(*instance)
    res = dpo(prob)
    P = np.asarray(prob.preference_tensor)
    Y = prob.n_responses
    w = np.einsum("x,xy,xz->xyz", prob.prompt_weights, prob.reference, prob.reference)
    w[:, np.arange(Y), np.arange(Y)] = 0
    w *= (prob.prompt_weights / w.sum(axis=(1, 2)))[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.nansum(w * (P * np.log(P) + (1 - P) * np.log1p(-P)))
    err = max(float(np.max(np.abs(res.action_probabilities - prob.optimal_policy()))), abs(res.loss - ent))
    return Slack(SOLVE_ALLOWANCE - err, scale=SOLVE_ALLOWANCE)


@property_claim(
    id="ipo.population-minimizer",
    statement=(
        "For any preference tensor (non-transitive allowed) and pairs from mu x mu, mu = pi_ref, the population IPO "
        "loss E (h_pi(y_w) - h_pi(y_l) - 1/(2 tau))^2 is minimized by pi ∝ pi_ref exp(p(y > mu) / tau), the "
        "maximizer of E_{y~pi, y'~mu} p(y > y') - tau KL(pi || pi_ref)."
    ),
    latex=r"\arg\min_\pi \mathbb E\big(h_\pi(y_w) - h_\pi(y_l) - \tfrac{1}{2\tau}\big)^2 \propto "
    r"\pi_{\mathrm{ref}}\exp\big(p(y\succ\mu)/\tau\big)",
    source=f"{AZAR}, Sec. 4-5 (Psi-PO with Psi = identity and its sampled loss)",
    kind="identity",
    strategy=lambda: _problems(general=True),
    tags=("preferences", "ipo", "exact", "fast"),
    message="slack = allowance - max |pi_ipo - closed form|",
)
def _ipo_slack(instance):
    from rltheory.bandits import ipo

    prob = _instance(*instance)
    res = ipo(prob)
    win = np.einsum("xyz,xz->xy", prob.preference_tensor, prob.reference)
    closed = np.asarray(prob.reference) * np.exp((win - win.max(axis=1, keepdims=True)) / prob.beta)
    closed /= closed.sum(axis=1, keepdims=True)
    return Slack(SOLVE_ALLOWANCE - float(np.max(np.abs(res.action_probabilities - closed))), scale=SOLVE_ALLOWANCE)


@property_claim(
    id="f-dpo.kkt-optimum",
    statement=(
        "For the reverse-KL, forward-KL, Jensen-Shannon and alpha-divergences, the f-regularized optimum "
        "pi = pi_ref (f')^{-1}((r - lambda)/beta) (KKT, lambda normalizing) minimizes the population f-DPO loss "
        "E l(beta f'(u_w) - beta f'(u_l)): the loss there equals the entropy of the labels (its lower bound), and "
        "the f-DPO minimizer computed from the data-free loss is that policy."
    ),
    latex=r"r(x,y) = \beta f'\!\big(\tfrac{\pi(y|x)}{\pi_{\mathrm{ref}}(y|x)}\big) + \lambda(x) \ \Rightarrow\ \pi = "
    r"\arg\min L_{f\text{-DPO}}",
    source=(
        "C. Wang, Y. Jiang, C. Yang, H. Liu, Y. Chen, Beyond reverse KL: generalizing direct preference optimization "
        "with diverse divergence constraints, ICLR 2024, Thm 1 and Sec. 4"
    ),
    kind="identity",
    strategy=lambda: st.tuples(
        _problems(), st.sampled_from(["reverse-kl", "forward-kl", "jensen-shannon", "alpha"]), st.floats(0.1, 0.9)
    ),
    tags=("preferences", "f-dpo", "exact", "fast"),
    message="slack = allowance - max(|pi_fdpo - pi_kkt|, loss(pi_kkt) - label entropy)",
)
def _fdpo_slack(instance):
    from rltheory.bandits import f_divergence_optimal_policy, f_dpo, f_dpo_loss

    base, divergence, alpha = instance
    prob = _instance(*base)
    kkt = np.asarray(f_divergence_optimal_policy(prob, divergence, alpha=alpha))
    res = f_dpo(prob, divergence=divergence, alpha=alpha)
    P = np.asarray(prob.preference_tensor)
    Y = prob.n_responses
    w = np.einsum("x,xy,xz->xyz", prob.prompt_weights, prob.reference, prob.reference)
    w[:, np.arange(Y), np.arange(Y)] = 0
    w *= (prob.prompt_weights / w.sum(axis=(1, 2)))[:, None, None]
    ent = -float(np.sum(w * (P * np.log(P) + (1 - P) * np.log1p(-P))))
    gap = f_dpo_loss(kkt, prob, divergence=divergence, alpha=alpha) - ent
    err = max(float(np.max(np.abs(res.action_probabilities - kkt))), gap)
    return Slack(SOLVE_ALLOWANCE - err, scale=SOLVE_ALLOWANCE)


def _rdpo_unbiased_check(ctx: CheckContext) -> CheckResult:
    import sympy as sp

    z, eps = sp.symbols("z epsilon", real=True)

    def ell(t):
        return sp.log(1 + sp.exp(-t))

    def lhat(t):
        return ((1 - eps) * ell(t) - eps * ell(-t)) / (1 - 2 * eps)

    exact = sp.simplify((1 - eps) * lhat(z) + eps * lhat(-z) - ell(z)) == 0

    def slack(instance):
        from rltheory.bandits import PreferenceDataset, dpo_loss, rdpo_loss, sample_preference_data

        base, e10 = instance
        prob = _instance(*base)
        e = e10 / 10.0  # one decimal: the expected noisy counts below are integers after scaling by 10
        clean = sample_preference_data(prob, 500, rng=base[0] % 2**31)
        C = np.asarray(clean.counts)
        noisy = PreferenceDataset(np.rint(10 * ((1 - e) * C + e * C.transpose(0, 2, 1))).astype(np.int64))
        pi = 0.5 * (np.asarray(prob.reference) + np.asarray(prob.optimal_policy()))
        a, b = rdpo_loss(pi, prob, noisy, flip_rate=e), dpo_loss(pi, prob, clean)
        allow = 64 * EPS * (1 + abs(b)) / (1 - 2 * e)
        return Slack(allow - abs(a - b), scale=allow)

    out = search(st.tuples(_problems(), st.integers(0, 4)), slack, max_examples=ctx.examples, seed=ctx.seed)
    passed = bool(exact) and out.counterexample is None
    return CheckResult(
        "rdpo.unbiased-loss",
        passed,
        out.n_instances + 1,
        out.worst_slack if exact else -1.0,
        out.counterexample,
        0.0,
        relative_slack=out.worst_relative_slack if exact else -1.0,
        message="sympy: (1-eps) lhat(z) + eps lhat(-z) = l(z) "
        + ("holds" if exact else "FAILED")
        + "; numeric: the rDPO loss of the expected noisy counts equals the clean DPO loss",
    )


register(
    Claim(
        id="rdpo.unbiased-loss",
        statement=(
            "With labels flipped independently with probability eps < 1/2, the rDPO loss "
            "((1 - eps) l(z_wl) - eps l(z_lw)) / (1 - 2 eps) is an unbiased estimate of the clean DPO loss l(z_wl), "
            "for every margin z (symbolically) and on datasets (expected noisy counts)."
        ),
        latex=r"\mathbb E_{\text{flip}}\Big[\tfrac{(1-\varepsilon)\ell(\tilde z) - \varepsilon\ell(-\tilde "
        r"z)}{1-2\varepsilon}\Big] = \ell(z)",
        source="S. R. Chowdhury, A. Kini, N. Natarajan, Provably robust DPO: aligning language models with noisy "
        "feedback, ICML 2024, Lemma 3.1 and eq. (4)",
        kind="identity",
        tags=("preferences", "rdpo", "exact", "fast"),
        check=_rdpo_unbiased_check,
    )
)


def _rdpo_errors(prob, n, eps, reps, seed):
    from rltheory.bandits import rdpo, sample_preference_data

    star = np.asarray(prob.rewards)
    star = star - star.mean(axis=1, keepdims=True)
    out = []
    for k in range(reps):
        data = sample_preference_data(prob, n, flip_rate=eps, rng=np.random.SeedSequence([seed, n, int(1000 * eps), k]))
        h = np.asarray(rdpo(prob, data, flip_rate=eps).implicit_rewards)
        out.append(float(np.sqrt(np.mean((h - h.mean(axis=1, keepdims=True) - star) ** 2))))
    return out


def _rdpo_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.bandits import AlignmentProblem
    from rltheory.proofs_checks.rates import fit_power_law

    # small reward gaps: the flip-corrected win rates stay inside (0, 1) for the noise levels below
    prob = AlignmentProblem(
        [[0.3, 0.3, 0.4], [0.5, 0.25, 0.25]], rewards=[[0.0, 0.4, -0.3], [0.2, -0.2, 0.5]], beta=1.0
    )
    seed = int(ctx.seed_sequence(41).generate_state(1)[0])
    reps = max(10, ctx.examples // 4)
    ns = np.array([1000, 2000, 4000, 8000, 16000])
    errs = np.array([_rdpo_errors(prob, int(n), 0.2, reps, seed) for n in ns])
    fit_n = fit_power_law(ns, errs, seed=ctx.seed)
    res_n = _rate_result(
        "rdpo.error-rate",
        fit_n,
        -0.5,
        int(errs.size),
        f"tabular rDPO, X=2, Y=3, eps=0.2, {reps} datasets per n: RMS implicit-reward error vs n",
    )
    # the noise factor 1/(1 - 2 eps): at fixed n the error grows at most linearly in it
    epss = np.array([0.0, 0.1, 0.2, 0.25, 0.3])
    errs_e = np.array([_rdpo_errors(prob, 16000, float(e), reps, seed + 1) for e in epss])
    fit_e = fit_power_law(1.0 / (1.0 - 2.0 * epss), errs_e, seed=ctx.seed)
    res_e = _rate_result("rdpo.error-rate", fit_e, 1.0, int(errs_e.size), "error vs 1/(1 - 2 eps) at n = 16000")
    worst = res_n if res_n.worst_slack <= res_e.worst_slack else res_e
    from dataclasses import replace

    return replace(
        worst,
        n_instances=int(errs.size + errs_e.size),
        message=f"in n: {res_n.message} | in the noise: {res_e.message}",
    )


register(
    Claim(
        id="rdpo.error-rate",
        statement=(
            "The rDPO estimate of the implicit reward (tabular log-linear policies) has error O((1/(1 - 2 eps)) "
            "sqrt(d/n)): the fitted log-log slope in n is not significantly above -1/2 and the slope in "
            "1/(1 - 2 eps) not significantly above 1."
        ),
        latex=r"\|\hat\theta - \theta^*\|_{\hat\Sigma+\lambda I} = O\Big(\frac{1}{1-2\varepsilon}\sqrt{\frac dn}\Big)",
        source="S. R. Chowdhury, A. Kini, N. Natarajan, Provably robust DPO, ICML 2024, Thm 4.2",
        kind="rate",
        tags=("preferences", "rdpo", "rate", "statistical"),
        check=_rdpo_rate_check,
        published_form="||theta_hat - theta*||_{Sigma_hat + lambda I} <= C / (gamma beta (1 - 2 eps)) sqrt((d + "
        "log(1/delta)) / n)",
        claimed_exponent=-0.5,
    )
)


def _strongly_connected(data) -> bool:
    """Ford's condition at every prompt (the Bradley-Terry MLE exists)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    counts = np.asarray(data.counts)
    return all(
        connected_components(csr_matrix(counts[x] > 0), directed=True, connection="strong")[0] == 1
        for x in range(counts.shape[0])
    )


@property_claim(
    id="rpo.max-min-equivalence",
    statement=(
        "The minimizer pi of DPO + eta beta E_{pi_base}[-log pi] and r = beta log(pi / pi_ref) form a saddle point of "
        "max_pi min_r L_BT(r) / eta + E_pi r - E_base r - beta KL(pi || pi_ref): pi is the Gibbs best response to "
        "r and r minimizes the inner convex problem for pi (checked against a generic L-BFGS solve)."
    ),
    latex=r"\pi_{\mathrm{RPO}} = \arg\max_\pi\min_r\ \eta^{-1}L_{\mathrm{BT}}(r) + \mathbb E_\pi r - \mathbb "
    r"E_{\pi_{\mathrm{base}}} r - \beta\mathrm{KL}(\pi\|\pi_{\mathrm{ref}})",
    source=(
        "Z. Liu, M. Lu, S. Zhang, B. Liu, H. Guo, Y. Yang, J. Blanchet, Z. Wang, Provably mitigating overoptimization "
        "in "
        "RLHF: your SFT loss is implicitly an adversarial regularizer, NeurIPS 2024, Sec. 5"
    ),
    kind="identity",
    strategy=lambda: st.tuples(_problems(), st.floats(0.1, 2.0)),
    tags=("preferences", "rpo", "fast"),
    message="slack = allowance - (inner(r_rpo) - min inner, generic); allowance 1e-9 (relative)",
)
def _rpo_slack(instance):
    from scipy.optimize import minimize
    from scipy.special import log_expit

    from rltheory.bandits import rpo, sample_preference_data

    base, eta = instance
    prob = _instance(*base)
    data = sample_preference_data(prob, 400 * prob.n_prompts, rng=base[0] % 2**31)
    if not _strongly_connected(data):
        return Slack(1.0, scale=1.0)  # no minimizer on this draw (some response never wins): outside the claim
    C = np.asarray(data.counts, dtype=float) / data.n_comparisons
    chosen = np.asarray(data.counts).sum(axis=2).astype(float)
    q = chosen / chosen.sum(axis=1, keepdims=True)
    res = rpo(prob, data, eta=eta, base=q)
    pi = np.asarray(res.action_probabilities)
    rho = C.sum(axis=(1, 2))

    N = C + C.transpose(0, 2, 1)

    def inner(flat):  # value and gradient, written from the definition
        r = flat.reshape(pi.shape)
        z = r[:, :, None] - r[:, None, :]
        value = -float(np.sum(C * log_expit(z))) / eta + float(np.sum(rho[:, None] * (pi - q) * r))
        grad = np.sum(N * np.exp(log_expit(z)) - C, axis=2) / eta + rho[:, None] * (pi - q)
        return value, grad.ravel()

    r_hat = prob.beta * (np.log(pi) - np.log(prob.reference))
    generic = minimize(
        inner, np.zeros(pi.size), jac=True, method="L-BFGS-B", options={"gtol": 1e-13, "ftol": 1e-16, "maxiter": 10_000}
    )
    allow = 1e-9 * (1 + abs(generic.fun))
    return Slack(allow - (inner(r_hat.ravel())[0] - generic.fun), scale=allow)


@property_claim(
    id="vpo.pessimism",
    statement=(
        "Pessimistic VPO lowers the value: with V(r) = E_x[max_pi J_r(pi) - E_{pi_cal} r], the minimizer of "
        "L_BT(r) + alpha V(r) has V no larger than the Bradley-Terry MLE's (both solved exactly in policy form), "
        "and the policy-form loss equals the reward-form objective under r = beta log(pi/pi_ref)."
    ),
    latex=r"V(\hat r_{-\alpha}) \le V(\hat r_{\mathrm{MLE}}),\quad L_{\mathrm{VPO}}(\pi_r) = L_{\mathrm{BT}}(r) - "
    r"s\alpha V(r)",
    source=(
        "S. Cen, J. Mei, K. Goshvadi, H. Dai, T. Yang, S. Yang, D. Schuurmans, Y. Chi, B. Dai, Value-incentivized "
        "preference optimization: a unified approach to online and offline RLHF, ICLR 2025 (arXiv:2405.19320), Sec. 3"
    ),
    kind="inequality",
    strategy=lambda: st.tuples(_problems(), st.floats(0.05, 2.0)),
    tags=("preferences", "vpo", "fast"),
    message="slack = min(V(MLE) - V(pessimistic), allowance - |policy form - reward form|)",
)
def _vpo_slack(instance):
    from scipy.special import logsumexp

    from rltheory.bandits import dpo, sample_preference_data, vpo, vpo_loss

    base, alpha = instance
    prob = _instance(*base)
    data = sample_preference_data(prob, 600 * prob.n_prompts, rng=base[0] % 2**31)
    counts = np.asarray(data.counts)
    if not _strongly_connected(data):
        return Slack(1.0, scale=1.0)  # no MLE on this draw: outside the claim
    C = counts / data.n_comparisons
    rho = C.sum(axis=(1, 2))
    ref, b = np.asarray(prob.reference), prob.beta

    def V(r):
        return float(np.sum(rho * (b * logsumexp(r / b + np.log(ref), axis=1) - np.sum(ref * r, axis=1))))

    def r_of(res):
        return b * (np.log(res.action_probabilities) - np.log(ref))

    mle, pess = dpo(prob, data), vpo(prob, data, alpha=alpha, sign=-1)
    from scipy.special import log_expit

    r = r_of(pess)
    reward_form = -float(np.sum(C * log_expit(r[:, :, None] - r[:, None, :]))) + alpha * V(r)
    allow = 1e-10 * (1 + abs(reward_form))
    identity = allow - abs(vpo_loss(pess.action_probabilities, prob, data, alpha=alpha, sign=-1) - reward_form)
    mono = V(r_of(mle)) - V(r) + 1e-9 * (1 + abs(V(r)))  # allowance: the two solves' tolerances
    return Slack(min(identity, mono), scale=_size(abs(V(r_of(mle))) + allow))


@property_claim(
    id="cpl.optimal-advantage",
    statement=(
        "Under regret-based preferences p(s > s') = sigma(A*(s) - A*(s')) between segments s = (x, y) across prompts, "
        "A* = beta log(pi*/pi_ref) the optimal advantage, the CPL loss is minimized by pi* (the learned advantage "
        "is A*, and every per-prompt normalization holds at once)."
    ),
    latex=r"\arg\min_\pi\mathbb E\,\ell\big(\beta h_\pi(\sigma_w) - \beta h_\pi(\sigma_l)\big) = \pi^*,\quad \beta "
    r"h_{\pi^*} = A^*",
    source=(
        "J. Hejna, R. Rafailov, H. Sikchi, C. Finn, S. Niekum, W. B. Knox, D. Sadigh, Contrastive preference learning: "
        "learning from human feedback without RL, ICLR 2024, Sec. 3 (Thm 1)"
    ),
    kind="identity",
    strategy=lambda: _problems(),
    tags=("preferences", "cpl", "exact", "fast"),
    message="slack = allowance - max(|pi_cpl - pi*|, residual of the normalizations)",
)
def _cpl_slack(instance):
    from rltheory.bandits import cpl

    prob = _instance(*instance)
    res = cpl(prob)
    err = max(float(np.max(np.abs(res.action_probabilities - prob.optimal_policy()))), res.residual)
    return Slack(SOLVE_ALLOWANCE - err, scale=SOLVE_ALLOWANCE)


@property_claim(
    id="spo.minimax-winner",
    statement=(
        "Self-play with Hedge (eta = sqrt(8 log Y / T)) on the win rate p(y > pi_t): the average iterate is an "
        "approximate von Neumann winner of every prompt, max_y p(y > pi_bar) - 1/2 <= sqrt(log Y / (2T))."
    ),
    latex=r"\max_y p(y\succ\bar\pi_T) - \tfrac12 \le \sqrt{\log Y/(2T)}",
    source=(
        "G. Swamy, C. Dann, R. Kidambi, Z. S. Wu, A. Agarwal, A minimaximalist approach to reinforcement learning from "
        "human feedback, ICML 2024, Sec. 3-4; N. Cesa-Bianchi, G. Lugosi, Prediction, learning, and games (2006), Thm "
        "2.2"
    ),
    kind="inequality",
    strategy=lambda: st.tuples(_problems(general=True), st.integers(1, 400)),
    tags=("preferences", "spo", "games", "fast"),
    message="slack = bound - max exploitability (rounding allowance 1e-12)",
)
def _spo_slack(instance):
    from rltheory.bandits import spo

    base, T = instance
    res = spo(_instance(*base), T)
    return Slack(res.exploitability_bound - float(np.max(res.exploitability)) + 1e-12, scale=res.exploitability_bound)


# =========================================================================== winners and the RLHF reductions


def _preference_matrix(seed, K):
    rng = np.random.default_rng(seed)
    P = np.full((K, K), 0.5)
    iu = np.triu_indices(K, 1)
    upper = rng.uniform(size=iu[0].size)
    P[iu] = upper
    P[(iu[1], iu[0])] = 1 - upper
    return P


@property_claim(
    id="winners.von-neumann",
    statement=(
        "The maximal lottery of the LP (certified: status, feasibility, duality gap) wins with probability >= 1/2 "
        "against every alternative, and is the point mass on the Condorcet winner when there is one; with "
        "Bradley-Terry preferences that winner is the reward maximizer (a reward-based oracle suffices)."
    ),
    latex=r"\min_j \sum_i p_i P_{ij} = \tfrac12;\quad \exists c: P_{cj} > \tfrac12\ \forall j \ne c \Rightarrow p = "
    r"e_c",
    source=(
        "P. C. Fishburn, Probabilistic social choice based on simple voting comparisons, Rev. Econ. Stud. 51 (1984); "
        "M. Dudik et al., Contextual dueling bandits, COLT 2015, Sec. 3; Y. Wang, Q. Liu, C. Jin, Is RLHF more "
        "difficult than standard RL? A theoretical perspective, NeurIPS 2023, Sec. 3-4"
    ),
    kind="inequality",
    strategy=lambda: st.tuples(st.integers(0, 2**32 - 1), st.integers(2, 7), st.booleans()),
    tags=("preferences", "winners", "games", "fast"),
    message="slack = min(value - 1/2, p_condorcet - 1) + 1e-8 (LP tolerance)",
)
def _vn_slack(instance):
    from rltheory.bandits import BradleyTerry, condorcet_winner, von_neumann_winner

    seed, K, btl = instance
    if btl:
        r = np.random.default_rng(seed).normal(size=K)
        P = np.asarray(BradleyTerry(r).matrix)
    else:
        P = _preference_matrix(seed, K)
    res = von_neumann_winner(P)
    s = res.value - 0.5
    c = condorcet_winner(P)
    if c is not None:
        s = min(s, res.lottery[c] - 1.0)
    if btl:
        s = min(s, 0.0 if c == int(np.argmax(r)) else -1.0)
    return Slack(s + 1e-8, scale=1e-8)


@property_claim(
    id="winners.general-preferences-need-a-game",
    statement=(
        "For general (non-Bradley-Terry) preferences a reward-based oracle does not suffice: there are preference "
        "matrices in which every single alternative is beaten by another with probability > 1/2, so the solution "
        "is the mixed von Neumann winner of a two-player zero-sum game."
    ),
    latex=r"\exists P:\ \forall i\ \exists j\ P_{ji} > \tfrac12",
    source="Y. Wang, Q. Liu, C. Jin, Is RLHF more difficult than standard RL? A theoretical perspective, NeurIPS "
    "2023, Sec. 4",
    kind="counterexample",
    strategy=lambda: st.tuples(st.integers(0, 2**32 - 1), st.integers(3, 6)),
    tags=("preferences", "winners", "games", "fast"),
    message=(
        "witness: a random preference matrix without a Condorcet winner (P's slack: min_i max_j P_ji - 1/2 "
        "negated; the statement refuted is 'some alternative is unbeaten')"
    ),
)
def _unbeaten_slack(instance):
    seed, K = instance
    P = _preference_matrix(seed, K)
    # the statement refuted: "some alternative i is beaten by nobody (max_j P_ji <= 1/2)": its slack
    return float(np.max(0.5 - np.max(P - np.eye(K), axis=0)))


# =========================================================================== MLE (Zhu, Jordan & Jiao 2023)


@property_claim(
    id="mle.k-wise-efficiency",
    statement=(
        "From K-wise Plackett-Luce rankings, the asymptotic covariance of the MLE that splits every ranking into its "
        "pairwise comparisons dominates (PSD order) the one of the Plackett-Luce MLE: the K-wise MLE is the more "
        "efficient (both computed exactly by enumerating the rankings)."
    ),
    latex=r"A^{+}BA^{+} \succeq \mathcal I_{\mathrm{PL}}^{+}",
    source=f"{ZHU}, Sec. 4; Cramer-Rao (A. W. van der Vaart, Asymptotic statistics, 1998, Sec. 8)",
    kind="inequality",
    strategy=lambda: st.tuples(st.integers(0, 2**32 - 1), st.integers(3, 5), st.integers(2, 5)),
    tags=("preferences", "mle", "exact", "fast"),
    message="slack = smallest eigenvalue of split - pl (+ rounding allowance)",
)
def _kwise_slack(instance):
    from rltheory.bandits import PlackettLuce, plackett_luce_asymptotic_covariances

    seed, K, k = instance
    k = min(k, K)
    pl, split = plackett_luce_asymptotic_covariances(PlackettLuce(np.random.default_rng(seed).normal(size=K)), k)
    allow = 1e-10 * (1 + float(np.max(np.abs(split))))
    return Slack(
        float(np.linalg.eigvalsh(np.asarray(split) - np.asarray(pl)).min()) + allow, scale=_size(float(np.trace(pl)))
    )


def _zhu_instances():
    return st.tuples(
        st.integers(0, 2**32 - 1),
        st.integers(1, 3),
        st.integers(2, 3),
        st.integers(1, 3),
        st.floats(0.01, 1.0),
        st.floats(1.0, 3.0),
    )


@property_claim(
    id="mle.pessimistic-suboptimality",
    statement=(
        "On the event ||theta_hat - theta*||_Sigma <= f, the pessimistic MLE policy (max over policies of the lower "
        "confidence value) has SubOpt <= 2 f ||Sigma^{-1/2} E_rho phi(s, pi*(s))|| (v = 0), up to its certified "
        "duality gap; searched over random features, estimates inside the ellipsoid and covariances."
    ),
    latex=r"\|\hat\theta-\theta^*\|_\Sigma \le f \Rightarrow J(\pi^*) - J(\hat\pi_{\mathrm{PE}}) \le "
    r"2f\|\Sigma^{-1/2}\mathbb E_\rho\phi(s,\pi^*(s))\|",
    source=f"{ZHU}, Algorithm 1 and Thm 3.2 (its proof; the published statement absorbs the 2 in C)",
    kind="inequality",
    strategy=_zhu_instances,
    tags=("preferences", "mle", "pessimism", "fast"),
    message="slack = bound + duality gap - SubOpt",
)
def _zhu_slack(instance):
    from rltheory.bandits import pessimistic_policy

    seed, S, A, d, noise, widen = instance
    rng = np.random.default_rng(seed)
    Phi = rng.normal(size=(S, A, d))
    th_star = rng.normal(size=d)
    th_hat = th_star + rng.normal(scale=noise, size=d)
    M = rng.normal(size=(d, d))
    Sig = M @ M.T + 0.1 * np.eye(d)
    f = float(np.sqrt((th_hat - th_star) @ Sig @ (th_hat - th_star))) * widen + 1e-12
    res = pessimistic_policy(th_hat, Phi, Sig, f)
    vals = np.einsum("sad,d->sa", Phi, th_star)
    u_star = Phi[np.arange(S), vals.argmax(axis=1)].mean(axis=0)
    w, V = np.linalg.eigh(Sig)
    bound = 2 * f * float(np.linalg.norm((V / np.sqrt(w)) @ V.T @ u_star))
    sub = float(vals.max(axis=1).mean() - np.mean(np.sum(res.action_probabilities * vals, axis=1)))
    return Slack(bound + res.duality_gap + 1e-9 - sub, scale=_size(bound + res.duality_gap))


def _zhu_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.bandits import BradleyTerry, bradley_terry_mle, sample_comparisons
    from rltheory.proofs_checks.rates import fit_power_law

    rng = np.random.default_rng(ctx.seed_sequence(43))
    F = rng.normal(size=(8, 3))
    theta = np.array([0.8, -0.4, 0.3])
    bt = BradleyTerry(F @ theta)
    reps = max(10, ctx.examples // 4)
    ns = np.array([250, 500, 1000, 2000, 4000])
    errs = np.empty((ns.size, reps))
    for i, n in enumerate(ns):
        for k in range(reps):
            data = sample_comparisons(bt, int(n), rng=np.random.SeedSequence([int(ctx.seed or 0), int(n), k]))
            D = F[data.winners] - F[data.losers]
            Sigma = D.T @ D / n
            diff = bradley_terry_mle(data, features=F).theta - theta
            errs[i, k] = math.sqrt(float(diff @ Sigma @ diff))
    fit = fit_power_law(ns, errs, seed=ctx.seed)
    return _rate_result(
        "mle.error-rate",
        fit,
        -0.5,
        int(errs.size),
        f"linear BT, d=3, 8 alternatives, {reps} datasets per n: ||theta_hat - theta*||_Sigma_D vs n",
    )


register(
    Claim(
        id="mle.error-rate",
        statement=(
            "The Bradley-Terry MLE with linear features satisfies ||theta_hat - theta*||_{Sigma_D} = O(sqrt(d/n)): the "
            "fitted log-log slope of the error in n is not significantly above -1/2."
        ),
        latex=r"\|\hat\theta - \theta^*\|_{\Sigma_D} \le C\sqrt{\frac{d + \log(1/\delta)}{\gamma^2 n}}",
        source=f"{ZHU}, Lemma 3.1",
        kind="rate",
        tags=("preferences", "mle", "rate", "statistical"),
        check=_zhu_rate_check,
        published_form="||theta_hat - theta*||_{Sigma_D + lambda I} <= C sqrt((d + log(1/delta)) / (gamma^2 n) + "
        "lambda B^2)",
        claimed_exponent=-0.5,
    )
)


# =========================================================================== best-of-N


@property_claim(
    id="best-of-n.kl-upper-bound",
    statement=(
        "The exact KL of the best-of-N law to the reference is at most log N - (N - 1)/N (strictly below for N > 1 on "
        "a finite response set), and the win rate against the reference (ties count 1/2) is at most N/(N + 1)."
    ),
    latex=r"\mathrm{KL}(\pi_{\mathrm{bon}}\|\pi_{\mathrm{ref}}) \le \log N - \tfrac{N-1}{N},\qquad "
    r"\Pr(\pi_{\mathrm{bon}}\succ\pi_{\mathrm{ref}}) \le \tfrac{N}{N+1}",
    source=f"{BEIRAMI}, Thm 3.1 and Sec. 5",
    kind="inequality",
    strategy=lambda: st.tuples(st.integers(0, 2**32 - 1), st.integers(2, 10), st.integers(1, 200), st.booleans()),
    tags=("preferences", "best-of-n", "exact", "fast"),
    message="slack = min(formula - KL, N/(N+1) - win rate) + 1e-12",
)
def _bon_slack(instance):
    from rltheory.bandits import best_of_n

    seed, Y, n, ties = instance
    rng = np.random.default_rng(seed)
    ref = rng.dirichlet(np.ones(Y))
    r = rng.integers(0, 3, size=Y).astype(float) if ties else rng.normal(size=Y)
    res = best_of_n(ref, r, n)
    s = min(res.kl_formula - res.kl, n / (n + 1) - res.win_rate)
    return Slack(s + 1e-12, scale=_size(res.kl_formula + 1e-12))


def _bon_limit_check(ctx: CheckContext) -> CheckResult:
    import sympy as sp

    from rltheory.bandits import best_of_n, best_of_n_kl_formula

    u, N = sp.symbols("u N", positive=True)
    kl = sp.integrate(N * u ** (N - 1) * sp.log(N * u ** (N - 1)), (u, 0, 1), conds="none")
    exact = sp.simplify(kl - (sp.log(N) - (N - 1) / N)) == 0
    worst, n_inst = math.inf, 1
    for n in (2, 5, 20):
        gaps = [
            best_of_n_kl_formula(n) - best_of_n(np.full(Y, 1 / Y), np.arange(Y, dtype=float), n).kl
            for Y in (10, 100, 1000, 10_000)
        ]
        n_inst += 4
        worst = min(worst, min(a - b for a, b in zip(gaps, gaps[1:])), 1e-2 - gaps[-1])
    passed = bool(exact) and worst >= 0
    return CheckResult(
        "best-of-n.continuum-limit",
        passed,
        n_inst,
        worst if exact else -1.0,
        None,
        0.0,
        message="sympy: int_0^1 N u^(N-1) log(N u^(N-1)) du = log N - (N-1)/N "
        + ("holds" if exact else "FAILED")
        + "; the exact KL for Y equiprobable distinct rewards increases "
        "to it (N = 2, 5, 20; Y = 10 ... 10^4); slack = smallest increase / final gap margin",
    )


register(
    Claim(
        id="best-of-n.continuum-limit",
        statement=(
            "log N - (N - 1)/N is the KL of the maximum of N uniforms to the uniform (the continuous limit), and the "
            "exact "
            "best-of-N KL on Y equiprobable responses with distinct rewards increases to it as Y grows."
        ),
        latex=r"\int_0^1 N u^{N-1}\log(N u^{N-1})\,du = \log N - \tfrac{N-1}{N}",
        source=f"{BEIRAMI}, Sec. 3 (the formula is exact only for continuous reward laws)",
        kind="identity",
        tags=("preferences", "best-of-n", "exact", "fast"),
        check=_bon_limit_check,
    )
)


@property_claim(
    id="best-of-n.below-kl-rl-frontier",
    statement=(
        "For the same KL to the reference, the tilted policy pi ∝ pi_ref exp(r/beta) has at least the expected reward "
        "of best-of-N: best-of-N lies on or below the KL-RL frontier."
    ),
    latex=r"\mathbb E_{\pi_{\mathrm{bon}}} r \le \max\{\mathbb E_\pi r: \mathrm{KL}(\pi\|\pi_{\mathrm{ref}}) \le "
    r"\mathrm{KL}(\pi_{\mathrm{bon}}\|\pi_{\mathrm{ref}})\}",
    source=(
        "Lagrangian duality of max E_pi r s.t. KL <= D (the Gibbs variational principle); J. Q. Yang, S. Salamatian, "
        "Z. Sun, A. T. Suresh, A. Beirami, Asymptotics of language model alignment, ISIT 2024, Sec. 2"
    ),
    kind="inequality",
    strategy=lambda: st.tuples(st.integers(0, 2**32 - 1), st.integers(2, 8), st.integers(2, 100)),
    tags=("preferences", "best-of-n", "fast"),
    message="slack = frontier(KL_bon) - E_bon r (+ root-search allowance 1e-9)",
)
def _frontier_slack(instance):
    from rltheory.bandits import best_of_n, kl_reward_frontier

    seed, Y, n = instance
    rng = np.random.default_rng(seed)
    ref, r = rng.dirichlet(np.ones(Y)), rng.normal(size=Y)
    res = best_of_n(ref, r, n)
    return Slack(
        float(kl_reward_frontier(ref, r, res.kl)[0]) - res.expected_reward + 1e-9, scale=_size(float(r.max() - r.min()))
    )


def _asymptotic_check(ctx: CheckContext) -> CheckResult:
    from rltheory.bandits import best_of_n_asymptotics
    from rltheory.proofs_checks.rates import fit_power_law

    m = np.array([30, 60, 100, 300, 1000])
    res = best_of_n_asymptotics([0.5, 0.3, 0.2], [0, 1, 3], 0.3, m)
    gaps = res.kl_rl_reward - res.best_of_n_reward
    fit = fit_power_law(m, gaps, seed=ctx.seed)
    out = _rate_result(
        "best-of-n.asymptotic-equivalence",
        fit,
        0.0,
        int(m.size),
        f"memoryless 3-token model, Delta = 0.3, N = e^(m Delta): per-token reward gap to KL-RL at "
        f"m = {m.tolist()}: {np.round(gaps, 5).tolist()} (must decrease to 0)",
        direction="below",
    )
    if not (gaps > 0).all():
        from dataclasses import replace

        out = replace(out, passed=False, worst_slack=-1.0, relative_slack=-1.0)
    return out


register(
    Claim(
        id="best-of-n.asymptotic-equivalence",
        statement=(
            "For a memoryless language model with an additive reward, best-of-N with N = e^(m Delta) and the KL-RL "
            "solution with budget m Delta have the same per-token reward as m -> infinity: the exact gap decreases "
            "to 0 (fitted log-log slope significantly below 0)."
        ),
        latex=r"\lim_{m\to\infty}\tfrac1m\mathbb E\big[\max_{i\le e^{m\Delta}} S^{(i)}_m\big] = x(\Delta),\ "
        r"\Lambda^*(x(\Delta)) = \Delta",
        source=(
            "J. Q. Yang, S. Salamatian, Z. Sun, A. T. Suresh, A. Beirami, Asymptotics of language model alignment, "
            "ISIT 2024 (arXiv:2404.01730): best-of-N and KL-constrained RL are asymptotically equivalent"
        ),
        kind="rate",
        tags=("preferences", "best-of-n", "rate", "exact"),
        check=_asymptotic_check,
        published_form="per-token reward of best-of-e^(m Delta) -> that of the KL-RL optimum with KL = m Delta",
        claimed_exponent=0.0,
    )
)


# =========================================================================== token-level views


def _tree_instances():
    return st.tuples(st.integers(0, 2**32 - 1), st.integers(2, 3), st.integers(1, 3), st.floats(0.1, 3.0))


def _tree(seed, V, H, beta):
    from rltheory.bandits import TokenTree

    rng = np.random.default_rng(seed)
    return TokenTree(
        rng.dirichlet(2 * np.ones(V), size=(V**H - 1) // (V - 1)), rng.normal(scale=2.0, size=V**H), beta=beta
    )


@property_claim(
    id="token.r-to-q-star",
    statement=(
        "In a deterministic token MDP with the sequence reward paid at the end, the KL-regularized sequence optimum "
        "pi*(y) ∝ pi_ref(y) e^{r(y)/beta} factorizes into the soft-optimal token policy, its per-token implicit "
        "reward beta log pi*(a|s)/pi_ref(a|s) is the optimal soft advantage Q*(s,a) - V*(s), and the sum over a "
        "sequence is r(y) - V*(s_0)."
    ),
    latex=r"\beta\log\frac{\pi^*(a_t|s_t)}{\pi_{\mathrm{ref}}(a_t|s_t)} = Q^*(s_t,a_t) - V^*(s_t),\quad \sum_t = r(y) "
    r"- V^*(s_0)",
    source=(
        "R. Rafailov, J. Hejna, R. Park, C. Finn, From r to Q*: your language model is secretly a Q-function, COLM "
        "2024, "
        "Sec. 4"
    ),
    kind="identity",
    strategy=_tree_instances,
    tags=("preferences", "token", "exact", "fast"),
    message="slack = allowance - max error of the three identities; allowance 1e3 eps (1 + |r|_max)",
)
def _r_to_q_slack(instance):
    from rltheory.bandits import soft_optimal_token_policy, token_implicit_rewards
    from rltheory.tabular import kl_regularized_posterior

    tree = _tree(*instance)
    V, H = tree.vocabulary_size, tree.depth
    sol = soft_optimal_token_policy(tree)
    seq = np.asarray(kl_regularized_posterior(tree.rewards, tree.sequence_reference(), tree.beta).action_probabilities)
    err = float(np.max(np.abs(seq - sol.sequence_probabilities)))
    imp = token_implicit_rewards(tree, seq)
    adv = np.empty_like(imp)
    for y in range(V**H):
        prefix = 0
        for t in range(H):
            a = (y // V ** (H - 1 - t)) % V
            s = tree.node(t, prefix)
            adv[y, t] = sol.q[s, a] - sol.v[s]
            prefix = prefix * V + a
    err = max(err, float(np.max(np.abs(imp - adv))), float(np.max(np.abs(imp.sum(axis=1) - (tree.rewards - sol.v[0])))))
    allow = 1e3 * EPS * (1 + float(np.max(np.abs(tree.rewards))) + tree.beta * H * 10)
    return Slack(allow - err, scale=allow)


@property_claim(
    id="token.qsharp-equals-soft-q",
    statement=(
        "In a deterministic token MDP, Q#(s,a) = beta log E_{pi_ref}[e^{R/beta} | s, a], computed from the return law "
        "of the reference policy alone, equals the optimal soft Q*(s, a), so pi_ref guided by Q# is optimal."
    ),
    latex=r"Q^\sharp(s,a) = \beta\log\mathbb E_{\pi_{\mathrm{ref}}}\big[e^{R/\beta}\mid s,a\big] = Q^*(s,a)",
    source=(
        "J. P. Zhou, K. Wang, J. Chang, Z. Gao, N. Kallus, K. Q. Weinberger, K. Brantley, W. Sun, Q#: provably optimal "
        "distributional RL for LLM post-training, arXiv:2502.20548 (2025), Sec. 3"
    ),
    kind="identity",
    strategy=_tree_instances,
    tags=("preferences", "token", "exact", "fast"),
    message="slack = allowance - max |Q# - Q*|",
)
def _qsharp_slack(instance):
    from rltheory.bandits import qsharp_values, soft_optimal_token_policy

    tree = _tree(*instance)
    err = float(np.max(np.abs(qsharp_values(tree) - soft_optimal_token_policy(tree).q)))
    allow = 1e3 * EPS * (1 + float(np.max(np.abs(tree.rewards))))
    return Slack(allow - err, scale=allow)


# =========================================================================== dueling bandits: MaxMinLCB


def _coverage_level(n, n_pairs, delta):
    """n times the KL radius of the confidence sequence of MaxMinLCB (the published construction, restated)."""
    return np.log(2 * n_pairs * n * (n + 1) / delta)


def _coverage_check(ctx: CheckContext) -> CheckResult:
    from scipy import stats

    from rltheory.bandits import BradleyTerry

    delta, K, N = 0.2, 4, 300
    P = np.asarray(BradleyTerry([0.6, 0.2, 0.0, -0.5]).matrix)
    n_seq = max(200, 4 * ctx.examples)
    rng = np.random.default_rng(ctx.seed_sequence(47))
    pairs = [(i, j) for i in range(K) for j in range(i + 1, K)]
    n = np.arange(1, N + 1)
    level = _coverage_level(n, len(pairs), delta)  # n d(p_hat_n, p) must stay below this
    missed = np.zeros(n_seq, dtype=bool)
    for i, j in pairs:
        p = P[i, j]
        wins = np.cumsum(rng.random((n_seq, N)) < p, axis=1)
        ph = wins / n
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(ph > 0, ph * np.log(ph / p), 0.0) + np.where(
                ph < 1, (1 - ph) * np.log((1 - ph) / (1 - p)), 0.0
            )
        missed |= (n * d > level).any(axis=1)
    k = int(missed.sum())
    lower = 0.0 if k == 0 else float(stats.beta.ppf(0.025, k, n_seq - k + 1))
    slack = delta - lower
    return CheckResult(
        "dueling.maxminlcb.coverage",
        slack >= 0,
        n_seq,
        slack,
        None,
        0.0,
        relative_slack=slack / delta,
        message=f"{n_seq} sequences of {N} duels of each of the {len(pairs)} pairs, delta = {delta}: "
        f"{k} left the confidence sequence; slack = delta - lower 95% Clopper-Pearson bound of the miss rate",
    )


register(
    Claim(
        id="dueling.maxminlcb.coverage",
        statement=(
            "The per-pair Chernoff confidence sequences of MaxMinLCB, {q: n d(p_hat_n, q) <= log(2 P n (n+1)/delta)}, "
            "contain every preference probability at every time with probability >= 1 - delta (anytime valid)."
        ),
        latex=r"\Pr\big(\exists n, (i,j):\ n\,d(\hat p_{ij,n}, P_{ij}) > \log\tfrac{2Pn(n+1)}{\delta}\big) \le \delta",
        source=(
            "B. Pasztor, P. Kassraie, A. Krause, Bandits with preference feedback: a Stackelberg game perspective, "
            "NeurIPS "
            "2024 (anytime-valid confidence sequences; here the tabular Chernoff construction of "
            "rltheory.bandits.MaxMinLCB)"
        ),
        kind="inequality",
        tags=("preferences", "dueling", "statistical", "fast"),
        check=_coverage_check,
    )
)


def _maxmin_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.bandits import BradleyTerry, MaxMinLCB
    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.simulation import simulate

    T = 10_000
    n_runs = max(8, ctx.examples // 5)
    seed = int(ctx.seed_sequence(53).generate_state(1)[0] % 2**31)
    curve = simulate(
        BradleyTerry([0.5, 0.2, 0.0, -0.3]),
        MaxMinLCB(),
        n_rounds=T,
        n_runs=n_runs,
        seed=seed,
        checkpoints=np.unique(np.geomspace(T // 10, T, 8).astype(int)),
    )
    fit = fit_power_law(curve.times, curve.regret.T, seed=ctx.seed)
    return _rate_result(
        "dueling.maxminlcb.regret-rate",
        fit,
        0.5,
        n_runs,
        f"MaxMinLCB on BradleyTerry([0.5, 0.2, 0, -0.3]), T = {T}, {n_runs} runs: strong regret on [T/10, T]",
    )


register(
    Claim(
        id="dueling.maxminlcb.regret-rate",
        statement=(
            "MaxMinLCB's regret grows at most like sqrt(T): the fitted log-log slope of the mean strong regret on "
            "[T/10, T] is not significantly above 1/2 (on a finite Bradley-Terry instance it is logarithmic)."
        ),
        latex=r"R^{\mathrm D}(T) = O(\gamma_T\sqrt T)",
        source=(
            "B. Pasztor, P. Kassraie, A. Krause, Bandits with preference feedback: a Stackelberg game perspective, "
            "NeurIPS "
            "2024, main regret theorem"
        ),
        kind="rate",
        tags=("preferences", "dueling", "rate", "statistical"),
        check=_maxmin_rate_check,
        published_form="R^D(T) = O(gamma_T^D sqrt(T)) with probability 1 - delta, anytime",
        claimed_exponent=0.5,
    )
)
