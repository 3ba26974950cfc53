"""The tick loop on the real map with the scripted model."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from tests.support import at, simulate
from town.agents.state import Status
from town.llm import LanguageModel, Reply, Request, ScriptedModel
from town.mind import scripted_rules
from town.scenario import ObjectStateEvent, Whisper, WorldEvent
from town.sim import Simulation, TickRecord
from town.world import IDLE, Town, places


class Trace:
    """Per tick: a digest of every agent's tile; and checks on every step taken."""

    def __init__(self, town: Town) -> None:
        self.town = town
        self.digests: list[str] = []
        self.bad_steps: list[str] = []
        self.visited: dict[str, set[str]] = {}

    def on_tick(self, sim: Simulation, record: TickRecord) -> None:
        tiles = ";".join(f"{a.name}@{a.state.tile}" for a in sim.agents)
        self.digests.append(hashlib.sha256(tiles.encode()).hexdigest()[:16])
        for agent in sim.agents:
            if agent.state.tile in self.town.blocked:
                self.bad_steps.append(f"{agent.name} on blocked {agent.state.tile}")
            sector = self.town.sector_at(agent.state.tile)
            if sector:
                self.visited.setdefault(agent.name, set()).add(places.last(sector))


@pytest.fixture(scope="module")
def day25(town, ville25):
    sim = simulate(ville25, town)
    trace = Trace(town)
    sim.observers.append(trace)
    sim.run()
    sim.close()
    return sim, trace


@pytest.mark.slow
def test_a_25_agent_day_completes(day25, ville25) -> None:
    sim, trace = day25
    assert sim.tick == sim.clock.tick_of(ville25.end) == 8640
    assert sim.think_failures == 0 and sim.unreachable == 0
    assert trace.bad_steps == []
    usage = sim.meter.by_purpose
    assert usage["plan"].requests >= 25  # every agent planned its day
    assert usage["act"].requests > 25 * 5
    assert sim.meter.total().fallbacks == 0
    for agent in sim.agents:
        assert agent.mind.plan is not None and len(agent.mind.plan.blocks) >= 5
        home = places.split(agent.mind.home)[1]
        assert home in trace.visited[agent.name]
        assert len(trace.visited[agent.name]) >= 2, f"{agent.name} never left home"
    workers = [a for a in sim.agents if a.persona.workplace]
    for agent in workers:
        work = places.split(sim.town.resolve(agent.persona.workplace))[1]
        assert work in trace.visited[agent.name], f"{agent.name} never went to work"
    # At 5 am next day everyone is back in bed.
    assert all(a.state.status is Status.ASLEEP for a in sim.agents)
    assert all(a.state.tile in sim.town.use_tiles(a.mind.bed) for a in sim.agents)
    assert sum(a.mind.observations for a in sim.agents) > 100


@pytest.mark.slow
def test_the_same_seed_gives_the_same_day(day25, town, ville25) -> None:
    _, first = day25
    again = simulate(ville25, town)
    trace = Trace(town)
    again.observers.append(trace)
    again.run()
    assert trace.digests == first.digests


@pytest.mark.slow
def test_a_different_seed_gives_a_different_day(day25, town, ville25) -> None:
    _, first = day25
    other = simulate(ville25, town, seed=ville25.town.seed + 1)
    trace = Trace(town)
    other.observers.append(trace)
    other.run(until=at(13, 12))
    assert trace.digests != first.digests[: len(trace.digests)]


def test_run_stops_at_ticks_until_and_when_running_is_cleared(town, ville3) -> None:
    sim = simulate(ville3, town)
    sim.run(ticks=10)
    assert sim.tick == 10
    sim.run(until=at(13, 6))
    assert sim.now == at(13, 6)

    class StopAtSeven:
        def on_tick(self, sim: Simulation, record: TickRecord) -> None:
            if record.time >= at(13, 7):
                sim.running = False

    sim.observers.append(StopAtSeven())
    sim.run()
    assert sim.now == at(13, 7, 0) + (sim.clock.at(1) - sim.clock.at(0))
    assert not sim.running


class Gate:
    """A model that holds every request until all expected requests are in flight, so a
    test can see that they really were issued together."""

    def __init__(self, inner: LanguageModel) -> None:
        self.inner = inner
        self.in_flight = 0
        self.peak = 0

    async def complete(self, request: Request) -> Reply:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        for _ in range(50):  # yield to the other requests of the tick (no timing involved)
            await asyncio.sleep(0)
        self.in_flight -= 1
        return await self.inner.complete(request)


def test_one_ticks_requests_run_concurrently_under_the_cap(town, ville25) -> None:
    gate = Gate(ScriptedModel(scripted_rules(), seed=1))
    sim = simulate(ville25, town, model=gate, start=at(13, 10))
    assert sim.config.max_in_flight == 8
    sim.step()  # at 10:00 all 25 are awake and plan their day at once
    assert sim.meter.by_purpose["plan"].requests == 25
    assert gate.peak == sim.cap.peak == 8


class Broken:
    async def complete(self, request: Request) -> Reply:
        raise ConnectionError("the model is down")


def test_a_model_that_always_fails_does_not_end_the_run(town, ville3) -> None:
    sim = simulate(ville3, town, model=Broken())
    sim.run(until=at(13, 12))
    usage = sim.meter.total()
    assert usage.requests > 0 and usage.fallbacks == usage.requests
    assert sim.think_failures == 0
    for agent in sim.agents:  # fallbacks still give every agent a plan and a place to be
        assert agent.mind.plan is not None
        assert agent.state.action is not None


def test_scenario_events_happen_at_their_time(town, ville3) -> None:
    stove = "Hobbs Cafe:kitchen:cooking area"
    events = [
        *ville3.events,
        WorldEvent(kind="world_event", at=at(13, 6), place=stove, text="on fire", minutes=10),
    ]
    scenario = ville3.model_copy(update={"events": events})
    scenario._source = ville3.source
    sim = simulate(scenario, town)
    address = town.resolve(stove)
    sim.run(until=at(13, 6))
    assert sim.objects[address] == IDLE
    record = sim.step()
    assert sim.objects[address] == "on fire" and record.objects[address] == "on fire"
    sim.run(until=at(13, 6, 10))
    assert sim.objects[address] == "on fire"
    sim.step()
    assert sim.objects[address] == IDLE  # ten minutes later the fire is out


def test_a_timed_world_event_ends_only_what_it_began(town, ville3) -> None:
    """Its end leaves a state set since alone (a stove broken while a fire burned stays
    broken), and a second fire of its own length outlasts the first one's end."""
    stove, oven = "Hobbs Cafe:kitchen:cooking area", "Hobbs Cafe:kitchen:refrigerator"
    events = [
        WorldEvent(kind="world_event", at=at(13, 6), place=stove, text="on fire", minutes=30),
        ObjectStateEvent(kind="object_state", at=at(13, 6, 10), place=stove, state="broken"),
        WorldEvent(kind="world_event", at=at(13, 6), place=oven, text="on fire", minutes=30),
        WorldEvent(kind="world_event", at=at(13, 6, 20), place=oven, text="on fire", minutes=30),
    ]
    scenario = ville3.model_copy(update={"events": events})
    scenario._source = ville3.source
    sim = simulate(scenario, town)
    stove, oven = town.resolve(stove), town.resolve(oven)
    sim.run(until=at(13, 6, 31))
    assert sim.objects[stove] == "broken"
    assert sim.objects[oven] == "on fire"  # the second fire burns until 06:50
    sim.run(until=at(13, 6, 51))
    assert sim.objects[oven] == IDLE and sim.objects[stove] == "broken"


def test_a_whisper_and_an_event_at_one_moment_both_reach_the_new_plan(town, ville3) -> None:
    sim = simulate(ville3, town)
    asked: list[str] = []
    sim.llm.recorder.observer = lambda call: asked.append(call.messages[-1]["content"])
    sim.run(until=at(13, 9, 30))  # Isabella is at work at the cafe
    asked.clear()
    sim.whisper("Isabella Rodriguez", "Isabella wants to buy tulips for the party.")
    sim.world_event("Hobbs Cafe:cafe:piano", "on fire")
    sim.run(ticks=3)
    replans = [text for text in asked if "Rewrite the rest of" in text]
    assert len(replans) == 1, replans  # one new plan, with both reasons
    assert "tulips" in replans[0] and "fire" in replans[0]


def test_a_whisper_in_the_night_shapes_the_mornings_plan(town, ville3) -> None:
    sim = simulate(ville3, town)
    asked: list[str] = []
    sim.llm.recorder.observer = lambda call: asked.append(call.messages[-1]["content"])
    sim.whisper("Klaus Mueller", "Klaus wants to visit the fountain in Johnson Park today.")
    sim.run(until=at(13, 9))  # he wakes at 07:00 and plans his day
    plans = [t for t in asked if "plan" in t.lower() and "Klaus" in t and "Today is" in t]
    assert plans and "fountain" in plans[0]
    # Taken into the plan made on waking, not kept to re-plan it again a moment later.
    assert not any("Rewrite the rest" in text and "fountain" in text for text in asked)
    assert not sim.by_name["Klaus Mueller"].mind.pending.replan


def test_a_whisper_becomes_a_memory_and_changes_the_plan(town, ville3) -> None:
    sim = simulate(ville3, town)
    klaus = sim.by_name["Klaus Mueller"]
    whisper = next(e for e in ville3.events if isinstance(e, Whisper))
    sim.run(until=whisper.at)
    texts = [m.text for m in klaus.mind.memory.stream]
    assert whisper.text not in texts
    before = klaus.mind.plan
    sim.step()
    assert whisper.text in [m.text for m in klaus.mind.memory.stream]
    assert klaus.mind.plan != before
    assert any("changed plans" in m.text for m in klaus.mind.memory.stream)


def test_agents_walk_one_tile_per_tick_along_their_paths(town, ville3) -> None:
    sim = simulate(ville3, town)
    last = {a.name: a.state.tile for a in sim.agents}
    walked = 0
    for _ in range(4000):
        record = sim.step()
        for name, tile in record.moved.items():
            before = last[name]
            assert abs(tile[0] - before[0]) + abs(tile[1] - before[1]) == 1
            walked += 1
        last = {a.name: a.state.tile for a in sim.agents}
    assert walked > 100


def test_agents_use_objects_and_release_them(town, ville3) -> None:
    sim = simulate(ville3, town)
    used: dict[str, set[str]] = {}

    class Watch:
        def on_tick(self, sim: Simulation, record: TickRecord) -> None:
            for address, state in record.objects.items():
                used.setdefault(address, set()).add(state)

    sim.observers.append(Watch())
    sim.run(until=at(13, 16))
    assert any(IDLE in states and len(states) > 1 for states in used.values())
    isabella = sim.by_name["Isabella Rodriguez"]
    bed = isabella.mind.bed
    assert "being slept in" in used[bed] and IDLE in used[bed]
