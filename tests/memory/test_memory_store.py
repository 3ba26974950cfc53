"""SQLite storage: rows and float32 blobs, per-tick writes inside the caller's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import numpy as np
import pytest

from memory import HashingEmbedder, IdAllocator, MemoryStream, NewMemory
from memory.store import (
    CorruptMemoryError,
    create_tables,
    load_stream,
    load_streams,
    update_last_access,
    write_pending,
)

QUERIES = ["coffee at the cafe", "party", "library", "good morning Klaus"]


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    create_tables(connection, HashingEmbedder())
    connection.commit()
    yield connection
    connection.close()


def town(ids: IdAllocator | None = None) -> dict[str, MemoryStream]:
    ids = ids or IdAllocator()
    isabella = MemoryStream("Isabella", HashingEmbedder(), ids=ids)
    klaus = MemoryStream("Klaus", HashingEmbedder(), ids=ids)
    isabella.add("Isabella is brewing coffee at Hobbs Cafe", "observation", 0, 4)
    klaus.add("Klaus is reading in the library", "observation", 0, 3)
    isabella.add("Isabella plans a Valentine's party", "plan", 360, 8, expires=8640)
    klaus.add_many(
        [
            NewMemory("Klaus: good morning", "chat", 2),
            NewMemory("the cafe is busy", "observation", 5),
        ],
        720,
    )
    isabella.add("Isabella loves her cafe", "reflection", 1080, 7, evidence=(0,))
    return {"Isabella": isabella, "Klaus": klaus}


def save(conn: sqlite3.Connection, streams: dict[str, MemoryStream]) -> None:
    with conn:  # the caller's transaction, as the run-file writer will do per tick
        done = [(s, write_pending(conn, s)) for s in streams.values()]
    for stream, pending in done:
        stream.mark_written(pending)


def test_round_trip_gives_identical_retrievals(conn: sqlite3.Connection) -> None:
    streams = town()
    save(conn, streams)
    streams["Isabella"].retrieve("coffee", 2000, 2)  # last accesses written on the next save
    streams["Klaus"].add("Klaus finishes a chapter", "observation", 2000, 4)
    save(conn, streams)
    loaded = load_streams(conn, HashingEmbedder())
    assert set(loaded) == {"Isabella", "Klaus"}
    for agent, stream in streams.items():
        copy = loaded[agent]
        assert list(copy) == list(stream)
        assert copy.matrix().tobytes() == stream.matrix().tobytes()
        assert not copy.pending_writes()
        for now, query in enumerate(QUERIES, start=3000):
            assert copy.retrieve_scored(query, now, 3) == stream.retrieve_scored(query, now, 3)
    # The loaded streams share one allocator that continues after every stored id.
    assert loaded["Klaus"].ids is loaded["Isabella"].ids
    assert loaded["Klaus"].add("next", "observation", 4000, 1).id == 7


def test_load_one_agent(conn: sqlite3.Connection) -> None:
    streams = town()
    save(conn, streams)
    klaus = load_stream(conn, "Klaus", HashingEmbedder(), ids=IdAllocator())
    assert [m.id for m in klaus] == [1, 3, 4]
    assert klaus.ids.next_id == 5  # past Klaus's own memories; share the run's allocator
    assert len(load_stream(conn, "Nobody", HashingEmbedder())) == 0


def test_writes_stay_pending_when_the_transaction_fails(conn: sqlite3.Connection) -> None:
    streams = town()
    isabella = streams["Isabella"]
    with pytest.raises(RuntimeError), conn:
        write_pending(conn, isabella)
        raise RuntimeError("the tick failed after writing memories")
    assert conn.execute("SELECT COUNT(*) FROM memory").fetchone() == (0,)
    assert len(isabella.pending_writes().records) == 3  # nothing marked written
    save(conn, streams)
    assert conn.execute("SELECT COUNT(*) FROM memory").fetchone() == (6,)


def test_functions_do_not_commit(conn: sqlite3.Connection) -> None:
    write_pending(conn, town()["Isabella"])
    assert conn.in_transaction
    conn.rollback()
    assert conn.execute("SELECT COUNT(*) FROM memory").fetchone() == (0,)


def test_blobs_are_little_endian_float32(conn: sqlite3.Connection) -> None:
    streams = town()
    save(conn, streams)
    (blob,) = conn.execute("SELECT embedding FROM memory WHERE id = 0").fetchone()
    assert len(blob) == 384 * 4
    np.testing.assert_array_equal(np.frombuffer(blob, "<f4"), streams["Isabella"].vector(0))


def test_update_last_access_of_a_missing_memory(conn: sqlite3.Connection) -> None:
    with pytest.raises(KeyError, match="not stored"):
        update_last_access(conn, [(99, 10)])


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE memory SET embedding = X'00010203' WHERE id = 2", "blob is 4"),
        ("UPDATE memory SET embedding = 'text' WHERE id = 2", "blob is str"),
        ("UPDATE memory SET embedding = zeroblob(1536) WHERE id = 2", "length 0"),
        ("UPDATE memory SET importance = 12 WHERE id = 2", "importance"),
        ("UPDATE memory SET kind = 'dream' WHERE id = 2", "unknown memory kind"),
        ("UPDATE memory SET evidence = '{\"a\": 1}' WHERE id = 5", "JSON array"),
        ("UPDATE memory SET evidence = '[3]' WHERE id = 5", "does not have"),
    ],
)
def test_corrupted_rows_are_refused(conn: sqlite3.Connection, sql: str, message: str) -> None:
    save(conn, town())
    conn.execute(sql)
    with pytest.raises(CorruptMemoryError, match=message):
        load_streams(conn, HashingEmbedder())


def test_a_nan_embedding_is_refused(conn: sqlite3.Connection) -> None:
    save(conn, town())
    bad = np.full(384, np.nan, dtype="<f4").tobytes()
    conn.execute("UPDATE memory SET embedding = ? WHERE id = 0", (bad,))
    with pytest.raises(CorruptMemoryError, match="NaN"):
        load_stream(conn, "Isabella", HashingEmbedder())


def test_another_embedder_is_refused(conn: sqlite3.Connection) -> None:
    with pytest.raises(ValueError, match="embedded with 'hashing-v1-384'"):
        load_streams(conn, HashingEmbedder(dim=64))
    with pytest.raises(ValueError, match="embedded with"):
        create_tables(conn, HashingEmbedder(dim=64))
