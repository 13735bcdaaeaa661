"""The finite Markov decision process model.

A :class:`FiniteMDP` is an immutable, validated description of a finite MDP:
transition probabilities, expected rewards, and the criterion (discounted,
finite horizon, or undiscounted with terminal states). Solvers are free
functions that take a model; the model never imports a solver.
"""

from __future__ import annotations

import functools
import math
import numbers
import os
import re
import secrets
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
    check_int,
    check_probability_vector,
    check_shape,
    readonly,
)

__all__ = ["FiniteMDP"]

_FILE_FORMAT = "rltheory.FiniteMDP"
_FILE_VERSION = 1

#: Default of ``FiniteMDP.load(max_bytes=...)``: the total size of the arrays a file may declare (4 GiB).
LOAD_MAX_BYTES = 1 << 32
#: Longest numerator or denominator (decimal digits) of an exact entry that ``FiniteMDP.load`` parses.
EXACT_MAX_DIGITS = 4000
_EXACT_PATTERN = re.compile(r"-?[0-9]+(/[0-9]+)?")
#: The members a FiniteMDP file may hold; ``load`` reads no other.
_FILE_MEMBERS = (
    "format",
    "version",
    "R",
    "gamma",
    "horizon",
    "action_mask",
    "P",
    "P_data",
    "P_indices",
    "P_indptr",
    "P_shape",
    "terminal_states",
    "initial_distribution",
    "P_exact",
    "R_exact",
    "gamma_exact",
)

#: A dense ``(S, A, S)`` float64 tensor may take at most this fraction of the machine's physical memory.
DENSE_MEMORY_FRACTION = 0.5
#: The physical memory assumed when the operating system does not report it (16 GiB).
_FALLBACK_PHYSICAL_MEMORY = 16 << 30
#: Discounted models whose value scale ``max |r| / (1 - gamma)`` exceeds this are refused: the iterates, their
#: sums over successor states and the certificates (``gamma / (1 - gamma)`` times a span) must stay finite.
MAX_VALUE_SCALE = 1e300

#: The criteria of :meth:`FiniteMDP.require`, the solvers of each, and how a model of each kind is described.
CRITERIA = ("discounted", "finite_horizon", "ssp", "average_reward")
_SOLVERS_FOR = {
    "discounted": "value_iteration, modified_policy_iteration, policy_iteration or linear_programming",
    "finite_horizon": "backward_induction",
    "ssp": (
        "value_iteration, modified_policy_iteration, policy_iteration or linear_programming "
        "(they accept gamma = 1 with terminal states)"
    ),
    "average_reward": (
        "relative_value_iteration, average_reward_policy_iteration, average_reward_linear_programming or gain_and_bias"
    ),
}
_WANTED = {
    "discounted": "infinite-horizon discounted (gamma < 1)",
    "finite_horizon": "finite-horizon (FiniteMDP(..., horizon=H))",
    "ssp": "stochastic shortest path (gamma = 1 with terminal_states)",
    "average_reward": "average-reward (infinite-horizon)",
}


def _human_bytes(n: int) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def dense_limit_bytes() -> int:
    """Largest dense float64 transition tensor accepted: ``DENSE_MEMORY_FRACTION`` of the physical memory."""
    try:
        physical = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        physical = _FALLBACK_PHYSICAL_MEMORY
    if physical <= 0:
        physical = _FALLBACK_PHYSICAL_MEMORY
    return int(DENSE_MEMORY_FRACTION * physical)


def check_dense_size(shape, what: str, advice: str) -> None:
    """Refuse a dense float64 array of ``shape`` larger than :func:`dense_limit_bytes`, before allocating it.

    The message gives the bytes needed, the limit and ``advice`` (how to stay sparse).
    """
    nbytes = 8 * math.prod(int(n) for n in shape)
    limit = dense_limit_bytes()
    if nbytes > limit:
        raise ValueError(
            f"{what} of shape {tuple(int(n) for n in shape)} would need {nbytes} bytes ({_human_bytes(nbytes)}) "
            f"as float64, more than the dense limit of {limit} bytes ({_human_bytes(limit)}, "
            f"{DENSE_MEMORY_FRACTION:g} of the physical memory); {advice}"
        )


_SPARSE_ADVICE = "pass P as a scipy.sparse matrix of shape (S*A, S) (row s*A + a) instead"


def _check_compressed(fmt: str, data, indices, indptr, shape) -> None:
    """Validate the buffers of a CSR (or CSC) matrix before scipy or a kernel reads them.

    ``indptr`` must have one entry per row (CSC: column) plus one, start at 0, never decrease and end at
    ``nnz = len(indices) = len(data)``; every index must lie in ``[0, n_columns)`` (CSC: rows).
    """
    n_major, n_minor = (shape[0], shape[1]) if fmt == "csr" else (shape[1], shape[0])
    major, minor = ("row", "column") if fmt == "csr" else ("column", "row")
    data, indices, indptr = np.asarray(data), np.asarray(indices), np.asarray(indptr)
    for name, arr in (("indices", indices), ("indptr", indptr)):
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            raise ValueError(f"sparse P.{name} must be a 1-d integer array, got dtype {arr.dtype} shape {arr.shape}")
    if data.ndim != 1:
        raise ValueError(f"sparse P.data must be 1-d, got shape {data.shape}")
    if indptr.shape[0] != n_major + 1:
        raise ValueError(f"sparse P.indptr has {indptr.shape[0]} entries, expected {n_major + 1} (one per {major} + 1)")
    if data.shape[0] != indices.shape[0]:
        raise ValueError(f"sparse P has {data.shape[0]} data entries but {indices.shape[0]} indices")
    if int(indptr[0]) != 0:
        raise ValueError(f"sparse P.indptr[0] = {int(indptr[0])}, expected 0")
    if int(indptr[-1]) != indices.shape[0]:
        raise ValueError(
            f"sparse P.indptr[-1] = {int(indptr[-1])} differs from the number of stored entries {indices.shape[0]}"
        )
    steps = np.diff(indptr)
    if (steps < 0).any():
        k = int(np.argmax(steps < 0))
        raise ValueError(
            f"sparse P.indptr decreases at {major} {k}: indptr[{k}] = {int(indptr[k])} > "
            f"indptr[{k + 1}] = {int(indptr[k + 1])}"
        )
    bad = (indices < 0) | (indices >= n_minor)
    if bad.any():
        k = int(np.argmax(bad))
        row = int(np.searchsorted(indptr, k, side="right") - 1)
        where = f"{major} {row}"
        if fmt == "csr" and shape[1] > 0 and shape[0] % shape[1] == 0:
            where += f" = (s={row // (shape[0] // shape[1])}, a={row % (shape[0] // shape[1])})"
        raise ValueError(
            f"sparse P has {minor} index {int(indices[k])} (stored entry {k}, {where}) outside [0, {n_minor})"
        )


def _sparse_P(P_in) -> sp.csr_array:
    """A validated CSR float copy of a sparse ``P``: structure checked before any scipy routine reads it."""
    if P_in.ndim != 2:
        raise ValueError(f"sparse P has shape {P_in.shape}, expected (S*A, S)")
    fmt = P_in.format
    if fmt in ("csr", "csc"):
        _check_compressed(fmt, P_in.data, P_in.indices, P_in.indptr, P_in.shape)
    elif fmt == "coo":
        for name, idx, n in (("row", P_in.row, P_in.shape[0]), ("column", P_in.col, P_in.shape[1])):
            bad = (idx < 0) | (idx >= n)
            if bad.any():
                k = int(np.argmax(bad))
                raise ValueError(f"sparse P has {name} index {int(idx[k])} (entry {k}) outside [0, {n})")
    elif fmt == "bsr":
        try:
            P_in.copy().check_format(full_check=True)
        except ValueError as exc:
            raise ValueError(f"sparse P is not a valid BSR matrix: {exc}") from None
    try:
        return sp.csr_array(P_in, dtype=float, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sparse P cannot be converted to a float CSR matrix: {exc}") from None


def _parse_fraction(text: str, where: str) -> Fraction:
    """An exact entry written by :meth:`FiniteMDP.save`: ``"p"`` or ``"p/q"``, with at most EXACT_MAX_DIGITS digits."""
    text = str(text)
    if not _EXACT_PATTERN.fullmatch(text):
        raise ValueError(f"{where} entry {text[:40]!r} is not an exact rational 'p' or 'p/q'")
    if max(len(part.lstrip("-")) for part in text.split("/")) > EXACT_MAX_DIGITS:
        raise ValueError(f"{where} entry has more than {EXACT_MAX_DIGITS} digits")
    return Fraction(text)


def _read_members(zf: zipfile.ZipFile, max_bytes: int, members=_FILE_MEMBERS, who: str = "FiniteMDP.load") -> dict:
    """The known ``members`` of an npz archive, each header checked against its member and ``max_bytes`` first."""
    infos = {}
    for info in zf.infolist():
        key = info.filename[:-4] if info.filename.endswith(".npy") else None
        if key in members and key not in infos:
            infos[key] = info
    headers, total = {}, 0
    for key, info in infos.items():
        with zf.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"member {key!r} has .npy format version {version}, expected (1, 0) or (2, 0)")
            offset = fh.tell()
        if dtype.hasobject:
            raise ValueError("Object arrays cannot be loaded when allow_pickle=False")
        nbytes = math.prod(int(n) for n in shape) * dtype.itemsize
        if nbytes > info.file_size - offset:
            raise ValueError(
                f"member {key!r} declares shape {shape} ({nbytes} bytes) but holds {info.file_size - offset} bytes"
            )
        total += nbytes
        if total > max_bytes:
            raise ValueError(
                f"its arrays need more than max_bytes = {max_bytes} bytes ({_human_bytes(max_bytes)}); "
                f"pass a larger max_bytes= to {who} if the file is trusted"
            )
        headers[key] = info
    out = {}
    for key, info in headers.items():
        with zf.open(info) as fh:
            out[key] = np.lib.format.read_array(fh, allow_pickle=False)
    return out


def read_npz(path, members, *, max_bytes: int, what: str, who: str) -> dict:
    """Read the ``members`` of the ``.npz`` archive at ``path`` without unpickling, sizes checked before allocating.

    Only the named members are decompressed; every member's ``.npy`` header is checked first (declared shape
    within the member's bytes, all declared arrays within ``max_bytes`` together), object arrays are refused.
    Any failure is a ``ValueError`` ``"cannot read {what} {path!r}: ..."`` (``FileNotFoundError`` propagates).
    Shared by :meth:`FiniteMDP.load` and :meth:`rltheory.tabular.OfflineDataset.load`; ``who`` names the loader
    in the advice about ``max_bytes``.
    """
    path = os.fspath(path)
    max_bytes = check_int("max_bytes", max_bytes, low=0)
    with open(path, "rb") as fh:  # FileNotFoundError propagates as is
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        raise ValueError(f"cannot read {what} {path!r}: not an .npz (zip) archive")
    try:
        with zipfile.ZipFile(path) as zf:
            return _read_members(zf, max_bytes, members, who)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, zlib.error) as exc:
        raise ValueError(f"cannot read {what} {path!r}: {exc}") from None


def write_npz_atomic(path, arrays: dict) -> None:
    """Write ``arrays`` to ``path`` as a compressed ``.npz``, atomically and respecting the umask.

    The archive goes to a fresh temporary name in the same directory, created with ``os.open(..., 0o666)``
    (so the process umask applies, as for any file the user writes; ``tempfile.mkstemp`` would force
    ``0o600``) and ``O_EXCL``, and is moved into place with ``os.replace``: a failed write never leaves a
    half-written file at ``path``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".tmp-{secrets.token_hex(8)}.npz")
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 64 random bits
        raise FileExistsError(f"could not create a temporary file in {directory!r}")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
        matrix has row ``s*A + a`` and is kept sparse (CSR) end to end; its
        structure is checked before anything reads it (every column index in
        ``[0, S)``, ``indptr`` starting at 0, non-decreasing and ending at the
        number of stored entries), then duplicate entries are summed and the
        column indices sorted. A dense ``P`` larger than
        ``DENSE_MEMORY_FRACTION`` (one half) of the physical memory as float64
        is refused up front, with the advice to pass it sparse.
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
    criterion : str
        ``"discounted"``, ``"finite_horizon"``, ``"ssp"`` or ``"average_reward"``
        (see :meth:`require`).
    dense_P : numpy.ndarray, shape (S, A, S)
        Read-only dense view of ``P`` (``P`` itself for a dense model),
        computed once.
    csr_P : scipy.sparse.csr_array, shape (S*A, S)
        Read-only CSR view of ``P`` (``P`` itself for a sparse model),
        computed once.

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

        # a dense tensor that cannot fit is refused before any copy (the float64 copy, or the Fraction one)
        shape = getattr(self.P, "shape", None)
        if not sp.issparse(self.P) and shape is not None and len(shape) == 3:
            check_dense_size(shape, "a dense P", _SPARSE_ADVICE)

        # exact copies (dense only), decided before float conversion
        P_exact = _exact_array(self.P)
        R_exact = _exact_array(self.R) if P_exact is not None else None
        gamma_exact = _to_fraction(self.gamma) if _is_rational_scalar(self.gamma) else None

        # ---- horizon
        horizon = self.horizon
        if horizon is not None:
            horizon = check_int("horizon", horizon, low=1)

        # ---- transitions
        if sp.issparse(self.P):
            # structure first (index range, indptr), so that no scipy routine or kernel reads out of bounds;
            # then duplicate entries are summed and column indices sorted, as scipy defines them
            P = _sparse_P(self.P)
            P.sum_duplicates()
            P.sort_indices()
            n_rows, S = P.shape
            if S == 0 or n_rows % S != 0 or n_rows == 0:
                raise ValueError(f"sparse P has shape {P.shape}; expected (S*A, S) with the row count a multiple of S")
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
                raise ValueError(
                    f"terminal_states must be a 1-d sequence of state indices, got {self.terminal_states!r}"
                )
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
                            f"terminal state {int(t)} is not absorbing: P[{int(t)}, {int(a)}, {int(t)}] = "
                            f"{float(stay)!r}, expected 1"
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
        """Number of states ``S``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> FiniteMDP(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), gamma=0.5).n_states
        3
        """
        return int(self.R.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions ``A`` (the largest action set; see ``action_mask``).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> FiniteMDP(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), gamma=0.5).n_actions
        2
        """
        return int(self.R.shape[1])

    @property
    def is_sparse(self) -> bool:
        """Whether ``P`` is a CSR matrix of shape ``(S*A, S)``.

        Examples
        --------
        >>> import numpy as np, scipy.sparse as sp
        >>> from rltheory.tabular import FiniteMDP
        >>> FiniteMDP(sp.csr_array(np.eye(2)), np.zeros((2, 1)), gamma=0.5).is_sparse
        True
        """
        return sp.issparse(self.P)

    @property
    def is_exact(self) -> bool:
        """Whether exact rational copies of ``P``, ``R`` and ``gamma`` exist.

        Examples
        --------
        >>> from fractions import Fraction as F
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> mdp = FiniteMDP(np.array([[[F(1)]]]), np.array([[F(1, 3)]]), gamma=F(1, 2))
        >>> mdp.is_exact, mdp.R_exact[0, 0], mdp.gamma_exact
        (True, Fraction(1, 3), Fraction(1, 2))
        """
        return self.P_exact is not None

    @property
    def has_action_mask(self) -> bool:
        """Whether some action is disallowed in some state.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, action_mask=[[True, False]]).has_action_mask
        True
        """
        return not bool(self.action_mask.all())

    @functools.cached_property
    def dense_P(self) -> np.ndarray:
        """Read-only dense ``(S, A, S)`` view of ``P``, computed once (``P`` itself for a dense model).

        Examples
        --------
        >>> import numpy as np, scipy.sparse as sp
        >>> from rltheory.tabular import FiniteMDP
        >>> mdp = FiniteMDP(sp.csr_array(np.array([[0.0, 1.0], [1.0, 0.0]])), np.zeros((2, 1)), gamma=0.5)
        >>> mdp.dense_P.shape, mdp.dense_P.tolist()
        ((2, 1, 2), [[[0.0, 1.0]], [[1.0, 0.0]]])
        >>> mdp.dense_P is mdp.dense_P, mdp.dense_P.flags.writeable
        (True, False)
        """
        if not self.is_sparse:
            return self.P
        S, A = self.n_states, self.n_actions
        check_dense_size(
            (S, A, S),
            "the dense view mdp.dense_P",
            "use a solver that keeps P sparse (value_iteration, modified_policy_iteration, policy_iteration, "
            "policy_evaluation, linear_programming)",
        )
        return readonly(self.P.toarray().reshape(S, A, S))

    @functools.cached_property
    def csr_P(self) -> sp.csr_array:
        """Read-only CSR ``(S*A, S)`` view of ``P`` (row ``s*A + a``), computed once (``P`` itself when sparse).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> mdp = FiniteMDP(np.array([[[0.5, 0.5], [0.0, 1.0]]] * 2), np.zeros((2, 2)), gamma=0.5)
        >>> mdp.csr_P.shape, mdp.csr_P.nnz
        ((4, 2), 6)
        """
        if self.is_sparse:
            return self.P
        S, A = self.n_states, self.n_actions
        M = sp.csr_array(np.asarray(self.P).reshape(S * A, S))
        for arr in (M.data, M.indices, M.indptr):
            arr.flags.writeable = False
        return M

    @property
    def criterion(self) -> str:
        """The criterion of the model: ``"finite_horizon"`` (a horizon is set), ``"discounted"`` (``gamma < 1``),
        ``"ssp"`` (``gamma = 1`` with terminal states) or ``"average_reward"`` (``gamma = 1`` without).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
        >>> FiniteMDP(P, np.array([[-1.0], [0.0]]), gamma=1.0, terminal_states=[1]).criterion
        'ssp'
        """
        if self.horizon is not None:
            return "finite_horizon"
        if self.gamma < 1.0:
            return "discounted"
        if self.terminal_states is not None and self.terminal_states.size:
            return "ssp"
        return "average_reward"

    def _describe(self) -> str:
        c = self.criterion
        if c == "finite_horizon":
            return f"finite-horizon (horizon={self.horizon})"
        if c == "discounted":
            return f"discounted (gamma = {self.gamma!r})"
        if c == "ssp":
            return "a stochastic shortest path model (gamma = 1 with terminal states)"
        return "an average-reward model (gamma = 1 without terminal states or horizon)"

    def require(self, criterion, who: str) -> None:
        """Check that the model is of a kind ``who`` solves; otherwise name the solvers to use instead.

        Parameters
        ----------
        criterion : str or tuple of str
            One or several of ``"discounted"`` (infinite horizon, ``gamma <
            1``), ``"finite_horizon"`` (``horizon`` set), ``"ssp"`` (``gamma =
            1`` with terminal states) and ``"average_reward"`` (infinite
            horizon, ``gamma = 1`` without terminal states; functions of the
            average-reward criterion accept any infinite-horizon model and
            list all three).
        who : str
            The solver's name, used in the message.

        Raises
        ------
        ValueError
            When the model's :attr:`criterion` is not among ``criterion`` (the
            message names the solvers of the model's own kind), or when a
            discounted model's value scale ``max |r| / (1 - gamma)`` exceeds
            ``MAX_VALUE_SCALE = 1e300`` (values near the float64 range would
            overflow and no certificate could be given). Solvers call it as
            ``FiniteMDP.require(mdp, ...)``, so an argument that is not a
            FiniteMDP gets the same one-line error.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> mdp = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0)
        >>> mdp.criterion
        'average_reward'
        >>> mdp.require("discounted", "value_iteration")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: value_iteration solves ...; this one is an average-reward model ...: use ...
        """
        if not isinstance(self, FiniteMDP):
            raise ValueError(f"{who} needs a FiniteMDP, got {type(self).__name__}")
        wanted = (criterion,) if isinstance(criterion, str) else tuple(criterion)
        for c in wanted:
            if c not in CRITERIA:
                raise ValueError(f"criterion {c!r} is not one of {CRITERIA}")
        got = self.criterion
        if got not in wanted:
            kinds = " or ".join(_WANTED[c] for c in wanted)
            raise ValueError(f"{who} solves {kinds} models; this one is {self._describe()}: use {_SOLVERS_FOR[got]}")
        if got == "discounted":
            r_max = float(np.max(np.abs(np.asarray(self.R)[np.asarray(self.action_mask)])))
            if not r_max / (1.0 - self.gamma) <= MAX_VALUE_SCALE:
                raise ValueError(
                    f"{who}: the value scale max|r| / (1 - gamma) = {r_max:g} / {1.0 - self.gamma:g} exceeds "
                    f"{MAX_VALUE_SCALE:g}, so values and their certificates would overflow float64; rescale the rewards"
                )

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

    def policy_matrix(self, policy) -> np.ndarray:
        """Validate ``policy`` and return it as an ``(S, A)`` probability matrix.

        ``policy`` is ``(S,)`` integer actions (deterministic) or ``(S, A)``
        probabilities. Disallowed actions (``action_mask``) must get zero
        probability.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> mdp = FiniteMDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), gamma=0.5)
        >>> mdp.policy_matrix(np.array([1, 0]))
        array([[0., 1.],
               [1., 0.]])
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
            raise ValueError(
                f"policy[{s}, {a}] = {float(pol[s, a])!r} puts mass on an action disallowed by action_mask"
            )
        return pol

    def policy_transition(self, policy) -> np.ndarray | sp.csr_array:
        """Transition matrix ``P^pi[s, s'] = sum_a pi(a|s) P(s'|s, a)``.

        Dense ``(S, S)`` for a dense model, CSR for a sparse one.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.5], [1.0, 0.0]]])
        >>> FiniteMDP(P, np.zeros((2, 2)), gamma=0.5).policy_transition(np.array([1, 0]))
        array([[0. , 1. ],
               [0.5, 0.5]])
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
        """Expected one-step reward ``r^pi[s] = sum_a pi(a|s) r(s, a)``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 3.0]]), gamma=0.5)
        >>> mdp.policy_reward(np.array([[0.25, 0.75]]))
        array([2.5])
        """
        pi = self.policy_matrix(policy)
        return np.einsum("sa,sa->s", pi, self.R)

    # -------------------------------------------------------- description
    def to_spec(self) -> dict:
        """JSON-serialisable description of the (float) model, as :func:`rltheory.simulation.simulate` records it.

        Every defining array as nested lists (exact float reprs); a sparse
        ``P`` as its CSR arrays. ``FiniteMDP(**{k: v for k, v in spec.items()
        if k != "type"})`` rebuilds a dense model (a sparse one from
        ``scipy.sparse.csr_array((data, indices, indptr), shape)``). Exact
        (rational) copies are not part of the spec.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> mdp = FiniteMDP(np.array([[[0.5, 0.5]], [[0.0, 1.0]]]), np.array([[1.0], [0.0]]), gamma=1.0, horizon=3,
        ...                 initial_distribution=[1.0, 0.0])
        >>> spec = mdp.to_spec()
        >>> spec["type"], spec["horizon"], spec["P"]
        ('FiniteMDP', 3, [[[0.5, 0.5]], [[0.0, 1.0]]])
        >>> FiniteMDP(**{k: v for k, v in spec.items() if k != "type"}).to_spec() == spec
        True
        """
        spec: dict = {"type": "FiniteMDP"}
        if self.is_sparse:
            spec["P"] = {
                "data": self.P.data.tolist(),
                "indices": self.P.indices.tolist(),
                "indptr": self.P.indptr.tolist(),
                "shape": [int(n) for n in self.P.shape],
            }
        else:
            spec["P"] = np.asarray(self.P).tolist()
        spec["R"] = np.asarray(self.R).tolist()
        spec["gamma"] = float(self.gamma)
        spec["horizon"] = None if self.horizon is None else int(self.horizon)
        spec["terminal_states"] = None if self.terminal_states is None else self.terminal_states.tolist()
        spec["action_mask"] = None if bool(self.action_mask.all()) else self.action_mask.tolist()
        spec["initial_distribution"] = (
            None if self.initial_distribution is None else np.asarray(self.initial_distribution).tolist()
        )
        return spec

    # ----------------------------------------------------------- file I/O
    def save(self, path) -> None:
        """Write the model to ``path`` as a NumPy ``.npz`` archive (no pickle).

        The file is written to a temporary name in the same directory and
        moved into place, so a failed write never leaves a half-written file;
        it is created with mode ``0o666`` filtered by the process umask, like
        any file the user writes. Sparse models stay sparse; exact models keep
        their rationals (as ``"p/q"`` strings).

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from rltheory.tabular import FiniteMDP
        >>> mdp = FiniteMDP(np.array([[[0.5, 0.5]], [[0.0, 1.0]]]), np.array([[1.0], [0.0]]), gamma=0.9)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> mdp.save(path)
        >>> back = FiniteMDP.load(path)
        >>> back.gamma, np.array_equal(back.P, mdp.P), np.array_equal(back.R, mdp.R)
        (0.9, True, True)
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
        write_npz_atomic(path, arrays)

    @classmethod
    def load(cls, path, *, max_bytes: int = LOAD_MAX_BYTES) -> FiniteMDP:
        """Read a model written by :meth:`save`.

        Never unpickles: object arrays are refused. Only the members a
        FiniteMDP file defines are read (any other member is never
        decompressed), and every member's ``.npy`` header is checked before
        its array is allocated: the declared shape must fit in the member and
        the declared arrays together in ``max_bytes``. Exact entries are
        parsed only in the form ``save`` writes (``"p"`` or ``"p/q"``, at most
        ``EXACT_MAX_DIGITS = 4000`` digits each). A truncated, corrupted,
        oversized or foreign file raises ``ValueError`` naming the file and
        the problem, and the loaded arrays go through the same validation as
        the constructor.

        Parameters
        ----------
        path : str or os.PathLike
        max_bytes : int, default ``LOAD_MAX_BYTES`` = 2**32 (4 GiB)
            Largest total size of the arrays the file may declare.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np, scipy.sparse as sp
        >>> from rltheory.tabular import FiniteMDP
        >>> mdp = FiniteMDP(sp.csr_array(np.eye(2)), np.zeros((2, 1)), gamma=0.5)
        >>> path = os.path.join(tempfile.mkdtemp(), "sparse.npz")
        >>> mdp.save(path)
        >>> FiniteMDP.load(path)
        FiniteMDP(n_states=2, n_actions=1, gamma=0.5, sparse=True, nnz=2)
        >>> FiniteMDP.load(path, max_bytes=10)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: cannot read MDP file ...: its arrays need more than max_bytes = 10 bytes (10 B); ...
        """
        path = os.fspath(path)
        data = read_npz(path, _FILE_MEMBERS, max_bytes=max_bytes, what="MDP file", who="FiniteMDP.load")

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
            if "P_exact" in data:
                exact = {}
                for key in ("P_exact", "R_exact", "gamma_exact"):
                    arr = need(key)
                    if arr.dtype.kind != "U":
                        raise ValueError(f"{key} entry must hold strings, got dtype {arr.dtype}")
                    parsed = np.empty(arr.shape, dtype=object)
                    parsed.ravel()[:] = [_parse_fraction(x, key) for x in arr.ravel().tolist()]
                    exact[key] = parsed
                P, R = exact["P_exact"], exact["R_exact"]
                if exact["gamma_exact"].shape != ():
                    raise ValueError(f"gamma_exact entry has shape {exact['gamma_exact'].shape}, expected ()")
                gamma = exact["gamma_exact"][()]
            else:
                if "P_data" in data:
                    shape = tuple(int(x) for x in need("P_shape"))
                    if len(shape) != 2:
                        raise ValueError(f"P_shape entry {list(shape)} is not a 2-d shape")
                    data_, indices, indptr = need("P_data"), need("P_indices"), need("P_indptr")
                    _check_compressed("csr", data_, indices, indptr, shape)  # before scipy sees the buffers
                    P = sp.csr_array((data_, indices, indptr), shape=shape)
                else:
                    P = need("P")
                R = need("R")
                gamma = float(need("gamma"))
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
        except (ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
            raise ValueError(f"invalid MDP file {path!r}: {exc}") from None
