"""Tests of rltheory.experiments._executors: the serial executor and make_executor."""

import concurrent.futures as cf
import re
import sys

import numpy as np
import pytest

from rltheory.experiments import SerialExecutor, executor_width, make_executor


def _draws(seed, n):
    """A deterministic picklable task: n uniforms from the generator seeded by ``seed``."""
    return np.random.default_rng(seed).random(n)


def _boom(x):
    raise ZeroDivisionError(f"boom {x}")


def _interrupt():
    raise KeyboardInterrupt


def test_serial_executor_returns_finished_futures():
    with SerialExecutor() as ex:
        fut = ex.submit(_draws, 3, 4)
        assert fut.done()
        np.testing.assert_array_equal(fut.result(), _draws(3, 4))
        assert list(ex.map(pow, [2, 3], [3, 2])) == [8, 9]


def test_serial_executor_stores_exceptions_but_not_keyboard_interrupt():
    ex = SerialExecutor()
    fut = ex.submit(_boom, 1)
    assert isinstance(fut.exception(), ZeroDivisionError)
    with pytest.raises(KeyboardInterrupt):
        ex.submit(_interrupt)


def test_serial_executor_refuses_work_after_shutdown():
    ex = SerialExecutor()
    ex.shutdown()
    with pytest.raises(RuntimeError, match="shutdown"):
        ex.submit(pow, 2, 2)


def test_make_executor_default_and_one_worker_are_serial():
    with make_executor() as ex:
        assert isinstance(ex, SerialExecutor)
        assert executor_width(ex) == 1
    with make_executor(workers=1) as ex:
        assert isinstance(ex, SerialExecutor)


def test_process_pool_gives_the_same_numbers():
    with make_executor(workers=2) as ex:
        assert isinstance(ex, cf.ProcessPoolExecutor)
        assert executor_width(ex) == 2
        got = [f.result() for f in [ex.submit(_draws, s, 5) for s in range(4)]]
    for s, g in enumerate(got):
        np.testing.assert_array_equal(g, _draws(s, 5))


@pytest.mark.parametrize("workers", [0, -1, 2.5, True, "2"])
def test_make_executor_rejects_bad_worker_counts(workers):
    with pytest.raises(ValueError, match="workers"):
        with make_executor(workers=workers):
            pass


def test_make_executor_rejects_workers_with_scheduler_and_bad_addresses():
    with pytest.raises(ValueError, match="exclusive"):
        with make_executor(workers=2, scheduler="tcp://127.0.0.1:8786"):
            pass
    with pytest.raises(ValueError, match="tcp://HOST:PORT"):
        with make_executor(scheduler="localhost"):
            pass


def test_make_executor_without_distributed_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    with pytest.raises(ValueError, match=r"rltheory\[dist\]"):
        with make_executor(scheduler="tcp://127.0.0.1:1"):
            pass


def test_dask_scheduler_executor_gives_the_same_numbers():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        with make_executor(scheduler=cluster.scheduler_address) as ex:
            assert executor_width(ex) == 2
            got = [f.result() for f in [ex.submit(_draws, s, 5) for s in range(3)]]
    for s, g in enumerate(got):
        np.testing.assert_array_equal(g, _draws(s, 5))


def test_workers_report_their_compilations_on_stderr(capfd):
    import time

    from tests.experiments._helpers import compile_generated_kernel

    name = f"gen_worker_probe_{time.time_ns()}"
    with make_executor(workers=2, report_compilations=True) as ex:
        assert ex.submit(compile_generated_kernel, name).result() == 2
    err = capfd.readouterr().err
    assert re.search(rf"^worker \d+: compiling {name}\.f \(first run only; cached in .+\)\.\.\.$", err, re.M), err


def _mpi_works():
    """``None`` when mpiexec and mpi4py with an MPI library are here, else why not."""
    import shutil
    import subprocess
    import sys

    if shutil.which("mpiexec") is None:
        return "no mpiexec on PATH (pip install mpich, or a system MPI)"
    probe = subprocess.run([sys.executable, "-c", "from mpi4py import MPI"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"mpi4py cannot load an MPI library: {probe.stderr.strip().splitlines()[-1:]}"
    return None


def test_a_slurm_and_a_pbs_job_script_carry_the_requested_resources():
    pytest.importorskip("dask_jobqueue")
    from rltheory.experiments._executors import jobqueue_cluster

    slurm = jobqueue_cluster("slurm", cores=3, memory="6GiB", walltime="02:30:00", queue="short", account="rl")
    try:
        script = slurm.job_script()
    finally:
        slurm.close()
    for line in ("#SBATCH -p short", "#SBATCH -A rl", "#SBATCH --cpus-per-task=3", "#SBATCH -t 02:30:00"):
        assert line in script
    assert "export NUMBA_NUM_THREADS=1" in script and "--nthreads 3" in script
    pbs = jobqueue_cluster("pbs", cores=2, queue="batch")
    try:
        script = pbs.job_script()
    finally:
        pbs.close()
    assert "#PBS -q batch" in script and "ncpus=2" in script
    with pytest.raises(ValueError, match="cluster = 'sge' must be one of"):
        jobqueue_cluster("sge")


def test_mpi_executor_without_mpi4py_says_what_to_install(monkeypatch):
    import sys

    from rltheory.experiments._executors import mpi_executor

    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ValueError, match="--executor mpi needs mpi4py and an MPI library"):
        with mpi_executor():
            pass


@pytest.mark.slow  # about 30 s: two MPI processes load every kernel of the entry
def test_mpi_ranks_give_the_numbers_of_the_serial_executor(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    reason = _mpi_works()
    if reason is not None:
        pytest.skip(reason)
    from rltheory.cli import main

    root = Path(__file__).resolve().parents[2]  # run the checkout's rltheory in the MPI processes too
    common = ["reproduce", "bernoulli-two-arms", "--budget", "60", "--runs", "3", "--chunk-size", "2", "--no-progress"]
    mpi = [
        "mpiexec", "-n", "2", sys.executable, "-m", "mpi4py.futures", "-m", "rltheory.cli", *common,
        "--executor", "mpi", "--out", str(tmp_path / "mpi"),
    ]  # fmt: skip
    done = subprocess.run(mpi, cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "on MPI processes (mpi4py.futures)" in done.stdout
    assert main([*common, "--out", str(tmp_path / "serial")]) == 0
    for a in sorted((tmp_path / "mpi" / "curves").glob("*.npz")):
        with np.load(a) as x, np.load(tmp_path / "serial" / "curves" / a.name) as y:
            for key in ("regret", "realized_regret", "pulls"):
                np.testing.assert_array_equal(x[key], y[key])
