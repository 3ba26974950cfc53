"""Engine throughput with the scripted model (no model latency: this measures the engine).

- the_ville_25 for one game day (8,640 ticks); target: under 20 s on this machine. Measured
  with the hashing embedder (the engine alone) and with all-MiniLM-L6-v2 from a cold text
  cache (what a user's run also pays: every new memory embedded on the CPU)
- 500 agents (the 25 villagers twenty times over) for one game hour, hashing embedder
- path finding: A* per request on the real map, uncached, over random pairs of objects
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
from pathlib import Path

from benchmarks.harness import percentile, publish, table
from memory import Embedder, HashingEmbedder, SentenceTransformerEmbedder
from town.llm import ScriptedModel
from town.mind import scripted_rules
from town.scenario import Scenario, check_places, load_scenario
from town.sim import Simulation
from town.world import PathFinder, Town, load_town, places

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "assets" / "scenarios" / "the_ville_25.toml"


def run(
    scenario: Scenario, town: Town, until: dt.datetime, embedder: Embedder
) -> tuple[Simulation, float]:
    check_places(scenario, town)
    model = ScriptedModel(scripted_rules(), seed=scenario.town.seed)
    sim = Simulation(scenario, town, model, embedder=embedder)
    began = time.perf_counter()
    sim.run(until=until)
    wall = time.perf_counter() - began
    sim.close()
    return sim, wall


def crowd(base: Scenario, copies: int, start: dt.datetime) -> Scenario:
    agents = [
        a.model_copy(update={"name": f"{a.name} {i}" if i else a.name})
        for i in range(copies)
        for a in base.agents
    ]
    town = base.town.model_copy(update={"start": start})
    big = base.model_copy(update={"agents": agents, "town": town, "events": []})
    big._source = base.source
    return big


def path_times(town: Town, n: int = 400) -> list[float]:
    rng = random.Random(1)
    objects = [a for a in town.tiles if places.depth(a) == 4]
    finder = PathFinder(town)
    samples = []
    while len(samples) < n:
        a, b = (
            rng.choice(town.use_tiles(rng.choice(objects))),
            rng.choice(town.use_tiles(rng.choice(objects))),
        )
        if a == b:
            continue
        began = time.perf_counter()
        finder.path(a, b)
        samples.append(time.perf_counter() - began)
    return samples


def main() -> None:
    base = load_scenario(SCENARIO)
    town = load_town(base.map_path)
    rows = []
    for label, embedder in (
        ("hashing embedder", HashingEmbedder()),
        ("all-MiniLM-L6-v2, cold cache", SentenceTransformerEmbedder()),
    ):
        SentenceTransformerEmbedder.clear_cache()
        sim, wall = run(base, town, base.end, embedder)
        usage = sim.meter.total()
        rows.append(
            [
                f"the_ville_25, 1 game day, {label}",
                25,
                f"{sim.tick:,}",
                f"{wall:.2f}",
                f"{sim.tick / wall:,.0f}",
                f"{usage.requests:,}",
                "under 20 s: " + ("met" if wall < 20 else "NOT met"),
            ]
        )
        if label.startswith("hashing"):
            day = sim
    memories = sum(len(a.mind.memory.stream) for a in sim.agents)
    encoded = SentenceTransformerEmbedder.cache_info()["encoded"]
    sim = day
    a_star = sim.paths.search_seconds / max(sim.paths.searches, 1) * 1000
    day_paths = (
        f"{sim.paths.searches} searches, {sim.paths.hits} cache hits, {a_star:.2f} ms per search"
    )
    start = dt.datetime(2023, 2, 13, 10, 0)
    big = crowd(base, 20, start)
    sim, wall = run(big, town, start + dt.timedelta(hours=1), HashingEmbedder())
    usage = sim.meter.total()
    rows.append(
        [
            "500 agents, 1 game hour from 10:00, hashing embedder",
            500,
            f"{sim.tick:,}",
            f"{wall:.2f}",
            f"{sim.tick / wall:,.0f}",
            f"{usage.requests:,}",
            "",
        ]
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    paths = path_times(town)
    ms = [s * 1000 for s in paths]
    body = "\n".join(
        [
            table(
                ["run", "agents", "ticks", "wall s", "ticks/s", "model requests", "target"], rows
            ),
            "",
            f"With MiniLM the day made {memories:,} memories and embedded {encoded:,} distinct "
            "texts, one small batch per tick, on one torch thread: the embeddings, not the "
            "engine, take most of that day.",
            f"Path finding in the 25-agent day: {day_paths}.",
            f"Path finding per request (A* on the {town.width}x{town.height} map, uncached, "
            f"{len(ms)} random pairs of object tiles): p50 {percentile(ms, 50):.2f} ms, "
            f"p99 {percentile(ms, 99):.2f} ms, max {max(ms):.2f} ms.",
            f"Peak memory of the benchmark process: {peak_mb:,.0f} MB.",
        ]
    )
    publish("bench_engine", "Engine throughput (scripted model)", body)


if __name__ == "__main__":
    main()
