"""Bellman operators, q-values and greedy policies on a :class:`FiniteMDP`.

The work is done by the compiled kernels of :mod:`rltheory.tabular._kernels`
(held equal to the NumPy references of :mod:`rltheory.tabular._reference` by
``tests/tabular/test_kernels.py``); this module validates the inputs.
"""

from __future__ import annotations

import numpy as np

from rltheory._validation import check_finite, check_shape
from rltheory.tabular import _kernels
from rltheory.tabular._model import FiniteMDP

__all__ = ["q_values", "bellman_operator", "greedy_policy"]


def _check_values(mdp: FiniteMDP, v, name: str = "v") -> np.ndarray:
    v = np.ascontiguousarray(v, dtype=float)
    check_shape(name, v, (mdp.n_states,))
    check_finite(name, v)
    return v


def _kernel_inputs(mdp: FiniteMDP):
    """``(kind, P buffers, uint8 mask, use_mask)`` for the compiled kernels.

    ``kind`` is ``"dense"`` or ``"csr"``; the buffers are views of the
    model's arrays (no copy unless CSR ``indices``/``indptr`` dtypes differ).
    """
    mask = np.ascontiguousarray(mdp.action_mask).view(np.uint8)
    if mdp.is_sparse:
        P = mdp.P
        indices, indptr = P.indices, P.indptr
        if indices.dtype != indptr.dtype or indices.dtype not in (np.int32, np.int64):
            indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
        return "csr", (np.ascontiguousarray(P.data, dtype=float), indices, indptr), mask, mdp.has_action_mask
    return "dense", (mdp.P,), mask, mdp.has_action_mask


def _backup(mdp: FiniteMDP, v: np.ndarray):
    """Compiled optimality backup of a validated ``v``: ``(T v, greedy, min d, max d)``, ``d = T v - v``."""
    kind, P, mask, use_mask = _kernel_inputs(mdp)
    tv = np.empty(mdp.n_states)
    pi = np.empty(mdp.n_states, dtype=np.int64)
    fn = _kernels.bellman_backup_dense if kind == "dense" else _kernels.bellman_backup_csr
    dmin, dmax = fn(*P, mdp.R, mdp.gamma, v, mask, use_mask, tv, pi)
    return tv, pi, dmin, dmax


def _q_values(mdp: FiniteMDP, v: np.ndarray) -> np.ndarray:
    kind, P, mask, use_mask = _kernel_inputs(mdp)
    q = np.empty((mdp.n_states, mdp.n_actions))
    fn = _kernels.q_values_dense if kind == "dense" else _kernels.q_values_csr
    fn(*P, mdp.R, mdp.gamma, v, mask, use_mask, q)
    return q


def q_values(mdp: FiniteMDP, v) -> np.ndarray:
    r"""State-action values of ``v``: :math:`q(s,a) = r(s,a) + \gamma \sum_{s'} P(s'|s,a) v(s')`.

    Disallowed actions (``mdp.action_mask``) get ``-inf``.

    Parameters
    ----------
    mdp : FiniteMDP
    v : array_like, shape (S,)

    Returns
    -------
    numpy.ndarray, shape (S, A)

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, q_values
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 2.0]]), gamma=0.5)
    >>> q_values(mdp, np.array([4.0]))
    array([[3., 4.]])
    """
    return _q_values(mdp, _check_values(mdp, v))


def bellman_operator(mdp: FiniteMDP, v, policy=None) -> np.ndarray:
    r"""Apply the Bellman optimality operator, or the evaluation operator of ``policy``.

    .. math::

        (T v)(s) = \max_a \Big[ r(s,a) + \gamma \sum_{s'} P(s'|s,a) v(s') \Big],
        \qquad
        (T^\pi v)(s) = \sum_a \pi(a|s) \Big[ r(s,a) + \gamma \sum_{s'} P(s'|s,a) v(s') \Big].

    Both are :math:`\gamma`-contractions in the sup-norm and monotone
    (Puterman 2005, Proposition 6.2.4 and Lemma 6.1.2).

    Parameters
    ----------
    mdp : FiniteMDP
    v : array_like, shape (S,)
    policy : array_like, optional
        ``(S,)`` integer actions or ``(S, A)`` probabilities; ``None`` for the
        optimality operator.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, bellman_operator
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 2.0]]), gamma=0.5)
    >>> bellman_operator(mdp, np.array([4.0]))
    array([4.])
    >>> bellman_operator(mdp, np.array([4.0]), policy=np.array([0]))
    array([3.])
    """
    v = _check_values(mdp, v)
    if policy is None:
        return _backup(mdp, v)[0]
    pi = mdp.policy_matrix(policy)
    if np.asarray(policy).ndim == 1:  # deterministic: one compiled T^pi sweep
        kind, P, _, _ = _kernel_inputs(mdp)
        out = np.empty(mdp.n_states)
        fn = _kernels.policy_sweep_dense if kind == "dense" else _kernels.policy_sweep_csr
        fn(*P, mdp.R, mdp.gamma, v, np.ascontiguousarray(np.argmax(pi, axis=1), dtype=np.int64), out)
        return out
    q = _q_values(mdp, v)
    return np.einsum("sa,sa->s", pi, np.where(pi > 0, q, 0.0))


def greedy_policy(mdp: FiniteMDP, v) -> np.ndarray:
    """Deterministic greedy policy ``argmax_a q(s, a)`` (ties to the lowest action).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, greedy_policy
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 2.0]]), gamma=0.5)
    >>> greedy_policy(mdp, np.array([0.0]))
    array([1])
    """
    return _backup(mdp, _check_values(mdp, v))[1]
