"""DPO exact solve (batched per-prompt Newton) against a generic scipy L-BFGS on the same loss.

Run: ``python benchmarks/bench_dpo.py [--prompts 1000] [--responses 50] [--beta 0.5] [--tol 1e-8] [--repeats 3]``

Problem: ``X`` prompts, ``Y`` responses, a random reference policy (Dirichlet(1) rows, floored away
from 0), Bradley-Terry rewards ``r ~ N(0, 1)``, temperature ``beta``; the *population* DPO loss
(pairs from ``pi_ref x pi_ref``), whose exact minimizer is ``pi* ∝ pi_ref exp(r / beta)``
(Rafailov et al. 2023, Thm 1 and Sec. 5).

Candidates, with the *same optimality certificate*: ``residual = max_x ||grad_{theta_x} L_x||_inf / rho_x``
(the per-prompt gradient of the loss in the logits, recomputed from the loss, as
``PreferenceOptimizationResult.residual``) must be ``<= tol``.

* ``rltheory.bandits.dpo(problem, tol=tol)``: batched Newton over prompts (one ``Y x Y`` solve per prompt
  and iteration).
* ``scipy.optimize.minimize(method="L-BFGS-B")`` on the summed loss over all ``X * Y`` logits, with the
  library's own vectorized loss and gradient (so the ratio compares solvers, not loss code),
  ``gtol = tol * min(rho)`` (its stopping rule is the same sup-norm of the gradient), ``ftol = 0`` (no
  stop on stalled progress) and a large ``maxiter``; its certificate is recomputed at its answer.

Both answers are also compared with the closed form ``pi*``. Target: L-BFGS / Newton >= 10x.
Both run with ``--threads`` BLAS threads (default 1: on a loaded machine OpenBLAS threads inside
L-BFGS-B's small dense products spin and made it ~15x slower than single-threaded). Timings are the min
and median of ``--repeats`` interleaved runs (each of them checked; neither solver compiles anything, so
there is no warm-up); the ratio is within one run.
"""

import argparse
import statistics
import time

import numpy as np
from _timing import load_average, print_ratio_table, thread_limit
from scipy.optimize import minimize

from rltheory.bandits import AlignmentProblem, dpo
from rltheory.bandits._dpo import _pairwise_value_grad, _soft_counts


def make_problem(X, Y, beta, seed):
    rng = np.random.default_rng(seed)
    ref = rng.dirichlet(np.ones(Y), size=X) + 1e-3
    ref /= ref.sum(axis=1, keepdims=True)
    return AlignmentProblem(ref, rewards=rng.normal(size=(X, Y)), beta=beta)


def lbfgs_dpo(problem, tol, max_iter=100_000):
    """Generic L-BFGS-B on the summed population DPO loss; returns (policy, certificate, iterations, evaluations)."""
    c, rho = _soft_counts(problem, None, None)
    off = np.log(problem.reference)
    X, Y = off.shape

    def fun(flat):
        v, g = _pairwise_value_grad(flat.reshape(X, Y), c, off, problem.beta)
        return float(v.sum()), g.ravel()

    res = minimize(
        fun,
        off.ravel().copy(),
        jac=True,
        method="L-BFGS-B",
        options={"gtol": tol * float(rho.min()), "ftol": 0.0, "maxiter": max_iter, "maxfun": 10 * max_iter},
    )
    theta = res.x.reshape(X, Y)
    _, g = _pairwise_value_grad(theta, c, off, problem.beta)
    certificate = float(np.max(np.abs(g) / rho[:, None]))
    pi = np.exp(theta - theta.max(axis=1, keepdims=True))
    pi /= pi.sum(axis=1, keepdims=True)
    return pi, certificate, int(res.nit), int(res.nfev)


def _time_both(prob, tol, times):
    t0 = time.perf_counter()
    newton = dpo(prob, tol=tol)
    t1 = time.perf_counter()
    lbfgs = lbfgs_dpo(prob, tol)
    t2 = time.perf_counter()
    times["rltheory dpo (batched Newton)"].append(t1 - t0)
    times["scipy L-BFGS-B (generic)"].append(t2 - t1)
    times["last"] = (newton, lbfgs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=1000)
    ap.add_argument("--responses", type=int, default=50)
    ap.add_argument("--beta", type=float, default=0.5)
    ap.add_argument("--tol", type=float, default=1e-8)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads for both solvers (0: no limit)")
    args = ap.parse_args()
    prob = make_problem(args.prompts, args.responses, args.beta, args.seed)
    star = np.asarray(prob.optimal_policy())

    times = {"scipy L-BFGS-B (generic)": [], "rltheory dpo (batched Newton)": []}
    with thread_limit(args.threads or None):
        for _ in range(args.repeats):  # interleaved: a burst of load hits both alike; each timed run is also checked
            _time_both(prob, args.tol, times)
            newton, (pi_l, cert_l, nit, nfev) = times.pop("last")
    print(
        f"DPO population loss, X={args.prompts} prompts, Y={args.responses} responses, beta={args.beta}, "
        f"certificate tol={args.tol:g}, "
        f"BLAS threads {args.threads or 'unlimited'}; {load_average()}"
    )
    print(
        f"  Newton (rltheory.bandits.dpo): residual {newton.residual:.2e} (converged={newton.converged}), "
        f"{newton.iterations} iterations, max |pi - pi*| = {np.max(np.abs(newton.action_probabilities - star)):.1e}"
    )
    print(
        f"  scipy L-BFGS-B:               residual {cert_l:.2e} (converged={cert_l <= args.tol}), {nit} iterations, "
        f"{nfev} loss+gradient evaluations, max |pi - pi*| = {np.max(np.abs(pi_l - star)):.1e}"
    )
    if not (newton.converged and cert_l <= args.tol):
        print("  (one solver did not reach the certificate: the timing below is not a like-for-like comparison)")
    stats = {label: (min(t), statistics.median(t)) for label, t in times.items()}
    print_ratio_table(
        f"time to the same certificate, {args.repeats} interleaved runs "
        "(ratio = L-BFGS time / time; target Newton >= 10x)",
        stats,
        ref="scipy L-BFGS-B (generic)",
    )


if __name__ == "__main__":
    main()
