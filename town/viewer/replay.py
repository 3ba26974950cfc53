"""A recorded run, shown again: the town at any tick, rebuilt from the run file's ticks table.

No model and no Simulation: the first checkpoint gives where everyone starts, and each tick's
recorded changes (moves, actions, object states, utterances, finished conversations) are
applied in order. Keyframes of the whole state every game hour, built on load, make a jump
to any tick cost at most an hour of changes. The side panel's plan and relationships come
from the checkpoint before the playhead, its memories from the run file's memory table.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from memory import MemoryRecord
from town.agents.state import Action, Status
from town.clock import Clock
from town.mind.plan import DayPlan
from town.record import RunError, RunFolder
from town.scenario import Scenario, load_scenario
from town.sim import FACING
from town.viewer.snapshot import (
    MEMORIES_SHOWN,
    AgentDetails,
    AgentView,
    ModelActivity,
    Snapshot,
)
from town.world import IDLE, Town, load_town

KEYFRAME_EVERY = 360  # ticks: one game hour at the default 10 s a tick
SLEEPING = "sleeping"
DETAILS_EVERY = 0.25  # seconds: how often the panel's details follow a playing replay
MAX_TICKS_PER_SECOND = 120.0  # "as fast as possible", for a replay


@dataclass(slots=True)
class Walker:
    """One agent during the reconstruction (mutable; copied into keyframes)."""

    tile: tuple[int, int]
    facing: str = "down"
    action: Action | None = None
    moved: int | None = None  # the last tick in which it took a step
    said: str | None = None
    said_at: int | None = None  # the tick in which it said `said`
    talking_with: tuple[str, ...] = ()


@dataclass(slots=True)
class TownState:
    """Everyone and every busy object after the changes of all ticks before `tick`."""

    tick: int
    walkers: dict[str, Walker]
    objects: dict[str, str] = field(default_factory=dict)

    def copy(self) -> TownState:
        return TownState(
            self.tick,
            {name: replace(w) for name, w in self.walkers.items()},
            dict(self.objects),
        )


class Recording:
    """A run folder opened for replay: its scenario and town, its ticks and keyframes."""

    def __init__(self, path: Path) -> None:
        self.folder = RunFolder.open(path)
        self.scenario: Scenario = load_scenario(self.folder.scenario)
        self.town: Town = load_town(self.scenario.map_path)
        self.meta = self.folder.meta()
        seconds = int(self.meta.get("seconds_per_tick", self.scenario.town.seconds_per_tick))
        self.clock = Clock(self.scenario.town.start, seconds)
        self.db = self.folder.reader(check_same_thread=False)
        self._db_lock = threading.Lock()  # one reader at a time on the shared connection
        first = self.db.execute(
            "SELECT tick, state FROM checkpoints ORDER BY tick LIMIT 1"
        ).fetchone()
        if first is None:
            raise RunError(f"{path}: the run file holds no checkpoint to start a replay from")
        self.start = int(first[0])
        initial = _initial_state(self.start, json.loads(first[1]))
        self.rows: list[tuple[int, dict[str, Any]]] = [
            (int(tick), json.loads(changes))
            for tick, changes in self.db.execute(
                "SELECT tick, changes FROM ticks WHERE tick >= ? ORDER BY tick", (self.start,)
            )
        ]
        self.row_ticks = [tick for tick, _ in self.rows]
        self.talk_starts = _talk_starts(self.rows)
        self.start_ticks = sorted(self.talk_starts)
        self.checkpoints = [
            int(t) for (t,) in self.db.execute("SELECT tick FROM checkpoints ORDER BY tick")
        ]
        ended = self.meta.get("ended", {}).get("tick", 0) if self.meta.get("ended") else 0
        last_row = self.row_ticks[-1] + 1 if self.rows else self.start
        self.end = max(int(ended), last_row, self.checkpoints[-1], self.start)
        self.keyframes = self._keyframes(initial)
        self._activity = _Activity(self.db)
        self._checkpoint_cache: dict[int, dict[str, Any]] = {}

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.scenario.agents]

    def close(self) -> None:
        self.db.close()

    # -- the state at a tick ---------------------------------------------------------------

    def _keyframes(self, initial: TownState) -> list[TownState]:
        frames = [initial.copy()]
        state = initial
        for at in range(self.start + KEYFRAME_EVERY, self.end + 1, KEYFRAME_EVERY):
            self.advance(state, at)
            frames.append(state.copy())
        return frames

    def state_at(self, tick: int) -> TownState:
        """A fresh state after every change of the ticks before `tick`."""
        tick = min(max(tick, self.start), self.end)
        frame = self.keyframes[min((tick - self.start) // KEYFRAME_EVERY, len(self.keyframes) - 1)]
        state = frame.copy()
        self.advance(state, tick)
        return state

    def advance(self, state: TownState, tick: int) -> None:
        """Apply the changes of the ticks from state.tick up to (not including) `tick`."""
        tick = min(tick, self.end)
        if tick <= state.tick:
            return
        lo = bisect.bisect_left(self.row_ticks, state.tick)
        hi = bisect.bisect_left(self.row_ticks, tick)
        for at in sorted({*self.row_ticks[lo:hi], *self._starts_between(state.tick, tick)}):
            self._apply(state, at)
        state.tick = tick

    def _starts_between(self, lo: int, hi: int) -> list[int]:
        ticks = self.start_ticks
        return ticks[bisect.bisect_left(ticks, lo) : bisect.bisect_left(ticks, hi)]

    def _apply(self, state: TownState, tick: int) -> None:
        walkers = state.walkers
        for people in self.talk_starts.get(tick, ()):
            for name in people:
                if name in walkers:
                    walkers[name].talking_with = tuple(p for p in people if p != name)
        i = bisect.bisect_left(self.row_ticks, tick)
        if i == len(self.row_ticks) or self.row_ticks[i] != tick:
            return
        changes = self.rows[i][1]
        for name, (x, y) in changes.get("moved", {}).items():
            walker = walkers.get(name)
            if walker is None:
                continue
            step = (x - walker.tile[0], y - walker.tile[1])
            walker.facing = FACING.get(step, walker.facing)
            walker.tile, walker.moved = (x, y), tick
        for name, action in changes.get("actions", {}).items():
            if name in walkers:
                walkers[name].action = Action(**action)
        for address, value in changes.get("objects", {}).items():
            if value == IDLE:
                state.objects.pop(address, None)
            else:
                state.objects[address] = value
        for name, text in changes.get("utterances", {}).items():
            if name in walkers:
                walkers[name].said, walkers[name].said_at = text, tick
        for talk in changes.get("finished", []):
            for name in talk.get("people", []):
                if name in walkers:
                    walkers[name].talking_with = ()

    # -- what the window shows ---------------------------------------------------------------

    def views(self, state: TownState) -> tuple[AgentView, ...]:
        last = state.tick - 1  # the tick whose changes are the newest applied
        views = []
        for name, w in state.walkers.items():
            talking = bool(w.talking_with)
            if talking:
                status = Status.TALKING
            elif w.moved == last:
                status = Status.WALKING
            elif w.action is not None and w.action.description == SLEEPING:
                status = Status.ASLEEP
            else:
                status = Status.ACTING
            utterance = w.said if w.said is not None and (talking or w.said_at == last) else None
            views.append(
                AgentView(
                    name=name,
                    tile=w.tile,
                    facing=w.facing,
                    status=status.value,
                    action=w.action,
                    utterance=utterance,
                    talking_with=w.talking_with,
                    spoke_now=w.said_at == last,
                )
            )
        return tuple(views)

    def activity_at(self, tick: int) -> ModelActivity:
        return self._activity.at(tick)

    def details(self, name: str, state: TownState) -> AgentDetails | None:
        walker = state.walkers.get(name)
        if walker is None:
            return None
        tick = state.tick
        mind = self._mind_at(name, tick)
        plan = DayPlan.from_state(mind["plan"]) if mind and mind.get("plan") else None
        current = None
        if plan is not None:
            block = plan.block_at(self.clock.at(tick))
            current = plan.blocks.index(block) if block is not None else None
        tasks = tuple(Action(**t) for t in mind.get("tasks", [])) if mind else ()
        relationships = tuple(sorted(mind.get("relationships", {}).items())) if mind else ()
        return AgentDetails(
            name=name,
            tick=tick,
            place=self.town.address_at(walker.tile),
            plan=plan,
            current_block=current,
            tasks=tuple(t for t in tasks if t.end > tick),
            memories=self._memories(name, tick),
            relationships=relationships,
        )

    def _mind_at(self, name: str, tick: int) -> dict[str, Any] | None:
        i = bisect.bisect_right(self.checkpoints, tick) - 1
        if i < 0:
            return None
        at = self.checkpoints[i]
        if at not in self._checkpoint_cache:
            with self._db_lock:
                row = self.db.execute("SELECT state FROM checkpoints WHERE tick = ?", (at,))
                text = row.fetchone()[0]
            state = json.loads(text)
            if len(self._checkpoint_cache) >= 4:  # a checkpoint is big: keep a few
                self._checkpoint_cache.pop(next(iter(self._checkpoint_cache)))
            self._checkpoint_cache[at] = {
                n: a.get("mind", {}) for n, a in state.get("agents", {}).items()
            }
        return self._checkpoint_cache[at].get(name)

    def _memories(self, name: str, tick: int) -> tuple[MemoryRecord, ...]:
        try:
            with self._db_lock:
                rows = self.db.execute(
                    "SELECT id, agent, kind, text, created, importance, evidence, expires "
                    "FROM memory WHERE agent = ? AND created <= ? ORDER BY id DESC LIMIT ?",
                    (name, tick, MEMORIES_SHOWN),
                ).fetchall()
        except sqlite3.OperationalError:  # a run file without memories
            return ()
        return tuple(
            MemoryRecord(
                id=i,
                agent=agent,
                text=text,
                kind=kind,
                created=created,
                last_access=created,
                importance=importance,
                evidence=tuple(json.loads(evidence)),
                expires=expires,
            )
            for i, agent, kind, text, created, importance, evidence, expires in rows
        )


class _Activity:
    """The model's cumulative work by tick, from the run file's model calls."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.ticks: list[int] = []
        self.totals: list[ModelActivity] = []
        try:
            rows = db.execute(
                "SELECT tick, json_extract(call, '$.model'), COUNT(*), "
                "SUM(json_extract(call, '$.prompt_tokens')), "
                "SUM(json_extract(call, '$.completion_tokens')), "
                "SUM(json_extract(call, '$.fallback')) "
                "FROM model_calls GROUP BY tick, 2 ORDER BY tick"
            ).fetchall()
        except sqlite3.OperationalError:
            rows = []
        prices = _prices()
        total = ModelActivity()
        for tick, model, n, prompt, completion, fallbacks in rows:
            prompt, completion = int(prompt or 0), int(completion or 0)
            cost = prices.cost(model or "", prompt, completion) if prices else 0.0
            total = ModelActivity(
                total.requests + n,
                total.prompt_tokens + prompt,
                total.completion_tokens + completion,
                total.cost + cost,
                total.fallbacks + int(fallbacks or 0),
            )
            if self.ticks and self.ticks[-1] == (tick or 0):
                self.totals[-1] = total
            else:
                self.ticks.append(tick or 0)
                self.totals.append(total)

    def at(self, tick: int) -> ModelActivity:
        """Everything asked before `tick` ran."""
        i = bisect.bisect_left(self.ticks, tick) - 1
        return self.totals[i] if i >= 0 else ModelActivity()


def _prices() -> Any:
    try:
        from town.llm.prices import Prices
    except ImportError:  # an older model layer without prices
        return None
    return Prices()


def _initial_state(tick: int, checkpoint: dict[str, Any]) -> TownState:
    walkers = {}
    for name, saved in checkpoint["agents"].items():
        s = saved["state"]
        walkers[name] = Walker(
            tile=(s["tile"][0], s["tile"][1]),
            facing=s.get("facing", "down"),
            action=Action(**s["action"]) if s.get("action") else None,
        )
    for talk in checkpoint.get("talks", []):
        for name in talk["people"]:
            if name in walkers:
                walkers[name].talking_with = tuple(p for p in talk["people"] if p != name)
                mine = [line["text"] for line in talk["lines"] if line["speaker"] == name]
                if mine:
                    walkers[name].said, walkers[name].said_at = mine[-1], tick - 1
    objects = dict(checkpoint.get("objects", {}).get("state", {}))
    return TownState(tick, walkers, objects)


def _talk_starts(rows: list[tuple[int, dict[str, Any]]]) -> dict[int, list[list[str]]]:
    """Who started talking when: a finished conversation names its people and its start, so
    a replay knows the listener is in the conversation before it says anything."""
    starts: dict[int, list[list[str]]] = {}
    for _, changes in rows:
        for talk in changes.get("finished", []):
            starts.setdefault(int(talk["started"]), []).append(list(talk["people"]))
    return starts


class ReplayPlayer:
    """The replay's time controls over a Recording: a playhead that moves at a speed, and
    snapshots of the town at the playhead, as `SimRunner` gives them for a live run."""

    mode = "replay"

    def __init__(self, recording: Recording, speed: float | None = 20.0, paused: bool = False):
        self.recording = recording
        self.speed = speed  # game seconds per real second; None: as fast as a replay goes
        self.paused = paused
        self.selected: str | None = None
        self.playhead = float(recording.start)  # in ticks; the fraction is the way to the next
        self._state = recording.state_at(recording.start)
        self._details_at = 0.0
        self._details: AgentDetails | None = None
        self._snapshot = self._make(interval=0.0)
        self._last_update: float | None = None

    @property
    def start(self) -> int:
        return self.recording.start

    @property
    def end(self) -> int:
        return self.recording.end

    @property
    def tick(self) -> int:
        return self._state.tick

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def thinking(self) -> frozenset[str]:
        return frozenset()  # not recorded

    @property
    def in_flight(self) -> int:
        return 0

    @property
    def alive(self) -> bool:
        return True

    def ticks_per_second(self) -> float:
        if self.speed is None:
            return MAX_TICKS_PER_SECOND
        return self.speed / self.recording.clock.seconds_per_tick

    # -- controls ----------------------------------------------------------------------------

    def pause(self) -> None:
        self.paused = True
        self._refresh(interval=0.0)

    def resume(self) -> None:
        if self.tick >= self.end:
            self.seek(self.start)
        self.paused = False
        self._refresh(interval=0.0)

    def toggle_pause(self) -> None:
        if self.paused:
            self.resume()
        else:
            self.pause()

    def set_speed(self, speed: float | None) -> None:
        self.speed = speed
        self.resume()

    def step_once(self) -> None:
        self.paused = True
        self._go(self.tick + 1, glide=True)

    def step_back(self) -> None:
        self.paused = True
        self.seek(self.tick - 1)

    def select(self, name: str | None) -> None:
        self.selected = name
        self._details_at = 0.0
        self._refresh(interval=0.0)

    def seek(self, tick: int) -> None:
        """Jump anywhere: agents appear at once where they are then."""
        tick = min(max(int(tick), self.start), self.end)
        self.playhead = float(tick)
        self._state = self.recording.state_at(tick)
        self._details_at = 0.0
        self._refresh(interval=0.0)

    def update(self, now: float | None = None) -> None:
        """Move the playhead by the real time since the last call (once a frame)."""
        now = time.monotonic() if now is None else now
        last, self._last_update = self._last_update, now
        if self.paused or last is None:
            return
        rate = self.ticks_per_second()
        self.playhead = min(self.playhead + (now - last) * rate, float(self.end))
        target = int(self.playhead)
        if target != self.tick:
            self._go(target, glide=True)
        if self.tick >= self.end:
            self.paused = True
            self._refresh(interval=0.0)

    def _go(self, tick: int, glide: bool) -> None:
        tick = min(max(tick, self.start), self.end)
        if tick < self.tick or tick - self.tick > KEYFRAME_EVERY:
            self._state = self.recording.state_at(tick)
            glide = False
        else:
            self.recording.advance(self._state, tick)
        if not self.paused:
            self.playhead = max(self.playhead, float(tick))
        else:
            self.playhead = float(tick)
        interval = 1 / self.ticks_per_second() if glide else 0.0
        self._refresh(interval=interval)

    def _refresh(self, interval: float) -> None:
        self._snapshot = self._make(interval)

    def _make(self, interval: float) -> Snapshot:
        state = self._state
        now = time.monotonic()
        if self.selected is None:
            self._details = None
        elif now - self._details_at >= DETAILS_EVERY or (
            self._details is not None and self._details.name != self.selected
        ):
            self._details = self.recording.details(self.selected, state)
            self._details_at = now
        return Snapshot(
            tick=state.tick,
            time=self.recording.clock.at(state.tick),
            agents=self.recording.views(state),
            objects=MappingProxyType(dict(state.objects)),
            activity=self.recording.activity_at(state.tick),
            details=self._details,
            interval=interval,
            paused=self.paused,
            speed=self.speed,
            ended=state.tick >= self.end,
        )
