"""Day plans: the schedule of one waking day in blocks, planned on waking (from yesterday's
memories and reflections), and re-planned from the present moment when something happens.

Minutes count from midnight of the day the agent woke, so a bedtime after midnight is a
minute past 1440 and a day plan never wraps round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from memory import MemoryKind
from town.agents.persona import Persona
from town.llm.base import LanguageModel
from town.mind import sanity
from town.mind.memories import bullet_list, bullets
from town.mind.prompts.schemas import (
    DayPlanAnswer,
    FirstDayPlanAnswer,
    ReplanAnswer,
    ScheduleEntry,
)
from town.mind.sanity import clock, waking_span

__all__ = ["Block", "DayPlan", "clock", "minutes_since", "plan_day", "replan", "waking_span"]

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation


@dataclass(frozen=True, slots=True)
class Block:
    start: int  # minutes from midnight of the plan's day
    end: int
    activity: str


@dataclass(frozen=True, slots=True)
class DayPlan:
    day: dt.date
    summary: str
    blocks: tuple[Block, ...]

    def block_at(self, moment: dt.datetime) -> Block | None:
        minute = minutes_since(self.day, moment)
        for block in self.blocks:
            if block.start <= minute < block.end:
                return block
        return None

    def moment(self, minute: int) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time()) + dt.timedelta(minutes=minute)

    def describe(self, since: int = 0) -> str:
        return "; ".join(f"{clock(b.start)} {b.activity}" for b in self.blocks if b.end > since)

    def replaced_from(self, minute: int, blocks: Iterable[Block]) -> DayPlan:
        """The plan up to `minute`, then `blocks`."""
        kept = [
            Block(b.start, min(b.end, minute), b.activity) for b in self.blocks if b.start < minute
        ]
        return DayPlan(
            self.day, self.summary, tuple([*(b for b in kept if b.end > b.start), *blocks])
        )

    def get_state(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "summary": self.summary,
            "blocks": [
                {"start": b.start, "end": b.end, "activity": b.activity} for b in self.blocks
            ],
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> DayPlan:
        return cls(
            dt.date.fromisoformat(data["day"]),
            data["summary"],
            tuple(Block(**b) for b in data["blocks"]),
        )


def minutes_since(day: dt.date, moment: dt.datetime) -> int:
    return int((moment - dt.datetime.combine(day, dt.time())).total_seconds() // 60)


LOOK_BACK = (
    'First, in one sentence, what happened yesterday that still matters (or "nothing yet").\n'
    "Then plan"
)


def fallback_plan(persona: Persona, first: bool = False) -> DayPlanAnswer | FirstDayPlanAnswer:
    """What an agent does when no model can plan its day: its routine."""
    routine = sanity.routine(persona)
    summary = f"{persona.first_name} has an ordinary day."
    schedule = [ScheduleEntry(start=clock(a), activity=act) for a, _, act in routine.blocks]
    if first:
        return FirstDayPlanAnswer(summary=summary, schedule=schedule)
    return DayPlanAnswer(yesterday="nothing yet", summary=summary, schedule=schedule)


async def plan_day(
    mind: Mind,
    model: LanguageModel,
    situation: Situation,
    day: dt.date,
    reasons: list[str] | None = None,
) -> DayPlan:
    """The day's plan; `reasons` are what came up since the last plan (a whisper at night)."""
    p, memory, config = mind.persona, mind.memory, mind.config
    wake, sleep = waking_span(p)
    if not config.plan:
        # An ablation: the day is a fixed routine, asked of no model, leaving no plan in memory.
        return DayPlan(day, "", tuple(Block(*b) for b in sanity.routine(p).blocks))
    recalled = memory.recall_many(
        [f"{p.name}'s plans for today", f"what happened to {p.first_name} yesterday"],
        situation.tick,
        config.retrieve_k // 2 or 1,
    )
    reflections = memory.stream.of_kind(MemoryKind.REFLECTION)[-3:]
    recalled += [r for r in reflections if r not in recalled]
    promises = mind.promises_for(day)
    memories = [m.text for m in recalled] + list(reasons or ())
    first = mind.plan is None  # no day of this run before it to look back on
    schema = FirstDayPlanAnswer if first else DayPlanAnswer
    answer: DayPlanAnswer | FirstDayPlanAnswer = await mind.ask(
        model,
        situation,
        "plan",
        schema,
        template="plan_day",
        facts={
            "look_back": not first,
            "wake": f"{p.wake:%H:%M}",
            "sleep": f"{p.sleep:%H:%M}",
            "occupation": p.occupation,
            "workplace": p.workplace.split(":")[0] if p.workplace else None,
            "home": mind.home_sector_name,
            "places": mind.known.names(),
            "date": day.isoformat(),
            "memories": memories,
            "commitments": promises,
        },
        fallback=lambda: fallback_plan(p, first),
        max_tokens=700,
        ask="Plan" if first else LOOK_BACK,
        routine="; ".join(f"{clock(a)} {act}" for a, _, act in sanity.routine(p).blocks),
        date=f"{day:%A %B %d, %Y}",
        wake=f"{p.wake:%H:%M}",
        sleep=f"{p.sleep:%H:%M}",
        memories=bullets(memories),
        commitments=_promised(promises),
        places=", ".join(mind.known.names()),
    )
    # The model's schedule made sensible (sanity.py), then what was promised for today.
    ctx = sanity.context(mind, day)
    schedule = [(e.start, e.activity) for e in answer.schedule]
    spans, items = sanity.repair_schedule(sanity.routine(p), schedule, wake, sleep, ctx)
    for start, activity in promises:
        spans = _inserted(spans, sanity.minute_of(start, wake), activity)
    summary = answer.summary.strip()
    yesterday = answer.yesterday.strip() if isinstance(answer, DayPlanAnswer) else ""
    pasted = [sanity.pasted(text, ctx) for text in (summary, yesterday)]
    mind.sanity.record(
        situation.tick,
        "plan",
        [
            *(("block", text, kinds) for text, kinds in items),
            ("summary", summary, ["persona"] if pasted[0] else []),
            *([("summary", yesterday, ["persona"] if pasted[1] else [])] if yesterday else []),
        ],
    )
    summary = f"{p.first_name} has an ordinary day." if pasted[0] else summary
    plan = DayPlan(day, summary, tuple(Block(*b) for b in spans))
    bedtime = situation.clock.tick_of(plan.moment(sleep))
    if yesterday.lower() not in ("", "nothing", "nothing yet") and not pasted[1]:
        memory.note(f"Looking back on yesterday: {yesterday}", MemoryKind.PLAN, 4)
    memory.note(
        f"{p.name}'s plan for {day:%A %B %d}: {plan.summary} ({plan.describe()})",
        MemoryKind.PLAN,
        5,
        expires=bedtime,
    )
    return plan


async def replan(mind: Mind, model: LanguageModel, situation: Situation, reason: str) -> DayPlan:
    """The rest of today, from now, in the light of `reason` (a whisper, an event, a chat)."""
    plan, p = mind.plan, mind.persona
    assert plan is not None, "replan needs a plan to change"
    _, sleep = waking_span(p)
    now = minutes_since(plan.day, situation.now)
    recalled = mind.memory.recall(reason, situation.tick, mind.config.retrieve_k // 2 or 1)
    answer = await mind.ask(
        model,
        situation,
        "plan",
        ReplanAnswer,
        template="replan",
        facts={
            "reason": reason,
            "now": clock(now),
            "sleep": f"{p.sleep:%H:%M}",
            "home": mind.home_sector_name,
            "places": mind.known.names(),
            "workplace": p.workplace.split(":")[0] if p.workplace else None,
            "plan": [(clock(b.start), b.activity) for b in plan.blocks if b.end > now],
        },
        fallback=lambda: ReplanAnswer(  # the plan as it was
            schedule=[
                ScheduleEntry(start=clock(max(b.start, now)), activity=b.activity)
                for b in plan.blocks
                if b.end > now
            ][:16]
            or [ScheduleEntry(start=clock(now), activity="rest at home")]
        ),
        max_tokens=500,
        time=clock(now),
        date=f"{situation.now:%A %B %d}",
        plan=plan.describe(since=now),
        reason=reason,
        memories=bullet_list(recalled),
        places=", ".join(mind.known.names()),
        sleep=f"{p.sleep:%H:%M}",
    )
    if now >= sleep:
        return plan
    # Checked as a day plan is; what fails keeps to the plan it changes.
    schedule = [(e.start, e.activity) for e in answer.schedule]
    rest = [(b.start, b.end, b.activity) for b in plan.blocks if b.end > now]
    spans, items = sanity.repair_schedule(
        sanity.routine(p), schedule, now, sleep, sanity.context(mind, plan.day), rest, replan=True
    )
    mind.sanity.record(situation.tick, "plan", (("block", t, k) for t, k in items))
    changed = plan.replaced_from(now, (Block(*b) for b in spans))
    mind.memory.note(
        f"{p.name} changed plans because {reason}: {changed.describe(since=now)}",
        MemoryKind.PLAN,
        5,
        expires=situation.clock.tick_of(plan.moment(sleep)),
    )
    return changed


def _inserted(spans: list[sanity.Span], at: int, activity: str) -> list[sanity.Span]:
    """`activity` from `at` until the block it falls in ends (a promise kept)."""
    out: list[sanity.Span] = []
    for start, end, old in spans:
        if start < at < end:
            out += [(start, at, old), (at, end, activity)]
        else:
            out.append((start, end, activity if start == at else old))
    return out


def _promised(promises: list[tuple[str, str]]) -> str:
    if not promises:
        return ""
    return "Promised for today: " + "; ".join(f"{s} {a}" for s, a in promises) + "\n"
