"""Every public symbol of rltheory.experiments has a runnable example (issue 11: examples on the public API)."""

from tests._helpers import missing_examples


def test_every_public_symbol_has_an_example():
    assert missing_examples("rltheory.experiments") == []
