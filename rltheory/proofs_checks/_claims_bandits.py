"""Bandit claims: UCB1's finite-time bound, EXP3's bound, asymptotic optimality (Lai-Robbins).

Statistical convention: a bound on an *expected* regret fails only if the
lower end of the simulation's 95% confidence interval of the mean regret
(``RegretCurve.lower``) exceeds the bound; slack = bound - lower.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Counterexample, register

_INSTANCES = ((0.9, 0.8), (0.5, 0.45, 0.4), (0.6, 0.5, 0.5, 0.3))


def _seed(ctx: CheckContext, *key) -> int:
    return int(ctx.seed_sequence(*key).generate_state(1)[0])


def _policy(name: str):
    import rltheory.bandits

    return getattr(rltheory.bandits, name)()


def _bound_check(claim_id, policy_name, bound_fn, horizon):
    def check(ctx: CheckContext) -> CheckResult:
        from rltheory.bandits import BernoulliBandit
        from rltheory.simulation import simulate

        n_runs = max(20, ctx.examples)  # examples=100 -> 100 runs per instance
        worst, worst_rel, cx, n = math.inf, math.inf, None, 0
        for i, means in enumerate(_INSTANCES):
            bandit = BernoulliBandit(list(means))
            seed = _seed(ctx, i)
            curve = simulate(bandit, _policy(policy_name), n_rounds=horizon, n_runs=n_runs, seed=seed, checkpoints=20)
            bound = np.broadcast_to(bound_fn(bandit, curve.times, horizon), curve.times.shape)
            slack = float(np.min(bound - curve.lower))
            worst_rel = min(worst_rel, float(np.min((bound - curve.lower) / bound)))  # relative to the bound
            n += 1
            if slack < worst:
                worst = slack
            if slack < 0 and cx is None:
                cx = Counterexample(
                    (means, horizon, n_runs, seed),
                    slack,
                    f"BernoulliBandit({list(means)}), T={horizon}, runs={n_runs}, seed={seed}",
                    seed=ctx.seed,
                )
        return CheckResult(
            claim_id,
            cx is None,
            n,
            worst,
            cx,
            0.0,
            relative_slack=worst_rel,
            message=f"{len(_INSTANCES)} Bernoulli instances, T={horizon}, {n_runs} runs; slack = bound - lower 95% CI "
            "of mean pseudo-regret at 20 checkpoints",
        )

    return check


def _ucb1_bound(bandit, times, horizon):
    from rltheory.bandits import ucb1_regret_bound

    return ucb1_regret_bound(bandit, times)  # Auer, Cesa-Bianchi & Fischer (2002), Theorem 1


def _exp3_bound(bandit, times, horizon):
    from rltheory.bandits import exp3_regret_bound

    # Auer et al. (2002b), Cor. 3.2 with g = T; by Thm 3.1 the same constant bounds every t <= T
    return exp3_regret_bound(bandit, horizon)


def _register_bounds():
    register(
        Claim(
            id="bandits.ucb1-bound",
            statement=(
                "UCB1 on rewards in [0, 1]: for every n, E[R_n] <= 8 sum_{i: Delta_i > 0} ln n / Delta_i + "
                "(1 + pi^2/3) sum_j Delta_j (checked on 3 Bernoulli instances at 20 checkpoints)."
            ),
            latex=r"\mathbb E[R_n] \le 8\sum_{i:\Delta_i>0}\frac{\ln n}{\Delta_i} + \Big(1+\frac{\pi^2}{3}\Big)\sum_j "
            r"\Delta_j",
            source="P. Auer, N. Cesa-Bianchi, P. Fischer, Finite-time analysis of the multiarmed bandit problem, "
            "Machine Learning 47 (2002), Theorem 1",
            kind="inequality",
            tags=("bandits", "statistical", "fast"),
            check=_bound_check("bandits.ucb1-bound", "UCB1", _ucb1_bound, 2000),
        )
    )
    register(
        Claim(
            id="bandits.exp3-bound",
            statement=(
                "EXP3 with gamma = min(1, sqrt(K ln K / ((e-1) g))), g = T: expected regret against the best fixed arm "
                "<= 2 sqrt(e-1) sqrt(g K ln K); checked for the pseudo-regret on Bernoulli instances (an oblivious "
                "special case)."
            ),
            latex=r"G_{\max} - \mathbb E[G_{\rm Exp3}] \le 2\sqrt{e-1}\sqrt{gK\ln K}",
            source="P. Auer, N. Cesa-Bianchi, Y. Freund, R. Schapire, The nonstochastic multiarmed bandit problem, "
            "SIAM J. Comput. 32(1) (2002), Corollary 3.2",
            kind="inequality",
            tags=("bandits", "statistical", "fast"),
            check=_bound_check("bandits.exp3-bound", "EXP3", _exp3_bound, 2000),
        )
    )


_LR_MEANS = (0.9, 0.8, 0.7)
_LR_BAND = (0.5, 2.0)


def _bernoulli_lai_robbins_constant(means) -> float:
    """sum_{i: Delta_i > 0} Delta_i / kl(mu_i, mu*) for Bernoulli arms (Lai & Robbins 1985, Thm 2).

    Computed here, without importing :mod:`rltheory.bandits` (and Numba), so that loading the catalogue stays
    cheap; each check compares it with :func:`rltheory.bandits.lai_robbins_constant`.
    """
    best = max(means)

    def kl(p, q):
        return sum(a * math.log(a / b) for a, b in ((p, q), (1 - p, 1 - q)) if a > 0)

    return float(sum((best - m) / kl(m, best) for m in means if m < best))


def _lai_robbins_check(claim_id, policy_name, horizon):
    def check(ctx: CheckContext) -> CheckResult:
        from rltheory.bandits import BernoulliBandit, lai_robbins_constant
        from rltheory.proofs_checks.rates import fit_log_growth
        from rltheory.simulation import simulate

        bandit = BernoulliBandit(list(_LR_MEANS))
        C = float(lai_robbins_constant(bandit))
        if not math.isclose(C, _bernoulli_lai_robbins_constant(_LR_MEANS), rel_tol=1e-12):
            raise RuntimeError(f"lai_robbins_constant = {C!r} disagrees with the registered constant")
        n_runs = max(20, ctx.examples)
        seed = _seed(ctx, 7)
        checkpoints = np.unique(np.geomspace(horizon / 100, horizon, 12).astype(np.int64))
        curve = simulate(
            bandit, _policy(policy_name), n_rounds=horizon, n_runs=n_runs, seed=seed, checkpoints=checkpoints
        )
        fit = fit_log_growth(curve.times.astype(float), curve.regret.T, seed=ctx.seed)
        lo, hi = _LR_BAND
        slack = min(fit.ci[1] - lo * C, hi * C - fit.ci[0])  # CI must meet the band [C/2, 2C]
        cx = None
        if slack < 0:
            cx = Counterexample(
                (_LR_MEANS, horizon, n_runs, seed),
                slack,
                f"BernoulliBandit({list(_LR_MEANS)}), T={horizon}, runs={n_runs}, seed={seed}",
                seed=ctx.seed,
            )
        return CheckResult(
            claim_id,
            slack >= 0,
            1,
            float(slack),
            cx,
            0.0,
            fitted_exponent=fit.exponent,
            exponent_ci=fit.ci,
            claimed_exponent=C,
            rate=fit,
            relative_slack=float(slack) / C,  # relative to C
            message=f"dR/dlog T over T in [{int(curve.times[0])}, {horizon}]: {fit.describe()}; Lai-Robbins C = "
            f"{C:.4g}; band [{lo}C, {hi}C]",
        )

    return check


def _register_lai_robbins():
    C = _bernoulli_lai_robbins_constant(_LR_MEANS)

    published = (
        "liminf_T E[R_T]/log T >= C(nu) = sum_{i: Delta_i>0} Delta_i / KL(mu_i, mu*) for consistent policies "
        "(Lai & Robbins 1985, Thm. 2); KL-UCB and Thompson sampling attain limsup E[R_T]/log T <= C(nu)"
    )
    for cid, factory, name, src in (
        (
            "bandits.lai-robbins.klucb",
            "KLUCB",
            "KL-UCB",
            "A. Garivier, O. Cappe, The KL-UCB algorithm, COLT 2011, Theorem 2",
        ),
        (
            "bandits.lai-robbins.thompson",
            "ThompsonSampling",
            "Thompson sampling",
            "E. Kaufmann, N. Korda, R. Munos, ALT 2012, Theorem 1; S. Agrawal, N. Goyal, AISTATS 2013",
        ),
    ):
        register(
            Claim(
                id=cid,
                statement=(
                    f"{name} is asymptotically optimal on Bernoulli arms: its regret grows like C(nu) log T with the "
                    "Lai-Robbins constant C(nu). Finite-T check (a heuristic band, not a theorem at finite T): the "
                    "fitted "
                    f"slope of E[R_T] against log T over the last two decades of T=20000, arms {list(_LR_MEANS)}, has "
                    "a 95% "
                    f"bootstrap CI meeting [C/2, 2C]."
                ),
                latex=r"\lim_{T\to\infty} \frac{\mathbb E[R_T]}{\log T} = "
                r"\sum_{i:\Delta_i>0}\frac{\Delta_i}{\mathrm{KL}(\mu_i,\mu^*)}",
                source=f"T. L. Lai, H. Robbins, Adv. Appl. Math. 6 (1985), Theorem 2; {src}",
                kind="rate",
                tags=("bandits", "statistical", "rate", "fast"),
                check=_lai_robbins_check(cid, factory, 20000),
                published_form=published,
                claimed_exponent=C,
            )
        )


# the bandits package is optional for the registry: skip its claims if it is absent (found without importing it)
if importlib.util.find_spec("rltheory.bandits") is not None:
    _register_bounds()
    _register_lai_robbins()
