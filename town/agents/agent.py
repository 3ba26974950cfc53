"""An agent: who it is, what it is doing, and its mind."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from town.agents.state import AgentState
from town.mind.mind import Mind
from town.scenario import AgentSpec
from town.world.town import Tile


@dataclass(eq=False)
class Agent:
    persona: AgentSpec
    state: AgentState
    mind: Mind
    rng: random.Random  # the agent's own: its draws never depend on other agents
    target: Tile | None = None  # where its current action takes place
    arena: str | None = field(default=None)  # where it stands, refreshed each tick
    view: list[object] | None = None  # what it saw when it last looked (see Simulation._perceive)

    @property
    def name(self) -> str:
        return self.persona.name

    def __repr__(self) -> str:
        return f"Agent({self.name!r} at {self.state.tile}, {self.state.status})"
