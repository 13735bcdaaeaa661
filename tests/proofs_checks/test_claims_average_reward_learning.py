"""The average-reward learning claims detect what they claim to detect (mutations), and the optimism harness steps
UCRL2 exactly as the continuing driver does."""

import numpy as np
import pytest

import rltheory.proofs_checks._ucrl2_optimism as harness
from rltheory.proofs_checks import get_claim
from rltheory.proofs_checks._claims_average_reward_learning import _brute_force_diameter, _optimism_instances


def test_the_optimism_check_fails_on_a_violated_implication_or_too_many_failed_runs(monkeypatch):
    col = {name: k for k, name in enumerate(harness.RUN_FIELDS)}

    def fake(violations=0, failed_runs=0):
        def runs(problem, agent, n_rounds, n_runs, seed, tol=1e-9):
            out = np.zeros((n_runs, len(harness.RUN_FIELDS)))
            out[:, col["episodes"]] = out[:, col["episodes_in_set"]] = 10
            out[:, col["min_relative_margin"]] = 0.5
            out[0, col["implication_violations"]] = violations
            out[:failed_runs, col["episodes_optimism_failed"]] = 1
            out[:failed_runs, col["episodes_in_set"]] = 9
            return out

        return runs

    c = get_claim("average-reward.ucrl2.evi-optimism")
    monkeypatch.setattr(harness, "optimism_runs", fake())
    assert c.run().passed
    monkeypatch.setattr(harness, "optimism_runs", fake(violations=1))
    assert not c.run().passed
    monkeypatch.setattr(harness, "optimism_runs", fake(failed_runs=15))  # 15/50: CP lower end ~0.18 > delta = 0.1
    r = c.run()
    assert not r.passed and r.worst_slack < 0


def test_the_regret_bound_check_fails_when_the_bound_is_too_small(monkeypatch):
    import rltheory.tabular as T

    real = T.ucrl2_regret_bound
    monkeypatch.setattr(T, "ucrl2_regret_bound", lambda *a, **k: real(*a, **k) * 1e-4)
    r = get_claim("average-reward.ucrl2.regret-bound").run(examples=10)
    assert not r.passed and r.counterexample is not None


def test_harness_audits_the_episodes_of_the_driver():
    label, problem = _optimism_instances()[0]
    from rltheory.tabular import UCRL2

    out = harness.optimism_runs(problem, UCRL2(delta=0.1), 3000, 3, seed=1)
    col = {name: k for k, name in enumerate(harness.RUN_FIELDS)}
    assert (out[:, col["episodes"]] > 5).all() and (out[:, col["implication_violations"]] == 0).all()
    assert (out[:, col["episodes_in_set"]] <= out[:, col["episodes"]]).all()
    # the same runs as the driver: the number of episodes is that of the agent's own state after stepping
    from tests.tabular._helpers import step_continuing_agent

    infos = []
    step_continuing_agent(problem, UCRL2(delta=0.1), 3000, seed=1, run=0, watch=lambda t, s: infos.append(s[-1][1]))
    assert infos[-1] == out[0, col["episodes"]]


@pytest.mark.parametrize("S", [2, 3, 5])
def test_brute_force_diameter_of_a_cycle(S):
    from rltheory.tabular import FiniteMDP

    P = np.zeros((S, 1, S))
    for s in range(S):
        P[s, 0, (s + 1) % S] = 1.0
    assert _brute_force_diameter(FiniteMDP(P, np.zeros((S, 1)), gamma=1.0)) == S - 1
