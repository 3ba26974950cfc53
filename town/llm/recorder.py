"""Every request and the answer the agent got, handed to an observer (the run file stores
them); and the replayer that serves those answers again, so a run can be re-simulated with no
model at all.

The recorder sits outside the fallback and the cache, so what it records is exactly what the
agent received, fallbacks and cache hits included: that is what makes a replay exact.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from town.llm.base import LanguageModel, Reply, Request, json_schema
from town.llm.errors import ModelError


@dataclass(slots=True)
class ModelCall:
    """One request and its answer, as plain JSON-able data (never the API key)."""

    agent: str | None
    tick: int | None
    purpose: str
    key: str  # Request.key(): what was asked, whoever asked it
    messages: list[dict[str, str]]
    schema_name: str | None
    schema: dict[str, Any] | None
    text: str
    value: dict[str, Any] | None  # the validated answer, as JSON data
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    fallback: bool = False
    cached: bool = False
    error: str | None = None  # the failure's class name, when there was one
    model: str = ""

    def to_json(self) -> dict[str, Any]:
        """Its fields as a dict for json.dumps (shallow: asdict's deep copy costs more than
        recording everything else)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelCall:
        return cls(**data)


Observer = Callable[[ModelCall], None]


class Recorder:
    def __init__(self, model: LanguageModel, observer: Observer | None = None) -> None:
        self.model = model
        self.observer = observer  # may be set later, once the run file exists

    def __repr__(self) -> str:
        return f"Recorder({self.model!r})"

    async def complete(self, request: Request) -> Reply:
        started = time.perf_counter()
        try:
            reply = await self.model.complete(request)
        except Exception as err:
            self._record(request, Reply("", error=type(err).__name__), started)
            raise
        self._record(request, reply, started)
        return reply

    def _record(self, request: Request, reply: Reply, started: float) -> None:
        if self.observer is None:
            return
        schema = request.schema
        self.observer(
            ModelCall(
                agent=request.agent,
                tick=request.tick,
                purpose=request.purpose,
                key=request.key(),
                messages=[dict(m) for m in request.messages],
                schema_name=schema.__name__ if schema else None,
                schema=json_schema(schema) if schema else None,
                text=reply.text,
                value=reply.value.model_dump(mode="json") if reply.value is not None else None,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                seconds=time.perf_counter() - started,
                fallback=reply.fallback,
                cached=reply.cached,
                error=reply.error,
                model=reply.model,
            )
        )


class ReplayMiss(LookupError):
    """A re-simulated request that was not asked in the recorded run: the run has diverged
    (different code, prompts or seed)."""


class ReplayedFailure(ModelError):
    """A request that failed in the recorded run (and had no fallback) fails again."""


class Replayer:
    """Serves recorded answers: for each agent, purpose and request, in the order they were
    recorded, so an agent that asks the same thing twice gets its two answers in turn."""

    def __init__(self, calls: Iterable[ModelCall]) -> None:
        self.queues: dict[tuple[str | None, str, str], deque[ModelCall]] = {}
        for call in calls:
            self.queues.setdefault((call.agent, call.purpose, call.key), deque()).append(call)
        self.misses = 0
        # A resumed run: a thought on its way when the run stopped was recorded only in part.
        # What the record lacks of a thought that lands after tick `hold_after` (the record's
        # last) waits for the live model (`go_live`), then goes to it. Else a miss is a miss.
        # Where the world did not wait, `landing(agent, asked)` says when the decision of an
        # agent that began to think at `asked` landed, if the record holds it (None if not).
        self.hold_after: int | None = None
        self.landing: Callable[[str, int], int | None] | None = None
        self.then: LanguageModel | None = None
        self._live: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"Replayer({self.left} calls left)"

    def go_live(self, model: LanguageModel) -> None:
        """From now on, what the record lacks goes to `model` (see `hold_after`)."""
        self.then = model
        if self._live is not None:
            self._live.set()

    def _after_the_record(self, request: Request) -> bool:
        """Whether the request's decision lands after the record's end (a resumed run)."""
        if self.hold_after is None:
            return False
        if self.landing is not None and request.agent is not None:
            return self.landing(request.agent, request.tick or 0) is None
        lands = request.due if request.due is not None else request.tick
        return (lands or 0) > self.hold_after

    @property
    def left(self) -> int:
        """Recorded calls not asked for (yet)."""
        return sum(map(len, self.queues.values()))

    async def complete(self, request: Request) -> Reply:
        queue = self.queues.get((request.agent, request.purpose, request.key()))
        if not queue and self._after_the_record(request):
            if self.then is None:
                self._live = self._live or asyncio.Event()
                await self._live.wait()
            assert self.then is not None
            return await self.then.complete(request)
        if not queue:
            self.misses += 1
            raise ReplayMiss(
                f"no recorded answer for the {request.purpose} request of {request.agent} at "
                f"tick {request.tick}: the re-simulation asked something the recorded run did not"
            )
        call = queue.popleft()
        if call.error and not call.fallback:
            raise ReplayedFailure(f"failed in the recorded run ({call.error})")
        value = None
        if request.schema is not None and call.value is not None:
            value = request.schema.model_validate(call.value)
        return Reply(
            call.text,
            value,
            call.prompt_tokens,
            call.completion_tokens,
            fallback=call.fallback,
            model=call.model,
            cached=call.cached,
            error=call.error,
        )
