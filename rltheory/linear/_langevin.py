r"""The Langevin check behind LMC-LSVI: unadjusted Langevin on ridge regression, against its exact Gaussian law.

On :math:`L(w) = \|y - Xw\|^2 + \lambda\|w\|^2` the chain
:math:`w \leftarrow w - \eta\nabla L(w) + \sqrt{2\eta/\beta}\,\epsilon` is a
Gaussian autoregression whose stationary law and moments are known in closed
form (:func:`ula_gaussian_moments`), so the sampler of
:class:`~rltheory.linear.LMCLSVI` can be checked exactly.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .._validation import check_finite, check_int, check_real
from ..simulation import rng_normal, run_states
from ._features import check_features

__all__ = ["langevin_ridge_samples", "ula_gaussian_moments"]


@njit(cache=True, parallel=True)
def _kernel_ula(Lam, b, w0, eta, inv_temp, n_steps, states, out):
    d = Lam.shape[0]
    for m in prange(states.shape[0]):
        rng = states[m].copy()
        w = w0.copy()
        g = np.empty(d)
        sd = math.sqrt(2.0 * eta / inv_temp)
        for _ in range(n_steps):
            for i in range(d):
                acc = 0.0
                for j in range(d):
                    acc += Lam[i, j] * w[j]
                g[i] = 2.0 * (acc - b[i])
            for i in range(d):
                w[i] = w[i] - eta * g[i] + sd * rng_normal(rng)
        out[m] = w


def langevin_ridge_samples(
    X,
    y,
    *,
    regularization: float = 1.0,
    inverse_temperature: float = 1.0,
    step: float,
    n_steps: int,
    n_samples: int,
    seed: int = 0,
    w0=None,
) -> np.ndarray:
    r"""Independent unadjusted-Langevin chains on the ridge loss, the sampler inside :class:`~rltheory.linear.LMCLSVI`.

    :math:`L(w) = \|y - Xw\|^2 + \lambda\|w\|^2`, :math:`\nabla L = 2(\Lambda w - X^\top y)`,
    :math:`\Lambda = X^\top X + \lambda I`;
    :math:`w_{j+1} = w_j - \eta\nabla L(w_j) + \sqrt{2\eta/\beta}\,\xi_j`.
    Returns ``(n_samples, d)`` final iterates; their exact law is given by
    :func:`ula_gaussian_moments`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.eye(2); y = np.array([1.0, -1.0])
    >>> langevin_ridge_samples(X, y, step=0.05, n_steps=10, n_samples=3).shape
    (3, 2)
    """
    X = check_features(X, full_rank=False, name="X")
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y has shape {y.shape}, expected ({X.shape[0]},)")
    check_finite("y", y)
    lam = check_real("regularization", regularization, low=0.0, low_open=True)
    bt = check_real("inverse_temperature", inverse_temperature, low=0.0, low_open=True)
    eta = check_real("step", step, low=0.0, low_open=True)
    J = check_int("n_steps", n_steps, low=0)
    n = check_int("n_samples", n_samples, low=1)
    d = X.shape[1]
    Lam = X.T @ X + lam * np.eye(d)
    w = np.zeros(d) if w0 is None else np.asarray(w0, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(f"w0 has shape {w.shape}, expected ({d},)")
    out = np.empty((n, d))
    states = np.ascontiguousarray(run_states(check_int("seed", seed, low=0), np.arange(n), 1)[:, 0])
    _kernel_ula(Lam, X.T @ y, w, eta, bt, J, states, out)
    return out


def ula_gaussian_moments(
    X,
    y,
    *,
    regularization: float = 1.0,
    inverse_temperature: float = 1.0,
    step: float | None = None,
    n_steps: int | None = None,
    w0=None,
):
    r"""Exact mean and covariance of the Langevin iterate on the ridge loss (and of the posterior).

    The chain is linear-Gaussian: with :math:`B = I - 2\eta\Lambda`,
    :math:`m = \Lambda^{-1}X^\top y`,
    :math:`w_J - m = B^J(w_0 - m) + \sqrt{2\eta/\beta}\sum_{j<J}B^j\xi_j`, so

    .. math:: \mathbb{E}w_J = m + B^J(w_0 - m),\qquad \mathrm{Cov}\,w_J = \frac{2\eta}{\beta}\sum_{j<J}B^{2j}.

    As :math:`J\to\infty` (for :math:`\eta\lambda_{\max}(\Lambda) < 1`) the
    covariance tends to :math:`\beta^{-1}(2\Lambda)^{-1}(I - \eta\Lambda)^{-1}`
    and, as :math:`\eta\to 0`, to the exact Gibbs posterior
    :math:`\propto\exp(-\beta L)`: :math:`N(m, (2\beta\Lambda)^{-1})`.
    ``step=None`` returns the exact posterior ``(m, (2 beta Lambda)^-1)``.

    Examples
    --------
    >>> import numpy as np
    >>> m, C = ula_gaussian_moments(np.eye(2), np.array([1.0, -1.0]))
    >>> m.tolist(), C.tolist()
    ([0.5, -0.5], [[0.25, 0.0], [0.0, 0.25]])
    """
    X = check_features(X, full_rank=False, name="X")
    y = np.asarray(y, dtype=np.float64)
    lam = check_real("regularization", regularization, low=0.0, low_open=True)
    bt = check_real("inverse_temperature", inverse_temperature, low=0.0, low_open=True)
    d = X.shape[1]
    Lam = X.T @ X + lam * np.eye(d)
    m = np.linalg.solve(Lam, X.T @ y)
    if step is None:
        return m, np.linalg.inv(2.0 * bt * Lam)
    eta = check_real("step", step, low=0.0, low_open=True)
    J = check_int("n_steps", n_steps, low=0)
    evals, U = np.linalg.eigh(Lam)
    bdiag = 1.0 - 2.0 * eta * evals
    w = np.zeros(d) if w0 is None else np.asarray(w0, dtype=np.float64)
    mean = m + U @ (bdiag**J * (U.T @ (w - m)))
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.where(np.abs(bdiag**2 - 1.0) > 1e-15, (1.0 - bdiag ** (2 * J)) / (1.0 - bdiag**2), float(J))
    cov = (2.0 * eta / bt) * (U * geo) @ U.T
    return mean, cov
