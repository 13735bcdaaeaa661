"""The Gittins index theorem, checked against the Bayes-optimal policy computed by exact DP over beliefs."""

from __future__ import annotations

import importlib.util

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Counterexample, register

#: (prior, discount, horizon): two-armed Beta-Bernoulli instances
_INSTANCES = ((((1, 1), (1, 1)), 0.4, 14), (((2, 1), (1, 3)), 0.4, 12))
_INDEX_TOL = 1e-8


def _index_theorem_check(ctx: CheckContext) -> CheckResult:
    from rltheory.bandits import bayes_optimal_policy, gittins_index, index_policy_value

    worst, worst_rel, cx = float("inf"), float("inf"), None
    for prior, gamma, H in _INSTANCES:
        opt = bayes_optimal_policy(prior, H, discount=gamma).value
        git = index_policy_value(
            prior,
            H,
            lambda a, b, gamma=gamma: gittins_index("beta", gamma, alpha=a, beta=b, tol=_INDEX_TOL),
            discount=gamma,
            ties="worst",
        )
        bound = gamma**H / (1 - gamma)
        gap = opt - git
        # 0 <= V*_H - V^G_H <= gamma^H / (1 - gamma); a negative gap (beyond rounding) would mean a wrong DP
        slack = gap if gap < -1e-12 else bound - gap
        worst, worst_rel = min(worst, slack), min(worst_rel, slack / bound)
        if slack < 0 and cx is None:
            cx = Counterexample(
                (prior, gamma, H),
                slack,
                f"prior={prior}, gamma={gamma}, H={H}: V*_H - V^G_H = {gap!r}, bound {bound!r}",
                seed=ctx.seed,
            )
    return CheckResult(
        "bandits.gittins-index-theorem",
        cx is None,
        len(_INSTANCES),
        worst,
        cx,
        0.0,
        relative_slack=worst_rel,
        message=f"{len(_INSTANCES)} two-armed Beta-Bernoulli instances; Gittins indices certified to "
        f"{_INDEX_TOL:g}, ties (overlapping intervals) broken against the policy",
    )


def _register():
    register(
        Claim(
            id="bandits.gittins-index-theorem",
            statement=(
                "For independent Beta-Bernoulli arms and discount gamma, the policy pulling an arm of largest Gittins "
                "index is Bayes-optimal. Checked on the horizon-H truncation (rewards in [0, 1]): "
                "0 <= V*_H - V^G_H <= gamma^H / (1 - gamma), with V*_H the exact Bayes-optimal value by backward "
                "induction over beliefs and V^G_H the Gittins policy's value on the same tree (any tie-breaking)."
            ),
            latex=r"V^{\mathrm{Gittins}}_\gamma(\pi_0) = \sup_\pi V^\pi_\gamma(\pi_0)",
            source=(
                "J. C. Gittins, Bandit processes and dynamic allocation indices, JRSS B 41 (1979); J. Gittins, "
                "K. Glazebrook, R. Weber, Multi-armed Bandit Allocation Indices, 2nd ed. (2011), Theorem 2.1"
            ),
            kind="identity",
            tags=("bandits", "bayesian", "exact", "fast"),
            check=_index_theorem_check,
        )
    )


if importlib.util.find_spec("rltheory.bandits") is not None:
    _register()
