r"""Regret bounds of episodic tabular RL in their published forms, as functions of the number of episodes K.

Every function takes the problem sizes :math:`S, A, H` and an array of
episode counts :math:`K` (with :math:`T = KH` steps) and returns the bound's
value at each :math:`K` (float array). Where a theorem states an explicit
constant it is used; where it states an :math:`O(\cdot)` / :math:`\Omega(\cdot)`
with an unspecified absolute constant, the function returns the rate with
constant 1 and says so (``constant_stated=False`` in :data:`BOUNDS`): such a
curve is a *shape* to compare slopes with, never a certificate.

============================================  ===============================================================  =========
function                                      published form                                                   source
============================================  ===============================================================  =========
:func:`ucbvi_regret_bound` (``hoeffding``)    :math:`20HL\sqrt{SAT} + 250H^2S^2AL^2`, :math:`L=\ln(5SAT/\delta)`  Azar
et al. 2017, Thm 1
:func:`ucbvi_regret_bound` (``bernstein``)    :math:`30L\sqrt{HSAT} + 2500H^2S^2AL^2 + 4H\sqrt{TL}`            Azar et
al. 2017, Thm 2
:func:`qlearning_regret_bound` (``hoeffding``)  :math:`O(\sqrt{H^4SAT\iota})`, :math:`\iota = \ln(SAT/p)`          Jin
et al. 2018, Thm 1
:func:`qlearning_regret_bound` (``bernstein``)  :math:`O(\sqrt{H^3SAT\iota} + \sqrt{H^9S^3A^3}\,\iota^2)`          Jin
et al. 2018, Thm 2
:func:`psrl_regret_bound`                     :math:`E[\mathrm{Regret}] = O(\tau S\sqrt{AT\log(SAT)})`, :math:`\tau =
H`  Osband et al. 2013, Thm 1
:func:`episodic_lower_bound`                  :math:`\Omega(\sqrt{H^3SAT})` (stage-dependent),
Domingues et al. 2021
                                              :math:`\Omega(\sqrt{H^2SAT})` (stage-homogeneous)
============================================  ===============================================================  =========

The UCBVI constants are those of arXiv:1703.05449 (v2) as we read them;
UCBVI-BF's Theorem 2 needs :math:`T \ge H^3S^3A` and :math:`SA \ge H` for its
leading term to be :math:`\tilde O(\sqrt{HSAT})`. The lower bounds hold for
every algorithm on some MDP of the class (:math:`S \ge 6`, :math:`A \ge 2`,
:math:`H \ge 3\log_A S` and :math:`T \ge HSA` in Domingues et al.); they are
drawn with constant 1 (their constants are small: the curves are
order-of-magnitude guides).
"""

from __future__ import annotations

import math

import numpy as np

from rltheory._validation import check_choice, check_int, check_probability

__all__ = ["BOUNDS", "episodic_lower_bound", "psrl_regret_bound", "qlearning_regret_bound", "ucbvi_regret_bound"]

#: name -> (callable, source, whether the theorem states its constant).
BOUNDS: dict = {}


def _sizes(n_states, n_actions, horizon, episodes):
    S = check_int("n_states", n_states, low=1)
    A = check_int("n_actions", n_actions, low=1)
    H = check_int("horizon", horizon, low=1)
    K = np.asarray(episodes, dtype=float)
    if K.ndim > 1 or not np.all(np.isfinite(K)) or (K < 1).any():
        raise ValueError("episodes must be a number or a 1-d array of episode counts >= 1")
    return S, A, H, K


def ucbvi_regret_bound(n_states, n_actions, horizon, episodes, *, delta=0.1, bonus="hoeffding"):
    r"""UCBVI's high-probability regret bound after ``episodes`` episodes (Azar, Osband & Munos 2017, Thms 1-2).

    Examples
    --------
    >>> import math
    >>> b = float(ucbvi_regret_bound(10, 3, 10, 1000, delta=0.1))
    >>> L = math.log(5 * 10 * 3 * 10_000 / 0.1)
    >>> b == 20 * 10 * L * math.sqrt(10 * 3 * 10_000) + 250 * 10**2 * 10**2 * 3 * L**2
    True
    """
    S, A, H, K = _sizes(n_states, n_actions, horizon, episodes)
    delta = check_probability("delta", delta)
    check_choice("bonus", bonus, ("hoeffding", "bernstein"))
    T = K * H
    L = np.log(5.0 * S * A * T / delta)
    if bonus == "hoeffding":
        # Azar et al. (2017), Theorem 1 (UCBVI-CH)
        return 20.0 * H * L * np.sqrt(S * A * T) + 250.0 * H**2 * S**2 * A * L**2
    # Azar et al. (2017), Theorem 2 (UCBVI-BF)
    return 30.0 * L * np.sqrt(H * S * A * T) + 2500.0 * H**2 * S**2 * A * L**2 + 4.0 * H * np.sqrt(T * L)


def qlearning_regret_bound(n_states, n_actions, horizon, episodes, *, delta=0.1, bonus="hoeffding"):
    r"""The rates of Jin, Allen-Zhu, Bubeck & Jordan (2018), Theorems 1-2, with the unspecified constant set to 1.

    Examples
    --------
    >>> import math
    >>> float(qlearning_regret_bound(2, 2, 2, 1, delta=0.5)) == math.sqrt(2**4 * 2 * 2 * 2 * math.log(2 * 2 * 2 / 0.5))
    True
    """
    S, A, H, K = _sizes(n_states, n_actions, horizon, episodes)
    delta = check_probability("delta", delta)
    check_choice("bonus", bonus, ("hoeffding", "bernstein"))
    T = K * H
    iota = np.log(S * A * T / delta)
    if bonus == "hoeffding":
        return np.sqrt(H**4 * S * A * T * iota)  # Theorem 1: O(sqrt(H^4 S A T iota))
    return np.sqrt(H**3 * S * A * T * iota) + math.sqrt(H**9 * S**3 * A**3) * iota**2  # Theorem 2


def psrl_regret_bound(n_states, n_actions, horizon, episodes):
    r"""PSRL's Bayesian-regret rate :math:`\tau S\sqrt{AT\log(SAT)}`, :math:`\tau = H` (Osband et al. 2013, Thm 1),
    constant 1.

    A bound on the regret *averaged over MDPs drawn from the prior*, not on
    a fixed MDP.

    Examples
    --------
    >>> import math
    >>> float(psrl_regret_bound(2, 3, 4, 10)) == 4 * 2 * math.sqrt(3 * 40 * math.log(2 * 3 * 40))
    True
    """
    S, A, H, K = _sizes(n_states, n_actions, horizon, episodes)
    T = K * H
    return H * S * np.sqrt(A * T * np.log(S * A * T))


def episodic_lower_bound(n_states, n_actions, horizon, episodes, *, stationary=True):
    r"""The minimax lower-bound rate :math:`\sqrt{H^2SAT}` (stationary) or :math:`\sqrt{H^3SAT}` (stage-dependent),
    constant 1.

    Domingues, Menard, Kaufmann & Valko (2021), "Episodic reinforcement
    learning in finite MDPs: minimax lower bounds revisited", ALT, PMLR
    132: :math:`\Omega(\sqrt{H^3SAT})` for stage-dependent transitions (their
    Theorem 9) and the :math:`\Omega(\sqrt{H^2SAT})` of stage-homogeneous ones.

    Examples
    --------
    >>> float(episodic_lower_bound(6, 2, 3, 10)) == (3**2 * 6 * 2 * 30) ** 0.5
    True
    """
    S, A, H, K = _sizes(n_states, n_actions, horizon, episodes)
    T = K * H
    return np.sqrt((H**2 if stationary else H**3) * S * A * T)


BOUNDS.update(
    {
        "ucbvi-ch": (
            lambda S, A, H, K: ucbvi_regret_bound(S, A, H, K, bonus="hoeffding"),
            "Azar et al. (2017), Thm 1 (delta = 0.1)",
            True,
        ),
        "ucbvi-bf": (
            lambda S, A, H, K: ucbvi_regret_bound(S, A, H, K, bonus="bernstein"),
            "Azar et al. (2017), Thm 2 (delta = 0.1)",
            True,
        ),
        "qlearning-h": (
            lambda S, A, H, K: qlearning_regret_bound(S, A, H, K, bonus="hoeffding"),
            "Jin et al. (2018), Thm 1 rate",
            False,
        ),
        "qlearning-b": (
            lambda S, A, H, K: qlearning_regret_bound(S, A, H, K, bonus="bernstein"),
            "Jin et al. (2018), Thm 2 rate",
            False,
        ),
        "psrl": (psrl_regret_bound, "Osband et al. (2013), Thm 1 rate (Bayesian regret)", False),
        "lower": (episodic_lower_bound, "Domingues et al. (2021), minimax lower-bound rate", False),
    }
)
