"""The ``"markov-game"`` problem kind: finite-horizon :class:`MarkovGame` under :func:`rltheory.simulation.simulate`.

A :class:`MarkovGame` with a horizon is simulated by the self-play driver of
:mod:`rltheory.simulation._markov_game` (agents derive from
:class:`~rltheory.simulation.MarkovGameAgent`); the budget is ``n_episodes``.
The start state is drawn from the game's ``initial_distribution`` (uniform
when it has none); the game value used by the realized regret is the
certified midpoint of :func:`shapley_backward_induction` (width at most the
stage solves' rounding).
"""

from __future__ import annotations

import numpy as np

from rltheory.simulation import MarkovGameAgent, ProblemKind, markov_game_prepared, register_problem_kind
from rltheory.tabular.games._finite_horizon import shapley_backward_induction
from rltheory.tabular.games._markov import MarkovGame


def start_distribution(game: MarkovGame) -> np.ndarray:
    """The game's initial distribution, or the uniform one."""
    if game.initial_distribution is None:
        return np.full(game.n_states, 1.0 / game.n_states)
    return np.asarray(game.initial_distribution)


def _prepare(game: MarkovGame, agent, n_episodes: int):
    return markov_game_prepared(
        P=np.asarray(game.P)[None],
        R=np.asarray(game.R)[None],
        stage=np.zeros(game.horizon, dtype=np.int64),
        gamma=game.gamma,
        initial_distribution=start_distribution(game),
        vstar=shapley_backward_induction(game).v[0],
        shared_stream=True,
        rng_description="one xoshiro256++ stream per run (environment and agent), seeded by "
        "SeedSequence(seed, spawn_key=(run,))",
    )


register_problem_kind(
    ProblemKind(
        name="markov-game",
        problem_types=(MarkovGame,),
        agent_base=MarkovGameAgent,
        budget="n_episodes",
        prepare=_prepare,
        accepts=lambda game: game.horizon is not None,
    )
)
