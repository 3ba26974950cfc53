"""What an agent is doing: where it stands, its current action and path. Plain data in and out."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

Tile = tuple[int, int]


class Status(StrEnum):
    ASLEEP = "asleep"
    WALKING = "walking"
    ACTING = "acting"  # at the place of its action, doing it
    TALKING = "talking"


@dataclass(frozen=True, slots=True)
class Action:
    """One thing an agent does at one place, from `start` until `end` (ticks)."""

    description: str  # "brewing coffee for customers"
    emoji: str
    address: str  # world:sector:arena[:object]
    start: int
    end: int
    object_state: str | None = None  # what the object is while used: "brewing coffee"

    def to_dict(self) -> dict[str, Any]:
        # Its fields are plain values: no need for asdict's deep copy (asked every tick).
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class AgentState:
    tile: Tile
    status: Status = Status.ACTING
    action: Action | None = None
    path: list[Tile] = field(default_factory=list)
    facing: str = "down"  # down, left, right, up: which way the sprite looks
    utterance: str | None = None  # what the agent says this tick, if anything

    def get_state(self) -> dict[str, Any]:
        return {
            "tile": list(self.tile),
            "status": self.status.value,
            "action": self.action.to_dict() if self.action else None,
            "path": [list(t) for t in self.path],
            "facing": self.facing,
            "utterance": self.utterance,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> AgentState:
        return cls(
            tile=(data["tile"][0], data["tile"][1]),
            status=Status(data["status"]),
            action=Action(**data["action"]) if data["action"] else None,
            path=[(t[0], t[1]) for t in data["path"]],
            facing=data["facing"],
            utterance=data["utterance"],
        )
