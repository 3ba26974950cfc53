"""The recorder: an observer that writes a run file as the run goes.

Each tick is one transaction: its changes, the memories made in it (with their embeddings),
and the model calls answered in it; a full checkpoint every game hour and at the end. A run
killed at any moment keeps every tick it committed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from memory import store
from town.record.runfile import RunFolder

if TYPE_CHECKING:
    from town.sim import Simulation, TickRecord


class Recorder:
    def __init__(
        self,
        folder: RunFolder,
        sim: Simulation,
        meta: dict[str, Any],
        checkpoint_every: int | None = None,
    ) -> None:
        self.folder = folder
        self.db = folder.connect()
        self.every = checkpoint_every or sim.clock.ticks_per_hour
        self.calls: list[dict[str, Any]] = []  # model calls since the last commit
        self.rows = 0
        with self._transaction():
            store.create_tables(self.db, sim.embedder)
            meta = {
                **meta,
                "embedder": sim.embedder.name,
                "seconds_per_tick": sim.clock.seconds_per_tick,
            }
            self.db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in meta.items()],
            )
            pending = self._memories(sim)
            self._checkpoint(sim)
        self._written(sim, pending)

    def record_call(self, call: Any) -> None:
        """For the model stack's recorder: a call to store with the tick it belongs to."""
        self.calls.append(call.to_dict() if hasattr(call, "to_dict") else dataclasses.asdict(call))

    def on_tick(self, sim: Simulation, record: TickRecord) -> None:
        with self._transaction():
            if not record.empty():
                self.db.execute(
                    "INSERT OR REPLACE INTO ticks VALUES (?, ?, ?)",
                    (record.tick, record.time.isoformat(sep=" "), json.dumps(changes_of(record))),
                )
                self.rows += 1
            pending = self._memories(sim)
            self._flush_calls()
            if (record.tick + 1) % self.every == 0:
                self._checkpoint(sim, at=record.tick + 1)
        self._written(sim, pending)

    def on_end(self, sim: Simulation) -> None:
        with self._transaction():
            pending = self._memories(sim)
            self._flush_calls()
            self._checkpoint(sim)
            self.db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('ended', ?)",
                (
                    json.dumps(
                        {
                            "tick": sim.tick,
                            "time": sim.now.isoformat(sep=" "),
                            "wall": dt.datetime.now().isoformat(timespec="seconds"),
                        }
                    ),
                ),
            )
        self._written(sim, pending)
        self.db.close()

    # -- parts of a transaction --------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _memories(self, sim: Simulation) -> list[Any]:
        return [store.write_pending(self.db, a.mind.memory.stream) for a in sim.agents]

    def _written(self, sim: Simulation, pending: list[Any]) -> None:
        for agent, done in zip(sim.agents, pending, strict=True):
            agent.mind.memory.stream.mark_written(done)

    def _flush_calls(self) -> None:
        self.db.executemany(
            "INSERT INTO model_calls (tick, agent, purpose, call) VALUES (?, ?, ?, ?)",
            [
                (c.get("tick"), c.get("agent"), c.get("purpose", "?"), json.dumps(c))
                for c in self.calls
            ],
        )
        self.calls.clear()

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
        state["agents"][agent.name]["memory"] = {
            "upto": records[-1].id if records else -1,
            "access": [[r.id, r.last_access] for r in records if r.last_access != r.created],
        }
    return state


def changes_of(record: TickRecord) -> dict[str, Any]:
    return {
        "moved": {name: list(tile) for name, tile in record.moved.items()},
        "actions": {name: action.to_dict() for name, action in record.actions.items()},
        "objects": record.objects,
        "utterances": record.utterances,
        "finished": [talk.get_state() for talk in record.finished],
    }
