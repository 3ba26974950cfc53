"""The wrappers one by one, on in-process models: retry, timeout, cache, meter and prices,
recorder and replayer, and the order compose puts them in."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from typing import Literal

import pytest
from pydantic import BaseModel

from tests.llm.conftest import Waits
from town.llm import (
    Cache,
    Counters,
    Fallback,
    InFlightCap,
    InvalidAnswer,
    Meter,
    ModelCall,
    RateLimited,
    Recorder,
    Rejected,
    Replayer,
    ReplayMiss,
    Reply,
    Request,
    Retry,
    ServerError,
    Timeout,
    compose,
    messages,
    replay,
)
from town.llm.errors import BackendError, ModelTimeout
from town.llm.prices import Price, Prices
from town.llm.retry import parse_retry_after


class Choice(BaseModel):
    pick: Literal["a", "b"]


class Script:
    """A model that fails or answers as told, in order, and counts its calls."""

    def __init__(self, *outcomes: Exception | str) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    async def complete(self, request: Request) -> Reply:
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else "fine"
        if isinstance(outcome, Exception):
            raise outcome
        return Reply(outcome, None, 10, 5, model="gpt-4o-mini")


def ask(model, request: Request) -> Reply:
    return asyncio.run(model.complete(request))


def request(text: str = "hello", purpose: str = "act", **changes) -> Request:
    return Request(messages("system", text), purpose=purpose, **changes)


# -- retry ------------------------------------------------------------------------------------


def test_retry_backs_off_with_jitter_and_honours_retry_after() -> None:
    model = Script(ServerError("500"), RateLimited("429", retry_after=7.0), ServerError("503"))
    waits, counters = Waits(), Counters()
    retry = Retry(model, base=0.5, cap=20, counters=counters, sleep=waits, rng=random.Random(1))
    assert ask(retry, request()).text == "fine"
    assert model.calls == 4
    first, second, third = waits.seconds
    assert 0 <= first <= 0.5 and second == 7.0 and 0 <= third <= 2.0  # full jitter, doubling
    usage = counters.by_purpose["act"]
    assert (usage.retries, usage.server_errors, usage.rate_limits) == (3, 2, 1)


def test_retry_gives_up_after_its_attempts_and_caps_the_wait() -> None:
    model = Script(*[RateLimited("429", retry_after=3600.0)] * 5)
    waits, counters = Waits(), Counters()
    retry = Retry(model, attempts=3, max_wait=30, counters=counters, sleep=waits)
    with pytest.raises(RateLimited):
        ask(retry, request())
    assert model.calls == 3 and waits.seconds == [30, 30]
    assert counters.by_purpose["act"].rate_limits == 3


@pytest.mark.parametrize("error", [Rejected("401"), InvalidAnswer("bad"), ValueError("bug")])
def test_retry_leaves_lasting_failures_alone(error: Exception) -> None:
    model, waits = Script(error), Waits()
    with pytest.raises(type(error)):
        ask(Retry(model, sleep=waits), request())
    assert model.calls == 1 and waits.seconds == []


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = dt.datetime(2023, 2, 13, 8, 0, tzinfo=dt.UTC)
    assert parse_retry_after("2", now) == 2.0
    assert parse_retry_after("Mon, 13 Feb 2023 08:00:30 GMT", now) == 30.0
    assert parse_retry_after("Mon, 13 Feb 2023 07:00:00 GMT", now) == 0.0  # already past
    assert parse_retry_after("soon", now) is None and parse_retry_after(None) is None


# -- timeout ----------------------------------------------------------------------------------


class Never:
    async def complete(self, request: Request) -> Reply:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def test_a_request_past_its_timeout_fails_as_transient() -> None:
    with pytest.raises(ModelTimeout, match=r"no answer within 0\.05 s"):
        ask(Timeout(Never(), 0.05), request())


# -- cache ------------------------------------------------------------------------------------


def test_the_cache_serves_deterministic_requests_again_for_free() -> None:
    model = Script("first", "second", "third")
    cache = Cache(model, size=2)
    assert ask(cache, request("q1")).text == "first"
    hit = ask(cache, request("q1", agent="someone else", tick=9))  # who and when do not matter
    assert hit.text == "first" and hit.cached
    assert (hit.prompt_tokens, hit.completion_tokens) == (0, 0)  # nothing was spent
    assert ask(cache, request("q1", temperature=0.7)).text == "second"  # not deterministic
    ask(cache, request("q2"))
    ask(cache, request("q3"))  # q1 is now the least recently used of three: out
    assert len(cache.answers) == 2 and request("q1").key() not in cache.answers


def test_the_cache_keeps_no_fallbacks() -> None:
    cache = Cache(Fallback(Script(ValueError("down"))))
    reply = ask(cache, request(fallback=lambda: "fallback answer"))
    assert reply.fallback and not cache.answers


# -- meter and prices -------------------------------------------------------------------------


def test_the_meter_counts_tokens_cost_fallbacks_and_cache_hits() -> None:
    counters = Counters(Prices({"gpt-4o-mini": Price(input=1.0, output=2.0)}))
    meter = Meter(Cache(Fallback(Script("ok", ValueError("down")))), counters)
    ask(meter, request("one"))
    ask(meter, request("one"))  # a cache hit
    ask(meter, request("two", purpose="plan", fallback=lambda: "rest"))
    with pytest.raises(ValueError):
        asyncio.run(Meter(Script(ValueError("down")), counters).complete(request("three")))
    act, plan = meter.by_purpose["act"], meter.by_purpose["plan"]
    assert (act.requests, act.cache_hits, act.prompt_tokens, act.completion_tokens) == (3, 1, 10, 5)
    assert act.errors == 1 and act.cost == pytest.approx((10 * 1.0 + 5 * 2.0) / 1e6)
    assert (plan.requests, plan.fallbacks, plan.tokens) == (1, 1, 0)
    total = meter.total()
    assert total.requests == 4 and total.fallbacks == 1 and "4 requests" in total.summary()


def test_prices_match_dated_and_prefixed_names_and_load_from_toml(tmp_path, monkeypatch) -> None:
    prices = Prices()
    assert prices.of("gpt-4o-mini-2024-07-18") == prices.of("gpt-4o-mini") != prices.of("gpt-4o")
    assert prices.of("openai/gpt-4o") == prices.of("gpt-4o")
    assert prices.cost("qwen2.5-coder-0.5b-instruct", 10**6, 10**6) == 0
    assert prices.cost("some-new-model", 10**6, 10**6) == 0  # unknown: free, with a warning
    table = tmp_path / "prices.toml"
    table.write_text('["my-model"]\ninput = 3\noutput = 4\n["gpt-4o"]\ninput = 1\noutput = 1\n')
    monkeypatch.setenv("TOWN_PRICES", str(table))
    loaded = Prices.load()
    assert loaded.cost("my-model", 10**6, 10**6) == 7 and loaded.of("gpt-4o") == Price(1, 1)
    assert loaded.of("gpt-4o-mini") == Prices().of("gpt-4o-mini")  # the defaults remain
    table.write_text('["my-model"]\ninput = "a lot"\n')
    with pytest.raises(BackendError, match=r"prices.toml is not valid"):
        Prices.load(table)
    with pytest.raises(BackendError, match="cannot read the price table"):
        Prices.load(tmp_path / "missing.toml")


# -- recorder and replayer --------------------------------------------------------------------


class Varying:
    """Answers the same question differently each time it is asked."""

    def __init__(self) -> None:
        self.n = 0

    async def complete(self, request: Request) -> Reply:
        self.n += 1
        if request.purpose == "broken":
            raise Rejected("no")
        if request.schema is not None:
            value = Choice(pick="ab"[self.n % 2])
            return Reply(value.model_dump_json(), value, 3, 2, model="m")
        return Reply(f"answer {self.n}", None, 3, 2, model="m")


def test_replaying_a_recording_gives_every_agent_the_same_answers_in_order() -> None:
    calls: list[ModelCall] = []
    stack = compose(Varying(), observer=calls.append, sleep=Waits())
    asked = [
        request("same", agent="Klaus", tick=1),
        request("same", agent="Klaus", tick=2, temperature=1.0),  # the same, asked again
        request("shape", agent="Maria", tick=2, schema=Choice),
        request("shape", agent="Maria", tick=3, schema=Choice),  # a cache hit
        request("x", agent="Maria", tick=4, purpose="broken", fallback=lambda: "fell back"),
        request("same", agent="Klaus", tick=5, temperature=1.0),
    ]
    original = [ask(stack.model, r) for r in asked]
    assert [c.cached for c in calls] == [False, False, False, True, False, False]
    assert calls[4].fallback and calls[4].error == "Rejected" and calls[2].value is not None
    stored = [ModelCall.from_json(json.loads(json.dumps(c.to_json()))) for c in calls]
    replayed = replay(stored)
    again = [ask(replayed.model, r) for r in asked]
    assert [(r.text, r.value, r.fallback, r.cached) for r in again] == [
        (r.text, r.value, r.fallback, r.cached) for r in original
    ]
    assert replayed.meter.total().fallbacks == 1
    with pytest.raises(ReplayMiss, match="act request of Klaus at tick 7"):
        ask(replayed.model, request("same", agent="Klaus", tick=7))  # asked once more than then


def test_a_failure_without_fallback_is_recorded_and_replayed() -> None:
    calls: list[ModelCall] = []
    stack = compose(Varying(), observer=calls.append, sleep=Waits())
    with pytest.raises(Rejected):
        ask(stack.model, request("x", purpose="broken", agent="A"))
    assert calls[0].error == "Rejected" and not calls[0].fallback
    with pytest.raises(Exception, match="failed in the recorded run"):
        ask(Replayer(calls), request("x", purpose="broken", agent="A"))


def test_compose_puts_the_wrappers_in_their_order() -> None:
    stack = compose(Script(), max_in_flight=3, timeout=9)
    chain, layer = [], stack.model
    while hasattr(layer, "model"):
        chain.append(type(layer))
        layer = layer.model
    assert chain == [Meter, Recorder, Fallback, Cache, Retry, InFlightCap, Timeout]
    assert stack.meter is stack.model and stack.cap is not None and stack.cap.limit == 3
