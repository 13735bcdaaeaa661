"""Bayes-optimal two-armed Beta-Bernoulli policies: brute force over all adaptive policies, index policies."""

import itertools
from fractions import Fraction

import numpy as np
import pytest

from rltheory.bandits import BayesOptimalPolicy, bayes_optimal_policy, gittins_index, index_policy_value
from rltheory.proofs_checks import get_claim


def _history_values(prior, H):
    """Exact values (Fractions) of every deterministic adaptive policy, enumerated over outcome histories.

    A policy is a choice of arm at every history of (arm, outcome) pairs it can reach; the value is computed from the
    predictive probabilities of each history, not from the sufficient statistics of the DP.
    """
    prior = [(Fraction(a), Fraction(b)) for a, b in prior]

    def value(policy, history):
        t = len(history)
        if t == H:
            return Fraction(0)
        k = policy[tuple(history)]
        a, b = prior[k]
        s = sum(1 for arm, x in history if arm == k and x == 1)
        n = sum(1 for arm, _ in history if arm == k)
        m = (a + s) / (a + b + n)
        return m * (1 + value(policy, history + [(k, 1)])) + (1 - m) * value(policy, history + [(k, 0)])

    # every history of length < H over {0, 1} x {0, 1} (a policy only reads those it reaches)
    histories = [tuple(h) for t in range(H) for h in itertools.product(itertools.product((0, 1), (0, 1)), repeat=t)]
    # choices only matter on histories consistent with the choices before them: enumerate by recursion
    results = []

    def build(policy, frontier):
        if not frontier:
            results.append(value(policy, []))
            return
        h, rest = frontier[0], frontier[1:]
        for k in (0, 1):
            policy[h] = k
            nxt = [h + ((k, x),) for x in (0, 1)] if len(h) + 1 < H else []
            build(policy, rest + nxt)
        del policy[h]

    build({}, [()])
    assert histories  # the enumeration covers the reachable ones
    return results


@pytest.mark.parametrize("prior", [[[1, 1], [1, 1]], [[2, 1], [1, 2]], [[1, 3], [3, 5]]])
@pytest.mark.parametrize("H", [1, 2, 3])
def test_value_is_the_best_over_all_adaptive_policies(prior, H):
    best = max(_history_values(prior, H))
    policy = bayes_optimal_policy(prior, H)
    assert isinstance(policy, BayesOptimalPolicy)
    assert policy.value == pytest.approx(float(best), abs=1e-13)


def test_known_value_two_pulls():
    # pull either arm (1/2); after a success pull it again (2/3), after a failure the other (1/2)
    assert bayes_optimal_policy([[1, 1], [1, 1]], 2).value == pytest.approx(13 / 12, abs=1e-15)


def test_actions_and_q_values():
    p = bayes_optimal_policy([[1, 1], [1, 2]], 4)
    assert p.action(0, 0, 0, 0) == 0  # the arm with the larger prior mean and the same uncertainty wins
    q0 = p.q[0][0, 0, 0]
    assert max(q0) == pytest.approx(p.value) and np.isnan(p.q[1][0, 1, 0, 0])  # s_0 = 1 > n_0 = 0: no belief
    with pytest.raises(ValueError, match="no belief"):
        p.action(1, 0, 1, 0)


def test_index_policies_are_below_the_optimum():
    prior = [[1, 1], [2, 3]]
    opt = bayes_optimal_policy(prior, 12, discount=0.9).value
    greedy = index_policy_value(prior, 12, lambda a, b: a / (a + b), discount=0.9, ties="best")
    assert greedy <= opt + 1e-12


def test_gittins_policy_is_optimal_and_greedy_is_not():
    # the index theorem on the truncation: 0 <= V*_H - V^G_H <= gamma^H / (1 - gamma); greedy breaking its ties
    # against itself violates it here (so the check can fail)
    prior, gamma, H = [[1, 1], [1, 1]], 0.5, 14
    opt = bayes_optimal_policy(prior, H, discount=gamma).value
    bound = gamma**H / (1 - gamma)
    git = index_policy_value(
        prior, H, lambda a, b: gittins_index("beta", gamma, alpha=a, beta=b, tol=1e-9), discount=gamma
    )
    greedy = index_policy_value(prior, H, lambda a, b: a / (a + b), discount=gamma, ties="worst")
    assert -1e-12 <= opt - git <= bound
    assert opt - greedy > bound


def test_index_theorem_claim_passes():
    assert get_claim("bandits.gittins-index-theorem").run().passed


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bayes_optimal_policy([[1, 1]], 3), "prior"),
        (lambda: bayes_optimal_policy([[1, 0], [1, 1]], 3), "> 0"),
        (lambda: bayes_optimal_policy([[1, 1], [1, 1]], 0), "horizon"),
        (lambda: bayes_optimal_policy([[1, 1], [1, 1]], 3, discount=0.0), "discount"),
        (lambda: index_policy_value([[1, 1], [1, 1]], 3, lambda a, b: 0.5, ties="random"), "ties"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
