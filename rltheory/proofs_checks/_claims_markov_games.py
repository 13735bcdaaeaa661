"""Claims of Markov-game learning and mean-field games: backward induction, Nash-VI, PMVI, monotone MFGs.

Every slack function returns ``margin + allowance`` (``margin`` the claim's own inequality, ``allowance`` a
floating-point error bound, Higham 2002 via :mod:`rltheory.proofs_checks._fp`). Equilibria are judged by their
defining inequalities (exact best responses, exploitability), never against the library's own output.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks._fp import gamma_n
from rltheory.proofs_checks._search import property_claim
from rltheory.proofs_checks.strategies import stochastic_matrices


@st.composite
def _horizon_games(draw, max_states=4, max_actions=3, max_horizon=4, gamma=None):
    from rltheory.tabular.games import MarkovGame

    S, A, B = draw(st.integers(1, max_states)), draw(st.integers(1, max_actions)), draw(st.integers(1, max_actions))
    P = draw(stochastic_matrices(n_rows=S * A * B, n_cols=S)).reshape(S, A, B, S)
    R = np.array(draw(st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=S * A * B, max_size=S * A * B)))
    g = draw(st.sampled_from([1.0, 0.9, 0.5])) if gamma is None else gamma
    rho = draw(stochastic_matrices(n_rows=1, n_cols=S))[0]
    return MarkovGame(
        P, R.reshape(S, A, B), gamma=g, horizon=draw(st.integers(1, max_horizon)), initial_distribution=rho
    )


def _horizon_allowance(game):
    S, A, B, H = game.n_states, game.n_max_actions, game.n_min_actions, game.horizon
    return 16 * H * gamma_n(S + A * B + 4) * (float(np.max(np.abs(game.R))) + 1.0) * H


@property_claim(
    id="games.shapley.backward-induction",
    statement=(
        "Shapley backward induction on a finite-horizon zero-sum Markov game returns certified intervals "
        "v_lower <= v* <= v_upper and Markov policies (x, y) whose exact best-response values (backward induction "
        "on the two induced MDPs) lie in them at every stage, with duality gap at most policy_suboptimality_bound."
    ),
    latex=(
        r"v_{\mathrm{lower},h} \le \min_{y'} v_h^{x,y'} \le \max_{x'} v_h^{x',y} \le v_{\mathrm{upper},h},\quad "
        r"\max_s\big(\max_{x'} v_0^{x',y} - \min_{y'} v_0^{x,y'}\big) \le \epsilon_{\mathrm{policy}}"
    ),
    source="L. S. Shapley, 'Stochastic games', PNAS 39 (1953); backward induction of the stage values",
    kind="inequality",
    tags=("games", "markov", "finite-horizon", "fast"),
    strategy=lambda: _horizon_games(),
    message="slack = min(policy bound - gap, intervals vs exact best responses) + fp allowance",
)
def _backward_induction(game):
    from rltheory.tabular.games import markov_exploitability, shapley_backward_induction

    res = shapley_backward_induction(game)
    ex = markov_exploitability(game, res.max_action_probabilities, res.min_action_probabilities)
    lo_g, hi_g = np.asarray(ex.v_max_guarantee), np.asarray(ex.v_min_guarantee)  # (H + 1, S): lo_g <= v* <= hi_g
    v_lo, v_hi = np.asarray(res.v_lower), np.asarray(res.v_upper)
    margins = [
        res.policy_suboptimality_bound - ex.duality_gap,
        float(np.min(lo_g - v_lo)),  # the max player's guarantee is certified from below ...
        float(np.min(v_hi - hi_g)),  # ... and the min player's from above
    ]
    return min(margins) + _horizon_allowance(game)


@property_claim(
    id="games.nash-vi.l1-optimism",
    statement=(
        "Nash-VI self-play (Liu, Yu, Bai & Jin 2021, Algorithm 1) with the l1 transition bonus (Weissman et al. "
        "2003 deviation bound, union bound over steps, joint actions and counts) is optimistic with probability "
        ">= 1 - delta: its certified gap rho^T(Vup_1 - Vlo_1) bounds the exact duality gap of the output marginals "
        "(markov_exploitability)."
    ),
    latex=r"\rho^\top\big(V_1^{\dagger,\nu^{\mathrm{out}}} - V_1^{\mu^{\mathrm{out}},\dagger}\big) "
    r"\le \rho^\top(\overline V_1 - \underline V_1)",
    source=(
        "Q. Liu, T. Yu, Y. Bai and C. Jin, ICML 2021, Sec. 3 (optimism argument); T. Weissman et al., HPL-2003-97, "
        "Thm. 2.1 (l1 deviation)"
    ),
    kind="inequality",
    tags=("games", "markov", "learning", "fast"),
    strategy=lambda: st.tuples(
        _horizon_games(max_states=3, max_actions=2, max_horizon=3, gamma=1.0),
        st.integers(1, 120),
        st.integers(0, 2**16),
    ),
    message="slack = certified gap - exact gap of the output + fp allowance (optimism event, probability >= 0.95)",
)
def _nash_vi_optimism(instance):
    from rltheory.tabular.games import nash_vi

    game, K, seed = instance
    res = nash_vi(game, K, bonus="l1", seed=seed)
    return res.certified_gap - res.duality_gap + _horizon_allowance(game)


@property_claim(
    id="games.offline.pessimism",
    statement=(
        "Pessimistic minimax value iteration on offline data (Zhong et al. 2022, PMVI; l1 transition bonus) "
        "certifies its output with probability >= 1 - delta: the exact duality gap of (mu_hat, nu_hat) is at most "
        "rho^T(V_upper_1 - V_lower_1), whatever the behavior policy and the dataset size."
    ),
    latex=(
        r"\rho^\top\big(V_1^{\dagger,\hat\nu} - V_1^{\hat\mu,\dagger}\big) "
        r"\le \rho^\top(\overline V_1 - \underline V_1)"
    ),
    source=(
        "H. Zhong et al., ICML 2022 (PMVI, pessimism argument); Q. Cui and S. S. Du, NeurIPS 2022; "
        "T. Weissman et al., HPL-2003-97, Thm. 2.1 (l1 deviation)"
    ),
    kind="inequality",
    tags=("games", "markov", "offline", "fast"),
    strategy=lambda: st.tuples(
        _horizon_games(max_states=3, max_actions=2, max_horizon=3), st.integers(1, 2000), st.integers(0, 2**16)
    ),
    message="slack = certified gap - exact gap + fp allowance (pessimism event, probability >= 0.95)",
)
def _offline_pessimism(instance):
    from rltheory.tabular.games import pessimistic_minimax_value_iteration, sample_transition_counts

    game, K, seed = instance
    rng = np.random.default_rng(seed)
    H, S, A, B = game.horizon, game.n_states, game.n_max_actions, game.n_min_actions
    behavior = rng.dirichlet(np.ones(A * B), size=(H, S)).reshape(H, S, A, B)
    res = pessimistic_minimax_value_iteration(game, sample_transition_counts(game, behavior, K, rng=rng))
    return res.certified_gap - res.duality_gap + _horizon_allowance(game)


@st.composite
def _congestion(draw, n_states=3):
    from rltheory.tabular.games import MeanFieldGame

    S = draw(st.integers(2, n_states))
    c = np.array(draw(st.lists(st.floats(0, 1, width=32), min_size=S, max_size=S)))
    L = np.array(draw(st.lists(st.floats(-1, 1, width=32), min_size=S * S, max_size=S * S))).reshape(S, S)
    K = np.array(draw(st.lists(st.floats(-1, 1, width=32), min_size=S * S, max_size=S * S))).reshape(S, S)
    lam = draw(st.sampled_from([0.1, 0.5, 1.0]))
    M = -(L @ L.T + lam * np.eye(S)) + (K - K.T)
    P = np.zeros((S, S, S))
    for a in range(S):
        P[:, a, a] = 1.0
    x = draw(stochastic_matrices(n_rows=1, n_cols=S))[0]
    game = MeanFieldGame(P, np.repeat(c[:, None], S, axis=1), M, horizon=2, initial_distribution=np.eye(S)[0])
    return game, c, M, x


def _wardrop(c, M):
    """Every Wardrop equilibrium x (c + M x = v on the support, <= v off it) by support enumeration."""
    S = len(c)
    found = []
    for k in range(1, S + 1):
        for T in map(list, itertools.combinations(range(S), k)):
            n = len(T)
            lhs = np.zeros((n + 1, n + 1))
            lhs[:n, :n] = M[np.ix_(T, T)]
            lhs[:n, n] = -1.0
            lhs[n, :n] = 1.0
            try:
                z = np.linalg.solve(lhs, np.concatenate([-c[T], [1.0]]))
            except np.linalg.LinAlgError:
                continue
            x = np.zeros(S)
            x[T] = z[:n]
            # forward error of the solve (Higham 2002, Thm. 7.2 with the backward error of LU, Thm. 9.4)
            err = 4 * gamma_n(3 * (n + 1)) * np.linalg.cond(lhs, np.inf) * (1.0 + float(np.abs(z).max()))
            if (x >= -err).all() and (c + M @ x <= z[n] + err * (1 + np.abs(M).sum())).all():
                found.append((x, err))
    return found


@property_claim(
    id="games.mean-field.monotone-distance",
    statement=(
        "In a strongly monotone mean-field game (population-independent dynamics, reward R(s, a) + (M mu)(s) with "
        "-(M + M^T)/2 >= lambda I), every policy's flow is within the exploitability of the equilibrium flow: "
        "sum_h ||mu^pi_h - mu*_h||^2 <= phi(pi) / lambda; checked on one-shot congestion games, the equilibrium "
        "by support enumeration (Wardrop)."
    ),
    latex=r"\sum_h \|\mu^\pi_h - \mu^*_h\|_2^2 \le \phi(\pi)/\lambda",
    source=(
        "J.-M. Lasry and P.-L. Lions, Jpn. J. Math. 2 (2007) (monotonicity, uniqueness); the strong-monotonicity "
        "inequality derived in rltheory.tabular.games._mean_field's docstring"
    ),
    kind="inequality",
    tags=("games", "mean-field", "fast"),
    strategy=lambda: _congestion(),
    message="slack = phi / lambda - ||mu_1 - mu*_1||^2 + forward error of the support enumeration's solve",
)
def _monotone_distance(instance):
    from rltheory.tabular.games import mean_field_exploitability

    game, c, M, x = instance
    S = game.n_states
    lam = float(np.linalg.eigvalsh(-(M + M.T) / 2).min())
    found = _wardrop(c, M)  # strictly monotone: one equilibrium (several supports may find it, degenerate)
    star, err = found[0]
    pi = np.full((2, S, S), 1.0 / S)
    pi[0, 0] = x
    phi = mean_field_exploitability(game, pi).exploitability
    scale = 1.0 + float(np.abs(M).sum()) + float(np.abs(c).max())
    d = float(np.sqrt(np.sum((x - star) ** 2)))
    # |  ||x - x*_computed||^2 - ||x - x*||^2 | <= 2 d e + e^2 with e = sqrt(S) err; phi rounding ~ gamma_{2S} scale
    e = np.sqrt(S) * err
    return phi / lam - d**2 + 2 * d * e + e**2 + 16 * gamma_n(2 * S) * scale / lam
