"""Memory ids: unique across every stream of a run, and the same for the same sequence of adds."""

from __future__ import annotations

import threading
from typing import Any

from memory.record import as_tick


class IdAllocator:
    """Hands out increasing memory ids. One allocator is shared by all the streams of a run, so
    ids are unique across agents (one SQLite table, one shared vector index) and follow the order
    in which memories were added, which the simulation keeps deterministic.
    """

    def __init__(self, next_id: int = 0) -> None:
        next_id = as_tick(next_id, "next_id")
        if next_id < 0:
            raise ValueError(f"next_id must be >= 0, got {next_id}")
        self._next = next_id
        self._lock = threading.Lock()

    @property
    def next_id(self) -> int:
        return self._next

    def allocate(self, count: int) -> range:
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        with self._lock:
            start = self._next
            self._next += count
        return range(start, start + count)

    def advance_past(self, used_id: int) -> None:
        """Make sure no id up to `used_id` is handed out again (after loading stored memories)."""
        with self._lock:
            self._next = max(self._next, used_id + 1)

    def get_state(self) -> dict[str, Any]:
        return {"next_id": self._next}

    def set_state(self, state: dict[str, Any]) -> None:
        next_id = as_tick(state["next_id"], "next_id")
        if next_id < 0:
            raise ValueError(f"next_id must be >= 0, got {next_id}")
        with self._lock:
            self._next = next_id
