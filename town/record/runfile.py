"""A run on disk: a folder holding a copy of its scenario and one SQLite run file.

The run file (WAL) holds the meta data, each tick's changes, every memory with its float32
embedding, the model calls, what people injected (whispers, world events, interviews) and
periodic full checkpoints. Ticks in which nothing changed have no row; meta's `committed` is
the last tick written. Plain rows and JSON only: a run
file from a stranger is data, never code.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

SCHEMA_VERSION = 1
RUN_FILE = "run.sqlite"
SCENARIO_COPY = "scenario.toml"

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS ticks (
        tick INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        changes TEXT NOT NULL  -- JSON: moved, actions, objects, utterances, finished talks
    )""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        tick INTEGER PRIMARY KEY,  -- the state before this tick runs
        time TEXT NOT NULL,
        state TEXT NOT NULL        -- JSON: the simulation's state; memories by reference
    )""",
    """CREATE TABLE IF NOT EXISTS model_calls (
        id INTEGER PRIMARY KEY,
        tick INTEGER,
        agent TEXT,
        purpose TEXT NOT NULL,
        call TEXT NOT NULL         -- JSON: request, answer, tokens, latency (never a key)
    )""",
    "CREATE INDEX IF NOT EXISTS model_calls_by_tick ON model_calls (tick)",
    """CREATE TABLE IF NOT EXISTS injections (
        seq INTEGER PRIMARY KEY,   -- 1, 2, ...: the simulation's `injected` count after it
        tick INTEGER NOT NULL,     -- applied between tick - 1 and tick
        kind TEXT NOT NULL,        -- whisper, world_event, interview, schedule
        fields TEXT NOT NULL       -- JSON
    )""",
)


class RunError(ValueError):
    """A folder that cannot be used as a run, with the reason."""


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @property
    def database(self) -> Path:
        return self.path / RUN_FILE

    @property
    def scenario(self) -> Path:
        return self.path / SCENARIO_COPY

    @classmethod
    def create(cls, path: Path, scenario_file: Path, map_file: Path) -> RunFolder:
        """A new run folder with a copy of the scenario whose map path still points at the
        map (relative to the folder, so a saves/ folder moved with its project still works)."""
        if (path / RUN_FILE).exists():
            raise FileExistsError(f"{path} already holds a run; choose another --save folder")
        path.mkdir(parents=True, exist_ok=True)
        text = scenario_file.read_text(encoding="utf-8")
        (path / SCENARIO_COPY).write_text(_with_map(text, map_file, path), encoding="utf-8")
        folder = cls(path)
        db = folder.connect()
        try:
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                (json.dumps(SCHEMA_VERSION),),
            )
        finally:
            db.close()
        return folder

    @classmethod
    def open(cls, path: Path) -> RunFolder:
        """An existing run folder, checked: refuses what is not a run, is damaged, or was
        written by a newer schema."""
        if not path.is_dir():
            raise RunError(f"{path}: no such run folder")
        folder = cls(path)
        if not folder.database.is_file():
            raise RunError(f"{path}: not a run folder (no {RUN_FILE})")
        if not folder.scenario.is_file():
            raise RunError(f"{path}: not a run folder (no {SCENARIO_COPY})")
        try:
            db = folder.reader()
            try:
                check = db.execute("PRAGMA quick_check").fetchone()[0]
                version = db.execute(
                    "SELECT value FROM meta WHERE key = 'schema_version'"
                ).fetchone()
            finally:
                db.close()
        except sqlite3.DatabaseError as err:
            raise RunError(f"{folder.database}: damaged or not a run file ({err})") from None
        if check != "ok":
            raise RunError(f"{folder.database}: damaged ({check})")
        if version is None:
            raise RunError(f"{folder.database}: no schema version: not a run file")
        found = json.loads(version[0])
        if not isinstance(found, int) or found > SCHEMA_VERSION:
            raise RunError(
                f"{folder.database}: written with run-file schema {found}; this "
                f"version of generative-town reads schema {SCHEMA_VERSION} and older"
            )
        return folder

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.database, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash loses no committed tick
        db.execute("BEGIN")
        for statement in SCHEMA:
            db.execute(statement)
        db.execute("COMMIT")
        return db

    def reader(self, check_same_thread: bool = True) -> sqlite3.Connection:
        """A read-only connection: reading a run never changes its folder. A run file with no
        write-ahead log has no writer: opened as immutable, SQLite leaves no -wal and -shm
        files behind (which a read-only reader of a WAL database otherwise does)."""
        wal = self.database.with_name(self.database.name + "-wal")
        flags = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
        return sqlite3.connect(
            f"file:{quote(str(self.database))}?{flags}",
            uri=True,
            check_same_thread=check_same_thread,
        )

    def committed(self) -> int:
        """The last tick the run file holds (-1 before the first): meta's `committed`, or, in
        a file written before it was kept, the tick before the last checkpoint."""
        committed = self.meta().get("committed")
        if committed is not None:
            return int(committed)
        db = self.reader()
        try:
            last = db.execute("SELECT max(tick) FROM checkpoints").fetchone()[0]
        finally:
            db.close()
        return (last or 0) - 1

    def meta(self) -> dict[str, Any]:
        db = self.reader()
        try:
            return {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        finally:
            db.close()


def _with_map(text: str, map_file: Path, folder: Path) -> str:
    """The scenario text with its [town] map path made relative to the run folder."""
    relative = os.path.relpath(map_file.resolve(), folder.resolve())
    line = f"map = {json.dumps(relative)}"
    pattern = re.compile(r"^(\s*)map\s*=.*$", re.M)
    town = re.search(r"^\s*\[town\]\s*$", text, re.M)
    if town is None:
        return text
    rest = text[town.end() :]
    nxt = re.search(r"^\s*\[", rest, re.M)
    section = rest[: nxt.start()] if nxt else rest
    if pattern.search(section):
        section = pattern.sub(lambda m: m.group(1) + line, section, count=1)
    else:
        section = "\n" + line + section
    return text[: town.end()] + section + (rest[nxt.start() :] if nxt else "")
