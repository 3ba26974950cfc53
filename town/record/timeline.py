"""A run's timeline as text: what each agent did and said, tick by tick, without any model."""

from __future__ import annotations

from collections.abc import Iterator

from town.record.export import RunData


def timeline(data: RunData, world: str = "") -> Iterator[str]:
    """One line per change of what an agent does or where, and per thing said."""
    prefix = world + ":" if world else ""
    doing: dict[str, tuple[str, str]] = {}
    for _, time, changes in data.changes():
        for agent, action in changes["actions"].items():
            place = action["address"].removeprefix(prefix)
            if doing.get(agent) == (place, action["description"]):
                continue  # the next task of the same activity, at the same place
            doing[agent] = (place, action["description"])
            yield f"{time}  {agent:<20}  {place:<48}  {action['emoji']} {action['description']}"
        for agent, text in changes["utterances"].items():
            yield f'{time}  {agent:<20}  says: "{text}"'
