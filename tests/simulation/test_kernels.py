"""Kernel generation: one kernel per agent class, cached on disk across processes, logged while compiling."""

import dataclasses
import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
from numba import njit

from rltheory.bandits import BanditAgent, BernoulliBandit
from rltheory.simulation import simulate
from rltheory.simulation._kernels import _KERNELS

_SCRIPT = textwrap.dedent(
    """
    import logging, sys, warnings
    warnings.simplefilter("error")  # an uncacheable kernel warns: fail instead
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s: %(message)s")
    from rltheory.bandits import BernoulliBandit, MOSS
    from rltheory.simulation import simulate
    from rltheory.simulation._kernels import _KERNELS
    curve = simulate(BernoulliBandit([0.6, 0.5]), MOSS(), n_rounds=50, n_runs=2, seed=1, checkpoints=2)
    (kernel, cached), = _KERNELS.values()
    print("cached", cached, "hits", sum(kernel.stats.cache_hits.values()), "final", curve.final.tolist())
    """
)


def test_builtin_kernel_is_cached_on_disk_and_reused_by_a_new_process(tmp_path):
    env = {**os.environ, "RLTHEORY_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, check=True)
    assert "rltheory.compile: compiling the bandit kernel of MOSS" in first.stdout
    assert "cached True hits 0" in first.stdout
    assert "compiling" not in second.stdout
    assert "cached True hits 1" in second.stdout
    assert first.stdout.splitlines()[-1].split("final")[1] == second.stdout.splitlines()[-1].split("final")[1]
    generated = list((tmp_path / "generated").glob("moss_*.py"))
    assert len(generated) == 1 and "import rltheory.bandits._policies as" in generated[0].read_text()


def test_agent_defined_in_a_function_runs_uncached_and_says_so(caplog):
    @njit
    def init(params, n_arms):
        return np.zeros((1, n_arms))

    @njit
    def select(params, state, t, rng):
        return 0

    @njit
    def update(params, state, t, arm, reward, rng):
        state[0, arm] += reward

    @dataclasses.dataclass(frozen=True)
    class AlwaysFirst(BanditAgent):
        name = "TestAlwaysFirstLocal"

    AlwaysFirst.init, AlwaysFirst.select, AlwaysFirst.update = (
        staticmethod(init),
        staticmethod(select),
        staticmethod(update),
    )
    with caplog.at_level(logging.INFO, logger="rltheory.compile"):
        curve = simulate(BernoulliBandit([0.2, 0.9]), AlwaysFirst(), n_rounds=10, n_runs=1, checkpoints=1)
    np.testing.assert_allclose(curve.final, [10 * (0.9 - 0.2)], rtol=1e-15)  # 10 pulls of the worse arm
    assert "not cached: its functions cannot be re-imported" in caplog.text
    assert _KERNELS[(AlwaysFirst, next(k[1] for k in _KERNELS if k[0] is AlwaysFirst))][1] is False
