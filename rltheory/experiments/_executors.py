"""Executors for the experiment runner: in-process, local processes, a Dask cluster.

The runner accepts any :class:`concurrent.futures.Executor`. This module
provides the three a user picks from the command line:

* :class:`SerialExecutor` -- the default, runs each task in the calling
  process when it is submitted (no threads, no server);
* a :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` local
  processes (``--workers N``), started with the ``spawn`` method so that no
  Numba/OpenMP thread state is forked, each worker limited to one Numba and
  one BLAS thread so that ``N`` workers use ``N`` cores;
* the executor of a :class:`distributed.Client` connected to an existing Dask
  scheduler (``--scheduler tcp://HOST:PORT``, the ``dist`` extra);
* a Dask cluster of batch jobs on SLURM or PBS (``--cluster slurm|pbs``), built by
  :func:`jobqueue_cluster` with ``dask-jobqueue``: each job is one Dask worker, and
  ``--dry-run`` prints the job script it would submit (``cluster.job_script()``);
* an :class:`mpi4py.futures.MPIPoolExecutor` (``--executor mpi``), for clusters whose only
  tool is MPI: run ``mpiexec -n N python -m mpi4py.futures -m rltheory.cli reproduce NAME
  --executor mpi`` (rank 0 runs the command, the other ``N - 1`` ranks are its workers).

Numbers never depend on the executor: every task is a pure function of its
arguments (the seed of run ``i`` depends only on ``(seed, i)``).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["SerialExecutor", "make_executor", "executor_width", "jobqueue_cluster", "mpi_executor"]


class SerialExecutor(cf.Executor):
    """A :class:`concurrent.futures.Executor` that runs tasks in the caller.

    ``submit(fn, *args)`` evaluates ``fn(*args)`` immediately and returns an
    already finished :class:`~concurrent.futures.Future` holding the result or
    the exception. ``KeyboardInterrupt`` and ``SystemExit`` are not captured:
    they propagate out of ``submit`` so that Ctrl-C stops the run at once.

    Examples
    --------
    >>> with SerialExecutor() as ex:
    ...     ex.submit(pow, 2, 10).result()
    1024
    """

    def __init__(self):
        self._shutdown = False
        self._lock = threading.Lock()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        """Run ``fn(*args, **kwargs)`` now; return a finished future holding its result or its exception.

        Examples
        --------
        >>> SerialExecutor().submit(divmod, 7, 2).result()
        (3, 1)
        >>> SerialExecutor().submit(int, "x").exception()
        ValueError("invalid literal for int() with base 10: 'x'")
        """
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
        future = cf.Future()
        if not future.set_running_or_notify_cancel():  # pragma: no cover - never cancelled
            return future
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # stored in the future, like every executor
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse further tasks (nothing is pending: every task ran when submitted).

        Examples
        --------
        >>> ex = SerialExecutor()
        >>> ex.shutdown()
        >>> ex.submit(abs, -1)
        Traceback (most recent call last):
        ...
        RuntimeError: cannot schedule new futures after shutdown
        """
        with self._lock:
            self._shutdown = True


def _report_compilations_in_worker():
    """Show this worker's compilations of rltheory functions on its stderr (inherited from the parent)."""
    import logging
    import os
    import sys

    from rltheory._numba_cache import report_compilations

    logger = logging.getLogger("rltheory.compile")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"worker {os.getpid()}: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    # kept open for the lifetime of the worker process
    _report_compilations_in_worker.context = report_compilations()
    _report_compilations_in_worker.context.__enter__()


def _limit_worker_threads(report_compilations=False):
    """Initializer of pool workers: one Numba thread and one BLAS thread each (and compile reports if asked)."""
    if report_compilations:
        try:
            _report_compilations_in_worker()
        except Exception:  # pragma: no cover - reporting must never break a worker
            pass
    try:
        import numba

        numba.set_num_threads(1)
    except Exception:  # pragma: no cover - numba is a hard dependency
        pass
    try:
        from threadpoolctl import threadpool_limits

        # Kept for the lifetime of the worker process.
        _limit_worker_threads.limits = threadpool_limits(limits=1)
    except Exception:  # pragma: no cover - threadpoolctl is a hard dependency
        pass


def _process_pool(workers, report_compilations=False):
    return cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_limit_worker_threads,
        initargs=(report_compilations,),
    )


def _check_scheduler_address(scheduler):
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ValueError(f"scheduler: expected a Dask scheduler address such as 'tcp://HOST:PORT', got {scheduler!r}")


@contextlib.contextmanager
def make_executor(
    *, workers: int | None = None, scheduler: str | None = None, report_compilations: bool = False
) -> Iterator[cf.Executor]:
    """Context manager yielding the executor chosen by ``workers``/``scheduler``.

    Parameters
    ----------
    workers : int or None
        Number of local worker processes. ``None`` or ``1`` gives the
        in-process :class:`SerialExecutor`; ``N >= 2`` a process pool.
    scheduler : str or None
        Address ``tcp://HOST:PORT`` of a running Dask scheduler; the tasks are
        sent to its workers through ``distributed.Client(address).get_executor()``.
        Needs the ``dist`` extra (``pip install rltheory[dist]``). Exclusive with
        ``workers``.
    report_compilations : bool
        Local worker processes print each compilation of an rltheory kernel
        that the shared cache could not serve (``worker PID: compiling ...``)
        on their stderr, as the command line does in its own process.

    Yields
    ------
    concurrent.futures.Executor
        Shut down (and the Dask client closed) when the block exits.

    Raises
    ------
    ValueError
        If ``workers`` is not a positive integer, if both options are given, if
        the address is malformed, or if ``distributed`` is not installed.

    Examples
    --------
    >>> with make_executor() as ex:
    ...     type(ex).__name__
    'SerialExecutor'
    """
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers: expected a positive integer, got {workers!r}")
    if scheduler is not None and workers not in (None, 1):
        raise ValueError("workers and scheduler are exclusive: give --workers or --scheduler, not both")
    if scheduler is not None:
        _check_scheduler_address(scheduler)
        try:
            import distributed
        except ImportError as exc:
            raise ValueError("--scheduler needs the Dask 'distributed' package: pip install 'rltheory[dist]'") from exc
        try:
            client = distributed.Client(scheduler, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"scheduler: cannot connect to the Dask scheduler at {scheduler!r}: {exc}") from exc
        try:
            executor = client.get_executor()
            try:
                yield executor
            finally:
                executor.shutdown(wait=False)
        finally:
            client.close()
        return
    if workers is None or workers == 1:
        executor = SerialExecutor()
    else:
        executor = _process_pool(workers, report_compilations)
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        executor.shutdown(wait=True)


def executor_width(executor: cf.Executor) -> int:
    """Number of tasks ``executor`` runs at once (1 for :class:`SerialExecutor`).

    Used by the runner to bound the work in flight: at most ``2 * width`` chunks
    are submitted and not yet written to disk, so an interruption loses at most
    that many chunks.

    Examples
    --------
    >>> executor_width(SerialExecutor())
    1
    """
    if isinstance(executor, SerialExecutor):
        return 1
    width = getattr(executor, "_max_workers", None)
    if isinstance(width, int) and width > 0:
        return width
    if type(executor).__module__.startswith("mpi4py"):
        return max(1, int(executor.num_workers))
    client = getattr(executor, "_client", None)
    if client is not None:
        try:
            return max(1, sum(int(n) for n in client.nthreads().values()))
        except Exception:  # a cluster that does not answer: fall back below
            pass
    return 4


#: Batch systems of ``--cluster``: name -> the ``dask_jobqueue`` cluster class.
JOBQUEUE_CLUSTERS = {"slurm": "SLURMCluster", "pbs": "PBSCluster"}


def jobqueue_cluster(
    kind: str,
    *,
    cores: int = 1,
    memory: str = "2GiB",
    walltime: str = "01:00:00",
    queue: str | None = None,
    account: str | None = None,
) -> Any:
    """A ``dask_jobqueue`` cluster of batch jobs (not yet submitted: call ``cluster.scale(jobs=N)``).

    Each job is one Dask worker process with ``cores`` cores and as many threads (each chunk's kernels on
    one Numba thread, as for ``--workers``), ``memory``, and the time limit ``walltime``, submitted to ``queue``
    (SLURM partition, PBS queue) under ``account`` (SLURM ``--account``, PBS ``-A``). The tasks the
    runner sends to it are the same pure functions as on every executor, so the numbers are too.

    Parameters
    ----------
    kind : {"slurm", "pbs"}
    cores : int
    memory : str
        Per job, as dask-jobqueue reads it (``"2GiB"``, ``"500MB"``).
    walltime : str
        ``HH:MM:SS``.
    queue, account : str or None

    Returns
    -------
    dask_jobqueue.SLURMCluster or dask_jobqueue.PBSCluster
        Its ``job_script()`` is the script each job submits (``--dry-run`` prints it); close it when done.

    Raises
    ------
    ValueError
        An unknown ``kind`` or bad sizes, or ``dask-jobqueue`` is not installed.

    Examples
    --------
    >>> cluster = jobqueue_cluster("slurm", cores=2, memory="4GiB", queue="short")
    >>> script = cluster.job_script()
    >>> "#SBATCH -p short" in script and "#SBATCH --cpus-per-task=2" in script
    True
    >>> cluster.close()
    """
    from rltheory._validation import check_choice, check_int

    check_choice("cluster", kind, tuple(JOBQUEUE_CLUSTERS))
    cores = check_int("cores", cores, low=1)
    for name, value in (("memory", memory), ("walltime", walltime)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    try:
        import dask_jobqueue
    except ImportError as exc:
        raise ValueError("--cluster needs dask-jobqueue: pip install 'rltheory[cluster]'") from exc
    cls = getattr(dask_jobqueue, JOBQUEUE_CLUSTERS[kind])
    return cls(
        cores=cores,
        processes=1,
        memory=memory,
        walltime=walltime,
        queue=queue,
        account=account,
        # one Numba and one BLAS thread per worker, as for local worker processes
        job_script_prologue=["export NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1"],
        scheduler_options={"dashboard_address": None},
    )


@contextlib.contextmanager
def mpi_executor() -> Iterator[cf.Executor]:
    """Context manager yielding an :class:`mpi4py.futures.MPIPoolExecutor` (``--executor mpi``).

    Start the program with ``mpiexec -n N python -m mpi4py.futures -m rltheory.cli ...``: rank 0 runs it
    and ranks ``1..N-1`` execute the chunks. Needs ``mpi4py`` and an MPI library (a system MPI, or the
    ``mpich`` / ``impi-rt`` wheels from PyPI).

    Raises
    ------
    ValueError
        ``mpi4py`` or its MPI library is missing.

    Examples
    --------
    >>> from rltheory.experiments._executors import mpi_executor
    >>> mpi_executor.__doc__.split(":")[0]
    'Context manager yielding an '
    """
    try:
        from mpi4py import MPI  # noqa: F401  (loads the MPI library: fails here when there is none)
        from mpi4py.futures import MPIPoolExecutor
    except (ImportError, RuntimeError) as exc:
        raise ValueError(
            f"--executor mpi needs mpi4py and an MPI library ({exc}): pip install mpi4py mpich, "
            "then start the command under `mpiexec -n N python -m mpi4py.futures -m rltheory.cli ...`"
        ) from exc
    executor = MPIPoolExecutor()
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        executor.shutdown(wait=True)
