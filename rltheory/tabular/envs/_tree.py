r"""Random tree MDPs: finite-horizon MDPs in which every state has exactly one history.

In a *tree MDP* (Jiang & Li 2016, Sec. 5) the states reachable at stage ``h``
are the nodes of depth ``h`` of a tree rooted at the start state: each
action of a node leads to its own ``branching`` children. The state then
determines the whole history, so the non-Markov and Markov views of the process
coincide; it is the setting of the Cramér-Rao bound of Jiang & Li (2016,
Theorem 2) for off-policy evaluation.
"""

from __future__ import annotations

import numpy as np

from rltheory._validation import as_generator, check_discount, check_int, check_memory
from rltheory.tabular._model import FiniteMDP

__all__ = ["tree_mdp"]


def tree_mdp(depth: int = 3, branching: int = 2, n_actions: int = 2, *, gamma: float = 1.0, rng=None) -> FiniteMDP:
    r"""A random tree MDP of the given depth (= horizon).

    Node ``0`` is the root (the start state); a node of depth :math:`h < H` has, for each of its ``n_actions``
    actions, ``branching`` children of depth :math:`h + 1` reached with Dirichlet(1) probabilities, and the
    reward :math:`r(s, a) \sim U[0, 1)`; nodes of depth ``H`` are leaves, absorbing with reward 0 (the horizon
    ends before they act). States are numbered breadth first, so there are
    :math:`\sum_{h=0}^{H} (A b)^h` of them.

    Parameters
    ----------
    depth : int
        The horizon ``H >= 1``.
    branching : int
        Children per action ``b >= 1``.
    n_actions : int
        ``A >= 1``.
    gamma : float
        Discount in ``[0, 1]``.
    rng : numpy.random.Generator, int, SeedSequence or None

    Returns
    -------
    FiniteMDP
        With ``horizon=depth`` and the root as initial distribution.

    References
    ----------
    N. Jiang, L. Li, "Doubly robust off-policy value evaluation for reinforcement learning", ICML 2016, Sec. 5.

    Examples
    --------
    >>> from rltheory.tabular.envs import tree_mdp
    >>> mdp = tree_mdp(depth=2, branching=2, n_actions=2, rng=0)
    >>> mdp.n_states, mdp.horizon, float(mdp.initial_distribution[0])
    (21, 2, 1.0)
    >>> sorted(set(mdp.P[0].nonzero()[1].tolist()))  # the root's children: 2 actions x 2
    [1, 2, 3, 4]
    """
    H = check_int("depth", depth, low=1)
    b = check_int("branching", branching, low=1)
    A = check_int("n_actions", n_actions, low=1)
    g = check_discount(gamma, allow_one=True)
    gen = as_generator(rng)
    width = A * b
    counts = [width**h for h in range(H + 1)]
    S = int(sum(counts))
    check_memory("the tree MDP's dense P", 8.0 * S * A * S, advice="use a smaller depth or branching")
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    start = 0
    for h in range(H):
        first_child = start + counts[h]
        for k in range(counts[h]):
            s = start + k
            for a in range(A):
                children = first_child + (k * A + a) * b + np.arange(b)
                P[s, a, children] = gen.dirichlet(np.ones(b))
                R[s, a] = gen.uniform()
        start = first_child
    leaves = np.arange(start, S)
    P[leaves, :, leaves] = 1.0
    init = np.zeros(S)
    init[0] = 1.0
    return FiniteMDP(P, R, gamma=g, horizon=H, initial_distribution=init)
