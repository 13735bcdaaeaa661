"""The finite Markov decision process model.

A :class:`FiniteMDP` is an immutable, validated description of a finite MDP:
transition probabilities, expected rewards, and the criterion (discounted,
finite horizon, or undiscounted with terminal states). Solvers are free
functions that take a model; the model never imports a solver.
"""

from __future__ import annotations

import numbers
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import scipy.sparse as sp

from rltheory._validation import (
    PROBABILITY_SUM_ATOL,
    check_discount,
    check_finite,
    check_probability_vector,
    check_shape,
    readonly,
)

__all__ = ["FiniteMDP"]

_FILE_FORMAT = "rltheory.FiniteMDP"
_FILE_VERSION = 1


def _is_rational_scalar(x) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (numbers.Rational, np.integer)):
        return True
    # sympy.Rational and friends
    return getattr(x, "is_Rational", False) is True


def _to_fraction(x) -> Fraction:
    if isinstance(x, np.integer):
        return Fraction(int(x))
    if isinstance(x, numbers.Rational):
        return Fraction(x.numerator, x.denominator)
    return Fraction(int(x.p), int(x.q))  # sympy Rational


def _exact_array(a) -> np.ndarray | None:
    """Return ``a`` as an object array of Fractions, or None if not all rational."""
    if sp.issparse(a):
        return None
    arr = np.asarray(a)
    if arr.dtype.kind in "iu":
        return np.vectorize(Fraction, otypes=[object])(arr.astype(object)) if arr.size else arr.astype(object)
    if arr.dtype != object:
        return None
    flat = arr.ravel()
    if not all(_is_rational_scalar(x) for x in flat):
        return None
    out = np.empty(arr.shape, dtype=object)
    out.ravel()[:] = [_to_fraction(x) for x in flat]
    return out


def _as_float_array(name: str, a) -> np.ndarray:
    try:
        return np.array(a, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} cannot be converted to a float array: {exc}") from None


@dataclass(frozen=True, eq=False, repr=False)
class FiniteMDP:
    r"""A finite Markov decision process.

    Parameters
    ----------
    P : array_like, shape (S, A, S), or scipy.sparse matrix, shape (S*A, S)
        Transition probabilities ``P[s, a, s'] = Pr(s' | s, a)``. A sparse
        matrix has row ``s*A + a`` and is kept sparse (CSR) end to end.
        Entries of type :class:`fractions.Fraction` (or integers, or sympy
        rationals) make an *exact* model that
        :func:`~rltheory.tabular.policy_iteration` can solve in rational
        arithmetic.
    R : array_like, shape (S, A) or (S, A, S)
        Expected rewards ``r(s, a)``, or rewards ``r(s, a, s')`` reduced once
        to ``r(s, a) = \sum_{s'} P(s'|s,a) r(s, a, s')``.
    gamma : float
        Discount factor in ``[0, 1)``. ``gamma = 1`` is allowed with
        ``terminal_states`` (undiscounted episodic / stochastic shortest path),
        with a finite ``horizon``, or alone: an average-reward model, solved by
        ``relative_value_iteration``, ``average_reward_policy_iteration``,
        ``average_reward_linear_programming`` and ``gain_and_bias`` (the
        discounted solvers refuse it).
    horizon : int, optional
        Number of decision epochs ``H >= 1`` of a finite-horizon problem.
    terminal_states : sequence of int, optional
        Absorbing, zero-reward states (every allowed action loops with
        probability 1 and reward 0).
    action_mask : array_like of bool, shape (S, A), optional
        ``action_mask[s, a]`` is True when action ``a`` is allowed in ``s``.
        Every state needs at least one allowed action. Rows of disallowed
        actions must still be finite and non-negative but need not sum to 1.
    initial_distribution : array_like, shape (S,), optional
        Distribution of the initial state.

    Attributes
    ----------
    n_states, n_actions : int
    is_sparse : bool
        Whether ``P`` is stored as a CSR matrix ``(S*A, S)``.
    is_exact : bool
        Whether the model was built from rationals and has exact copies
        ``P_exact``, ``R_exact`` (object arrays of Fraction), ``gamma_exact``.

    Raises
    ------
    ValueError
        On a shape mismatch, a NaN/inf entry, a negative probability, a row
        that does not sum to 1 within ``1e-10`` (the message gives the state,
        action and sum), a state with no allowed action, a discount out of
        range, or a terminal state that is not absorbing with zero reward.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> R = np.array([[0.0, 1.0], [2.0, 0.0]])
    >>> mdp = FiniteMDP(P, R, gamma=0.9)
    >>> mdp.n_states, mdp.n_actions
    (2, 2)
    >>> bad = P.copy(); bad[1, 0] = [0.5, 0.4]
    >>> FiniteMDP(bad, R, gamma=0.9)
    Traceback (most recent call last):
    ...
    ValueError: P[s=1, a=0] sums to 0.9, expected 1 within 1e-10
    """

    P: np.ndarray | sp.csr_array
    R: np.ndarray
    gamma: float
    horizon: int | None = None
    terminal_states: np.ndarray | None = None
    action_mask: np.ndarray | None = None
    initial_distribution: np.ndarray | None = None
    P_exact: np.ndarray | None = field(default=None, init=False)
    R_exact: np.ndarray | None = field(default=None, init=False)
    gamma_exact: Fraction | None = field(default=None, init=False)

    # ------------------------------------------------------------------ init
    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731

        # exact copies (dense only), decided before float conversion
        P_exact = _exact_array(self.P)
        R_exact = _exact_array(self.R) if P_exact is not None else None
        gamma_exact = _to_fraction(self.gamma) if _is_rational_scalar(self.gamma) else None

        # ---- horizon
        horizon = self.horizon
        if horizon is not None:
            if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
                raise ValueError(f"horizon = {horizon!r} must be an integer >= 1 or None")
            horizon = int(horizon)

        # ---- transitions
        if sp.issparse(self.P):
            P = sp.csr_array(self.P, dtype=float)
            if P.ndim != 2:
                raise ValueError(f"sparse P has shape {P.shape}, expected (S*A, S)")
            P.sum_duplicates()
            P.sort_indices()
            n_rows, S = P.shape
            if S == 0 or n_rows % S != 0 or n_rows == 0:
                raise ValueError(
                    f"sparse P has shape {P.shape}; expected (S*A, S) with the row count a multiple of S"
                )
            A = n_rows // S
            check_finite("P.data", P.data)
            if (P.data < 0).any():
                k = int(np.argmax(P.data < 0))
                row = int(np.searchsorted(P.indptr, k, side="right") - 1)
                s, a = divmod(row, A)
                raise ValueError(
                    f"P[{s}, {a}, {int(P.indices[k])}] = {float(P.data[k])!r} is negative (sparse row {row})"
                )
            row_sums = np.asarray(P.sum(axis=1)).ravel().reshape(S, A)
            for arr in (P.data, P.indices, P.indptr):
                arr.flags.writeable = False
        else:
            P = _as_float_array("P", self.P)
            if P.ndim != 3 or P.shape[0] != P.shape[2]:
                raise ValueError(f"P has shape {P.shape}, expected (S, A, S)")
            S, A = P.shape[0], P.shape[1]
            if S == 0 or A == 0:
                raise ValueError(f"P has shape {P.shape}; need at least one state and one action")
            check_finite("P", P)
            if (P < 0).any():
                s, a, t = (int(i) for i in np.argwhere(P < 0)[0])
                raise ValueError(f"P[{s}, {a}, {t}] = {float(P[s, a, t])!r} is negative")
            row_sums = P.sum(axis=2)
            P = readonly(np.ascontiguousarray(P))

        # ---- action mask
        if self.action_mask is None:
            mask = np.ones((S, A), dtype=bool)
        else:
            mask = np.asarray(self.action_mask)
            check_shape("action_mask", mask, (S, A))
            if mask.dtype != bool:
                raise ValueError(f"action_mask must be boolean, got dtype {mask.dtype}")
            mask = mask.copy()
        empty = ~mask.any(axis=1)
        if empty.any():
            raise ValueError(f"state {int(np.argmax(empty))} has no allowed action in action_mask")

        # ---- row sums (allowed actions only)
        if P_exact is not None:
            exact_sums = P_exact.sum(axis=2)
            bad = mask & (exact_sums != 1)
            if bad.any():
                s, a = (int(i) for i in np.argwhere(bad)[0])
                raise ValueError(f"P[s={s}, a={a}] sums to {exact_sums[s, a]}, expected exactly 1")
        else:
            bad = mask & (np.abs(row_sums - 1.0) > PROBABILITY_SUM_ATOL)
            if bad.any():
                s, a = (int(i) for i in np.argwhere(bad)[0])
                raise ValueError(
                    f"P[s={s}, a={a}] sums to {float(row_sums[s, a])!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}"
                )

        # ---- rewards
        if sp.issparse(self.R):
            if not sp.issparse(P):
                raise ValueError("a sparse R needs a sparse P")
            R_in = sp.csr_array(self.R, dtype=float)
            if R_in.shape != (S * A, S):
                raise ValueError(f"sparse R has shape {R_in.shape}, expected ({S * A}, {S})")
            check_finite("R.data", R_in.data)
            R = np.asarray(P.multiply(R_in).sum(axis=1)).reshape(S, A)
            R_exact = None
        else:
            R_in = _as_float_array("R", self.R)
            if R_in.shape == (S, A):
                check_finite("R", R_in)
                R = R_in.copy()
            elif R_in.shape == (S, A, S):
                check_finite("R", R_in)
                if sp.issparse(P):
                    R = np.asarray(P.multiply(R_in.reshape(S * A, S)).sum(axis=1)).reshape(S, A)
                else:
                    R = np.einsum("ijk,ijk->ij", P, R_in)
                if R_exact is not None:
                    R_exact = (P_exact * R_exact).sum(axis=2)
            else:
                raise ValueError(f"R has shape {R_in.shape}, expected ({S}, {A}) or ({S}, {A}, {S})")

        # ---- terminal states
        terminal = None
        if self.terminal_states is not None:
            terminal = np.asarray(self.terminal_states)
            if terminal.ndim != 1 or (terminal.size and terminal.dtype.kind not in "iu"):
                raise ValueError(f"terminal_states must be a 1-d sequence of state indices, got {self.terminal_states!r}")
            terminal = terminal.astype(np.int64)
            out = (terminal < 0) | (terminal >= S)
            if out.any():
                raise ValueError(f"terminal state {int(terminal[out][0])} is outside [0, {S})")
            if len(np.unique(terminal)) != len(terminal):
                raise ValueError(f"terminal_states has repeated entries: {terminal.tolist()}")
            terminal = np.sort(terminal)
            for t in terminal:
                for a in np.flatnonzero(mask[t]):
                    stay = P[t * A + a, t] if sp.issparse(P) else P[t, a, t]
                    if abs(stay - 1.0) > PROBABILITY_SUM_ATOL:
                        raise ValueError(
                            f"terminal state {int(t)} is not absorbing: P[{int(t)}, {int(a)}, {int(t)}] = {float(stay)!r}, expected 1"
                        )
                    if R[t, a] != 0:
                        raise ValueError(
                            f"terminal state {int(t)} has non-zero reward R[{int(t)}, {int(a)}] = {float(R[t, a])!r}"
                        )
            terminal = readonly(terminal)

        # ---- discount
        # gamma = 1 without terminal states or horizon is an average-reward model: the functions of
        # rltheory.tabular._average_reward solve it; the discounted solvers refuse it and point there
        gamma = check_discount(float(self.gamma) if _is_rational_scalar(self.gamma) else self.gamma, allow_one=True)

        # ---- initial distribution
        init = None
        if self.initial_distribution is not None:
            init = readonly(check_probability_vector("initial_distribution", self.initial_distribution, S))

        if P_exact is None or R_exact is None or gamma_exact is None:
            P_exact = R_exact = gamma_exact = None
        else:
            P_exact = readonly(P_exact)
            R_exact = readonly(R_exact)

        set_("P", P)
        set_("R", readonly(np.ascontiguousarray(R)))
        set_("gamma", gamma)
        set_("horizon", horizon)
        set_("terminal_states", terminal)
        set_("action_mask", readonly(mask))
        set_("initial_distribution", init)
        set_("P_exact", P_exact)
        set_("R_exact", R_exact)
        set_("gamma_exact", gamma_exact)

    # ------------------------------------------------------------ properties
    @property
    def n_states(self) -> int:
        """Number of states ``S``."""
        return int(self.R.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions ``A`` (the largest action set; see ``action_mask``)."""
        return int(self.R.shape[1])

    @property
    def is_sparse(self) -> bool:
        """Whether ``P`` is a CSR matrix of shape ``(S*A, S)``."""
        return sp.issparse(self.P)

    @property
    def is_exact(self) -> bool:
        """Whether exact rational copies of ``P``, ``R`` and ``gamma`` exist."""
        return self.P_exact is not None

    @property
    def has_action_mask(self) -> bool:
        """Whether some action is disallowed in some state."""
        return not bool(self.action_mask.all())

    def __repr__(self) -> str:
        parts = [f"n_states={self.n_states}", f"n_actions={self.n_actions}", f"gamma={self.gamma!r}"]
        if self.horizon is not None:
            parts.append(f"horizon={self.horizon}")
        if self.terminal_states is not None:
            parts.append(f"terminal_states={self.terminal_states.tolist()}")
        if self.is_sparse:
            parts.append(f"sparse=True, nnz={self.P.nnz}")
        if self.is_exact:
            parts.append("exact=True")
        return "FiniteMDP(" + ", ".join(parts) + ")"

    # ------------------------------------------------------- policy helpers
    def policy_matrix(self, policy) -> np.ndarray:
        """Validate ``policy`` and return it as an ``(S, A)`` probability matrix.

        ``policy`` is ``(S,)`` integer actions (deterministic) or ``(S, A)``
        probabilities. Disallowed actions (``action_mask``) must get zero
        probability.
        """
        S, A = self.n_states, self.n_actions
        pol = np.asarray(policy)
        if pol.ndim == 1:
            check_shape("policy", pol, (S,))
            if pol.dtype.kind not in "iu":
                raise ValueError(f"a deterministic policy must hold integer actions, got dtype {pol.dtype}")
            bad = (pol < 0) | (pol >= A)
            if bad.any():
                s = int(np.argmax(bad))
                raise ValueError(f"policy[{s}] = {int(pol[s])} is not an action in [0, {A})")
            masked = ~self.action_mask[np.arange(S), pol]
            if masked.any():
                s = int(np.argmax(masked))
                raise ValueError(f"policy[{s}] = {int(pol[s])} is disallowed by action_mask")
            out = np.zeros((S, A))
            out[np.arange(S), pol] = 1.0
            return out
        pol = _as_float_array("policy", pol)
        check_shape("policy", pol, (S, A))
        check_finite("policy", pol)
        if (pol < 0).any():
            s, a = (int(i) for i in np.argwhere(pol < 0)[0])
            raise ValueError(f"policy[{s}, {a}] = {float(pol[s, a])!r} is negative")
        sums = pol.sum(axis=1)
        bad = np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL
        if bad.any():
            s = int(np.argmax(bad))
            raise ValueError(f"policy[{s}] sums to {float(sums[s])!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}")
        masked = (pol > 0) & ~self.action_mask
        if masked.any():
            s, a = (int(i) for i in np.argwhere(masked)[0])
            raise ValueError(f"policy[{s}, {a}] = {float(pol[s, a])!r} puts mass on an action disallowed by action_mask")
        return pol

    def policy_transition(self, policy) -> np.ndarray | sp.csr_array:
        """Transition matrix ``P^pi[s, s'] = sum_a pi(a|s) P(s'|s, a)``.

        Dense ``(S, S)`` for a dense model, CSR for a sparse one.
        """
        pi = self.policy_matrix(policy)
        S, A = self.n_states, self.n_actions
        if self.is_sparse:
            rows = np.repeat(np.arange(S), A)
            cols = np.arange(S * A)
            weights = sp.csr_array((pi.ravel(), (rows, cols)), shape=(S, S * A))
            return sp.csr_array(weights @ self.P)
        return np.einsum("sa,sat->st", pi, self.P)

    def policy_reward(self, policy) -> np.ndarray:
        """Expected one-step reward ``r^pi[s] = sum_a pi(a|s) r(s, a)``."""
        pi = self.policy_matrix(policy)
        return np.einsum("sa,sa->s", pi, self.R)

    # ----------------------------------------------------------- file I/O
    def save(self, path) -> None:
        """Write the model to ``path`` as a NumPy ``.npz`` archive (no pickle).

        The file is written to a temporary name and moved into place, so a
        failed write never leaves a half-written file. Sparse models stay
        sparse; exact models keep their rationals (as ``"p/q"`` strings).
        """
        path = os.fspath(path)
        arrays = {
            "format": np.array(_FILE_FORMAT),
            "version": np.array(_FILE_VERSION),
            "R": np.asarray(self.R),
            "gamma": np.array(self.gamma),
            "horizon": np.array(-1 if self.horizon is None else self.horizon),
            "action_mask": np.asarray(self.action_mask),
        }
        if self.is_sparse:
            arrays.update(
                P_data=self.P.data, P_indices=self.P.indices, P_indptr=self.P.indptr, P_shape=np.array(self.P.shape)
            )
        else:
            arrays["P"] = np.asarray(self.P)
        if self.terminal_states is not None:
            arrays["terminal_states"] = np.asarray(self.terminal_states)
        if self.initial_distribution is not None:
            arrays["initial_distribution"] = np.asarray(self.initial_distribution)
        if self.is_exact:
            arrays["P_exact"] = np.vectorize(str, otypes=[str])(self.P_exact)
            arrays["R_exact"] = np.vectorize(str, otypes=[str])(self.R_exact)
            arrays["gamma_exact"] = np.array(str(self.gamma_exact))
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez_compressed(fh, **arrays)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path) -> "FiniteMDP":
        """Read a model written by :meth:`save`.

        Never unpickles: object arrays are refused. A truncated, corrupted or
        foreign file raises ``ValueError`` naming the file and the problem,
        and the loaded arrays go through the same validation as the
        constructor.
        """
        path = os.fspath(path)
        with open(path, "rb") as fh:  # FileNotFoundError propagates as is
            magic = fh.read(4)
        if magic != b"PK\x03\x04":
            raise ValueError(f"cannot read MDP file {path!r}: not an .npz (zip) archive")
        try:
            with np.load(path, allow_pickle=False) as npz:
                data = {k: npz[k] for k in npz.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, zlib.error) as exc:
            raise ValueError(f"cannot read MDP file {path!r}: {exc}") from None

        def need(key):
            if key not in data:
                raise ValueError(f"MDP file {path!r} has no {key!r} entry")
            return data[key]

        if str(need("format")) != _FILE_FORMAT:
            raise ValueError(f"{path!r} is not an rltheory FiniteMDP file (format {str(data['format'])!r})")
        version = need("version")
        if version.shape != () or version.dtype.kind not in "iu" or int(version) != _FILE_VERSION:
            raise ValueError(f"{path!r} has FiniteMDP file version {version.tolist()!r}, expected {_FILE_VERSION}")
        try:
            if "P_data" in data:
                shape = tuple(int(x) for x in need("P_shape"))
                P = sp.csr_array((need("P_data"), need("P_indices"), need("P_indptr")), shape=shape)
            else:
                P = need("P")
            R = need("R")
            gamma = float(need("gamma"))
            if "P_exact" in data:
                P = np.vectorize(Fraction, otypes=[object])(need("P_exact"))
                R = np.vectorize(Fraction, otypes=[object])(need("R_exact"))
                gamma = Fraction(str(need("gamma_exact")))
            horizon = need("horizon")
            if horizon.shape != () or horizon.dtype.kind not in "iu":
                raise ValueError(f"horizon entry {horizon.tolist()!r} is not an integer")
            horizon = int(horizon)
            return cls(
                P,
                R,
                gamma=gamma,
                horizon=None if horizon == -1 else horizon,
                terminal_states=data.get("terminal_states"),
                action_mask=need("action_mask"),
                initial_distribution=data.get("initial_distribution"),
            )
        except (ValueError, TypeError, ZeroDivisionError) as exc:
            raise ValueError(f"invalid MDP file {path!r}: {exc}") from None
