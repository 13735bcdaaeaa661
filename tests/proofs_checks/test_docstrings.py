"""Every public function, class and method of rltheory.proofs_checks has a runnable example (issue 11 §6)."""

from tests._helpers import missing_examples


def test_every_public_symbol_has_an_example():
    assert missing_examples("rltheory.proofs_checks") == []
