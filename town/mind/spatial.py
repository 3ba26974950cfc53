"""Spatial memory: the places an agent knows, as the options it may choose among.

An agent knows its home, its workplace, the town's public places and any place it has been.
When it splits an activity into tasks it is offered only the places that matter for it (home,
work, and any place the activity names), which keeps prompts short for small models.
"""

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
        self._options: dict[tuple[str, ...], tuple[str, ...]] = {}

    def learn(self, sector: str) -> bool:
        """Remember a sector seen for the first time; True if it was new."""
        if sector in self.sectors:
            return False
        self.sectors = sorted([*self.sectors, sector])
        self._options.clear()
        return True

    def arenas(self, sectors: Iterable[str] | None = None) -> list[str]:
        chosen = self.sectors if sectors is None else sectors
        return [a for s in chosen for a in self.town.children[s] if a not in self.private]

    def relevant(self, activity: str, always: Iterable[str]) -> tuple[str, ...]:
        """The known sectors an activity needs: those it names, and `always` (home, work)."""
        text = activity.lower()
        named = {s for s in self.sectors if places.last(s).lower() in text}
        wanted = named | {places.join(*places.split(s)[:2]) for s in always}
        return tuple(s for s in self.sectors if s in wanted) or tuple(self.sectors)

    def options(self, sectors: Iterable[str] | None = None) -> tuple[str, ...]:
        """Every object (or object-less arena) the agent may go to in `sectors` (default: all
        it knows), without the world prefix."""
        key = tuple(self.sectors if sectors is None else sectors)
        if key not in self._options:
            found = []
            for arena in self.arenas(key):
                found += self.town.children[arena] or [arena]
            prefix = self.town.world + places.SEP
            self._options[key] = tuple(a.removeprefix(prefix) for a in found)
        return self._options[key]

    def outline(self, sectors: Iterable[str] | None = None) -> str:
        """For prompts: one line per sector, 'sector: arena (objects); ...'."""
        lines = []
        for sector in self.sectors if sectors is None else sectors:
            rooms = []
            for arena in self.arenas([sector]):
                objects = ", ".join(places.last(o) for o in self.town.children[arena])
                rooms.append(f"{places.last(arena)} ({objects})" if objects else places.last(arena))
            lines.append(f"{places.last(sector)}: " + "; ".join(rooms))
        return "\n".join(lines)

    def names(self) -> list[str]:
        return [places.last(s) for s in self.sectors]
