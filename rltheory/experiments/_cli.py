"""``rltheory reproduce NAME`` and ``rltheory list``.

``reproduce`` runs a catalogue entry with :func:`run_experiment` on the chosen
executor (in-process, ``--workers N`` local processes, or ``--scheduler
tcp://HOST:PORT`` for a Dask cluster), writes into ``--out`` the chunks, the
curves (``curves/*.npz``, ``curves/*.csv``), ``summary.csv`` and the figure
``NAME.png``, and prints the summary table. ``--resume`` continues an
interrupted run from its chunk files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import textwrap
from pathlib import Path

__all__ = ["add_reproduce_command", "add_list_command"]


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _run_reproduce(args):
    from rltheory.experiments._catalogue import get_reproduction
    from rltheory.experiments._executors import make_executor
    from rltheory.experiments._plots import plot_experiment
    from rltheory.experiments._runner import run_experiment

    rep = get_reproduction(args.name)
    horizon = rep.horizon if args.horizon is None else args.horizon
    n_runs = rep.n_runs if args.runs is None else args.runs
    out = Path(args.out) if args.out is not None else Path("rltheory-results") / rep.name
    configs = rep.configs(horizon)
    try:
        with make_executor(workers=args.workers, scheduler=args.scheduler) as executor:
            result = run_experiment(
                configs,
                horizon=horizon,
                n_runs=n_runs,
                seed=args.seed,
                out_dir=out,
                executor=executor,
                chunk_size=args.chunk_size,
                resume=args.resume,
                progress=not args.no_progress,
            )
    except Exception as exc:
        if not _is_lost_worker(exc):
            raise
        raise ValueError(
            f"a worker died ({type(exc).__name__}: {exc}); the finished chunks are saved in {str(out)!r}: "
            "rerun the same command with --resume"
        ) from exc
    png = out / f"{rep.name}.png"
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=out)
    os.close(fd)
    try:
        plot_experiment(
            result,
            overlays=rep.overlays,
            log_x=rep.log_x,
            log_y=rep.log_y,
            panels=rep.panels,
            final_vs_dim=rep.final_vs_dim,
            title=rep.name,
            path=tmp,
        )
        os.replace(tmp, png)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"{rep.name}: {n_runs} runs x T = {horizon}, seed {args.seed}  [{rep.citation}]")
    if result.chunks_reused:
        print(f"resumed: {result.chunks_reused} chunk(s) reused, {result.chunks_computed} computed")
    for msg in result.chunks_rejected:
        print(f"recomputed {msg}")
    print(result.format_summary())
    print(f"wrote {png}, {out / 'summary.csv'}, {out / 'curves'}/*.npz and *.csv")
    return 0


def _is_lost_worker(exc):
    """A worker process died: a broken local pool or Dask's KilledWorker."""
    import concurrent.futures

    if isinstance(exc, concurrent.futures.BrokenExecutor):
        return True
    return type(exc).__name__ == "KilledWorker" and type(exc).__module__.startswith("distributed")


def add_reproduce_command(subparsers):
    """Add ``reproduce NAME [--runs N] [--horizon T] [--seed S] [--workers N] ...``."""
    p = subparsers.add_parser(
        "reproduce",
        help="run a named paper reproduction (see `rltheory list`)",
        description="Run a catalogue reproduction: simulate, write chunks, curves, summary.csv and a PNG "
        "into --out, print the summary table (final regret +- CI, log-log slope, ratio to Lai-Robbins).",
    )
    p.add_argument("name", help="reproduction name (see `rltheory list`)")
    p.add_argument("--runs", type=_positive_int, default=None, help="runs per configuration (default: the entry's)")
    p.add_argument("--horizon", type=_positive_int, default=None, help="horizon T (default: the entry's)")
    p.add_argument("--seed", type=_non_negative_int, default=0, help="master seed (default 0)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=None, help="local worker processes")
    where.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="a running Dask scheduler")
    p.add_argument("--out", default=None, help="results folder (default rltheory-results/NAME)")
    p.add_argument("--resume", action="store_true", help="reuse the valid chunks already in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--chunk-size", type=_positive_int, default=None, help="runs per chunk")
    p.set_defaults(func=_run_reproduce)
    return p


def _run_list(args):
    from rltheory.experiments._catalogue import CATALOGUE

    width = shutil.get_terminal_size((100, 20)).columns
    for name in sorted(CATALOGUE):
        rep = CATALOGUE[name]
        print(name)
        for label, text in (("", rep.description), ("cite: ", rep.citation)):
            print(
                textwrap.fill(
                    label + text,
                    width=max(40, width - 1),
                    initial_indent="    ",
                    subsequent_indent="      ",
                    break_on_hyphens=False,  # keep names such as LSVI-UCB and KL-UCB whole
                )
            )
        print(
            f"    default: T = {rep.horizon}, {rep.n_runs} runs; full: --horizon {rep.full_horizon} --runs {rep.full_runs}"
        )
    return 0


def add_list_command(subparsers):
    """Add ``list``: the catalogue's names, descriptions and citations."""
    p = subparsers.add_parser("list", help="list the reproductions", description="List the paper reproductions.")
    p.set_defaults(func=_run_list)
    return p
