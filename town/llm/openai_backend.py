"""Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, LM Studio, llama.cpp servers) through
the `openai` client; several endpoints are used in turn.

Structured answers: each endpoint is asked in the best form it supports (`STRUCTURED`), and an
endpoint that refuses a form is moved down to the next for the rest of the run. Every answer is
validated; an invalid one (empty, not JSON, wrong shape) gets ONE repair request, then the
request fails with `InvalidAnswer` (and the fallback wrapper takes over). HTTP failures become
the errors of town.llm.errors; the client's own retries are off, retrying is the stack's job.
A 200 that carries no chat completion (a proxy's HTML page, an empty or cut-off body, no
`choices`) is the server failing, not the model: a `ServerError`, retried like a 500.

The key goes to the client and nowhere else: not in reprs, logs or error messages.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai
from pydantic import BaseModel, ValidationError

from town.llm.base import Message, Reply, Request, json_schema, rough_tokens
from town.llm.errors import (
    ConnectionFailed,
    InvalidAnswer,
    ModelError,
    ModelTimeout,
    RateLimited,
    Rejected,
    ServerError,
    scrub,
)
from town.llm.meter import Counters
from town.llm.retry import parse_retry_after

log = logging.getLogger(__name__)

# How a structured answer is asked for, best first.
JSON_SCHEMA = "json_schema"  # OpenAI's form; OpenAI, vLLM, Ollama, LM Studio, llama.cpp's server
GRAMMAR = "grammar"  # llama-cpp-python's form: {"type": "json_object", "schema": ...} makes it
#                      constrain decoding with a grammar built from the schema
JSON_OBJECT = "json_object"  # JSON mode, the schema written into the prompt as well
TEXT = "text"  # no response_format at all: only the prompt asks for the shape
STRUCTURED = (JSON_SCHEMA, GRAMMAR, JSON_OBJECT, TEXT)
DOWNGRADE = {JSON_SCHEMA: JSON_OBJECT, GRAMMAR: JSON_OBJECT, JSON_OBJECT: TEXT}

SCHEMA_NOTE = "\n\nAnswer with one JSON object only, valid under this JSON schema:\n{schema}"
REPAIR = (
    "That answer cannot be used: {problem}. Reply again with the corrected JSON object only, "
    "of exactly the requested shape, and nothing else."
)
NO_KEY = "no-key"  # local servers need none, but the client insists on one


@dataclass(frozen=True, slots=True, repr=False)
class Endpoint:
    base_url: str
    api_key: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return f"Endpoint({self.url!r})"

    @property
    def url(self) -> str:
        """The base URL as it may be shown: without any user:password part."""
        parts = urlsplit(self.base_url)
        if parts.username is None and parts.password is None:
            return self.base_url
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, slots=True)
class _Answer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    cut_off: bool = False  # it stopped at max_tokens


class OpenAIBackend:
    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        model: str,
        *,
        structured: str = JSON_SCHEMA,
        timeout: float | None = None,
        counters: Counters | None = None,
    ) -> None:
        if not endpoints:
            raise ValueError("an OpenAI-compatible backend needs at least one endpoint")
        if structured not in STRUCTURED:
            raise ValueError(f"structured must be one of {STRUCTURED}, not {structured!r}")
        self.endpoints = list(endpoints)
        self.model = model
        self.modes = [structured] * len(self.endpoints)  # per endpoint: how it is asked now
        self.timeout = timeout  # the client's own limit: a backstop for the Timeout wrapper
        self.counters = counters or Counters()
        self._turn = itertools.count()
        self._clients: dict[int, openai.AsyncOpenAI] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        urls = ", ".join(e.url for e in self.endpoints)
        return f"OpenAIBackend(model={self.model!r}, endpoints=[{urls}])"

    def _client(self, i: int) -> openai.AsyncOpenAI:
        # A client's connections belong to the event loop that opened them: a new loop (the
        # viewer's, another asyncio.run) gets new clients. The old ones are dropped, not closed
        # (their loop is gone); they get a plain HTTP client because the client's default one,
        # when collected, schedules its closing on whatever loop runs then, which fails.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._clients, self._loop = {}, loop
        if i not in self._clients:
            endpoint = self.endpoints[i]
            self._clients[i] = openai.AsyncOpenAI(
                base_url=endpoint.base_url,
                api_key=endpoint.api_key or NO_KEY,
                max_retries=0,
                timeout=self.timeout,
                http_client=openai.DefaultAsyncHttpxClient(),
            )
        return self._clients[i]

    async def aclose(self) -> None:
        """Close the connections opened on the running loop (before it ends)."""
        if self._loop is asyncio.get_running_loop():
            for client in self._clients.values():
                await client.close()
        self._clients, self._loop = {}, None

    async def complete(self, request: Request) -> Reply:
        i = next(self._turn) % len(self.endpoints)
        answer = await self._ask(i, request, [])
        try:
            return self._accept(request, answer)
        except InvalidAnswer as err:
            self._discard(request, answer)
            problem = str(err)
            if answer.cut_off:  # small models ramble inside long string fields
                problem += f"; it was cut off at {request.max_tokens} tokens: write less"
        self.counters.count(request.purpose, "repairs")
        repair = [
            {"role": "assistant", "content": answer.text[:4000]},
            {"role": "user", "content": REPAIR.format(problem=problem)},
        ]
        answer = await self._ask(i, request, repair)
        try:
            return self._accept(request, answer)
        except InvalidAnswer as err:
            self._discard(request, answer)
            raise InvalidAnswer(
                f"{self.endpoints[i].url}: the {request.purpose} answer is still invalid after a "
                f"repair request: {err}"
            ) from None

    def _accept(self, request: Request, answer: _Answer) -> Reply:
        text = answer.text.strip()
        if not text:
            raise InvalidAnswer("the answer was empty")
        value = parse(text, request.schema) if request.schema is not None else None
        tokens = answer.prompt_tokens, answer.completion_tokens
        return Reply(text, value, *tokens, model=answer.model)

    def _discard(self, request: Request, answer: _Answer) -> None:
        self.counters.count(request.purpose, "invalid")
        self.counters.spend(
            request.purpose, answer.model, answer.prompt_tokens, answer.completion_tokens
        )

    async def _ask(self, i: int, request: Request, extra: list[Message]) -> _Answer:
        endpoint = self.endpoints[i]
        while True:
            mode = self.modes[i]
            try:
                completion = await self._client(i).chat.completions.create(
                    model=self.model,
                    messages=self._messages(request, mode, extra),  # type: ignore[arg-type]
                    max_tokens=request.max_tokens,
                    temperature=request.temperature,
                    **self._format(request, mode),
                )
            except openai.APIStatusError as err:
                if request.schema is not None and mode in DOWNGRADE and _about_format(err):
                    if self.modes[i] == mode:  # concurrent refusals move it down once
                        self.modes[i] = DOWNGRADE[mode]
                        log.warning(
                            "%s does not take response_format %s; asking it with %s from now on",
                            endpoint.url, mode, self.modes[i],
                        )  # fmt: skip
                    continue
                raise _failure(err, endpoint) from None
            except openai.APITimeoutError:
                raise ModelTimeout(f"{endpoint.url} did not answer in time") from None
            except openai.APIConnectionError:
                raise ConnectionFailed(f"cannot reach {endpoint.url}") from None
            except openai.OpenAIError as err:  # anything else the client refuses to hand back
                message = scrub(str(err), endpoint.api_key)[:300]
                raise ModelError(f"{endpoint.url}: {type(err).__name__}: {message}") from None
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                # The client parses a body labelled JSON with json.loads and lets its error out.
                raise ServerError(
                    f"{endpoint.url} answered 200 with a body that is not JSON ({err})"
                ) from None
            return self._answer(completion, request, extra, endpoint)

    def _messages(self, request: Request, mode: str, extra: list[Message]) -> list[dict[str, str]]:
        sent = [dict(m) for m in request.messages]
        if request.schema is not None and mode in (JSON_OBJECT, TEXT):
            note = SCHEMA_NOTE.format(schema=json.dumps(json_schema(request.schema)))
            sent[-1]["content"] += note
        return sent + [dict(m) for m in extra]

    def _format(self, request: Request, mode: str) -> dict[str, Any]:
        if request.schema is None or mode == TEXT:
            return {}
        schema = json_schema(request.schema)
        if mode == JSON_SCHEMA:
            name = re.sub(r"[^A-Za-z0-9_-]", "_", request.schema.__name__)[:64]
            form = {"name": name, "schema": schema, "strict": True}
            return {"response_format": {"type": "json_schema", "json_schema": form}}
        return {"response_format": {"type": "json_object", "schema": schema}}

    def _answer(
        self, completion: Any, request: Request, extra: list[Message], endpoint: Endpoint
    ) -> _Answer:
        # The client builds its objects from the body unchecked: any part may be missing or of
        # another type, and a body not labelled JSON comes back as its text.
        if isinstance(completion, str):
            page = " ".join(scrub(completion, endpoint.api_key).split())[:120]
            raise ServerError(f"{endpoint.url} answered 200 with a body that is not JSON: {page!r}")
        model = getattr(completion, "model", None)
        model = model if isinstance(model, str) and model else self.model
        usage = getattr(completion, "usage", None)
        prompt, produced = _count(usage, "prompt_tokens"), _count(usage, "completion_tokens")
        choices = getattr(completion, "choices", None)
        choice = choices[0] if isinstance(choices, list) and choices else None
        message = getattr(choice, "message", None)
        if message is None:
            if prompt is not None:  # what the server says it spent is spent, answer or not
                self.counters.spend(request.purpose, model, prompt, produced or 0)
            raise ServerError(f"{endpoint.url} answered 200 without a chat completion (no choices)")
        content = getattr(message, "content", None)
        text = content if isinstance(content, str) else ""  # null content: an empty answer
        if prompt is None:  # some servers do not count
            prompt = sum(rough_tokens(m["content"]) for m in [*request.messages, *extra])
            produced = rough_tokens(text) if text else 0
        cut_off = getattr(choice, "finish_reason", None) == "length"
        return _Answer(text, prompt, produced or 0, model, cut_off)


def _count(usage: Any, name: str) -> int | None:
    """A token count from a completion's usage, if the server gave one."""
    value = getattr(usage, name, None)
    return value if isinstance(value, int) and value >= 0 else None


def parse(text: str, schema: type[BaseModel]) -> BaseModel:
    """The answer validated against its schema; code fences and prose around the one JSON
    object are tolerated. Raises InvalidAnswer saying what is wrong."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[-1].rsplit("```", 1)[0]
    try:
        return schema.model_validate_json(body)
    except ValidationError as err:
        first, last = body.find("{"), body.rfind("}")
        if _not_json(err) and 0 <= first < last and (first, last) != (0, len(body) - 1):
            return parse(body[first : last + 1], schema)
        raise InvalidAnswer(_describe(err)) from None


def _not_json(err: ValidationError) -> bool:
    return any(e["type"] == "json_invalid" for e in err.errors())


def _describe(err: ValidationError) -> str:
    if _not_json(err):
        return f"it is not valid JSON ({err.errors()[0]['msg']})"
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'the answer'}: {e['msg']}"
        for e in err.errors()[:4]
    ]
    more = f" (and {err.error_count() - 4} more)" if err.error_count() > 4 else ""
    return "it does not have the requested shape: " + "; ".join(problems) + more


def _about_format(err: openai.APIStatusError) -> bool:
    """Whether a refusal is about the response_format (the form, not the request)."""
    if err.status_code not in (400, 422, 500):
        return False
    detail = _detail(err).lower()
    return "response_format" in detail or "json_schema" in detail


def _detail(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        return str(message if message is not None else body)
    return str(body if body is not None else err.message)


def _failure(err: openai.APIStatusError, endpoint: Endpoint) -> ModelError:
    status = err.status_code
    detail = " ".join(scrub(_detail(err), endpoint.api_key).split())[:300]
    message = f"{endpoint.url} answered {status}: {detail}"
    headers = err.response.headers
    wait = parse_retry_after(headers.get("retry-after"))
    if wait is None and (ms := parse_retry_after(headers.get("retry-after-ms"))) is not None:
        wait = ms / 1000
    if status == 429:
        return RateLimited(message, wait)
    if status in (408, 409) or status >= 500:
        return ServerError(message, wait)
    return Rejected(message)
