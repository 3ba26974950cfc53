"""Forking a run: a new run folder that starts from another run's state at a given moment,
with events added if wished. The source is only read.

An overlay file holds events in the scenario's own format:

    [[events]]
    kind = "whisper"
    at = "2023-02-13 12:30"
    agent = "Klaus Mueller"
    text = "Klaus heard that the library closes early today."
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import tomllib
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from memory import store
from town.clock import Clock
from town.record.recorder import Recorder
from town.record.reenact import Reenactment
from town.record.runfile import RunError, RunFolder
from town.scenario import ScenarioError, ScenarioEvent, Whisper, field_error, load_scenario, located
from town.sim import Simulation
from town.world import UnknownPlace

EVENTS = TypeAdapter(list[ScenarioEvent])


def fork(
    source: RunFolder, at: dt.datetime, to: Path, overlay: Path | None = None
) -> tuple[RunFolder, Simulation]:
    """Run `to`: `source` as it stood at `at` (before that tick ran), plus the overlay's
    events; its checkpoint at that moment is where `town resume` takes it on."""
    scenario = load_scenario(source.scenario)
    db = source.reader()
    try:
        tick = _tick(source, Clock(scenario.town.start, scenario.town.seconds_per_tick), at)
        act = Reenactment(source, db, at=tick)
    finally:
        db.close()
    sim = act.sim
    events = load_overlay(overlay, sim, at) if overlay is not None else []
    found = act.run_to(tick)
    if found is not None:
        raise RunError(f"{source.path}: cannot fork: re-enacting it differs at {found}")
    act.inject(tick)  # what was whispered or asked before that tick ran
    folder = RunFolder.create(to, source.scenario, scenario.map_path)
    _copy_until(source, folder, sim)
    act.settle()
    recorder = Recorder(
        folder, sim, {"forked_from": str(source.path), "forked_at": f"{at:%Y-%m-%d %H:%M}"}
    )
    sim.observers.append(recorder)
    if events:
        sim.schedule(events)
    recorder.on_end(sim)
    sim.observers.remove(recorder)
    sim.close()  # decisions on their way are kept as they began: `town resume` begins them
    return folder, sim


def _tick(source: RunFolder, clock: Clock, at: dt.datetime) -> int:
    """The fork's tick, checked against what the source has recorded."""
    tick = clock.tick_of(at)
    last = source.committed()
    if not 0 <= tick <= last + 1:
        raise RunError(
            f"--at {at:%Y-%m-%d %H:%M} is outside {source.path}, which runs from "
            f"{clock.at(0):%Y-%m-%d %H:%M} to {clock.at(last + 1):%Y-%m-%d %H:%M}"
        )
    return tick


def _copy_until(source: RunFolder, folder: RunFolder, sim: Simulation) -> None:
    """The source's run file, less everything after the fork's moment."""
    reader = source.reader()
    target = sqlite3.connect(folder.database)
    try:
        reader.backup(target)  # a consistent copy, even of a run being written
    finally:
        reader.close()
        target.close()
    db = folder.connect()
    tick = sim.tick
    records = [r for a in sim.agents for r in a.mind.memory.stream]
    try:
        db.execute("BEGIN")
        db.execute("DELETE FROM ticks WHERE tick >= ?", (tick,))
        db.execute("DELETE FROM checkpoints WHERE tick >= ?", (tick,))
        # The calls of the tick itself go; an interview's before it, kept above, stays.
        db.execute(
            "DELETE FROM model_calls WHERE tick > ? OR (tick = ? AND purpose != 'interview')",
            (tick, tick),
        )
        db.execute("DELETE FROM injections WHERE seq > ?", (sim.injected,))
        db.execute("DELETE FROM meta WHERE key IN ('ended', 'resumed')")
        # What the source paid, after the fork's moment too: the fork's own calls tell theirs.
        db.execute("DELETE FROM usage")
        store.forget_after(db, max((r.id for r in records), default=-1))
        store.update_last_access(db, [(r.id, r.last_access) for r in records])
        db.execute("INSERT OR REPLACE INTO meta VALUES ('committed', ?)", (json.dumps(tick - 1),))
        db.execute("COMMIT")
    finally:
        db.close()


def load_overlay(path: Path, sim: Simulation, at: dt.datetime) -> list[ScenarioEvent]:
    """The overlay's events, checked: known agents and places, none before the fork."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such overlay file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ScenarioError(f"{path}: cannot be read ({err})") from None
    unknown = sorted(set(data) - {"events"})
    if unknown:
        raise ScenarioError(f"{path}: an overlay holds only [[events]], not {', '.join(unknown)}")
    try:
        events = EVENTS.validate_python(data.get("events", []))
    except ValidationError as err:
        raise ScenarioError(
            "\n".join(
                field_error(path, text, {**e, "loc": ("events", *e["loc"])}) for e in err.errors()
            )
        ) from None
    problems = []
    for i, event in enumerate(events):
        if event.at < at:
            problems.append((("events", i, "at"), f"{event.at} is before the fork ({at})"))
        if isinstance(event, Whisper) and event.agent not in sim.by_name:
            problems.append((("events", i, "agent"), f"no agent named {event.agent!r}"))
        place = getattr(event, "place", None)
        if place is not None:
            try:
                sim.town.resolve(place)
            except UnknownPlace as err:
                problems.append((("events", i, "place"), str(err)))
    if problems:
        raise ScenarioError("\n".join(located(path, text, loc, m) for loc, m in problems))
    return events
