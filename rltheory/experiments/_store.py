"""The results folder of one experiment: chunk files, manifests, and the rules that keep one experiment per folder.

Layout (``out_dir``)::

    experiment.json                 marks the folder as an rltheory experiment and says which one
    chunks/<k>-<name>/runs-<start>-<stop>.npz    one finished chunk (RegretCurve.save)
    chunks/<k>-<name>/runs-<start>-<stop>.json   its manifest: chunk hash + file sha256
    curves/<k>-<name>.npz, .csv     the concatenated curve of configuration k
    summary.csv                     the summary table
    <extra files>                   files the caller writes too (the CLI's figure), listed in experiment.json

A chunk is written the moment it finishes, atomically (:mod:`._atomic`), the
manifest last. A chunk is reused (``resume=True``) only if its manifest parses,
names the expected chunk hash and the sha256 of every data file, and if the
loaded curve covers exactly the expected runs; anything else is recomputed and
overwritten, never mixed in.

One experiment per folder. The *identity* of an experiment is everything that
fixes the numbers of a run: the configurations (names, problem and agent
specs, in order), the budget, the checkpoints and the seed (``n_runs`` and
the chunk size only say how many runs there are and how they are grouped):

* a folder without ``experiment.json``: rltheory writes its files there, but
  refuses (``ValueError``) if one of its file names (``chunks``, ``curves``,
  ``summary.csv``, an extra file) is already taken: it never overwrites a file
  it did not write, even with ``overwrite=True``;
* a folder holding the same experiment: ``resume=True`` reuses its valid
  chunks, ``resume=False`` recomputes them; chunk files of other run ranges and
  the previous results (curves, summary, extra files) are removed first, so
  the folder never shows a summary of other runs than its marker;
* a folder holding another experiment: refused, unless ``overwrite=True``,
  which first removes every file of the old experiment (the marker last).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from rltheory.experiments import _atomic

__all__ = ["ChunkStore", "MARKER", "FORMAT", "FORMAT_VERSION", "slug", "curve_file", "check_curve_range"]

MARKER = "experiment.json"
FORMAT = "rltheory-experiment"
FORMAT_VERSION = 2
SUMMARY = "summary.csv"
_OWN_FOLDERS = ("chunks", "curves")

#: Marker keys that do not change the numbers of a run (see the module docstring).
_NOT_IDENTITY = ("rltheory", "n_runs", "chunk_size", "outputs")


def slug(name: str) -> str:
    """File-name form of a configuration name (at most 60 characters of ``[a-z0-9._-]``).

    Examples
    --------
    >>> slug("KL-UCB+ (d=5, K=50)")
    'kl-ucb-d-5-k-50'
    """
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.").lower()
    return s[:60] or "config"


def curve_file(root, index: int, name: str, ext: str) -> Path:
    """Where the concatenated curve of configuration ``index`` named ``name`` lives in the folder ``root``.

    Examples
    --------
    >>> curve_file(Path("out"), 2, "KL-UCB", ".npz").as_posix()
    'out/curves/002-kl-ucb.npz'
    """
    return Path(root) / "curves" / f"{index:03d}-{slug(name)}{ext}"


def check_curve_range(curve, start, stop):
    """``None`` if ``curve`` holds exactly runs ``[start, stop)``, else the reason.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import numpy as np
    >>> check_curve_range(SimpleNamespace(run_start=0, regret=np.zeros((2, 3))), 2, 4)
    'holds runs [0, 2) instead of [2, 4)'
    """
    got_start = int(getattr(curve, "run_start", -1))
    got_n = int(curve.regret.shape[0])
    if got_start != start or got_n != stop - start:
        return f"holds runs [{got_start}, {got_start + got_n}) instead of [{start}, {stop})"
    return None


def _identity(description):
    return {k: v for k, v in description.items() if k not in _NOT_IDENTITY}


def _short(value, limit=60):
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _differences(old, new):
    """Human-readable list of what differs between two experiment identities."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "configs" and isinstance(a, list) and isinstance(b, list):
            names_a = [c.get("name") if isinstance(c, dict) else c for c in a]
            names_b = [c.get("name") if isinstance(c, dict) else c for c in b]
            if names_a != names_b:
                out.append(f"configurations {names_a} in the folder, {names_b} asked")
            else:
                changed = [n for n, ca, cb in zip(names_a, a, b) if ca != cb]
                out.append(f"configuration(s) {changed} have another problem or agent")
        else:
            out.append(f"{key} {_short(a)} in the folder, {_short(b)} asked")
    return out


def _unlink(path: Path):
    try:
        path.unlink()
    except FileNotFoundError:
        pass


class ChunkStore:
    """Chunk files of one results folder (see the module docstring).

    Parameters
    ----------
    out_dir : path-like
    names : sequence of str
        Configuration names (folder names ``<k>-<slug(name)>``).
    description : dict
        The experiment's description, written to ``experiment.json``; its
        ``"format"`` must be :data:`FORMAT`.
    load : callable
        ``load(path) -> curve`` (``RegretCurve.load``).
    check : callable
        ``check(curve, start, stop) -> None or reason`` (:func:`check_curve_range`).
    resume, overwrite : bool
        See the module docstring; exclusive.
    extra_files : sequence of str
        Plain file names the caller will write into ``out_dir`` as well.
    """

    def __init__(self, out_dir, names, *, description, load, check, resume=False, overwrite=False, extra_files=()):
        if resume and overwrite:
            raise ValueError(
                "resume and overwrite are exclusive: resume keeps the folder's chunks, overwrite deletes them"
            )
        for name in extra_files:
            plain = isinstance(name, str) and name and Path(name).name == name
            if not plain or name in (MARKER, SUMMARY) + _OWN_FOLDERS:
                raise ValueError(f"extra_files: {name!r} must be a plain file name other than rltheory's own")
        self.root = Path(out_dir)
        self.resume = resume
        self.overwrite = overwrite
        self.names = list(names)
        self.description = dict(description)
        self.extra_files = tuple(extra_files)
        self.load_fn = load
        self.check_fn = check
        self.rejected = []

    # layout
    def config_dir(self, index):
        return self.root / "chunks" / f"{index:03d}-{slug(self.names[index])}"

    def paths(self, job):
        d = self.config_dir(job.index)
        stem = f"runs-{job.start:08d}-{job.stop:08d}"
        return d / f"{stem}.npz", d / f"{stem}.json"

    def curve_path(self, index, ext):
        return curve_file(self.root, index, self.names[index], ext)

    @property
    def summary_path(self):
        return self.root / SUMMARY

    def _result_paths(self):
        return (
            [self.summary_path]
            + [self.curve_path(k, ext) for k in range(len(self.names)) for ext in (".npz", ".csv")]
            + [self.root / name for name in self.extra_files]
        )

    # folder validation
    def prepare(self, jobs):
        """Check the folder, settle which experiment it holds, create the layout and write the marker.

        Raises ``ValueError`` (nothing removed or written) for a folder that
        cannot hold this experiment; see the module docstring.
        """
        root = self.root
        if root.exists() and not root.is_dir():
            raise ValueError(f"out_dir: {str(root)!r} exists and is not a folder")
        marker = root / MARKER
        old = None
        if root.is_dir():
            if marker.exists() or marker.is_symlink():
                old = self._read_marker(marker)
            else:
                ours = [root / f for f in _OWN_FOLDERS] + [self.summary_path] + [root / n for n in self.extra_files]
                taken = [p.name for p in ours if p.exists() or p.is_symlink()]
                if taken:
                    raise ValueError(
                        f"out_dir: {str(root)!r} holds {', '.join(repr(t) for t in taken)} but no {MARKER}: "
                        "these are not files of an rltheory experiment, and rltheory never overwrites files it "
                        "did not write; choose another folder (or move them away)"
                    )
        same = old is not None and _identity(old) == _identity(self.description)
        if old is not None and not same and not self.overwrite:
            diff = "; ".join(_differences(_identity(old), _identity(self.description)))
            raise ValueError(
                f"out_dir: {str(root)!r} holds the files of another experiment ({diff}); "
                "pass --overwrite (overwrite=True) to delete them and start afresh, or choose another folder"
            )
        if old is not None and not same:
            self._remove_experiment(old)
            old = None
        self._check_types(jobs)
        if same:
            self._remove_previous_results(old, jobs)
        # writability: actually write (permissions alone lie for root and on odd file systems)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"out_dir: cannot create {str(root)!r}: {exc}") from exc
        try:
            for k in sorted({j.index for j in jobs}):
                self.config_dir(k).mkdir(parents=True, exist_ok=True)
            (root / "curves").mkdir(exist_ok=True)
            content = dict(self.description, outputs=sorted(self.extra_files))
            _atomic.write_bytes(marker, (json.dumps(content, indent=2, sort_keys=True) + "\n").encode())
            for k in sorted({j.index for j in jobs}):
                tempfile.NamedTemporaryFile(prefix=_atomic.TMP_PREFIX, dir=self.config_dir(k)).close()
        except OSError as exc:
            raise ValueError(f"out_dir: {str(root)!r} is not writable: {exc}") from exc
        self._remove_stale_temporaries(jobs)

    def _check_types(self, jobs):
        root = self.root
        for sub in _OWN_FOLDERS:
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
        for p in self._result_paths():
            if p.exists() and not p.is_file():
                raise ValueError(f"out_dir: {str(p)!r} should be a file but is a folder")

    def _read_marker(self, marker):
        try:
            data = json.loads(marker.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(
                f"out_dir: {str(marker)!r} is not an rltheory experiment marker ({exc}); choose another folder"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(
                f"out_dir: {str(marker)!r} exists but was not written by rltheory "
                f'(no "format": "{FORMAT}"); choose another folder'
            )
        return data

    def _listed_outputs(self, old):
        outputs = old.get("outputs", [])
        if not isinstance(outputs, list):
            return []
        return [self.root / n for n in outputs if isinstance(n, str) and n and Path(n).name == n and n != MARKER]

    def _remove_experiment(self, old):
        """Delete every file of the experiment described by ``old`` (the marker last)."""
        root = self.root
        for sub in _OWN_FOLDERS:
            p = root / sub
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            elif p.exists() or p.is_symlink():
                p.unlink()
        for p in [root / SUMMARY] + self._listed_outputs(old):
            if p.is_file() or p.is_symlink():
                _unlink(p)
        for p in root.glob(_atomic.TMP_PREFIX + "*"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else _unlink(p)
        _unlink(root / MARKER)

    def _remove_previous_results(self, old, jobs):
        """Same experiment: drop its derived results and the chunk files of run ranges not in ``jobs``."""
        for p in self._result_paths() + self._listed_outputs(old):
            if p.is_file() or p.is_symlink():
                _unlink(p)
        curves = self.root / "curves"
        if curves.is_dir():
            for p in curves.iterdir():
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else _unlink(p)
        chunks = self.root / "chunks"
        if not chunks.is_dir():
            return
        wanted_dirs = {self.config_dir(k) for k in range(len(self.names))}
        wanted_files = {p for job in jobs for p in self.paths(job)}
        for d in chunks.iterdir():
            if d not in wanted_dirs:
                shutil.rmtree(d, ignore_errors=True) if d.is_dir() else _unlink(d)
                continue
            for p in d.iterdir():
                if p not in wanted_files and not p.name.startswith(_atomic.TMP_PREFIX):
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else _unlink(p)

    def _remove_stale_temporaries(self, jobs):
        folders = [self.root, self.root / "curves"] + [self.config_dir(k) for k in sorted({j.index for j in jobs})]
        for folder in folders:
            for p in folder.glob(_atomic.TMP_PREFIX + "*"):
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    try:
                        p.unlink()
                    except OSError:
                        pass

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
                    if _atomic.sha256_file(data_path.parent / fname) != digest:
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
        """Write the chunk of ``job`` (data first, then its manifest)."""
        data_path, manifest_path = self.paths(job)
        _unlink(manifest_path)  # never leave an old manifest next to new data
        files = _atomic.save_with(curve.save, data_path)
        manifest = {
            "format": FORMAT + "-chunk",
            "config_sha256": job.digest,
            "config": job.description,
            "files": files,
        }
        _atomic.write_bytes(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
