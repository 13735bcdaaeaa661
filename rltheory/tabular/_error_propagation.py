r"""AVI accumulates evaluation errors, KL-regularized MD-VI averages them: an experiment in closed form.

This module holds :func:`error_propagation_experiment`, which *uses* the
solvers of :mod:`rltheory.tabular._regularized` (mirror-descent value
iteration) and :mod:`rltheory.tabular._policy_iteration` on an adversarial
chain; it is not a solver itself, so it lives apart from them (issue 10,
sec. 4). It stays in ``rltheory.tabular`` (public, as before) rather than in
``rltheory.proofs_checks``: it imports only tabular solvers, the claim
``mdvi.error-averaging`` imports it from ``rltheory.tabular``, and nothing in
``tabular`` imports it back, so imports stay one-way
(``tabular._error_propagation -> tabular solvers``;
``proofs_checks -> tabular``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_probability, check_real, readonly
from rltheory.tabular._model import FiniteMDP
from rltheory.tabular._policy_iteration import policy_iteration
from rltheory.tabular._regularized import mirror_descent_value_iteration, regularized_policy_evaluation

__all__ = ["ErrorPropagationResult", "error_propagation_experiment"]


@dataclass(frozen=True, eq=False)
class ErrorPropagationResult:
    r"""Result of :func:`error_propagation_experiment`.

    Attributes
    ----------
    gammas, horizons : numpy.ndarray, shape (G,)
        Discounts and :math:`H = 1/(1-\gamma)`.
    n_states, iterations : numpy.ndarray of int, shape (G,)
        Chain length :math:`N` and number of iterations :math:`K = N - 2`.
    avi_loss, mdvi_loss : numpy.ndarray, shape (G,)
        :math:`\max_k \|v^* - v^{\pi_k}\|_\infty` over the last
        :math:`\lceil 2H\rceil` iterations (the limsup proxy) for AVI
        (``kl_weight = 0``) and MD-VI (``kl_weight > 0``, no entropy).
    avi_bound : numpy.ndarray, shape (G,)
        :math:`2\gamma\epsilon/(1-\gamma)^2` (Bertsekas & Tsitsiklis 1996, Prop. 6.1).
    avi_closed_form : numpy.ndarray, shape (G,)
        :math:`(1-\delta)(1-\gamma^{K-3})\, 2\gamma\epsilon/(1-\gamma)^2`,
        AVI's loss in closed form (see the function's Notes).
    mdvi_bound : numpy.ndarray, shape (G,)
        Vieillard et al. Thm 1 at the last iteration :math:`K`:
        :math:`\frac{2}{1-\gamma}\|\frac1K\sum_{j}\epsilon_j\|_\infty
        + \frac{4}{(1-\gamma)^2}\frac{r_{max} + \gamma\lambda\log|A|}{K}`.
    mdvi_last_loss : numpy.ndarray, shape (G,)
        MD-VI's :math:`\|q^* - q^{\pi_K}\|_\infty` (compared with ``mdvi_bound``).
    epsilon, kl_weight, margin : float

    Examples
    --------
    >>> from rltheory.tabular import error_propagation_experiment
    >>> res = error_propagation_experiment([0.75])  # H = 4: N = ceil(6 H) + 3 = 27 states, K = N - 2 = 25
    >>> res.n_states.tolist(), res.iterations.tolist(), bool(res.avi_loss[0] <= res.avi_bound[0])
    ([27], [25], True)
    """

    gammas: np.ndarray
    horizons: np.ndarray
    n_states: np.ndarray
    iterations: np.ndarray
    avi_loss: np.ndarray
    mdvi_loss: np.ndarray
    avi_bound: np.ndarray
    avi_closed_form: np.ndarray
    mdvi_bound: np.ndarray
    mdvi_last_loss: np.ndarray
    epsilon: float
    kl_weight: float
    margin: float


def _adversarial_chain(gamma: float, epsilon: float, margin: float, chain_factor: float):
    """The chain MDP and error sequence of :func:`error_propagation_experiment`."""
    N = int(np.ceil(chain_factor / (1.0 - gamma))) + 3
    P = np.zeros((N, 2, N))
    P[0, :, 0] = 1.0
    for i in range(1, N):
        P[i, 0, i - 1] = 1.0  # 'left'
        P[i, 1, i] = 1.0  # 'stay'
    i = np.arange(N)
    # stay reward c_i = -(1 - margin) 2 gamma eps (1 - gamma^(i-1)) / (1 - gamma)
    c = -(1.0 - margin) * 2.0 * gamma * epsilon * (1.0 - gamma ** np.maximum(i - 1, 0)) / (1.0 - gamma)
    R = np.zeros((N, 2))
    R[:, 1] = np.where(i >= 2, c, 0.0)
    mask = np.ones((N, 2), dtype=bool)
    mask[:2, 1] = False  # no 'stay' in the absorbing state 0 and in state 1
    mdp = FiniteMDP(P, R, gamma=gamma, action_mask=mask)
    K = N - 2
    E = np.zeros((K, N, 2))
    for k in range(K):  # e_k = eps (1_{k+1} - 1_k), the same for both actions
        E[k, k, :] -= epsilon
        E[k, k + 1, :] += epsilon
    return mdp, E


def error_propagation_experiment(
    gammas, epsilon: float = 0.01, kl_weight: float = 1.0, *, margin: float = 1e-3, chain_factor: float = 6.0
) -> ErrorPropagationResult:
    r"""AVI accumulates evaluation errors (loss :math:`\propto H^2`), KL-regularized MD-VI averages them.

    For every :math:`\gamma` a deterministic chain with states
    :math:`0, \dots, N-1`, :math:`N = \lceil c_N H\rceil + 3`: state 0 is
    absorbing with reward 0; every state :math:`i \ge 1` has 'left'
    (:math:`\to i-1`, reward 0) and, for :math:`i \ge 2`, 'stay' with reward
    :math:`c_i = -(1-\delta)\,2\gamma\epsilon(1-\gamma^{i-1})/(1-\gamma) < 0`,
    so :math:`q^* = 0` on 'left' and 'left' everywhere is optimal. Both
    algorithms start at :math:`q_0 = 0` and receive the same persistent but
    *moving* errors :math:`\epsilon_k = \epsilon(\mathbf 1_{k+1} - \mathbf 1_k)`
    (both actions), :math:`\|\epsilon_k\|_\infty = \epsilon`:

    * AVI (:func:`mirror_descent_value_iteration` with ``kl_weight = 0``):
      the wave of errors builds :math:`q_k(k, \cdot) - q_k(k-1, \cdot) \to
      2\epsilon/(1-\gamma)`, so the greedy policy stays at the front state
      and loses :math:`-c_i/(1-\gamma) \to (1-\delta)\,2\gamma\epsilon/(1-\gamma)^2`:
      the bound of Bertsekas & Tsitsiklis (1996, Prop. 6.1) is attained up to
      :math:`1-\delta` (the Scherrer & Lesner 2012 style tightness example).
      A *constant* error cannot do this: then AVI converges to the optimal
      q of the reward :math:`r + \epsilon`, whose greedy policy loses at most
      :math:`2\epsilon/(1-\gamma)`; and i.i.d. zero-mean errors cancel.
    * MD-VI (``kl_weight`` :math:`= \lambda > 0`, no entropy): the policy is
      the softmax of :math:`\lambda^{-1}\sum_j q_j`, and Vieillard et al.
      (2020), Thm 1 bounds its loss by
      :math:`\frac{2}{1-\gamma}\|\frac1k\sum_{j\le k}\epsilon_j\|_\infty` plus
      :math:`\frac{4}{(1-\gamma)^2}\frac{r_{max}+\gamma\lambda\log|A|}{k}`;
      here the sum telescopes, :math:`\|\sum_j\epsilon_j\|_\infty = \epsilon`
      (:math:`2\epsilon`-bounded in any case, i.e. at most linear in
      :math:`H` for a persistent :math:`\epsilon`).

    Parameters
    ----------
    gammas : array_like
        Discounts in (0, 1).
    epsilon : float
        :math:`\|\epsilon_k\|_\infty > 0`.
    kl_weight : float
        :math:`\lambda > 0` of MD-VI.
    margin : float
        :math:`\delta \in (0, 1)`: makes 'stay' strictly worse than the wave's
        advantage so that ties never occur.
    chain_factor : float
        :math:`c_N`; the finite chain costs a factor
        :math:`1-\gamma^{K - 2H - 1} \approx 1 - e^{-c_N + 3}` in the attained loss.

    Notes
    -----
    ``avi_loss`` and ``mdvi_loss`` are value losses
    :math:`\|v^*-v^{\pi_k}\|_\infty` (:math:`v^* = 0`); AVI's greedy
    :math:`\pi_k` stays exactly at the front :math:`i = k-2` of the error wave
    (:math:`k \ge 4`), so its loss is :math:`-c_{k-2}/(1-\gamma) =
    (1-\delta)(1-\gamma^{k-3})\,2\gamma\epsilon/(1-\gamma)^2` in closed form
    (increasing in :math:`k`; the window's maximum is at :math:`k = K`).
    ``mdvi_last_loss`` is Thm 1's quantity :math:`\|q^*-q^{\pi_K}\|_\infty`.

    References
    ----------
    D. P. Bertsekas, J. N. Tsitsiklis, *Neuro-Dynamic Programming* (1996),
    Prop. 6.1. B. Scherrer, B. Lesner, "On the use of non-stationary policies
    for stationary infinite-horizon Markov decision processes", NIPS 2012
    (tightness of :math:`2\gamma\epsilon/(1-\gamma)^2`). N. Vieillard et al.,
    NeurIPS 2020, Thm 1.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular import error_propagation_experiment
    >>> res = error_propagation_experiment([0.8, 0.9])
    >>> bool(np.allclose(res.avi_loss, res.avi_closed_form, rtol=1e-9) and np.all(res.avi_loss <= res.avi_bound))
    True
    >>> bool(np.all(res.mdvi_loss < res.avi_loss / 5))
    True
    """
    g = np.atleast_1d(np.asarray(gammas, dtype=float))
    if g.ndim != 1 or g.size == 0 or not np.all((g > 0) & (g < 1)):
        raise ValueError(f"gammas must be a non-empty 1-d array of discounts in (0, 1), got {gammas!r}")
    eps = check_real("epsilon", epsilon, low=0.0, low_open=True)
    lam = check_real("kl_weight", kl_weight, low=0.0, low_open=True)
    chain_factor = check_real("chain_factor", chain_factor, low=0.0, low_open=True)
    delta = check_probability("margin", margin)
    out = {k: [] for k in ("N", "K", "avi", "md", "bnd", "low", "mdb", "mdl")}
    for gamma in g:
        mdp, E = _adversarial_chain(float(gamma), eps, delta, float(chain_factor))
        N, K = mdp.n_states, E.shape[0]
        H = 1.0 / (1.0 - gamma)
        w = int(np.ceil(2 * H))
        avi = mirror_descent_value_iteration(mdp, 0.0, max_iter=K, errors=E)
        md = mirror_descent_value_iteration(mdp, lam, max_iter=K, errors=E)
        out["N"].append(N)
        out["K"].append(K)
        v_star = np.asarray(policy_iteration(mdp).v)
        for key, res in (("avi", avi), ("md", md)):
            out[key].append(
                max(
                    float(np.max(v_star - regularized_policy_evaluation(mdp, p, 0.0).v))
                    for p in res.action_probabilities_history[-w:]
                )
            )
        # Bertsekas & Tsitsiklis (1996), Prop. 6.1: limsup ||v* - v^{pi_k}|| <= 2 gamma eps / (1-gamma)^2
        bnd = 2.0 * gamma * eps / (1.0 - gamma) ** 2
        out["bnd"].append(bnd)
        # pi_k stays at the wave's front i = k - 2 and loses -c_i/(1-gamma); the window's worst is k = K
        out["low"].append((1.0 - delta) * (1.0 - gamma ** (K - 3)) * bnd)
        # Vieillard et al. (2020), Thm 1 (tau = 0): 2/(1-g) ||E_K / K|| + 4/(1-g)^2 (r_max + g lam log|A|) / K
        avg = float(np.max(np.abs(E.sum(axis=0)))) / K
        rmax = float(np.max(np.abs(mdp.R)))
        out["mdb"].append(2.0 * H * avg + 4.0 * H**2 * (rmax + gamma * lam * np.log(mdp.n_actions)) / K)
        out["mdl"].append(float(md.suboptimality[-1]))
    arr = {k: readonly(np.array(v)) for k, v in out.items()}
    return ErrorPropagationResult(
        gammas=readonly(g.copy()),
        horizons=readonly(1.0 / (1.0 - g)),
        n_states=arr["N"],
        iterations=arr["K"],
        avi_loss=arr["avi"],
        mdvi_loss=arr["md"],
        avi_bound=arr["bnd"],
        avi_closed_form=arr["low"],
        mdvi_bound=arr["mdb"],
        mdvi_last_loss=arr["mdl"],
        epsilon=eps,
        kl_weight=lam,
        margin=delta,
    )
