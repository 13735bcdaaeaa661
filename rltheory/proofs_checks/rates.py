r"""Rate fitting: log-log slopes, linear (geometric) rates, logarithmic growth, with bootstrap CIs.

Three models, each fitted by least squares after a transformation:

* ``power``:        :math:`y \approx C x^{p}` — slope of :math:`\log y` on :math:`\log x`;
* ``exponential``:  :math:`y \approx C \rho^{k}` — :math:`\rho = \exp(\text{slope of } \log y \text{ on } k)`;
* ``logarithmic``:  :math:`y \approx a + c \log x` — slope of :math:`y` on :math:`\log x`
  (regret curves of order :math:`\log T`).

Confidence intervals are percentile bootstrap intervals (Efron & Tibshirani
1993, *An Introduction to the Bootstrap*, Section 13.3), seeded. When ``y``
has replicates (shape ``(n_points, n_runs)``) the runs are resampled at every
point and the curve of means is refitted; otherwise the points are resampled
in pairs.

Examples
--------
>>> import numpy as np
>>> from rltheory.proofs_checks.rates import fit_power_law, assert_rate_at_most
>>> x = np.array([10, 20, 40, 80, 160])
>>> fit = fit_power_law(x, 3.0 * x ** -0.5 * np.array([1.01, 0.99, 1.0, 1.02, 0.98]), seed=0)
>>> bool(fit.ci[0] <= -0.5 <= fit.ci[1])
True
>>> assert_rate_at_most(fit, -0.4)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "RateFit",
    "Sweep",
    "fit_power_law",
    "fit_exponential_rate",
    "fit_log_growth",
    "sweep",
    "sweep_rate",
    "assert_rate_at_most",
    "assert_rate_at_least",
]

_KINDS = ("power", "exponential", "logarithmic")


@dataclass(frozen=True, eq=False)
class RateFit:
    """A fitted rate.

    Attributes
    ----------
    kind : str
        ``"power"`` (``exponent`` = p in ``C x^p``), ``"exponential"``
        (``exponent`` = rho in ``C rho^k``) or ``"logarithmic"`` (``exponent``
        = c in ``a + c log x``).
    x, y : numpy.ndarray
        The fitted data (``y`` the mean curve when replicates were given).
    exponent : float
    ci : (float, float)
        Percentile bootstrap interval at level ``confidence``.
    intercept : float
        ``log C`` (power, exponential) or ``a`` (logarithmic).
    r_squared : float
        Coefficient of determination of the transformed regression.
    confidence : float
    n_bootstrap : int

    Examples
    --------
    >>> from rltheory.proofs_checks.rates import fit_power_law
    >>> fit = fit_power_law([1, 2, 4, 8], [8.0, 4.0, 2.0, 1.0])
    >>> fit.kind, round(fit.exponent, 12), round(fit.r_squared, 12)
    ('power', -1.0, 1.0)
    """

    kind: str
    x: np.ndarray
    y: np.ndarray
    exponent: float
    ci: tuple[float, float]
    intercept: float
    r_squared: float
    confidence: float
    n_bootstrap: int

    def predict(self, x) -> np.ndarray:
        """The fitted curve at ``x``.

        Examples
        --------
        >>> from rltheory.proofs_checks.rates import fit_power_law
        >>> fit_power_law([1, 2, 4, 8], [8.0, 4.0, 2.0, 1.0]).predict([16.0]).round(12)
        array([0.5])
        """
        x = np.asarray(x, dtype=float)
        if self.kind == "power":
            return np.exp(self.intercept) * x**self.exponent
        if self.kind == "exponential":
            return np.exp(self.intercept) * self.exponent**x
        return self.intercept + self.exponent * np.log(x)

    def describe(self) -> str:
        """One line: model, exponent and CI.

        Examples
        --------
        >>> from rltheory.proofs_checks.rates import fit_exponential_rate
        >>> fit_exponential_rate([0, 1, 2, 3], [1.0, 0.5, 0.25, 0.125]).describe()
        'C rho^k, rho = 0.5 [0.5, 0.5] (95% bootstrap CI, R^2 = 1.000)'
        """
        form = {"power": "C x^p, p", "exponential": "C rho^k, rho", "logarithmic": "a + c log x, c"}[self.kind]
        lo, hi = self.ci
        ci = f"{self.confidence:.0%} bootstrap CI, R^2 = {self.r_squared:.3f}"
        return f"{form} = {self.exponent:.4g} [{lo:.4g}, {hi:.4g}] ({ci})"


@dataclass(frozen=True, eq=False)
class Sweep:
    """Outputs of :func:`sweep`: ``outputs[i, j]`` is run ``j`` at ``values[i]``.

    Examples
    --------
    >>> from rltheory.proofs_checks.rates import sweep
    >>> s = sweep(lambda x, rng: x * 2.0, [1, 2, 3], n_repeats=2)
    >>> s.values, s.outputs
    (array([1, 2, 3]), array([[2., 2.],
           [4., 4.],
           [6., 6.]]))
    """

    values: np.ndarray
    outputs: np.ndarray


def _check_xy(x, y, name_x: str, positive_x: bool, positive_y: bool):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{name_x} must be 1-d, got shape {x.shape}")
    if y.ndim == 1:
        y = y[:, None]
        replicated = False
    elif y.ndim == 2:
        replicated = y.shape[1] > 1
    else:
        raise ValueError(f"y must have shape (n,) or (n, n_runs), got {y.shape}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y has {y.shape[0]} rows but {name_x} has {x.shape[0]} points")
    if x.shape[0] < 3:
        raise ValueError(f"need at least 3 points to fit a rate with a confidence interval, got {x.shape[0]}")
    for name, arr in ((name_x, x), ("y", y)):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(
                f"{name}{np.argwhere(bad)[0].tolist()} is {float(arr[tuple(np.argwhere(bad)[0])])!r}; must be finite"
            )
    if positive_x and (x <= 0).any():
        i = int(np.argmax(x <= 0))
        raise ValueError(f"{name_x}[{i}] = {float(x[i])!r} must be > 0 (a log is taken)")
    if np.unique(x).size < 2:
        raise ValueError(f"{name_x} needs at least two distinct values")
    if positive_y:
        means = y.mean(axis=1)
        if (means <= 0).any():
            i = int(np.argmax(means <= 0))
            raise ValueError(f"y at point {i} has mean {float(means[i])!r}; must be > 0 (a log is taken)")
    return x, y, replicated


def _slopes(u: np.ndarray, w: np.ndarray):
    """Least-squares slope and intercept of w on u along the last axis (vectorized)."""
    um = u.mean(axis=-1, keepdims=True)
    wm = w.mean(axis=-1, keepdims=True)
    du = u - um
    var = (du * du).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (du * (w - wm)).sum(axis=-1) / var
    return slope, wm[..., 0] - slope * um[..., 0]


def _fit(kind, x, y, *, confidence, n_bootstrap, seed):
    if not 0 < confidence < 1:
        raise ValueError(f"confidence = {confidence!r} must be in (0, 1)")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 100:
        raise ValueError(f"n_bootstrap = {n_bootstrap!r} must be an integer >= 100")
    tx = {"power": np.log, "exponential": lambda a: a, "logarithmic": np.log}[kind]
    ty = {"power": np.log, "exponential": np.log, "logarithmic": lambda a: a}[kind]
    u = tx(x)
    ymean = y.mean(axis=1)
    import scipy.stats  # deferred: importing rltheory.proofs_checks stays cheap

    reg = scipy.stats.linregress(u, ty(ymean))
    rng = np.random.default_rng(np.random.SeedSequence(0 if seed is None else seed))
    n, r = y.shape
    if r > 1:
        # resample runs independently at every point, refit the curve of means
        idx = rng.integers(0, r, size=(n_bootstrap, n, r))
        boot_means = np.take_along_axis(np.broadcast_to(y, (n_bootstrap, n, r)), idx, axis=2).mean(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = ty(boot_means)
        uu = np.broadcast_to(u, w.shape)
    else:
        idx = rng.integers(0, n, size=(n_bootstrap, n))
        uu = u[idx]
        w = ty(ymean)[idx]
    slopes, _ = _slopes(uu, w)
    slopes = slopes[np.isfinite(slopes)]  # resamples with a single distinct x or a non-positive mean
    if slopes.size < n_bootstrap // 2:
        raise ValueError(
            "bootstrap failed: most resamples were degenerate (too few distinct points or non-positive means)"
        )
    alpha = 1 - confidence
    lo, hi = np.quantile(slopes, [alpha / 2, 1 - alpha / 2])
    slope = float(reg.slope)
    if kind == "exponential":
        exponent, ci = float(np.exp(slope)), (float(np.exp(lo)), float(np.exp(hi)))
    else:
        exponent, ci = slope, (float(lo), float(hi))
    return RateFit(
        kind=kind,
        x=x,
        y=ymean,
        exponent=exponent,
        ci=ci,
        intercept=float(reg.intercept),
        r_squared=float(reg.rvalue**2),
        confidence=float(confidence),
        n_bootstrap=int(n_bootstrap),
    )


def fit_power_law(x, y, *, confidence: float = 0.95, n_bootstrap: int = 2000, seed: int | None = 0) -> RateFit:
    r"""Fit :math:`y \approx C x^p` by least squares on :math:`(\log x, \log y)`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Positive parameter values (T, n, 1/epsilon, ...), ``n >= 3``.
    y : array_like, shape (n,) or (n, n_runs)
        Positive errors / regrets; with replicates the mean curve is fitted and
        runs are bootstrapped.
    confidence : float
    n_bootstrap : int
    seed : int, optional
        Seed of the bootstrap (``None`` = 0).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.proofs_checks.rates import fit_power_law
    >>> round(fit_power_law([1, 2, 4, 8], [1, 4, 16, 64]).exponent, 12)
    2.0
    """
    x, y, _ = _check_xy(x, y, "x", positive_x=True, positive_y=True)
    return _fit("power", x, y, confidence=confidence, n_bootstrap=n_bootstrap, seed=seed)


def fit_exponential_rate(
    iterations, errors, *, confidence: float = 0.95, n_bootstrap: int = 2000, seed: int | None = 0
) -> RateFit:
    r"""Fit a linear (geometric) rate :math:`e_k \approx C \rho^k` by least squares on :math:`(k, \log e_k)`.

    ``exponent`` is :math:`\rho`; a theorem "converges linearly at rate
    gamma" is checked with ``assert_rate_at_most(fit, gamma)``. Errors must be
    positive: drop iterations at machine precision before fitting.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.proofs_checks.rates import fit_exponential_rate
    >>> k = np.arange(10)
    >>> round(fit_exponential_rate(k, 5 * 0.9 ** k).exponent, 12)
    0.9
    """
    k, e, _ = _check_xy(iterations, errors, "iterations", positive_x=False, positive_y=True)
    return _fit("exponential", k, e, confidence=confidence, n_bootstrap=n_bootstrap, seed=seed)


def fit_log_growth(x, y, *, confidence: float = 0.95, n_bootstrap: int = 2000, seed: int | None = 0) -> RateFit:
    r"""Fit :math:`y \approx a + c \log x` (e.g. regret :math:`\approx c \log T`); ``exponent`` is ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.proofs_checks.rates import fit_log_growth
    >>> T = np.array([10, 100, 1000, 10000])
    >>> round(fit_log_growth(T, 2 + 3 * np.log(T)).exponent, 12)
    3.0
    """
    x, y, _ = _check_xy(x, y, "x", positive_x=True, positive_y=False)
    return _fit("logarithmic", x, y, confidence=confidence, n_bootstrap=n_bootstrap, seed=seed)


def sweep(fn, values, *, n_repeats: int = 1, seed: int | None = 0, progress: bool | None = None) -> Sweep:
    """Call ``fn(value, rng) -> float`` for every value and repeat, with independent spawned generators.

    Generators come from ``np.random.SeedSequence(seed).spawn(len(values) * n_repeats)``
    in row-major order, so a run's randomness does not depend on the others.

    Examples
    --------
    >>> from rltheory.proofs_checks.rates import sweep
    >>> s = sweep(lambda n, rng: rng.normal(size=n).mean() ** 2, [10, 100, 1000], n_repeats=4, seed=1)
    >>> s.outputs.shape
    (3, 4)
    """
    from tqdm import tqdm  # plain bars: tqdm.auto warns in kernels without ipywidgets

    values = np.asarray(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-d sequence, got shape {values.shape}")
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise ValueError(f"n_repeats = {n_repeats!r} must be an integer >= 1")
    if progress is None:
        import sys

        progress = sys.stderr.isatty()
    children = np.random.SeedSequence(seed).spawn(values.size * n_repeats)
    out = np.empty((values.size, n_repeats))
    with tqdm(total=out.size, desc="sweep", disable=not progress) as bar:
        for i, value in enumerate(values):
            for j in range(n_repeats):
                out[i, j] = float(fn(value.item(), np.random.default_rng(children[i * n_repeats + j])))
                bar.update()
    return Sweep(values=values, outputs=out)


def sweep_rate(
    fn,
    values,
    *,
    kind: str = "power",
    n_repeats: int = 1,
    seed: int | None = 0,
    confidence: float = 0.95,
    n_bootstrap: int = 2000,
    progress: bool | None = None,
) -> RateFit:
    """:func:`sweep` then fit the outputs against the values with the model ``kind``.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.proofs_checks.rates import sweep_rate, assert_rate_at_most
    >>> fit = sweep_rate(lambda n, rng: abs(rng.normal(size=n).mean()), [100, 400, 1600, 6400],
    ...                  n_repeats=50, seed=0)
    >>> bool(fit.ci[0] <= -0.5 <= fit.ci[1])
    True
    """
    if kind not in _KINDS:
        raise ValueError(f"kind = {kind!r} must be one of {_KINDS}")
    s = sweep(fn, values, n_repeats=n_repeats, seed=seed, progress=progress)
    fitter = {"power": fit_power_law, "exponential": fit_exponential_rate, "logarithmic": fit_log_growth}[kind]
    return fitter(s.values.astype(float), s.outputs, confidence=confidence, n_bootstrap=n_bootstrap, seed=seed)


def assert_rate_at_most(fit: RateFit, exponent: float) -> None:
    """One-sided test of an upper-bound rate: fail only if the whole CI lies above ``exponent``.

    For ``kind="power"`` ``exponent`` is the claimed ``p`` (e.g. ``-0.5`` for
    an ``O(n^{-1/2})`` error); for ``"exponential"`` the claimed ``rho``; for
    ``"logarithmic"`` the claimed constant ``c``.

    Raises
    ------
    AssertionError
        When ``fit.ci[0] > exponent``.

    Examples
    --------
    >>> from rltheory.proofs_checks.rates import assert_rate_at_most, fit_power_law
    >>> fit = fit_power_law([10, 100, 1000], [1.0, 0.1, 0.01])  # error ~ n^-1
    >>> assert_rate_at_most(fit, -0.5)  # O(n^-1/2) holds: no error
    >>> assert_rate_at_most(fit, -2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: fitted rate C x^p, p = -1 [-1, -1] ... is significantly above the claimed -2
    """
    if fit.ci[0] > exponent:
        raise AssertionError(f"fitted rate {fit.describe()} is significantly above the claimed {exponent:.4g}")


def assert_rate_at_least(fit: RateFit, exponent: float) -> None:
    """One-sided test of a lower-bound rate: fail only if the whole CI lies below ``exponent``.

    Raises
    ------
    AssertionError
        When ``fit.ci[1] < exponent``.

    Examples
    --------
    >>> from rltheory.proofs_checks.rates import assert_rate_at_least, fit_log_growth
    >>> import numpy as np
    >>> T = np.array([10.0, 100.0, 1000.0])
    >>> fit = fit_log_growth(T, 3.0 * np.log(T))  # regret 3 log T
    >>> assert_rate_at_least(fit, 2.0)  # at least 2 log T: holds
    """
    if fit.ci[1] < exponent:
        raise AssertionError(f"fitted rate {fit.describe()} is significantly below the claimed {exponent:.4g}")
