"""Language models: what a typical agent request costs on the bundled local models, and what
the wrapper stack adds to every request.

- Local models (Qwen2.5-Coder-0.5B-Instruct, SmolLM2-135M-Instruct), each on its own embedded
  llama.cpp server, through the full stack: seconds per request for a day plan, an action/place
  choice among 60 places (an enum in the schema) and a one-line utterance. Grammar-constrained
  JSON; temperature 0; every prompt distinct (no cache hits).
- Wrapper overhead: the full stack against the bare backend, both on a zero-latency stub server
  over real HTTP, interleaved in one run; and the wrappers alone around an instant in-process
  model (no HTTP at all).

The request shapes are modelled on the prompts of town/mind; they are defined here so that the
figures stay comparable while those prompts change.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from benchmarks.harness import percentile, publish, summary_ms, table
from town.llm import Counters, Reply, Request, compose, messages
from town.llm.errors import BackendError, ModelError
from town.llm.llama_child import CHECK_FIRST_ENV
from town.llm.local import LocalServer, default_threads
from town.llm.models import QWEN, QWEN_15, SMOLLM2, model_file
from town.llm.openai_backend import GRAMMAR, Endpoint, OpenAIBackend
from town.llm.select import BackendSpec, open_model
from town.llm.stub_server import StubServer
from town.world import load_town, places

ROOT = Path(__file__).resolve().parents[1]
MAP = ROOT / "assets" / "maps" / "the_ville.tmx"
MORNING = ROOT / "assets" / "scenarios" / "the_ville_3.toml"
MONDAY = dt.date(2023, 2, 13)  # the morning's day
TOWN_REQUESTS = 30  # the first requests of the_ville_3's morning, in the order they were asked
SAMPLES = 4  # per request kind and model
OVERHEAD_SAMPLES = 400
CONTENTION_LIMIT = 60.0  # seconds: past this, a request is given up
SPEED_HEADERS = ["threads (write / read)", "machine", "read tokens/s", "write tokens/s"]
LOCAL_HEADERS = [
    "model", "request", "n", "median s", "min - max s", "prompt tokens", "completion tokens",
    "valid (no fallback)",
]  # fmt: skip

SYSTEM = (
    "You play {name}, a person living in a small town, in a simulation of everyday life. Think "
    "and act as {name} would, in character. When asked for JSON, answer with JSON of exactly "
    "the requested shape and nothing else."
)
PEOPLE = [
    ("Isabella Rodriguez", "34, friendly, outgoing, hospitable; runs Hobbs Cafe", "06:00", "23:00"),
    ("Maria Lopez", "21, energetic, inquisitive; studies physics at Oak Hill College", "08:00",
     "23:30"),
    ("Klaus Mueller", "20, kind, curious; studies sociology, writes a paper on gentrification",
     "07:00", "23:00"),
    ("Tom Moreno", "50, grumpy but fair; owns The Willows Market and Pharmacy", "06:30", "22:30"),
]  # fmt: skip


class ScheduleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(pattern=r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])
    activity: str = Field(min_length=2, max_length=120)


class DayPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str = Field(max_length=300)
    schedule: list[ScheduleEntry] = Field(min_length=1, max_length=24)


class PlaceChoiceBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: str
    description: str = Field(min_length=2, max_length=80)
    emoji: str = Field(min_length=1, max_length=8)
    object_state: str = Field(min_length=2, max_length=60)


def place_options(n: int = 60) -> tuple[str, ...]:
    town = load_town(MAP)
    world = town.world + places.SEP
    objects = sorted(a.removeprefix(world) for a in town.tiles if places.depth(a) == 4)
    return tuple(random.Random(0).sample(objects, n))


def requests(options: tuple[str, ...]) -> dict[str, list[Request]]:
    choice = create_model("PlaceChoice", __base__=PlaceChoiceBase, place=(Literal[options], ...))
    outline = "\n".join(f"- {o}" for o in options)
    kinds: dict[str, list[Request]] = {"plan": [], "act": [], "utterance": []}
    for i in range(SAMPLES):
        name, persona, wake, sleep = PEOPLE[i % len(PEOPLE)]
        first = name.split()[0]
        system = SYSTEM.format(name=name)
        kinds["plan"].append(
            Request(
                messages(
                    system,
                    f"{name}: {persona}.\n\nToday is Monday February {13 + i}, 2023. {name} woke "
                    f"up at {wake} and usually goes to bed at {sleep}.\nPlaces {first} knows: "
                    "Hobbs Cafe, Oak Hill College, The Willows Market and Pharmacy, Johnson "
                    "Park, The Rose and Crown Pub, Harvey Oak Supply Store, home.\n\n"
                    f"Plan {name}'s day. Give a one-sentence summary of the day's intentions, "
                    "and a schedule from waking until bedtime: a list of entries, each with a "
                    'start time ("HH:MM", 24-hour clock) and what they do then, in a few words '
                    '(for example {"start": "12:00", "activity": "have lunch at Hobbs Cafe"}).',
                ),
                purpose="plan",
                schema=DayPlan,
                agent=name,
                max_tokens=600,
            )
        )
        activity = ["have breakfast", "work on the paper", "buy groceries", "relax"][i % 4]
        kinds["act"].append(
            Request(
                messages(
                    system,
                    f"{name}: {persona}.\n\nIt is {9 + i}:00. Next, until {10 + i}:00, {name} "
                    f"will: {activity}.\nThe places {first} knows, as area:room:object:\n"
                    f"{outline}\n\nWhere does {first} do this? Answer with: place (one of the "
                    "list), description (what they do, present tense, a few words), emoji, and "
                    "object_state (what the object is doing meanwhile, a few words).",
                ),
                purpose="act",
                schema=choice,
                agent=name,
                max_tokens=120,
            )
        )
        other = PEOPLE[(i + 1) % len(PEOPLE)][0]
        kinds["utterance"].append(
            Request(
                messages(
                    system,
                    f"{name}: {persona}.\n\nIt is {8 + i}:15 at Hobbs Cafe. {name} meets "
                    f'{other}, who says: "Morning! Busy day?"\nWhat does {first} say next? '
                    "One short line of dialogue, nothing else.",
                ),
                purpose="converse",
                agent=name,
                max_tokens=60,
            )
        )
    return kinds


async def timed(model, request: Request) -> tuple[float, Reply]:
    started = time.perf_counter()
    reply = await model.complete(request)
    return time.perf_counter() - started, reply


def local_rows(kind: str, label: str, options: tuple[str, ...]) -> tuple[list[list[object]], str]:
    asked = requests(options)
    rows = []
    with open_model(BackendSpec(kind)) as stack:

        async def run() -> None:
            warm = Request(messages("Say hi.", "Hi!"), purpose="warm-up", max_tokens=8)
            await stack.model.complete(warm)  # the first request pays for loading the weights
            for purpose, reqs in asked.items():
                samples = [await timed(stack.model, r) for r in reqs]
                seconds = [s for s, _ in samples]
                replies = [r for _, r in samples]
                rows.append(
                    [
                        label,
                        purpose,
                        len(seconds),
                        f"{statistics.median(seconds):.2f}",
                        f"{min(seconds):.2f} - {max(seconds):.2f}",
                        f"{statistics.fmean(r.prompt_tokens for r in replies):.0f}",
                        f"{statistics.fmean(r.completion_tokens for r in replies):.0f}",
                        f"{sum(not r.fallback for r in replies)}/{len(replies)}",
                    ]
                )
            await stack.backend.aclose()  # type: ignore[attr-defined]

        asyncio.run(run())
        usage = stack.meter.total()
        note = (
            f"{label}: {usage.invalid} invalid answers, {usage.repairs} repairs, "
            f"{usage.fallbacks} fallbacks, {usage.timeouts} timeouts in {usage.requests} requests."
        )
    return rows, note


def post(url: str, body: dict[str, Any]) -> tuple[float, dict[str, Any] | None]:
    """Seconds and answer of one chat request (None when it took longer than the limit)."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url + "/chat/completions", data, {"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=CONTENTION_LIMIT) as response:
            answer = json.load(response)
    except (TimeoutError, urllib.error.URLError):
        return time.perf_counter() - started, None
    return time.perf_counter() - started, answer


def thread_speeds(options: tuple[str, ...]) -> list[list[object]]:
    """Qwen's reading (prompt) and writing (generation) speed for thread settings, with the
    machine idle or one core kept busy by another process."""
    acts = requests(options)["act"]
    path = model_file(QWEN)
    rows: list[list[object]] = []
    for busy in (False, True):
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
        try:
            for threads, batch in ((2, 2), (1, 2), (1, 1)):
                reads, writes = [], []
                with LocalServer(path, alias="q", threads=threads, batch_threads=batch) as server:
                    url = server.base_url
                    post(url, {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2})
                    for act in acts[:2]:  # two different prompts: no reuse of the first one
                        seconds, answer = post(
                            url, {"messages": [dict(m) for m in act.messages], "max_tokens": 1}
                        )
                        reads.append(_speed(answer, "prompt_tokens", seconds))
                        count = f"Count from {len(reads)} to 50, one number a line."
                        seconds, answer = post(
                            url,
                            {"messages": [{"role": "user", "content": count}], "max_tokens": 40},
                        )
                        writes.append(_speed(answer, "completion_tokens", seconds))
                rows.append(
                    [
                        f"{threads} / {batch}",
                        "one core busy" if busy else "idle",
                        _span(reads),
                        _span(writes),
                    ]
                )
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
    return rows


def _speed(answer: dict[str, Any] | None, field: str, seconds: float) -> float | None:
    return answer["usage"][field] / seconds if answer is not None else None


def _span(speeds: list[float | None]) -> str:
    """Two measurements, slowest first; a request given up counts as below 40 tokens over
    the limit."""
    shown = [f"< {40 / CONTENTION_LIMIT:.1f}" if v is None else f"{v:.1f}" for v in speeds]
    order = sorted(range(len(speeds)), key=lambda i: speeds[i] or 0.0)
    return " - ".join(shown[i] for i in order)


class Asked:
    """The scripted model, keeping each request it is asked."""

    def __init__(self, seed: int) -> None:
        from town.llm import ScriptedModel
        from town.mind import scripted_rules

        self.model = ScriptedModel(scripted_rules(), seed=seed)
        self.requests: list[Request] = []

    async def complete(self, request: Request) -> Reply:
        self.requests.append(request)
        return await self.model.complete(request)


def morning_requests() -> tuple[list[Request], dict[str, Any]]:
    """The town's own requests, as its mind builds them: the_ville_3 from 05:00 on the
    scripted model (its answers decide what is asked next), the first TOWN_REQUESTS; and
    each agent's mind, to check the answers as the town does (town.mind.sanity)."""
    from memory import HashingEmbedder
    from town.scenario import load_scenario
    from town.sim import Simulation

    scenario = load_scenario(MORNING)
    asked = Asked(scenario.town.seed)
    sim = Simulation(scenario, load_town(scenario.map_path), asked, embedder=HashingEmbedder())
    while len(asked.requests) < TOWN_REQUESTS and sim.now < scenario.end:
        sim.step()
    sim.close()
    return asked.requests[:TOWN_REQUESTS], {a.name: a.mind for a in sim.agents}


TOWN_HEADERS = [
    "setup", "request", "n", "median s", "min - max s", "prompt tokens", "tokens read",
    "completion tokens",
]  # fmt: skip
SANITY_HEADERS = [
    "setup", "all requests s", "plan blocks sane", "tasks sane", "invalid answers", "failing",
]  # fmt: skip


@dataclass(frozen=True)
class Setup:
    label: str
    model: Any  # a LocalModel
    cache: int  # bytes of state cache; 0: none
    check_first: bool  # check the model's chosen token against the grammar first


SETUPS = [
    Setup("Qwen 0.5B before", QWEN, 0, False),
    Setup("Qwen 0.5B now", QWEN, 512 << 20, True),
    Setup("SmolLM2-135M now", SMOLLM2, 512 << 20, True),
    Setup("Qwen 1.5B now", QWEN_15, 512 << 20, True),
]


async def _send(backend: OpenAIBackend, asked: list[Request]) -> list[tuple[float, Reply | None]]:
    await backend.complete(Request(messages("Say hi.", "Hi!"), "warm-up", max_tokens=4))
    done: list[tuple[float, Reply | None]] = []
    for request in asked:
        started = time.perf_counter()
        reply: Reply | None = None
        # An answer that does not fit raises: the town would ask again or fall back.
        with contextlib.suppress(ModelError):
            reply = await backend.complete(request)
        done.append((time.perf_counter() - started, reply))
    await backend.aclose()
    return done


def sane(asked: list[Request], done: list[tuple[float, Reply | None]], minds: dict[str, Any]):
    """Plan blocks and tasks that pass the town's checks, of those answered, and the failing
    ones ("what: kinds")."""
    from town.mind import sanity

    blocks, tasks, failing = [0, 0], [0, 0], []
    for request, (_, reply) in zip(asked, done, strict=True):
        if reply is None or reply.value is None:
            continue
        mind = minds[request.agent]
        ctx = sanity.context(mind, MONDAY)
        if request.purpose == "plan" and hasattr(reply.value, "summary"):
            wake, sleep = sanity.waking_span(mind.persona)
            entries = [(e.start, e.activity) for e in reply.value.schedule]
            _, items = sanity.repair_schedule(
                sanity.routine(mind.persona), entries, wake, sleep, ctx
            )
            checked = items
            counts = blocks
        elif request.purpose == "act":
            checked = [
                (t.description, sanity.task_problems(t.description, ctx)) for t in reply.value.tasks
            ]
            counts = tasks
        else:
            continue
        for text, kinds in checked:
            counts[0] += not kinds
            counts[1] += 1
            if kinds:
                failing.append(f"{text[:50]!r}: {', '.join(kinds)}")
    return blocks, tasks, failing


def town_rows(asked: list[Request], minds: dict[str, Any]):
    """Each setup's seconds per request, by purpose, for the same requests in the same order,
    on a fresh server (the tokens it read of each prompt from the server's own log), and the
    share of its answers that pass the town's checks."""
    rows: list[list[object]] = []
    sanity_rows: list[list[object]] = []
    totals: dict[str, float] = {}
    for setup in SETUPS:
        try:
            path = model_file(setup.model)
        except BackendError as err:
            sanity_rows.append([setup.label, f"not measured: {err}", "", "", "", ""])
            continue
        os.environ[CHECK_FIRST_ENV] = "1" if setup.check_first else "0"
        try:
            server = LocalServer(
                path, alias=setup.model.alias, cache_bytes=setup.cache, verbose=True
            )
            with server:
                backend = OpenAIBackend(
                    [Endpoint(server.base_url)], setup.model.alias, structured=GRAMMAR
                )
                done = asyncio.run(_send(backend, asked))
                log = server.log.read_text() if server.log else ""
        finally:
            os.environ.pop(CHECK_FIRST_ENV, None)
        read = [int(n) for n in re.findall(r"prompt eval time =.*?/\s*(\d+) tokens", log)][1:]
        read += [0] * (len(done) - len(read))  # a prompt read whole from the cache logs none
        totals[setup.label] = sum(s for s, _ in done)
        for purpose in sorted({r.purpose for r in asked}):
            picked = [i for i, r in enumerate(asked) if r.purpose == purpose]
            seconds = [done[i][0] for i in picked]
            replies = [done[i][1] for i in picked if done[i][1] is not None]
            rows.append(
                [
                    setup.label,
                    purpose,
                    len(picked),
                    f"{statistics.median(seconds):.2f}",
                    f"{min(seconds):.2f} - {max(seconds):.2f}",
                    f"{statistics.fmean(r.prompt_tokens for r in replies):.0f}" if replies else "",
                    f"{statistics.fmean(read[i] for i in picked):.0f}",
                    f"{statistics.fmean(r.completion_tokens for r in replies):.0f}"
                    if replies
                    else "",
                ]
            )
        blocks, tasks, failing = sane(asked, done, minds)
        sanity_rows.append(
            [
                setup.label,
                f"{totals[setup.label]:.0f}",
                f"{blocks[0]}/{blocks[1]}",
                f"{tasks[0]}/{tasks[1]}",
                sum(r is None for _, r in done),
                "; ".join(failing[:4]) + (f" (+{len(failing) - 4})" if len(failing) > 4 else ""),
            ]
        )
    return rows, sanity_rows, totals


class Instant:
    """A model that answers at once, for the wrappers' own cost."""

    def __init__(self) -> None:
        self.reply = Reply('{"pick": "a"}', None, 10, 5, model="m")

    async def complete(self, request: Request) -> Reply:
        return self.reply


class Pick(BaseModel):
    pick: Literal["a", "b", "c"]
    note: str = Field(max_length=40)


def overhead() -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    paths = ("bare backend", "full stack", "stack, cache hit")
    over_http: dict[str, list[float]] = {path: [] for path in paths}
    in_process: dict[str, list[float]] = {"bare model": [], "full stack": []}

    def ask(i: int) -> Request:
        return Request(messages("sys", f"question {i}"), purpose="act", schema=Pick, agent="A")

    with StubServer() as stub:
        bare = OpenAIBackend([Endpoint(stub.base_url)], "stub-model")
        counters = Counters()
        backend = OpenAIBackend([Endpoint(stub.base_url)], "stub-model", counters=counters)
        stack = compose(backend, counters=counters, max_in_flight=8, timeout=30)

        async def run() -> None:
            for i in range(20):  # warm both connection pools
                await bare.complete(ask(-i - 1))
                await stack.model.complete(ask(-i - 1))
            for i in range(OVERHEAD_SAMPLES):  # interleaved: drift hits both alike
                over_http["bare backend"].append((await timed(bare, ask(i)))[0])
                over_http["full stack"].append((await timed(stack.model, ask(10**6 + i)))[0])
                over_http["stack, cache hit"].append((await timed(stack.model, ask(10**6 + i)))[0])
            await bare.aclose()
            await backend.aclose()

        asyncio.run(run())

    instant = Instant()
    wrapped = compose(instant, timeout=30, cache_size=1)

    async def local() -> None:
        for i in range(OVERHEAD_SAMPLES * 5):
            in_process["bare model"].append((await timed(instant, ask(i)))[0])
            in_process["full stack"].append((await timed(wrapped.model, ask(10**7 + i)))[0])

    asyncio.run(local())
    return over_http, in_process


def ms(samples: list[float], q: float) -> str:
    return f"{percentile(samples, q) * 1000:.3f}"


def main() -> None:
    began = time.perf_counter()
    asked, minds = morning_requests()
    town_table, sanity_table, totals = town_rows(asked, minds)
    before, now = totals["Qwen 0.5B before"], totals["Qwen 0.5B now"]
    options = place_options()
    rows, qwen_note = local_rows("local", "Qwen2.5-Coder-0.5B", options)
    more, smol_note = local_rows("local:smollm2", "SmolLM2-135M", options)
    rows += more
    speed_rows = thread_speeds(options)
    threads = default_threads()
    over_http, in_process = overhead()
    http_rows = [[name, ms(xs, 50), ms(xs, 99), summary_ms(xs)] for name, xs in over_http.items()]
    local_rows_ = [
        [name, f"{percentile(xs, 50) * 1e6:.1f}", f"{percentile(xs, 99) * 1e6:.1f}"]
        for name, xs in in_process.items()
    ]
    added_p50 = percentile(over_http["full stack"], 50) - percentile(over_http["bare backend"], 50)
    added_p99 = percentile(over_http["full stack"], 99) - percentile(over_http["bare backend"], 99)
    wrappers = percentile(in_process["full stack"], 50) - percentile(in_process["bare model"], 50)
    body = "\n".join(
        [
            "### The town's own requests: the server before and after, and the models",
            "",
            f"The first {len(asked)} requests of the_ville_3's morning as the town's mind builds "
            "them (the scripted model answering, so the same requests every time), sent in the "
            "order they were asked, agents interleaved, one at a time, to Qwen2.5-Coder-0.5B on "
            f"a fresh embedded server ({default_threads()} thread; grammar from the schema; "
            "temperature 0), once per setup in one run; then to the other bundled models. "
            "*before*: the server as it was, "
            "reusing only the previous request's prefix and checking every token of the "
            "vocabulary against the grammar at each step; *now*: it keeps each request's state "
            "(so an agent's next request reads only what follows its own unchanging text, "
            "whoever asked in between) and checks the token the model chose first, as "
            "llama.cpp's own server does (the same tokens). *tokens read*: what the server "
            "evaluated of the prompt, from its log.",
            "",
            table(TOWN_HEADERS, town_table),
            "",
            f"All {len(asked)} requests on Qwen 0.5B: {before:.0f} s before, {now:.0f} s now "
            f"({before / now:.2f}x).",
            "",
            "How sensible the answers are, by the town's own checks (town.mind.sanity: a "
            "schedule's blocks in order within the waking day, meals at meal times, no "
            "persona pasted back, no other day's event, no address; a task's description "
            "likewise), before the town repairs them; *invalid*: answers that did not fit "
            "the schema, which the town would ask again or replace:",
            "",
            table(SANITY_HEADERS, sanity_table),
            "",
            "### Seconds per typical agent request on the bundled local models",
            "",
            f"Each model on its own embedded llama.cpp server ({threads} thread"
            f"{'s' if threads > 1 else ''}; n_ctx 4096), "
            "through "
            "the full wrapper stack, one request at a time; JSON answers constrained by a "
            "grammar built from the schema; temperature 0, every prompt distinct. *plan*: a day "
            "plan (schedule of up to 24 entries, 600 tokens max); *act*: an action and a place "
            f"among {len(options)} (an enum), 120 tokens max; *utterance*: one line of plain "
            "text, 60 tokens max.",
            "",
            table(LOCAL_HEADERS, rows),
            "",
            f"{qwen_note} {smol_note}",
            "",
            "### Why the server uses one core fewer than there are",
            "",
            "Qwen's speed in tokens per second on a fresh server, reading an action-choice "
            "prompt (about 920 tokens) and writing 40 tokens, twice each (slowest - fastest), "
            "for threads generating / reading, "
            "with the machine idle or one core kept busy by another process (as the viewer, a "
            "test run or a second simulation would):",
            "",
            table(SPEED_HEADERS, speed_rows),
            "",
            "llama.cpp's threads meet at a barrier after every step, so a thread that loses its "
            f"core stalls the others. The default, one core fewer than there are ({threads} here), "
            "gives "
            "up some speed on an idle machine and keeps it on a busy one; TOWN_LLM_THREADS "
            "overrides it. The tables above and below use the default.",
            "",
            "### What the wrapper stack adds per request",
            "",
            "Meter(Recorder(Fallback(Cache(Retry(InFlightCap(Timeout(backend))))))) against the "
            "bare OpenAI backend, both on the zero-latency stub server (real HTTP on 127.0.0.1, "
            f"the server in the same process), interleaved, {OVERHEAD_SAMPLES} requests each, a "
            "small schema, sequential; cache misses (every request distinct) unless noted.",
            "",
            table(["path", "p50 ms", "p99 ms", "summary"], http_rows),
            "",
            f"Added by the stack over HTTP: p50 {added_p50 * 1000:+.3f} ms, p99 "
            f"{added_p99 * 1000:+.3f} ms (the difference is within the noise of a round trip).",
            "",
            "The wrappers alone, around an instant in-process model (no HTTP), microseconds:",
            "",
            table(["path", "p50 µs", "p99 µs"], local_rows_),
            "",
            f"The wrappers cost about {wrappers * 1e6:.0f} µs per request (p50), against "
            f"{percentile(over_http['bare backend'], 50) * 1000:.1f} ms for a bare round trip to a "
            "server that answers at once, and seconds for a local model's answer.",
            "",
            f"Whole benchmark: {time.perf_counter() - began:.0f} s. The machine has 2 cores and "
            "is shared: work outside this benchmark, invisible from inside the machine, slows "
            "the local model at moments (the same request has taken up to eight times as long "
            "from one run to the next); read the minimum column as the undisturbed figure and "
            "the median as what a run on a shared machine meets.",
        ]
    )
    publish("bench_llm", "Language models: local requests and wrapper overhead", body)


if __name__ == "__main__":
    main()
