"""An agent's mind: it perceives, remembers, plans, acts, reacts, converses and reflects.

The mind reads the world while it thinks but changes nothing outside itself: what it decides
comes back as a Decision, applied by the simulation in a fixed agent order, and what it wants
to remember is noted and stored after the think phase. So concurrent thinking stays
deterministic.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from memory import MemoryKind
from town.agents.state import Action, Status
from town.clock import Clock
from town.config import TownConfig
from town.llm.base import LanguageModel, Request
from town.mind import plan as plans
from town.mind.converse import Conversation, look_back, speak
from town.mind.decompose import decompose
from town.mind.importance import rate_sights
from town.mind.interview import interview
from town.mind.memories import AgentMemory
from town.mind.prompts import conversation
from town.mind.prompts.schemas import Commitment, TaskListBase
from town.mind.react import react
from town.mind.reflect import reflect
from town.mind.sanity import Sanity
from town.mind.spatial import KnownPlaces
from town.scenario import AgentSpec
from town.world import places
from town.world.events import Event
from town.world.town import Tile, Town

SLEEPING = "sleeping"
T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Situation:
    """What an agent can know when it thinks: the moment, where it is, what it is doing."""

    tick: int
    clock: Clock
    town: Town
    tile: Tile
    action: Action | None = None
    status: Status = Status.ACTING
    asked: int | None = None  # the tick the thinking began, if before `tick` (see sim.py)

    @property
    def now(self) -> dt.datetime:
        return self.clock.at(self.tick)

    @property
    def here(self) -> str:
        return places.last(self.town.address_at(self.tile))

    @property
    def doing(self) -> str:
        return self.action.description if self.action else "getting ready"

    @property
    def public_place(self) -> bool:
        sector = self.town.sector_at(self.tile)
        return sector in self.town.public_sectors


@dataclass(slots=True)
class Decision:
    """What an agent decided this tick; the simulation applies it."""

    action: Action | None = None  # start this now
    talk_to: str | None = None  # start (or join) a conversation with this agent
    line: str | None = None  # what it says (an opening, or its turn in a conversation)
    end_talk: bool = False  # it ends its conversation with this line

    def to_dict(self) -> dict[str, Any]:
        action = self.action.to_dict() if self.action else None
        return {"action": action, "talk_to": self.talk_to, "line": self.line, "end": self.end_talk}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        action = Action(**data["action"]) if data["action"] else None
        return cls(action, data["talk_to"], data["line"], data["end"])


@dataclass(slots=True)
class Pending:
    """What a mind has queued to think about at its next chance."""

    sighting: Event | None = None  # the most salient new event, for a reaction
    # Why the rest of the day must be re-planned: every reason since the last re-plan (a
    # whisper and an event at the same moment both reach it; nothing a user sends is lost).
    replan: list[str] = field(default_factory=list)
    look_back: Conversation | None = None  # a conversation that just ended
    promises: list[tuple[str, int, str]] = field(default_factory=list)  # day, minute, activity


class Mind:
    def __init__(
        self,
        spec: AgentSpec,
        known: KnownPlaces,
        home: str,
        bed: str,
        config: TownConfig,
        memory: AgentMemory,
        clock: Clock,
    ) -> None:
        self.persona = spec
        self.clock = clock
        self.known = known
        self.home = home  # full address of the home sector or of the agent's own room
        self.bed = bed  # full address of the bed it sleeps in
        self.config = config
        self.memory = memory
        self.plan: plans.DayPlan | None = None
        self.tasks: deque[Action] = deque()
        self.pending = Pending()
        self.relationships: dict[str, str] = {}  # person -> what this agent thinks of them
        self.considered: dict[str, int] = {}  # person -> tick of the last reaction to them
        self.talked: dict[str, int] = {}  # person -> tick a conversation with them ended
        self.recent: deque[tuple[str, str]] = deque(maxlen=max(config.retention, 1))
        self.in_view: set[tuple[str, str]] = set()
        self.observations = 0
        self.last_rating = -(10**9)
        self.last_reaction = -(10**9)
        self.sanity = Sanity()  # what the checks of its answers found (sanity.py)
        self.purpose: tuple[str, str] | None = None  # whom it chose to talk to, and why

    @property
    def name(self) -> str:
        return self.persona.name

    @property
    def home_sector_name(self) -> str:
        return places.split(self.home)[1]

    # -- asking the model ---------------------------------------------------------------------

    def _request(
        self,
        situation: Situation,
        purpose: str,
        template: str,
        schema: type | None,
        facts: dict[str, Any],
        fallback: Callable[[], Any],
        max_tokens: int,
        values: dict[str, object],
    ) -> Request:
        p = self.persona
        return Request(
            messages=conversation(
                template,
                p.name,
                persona=p.summary(),
                name=p.name,
                first_name=p.first_name,
                **values,
            ),
            purpose=purpose,
            schema=schema,
            agent=p.name,
            tick=situation.tick if situation.asked is None else situation.asked,
            due=None if situation.asked is None else situation.tick,
            facts={"name": p.name, "first_name": p.first_name, **facts},
            fallback=fallback,
            max_tokens=max_tokens,
        )

    async def ask(
        self,
        model: LanguageModel,
        situation: Situation,
        purpose: str,
        schema: type[T],
        *,
        facts: dict[str, Any],
        fallback: Callable[[], T],
        template: str | None = None,
        max_tokens: int = 400,
        **values: object,
    ) -> T:
        """A structured answer of shape `schema` (or the fallback, if the model fails)."""
        request = self._request(
            situation, purpose, template or purpose, schema, facts, fallback, max_tokens, values
        )
        reply = await model.complete(request)
        if not isinstance(reply.value, schema):
            raise TypeError(f"{purpose}: expected {schema.__name__}, got {reply.text[:200]!r}")
        return reply.value

    async def tell(
        self,
        model: LanguageModel,
        situation: Situation,
        purpose: str,
        *,
        facts: dict[str, Any],
        fallback: Callable[[], str],
        max_tokens: int = 200,
        **values: object,
    ) -> str:
        """A free-text answer."""
        request = self._request(
            situation, purpose, purpose, None, facts, fallback, max_tokens, values
        )
        return (await model.complete(request)).text.strip()

    # -- perceive -----------------------------------------------------------------------------

    def perceive(self, events: list[Event], tick: int) -> list[Event]:
        """Keep what is new: not in view a tick ago, nor among the last few new things
        (retention). Something that goes on in plain sight is perceived once."""
        if not self.config.observe:  # an ablation: nothing seen, nothing to react to
            return []
        fresh = []
        for event in events:
            if event.key not in self.in_view and event.key not in self.recent:
                self.recent.append(event.key)
                fresh.append(event)
                # An object in someone's use says no more than that person's own action.
                self.memory.observe(event.description, routine=event.kind == "object")
        self.in_view = {event.key for event in events}
        self.observations += len(fresh)
        spacing = self._ticks(self.config.react_every_minutes)
        if self.pending.sighting is None and tick - self.last_reaction >= spacing:
            for event in fresh:  # nearest first: the first that deserves a reaction
                if self.deserves_reaction(event, tick):
                    self.pending.sighting = event
                    break
        return fresh

    def deserves_reaction(self, event: Event, tick: int) -> bool:
        if event.kind == "world":
            return True
        if event.kind != "agent" or event.description.endswith(f"is {SLEEPING}"):
            return False
        cooldown = self._ticks(self.config.react_cooldown_minutes)
        return tick - self.considered.get(event.subject, -(10**9)) >= cooldown

    def can_talk_with(self, other: str, tick: int) -> bool:
        cooldown = self._ticks(self.config.conversation_cooldown_minutes)
        return tick - self.talked.get(other, -(10**9)) >= cooldown

    def _ticks(self, minutes: int) -> int:
        return self.clock.ticks(dt.timedelta(minutes=minutes))

    def hear(self, whisper: str) -> None:
        """An inner voice: the scenario or a user tells the agent something. It becomes a
        memory, and the rest of the day is re-planned with it in mind."""
        self.memory.observe(whisper)
        self.last_rating = -(10**9)  # rate it now, whatever the rating interval
        self.pending.replan.append(f"{self.persona.first_name} thinks: {whisper}")

    # -- think --------------------------------------------------------------------------------

    def wants_to_think(self, situation: Situation, action_ended: bool, my_turn: bool) -> bool:
        p = self.pending
        if action_ended or my_turn or p.look_back or p.sighting:
            return True
        if p.replan and self._can_replan(situation.now):
            return True
        if self.memory.unrated and self._rating_due(situation.tick):
            return True
        return self.reflection_due()

    def _can_replan(self, now: dt.datetime) -> bool:
        """Awake, with today's plan made: else the reasons wait for the morning's plan."""
        awake = self.persona.is_awake_at(now.hour * 60 + now.minute)
        return awake and self.plan is not None and self.plan.day == self.waking_day(now)

    def reflection_due(self) -> bool:
        return self.config.reflect and (
            self.memory.since_reflection >= self.config.reflection_threshold
        )

    def _rating_due(self, tick: int) -> bool:
        return tick - self.last_rating >= self._ticks(self.config.importance_every_minutes)

    async def think(
        self,
        model: LanguageModel,
        situation: Situation,
        *,
        action_ended: bool,
        talk: Conversation | None,
        others_busy: Callable[[str], bool],
    ) -> Decision:
        """One tick's thinking. `talk` is the conversation this agent is in, if any;
        `others_busy(name)` says whether another agent cannot be talked to now."""
        rating = None
        if self.memory.unrated and self._rating_due(situation.tick):
            # Rating what it saw goes on beside the rest: nothing below reads the ratings (the
            # sights are not memories until rated). They are given to the memory after the
            # rest, whichever answer came first, so memory ids do not depend on timing.
            self.last_rating = situation.tick
            rating = asyncio.ensure_future(rate_sights(self, model, situation))
        try:
            decision = await self._think(model, situation, action_ended, talk, others_busy)
        except BaseException:
            if rating is not None:
                rating.cancel()
            raise
        if rating is not None:
            self.memory.rate(*await rating)
        return decision

    async def _think(
        self,
        model: LanguageModel,
        situation: Situation,
        action_ended: bool,
        talk: Conversation | None,
        others_busy: Callable[[str], bool],
    ) -> Decision:
        decision = Decision()
        pending = self.pending
        if pending.look_back is not None:
            finished, pending.look_back = pending.look_back, None
            await look_back(self, model, situation, finished)
        if talk is not None:
            pending.sighting = None
            if talk.speaker == self.name:
                said = await speak(self, model, situation, talk)
                decision.line, decision.end_talk = said.utterance.strip(), said.end
            return decision
        if pending.sighting is not None and situation.status is not Status.ASLEEP:
            sighting, pending.sighting = pending.sighting, None
            decision = await self._react(model, situation, sighting, others_busy)
            if decision.talk_to:
                return decision
        if not self.config.plan:
            pending.replan = []  # an ablation: a fixed routine is never re-planned
        if pending.replan and self._can_replan(situation.now):
            reason, pending.replan = "; ".join(pending.replan), []
            self.plan = await plans.replan(self, model, situation, reason)
            self.tasks.clear()
            action_ended = True
        if action_ended:
            decision.action = await self.next_action(model, situation)
        if self.reflection_due():
            await reflect(self, model, situation)
        return decision

    async def _react(
        self,
        model: LanguageModel,
        situation: Situation,
        event: Event,
        others_busy: Callable[[str], bool],
    ) -> Decision:
        self.last_reaction = situation.tick
        other = event.subject if event.kind == "agent" else None
        if other is not None:
            self.considered[other] = situation.tick
            if others_busy(other) or not self.can_talk_with(other, situation.tick):
                other = None  # may still react to what they do, but not talk
        answer = await react(self, model, situation, event, other)
        if answer.talk and other is not None:
            self.purpose = (other, answer.reason.strip())  # for its lines (converse.speak)
            return Decision(talk_to=other, line=answer.opening.strip() or None)
        if answer.change_plans:
            self.pending.replan.append(answer.reason.strip() or event.description)
        return Decision()

    async def next_action(self, model: LanguageModel, situation: Situation) -> Action:
        now = situation.now
        if not self.persona.is_awake_at(now.hour * 60 + now.minute):
            self.tasks.clear()
            return self.sleep(situation)
        day = self.waking_day(now)
        if self.plan is None or self.plan.day != day:
            # What came up before the day was planned (a whisper in the night) shapes it.
            reasons, self.pending.replan = self.pending.replan, []
            self.plan = await plans.plan_day(self, model, situation, day, reasons)
            self.tasks.clear()
        while self.tasks and self.tasks[0].end <= situation.tick:
            self.tasks.popleft()  # the moment for it passed (a conversation ran long)
        if not self.tasks:
            block = self.plan.block_at(now)
            if block is None:  # after the last block, before bedtime
                return self.rest(situation)
            self.tasks.extend(await decompose(self, model, situation, self.plan, block))
        if not self.tasks:
            return self.rest(situation)
        task = self.tasks.popleft()
        action = Action(
            task.description, task.emoji, task.address, situation.tick, task.end, task.object_state
        )
        if situation.action is None or situation.action.description != action.description:
            self.memory.note(
                f"{self.name} is {action.description}",
                MemoryKind.OBSERVATION,
                self.config.own_action_importance,
            )
        return action

    def waking_day(self, now: dt.datetime) -> dt.date:
        wake, _ = plans.waking_span(self.persona)
        minute = now.hour * 60 + now.minute
        return now.date() if minute >= wake else now.date() - dt.timedelta(days=1)

    def sleep(self, situation: Situation) -> Action:
        now = situation.now
        wake = dt.datetime.combine(now.date(), self.persona.wake)
        if wake <= now:
            wake += dt.timedelta(days=1)
        end = max(situation.clock.tick_of(wake), situation.tick + 1)
        return Action(SLEEPING, "😴", self.bed, situation.tick, end, "being slept in")

    def is_sleep(self, action: Action) -> bool:
        return action.description == SLEEPING and action.address == self.bed

    def rest(self, situation: Situation) -> Action:
        end = situation.tick + situation.clock.ticks(dt.timedelta(minutes=15))
        return Action("resting at home", "🏠", self.home, situation.tick, end)

    def fallback_tasks(
        self, schema: type[TaskListBase], options: tuple[str, ...], activity: str
    ) -> TaskListBase:
        """Without a model: the activity happens at home, at the first thing there."""
        home = self.home.removeprefix(self.known.town.world + places.SEP)
        place = next((o for o in options if o.startswith(home + places.SEP)), options[0])
        task = {
            "minutes": 60,
            "description": activity[:60],
            "place": place,
            "emoji": "🙂",
        }
        return schema.model_validate({"tasks": [task]})

    # -- promises and conversations -----------------------------------------------------------

    def commit(self, promise: Commitment, situation: Situation) -> None:
        """Something agreed in a conversation: in today's plan if it is today, else kept for
        the day it is due."""
        hour, minute = map(int, promise.start.split(":"))
        try:
            day = dt.date.fromisoformat(promise.day)
        except ValueError:
            return
        if self.plan is not None and day == self.plan.day:
            at = hour * 60 + minute
            _, sleep = plans.waking_span(self.persona)
            if plans.minutes_since(self.plan.day, situation.now) < at < sleep:
                self.pending.replan.append(
                    f"{self.persona.first_name} agreed to {promise.activity} at {promise.start}"
                )
        self.pending.promises.append((promise.day, hour * 60 + minute, promise.activity))

    def promises_for(self, day: dt.date) -> list[tuple[str, str]]:
        return [(plans.clock(m), a) for d, m, a in self.pending.promises if d == day.isoformat()]

    def talked_with(self, people: list[str], tick: int, talk: Conversation) -> None:
        for person in people:
            if person != self.name:
                self.talked[person] = tick
        self.pending.look_back = talk
        self.purpose = None

    async def interview(
        self,
        model: LanguageModel,
        situation: Situation,
        question: str,
        remember: bool = False,
        touch: bool = True,
    ) -> str:
        return await interview(self, model, situation, question, remember, touch)

    # -- state ---------------------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        p = self.pending
        return {
            "plan": self.plan.get_state() if self.plan else None,
            "tasks": [t.to_dict() for t in self.tasks],
            "pending": {
                "sighting": p.sighting.to_dict() if p.sighting else None,
                "replan": list(p.replan),
                "look_back": p.look_back.get_state() if p.look_back else None,
                "promises": [list(x) for x in p.promises],
            },
            "relationships": dict(self.relationships),
            "considered": dict(self.considered),
            "talked": dict(self.talked),
            "recent": [list(k) for k in self.recent],
            "in_view": sorted(list(k) for k in self.in_view),
            "observations": self.observations,
            "last_rating": self.last_rating,
            "last_reaction": self.last_reaction,
            "sanity": self.sanity.get_state(),
            "purpose": list(self.purpose) if self.purpose else None,
            "known": list(self.known.sectors),
            "memory": self.memory.get_state(),
        }

    def set_state(self, data: dict[str, Any]) -> None:
        self.plan = plans.DayPlan.from_state(data["plan"]) if data["plan"] else None
        self.tasks = deque(Action(**t) for t in data["tasks"])
        p = data["pending"]
        self.pending = Pending(
            sighting=Event.from_dict(p["sighting"]) if p["sighting"] else None,
            replan=_reasons(p["replan"]),
            look_back=Conversation.from_state(p["look_back"]) if p["look_back"] else None,
            promises=[(d, m, a) for d, m, a in p["promises"]],
        )
        self.relationships = dict(data["relationships"])
        self.considered = dict(data["considered"])
        self.talked = dict(data["talked"])
        self.recent.clear()
        self.recent.extend((a, b) for a, b in data["recent"])
        self.in_view = {(a, b) for a, b in data["in_view"]}
        self.observations = data["observations"]
        self.last_rating = data["last_rating"]
        self.last_reaction = data["last_reaction"]
        # Older checkpoints have neither.
        self.sanity = Sanity.from_state(data.get("sanity"))
        purpose = data.get("purpose")
        self.purpose = (purpose[0], purpose[1]) if purpose else None
        for sector in data["known"]:
            self.known.learn(sector)
        self.memory.set_state(data["memory"])


def _reasons(saved: str | list[str] | None) -> list[str]:
    """Reasons to re-plan as a checkpoint holds them (older run files: one string or none)."""
    if saved is None:
        return []
    return [saved] if isinstance(saved, str) else list(saved)
