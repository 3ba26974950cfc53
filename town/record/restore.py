"""Opening a saved run: its scenario, its town, and a simulation restored from a checkpoint."""

from __future__ import annotations

import base64
import sqlite3
from typing import Any

import numpy as np

from memory import HashingEmbedder, SentenceTransformerEmbedder, store
from memory.embed import Embedder
from town.llm.base import LanguageModel
from town.llm.stack import Stack
from town.record.runfile import RunError, RunFolder, parse_row
from town.scenario import check_places, load_scenario
from town.sim import Simulation
from town.world import load_town


def embedder_named(name: str) -> Embedder:
    """The embedder a run's memories were made with."""
    if name == SentenceTransformerEmbedder.name:
        return SentenceTransformerEmbedder()
    if name.startswith("hashing-v1-"):
        return HashingEmbedder(int(name.rsplit("-", 1)[1]))
    raise RunError(f"the run's memories were embedded with {name!r}, which this version lacks")


def open_run(folder: RunFolder, model: LanguageModel, tick: int | None = None) -> Simulation:
    """The run's simulation as of its latest checkpoint (or the latest at or before `tick`)."""
    sim = new_simulation(folder, model)
    db = folder.reader()
    try:
        restore(sim, db, tick)
    finally:
        db.close()
    return sim


def new_simulation(folder: RunFolder, model: LanguageModel | Stack) -> Simulation:
    """The run's simulation at its start: its scenario, seed and embedder."""
    meta = folder.meta()
    scenario = load_scenario(folder.scenario)
    town = load_town(scenario.map_path)
    check_places(scenario, town)
    return Simulation(
        scenario,
        town,
        model,
        seed=meta.get("seed"),
        embedder=embedder_named(meta.get("embedder", SentenceTransformerEmbedder.name)),
        wait=meta.get("world_waits", True),
    )


def restore(sim: Simulation, db: sqlite3.Connection, tick: int | None = None) -> int:
    """Put `sim` in the state of a checkpoint; returns its tick."""
    row = db.execute(
        "SELECT tick, state FROM checkpoints WHERE tick <= ? ORDER BY tick DESC LIMIT 1",
        (tick if tick is not None else 2**62,),
    ).fetchone()
    if row is None:
        raise RunError(
            "the run file holds no checkpoint"
            + (f" at or before tick {tick}" if tick is not None else "")
        )
    state = parse_row(row[1], f"checkpoints, tick {row[0]}")
    for agent in sim.agents:
        saved = state["agents"][agent.name]["memory"]
        records, vectors = store.load_records(db, agent.name, sim.embedder, saved["upto"])
        prime = getattr(sim.embedder, "prime", None)
        if prime is not None:
            prime([r.text for r in records], vectors)
        access = {memory_id: at for memory_id, at in saved["access"]}
        stream = agent.mind.memory.stream
        stream.set_state(_stream_state(stream.agent, sim.embedder, records, vectors, access))
    sim.set_state(state)
    return int(row[0])


def _stream_state(
    agent: str, embedder: Embedder, records: list[Any], vectors: np.ndarray, access: dict[int, int]
) -> dict[str, Any]:
    dicts = []
    for record in records:
        data = record.to_dict()
        data["last_access"] = access.get(record.id, record.created)
        dicts.append(data)
    return {
        "format": 1,
        "agent": agent,
        "embedder": embedder.name,
        "dim": embedder.dim,
        "records": dicts,
        "vectors": base64.b64encode(np.ascontiguousarray(vectors, "<f4").tobytes()).decode(),
    }
