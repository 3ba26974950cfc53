"""A cap on requests in flight: every agent's request of a tick is issued at once, and the cap
keeps a backend from being flooded."""

from __future__ import annotations

import asyncio

from town.llm.base import LanguageModel, Reply, Request


class InFlightCap:
    def __init__(self, model: LanguageModel, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the cap on requests in flight must be at least 1, not {limit}")
        self.model = model
        self.limit = limit
        self.in_flight = 0
        self.peak = 0
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"InFlightCap({self.model!r}, limit={self.limit})"

    def _semaphore(self) -> asyncio.Semaphore:
        # A semaphore belongs to one event loop; the viewer and headless runs use different ones.
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._slots, self._loop = asyncio.Semaphore(self.limit), loop
        return self._slots

    async def complete(self, request: Request) -> Reply:
        async with self._semaphore():
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                return await self.model.complete(request)
            finally:
                self.in_flight -= 1
