"""Events on tiles: what an agent can perceive (a person doing something, an object's state)."""

from __future__ import annotations

from dataclasses import dataclass

from town.world.town import Tile


@dataclass(frozen=True, slots=True)
class Event:
    subject: str  # an agent's name or an object's address
    description: str  # "Isabella Rodriguez is brewing coffee", "stove is on fire"
    tile: Tile

    @property
    def key(self) -> tuple[str, str]:
        """What makes two sightings the same event (for retention)."""
        return (self.subject, self.description)
