"""Retrieval scoring on hand-computed cases, the min-max rule, expiry, ties and top-k."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory import (
    HashingEmbedder,
    MemoryRecord,
    MemoryStream,
    NewMemory,
    RecencyDecay,
    RetrievalWeights,
    reference_ranking,
)
from memory.retrieve import top_k

DIM = 8
Q = np.eye(DIM, dtype=np.float32)[0]  # the query direction
SAME = np.eye(DIM, dtype=np.float32)[1]  # orthogonal to the query: relevance 0 for all


def stream_of(
    rows: list[tuple[int, int, np.ndarray]], **options: object
) -> tuple[MemoryStream, list[MemoryRecord]]:
    """A stream with one memory per (last access tick, importance, vector), all created at 0."""
    stream = MemoryStream("Isabella", HashingEmbedder(DIM), **options)  # type: ignore[arg-type]
    records = [
        MemoryRecord(i, "Isabella", f"memory {i}", "observation", 0, tick, importance)
        for i, (tick, importance, _) in enumerate(rows)
    ]
    stream.load_records(records, np.stack([v for _, _, v in rows]))
    return stream, records


def ranked(stream: MemoryStream, now: int, k: int = 10, **kw: object) -> list[tuple[int, float]]:
    got = stream.retrieve_scored(Q, now, k, touch=False, **kw)  # type: ignore[arg-type]
    return [(m.record.id, m.score) for m in got]


def test_more_recent_ranks_first() -> None:
    # Accessed 10, 5 and 0 game hours before now (360 ticks an hour); the rest equal.
    stream, _ = stream_of([(0, 5, SAME), (1800, 5, SAME), (3600, 5, SAME)])
    # recency 0.995^10 = 0.951110, 0.995^5 = 0.975249, 1 -> normalised 0, 0.493735, 1;
    # importance and relevance are equal for all, so each is 0.5.
    (a, sa), (b, sb), (c, sc) = ranked(stream, now=3600)
    assert [a, b, c] == [2, 1, 0]
    assert sa == pytest.approx(2.0)
    assert sb == pytest.approx(1.493735, abs=1e-6)
    assert sc == pytest.approx(1.0)


def test_more_important_ranks_first() -> None:
    stream, _ = stream_of([(0, 2, SAME), (0, 9, SAME), (0, 5, SAME)])
    # importance 2, 9, 5 -> normalised 0, 1, 3/7
    assert ranked(stream, now=0) == [
        (1, pytest.approx(2.0)),
        (2, pytest.approx(1 + 3 / 7)),
        (0, pytest.approx(1.0)),
    ]


def test_more_relevant_ranks_first() -> None:
    far, near, half = np.eye(DIM)[1], np.eye(DIM)[0], np.array([0.6, 0.8] + [0] * (DIM - 2))
    stream, _ = stream_of([(0, 5, far), (0, 5, near), (0, 5, half)])
    # cosine 0, 1, 0.6 -> normalised the same
    assert ranked(stream, now=0) == [
        (1, pytest.approx(2.0)),
        (2, pytest.approx(1.6)),
        (0, pytest.approx(1.0)),
    ]


def test_weights_decide_between_recent_and_important() -> None:
    # Memory 0: accessed just now, importance 1. Memory 1: accessed 100 hours ago, importance 10.
    stream, _ = stream_of([(36_000, 1, SAME), (0, 10, SAME)])
    assert [i for i, _ in ranked(stream, now=36_000)] == [1, 0]  # tie 1.5/1.5: newer id
    assert ranked(stream, 36_000, weights=RetrievalWeights(recency=2)) == [
        (0, pytest.approx(2.5)),
        (1, pytest.approx(1.5)),
    ]
    assert [i for i, _ in ranked(stream, 36_000, weights=RetrievalWeights(importance=2))] == [1, 0]


def test_ticks_per_hour_sets_the_hour() -> None:
    # With 60 ticks an hour, 600 ticks are 10 hours: the same numbers as the recency case.
    stream, _ = stream_of([(0, 5, SAME), (300, 5, SAME), (600, 5, SAME)], ticks_per_hour=60)
    assert ranked(stream, now=600)[1] == (1, pytest.approx(1.493735, abs=1e-6))


def test_a_component_equal_for_all_counts_one_half() -> None:
    stream, _ = stream_of([(0, 5, SAME)])
    [scored] = stream.retrieve_scored(Q, 0, 1)
    assert (scored.recency, scored.importance, scored.relevance, scored.score) == (
        0.5,
        0.5,
        0.5,
        1.5,
    )


def test_exact_ties_go_to_the_newer_memory() -> None:
    stream, _ = stream_of([(0, 5, SAME)] * 5)
    assert [i for i, _ in ranked(stream, now=0, k=3)] == [4, 3, 2]


def test_expired_memories_are_not_candidates() -> None:
    stream = MemoryStream("Isabella", HashingEmbedder(DIM))
    stream.add_many(
        [
            NewMemory("plan: open the cafe", "plan", 10, expires=100),
            NewMemory("saw Klaus", "observation", 3),
            NewMemory("saw Maria", "observation", 5),
        ],
        tick=0,
        vectors=np.stack([SAME, SAME, SAME]),
    )
    at_expiry = stream.retrieve_scored(Q, 100, 5, touch=False)
    assert [m.record.id for m in at_expiry] == [0, 2, 1]
    after = stream.retrieve_scored(Q, 101, 5, touch=False)
    assert [m.record.id for m in after] == [2, 1]
    # Normalised over the live candidates only: importance 3 and 5 map to 0 and 1.
    assert [m.importance for m in after] == [1.0, 0.0]
    assert stream.retrieve(Q, 101, 5) == stream.retrieve(Q, 101, 5)
    stream.add("plan: close early", "plan", 200, 4, expires=150)  # already expired when made
    assert 3 not in [m.id for m in stream.retrieve(Q, 200, 5)]


def test_retrieval_updates_last_access_and_so_recency() -> None:
    stream, _ = stream_of([(0, 5, np.eye(DIM)[0]), (0, 5, np.eye(DIM)[2]), (0, 5, SAME)])
    [first] = stream.retrieve(Q, 3600, 1)
    assert first.id == 0 and first.last_access == 3600
    assert stream.get(0).last_access == 3600
    assert stream.get(1).last_access == 0
    # Asked about something else, memory 0 now wins on recency alone.
    other = stream.retrieve_scored(np.eye(DIM)[5], 3600, 3, touch=False)
    assert other[0].record.id == 0 and other[0].recency == 1.0


def test_the_reference_agrees_on_the_hand_cases() -> None:
    _, records = stream_of([(0, 5, SAME), (1800, 5, SAME), (3600, 5, SAME)])
    vectors = np.stack([SAME] * 3)
    ref = reference_ranking(records, vectors, Q, now=3600)
    assert [s.id for s in ref] == [2, 1, 0]
    assert ref[1].score == pytest.approx(1.493735, abs=1e-6)


def test_bad_retrieval_arguments() -> None:
    stream, _ = stream_of([(50, 5, SAME)])
    with pytest.raises(ValueError, match="time cannot go back"):
        stream.retrieve(Q, 49, 1)
    with pytest.raises(ValueError, match="k must be"):
        stream.retrieve(Q, 60, -1)
    with pytest.raises(ValueError, match="shape"):
        stream.retrieve(np.ones(DIM + 1), 60, 1)
    with pytest.raises(ValueError, match="zero vector"):
        stream.retrieve(np.zeros(DIM), 60, 1)
    with pytest.raises(TypeError, match="tick"):
        stream.retrieve(Q, 60.0, 1)  # type: ignore[arg-type]
    assert stream.retrieve(Q, 60, 0) == []
    stream.retrieve(Q, 60, 1)  # memory 0 is now last accessed at 60
    with pytest.raises(ValueError, match="before tick 60"):
        stream.retrieve(Q, 55, 1)


@pytest.mark.parametrize(
    "kwargs", [{"recency": -1.0}, {"importance": float("nan")}, {"relevance": float("inf")}]
)
def test_bad_weights(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="weight"):
        RetrievalWeights(**kwargs)


def test_bad_decay() -> None:
    with pytest.raises(ValueError):
        RecencyDecay(decay=1.5)
    with pytest.raises(ValueError):
        RecencyDecay(ticks_per_hour=0)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.one_of(st.integers(1, 60), st.integers(4000, 30_000)),
    distinct=st.integers(1, 50),
    k=st.integers(0, 80),
    spikes=st.integers(0, 30),
)
def test_top_k_equals_a_full_sort(seed: int, size: int, distinct: int, k: int, spikes: int) -> None:
    # Few distinct scores, so ties are everywhere; large sizes take the sampled-threshold path,
    # and a few high spikes (fewer than k, say) make the sample miss and force the fallback.
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, distinct, size).astype(np.float64) / 7
    scores[rng.integers(0, size, spikes)] = 100 + rng.integers(0, 3, spikes)
    ids = rng.permutation(size * 2)[:size].astype(np.int64)
    expected = np.lexsort((-ids, -scores))[:k]
    np.testing.assert_array_equal(top_k(scores, ids, k), expected)


def test_top_k_when_the_sample_leaves_too_few() -> None:
    # Only the sampled positions (every 9th of 10 000) score high, and each differently: the
    # sampled threshold lets fewer than k through, and the full partition must take over.
    scores = np.zeros(10_000)
    scores[::9] = 1 + np.arange(len(scores[::9]))
    ids = np.arange(10_000)
    np.testing.assert_array_equal(top_k(scores, ids, 40), np.lexsort((-ids, -scores))[:40])
