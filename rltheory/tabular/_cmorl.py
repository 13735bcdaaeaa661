r"""C-MORL in tabular form: Pareto-front discovery by constrained policy optimization steps.

C-MORL (Liu, Pan, Xu, Song, Bian, You & Chen, ICLR 2025) builds a Pareto set in two stages: *Pareto
initialization* trains policies for a few preference vectors (linear scalarizations), then *Pareto extension*
repeatedly selects the policies of the current front with the largest crowding distance (the sparsest regions)
and, from each, takes constrained optimization steps that maximize one objective while keeping the others above
a fraction of the selected policy's values. On a finite MDP each step is solved exactly: the constrained problem
is a linear program over occupancy measures (a CMDP, Altman 1999, Thm 3.3); ties are broken towards efficiency
by a second LP (the lexicographic :math:`\epsilon`-constraint method, Haimes, Lasdon & Wismer 1971; Ehrgott 2005,
Sec. 4.1), so every returned point is Pareto-optimal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rltheory._validation import check_int, check_real, check_tol, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._multiobjective import _check_rewards, _occupancy_lp_data, hypervolume
from rltheory.tabular._occupancy_lp import (
    policy_from_occupancy,
    policy_occupancies,
    resolve_initial_distribution,
    solve_lp,
)

__all__ = ["CMORLResult", "cmorl", "crowding_distance"]


def crowding_distance(points) -> np.ndarray:
    r"""NSGA-II crowding distance of each point of a set (Deb, Pratap, Agarwal & Meyarivan 2002, Sec. III-B).

    For each objective, sort the points; the two extremes get :math:`+\infty`, an interior point adds
    :math:`(y_{next} - y_{prev}) / (y_{\max} - y_{\min})` (nothing when all values coincide).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import crowding_distance
    >>> crowding_distance(np.array([[0.0, 3.0], [1.0, 2.0], [3.0, 0.0]]))
    array([inf,  2., inf])
    """
    Y = np.asarray(points, dtype=float)
    if Y.ndim != 2:
        raise ValueError(f"points have shape {Y.shape}, expected (n, k)")
    n, k = Y.shape
    out = np.zeros(n)
    for i in range(k):
        order = np.argsort(Y[:, i], kind="stable")
        span = Y[order[-1], i] - Y[order[0], i]
        out[order[0]] = out[order[-1]] = np.inf
        if span > 0 and n > 2:
            out[order[1:-1]] += (Y[order[2:], i] - Y[order[:-2], i]) / span
    return out


@dataclass(frozen=True, eq=False)
class CMORLResult:
    r"""Result of :func:`cmorl`.

    Attributes
    ----------
    values : numpy.ndarray, shape (n, k)
        The value vectors of the final Pareto set (non-dominated, sorted lexicographically).
    action_probabilities : numpy.ndarray, shape (n, S, A)
        A stationary policy attaining each.
    hypervolume_history : numpy.ndarray, shape (iterations + 1,)
        Hypervolume (of the point set, :func:`hypervolume`) with respect to ``reference`` after initialization
        (row 0) and after each extension round.
    iterations : int
        Extension rounds run (fewer than ``n_rounds`` when every policy of the front was already extended).
    n_constrained_solves : int
        Constrained steps (each a certified LP, plus its tie-breaking LP).
    max_duality_gap : float
        The largest certified duality gap of the LPs solved.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, cmorl
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5, initial_distribution=[1.0])
    >>> res = cmorl(mdp, np.array([[[1.0, 0.0]], [[0.0, 1.0]]]), [0.0, 0.0], n_initial=2, n_rounds=1)
    >>> res.values.shape[1], bool(res.hypervolume_history[-1] > 0)
    (2, True)
    """

    values: np.ndarray
    action_probabilities: np.ndarray
    hypervolume_history: np.ndarray
    iterations: int
    n_constrained_solves: int
    max_duality_gap: float


def _nondominated(Y: np.ndarray, eps: float) -> np.ndarray:
    keep = []
    for i in range(len(Y)):
        dominated = np.all(Y >= Y[i] - eps, axis=1) & np.any(Y > Y[i] + eps, axis=1)
        duplicate = any(np.max(np.abs(Y[j] - Y[i])) <= eps for j in keep)
        if not dominated.any() and not duplicate:
            keep.append(i)
    return np.array(keep, dtype=int)


def cmorl(
    mdp: FiniteMDP,
    rewards,
    reference,
    *,
    initial_distribution=None,
    n_initial: int = 3,
    n_rounds: int = 5,
    n_selected: int = 2,
    relaxation: float = 0.9,
    tol: float = 1e-7,
    solver: str | None = None,
    solver_options: dict | None = None,
) -> CMORLResult:
    r"""C-MORL's two stages with exact constrained steps (Liu et al., ICLR 2025, Algorithm 1, tabular form).

    1. *Pareto initialization*: for ``n_initial`` preference vectors :math:`\omega` evenly spread on the simplex
       (the :math:`k` unit vectors first, then the centre and the points between), solve the scalarized MDP
       :math:`\max_\pi \omega^\top J(\pi)` exactly (policy iteration).
    2. *Pareto extension*, ``n_rounds`` times: select the ``n_selected`` policies of the current front with the
       largest crowding distance (:func:`crowding_distance`) among those not extended yet (an exact step from
       the same policy would return the same points); from each selected :math:`\pi_r` and for each
       objective :math:`i`, solve the constrained step

       .. math::

           \max_{d \in \mathcal D} \langle r_i, d\rangle \quad\text{s.t.}\quad \langle r_j, d\rangle \ge
           J_j(\pi_r) - (1-\beta)|J_j(\pi_r)| \ \ (j \ne i)

       (the paper's constraint :math:`J_j \ge \beta J_j(\pi_r)`, written so that :math:`\pi_r` stays feasible for
       negative values too) as an LP over occupancies, then break ties by maximizing :math:`\sum_j J_j` with
       :math:`J_i` held at its optimum (lexicographic :math:`\epsilon`-constraint: the result is efficient),
       and add the resulting policy. The front keeps the non-dominated points.

    The paper's constrained steps are a few interior-point policy-gradient updates (IPO) of a neural policy;
    here each step is solved to optimality, which is what those updates approximate.

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted; ``R`` is not used.
    rewards : array_like, shape (k, S, A)
    reference : array_like, shape (k,)
        Reference point of the reported hypervolumes.
    initial_distribution : array_like, optional
    n_initial : int
        Preference vectors of the initialization (``>= 1``).
    n_rounds : int
        Extension rounds (``>= 0``).
    n_selected : int
        Policies extended per round (``>= 1``).
    relaxation : float
        :math:`\beta \in (0, 1]`.
    tol, solver, solver_options
        LP certificate threshold (relative to the value scale) and cvxpy solver.

    Returns
    -------
    CMORLResult

    References
    ----------
    R. Liu, Y. Pan, L. Xu, L. Song, J. Bian, P. You, Y. Chen, "C-MORL: multi-objective reinforcement learning
    through efficient discovery of Pareto front", ICLR 2025.
    K. Deb, A. Pratap, S. Agarwal, T. Meyarivan, "A fast and elitist multiobjective genetic algorithm: NSGA-II",
    *IEEE Trans. Evol. Comput.* 6(2), 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import FiniteMDP, cmorl, hypervolume, pareto_front
    >>> rng = np.random.default_rng(1)
    >>> mdp = FiniteMDP(rng.dirichlet(np.ones(4), size=(4, 3)), np.zeros((4, 3)), gamma=0.9,
    ...                 initial_distribution=np.full(4, 0.25))
    >>> rewards = rng.uniform(size=(2, 4, 3))
    >>> res = cmorl(mdp, rewards, reference=[0.0, 0.0], n_initial=2, n_rounds=3)
    >>> exact = hypervolume(pareto_front(mdp, rewards), [0.0, 0.0])
    >>> bool(res.hypervolume_history[-1] <= exact + 1e-9), bool(res.hypervolume_history[-1] >= 0.95 * exact)
    (True, True)
    """
    from rltheory.tabular._policy_iteration import policy_iteration

    FiniteMDP.require(mdp, "discounted", "cmorl")
    r = _check_rewards(mdp, rewards)
    k = r.shape[0]
    ref = np.asarray(reference, dtype=float).ravel()
    if ref.shape != (k,):
        raise ValueError(f"reference has shape {ref.shape}, expected ({k},)")
    mu = resolve_initial_distribution(mdp, initial_distribution, "cmorl")
    n_initial = check_int("n_initial", n_initial, low=1)
    n_rounds = check_int("n_rounds", n_rounds, low=0)
    n_selected = check_int("n_selected", n_selected, low=1)
    beta = check_real("relaxation", relaxation, low=0.0, high=1.0, low_open=True)
    tol = check_tol(tol)
    S, A = mdp.n_states, mdp.n_actions
    Rm = r.reshape(k, -1)
    scale = max(1.0, float(np.max(np.abs(r))) / (1.0 - mdp.gamma))
    eps = 1e3 * tol * scale

    def evaluate(pi):
        d = policy_occupancies(mdp, pi[None], mu)[0]
        return Rm @ d.ravel()

    # ---- stage 1: Pareto initialization (preference vectors: the unit vectors, then interior points)
    prefs = [np.eye(k)[i] for i in range(min(k, n_initial))]
    extra = n_initial - len(prefs)
    rng = np.random.default_rng(0)  # a fixed, documented spread of interior preferences (no global RNG)
    if extra > 0:
        prefs.append(np.full(k, 1.0 / k))
        if k == 2:
            prefs += [np.array([t, 1 - t]) for t in np.linspace(0, 1, extra + 1)[1:-1]]
        else:
            prefs += list(rng.dirichlet(np.ones(k), size=extra - 1))
    pols, vals = [], []
    for w in prefs[:n_initial]:
        res = policy_iteration(
            FiniteMDP(mdp.P, np.einsum("k,ksa->sa", w, r), gamma=mdp.gamma, action_mask=mdp.action_mask)
        )
        pi = np.eye(A)[np.asarray(res.policy)]
        pols.append(pi)
        vals.append(evaluate(pi))
    Y, Pis = np.array(vals), np.array(pols)
    keep = _nondominated(Y, eps)
    Y, Pis = Y[keep], Pis[keep]
    history = [hypervolume(Y, ref)]
    A_eq, b_eq, A_nn, b_nn = _occupancy_lp_data(mdp, mu)
    solves, worst_gap = 0, 0.0
    extended = np.zeros(len(Y), dtype=bool)  # each policy is extended once (its steps are deterministic)

    # ---- stage 2: Pareto extension
    rounds = 0
    for _ in range(n_rounds):
        crowd = np.where(extended, -np.inf, crowding_distance(Y))
        chosen = [j for j in np.argsort(-crowd, kind="stable")[:n_selected] if not extended[j]]
        if not chosen:
            break
        rounds += 1
        extended[chosen] = True
        new_vals, new_pols = [], []
        for j in chosen:
            x = Y[j]
            thresholds = x - (1.0 - beta) * np.abs(x)
            for i in range(k):
                others = [m for m in range(k) if m != i]
                A_ub = sp.vstack([A_nn, sp.csr_array(-Rm[others])])
                b_ub = np.r_[b_nn, -thresholds[others]]
                sol = solve_lp(
                    Rm[i],
                    A_ub,
                    b_ub,
                    A_eq,
                    b_eq,
                    who="cmorl",
                    tol=tol,
                    solver=solver,
                    solver_options=solver_options,
                    scale=scale,
                )
                if sol.x is None:  # cannot happen: pi_r itself is feasible
                    raise RuntimeError(f"cmorl: a constrained step is {sol.status}")
                # tie-break towards efficiency: max sum_j J_j with J_i >= its optimum (minus the LP accuracy)
                A_ub2 = sp.vstack([A_ub, sp.csr_array(-Rm[[i]])])
                b_ub2 = np.r_[b_ub, -(sol.objective - tol * scale)]  # the optimum within its certified accuracy
                sol2 = solve_lp(
                    Rm.sum(axis=0),
                    A_ub2,
                    b_ub2,
                    A_eq,
                    b_eq,
                    who="cmorl",
                    tol=tol,
                    solver=solver,
                    solver_options=solver_options,
                    scale=scale,
                )
                if sol2.x is None:
                    raise RuntimeError(f"cmorl: a tie-breaking step is {sol2.status}")
                solves += 1
                worst_gap = max(worst_gap, sol.duality_gap, sol2.duality_gap)
                pi = policy_from_occupancy(mdp, sol2.x.reshape(S, A))
                new_pols.append(pi)
                new_vals.append(evaluate(pi))
        Y = np.vstack([Y, new_vals])
        Pis = np.concatenate([Pis, np.array(new_pols)])
        extended = np.r_[extended, np.zeros(len(new_vals), dtype=bool)]
        keep = _nondominated(Y, eps)
        Y, Pis, extended = Y[keep], Pis[keep], extended[keep]
        history.append(hypervolume(Y, ref))
    order = np.lexsort(Y.T[::-1])
    return CMORLResult(
        values=readonly(Y[order]),
        action_probabilities=readonly(Pis[order]),
        hypervolume_history=readonly(np.array(history)),
        iterations=rounds,
        n_constrained_solves=solves,
        max_duality_gap=float(worst_gap),
    )
