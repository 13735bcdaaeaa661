"""Every registered claim passes at `rltheory check`'s default settings; each claim runs once here.

The default run checks every claim exactly as ``rltheory check`` does (same entry point, same
defaults: :data:`~rltheory.proofs_checks._registry.DEFAULT_EXAMPLES`, derandomized seed), so a claim
that fails at the CLI default fails this suite. Claims tagged ``slow`` (their default effort takes
minutes) run at the default effort under ``@pytest.mark.slow`` and, by default, at a reduced effort
that their check documents (still the full check, on a smaller grid).
"""

import argparse
import inspect

import numpy as np
import pytest

from rltheory.proofs_checks import get_claim, list_claims, run_claims
from rltheory.proofs_checks._cli import add_check_command
from rltheory.proofs_checks._registry import DEFAULT_EXAMPLES

ALL = [c.id for c in list_claims()]
SLOW = {c.id for c in list_claims(tag="slow")}
REDUCED_EFFORT = 10

#: claim-specific facts the check's message must report
EXTRA = {"pi.monotone-termination": lambda r: "iterations min" in r.message}


def _assert_sound(r):
    c = get_claim(r.claim_id)
    assert r.passed, f"{r.claim_id}: {r.message}\n{r.counterexample.text if r.counterexample else ''}"
    assert r.worst_slack >= 0 and (r.relative_slack is None or r.relative_slack >= 0)
    if c.kind == "counterexample":  # the witness refutes the statement the claim says can fail
        assert r.counterexample is not None and r.counterexample.slack < 0
    else:
        assert r.counterexample is None
    assert r.n_instances >= 1 and r.message
    if c.kind == "rate":
        lo, hi = r.exponent_ci
        assert lo <= r.fitted_exponent <= hi and r.claimed_exponent == c.claimed_exponent
    assert EXTRA.get(r.claim_id, lambda r: True)(r)


def test_cli_and_library_defaults_are_the_same():
    parser = argparse.ArgumentParser()
    add_check_command(parser.add_subparsers())
    args = parser.parse_args(["check"])
    params = inspect.signature(run_claims).parameters
    assert args.examples == params["examples"].default == DEFAULT_EXAMPLES
    assert args.seed is None and params["seed"].default is None


@pytest.mark.parametrize("claim_id", [i for i in ALL if i not in SLOW])
def test_claim_passes_at_cli_default(claim_id):
    (r,) = run_claims(claim_id)  # exactly what `rltheory check` runs
    _assert_sound(r)


@pytest.mark.parametrize("claim_id", sorted(SLOW))
def test_slow_claim_passes_at_reduced_effort(claim_id):
    (r,) = run_claims(claim_id, examples=REDUCED_EFFORT)
    _assert_sound(r)


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", sorted(SLOW))
def test_slow_claim_passes_at_cli_default(claim_id):
    (r,) = run_claims(claim_id)
    _assert_sound(r)


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", ALL)
def test_claim_passes_thorough(claim_id):
    (r,) = run_claims(claim_id, examples=5 * DEFAULT_EXAMPLES, seed=12345)
    assert r.passed, r.message


def test_concentration_detects_a_wrong_radius(monkeypatch):
    # halving Hoeffding's radius makes the inequality false for Bernoulli(0.5), n = 100, delta = 0.25
    from rltheory.proofs_checks import _claims_concentration as cc

    monkeypatch.setattr(cc, "hoeffding_radius", lambda n, delta: 0.25 * np.sqrt(np.log(1 / delta) / (2 * n)))
    (r,) = run_claims("concentration.hoeffding", examples=20)
    assert not r.passed and r.counterexample.slack < 0 and r.worst_slack < 0
    assert get_claim("concentration.hoeffding").evaluate(r.counterexample.instance) < 0
