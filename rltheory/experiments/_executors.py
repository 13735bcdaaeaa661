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
  scheduler (``--scheduler tcp://HOST:PORT``, the ``dist`` extra).

Numbers never depend on the executor: every task is a pure function of its
arguments (the seed of run ``i`` depends only on ``(seed, i)``).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import threading

__all__ = ["SerialExecutor", "make_executor", "executor_width"]


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

    def submit(self, fn, /, *args, **kwargs):
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

    def shutdown(self, wait=True, *, cancel_futures=False):
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
def make_executor(*, workers=None, scheduler=None, report_compilations=False):
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


def executor_width(executor):
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
    client = getattr(executor, "_client", None)
    if client is not None:
        try:
            return max(1, sum(int(n) for n in client.nthreads().values()))
        except Exception:  # a cluster that does not answer: fall back below
            pass
    return 4
