"""rltheory.distributional."""

__all__: list[str] = []
