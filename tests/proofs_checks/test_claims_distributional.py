"""The distributional claims register and pass a short search."""

import pytest

from rltheory.proofs_checks import _claims_distributional  # noqa: F401  (registers on import)
from rltheory.proofs_checks import list_claims, run_claims


def test_distributional_claims_are_registered_with_sources():
    claims = [c for c in list_claims() if c.id.startswith("distributional.")]
    assert len(claims) == 7
    assert all(c.source and c.latex and c.statement for c in claims)


@pytest.mark.parametrize(
    "claim_id",
    [
        "distributional.evaluation.wasserstein-contraction",
        "distributional.categorical.cramer-contraction",
        "distributional.quantile.winf-contraction",
        "distributional.control.not-a-contraction",
        "distributional.categorical.fixed-point-mean",
        "distributional.stock.augmented-optimum",
        "distributional.stock.markov-insufficient",
    ],
)
def test_claim_passes(claim_id):
    (result,) = run_claims(claim_id, examples=10)
    assert result.passed, result.message
