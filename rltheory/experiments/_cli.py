"""``rltheory reproduce NAME``, ``rltheory list`` and ``rltheory compile``.

``reproduce`` runs a catalogue entry with :func:`run_experiment` on the chosen
executor (in-process, ``--workers N`` local processes, or ``--scheduler
tcp://HOST:PORT`` for a Dask cluster), writes into ``--out`` the chunks, the
curves (``curves/*.npz``, ``curves/*.csv``), ``summary.csv`` and the figure
``NAME.png``, and prints the summary table. ``--resume`` continues an
interrupted run from its chunk files; ``--overwrite`` replaces another
experiment in ``--out`` (files rltheory did not write are never touched).
``compile`` compiles (and caches) the kernels of the catalogue ahead of time,
so that the first ``reproduce`` starts at once.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
import time
from pathlib import Path

__all__ = ["add_reproduce_command", "add_list_command", "add_compile_command"]


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
    from rltheory.experiments import _atomic
    from rltheory.experiments._catalogue import get_reproduction
    from rltheory.experiments._executors import make_executor
    from rltheory.experiments._plots import plot_experiment
    from rltheory.experiments._runner import run_experiment

    rep = get_reproduction(args.name)
    if rep.study is not None:
        return _run_study(args, rep)
    budget = rep.budget if args.budget is None else args.budget
    n_runs = rep.n_runs if args.runs is None else args.runs
    out = Path(args.out) if args.out is not None else Path("rltheory-results") / rep.name
    configs = rep.configs(budget)
    png = out / f"{rep.name}.png"
    extra = (png.name,) + (("first_success.csv",) if rep.first_success is not None else ())
    where = (
        f"{args.workers} worker processes"
        if args.workers and args.workers > 1
        else (f"the Dask scheduler {args.scheduler}" if args.scheduler else "this process")
    )
    # The first line, before any compilation or chunk: what runs, where, and where the results go.
    print(
        f"{rep.name}: {len(configs)} configurations x {n_runs} runs x T = {budget}, seed {args.seed}, "
        f"on {where} -> {out}",
        flush=True,
    )
    with make_executor(workers=args.workers, scheduler=args.scheduler, report_compilations=True) as executor:
        result = run_experiment(
            configs,
            budget=budget,
            n_runs=n_runs,
            seed=args.seed,
            out_dir=out,
            executor=executor,
            chunk_size=args.chunk_size,
            resume=args.resume,
            overwrite=args.overwrite,
            extra_files=extra,
            progress=not args.no_progress,
        )
    _atomic.save_with(
        lambda path: plot_experiment(
            result,
            overlays=rep.overlays,
            log_x=rep.log_x,
            log_y=rep.log_y,
            panels=rep.panels,
            final_vs_dim=rep.final_vs_dim,
            final_boxplot=rep.final_boxplot,
            also_linear=rep.also_linear,
            first_success=rep.first_success,
            title=rep.name,
            path=path,
        ),
        png,
    )
    if rep.first_success is not None:
        from rltheory.experiments._plots import first_success_rows

        lines = ["series,size,goal_state,median,q1,q3,censored_runs,runs"]
        lines += [",".join(str(x) for x in row) for row in first_success_rows(result, rep.first_success)]
        _atomic.write_bytes(out / "first_success.csv", ("\n".join(lines) + "\n").encode())
    print(f"[{rep.citation}]")
    if result.chunks_reused:
        print(f"resumed: {result.chunks_reused} chunk(s) reused, {result.chunks_computed} computed")
    for msg in result.chunks_rejected:
        print(f"recomputed {msg}")
    print(result.format_summary())
    print(f"wrote {png}, {out / 'summary.csv'}, {out / 'curves'}/*.npz and *.csv")
    return 0


def _run_study(args, rep):
    """``reproduce`` of a study: a statistic against a sample size, run on the chosen executor."""
    from rltheory.experiments._executors import make_executor
    from rltheory.experiments._studies import run_study, slope_axes, write_study

    if args.resume:
        raise ValueError(f"{rep.name} is a study: it has no chunk files to resume; run it again without --resume")
    budget = rep.budget if args.budget is None else args.budget
    n_runs = rep.n_runs if args.runs is None else args.runs
    out = Path(args.out) if args.out is not None else Path("rltheory-results") / rep.name
    grid = rep.study.grid(budget)
    where = (
        f"{args.workers} worker processes"
        if args.workers and args.workers > 1
        else (f"the Dask scheduler {args.scheduler}" if args.scheduler else "this process")
    )
    print(
        f"{rep.name}: {len(rep.study.series)} series x {n_runs} runs at {rep.study.x_label} in {list(grid)}, "
        f"seed {args.seed}, on {where} -> {out}",
        flush=True,
    )
    if args.overwrite and out.is_dir():
        from rltheory.experiments._studies import STUDY_FILES

        for name in (*STUDY_FILES, f"{rep.name}.png"):
            (out / name).unlink(missing_ok=True)
    with make_executor(workers=args.workers, scheduler=args.scheduler, report_compilations=True) as executor:
        result = run_study(
            rep.name,
            rep.study,
            budget=budget,
            n_runs=n_runs,
            seed=args.seed,
            executor=executor,
            chunk_size=args.chunk_size,
        )
    png = write_study(result, rep.study, out, title=rep.name)
    print(f"[{rep.citation}]")
    width = max(len(s) for s in result.values)
    at = f"{result.statistic} at {rep.study.x_label} = {int(result.x[-1])}"
    print(f"{'series':<{width}}  {at}   {slope_axes(rep.study)} slope [95% CI]")
    for s in result.values:
        sl = result.slopes[s]
        print(f"{s:<{width}}  {float(result.summary[s][-1]):.4g}   {sl[0]:.4g} [{sl[1]:.4g}, {sl[2]:.4g}]")
    for label, y in result.references.items():
        print(f"reference {label}: {float(y[-1]):.4g}")
    print(f"wrote {png}, {out / 'summary.csv'}, {out / 'study.npz'}")
    return 0


def add_reproduce_command(subparsers):
    """Add ``reproduce NAME [--runs N] [--budget T] [--seed S] [--workers N] ...``."""
    p = subparsers.add_parser(
        "reproduce",
        help="run a named paper reproduction (see `rltheory list`)",
        description="Run a catalogue reproduction: simulate, write chunks, curves, summary.csv and a PNG "
        "into --out, print the summary table (final regret +- CI, log-log slope, ratio to Lai-Robbins).",
    )
    p.add_argument("name", help="reproduction name (see `rltheory list`)")
    p.add_argument("--runs", type=_positive_int, default=None, help="runs per configuration (default: the entry's)")
    p.add_argument("--budget", type=_positive_int, default=None, help="budget T (default: the entry's)")
    p.add_argument("--seed", type=_non_negative_int, default=0, help="master seed (default 0)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=None, help="local worker processes")
    where.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="a running Dask scheduler")
    p.add_argument("--out", default=None, help="results folder (default rltheory-results/NAME)")
    again = p.add_mutually_exclusive_group()
    again.add_argument(
        "--resume", action="store_true", help="continue the experiment in --out, reusing its valid chunks"
    )
    again.add_argument(
        "--overwrite",
        action="store_true",
        help="if --out holds another experiment, delete its files first (files rltheory did not write are kept)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--chunk-size", type=_positive_int, default=None, help="runs per chunk")
    p.set_defaults(func=_run_reproduce, resume_hint=True, report_compilations=True)
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
        size = f"{rep.study.x_label} up to {rep.budget}" if rep.study is not None else f"T = {rep.budget}"
        print(f"    default: {size}, {rep.n_runs} runs; full: --budget {rep.full_budget} --runs {rep.full_runs}")
    return 0


def add_list_command(subparsers):
    """Add ``list``: the catalogue's names, descriptions and citations."""
    p = subparsers.add_parser("list", help="list the reproductions", description="List the paper reproductions.")
    p.set_defaults(func=_run_list)
    return p


def _run_compile(args):
    from rltheory._numba_cache import cache_dir
    from rltheory.experiments._catalogue import CATALOGUE, get_reproduction
    from rltheory.experiments._runner import warm_up

    names = args.names or sorted(CATALOGUE)
    reps = [get_reproduction(name) for name in names]
    print(f"compiling the kernels of {', '.join(names)} into {cache_dir()}", flush=True)
    total = time.perf_counter()
    for rep in reps:
        t0 = time.perf_counter()
        configs = rep.configs(rep.budget)
        warm_up(configs, rep.budget)
        print(f"{rep.name}: {len(configs)} configurations ready in {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"done in {time.perf_counter() - total:.1f} s; later runs load the compiled code from the cache")
    return 0


def add_compile_command(subparsers):
    """Add ``compile [NAME ...]``: compile and cache the kernels of catalogue reproductions ahead of time."""
    p = subparsers.add_parser(
        "compile",
        help="compile the simulation kernels ahead of time (first run only)",
        description="Compile and cache the Numba kernels that the named reproductions use (default: all of "
        "`rltheory list`), by simulating each configuration for a few steps. The cache is per user "
        "($RLTHEORY_CACHE_DIR, else ~/.cache/rltheory) and is shared by every later run and worker process.",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="reproduction names (default: all)")
    p.set_defaults(func=_run_compile, report_compilations=True)
    return p
