"""`town llm check`: is the model there, how fast does it answer, do structured answers work?

Prints the backend, the model, a test answer with its latency and a schema-constrained answer
with its latency. Exit status 0 when both answers came, 1 when the model failed, 2 for a
backend that cannot be used as given.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from town.llm.base import LanguageModel, Reply, Request, messages
from town.llm.errors import BackendError
from town.llm.select import add_llm_arguments, open_model, spec_from_args

SYSTEM = "You are a friendly villager in a small town. Answer briefly."
FORMS = {
    "json_schema": "a JSON schema in response_format",
    "grammar": "decoding constrained by a grammar built from the JSON schema",
    "json_object": "JSON mode, the schema in the prompt",
    "text": "the schema in the prompt only",
}


class Greeting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mood: Literal["cheerful", "calm", "tired"]
    greeting: str = Field(min_length=1, max_length=80)


def add_check_command(commands: argparse._SubParsersAction) -> None:
    """`town llm check [--llm ...]`, under the `town` command's subparsers."""
    llm = commands.add_parser(
        "llm", help="language-model tools", description="Language-model tools."
    )
    tools = llm.add_subparsers(title="commands", required=True, metavar="COMMAND")
    check = tools.add_parser(
        "check",
        help="ask the model two test questions",
        description="Show the backend and model, a test answer with its latency, and whether "
        "structured (JSON schema) answers work.",
    )
    add_llm_arguments(check)
    check.set_defaults(command=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    try:
        spec = spec_from_args(args)
        with open_model(spec) as stack:
            print(f"backend: {stack.description}")
            print(f"model: {stack.model_name}")
            ok = asyncio.run(_ask(stack.model))
            modes = getattr(stack.backend, "modes", None)
            if ok and modes:
                print(f"structured form: {', '.join(FORMS[m] for m in sorted(set(modes)))}")
            print(f"usage: {stack.meter.total().summary()}")
            return 0 if ok else 1
    except BackendError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


async def _ask(model: LanguageModel) -> bool:
    text = Request(
        messages(SYSTEM, "Say good morning to your neighbour, in one short sentence."),
        purpose="check",
        max_tokens=40,
    )
    shaped = Request(
        messages(
            SYSTEM,
            "How do you feel this morning, and what do you say to your neighbour? Answer in "
            'JSON with "mood" (cheerful, calm or tired) and "greeting" (one short sentence).',
        ),
        purpose="check",
        schema=Greeting,
        max_tokens=80,
    )
    ok = True
    for label, request in (("test answer", text), ("structured answers", shaped)):
        started = time.perf_counter()
        try:
            reply = await model.complete(request)
        except Exception as err:
            print(f"{label}: FAILED after {time.perf_counter() - started:.2f} s: {err}")
            ok = False
            continue
        seconds = time.perf_counter() - started
        verdict = "work: " if request.schema else ""
        print(f"{label}: {verdict}{_shown(reply)} in {seconds:.2f} s ({_tokens(reply)})")
    return ok


def _shown(reply: Reply) -> str:
    text = " ".join(reply.text.split())
    return repr(text if len(text) <= 160 else text[:157] + "...")


def _tokens(reply: Reply) -> str:
    return f"{reply.prompt_tokens} prompt + {reply.completion_tokens} completion tokens"
