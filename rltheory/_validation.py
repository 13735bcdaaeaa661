"""Shared input validation and RNG helpers.

Every public entry point of rltheory validates its inputs once and raises a
:class:`ValueError` whose message names *what* is wrong and *where* (the index
and the offending value). Nothing is silently repaired.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_generator",
    "check_discount",
    "check_finite",
    "check_probability_vector",
    "check_shape",
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
    if array.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(array.shape, shape)
    ):
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
