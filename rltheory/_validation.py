"""The one validation module of rltheory.

Every public entry point validates its inputs once, with the checks below, and
raises a :class:`ValueError` whose message names *what* is wrong and *where*
(the argument, the index and the offending value). Nothing is silently
repaired. Subpackages do not define private scalar validators of their own.

Conventions shared by every iterative solver and learner:

* ``tol`` is a finite real ``> 0`` (:func:`check_tol`);
* ``max_iter`` is an int ``>= 0`` (:func:`check_max_iter`); ``max_iter = 0``
  returns the initial iterate, with ``converged`` true only when its own
  certificate already meets ``tol``. Hitting ``max_iter`` never raises: the
  result says ``converged=False``;
* randomness enters through ``rng=`` (:func:`as_generator`), except the
  simulation engine's integer root ``seed`` of its per-run streams.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

__all__ = [
    "PROBABILITY_SUM_ATOL",
    "as_generator",
    "check_choice",
    "check_discount",
    "check_finite",
    "check_int",
    "check_iteration_settings",
    "check_max_iter",
    "check_memory",
    "check_probability",
    "check_probability_vector",
    "check_real",
    "check_shape",
    "check_tol",
    "readonly",
]

#: Tolerance on row sums of stochastic matrices and probability vectors.
PROBABILITY_SUM_ATOL = 1e-10


def readonly(array: np.ndarray) -> np.ndarray:
    """Return ``array`` with its write flag cleared (a view when needed)."""
    array = np.asarray(array)
    if array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array


def check_shape(name: str, array: np.ndarray, shape: tuple) -> None:
    """Raise ``ValueError`` when ``array.shape`` differs from ``shape``.

    ``None`` entries of ``shape`` match any length.
    """
    if array.ndim != len(shape) or any(want is not None and got != want for got, want in zip(array.shape, shape)):
        want = "(" + ", ".join("any" if w is None else str(w) for w in shape) + ")"
        raise ValueError(f"{name} has shape {array.shape}, expected {want}")


def check_finite(name: str, array: np.ndarray) -> None:
    """Raise ``ValueError`` naming the first non-finite entry of ``array``."""
    bad = ~np.isfinite(array)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}{list(index)} is {float(array[index])!r}; all entries must be finite")


def check_probability_vector(name: str, p, n: int | None = None, atol: float = PROBABILITY_SUM_ATOL) -> np.ndarray:
    """Validate a probability vector and return it as a float array.

    Raises
    ------
    ValueError
        On a wrong shape, a non-finite or negative entry, or a sum that is not
        1 within ``atol``.
    """
    p = np.asarray(p, dtype=float)
    check_shape(name, p, (n,))
    check_finite(name, p)
    if (p < 0).any():
        i = int(np.argmax(p < 0))
        raise ValueError(f"{name}[{i}] = {float(p[i])!r} is negative")
    total = p.sum()
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} sums to {float(total)!r}, expected 1 within {atol:g}")
    return p


def check_discount(gamma, *, allow_one: bool = False, name: str = "gamma") -> float:
    """Validate a discount factor in ``[0, 1)`` (or ``[0, 1]`` when ``allow_one``)."""
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {gamma!r}")
    g = float(gamma)
    if not np.isfinite(g) or g < 0 or g > 1 or (g == 1 and not allow_one):
        domain = "[0, 1]" if allow_one else "[0, 1)"
        raise ValueError(f"{name} = {gamma!r} is outside {domain}")
    return g


def as_generator(rng) -> np.random.Generator:
    """Turn ``rng`` (Generator, int seed, SeedSequence or None) into a Generator.

    Never touches NumPy's global random state.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(rng, bool):
            raise ValueError(f"rng must be a Generator, an int seed, a SeedSequence or None, got {rng!r}")
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be a Generator, an int seed, a SeedSequence or None, got {rng!r}")


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Validate an integer (Python or NumPy, not ``bool``) in ``[low, high]`` and return it as ``int``.

    Examples
    --------
    >>> check_int("n_runs", 3, low=1)
    3
    >>> check_int("n_runs", 0, low=1)
    Traceback (most recent call last):
    ...
    ValueError: n_runs = 0 must be >= 1
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int, got {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} = {v} must be >= {low}")
    if high is not None and v > high:
        raise ValueError(f"{name} = {v} must be <= {high}")
    return v


def check_real(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """Validate a real number (not ``bool``, not NaN) in the stated interval and return it as ``float``.

    ``low_open`` / ``high_open`` exclude the end points; infinities are refused
    unless ``allow_inf`` (and then still checked against the bounds).

    Examples
    --------
    >>> check_real("delta", 0.05, low=0.0, high=1.0, low_open=True, high_open=True)
    0.05
    >>> check_real("delta", 1.0, low=0.0, high=1.0, low_open=True, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: delta = 1.0 must be < 1.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} = {value!r} must be {'>' if low_open else '>='} {low}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name} = {value!r} must be {'<' if high_open else '<='} {high}")
    return v


def check_probability(name: str, value, *, open_low: bool = True, open_high: bool = True) -> float:
    """A probability level such as ``delta`` or a confidence: by default in the open interval ``(0, 1)``.

    Examples
    --------
    >>> check_probability("confidence", 0.95)
    0.95
    """
    return check_real(name, value, low=0.0, high=1.0, low_open=open_low, high_open=open_high)


def check_choice(name: str, value, choices):
    """Return ``value`` when it is one of ``choices``; otherwise a ``ValueError`` listing them.

    Examples
    --------
    >>> check_choice("bonus", "bernstein", ("hoeffding", "bernstein"))
    'bernstein'
    """
    if not isinstance(value, (str, int, float, type(None))) or value not in choices:
        raise ValueError(f"{name} = {value!r} must be one of {tuple(choices)}")
    return value


def check_tol(tol, name: str = "tol") -> float:
    """A stopping tolerance: a finite real ``> 0``."""
    return check_real(name, tol, low=0.0, low_open=True)


def check_max_iter(max_iter, name: str = "max_iter") -> int:
    """An iteration cap: an int ``>= 0`` (0 returns the initial iterate, see the module docstring)."""
    return check_int(name, max_iter, low=0)


def check_iteration_settings(tol, max_iter) -> tuple[float, int]:
    """``(check_tol(tol), check_max_iter(max_iter))``: the settings of every iterative solver."""
    return check_tol(tol), check_max_iter(max_iter)


#: Fraction of physical memory above which an up-front allocation is refused.
MEMORY_FRACTION = 0.5


def physical_memory_bytes() -> int | None:
    """Total physical memory in bytes, or ``None`` when the platform does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024.0
    return f"{n:.1f} PiB"  # pragma: no cover


def check_memory(what: str, n_bytes: float, *, limit: float | None = None, advice: str = "") -> None:
    """Refuse, before allocating, an array that cannot fit.

    ``limit`` defaults to :data:`MEMORY_FRACTION` of the physical memory (no
    check when the platform does not report it). The message says how much
    ``what`` would need, the limit, and ``advice``.

    Examples
    --------
    >>> check_memory("the checkpoint arrays", 2**20, limit=2**30)
    >>> check_memory("a dense P", 15 * 2**40, limit=2**30, advice="pass P as a scipy.sparse matrix")
    Traceback (most recent call last):
    ...
    ValueError: a dense P would need 15.0 TiB, more than the limit of 1.0 GiB; pass P as a scipy.sparse matrix
    """
    if limit is None:
        total = physical_memory_bytes()
        if total is None:
            return
        limit = MEMORY_FRACTION * total
    if n_bytes > limit:
        tail = f"; {advice}" if advice else ""
        raise ValueError(
            f"{what} would need {_format_bytes(float(n_bytes))}, more than the limit of "
            f"{_format_bytes(float(limit))}{tail}"
        )
