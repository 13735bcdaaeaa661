"""Submodular RL: exact optimum against brute force, the (1 - 1/e) guarantee of the greedy marginal-gain policy on
bandit-like models (Nemhauser, Wolsey & Fisher 1978), and SubPO's marginal-gain policy gradient (Prajapat et al.
2024, Sec. 5) against finite differences and against the REINFORCE expectation over enumerated trajectories.
"""

import itertools

import numpy as np
import pytest

from rltheory.tabular import (
    FiniteMDP,
    coverage_function,
    submodular_greedy,
    submodular_optimum,
    submodular_policy_optimization,
)
from rltheory.tabular._submodular import _markov_value_and_gradient


def bandit_model(S, H):
    P = np.stack([np.eye(S)] * S, axis=0)  # action a jumps to state a
    return FiniteMDP(P, np.zeros((S, S)), gamma=1.0, horizon=H)


def random_coverage(rng, S, U=8):
    return coverage_function(rng.uniform(size=(S, U)) < 0.35, rng.uniform(0.1, 1.0, size=U))


def F_of(F, states):
    mask = 0
    for s in states:
        mask |= 1 << s
    return F[mask]


@pytest.mark.parametrize("seed", range(8))
def test_greedy_achieves_one_minus_one_over_e_on_bandit_like_models(seed):
    rng = np.random.default_rng(seed)
    S, H = 5 + seed % 2, 2 + seed % 3
    mdp, F = bandit_model(S, H), random_coverage(rng, S)
    s0 = int(rng.integers(S))
    brute = max(F_of(F, [s0, *seq]) for seq in itertools.product(range(S), repeat=H))
    opt = submodular_optimum(mdp, F, initial_state=s0)
    greedy = submodular_greedy(mdp, F, initial_state=s0)
    assert opt.value == pytest.approx(brute)
    assert greedy.value >= (1 - 1 / np.e) * opt.value - 1e-12
    assert F_of(F, [s0, *greedy.actions]) == pytest.approx(greedy.value)  # open-loop actions = the episode


def test_optimum_equals_brute_force_over_history_dependent_policies_on_a_stochastic_model():
    rng = np.random.default_rng(3)
    S, A, H = 3, 2, 2
    P = rng.dirichlet(np.ones(S), size=(S, A))
    mdp = FiniteMDP(P, np.zeros((S, A)), gamma=1.0, horizon=H)
    F = random_coverage(rng, S, U=5)

    def value(policy, h, s, visited):  # policy: dict history -> action
        if h == H:
            return F_of(F, visited)
        a = policy[tuple(visited)]
        return sum(P[s, a, t] * value(policy, h + 1, t, visited + [t]) for t in range(S))

    histories = [(0,)] + [(0, t) for t in range(S)]
    best = max(
        value(dict(zip(histories, acts)), 0, 0, [0]) for acts in itertools.product(range(A), repeat=len(histories))
    )
    assert submodular_optimum(mdp, F, initial_state=0).value == pytest.approx(best)
    assert submodular_greedy(mdp, F, initial_state=0).value <= best + 1e-12


def test_subpo_gradient_is_the_marginal_gain_policy_gradient():
    rng = np.random.default_rng(5)
    S, A, H = 3, 2, 3
    P = rng.dirichlet(np.ones(S), size=(S, A))
    mask = np.ones((S, A), dtype=bool)
    F = random_coverage(rng, S, U=6)
    theta = rng.normal(size=(H, S, A))

    def pi_of(th):
        p = np.exp(th - th.max(axis=2, keepdims=True))
        return p / p.sum(axis=2, keepdims=True)

    J, g = _markov_value_and_gradient(F, P, mask, 0, H, pi_of(theta))
    # finite differences
    eps, fd = 1e-6, np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[idx] = eps
        fd[idx] = (
            _markov_value_and_gradient(F, P, mask, 0, H, pi_of(theta + e))[0]
            - _markov_value_and_gradient(F, P, mask, 0, H, pi_of(theta - e))[0]
        ) / (2 * eps)
    np.testing.assert_allclose(g, fd, atol=1e-7)
    # the REINFORCE expectation with marginal gains, over every trajectory (the paper's estimator, in expectation)
    pi = pi_of(theta)
    grad, total = np.zeros_like(theta), 0.0
    for acts in itertools.product(range(A), repeat=H):
        for nxt in itertools.product(range(S), repeat=H):
            states = [0, *nxt]
            prob = np.prod([pi[h, states[h], acts[h]] * P[states[h], acts[h], states[h + 1]] for h in range(H)])
            gains = [F_of(F, states[: j + 2]) - F_of(F, states[: j + 1]) for j in range(H)]
            total += prob * F_of(F, states)
            for h in range(H):
                score = -pi[h, states[h]].copy()
                score[acts[h]] += 1.0  # grad of log softmax
                grad[h, states[h]] += prob * score * sum(gains[h:])
    assert J == pytest.approx(total)
    np.testing.assert_allclose(g, grad, atol=1e-12)


def test_subpo_ascends_and_stays_below_the_optimum():
    rng = np.random.default_rng(7)
    mdp, F = bandit_model(5, 3), random_coverage(rng, 5)
    opt = submodular_optimum(mdp, F).value
    res = submodular_policy_optimization(mdp, F, step_size=0.5, max_iter=500)
    hist = np.asarray(res.value_history)
    assert np.all(np.diff(hist) >= -1e-12) and hist[-1] <= opt + 1e-12
    assert np.allclose(np.asarray(res.action_probabilities).sum(axis=2), 1.0)


def test_set_function_and_model_validation():
    mdp = bandit_model(2, 2)
    with pytest.raises(ValueError, match="normalized"):
        submodular_optimum(mdp, np.array([1.0, 1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="not monotone"):
        submodular_optimum(mdp, np.array([0.0, 1.0, 1.0, 0.5]))
    with pytest.raises(ValueError, match="not submodular"):
        submodular_optimum(mdp, np.array([0.0, 1.0, 1.0, 3.0]))
    with pytest.raises(ValueError, match="2\\*\\*S"):
        submodular_optimum(mdp, np.zeros(3))
    with pytest.raises(ValueError, match="finite-horizon"):
        submodular_greedy(FiniteMDP(np.stack([np.eye(2)] * 2), np.zeros((2, 2)), gamma=0.9), np.zeros(4))
