r"""Bayes-optimal policies of two-armed Beta-Bernoulli bandits by exact dynamic programming over beliefs.

Arm :math:`k \in \{0, 1\}` has an unknown success probability with prior :math:`\mathrm{Beta}(a_k, b_k)`;
after :math:`n_k` pulls with :math:`s_k` successes its posterior is
:math:`\mathrm{Beta}(a_k + s_k, b_k + n_k - s_k)` and the predictive probability of a success is
:math:`m_k = (a_k + s_k)/(a_k + b_k + n_k)`. The belief MDP over
:math:`x = (n_0, s_0, s_1)` at round :math:`t` (:math:`n_1 = t - n_0`) has the Bellman equation of a finite
horizon :math:`H` (Bellman 1956; Berry & Fristedt 1985, *Bandit Problems*, Ch. 2)

.. math:: V_H = 0, \qquad V_t(x) = \max_{k} \Big[m_k + \gamma\big(m_k V_{t+1}(x + e^{+}_k) + (1 - m_k) V_{t+1}(x +
e^{-}_k)\big)\Big],

solved exactly by backward induction (``discount = 1``: the expected number of successes in :math:`H` pulls,
the ground truth of Bayesian regret). :func:`index_policy_value` evaluates an index policy on the same
tree, so the Gittins index theorem can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_int, check_real, readonly

__all__ = ["BayesOptimalPolicy", "bayes_optimal_policy", "index_policy_value"]


def _check_prior(prior, who):
    arr = np.asarray(prior, dtype=np.float64)
    if arr.shape != (2, 2):
        raise ValueError(
            f"{who}: prior must be ((a_0, b_0), (a_1, b_1)), Beta parameters of the two arms; got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{who}: the Beta parameters of the prior must be finite and > 0, got {arr.tolist()}")
    return arr


def _means(prior, t):
    """Predictive success probabilities of both arms on the grid (n_0, s_0, s_1) of round t (invalid cells: NaN)."""
    n0 = np.arange(t + 1)[:, None, None]
    s0 = np.arange(t + 1)[None, :, None]
    s1 = np.arange(t + 1)[None, None, :]
    valid = (s0 <= n0) & (s1 <= t - n0)
    (a0, b0), (a1, b1) = prior
    m0 = np.where(valid, (a0 + s0) / (a0 + b0 + n0), np.nan)
    m1 = np.where(valid, (a1 + s1) / (a1 + b1 + (t - n0)), np.nan)
    return m0, m1, valid


def _q_values(m0, m1, v_next, gamma, t):
    """Q of pulling arm 0 and arm 1 at round t, given V_{t+1} on the grid of round t + 1."""
    # arm 0: n_0 + 1, s_0 + (1 or 0); arm 1: n_0 fixed, s_1 + (1 or 0)
    up0 = v_next[1:, 1:, : t + 1]
    down0 = v_next[1:, : t + 1, : t + 1]
    up1 = v_next[: t + 1, : t + 1, 1:]
    down1 = v_next[: t + 1, : t + 1, : t + 1]
    q0 = m0 + gamma * (m0 * up0 + (1 - m0) * down0)
    q1 = m1 + gamma * (m1 * up1 + (1 - m1) * down1)
    return q0, q1


@dataclass(frozen=True)
class BayesOptimalPolicy:
    r"""The Bayes-optimal policy of a two-armed Beta-Bernoulli bandit over a finite horizon.

    Attributes
    ----------
    value : float
        :math:`V_0` at the prior: the Bayes-optimal expected (discounted) number of successes.
    q : tuple of numpy.ndarray
        ``q[t][n_0, s_0, s_1, k]``: the optimal value of pulling arm ``k`` at round ``t`` (``t = 0..H-1``)
        after ``n_0`` pulls of arm 0 with ``s_0`` successes and ``t - n_0`` pulls of arm 1 with ``s_1``
        successes (NaN outside ``s_0 <= n_0``, ``s_1 <= t - n_0``).
    prior : numpy.ndarray, shape (2, 2)
    horizon : int
    discount : float

    Examples
    --------
    >>> from rltheory.bandits import bayes_optimal_policy
    >>> p = bayes_optimal_policy([[1, 1], [1, 1]], 2)
    >>> round(p.value, 12)  # pull an arm; again after a success (2/3), the other after a failure: 1/2 + 1/3 + 1/4
    1.083333333333
    >>> p.action(0, 0, 0, 0)
    0
    """

    value: float
    q: tuple
    prior: np.ndarray
    horizon: int
    discount: float

    def action(self, t: int, n0: int, s0: int, s1: int) -> int:
        """An optimal arm at round ``t`` in belief ``(n0, s0, s1)`` (the lower index among ties).

        Examples
        --------
        With uniform priors and two pulls, the last pull goes to the arm of larger posterior mean: stay
        after a success (2/3 against 1/2), switch after a failure (1/3 against 1/2).

        >>> from rltheory.bandits import bayes_optimal_policy
        >>> p = bayes_optimal_policy([[1, 1], [1, 1]], 2)
        >>> p.action(1, 1, 1, 0), p.action(1, 1, 0, 0)  # arm 0 was pulled: a success, a failure
        (0, 1)
        >>> p.action(1, 0, 0, 1), p.action(1, 0, 0, 0)  # arm 1 was pulled: a success, a failure
        (1, 0)
        """
        q = self.q[check_int("BayesOptimalPolicy.action: t", t, low=0, high=self.horizon - 1)]
        if not (0 <= s0 <= n0 <= t and 0 <= s1 <= t - n0):
            raise ValueError(f"BayesOptimalPolicy.action: no belief (n0={n0}, s0={s0}, s1={s1}) at round t={t}")
        return int(q[n0, s0, s1, 1] > q[n0, s0, s1, 0])


def bayes_optimal_policy(prior, horizon, *, discount=1.0) -> BayesOptimalPolicy:
    r"""Bayes-optimal two-armed Beta-Bernoulli policy by exact backward induction over beliefs (module docstring).

    Parameters
    ----------
    prior : array_like, shape (2, 2)
        ``((a_0, b_0), (a_1, b_1))``: Beta priors of the arms.
    horizon : int
        Number of pulls :math:`H \ge 1`; the tree has :math:`O(H^4)` beliefs (keep :math:`H \le 60`).
    discount : float
        :math:`\gamma \in (0, 1]`.

    Returns
    -------
    BayesOptimalPolicy

    Examples
    --------
    >>> from rltheory.bandits import bayes_optimal_policy
    >>> round(bayes_optimal_policy([[1, 1], [1, 1]], 1).value, 12)  # one pull: the prior mean
    0.5
    """
    prior = _check_prior(prior, "bayes_optimal_policy")
    H = check_int("bayes_optimal_policy: horizon", horizon, low=1, high=200)
    gamma = check_real("bayes_optimal_policy: discount", discount, low=0.0, high=1.0, low_open=True)
    v_next = np.zeros((H + 1, H + 1, H + 1))
    qs = [None] * H
    for t in range(H - 1, -1, -1):
        m0, m1, valid = _means(prior, t)
        q0, q1 = _q_values(m0, m1, v_next, gamma, t)
        qs[t] = readonly(np.stack([q0, q1], axis=-1))
        v_next = np.where(valid, np.maximum(q0, q1), 0.0)
    return BayesOptimalPolicy(float(v_next[0, 0, 0]), tuple(qs), readonly(prior), H, gamma)


def index_policy_value(prior, horizon, index, *, discount=1.0, ties="worst") -> float:
    r"""Bayes value (expected discounted successes over :math:`H` pulls) of an index policy, by exact recursion.

    The policy pulls the arm with the larger index ``index(alpha, beta)`` of its posterior. ``index`` may
    return a float or a certified interval ``(lower, upper)`` (e.g. :func:`gittins_index`); arms whose
    intervals overlap (or whose floats are equal) are *tied*, and ``ties`` decides the value:
    ``"worst"`` (the minimum over the tied arms: a lower bound on the value of every tie-breaking) or
    ``"best"``.

    Examples
    --------
    >>> from rltheory.bandits import bayes_optimal_policy, index_policy_value
    >>> greedy = lambda a, b: a / (a + b)
    >>> v = index_policy_value([[1, 1], [1, 1]], 2, greedy, ties="best")
    >>> v == bayes_optimal_policy([[1, 1], [1, 1]], 2).value  # with two pulls, greedy is optimal
    True
    """
    prior = _check_prior(prior, "index_policy_value")
    H = check_int("index_policy_value: horizon", horizon, low=1, high=200)
    gamma = check_real("index_policy_value: discount", discount, low=0.0, high=1.0, low_open=True)
    ties = check_choice("index_policy_value: ties", ties, ("worst", "best"))
    cache = {}

    def interval(a, b):
        key = (a, b)
        if key not in cache:
            out = index(a, b)
            lo, hi = (
                (out.lower, out.upper)
                if hasattr(out, "lower")
                else ((float(out[0]), float(out[1])) if np.ndim(out) == 1 else (float(out), float(out)))
            )
            cache[key] = (lo, hi)
        return cache[key]

    v_next = np.zeros((H + 1, H + 1, H + 1))
    (a0, b0), (a1, b1) = prior
    for t in range(H - 1, -1, -1):
        m0, m1, valid = _means(prior, t)
        q0, q1 = _q_values(m0, m1, v_next, gamma, t)
        v = np.zeros((t + 1, t + 1, t + 1))
        for n0, s0, s1 in zip(*np.nonzero(valid)):
            lo0, hi0 = interval(a0 + s0, b0 + n0 - s0)
            lo1, hi1 = interval(a1 + s1, b1 + (t - n0) - s1)
            if lo0 > hi1:
                v[n0, s0, s1] = q0[n0, s0, s1]
            elif lo1 > hi0:
                v[n0, s0, s1] = q1[n0, s0, s1]
            else:
                pick = min if ties == "worst" else max
                v[n0, s0, s1] = pick(q0[n0, s0, s1], q1[n0, s0, s1])
        v_next = v
    return float(v_next[0, 0, 0])
