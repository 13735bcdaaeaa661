"""The one entry point of every sequential experiment: :func:`simulate`.

Problem kinds (``"bandit"``, ``"linear-bandit"``, ``"episodic"``, ...) are
registered by the subpackages that define their problems
(:func:`register_problem_kind`); ``simulate`` dispatches on the problem's
type, checks that the agent belongs to that kind, and runs the agent's
generated kernel over batches of runs. Nothing here imports a subpackage.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_memory, check_probability
from ._agent import Agent
from ._kernels import engine_kernel, kernel_source_digest, run_kernel
from ._metadata import versions
from ._rng import run_states
from ._schedule import checkpoint_times

__all__ = [
    "PreparedProblem",
    "ProblemKind",
    "check_agent",
    "engine_fingerprint",
    "kind_of",
    "problem_kinds",
    "register_problem_kind",
    "simulate",
]

#: Budget keyword of each unit: ``simulate(..., n_rounds=T)`` or ``simulate(..., n_episodes=K)``.
BUDGETS = ("n_rounds", "n_episodes")


@dataclass(frozen=True)
class PreparedProblem:
    """What a problem kind hands to the engine for one call of :func:`simulate`.

    Attributes
    ----------
    driver : numba dispatcher
        ``driver(*agent_functions, params, problem, budget, times, streams, outputs, r) -> int``
        simulates run ``r`` of the batch and returns 0, or the (1-based) round or
        episode at which the agent chose an invalid action.
    arrays : tuple
        The problem as the driver reads it (``problem`` argument).
    n_streams : int
        xoshiro256++ streams per run (``streams`` has shape ``(runs, n_streams, 4)``).
    allocate : callable
        ``allocate(n_runs, n_checkpoints) -> tuple`` of output arrays whose
        first axis is the run.
    bytes_per_checkpoint : int
        Output bytes per run and checkpoint (for the up-front memory check).
    finish : callable
        ``finish(times, outputs, run_start, metadata, confidence, interval)`` -> the result.
    rng : str
        How the run's streams are used (recorded in the metadata).
    invalid_action : str
        What an error code means, formatted with ``agent``, ``at`` and ``run``.
    bytes_per_run : int
        Output bytes per run that do not depend on the checkpoints (e.g. the
        first-visit episode of every state), for the memory check.
    metadata : dict
        JSON-serialisable facts of the problem kind recorded in the result's
        metadata (e.g. an episodic problem's ``horizon`` and its reward model
        ``rewards``).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> prepared = kind_of(BernoulliBandit([0.6, 0.4])).prepare(BernoulliBandit([0.6, 0.4]), UCB1(), 100)
    >>> prepared.n_streams, prepared.bytes_per_checkpoint   # one stream per arm + the agent's; 8 (2 + K) bytes
    (3, 32)
    """

    driver: Any
    arrays: tuple
    n_streams: int
    allocate: Callable
    bytes_per_checkpoint: int
    finish: Callable
    rng: str
    invalid_action: str = "agent {agent!r} chose an invalid action at {at} of run {run}"
    bytes_per_run: int = 0
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProblemKind:
    """A family of problems run by one driver.

    Attributes
    ----------
    name : str
        ``"bandit"``, ``"linear-bandit"``, ``"episodic"``, ...
    problem_types : tuple of type
        The problem classes of this kind.
    agent_base : type
        The :class:`~rltheory.simulation.Agent` subclass its agents derive from.
    budget : str
        The budget keyword of :func:`simulate` (``"n_rounds"`` or ``"n_episodes"``).
    prepare : callable
        ``prepare(problem, agent, budget) -> PreparedProblem``.
    accepts : callable, optional
        ``accepts(problem) -> bool`` when only some problems of these types
        belong to the kind (a :class:`~rltheory.tabular.FiniteMDP` with a horizon
        is episodic, one with ``gamma = 1`` and no terminal state is continuing);
        kinds that share a problem type must all give one.

    Examples
    --------
    >>> from rltheory.linear import LinearMDP
    >>> kind = kind_of(LinearMDP.random(3, 2, 2, horizon=2, rng=0))
    >>> kind.name, kind.budget, kind.unit, kind.agent_base.__name__
    ('episodic', 'n_episodes', 'episodes', 'EpisodicAgent')
    """

    name: str
    problem_types: tuple
    agent_base: type
    budget: str
    prepare: Callable
    accepts: Callable | None = None
    unit: str = field(init=False)

    def __post_init__(self):
        check_choice("budget", self.budget, BUDGETS)
        object.__setattr__(self, "unit", self.budget[2:])


_KINDS: list[ProblemKind] = []


def register_problem_kind(kind: ProblemKind) -> None:
    """Register the problem types of a kind (done by the subpackage that defines them, at import).

    One kind name may be registered by several subpackages for their own
    problem types (the ``"episodic"`` kind covers linear and tabular MDPs);
    a problem type belongs to one registration unless every registration of
    it gives an ``accepts`` predicate.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit
    >>> register_problem_kind(kind_of(BernoulliBandit([0.5, 0.4])))  # the bandit types are taken
    Traceback (most recent call last):
    ...
    ValueError: problem types (...) are already registered (kind 'bandit'); kinds sharing a problem type must ...
    """
    if not isinstance(kind, ProblemKind):
        raise ValueError(f"expected a ProblemKind, got {type(kind).__name__}")
    for other in _KINDS:
        if set(other.problem_types) & set(kind.problem_types) and (other.accepts is None or kind.accepts is None):
            raise ValueError(
                f"problem types {kind.problem_types} are already registered (kind {other.name!r}); kinds sharing a "
                "problem type must each say which problems they accept"
            )
    _KINDS.append(kind)


def problem_kinds() -> dict[str, list[str]]:
    """Registered kind name -> the names of its problem types.

    Examples
    --------
    >>> import rltheory.bandits
    >>> problem_kinds()["bandit"]
    ['BernoulliBandit', 'BoundedBandit', 'GaussianBandit', 'SequenceBandit']
    """
    out: dict[str, list[str]] = {}
    for kind in _KINDS:
        out.setdefault(kind.name, []).extend(t.__name__ for t in kind.problem_types)
    return {k: sorted(v) for k, v in sorted(out.items())}


def kind_of(problem) -> ProblemKind:
    """The registered :class:`ProblemKind` of ``problem`` (``ValueError`` for a problem no kind accepts).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit
    >>> kind = kind_of(BernoulliBandit([0.5, 0.4]))
    >>> kind.name, kind.budget, kind.unit
    ('bandit', 'n_rounds', 'rounds')
    """
    return _kind_of(problem)


def check_agent(problem, agent) -> ProblemKind:
    """Check, before any work, that ``agent`` can run on ``problem``; returns the problem's kind.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit
    >>> from rltheory.linear import LinUCB
    >>> check_agent(BernoulliBandit([0.5, 0.4]), LinUCB())
    Traceback (most recent call last):
    ...
    ValueError: LinUCB is an agent of the linear-bandit kind; a problem of the bandit kind needs a BanditAgent
    """
    kind = _kind_of(problem)
    _check_agent(agent, kind)
    return kind


def engine_fingerprint(problem, agent) -> dict:
    """What the numbers of ``simulate(problem, agent, ...)`` depend on besides its arguments (JSON-able).

    The problem kind, the sha256 of the sources the agent's kernel is built
    from (its driver's and functions' modules and every rltheory module they
    import), and the versions of NumPy, Numba and Python. Results computed by
    other code get another fingerprint (the experiments runner recomputes
    their chunks instead of mixing them in).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> sorted(engine_fingerprint(BernoulliBandit([0.5, 0.4]), UCB1()))
    ['kind', 'numba', 'numpy', 'python', 'source_sha256']
    """
    kind = check_agent(problem, agent)
    prepared = kind.prepare(problem, agent, 1)
    meta = versions()
    return {
        "kind": kind.name,
        "source_sha256": kernel_source_digest(type(agent), prepared.driver),
        "numpy": meta["numpy"],
        "numba": meta["numba"],
        "python": meta["python"],
    }


def _kind_of(problem) -> ProblemKind:
    matching = [k for k in _KINDS if isinstance(problem, k.problem_types)]
    for kind in matching:
        if kind.accepts is None or kind.accepts(problem):
            return kind
    if matching:
        names = sorted({k.name for k in matching})
        raise ValueError(
            f"this {type(problem).__name__} is not a problem of any simulated kind ({names}): check its "
            "criterion (horizon, discount, terminal states)"
        )
    known = sorted({t.__name__ for k in _KINDS for t in k.problem_types})
    raise ValueError(f"simulate does not know problems of type {type(problem).__name__}; known: {known}")


def _read_only(value):
    """``value`` with every array in it (in tuples and NamedTuples too) as a read-only view.

    Numba makes writability part of an array's type: a problem unpickled in a
    worker has writable arrays where the parent's were read-only, and would
    miss the cached kernel. The kernel only reads the problem and the
    parameters, so they are always passed read-only.
    """
    if isinstance(value, np.ndarray):
        view = value.view()
        view.flags.writeable = False
        return view
    if isinstance(value, tuple):
        items = [_read_only(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


def _check_agent(agent, kind: ProblemKind) -> None:
    if not isinstance(agent, Agent):
        raise ValueError(f"agent must be an rltheory agent (a {kind.agent_base.__name__}), got {type(agent).__name__}")
    if not isinstance(agent, kind.agent_base):
        raise ValueError(
            f"{type(agent).__name__} is an agent of the {agent.kind or 'generic'} kind; a problem of the {kind.name} "
            "kind needs a "
            f"{kind.agent_base.__name__}"
        )
    for slot, fn in zip(type(agent).slots, type(agent).functions()):
        if fn is None or not hasattr(fn, "py_func"):
            raise ValueError(f"agent {agent.name!r}: {slot} must be a numba.njit function, got {fn!r}")


def simulate(
    problem,
    agent,
    *,
    n_rounds: int | None = None,
    n_episodes: int | None = None,
    n_runs: int = 1,
    seed: int = 0,
    checkpoints=200,
    run_start: int = 0,
    confidence: float = 0.95,
    interval: str = "normal",
    progress: bool = False,
):
    """Simulate ``n_runs`` independent runs of ``agent`` on ``problem``.

    Parameters
    ----------
    problem : a registered problem
        A bandit (:mod:`rltheory.bandits`), a :class:`~rltheory.linear.LinearBandit`,
        a :class:`~rltheory.linear.LinearMDP`, ... (see :func:`problem_kinds`).
    agent : Agent
        An agent of the problem's kind (built-in or user-defined).
    n_rounds, n_episodes : int
        The budget, in the problem kind's unit: rounds for bandits, episodes
        for episodic MDPs (exactly one, the one the kind takes; an episodic
        MDP's own horizon ``H`` is a property of the problem).
    n_runs : int
        Runs, with global indices ``run_start, ..., run_start + n_runs - 1``.
    seed : int
        Non-negative root seed: run ``i`` draws only from
        ``SeedSequence(seed, spawn_key=(i,))``, so splitting runs into chunks,
        threads or workers never changes a number, and chunks merge with
        :meth:`RegretCurve.concatenate`.
    checkpoints : int or array_like
        See :func:`checkpoint_times`.
    run_start : int
        Global index of the first run.
    confidence, interval : float, {"normal", "bootstrap"}
        Level and kind of the confidence band of the mean curve.
    progress : bool
        Show a tqdm bar (runs are then simulated in batches; results are
        unchanged). Off automatically when stderr is not a terminal.

    Returns
    -------
    RegretCurve
        (or the result type of the problem kind).

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> from rltheory.simulation import simulate
    >>> curve = simulate(BernoulliBandit([0.9, 0.8]), UCB1(), n_rounds=1000, n_runs=8, seed=1, checkpoints=10)
    >>> curve.regret.shape, curve.budget, curve.unit
    ((8, 10), 1000, 'rounds')
    >>> simulate(BernoulliBandit([0.9, 0.8]), UCB1(), n_episodes=10)
    Traceback (most recent call last):
    ...
    ValueError: a problem of the bandit kind takes its budget as n_rounds=, not n_episodes=
    """
    kind = _kind_of(problem)
    given = {"n_rounds": n_rounds, "n_episodes": n_episodes}
    for key, value in given.items():
        if value is not None and key != kind.budget:
            raise ValueError(f"a problem of the {kind.name} kind takes its budget as {kind.budget}=, not {key}=")
    if given[kind.budget] is None:
        raise ValueError(f"a problem of the {kind.name} kind needs its budget: {kind.budget}=")
    budget = check_int(kind.budget, given[kind.budget], low=1)
    _check_agent(agent, kind)
    n_runs = check_int("n_runs", n_runs, low=1)
    seed = check_int("seed", seed, low=0)
    run_start = check_int("run_start", run_start, low=0)
    confidence = check_probability("confidence", confidence)
    check_choice("interval", interval, ("normal", "bootstrap"))
    prepared = kind.prepare(problem, agent, budget)
    n_points = budget
    if isinstance(checkpoints, numbers.Integral) and not isinstance(checkpoints, bool):
        n_points = min(max(int(checkpoints), 1), budget)
    elif hasattr(checkpoints, "__len__"):
        n_points = min(len(checkpoints) + 1, budget)
    check_memory(
        f"{n_runs} runs x {n_points} checkpoints of output",
        float(n_runs) * (n_points * prepared.bytes_per_checkpoint + prepared.bytes_per_run),
        advice="use fewer checkpoints or fewer runs per call (chunks merge with RegretCurve.concatenate)",
    )
    times = checkpoint_times(budget, checkpoints)
    params = _read_only(agent.compiled_params(problem, budget))
    arrays = _read_only(prepared.arrays)
    kernel, cached = engine_kernel(type(agent), prepared.driver, kind.name)
    outputs = prepared.allocate(n_runs, times.size)
    errors = np.zeros(n_runs, dtype=np.int64)
    description = f"{kind.name} kernel of {type(agent).__qualname__}"

    batches = [(0, n_runs)]
    bar = None
    if progress:
        from tqdm import tqdm

        step = max(1, -(-n_runs // 20))
        batches = [(s, min(s + step, n_runs)) for s in range(0, n_runs, step)]
        bar = tqdm(total=n_runs, desc=agent.name, unit="run", disable=None)
    try:
        for lo, hi in batches:
            streams = run_states(seed, np.arange(run_start + lo, run_start + hi), prepared.n_streams)
            args = (params, arrays, budget, times, streams, tuple(o[lo:hi] for o in outputs), errors[lo:hi])
            run_kernel(kernel, cached, description, args)
            if bar is not None:
                bar.update(hi - lo)
    finally:
        if bar is not None:
            bar.close()
    if errors.any():
        j = int(np.argmax(errors != 0))
        at = f"{kind.unit[:-1]} {int(errors[j])}"
        raise ValueError(prepared.invalid_action.format(agent=agent.name, at=at, run=run_start + j))
    metadata = {
        "kind": kind.name,
        "problem": problem.to_spec(),
        "agent": agent.to_spec(),
        "seed": seed,
        "budget": budget,
        "unit": kind.unit,
        "rng": prepared.rng,
        **prepared.metadata,
        "versions": versions(),
    }
    return prepared.finish(times, outputs, run_start, metadata, float(confidence), interval)
