"""What the window draws: immutable pictures of the town at one tick.

The simulation's thread builds a `Snapshot` after each tick and swaps it in; the window only
ever reads snapshots, never the live Simulation, so the two threads share nothing mutable.
Replay builds the same snapshots from a run file. Everything here is plain data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from memory import MemoryRecord
from town.agents.state import Action, Status
from town.mind.plan import DayPlan
from town.world.town import Tile

if TYPE_CHECKING:
    from town.sim import Simulation

MEMORIES_SHOWN = 80  # the panel's memory list: newest first, this many at most
EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AgentView:
    """One agent as the map shows it."""

    name: str
    tile: Tile
    facing: str = "down"
    status: str = Status.ACTING.value
    action: Action | None = None
    utterance: str | None = None  # its line in the conversation it is in, if any
    talking_with: tuple[str, ...] = ()
    spoke_now: bool = False  # the utterance was said in the latest tick


@dataclass(frozen=True, slots=True)
class AgentDetails:
    """What the side panel shows beyond the map: built for the selected agent only."""

    name: str
    tick: int
    place: str  # the address where it stands
    plan: DayPlan | None = None
    current_block: int | None = None  # index into plan.blocks
    tasks: tuple[Action, ...] = ()  # what it will do next, in order
    memories: tuple[MemoryRecord, ...] = ()  # newest first
    relationships: tuple[tuple[str, str], ...] = ()  # (person, what it thinks of them)


@dataclass(frozen=True, slots=True)
class ModelActivity:
    """The model's work so far (live) or up to the playhead (replay)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    fallbacks: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Snapshot:
    tick: int
    time: dt.datetime
    agents: tuple[AgentView, ...]
    # address -> state, for the objects that are not idle
    objects: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    activity: ModelActivity = ModelActivity()
    details: AgentDetails | None = None
    # How long the window should take to walk agents to these tiles: the expected time until
    # the next snapshot (0: show them there at once).
    interval: float = 0.0
    paused: bool = False
    speed: float | None = None  # game seconds per real second; None: as fast as possible
    ended: bool = False  # the run reached its end (or its thread stopped)
    # The world not waiting: how far the latest decision on its way lags (game minutes), and
    # whether the clock waits for one that fell too far behind.
    lag_minutes: float = 0.0
    behind: bool = False
    by_name: Mapping[str, AgentView] = field(default_factory=lambda: EMPTY, compare=False)

    def __post_init__(self) -> None:
        if not self.by_name:
            object.__setattr__(self, "by_name", MappingProxyType({a.name: a for a in self.agents}))

    def agent(self, name: str) -> AgentView | None:
        return self.by_name.get(name)


def agents_of(sim: Simulation) -> tuple[AgentView, ...]:
    views = []
    for agent in sim.agents:
        state = agent.state
        talk = sim.talks.get(sim.talk_of.get(agent.name, -1))
        utterance = state.utterance
        if utterance is None and talk is not None:
            # A conversation says one line a tick; the bubble keeps a speaker's last line up
            # while the others answer, so it can be read at any speed.
            mine = [line.text for line in talk.lines if line.speaker == agent.name]
            utterance = mine[-1] if mine else None
        views.append(
            AgentView(
                name=agent.name,
                tile=state.tile,
                facing=state.facing,
                status=state.status.value,
                action=state.action,
                utterance=utterance,
                talking_with=tuple(talk.others(agent.name)) if talk else (),
                spoke_now=state.utterance is not None,
            )
        )
    return tuple(views)


def details_of(sim: Simulation, name: str) -> AgentDetails | None:
    agent = sim.by_name.get(name)
    if agent is None:
        return None
    mind = agent.mind
    plan = mind.plan
    current = None
    if plan is not None:
        block = plan.block_at(sim.now)
        current = plan.blocks.index(block) if block is not None else None
    return AgentDetails(
        name=name,
        tick=sim.tick,
        place=sim.town.address_at(agent.state.tile),
        plan=plan,  # frozen: safe to hand to another thread
        current_block=current,
        tasks=tuple(mind.tasks),
        memories=tuple(mind.memory.stream.newest(MEMORIES_SHOWN)),
        relationships=tuple(sorted(mind.relationships.items())),
    )


def activity_of(sim: Simulation) -> ModelActivity:
    usage = sim.meter.total()
    return ModelActivity(
        requests=usage.requests,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost=float(getattr(usage, "cost", 0.0)),
        fallbacks=usage.fallbacks,
    )


def snapshot_of(
    sim: Simulation,
    selected: str | None = None,
    *,
    interval: float = 0.0,
    paused: bool = False,
    speed: float | None = None,
    ended: bool = False,
) -> Snapshot:
    """The town now. Call it from the simulation's own thread only."""
    return Snapshot(
        tick=sim.tick,
        time=sim.now,
        agents=agents_of(sim),
        objects=MappingProxyType(sim.objects.busy()),
        activity=activity_of(sim),
        details=details_of(sim, selected) if selected else None,
        interval=interval,
        paused=paused,
        speed=speed,
        ended=ended,
        lag_minutes=sim.decision_lag() * sim.clock.seconds_per_tick / 60,
        behind=sim.behind(),
    )
