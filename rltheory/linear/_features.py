r"""Feature maps for finite MDPs.

A *state feature matrix* is :math:`\Phi \in \mathbb{R}^{S \times d}` (row
:math:`\phi(s)^\top`); a *state-action feature matrix* is
:math:`\Phi \in \mathbb{R}^{SA \times d}` with row ``s * A + a`` equal to
:math:`\phi(s, a)^\top` (the row convention of the CSR transition tensor of
:class:`~rltheory.tabular.FiniteMDP`). Every constructor returns a read-only
C-contiguous float64 array; :func:`check_features` validates user arrays.

Examples
--------
>>> from rltheory.linear import one_hot_features, polynomial_features
>>> one_hot_features(3).tolist()
[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
>>> polynomial_features(3, degree=2).round(2).tolist()
[[1.0, 0.0, 0.0], [1.0, 0.5, 0.25], [1.0, 1.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_finite, check_int, readonly

__all__ = [
    "check_features",
    "fourier_features",
    "one_hot_features",
    "polynomial_features",
    "random_features",
    "state_action_features",
]

#: Relative tolerance of the column-rank test: singular values below
#: ``RANK_RTOL * sigma_max`` count as zero (the numpy.linalg.matrix_rank default
#: is ``max(S, d) * eps``; this stricter one flags nearly collinear features
#: whose least-squares solutions would be dominated by rounding).
RANK_RTOL = 1e-10


def check_features(
    features, n_rows: int | None = None, *, full_rank: bool = True, name: str = "features"
) -> np.ndarray:
    r"""Validate a feature matrix and return it read-only, float64, C-contiguous.

    Parameters
    ----------
    features : array_like, shape (n_rows, d)
    n_rows : int or None
        Required number of rows (``S`` or ``S * A``).
    full_rank : bool
        Require full column rank ``d`` (smallest singular value above
        ``RANK_RTOL`` times the largest): the TD fixed point, LSTD and
        least-squares regressions are unique only then.
    name : str
        Used in error messages.

    Raises
    ------
    ValueError
        Wrong shape, a non-finite entry, or rank deficiency (the message gives
        the numerical rank and the smallest singular value).

    Examples
    --------
    >>> check_features([[1.0, 2.0], [2.0, 4.0]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: features has numerical rank 1 < d = 2 columns (singular values [5, ...]); ... or pass full_rank=False
    """
    phi = np.array(features, dtype=np.float64, copy=True)
    if phi.ndim != 2 or phi.shape[0] < 1 or phi.shape[1] < 1:
        raise ValueError(f"{name} must be a non-empty 2-d array (rows, d), got shape {phi.shape}")
    if n_rows is not None and phi.shape[0] != n_rows:
        raise ValueError(f"{name} has {phi.shape[0]} rows, expected {n_rows}")
    check_finite(name, phi)
    if full_rank:
        d = phi.shape[1]
        if d > phi.shape[0]:
            raise ValueError(
                f"{name} has d = {d} columns but only {phi.shape[0]} rows; it cannot have full column rank"
            )
        sv = np.linalg.svd(phi, compute_uv=False)
        rank = int(np.sum(sv > RANK_RTOL * sv[0])) if sv[0] > 0 else 0
        if rank < d:
            shown = ", ".join(f"{x:.3g}" for x in sv)
            raise ValueError(
                f"{name} has numerical rank {rank} < d = {d} columns (singular values [{shown}]); "
                "drop dependent columns or pass full_rank=False"
            )
    return readonly(np.ascontiguousarray(phi))


def one_hot_features(n_rows: int) -> np.ndarray:
    r"""The identity :math:`I_n`: tabular features (``n_rows = S`` or ``S * A``).

    With one-hot features the projection is the identity, so every linear
    method reduces to its tabular counterpart (the TD fixed point is
    :math:`v^\pi` exactly).

    Examples
    --------
    >>> one_hot_features(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    >>> one_hot_features(0)
    Traceback (most recent call last):
    ...
    ValueError: n_rows = 0 must be >= 1
    """
    n = check_int("n_rows", n_rows, low=1)
    return readonly(np.eye(n))


def _grid(n_states: int) -> np.ndarray:
    return np.zeros(1) if n_states == 1 else np.arange(n_states) / (n_states - 1)


def polynomial_features(n_states: int, degree: int) -> np.ndarray:
    r"""Polynomial features on a chain: :math:`\phi_j(s) = x_s^j`, :math:`x_s = s/(S-1)`, :math:`j = 0..\text{degree}`.

    Full column rank iff ``degree < n_states`` (a Vandermonde matrix on
    distinct nodes).

    Examples
    --------
    >>> polynomial_features(3, 1).tolist()
    [[1.0, 0.0], [1.0, 0.5], [1.0, 1.0]]
    >>> polynomial_features(1, 0).tolist()  # a single state sits at x = 0
    [[1.0]]
    """
    S = check_int("n_states", n_states, low=1)
    k = check_int("degree", degree, low=0)
    return readonly(np.ascontiguousarray(np.vander(_grid(S), k + 1, increasing=True)))


def fourier_features(n_states: int, order: int) -> np.ndarray:
    r"""Fourier cosine basis on a chain (Konidaris, Osentoski & Thomas 2011, eq. (1)).

    :math:`\phi_j(s) = \cos(\pi j x_s)`, :math:`x_s = s/(S-1)`, :math:`j = 0..\text{order}`.
    Full column rank iff ``order < n_states`` (the cosines
    :math:`\cos(j\,\arccos y)` are the Chebyshev polynomials :math:`T_j(y)`
    of degree :math:`j` at the distinct nodes :math:`y_s = \cos(\pi x_s)`).

    Examples
    --------
    >>> (fourier_features(3, 2).round(12) + 0.0).tolist()
    [[1.0, 1.0, 1.0], [1.0, 0.0, -1.0], [1.0, -1.0, 1.0]]
    """
    S = check_int("n_states", n_states, low=1)
    k = check_int("order", order, low=0)
    return readonly(np.ascontiguousarray(np.cos(np.pi * np.outer(_grid(S), np.arange(k + 1)))))


def random_features(n_rows: int, dim: int, *, rng=None, normalize: bool = True) -> np.ndarray:
    r"""I.i.d. standard Gaussian features, rows scaled to unit Euclidean norm when ``normalize``.

    ``rng`` is a Generator, an int seed, a SeedSequence or None
    (:func:`rltheory._validation.as_generator`). Full column rank with
    probability one when ``dim <= n_rows``.

    Examples
    --------
    >>> import numpy as np
    >>> phi = random_features(4, 2, rng=0)
    >>> phi.shape, np.allclose(np.linalg.norm(phi, axis=1), 1.0)
    ((4, 2), True)
    >>> bool((random_features(4, 2, rng=0) == phi).all())  # same seed, same features
    True
    """
    n = check_int("n_rows", n_rows, low=1)
    d = check_int("dim", dim, low=1)
    phi = as_generator(rng).standard_normal((n, d))
    if normalize:
        phi /= np.linalg.norm(phi, axis=1, keepdims=True)
    return readonly(phi)


def state_action_features(state_features, n_actions: int) -> np.ndarray:
    r"""State-action features :math:`\phi(s, a) = e_a \otimes \phi(s)` (one block per action).

    Row ``s * A + a`` holds :math:`\phi(s)` in columns ``a*d .. a*d + d - 1``
    and zeros elsewhere, so ``d_total = A * d``; full column rank iff
    ``state_features`` has full column rank.

    Examples
    --------
    >>> state_action_features([[1.0], [2.0]], 2).tolist()
    [[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, 2.0]]
    """
    phi = check_features(state_features, full_rank=False, name="state_features")
    A = check_int("n_actions", n_actions, low=1)
    S, d = phi.shape
    out = np.zeros((S, A, A * d))
    for a in range(A):
        out[:, a, a * d : (a + 1) * d] = phi
    return readonly(out.reshape(S * A, A * d))
