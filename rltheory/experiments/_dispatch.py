"""The one place where the runner meets the simulators: one chunk of runs of a ``(problem, policy)`` pair.

The rest of :mod:`rltheory.experiments` calls only these functions:

* :func:`simulate_chunk` -- runs ``[run_start, run_start + n_runs)`` of the
  simulator of the problem's type (the executor's task; module level, so it
  pickles by reference);
* :func:`check_pairing` -- a clear ``ValueError`` up front for a policy the
  problem's simulator rejects;
* :func:`source_fingerprint` -- versions and source digest of the code that
  computes a problem's chunks (part of every chunk hash);
* :func:`problem_kind` -- ``"bandit"``, ``"linear-bandit"`` or ``"linear-mdp"``
  (plot titles, the Lai-Robbins column of the summary).

The simulator is chosen by the problem's type:

* a :mod:`rltheory.bandits` instance -> :func:`rltheory.bandits.simulate`;
* a :class:`rltheory.linear.LinearBandit` -> :func:`rltheory.linear.simulate_linear`;
* a :class:`rltheory.linear.LinearMDP` -> :func:`rltheory.linear.simulate_linear_mdp`
  (agents :class:`~rltheory.linear.LSVIUCB`, :class:`~rltheory.linear.LMCLSVI`).

All three draw run ``i``'s randomness from ``(seed, i)`` only, so chunks
computed anywhere concatenate into the same numbers bit for bit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import platform
import sys
from pathlib import Path

import numpy as np

__all__ = ["simulate_chunk", "check_pairing", "source_fingerprint", "problem_kind"]


def problem_kind(problem) -> str:
    """``"linear-bandit"``, ``"linear-mdp"`` or ``"bandit"``, from the problem's type.

    ``rltheory.linear`` is looked up in ``sys.modules`` rather than imported: if
    it was never imported, no object can be an instance of its classes, and
    experiments on plain bandits do not pay for importing it.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit
    >>> problem_kind(BernoulliBandit([0.5, 0.4]))
    'bandit'
    """
    linear = sys.modules.get("rltheory.linear")
    if linear is not None:
        if isinstance(problem, linear.LinearBandit):
            return "linear-bandit"
        if isinstance(problem, linear.LinearMDP):
            return "linear-mdp"
    return "bandit"


def _linear_policy_types(kind):
    """The policy types a linear problem of ``kind`` accepts; every linear policy type for ``"bandit"``."""
    linear = sys.modules.get("rltheory.linear")
    if linear is None:
        return ()
    bandit_policies = (linear.LinUCB, linear.LinTS, linear.PhasedElimination)
    mdp_agents = (linear.LSVIUCB, linear.LMCLSVI)
    return {"linear-bandit": bandit_policies, "linear-mdp": mdp_agents}.get(kind, bandit_policies + mdp_agents)


def check_pairing(name, problem, policy) -> None:
    """A clear ``ValueError`` now, rather than an error in a worker, for a policy the problem's simulator rejects.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> check_pairing("ok", BernoulliBandit([0.5, 0.4]), UCB1()) is None
    True
    """
    kind = problem_kind(problem)
    accepted = _linear_policy_types(kind)
    if kind == "bandit":
        if isinstance(policy, accepted):
            raise ValueError(
                f"ExperimentConfig {name!r}: {type(policy).__name__} is a policy of rltheory.linear; "
                f"it runs on a LinearBandit or a LinearMDP, not on a {type(problem).__name__}"
            )
    elif not isinstance(policy, accepted):
        raise ValueError(
            f"ExperimentConfig {name!r}: a {type(problem).__name__} needs a policy among "
            f"{', '.join(t.__name__ for t in accepted)}, got {type(policy).__name__}"
        )


def _bandit_chunk(bandit, policy, horizon, n_runs, run_start, seed, checkpoints):
    from rltheory.bandits import simulate

    return simulate(
        bandit, policy, horizon, n_runs, seed=seed, checkpoints=checkpoints, run_start=run_start, progress=False
    )


def _linear_bandit_chunk(bandit, policy, horizon, n_runs, run_start, seed, checkpoints):
    from rltheory.linear import simulate_linear

    return simulate_linear(
        bandit, policy, horizon, n_runs, seed=seed, checkpoints=checkpoints, run_start=run_start, progress=False
    )


def _linear_mdp_chunk(mdp, agent, horizon, n_runs, run_start, seed, checkpoints):
    from rltheory.linear import simulate_linear_mdp

    return simulate_linear_mdp(mdp, agent, horizon, n_runs, seed=seed, checkpoints=checkpoints, run_start=run_start)


#: problem kind -> (simulator name recorded in the chunk hash, chunk function)
_SIMULATORS = {
    "bandit": ("rltheory.bandits.simulate", _bandit_chunk),
    "linear-bandit": ("rltheory.linear.simulate_linear", _linear_bandit_chunk),
    "linear-mdp": ("rltheory.linear.simulate_linear_mdp", _linear_mdp_chunk),
}


def _as_constructed(obj):
    """``obj`` as its constructor makes it: a frozen dataclass is rebuilt with :func:`dataclasses.replace`.

    Unpickling (what a worker process receives) turns the read-only arrays of a
    validated problem into writable ones. Numba's array type includes the
    read-only flag, so the worker's kernel call would have another signature
    than the driver's, miss the compiled-code cache that a serial run filled,
    and compile the kernel again in every worker. Rebuilding runs the
    problem's ``__post_init__``, which makes its arrays read-only again.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj)
    return obj


def simulate_chunk(problem, policy, horizon, n_runs, run_start, seed, checkpoints):
    """Runs ``[run_start, run_start + n_runs)`` of ``policy`` on ``problem``: one chunk, a ``RegretCurve``.

    ``horizon`` is the number of rounds (episodes for a linear MDP); run ``i``
    depends only on ``(seed, i)``. Problem and policy are first rebuilt as
    their constructor makes them (:func:`_as_constructed`), so that a chunk
    run in a worker process has the same Numba signature as in the driver and
    loads the same cached kernel.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, UCB1
    >>> c = simulate_chunk(BernoulliBandit([0.6, 0.4]), UCB1(), 100, 2, 5, 7, 10)
    >>> c.regret.shape[0], c.run_start
    (2, 5)
    """
    problem, policy = _as_constructed(problem), _as_constructed(policy)
    _, chunk = _SIMULATORS[problem_kind(problem)]
    return chunk(problem, policy, horizon, n_runs, run_start, seed, checkpoints)


def _source_digest(package) -> str:
    h = hashlib.sha256()
    for path in sorted(Path(package.__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _engine_fingerprint():
    """Versions and source digest of the bandit simulation code."""
    import numba

    import rltheory.bandits as bandits_pkg

    return {
        "bandits_source_sha256": _source_digest(bandits_pkg),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
    }


def _linear_source_digest():
    """sha256 of ``rltheory/linear/*.py``: added to the fingerprint of linear problems."""
    import rltheory.linear as linear_pkg

    return _source_digest(linear_pkg)


def source_fingerprint(problem) -> dict:
    """What the numbers of a chunk of ``problem`` depend on besides its arguments: a JSON-able dict.

    The simulator's name, the versions of numpy / numba / Python and the
    sha256 of the simulation source (``rltheory/bandits/*.py``, plus
    ``rltheory/linear/*.py`` for linear problems). A chunk computed by other
    code (an edited kernel, another numpy, which can change floating-point
    results) gets another chunk hash and is recomputed instead of being mixed in.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit
    >>> fp = source_fingerprint(BernoulliBandit([0.5, 0.4]))
    >>> fp["simulator"], sorted(fp)
    ('rltheory.bandits.simulate', ['bandits_source_sha256', 'numba', 'numpy', 'python', 'simulator'])
    """
    kind = problem_kind(problem)
    fingerprint = dict(_engine_fingerprint(), simulator=_SIMULATORS[kind][0])
    if kind != "bandit":
        # the linear simulators use the bandits engine's streams and curves, and their own kernels
        fingerprint["linear_source_sha256"] = _linear_source_digest()
    return fingerprint
