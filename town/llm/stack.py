"""The wrappers around a backend, composed in the one order that works (outermost first):

    Meter(Recorder(Fallback(Cache(Retry(InFlightCap(Timeout(backend)))))))

- the recorder is outside the fallback and the cache, so it records what the agent received;
- the cache is outside the retry: a hit never waits;
- the retry is outside the cap, so a request waiting out a Retry-After holds no slot;
- the timeout is inside the cap: it times the request, not its wait for a slot.

A re-simulation replaces all of it with Meter(Replayer(recorded calls)).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from dataclasses import dataclass

from town.llm.base import LanguageModel, Reply, Request
from town.llm.cache import Cache
from town.llm.fallback import Fallback
from town.llm.limits import InFlightCap
from town.llm.meter import Counters, Meter
from town.llm.openai_backend import OpenAIBackend
from town.llm.recorder import ModelCall, Observer, Recorder, Replayer
from town.llm.retry import Retry, Sleep
from town.llm.timeout import Timeout


@dataclass(slots=True)
class Stack:
    model: LanguageModel  # the outermost wrapper: what the simulation asks
    meter: Meter  # (the same object as `model`)
    cap: InFlightCap | None
    recorder: Recorder | None  # set `recorder.observer` to receive every ModelCall
    backend: LanguageModel
    description: str = ""  # the backend, for people: never the key
    model_name: str = ""
    cache: Cache | None = None  # (a resumed run primes it with the recorded answers)

    async def complete(self, request: Request) -> Reply:
        """A stack is a model too: it answers through its outermost wrapper."""
        return await self.model.complete(request)


def compose(
    backend: LanguageModel,
    *,
    max_in_flight: int = 8,
    timeout: float = 60.0,
    attempts: int = 4,
    cache_size: int = 4096,
    counters: Counters | None = None,
    observer: Observer | None = None,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
    description: str = "",
    model_name: str = "",
) -> Stack:
    """The full stack around `backend`. Its wrappers and the backend count into one Counters
    (by default an OpenAI backend's own)."""
    if counters is None:
        counters = backend.counters if isinstance(backend, OpenAIBackend) else Counters()
    cap = InFlightCap(Timeout(backend, timeout), max_in_flight)
    retry = Retry(cap, attempts=attempts, counters=counters, sleep=sleep, rng=rng)
    cache = Cache(retry, cache_size)
    recorder = Recorder(Fallback(cache), observer)
    meter = Meter(recorder, counters)
    return Stack(meter, meter, cap, recorder, backend, description, model_name, cache)


def replay(calls: Iterable[ModelCall], counters: Counters | None = None) -> Stack:
    """A stack that answers from a recorded run, with no model."""
    replayer = Replayer(calls)
    meter = Meter(replayer, counters)
    return Stack(meter, meter, None, None, replayer, "replay of a recorded run", "replay")
