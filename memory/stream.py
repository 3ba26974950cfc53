"""An agent's memory stream: records in id order, their embeddings, look-ups and retrieval.

The stream keeps its embeddings in one contiguous float32 matrix (grown by doubling) and the
fields retrieval needs in parallel numpy arrays, so scoring every memory is one matrix-vector
product and a few vector operations, with no Python loop over memories.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memory.embed import Embedder, checked_unit_rows, normalise_rows
from memory.ids import IdAllocator
from memory.index import VectorIndex
from memory.record import MemoryKind, MemoryRecord, as_evidence, as_importance, as_tick
from memory.retrieve import (
    DECAY_PER_HOUR,
    TICKS_PER_HOUR,
    RecencyDecay,
    RetrievalWeights,
    rank_memories,
)

STATE_FORMAT = 1
NO_EXPIRY = np.iinfo(np.int64).max
_MIN_CAPACITY = 64

Query = str | np.ndarray


@dataclass(frozen=True, slots=True)
class NewMemory:
    """A memory about to be added: everything but the id and the tick, which the stream gives."""

    text: str
    kind: MemoryKind | str
    importance: int
    evidence: tuple[int, ...] = ()
    expires: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"text must be a str, got {type(self.text).__name__}")
        object.__setattr__(self, "kind", MemoryKind.parse(self.kind))
        object.__setattr__(self, "importance", as_importance(self.importance))
        object.__setattr__(self, "evidence", as_evidence(self.evidence))
        if self.expires is not None:
            object.__setattr__(self, "expires", as_tick(self.expires, "expires"))


@dataclass(frozen=True, slots=True)
class ScoredMemory:
    """A retrieved memory with its total score and its normalised components."""

    record: MemoryRecord
    score: float
    recency: float
    importance: float
    relevance: float


@dataclass(frozen=True, slots=True)
class PendingWrites:
    """What storage has not seen yet: new records with their vectors, and last-access updates."""

    agent: str
    records: tuple[MemoryRecord, ...]
    vectors: np.ndarray
    last_access: tuple[tuple[int, int], ...]  # (memory id, tick)
    upto: int  # how many of the stream's records are stored once these are

    def __bool__(self) -> bool:
        return bool(self.records or self.last_access)

    def before(self, tick: int) -> PendingWrites:
        """Only the records made before `tick` (those after are the newest, at the end)."""
        kept = 0
        while kept < len(self.records) and self.records[kept].created < tick:
            kept += 1
        dropped = len(self.records) - kept
        return PendingWrites(
            self.agent,
            self.records[:kept],
            self.vectors[:kept],
            self.last_access,
            self.upto - dropped,
        )


class MemoryStream:
    """The memories of one agent, oldest first, with retrieval by recency, importance, relevance.

    Several streams of one run share an `IdAllocator` (ids unique across agents) and may share a
    `VectorIndex` (every memory vector of the run, for searches across agents). Not thread-safe:
    one agent's stream is used by one thread at a time.
    """

    def __init__(
        self,
        agent: str,
        embedder: Embedder,
        *,
        ids: IdAllocator | None = None,
        index: VectorIndex | None = None,
        weights: RetrievalWeights | None = None,
        ticks_per_hour: float = TICKS_PER_HOUR,
        decay: float = DECAY_PER_HOUR,
    ) -> None:
        if not isinstance(agent, str) or not agent:
            raise ValueError(f"agent must be a non-empty str, got {agent!r}")
        if index is not None and index.dim != embedder.dim:
            raise ValueError(f"index dim {index.dim} != embedder dim {embedder.dim}")
        self.agent = agent
        self.embedder = embedder
        self.dim = embedder.dim
        self.ids = ids if ids is not None else IdAllocator()
        self.index = index
        self.weights = weights or RetrievalWeights()
        self.recency = RecencyDecay(decay, ticks_per_hour)
        self._reset()

    def _reset(self) -> None:
        self._records: list[MemoryRecord] = []
        self._positions: dict[int, int] = {}
        self._by_kind: dict[MemoryKind, list[int]] = {kind: [] for kind in MemoryKind}
        self._n = 0
        self._vectors = np.empty((0, self.dim), dtype=np.float32)
        self._ids = np.empty(0, dtype=np.int64)
        self._created = np.empty(0, dtype=np.int64)
        self._last_access = np.empty(0, dtype=np.int64)
        self._importance = np.empty(0, dtype=np.float64)
        self._expires = np.empty(0, dtype=np.int64)
        self._min_expires = NO_EXPIRY  # lets retrieval skip the expiry filter when nothing expired
        self._latest_tick: int | None = None  # retrieval may not go back before this
        self._created_in_order = True  # created ticks non-decreasing: newest() is a slice
        self._written = 0  # records [0, _written) are in storage
        self._touched: dict[int, int] = {}  # last-access changes storage has not seen
        self._journal: dict[int, int] | None = None  # last accesses before the journal began

    # ---- look-ups --------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[MemoryRecord]:
        """Oldest first (id order)."""
        return iter(self._records.copy())

    def __contains__(self, memory_id: object) -> bool:
        return memory_id in self._positions

    def get(self, memory_id: int) -> MemoryRecord:
        try:
            return self._records[self._positions[memory_id]]
        except KeyError:
            raise KeyError(f"agent {self.agent!r} has no memory {memory_id!r}") from None

    def vector(self, memory_id: int) -> np.ndarray:
        self.get(memory_id)
        return self._vectors[self._positions[memory_id]].copy()

    def of_kind(self, kind: MemoryKind | str) -> list[MemoryRecord]:
        """The memories of one kind, oldest first."""
        return [self._records[p] for p in self._by_kind[MemoryKind.parse(kind)]]

    def newest(self, n: int) -> list[MemoryRecord]:
        """The n most recently created memories, newest first (same tick: larger id first)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            return []
        if self._created_in_order:
            return self._records[-n:][::-1]
        order = np.lexsort((self._ids[: self._n], self._created[: self._n]))[::-1][:n]
        return [self._records[p] for p in order]

    @property
    def capacity(self) -> int:
        """Rows allocated for embeddings (grown by doubling, so up to twice len(self))."""
        return len(self._ids)

    def matrix(self) -> np.ndarray:
        """The embeddings, one row per memory in id order (a read-only view)."""
        view = self._vectors[: self._n]
        view.flags.writeable = False
        return view

    # ---- adding ----------------------------------------------------------------------------

    def add(
        self,
        text: str,
        kind: MemoryKind | str,
        tick: int,
        importance: int,
        evidence: Iterable[int] = (),
        expires: int | None = None,
    ) -> MemoryRecord:
        new = NewMemory(text, kind, importance, tuple(evidence), expires)
        return self.add_many([new], tick)[0]

    def add_many(
        self, new: Sequence[NewMemory], tick: int, vectors: np.ndarray | None = None
    ) -> list[MemoryRecord]:
        """Add several memories made at one tick, embedding their texts in one call (or using
        `vectors`, one row per memory, when the caller has them). All or nothing: ids are only
        taken once every memory is valid and embedded."""
        tick = as_tick(tick, "tick")
        for item in new:
            if not isinstance(item, NewMemory):
                raise TypeError(f"add_many takes NewMemory items, got {type(item).__name__}")
            self._check_evidence(item.evidence, set())
        if not new:
            return []
        if vectors is None:
            rows = normalise_rows(self.embedder.embed([m.text for m in new]), self.dim)
        else:
            rows = normalise_rows(vectors, self.dim)
        if len(rows) != len(new):
            raise ValueError(f"{len(new)} memories but {len(rows)} vectors")
        records = [
            MemoryRecord(
                id=memory_id,
                agent=self.agent,
                text=m.text,
                kind=m.kind,
                created=tick,
                last_access=tick,
                importance=m.importance,
                evidence=m.evidence,
                expires=m.expires,
            )
            for memory_id, m in zip(self.ids.allocate(len(new)), new, strict=True)
        ]
        self._append(records, rows)
        return records

    def load_records(
        self, records: Sequence[MemoryRecord], vectors: np.ndarray, *, written: bool = True
    ) -> None:
        """Append memories that already exist (from storage, a checkpoint or a benchmark), with
        their vectors, unchanged. `written`: storage holds them already."""
        rows = checked_unit_rows(vectors, self.dim, "stored vectors")
        if len(rows) != len(records):
            raise ValueError(f"{len(records)} records but {len(rows)} vectors")
        last = int(self._ids[self._n - 1]) if self._n else -1
        seen: set[int] = set()
        for record in records:
            if not isinstance(record, MemoryRecord):
                raise TypeError(f"expected MemoryRecord, got {type(record).__name__}")
            if record.agent != self.agent:
                raise ValueError(
                    f"memory {record.id} belongs to {record.agent!r}, not {self.agent!r}"
                )
            if record.id <= last:
                raise ValueError(f"memory ids must increase: {record.id} after {last}")
            self._check_evidence(record.evidence, seen)
            seen.add(record.id)
            last = record.id
        if records:
            self.ids.advance_past(last)
            self._append(list(records), rows)
            if written and self._written == self._n - len(records):
                self._written = self._n

    def _check_evidence(self, evidence: tuple[int, ...], pending: set[int]) -> None:
        unknown = [e for e in evidence if e not in self._positions and e not in pending]
        if unknown:
            raise ValueError(f"evidence cites memories {self.agent!r} does not have: {unknown}")

    def _append(self, records: list[MemoryRecord], rows: np.ndarray) -> None:
        if self.index is not None:  # first: a clash of ids there leaves this stream untouched
            self.index.add_normalised([r.id for r in records], rows)
        start, end = self._n, self._n + len(records)
        self._reserve(end)
        self._vectors[start:end] = rows
        self._ids[start:end] = [r.id for r in records]
        self._created[start:end] = [r.created for r in records]
        self._last_access[start:end] = [r.last_access for r in records]
        self._importance[start:end] = [r.importance for r in records]
        self._expires[start:end] = [NO_EXPIRY if r.expires is None else r.expires for r in records]
        for position, record in enumerate(records, start):
            if self._records and record.created < self._records[-1].created:
                self._created_in_order = False
            self._records.append(record)
            self._positions[record.id] = position
            self._by_kind[record.kind].append(position)
            self._see_tick(record.last_access)
        self._min_expires = min(self._min_expires, int(self._expires[start:end].min()))
        self._n = end

    def _reserve(self, needed: int) -> None:
        capacity = len(self._ids)
        if needed <= capacity:
            return
        while capacity < needed:
            capacity = max(_MIN_CAPACITY, capacity * 2)
        n = self._n

        def grown(old: np.ndarray) -> np.ndarray:
            new = np.empty((capacity, *old.shape[1:]), dtype=old.dtype)
            new[:n] = old[:n]
            return new

        self._vectors = grown(self._vectors)
        self._ids = grown(self._ids)
        self._created = grown(self._created)
        self._last_access = grown(self._last_access)
        self._importance = grown(self._importance)
        self._expires = grown(self._expires)

    def _see_tick(self, tick: int) -> None:
        if self._latest_tick is None or tick > self._latest_tick:
            self._latest_tick = tick

    # ---- retrieval -------------------------------------------------------------------------

    def retrieve(
        self,
        query: Query,
        now: int,
        k: int,
        *,
        weights: RetrievalWeights | None = None,
        touch: bool = True,
    ) -> list[MemoryRecord]:
        """The k best memories for `query` (a text or a vector) at tick `now`, best first.

        Exact: every unexpired memory is scored. The returned memories' last access becomes
        `now` (pass touch=False to look without remembering, e.g. for a debugging view).
        """
        return [s.record for s in self.retrieve_scored(query, now, k, weights=weights, touch=touch)]

    def retrieve_scored(
        self,
        query: Query,
        now: int,
        k: int,
        *,
        weights: RetrievalWeights | None = None,
        touch: bool = True,
    ) -> list[ScoredMemory]:
        """Like `retrieve`, with each memory's score and normalised components."""
        return self.retrieve_many([query], now, k, weights=weights, touch=touch)[0]

    def retrieve_many(
        self,
        queries: Sequence[Query],
        now: int,
        k: int,
        *,
        weights: RetrievalWeights | None = None,
        touch: bool = True,
    ) -> list[list[ScoredMemory]]:
        """One retrieval per query (the paper's focal points), the texts embedded in one call.

        The same as calling `retrieve_scored` for each query in turn: each retrieval's last-access
        updates count in the next one's recency.
        """
        now = as_tick(now, "now")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
            raise ValueError(f"k must be an int >= 0, got {k!r}")
        if self._latest_tick is not None and now < self._latest_tick:
            raise ValueError(
                f"retrieval at tick {now} is before tick {self._latest_tick}, when a memory of "
                f"{self.agent!r} was made or last accessed; time cannot go back"
            )
        vectors = self._query_vectors(queries)
        return [self._retrieve_one(q, now, int(k), weights or self.weights, touch) for q in vectors]

    def _query_vectors(self, queries: Sequence[Query]) -> list[np.ndarray]:
        if isinstance(queries, str | np.ndarray):
            raise TypeError("retrieve_many takes a sequence of queries")
        texts = [q for q in queries if isinstance(q, str)]
        embedded = iter(normalise_rows(self.embedder.embed(texts), self.dim) if texts else ())
        vectors = []
        for query in queries:
            if isinstance(query, str):
                vectors.append(next(embedded))
            elif isinstance(query, np.ndarray):
                vectors.append(normalise_rows(query, self.dim, "query vector")[0])
            else:
                raise TypeError(f"a query is a str or a vector, got {type(query).__name__}")
        return vectors

    def _retrieve_one(
        self, query: np.ndarray, now: int, k: int, weights: RetrievalWeights, touch: bool
    ) -> list[ScoredMemory]:
        n = self._n
        if n == 0 or k == 0:
            return []
        # All n relevances in one BLAS matrix-vector product over the contiguous matrix.
        relevance = self._vectors[:n] @ query
        ids, last_access, importance = self._ids[:n], self._last_access[:n], self._importance[:n]
        live = None
        if self._min_expires < now:  # something may have expired: keep the live candidates
            live = np.flatnonzero(self._expires[:n] >= now)
            if len(live) == 0:
                return []
            ids, last_access, importance = ids[live], last_access[live], importance[live]
            relevance = relevance[live]
        ranking = rank_memories(
            ids, relevance, last_access, importance, now, k, weights, self.recency
        )
        positions = ranking.positions if live is None else live[ranking.positions]
        results = []
        for j, position in enumerate(positions.tolist()):
            record = self._records[position]
            if touch and record.last_access != now:
                if self._journal is not None:
                    self._journal.setdefault(record.id, record.last_access)
                record = record.accessed(now)
                self._records[position] = record
                self._last_access[position] = now
                self._touched[record.id] = now
            results.append(
                ScoredMemory(
                    record,
                    float(ranking.scores[j]),
                    float(ranking.recency[j]),
                    float(ranking.importance[j]),
                    float(ranking.relevance[j]),
                )
            )
        if touch and results:
            self._see_tick(now)
        return results

    # ---- a journal of last accesses ----------------------------------------------------------

    def begin_journal(self) -> None:
        """Keep, from now on, what each memory's last access was before it changed: a thought
        on its way can then be saved as it began (see `accesses_before`)."""
        self._journal = {}

    def end_journal(self) -> None:
        self._journal = None

    def accesses_before(self) -> dict[int, int]:
        """The last access, as of when the journal began, of each memory touched since."""
        return dict(self._journal or {})

    # ---- persistence -----------------------------------------------------------------------

    @property
    def has_pending(self) -> bool:
        """Whether storage has anything to catch up on (cheap: asked every tick)."""
        return self._written < self._n or bool(self._touched)

    def pending_writes(self) -> PendingWrites:
        """A snapshot of what storage has not seen; hand it back to `mark_written` once the
        transaction that wrote it has committed."""
        return PendingWrites(
            agent=self.agent,
            records=tuple(self._records[self._written : self._n]),
            vectors=self._vectors[self._written : self._n].copy(),
            last_access=tuple(self._touched.items()),
            upto=self._n,
        )

    def mark_written(self, pending: PendingWrites) -> None:
        if pending.agent != self.agent:
            raise ValueError(f"pending writes of {pending.agent!r} handed to {self.agent!r}")
        self._written = max(self._written, min(pending.upto, self._n))
        for memory_id, tick in pending.last_access:
            if self._touched.get(memory_id) == tick:  # touched again since: still pending
                del self._touched[memory_id]

    def get_state(self, *, vectors: bool = True) -> dict[str, Any]:
        """The stream as JSON-ready plain data.

        Vectors travel as one base64 string of little-endian float32 (exact and a quarter of the
        size of a list of floats). With vectors=False they are left out and `set_state` embeds
        the texts again: smaller, but a model may give slightly different vectors in another
        batch, so only the vectors themselves guarantee identical retrievals.
        """
        state: dict[str, Any] = {
            "format": STATE_FORMAT,
            "agent": self.agent,
            "embedder": self.embedder.name,
            "dim": self.dim,
            "records": [r.to_dict() for r in self._records],
        }
        if vectors:
            raw = self._vectors[: self._n].astype("<f4").tobytes()
            state["vectors"] = base64.b64encode(raw).decode("ascii")
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        """Replace the whole stream with `state` (from `get_state`). The restored memories count
        as already written to storage; the id allocator moves past their ids."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported memory stream state format {state.get('format')!r}")
        if state.get("agent") != self.agent:
            raise ValueError(f"state of agent {state.get('agent')!r} given to {self.agent!r}")
        if state.get("embedder") != self.embedder.name or state.get("dim") != self.dim:
            raise ValueError(
                f"state was embedded with {state.get('embedder')!r} (dim {state.get('dim')}), "
                f"this stream uses {self.embedder.name!r} (dim {self.dim})"
            )
        records = [MemoryRecord.from_dict(r) for r in state["records"]]
        if "vectors" in state:
            try:
                raw = base64.b64decode(state["vectors"], validate=True)
            except (ValueError, TypeError) as err:
                raise ValueError(f"state vectors are not valid base64: {err}") from err
            if len(raw) != len(records) * self.dim * 4:
                raise ValueError(
                    f"state vectors hold {len(raw)} bytes; {len(records)} memories of dim "
                    f"{self.dim} need {len(records) * self.dim * 4}"
                )
            rows = np.frombuffer(raw, dtype="<f4").reshape(len(records), self.dim)
        else:
            rows = normalise_rows(self.embedder.embed([r.text for r in records]), self.dim)
            rows = rows.reshape(len(records), self.dim)
        # Validate everything on a scratch stream first: a bad state leaves this one as it was.
        scratch = MemoryStream(
            self.agent,
            self.embedder,
            ids=IdAllocator(),
            weights=self.weights,
            ticks_per_hour=self.recency.ticks_per_hour,
            decay=self.recency.decay,
        )
        scratch.load_records(records, rows)
        if self.index is not None:
            self.index.remove(self._ids[: self._n])
        self._reset()
        self.load_records(records, rows)
