"""rltheory.bandits."""

__all__: list[str] = []
