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
        return envs.gridworld((4, 4), slip=0.1, step_reward=-0.04, terminal_rewards={(3, 3): 1.0}, gamma=0.95)
    if name == "frozen-lake":
        try:
            import gymnasium
        except ImportError:
            raise ValueError("the frozen-lake example needs gymnasium: pip install 'rltheory[gym]'") from None
        return envs.from_gymnasium(gymnasium.make("FrozenLake-v1", is_slippery=True), gamma=0.99)
    raise ValueError(f"unknown example {name!r}; choose one of {sorted(EXAMPLES)}")


def _solve(mdp, method, tol, m):
    """Return (method, values, policy, iterations, bound, bound_kind) for the method actually used."""
    from rltheory import tabular

    if mdp.criterion == "average_reward":
        raise ValueError(
            "the model has gamma = 1 and no terminal states: it is an average-reward model, which rltheory solve "
            "does not handle; use rltheory.tabular.relative_value_iteration or average_reward_policy_iteration "
            "(or give the model terminal states or gamma < 1)"
        )
    if mdp.horizon is not None:
        if method not in (None, "bi"):
            raise ValueError(f"the model has horizon {mdp.horizon}: use --method bi (backward induction)")
        res = tabular.backward_induction(mdp)
        return "bi", res.v[0], res.policy[0], mdp.horizon, 0.0, "exact (backward induction)"
    method = method or "vi"
    if method == "bi":
        raise ValueError("--method bi needs a finite-horizon model")
    ssp = mdp.criterion == "ssp"
    if method in ("vi", "gs-vi"):
        res = tabular.value_iteration(mdp, tol=tol, method="jacobi" if method == "vi" else "gauss-seidel")
        kind = "||v - v*|| (SSP bounds)" if ssp else "||v - v*|| (MacQueen bounds)"
    elif method == "mpi":
        res = tabular.modified_policy_iteration(mdp, m=m, tol=tol)
        kind = "||v - v*|| (SSP bounds)" if ssp else "||v - v*|| (MacQueen bounds)"
    elif method == "pi":
        res = tabular.policy_iteration(mdp)
        kind = "||v - v*|| <= ||Tv - v|| * max_s M(s)" if ssp else "||v - v*|| <= ||Tv - v|| / (1 - gamma)"
    else:  # lp, with uniform weights (its default): v is then determined on every state
        res = tabular.linear_programming(mdp)
        kind = "||v - v*|| (LP primal/dual residuals)"
    iterations = getattr(res, "iterations", None)
    if ssp and not np.isfinite(res.bound):
        kind = "none: some policy is improper, so no SSP certificate exists"
    return method, res.v, res.policy, iterations, float(res.bound), kind


def _run_solve(args) -> int:
    from rltheory.tabular import FiniteMDP

    if (args.file is None) == (args.example is None):
        raise ValueError("give either an MDP FILE or --example NAME (see --list-examples)")
    if not (np.isfinite(args.tol) and args.tol > 0):
        raise ValueError(f"--tol must be a finite number > 0, got {args.tol}")
    if args.m < 0:
        raise ValueError(f"--m must be >= 0, got {args.m}")
    mdp = FiniteMDP.load(args.file) if args.file is not None else _build_example(args.example)
    method, v, policy, iterations, bound, kind = _solve(mdp, args.method, args.tol, args.m)
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
                "method": method,
                "values": v.tolist(),
                "policy": policy.tolist(),
                "iterations": iterations,
                "bound": bound if np.isfinite(bound) else None,
                "bound_kind": kind,
            },
            sys.stdout,
        )
        sys.stdout.write("\n")
        return 0
    print(f"{source}: {mdp!r}")
    print(f"method: {method}{'' if args.method else ' (default)'}   iterations: {iterations}")
    if not np.isfinite(bound):
        print(f"certified error bound: none ({kind})")
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
            "Solve a finite MDP (discounted, or gamma = 1 with terminal states, or finite horizon) and print values, "
            "the policy, iterations and a certified error bound. Methods: vi (value iteration), gs-vi "
            "(Gauss-Seidel VI), pi (policy iteration), mpi (modified PI), lp (linear programming), bi (backward "
            "induction, finite horizon)."
        ),
    )
    p.add_argument("file", nargs="?", help="an .npz file written by FiniteMDP.save")
    p.add_argument("--example", choices=sorted(EXAMPLES), help="solve a bundled example instead of a file")
    p.add_argument("--list-examples", nargs=0, action=_ListExamples, help="list the bundled examples and exit")
    p.add_argument("--method", choices=_METHODS, default=None, help="default: vi (bi with a horizon)")
    p.add_argument("--tol", type=float, default=1e-8, help="certified tolerance for vi / gs-vi / mpi (default 1e-8)")
    p.add_argument("--m", type=int, default=5, help="partial evaluation sweeps of mpi (default 5)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all-states", action="store_true", help="print every state, not the first 20")
    p.set_defaults(func=_run_solve)
