r"""Backward induction for finite-horizon MDPs."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from rltheory._validation import readonly
from rltheory.tabular import _kernels
from rltheory.tabular._model import FiniteMDP, dense_limit_bytes
from rltheory.tabular._operators import _kernel_inputs

__all__ = ["FiniteHorizonResult", "backward_induction"]


@dataclass(frozen=True, eq=False)
class FiniteHorizonResult:
    r"""Result of :func:`backward_induction`.

    Attributes
    ----------
    v : numpy.ndarray, shape (H+1, S)
        ``v[t]`` is the optimal value with ``H - t`` decisions to go;
        ``v[H] = 0``.
    q : numpy.ndarray, shape (H, S, A)
        ``q[t, s, a] = r(s,a) + gamma * sum_s' P(s'|s,a) v[t+1, s']``;
        ``-inf`` on disallowed actions.
    policy : numpy.ndarray of int64, shape (H, S)
        The optimal deterministic Markov policy, ``policy[t, s]`` the action
        at epoch ``t`` (ties to the lowest action).
    v_exact : numpy.ndarray of fractions.Fraction, shape (H+1, S), or None
        Exact values when ``exact=True``.
    exact : bool

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, backward_induction
    >>> res = backward_induction(FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 2.0]]), gamma=1.0, horizon=3))
    >>> res.v[:, 0], res.policy[:, 0], res.q.shape
    (array([6., 4., 2., 0.]), array([1, 1, 1]), (3, 1, 2))
    """

    v: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    v_exact: np.ndarray | None
    exact: bool


def backward_induction(mdp: FiniteMDP, *, exact: bool = False) -> FiniteHorizonResult:
    r"""Optimal values and policy of a finite-horizon MDP by backward induction.

    With horizon :math:`H` (decision epochs :math:`t = 0, \dots, H-1`) and
    terminal value :math:`v_H = 0`,

    .. math::

        q_t(s,a) = r(s,a) + \gamma \sum_{s'} P(s'|s,a)\, v_{t+1}(s'), \qquad
        v_t(s) = \max_{a \in A(s)} q_t(s,a), \qquad
        \pi_t(s) \in \arg\max_{a} q_t(s,a).

    :math:`v_0` is the optimal expected total (discounted when
    :math:`\gamma < 1`) reward over :math:`H` steps among *all* history-
    dependent randomized policies, and the greedy Markov deterministic policy
    attains it (Puterman 2005, Sec. 4.5, Theorem 4.5.1). Any
    :math:`\gamma \in [0, 1]` is allowed.

    The floating-point stage loop runs in one compiled call
    (:func:`rltheory.tabular._kernels.backward_induction_dense` / ``_csr``;
    NumPy reference :func:`rltheory.tabular._reference.backward_induction_reference`):
    each stage is one q-value sweep of the next stage's values and a first
    argmax (ties to the lowest action). The result holds ``(H+1) S + 2 H S +
    H S A`` numbers; a horizon whose result would exceed the dense memory
    limit (half the physical memory) is refused up front.

    Parameters
    ----------
    mdp : FiniteMDP
        A model with ``horizon`` set.
    exact : bool
        Compute in rational arithmetic (needs ``mdp.is_exact``) and return
        ``v_exact``; ties are then exact ties.

    Returns
    -------
    FiniteHorizonResult

    Raises
    ------
    ValueError
        If the model has no horizon, ``exact=True`` for a model not built
        from rationals, or a result too large for memory.

    References
    ----------
    M. L. Puterman, *Markov Decision Processes*, Wiley 2005, Sec. 4.5
    (Theorem 4.5.1) and the inventory example of Sec. 4.6.1.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, backward_induction
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> R = np.array([[1.0, 0.0], [3.0, 3.0]])
    >>> res = backward_induction(FiniteMDP(P, R, gamma=1.0, horizon=2))
    >>> res.v[0], res.policy[0]
    (array([3., 6.]), array([1, 0]))
    """
    FiniteMDP.require(mdp, "finite_horizon", "backward_induction")
    if not isinstance(exact, (bool, np.bool_)):
        raise ValueError(f"exact = {exact!r} must be True or False")
    if exact and not mdp.is_exact:
        raise ValueError(
            "exact=True needs a model built from rationals (mdp.is_exact is False): pass P, R and gamma "
            "as fractions.Fraction (or integers / sympy Rationals) to a dense FiniteMDP"
        )
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    nbytes = 8 * ((H + 1) * S + H * S * A + H * S)
    if nbytes > dense_limit_bytes():
        raise ValueError(
            f"backward_induction: the result for horizon H = {H} (v (H+1, S), q (H, S, A), policy (H, S) with "
            f"S = {S}, A = {A}) needs {nbytes} bytes, more than the dense limit of {dense_limit_bytes()} bytes "
            "(half the physical memory)"
        )
    mask = np.asarray(mdp.action_mask)
    v = np.zeros((H + 1, S))
    q = np.empty((H, S, A))
    policy = np.empty((H, S), dtype=np.int64)
    v_exact = None
    if exact:
        P, R, g = mdp.P_exact, mdp.R_exact, mdp.gamma_exact
        v_exact = np.empty((H + 1, S), dtype=object)
        v_exact[H] = [Fraction(0)] * S
        for t in range(H - 1, -1, -1):
            nxt = v_exact[t + 1]
            for s in range(S):
                allowed = np.flatnonzero(mask[s])
                qs = {
                    int(a): R[s, a] + g * sum((P[s, a, u] * nxt[u] for u in range(S) if P[s, a, u] != 0), Fraction(0))
                    for a in allowed
                }
                best = max(qs.values())
                policy[t, s] = next(a for a in qs if qs[a] == best)  # lowest action among exact ties
                v_exact[t, s] = best
                q[t, s] = [float(qs[a]) if a in qs else -np.inf for a in range(A)]
        v = v_exact.astype(float)
        v_exact = readonly(v_exact)
    else:
        kind, P, mask_u8, use_mask = _kernel_inputs(mdp)
        fn = _kernels.backward_induction_dense if kind == "dense" else _kernels.backward_induction_csr
        fn(*P, mdp.R, mdp.gamma, mask_u8, use_mask, v, q, policy)
    return FiniteHorizonResult(
        v=readonly(v), q=readonly(q), policy=readonly(policy), v_exact=v_exact, exact=bool(exact)
    )
