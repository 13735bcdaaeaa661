"""Shared fixtures of the episodic-learner tests: small episodic MDPs and the parity assertion.

The parity check (issue 12, Sec. 7): the compiled agent run by ``simulate`` and its plain-Python reference
(``rltheory.tabular._learning_reference``) on the same two xoshiro256++ streams play identical actions, hence
identical action counts, and have identical exact regret, episode by episode (``checkpoints = K``).
"""

import numpy as np

from rltheory.simulation import simulate
from rltheory.tabular import FiniteMDP, NoisyRewards
from rltheory.tabular._learning_reference import reference_run


def small_mdp(seed=0, S=4, A=2, H=3, scale=1.0):
    """A dense random episodic MDP (every transition positive), rewards in [0, scale]."""
    rng = np.random.default_rng(seed)
    return FiniteMDP(
        rng.dirichlet(np.ones(S), size=(S, A)),
        scale * rng.uniform(0, 1, (S, A)),
        gamma=1.0,
        horizon=H,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )


def assert_parity(problem, agent, n_episodes=40, seed=5, runs=(0, 3)):
    curve = simulate(
        problem, agent, n_episodes=n_episodes, n_runs=max(runs) + 1, seed=seed, checkpoints=np.arange(1, n_episodes + 1)
    )
    assert np.array_equal(curve.times, np.arange(1, n_episodes + 1))
    H = (problem.mdp if isinstance(problem, NoisyRewards) else problem).horizon
    A = curve.pulls.shape[2]
    for run in runs:
        ref = reference_run(problem, agent, n_episodes, seed=seed, run=run)
        counts = np.zeros((n_episodes, A), dtype=np.int64)
        for k in range(n_episodes):
            counts[k] = np.bincount(ref.actions[k], minlength=A)
        assert np.array_equal(np.cumsum(counts, axis=0), curve.pulls[run]), f"run {run}: actions differ"
        assert np.array_equal(ref.regret, curve.regret[run]), f"run {run}: exact regret differs"
        assert np.array_equal(ref.realized_regret, curve.realized_regret[run]), f"run {run}: realized regret differs"
        # the compiled functions driven from Python replay the same run too
        twin = reference_run(problem, agent, n_episodes, seed=seed, run=run, compiled=True)
        assert np.array_equal(twin.actions, ref.actions) and np.array_equal(twin.states, ref.states)
        assert H == ref.actions.shape[1]
    return curve
