"""Bandit instances: validation, derived quantities, specs."""

import json
import math

import numpy as np
import pytest

from rltheory.bandits import BernoulliBandit, BoundedBandit, GaussianBandit, SequenceBandit, bandit_from_spec


def test_derived_quantities():
    b = BernoulliBandit([0.2, 0.7, 0.7])
    assert b.n_arms == 3 and b.best_arm == 1
    np.testing.assert_allclose(b.gaps, [0.5, 0.0, 0.0])
    assert b.kl(0, 1) == pytest.approx(0.2 * math.log(0.2 / 0.7) + 0.8 * math.log(0.8 / 0.3))
    assert not b.means.flags.writeable
    g = GaussianBandit([0.0, 2.0], sigma=2.0)
    assert g.kl(0, 1) == pytest.approx(0.5)
    bb = BoundedBandit([1.0, 3.0], [1.0, 1.0])
    np.testing.assert_allclose(bb.means, [0.5, 0.75])


@pytest.mark.parametrize(
    "bandit",
    [
        BernoulliBandit([0.1, 0.9]),
        GaussianBandit([0.0, -1.0, 2.0], sigma=0.5),
        BoundedBandit([1.0, 2.0], [3.0, 1.0]),
        SequenceBandit.adversarial(20, 3, rng=2),
    ],
)
def test_spec_round_trip(bandit):
    spec = json.loads(json.dumps(bandit.to_spec()))
    assert bandit_from_spec(spec) == bandit


def test_adversarial_is_seeded():
    a = SequenceBandit.adversarial(50, 2, rng=4)
    assert a == SequenceBandit.adversarial(50, 2, rng=4)
    assert a != SequenceBandit.adversarial(50, 2, rng=5)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: BernoulliBandit([0.5]), "at least 2"),
        (lambda: BernoulliBandit([0.5, 1.2]), r"means\[1\]"),
        (lambda: BernoulliBandit([-0.1, 0.2]), r"means\[0\]"),
        (lambda: BernoulliBandit([0.5, float("nan")]), "finite"),
        (lambda: BernoulliBandit([[0.5, 0.4]]), "shape"),
        (lambda: BernoulliBandit("ab"), "means"),
        (lambda: GaussianBandit([0.0, 1.0], sigma=0.0), "sigma"),
        (lambda: GaussianBandit([0.0, 1.0], sigma=float("inf")), "sigma"),
        (lambda: GaussianBandit([0.0, float("inf")]), "finite"),
        (lambda: BoundedBandit([1.0, 1.0], [1.0, 1.0, 1.0]), "shape"),
        (lambda: BoundedBandit([1.0, 0.0], [1.0, 1.0]), r"alpha\[1\]"),
        (lambda: SequenceBandit(np.ones((5, 1))), "at least 2"),
        (lambda: SequenceBandit(np.full((5, 2), 1.5)), r"rewards\[0, 0\]"),
        (lambda: SequenceBandit(np.ones(5)), "shape"),
        (lambda: SequenceBandit.adversarial(10, 1), "n_arms"),
        (lambda: SequenceBandit.adversarial(0, 2), "n_rounds"),
        (lambda: SequenceBandit.adversarial(10, 2, gap=0.9), "gap"),
        (lambda: BernoulliBandit([0.1, 0.2]).kl(0, 5), "arm index"),
        (lambda: bandit_from_spec({"type": "Poisson"}), "unknown"),
        (lambda: bandit_from_spec({"type": "BernoulliBandit", "mu": [0.1]}), "bad fields"),
        (lambda: bandit_from_spec([1]), "spec"),
    ],
)
def test_bad_input(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
