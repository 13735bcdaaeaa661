"""Environments: classic finite MDPs from the literature and converters.

Every function returns a validated :class:`~rltheory.tabular.FiniteMDP`.

* :func:`gridworld` (with :func:`cell_to_state`, :func:`state_to_cell`,
  :func:`plot_gridworld`): compass-move gridworlds with slip, walls and
  terminal cells; vectorized and sparse for large grids.
* :func:`river_swim`: RiverSwim (Strehl & Littman, 2008).
* :func:`chain`: the n-chain (Dearden et al., 1998; Strens, 2000).
* :func:`garnet`: random Garnet MDPs (Archibald et al., 1995).
* :func:`from_gymnasium`: a Gymnasium toy-text environment's table.
* :func:`tree_mdp`: random tree MDPs (every state has one history; Jiang & Li, 2016).
* :func:`stitching_mdp`: the deterministic MDP whose optimal episode stitches two logged ones (Zhou et al., 2023).
* :func:`deep_sea` (with :func:`deep_sea_treasure`): bsuite's deep-sea
  exploration problem (Osband et al. 2019), episodic.
* :func:`to_gymnasium`: a FiniteMDP or a stochastic bandit as a
  ``gymnasium.Env``; :func:`register_gymnasium_envs` registers the ids
  ``rltheory/RiverSwim-v0``, ``rltheory/Chain-v0``, ``rltheory/GridWorld-v0``,
  ``rltheory/Garnet-v0`` (Gymnasium is imported only when these are called).
"""

from rltheory.tabular.envs._classic import chain, river_swim
from rltheory.tabular.envs._deep_sea import deep_sea, deep_sea_treasure
from rltheory.tabular.envs._garnet import garnet
from rltheory.tabular.envs._gridworld import GRID_ACTIONS, cell_to_state, gridworld, plot_gridworld, state_to_cell
from rltheory.tabular.envs._gymnasium import from_gymnasium, register_gymnasium_envs, to_gymnasium
from rltheory.tabular.envs._stitching import stitching_mdp
from rltheory.tabular.envs._tree import tree_mdp

__all__ = [
    "GRID_ACTIONS",
    "cell_to_state",
    "chain",
    "deep_sea",
    "deep_sea_treasure",
    "from_gymnasium",
    "garnet",
    "gridworld",
    "plot_gridworld",
    "register_gymnasium_envs",
    "river_swim",
    "state_to_cell",
    "stitching_mdp",
    "tree_mdp",
    "to_gymnasium",
]
