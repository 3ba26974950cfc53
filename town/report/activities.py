"""What each agent did and when, as spans of ticks, for the timeline: its activities (from the
actions the run recorded, each lasting until the next) and its conversations."""

from __future__ import annotations

import pandas as pd

from town.record.export import RunData

# Kinds of activity, by the first keyword its description has (the order matters: "party"
# before "drink", "sleep" before all). Coarse on purpose: a timeline shows the shape of days.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sleep", ("sleep", "nap")),
    ("party", ("party", "celebrat", "valentine")),
    ("meal", ("breakfast", "lunch", "dinner", "cook", "eat", "coffee", "meal")),
    (
        "work",
        (
            "work",
            "class",
            "teach",
            "study",
            "research",
            "campaign",
            "serv",
            "paint",
            "writ",
            "experiment",
            "practic",
            "lectur",
            "grad",
        ),
    ),
    ("leisure", ("walk", "shop", "buy", "drink", "read", "relax", "garden", "music", "piano")),
)
OTHER = "other"
SPAN_COLUMNS = ["agent", "start", "end", "text", "place", "category"]


def category_of(description: str) -> str:
    text = description.lower()
    for name, keys in CATEGORIES:
        if any(key in text for key in keys):
            return name
    return OTHER


def activity_spans(data: RunData, end: int) -> pd.DataFrame:
    """One row per action: [start, end) in ticks, the end being the agent's next action (or
    the run's end)."""
    actions = data.actions()
    rows = []
    for agent, group in actions.groupby("agent", sort=False):
        ticks = group.tick.tolist()
        for i, row in enumerate(group.itertuples()):
            stop = ticks[i + 1] if i + 1 < len(ticks) else max(end, row.tick + 1)
            rows.append(
                {
                    "agent": agent,
                    "start": row.tick,
                    "end": stop,
                    "text": row.text,
                    "place": row.place,
                    "category": category_of(row.text),
                }
            )
    return pd.DataFrame(rows, columns=SPAN_COLUMNS)


def talk_spans(data: RunData) -> pd.DataFrame:
    """One row per person per conversation: from its first line to its end."""
    lines = data.conversations()
    rows = []
    for _, talk in lines.groupby("conversation"):
        start, stop = int(talk.tick.min()), int(talk.ended.iloc[0])
        for person in talk.people.iloc[0].split(", "):
            rows.append(
                {
                    "agent": person,
                    "start": start,
                    "end": max(stop, start + 1),
                    "text": "talking",
                    "place": talk.arena.iloc[0],
                    "category": "talk",
                }
            )
    return pd.DataFrame(rows, columns=SPAN_COLUMNS)
