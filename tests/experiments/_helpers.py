"""Shared helpers of the experiments tests: a small deterministic chunk task and its store.

The task's run i depends only on (seed, i), exactly the property the runner
relies on from the simulators, so the chunk machinery can be exercised without
compiling a kernel.
"""

import dataclasses
import json
import os
import time

import numpy as np

from rltheory.experiments import SerialExecutor
from rltheory.experiments._atomic import sha256_bytes
from rltheory.experiments._runner import _chunk_ranges, _ChunkJob, _execute
from rltheory.experiments._store import ChunkStore, check_curve_range

N_STEPS = 6

#: The description of the fake experiment (what experiment.json holds).
DESCRIPTION = {"format": "rltheory-experiment", "test": True}


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
                    digest=sha256_bytes(json.dumps(desc, sort_keys=True).encode()),
                    description=desc,
                )
            )
    return jobs


def make_store(tmp_path, n_configs, *, resume=True, overwrite=False, description=DESCRIPTION, extra_files=()):
    return ChunkStore(
        tmp_path,
        [f"cfg {k}" for k in range(n_configs)],
        description=description,
        load=FakeCurve.load,
        check=check_curve_range,
        resume=resume,
        overwrite=overwrite,
        extra_files=extra_files,
    )


def assemble(jobs, results, n_configs):
    return [FakeCurve.concatenate([r for j, r in zip(jobs, results) if j.index == k]).regret for k in range(n_configs)]


def reference(n_configs, n_runs):
    return [fake_chunk(100 + k, 0, n_runs).regret for k in range(n_configs)]


def run(jobs, store=None, executor=None):
    executor = executor or SerialExecutor()
    store is None or store.prepare(jobs)
    return _execute(jobs, executor=executor, store=store, progress=False)


def corrupt(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def small_configs():
    from rltheory.bandits import EXP3, KLUCB, UCB1, BernoulliBandit, SequenceBandit
    from rltheory.experiments import ExperimentConfig

    two = BernoulliBandit([0.6, 0.4])
    seq = SequenceBandit.adversarial(150, 3, rng=5)
    return [
        ExperimentConfig("ucb1", two, UCB1()),
        ExperimentConfig("klucb", two, KLUCB()),
        ExperimentConfig("exp3 on a sequence", seq, EXP3()),
    ]


#: Sizes of the real-simulation experiments of the tests.
SIZE = dict(budget=150, n_runs=7, seed=11, checkpoints=15, progress=False)


def assert_same_curves(a, b):
    assert list(a.curves) == list(b.curves)
    for name in a.curves:
        ca, cb = a.curves[name], b.curves[name]
        for field in ("times", "regret", "realized_regret", "pulls", "mean", "lower", "upper"):
            np.testing.assert_array_equal(getattr(ca, field), getattr(cb, field), err_msg=f"{name}.{field}")
    assert a.summary == b.summary or all(
        # nan != nan: compare field by field treating nan as equal
        np.array_equal(
            np.array(dataclasses.astuple(ra)[2:], dtype=float),
            np.array(dataclasses.astuple(rb)[2:], dtype=float),
            equal_nan=True,
        )
        for ra, rb in zip(a.summary, b.summary)
    )


def file_set(root):
    """Relative paths of every file under ``root``, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def compile_generated_kernel(name):
    """Write a module ``name`` with one jitted function into the generated-kernel folder, import it, call it."""
    import importlib

    from rltheory._numba_cache import generated_dir

    gen = generated_dir()
    gen.mkdir(parents=True, exist_ok=True)
    path = gen / f"{name}.py"
    path.write_text("from numba import njit\n@njit\ndef f(x):\n    return x + 1\n")
    import sys

    sys.path.insert(0, str(gen))
    try:
        return importlib.import_module(name).f(1)
    finally:
        sys.path.remove(str(gen))
        path.unlink()
