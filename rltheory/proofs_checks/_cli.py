"""``rltheory check``: run the claim checks, print a table, write a report."""

from __future__ import annotations

import sys

__all__ = ["add_check_command"]


def add_check_command(subparsers) -> None:
    """Add the ``check`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser(
        "check",
        help="verify the theorems rltheory relies on (counterexample search, exact oracles, rate fits)",
        description=(
            "Run registered claims: search for counterexamples with hypothesis, confirm identities exactly, "
            "fit rates with bootstrap confidence intervals. Prints a table (claim, source, instances, worst slack, "
            "verdict) and exits with status 1 if any claim fails."
        ),
    )
    sel = p.add_mutually_exclusive_group()
    sel.add_argument("--claim", action="append", metavar="ID", help="claim id (repeatable); default: all claims")
    sel.add_argument("--tag", metavar="TAG", help="run the claims carrying this tag (e.g. dp, bandits, fast)")
    p.add_argument("--examples", type=int, default=100, metavar="N", help="effort per claim (hypothesis max_examples; default 100)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="seed (default: derandomized, reproducible)")
    p.add_argument("--report", metavar="FILE", help="write a Markdown (.md) or HTML (.html) report; rate plots go next to it")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="processes (default 1)")
    p.add_argument("--list", action="store_true", help="list the claims with their sources and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from rltheory.proofs_checks import format_table, list_claims, run_claims, write_report

    if args.list:
        claims = list_claims(args.tag)
        if args.claim:
            wanted = set(args.claim)
            claims = tuple(c for c in claims if c.id in wanted)
        width = max((len(c.id) for c in claims), default=5)
        for c in claims:
            print(f"{c.id.ljust(width)}  [{c.kind}; {', '.join(c.tags)}]  {c.source}")
        return 0
    if args.examples < 1:
        raise ValueError(f"--examples {args.examples} must be >= 1")
    if args.report is not None and not args.report.lower().endswith((".md", ".html", ".htm")):
        raise ValueError(f"--report {args.report!r} must end in .md, .html or .htm")
    if args.report is not None:
        import os

        parent = os.path.dirname(os.path.abspath(args.report))
        if not os.path.isdir(parent):
            raise ValueError(f"--report directory {parent!r} does not exist")
    results = run_claims(
        args.claim,
        tag=args.tag,
        examples=args.examples,
        seed=args.seed,
        workers=args.workers,
        progress=False if args.no_progress else None,
    )
    print(format_table(results))
    for r in results:
        if not r.passed:
            print(f"\n{r.claim_id} FAILED: {r.message}", file=sys.stderr)
            if r.counterexample is not None:
                print(f"counterexample (slack {r.counterexample.slack!r}):\n{r.counterexample.text}", file=sys.stderr)
                if r.counterexample.reproduction:
                    print(f"reproduce with {r.counterexample.reproduction}", file=sys.stderr)
    if args.report is not None:
        path = write_report(args.report, results)
        print(f"report written to {path}")
    return 0 if all(r.passed for r in results) else 1
