"""A day plan: the schedule of one waking day, in blocks of activities.

Minutes count from midnight of the day the agent woke, so a bedtime after midnight is a
minute past 1440 and a day plan never wraps round.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from town.agents.persona import Persona
from town.mind.prompts.schemas import DayPlanAnswer, ScheduleEntry

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

    def describe(self) -> str:
        return "; ".join(f"{clock(b.start)} {b.activity}" for b in self.blocks)

    def get_state(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "summary": self.summary,
            "blocks": [asdict(b) for b in self.blocks],
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


def from_answer(answer: DayPlanAnswer, persona: Persona, day: dt.date) -> DayPlan:
    """Blocks from a model's schedule: sorted, kept within waking hours, each lasting until the
    next begins. Entries before waking are taken to be after midnight."""
    wake, sleep = waking_span(persona)
    starts: dict[int, str] = {}
    for entry in answer.schedule:
        hour, minute = map(int, entry.start.split(":"))
        at = hour * 60 + minute
        if at < wake:
            at += DAY
        if at < sleep:
            starts.setdefault(at, entry.activity.strip())
    starts.setdefault(wake, "get up and get ready for the day")
    times = sorted(starts)
    ends = [*times[1:], sleep]
    blocks = tuple(Block(t, e, starts[t]) for t, e in zip(times, ends, strict=True) if e > t)
    return DayPlan(day, answer.summary.strip(), blocks)


def fallback_plan(persona: Persona) -> DayPlanAnswer:
    """What an agent does when no model can plan its day: its job, or its home."""
    wake, sleep = waking_span(persona)
    entries = [(wake, "get up and get ready for the day")]
    if persona.workplace:
        entries += [
            (max(wake + 60, 9 * 60), f"work at {persona.workplace}"),
            (max(wake + 120, 17 * 60), "go home and rest"),
        ]
    else:
        entries.append((wake + 60, "spend the day at home"))
    schedule = [ScheduleEntry(start=clock(m), activity=a) for m, a in entries if m < sleep]
    return DayPlanAnswer(summary=f"{persona.first_name} has an ordinary day.", schedule=schedule)
