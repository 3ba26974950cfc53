"""The scripted model behind real HTTP: a stub server that answers as `--llm scripted` would.

For the speed benchmarks, which time the real client path (the openai client, the wrappers,
HTTP, a simulated latency) while the town behaves exactly as on the scripted model: the same
answers, so the same requests, as many of them. The scripted rules read a request's facts,
which never go over the wire; so the client side notes each request as it sends it
(`ScriptedAnswers.noting(backend)`), and the server, in the same process, finds it again by
its messages (`StubServer(answer=answers)`). A request it cannot find (a repair, another
client) gets the stub's usual schema instance.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from town.llm.base import LanguageModel, Reply, Request
from town.llm.scripted import Rule, ScriptedModel


class ScriptedAnswers:
    def __init__(self, rules: Mapping[str, Rule] | None = None, seed: int = 0) -> None:
        self.model = ScriptedModel(rules, seed=seed)
        self.found = 0  # requests answered by the rules
        self.missed = 0  # requests it did not know (answered by the stub itself)
        # Requests on their way, by their messages, with how many of that kind are on the way:
        # the same question may be asked twice at once.
        self._sent: dict[str, tuple[Request, int]] = {}
        self._lock = threading.Lock()  # the client's loop writes, the server's threads read

    def noting(self, backend: LanguageModel) -> LanguageModel:
        """`backend`, noting each request it sends for the server to answer."""
        return _Noting(backend, self)

    def __call__(self, body: dict[str, Any]) -> str | None:
        """The stub server's answer hook: the scripted answer's text, or None."""
        with self._lock:
            sent = self._sent.get(digest(body.get("messages") or ()))
            if sent is None:
                self.missed += 1
                return None
            self.found += 1
        return self.model.reply(sent[0]).text

    def sent(self, request: Request) -> str:
        key = digest(dict(m) for m in request.messages)
        with self._lock:
            _, n = self._sent.get(key, (request, 0))
            self._sent[key] = (request, n + 1)
        return key

    def answered(self, key: str) -> None:
        with self._lock:
            request, n = self._sent[key]
            if n > 1:
                self._sent[key] = (request, n - 1)
            else:
                del self._sent[key]


class _Noting:
    def __init__(self, model: LanguageModel, answers: ScriptedAnswers) -> None:
        self.model = model
        self.answers = answers

    def __repr__(self) -> str:
        return f"ScriptedAnswers.noting({self.model!r})"

    async def complete(self, request: Request) -> Reply:
        key = self.answers.sent(request)
        try:
            return await self.model.complete(request)
        finally:
            self.answers.answered(key)


def digest(messages: Iterable[Mapping[str, Any]]) -> str:
    """Messages as the server receives them (JSON), hashed; the same on both sides."""
    raw = json.dumps([dict(m) for m in messages], sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()
