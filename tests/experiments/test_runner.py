"""Tests of rltheory.experiments._runner.

Two layers. The chunk machinery (_execute + ChunkStore: executors, chunking,
atomic chunk files, hashes, resume) is exercised with a small deterministic
picklable task whose run i depends only on (seed, i), exactly the property the
runner relies on from the simulators (tests/experiments/_helpers.py). Then
``run_experiment`` itself on real bandit simulations.

The identities asserted: for a task whose run i is a function of (seed, i) only,
the concatenation of chunks [a, b) equals the single-chunk computation bit for
bit, whatever the executor and the chunk boundaries; a resumed run equals the
uninterrupted one.
"""

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from rltheory.experiments import (
    ExperimentConfig,
    ExperimentResult,
    SummaryRow,
    make_executor,
    run_experiment,
)
from tests.experiments._helpers import (
    SIZE,
    assemble,
    assert_same_curves,
    corrupt,
    dying_chunk,
    fake_chunk,
    file_set,
    interrupting_chunk,
    make_jobs,
    make_store,
    reference,
    run,
    small_configs,
)

# --------------------------------------------------------------------------- executors and chunking


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 10])
def test_chunking_is_bit_identical(chunk_size):
    jobs = make_jobs(2, 10, chunk_size)
    results, reused = run(jobs)
    assert reused == 0
    for got, want in zip(assemble(jobs, results, 2), reference(2, 10)):
        np.testing.assert_array_equal(got, want)


def test_process_pool_is_bit_identical_to_in_process():
    jobs = make_jobs(2, 9, 2)
    serial, _ = run(jobs)
    with make_executor(workers=2) as ex:
        pooled, _ = run(jobs, executor=ex)
    for a, b in zip(assemble(jobs, serial, 2), assemble(jobs, pooled, 2)):
        np.testing.assert_array_equal(a, b)


def test_dask_local_cluster_is_bit_identical_to_in_process(tmp_path):
    distributed = pytest.importorskip("distributed")
    jobs = make_jobs(2, 9, 2)
    serial, _ = run(jobs)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        with make_executor(scheduler=cluster.scheduler_address) as ex:
            remote, _ = run(jobs, store=make_store(tmp_path, 2), executor=ex)
    for a, b in zip(assemble(jobs, serial, 2), assemble(jobs, remote, 2)):
        np.testing.assert_array_equal(a, b)
    # every chunk landed on disk (written by the driver, not the workers)
    assert len(list(tmp_path.glob("chunks/*/runs-*.json"))) == len(jobs)


# --------------------------------------------------------------------------- chunk files and resume


def test_every_chunk_is_written_with_a_manifest(tmp_path):
    jobs = make_jobs(2, 6, 4)
    run(jobs, store=make_store(tmp_path, 2))
    store = make_store(tmp_path, 2)
    for job in jobs:
        data, manifest = store.paths(job)
        m = json.loads(manifest.read_text())
        assert m["config_sha256"] == job.digest
        assert set(m["files"]) == {data.name}
    assert not list(tmp_path.rglob(".tmp-*"))  # no temporary left behind


def test_resume_reuses_every_valid_chunk(tmp_path):
    jobs = make_jobs(2, 6, 2)
    first, _ = run(jobs, store=make_store(tmp_path, 2))
    store = make_store(tmp_path, 2)
    again, reused = run(jobs, store=store)
    assert reused == len(jobs) and store.rejected == []
    for a, b in zip(assemble(jobs, first, 2), assemble(jobs, again, 2)):
        np.testing.assert_array_equal(a, b)


def test_without_resume_everything_is_recomputed(tmp_path):
    jobs = make_jobs(1, 4, 2)
    run(jobs, store=make_store(tmp_path, 1))
    _, reused = run(jobs, store=make_store(tmp_path, 1, resume=False))
    assert reused == 0


def test_resume_after_keyboard_interrupt_equals_uninterrupted_run(tmp_path):
    jobs = make_jobs(1, 10, 2, task=interrupting_chunk, extra=(6,))
    with pytest.raises(KeyboardInterrupt):
        run(jobs, store=make_store(tmp_path, 1))
    # the three chunks finished before Ctrl-C are on disk
    assert len(list(tmp_path.glob("chunks/*/runs-*.json"))) == 3
    store = make_store(tmp_path, 1)
    results, reused = run(make_jobs(1, 10, 2), store=store)
    assert reused == 3 and store.rejected == []
    np.testing.assert_array_equal(assemble(jobs, results, 1)[0], reference(1, 10)[0])


def test_resume_after_a_killed_worker_equals_uninterrupted_run(tmp_path):
    jobs = make_jobs(1, 12, 2, task=dying_chunk, extra=(8,))
    with make_executor(workers=2) as ex:
        with pytest.raises(Exception) as info:
            run(jobs, store=make_store(tmp_path, 1), executor=ex)
    assert "BrokenProcessPool" in type(info.value).__name__ or "terminated" in str(info.value)
    written = len(list(tmp_path.glob("chunks/*/runs-*.json")))
    store = make_store(tmp_path, 1)
    results, reused = run(make_jobs(1, 12, 2), store=store)
    assert reused == written and store.rejected == []
    np.testing.assert_array_equal(assemble(jobs, results, 1)[0], reference(1, 12)[0])


_KILLED_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from tests.experiments._helpers import make_jobs, make_store, run, slow_chunk
    from pathlib import Path
    jobs = make_jobs(1, 40, 2, task=slow_chunk)
    run(jobs, store=make_store(Path({out!r}), 1))
    """
)


def test_resume_after_the_process_is_killed_equals_uninterrupted_run(tmp_path):
    root = str(Path(__file__).resolve().parents[2])
    script = _KILLED_SCRIPT.format(root=root, out=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=root)
    try:
        while len(list(tmp_path.glob("chunks/*/runs-*.json"))) < 3:
            if proc.poll() is not None:
                pytest.fail(f"the child process ended early with code {proc.returncode}")
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    written = len(list(tmp_path.glob("chunks/*/runs-*.json")))
    assert 3 <= written < 20
    store = make_store(tmp_path, 1)
    results, reused = run(make_jobs(1, 40, 2), store=store)
    assert reused == written and store.rejected == []
    np.testing.assert_array_equal(assemble(make_jobs(1, 40, 2), results, 1)[0], reference(1, 40)[0])


@pytest.mark.parametrize("damage", ["corrupt-data", "delete-data", "delete-manifest", "garble-manifest"])
def test_damaged_chunks_are_recomputed(tmp_path, damage):
    jobs = make_jobs(2, 6, 2)
    run(jobs, store=make_store(tmp_path, 2))
    victim = jobs[4]
    data, manifest = make_store(tmp_path, 2).paths(victim)
    if damage == "corrupt-data":
        corrupt(data)
    elif damage == "delete-data":
        data.unlink()
    elif damage == "delete-manifest":
        manifest.unlink()
    else:
        manifest.write_text("{not json")
    store = make_store(tmp_path, 2)
    results, reused = run(jobs, store=store)
    assert reused == len(jobs) - 1
    assert len(store.rejected) == 1 and data.name in store.rejected[0]
    for got, want in zip(assemble(jobs, results, 2), reference(2, 6)):
        np.testing.assert_array_equal(got, want)
    # the recomputed chunk is valid on disk again
    again = make_store(tmp_path, 2)
    assert run(jobs, store=again)[1] == len(jobs) and again.rejected == []


def test_chunk_of_another_configuration_is_not_mixed_in(tmp_path):
    jobs = make_jobs(2, 6, 2)
    run(jobs, store=make_store(tmp_path, 2))
    store = make_store(tmp_path, 2)
    # copy config 1's chunk [0, 2) (data + manifest) over config 0's chunk [0, 2)
    for src, dst in zip(store.paths(jobs[3]), store.paths(jobs[0])):
        dst.write_bytes(src.read_bytes())
    results, reused = run(jobs, store=store)
    assert reused == len(jobs) - 1
    assert "hash mismatch" in store.rejected[0]
    for got, want in zip(assemble(jobs, results, 2), reference(2, 6)):
        np.testing.assert_array_equal(got, want)


def test_chunk_with_the_wrong_runs_is_not_mixed_in(tmp_path):
    jobs = make_jobs(1, 6, 2)
    run(jobs, store=make_store(tmp_path, 1))
    store = make_store(tmp_path, 1)
    data, manifest = store.paths(jobs[1])
    # well-formed file and a manifest with the right hash, but holding runs [0, 2)
    fake_chunk(100, 0, 2).save(data)
    m = json.loads(manifest.read_text())
    import hashlib

    m["files"] = {data.name: hashlib.sha256(data.read_bytes()).hexdigest()}
    manifest.write_text(json.dumps(m))
    results, reused = run(jobs, store=store)
    assert reused == 2 and "instead of [2, 4)" in store.rejected[0]
    np.testing.assert_array_equal(assemble(jobs, results, 1)[0], reference(1, 6)[0])


# --------------------------------------------------------------------------- run_experiment on real simulations


@pytest.fixture(scope="module")
def reference_result():
    return run_experiment(small_configs(), chunk_size=7, **SIZE)


def test_single_chunk_equals_one_simulate_call_per_config(reference_result):
    from rltheory.experiments import config_seed
    from rltheory.simulation import simulate

    for k, cfg in enumerate(small_configs()):
        direct = simulate(cfg.problem, cfg.agent, n_rounds=150, n_runs=7, seed=config_seed(11, k), checkpoints=15)
        np.testing.assert_array_equal(reference_result.curves[cfg.name].regret, direct.regret)


@pytest.mark.parametrize("chunk_size", [1, 3, None])
def test_run_experiment_chunk_size_does_not_change_numbers(reference_result, chunk_size):
    assert_same_curves(run_experiment(small_configs(), chunk_size=chunk_size, **SIZE), reference_result)


def test_run_experiment_process_pool_and_dask_match_in_process(reference_result, tmp_path):
    distributed = pytest.importorskip("distributed")
    with make_executor(workers=2) as ex:
        pooled = run_experiment(small_configs(), chunk_size=2, executor=ex, **SIZE)
    assert_same_curves(pooled, reference_result)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        with make_executor(scheduler=cluster.scheduler_address) as ex:
            remote = run_experiment(small_configs(), chunk_size=3, executor=ex, out_dir=tmp_path, **SIZE)
    assert_same_curves(remote, reference_result)


def test_run_experiment_result_schema_and_summary(reference_result):
    from rltheory.bandits import lai_robbins_curve

    r = reference_result
    assert isinstance(r, ExperimentResult) and r.out_dir is None
    assert r.chunks_computed == 3 and r.chunks_reused == 0
    assert [row.name for row in r.summary] == ["ucb1", "klucb", "exp3 on a sequence"]
    for cfg, row in zip(small_configs(), r.summary):
        assert isinstance(row, SummaryRow)
        curve = r.curves[cfg.name]
        assert curve.regret.shape == (7, curve.times.size)
        assert row.final_mean == curve.mean[-1]
        assert row.final_lower <= row.final_mean <= row.final_upper
    # the ratio to the Lai-Robbins curve C log T (Lai & Robbins 1985, Thm 2) for stochastic instances only
    bandit = small_configs()[0].problem
    assert r.summary[0].lai_robbins_ratio == pytest.approx(
        r.summary[0].final_mean / float(lai_robbins_curve(bandit, [150])[0]), rel=1e-12
    )
    assert np.isnan(r.summary[2].lai_robbins_ratio)
    table = r.format_summary()
    assert "klucb" in table and "R(T)/LR(T)" in table


def test_run_experiment_writes_and_resumes(tmp_path, reference_result):
    first = run_experiment(small_configs(), chunk_size=3, out_dir=tmp_path, **SIZE)
    assert_same_curves(first, reference_result)
    assert (tmp_path / "summary.csv").exists() and (tmp_path / "experiment.json").exists()
    assert len(list((tmp_path / "curves").glob("*.npz"))) == 3
    chunks = sorted(tmp_path.glob("chunks/*/runs-*.npz"))
    assert len(chunks) == 9
    chunks[4].unlink()  # one chunk lost
    corrupt(chunks[7])  # one chunk corrupted
    resumed = run_experiment(small_configs(), chunk_size=3, out_dir=tmp_path, resume=True, **SIZE)
    assert resumed.chunks_reused == 7 and resumed.chunks_computed == 2
    assert len(resumed.chunks_rejected) == 2
    assert_same_curves(resumed, reference_result)


def test_another_experiment_in_the_folder_is_refused_or_replaced_whole(tmp_path):
    from rltheory.bandits import MOSS

    out = tmp_path / "a"
    run_experiment(small_configs(), chunk_size=3, out_dir=out, **SIZE)
    before = file_set(out)
    other = small_configs()
    other[0] = ExperimentConfig("ucb1", other[0].problem, MOSS())  # same name and folder, other policy
    for resume in (False, True):
        with pytest.raises(ValueError, match=r"another experiment \(configuration\(s\) \['ucb1'\].*--overwrite"):
            run_experiment(other, chunk_size=3, out_dir=out, resume=resume, **SIZE)
        with pytest.raises(ValueError, match=r"another experiment \(seed 11 in the folder, 12 asked\)"):
            run_experiment(small_configs(), chunk_size=3, out_dir=out, resume=resume, **dict(SIZE, seed=12))
    assert file_set(out) == before  # a refusal writes and removes nothing
    # overwrite: the old experiment's files are removed before anything is written
    # (another chunk size too, so that no file name of the old experiment is reused)
    replaced = run_experiment(other, chunk_size=4, out_dir=out, overwrite=True, **dict(SIZE, seed=12))
    assert replaced.chunks_reused == 0 and replaced.chunks_computed == 6
    fresh = run_experiment(other, chunk_size=4, out_dir=tmp_path / "b", **dict(SIZE, seed=12))
    assert file_set(out) == file_set(tmp_path / "b")
    assert_same_curves(replaced, fresh)
    marker = json.loads((out / "experiment.json").read_text())
    assert marker["seed"] == 12 and marker["configs"][0]["agent"] == MOSS().to_spec()


def test_resume_with_more_runs_reuses_the_chunks_and_drops_stale_ranges(tmp_path):
    run_experiment(small_configs(), chunk_size=3, out_dir=tmp_path, **SIZE)  # runs [0,3), [3,6), [6,7)
    more = run_experiment(small_configs(), chunk_size=3, out_dir=tmp_path, resume=True, **dict(SIZE, n_runs=10))
    assert more.chunks_reused == 6 and more.chunks_computed == 6  # [6,9) and [9,10) for each of the 3 configs
    assert not list(tmp_path.glob("chunks/*/runs-00000006-00000007.*"))  # the old last chunk is gone
    assert_same_curves(more, run_experiment(small_configs(), chunk_size=5, **dict(SIZE, n_runs=10)))


def test_rerun_of_the_same_experiment_without_resume_recomputes_in_place(tmp_path):
    first = run_experiment(small_configs(), chunk_size=3, out_dir=tmp_path, **SIZE)
    before = file_set(tmp_path)
    again = run_experiment(small_configs(), chunk_size=3, out_dir=tmp_path, **SIZE)
    assert again.chunks_computed == 9 and file_set(tmp_path) == before
    assert_same_curves(first, again)


def test_run_experiment_rejects_bad_arguments():
    configs = small_configs()
    with pytest.raises(ValueError, match="unique"):
        run_experiment([configs[0], configs[0]], **SIZE)
    with pytest.raises(ValueError, match="need out_dir"):
        run_experiment(configs, resume=True, **SIZE)
    with pytest.raises(ValueError, match="exclusive"):
        run_experiment(configs, resume=True, overwrite=True, out_dir="unused", **SIZE)
    with pytest.raises(ValueError, match="chunk_size"):
        run_experiment(configs, chunk_size=0, **SIZE)
    with pytest.raises(ValueError, match="budget"):
        run_experiment(configs, **dict(SIZE, budget=0))
    with pytest.raises(ValueError, match="seed"):
        run_experiment(configs, **dict(SIZE, seed=-1))
    with pytest.raises(ValueError, match="configs\\[0\\]"):
        run_experiment([("a", 1, 2)], **SIZE)


def test_folder_where_an_output_file_is_expected_is_rejected_before_any_work(tmp_path):
    run_experiment(small_configs(), out_dir=tmp_path, **SIZE)
    for p in tmp_path.glob("chunks/*/runs-*"):
        p.unlink()
    (tmp_path / "summary.csv").unlink()
    (tmp_path / "summary.csv").mkdir()
    with pytest.raises(ValueError, match="summary.csv.*should be a file but is a folder"):
        run_experiment(small_configs(), out_dir=tmp_path, resume=True, **SIZE)
    assert not list(tmp_path.glob("chunks/*/runs-*"))


def test_chunks_of_other_simulation_code_are_recomputed(tmp_path, monkeypatch):
    run_experiment(small_configs(), chunk_size=7, out_dir=tmp_path, **SIZE)
    from rltheory.experiments import _dispatch

    original = _dispatch.engine_fingerprint
    monkeypatch.setattr(_dispatch, "engine_fingerprint", lambda p, a: dict(original(p, a), numpy="0.0-other"))
    resumed = run_experiment(small_configs(), chunk_size=7, out_dir=tmp_path, resume=True, **SIZE)
    assert resumed.chunks_reused == 0 and len(resumed.chunks_rejected) == 3


def test_a_pool_gets_the_chunks_round_robin_over_configurations():
    # workers starting together start on different configurations (different kernels on a cold cache)
    import concurrent.futures as cf

    class RecordingPool(cf.Executor):
        _max_workers = 2

        def __init__(self):
            self.order = []

        def submit(self, fn, *args):
            self.order.append((args[1], args[0] - 100))  # (run_start, config)
            future = cf.Future()
            future.set_result(fn(*args))
            return future

    jobs = make_jobs(3, 6, 2)
    pool = RecordingPool()
    results, _ = run(jobs, executor=pool)
    assert pool.order == sorted(pool.order) and [k for _, k in pool.order[:3]] == [0, 1, 2]
    for got, want in zip(assemble(jobs, results, 3), reference(3, 6)):
        np.testing.assert_array_equal(got, want)


def test_experiment_result_tables_are_the_summary_and_every_run():
    pytest.importorskip("pandas")
    from rltheory.bandits import UCB1, BernoulliBandit
    from rltheory.experiments import ExperimentConfig

    configs = [ExperimentConfig(n, BernoulliBandit([0.6, 0.4]), UCB1(alpha=a)) for n, a in (("a", 2.0), ("b", 1.0))]
    res = run_experiment(configs, budget=50, n_runs=3, checkpoints=4, progress=False)
    summary = res.to_dataframe()
    assert summary["name"].tolist() == ["a", "b"]
    assert summary["final_mean"].tolist() == [row.final_mean for row in res.summary]
    runs = res.to_dataframe("runs")
    for name in ("a", "b"):
        part = runs[runs["config"] == name]
        wide = part.pivot(index="run", columns="time", values="regret").to_numpy()
        np.testing.assert_array_equal(wide, res.curves[name].regret)
    with pytest.raises(ValueError, match="what = 'chunks' must be one of"):
        res.to_columns("chunks")
