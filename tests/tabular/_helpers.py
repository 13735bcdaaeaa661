"""Rounding allowances shared by the tabular tests (Higham 2002, *Accuracy and Stability of Numerical
Algorithms*, Thm. 3.1).

Two evaluations of ``r + gamma P v`` in different summation orders differ by at most ``2 gamma_n (|r| + gamma
|P| |v|)`` with ``gamma_n ~ n u``; ``backup_slack`` is that bound. ``fp_slack`` bounds the rounding accumulated by
a whole solver run: per-backup errors of that size, amplified by at most ``1 / (1 - gamma)`` through the
contraction, times 8 for the few bound evaluations combined.
"""

import numpy as np

EPS = np.finfo(float).eps


def value_scale(mdp, v=None):
    """``|r|_max + gamma ||v||_inf`` (``||v|| <= |r|_max / (1 - gamma)`` by default)."""
    rmax = float(np.max(np.abs(mdp.R)))
    vmax = rmax / (1.0 - mdp.gamma) if v is None else float(np.max(np.abs(v)))
    return rmax + mdp.gamma * vmax


def backup_slack(mdp, v=None):
    """Higham Thm. 3.1: two orderings of one backup differ by <= 2 (S+2) u (|r| + gamma ||v||)."""
    return 2 * (mdp.n_states + 2) * EPS * (value_scale(mdp, v) + 1e-300)


def fp_slack(mdp):
    """Rounding accumulated by a solver run (see the module docstring)."""
    return 8 * (mdp.n_states + 2) * EPS * (value_scale(mdp) + 1.0) / (1.0 - mdp.gamma)


