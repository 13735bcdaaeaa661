"""Policy optimization with exact gradients: the policy-gradient formula, Mei et al. Thm 4, Cen et al. Thm 1,
PMD monotonicity / linear rate / PI limit, MDPO -> PMD, trust-region constraint, PMD-mean = mixed KL-chi^2 step."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.rates import assert_rate_at_most, fit_exponential_rate, fit_power_law
from rltheory.proofs_checks.strategies import discounts, finite_mdps
from rltheory.tabular import (
    FiniteMDP,
    mdpo,
    natural_policy_gradient,
    pmd_mean_step,
    policy_evaluation,
    policy_gradient,
    policy_iteration,
    policy_mirror_descent,
    soft_value_iteration,
    softmax_policy,
    softmax_policy_gradient,
    trust_region_policy_optimization,
)

EPS = np.finfo(float).eps
_mdps = finite_mdps(
    n_states=st.integers(1, 4), n_actions=st.integers(1, 3), gamma=discounts(max_value=0.9), action_mask=True
)


def _random_mdp(seed, S=5, A=3, gamma=0.9):
    rng = np.random.default_rng(seed)
    return FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=gamma)


def _scale(mdp):
    return (1.0 + float(np.max(np.abs(mdp.R)))) / (1 - mdp.gamma)


# ------------------------------------------------------------ the gradient
@settings(max_examples=40)
@given(_mdps, st.data())
def test_policy_gradient_matches_finite_differences(mdp, data):
    S, A = mdp.n_states, mdp.n_actions
    theta = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=S * A, max_size=S * A))).reshape(S, A)
    mu = np.full(S, 1.0 / S)
    grad = policy_gradient(mdp, theta, initial_distribution=mu)

    def V(th):
        return float(mu @ policy_evaluation(mdp, softmax_policy(th, mdp.action_mask)).v)

    h = 1e-5
    mask = np.asarray(mdp.action_mask)
    # central differences: error <= h^2/6 * sup|third derivative| + rounding eps * |V| / h; V is smooth with
    # derivatives bounded by O(1/(1-gamma)^4) (Mei et al. 2020: V is 8/(1-gamma)^3-smooth in theta)
    tol = h**2 * 50 / (1 - mdp.gamma) ** 4 * _scale(mdp) + 16 * EPS * _scale(mdp) * S / h
    for s in range(S):
        for a in range(A):
            if not mask[s, a]:
                assert grad[s, a] == 0.0
                continue
            e = np.zeros((S, A))
            e[s, a] = h
            fd = (V(theta + e) - V(theta - e)) / (2 * h)
            assert abs(fd - grad[s, a]) <= tol
    # sum_a pi(a|s) A(s,a) = 0, so each state's gradient sums to zero (exactly, up to rounding)
    assert np.all(np.abs(grad.sum(axis=1)) <= 16 * A * EPS * _scale(mdp) * (1 + 1 / (1 - mdp.gamma)))


def test_mei_theorem_4_bound_along_the_trajectory():
    # Mei et al. 2020, Thm 4: with eta = (1-gamma)^3/8, gap_t <= 16 S ||d*/mu||^2 ||1/mu|| / (c^2 (1-gamma)^6 t)
    # (d normalized). c is the min over the run of min_s pi_t(a*(s)|s) (the paper's inf over t; see Notes).
    mdp = _random_mdp(0, S=2, A=2, gamma=0.5)
    mu = np.full(2, 1 / 2)
    T = 20_000
    res = softmax_policy_gradient(mdp, max_iter=T, initial_distribution=mu)
    pi_star = policy_iteration(mdp).policy
    c = float(np.min(res.action_probabilities_history[:, np.arange(2), pi_star]))
    from rltheory.tabular import discounted_occupancy

    d_star = discounted_occupancy(mdp, pi_star, initial_distribution=mu).sum(axis=1) * (1 - mdp.gamma)
    g = mdp.gamma
    const = 16 * 2 * np.max(d_star / mu) ** 2 * np.max(1 / mu) / (c**2 * (1 - g) ** 6)
    t = np.arange(1, T + 1)
    assert np.all(res.suboptimality[1:] <= const / t + 1e-12)
    # and the O(1/t) rate: on the tail the fitted log-log slope is not significantly above -1
    keep = np.unique(np.geomspace(T // 10, T, 12).astype(int))
    fit = fit_power_law(keep, res.suboptimality[keep])
    assert_rate_at_most(fit, -1.0)


# ------------------------------------------------------------ NPG (Cen et al. 2022)
@settings(max_examples=25)
@given(_mdps, st.floats(0.05, 1.0), st.floats(0.1, 1.0))
def test_cen_theorem_1_bounds(mdp, tau, frac):
    g = mdp.gamma
    eta = frac * (1 - g) / tau
    T = 30
    res = natural_policy_gradient(mdp, step_size=eta, temperature=tau, max_iter=T)
    soft = soft_value_iteration(mdp, tau, tol=1e-13)
    mask = np.asarray(mdp.action_mask)
    P = mdp.P.toarray().reshape(mdp.n_states, mdp.n_actions, -1) if mdp.is_sparse else np.asarray(mdp.P)
    q_star = np.where(mask, np.asarray(mdp.R) + g * np.einsum("saj,j->sa", P, soft.v), 0.0)
    log_pi_star = np.log(np.where(mask, soft.action_probabilities, 1.0))

    def q_of(v):
        return np.where(mask, np.asarray(mdp.R) + g * np.einsum("saj,j->sa", P, v), 0.0)

    C1 = np.max(np.abs(q_star - q_of(res.values_history[0]))) + 2 * tau * (1 - eta * tau / (1 - g)) * np.max(
        np.abs(log_pi_star - np.log(np.where(mask, res.action_probabilities_history[0], 1.0)))
    )
    fp = 1e-9 * _scale(mdp) / (1 - g) + g * soft.bound / (1 - g)
    for t in range(T):
        rate = (1 - eta * tau) ** t
        q_next = q_of(res.values_history[t + 1])
        assert np.max(np.abs(q_star - q_next)) <= C1 * g * rate + fp
        lp = np.log(np.where(mask, res.action_probabilities_history[t + 1], 1.0))
        assert np.max(np.abs(log_pi_star - lp)) <= 2 * C1 / tau * rate + fp / tau


def test_cen_linear_rate_fit():
    mdp = _random_mdp(1, gamma=0.9)
    tau, eta = 0.05, 0.5
    res = natural_policy_gradient(mdp, step_size=eta, temperature=tau, max_iter=400)
    err = res.sup_suboptimality
    keep = np.flatnonzero(err > 1e-11)
    fit = fit_exponential_rate(keep, err[keep])
    assert_rate_at_most(fit, 1 - eta * tau)


# ------------------------------------------------------------ PMD
@settings(max_examples=30)
@given(_mdps, st.sampled_from(["kl", "euclidean"]), st.floats(0.01, 10.0))
def test_pmd_improves_monotonically(mdp, divergence, eta):
    # Xiao 2022, Sec. 4 / Lan 2022, Sec. 3: exact PMD never decreases the value in any state
    res = policy_mirror_descent(mdp, np.full(15, eta), divergence=divergence)
    fp = 64 * mdp.n_states * EPS * _scale(mdp) / (1 - mdp.gamma)
    assert np.all(np.diff(res.values_history, axis=0) >= -fp)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("divergence", ["kl", "euclidean"])
def test_pmd_geometric_steps_linear_rate_gamma(seed, divergence):
    mdp = _random_mdp(seed, gamma=0.8)
    g = mdp.gamma
    res = policy_mirror_descent(mdp, 0.1 / g ** np.arange(60), divergence=divergence)
    err = res.sup_suboptimality
    keep = np.flatnonzero(err > 1e-10 * _scale(mdp))
    if keep.size >= 3:
        assert_rate_at_most(fit_exponential_rate(keep, err[keep]), g)


@pytest.mark.parametrize("seed", range(4))
def test_pmd_infinite_step_is_policy_iteration(seed):
    mdp = _random_mdp(seed)
    res = policy_mirror_descent(mdp, [np.inf] * 8)
    first = res.action_probabilities_history[1]
    pi1 = np.argmax(first, axis=1)
    assert np.allclose(first.max(axis=1), 1.0)  # generic rewards: the greedy step is deterministic
    pi = policy_iteration(mdp, v0_policy=pi1)
    hist = np.asarray(pi.values_history)
    fp = 64 * mdp.n_states * EPS * _scale(mdp) / (1 - mdp.gamma)
    for k in range(hist.shape[0]):
        np.testing.assert_allclose(res.values_history[1 + k], hist[k], atol=fp, rtol=0)


def test_mdpo_approaches_exact_pmd():
    mdp = _random_mdp(2)
    exact = policy_mirror_descent(mdp, [1.0] * 8)
    errs = [
        np.max(np.abs(mdpo(mdp, 1.0, max_iter=8, inner_steps=m).values_history - exact.values_history))
        for m in (1, 10, 100, 1000)
    ]
    assert all(b <= a + 1e-12 for a, b in zip(errs, errs[1:])) and errs[-1] <= 1e-4


def test_trust_region_step_respects_the_constraint_and_improves():
    mdp = _random_mdp(3)
    delta = 0.05
    res = trust_region_policy_optimization(mdp, delta, max_iter=12)
    for a, b in zip(res.action_probabilities_history[:-1], res.action_probabilities_history[1:]):
        kl = np.sum(np.where(b > 0, b * np.log(np.where(b > 0, b, 1) / np.where(a > 0, a, 1)), 0.0), axis=1)
        assert np.all(kl <= delta * (1 + 1e-9) + 1e-15)
    assert np.all(np.diff(res.values_history, axis=0) >= -1e-12)


# ------------------------------------------------------------ PMD-mean (Xu et al. 2026)
@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
@settings(max_examples=30)
@given(st.integers(2, 6), st.floats(0.05, 5.0), st.data())
def test_pmd_mean_is_a_mixed_kl_chi2_step(A, tau, data):
    import cvxpy as cp

    w = np.array(data.draw(st.lists(st.floats(0.05, 1.0), min_size=A, max_size=A)))
    pi = w / w.sum()
    r = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=A, max_size=A)))
    step = pmd_mean_step(pi, r, tau)
    p, k = step.action_probabilities[0], float(step.chi2_weight[0])
    # (1) KKT of the regression (log-policy) objective: log rho - (r - rbar)/tau = -kappa rho
    rho = p / pi
    np.testing.assert_allclose(np.log(rho) - (r - step.mean_reward[0]) / tau, -k * rho, atol=1e-9 * (1 + k + 1 / tau))
    # (2) it is the stationary point of the strictly concave max <p, r> - tau KL(p||pi) - tau kappa/2 chi^2(p||pi)
    # on the open simplex: the gradient r - tau (log rho + 1) - tau kappa (rho - 1) is constant across actions
    grad = r - tau * (np.log(rho) + 1) - tau * k * (rho - 1)
    assert np.ptp(grad) <= 1e-8 * (1 + tau * (1 + k))
    # (3) cross-check with an independent convex solver (interior-point accuracy ~1e-6 on flat instances)
    x = cp.Variable(A)
    obj = r @ x - tau * cp.sum(cp.rel_entr(x, pi)) - tau * k / 2 * cp.sum(cp.multiply(1 / pi, cp.square(x)))
    prob = cp.Problem(cp.Maximize(obj), [cp.sum(x) == 1, x >= 0])
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11, max_iter=500)
    assert prob.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)  # the 1e-8 agreement below is the real check
    # strong concavity (modulus >= tau) turns an objective gap e into ||x - p||^2 <= 2 e / tau
    np.testing.assert_allclose(np.asarray(x.value), p, atol=1e-5)


def test_pmd_mean_takes_smaller_steps_when_mean_reward_is_low():
    # binary rewards, success probability m under pi: PMD-mean's step (KL to pi) is always smaller than the exact
    # PMD step, and relatively smaller the lower m is, over m in [0.1, 0.95] (below ~0.1 the ratio turns up again)
    tau = 0.5
    ratios = []
    for m in (0.1, 0.3, 0.5, 0.7, 0.9, 0.95):
        pi = np.array([m, 1 - m])
        step = pmd_mean_step(pi, [1.0, 0.0], tau)
        kl = lambda p: float(np.sum(p * np.log(p / pi)))
        ratios.append(kl(step.action_probabilities[0]) / kl(step.exact_action_probabilities[0]))
    assert all(0 < x < 1 for x in ratios)
    assert all(a < b for a, b in zip(ratios, ratios[1:]))


def test_bad_inputs():
    mdp = _random_mdp(0, S=2, A=2)
    with pytest.raises(ValueError, match="step_size"):
        natural_policy_gradient(mdp, step_size=10.0, temperature=1.0)
    with pytest.raises(ValueError, match="divergence"):
        policy_mirror_descent(mdp, [1.0], divergence="l1")
    with pytest.raises(ValueError, match="step_sizes"):
        policy_mirror_descent(mdp, [1.0, -1.0])
    with pytest.raises(ValueError, match="theta"):
        policy_gradient(mdp, np.zeros(3))
    with pytest.raises(ValueError, match="temperature"):
        pmd_mean_step([0.5, 0.5], [1.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="average-reward"):
        softmax_policy_gradient(FiniteMDP(np.asarray(mdp.P), mdp.R, gamma=1.0), max_iter=1)
    with pytest.raises(ValueError, match="max_iter = -1 must be >= 0"):
        natural_policy_gradient(mdp, step_size=0.1, max_iter=-1)


def test_result_vocabulary():
    """v / action_probabilities are the last iterate, histories are read-only, max_iter = 0 returns the start."""
    import dataclasses

    mdp = _random_mdp(3)
    runs = [
        softmax_policy_gradient(mdp, max_iter=5),
        natural_policy_gradient(mdp, step_size=0.5, max_iter=5),
        mdpo(mdp, 1.0, max_iter=5, inner_steps=3),
        trust_region_policy_optimization(mdp, 0.1, max_iter=5),
        policy_mirror_descent(mdp, [1.0] * 5),
    ]
    for res in runs:
        assert res.iterations == 5 and res.values_history.shape[0] == 6
        np.testing.assert_array_equal(res.v, res.values_history[-1])
        np.testing.assert_array_equal(res.action_probabilities, res.action_probabilities_history[-1])
        for f in dataclasses.fields(res):
            value = getattr(res, f.name)
            if isinstance(value, np.ndarray):
                assert not value.flags.writeable, f.name
    start = natural_policy_gradient(mdp, step_size=0.5, max_iter=0)
    assert start.iterations == 0
    np.testing.assert_array_equal(start.action_probabilities, np.full((mdp.n_states, mdp.n_actions), 1 / mdp.n_actions))
