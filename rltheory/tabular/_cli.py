"""``rltheory solve``: solve an MDP file (or a bundled example) with a certificate."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

__all__ = ["add_solve_command", "EXAMPLES"]

_METHODS = ("vi", "gs-vi", "pi", "mpi", "lp", "bi")

#: Bundled examples: name -> (description, builder). Built on demand from
#: :mod:`rltheory.tabular.envs`, so no data file has to be shipped.
EXAMPLES = {
    "river-swim": "RiverSwim with 6 states (Strehl & Littman 2008), gamma = 0.95",
    "gridworld": "4x4 gridworld, slip 0.1, goal +1 in the corner, step reward -0.04, gamma = 0.95",
    "frozen-lake": "(needs gymnasium) FrozenLake-v1 4x4 slippery, gamma = 0.99",
}


def _build_example(name):
    from rltheory.tabular import envs

    if name == "river-swim":
        return envs.river_swim(n_states=6, gamma=0.95)
    if name == "gridworld":
        return envs.gridworld(
            (4, 4), slip=0.1, step_reward=-0.04, terminal_rewards={(3, 3): 1.0}, gamma=0.95
        )
    if name == "frozen-lake":
        try:
            import gymnasium
        except ImportError:
            raise ValueError("the frozen-lake example needs gymnasium: pip install 'rltheory[gym]'") from None
        return envs.from_gymnasium(gymnasium.make("FrozenLake-v1", is_slippery=True), gamma=0.99)
    raise ValueError(f"unknown example {name!r}; choose one of {sorted(EXAMPLES)}")


def _solve(mdp, method, tol, m):
    """Return (values, policy, iterations, bound, bound_kind) for a method."""
    from rltheory import tabular

    if mdp.horizon is not None:
        if method not in (None, "bi"):
            raise ValueError(f"the model has horizon {mdp.horizon}: use --method bi (backward induction)")
        res = tabular.backward_induction(mdp)
        return res.v[0], res.policy[0], mdp.horizon, 0.0, "exact (backward induction)"
    method = method or ("pi" if mdp.gamma == 1.0 else "vi")
    if method == "bi":
        raise ValueError("--method bi needs a finite-horizon model")
    if mdp.gamma == 1.0 and method != "pi":
        raise ValueError("an undiscounted model with terminal states is solved with --method pi")
    if method in ("vi", "gs-vi"):
        res = tabular.value_iteration(mdp, tol=tol, method="jacobi" if method == "vi" else "gauss-seidel")
        return res.v, res.policy, res.iterations, res.bound, "||v - v*|| (MacQueen bounds)"
    if method == "mpi":
        res = tabular.modified_policy_iteration(mdp, m=m, tol=tol)
        return res.v, res.policy, res.iterations, res.bound, "||v - v*|| (MacQueen bounds)"
    if method == "pi":
        res = tabular.policy_iteration(mdp)
        v, policy, iterations = res.v, res.policy, res.iterations
    else:  # lp
        # uniform LP weights: v is then determined on every state, whatever mdp.initial_distribution is
        res = tabular.linear_programming(mdp, weights=np.full(mdp.n_states, 1.0 / mdp.n_states))
        v, policy, iterations = res.v, res.policy, None
    if mdp.gamma == 1.0:
        return v, policy, iterations, None, "exact evaluation (no discount certificate)"
    # Certificate for any v: ||v - v*|| <= ||T v - v|| / (1 - gamma) (Puterman 2005, Thm 6.3.1 proof / Prop. 6.6.1).
    residual = float(np.max(np.abs(tabular.bellman_operator(mdp, v) - v)))
    return v, policy, iterations, residual / (1.0 - mdp.gamma), "||v - v*|| <= ||Tv - v|| / (1 - gamma)"


def _run_solve(args) -> int:
    from rltheory.tabular import FiniteMDP

    if (args.file is None) == (args.example is None):
        raise ValueError("give either an MDP FILE or --example NAME (see --list-examples)")
    mdp = FiniteMDP.load(args.file) if args.file is not None else _build_example(args.example)
    if not (args.tol > 0):
        raise ValueError(f"--tol must be positive, got {args.tol}")
    if args.m < 0:
        raise ValueError(f"--m must be >= 0, got {args.m}")
    v, policy, iterations, bound, kind = _solve(mdp, args.method, args.tol, args.m)
    v = np.asarray(v, dtype=float)
    policy = np.asarray(policy)
    source = args.file if args.file is not None else f"example:{args.example}"
    if args.json:
        json.dump(
            {
                "source": source,
                "n_states": mdp.n_states,
                "n_actions": mdp.n_actions,
                "gamma": mdp.gamma,
                "method": args.method,
                "values": v.tolist(),
                "policy": policy.tolist(),
                "iterations": iterations,
                "bound": bound,
                "bound_kind": kind,
            },
            sys.stdout,
        )
        sys.stdout.write("\n")
        return 0
    print(f"{source}: {mdp!r}")
    print(f"method: {args.method or 'default'}   iterations: {iterations}")
    if bound is None:
        print(f"certified error bound: n/a ({kind})")
    else:
        print(f"certified error bound: {bound:.3e}  [{kind}]")
    width = len(str(mdp.n_states - 1))
    limit = mdp.n_states if args.all_states else min(mdp.n_states, 20)
    print(f"{'state':>{max(width, 5)}}  {'value':>14}  action")
    for s in range(limit):
        print(f"{s:>{max(width, 5)}}  {v[s]:>14.8f}  {int(policy[s])}")
    if limit < mdp.n_states:
        print(f"... {mdp.n_states - limit} more states (use --all-states or --json)")
    return 0


class _ListExamples(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        for name, text in EXAMPLES.items():
            print(f"{name:12s} {text}")
        parser.exit(0)


def add_solve_command(subparsers) -> None:
    """Register ``rltheory solve``."""
    p = subparsers.add_parser(
        "solve",
        help="solve an MDP file (.npz written by FiniteMDP.save) or a bundled example",
        description=(
            "Solve a finite MDP and print values, the policy, iterations and a certified error bound. "
            "Methods: vi (value iteration), gs-vi (Gauss-Seidel VI), pi (policy iteration), "
            "mpi (modified PI), lp (linear programming), bi (backward induction, finite horizon)."
        ),
    )
    p.add_argument("file", nargs="?", help="an .npz file written by FiniteMDP.save")
    p.add_argument("--example", choices=sorted(EXAMPLES), help="solve a bundled example instead of a file")
    p.add_argument("--list-examples", nargs=0, action=_ListExamples, help="list the bundled examples and exit")
    p.add_argument("--method", choices=_METHODS, default=None, help="default: vi (pi for gamma = 1, bi with a horizon)")
    p.add_argument("--tol", type=float, default=1e-8, help="certified tolerance for vi / gs-vi / mpi (default 1e-8)")
    p.add_argument("--m", type=int, default=5, help="partial evaluation sweeps of mpi (default 5)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all-states", action="store_true", help="print every state, not the first 20")
    p.set_defaults(func=_run_solve)
