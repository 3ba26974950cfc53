"""Thinking that takes game time (`thinking_minutes`): the world goes on while agents think,
decisions land at the tick fixed when they were asked for, and so a run is the same however
long the model takes to answer."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from tests.support import at, simulate, thinking_scenario
from town.llm import LanguageModel, ScriptedModel
from town.llm.base import Reply, Request
from town.mind import scripted_rules
from town.record.recorder import changes_of
from town.scenario import Scenario, load_scenario
from town.sim import Simulation, TickRecord


class Slow:
    """The scripted model (as `simulate` makes it for the scenario), answering after a delay
    drawn per request (seconds)."""

    def __init__(self, scenario: Scenario, seed: int, low: float, high: float) -> None:
        self.model: LanguageModel = ScriptedModel(scripted_rules(), seed=scenario.town.seed)
        self.rng = random.Random(seed)
        self.low, self.high = low, high

    async def complete(self, request: Request) -> Reply:
        await asyncio.sleep(self.rng.uniform(self.low, self.high))
        return await self.model.complete(request)


class Watch:
    """Each tick's changes, and the ticks that ended with a thought still waiting on the model."""

    def __init__(self) -> None:
        self.ticks: list[dict[str, object]] = []
        self.undecided = 0

    def on_tick(self, sim: Simulation, record: TickRecord) -> None:
        self.ticks.append(json.loads(json.dumps(changes_of(record))))
        tasks = [t.task for t in sim.thoughts.values() if t.task is not None]
        self.undecided += any(not task.done() for task in tasks)


@pytest.fixture(scope="module")
def lagged(tmp_path_factory):
    return load_scenario(thinking_scenario(tmp_path_factory.mktemp("thinking"), 5))


def run(scenario, town, model) -> tuple[Watch, dict[str, object]]:
    sim = simulate(scenario, town, model=model)
    watch = Watch()
    sim.observers.append(watch)
    sim.run(until=at(13, 8, 30))
    state = sim.get_state()
    sim.close()
    return watch, state


@pytest.mark.slow
def test_a_run_does_not_depend_on_how_long_the_model_takes(lagged, town) -> None:
    instant, state = run(lagged, town, None)
    slow, slow_state = run(lagged, town, Slow(lagged, 1, 0.0, 0.03))
    other, other_state = run(lagged, town, Slow(lagged, 2, 0.0, 0.03))
    assert slow.ticks == instant.ticks and other.ticks == instant.ticks
    assert slow_state == state and other_state == state
    # The world went on while the slow model worked: ticks ended with thoughts undecided.
    assert min(slow.undecided, other.undecided) > max(instant.undecided, 10)
    assert sum(len(t["actions"]) for t in instant.ticks) > 20


def test_decisions_land_when_fixed_and_next_actions_are_thought_out_ahead(lagged, town) -> None:
    sim = simulate(lagged, town)
    assert sim.lag == 30  # 5 game minutes of 10 s ticks
    asked: dict[str, int] = {}  # agent -> the tick its thought in flight lands
    ends: dict[str, int] = {}  # agent -> when its action ends
    landed = ahead = 0

    class Check:
        def on_tick(self, sim: Simulation, record: TickRecord) -> None:
            nonlocal landed, ahead
            for name, action in record.actions.items():
                assert record.tick == asked[name] == action.start, (name, asked[name], action)
                landed += 1
                ahead += ends.get(name) == record.tick  # it went on without a pause
            asked.clear()
            asked.update((name, t.lands) for name, t in sim.thoughts.items())
            ends.update((a.name, a.state.action.end) for a in sim.agents if a.state.action)

    sim.observers.append(Check())
    sim.run(until=at(13, 9))
    assert landed > 20 and ahead > 0


def test_a_checkpoint_keeps_the_decisions_on_their_way(lagged, town) -> None:
    sim = simulate(lagged, town, model=Slow(lagged, 3, 0.0, 0.02))
    sim.run(until=at(13, 8, 2))
    while not sim.thoughts:
        sim.step()
    state = json.loads(json.dumps(sim.get_state()))
    assert state["thoughts"]
    copy = simulate(lagged, town)
    copy.set_state(state)
    assert json.loads(json.dumps(copy.get_state())) == state
    for _ in range(60):
        a, b = sim.step(), copy.step()
        assert changes_of(a) == changes_of(b)
    sim.close()
    copy.close()
