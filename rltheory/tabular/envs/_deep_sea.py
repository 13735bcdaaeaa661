r"""Deep sea (Osband et al. 2019, bsuite): an exploration problem whose reward hides behind one action sequence."""

from __future__ import annotations

import numpy as np

from rltheory._validation import as_generator, check_int
from rltheory.tabular._model import FiniteMDP

__all__ = ["deep_sea", "deep_sea_treasure"]

#: bsuite's cost of moving right, divided by N per step.
MOVE_COST = 0.01


def deep_sea_treasure(size: int) -> int:
    """The index of the treasure state of :func:`deep_sea` ``(size)``: ``size**2`` (first visit = first success).

    Examples
    --------
    >>> deep_sea_treasure(5)
    25
    """
    return check_int("size", size, low=1) ** 2


def deep_sea(size: int, *, deterministic: bool = True, randomize_actions: bool = True, rng=0) -> FiniteMDP:
    r"""The deep-sea environment of bsuite as an episodic :class:`~rltheory.tabular.FiniteMDP` (horizon ``size``).

    An :math:`N \times N` grid (:math:`N` = ``size``): the agent starts in the
    top-left cell, and each step moves one row down and one column left or
    right (clipped at the walls). The episode lasts :math:`N` steps. Moving
    right costs :math:`0.01/N`; moving right in the bottom-right cell finds the
    treasure (+1). The optimal return is :math:`1 - 0.01`: :math:`N` right
    moves, an action sequence of probability :math:`2^{-N}` under uniform
    dithering.

    Here every reward is shifted by :math:`+0.01/N` per step (a constant
    :math:`0.01` per episode, the same for every policy: values shift by a
    constant, the optimal policies and every regret are unchanged), so that
    rewards lie in :math:`[0, 1]` as the learners' bonuses assume: *left*
    pays :math:`0.01/N`, *right* pays 0, and the treasure move pays 1.

    States: cell :math:`(r, c)` is ``r * N + c``; the last row's moves lead to
    one of two absorbing zero-reward terminal states, ``N**2`` (the treasure,
    reached only by the rewarding move: :func:`deep_sea_treasure`) or
    ``N**2 + 1``. The episodes to first success of a run are
    ``curve.first_visit[:, N**2]``.

    Parameters
    ----------
    size : int >= 1
    deterministic : bool
        ``False``: a *right* move succeeds with probability :math:`1 - 1/N`
        and otherwise leaves the column unchanged (bsuite's stochastic
        variant; the treasure move always pays).
    randomize_actions : bool
        bsuite's default: which action is *right* is drawn independently per
        cell (uniform), so no fixed action index is the good one; ``False``:
        action 1 is *right* everywhere.
    rng : numpy.random.Generator, int, SeedSequence or None
        Draws the action mapping.

    References
    ----------
    I. Osband, Y. Doron, M. Hessel, J. Aslanides, E. Sezener, A. Saraiva,
    K. McKinney, T. Lattimore, C. Szepesvari, S. Singh, B. Van Roy, R.
    Sutton, D. Silver and H. van Hasselt, "Behaviour suite for reinforcement
    learning", ICLR 2020 (arXiv:1908.03568), Sec. 2 and App. A (deep sea);
    I. Osband, B. Van Roy, D. Russo and Z. Wen, "Deep exploration via
    randomized value functions", JMLR 20(124), 2019, Sec. 2 (the deep-sea
    exploration lower bound for dithering).

    Examples
    --------
    >>> from rltheory.tabular import backward_induction
    >>> mdp = deep_sea(6)
    >>> mdp.n_states, mdp.n_actions, mdp.horizon
    (38, 2, 6)
    >>> round(float(backward_induction(mdp).v[0, 0]), 12)  # 1 - 0.01 + 0.01 shift
    1.0
    """
    N = check_int("size", size, low=1)
    for name, flag in (("deterministic", deterministic), ("randomize_actions", randomize_actions)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"{name} = {flag!r} must be True or False")
    S = N * N + 2
    treasure, end = N * N, N * N + 1
    right = as_generator(rng).integers(0, 2, size=(N, N)) if randomize_actions else np.ones((N, N), dtype=np.int64)
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    shift = MOVE_COST / N
    for r in range(N):
        for c in range(N):
            s = r * N + c
            for a in (0, 1):
                goes_right = a == right[r, c]
                if r == N - 1:
                    if goes_right and c == N - 1:
                        P[s, a, treasure] = 1.0
                        R[s, a] = 1.0 - shift + shift
                    else:
                        P[s, a, end] = 1.0
                        R[s, a] = (-shift if goes_right else 0.0) + shift
                    continue
                below = (r + 1) * N
                if goes_right:
                    R[s, a] = -shift + shift
                    moved = below + min(c + 1, N - 1)
                    if deterministic:
                        P[s, a, moved] = 1.0
                    else:
                        P[s, a, moved] += 1.0 - 1.0 / N
                        P[s, a, below + c] += 1.0 / N
                else:
                    R[s, a] = shift
                    P[s, a, below + max(c - 1, 0)] = 1.0
    for t in (treasure, end):
        P[t, :, t] = 1.0
    start = np.zeros(S)
    start[0] = 1.0
    return FiniteMDP(P, R, gamma=1.0, horizon=N, terminal_states=[treasure, end], initial_distribution=start)
