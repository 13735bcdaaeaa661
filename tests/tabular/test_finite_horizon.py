"""Backward induction: Puterman's inventory example, brute force, and the discounted limit."""

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps
from rltheory.tabular import FiniteMDP, backward_induction, policy_iteration

from .known_answers import (
    EPS,
    PUTERMAN_INVENTORY_POLICY,
    PUTERMAN_INVENTORY_V1,
    PUTERMAN_INVENTORY_V2,
    PUTERMAN_INVENTORY_V3,
    REPRESENTATIONS,
    brute_force_finite_horizon,
    puterman_inventory,
)


def _with_horizon(mdp, H, gamma=None):
    g = mdp.gamma if gamma is None else gamma
    if mdp.is_exact:
        return FiniteMDP(
            mdp.P_exact,
            mdp.R_exact,
            gamma=mdp.gamma_exact if gamma is None else gamma,
            horizon=H,
            action_mask=mdp.action_mask,
        )
    return FiniteMDP(mdp.P, mdp.R, gamma=g, horizon=H, action_mask=mdp.action_mask)


def _round_off(mdp, H):
    """Summing H backups of size <= (S+1) terms: |error| <= H (S+2) eps H max|R|."""
    return H * H * (mdp.n_states + 2) * EPS * max(1.0, float(np.max(np.abs(mdp.R))))


@pytest.mark.parametrize("representation", REPRESENTATIONS)
def test_puterman_inventory(representation):
    """Puterman (2005) Sec. 4.6.1: u_1* = (67/16, 129/16, 194/16, 227/16) with d_1* = (3, 0, 0, 0)."""
    mdp = puterman_inventory(representation)
    exact = representation == "exact"
    res = backward_induction(mdp, exact=exact)
    published = [PUTERMAN_INVENTORY_V1, PUTERMAN_INVENTORY_V2, PUTERMAN_INVENTORY_V3, (F(0),) * 4]
    if exact:
        assert [list(row) for row in res.v_exact] == [list(row) for row in published]
    else:
        assert res.v_exact is None
    np.testing.assert_allclose(res.v, np.array(published, dtype=float), rtol=0, atol=_round_off(mdp, 3))
    assert [tuple(p) for p in res.policy.tolist()] == list(PUTERMAN_INVENTORY_POLICY)
    assert res.q.shape == (3, 4, 4) and res.q[0, 3, 1] == -np.inf


@settings(max_examples=40)
@given(
    finite_mdps(n_states=st.integers(1, 3), n_actions=st.integers(1, 2), sparse=st.booleans(), action_mask=True),
    st.integers(1, 3),
    st.sampled_from([0.5, 0.9, 1.0]),
)
def test_matches_brute_force_over_markov_policies(mdp, H, gamma):
    """v_0 = max over deterministic Markov policies (Puterman Thm 4.4.2 and 4.5.1)."""
    fh = _with_horizon(mdp, H, gamma)
    res = backward_induction(fh)
    np.testing.assert_allclose(res.v[0], brute_force_finite_horizon(fh), rtol=0, atol=_round_off(fh, H))
    np.testing.assert_array_equal(res.v[H], 0.0)
    assert res.v.shape == (H + 1, mdp.n_states) and res.policy.shape == (H, mdp.n_states)
    # the policy attains the maximum of q at every epoch
    rows = np.arange(mdp.n_states)
    for t in range(H):
        np.testing.assert_array_equal(res.q[t][rows, res.policy[t]], res.v[t])
        assert np.all(fh.action_mask[rows, res.policy[t]])


@settings(max_examples=30)
@given(finite_mdps(n_states=st.integers(1, 3), n_actions=st.integers(1, 3), exact=True), st.integers(1, 4))
def test_exact_equals_float(mdp, H):
    fh = _with_horizon(mdp, H)
    ex = backward_induction(fh, exact=True)
    fl = backward_induction(
        _with_horizon(FiniteMDP(mdp.P_exact.astype(float), mdp.R_exact.astype(float), gamma=float(mdp.gamma_exact)), H)
    )
    np.testing.assert_allclose(fl.v, ex.v_exact.astype(float), rtol=0, atol=_round_off(fh, H))


@settings(max_examples=30)
@given(
    finite_mdps(n_states=st.integers(1, 5), n_actions=st.integers(1, 3), gamma=st.floats(0.1, 0.9), action_mask=True)
)
def test_approaches_infinite_horizon_value(mdp):
    """||v_0^H - v*||_inf <= gamma^H max|R| / (1 - gamma): the tail of the discounted sum."""
    v_star = policy_iteration(mdp).v
    r_max = float(np.max(np.abs(mdp.R)))
    for H in (1, 2, 5, 10, 20, 40):
        res = backward_induction(_with_horizon(mdp, H))
        err = float(np.max(np.abs(res.v[0] - v_star)))
        bound = mdp.gamma**H * r_max / (1 - mdp.gamma)
        slack = _round_off(mdp, H) + 16 * (mdp.n_states + 2) * EPS * max(1.0, r_max) / (1 - mdp.gamma) ** 2
        assert err <= bound + slack


def test_errors():
    mdp = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.5)
    with pytest.raises(ValueError, match=r"solves finite-horizon .* models; this one is discounted .*policy_iteration"):
        backward_induction(mdp)
    with pytest.raises(ValueError, match=r"exact=True needs a model built from rationals"):
        backward_induction(puterman_inventory("dense"), exact=True)
    with pytest.raises(ValueError, match=r"exact = 1 must be True or False"):
        backward_induction(puterman_inventory("dense"), exact=1)
    with pytest.raises(ValueError, match=r"needs a FiniteMDP, got dict"):
        backward_induction({})


def test_long_horizon_closed_form():
    """A long horizon runs in the compiled stage loop; values in closed form.

    State 1 is absorbing with reward 3, state 0 can stay (reward 1) or move to 1 (reward 0): with t decisions to
    go, v_t(1) = 3t and v_t(0) = 3(t - 1) (move now); exact in floating point (small integers).
    """
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    R = np.array([[1.0, 0.0], [3.0, 3.0]])
    H = 200_000
    res = backward_induction(FiniteMDP(P, R, gamma=1.0, horizon=H))
    togo = H - np.arange(H + 1)
    np.testing.assert_array_equal(res.v[:, 1], 3.0 * togo)
    np.testing.assert_array_equal(res.v[:-2, 0], 3.0 * (togo[:-2] - 1))
    assert (res.policy[:-1, 0] == 1).all() and res.policy[-1, 0] == 0  # last step: stay (1 > 0)
    for arr in (res.v, res.q, res.policy):
        assert not arr.flags.writeable


def test_results_that_cannot_fit_are_refused(monkeypatch):
    import rltheory.tabular._finite_horizon as fh

    monkeypatch.setattr(fh, "dense_limit_bytes", lambda: 10_000)
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    backward_induction(FiniteMDP(P, np.ones((2, 2)), gamma=1.0, horizon=100))  # 8 * (202 + 400 + 200) bytes
    with pytest.raises(ValueError, match=r"horizon H = 1000 .* needs 64016 bytes, more than the dense limit of 10000"):
        backward_induction(FiniteMDP(P, np.ones((2, 2)), gamma=1.0, horizon=1000))
