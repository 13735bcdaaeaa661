"""Experiments from a TOML file: ``rltheory run experiment.toml``.

A file describes the problem instances, the configurations (an instance and an agent each), the budget,
the runs, the seed and the checkpoints, and the figure; :func:`load_config_file` validates it and turns
it into a :class:`~rltheory.experiments.Reproduction`, whose configurations are the same
:class:`~rltheory.experiments.ExperimentConfig` s a catalogue entry builds. ``rltheory run`` runs them
with the same runner and results folder as ``rltheory reproduce`` (so ``--resume`` and ``--overwrite``
work the same), and the numbers of a file equal those of the catalogue entry it transcribes.

The format (every key is checked; an unknown key is an error naming it)::

    name = "bernoulli-two-arms"     # required: label of the figure and of the results folder
    description = "..."             # optional text (shown by the run)
    citation = "..."                # optional
    budget = 5000                   # required: rounds (episodes) per run
    runs = 100                      # required: runs per configuration
    seed = 0                        # optional (default 0): master seed; --seed overrides it
    checkpoints = 200               # optional (default 200): checkpoints per curve
    full_budget = 5000              # optional (default budget), full_runs likewise

    [instances.two-arms]            # one table per instance, referred to by its label:
    type = "BernoulliBandit"        #   either a problem spec (the fields of problem.to_spec())
    means = [0.9, 0.8]

    [instances.river]               #   or a bundled environment of rltheory.tabular.envs
    env = "river_swim"
    params = { n_states = 6, gamma = 1, variant = "osband" }

    [[configs]]                     # one table per configuration, in order
    name = "KL-UCB"                 # optional (default: the agent's type)
    instance = "two-arms"
    agent = { type = "KLUCB", params = { c = 0.0 } }   # an agent spec (agent.to_spec())

    [plot]                          # optional: the figure (keys of Reproduction)
    overlays = ["lai-robbins"]      # keys of rltheory.experiments.OVERLAYS
    log_x = true                    # also log_y, final_boxplot, final_vs_dim, also_linear
    panels = "instance"             # or "single"

Problem specs are inverted by :func:`rltheory.bandits.bandit_from_spec`,
:func:`rltheory.bandits.preference_model_from_spec`, the ``from_spec`` class methods of the identification
problems, and otherwise by the constructor of the public problem class named by ``type`` (``FiniteMDP``,
``LinearBandit``, ``LinearMDP``, ...); agent specs by :func:`rltheory.simulation.agent_from_spec`.
Files for some catalogue entries ship with the package (:func:`config_files`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rltheory._validation import check_int
from rltheory.experiments._catalogue import Reproduction
from rltheory.experiments._records import ExperimentConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["load_config_file", "reproduction_from_config", "config_files", "resolve_config_file"]

_TOP = ("name", "description", "citation", "budget", "runs", "seed", "checkpoints", "full_budget", "full_runs")
_TABLES = ("instances", "configs", "plot")
_PLOT_BOOLS = ("log_x", "log_y", "final_vs_dim", "final_boxplot", "also_linear")
_PREFERENCE_TYPES = ("PreferenceMatrix", "BradleyTerry", "PlackettLuce")
_IDENTIFICATION_TYPES = ("IdentificationProblem", "FixedBudgetProblem")


def config_files() -> dict:
    """The experiment files shipped with rltheory: name -> path (``rltheory/experiments/configs/*.toml``).

    Examples
    --------
    >>> "bernoulli-two-arms" in config_files()
    True
    """
    folder = Path(__file__).with_name("configs")
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def resolve_config_file(name) -> Path:
    """The path of ``name``: an existing file, else the shipped file of that name (with or without ``.toml``).

    Examples
    --------
    >>> resolve_config_file("riverswim").name
    'riverswim.toml'
    >>> resolve_config_file("no-such-file.toml")
    Traceback (most recent call last):
    ...
    ValueError: no such experiment file 'no-such-file.toml' (and no shipped one of that name; shipped: ...)
    """
    path = Path(name)
    if path.exists():
        return path
    shipped = config_files()
    stem = path.name[:-5] if path.name.endswith(".toml") else path.name
    if path.parent == Path(".") and stem in shipped:
        return shipped[stem]
    raise ValueError(
        f"no such experiment file {str(name)!r} (and no shipped one of that name; shipped: {list(shipped)})"
    )


def _problem_types():
    """Public problem classes with ``to_spec``, by name, from the subpackages that define problems."""
    from rltheory import bandits, linear, tabular

    out = {}
    for mod in (bandits, linear, tabular):
        for name in mod.__all__:
            obj = getattr(mod, name, None)
            if isinstance(obj, type) and callable(getattr(obj, "to_spec", None)):
                out.setdefault(name, obj)
    return out


def _problem_from_spec(spec, where):
    from rltheory import bandits

    kind = spec.get("type")
    if not isinstance(kind, str):
        raise ValueError(f"{where}: 'type' must be a problem type name (or give 'env'), got {kind!r}")
    try:
        if kind in _PREFERENCE_TYPES:
            return bandits.preference_model_from_spec(spec)
        if kind in _IDENTIFICATION_TYPES:
            return getattr(bandits, kind).from_spec(spec)
        types = _problem_types()
        if kind in ("BernoulliBandit", "GaussianBandit", "BoundedBandit", "SequenceBandit") or kind not in types:
            return bandits.bandit_from_spec(spec)
        return types[kind](**{k: v for k, v in spec.items() if k != "type"})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _instance(label, table, where):
    where = f"{where}: [instances.{label}]"
    if not isinstance(table, dict):
        raise ValueError(f"{where}: expected a table, got {table!r:.100}")
    if "env" in table:
        from rltheory.tabular import envs

        unknown = sorted(set(table) - {"env", "params"})
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown} next to 'env' (expected 'params')")
        name = table["env"]
        if not isinstance(name, str) or name not in envs.__all__ or not callable(getattr(envs, name)):
            raise ValueError(f"{where}: env = {name!r} is not an environment of rltheory.tabular.envs")
        params = table.get("params", {})
        if not isinstance(params, dict):
            raise ValueError(f"{where}: params must be a table, got {params!r:.100}")
        try:
            return getattr(envs, name)(**params)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {name}(**params): {exc}") from exc
    return _problem_from_spec(table, where)


def _agent(spec, where):
    from rltheory.simulation import agent_from_spec

    if not isinstance(spec, dict):
        raise ValueError(f"{where}: agent must be a table {{type = ..., params = {{...}}}}, got {spec!r:.100}")
    unknown = sorted(set(spec) - {"type", "params"})
    if unknown:
        raise ValueError(f"{where}: agent has unknown key(s) {unknown} (expected 'type' and 'params')")
    try:
        return agent_from_spec(spec)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: agent: {exc}") from exc


def _bool(value, name):
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def _text(data, key, where, default=None):
    value = data.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ValueError(f"{where}: {key} must be a {'non-empty ' if default is None else ''}string, got {value!r}")
    return value


def reproduction_from_config(data: dict, where: str = "experiment file") -> tuple:
    """Validate a parsed experiment file; returns ``(Reproduction, seed, checkpoints)``.

    ``where`` (the file name) starts every error message, which then names the key.

    Examples
    --------
    >>> data = {"name": "demo", "budget": 100, "runs": 2,
    ...         "instances": {"b": {"type": "BernoulliBandit", "means": [0.6, 0.4]}},
    ...         "configs": [{"instance": "b", "agent": {"type": "UCB1"}}]}
    >>> rep, seed, checkpoints = reproduction_from_config(data)
    >>> [c.name for c in rep.configs()], rep.budget, seed, checkpoints
    (['UCB1'], 100, 0, 200)
    >>> reproduction_from_config(dict(data, runs=0), "demo.toml")
    Traceback (most recent call last):
    ...
    ValueError: demo.toml: runs = 0 must be >= 1
    >>> reproduction_from_config(dict(data, horizon=5), "demo.toml")
    Traceback (most recent call last):
    ...
    ValueError: demo.toml: unknown key(s) ['horizon']; expected some of ['name', 'description', ...]
    """
    from rltheory.experiments._plots import OVERLAYS

    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a TOML document (a table), got {type(data).__name__}")
    unknown = sorted(set(data) - set(_TOP) - set(_TABLES))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {list(_TOP + _TABLES)}")
    for key in ("name", "budget", "runs", "instances", "configs"):
        if key not in data:
            raise ValueError(f"{where}: missing required key {key!r}")
    name = _text(data, "name", where)
    description = _text(data, "description", where, default="")
    citation = _text(data, "citation", where, default="")
    budget = check_int(f"{where}: budget", data["budget"], low=1)
    runs = check_int(f"{where}: runs", data["runs"], low=1)
    seed = check_int(f"{where}: seed", data.get("seed", 0), low=0)
    checkpoints = check_int(f"{where}: checkpoints", data.get("checkpoints", 200), low=1)
    full_budget = check_int(f"{where}: full_budget", data.get("full_budget", budget), low=budget)
    full_runs = check_int(f"{where}: full_runs", data.get("full_runs", runs), low=runs)

    tables = data["instances"]
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f"{where}: [instances] must be a non-empty table of instance tables")
    instances = {label: _instance(label, table, where) for label, table in tables.items()}

    entries = data["configs"]
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{where}: [[configs]] must be a non-empty array of tables")
    configs = []
    for i, entry in enumerate(entries):
        at = f"{where}: configs[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{at}: expected a table, got {entry!r:.100}")
        unknown = sorted(set(entry) - {"name", "instance", "agent"})
        if unknown:
            raise ValueError(f"{at}: unknown key(s) {unknown}; expected 'name', 'instance' and 'agent'")
        for key in ("instance", "agent"):
            if key not in entry:
                raise ValueError(f"{at}: missing required key {key!r}")
        label = entry["instance"]
        if label not in instances:
            raise ValueError(f"{at}: instance = {label!r} is not one of [instances]: {list(instances)}")
        agent = _agent(entry["agent"], at)
        label_name = entry.get("name", agent.name)
        if not isinstance(label_name, str) or not label_name.strip():
            raise ValueError(f"{at}: name must be a non-empty string, got {label_name!r}")
        try:
            configs.append(ExperimentConfig(label_name, instances[label], agent))
        except ValueError as exc:
            raise ValueError(f"{at}: {exc}") from exc
    names = [c.name for c in configs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{where}: configs: names must be unique, repeated: {dup}")

    plot = data.get("plot", {})
    if not isinstance(plot, dict):
        raise ValueError(f"{where}: [plot] must be a table")
    unknown = sorted(set(plot) - {"overlays", "panels", *_PLOT_BOOLS})
    if unknown:
        raise ValueError(
            f"{where}: [plot] has unknown key(s) {unknown}; expected some of {['overlays', 'panels', *_PLOT_BOOLS]}"
        )
    overlays = plot.get("overlays", [])
    if not isinstance(overlays, list) or any(o not in OVERLAYS for o in overlays):
        raise ValueError(f"{where}: [plot] overlays = {overlays!r} must be a list of {sorted(OVERLAYS)}")
    panels = plot.get("panels", "instance")
    if panels not in ("instance", "single"):
        raise ValueError(f"{where}: [plot] panels = {panels!r} must be 'instance' or 'single'")
    flags = {key: _bool(plot.get(key, False), f"{where}: [plot] {key}") for key in _PLOT_BOOLS}

    frozen = tuple(configs)
    rep = Reproduction(
        name=name,
        description=description,
        citation=citation,
        build_configs=lambda budget: frozen,
        budget=budget,
        n_runs=runs,
        full_budget=full_budget,
        full_runs=full_runs,
        overlays=tuple(overlays),
        panels=panels,
        **flags,
    )
    return rep, seed, checkpoints


def load_config_file(path) -> tuple:
    """Read and validate an experiment file; returns ``(Reproduction, seed, checkpoints)``.

    Examples
    --------
    >>> rep, seed, checkpoints = load_config_file(config_files()["bernoulli-two-arms"])
    >>> rep.name, rep.budget, rep.n_runs, seed, rep.overlays
    ('bernoulli-two-arms', 5000, 100, 0, ('lai-robbins',))
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not a valid TOML file: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file: {exc}") from exc
    return reproduction_from_config(data, str(path))
