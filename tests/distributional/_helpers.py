"""Hypothesis strategies shared by the distributional tests (tests do not import test modules)."""

import numpy as np
from hypothesis import strategies as st

from rltheory.distributional import FiniteDistribution


@st.composite
def finite_distributions(draw, *, max_atoms=6, lo=-10.0, hi=10.0):
    """Random finite laws (atoms may repeat; some probabilities may be tiny)."""
    k = draw(st.integers(1, max_atoms))
    atoms = draw(st.lists(st.floats(lo, hi, allow_nan=False), min_size=k, max_size=k))
    w = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k)))
    return FiniteDistribution(atoms, w / w.sum())
