"""The run file: one SQLite database per run, written tick by tick.

Each tick's changes are committed in one transaction, so a run killed at any moment keeps
every tick it finished. Plain rows and JSON only: a run file is data, never code.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from town.sim import Simulation, TickRecord

SCHEMA_VERSION = 1
RUN_FILE = "run.sqlite"
SCENARIO_COPY = "scenario.toml"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ticks (
    tick INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    changes TEXT NOT NULL  -- JSON: moved, actions, objects, utterances
);
"""


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def database(self) -> Path:
        return self.path / RUN_FILE

    @classmethod
    def create(cls, path: Path, scenario_file: Path) -> RunFolder:
        if (path / RUN_FILE).exists():
            raise FileExistsError(f"{path} already holds a run; choose another --save folder")
        path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scenario_file, path / SCENARIO_COPY)
        return cls(path)

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.database, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash loses no committed tick
        db.executescript(SCHEMA)
        return db


def changes_of(record: TickRecord) -> dict[str, Any]:
    return {
        "moved": {name: list(tile) for name, tile in record.moved.items()},
        "actions": {name: action.to_dict() for name, action in record.actions.items()},
        "objects": record.objects,
        "utterances": record.utterances,
    }


class Recorder:
    """An observer that writes each tick's changes to the run file as it happens."""

    def __init__(self, folder: RunFolder, meta: dict[str, Any]) -> None:
        self.folder = folder
        self.db = folder.connect()
        self.rows = 0
        with self.db:
            self.db.execute("BEGIN")
            for key, value in {"schema_version": SCHEMA_VERSION, **meta}.items():
                self.db.execute(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value))
                )

    def on_tick(self, sim: Simulation, record: TickRecord) -> None:
        if record.empty():
            return
        row = (record.tick, record.time.isoformat(sep=" "), json.dumps(changes_of(record)))
        self.db.execute("INSERT OR REPLACE INTO ticks VALUES (?, ?, ?)", row)
        self.rows += 1

    def on_end(self, sim: Simulation) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('ended', ?)",
            (
                json.dumps(
                    {
                        "tick": sim.tick,
                        "time": sim.now.isoformat(sep=" "),
                        "wall": dt.datetime.now().isoformat(timespec="seconds"),
                    }
                ),
            ),
        )
        self.db.close()
