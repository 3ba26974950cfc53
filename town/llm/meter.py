"""Counts what the model is asked and answers, by purpose: requests, tokens, time, fallbacks."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, fields

from town.llm.base import LanguageModel, Reply, Request


@dataclass(slots=True)
class Usage:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallbacks: int = 0
    errors: int = 0
    seconds: float = 0.0

    def add(self, other: Usage) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Meter:
    def __init__(self, model: LanguageModel) -> None:
        self.model = model
        self.by_purpose: dict[str, Usage] = defaultdict(Usage)

    def __repr__(self) -> str:
        return f"Meter({self.model!r})"

    async def complete(self, request: Request) -> Reply:
        usage = self.by_purpose[request.purpose]
        usage.requests += 1
        started = time.perf_counter()
        try:
            reply = await self.model.complete(request)
        except BaseException:
            usage.errors += 1
            raise
        finally:
            usage.seconds += time.perf_counter() - started
        usage.prompt_tokens += reply.prompt_tokens
        usage.completion_tokens += reply.completion_tokens
        usage.fallbacks += reply.fallback
        return reply

    def total(self) -> Usage:
        total = Usage()
        for usage in self.by_purpose.values():
            total.add(usage)
        return total
