"""Memories in SQLite (the run file): one row per memory, its embedding a float32 blob.

Every function takes an open sqlite3.Connection and never commits: the run-file writer wraps
each tick's writes, memories included, in its own transaction. The usual pattern:

    with conn:                                   # one transaction for the tick
        done = [write_pending(conn, s) for s in streams]
    for stream, pending in zip(streams, done):   # only once the commit succeeded
        stream.mark_written(pending)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from memory.embed import Embedder, checked_unit_rows
from memory.ids import IdAllocator
from memory.record import MemoryRecord
from memory.stream import MemoryStream, PendingWrites

# Executed one by one, not with executescript(), which would commit an open transaction.
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS memory_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS memory (
        id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        created INTEGER NOT NULL,
        last_access INTEGER NOT NULL,
        importance INTEGER NOT NULL,
        evidence TEXT NOT NULL,   -- JSON array of memory ids
        expires INTEGER,          -- NULL: never
        embedding BLOB NOT NULL   -- dim float32 values, little-endian
    )""",
    "CREATE INDEX IF NOT EXISTS memory_by_agent ON memory (agent, id)",
)
_COLUMNS = "id, agent, kind, text, created, last_access, importance, evidence, expires, embedding"


class CorruptMemoryError(ValueError):
    """A stored memory row that cannot be read back: a bad blob, field or reference."""


def create_tables(conn: sqlite3.Connection, embedder: Embedder) -> None:
    """Create the memory tables if missing and record which embedder the vectors come from."""
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.executemany(
        "INSERT OR IGNORE INTO memory_meta (key, value) VALUES (?, ?)",
        [("embedder", embedder.name), ("dim", str(embedder.dim))],
    )
    check_embedder(conn, embedder)


def check_embedder(conn: sqlite3.Connection, embedder: Embedder) -> None:
    meta = dict(conn.execute("SELECT key, value FROM memory_meta").fetchall())
    if meta.get("embedder") != embedder.name or meta.get("dim") != str(embedder.dim):
        raise ValueError(
            f"the stored memories were embedded with {meta.get('embedder')!r} "
            f"(dim {meta.get('dim')}), not {embedder.name!r} (dim {embedder.dim})"
        )


def insert_records(
    conn: sqlite3.Connection, records: Sequence[MemoryRecord], vectors: np.ndarray
) -> None:
    """Insert new memories with their embeddings (one float32 row per record)."""
    if len(records) == 0:
        return
    rows = np.ascontiguousarray(vectors, dtype="<f4")
    if rows.ndim != 2 or len(rows) != len(records):
        raise ValueError(f"{len(records)} records need as many vector rows, got {rows.shape}")
    conn.executemany(
        f"INSERT INTO memory ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                r.id,
                r.agent,
                r.kind.value,
                r.text,
                r.created,
                r.last_access,
                r.importance,
                json.dumps(list(r.evidence)),
                r.expires,
                row.tobytes(),
            )
            for r, row in zip(records, rows, strict=True)
        ),
    )


def update_last_access(conn: sqlite3.Connection, updates: Iterable[tuple[int, int]]) -> None:
    """Set last_access for (memory id, tick) pairs; every id must already be stored."""
    updates = [(int(tick), int(memory_id)) for memory_id, tick in updates]
    if not updates:
        return
    cursor = conn.executemany("UPDATE memory SET last_access = ? WHERE id = ?", updates)
    if cursor.rowcount != len(updates):
        raise KeyError(
            f"{len(updates) - cursor.rowcount} of {len(updates)} last-access updates name "
            "memories that are not stored"
        )


def write_pending(
    conn: sqlite3.Connection, stream: MemoryStream, before: int | None = None
) -> PendingWrites:
    """Write what the stream has not stored yet (of its records, those made `before` a tick,
    if given); return it, for `stream.mark_written` once the transaction has committed."""
    pending = stream.pending_writes()
    if before is not None:
        pending = pending.before(before)
    if pending:
        check_embedder(conn, stream.embedder)
        insert_records(conn, pending.records, pending.vectors)
        update_last_access(conn, pending.last_access)
    return pending


def _decode(row: Sequence[Any], dim: int) -> tuple[MemoryRecord, bytes]:
    memory_id, agent, kind, text, created, last_access, importance, evidence, expires, blob = row
    if not isinstance(blob, bytes) or len(blob) != dim * 4:
        size = len(blob) if isinstance(blob, bytes) else type(blob).__name__
        raise CorruptMemoryError(
            f"memory {memory_id}: embedding blob is {size}, expected {dim * 4} bytes"
        )
    try:
        evidence_ids = json.loads(evidence)
        if not isinstance(evidence_ids, list):
            raise ValueError("evidence is not a JSON array")
        record = MemoryRecord(
            memory_id, agent, text, kind, created, last_access, importance, evidence_ids, expires
        )
    except (ValueError, TypeError) as err:
        raise CorruptMemoryError(f"memory {memory_id}: {err}") from err
    return record, blob


def _rows_to_stream(rows: list[Sequence[Any]], stream: MemoryStream) -> MemoryStream:
    records, vectors = _decode_rows(rows, stream.dim)
    try:
        stream.load_records(records, vectors, written=True)
    except ValueError as err:
        raise CorruptMemoryError(f"memories of {stream.agent!r}: {err}") from err
    return stream


def _decode_rows(rows: list[Sequence[Any]], dim: int) -> tuple[list[MemoryRecord], np.ndarray]:
    decoded = [_decode(row, dim) for row in rows]
    records = [record for record, _ in decoded]
    vectors = np.frombuffer(b"".join(blob for _, blob in decoded), dtype="<f4")
    try:
        return records, checked_unit_rows(
            vectors.reshape(len(records), dim), dim, "stored embeddings"
        )
    except ValueError as err:
        raise CorruptMemoryError(f"stored embeddings: {err}") from err


def load_records(
    conn: sqlite3.Connection, agent: str, embedder: Embedder, upto: int | None = None
) -> tuple[list[MemoryRecord], np.ndarray]:
    """One agent's stored memories (those with id <= `upto`, if given) and their vectors."""
    check_embedder(conn, embedder)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM memory WHERE agent = ? AND id <= ? ORDER BY id",
        (agent, upto if upto is not None else 2**62),
    ).fetchall()
    return _decode_rows(rows, embedder.dim)


def forget_after(conn: sqlite3.Connection, memory_id: int) -> int:
    """Delete every memory with a larger id (a run resumed from an earlier checkpoint makes
    them again); returns how many."""
    return conn.execute("DELETE FROM memory WHERE id > ?", (memory_id,)).rowcount


def load_stream(
    conn: sqlite3.Connection, agent: str, embedder: Embedder, **stream_options: Any
) -> MemoryStream:
    """One agent's stream as stored. `stream_options` go to MemoryStream (ids, index, weights,
    ticks_per_hour, decay); pass the run's shared IdAllocator so new ids do not collide."""
    check_embedder(conn, embedder)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM memory WHERE agent = ? ORDER BY id", (agent,)
    ).fetchall()
    return _rows_to_stream(rows, MemoryStream(agent, embedder, **stream_options))


def load_streams(
    conn: sqlite3.Connection,
    embedder: Embedder,
    *,
    ids: IdAllocator | None = None,
    **stream_options: Any,
) -> dict[str, MemoryStream]:
    """Every agent's stream, sharing one id allocator (`ids`, or a new one past every id)."""
    check_embedder(conn, embedder)
    ids = ids if ids is not None else IdAllocator()
    by_agent: dict[str, list[Sequence[Any]]] = {}
    for row in conn.execute(f"SELECT {_COLUMNS} FROM memory ORDER BY id"):
        by_agent.setdefault(row[1], []).append(row)
    return {
        agent: _rows_to_stream(rows, MemoryStream(agent, embedder, ids=ids, **stream_options))
        for agent, rows in by_agent.items()
    }
