"""Compiled DP kernels (rltheory.tabular._kernels) against their NumPy references.

Tolerances: ``backup_slack`` of tests/tabular/_helpers.py (Higham 2002, Thm. 3.1).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps
from rltheory.tabular import FiniteMDP
from rltheory.tabular import _kernels as K
from rltheory.tabular import _reference as ref
from rltheory.tabular._operators import _kernel_inputs

from ._helpers import EPS, backup_slack


def kernel_args(mdp):
    kind, P, mask, use_mask = _kernel_inputs(mdp)
    return kind, P, mask, use_mask


def ref_mask(mdp):
    return mdp.action_mask if mdp.has_action_mask else None


def values(mdp):
    return st.lists(st.floats(-10, 10, allow_nan=False), min_size=mdp.n_states, max_size=mdp.n_states).map(np.array)


def check_argmax(q_ref, pi, pi_ref, slack):
    """Kernel argmax attains the max; equals the reference wherever the top-2 gap exceeds rounding."""
    idx = np.arange(q_ref.shape[0])
    best = q_ref.max(axis=1)
    assert np.all(q_ref[idx, pi] >= best - slack)
    srt = np.sort(q_ref, axis=1)
    gap = srt[:, -1] - srt[:, -2] if q_ref.shape[1] > 1 else np.full(len(idx), np.inf)
    clear = gap > 2 * slack
    np.testing.assert_array_equal(pi[clear], pi_ref[clear])


mdps = finite_mdps(n_states=st.integers(1, 8), n_actions=st.integers(1, 4), sparse=st.booleans(), action_mask=True)


# ----------------------------------------------------------------------- backups
@given(st.data())
def test_backup_matches_reference(data):
    mdp = data.draw(mdps)
    v = data.draw(values(mdp))
    kind, P, mask, use_mask = kernel_args(mdp)
    S = mdp.n_states
    tv, pi = np.empty(S), np.empty(S, dtype=np.int64)
    fn = K.bellman_backup_dense if kind == "dense" else K.bellman_backup_csr
    dmin, dmax = fn(*P, mdp.R, mdp.gamma, v, mask, use_mask, tv, pi)
    tv_ref, pi_ref, _ = ref.bellman_backup_reference(mdp.P, mdp.R, mdp.gamma, v, ref_mask(mdp))
    slack = backup_slack(mdp, v)
    assert np.max(np.abs(tv - tv_ref)) <= slack
    q_ref = ref.q_values_reference(mdp.P, mdp.R, mdp.gamma, v, ref_mask(mdp))
    check_argmax(q_ref, pi, pi_ref, slack)
    assert np.all(mdp.action_mask[np.arange(S), pi])
    # the reductions are exactly the min / max of the kernel's own T v - v
    assert dmin == np.min(tv - v) and dmax == np.max(tv - v)


def test_ties_go_to_lowest_action():
    # actions 0/2 and 1/3 are identical; 1 and 3 are the best
    S = 3
    P = np.zeros((S, 4, S))
    P[:, [0, 2], 0] = 1.0
    P[:, [1, 3], 1] = 1.0
    R = np.array([[0.0, 1.0, 0.0, 1.0]] * S)
    for mask in (None, np.array([[True, False, True, True]] * S)):
        for model in (
            FiniteMDP(P, R, gamma=0.5, action_mask=mask),
            FiniteMDP(sp.csr_array(P.reshape(S * 4, S)), R, gamma=0.5, action_mask=mask),
        ):
            kind, Pk, m, use = kernel_args(model)
            tv, pi = np.empty(S), np.empty(S, dtype=np.int64)
            fn = K.bellman_backup_dense if kind == "dense" else K.bellman_backup_csr
            fn(*Pk, model.R, model.gamma, np.zeros(S), m, use, tv, pi)
            np.testing.assert_array_equal(pi, [1 if mask is None else 3] * S)


@given(st.data())
def test_q_values_match_reference(data):
    mdp = data.draw(mdps)
    v = data.draw(values(mdp))
    kind, P, mask, use_mask = kernel_args(mdp)
    q = np.empty((mdp.n_states, mdp.n_actions))
    (K.q_values_dense if kind == "dense" else K.q_values_csr)(*P, mdp.R, mdp.gamma, v, mask, use_mask, q)
    q_ref = ref.q_values_reference(mdp.P, mdp.R, mdp.gamma, v, ref_mask(mdp))
    np.testing.assert_array_equal(np.isinf(q), ~mdp.action_mask)
    allowed = mdp.action_mask
    assert np.max(np.abs(q[allowed] - q_ref[allowed])) <= backup_slack(mdp, v)


@given(st.data())
def test_gauss_seidel_sweep_matches_reference(data):
    mdp = data.draw(mdps)
    v = data.draw(values(mdp))
    kind, P, mask, use_mask = kernel_args(mdp)
    w, pi = v.copy(), np.empty(mdp.n_states, dtype=np.int64)
    fn = K.gauss_seidel_sweep_dense if kind == "dense" else K.gauss_seidel_sweep_csr
    delta = fn(*P, mdp.R, mdp.gamma, w, mask, use_mask, pi)
    w_ref, _, delta_ref = ref.gauss_seidel_sweep_reference(mdp.P, mdp.R, mdp.gamma, v, ref_mask(mdp))
    # each state's error is its own rounding plus gamma times earlier states' errors: <= S * slack
    slack = mdp.n_states * backup_slack(mdp, np.abs(v) + np.abs(w_ref))
    assert np.max(np.abs(w - w_ref)) <= slack
    assert abs(delta - delta_ref) <= 2 * slack
    assert delta == np.max(np.abs(w - v))


@given(st.data())
def test_policy_sweep_matches_reference(data):
    from rltheory.proofs_checks.strategies import policies

    mdp = data.draw(mdps)
    v = data.draw(values(mdp))
    pi = data.draw(policies(mdp, deterministic=True))
    kind, P, _, _ = kernel_args(mdp)
    out = np.empty(mdp.n_states)
    (K.policy_sweep_dense if kind == "dense" else K.policy_sweep_csr)(*P, mdp.R, mdp.gamma, v, pi, out)
    out_ref = ref.policy_backup_reference(mdp.P, mdp.R, mdp.gamma, v, pi)
    assert np.max(np.abs(out - out_ref)) <= backup_slack(mdp, v)


# ------------------------------------------------------------------- whole loops
@settings(max_examples=40)
@given(st.data())
def test_iterate_matches_reference(data):
    mdp = data.draw(mdps)
    v0 = data.draw(values(mdp))
    m = data.draw(st.sampled_from([0, 3]))
    n = data.draw(st.integers(1, 12))
    kind, P, mask, use_mask = kernel_args(mdp)
    v, tv, pi = v0.copy(), np.empty(mdp.n_states), np.empty(mdp.n_states, dtype=np.int64)
    fn = K.iterate_dense if kind == "dense" else K.iterate_csr
    it, conv, dmin, dmax = fn(*P, mdp.R, mdp.gamma, v, mask, use_mask, m, False, 0.0, n, tv, pi)
    it_r, conv_r, v_r, tv_r, pi_r, dmin_r, dmax_r = ref.iterate_reference(
        mdp.P, mdp.R, mdp.gamma, v0, ref_mask(mdp), m=m, tol=0.0, max_iter=n
    )
    if m == 0:  # value iteration: rounding propagates with factor gamma <= 1 per sweep
        slack = (it + 1) * backup_slack(mdp, np.abs(v_r) + np.abs(v0) + 1)
        assert np.max(np.abs(v - v_r)) <= slack and np.max(np.abs(tv - tv_r)) <= slack
        assert abs(dmin - dmin_r) <= 2 * slack and abs(dmax - dmax_r) <= 2 * slack
        # the loop stops after n sweeps or when the span vanishes: both stop together up to rounding
        assert it == it_r or min(abs(dmax - dmin), abs(dmax_r - dmin_r)) <= 4 * slack
    else:
        # MPI follows the greedy policy; with a clear argmax the iterates agree to rounding
        if it == it_r and np.array_equal(pi, pi_r):
            slack = (it + 1) * (m + 1) * backup_slack(mdp, np.abs(v_r) + np.abs(v0) + 1)
            assert np.max(np.abs(tv - tv_r)) <= slack
    assert dmin == np.min(tv - v) and dmax == np.max(tv - v)


@given(st.data())
def test_iterate_certifies_on_exit(data):
    """On exit: converged <=> gamma/(1-gamma) span(Tv - v) <= tol, and tv is the backup of v."""
    mdp = data.draw(mdps)
    m = data.draw(st.sampled_from([0, 2]))
    gs = data.draw(st.booleans()) and m == 0
    kind, P, mask, use_mask = kernel_args(mdp)
    v, tv, pi = np.zeros(mdp.n_states), np.empty(mdp.n_states), np.empty(mdp.n_states, dtype=np.int64)
    fn = K.iterate_dense if kind == "dense" else K.iterate_csr
    tol = 1e-9
    it, conv, dmin, dmax = fn(*P, mdp.R, mdp.gamma, v, mask, use_mask, m, gs, tol, 100_000, tv, pi)
    assert conv == (mdp.gamma / (1 - mdp.gamma) * (dmax - dmin) <= tol)
    assert conv
    tv_ref, _, _ = ref.bellman_backup_reference(mdp.P, mdp.R, mdp.gamma, v, ref_mask(mdp))
    assert np.max(np.abs(tv - tv_ref)) <= backup_slack(mdp, v)


@given(st.data())
def test_iterate_stopping_rules(data):
    """On exit: converged <=> the requested rule holds (rule 1 SSP with a factor, rule 2 the sup residual)."""
    mdp = data.draw(mdps)
    rule = data.draw(st.sampled_from([K.STOP_SSP, K.STOP_RESIDUAL]))
    factor = data.draw(st.sampled_from([0.5, 3.0, 40.0]))
    n = data.draw(st.integers(1, 60))
    kind, P, mask, use_mask = kernel_args(mdp)
    v0 = np.zeros(mdp.n_states)
    v, tv, pi = v0.copy(), np.empty(mdp.n_states), np.empty(mdp.n_states, dtype=np.int64)
    fn = K.iterate_dense if kind == "dense" else K.iterate_csr
    tol = 1e-6
    it, conv, dmin, dmax = fn(*P, mdp.R, mdp.gamma, v, mask, use_mask, 0, False, tol, n, tv, pi, rule, factor)
    assert conv == (ref.stop_quantity_reference(rule, mdp.gamma, factor, dmin, dmax) <= tol)
    assert conv or it == n
    it_r, conv_r, *_ = ref.iterate_reference(
        mdp.P, mdp.R, mdp.gamma, v0, ref_mask(mdp), tol=tol, max_iter=n, rule=rule, factor=factor
    )
    slack = (it + 1) * backup_slack(mdp, np.abs(tv) + 1)
    assert (
        it == it_r or abs(ref.stop_quantity_reference(rule, mdp.gamma, factor, dmin, dmax) - tol) <= 4 * factor * slack
    )


@settings(max_examples=40)
@given(mdps, st.integers(1, 6))
def test_backward_induction_matches_reference(mdp, H):
    kind, P, mask, use_mask = kernel_args(mdp)
    S, A = mdp.n_states, mdp.n_actions
    v, q, pi = np.zeros((H + 1, S)), np.empty((H, S, A)), np.empty((H, S), dtype=np.int64)
    fn = K.backward_induction_dense if kind == "dense" else K.backward_induction_csr
    fn(*P, mdp.R, mdp.gamma, mask, use_mask, v, q, pi)
    v_r, q_r, pi_r = ref.backward_induction_reference(mdp.P, mdp.R, mdp.gamma, H, ref_mask(mdp))
    for t in range(H):
        # each stage is exactly one compiled q-value sweep of the next stage's values, then the first argmax
        qk = np.empty((S, A))
        (K.q_values_dense if kind == "dense" else K.q_values_csr)(*P, mdp.R, mdp.gamma, v[t + 1], mask, use_mask, qk)
        np.testing.assert_array_equal(q[t], qk)
        np.testing.assert_array_equal(pi[t], np.argmax(q[t], axis=1))
        np.testing.assert_array_equal(v[t], q[t][np.arange(S), pi[t]])
        # and equals the NumPy reference up to rounding, accumulated over H - t stages
        slack = (H - t) * backup_slack(mdp, np.abs(v_r[t + 1]) + 1)
        fin = np.isfinite(q_r[t])
        assert np.array_equal(fin, np.isfinite(q[t]))
        assert np.max(np.abs(q[t][fin] - q_r[t][fin]), initial=0.0) <= slack
        check_argmax(q_r[t], pi[t], pi_r[t], slack)


def test_csr_int64_indices_give_identical_results():
    rng = np.random.default_rng(3)
    S, A = 30, 3
    P = rng.random((S * A, S)) * (rng.random((S * A, S)) < 0.2)
    P[np.arange(S * A), rng.integers(0, S, S * A)] += 1.0
    P /= P.sum(axis=1, keepdims=True)
    mdp = FiniteMDP(sp.csr_array(P), rng.random((S, A)), gamma=0.9)
    _, (data, ind, ptr), mask, _ = kernel_args(mdp)
    v = rng.random(S)
    out32, out64 = (np.empty(S), np.empty(S, dtype=np.int64)), (np.empty(S), np.empty(S, dtype=np.int64))
    r32 = K.bellman_backup_csr(data, ind.astype(np.int32), ptr.astype(np.int32), mdp.R, 0.9, v, mask, False, *out32)
    r64 = K.bellman_backup_csr(data, ind.astype(np.int64), ptr.astype(np.int64), mdp.R, 0.9, v, mask, False, *out64)
    assert r32 == r64
    np.testing.assert_array_equal(out32[0], out64[0])
    np.testing.assert_array_equal(out32[1], out64[1])


@pytest.mark.parametrize("sparse", [False, True])
def test_parallel_size_matches_reference(sparse):
    """A problem above PARALLEL_WORK runs the prange path; it must equal the reference."""
    rng = np.random.default_rng(11)
    S, A = 300, 4
    assert S * A * S >= K.PARALLEL_WORK
    P = rng.random((S, A, S)) ** 4
    P /= P.sum(axis=2, keepdims=True)
    mask = rng.random((S, A)) < 0.7
    mask[:, 0] = True
    Pm = sp.csr_array(P.reshape(S * A, S)) if sparse else P
    mdp = FiniteMDP(Pm, rng.normal(size=(S, A)), gamma=0.95, action_mask=mask)
    if sparse:
        assert mdp.P.nnz + S * A >= K.PARALLEL_WORK
    kind, Pk, m, use = kernel_args(mdp)
    v = rng.normal(size=S)
    tv, pi = np.empty(S), np.empty(S, dtype=np.int64)
    fn = K.bellman_backup_dense if kind == "dense" else K.bellman_backup_csr
    dmin, dmax = fn(*Pk, mdp.R, mdp.gamma, v, m, use, tv, pi)
    tv_ref, pi_ref, _ = ref.bellman_backup_reference(mdp.P, mdp.R, mdp.gamma, v, mask)
    slack = backup_slack(mdp, v)
    assert np.max(np.abs(tv - tv_ref)) <= slack
    check_argmax(ref.q_values_reference(mdp.P, mdp.R, mdp.gamma, v, mask), pi, pi_ref, slack)
    assert dmin == np.min(tv - v) and dmax == np.max(tv - v)
    # repeated calls are bit-identical (per-chunk reductions, fixed summation order)
    tv2, pi2 = np.empty(S), np.empty(S, dtype=np.int64)
    assert fn(*Pk, mdp.R, mdp.gamma, v, m, use, tv2, pi2) == (dmin, dmax)
    np.testing.assert_array_equal(tv, tv2)


@given(mdps)
def test_stream_sum_matches_reference(mdp):
    kind, P, _, _ = kernel_args(mdp)
    total = K.stream_sum_dense(*P) if kind == "dense" else K.stream_sum_csr(*P, mdp.n_states, mdp.n_actions)
    expected = ref.stream_sum_reference(mdp.P)
    n = mdp.P.nnz if mdp.is_sparse else mdp.P.size
    assert abs(total - expected) <= 2 * n * EPS * expected  # Higham Thm. 3.1 for sums of non-negatives
