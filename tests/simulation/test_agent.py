"""The agent protocol: records, specs, the one registry, compiled parameters by name."""

import dataclasses
import json
from typing import ClassVar, NamedTuple

import pytest

from rltheory.bandits import EXP3, KLUCB, UCB1, BanditAgent, BernoulliBandit
from rltheory.linear import LSVIUCB, LinUCB
from rltheory.simulation import Agent, EpisodicAgent, NoParams, agent_from_spec, registered_agents


@pytest.mark.parametrize(
    "agent", [UCB1(alpha=1.5), KLUCB(c=3.0, family="gaussian", sigma=0.5), EXP3(), LinUCB(), LSVIUCB(beta=0.2)]
)
def test_spec_round_trip_through_json_for_every_kind(agent):
    spec = json.loads(json.dumps(agent.to_spec()))
    assert spec == {"type": agent.name, "params": agent.params()}
    assert agent_from_spec(spec) == agent


def test_registry_spans_every_kind():
    names = registered_agents()
    assert {"UCB1", "LinUCB", "LSVI-UCB", "LMC-LSVI"} <= set(names)
    assert issubclass(names["UCB1"], BanditAgent) and issubclass(names["LSVI-UCB"], EpisodicAgent)


def test_spec_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown agent type 'Nope'"):
        agent_from_spec({"type": "Nope"})
    with pytest.raises(ValueError, match=r"unknown parameters \['beta'\] for UCB1; it takes \['alpha'\]"):
        agent_from_spec({"type": "UCB1", "params": {"beta": 1}})
    with pytest.raises(ValueError, match="a dict with a 'type' key"):
        agent_from_spec("UCB1")
    with pytest.raises(ValueError, match="'params' must be a dict"):
        agent_from_spec({"type": "UCB1", "params": [1]})


def test_builtin_names_are_protected():
    with pytest.raises(ValueError, match="taken by the built-in"):

        @dataclasses.dataclass(frozen=True)
        class Impostor(BanditAgent):
            name = "KLUCB"


def test_compiled_params_are_named_and_derived_from_the_problem():
    bandit = BernoulliBandit([0.5, 0.4, 0.3])
    params = EXP3().compiled_params(bandit, 1000)
    assert params._fields == ("gamma",)
    assert params.gamma == EXP3().gamma_for(3, 1000)
    assert UCB1(alpha=3.0).compiled_params(bandit, 10).alpha == 3.0


def test_default_compiled_params_copy_fields_of_the_same_name():
    class _P(NamedTuple):
        rate: float

    @dataclasses.dataclass(frozen=True)
    class Plain(Agent):
        rate: float = 0.25
        other: str = "x"
        name: ClassVar[str] = "TestPlainAgentParams"
        Params: ClassVar = _P

    assert Plain().compiled_params(None, 1) == _P(0.25)

    @dataclasses.dataclass(frozen=True)
    class Bare(Agent):
        name: ClassVar[str] = "TestBareAgentParams"

    assert Bare().compiled_params(None, 1) == NoParams()
