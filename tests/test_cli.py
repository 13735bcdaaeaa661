"""Tests of rltheory/cli.py: one line per user-facing error, with the cause and the remedy, and the exit code.

Each error is produced by the real code that raises it (an OSError from the
file system, cvxpy's SolverError, a solver's TypeError for an unknown option)
inside a subcommand registered for the test, so that what is checked is
main()'s mapping, not a hand-made message.
"""

import errno
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rltheory import __version__, cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def command(monkeypatch):
    """Register a subcommand ``boom`` running the function given to the fixture's result."""
    holder = {}

    def add_boom(subparsers):
        p = subparsers.add_parser("boom")
        p.add_argument("--resume-hint", action="store_true", dest="resume_hint")
        p.set_defaults(func=lambda args: holder["func"]())

    monkeypatch.setattr(cli, "COMMAND_BUILDERS", cli.COMMAND_BUILDERS + [add_boom])

    def set_func(func):
        holder["func"] = func

    return set_func


def one_line(capsys):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("rltheory boom: error: ")
    return lines[0][len("rltheory boom: error: ") :]


def test_a_folder_given_as_a_file(command, capsys, tmp_path):
    command(lambda: open(tmp_path, "rb"))
    assert cli.main(["boom"]) == 1
    assert one_line(capsys) == f"{str(tmp_path)!r} is a folder, not a file: give the path of a file"


def test_a_missing_file_and_permission_denied(command, capsys, tmp_path):
    command(lambda: open(tmp_path / "missing.npz", "rb"))
    assert cli.main(["boom"]) == 1
    assert one_line(capsys) == f"no such file or folder {str(tmp_path / 'missing.npz')!r}: check the path"

    def denied():
        raise PermissionError(errno.EACCES, "Permission denied", "/root/x")

    command(denied)
    assert cli.main(["boom"]) == 1
    assert one_line(capsys).startswith("permission denied '/root/x': ")


def test_a_full_disk_inside_chained_errors_names_the_remedy(command, capsys):
    def full_disk():
        # the shape of a failed atomic write: ENOSPC, then errors while cleaning up
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "out/chunks/x.npz")
        except OSError as first:
            try:
                raise OSError(errno.EIO, "Input/output error") from first
            except OSError as second:
                raise OSError("cleanup failed") from second

    command(full_disk)
    assert cli.main(["boom"]) == 1
    assert one_line(capsys) == (
        "no space left on device (writing 'out/chunks/x.npz'): free some space and run the command again"
    )
    assert cli.main(["boom", "--resume-hint"]) == 1
    assert one_line(capsys).endswith("then rerun the same command with --resume (the chunks already written are kept)")


def test_cvxpy_solver_error(command, capsys):
    cp = pytest.importorskip("cvxpy")
    if "OSQP" not in cp.installed_solvers():
        pytest.skip("OSQP is not installed")
    x = cp.Variable()
    problem = cp.Problem(cp.Minimize(x), [x >= 1])
    command(lambda: problem.solve(solver="OSQP", bogus_setting=1))  # OSQP reports unknown settings as SolverError
    assert cli.main(["boom"]) == 1
    text = one_line(capsys)
    assert text.startswith("the convex solver failed (") and "try another solver" in text


def test_a_bad_solver_options_key(command, capsys):
    cp = pytest.importorskip("cvxpy")
    if "CLARABEL" not in cp.installed_solvers():
        pytest.skip("Clarabel is not installed")
    x = cp.Variable()
    problem = cp.Problem(cp.Minimize(x), [x >= 1])
    command(lambda: problem.solve(solver="CLARABEL", bogus_setting=1))  # Clarabel raises TypeError
    assert cli.main(["boom"]) == 1
    text = one_line(capsys)
    assert text.startswith("the convex solver rejected its options (") and "bogus_setting" in text


def test_value_error_is_a_usage_error_and_a_bug_keeps_its_traceback(command, capsys):
    def bad_argument():
        raise ValueError("--tol must be positive, got 0")

    command(bad_argument)
    assert cli.main(["boom"]) == 2
    assert one_line(capsys) == "--tol must be positive, got 0"

    def bug():
        raise TypeError("unsupported operand type(s)")  # not from a solver: a bug

    command(bug)
    with pytest.raises(TypeError):
        cli.main(["boom"])


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["reproduce"])  # missing NAME
    assert info.value.code == 2
    assert cli.main([]) == 2


def test_compile_records_are_shown_on_stderr(command, capsys):
    def compiles():
        logging.getLogger(cli.COMPILE_LOGGER).info("compiling the KLUCB bandit kernel (first run only)...")
        return 0

    command(compiles)
    assert cli.main(["boom"]) == 0
    assert capsys.readouterr().err == "compiling the KLUCB bandit kernel (first run only)...\n"
    # the handler is removed afterwards: no output outside the command
    logging.getLogger(cli.COMPILE_LOGGER).info("not shown")
    assert capsys.readouterr().err == ""


def test_version_from_outside_the_clone(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-m", "rltheory.cli", "--version"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout == f"rltheory {__version__}\n"
