"""Claims of finite games: matrix games, learning dynamics, preference games, Stackelberg, Markov games.

Every slack function returns ``margin + allowance`` where ``margin`` is the
claim's own inequality (``rhs - lhs``, or ``-|lhs - rhs|`` for identities)
and ``allowance`` the floating-point error bound (Higham 2002, via
:mod:`rltheory.proofs_checks._fp`). Equilibria are judged by their defining
inequalities (duality gap, NashConv, incentive constraints, best-response
values), never against the library's own output.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from rltheory.proofs_checks._fp import U, gamma_n, solve_error
from rltheory.proofs_checks._registry import CheckContext, CheckResult, Claim, register
from rltheory.proofs_checks._search import property_claim
from rltheory.proofs_checks.strategies import stochastic_matrices

CBL = "N. Cesa-Bianchi and G. Lugosi, Prediction, Learning, and Games (Cambridge 2006)"


def _kl(p, q) -> float:
    import scipy.special

    return float(np.sum(scipy.special.rel_entr(p, q)))


def _kl_error(gap: float, tau: float, p_hat, qs) -> np.ndarray:
    """Bound on |KL(p*, q) - KL(p_hat, q)| for each q in ``qs`` when p_hat has regularized duality gap ``gap``.

    ``KL(p_hat || p*) <= gap / (2 tau)`` (module docstring of rltheory.tabular.games._preference), so by Pinsker
    ``||p_hat - p*||_1 <= sqrt(gap / tau)``; ``KL(., q)`` has gradient ``log(p / q) + 1``, bounded on the segment
    by ``max |log(p_hat / q)| + 1`` plus the second-order term ``||dp||_1^2 / min p_hat``.
    """
    d = np.sqrt(max(gap, 0.0) / tau) + 1e-15
    p_hat = np.asarray(p_hat)
    out = []
    for q in qs:
        out.append(d * (float(np.max(np.abs(np.log(p_hat / q)))) + 1.0) + d * d / float(np.min(p_hat)))
    return np.array(out)


def _result(claim_id, worst, n, message, fit=None, claimed=None):
    return CheckResult(
        claim_id=claim_id,
        passed=bool(worst >= 0),
        n_instances=int(n),
        worst_slack=float(worst),
        counterexample=None,
        seconds=0.0,
        fitted_exponent=None if fit is None else fit.exponent,
        exponent_ci=None if fit is None else fit.ci,
        claimed_exponent=claimed,
        rate=fit,
        message=message,
    )


# ------------------------------------------------------------------ strategies
@st.composite
def _matrices(draw, max_size=5, integer=None):
    m, n = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    if integer if integer is not None else draw(st.booleans()):
        vals = draw(st.lists(st.integers(-3, 3), min_size=m * n, max_size=m * n))
    else:
        vals = draw(st.lists(st.floats(-10, 10, allow_nan=False, width=32), min_size=m * n, max_size=m * n))
    return np.array(vals, dtype=float).reshape(m, n)


@st.composite
def _bimatrices(draw, max_size=4):
    A = draw(_matrices(max_size))
    flat = draw(st.lists(st.integers(-3, 3), min_size=A.size, max_size=A.size))
    return A, np.array(flat, dtype=float).reshape(A.shape)


@st.composite
def _markov_games(draw):
    from rltheory.tabular.games import MarkovGame

    S, A, B = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    P = draw(stochastic_matrices(n_rows=S * A * B, n_cols=S)).reshape(S, A, B, S)
    R = np.array(draw(st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=S * A * B, max_size=S * A * B)))
    gamma = draw(st.sampled_from([0.0, 0.5, 0.9, 0.95]))
    return MarkovGame(P, R.reshape(S, A, B), gamma=gamma)


def _random_preference(rng, n):
    from rltheory.tabular.games import PreferenceGame

    M = rng.uniform(0, 1, size=(n, n))
    P = np.triu(M, 1)
    P = P + np.tril(1.0 - P.T, -1)
    np.fill_diagonal(P, 0.5)
    return PreferenceGame(P)


# ------------------------------------------------------------------ zero-sum LP
@property_claim(
    id="games.zero-sum.minimax",
    statement=(
        "Von Neumann's minimax theorem, certified: for every matrix game A the strategies x, y returned by "
        "solve_zero_sum satisfy max_i (A y)_i - min_j (x^T A)_j <= tol max(1, max|A|) (tol = 1e-9), so "
        "min_j (x^T A)_j <= v(A) <= max_i (A y)_i brackets the value within that gap."
    ),
    latex=r"\max_i (A y)_i - \min_j (x^\top A)_j \le 10^{-9} \max(1, \|A\|_{\max})",
    source="J. von Neumann, Math. Annalen 100 (1928); G. B. Dantzig (1951), LP duality for matrix games",
    kind="inequality",
    tags=("games", "lp", "fast"),
    strategy=lambda: _matrices(),
    message="slack = 1e-9 max(1, max|A|) - (max(A y) - min(x^T A)) + rounding",
)
def _minimax(A):
    from rltheory.tabular.games import MatrixGame, solve_zero_sum

    res = solve_zero_sum(MatrixGame.zero_sum(A))
    x, y = np.asarray(res.max_strategy), np.asarray(res.min_strategy)
    gap = float(np.max(A @ y) - np.min(x @ A))
    scale = max(1.0, float(np.max(np.abs(A))))
    return 1e-9 * scale - gap + 4 * gamma_n(max(A.shape) + 2) * scale


# ------------------------------------------------------------------ Nash: odd number, Stackelberg
def _odd_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular.games import MatrixGame, nash_equilibria

    rng = np.random.default_rng(ctx.seed_sequence(16, 1))
    n_games = max(5, ctx.examples)
    worst = np.inf
    for _ in range(n_games):
        m, n = rng.integers(1, 5, size=2)
        game = MatrixGame(rng.normal(size=(2, m, n)))  # nondegenerate with probability one
        res = nash_equilibria(game, "support")
        worst = min(worst, 0.0 if res.n_equilibria % 2 == 1 else -1.0)
        worst = min(worst, 1e-9 * max(1.0, float(np.max(np.abs(game.payoffs)))) - float(np.max(res.nash_conv)))
    return _result("games.nash.odd-number", worst, n_games, f"{n_games} Gaussian bimatrix games up to 4x4")


register(
    Claim(
        id="games.nash.odd-number",
        statement=(
            "A nondegenerate bimatrix game has an odd number of Nash equilibria; support enumeration finds all of "
            "them, each with NashConv <= 1e-9 max(1, max|u|). Checked on Gaussian games (nondegenerate a.s.)."
        ),
        latex=r"|\mathrm{NE}(A, B)| \equiv 1 \pmod 2",
        source=(
            "C. E. Lemke and J. T. Howson, J. SIAM 12 (1964); L. S. Shapley, 'A note on the Lemke-Howson "
            "algorithm', Math. Programming Study 1 (1974); B. von Stengel, Algorithmic Game Theory Ch. 3 (2007)"
        ),
        kind="identity",
        tags=("games", "nash", "fast"),
        check=_odd_check,
    )
)


def _brute_commitment(L, F):
    """Exact brute force: the LP optimum of each follower region is at a vertex (m - 1 tight constraints + simplex)."""
    m, n = L.shape
    best = -np.inf
    for j in range(n):
        G = [F[:, k] - F[:, j] for k in range(n) if k != j] + [-np.eye(m)[i] for i in range(m)]
        G = np.array(G).reshape(-1, m)
        for sub in itertools.combinations(range(len(G)), m - 1):
            M = np.vstack([G[list(sub)], np.ones((1, m))])
            rhs = np.zeros(m)
            rhs[-1] = 1.0
            try:
                x = np.linalg.solve(M, rhs)
            except np.linalg.LinAlgError:
                continue
            if np.all(G @ x <= 1e-9):
                best = max(best, float(x @ L[:, j]))
    return best


@property_claim(
    id="games.stackelberg.optimal-commitment",
    statement=(
        "The leader's optimal commitment (one LP per follower pure response, follower ties broken for the leader) "
        "attains the brute-force optimum over all vertices of the follower best-response regions, and is at least "
        "the leader's payoff at every Nash equilibrium found by support enumeration."
    ),
    latex=r"\max_j \max_{x \in \Delta: j \in BR(x)} x^\top L_j = \text{vertex optimum} \ge u_L(\text{NE})",
    source=(
        "V. Conitzer and T. Sandholm, ACM EC 2006, Sec. 4; B. von Stengel and S. Zamir, Games Econ. Behav. 69 (2010)"
    ),
    kind="inequality",
    tags=("games", "stackelberg", "fast"),
    strategy=lambda: _bimatrices(max_size=3),
    message="slack = min(1e-7 - |LP - brute force|, LP - max NE leader payoff) (scaled)",
)
def _stackelberg(instance):
    from rltheory.tabular.games import MatrixGame, nash_equilibria, stackelberg_commitment

    L, F = instance
    game = MatrixGame([L, F])
    res = stackelberg_commitment(game)
    scale = max(1.0, float(np.max(np.abs(game.payoffs))))
    brute = _brute_commitment(L, F)
    ne = nash_equilibria(game, "support")
    nash_best = float(np.max(ne.payoffs[:, 0])) if ne.n_equilibria else -np.inf
    return min(1e-7 * scale - abs(res.leader_value - brute), res.leader_value - nash_best + 1e-7 * scale)


# ------------------------------------------------------------------ learning dynamics: folk theorem and CCE
_LEARNERS = ("mwu", "omwu", "rm", "rm+", "fp")


def _learn(game, name, T, initial=None):
    from rltheory.tabular import games as G

    if name == "mwu":
        return G.multiplicative_weights(game, n_iterations=T, initial=initial)
    if name == "omwu":
        return G.optimistic_multiplicative_weights(game, n_iterations=T, initial=initial)
    if name == "rm":
        return G.regret_matching(game, n_iterations=T, initial=initial)
    if name == "rm+":
        return G.regret_matching_plus(game, n_iterations=T, initial=initial)
    return G.fictitious_play(game, n_iterations=T, initial=initial)


@st.composite
def _learning_instances(draw, zero_sum):
    from rltheory.tabular.games import MatrixGame

    if zero_sum:
        A = draw(_matrices(max_size=4))
        game = MatrixGame.zero_sum(A)
    else:
        n = draw(st.integers(2, 3))
        shape = tuple(draw(st.integers(1, 3)) for _ in range(n))
        size = n * int(np.prod(shape))
        vals = draw(st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=size, max_size=size))
        game = MatrixGame(np.array(vals).reshape((n,) + shape))
    return game, draw(st.sampled_from(_LEARNERS)), draw(st.integers(1, 300))


def _dynamics_allowance(game, T):
    scale = max(1.0, float(np.max(np.abs(game.payoffs))))
    return 8 * game.n_players * gamma_n(T + int(np.prod(game.n_actions)) + 4) * scale


@property_claim(
    id="games.dynamics.folk-theorem",
    statement=(
        "In a two-player zero-sum game, for any sequence of play (Hedge, optimistic Hedge, regret matching, RM+, "
        "fictitious play), the average iterates satisfy NashConv(x_bar_t, y_bar_t) <= (R_1(t) + R_2(t)) / t at "
        "every round t (with equality: the identity max_i (A y_bar)_i - min_j (x_bar^T A)_j = (R_1 + R_2) / t)."
    ),
    latex=r"\mathrm{NashConv}(\bar x_t, \bar y_t) = \frac{R_1(t) + R_2(t)}{t} \quad \forall t",
    source=f"{CBL}, Sec. 7.2 (the folk theorem: no-regret play in zero-sum games); Freund & Schapire, GEB 29 (1999)",
    kind="identity",
    tags=("games", "dynamics", "fast"),
    strategy=lambda: _learning_instances(zero_sum=True),
    message="slack = fp allowance - max_t |NashConv(avg_t) - sum_i R_i(t) / t|",
)
def _folk(instance):
    game, name, T = instance
    res = _learn(game, name, T)
    t = np.arange(1, T + 1)
    rhs = np.asarray(res.regret_history).sum(axis=1) / t
    return _dynamics_allowance(game, T) - float(np.max(np.abs(np.asarray(res.nash_conv_average) - rhs)))


@property_claim(
    id="games.dynamics.cce-limit",
    statement=(
        "In any n-player game, the empirical distribution of play sigma_T = (1/T) sum_t x_1^t (x) ... (x) x_n^t "
        "has coarse-correlated-equilibrium violation max_{i,a'} E_sigma[u_i(a', a_-i) - u_i(a)] = max_i R_i(T) / T, "
        "so no-regret play converges to the CCE set (checked with the library's cce_violation)."
    ),
    latex=r"\max_{i, a'} \mathbb{E}_{\sigma_T}[u_i(a', a_{-i}) - u_i(a)] = \max_i R_i(T) / T",
    source="J. Hannan (1957); S. Hart and A. Mas-Colell, Econometrica 68 (2000); " + CBL + ", Sec. 7.4",
    kind="identity",
    tags=("games", "dynamics", "cce", "fast"),
    strategy=lambda: _learning_instances(zero_sum=False),
    message="slack = fp allowance - |cce_violation(sigma_T) - max_i R_i / T|",
)
def _cce(instance):
    from rltheory.tabular.games import cce_violation

    game, name, T = instance
    res = _learn(game, name, T)
    d = np.asarray(res.empirical_distribution)
    d = d / d.sum()  # the accumulated sum is 1 up to rounding; cce_violation needs 1 within 1e-10
    lhs = cce_violation(game, d)
    rhs = float(np.max(res.regrets)) / T
    return _dynamics_allowance(game, T) - abs(lhs - rhs)


@st.composite
def _regret_instances(draw):
    game, _, T = draw(_learning_instances(zero_sum=draw(st.booleans())))
    return game, draw(st.sampled_from(("mwu", "rm", "rm+"))), T


@property_claim(
    id="games.dynamics.regret-bounds",
    statement=(
        "Self-play regret bounds, every player and every run: Hedge with its step eta_i has "
        "R_i(T) <= ln(A_i) / eta_i + eta_i T Delta_i^2 / 8 (Delta_i the range of u_i); regret matching and "
        "regret matching+ have R_i(T) <= Delta_i sqrt(A_i T)."
    ),
    latex=r"R_i^{\mathrm{Hedge}} \le \tfrac{\ln A_i}{\eta_i} + \tfrac{\eta_i T \Delta_i^2}{8},\quad "
    r"R_i^{\mathrm{RM},\mathrm{RM}^+} \le \Delta_i \sqrt{A_i T}",
    source=(
        f"{CBL}, Thm. 2.2 (Hedge) and Sec. 2.1 (polynomial potential, p = 2); S. Hart and A. Mas-Colell (2000); "
        "O. Tammelin et al., IJCAI 2015 (RM+)"
    ),
    kind="inequality",
    tags=("games", "dynamics", "regret", "fast"),
    strategy=lambda: _regret_instances(),
    message="slack = min_i (bound_i - R_i(T)) + fp allowance",
)
def _regret_bounds(instance):
    game, name, T = instance
    res = _learn(game, name, T)
    U_ = np.asarray(game.payoffs)
    delta = np.array([float(U_[i].max() - U_[i].min()) for i in range(game.n_players)])
    k = np.array(game.n_actions, dtype=float)
    if name == "mwu":
        eta = np.asarray(res.step_size)
        bound = np.where(delta > 0, np.log(k) / eta + eta * T * delta**2 / 8, 0.0)
    else:
        bound = delta * np.sqrt(k * T)
    return float(np.min(bound - np.asarray(res.regrets))) + _dynamics_allowance(game, T)


# ------------------------------------------------------------------ last iterates: OMWU, MWU, MMD
def _omwu_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_exponential_rate
    from rltheory.tabular.games import MatrixGame, optimistic_multiplicative_weights

    # a 3x3 game with a unique, fully mixed equilibrium (A nonsingular, all minors of the right sign)
    A = np.array([[0.0, -0.6, 0.8], [0.7, 0.0, -0.5], [-0.4, 0.9, 0.0]])
    game = MatrixGame.zero_sum(A)
    T = 4000
    res = optimistic_multiplicative_weights(game, n_iterations=T, initial=[[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    nc = np.asarray(res.nash_conv_last)
    k = np.arange(T)
    keep = (k >= T // 4) & (nc > 1e3 * U)
    fit = fit_exponential_rate(k[keep][::20], nc[keep][::20], seed=ctx.seed)
    slack = 1.0 - fit.ci[1]  # the whole CI below 1: linear (geometric) decay
    return _result(
        "games.omwu.last-iterate-linear", slack, 1, f"3x3 zero-sum, eta = 1/8, T = {T}; {fit.describe()}", fit, 1.0
    )


register(
    Claim(
        id="games.omwu.last-iterate-linear",
        statement=(
            "Optimistic multiplicative weights self-play (eta = 1/8, payoffs in [-1, 1]) in a two-player zero-sum "
            "game with a unique equilibrium converges in the last iterate at a linear rate: the fitted geometric "
            "rate rho of NashConv(x^t, y^t) has its whole 95% bootstrap CI below 1."
        ),
        latex=r"\mathrm{NashConv}(x^t, y^t) \le C \rho^t,\ \rho < 1",
        source=(
            "C. Daskalakis and I. Panageas, ITCS 2019 (last-iterate convergence of OMWU); C.-Y. Wei, C.-W. Lee, "
            "M. Zhang and H. Luo, ICLR 2021 (linear last-iterate rate of OMWU for a unique equilibrium, eta <= 1/8)"
        ),
        kind="rate",
        tags=("games", "dynamics", "rate", "fast"),
        check=_omwu_check,
        published_form="KL(z*, z_t) <= C (1 + c)^{-t}, c > 0 problem dependent (Wei, Lee, Zhang & Luo 2021)",
        claimed_exponent=1.0,
    )
)


@st.composite
def _interior_instances(draw):
    # 2x2 zero-sum games without a saddle point have a unique, interior equilibrium
    a, d = draw(st.floats(0.2, 3.0)), draw(st.floats(0.2, 3.0))
    b, c = -draw(st.floats(0.2, 3.0)), -draw(st.floats(0.2, 3.0))
    eta = draw(st.sampled_from([0.01, 0.05, 0.2]))
    p, q = draw(st.floats(0.05, 0.95)), draw(st.floats(0.05, 0.95))
    return np.array([[a, b], [c, d]]), eta, p, q


@property_claim(
    id="games.mwu.last-iterate-diverges",
    statement=(
        "Multiplicative weights self-play in a 2x2 zero-sum game with an interior equilibrium (x*, y*) moves "
        "away from it: KL(x*, x^t) + KL(y*, y^t) is nondecreasing in t, for any step size and interior start."
    ),
    latex=r"\mathrm{KL}(z^*, z^{t+1}) \ge \mathrm{KL}(z^*, z^t)",
    source="J. P. Bailey and G. Piliouras, 'Multiplicative weights update in zero-sum games', ACM EC 2018",
    kind="inequality",
    tags=("games", "dynamics", "fast"),
    strategy=lambda: _interior_instances(),
    message="slack = min_t (KL_{t+1} - KL_t) + rounding",
)
def _mwu_diverges(instance):
    from rltheory.tabular.games import MatrixGame, multiplicative_weights

    A, eta, p, q = instance
    den = A[0, 0] - A[0, 1] - A[1, 0] + A[1, 1]
    x1 = (A[1, 1] - A[1, 0]) / den
    y1 = (A[1, 1] - A[0, 1]) / den
    xs, ys = np.array([x1, 1 - x1]), np.array([y1, 1 - y1])
    start = [[p, 1 - p], [q, 1 - q]]
    res = multiplicative_weights(MatrixGame.zero_sum(A), n_iterations=200, step_size=eta, initial=start)
    K = np.array([_kl(xs, x) + _kl(ys, y) for x, y in zip(res.trajectory[0], res.trajectory[1])])
    return float(np.min(np.diff(K))) + 64 * U * (1.0 + float(np.max(K)))


def _mmd_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular.games import MatrixGame, magnetic_mirror_descent, qre

    rng = np.random.default_rng(ctx.seed_sequence(16, 2))
    n_games = max(3, ctx.examples // 3)
    worst = np.inf
    for _ in range(n_games):
        m, n = rng.integers(2, 5, size=2)
        game = MatrixGame.zero_sum(rng.uniform(-1, 1, size=(m, n)))
        alpha = float(rng.choice([0.05, 0.2, 1.0]))
        star = qre(game, alpha, tol=1e-13)
        x0 = [rng.dirichlet(np.ones(m)), rng.dirichlet(np.ones(n))]
        res = magnetic_mirror_descent(game, n_iterations=200, temperature=alpha, initial=x0)
        eta = float(res.step_size[0])
        K = np.array(
            [
                _kl(star.strategies[0], x) + _kl(star.strategies[1], y)
                for x, y in zip(res.trajectory[0], res.trajectory[1])
            ]
        )
        bound = (1.0 + eta * alpha) ** -np.arange(len(K)) * K[0]
        # the QRE is certified to residual r: KL errors of order r log terms; plus rounding
        allowance = 1e3 * star.residual + 64 * U * (1.0 + K[0])
        worst = min(worst, float(np.min(bound - K)) + allowance)
    return _result("games.mmd.linear-rate", worst, n_games, f"{n_games} random zero-sum games, eta = alpha / L^2")


register(
    Claim(
        id="games.mmd.linear-rate",
        statement=(
            "Magnetic mirror descent self-play (entropy, uniform magnet, eta = alpha / L^2 with L = max|A|) in a "
            "two-player zero-sum game converges linearly to the logit QRE z* at temperature alpha (computed by "
            "continuation and certified by its fixed-point residual): KL(z*, z_t) <= (1 + eta alpha)^{-t} KL(z*, z_0)."
        ),
        latex=r"\mathrm{KL}(z^*, z_t) \le (1 + \eta\alpha)^{-t}\, \mathrm{KL}(z^*, z_0)",
        source=(
            "S. Sokota et al., 'A unified approach to reinforcement learning, quantal response equilibria, and "
            "two-player zero-sum games', ICLR 2023, Sec. 3 (linear convergence of MMD; theorem number not verified)"
        ),
        kind="inequality",
        tags=("games", "dynamics", "qre", "fast"),
        check=_mmd_check,
    )
)


# ------------------------------------------------------------------ QRE limit
def _qre_limit_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_power_law
    from rltheory.tabular.games import MatrixGame, qre

    # A = [[9, 0], [0, 1]]: unique Nash x* = y* = (1/10, 9/10); first order, |y_1(tau) - y_1*| / tau ->
    # |log(x_1*/x_2*)| / |a - b - c + d| = log 9 / 10 (expand log(x_1/x_2) = (A y)_1 - (A y)_2) / tau)
    A = np.array([[9.0, 0.0], [0.0, 1.0]])
    game = MatrixGame.zero_sum(A)
    taus = np.geomspace(1e-5, 1e-3, 6)
    dist = []
    worst = np.inf
    for tau in taus:
        res = qre(game, float(tau))
        worst = min(worst, 1e-10 - res.residual)
        dist.append(abs(res.strategies[1][0] - 0.1))
    dist = np.array(dist)
    fit = fit_power_law(taus, dist, seed=ctx.seed)
    c = np.log(9.0) / 10.0
    worst = min(worst, 1e-2 - abs(dist[0] / taus[0] / c - 1.0), fit.ci[1] - 1.0 + 1e-3, 1.0 + 1e-3 - fit.ci[0])
    return _result(
        "games.qre.zero-temperature-limit",
        worst,
        len(taus),
        f"A = [[9, 0], [0, 1]]; |y1 - 0.1| / tau at tau = 1e-5: {dist[0] / taus[0]:.6f} (first order {c:.6f}); "
        + fit.describe(),
        fit,
        1.0,
    )


register(
    Claim(
        id="games.qre.zero-temperature-limit",
        statement=(
            "As the temperature tau -> 0 the logit QRE of a 2x2 zero-sum game with a unique interior equilibrium "
            "converges to it at rate tau: on A = [[9, 0], [0, 1]], |y_1(tau) - 1/10| / tau -> log(9) / 10 (first-"
            "order expansion of the QRE equations, within 1% at tau = 1e-5), the fitted exponent of |y_1 - 1/10| "
            "in tau has a 95% CI containing 1, and every QRE is certified to residual 1e-10."
        ),
        latex=r"|y_1(\tau) - y_1^*| = \tau\, \frac{|\log(x_1^*/x_2^*)|}{|a-b-c+d|} + o(\tau)",
        source=(
            "R. D. McKelvey and T. R. Palfrey, Games Econ. Behav. 10 (1995) (QRE limits are Nash equilibria); "
            "the constant: first-order expansion of x_1/x_2 = exp(((A y)_1 - (A y)_2) / tau)"
        ),
        kind="rate",
        tags=("games", "qre", "rate", "fast"),
        check=_qre_limit_check,
        published_form="lim_{tau->0} QRE(tau) = the limiting logit equilibrium (McKelvey & Palfrey 1995, Thm. 3)",
        claimed_exponent=1.0,
    )
)


# ------------------------------------------------------------------ preference games
def _nash_md_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular.games import nash_md, regularized_nash

    rng = np.random.default_rng(ctx.seed_sequence(16, 3))
    n_games = max(3, ctx.examples // 3)
    worst = np.inf
    for _ in range(n_games):
        n = int(rng.integers(2, 12))
        game = _random_preference(rng, n)
        tau = float(rng.choice([0.05, 0.1, 0.5, 1.0]))
        mu, x0 = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
        star = regularized_nash(game, tau, mu)
        res = nash_md(game, tau, n_iterations=200, reference=mu, initial=x0)
        K = np.array([_kl(star.policy, p) for p in res.trajectory])
        e = np.asarray(res.step_sizes)
        err = _kl_error(star.duality_gap, tau, star.policy, res.trajectory) + 64 * U * (1 + K)
        worst = min(worst, float(np.min((1 - e * tau) * K[:-1] + 2 * e**2 - K[1:] + err[:-1] + err[1:])))
        worst = min(worst, 8.0 / (tau**2 * (len(e) + 1)) - K[-1] + err[-1])
    return _result("games.nash-md.one-step", worst, n_games, f"{n_games} random preference games, eta_t = 2/(tau(t+2))")


register(
    Claim(
        id="games.nash-md.one-step",
        statement=(
            "Nash-MD on a preference game (P + P^T = 1, entries in [0, 1]) with reference mu and temperature tau: "
            "KL(pi*_tau, pi_{t+1}) <= (1 - eta_t tau) KL(pi*_tau, pi_t) + 2 eta_t^2 at every step, and with "
            "eta_t = 2 / (tau (t + 2)), KL(pi*_tau, pi_T) <= 8 / (tau^2 (T + 1)); pi*_tau certified by the "
            "regularized duality gap."
        ),
        latex=r"\mathrm{KL}(\pi^*_\tau, \pi_{t+1}) \le (1-\eta_t\tau)\,\mathrm{KL}(\pi^*_\tau, \pi_t) + 2\eta_t^2",
        source=(
            "R. Munos et al., 'Nash learning from human feedback', ICML 2024 / arXiv:2312.00886, Thm. 1 (as recalled; "
            "the statement could not be re-read with the search tool, the inequality itself is what is checked)"
        ),
        kind="inequality",
        tags=("games", "preference", "fast"),
        check=_nash_md_check,
    )
)


def _nash_mp_check(ctx: CheckContext) -> CheckResult:
    from rltheory.proofs_checks.rates import fit_exponential_rate
    from rltheory.tabular.games import nash_mp, regularized_nash

    rng = np.random.default_rng(ctx.seed_sequence(16, 4))
    n_games = max(3, ctx.examples // 3)
    worst = np.inf
    fit = None
    for g in range(n_games):
        n = int(rng.integers(2, 30))
        game = _random_preference(rng, n)
        beta = _NASH_MP_BETA if g == 0 else float(rng.choice([0.05, 0.2, 1.0]))
        mu, x0 = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
        star = regularized_nash(game, beta, mu)
        res = nash_mp(game, beta, n_iterations=60, reference=mu, initial=x0)
        K = np.array([_kl(star.policy, p) for p in res.trajectory])
        err = _kl_error(star.duality_gap, beta, star.policy, res.trajectory) + 64 * U * (1 + K)
        bound = (1.0 + 2.0 * beta) ** -np.arange(len(K)) * (K[0] + err[0])
        worst = min(worst, float(np.min(bound - K + err)))
        if g == 0:
            keep = K > 1e3 * err
            k = np.flatnonzero(keep)
            fit = fit_exponential_rate(k, K[keep], seed=ctx.seed)
            worst = min(worst, 1.0 / (1.0 + 2.0 * beta) - fit.ci[0])
    msg = f"{n_games} random preference games, eta = 2; first game (beta = {_NASH_MP_BETA}) {fit.describe()}"
    return _result("games.nash-mp.linear-rate", worst, n_games, msg, fit, 1.0 / (1.0 + 2.0 * _NASH_MP_BETA))


_NASH_MP_BETA = 0.2


register(
    Claim(
        id="games.nash-mp.linear-rate",
        statement=(
            "Nash mirror prox (eta = 2) on a preference game converges linearly to the beta-regularized Nash "
            "equilibrium at the action-count-free rate of the paper: KL(pi*_beta, pi_k) <= (1 + 2 beta)^{-k} "
            "KL(pi*_beta, pi_0) after k iterations (N = 2k preference queries); the fitted rate of the first game is "
            "not significantly above 1 / (1 + 2 beta)."
        ),
        latex=r"\mathrm{KL}(\pi^*_\beta, \pi_k) \le (1 + 2\beta)^{-N/2}\, \mathrm{KL}(\pi^*_\beta, \pi_0),\ N = 2k",
        source=(
            "D. Tiapkin et al., 'Accelerating Nash learning from human feedback via Mirror Prox', arXiv:2505.19731 "
            "(2025), abstract: 'KL-divergence to the optimal policy decreases at a rate of order (1+2 beta)^{-N/2}'"
        ),
        kind="rate",
        tags=("games", "preference", "rate", "fast"),
        check=_nash_mp_check,
        published_form="KL(pi*_beta, pi_k) = O((1 + 2 beta)^{-N/2}), N preference queries (Tiapkin et al. 2025)",
        claimed_exponent=1.0 / (1.0 + 2.0 * _NASH_MP_BETA),
    )
)


def _spo_check(ctx: CheckContext) -> CheckResult:
    from rltheory.tabular.games import self_play_preference_optimization

    rng = np.random.default_rng(ctx.seed_sequence(16, 5))
    n_games = max(3, ctx.examples // 3)
    worst = np.inf
    for _ in range(n_games):
        n = int(rng.integers(2, 12))
        game = _random_preference(rng, n)
        T = int(rng.integers(10, 2000))
        res = self_play_preference_optimization(game, n_iterations=T)
        expl = game.exploitability(res.average_iterate)
        reg = float(res.regret_history[-1])
        allowance = 8 * gamma_n(T + n + 4)
        worst = min(worst, allowance - abs(expl - reg / T), np.sqrt(np.log(n) / (2 * T)) - expl + allowance)
    return _result("games.spo.minimax-winner", worst, n_games, f"{n_games} random preference games")


register(
    Claim(
        id="games.spo.minimax-winner",
        statement=(
            "SPO (Hedge self-play on the win rate) on a preference game: the average policy's exploitability "
            "max_y P(y > pi_bar_T) - 1/2 equals Reg_T / T exactly, and with eta = sqrt(8 ln n / T) it is at most "
            "sqrt(ln(n) / (2T))."
        ),
        latex=r"\max_y P(y \succ \bar\pi_T) - \tfrac12 = \frac{\mathrm{Reg}_T}{T} \le \sqrt{\frac{\ln n}{2T}}",
        source=(
            "G. Swamy, C. Dann, R. Kidambi, Z. S. Wu and A. Agarwal, ICML 2024 (SPO; average iterate is a "
            f"Reg/T-minimax winner); {CBL}, Thm. 2.2"
        ),
        kind="inequality",
        tags=("games", "preference", "fast"),
        check=_spo_check,
    )
)


# ------------------------------------------------------------------ Markov games
def _markov_allowance(game, v):
    rmax = float(np.max(np.abs(game.R)))
    scale = (rmax + float(np.max(np.abs(v), initial=0.0))) / (1.0 - game.gamma)
    S, A, B = game.n_states, game.n_max_actions, game.n_min_actions
    return 16 * gamma_n(S + A * B + 4) * (scale + 1.0) + 4 * solve_error(S, game.gamma, scale + 1.0)


@property_claim(
    id="games.shapley.certified-bounds",
    statement=(
        "Shapley value iteration on a discounted zero-sum Markov game (any number of sweeps) returns certified "
        "bounds and stationary policies (x, y) consistent with the exact best-response values of the two induced "
        "MDPs (policy iteration), which bracket v*: v_lower <= max_x' v^{x',y}, min_y' v^{x,y'} <= v_upper, and "
        "max_s (max_x' v^{x',y} - min_y' v^{x,y'}) <= policy_suboptimality_bound."
    ),
    latex=(
        r"v_{\mathrm{lower}} \le v^* \le v_{\mathrm{upper}},\quad "
        r"\max_s\big(\max_{x'} v^{x',y} - \min_{y'} v^{x,y'}\big) \le \epsilon_{\mathrm{policy}}"
    ),
    source=(
        "L. S. Shapley, PNAS 39 (1953) (contraction, value); MacQueen-type bounds for monotone "
        "translation-covariant contractions as in M. L. Puterman, Markov Decision Processes (2005), Thm. 6.6.3"
    ),
    kind="inequality",
    tags=("games", "markov", "fast"),
    strategy=lambda: st.tuples(_markov_games(), st.integers(0, 30)),
    message="slack = min(policy bound - gap, guarantees vs [v_lower, v_upper]) + fp allowance",
)
def _shapley_bounds(instance):
    from rltheory.tabular.games import markov_exploitability, shapley_value_iteration

    game, max_iter = instance
    res = shapley_value_iteration(game, tol=1e-10, max_iter=max_iter)
    ex = markov_exploitability(game, res.max_action_probabilities, res.min_action_probabilities)
    lo, hi = np.asarray(ex.v_max_guarantee), np.asarray(ex.v_min_guarantee)  # lo <= v* <= hi exactly
    allowance = _markov_allowance(game, res.v)
    margins = [
        res.policy_suboptimality_bound - ex.duality_gap,
        float(np.min(hi - res.v_lower)),  # v_lower <= v* <= hi
        float(np.min(res.v_upper - lo)),  # lo <= v* <= v_upper
    ]
    return min(margins) + allowance


@property_claim(
    id="games.shapley.contraction",
    statement=(
        "Shapley's operator (T v)(s) = val(r(s) + gamma P(s) v), evaluated with one scipy linprog per state (not "
        "the compiled stage solver) and bracketed by the weak-duality interval of the LP's strategies, is a "
        "gamma-contraction in the sup norm: no state has certified intervals for Tv(s) and Tw(s) farther apart "
        "than gamma ||v - w||_inf."
    ),
    latex=r"\|T v - T w\|_\infty \le \gamma \|v - w\|_\infty",
    source="L. S. Shapley, 'Stochastic games', PNAS 39 (1953)",
    kind="inequality",
    tags=("games", "markov", "fast"),
    strategy=lambda: st.tuples(
        _markov_games(),
        st.lists(st.floats(-20, 20, width=32), min_size=5, max_size=5),
        st.lists(st.floats(-20, 20, width=32), min_size=5, max_size=5),
    ),
    message="slack = gamma ||v - w|| - max_s (certified lower bound on |Tv - Tw|(s)) + rounding",
)
def _shapley_contraction(instance):
    from rltheory.tabular.games._reference import shapley_backup_reference

    game, v, w = instance
    S = game.n_states
    v, w = np.array(v[:S]), np.array(w[:S])

    def interval(u):
        _, X, Y = shapley_backup_reference(game.P, game.R, game.gamma, u)
        X = np.maximum(X, 0.0) / np.maximum(X, 0.0).sum(axis=1, keepdims=True)
        Y = np.maximum(Y, 0.0) / np.maximum(Y, 0.0).sum(axis=1, keepdims=True)
        Q = game.R + game.gamma * np.einsum("sabt,t->sab", game.P, u)
        return np.einsum("sa,sab->sb", X, Q).min(axis=1), np.einsum("sab,sb->sa", Q, Y).max(axis=1)

    lo_v, hi_v = interval(v)
    lo_w, hi_w = interval(w)
    # the distance between the certified intervals is a lower bound on |Tv - Tw|(s): a negative slack is a
    # certified violation, whatever the LP tolerance
    lhs = float(np.max(np.maximum(0.0, np.maximum(lo_v - hi_w, lo_w - hi_v))))
    rhs = game.gamma * float(np.max(np.abs(v - w)))
    scale = float(np.max(np.abs(game.R))) + 20.0
    return rhs - lhs + 8 * gamma_n(S + game.n_max_actions * game.n_min_actions + 4) * scale
