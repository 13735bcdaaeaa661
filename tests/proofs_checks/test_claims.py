"""Every registered claim passes at a fast setting (the default run); heavier settings are slow."""

import numpy as np
import pytest

from rltheory.proofs_checks import get_claim, list_claims, run_claims

FAST = {c.id for c in list_claims(tag="fast")}


@pytest.mark.parametrize("claim_id", sorted(FAST))
def test_claim_passes_fast(claim_id):
    (r,) = run_claims(claim_id, examples=25)
    assert r.passed, f"{claim_id}: {r.message}\n{r.counterexample.text if r.counterexample else ''}"
    c = get_claim(claim_id)
    if c.kind == "counterexample":
        assert r.counterexample is not None and r.counterexample.slack < 0
    else:
        assert r.counterexample is None and r.worst_slack >= 0
    assert r.n_instances >= 1
    if c.kind == "rate":
        lo, hi = r.exponent_ci
        assert lo <= r.fitted_exponent <= hi and r.claimed_exponent == c.claimed_exponent


def test_pi_claim_reports_iterations():
    (r,) = run_claims("pi.monotone-termination", examples=40)
    assert "iterations min" in r.message


def test_concentration_detects_a_wrong_radius(monkeypatch):
    # halving Hoeffding's radius makes the inequality false for Bernoulli(0.5), n = 100, delta = 0.25
    from rltheory.proofs_checks import _claims_concentration as cc

    monkeypatch.setattr(cc, "hoeffding_radius", lambda n, delta: 0.25 * np.sqrt(np.log(1 / delta) / (2 * n)))
    (r,) = run_claims("concentration.hoeffding", examples=20)
    assert not r.passed and r.counterexample.slack < 0
    assert get_claim("concentration.hoeffding").evaluate(r.counterexample.instance) < 0


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", sorted(FAST))
def test_claim_passes_thorough(claim_id):
    (r,) = run_claims(claim_id, examples=500, seed=12345)
    assert r.passed, r.message
