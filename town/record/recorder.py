"""The recorder: an observer that writes a run file as the run goes.

It keeps each tick's changes, the memories made in it (with their embeddings) and the model
calls answered in it; what people injected; a full checkpoint every game hour and at the end.

Ticks are written in groups, one transaction each (a tick is never split between two): a group
is committed once GROUP_SECONDS of wall time have passed since the last commit, at a
checkpoint, an injection and the end. With a real model that is every tick that asked it
something, while the scripted model's thousands of ticks a second do not each pay for a
commit. A run killed at any moment keeps every tick committed; at most the last quarter of a
second of work is made again when it is resumed.

A transaction that fails (a full disk) is rolled back and the recorder writes nothing more:
the run stops with a RunWriteError, and its file holds every tick committed before, as a
killed run's would, ready to be resumed once there is room.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from memory import store
from town.record.runfile import RunFolder, RunWriteError, write_error

if TYPE_CHECKING:
    from town.sim import Simulation, TickRecord

GROUP_SECONDS = 0.25


class Recorder:
    def __init__(
        self,
        folder: RunFolder,
        sim: Simulation,
        meta: dict[str, Any],
        checkpoint_every: int | None = None,
    ) -> None:
        self.folder = folder
        folder.acquire()  # one writer at a time
        try:
            self.db = folder.connect()
        except BaseException:
            folder.release()
            raise
        self.every = checkpoint_every or sim.clock.ticks_per_hour
        self.ticks: list[tuple[int, str, dict[str, Any]]] = []  # not yet written
        self.calls: list[dict[str, Any]] = []  # not yet written
        self.last: int | None = None  # the last tick run: meta's `committed` once written
        self.since = time.monotonic()  # the last commit
        self.failed: RunWriteError | None = None  # once a write failed, nothing more is written
        self.session: tuple[int, int, int] | None = None  # its usage row: number, tick, after_call
        # Every model call from now on, those of the first checkpoint included: it waits for
        # the decisions on their way, whose calls a resumed run asks a live model.
        if getattr(sim.llm, "recorder", None) is not None:
            sim.llm.recorder.observer = self.record_call
        try:
            self._begin(sim, meta)
        except BaseException:
            self.db.close()
            folder.release()
            raise

    def _begin(self, sim: Simulation, meta: dict[str, Any]) -> None:
        with self._transaction(sim):
            store.create_tables(self.db, sim.embedder)
            self._meta(
                **meta,
                embedder=sim.embedder.name,
                seconds_per_tick=sim.clock.seconds_per_tick,
                world_waits=sim.wait,
            )
            self._checkpoint(sim)

    def record_call(self, call: Any) -> None:
        """For the model stack's recorder: a call to store with the tick it belongs to."""
        self.calls.append(call.to_json())

    def on_tick(self, sim: Simulation, record: TickRecord) -> None:
        if self.failed is not None:
            raise self.failed
        if not record.empty():
            self.ticks.append((record.tick, record.time.isoformat(sep=" "), changes_of(record)))
        self.last = record.tick
        checkpoint = (record.tick + 1) % self.every == 0
        if checkpoint or time.monotonic() - self.since >= GROUP_SECONDS:
            with self._transaction(sim):
                if checkpoint:
                    self._checkpoint(sim, at=record.tick + 1)

    def on_inject(self, sim: Simulation, kind: str, fields: dict[str, Any]) -> None:
        """A whisper, event or interview, committed at once with the model calls and memories
        it made: a resumed run applies it again at the same moment."""
        if self.failed is not None:
            raise self.failed
        with self._transaction(sim):
            self.db.execute(
                "INSERT INTO injections VALUES (?, ?, ?, ?)",
                (sim.injected, sim.tick, kind, json.dumps(fields)),
            )

    def on_end(self, sim: Simulation) -> None:
        try:
            if self.failed is None:
                self.last = sim.tick - 1
                # A tick cut off halfway leaves no checkpoint and none of what it made: the file
                # ends with the tick before, as a killed run's would, and resumes the same way.
                cut = sim.tick if sim.midway else None
                with self._transaction(sim, before=cut):
                    if cut is None:
                        self._checkpoint(sim)  # (decisions on their way are kept as they began)
                    ended = {
                        "tick": sim.tick,
                        "time": sim.now.isoformat(sep=" "),
                        "wall": dt.datetime.now().isoformat(timespec="seconds"),
                    }
                    self._meta(ended=ended)
        finally:
            self.db.close()
            self.folder.release()

    # -- parts of a transaction --------------------------------------------------------------

    @contextmanager
    def _transaction(self, sim: Simulation, before: int | None = None) -> Iterator[None]:
        """One transaction: this, and everything the ticks since the last one left to keep
        (made before tick `before`, if given)."""
        if self.failed is not None:
            raise self.failed
        try:
            self.db.execute("BEGIN")
            try:
                yield
                self._store(sim, before)
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self.db.execute("ROLLBACK")
                raise
        except BaseException as err:
            # What this transaction held is lost, and the streams count its memories as
            # stored: writing on would leave a file that does not resume. Stop here.
            kept = self.folder.committed()
            if isinstance(err, sqlite3.Error):
                why = str(write_error(self.folder.database, err))
            else:
                why = f"{self.folder.database}: not written on after {type(err).__name__}"
            self.failed = RunWriteError(
                f"{why}; the run is kept up to {sim.clock.at(kept + 1):%Y-%m-%d %H:%M} "
                f"(tick {kept}): go on with `town resume {self.folder.path}` once that is mended"
            )
            if isinstance(err, sqlite3.Error):
                raise self.failed from None
            raise
        self.since = time.monotonic()

    def _store(self, sim: Simulation, before: int | None = None) -> None:
        """The ticks' changes, new memories, last-access changes and model calls (those made
        before tick `before`, if given). The streams count theirs as stored at once: if the
        transaction fails, the run ends with it."""
        self._usage(sim)
        self.db.executemany(
            "INSERT OR REPLACE INTO ticks VALUES (?, ?, ?)",
            [(tick, time_, json.dumps(changes)) for tick, time_, changes in self.ticks],
        )
        self.ticks.clear()
        for agent in sim.agents:
            stream = agent.mind.memory.stream
            if stream.has_pending:
                stream.mark_written(store.write_pending(self.db, stream, before))
        calls = [c for c in self.calls if before is None or (c["tick"] or 0) < before]
        self.db.executemany(
            "INSERT INTO model_calls (tick, agent, purpose, call) VALUES (?, ?, ?, ?)",
            [(c["tick"], c["agent"], c["purpose"], json.dumps(c)) for c in calls],
        )
        self.calls.clear()
        if self.last is not None:
            self._meta(committed=self.last)

    def _usage(self, sim: Simulation) -> None:
        """What this session's model stack has spent so far, as its meter counts it: one row
        per session, so a resumed run adds to what the sessions before it paid. A replay
        (no recorder) asks no model and pays nothing."""
        if getattr(sim.llm, "recorder", None) is None:
            return
        if self.session is None:  # the first commit, before any of this session's calls
            number = self.db.execute("SELECT COALESCE(MAX(session) + 1, 0) FROM usage")
            after = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM model_calls")
            self.session = (number.fetchone()[0], sim.tick, after.fetchone()[0])
        counters = sim.meter.counters
        if counters.by_purpose:
            self.db.execute(
                "INSERT OR REPLACE INTO usage VALUES (?, ?, ?, ?)",
                (*self.session, json.dumps(counters.to_json())),
            )

    def _meta(self, **values: Any) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [(k, json.dumps(v)) for k, v in values.items()],
        )

    def _checkpoint(self, sim: Simulation, at: int | None = None) -> None:
        """The state before tick `at` runs (on_tick runs before the simulation's tick moves)."""
        tick = sim.tick if at is None else at
        state = {**checkpoint_of(sim), "tick": tick}
        self.db.execute(
            "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?)",
            (tick, sim.clock.at(tick).isoformat(sep=" "), json.dumps(state)),
        )


def checkpoint_of(sim: Simulation) -> dict[str, Any]:
    """The simulation's state with each memory stream by reference: the memories are rows of
    the run file; the checkpoint keeps how far they go and their last-access ticks."""
    state = sim.get_state(streams=False)
    for agent in sim.agents:
        records = list(agent.mind.memory.stream)
        before = sim.accesses_before(agent)
        access = [(r.id, before.get(r.id, r.last_access), r.created) for r in records]
        state["agents"][agent.name]["memory"] = {
            "upto": records[-1].id if records else -1,
            "access": [[i, at] for i, at, created in access if at != created],
        }
    return state


def changes_of(record: TickRecord) -> dict[str, Any]:
    changes = {
        "moved": {name: list(tile) for name, tile in record.moved.items()},
        "actions": {name: action.to_dict() for name, action in record.actions.items()},
        "objects": record.objects,
        "utterances": record.utterances,
        "finished": [talk.get_state() for talk in record.finished],
    }
    if record.landed:  # (only when the world does not wait: else each lands when it is due)
        changes["landed"] = record.landed
    return changes
