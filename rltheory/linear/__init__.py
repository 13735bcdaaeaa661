"""rltheory.linear."""

__all__: list[str] = []
