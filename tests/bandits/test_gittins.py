"""Gittins indices of Beta-Bernoulli arms: published table values, two independent formulations, monotonicity."""

import pytest

from rltheory.bandits import GittinsIndex, gittins_index

# Gittins' tables for a uniform prior (record w-l -> Beta(1 + w, 1 + l)) at gamma = 0.9 and 0.99, as printed to
# four digits in B. Christian, T. Griffiths, Algorithms to Live By (2016), Ch. 2 (the tables of Gittins 1979 and
# Gittins, Glazebrook & Weber 2011).
PUBLISHED = [
    (1, 1, 0.9, 0.7029),
    (2, 2, 0.9, 0.6346),
    (3, 3, 0.9, 0.6010),
    (10, 2, 0.9, 0.8695),
    (1, 1, 0.99, 0.8699),
]


@pytest.mark.parametrize(("a", "b", "gamma", "printed"), PUBLISHED)
def test_published_values_to_their_printed_digits(a, b, gamma, printed):
    g = gittins_index(a, b, gamma, tol=1e-6)
    assert isinstance(g, GittinsIndex) and g.upper - g.lower <= 1e-6
    # the certified interval lies in the rounding cell of the printed value
    assert printed - 5e-5 <= g.lower <= g.upper <= printed + 5e-5


@pytest.mark.parametrize(("a", "b", "gamma"), [(1, 1, 0.5), (2, 1, 0.7), (1, 3, 0.8), (0.5, 0.5, 0.6)])
def test_calibration_and_restart_in_state_agree(a, b, gamma):
    # two independent formulations (retirement calibration by bisection; Katehakis-Veinott restart MDP by
    # value iteration): each interval contains the index, so they must intersect
    c = gittins_index(a, b, gamma, tol=1e-6)
    r = gittins_index(a, b, gamma, tol=1e-6, method="restart")
    assert c.method == "calibration" and r.method == "restart"
    assert max(c.lower, r.lower) <= min(c.upper, r.upper)


def test_index_exceeds_the_mean_and_grows_with_successes():
    # nu >= the posterior mean (tau = 1 in the definition); a success raises the index, a failure lowers it
    # (the index is monotone in the posterior, Gittins, Glazebrook & Weber 2011, Sec. 7)
    gamma = 0.8
    for a, b in ((1, 1), (2, 3), (5, 1)):
        g = gittins_index(a, b, gamma, tol=1e-7)
        assert g.lower >= a / (a + b) - 1e-12
        assert gittins_index(a + 1, b, gamma, tol=1e-7).lower > g.upper
        assert gittins_index(a, b + 1, gamma, tol=1e-7).upper < g.lower


def test_index_grows_with_the_discount():
    # a longer future makes learning worth more
    values = [gittins_index(1, 1, g, tol=1e-7) for g in (0.1, 0.5, 0.9)]
    assert values[0].upper < values[1].lower and values[1].upper < values[2].lower


def test_index_between_the_mean_and_its_one_step_bound():
    # m <= nu <= (1 - gamma) m + gamma: stopping after tau steps earns m at the first and at most 1 at the later ones,
    # so the ratio of the definition is at most (m + gamma + ... ) / (1 + gamma + ...) <= (1 - gamma) m + gamma
    for gamma in (1e-3, 0.3):
        g = gittins_index(2, 3, gamma, tol=1e-9)
        assert 0.4 - 1e-12 <= g.lower and g.upper <= (1 - gamma) * 0.4 + gamma + 1e-12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(alpha=0, beta=1, discount=0.9), "alpha"),
        (dict(alpha=1, beta=-1, discount=0.9), "beta"),
        (dict(alpha=1, beta=1, discount=1.0), "discount"),
        (dict(alpha=1, beta=1, discount=0.9, tol=0.0), "tol"),
        (dict(alpha=1, beta=1, discount=0.9, method="whittle"), "method"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gittins_index(**kwargs)
