"""Interviews of a restored run, many at once, and the model's verdicts on their answers.

The interviews go through each agent's own mind (as `town interview` does) but concurrently,
under the stack's cap on requests in flight; nothing is remembered, so measuring a run does
not change it. The verdicts are requests of purpose "judge", metered and recorded like any.

A small model judging its own agents says yes to almost anything, a JSON dump or a story about a
bear included; so what is plainly no answer is marked by rule first (`screen`), and only real
answers are put to the judge.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from town.llm.base import LanguageModel, Request, messages
from town.mind.mind import Situation
from town.mind.prompts import render
from town.sim import Simulation

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# What `screen` finds instead of an answer.
JSON_DUMP, PERSONA, OFF_QUESTION = "JSON dump", "persona pasted back", "off the question"
# The labels of Persona.summary(), which opens every interview prompt: a small model echoes it.
PERSONA_LABELS = ("Name:", "Innate traits:", "Occupation:", "Background:", "Currently:")
# Words a question and any answer share without being about anything.
COMMON = frozenset({
    "about", "also", "been", "could", "does", "from", "have", "hear", "heard", "just", "know",
    "knew", "like", "really", "some", "tell", "that", "their", "them", "then", "there", "these",
    "they", "think", "this", "those", "what", "when", "where", "which", "will", "with", "would",
    "your", "yours",
})  # fmt: skip


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


def screen(answer: str, persona: str, topic: Sequence[str] = (), name: str = "") -> str:
    """Why `answer` is no answer to judge ("" for a real one): JSON, the persona's own text, or
    (given the `topic`: a question and the words it is about) not one word on the topic but
    the speaker's own `name`. Lenient on purpose: it only spares the judge what it cannot
    judge; whatever shares a word with the topic is still put to it."""
    text = answer.strip().removeprefix("```json").removeprefix("```").lstrip()
    if text.startswith(("{", "[")):
        return JSON_DUMP
    if sum(label in answer for label in PERSONA_LABELS) >= 2 or _copied(answer, persona):
        return PERSONA
    if topic and not _words(answer) & (_words(" ".join(topic)) - _words(name)):
        return OFF_QUESTION
    return ""


def _words(text: str) -> set[str]:
    """Its words of four letters or more, but the common ones, by their first four letters
    (so that 'parties' meets 'party')."""
    return {w[:4] for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in COMMON}


def _copied(answer: str, source: str, n: int = 6) -> bool:
    """Whether at least half of the answer's runs of `n` words are found word for word in
    `source`."""
    words, source = answer.lower().split(), " ".join(source.lower().split())
    runs = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return bool(runs) and 2 * sum(r in source for r in runs) >= len(runs)


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
