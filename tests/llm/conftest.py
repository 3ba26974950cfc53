"""Helpers for the language-model tests: stacks on the stub server, process liveness."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from town.llm import Counters, Stack, compose
from town.llm.openai_backend import Endpoint, OpenAIBackend
from town.llm.stub_server import StubServer

KEY = "sk-test-NEVER-PRINT-1234"


@dataclass
class Waits:
    """An injected sleep: remembers what the retry wrapper asked to wait, waits for nothing."""

    seconds: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def stub_stack(
    *stubs: StubServer, waits: Waits | None = None, timeout: float = 5.0, **options: object
) -> Stack:
    """The full stack on an OpenAI backend whose endpoints are the stubs."""
    counters = Counters()
    backend = OpenAIBackend(
        [Endpoint(s.base_url, KEY) for s in stubs], "stub-model", counters=counters
    )
    return compose(
        backend,
        counters=counters,
        timeout=timeout,
        sleep=waits or Waits(),
        rng=random.Random(0),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (an orphan's zombie may wait a while for
    whoever adopted it to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def eventually(condition: Callable[[], bool], within: float = 10.0) -> bool:
    """Poll `condition` until it holds or `within` seconds have passed."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
