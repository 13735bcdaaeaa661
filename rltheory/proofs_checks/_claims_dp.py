"""Claims of exact dynamic programming (Puterman 2005; Bertsekas; Kakade & Langford 2002).

Every slack function returns ``margin + allowance`` where ``margin`` is the
claim's own inequality (``rhs - lhs``, or ``-|lhs - rhs|`` for identities) and
``allowance`` the floating-point error bound of :mod:`rltheory.proofs_checks._fp`
(0 for claims checked in exact arithmetic).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks import analytic
from rltheory.proofs_checks._fp import ROW_SUM_EXCESS, U, operator_error, solve_error
from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Slack, register
from rltheory.proofs_checks._search import property_claim, search
from rltheory.proofs_checks.strategies import (
    discounts,
    finite_mdps,
    policies,
    rational_policies,
    value_vectors,
)

PUTERMAN = "M. L. Puterman, Markov Decision Processes (Wiley 2005)"

_small = dict(n_states=st.integers(1, 5), n_actions=st.integers(1, 3), sparse=st.booleans(), action_mask=True)


def _inf(x) -> float:
    return float(np.max(np.abs(x), initial=0.0))


def _size(x: float) -> float:
    # the scale of a relative slack (rltheory.proofs_checks.Slack) must be > 0
    return max(float(x), float(np.finfo(float).tiny))


# ------------------------------------------------------------- strategies
@st.composite
def _mdp_two_vectors(draw, policy=False):
    mdp = draw(finite_mdps(**_small))
    v = draw(value_vectors(mdp.n_states))
    w = draw(value_vectors(mdp.n_states))
    if policy:
        return mdp, v, w, draw(policies(mdp, deterministic=draw(st.booleans())))
    return mdp, v, w


@st.composite
def _mdp_ordered_vectors(draw, policy=False):
    mdp = draw(finite_mdps(**_small))
    v = draw(value_vectors(mdp.n_states))
    d = np.abs(draw(value_vectors(mdp.n_states, magnitude=10.0)))
    w = v + d  # rounding is monotone, so w >= v entrywise
    if policy:
        return mdp, v, w, draw(policies(mdp, deterministic=draw(st.booleans())))
    return mdp, v, w


# ------------------------------------------------------------- contraction
def _contraction_slack(mdp, v, w, policy, modulus):
    from rltheory.tabular import bellman_operator

    Tv = bellman_operator(mdp, v, policy=policy)
    Tw = bellman_operator(mdp, w, policy=policy)
    lhs = _inf(Tv - Tw)
    rhs = modulus * _inf(v - w)
    # rows sum to at most 1 + ROW_SUM_EXCESS, so the stored model contracts by gamma (1 + excess);
    # each of Tv, Tw carries operator_error; the two norms one relative rounding each.
    allowance = (
        mdp.gamma * ROW_SUM_EXCESS * _inf(v - w) + operator_error(mdp, v) + operator_error(mdp, w) + 4 * U * (lhs + rhs)
    )
    return Slack(rhs - lhs + allowance, scale=_size(rhs + allowance))


@property_claim(
    id="bellman.optimality.contraction",
    statement=(
        "For every finite discounted MDP and all v, w in R^S, the Bellman optimality operator T satisfies "
        "||Tv - Tw||_inf <= gamma ||v - w||_inf (with or without an action mask, dense or sparse P)."
    ),
    latex=r"\|T v - T w\|_\infty \le \gamma \|v - w\|_\infty",
    source=f"{PUTERMAN}, Proposition 6.2.4; Bertsekas, Dynamic Programming and Optimal Control Vol. II (4th ed.), "
    "Lemma 1.1.1 / Prop. 1.2.4",
    kind="inequality",
    tags=("dp", "bellman", "fast"),
    strategy=lambda: _mdp_two_vectors(),
    message="slack = gamma ||v-w|| - ||Tv-Tw|| + fp allowance",
)
def _optimality_contraction(instance):
    mdp, v, w = instance[:3]
    return _contraction_slack(mdp, v, w, None, mdp.gamma)


@property_claim(
    id="bellman.evaluation.contraction",
    statement=(
        "For every finite discounted MDP, every (stochastic) stationary policy pi and all v, w, the evaluation "
        "operator T^pi v = r^pi + gamma P^pi v satisfies ||T^pi v - T^pi w||_inf <= gamma ||v - w||_inf."
    ),
    latex=r"\|T^\pi v - T^\pi w\|_\infty \le \gamma \|v - w\|_\infty",
    source=f"{PUTERMAN}, Proposition 6.2.4 (applied to the single-decision-rule operator L_d)",
    kind="inequality",
    tags=("dp", "bellman", "fast"),
    strategy=lambda: _mdp_two_vectors(policy=True),
    message="slack = gamma ||v-w|| - ||T^pi v - T^pi w|| + fp allowance",
)
def _evaluation_contraction(instance):
    mdp, v, w, pi = instance
    return _contraction_slack(mdp, v, w, pi, mdp.gamma)


@property_claim(
    id="bellman.optimality.not-gamma-squared",
    statement=(
        "The Bellman optimality operator is in general NOT a gamma^2-contraction: there are an MDP and v, w with "
        "||Tv - Tw||_inf > gamma^2 ||v - w||_inf (so gamma is the right modulus). The check passes when it finds one."
    ),
    latex=r"\exists\, M, v, w:\ \|T v - T w\|_\infty > \gamma^2 \|v - w\|_\infty",
    source=f"{PUTERMAN}, Proposition 6.2.4 is tight: any MDP with a state whose actions all self-loop attains gamma",
    kind="counterexample",
    tags=("dp", "bellman", "fast"),
    strategy=lambda: _mdp_two_vectors(),
    message="slack of the (false) gamma^2-contraction claim; a negative slack is the witness",
)
def _not_gamma_squared(instance):
    mdp, v, w = instance[:3]
    return _contraction_slack(mdp, v, w, None, mdp.gamma**2)


# ------------------------------------------------------------- monotonicity
def _monotone_slack(mdp, v, w, policy):
    from rltheory.tabular import bellman_operator

    Tv = bellman_operator(mdp, v, policy=policy)
    Tw = bellman_operator(mdp, w, policy=policy)
    allowance = operator_error(mdp, v) + operator_error(mdp, w) + 2 * U * _inf(Tw)
    return Slack(float(np.min(Tw - Tv)) + allowance, scale=_size(_inf(Tw - Tv) + allowance))


@property_claim(
    id="bellman.optimality.monotone",
    statement="For every finite discounted MDP and all v <= w (entrywise), Tv <= Tw.",
    latex=r"v \le w \implies T v \le T w",
    source=f"{PUTERMAN}, Lemma 6.1.2",
    kind="inequality",
    tags=("dp", "bellman", "fast"),
    strategy=lambda: _mdp_ordered_vectors(),
    message="slack = min(Tw - Tv) + fp allowance",
)
def _optimality_monotone(instance):
    mdp, v, w = instance
    return _monotone_slack(mdp, v, w, None)


@property_claim(
    id="bellman.evaluation.monotone",
    statement="For every finite discounted MDP, every stationary policy pi and all v <= w, T^pi v <= T^pi w.",
    latex=r"v \le w \implies T^\pi v \le T^\pi w",
    source=f"{PUTERMAN}, Lemma 6.1.2 (P^pi is non-negative)",
    kind="inequality",
    tags=("dp", "bellman", "fast"),
    strategy=lambda: _mdp_ordered_vectors(policy=True),
    message="slack = min(T^pi w - T^pi v) + fp allowance",
)
def _evaluation_monotone(instance):
    mdp, v, w, pi = instance
    return _monotone_slack(mdp, v, w, pi)


# ------------------------------------------------------------- value iteration
def _v_star(mdp) -> np.ndarray:
    v, _ = analytic.optimal_value(mdp)
    return np.array([float(x) for x in v], dtype=float)


@st.composite
def _vi_instances(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 4), n_actions=st.integers(1, 3), gamma=discounts(max_value=0.95), action_mask=True
        )
    )
    return mdp, draw(value_vectors(mdp.n_states, magnitude=20.0)), draw(st.integers(0, 60))


@property_claim(
    id="vi.error-bound",
    statement=(
        "Value iteration v_{k+1} = T v_k from any v_0 satisfies ||v_k - v*||_inf <= gamma^k ||v_0 - v*||_inf "
        "for every k >= 0 (v* computed exactly, in rationals, and certified by T v* = v*)."
    ),
    latex=r"\|T^k v_0 - v^*\|_\infty \le \gamma^k \|v_0 - v^*\|_\infty",
    source=f"{PUTERMAN}, Theorem 6.3.1 (b) and its proof (Banach fixed point, Theorem 6.2.3)",
    kind="inequality",
    tags=("dp", "vi", "fast"),
    strategy=lambda: _vi_instances(),
    message="slack = gamma^k ||v0 - v*|| - ||v_k - v*|| + accumulated fp allowance",
)
def _vi_error_bound(instance):
    from rltheory.tabular import bellman_operator

    mdp, v0, k = instance
    vstar = _v_star(mdp)
    v = np.array(v0, dtype=float)
    accumulated = 0.0
    for _ in range(k):
        # each computed sweep is T v + e with |e| <= operator_error; errors contract: sum gamma^j e_j
        accumulated = mdp.gamma * (1 + ROW_SUM_EXCESS) * accumulated + operator_error(mdp, v)
        v = bellman_operator(mdp, v)
    bound = mdp.gamma**k * _inf(v0 - vstar)
    allowance = accumulated + 4 * U * (_inf(vstar) + _inf(v0)) + 4 * U * bound
    return Slack(bound - _inf(v - vstar) + allowance, scale=_size(bound + allowance))


@st.composite
def _vi_solver_instances(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 5),
            n_actions=st.integers(1, 3),
            gamma=discounts(max_value=0.95),
            sparse=st.booleans(),
            action_mask=True,
        )
    )
    return mdp, draw(value_vectors(mdp.n_states, magnitude=20.0)), draw(st.integers(1, 40))


@property_claim(
    id="vi.macqueen-bounds",
    statement=(
        "After any number of sweeps, the interval [v_lower, v_upper] returned by rltheory.tabular.value_iteration "
        "(MacQueen-Porteus bounds T u + gamma/(1-gamma) min(Tu - u) <= v* <= T u + gamma/(1-gamma) max(Tu - u)) "
        "brackets v*, and the greedy policy satisfies ||v* - v^policy|| <= policy_suboptimality_bound."
    ),
    latex=(r"Tu + \tfrac{\gamma}{1-\gamma}\min_s (Tu-u)(s) \le v^* \le Tu + \tfrac{\gamma}{1-\gamma}\max_s (Tu-u)(s)"),
    source=f"J. MacQueen (1966), J. Math. Anal. Appl. 14; E. Porteus (1971), Management Sci. 18; {PUTERMAN}, Sec. "
    "6.6.3 (Prop. 6.6.1, Thm. 6.6.3)",
    kind="inequality",
    tags=("dp", "vi", "fast"),
    strategy=lambda: _vi_solver_instances(),
    message="slack = min(v* - v_lower, v_upper - v*, bound - ||v* - v^policy||) + fp allowance",
)
def _vi_macqueen(instance):
    from rltheory.tabular import value_iteration

    mdp, v0, k = instance
    res = value_iteration(mdp, tol=np.finfo(float).tiny, max_iter=k, v0=v0)  # tol > 0: the smallest one
    vstar = _v_star(mdp)
    v_pol = np.array([float(x) for x in analytic.value_function(mdp, res.policy)])
    scale = float(np.max(np.abs(mdp.R))) + max(_inf(v0), _inf(vstar), _inf(res.v_upper), _inf(res.v_lower))
    # the solver documents O(eps * S * ||v|| / (1 - gamma)); we use the Higham operator bound amplified by 1/(1-gamma)
    allowance = 2 * operator_error(mdp, np.array([scale])) * (1 + 2 * mdp.gamma / (1 - mdp.gamma)) + 4 * U * scale
    margins = [
        float(np.min(vstar - res.v_lower)),
        float(np.min(res.v_upper - vstar)),
        res.policy_suboptimality_bound - _inf(vstar - v_pol),
    ]
    width = max(_inf(res.v_upper - res.v_lower), res.policy_suboptimality_bound)
    return Slack(min(margins) + allowance, scale=_size(width + allowance))


def _vi_rate_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_exponential_rate
    from rltheory.tabular import FiniteMDP, bellman_operator

    gamma = 0.9
    rng = np.random.default_rng(ctx.seed_sequence(1))
    S, A = 6, 3
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.uniform(0, 1, size=(S, A))
    mdp = FiniteMDP(P, R, gamma=gamma)
    vstar = _v_star(mdp)
    v = np.zeros(S)
    errors = []
    for _ in range(60):
        errors.append(_inf(v - vstar))
        v = bellman_operator(mdp, v)
    errors = np.array(errors)
    keep = errors > 1e3 * U * max(1.0, _inf(vstar))  # drop iterates at machine precision
    k = np.flatnonzero(keep)
    fit = fit_exponential_rate(k, errors[keep], seed=ctx.seed)
    slack = gamma - fit.ci[0]
    return CheckResult(
        claim_id="vi.linear-rate",
        passed=slack >= 0,
        n_instances=1,
        worst_slack=float(slack),
        counterexample=None,
        seconds=0.0,
        fitted_exponent=fit.exponent,
        exponent_ci=fit.ci,
        claimed_exponent=gamma,
        rate=fit,
        message=f"S={S}, A={A}, gamma={gamma}, seed entropy {ctx.seed_sequence(1).entropy}; {fit.describe()}",
        relative_slack=float(slack) / _size((fit.ci[1] - fit.ci[0]) / 2),  # in CI half-widths
    )


register(
    Claim(
        id="vi.linear-rate",
        statement=(
            "Value iteration converges linearly with rate at most gamma: the fitted geometric rate rho of "
            "||v_k - v*||_inf is not significantly above gamma (one-sided, 95% bootstrap CI), on a random "
            "6-state, 3-action MDP with gamma = 0.9."
        ),
        latex=r"\|v_k - v^*\|_\infty \le C \gamma^k \;\Rightarrow\; \hat\rho \le \gamma",
        source=f"{PUTERMAN}, Theorem 6.3.3 (linear convergence of VI at rate gamma)",
        kind="rate",
        tags=("dp", "vi", "rate", "fast"),
        check=_vi_rate_check,
        published_form="||v_n - v*|| <= gamma^n ||v_0 - v*|| (Puterman Thm. 6.3.3: linear convergence, rate gamma)",
        claimed_exponent=0.9,
    )
)


# ------------------------------------------------------------- policy iteration
@st.composite
def _exact_mdps(draw, n_states=st.integers(1, 4), n_actions=st.integers(1, 3)):
    return draw(finite_mdps(n_states=n_states, n_actions=n_actions, exact=True, action_mask=True))


_PI_ITERATIONS: list[int] = []


@st.composite
def _pi_instances(draw):
    mdp = draw(_exact_mdps())
    return mdp, draw(policies(mdp, deterministic=True))


def _pi_slack(instance):
    from rltheory.tabular import policy_iteration

    mdp, start = instance
    res = policy_iteration(mdp, exact=True, v0_policy=start)
    _PI_ITERATIONS.append(int(res.iterations))
    n_policies = int(np.prod(np.asarray(mdp.action_mask).sum(axis=1), dtype=object))
    vstar, _ = analytic.optimal_value(mdp)
    exact_gap = max(
        abs(Fraction(res.v_exact[s]) - Fraction(int(vstar[s].p), int(vstar[s].q))) for s in range(mdp.n_states)
    )
    hist = np.asarray(res.values_history, dtype=float)
    # exact values rounded to nearest are still non-decreasing: no allowance needed
    monotone = float(np.min(np.diff(hist, axis=0))) if hist.shape[0] > 1 else 0.0
    # iterations counts improvement steps: iterations + 1 policies were evaluated
    return min(monotone, float(n_policies - (res.iterations + 1)), -float(exact_gap))


def _pi_check(ctx: CheckContext) -> CheckResult:
    _PI_ITERATIONS.clear()
    out = search(_pi_instances(), _pi_slack, max_examples=ctx.examples, seed=ctx.seed)
    its = np.array(_PI_ITERATIONS) if _PI_ITERATIONS else np.zeros(1, dtype=int)
    return CheckResult(
        claim_id="pi.monotone-termination",
        passed=out.counterexample is None,
        n_instances=out.n_instances,
        worst_slack=out.worst_slack,
        counterexample=out.counterexample,
        seconds=0.0,
        message=(
            f"policy_iteration(exact=True): iterations min {its.min()}, mean {its.mean():.2f}, max {its.max()}; "
            "slack = min(min_k (v_{k+1} - v_k), #policies - evaluations, -|v - v*|)"
            + (f"; slack raised {out.error}" if out.error else "")
        ),
    )


register(
    Claim(
        id="pi.monotone-termination",
        statement=(
            "Policy iteration (rltheory.tabular.policy_iteration, exact rational mode) produces non-decreasing values "
            "v_{k+1} >= v_k, stops after at most prod_s |A(s)| evaluations, and returns exactly v*, from any "
            "deterministic starting policy."
        ),
        latex=r"v^{\pi_{k+1}} \ge v^{\pi_k},\quad K \le \textstyle\prod_s |A(s)|,\quad v^{\pi_K} = v^*",
        source=f"R. A. Howard (1960); {PUTERMAN}, Proposition 6.4.1 and Theorem 6.4.2",
        kind="inequality",
        tags=("dp", "pi", "fast"),
        check=_pi_check,
        evaluate=_pi_slack,
    )
)


# ------------------------------------------------------------- performance difference
@st.composite
def _pdl_exact_instances(draw):
    mdp = draw(_exact_mdps(n_states=st.integers(1, 3)))
    pi = draw(rational_policies(mdp))
    pi2 = draw(rational_policies(mdp))
    s0 = draw(st.integers(0, mdp.n_states - 1))
    return mdp, pi, pi2, s0


def _pdl_exact_slack(instance):
    mdp, pi, pi2, s0 = instance
    v = analytic.value_function(mdp, pi)
    v2 = analytic.value_function(mdp, pi2)
    adv = analytic.advantage(mdp, pi)
    d2 = analytic.discounted_occupancy(mdp, pi2, s0)
    pm2 = analytic.policy_matrix(mdp, pi2)
    g = analytic.rational_model(mdp)[2]
    rhs = sum(d2[0, s] * pm2[s, a] * adv[s, a] for s in range(mdp.n_states) for a in range(mdp.n_actions)) / (1 - g)
    diff = (v2[s0] - v[s0]) - rhs
    return 0.0 if diff == 0 else -abs(float(diff))  # 0 exactly when the identity holds


register(
    Claim(
        id="pdl.exact",
        statement=(
            "Performance-difference lemma, checked in exact rational arithmetic: for all policies pi, pi' and start "
            "state s0, v^{pi'}(s0) - v^pi(s0) = 1/(1-gamma) E_{s ~ d^{pi'}_{s0}} E_{a ~ pi'(.|s)} [A^pi(s, a)], with "
            "d^{pi'}_{s0} = (1-gamma) sum_t gamma^t Pr(s_t = s) the normalized discounted state distribution."
        ),
        latex=(
            r"V^{\pi'}(s_0) - V^{\pi}(s_0) = \frac{1}{1-\gamma}\, \mathbb{E}_{s\sim d^{\pi'}_{s_0}}"
            r"\mathbb{E}_{a\sim\pi'(\cdot|s)}\big[A^{\pi}(s,a)\big]"
        ),
        source="S. Kakade and J. Langford, Approximately optimal approximate reinforcement learning, ICML 2002, Lemma "
        "6.1",
        kind="identity",
        tags=("dp", "pdl", "exact", "fast"),
        check=lambda ctx: _search_check(
            "pdl.exact",
            _pdl_exact_instances(),
            _pdl_exact_slack,
            ctx,
            "exact: slack = -|lhs - rhs| (0 = identity holds exactly)",
        ),
        evaluate=_pdl_exact_slack,
    )
)


@st.composite
def _pdl_float_instances(draw):
    mdp = draw(finite_mdps(**_small))
    pi = draw(policies(mdp, deterministic=draw(st.booleans())))
    pi2 = draw(policies(mdp, deterministic=draw(st.booleans())))
    mu = draw(st.lists(st.floats(0.0, 1.0), min_size=mdp.n_states, max_size=mdp.n_states))
    mu = np.array(mu) + 1e-3
    return mdp, pi, pi2, mu / mu.sum()


def _pdl_float_slack(instance):
    from rltheory.tabular import discounted_occupancy, policy_evaluation

    mdp, pi, pi2, mu = instance
    ev = policy_evaluation(mdp, pi)
    ev2 = policy_evaluation(mdp, pi2)
    adv = np.where(np.asarray(mdp.action_mask), ev.q - ev.v[:, None], 0.0)
    d2 = discounted_occupancy(mdp, pi2, initial_distribution=mu)  # unnormalized, mass 1/(1-gamma)
    lhs = float(mu @ (ev2.v - ev.v))
    rhs = float(np.sum(d2 * adv))
    g = mdp.gamma
    scale = float(np.max(np.abs(mdp.R))) / (1 - g)
    # errors of v^pi, v^pi', q^pi (LU solves) enter rhs through d (mass 1/(1-gamma)) and lhs directly
    err_v = solve_error(mdp.n_states, g, scale) + operator_error(mdp, ev.v)
    err_d = solve_error(mdp.n_states, g, 1 / (1 - g))
    allowance = 2 * err_v + 2 * err_v / (1 - g) + err_d * 2 * scale + 8 * U * (abs(lhs) + abs(rhs))
    return Slack(allowance - abs(lhs - rhs), scale=_size(allowance))


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
        relative_slack=out.worst_relative_slack,
    )


register(
    Claim(
        id="pdl.float",
        statement=(
            "Performance-difference lemma in floating point on random MDPs (dense/sparse, masked) with the library's "
            "policy_evaluation and discounted_occupancy: mu^T (v^{pi'} - v^pi) = sum_{s,a} d^{pi'}_mu(s,a) A^pi(s,a) "
            "with the unnormalized occupancy d (mass 1/(1-gamma))."
        ),
        latex=r"\mu^\top(v^{\pi'} - v^{\pi}) = \sum_{s,a} d^{\pi'}_\mu(s,a)\, A^\pi(s,a)",
        source="S. Kakade and J. Langford, ICML 2002, Lemma 6.1 (unnormalized-occupancy form)",
        kind="identity",
        tags=("dp", "pdl", "fast"),
        check=lambda ctx: _search_check(
            "pdl.float", _pdl_float_instances(), _pdl_float_slack, ctx, "slack = LU/Higham allowance - |lhs - rhs|"
        ),
        evaluate=_pdl_float_slack,
    )
)


# ------------------------------------------------------------- simulation lemma
@st.composite
def _simulation_instances(draw):
    S, A = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    g = draw(discounts(max_value=0.95))
    mdp = draw(finite_mdps(n_states=S, n_actions=A, gamma=g))
    hat = draw(finite_mdps(n_states=S, n_actions=A, gamma=g))
    pi = draw(policies(mdp, deterministic=draw(st.booleans())))
    return mdp, hat, pi


def _simulation_slack(instance):
    from rltheory.tabular import policy_evaluation

    mdp, hat, pi = instance
    g = mdp.gamma
    ev, ev_hat = policy_evaluation(mdp, pi), policy_evaluation(hat, pi)
    S, A = mdp.n_states, mdp.n_actions
    P = np.asarray(mdp.P).reshape(S * A, S)
    P_hat = np.asarray(hat.P).reshape(S * A, S)
    eps_r = _inf(np.asarray(mdp.R) - np.asarray(hat.R))
    eps_p_v = _inf((P - P_hat) @ ev.v)  # max_{s,a} |(P - P_hat)(.|s,a) . V^pi|
    bound = (eps_r + g * eps_p_v) / (1 - g)
    lhs = _inf(ev.q - ev_hat.q)
    scale = max(float(np.max(np.abs(mdp.R))), float(np.max(np.abs(hat.R)))) / (1 - g)
    allowance = 2 * (solve_error(S, g, scale) + operator_error(mdp, ev.v)) * (1 + g / (1 - g)) + 8 * U * (bound + lhs)
    return Slack(bound - lhs + allowance, scale=_size(bound + allowance))


register(
    Claim(
        id="simulation-lemma",
        statement=(
            "Simulation lemma: for two MDPs M, M_hat on the same state/action spaces and discount and any policy pi, "
            "Q^pi - Q_hat^pi = (I - gamma P_hat Pi)^{-1} [(r - r_hat) + gamma (P - P_hat) V^pi], hence "
            "||Q^pi - Q_hat^pi||_inf <= (||r - r_hat||_inf + gamma max_{s,a} |(P - P_hat)(.|s,a) . V^pi|) / (1 - "
            "gamma). "
            "The check tests this bound (which implies the familiar gamma ||P - P_hat||_{1,inf} ||V^pi||_inf / "
            "(1-gamma))."
        ),
        latex=(
            r"\|Q^\pi - \widehat Q^\pi\|_\infty \le \frac{\|r - \hat r\|_\infty + "
            r"\gamma \max_{s,a} |(P-\widehat P)(\cdot|s,a)^\top V^\pi|}{1-\gamma}"
        ),
        source=(
            "A. Agarwal, N. Jiang, S. Kakade, W. Sun, Reinforcement Learning: Theory and Algorithms (2022), "
            "Lemma 2.2 (simulation lemma), with reward differences added; Kearns & Singh (2002), Lemma 4"
        ),
        kind="inequality",
        tags=("dp", "model", "fast"),
        check=lambda ctx: _search_check(
            "simulation-lemma",
            _simulation_instances(),
            _simulation_slack,
            ctx,
            "slack = bound - ||Q - Q_hat|| + fp allowance",
        ),
        evaluate=_simulation_slack,
    )
)


# ------------------------------------------------------------- LP duality
@st.composite
def _lp_instances(draw):
    return draw(
        finite_mdps(
            n_states=st.integers(1, 4),
            n_actions=st.integers(1, 3),
            gamma=discounts(max_value=0.95),
            sparse=st.booleans(),
            action_mask=True,
        )
    )


def _lp_slack(mdp):
    from rltheory.tabular import linear_programming

    res = linear_programming(mdp)
    tol = 1e-7  # linear_programming's default acceptance threshold
    S, A = mdp.n_states, mdp.n_actions
    mu = np.full(S, 1.0 / S)  # the solver's default weights
    vstar = _v_star(mdp)
    x = np.asarray(res.occupancy)
    P = mdp.dense_P
    mask = np.asarray(mdp.action_mask)
    flow = x.sum(axis=1) - mdp.gamma * np.einsum("sa,saj->j", np.where(mask, x, 0.0), P)
    mass = max(1.0, float(x.sum()))
    fp = 8 * U * (S * A + 2) * mass * (1 + float(np.max(np.abs(mdp.R))) / (1 - mdp.gamma))
    margins = [
        # LP optimum = v*: the certified value error bound covers the distance to the exact v*
        res.bound - _inf(res.v - vstar) + 4 * U * _inf(vstar),
        # occupancy feasible: flow constraints and x >= 0 within the solver's acceptance threshold
        tol * mass - _inf(flow - mu) + fp,
        float(np.min(x, initial=0.0)) + tol * mass,
        # strong duality with the exact optimum: |mu.v* - r.x| <= gap + |mu.(v - v*)|
        res.duality_gap
        + res.bound
        - abs(float(mu @ vstar) - float(np.sum(np.where(mask, x * np.asarray(mdp.R), 0.0))))
        + fp,
    ]
    return min(margins)


register(
    Claim(
        id="lp.duality",
        statement=(
            "LP duality for discounted MDPs, via rltheory.tabular.linear_programming: the primal optimum is v* "
            "(within the returned certified bound of the exact v*), the dual solution is a feasible "
            "occupancy measure (flow constraints sum_a x(j,a) - gamma sum_{s,a} P(j|s,a) x(s,a) = mu(j), x >= 0), "
            "and mu^T v* equals the dual objective r^T x up to the reported duality gap."
        ),
        latex=(
            r"\min_{v:\, v \ge r_a + \gamma P_a v} \mu^\top v = \mu^\top v^* = "
            r"\max_{x \ge 0:\, E^\top x - \gamma P^\top x = \mu} r^\top x"
        ),
        source=f"{PUTERMAN}, Sec. 6.9.1, Theorem 6.9.1 and Corollary 6.9.2; F. d'Epenoux (1963), Management Sci. 10(1)",
        kind="identity",
        tags=("dp", "lp", "fast"),
        check=lambda ctx: _search_check(
            "lp.duality",
            _lp_instances(),
            _lp_slack,
            CheckContext(examples=max(1, ctx.examples // 4), seed=ctx.seed),
            "slack = min of the four certificate margins (value units); examples/4 LP solves",
        ),
        evaluate=_lp_slack,
    )
)
