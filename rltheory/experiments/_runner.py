"""The chunked experiment runner: many runs x many configurations on an executor.

Every configuration ``(problem, agent)`` is simulated for ``n_runs`` runs of
``budget`` steps (episodes for a linear MDP). The runs are cut into chunks
``[start, stop)``; each chunk is one call of
:func:`rltheory.experiments._dispatch.simulate_chunk` with ``run_start=start``
and ``seed=config_seed`` sent to an executor. Run ``i`` depends only on
``(seed, i)``, so chunks computed anywhere concatenate into the same numbers
bit for bit, whatever the executor, the number of workers and the chunk size.

Each chunk has a hash: sha256 of the canonical JSON of the sha256 of the
problem spec, the agent spec, budget, checkpoints, seeds, run range,
rltheory version and the simulation code's fingerprint
(:func:`~rltheory.experiments._dispatch.source_fingerprint`). The results
folder, and when a stored chunk is reused, are the business of
:mod:`rltheory.experiments._store`.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rltheory import __version__
from rltheory._validation import check_int
from rltheory.experiments import _atomic, _dispatch
from rltheory.experiments._executors import SerialExecutor, executor_width
from rltheory.experiments._records import ExperimentConfig, ExperimentResult
from rltheory.experiments._store import FORMAT, FORMAT_VERSION, ChunkStore, check_curve_range
from rltheory.experiments._summary import summary_csv, summary_row

__all__ = ["run_experiment", "config_seed", "warm_up", "DEFAULT_CHUNK_SIZE"]

#: Runs per chunk when ``chunk_size`` is not given. Fixed (not derived from the
#: executor) so that a run resumed on another executor finds its chunk files.
DEFAULT_CHUNK_SIZE = 25


def config_seed(seed: int, index: int) -> int:
    """Seed of configuration ``index``: ``SeedSequence(seed).spawn(...)[index]``.

    The child ``np.random.SeedSequence(seed, spawn_key=(index,))`` is the
    ``index``-th child of ``SeedSequence(seed).spawn(n)`` for every ``n``, so a
    configuration's seed does not depend on how many configurations there are.
    Its first 64-bit word, shifted to 63 bits, is passed to ``simulate``.

    Examples
    --------
    >>> config_seed(0, 1) == config_seed(0, 1) != config_seed(0, 2)
    True
    """
    child = np.random.SeedSequence(seed, spawn_key=(index,))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _spec_for_marker(problem, limit=100_000):
    """The problem spec for ``experiment.json``, or its sha256 when the JSON is large."""
    text = _atomic.canonical_json(problem.to_spec())
    if len(text) <= limit:
        return problem.to_spec()
    return {"type": type(problem).__name__, "sha256": _atomic.sha256_bytes(text.encode("ascii"))}


def _load_regret_curve(path):
    from rltheory.simulation import RegretCurve

    return RegretCurve.load(path)


# --------------------------------------------------------------------------- chunk plan


@dataclass(frozen=True)
class _ChunkJob:
    """One unit of work: ``task(*args)`` computes runs ``[start, stop)`` of config ``index``."""

    index: int
    start: int
    stop: int
    task: Callable
    args: tuple
    digest: str
    description: Mapping


def _chunk_ranges(n_runs, chunk_size):
    return [(a, min(a + chunk_size, n_runs)) for a in range(0, n_runs, chunk_size)]


def _plan(configs, *, budget, n_runs, seed, checkpoints, chunk_size):
    jobs = []
    for k, cfg in enumerate(configs):
        cseed = config_seed(seed, k)
        # The problem spec can be large (a SequenceBandit holds its reward table):
        # it enters the chunk hash through its own sha256, computed once.
        try:
            problem_json = _atomic.canonical_json(cfg.problem.to_spec())
        except (TypeError, ValueError) as exc:
            raise ValueError(f"config {cfg.name!r}: problem spec is not canonical JSON: {exc}") from exc
        base = {
            "problem_type": type(cfg.problem).__name__,
            "problem_sha256": _atomic.sha256_bytes(problem_json.encode("ascii")),
            "agent": cfg.agent.to_spec(),
            "budget": budget,
            "checkpoints": checkpoints,
            "seed": seed,
            "config_index": k,
            "config_seed": cseed,
            "rltheory": __version__,
            "engine": _dispatch.source_fingerprint(cfg.problem, cfg.agent),
        }
        for a, b in _chunk_ranges(n_runs, chunk_size):
            desc = dict(base, run_start=a, run_stop=b)
            try:
                text = _atomic.canonical_json(desc)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"config {cfg.name!r}: problem/agent spec is not canonical JSON: {exc}") from exc
            jobs.append(
                _ChunkJob(
                    index=k,
                    start=a,
                    stop=b,
                    task=_dispatch.simulate_chunk,
                    args=(cfg.problem, cfg.agent, budget, b - a, a, cseed, checkpoints),
                    digest=_atomic.sha256_bytes(text.encode("ascii")),
                    description=desc,
                )
            )
    return jobs


# --------------------------------------------------------------------------- execution

#: Rounds (episodes) and checkpoints of the short runs that compile a configuration's kernel.
_WARM_BUDGET, _WARM_CHECKPOINTS = 20, 2


def warm_up(configs, budget=_WARM_BUDGET):
    """Compile (or load from the cache) the kernel of every configuration in this process.

    One run of ``min(budget, 20)`` rounds per distinct ``(problem type,
    agent type)``; the numbers are discarded. ``rltheory compile`` calls it
    to fill the cache ahead of time. (:func:`run_experiment` does not: loading
    a parallel kernel from the cache costs about a second, which a driver that
    only hands out chunks would pay for nothing.)

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> warm_up([ExperimentConfig("UCB1", BernoulliBandit([0.6, 0.4]), UCB1())])
    1
    """
    seen = set()
    for cfg in configs:
        key = (type(cfg.problem), type(cfg.agent))
        if key in seen:
            continue
        seen.add(key)
        _dispatch.simulate_chunk(cfg.problem, cfg.agent, min(budget, _WARM_BUDGET), 1, 0, 0, _WARM_CHECKPOINTS)
    return len(seen)


def _progress_bar(total, initial, progress, desc):
    from tqdm import tqdm  # plain bars: tqdm.auto warns in kernels without ipywidgets

    # disable=None: tqdm turns itself off when stderr is not a terminal.
    return tqdm(total=total, initial=initial, desc=desc, unit="chunk", disable=None if progress else True)


def _execute(jobs, *, executor, store, progress, desc="chunks"):
    """Run ``jobs`` on ``executor``; returns ``(results by job position, n_reused)``.

    Chunks already valid in ``store`` are loaded instead of computed. At most
    ``2 * executor_width(executor)`` chunks are in flight (1 for the serial
    executor); each finished chunk is written to ``store`` before more work is
    submitted, so an interruption loses only the chunks in flight.
    """
    results = [None] * len(jobs)
    todo = []
    for pos, job in enumerate(jobs):
        curve = store.load(job) if store is not None else None
        if curve is None:
            todo.append(pos)
        else:
            results[pos] = curve
    n_reused = len(jobs) - len(todo)
    if not isinstance(executor, SerialExecutor):
        # round-robin over configurations: workers that start together start on different kernels, so a cold
        # compiled-code cache is filled in parallel instead of every worker compiling the first kernel at once
        todo.sort(key=lambda pos: (jobs[pos].start, jobs[pos].index))
    window = 1 if isinstance(executor, SerialExecutor) else 2 * executor_width(executor)
    bar = _progress_bar(len(jobs), n_reused, progress, desc)
    pending = {}
    queue = iter(todo)
    try:
        while True:
            while len(pending) < window:
                pos = next(queue, None)
                if pos is None:
                    break
                job = jobs[pos]
                pending[executor.submit(job.task, *job.args)] = pos
            if not pending:
                break
            done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            failure = None
            for fut in sorted(done, key=pending.__getitem__):
                pos = pending.pop(fut)
                try:
                    curve = fut.result()
                except BaseException as exc:  # write the other finished chunks first
                    if failure is None:
                        failure = exc
                    continue
                if store is not None:
                    store.write(jobs[pos], curve)
                results[pos] = curve
                bar.update(1)
            if failure is not None:
                raise failure
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise
    finally:
        bar.close()
    return results, n_reused


# --------------------------------------------------------------------------- public entry point


def run_experiment(
    configs: Iterable[ExperimentConfig],
    *,
    budget: int,
    n_runs: int,
    seed: int = 0,
    out_dir: str | os.PathLike | None = None,
    executor: cf.Executor | None = None,
    chunk_size: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    extra_files: Sequence[str] = (),
    checkpoints: int = 200,
    progress: bool = True,
) -> ExperimentResult:
    """Simulate every configuration for ``n_runs`` runs, in chunks, on an executor.

    Configuration ``k`` uses the seed :func:`config_seed` ``(seed, k)`` (the
    ``k``-th child of ``np.random.SeedSequence(seed)``); its runs
    ``0..n_runs-1`` are split into chunks ``[a, b)`` of ``chunk_size`` runs and
    each chunk is one call ``simulate(problem, agent, budget, b - a,
    run_start=a, seed=config_seed(seed, k), checkpoints=checkpoints)`` of the
    one simulate (:func:`rltheory.simulation.simulate`, with ``budget`` as the
    problem kind's budget keyword). Since run ``i`` of each
    depends only on ``(seed, i)``, the returned curves are bit-identical for
    every executor and every chunk size.

    Parameters
    ----------
    configs : sequence of ExperimentConfig
        Unique names.
    budget, n_runs : int
        Steps per run (episodes for a linear MDP) and runs per configuration.
    seed : int
        Master seed.
    out_dir : str or path-like, optional
        Results folder (layout and rules in :mod:`rltheory.experiments._store`).
        Each finished chunk is written there at once, atomically, with a
        manifest holding the sha256 of its configuration and of its data; the
        full curves go to ``curves/`` and the summary to ``summary.csv``. A
        folder holds one experiment: one of another experiment is refused
        unless ``overwrite=True``, and files rltheory did not write are never
        overwritten.
    executor : concurrent.futures.Executor, optional
        Where chunks run; default an in-process :class:`SerialExecutor`. Use
        :func:`make_executor` for local processes or a Dask cluster. Chunks
        are submitted round-robin over the configurations, so that workers
        starting on a cold compiled-code cache compile different kernels.
    chunk_size : int, optional
        Runs per chunk (default :data:`DEFAULT_CHUNK_SIZE`, capped at ``n_runs``).
    resume : bool
        Reuse the valid chunks of this experiment already in ``out_dir``;
        chunks that are missing, corrupted, of another configuration or of
        another run range are recomputed (listed in ``chunks_rejected``), never
        mixed in.
    overwrite : bool
        If ``out_dir`` holds another experiment, delete all its files first
        (exclusive with ``resume``).
    extra_files : sequence of str
        Names of further files the caller will write into ``out_dir`` (such as
        a figure): checked and recorded like the runner's own outputs.
    checkpoints : int
        Checkpoints per curve (passed to the simulator).
    progress : bool
        tqdm bar over chunks (also off when stderr is not a terminal).

    Returns
    -------
    ExperimentResult

    Raises
    ------
    ValueError
        Bad sizes, duplicate names, ``resume`` without ``out_dir``, or a
        results folder that cannot take this experiment (a file where a
        folder is expected, unwritable, files with rltheory's names that it did
        not write, or another experiment without ``overwrite``). Nothing is
        written or removed then.
    OSError
        Writing a chunk or a result failed (e.g. a full disk): the chunks
        written before are kept; rerun with ``resume=True``.

    Notes
    -----
    Ctrl-C, a killed worker or a killed process lose only the chunks in flight
    (at most ``2 * workers``): rerun with ``resume=True``.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, KLUCB, UCB1
    >>> bandit = BernoulliBandit([0.9, 0.8])
    >>> configs = [ExperimentConfig("UCB1", bandit, UCB1()), ExperimentConfig("KL-UCB", bandit, KLUCB())]
    >>> res = run_experiment(configs, budget=500, n_runs=6, chunk_size=4, checkpoints=20, progress=False)
    >>> res.curves["UCB1"].regret.shape[0], res.chunks_computed
    (6, 4)
    >>> one = run_experiment(configs, budget=500, n_runs=6, chunk_size=6, checkpoints=20, progress=False)
    >>> bool((one.curves["KL-UCB"].regret == res.curves["KL-UCB"].regret).all())  # chunking-invariant
    True

    A results folder is resumed, and refused to another experiment:

    >>> import shutil, tempfile
    >>> d = tempfile.mkdtemp()
    >>> first = run_experiment(configs, budget=500, n_runs=6, out_dir=d, checkpoints=20, progress=False)
    >>> again = run_experiment(configs, budget=500, n_runs=6, out_dir=d, resume=True, checkpoints=20, progress=False)
    >>> again.chunks_reused, again.chunks_computed
    (2, 0)
    >>> run_experiment(configs, budget=500, n_runs=6, seed=1, out_dir=d, checkpoints=20, progress=False)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: out_dir: ... holds the files of another experiment (seed 0 in the folder, 1 asked); ...
    >>> shutil.rmtree(d)
    """
    configs = tuple(configs)
    if not configs:
        raise ValueError("configs: expected at least one ExperimentConfig")
    for k, cfg in enumerate(configs):
        if not isinstance(cfg, ExperimentConfig):
            raise ValueError(f"configs[{k}]: expected an ExperimentConfig, got {type(cfg).__name__}")
    names = [c.name for c in configs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"configs: names must be unique, repeated: {dup}")
    budget = check_int("budget", budget, low=1)
    n_runs = check_int("n_runs", n_runs, low=1)
    checkpoints = check_int("checkpoints", checkpoints, low=1)
    seed = check_int("seed", seed, low=0)
    chunk_size = n_runs if chunk_size is None and n_runs < DEFAULT_CHUNK_SIZE else chunk_size
    chunk_size = check_int("chunk_size", DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size, low=1)
    if (resume or overwrite or extra_files) and out_dir is None:
        raise ValueError("resume, overwrite and extra_files need out_dir (the results folder)")
    if resume and overwrite:
        raise ValueError("resume and overwrite are exclusive: resume keeps the folder's chunks, overwrite deletes them")
    if executor is not None and not isinstance(executor, cf.Executor):
        raise ValueError(f"executor: expected a concurrent.futures.Executor, got {type(executor).__name__}")

    jobs = _plan(configs, budget=budget, n_runs=n_runs, seed=seed, checkpoints=checkpoints, chunk_size=chunk_size)
    store = None
    if out_dir is not None:
        description = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "rltheory": __version__,
            "budget": budget,
            "n_runs": n_runs,
            "seed": seed,
            "checkpoints": checkpoints,
            "chunk_size": chunk_size,
            "configs": [
                {"name": c.name, "problem": _spec_for_marker(c.problem), "agent": c.agent.to_spec()} for c in configs
            ],
        }
        store = ChunkStore(
            out_dir,
            names,
            description=description,
            load=_load_regret_curve,
            check=check_curve_range,
            resume=resume,
            overwrite=overwrite,
            extra_files=tuple(extra_files),
        )
        store.prepare(jobs)
    own_executor = executor is None
    executor = SerialExecutor() if own_executor else executor
    try:
        results, n_reused = _execute(jobs, executor=executor, store=store, progress=progress)
    finally:
        if own_executor:
            executor.shutdown()

    from rltheory.simulation import RegretCurve

    curves = {}
    for k, cfg in enumerate(configs):
        parts = [r for job, r in zip(jobs, results) if job.index == k]
        curves[cfg.name] = parts[0] if len(parts) == 1 else RegretCurve.concatenate(parts)
    rows = tuple(summary_row(cfg, curves[cfg.name], budget) for cfg in configs)
    if store is not None:
        for k, cfg in enumerate(configs):
            _atomic.save_with(curves[cfg.name].save, store.curve_path(k, ".npz"))
            _atomic.save_with(curves[cfg.name].to_csv, store.curve_path(k, ".csv"))
        _atomic.write_bytes(store.summary_path, summary_csv(rows))
    return ExperimentResult(
        configs=configs,
        curves=types.MappingProxyType(curves),
        summary=rows,
        budget=budget,
        n_runs=n_runs,
        seed=seed,
        checkpoints=checkpoints,
        chunk_size=chunk_size,
        out_dir=None if store is None else store.root,
        chunks_computed=len(jobs) - n_reused,
        chunks_reused=n_reused,
        chunks_rejected=tuple(store.rejected) if store is not None else (),
    )
