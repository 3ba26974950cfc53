"""Retry transient failures (429, 5xx, timeouts, lost connections) with exponential backoff and
full jitter, waiting at least as long as the server's Retry-After asks (up to a cap).

It sits outside the cap on requests in flight, so a request that waits out a Retry-After does
not hold a slot. Every transient failure is counted here, by kind, and so is every attempt and
every retry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import random
from collections.abc import Awaitable, Callable

from town.llm.base import LanguageModel, Reply, Request
from town.llm.errors import TransientError
from town.llm.meter import Counters

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]


class Retry:
    def __init__(
        self,
        model: LanguageModel,
        *,
        attempts: int = 4,
        base: float = 0.5,
        cap: float = 20.0,
        max_wait: float = 60.0,
        counters: Counters | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        self.model = model
        self.attempts = attempts
        self.base = base  # the first backoff window, seconds; it doubles with each retry
        self.cap = cap  # the largest backoff window
        self.max_wait = max_wait  # the longest wait, whatever Retry-After says
        self.counters = counters or Counters()
        self.sleep = sleep
        self.rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"Retry({self.model!r}, attempts={self.attempts})"

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `attempt` (0 for the first retry)."""
        jitter = self.rng.uniform(0, min(self.cap, self.base * 2**attempt))
        return min(max(jitter, retry_after or 0.0), self.max_wait)

    async def complete(self, request: Request) -> Reply:
        for attempt in range(self.attempts):
            self.counters.count(request.purpose, "attempts")
            try:
                return await self.model.complete(request)
            except TransientError as err:
                self.counters.count(request.purpose, err.counter)
                if attempt + 1 == self.attempts:
                    raise
                wait = self.delay(attempt, err.retry_after)
                self.counters.count(request.purpose, "retries")
                log.info(
                    "%s request of %s: %s; retrying in %.2f s", request.purpose, request.agent,
                    err, wait,
                )  # fmt: skip
                await self.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())
