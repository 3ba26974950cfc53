"""Counts what the model is asked and answers, by purpose.

The meter sits outermost and sees each request once: it counts requests, time, the tokens and
cost of the answers it hands back, fallbacks and cache hits. What happens further down (a retry,
a timeout, a 429, an answer thrown away and repaired) only the wrapper that saw it knows, so
those wrappers write into the same `Counters` that the meter reads: compose a stack with one
`Counters` and give it to each wrapper (see town.llm.stack.compose).

Tokens are counted once per answer a server sent: those of an answer the agent got, from the
reply, at the meter; those of an answer thrown away (invalid, repaired), where it was thrown.
They are kept by purpose and model too, so that they can be priced again with another table.

`Counters.to_json` is the usage so far as plain data: what a run file keeps of each session
(town.record.recorder), and what `town report` shows.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from typing import Any

from town.llm.base import LanguageModel, Reply, Request
from town.llm.prices import Prices


@dataclass(slots=True)
class Usage:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallbacks: int = 0  # answers replaced by the request's explicit fallback
    errors: int = 0  # requests that raised through the meter (no fallback)
    seconds: float = 0.0  # time to answer, summed
    cost: float = 0.0  # USD, from the price table
    attempts: int = 0  # tries at an answer (the first and each retry); repairs come on top
    retries: int = 0
    timeouts: int = 0
    rate_limits: int = 0  # 429
    server_errors: int = 0  # 5xx (and 408/409)
    connection_errors: int = 0
    invalid: int = 0  # answers empty, not JSON, or not of the requested shape
    repairs: int = 0  # repair requests sent after an invalid answer
    cache_hits: int = 0

    def add(self, other: Usage) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def failures(self) -> int:
        """Transient failures seen on the way (each was retried or ended in a fallback)."""
        return self.timeouts + self.rate_limits + self.server_errors + self.connection_errors

    def summary(self) -> str:
        return (
            f"{self.requests} requests, {self.tokens:,} tokens, ${self.cost:.4f}, "
            f"{self.seconds:.1f} s; {self.fallbacks} fallbacks, {self.retries} retries "
            f"({self.timeouts} timeouts, {self.rate_limits} rate limits, {self.server_errors} "
            f"server errors, {self.connection_errors} connection errors), {self.invalid} invalid "
            f"answers, {self.repairs} repairs, {self.cache_hits} cache hits"
        )


class Counters:
    """The usage table of one stack, by purpose; every wrapper of the stack writes to it."""

    def __init__(self, prices: Prices | None = None) -> None:
        self.prices = prices or Prices()
        self.by_purpose: dict[str, Usage] = defaultdict(Usage)
        # (purpose, model) -> [prompt, completion] tokens: what another price table needs
        self.tokens: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])

    def __repr__(self) -> str:
        return f"Counters({len(self.by_purpose)} purposes)"

    def count(self, purpose: str, what: str, n: int = 1) -> None:
        usage = self.by_purpose[purpose]
        setattr(usage, what, getattr(usage, what) + n)

    def spend(self, purpose: str, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        usage = self.by_purpose[purpose]
        usage.prompt_tokens += prompt_tokens
        usage.completion_tokens += completion_tokens
        usage.cost += self.prices.cost(model, prompt_tokens, completion_tokens)
        if prompt_tokens or completion_tokens:
            spent = self.tokens[purpose, model]
            spent[0] += prompt_tokens
            spent[1] += completion_tokens

    def total(self) -> Usage:
        total = Usage()
        for usage in list(self.by_purpose.values()):
            total.add(usage)
        return total

    def to_json(self) -> dict[str, Any]:
        """The usage so far as plain data: each purpose's Usage fields; the tokens by purpose
        and model, as [purpose, model, prompt, completion]; and the price of each model that
        spent any, as {model: [input, output]} in USD per million tokens."""
        tokens = [[p, m, *spent] for (p, m), spent in list(self.tokens.items())]
        prices = {m: self.prices.of(m) for _, m, _, _ in tokens}
        return {
            "purposes": {p: asdict(u) for p, u in list(self.by_purpose.items())},
            "tokens": tokens,
            "prices": {m: [price.input, price.output] for m, price in prices.items()},
        }


class Meter:
    def __init__(self, model: LanguageModel, counters: Counters | None = None) -> None:
        self.model = model
        self.counters = counters or Counters()

    def __repr__(self) -> str:
        return f"Meter({self.model!r})"

    @property
    def by_purpose(self) -> dict[str, Usage]:
        return self.counters.by_purpose

    async def complete(self, request: Request) -> Reply:
        usage = self.counters.by_purpose[request.purpose]
        usage.requests += 1
        started = time.perf_counter()
        try:
            reply = await self.model.complete(request)
        except BaseException:
            usage.errors += 1
            raise
        finally:
            usage.seconds += time.perf_counter() - started
        self.counters.spend(
            request.purpose, reply.model, reply.prompt_tokens, reply.completion_tokens
        )
        usage.fallbacks += reply.fallback
        usage.cache_hits += reply.cached
        return reply

    def total(self) -> Usage:
        return self.counters.total()
