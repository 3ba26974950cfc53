"""A run's tables as pandas DataFrames (for notebooks) and as JSON Lines or CSV files.

data = RunData(RunFolder.open(Path("saves/monday")))
data.actions().groupby("agent").size()
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from town.record.runfile import RunFolder

TABLES = ("ticks", "memories", "conversations", "model_calls")


class RunData:
    def __init__(self, folder: RunFolder) -> None:
        self.folder = folder

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = self.folder.reader()
        try:
            yield db
        finally:
            db.close()

    def changes(self) -> Iterator[tuple[int, str, dict[str, Any]]]:
        with self._db() as db:
            for tick, time, changes in db.execute(
                "SELECT tick, time, changes FROM ticks ORDER BY tick"
            ):
                yield tick, time, json.loads(changes)

    def ticks(self) -> pd.DataFrame:
        """Every change, one row each: kind moved, action, utterance or object."""
        rows: list[dict[str, Any]] = []
        for tick, time, changes in self.changes():
            base = {"tick": tick, "time": time}
            for agent, (x, y) in changes["moved"].items():
                rows.append({**base, "kind": "moved", "agent": agent, "x": x, "y": y})
            for agent, action in changes["actions"].items():
                rows.append(
                    {
                        **base,
                        "kind": "action",
                        "agent": agent,
                        "text": action["description"],
                        "emoji": action["emoji"],
                        "place": action["address"],
                    }
                )
            for agent, text in changes["utterances"].items():
                rows.append({**base, "kind": "utterance", "agent": agent, "text": text})
            for address, state in changes["objects"].items():
                rows.append({**base, "kind": "object", "place": address, "text": state})
        columns = ["tick", "time", "kind", "agent", "x", "y", "text", "emoji", "place"]
        return pd.DataFrame(rows, columns=columns)

    def actions(self) -> pd.DataFrame:
        frame = self.ticks()
        return frame[frame.kind == "action"][["tick", "time", "agent", "text", "emoji", "place"]]

    def memories(self) -> pd.DataFrame:
        """Every memory (without its embedding)."""
        with self._db() as db:
            return pd.read_sql_query(
                "SELECT id, agent, kind, text, created, last_access, importance, evidence, "
                "expires FROM memory ORDER BY id",
                db,
            )

    def conversations(self) -> pd.DataFrame:
        """One row per line said, with the conversation it belongs to."""
        rows = []
        for _, time, changes in self.changes():
            for talk in changes.get("finished", []):
                for line in talk["lines"]:
                    rows.append(
                        {
                            "conversation": talk["id"],
                            "people": ", ".join(talk["people"]),
                            "arena": talk["arena"],
                            "tick": line["tick"],
                            "speaker": line["speaker"],
                            "text": line["text"],
                            "ended": talk["ended"],
                            "ended_time": time,
                        }
                    )
        columns = [
            "conversation",
            "people",
            "arena",
            "tick",
            "speaker",
            "text",
            "ended",
            "ended_time",
        ]
        return pd.DataFrame(rows, columns=columns)

    def model_calls(self) -> pd.DataFrame:
        """Every request to the model and its answer, flattened (never an API key)."""
        with self._db() as db:
            rows = [
                json.loads(c) for (c,) in db.execute("SELECT call FROM model_calls ORDER BY id")
            ]
        return (
            pd.json_normalize(rows) if rows else pd.DataFrame(columns=["tick", "agent", "purpose"])
        )

    def table(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise ValueError(f"no table {name!r}; the tables are {', '.join(TABLES)}")
        return getattr(self, name)()


def export(folder: RunFolder, fmt: str, out: Path) -> list[Path]:
    """Write every table as `out/NAME.jsonl` or `out/NAME.csv`; returns the files."""
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown format {fmt!r}: use jsonl or csv")
    out.mkdir(parents=True, exist_ok=True)
    data = RunData(folder)
    written = []
    for name in TABLES:
        frame = data.table(name)
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_json(path, orient="records", lines=True, force_ascii=False)
        written.append(path)
    return written
