"""Claims of distributional dynamic programming (Bellemare et al. 2017; Dabney et al. 2018;
Rowland et al. 2018; Avila Pires et al. 2025).

Slack convention as everywhere: ``rhs - lhs + allowance`` for inequalities,
``-|lhs - rhs| + allowance`` for identities. The allowance is a plain
floating-point slack, ``1e-10 (1 + scale)``: every quantity is a sum of at
most a few hundred products of probabilities with numbers of size <= 20
(``scale``), whose rounding error is below ``1e-12 (1 + scale)``.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks._registry import Slack
from rltheory.proofs_checks._search import property_claim
from rltheory.proofs_checks.strategies import finite_mdps, policies, stochastic_matrices

BDM17 = "M. G. Bellemare, W. Dabney, R. Munos, A Distributional Perspective on Reinforcement Learning, ICML 2017"
ROWLAND18 = (
    "M. Rowland, M. G. Bellemare, W. Dabney, R. Munos, Y. W. Teh, An Analysis of Categorical Distributional RL, "
    "AISTATS 2018"
)
DABNEY18 = "W. Dabney, M. Rowland, M. G. Bellemare, R. Munos, Distributional RL with Quantile Regression, AAAI 2018"
PIRES25 = (
    "B. Avila Pires et al., Optimizing Return Distributions with Distributional Dynamic Programming, JMLR 2025 "
    "(arXiv:2501.13028)"
)


def _allow(*xs) -> float:
    return 1e-10 * (1.0 + max((abs(float(x)) for x in xs), default=0.0))


@st.composite
def _laws(draw, n):
    from rltheory.distributional import FiniteDistribution

    out = []
    for _ in range(n):
        k = draw(st.integers(1, 4))
        x = draw(st.lists(st.floats(-10, 10), min_size=k, max_size=k))
        w = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k)))
        out.append(FiniteDistribution(x, w / w.sum()))
    return out


@st.composite
def _mdp_policy_two_laws(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 4), n_actions=st.integers(1, 3), sparse=st.booleans(), gamma=st.floats(0.05, 0.95)
        )
    )
    return mdp, draw(policies(mdp)), draw(_laws(mdp.n_states)), draw(_laws(mdp.n_states))


def _ratio_slack(instance, kind, metric, order, modulus_of):
    from rltheory.distributional import (
        CategoricalDistribution,
        QuantileDistribution,
        categorical_projection,
        contraction_ratio,
        quantile_projection,
        supremum_distance,
    )

    mdp, pi, a, b = instance
    if kind == "categorical":
        z = np.linspace(-15, 15, 31)
        a = [CategoricalDistribution(z, categorical_projection(d.atoms, d.probs, z)) for d in a]
        b = [CategoricalDistribution(z, categorical_projection(d.atoms, d.probs, z)) for d in b]
    elif kind == "quantile":
        a = [QuantileDistribution(quantile_projection(d.atoms, d.probs, 7)) for d in a]
        b = [QuantileDistribution(quantile_projection(d.atoms, d.probs, 7)) for d in b]
    if supremum_distance(a, b, metric=metric, order=order) <= 1e-9:
        return Slack(0.0, scale=_allow())  # (numerically) equal inputs: 0 <= 0, tight; the ratio is undefined
    c = contraction_ratio(mdp, a, b, policy=pi, metric=metric, order=order)
    rhs = modulus_of(mdp.gamma) * c.distance_before
    allowance = _allow(rhs, c.distance_after)
    return Slack(rhs - c.distance_after + allowance, scale=rhs + allowance)


@property_claim(
    id="distributional.evaluation.wasserstein-contraction",
    statement=(
        "For every finite discounted MDP, stationary policy pi and return-distribution functions eta, eta' with "
        "finite supports, the distributional Bellman operator satisfies sup_s W_p(T^pi eta(s), T^pi eta'(s)) <= "
        "gamma sup_s W_p(eta(s), eta'(s)) for p in {1, 2, inf} (checked here for p = 1 and p = inf)."
    ),
    latex=r"\bar W_p(T^\pi\eta, T^\pi\eta') \le \gamma\, \bar W_p(\eta, \eta')",
    source=f"{BDM17}, Lemma 3",
    kind="inequality",
    tags=("distributional", "fast"),
    strategy=lambda: _mdp_policy_two_laws(),
    message="slack = gamma d(eta, eta') - d(T eta, T eta') + fp allowance, min over p in {1, inf}",
)
def _wasserstein_contraction(instance):
    slacks = (_ratio_slack(instance, "exact", "wasserstein", p, lambda g: g) for p in (1, np.inf))
    return min(slacks, key=lambda x: x.relative)


@property_claim(
    id="distributional.categorical.cramer-contraction",
    statement=(
        "The categorical projected operator Pi_C T^pi is a sqrt(gamma)-contraction in the supremum Cramer "
        "distance, for every finite discounted MDP and policy (support: 31 evenly spaced atoms on [-15, 15])."
    ),
    latex=r"\bar\ell_2(\Pi_C T^\pi\eta, \Pi_C T^\pi\eta') \le \sqrt\gamma\, \bar\ell_2(\eta, \eta')",
    source=f"{ROWLAND18}, Proposition 2",
    kind="inequality",
    tags=("distributional", "fast"),
    strategy=lambda: _mdp_policy_two_laws(),
    message="slack = sqrt(gamma) d - d(Pi_C T eta, Pi_C T eta') + fp allowance",
)
def _cramer_contraction(instance):
    return _ratio_slack(instance, "categorical", "cramer", 1, math.sqrt)


@property_claim(
    id="distributional.quantile.winf-contraction",
    statement=(
        "The quantile projected operator Pi_Q T^pi (n = 7 midpoint quantiles) is a gamma-contraction in the "
        "supremum W_inf distance for every finite discounted MDP and policy."
    ),
    latex=r"\bar W_\infty(\Pi_Q T^\pi\eta, \Pi_Q T^\pi\eta') \le \gamma\, \bar W_\infty(\eta, \eta')",
    source=f"{DABNEY18}, Proposition 2",
    kind="inequality",
    tags=("distributional", "fast"),
    strategy=lambda: _mdp_policy_two_laws(),
    message="slack = gamma d - d(Pi_Q T eta, Pi_Q T eta') + fp allowance",
)
def _quantile_contraction(instance):
    return _ratio_slack(instance, "quantile", "wasserstein", np.inf, lambda g: g)


@property_claim(
    id="distributional.control.not-a-contraction",
    statement=(
        "The distributional control operator (greedy on means) is not a gamma-contraction in sup-W_1: on the "
        "two-action tie of rltheory.distributional.greedy_instability_example there are eta, eta' with "
        "d(T eta, T eta') > gamma d(eta, eta')."
    ),
    latex=r"\exists\,\eta,\eta':\ \bar W_1(T\eta, T\eta') > \gamma\,\bar W_1(\eta,\eta')",
    source=f"{BDM17}, Proposition 1",
    kind="counterexample",
    tags=("distributional", "fast"),
    strategy=lambda: st.tuples(st.floats(0.1, 0.9), st.floats(0.001, 0.05)),
    message="slack = gamma d(eta, eta') - d(T eta, T eta'); the claim passes when a negative slack is found",
)
def _control_not_contraction(instance):
    from rltheory.distributional import FiniteDistribution, contraction_ratio, greedy_instability_example

    gamma, eps = instance
    ex = greedy_instability_example(gamma, eps)
    flipped = list(ex.initial)
    flipped[1] = FiniteDistribution([-eps], [1.0])
    flipped[2] = FiniteDistribution([eps], [1.0])
    c = contraction_ratio(ex.mdp, ex.initial, flipped, metric="wasserstein", order=1)
    return Slack(gamma * c.distance_before - c.distance_after, scale=gamma * c.distance_before)


@st.composite
def _covering_case(draw):
    mdp = draw(finite_mdps(n_states=st.integers(1, 4), sparse=st.booleans(), gamma=st.floats(0.0, 0.9)))
    return mdp, draw(policies(mdp)), draw(st.integers(2, 31))


@property_claim(
    id="distributional.categorical.fixed-point-mean",
    statement=(
        "If the support [z_1, z_m] contains [min r/(1-gamma), max r/(1-gamma)], the fixed point of Pi_C T^pi "
        "has mean v^pi in every state (checked on the computed iterate, whose certified sup-Cramer distance "
        "to the fixed point is <= 1e-10, via |E mu - E nu| <= sqrt(z_m - z_1) l_2(mu, nu))."
    ),
    latex=r"\mathbb E_{\eta_C(s)} G = v^\pi(s)",
    source=f"{ROWLAND18}, Sec. 3 (mean preservation of Pi_C)",
    kind="identity",
    tags=("distributional", "fast"),
    strategy=lambda: _covering_case(),
    message="slack = sqrt(z_m - z_1) bound - max_s |mean - v^pi| + fp allowance",
)
def _fixed_point_mean(instance):
    from rltheory.distributional import categorical_policy_evaluation

    mdp, pi, m = instance
    vmax = 1.0 / (1.0 - mdp.gamma)
    z = np.linspace(-vmax, vmax, m)
    res = categorical_policy_evaluation(mdp, pi, z, tol=1e-10, progress=False)
    Ppi = mdp.policy_transition(pi)
    Ppi = Ppi.toarray() if hasattr(Ppi, "toarray") else Ppi
    v = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * Ppi, mdp.policy_reward(pi))
    err = float(np.max(np.abs(res.means - v)))
    bound = math.sqrt(2 * vmax) * res.bound + _allow(vmax) * 10
    return Slack(bound - err, scale=bound)


@st.composite
def _integer_models(draw):
    from rltheory.tabular import FiniteMDP

    S, A, H = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    P = draw(stochastic_matrices(n_rows=S * A, n_cols=S, sparsity=0.5)).reshape(S, A, S)
    R = np.array(draw(st.lists(st.integers(-2, 2), min_size=S * A, max_size=S * A)), dtype=float).reshape(S, A)
    return FiniteMDP(P, R, gamma=1.0, horizon=H)


def _objectives():
    from rltheory.distributional import BandProbabilityObjective, CVaRObjective

    return st.one_of(
        st.builds(CVaRObjective, st.sampled_from([0.1, 0.25, 0.5, 1.0])),
        st.builds(lambda lo, w: BandProbabilityObjective(lo, lo + w), st.integers(-3, 3), st.integers(0, 2)),
    )


@property_claim(
    id="distributional.stock.augmented-optimum",
    statement=(
        "On finite-horizon, gamma = 1, integer-reward MDPs, distributional DP over the stock-augmented model "
        "(with the Rockafellar-Uryasev auxiliary variable for CVaR) attains the best CVaR_alpha, and the best "
        "probability of a return band, over all deterministic history-dependent policies (brute force)."
    ),
    latex=r"\max_b\max_{\pi\in\Pi_{aug}} \mathbb E\,u_b(G^\pi) = \max_{\pi \in \Pi_{HD}} K(G^\pi)",
    source=f"{PIRES25}, Sec. 3-5 (stock augmentation; CVaR and homeostatic applications)",
    kind="identity",
    tags=("distributional", "stock", "fast"),
    strategy=lambda: st.tuples(_integer_models(), _objectives()),
    message="slack = -|augmented - brute force| + 1e-9",
)
def _augmented_optimum(instance):
    from rltheory.distributional import brute_force_optimization, stock_augmented_optimization

    mdp, objective = instance
    a = stock_augmented_optimization(mdp, objective).value
    b = brute_force_optimization(mdp, objective).value
    return Slack(1e-9 - abs(a - b), scale=1e-9)


def _coin_then_correct():
    from rltheory.tabular import FiniteMDP

    P = np.zeros((5, 2, 5))
    P[0, :, 1] = P[0, :, 2] = 0.5
    P[1:3, :, 3] = 1.0
    P[3:, :, 4] = 1.0
    R = np.zeros((5, 2))
    R[1] = 1
    R[3, 1] = 1
    return FiniteMDP(P, R, gamma=1.0, horizon=3)


@property_claim(
    id="distributional.stock.markov-insufficient",
    statement=(
        "Markov (non-augmented) deterministic policies can be strictly worse than history-dependent ones for "
        "return-distribution objectives: there is a finite-horizon MDP where the best band probability over "
        "Markov policies is below the brute-force history-dependent optimum."
    ),
    latex=r"\exists M:\ \max_{\pi\in\Pi_{M}} \Pr(G^\pi \in [lo,hi]) < \max_{\pi\in\Pi_{HD}} \Pr(G^\pi\in[lo,hi])",
    source=f"{PIRES25}, Sec. 3 (why the stock is needed)",
    kind="counterexample",
    tags=("distributional", "stock", "fast"),
    strategy=lambda: st.one_of(st.just(_coin_then_correct()), _integer_models()),
    message="slack = markov optimum - history optimum + 1e-9; passes when a negative slack is found",
)
def _markov_insufficient(mdp):
    from rltheory.distributional import BandProbabilityObjective, brute_force_optimization

    objective = BandProbabilityObjective(1, 1)
    markov = brute_force_optimization(mdp, objective, policy_class="markov").value
    history = brute_force_optimization(mdp, objective).value
    return Slack(markov - history + 1e-9, scale=history + 1e-9)  # history >= 0: a probability
