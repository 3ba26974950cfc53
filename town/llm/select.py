"""Choosing a backend from the command line (--llm and its companions) or the environment, and
opening it: `open_model(spec)` yields the composed stack and, for the local backend, owns the
server it starts.

    --llm scripted         rules, instant; tests and engine measurements (never the default)
    --llm local            Qwen2.5-Coder-0.5B-Instruct on an embedded llama.cpp server (default
                           when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set)
    --llm local:smollm2    SmolLM2-135M-Instruct, likewise (faster, weaker)
    --llm local:qwen1.5b   Qwen2.5-Coder-1.5B-Instruct, likewise (slower, better; `make models`)
    --llm openai           any OpenAI-compatible endpoint: OPENAI_BASE_URL (comma-separated for
                           several, used in turn) or --base-url, OPENAI_API_KEY, TOWN_MODEL or
                           --model
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from town.llm.errors import BackendError
from town.llm.local import LocalServer
from town.llm.meter import Counters
from town.llm.models import LOCAL_MODELS, model_file
from town.llm.openai_backend import GRAMMAR, JSON_SCHEMA, Endpoint, OpenAIBackend
from town.llm.prices import Prices
from town.llm.recorder import Observer
from town.llm.scripted import Rule, ScriptedModel
from town.llm.stack import Stack, compose

__all__ = [
    "BACKENDS",
    "BackendError",
    "BackendSpec",
    "add_llm_arguments",
    "default_backend",
    "open_model",
    "spec_from_args",
]

BACKENDS = ("local", "local:smollm2", "local:qwen1.5b", "openai", "scripted")
OPENAI_URL = "https://api.openai.com/v1"
OPENAI_MODEL = "gpt-4o-mini"  # the default model on OpenAI's own endpoint
LOCAL_TIMEOUT = 120.0  # seconds: a day plan takes several on two cores
REMOTE_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class BackendSpec:
    kind: str  # one of BACKENDS (or "local:qwen", the same as "local")
    base_urls: tuple[str, ...] = ()
    api_key: str = field(default="", repr=False)
    model: str | None = None
    max_in_flight: int | None = None  # None: the caller's default (1 for a local server)
    timeout: float | None = None  # seconds per request; None: a default for the backend
    prices: Path | None = None  # a TOML price table; None: TOWN_PRICES or the defaults


def default_backend() -> str:
    """The embedded local model unless an OpenAI-compatible endpoint is configured."""
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        return "openai"
    return "local"


def add_llm_arguments(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    group = parser.add_argument_group("language model")
    group.add_argument(
        "--llm",
        metavar="BACKEND",
        help=f"model backend: {', '.join(BACKENDS)} (default: "
        f"{default or 'local, or openai when OPENAI_API_KEY or OPENAI_BASE_URL is set'})",
    )
    group.add_argument(
        "--base-url",
        action="append",
        metavar="URL",
        help="an OpenAI-compatible endpoint, e.g. http://localhost:11434/v1; repeat it to use "
        "several in turn (default: OPENAI_BASE_URL, comma-separated, or OpenAI's)",
    )
    group.add_argument("--model", help="the model to ask (default: TOWN_MODEL, or gpt-4o-mini)")
    group.add_argument(
        "--api-key",
        metavar="KEY",
        help="the endpoint's key; better set OPENAI_API_KEY: a key on the command line is "
        "visible to other users (ps) and kept in shell history",
    )
    group.add_argument(
        "--max-in-flight", type=int, metavar="N", help="model requests running at once"
    )
    group.add_argument("--timeout", type=float, metavar="SECONDS", help="limit per request")
    group.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="a TOML table of USD per million input/output tokens per model "
        "(default: TOWN_PRICES, or built-in prices)",
    )


def spec_from_args(args: argparse.Namespace) -> BackendSpec:
    """The backend the parsed arguments ask for; BackendError for what makes no sense."""
    base_urls = tuple(getattr(args, "base_url", None) or ())
    api_key = getattr(args, "api_key", None) or ""
    kind = getattr(args, "llm", None) or ("openai" if base_urls else default_backend())
    if kind not in (*BACKENDS, "local:qwen"):
        raise BackendError(f"unknown backend --llm {kind!r}; choose one of {', '.join(BACKENDS)}")
    if kind != "openai" and (base_urls or api_key):
        raise BackendError(f"--base-url and --api-key are for --llm openai, not --llm {kind}")
    in_flight, timeout = getattr(args, "max_in_flight", None), getattr(args, "timeout", None)
    if in_flight is not None and in_flight < 1:
        raise BackendError(f"--max-in-flight must be at least 1, not {in_flight}")
    if timeout is not None and timeout <= 0:
        raise BackendError(f"--timeout must be positive, not {timeout:g}")
    return BackendSpec(
        kind=kind,
        base_urls=base_urls,
        api_key=api_key,
        model=getattr(args, "model", None),
        max_in_flight=in_flight,
        timeout=timeout,
        prices=getattr(args, "prices", None),
    )


@contextmanager
def open_model(
    spec: BackendSpec,
    *,
    max_in_flight: int = 8,
    seed: int = 0,
    rules: Mapping[str, Rule] | None = None,
    observer: Observer | None = None,
    cache_dir: Path | None = None,
) -> Iterator[Stack]:
    """The composed stack for `spec`, for the length of the `with` block. A local server is
    started first and stopped when the block ends, however it ends."""
    counters = Counters(Prices.load(spec.prices))
    in_flight = spec.max_in_flight or max_in_flight
    with ExitStack() as resources:
        if spec.kind == "scripted":
            backend = ScriptedModel(rules, seed=seed)
            timeout = spec.timeout or REMOTE_TIMEOUT
            description, name = f"scripted (seed {seed})", "scripted"
        elif spec.kind in LOCAL_MODELS:
            local = LOCAL_MODELS[spec.kind]
            path = model_file(local, cache_dir)
            server = resources.enter_context(LocalServer(path, alias=local.alias))
            timeout = spec.timeout or LOCAL_TIMEOUT
            # The server answers one request at a time; more in flight would only queue inside
            # it, where their timeout runs.
            in_flight = spec.max_in_flight or 1
            backend = OpenAIBackend(
                [Endpoint(server.base_url)],
                local.alias,
                structured=GRAMMAR,
                timeout=timeout + 5,
                counters=counters,
            )
            description = f"{spec.kind}: {local.title} on llama.cpp at {server.base_url}"
            name = local.alias
        elif spec.kind == "openai":
            endpoints, name = _endpoints(spec)
            timeout = spec.timeout or REMOTE_TIMEOUT
            backend = OpenAIBackend(
                endpoints, name, structured=JSON_SCHEMA, timeout=timeout + 5, counters=counters
            )
            description = f"openai-compatible: {', '.join(e.url for e in endpoints)}"
        else:
            raise BackendError(f"unknown backend {spec.kind!r}; choose one of {BACKENDS}")
        yield compose(
            backend,
            max_in_flight=in_flight,
            timeout=timeout,
            counters=counters,
            observer=observer,
            description=description,
            model_name=name,
        )


def _endpoints(spec: BackendSpec) -> tuple[list[Endpoint], str]:
    urls = list(spec.base_urls)
    if not urls:
        urls = [u.strip() for u in os.environ.get("OPENAI_BASE_URL", "").split(",") if u.strip()]
    urls = urls or [OPENAI_URL]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            shown = Endpoint(url).url
            raise BackendError(f"{shown!r} is not an http(s) URL of an OpenAI-compatible endpoint")
    key = spec.api_key or os.environ.get("OPENAI_API_KEY", "")
    openai_hosted = [u for u in urls if urlsplit(u).hostname == urlsplit(OPENAI_URL).hostname]
    if openai_hosted and not key:
        raise BackendError(
            "OpenAI's API needs a key: set OPENAI_API_KEY (or, for a local OpenAI-compatible "
            "server that needs none, set OPENAI_BASE_URL or --base-url to it)"
        )
    model = spec.model or os.environ.get("TOWN_MODEL")
    if not model:
        if len(openai_hosted) < len(urls):
            raise BackendError(
                "which model? set TOWN_MODEL or --model to a model the endpoint serves"
            )
        model = OPENAI_MODEL
    return [Endpoint(url, key) for url in urls], model
