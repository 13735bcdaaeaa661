"""Tests of FiniteMDP: every validation error, read-only storage, R(s,a,s') reduction, npz save/load."""

from __future__ import annotations

import zipfile
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps
from rltheory.tabular import FiniteMDP


def two_state():
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    R = np.array([[0.0, 1.0], [2.0, 0.0]])
    return P, R


def episodic():
    """Three states, state 2 terminal (absorbing, zero reward)."""
    P = np.zeros((3, 2, 3))
    P[0, 0] = [0.5, 0.5, 0.0]
    P[0, 1] = [0.0, 0.0, 1.0]
    P[1, :] = [0.0, 0.0, 1.0]
    P[2, :, 2] = 1.0
    R = np.array([[-1.0, -2.0], [-1.0, -1.0], [0.0, 0.0]])
    return P, R


def same_model(a: FiniteMDP, b: FiniteMDP) -> bool:
    def arr(x):
        return x.toarray() if sp.issparse(x) else np.asarray(x)

    def opt(x, y):
        return (x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))

    return (
        a.is_sparse == b.is_sparse
        and np.array_equal(arr(a.P), arr(b.P))
        and np.array_equal(a.R, b.R)
        and a.gamma == b.gamma
        and a.horizon == b.horizon
        and opt(a.terminal_states, b.terminal_states)
        and np.array_equal(a.action_mask, b.action_mask)
        and opt(a.initial_distribution, b.initial_distribution)
        and a.is_exact == b.is_exact
        and opt(a.P_exact, b.P_exact)
        and opt(a.R_exact, b.R_exact)
        and a.gamma_exact == b.gamma_exact
    )


# ------------------------------------------------------------------ validation


def test_valid_model_attributes():
    P, R = two_state()
    mdp = FiniteMDP(P, R, gamma=0.9)
    assert (mdp.n_states, mdp.n_actions, mdp.is_sparse, mdp.is_exact, mdp.has_action_mask) == (
        2,
        2,
        False,
        False,
        False,
    )
    assert mdp.P.flags.c_contiguous and mdp.P.dtype == np.float64
    assert mdp.action_mask.dtype == bool and mdp.action_mask.all()


@pytest.mark.parametrize(
    "P_shape, R_shape, match",
    [
        ((2, 2, 3), (2, 2), r"P has shape \(2, 2, 3\), expected \(S, A, S\)"),
        ((2, 2), (2, 2), r"P has shape \(2, 2\), expected \(S, A, S\)"),
        ((0, 2, 0), (0, 2), "need at least one state and one action"),
        ((2, 2, 2), (2, 3), r"R has shape \(2, 3\), expected \(2, 2\) or \(2, 2, 2\)"),
        ((2, 2, 2), (2,), r"R has shape \(2,\), expected \(2, 2\) or \(2, 2, 2\)"),
    ],
)
def test_shape_mismatch(P_shape, R_shape, match):
    P = np.zeros(P_shape)
    if len(P_shape) == 3 and P_shape[0]:
        P[..., 0] = 1.0
    with pytest.raises(ValueError, match=match):
        FiniteMDP(P, np.zeros(R_shape), gamma=0.9)


def test_sparse_shape_mismatch():
    with pytest.raises(ValueError, match=r"sparse P has shape \(3, 2\); expected \(S\*A, S\)"):
        FiniteMDP(sp.csr_array(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])), np.zeros((1, 3)), gamma=0.5)
    P, R = two_state()
    Psp = sp.csr_array(P.reshape(4, 2))
    with pytest.raises(ValueError, match=r"sparse R has shape \(2, 2\), expected \(4, 2\)"):
        FiniteMDP(Psp, sp.csr_array(np.ones((2, 2))), gamma=0.5)
    with pytest.raises(ValueError, match="a sparse R needs a sparse P"):
        FiniteMDP(P, sp.csr_array(np.ones((4, 2))), gamma=0.5)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_entries(bad):
    P, R = two_state()
    P2 = P.copy()
    P2[1, 0, 1] = bad
    with pytest.raises(ValueError, match=r"P\[1, 0, 1\] is .*; all entries must be finite"):
        FiniteMDP(P2, R, gamma=0.9)
    R2 = R.copy()
    R2[0, 1] = bad
    with pytest.raises(ValueError, match=r"R\[0, 1\] is .*; all entries must be finite"):
        FiniteMDP(P, R2, gamma=0.9)
    Psp = sp.csr_array(P2.reshape(4, 2))
    with pytest.raises(ValueError, match=r"P.data\[\d\] is .*must be finite"):
        FiniteMDP(Psp, R, gamma=0.9)


def test_negative_probability_dense_and_sparse():
    P, R = two_state()
    P[1, 1] = [1.25, -0.25]
    with pytest.raises(ValueError, match=r"P\[1, 1, 1\] = -0.25 is negative"):
        FiniteMDP(P, R, gamma=0.9)
    with pytest.raises(ValueError, match=r"P\[1, 1, 1\] = -0.25 is negative \(sparse row 3\)"):
        FiniteMDP(sp.csr_array(P.reshape(4, 2)), R, gamma=0.9)


def test_row_sum_tolerance_is_1e_10_and_message_names_state_action_sum():
    P, R = two_state()
    ok = P.copy()
    ok[1, 0] = [0.5, 0.5 + 5e-11]  # within the documented 1e-10
    FiniteMDP(ok, R, gamma=0.9)
    bad = P.copy()
    bad[1, 0] = [0.5, 0.5 + 3e-10]
    with pytest.raises(ValueError, match=r"P\[s=1, a=0\] sums to 1.0000000003\d*, expected 1 within 1e-10"):
        FiniteMDP(bad, R, gamma=0.9)
    with pytest.raises(ValueError, match=r"P\[s=1, a=0\] sums to 1.0000000003\d*, expected 1 within 1e-10"):
        FiniteMDP(sp.csr_array(bad.reshape(4, 2)), R, gamma=0.9)
    exact = np.vectorize(Fraction, otypes=[object])(P.astype(int))
    exact[0, 1, 0] = Fraction(1, 3)
    with pytest.raises(ValueError, match=r"P\[s=0, a=1\] sums to 4/3, expected exactly 1"):
        FiniteMDP(exact, R.astype(int), gamma=Fraction(1, 2))


def test_action_mask_validation():
    P, R = two_state()
    mask = np.array([[True, False], [False, False]])
    with pytest.raises(ValueError, match="state 1 has no allowed action in action_mask"):
        FiniteMDP(P, R, gamma=0.9, action_mask=mask)
    with pytest.raises(ValueError, match=r"action_mask has shape \(2, 3\), expected \(2, 2\)"):
        FiniteMDP(P, R, gamma=0.9, action_mask=np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="action_mask must be boolean"):
        FiniteMDP(P, R, gamma=0.9, action_mask=np.ones((2, 2)))
    # a disallowed action's row need not sum to 1
    P2 = P.copy()
    P2[0, 1] = 0.0
    mdp = FiniteMDP(P2, R, gamma=0.9, action_mask=np.array([[True, False], [True, True]]))
    assert mdp.has_action_mask


@pytest.mark.parametrize("gamma", [-0.1, 1.5, float("nan"), float("inf")])
def test_gamma_out_of_range(gamma):
    P, R = two_state()
    with pytest.raises(ValueError, match=r"gamma = .* is outside \[0, 1\]"):
        FiniteMDP(P, R, gamma=gamma)


@pytest.mark.parametrize("gamma", ["0.9", True, None, 1j])
def test_gamma_not_a_real_number(gamma):
    P, R = two_state()
    with pytest.raises(ValueError, match="gamma must be a real number"):
        FiniteMDP(P, R, gamma=gamma)


def test_gamma_one_needs_terminal_states_or_horizon():
    P, R = two_state()
    # gamma = 1 alone is an average-reward model; the discounted solvers refuse it
    # (tests/tabular/test_average_reward.py)
    assert FiniteMDP(P, R, gamma=1.0).gamma == 1.0
    assert FiniteMDP(P, R, gamma=1.0, horizon=3).horizon == 3
    Pe, Re = episodic()
    assert FiniteMDP(Pe, Re, gamma=1.0, terminal_states=[2]).terminal_states.tolist() == [2]
    with pytest.raises(ValueError, match=r"gamma = 1.0000001 is outside \[0, 1\]"):
        FiniteMDP(Pe, Re, gamma=1.0000001, terminal_states=[2])


def test_terminal_state_validation():
    P, R = episodic()
    not_absorbing = P.copy()
    not_absorbing[2, 1] = [0.5, 0.0, 0.5]
    with pytest.raises(ValueError, match=r"terminal state 2 is not absorbing: P\[2, 1, 2\] = 0.5, expected 1"):
        FiniteMDP(not_absorbing, R, gamma=1.0, terminal_states=[2])
    with pytest.raises(ValueError, match=r"terminal state 2 is not absorbing"):
        FiniteMDP(sp.csr_array(not_absorbing.reshape(6, 3)), R, gamma=1.0, terminal_states=[2])
    rewarded = R.copy()
    rewarded[2, 0] = 1.0
    with pytest.raises(ValueError, match=r"terminal state 2 has non-zero reward R\[2, 0\] = 1.0"):
        FiniteMDP(P, rewarded, gamma=1.0, terminal_states=[2])
    with pytest.raises(ValueError, match=r"terminal state 3 is outside \[0, 3\)"):
        FiniteMDP(P, R, gamma=0.9, terminal_states=[3])
    with pytest.raises(ValueError, match=r"terminal_states has repeated entries: \[2, 2\]"):
        FiniteMDP(P, R, gamma=0.9, terminal_states=[2, 2])
    with pytest.raises(ValueError, match="terminal_states must be a 1-d sequence of state indices"):
        FiniteMDP(P, R, gamma=0.9, terminal_states=[1.5])
    # a masked action of a terminal state is not checked
    masked = not_absorbing.copy()
    mdp = FiniteMDP(
        masked, R, gamma=1.0, terminal_states=[2], action_mask=np.array([[1, 1], [1, 1], [1, 0]], dtype=bool)
    )
    assert mdp.terminal_states.dtype == np.int64


@pytest.mark.parametrize(
    "init, match",
    [
        ([1.0], r"initial_distribution has shape \(1,\), expected \(2\)"),
        ([0.5, 0.6], r"initial_distribution sums to 1.1, expected 1 within 1e-10"),
        ([1.5, -0.5], r"initial_distribution\[1\] = -0.5 is negative"),
        ([np.nan, 1.0], r"initial_distribution\[0\] is nan"),
    ],
)
def test_bad_initial_distribution(init, match):
    P, R = two_state()
    with pytest.raises(ValueError, match=match):
        FiniteMDP(P, R, gamma=0.9, initial_distribution=init)


@pytest.mark.parametrize("horizon", [0, -1, 2.5, True, "3"])
def test_bad_horizon(horizon):
    P, R = two_state()
    with pytest.raises(ValueError, match=r"horizon( = .* must be >= 1| must be an int, got)"):
        FiniteMDP(P, R, gamma=1.0, horizon=horizon)


def test_unconvertible_arrays():
    with pytest.raises(ValueError, match="P cannot be converted to a float array"):
        FiniteMDP([[["a", "b"]]], [[0.0]], gamma=0.5)
    P, _ = two_state()
    with pytest.raises(ValueError, match="R cannot be converted to a float array"):
        FiniteMDP(P, [["x", 1], [2, 3]], gamma=0.5)


# ------------------------------------------------------------- storage & reductions


def test_arrays_are_read_only_and_copied():
    P, R = episodic()
    init = np.array([1.0, 0.0, 0.0])
    mdp = FiniteMDP(P, R, gamma=0.9, terminal_states=[2], initial_distribution=init)
    for arr in (mdp.P, mdp.R, mdp.action_mask, mdp.terminal_states, mdp.initial_distribution):
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr[(0,) * arr.ndim] = 0
    P[0, 0] = [0.0, 1.0, 0.0]  # the caller's arrays stay the caller's
    R[0, 0] = 99.0
    assert mdp.P[0, 0, 0] == 0.5 and mdp.R[0, 0] == -1.0
    with pytest.raises(AttributeError):
        mdp.gamma = 0.5
    smdp = FiniteMDP(sp.csr_array(episodic()[0].reshape(6, 3)), R, gamma=0.9)
    assert isinstance(smdp.P, sp.csr_array) and smdp.P.has_sorted_indices
    for arr in (smdp.P.data, smdp.P.indices, smdp.P.indptr):
        assert not arr.flags.writeable
    exact = FiniteMDP(
        np.vectorize(Fraction, otypes=[object])(np.eye(2).reshape(2, 1, 2).astype(int)),
        np.array([[1], [2]]),
        gamma=Fraction(1, 2),
    )
    assert not exact.P_exact.flags.writeable and not exact.R_exact.flags.writeable


def test_reward_sas_is_reduced_to_expected_reward():
    rng = np.random.default_rng(0)
    S, A = 4, 3
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R3 = rng.normal(size=(S, A, S))
    expected = (P * R3).sum(axis=2)  # r(s, a) = sum_s' P(s'|s, a) r(s, a, s')
    dense = FiniteMDP(P, R3, gamma=0.9)
    assert np.allclose(dense.R, expected, rtol=0, atol=1e-14)
    sparse = FiniteMDP(sp.csr_array(P.reshape(S * A, S)), R3, gamma=0.9)
    assert np.allclose(sparse.R, expected, rtol=0, atol=1e-14)
    sparse_r = FiniteMDP(sp.csr_array(P.reshape(S * A, S)), sp.csr_array(R3.reshape(S * A, S)), gamma=0.9)
    assert np.allclose(sparse_r.R, expected, rtol=0, atol=1e-14)
    # exact: the reduction is done in rationals
    Pq = np.empty((2, 1, 2), dtype=object)
    Pq[0, 0] = [Fraction(1, 3), Fraction(2, 3)]
    Pq[1, 0] = [Fraction(0), Fraction(1)]
    Rq = np.array([[[3, 6]], [[0, 1]]])
    exact = FiniteMDP(Pq, Rq, gamma=Fraction(9, 10))
    assert exact.is_exact and exact.R_exact[0, 0] == Fraction(5) and exact.R_exact[1, 0] == Fraction(1)
    assert exact.R[0, 0] == pytest.approx(5.0, abs=1e-15)


# -------------------------------------------------------------------- save / load


def full_dense_model():
    P, R = episodic()
    return FiniteMDP(
        P,
        R,
        gamma=0.95,
        terminal_states=[2],
        initial_distribution=[0.25, 0.75, 0.0],
        action_mask=np.array([[True, True], [True, False], [True, True]]),
    )


def test_save_load_round_trip_dense(tmp_path):
    mdp = full_dense_model()
    path = tmp_path / "m.npz"
    mdp.save(path)
    back = FiniteMDP.load(path)
    assert same_model(mdp, back) and not back.is_sparse
    P, R = two_state()
    fh = FiniteMDP(P, R, gamma=1.0, horizon=4)
    fh.save(tmp_path / "h.npz")
    assert same_model(fh, FiniteMDP.load(tmp_path / "h.npz"))


def test_save_load_round_trip_sparse(tmp_path):
    P, R = episodic()
    mdp = FiniteMDP(sp.csr_array(P.reshape(6, 3)), R, gamma=1.0, terminal_states=[2])
    mdp.save(str(tmp_path / "s.npz"))
    back = FiniteMDP.load(str(tmp_path / "s.npz"))
    assert back.is_sparse and isinstance(back.P, sp.csr_array)
    assert same_model(mdp, back)


def test_save_load_round_trip_exact(tmp_path):
    Pq = np.empty((2, 2, 2), dtype=object)
    Pq[0, 0] = [Fraction(1, 3), Fraction(2, 3)]
    Pq[0, 1] = [Fraction(1), Fraction(0)]
    Pq[1, 0] = [Fraction(5, 7), Fraction(2, 7)]
    Pq[1, 1] = [Fraction(0), Fraction(1)]
    Rq = np.array([[Fraction(1, 10), Fraction(-3)], [Fraction(0), Fraction(22, 7)]], dtype=object)
    mdp = FiniteMDP(Pq, Rq, gamma=Fraction(99, 100))
    assert mdp.is_exact
    mdp.save(tmp_path / "q.npz")
    back = FiniteMDP.load(tmp_path / "q.npz")
    assert back.is_exact and back.gamma_exact == Fraction(99, 100)
    assert back.P_exact[0, 0, 0] == Fraction(1, 3) and back.R_exact[1, 1] == Fraction(22, 7)
    assert same_model(mdp, back)


@given(finite_mdps(sparse=st.booleans()))
def test_save_load_round_trip_property(mdp):
    buf_dir = _tmpdir()
    path = buf_dir / "p.npz"
    mdp.save(path)
    assert same_model(mdp, FiniteMDP.load(path))


@given(finite_mdps(exact=True))
def test_save_load_round_trip_exact_property(mdp):
    path = _tmpdir() / "e.npz"
    mdp.save(path)
    back = FiniteMDP.load(path)
    assert back.is_exact == mdp.is_exact and same_model(mdp, back)


_TMP = []


def _tmpdir():
    import pathlib
    import tempfile

    if not _TMP:
        _TMP.append(tempfile.TemporaryDirectory(prefix="rltheory-model-"))
    return pathlib.Path(_TMP[0].name)


def test_save_is_atomic_no_temp_left(tmp_path):
    full_dense_model().save(tmp_path / "m.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_load_truncated_file(tmp_path):
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        (tmp_path / "t.npz").write_bytes(data[:cut])
        with pytest.raises(ValueError, match="cannot read MDP file"):
            FiniteMDP.load(tmp_path / "t.npz")


def test_load_corrupted_member(tmp_path):
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    data = bytearray(path.read_bytes())
    # flip bytes inside the first compressed member (after its 30-byte local header + name)
    for i in range(60, 90):
        data[i] ^= 0xFF
    (tmp_path / "c.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="MDP file"):
        FiniteMDP.load(tmp_path / "c.npz")


def test_load_non_npz_file(tmp_path):
    (tmp_path / "x.npz").write_text("P,R\n1,2\n")
    with pytest.raises(ValueError, match="not an .npz \\(zip\\) archive"):
        FiniteMDP.load(tmp_path / "x.npz")
    np.save(tmp_path / "y.npy", np.eye(2))
    with pytest.raises(ValueError, match="not an .npz"):
        FiniteMDP.load(tmp_path / "y.npy")
    with pytest.raises(FileNotFoundError):
        FiniteMDP.load(tmp_path / "missing.npz")


class _Bomb:
    """Unpickling this object records that pickle code ran."""

    triggered = []

    def __reduce__(self):
        return (_Bomb.triggered.append, ("unpickled",))


def test_load_refuses_object_arrays_without_unpickling(tmp_path):
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    bomb = np.empty(1, dtype=object)
    bomb[0] = _Bomb()
    for key in ("R", "P"):
        evil = dict(arrays)
        evil[key] = bomb
        np.savez(tmp_path / "evil.npz", **evil)  # allow_pickle is the default when saving
        with pytest.raises(ValueError, match="cannot read MDP file .*Object arrays cannot be loaded"):
            FiniteMDP.load(tmp_path / "evil.npz")
    assert _Bomb.triggered == []


@pytest.mark.parametrize("missing", ["R", "P", "format", "gamma", "action_mask", "horizon"])
def test_load_missing_key(tmp_path, missing):
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files if k != missing}
    np.savez(tmp_path / "k.npz", **arrays)
    with pytest.raises(ValueError, match=f"has no '{missing}' entry"):
        FiniteMDP.load(tmp_path / "k.npz")


def test_load_foreign_npz_and_wrong_version(tmp_path):
    np.savez(tmp_path / "f.npz", format=np.array("something.else"), version=np.array(1))
    with pytest.raises(ValueError, match="is not an rltheory FiniteMDP file"):
        FiniteMDP.load(tmp_path / "f.npz")
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["version"] = np.array(99)
    np.savez(tmp_path / "v.npz", **arrays)
    with pytest.raises(ValueError, match="has FiniteMDP file version 99, expected 1"):
        FiniteMDP.load(tmp_path / "v.npz")


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("version", np.array([1, 2]), r"has FiniteMDP file version \[1, 2\], expected 1"),
        ("version", np.array("x"), r"has FiniteMDP file version 'x', expected 1"),
        ("version", np.array(1.0), r"has FiniteMDP file version 1.0, expected 1"),
        ("horizon", np.array(2.7), r"invalid MDP file .*horizon entry 2.7 is not an integer"),
        ("gamma", np.array([0.5, 0.5]), r"invalid MDP file"),
        ("action_mask", np.ones((3, 2)), r"invalid MDP file .*action_mask must be boolean"),
        ("terminal_states", np.array(["a"]), r"invalid MDP file .*terminal_states must be a 1-d sequence"),
    ],
)
def test_load_malformed_entries(tmp_path, key, value, match):
    """A malformed entry is a ValueError naming the file, never a TypeError or a silent repair."""
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays[key] = value
    np.savez(tmp_path / "b.npz", **arrays)
    with pytest.raises(ValueError, match=match):
        FiniteMDP.load(tmp_path / "b.npz")


def test_load_validates_contents(tmp_path):
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["P"] = arrays["P"] * 2.0
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=r"invalid MDP file .*P\[s=0, a=0\] sums to 2.0"):
        FiniteMDP.load(tmp_path / "bad.npz")


def test_pickle_is_not_the_file_format(tmp_path):
    """save writes a plain zip of .npy members, none of them pickled objects."""
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            header = zf.read(name)[:128]
            assert header.startswith(b"\x93NUMPY") and b"'O'" not in header and b"|O" not in header


# ------------------------------------------------------ sparse structure (issue 11, sec. 1)


@pytest.mark.parametrize(
    "indices, indptr, match",
    [
        # the example: column 5 of a 2-state model
        ([0, 1, 1, 5], [0, 1, 2, 3, 4], r"column index 5 \(stored entry 3, row 3 = \(s=1, a=1\)\) outside \[0, 2\)"),
        ([0, 1, 1, -1], [0, 1, 2, 3, 4], r"column index -1 \(stored entry 3, row 3 = \(s=1, a=1\)\) outside"),
        ([0, 1, 1, 1], [0, 2, 1, 3, 4], r"indptr decreases at row 1: indptr\[1\] = 2 > indptr\[2\] = 1"),
    ],
)
def test_sparse_structure_is_validated_before_any_kernel(indices, indptr, match):
    """Out-of-range, negative indices and a decreasing indptr used to pass and then crash the kernels."""
    P = sp.csr_array((np.ones(4), np.array(indices), np.array(indptr)), shape=(4, 2))
    with pytest.raises(ValueError, match=match):
        FiniteMDP(P, np.zeros((2, 2)), gamma=0.9)


def test_sparse_buffers_of_inconsistent_length_are_refused():
    P = sp.csr_array(np.eye(2).reshape(2, 2))
    P = sp.csr_array(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]))
    short = P.copy()
    short.data = short.data[:3]
    with pytest.raises(ValueError, match="sparse P has 3 data entries but 4 indices"):
        FiniteMDP(short, np.zeros((2, 2)), gamma=0.9)
    last = P.copy()
    last.indptr = np.array([0, 1, 2, 3, 3])
    with pytest.raises(ValueError, match=r"indptr\[-1\] = 3 differs from the number of stored entries 4"):
        FiniteMDP(last, np.zeros((2, 2)), gamma=0.9)
    first = P.copy()
    first.indptr = np.array([1, 1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"indptr\[0\] = 1, expected 0"):
        FiniteMDP(first, np.zeros((2, 2)), gamma=0.9)
    rows = P.copy()
    rows.indptr = np.array([0, 1, 2, 4])
    with pytest.raises(ValueError, match=r"indptr has 4 entries, expected 5"):
        FiniteMDP(rows, np.zeros((2, 2)), gamma=0.9)


def test_sparse_other_formats_are_validated():
    coo = sp.coo_array(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]))
    coo.col[2] = 7  # mutated after construction: scipy's own check already ran
    with pytest.raises(ValueError, match=r"column index 7 \(entry 2\) outside \[0, 2\)"):
        FiniteMDP(coo, np.zeros((2, 2)), gamma=0.9)
    csc = sp.csc_array(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]))
    csc.indices[0] = 9
    with pytest.raises(ValueError, match=r"row index 9 \(stored entry 0, column 0\) outside \[0, 4\)"):
        FiniteMDP(csc, np.zeros((2, 2)), gamma=0.9)


def test_sparse_duplicates_are_summed_and_indices_sorted():
    P = sp.csr_array((np.array([0.25, 0.5, 0.25, 1.0]), np.array([1, 0, 1, 0]), np.array([0, 3, 4])), shape=(2, 2))
    mdp = FiniteMDP(P, np.zeros((2, 1)), gamma=0.5)
    assert mdp.P.has_sorted_indices and mdp.P.has_canonical_format
    np.testing.assert_array_equal(mdp.P.toarray(), [[0.5, 0.5], [1.0, 0.0]])


def _csr_file(tmp_path, indices):
    path = tmp_path / "good.npz"
    FiniteMDP(
        sp.csr_array(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])), np.zeros((2, 2)), gamma=0.9
    ).save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["P_indices"] = np.array(indices, dtype=arrays["P_indices"].dtype)
    np.savez(tmp_path / "bad.npz", **arrays)
    return tmp_path / "bad.npz"


@pytest.mark.parametrize("indices, bad", [([0, 1, 1, 5], 5), ([0, 1, 1, -1], -1)])
def test_load_validates_sparse_structure(tmp_path, indices, bad):
    with pytest.raises(ValueError, match=rf"invalid MDP file .*column index {bad} .*outside \[0, 2\)"):
        FiniteMDP.load(_csr_file(tmp_path, indices))


# ------------------------------------------------------------ views and criteria (issue 10, sec. 3)


def test_dense_and_csr_views_are_cached_and_read_only():
    P, R = episodic()
    for mdp in (FiniteMDP(P, R, gamma=0.9), FiniteMDP(sp.csr_array(P.reshape(6, 3)), R, gamma=0.9)):
        assert mdp.dense_P is mdp.dense_P and mdp.csr_P is mdp.csr_P
        np.testing.assert_array_equal(mdp.dense_P, P)
        np.testing.assert_array_equal(mdp.csr_P.toarray(), P.reshape(6, 3))
        assert not mdp.dense_P.flags.writeable
        for arr in (mdp.csr_P.data, mdp.csr_P.indices, mdp.csr_P.indptr):
            assert not arr.flags.writeable
    dense = FiniteMDP(P, R, gamma=0.9)
    assert dense.dense_P is dense.P
    sparse = FiniteMDP(sp.csr_array(P.reshape(6, 3)), R, gamma=0.9)
    assert sparse.csr_P is sparse.P


def test_criterion_and_require():
    P, R = episodic()
    cases = {
        "discounted": FiniteMDP(P, R, gamma=0.9),
        "finite_horizon": FiniteMDP(P, R, gamma=1.0, horizon=3),
        "ssp": FiniteMDP(P, R, gamma=1.0, terminal_states=[2]),
        "average_reward": FiniteMDP(P, R, gamma=1.0),
    }
    for criterion, mdp in cases.items():
        assert mdp.criterion == criterion
        mdp.require(criterion, "solver")
        mdp.require(("discounted", "ssp", "average_reward", "finite_horizon"), "solver")
    with pytest.raises(ValueError, match=r"^solver needs a FiniteMDP, got dict$"):
        FiniteMDP.require({}, "discounted", "solver")
    with pytest.raises(ValueError, match="criterion 'episodic' is not one of"):
        cases["ssp"].require("episodic", "solver")
    # gamma = 1 without terminal states: the average-reward solvers, never policy iteration
    with pytest.raises(
        ValueError,
        match=r"this one is an average-reward model .*: use relative_value_iteration, "
        r"average_reward_policy_iteration",
    ):
        cases["average_reward"].require(("discounted", "ssp"), "value_iteration")
    with pytest.raises(ValueError, match=r"finite-horizon \(horizon=3\): use backward_induction"):
        cases["finite_horizon"].require("discounted", "soft_value_iteration")
    with pytest.raises(ValueError, match=r"stochastic shortest path .*: use value_iteration, .*policy_iteration"):
        cases["ssp"].require("discounted", "soft_value_iteration")
    with pytest.raises(ValueError, match=r"discounted \(gamma = 0.9\): use value_iteration"):
        cases["discounted"].require("finite_horizon", "backward_induction")


def test_require_refuses_a_value_scale_that_overflows():
    """Rewards near 1e308 made value_iteration certify inf values with bound 0 (issue 11, sec. 1)."""
    P, _ = two_state()
    mdp = FiniteMDP(P, np.array([[0.0, 1e308], [1e308, 0.0]]), gamma=0.9)
    with pytest.raises(ValueError, match=r"value scale max\|r\| / \(1 - gamma\) = 1e\+308 / 0.1 exceeds 1e\+300"):
        mdp.require("discounted", "value_iteration")
    FiniteMDP(P, np.array([[0.0, 1e290], [1e290, 0.0]]), gamma=0.9).require("discounted", "value_iteration")


# ------------------------------------------------------------- sizes (issue 11, sec. 4)


def test_dense_models_that_cannot_fit_are_refused_up_front():
    """S = 10^6 dense asks for 14.6 TiB: refused before allocating, with the size and the sparse advice."""
    huge = np.broadcast_to(np.zeros(1), (10**6, 2, 10**6))  # a zero-stride view: no memory behind it
    with pytest.raises(
        ValueError,
        match=r"a dense P of shape \(1000000, 2, 1000000\) would need 16000000000000 "
        r"bytes \(14.6 TiB\) as float64, more than the dense limit .*scipy.sparse",
    ):
        FiniteMDP(huge, np.zeros((10**6, 2)), gamma=0.9)


def test_dense_limit_is_a_fraction_of_physical_memory(monkeypatch):
    import rltheory.tabular._model as model

    assert model.dense_limit_bytes() > 0
    monkeypatch.setattr(model, "dense_limit_bytes", lambda: 1000)
    P, R = episodic()  # 3 * 2 * 3 * 8 = 144 bytes: accepted
    FiniteMDP(P, R, gamma=0.9)
    big = np.zeros((6, 2, 6))
    big[..., 0] = 1.0  # 576 bytes
    FiniteMDP(big, np.zeros((6, 2)), gamma=0.9)
    bigger = np.zeros((8, 2, 8))
    bigger[..., 0] = 1.0  # 1024 bytes
    with pytest.raises(
        ValueError,
        match=r"would need 1024 bytes \(1.0 KiB\) as float64, more than the dense limit of "
        r"1000 bytes",
    ):
        FiniteMDP(bigger, np.zeros((8, 2)), gamma=0.9)
    sparse = FiniteMDP(sp.csr_array(bigger.reshape(16, 8)), np.zeros((8, 2)), gamma=0.9)
    with pytest.raises(ValueError, match=r"the dense view mdp.dense_P of shape \(8, 2, 8\) would need 1024 bytes"):
        sparse.dense_P


# ------------------------------------------------------------- load limits (issue 11, sec. 3)


def _write_member(path, name, array_bytes):
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, array_bytes)


def _npy_header(shape, dtype="<f8"):
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_load_reads_only_its_own_members(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    # a junk member that declares 1.6 GB but holds a few bytes: it must never be opened
    _write_member(path, "junk.npy", _npy_header((200_000_000,)) + b"\0" * 16)
    opened = []
    real_open = zipfile.ZipFile.open

    def recording_open(self, name, *args, **kwargs):
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    assert same_model(FiniteMDP.load(path), full_dense_model())
    assert "junk.npy" not in opened and opened


def test_load_checks_declared_sizes_before_allocating(tmp_path):
    path = tmp_path / "m.npz"
    full_dense_model().save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "R"}
    np.savez(tmp_path / "lie.npz", **arrays)
    # R declares 10^12 doubles (8 TB) and holds 16 bytes
    _write_member(tmp_path / "lie.npz", "R.npy", _npy_header((10**6, 10**6)) + b"\0" * 16)
    with pytest.raises(
        ValueError,
        match=r"cannot read MDP file .*member 'R' declares shape \(1000000, 1000000\) "
        r"\(8000000000000 bytes\) but holds 16 bytes",
    ):
        FiniteMDP.load(tmp_path / "lie.npz")
    with pytest.raises(ValueError, match=r"cannot read MDP file .*its arrays need more than max_bytes = 100 bytes"):
        FiniteMDP.load(path, max_bytes=100)
    with pytest.raises(ValueError, match=r"max_bytes = -1 must be >= 0"):
        FiniteMDP.load(path, max_bytes=-1)


@pytest.mark.parametrize("text", ["1e100000000", "1e400", "0.5", "1/0x3", "1" * 4001])
def test_load_bounds_exact_number_parsing(tmp_path, text):
    """ "1e100000000" used to hang and "1e400" raised OverflowError; both are ValueError now."""
    path = tmp_path / "q.npz"
    mdp = FiniteMDP(np.array([[[Fraction(1)]]]), np.array([[Fraction(1, 3)]]), gamma=Fraction(1, 2))
    mdp.save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for key in ("R_exact", "gamma_exact"):
        evil = dict(arrays)
        evil[key] = np.array([[text]]) if key == "R_exact" else np.array(text)
        np.savez(tmp_path / "evil.npz", **evil)
        with pytest.raises(ValueError, match=rf"invalid MDP file .*{key} entry"):
            FiniteMDP.load(tmp_path / "evil.npz")


def test_save_respects_the_umask(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        full_dense_model().save(tmp_path / "a.npz")
        os.umask(0o077)
        full_dense_model().save(tmp_path / "b.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.npz").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.npz").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz"]
