"""Who came to an event at the right time, as the paper counted for the party: of the agents
invited (those who learned of it before it began, the hosts who knew it from the start apart),
how many were at its place while it was on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from town.clock import Clock
from town.record.export import RunData
from town.scenario import TrackedFact
from town.world import Town, places


@dataclass(frozen=True, slots=True)
class Attendance:
    fact: str
    invited: list[str] = field(default_factory=list)
    came: list[str] = field(default_factory=list)  # invited, and there in time
    others: list[str] = field(default_factory=list)  # there in time, though not invited

    def summary(self) -> str:
        return f"{len(self.came)} of {len(self.invited)}"


def present(
    data: RunData,
    town: Town,
    tiles: dict[str, tuple[int, int]],
    place: str,
    first: int,
    last: int,
    end: int,
) -> set[str]:
    """The agents standing at `place` (a name or an address) at some tick of [first, last],
    from their tiles at tick 0 and the moves recorded since; nobody, if the run ended first."""
    if end < first:
        return set()
    address = town.resolve(place)
    tiles = dict(tiles)

    def inside() -> set[str]:
        return {name for name, tile in tiles.items() if _within(town, tile, address)}

    seen: set[str] = set()
    entered = False
    for tick, _, changes in data.changes():
        if tick > last:
            break
        if tick >= first and not entered:
            seen |= inside()  # who was there when it began
            entered = True
        for name, (x, y) in changes["moved"].items():
            tiles[name] = (x, y)
            if tick >= first and _within(town, (x, y), address):
                seen.add(name)
    if not entered:  # nobody moved while it was on: who was there stayed there
        seen |= inside()
    return seen


def _within(town: Town, tile: tuple[int, int], address: str) -> bool:
    here = town.address_at(tile)
    return here == address or here.startswith(address + places.SEP)


def attendance(
    fact: TrackedFact,
    data: RunData,
    town: Town,
    start_tiles: dict[str, tuple[int, int]],
    known: pd.DataFrame,
    clock: Clock,
    end: int,
) -> Attendance | None:
    """For an event fact (with place, at and until); None for other facts."""
    if fact.place is None or fact.at is None or fact.until is None:
        return None
    first, last = clock.tick_of(fact.at), clock.tick_of(fact.until)
    rows = known[known.fact == fact.name]
    hosts = set(rows[rows.tick == 0].agent)  # knew it from the start: they throw it
    invited = sorted(set(rows[rows.tick < first].agent) - hosts)
    there = present(data, town, start_tiles, fact.place, first, last, end)
    return Attendance(
        fact.name,
        invited,
        sorted(set(invited) & there),
        sorted(there - set(invited) - hosts),
    )


def tiles_at(state: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Where each agent stands in a checkpoint's state."""
    return {name: tuple(a["state"]["tile"]) for name, a in state["agents"].items()}  # type: ignore[misc]
