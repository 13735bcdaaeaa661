"""The claim registry, the counterexample search and reproducibility of reported failures."""

import numpy as np
import pytest
from hypothesis import strategies as st

from rltheory.proofs_checks import (
    CheckResult,
    Claim,
    Slack,
    claim,
    get_claim,
    list_claims,
    property_claim,
    recheck,
    register,
    run_claims,
    search,
)
from rltheory.proofs_checks._claims_dp import _contraction_slack, _mdp_two_vectors
from rltheory.proofs_checks._registry import _REGISTRY
from rltheory.tabular import bellman_operator


def _false_claim(claim_id="false.gamma-squared-contraction", registry=False):
    """Deliberately false: 'T is a gamma^2-contraction' (Puterman Prop. 6.2.4 gives only gamma)."""
    return property_claim(
        id=claim_id,
        statement="(FALSE, for testing) the Bellman optimality operator is a gamma^2-contraction",
        latex=r"\|Tv - Tw\| \le \gamma^2 \|v - w\|",
        source="none: deliberately false",
        kind="inequality",
        tags=("test",),
        strategy=lambda: _mdp_two_vectors(),
        registry=registry,
    )(lambda inst: _contraction_slack(inst[0], inst[1], inst[2], None, inst[0].gamma ** 2))


@pytest.fixture(scope="module")
def false_run():
    c = _false_claim()
    return c, c.run(examples=30)


def test_false_claim_fails_with_a_reproducible_counterexample(false_run):
    c, result = false_run
    assert not result.passed
    cx = result.counterexample
    assert cx is not None and cx.slack < 0 and result.worst_slack < 0
    # re-running the check on the reported instance fails again
    assert recheck(c, cx) < 0
    # and the instance really violates gamma^2-contraction, computed independently here
    mdp, v, w = cx.instance
    lhs = np.max(np.abs(bellman_operator(mdp, v) - bellman_operator(mdp, w)))
    assert lhs > mdp.gamma**2 * np.max(np.abs(v - w))
    # the text rebuilds the same instance bit for bit
    assert cx.text.startswith("(FiniteMDP(")
    from numpy import array  # noqa: F401  (names used by the rendered text)

    assert "@reproduce_failure(" in cx.reproduction
    # the search is deterministic: the same run reports the same counterexample
    again = c.run(examples=30)
    assert again.counterexample.text == cx.text and again.n_instances == result.n_instances


def test_seeded_search_is_reproducible():
    out = [search(st.integers(0, 10**6), lambda x: 500 - x, max_examples=50, seed=7) for _ in range(2)]
    assert out[0].counterexample.instance == out[1].counterexample.instance == 501
    assert out[0].n_instances == out[1].n_instances and out[0].counterexample.seed == 7


def test_search_shrinks_to_the_boundary_and_reports_errors():
    out = search(st.integers(0, 1000), lambda x: 100 - x, max_examples=200)
    assert out.counterexample.instance == 101  # minimal violating integer
    out = search(st.integers(0, 10), lambda x: 10 + 1 / (x - 3), max_examples=100)
    assert out.counterexample.instance == 3 and "ZeroDivisionError" in out.error
    out = search(st.integers(0, 10), lambda x: 1.0, max_examples=20)
    assert out.counterexample is None and out.worst_slack == 1.0 and out.n_instances >= 1


def test_counterexample_kind_passes_when_a_witness_exists():
    # 'T is not a gamma^2-contraction', searched with the library's own contraction slack (as the registered
    # claim bellman.optimality.not-gamma-squared does; the registered claims run once, in test_claims.py)
    c = property_claim(
        id="test.not-gamma-squared",
        statement="T is not a gamma^2-contraction",
        latex="l",
        source="src",
        kind="counterexample",
        strategy=lambda: _mdp_two_vectors(),
        registry=False,
    )(lambda inst: _contraction_slack(inst[0], inst[1], inst[2], None, inst[0].gamma ** 2))
    r = c.run(examples=10)
    assert r.passed and r.counterexample is not None and r.counterexample.slack < 0
    assert recheck(c, r.counterexample) < 0
    # one sign convention: the claim's slack is minus the refuted inequality's, so PASS comes with slack > 0
    assert r.worst_slack == -r.counterexample.slack > 0 and r.relative_slack > 0


def test_counterexample_kind_without_a_witness_fails_with_nonpositive_slack():
    c = property_claim(
        id="test.no-witness",
        statement="some integer in [0, 10] exceeds 10",
        latex="x > 10",
        source="none",
        kind="counterexample",
        strategy=lambda: st.integers(0, 10),
        registry=False,
    )(lambda x: Slack(10.0 - x, scale=10.0))  # the refuted statement x <= 10 holds everywhere
    r = c.run(examples=20)
    assert not r.passed and r.counterexample is None and r.worst_slack == -0.0 and r.relative_slack <= 0


def test_slack_sign_convention_is_enforced_and_relative_slack_is_tracked():
    with pytest.raises(ValueError, match="slack is >= 0 when it passes"):
        CheckResult("x.y", True, 1, -0.5, None, 0.0)
    with pytest.raises(ValueError, match="relative_slack"):
        CheckResult("x.y", False, 1, -0.5, None, 0.0, relative_slack=0.5)
    with pytest.raises(ValueError, match="scale"):
        Slack(1.0, 0.0)
    out = search(st.integers(1, 100), lambda x: Slack(100.0 - x, scale=100.0), max_examples=50)
    assert out.counterexample is None and out.worst_slack >= 0
    assert out.worst_relative_slack == pytest.approx(out.worst_slack / 100.0)
    # a plain float anywhere: no relative slack
    assert search(st.integers(1, 5), lambda x: 1.0, max_examples=5).worst_relative_slack is None


def test_registry_lookup_and_validation():
    with pytest.raises(ValueError, match="did you mean bellman.optimality.contraction"):
        get_claim("bellman.optimality.contractio")
    ids = [c.id for c in list_claims()]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert {c.id for c in list_claims(tag="vi")} <= set(ids)
    for c in list_claims():
        assert c.source and c.statement and c.latex
        if c.kind == "rate":
            assert c.published_form and c.claimed_exponent is not None
    with pytest.raises(ValueError, match="already registered"):
        register(_false_claim(claim_id="bellman.optimality.contraction"))
    with pytest.raises(ValueError, match="kind"):
        Claim("x.y", "s", "l", "src", "theorem", (), check=lambda ctx: None)
    with pytest.raises(ValueError, match="published form"):
        Claim("x.y", "s", "l", "src", "rate", (), check=lambda ctx: None)
    with pytest.raises(ValueError, match="claim id"):
        Claim("Not An Id", "s", "l", "src", "identity", (), check=lambda ctx: None)
    with pytest.raises(ValueError, match="examples"):
        run_claims("bellman.optimality.contraction", examples=0)
    with pytest.raises(ValueError, match="no claim has tag"):
        run_claims(tag="no-such-tag")


def test_a_crashing_check_is_a_failure_not_an_exception():
    @claim(id="test.crash", statement="s", latex="l", source="none", kind="identity", registry=False)
    def crash(ctx):
        raise RuntimeError("boom")

    r = crash.run()
    assert not r.passed and "boom" in r.message and r.n_instances == 0


@pytest.mark.slow
def test_run_claims_order_and_workers_do_not_change_results():
    ids = ["bellman.optimality.monotone", "concentration.hoeffding"]
    serial = run_claims(ids, examples=5)
    parallel = run_claims(ids, examples=5, workers=2)
    assert [r.claim_id for r in serial] == ids == [r.claim_id for r in parallel]
    for a, b in zip(serial, parallel):
        assert (a.passed, a.n_instances, a.worst_slack) == (b.passed, b.n_instances, b.worst_slack)


def test_recheck_needs_evaluate():
    @claim(id="test.noeval", statement="s", latex="l", source="none", kind="identity", registry=False)
    def c(ctx):
        return CheckResult("test.noeval", True, 1, 0.0, None, 0.0)

    from rltheory.proofs_checks import Counterexample

    with pytest.raises(ValueError, match="no single-instance evaluate"):
        recheck(c, Counterexample(None, -1.0, ""))


def test_temporary_registration_is_visible_to_run_claims(monkeypatch):
    c = property_claim(
        id="test.false-registered",
        statement="every integer in [0, 100] is < 50",
        latex="x < 50",
        source="none: deliberately false",
        kind="inequality",
        strategy=lambda: st.integers(0, 100),
        registry=False,
    )(lambda x: 49.5 - x)
    monkeypatch.setitem(_REGISTRY, c.id, c)
    (r,) = run_claims(c.id, examples=30)
    assert not r.passed and r.counterexample.instance == 50
    assert get_claim("bellman.optimality.monotone").id == "bellman.optimality.monotone"  # the real registry is intact
