r"""Gittins indices of Bernoulli arms with a Beta prior (certified, two independent formulations) and of
normal arms with known variance and a normal prior on the mean (calibration on a discretized state).

For an arm whose success probability has the posterior :math:`\mathrm{Beta}(\alpha, \beta)` and discount
:math:`\gamma \in (0, 1)`, the Gittins index is (Gittins 1979; Gittins, Glazebrook & Weber 2011, Ch. 2)

.. math:: \nu(\alpha, \beta) = \sup_{\tau \ge 1} \frac{\mathbb E\big[\sum_{t=0}^{\tau-1}\gamma^t r_t\big]}
   {\mathbb E\big[\sum_{t=0}^{\tau-1}\gamma^t\big]},

with the posterior mean :math:`\alpha_t/(\alpha_t + \beta_t)` as the expected reward :math:`r_t` and the
posterior updated by every pull. Two formulations, both on the tree of posteriors reachable in
:math:`N` pulls:

* ``method="calibration"`` (Gittins 1979's retirement calibration; Gittins, Glazebrook & Weber 2011,
  Sec. 2.5): :math:`\nu` is the retirement reward per step :math:`\lambda` at which retiring
  (:math:`\lambda/(1-\gamma)`) and continuing are equally good in the optimal-stopping problem
  :math:`W(s) = \max(\lambda/(1-\gamma),\ m_s + \gamma\,[m_s W(s^+) + (1 - m_s) W(s^-)])`, solved by
  backward recursion and bisection in :math:`\lambda`.
* ``method="restart"`` (Katehakis & Veinott 1987, *The multi-armed bandit problem: decomposition and
  computation*, Math. Oper. Res. 12(2), Sec. 3): :math:`\nu(x_0) = (1 - \gamma) V_{x_0}(x_0)`, with
  :math:`V_{x_0}` the optimal value of the MDP whose actions in every state are "continue" and "restart
  from :math:`x_0`", solved with :func:`rltheory.tabular.value_iteration` (its certified interval).

**Certified truncation.** At depth :math:`N` the continuation is replaced by a lower model (keep pulling
without learning: value :math:`m_s/(1-\gamma)`, a feasible policy) and an upper model (the
perfect-information relaxation :math:`\mathbb E_{\theta \sim \mathrm{Beta}}[\max(\lambda, \theta)]/(1-\gamma)`
for the calibration, and reward 1 per step for the restart MDP); the index of the lower model is a
lower bound of :math:`\nu`, that of the upper model an upper bound (monotonicity of the Bellman
operators). The returned interval ``[lower, upper]`` contains :math:`\nu` (up to floating-point
rounding of order :math:`10^{-15}/(1-\gamma)`), and the depth is increased until it is narrower than
``tol``.

**Normal arms** (``prior="normal"``): rewards :math:`N(\theta, \sigma^2)` with :math:`\sigma` known and
the posterior :math:`\theta \sim N(\mu, \sigma^2/n)` (``n`` observations' worth of information). The index
has the location-scale form :math:`\nu(\mu, n, \sigma) = \mu + \sigma\,\nu(0, n, 1)` (Gittins, Glazebrook &
Weber 2011, Sec. 7.5.1); the calibration is run directly on the arm's own :math:`(\mu, \sigma)` (the form is
not assumed; the tests check it). After a pull the posterior mean moves by
:math:`\sigma Z/\sqrt{(n+k)(n+k+1)}`, :math:`Z \sim N(0, 1)`, after :math:`k` earlier pulls, so

.. math:: W_k(x) = \max\Big(\frac{\lambda}{1-\gamma},\ x + \gamma\,\mathbb E\,W_{k+1}\big(x + \tfrac{\sigma Z}
   {\sqrt{(n+k)(n+k+1)}}\big)\Big),

with the lower model :math:`\max(\lambda, x)/(1-\gamma)` and the upper (perfect-information) model
:math:`\mathbb E_{\theta\sim N(x, \sigma^2/(n+N))}[\max(\lambda, \theta)]/(1-\gamma)` at depth :math:`N`
(closed form; they differ by at most :math:`\sigma/(\sqrt{2\pi(n+N)}(1-\gamma))`, so the truncation is
certified as for the Beta prior). The posterior mean lives on a uniform grid of step :math:`h` over
:math:`\mu \pm 10\sigma/\sqrt n`; :math:`W_{k+1}` is interpolated piecewise linearly (constant below the grid,
slope :math:`1/(1-\gamma)` above it) and its Gaussian expectation is exact for that interpolant (second
differences of :math:`\mathbb E[(v + sZ)^+]`), a scheme of the kind of Gittins, Glazebrook & Weber (2011),
Sec. 8.4, and of the ``gittins`` R package (Edwards). The interpolation error is :math:`O(h^2)` (and, :math:`W`
being convex, an over-estimate): the index is computed at :math:`h` and :math:`h/2` and Richardson-extrapolated,
the step is halved until the two values differ by less than ``tol``, and ``[lower, upper]`` is the truncation
interval widened by the extrapolation's error estimate :math:`|\nu_h - \nu_{h/2}|/3`. **The discretization error
is estimated, not certified** (unlike the Beta prior's interval). Checked against the published table of
:math:`\nu(0, n, 1)` (Gittins 1989, as printed in Powell 2007, Table 10.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._validation import check_choice, check_real, check_tol

__all__ = ["GittinsIndex", "gittins_index"]


@dataclass(frozen=True)
class GittinsIndex:
    r"""A Gittins index: of a Bernoulli arm with a Beta posterior, or of a normal arm with a normal posterior.

    Attributes
    ----------
    index : float
        Midpoint of ``[lower, upper]``.
    lower, upper : float
        Bounds: certified for ``prior="beta"`` (:math:`\text{lower} \le \nu \le \text{upper}`); for
        ``prior="normal"`` certified for the truncation and estimated for the discretization (module docstring).
    prior : str
        ``"beta"`` or ``"normal"``.
    discount : float
    method : str
        ``"calibration"`` or ``"restart"``.
    depth : int
        Number of pulls of the truncated posterior tree.
    alpha, beta : float or None
        The Beta posterior (``prior="beta"``).
    mean, n, sigma : float or None
        The normal posterior :math:`N(\text{mean}, \sigma^2/n)` of a normal arm with known standard deviation
        :math:`\sigma` (``prior="normal"``).
    grid_step : float or None
        The finest step of the posterior-mean grid (``prior="normal"``).

    Examples
    --------
    >>> from rltheory.bandits import gittins_index
    >>> g = gittins_index("beta", 0.9, alpha=1, beta=1, tol=1e-6)
    >>> g.upper - g.lower <= 1e-6, round(g.index, 4)  # Gittins' table, gamma = 0.9: 0.7029
    (True, 0.7029)
    """

    index: float
    lower: float
    upper: float
    prior: str
    discount: float
    method: str
    depth: int
    alpha: float | None = None
    beta: float | None = None
    mean: float | None = None
    n: float | None = None
    sigma: float | None = None
    grid_step: float | None = None


def _depth_bound(discount, tol):
    """N with gamma^N / (1 - gamma) <= tol / 2: the two truncated models then differ by at most tol (see below)."""
    return max(1, math.ceil(math.log(0.5 * tol * (1.0 - discount)) / math.log(discount)))


def _calibration_root_gap(a, b, gamma, lam, depth, upper):
    r"""Continue-minus-retire value at the root, :math:`C(\lambda) - \lambda/(1-\gamma)` (non-increasing in lambda)."""
    M = lam / (1.0 - gamma)
    k = depth
    i = np.arange(k + 1, dtype=np.float64)
    A, B = a + i, b + (k - i)
    if upper:
        from scipy import stats

        # E[max(lam, theta)] = lam F_{A,B}(lam) + m (1 - F_{A+1,B}(lam)) (perfect information after depth N)
        m = A / (A + B)
        W = (lam * stats.beta.cdf(lam, A, B) + m * stats.beta.sf(lam, A + 1, B)) / (1.0 - gamma)
    else:
        W = np.maximum(M, A / (A + B) / (1.0 - gamma))
    for k in range(depth - 1, -1, -1):
        i = np.arange(k + 1, dtype=np.float64)
        m = (a + i) / (a + b + k)
        cont = m + gamma * (m * W[1:] + (1.0 - m) * W[:-1])
        if k == 0:
            return float(cont[0] - M)
        W = np.maximum(M, cont)
    raise AssertionError("unreachable")  # pragma: no cover


def _bisect(f, lo, hi, width):
    """Bracket [lo, hi] of the crossing of a non-increasing f with f(lo) >= 0 >= f(hi), to ``width``."""
    while hi - lo > width:
        mid = 0.5 * (lo + hi)
        if f(mid) > 0.0:
            lo = mid
        else:
            hi = mid
    return lo, hi


def _calibration(a, b, gamma, tol, depth):
    mean = a / (a + b)
    # f(lambda) = C(lambda) - lambda / (1 - gamma): f(mean) >= 0 (continuing earns at least mean per step... and
    # may retire later), f(1) <= 0; its slope is <= -1, so lambda's error is at most f's error (< gamma^N/(1-gamma))
    lo, _ = _bisect(lambda x: _calibration_root_gap(a, b, gamma, x, depth, False), mean, 1.0, tol / 8)
    _, hi = _bisect(lambda x: _calibration_root_gap(a, b, gamma, x, depth, True), mean, 1.0, tol / 8)
    return lo, hi


def _restart(a, b, gamma, tol, depth):
    from ..tabular import FiniteMDP, value_iteration

    # nodes (k, i): k pulls, i successes, index k (k + 1) / 2 + i
    n_nodes = (depth + 1) * (depth + 2) // 2
    k = np.repeat(np.arange(depth + 1), np.arange(1, depth + 2))
    i = np.arange(n_nodes) - k * (k + 1) // 2
    m = (a + i) / (a + b + k)
    inner = k < depth
    child_up = (k + 1) * (k + 2) // 2 + i + 1
    child_down = (k + 1) * (k + 2) // 2 + i
    m0 = m[0]
    ends = []
    for upper in (False, True):
        rows, cols, vals = [], [], []
        s = np.arange(n_nodes)
        # action 0: continue (inner nodes branch; boundary nodes loop)
        rows += [2 * s[inner], 2 * s[inner], 2 * s[~inner]]
        cols += [child_up[inner], child_down[inner], s[~inner]]
        vals += [m[inner], 1.0 - m[inner], np.ones((~inner).sum())]
        # action 1: restart from the root (the root's continuation)
        rows += [2 * s + 1, 2 * s + 1]
        cols += [np.full(n_nodes, 2), np.full(n_nodes, 1)]  # success: node (1, 1) = 2; failure: (1, 0) = 1
        vals += [np.full(n_nodes, m0), np.full(n_nodes, 1.0 - m0)]
        P = sp.csr_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(2 * n_nodes, n_nodes)
        )
        R = np.empty((n_nodes, 2))
        R[:, 0] = np.where(inner, m, 1.0 if upper else m)
        R[:, 1] = m0
        res = value_iteration(FiniteMDP(P, R, gamma), tol=tol / (4.0 * (1.0 - gamma)))
        ends.append((1.0 - gamma) * (res.v_upper[0] if upper else res.v_lower[0]))
    return ends[0], ends[1]


def _positive_part_mean(v, s):
    r""":math:`\mathbb E[(v + sZ)^+] = v\Phi(v/s) + s\varphi(v/s)`, :math:`Z \sim N(0, 1)`."""
    from scipy import special

    z = v / s
    return v * special.ndtr(z) + s * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def _normal_depth(n, gamma, tol):
    """Depth N with gamma^N sigma / (sqrt(2 pi (n + N)) (1 - gamma)) <= tol / 2 (sigma = 1 here)."""
    N = 1
    while gamma**N / (math.sqrt(2.0 * math.pi * (n + N)) * (1.0 - gamma)) > tol / 2.0:
        N += 1
    return N


def _normal_calibration(mu, n, sigma, gamma, tol, depth, h):
    """Index interval [lo, hi] of the truncated models on the grid of step h (bisection/Brent in lambda)."""
    from scipy import fft, optimize

    m = int(math.ceil(10.0 * sigma / (math.sqrt(n) * h)))
    x = mu + np.arange(-m, m + 1) * h
    kernels = []
    for k in range(depth):
        s = sigma / math.sqrt((n + k) * (n + k + 1))
        P = int(math.ceil(10.0 * s / h)) + 1  # the hats farther than 10 s carry weight < 1e-22
        d = np.arange(-P, P + 1) * h
        c = (_positive_part_mean(d + h, s) - 2.0 * _positive_part_mean(d, s) + _positive_part_mean(d - h, s)) / h
        size = fft.next_fast_len(x.size + 4 * P)
        kernels.append((P, size, fft.rfft(c, size)))
    t = sigma / math.sqrt(n + depth)

    def gap(lam, upper):
        retire = lam / (1.0 - gamma)
        W = (lam + _positive_part_mean(x - lam, t)) / (1.0 - gamma) if upper else np.maximum(lam, x) / (1.0 - gamma)
        for k in range(depth - 1, -1, -1):
            P, size, kf = kernels[k]
            # the interpolant: constant below the grid (W is non-decreasing and >= the retirement value there),
            # slope 1 / (1 - gamma) above it (W(x + u) <= W(x) + u / (1 - gamma))
            V = np.concatenate([np.full(P, W[0]), W, W[-1] + np.arange(1, P + 1) * h / (1.0 - gamma)])
            EW = fft.irfft(fft.rfft(V, size) * kf, size)[2 * P : 2 * P + x.size]
            cont = x + gamma * EW
            if k == 0:
                return float(cont[m] - retire)
            W = np.maximum(retire, cont)
        raise AssertionError("unreachable")  # pragma: no cover

    ends = []
    for upper in (False, True):
        lo, hi = mu, mu + sigma / ((1.0 - gamma) * math.sqrt(n))
        while gap(hi, upper) > 0.0:  # pragma: no cover (the bound above holds; kept as a guard)
            hi += hi - mu
        root = optimize.brentq(lambda v, u=upper: gap(v, u), lo, hi, xtol=tol / 16.0, rtol=1e-15)
        ends.append(root - tol / 16.0 if not upper else root + tol / 16.0)
    return ends[0], ends[1]


def _normal_index(mu, n, sigma, gamma, tol):
    depth = _normal_depth(n, gamma, tol / sigma)
    h = 0.04 * sigma / math.sqrt(n)
    lo_h, hi_h = _normal_calibration(mu, n, sigma, gamma, tol, depth, h)
    for _ in range(8):
        lo_2, hi_2 = _normal_calibration(mu, n, sigma, gamma, tol, depth, h / 2.0)
        est = abs(0.5 * (lo_h + hi_h) - 0.5 * (lo_2 + hi_2)) / 3.0  # Richardson: the error of the h/2 value / 3
        lo, hi = lo_2 - (lo_h - lo_2) / 3.0 - est, hi_2 - (hi_h - hi_2) / 3.0 + est
        h /= 2.0
        if hi - lo <= tol:
            break
        lo_h, hi_h = lo_2, hi_2
    return lo, hi, depth, h


def gittins_index(
    prior,
    discount,
    *,
    alpha=None,
    beta=None,
    mean=None,
    n=None,
    sigma=None,
    tol=1e-6,
    method="calibration",
) -> GittinsIndex:
    r"""The Gittins index of a Bernoulli arm with a Beta posterior or of a normal arm with a normal posterior.

    Parameters
    ----------
    prior : {"beta", "normal"}
        ``"beta"``: Bernoulli rewards, posterior :math:`\mathrm{Beta}(\alpha, \beta)`; ``"normal"``: rewards
        :math:`N(\theta, \sigma^2)` with :math:`\sigma` known, posterior :math:`\theta \sim N(\text{mean},
        \sigma^2/n)`.
    discount : float
        :math:`\gamma \in (0, 1)`.
    alpha, beta : float
        ``prior="beta"`` only (> 0): with a uniform prior, :math:`\alpha = 1 + \text{successes}`,
        :math:`\beta = 1 + \text{failures}`.
    mean, n, sigma : float
        ``prior="normal"`` only: the posterior mean, the number of observations' worth of information
        (``n > 0``) and the known reward standard deviation (``sigma > 0``).
    tol : float
        Width of the interval (module docstring; for ``"normal"`` keep ``tol >= 1e-5``: the grid is refined
        until the extrapolated values agree to ``tol``).
    method : {"calibration", "restart"}
        Retirement calibration (both priors), or Katehakis & Veinott's restart-in-state MDP solved by value
        iteration (``prior="beta"``; an independent check; its tree has :math:`O(N^2)` states with
        :math:`\gamma^N \le \text{tol}/2`, so keep :math:`\gamma \le 0.95`).

    Returns
    -------
    GittinsIndex

    References
    ----------
    J. C. Gittins, Bandit processes and dynamic allocation indices, JRSS B 41 (1979); M. N. Katehakis,
    A. F. Veinott, Math. Oper. Res. 12(2) (1987); J. Gittins, K. Glazebrook, R. Weber, *Multi-armed Bandit
    Allocation Indices*, 2nd ed., Wiley (2011); W. B. Powell, *Approximate Dynamic Programming*, Wiley (2007),
    Table 10.2 (normal indices).

    Examples
    --------
    >>> from rltheory.bandits import gittins_index
    >>> c = gittins_index("beta", 0.9, alpha=2, beta=2, tol=1e-5)
    >>> r = gittins_index("beta", 0.9, alpha=2, beta=2, tol=1e-5, method="restart")
    >>> max(c.lower, r.lower) <= min(c.upper, r.upper), round(c.index, 4)  # the intervals meet; table: 0.6346
    (True, 0.6346)
    >>> g = gittins_index("normal", 0.7, mean=1.0, n=2, sigma=0.5, tol=1e-4)
    >>> g.lower <= g.upper, g.lower > 1.0  # above the posterior mean: information is worth something
    (True, True)
    """
    prior = check_choice("gittins_index: prior", prior, ("beta", "normal"))
    gamma = check_real("gittins_index: discount", discount, low=0.0, high=1.0, low_open=True, high_open=True)
    tol = check_tol(tol, "gittins_index: tol")
    method = check_choice("gittins_index: method", method, ("calibration", "restart"))
    own = ("alpha", "beta") if prior == "beta" else ("mean", "n", "sigma")
    given = {"alpha": alpha, "beta": beta, "mean": mean, "n": n, "sigma": sigma}
    for name, value in given.items():
        if (name in own) != (value is not None):
            raise ValueError(
                f"gittins_index: {name} is {'required' if name in own else 'not a parameter'} for prior={prior!r}"
                f" (its parameters: {', '.join(own)})"
            )
    if prior == "normal":
        if method != "calibration":
            raise ValueError("gittins_index: method='restart' is for prior='beta'; use method='calibration'")
        mu = check_real("gittins_index: mean", mean)
        nn = check_real("gittins_index: n", n, low=0.0, low_open=True)
        sd = check_real("gittins_index: sigma", sigma, low=0.0, low_open=True)
        lo, hi, depth, h = _normal_index(mu, nn, sd, gamma, tol)
        return GittinsIndex(
            float(0.5 * (lo + hi)),
            float(lo),
            float(hi),
            prior,
            gamma,
            method,
            int(depth),
            mean=mu,
            n=nn,
            sigma=sd,
            grid_step=float(h),
        )
    a = check_real("gittins_index: alpha", alpha, low=0.0, low_open=True)
    b = check_real("gittins_index: beta", beta, low=0.0, low_open=True)
    n_max = _depth_bound(gamma, tol)
    depth = min(n_max, 64)
    while True:
        if method == "calibration":
            lo, hi = _calibration(a, b, gamma, tol, depth)
        else:
            lo, hi = _restart(a, b, gamma, tol, depth)
        if hi - lo <= tol or depth >= n_max:
            break
        depth = min(n_max, 2 * depth)
    return GittinsIndex(float(0.5 * (lo + hi)), float(lo), float(hi), prior, gamma, method, int(depth), alpha=a, beta=b)
