"""Root conftest: make the hypothesis profile apply to doctests as well."""

import tests.conftest  # noqa: F401
