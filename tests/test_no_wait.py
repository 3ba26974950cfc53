"""A world that does not wait for the model (the window's way): each decision lands when its
answer comes, the clock going on meanwhile, and the tick it landed at is recorded, so that a
replay, a resumed run and a re-simulation land it at the same tick."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path

import pytest

from tests.support import SCENARIOS, at, simulate, thinking_scenario
from tests.test_resume import Unhurried, committed, run_with_kills, ticks_of
from town.llm import ScriptedModel
from town.llm.base import Reply, Request
from town.mind import scripted_rules
from town.record import Recorder, RunFolder
from town.record.reenact import resimulate
from town.scenario import Scenario, load_scenario
from town.sim import Simulation, TickRecord
from town.viewer.runner import SimRunner


class Latency:
    """The scripted model, answering after a real delay drawn per request: when an answer
    comes depends on the machine, which is what a recorded landing must make up for."""

    def __init__(self, scenario: Scenario, seconds: float) -> None:
        self.model = ScriptedModel(scripted_rules(), seed=scenario.town.seed)
        self.seconds = seconds

    async def complete(self, request: Request) -> Reply:
        await asyncio.sleep(random.Random(request.key()).uniform(0, self.seconds))
        return await self.model.complete(request)


class Landings:
    """Per decision that landed: the tick it was for and the tick it landed at."""

    def __init__(self) -> None:
        self.due: dict[str, int] = {}
        self.landed: list[tuple[str, int, int]] = []  # agent, due, landed
        self.behind = 0  # ticks at which the clock had to wait for a decision

    def on_tick(self, sim: Simulation, record: TickRecord) -> None:
        for name in record.landed:
            self.landed.append((name, self.due.pop(name), record.tick))
        self.due.update({name: t.lands for name, t in sim.thoughts.items()})
        self.behind += sim.behind()


def recorded(path: Path, scenario: Scenario, town, model, until) -> tuple[Simulation, Landings]:
    folder = RunFolder.create(path, scenario.source, scenario.map_path)
    sim = simulate(scenario, town, model=model, wait=False)
    landings = Landings()
    sim.observers += [Recorder(folder, sim, {"seed": sim.seed}), landings]
    sim.run(until=until)
    sim.close()
    return sim, landings


@pytest.fixture(scope="module")
def ville3() -> Scenario:
    return load_scenario(SCENARIOS / "the_ville_3.toml")


def test_decisions_land_when_their_answers_come(tmp_path, town, ville3) -> None:
    """Answers that take many turns of the event loop: the ticks go on meanwhile, and each
    decision lands at the first tick after its answer came, later than it was due."""
    _, landings = recorded(tmp_path / "run", ville3, town, Unhurried(ville3), at(13, 9))
    late = [tick - due for _, due, tick in landings.landed]
    assert len(late) > 10 and max(late) > 30
    rows = ticks_of(tmp_path / "run")
    assert sum('"landed"' in changes for _, _, changes in rows) > 10
    verdict = resimulate(RunFolder.open(tmp_path / "run"))
    assert verdict.identical, str(verdict)


def test_landings_that_the_machine_decided_resimulate_exactly(tmp_path, town, ville3) -> None:
    recorded(tmp_path / "run", ville3, town, Latency(ville3, 0.02), at(13, 9))
    verdict = resimulate(RunFolder.open(tmp_path / "run"))
    assert verdict.identical, str(verdict)


def test_a_decision_far_behind_holds_the_clock_until_it_comes(tmp_path, town, ville3) -> None:
    """With the lag capped at a game minute (6 ticks), a slower model holds the clock there:
    no decision lands later."""
    text = thinking_scenario(tmp_path, 0).read_text()
    path = tmp_path / "capped.toml"
    path.write_text(text.replace("thinking_minutes = 0", "decision_lag_max_minutes = 1"))
    capped = load_scenario(path)
    # Answers take up to 300 turns of the event loop, about one a tick while the clock runs.
    _, landings = recorded(tmp_path / "run", capped, town, Unhurried(capped), at(13, 9))
    late = [tick - due for _, due, tick in landings.landed]
    assert len(late) > 10 and max(late) == 6
    v = resimulate(RunFolder.open(tmp_path / "run"))
    assert v.identical, str(v)


@pytest.mark.slow
@pytest.mark.parametrize(("thinking", "seed"), [(0, 4), (5, 5)])
def test_a_run_that_does_not_wait_killed_at_any_moment_resumes_exactly(
    tmp_path, town, thinking, seed
):
    """Ten seeded kill moments each: every tick committed before a kill stays as it was, and
    the run, killed and resumed again and again, re-simulates identically."""
    scenario = load_scenario(thinking_scenario(tmp_path, thinking))
    end = simulate(scenario, town).clock.tick_of(at(13, 9))
    kills = sorted(random.Random(seed).sample(range(1, end), 10))
    kept = run_with_kills(scenario, town, tmp_path / "run", end, kills, seed, wait=False)
    final = ticks_of(tmp_path / "run")
    for rows in kept:
        assert final[: len(rows)] == rows  # resuming never rewrote what was committed
    assert committed(tmp_path / "run") == end - 1
    assert any('"landed"' in changes for _, _, changes in final)
    verdict = resimulate(RunFolder.open(tmp_path / "run"))
    assert verdict.identical, (str(verdict), kills)


@pytest.mark.slow
def test_a_run_that_does_not_wait_closed_at_any_moment_resumes_exactly(tmp_path, town) -> None:
    """A window closed while decisions are on their way (a tick cut off halfway, ten seeded
    moments): what was committed stays, and the resumed run re-simulates identically."""
    scenario = load_scenario(thinking_scenario(tmp_path, 0))
    end = simulate(scenario, town).clock.tick_of(at(13, 9))
    closes = sorted(random.Random(6).sample(range(1, end), 10))
    cuts: list[bool] = []
    kept = run_with_kills(scenario, town, tmp_path / "run", end, closes, 6, wait=False, cuts=cuts)
    assert sum(cuts) >= 3, cuts
    final = ticks_of(tmp_path / "run")
    for rows in kept:
        assert final[: len(rows)] == rows
    verdict = resimulate(RunFolder.open(tmp_path / "run"))
    assert verdict.identical, (str(verdict), closes, cuts)


class Held:
    """The scripted model, each answer held until the test lets it go."""

    def __init__(self, scenario: Scenario) -> None:
        self.model = ScriptedModel(scripted_rules(), seed=scenario.town.seed)
        self.go = threading.Event()
        self.waiting = 0

    async def complete(self, request: Request) -> Reply:
        self.waiting += 1
        while not self.go.is_set():
            await asyncio.sleep(0.005)
        return await self.model.complete(request)


def wait_until(condition, runner: SimRunner, what: str) -> None:
    """Until `condition()` holds (the window's thread polls; no clock is trusted)."""
    for _ in range(60_000):
        if condition():
            return
        assert runner.alive, runner.error
        runner.wait_done(0.002)
    raise AssertionError(f"never: {what}")


def test_the_windows_clock_goes_on_while_the_model_thinks(tmp_path, town, ville3) -> None:
    """At full speed with every answer held back: the clock runs on past the first decision's
    tick, then, that decision falling 30 game minutes behind, waits and says so; let go, the
    decisions land and the run re-simulates exactly."""
    model = Held(ville3)
    folder = RunFolder.create(tmp_path / "run", ville3.source, ville3.map_path)
    sim = simulate(ville3, town, model=model, wait=False)
    runner = SimRunner(
        sim, speed=None, prepare=lambda s: s.observers.append(Recorder(folder, s, {}))
    )
    runner.start()
    try:
        wait_until(lambda: model.waiting > 0, runner, "a request")
        wait_until(lambda: runner.snapshot.behind, runner, "the clock waiting")
        held_at = runner.snapshot.tick
        first = runner.call(lambda s: min(t.lands for t in s.thoughts.values())).result(60)
        assert held_at == first + sim.max_lag  # it ran on, then waited
        assert runner.snapshot.lag_minutes >= 30
        model.go.set()
        wait_until(lambda: runner.snapshot.tick > held_at + 100, runner, "the clock again")
    finally:
        runner.stop()
    assert runner.error is None
    v = resimulate(RunFolder.open(tmp_path / "run"))
    assert v.identical, str(v)
