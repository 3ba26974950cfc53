"""The relationship graph over a run, from its checkpoints (an hourly snapshot of every
agent's acquaintances and views), with no model and no simulation to restore."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import networkx as nx
import pandas as pd

from town.mind.relationships import graph_from
from town.record.runfile import RunFolder


def checkpoints(folder: RunFolder) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(tick, time, state) for every checkpoint, in order of time."""
    db = folder.reader()
    try:
        for tick, time, state in db.execute(
            "SELECT tick, time, state FROM checkpoints ORDER BY tick"
        ):
            yield tick, time, json.loads(state)
    finally:
        db.close()


def checkpoint_ticks(folder: RunFolder) -> list[int]:
    db = folder.reader()
    try:
        return [t for (t,) in db.execute("SELECT tick FROM checkpoints ORDER BY tick")]
    finally:
        db.close()


def graph_at(state: dict[str, Any]) -> nx.DiGraph:
    """The knows-graph of one checkpoint (the same definition as the live one)."""
    agents = state["agents"]
    return graph_from(
        {name: a["mind"]["memory"]["acquaintances"] for name, a in agents.items()},
        {name: a["mind"]["relationships"] for name, a in agents.items()},
    )


def density_over_time(
    states: Iterable[tuple[int, str, dict[str, Any]]],
) -> tuple[pd.DataFrame, nx.DiGraph, nx.DiGraph]:
    """Density and edges at each checkpoint (as `checkpoints` gives them), and the first and
    last graphs."""
    rows, first, last = [], None, None
    for tick, time, state in states:
        graph = graph_at(state)
        first = first if first is not None else graph
        last = graph
        rows.append(
            {
                "tick": tick,
                "time": pd.Timestamp(time),
                "density": graph.graph["density"],
                "edges": graph.number_of_edges(),
            }
        )
    if first is None or last is None:
        raise ValueError("no checkpoint to measure")
    return pd.DataFrame(rows, columns=["tick", "time", "density", "edges"]), first, last
