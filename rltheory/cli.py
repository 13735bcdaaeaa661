"""The ``rltheory`` command line: ``solve``, ``reproduce``, ``list``, ``check``.

Each subcommand lives next to the code it drives and contributes an
``add_*_command(subparsers)`` function; this module only assembles them.
"""

from __future__ import annotations

import argparse
import sys

from rltheory import __version__
from rltheory.tabular._cli import add_solve_command
from rltheory.experiments._cli import add_list_command, add_reproduce_command
from rltheory.proofs_checks._cli import add_check_command

#: Functions ``f(subparsers)`` that add one subcommand each; a subcommand
#: parser sets ``func`` to a callable ``func(args) -> int`` (the exit code).
COMMAND_BUILDERS = [
    add_solve_command,
    add_reproduce_command,
    add_list_command,
    add_check_command,
]


def build_parser() -> argparse.ArgumentParser:
    """The top-level argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="rltheory",
        description="Theory-oriented tabular and linear reinforcement learning: solve, reproduce, check.",
    )
    parser.add_argument("--version", action="version", version=f"rltheory {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMAND_BUILDERS:
        add(subparsers)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``rltheory`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        print(f"rltheory {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `rltheory solve ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"rltheory {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
