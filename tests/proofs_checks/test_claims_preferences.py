"""The preference claims can fail: a wrong answer from the code they check is caught."""

from dataclasses import replace

import numpy as np

import rltheory.bandits
from rltheory.proofs_checks import run_claims


def test_dpo_claim_detects_a_wrong_minimizer(monkeypatch):
    true = rltheory.bandits.dpo

    def biased(problem, *args, **kwargs):
        res = true(problem, *args, **kwargs)
        pi = 0.99 * np.asarray(res.action_probabilities) + 0.01 * np.asarray(problem.reference)
        return replace(res, action_probabilities=pi)

    monkeypatch.setattr(rltheory.bandits, "dpo", biased)
    (r,) = run_claims("dpo.population-minimizer", examples=10)
    assert not r.passed and r.counterexample is not None and r.worst_slack < 0


def test_best_of_n_claim_detects_a_kl_above_the_formula(monkeypatch):
    true = rltheory.bandits.best_of_n

    def inflated(*args, **kwargs):
        res = true(*args, **kwargs)
        return replace(res, kl=res.kl_formula + 0.01)

    monkeypatch.setattr(rltheory.bandits, "best_of_n", inflated)
    (r,) = run_claims("best-of-n.kl-upper-bound", examples=10)
    assert not r.passed and r.worst_slack < 0


def test_coverage_claim_detects_a_too_narrow_confidence_sequence(monkeypatch):
    # a quarter of the radius (no union bound over time and pairs) misses far more often than delta
    from rltheory.proofs_checks import _claims_preferences as cp

    true = cp._coverage_level
    monkeypatch.setattr(cp, "_coverage_level", lambda n, pairs, delta: 0.25 * true(n, pairs, delta))
    (r,) = run_claims("dueling.maxminlcb.coverage", examples=10)
    assert not r.passed and r.worst_slack < 0
