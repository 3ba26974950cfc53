"""Smooth walking: each agent glides from where the window last showed it to the tile of the
newest snapshot, over the time until the next snapshot is expected.

Starting from the position on screen (not the previous tile) means a snapshot that comes
early or late never makes anyone jump back. A long way (a jump in a replay, many ticks at
once) is not walked: the agent appears there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from town.viewer.snapshot import AgentView

MAX_GLIDE = 6.0  # tiles: further than this, an agent is put at its new tile at once
STEPS_PER_SECOND = 6.0  # the walking animation's pace


@dataclass(slots=True)
class Glide:
    x0: float
    y0: float
    x1: float
    y1: float
    began: float
    duration: float

    def at(self, now: float) -> tuple[float, float, bool]:
        """Position (in tiles) and whether it is still on its way."""
        if self.duration <= 0 or now >= self.began + self.duration:
            return self.x1, self.y1, False
        f = max(now - self.began, 0.0) / self.duration
        return self.x0 + (self.x1 - self.x0) * f, self.y0 + (self.y1 - self.y0) * f, True


class Movements:
    def __init__(self) -> None:
        self._glides: dict[str, Glide] = {}

    def update(
        self, agents: Iterable[AgentView], now: float, duration: float, snap: bool = False
    ) -> None:
        seen = set()
        for agent in agents:
            seen.add(agent.name)
            x1, y1 = float(agent.tile[0]), float(agent.tile[1])
            glide = self._glides.get(agent.name)
            if glide is None or snap:
                self._glides[agent.name] = Glide(x1, y1, x1, y1, now, 0.0)
                continue
            if (glide.x1, glide.y1) == (x1, y1):
                continue
            x0, y0, _ = glide.at(now)
            if abs(x1 - x0) + abs(y1 - y0) > MAX_GLIDE:
                self._glides[agent.name] = Glide(x1, y1, x1, y1, now, 0.0)
            else:
                self._glides[agent.name] = Glide(x0, y0, x1, y1, now, duration)
        for gone in set(self._glides) - seen:
            del self._glides[gone]

    def position(self, name: str, now: float) -> tuple[float, float, bool]:
        glide = self._glides.get(name)
        if glide is None:
            return 0.0, 0.0, False
        return glide.at(now)


def walk_column(walking: bool, now: float) -> int:
    """Which column of the sprite sheet: the walk cycle while moving, else standing."""
    if not walking:
        return 1
    return (0, 1, 2, 1)[int(now * STEPS_PER_SECOND) % 4]
