"""The language-model interface: messages (and, where the answer needs a shape, a schema) in;
text or a validated object out. Backends and wrappers all implement `LanguageModel`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

Message = Mapping[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}


@dataclass(frozen=True, slots=True)
class Request:
    """One question to a model, with who asks it and why (for the meter and the run file)."""

    messages: tuple[Message, ...]
    purpose: str  # plan, act, importance, react, converse, reflect, interview, ...
    schema: type[BaseModel] | None = None  # when set, the answer must validate against it
    agent: str | None = None
    tick: int | None = None  # when it was asked
    due: int | None = None  # the tick its answer lands at, when that is later (sim.py's lag)
    # What the prompt was rendered from. Real backends never send it; the scripted model
    # answers from it instead of parsing prose.
    facts: Mapping[str, Any] = field(default_factory=dict)
    # The explicit answer used when the model fails for good; counted as a fallback.
    fallback: Callable[[], BaseModel | str] | None = None
    max_tokens: int = 400
    temperature: float = 0.0
    _key: str | None = field(default=None, init=False, repr=False, compare=False)

    def key(self) -> str:
        """A stable digest of what the model is asked (not who asks or when); computed once
        (the cache, the recorder and a replayer all ask)."""
        if self._key is None:
            object.__setattr__(self, "_key", self._digest())
        return self._key  # type: ignore[return-value]

    def _digest(self) -> str:
        body = {
            "messages": [dict(m) for m in self.messages],
            "schema": json_schema(self.schema) if self.schema else None,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        raw = json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    value: BaseModel | None = None  # the validated object when the request had a schema
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallback: bool = False  # True when `value`/`text` is the request's fallback, not an answer
    model: str = ""  # the model that answered (prices are per model); "" when none did
    cached: bool = False  # served from the cache: no model was asked, no tokens spent
    error: str | None = None  # with a fallback: the class name of the failure it replaced


@runtime_checkable
class LanguageModel(Protocol):
    async def complete(self, request: Request) -> Reply: ...


@cache
def json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of an answer shape (computed once per shape)."""
    return schema.model_json_schema()


def messages(system: str, user: str) -> tuple[Message, ...]:
    return ({"role": "system", "content": system}, {"role": "user", "content": user})


def rough_tokens(text: str) -> int:
    """A token estimate for models that do not count (about four characters a token)."""
    return max(1, len(text) // 4)
