r"""The trajectory-stitching MDP: the optimal episode is made of pieces of two logged ones.

A deterministic two-step task (after Zhou et al. 2023, Section 3, whose Point Maze dataset consists of two kinds of
suboptimal trajectories whose stitching is optimal).
"""

from __future__ import annotations

import numpy as np

from rltheory.tabular._model import FiniteMDP

__all__ = ["stitching_mdp"]


def stitching_mdp() -> FiniteMDP:
    r"""A deterministic horizon-2 MDP where the best logged episodes must be stitched to be optimal.

    States: ``0`` start, ``1`` the middle, ``2`` a side room, ``3`` a second start, ``4`` absorbing; two actions.

    ========  ======  ============  ======
    state     action  next state    reward
    ========  ======  ============  ======
    0         0       1             0
    0         1       2             1/2
    1         0       4             1
    1         1       4             0
    2, 3, 4   any     4, 1, 4       0
    ========  ======  ============  ======

    Horizon 2, :math:`\gamma = 1`, start uniform on ``{0, 3}``. The optimal episode from ``0`` is
    ``(0, a0) -> (1, a0)``, return 1 (also 1 from ``3``; :math:`v^\star = 1`). The datasets of the stitching
    claims log episodes from ``0`` that play ``a1`` in ``1`` (return 0) or go to the side room (return 1/2), and
    episodes from ``3`` that play ``a0`` in ``1`` (return 1): the optimal episode from ``0`` is in no logged
    episode, but is made of a piece of each kind.

    Returns
    -------
    FiniteMDP

    References
    ----------
    Z. Zhou, C. Zhu, R. Zhou, Q. Cui, A. Gupta, S. S. Du, "Free from Bellman completeness: trajectory stitching via
    model-based return-conditioned supervised learning", ICLR 2024 (arXiv:2310.19308), Section 3.

    Examples
    --------
    >>> from rltheory.tabular import backward_induction
    >>> from rltheory.tabular.envs import stitching_mdp
    >>> mdp = stitching_mdp()
    >>> res = backward_induction(mdp)
    >>> float(res.v[0, 0]), res.policy[0, 0].item(), res.policy[1, 1].item()
    (1.0, 0, 0)
    """
    P = np.zeros((5, 2, 5))
    R = np.zeros((5, 2))
    P[0, 0, 1] = P[0, 1, 2] = 1.0
    R[0, 1] = 0.5
    P[1, :, 4] = 1.0
    R[1, 0] = 1.0
    P[2, :, 4] = P[4, :, 4] = 1.0
    P[3, :, 1] = 1.0
    return FiniteMDP(P, R, gamma=1.0, horizon=2, initial_distribution=[0.5, 0.0, 0.0, 0.5, 0.0])
