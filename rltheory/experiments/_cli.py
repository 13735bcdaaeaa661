"""``rltheory reproduce NAME``, ``run FILE.toml``, ``plot DIR``, ``summarize DIR``, ``list`` and ``compile``.

``reproduce`` runs a catalogue entry with :func:`run_experiment` on the chosen
executor (in-process, ``--workers N`` local processes, ``--scheduler
tcp://HOST:PORT`` for a Dask cluster, ``--cluster slurm|pbs`` for Dask workers
submitted as batch jobs, ``--executor mpi`` for the ranks of an ``mpiexec``),
writes into ``--out`` the chunks, the curves (``curves/*.npz``, ``curves/*.csv``),
``summary.csv``, ``source.json`` (what ran, for ``plot``) and the figure
``NAME.png`` (and with ``--format csv|parquet`` every run as ``runs.csv`` or
``runs.parquet``), and prints the summary table. ``--resume`` continues an
interrupted run from its chunk files; ``--overwrite`` replaces another
experiment in ``--out`` (files rltheory did not write are never touched).
``run`` does the same for an experiment file (:mod:`._config_file`). ``plot``
and ``summarize`` redraw the figure and print the summary of a results folder
without recomputing. ``compile`` compiles (and caches) the kernels of the
catalogue ahead of time, so that the first ``reproduce`` starts at once.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import textwrap
import time
from pathlib import Path

__all__ = [
    "add_reproduce_command",
    "add_run_command",
    "add_plot_command",
    "add_summarize_command",
    "add_list_command",
    "add_compile_command",
]


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


def _where(args):
    if getattr(args, "cluster", None):
        return f"a {args.cluster.upper()} cluster (dask-jobqueue)"
    if getattr(args, "executor", None) == "mpi":
        return "MPI processes (mpi4py.futures)"
    if args.workers and args.workers > 1:
        return f"{args.workers} worker processes"
    return f"the Dask scheduler {args.scheduler}" if args.scheduler else "this process"


def _check_format(fmt):
    """Fail before any work when ``--format parquet`` cannot be written (a ``ValueError``: a usage error)."""
    if fmt != "parquet":
        return
    import importlib.util

    missing = [m for m in ("pandas", "pyarrow") if importlib.util.find_spec(m) is None]
    if missing:
        raise ValueError(
            f"--format parquet needs {' and '.join(missing)} (pip install rltheory[dataframe] pyarrow); "
            "--format csv works without them"
        )


def _write_table(columns, out, fmt, who):
    """Write ``columns`` to ``out/runs.<fmt>`` atomically; returns the path."""
    from rltheory import _dataframe
    from rltheory.experiments import _atomic

    path = out / f"runs.{fmt}"
    if fmt == "csv":
        _atomic.save_with(lambda p: _dataframe.write_csv(columns, p), path)
    else:
        _atomic.save_with(lambda p: _dataframe.write_parquet(columns, p, who), path)
    return path


#: What ``plot`` and ``summarize`` read to rebuild a run's figure: the catalogue entry or the experiment file.
SOURCE = "source.json"


def _render(result, rep, out):
    """Write the figure (and ``first_success.csv``) of ``result`` as ``rep`` draws it; returns the PNG's path."""
    from rltheory.experiments import _atomic
    from rltheory.experiments._plots import plot_experiment

    png = out / f"{rep.name}.png"
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
    return png


def _run_reproduce(args):
    from rltheory.experiments._catalogue import get_reproduction

    rep = get_reproduction(args.name)
    if rep.study is not None:
        return _run_study(args, rep)
    return _run_curves(args, rep, source={"reproduction": rep.name})


def _run_curves(args, rep, *, source, seed=0, checkpoints=200):
    """Run the configurations of ``rep`` as ``reproduce`` and ``run`` do: chunks, curves, summary, figure."""
    import json

    from rltheory.experiments import _atomic
    from rltheory.experiments._runner import run_experiment

    if _dry_run(args):
        return 0
    _check_format(args.format)
    budget = rep.budget if args.budget is None else args.budget
    n_runs = rep.n_runs if args.runs is None else args.runs
    seed = seed if args.seed is None else args.seed
    out = Path(args.out) if args.out is not None else Path("rltheory-results") / rep.name
    configs = rep.configs(budget)
    extra = (f"{rep.name}.png", SOURCE) + (("first_success.csv",) if rep.first_success is not None else ())
    extra += (f"runs.{args.format}",) if args.format else ()
    # The first line, before any compilation or chunk: what runs, where, and where the results go.
    print(
        f"{rep.name}: {len(configs)} configurations x {n_runs} runs x T = {budget}, seed {seed}, "
        f"on {_where(args)} -> {out}",
        flush=True,
    )
    with _executor(args) as executor:
        result = run_experiment(
            configs,
            budget=budget,
            n_runs=n_runs,
            seed=seed,
            out_dir=out,
            executor=executor,
            chunk_size=args.chunk_size,
            resume=args.resume,
            overwrite=args.overwrite,
            extra_files=extra,
            checkpoints=checkpoints,
            progress=not args.no_progress,
        )
    _atomic.write_bytes(out / SOURCE, (json.dumps(source, indent=2, sort_keys=True) + "\n").encode())
    png = _render(result, rep, out)
    table = _write_table(result.to_columns("runs"), out, args.format, "rltheory") if args.format else None
    if rep.citation:
        print(f"[{rep.citation}]")
    if result.chunks_reused:
        print(f"resumed: {result.chunks_reused} chunk(s) reused, {result.chunks_computed} computed")
    for msg in result.chunks_rejected:
        print(f"recomputed {msg}")
    print(result.format_summary())
    print(f"wrote {png}, {out / 'summary.csv'}, {out / 'curves'}/*.npz and *.csv" + (f", {table}" if table else ""))
    return 0


def _run_study(args, rep):
    """``reproduce`` of a study: a statistic against a sample size, run on the chosen executor."""
    from rltheory.experiments._studies import STUDY_FILES, STUDY_TABLES, run_study, slope_axes, write_study

    if args.resume:
        raise ValueError(f"{rep.name} is a study: it has no chunk files to resume; run it again without --resume")
    if _dry_run(args):
        return 0
    _check_format(args.format)
    budget = rep.budget if args.budget is None else args.budget
    n_runs = rep.n_runs if args.runs is None else args.runs
    seed = 0 if args.seed is None else args.seed
    out = Path(args.out) if args.out is not None else Path("rltheory-results") / rep.name
    grid = rep.study.grid(budget)
    print(
        f"{rep.name}: {len(rep.study.series)} series x {n_runs} runs at {rep.study.x_label} in {list(grid)}, "
        f"seed {seed}, on {_where(args)} -> {out}",
        flush=True,
    )
    if args.overwrite and out.is_dir():
        for name in (*STUDY_FILES, *STUDY_TABLES, f"{rep.name}.png"):
            (out / name).unlink(missing_ok=True)
    with _executor(args) as executor:
        result = run_study(
            rep.name,
            rep.study,
            budget=budget,
            n_runs=n_runs,
            seed=seed,
            executor=executor,
            chunk_size=args.chunk_size,
        )
    png = write_study(result, rep.study, out, title=rep.name)
    table = _write_table(result.to_columns(), out, args.format, "rltheory") if args.format else None
    print(f"[{rep.citation}]")
    width = max(len(s) for s in result.values)
    at = f"{result.statistic} at {rep.study.x_label} = {int(result.x[-1])}"
    print(f"{'series':<{width}}  {at}   {slope_axes(rep.study)} slope [95% CI]")
    for s in result.values:
        sl = result.slopes[s]
        print(f"{s:<{width}}  {float(result.summary[s][-1]):.4g}   {sl[0]:.4g} [{sl[1]:.4g}, {sl[2]:.4g}]")
    for label, y in result.references.items():
        print(f"reference {label}: {float(y[-1]):.4g}")
    print(f"wrote {png}, {out / 'summary.csv'}, {out / 'study.npz'}" + (f", {table}" if table else ""))
    return 0


@contextlib.contextmanager
def _executor(args):
    """The executor the options ask for (in-process, local processes, a Dask scheduler or cluster, MPI)."""
    from rltheory.experiments._executors import make_executor, mpi_executor

    if getattr(args, "executor", None) == "mpi":
        with mpi_executor() as executor:
            yield executor
        return
    if getattr(args, "cluster", None):
        cluster = _cluster(args)
        try:
            cluster.scale(jobs=args.jobs)
            with make_executor(scheduler=cluster.scheduler_address, report_compilations=True) as executor:
                yield executor
        finally:
            cluster.close()
        return
    with make_executor(workers=args.workers, scheduler=args.scheduler, report_compilations=True) as executor:
        yield executor


def _cluster(args):
    from rltheory.experiments._executors import jobqueue_cluster

    return jobqueue_cluster(
        args.cluster,
        cores=args.cores,
        memory=args.memory,
        walltime=args.walltime,
        queue=args.queue,
        account=args.account,
    )


def _dry_run(args):
    """``--dry-run``: print the job script ``--cluster`` would submit, run nothing. ``True`` when it did."""
    if not args.dry_run:
        return False
    if not args.cluster:
        raise ValueError("--dry-run prints the batch job script of --cluster slurm|pbs: give --cluster")
    cluster = _cluster(args)
    try:
        print(f"# {args.jobs} job(s) of this script would be submitted (sbatch/qsub), one Dask worker each:")
        print(cluster.job_script())
    finally:
        cluster.close()
    return True


def _add_run_options(p, *, what):
    """The options ``reproduce`` and ``run`` share: size, seed, where to run, the results folder."""
    p.add_argument("--runs", type=_positive_int, default=None, help=f"runs per configuration (default: the {what}'s)")
    p.add_argument("--budget", type=_positive_int, default=None, help=f"budget T (default: the {what}'s)")
    p.add_argument("--seed", type=_non_negative_int, default=None, help=f"master seed (default: the {what}'s, else 0)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=None, help="local worker processes")
    where.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="a running Dask scheduler")
    where.add_argument(
        "--cluster",
        choices=("slurm", "pbs"),
        default=None,
        help="submit Dask workers as SLURM or PBS batch jobs (dask-jobqueue); see --jobs, --cores, --memory, "
        "--walltime, --queue, --account, --dry-run",
    )
    where.add_argument(
        "--executor",
        choices=("mpi",),
        default=None,
        help="mpi: the ranks of `mpiexec -n N python -m mpi4py.futures -m rltheory.cli ...` (mpi4py.futures)",
    )
    batch = p.add_argument_group("batch jobs (--cluster)")
    batch.add_argument("--jobs", type=_positive_int, default=1, help="batch jobs (Dask workers) to submit")
    batch.add_argument("--cores", type=_positive_int, default=1, help="cores per job (default 1)")
    batch.add_argument("--memory", default="2GiB", help="memory per job (default 2GiB)")
    batch.add_argument("--walltime", default="01:00:00", help="time limit per job, HH:MM:SS (default 1 hour)")
    batch.add_argument("--queue", default=None, help="SLURM partition / PBS queue")
    batch.add_argument("--account", default=None, help="account to charge")
    batch.add_argument(
        "--dry-run", action="store_true", help="print the job script --cluster would submit; run nothing"
    )
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
    p.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default=None,
        help="also write every run as one long table runs.csv or runs.parquet into --out (columns of "
        "ExperimentResult.to_columns('runs'); parquet needs pandas and pyarrow, csv needs nothing)",
    )


def add_reproduce_command(subparsers):
    """Add ``reproduce NAME [--runs N] [--budget T] [--seed S] [--workers N] ...``."""
    p = subparsers.add_parser(
        "reproduce",
        help="run a named paper reproduction (see `rltheory list`)",
        description="Run a catalogue reproduction: simulate, write chunks, curves, summary.csv and a PNG "
        "into --out, print the summary table (final regret +- CI, log-log slope, ratio to Lai-Robbins).",
    )
    p.add_argument("name", help="reproduction name (see `rltheory list`)")
    _add_run_options(p, what="entry")
    p.set_defaults(func=_run_reproduce, resume_hint=True, report_compilations=True)
    return p


def _run_file(args):
    from rltheory.experiments._config_file import load_config_file, resolve_config_file

    path = resolve_config_file(args.file)
    rep, seed, checkpoints = load_config_file(path)
    source = {"config_file": str(path), "config": path.read_text(encoding="utf-8")}
    return _run_curves(args, rep, source=source, seed=seed, checkpoints=checkpoints)


def add_run_command(subparsers):
    """Add ``run FILE.toml [--runs N] [--budget T] ...``: an experiment described by a TOML file."""
    p = subparsers.add_parser(
        "run",
        help="run an experiment described by a TOML file",
        description="Run the experiment of a TOML file (instances, configurations, budget, runs, seed, "
        "checkpoints, figure; the format is in rltheory.experiments._config_file) exactly as `rltheory "
        "reproduce` runs a catalogue entry: chunks, curves, summary.csv and a PNG into --out. FILE may also "
        "name a file shipped with rltheory (bernoulli-two-arms, riverswim, ...). --runs/--budget/--seed "
        "override the file.",
    )
    p.add_argument("file", metavar="FILE", help="experiment file (.toml), or the name of a shipped one")
    _add_run_options(p, what="file")
    p.set_defaults(func=_run_file, resume_hint=True, report_compilations=True)
    return p


def _saved_experiment(folder):
    """``(Reproduction, ExperimentResult)`` rebuilt from a results folder, nothing recomputed."""
    import json
    import types

    from rltheory.experiments._catalogue import get_reproduction
    from rltheory.experiments._config_file import reproduction_from_config
    from rltheory.experiments._records import ExperimentResult
    from rltheory.experiments._store import FORMAT, MARKER, curve_file
    from rltheory.experiments._summary import summary_row
    from rltheory.simulation import RegretCurve

    folder = Path(folder)
    marker, source_path = folder / MARKER, folder / SOURCE
    if not marker.is_file():
        raise ValueError(f"{str(folder)!r} is not an rltheory results folder (no {MARKER})")
    desc = json.loads(marker.read_text())
    if not isinstance(desc, dict) or desc.get("format") != FORMAT:
        raise ValueError(f"{str(marker)!r} was not written by rltheory")
    if not source_path.is_file():
        raise ValueError(
            f"{str(folder)!r} has no {SOURCE} (written by `rltheory reproduce` and `rltheory run`): "
            "it does not say which catalogue entry or experiment file drew its figure"
        )
    source = json.loads(source_path.read_text())
    if "reproduction" in source:
        rep = get_reproduction(source["reproduction"])
    else:
        import sys

        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        rep = reproduction_from_config(tomllib.loads(source["config"]), source.get("config_file", SOURCE))[0]
    budget = int(desc["budget"])
    configs = rep.configs(budget)
    saved = [c["name"] for c in desc["configs"]]
    if [c.name for c in configs] != saved or [c.agent.to_spec() for c in configs] != [
        c["agent"] for c in desc["configs"]
    ]:
        raise ValueError(
            f"{str(folder)!r}: its configurations {saved} are not those {rep.name!r} builds now "
            f"({[c.name for c in configs]}): the entry changed since the run; run it again"
        )
    curves = {}
    for k, cfg in enumerate(configs):
        path = curve_file(folder, k, cfg.name, ".npz")
        if not path.is_file():
            raise ValueError(f"{str(folder)!r}: the curve {path.name} is missing (an interrupted run? use --resume)")
        curves[cfg.name] = RegretCurve.load(path)
    result = ExperimentResult(
        configs=configs,
        curves=types.MappingProxyType(curves),
        summary=tuple(summary_row(cfg, curves[cfg.name], budget) for cfg in configs),
        budget=budget,
        n_runs=int(desc["n_runs"]),
        seed=int(desc["seed"]),
        checkpoints=int(desc["checkpoints"]),
        chunk_size=int(desc["chunk_size"]),
        out_dir=folder,
        chunks_computed=0,
        chunks_reused=0,
    )
    return rep, result


def _run_plot(args):
    rep, result = _saved_experiment(args.results_dir)
    png = _render(result, rep, Path(args.results_dir))
    print(f"wrote {png}")
    return 0


def add_plot_command(subparsers):
    """Add ``plot RESULTS_DIR``: redraw the figure of a saved run from its curves."""
    p = subparsers.add_parser(
        "plot",
        help="redraw the figure of a saved run (nothing is recomputed)",
        description="Redraw NAME.png (and first_success.csv) of a results folder written by `rltheory reproduce` "
        "or `rltheory run`, from its saved curves (curves/*.npz), with the figure settings of the catalogue "
        "entry or experiment file it ran (source.json).",
    )
    p.add_argument("results_dir", metavar="RESULTS_DIR")
    p.set_defaults(func=_run_plot)
    return p


def _run_summarize(args):
    import csv
    import dataclasses

    from rltheory.experiments._records import SummaryRow
    from rltheory.experiments._summary import format_summary

    folder = Path(args.results_dir)
    path = folder / "summary.csv"
    if not path.is_file():
        raise ValueError(f"{str(folder)!r} has no summary.csv: not an rltheory results folder (or an interrupted run)")
    text = path.read_text()
    if args.csv:
        print(text, end="")
        return 0
    fields = {f.name: f.type for f in dataclasses.fields(SummaryRow)}
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or list(rows[0]) != list(fields):
        raise ValueError(
            f"{str(path)!r} is not the summary of an experiment (a study's? columns {list(rows[0]) if rows else []})"
        )
    cast = {"str": str, "int": int, "float": float}
    print(format_summary([SummaryRow(**{k: cast[fields[k]](v) for k, v in r.items()}) for r in rows]))
    return 0


def add_summarize_command(subparsers):
    """Add ``summarize RESULTS_DIR [--csv]``: print the summary table of a saved run."""
    p = subparsers.add_parser(
        "summarize",
        help="print the summary table of a saved run (nothing is recomputed)",
        description="Print the summary table of a results folder (from its summary.csv), as the run printed "
        "it; --csv prints the CSV itself.",
    )
    p.add_argument("results_dir", metavar="RESULTS_DIR")
    p.add_argument("--csv", action="store_true", help="print summary.csv as it is")
    p.set_defaults(func=_run_summarize)
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
