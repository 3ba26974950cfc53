"""Decomposition: the next hour or so of a schedule block, split into 5-15 minute tasks, each
at a place chosen from the agent's spatial memory, all in one request."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from memory import MemoryKind
from town.agents.state import Action
from town.llm.base import LanguageModel
from town.mind import sanity
from town.mind.plan import Block, DayPlan, minutes_since
from town.mind.prompts.schemas import MAX_TASKS, TaskBase, task_list
from town.mind.wording import progressive
from town.world import places

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation


async def decompose(
    mind: Mind, model: LanguageModel, situation: Situation, plan: DayPlan, block: Block
) -> list[Action]:
    """Tasks from now until the block ends or `decompose_minutes` have passed."""
    config, clock, town = mind.config, situation.clock, situation.town
    block_end = clock.tick_of(plan.moment(block.end))
    until = min(
        block_end, situation.tick + clock.ticks(dt.timedelta(minutes=config.decompose_minutes))
    )
    until = max(until, situation.tick + 1)
    work = [town.resolve(mind.persona.workplace)] if mind.persona.workplace else []
    sectors = mind.known.relevant(block.activity, [mind.home, *work])
    options = mind.known.options(sectors)
    schema = task_list(options)
    world = town.world + places.SEP
    answer = await mind.ask(
        model,
        situation,
        "act",
        schema,
        template="decompose",
        facts={
            "activity": block.activity,
            "options": options,
            "minutes": max(1, (until - situation.tick) * clock.seconds_per_tick // 60),
            "home": mind.home.removeprefix(world),
            "workplace": town.resolve(mind.persona.workplace).removeprefix(world)
            if mind.persona.workplace
            else None,
        },
        fallback=lambda: mind.fallback_tasks(schema, options, block.activity),
        max_tokens=80 * MAX_TASKS + 40,
        summary=plan.summary,
        time=f"{situation.now:%H:%M}",
        until=f"{clock.at(until):%H:%M}",
        activity=block.activity,
        here=town.address_at(situation.tile).removeprefix(world),
        known=mind.known.outline(sectors),
        min_minutes=config.task_minutes_min,
        max_minutes=config.task_minutes_max,
    )
    tasks = _sane(mind, situation, plan, block, answer.tasks, options)
    actions = _timed(tasks, situation.tick, until, town.resolve, mind.persona.name)
    steps = "; ".join(f"{a.description} ({clock.at(a.start):%H:%M})" for a in actions)
    mind.memory.note(
        f"{mind.persona.name} plans to: {steps}", MemoryKind.PLAN, 3, expires=block_end
    )
    return actions


def _sane(
    mind: Mind,
    situation: Situation,
    plan: DayPlan,
    block: Block,
    tasks: list[TaskBase],
    options: list[str],
) -> list[TaskBase]:
    """The tasks, each that fails a check (sanity.task_problems: the persona pasted back, an
    address, another day's event, a habit) done as the block's activity, at the place that
    names if it names one (else where the task was); or as the routine's, if the block's
    activity fails too. A task done elsewhere than the place it names ("reading in the
    library", in bed) fails too, and is done there. Counted in mind.sanity."""
    ctx = sanity.context(mind, situation.now.date())
    instead = block.activity
    if sanity.task_problems(instead, ctx):
        minute = minutes_since(plan.day, situation.now)
        instead = sanity.routine(mind.persona).activity_at(minute)
    prefer = [mind.persona.workplace or "", mind.home_sector_name]
    place = (named_places(instead, options, prefer) or [None])[0]
    said, sane = [], []
    for task in tasks:
        kinds = sanity.task_problems(task.description, ctx)
        update = {}
        if kinds:
            update = {"description": instead[:60], "place": place or task.place}
        elif (named := named_places(task.description, options, prefer)) and task.place not in named:
            kinds, update = ["elsewhere"], {"place": named[0]}
        said.append(("task", task.description, kinds))
        sane.append(task.model_copy(update=update) if update else task)
    mind.sanity.record(situation.tick, "act", said)
    return sane


def named_places(text: str, options: list[str], prefer: list[str]) -> list[str]:
    """The options in the place a text names most closely ("work at Oak Hill College": its
    rooms; "reading in the library": the library's objects), those of `prefer` (the agent's
    workplace, its home) first; none if it names no place. (Klaus, his answers garbage,
    stayed in bed all morning "working at Oak Hill College".)"""
    low = text.lower()
    scored: dict[str, int] = {}
    for option in options:
        area, room = option.lower().split(places.SEP)[:2]
        rest = low.replace(area, " ")  # (Hobbs Cafe's "cafe" is no room named)
        score = 2 * (area in low) + bool(re.search(rf"\b{re.escape(room)}\b", rest))
        if score:
            scored[option] = score
    best = max(scored.values(), default=0)
    named = [o for o, score in scored.items() if score == best]
    return sorted(named, key=lambda o: not any(p and o.startswith(p) for p in prefer))


def _timed(
    tasks: list[TaskBase], start: int, until: int, resolve: Callable[[str], str], name: str
) -> list[Action]:
    """The tasks laid end to end from `start`, their lengths scaled to fill until `until`,
    each described as what the agent "is" doing (wording.progressive). The object used is
    "in use: " what is done with it (a model's own states were garbage)."""
    minutes = [min(max(t.minutes, 1), 90) for t in tasks]  # models miscount
    total = sum(minutes)
    span = until - start
    actions, at, used = [], start, 0
    for task, length in zip(tasks, minutes, strict=True):
        used += length
        end = start + round(span * used / total)
        if end <= at:
            continue
        description = progressive(task.description, name)
        actions.append(
            Action(
                description=description,
                emoji=task.emoji.strip() or "🙂",
                address=resolve(task.place),
                start=at,
                end=end,
                object_state=f"in use: {description}"[:40],
            )
        )
        at = end
    return actions
