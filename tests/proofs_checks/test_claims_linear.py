"""The linear claims can fail: a wrong certificate from the code they check is caught."""

from dataclasses import replace

import rltheory.linear
from rltheory.proofs_checks import run_claims


def test_tsitsiklis_van_roy_claim_detects_an_overoptimistic_bound(monkeypatch):
    true = rltheory.linear.td_fixed_point

    def optimistic(*args, **kwargs):
        res = true(*args, **kwargs)
        return replace(res, bound=0.5 * res.error)  # a "certificate" below the actual error

    monkeypatch.setattr(rltheory.linear, "td_fixed_point", optimistic)
    (r,) = run_claims("linear.td.tsitsiklis-van-roy", examples=10)
    assert not r.passed and r.counterexample is not None and r.worst_slack < 0
