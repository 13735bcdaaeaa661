"""Tests of rltheory.experiments._runner.

Two layers. The chunk machinery (_execute + _ChunkStore: executors, chunking,
atomic chunk files, hashes, resume) is exercised with a small deterministic
picklable task whose run i depends only on (seed, i), exactly the property the
runner relies on from ``rltheory.bandits.simulate``. Then ``run_experiment``
itself on real bandit simulations.

The identities asserted: for a task whose run i is a function of (seed, i) only,
the concatenation of chunks [a, b) equals the single-chunk computation bit for
bit, whatever the executor and the chunk boundaries; a resumed run equals the
uninterrupted one.
"""

import dataclasses
import json
import os
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
    SerialExecutor,
    SummaryRow,
    make_executor,
    run_experiment,
)
from rltheory.experiments._runner import (
    _check_curve_range,
    _ChunkJob,
    _ChunkStore,
    _chunk_ranges,
    _execute,
    _sha256_bytes,
)

# --------------------------------------------------------------------------- fake task

N_STEPS = 6


@dataclasses.dataclass(frozen=True)
class FakeCurve:
    """Minimal stand-in for RegretCurve: runs [run_start, run_start + n) of a deterministic task."""

    run_start: int
    regret: np.ndarray

    def save(self, path):
        np.savez(path, run_start=np.int64(self.run_start), regret=self.regret)

    @classmethod
    def load(cls, path):
        with np.load(path, allow_pickle=False) as z:
            return cls(int(z["run_start"]), z["regret"])

    @classmethod
    def concatenate(cls, parts):
        return cls(parts[0].run_start, np.concatenate([p.regret for p in parts]))


def fake_chunk(seed, start, stop):
    """Run i = cumulative sum of N_STEPS uniforms from default_rng([seed, i])."""
    rows = [np.random.default_rng([seed, i]).random(N_STEPS).cumsum() for i in range(start, stop)]
    return FakeCurve(start, np.array(rows))


def dying_chunk(seed, start, stop, die_at):
    """Like fake_chunk, but the worker process dies on the chunk starting at ``die_at``."""
    if start == die_at:
        os._exit(3)
    return fake_chunk(seed, start, stop)


def interrupting_chunk(seed, start, stop, stop_at):
    """Like fake_chunk, but Ctrl-C arrives on the chunk starting at ``stop_at``."""
    if start == stop_at:
        raise KeyboardInterrupt
    return fake_chunk(seed, start, stop)


def slow_chunk(seed, start, stop):
    time.sleep(0.3)
    return fake_chunk(seed, start, stop)


def make_jobs(n_configs, n_runs, chunk_size, *, task=fake_chunk, extra=()):
    jobs = []
    for k in range(n_configs):
        for a, b in _chunk_ranges(n_runs, chunk_size):
            desc = {"config": k, "seed": 100 + k, "run_start": a, "run_stop": b}
            jobs.append(
                _ChunkJob(
                    index=k,
                    start=a,
                    stop=b,
                    task=task,
                    args=(100 + k, a, b) + tuple(extra),
                    digest=_sha256_bytes(json.dumps(desc, sort_keys=True).encode()),
                    description=desc,
                )
            )
    return jobs


def make_store(tmp_path, n_configs, *, resume=True):
    return _ChunkStore(
        tmp_path,
        [f"cfg {k}" for k in range(n_configs)],
        description={"format": "rltheory-experiment", "test": True},
        load=FakeCurve.load,
        check=_check_curve_range,
        resume=resume,
    )


def assemble(jobs, results, n_configs):
    return [
        FakeCurve.concatenate([r for j, r in zip(jobs, results) if j.index == k]).regret for k in range(n_configs)
    ]


def reference(n_configs, n_runs):
    return [fake_chunk(100 + k, 0, n_runs).regret for k in range(n_configs)]


def run(jobs, store=None, executor=None):
    executor = executor or SerialExecutor()
    store is None or store.prepare(jobs)
    return _execute(jobs, executor=executor, store=store, progress=False)


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
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
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
    from tests.experiments.test_runner import make_jobs, make_store, run, slow_chunk
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


def _corrupt(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["corrupt-data", "delete-data", "delete-manifest", "garble-manifest"])
def test_damaged_chunks_are_recomputed(tmp_path, damage):
    jobs = make_jobs(2, 6, 2)
    run(jobs, store=make_store(tmp_path, 2))
    victim = jobs[4]
    data, manifest = make_store(tmp_path, 2).paths(victim)
    if damage == "corrupt-data":
        _corrupt(data)
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


# --------------------------------------------------------------------------- bad results folders


def test_out_dir_that_is_a_file_is_rejected(tmp_path):
    target = tmp_path / "results"
    target.write_text("not a folder")
    with pytest.raises(ValueError, match="is not a folder"):
        run(make_jobs(1, 2, 1), store=make_store(target, 1))


def test_file_where_a_chunk_folder_is_expected_is_rejected(tmp_path):
    jobs = make_jobs(1, 2, 1)
    store = make_store(tmp_path, 1)
    store.config_dir(0).parent.mkdir(parents=True)
    store.config_dir(0).write_text("oops")
    (tmp_path / "experiment.json").write_text(json.dumps({"format": "rltheory-experiment"}))
    with pytest.raises(ValueError, match="should be a folder but is a file"):
        run(jobs, store=store)


def test_folder_where_a_chunk_file_is_expected_is_rejected(tmp_path):
    jobs = make_jobs(1, 2, 1)
    run(jobs, store=make_store(tmp_path, 1))
    data, _ = make_store(tmp_path, 1).paths(jobs[0])
    data.unlink()
    data.mkdir()
    with pytest.raises(ValueError, match="should be a chunk file but is a folder"):
        run(jobs, store=make_store(tmp_path, 1))


def test_foreign_files_with_our_names_are_rejected(tmp_path):
    (tmp_path / "chunks").mkdir()
    with pytest.raises(ValueError, match="not files of an rltheory experiment"):
        run(make_jobs(1, 2, 1), store=make_store(tmp_path, 1))
    other = tmp_path / "other"
    other.mkdir()
    (other / "experiment.json").write_text(json.dumps({"some": "thing else"}))
    with pytest.raises(ValueError, match="not written by rltheory"):
        run(make_jobs(1, 2, 1), store=make_store(other, 1))
    (other / "experiment.json").write_text("\x00garbage")
    with pytest.raises(ValueError, match="not an rltheory experiment marker"):
        run(make_jobs(1, 2, 1), store=make_store(other, 1))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_out_dir_is_rejected(tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="not writable|cannot create"):
            run(make_jobs(1, 2, 1), store=make_store(target, 1))
    finally:
        target.chmod(0o700)


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux sysfs (a folder nobody can write)")
def test_out_dir_that_cannot_be_created_is_rejected():
    with pytest.raises(ValueError, match="cannot create"):
        run(make_jobs(1, 2, 1), store=make_store(Path("/sys/rltheory-no-such/results"), 1))


# --------------------------------------------------------------------------- run_experiment on real simulations

def small_configs():
    from rltheory.bandits import EXP3, KLUCB, UCB1, BernoulliBandit, SequenceBandit

    two = BernoulliBandit([0.6, 0.4])
    seq = SequenceBandit.adversarial(150, 3, seed=5)
    return [
        ExperimentConfig("ucb1", two, UCB1()),
        ExperimentConfig("klucb", two, KLUCB()),
        ExperimentConfig("exp3 on a sequence", seq, EXP3()),
    ]


SIZE = dict(horizon=150, n_runs=7, seed=11, checkpoints=15, progress=False)


def assert_same_curves(a, b):
    assert list(a.curves) == list(b.curves)
    for name in a.curves:
        ca, cb = a.curves[name], b.curves[name]
        for field in ("times", "regret", "realized_regret", "pulls", "mean", "lower", "upper"):
            np.testing.assert_array_equal(getattr(ca, field), getattr(cb, field), err_msg=f"{name}.{field}")
    assert a.summary == b.summary or all(
        # nan != nan: compare field by field treating nan as equal
        np.array_equal(
            np.array(dataclasses.astuple(ra)[2:], dtype=float), np.array(dataclasses.astuple(rb)[2:], dtype=float),
            equal_nan=True,
        )
        for ra, rb in zip(a.summary, b.summary)
    )


@pytest.fixture(scope="module")
def reference_result():
    return run_experiment(small_configs(), chunk_size=7, **SIZE)


def test_single_chunk_equals_one_simulate_call_per_config(reference_result):
    from rltheory.bandits import simulate
    from rltheory.experiments import config_seed

    for k, cfg in enumerate(small_configs()):
        direct = simulate(cfg.bandit, cfg.policy, 150, 7, seed=config_seed(11, k), checkpoints=15)
        np.testing.assert_array_equal(reference_result.curves[cfg.name].regret, direct.regret)


@pytest.mark.parametrize("chunk_size", [1, 3, None])
def test_run_experiment_chunk_size_does_not_change_numbers(reference_result, chunk_size):
    assert_same_curves(run_experiment(small_configs(), chunk_size=chunk_size, **SIZE), reference_result)


def test_run_experiment_process_pool_and_dask_match_in_process(reference_result, tmp_path):
    distributed = pytest.importorskip("distributed")
    with make_executor(workers=2) as ex:
        pooled = run_experiment(small_configs(), chunk_size=2, executor=ex, **SIZE)
    assert_same_curves(pooled, reference_result)
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
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
    bandit = small_configs()[0].bandit
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
    _corrupt(chunks[7])  # one chunk corrupted
    resumed = run_experiment(small_configs(), chunk_size=3, out_dir=tmp_path, resume=True, **SIZE)
    assert resumed.chunks_reused == 7 and resumed.chunks_computed == 2
    assert len(resumed.chunks_rejected) == 2
    assert_same_curves(resumed, reference_result)


def test_run_experiment_does_not_mix_in_chunks_of_another_experiment(tmp_path):
    from rltheory.bandits import MOSS

    run_experiment(small_configs(), chunk_size=3, out_dir=tmp_path, **SIZE)
    other = small_configs()
    other[0] = ExperimentConfig("ucb1", other[0].bandit, MOSS())  # same name and folder, other policy
    resumed = run_experiment(other, chunk_size=3, out_dir=tmp_path, resume=True, **SIZE)
    assert resumed.chunks_reused == 6 and resumed.chunks_computed == 3
    assert all("hash mismatch" in m for m in resumed.chunks_rejected)
    assert_same_curves(resumed, run_experiment(other, chunk_size=7, **SIZE))
    # a different seed shares no chunk
    reseeded = run_experiment(other, chunk_size=3, out_dir=tmp_path, resume=True, **dict(SIZE, seed=12))
    assert reseeded.chunks_reused == 0


def test_run_experiment_rejects_bad_arguments():
    configs = small_configs()
    with pytest.raises(ValueError, match="unique"):
        run_experiment([configs[0], configs[0]], **SIZE)
    with pytest.raises(ValueError, match="resume=True needs out_dir"):
        run_experiment(configs, resume=True, **SIZE)
    with pytest.raises(ValueError, match="chunk_size"):
        run_experiment(configs, chunk_size=0, **SIZE)
    with pytest.raises(ValueError, match="horizon"):
        run_experiment(configs, **dict(SIZE, horizon=0))
    with pytest.raises(ValueError, match="seed"):
        run_experiment(configs, **dict(SIZE, seed=-1))
    with pytest.raises(ValueError, match="configs\\[0\\]"):
        run_experiment([("a", 1, 2)], **SIZE)


def test_folder_where_an_output_file_is_expected_is_rejected_before_any_work(tmp_path):
    (tmp_path / "summary.csv").mkdir()
    (tmp_path / "experiment.json").write_text(json.dumps({"format": "rltheory-experiment"}))
    with pytest.raises(ValueError, match="summary.csv.*should be a file but is a folder"):
        run_experiment(small_configs(), out_dir=tmp_path, **SIZE)
    assert not list(tmp_path.glob("chunks/*/runs-*"))


def test_chunks_of_other_simulation_code_are_recomputed(tmp_path, monkeypatch):
    run_experiment(small_configs(), chunk_size=7, out_dir=tmp_path, **SIZE)
    from rltheory.experiments import _runner

    original = _runner._engine_fingerprint
    monkeypatch.setattr(_runner, "_engine_fingerprint", lambda: dict(original(), numpy="0.0-other"))
    resumed = run_experiment(small_configs(), chunk_size=7, out_dir=tmp_path, resume=True, **SIZE)
    assert resumed.chunks_reused == 0 and len(resumed.chunks_rejected) == 3


# --------------------------------------------------------------------------- linear problems: the same runner


def linear_configs():
    from rltheory.linear import LMCLSVI, LSVIUCB, LinearBandit, LinearMDP, LinTS, LinUCB

    bandit = LinearBandit.random(3, 8, noise_sigma=0.5, rng=1)
    mdp = LinearMDP.random(5, 2, 3, horizon=3, rng=2)
    return [
        ExperimentConfig("linucb", bandit, LinUCB()),
        ExperimentConfig("lints", bandit, LinTS()),
        ExperimentConfig("lsvi-ucb", mdp, LSVIUCB(beta=0.5)),
        ExperimentConfig("lmc-lsvi", mdp, LMCLSVI(inverse_temperature=10.0, n_langevin_steps=5)),
    ]


LINEAR_SIZE = dict(horizon=60, n_runs=5, seed=4, checkpoints=6, progress=False)


@pytest.fixture(scope="module")
def linear_reference():
    return run_experiment(linear_configs(), chunk_size=5, **LINEAR_SIZE)


def test_linear_single_chunk_equals_one_direct_simulator_call(linear_reference):
    # the runner dispatches on the problem type: LinearBandit -> simulate_linear, LinearMDP -> simulate_linear_mdp
    from rltheory.experiments import config_seed
    from rltheory.linear import LinearBandit, simulate_linear, simulate_linear_mdp

    for k, cfg in enumerate(linear_configs()):
        run = simulate_linear if isinstance(cfg.bandit, LinearBandit) else simulate_linear_mdp
        direct = run(cfg.bandit, cfg.policy, 60, 5, seed=config_seed(4, k), checkpoints=6)
        np.testing.assert_array_equal(linear_reference.curves[cfg.name].regret, direct.regret)
        np.testing.assert_array_equal(linear_reference.curves[cfg.name].pulls, direct.pulls)


def test_linear_configs_process_pool_and_chunking_are_bit_identical(linear_reference):
    # run i depends only on (seed, i) in simulate_linear and in lsvi_ucb / lmc_lsvi (run_start semantics)
    with make_executor(workers=2) as ex:
        pooled = run_experiment(linear_configs(), chunk_size=2, executor=ex, **LINEAR_SIZE)
    assert_same_curves(pooled, linear_reference)
    assert_same_curves(run_experiment(linear_configs(), chunk_size=1, **LINEAR_SIZE), linear_reference)


def test_linear_summary_has_no_lai_robbins_ratio(linear_reference):
    assert [row.policy for row in linear_reference.summary] == ["LinUCB", "LinTS", "LSVI-UCB", "LMC-LSVI"]
    assert all(np.isnan(row.lai_robbins_ratio) for row in linear_reference.summary)
    for line in linear_reference.format_summary().splitlines()[1:]:
        assert line.split()[-1] == "-"


def test_linear_resume_after_deleting_a_chunk(tmp_path, linear_reference):
    first = run_experiment(linear_configs(), chunk_size=2, out_dir=tmp_path, **LINEAR_SIZE)
    assert_same_curves(first, linear_reference)
    chunks = sorted(tmp_path.glob("chunks/*/runs-*.npz"))
    assert len(chunks) == 4 * 3
    chunks[7].unlink()
    resumed = run_experiment(linear_configs(), chunk_size=2, out_dir=tmp_path, resume=True, **LINEAR_SIZE)
    assert resumed.chunks_reused == 11 and resumed.chunks_computed == 1 and len(resumed.chunks_rejected) == 1
    assert_same_curves(resumed, linear_reference)


def test_linear_chunk_hash_covers_the_instance_and_the_linear_sources(tmp_path, monkeypatch):
    from rltheory.bandits import UCB1, BernoulliBandit
    from rltheory.experiments import _runner
    from rltheory.linear import LinearBandit

    configs = [ExperimentConfig("ucb1", BernoulliBandit([0.6, 0.4]), UCB1())] + linear_configs()[:1]
    run_experiment(configs, chunk_size=5, out_dir=tmp_path, **LINEAR_SIZE)
    # same name and sizes, theta moved by one ulp-ish amount: the instance's arrays are in the hash
    bandit = configs[1].bandit
    moved = LinearBandit(bandit.arms[0], bandit.theta * (1 + 1e-15), bandit.noise_sigma)
    other = configs[:1] + [ExperimentConfig("linucb", moved, configs[1].policy)]
    res = run_experiment(other, chunk_size=5, out_dir=tmp_path, resume=True, **LINEAR_SIZE)
    assert res.chunks_reused == 1 and "hash mismatch" in res.chunks_rejected[0]
    # edited linear code: the linear chunk is recomputed, the bandit chunk is not
    monkeypatch.setattr(_runner, "_linear_source_digest", lambda: "0" * 64)
    res = run_experiment(other, chunk_size=5, out_dir=tmp_path, resume=True, **LINEAR_SIZE)
    assert res.chunks_reused == 1 and res.chunks_computed == 1


def test_policy_that_the_problem_simulator_rejects_is_refused_up_front():
    from rltheory.bandits import UCB1, BernoulliBandit
    from rltheory.linear import LSVIUCB, LinUCB

    bandit, mdp = linear_configs()[0].bandit, linear_configs()[2].bandit
    with pytest.raises(ValueError, match="LinearBandit needs a policy among LinUCB"):
        ExperimentConfig("x", bandit, LSVIUCB())
    with pytest.raises(ValueError, match="LinearMDP needs a policy among LSVIUCB, LMCLSVI"):
        ExperimentConfig("x", mdp, LinUCB())
    with pytest.raises(ValueError, match="UCB1"):
        ExperimentConfig("x", mdp, UCB1())
    with pytest.raises(ValueError, match="not on a BernoulliBandit"):
        ExperimentConfig("x", BernoulliBandit([0.5, 0.4]), LinUCB())
