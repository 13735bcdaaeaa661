"""The linear claims are registered, cite their sources, and pass (fast budgets; the full budgets are @slow)."""

import pytest

from rltheory.proofs_checks import get_claim, list_claims, run_claims

FAST = [
    "linear.td.tsitsiklis-van-roy",
    "linear.design.kiefer-wolfowitz",
    "linear.fqi.geometric-decay",
    "linear.oful.coverage",
    "linear.td.baird",
    "linear.linucb.regret-slope",
    "linear.lsvi-ucb.regret-slope",
]
SLOW = ["linear.misspecified.sparsity"]


def test_registered_with_sources():
    ids = {c.id for c in list_claims(tag="linear")}
    assert set(FAST + SLOW) <= ids
    for i in FAST + SLOW:
        c = get_claim(i)
        assert c.source and c.statement
        if c.kind == "rate":
            assert c.claimed_exponent is not None and c.published_form


@pytest.mark.parametrize("claim_id", FAST)
def test_fast_claims_pass(claim_id):
    (result,) = run_claims(claim_id, examples=12)
    assert result.passed, result.message


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", FAST + SLOW)
def test_claims_pass_at_default_budget(claim_id):
    (result,) = run_claims(claim_id, examples=100)
    assert result.passed, result.message
