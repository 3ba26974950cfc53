"""The tick loop: perceive -> think -> act -> record, as in design.md.

Most ticks no agent needs the model. When some do, all of their requests of that tick run
concurrently (under the cap on requests in flight), and their decisions are applied in the
fixed order of the agents, so a run is deterministic for a seed and a sequence of answers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from town.agents.agent import Agent
from town.agents.state import Action, AgentState, Status
from town.clock import Clock
from town.config import TownConfig
from town.llm import Fallback, InFlightCap, LanguageModel, Meter
from town.mind.mind import Mind, Situation
from town.mind.spatial import KnownPlaces
from town.scenario import ObjectStateEvent, Scenario, Whisper, WorldEvent
from town.world import IDLE, ObjectStates, PathFinder, Town, Unreachable, places
from town.world.events import Event
from town.world.town import Tile

log = logging.getLogger(__name__)
FACING = {(1, 0): "right", (-1, 0): "left", (0, 1): "down", (0, -1): "up"}


@dataclass(slots=True)
class TickRecord:
    """What changed in one tick: the material of the run file, the viewer and the metrics."""

    tick: int
    time: dt.datetime
    moved: dict[str, Tile] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)
    utterances: dict[str, str] = field(default_factory=dict)
    perceived: int = 0

    def empty(self) -> bool:
        return not (self.moved or self.actions or self.objects or self.utterances)


class Observer(Protocol):
    """Anything that watches a run (viewer, recorder, metrics); every hook is optional."""

    def on_tick(self, sim: Simulation, record: TickRecord) -> None: ...


class Simulation:
    def __init__(
        self,
        scenario: Scenario,
        town: Town,
        model: LanguageModel,
        *,
        seed: int | None = None,
        pathfinder: PathFinder | None = None,
    ) -> None:
        self.scenario = scenario
        self.town = town
        self.config: TownConfig = scenario.config
        self.seed = scenario.town.seed if seed is None else seed
        self.clock = Clock(scenario.town.start, scenario.town.seconds_per_tick)
        self.cap = InFlightCap(model, self.config.max_in_flight)
        self.meter = Meter(Fallback(self.cap))
        self.paths = pathfinder or PathFinder(town)
        self.objects = ObjectStates()
        self.rng = random.Random(self.seed)
        self.tick = 0
        self.running = False
        self.observers: list[Observer] = []
        self.think_failures = 0
        self.unreachable = 0
        self.agents = self._make_agents()
        self.by_name = {a.name: a for a in self.agents}
        self._due = self._schedule()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._object_tile: dict[str, Tile] = {}

    # -- set-up ------------------------------------------------------------------------------

    def _make_agents(self) -> list[Agent]:
        town, specs = self.town, self.scenario.agents
        homes = {s.name: town.resolve(s.home) for s in specs}
        spawn_counts: dict[str, int] = {}
        agents = []
        for spec in specs:
            home = homes[spec.name]
            private = {h for n, h in homes.items() if n != spec.name and places.depth(h) == 3}
            private.discard(home)
            sector = places.join(*places.split(home)[:2])
            sectors = {sector, *town.public_sectors, *(town.resolve(k) for k in spec.knows)}
            if spec.workplace:
                sectors.add(town.resolve(spec.workplace))
            known = KnownPlaces(town, sectors, private)
            bed = self._bed_of(home, known)
            mind = Mind(spec, known, home, bed, self.config)
            room = places.join(*places.split(bed)[:3]) if places.depth(bed) >= 3 else bed
            spawns = town.spawn_tiles.get(room) or [town.spawn_tile(home)]
            n = spawn_counts.get(room, 0)
            spawn_counts[room] = n + 1
            state = AgentState(tile=spawns[n % len(spawns)], status=Status.ACTING)
            rng = random.Random(f"{self.seed}:{spec.name}")
            agents.append(Agent(spec, state, mind, rng))
        return agents

    def _bed_of(self, home: str, known: KnownPlaces) -> str:
        rooms = [home] if places.depth(home) == 3 else known.arenas()
        rooms = [r for r in rooms if r.startswith(places.join(*places.split(home)[:2]))]
        for room in rooms:
            for obj in self.town.children.get(room, []):
                if places.last(obj) == "bed":
                    return obj
        return home

    def _schedule(self) -> dict[int, list[Callable[[], None]]]:
        """Scenario events, by the tick they happen at."""
        due: dict[int, list[Callable[[], None]]] = {}

        def at(tick: int, fn: Callable[[], None]) -> None:
            due.setdefault(max(tick, 0), []).append(fn)

        for event in self.scenario.events:
            tick = self.clock.tick_of(event.at)
            if isinstance(event, Whisper):
                at(tick, lambda e=event: self.by_name[e.agent].mind.hear(e.text))
            elif isinstance(event, WorldEvent):
                address = self.town.resolve(event.place)
                at(tick, lambda a=address, e=event: self.objects.set(a, e.text))
                if event.minutes:
                    end = tick + self.clock.ticks(dt.timedelta(minutes=event.minutes))
                    at(end, lambda a=address: self.objects.set(a, IDLE))
            elif isinstance(event, ObjectStateEvent):
                address = self.town.resolve(event.place)
                at(tick, lambda a=address, e=event: self.objects.set(a, e.state))
        return due

    # -- running -----------------------------------------------------------------------------

    @property
    def now(self) -> dt.datetime:
        return self.clock.at(self.tick)

    def run(self, ticks: int | None = None, until: dt.datetime | None = None) -> None:
        """Step until `ticks` more ticks have passed, `until` is reached, or `running` is
        cleared (by an observer, a signal handler or the viewer)."""
        if ticks is None and until is None:
            until = self.scenario.end
        end = self.tick + ticks if ticks is not None else self.clock.tick_of(until)  # type: ignore[arg-type]
        self.running = True
        while self.running and self.tick < end:
            self.step()
        self.running = False

    def step(self) -> TickRecord:
        record = TickRecord(self.tick, self.now)
        for fn in self._due.pop(self.tick, ()):
            fn()
        record.perceived = self._perceive()
        thinkers = [
            a for a in self.agents if a.state.action is None or self.tick >= a.state.action.end
        ]
        if thinkers:
            for agent, action in zip(thinkers, self._think(thinkers), strict=True):
                self._start(agent, action)
                record.actions[agent.name] = action
        self._move(record)
        record.objects = self.objects.take_changes()
        for observer in self.observers:
            observer.on_tick(self, record)
        self.tick += 1
        return record

    def close(self) -> None:
        for observer in self.observers:
            end = getattr(observer, "on_end", None)
            if end is not None:
                end(self)
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    # -- perceive ----------------------------------------------------------------------------

    def _perceive(self) -> int:
        """Each awake agent sees the events of its own arena within its vision radius, the
        nearest few of them. An agent whose view has not changed since it last looked (same
        arena, same tile, same events there) sees nothing new, so it is not asked to look."""
        town = self.town
        by_arena: dict[str, list[Event]] = {}
        for agent in self.agents:
            agent.arena = town.arena_at(agent.state.tile)
            action = agent.state.action
            if agent.arena is not None and action is not None:
                event = Event(agent.name, f"{agent.name} is {action.description}", agent.state.tile)
                by_arena.setdefault(agent.arena, []).append(event)
        for address, state in self.objects.busy().items():
            event = Event(address, f"{places.last(address)} is {state}", self._tile_of(address))
            by_arena.setdefault(places.parent(address), []).append(event)
        signature = {arena: hash(tuple(events)) for arena, events in by_arena.items()}
        total = 0
        for agent in self.agents:
            events = by_arena.get(agent.arena) if agent.arena else None
            if not events or agent.state.status is Status.ASLEEP:
                agent.view = None
                continue
            view = (agent.arena, agent.state.tile, signature[agent.arena])
            if view == agent.view:
                continue
            agent.view = view
            total += len(agent.mind.perceive(self._nearest(agent, events)))
        return total

    def _nearest(self, agent: Agent, events: list[Event]) -> list[Event]:
        """The events within the vision radius, nearest first (attention bandwidth)."""
        x, y = agent.state.tile
        reach = self.config.vision_radius**2
        near = []
        for i, event in enumerate(events):
            d = (event.tile[0] - x) ** 2 + (event.tile[1] - y) ** 2
            if d <= reach and event.subject != agent.name:
                near.append((d, i, event))
        near.sort()
        return [event for _, _, event in near[: self.config.attention_bandwidth]]

    def _tile_of(self, address: str) -> Tile:
        if address not in self._object_tile:
            self._object_tile[address] = self.town.tiles_of(address)[0]
        return self._object_tile[address]

    # -- think -------------------------------------------------------------------------------

    def _think(self, thinkers: list[Agent]) -> list[Action]:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(self._decide_all(thinkers))

    async def _decide_all(self, thinkers: list[Agent]) -> list[Action]:
        return await asyncio.gather(*(self._decide(agent) for agent in thinkers))

    async def _decide(self, agent: Agent) -> Action:
        situation = Situation(self.tick, self.clock, self.town, agent.state.tile)
        try:
            return await agent.mind.next_action(self.meter, situation)
        except Exception:
            # A bug in one mind must not end everyone's run: the agent pauses and tries again.
            log.exception("%s could not decide what to do at tick %d", agent.name, self.tick)
            self.think_failures += 1
            end = self.tick + self.clock.ticks(dt.timedelta(minutes=5))
            return Action("pausing", "💭", self.town.address_at(agent.state.tile), self.tick, end)

    # -- act ---------------------------------------------------------------------------------

    def _start(self, agent: Agent, action: Action) -> None:
        old = agent.state.action
        if old is not None and places.depth(old.address) == 4:
            self.objects.release(old.address, agent.name)
        agent.state.action = action
        agent.target = self._target(agent, action.address)
        try:
            agent.state.path = self.paths.path(agent.state.tile, agent.target)
        except Unreachable as err:
            log.warning("%s cannot reach %s: %s", agent.name, action.address, err)
            self.unreachable += 1
            agent.state.path, agent.target = [], agent.state.tile
        if agent.state.path:
            agent.state.status = Status.WALKING
        else:
            self._arrive(agent)

    def _target(self, agent: Agent, address: str) -> Tile:
        """A tile to do the action on: where it stands if that will do, else a random one of
        the place's tiles that no other agent is heading for."""
        tiles = self.town.use_tiles(address) or [agent.state.tile]
        if agent.state.tile in tiles:
            return agent.state.tile
        taken = {a.target for a in self.agents if a is not agent}
        free = [t for t in tiles if t not in taken]
        return agent.rng.choice(free or tiles)

    def _arrive(self, agent: Agent) -> None:
        action = agent.state.action
        asleep = action is not None and agent.mind.is_sleep(action)
        agent.state.status = Status.ASLEEP if asleep else Status.ACTING
        if action is not None and action.object_state and places.depth(action.address) == 4:
            self.objects.set(action.address, action.object_state, by=agent.name)

    def _move(self, record: TickRecord) -> None:
        for agent in self.agents:
            state = agent.state
            if not state.path:
                continue
            step = state.path.pop(0)
            x, y = state.tile
            state.facing = FACING.get((step[0] - x, step[1] - y), state.facing)
            state.tile = step
            record.moved[agent.name] = step
            if not state.path:
                self._arrive(agent)
