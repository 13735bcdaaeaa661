"""rltheory.simulation: the one layer every sequential learner runs on.

* The agent protocol: :class:`Agent` (a frozen record of parameters with
  compiled functions over explicit state; built-in and user agents alike),
  :func:`agent_from_spec`, :func:`registered_agents`; the episodic-MDP agent
  base :class:`EpisodicAgent`, the continuing (average-reward) agent base
  :class:`ContinuingAgent` and the self-play base :class:`MarkovGameAgent`
  (two-player zero-sum episodic Markov games).
* The one entry point :func:`simulate` (``n_rounds=`` for bandits and
  continuing MDPs, ``n_episodes=`` for episodic MDPs and Markov games), which dispatches on the problem's kind
  (:func:`problem_kinds`; subpackages register theirs with
  :func:`register_problem_kind`, building episodic, continuing and Markov-game ones with
  :func:`episodic_prepared`, :func:`continuing_prepared` and :func:`markov_game_prepared`) and runs one kernel
  generated per agent class.
* Per-run random streams: xoshiro256++ seeded by
  ``SeedSequence(seed, spawn_key=(run,))`` (:func:`run_states`), compiled
  samplers (:func:`rng_uniform`, :func:`rng_normal`, :func:`rng_gamma`,
  :func:`rng_beta`, :func:`rng_integers`, :func:`rng_categorical`, ...) for use
  inside agents, and their pure-Python twin :class:`PyXoshiro` for reference
  implementations.
* Results: :class:`RegretCurve` (with :class:`SlopeFit`), the checkpoint
  schedule :func:`checkpoint_times`, and :func:`versions`.

This package imports no other rltheory subpackage; they import it.

Examples
--------
>>> from rltheory.bandits import BernoulliBandit, KLUCB
>>> from rltheory.simulation import simulate
>>> curve = simulate(BernoulliBandit([0.9, 0.8]), KLUCB(), n_rounds=2000, n_runs=20, seed=1, checkpoints=20)
>>> curve.regret.shape, curve.budget
((20, 19), 2000)
"""

from rltheory.simulation._agent import Agent, NoParams, agent_from_spec, registered_agents
from rltheory.simulation._continuing import ContinuingAgent, continuing_prepared
from rltheory.simulation._curves import RegretCurve, SlopeFit
from rltheory.simulation._episodic import EpisodicAgent, episodic_prepared
from rltheory.simulation._markov_game import MarkovGameAgent, markov_game_prepared
from rltheory.simulation._metadata import versions
from rltheory.simulation._rng import (
    PyXoshiro,
    rng_beta,
    rng_categorical,
    rng_gamma,
    rng_gamma_dc,
    rng_integers,
    rng_normal,
    rng_uniform,
    rng_uniform_open,
    run_states,
)
from rltheory.simulation._schedule import checkpoint_times
from rltheory.simulation._simulate import (
    PreparedProblem,
    ProblemKind,
    check_agent,
    engine_fingerprint,
    kind_of,
    problem_kinds,
    register_problem_kind,
    simulate,
)

__all__ = [
    "Agent",
    "ContinuingAgent",
    "EpisodicAgent",
    "MarkovGameAgent",
    "NoParams",
    "PreparedProblem",
    "ProblemKind",
    "PyXoshiro",
    "RegretCurve",
    "SlopeFit",
    "agent_from_spec",
    "check_agent",
    "continuing_prepared",
    "episodic_prepared",
    "markov_game_prepared",
    "checkpoint_times",
    "engine_fingerprint",
    "kind_of",
    "problem_kinds",
    "register_problem_kind",
    "registered_agents",
    "rng_beta",
    "rng_categorical",
    "rng_gamma",
    "rng_gamma_dc",
    "rng_integers",
    "rng_normal",
    "rng_uniform",
    "rng_uniform_open",
    "run_states",
    "simulate",
    "versions",
]
