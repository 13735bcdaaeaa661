"""Claims of average-reward dynamic programming (Puterman 2005, ch. 8-9) and the plug-in sample-complexity rate.

Slack convention as everywhere: ``>= 0`` holds, in reward units, allowance included.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Slack, register
from rltheory.proofs_checks._search import property_claim
from rltheory.proofs_checks.strategies import policies

PUTERMAN = "M. L. Puterman, Markov Decision Processes (Wiley 2005)"
_EPS = float(np.finfo(float).eps)


@st.composite
def _sparse_average_mdps(draw, n_states=st.integers(1, 5), n_actions=st.integers(1, 3)):
    """gamma = 1 models whose rows have 1-2 successors (often multichain or periodic)."""
    from rltheory.tabular import FiniteMDP

    S, A = draw(n_states), draw(n_actions)
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            succ = draw(st.lists(st.integers(0, S - 1), min_size=1, max_size=2, unique=True))
            w = draw(st.lists(st.integers(1, 4), min_size=len(succ), max_size=len(succ)))
            P[s, a, succ] = np.array(w, dtype=float) / sum(w)
    R = np.array(draw(st.lists(st.integers(-3, 3), min_size=S * A, max_size=S * A)), dtype=float).reshape(S, A)
    return FiniteMDP(P, R, gamma=1.0)


# ------------------------------------------------------------- gain and bias
@st.composite
def _policy_instances(draw):
    mdp = draw(_sparse_average_mdps())
    return mdp, draw(policies(mdp, deterministic=draw(st.booleans())))


@property_claim(
    id="average-reward.gain-bias.evaluation-equations",
    statement=(
        "For every finite MDP and stationary policy pi, the gain g = P* r_pi and the bias h = (I - P + P*)^{-1}(I - "
        "P*) r_pi "
        "returned by rltheory.tabular.gain_and_bias solve (I - P_pi) g = 0, g + (I - P_pi) h = r_pi, P* h = 0 "
        "(multichain and periodic chains included)."
    ),
    latex=r"(I-P_\pi)g = 0,\quad g + (I-P_\pi)h = r_\pi,\quad P^*_\pi h = 0",
    source=f"{PUTERMAN}, Theorem 8.2.6 and Corollary 8.2.7; Appendix A.5, Theorem A.7",
    kind="identity",
    tags=("average-reward", "fast"),
    strategy=lambda: _policy_instances(),
    message="slack = backward-error allowance (64 S kappa eps scale) - max residual",
)
def _gain_bias_slack(instance):
    from rltheory.tabular import gain_and_bias

    mdp, pi = instance
    res = gain_and_bias(mdp, pi)
    P = mdp.policy_transition(pi)
    P = P.toarray() if hasattr(P, "toarray") else np.asarray(P)
    S = mdp.n_states
    kappa = float(np.linalg.cond(np.eye(S) - P + res.limiting_matrix))
    scale = 1.0 + float(np.max(np.abs(mdp.R)))
    tol = 64 * S * kappa * _EPS * scale
    return Slack(tol - res.residual, scale=tol)


# ------------------------------------------------------------- multichain PI
def _brute_gain(mdp):
    from rltheory.tabular import gain_and_bias

    mask = np.asarray(mdp.action_mask)
    pols = itertools.product(*[np.flatnonzero(mask[s]) for s in range(mdp.n_states)])
    return np.max([gain_and_bias(mdp, np.array(p)).gain for p in pols], axis=0)


@property_claim(
    id="average-reward.multichain-pi.optimal",
    statement=(
        "Multichain policy iteration (rltheory.tabular.average_reward_policy_iteration: gain improvement, then bias "
        "improvement among gain-maximizing actions) stops with g(s) = max over deterministic stationary policies of "
        "g^pi(s) on every state simultaneously, with non-decreasing gains along the iterations."
    ),
    latex=r"g^{d_N}(s) = \max_{d \in D^{MD}} g^{d}(s)\ \forall s,\qquad g^{d_{n+1}} \ge g^{d_n}",
    source=(
        f"{PUTERMAN}, Theorem 9.1.8 (deterministic optimal policies exist) and Sec. 9.2 (multichain policy iteration)"
    ),
    kind="identity",
    tags=("average-reward", "pi", "fast"),
    strategy=lambda: _sparse_average_mdps(),
    message="slack = 1e-9 scale - max(|g_PI - g_brute|, max decrease of gains)",
)
def _multichain_slack(mdp):
    from rltheory.tabular import average_reward_policy_iteration

    res = average_reward_policy_iteration(mdp)
    tol = 1e-9 * (1.0 + float(np.max(np.abs(mdp.R))))
    err = float(np.max(np.abs(res.gain - _brute_gain(mdp))))
    dec = float(max(0.0, -np.min(np.diff(res.gains_history, axis=0), initial=0.0)))
    return Slack(tol - max(err, dec), scale=tol)


# ------------------------------------------------------------- RVI / Odoni bounds
@st.composite
def _rvi_instances(draw):
    from rltheory.proofs_checks.strategies import finite_mdps
    from rltheory.tabular import FiniteMDP

    m = draw(finite_mdps(n_states=st.integers(1, 5), n_actions=st.integers(1, 3), sparse=st.booleans()))
    mdp = FiniteMDP(m.P, m.R, gamma=1.0)
    return mdp, draw(st.integers(0, 30)), draw(st.sampled_from([0.25, 0.5, 1.0]))


@property_claim(
    id="average-reward.rvi.odoni-bounds",
    statement=(
        "For a weakly communicating MDP (here: all transitions positive, hence unichain) and any number k of "
        "relative value iteration sweeps (with aperiodicity transformation tau), min_s (Tw - w)(s) <= g* <= "
        "max_s (Tw - w)(s) at the k-th iterate w, and the greedy policy has gain >= min_s (Tw - w)(s)."
    ),
    latex=r"\min_s (Tw - w)(s) \le g^* \le \max_s (Tw-w)(s),\qquad g^{\pi_w} \ge \min_s (Tw-w)(s)",
    source=f"A. Odoni (1969), Oper. Res. 17; {PUTERMAN}, Theorem 8.5.5 and Sec. 8.5.4 (aperiodicity transformation)",
    kind="inequality",
    tags=("average-reward", "rvi", "fast"),
    strategy=lambda: _rvi_instances(),
    message="slack = min(g* - lower, upper - g*, min g^pi - lower) + fp allowance",
)
def _odoni_slack(instance):
    from rltheory.tabular import average_reward_policy_iteration, gain_and_bias, relative_value_iteration

    mdp, k, tau = instance
    g_star = float(average_reward_policy_iteration(mdp).gain[0])
    res = relative_value_iteration(mdp, tol=np.finfo(float).tiny, max_iter=k, aperiodicity=tau)  # tol > 0
    fp = 64 * _EPS * mdp.n_states * (1 + float(np.max(np.abs(mdp.R))) + float(np.max(np.abs(res.bias))))
    g_pi = float(np.min(gain_and_bias(mdp, res.policy).gain))
    margin = min(g_star - res.gain_lower, res.gain_upper - g_star, g_pi - res.gain_lower) + fp
    return Slack(margin, scale=max(res.gain_upper - res.gain_lower, 0.0) + fp)


# ------------------------------------------------------------- Laurent expansion
@st.composite
def _laurent_instances(draw):
    mdp = draw(_sparse_average_mdps())
    return mdp, draw(policies(mdp, deterministic=True)), draw(st.floats(1e-4, 1e-1))


def _laurent_slack(instance):
    from rltheory.tabular import FiniteMDP, gain_and_bias, policy_evaluation

    mdp, pi, eps = instance
    gb = gain_and_bias(mdp, pi)
    P = mdp.policy_transition(pi)
    P = P.toarray() if hasattr(P, "toarray") else np.asarray(P)
    S = mdp.n_states
    Ps = np.asarray(gb.limiting_matrix)
    H = np.linalg.solve(np.eye(S) - P + Ps, np.eye(S) - Ps)  # deviation matrix (Puterman Thm A.7)
    nH = float(np.max(np.abs(H).sum(axis=1)))
    eps = min(float(eps), 0.5 / (1.0 + nH))  # the series converges for rho ||H|| < 1; rho ||H|| <= 1/2 here
    gamma = 1.0 - eps
    rho = eps / gamma
    v = policy_evaluation(FiniteMDP(np.asarray(mdp.P), np.asarray(mdp.R), gamma=gamma), pi).v
    lhs = float(np.max(np.abs(v - gb.gain / eps - gb.bias)))
    nh = float(np.max(np.abs(gb.bias)))
    # v - g/(1-gamma) - h = rho h + (1 + rho) sum_{n>=1} (-rho H)^n h  (Puterman Thm 8.2.3, y_n = (-1)^n H^n h)
    bound = rho * nh + (1 + rho) * rho * nH / (1 - rho * nH) * nh
    scale = (1.0 + float(np.max(np.abs(mdp.R)))) / eps
    fp = 64 * S * _EPS * scale / eps + 64 * S * _EPS * (1 + nH) * scale
    return Slack(bound - lhs + fp, scale=bound + fp)


@property_claim(
    id="average-reward.laurent-expansion",
    statement=(
        "Laurent expansion of the discounted value: for every finite chain (multichain, periodic allowed), policy pi "
        "and "
        "1 - gamma small enough that rho ||H|| <= 1/2 (rho = (1-gamma)/gamma, H the deviation matrix), "
        "||v_gamma - g/(1-gamma) - h||_inf <= rho ||h|| + (1+rho) rho ||H|| ||h|| / (1 - rho ||H||) = O(1 - gamma)."
    ),
    latex=r"\Big\|v_\gamma^\pi - \tfrac{g^\pi}{1-\gamma} - h^\pi\Big\|_\infty \le \rho\|h\| + "
    r"\frac{(1+\rho)\rho\|H\|}{1-\rho\|H\|}\|h\|",
    source=f"{PUTERMAN}, Theorem 8.2.3 (Laurent series v = (1+rho) sum_n rho^n y_n, y_{{-1}} = g, y_0 = h, y_n = "
    f"(-1)^n H^{{n+1}} r)",
    kind="inequality",
    tags=("average-reward", "fast"),
    strategy=lambda: _laurent_instances(),
    message="slack = series tail bound - ||v_gamma - g/(1-gamma) - h|| + solve allowance",
)
def _laurent_claim(instance):
    return _laurent_slack(instance)


# ------------------------------------------------------------- plug-in sample complexity
def tunable_mixing_mdp(p: float):
    """Two states, two actions; action 0 switches state with probability p, action 1 with probability p/2.

    Rewards r(0, .) = (1, 0.9), r(1, .) = (0, 0.1). Every policy's chain mixes in time of order 1/p.
    """
    from rltheory.tabular import FiniteMDP

    P = np.zeros((2, 2, 2))
    for s in range(2):
        for a, q in enumerate((p, p / 2)):
            P[s, a, 1 - s] = q
            P[s, a, s] = 1 - q
    R = np.array([[1.0, 0.9], [0.0, 0.1]])
    return FiniteMDP(P, R, gamma=1.0)


@functools.lru_cache(maxsize=16)
def _optimal_policy_and_gain(p: float):
    from rltheory.tabular import average_reward_policy_iteration, gain_and_bias

    mdp = tunable_mixing_mdp(p)
    pol = average_reward_policy_iteration(mdp).policy
    return mdp, pol, float(gain_and_bias(mdp, pol).gain[0])


def _plugin_gain_errors(p: float, n: int, u: np.ndarray) -> np.ndarray:
    """|g_hat(pi*) - g(pi*)| per replication: gain error of the optimal policy on the plug-in model, n samples per pair.

    Pair (s, a) has two outcomes (switch with probability q, stay); replication j draws its switch count by
    inversion, ``Binomial(n, q).ppf(u[j, s, a])``, so one array of uniforms couples the draws across every (p, n)
    of a grid (common random numbers: a replication's error moves monotonically with p and n instead of being
    redrawn).
    """
    import scipy.stats

    from rltheory.tabular import FiniteMDP, gain_and_bias

    mdp, pol, g = _optimal_policy_and_gain(float(p))
    q = np.asarray(mdp.P)[[0, 0, 1, 1], [0, 1, 0, 1], [1, 1, 0, 0]].reshape(2, 2)
    switch = scipy.stats.binom.ppf(u, n, q[None]) / n
    out = np.empty(u.shape[0])
    for j in range(u.shape[0]):
        P_hat = np.zeros((2, 2, 2))
        for s in range(2):
            P_hat[s, :, 1 - s] = switch[j, s]
            P_hat[s, :, s] = 1.0 - switch[j, s]
        out[j] = abs(float(gain_and_bias(FiniteMDP(P_hat, np.asarray(mdp.R), gamma=1.0), pol).gain[0]) - g)
    return out


def _plugin_rate_check(which: str):
    def check(ctx: CheckContext) -> CheckResult:
        from rltheory.proofs_checks.rates import fit_power_law

        reps = max(200, 8 * ctx.examples)
        key = 21 if which == "n" else 22
        if which == "n":
            xs = np.array([2_000, 8_000, 32_000, 128_000])

            def fn(x, u):
                return _plugin_gain_errors(0.1, int(x), u)

            claimed = -0.5
        else:
            # t_mix ~ 1/p; the error's sd is const sqrt((1.5 - p)/(p n)) (delta method), whose log-slope in 1/p,
            # 1/2 + p/(2 (1.5 - p)), is within 0.0014 of the claimed 1/2 on this grid; >= 1000 expected switches
            # per pair keep the delta method accurate (on p in [0.05, 0.4] the slope is 0.565: not asymptotic)
            ps = np.array([0.004, 0.002, 0.001, 0.0005])
            xs = 1.0 / ps

            def fn(x, u):
                return _plugin_gain_errors(1.0 / x, 4_000_000, u)

            claimed = 0.5
        # replication j uses the same uniforms at every grid point (common random numbers, see _plugin_gain_errors):
        # the fitted slope is then nearly free of Monte Carlo noise; the bootstrap resamples each point's runs
        # independently, ignoring that positive coupling, so its CI is conservative
        uniforms = np.array([np.random.default_rng(c).random((2, 2)) for c in ctx.seed_sequence(key).spawn(reps)])
        out = np.array([fn(x, uniforms) for x in xs])
        fit = fit_power_law(xs, out, seed=ctx.seed)
        inside = fit.ci[0] <= claimed <= fit.ci[1]
        slack = min(claimed - fit.ci[0], fit.ci[1] - claimed)
        cid = f"average-reward.plugin.rate-{'samples' if which == 'n' else 'mixing'}"
        return CheckResult(
            claim_id=cid,
            passed=bool(inside),
            n_instances=int(out.size),
            worst_slack=float(slack),
            counterexample=None,
            seconds=0.0,
            fitted_exponent=fit.exponent,
            exponent_ci=fit.ci,
            claimed_exponent=claimed,
            rate=fit,
            message=f"{reps} replications per point; {fit.describe()}",
            relative_slack=float(slack) / ((fit.ci[1] - fit.ci[0]) / 2),  # in CI half-widths
        )

    return check


_WBG = (
    "S. Wang, J. Blanchet, P. Glynn, Optimal sample complexity for average reward Markov decision processes, "
    "ICLR 2024 (arXiv:2310.08833), Theorem 1: O~(|S||A| t_mix eps^-2) samples"
)

register(
    Claim(
        id="average-reward.plugin.rate-samples",
        statement=(
            "Generative-model plug-in estimation: with n samples per state-action pair, the gain error of a fixed "
            "policy "
            "on the empirical model decays like n^{-1/2} (the eps^{-2} of the O~(|S||A| t_mix eps^{-2}) sample "
            "complexity): "
            "the fitted exponent's 95% bootstrap CI contains -1/2 (2-state tunable-mixing MDP, p = 0.1)."
        ),
        latex=r"|\hat g^{\pi} - g^{\pi}| \asymp \sqrt{t_{mix}/n}",
        source=_WBG,
        kind="rate",
        tags=("average-reward", "sample-complexity", "rate", "fast"),
        check=_plugin_rate_check("n"),
        published_form="n = O~(|S||A| t_mix / eps^2) samples for an eps-optimal policy",
        claimed_exponent=-0.5,
    )
)

register(
    Claim(
        id="average-reward.plugin.rate-mixing",
        statement=(
            "Generative-model plug-in estimation: at a fixed n per pair, the gain error grows like t_mix^{1/2} "
            "(the t_mix factor of O~(|S||A| t_mix eps^{-2})): on the 2-state family with switching probability p "
            "(t_mix ~ 1/p), in the asymptotic regime p -> 0 (p in [5e-4, 4e-3], n = 4e6 samples per pair), the fitted "
            "exponent in 1/p has a 95% bootstrap CI containing 1/2."
        ),
        latex=r"|\hat g^{\pi} - g^{\pi}| \asymp \sqrt{t_{mix}/n}",
        source=_WBG,
        kind="rate",
        tags=("average-reward", "sample-complexity", "rate", "fast"),
        check=_plugin_rate_check("t"),
        published_form="n = O~(|S||A| t_mix / eps^2) samples for an eps-optimal policy",
        claimed_exponent=0.5,
    )
)
