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
from town.mind.memories import bullet_list, bullets
from town.mind.prompts.schemas import DayPlanAnswer, ReplanAnswer, ScheduleEntry

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation

DAY = 24 * 60


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


def clock(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def minutes_since(day: dt.date, moment: dt.datetime) -> int:
    return int((moment - dt.datetime.combine(day, dt.time())).total_seconds() // 60)


def waking_span(persona: Persona) -> tuple[int, int]:
    """Wake and bedtime as minutes of the waking day (bedtime may pass 1440)."""
    wake = persona.wake.hour * 60 + persona.wake.minute
    sleep = persona.sleep.hour * 60 + persona.sleep.minute
    return wake, sleep if sleep > wake else sleep + DAY


def blocks_from(entries: Iterable[ScheduleEntry], start: int, end: int, wake: int) -> list[Block]:
    """Blocks from a model's schedule: sorted, kept within [start, end), each lasting until
    the next begins; entries before waking are taken to be after midnight."""
    starts: dict[int, str] = {}
    for entry in entries:
        hour, minute = map(int, entry.start.split(":"))
        at = hour * 60 + minute
        if at < wake:
            at += DAY
        if start <= at < end:
            starts.setdefault(at, entry.activity.strip())
    if start not in starts:
        first = min(starts, default=None)
        starts[start] = starts.pop(first) if first is not None else "go about the day"
    times = sorted(starts)
    return [Block(t, e, starts[t]) for t, e in zip(times, [*times[1:], end], strict=True) if e > t]


def fallback_plan(persona: Persona) -> DayPlanAnswer:
    """What an agent does when no model can plan its day: its job, or its home."""
    wake, sleep = waking_span(persona)
    entries = [(wake, "get up and get ready for the day")]
    if persona.workplace:
        entries += [
            (max(wake + 60, 9 * 60), f"work at {persona.workplace.split(':')[0]}"),
            (max(wake + 120, 17 * 60), "go home and rest"),
        ]
    else:
        entries.append((wake + 60, "spend the day at home"))
    schedule = [ScheduleEntry(start=clock(m), activity=a) for m, a in entries if m < sleep]
    return DayPlanAnswer(
        yesterday="nothing yet",
        summary=f"{persona.first_name} has an ordinary day.",
        schedule=schedule,
    )


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
        routine = fallback_plan(p)
        return DayPlan(day, "", tuple(blocks_from(routine.schedule, wake, sleep, wake)))
    recalled = memory.recall_many(
        [f"{p.name}'s plans for today", f"what happened to {p.first_name} yesterday"],
        situation.tick,
        config.retrieve_k // 2 or 1,
    )
    reflections = memory.stream.of_kind(MemoryKind.REFLECTION)[-3:]
    recalled += [r for r in reflections if r not in recalled]
    promises = mind.promises_for(day)
    memories = [m.text for m in recalled] + list(reasons or ())
    answer = await mind.ask(
        model,
        situation,
        "plan",
        DayPlanAnswer,
        template="plan_day",
        facts={
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
        fallback=lambda: fallback_plan(p),
        max_tokens=700,
        date=f"{day:%A %B %d, %Y}",
        wake=f"{p.wake:%H:%M}",
        sleep=f"{p.sleep:%H:%M}",
        memories=bullets(memories),
        commitments=_promised(promises),
        places=", ".join(mind.known.names()),
    )
    entries = [*(ScheduleEntry(start=s, activity=a) for s, a in promises), *answer.schedule]
    plan = DayPlan(day, answer.summary.strip(), tuple(blocks_from(entries, wake, sleep, wake)))
    bedtime = situation.clock.tick_of(plan.moment(sleep))
    yesterday = answer.yesterday.strip()
    if yesterday and yesterday.lower() not in ("nothing", "nothing yet"):
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
    wake, sleep = waking_span(p)
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
        fallback=lambda: ReplanAnswer(
            schedule=[
                ScheduleEntry(start=clock(now), activity=b.activity)
                for b in plan.blocks
                if b.start <= now < b.end
            ]
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
    changed = plan.replaced_from(now, blocks_from(answer.schedule, now, sleep, wake))
    mind.memory.note(
        f"{p.name} changed plans because {reason}: {changed.describe(since=now)}",
        MemoryKind.PLAN,
        5,
        expires=situation.clock.tick_of(plan.moment(sleep)),
    )
    return changed


def _promised(promises: list[tuple[str, str]]) -> str:
    if not promises:
        return ""
    return "Promised for today: " + "; ".join(f"{s} {a}" for s, a in promises) + "\n"
