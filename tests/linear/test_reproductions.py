"""Linear reproductions: chunking/executor invariance, configuration grid, errors."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rltheory.linear import LINEAR_REPRODUCTIONS, run_linear_reproduction


@pytest.mark.parametrize("name", sorted(LINEAR_REPRODUCTIONS))
def test_chunking_and_executor_do_not_change_the_curves(name):
    one = run_linear_reproduction(name, horizon=60, n_runs=4, seed=3, checkpoints=5)
    with ThreadPoolExecutor(2) as ex:
        split = run_linear_reproduction(name, horizon=60, n_runs=4, seed=3, checkpoints=5, executor=ex, chunk_size=1)
    assert one.labels == split.labels
    for a, b in zip(one.curves, split.curves):
        assert np.array_equal(a.regret, b.regret)
        assert np.array_equal(a.pulls, b.pulls)


def test_linear_bandit_grid_and_regret_growth_in_d():
    res = run_linear_reproduction("linear-bandit", horizon=3_000, n_runs=4, checkpoints=10)
    assert len(res.curves) == 6 and res.labels[0] == "LinUCB d=5 K=50"
    finals = np.array([c.mean[-1] for c in res.curves[:3]])
    assert finals[0] < finals[1] < finals[2]  # d = 5, 10, 20: regret grows with d
    assert (res.slopes < 1.0).all()


def test_errors():
    with pytest.raises(ValueError, match="unknown linear reproduction"):
        run_linear_reproduction("nope")
    with pytest.raises(ValueError, match="chunk_size"):
        run_linear_reproduction("linear-mdp", horizon=5, n_runs=2, chunk_size=0)
