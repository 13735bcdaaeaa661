r"""Claims of learning from samples without exploration: generative models, offline RL, off-policy evaluation.

Every claim compares with *exact* ground truth (optimal values and gains, policy values, occupancies,
variances), so sample-complexity statements are checked as fitted exponents with bootstrap confidence
intervals (:mod:`rltheory.proofs_checks.rates`) and estimator statements as confidence intervals over seeds.

**Rates on two-point families.** On a *fixed* MDP the suboptimality of a learned policy vanishes
exponentially fast once the data resolve the action gaps, so a minimax rate such as :math:`n^{-1/2}` can only
be seen on the family of instances where the gap is at the noise scale of the sample size -- the two-point
(Le Cam) construction behind the lower bounds (Azar, Munos & Kappen 2013, Theorem 3). The rate claims below
build, for each grid point, the instance whose gap is one standard deviation of the statistic the learner
compares (a binomial proportion), state that regime, and fit the exponent of the *expected suboptimality of
the returned policy* over independent replications.

Slack convention as everywhere: ``>= 0`` holds; for rate claims, the distance from the claimed exponent to the
nearer end of the 95% bootstrap CI.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Slack, register
from rltheory.proofs_checks._search import property_claim

_EPS = float(np.finfo(float).eps)

AZAR = (
    "M. G. Azar, R. Munos, H. J. Kappen, Minimax PAC bounds on the sample complexity of reinforcement learning with "
    "a generative model, Machine Learning 91(3), 2013, Theorem 3 (lower bound; its hard instance: self-loops with "
    "p = (4 gamma - 1) / (3 gamma))"
)
AKY = (
    "A. Agarwal, S. Kakade, L. F. Yang, Model-based reinforcement learning with a generative model is minimax "
    "optimal, COLT 2020, Theorem 1"
)
LI_Q = (
    "G. Li, C. Cai, Y. Chen, Y. Wei, Y. Chi, Is Q-learning minimax optimal? A tight sample complexity analysis, "
    "arXiv:2102.06548 (Operations Research 72(1), 2024): Q-learning needs (1-gamma)^-4 eps^-2 samples per pair "
    "when A >= 2 (sharp), model-based planning (1-gamma)^-3 eps^-2"
)
WBG = (
    "S. Wang, J. Blanchet, P. Glynn, Optimal sample complexity for average reward Markov decision processes, ICLR "
    "2024 (arXiv:2310.08833), Theorem 1: O~(|S||A| t_mix eps^-2) samples, by reduction to a discounted MDP with "
    "1 - gamma of order eps / t_mix"
)
RZMJR = (
    "P. Rashidinejad, B. Zhu, C. Ma, J. Jiao, S. Russell, Bridging offline reinforcement learning and imitation "
    "learning: a tale of pessimism, NeurIPS 2021 (arXiv:2103.12021); IEEE Trans. Inf. Theory 68(12), 2022"
)
JL = "N. Jiang, L. Li, Doubly robust off-policy value evaluation for reinforcement learning, ICML 2016"


def _rate_result(cid: str, fit, claimed: float, n_instances: int, message: str, extra_ok: bool = True) -> CheckResult:
    lo, hi = fit.ci
    slack = min(claimed - lo, hi - claimed)
    passed = bool(lo <= claimed <= hi and extra_ok)
    if not extra_ok and slack >= 0:
        slack = -0.0
    return CheckResult(
        claim_id=cid,
        passed=passed,
        n_instances=int(n_instances),
        worst_slack=float(slack) if passed else float(min(slack, -0.0)),
        counterexample=None,
        seconds=0.0,
        fitted_exponent=fit.exponent,
        exponent_ci=fit.ci,
        claimed_exponent=claimed,
        rate=fit,
        message=message,
        relative_slack=(float(slack) / ((hi - lo) / 2)) if passed and hi > lo else None,
    )


def _seeds(ctx: CheckContext, *key: int, reps: int):
    return ctx.seed_sequence(*key).spawn(reps)


# =========================================================================== generative model: plug-in planning
def two_point_planning_instance(gamma: float, n: int, kappa: float = 1.0):
    """Azar et al.'s hard instance, two-point form: state 0 chooses y_0 or y_1 (reward 0); y_a pays 1 per step and
    stays with probability p_a (else to the absorbing 0-reward state 3); p_0 = p = (4g-1)/(3g), p_1 = p + delta with
    delta = kappa sqrt(2 p (1-p) / n), one standard deviation of p_hat_1 - p_hat_0 at n samples per pair.

    Returns ``(mdp, suboptimality of choosing y_0)``; action 1 is optimal, ties go to action 0.
    """
    from rltheory.tabular import FiniteMDP

    p = (4 * gamma - 1) / (3 * gamma)
    d = kappa * math.sqrt(2 * p * (1 - p) / n)
    P = np.zeros((4, 2, 4))
    R = np.zeros((4, 2))
    P[0, 0, 1] = P[0, 1, 2] = 1.0
    for y, q in ((1, p), (2, p + d)):
        P[y, :, y], P[y, :, 3], R[y] = q, 1 - q, 1.0
    P[3, :, 3] = 1.0
    mask = np.array([[True, True], [True, False], [True, False], [True, False]])
    gap = gamma * (1 / (1 - gamma * (p + d)) - 1 / (1 - gamma * p))
    return FiniteMDP(P, R, gamma=gamma, action_mask=mask), gap


def _planning_suboptimality(gamma: float, n: int, seeds) -> np.ndarray:
    """||v* - v^{pi_hat}||_inf of model_based_planning on the two-point instance, one per seed."""
    from rltheory.tabular import generative_samples, model_based_planning

    mdp, gap = two_point_planning_instance(gamma, n)
    out = np.empty(len(seeds))
    for j, s in enumerate(seeds):
        pol = model_based_planning(generative_samples(mdp, n, rng=np.random.default_rng(s))).policy
        out[j] = gap if pol[0] != 1 else 0.0
    return out


def _suboptimality_rate(ctx, cid, xs, ys, claimed, reps, what) -> CheckResult:
    """The power law fitted to the mean suboptimality ``ys`` (grid points x replications) against ``xs``."""
    from rltheory.proofs_checks.rates import fit_power_law

    if not (ys.mean(axis=1) > 0).all():
        raise ValueError("a grid point had no suboptimal replication; raise the replications")
    fit = fit_power_law(xs, ys, seed=ctx.seed)
    return _rate_result(
        cid, fit, claimed, ys.size, f"{reps} replications per point, exponent in {what}: {fit.describe()}"
    )


def _planning_rate_check(which: str):
    def check(ctx: CheckContext) -> CheckResult:
        reps = max(60, 2 * ctx.examples)
        if which == "n":
            xs = np.array([4_000, 16_000, 64_000, 256_000])
            ys = np.array(
                [_planning_suboptimality(0.9, int(x), _seeds(ctx, 31, k, reps=reps)) for k, x in enumerate(xs)]
            )
            claimed, cid = -0.5, "generative.plugin.rate-samples"
            what = "n (gamma = 0.9)"
        else:
            gammas = np.array([0.9, 0.95, 0.975, 0.9875])
            xs = 1.0 / (1.0 - gammas)
            ys = np.array(
                [
                    _planning_suboptimality(float(g), 1_000_000, _seeds(ctx, 32, k, reps=reps))
                    for k, g in enumerate(gammas)
                ]
            )
            claimed, cid = 1.5, "generative.plugin.rate-horizon"
            what = "1/(1-gamma) (n = 1e6 per pair)"
        return _suboptimality_rate(ctx, cid, xs, ys, claimed, reps, what)

    return check


_PLANNING_STATEMENT = (
    "Model-based planning with a generative model (rltheory.tabular.model_based_planning on generative_samples): on "
    "the two-point version of Azar et al.'s hard instance (self-loop probabilities p and p + delta, p = (4 gamma - "
    "1)/(3 gamma), delta one standard deviation of the difference of their estimates), the expected suboptimality "
    "||v* - v^pi_hat||_inf of the returned policy scales as (1-gamma)^{-3/2} n^{-1/2} (the rate of Agarwal et al.'s "
    "Theorem 1 upper bound, attained: Azar et al.'s lower bound). "
)
register(
    Claim(
        id="generative.plugin.rate-samples",
        statement=_PLANNING_STATEMENT + "In n (gamma = 0.9, n in [4e3, 2.56e5]): the fitted exponent's 95% CI "
        "contains -1/2.",
        latex=r"\mathbb E\|v^\star - v^{\hat\pi}\|_\infty \asymp \sqrt{\frac{1}{(1-\gamma)^3 n}}",
        source=f"{AKY}; {AZAR}",
        kind="rate",
        tags=("generative", "sample-complexity", "rate"),
        check=_planning_rate_check("n"),
        published_form="n >= c log(c S A/((1-gamma) delta)) / ((1-gamma)^3 eps^2) samples per pair suffice (Thm 1)",
        claimed_exponent=-0.5,
    )
)
register(
    Claim(
        id="generative.plugin.rate-horizon",
        statement=_PLANNING_STATEMENT + "In 1/(1-gamma) (n = 1e6 per pair, 1 - gamma in [0.0125, 0.1], so n (1-gamma) "
        ">= 1.25e4 and the binomial estimates are in their Gaussian regime): the fitted exponent's 95% CI "
        "contains 3/2.",
        latex=r"\mathbb E\|v^\star - v^{\hat\pi}\|_\infty \asymp \sqrt{\frac{1}{(1-\gamma)^3 n}}",
        source=f"{AKY}; {AZAR}",
        kind="rate",
        tags=("generative", "sample-complexity", "rate"),
        check=_planning_rate_check("gamma"),
        published_form="n >= c log(c S A/((1-gamma) delta)) / ((1-gamma)^3 eps^2) samples per pair suffice (Thm 1)",
        claimed_exponent=1.5,
    )
)


# =========================================================================== Q-learning versus model-based
def overestimation_instance(gamma: float, n_actions: int = 2):
    """State 0: ``n_actions`` identical actions, reward 1, stay with p = (4g-1)/(3g) else go to the absorbing state 1.

    Returns ``(mdp, q_star)``; ``q_star = 1 / (1 - g p) = 3 / (4 (1 - g))`` for every action of state 0.
    """
    from rltheory.tabular import FiniteMDP

    p = (4 * gamma - 1) / (3 * gamma)
    A = n_actions
    P = np.zeros((2, A, 2))
    P[0, :, 0], P[0, :, 1], P[1, :, 1] = p, 1 - p, 1.0
    R = np.zeros((2, A))
    R[0] = 1.0
    mask = np.zeros((2, A), dtype=bool)
    mask[0], mask[1, 0] = True, True
    return FiniteMDP(P, R, gamma=gamma, action_mask=mask), 1.0 / (1.0 - gamma * p)


def _q_learning_gap_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.tabular import generative_samples, model_based_planning, synchronous_q_learning

    T = 1_000_000
    gammas = np.array([0.9, 0.95, 0.975, 0.9875])
    reps_q, reps_m = max(10, ctx.examples // 3), max(60, 2 * ctx.examples)
    ql = np.empty((gammas.size, reps_q))
    mb = np.empty((gammas.size, reps_m))
    for k, g in enumerate(gammas):
        mdp, q_star = overestimation_instance(float(g))
        eta = math.log(T) / ((1 - g) * T)  # constant step of order log(T) / ((1 - gamma) T) (Li et al.'s regime)
        for j, s in enumerate(_seeds(ctx, 41, k, reps=reps_q)):
            q = synchronous_q_learning(mdp, T, step_size=eta, rng=np.random.default_rng(s)).q
            ql[k, j] = float(np.max(np.abs(q[0] - q_star)))
        for j, s in enumerate(_seeds(ctx, 42, k, reps=reps_m)):
            q = model_based_planning(generative_samples(mdp, T, rng=np.random.default_rng(s))).q
            mb[k, j] = float(np.max(np.abs(q[0] - q_star)))
    x = 1.0 / (1.0 - gammas)
    fit_q = fit_power_law(x, ql, seed=ctx.seed)
    fit_m = fit_power_law(x, mb, seed=ctx.seed)
    m_ok = fit_m.ci[0] <= 1.5 <= fit_m.ci[1]
    separated = fit_q.ci[0] > fit_m.ci[1]
    out = _rate_result(
        "generative.q-learning.horizon-gap",
        fit_q,
        2.0,
        ql.size + mb.size,
        f"T = {T} samples per pair; Q-learning {fit_q.describe()}; model-based {fit_m.describe()}; "
        f"model-based CI contains 3/2: {m_ok}; CIs separated: {separated}",
        extra_ok=bool(m_ok and separated),
    )
    worst = min(out.worst_slack, 1.5 - fit_m.ci[0], fit_m.ci[1] - 1.5, fit_q.ci[0] - fit_m.ci[1])
    return replace(out, worst_slack=float(worst) if out.passed else float(min(worst, -0.0)), relative_slack=None)


register(
    Claim(
        id="generative.q-learning.horizon-gap",
        statement=(
            "Synchronous Q-learning is one horizon factor worse than model-based planning: on the over-estimation "
            "instance (a state with two identical actions that stay with p = (4 gamma - 1)/(3 gamma)), with T = 1e6 "
            "samples per pair and the constant step log(T)/((1-gamma) T), the error ||Q_T - Q*||_inf has fitted "
            "exponent in 1/(1-gamma) (1 - gamma in [0.0125, 0.1]) whose 95% CI contains 2 (sample complexity "
            "(1-gamma)^-4 eps^-2), the plug-in model's ||Q_hat* - Q*||_inf with the same samples has a CI "
            "containing 3/2 ((1-gamma)^-3 eps^-2), and the two CIs are disjoint."
        ),
        latex=r"\|Q_T - Q^\star\|_\infty \asymp \frac{1}{(1-\gamma)^{2}\sqrt T}\ \text{vs.}\ "
        r"\|\hat Q^\star - Q^\star\|_\infty \asymp \frac{1}{(1-\gamma)^{3/2}\sqrt T}",
        source=f"{LI_Q}; {AKY}",
        kind="rate",
        tags=("generative", "q-learning", "sample-complexity", "rate", "slow"),
        check=_q_learning_gap_check,
        published_form="Q-learning: T = O~(1/((1-gamma)^4 eps^2)) per pair, sharp for A >= 2 (Li et al. 2021)",
        claimed_exponent=2.0,
    )
)


# =========================================================================== average reward by reduction
def two_point_average_reward_instance(q: float, n: int, kappa: float = 1.0):
    """Two states. State 0 (reward 1) has two actions leaving to state 1 with probability q_a: q_1 = q (optimal,
    gain 1/2) and q_0 = q (1 + delta) with q delta = kappa sqrt(2 q (1-q) / n), one standard deviation of the
    difference of the estimated leaving rates; state 1 (reward 0, one action) returns with probability q. Every
    policy mixes in time of order 1/q.

    Returns ``(mdp, gain gap 1/2 - 1/(2 + delta))``; ties go to action 0.
    """
    from rltheory.tabular import FiniteMDP

    delta = kappa * math.sqrt(2 * q * (1 - q) / n) / q
    P = np.zeros((2, 2, 2))
    for a, qa in ((0, q * (1 + delta)), (1, q)):
        P[0, a, 1], P[0, a, 0] = qa, 1 - qa
    P[1, :, 0], P[1, :, 1] = q, 1 - q
    R = np.array([[1.0, 1.0], [0.0, 0.0]])
    mdp = FiniteMDP(P, R, gamma=1.0, action_mask=[[True, True], [True, False]])
    return mdp, 0.5 - 1.0 / (2.0 + delta)


def _reduction_suboptimality(q: float, n: int, seeds) -> np.ndarray:
    from rltheory.tabular import average_reward_reduction, generative_samples, mixing_time

    mdp, gap = two_point_average_reward_instance(q, n)
    t_mix = float(mixing_time(mdp.policy_transition(np.array([1, 0]))))
    eps = min(0.5 * t_mix, math.sqrt(t_mix / n))
    out = np.empty(len(seeds))
    for j, s in enumerate(seeds):
        pol = average_reward_reduction(
            generative_samples(mdp, n, rng=np.random.default_rng(s)), epsilon=eps, mixing_time=t_mix
        ).policy
        out[j] = gap if pol[0] != 1 else 0.0
    return out


def _reduction_rate_check(which: str):
    def check(ctx: CheckContext) -> CheckResult:
        reps = max(60, 2 * ctx.examples)
        if which == "n":
            xs = np.array([4_000, 16_000, 64_000, 256_000])
            ys = np.array(
                [_reduction_suboptimality(0.1, int(x), _seeds(ctx, 51, k, reps=reps)) for k, x in enumerate(xs)]
            )
            claimed, cid, what = -0.5, "average-reward.reduction.rate-samples", "n (q = 0.1)"
        else:
            qs = np.array([0.04, 0.02, 0.01, 0.005])
            xs = 1.0 / qs
            ys = np.array(
                [_reduction_suboptimality(float(q), 1_000_000, _seeds(ctx, 52, k, reps=reps)) for k, q in enumerate(qs)]
            )
            claimed, cid, what = 0.5, "average-reward.reduction.rate-mixing", "t_mix ~ 1/q (n = 1e6)"
        return _suboptimality_rate(ctx, cid, xs, ys, claimed, reps, what)

    return check


_REDUCTION_STATEMENT = (
    "Average-reward learning by reduction (rltheory.tabular.average_reward_reduction: discounted plug-in model with "
    "1 - gamma = eps / t_mix, eps = sqrt(t_mix / n)): on the two-point family where the optimal and the other "
    "action of the rewarding state differ in leaving rate by one standard deviation of its estimate, the expected "
    "gain suboptimality g* - g^pi_hat of the *learned policy* scales as sqrt(t_mix / n) (the O~(S A t_mix eps^-2) "
    "sample complexity; the plug-in gain-error claims average-reward.plugin.* measure estimation error instead). "
)
register(
    Claim(
        id="average-reward.reduction.rate-samples",
        statement=_REDUCTION_STATEMENT
        + "In n (q = 0.1, n in [4e3, 2.56e5]): the fitted exponent's 95% CI contains -1/2.",
        latex=r"\mathbb E[g^\star - g^{\hat\pi}] \asymp \sqrt{t_{mix}/n}",
        source=WBG,
        kind="rate",
        tags=("average-reward", "sample-complexity", "rate"),
        check=_reduction_rate_check("n"),
        published_form="n = O~(|S||A| t_mix / eps^2) samples for an eps-optimal policy",
        claimed_exponent=-0.5,
    )
)
register(
    Claim(
        id="average-reward.reduction.rate-mixing",
        statement=_REDUCTION_STATEMENT + "In t_mix ~ 1/q (n = 1e6 per pair, q in [0.005, 0.04], n q >= 5e3): the "
        "fitted exponent in 1/q has a 95% CI containing 1/2.",
        latex=r"\mathbb E[g^\star - g^{\hat\pi}] \asymp \sqrt{t_{mix}/n}",
        source=WBG,
        kind="rate",
        tags=("average-reward", "sample-complexity", "rate"),
        check=_reduction_rate_check("t"),
        published_form="n = O~(|S||A| t_mix / eps^2) samples for an eps-optimal policy",
        claimed_exponent=0.5,
    )
)


@st.composite
def _ergodic_models(draw):
    from rltheory.tabular import FiniteMDP

    S, A = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=S * A * S, max_size=S * A * S))).reshape(S, A, S)
    R = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=S * A, max_size=S * A))).reshape(S, A)
    return FiniteMDP(w / w.sum(axis=2, keepdims=True), R, gamma=1.0), draw(st.floats(0.0, 0.999))


@property_claim(
    id="average-reward.reduction.bias",
    statement=(
        "The discounted reduction loses at most (1-gamma)(span h* + span h^{pi_gamma}) of gain: for every MDP with "
        "positive transitions (all policies unichain) and gamma in [0, 1), the gamma-discounted optimal policy "
        "pi_gamma satisfies g* - g^{pi_gamma} <= (1 - gamma)(span(h^{pi*}) + span(h^{pi_gamma})), because "
        "|(1-gamma) v^pi_gamma - g^pi| <= (1-gamma) span(h^pi) for every unichain pi."
    ),
    latex=r"g^\star - g^{\pi_\gamma} \le (1-\gamma)\big(\mathrm{sp}(h^{\pi^\star}) + \mathrm{sp}(h^{\pi_\gamma})\big)",
    source=f"derived in rltheory.tabular._average_reward_reduction (module docstring); used by {WBG}",
    kind="inequality",
    tags=("average-reward", "reduction", "fast"),
    strategy=lambda: _ergodic_models(),
    message="slack = (1-gamma)(sp h* + sp h^pi_gamma) - (g* - g^pi_gamma) + solve allowance",
)
def _reduction_bias_slack(instance):
    from rltheory.tabular import FiniteMDP, average_reward_policy_iteration, gain_and_bias, policy_iteration

    mdp, gamma = instance
    star = average_reward_policy_iteration(mdp)
    h_star = gain_and_bias(mdp, star.policy).bias
    pol = policy_iteration(FiniteMDP(mdp.P, mdp.R, gamma=gamma)).policy
    gb = gain_and_bias(mdp, pol)
    bound = (1 - gamma) * (float(np.ptp(h_star)) + float(np.ptp(gb.bias)))
    gap = float(np.max(star.gain - gb.gain))
    fp = 1e-10
    return Slack(bound - gap + fp, scale=bound + fp)


# =========================================================================== offline RL: VI-LCB
def nearly_expert_bandit(n: int, beta: float = 0.1, n_rare: int = 2):
    """Contextual bandit (gamma = 0) of nearly expert data: the common context 0 (probability 1 - n_rare/n) has the
    expert action 1 (Bernoulli 1/2) and action 0 (Bernoulli 1/2 - Delta), Delta one standard deviation of the
    difference of their empirical means, logged with probability beta; ``n_rare`` contexts of probability 1/n each
    have rewards (0, 1) and are logged by the expert. Returns ``(mdp, data distribution, C*)``, C* = 1/(1-beta).
    """
    from rltheory.tabular import FiniteMDP

    S = 1 + n_rare
    rho = np.full(S, 1.0 / n)
    rho[0] = 1.0 - n_rare / n
    delta = math.sqrt(0.25 / (beta * n) + 0.25 / ((1 - beta) * n))
    R = np.zeros((S, 2))
    R[0] = [0.5 - delta, 0.5]
    R[1:, 1] = 1.0
    P = np.broadcast_to(rho, (S, 2, S)).copy()
    mdp = FiniteMDP(P, R, gamma=0.0, initial_distribution=rho)
    mu = np.zeros((S, 2))
    mu[0] = rho[0] * np.array([beta, 1 - beta])
    mu[1:, 1] = rho[1:]
    return mdp, mu, 1.0 / (1.0 - beta)


def _bandit_suboptimality(mdp, policy) -> float:
    rho = np.asarray(mdp.initial_distribution)
    R = np.asarray(mdp.R)
    return float(rho @ (R.max(axis=1) - R[np.arange(R.shape[0]), policy]))


def _expert_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.tabular import collect, model_based_planning, vi_lcb

    reps = max(150, 2 * ctx.examples)
    xs = np.array([1_000, 4_000, 16_000, 64_000])
    lcb = np.empty((xs.size, reps))
    plug = np.empty((xs.size, reps))
    for k, n in enumerate(xs):
        mdp, mu, c_star = nearly_expert_bandit(int(n))
        for j, s in enumerate(_seeds(ctx, 61, k, reps=reps)):
            data = collect(
                mdp, data_distribution=mu, n_transitions=int(n), reward_noise="bernoulli", rng=np.random.default_rng(s)
            )
            lcb[k, j] = _bandit_suboptimality(mdp, vi_lcb(data, delta=1.0 / n).policy)
            plug[k, j] = _bandit_suboptimality(mdp, model_based_planning(data).policy)
    fit_l = fit_power_law(xs, lcb, seed=ctx.seed)
    fit_p = fit_power_law(xs, plug, seed=ctx.seed)
    p_ok = fit_p.ci[0] <= -0.5 <= fit_p.ci[1]
    out = _rate_result(
        "offline.vi-lcb.expert-rate",
        fit_l,
        -1.0,
        lcb.size + plug.size,
        f"C* = {c_star:.3f}, {reps} datasets per N; LCB {fit_l.describe()}; plug-in {fit_p.describe()}; "
        f"plug-in CI contains -1/2: {p_ok}",
        extra_ok=bool(p_ok),
    )
    worst = min(out.worst_slack, -0.5 - fit_p.ci[0], fit_p.ci[1] + 0.5)
    return replace(out, worst_slack=float(worst) if out.passed else float(min(worst, -0.0)), relative_slack=None)


register(
    Claim(
        id="offline.vi-lcb.expert-rate",
        statement=(
            "On nearly expert contextual-bandit data (C* = 1/(1-beta) = 1.11), pessimism attains the 1/N rate and the "
            "plug-in does not: on the family where the behaviour plays a non-expert action of the common context with "
            "probability 0.1 and gap one standard deviation of the difference of the empirical means, and two "
            "contexts have probability 1/N, the expected suboptimality of LCB (rltheory.tabular.vi_lcb, gamma = 0, "
            "delta = 1/N) has fitted exponent in N (N in [1e3, 6.4e4]) whose 95% CI contains -1 (the S/N term of the "
            "contextual-bandit bound), while the plug-in greedy policy's contains -1/2."
        ),
        latex=r"\mathbb E[J(\pi^\star) - J(\hat\pi_{LCB})] \lesssim \sqrt{\frac{S(C^\star - 1)}{N}} + "
        r"\frac{S}{N},\quad "
        r"\text{plug-in} \asymp N^{-1/2}",
        source=f"{RZMJR}: contextual-bandit LCB (Algorithm 2) and its upper bound; the abstract's '1/N for "
        "nearly-expert "
        "datasets compared to the usual 1/sqrt(N)'",
        kind="rate",
        tags=("offline", "pessimism", "rate", "slow"),
        check=_expert_rate_check,
        published_form="E[subopt(LCB)] <~ min(1, sqrt(S (C* - 1) / N)) + S / N for C* in [1, 2)",
        claimed_exponent=-1.0,
    )
)


#: Iterations of VI-LCB in offline.vi-lcb.rate-samples: fixed, so that the subsets grow like N (the paper's
#: T = log N / (1 - gamma) adds the logarithmic factor hidden in O~).
_LCB_T = 20


def two_point_offline_mdp(n: int, c_star: float, gamma: float = 0.5, kappa: float = 0.5):
    """One decision state with two self-looping actions: the expert action 1 (Bernoulli 1/2 + Delta/2) is logged
    with probability 1/C*, action 0 (Bernoulli 1/2 - Delta/2) otherwise, so C* is exact. Delta is kappa standard
    deviations of the difference of the empirical rewards of one subset (expected counts m_a = mu(a) N / (T + 1)),
    so the gap shrinks like N^{-1/2} and grows like sqrt(C*). Returns ``(mdp, data distribution, gap in value)``.
    """
    from rltheory.tabular import FiniteMDP

    m = n / (_LCB_T + 1)
    m1, m0 = m / c_star, m * (1 - 1 / c_star)
    sd = math.sqrt(0.25 / m1 + (0.25 / m0 if m0 > 0 else 0.0))
    gap = kappa * sd
    mdp = FiniteMDP(
        np.ones((1, 2, 1)), np.array([[0.5 - gap / 2, 0.5 + gap / 2]]), gamma=gamma, initial_distribution=[1.0]
    )
    mu = np.array([[1 - 1 / c_star, 1 / c_star]])
    return mdp, mu, gap / (1 - gamma)


def _vi_lcb_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.tabular import collect, concentrability, vi_lcb

    reps = max(40, ctx.examples)
    xs = np.array([2_000, 8_000, 32_000, 128_000])
    fits, parts, worst, total = [], [], math.inf, 0
    for c_star in (1.0, 2.0, 10.0):
        ys = np.empty((xs.size, reps))
        for k, n in enumerate(xs):
            mdp, mu, gap = two_point_offline_mdp(int(n), c_star)
            exact = concentrability(mdp, mu).coefficient
            if abs(exact - c_star) > 1e-9:
                raise ValueError(f"the data distribution has C* = {exact}, expected {c_star}")
            for j, s in enumerate(_seeds(ctx, 71, int(c_star), k, reps=reps)):
                g = np.random.default_rng(s)
                data = collect(mdp, data_distribution=mu, n_transitions=int(n), reward_noise="bernoulli", rng=g)
                ys[k, j] = gap if vi_lcb(data, n_iterations=_LCB_T, rng=g).policy[0] != 1 else 0.0
        total += ys.size
        if c_star == 1.0:
            # expert data: the non-expert action is never logged, so the LCB never takes it
            if ys.max() > 0:
                worst = min(worst, -float(ys.max()))
            parts.append(f"C* = 1: largest suboptimality {float(ys.max()):.3g} (expert data)")
            continue
        fit = fit_power_law(xs, ys, seed=ctx.seed)
        fits.append(fit)
        if c_star == 2.0:  # equal coverage: the LCB decides on the rewards, the bound's rate is attained
            worst = min(worst, -0.5 - fit.ci[0], fit.ci[1] + 0.5)
        else:  # the penalty of the rarely logged expert dominates: no slower than N^{-1/2} (one-sided)
            worst = min(worst, -0.5 + 1e-9 - fit.ci[0])
        parts.append(f"C* = {c_star:g}: mean wrong-choice rate {float((ys > 0).mean()):.2f}, {fit.describe()}")
    passed = worst >= 0
    fit = fits[-1]
    return CheckResult(
        claim_id="offline.vi-lcb.rate-samples",
        passed=bool(passed),
        n_instances=int(total),
        worst_slack=float(worst) if passed else float(min(worst, -0.0)),
        counterexample=None,
        seconds=0.0,
        fitted_exponent=fit.exponent,
        exponent_ci=fit.ci,
        claimed_exponent=-0.5,
        rate=fit,
        message=f"{reps} datasets per N, gamma = 0.5, T = {_LCB_T}; " + "; ".join(parts),
    )


register(
    Claim(
        id="offline.vi-lcb.rate-samples",
        statement=(
            "VI-LCB's suboptimality has the N^{-1/2} shape of its sqrt(C* S / ((1-gamma)^5 N)) bound, attained on the "
            "two-point family at fixed C*: with one decision state whose non-expert action is logged with "
            "probability 1 - 1/C* and trails by half a standard deviation of one subset's reward estimates (T = 20 "
            "iterations fixed, so the subsets grow like N), the expected suboptimality of rltheory.tabular.vi_lcb "
            "(gamma = 0.5, N in [2e3, 1.28e5]) has a fitted exponent in N whose 95% CI contains -1/2 at C* = 2 and "
            "does not lie above -1/2 at C* = 10 (where the expert's larger penalty makes the LCB keep the better "
            "covered action: suboptimality = the gap), with C* exact (rltheory.tabular.concentrability); it is 0 on "
            "expert data (C* = 1)."
        ),
        latex=r"\mathbb E[J(\pi^\star) - J(\hat\pi)] \lesssim \min\Big(\frac{1}{1-\gamma}, "
        r"\sqrt{\frac{S C^\star}{(1-\gamma)^5 N}}\Big)",
        source=f"{RZMJR}: OfflineVI-LCB (Algorithm 3) and its MDP upper bound",
        kind="rate",
        tags=("offline", "pessimism", "rate", "slow"),
        check=_vi_lcb_rate_check,
        published_form="E[J(pi*) - J(pi_hat)] <~ min(1/(1-gamma), sqrt(S C* / ((1-gamma)^5 N))) up to log factors",
        claimed_exponent=-0.5,
    )
)


# =========================================================================== offline RL: TV pessimism
@st.composite
def _offline_instances(draw):
    from rltheory.proofs_checks.strategies import finite_mdps

    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 3), n_actions=st.integers(1, 3), reward_range=(0.0, 1.0), gamma=st.floats(0.0, 0.95)
        )
    )
    return mdp, draw(st.integers(5, 400)), draw(st.integers(0, 2**31 - 1))


def _tv_slack(instance):
    from rltheory.tabular import (
        FiniteMDP,
        collect,
        empirical_mdp,
        pessimistic_model_based,
        policy_evaluation,
        policy_iteration,
    )

    mdp, n, seed = instance
    S, A = mdp.n_states, mdp.n_actions
    rng = np.random.default_rng(seed)
    behavior = rng.dirichlet(np.ones(A), size=S)
    mdp = FiniteMDP(mdp.P, mdp.R, gamma=mdp.gamma, initial_distribution=np.ones(S) / S)
    data = collect(mdp, behavior, n_transitions=n, rng=rng)
    P_hat = empirical_mdp(data).mdp.dense_P
    u = np.abs(mdp.dense_P - P_hat).sum(axis=2)  # the exact L1 model error: the tightest valid radius
    res = pessimistic_model_based(data, tv_radius=u)
    emp = res.model.mdp
    pen = FiniteMDP(emp.P, np.asarray(emp.R) - res.penalty, gamma=mdp.gamma)
    worst, scale = math.inf, 1.0 / (1.0 - mdp.gamma)
    pols = [np.array(p) for p in itertools.product(range(A), repeat=S)] if A**S <= 27 else []
    pols += [rng.dirichlet(np.ones(A), size=S) for _ in range(3)]
    for pi in pols:
        worst = min(worst, float(np.min(policy_evaluation(mdp, pi).v - policy_evaluation(pen, pi).v)))
    v_hat = policy_evaluation(mdp, res.policy).v
    worst = min(worst, res.policy_suboptimality_bound - float(np.max(policy_iteration(mdp).v - v_hat)))
    tol = 64 * (S + 2) * _EPS * scale * (1 + scale)
    return Slack(worst + tol, scale=res.policy_suboptimality_bound + tol)


@property_claim(
    id="offline.pessimism.tv-lower-bound",
    statement=(
        "Pessimistic model-based offline RL with a total-variation penalty (rltheory.tabular.pessimistic_model_based) "
        "certifies: whenever the penalty radius dominates the L1 model error (here: equal to it, the tightest case), "
        "the penalized value of every policy is a lower bound on its true value, v^pi_pen <= v^pi for all pi "
        "(every deterministic and random stochastic policies checked), and the returned policy's suboptimality "
        "||v* - v^pi_hat||_inf is within the reported policy_suboptimality_bound."
    ),
    latex=r"\hat v^\pi_{\hat r - e - \gamma c u} \le v^\pi\ \forall \pi,\qquad \|v^\star - v^{\hat\pi}\|_\infty \le "
    r"\max(\hat v^\star_{opt} - \hat v^{\hat\pi}_{pen})",
    source=(
        "T. Yu et al., MOPO: model-based offline policy optimization, NeurIPS 2020, Lemma 4.1 and Theorem 4.2 "
        "(d_F = total variation), in the tabular form derived in rltheory.tabular._pessimism"
    ),
    kind="inequality",
    tags=("offline", "pessimism", "fast"),
    strategy=lambda: _offline_instances(),
    message="slack = min over policies of (v^pi - v^pi_pen), and bound - suboptimality; fp allowance included",
)
def _tv_lower_bound_claim(instance):
    return _tv_slack(instance)


def _weissman_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular import FiniteMDP, collect, pessimistic_model_based

    delta = 0.2
    reps = max(100, 4 * ctx.examples)
    rng = np.random.default_rng(ctx.seed_sequence(81))
    P = rng.dirichlet(np.ones(3), size=(3, 2))
    mdp = FiniteMDP(P, rng.random((3, 2)), gamma=0.5, initial_distribution=np.ones(3) / 3)
    failures = 0
    for s in _seeds(ctx, 82, reps=reps):
        data = collect(mdp, np.full((3, 2), 0.5), n_transitions=60, rng=np.random.default_rng(s))
        res = pessimistic_model_based(data, delta=delta)
        failures += bool((np.abs(P - res.model.mdp.dense_P).sum(axis=2) > res.tv_radius).any())
    # the radii hold together with probability >= 1 - delta / 2: a one-sided Hoeffding bound at level 1e-6
    allowed = reps * delta / 2 + math.sqrt(reps * math.log(1e6) / 2)
    return CheckResult(
        "offline.pessimism.tv-coverage",
        passed=bool(failures <= allowed),
        n_instances=reps,
        worst_slack=float(allowed - failures) if failures <= allowed else float(allowed - failures),
        counterexample=None,
        seconds=0.0,
        message=f"{failures} of {reps} datasets had an L1 error above its radius (allowed {allowed:.1f})",
        relative_slack=None,
    )


register(
    Claim(
        id="offline.pessimism.tv-coverage",
        statement=(
            "The default TV radii of rltheory.tabular.pessimistic_model_based, u(s,a) = min(2, sqrt(2 (S log 2 + "
            "log(2SA/delta)) / n(s,a))), cover every pair's L1 model error together with probability >= 1 - delta/2: "
            "over independent datasets (S = 3, A = 2, 60 transitions, delta = 0.2) the failure count stays below "
            "reps delta/2 plus a Hoeffding allowance."
        ),
        latex=r"\Pr\big(\exists (s,a): \|\hat P(\cdot|s,a) - P(\cdot|s,a)\|_1 > u(s,a)\big) \le \delta/2",
        source=(
            "T. Weissman, E. Ordentlich, G. Seroussi, S. Verdu, M. J. Weinberger, Inequalities for the L1 deviation of "
            "the empirical distribution, HP Labs HPL-2003-97, Theorem 2.1, with a union bound over the pairs"
        ),
        kind="inequality",
        tags=("offline", "pessimism", "concentration", "fast"),
        check=_weissman_check,
    )
)


# =========================================================================== off-policy evaluation
def _ope_instance(seed: int, S: int = 3, A: int = 2, H: int = 3, gamma: float = 0.9):
    from rltheory.tabular import FiniteMDP

    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    mdp = FiniteMDP(P, rng.random((S, A)), gamma=gamma, horizon=H, initial_distribution=rng.dirichlet(np.ones(S)))
    target = rng.dirichlet(np.ones(A), size=S)
    behavior = 0.5 * rng.dirichlet(np.ones(A), size=S) + 0.5 / A
    return mdp, target, behavior


def _unbiased_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular import (
        collect,
        doubly_robust,
        finite_horizon_policy_evaluation,
        importance_sampling,
        marginalized_importance_sampling,
        per_decision_importance_sampling,
        state_distribution_ratio,
    )

    reps, n, z = max(100, 2 * ctx.examples), 100, 4.0
    worst, rel, parts, count = math.inf, math.inf, [], 0
    for inst in (0, 1):
        mdp, target, behavior = _ope_instance(1000 + inst)
        v = finite_horizon_policy_evaluation(mdp, target).value
        ratio = state_distribution_ratio(mdp, target, behavior)
        est = {k: np.empty(reps) for k in ("IS", "PDIS", "DR", "MIS")}
        for j, s in enumerate(_seeds(ctx, 91, inst, reps=reps)):
            g = np.random.default_rng(s)
            data = collect(mdp, behavior, n_episodes=n, reward_noise="bernoulli", rng=g)
            est["IS"][j] = importance_sampling(data, target, behavior).estimate
            est["PDIS"][j] = per_decision_importance_sampling(data, target, behavior).estimate
            est["DR"][j] = doubly_robust(data, target, behavior, rng=g).estimate
            est["MIS"][j] = marginalized_importance_sampling(data, target, behavior, state_ratio=ratio).estimate
        for k, e in est.items():
            half = z * float(e.std(ddof=1)) / math.sqrt(reps)
            slack = half - abs(float(e.mean()) - v)
            worst, rel = min(worst, slack), min(rel, slack / half)
            count += reps
            parts.append(f"{k}{inst}: {(e.mean() - v) / (half / z):+.2f} se")
    return CheckResult(
        "ope.unbiased",
        passed=bool(worst >= 0),
        n_instances=count,
        worst_slack=float(worst),
        counterexample=None,
        seconds=0.0,
        message=f"{reps} datasets of {n} episodes per instance, z = {z}; mean - v^pi: " + ", ".join(parts),
        relative_slack=float(rel),
    )


register(
    Claim(
        id="ope.unbiased",
        statement=(
            "Importance sampling, per-decision importance sampling, doubly robust (cross-fitted Q_hat) and "
            "marginalized importance sampling with the exact state ratio are unbiased: on two random finite-horizon "
            "MDPs (S = 3, A = 2, H = 3, Bernoulli rewards), the mean of each estimator over independent datasets of "
            "100 episodes lies within 4 standard errors of the exact v^pi (rltheory.tabular."
            "finite_horizon_policy_evaluation)."
        ),
        latex=r"\mathbb E[\hat v_{IS}] = \mathbb E[\hat v_{PDIS}] = \mathbb E[\hat v_{DR}] = "
        r"\mathbb E[\hat v_{MIS}^{w}] = v^\pi",
        source=(
            f"D. Precup, R. S. Sutton, S. Singh, Eligibility traces for off-policy policy evaluation, ICML 2000; {JL}; "
            "T. Xie, Y. Ma, Y.-X. Wang, NeurIPS 2019"
        ),
        kind="identity",
        tags=("ope", "fast"),
        check=_unbiased_check,
    )
)


@st.composite
def _ope_models(draw, constant_reward=False):
    from rltheory.tabular import FiniteMDP

    S, A, H = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    w = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=S * A * S, max_size=S * A * S))).reshape(S, A, S) + 1e-3
    if constant_reward:
        R = np.full((S, A), draw(st.floats(0.0, 1.0)))
    else:
        R = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=S * A, max_size=S * A))).reshape(S, A)
    init = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=S, max_size=S)))
    mdp = FiniteMDP(
        w / w.sum(axis=2, keepdims=True),
        R,
        gamma=draw(st.floats(0.0, 1.0)),
        horizon=H,
        initial_distribution=init / init.sum(),
    )

    def pol(low):
        p = np.array(draw(st.lists(st.floats(low, 1.0), min_size=S * A, max_size=S * A))).reshape(S, A) + 1e-6
        return p / p.sum(axis=1, keepdims=True)

    target, behavior = pol(0.0), pol(0.05)
    q_noise = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=H * S * A, max_size=H * S * A))).reshape(H, S, A)
    return mdp, target, behavior, q_noise


def _ordering_slack(instance):
    from rltheory.tabular import exact_estimator_variance, finite_horizon_policy_evaluation

    mdp, target, behavior, q_noise = instance
    dr = exact_estimator_variance(mdp, target, behavior, "doubly_robust")
    q = np.array(finite_horizon_policy_evaluation(mdp, target).q) + q_noise
    other = exact_estimator_variance(mdp, target, behavior, "doubly_robust", q=q)
    pdis = exact_estimator_variance(mdp, target, behavior, "per_decision_importance_sampling")
    is_ = exact_estimator_variance(mdp, target, behavior, "importance_sampling")
    scale = 1.0 + max(abs(dr), abs(pdis), abs(is_), abs(other))
    tol = 1e3 * _EPS * scale * 4**mdp.horizon
    return Slack(min(pdis - dr, is_ - dr, other - dr) + tol, scale=scale)


@property_claim(
    id="ope.variance.dr-least",
    statement=(
        "Doubly robust with Q_hat = Q^pi has the least variance: for every finite-horizon MDP (S, A <= 3, H <= 4, "
        "any gamma in [0, 1]) and target / covering behaviour policies, the exact per-episode variances satisfy "
        "Var(DR_{Q^pi}) <= Var(DR_{Q_hat}) for a perturbed fixed Q_hat, <= Var(PDIS) (DR with Q_hat = 0) and "
        "<= Var(IS). Jiang & Li's Theorem 1: a fixed Q_hat adds sum_h gamma^2h E[rho_{0:h-1}^2 Var_a(rho_h Delta_h | "
        "s_h)] >= 0; IS is unbiased in the unrolled tree MDP, where Theorem 2's bound is Var(DR_{Q^pi})."
    ),
    latex=r"\mathbb V(DR_{Q^\pi}) \le \min\big(\mathbb V(DR_{\hat Q}), \mathbb V(PDIS), \mathbb V(IS)\big)",
    source=f"{JL}, Theorems 1 and 2",
    kind="inequality",
    tags=("ope", "variance", "fast"),
    strategy=lambda: _ope_models(),
    message="slack = min(Var(PDIS), Var(IS), Var(DR_Qhat)) - Var(DR_Q) + recursion allowance (exact variances)",
)
def _dr_least_claim(instance):
    return _ordering_slack(instance)


def _pdis_is_slack(instance):
    from rltheory.tabular import exact_estimator_variance

    mdp, target, behavior, _ = instance
    pdis = exact_estimator_variance(mdp, target, behavior, "per_decision_importance_sampling")
    is_ = exact_estimator_variance(mdp, target, behavior, "importance_sampling")
    scale = 1.0 + abs(is_)
    tol = 1e3 * _EPS * scale * 4**mdp.horizon
    return Slack(is_ - pdis + tol, scale=scale)


@property_claim(
    id="ope.variance.pdis-below-is",
    statement=(
        "Var(PDIS) <= Var(IS) on the instances where it is provable: with a constant non-negative reward c (the "
        "importance weights are then the only randomness that matters). Derived here: writing IS = sum_h X_h L_h "
        "with X_h = gamma^h rho_{0:h} c and L_h = rho_{h+1:H-1}, E[L_h | history to h] = 1, the cross terms satisfy "
        "E[X_h X_k rho_{h+1:k} E[L_k^2 | .]] >= E[X_h X_k] because E[rho_{h+1:H-1}^2 | .] >= 1 (Jensen); exact "
        "variances on random finite-horizon MDPs."
    ),
    latex=r"r \equiv c \ge 0 \implies \mathbb V(\hat v_{PDIS}) \le \mathbb V(\hat v_{IS})",
    source=(
        "derived in rltheory.proofs_checks._claims_samples; Y. Liu, P.-L. Bacon, E. Brunskill, Understanding the curse "
        "of horizon in off-policy evaluation via conditional importance sampling, ICML 2020 (no ordering in general; "
        "sufficient conditions)"
    ),
    kind="inequality",
    tags=("ope", "variance", "fast"),
    strategy=lambda: _ope_models(constant_reward=True),
    message="slack = Var(IS) - Var(PDIS) + recursion allowance (exact variances)",
)
def _pdis_below_is_claim(instance):
    return _pdis_is_slack(instance)


@st.composite
def _random_ope_models(draw):
    """Seeded random instances (S <= 2, A = 2, H = 3, gamma = 1, rewards in [-1, 1]): a witness search."""
    from rltheory.tabular import FiniteMDP

    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    S, A, H = int(rng.integers(1, 3)), 2, 3
    mdp = FiniteMDP(
        rng.dirichlet(np.ones(S), size=(S, A)),
        rng.uniform(-1, 1, (S, A)),
        gamma=1.0,
        horizon=H,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )
    target = rng.dirichlet(np.ones(A), size=S)
    behavior = 0.5 * rng.dirichlet(np.ones(A), size=S) + 0.25
    return mdp, target, behavior, np.zeros((H, S, A))


@property_claim(
    id="ope.variance.pdis-can-exceed-is",
    statement=(
        "Per-decision importance sampling is not always better than trajectory-wise IS: there are finite-horizon "
        "MDPs and policies with Var(PDIS) > Var(IS) (exact variances), so the ordering needs a condition such as "
        "that of ope.variance.pdis-below-is."
    ),
    latex=r"\exists\,(M, \pi, \mu):\ \mathbb V(\hat v_{PDIS}) > \mathbb V(\hat v_{IS})",
    source=(
        "Y. Liu, P.-L. Bacon, E. Brunskill, Understanding the curse of horizon in off-policy evaluation via "
        "conditional importance sampling, ICML 2020 ('no strict variance reduction of per-decision importance "
        "sampling')"
    ),
    kind="counterexample",
    tags=("ope", "variance", "fast"),
    strategy=lambda: _random_ope_models(),
    message="a witness with Var(PDIS) > Var(IS)",
)
def _pdis_exceeds_claim(instance):
    return _pdis_is_slack(instance)


def _cramer_rao_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular import (
        collect,
        cramer_rao_bound,
        doubly_robust,
        finite_horizon_policy_evaluation,
        importance_sampling,
    )
    from rltheory.tabular.envs import tree_mdp

    reps, n, z = max(100, 3 * ctx.examples), 2000, 3.0
    mdp = tree_mdp(depth=3, branching=2, n_actions=2, gamma=0.9, rng=np.random.default_rng(ctx.seed_sequence(101)))
    g = np.random.default_rng(ctx.seed_sequence(102))
    target = g.dirichlet(np.ones(2), size=mdp.n_states)
    behavior = np.full((mdp.n_states, 2), 0.5)
    bound = cramer_rao_bound(mdp, target, behavior, reward_noise="bernoulli")
    v = finite_horizon_policy_evaluation(mdp, target).value
    sq_dr, sq_is = np.empty(reps), np.empty(reps)
    for j, s in enumerate(_seeds(ctx, 103, reps=reps)):
        rng = np.random.default_rng(s)
        data = collect(mdp, behavior, n_episodes=n, reward_noise="bernoulli", rng=rng)
        sq_dr[j] = n * (doubly_robust(data, target, behavior, rng=rng).estimate - v) ** 2
        sq_is[j] = n * (importance_sampling(data, target, behavior).estimate - v) ** 2
    half = z * float(sq_dr.std(ddof=1)) / math.sqrt(reps)
    m = float(sq_dr.mean())
    slack = half - abs(m - bound.tree)
    # IS is unbiased, so the bound applies to it: its n MSE must not be significantly below the bound
    is_hi = float(sq_is.mean()) + z * float(sq_is.std(ddof=1)) / math.sqrt(reps)
    worst = min(slack, is_hi - bound.tree)
    return CheckResult(
        "ope.dr.cramer-rao",
        passed=bool(worst >= 0),
        n_instances=2 * reps,
        worst_slack=float(worst),
        counterexample=None,
        seconds=0.0,
        message=(
            f"tree MDP (depth 3, branching 2, 2 actions, {mdp.n_states} states), {reps} datasets of {n} episodes: "
            f"n MSE(DR) = {m:.4g} +- {half:.3g} (z = {z}), Cramer-Rao bound {bound.tree:.4g} (Markov bound "
            f"{bound.markov:.4g}); n MSE(IS) = {float(sq_is.mean()):.4g}"
        ),
        relative_slack=float(worst) / half,
    )


register(
    Claim(
        id="ope.dr.cramer-rao",
        statement=(
            "The doubly robust estimator attains the Cramer-Rao bound of Jiang & Li (2016, Theorem 2) asymptotically "
            "on a tree MDP: with a cross-fitted tabular Q_hat, n times its mean squared error over independent "
            "datasets of n = 2000 episodes (depth-3 binary tree MDP, two actions, Bernoulli rewards, uniform "
            "behaviour) has a z = 3 confidence interval containing the exact bound (rltheory.tabular.cramer_rao_bound, "
            "tree form), and importance sampling does not go below it."
        ),
        latex=r"n\,\mathbb E[(\hat v_{DR} - v^\pi)^2] \to \sum_h \gamma^{2h}\,\mathbb E_\mu\big[\rho_{0:h-1}^2\,"
        r"\mathbb V_h[V(s_h)]\big] + \dots",
        source=f"{JL}, Theorem 2 (Cramer-Rao bound for discrete tree MDPs) and Theorem 1 (variance of DR)",
        kind="identity",
        tags=("ope", "cramer-rao", "fast"),
        check=_cramer_rao_check,
    )
)


# =========================================================================== RCSL vs dynamic programming (stitching)
BBBLB = (
    "D. Brandfonbrener, A. Bietti, J. Buckman, R. Laroche, J. Bruna, When does return-conditioned supervised learning "
    "work for offline reinforcement learning?, NeurIPS 2022 (deterministic dynamics and a covered target return)"
)
ZZZCGD = (
    "Z. Zhou, C. Zhu, R. Zhou, Q. Cui, A. Gupta, S. S. Du, Free from Bellman completeness: trajectory stitching via "
    "model-based return-conditioned supervised learning, ICLR 2024 (arXiv:2310.19308), Section 3 (RCSL cannot "
    "stitch, even with deterministic transitions; number of the theorem not verified here)"
)


def _stitching_data(mdp, n: int, rng):
    """Two kinds of suboptimal episodes on ``envs.stitching_mdp``: from 0 playing a1 in 1, from 3 playing a0 in 1."""
    from rltheory.tabular import OfflineDataset, collect

    parts = []
    for start, at_one in ((0, 1), (3, 0)):
        pi = np.full((2, mdp.n_states, 2), 0.5)
        pi[1, 1] = np.eye(2)[at_one]
        parts.append(collect(mdp, pi, n_episodes=n, initial_distribution=np.eye(mdp.n_states)[start], rng=rng))
    return OfflineDataset.concatenate(parts)


def _rcsl_stitching_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular import (
        backward_induction,
        finite_horizon_policy_evaluation,
        model_based_planning,
        rcsl_value,
        return_conditioned_policy,
    )
    from rltheory.tabular.envs import stitching_mdp

    mdp = stitching_mdp()
    rho0 = np.eye(mdp.n_states)[0]
    v_star = float(backward_induction(mdp).v[0, 0])
    reps = max(5, ctx.examples // 4)
    worst, best_rcsl, plan_gap = np.inf, -np.inf, 0.0
    for s in _seeds(ctx, 201, reps=reps):
        g = np.random.default_rng(s)
        n = int(g.integers(2, 200))
        data = _stitching_data(mdp, n, g)
        pol = return_conditioned_policy(data)
        v_rcsl = max(
            rcsl_value(mdp, pol, float(t), initial_distribution=rho0).value for t in np.unique(pol.returns_to_go)
        )
        v_plan = finite_horizon_policy_evaluation(
            mdp, model_based_planning(data).policy, initial_distribution=rho0
        ).value
        gap = abs(v_plan - v_star)
        plan_gap = max(plan_gap, gap)
        best_rcsl = max(best_rcsl, v_rcsl)
        # RCSL strictly below v* (the slack); the plug-in plan at v* to rounding (its slack counts only if violated)
        worst = min(worst, v_star - v_rcsl, np.inf if gap <= 8 * _EPS else 8 * _EPS - gap)
    return CheckResult(
        "offline.rcsl.no-stitching",
        passed=bool(worst > 0),
        n_instances=reps,
        worst_slack=float(worst),
        counterexample=None,
        seconds=0.0,
        message=(
            f"{reps} stitching datasets (2-199 episodes of each kind): best RCSL value over every logged target "
            f"{best_rcsl:.4g} < v* = {v_star:g}; the plug-in plan on the same data reaches v* (largest gap "
            f"{plan_gap:.2g})"
        ),
        relative_slack=float(worst) / v_star,
    )


register(
    Claim(
        id="offline.rcsl.no-stitching",
        statement=(
            "Return-conditioned supervised learning cannot stitch: on envs.stitching_mdp (deterministic, H = 2, "
            "v* = 1) with data made of two kinds of suboptimal episodes whose pieces form the optimal one, the exact "
            "value of the tabular RCSL policy from the start state, conditioned on any logged return-to-go, is "
            "below v* (it is 0, 1/2 or f + (1 - f)/2 with f the logged share of the good first action), while "
            "planning on the plug-in model of the same data (dynamic programming) is optimal."
        ),
        latex=r"\max_{g \in \mathcal G_{\mathcal D}} v^{\hat\pi_{RCSL}(\cdot\mid\cdot,g)}(s_0) < v^\star(s_0) = "
        r"v^{\hat\pi_{\rm plug\text{-}in}}(s_0)",
        source=f"{ZZZCGD}; {BBBLB}",
        kind="inequality",
        tags=("offline", "rcsl", "fast"),
        check=_rcsl_stitching_check,
    )
)


def _rcsl_covered_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular import backward_induction, collect, rcsl_value, return_conditioned_policy
    from rltheory.tabular.envs import stitching_mdp

    mdp = stitching_mdp()
    rho0 = np.eye(mdp.n_states)[0]
    v_star = float(backward_induction(mdp).v[0, 0])
    reps = max(5, ctx.examples // 4)
    worst, used = np.inf, 0
    for s in _seeds(ctx, 202, reps=reps):
        g = np.random.default_rng(s)
        data = collect(
            mdp, np.full((mdp.n_states, 2), 0.5), n_episodes=int(g.integers(1, 60)), initial_distribution=rho0, rng=g
        )
        a = np.asarray(data.episode_arrays()[1])
        if not np.any((a[:, 0] == 0) & (a[:, 1] == 0)):
            continue  # the theorem's hypothesis (the target return is covered) fails: not an instance
        used += 1
        res = rcsl_value(mdp, return_conditioned_policy(data), initial_distribution=rho0)
        worst = min(worst, 8 * _EPS - abs(res.value - v_star), np.inf if res.fallback_probability == 0 else -1.0)
    worst = worst if used else -1.0
    return CheckResult(
        "offline.rcsl.covered",
        passed=bool(used > 0 and worst >= 0),
        n_instances=used,
        worst_slack=float(worst),
        counterexample=None,
        seconds=0.0,
        message=(
            f"{used} uniform-behaviour datasets that log the optimal episode: RCSL conditioned on the best logged "
            f"return is exactly optimal (v* = {v_star:g}) and never falls back"
        ),
        relative_slack=float(worst) / (8 * _EPS) if used else -1.0,
    )


register(
    Claim(
        id="offline.rcsl.covered",
        statement=(
            "With deterministic transitions and rewards and a dataset that logs an optimal episode, the tabular RCSL "
            "policy conditioned on the best logged return from the start state is optimal: on envs.stitching_mdp "
            "with uniform-behaviour data its exact value is v* = 1 and it never meets an unlogged (stage, state, "
            "return) key."
        ),
        latex=r"v^{\hat\pi_{RCSL}(\cdot\mid\cdot,\max g_0)}(s_0) = v^\star(s_0)",
        source=BBBLB,
        kind="identity",
        tags=("offline", "rcsl", "fast"),
        check=_rcsl_covered_check,
    )
)


# =========================================================================== offline model-based RL: edge of reach
SLFT = (
    "A. Sims, C. Lu, J. Foerster, Y. W. Teh, The edge-of-reach problem in offline model-based reinforcement learning, "
    "NeurIPS 2024 (arXiv:2402.12527), Sections 3-5 (the problem with the true dynamics; RAVL's ensemble minimum)"
)


@st.composite
def _edge_instances(draw):
    from rltheory.proofs_checks.strategies import finite_mdps

    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 7), n_actions=st.integers(1, 3), reward_range=(0.0, 1.0), gamma=st.floats(0.0, 0.95)
        )
    )
    seed = draw(st.integers(0, 2**31 - 1))
    return mdp, draw(st.integers(1, 4)), draw(st.sampled_from(("arbitrary", "optimistic", "ensemble"))), seed


def _edge_run(instance):
    from rltheory.tabular import policy_evaluation, rollout_value_learning

    mdp, k, init, seed = instance
    S, A, g = mdp.n_states, mdp.n_actions, float(mdp.gamma)
    rng = np.random.default_rng(seed)
    v_max = 1.0 / (1.0 - g)
    starts = rng.choice(S, size=int(rng.integers(1, S + 1)), replace=False)
    if init == "arbitrary":
        q0 = rng.uniform(-2 * v_max, 2 * v_max, size=(S, A))
    elif init == "optimistic":  # at least r_max / (1 - gamma): the edge can only look better than it is
        q0 = v_max + rng.uniform(0.0, v_max, size=(S, A))
    else:  # RAVL: an ensemble whose minimum is at most r_min / (1 - gamma) = 0
        q0 = rng.uniform(-v_max, v_max, size=(8, S, A))
        q0[int(rng.integers(8))] = rng.uniform(-v_max, 0.0, size=(S, A))
    res = rollout_value_learning(mdp, starts, k, q_init=q0, tol=1e-13)
    v_pi = np.asarray(policy_evaluation(mdp, res.policy).v)
    U = np.asarray(res.updated)
    P_pi = np.asarray(mdp.dense_P)[np.arange(S), res.policy]
    boundary = np.where(U, 0.0, np.asarray(res.v_estimate) - v_pi)
    exit_err = np.linalg.solve(np.eye(int(U.sum())) - g * P_pi[np.ix_(U, U)], g * P_pi[U] @ boundary)
    err = np.asarray(res.v_estimate)[U] - v_pi[U]
    allowance = 1e-11 * v_max**2 + 256 * (S + 2) * _EPS * 2 * v_max * (1 + v_max)
    return init, err, exit_err, allowance


def _edge_identity_slack(instance):
    _, err, exit_err, allowance = _edge_run(instance)
    return Slack(allowance - float(np.max(np.abs(err - exit_err))), scale=allowance)


@property_claim(
    id="offline.edge-of-reach.error-identity",
    statement=(
        "Value learning on k-step rollouts of the true model (rltheory.tabular.rollout_value_learning) is wrong only "
        "through the edge of reach: on every updated state s, v_hat(s) - v^pi_hat(s) equals the discounted error "
        "E[gamma^tau (v_hat - v^pi_hat)(s_tau)] at the first state s_tau that the greedy policy reaches outside the "
        "updated set (solved as its own linear system), for any initialization: zero model error, nonzero value "
        "error."
    ),
    latex=r"\hat v(s) - v^{\hat\pi}(s) = \mathbb E^{\hat\pi}_s[\gamma^\tau(\hat v - v^{\hat\pi})(s_\tau)"
    r"\mathbf 1\{\tau<\infty\}],\ s \in U",
    source=SLFT,
    kind="identity",
    tags=("offline", "edge-of-reach", "fast"),
    strategy=lambda: _edge_instances(),
    message="slack = allowance - max |error - exit error| on the updated states (VI tolerance and rounding)",
)
def _edge_identity_claim(instance):
    return _edge_identity_slack(instance)


def _edge_sign_slack(instance):
    init, err, _, allowance = _edge_run(instance)
    if init == "optimistic":
        worst = float(np.min(err)) if err.size else 0.0  # over-estimation: err >= 0
    elif init == "ensemble":
        worst = -float(np.max(err)) if err.size else 0.0  # the ensemble minimum: err <= 0
    else:
        return Slack(allowance, scale=allowance)  # no sign for an arbitrary initialization
    return Slack(worst + allowance, scale=max(abs(worst), allowance))


@property_claim(
    id="offline.edge-of-reach.sign",
    statement=(
        "The sign of the edge-of-reach error is the sign of the edge's initialization: with Q initialized at or "
        "above r_max / (1 - gamma), value learning on k-step rollouts of the true model over-estimates the greedy "
        "policy's value on every updated state; with RAVL's ensemble minimum at or below r_min / (1 - gamma), it "
        "under-estimates it (pessimism where the data end)."
    ),
    latex=r"q_0 \ge \tfrac{r_{\max}}{1-\gamma} \Rightarrow \hat v \ge v^{\hat\pi} \text{ on } U;\quad "
    r"\min_j q_0^{(j)} \le \tfrac{r_{\min}}{1-\gamma} \Rightarrow \hat v \le v^{\hat\pi} \text{ on } U",
    source=SLFT,
    kind="inequality",
    tags=("offline", "edge-of-reach", "fast"),
    strategy=lambda: _edge_instances(),
    message="slack = min error (optimistic) or -max error (ensemble) on the updated states, allowance included",
)
def _edge_sign_claim(instance):
    return _edge_sign_slack(instance)


# =========================================================================== demonstration-regularized RL
TIAPKIN = (
    "D. Tiapkin, D. Belomestny, D. Calandriello, E. Moulines, A. Naumov, P. Perrault, M. Valko, P. Menard, "
    "Demonstration-regularized RL, ICLR 2024 (arXiv:2310.17303): behaviour cloning in KL at rate 1/N^E and the "
    "KL-regularized RL step (theorem numbers not verified here)"
)


def _demo_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.tabular import (
        FiniteMDP,
        collect,
        data_distribution,
        demonstration_regularized_rl,
        policy_evaluation,
        policy_iteration,
        regularized_policy_evaluation,
    )
    from rltheory.tabular.envs import garnet

    S, A, gamma, lam = 6, 3, 0.8, 0.5
    base = garnet(S, A, 2, rng=np.random.default_rng(ctx.seed_sequence(301)), gamma=gamma)
    mdp = FiniteMDP(base.P, base.R, gamma=gamma, initial_distribution=np.full(S, 1.0 / S))
    opt = policy_iteration(mdp)
    rho = np.full(S, 1.0 / S)
    d = data_distribution(mdp, opt.policy).sum(axis=1)  # the expert's normalized occupancy = the demonstrations' law
    limit = lam * (A - 1) * int(np.count_nonzero(d > 0)) / (1.0 - gamma)  # N * bound -> lambda kappa S_E/(1-g)
    xs = np.array([64_000, 128_000, 256_000, 512_000])
    reps = max(30, ctx.examples // 3)
    bound = np.empty((xs.size, reps))
    worst_cert = np.inf
    for k, n in enumerate(xs):
        for j, s in enumerate(_seeds(ctx, 302, k, reps=reps)):
            demos = collect(mdp, opt.policy, n_transitions=int(n), rng=np.random.default_rng(s))
            res = demonstration_regularized_rl(mdp, demos, temperature=lam, tol=1e-12)
            kl = np.asarray(opt.v) - np.asarray(
                regularized_policy_evaluation(mdp, np.eye(A)[opt.policy], 1.0, res.reference_probabilities).v
            )
            bound[k, j] = lam * float(rho @ kl)
            gap = float(rho @ (np.asarray(opt.v) - np.asarray(policy_evaluation(mdp, res.action_probabilities).v)))
            worst_cert = min(worst_cert, bound[k, j] - gap + 1e-9)
    fit = fit_power_law(xs, bound, seed=ctx.seed)
    scaled = float(xs[-1] * bound[-1].mean())
    out = _rate_result(
        "offline.demo-regularized.rate-demonstrations",
        fit,
        -1.0,
        bound.size,
        f"garnet S={S} A={A} gamma={gamma}, lambda={lam}, {reps} demonstration sets per N^E in {xs.tolist()}: "
        f"certified suboptimality bound lambda rho^T K^E {fit.describe()}; N^E x bound at the largest N^E "
        f"{scaled:.4g} (limit lambda (A-1) S_E / (1-gamma) = {limit:.4g}); certificate slack {worst_cert:.3g}",
        extra_ok=bool(worst_cert >= 0),
    )
    return out


register(
    Claim(
        id="offline.demo-regularized.rate-demonstrations",
        statement=(
            "Demonstration-regularized RL (rltheory.tabular.demonstration_regularized_rl, add-1 smoothed BC of N^E "
            "expert transitions as the KL reference, lambda = 0.5) has a certified suboptimality "
            "rho^T (v^E - v^{pi_lambda}) <= lambda rho^T K^E (checked on every dataset), and the certificate, the "
            "expert-trajectory KL of BC, decays like 1/N^E: its fitted exponent over N^E in [6.4e4, 5.12e5] (the "
            "asymptotic regime, N^E times the smallest occupancy above 2000) has a 95% CI containing -1."
        ),
        latex=r"\rho^\top(v^{\pi_E} - v^{\pi_\lambda}) \le \lambda\,\rho^\top K^{\pi_E},\quad "
        r"\mathbb E[\rho^\top K^{\pi_E}] \sim \frac{(A-1) S_E}{(1-\gamma) N^E}",
        source=TIAPKIN,
        kind="rate",
        tags=("offline", "imitation", "rate", "fast"),
        check=_demo_rate_check,
        published_form="KL(pi_E || pi_BC) along expert trajectories = O~(S A H / N^E)",
        claimed_exponent=-1.0,
    )
)
