"""A small OpenAI-compatible server on 127.0.0.1 that misbehaves on request, for the tests and
the benchmarks: real HTTP, the real client, faults injected from a plan.

It serves POST /v1/chat/completions and GET /v1/models from a background thread. Answers are
valid instances of the request's JSON schema (town.llm.scripted.instance_of, deterministic per
request), or plain text, or whatever an `answer` hook returns (town.llm.scripted_serving: the
scripted model's answers). Faults come first from a fixed sequence, then with a seeded
probability per kind; `served` counts what it did, by outcome.

It also stands in for a serving engine in the speed benchmarks: a latency per request (fixed or
sampled), a time per answer token, and a limit on the requests it serves at once (the rest
queue, as in vLLM or llama.cpp). It keeps its own account of its load (`load()`): how long at
least one request was being served, and requests-in-service integrated over time.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from town.llm.scripted import instance_of

OK = "ok"
FAULTS = (
    "rate_limit",  # 429 with Retry-After
    "server_error",  # 500
    "hang",  # no answer for `hang_seconds` (longer than the client's timeout)
    "invalid_json",  # 200, but the content is not JSON: cut off, as at max_tokens
    "schema_invalid",  # 200, JSON of the wrong shape
    "empty",  # 200, empty content
    "slow",  # a valid answer after `slow_seconds`
    "auth",  # 401, quoting the key it was sent (as a careless server might)
    # 200s whose body is no chat completion (a proxy or a failing server in front of a model):
    "html",  # an HTML error page, as text/html
    "html_json",  # the same page labelled application/json (a proxy keeping the headers)
    "empty_body",  # no body at all
    "truncated_body",  # the JSON body cut off
    "no_choices",  # JSON with usage but without `choices`
    "null_content",  # a choice whose message content is null
)
RAW_BODIES = ("html", "html_json", "empty_body", "truncated_body")  # not JSON data
PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><h1>Bad Gateway</h1><p>The upstream server is unavailable.</p></body></html>\n"
)
Answer = Callable[[dict[str, Any]], str | None]  # a request body -> the content, or None
Body = dict[str, Any] | bytes  # JSON data, or bytes sent as they are


@dataclass(frozen=True, slots=True)
class ServerLoad:
    """The stub's account of its work since it started, at one moment (time.monotonic())."""

    at: float
    requests: int  # answered (any outcome)
    busy_seconds: float  # time with at least one request in service
    request_seconds: float  # requests in service, integrated over time
    delay_seconds: float  # latency and token time it applied, summed over requests
    peak: int  # most requests in service at once
    queued_peak: int  # most requests waiting for a slot at once

    def __sub__(self, earlier: ServerLoad) -> ServerLoad:
        """The load between two readings (peaks: the later reading's)."""
        return ServerLoad(
            self.at - earlier.at,
            self.requests - earlier.requests,
            self.busy_seconds - earlier.busy_seconds,
            self.request_seconds - earlier.request_seconds,
            self.delay_seconds - earlier.delay_seconds,
            self.peak,
            self.queued_peak,
        )


class StubServer:
    def __init__(
        self,
        *,
        faults: Sequence[str | None] = (),
        rates: Mapping[str, float] | None = None,
        seed: int = 0,
        latency: float | tuple[float, float] = 0.0,
        tokens_per_second: float | None = None,
        concurrency: int | None = None,
        retry_after: str = "1",
        hang_seconds: float = 30.0,
        slow_seconds: float = 0.5,
        json_schema: bool = True,
        api_key: str | None = None,
        model: str = "stub-model",
        answer: Answer | None = None,
    ) -> None:
        for kind in [*faults, *(rates or {})]:
            if kind is not None and kind not in FAULTS:
                raise ValueError(f"unknown fault {kind!r}; faults: {', '.join(FAULTS)}")
        self.plan = deque(faults)  # the first requests get these (None: a normal answer)
        self.rates = dict(rates or {})  # then each fault with this probability
        if sum(self.rates.values()) > 1:
            raise ValueError("the fault rates add up to more than 1")
        self.seed = seed
        self.rng = random.Random(seed)  # for sampled latencies
        self.latency = latency  # seconds, or a (low, high) range sampled per request
        self.tokens_per_second = tokens_per_second  # the answer's tokens take this long too
        self.retry_after = retry_after  # the Retry-After header of a 429: seconds or an HTTP date
        self.hang_seconds = hang_seconds
        self.slow_seconds = slow_seconds
        self.json_schema = json_schema  # False: refuse OpenAI's json_schema form, as
        #                                 llama-cpp-python's server does
        self.api_key = api_key  # when set, any other key gets a 401
        self.model = model
        self.answer = answer  # content for a normal answer; None from it: a schema instance
        self.served: Counter[str] = Counter()
        self._asked: Counter[str] = Counter()
        self.received: deque[dict[str, Any]] = deque(maxlen=1000)  # request bodies, latest last
        self.in_flight = 0  # requests in service (past the concurrency limit's queue)
        self.peak = 0
        self.queued = 0  # requests waiting for a slot
        self.queued_peak = 0
        self._slots = threading.BoundedSemaphore(concurrency) if concurrency else None
        self._lock = threading.Lock()
        self._busy = 0.0  # the load account, brought up to `_since` at every change
        self._request_seconds = 0.0
        self._delay_seconds = 0.0
        self._since = time.monotonic()
        self._stopping = threading.Event()
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._http is None:
            raise RuntimeError("the stub server is not running")
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def __enter__(self) -> StubServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # ends hanging answers
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._thread is not None:
            self._thread.join()

    def requests(self) -> int:
        return sum(self.served.values())

    def load(self) -> ServerLoad:
        with self._lock:
            self._account()
            return ServerLoad(
                self._since,
                sum(self.served.values()),
                self._busy,
                self._request_seconds,
                self._delay_seconds,
                self.peak,
                self.queued_peak,
            )

    def _account(self) -> None:
        """Bring the load account up to now; call with the lock held, before `in_flight`
        changes."""
        now = time.monotonic()
        if self.in_flight:
            self._busy += now - self._since
            self._request_seconds += self.in_flight * (now - self._since)
        self._since = now

    def serve(self, body: dict[str, Any], key: str) -> tuple[int, dict[str, str], Body]:
        """One request through the concurrency limit: it waits for a slot, as at an engine."""
        if self._slots is not None and not self._slots.acquire(blocking=False):
            with self._lock:
                self.queued += 1
                self.queued_peak = max(self.queued_peak, self.queued)
            self._slots.acquire()
            with self._lock:
                self.queued -= 1
        with self._lock:
            self._account()
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            return self.chat(body, key)
        finally:
            with self._lock:
                self._account()
                self.in_flight -= 1
            if self._slots is not None:
                self._slots.release()

    # -- answering ------------------------------------------------------------------------------

    def _next_fault(self, body: dict[str, Any]) -> str | None:
        """The next fault of the plan, else a draw seeded by the request and how often it was
        asked before: the same run of requests meets the same faults, whatever order
        concurrent requests arrive in."""
        with self._lock:
            if self.plan:
                return self.plan.popleft()
            digest = _digest(body)
            self._asked[digest] += 1
            draw = random.Random(f"{self.seed}:{digest}:{self._asked[digest]}").random()
        for kind, rate in self.rates.items():
            if draw < rate:
                return kind
            draw -= rate
        return None

    def _delay(self) -> float:
        if isinstance(self.latency, tuple):
            with self._lock:
                return self.rng.uniform(*self.latency)
        return self.latency

    def chat(self, body: dict[str, Any], key: str) -> tuple[int, dict[str, str], Body]:
        """Status, headers and body (JSON data, or bytes sent as they are) of the answer to
        one chat request."""
        with self._lock:
            self.received.append(body)
        fault = self._next_fault(body)
        if self.api_key is not None and key != self.api_key:
            fault = "auth"
        form = body.get("response_format") or {}
        if form.get("type") == "json_schema" and not self.json_schema:
            return (
                self._count("refused_format"),
                {},
                _error(
                    "1 validation error: ('body', 'response_format', 'type') Input should be "
                    "'text' or 'json_object'"
                ),
            )
        if fault == "rate_limit":
            headers = {"Retry-After": self.retry_after}
            return self._count(fault, 429), headers, _error("Rate limit reached, slow down")
        if fault == "server_error":
            return self._count(fault, 500), {}, _error("The server had an error")
        if fault == "auth":
            return self._count(fault, 401), {}, _error(f"Incorrect API key provided: {key}")
        wait = self._delay()
        if fault == "hang":
            wait += self.hang_seconds
        elif fault == "slow":
            wait += self.slow_seconds
        content = self._content(body, fault)
        if self.tokens_per_second:
            wait += _tokens(content) / self.tokens_per_second
        if wait > 0:
            with self._lock:
                self._delay_seconds += wait
            self._stopping.wait(wait)
        self._count(fault or OK)
        if fault in RAW_BODIES:
            return 200, *_broken(fault)
        prompt = sum(_tokens(str(m.get("content", ""))) for m in body.get("messages", []))
        answer = {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    # A cut-off answer is what a model stopped at max_tokens sends.
                    "finish_reason": "length" if fault == "invalid_json" else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": _tokens(content),
                "total_tokens": prompt + _tokens(content),
            },
        }  # fmt: skip
        if fault == "no_choices":
            del answer["choices"]
        elif fault == "null_content":
            answer["choices"][0]["message"]["content"] = None
        return 200, {}, answer

    def _count(self, outcome: str, status: int = 500) -> int:
        with self._lock:
            self.served[outcome] += 1
        return status

    def _content(self, body: dict[str, Any], fault: str | None) -> str:
        if fault == "invalid_json":
            return '{"answer": "cut off in the midd'
        if fault == "schema_invalid":
            return '{"unexpected": "a field no schema asked for"}'
        if fault == "empty":
            return ""
        if self.answer is not None and (text := self.answer(body)) is not None:
            return text
        form = body.get("response_format") or {}
        schema = form.get("schema") or (form.get("json_schema") or {}).get("schema")
        if schema is None:
            return "{}" if form.get("type") == "json_object" else "Okay."
        return json.dumps(instance_of(schema, random.Random(_digest(body))))


def _broken(fault: str) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of a 200 that carries no chat completion."""
    if fault == "html":
        return {"Content-Type": "text/html; charset=utf-8"}, PAGE
    if fault == "html_json":
        return {}, PAGE  # sent as application/json, the default
    if fault == "empty_body":
        return {}, b""
    return {}, b'{"id": "chatcmpl-stub", "object": "chat.completion", "choices": [{"ind'


def _digest(body: dict[str, Any]) -> str:
    asked = [body.get("messages"), body.get("response_format")]
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()


def _tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "stub_error", "param": None, "code": None}}


def _handler(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
        # One segment per answer, sent at once: headers and body written apart, with Nagle's
        # algorithm on, wait for the client's delayed ACK (40 ms) on some answers.
        disable_nagle_algorithm = True
        wbufsize = 1 << 16

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, {}, {"object": "list", "data": [{"id": stub.model}]})
            else:
                self._send(404, {}, _error(f"no route {self.path}"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {}, _error(f"no route {self.path}"))
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._send(400, {}, _error("the request body is not JSON"))
                return
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            self._send(*stub.serve(body, key))

        def _send(self, status: int, headers: Mapping[str, str], body: Body) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **headers}
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout): nothing to answer

    return Handler
