"""Events on tiles: what an agent can perceive (a person doing something, an object's state)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from town.world.town import Tile

EventKind = Literal["agent", "object", "world"]


@dataclass(frozen=True, slots=True)
class Event:
    subject: str  # an agent's name or an object's address
    description: str  # "Isabella Rodriguez is brewing coffee", "stove is on fire"
    tile: Tile
    # agent: someone doing something; object: an object in use; world: an object's state
    # set from outside (a scenario event, a user), which deserves attention.
    kind: EventKind = "agent"

    @property
    def key(self) -> tuple[str, str]:
        """What makes two sightings the same event (for retention)."""
        return (self.subject, self.description)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tile": list(self.tile)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            data["subject"], data["description"], (data["tile"][0], data["tile"][1]), data["kind"]
        )
