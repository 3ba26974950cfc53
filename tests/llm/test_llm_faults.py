"""The OpenAI backend and the full stack against the stub server, over real HTTP with the real
openai client: every fault is handled as specified and counted in the meter."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from tests.llm.conftest import KEY, Waits, stub_stack
from tests.support import simulate
from town.llm import InvalidAnswer, ModelCall, Reply, Request, ServerError, Stack, messages
from town.llm.openai_backend import JSON_OBJECT, parse
from town.llm.stub_server import StubServer


class Errand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: Literal["cafe", "park", "library"]
    why: str = Field(min_length=2, max_length=40)


def errand(n: int = 0, agent: str = "Klaus", fallback: bool = True, **changes) -> Request:
    return Request(
        messages("You are Klaus.", f"Where do you go next? ({n})"),
        purpose="act",
        schema=Errand,
        agent=agent,
        tick=n,
        fallback=(lambda: Errand(place="park", why="fallback")) if fallback else None,
        **changes,
    )


def ask(stack: Stack, *requests: Request) -> list[Reply]:
    async def all_of() -> list[Reply]:
        return await asyncio.gather(*(stack.model.complete(r) for r in requests))

    return asyncio.run(all_of())


def test_a_clean_answer_is_a_valid_instance_of_the_schema(stub) -> None:
    stack = stub_stack(stub)
    [reply] = ask(stack, errand())
    assert isinstance(reply.value, Errand) and not reply.fallback and reply.model == "stub-model"
    sent = stub.received[-1]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["place"]["enum"]
    usage = stack.meter.by_purpose["act"]
    assert usage.requests == 1 and usage.prompt_tokens > 0 and usage.completion_tokens > 0


@pytest.mark.parametrize(
    ("retry_after", "waited"), [("3", 3.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)]
)
def test_a_429_is_retried_after_its_retry_after(retry_after: str, waited: float) -> None:
    waits = Waits()
    with StubServer(faults=["rate_limit"], retry_after=retry_after) as stub:
        stack = stub_stack(stub, waits=waits)
        [reply] = ask(stack, errand())
    assert not reply.fallback and stub.served == {"rate_limit": 1, "ok": 1}
    assert waits.seconds[0] >= waited  # the date is long past: the backoff alone decides
    usage = stack.meter.by_purpose["act"]
    assert (usage.rate_limits, usage.retries, usage.fallbacks) == (1, 1, 0)


def test_server_errors_are_retried_until_the_attempts_run_out() -> None:
    with StubServer(faults=["server_error"] * 5) as stub:
        stack = stub_stack(stub)
        first, second = ask(stack, errand(1)), ask(stack, errand(2))
    assert first[0].fallback and first[0].error == "ServerError"  # four attempts, all 500
    assert not second[0].fallback  # the fifth 500, then an answer
    usage = stack.meter.by_purpose["act"]
    assert (usage.server_errors, usage.retries, usage.fallbacks) == (5, 4, 1)


@pytest.mark.slow  # (seconds: the whole suite has it, not `make check`)
def test_a_hanging_request_times_out_and_is_retried() -> None:
    with StubServer(faults=["hang"], hang_seconds=30) as stub:
        # Room for an answer on a busy machine: only the hang may time out.
        stack = stub_stack(stub, timeout=3)
        started = time.perf_counter()
        [reply] = ask(stack, errand())
        took = time.perf_counter() - started
    assert not reply.fallback and took < 25  # it did not wait out the hang
    usage = stack.meter.by_purpose["act"]
    assert (usage.timeouts, usage.retries) == (1, 1)


@pytest.mark.parametrize("fault", ["invalid_json", "schema_invalid", "empty"])
def test_an_invalid_answer_gets_one_repair_request(fault: str) -> None:
    with StubServer(faults=[fault]) as stub:
        stack = stub_stack(stub)
        [reply] = ask(stack, errand())
        repair = stub.received[-1]["messages"]
    assert isinstance(reply.value, Errand) and not reply.fallback
    assert repair[-2]["role"] == "assistant" and "cannot be used" in repair[-1]["content"]
    assert ("cut off at 400 tokens" in repair[-1]["content"]) == (fault == "invalid_json")
    usage = stack.meter.by_purpose["act"]
    assert (usage.invalid, usage.repairs, usage.fallbacks, usage.retries) == (1, 1, 0, 0)
    # The thrown-away answer's tokens count too: two answers' worth.
    assert usage.prompt_tokens > 2 * len(repair[0]["content"]) // 4


def test_an_answer_still_invalid_after_the_repair_falls_back() -> None:
    with StubServer(faults=["invalid_json", "schema_invalid", "empty", "empty"]) as stub:
        stack = stub_stack(stub)
        [with_fallback] = ask(stack, errand(1))
        with pytest.raises(InvalidAnswer, match="still invalid after a repair"):
            ask(stack, errand(2, fallback=False))
    assert with_fallback.fallback and with_fallback.value == Errand(place="park", why="fallback")
    assert with_fallback.error == "InvalidAnswer"
    usage = stack.meter.by_purpose["act"]
    assert (usage.invalid, usage.repairs, usage.fallbacks, usage.errors) == (4, 2, 1, 1)


BROKEN_BODIES = ["html", "html_json", "empty_body", "truncated_body", "no_choices"]


@pytest.mark.parametrize("fault", BROKEN_BODIES)
def test_a_200_without_a_chat_completion_is_retried_as_a_server_error(fault: str) -> None:
    waits = Waits()
    with StubServer(faults=[fault]) as stub:
        stack = stub_stack(stub, waits=waits)
        [reply] = ask(stack, errand())
    assert isinstance(reply.value, Errand) and not reply.fallback
    assert stub.served == {fault: 1, "ok": 1} and len(waits.seconds) == 1  # backed off once
    usage = stack.meter.by_purpose["act"]
    assert (usage.server_errors, usage.retries, usage.invalid, usage.repairs) == (1, 1, 0, 0)
    assert (usage.fallbacks, usage.errors, usage.attempts) == (0, 0, 2)
    # The tokens a broken 200 says it spent count too (only no_choices says any).
    asked = sum(len(m["content"]) // 4 for m in stub.received[-1]["messages"])
    assert usage.prompt_tokens == asked * (2 if fault == "no_choices" else 1)


@pytest.mark.parametrize("fault", BROKEN_BODIES)
def test_broken_200s_until_the_attempts_run_out_fall_back(fault: str) -> None:
    with StubServer(faults=[fault] * 8) as stub:
        stack = stub_stack(stub)
        [reply] = ask(stack, errand(1))
        with pytest.raises(ServerError, match="answered 200"):  # no fallback: the error says so
            ask(stack, errand(2, fallback=False))
    assert reply.fallback and reply.error == "ServerError"
    assert reply.value == Errand(place="park", why="fallback")
    usage = stack.meter.by_purpose["act"]
    assert (usage.server_errors, usage.retries, usage.fallbacks, usage.errors) == (8, 6, 1, 1)


def test_a_null_content_is_repaired() -> None:
    with StubServer(faults=["null_content"]) as stub:
        stack = stub_stack(stub)
        [reply] = ask(stack, errand())
    assert isinstance(reply.value, Errand) and not reply.fallback
    assert "cannot be used: the answer was empty" in stub.received[-1]["messages"][-1]["content"]
    usage = stack.meter.by_purpose["act"]
    assert (usage.invalid, usage.repairs, usage.server_errors, usage.fallbacks) == (1, 1, 0, 0)


def test_a_slow_answer_is_waited_for_and_timed() -> None:
    with StubServer(faults=["slow"], slow_seconds=0.3) as stub:
        stack = stub_stack(stub, timeout=5)
        [reply] = ask(stack, errand())
    usage = stack.meter.by_purpose["act"]
    assert not reply.fallback and usage.seconds >= 0.3 and usage.retries == 0


def test_a_refused_key_is_not_retried() -> None:
    with StubServer(faults=["auth"]) as stub:
        stack = stub_stack(stub)
        [reply] = ask(stack, errand())
    assert reply.fallback and reply.error == "Rejected" and stub.requests() == 1


def test_an_unreachable_endpoint_is_retried_then_falls_back(stub) -> None:
    stack = stub_stack(stub)
    stub.stop()  # nothing listens there any more
    [reply] = ask(stack, errand())
    usage = stack.meter.by_purpose["act"]
    assert reply.fallback and reply.error == "ConnectionFailed"
    assert (usage.connection_errors, usage.retries) == (4, 3)


def test_an_endpoint_without_json_schema_is_asked_in_json_mode_from_then_on() -> None:
    with StubServer(json_schema=False) as stub:
        stack = stub_stack(stub)
        replies = ask(stack, *(errand(n) for n in range(4)))  # all at once
        later = ask(stack, errand(9))
    assert all(isinstance(r.value, Errand) and not r.fallback for r in [*replies, *later])
    assert stack.backend.modes == [JSON_OBJECT]
    last = stub.received[-1]
    assert last["response_format"]["type"] == "json_object"
    assert "JSON schema" in last["messages"][-1]["content"]  # the shape is in the prompt too
    assert stub.served["refused_format"] <= 4 and stub.served["ok"] == 5
    assert stack.meter.total().server_errors == 0  # a refused form is not a failure


@pytest.mark.slow
def test_several_endpoints_take_turns() -> None:
    with StubServer() as a, StubServer() as b:
        stack = stub_stack(a, b)
        for n in range(6):
            ask(stack, errand(n))
    assert a.requests() == b.requests() == 3


def test_the_cap_bounds_requests_in_flight_at_the_server() -> None:
    with StubServer(latency=0.05) as stub:
        stack = stub_stack(stub, max_in_flight=2)
        ask(stack, *(errand(n) for n in range(8)))
    assert stub.peak == 2 and stack.cap is not None and stack.cap.peak == 2


def test_the_stub_serves_at_most_its_concurrency() -> None:
    with StubServer(latency=0.05, concurrency=1) as stub:
        stack = stub_stack(stub, max_in_flight=4)
        ask(stack, *(errand(n) for n in range(4)))
    assert stub.peak == 1 and stub.requests() == 4


def test_prose_and_code_fences_around_the_json_are_tolerated() -> None:
    assert parse('Sure!\n```json\n{"place": "cafe", "why": "coffee"}\n```', Errand).place == "cafe"
    assert parse('Here: {"place": "park", "why": "air"} Hope it helps.', Errand).place == "park"
    with pytest.raises(InvalidAnswer, match="not valid JSON"):
        parse("I would go to the cafe.", Errand)
    with pytest.raises(InvalidAnswer, match="place: Input should be"):
        parse('{"place": "moon", "why": "far"}', Errand)


def test_the_key_appears_nowhere(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    calls: list[ModelCall] = []
    faults = ["auth", "rate_limit", "server_error", None, "invalid_json", "invalid_json", "auth"]
    failures: list[BaseException] = []
    with StubServer(faults=faults, retry_after="0") as stub:
        stack = stub_stack(stub)
        assert stack.recorder is not None
        stack.recorder.observer = calls.append
        ask(stack, errand(1))  # 401: the stub quotes the key back
        ask(stack, errand(2))  # 429, 500, then an answer
        try:
            ask(stack, errand(3, fallback=False))  # invalid twice
        except InvalidAnswer as err:
            failures.append(err)
        try:
            ask(stack, errand(4, fallback=False))  # 401 again, no fallback
        except Exception as err:
            failures.append(err)
    assert stub.served["auth"] == 2 and len(failures) == 2
    texts = [caplog.text, repr(stack), repr(stack.backend.endpoints), str(stack.backend)]
    layer = stack.model
    while layer is not None:
        texts.append(repr(layer))
        layer = getattr(layer, "model", None)
    texts += ["".join(traceback.format_exception(err)) for err in failures]
    texts += [json.dumps(call.to_json()) for call in calls]
    assert "Incorrect API key provided: <redacted>" in str(failures[1])
    assert len(calls) == 4 and all(texts)
    for text in texts:
        assert KEY not in text


@pytest.mark.slow
def test_a_three_agent_day_completes_against_a_server_failing_30_percent(town, ville3) -> None:
    rates = {
        "rate_limit": 0.04,
        "server_error": 0.04,
        "hang": 0.02,
        "invalid_json": 0.04,
        "schema_invalid": 0.04,
        "empty": 0.03,
        "slow": 0.02,
        "html": 0.02,
        "html_json": 0.02,
        "empty_body": 0.01,
        "truncated_body": 0.01,
        "no_choices": 0.01,
    }
    assert sum(rates.values()) == pytest.approx(0.30)
    # Each kind of fault at least once, then 30% of all requests fail.
    calls: list[ModelCall] = []
    first = ["rate_limit", "server_error", "hang", "invalid_json", "schema_invalid", "empty"]
    first += BROKEN_BODIES
    faulty = StubServer(
        faults=first, rates=rates, seed=7, retry_after="0.01", hang_seconds=20, slow_seconds=0.1
    )
    with faulty as stub:
        # Short enough for a day of hangs, long enough that on a busy machine only a hang
        # times out (the counts below are exact).
        stack = stub_stack(stub, timeout=2, observer=calls.append)
        sim = simulate(ville3, town, model=stack)
        sim.run()
        sim.close()
    assert sim.tick == sim.clock.tick_of(ville3.end) == 8640
    assert sim.think_failures == 0
    usage, served = stack.meter.total(), stub.served
    assert usage.requests == len(calls) >= 10 and usage.errors == 0
    # Every fault the server served was seen, and counted for what it was.
    assert usage.rate_limits == served["rate_limit"] > 0
    assert usage.server_errors == sum(served[k] for k in ["server_error", *BROKEN_BODIES])
    assert all(served[k] > 0 for k in BROKEN_BODIES)
    assert usage.timeouts == served["hang"] > 0
    assert usage.invalid == served["invalid_json"] + served["schema_invalid"] + served["empty"] > 0
    # A transient failure is retried unless it was a request's last attempt (then it fell
    # back); an invalid answer is repaired once, and a second one falls back.
    gave_up = sum(c.error in ("ServerError", "RateLimited", "ModelTimeout") for c in calls)
    invalid_twice = sum(c.error == "InvalidAnswer" for c in calls)
    assert usage.retries == usage.failures - gave_up
    assert usage.invalid == usage.repairs + invalid_twice
    assert usage.fallbacks == sum(c.fallback for c in calls) >= gave_up + invalid_twice
    # Every fallback replaced a failure of a known kind (none a parser's stray exception).
    known = {"ServerError", "RateLimited", "ModelTimeout", "InvalidAnswer"}
    assert {c.error for c in calls if c.fallback} <= known
