"""Average reward: GTH stationary distributions, chain/MDP classification, gain and bias identities,
the Laurent expansion of the discounted value, RVI bounds, multichain PI vs brute force, the LP, guards."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps, policies, stochastic_matrices
from rltheory.tabular import (
    FiniteMDP,
    average_reward_linear_programming,
    average_reward_plugin,
    average_reward_policy_iteration,
    chain_classes,
    classify,
    discounted_occupancy,
    gain_and_bias,
    linear_programming,
    mixing_time,
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    relative_value_iteration,
    stationary_distribution,
    value_iteration,
)

EPS = np.finfo(float).eps


def _average_model(mdp):
    """The same transitions and rewards as an average-reward model (gamma = 1)."""
    return FiniteMDP(mdp.P, mdp.R, gamma=1.0, action_mask=mdp.action_mask if mdp.has_action_mask else None)


@st.composite
def sparse_mdps(draw, n_states=st.integers(1, 5), n_actions=st.integers(1, 3)):
    """Average-reward models whose rows have 1-2 successors: often multichain or periodic."""
    S, A = draw(n_states), draw(n_actions)
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            succ = draw(st.lists(st.integers(0, S - 1), min_size=1, max_size=2, unique=True))
            w = draw(st.lists(st.integers(1, 4), min_size=len(succ), max_size=len(succ)))
            P[s, a, succ] = np.array(w, dtype=float) / sum(w)
    R = np.array(draw(st.lists(st.integers(-3, 3), min_size=S * A, max_size=S * A)), dtype=float).reshape(S, A)
    return FiniteMDP(P, R, gamma=1.0)


def _dense(mdp):
    S, A = mdp.n_states, mdp.n_actions
    return mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(mdp.P)


def _all_policies(mdp):
    mask = np.asarray(mdp.action_mask)
    return [np.array(p) for p in itertools.product(*[np.flatnonzero(mask[s]) for s in range(mdp.n_states)])]


# ------------------------------------------------------------ stationary distribution (GTH)
@settings(max_examples=60)
@given(stochastic_matrices(n_rows=st.shared(st.integers(1, 8), key="n"), n_cols=st.shared(st.integers(1, 8), key="n")))
def test_stationary_distribution_is_invariant(P):
    classes = chain_classes(P)
    if len(classes.recurrent_classes) != 1:
        with pytest.raises(ValueError, match="recurrent classes"):
            stationary_distribution(P)
        return
    pi = stationary_distribution(P)
    n = P.shape[0]
    assert abs(pi.sum() - 1.0) <= 4 * n * EPS
    assert (pi >= 0).all() and (pi[classes.transient_states] == 0).all()
    # pi P = pi: GTH has componentwise relative error O(n^3 eps) (O'Cinneide 1993); the residual of a
    # probability vector against a stochastic matrix is then at most that times ||pi||_1 = 1
    assert np.max(np.abs(pi @ P - pi)) <= 8 * n**3 * EPS


@pytest.mark.parametrize("p", [1e-3, 1e-9, 1e-15])
def test_gth_componentwise_accurate_on_nearly_decoupled_chain(p):
    # pi = (q, p) / (p + q) exactly; GTH never subtracts, so even the tiny entry is relatively accurate
    q = 0.5
    P = np.array([[1 - p, p], [q, 1 - q]])
    pi = stationary_distribution(P)
    exact = np.array([q, p]) / (p + q)
    assert np.all(np.abs(pi - exact) <= 16 * EPS * exact)


def test_chain_classes_and_periods():
    # 0 -> {1,2} cycle of period 2; 3 absorbing; 4 transient into both
    P = np.zeros((5, 5))
    P[0, 1] = 1
    P[1, 2] = 1
    P[2, 1] = 1
    P[3, 3] = 1
    P[4, [0, 3]] = 0.5
    c = chain_classes(P)
    assert [k.tolist() for k in c.recurrent_classes] == [[1, 2], [3]]
    assert c.transient_states.tolist() == [0, 4] and c.periods == (2, 1)
    with pytest.raises(ValueError, match="row 0 of P sums to"):
        chain_classes(np.array([[0.5, 0.4], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="negative"):
        chain_classes(np.array([[1.5, -0.5], [0.0, 1.0]]))


@pytest.mark.parametrize("p", [0.1, 0.3, 0.45])
@pytest.mark.parametrize("eps", [0.25, 0.01])
def test_mixing_time_two_state_closed_form(p, eps):
    # symmetric chain: d(t) = |1 - 2p|^t / 2 (Levin-Peres-Wilmer 2017, Sec. 1.1), so t_mix = ceil(log(2 eps)/log|1-2p|)
    P = np.array([[1 - p, p], [p, 1 - p]])
    expected = int(np.ceil(np.log(2 * eps) / np.log(abs(1 - 2 * p)) - 1e-12))
    assert mixing_time(P, eps) == max(expected, 0)


def test_mixing_time_refuses_periodic_and_multichain():
    with pytest.raises(ValueError, match="period 2"):
        mixing_time(np.array([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="2 recurrent classes"):
        mixing_time(np.eye(2))
    with pytest.raises(ValueError, match="eps"):
        mixing_time(np.eye(1), 1.0)


# ------------------------------------------------------------ gain and bias
@settings(max_examples=60)
@given(
    st.one_of(
        sparse_mdps(),
        finite_mdps(n_states=st.integers(1, 5), n_actions=st.integers(1, 3), action_mask=True).map(_average_model),
    ),
    st.data(),
)
def test_gain_and_bias_solve_the_evaluation_equations(mdp, data):
    pi = data.draw(policies(mdp, deterministic=data.draw(st.booleans())))
    res = gain_and_bias(mdp, pi)
    P = mdp.policy_transition(pi)
    P = P.toarray() if hasattr(P, "toarray") else np.asarray(P)
    r = mdp.policy_reward(pi)
    S = mdp.n_states
    scale = 1.0 + float(np.max(np.abs(r)))
    # Puterman 2005, Theorem 8.2.6: (I - P) g = 0, g + (I - P) h = r, P* h = 0 (unique solution)
    kappa = np.linalg.cond(np.eye(S) - P + res.limiting_matrix)
    tol = 64 * S * kappa * EPS * scale
    assert np.max(np.abs(res.gain - P @ res.gain)) <= tol
    assert np.max(np.abs(res.gain + res.bias - r - P @ res.bias)) <= tol
    assert np.max(np.abs(res.limiting_matrix @ res.bias)) <= tol
    assert res.residual <= tol
    # P* is stochastic and idempotent, P P* = P* P = P* (Puterman, Theorem A.2)
    Ps = res.limiting_matrix
    assert (
        np.max(np.abs(Ps @ Ps - Ps)) <= tol
        and np.max(np.abs(P @ Ps - Ps)) <= tol
        and np.max(np.abs(Ps @ P - Ps)) <= tol
    )


@pytest.mark.parametrize("seed", range(4))
def test_laurent_expansion_of_the_discounted_value(seed):
    # Puterman 2005, Theorem 8.2.3: v_gamma = g / (1 - gamma) + h + O(1 - gamma) (rho = (1-gamma)/gamma)
    rng = np.random.default_rng(seed)
    S, A = 5, 2
    P = rng.dirichlet(np.ones(S) * 0.3, size=(S, A))
    R = rng.uniform(-1, 1, size=(S, A))
    pi = rng.integers(0, A, size=S)
    res = gain_and_bias(FiniteMDP(P, R, gamma=1.0), pi)
    errs = []
    for k in (2, 3, 4):
        gamma = 1 - 10.0**-k
        v = policy_evaluation(FiniteMDP(P, R, gamma=gamma), pi).v
        errs.append(np.max(np.abs(v - res.gain / (1 - gamma) - res.bias)))
    # the remainder is linear in 1 - gamma: each factor 10 in 1 - gamma divides it by ~10 (allow 5 for conditioning)
    assert errs[1] <= errs[0] / 5 + 1e-9 and errs[2] <= errs[1] / 5 + 1e-8


def test_gain_and_bias_known_answer_periodic_chain():
    # 2-cycle with rewards (1, 0): g = 1/2, h = (1/4, -1/4) (Cesaro bias; Puterman Example 8.2.1-style)
    P = np.zeros((2, 1, 2))
    P[0, 0, 1] = P[1, 0, 0] = 1.0
    res = gain_and_bias(FiniteMDP(P, np.array([[1.0], [0.0]]), gamma=1.0), [0, 0])
    np.testing.assert_allclose(res.gain, [0.5, 0.5], atol=4 * EPS)
    np.testing.assert_allclose(res.bias, [0.25, -0.25], atol=4 * EPS)


# ------------------------------------------------------------ classification
def test_classify_examples():
    # two absorbing states reachable from 0: multichain, not weakly communicating
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 2] = P[1, :, 1] = P[2, :, 2] = 1.0
    c = classify(FiniteMDP(P, np.zeros((3, 2)), gamma=1.0))
    assert (c.communicating, c.weakly_communicating, c.unichain, c.multichain) == (False, False, False, True)
    assert [e.tolist() for e in c.end_components] == [[1], [2]] and c.transient_states.tolist() == [0]
    # 0 <-> 1 with stay actions: communicating, multichain (stay in both)
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 1] = P[1, 1, 0] = 1.0
    c = classify(FiniteMDP(P, np.zeros((2, 2)), gamma=1.0))
    assert (c.communicating, c.weakly_communicating, c.unichain) == (True, True, False)
    # weakly communicating, not communicating: state 0 leaves forever into the cycle {1, 2}
    P = np.zeros((3, 1, 3))
    P[0, 0, 1] = P[1, 0, 2] = P[2, 0, 1] = 1.0
    c = classify(FiniteMDP(P, np.zeros((3, 1)), gamma=1.0))
    assert (c.communicating, c.weakly_communicating, c.unichain) == (False, True, True)
    with pytest.raises(ValueError, match="NP-hard"):
        classify(FiniteMDP(np.full((13, 2, 13), 1 / 13), np.zeros((13, 2)), gamma=1.0))


@settings(max_examples=60)
@given(sparse_mdps())
def test_classification_matches_definitions(mdp):
    c = classify(mdp)
    pols = _all_policies(mdp)
    P = _dense(mdp)
    S = mdp.n_states
    recurrent_somewhere = np.zeros(S, dtype=bool)
    n_classes = []
    for d in pols:
        cc = chain_classes(P[np.arange(S), d])
        n_classes.append(len(cc.recurrent_classes))
        for k in cc.recurrent_classes:
            recurrent_somewhere[k] = True
    assert c.unichain == all(n == 1 for n in n_classes)
    # a state recurrent under some deterministic policy lies in an end component and conversely
    assert np.flatnonzero(~recurrent_somewhere).tolist() == c.transient_states.tolist()
    assert (not c.communicating) or c.weakly_communicating
    assert (not c.unichain) or c.weakly_communicating  # unichain => one recurrent class => one end component
    # weakly communicating => the optimal gain is constant (Puterman 2005, Theorem 8.3.2)
    g = average_reward_policy_iteration(mdp).gain
    if c.weakly_communicating:
        assert np.ptp(g) <= 1e-9 * (1 + np.max(np.abs(mdp.R)))


# ------------------------------------------------------------ solvers
@settings(max_examples=60)
@given(sparse_mdps())
def test_multichain_policy_iteration_is_optimal_on_every_state(mdp):
    # Puterman 2005, Theorem 9.1.8: a deterministic stationary policy attains max_pi g^pi(s) on every state
    res = average_reward_policy_iteration(mdp)
    brute = np.max([gain_and_bias(mdp, d).gain for d in _all_policies(mdp)], axis=0)
    tol = 1e-9 * (1 + np.max(np.abs(mdp.R)))
    np.testing.assert_allclose(res.gain, brute, atol=tol, rtol=0)
    # gains non-decreasing along the iterations (Puterman Prop. 9.2.1)
    assert np.all(np.diff(res.gains_history, axis=0) >= -tol)


@settings(max_examples=40)
@given(
    st.one_of(
        sparse_mdps(),
        finite_mdps(
            n_states=st.integers(1, 5), n_actions=st.integers(1, 3), sparse=st.booleans(), action_mask=True
        ).map(_average_model),
    )
)
def test_rvi_bounds_bracket_the_optimal_gain(mdp):
    if not classify(mdp).weakly_communicating:
        with pytest.raises(ValueError, match="average_reward_policy_iteration"):
            relative_value_iteration(mdp)
        return
    g_star = average_reward_policy_iteration(mdp).gain[0]
    tol = 1e-9
    res = relative_value_iteration(mdp, tol=tol)
    fp = 64 * EPS * mdp.n_states * (1 + np.max(np.abs(mdp.R)) + np.max(np.abs(res.bias)))
    assert res.converged and res.gain_upper - res.gain_lower <= tol
    # Odoni bounds (Puterman Theorem 8.5.5) and g^pi >= min(Tw - w)
    assert res.gain_lower - fp <= g_star <= res.gain_upper + fp
    assert np.all(np.abs(res.gain - g_star) <= (res.gain_upper - res.gain_lower) / 2 + fp)
    g_pi = gain_and_bias(mdp, res.policy).gain
    assert np.all(g_pi >= res.gain_lower - fp) and np.all(g_pi <= g_star + fp)
    # the relative values solve the optimality equation up to the span: |T h - h - g*| <= span
    P = _dense(mdp)
    Th = np.max(np.where(np.asarray(mdp.action_mask), np.asarray(mdp.R) + P @ res.bias, -np.inf), axis=1)
    assert np.max(np.abs(Th - res.bias - g_star)) <= tol + fp
    # a few sweeps only: the bounds still bracket g*
    short = relative_value_iteration(mdp, tol=np.finfo(float).tiny, max_iter=3)
    assert short.gain_lower - fp <= g_star <= short.gain_upper + fp and short.iterations <= 3
    assert short.residual == short.gain_upper - short.gain_lower


@pytest.mark.parametrize("seed", range(3))
def test_rvi_pi_lp_agree_on_the_optimal_gain(seed):
    from rltheory.tabular.envs import garnet

    mdp = _average_model(garnet(12, 3, 3, rng=seed))
    pi_res = average_reward_policy_iteration(mdp)
    rvi = relative_value_iteration(mdp, tol=1e-10)
    lp = average_reward_linear_programming(mdp)
    assert gain_and_bias(mdp, rvi.policy).gain.min() >= rvi.gain_lower - 1e-12
    g = pi_res.gain[0]
    assert rvi.gain_lower - 1e-12 <= g <= rvi.gain_upper + 1e-12
    assert lp.gain.min() >= g - 1e-9 and lp.objective <= lp.gain_upper and g <= lp.gain_upper + 1e-12
    np.testing.assert_allclose(rvi.gain, g, atol=1e-9)


def test_rvi_needs_aperiodicity_transformation_on_a_periodic_model():
    # single action 2-cycle: plain RVI (tau = 1) oscillates, tau = 1/2 converges (Puterman Sec. 8.5.4)
    P = np.zeros((2, 1, 2))
    P[0, 0, 1] = P[1, 0, 0] = 1.0
    mdp = FiniteMDP(P, np.array([[1.0], [0.0]]), gamma=1.0)
    assert not relative_value_iteration(mdp, aperiodicity=1.0, max_iter=200).converged
    res = relative_value_iteration(mdp, aperiodicity=0.5, tol=1e-12)
    assert res.converged and abs(res.gain_lower - 0.5) <= 1e-12


def test_river_swim_average_reward():
    from rltheory.tabular.envs import river_swim

    mdp = river_swim(n_states=6, gamma=1.0)
    res = average_reward_policy_iteration(mdp)
    rvi = relative_value_iteration(mdp, tol=1e-10)
    assert np.ptp(res.gain) <= 1e-12 and rvi.gain_lower - 1e-12 <= res.gain[0] <= rvi.gain_upper + 1e-12
    assert (res.policy == 1).all()  # always swim right (Strehl & Littman 2008)


def test_plugin_estimator_is_consistent():
    from rltheory.tabular.envs import garnet

    mdp = _average_model(garnet(6, 2, 3, rng=1))
    res = average_reward_plugin(mdp, 20_000, rng=0)
    assert 0.0 <= res.suboptimality <= 1e-2
    assert res.empirical_mdp.n_states == 6 and res.n_samples == 20_000
    with pytest.raises(ValueError, match="n_samples"):
        average_reward_plugin(mdp, 0)


# ------------------------------------------------------------ guards of the discounted solvers
def test_discounted_solvers_point_to_average_reward():
    P = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    mdp = FiniteMDP(P, np.ones((2, 1)), gamma=1.0)
    for call in (
        lambda: value_iteration(mdp),
        lambda: modified_policy_iteration(mdp),
        lambda: policy_iteration(mdp),
        lambda: policy_evaluation(mdp, [0, 0]),
        lambda: linear_programming(mdp),
        lambda: discounted_occupancy(mdp, [0, 0], initial_distribution=[1.0, 0.0]),
    ):
        with pytest.raises(ValueError, match="average-reward"):
            call()


def test_average_reward_pi_max_iter_is_a_result():
    """Hitting max_iter gives converged=False (it raised RuntimeError); max_iter = 0 evaluates the start."""
    from rltheory.tabular.envs import river_swim

    mdp = river_swim(n_states=6, gamma=1.0)
    full = average_reward_policy_iteration(mdp)
    assert full.converged and full.gains_history.shape == (full.iterations + 1, 6) and full.iterations >= 1
    res = average_reward_policy_iteration(mdp, max_iter=0)
    assert not res.converged and res.iterations == 0 and res.gains_history.shape == (1, 6)
    assert np.all(res.gain <= full.gain + 1e-12)
    for arr in (res.gain, res.bias, res.policy, res.gains_history):
        assert not arr.flags.writeable


def test_rvi_never_certifies_a_non_finite_iterate(monkeypatch):
    from rltheory.tabular import _kernels

    P = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    mdp = FiniteMDP(P, np.ones((2, 1)), gamma=1.0)

    def overflowing(P, R, gamma, w, mask, use_mask, tw, pi):
        tw[:] = [np.inf, 1.0]
        pi[:] = 0
        return 0.0, 0.0  # the compiled min/max skip NaN

    monkeypatch.setattr(_kernels, "bellman_backup_dense", overflowing)
    res = relative_value_iteration(mdp)
    assert not res.converged and res.gain_lower == -np.inf and res.gain_upper == np.inf


def test_mixing_time_max_iter():
    P = np.array([[0.9, 0.1], [0.1, 0.9]])
    t = mixing_time(P, 0.25)
    assert mixing_time(P, 0.25, max_iter=t) == t
    with pytest.raises(RuntimeError, match=f"within max_iter = {t - 1} steps"):
        mixing_time(P, 0.25, max_iter=t - 1)


def test_bad_inputs():
    P = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    mdp = FiniteMDP(P, np.ones((2, 1)), gamma=1.0)
    with pytest.raises(ValueError, match="tol = 0.0 must be > 0"):
        relative_value_iteration(mdp, tol=0.0)
    with pytest.raises(ValueError, match="max_iter = -1 must be >= 0"):
        average_reward_policy_iteration(mdp, max_iter=-1)
    with pytest.raises(ValueError, match="aperiodicity"):
        relative_value_iteration(mdp, aperiodicity=0.0)
    with pytest.raises(ValueError, match="reference_state = 5"):
        relative_value_iteration(mdp, reference_state=5)
    with pytest.raises(ValueError, match="v0_policy"):
        average_reward_policy_iteration(mdp, v0_policy=[0, 1])
    with pytest.raises(ValueError, match="FiniteMDP"):
        gain_and_bias("mdp", [0, 0])
    with pytest.raises(ValueError, match="horizon"):
        classify(FiniteMDP(P, np.ones((2, 1)), gamma=1.0, horizon=3))


def test_lp_policy_on_states_without_occupancy():
    # weakly communicating, multichain: {1, 2} both self-loop; only state 2 is rewarded. The LP's occupancy sits on 2,
    # so the actions of 0 and 1 come from the primal h (and PI polishing): every state must reach 2 (gain 1).
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 2] = P[1, 0, 1] = P[1, 1, 2] = P[2, 0, 2] = P[2, 1, 1] = 1.0
    R = np.zeros((3, 2))
    R[2, 0] = 1.0
    mdp = FiniteMDP(P, R, gamma=1.0)
    res = average_reward_linear_programming(mdp)
    np.testing.assert_allclose(res.gain, 1.0, atol=1e-12)
    assert res.gain_upper >= 1.0 - 1e-12 and abs(res.objective - 1.0) <= 1e-6
    np.testing.assert_allclose(
        gain_and_bias(mdp, res.policy).gain, average_reward_policy_iteration(mdp).gain, atol=1e-12
    )
