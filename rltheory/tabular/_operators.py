"""Bellman operators, q-values and greedy policies on a :class:`FiniteMDP`."""

from __future__ import annotations

import numpy as np

from rltheory._validation import check_finite, check_shape
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._reference import q_values_reference

__all__ = ["q_values", "bellman_operator", "greedy_policy"]


def _check_values(mdp: FiniteMDP, v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    check_shape("v", v, (mdp.n_states,))
    check_finite("v", v)
    return v


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
    v = _check_values(mdp, v)
    mask = mdp.action_mask if mdp.has_action_mask else None
    return q_values_reference(mdp.P, mdp.R, mdp.gamma, v, mask)


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
    q = q_values(mdp, v)
    if policy is None:
        return q.max(axis=1)
    pi = mdp.policy_matrix(policy)
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
    return np.argmax(q_values(mdp, v), axis=1)
