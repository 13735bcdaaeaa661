"""The Markov-game and mean-field claims are registered with sources and fail when their theorem is broken."""

import dataclasses

import numpy as np

from rltheory.proofs_checks import get_claim, run_claims

IDS = [
    "games.shapley.backward-induction",
    "games.nash-vi.l1-optimism",
    "games.offline.pessimism",
    "games.mean-field.monotone-distance",
]


def test_registered_with_sources():
    for claim_id in IDS:
        c = get_claim(claim_id)
        assert c.source and c.statement and "games" in c.tags and c.kind == "inequality"


def test_an_overconfident_certificate_is_caught(monkeypatch):
    import rltheory.tabular.games as games

    real = games.nash_vi

    def overconfident(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), certified_gap=0.0)

    monkeypatch.setattr(games, "nash_vi", overconfident)
    (r,) = run_claims("games.nash-vi.l1-optimism", examples=50)
    assert not r.passed and r.counterexample.slack < 0


def test_an_underestimated_exploitability_is_caught(monkeypatch):
    import rltheory.tabular.games as games

    real = games.mean_field_exploitability

    def quarter(game, policy):
        res = real(game, policy)
        return dataclasses.replace(res, exploitability=0.25 * res.exploitability - 1e-3)

    monkeypatch.setattr(games, "mean_field_exploitability", quarter)
    (r,) = run_claims("games.mean-field.monotone-distance", examples=100)
    assert not r.passed and r.counterexample.slack < 0
    assert np.isfinite(r.counterexample.slack)
