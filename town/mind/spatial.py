"""Spatial memory: the places an agent knows, as the options it may choose among."""

from __future__ import annotations

from collections.abc import Iterable

from town.world import places
from town.world.town import Town


class KnownPlaces:
    """Sectors the agent knows, minus rooms that are someone else's (their bedrooms)."""

    def __init__(self, town: Town, sectors: Iterable[str], private: Iterable[str] = ()) -> None:
        self.town = town
        self.sectors = sorted({town.resolve(places.join(*places.split(s)[:2])) for s in sectors})
        self.private = frozenset(private)
        self._options: tuple[str, ...] | None = None

    def learn(self, sector: str) -> bool:
        """Remember a sector seen for the first time; True if it was new."""
        if sector in self.sectors:
            return False
        self.sectors = sorted([*self.sectors, sector])
        self._options = None
        return True

    def arenas(self) -> list[str]:
        return [a for s in self.sectors for a in self.town.children[s] if a not in self.private]

    def options(self) -> tuple[str, ...]:
        """Every object (or object-less arena) the agent may go to, without the world prefix."""
        if self._options is None:
            found = []
            for arena in self.arenas():
                found += self.town.children[arena] or [arena]
            prefix = self.town.world + places.SEP
            self._options = tuple(a.removeprefix(prefix) for a in found)
        return self._options

    def outline(self) -> str:
        """For prompts: one line per sector, 'sector: arena (objects); ...'."""
        lines = []
        for sector in self.sectors:
            rooms = []
            for arena in self.town.children[sector]:
                if arena in self.private:
                    continue
                objects = ", ".join(places.last(o) for o in self.town.children[arena])
                rooms.append(f"{places.last(arena)} ({objects})" if objects else places.last(arena))
            lines.append(f"{places.last(sector)}: " + "; ".join(rooms))
        return "\n".join(lines)

    def names(self) -> list[str]:
        return [places.last(s) for s in self.sectors]
