"""Answers to deterministic requests (temperature 0), kept and served again: the same question
gets the same answer without asking the model. Bounded, least recently used out first.

A hit is marked `cached` and carries no tokens: nothing was spent on it.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from town.llm.base import LanguageModel, Reply, Request

# A recorded call: its key, its answer (its value left out), the value as JSON, whether it hit.
Primer = tuple[str, Reply, Any, bool]


class Cache:
    def __init__(self, model: LanguageModel, size: int = 4096) -> None:
        if size < 1:
            raise ValueError(f"the cache needs room for at least one answer, not {size}")
        self.model = model
        self.size = size
        self.answers: OrderedDict[str, Reply] = OrderedDict()
        self.unchecked: dict[str, Any] = {}  # primed answers' values, as JSON, until first used

    def __repr__(self) -> str:
        return f"Cache({self.model!r}, size={self.size})"

    async def complete(self, request: Request) -> Reply:
        if request.temperature != 0:
            return await self.model.complete(request)
        key = request.key()
        hit = self.answers.get(key)
        if hit is not None:
            raw = self.unchecked.pop(key, None)
            if raw is not None and request.schema is not None:  # primed: now its shape is known
                hit = dataclasses.replace(hit, value=request.schema.model_validate(raw))
                self.answers[key] = hit
            self.answers.move_to_end(key)
            return dataclasses.replace(hit, cached=True, prompt_tokens=0, completion_tokens=0)
        reply = await self.model.complete(request)
        if not reply.fallback:
            self._keep(key, reply)
        return reply

    def _keep(self, key: str, reply: Reply) -> None:
        self.answers[key] = reply
        if len(self.answers) > self.size:
            old, _ = self.answers.popitem(last=False)
            self.unchecked.pop(old, None)

    def prime(self, calls: Iterable[Primer]) -> None:
        """Put the cache in the state a recorded run's had: its calls in the order the agents
        got them, as (key, answer, value as JSON, hit). A resumed run then gets from its cache
        what the uninterrupted run got from its own."""
        for key, reply, value, hit in calls:
            if hit:
                if key in self.answers:
                    self.answers.move_to_end(key)
            elif not reply.fallback:
                self._keep(key, reply)
                if value is not None:
                    self.unchecked[key] = value
