"""Interviews of a restored run, many at once, and the model's verdicts on their answers.

The interviews go through each agent's own mind (as `town interview` does) but concurrently,
under the stack's cap on requests in flight; nothing is remembered, so measuring a run does
not change it. The verdicts are requests of purpose "judge", metered and recorded like any.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from town.llm.base import LanguageModel, Request, messages
from town.mind.mind import Situation
from town.mind.prompts import render
from town.sim import Simulation

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Asker:
    """One event loop for a whole report: the stack's cap binds to the loop it first runs in."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def close(self) -> None:
        self.loop.close()

    def interviews(self, sim: Simulation, asked: Sequence[tuple[str, str]]) -> list[str]:
        """The answers to (agent, question) pairs, in order."""
        return self.run(_gather(*(_interview(sim, name, q) for name, q in asked)))

    def verdicts(
        self, model: LanguageModel, requests: Sequence[Request], schema: type[M]
    ) -> list[M]:
        replies = self.run(_gather(*(model.complete(r) for r in requests)))
        out = []
        for reply, request in zip(replies, requests, strict=True):
            value = reply.value
            if not isinstance(value, schema):
                fallback = request.fallback
                value = fallback() if fallback is not None else None
            if not isinstance(value, schema):
                raise TypeError(f"judge: expected {schema.__name__}, got {reply.text[:200]!r}")
            out.append(value)
        return out


async def _gather(*work: Coroutine[Any, Any, T]) -> list[T]:
    return list(await asyncio.gather(*work))


async def _interview(sim: Simulation, name: str, question: str) -> str:
    agent = sim.by_name[name]
    situation = Situation(
        sim.tick, sim.clock, sim.town, agent.state.tile, agent.state.action, agent.state.status
    )
    return await agent.mind.interview(sim.meter, situation, question, remember=False)


def judge_request(
    template: str,
    schema: type[M],
    *,
    agent: str,
    tick: int,
    facts: dict[str, Any],
    fallback: Callable[[], M],
    max_tokens: int = 120,
    **values: object,
) -> Request:
    """A verdict asked of the model: the judge's own system message, not an agent's."""
    return Request(
        messages=messages(render("judge_system"), render(template, **values)),
        purpose="judge",
        schema=schema,
        agent=agent,
        tick=tick,
        facts=facts,
        fallback=fallback,
        max_tokens=max_tokens,
    )
