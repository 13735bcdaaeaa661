"""The games claims are registered with sources, pass at fast budgets, and fail when their theorem is broken."""

import numpy as np
import pytest

from rltheory.proofs_checks import get_claim, list_claims, run_claims

GAMES = [c.id for c in list_claims() if c.id.startswith("games.")]


def test_registered_with_sources():
    assert len(GAMES) >= 15
    for claim_id in GAMES:
        c = get_claim(claim_id)
        assert c.source and c.statement and "games" in c.tags
        if c.kind == "rate":
            assert c.published_form and c.claimed_exponent is not None


def test_a_broken_regret_bound_is_caught(monkeypatch):
    # a "regret matching" that never updates (uniform play forever) has linear regret: the claim must find a game
    from rltheory.tabular.games import _dynamics

    def frozen(game, n_iterations, initial=None):
        return _dynamics._run(game, n_iterations, initial, "frozen", lambda t, xs, *rest: xs, np.empty(0))

    monkeypatch.setattr("rltheory.tabular.games.regret_matching", frozen)
    (r,) = run_claims("games.dynamics.regret-bounds", examples=100)
    assert not r.passed and r.counterexample.slack < 0


def test_a_wrong_shapley_bound_is_caught(monkeypatch):
    from rltheory.tabular.games import MarkovGame, _shapley

    # claiming the one-step backup itself as an interval of width 0 (no MacQueen correction) is false
    monkeypatch.setattr(_shapley, "_macqueen", lambda lo, hi, v, gamma: (0.5 * (lo + hi), 0.5 * (lo + hi)))
    rng = np.random.default_rng(0)
    game = MarkovGame(rng.dirichlet(np.ones(3), size=(3, 2, 2)), rng.normal(size=(3, 2, 2)), gamma=0.9)
    assert get_claim("games.shapley.certified-bounds").evaluate((game, 0)) < 0


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", GAMES)
def test_games_claims_thorough(claim_id):
    (r,) = run_claims(claim_id, examples=300, seed=7)
    assert r.passed, r.message
