"""A limit on how long one request may take: past it the request is abandoned and fails as a
transient `ModelTimeout` (which the retry wrapper counts and retries)."""

from __future__ import annotations

import asyncio

from town.llm.base import LanguageModel, Reply, Request
from town.llm.errors import ModelTimeout


class Timeout:
    def __init__(self, model: LanguageModel, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"the request timeout must be positive, not {seconds}")
        self.model = model
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"Timeout({self.model!r}, seconds={self.seconds})"

    async def complete(self, request: Request) -> Reply:
        try:
            return await asyncio.wait_for(self.model.complete(request), self.seconds)
        except TimeoutError:
            raise ModelTimeout(f"no answer within {self.seconds:g} s") from None
