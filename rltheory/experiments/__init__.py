"""rltheory.experiments: many runs x many configurations on an executor.

:func:`run_experiment` cuts every configuration's runs into chunks, maps the
simulator of the problem's type over them on an executor (in-process by
default, local processes, or a Dask cluster), writes each finished chunk
atomically with a configuration hash (so ``resume=True`` picks up an
interrupted run), and returns curves bit-identical whatever the executor and
the chunking. A results folder holds one experiment and only files rltheory
wrote (``overwrite=True`` replaces another experiment). :data:`CATALOGUE`
holds the named paper reproductions behind ``rltheory reproduce NAME``,
``rltheory list`` and ``rltheory compile``.

Modules: ``_records`` (configurations and results), ``_runner`` (the plan and
its execution), ``_dispatch`` (the one place that calls the simulators),
``_store`` (the results folder), ``_atomic`` (atomic file writes),
``_summary`` (the summary table), ``_config_file`` (experiments from TOML files, ``rltheory run``;
the shipped files are in ``configs/``), ``_studies`` (reproductions that are a statistic against a sample
size, not regret curves), ``_executors``, ``_catalogue``, ``_plots``,
``_cli``.
"""

from rltheory.experiments._catalogue import CATALOGUE, Reproduction, get_reproduction
from rltheory.experiments._executors import SerialExecutor, executor_width, make_executor
from rltheory.experiments._plots import OVERLAYS, plot_experiment
from rltheory.experiments._records import ExperimentConfig, ExperimentResult, SummaryRow
from rltheory.experiments._runner import DEFAULT_CHUNK_SIZE, config_seed, run_experiment
from rltheory.experiments._studies import Study, StudyResult, plot_study, run_study, write_study
from rltheory.experiments._summary import format_summary

__all__ = [
    "CATALOGUE",
    "DEFAULT_CHUNK_SIZE",
    "ExperimentConfig",
    "ExperimentResult",
    "OVERLAYS",
    "Reproduction",
    "SerialExecutor",
    "Study",
    "StudyResult",
    "SummaryRow",
    "config_seed",
    "executor_width",
    "format_summary",
    "get_reproduction",
    "make_executor",
    "plot_experiment",
    "plot_study",
    "run_experiment",
    "run_study",
    "write_study",
]
