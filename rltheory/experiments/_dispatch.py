"""The one place where the runner meets the simulation layer: one chunk of runs of a ``(problem, agent)`` pair.

The rest of :mod:`rltheory.experiments` calls only these functions, all thin
wrappers of :mod:`rltheory.simulation`:

* :func:`simulate_chunk` -- runs ``[run_start, run_start + n_runs)`` of
  :func:`rltheory.simulation.simulate` (the executor's task; module level, so
  it pickles by reference); ``budget`` is in the problem kind's unit (rounds
  or episodes);
* :func:`check_pairing` -- a clear ``ValueError`` up front, naming the
  configuration, for an agent the problem's kind does not run;
* :func:`source_fingerprint` -- :func:`rltheory.simulation.engine_fingerprint`,
  part of every chunk hash;
* :func:`problem_kind` -- the problem's kind name (``"bandit"``,
  ``"linear-bandit"``, ``"episodic"``, ...), for plot titles and the summary.

Run ``i`` draws its randomness from ``(seed, i)`` only, so chunks computed
anywhere concatenate into the same numbers bit for bit; ``simulate`` passes
problem and parameters read-only whatever their flags, so a chunk unpickled in
a worker process loads the same cached kernel as the driver's.
"""

from __future__ import annotations

from rltheory.simulation import check_agent, engine_fingerprint, kind_of, simulate

__all__ = ["check_pairing", "problem_kind", "simulate_chunk", "source_fingerprint"]


def problem_kind(problem) -> str:
    """The name of the problem's kind in the simulation layer.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit
    >>> problem_kind(BernoulliBandit([0.5, 0.4]))
    'bandit'
    """
    return kind_of(problem).name


def check_pairing(name, problem, agent) -> None:
    """A clear ``ValueError`` now, rather than an error in a worker, for an agent the problem's kind does not run.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> check_pairing("ok", BernoulliBandit([0.5, 0.4]), UCB1()) is None
    True
    """
    try:
        check_agent(problem, agent)
    except ValueError as exc:
        raise ValueError(f"ExperimentConfig {name!r}: {exc}") from None


def simulate_chunk(problem, agent, budget, n_runs, run_start, seed, checkpoints):
    """Runs ``[run_start, run_start + n_runs)`` of ``agent`` on ``problem``: one chunk, a ``RegretCurve``.

    ``budget`` is passed as the problem kind's budget keyword (``n_rounds`` or
    ``n_episodes``); run ``i`` depends only on ``(seed, i)``.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> c = simulate_chunk(BernoulliBandit([0.6, 0.4]), UCB1(), 100, 2, 5, 7, 10)
    >>> c.regret.shape[0], c.run_start
    (2, 5)
    """
    kind = kind_of(problem)
    return simulate(
        problem,
        agent,
        **{kind.budget: budget},
        n_runs=n_runs,
        seed=seed,
        checkpoints=checkpoints,
        run_start=run_start,
        progress=False,
    )


def source_fingerprint(problem, agent) -> dict:
    """What the numbers of a chunk depend on besides its arguments: a JSON-able dict.

    The problem kind, the sha256 of the sources the agent's kernel is built
    from, and the versions of NumPy / Numba / Python
    (:func:`rltheory.simulation.engine_fingerprint`). A chunk computed by other
    code (an edited kernel, another NumPy, which can change floating-point
    results) gets another chunk hash and is recomputed instead of being mixed in.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> fp = source_fingerprint(BernoulliBandit([0.5, 0.4]), UCB1())
    >>> fp["kind"], sorted(fp)
    ('bandit', ['kind', 'numba', 'numpy', 'python', 'source_sha256'])
    """
    return engine_fingerprint(problem, agent)
