"""Property: the stream's fast retrieval equals brute-force exact scoring on random streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory import (
    HashingEmbedder,
    MemoryRecord,
    MemoryStream,
    RetrievalWeights,
    reference_ranking,
)

DIM = 8
KINDS = ["observation", "reflection", "plan", "chat"]


@st.composite
def exact_unit_vectors(draw: st.DrawFn) -> np.ndarray:
    """Unit vectors whose dot products are exact in float32 and float64: a signed axis, or four
    signed halves. So relevance is identical in both implementations and ties are real ties."""
    vector = np.zeros(DIM, dtype=np.float32)
    if draw(st.booleans()):
        vector[draw(st.integers(0, DIM - 1))] = draw(st.sampled_from([-1.0, 1.0]))
    else:
        axes = draw(st.permutations(range(DIM)))[:4]
        vector[axes] = draw(st.lists(st.sampled_from([-0.5, 0.5]), min_size=4, max_size=4))
    return vector


def gaussian_unit_vectors(seed: int, n: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@st.composite
def memories(draw: st.DrawFn) -> list[MemoryRecord]:
    """Records with few distinct ticks and importances, so that ties are common."""
    count = draw(st.integers(0, 40))
    records = []
    for i in range(count):
        created = draw(st.integers(0, 20)) * 180
        last_access = created + draw(st.sampled_from([0, 0, 90, 360, 3600, 36_000]))
        offset = draw(st.one_of(st.none(), st.sampled_from([0, 360, 3600, 36_000, 80_000])))
        expires = None if offset is None else created + offset
        records.append(
            MemoryRecord(
                id=i * 2 + 1,
                agent="Isabella",
                text=f"memory {i}",
                kind=draw(st.sampled_from(KINDS)),
                created=created,
                last_access=last_access,
                importance=draw(st.integers(1, 10)),
                expires=expires,
            )
        )
    return records


weights = st.builds(
    RetrievalWeights,
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 0.3]),
    st.sampled_from([0.0, 1.0, 1.7]),
    st.sampled_from([0.0, 1.0, 3.0]),
)


def stream_from(records: list[MemoryRecord], vectors: np.ndarray) -> MemoryStream:
    stream = MemoryStream("Isabella", HashingEmbedder(DIM))
    stream.load_records(records, vectors.reshape(len(records), DIM))
    return stream


def latest(records: list[MemoryRecord]) -> int:
    return max((r.last_access for r in records), default=0)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    records=memories(),
    data=st.data(),
    query=exact_unit_vectors(),
    wait=st.sampled_from([0, 10, 360, 5000, 60_000]),
    k=st.integers(0, 45),
    w=weights,
)
def test_retrieval_equals_brute_force_exactly(
    records: list[MemoryRecord],
    data: st.DataObject,
    query: np.ndarray,
    wait: int,
    k: int,
    w: RetrievalWeights,
) -> None:
    vectors = np.array([data.draw(exact_unit_vectors()) for _ in records], dtype=np.float32)
    stream = stream_from(records, vectors)
    # Often exactly an expiry tick (a memory counts for the last time) or the tick after.
    edges = sorted({r.expires + d for r in records if r.expires is not None for d in (0, 1)})
    now = max(latest(records), data.draw(st.sampled_from([latest(records) + wait, *edges])))
    # Twice: the second retrieval sees the last accesses the first one updated.
    for _ in range(2):
        current = list(stream)
        expected = reference_ranking(current, vectors.reshape(-1, DIM), query, now, w)[:k]
        got = stream.retrieve_scored(query, now, k, weights=w)
        assert [(m.record.id, m.score) for m in got] == [(s.id, s.score) for s in expected]
        assert [(m.recency, m.importance, m.relevance) for m in got] == [
            (s.recency, s.importance, s.relevance) for s in expected
        ]
        assert all(stream.get(m.record.id).last_access == now for m in got)
        now += 400


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    records=memories(),
    seed=st.integers(0, 2**32 - 1),
    wait=st.sampled_from([0, 360, 60_000]),
    k=st.integers(1, 45),
    w=weights,
)
def test_retrieval_equals_brute_force_on_real_valued_vectors(
    records: list[MemoryRecord], seed: int, wait: int, k: int, w: RetrievalWeights
) -> None:
    # General vectors: float32 and float64 relevance differ in the last bits, so scores agree
    # to 1e-6, and the order must match wherever the reference has no near-tie.
    vectors = gaussian_unit_vectors(seed, len(records))
    query = gaussian_unit_vectors(seed + 1, 1)[0]
    stream = stream_from(records, vectors)
    now = latest(records) + wait
    expected = reference_ranking(list(stream), vectors, query, now, w)
    reference_score = {s.id: s.score for s in expected}
    got = stream.retrieve_scored(query, now, k, weights=w, touch=False)
    assert len(got) == min(k, len(expected))
    assert len({m.record.id for m in got}) == len(got)
    for rank, memory in enumerate(got):
        assert abs(memory.score - reference_score[memory.record.id]) < 1e-6
        assert abs(memory.score - expected[rank].score) < 1e-6
        if memory.record.id != expected[rank].id:  # only a near-tie may swap places
            assert abs(expected[rank].score - reference_score[memory.record.id]) < 2e-6


def test_large_stream_takes_the_sampled_path_and_still_matches() -> None:
    # 6000 memories: more than top_k samples from, with many ties on importance and ticks.
    rng = np.random.default_rng(7)
    n = 6000
    created = np.sort(rng.integers(0, 2000, n)) * 36
    records = [
        MemoryRecord(i, "Isabella", "m", "observation", int(c), int(c), int(rng.integers(1, 11)))
        for i, c in enumerate(created)
    ]
    axes = rng.integers(0, DIM, n)
    vectors = np.eye(DIM, dtype=np.float32)[axes] * rng.choice([-1, 1], n)[:, None]
    stream = stream_from(records, vectors.astype(np.float32))
    query = np.eye(DIM, dtype=np.float32)[3]
    now = int(created[-1]) + 100
    for k in (1, 10, 50):
        expected = reference_ranking(list(stream), vectors, query, now)[:k]
        got = stream.retrieve_scored(query, now, k, touch=False)
        assert [(m.record.id, m.score) for m in got] == [(s.id, s.score) for s in expected]
