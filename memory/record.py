"""One memory of one agent: what it saw, thought, planned or said, and when it last recalled it."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

IMPORTANCE_MIN = 1
IMPORTANCE_MAX = 10


class MemoryKind(StrEnum):
    """What produced a memory. A StrEnum, so it compares equal to and serialises as its text."""

    OBSERVATION = "observation"
    REFLECTION = "reflection"
    PLAN = "plan"
    CHAT = "chat"

    @classmethod
    def parse(cls, value: object) -> MemoryKind:
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(k.value for k in cls)
            raise ValueError(f"unknown memory kind {value!r}; expected one of: {known}") from None


def as_tick(value: object, what: str) -> int:
    """An integer tick. bool and float are refused: a float tick is almost always a unit mix-up."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int tick, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        kind = type(value).__name__
        raise TypeError(f"{what} must be an int tick, got {kind} {value!r}") from None


def as_importance(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError(f"importance must be an int from 1 to 10, got {value!r}")
    try:
        importance = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"importance must be an int from 1 to 10, got {type(value).__name__} {value!r}"
        ) from None
    if not IMPORTANCE_MIN <= importance <= IMPORTANCE_MAX:
        raise ValueError(f"importance must be from 1 to 10, got {importance}")
    return importance


def as_evidence(value: Iterable[object]) -> tuple[int, ...]:
    if isinstance(value, str | bytes):
        raise TypeError(f"evidence must be a sequence of memory ids, got {value!r}")
    return tuple(as_tick(v, "evidence id") for v in value)


@dataclass(frozen=True, slots=True)
class MemoryRecord:
    """A memory as plain data. Frozen: the stream replaces a record when its last access changes,
    so a record someone holds never changes under them and the stream's arrays stay the truth."""

    id: int
    agent: str
    text: str
    kind: MemoryKind
    created: int
    last_access: int
    importance: int
    evidence: tuple[int, ...] = ()
    expires: int | None = None  # the last tick at which the memory still counts

    def __post_init__(self) -> None:
        # Frozen with slots: normalising assignments go through object.__setattr__.
        set_ = object.__setattr__
        set_(self, "id", as_tick(self.id, "id"))
        if self.id < 0:
            raise ValueError(f"memory id must be >= 0, got {self.id}")
        if not isinstance(self.agent, str) or not self.agent:
            raise ValueError(f"agent must be a non-empty str, got {self.agent!r}")
        if not isinstance(self.text, str):
            raise TypeError(f"text must be a str, got {type(self.text).__name__}")
        set_(self, "kind", MemoryKind.parse(self.kind))
        set_(self, "created", as_tick(self.created, "created"))
        set_(self, "last_access", as_tick(self.last_access, "last_access"))
        if self.last_access < self.created:
            raise ValueError(
                f"memory {self.id}: last_access {self.last_access} is before created {self.created}"
            )
        set_(self, "importance", as_importance(self.importance))
        set_(self, "evidence", as_evidence(self.evidence))
        if self.id in self.evidence:
            raise ValueError(f"memory {self.id} cites itself as evidence")
        if self.expires is not None:
            set_(self, "expires", as_tick(self.expires, "expires"))

    def is_live(self, now: int) -> bool:
        """Whether the memory still counts at tick `now` (expired memories are not retrieved)."""
        return self.expires is None or now <= self.expires

    def accessed(self, now: int) -> MemoryRecord:
        """This memory with its last access at `now`.

        Built without dataclasses.replace, whose re-validation of every field cost more than the
        rest of a retrieval from a 10k-memory stream; only last_access changes here."""
        now = as_tick(now, "now")
        if now < self.created:
            raise ValueError(f"memory {self.id}: access at {now} is before created {self.created}")
        copy = object.__new__(MemoryRecord)
        for name in _FIELD_NAMES:
            object.__setattr__(copy, name, getattr(self, name))
        object.__setattr__(copy, "last_access", now)
        return copy

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent": self.agent,
            "text": self.text,
            "kind": self.kind.value,
            "created": self.created,
            "last_access": self.last_access,
            "importance": self.importance,
            "evidence": list(self.evidence),
            "expires": self.expires,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MemoryRecord:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - fields
        if unknown:
            raise ValueError(f"unknown memory record fields: {sorted(unknown)}")
        try:
            return cls(**data)
        except TypeError as err:
            raise ValueError(f"bad memory record {dict(data)!r}: {err}") from err


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(MemoryRecord))
