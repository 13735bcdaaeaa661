"""Tests of rltheory.experiments._store: the results folder holds one experiment, and only files rltheory wrote.

Asserted: a folder is refused (nothing written, nothing removed) when it
holds files with rltheory's names that rltheory did not write, or another
experiment (unless overwrite, which removes every file of the old one first);
bad layouts are refused before any work; every file written has the mode
0o666 & ~umask, like the files any program creates.
"""

import json
import os
import stat
from pathlib import Path

import pytest

from tests.experiments._helpers import DESCRIPTION, file_set, make_jobs, make_store, run

# --------------------------------------------------------------------------- bad results folders


def test_out_dir_that_is_a_file_is_rejected(tmp_path):
    target = tmp_path / "results"
    target.write_text("not a folder")
    with pytest.raises(ValueError, match="is not a folder"):
        run(make_jobs(1, 2, 1), store=make_store(target, 1))


def test_file_where_a_chunk_folder_is_expected_is_rejected(tmp_path):
    jobs = make_jobs(1, 2, 1)
    store = make_store(tmp_path, 1)
    store.config_dir(0).parent.mkdir(parents=True)
    store.config_dir(0).write_text("oops")
    (tmp_path / "experiment.json").write_text(json.dumps(DESCRIPTION))
    with pytest.raises(ValueError, match="should be a folder but is a file"):
        run(jobs, store=store)


def test_folder_where_a_chunk_file_is_expected_is_rejected(tmp_path):
    jobs = make_jobs(1, 2, 1)
    run(jobs, store=make_store(tmp_path, 1))
    data, _ = make_store(tmp_path, 1).paths(jobs[0])
    data.unlink()
    data.mkdir()
    with pytest.raises(ValueError, match="should be a chunk file but is a folder"):
        run(jobs, store=make_store(tmp_path, 1))


def test_foreign_files_with_our_names_are_rejected(tmp_path):
    (tmp_path / "chunks").mkdir()
    with pytest.raises(ValueError, match="not files of an rltheory experiment"):
        run(make_jobs(1, 2, 1), store=make_store(tmp_path, 1))
    other = tmp_path / "other"
    other.mkdir()
    (other / "experiment.json").write_text(json.dumps({"some": "thing else"}))
    with pytest.raises(ValueError, match="not written by rltheory"):
        run(make_jobs(1, 2, 1), store=make_store(other, 1))
    (other / "experiment.json").write_text("\x00garbage")
    with pytest.raises(ValueError, match="not an rltheory experiment marker"):
        run(make_jobs(1, 2, 1), store=make_store(other, 1))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_out_dir_is_rejected(tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="not writable|cannot create"):
            run(make_jobs(1, 2, 1), store=make_store(target, 1))
    finally:
        target.chmod(0o700)


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux sysfs (a folder nobody can write)")
def test_out_dir_that_cannot_be_created_is_rejected():
    with pytest.raises(ValueError, match="cannot create"):
        run(make_jobs(1, 2, 1), store=make_store(Path("/sys/rltheory-no-such/results"), 1))


# --------------------------------------------------------------------------- one experiment per folder


@pytest.mark.parametrize("name", ["summary.csv", "chunks", "curves", "figure.png"])
def test_files_rltheory_did_not_write_are_never_overwritten(tmp_path, name):
    target = tmp_path / name
    if name in ("chunks", "curves"):
        target.mkdir()
        (target / "mine.txt").write_text("user data")
    else:
        target.write_text("user data")
    before = file_set(tmp_path)
    for overwrite in (False, True):
        store = make_store(tmp_path, 1, resume=False, overwrite=overwrite, extra_files=("figure.png",))
        with pytest.raises(ValueError, match=f"holds '{name}' but no experiment.json.*never overwrites"):
            run(make_jobs(1, 2, 1), store=store)
    assert file_set(tmp_path) == before and not (tmp_path / "experiment.json").exists()


def test_other_files_of_the_user_stay_next_to_the_experiment(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    run(make_jobs(1, 2, 1), store=make_store(tmp_path, 1))
    other = dict(DESCRIPTION, test="another experiment")
    run(make_jobs(1, 2, 1), store=make_store(tmp_path, 1, resume=False, overwrite=True, description=other))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_another_experiment_is_refused_and_overwrite_removes_all_its_files(tmp_path):
    jobs = make_jobs(2, 6, 2)
    run(jobs, store=make_store(tmp_path, 2, extra_files=("old.png",)))
    (tmp_path / "old.png").write_bytes(b"figure of the old experiment")
    (tmp_path / "summary.csv").write_text("summary of the old experiment")
    before = file_set(tmp_path)
    other = dict(DESCRIPTION, test="another experiment")
    expected = r"another experiment \(test true in the folder, \"another experiment\" asked\)"
    with pytest.raises(ValueError, match=expected):
        run(make_jobs(1, 3, 3), store=make_store(tmp_path, 1, description=other))
    assert file_set(tmp_path) == before
    new_jobs = make_jobs(1, 3, 3)
    run(new_jobs, store=make_store(tmp_path, 1, resume=False, overwrite=True, description=other))
    data, manifest = make_store(tmp_path, 1).paths(new_jobs[0])
    assert file_set(tmp_path) == sorted(
        ["experiment.json", str(data.relative_to(tmp_path)), str(manifest.relative_to(tmp_path))]
    )
    marker = json.loads((tmp_path / "experiment.json").read_text())
    assert marker["test"] == "another experiment" and marker["outputs"] == []


def test_same_experiment_keeps_its_chunks_and_drops_its_previous_results(tmp_path):
    jobs = make_jobs(1, 4, 2)
    run(jobs, store=make_store(tmp_path, 1, extra_files=("fig.png",)))
    (tmp_path / "fig.png").write_bytes(b"old figure")
    (tmp_path / "summary.csv").write_text("old summary")
    store = make_store(tmp_path, 1, extra_files=("fig.png",))
    _, reused = run(jobs, store=store)
    assert reused == 2 and store.rejected == []
    assert not (tmp_path / "fig.png").exists() and not (tmp_path / "summary.csv").exists()


def test_resume_and_overwrite_are_exclusive(tmp_path):
    with pytest.raises(ValueError, match="exclusive"):
        make_store(tmp_path, 1, resume=True, overwrite=True)


@pytest.mark.parametrize("name", ["../x.png", "summary.csv", "experiment.json", "chunks", ""])
def test_extra_files_must_be_plain_names_of_their_own(tmp_path, name):
    with pytest.raises(ValueError, match="extra_files"):
        make_store(tmp_path, 1, extra_files=(name,))


# --------------------------------------------------------------------------- file modes


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_every_file_written_respects_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        run(make_jobs(2, 4, 2), store=make_store(tmp_path, 2))
    finally:
        os.umask(old)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"experiment.json", "runs-00000000-00000002.npz", "runs-00000000-00000002.json"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask, p
    for p in [tmp_path / "chunks", tmp_path / "curves"]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o777 & ~umask, p
