"""An agent's mind: what it perceives, its day plan, and how it picks its next action.

The mind only reads the world during `think`; every change it decides is returned as an
Action and applied by the simulation in a fixed order, so concurrent thinking stays
deterministic.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from typing import Any

from town.agents.state import Action
from town.clock import Clock
from town.config import TownConfig
from town.llm.base import LanguageModel, Request
from town.mind import plan as plans
from town.mind.prompts import conversation
from town.mind.prompts.schemas import DayPlanAnswer, PlaceChoiceBase, place_choice
from town.mind.spatial import KnownPlaces
from town.scenario import AgentSpec
from town.world import places
from town.world.events import Event
from town.world.town import Tile, Town

SLEEPING = "sleeping"


@dataclass(frozen=True, slots=True)
class Situation:
    """What an agent can know when it thinks: the moment and where it stands."""

    tick: int
    clock: Clock
    town: Town
    tile: Tile

    @property
    def now(self) -> dt.datetime:
        return self.clock.at(self.tick)


class Mind:
    def __init__(
        self,
        spec: AgentSpec,
        known: KnownPlaces,
        home: str,
        bed: str,
        config: TownConfig,
    ) -> None:
        self.persona = spec
        self.known = known
        self.home = home  # full address of the home sector or the agent's own room
        self.bed = bed  # full address of the bed it sleeps in
        self.config = config
        self.plan: plans.DayPlan | None = None
        self.whispers: list[str] = []
        self.recent: deque[tuple[str, str]] = deque(maxlen=max(config.retention, 1))
        self.in_view: set[tuple[str, str]] = set()
        self.observations = 0

    # -- perceive -----------------------------------------------------------------------------

    def perceive(self, events: list[Event]) -> list[Event]:
        """Keep what is new: not in view a tick ago, nor among the last few new things
        (retention). Something that goes on in plain sight is perceived once."""
        fresh = []
        for event in events:
            if event.key not in self.in_view and event.key not in self.recent:
                self.recent.append(event.key)
                fresh.append(event)
        self.in_view = {event.key for event in events}
        self.observations += len(fresh)
        return fresh

    def hear(self, whisper: str) -> None:
        """An inner voice: the scenario or a user tells the agent something."""
        self.whispers.append(whisper)

    # -- think --------------------------------------------------------------------------------

    async def next_action(self, model: LanguageModel, situation: Situation) -> Action:
        now = situation.now
        if not self.persona.is_awake_at(now.hour * 60 + now.minute):
            return self.sleep(situation)
        day = self.waking_day(now)
        if self.plan is None or self.plan.day != day:
            self.plan = await self.plan_day(model, situation, day)
        block = self.plan.block_at(now)
        if block is None:  # past the last block but not yet bedtime: rest at home
            return self.rest(situation)
        until = situation.clock.tick_of(self.plan.moment(block.end))
        return await self.choose_place(model, situation, block.activity, until)

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

    async def plan_day(
        self, model: LanguageModel, situation: Situation, day: dt.date
    ) -> plans.DayPlan:
        p = self.persona
        recent = ""
        if self.whispers:
            recent = "On their mind: " + " ".join(self.whispers[-5:]) + "\n"
        request = Request(
            messages=conversation(
                "plan_day",
                p.name,
                persona=p.summary(),
                date=f"{day:%A %B %d, %Y}",
                name=p.name,
                first_name=p.first_name,
                wake=f"{p.wake:%H:%M}",
                sleep=f"{p.sleep:%H:%M}",
                recent=recent,
                places=", ".join(self.known.names()),
            ),
            purpose="plan",
            schema=DayPlanAnswer,
            agent=p.name,
            tick=situation.tick,
            facts={
                "first_name": p.first_name,
                "wake": f"{p.wake:%H:%M}",
                "sleep": f"{p.sleep:%H:%M}",
                "occupation": p.occupation,
                "workplace": places.split(p.workplace)[0] if p.workplace else None,
                "home": places.split(self.home)[1],
                "places": self.known.names(),
                "date": day.isoformat(),
            },
            fallback=lambda: plans.fallback_plan(p),
            max_tokens=600,
        )
        reply = await model.complete(request)
        answer = reply.value if isinstance(reply.value, DayPlanAnswer) else plans.fallback_plan(p)
        return plans.from_answer(answer, p, day)

    async def choose_place(
        self, model: LanguageModel, situation: Situation, activity: str, until: int
    ) -> Action:
        p, town = self.persona, situation.town
        options = self.known.options()
        schema = place_choice(options)
        world = town.world + places.SEP
        request = Request(
            messages=conversation(
                "choose_place",
                p.name,
                persona=p.summary(),
                time=f"{situation.now:%H:%M}",
                name=p.name,
                first_name=p.first_name,
                activity=activity,
                until=f"{situation.clock.at(until):%H:%M}",
                here=town.address_at(situation.tile).removeprefix(world),
                known=self.known.outline(),
            ),
            purpose="act",
            schema=schema,
            agent=p.name,
            tick=situation.tick,
            facts={
                "activity": activity,
                "options": options,
                "first_name": p.first_name,
                "home": self.home.removeprefix(world),
                "workplace": town.resolve(p.workplace).removeprefix(world) if p.workplace else None,
            },
            fallback=lambda: self.fallback_choice(schema, activity),
            max_tokens=120,
        )
        reply = await model.complete(request)
        choice = reply.value
        if not isinstance(choice, PlaceChoiceBase):
            raise TypeError(f"the model answered an act request without a place: {reply.text!r}")
        return Action(
            description=choice.description.strip(),
            emoji=choice.emoji.strip() or "🙂",
            address=town.resolve(choice.place),
            start=situation.tick,
            end=max(until, situation.tick + 1),
            object_state=choice.object_state.strip(),
        )

    def fallback_choice(self, schema: type[PlaceChoiceBase], activity: str) -> PlaceChoiceBase:
        """Without a model: the activity happens at home, at the first thing there."""
        world = self.known.town.world + places.SEP
        home = self.home.removeprefix(world)
        options = self.known.options()
        place = next((o for o in options if o.startswith(home + places.SEP)), options[0])
        return schema(place=place, description=activity[:80], emoji="🙂", object_state="in use")

    # -- state ---------------------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        return {
            "plan": self.plan.get_state() if self.plan else None,
            "whispers": list(self.whispers),
            "recent": [list(k) for k in self.recent],
            "in_view": sorted(list(k) for k in self.in_view),
            "observations": self.observations,
            "known": list(self.known.sectors),
        }

    def set_state(self, data: dict[str, Any]) -> None:
        self.plan = plans.DayPlan.from_state(data["plan"]) if data["plan"] else None
        self.whispers = list(data["whispers"])
        self.recent.clear()
        self.recent.extend((a, b) for a, b in data["recent"])
        self.in_view = {(a, b) for a, b in data["in_view"]}
        self.observations = data["observations"]
        for sector in data["known"]:
            self.known.learn(sector)
