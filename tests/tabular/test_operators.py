"""Bellman operators on the compiled kernels: contraction, monotonicity, references.

Theorems: T and T^pi are gamma-contractions in the sup-norm and monotone
(Puterman 2005, Prop. 6.2.4 and Lemma 6.1.2). Rounding slack: Higham 2002,
Thm. 3.1 (see tests/tabular/test_kernels.py).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps, policies
from rltheory.tabular import FiniteMDP, bellman_operator, greedy_policy, q_values
from rltheory.tabular import _reference as ref

from ._helpers import backup_slack

mdps = finite_mdps(n_states=st.integers(1, 7), n_actions=st.integers(1, 4), sparse=st.booleans(), action_mask=True)


def values(mdp, lo=-10.0, hi=10.0):
    return st.lists(st.floats(lo, hi, allow_nan=False), min_size=mdp.n_states, max_size=mdp.n_states).map(np.array)


def ref_mask(mdp):
    return mdp.action_mask if mdp.has_action_mask else None


@given(st.data())
def test_optimality_operator_is_gamma_contraction(data):
    mdp = data.draw(mdps)
    v, w = data.draw(values(mdp)), data.draw(values(mdp))
    lhs = np.max(np.abs(bellman_operator(mdp, v) - bellman_operator(mdp, w)))
    slack = 2 * backup_slack(mdp, np.abs(v) + np.abs(w))
    assert lhs <= mdp.gamma * np.max(np.abs(v - w)) + slack


@given(st.data())
def test_policy_operator_is_gamma_contraction(data):
    mdp = data.draw(mdps)
    pi = data.draw(policies(mdp, deterministic=data.draw(st.booleans())))
    v, w = data.draw(values(mdp)), data.draw(values(mdp))
    lhs = np.max(np.abs(bellman_operator(mdp, v, pi) - bellman_operator(mdp, w, pi)))
    slack = 2 * mdp.n_actions * backup_slack(mdp, np.abs(v) + np.abs(w))
    assert lhs <= mdp.gamma * np.max(np.abs(v - w)) + slack


@given(st.data())
def test_operators_are_monotone(data):
    mdp = data.draw(mdps)
    v = data.draw(values(mdp))
    w = v + data.draw(values(mdp, 0.0, 5.0))  # w >= v
    slack = 2 * mdp.n_actions * backup_slack(mdp, np.abs(v) + np.abs(w))
    assert np.all(bellman_operator(mdp, v) <= bellman_operator(mdp, w) + slack)
    pi = data.draw(policies(mdp, deterministic=data.draw(st.booleans())))
    assert np.all(bellman_operator(mdp, v, pi) <= bellman_operator(mdp, w, pi) + slack)


@given(st.data())
def test_operators_match_numpy_reference(data):
    mdp = data.draw(mdps)
    v = data.draw(values(mdp))
    slack = backup_slack(mdp, v)
    q = q_values(mdp, v)
    q_ref = ref.q_values_reference(mdp.P, mdp.R, mdp.gamma, v, ref_mask(mdp))
    np.testing.assert_array_equal(q == -np.inf, ~mdp.action_mask)
    assert np.max(np.abs(q[mdp.action_mask] - q_ref[mdp.action_mask])) <= slack
    tv_ref, _, _ = ref.bellman_backup_reference(mdp.P, mdp.R, mdp.gamma, v, ref_mask(mdp))
    assert np.max(np.abs(bellman_operator(mdp, v) - tv_ref)) <= slack
    pi = greedy_policy(mdp, v)
    idx = np.arange(mdp.n_states)
    assert np.all(q_ref[idx, pi] >= q_ref.max(axis=1) - 2 * slack)
    assert np.all(mdp.action_mask[idx, pi])
    det = data.draw(policies(mdp, deterministic=True))
    out_ref = ref.policy_backup_reference(mdp.P, mdp.R, mdp.gamma, v, det)
    assert np.max(np.abs(bellman_operator(mdp, v, det) - out_ref)) <= slack
    # the same deterministic policy given as an (S, A) matrix
    assert np.max(np.abs(bellman_operator(mdp, v, np.eye(mdp.n_actions)[det]) - out_ref)) <= slack


@given(st.data())
def test_dense_and_sparse_agree(data):
    import scipy.sparse as sp

    mdp = data.draw(finite_mdps(n_states=st.integers(1, 6), n_actions=st.integers(1, 3), action_mask=True))
    sparse = FiniteMDP(
        sp.csr_array(np.asarray(mdp.P).reshape(-1, mdp.n_states)), mdp.R, gamma=mdp.gamma, action_mask=mdp.action_mask
    )
    v = data.draw(values(mdp))
    slack = backup_slack(mdp, v)
    assert np.max(np.abs(bellman_operator(mdp, v) - bellman_operator(sparse, v))) <= slack
    qd, qs = q_values(mdp, v), q_values(sparse, v)
    assert np.max(np.abs(qd[mdp.action_mask] - qs[mdp.action_mask])) <= slack


def test_greedy_policy_ties_to_lowest_action():
    P = np.ones((2, 3, 2)) / 2
    R = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(greedy_policy(FiniteMDP(P, R, gamma=0.9), np.zeros(2)), [1, 0])


@pytest.mark.parametrize(
    "bad, match", [(np.zeros(3), "shape"), (np.array([0.0, np.nan]), "finite"), (np.zeros((2, 1)), "shape")]
)
def test_bad_values_raise(bad, match):
    mdp = FiniteMDP(np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), gamma=0.5)
    for fn in (q_values, bellman_operator, greedy_policy):
        with pytest.raises(ValueError, match=match):
            fn(mdp, bad)
