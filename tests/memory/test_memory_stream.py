"""MemoryStream: adding, ids, look-ups, plain-data state, pending writes, a shared index."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from memory import (
    HashingEmbedder,
    IdAllocator,
    MemoryKind,
    MemoryStream,
    NewMemory,
    VectorIndex,
)


class CountingEmbedder(HashingEmbedder):
    """Records every embed call, to check batching."""

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return super().embed(texts)


def town_day(stream: MemoryStream) -> None:
    stream.add("Isabella wakes up", "observation", tick=0, importance=2)
    stream.add_many(
        [
            NewMemory("Klaus is reading in the library", "observation", 3),
            NewMemory("Isabella is brewing coffee at Hobbs Cafe", "observation", 4),
        ],
        tick=360,
    )
    stream.add("Isabella plans a Valentine's party", "plan", 720, 8, expires=8640)
    stream.add("Isabella cares about her customers", "reflection", 1080, 7, evidence=(1, 2))
    stream.add("Klaus: good morning", "chat", 1440, 2)


def test_add_assigns_increasing_ids_and_ticks() -> None:
    stream = MemoryStream("Isabella", HashingEmbedder())
    town_day(stream)
    assert [m.id for m in stream] == [0, 1, 2, 3, 4, 5]
    assert len(stream) == 6
    first = stream.get(1)
    assert (first.created, first.last_access, first.agent) == (360, 360, "Isabella")
    assert stream.get(4).evidence == (1, 2)
    assert 4 in stream and 9 not in stream
    with pytest.raises(KeyError, match="no memory 9"):
        stream.get(9)


def test_add_many_embeds_in_one_call() -> None:
    embedder = CountingEmbedder()
    stream = MemoryStream("Isabella", embedder)
    stream.add_many([NewMemory(f"observation {i}", "observation", 1) for i in range(5)], tick=3)
    assert embedder.calls == [[f"observation {i}" for i in range(5)]]
    np.testing.assert_array_equal(stream.vector(2), embedder.embed(["observation 2"])[0])


def test_of_kind_and_newest() -> None:
    stream = MemoryStream("Isabella", HashingEmbedder())
    town_day(stream)
    assert [m.id for m in stream.of_kind("observation")] == [0, 1, 2]
    assert [m.id for m in stream.of_kind(MemoryKind.PLAN)] == [3]
    assert [m.id for m in stream.newest(3)] == [5, 4, 3]
    assert [m.id for m in stream.newest(100)] == [5, 4, 3, 2, 1, 0]
    assert stream.newest(0) == []
    with pytest.raises(ValueError, match="unknown memory kind"):
        stream.of_kind("dream")


def test_newest_is_by_created_tick_even_out_of_order() -> None:
    stream = MemoryStream("Isabella", HashingEmbedder())
    stream.add("late", "observation", 500, 1)
    stream.add("backstory", "observation", 0, 1)  # an earlier tick, added afterwards
    stream.add("same tick", "observation", 500, 1)
    assert [m.text for m in stream.newest(3)] == ["same tick", "late", "backstory"]


def test_shared_allocator_gives_unique_deterministic_ids() -> None:
    def run() -> list[tuple[str, int]]:
        ids = IdAllocator()
        a = MemoryStream("Isabella", HashingEmbedder(), ids=ids)
        b = MemoryStream("Klaus", HashingEmbedder(), ids=ids)
        a.add("x", "observation", 0, 1)
        b.add_many([NewMemory("y", "observation", 1), NewMemory("z", "chat", 2)], 0)
        a.add("w", "observation", 1, 1)
        return [(m.agent, m.id) for s in (a, b) for m in s]

    assert run() == [("Isabella", 0), ("Isabella", 3), ("Klaus", 1), ("Klaus", 2)]
    assert run() == run()


def test_bad_adds_leave_the_stream_unchanged() -> None:
    stream = MemoryStream("Isabella", HashingEmbedder())
    stream.add("fine", "observation", 0, 5)
    with pytest.raises(ValueError, match="importance"):
        stream.add("too important", "observation", 1, 11)
    with pytest.raises(ValueError, match="unknown memory kind"):
        stream.add("a dream", "dream", 1, 5)
    with pytest.raises(ValueError, match="does not have"):
        stream.add("a thought", "reflection", 1, 5, evidence=(42,))
    with pytest.raises(ValueError, match="shape"):
        stream.add_many([NewMemory("v", "observation", 1)], 1, vectors=np.ones((1, 3)))
    with pytest.raises(ValueError, match="2 memories but 1 vectors"):
        stream.add_many(
            [NewMemory("v", "observation", 1), NewMemory("w", "observation", 1)],
            1,
            vectors=np.ones((1, 384)),
        )
    with pytest.raises(TypeError, match="tick"):
        stream.add("x", "observation", "noon", 5)  # type: ignore[arg-type]
    assert len(stream) == 1
    assert stream.add("next", "observation", 2, 5).id == 1  # no id was used up


def test_state_round_trip_through_json_retrieves_identically() -> None:
    stream = MemoryStream("Isabella", HashingEmbedder())
    town_day(stream)
    stream.retrieve("coffee", 2000, 2)  # some last accesses differ from created
    state = json.loads(json.dumps(stream.get_state()))
    copy = MemoryStream("Isabella", HashingEmbedder())
    copy.set_state(state)
    assert list(copy) == list(stream)
    np.testing.assert_array_equal(copy.matrix(), stream.matrix())
    for query in ["coffee at the cafe", "party", "Klaus"]:
        assert copy.retrieve_scored(query, 3000, 4) == stream.retrieve_scored(query, 3000, 4)
    assert copy.ids.next_id == 6


def test_state_without_vectors_embeds_again() -> None:
    stream = MemoryStream("Isabella", HashingEmbedder())
    town_day(stream)
    state = stream.get_state(vectors=False)
    assert "vectors" not in state
    copy = MemoryStream("Isabella", HashingEmbedder())
    copy.set_state(state)
    np.testing.assert_array_equal(copy.matrix(), stream.matrix())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"agent": "Klaus"}, "state of agent 'Klaus'"),
        ({"format": 99}, "format"),
        ({"embedder": "other-model"}, "embedded with 'other-model'"),
        ({"vectors": "AAAA"}, "need"),
        ({"vectors": "not base64!"}, "base64"),
    ],
)
def test_bad_state_is_refused_and_changes_nothing(change: dict[str, object], message: str) -> None:
    stream = MemoryStream("Isabella", HashingEmbedder())
    town_day(stream)
    before = list(stream)
    with pytest.raises(ValueError, match=message):
        stream.set_state({**stream.get_state(), **change})
    assert list(stream) == before


def test_state_with_a_broken_evidence_link_is_refused() -> None:
    stream = MemoryStream("Isabella", HashingEmbedder())
    town_day(stream)
    state = stream.get_state(vectors=False)
    del state["records"][1]  # memory 4 cites it
    with pytest.raises(ValueError, match="does not have"):
        MemoryStream("Isabella", HashingEmbedder()).set_state(state)


def test_retrieve_many_equals_one_retrieval_after_another() -> None:
    def fresh() -> MemoryStream:
        stream = MemoryStream("Isabella", HashingEmbedder())
        town_day(stream)
        return stream

    queries = ["coffee at the cafe", "Valentine's party", "coffee"]
    together, one_by_one = fresh(), fresh()
    batched = together.retrieve_many(queries, 5000, 2)
    sequential = [one_by_one.retrieve_scored(q, 5000, 2) for q in queries]
    assert batched == sequential
    assert list(together) == list(one_by_one)


def test_pending_writes_follow_adds_and_touches() -> None:
    stream = MemoryStream("Isabella", HashingEmbedder())
    town_day(stream)
    pending = stream.pending_writes()
    assert [r.id for r in pending.records] == [0, 1, 2, 3, 4, 5]
    assert pending.vectors.shape == (6, 384)
    stream.mark_written(pending)
    assert not stream.pending_writes()
    [hit] = stream.retrieve("coffee at Hobbs Cafe", 2000, 1)
    stream.add("Maria orders a latte", "observation", 2000, 3)
    pending = stream.pending_writes()
    assert [r.id for r in pending.records] == [6]
    assert pending.last_access == ((hit.id, 2000),)
    stream.retrieve("coffee at Hobbs Cafe", 2100, 1)  # touched again before the commit
    stream.mark_written(pending)
    assert stream.pending_writes().last_access == ((hit.id, 2100),)
    with pytest.raises(ValueError, match="handed to"):
        MemoryStream("Klaus", HashingEmbedder()).mark_written(pending)


def test_streams_share_one_vector_index() -> None:
    ids, index = IdAllocator(), VectorIndex(384)
    isabella = MemoryStream("Isabella", HashingEmbedder(), ids=ids, index=index)
    klaus = MemoryStream("Klaus", HashingEmbedder(), ids=ids, index=index)
    isabella.add("Isabella is brewing coffee at Hobbs Cafe", "observation", 0, 3)
    klaus.add("Klaus is reading in the library", "observation", 0, 3)
    assert len(index) == 2
    _, found = index.search(HashingEmbedder().embed(["library reading"]), 1)
    assert klaus.get(int(found[0, 0])).text == "Klaus is reading in the library"
    klaus.set_state(klaus.get_state())  # replaced, not duplicated
    assert len(index) == 2
    with pytest.raises(ValueError, match="dim"):
        MemoryStream("Maria", HashingEmbedder(), index=VectorIndex(8))
