"""Token tree: soft Bellman against control-as-inference, the r-to-Q* identities and Q-sharp, exactly."""

import numpy as np
import pytest

from rltheory.bandits import (
    AlignmentProblem,
    TokenTree,
    dpo,
    qsharp_values,
    reference_return_distribution,
    soft_optimal_token_policy,
    token_implicit_rewards,
)


def _tree(seed=0, V=3, H=3, beta=0.7):
    rng = np.random.default_rng(seed)
    n_internal = (V**H - 1) // (V - 1)
    return TokenTree(rng.dirichlet(2 * np.ones(V), size=n_internal), rng.normal(size=V**H), beta=beta)


def test_soft_q_is_the_log_message_of_control_as_inference():
    from rltheory.tabular import FiniteMDP, control_as_inference

    tree = _tree()
    V, H, b = tree.vocabulary_size, tree.depth, tree.beta
    S = tree.n_nodes
    n_internal = tree.reference.shape[0]
    P = np.zeros((S, V, S))
    R = np.zeros((S, V))
    prior = np.full((S, V), 1.0 / V)
    for h in range(H):
        for p in range(V**h):
            s = tree.node(h, p)
            prior[s] = tree.reference[s]
            for a in range(V):
                P[s, a, tree.node(h + 1, p * V + a)] = 1.0
                if h == H - 1:
                    R[s, a] = tree.rewards[p * V + a] / b
    for s in range(n_internal, S):
        P[s, :, s] = 1.0
    res = control_as_inference(FiniteMDP(P, R, gamma=1.0, horizon=H), prior=prior)
    sol = soft_optimal_token_policy(tree)
    for h in range(H):
        for p in range(V**h):
            s = tree.node(h, p)
            np.testing.assert_allclose(b * res.q[h, s], sol.q[s], atol=1e-12)


def test_sequence_optimum_factorizes_and_implicit_rewards_are_soft_advantages():
    # Rafailov, Hejna, Park & Finn (2024), Sec. 4
    tree = _tree(1)
    sol = soft_optimal_token_policy(tree)
    ref_seq = tree.sequence_reference()
    # the sequence-level DPO solution of the bandit over sequences
    prob = AlignmentProblem(ref_seq[None], rewards=tree.rewards[None], beta=tree.beta)
    seq = dpo(prob).action_probabilities[0]
    np.testing.assert_allclose(seq, sol.sequence_probabilities, atol=1e-12)
    from rltheory.tabular import kl_regularized_posterior

    exact = np.asarray(kl_regularized_posterior(tree.rewards, ref_seq, tree.beta).action_probabilities)
    imp = token_implicit_rewards(tree, exact)
    V, H = tree.vocabulary_size, tree.depth
    for y in range(V**H):
        digits = [(y // V ** (H - 1 - t)) % V for t in range(H)]
        prefix = 0
        for t, a in enumerate(digits):
            s = tree.node(t, prefix)
            assert imp[y, t] == pytest.approx(sol.q[s, a] - sol.v[s], abs=1e-10)  # the optimal soft advantage
            prefix = prefix * V + a
    np.testing.assert_allclose(imp.sum(axis=1), tree.rewards - sol.v[0], atol=1e-10)  # r(y) - V*(s0)


def test_qsharp_from_reference_return_laws_is_the_soft_q():
    tree = _tree(2, V=2, H=4, beta=0.4)
    np.testing.assert_allclose(qsharp_values(tree), soft_optimal_token_policy(tree).q, atol=1e-12)
    R, p = reference_return_distribution(tree, 0, 1)
    assert p.sum() == pytest.approx(1.0) and R.size == 2**3


def test_bad_trees():
    with pytest.raises(ValueError, match="internal nodes"):
        TokenTree(np.full((2, 2), 0.5), [0.0, 1.0])
    with pytest.raises(ValueError, match="must be > 0"):
        TokenTree(np.array([[1.0, 0.0]]), [0.0, 1.0])
    with pytest.raises(ValueError, match="rewards has shape"):
        TokenTree(np.full((1, 2), 0.5), [0.0, 1.0, 2.0])
