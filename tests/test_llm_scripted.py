"""The scripted model answers any schema validly and deterministically."""

from __future__ import annotations

import asyncio
import random
from typing import Literal

from pydantic import BaseModel, Field

from town.llm import Request, ScriptedModel, messages
from town.llm.scripted import instance_of


class Inner(BaseModel):
    score: int = Field(ge=1, le=10)
    tags: list[str] = Field(min_length=2, max_length=4)


class Shape(BaseModel):
    choice: Literal["stay", "react", "talk"]
    note: str | None = None
    inner: Inner
    many: list[Inner]
    flag: bool
    ratio: float = Field(ge=0, le=1)


def ask(model: ScriptedModel, request: Request):
    return asyncio.run(model.complete(request))


def test_any_schema_gets_a_valid_instance() -> None:
    schema = Shape.model_json_schema()
    for seed in range(50):
        Shape.model_validate(instance_of(schema, random.Random(seed)))


def test_answers_are_deterministic_per_request_and_seed() -> None:
    request = Request(messages("sys", "hello"), purpose="react", schema=Shape, agent="A")
    first = ask(ScriptedModel(seed=1), request)
    assert isinstance(first.value, Shape)
    assert ask(ScriptedModel(seed=1), request).text == first.text
    others = {ask(ScriptedModel(seed=s), request).text for s in range(2, 12)}
    assert len(others) > 1  # the seed matters
    assert first.prompt_tokens > 0 and first.completion_tokens > 0


def test_rules_answer_their_purpose_and_plain_text_works() -> None:
    model = ScriptedModel({"greet": lambda req, rng: f"hi {req.facts['who']}"})
    reply = ask(model, Request(messages("s", "u"), purpose="greet", facts={"who": "Klaus"}))
    assert reply.text == "hi Klaus" and reply.value is None
    assert ask(model, Request(messages("s", "u"), purpose="other")).text == "Okay."
