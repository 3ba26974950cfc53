"""The tick loop: perceive -> think -> act -> record, as in design.md.

Most ticks no agent needs the model. When some do, all of their requests of that tick run
concurrently (under the cap on requests in flight), and their decisions are applied in the
fixed order of the agents, so a run is deterministic for a seed and a sequence of answers.

With `thinking_minutes` above 0, the world goes on while agents think: a decision asked for
at tick t lands at a tick fixed when it was asked, however long the model takes, and the ticks
in between run while the model works (the landing tick waits for it if need be). Decisions of
agents who think at nearby moments then overlap, which a tick-by-tick wait cannot do. What an
agent does next is thought out `thinking_minutes` ahead, while it is still at its current
action; a reaction or a line in a conversation lands on the next tick.

When the world does not wait at all (`wait=False`, the window's way), a decision lands at the
first tick, from the one it was asked for, at which its answer has come: the agent goes on
with what it was doing meanwhile, and the clock never stands still for the model unless a
decision falls more than `decision_lag_max_minutes` behind. Which tick each decision landed
at is recorded (TickRecord.landed), so a replay, a resumed run and a re-simulation land it at
the same tick (`landings`).

Either way the run stays deterministic because a thinking agent's mind is left alone until
its decision lands: what it sees meanwhile is kept and perceived then, nothing of it is
stored, what it reads of the world (who is busy, its conversation) is a copy taken when it
began, and what happens to it meanwhile (a whisper, the end of its conversation) is applied
when it lands. A thought on its way is saved in a checkpoint as what it began from, and begun
again when the checkpoint is restored: the recorded answers decide it the same way.
This module also holds the injection API: whispers, world events, interviews and added
events. Each is applied between ticks and handed to the observers' `on_inject`, so that a run
file can apply it again at the same moment when the run is resumed or re-simulated.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

import numpy as np

from memory import (
    Embedder,
    IdAllocator,
    MemoryKind,
    MemoryStream,
    NewMemory,
    RetrievalWeights,
    SentenceTransformerEmbedder,
)
from town.agents.agent import Agent
from town.agents.state import Action, AgentState, Status
from town.clock import Clock
from town.config import TownConfig
from town.llm import LanguageModel, Stack, compose
from town.llm.recorder import Replayer
from town.mind.converse import Conversation
from town.mind.interview import interview_memory
from town.mind.memories import AgentMemory
from town.mind.mind import Decision, Mind, Situation
from town.mind.spatial import KnownPlaces
from town.scenario import ObjectStateEvent, Scenario, ScenarioEvent, Whisper, WorldEvent
from town.world import IDLE, ObjectStates, PathFinder, Town, Unreachable, places
from town.world.events import Event
from town.world.town import Tile

log = logging.getLogger(__name__)
FACING = {(1, 0): "right", (-1, 0): "left", (0, 1): "down", (0, -1): "up"}
T = TypeVar("T")


@dataclass(slots=True)
class TickRecord:
    """What changed in one tick: the material of the run file, the viewer and the metrics."""

    tick: int
    time: dt.datetime
    moved: dict[str, Tile] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)
    utterances: dict[str, str] = field(default_factory=dict)
    finished: list[Conversation] = field(default_factory=list)  # conversations that ended
    landed: list[str] = field(default_factory=list)  # decisions that came (world not waiting)
    perceived: int = 0

    def empty(self) -> bool:
        return not (self.moved or self.actions or self.objects or self.utterances or self.landed)


@dataclass(slots=True)
class Thought:
    """A decision on its way. It is for tick `lands`: it lands then, or, when the world does
    not wait, at the first tick from then at which it has been decided."""

    lands: int
    task: asyncio.Future[Decision] | None  # None until a restored thought is begun again
    # What it began from, as plain data (its situation, the conversation and who was busy as
    # it saw them, the notes it had): a checkpoint keeps this, and a restored run begins the
    # thought again from it (the agent's mind as it began is the checkpoint's).
    begun: dict[str, Any]
    seen: list[tuple[int, list[Event]]] = field(default_factory=list)  # to perceive on landing
    sectors: list[str] = field(default_factory=list)  # walked into meanwhile
    after: list[list[Any]] = field(default_factory=list)  # what befell it meanwhile: [kind, fields]
    # A thought restored from a checkpoint is begun again only when the run goes on (a run
    # opened to be read, or to be whispered to, leaves it be).
    restart: Callable[[], asyncio.Future[Decision]] | None = None

    def running(self) -> asyncio.Future[Decision]:
        if self.task is None:
            assert self.restart is not None
            self.task, self.restart = self.restart(), None
        return self.task

    def result(self) -> Decision:
        return self.running().result()  # CancelledError if cancelled (window closed)


class Observer(Protocol):
    """Anything that watches a run (viewer, recorder, metrics). Besides `on_tick`, an observer
    may have `on_inject(sim, kind, fields)` (a whisper, world event, interview or added events,
    applied before tick `sim.tick`) and `on_end(sim)`."""

    def on_tick(self, sim: Simulation, record: TickRecord) -> None: ...


class Simulation:
    def __init__(
        self,
        scenario: Scenario,
        town: Town,
        model: LanguageModel | Stack,
        *,
        seed: int | None = None,
        embedder: Embedder | None = None,
        pathfinder: PathFinder | None = None,
        wait: bool = True,
    ) -> None:
        """`wait`: the world waits for every decision (the paper's way, and the default
        headless); False: decisions land when their answers come (the window's way)."""
        self.scenario = scenario
        self.town = town
        self.config: TownConfig = scenario.config
        self.seed = scenario.town.seed if seed is None else seed
        self.clock = Clock(scenario.town.start, scenario.town.seconds_per_tick)
        # A Stack comes composed (open_model, a replay); a bare model gets the standard wrappers:
        # meter, recorder, fallback, cache, retry, the cap on requests in flight, timeout.
        self.llm = (
            model
            if isinstance(model, Stack)
            else compose(model, max_in_flight=self.config.max_in_flight)
        )
        self.cap, self.meter = self.llm.cap, self.llm.meter  # no cap on a replay
        self.embedder = embedder or SentenceTransformerEmbedder()
        self.ids = IdAllocator()
        self.paths = pathfinder or PathFinder(town)
        self.objects = ObjectStates()
        self.rng = random.Random(self.seed)
        self.tick = 0
        self.running = False
        self.observers: list[Observer] = []
        self.think_failures = 0
        self.injected = 0  # whispers, events and interviews applied so far (see `_injected`)
        self.unreachable = 0
        self.talks: dict[int, Conversation] = {}  # conversations under way, by id
        self.talk_of: dict[str, int] = {}  # agent -> the conversation it is in
        self.thinking: frozenset[str] = frozenset()  # agents waiting on their minds right now
        self.lag = self.clock.ticks(dt.timedelta(minutes=self.config.thinking_minutes))
        self.wait = wait
        self.max_lag = self.clock.ticks(dt.timedelta(minutes=self.config.decision_lag_max_minutes))
        self.thoughts: dict[str, Thought] = {}  # decisions on their way (lag above 0, no wait)
        # A recorded run's landings (world not waiting): who landed at each tick up to
        # `recorded_until`; a re-enactment lands those and only those.
        self.landings: dict[int, list[str]] = {}
        self.recorded_until = -1
        # Inside a tick or an interview, or left inside one that was cut off (the window closed
        # as it waited on the model): what it changed so far is no state to save.
        self.midway = False
        self.next_talk = 0
        self.agents = self._make_agents()
        self.by_name = {a.name: a for a in self.agents}
        self.due: list[tuple[int, str, dict[str, Any]]] = self._due(scenario.events)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._object_tile: dict[str, Tile] = {}
        self._seed_memories()

    # -- set-up ------------------------------------------------------------------------------

    def _make_agents(self) -> list[Agent]:
        town, specs, config = self.town, self.scenario.agents, self.config
        homes = {s.name: town.resolve(s.home) for s in specs}
        names = [s.name for s in specs]
        weights = RetrievalWeights(
            config.recency_weight, config.importance_weight, config.relevance_weight
        )
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
            stream = MemoryStream(
                spec.name,
                self.embedder,
                ids=self.ids,
                weights=weights,
                ticks_per_hour=self.clock.ticks_per_hour,
                decay=config.recency_decay,
            )
            memory = AgentMemory(stream, names, config.routine_importance)
            mind = Mind(spec, known, home, bed, config, memory, self.clock)
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

    def _seed_memories(self) -> None:
        for agent in self.agents:
            for text in agent.persona.memories:
                agent.mind.memory.note(text, MemoryKind.OBSERVATION, self.config.seed_importance)
        self._store_memories()

    def _due(self, events: list[ScenarioEvent]) -> list[tuple[int, str, dict[str, Any]]]:
        """Scenario events as plain data (tick, kind, fields), so a checkpoint holds them."""
        due = []
        for event in events:
            tick = max(self.clock.tick_of(event.at), 0)
            if isinstance(event, Whisper):
                due.append((tick, "whisper", {"agent": event.agent, "text": event.text}))
            elif isinstance(event, WorldEvent):
                fields = {"place": event.place, "text": event.text, "minutes": event.minutes}
                due.append((tick, "world_event", fields))
            elif isinstance(event, ObjectStateEvent):
                due.append((tick, "object_state", {"place": event.place, "state": event.state}))
        return sorted(due, key=lambda d: d[0])

    # -- talking to the town -----------------------------------------------------------------
    # Call these between ticks (the viewer's runner and the CLI do).

    def whisper(self, name: str, text: str) -> None:
        """An inner voice for one agent: it becomes a memory and re-shapes its day (if it is
        thinking, once its decision lands)."""
        self._whisper(name, text)
        self._injected("whisper", {"agent": name, "text": text})

    def world_event(self, place: str, text: str, minutes: int | None = None) -> None:
        """Something happens to an object ('on fire'); agents who see it may react."""
        self._world_event(place, text, minutes)
        self._injected("world_event", {"place": place, "text": text, "minutes": minutes})

    def interview(self, name: str, question: str, remember: bool = False) -> str:
        """Ask an agent anything; it answers in character from what it remembers. Even an
        interview it does not remember changes the run a little (the memories it recalled
        were accessed), so it is an injection like the others."""
        self.midway = True  # cut off as it waits on the model, it leaves nothing to save
        answer = self._interview(name, question, remember)
        self.midway = False
        self._injected("interview", {"agent": name, "question": question, "remember": remember})
        return answer

    def schedule(self, events: list[ScenarioEvent]) -> None:
        """Add events to come (a fork's overlay), as if the scenario had named them."""
        due = self._due(events)
        self._add_due(due)
        self._injected("schedule", {"due": [list(d) for d in due]})

    def reapply(self, kind: str, fields: dict[str, Any]) -> None:
        """An injection of a recorded run, applied again (re-simulation, resume, fork)."""
        if kind == "interview":
            self._interview(fields["agent"], fields["question"], fields["remember"])
        elif kind == "schedule":
            self._add_due([(t, k, f) for t, k, f in fields["due"]])
        else:
            self._happen(kind, fields)
        self.injected += 1

    def _injected(self, kind: str, fields: dict[str, Any]) -> None:
        self.injected += 1
        for observer in self.observers:
            hook = getattr(observer, "on_inject", None)
            if hook is not None:
                hook(self, kind, fields)

    def _whisper(self, name: str, text: str) -> None:
        agent = self._agent(name)
        thought = self.thoughts.get(name)
        if thought is not None:  # its mind is left alone until then
            thought.after.append(["whisper", {"text": text}])
        else:
            agent.mind.hear(text)

    def _world_event(self, place: str, text: str, minutes: int | None) -> None:
        address = self.town.resolve(place)
        self.objects.set(address, text)
        if minutes:
            end = self.tick + self.clock.ticks(dt.timedelta(minutes=minutes))
            self._add_due([(end, "world_event_end", {"place": address, "text": text})])

    def _world_event_end(self, address: str, text: str) -> None:
        """A timed world event is over: its object goes idle, unless something set it
        otherwise since (a stove set broken while a fire burned stays broken) or the same
        event happened again and has not run its own time yet."""
        again = any(
            kind == "world_event_end" and fields == {"place": address, "text": text}
            for _, kind, fields in self.due
        )
        if self.objects[address] == text and not again:
            self.objects.set(address, IDLE)

    def _interview(self, name: str, question: str, remember: bool) -> str:
        """A thinking agent answers from its memories as they are, touching none of them (its
        mind is left alone), and keeps the interview as a memory once its decision lands."""
        agent = self._agent(name)
        thought = self.thoughts.get(name)
        answer = self._run(
            agent.mind.interview(
                self.meter,
                self._situation(agent),
                question,
                remember and thought is None,
                touch=thought is None,
            )
        )
        if thought is not None and remember:
            kept = interview_memory(agent.mind, question, answer)
            thought.after.append(["remember", {"text": kept}])
        self._store_memories()
        return answer

    def _add_due(self, due: list[tuple[int, str, dict[str, Any]]]) -> None:
        self.due.extend(due)
        self.due.sort(key=lambda d: d[0])  # stable: what was added first at a tick goes first

    def use_model(self, model: Stack) -> None:
        """Answer from another model from now on (a resumed run: recorded answers, then live).
        Thoughts that were waiting on a replay for what it had not recorded ask `model`."""
        replayer = self.llm.backend if isinstance(self.llm, Stack) else None
        if isinstance(replayer, Replayer) and replayer.hold_after is not None:
            replayer.go_live(model)
        self.llm = model
        self.cap, self.meter = model.cap, model.meter

    def _agent(self, name: str) -> Agent:
        try:
            return self.by_name[name]
        except KeyError:
            raise KeyError(
                f"no agent named {name!r}; the agents are {', '.join(self.by_name)}"
            ) from None

    def _happen(self, kind: str, fields: dict[str, Any]) -> None:
        """A scheduled event comes due (the scenario's own: not an injection)."""
        if kind == "whisper":
            self._whisper(fields["agent"], fields["text"])
        elif kind == "world_event":
            self._world_event(fields["place"], fields["text"], fields["minutes"])
        elif kind == "object_state":
            self.objects.set(self.town.resolve(fields["place"]), fields["state"])
        elif kind == "world_event_end":
            self._world_event_end(fields["place"], fields["text"])
        else:
            raise ValueError(f"unknown kind of event {kind!r}")

    # -- running -----------------------------------------------------------------------------

    @property
    def now(self) -> dt.datetime:
        return self.clock.at(self.tick)

    def run(self, ticks: int | None = None, until: dt.datetime | None = None) -> None:
        """Step until `ticks` more ticks have passed, `until` is reached, or `running` is
        cleared (by an observer, a signal handler or the viewer)."""
        end = (
            self.tick + ticks
            if ticks is not None
            else self.clock.tick_of(until or self.scenario.end)
        )
        self.running = True
        while self.running and self.tick < end:
            self.step()
        self.running = False

    def step(self) -> TickRecord:
        self.midway = True
        record = TickRecord(self.tick, self.now)
        while self.due and self.due[0][0] <= self.tick:
            _, kind, fields = self.due.pop(0)
            self._happen(kind, fields)
        for agent in self.agents:
            agent.state.utterance = None
        record.perceived = self._perceive()
        if self.thoughts:
            self._land(record)
        thinkers, situations, ended = [], [], []
        ahead = bool(self.lag) or not self.wait  # decisions on their way while ticks go on
        for agent in self.agents:
            if agent.name in self.thoughts:
                continue
            talk = self.talks.get(self.talk_of.get(agent.name, -1))
            my_turn = talk is not None and talk.speaker == agent.name
            if ahead and talk is not None and not my_turn:
                continue  # in a conversation, it thinks on its turn only
            lag = self._lag_of(agent, my_turn)
            # With a lag, an agent thinks ahead: its decision lands as its action ends.
            action_ended = talk is None and (
                agent.state.action is None or self.tick + lag >= agent.state.action.end
            )
            situation = self._situation(agent, lag, ahead)
            if agent.mind.wants_to_think(situation, action_ended, my_turn):
                thinkers.append(agent)
                situations.append(situation)
                ended.append(action_ended)
        if thinkers and ahead:
            self._begin(thinkers, situations, ended)
        elif thinkers:
            self.thinking = frozenset(a.name for a in thinkers)
            try:
                decisions = self._run(self._think_all(thinkers, situations, ended))
            finally:
                self.thinking = frozenset()
            for agent, decision in zip(thinkers, decisions, strict=True):
                self._apply(agent, decision, record)
        if self.thoughts:
            self._pump()
        self._store_memories()
        self._move(record)
        record.objects = self.objects.take_changes()
        for observer in self.observers:
            observer.on_tick(self, record)
        self.tick += 1
        self.midway = False
        return record

    def close(self) -> None:
        for observer in self.observers:
            end = getattr(observer, "on_end", None)
            if end is not None:
                end(self)
        if self._loop is not None:
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            if tasks:
                self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()
            self._loop = None

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop

    def _run(self, work: Coroutine[Any, Any, T] | asyncio.Future[T]) -> T:
        return self._event_loop().run_until_complete(work)

    def _pump(self) -> None:
        """Let the thoughts in flight take their next steps (send, read an answer) without
        waiting for any of them: this runs between ticks."""
        for thought in self.thoughts.values():
            thought.running()
        self._run(asyncio.sleep(0))

    def idle(self, seconds: float) -> None:
        """Between ticks that are not due yet (a window at 1x), let the thoughts in flight go
        on for up to `seconds`: they are not served while nobody runs the event loop."""
        if self.thoughts:
            for thought in self.thoughts.values():
                thought.running()
            self._run(asyncio.sleep(seconds))

    def behind(self) -> bool:
        """Whether a decision lags so far (the world not waiting) that the next tick would
        wait for it: the window holds its clock meanwhile, and says so."""
        return any(self._overdue(t) for t in self.thoughts.values())

    def decision_lag(self) -> int:
        """Ticks the latest decision still on its way lags behind the tick it is for."""
        late = [self.tick - t.lands for t in self.thoughts.values() if not t.running().done()]
        return max([0, *late])

    def _overdue(self, thought: Thought) -> bool:
        return (
            not self.wait
            and self.tick > self.recorded_until
            and not thought.running().done()
            and self.tick - thought.lands >= self.max_lag
        )

    # -- perceive ----------------------------------------------------------------------------

    def _perceive(self) -> int:
        """Each awake agent sees the events of its own arena within its vision radius, the
        nearest few of them. An agent whose view has not changed since it last looked (same
        arena, same tile, same events there) sees nothing new, so it is not asked to look."""
        town = self.town
        by_arena: dict[str, list[Event]] = {}
        for agent in self.agents:
            agent.arena = town.arena_at(agent.state.tile)
            sector = town.sector_at(agent.state.tile)
            thought = self.thoughts.get(agent.name)
            if sector is not None and thought is not None:
                if sector not in thought.sectors:
                    thought.sectors.append(sector)
            elif sector is not None:
                agent.mind.known.learn(sector)  # spatial memory grows where one goes
            action = agent.state.action
            if agent.arena is None or action is None:
                continue
            talk = self.talks.get(self.talk_of.get(agent.name, -1))
            doing = (
                f"talking with {' and '.join(talk.others(agent.name))}"
                if talk
                else action.description
            )
            event = Event(agent.name, f"{agent.name} is {doing}", agent.state.tile, "agent")
            by_arena.setdefault(agent.arena, []).append(event)
        for address, state in self.objects.busy().items():
            kind = "object" if self.objects.user_of(address) else "world"
            event = Event(
                address, f"{places.last(address)} is {state}", self._tile_of(address), kind
            )
            by_arena.setdefault(places.parent(address), []).append(event)
        # Text, not hash(): the view is part of a checkpoint, read by another process.
        signature = {
            arena: "\n".join(f"{e.subject}@{e.tile[0]},{e.tile[1]}:{e.description}" for e in events)
            for arena, events in by_arena.items()
        }
        total = 0
        for agent in self.agents:
            events = by_arena.get(agent.arena) if agent.arena else None
            if not events or agent.state.status is Status.ASLEEP:
                agent.view = None
                continue
            view = [agent.arena, list(agent.state.tile), signature[agent.arena]]
            if view == agent.view:
                continue
            agent.view = view
            thought = self.thoughts.get(agent.name)
            if thought is not None:  # noticed now, taken in once the decision lands
                thought.seen.append((self.tick, self._nearest(agent, events)))
                continue
            total += len(agent.mind.perceive(self._nearest(agent, events), self.tick))
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

    def _lag_of(self, agent: Agent, my_turn: bool) -> int:
        """Ticks from asking to landing (at the earliest, when the world does not wait): a
        reply or a reaction comes the next moment; what to do next is thought out ahead."""
        if not self.lag and self.wait:
            return 0
        return 1 if my_turn or agent.mind.pending.sighting is not None else self.lag

    def _situation(self, agent: Agent, lag: int = 0, ahead: bool = False) -> Situation:
        """What the agent knows as it begins to think; thinking `ahead` of its decision's
        landing, it decides for the moment the decision is due."""
        return Situation(
            self.tick + lag,
            self.clock,
            self.town,
            agent.state.tile,
            agent.state.action,
            agent.state.status,
            asked=self.tick if ahead else None,
        )

    def _begin(self, thinkers: list[Agent], situations: list[Situation], ended: list[bool]) -> None:
        """Start these agents thinking, each for the tick of its situation."""
        busy = sorted(name for name in self.by_name if self._busy(name))
        for agent, situation, action_ended in zip(thinkers, situations, ended, strict=True):
            talk = self.talks.get(self.talk_of.get(agent.name, -1))
            begun = {
                "asked": self.tick,
                "tick": situation.tick,
                "tile": list(situation.tile),
                "action": situation.action.to_dict() if situation.action else None,
                "status": str(situation.status),
                "ended": action_ended,
                "talk": talk.get_state() if talk is not None else None,
                "busy": busy,
                "notes": _notes_state(agent.mind.memory.notes),
                "mind": agent.mind.get_state(),
            }
            agent.mind.memory.stream.begin_journal()
            task = self._start_thought(agent, begun)
            self.thoughts[agent.name] = Thought(situation.tick, task, begun)
        self.thinking = frozenset(self.thoughts)

    def _start_thought(
        self, agent: Agent, begun: dict[str, Any], model: LanguageModel | None = None
    ) -> asyncio.Task[Decision]:
        """Think from what the thought began from (its mind as it began is the agent's),
        asking `model` (by default the simulation's now)."""
        action = begun["action"]
        situation = Situation(
            begun["tick"],
            self.clock,
            self.town,
            (begun["tile"][0], begun["tile"][1]),
            Action(**action) if action else None,
            Status(begun["status"]),
            asked=begun["asked"],
        )
        talk = Conversation.from_state(begun["talk"]) if begun["talk"] else None
        busy = frozenset(begun["busy"])
        model = model or self.meter
        work = self._think(agent, situation, begun["ended"], talk, busy.__contains__, model)
        return self._event_loop().create_task(work)

    def _land(self, record: TickRecord) -> None:
        """Apply the decisions that land now, in agent order, waiting for any still on its
        way that must land now."""
        for agent in self.agents:
            thought = self.thoughts.get(agent.name)
            if thought is None or thought.lands > self.tick:
                continue
            if not self._lands_now(agent.name, thought):
                continue
            decision = self._finish(agent.name)
            del self.thoughts[agent.name]
            mind = agent.mind
            mind.memory.stream.end_journal()
            for sector in thought.sectors:
                mind.known.learn(sector)
            for tick, events in thought.seen:
                record.perceived += len(mind.perceive(events, tick))
            for kind, fields in thought.after:
                self._befall(agent, kind, fields)
            self._apply(agent, decision, record)
            if not self.wait:
                record.landed.append(agent.name)
        self.thinking = frozenset(self.thoughts)

    def _lands_now(self, name: str, thought: Thought) -> bool:
        """With the world waiting, at its tick; else as recorded, or, live, once decided (or
        so late that the clock waits for it)."""
        if self.wait:
            return True
        if self.tick <= self.recorded_until:
            return name in self.landings.get(self.tick, ())
        return thought.running().done() or self._overdue(thought)

    def _befall(self, agent: Agent, kind: str, fields: dict[str, Any]) -> None:
        """What happened to a thinking agent, told to it once its decision has landed."""
        if kind == "whisper":
            agent.mind.hear(fields["text"])
        elif kind == "talked":
            talk = Conversation.from_state(fields["talk"])
            agent.mind.talked_with(fields["people"], fields["tick"], talk)
        elif kind == "remember":
            agent.mind.memory.note(fields["text"], MemoryKind.CHAT, 4)
        else:
            raise ValueError(f"unknown kind of happening {kind!r}")

    def _finish(self, name: str) -> Decision:
        """The decision of this agent's thought in flight, waiting for it if need be."""
        task = self.thoughts[name].running()
        if not task.done():
            self._run(asyncio.wait([task]))
        return task.result()

    def recorded_landing(self, name: str, asked: int) -> int | None:
        """The recorded tick at which the decision `name` began at `asked` landed, if the
        record holds it (a replay's answers are all there for such a decision)."""
        if self.wait:
            return None
        for tick in range(asked + 1, self.recorded_until + 1):
            if name in self.landings.get(tick, ()):
                return tick
        return None

    async def _think_all(
        self, thinkers: list[Agent], situations: list[Situation], ended: list[bool]
    ) -> list[Decision]:
        return await asyncio.gather(
            *(
                self._think(
                    agent,
                    situation,
                    action_ended,
                    self.talks.get(self.talk_of.get(agent.name, -1)),
                    self._busy,
                    self.meter,
                )
                for agent, situation, action_ended in zip(thinkers, situations, ended, strict=True)
            )
        )

    async def _think(
        self,
        agent: Agent,
        situation: Situation,
        action_ended: bool,
        talk: Conversation | None,
        busy: Callable[[str], bool],
        model: LanguageModel,
    ) -> Decision:
        """`model`: the one asked when the thought began (a replay's, for a thought it begins
        again, even if the run has gone live before the thought first runs)."""
        try:
            return await agent.mind.think(
                model, situation, action_ended=action_ended, talk=talk, others_busy=busy
            )
        except Exception:
            # A bug in one mind must not end everyone's run: the agent pauses and tries again.
            log.exception("%s could not decide what to do at tick %d", agent.name, situation.tick)
            self.think_failures += 1
            if talk is not None:
                return Decision(line="Sorry, I lost my train of thought.", end_talk=True)
            end = situation.tick + self.clock.ticks(dt.timedelta(minutes=5))
            address = self.town.address_at(situation.tile)
            return Decision(action=Action("pausing", "💭", address, situation.tick, end))

    def _busy(self, name: str) -> bool:
        """Whether an agent cannot be talked to now: asleep, or in a full conversation."""
        other = self.by_name.get(name)
        if other is None or other.state.status is Status.ASLEEP:
            return True
        talk = self.talks.get(self.talk_of.get(name, -1))
        return talk is not None and len(talk.people) >= self.config.conversation_max_people

    # -- act ---------------------------------------------------------------------------------

    def _apply(self, agent: Agent, decision: Decision, record: TickRecord) -> None:
        talk = self.talks.get(self.talk_of.get(agent.name, -1))
        if talk is not None and decision.line and talk.speaker == agent.name:
            self._say(agent, talk, decision.line, record)
            if decision.end_talk:
                self._end_talk(talk, record)
        elif decision.talk_to:
            self._start_talk(agent, decision.talk_to, decision.line, record)
        talk = self.talks.get(self.talk_of.get(agent.name, -1))
        if talk is not None and len(talk.lines) >= self.config.conversation_max_turns:
            self._end_talk(talk, record)
        if decision.action is not None and agent.name not in self.talk_of:
            self._start(agent, decision.action)
            record.actions[agent.name] = decision.action

    def _say(self, agent: Agent, talk: Conversation, line: str, record: TickRecord) -> None:
        talk.say(agent.name, line, self.tick)
        agent.state.utterance = line
        record.utterances[agent.name] = line

    def _start_talk(
        self, agent: Agent, other_name: str, line: str | None, record: TickRecord
    ) -> None:
        """Start a conversation, or join the one the other is in; refused when the other has
        gone, fallen asleep, or is busy since the decision was taken. Without an opening line
        the one who starts it speaks first, next tick."""
        other = self.by_name.get(other_name)
        if other is None or other is agent or agent.name in self.talk_of or self._busy(other_name):
            return
        if other.arena != agent.arena or not agent.mind.can_talk_with(other_name, self.tick):
            return
        if not other.mind.can_talk_with(agent.name, self.tick):
            return
        talk = self.talks.get(self.talk_of.get(other_name, -1))
        if talk is None:
            talk = Conversation(
                self.next_talk, [agent.name, other_name], agent.arena or "", self.tick
            )
            self.next_talk += 1
            self.talks[talk.id] = talk
            self.talk_of[other_name] = talk.id
            other.state.status = Status.TALKING
        else:
            talk.people.append(agent.name)  # a group conversation: it waits for its turn
        self.talk_of[agent.name] = talk.id
        agent.state.status = Status.TALKING
        if line:
            self._say(agent, talk, line, record)

    def _end_talk(self, talk: Conversation, record: TickRecord) -> None:
        talk.ended = self.tick
        record.finished.append(talk)
        del self.talks[talk.id]
        for name in talk.people:
            self.talk_of.pop(name, None)
            agent = self.by_name[name]
            thought = self.thoughts.get(name)
            if thought is not None:  # drawn in while thinking: told once its decision lands
                ended = {"people": list(talk.people), "tick": self.tick, "talk": talk.get_state()}
                thought.after.append(["talked", ended])
            else:
                agent.mind.talked_with(talk.people, self.tick, talk)
            agent.state.status = Status.WALKING if agent.state.path else Status.ACTING

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
            if not state.path or state.status is Status.TALKING:
                continue
            step = state.path.pop(0)
            x, y = state.tile
            state.facing = FACING.get((step[0] - x, step[1] - y), state.facing)
            state.tile = step
            record.moved[agent.name] = step
            if not state.path:
                self._arrive(agent)

    # -- remember ----------------------------------------------------------------------------

    def _store_memories(self) -> None:
        """Everyone's new memories of this tick, embedded in one batch, stored in agent order."""
        notes: list[tuple[Agent, list[NewMemory]]] = []
        for agent in self.agents:
            if agent.name in self.thoughts:
                continue  # its stream stays as it was until its decision lands
            taken = agent.mind.memory.take_notes()
            if taken:
                notes.append((agent, taken))
        if not notes:
            return
        vectors = self.embedder.embed([n.text for _, taken in notes for n in taken])
        at = 0
        for agent, taken in notes:
            rows = vectors[at : at + len(taken)]
            at += len(taken)
            records = agent.mind.memory.stream.add_many(taken, self.tick, vectors=rows)
            agent.mind.memory.stored(records)

    # -- state -------------------------------------------------------------------------------

    def get_state(self, streams: bool = True) -> dict[str, Any]:
        """Everything needed to continue this run later, as plain JSON-able data. Without
        `streams`, the memory streams are left out (a run file stores memories apart).
        A thought on its way is kept as it began: its agent's mind and memories as they were
        then, and what it began from; `set_state` begins it again."""
        state: dict[str, Any] = {
            "tick": self.tick,
            "rng": _rng_state(self.rng),
            "ids": self.ids.get_state(),
            "objects": self.objects.get_state(),
            "due": [list(d) for d in self.due],
            "talks": [t.get_state() for t in self.talks.values()],
            "next_talk": self.next_talk,
            "injected": self.injected,
            "agents": {a.name: self._agent_state(a, streams) for a in self.agents},
        }
        if self.thoughts:  # (absent when none, as in every run where the world waits)
            state["thoughts"] = {
                name: {
                    "lands": t.lands,
                    "begun": {k: v for k, v in t.begun.items() if k != "mind"},
                    "seen": [[tick, [e.to_dict() for e in events]] for tick, events in t.seen],
                    "sectors": t.sectors,
                    "after": t.after,
                }
                for name, t in self.thoughts.items()
            }
        return state

    def _agent_state(self, agent: Agent, streams: bool) -> dict[str, Any]:
        thought = self.thoughts.get(agent.name)
        state = {
            "state": agent.state.get_state(),
            "target": list(agent.target) if agent.target else None,
            "rng": _rng_state(agent.rng),
            "view": agent.view,
            "mind": thought.begun["mind"] if thought else agent.mind.get_state(),
        }
        if streams:
            stream = agent.mind.memory.stream.get_state()
            before = self.accesses_before(agent)
            for record in stream["records"]:
                record["last_access"] = before.get(record["id"], record["last_access"])
            state["stream"] = stream
        return state

    def accesses_before(self, agent: Agent) -> dict[int, int]:
        """For a thinking agent, the last access its thought changed, as they were before it
        began (a checkpoint keeps the stream as the thought found it)."""
        if agent.name not in self.thoughts:
            return {}
        return agent.mind.memory.stream.accesses_before()

    def set_state(self, data: dict[str, Any]) -> None:
        self.tick = data["tick"]
        self.rng.setstate(_rng_from(data["rng"]))
        self.objects.set_state(data["objects"])
        self.due = [(t, k, f) for t, k, f in data["due"]]
        self.talks = {t["id"]: Conversation.from_state(t) for t in data["talks"]}
        self.talk_of = {p: t.id for t in self.talks.values() for p in t.people}
        self.next_talk = data["next_talk"]
        self.injected = data.get("injected", 0)
        for agent in self.agents:
            saved = data["agents"][agent.name]
            agent.state = AgentState.from_state(saved["state"])
            agent.target = tuple(saved["target"]) if saved["target"] else None  # type: ignore[assignment]
            agent.rng.setstate(_rng_from(saved["rng"]))
            if "stream" in saved:  # else the caller has restored the streams itself
                agent.mind.memory.stream.set_state(saved["stream"])
            agent.mind.set_state(saved["mind"])
            agent.view = saved.get("view")
        self.thoughts = {}
        for name, saved in data.get("thoughts", {}).items():
            agent = self.by_name[name]
            memory = agent.mind.memory
            seen = [(tick, [Event.from_dict(e) for e in es]) for tick, es in saved["seen"]]
            after = [list(x) for x in saved.get("after", [])]
            thought = Thought(saved["lands"], None, {}, seen, list(saved["sectors"]), after)
            if "begun" in saved:
                thought.begun = {**saved["begun"], "mind": data["agents"][name]["mind"]}
                memory.notes = _notes_from(thought.begun["notes"])
                memory.stream.begin_journal()
                # Begun again with the model of now (a replay's), whenever it first runs.
                thought.restart = partial(self._start_thought, agent, thought.begun, self.meter)
            else:  # a run file of an earlier version kept the decision itself
                thought.begun = {"mind": data["agents"][name]["mind"], "notes": saved["notes"]}
                memory.notes = _notes_from(saved["notes"])
                thought.task = self._event_loop().create_future()
                thought.task.set_result(Decision.from_dict(saved["decision"]))
            self.thoughts[name] = thought
        self.thinking = frozenset(self.thoughts)
        self.ids.set_state(data["ids"])


def _notes_state(notes: list[NewMemory]) -> list[list[Any]]:
    return [[n.text, str(n.kind), n.importance, list(n.evidence), n.expires] for n in notes]


def _notes_from(data: list[list[Any]]) -> list[NewMemory]:
    return [NewMemory(t, k, i, tuple(e), x) for t, k, i, e, x in data]


def _rng_state(rng: random.Random) -> dict[str, Any]:
    version, internal, gauss = rng.getstate()
    raw = np.array(internal, dtype=np.uint32).tobytes()
    return {"version": version, "state": base64.b64encode(raw).decode(), "gauss": gauss}


def _rng_from(data: dict[str, Any]) -> tuple[Any, ...]:
    internal = tuple(
        int(x) for x in np.frombuffer(base64.b64decode(data["state"]), dtype=np.uint32)
    )
    return (data["version"], internal, data["gauss"])
