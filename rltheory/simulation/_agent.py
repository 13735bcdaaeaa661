"""The one agent protocol: every sequential learner is a frozen record of its parameters with compiled functions.

An *agent* is a frozen dataclass whose fields are its parameters. Its class
carries

* ``name``: the registry name (``to_spec()["type"]``), unique over all agents;
* ``kind``: the problem kind it runs on (``"bandit"``, ``"linear-bandit"``,
  ``"episodic"``, ...), set by the kind's base class (:class:`rltheory.bandits.BanditAgent`,
  :class:`rltheory.linear.LinearBanditAgent`, :class:`EpisodicAgent`);
* the kind's *function slots*: Numba-compiled functions over explicit state
  arrays (for a bandit agent ``init``, ``select``, ``update``), which the
  engine compiles into one kernel per agent class
  (:func:`rltheory.simulation.simulate`);
* ``Params``: a :class:`typing.NamedTuple` of the values the compiled functions
  read, by name (``params.alpha``), built by :meth:`Agent.compiled_params`
  from the record's fields and the problem's public dimensions.

``params()`` / ``to_spec()`` describe the record as JSON, and
:func:`agent_from_spec` inverts ``to_spec()`` for every registered agent
(built-in or user-defined: defining a subclass with a ``name`` registers it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

__all__ = ["Agent", "NoParams", "agent_from_spec", "registered_agents"]

_REGISTRY: dict[str, type] = {}
_BUILTIN_PREFIX = "rltheory."


class NoParams(NamedTuple):
    """The compiled parameters of an agent that has none.

    Examples
    --------
    >>> from rltheory.bandits import TsallisINF
    >>> TsallisINF().compiled_params(None, 100) == NoParams()
    True
    """


@dataclass(frozen=True)
class Agent:
    """Base of every sequential learner (see the module docstring for the protocol).

    Subclasses are frozen dataclasses. A problem kind's base class sets
    ``kind`` and ``slots`` (the names of the class attributes that hold the
    jitted functions); a concrete agent sets ``name``, the functions (as
    ``staticmethod``), and ``Params`` when its functions read parameters.

    Examples
    --------
    >>> from rltheory.bandits import UCB1
    >>> from rltheory.simulation import agent_from_spec
    >>> UCB1(alpha=1.5).to_spec()
    {'type': 'UCB1', 'params': {'alpha': 1.5}}
    >>> agent_from_spec(UCB1(alpha=1.5).to_spec())
    UCB1(alpha=1.5)
    """

    name: ClassVar[str] = "Agent"
    kind: ClassVar[str | None] = None
    slots: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type] = NoParams

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if isinstance(name, str):
            previous = _REGISTRY.get(name)
            if (
                previous is not None
                and previous.__module__.startswith(_BUILTIN_PREFIX)
                and not cls.__module__.startswith(_BUILTIN_PREFIX)
            ):
                raise ValueError(f"agent name {name!r} is taken by the built-in {previous.__qualname__}")
            _REGISTRY[name] = cls

    # ------------------------------------------------------------ description
    def params(self) -> dict:
        """The record's parameters as a JSON-serialisable dict (its dataclass fields).

        Examples
        --------
        >>> from rltheory.bandits import KLUCB
        >>> KLUCB(c=3.0).params()
        {'c': 3.0, 'family': 'bernoulli', 'sigma': 1.0}
        """
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_spec(self) -> dict:
        """``{"type": name, "params": params()}``, inverted by :func:`agent_from_spec`.

        Examples
        --------
        >>> from rltheory.linear import LSVIUCB
        >>> LSVIUCB(beta=0.5).to_spec()
        {'type': 'LSVI-UCB', 'params': {'beta': 0.5, 'regularization': 1.0, 'delta': 0.01}}
        """
        return {"type": self.name, "params": self.params()}

    # ----------------------------------------------------------- compilation
    def compiled_params(self, problem, budget: int):
        """The ``Params`` record passed to the compiled functions.

        The default fills ``Params`` from the record's fields of the same
        names (so an agent whose compiled parameters are exactly its fields
        needs nothing more); agents with derived values (a horizon-dependent
        rate, a flag from a string option) override it. ``problem`` is the
        validated problem (agents read only its public dimensions) and
        ``budget`` the number of rounds or episodes of the run.

        Examples
        --------
        >>> from rltheory.bandits import EXP3, BernoulliBandit
        >>> params = EXP3().compiled_params(BernoulliBandit([0.5, 0.4, 0.3]), 1000)
        >>> params._fields, round(params.gamma, 6)  # sqrt(K ln K / ((e - 1) T)), Auer et al. (2002b), Cor. 3.2
        (('gamma',), 0.043796)
        """
        fields = getattr(self.Params, "_fields", ())
        return self.Params(**{f: getattr(self, f) for f in fields})

    @classmethod
    def functions(cls) -> tuple:
        """The compiled functions of this agent class, in the order of its kind's ``slots``.

        Examples
        --------
        >>> from rltheory.bandits import UCB1
        >>> UCB1.slots, [f.py_func.__name__ for f in UCB1.functions()]
        (('init', 'select', 'update'), ['_ucb1_init', '_ucb1_select', '_ucb1_update'])
        """
        return tuple(getattr(cls, slot, None) for slot in cls.slots)


def registered_agents() -> dict[str, type]:
    """Registry name -> agent class, for every agent class defined so far (built-in and user).

    Examples
    --------
    >>> import rltheory.bandits
    >>> "KLUCB" in registered_agents()
    True
    """
    return dict(sorted(_REGISTRY.items()))


def agent_from_spec(spec: dict) -> Agent:
    """Rebuild an agent from ``agent.to_spec()`` (built-in or registered user agent).

    Examples
    --------
    >>> from rltheory.bandits import KLUCB
    >>> agent_from_spec({"type": "KLUCB", "params": {"c": 3.0}})
    KLUCB(c=3.0, family='bernoulli', sigma=1.0)
    """
    if not isinstance(spec, dict) or "type" not in spec:
        raise ValueError(f"an agent spec is a dict with a 'type' key, got {spec!r:.200}")
    kind = spec["type"]
    if kind not in _REGISTRY:
        raise ValueError(f"unknown agent type {kind!r}; registered: {sorted(_REGISTRY)}")
    params = spec.get("params", {})
    if not isinstance(params, dict):
        raise ValueError(f"agent spec 'params' must be a dict, got {params!r:.200}")
    cls = _REGISTRY[kind]
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - names)
    if unknown:
        raise ValueError(f"unknown parameters {unknown} for {kind}; it takes {sorted(names)}")
    return cls(**params)
