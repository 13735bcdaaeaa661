"""The public API of rltheory.tabular: every result in the shared vocabulary of docs/ARCHITECTURE.md.

Each result class of ``__all__`` is produced once on a small model; every array it holds must be read-only, and
the vocabulary fields must have their one meaning: ``policy`` a deterministic int64 policy, stochastic policies
under ``action_probabilities`` (rows sum to 1), ``iterations`` an int, ``converged`` a bool, ``residual`` /
``bound`` floats, ``v_lower <= v_upper``.
"""

import dataclasses

import numpy as np
import pytest

import rltheory.tabular as T


def _mdp(gamma=0.9, **kw):
    rng = np.random.default_rng(0)
    return T.FiniteMDP(rng.dirichlet(np.ones(3), size=(3, 2)), rng.uniform(0, 1, (3, 2)), gamma=gamma, **kw)


def _results():
    d = _mdp()
    a = _mdp(gamma=1.0)
    h = _mdp(gamma=1.0, horizon=3)
    return [
        T.value_iteration(d),
        T.modified_policy_iteration(d),
        T.policy_iteration(d),
        T.policy_evaluation(d, np.array([0, 1, 0])),
        T.linear_programming(d),
        T.backward_induction(h),
        T.soft_value_iteration(d, 0.5),
        T.soft_policy_iteration(d, 0.5),
        T.regularized_policy_evaluation(d, np.full((3, 2), 0.5), 0.5),
        T.mirror_descent_value_iteration(d, 1.0, max_iter=3),
        T.error_propagation_experiment([0.75]),
        T.natural_policy_gradient(d, step_size=0.5, max_iter=3),
        T.pmd_mean_step([0.5, 0.5], [1.0, 0.0], 1.0),
        T.relative_value_iteration(a),
        T.average_reward_policy_iteration(a),
        T.average_reward_linear_programming(a),
        T.gain_and_bias(a, np.array([0, 0, 0])),
        T.chain_classes(np.eye(2)),
        T.classify(a),
        T.average_reward_plugin(a, 50, rng=0),
        T.control_as_inference(h),
        T.trajectory_laws(h, [1.0, 0.0, 0.0]),
        T.kl_regularized_posterior([0.0, 1.0], [0.5, 0.5], 1.0),
        T.diameter(a),
        T.extended_value_iteration(a.dense_P, np.clip(a.R, 0, 1), np.full((3, 2), 0.3), np.full((3, 2), 0.1), tol=1e-6),
        *_occupancy_program_results(),
        *_convex_program_results(),
        *_sample_results(d, h),
        T.optimism_gaps(
            T.FiniteMDP(h.P, h.R, gamma=1.0, horizon=3, initial_distribution=np.full(3, 1 / 3)), T.QLearningUCB(), 3
        ),
    ]


def _occupancy_program_results():
    mu = np.full(3, 1 / 3)
    d = _mdp(initial_distribution=mu)
    rng = np.random.default_rng(1)
    rewards = rng.uniform(size=(2, 3, 2))
    pi = np.full((3, 2), 0.5)
    ref = np.full((3, 2), 1 / 6)
    h = T.FiniteMDP(np.stack([np.eye(3)] * 3), np.zeros((3, 3)), gamma=1.0, horizon=2)
    F = T.coverage_function(np.eye(3, dtype=bool))
    return [
        T.pareto_front(d, rewards),
        T.maximize_utility(d, T.entropy_utility()),
        T.irl_feasible_set(d, np.array([0, 1, 0])),
        T.ng_russell_irl(d, np.array([0, 1, 0])),
        T.soft_irl_reward_set(d, pi, 1.0),
        T.reward_identifiability(T.soft_irl_reward_set(d, pi, 1.0)),
        T.misspecification_sensitivity(d, np.asarray(d.R), 1.0),
        T.cmorl(d, rewards, [0.0, 0.0], n_rounds=1),
        T.deterministic_policy_values(d, rewards),
        T.realize_policy_set(d, np.arange(8) < 3),
        T.dual_rl(d, ref, 0.5),
        T.correlated_proxy_bound(d, rewards[0], rewards[1], pi, np.array([0, 1, 0])),
        T.proxy_regularized_policy(d, rewards[1], pi, 0.1),
        T.quasimetric_distances(d),
        T.submodular_policy_optimization(h, F, max_iter=3),
    ]


def _convex_program_results():
    mdp = T.FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    cmdp = T.ConstrainedMDP(mdp, costs=np.array([[[0.0, 1.0]]]), thresholds=[1.0])
    P = np.array([[[1.0, 0.0], [0.1, 0.9]], [[0.0, 1.0], [0.0, 1.0]]])
    r = T.FiniteMDP(P, np.array([[0.0, 0.0], [1.0, 1.0]]), gamma=0.9)
    return [
        T.constrained_lp(cmdp),
        T.lagrangian_primal_dual(cmdp, max_iter=20, step=0.1),
        T.robust_value_iteration(r, T.UncertaintySet("l1", 0.2)),
        T.worst_case_values(r, T.UncertaintySet("l1", 0.2), np.array([0.0, 1.0])),
        T.iwocs(r, np.stack([P, P[:, :, ::-1]])),
    ]


def _sample_results(d, h):
    d = T.FiniteMDP(d.P, d.R, gamma=d.gamma, initial_distribution=[1.0, 0.0, 0.0])
    h = T.FiniteMDP(h.P, h.R, gamma=1.0, horizon=3, initial_distribution=[1.0, 0.0, 0.0])
    samples = T.generative_samples(d, 5, rng=0)
    episodes = T.collect(h, np.full((3, 2), 0.5), n_episodes=4, rng=0)
    transitions = T.collect(d, np.full((3, 2), 0.5), n_transitions=50, rng=0)
    return [
        samples,
        T.empirical_mdp(samples),
        episodes,
        T.finite_horizon_policy_evaluation(h, np.array([0, 1, 0])),
        T.concentrability(d, T.data_distribution(d, np.full((3, 2), 0.5))),
        T.model_based_planning(samples),
        T.synchronous_q_learning(d, 5, checkpoints=2, rng=0),
        T.importance_sampling(episodes, np.array([0, 1, 0]), np.full((3, 2), 0.5)),
        T.fitted_q_evaluation(episodes, np.array([0, 1, 0])),
        T.marginalized_importance_sampling(episodes, np.array([0, 1, 0]), np.full((3, 2), 0.5)),
        T.cramer_rao_bound(h, np.array([0, 1, 0]), np.full((3, 2), 0.5)),
        T.vi_lcb(transitions, rng=0),
        T.pessimistic_model_based(transitions),
        T.behavior_cloning(transitions),
        T.return_conditioned_policy(episodes),
        T.qvi_solvability(h),
        T.demonstration_regularized_rl(d, transitions, temperature=0.5),
        T.rollout_value_learning(d, [0], 1, q_init=np.zeros((3, 2))),
        T.rcsl_value(h, T.return_conditioned_policy(episodes)),
        T.average_reward_reduction(
            T.generative_samples(T.FiniteMDP(d.P, d.R, gamma=1.0), 5, rng=0), epsilon=0.1, mixing_time=1.0
        ),
    ]


def test_every_result_class_is_covered():
    from rltheory.simulation import Agent

    problems = {"ConstrainedMDP", "FiniteMDP", "NoisyRewards", "UncertaintySet", "Utility"}  # models, specs
    classes = {
        name
        for name in T.__all__
        if isinstance(getattr(T, name), type) and name not in problems and not issubclass(getattr(T, name), Agent)
    }
    produced = {type(r).__name__ for r in _results()}
    assert classes == produced


@pytest.mark.parametrize("res", _results(), ids=lambda r: type(r).__name__)
def test_results_are_frozen_read_only_and_speak_the_vocabulary(res):
    assert dataclasses.is_dataclass(res) and not isinstance(res, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(res, dataclasses.fields(res)[0].name, None)
    for f in dataclasses.fields(res):
        value = getattr(res, f.name)
        arrays = value if isinstance(value, tuple) else (value,)
        for arr in arrays:
            if isinstance(arr, np.ndarray):
                assert not arr.flags.writeable, f"{type(res).__name__}.{f.name} is writable"
    if hasattr(res, "policy"):
        assert res.policy.dtype == np.int64 and res.policy.ndim in (1, 2)  # (S,), or (H, S) in finite horizon
    if hasattr(res, "action_probabilities"):
        np.testing.assert_allclose(res.action_probabilities.sum(axis=-1), 1.0, rtol=0, atol=1e-9)
    if hasattr(res, "iterations") and not isinstance(res.iterations, np.ndarray):
        assert isinstance(res.iterations, int) and res.iterations >= 0
    if hasattr(res, "converged"):
        assert isinstance(res.converged, bool)
    for name in ("residual", "bound"):
        if hasattr(res, name):
            assert isinstance(getattr(res, name), float)
    if hasattr(res, "v_lower") and hasattr(res, "v_upper"):  # a result may certify one side only (VI-LCB)
        assert np.all(res.v_lower <= res.v_upper)
