"""A run on disk: a folder holding a copy of its scenario, a copy of its map (with its
tilesets) and one SQLite run file.

The run file (WAL) holds the meta data, each tick's changes, every memory with its float32
embedding, the model calls, what people injected (whispers, world events, interviews) and
periodic full checkpoints. Ticks in which nothing changed have no row; meta's `committed` is
the last tick written. Plain rows and JSON only: a run
file from a stranger is data, never code.

One process at a time writes a run: it holds an advisory lock on `run.lock` (the kernel lets
go of it when the process ends, however it ends, so a crash leaves no stale lock). Readers
take no lock and change nothing in the folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

SCHEMA_VERSION = 1
RUN_FILE = "run.sqlite"
SCENARIO_COPY = "scenario.toml"
MAP_COPY = "map"  # the folder of the map's copy
LOCK_FILE = "run.lock"
# What every run file has (the memory tables come from memory.store).
TABLES = ("meta", "ticks", "checkpoints", "model_calls", "injections", "memory", "memory_meta")

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
    # What the model cost, as each writing session's meter counted it (retries, timeouts, 429s,
    # repairs, the tokens of thrown-away answers); rewritten at each commit. A run file written
    # before this table has none: its usage is what its model_calls rows say.
    """CREATE TABLE IF NOT EXISTS usage (
        session INTEGER PRIMARY KEY,  -- 0, 1, ...: each process that wrote the run (resumes)
        tick INTEGER NOT NULL,        -- the tick the session began at
        after_call INTEGER NOT NULL,  -- model_calls ids above this are its (or later ones')
        usage TEXT NOT NULL           -- JSON: town.llm.meter.Counters.to_json()
    )""",
)


class RunError(ValueError):
    """A folder that cannot be used as a run, with the reason."""


class DamagedRun(RunError):
    """A run file whose rows cannot be read: the message names the table and the row."""


def parse_row(text: str, where: str) -> Any:
    """A JSON column of a row, or DamagedRun naming `where` ('ticks, tick 1234')."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError) as err:
        raise DamagedRun(f"damaged run file: {where} is not JSON ({err})") from None


class RunWriteError(RunError):
    """The run file cannot be written (a read-only folder, a full disk): the run stops, and
    what it had committed stays as it was."""


def write_error(path: Path, err: BaseException) -> RunWriteError:
    """A RunWriteError for a failed write, in words a user can act on."""
    text = str(err) if isinstance(err, sqlite3.Error) else getattr(err, "strerror", None)
    text = text or str(err)
    low = text.lower()
    if "full" in low or "no space" in low or "too large" in low:
        text = f"the disk is full ({text})"
    elif any(w in low for w in ("readonly", "read-only", "permission", "unable to open")):
        text = f"the folder is not writable ({text})"
    return RunWriteError(f"cannot write {path}: {text}")


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: int | None = None  # the lock file's descriptor, while this process writes

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
        """A new run folder, locked for this process to write: a copy of the scenario, and of
        its map and tilesets, which the copy's map path names. The run then opens wherever it
        is put, and stays as it ran even if the map is edited later."""
        if (path / RUN_FILE).exists():
            raise FileExistsError(f"{path} already holds a run; choose another --save folder")
        folder = cls(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
            folder.acquire()
            copied = copy_map(map_file, path / MAP_COPY)
            text = scenario_file.read_text(encoding="utf-8")
            (path / SCENARIO_COPY).write_text(_with_map(text, copied, path), encoding="utf-8")
        except OSError as err:
            folder.release()
            raise write_error(path, err) from None
        db = folder.connect()
        try:
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                (json.dumps(SCHEMA_VERSION),),
            )
        except sqlite3.Error as err:
            raise write_error(folder.database, err) from None
        finally:
            db.close()
        return folder

    # -- the writer's lock -------------------------------------------------------------------

    def acquire(self) -> None:
        """Take the folder for this process to write, or refuse: another process writes it.
        Holding it already (this object) is fine."""
        if self._lock is not None:
            return
        try:
            fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise write_error(self.path, err) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "(unknown)"
            os.close(fd)
            raise RunError(
                f"{self.path} is being written by process {holder}; "
                "wait for it to end (or stop it) first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock = fd

    def release(self) -> None:
        """Let go of the folder (the file stays: removing it would race with a new writer)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

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
                tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
                version = None
                if "meta" in tables:
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
        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise RunError(f"{folder.database}: damaged: it lacks the table {', '.join(missing)}")
        try:
            found = json.loads(version[0])
        except json.JSONDecodeError:
            found = None
        if not isinstance(found, int) or found > SCHEMA_VERSION:
            raise RunError(
                f"{folder.database}: written with run-file schema {found}; this "
                f"version of generative-town reads schema {SCHEMA_VERSION} and older"
            )
        return folder

    def connect(self) -> sqlite3.Connection:
        """The writer's connection (the caller holds the lock)."""
        try:
            db = sqlite3.connect(self.database, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash loses no commit
            db.execute("BEGIN")
            for statement in SCHEMA:
                db.execute(statement)
            db.execute("COMMIT")
        except sqlite3.Error as err:
            raise write_error(self.database, err) from None
        return db

    def reader(self, check_same_thread: bool = True) -> sqlite3.Connection:
        """A read-only connection: reading a run never changes its folder.

        A run file with no write-ahead log has no writer: opened as immutable, SQLite leaves
        no -wal and -shm files behind. One whose writer is at work, or was killed, has both
        files, and a read-only reader reads through them. A log without its -shm (copied
        apart, or left by a reader) would make SQLite create one: that file is read from a
        private copy instead. A writer starting or closing makes and removes its files
        between our looks, so a file gone when copied means: look again."""
        uri = quote(str(self.database))
        for _ in range(10):
            wal = self._beside("-wal")
            if not wal.exists():
                flags = "mode=ro&immutable=1"
            elif self._beside("-shm").exists():
                flags = "mode=ro"
            else:
                try:
                    return _private_copy(self.database, wal, check_same_thread)
                except FileNotFoundError:
                    continue
            return sqlite3.connect(
                f"file:{uri}?{flags}", uri=True, check_same_thread=check_same_thread
            )
        raise sqlite3.OperationalError(f"{self.database}: its writer keeps changing it; try again")

    def _beside(self, suffix: str) -> Path:
        return self.database.with_name(self.database.name + suffix)

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
            rows = db.execute("SELECT key, value FROM meta")
            return {k: parse_row(v, f"meta, key {k!r}") for k, v in rows}
        finally:
            db.close()


class _Copied(sqlite3.Connection):
    """A connection to a private copy of a run file, removed when it closes."""

    scratch: str = ""

    def close(self) -> None:
        super().close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __del__(self) -> None:
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _private_copy(database: Path, wal: Path, check_same_thread: bool) -> sqlite3.Connection:
    scratch = tempfile.mkdtemp(prefix="town-run-")
    copy = Path(scratch) / database.name
    try:
        shutil.copyfile(database, copy)
        shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
    except FileNotFoundError:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    db = sqlite3.connect(copy, factory=_Copied, check_same_thread=check_same_thread)
    db.scratch = scratch
    return db


def copy_map(map_file: Path, to: Path) -> Path:
    """A copy of a Tiled map in folder `to`, with its tilesets and images beside it (their
    paths in the copy rewritten to match): a run folder that holds it needs nothing else."""
    to.mkdir(parents=True, exist_ok=True)
    names: dict[Path, str] = {}  # each source file -> its name in the copy

    def place(source: Path) -> str:
        source = source.resolve()
        if source not in names:
            name, n = source.name, 1
            while name in names.values():
                n += 1
                name = f"{source.stem}-{n}{source.suffix}"
            names[source] = name
        return names[source]

    def rewrite(xml: Path, copy_as: str) -> None:
        try:
            tree = ElementTree.parse(xml)
        except ElementTree.ParseError:
            shutil.copyfile(xml, to / copy_as)  # not ours to judge here: loading the map will
            return
        for element in tree.iter():
            source = element.get("source")
            if source is None or element.tag not in ("tileset", "image"):
                continue
            path = (xml.parent / source).resolve()
            if not path.is_file():
                continue  # the copy names it as the map did; loading the map says it is missing
            name = place(path)
            element.set("source", name)
            if element.tag == "tileset":
                rewrite(path, name)
            else:
                shutil.copyfile(path, to / name)
        tree.write(to / copy_as, encoding="UTF-8", xml_declaration=True)

    map_file = map_file.resolve()
    name = place(map_file)
    if not map_file.is_file():
        raise FileNotFoundError(2, "no such map file", str(map_file))
    rewrite(map_file, name)
    return to / name


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
