"""Control as inference: log messages = soft Q for deterministic dynamics, trajectory posterior = soft-optimal law,
the optimistic backup for stochastic dynamics, the posterior factorization, and the KL-penalty identity."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.tabular import FiniteMDP, control_as_inference, kl_regularized_posterior, trajectory_laws

EPS = np.finfo(float).eps


@st.composite
def horizon_mdps(draw, deterministic=True):
    S, A, H = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            if deterministic:
                P[s, a, draw(st.integers(0, S - 1))] = 1.0
            else:
                w = np.array(draw(st.lists(st.integers(0, 4), min_size=S, max_size=S)), dtype=float)
                if w.sum() == 0:
                    w[draw(st.integers(0, S - 1))] = 1.0
                P[s, a] = w / w.sum()
    R = np.array(draw(st.lists(st.floats(-3, 3), min_size=S * A, max_size=S * A))).reshape(S, A)
    return FiniteMDP(P, R, gamma=1.0, horizon=H)


def _tol(mdp):
    return (
        64
        * EPS
        * mdp.horizon
        * (1 + mdp.horizon * float(np.max(np.abs(mdp.R))) + np.log(mdp.n_actions * mdp.n_states + 1))
    )


@settings(max_examples=60)
@given(horizon_mdps(deterministic=True))
def test_deterministic_log_message_is_soft_q(mdp):
    # Levine 2018, Sec. 2.4: with deterministic dynamics log E e^{V(s')} = V(s'), so the backups coincide
    res = control_as_inference(mdp)
    fin = np.isfinite(res.soft_q)
    np.testing.assert_allclose(res.q[fin], res.soft_q[fin], atol=_tol(mdp), rtol=0)
    np.testing.assert_allclose(res.action_probabilities, res.soft_action_probabilities, atol=_tol(mdp), rtol=0)
    assert res.optimism_gap <= _tol(mdp)


@settings(max_examples=40)
@given(horizon_mdps(deterministic=True), st.data())
def test_deterministic_trajectory_posterior_is_soft_optimal_law(mdp, data):
    s0 = data.draw(st.integers(0, mdp.n_states - 1))
    mu = np.eye(mdp.n_states)[s0]
    laws = trajectory_laws(mdp, initial_distribution=mu)
    np.testing.assert_allclose(laws.posterior, laws.soft_optimal, atol=_tol(mdp), rtol=0)
    assert abs(laws.soft_optimal.sum() - 1) <= _tol(mdp)


@settings(max_examples=60)
@given(horizon_mdps(deterministic=False), st.data())
def test_stochastic_posterior_factorizes_with_optimistic_dynamics(mdp, data):
    res = control_as_inference(mdp)
    # Jensen: log E e^V >= E V, so the inference backup is optimistic (Levine 2018, Sec. 3)
    fin = np.isfinite(res.soft_q)
    assert np.all(res.q[fin] >= res.soft_q[fin] - _tol(mdp))
    # p(tau | O) = mu'(s0) prod_t pi_post(a_t|s_t) P_post(s_{t+1}|s_t,a_t), mu' ∝ mu e^{V_0}
    s0 = data.draw(st.integers(0, mdp.n_states - 1))
    mu = np.eye(mdp.n_states)[s0]
    laws = trajectory_laws(mdp, initial_distribution=mu)
    H = mdp.horizon
    for row, p in zip(laws.trajectories, laws.posterior):
        prob = 1.0
        for t in range(H):
            s, a, s2 = row[2 * t], row[2 * t + 1], row[2 * t + 2]
            prob *= res.action_probabilities[t, s, a] * res.posterior_transitions[t, s, a, s2]
        assert abs(prob - p) <= _tol(mdp)
    # and log Z = V_0(s0): the normalizer of the trajectory posterior
    P = np.asarray(mdp.P)
    R = np.asarray(mdp.R)
    Z = 0.0
    for row in laws.trajectories:
        w = 1.0
        for t in range(H):
            s, a, s2 = row[2 * t], row[2 * t + 1], row[2 * t + 2]
            w *= P[s, a, s2] * np.exp(R[s, a]) / mdp.n_actions
        Z += w
    assert abs(np.log(Z) - res.v[0, s0]) <= _tol(mdp)


def test_stochastic_gap_is_positive_and_laws_differ():
    # a coin-flip action: log E e^V > E V strictly, and the posterior prefers the lucky outcome
    P = np.zeros((3, 2, 3))
    P[0, 0, [1, 2]] = 0.5  # gamble
    P[0, 1, 0] = 1.0  # stay
    P[1, :, 1] = 1.0
    P[2, :, 2] = 1.0
    R = np.array([[0.0, 0.0], [2.0, 2.0], [-2.0, -2.0]])
    mdp = FiniteMDP(P, R, gamma=1.0, horizon=3)
    res = control_as_inference(mdp)
    assert res.optimism_gap > 0.5
    laws = trajectory_laws(mdp, initial_distribution=[1.0, 0.0, 0.0])
    assert np.max(np.abs(laws.posterior - laws.soft_optimal)) > 0.05
    assert res.posterior_transitions[0, 0, 0, 1] > 0.9  # the posterior believes the coin lands well


@settings(max_examples=80)
@given(st.integers(1, 6), st.floats(0.05, 10.0), st.data())
def test_kl_penalty_identity(A, beta, data):
    r = np.array(data.draw(st.lists(st.floats(-10, 10), min_size=A, max_size=A)))
    w0 = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=A, max_size=A)))
    w = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=A, max_size=A)))
    p0, pi = w0 / w0.sum(), w / w.sum()
    res = kl_regularized_posterior(r, p0, beta)
    post, log_z = res.action_probabilities, res.log_partition
    assert not post.flags.writeable
    lhs = pi @ r - beta * np.sum(pi * np.log(pi / p0))
    rhs = beta * log_z - beta * np.sum(pi * np.log(pi / post))
    scale = np.max(np.abs(r)) + beta * (abs(log_z) + np.max(np.abs(np.log(pi / p0))))
    assert abs(lhs - rhs) <= 64 * A * EPS * (1 + scale)
    # hence pi* maximizes the KL-penalized objective, with value beta log Z
    best = post @ r - beta * np.sum(post * np.log(post / p0))
    assert lhs <= best + 64 * A * EPS * (1 + scale) and abs(best - beta * log_z) <= 64 * A * EPS * (1 + scale)


def test_bad_inputs():
    P = np.ones((1, 1, 1))
    with pytest.raises(ValueError, match="horizon"):
        control_as_inference(FiniteMDP(P, np.zeros((1, 1)), gamma=0.5))
    with pytest.raises(ValueError, match="gamma"):
        control_as_inference(FiniteMDP(P, np.zeros((1, 1)), gamma=0.5, horizon=2))
    with pytest.raises(ValueError, match="max_trajectories"):
        trajectory_laws(FiniteMDP(np.full((3, 3, 3), 1 / 3), np.zeros((3, 3)), gamma=1.0, horizon=8), [1, 0, 0])
    with pytest.raises(ValueError, match="beta"):
        kl_regularized_posterior([0.0], [1.0], 0.0)
