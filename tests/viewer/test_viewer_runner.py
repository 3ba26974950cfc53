"""The simulation's own thread: pacing, commands, snapshots, a slow model, and a clean end."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.support import at, simulate, thinking_scenario
from tests.test_thinking import Slow
from tests.viewer.viewing import Stalled, frames_until, record_to, viewer_on, wait_for
from town.llm import ScriptedModel
from town.mind import scripted_rules
from town.record import RunFolder
from town.record.reenact import resimulate
from town.scenario import Scenario, load_scenario
from town.sim import Simulation, TickRecord
from town.viewer.runner import SimRunner
from town.world import Town


def test_ticks_keep_to_the_speed(talking: Simulation) -> None:
    sim = talking
    interval = 0.2
    runner = SimRunner(sim, speed=sim.clock.seconds_per_tick / interval)  # five ticks a second
    start = sim.tick
    began = time.monotonic()
    runner.start()
    try:
        wait_for(lambda: runner.snapshot.tick >= start + 10, timeout=120)
        # The cadence starts at the first tick (the second follows it at once). After a late
        # tick the next ones may catch up, but never run ahead of that cadence, however busy
        # the machine: tick 10 began 8 intervals after the first at the earliest. A slow
        # machine is only later: no upper bound.
        assert time.monotonic() - began >= 8 * interval
    finally:
        assert runner.stop()


def test_paused_means_no_ticks_but_commands_still_run(talking: Simulation) -> None:
    runner = SimRunner(talking, paused=True)
    runner.start()
    try:
        tick = runner.snapshot.tick
        name = talking.agents[0].name
        answer = runner.interview(name, "How are you?").result(timeout=120)
        assert isinstance(answer, str) and answer
        assert runner.whisper(name, "Remember to water the plants").result(timeout=120) is None
        with pytest.raises(KeyError):
            runner.whisper("Nobody Atall", "hello").result(timeout=120)
        assert runner.call(lambda sim: sim.tick).result(timeout=120) == tick
        assert runner.snapshot.tick == tick
    finally:
        assert runner.stop()


def test_snapshots_are_copies_the_window_cannot_change(talking: Simulation) -> None:
    runner = SimRunner(talking)
    snapshot = runner.snapshot
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.agents[0].tile = (0, 0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        snapshot.objects["x"] = "y"  # type: ignore[index]
    assert snapshot.details is None  # details only for the selected agent
    runner.select(talking.agents[1].name)
    runner.publish()
    assert runner.snapshot.details is not None
    assert runner.snapshot.details.name == talking.agents[1].name
    talking.step()
    assert snapshot.tick == runner.snapshot.tick  # the old snapshot did not move with the sim


def test_the_run_ends_at_until_and_stays_open(town: Town, ville3: Scenario) -> None:
    sim = simulate(ville3, town)
    until = sim.clock.at(30)
    runner = SimRunner(sim, speed=None, until=until)
    runner.start()
    try:
        wait_for(lambda: runner.snapshot.ended)
        assert runner.snapshot.tick == 30
        assert runner.paused and runner.alive
        runner.step_once()  # past the end: nothing happens
        assert runner.call(lambda s: s.tick).result(timeout=120) == 30
    finally:
        assert runner.stop()


def test_the_window_keeps_drawing_while_the_model_stalls(
    town: Town, ville25: Scenario, tmp_path: Path
) -> None:
    model = Stalled(ScriptedModel(scripted_rules(), seed=3))
    sim = simulate(ville25, town, model=model, start=dt.datetime(2023, 2, 13, 8, 0))
    runner = SimRunner(sim, speed=None, prepare=record_to(tmp_path / "run", sim))
    viewer = viewer_on(runner)
    runner.start()
    try:
        frames_until(viewer, lambda: runner.thinking and runner.in_flight > 0)
        tick = runner.snapshot.tick
        longest = 0.0
        for _ in range(30):
            began = time.perf_counter()
            viewer.frame()
            longest = max(longest, time.perf_counter() - began)
        # Every frame was drawn while the model kept everyone waiting: it never answers, so
        # a frame that waited on it would never end. The bound (a hundred frames' worth)
        # catches one that waits with a timeout, not a busy machine.
        assert runner.thinking and runner.in_flight > 0 and runner.snapshot.tick == tick
        assert longest < 2.0
    finally:
        began = time.monotonic()
        assert runner.stop(timeout=120)  # the requests in flight are cancelled
    assert time.monotonic() - began < 5
    assert runner.error is None
    assert not runner.alive
    db = sqlite3.connect(tmp_path / "run" / "run.sqlite")
    ended = json.loads(db.execute("SELECT value FROM meta WHERE key = 'ended'").fetchone()[0])
    committed = json.loads(
        db.execute("SELECT value FROM meta WHERE key = 'committed'").fetchone()[0]
    )
    db.close()
    # The tick that was cut off is not kept: the file ends with the one before, exactly.
    assert ended["tick"] == committed + 1 == sim.tick
    assert resimulate(RunFolder(tmp_path / "run")).identical


def test_closing_writes_the_final_checkpoint(talking: Simulation, tmp_path: Path) -> None:
    start = talking.tick
    runner = SimRunner(talking, speed=None, prepare=record_to(tmp_path / "run", talking))
    runner.start()
    wait_for(lambda: runner.snapshot.tick > start + 30, timeout=120)
    # Closed between two ticks (a tick cut off halfway leaves none: see the stalled model's).
    runner.pause()
    wait_for(lambda: runner.snapshot.paused, timeout=120)
    assert runner.stop()
    db = sqlite3.connect(tmp_path / "run" / "run.sqlite")
    last = db.execute("SELECT MAX(tick) FROM checkpoints").fetchone()[0]
    rows = db.execute("SELECT COUNT(*) FROM ticks").fetchone()[0]
    db.close()
    assert last == talking.tick > start + 30 and rows > 0


def test_a_failing_simulation_is_reported_not_hidden(talking: Simulation) -> None:
    class Broken:
        def on_tick(self, sim: Simulation, record: TickRecord) -> None:
            raise RuntimeError("the recorder's disk is full")

    talking.observers.append(Broken())
    runner = SimRunner(talking, speed=None)
    viewer = viewer_on(runner)
    runner.start()
    frames_until(viewer, lambda: not runner.alive)
    assert isinstance(runner.error, RuntimeError)
    viewer.frame()
    assert "disk is full" in viewer.notice.message and not viewer.closed
    assert runner.snapshot.ended
    assert runner.stop()
    assert runner.call(lambda sim: sim.tick).cancelled()


def test_a_stop_from_outside_closes_the_window(talking: Simulation) -> None:
    runner = SimRunner(talking, speed=None)
    viewer = viewer_on(runner)
    runner.start()
    frames_until(viewer, lambda: runner.snapshot.tick > talking.tick - 1)
    talking.running = False  # what the CLI's Ctrl-C handler does
    frames_until(viewer, lambda: viewer.closed)
    assert runner.error is None
    assert runner.stop()


def test_decisions_on_their_way_go_on_while_paused(town: Town, tmp_path: Path) -> None:
    """With thinking_minutes, the model's answers are read between ticks: a paused window
    must keep the simulation's event loop going, or no thought would ever finish."""
    scenario = load_scenario(thinking_scenario(tmp_path, 5))
    sim = simulate(scenario, town, model=Slow(scenario, 1, 0.05, 0.05), start=at(13, 9))
    sim.step()  # 09:00: everyone is awake without a plan and starts to think
    tasks = [t.task for t in sim.thoughts.values() if t.task is not None]
    assert tasks and not all(task.done() for task in tasks)
    runner = SimRunner(sim, paused=True)
    runner.start()
    try:
        wait_for(lambda: all(task.done() for task in tasks))
        assert runner.snapshot.tick == 1  # no tick ran meanwhile
    finally:
        assert runner.stop()
