"""A run's tables as pandas DataFrames (for notebooks) and as JSON Lines or CSV files.

data = RunData(RunFolder.open(Path("saves/monday")))
data.actions().groupby("agent").size()

A CSV file has one line per row, as `wc -l` and a spreadsheet expect: line breaks inside a
text (prompts, answers, memories) are written as the two characters \\n (\\r likewise, and a
backslash as \\\\). JSON Lines keeps every text exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from town.record.runfile import RunFolder

TABLES = ("ticks", "memories", "conversations", "model_calls", "relationships")
# For `town export --help`: what the formats hold.
FORMATS_HELP = (
    "jsonl keeps every text exactly; csv writes one line per row, with line breaks inside a "
    "text written as \\n (and a backslash as \\\\)"
)
MODEL_CALL_COLUMNS = [
    "tick",
    "time",
    "agent",
    "purpose",
    "model",
    "schema_name",
    "prompt_tokens",
    "completion_tokens",
    "seconds",
    "fallback",
    "cached",
    "error",
    "answer",
    "messages",
]


class RunData:
    def __init__(self, folder: RunFolder) -> None:
        self.folder = folder

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = self.folder.reader()
        try:
            yield db
        finally:
            db.close()

    def changes(self) -> Iterator[tuple[int, str, dict[str, Any]]]:
        with self._db() as db:
            for tick, time, changes in db.execute(
                "SELECT tick, time, changes FROM ticks ORDER BY tick"
            ):
                yield tick, time, json.loads(changes)

    def ticks(self) -> pd.DataFrame:
        """Every change, one row each: kind moved, action, utterance or object."""
        rows: list[dict[str, Any]] = []
        for tick, time, changes in self.changes():
            base = {"tick": tick, "time": time}
            for agent, (x, y) in changes["moved"].items():
                rows.append({**base, "kind": "moved", "agent": agent, "x": x, "y": y})
            for agent, action in changes["actions"].items():
                rows.append(
                    {
                        **base,
                        "kind": "action",
                        "agent": agent,
                        "text": action["description"],
                        "emoji": action["emoji"],
                        "place": action["address"],
                    }
                )
            for agent, text in changes["utterances"].items():
                rows.append({**base, "kind": "utterance", "agent": agent, "text": text})
            for address, state in changes["objects"].items():
                rows.append({**base, "kind": "object", "place": address, "text": state})
        columns = ["tick", "time", "kind", "agent", "x", "y", "text", "emoji", "place"]
        return pd.DataFrame(rows, columns=columns)

    def actions(self) -> pd.DataFrame:
        frame = self.ticks()
        return frame[frame.kind == "action"][["tick", "time", "agent", "text", "emoji", "place"]]

    def memories(self) -> pd.DataFrame:
        """Every memory (without its embedding)."""
        with self._db() as db:
            return pd.read_sql_query(
                "SELECT id, agent, kind, text, created, last_access, importance, evidence, "
                "expires FROM memory ORDER BY id",
                db,
            )

    def conversations(self) -> pd.DataFrame:
        """One row per line said, with the conversation it belongs to."""
        rows = []
        for _, time, changes in self.changes():
            for talk in changes.get("finished", []):
                for line in talk["lines"]:
                    rows.append(
                        {
                            "conversation": talk["id"],
                            "people": ", ".join(talk["people"]),
                            "arena": talk["arena"],
                            "tick": line["tick"],
                            "speaker": line["speaker"],
                            "text": line["text"],
                            "ended": talk["ended"],
                            "ended_time": time,
                        }
                    )
        columns = [
            "conversation",
            "people",
            "arena",
            "tick",
            "speaker",
            "text",
            "ended",
            "ended_time",
        ]
        return pd.DataFrame(rows, columns=columns)

    def model_calls(self) -> pd.DataFrame:
        """One row per request to the model: who asked, why, what it cost and the answer.
        `messages` is the request as text, each message after a "[role]" line. The answer's
        JSON schema is left out: it is the same for every call with that `schema_name`."""
        with self._db() as db:
            calls = [
                json.loads(c) for (c,) in db.execute("SELECT call FROM model_calls ORDER BY id")
            ]
            first = db.execute(
                "SELECT tick, time FROM checkpoints ORDER BY tick LIMIT 1"
            ).fetchone()
        # Only ticks with changes and checkpoints keep their time: count from the first one.
        step = dt.timedelta(seconds=self.folder.meta().get("seconds_per_tick", 10))
        start = dt.datetime.fromisoformat(first[1]) - first[0] * step if first else None

        def time_of(tick: int | None) -> str | None:
            if tick is None or start is None:
                return None
            return (start + tick * step).isoformat(sep=" ")

        rows = [
            {
                "tick": c.get("tick"),
                "time": time_of(c.get("tick")),
                "agent": c.get("agent"),
                "purpose": c.get("purpose"),
                "model": c.get("model", ""),
                "schema_name": c.get("schema_name"),
                "prompt_tokens": c.get("prompt_tokens", 0),
                "completion_tokens": c.get("completion_tokens", 0),
                "seconds": c.get("seconds", 0.0),
                "fallback": c.get("fallback", False),
                "cached": c.get("cached", False),
                "error": c.get("error"),
                "answer": c.get("text", ""),
                "messages": "\n\n".join(
                    f"[{m.get('role', '')}]\n{m.get('content', '')}" for m in c.get("messages", [])
                ),
            }
            for c in calls
        ]
        return pd.DataFrame(rows, columns=MODEL_CALL_COLUMNS)

    def relationships(self) -> pd.DataFrame:
        """What each agent thinks of each person it knows, at every checkpoint (hourly and at
        the end), so the views can be followed as they change."""
        # Not pd.read_sql_query: a damaged checkpoint then fails as the sqlite3 error it is.
        with self._db() as db:
            rows = db.execute(
                "SELECT c.tick, c.time, a.key, r.key, r.value "
                "FROM checkpoints AS c, json_each(c.state, '$.agents') AS a, "
                "json_each(a.value, '$.mind.relationships') AS r "
                "ORDER BY c.tick, a.key, r.key"
            ).fetchall()
        return pd.DataFrame(rows, columns=["tick", "time", "agent", "person", "summary"])

    def table(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise ValueError(f"no table {name!r}; the tables are {', '.join(TABLES)}")
        return getattr(self, name)()


def export(folder: RunFolder, fmt: str, out: Path) -> list[Path]:
    """Write every table as `out/NAME.jsonl` or `out/NAME.csv`; returns the files."""
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown format {fmt!r}: use jsonl or csv")
    out.mkdir(parents=True, exist_ok=True)
    data = RunData(folder)
    written = []
    for name in TABLES:
        frame = data.table(name)
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            one_line(frame).to_csv(path, index=False)
        else:
            frame.to_json(path, orient="records", lines=True, force_ascii=False)
        written.append(path)
    return written


def one_line(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with line breaks in its texts escaped: one CSV line per row."""

    def escape(value: object) -> object:
        if not isinstance(value, str):
            return value
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")

    texts = frame.select_dtypes(include=["object", "string"]).columns  # pandas 3: "string"
    return frame.assign(**{column: frame[column].map(escape) for column in texts})
