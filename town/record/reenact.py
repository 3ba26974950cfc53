"""Re-enacting a recorded run: from its start or a checkpoint, its ticks again with the recorded
model answers and the recorded injections, each tick and checkpoint checked against the record.
Resume, fork and resim are built on it; none of them needs a model for the recorded part.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from town.llm.recorder import ModelCall, Replayer
from town.llm.stack import replay
from town.record.recorder import changes_of, checkpoint_of
from town.record.restore import new_simulation, restore
from town.record.runfile import RunFolder, parse_row
from town.sim import Simulation

SHOWN = 160  # characters of a differing value shown


@dataclass(frozen=True, slots=True)
class Injection:
    seq: int  # the simulation's `injected` count once it is applied
    tick: int  # applied before this tick
    kind: str
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Difference:
    """The first place where a re-enactment differs from its record."""

    tick: int
    time: str
    where: str  # "tick", or "checkpoint" (the full state before the tick)
    path: str  # the differing field, e.g. moved.Klaus Mueller
    recorded: Any
    now: Any

    def __str__(self) -> str:
        return (
            f"{self.where} {self.tick} ({self.time}), {self.path}: "
            f"recorded {_show(self.recorded)}, re-simulated {_show(self.now)}"
        )


class Reenactment:
    """A run file's simulation, put back at a checkpoint (or at its very start) and stepped
    forward on its recorded answers."""

    def __init__(
        self, folder: RunFolder, db: sqlite3.Connection, at: int | None = None, holds: bool = False
    ) -> None:
        """From the latest checkpoint at or before tick `at` (the latest of all if None);
        at=0 restores no checkpoint: the simulation starts afresh, as the run did. With
        `holds`, what the record lacks waits for a live model (a resume; see Replayer)."""
        self.folder = folder
        self.committed = folder.committed()
        start = 0
        if at != 0:
            start = (
                db.execute(
                    "SELECT max(tick) FROM checkpoints WHERE tick <= ?",
                    (2**62 if at is None else at,),
                ).fetchone()[0]
                or 0
            )
        stack = replay(_calls(db, start, _thinking(db, start)))
        self.replayer: Replayer = stack.backend  # type: ignore[assignment]
        self.sim: Simulation = new_simulation(folder, stack)
        if start > 0:
            restore(self.sim, db, start)
        self.ticks = {
            tick: parse_row(changes, f"ticks, tick {tick}")
            for tick, changes in db.execute(
                "SELECT tick, changes FROM ticks WHERE tick >= ?", (start,)
            )
        }
        # Where the world did not wait, each decision lands where the record says.
        self.sim.landings = {t: c["landed"] for t, c in self.ticks.items() if "landed" in c}
        self.sim.recorded_until = self.committed
        if holds:
            self.replayer.hold_after = self.committed
            if not self.sim.wait:
                self.replayer.landing = self.sim.recorded_landing
        self.injections = [i for i in _injections(db) if i.seq > self.sim.injected]
        self.checkpoints = {
            tick: parse_row(state, f"checkpoints, tick {tick}")
            for tick, state in db.execute(
                "SELECT tick, state FROM checkpoints WHERE tick >= ?", (start,)
            )
        }
        self.checked = 0  # ticks compared with their record

    def run_to(self, end: int) -> Difference | None:
        """Step until tick `end` is next (its injections not yet applied), checking every tick
        and every checkpoint on the way; the first difference, or None."""
        sim = self.sim
        while True:
            saved = self.checkpoints.get(sim.tick)
            if saved is not None:
                self.inject(sim.tick, upto=saved.get("injected", 0))
                found = _first_difference(saved, _plain(checkpoint_of(sim)), "")
                if found is not None:
                    return Difference(sim.tick, f"{sim.now:%Y-%m-%d %H:%M}", "checkpoint", *found)
            if sim.tick >= end:
                return None
            self.inject(sim.tick)
            record = sim.step()
            now = None if record.empty() else _plain(changes_of(record))
            self.checked += 1
            found = _first_difference(self.ticks.get(record.tick), now, "")
            if found is not None:
                return Difference(record.tick, f"{record.time:%Y-%m-%d %H:%M}", "tick", *found)

    def inject(self, tick: int, upto: int | None = None) -> None:
        """Apply the recorded injections made before `tick` (those up to number `upto`)."""
        while self.injections and self.injections[0].tick <= tick:
            nxt = self.injections[0]
            if upto is not None and nxt.seq > upto:
                return
            self.injections.pop(0)
            self.sim.reapply(nxt.kind, nxt.fields)

    def settle(self) -> None:
        """Mark every memory as stored: the run file holds them already."""
        for agent in self.sim.agents:
            stream = agent.mind.memory.stream
            stream.mark_written(stream.pending_writes())


def _calls(db: sqlite3.Connection, since: int, thinking: dict[str, int]) -> Iterator[ModelCall]:
    """The calls from tick `since` on, and those of the decisions on their way then (each
    agent's from the tick it began to think): they are begun again from the checkpoint."""
    where = " OR ".join(["tick >= ?", *["(agent = ? AND tick >= ?)"] * len(thinking)])
    values = [since, *(v for pair in thinking.items() for v in pair)]
    rows = db.execute(f"SELECT id, call FROM model_calls WHERE {where} ORDER BY id", values)
    for n, call in rows:
        yield ModelCall.from_json(parse_row(call, f"model_calls, id {n}"))


def _thinking(db: sqlite3.Connection, tick: int) -> dict[str, int]:
    """Who was thinking at the checkpoint of `tick`, and since when."""
    if tick <= 0:
        return {}
    row = db.execute(
        "SELECT json_extract(state, '$.thoughts') FROM checkpoints WHERE tick = ?", (tick,)
    ).fetchone()
    thoughts = parse_row(row[0], f"checkpoints, tick {tick}") if row and row[0] else {}
    return {name: t["begun"]["asked"] for name, t in thoughts.items() if "begun" in t}


def _injections(db: sqlite3.Connection) -> list[Injection]:
    return [
        Injection(seq, tick, kind, parse_row(fields, f"injections, seq {seq}"))
        for seq, tick, kind, fields in db.execute(
            "SELECT seq, tick, kind, fields FROM injections ORDER BY seq"
        )
    ]


def _plain(data: Any) -> Any:
    """As stored: JSON's view of it (tuples become lists)."""
    return json.loads(json.dumps(data))


def _first_difference(recorded: Any, now: Any, path: str) -> tuple[str, Any, Any] | None:
    if recorded == now:
        return None
    if isinstance(recorded, dict) and isinstance(now, dict):
        for key in [*recorded, *(k for k in now if k not in recorded)]:
            found = _first_difference(recorded.get(key), now.get(key), f"{path}.{key}")
            if found is not None:
                return found
    if _nested(recorded) and _nested(now) and len(recorded) == len(now):
        for i, (a, b) in enumerate(zip(recorded, now, strict=True)):
            found = _first_difference(a, b, f"{path}[{i}]")
            if found is not None:
                return found
    return path.lstrip(".") or "(all)", recorded, now


def _nested(value: Any) -> bool:
    """A list worth looking into (a tile, [x, y], is shown whole)."""
    return isinstance(value, list) and any(isinstance(v, dict | list) for v in value)


def _show(value: Any) -> str:
    text = "nothing" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a re-simulation of a whole run found."""

    ticks: int  # ticks re-simulated and compared
    calls: int  # recorded answers served
    left: int  # recorded answers never asked for
    misses: int  # requests with no recorded answer
    difference: Difference | None

    @property
    def identical(self) -> bool:
        return self.difference is None and not self.left and not self.misses

    def __str__(self) -> str:
        if self.difference is not None:
            return f"first difference at {self.difference}"
        if self.misses or self.left:
            return (
                f"every tick is identical, but {self.misses} requests had no recorded answer "
                f"and {self.left} recorded answers were never asked for"
            )
        return f"identical: {self.ticks} ticks, {self.calls} recorded model answers"


def resimulate(folder: RunFolder, progress: Any = None) -> Verdict:
    """Re-run the whole run from its start on its recorded answers alone, checking each tick
    and checkpoint. `progress(sim, record)` is called after each tick, if given."""
    db = folder.reader()
    try:
        # What decisions still on their way at the record's end ask beyond it is no miss:
        # the run had not asked it yet.
        act = Reenactment(folder, db, at=0, holds=True)
    finally:
        db.close()
    total = act.replayer.left
    if progress is not None:
        act.sim.observers.append(SimpleNamespace(on_tick=progress))
    try:
        found = act.run_to(act.committed + 1)
        if found is None:
            act.inject(act.committed + 1)
    finally:
        act.sim.close()
    left = act.replayer.left
    return Verdict(act.checked, total - left, left, act.replayer.misses, found)
