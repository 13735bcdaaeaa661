r"""The count-based empirical model shared by the model-based episodic agents (compiled helpers).

Every model-based agent (:class:`~rltheory.tabular.UCBVI`,
:class:`~rltheory.tabular.PSRL`, :class:`~rltheory.tabular.MVP`,
:class:`~rltheory.tabular.GreedyCertaintyEquivalence`) keeps, for the
stage-homogeneous model, the counts :math:`N(s, a)`, :math:`N(s, a, s')`, the
reward sums :math:`\sum r` and :math:`\sum r^2`, the visits :math:`N_h(s)` of
each state at each step, and for each pair the list of next states seen so far
(``support[s, a, :n_support[s, a]]``, in order of first appearance), so that an
expectation under the empirical kernel :math:`\hat P(\cdot|s, a)` costs the
size of its support instead of :math:`S` (deep-sea's kernels have one or two
next states out of :math:`N^2`).

Layout of the model tuple: ``(N, Nsas, Rsum, Rsq, Nh, support, n_support)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["model_init", "model_observe"]


@njit(cache=True)
def model_init(S, A, H):
    N = np.zeros((S, A))
    Nsas = np.zeros((S, A, S))
    Rsum = np.zeros((S, A))
    Rsq = np.zeros((S, A))
    Nh = np.zeros((H + 1, S))
    support = np.zeros((S, A, S), dtype=np.int64)
    n_support = np.zeros((S, A), dtype=np.int64)
    return (N, Nsas, Rsum, Rsq, Nh, support, n_support)


@njit(cache=True)
def model_observe(model, h, s, a, r, s2):
    N, Nsas, Rsum, Rsq, Nh, support, n_support = model
    N[s, a] += 1.0
    Rsum[s, a] += r
    Rsq[s, a] += r * r
    if Nsas[s, a, s2] == 0.0:
        support[s, a, n_support[s, a]] = s2
        n_support[s, a] += 1
    Nsas[s, a, s2] += 1.0
    Nh[h, s] += 1.0
