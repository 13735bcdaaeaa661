"""Concentration inequalities checked by Monte Carlo coverage with a binomial confidence margin.

For a distribution on ``[0, 1]`` with mean ``mu``, a sample size ``n`` and a
confidence ``delta``, the claim is ``Pr(mean_n - mu >= eps(n, delta)) <= delta``.
The check draws ``m`` independent samples of size ``n``, counts the ``k``
violations, and computes the one-sided Clopper-Pearson lower confidence
bound ``p_lo`` of the violation probability at level ``1 - alpha``
(Clopper & Pearson 1934), with ``alpha = 1e-3`` split by Bonferroni over
the configurations. A configuration fails only if ``p_lo > delta``, i.e. if
the data show the coverage is below ``1 - delta`` with confidence
``1 - alpha``; its slack is ``delta - p_lo``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.stats

from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, Counterexample, register
from rltheory.proofs_checks._search import render_instance

FAMILY_ALPHA = 1e-3

#: (name, sampler(rng, size), mean, variance, max of the support)
_DISTRIBUTIONS = {
    "bernoulli(0.05)": (lambda rng, size: (rng.random(size) < 0.05).astype(float), 0.05, 0.05 * 0.95, 1.0),
    "bernoulli(0.5)": (lambda rng, size: (rng.random(size) < 0.5).astype(float), 0.5, 0.25, 1.0),
    "bernoulli(0.9)": (lambda rng, size: (rng.random(size) < 0.9).astype(float), 0.9, 0.09, 1.0),
    "uniform(0,1)": (lambda rng, size: rng.random(size), 0.5, 1.0 / 12.0, 1.0),
    "beta(0.5,0.5)": (lambda rng, size: rng.beta(0.5, 0.5, size), 0.5, 0.125, 1.0),
    "beta(2,5)": (lambda rng, size: rng.beta(2.0, 5.0, size), 2.0 / 7.0, 10.0 / (49.0 * 8.0), 1.0),
}
_SAMPLE_SIZES = (1, 10, 100)
_DELTAS = (0.05, 0.25)


@dataclass(frozen=True)
class CoverageInstance:
    """One Monte Carlo configuration of a concentration claim (reproducible from its fields)."""

    inequality: str
    distribution: str
    n: int
    delta: float
    trials: int
    entropy: tuple
    alpha: float


def hoeffding_radius(n: int, delta: float) -> float:
    # Hoeffding (1963), Theorem 2 with b_i - a_i = 1: Pr(mean - mu >= t) <= exp(-2 n t^2)
    return math.sqrt(math.log(1.0 / delta) / (2.0 * n))


def bernstein_radius(n: int, delta: float, variance: float, b: float) -> float:
    # Boucheron, Lugosi & Massart (2013), Theorem 2.10 for Y_i = X_i - mu <= b, v = n variance, t = log(1/delta):
    # Pr(sum Y_i >= sqrt(2 v t) + b t / 3) <= e^{-t}; divided by n
    t = math.log(1.0 / delta)
    return math.sqrt(2.0 * variance * t / n) + b * t / (3.0 * n)


def _radius(inst: CoverageInstance) -> float:
    _, mean, var, top = _DISTRIBUTIONS[inst.distribution]
    if inst.inequality == "hoeffding":
        return hoeffding_radius(inst.n, inst.delta)
    return bernstein_radius(inst.n, inst.delta, var, top - mean)


def _violations(inst: CoverageInstance) -> int:
    sampler, mean, _, _ = _DISTRIBUTIONS[inst.distribution]
    rng = np.random.default_rng(np.random.SeedSequence(list(inst.entropy)))
    x = sampler(rng, (inst.trials, inst.n))
    return int(np.count_nonzero(x.mean(axis=1) - mean >= _radius(inst)))


def _lower_bound(k: int, m: int, alpha: float) -> float:
    # one-sided Clopper-Pearson (1934) lower bound: the alpha quantile of Beta(k, m - k + 1)
    return 0.0 if k == 0 else float(scipy.stats.beta.ppf(alpha, k, m - k + 1))


def coverage_slack(inst: CoverageInstance) -> float:
    """``delta`` minus the Clopper-Pearson lower bound of the violation probability."""
    return inst.delta - _lower_bound(_violations(inst), inst.trials, inst.alpha)


def _coverage_check(claim_id: str, inequality: str):
    def check(ctx: CheckContext) -> CheckResult:
        trials = 100 * ctx.examples  # examples=100 -> 10^4 samples of each size per configuration
        configs = [(d, n) for d in _DISTRIBUTIONS for n in _SAMPLE_SIZES]
        alpha = FAMILY_ALPHA / (len(configs) * len(_DELTAS))  # Bonferroni
        worst, worst_rel, n_inst, failures = math.inf, math.inf, 0, []
        max_rate = 0.0
        for i, (dist, n) in enumerate(configs):
            for j, delta in enumerate(_DELTAS):
                entropy = tuple(int(x) for x in np.atleast_1d(ctx.seed_sequence(i, j).entropy)) + (i, j)
                inst = CoverageInstance(inequality, dist, n, delta, trials, entropy, alpha)
                k = _violations(inst)
                slack = delta - _lower_bound(k, trials, alpha)
                worst_rel = min(worst_rel, slack / delta)  # relative to the bound delta
                max_rate = max(max_rate, k / trials / delta)
                n_inst += 1
                if slack < worst:
                    worst = slack
                if slack < 0:
                    failures.append(inst)
        cx = None
        if failures:
            inst = failures[0]
            cx = Counterexample(inst, coverage_slack(inst), render_instance(inst), seed=ctx.seed)
        return CheckResult(
            claim_id=claim_id,
            passed=not failures,
            n_instances=n_inst,
            worst_slack=float(worst),
            relative_slack=float(worst_rel),
            counterexample=cx,
            seconds=0.0,
            message=(
                f"{n_inst} configurations x {trials} samples; largest violation frequency / delta = {max_rate:.3f}; "
                f"Clopper-Pearson level 1 - {alpha:.2g} per configuration (Bonferroni, family {FAMILY_ALPHA:g})"
            ),
        )

    return check


_CONFIGS_TEXT = (
    "distributions Bernoulli(0.05, 0.5, 0.9), Uniform(0,1), Beta(0.5,0.5), Beta(2,5); n in {1, 10, 100}; "
    "delta in {0.05, 0.25}"
)

register(
    Claim(
        id="concentration.hoeffding",
        statement=(
            "Hoeffding's inequality: for i.i.d. X_1..X_n in [0, 1] with mean mu and any delta in (0, 1), "
            "Pr(mean_n - mu >= sqrt(log(1/delta) / (2n))) <= delta. Checked by Monte Carlo coverage with a "
            f"Clopper-Pearson margin on {_CONFIGS_TEXT}."
        ),
        latex=r"\Pr\Big(\bar X_n - \mu \ge \sqrt{\tfrac{\log(1/\delta)}{2n}}\Big) \le \delta",
        source="W. Hoeffding (1963), J. Amer. Statist. Assoc. 58, Theorem 2; Boucheron, Lugosi & Massart (2013), "
        "Theorem 2.8",
        kind="inequality",
        tags=("concentration", "statistical", "fast"),
        check=_coverage_check("concentration.hoeffding", "hoeffding"),
        evaluate=coverage_slack,
    )
)

register(
    Claim(
        id="concentration.bernstein",
        statement=(
            "Bernstein's inequality: for i.i.d. X_i with mean mu, variance sigma^2 and X_i - mu <= b, and t = "
            "log(1/delta), "
            "Pr(mean_n - mu >= sqrt(2 sigma^2 t / n) + b t / (3n)) <= delta. Checked by Monte Carlo coverage with a "
            f"Clopper-Pearson margin on {_CONFIGS_TEXT} (b = max support - mu)."
        ),
        latex=(
            r"\Pr\Big(\bar X_n - \mu \ge \sqrt{\tfrac{2\sigma^2\log(1/\delta)}{n}} + "
            r"\tfrac{b\log(1/\delta)}{3n}\Big) \le \delta"
        ),
        source="S. Boucheron, G. Lugosi, P. Massart, Concentration Inequalities (OUP 2013), Theorem 2.10 (Bernstein)",
        kind="inequality",
        tags=("concentration", "statistical", "fast"),
        check=_coverage_check("concentration.bernstein", "bernstein"),
        evaluate=coverage_slack,
    )
)
