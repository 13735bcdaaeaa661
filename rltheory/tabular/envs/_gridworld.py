r"""Gridworlds: a layout of cells, four compass moves, slip, walls and terminal cells.

States are the non-wall cells numbered in row-major order; actions are
``0 = up, 1 = right, 2 = down, 3 = left``. The construction is vectorized
(no Python loop over states) and builds a CSR transition matrix directly, so a
300 x 300 grid (90,000 states) takes well under a second.
"""

from __future__ import annotations

import numbers
import textwrap

import numpy as np
import scipy.sparse as sp

from rltheory._validation import check_real
from rltheory.tabular._model import FiniteMDP, check_dense_size

__all__ = ["gridworld", "cell_to_state", "state_to_cell", "plot_gridworld", "GRID_ACTIONS"]

#: Action names, in action-index order.
GRID_ACTIONS = ("up", "right", "down", "left")
_MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]], dtype=np.int64)

#: Grids with more states than this are built sparse when ``sparse=None``.
_AUTO_SPARSE_STATES = 500

_LAYOUT_CHARS = {".": "free", "#": "wall", "S": "start", "G": "goal (+1)", "H": "hole (-1)"}


class _Layout:
    """Parsed geometry shared by :func:`gridworld`, the helpers and the plot."""

    __slots__ = ("shape", "walls", "starts", "terminal_rewards", "state_of", "cells")

    def __init__(self, shape, walls, starts, terminal_rewards):
        self.shape = shape
        self.walls = walls
        self.starts = starts
        self.terminal_rewards = terminal_rewards
        free = ~walls
        self.state_of = np.full(shape, -1, dtype=np.int64)
        self.state_of[free] = np.arange(int(free.sum()))
        self.cells = np.argwhere(free)  # (S, 2), row-major = state order

    @property
    def n_states(self) -> int:
        return int(self.cells.shape[0])


def _check_cell(name: str, cell, shape) -> tuple[int, int]:
    try:
        r, c = cell
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {cell!r} is not a (row, col) pair") from None
    for x in (r, c):
        if isinstance(x, bool) or not isinstance(x, numbers.Integral):
            raise ValueError(f"{name} = {cell!r} must hold integer coordinates")
    r, c = int(r), int(c)
    if not (0 <= r < shape[0] and 0 <= c < shape[1]):
        raise ValueError(f"{name} = {cell!r} is outside the {shape[0]} x {shape[1]} grid")
    return r, c


def _parse_layout(layout, walls=None, terminal_rewards=None) -> _Layout:
    """Turn ``layout`` (shape or text) plus ``walls``/``terminal_rewards`` into geometry."""
    text_terminals: dict = {}
    starts: list = []
    if isinstance(layout, str):
        lines = [ln.strip() for ln in textwrap.dedent(layout).strip("\n").splitlines()]
        lines = [ln for ln in lines if ln]
        if not lines:
            raise ValueError("layout text is empty")
        width = len(lines[0])
        for i, ln in enumerate(lines):
            if len(ln) != width:
                raise ValueError(f"layout row {i} has {len(ln)} cells, expected {width} (rows must have equal length)")
        shape = (len(lines), width)
        wall_mask = np.zeros(shape, dtype=bool)
        for i, ln in enumerate(lines):
            for j, ch in enumerate(ln):
                if ch not in _LAYOUT_CHARS:
                    allowed = ", ".join(f"{k!r} {v}" for k, v in _LAYOUT_CHARS.items())
                    raise ValueError(f"layout cell ({i}, {j}) is {ch!r}; allowed characters: {allowed}")
                if ch == "#":
                    wall_mask[i, j] = True
                elif ch == "S":
                    starts.append((i, j))
                elif ch == "G":
                    text_terminals[(i, j)] = 1.0
                elif ch == "H":
                    text_terminals[(i, j)] = -1.0
    else:
        try:
            shape = tuple(layout)
        except TypeError:
            raise ValueError(f"layout = {layout!r} must be a (rows, cols) pair or a text layout") from None
        if len(shape) != 2 or any(isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 1 for x in shape):
            raise ValueError(f"layout = {layout!r} must be a pair of positive integers (rows, cols)")
        shape = (int(shape[0]), int(shape[1]))
        wall_mask = np.zeros(shape, dtype=bool)
        if terminal_rewards is None:
            text_terminals[(shape[0] - 1, shape[1] - 1)] = 1.0

    if walls is not None:
        w = np.asarray(walls)
        if w.dtype == bool and w.ndim == 2:
            if w.shape != shape:
                raise ValueError(f"walls mask has shape {w.shape}, expected the grid shape {shape}")
            wall_mask = wall_mask | w
        else:
            wall_mask = wall_mask.copy()
            for cell in walls:
                r, c = _check_cell("wall cell", cell, shape)
                wall_mask[r, c] = True

    terminals = dict(text_terminals)
    if terminal_rewards is not None:
        if not isinstance(terminal_rewards, dict):
            raise ValueError(
                f"terminal_rewards must be a dict {{(row, col): reward}}, got {type(terminal_rewards).__name__}"
            )
        for cell, reward in terminal_rewards.items():
            r, c = _check_cell("terminal_rewards key", cell, shape)
            terminals[(r, c)] = check_real(f"terminal_rewards[{cell!r}]", reward)
    for r, c in terminals:
        if wall_mask[r, c]:
            raise ValueError(f"terminal cell ({r}, {c}) is a wall")
    if wall_mask.all():
        raise ValueError("every cell of the grid is a wall; need at least one free cell")
    return _Layout(shape, wall_mask, starts, terminals)


def gridworld(
    layout=(5, 5),
    *,
    walls=None,
    slip: float = 0.0,
    step_reward=0.0,
    terminal_rewards: dict | None = None,
    gamma: float = 0.99,
    start=None,
    sparse: bool | None = None,
) -> FiniteMDP:
    r"""A gridworld MDP with four compass actions, slip, walls and absorbing terminal cells.

    **States** are the non-wall cells in row-major order (use
    :func:`cell_to_state` / :func:`state_to_cell`); **actions** are
    ``0 = up, 1 = right, 2 = down, 3 = left`` (:data:`GRID_ACTIONS`).

    **Dynamics.** In a non-terminal cell, action :math:`a` moves in direction
    :math:`a` with probability :math:`1 - p` and in each of the three *other*
    directions with probability :math:`p/3` (``p = slip``). A move that would
    leave the grid or enter a wall leaves the agent where it is. Terminal
    cells are absorbing: every action loops with probability 1 and reward 0.

    **Rewards.** Taking any action in a non-terminal cell :math:`c` earns
    ``step_reward`` (a scalar or a per-cell array); entering a terminal cell
    :math:`t` additionally earns ``terminal_rewards[t]``, once, on entry:

    .. math::
        r(s, a) = \text{step}(s) + \sum_{t\ \text{terminal}} P(t \mid s, a)\,
        \text{terminal\_reward}(t), \qquad r(t, a) = 0 .

    With ``step_reward = -1``, ``slip = 0`` and one terminal cell of reward
    0, the optimal value of a cell is minus its shortest-path distance to the
    goal (Sutton & Barto, 2018, Example 4.1 is the 4 x 4 instance).

    Parameters
    ----------
    layout : (int, int) or str
        Either the grid shape ``(rows, cols)`` or a text layout, one line per
        row, with ``.`` free, ``#`` wall, ``S`` start, ``G`` terminal goal
        (reward +1) and ``H`` terminal hole (reward -1). Indentation and blank
        lines around the text are ignored.
    walls : sequence of (row, col) or bool array of shape (rows, cols), optional
        Wall cells, added to those of a text layout.
    slip : float in [0, 1]
        Probability that the move goes to a uniformly random *other* direction.
    step_reward : float or array of shape (rows, cols)
        Reward of every action taken in a non-terminal cell.
    terminal_rewards : dict {(row, col): float}, optional
        Terminal cells and their entry rewards. ``None`` means: the ``G``/``H``
        cells of a text layout, or a single goal of reward 1 in the
        bottom-right cell of a ``(rows, cols)`` layout. Entries override the
        text. Pass ``{}`` for no terminal cell.
    gamma : float
        Discount factor; ``gamma = 1`` needs at least one terminal cell (the
        problem is then an undiscounted stochastic shortest path, whose values
        are finite only if the terminal cells are reachable).
    start : (row, col) or sequence of (row, col), optional
        Start cells; the initial distribution is uniform over them. ``None``
        uses the ``S`` cells of a text layout, and no initial distribution if
        there are none.
    sparse : bool, optional
        Store ``P`` as CSR ``(S*A, S)``. ``None`` picks CSR when the grid has
        more than 500 states.

    Returns
    -------
    FiniteMDP
        With ``terminal_states`` the terminal cells (``None`` if there are none).

    Raises
    ------
    ValueError
        On a malformed layout, a cell outside the grid, a terminal or start
        cell on a wall, a start on a terminal cell, ``slip`` outside [0, 1], a
        non-finite reward, ``gamma = 1`` without terminal cells, or
        ``sparse=False`` for a grid whose dense ``P`` would not fit (more than
        half the physical memory as float64).

    References
    ----------
    R. S. Sutton and A. G. Barto, *Reinforcement Learning: An Introduction*,
    2nd ed., 2018, Example 3.5 and Example 4.1 (gridworlds).

    Examples
    --------
    >>> from rltheory.tabular.envs import gridworld, cell_to_state
    >>> layout = '''
    ...     S..
    ...     .#G
    ... '''
    >>> mdp = gridworld(layout, step_reward=-0.1, slip=0.2, gamma=0.9)
    >>> mdp.n_states, mdp.n_actions, mdp.terminal_states.tolist()
    (5, 4, [4])
    >>> s = cell_to_state(layout, 0, 2)
    >>> float(mdp.P[s, 2, 4])          # down from (0, 2) into the goal
    0.8
    >>> round(float(mdp.R[s, 2]), 6)   # -0.1 per step, +1 on entering G
    0.7
    >>> gridworld((300, 300), slip=0.1).is_sparse
    True
    """
    geo = _parse_layout(layout, walls, terminal_rewards)
    shape, S, A = geo.shape, geo.n_states, 4

    slip = check_real("slip", slip, low=0.0, high=1.0)
    if sparse is not None and not isinstance(sparse, (bool, np.bool_)):
        raise ValueError(f"sparse = {sparse!r} must be True, False or None")
    if sparse is not None and not sparse:
        check_dense_size((S, A, S), f"gridworld with {S} states: a dense P", "pass sparse=True (or sparse=None)")
    check_real("gamma", gamma)
    if float(gamma) == 1.0 and not geo.terminal_rewards:
        raise ValueError("gamma = 1 needs at least one terminal cell (terminal_rewards or G/H in the layout)")

    # ---- per-state step reward
    step = np.asarray(step_reward, dtype=float)
    if step.ndim == 0:
        if not np.isfinite(step):
            raise ValueError(f"step_reward = {step_reward!r} must be finite")
        step_s = np.full(S, float(step))
    else:
        if step.shape != shape:
            raise ValueError(f"step_reward has shape {step.shape}, expected a scalar or the grid shape {shape}")
        bad = ~np.isfinite(step) & ~geo.walls
        if bad.any():
            r, c = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"step_reward[{r}, {c}] = {float(step[r, c])!r} must be finite")
        step_s = step[geo.cells[:, 0], geo.cells[:, 1]]

    # ---- terminal cells
    is_terminal = np.zeros(S, dtype=bool)
    entry_reward = np.zeros(S)
    for (r, c), rew in geo.terminal_rewards.items():
        s = geo.state_of[r, c]
        is_terminal[s] = True
        entry_reward[s] = rew

    # ---- start cells
    if start is None:
        start_cells = geo.starts
    else:
        if len(start) == 2 and all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in start):
            start_cells = [tuple(start)]
        else:
            start_cells = list(start)
        if not start_cells:
            raise ValueError("start is empty; give at least one (row, col) cell or None")
    init = None
    if start_cells:
        init = np.zeros(S)
        for cell in start_cells:
            r, c = _check_cell("start cell", cell, shape)
            s = geo.state_of[r, c]
            if s < 0:
                raise ValueError(f"start cell ({r}, {c}) is a wall")
            if is_terminal[s]:
                raise ValueError(f"start cell ({r}, {c}) is a terminal cell")
            init[s] = 1.0
        init /= init.sum()

    # ---- destinations: dest[d, s] = state reached by moving in direction d from s
    rc = geo.cells
    target = rc[None, :, :] + _MOVES[:, None, :]  # (4, S, 2)
    inside = (target[..., 0] >= 0) & (target[..., 0] < shape[0]) & (target[..., 1] >= 0) & (target[..., 1] < shape[1])
    tr = np.clip(target[..., 0], 0, shape[0] - 1)
    tc = np.clip(target[..., 1], 0, shape[1] - 1)
    dest = np.where(inside, geo.state_of[tr, tc], -1)
    own = np.broadcast_to(np.arange(S), dest.shape)
    dest = np.where(dest < 0, own, dest)  # bump into an edge or a wall: stay
    dest[:, is_terminal] = np.arange(S)[is_terminal]  # terminal: absorbing

    # move probabilities prob[a, d]: intended direction 1 - slip, each other slip / 3
    prob = np.full((A, 4), slip / 3.0)
    np.fill_diagonal(prob, 1.0 - slip)

    # COO entries indexed (s, a, d); row s*A + a, column dest[d, s]
    rows = np.repeat(np.arange(S * A, dtype=np.int64), 4)
    cols = np.broadcast_to(dest.T[:, None, :], (S, A, 4)).reshape(-1)
    data = np.broadcast_to(prob[None, :, :], (S, A, 4)).reshape(-1)
    P = sp.csr_array((data, (rows, cols)), shape=(S * A, S))  # duplicates (bumps) are summed
    P.eliminate_zeros()
    P.sort_indices()

    R = step_s[:, None] + (P @ entry_reward).reshape(S, A)
    R[is_terminal] = 0.0

    use_sparse = S > _AUTO_SPARSE_STATES if sparse is None else bool(sparse)
    P_out = P if use_sparse else P.toarray().reshape(S, A, S)
    terminal_states = np.flatnonzero(is_terminal) if is_terminal.any() else None
    return FiniteMDP(P_out, R, gamma=gamma, terminal_states=terminal_states, initial_distribution=init)


def cell_to_state(layout, row, col, *, walls=None):
    """State index of cell ``(row, col)`` of a gridworld built from ``layout``/``walls``.

    ``row`` and ``col`` may be integers or integer arrays (vectorized).

    Raises
    ------
    ValueError
        If a cell is outside the grid or is a wall (walls are not states).

    Examples
    --------
    >>> from rltheory.tabular.envs import cell_to_state
    >>> cell_to_state((3, 4), 2, 1)
    9
    >>> cell_to_state('..\\n#.', 1, 1)
    2
    """
    geo = _parse_layout(layout, walls, terminal_rewards={})
    r = np.asarray(row)
    c = np.asarray(col)
    if r.dtype.kind not in "iu" or c.dtype.kind not in "iu":
        raise ValueError(f"row and col must be integers, got {row!r}, {col!r}")
    r, c = np.broadcast_arrays(r, c)
    out = (r < 0) | (r >= geo.shape[0]) | (c < 0) | (c >= geo.shape[1])
    if out.any():
        i = np.argwhere(out)[0] if out.ndim else ()
        raise ValueError(
            f"cell ({int(r[tuple(i)])}, {int(c[tuple(i)])}) is outside the {geo.shape[0]} x {geo.shape[1]} grid"
        )
    s = geo.state_of[r, c]
    if (s < 0).any():
        i = tuple(np.argwhere(s < 0)[0]) if s.ndim else ()
        raise ValueError(f"cell ({int(r[i])}, {int(c[i])}) is a wall, not a state")
    return int(s) if s.ndim == 0 else s


def state_to_cell(layout, state, *, walls=None):
    """Cell ``(row, col)`` of state index ``state`` (an integer or an integer array).

    Examples
    --------
    >>> from rltheory.tabular.envs import state_to_cell
    >>> state_to_cell((3, 4), 9)
    (2, 1)
    >>> state_to_cell('..\\n#.', 2)
    (1, 1)
    """
    geo = _parse_layout(layout, walls, terminal_rewards={})
    s = np.asarray(state)
    if s.dtype.kind not in "iu":
        raise ValueError(f"state must be an integer, got {state!r}")
    bad = (s < 0) | (s >= geo.n_states)
    if bad.any():
        raise ValueError(f"state {int(s[bad][0]) if s.ndim else int(s)} is outside [0, {geo.n_states})")
    rc = geo.cells[s]
    if s.ndim == 0:
        return int(rc[0]), int(rc[1])
    return rc[..., 0], rc[..., 1]


def plot_gridworld(layout, values=None, policy=None, *, walls=None, terminal_rewards=None, ax=None, cmap="viridis"):
    """Draw a gridworld: a value heat map, policy arrows, walls and terminal cells.

    Takes the same ``layout``, ``walls`` and ``terminal_rewards`` as
    :func:`gridworld`, so the drawing matches the model.

    Parameters
    ----------
    layout : (int, int) or str
    values : array_like, shape (S,), optional
        One value per state (non-wall cell), drawn as colors with a colorbar.
    policy : array_like, shape (S,) of int or (S, A) of probabilities, optional
        A deterministic policy draws one arrow per non-terminal cell; a
        stochastic one draws an arrow per action with length proportional to
        its probability.
    walls, terminal_rewards
        As in :func:`gridworld`.
    ax : matplotlib Axes, optional
        Created if missing.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from rltheory.tabular.envs import plot_gridworld
    >>> ax = plot_gridworld((2, 3), values=np.arange(6.0), policy=np.ones(6, dtype=int))
    >>> [float(x) for x in ax.get_xlim()]
    [-0.5, 2.5]
    """
    import matplotlib.pyplot as plt  # lazy: plotting is optional at import time

    geo = _parse_layout(layout, walls, terminal_rewards)
    S = geo.n_states
    if ax is None:
        _, ax = plt.subplots(figsize=(max(3.0, 0.6 * geo.shape[1] + 1), max(2.5, 0.6 * geo.shape[0])))
    grid = np.full(geo.shape, np.nan)
    if values is not None:
        v = np.asarray(values, dtype=float)
        if v.shape != (S,):
            raise ValueError(f"values has shape {v.shape}, expected ({S},) (one per non-wall cell)")
        grid[geo.cells[:, 0], geo.cells[:, 1]] = v
        image = ax.imshow(grid, cmap=cmap, origin="upper")
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    else:
        ax.imshow(np.zeros(geo.shape), cmap="Greys", vmin=0, vmax=1, origin="upper")
    if geo.walls.any():
        wall_img = np.where(geo.walls, 1.0, np.nan)
        ax.imshow(wall_img, cmap="Greys", vmin=0, vmax=1, origin="upper")
    terminal_states = set()
    for (r, c), rew in geo.terminal_rewards.items():
        terminal_states.add(int(geo.state_of[r, c]))
        ax.text(
            c,
            r,
            f"{rew:+g}",
            ha="center",
            va="center",
            fontsize=9,
            color="white",
            bbox={"boxstyle": "round", "facecolor": "black", "alpha": 0.6},
        )
    if policy is not None:
        pol = np.asarray(policy)
        if pol.ndim == 1:
            if pol.shape != (S,) or pol.dtype.kind not in "iu" or ((pol < 0) | (pol > 3)).any():
                raise ValueError(f"policy must hold {S} integer actions in [0, 4), got shape {pol.shape}")
            probs = np.zeros((S, 4))
            probs[np.arange(S), pol] = 1.0
        else:
            probs = np.asarray(pol, dtype=float)
            if probs.shape != (S, 4):
                raise ValueError(f"policy has shape {probs.shape}, expected ({S},) or ({S}, 4)")
        keep = np.array([s not in terminal_states for s in range(S)], dtype=bool)
        for a in range(4):
            dr, dc = _MOVES[a]
            length = 0.35 * probs[keep, a]
            show = length > 0
            rr = geo.cells[keep, 0][show]
            cc = geo.cells[keep, 1][show]
            ax.quiver(
                cc,
                rr,
                dc * length[show],
                dr * length[show],  # data coords: row axis points down
                angles="xy",
                scale_units="xy",
                scale=1,
                color="white",
                edgecolor="black",
                linewidth=0.5,
                width=0.012,
            )
    ax.set_xticks(np.arange(geo.shape[1]))
    ax.set_yticks(np.arange(geo.shape[0]))
    ax.set_xlim(-0.5, geo.shape[1] - 0.5)
    ax.set_ylim(geo.shape[0] - 0.5, -0.5)
    return ax
