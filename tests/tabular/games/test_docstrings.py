"""Every public symbol of rltheory.tabular.games has a runnable example."""

from tests._helpers import missing_examples


def test_every_public_symbol_has_an_example():
    assert missing_examples("rltheory.tabular.games") == []
