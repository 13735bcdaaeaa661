r"""The DPO family solved exactly in contextual-bandit form: ``X`` prompts, ``Y`` responses, a reference policy.

**The problem** (:class:`AlignmentProblem`). Prompts :math:`x \sim \rho`, responses
:math:`y \in [Y]`, a reference policy :math:`\pi_{\mathrm{ref}}(y|x) > 0`, a temperature
:math:`\beta > 0` and either a latent reward :math:`r(x, y)` (Bradley-Terry preferences
:math:`p(y \succ y'|x) = \sigma(r(x,y) - r(x,y'))`) or a general preference tensor (non-transitive
allowed). The KL-regularized optimum :math:`\pi^*(y|x) \propto \pi_{\mathrm{ref}}(y|x)
e^{r(x,y)/\beta}` maximizes :math:`\mathbb E_\pi r - \beta\,\mathrm{KL}(\pi\|\pi_{\mathrm{ref}})`
(:meth:`AlignmentProblem.optimal_policy`, computed by
:func:`rltheory.tabular.kl_regularized_posterior`).

**Data.** Comparisons are pairs :math:`(y, y')`, :math:`y \ne y'`, drawn i.i.d. from a sampling
policy :math:`\mu(\cdot|x)` (default :math:`\pi_{\mathrm{ref}}`), labelled by the preference model
(:func:`sample_preference_data`, a :class:`PreferenceDataset` of counts ``counts[x, y, y']`` = how
often ``y`` was preferred to ``y'``). Every loss below is an expectation: over the data (the
*finite-sample* loss, ``data=...``) or over :math:`x \sim \rho, (y, y') \sim \mu\otimes\mu` and the
preference model (the *population* loss, ``data=None``). With :math:`h_\pi(x,y) =
\log\frac{\pi(y|x)}{\pi_{\mathrm{ref}}(y|x)}` and :math:`\ell(z) = -\log\sigma(z)`:

* **DPO** (Rafailov et al. 2023, eq. (7)): :math:`\ell(\beta(h_\pi(y_w) - h_\pi(y_l)))`. Its
  population minimizer under Bradley-Terry preferences with full coverage is :math:`\pi^*`
  (their Thm 1 and Sec. 5); the finite-sample minimizer is the per-prompt Bradley-Terry MLE of
  :math:`\beta h` (it exists iff each prompt's "beats" graph is strongly connected: Ford 1957).
* **IPO** (Azar et al. 2023, eq. (17)): :math:`(h_\pi(y_w) - h_\pi(y_l) - \frac{1}{2\beta})^2`; a
  least-squares problem solved exactly. With :math:`\mu\otimes\mu` sampling its population
  minimizer is :math:`\pi(y|x) \propto \pi_{\mathrm{ref}}(y|x)\exp(p(y \succ \mu|x)/\beta)`, the
  optimum of :math:`\mathbb E_{y\sim\pi, y'\sim\mu}\, p(y \succ y') - \beta\mathrm{KL}(\pi\|\pi_{\mathrm{ref}})`
  (their Sec. 4-5; finite even for deterministic preferences, where DPO has no minimizer).
* **f-DPO** (Wang et al. 2023): :math:`\ell(\beta(f'(u_w) - f'(u_l)))`, :math:`u = \pi/\pi_{\mathrm{ref}}`,
  for reverse KL, forward KL, Jensen-Shannon and :math:`\alpha`-divergences; the optimum of
  :math:`\mathbb E_\pi r - \beta\,\mathbb E_{\pi_{\mathrm{ref}}} f(\pi/\pi_{\mathrm{ref}})` satisfies the KKT
  conditions :math:`r(x, y) = \beta f'(u(x,y)) + \lambda(x)` (:math:`f'(0^+) = -\infty`, so
  :math:`u > 0`), solved here by a monotone root search for :math:`\lambda(x)`
  (:func:`f_divergence_optimal_policy`).
* **rDPO** (Chowdhury, Kini & Natarajan 2024, eq. (4)): labels flipped with probability
  :math:`\varepsilon < 1/2`; the loss :math:`\frac{(1-\varepsilon)\ell(z) - \varepsilon\ell(-z)}{1 - 2\varepsilon}`
  is an unbiased estimate of the clean loss (their Lemma 3.1); in tabular form it is convex
  (:math:`\ell(-z) = \ell(z) + z`).
* **RPO** (Liu et al. 2024): DPO plus :math:`\eta\beta\,\mathbb E_{y \sim \pi_{\mathrm{base}}}[-\log\pi(y|x)]`;
  equivalently the max-min problem :math:`\max_\pi\min_r\ \eta^{-1} L_{\mathrm{BT}}(r) + \mathbb E_\pi r -
  \mathbb E_{\pi_{\mathrm{base}}} r - \beta\mathrm{KL}(\pi\|\pi_{\mathrm{ref}})` (substitute the inner
  :math:`\max_\pi`, :math:`\pi_r \propto \pi_{\mathrm{ref}} e^{r/\beta}`, then :math:`r = \beta h_\pi + \beta\log Z`).
* **VPO** (Cen et al. 2024): :math:`\hat r = \arg\min_r L_{\mathrm{BT}}(r) - s\,\alpha\, V(r)`,
  :math:`V(r) = \mathbb E_x[\max_\pi J_r(\pi) - \mathbb E_{\pi_{\mathrm{cal}}} r] =
  -\beta\,\mathbb E_{x, y\sim\pi_{\mathrm{cal}}} h_{\pi_r}(x,y)`, :math:`s = +1` optimistic (online), :math:`-1`
  pessimistic (offline); in policy form DPO plus :math:`s\,\alpha\beta\,\mathbb E_{\pi_{\mathrm{cal}}} h_\pi`.
* **CPL** (Hejna et al. 2024): with regret-based preferences :math:`p(\sigma \succ \sigma') =
  \sigma(A^*(\sigma) - A^*(\sigma'))` between segments :math:`\sigma = (x, y)` (across prompts),
  :math:`A^* = \beta\log(\pi^*/\pi_{\mathrm{ref}})` the optimal (KL-regularized) advantage, the loss
  :math:`\ell(\beta h_\pi(\sigma_w) - \beta h_\pi(\sigma_l))` is minimized exactly at :math:`\pi^*`.
* **SPO** (Swamy et al. 2024): self-play Hedge on :math:`p(y \succ \pi_t|x)`; the average iterate is a
  :math:`\sqrt{\log Y/(2T)}`-approximate von Neumann winner (minimax winner) of every prompt.

Minimizers return a :class:`PreferenceOptimizationResult` with the optimality certificate
``residual`` :math:`= \max_x \|\nabla_{\theta_x} L_x\|_\infty` (gradient of the per-prompt loss
in the logits, recomputed from the loss itself) and ``converged``. Pairwise losses are solved by a
batched Newton method over prompts (per-prompt ``Y x Y`` systems, backtracking line search);
IPO by an exact linear solve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit, logsumexp

from .._validation import (
    PROBABILITY_SUM_ATOL,
    as_generator,
    check_choice,
    check_finite,
    check_int,
    check_iteration_settings,
    check_real,
    check_tol,
    readonly,
)

__all__ = [
    "AlignmentProblem",
    "PreferenceDataset",
    "PreferenceOptimizationResult",
    "SPOResult",
    "cpl",
    "cpl_loss",
    "dpo",
    "dpo_loss",
    "f_divergence_optimal_policy",
    "f_dpo",
    "f_dpo_loss",
    "ipo",
    "ipo_loss",
    "rdpo",
    "rdpo_loss",
    "rpo",
    "rpo_loss",
    "sample_preference_data",
    "spo",
    "vpo",
    "vpo_loss",
]

DIVERGENCES = ("reverse-kl", "forward-kl", "jensen-shannon", "alpha")


# =========================================================================== the problem and the data


def _stochastic_rows(name, array, positive: bool) -> np.ndarray:
    A = np.array(array, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] < 2:
        raise ValueError(f"{name} has shape {A.shape}, expected (X, Y) with Y >= 2")
    check_finite(name, A)
    if (A < 0).any():
        x, y = (int(v) for v in np.argwhere(A < 0)[0])
        raise ValueError(f"{name}[{x}, {y}] = {float(A[x, y])!r} is negative")
    sums = A.sum(axis=1)
    bad = np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL
    if bad.any():
        x = int(np.argmax(bad))
        raise ValueError(
            f"{name}[{x}] sums to {float(sums[x])!r}, expected 1: every row is a distribution over responses"
        )
    if positive and (A == 0).any():
        x, y = (int(v) for v in np.argwhere(A == 0)[0])
        raise ValueError(
            f"{name}[{x}, {y}] = 0: every response needs positive reference probability (the implicit "
            "reward log(pi / pi_ref) of DPO and the KL term are undefined otherwise)"
        )
    return readonly(np.ascontiguousarray(A))


def _preference_tensor(P, X, Y) -> np.ndarray:
    P = np.array(P, dtype=np.float64)
    if P.shape != (X, Y, Y):
        raise ValueError(f"preferences has shape {P.shape}, expected ({X}, {Y}, {Y})")
    check_finite("preferences", P)
    if ((P < 0) | (P > 1)).any():
        x, y, z = (int(v) for v in np.argwhere((P < 0) | (P > 1))[0])
        raise ValueError(f"preferences[{x}, {y}, {z}] = {float(P[x, y, z])!r} is not a probability")
    skew = np.abs(P + P.transpose(0, 2, 1) - 1.0)
    if (skew > 1e-12).any():
        x, y, z = (int(v) for v in np.argwhere(skew > 1e-12)[0])
        raise ValueError(f"preferences[{x}, {y}, {z}] + preferences[{x}, {z}, {y}] != 1")
    return readonly(P)


@dataclass(frozen=True, eq=False)
class AlignmentProblem:
    r"""A KL-regularized contextual bandit with preference feedback (see the module docstring).

    Parameters
    ----------
    reference : (X, Y) array_like
        :math:`\pi_{\mathrm{ref}}`: rows are distributions with every entry ``> 0``.
    rewards : (X, Y) array_like, optional
        The latent reward; preferences are then Bradley-Terry.
    preferences : (X, Y, Y) array_like, optional
        A general preference tensor :math:`p(y \succ y'|x)` (entries in [0, 1], skew-symmetric,
        1/2 on the diagonal); exactly one of ``rewards`` / ``preferences``.
    beta : float
        :math:`\beta > 0` (IPO's :math:`\tau`, CPL's temperature :math:`\alpha`).
    prompt_weights : (X,) array_like, optional
        :math:`\rho` (default uniform).

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]], beta=1.0)
    >>> prob.optimal_policy().round(4).tolist()  # pi_ref e^{r / beta} / Z
    [[0.2689, 0.7311]]
    >>> AlignmentProblem([[0.5, 0.6]], rewards=[[0.0, 1.0]])
    Traceback (most recent call last):
    ...
    ValueError: reference[0] sums to 1.1, expected 1: every row is a distribution over responses
    """

    reference: np.ndarray
    rewards: np.ndarray | None = None
    preferences: np.ndarray | None = None
    beta: float = 1.0
    prompt_weights: np.ndarray | None = None

    def __post_init__(self):
        ref = _stochastic_rows("reference", self.reference, positive=True)
        X, Y = ref.shape
        object.__setattr__(self, "reference", ref)
        if (self.rewards is None) == (self.preferences is None):
            raise ValueError(
                "give exactly one of rewards (Bradley-Terry preferences) or preferences (a general tensor)"
            )
        if self.rewards is not None:
            r = np.array(self.rewards, dtype=np.float64)
            if r.shape != (X, Y):
                raise ValueError(f"rewards has shape {r.shape}, expected ({X}, {Y})")
            check_finite("rewards", r)
            object.__setattr__(self, "rewards", readonly(r))
        else:
            object.__setattr__(self, "preferences", _preference_tensor(self.preferences, X, Y))
        object.__setattr__(self, "beta", check_real("beta", self.beta, low=0.0, low_open=True))
        rho = np.full(X, 1.0 / X) if self.prompt_weights is None else np.array(self.prompt_weights, dtype=np.float64)
        if rho.shape != (X,):
            raise ValueError(f"prompt_weights has shape {rho.shape}, expected ({X},)")
        check_finite("prompt_weights", rho)
        if (rho <= 0).any() or abs(rho.sum() - 1.0) > PROBABILITY_SUM_ATOL:
            raise ValueError("prompt_weights must be a probability vector with positive entries")
        object.__setattr__(self, "prompt_weights", readonly(rho))

    @property
    def n_prompts(self) -> int:
        """The number ``X`` of prompts (rows of ``reference``).

        Examples
        --------
        >>> AlignmentProblem([[0.5, 0.5], [0.2, 0.8]], rewards=[[0.0, 1.0], [0.0, 0.0]]).n_prompts
        2
        """
        return int(self.reference.shape[0])

    @property
    def n_responses(self) -> int:
        """The number ``Y`` of responses per prompt (columns of ``reference``).

        Examples
        --------
        >>> AlignmentProblem([[0.2, 0.3, 0.5]], rewards=[[0.0, 1.0, 0.5]]).n_responses
        3
        """
        return int(self.reference.shape[1])

    @property
    def preference_tensor(self) -> np.ndarray:
        """:math:`p(y \\succ y'|x)`, ``(X, Y, Y)`` (Bradley-Terry from ``rewards`` when given).

        Examples
        --------
        >>> prob = AlignmentProblem([[0.5, 0.5], [0.2, 0.8]], rewards=[[0.0, 1.0], [0.0, 0.0]])
        >>> prob.preference_tensor.round(6).tolist()  # sigma(r_y - r_y'): sigma(1) = 0.731059, equal rewards 1/2
        [[[0.5, 0.268941], [0.731059, 0.5]], [[0.5, 0.5], [0.5, 0.5]]]
        """
        if self.preferences is not None:
            return self.preferences
        r = self.rewards
        return readonly(expit(r[:, :, None] - r[:, None, :]))

    def optimal_policy(self) -> np.ndarray:
        r"""The KL-regularized optimum :math:`\pi^* \propto \pi_{\mathrm{ref}} e^{r/\beta}` (needs ``rewards``).

        Examples
        --------
        >>> prob = AlignmentProblem([[0.5, 0.5], [0.2, 0.8]], rewards=[[0.0, 1.0], [0.0, 0.0]], beta=1.0)
        >>> prob.optimal_policy().round(4).tolist()  # e / (1 + e) at prompt 0; equal rewards keep pi_ref at prompt 1
        [[0.2689, 0.7311], [0.2, 0.8]]
        """
        from rltheory.tabular import kl_regularized_posterior

        if self.rewards is None:
            raise ValueError("optimal_policy needs rewards: with general preferences use ipo or spo")
        return readonly(
            np.stack(
                [
                    np.asarray(
                        kl_regularized_posterior(self.rewards[x], self.reference[x], self.beta).action_probabilities
                    )
                    for x in range(self.n_prompts)
                ]
            )
        )

    def to_spec(self) -> dict:
        """A JSON-able dict of the problem: ``reference``, ``beta``, ``prompt_weights``, ``rewards`` or ``preferences``.

        Examples
        --------
        >>> spec = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]], beta=0.5).to_spec()
        >>> spec["type"], spec["reference"], spec["beta"], spec["prompt_weights"], spec["rewards"]
        ('AlignmentProblem', [[0.5, 0.5]], 0.5, [1.0], [[0.0, 1.0]])
        """
        spec = {
            "type": "AlignmentProblem",
            "reference": self.reference.tolist(),
            "beta": self.beta,
            "prompt_weights": self.prompt_weights.tolist(),
        }
        if self.rewards is not None:
            spec["rewards"] = self.rewards.tolist()
        else:
            spec["preferences"] = self.preferences.tolist()
        return spec


@dataclass(frozen=True, eq=False)
class PreferenceDataset:
    r"""Counts of preference comparisons: ``counts[x, y, y']`` = how often ``y`` was preferred to ``y'`` at prompt
    ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> data = PreferenceDataset(np.array([[[0, 3], [1, 0]]]))
    >>> data.n_comparisons, data.prompt_counts.tolist()
    (4, [4])
    """

    counts: np.ndarray

    def __post_init__(self):
        C = np.asarray(self.counts)
        if C.ndim != 3 or C.shape[1] != C.shape[2] or C.shape[1] < 2:
            raise ValueError(f"counts has shape {C.shape}, expected (X, Y, Y) with Y >= 2")
        if C.size and not np.issubdtype(C.dtype, np.integer):
            raise ValueError("counts must be integers")
        if (C < 0).any():
            raise ValueError("counts must be non-negative")
        if np.einsum("xyy->xy", C).any():
            raise ValueError("counts[x, y, y] must be 0: a response is not compared with itself")
        object.__setattr__(self, "counts", readonly(C.astype(np.int64)))

    @property
    def n_comparisons(self) -> int:
        """The total number of comparisons (the sum of ``counts``).

        Examples
        --------
        >>> PreferenceDataset(np.array([[[0, 3], [1, 0]], [[0, 2], [0, 0]]])).n_comparisons
        6
        """
        return int(self.counts.sum())

    @property
    def prompt_counts(self) -> np.ndarray:
        """``(X,)`` int64: the number of comparisons at each prompt.

        Examples
        --------
        >>> PreferenceDataset(np.array([[[0, 3], [1, 0]], [[0, 2], [0, 0]]])).prompt_counts.tolist()
        [4, 2]
        """
        return readonly(self.counts.sum(axis=(1, 2)))


def _pair_weights(problem: AlignmentProblem, sampling) -> np.ndarray:
    """:math:`\\rho(x)\\mu(y|x)\\mu(y'|x)` on ``y != y'``, normalized per prompt to ``rho(x)``."""
    X, Y = problem.reference.shape
    mu = problem.reference if sampling is None else _stochastic_rows("sampling", sampling, positive=False)
    if mu.shape != (X, Y):
        raise ValueError(f"sampling has shape {mu.shape}, expected ({X}, {Y})")
    w = mu[:, :, None] * mu[:, None, :]
    w[:, np.arange(Y), np.arange(Y)] = 0.0
    tot = w.sum(axis=(1, 2))
    if (tot <= 0).any():
        x = int(np.argmax(tot <= 0))
        raise ValueError(f"sampling[{x}] puts all its mass on one response: no pair can be compared")
    return w * (np.asarray(problem.prompt_weights) / tot)[:, None, None]


def sample_preference_data(
    problem: AlignmentProblem, n_comparisons: int, *, sampling=None, flip_rate: float = 0.0, rng=None
) -> PreferenceDataset:
    r"""Draw ``n_comparisons`` labelled comparisons: :math:`x \sim \rho`, :math:`y \ne y'` from :math:`\mu\otimes\mu`,
    the preference label.

    With ``flip_rate`` :math:`\varepsilon`, each label is flipped independently with probability
    :math:`\varepsilon` (the noise model of rDPO, Chowdhury et al. 2024, Sec. 3).

    Examples
    --------
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 2.0]])
    >>> data = sample_preference_data(prob, 2000, rng=0)
    >>> bool(0.85 < data.counts[0, 1, 0] / 2000 < 0.91)  # sigma(2) = 0.881
    True
    """
    if not isinstance(problem, AlignmentProblem):
        raise ValueError(f"sample_preference_data needs an AlignmentProblem, got {type(problem).__name__}")
    n = check_int("n_comparisons", n_comparisons, low=0)
    eps = check_real("flip_rate", flip_rate, low=0.0, high=0.5, high_open=True)
    rng = as_generator(rng)
    X, Y = problem.reference.shape
    w = _pair_weights(problem, sampling).ravel()
    cells = rng.multinomial(n, w / w.sum()).reshape(X, Y, Y)  # unlabelled ordered pairs (first, second)
    P = np.asarray(problem.preference_tensor)
    first = rng.binomial(cells, P)
    if eps > 0:
        first = rng.binomial(first, 1 - eps) + rng.binomial(cells - first, eps)
    counts = first + (cells - first).transpose(0, 2, 1)
    return PreferenceDataset(counts)


def _soft_counts(problem, data, sampling):
    """Soft counts c[x, y, y'] (y beat y') and prompt weights rho (both summing to 1 over everything)."""
    if data is None:
        w = _pair_weights(problem, sampling)
        # the ordered draw (y, y') is won by y w.p. p(y > y'): y beats y' with mass (w + w^T) p
        c = (w + w.transpose(0, 2, 1)) * np.asarray(problem.preference_tensor)
        return c, np.asarray(problem.prompt_weights, dtype=np.float64)
    if not isinstance(data, PreferenceDataset):
        raise ValueError(f"data must be a PreferenceDataset or None (the population loss), got {type(data).__name__}")
    if data.counts.shape != (problem.n_prompts, problem.n_responses, problem.n_responses):
        raise ValueError(
            f"data.counts has shape {data.counts.shape}, expected "
            f"({problem.n_prompts}, {problem.n_responses}, {problem.n_responses})"
        )
    if sampling is not None:
        raise ValueError("sampling describes the population loss; with data it is the data's own")
    n = data.n_comparisons
    if n == 0:
        raise ValueError("data has no comparisons")
    per = np.asarray(data.prompt_counts)
    if (per == 0).any():
        x = int(np.argmax(per == 0))
        raise ValueError(f"prompt {x} has no comparison in the data: the minimizer is not unique there")
    return np.asarray(data.counts, dtype=np.float64) / n, per / n


def _check_connected(c, who):
    """Ford's condition per prompt: the graph 'y beat y''' is strongly connected (else no finite minimizer)."""
    from scipy.sparse import block_diag, csr_matrix
    from scipy.sparse.csgraph import connected_components

    X, Y, _ = c.shape
    graph = block_diag([csr_matrix(c[x] > 0) for x in range(X)], format="csr")
    n, labels = connected_components(graph, directed=True, connection="strong")
    if n != X:
        labels = labels.reshape(X, Y)
        for x in range(X):
            if np.unique(labels[x]).size > 1:
                raise ValueError(
                    f"{who}: no minimizer at prompt {x}: its comparison graph is not strongly connected "
                    "(some responses never lose, or never win, against the others: Ford 1957), so "
                    "the loss decreases forever towards a deterministic policy; use ipo, more data, "
                    "or preferences in (0, 1)"
                )
    return None


# =========================================================================== results


@dataclass(frozen=True, eq=False)
class PreferenceOptimizationResult:
    r"""Result of the minimizers of this module.

    Attributes
    ----------
    action_probabilities : (X, Y) float64
        The minimizing policy.
    implicit_rewards : (X, Y) float64
        :math:`\beta\log(\pi/\pi_{\mathrm{ref}})` (DPO's implicit reward; for CPL the advantage estimate).
    loss : float
        The minimized loss.
    residual : float
        :math:`\max_x \|\nabla_{\theta_x} L_x\|_\infty` at the solution, :math:`L_x` the per-prompt loss
        (the optimality certificate, recomputed from the loss).
    iterations : int
    converged : bool
        ``residual <= tol``.
    method : str

    Examples
    --------
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]], beta=1.0)
    >>> res = dpo(prob)
    >>> res.method, res.converged, bool(np.allclose(res.action_probabilities, prob.optimal_policy(), atol=1e-9))
    ('dpo', True, True)
    >>> h = res.implicit_rewards  # r - beta log Z: reward differences are recovered exactly
    >>> round(float(h[0, 1] - h[0, 0]), 6)
    1.0
    """

    action_probabilities: np.ndarray
    implicit_rewards: np.ndarray
    loss: float
    residual: float
    iterations: int
    converged: bool
    method: str


def _result(method, problem, theta, value, grad, rho, it, tol):
    pi = _softmax(theta)
    residual = float(np.max(np.abs(grad) / rho[:, None]))
    h = np.log(pi) - np.log(problem.reference)
    return PreferenceOptimizationResult(
        action_probabilities=readonly(pi),
        implicit_rewards=readonly(problem.beta * h),
        loss=float(value),
        residual=residual,
        iterations=int(it),
        converged=bool(residual <= tol),
        method=method,
    )


def _softmax(theta):
    z = theta - theta.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _logits(policy, problem, who) -> np.ndarray:
    pi = np.asarray(policy, dtype=np.float64)
    if pi.shape != problem.reference.shape:
        raise ValueError(f"{who}: policy has shape {pi.shape}, expected {problem.reference.shape}")
    pi = _stochastic_rows("policy", pi, positive=True)
    return np.log(pi)


# =========================================================================== the pairwise engine

# Every pairwise loss is  L(theta) = sum_{x,y,y'} c[x,y,y'] l(s_y - s_y'),  s = scale * (theta - offset),
# plus optionally kappa_x * (lse(theta_x) - q_x . theta_x)  (SFT / VPO terms).


def _pairwise_value_grad(theta, c, offset, scale, kappa=None, q=None):
    s = scale * (theta - offset)
    z = s[:, :, None] - s[:, None, :]
    value = -np.sum(c * log_expit(z), axis=(1, 2))
    N = c + c.transpose(0, 2, 1)
    p = expit(z)
    gs = np.sum(N * p - c, axis=2)  # d/ds_y
    g = scale * gs
    if kappa is not None:
        lse = logsumexp(theta, axis=1)
        value = value + kappa * (lse - np.sum(q * theta, axis=1))
        g = g + kappa[:, None] * (_softmax(theta) - q)
    return value, g


def _pairwise_hessian(theta, c, offset, scale, kappa=None, q=None):
    s = scale * (theta - offset)
    z = s[:, :, None] - s[:, None, :]
    N = c + c.transpose(0, 2, 1)
    w = N * expit(z) * expit(-z)
    H = -w
    idx = np.arange(theta.shape[1])
    H[:, idx, idx] += w.sum(axis=2)
    H *= scale * scale
    if kappa is not None:
        pi = _softmax(theta)
        H += kappa[:, None, None] * (
            np.einsum("xy,yz->xyz", pi, np.eye(theta.shape[1])) - pi[:, :, None] * pi[:, None, :]
        )
    return H


def _newton_batched(value_grad, hessian, theta, rho, tol, max_iter):
    """Per-prompt damped Newton (the objective is a sum over prompts); directions orthogonal to constants."""
    X, Y = theta.shape
    ones = np.ones((Y, Y)) / Y
    value, g = value_grad(theta)
    it = 0
    while True:
        residual = float(np.max(np.abs(g) / rho[:, None]))
        if residual <= tol or it >= max_iter:
            break
        H = hessian(theta)
        scale = np.maximum(np.abs(np.einsum("xyy->x", H)) / Y, 1e-300)
        try:
            step = -np.linalg.solve(H + scale[:, None, None] * ones, g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = -g
        slope = np.sum(g * step, axis=1)
        bad = ~(slope < 0)
        step[bad] = -g[bad]
        slope[bad] = -np.sum(g[bad] ** 2, axis=1)
        t = np.ones(X)
        todo = np.abs(g).max(axis=1) > 0
        new_theta = theta.copy()
        new_value = value.copy()
        # the full Newton step first: kept when it satisfies Armijo, or, near the optimum where the value changes by
        # less than its rounding, when the value does not rise beyond rounding and the gradient (the quantity the
        # certificate reads) shrinks
        cand = theta + step
        v_full, g_full = value_grad(cand)
        flat = v_full <= value + 64 * np.finfo(float).eps * (1.0 + np.abs(value))
        ok = todo & ((v_full <= value + 1e-4 * slope) | (flat & (np.abs(g_full).max(axis=1) < np.abs(g).max(axis=1))))
        new_theta[ok] = cand[ok]
        new_value[ok] = v_full[ok]
        todo &= ~ok
        t[todo] = 0.5
        for _ in range(60):
            if not todo.any():
                break
            cand = theta + t[:, None] * step
            v, _ = value_grad(cand)
            ok = todo & (v <= value + 1e-4 * t * slope)
            new_theta[ok] = cand[ok]
            new_value[ok] = v[ok]
            todo &= ~ok
            t[todo] *= 0.5
        moved = np.any(new_theta != theta)
        theta, value = new_theta, new_value
        value, g = value_grad(theta)
        it += 1
        if not moved:
            residual = float(np.max(np.abs(g) / rho[:, None]))
            break
    return theta, value, g, it


def _require_problem(problem, who):
    if not isinstance(problem, AlignmentProblem):
        raise ValueError(f"{who} needs an AlignmentProblem, got {type(problem).__name__}")


# =========================================================================== DPO


def dpo_loss(policy, problem: AlignmentProblem, data: PreferenceDataset | None = None, *, sampling=None) -> float:
    r"""The DPO loss :math:`\mathbb E\,\ell(\beta(h_\pi(y_w) - h_\pi(y_l)))` of a tabular policy (Rafailov et al. 2023,
    eq. (7)).

    Population loss when ``data`` is None (pairs from ``sampling`` :math:`\otimes` ``sampling``, default
    :math:`\pi_{\mathrm{ref}}`, labels from the problem's preferences); otherwise the mean over the data.

    Examples
    --------
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]])
    >>> bool(dpo_loss(prob.optimal_policy(), prob) < dpo_loss([[0.5, 0.5]], prob))
    True
    """
    _require_problem(problem, "dpo_loss")
    theta = _logits(policy, problem, "dpo_loss")
    c, _ = _soft_counts(problem, data, sampling)
    v, _ = _pairwise_value_grad(theta, c, np.log(problem.reference), problem.beta)
    return float(v.sum())


def dpo(
    problem: AlignmentProblem,
    data: PreferenceDataset | None = None,
    *,
    sampling=None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> PreferenceOptimizationResult:
    r"""The exact minimizer of the DPO loss over tabular policies (population or finite-sample).

    Per prompt the DPO loss is the Bradley-Terry negative log-likelihood of the scores
    :math:`\beta h_\pi(x, \cdot)`, solved by batched Newton to ``residual <= tol``. Under
    Bradley-Terry preferences with full coverage the population minimizer is
    :math:`\pi^* \propto \pi_{\mathrm{ref}} e^{r/\beta}` (Rafailov et al. 2023, Thm 1 and Sec. 5).

    Raises
    ------
    ValueError
        When the minimizer does not exist (deterministic preferences, or data in which some
        response never loses or never wins at a prompt: Ford's condition), or is not unique
        (a prompt without data).

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem(
    ...     [[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], rewards=[[0.0, 1.0, 0.5], [2.0, 0.0, 1.0]], beta=0.5
    ... )
    >>> res = dpo(prob)
    >>> bool(np.allclose(res.action_probabilities, prob.optimal_policy(), atol=1e-9)), res.converged
    (True, True)
    """
    _require_problem(problem, "dpo")
    tol, max_iter = check_iteration_settings(tol, max_iter)
    c, rho = _soft_counts(problem, data, sampling)
    _check_connected(c, "dpo")
    off = np.log(problem.reference)
    b = problem.beta
    theta, value, g, it = _newton_batched(
        lambda t: _pairwise_value_grad(t, c, off, b),
        lambda t: _pairwise_hessian(t, c, off, b),
        off.copy(),
        rho,
        tol,
        max_iter,
    )
    return _result("dpo", problem, theta, value.sum(), g, rho, it, tol)


# =========================================================================== IPO


def _ipo_value_grad(theta, c, offset, target):
    a = theta - offset
    e = a[:, :, None] - a[:, None, :] - target
    value = np.sum(c * e * e, axis=(1, 2))
    ce = c * e
    g = 2.0 * (ce.sum(axis=2) - ce.sum(axis=1))
    return value, g


def ipo_loss(policy, problem: AlignmentProblem, data: PreferenceDataset | None = None, *, sampling=None) -> float:
    r"""The IPO loss :math:`\mathbb E(h_\pi(y_w) - h_\pi(y_l) - \frac{1}{2\beta})^2` (Azar et al. 2023, eq. (17)).

    Examples
    --------
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]], beta=1.0)
    >>> round(ipo_loss([[0.5, 0.5]], prob), 6)  # h = 0: (1/2)^2
    0.25
    """
    _require_problem(problem, "ipo_loss")
    theta = _logits(policy, problem, "ipo_loss")
    c, _ = _soft_counts(problem, data, sampling)
    v, _ = _ipo_value_grad(theta, c, np.log(problem.reference), 0.5 / problem.beta)
    return float(v.sum())


def ipo(
    problem: AlignmentProblem, data: PreferenceDataset | None = None, *, sampling=None, tol: float = 1e-10
) -> PreferenceOptimizationResult:
    r"""The exact minimizer of the IPO loss over tabular policies: a per-prompt weighted least-squares (Laplacian)
    solve.

    With soft counts :math:`c_{yy'}` (``y`` preferred to ``y'``) and :math:`a = h_\pi + \text{const}`,
    the normal equations are :math:`\sum_{y'} N_{yy'}(a_y - a_{y'}) = \frac{1}{2\beta}\sum_{y'}(c_{yy'} -
    c_{y'y})`, :math:`N = c + c^\top`: a graph Laplacian system, solved exactly (the comparison graph
    must be connected at every prompt). For :math:`\mu\otimes\mu` sampling this is
    :math:`\pi \propto \pi_{\mathrm{ref}} e^{p(y \succ \mu)/\beta}` (Azar et al. 2023, Sec. 5); it is
    finite even for deterministic preferences.

    Examples
    --------
    >>> import numpy as np
    >>> P = [[[0.5, 1.0], [0.0, 0.5]]]  # response 0 always wins: DPO has no minimizer, IPO does
    >>> prob = AlignmentProblem([[0.5, 0.5]], preferences=P, beta=1.0)
    >>> res = ipo(prob)
    >>> # the log-ratio is (P(0 > mu) - P(1 > mu)) / beta
    >>> float(np.log(res.action_probabilities[0, 0] / res.action_probabilities[0, 1]).round(12))
    0.5
    """
    _require_problem(problem, "ipo")
    tol = check_tol(tol)
    c, rho = _soft_counts(problem, data, sampling)
    X, Y = problem.reference.shape
    N = c + c.transpose(0, 2, 1)
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    for x in range(X):
        if connected_components(csr_matrix(N[x] > 0), directed=False)[0] != 1:
            raise ValueError(
                f"ipo: the comparisons of prompt {x} do not connect all responses: the minimizer is not unique"
            )
    L = -N.copy()
    idx = np.arange(Y)
    L[:, idx, idx] += N.sum(axis=2)
    rhs = (0.5 / problem.beta) * (c.sum(axis=2) - c.sum(axis=1))
    scale = np.maximum(np.einsum("xyy->x", L) / Y, 1e-300)
    a = np.linalg.solve(L + scale[:, None, None] * np.ones((Y, Y)) / Y, rhs[:, :, None])[:, :, 0]
    off = np.log(problem.reference)
    theta = a + off
    value, g = _ipo_value_grad(theta, c, off, 0.5 / problem.beta)
    return _result("ipo", problem, theta, value.sum(), g, rho, 1, tol)


# =========================================================================== f-DPO


def _fprime(u, divergence, alpha):
    if divergence == "reverse-kl":
        return np.log(u) + 1.0
    if divergence == "forward-kl":
        return -1.0 / u
    if divergence == "jensen-shannon":
        return np.log(2.0 * u / (1.0 + u))
    return (1.0 - u ** (-alpha)) / alpha


def _fsecond(u, divergence, alpha):
    if divergence == "reverse-kl":
        return 1.0 / u
    if divergence == "forward-kl":
        return 1.0 / (u * u)
    if divergence == "jensen-shannon":
        return 1.0 / (u * (1.0 + u))
    return u ** (-alpha - 1.0)


def _fprime_inverse(t, divergence, alpha):
    """(f')^{-1} on the range of f' (mapping onto (0, inf))."""
    if divergence == "reverse-kl":
        return np.exp(t - 1.0)
    if divergence == "forward-kl":
        return -1.0 / t
    if divergence == "jensen-shannon":
        e = np.exp(t)
        return e / (2.0 - e)
    return (1.0 - alpha * t) ** (-1.0 / alpha)


def _fprime_sup(divergence, alpha):
    return {"reverse-kl": np.inf, "forward-kl": 0.0, "jensen-shannon": math.log(2.0)}.get(divergence, 1.0 / alpha)


def _check_divergence(divergence, alpha):
    check_choice("divergence", divergence, DIVERGENCES)
    if divergence == "alpha":
        return check_real("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    return 0.5


def _normalize_scores(scores, reference, beta, divergence, alpha):
    r"""The policy :math:`\pi = \pi_{ref}(f')^{-1}((s - \lambda)/\beta)`, :math:`\lambda(x)` normalizing each row."""
    sup = _fprime_sup(divergence, alpha)
    X, Y = scores.shape
    out = np.empty((X, Y))
    for x in range(X):
        s = scores[x]
        ref = reference[x]

        def mass(lam, s=s, ref=ref):
            t = (s - lam) / beta
            return float(np.sum(ref * _fprime_inverse(t, divergence, alpha))) - 1.0

        lo = float(np.max(s)) - beta * sup if np.isfinite(sup) else float(np.max(s)) - beta * 50.0
        # mass decreases in lambda; find a bracket [lo, hi] with mass(lo) > 0 > mass(hi)
        step = beta
        if np.isfinite(sup):
            lo = lo + 1e-15 * max(1.0, abs(lo))
            while not mass(lo) > 0:
                lo = (lo + (float(np.max(s)) - beta * sup)) / 2.0
        else:
            while not mass(lo) > 0:
                lo -= step
                step *= 2
        hi = float(np.max(s)) + beta * 50.0
        step = beta
        while not mass(hi) < 0:
            hi += step
            step *= 2
        from scipy.optimize import brentq

        lam = brentq(mass, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
        p = ref * _fprime_inverse((s - lam) / beta, divergence, alpha)
        out[x] = p / p.sum()
    return out


def f_divergence_optimal_policy(
    problem: AlignmentProblem, divergence: str = "reverse-kl", *, alpha: float = 0.5
) -> np.ndarray:
    r"""The maximizer of :math:`\mathbb E_\pi r - \beta\,\mathbb E_{\pi_{\mathrm{ref}}} f(\pi/\pi_{\mathrm{ref}})` by
    its KKT conditions.

    :math:`\pi(y|x) = \pi_{\mathrm{ref}}(y|x)\,(f')^{-1}\big((r(x,y) - \lambda(x))/\beta\big)` with the
    multiplier :math:`\lambda(x)` of :math:`\sum_y \pi(y|x) = 1` found by a bracketed monotone root
    search (Wang et al. 2023, Thm 1: for these divergences :math:`f'(0^+) = -\infty`, so the
    non-negativity constraints are inactive). Divergences: ``"reverse-kl"`` :math:`u\log u`,
    ``"forward-kl"`` :math:`-\log u`, ``"jensen-shannon"`` :math:`u\log u - (1+u)\log\frac{1+u}2`,
    ``"alpha"`` :math:`\frac{u^{1-\alpha} - (1-\alpha)u - \alpha}{\alpha(\alpha - 1)}`, :math:`0 < \alpha < 1`.

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]], beta=1.0)
    >>> bool(np.allclose(f_divergence_optimal_policy(prob, "reverse-kl"), prob.optimal_policy(), atol=1e-12))
    True
    >>> f_divergence_optimal_policy(prob, "forward-kl").round(4).tolist()  # pi_ref / (lambda - r), lambda = 1 + 2**-0.5
    [[0.2929, 0.7071]]
    """
    _require_problem(problem, "f_divergence_optimal_policy")
    a = _check_divergence(divergence, alpha)
    if problem.rewards is None:
        raise ValueError("f_divergence_optimal_policy needs rewards")
    return readonly(
        _normalize_scores(np.asarray(problem.rewards), np.asarray(problem.reference), problem.beta, divergence, a)
    )


def _fdpo_value_grad(theta, c, reference, beta, divergence, alpha):
    pi = _softmax(theta)
    u = pi / reference
    s = beta * _fprime(u, divergence, alpha)
    z = s[:, :, None] - s[:, None, :]
    value = -np.sum(c * log_expit(z), axis=(1, 2))
    N = c + c.transpose(0, 2, 1)
    gs = np.sum(N * expit(z) - c, axis=2)
    v = gs * beta * _fsecond(u, divergence, alpha) * u  # d/dtheta through u_y = pi_y / ref_y
    g = v - pi * v.sum(axis=1, keepdims=True)
    return value, g


def f_dpo_loss(
    policy,
    problem: AlignmentProblem,
    data: PreferenceDataset | None = None,
    *,
    divergence: str = "reverse-kl",
    alpha: float = 0.5,
    sampling=None,
) -> float:
    r"""The f-DPO loss :math:`\mathbb E\,\ell(\beta f'(u_w) - \beta f'(u_l))`, :math:`u = \pi/\pi_{\mathrm{ref}}` (Wang
    et al. 2023).

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.3, 0.7]], rewards=[[0.0, 1.0]])
    >>> pi = [[0.4, 0.6]]
    >>> bool(np.isclose(f_dpo_loss(pi, prob, divergence="reverse-kl"), dpo_loss(pi, prob)))  # f' = log u + 1
    True
    """
    _require_problem(problem, "f_dpo_loss")
    a = _check_divergence(divergence, alpha)
    theta = _logits(policy, problem, "f_dpo_loss")
    c, _ = _soft_counts(problem, data, sampling)
    v, _ = _fdpo_value_grad(theta, c, np.asarray(problem.reference), problem.beta, divergence, a)
    return float(v.sum())


def f_dpo(
    problem: AlignmentProblem,
    data: PreferenceDataset | None = None,
    *,
    divergence: str = "reverse-kl",
    alpha: float = 0.5,
    sampling=None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> PreferenceOptimizationResult:
    r"""The exact minimizer of the f-DPO loss over tabular policies.

    The loss depends on the policy through the scores :math:`s = \beta f'(\pi/\pi_{\mathrm{ref}})`
    only: the scores are the per-prompt Bradley-Terry MLE (batched Newton), and the policy is
    :math:`\pi_{\mathrm{ref}}(f')^{-1}((s - \lambda)/\beta)` with the unique :math:`\lambda(x)` that
    normalizes it. Under Bradley-Terry preferences with full coverage this is
    :func:`f_divergence_optimal_policy` (Wang et al. 2023, Thm 1 and Sec. 4).

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.2, 0.3, 0.5]], rewards=[[0.0, 1.0, 0.5]], beta=0.5)
    >>> res = f_dpo(prob, divergence="jensen-shannon")
    >>> bool(np.allclose(res.action_probabilities, f_divergence_optimal_policy(prob, "jensen-shannon"), atol=1e-9))
    True
    """
    _require_problem(problem, "f_dpo")
    a = _check_divergence(divergence, alpha)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    c, rho = _soft_counts(problem, data, sampling)
    _check_connected(c, "f_dpo")
    X, Y = problem.reference.shape
    zeros = np.zeros((X, Y))
    s, _, _, it = _newton_batched(
        lambda t: _pairwise_value_grad(t, c, zeros, 1.0),
        lambda t: _pairwise_hessian(t, c, zeros, 1.0),
        zeros.copy(),
        rho,
        0.01 * tol,
        max_iter,
    )
    ref = np.asarray(problem.reference)
    pi = _normalize_scores(s, ref, problem.beta, divergence, a)
    theta = np.log(pi)
    value, g = _fdpo_value_grad(theta, c, ref, problem.beta, divergence, a)
    return _result(f"f-dpo ({divergence})", problem, theta, value.sum(), g, rho, it, tol)


# =========================================================================== rDPO


def _debias(c, eps):
    return ((1.0 - eps) * c - eps * c.transpose(0, 2, 1)) / (1.0 - 2.0 * eps)


def rdpo_loss(policy, problem: AlignmentProblem, data: PreferenceDataset, *, flip_rate: float) -> float:
    r"""The robust DPO loss :math:`\mathbb E\,\frac{(1-\varepsilon)\ell(z_{wl}) -
    \varepsilon\ell(z_{lw})}{1-2\varepsilon}` on noisy data.

    :math:`z_{wl} = \beta(h_\pi(y_w) - h_\pi(y_l))` (Chowdhury, Kini & Natarajan 2024, eq. (4)); its
    expectation over the label noise is the clean DPO loss (their Lemma 3.1).

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]])
    >>> data = PreferenceDataset(np.array([[[0, 3], [7, 0]]]))
    >>> bool(np.isclose(rdpo_loss([[0.4, 0.6]], prob, data, flip_rate=0.0), dpo_loss([[0.4, 0.6]], prob, data)))
    True
    """
    _require_problem(problem, "rdpo_loss")
    eps = check_real("flip_rate", flip_rate, low=0.0, high=0.5, high_open=True)
    if data is None:
        raise ValueError("rdpo_loss is a finite-sample loss: give the (noisy) data")
    theta = _logits(policy, problem, "rdpo_loss")
    c, _ = _soft_counts(problem, data, None)
    v, _ = _pairwise_value_grad(theta, _debias(c, eps), np.log(problem.reference), problem.beta)
    return float(v.sum())


def rdpo(
    problem: AlignmentProblem, data: PreferenceDataset, *, flip_rate: float, tol: float = 1e-10, max_iter: int = 100
) -> PreferenceOptimizationResult:
    r"""The exact minimizer of the rDPO loss over tabular policies.

    Per pair, :math:`\tilde c_{yy'}\ell(z) + \tilde c_{y'y}\ell(-z) = N\ell(z) + \tilde c_{y'y} z` with
    :math:`\tilde c = \frac{(1-\varepsilon)c - \varepsilon c^\top}{1 - 2\varepsilon}` and
    :math:`N = c + c^\top \ge 0`: convex, and a single pair's optimum is
    :math:`\sigma(z) = (\hat p - \varepsilon)/(1 - 2\varepsilon)` (the flip-corrected win rate).
    Chowdhury et al. (2024), Thm 4.2: for log-linear policies :math:`\|\hat\theta - \theta^*\|_{\hat\Sigma + \lambda I}
    = O\big(\frac{1}{1-2\varepsilon}\sqrt{d/n}\big)`.

    Raises
    ------
    ValueError
        When the minimizer does not exist (a flip-corrected win rate outside (0, 1) can push
        logits to infinity) and Newton fails to certify a solution.

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]], beta=1.0)
    >>> data = PreferenceDataset(np.array([[[0, 30], [70, 0]]]))  # 0.7 observed with flips at rate 0.1
    >>> res = rdpo(prob, data, flip_rate=0.1)
    >>> from scipy.special import expit
    >>> bool(np.isclose(expit(res.implicit_rewards[0, 1] - res.implicit_rewards[0, 0]), (0.7 - 0.1) / 0.8))
    True
    """
    _require_problem(problem, "rdpo")
    eps = check_real("flip_rate", flip_rate, low=0.0, high=0.5, high_open=True)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    if data is None:
        raise ValueError("rdpo is a finite-sample estimator: give the (noisy) data")
    c, rho = _soft_counts(problem, data, None)
    _check_connected(c + c.transpose(0, 2, 1), "rdpo")
    ct = _debias(c, eps)
    off = np.log(problem.reference)
    b = problem.beta
    theta, value, g, it = _newton_batched(
        lambda t: _pairwise_value_grad(t, ct, off, b),
        lambda t: _pairwise_hessian(t, ct, off, b),
        off.copy(),
        rho,
        tol,
        max_iter,
    )
    res = _result("rdpo", problem, theta, value.sum(), g, rho, it, tol)
    if not res.converged:
        raise ValueError(
            f"rdpo: no certified minimizer (residual {res.residual:.3g} after {it} Newton steps): a "
            "flip-corrected win rate (p - eps)/(1 - 2 eps) outside (0, 1) sends a logit to infinity"
        )
    return res


# =========================================================================== RPO and VPO (DPO + a linear-in-log-pi
# term)


def _base_distribution(problem, data, base, who, name):
    if base is not None:
        B = np.asarray(_stochastic_rows(name, base, positive=False))
        if B.shape != problem.reference.shape:
            raise ValueError(f"{who}: {name} has shape {B.shape}, expected {problem.reference.shape}")
        return B
    if data is not None:
        chosen = np.asarray(data.counts).sum(axis=2).astype(float)
        return chosen / chosen.sum(axis=1, keepdims=True)
    raise ValueError(
        f"{who}: give {name} (with the population loss there is no chosen-response distribution by default)"
    )


def rpo_loss(
    policy, problem: AlignmentProblem, data: PreferenceDataset | None = None, *, eta: float, base=None, sampling=None
) -> float:
    r"""The RPO loss: DPO plus :math:`\eta\beta\,\mathbb E_{x\sim\rho, y\sim\pi_{\mathrm{base}}}[-\log\pi(y|x)]` (Liu
    et al. 2024).

    ``base`` is :math:`\pi_{\mathrm{base}}` (default with data: the empirical distribution of the
    chosen responses of each prompt).

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]])
    >>> extra = rpo_loss([[0.5, 0.5]], prob, eta=1.0, base=[[0.0, 1.0]]) - dpo_loss([[0.5, 0.5]], prob)
    >>> bool(np.isclose(extra, np.log(2)))
    True
    """
    _require_problem(problem, "rpo_loss")
    eta = check_real("eta", eta, low=0.0)
    theta = _logits(policy, problem, "rpo_loss")
    c, rho = _soft_counts(problem, data, sampling)
    q = _base_distribution(problem, data, base, "rpo_loss", "base")
    v, _ = _pairwise_value_grad(theta, c, np.log(problem.reference), problem.beta, eta * problem.beta * rho, q)
    return float(v.sum())


def rpo(
    problem: AlignmentProblem,
    data: PreferenceDataset | None = None,
    *,
    eta: float,
    base=None,
    sampling=None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> PreferenceOptimizationResult:
    r"""The exact minimizer of the RPO loss (convex in the logits), by batched Newton.

    It is the policy of the saddle point of :math:`\max_\pi\min_r\ \eta^{-1}L_{\mathrm{BT}}(r) +
    \mathbb E_{\rho,\pi} r - \mathbb E_{\rho,\pi_{\mathrm{base}}} r - \beta\mathrm{KL}(\pi\|\pi_{\mathrm{ref}})`
    (Liu et al. 2024, Sec. 5: "your SFT loss is implicitly an adversarial regularizer"); the claim
    ``rpo.max-min-equivalence`` checks the saddle point.

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]])
    >>> res = rpo(prob, eta=0.5, base=[[0.9, 0.1]])
    >>> bool(res.action_probabilities[0, 0] > prob.optimal_policy()[0, 0]), res.converged  # pulled towards base
    (True, True)
    """
    _require_problem(problem, "rpo")
    eta = check_real("eta", eta, low=0.0)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    c, rho = _soft_counts(problem, data, sampling)
    q = _base_distribution(problem, data, base, "rpo", "base")
    if eta == 0:
        _check_connected(c, "rpo")
    kappa = eta * problem.beta * rho
    off = np.log(problem.reference)
    b = problem.beta
    theta, value, g, it = _newton_batched(
        lambda t: _pairwise_value_grad(t, c, off, b, kappa, q),
        lambda t: _pairwise_hessian(t, c, off, b, kappa, q),
        off.copy(),
        rho,
        tol,
        max_iter,
    )
    res = _result("rpo", problem, theta, value.sum(), g, rho, it, tol)
    if not res.converged:
        raise ValueError(
            f"rpo: no certified minimizer (residual {res.residual:.3g} after {it} Newton steps): a response "
            "that never wins and is never in the base distribution sends its logit to -infinity"
        )
    return res


def vpo_loss(
    policy,
    problem: AlignmentProblem,
    data: PreferenceDataset | None = None,
    *,
    alpha: float,
    sign: int = -1,
    calibration=None,
    sampling=None,
) -> float:
    r"""The VPO loss in policy form: DPO plus :math:`s\,\alpha\beta\,\mathbb E_{x\sim\rho, y\sim\pi_{\mathrm{cal}}}
    h_\pi(x, y)` (Cen et al. 2024).

    ``sign`` :math:`s = -1` pessimistic (offline), ``+1`` optimistic (online); ``calibration``
    :math:`\pi_{\mathrm{cal}}` defaults to :math:`\pi_{\mathrm{ref}}`.

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]])
    >>> bool(np.isclose(vpo_loss([[0.5, 0.5]], prob, alpha=1.0), dpo_loss([[0.5, 0.5]], prob)))  # h = 0 at pi_ref
    True
    """
    _require_problem(problem, "vpo_loss")
    alpha = check_real("alpha", alpha, low=0.0)
    sign = check_choice("sign", sign, (-1, 1))
    theta = _logits(policy, problem, "vpo_loss")
    c, rho = _soft_counts(problem, data, sampling)
    q = (
        np.asarray(problem.reference)
        if calibration is None
        else np.asarray(_stochastic_rows("calibration", calibration, positive=False))
    )
    off = np.log(problem.reference)
    v, _ = _pairwise_value_grad(theta, c, off, problem.beta)
    h = theta - logsumexp(theta, axis=1, keepdims=True) - off
    return float(v.sum() + sign * alpha * problem.beta * float(np.sum(rho[:, None] * q * h)))


def vpo(
    problem: AlignmentProblem,
    data: PreferenceDataset | None = None,
    *,
    alpha: float,
    sign: int = -1,
    calibration=None,
    sampling=None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> PreferenceOptimizationResult:
    r"""The minimizer of the VPO loss over tabular policies (batched Newton).

    Pessimistic VPO (``sign=-1``) adds :math:`\alpha\beta\,\mathbb E_{\pi_{\mathrm{cal}}}[-\log\pi]`: a
    convex problem, solved exactly (it has the structure of RPO with :math:`\pi_{\mathrm{base}} =
    \pi_{\mathrm{cal}}`). Optimistic VPO (``sign=+1``) subtracts it: the loss is not convex, and this
    returns a local minimizer reached by Newton from the reference policy, certified by the
    gradient (``residual``) and checked to have a positive definite Hessian on the identifiable
    directions (``ValueError`` otherwise).

    Examples
    --------
    >>> prob = AlignmentProblem([[0.5, 0.5]], rewards=[[0.0, 1.0]])
    >>> pess = vpo(prob, alpha=0.5, sign=-1)
    >>> opt = vpo(prob, alpha=0.1, sign=+1)
    >>> p_pess, p_star = float(pess.action_probabilities[0, 1]), float(prob.optimal_policy()[0, 1])
    >>> p_pess < p_star < float(opt.action_probabilities[0, 1])
    True
    """
    _require_problem(problem, "vpo")
    alpha = check_real("alpha", alpha, low=0.0)
    sign = check_choice("sign", sign, (-1, 1))
    tol, max_iter = check_iteration_settings(tol, max_iter)
    c, rho = _soft_counts(problem, data, sampling)
    q = (
        np.asarray(problem.reference)
        if calibration is None
        else np.asarray(_stochastic_rows("calibration", calibration, positive=False))
    )
    if sign == +1 or alpha == 0:
        _check_connected(c, "vpo")
    kappa = -sign * alpha * problem.beta * rho  # +alpha beta (lse - q.theta) for pessimism
    off = np.log(problem.reference)
    b = problem.beta
    theta, value, g, it = _newton_batched(
        lambda t: _pairwise_value_grad(t, c, off, b, kappa, q),
        lambda t: _pairwise_hessian(t, c, off, b, kappa, q),
        off.copy(),
        rho,
        tol,
        max_iter,
    )
    if sign == +1:
        H = _pairwise_hessian(theta, c, off, b, kappa, q)
        Y = theta.shape[1]
        basis = np.linalg.qr(np.vstack([np.ones(Y), np.eye(Y)[:-1]]).T)[0][:, 1:]
        low = np.linalg.eigvalsh(np.einsum("ya,xyz,zb->xab", basis, H, basis)).min()
        if not low > 0:
            raise ValueError(
                "vpo: the optimistic VPO loss has no strict local minimizer reachable from pi_ref here "
                f"(smallest Hessian eigenvalue {low:.3g}); decrease alpha"
            )
    # the reported loss includes the value term (the Newton objective differs from it by a constant)
    res = _result(f"vpo ({'optimistic' if sign == 1 else 'pessimistic'})", problem, theta, value.sum(), g, rho, it, tol)
    loss = vpo_loss(
        res.action_probabilities, problem, data, alpha=alpha, sign=sign, calibration=calibration, sampling=sampling
    )
    return PreferenceOptimizationResult(
        res.action_probabilities, res.implicit_rewards, loss, res.residual, res.iterations, res.converged, res.method
    )


# =========================================================================== CPL (segments across prompts)


def _segment_weights(problem, segment_weights):
    X, Y = problem.reference.shape
    n = X * Y
    if segment_weights is None:
        W = np.ones((n, n))
    else:
        W = np.array(segment_weights, dtype=np.float64)
        if W.shape != (n, n):
            raise ValueError(
                f"segment_weights has shape {W.shape}, expected ({n}, {n}) over segments (x, y) = x * Y + y"
            )
        check_finite("segment_weights", W)
        if (W < 0).any():
            raise ValueError("segment_weights must be non-negative")
    W = W.copy()
    np.fill_diagonal(W, 0.0)
    if W.sum() <= 0:
        raise ValueError("segment_weights put no mass on a pair of distinct segments")
    return W / W.sum()


def _segment_preferences(problem, model):
    """P(sigma > sigma') over segments (x, y) flattened as x * Y + y."""
    check_choice("preference_model", model, ("regret", "reward"))
    if problem.rewards is None:
        raise ValueError("cpl needs rewards (the regret-based preference model is defined from the optimal advantage)")
    if model == "regret":
        a = (problem.beta * (np.log(problem.optimal_policy()) - np.log(problem.reference))).ravel()
    else:
        a = np.asarray(problem.rewards).ravel()
    return expit(a[:, None] - a[None, :])


def cpl_loss(policy, problem: AlignmentProblem, *, segment_weights=None, preference_model: str = "regret") -> float:
    r"""The population CPL loss :math:`\mathbb E\,\ell(\beta h_\pi(\sigma_w) - \beta h_\pi(\sigma_l))` over segments
    :math:`\sigma = (x, y)`.

    Pairs of segments (across prompts) are weighted by ``segment_weights`` (default uniform over
    distinct segments); labels follow the regret-based model :math:`\sigma(A^*(\sigma) - A^*(\sigma'))`
    (Hejna et al. 2024, eq. (3)), or, with ``preference_model="reward"``, the reward-based
    :math:`\sigma(r(\sigma) - r(\sigma'))`.

    Examples
    --------
    >>> prob = AlignmentProblem([[0.5, 0.5], [0.5, 0.5]], rewards=[[0.0, 1.0], [3.0, 3.0]])
    >>> bool(cpl_loss(prob.optimal_policy(), prob) < cpl_loss([[0.5, 0.5], [0.5, 0.5]], prob))
    True
    """
    _require_problem(problem, "cpl_loss")
    theta = _logits(policy, problem, "cpl_loss")
    W = _segment_weights(problem, segment_weights)
    P = _segment_preferences(problem, preference_model)
    a = (problem.beta * (theta - logsumexp(theta, axis=1, keepdims=True) - np.log(problem.reference))).ravel()
    z = a[:, None] - a[None, :]
    return float(-np.sum(W * P * log_expit(z)))


def cpl(
    problem: AlignmentProblem,
    *,
    segment_weights=None,
    preference_model: str = "regret",
    tol: float = 1e-10,
    max_iter: int = 100,
) -> PreferenceOptimizationResult:
    r"""The minimizer of the population CPL loss over policies: a Bradley-Terry MLE over segments and one exact shift.

    The loss depends on the advantages :math:`A = \beta h_\pi` only through their differences across
    all segments, so it is the Bradley-Terry negative log-likelihood of the scores :math:`A(\sigma)`,
    minimized by Newton over the :math:`XY` segments (unique up to one global constant when the
    comparisons connect all segments); the constant is then fixed by making the tightest of the
    policy constraints :math:`\sum_y \pi_{\mathrm{ref}}(y|x) e^{A(x,y)/\beta} = 1` hold. The result is a
    policy exactly when every constraint then holds: ``residual`` is the largest
    :math:`|\log\sum_y\pi_{\mathrm{ref}} e^{A/\beta}|` or per-segment gradient of the loss, both
    recomputed. Under regret-based preferences the minimizer is :math:`\pi^*` and the learned
    advantage the optimal advantage (Hejna et al. 2024, Sec. 3, Thm 1); under reward-based preferences
    the per-prompt constraints cannot all hold unless :math:`V^*` is the same at every prompt
    (``converged=False``).

    Examples
    --------
    >>> import numpy as np
    >>> prob = AlignmentProblem([[0.5, 0.5], [0.2, 0.8]], rewards=[[0.0, 1.0], [2.0, 0.5]])
    >>> res = cpl(prob)
    >>> res.converged, bool(np.allclose(res.action_probabilities, prob.optimal_policy(), atol=1e-9))
    (True, True)
    """
    _require_problem(problem, "cpl")
    tol, max_iter = check_iteration_settings(tol, max_iter)
    X, Y = problem.reference.shape
    W = _segment_weights(problem, segment_weights)
    P = _segment_preferences(problem, preference_model)
    C = (W * P)[None]  # soft counts over segments: sigma beat sigma'
    _check_connected(C, "cpl")
    zeros = np.zeros((1, X * Y))
    one = np.ones(1)
    scores, _, _, it = _newton_batched(
        lambda t: _pairwise_value_grad(t, C, zeros, 1.0),
        lambda t: _pairwise_hessian(t, C, zeros, 1.0),
        zeros.copy(),
        one,
        0.01 * tol,
        max_iter,
    )
    logref = np.log(problem.reference)
    Av = scores.reshape(X, Y)
    Av = Av - problem.beta * logsumexp(Av / problem.beta + logref, axis=1).max()  # the one global constant
    gaps = logsumexp(Av / problem.beta + logref, axis=1)
    pi = _softmax(Av / problem.beta + logref)
    value = cpl_loss(pi, problem, segment_weights=segment_weights, preference_model=preference_model)
    _, g = _pairwise_value_grad(Av.reshape(1, -1), C, zeros, 1.0)
    weight = (C[0] + C[0].T).sum(axis=1)  # each segment's share of the loss: the per-segment normalization
    residual = float(max(np.max(np.abs(gaps)), np.max(np.abs(g[0] / weight))))
    return PreferenceOptimizationResult(
        action_probabilities=readonly(pi),
        implicit_rewards=readonly(Av),
        loss=value,
        residual=residual,
        iterations=int(it),
        converged=bool(residual <= tol),
        method=f"cpl ({preference_model} preferences)",
    )


# =========================================================================== SPO (self-play, general preferences)


@dataclass(frozen=True, eq=False)
class SPOResult:
    r"""Result of :func:`spo`.

    Attributes
    ----------
    action_probabilities : (X, Y) float64
        The average iterate :math:`\bar\pi_T = \frac1T\sum_t\pi_t`.
    last_iterate : (X, Y) float64
    exploitability : (X,) float64
        :math:`\max_y p(y \succ \bar\pi_T|x) - 1/2 \ge 0` (0 exactly at a von Neumann winner).
    exploitability_bound : float
        :math:`\sqrt{\log Y/(2T)}`: Hedge's regret bound divided by :math:`T` (see :func:`spo`).
    iterations : int
    step_size : float

    Examples
    --------
    >>> rps = [[[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]]]  # rock, paper, scissors
    >>> res = spo(AlignmentProblem([[1 / 3, 1 / 3, 1 / 3]], preferences=rps), 100)
    >>> res.iterations, round(res.step_size, 6), round(res.exploitability_bound, 6)  # sqrt(8 log3/T), sqrt(log3/2T)
    (100, 0.296461, 0.074115)
    >>> res.last_iterate.round(6).tolist()  # uniform is the von Neumann winner, a fixed point of Hedge
    [[0.333333, 0.333333, 0.333333]]
    """

    action_probabilities: np.ndarray
    last_iterate: np.ndarray
    exploitability: np.ndarray
    exploitability_bound: float
    iterations: int
    step_size: float


def spo(problem: AlignmentProblem, n_iterations: int, *, step_size: float | None = None) -> SPOResult:
    r"""Self-play preference optimization (Swamy et al. 2024) with exact win rates: Hedge on :math:`p(y \succ \pi_t|x)`.

    Each prompt plays the symmetric zero-sum game :math:`p(y \succ y') - 1/2` against itself:
    :math:`\pi_{t+1}(y) \propto \pi_t(y)\exp(\eta\, p(y \succ \pi_t))`, :math:`\pi_1` uniform,
    :math:`\eta = \sqrt{8\log Y/T}`. Since :math:`\pi^\top P\pi = 1/2`, the regret of Hedge is
    :math:`T(\max_y p(y\succ\bar\pi_T) - 1/2)`, and Hedge's bound :math:`\sqrt{T\log Y/2}` for rewards in
    [0, 1] (Cesa-Bianchi & Lugosi 2006, *Prediction, Learning, and Games*, Thm 2.2) gives
    :math:`\max_y p(y \succ \bar\pi_T) - 1/2 \le \sqrt{\log Y/(2T)}`: the average iterate is an
    approximate minimax (von Neumann) winner, the solution concept of SPO for non-transitive
    preferences (Swamy et al. 2024, Sec. 3-4).

    Examples
    --------
    >>> import numpy as np
    >>> rps = [[[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]]]
    >>> res = spo(AlignmentProblem([[1 / 3, 1 / 3, 1 / 3]], preferences=rps), 2000)
    >>> bool(res.exploitability[0] <= res.exploitability_bound), res.action_probabilities.round(2).tolist()
    (True, [[0.33, 0.33, 0.33]])
    """
    _require_problem(problem, "spo")
    T = check_int("n_iterations", n_iterations, low=1)
    X, Y = problem.reference.shape
    eta = (
        math.sqrt(8.0 * math.log(Y) / T)
        if step_size is None
        else check_real("step_size", step_size, low=0.0, low_open=True)
    )
    P = np.asarray(problem.preference_tensor)
    logw = np.zeros((X, Y))
    total = np.zeros((X, Y))
    for _ in range(T):
        pi = _softmax(logw)
        total += pi
        logw += eta * np.einsum("xyz,xz->xy", P, pi)
    avg = total / T
    exploit = np.einsum("xyz,xz->xy", P, avg).max(axis=1) - 0.5
    return SPOResult(
        action_probabilities=readonly(avg),
        last_iterate=readonly(_softmax(logw)),
        exploitability=readonly(exploit),
        exploitability_bound=math.sqrt(math.log(Y) / (2.0 * T)),
        iterations=T,
        step_size=float(eta),
    )
