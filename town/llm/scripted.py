"""A deterministic model for tests and for measuring the engine: answers from rules, instantly.

Each purpose may have a rule that reads the request's facts; any other request with a schema is
answered with an instance built from the schema itself. The same request and seed always get
the same answer, whatever order requests arrive in, so concurrent runs stay reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from town.llm.base import Reply, Request, rough_tokens

Rule = Callable[[Request, random.Random], Mapping[str, Any] | str]


class ScriptedModel:
    def __init__(self, rules: Mapping[str, Rule] | None = None, seed: int = 0) -> None:
        self.rules = dict(rules or {})
        self.seed = seed

    def __repr__(self) -> str:
        return f"ScriptedModel(rules={sorted(self.rules)}, seed={self.seed})"

    async def complete(self, request: Request) -> Reply:
        return self.reply(request)

    def reply(self, request: Request) -> Reply:
        """The answer, synchronously (a stub server's thread answers with it too)."""
        rng = random.Random(f"{self.seed}:{request.agent}:{request.key()}")
        rule = self.rules.get(request.purpose)
        if rule is not None:
            answer: Any = rule(request, rng)
        elif request.schema is not None:
            answer = instance_of(request.schema.model_json_schema(), rng)
        else:
            answer = "Okay."
        prompt_tokens = sum(rough_tokens(m["content"]) for m in request.messages)
        if request.schema is None:
            text = str(answer)
            return Reply(text, None, prompt_tokens, rough_tokens(text))
        value = request.schema.model_validate(answer)
        text = value.model_dump_json()
        return Reply(text, value, prompt_tokens, rough_tokens(text))


def instance_of(schema: Mapping[str, Any], rng: random.Random) -> Any:
    """Some value valid under a JSON schema (the subset pydantic emits)."""
    return _Instance(schema, rng).of(schema)


class _Instance:
    def __init__(self, root: Mapping[str, Any], rng: random.Random) -> None:
        self.defs = root.get("$defs", {})
        self.rng = rng

    def of(self, schema: Mapping[str, Any]) -> Any:
        if "$ref" in schema:
            return self.of(self.defs[schema["$ref"].rsplit("/", 1)[-1]])
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        if schema.get("examples"):  # the way to satisfy what is not generated (a `pattern`)
            return self.rng.choice(schema["examples"])
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
                return self.of(options[0] if key == "allOf" else self.rng.choice(options))
        if "default" in schema:
            return schema["default"]
        kind = schema.get("type", "string")
        make = getattr(self, f"_{kind}", None)
        if make is None:
            raise ValueError(f"cannot make an instance of schema type {kind!r}")
        return make(schema)

    def _object(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        props = schema.get("properties", {})
        return {name: self.of(sub) for name, sub in props.items()}

    def _array(self, schema: Mapping[str, Any]) -> list[Any]:
        low = schema.get("minItems", 1)
        high = max(low, min(schema.get("maxItems", 3), low + 2))
        return [self.of(schema.get("items", {})) for _ in range(self.rng.randint(low, high))]

    def _string(self, schema: Mapping[str, Any]) -> str:
        text = f"item {self.rng.randint(1, 999)}"
        low, high = schema.get("minLength", 0), schema.get("maxLength", 80)
        return (text + "x" * max(0, low - len(text)))[:high]

    def _integer(self, schema: Mapping[str, Any]) -> int:
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 11) - 1)
        return self.rng.randint(int(low), int(high))

    def _number(self, schema: Mapping[str, Any]) -> float:
        return float(self._integer(schema))

    def _boolean(self, schema: Mapping[str, Any]) -> bool:
        return self.rng.random() < 0.5

    def _null(self, schema: Mapping[str, Any]) -> None:
        return None
