"""Tests of rltheory.experiments._dispatch: one chunk of runs through the one simulate.

Asserted: a chunk through the runner equals one direct call of
:func:`rltheory.simulation.simulate` bit for bit (for every problem kind); the
chunk hash covers the instance and the sources of the agent's kernel; a
pairing the problem's kind rejects is refused up front; a problem that
travelled to a worker process (pickled, so with writable arrays) gives the
kernel the same Numba types as in the driver, so a worker loads the kernels a
serial run cached.
"""

import pickle

import numpy as np
import pytest

from rltheory.experiments import ExperimentConfig, make_executor, run_experiment
from rltheory.experiments._dispatch import check_pairing, problem_kind, simulate_chunk
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


LINEAR_SIZE = dict(budget=60, n_runs=5, seed=4, checkpoints=6, progress=False)


@pytest.fixture(scope="module")
def linear_reference():
    return run_experiment(linear_configs(), chunk_size=5, **LINEAR_SIZE)


def test_linear_single_chunk_equals_one_direct_simulator_call(linear_reference):
    # the runner calls the one simulate with the budget keyword of the problem's kind
    from rltheory.experiments import config_seed
    from rltheory.linear import LinearBandit
    from rltheory.simulation import simulate

    for k, cfg in enumerate(linear_configs()):
        budget = {"n_rounds": 60} if isinstance(cfg.problem, LinearBandit) else {"n_episodes": 60}
        direct = simulate(cfg.problem, cfg.agent, **budget, n_runs=5, seed=config_seed(4, k), checkpoints=6)
        np.testing.assert_array_equal(linear_reference.curves[cfg.name].regret, direct.regret)
        np.testing.assert_array_equal(linear_reference.curves[cfg.name].pulls, direct.pulls)


def test_linear_configs_process_pool_and_chunking_are_bit_identical(linear_reference):
    # run i depends only on (seed, i) (run_start semantics of simulate)
    with make_executor(workers=2) as ex:
        pooled = run_experiment(linear_configs(), chunk_size=2, executor=ex, **LINEAR_SIZE)
    assert_same_curves(pooled, linear_reference)
    assert_same_curves(run_experiment(linear_configs(), chunk_size=1, **LINEAR_SIZE), linear_reference)


def test_linear_summary_has_no_lai_robbins_ratio(linear_reference):
    assert [row.agent for row in linear_reference.summary] == ["LinUCB", "LinTS", "LSVI-UCB", "LMC-LSVI"]
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


def test_linear_chunk_hash_covers_the_instance_and_the_kernel_sources(tmp_path, monkeypatch):
    from rltheory.bandits import UCB1, BernoulliBandit
    from rltheory.experiments import _dispatch, _runner
    from rltheory.linear import LinearBandit

    configs = [ExperimentConfig("ucb1", BernoulliBandit([0.6, 0.4]), UCB1())] + linear_configs()[:1]
    run_experiment(configs, chunk_size=5, out_dir=tmp_path, **LINEAR_SIZE)
    # same name and sizes, theta moved by one ulp-ish amount: the instance's arrays are in the hash
    bandit = configs[1].problem
    moved = LinearBandit(bandit.arms[0], bandit.theta * (1 + 1e-15), bandit.noise_sigma)
    other = configs[:1] + [ExperimentConfig("linucb", moved, configs[1].agent)]
    # the folder refuses it as another experiment, and the chunk hashes differ for that configuration only
    with pytest.raises(ValueError, match=r"configuration\(s\) \['linucb'\] have another problem or agent"):
        run_experiment(other, chunk_size=5, out_dir=tmp_path, resume=True, **LINEAR_SIZE)
    plan = dict(budget=60, n_runs=5, seed=4, checkpoints=6, chunk_size=5)
    before, after = _runner._plan(configs, **plan), _runner._plan(other, **plan)
    assert before[0].digest == after[0].digest and before[1].digest != after[1].digest
    # edited kernel sources of the linear agent: its chunk is recomputed, the bandit chunk is not
    real = _dispatch.engine_fingerprint

    def edited(problem, agent):
        fp = real(problem, agent)
        return dict(fp, source_sha256="0" * 64) if fp["kind"] == "linear-bandit" else fp

    monkeypatch.setattr(_dispatch, "engine_fingerprint", edited)
    res = run_experiment(configs, chunk_size=5, out_dir=tmp_path, resume=True, **LINEAR_SIZE)
    assert res.chunks_reused == 1 and res.chunks_computed == 1 and "hash mismatch" in res.chunks_rejected[0]


def test_agent_that_the_problem_kind_rejects_is_refused_up_front():
    from rltheory.bandits import UCB1, BernoulliBandit
    from rltheory.linear import LSVIUCB, LinUCB

    bandit, mdp = linear_configs()[0].problem, linear_configs()[2].problem
    with pytest.raises(
        ValueError,
        match="'x': LSVIUCB is an agent of the episodic kind; a problem of the "
        "linear-bandit kind needs a LinearBanditAgent",
    ):
        ExperimentConfig("x", bandit, LSVIUCB())
    with pytest.raises(ValueError, match="LinUCB is an agent of the linear-bandit kind; a problem of the episodic"):
        ExperimentConfig("x", mdp, LinUCB())
    with pytest.raises(ValueError, match="UCB1"):
        ExperimentConfig("x", mdp, UCB1())
    with pytest.raises(ValueError, match="a problem of the bandit kind needs a BanditAgent"):
        ExperimentConfig("x", BernoulliBandit([0.5, 0.4]), LinUCB())


def test_a_pickled_problem_reaches_the_kernel_with_the_drivers_numba_types():
    # Unpickling makes read-only arrays writable, and Numba's array type includes the flag: simulate passes the
    # problem's arrays and the agent's parameters read-only, so a worker loads the serial run's cached kernel.
    import numba

    from rltheory.experiments._catalogue import CATALOGUE
    from rltheory.simulation import kind_of
    from rltheory.simulation._simulate import _read_only

    for rep in CATALOGUE.values():
        for cfg in rep.configs(50):
            travelled_problem = pickle.loads(pickle.dumps(cfg.problem))
            travelled_agent = pickle.loads(pickle.dumps(cfg.agent))
            kind = kind_of(cfg.problem)
            here = _read_only(kind.prepare(cfg.problem, cfg.agent, 50).arrays)
            there = _read_only(kind.prepare(travelled_problem, travelled_agent, 50).arrays)
            assert numba.typeof(here) == numba.typeof(there), (rep.name, cfg.name)
            p_here = _read_only(cfg.agent.compiled_params(cfg.problem, 50))
            p_there = _read_only(travelled_agent.compiled_params(travelled_problem, 50))
            assert numba.typeof(p_here) == numba.typeof(p_there), (rep.name, cfg.name)


def test_simulate_chunk_in_a_worker_equals_in_process():
    from rltheory.bandits import KLUCB, BernoulliBandit

    bandit, agent = BernoulliBandit([0.7, 0.5]), KLUCB()
    here = simulate_chunk(bandit, agent, 120, 3, 4, 9, 8)
    with make_executor(workers=2) as ex:
        there = ex.submit(simulate_chunk, bandit, agent, 120, 3, 4, 9, 8).result()
    np.testing.assert_array_equal(here.regret, there.regret)
    assert here.run_start == there.run_start == 4


def test_problem_kind_and_pairing_of_bandits():
    from rltheory.bandits import UCB1, BernoulliBandit

    bandit = BernoulliBandit([0.5, 0.4])
    assert problem_kind(bandit) == "bandit"
    assert check_pairing("x", bandit, UCB1()) is None
