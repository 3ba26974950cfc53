"""The stub server as a stand-in for a serving engine (the speed benchmarks' model): real HTTP,
the real openai client; latency, answer tokens and its own concurrency limit, checked by its
own account; the scripted model's answers over HTTP; and a tick whose agents think at once."""

from __future__ import annotations

import json
import time

import pytest
from pydantic import BaseModel, ConfigDict, Field

from tests.llm.conftest import stub_stack
from tests.llm.test_llm_faults import Errand, ask, errand
from tests.support import at, simulate
from town.llm import Counters, Request, ScriptedModel, compose, messages
from town.llm.openai_backend import Endpoint, OpenAIBackend
from town.llm.scripted_serving import ScriptedAnswers
from town.llm.stub_server import StubServer
from town.mind import scripted_rules


class Visit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: str = Field(min_length=1)
    minutes: int = Field(ge=5, le=120)


def visit(request: Request, rng) -> dict[str, object]:
    """A rule that reads the request's facts, which never go over the wire."""
    return {"place": request.facts["favourite"], "minutes": rng.randint(5, 120)}


def visit_request(n: int) -> Request:
    return Request(
        messages("You are Klaus.", f"Where next? ({n})"),
        purpose="visit",
        schema=Visit,
        agent="Klaus",
        tick=n,
        facts={"favourite": f"the library, shelf {n}"},
    )


def answers_stack(stub: StubServer, answers: ScriptedAnswers, cap: int = 8):
    counters = Counters()
    backend = OpenAIBackend([Endpoint(stub.base_url)], "stub-model", counters=counters)
    return compose(answers.noting(backend), max_in_flight=cap, counters=counters)


def test_every_answer_waits_out_the_latency() -> None:
    with StubServer(latency=0.05) as stub:
        stack = stub_stack(stub)
        took = []
        for n in range(3):
            began = time.monotonic()
            [reply] = ask(stack, errand(n))
            took.append(time.monotonic() - began)
            assert isinstance(reply.value, Errand) and not reply.fallback
        load = stub.load()
    assert load.requests == 3 and abs(load.delay_seconds - 3 * 0.05) < 1e-9
    assert min(took) >= 0.05  # a lower bound: the client cannot have its answer sooner
    assert load.busy_seconds >= 3 * 0.05


def test_a_sampled_latency_stays_in_its_range() -> None:
    with StubServer(latency=(0.01, 0.03), seed=4) as stub:
        ask(stub_stack(stub), *(errand(n) for n in range(6)))
        load = stub.load()
    assert load.requests == 6 and 6 * 0.01 <= load.delay_seconds <= 6 * 0.03


def test_answer_tokens_take_their_time() -> None:
    with StubServer(tokens_per_second=2000) as stub:
        stack = stub_stack(stub)
        ask(stack, *(errand(n) for n in range(4)))
        load = stub.load()
    produced = stack.meter.total().completion_tokens
    assert produced > 0 and abs(load.delay_seconds - produced / 2000) < 1e-9


def test_the_server_serves_at_most_its_concurrency_and_queues_the_rest() -> None:
    with StubServer(latency=0.05, concurrency=2) as stub:
        stack = stub_stack(stub, max_in_flight=6)
        replies = ask(stack, *(errand(n) for n in range(6)))
        load = stub.load()
    assert all(isinstance(r.value, Errand) and not r.fallback for r in replies)
    assert load.requests == 6 and load.peak == 2 and load.queued_peak >= 1
    assert stack.cap is not None and stack.cap.peak > 2  # the client sent more than it served


def test_the_load_account_sees_overlapping_requests() -> None:
    with StubServer(latency=0.05) as stub:
        ask(stub_stack(stub, max_in_flight=4), *(errand(n) for n in range(4)))
        load = stub.load()
    assert load.peak > 1 and load.busy_seconds < load.request_seconds
    assert load.request_seconds >= 4 * 0.05 and load.busy_seconds >= 0.05
    later = stub.load() - load
    assert later.requests == 0 and later.request_seconds == 0


def test_answers_over_http_are_the_scripted_models_own() -> None:
    answers = ScriptedAnswers({"visit": visit}, seed=5)
    requests = [visit_request(n) for n in range(4)]
    with StubServer(latency=0.01, answer=answers) as stub:
        stack = answers_stack(stub, answers)
        replies = ask(stack, *requests)
        sent = [body["response_format"]["json_schema"]["schema"] for body in stub.received]
    local = ScriptedModel({"visit": visit}, seed=5)
    for request, reply in zip(requests, replies, strict=True):
        assert not reply.fallback and reply.value == local.reply(request).value
        assert isinstance(reply.value, Visit) and reply.value.place.startswith("the library")
    assert answers.found == 4 and answers.missed == 0 and not answers._sent  # none left over
    assert all(schema == Visit.model_json_schema() for schema in sent)


def test_a_request_it_was_not_told_of_gets_an_instance_of_the_schema() -> None:
    answers = ScriptedAnswers({"visit": visit})
    with StubServer(answer=answers) as stub:
        [reply] = ask(stub_stack(stub), visit_request(1))  # not through answers.noting
    assert answers.missed == 1 and isinstance(reply.value, Visit) and not reply.fallback


def test_a_town_on_the_server_lives_as_on_the_scripted_model(town, ville3) -> None:
    answers = ScriptedAnswers(scripted_rules(), seed=ville3.town.seed)
    with StubServer(answer=answers) as stub:
        stack = answers_stack(stub, answers)
        over_http = simulate(ville3, town, model=stack, start=at(13, 7, 50))
        over_http.run(ticks=400)
        over_http.close()
    scripted = simulate(ville3, town, start=at(13, 7, 50))
    scripted.run(ticks=400)
    scripted.close()
    assert answers.missed == 0 and stub.requests() == scripted.meter.total().requests > 5
    state = [json.dumps(s.get_state(streams=False), sort_keys=True) for s in (over_http, scripted)]
    assert state[0] == state[1]


@pytest.mark.slow  # (seconds: the whole suite has it, not `make check`)
def test_the_agents_of_a_tick_think_at_once(town, ville3) -> None:
    """At 09:00 all three are awake and without a plan: the first tick asks for three day
    plans and rates what they see, all in flight together (an agent rates beside its other
    thinking); with a cap of one, one after another."""
    peaks = {}
    for cap in (1, 8):
        answers = ScriptedAnswers(scripted_rules(), seed=ville3.town.seed)
        with StubServer(latency=0.2, answer=answers) as stub:
            sim = simulate(ville3, town, model=answers_stack(stub, answers, cap), start=at(13, 9))
            sim.step()
            sim.close()
            peaks[cap] = stub.load().peak
        assert sim.meter.by_purpose["plan"].requests == 3
        ratings = sim.meter.by_purpose["importance"].requests
    assert ratings > 0 and peaks == {1: 1, 8: 3 + ratings}
