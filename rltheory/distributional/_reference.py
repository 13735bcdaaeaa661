r"""Plain NumPy references of the distributional kernels in ``_kernels.pyx``.

They take the same arguments as the compiled kernels (validated arrays,
CSR transitions ``(S*A, S)`` as ``indptr, indices, data``) and return new
arrays. A property test holds each kernel equal to its reference.

Categorical projection (Bellemare, Dabney & Munos 2017, Algorithm 1; Rowland
et al. 2018, Eq. (7)): an atom :math:`x` with mass :math:`p` goes to
:math:`z_1` if :math:`x \le z_1`, to :math:`z_m` if :math:`x \ge z_m`, and
otherwise, with :math:`z_l \le x < z_{l+1}`, splits as
:math:`p (z_{l+1}-x)/(z_{l+1}-z_l)` on :math:`z_l` and
:math:`p (x-z_l)/(z_{l+1}-z_l)` on :math:`z_{l+1}`.

Quantile projection (Dabney et al. 2018, Lemma 2): the
:math:`W_1`-closest law :math:`\frac1n\sum_i \delta_{\theta_i}` has
:math:`\theta_i = F^{-1}(\hat\tau_i)` with midpoints
:math:`\hat\tau_i = (2i-1)/(2n)`, :math:`i = 1..n`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = [
    "categorical_projection_reference",
    "quantile_projection_reference",
    "categorical_sweep_reference",
    "quantile_sweep_reference",
]


def categorical_projection_reference(atoms: np.ndarray, probs: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Row-wise categorical projection of ``(N, K)`` atoms/probs onto ``support`` -> ``(N, m)``."""
    atoms = np.asarray(atoms, dtype=float)
    probs = np.asarray(probs, dtype=float)
    z = np.asarray(support, dtype=float)
    N, K = atoms.shape
    m = z.size
    if m == 1:
        return probs.sum(axis=1, keepdims=True)
    lo = np.clip(np.searchsorted(z, atoms, side="right") - 1, 0, m - 2)
    zl, zu = z[lo], z[lo + 1]
    wu = np.clip((atoms - zl) / (zu - zl), 0.0, 1.0)
    flat = (np.arange(N)[:, None] * m + lo).ravel()
    out = np.bincount(flat, weights=(probs * (1.0 - wu)).ravel(), minlength=N * m)
    out += np.bincount(flat + 1, weights=(probs * wu).ravel(), minlength=N * m)
    return out.reshape(N, m)


def quantile_projection_reference(atoms: np.ndarray, probs: np.ndarray, n_quantiles: int) -> np.ndarray:
    """Row-wise quantile projection of ``(N, K)`` atoms/probs -> sorted ``(N, n)`` locations."""
    atoms = np.asarray(atoms, dtype=float)
    probs = np.asarray(probs, dtype=float)
    N, K = atoms.shape
    order = np.argsort(atoms, axis=1, kind="stable")
    xs = np.take_along_axis(atoms, order, axis=1)
    c = np.cumsum(np.take_along_axis(probs, order, axis=1), axis=1)
    tau = (2.0 * np.arange(n_quantiles) + 1.0) / (2.0 * n_quantiles)
    out = np.empty((N, n_quantiles))
    slack = 4.0 * K * np.finfo(float).eps  # a running sum within its rounding of tau reaches it (see the kernel)
    for i in range(N):
        idx = np.minimum(np.searchsorted(c[i], tau - slack, side="left"), K - 1)
        out[i] = xs[i, idx]
    return out


def categorical_sweep_reference(indptr, indices, data, R, pi, gamma, support, probs_in) -> np.ndarray:
    r"""One projected sweep :math:`\Pi_C T^\pi` on ``(S, m)`` categorical probabilities, vectorized.

    Because :math:`\Pi_C` is linear in the measure, the mixture over next
    states is formed first, :math:`M = P\,p` (a sparse product), then the
    ``S*A`` rows of atoms :math:`r(s,a) + \gamma z_j` are projected at once.
    """
    S, A = R.shape
    P = sp.csr_array((data, indices, indptr), shape=(S * A, S))
    M = P @ probs_in
    X = R.reshape(S * A, 1) + gamma * np.asarray(support)[None, :]
    proj = categorical_projection_reference(X, M, support)
    return (pi.reshape(S * A, 1) * proj).reshape(S, A, -1).sum(axis=1)


def quantile_sweep_reference(indptr, indices, data, R, pi, gamma, locations_in) -> np.ndarray:
    r"""One projected sweep :math:`\Pi_Q T^\pi` on ``(S, n)`` quantile locations."""
    S, A = R.shape
    n = locations_in.shape[1]
    out = np.empty((S, n))
    for s in range(S):
        xs, ws = [], []
        for a in range(A):
            if pi[s, a] == 0:
                continue
            row = s * A + a
            cols = indices[indptr[row] : indptr[row + 1]]
            vals = data[indptr[row] : indptr[row + 1]]
            xs.append((R[s, a] + gamma * locations_in[cols]).ravel())
            ws.append(np.repeat((pi[s, a] * vals) / n, n))
        out[s] = quantile_projection_reference(np.concatenate(xs)[None, :], np.concatenate(ws)[None, :], n)[0]
    return out
