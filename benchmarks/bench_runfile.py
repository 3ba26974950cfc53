"""The run file: its size per agent-day, and what recording costs in ticks per second.

the_ville_25 for one game day (8,640 ticks) on the scripted model, with and without the
recorder, alternating in one run (best of each). With the real embedder from a cold text
cache (what users get) and with the hashing one (the engine alone: the worst case for the
recorder's share). Target: recording costs at most 20%.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from benchmarks.harness import publish, table
from memory import Embedder, HashingEmbedder, SentenceTransformerEmbedder
from town.llm import ScriptedModel
from town.mind import scripted_rules
from town.record import Recorder, RunFolder
from town.scenario import check_places, load_scenario
from town.sim import Simulation
from town.world import load_town

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "assets" / "scenarios" / "the_ville_25.toml"
ROUNDS = 3


def one_day(embedder: Embedder, folder: Path | None) -> tuple[float, int]:
    """Wall seconds for one game day, and the run file's size if recorded."""
    scenario = load_scenario(SCENARIO)
    town = load_town(scenario.map_path)
    check_places(scenario, town)
    model = ScriptedModel(scripted_rules(), seed=scenario.town.seed)
    sim = Simulation(scenario, town, model, embedder=embedder)
    if folder is not None:
        run = RunFolder.create(folder, SCENARIO, scenario.map_path)
        recorder = Recorder(run, sim, {"seed": sim.seed, "backend": "scripted"})
        sim.observers.append(recorder)
    began = time.perf_counter()
    sim.run(until=scenario.town.start + dt.timedelta(days=1))
    sim.close()
    wall = time.perf_counter() - began
    size = (folder / "run.sqlite").stat().st_size if folder is not None else 0
    return wall, size


def by_table(path: Path) -> dict[str, int]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        db.close()
    return dict(rows)


def main() -> None:
    ticks = 8640
    rows, sizes = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, embedder in (
            ("all-MiniLM-L6-v2", SentenceTransformerEmbedder()),
            ("hashing", HashingEmbedder()),
        ):
            one_day(embedder, None)  # warm: the model loaded
            plain, recorded = [], []
            for i in range(ROUNDS):
                SentenceTransformerEmbedder.clear_cache()  # each day embeds its memories
                plain.append(one_day(embedder, None)[0])
                SentenceTransformerEmbedder.clear_cache()
                folder = Path(tmp) / f"{label}-{i}"
                wall, size = one_day(embedder, folder)
                recorded.append(wall)
                sizes[label] = (size, by_table(folder / "run.sqlite"))
            p, r = min(plain), min(recorded)
            rows.append(
                [label, f"{ticks / p:,.0f}", f"{ticks / r:,.0f}", f"{(r - p) / p * 100:+.1f}%"]
            )
    size, parts = sizes["all-MiniLM-L6-v2"]
    agent_days = 25
    part_rows = [
        [name, f"{n / 1e6:.2f} MB"]
        for name, n in sorted(parts.items(), key=lambda kv: -kv[1])
        if n > 50_000
    ]
    body = (
        f"the_ville_25, one game day ({ticks} ticks), scripted model; best of {ROUNDS} "
        "alternating rounds each. The recorder commits a group of ticks every 0.25 s of wall "
        "time (with a real model: every tick that asked it something), so the scripted "
        "model's thousands of ticks a second do not each pay for a commit.\n\n"
        + table(["embedder", "ticks/s unrecorded", "ticks/s recorded", "recording costs"], rows)
        + f"\n\nRun file: {size / 1e6:.1f} MB for 25 agent-days, "
        f"**{size / agent_days / 1e3:.0f} kB per agent-day** (MiniLM embeddings, 384 float32 "
        "each). Largest parts:\n\n" + table(["table or index", "size"], part_rows)
    )
    publish("bench_runfile", "Run file: size and the cost of recording (issue 6)", body)


if __name__ == "__main__":
    main()
