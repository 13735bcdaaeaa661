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
        T.optimism_gaps(T.FiniteMDP(h.P, h.R, gamma=1.0, horizon=3, initial_distribution=np.full(3, 1 / 3)),
                        T.QLearningUCB(), 3),
    ]


def test_every_result_class_is_covered():
    from rltheory.simulation import Agent

    problems = ("FiniteMDP", "BernoulliRewards")
    classes = {
        name for name in T.__all__
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
    if hasattr(res, "v_lower"):
        assert np.all(res.v_lower <= res.v_upper)
