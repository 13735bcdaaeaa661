"""The DPO family: each closed form against a generic solve of the same loss, the published identities, bad inputs."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, log_expit, logsumexp

from rltheory.bandits import (
    AlignmentProblem,
    PairwiseComparisons,
    PreferenceDataset,
    bradley_terry_mle,
    cpl,
    cpl_loss,
    dpo,
    dpo_loss,
    f_divergence_optimal_policy,
    f_dpo,
    f_dpo_loss,
    ipo,
    ipo_loss,
    rdpo,
    rdpo_loss,
    rpo,
    rpo_loss,
    sample_preference_data,
    spo,
    von_neumann_winner,
    vpo,
    vpo_loss,
)


def _problem(seed=0, X=3, Y=4, beta=0.6, concentration=4.0):
    rng = np.random.default_rng(seed)
    ref = rng.dirichlet(concentration * np.ones(Y), size=X)
    return AlignmentProblem(ref, rewards=rng.normal(size=(X, Y)), beta=beta)


def _generic(loss, problem, x0=None):
    """Minimize ``loss(policy)`` over logits with L-BFGS (numerical gradients): a generic solve of the same loss."""
    X, Y = problem.reference.shape

    def f(t):
        th = t.reshape(X, Y)
        return loss(np.exp(th - logsumexp(th, axis=1, keepdims=True)))

    t0 = np.log(problem.reference).ravel() if x0 is None else x0
    res = minimize(f, t0, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 5000})
    th = res.x.reshape(X, Y)
    return np.exp(th - logsumexp(th, axis=1, keepdims=True)), res.fun


# ------------------------------------------------------------------------------------------------ DPO


def test_population_dpo_minimizer_is_the_kl_regularized_optimum():
    # Rafailov et al. (2023), Thm 1 / Sec. 5: with BT preferences and full coverage the minimizer is pi*
    for seed in range(4):
        prob = _problem(seed)
        res = dpo(prob)
        assert res.converged and res.residual <= 1e-10
        np.testing.assert_allclose(res.action_probabilities, prob.optimal_policy(), atol=1e-10)
        # the population loss is a cross-entropy: it is bounded below by the entropy of the labels, attained there
        P = prob.preference_tensor
        w = np.einsum("x,xy,xz->xyz", prob.prompt_weights, prob.reference, prob.reference)
        w[:, np.arange(4), np.arange(4)] = 0
        w /= w.sum(axis=(1, 2), keepdims=True) / prob.prompt_weights[:, None, None]
        entropy = -np.sum(w * (P * np.log(P) + (1 - P) * np.log(1 - P)))
        assert res.loss == pytest.approx(entropy, rel=1e-12)
        pi, value = _generic(lambda p: dpo_loss(p, prob), prob)
        assert res.loss <= value + 1e-12


def test_finite_sample_dpo_is_the_per_prompt_bradley_terry_mle():
    prob = _problem(1)
    data = sample_preference_data(prob, 4000, rng=3)
    res = dpo(prob, data)
    for x in range(prob.n_prompts):
        C = np.asarray(data.counts[x])
        w, lo = np.nonzero(C)
        comps = PairwiseComparisons(np.repeat(w, C[w, lo]), np.repeat(lo, C[w, lo]), prob.n_responses)
        mle = bradley_terry_mle(comps)
        h = res.implicit_rewards[x]
        np.testing.assert_allclose(h - h.mean(), mle.theta, atol=1e-9)
    _, value = _generic(lambda p: dpo_loss(p, prob, data), prob)
    assert res.loss <= value + 1e-12


def test_dpo_refuses_deterministic_preferences_and_missing_data():
    P = np.array([[[0.5, 1.0, 1.0], [0.0, 0.5, 0.7], [0.0, 0.3, 0.5]]])
    prob = AlignmentProblem([[0.3, 0.3, 0.4]], preferences=P)
    with pytest.raises(ValueError, match="not strongly connected"):
        dpo(prob)
    data = PreferenceDataset(np.array([[[0, 5], [3, 0]], [[0, 0], [0, 0]]]))
    with pytest.raises(ValueError, match="prompt 1 has no comparison"):
        dpo(AlignmentProblem([[0.5, 0.5], [0.5, 0.5]], rewards=np.zeros((2, 2))), data)


# ------------------------------------------------------------------------------------------------ IPO


def test_population_ipo_closed_form_and_generic_solve():
    # Azar et al. (2023), Sec. 5: pi ∝ pi_ref exp(p(y > mu) / tau) for mu x mu sampling (mu = pi_ref here)
    for prob in (
        _problem(2),
        AlignmentProblem(
            [[0.2, 0.5, 0.3]], beta=0.4, preferences=[[[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]]]
        ),
    ):
        res = ipo(prob)
        win = np.einsum("xyz,xz->xy", prob.preference_tensor, prob.reference)
        closed = prob.reference * np.exp(win / prob.beta)
        closed /= closed.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(res.action_probabilities, closed, atol=1e-12)
        assert res.converged
        _, value = _generic(lambda p: ipo_loss(p, prob), prob)
        assert res.loss <= value + 1e-12


def test_ipo_is_finite_under_deterministic_preferences_where_dpo_diverges():
    P = np.array([[[0.5, 1.0], [0.0, 0.5]]])
    prob = AlignmentProblem([[0.5, 0.5]], preferences=P, beta=0.5)
    res = ipo(prob)
    # h(0) - h(1) = (p(0 > mu) - p(1 > mu)) / beta = (0.75 - 0.25) / 0.5
    assert math.log(res.action_probabilities[0, 0] / res.action_probabilities[0, 1]) == pytest.approx(1.0, abs=1e-12)
    # the DPO loss keeps decreasing along pi_t ∝ pi_ref exp(t [y = 0]): no minimizer
    losses = [dpo_loss([[e / (1 + e), 1 / (1 + e)]], prob) for e in np.exp([0.0, 5.0, 10.0, 20.0])]
    assert all(a > b for a, b in zip(losses, losses[1:]))


def test_finite_sample_ipo_matches_least_squares():
    prob = _problem(3)
    data = sample_preference_data(prob, 3000, rng=5)
    res = ipo(prob, data)
    _, value = _generic(lambda p: ipo_loss(p, prob, data), prob)
    assert res.loss <= value + 1e-12 and res.converged


# ------------------------------------------------------------------------------------------------ f-DPO


@pytest.mark.parametrize("divergence", ["reverse-kl", "forward-kl", "jensen-shannon", "alpha"])
def test_f_divergence_kkt_policy_solves_the_regularized_program(divergence):
    import cvxpy as cp

    prob = _problem(4, beta=0.8)
    closed = np.asarray(f_divergence_optimal_policy(prob, divergence, alpha=0.3))
    r, ref, b = np.asarray(prob.rewards), np.asarray(prob.reference), prob.beta
    for x in range(prob.n_prompts):
        p = cp.Variable(prob.n_responses, nonneg=True)
        if divergence == "reverse-kl":
            D = cp.sum(cp.rel_entr(p, ref[x]))
        elif divergence == "forward-kl":
            D = -cp.sum(cp.multiply(ref[x], cp.log(p))) + float(np.sum(ref[x] * np.log(ref[x])))
        elif divergence == "jensen-shannon":
            m = (p + ref[x]) / 2
            D = cp.sum(cp.rel_entr(p, m)) + cp.sum(cp.rel_entr(ref[x], m))
        else:
            a = 0.3
            D = cp.sum(
                (cp.multiply(ref[x] ** a, cp.power(p, 1 - a, approx=False)) - (1 - a) * p - a * ref[x]) / (a * (a - 1))
            )
        program = cp.Problem(cp.Maximize(r[x] @ p - b * D), [cp.sum(p) == 1])
        program.solve(solver="CLARABEL")
        assert program.status == "optimal"
        value_closed = float(r[x] @ closed[x])
        u = closed[x] / ref[x]
        f = {
            "reverse-kl": u * np.log(u),
            "forward-kl": -np.log(u),
            "jensen-shannon": u * np.log(u) - (1 + u) * np.log((1 + u) / 2),
            "alpha": (u**0.7 - 0.7 * u - 0.3) / (0.3 * -0.7),
        }[divergence]
        value_closed -= b * float(np.sum(ref[x] * f))
        assert value_closed >= program.value - 1e-7  # the KKT point is the optimum
        np.testing.assert_allclose(closed[x], p.value, atol=1e-4)


@pytest.mark.parametrize("divergence", ["reverse-kl", "forward-kl", "jensen-shannon", "alpha"])
def test_f_dpo_population_and_finite_sample_minimizers(divergence):
    prob = _problem(5, beta=0.7)
    res = f_dpo(prob, divergence=divergence, alpha=0.4)
    np.testing.assert_allclose(
        res.action_probabilities, f_divergence_optimal_policy(prob, divergence, alpha=0.4), atol=1e-9
    )
    data = sample_preference_data(prob, 3000, rng=6)
    res = f_dpo(prob, data, divergence=divergence, alpha=0.4)
    assert res.converged
    _, value = _generic(lambda p: f_dpo_loss(p, prob, data, divergence=divergence, alpha=0.4), prob)
    assert res.loss <= value + 1e-12


# ------------------------------------------------------------------------------------------------ rDPO


def test_rdpo_loss_is_an_unbiased_estimate_of_the_clean_loss():
    # Chowdhury et al. (2024), Lemma 3.1, exactly (sympy): for a sample with clean label (w, l) observed as (w, l)
    # w.p. 1 - eps and as (l, w) w.p. eps, E[l_hat] = l(z_wl) for every z and eps < 1/2
    import sympy as sp

    z, eps = sp.symbols("z epsilon", real=True)
    ell = lambda t: sp.log(1 + sp.exp(-t))  # noqa: E731
    lhat = lambda t: ((1 - eps) * ell(t) - eps * ell(-t)) / (1 - 2 * eps)  # noqa: E731
    assert sp.simplify((1 - eps) * lhat(z) + eps * lhat(-z) - ell(z)) == 0
    # numerically on a dataset: the expected noisy counts give the clean loss
    prob = _problem(6)
    pi = np.asarray(prob.optimal_policy()) * 0.5 + 0.5 * np.asarray(prob.reference)
    clean = sample_preference_data(prob, 3000, rng=1)
    e = 0.2
    C = np.asarray(clean.counts)
    expected_noisy = (1 - e) * C + e * C.transpose(0, 2, 1)
    scaled = PreferenceDataset(np.rint(expected_noisy * 10).astype(np.int64))
    # with counts scaled by 10 the rounding error vanishes when (1 - e) and e have one decimal
    assert rdpo_loss(pi, prob, scaled, flip_rate=e) == pytest.approx(dpo_loss(pi, prob, clean), rel=1e-12)


def test_rdpo_single_pair_closed_form_and_generic_solve():
    prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]], beta=2.0)
    data = PreferenceDataset(np.array([[[0, 35], [65, 0]]]))
    res = rdpo(prob, data, flip_rate=0.15)
    z = res.implicit_rewards[0, 1] - res.implicit_rewards[0, 0]
    assert expit(z) == pytest.approx((0.65 - 0.15) / 0.7, rel=1e-12)
    prob = _problem(7)
    data = sample_preference_data(prob, 5000, flip_rate=0.2, rng=2)
    res = rdpo(prob, data, flip_rate=0.2)
    _, value = _generic(lambda p: rdpo_loss(p, prob, data, flip_rate=0.2), prob)
    assert res.loss <= value + 1e-12


# ------------------------------------------------------------------------------------------------ RPO


def test_rpo_solution_is_the_saddle_point_of_the_max_min_problem():
    # Liu et al. (2024), Sec. 5: the minimizer of DPO + eta beta SFT is the policy of the saddle point of
    # max_pi min_r  L_BT(r) / eta + E_pi r - E_base r - beta KL(pi || pi_ref)
    prob = _problem(8)
    data = sample_preference_data(prob, 2000, rng=4)
    eta = 0.7
    res = rpo(prob, data, eta=eta)
    pi = np.asarray(res.action_probabilities)
    chosen = np.asarray(data.counts).sum(axis=2).astype(float)
    base = chosen / chosen.sum(axis=1, keepdims=True)
    C = np.asarray(data.counts, dtype=float) / data.n_comparisons
    rho = C.sum(axis=(1, 2))

    def inner(r_flat):  # the convex inner objective in r for the fixed policy pi
        r = r_flat.reshape(pi.shape)
        z = r[:, :, None] - r[:, None, :]
        bt = -np.sum(C * log_expit(z))
        return bt / eta + float(np.sum(rho[:, None] * (pi - base) * r))

    r_hat = prob.beta * (np.log(pi) - np.log(prob.reference))
    generic = minimize(inner, np.zeros(pi.size), method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15})
    assert inner(r_hat.ravel()) <= generic.fun + 1e-10  # r_hat is the adversary's best response to pi
    # and pi is the best response to r_hat: pi ∝ pi_ref exp(r_hat / beta) holds by construction (Gibbs)
    gibbs = prob.reference * np.exp(r_hat / prob.beta)
    np.testing.assert_allclose(pi, gibbs / gibbs.sum(axis=1, keepdims=True), atol=1e-12)
    _, value = _generic(lambda p: rpo_loss(p, prob, data, eta=eta), prob)
    assert res.loss <= value + 1e-12


# ------------------------------------------------------------------------------------------------ VPO


def test_vpo_policy_form_equals_reward_form_and_pessimism_lowers_the_value():
    # Cen et al. (2024): r_hat = argmin L_BT(r) - s alpha V(r), V(r) = max_pi J_r(pi) - E_cal r
    prob = _problem(9)
    data = sample_preference_data(prob, 3000, rng=8)
    alpha, cal = 0.8, np.asarray(prob.reference)
    C = np.asarray(data.counts, dtype=float) / data.n_comparisons
    rho = C.sum(axis=(1, 2))
    b, ref = prob.beta, np.asarray(prob.reference)

    def V(r):
        return float(np.sum(rho * (b * logsumexp(r / b + np.log(ref), axis=1) - np.sum(cal * r, axis=1))))

    def L_bt(r):
        return -float(np.sum(C * log_expit(r[:, :, None] - r[:, None, :])))

    rng = np.random.default_rng(0)
    for sign in (-1, 1):
        r = rng.normal(size=ref.shape)
        pi = ref * np.exp(r / b)
        pi /= pi.sum(axis=1, keepdims=True)
        assert vpo_loss(pi, prob, data, alpha=alpha, sign=sign, calibration=cal) == pytest.approx(
            L_bt(r) - sign * alpha * V(r), rel=1e-12
        )
    mle = dpo(prob, data)
    pess = vpo(prob, data, alpha=alpha, sign=-1)
    r_of = lambda res: b * (np.log(res.action_probabilities) - np.log(ref))  # noqa: E731
    assert V(r_of(pess)) <= V(r_of(mle)) + 1e-12  # pessimism: the regularized estimate has a lower value
    opt = vpo(prob, data, alpha=0.05, sign=+1)
    assert opt.converged and V(r_of(opt)) >= V(r_of(mle)) - 1e-12  # optimism (certified local minimizer)
    _, value = _generic(lambda p: vpo_loss(p, prob, data, alpha=alpha, sign=-1), prob)
    assert pess.loss <= value + 1e-12


# ------------------------------------------------------------------------------------------------ CPL


def test_cpl_recovers_the_optimal_advantage_under_regret_preferences():
    # Hejna et al. (2024), Sec. 3: with regret-based preferences the CPL minimizer is pi*, A = beta log(pi*/pi_ref)
    import cvxpy as cp

    prob = _problem(10, X=2, Y=3)
    res = cpl(prob)
    assert res.converged
    np.testing.assert_allclose(res.action_probabilities, prob.optimal_policy(), atol=1e-10)
    A_star = prob.beta * (np.log(prob.optimal_policy()) - np.log(prob.reference))
    np.testing.assert_allclose(res.implicit_rewards, A_star, atol=1e-9)
    # generic convex solve of the same loss over {A: sum_y ref e^{A / beta} <= 1}
    X, Y = prob.reference.shape
    a = (A_star).ravel()
    P = expit(a[:, None] - a[None, :])
    W = np.ones((X * Y, X * Y))
    np.fill_diagonal(W, 0)
    W /= W.sum()
    A = cp.Variable(X * Y)
    i, j = np.nonzero(W)
    obj = cp.sum(cp.multiply((W * P)[i, j], cp.logistic(-(A[i] - A[j]))))
    cons = [cp.log_sum_exp(A[x * Y : (x + 1) * Y] / prob.beta + np.log(prob.reference[x])) <= 0 for x in range(X)]
    program = cp.Problem(cp.Minimize(obj), cons)
    program.solve(solver="CLARABEL")
    assert program.status == "optimal" and res.loss <= program.value + 1e-9
    # under reward-based preferences (sum of rewards) across prompts, no policy attains the minimum
    assert not cpl(prob, preference_model="reward").converged
    assert cpl_loss(prob.optimal_policy(), prob) == pytest.approx(res.loss, rel=1e-10)


# ------------------------------------------------------------------------------------------------ SPO


def test_spo_average_iterate_is_an_approximate_von_neumann_winner():
    P = np.array([[[0.5, 0.9, 0.2, 0.6], [0.1, 0.5, 0.8, 0.6], [0.8, 0.2, 0.5, 0.6], [0.4, 0.4, 0.4, 0.5]]])
    prob = AlignmentProblem([[0.25] * 4], preferences=P)
    vn = von_neumann_winner(P[0])
    for T in (10, 100, 1000):
        res = spo(prob, T)
        # Hedge's regret bound (Cesa-Bianchi & Lugosi 2006, Thm 2.2): exploitability <= sqrt(log Y / (2 T))
        assert 0 <= res.exploitability[0] <= res.exploitability_bound + 1e-12
    assert np.abs(res.action_probabilities[0] - vn.lottery).max() < 0.05


# ------------------------------------------------------------------------------------------------ bad inputs


def test_bad_inputs_give_clear_errors():
    with pytest.raises(ValueError, match=r"reference\[0\] sums to 0.9"):
        AlignmentProblem([[0.4, 0.5]], rewards=[[0.0, 1.0]])
    with pytest.raises(ValueError, match=r"reference\[0, 1\] = 0: every response needs positive"):
        AlignmentProblem([[1.0, 0.0]], rewards=[[0.0, 1.0]])
    with pytest.raises(ValueError, match="finite"):
        AlignmentProblem([[0.5, 0.5]], preferences=[[[0.5, np.nan], [np.nan, 0.5]]])
    with pytest.raises(ValueError, match="exactly one"):
        AlignmentProblem([[0.5, 0.5]])
    with pytest.raises(ValueError, match="finite"):
        AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, np.nan]])
    with pytest.raises(ValueError, match="beta"):
        AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]], beta=0.0)
    prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]])
    with pytest.raises(ValueError, match="policy"):
        dpo_loss([[0.5, 0.6]], prob)
    with pytest.raises(ValueError, match="flip_rate"):
        rdpo(prob, PreferenceDataset(np.array([[[0, 1], [1, 0]]])), flip_rate=0.5)
    with pytest.raises(ValueError, match="counts"):
        PreferenceDataset(np.array([[[1, 1], [1, 0]]]))
