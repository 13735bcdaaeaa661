"""Risk functionals: Rockafellar-Uryasev identity, orderings, limits."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.distributional import (
    FiniteDistribution,
    band_probability,
    cvar,
    entropic_risk,
    mean_variance,
    value_at_risk,
)
from tests.distributional._helpers import finite_distributions

TOL = 1e-9


@given(finite_distributions(), st.floats(0.01, 1.0))
def test_cvar_equals_rockafellar_uryasev_sup(d, alpha):
    # Rockafellar & Uryasev (2000), Theorem 1: CVaR = max_b {b - E(b-G)^+/alpha}, attained at VaR_alpha;
    # the objective is concave piecewise linear in b with kinks at atoms, so the max is at an atom
    ru = max(b - np.dot(d.probs, np.maximum(b - d.atoms, 0)) / alpha for b in d.atoms)
    assert math.isclose(cvar(d, alpha), ru, rel_tol=1e-9, abs_tol=TOL)
    b = value_at_risk(d, alpha)
    assert math.isclose(b - np.dot(d.probs, np.maximum(b - d.atoms, 0)) / alpha, ru, rel_tol=1e-9, abs_tol=TOL)


@given(finite_distributions(), st.floats(0.01, 1.0), st.floats(0.01, 1.0))
def test_cvar_orderings(d, a1, a2):
    lo, hi = min(a1, a2), max(a1, a2)
    assert d.atoms[0] - TOL <= cvar(d, lo) <= cvar(d, hi) + TOL <= d.mean() + 2 * TOL
    assert cvar(d, lo) <= value_at_risk(d, lo) + TOL
    assert math.isclose(cvar(d, 1.0), d.mean(), rel_tol=1e-9, abs_tol=TOL)


@given(finite_distributions(), st.floats(0.01, 3.0))
def test_entropic_risk_between_min_and_mean(d, beta):
    # Jensen: -1/beta log E e^{-beta G} <= E G, and >= min G
    e = entropic_risk(d, beta)
    assert d.atoms[0] - TOL <= e <= d.mean() + TOL
    assert entropic_risk(d, -beta) >= d.mean() - TOL  # risk seeking
    assert math.isclose(entropic_risk(d, 0.0), d.mean(), abs_tol=TOL)


@given(finite_distributions(), st.floats(0.0, 5.0))
def test_mean_variance_and_band(d, lam):
    assert math.isclose(mean_variance(d, lam), d.mean() - lam * d.variance(), rel_tol=1e-12, abs_tol=TOL)
    assert band_probability(d, d.atoms[0], d.atoms[-1]) == pytest.approx(1.0)
    assert band_probability(d, d.atoms[-1] + 1, d.atoms[-1] + 2) == 0.0


def test_risk_errors():
    d = FiniteDistribution([0.0], [1.0])
    with pytest.raises(ValueError, match="alpha"):
        cvar(d, 0.0)
    with pytest.raises(ValueError, match="alpha"):
        value_at_risk(d, 1.5)
    with pytest.raises(ValueError, match="risk_aversion"):
        mean_variance(d, -1.0)
    with pytest.raises(ValueError, match="lo"):
        band_probability(d, 1.0, 0.0)
