"""The distributional claims can fail: a wrong answer from the code they check is caught."""

from dataclasses import replace

import numpy as np

import rltheory.distributional
from rltheory.proofs_checks import _claims_distributional as cd
from rltheory.proofs_checks import get_claim, search


def test_fixed_point_mean_claim_detects_a_biased_mean(monkeypatch):
    true = rltheory.distributional.categorical_policy_evaluation

    def biased(*args, **kwargs):
        res = true(*args, **kwargs)
        return replace(res, means=res.means + 1e-3)  # far above the certified sqrt(z_m - z_1) * bound

    monkeypatch.setattr(rltheory.distributional, "categorical_policy_evaluation", biased)
    # the claim's own strategy and slack function; no shrinking (detection is the point, shrinking costs ~30 s)
    c = get_claim("distributional.categorical.fixed-point-mean")
    out = search(cd._covering_case(), c.evaluate, max_examples=10, shrink=False)
    assert out.counterexample is not None and out.worst_slack < 0 and out.worst_relative_slack < 0


def test_contraction_claim_detects_a_wrong_modulus():
    # claiming gamma^2 for the quantile operator: the claim's own slack function with a smaller modulus must fail
    out = search(
        cd._mdp_policy_two_laws(),
        lambda inst: cd._ratio_slack(inst, "quantile", "wasserstein", np.inf, lambda g: g * g),
        max_examples=50,
        shrink=False,
    )
    assert out.counterexample is not None and out.worst_slack < 0
