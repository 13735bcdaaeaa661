"""The chunked experiment runner: many runs x many configurations on an executor.

Every configuration ``(problem, policy)`` is simulated for ``n_runs`` runs of
``horizon`` steps (episodes for a linear MDP). The runs are cut into chunks
``[start, stop)``; each chunk is one simulator call with ``run_start=start``
and ``seed=config_seed`` sent to an executor. The simulator is chosen by the
problem's type (:data:`_SIMULATORS`):

* a :mod:`rltheory.bandits` instance -> :func:`rltheory.bandits.simulate`;
* a :class:`rltheory.linear.LinearBandit` -> :func:`rltheory.linear.simulate_linear`;
* a :class:`rltheory.linear.LinearMDP` -> :func:`rltheory.linear.simulate_linear_mdp`
  (agents :class:`~rltheory.linear.LSVIUCB`, :class:`~rltheory.linear.LMCLSVI`).

All three draw run ``i``'s randomness from ``(seed, i)`` only, so chunks
computed anywhere concatenate into the same numbers bit for bit, whatever the
executor, the number of workers and the chunk size.

Results folder layout (``out_dir``)::

    experiment.json                 marks the folder as an rltheory experiment
    chunks/<k>-<name>/runs-<start>-<stop>.npz    one finished chunk (RegretCurve.save)
    chunks/<k>-<name>/runs-<start>-<stop>.json   its manifest: config hash + file sha256
    curves/<k>-<name>.npz, .csv     the concatenated curve of configuration k
    summary.csv                     the summary table

A chunk is written the moment it finishes, atomically (temporary file in the
same folder, then :func:`os.replace`), the manifest last. ``resume=True`` reuses
a chunk only if its manifest parses, names the expected configuration hash
(sha256 of the canonical JSON of the sha256 of the bandit spec, the policy
spec, horizon, checkpoints, seeds, run range, rltheory version, and the
versions of numpy / numba / Python with a digest of the simulation source:
``rltheory/bandits/*.py``, plus ``rltheory/linear/*.py`` for linear
problems) and the sha256 of every
data file, and if the loaded curve covers exactly the expected runs; anything
else is recomputed and overwritten, never mixed in.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from rltheory import __version__
from rltheory.experiments._executors import SerialExecutor, executor_width

__all__ = [
    "ExperimentConfig",
    "ExperimentResult",
    "SummaryRow",
    "run_experiment",
    "format_summary",
    "config_seed",
    "DEFAULT_CHUNK_SIZE",
]

#: Runs per chunk when ``chunk_size`` is not given. Fixed (not derived from the
#: executor) so that a run resumed on another executor finds its chunk files.
DEFAULT_CHUNK_SIZE = 25

_MARKER = "experiment.json"
_FORMAT = "rltheory-experiment"
_FORMAT_VERSION = 1
_CHUNK_RE = re.compile(r"^runs-(\d{8})-(\d{8})\.(npz|json)$")
_TMP_PREFIX = ".tmp-"


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ExperimentConfig:
    """One line of an experiment: a named ``(problem, policy)`` pair.

    Parameters
    ----------
    name : str
        Label, unique within an experiment (legend, file names, summary).
    bandit : problem instance
        The problem, which also selects the simulator: any
        :mod:`rltheory.bandits` instance (``to_spec()``, ``n_arms``, ...), a
        :class:`rltheory.linear.LinearBandit` or a
        :class:`rltheory.linear.LinearMDP`.
    policy : policy or agent
        For a bandit instance, any :mod:`rltheory.bandits` policy; for a
        ``LinearBandit``, :class:`~rltheory.linear.LinUCB`,
        :class:`~rltheory.linear.LinTS` or
        :class:`~rltheory.linear.PhasedElimination`; for a ``LinearMDP``,
        :class:`~rltheory.linear.LSVIUCB` or :class:`~rltheory.linear.LMCLSVI`.
        It needs ``name`` and ``to_spec()``.

    Examples
    --------
    >>> ExperimentConfig("x", bandit=None, policy=None)
    Traceback (most recent call last):
    ...
    ValueError: ExperimentConfig 'x': bandit must be a bandit instance with to_spec(), got None
    """

    name: str
    bandit: Any
    policy: Any

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"ExperimentConfig: name must be a non-empty string, got {self.name!r}")
        for what in ("bandit", "policy"):
            obj = getattr(self, what)
            if not callable(getattr(obj, "to_spec", None)):
                raise ValueError(
                    f"ExperimentConfig {self.name!r}: {what} must be a {what} instance with to_spec(), got {obj!r}"
                )
        _check_pairing(self.name, self.bandit, self.policy)


@dataclass(frozen=True)
class SummaryRow:
    """Summary of one configuration at the horizon.

    Attributes
    ----------
    name, policy : str
        Configuration label and policy name.
    n_runs, horizon : int
    final_mean, final_lower, final_upper : float
        Mean regret at the last checkpoint and its confidence interval (the
        ``RegretCurve`` interval: ``mean``, ``lower``, ``upper``).
    slope, slope_lower, slope_upper : float
        Least-squares slope of ``log(mean regret)`` against ``log t`` over the
        last decade of checkpoints ``[T/10, T]`` with its confidence interval
        (``RegretCurve.slope``): about 0 for logarithmic regret, 1/2 for
        ``sqrt(T)`` regret, 1 for linear regret.
    lai_robbins_ratio : float
        Mean regret at ``T`` divided by the Lai-Robbins curve
        ``sum_i Delta_i log(T) / KL(mu_i, mu*)`` at ``T`` (Lai & Robbins 1985,
        Theorem 2); ``nan`` for non-stochastic instances, linear bandits and
        linear MDPs.
    """

    name: str
    policy: str
    n_runs: int
    horizon: int
    final_mean: float
    final_lower: float
    final_upper: float
    slope: float
    slope_lower: float
    slope_upper: float
    lai_robbins_ratio: float


@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` returns.

    Attributes
    ----------
    configs : tuple of ExperimentConfig
    curves : Mapping[str, RegretCurve]
        Read-only mapping from configuration name to its full regret curve
        (all ``n_runs`` runs, chunks concatenated in run order).
    summary : tuple of SummaryRow
        One row per configuration, in ``configs`` order.
    horizon, n_runs, seed, checkpoints, chunk_size : int
    out_dir : pathlib.Path or None
        Results folder, or ``None`` when nothing was written.
    chunks_computed, chunks_reused : int
        Chunks simulated by this call, and chunks taken from ``out_dir``.
    chunks_rejected : tuple of str
        One message per chunk file found in ``out_dir`` but not reused (hash
        mismatch, corrupted file, wrong run range); those chunks were recomputed.
    """

    configs: tuple
    curves: Mapping[str, Any]
    summary: tuple
    horizon: int
    n_runs: int
    seed: int
    checkpoints: int
    chunk_size: int
    out_dir: Path | None
    chunks_computed: int
    chunks_reused: int
    chunks_rejected: tuple = field(default=())

    def format_summary(self) -> str:
        """The summary as a plain-text table (see :func:`format_summary`)."""
        return format_summary(self.summary)


# --------------------------------------------------------------------------- helpers


def config_seed(seed: int, index: int) -> int:
    """Seed of configuration ``index``: ``SeedSequence(seed).spawn(...)[index]``.

    The child ``np.random.SeedSequence(seed, spawn_key=(index,))`` is the
    ``index``-th child of ``SeedSequence(seed).spawn(n)`` for every ``n``, so a
    configuration's seed does not depend on how many configurations there are.
    Its first 64-bit word, shifted to 63 bits, is passed to ``simulate``.

    Examples
    --------
    >>> config_seed(0, 1) == config_seed(0, 1) != config_seed(0, 2)
    True
    """
    child = np.random.SeedSequence(seed, spawn_key=(index,))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _canonical_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.").lower()
    return s[:60] or "config"


def _check_positive_int(value, what):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what}: expected a positive integer, got {value!r}")
    return int(value)


def _atomic_write_bytes(path: Path, data: bytes):
    fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with _suppress_oserror():
            os.unlink(tmp)
        raise


class _suppress_oserror:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return exc_type is not None and issubclass(exc_type, OSError)


def _atomic_save(save: Callable[[Path], None], path: Path):
    """Call ``save(tmp_path)`` in a private temporary folder, then move the file in place.

    Returns ``{file name: sha256}`` of the file(s) produced (``save`` may write
    sidecar files next to ``tmp_path``; they are moved too).
    """
    tmpdir = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=path.parent))
    try:
        save(tmpdir / path.name)
        produced = sorted(p for p in tmpdir.iterdir() if p.is_file())
        if not produced:
            raise ValueError(f"saving {path.name}: the save function wrote no file")
        digests = {}
        for p in produced:
            with open(p, "rb") as f:
                os.fsync(f.fileno())
            digests[p.name] = _sha256_file(p)
        for p in produced:
            os.replace(p, path.parent / p.name)
        return digests
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _spec_for_marker(bandit, limit=100_000):
    """The bandit spec for ``experiment.json``, or its sha256 when the JSON is large."""
    text = _canonical_json(bandit.to_spec())
    if len(text) <= limit:
        return bandit.to_spec()
    return {"type": type(bandit).__name__, "sha256": _sha256_bytes(text.encode("ascii"))}


# --------------------------------------------------------------------------- simulator dispatch


def _problem_kind(problem):
    """``"linear-bandit"``, ``"linear-mdp"`` or ``"bandit"``, from the problem's type.

    ``rltheory.linear`` is looked up in ``sys.modules`` rather than imported: if
    it was never imported, no object can be an instance of its classes, and
    experiments on plain bandits do not pay for importing it.
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


def _check_pairing(name, problem, policy):
    """A clear ``ValueError`` now, rather than an error in a worker, for a policy the problem's simulator rejects."""
    kind = _problem_kind(problem)
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


def _simulate_chunk(bandit, policy, horizon, n_runs, run_start, seed, checkpoints):
    """Task sent to the executor: one chunk of runs (module-level, picklable).

    Runs ``[run_start, run_start + n_runs)`` of the simulator of the problem's
    type (:data:`_SIMULATORS`); ``horizon`` is the number of episodes for a
    linear MDP.
    """
    _, chunk = _SIMULATORS[_problem_kind(bandit)]
    return chunk(bandit, policy, horizon, n_runs, run_start, seed, checkpoints)


# --------------------------------------------------------------------------- chunk plan


def _load_regret_curve(path):
    from rltheory.bandits import RegretCurve

    return RegretCurve.load(path)


def _check_curve_range(curve, start, stop):
    """``None`` if ``curve`` holds exactly runs ``[start, stop)``, else the reason."""
    got_start = int(getattr(curve, "run_start", -1))
    got_n = int(np.shape(curve.regret)[0])
    if got_start != start or got_n != stop - start:
        return f"holds runs [{got_start}, {got_start + got_n}) instead of [{start}, {stop})"
    return None


@dataclass(frozen=True)
class _ChunkJob:
    """One unit of work: ``task(*args)`` computes runs ``[start, stop)`` of config ``index``."""

    index: int
    start: int
    stop: int
    task: Callable
    args: tuple
    digest: str
    description: Mapping


def _chunk_ranges(n_runs, chunk_size):
    return [(a, min(a + chunk_size, n_runs)) for a in range(0, n_runs, chunk_size)]


def _engine_fingerprint():
    """Versions and source digest of the simulation code, part of every chunk hash.

    A chunk computed by other code (an edited kernel, another numpy / numba /
    Python, which can change the floating-point results) gets another hash and
    is recomputed instead of being mixed in.
    """
    import platform

    import numba

    import rltheory.bandits as bandits_pkg

    h = hashlib.sha256()
    for path in sorted(Path(bandits_pkg.__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return {
        "bandits_source_sha256": h.hexdigest(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
    }


def _linear_source_digest():
    """sha256 of ``rltheory/linear/*.py``: added to the chunk hash of linear problems."""
    import rltheory.linear as linear_pkg

    h = hashlib.sha256()
    for path in sorted(Path(linear_pkg.__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _plan(configs, *, horizon, n_runs, seed, checkpoints, chunk_size):
    jobs = []
    engine = _engine_fingerprint()
    kinds = [_problem_kind(cfg.bandit) for cfg in configs]
    if any(kind != "bandit" for kind in kinds):
        # the linear simulators use the bandits engine's streams and curves, and their own kernels
        linear_engine = dict(engine, linear_source_sha256=_linear_source_digest())
    for k, cfg in enumerate(configs):
        cseed = config_seed(seed, k)
        simulator, _ = _SIMULATORS[kinds[k]]
        # The bandit spec can be large (a SequenceBandit holds its reward table):
        # it enters the chunk hash through its own sha256, computed once.
        try:
            bandit_json = _canonical_json(cfg.bandit.to_spec())
        except (TypeError, ValueError) as exc:
            raise ValueError(f"config {cfg.name!r}: bandit spec is not canonical JSON: {exc}") from exc
        base = {
            "kind": simulator,
            "bandit_type": type(cfg.bandit).__name__,
            "bandit_sha256": _sha256_bytes(bandit_json.encode("ascii")),
            "policy": cfg.policy.to_spec(),
            "horizon": horizon,
            "checkpoints": checkpoints,
            "seed": seed,
            "config_index": k,
            "config_seed": cseed,
            "rltheory": __version__,
            "engine": engine if kinds[k] == "bandit" else linear_engine,
        }
        for a, b in _chunk_ranges(n_runs, chunk_size):
            desc = dict(base, run_start=a, run_stop=b)
            try:
                text = _canonical_json(desc)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"config {cfg.name!r}: bandit/policy spec is not canonical JSON: {exc}") from exc
            jobs.append(
                _ChunkJob(
                    index=k,
                    start=a,
                    stop=b,
                    task=_simulate_chunk,
                    args=(cfg.bandit, cfg.policy, horizon, b - a, a, cseed, checkpoints),
                    digest=_sha256_bytes(text.encode("ascii")),
                    description=desc,
                )
            )
    return jobs


# --------------------------------------------------------------------------- chunk store


class _ChunkStore:
    """Chunk files of one results folder (see the module docstring)."""

    def __init__(self, out_dir, names, *, description, load, check, resume=True):
        self.root = Path(out_dir)
        self.resume = resume
        self.names = names
        self.description = description
        self.load_fn = load
        self.check_fn = check
        self.rejected = []

    # layout
    def config_dir(self, index):
        return self.root / "chunks" / f"{index:03d}-{_slug(self.names[index])}"

    def paths(self, job):
        d = self.config_dir(job.index)
        stem = f"runs-{job.start:08d}-{job.stop:08d}"
        return d / f"{stem}.npz", d / f"{stem}.json"

    # folder validation
    def prepare(self, jobs):
        root = self.root
        if root.exists() and not root.is_dir():
            raise ValueError(f"out_dir: {str(root)!r} exists and is not a folder")
        marker = root / _MARKER
        chunks = root / "chunks"
        if root.is_dir():
            if marker.exists():
                self._read_marker(marker)
            elif chunks.exists() or (root / "curves").exists():
                raise ValueError(
                    f"out_dir: {str(root)!r} holds 'chunks'/'curves' entries but no {_MARKER}: "
                    "these are not files of an rltheory experiment; choose another folder"
                )
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"out_dir: cannot create {str(root)!r}: {exc}") from exc
        for sub in ("chunks", "curves"):
            p = root / sub
            if p.exists() and not p.is_dir():
                raise ValueError(f"out_dir: {str(p)!r} should be a folder but is a file")
        for k in sorted({j.index for j in jobs}):
            d = self.config_dir(k)
            if d.exists() and not d.is_dir():
                raise ValueError(f"out_dir: {str(d)!r} should be a folder but is a file")
        for job in jobs:
            for p in self.paths(job):
                if p.exists() and not p.is_file():
                    raise ValueError(f"out_dir: {str(p)!r} should be a chunk file but is a folder")
        outputs = [root / "summary.csv"] + [
            root / "curves" / f"{k:03d}-{_slug(name)}{ext}" for k, name in enumerate(self.names) for ext in (".npz", ".csv")
        ]
        for p in outputs:
            if p.exists() and not p.is_file():
                raise ValueError(f"out_dir: {str(p)!r} should be a file but is a folder")
        # writability: actually write (permissions alone lie for root and on odd file systems)
        try:
            for k in sorted({j.index for j in jobs}):
                self.config_dir(k).mkdir(parents=True, exist_ok=True)
            (root / "curves").mkdir(exist_ok=True)
            _atomic_write_bytes(
                marker, (json.dumps(self.description, indent=2, sort_keys=True) + "\n").encode()
            )
            for k in sorted({j.index for j in jobs}):
                probe = tempfile.NamedTemporaryFile(prefix=_TMP_PREFIX, dir=self.config_dir(k), delete=True)
                probe.close()
        except OSError as exc:
            raise ValueError(f"out_dir: {str(root)!r} is not writable: {exc}") from exc
        self._remove_stale_temporaries(jobs)

    def _read_marker(self, marker):
        try:
            data = json.loads(marker.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(
                f"out_dir: {str(marker)!r} is not an rltheory experiment marker ({exc}); choose another folder"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(
                f"out_dir: {str(marker)!r} exists but was not written by rltheory "
                f"(no \"format\": \"{_FORMAT}\"); choose another folder"
            )

    def _remove_stale_temporaries(self, jobs):
        for k in sorted({j.index for j in jobs}):
            for p in self.config_dir(k).glob(_TMP_PREFIX + "*"):
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    with _suppress_oserror():
                        p.unlink()

    # reading
    def load(self, job):
        """The stored chunk of ``job`` if valid; else ``None`` (reason recorded when a file existed)."""
        data_path, manifest_path = self.paths(job)
        if not self.resume or (not manifest_path.exists() and not data_path.exists()):
            return None
        reason = None
        curve = None
        try:
            manifest = json.loads(manifest_path.read_text())
            if not isinstance(manifest, dict):
                raise ValueError("manifest is not a JSON object")
            if manifest.get("config_sha256") != job.digest:
                reason = "configuration hash mismatch (chunk of another experiment or configuration)"
            else:
                files = manifest.get("files")
                if not isinstance(files, dict) or data_path.name not in files:
                    raise ValueError("manifest lists no data file")
                for fname, digest in files.items():
                    if Path(fname).name != fname:
                        raise ValueError(f"manifest names a file outside the chunk folder: {fname!r}")
                    if _sha256_file(data_path.parent / fname) != digest:
                        reason = f"file {fname} is corrupted (sha256 mismatch)"
                        break
                if reason is None:
                    curve = self.load_fn(data_path)
                    reason = self.check_fn(curve, job.start, job.stop)
        except FileNotFoundError as exc:
            reason = f"incomplete chunk ({Path(exc.filename).name if exc.filename else exc} missing)"
        except Exception as exc:  # unreadable manifest or data: recompute
            reason = f"unreadable ({type(exc).__name__}: {exc})"
        if reason is not None:
            self.rejected.append(f"{data_path.relative_to(self.root)}: {reason}; recomputed")
            return None
        return curve

    # writing
    def write(self, job, curve):
        data_path, manifest_path = self.paths(job)
        with _suppress_oserror():
            manifest_path.unlink()  # never leave an old manifest next to new data
        files = _atomic_save(curve.save, data_path)
        manifest = {
            "format": _FORMAT + "-chunk",
            "config_sha256": job.digest,
            "config": job.description,
            "files": files,
        }
        _atomic_write_bytes(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())


# --------------------------------------------------------------------------- execution


def _progress_bar(total, initial, progress, desc):
    from tqdm import tqdm  # plain bars: tqdm.auto warns in kernels without ipywidgets

    # disable=None: tqdm turns itself off when stderr is not a terminal.
    return tqdm(total=total, initial=initial, desc=desc, unit="chunk", disable=None if progress else True)


def _execute(jobs, *, executor, store, progress, desc="chunks"):
    """Run ``jobs`` on ``executor``; returns ``(results by job position, n_reused)``.

    Chunks already valid in ``store`` are loaded instead of computed. At most
    ``2 * executor_width(executor)`` chunks are in flight (1 for the serial
    executor); each finished chunk is written to ``store`` before more work is
    submitted, so an interruption loses only the chunks in flight.
    """
    results = [None] * len(jobs)
    todo = []
    for pos, job in enumerate(jobs):
        curve = store.load(job) if store is not None else None
        if curve is None:
            todo.append(pos)
        else:
            results[pos] = curve
    n_reused = len(jobs) - len(todo)
    window = 1 if isinstance(executor, SerialExecutor) else 2 * executor_width(executor)
    bar = _progress_bar(len(jobs), n_reused, progress, desc)
    pending = {}
    queue = iter(todo)
    try:
        while True:
            while len(pending) < window:
                pos = next(queue, None)
                if pos is None:
                    break
                job = jobs[pos]
                pending[executor.submit(job.task, *job.args)] = pos
            if not pending:
                break
            done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            failure = None
            for fut in sorted(done, key=pending.__getitem__):
                pos = pending.pop(fut)
                try:
                    curve = fut.result()
                except BaseException as exc:  # write the other finished chunks first
                    if failure is None:
                        failure = exc
                    continue
                if store is not None:
                    store.write(jobs[pos], curve)
                results[pos] = curve
                bar.update(1)
            if failure is not None:
                raise failure
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise
    finally:
        bar.close()
    return results, n_reused


# --------------------------------------------------------------------------- summary


def _lai_robbins_ratio(bandit, mean_final, horizon):
    if _problem_kind(bandit) != "bandit":
        return math.nan  # no Lai-Robbins constant for linear bandits / linear MDPs
    from rltheory import bandits as _b

    sequence_type = getattr(_b, "SequenceBandit", None)
    if sequence_type is not None and isinstance(bandit, sequence_type):
        return math.nan
    try:
        # Lai & Robbins (1985), Theorem 2: liminf R_T / log T >= sum_i Delta_i / KL(mu_i, mu*).
        ref = float(np.asarray(_b.lai_robbins_curve(bandit, np.array([horizon], dtype=float))).reshape(-1)[-1])
    except (ValueError, TypeError, NotImplementedError, AttributeError):
        return math.nan
    if not np.isfinite(ref) or ref <= 0:
        return math.nan
    return float(mean_final) / ref


def _slope_fit(curve, horizon):
    times = np.asarray(curve.times)
    t_min = max(float(times[0]), horizon / 10.0)
    try:
        fit = curve.slope(t_min, float(horizon))
    except ValueError:
        return math.nan, math.nan, math.nan
    lower = getattr(fit, "lower", None)
    upper = getattr(fit, "upper", None)
    if lower is None or upper is None:
        ci = getattr(fit, "ci", None)
        lower, upper = (ci if ci is not None else (math.nan, math.nan))
    return float(fit.slope), float(lower), float(upper)


def _summary_row(cfg, curve, horizon):
    mean = np.asarray(curve.mean)
    lower = np.asarray(curve.lower)
    upper = np.asarray(curve.upper)
    slope, s_lo, s_hi = _slope_fit(curve, horizon)
    return SummaryRow(
        name=cfg.name,
        policy=str(getattr(cfg.policy, "name", type(cfg.policy).__name__)),
        n_runs=int(np.shape(curve.regret)[0]),
        horizon=int(horizon),
        final_mean=float(mean[-1]),
        final_lower=float(lower[-1]),
        final_upper=float(upper[-1]),
        slope=slope,
        slope_lower=s_lo,
        slope_upper=s_hi,
        lai_robbins_ratio=_lai_robbins_ratio(cfg.bandit, mean[-1], horizon),
    )


def _fmt(x, spec):
    return "-" if not np.isfinite(x) else format(x, spec)


def format_summary(rows) -> str:
    """Plain-text table of :class:`SummaryRow` s.

    Columns: configuration, runs, final mean regret with the half-width of its
    confidence interval, the log-log slope over ``[T/10, T]`` with its interval,
    and the ratio to the Lai-Robbins curve at ``T`` ("-" when undefined).

    Examples
    --------
    >>> row = SummaryRow("UCB1", "UCB1", 10, 100, 5.0, 4.0, 6.0, 0.3, 0.2, 0.4, 1.5)
    >>> print(format_summary([row]))  # doctest: +NORMALIZE_WHITESPACE
    config  runs  horizon  regret(T)    +-  slope  slope CI       R(T)/LR(T)
    UCB1      10      100       5.00  1.00  0.300  [0.200, 0.400]      1.500
    """
    header = ["config", "runs", "horizon", "regret(T)", "+-", "slope", "slope CI", "R(T)/LR(T)"]
    lines = [header]
    for r in rows:
        half = 0.5 * (r.final_upper - r.final_lower)
        ci = "-" if not (np.isfinite(r.slope_lower) and np.isfinite(r.slope_upper)) else (
            f"[{r.slope_lower:.3f}, {r.slope_upper:.3f}]"
        )
        lines.append(
            [
                r.name,
                str(r.n_runs),
                str(r.horizon),
                _fmt(r.final_mean, ".2f"),
                _fmt(half, ".2f"),
                _fmt(r.slope, ".3f"),
                ci,
                _fmt(r.lai_robbins_ratio, ".3f"),
            ]
        )
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
    out = []
    for line in lines:
        cells = [line[0].ljust(widths[0])] + [line[c].rjust(widths[c]) for c in range(1, len(header))]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def _summary_csv(rows) -> bytes:
    buf = io.StringIO()
    names = [f.name for f in dataclasses.fields(SummaryRow)]
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for r in rows:
        writer.writerow([getattr(r, n) for n in names])
    return buf.getvalue().encode()


# --------------------------------------------------------------------------- public entry point


def run_experiment(
    configs,
    *,
    horizon,
    n_runs,
    seed=0,
    out_dir=None,
    executor=None,
    chunk_size=None,
    resume=False,
    checkpoints=200,
    progress=True,
):
    """Simulate every configuration for ``n_runs`` runs, in chunks, on an executor.

    Configuration ``k`` uses the seed :func:`config_seed` ``(seed, k)`` (the
    ``k``-th child of ``np.random.SeedSequence(seed)``); its runs
    ``0..n_runs-1`` are split into chunks ``[a, b)`` of ``chunk_size`` runs and
    each chunk is one call ``simulate(bandit, policy, horizon, b - a,
    run_start=a, seed=config_seed(seed, k), checkpoints=checkpoints)`` of the
    problem's simulator (:func:`rltheory.bandits.simulate`,
    :func:`rltheory.linear.simulate_linear` or
    :func:`rltheory.linear.simulate_linear_mdp`). Since run ``i`` of each
    depends only on ``(seed, i)``, the returned curves are bit-identical for
    every executor and every chunk size.

    Parameters
    ----------
    configs : sequence of ExperimentConfig
        Unique names.
    horizon, n_runs : int
        Steps per run (episodes for a linear MDP) and runs per configuration.
    seed : int
        Master seed.
    out_dir : str or path-like, optional
        Results folder (layout in :mod:`rltheory.experiments._runner`). Each
        finished chunk is written there at once, atomically, with a manifest
        holding the sha256 of its configuration and of its data; the full
        curves go to ``curves/`` and the summary to ``summary.csv``.
    executor : concurrent.futures.Executor, optional
        Where chunks run; default an in-process :class:`SerialExecutor`. Use
        :func:`make_executor` for local processes or a Dask cluster.
    chunk_size : int, optional
        Runs per chunk (default :data:`DEFAULT_CHUNK_SIZE`, capped at ``n_runs``).
    resume : bool
        Reuse the valid chunks already in ``out_dir``; chunks that are missing,
        corrupted, of another configuration or of another run range are
        recomputed (listed in ``chunks_rejected``), never mixed in.
    checkpoints : int
        Checkpoints per curve (passed to the simulator).
    progress : bool
        tqdm bar over chunks (also off when stderr is not a terminal).

    Returns
    -------
    ExperimentResult

    Raises
    ------
    ValueError
        Bad sizes, duplicate names, ``resume`` without ``out_dir``, or a bad
        results folder (a file where a folder is expected, unwritable, or
        files with our names that rltheory did not write).

    Notes
    -----
    Ctrl-C, a killed worker or a killed process lose only the chunks in flight
    (at most ``2 * workers``): rerun with ``resume=True``.

    Examples
    --------
    >>> from rltheory.bandits import BernoulliBandit, KLUCB, UCB1
    >>> bandit = BernoulliBandit([0.9, 0.8])
    >>> configs = [ExperimentConfig("UCB1", bandit, UCB1()), ExperimentConfig("KL-UCB", bandit, KLUCB())]
    >>> res = run_experiment(configs, horizon=500, n_runs=6, chunk_size=4, checkpoints=20, progress=False)
    >>> res.curves["UCB1"].regret.shape[0], res.chunks_computed
    (6, 4)
    >>> one = run_experiment(configs, horizon=500, n_runs=6, chunk_size=6, checkpoints=20, progress=False)
    >>> bool((one.curves["KL-UCB"].regret == res.curves["KL-UCB"].regret).all())  # chunking-invariant
    True
    """
    configs = tuple(configs)
    if not configs:
        raise ValueError("configs: expected at least one ExperimentConfig")
    for k, cfg in enumerate(configs):
        if not isinstance(cfg, ExperimentConfig):
            raise ValueError(f"configs[{k}]: expected an ExperimentConfig, got {type(cfg).__name__}")
    names = [c.name for c in configs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"configs: names must be unique, repeated: {dup}")
    horizon = _check_positive_int(horizon, "horizon")
    n_runs = _check_positive_int(n_runs, "n_runs")
    checkpoints = _check_positive_int(checkpoints, "checkpoints")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    seed = int(seed)
    chunk_size = n_runs if chunk_size is None and n_runs < DEFAULT_CHUNK_SIZE else chunk_size
    chunk_size = _check_positive_int(DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size, "chunk_size")
    if resume and out_dir is None:
        raise ValueError("resume=True needs out_dir (the folder holding the chunks to resume)")
    if executor is not None and not isinstance(executor, cf.Executor):
        raise ValueError(f"executor: expected a concurrent.futures.Executor, got {type(executor).__name__}")

    jobs = _plan(configs, horizon=horizon, n_runs=n_runs, seed=seed, checkpoints=checkpoints, chunk_size=chunk_size)
    store = None
    if out_dir is not None:
        description = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "rltheory": __version__,
            "horizon": horizon,
            "n_runs": n_runs,
            "seed": seed,
            "checkpoints": checkpoints,
            "chunk_size": chunk_size,
            "configs": [
                {"name": c.name, "bandit": _spec_for_marker(c.bandit), "policy": c.policy.to_spec()} for c in configs
            ],
        }
        store = _ChunkStore(
            out_dir, names, description=description, load=_load_regret_curve, check=_check_curve_range, resume=resume
        )
        store.prepare(jobs)
    own_executor = executor is None
    executor = SerialExecutor() if own_executor else executor
    try:
        results, n_reused = _execute(jobs, executor=executor, store=store, progress=progress)
    finally:
        if own_executor:
            executor.shutdown()

    from rltheory.bandits import RegretCurve

    curves = {}
    for k, cfg in enumerate(configs):
        parts = [r for job, r in zip(jobs, results) if job.index == k]
        curves[cfg.name] = parts[0] if len(parts) == 1 else RegretCurve.concatenate(parts)
    rows = tuple(_summary_row(cfg, curves[cfg.name], horizon) for cfg in configs)
    if store is not None:
        root = store.root
        for k, cfg in enumerate(configs):
            stem = f"{k:03d}-{_slug(cfg.name)}"
            _atomic_save(curves[cfg.name].save, root / "curves" / f"{stem}.npz")
            _atomic_save(curves[cfg.name].to_csv, root / "curves" / f"{stem}.csv")
        _atomic_write_bytes(root / "summary.csv", _summary_csv(rows))
    return ExperimentResult(
        configs=configs,
        curves=types.MappingProxyType(curves),
        summary=rows,
        horizon=horizon,
        n_runs=n_runs,
        seed=seed,
        checkpoints=checkpoints,
        chunk_size=chunk_size,
        out_dir=None if store is None else store.root,
        chunks_computed=len(jobs) - n_reused,
        chunks_reused=n_reused,
        chunks_rejected=tuple(store.rejected) if store is not None else (),
    )
