"""The ``rltheory`` command line: ``solve``, ``reproduce``, ``run``, ``plot``, ``summarize``, ``list``, ``compile``,
``check``.

Each subcommand lives next to the code it drives and contributes an
``add_*_command(subparsers)`` function; this module assembles them and is the
one place where errors become messages. A subcommand raises ordinary
exceptions; :func:`main` prints each user-facing one as a single line naming
the cause and the remedy, and returns:

* ``0`` on success;
* ``2`` for a usage error: bad arguments (argparse) or a ``ValueError`` (the
  command as given cannot work: an unknown name, a bad file, a folder that
  cannot take the results, ...);
* ``1`` when the command failed while running: an ``OSError`` (full disk,
  permission denied, a folder given where a file is expected, a missing
  file), a convex solver that failed or rejected its options, a worker
  process that died, memory exhausted;
* ``130`` on Ctrl-C.

Anything else is a bug and keeps its traceback. A subparser may set the
default ``resume_hint=True`` (``reproduce`` does): the messages of failures
that a rerun with ``--resume`` recovers from then say so. Records of the
``"rltheory.compile"`` logger (a kernel being compiled on a cache miss) are
shown on stderr while a command runs; a subparser that sets the default
``report_compilations=True`` (``reproduce``, ``compile``) also gets one such
record per compilation of an rltheory function that the cache could not serve.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
import traceback

from rltheory import __version__
from rltheory.experiments._cli import (
    add_compile_command,
    add_list_command,
    add_plot_command,
    add_reproduce_command,
    add_run_command,
    add_summarize_command,
)
from rltheory.proofs_checks._cli import add_check_command
from rltheory.tabular._cli import add_solve_command

__all__ = ["COMMAND_BUILDERS", "build_parser", "main", "describe_error"]

#: Functions ``f(subparsers)`` that add one subcommand each; a subcommand
#: parser sets ``func`` to a callable ``func(args) -> int`` (the exit code).
COMMAND_BUILDERS = [
    add_solve_command,
    add_reproduce_command,
    add_run_command,
    add_plot_command,
    add_summarize_command,
    add_list_command,
    add_compile_command,
    add_check_command,
]

#: The logger on which the simulation layer announces a kernel compilation (cache miss).
COMPILE_LOGGER = "rltheory.compile"

_SOLVER_MODULES = ("cvxpy", "scs", "clarabel", "osqp", "highspy", "ecos", "scipy")


def build_parser() -> argparse.ArgumentParser:
    """The top-level argument parser with every registered subcommand.

    Examples
    --------
    >>> build_parser().parse_args(["list"]).command
    'list'
    """
    parser = argparse.ArgumentParser(
        prog="rltheory",
        description="Theory-oriented tabular and linear reinforcement learning: solve, reproduce, check.",
    )
    parser.add_argument("--version", action="version", version=f"rltheory {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMAND_BUILDERS:
        add(subparsers)
    return parser


def _chain(exc):
    """``exc`` and the exceptions it was raised from or while handling, outermost first."""
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ if exc.__cause__ is not None else exc.__context__
    return seen


def _in_packages(filename, packages):
    parts = filename.replace("\\", "/").split("/")
    return any(p in packages or p.split(".", 1)[0] in packages for p in parts[:-1])


def _raised_by_solver(exc):
    """Was ``exc`` raised inside a convex solver called through cvxpy?"""
    frames = traceback.extract_tb(exc.__traceback__)
    return (
        bool(frames)
        and any(_in_packages(f.filename, ("cvxpy",)) for f in frames)
        and _in_packages(frames[-1].filename, _SOLVER_MODULES)
    )


def _is_lost_worker(exc):
    """A worker process died: a broken local pool or Dask's KilledWorker."""
    import concurrent.futures

    if isinstance(exc, concurrent.futures.BrokenExecutor):
        return True
    return type(exc).__name__ == "KilledWorker" and type(exc).__module__.startswith("distributed")


def _where(exc):
    name = getattr(exc, "filename", None)
    return f" {str(name)!r}" if name else ""


def describe_error(exc, *, resume_hint=False):
    """``(exit code, one-line message)`` for a user-facing error, or ``None`` for a bug.

    Parameters
    ----------
    exc : BaseException
    resume_hint : bool
        Add that rerunning with ``--resume`` keeps the work already saved
        (for failures that happen while results are being written).

    Examples
    --------
    >>> import errno
    >>> describe_error(ValueError("--tol must be positive, got 0"))
    (2, '--tol must be positive, got 0')
    >>> code, text = describe_error(OSError(errno.ENOSPC, "No space left on device", "out/x.npz"), resume_hint=True)
    >>> code
    1
    >>> print(text)  # doctest: +NORMALIZE_WHITESPACE
    no space left on device (writing 'out/x.npz'): free some space, then rerun the same command with --resume
    (the chunks already written are kept)
    >>> describe_error(IsADirectoryError(errno.EISDIR, "Is a directory", "results"))
    (1, "'results' is a folder, not a file: give the path of a file")
    >>> describe_error(KeyError("bug")) is None
    True
    """
    resume = ", then rerun the same command with --resume (the chunks already written are kept)" if resume_hint else ""
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            what = "no space left on device" if e.errno == errno.ENOSPC else "disk quota exceeded"
            writing = f" (writing {str(e.filename)!r})" if getattr(e, "filename", None) else ""
            return 1, f"{what}{writing}: free some space{resume or ' and run the command again'}"
    if _is_lost_worker(exc):
        again = resume or ", then run the command again"
        return 1, (
            f"a worker process died ({type(exc).__name__}: {exc}); it may have run out of memory: "
            f"use fewer --workers{again}"
        )
    if isinstance(exc, ValueError):
        return 2, str(exc)
    if isinstance(exc, IsADirectoryError):
        return 1, f"{str(exc.filename)!r} is a folder, not a file: give the path of a file"
    if isinstance(exc, NotADirectoryError):
        return 1, f"{str(exc.filename)!r}: a part of this path is a file, not a folder: check the path"
    if isinstance(exc, FileNotFoundError):
        return 1, f"no such file or folder{_where(exc)}: check the path"
    if isinstance(exc, PermissionError):
        return 1, f"permission denied{_where(exc)}: choose a file or folder you can read and write"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return 1, f"input/output error{_where(exc)}: {reason}{resume or ''}"
    if isinstance(exc, MemoryError):
        return 1, "out of memory: reduce the problem size (e.g. --runs, --budget, --workers)"
    if type(exc).__name__ == "SolverError" and type(exc).__module__.startswith("cvxpy"):
        return 1, (
            f"the convex solver failed ({exc or 'no message'}): try another solver, "
            "or loosen its tolerances in solver_options"
        )
    if isinstance(exc, TypeError) and _raised_by_solver(exc):
        return 1, (
            f"the convex solver rejected its options ({exc}): check the solver_options keys "
            "against the solver's documentation"
        )
    return None


class _StderrHandler(logging.Handler):
    """Writes records to the *current* ``sys.stderr`` (so that redirections made after setup are honoured)."""

    def emit(self, record):
        try:
            print(self.format(record), file=sys.stderr, flush=True)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def main(argv=None) -> int:
    """Entry point of the ``rltheory`` console script; returns the exit code (see the module docstring).

    Examples
    --------
    >>> main(["reproduce", "no-such-reproduction"])
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    handler = _StderrHandler(logging.INFO)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(COMPILE_LOGGER)
    old_level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        if getattr(args, "report_compilations", False):
            # Numba's compile events of rltheory's functions -> the "rltheory.compile" logger -> stderr
            from rltheory._numba_cache import report_compilations

            with report_compilations(COMPILE_LOGGER):
                return int(args.func(args) or 0)
        return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `rltheory solve ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        hint = ": rerun the same command with --resume to continue" if getattr(args, "resume_hint", False) else ""
        print(f"rltheory {args.command}: interrupted{hint}", file=sys.stderr)
        return 130
    except Exception as exc:
        described = describe_error(exc, resume_hint=getattr(args, "resume_hint", False))
        if described is None:
            raise
        code, message = described
        print(f"rltheory {args.command}: error: {message}", file=sys.stderr)
        return code
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
