"""``rltheory check``: run the claim checks, print a table, write a report.

Exit codes: 0 every selected claim passed; 1 a claim failed; 2 a usage error,
including an unknown claim id or tag (with ``--list`` too), reported in one
line on stderr by :func:`rltheory.cli.main`.
"""

from __future__ import annotations

import sys

from rltheory.proofs_checks._registry import DEFAULT_EXAMPLES

__all__ = ["add_check_command"]


def add_check_command(subparsers) -> None:
    """Add the ``check`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser(
        "check",
        help="verify the theorems rltheory relies on (counterexample search, exact oracles, rate fits)",
        description=(
            "Run registered claims: search for counterexamples with hypothesis, confirm identities exactly, "
            "fit rates with bootstrap confidence intervals. Prints a table (claim, source, instances, slack, "
            "verdict) and exits with status 1 if any claim fails, 2 on a usage error (e.g. an unknown claim id)."
        ),
    )
    sel = p.add_mutually_exclusive_group()
    sel.add_argument("--claim", action="append", metavar="ID", help="claim id (repeatable); default: all claims")
    sel.add_argument("--tag", metavar="TAG", help="run the claims carrying this tag (e.g. dp, bandits, fast)")
    p.add_argument(
        "--examples",
        type=int,
        default=DEFAULT_EXAMPLES,
        metavar="N",
        help=f"effort per claim (hypothesis max_examples; default {DEFAULT_EXAMPLES})",
    )
    p.add_argument("--seed", type=int, default=None, metavar="S", help="seed (default: derandomized, reproducible)")
    p.add_argument(
        "--report", metavar="FILE", help="write a Markdown (.md) or HTML (.html) report; rate plots go next to it"
    )
    p.add_argument("--workers", type=int, default=1, metavar="N", help="processes (default 1)")
    p.add_argument("--list", action="store_true", help="list the claims with their sources and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from rltheory.proofs_checks import format_table, get_claim, list_claims, run_claims, write_report

    if args.list:
        if args.claim:
            claims = tuple(get_claim(i) for i in dict.fromkeys(args.claim))  # unknown id: ValueError, exit 2
        else:
            claims = list_claims(args.tag)
            if args.tag is not None and not claims:
                known = sorted({t for c in list_claims() for t in c.tags})
                raise ValueError(f"no claim has tag {args.tag!r}; known tags: {', '.join(known)}")
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
