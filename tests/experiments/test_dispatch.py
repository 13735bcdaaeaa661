"""Tests of rltheory.experiments._dispatch: one chunk of runs of the simulator of the problem's type.

Asserted: a chunk through the runner equals one direct call of the problem's
own simulator bit for bit (LinearBandit -> simulate_linear, LinearMDP ->
simulate_linear_mdp); the chunk hash covers the instance and the simulation
sources; a pairing the simulator rejects is refused up front; a problem that
travelled to a worker process (pickled) reaches the kernel with the same Numba
types as in the driver, so a worker loads the kernels a serial run cached.
"""

import dataclasses
import pickle

import numpy as np
import pytest

from rltheory.experiments import ExperimentConfig, make_executor, run_experiment
from rltheory.experiments._dispatch import _as_constructed, check_pairing, problem_kind, simulate_chunk
from tests.experiments._helpers import assert_same_curves


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
    from rltheory.experiments import _dispatch, _runner
    from rltheory.linear import LinearBandit

    configs = [ExperimentConfig("ucb1", BernoulliBandit([0.6, 0.4]), UCB1())] + linear_configs()[:1]
    run_experiment(configs, chunk_size=5, out_dir=tmp_path, **LINEAR_SIZE)
    # same name and sizes, theta moved by one ulp-ish amount: the instance's arrays are in the hash
    bandit = configs[1].bandit
    moved = LinearBandit(bandit.arms[0], bandit.theta * (1 + 1e-15), bandit.noise_sigma)
    other = configs[:1] + [ExperimentConfig("linucb", moved, configs[1].policy)]
    # the folder refuses it as another experiment, and the chunk hashes differ for that configuration only
    with pytest.raises(ValueError, match=r"configuration\(s\) \['linucb'\] have another problem or policy"):
        run_experiment(other, chunk_size=5, out_dir=tmp_path, resume=True, **LINEAR_SIZE)
    plan = dict(horizon=60, n_runs=5, seed=4, checkpoints=6, chunk_size=5)
    before, after = _runner._plan(configs, **plan), _runner._plan(other, **plan)
    assert before[0].digest == after[0].digest and before[1].digest != after[1].digest
    # edited linear code: the linear chunk is recomputed, the bandit chunk is not
    monkeypatch.setattr(_dispatch, "_linear_source_digest", lambda: "0" * 64)
    res = run_experiment(configs, chunk_size=5, out_dir=tmp_path, resume=True, **LINEAR_SIZE)
    assert res.chunks_reused == 1 and res.chunks_computed == 1 and "hash mismatch" in res.chunks_rejected[0]


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


def _arrays(obj, path="obj"):
    if isinstance(obj, np.ndarray):
        yield path, obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _arrays(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, (tuple, list)):
        for i, v in enumerate(obj):
            yield from _arrays(v, f"{path}[{i}]")


def test_a_pickled_problem_reaches_the_kernel_with_the_drivers_numba_types():
    # Unpickling makes read-only arrays writable, and Numba's array type includes the flag: without
    # _as_constructed a worker would compile every kernel again instead of loading the serial run's cache.
    import numba

    from rltheory.experiments._catalogue import CATALOGUE

    for rep in CATALOGUE.values():
        for cfg in rep.configs(50):
            for obj in (cfg.bandit, cfg.policy):
                travelled = pickle.loads(pickle.dumps(obj))
                rebuilt = _as_constructed(travelled)
                for (where, a), (_, b) in zip(_arrays(obj), _arrays(rebuilt)):
                    assert numba.typeof(a) == numba.typeof(b), (rep.name, cfg.name, where)
                if any(not a.flags.writeable for _, a in _arrays(obj)):
                    # the mechanism is needed: pickling alone does change the types
                    assert any(b.flags.writeable for _, b in _arrays(travelled))


def test_simulate_chunk_in_a_worker_equals_in_process():
    from rltheory.bandits import BernoulliBandit, KLUCB

    bandit, policy = BernoulliBandit([0.7, 0.5]), KLUCB()
    here = simulate_chunk(bandit, policy, 120, 3, 4, 9, 8)
    with make_executor(workers=2) as ex:
        there = ex.submit(simulate_chunk, bandit, policy, 120, 3, 4, 9, 8).result()
    np.testing.assert_array_equal(here.regret, there.regret)
    assert here.run_start == there.run_start == 4


def test_problem_kind_and_pairing_of_bandits():
    from rltheory.bandits import BernoulliBandit, UCB1

    bandit = BernoulliBandit([0.5, 0.4])
    assert problem_kind(bandit) == "bandit"
    assert check_pairing("x", bandit, UCB1()) is None
