"""VectorIndex: exact inner-product search by memory id, removal, bytes in and out."""

from __future__ import annotations

import struct
import zlib

import faiss
import numpy as np
import pytest

from memory import CorruptIndexError, VectorIndex
from memory.index import BLAS_THRESHOLD


def unit_rows(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def brute_force(ids: np.ndarray, rows: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = rows @ query
    return [int(ids[i]) for i in np.argsort(-scores, kind="stable")[:k]]


def test_blas_threshold_is_set_on_import() -> None:
    assert faiss.cvar.distance_compute_blas_threshold == BLAS_THRESHOLD


def test_search_returns_memory_ids_best_first() -> None:
    rows = unit_rows(200, 32)
    ids = np.arange(1000, 1200)
    index = VectorIndex(32)
    index.add(ids, rows)
    queries = unit_rows(25, 32, seed=1)  # 25 >= the BLAS threshold: the batched path
    scores, found = index.search(queries, 5)
    assert scores.shape == found.shape == (25, 5)
    for q in range(25):
        assert found[q].tolist() == brute_force(ids, rows, queries[q], 5)
        np.testing.assert_allclose(scores[q], np.sort(rows @ queries[q])[::-1][:5], atol=1e-5)


def test_add_normalises_and_search_normalises_queries() -> None:
    index = VectorIndex(4)
    index.add([5, 6], np.array([[3.0, 0, 0, 0], [0, 0, 2.0, 0]]))
    scores, found = index.search(np.array([0, 0, 10.0, 0]), 2)
    assert found.tolist() == [[6, 5]]
    np.testing.assert_allclose(scores, [[1.0, 0.0]], atol=1e-6)


def test_remove_and_k_larger_than_the_index() -> None:
    index = VectorIndex(8)
    rows = unit_rows(10, 8)
    index.add(range(10), rows)
    index.remove([3, 7])
    assert len(index) == 8
    assert 3 not in index and 4 in index
    _, found = index.search(rows[3], 100)
    assert found.shape == (1, 8)
    assert not {3, 7} & set(found[0].tolist())
    with pytest.raises(KeyError, match="not in the index"):
        index.remove([3])


def test_empty_index_search() -> None:
    scores, found = VectorIndex(8).search(unit_rows(2, 8), 3)
    assert scores.shape == found.shape == (2, 0)


@pytest.mark.parametrize(
    ("ids", "vectors", "error"),
    [
        ([1, 2], np.ones((2, 5)), ValueError),  # wrong dimension
        ([1, 2], np.ones((3, 8)), ValueError),  # count mismatch
        ([1, 1], np.ones((2, 8)), ValueError),  # duplicate ids
        ([0], np.ones((1, 8)), ValueError),  # already present
        ([9], np.zeros((1, 8)), ValueError),  # no direction
        ([9], np.full((1, 8), np.nan), ValueError),
        ([-4], np.ones((1, 8)), ValueError),
        ([1.5], np.ones((1, 8)), TypeError),
    ],
)
def test_bad_adds(ids: list[object], vectors: np.ndarray, error: type[Exception]) -> None:
    index = VectorIndex(8)
    index.add([0], np.ones((1, 8)))
    with pytest.raises(error):
        index.add(ids, vectors)  # type: ignore[arg-type]
    assert len(index) == 1


def test_bytes_round_trip_is_exact() -> None:
    index = VectorIndex(16)
    rows = unit_rows(50, 16)
    index.add(np.arange(50) * 3, rows)
    index.remove([9, 12])
    copy = VectorIndex.from_bytes(index.to_bytes())
    assert len(copy) == 48
    ids, stored = index.vectors()
    copy_ids, copy_stored = copy.vectors()
    np.testing.assert_array_equal(ids, copy_ids)
    assert stored.tobytes() == copy_stored.tobytes()
    queries = unit_rows(4, 16, seed=2)
    for a, b in zip(index.search(queries, 7), copy.search(queries, 7), strict=True):
        np.testing.assert_array_equal(a, b)


def test_bytes_are_not_a_pickle() -> None:
    data = VectorIndex(4).to_bytes()
    assert data.startswith(b"GTVINDEX")
    assert b"\x80\x04" not in data[:2]


def corrupt(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def test_corrupted_bytes_are_refused() -> None:
    index = VectorIndex(8)
    index.add(range(4), unit_rows(4, 8))
    data = index.to_bytes()
    with pytest.raises(CorruptIndexError, match="checksum"):
        VectorIndex.from_bytes(corrupt(data, len(data) // 2))
    with pytest.raises(CorruptIndexError, match="bytes"):
        VectorIndex.from_bytes(data[:-5])
    with pytest.raises(CorruptIndexError, match="magic"):
        VectorIndex.from_bytes(corrupt(data, 0))
    with pytest.raises(CorruptIndexError, match="short"):
        VectorIndex.from_bytes(b"GTV")
    assert issubclass(CorruptIndexError, ValueError)


def test_well_formed_bytes_with_bad_vectors_are_refused() -> None:
    # A correct header and checksum around vectors that are not unit length: damaged or forged.
    dim, ids = 4, np.array([1, 2], dtype="<i8")
    rows = np.array([[2, 0, 0, 0], [0, 1, 0, 0]], dtype="<f4")
    body = struct.pack("<8sIIQ", b"GTVINDEX", 1, dim, 2) + ids.tobytes() + rows.tobytes()
    data = body + struct.pack("<I", zlib.crc32(body))
    with pytest.raises(CorruptIndexError, match="length"):
        VectorIndex.from_bytes(data)
    rows[0] = [1, 0, 0, 0]
    body = struct.pack("<8sIIQ", b"GTVINDEX", 1, dim, 2) + ids.tobytes() + rows.tobytes()
    assert len(VectorIndex.from_bytes(body + struct.pack("<I", zlib.crc32(body)))) == 2


def test_empty_index_round_trip() -> None:
    copy = VectorIndex.from_bytes(VectorIndex(12).to_bytes())
    assert (copy.dim, len(copy)) == (12, 0)
