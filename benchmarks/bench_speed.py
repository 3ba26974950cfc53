"""Speed (issue 9): agents thinking concurrently against one request at a time, and scale.

Every run is a real `town run --headless`, minus the progress bar: the real MiniLM embedder,
the run file written tick by tick, and the model behind real HTTP on 127.0.0.1 through the
openai client and the full wrapper stack. The model is a latency-simulating stub server
(town.llm.stub_server) answering as `--llm scripted` would (town.llm.scripted_serving), so the
town does exactly what it does on the scripted model, request for request, and only the time
the answers take differs. The server takes 1 s per request and serves at most SERVER_SLOTS at
once, as a serving engine would.

- Speed: the_ville_25 from its start, once with at most 1 request in flight (the original's
  way: one agent after another, blocking) and once with the default cap (TownConfig), figures
  per two game hours.
- Scale: 200 agents (the 25 villagers, then seven copies of them under new names in the same
  homes) for one game hour: on the scripted model, and on the latency server with the default
  cap and with a cap of SERVER_SLOTS. One request at a time would take at least as many seconds
  as there are requests (24 minutes): that run is not made.

Each run is a process of its own (`--run SPEC`), so no cache warmed by one run serves the next
and each has its own peak memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import overlap
from benchmarks.harness import publish, table
from memory import SentenceTransformerEmbedder
from memory.embed import THREADS_ENV
from town.config import TownConfig
from town.llm import Counters, ScriptedModel, Stack, compose
from town.llm.openai_backend import JSON_SCHEMA, Endpoint, OpenAIBackend
from town.llm.scripted_serving import ScriptedAnswers
from town.llm.select import REMOTE_TIMEOUT
from town.llm.stub_server import ServerLoad, StubServer
from town.mind import Decision, Situation, scripted_rules
from town.record import Recorder, RunFolder
from town.scenario import AgentSpec, Scenario, check_places, load_scenario
from town.sim import Simulation, TickRecord
from town.world import Town, load_town

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "assets" / "scenarios" / "the_ville_25.toml"
LATENCY = 1.0  # seconds per request at the server
SERVER_SLOTS = 32  # requests the stand-in engine serves at once; more wait in its queue
THINKING = 10  # game minutes a decision takes in the runs where the world does not wait
SPEED_HOURS = (2, 4)  # the speed runs go 4 game hours from the start, measured per 2
CROWD = 200
CROWD_START = dt.datetime(2023, 2, 13, 10, 0)
FIRST = [
    "Ada", "Ben", "Cleo", "Dev", "Edith", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Kira",
    "Leo", "Mira", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Walt", "Xenia", "Yusuf",
]  # fmt: skip
LAST = ["Abbott", "Baker", "Castro", "Dalton", "Ellis", "Fisher", "Garcia", "Hale"]


# -- one run, in its own process ------------------------------------------------------------


class TimedSimulation(Simulation):
    """A simulation that keeps the time its think phases take: the time agents have work."""

    think_seconds = 0.0  # in think phases
    asking_seconds = 0.0  # in think phases that asked the model something

    # Where everyone was, tick by tick (overlap.py), when kept: not in the crowd's runs,
    # whose peak memory is measured.
    frames: list[overlap.Frame] | None = None

    def _perceive(self) -> int:
        seen = super()._perceive()
        if self.frames is not None:
            self.frames.append({a.name: (a.arena, self.talk_of.get(a.name)) for a in self.agents})
        return seen

    async def _think_all(
        self, thinkers: list[Any], situations: list[Situation], ended: list[bool]
    ) -> list[Decision]:
        began, asked = time.perf_counter(), self.meter.total().requests
        try:
            return await super()._think_all(thinkers, situations, ended)
        finally:
            spent = time.perf_counter() - began
            self.think_seconds += spent
            if self.meter.total().requests > asked:
                self.asking_seconds += spent

    def _finish(self, name: str) -> Decision:
        """With a lag: the wait for a decision due to land (every thought asks the model)."""
        began = time.perf_counter()
        try:
            return super()._finish(name)
        finally:
            spent = time.perf_counter() - began
            self.think_seconds += spent
            self.asking_seconds += spent


class TimedRecorder(Recorder):
    """The run file's recorder, keeping the time it takes (the sim waits for it every tick)."""

    seconds = 0.0

    def on_tick(self, sim: Simulation, record: TickRecord) -> None:
        began = time.perf_counter()
        super().on_tick(sim, record)
        self.seconds += time.perf_counter() - began


@dataclasses.dataclass
class Reading:
    """Cumulative figures at one moment of a run; a span is the difference of two."""

    wall: float
    tick: int
    requests: int  # asked of the stack (cache hits included)
    think: float
    asking: float
    record: float
    server: ServerLoad | None

    def minus(self, earlier: Reading) -> dict[str, Any]:
        span: dict[str, Any] = {
            "wall": self.wall - earlier.wall,
            "ticks": self.tick - earlier.tick,
            "requests": self.requests - earlier.requests,
            "think": self.think - earlier.think,
            "asking": self.asking - earlier.asking,
            "record": self.record - earlier.record,
        }
        if self.server is not None and earlier.server is not None:
            load = self.server - earlier.server
            span.update(
                served=load.requests,
                busy=load.busy_seconds,
                request_seconds=load.request_seconds,
                server_peak=load.peak,
                queued_peak=load.queued_peak,
            )
        return span


def server_stack(stub: StubServer, answers: ScriptedAnswers, cap: int) -> Stack:
    """What open_model builds for `--llm openai --base-url <stub>` (the same backend, the
    same wrappers and limits), with the scripted answers noted on the way out."""
    counters = Counters()
    backend = OpenAIBackend(
        [Endpoint(stub.base_url)],
        stub.model,
        structured=JSON_SCHEMA,
        timeout=REMOTE_TIMEOUT + 5,
        counters=counters,
    )
    return compose(
        answers.noting(backend),
        max_in_flight=cap,
        timeout=REMOTE_TIMEOUT,
        counters=counters,
        description=f"latency stub at {stub.base_url}",
        model_name=stub.model,
    )


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    scenario = load_scenario(SCENARIO)
    if spec["agents"] != len(scenario.agents):
        scenario = recast(scenario, spec["agents"], dt.datetime.fromisoformat(spec["start"]))
    if spec.get("thinking"):
        config = scenario.config.model_copy(update={"thinking_minutes": spec["thinking"]})
        scenario = scenario.model_copy(update={"config": config})
    town = load_town(scenario.map_path)
    check_places(scenario, town)
    embedder = SentenceTransformerEmbedder()
    embedder.embed(["warming up the model"])  # loading it is not what is measured
    before = rss_mb()
    seed = scenario.town.seed
    marks = [scenario.town.start + dt.timedelta(hours=h) for h in spec["hours"]]
    if spec["model"] == "scripted":
        model = ScriptedModel(scripted_rules(), seed=seed)
        result = simulate(scenario, town, model, marks, None, spec.get("overlap", False))
    else:
        answers = ScriptedAnswers(scripted_rules(), seed=seed)
        with StubServer(latency=LATENCY, concurrency=SERVER_SLOTS, answer=answers) as stub:
            stack = server_stack(stub, answers, spec["cap"])
            result = simulate(scenario, town, stack, marks, stub, spec.get("overlap", False))
        result["answers_missed"] = answers.missed
    import torch  # loaded by the embedder by now

    return {**result, "rss_before_mb": before, "torch_threads": torch.get_num_threads()}


def simulate(
    scenario: Scenario,
    town: Town,
    model: Any,
    marks: list[dt.datetime],
    stub: StubServer | None,
    frames: bool,
) -> dict[str, Any]:
    sim = TimedSimulation(scenario, town, model, embedder=SentenceTransformerEmbedder())
    sim.frames = [] if frames else None
    with tempfile.TemporaryDirectory() as folder:
        run = RunFolder.create(Path(folder) / "run", scenario.source, scenario.map_path)
        recorder = TimedRecorder(run, sim, {"agents": len(sim.agents), "benchmark": True})
        sim.observers.append(recorder)

        def reading(began: float) -> Reading:
            load = stub.load() if stub is not None else None
            requests = sim.meter.total().requests
            wall = time.perf_counter() - began
            thought = sim.think_seconds, sim.asking_seconds
            return Reading(wall, sim.tick, requests, *thought, recorder.seconds, load)

        began = time.perf_counter()
        readings = [reading(began)]
        for mark in marks:
            sim.run(until=mark)
            readings.append(reading(began))
        sim.close()
        run_file = run.database.stat().st_size
        chains = chains_of(run)
    ends = [sim.clock.tick_of(m) for m in marks]
    bounds = []
    for start, end in zip([0, *ends[:-1]], ends, strict=True):
        bound = {
            "critical": overlap.tick_chain(chains, start, end),
            "alone": overlap.alone_chain(chains, start, end),
        }
        if sim.frames is not None:
            bound["arena"] = overlap.arena_chain(chains, sim.frames, start, end)
        bounds.append(bound)
    state = json.dumps(sim.get_state(streams=False), sort_keys=True)
    cap = sim.cap.limit if sim.cap is not None else None
    return {
        "agents": len(sim.agents),
        "spans": [
            {**b.minus(a), **c} for a, b, c in zip(readings[:-1], readings[1:], bounds, strict=True)
        ],
        "cap": cap,
        "client_peak": sim.cap.peak if sim.cap is not None else None,
        "state": hashlib.sha256(state.encode()).hexdigest()[:16],
        "memories": sum(len(a.mind.memory.stream) for a in sim.agents),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "run_file_mb": run_file / 2**20,
        "fallbacks": sim.meter.total().fallbacks,
        "purposes": {purpose: c.requests for purpose, c in sim.meter.by_purpose.items()},
        "think_failures": sim.think_failures,
    }


def chains_of(run: RunFolder) -> overlap.Chains:
    """Per agent and tick, its requests that followed one another: cache hits left out; its
    importance rating runs beside the rest, so a chain is its other requests, or the rating
    alone."""
    db = run.reader()
    try:
        rows = db.execute(
            "SELECT tick, agent, sum(purpose != 'importance'), count(*) FROM model_calls "
            "WHERE NOT json_extract(call, '$.cached') GROUP BY tick, agent"
        ).fetchall()
    finally:
        db.close()
    return {(tick, agent): others or min(n, 1) for tick, agent, others, n in rows}


def rss_mb() -> float:
    """The process's resident memory now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def recast(base: Scenario, n: int, start: dt.datetime) -> Scenario:
    """`n` agents: the scenario's people, then copies of them under new names, living in the
    same homes and working at the same places; their seed memories follow the new names."""
    names = [f"{f} {last}" for last in LAST for f in FIRST]
    agents: list[AgentSpec] = list(base.agents)
    for i in range(n - len(base.agents)):
        model = base.agents[i % len(base.agents)]
        name = names[i]

        def renamed(text: str, old: str = model.name, new: str = name) -> str:
            return text.replace(old, new).replace(old.split()[0], new.split()[0])

        agents.append(
            model.model_copy(
                update={
                    "name": name,
                    "background": renamed(model.background),
                    "currently": renamed(model.currently),
                    "memories": [renamed(m) for m in model.memories],
                    "sprite": model.sprite,
                }
            )
        )
    town = base.town.model_copy(update={"start": start})
    crowd = base.model_copy(update={"agents": agents[:n], "town": town, "events": []})
    crowd._source = base.source
    return crowd


# -- the benchmark: runs each configuration in a process of its own ---------------------------


def in_process(spec: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    """One run in a fresh process; tried twice, as a run takes minutes and a failure (the
    source tree changing under it, a killed process) should not cost the others."""
    command = [sys.executable, "-m", "benchmarks.bench_speed", "--run", json.dumps(spec)]
    environment = {**os.environ, **(env or {})}
    for attempt in range(2):
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=ROOT, env=environment, check=False
        )
        if done.returncode == 0:
            return json.loads(done.stdout.strip().splitlines()[-1])
        print(f"run {spec} failed (attempt {attempt + 1}):\n{done.stderr[-4000:]}", flush=True)
    raise RuntimeError(f"{spec} failed twice")


def main() -> None:
    cap = TownConfig().max_in_flight
    began = time.perf_counter()
    start = load_scenario(SCENARIO).town.start.isoformat()

    def speed(n: int, hours: tuple[int, ...] = SPEED_HOURS) -> dict[str, Any]:
        return {"agents": 25, "start": start, "hours": hours, "model": "server", "cap": n,
                "overlap": True}  # fmt: skip

    def crowd(model: str, n: int = cap) -> dict[str, Any]:
        return {"agents": CROWD, "start": CROWD_START.isoformat(), "hours": (1,),
                "model": model, "cap": n}  # fmt: skip

    before = {THREADS_ENV: "2"}  # torch on both cores: the embedder's default before issue 9
    results = {
        "one": in_process(speed(1)),
        "capped": in_process(speed(cap)),
        "thinking": in_process({**speed(cap), "thinking": THINKING}),
        "thinking_wide": in_process({**speed(SERVER_SLOTS), "thinking": THINKING}),
        "one_before": in_process(speed(1, SPEED_HOURS[:1]), before),
        "capped_before": in_process(speed(cap, SPEED_HOURS[:1]), before),
        "crowd_scripted": in_process(crowd("scripted")),
        "crowd_server": in_process(crowd("server")),
        "crowd_server_wide": in_process(crowd("server", SERVER_SLOTS)),
    }
    total = time.perf_counter() - began
    # Kept, so that the report can be written again without the runs (--report).
    (Path(tempfile.gettempdir()) / "bench_speed.json").write_text(json.dumps([results, total]))
    publish_report(results, total)


def publish_report(results: dict[str, dict[str, Any]], total: float) -> None:
    cap = TownConfig().max_in_flight
    body = report(results, cap) + f"\n\nWhole benchmark: {total:.0f} s."
    publish("bench_speed", "Speed: agents thinking at once, and 200 of them (issue 9)", body)


SPAN_HEADERS = [
    "game time", "cap", "wall s", "requests", "requests/s", "model busy (share of wall)",
    "mean in flight while the model is busy", "peak in flight",
    "s in think phases that asked the model", "of which nothing in service",
    "s outside think phases",
]  # fmt: skip
CROWD_HEADERS = [
    "model", "cap", "wall s", "ticks/s", "requests", "requests/s", "model busy (share of wall)",
    "mean in flight while the model is busy", "peak RSS MB (before the town)", "run file MB",
]  # fmt: skip


def span_row(label: str, cap: int, s: dict[str, Any]) -> list[object]:
    return [
        label,
        cap,
        f"{s['wall']:.1f}",
        s["served"],
        f"{s['served'] / s['wall']:.2f}",
        f"{s['busy'] / s['wall']:.0%}",
        f"{s['request_seconds'] / s['busy']:.2f}" if s["busy"] else "-",
        s["server_peak"],
        f"{s['asking']:.1f}",
        f"{max(s['asking'] - s['busy'], 0):.1f}",
        f"{s['wall'] - s['think']:.1f}",
    ]


def crowd_row(label: str, r: dict[str, Any]) -> list[object]:
    s = r["spans"][0]
    served = s.get("served")
    return [
        label,
        r["cap"] if served is not None else "-",
        f"{s['wall']:.1f}",
        f"{s['ticks'] / s['wall']:.1f}",
        f"{s['requests']:,}",
        f"{s['requests'] / s['wall']:.1f}",
        f"{s['busy'] / s['wall']:.0%}" if served is not None else "-",
        f"{s['request_seconds'] / s['busy']:.2f}" if served is not None else "-",
        f"{r['peak_rss_mb']:,.0f} ({r['rss_before_mb']:,.0f})",
        f"{r['run_file_mb']:.1f}",
    ]


def speed_section(results: dict[str, dict[str, Any]], cap: int) -> list[str]:
    one, capped = results["one"], results["capped"]
    first = load_scenario(SCENARIO).town.start
    rows, notes = [], []
    for i, (a, b) in enumerate(zip(one["spans"], capped["spans"], strict=True)):
        begin = first + dt.timedelta(hours=([0, *SPEED_HOURS])[i])
        end = first + dt.timedelta(hours=SPEED_HOURS[i])
        span = f"{begin:%H:%M}-{end:%H:%M}"
        rows += [span_row(span, 1, a), span_row(span, cap, b)]
        bound = a["served"] / max(b["critical"], 1)
        notes.append(
            f"- {span}: **{a['wall'] / b['wall']:.2f}x** faster with the cap at {cap} than one "
            f"at a time ({a['wall']:.1f} s against {b['wall']:.1f} s). Its critical path is "
            f"{b['critical']} requests (the sum over ticks of the longest chain of requests one "
            f"agent made in the tick, its importance rating beside it), so at 1 s a request no "
            f"cap could do better than {a['served']} / {b['critical']} = {bound:.2f}x. If "
            f"agents waited only for those in their arena or conversation: {b['arena']} "
            f"({a['served'] / max(b['arena'], 1):.2f}x). If no agent ever waited for another: "
            f"{b['alone']}, the busiest agent's own requests "
            f"({a['served'] / max(b['alone'], 1):.2f}x)."
        )
    same = one["state"] == capped["state"]
    threads = capped["torch_threads"]
    pairs = list(zip(one["spans"], capped["spans"], strict=True))
    ratios = [a["wall"] / b["wall"] for a, b in pairs]
    arenas = ", ".join(f"{a['served'] / max(b['arena'], 1):.2f}x" for a, b in pairs)
    alone = ", ".join(f"{a['served'] / max(b['alone'], 1):.2f}x" for a, b in pairs)
    target = "- Target, at least 10x: " + ("met." if min(ratios) >= 10 else "**not met**.")
    if min(ratios) < 10:
        target += (
            " No cap reaches it while a tick waits for its slowest thinker (the critical paths "
            "above), and with decisions applied at the tick they were asked for, running the "
            f"town another way would not either: about {arenas} if agents waited only for "
            f"those in their arena or conversation (an estimate), and {alone} only if no agent "
            "ever waited for another, which a town where agents see and answer one another "
            "does not allow. Each agent's own decisions, one after another, take the time "
            "(see *What serialises the work*)."
        )
    return [
        f"### the_ville_25 from its start (05:00), 1 s per request, cap 1 against cap {cap}",
        "",
        f"The issue asks for 2 game hours; the runs go on for {SPEED_HOURS[-1]}, and the "
        "figures are given per 2 game hours: at 05:00-07:00 most of the town sleeps (it wakes "
        "between 06:00 and 09:00), 07:00-09:00 is its busiest morning.",
        "",
        table(SPAN_HEADERS, rows),
        "",
        *notes,
        target,
        f"- The two runs did the same things: {sum(x['served'] for x in one['spans'])} and "
        f"{sum(x['served'] for x in capped['spans'])} requests, the same final state "
        f"({'identical' if same else 'DIFFERENT'} state digests), "
        f"{one['fallbacks'] + capped['fallbacks']} fallbacks, "
        f"{one['answers_missed'] + capped['answers_missed']} answers not from the scripted "
        f"rules. Torch threads of the embedder: {threads}.",
    ]


def thinking_section(results: dict[str, dict[str, Any]], cap: int) -> list[str]:
    one = results["one"]
    runs = [("thinking", cap), ("thinking_wide", SERVER_SLOTS)]
    first = load_scenario(SCENARIO).town.start
    rows, notes = [], []
    for i, base in enumerate(one["spans"]):
        begin = first + dt.timedelta(hours=([0, *SPEED_HOURS])[i])
        end = first + dt.timedelta(hours=SPEED_HOURS[i])
        span = f"{begin:%H:%M}-{end:%H:%M}"
        rows.append(span_row(span, 1, base))
        for key, n in runs:
            s = results[key]["spans"][i]
            rows.append(span_row(f"{span}, thinking {THINKING} min", n, s))
            notes.append(
                f"- {span}, cap {n}: **{base['wall'] / s['wall']:.2f}x** faster than one at a "
                f"time without a lag ({base['wall']:.1f} s against {s['wall']:.1f} s; "
                f"{s['served']} requests against {base['served']}: a different run)."
            )
    same = results["thinking"]["state"] == results["thinking_wide"]["state"]
    purposes = results["thinking"]["purposes"]
    quick = purposes.get("converse", 0) + purposes.get("react", 0)
    busy = one["spans"][-1]["served"]
    minutes = 2 * 60 * 10 / busy  # game minutes a request must take for 10 of them at once
    return [
        f"### The same, with `thinking_minutes = {THINKING}`: the world goes on while agents think",
        "",
        "A decision lands a fixed number of ticks after it was asked for, whatever the model "
        "takes: what to do next is thought out ahead, while the agent is still at its current "
        "action; a reaction or a line in a conversation lands on the next tick. So decisions "
        "of agents who think at nearby moments overlap. It changes what happens (what an agent "
        "sees while it thinks, it takes in when its decision lands), so these runs are not the "
        "one-at-a-time run's requests: compare the requests column.",
        "",
        table(SPAN_HEADERS, rows),
        "",
        *notes,
        f"- Both lagged runs end in the {'same' if same else 'DIFFERENT'} state, with caps of "
        f"{cap} and {SERVER_SLOTS}: the lag fixes what happens, the cap only how fast. "
        "*s in think phases* here is the time ticks waited for decisions due to land; *s "
        "outside think phases* includes the minds' own work (retrieval, prompts, reading "
        "answers), done between ticks.",
        f"- What still holds the world up: conversation lines and reactions ({quick} of the "
        f"{sum(purposes.values())} requests of these 4 hours), which land on the next tick, "
        "and follow one another within a conversation.",
        f"- What 10x would take on this town: 10 requests in flight all the time, so about 10 "
        f"of the 25 agents thinking at every moment. At {busy} requests in the busy 2 hours, "
        f"each request would have to take about {minutes:.0f} game minutes, conversation "
        "lines and reactions included: a town where a conversation of 8 lines lasts the best "
        "part of an hour. Not done.",
    ]


def threads_section(results: dict[str, dict[str, Any]], cap: int) -> list[str]:
    rows = []
    for key, n, threads in (
        ("one_before", 1, 2),
        ("one", 1, results["one"]["torch_threads"]),
        ("capped_before", cap, 2),
        ("capped", cap, results["capped"]["torch_threads"]),
    ):
        s = results[key]["spans"][0]
        rows.append(
            [
                n,
                threads,
                f"{s['wall']:.1f}",
                f"{s['wall'] - s['think']:.1f}",
                f"{max(s['asking'] - s['busy'], 0):.1f}",
            ]
        )
    a, b = results["one_before"]["spans"][0], results["capped_before"]["spans"][0]
    return [
        "### The embedder's threads (05:00-07:00 again)",
        "",
        "Embeddings are computed on the simulation's thread: memories after each tick's think "
        "phase, retrieval queries inside it (between one answer and the next request). Torch "
        "used both cores; its threads meet at a barrier after every operation, so when "
        "anything else holds a core (the machine is shared; a local model's server takes one) "
        "every embedding waits. The embedder now gives a tick's few texts one core fewer "
        "than there are, and a big batch (16 or more) every core (TOWN_EMBED_THREADS "
        "overrides it).",
        "",
        table(
            [
                "cap",
                "torch threads",
                "wall s",
                "s outside think phases",
                "s in think phases with nothing in service",
            ],
            rows,
        ),
        "",
        f"With 2 threads the ratio was {a['wall'] / b['wall']:.2f}x "
        f"({a['wall']:.1f} s against {b['wall']:.1f} s).",
    ]


def crowd_section(results: dict[str, dict[str, Any]], cap: int) -> list[str]:
    scripted, server = results["crowd_scripted"], results["crowd_server"]
    wide = results["crowd_server_wide"]
    rows = [
        crowd_row("scripted (instant)", scripted),
        crowd_row("latency server, 1 s", server),
        crowd_row("latency server, 1 s", wide),
    ]
    requests = server["spans"][0]["served"]
    critical = server["spans"][0]["critical"]
    same = scripted["state"] == server["state"] == wide["state"]
    notes = [
        f"- One at a time, the {requests:,} requests would take at least {requests:,} s "
        f"({requests / 60:.0f} min; not run). Against that lower bound: "
        f"**{requests / server['spans'][0]['wall']:.1f}x** with the cap at {cap}, "
        f"**{requests / wide['spans'][0]['wall']:.1f}x** with it at {wide['cap']}. The critical "
        f"path is {critical} requests, so the cap is what limits this town: at {cap} it "
        f"cannot take less than {requests / cap:.0f} s.",
        f"- Same behaviour on all three ({'identical' if same else 'DIFFERENT'} final state "
        f"digests); {scripted['memories']:,} memories at the end.",
        "- Peak RSS is the process's (ru_maxrss), with what it held before the town was "
        "built in brackets: Python, torch and the MiniLM model.",
    ]
    return [
        f"### Scale: {CROWD} agents for one game hour from {CROWD_START:%H:%M}",
        "",
        f"The 25 villagers, then copies of them under new names in the same homes and "
        f"workplaces (generated by the benchmark), {CROWD} in all.",
        "",
        table(CROWD_HEADERS, rows),
        "",
        *notes,
    ]


def serialising_section(results: dict[str, dict[str, Any]], cap: int) -> list[str]:
    capped, crowd = results["capped"], results["crowd_server"]
    busy = capped["spans"]
    in_flight = sum(s["request_seconds"] for s in busy) / sum(s["asking"] for s in busy)
    wall = sum(s["wall"] for s in busy)
    idle = sum(max(s["asking"] - s["busy"], 0) for s in busy)
    record = sum(s["record"] for s in busy)
    c = crowd["spans"][0]
    last, one_last = busy[-1], results["one"]["spans"][-1]
    first = load_scenario(SCENARIO).town.start
    last_span = (
        f"{first + dt.timedelta(hours=SPEED_HOURS[-2]):%H:%M}-"
        f"{first + dt.timedelta(hours=SPEED_HOURS[-1]):%H:%M}"
    )
    return [
        "### What serialises the work",
        "",
        f"- **The tick waits for its slowest thinker.** Decisions are applied in agent order "
        f"once all of a tick's thinkers are done, and one agent's requests in a tick follow one "
        f"another (react, then re-plan; or plan the day, then split its first hour). Most "
        f"ticks that ask the model have one or two thinkers, so with 25 agents the requests "
        f"in flight while agents wait average {in_flight:.2f} against a cap of {cap}, and the "
        f"critical path above bounds the gain. With {CROWD} agents many think at once: "
        f"{c['request_seconds'] / c['asking']:.2f} in flight on average at a cap of {cap}, "
        f"and the cap is the limit. Changed: an agent's importance rating of what it saw now "
        f"runs alongside the rest of its thinking (nothing else it asks needs the ratings), "
        f"which takes a request off most chains; and `thinking_minutes` (above) lets game "
        f"time pass while agents think, so that decisions overlap across ticks.",
        f"- **Not changed: one clock for the whole town.** Letting agents who cannot see one "
        f"another live at different ticks, each waiting only for its own arena and "
        f"conversations, would lift the bound of {last_span} from "
        f"{one_last['served'] / max(last['critical'], 1):.2f}x to about "
        f"{one_last['served'] / max(last['arena'], 1):.2f}x (the arena chain above, an "
        f"estimate). Not built: the run file, memory ids, embedding batches, checkpoints "
        f"and the viewer all take one tick for everyone, and it still stays far from 10x.",
        f"- **Embeddings on the simulation's thread, on both cores.** Fixed (above): the "
        f"embedder's torch threads. What is left of embedding in think phases is in *of which "
        f"nothing in service* ({idle:.1f} s of {wall:.1f} s wall at cap {cap}, with prompt "
        f"building, validation and HTTP); moving the query embeddings off the event loop "
        f"would need the minds to await their retrievals (town/mind).",
        f"- **Database writes**: none in the hot path. The run file is written between think "
        f"phases, when no request is in flight, in groups of ticks committed at most a quarter "
        f"of a second apart; model calls are kept in memory until then. It took "
        f"{record:.2f} s of {wall:.1f} s here and "
        f"{c['record']:.2f} s of {c['wall']:.1f} s with {CROWD} agents.",
        "- **Per-request set-up, locks**: none found. One openai client (and its kept-alive "
        "connections) per event loop, the wrapper stack adds about 0.05 ms a request "
        "(bench_llm), the cap's semaphore lets requests through up to the cap (peak in "
        "flight = cap in the busiest ticks), and the embedder's lock is only taken from the "
        "simulation's thread.",
    ]


def report(results: dict[str, dict[str, Any]], cap: int) -> str:
    setup = (
        "Each run is a headless run of the town in a process of its own: the real MiniLM "
        "embedder, the run file written tick by tick, the model behind real HTTP on "
        "127.0.0.1 through the openai client and the full wrapper stack. The model is the "
        f"latency stub (town.llm.stub_server): {LATENCY:g} s per request, at most "
        f"{SERVER_SLOTS} served at once (more would queue), answering with the scripted rules "
        "(town.llm.scripted_serving), so the town does what it does on `--llm scripted`, "
        "request for request. *Wall* is the simulation's run, after the model has loaded; "
        "*model busy* is the server's own account of the time with at least one request in "
        "service; *think phases* are the parts of a tick where agents decide (the tick waits "
        "for all of them)."
    )
    sections = [
        [setup],
        speed_section(results, cap),
        thinking_section(results, cap),
        threads_section(results, cap),
        crowd_section(results, cap),
        serialising_section(results, cap),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", help="one run, given as JSON; prints its figures as JSON")
    parser.add_argument("--report", type=Path, help="write the report from a kept result file")
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(json.loads(args.run))))
    elif args.report:
        publish_report(*json.loads(args.report.read_text()))
    else:
        main()
