"""A faiss index of memory vectors, keyed by memory id, that many agents' streams can share.

Exact (flat) inner product over unit vectors, i.e. cosine similarity. Serialised as raw arrays
with a checksum, never pickle, and never through faiss's own reader: a run file from a stranger is
data, and only our length-checked parser ever reads it.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Iterable

import faiss
import numpy as np

from memory.embed import checked_unit_rows, normalise_rows

# faiss-cpu 1.15 ships with this threshold at 128000 queries, which keeps every batched flat
# search on its scalar loop; from 20 queries on, one BLAS matrix product is several times faster.
BLAS_THRESHOLD = 20
STOCK_BLAS_THRESHOLD = faiss.cvar.distance_compute_blas_threshold  # for the benchmark's contrast
faiss.cvar.distance_compute_blas_threshold = BLAS_THRESHOLD

_MAGIC = b"GTVINDEX"
_VERSION = 1
_HEADER = struct.Struct("<8sIIQ")  # magic, version, dim, count
_CHECKSUM = struct.Struct("<I")


class CorruptIndexError(ValueError):
    """Serialised index bytes that are truncated, altered or not an index at all."""


def as_ids(ids: Iterable[int] | np.ndarray) -> np.ndarray:
    array = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids)
    if array.size == 0:
        return np.empty(0, dtype=np.int64)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"ids must be a 1-d sequence of ints, got dtype {array.dtype}")
    if (array < 0).any():
        raise ValueError("memory ids must be >= 0")
    return array.astype(np.int64)


class VectorIndex:
    """Unit vectors under globally unique memory ids: add, remove, top-k search, bytes in/out.

    Thread-safe: a lock serialises calls, so streams of agents thinking on different threads can
    share one index.
    """

    def __init__(self, dim: int) -> None:
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self.dim = dim
        self._index = faiss.IndexIDMap(faiss.IndexFlatIP(dim))
        self._ids: set[int] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._index.ntotal

    def __contains__(self, memory_id: object) -> bool:
        return memory_id in self._ids

    def add(self, ids: Iterable[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under new memory ids; the vectors are scaled to unit length."""
        self._add(as_ids(ids), normalise_rows(vectors, self.dim))

    def add_normalised(self, ids: Iterable[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors that already have unit length, bit for bit (a stream's own rows)."""
        self._add(as_ids(ids), checked_unit_rows(vectors, self.dim))

    def _add(self, id_array: np.ndarray, rows: np.ndarray) -> None:
        if len(rows) != len(id_array):
            raise ValueError(f"{len(id_array)} ids but {len(rows)} vectors")
        new = id_array.tolist()
        if len(set(new)) != len(new):
            raise ValueError("duplicate ids in one add")
        with self._lock:
            taken = self._ids.intersection(new)
            if taken:
                raise ValueError(f"ids already in the index: {sorted(taken)[:10]}")
            if new:
                self._index.add_with_ids(rows, id_array)
                self._ids.update(new)

    def remove(self, ids: Iterable[int] | np.ndarray) -> None:
        id_array = as_ids(ids)
        gone = set(id_array.tolist())
        with self._lock:
            unknown = gone - self._ids
            if unknown:
                raise KeyError(f"ids not in the index: {sorted(unknown)[:10]}")
            if gone:
                self._index.remove_ids(id_array)
                self._ids -= gone

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k most similar vectors for each query: (scores, ids), each of shape (n, k'),
        best first, with k' = min(k, len(self)). Queries are normalised like the stored vectors."""
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
            raise ValueError(f"k must be an int >= 0, got {k!r}")
        queries = normalise_rows(vectors, self.dim, "queries")
        with self._lock:
            k = min(int(k), self._index.ntotal)
            if k == 0:
                empty = np.empty((len(queries), 0))
                return empty.astype(np.float32), empty.astype(np.int64)
            scores, ids = self._index.search(queries, k)
        return scores, ids

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) in insertion order, copies."""
        with self._lock:
            n = self._index.ntotal
            ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            flat = faiss.downcast_index(self._index.index)
            rows = flat.reconstruct_n(0, n) if n else np.empty((0, self.dim), np.float32)
        return ids, rows.reshape(n, self.dim)

    def to_bytes(self) -> bytes:
        ids, rows = self.vectors()
        body = (
            _HEADER.pack(_MAGIC, _VERSION, self.dim, len(ids))
            + ids.astype("<i8").tobytes()
            + rows.astype("<f4").tobytes()
        )
        return body + _CHECKSUM.pack(zlib.crc32(body))

    @classmethod
    def from_bytes(cls, data: bytes) -> VectorIndex:
        data = bytes(data)
        if len(data) < _HEADER.size + _CHECKSUM.size:
            raise CorruptIndexError(f"index data too short ({len(data)} bytes)")
        magic, version, dim, count = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise CorruptIndexError("not a serialised VectorIndex (bad magic)")
        if version != _VERSION:
            raise CorruptIndexError(f"unsupported VectorIndex format version {version}")
        if dim < 1:
            raise CorruptIndexError(f"bad dimension {dim}")
        expected = _HEADER.size + count * 8 + count * dim * 4 + _CHECKSUM.size
        if len(data) != expected:
            raise CorruptIndexError(
                f"index data is {len(data)} bytes; {count} vectors of dim {dim} need {expected}"
            )
        (checksum,) = _CHECKSUM.unpack_from(data, len(data) - _CHECKSUM.size)
        if zlib.crc32(data[: -_CHECKSUM.size]) != checksum:
            raise CorruptIndexError("index data checksum mismatch")
        offset = _HEADER.size
        ids = np.frombuffer(data, dtype="<i8", count=count, offset=offset)
        rows = np.frombuffer(data, dtype="<f4", count=count * dim, offset=offset + count * 8)
        index = cls(dim)
        try:
            # Stored rows are unit already; adding them unchanged keeps a round trip bit-exact.
            index.add_normalised(ids, rows.reshape(count, dim))
        except (ValueError, TypeError) as err:
            raise CorruptIndexError(f"index data holds invalid entries: {err}") from err
        return index
