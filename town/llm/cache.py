"""Answers to deterministic requests (temperature 0), kept and served again: the same question
gets the same answer without asking the model. Bounded, least recently used out first.

A hit is marked `cached` and carries no tokens: nothing was spent on it.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

from town.llm.base import LanguageModel, Reply, Request


class Cache:
    def __init__(self, model: LanguageModel, size: int = 4096) -> None:
        if size < 1:
            raise ValueError(f"the cache needs room for at least one answer, not {size}")
        self.model = model
        self.size = size
        self.answers: OrderedDict[str, Reply] = OrderedDict()

    def __repr__(self) -> str:
        return f"Cache({self.model!r}, size={self.size})"

    async def complete(self, request: Request) -> Reply:
        if request.temperature != 0:
            return await self.model.complete(request)
        key = request.key()
        hit = self.answers.get(key)
        if hit is not None:
            self.answers.move_to_end(key)
            return dataclasses.replace(hit, cached=True, prompt_tokens=0, completion_tokens=0)
        reply = await self.model.complete(request)
        if not reply.fallback:
            self.answers[key] = reply
            if len(self.answers) > self.size:
                self.answers.popitem(last=False)
        return reply
