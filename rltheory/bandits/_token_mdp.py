r"""The token-level view of KL-regularized alignment, exactly on a small token tree: from r to Q*, and Q-sharp.

**The token MDP.** A response is a sequence of ``depth`` tokens from a vocabulary of ``V``; the states
are the prefixes (a tree: transitions are deterministic), the reference policy :math:`\pi_{\mathrm{ref}}(a|s)`
gives the next-token probabilities, and the reward :math:`r(y)` of a complete sequence is paid at its
last token. With temperature :math:`\beta` the optimal soft (KL-regularized) values satisfy

.. math::

    Q^*(s, a) = \begin{cases} r(s a) & s a \text{ complete} \\ V^*(s a) & \text{otherwise}\end{cases},\qquad
    V^*(s) = \beta\log\sum_a \pi_{\mathrm{ref}}(a|s)\, e^{Q^*(s,a)/\beta},

and :math:`\pi^*(a|s) = \pi_{\mathrm{ref}}(a|s)\,e^{(Q^*(s,a) - V^*(s))/\beta}` (:func:`soft_optimal_token_policy`).

**From r to Q*** (Rafailov, Hejna, Park & Finn 2024, *From r to Q*: your language model is secretly a
Q-function*, Sec. 4). The sequence-level optimum :math:`\pi^*(y) \propto \pi_{\mathrm{ref}}(y)e^{r(y)/\beta}` (the
DPO solution of the contextual bandit whose arms are the sequences) factorizes into the token policy
above, and its per-token implicit reward is the optimal soft advantage:
:math:`\beta\log\frac{\pi^*(a_t|s_t)}{\pi_{\mathrm{ref}}(a_t|s_t)} = Q^*(s_t, a_t) - V^*(s_t)`; summed along a
sequence it telescopes to :math:`r(y) - V^*(s_0)` (:func:`token_implicit_rewards`).

**Q-sharp** (Zhou, Wang, Swamy, Kallus, Sun et al. 2025, *Q#: provably optimal distributional RL for LLM
post-training*): with deterministic transitions the optimal soft Q-function is a functional of the
*reference* policy's return distribution only, :math:`Q^*(s, a) = \beta\log\mathbb E_{\pi_{\mathrm{ref}}}
[e^{R/\beta}\mid s, a]`, so guiding :math:`\pi_{\mathrm{ref}}` by it,
:math:`\pi(a|s) \propto \pi_{\mathrm{ref}}(a|s)e^{Q^\sharp(s,a)/\beta}`, is optimal (:func:`qsharp_values`
computes the return law of :math:`\pi_{\mathrm{ref}}` below each :math:`(s, a)` by enumeration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from .._validation import check_finite, check_int, check_real, readonly

__all__ = [
    "SoftTokenSolution",
    "TokenTree",
    "qsharp_values",
    "reference_return_distribution",
    "soft_optimal_token_policy",
    "token_implicit_rewards",
]


@dataclass(frozen=True, eq=False)
class TokenTree:
    r"""A deterministic token MDP: prefixes of up to ``depth`` tokens of a ``V``-token vocabulary.

    Node ``(h, p)`` is the prefix of length ``h`` whose tokens, read as base-``V`` digits, give ``p``; its
    index is :math:`(V^h - 1)/(V - 1) + p`; its child by token ``a`` is ``(h + 1, p V + a)``.

    Parameters
    ----------
    reference : (n_internal, V) array_like
        :math:`\pi_{\mathrm{ref}}(\cdot|s)` at each prefix of length ``< depth`` (rows positive, summing to 1).
    rewards : (V ** depth,) array_like
        :math:`r(y)` of each complete sequence, in base-``V`` order.
    beta : float

    Examples
    --------
    >>> import numpy as np
    >>> tree = TokenTree(np.full((3, 2), 0.5), [0.0, 1.0, 2.0, 3.0], beta=1.0)  # V = 2, depth 2
    >>> tree.vocabulary_size, tree.depth, tree.n_nodes
    (2, 2, 7)
    """

    reference: np.ndarray
    rewards: np.ndarray
    beta: float = 1.0

    def __post_init__(self):
        ref = np.array(self.reference, dtype=np.float64)
        if ref.ndim != 2 or ref.shape[1] < 2:
            raise ValueError(f"reference has shape {ref.shape}, expected (n_internal, V) with V >= 2")
        check_finite("reference", ref)
        V = ref.shape[1]
        n_internal = ref.shape[0]
        depth, count = 0, 0
        while count < n_internal:
            count += V**depth
            depth += 1
        if count != n_internal:
            raise ValueError(
                f"reference has {n_internal} rows; a full tree has 1 + V + ... + V^(depth-1) internal nodes"
            )
        if (ref <= 0).any():
            s, a = (int(v) for v in np.argwhere(ref <= 0)[0])
            raise ValueError(f"reference[{s}, {a}] = {float(ref[s, a])!r}: next-token probabilities must be > 0")
        if (np.abs(ref.sum(axis=1) - 1.0) > 1e-10).any():
            s = int(np.argmax(np.abs(ref.sum(axis=1) - 1.0) > 1e-10))
            raise ValueError(f"reference[{s}] sums to {float(ref[s].sum())!r}, expected 1")
        r = np.array(self.rewards, dtype=np.float64)
        if r.shape != (V**depth,):
            raise ValueError(f"rewards has shape {r.shape}, expected ({V**depth},) for V = {V}, depth = {depth}")
        check_finite("rewards", r)
        object.__setattr__(self, "reference", readonly(ref))
        object.__setattr__(self, "rewards", readonly(r))
        object.__setattr__(self, "beta", check_real("beta", self.beta, low=0.0, low_open=True))

    @property
    def vocabulary_size(self) -> int:
        """The vocabulary size ``V`` (columns of ``reference``).

        Examples
        --------
        >>> TokenTree(np.full((1, 3), 1 / 3), [0.0, 1.0, 2.0]).vocabulary_size
        3
        """
        return int(self.reference.shape[1])

    @property
    def depth(self) -> int:
        """The length of a complete sequence (``V ** depth`` rewards).

        Examples
        --------
        >>> TokenTree(np.full((3, 2), 0.5), [0.0, 1.0, 2.0, 3.0]).depth  # 1 + 2 internal nodes, 4 sequences
        2
        """
        return int(round(np.log(self.rewards.size) / np.log(self.vocabulary_size)))

    @property
    def n_nodes(self) -> int:
        """All prefixes of length ``0..depth``: :math:`(V^{H+1} - 1)/(V - 1)`.

        Examples
        --------
        >>> TokenTree(np.full((3, 2), 0.5), [0.0, 1.0, 2.0, 3.0]).n_nodes  # 1 + 2 + 4
        7
        """
        V, H = self.vocabulary_size, self.depth
        return (V ** (H + 1) - 1) // (V - 1)

    def node(self, h: int, p: int) -> int:
        """Index of the prefix of length ``h`` with base-``V`` value ``p``.

        Examples
        --------
        >>> tree = TokenTree(np.full((3, 2), 0.5), [0.0, 1.0, 2.0, 3.0])
        >>> tree.node(0, 0), tree.node(1, 1), tree.node(2, 3)  # the root, prefix "1", sequence "11"
        (0, 2, 6)
        """
        V = self.vocabulary_size
        h = check_int("h", h, low=0, high=self.depth)
        p = check_int("p", p, low=0, high=V**h - 1)
        return (V**h - 1) // (V - 1) + p

    def sequence_reference(self) -> np.ndarray:
        r""":math:`\pi_{\mathrm{ref}}(y) = \prod_t \pi_{\mathrm{ref}}(y_t|y_{<t})` of every complete sequence.

        In base-``V`` order.

        Examples
        --------
        >>> tree = TokenTree([[0.25, 0.75], [0.5, 0.5], [0.1, 0.9]], [0.0, 0.0, 0.0, 0.0])
        >>> tree.sequence_reference().round(6).tolist()  # 0.25 * 0.5, 0.25 * 0.5, 0.75 * 0.1, 0.75 * 0.9
        [0.125, 0.125, 0.075, 0.675]
        """
        V, H = self.vocabulary_size, self.depth
        prob = np.ones(1)
        for h in range(H):
            rows = self.reference[(V**h - 1) // (V - 1) : (V ** (h + 1) - 1) // (V - 1)]
            prob = (prob[:, None] * rows).ravel()
        return readonly(prob)


@dataclass(frozen=True, eq=False)
class SoftTokenSolution:
    r"""Result of :func:`soft_optimal_token_policy`.

    Attributes
    ----------
    q : (n_internal, V) float64
        :math:`Q^*(s, a)`.
    v : (n_nodes,) float64
        :math:`V^*(s)` (at a complete sequence, its reward).
    action_probabilities : (n_internal, V) float64
        :math:`\pi^*(a|s)`.
    sequence_probabilities : (V ** depth,) float64
        :math:`\pi^*(y) = \prod_t \pi^*(y_t|y_{<t})`.

    Examples
    --------
    >>> import numpy as np
    >>> tree = TokenTree(np.full((3, 2), 0.5), [0.0, 1.0, 2.0, 3.0], beta=1.0)
    >>> sol = soft_optimal_token_policy(tree)
    >>> w = np.exp(tree.rewards) * tree.sequence_reference()  # the sequence-level KL optimum pi_ref e^{r/beta} / Z
    >>> bool(np.allclose(sol.sequence_probabilities, w / w.sum())), bool(np.isclose(sol.v[0], np.log(w.sum())))
    (True, True)
    >>> sol.v[3:].tolist(), sol.q[1].round(6).tolist()  # leaves hold their rewards; Q at prefix "0" is r("00"), r("01")
    ([0.0, 1.0, 2.0, 3.0], [0.0, 1.0])
    """

    q: np.ndarray
    v: np.ndarray
    action_probabilities: np.ndarray
    sequence_probabilities: np.ndarray


def soft_optimal_token_policy(tree: TokenTree) -> SoftTokenSolution:
    r"""Backward induction of the soft Bellman equations on the token tree (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> tree = TokenTree(np.full((1, 2), 0.5), [0.0, 1.0], beta=1.0)  # one token
    >>> sol = soft_optimal_token_policy(tree)
    >>> sol.action_probabilities.round(4).tolist(), round(float(sol.v[0]), 4)  # log((1 + e) / 2)
    ([[0.2689, 0.7311]], 0.6201)
    """
    if not isinstance(tree, TokenTree):
        raise ValueError(f"soft_optimal_token_policy needs a TokenTree, got {type(tree).__name__}")
    V, H, b = tree.vocabulary_size, tree.depth, tree.beta
    ref = np.asarray(tree.reference)
    n_internal = ref.shape[0]
    v = np.empty(tree.n_nodes)
    v[n_internal:] = tree.rewards
    q = np.empty((n_internal, V))
    for h in range(H - 1, -1, -1):
        lo, hi = (V**h - 1) // (V - 1), (V ** (h + 1) - 1) // (V - 1)
        q[lo:hi] = v[hi : hi + (hi - lo) * V].reshape(hi - lo, V)
        v[lo:hi] = b * logsumexp(q[lo:hi] / b + np.log(ref[lo:hi]), axis=1)
    pi = ref * np.exp((q - v[:n_internal, None]) / b)
    seq = np.ones(1)
    for h in range(H):
        seq = (seq[:, None] * pi[(V**h - 1) // (V - 1) : (V ** (h + 1) - 1) // (V - 1)]).ravel()
    return SoftTokenSolution(
        q=readonly(q), v=readonly(v), action_probabilities=readonly(pi), sequence_probabilities=readonly(seq)
    )


def token_implicit_rewards(tree: TokenTree, sequence_policy) -> np.ndarray:
    r"""Per-token implicit rewards :math:`\beta\log\frac{\pi(y_t|y_{<t})}{\pi_{\mathrm{ref}}(y_t|y_{<t})}` of a
    sequence-level policy.

    ``sequence_policy`` is a distribution over the ``V ** depth`` complete sequences (e.g. a DPO
    solution over them); its token conditionals are its marginals on prefixes. Returns a
    ``(V ** depth, depth)`` array: row ``y`` holds the implicit rewards of the tokens of ``y``; rows sum
    to :math:`\beta\log\frac{\pi(y)}{\pi_{\mathrm{ref}}(y)}` (the sequence-level implicit reward).

    Examples
    --------
    >>> import numpy as np
    >>> tree = TokenTree(np.full((3, 2), 0.5), [0.0, 1.0, 2.0, 3.0], beta=1.0)
    >>> sol = soft_optimal_token_policy(tree)
    >>> imp = token_implicit_rewards(tree, sol.sequence_probabilities)
    >>> bool(np.allclose(imp.sum(axis=1), tree.rewards - sol.v[0]))  # r(y) - V*(s0)
    True
    """
    if not isinstance(tree, TokenTree):
        raise ValueError(f"token_implicit_rewards needs a TokenTree, got {type(tree).__name__}")
    V, H = tree.vocabulary_size, tree.depth
    pi = np.asarray(sequence_policy, dtype=np.float64)
    if pi.shape != (V**H,) or (pi <= 0).any() or abs(pi.sum() - 1.0) > 1e-10:
        raise ValueError(f"sequence_policy must be a positive distribution over the {V**H} sequences")
    out = np.empty((V**H, H))
    ref = np.asarray(tree.reference)
    for h in range(H):
        # prefix marginals of length h and h + 1
        m_next = pi.reshape(V ** (h + 1), V ** (H - h - 1)).sum(axis=1)
        m_prev = m_next.reshape(V**h, V).sum(axis=1)
        cond = (m_next.reshape(V**h, V) / m_prev[:, None]).ravel()  # pi(a | prefix), indexed by the longer prefix
        rows = ref[(V**h - 1) // (V - 1) : (V ** (h + 1) - 1) // (V - 1)].ravel()
        token = tree.beta * (np.log(cond) - np.log(rows))
        out[:, h] = np.repeat(token, V ** (H - h - 1))
    return readonly(out)


def reference_return_distribution(tree: TokenTree, node: int, action: int) -> tuple:
    r"""The law of the return :math:`R = r(y)` under :math:`\pi_{\mathrm{ref}}` after taking ``action`` at ``node``.

    Returns ``(returns, probabilities)``: the rewards of the complete sequences below and their
    reference probabilities (summing to 1).

    Examples
    --------
    >>> import numpy as np
    >>> tree = TokenTree(np.array([[0.5, 0.5], [0.25, 0.75], [0.5, 0.5]]), [0.0, 1.0, 2.0, 3.0])
    >>> reference_return_distribution(tree, 0, 0)
    (array([0., 1.]), array([0.25, 0.75]))
    """
    if not isinstance(tree, TokenTree):
        raise ValueError(f"reference_return_distribution needs a TokenTree, got {type(tree).__name__}")
    V, H = tree.vocabulary_size, tree.depth
    n_internal = tree.reference.shape[0]
    node = check_int("node", node, low=0, high=n_internal - 1)
    action = check_int("action", action, low=0, high=V - 1)
    h = 0
    while (V ** (h + 1) - 1) // (V - 1) <= node:
        h += 1
    p = node - (V**h - 1) // (V - 1)
    start = p * V + action  # prefix of length h + 1
    probs = np.ones(1)
    ref = np.asarray(tree.reference)
    for g in range(h + 1, H):
        first = start * V ** (g - h - 1)
        rows = ref[(V**g - 1) // (V - 1) + first : (V**g - 1) // (V - 1) + first + V ** (g - h - 1)]
        probs = (probs[:, None] * rows).ravel()
    leaves = start * V ** (H - h - 1) + np.arange(V ** (H - h - 1))
    return readonly(np.asarray(tree.rewards)[leaves]), readonly(probs)


def qsharp_values(tree: TokenTree) -> np.ndarray:
    r""":math:`Q^\sharp(s, a) = \beta\log\mathbb E_{\pi_{\mathrm{ref}}}[e^{R/\beta}\mid s, a]` from the reference
    return laws (Zhou et al. 2025).

    Equal to :math:`Q^*` of :func:`soft_optimal_token_policy` in a deterministic token MDP; the claim
    ``token.qsharp-equals-soft-q`` checks it.

    Examples
    --------
    >>> import numpy as np
    >>> tree = TokenTree(np.array([[0.5, 0.5], [0.25, 0.75], [0.5, 0.5]]), [0.0, 1.0, 2.0, 3.0])
    >>> bool(np.allclose(qsharp_values(tree), soft_optimal_token_policy(tree).q))
    True
    """
    n_internal, V = tree.reference.shape
    out = np.empty((n_internal, V))
    for s in range(n_internal):
        for a in range(V):
            R, p = reference_return_distribution(tree, s, a)
            out[s, a] = tree.beta * float(logsumexp(R / tree.beta, b=p))
    return readonly(out)
