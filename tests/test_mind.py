"""The minds, module by module, on the scripted model (deterministic, instant)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from pydantic import ValidationError

from memory import HashingEmbedder, MemoryKind, MemoryStream
from tests.support import at, simulate
from town.config import TownConfig
from town.llm import LanguageModel, Reply, Request, ScriptedModel
from town.mind import scripted_rules
from town.mind.converse import Conversation
from town.mind.memories import AgentMemory
from town.mind.prompts.schemas import task_list
from town.mind.reflect import reflect
from town.mind.relationships import knows_graph
from town.scenario import Scenario
from town.sim import Simulation, TickRecord
from town.world import Event, places


class Recording:
    """The scripted model, keeping every request it was asked."""

    def __init__(self, seed: int = 1) -> None:
        self.inner = ScriptedModel(scripted_rules(), seed=seed)
        self.requests: list[Request] = []

    async def complete(self, request: Request) -> Reply:
        self.requests.append(request)
        return await self.inner.complete(request)

    def of(self, purpose: str, agent: str | None = None) -> list[Request]:
        return [
            r for r in self.requests if r.purpose == purpose and (agent is None or r.agent == agent)
        ]


def configured(scenario: Scenario, **config: object) -> Scenario:
    copy = scenario.model_copy(update={"config": scenario.config.model_copy(update=config)})
    copy._source = scenario.source
    return copy


# -- perceive ----------------------------------------------------------------------------------


def test_perception_keeps_to_the_arena_the_radius_and_the_nearest(town, ville25) -> None:
    sim = simulate(ville25, town, start=at(13, 10))
    me = sim.agents[0]
    me.state.tile = town.use_tiles("Hobbs Cafe:cafe")[0]
    me.arena = town.arena_at(me.state.tile)
    x, y = me.state.tile
    events = [Event(f"P{i}", f"P{i} is reading", (x + i, y), "agent") for i in range(1, 12)]
    seen = sim._nearest(me, events)
    assert [e.subject for e in seen] == [f"P{i}" for i in range(1, 9)]  # 8 nearest, in order
    far = Event("Far", "Far is reading", (x + 9, y), "agent")
    assert sim._nearest(me, [far]) == []  # beyond the vision radius of 8 tiles
    narrow = simulate(configured(ville25, vision_radius=2, attention_bandwidth=3), town)
    assert len(narrow._nearest(me, events)) == 2


def test_something_in_plain_sight_is_perceived_once(town, ville3) -> None:
    sim = simulate(ville3, town)
    mind = sim.agents[0].mind
    coffee = Event("Klaus Mueller", "Klaus Mueller is drinking coffee", (1, 1), "agent")
    cup = Event(
        "the Ville:Hobbs Cafe:cafe:coffee machine", "coffee machine is in use", (1, 2), "object"
    )
    assert mind.perceive([coffee, cup], tick=10) == [coffee, cup]
    assert mind.perceive([coffee, cup], tick=11) == []  # still in view: nothing new
    assert mind.perceive([], tick=12) == []
    assert mind.perceive([coffee], tick=13) == []  # among the last few sightings (retention)
    assert mind.memory.unrated == ["Klaus Mueller is drinking coffee"]
    assert [n.text for n in mind.memory.notes] == ["coffee machine is in use"]  # routine


def test_all_new_sights_are_rated_in_one_request_and_only_once(town, ville3) -> None:
    model = Recording()
    sim = simulate(ville3, town, model=model, start=at(13, 10))
    maria = sim.by_name["Maria Lopez"]
    sights = [Event(f"P{i}", f"Person {i} is juggling", (1, i), "agent") for i in range(3)]
    maria.mind.perceive(sights, sim.tick)
    sim.step()
    rated = model.of("importance", "Maria Lopez")
    assert len(rated) == 1 and rated[0].facts["texts"] == [e.description for e in sights]
    stored = [m for m in maria.mind.memory.stream if "juggling" in m.text]
    assert len(stored) == 3 and all(1 <= m.importance <= 10 for m in stored)
    maria.mind.in_view.clear()
    maria.mind.recent.clear()
    maria.mind.perceive(sights[:1], sim.tick)  # seen again later: rated before, no request
    sim.run(ticks=200)
    assert all("Person 0" not in " ".join(r.facts["texts"]) for r in model.of("importance")[1:])


# -- plan and act ------------------------------------------------------------------------------


def test_the_day_is_planned_on_waking_and_split_lazily_into_short_tasks(town, ville3) -> None:
    model = Recording()
    sim = simulate(ville3, town, model=model)
    klaus = sim.by_name["Klaus Mueller"]
    sim.run(until=at(13, 6, 59))
    assert klaus.mind.plan is None and not model.of("plan", "Klaus Mueller")  # asleep
    sim.run(until=at(13, 7, 1))
    assert len(model.of("plan", "Klaus Mueller")) == 1
    assert klaus.mind.plan is not None and klaus.mind.plan.day == dt.date(2023, 2, 13)
    plans = klaus.mind.memory.stream.of_kind(MemoryKind.PLAN)
    assert any("plan for Monday February 13" in p.text for p in plans)
    sim.run(until=at(13, 12))
    splits = model.of("act", "Klaus Mueller")
    assert 3 <= len(splits) <= 8  # about one request per hour, not one per task
    minutes = [r.facts["minutes"] for r in splits]
    assert max(minutes) <= sim.config.decompose_minutes
    cfg = sim.config
    tasks = klaus.mind.tasks
    for task in tasks:
        length = (task.end - task.start) * sim.clock.seconds_per_tick / 60
        assert length <= cfg.task_minutes_max + 1


@pytest.mark.slow
def test_each_new_day_is_planned_from_yesterday(town, ville3) -> None:
    model = Recording()
    two_days = ville3.model_copy(update={"run": ville3.run.model_copy(update={"hours": 48})})
    two_days._source = ville3.source
    sim = simulate(two_days, town, model=model)
    sim.run()
    plans = model.of("plan", "Maria Lopez")
    days = [(r.facts["date"], r.schema.__name__) for r in plans if "date" in r.facts]
    # Nothing to look back on before the run's first day: the model is not asked.
    assert days == [("2023-02-13", "FirstDayPlanAnswer"), ("2023-02-14", "DayPlanAnswer")]
    assert "what happened yesterday" not in plans[0].messages[-1]["content"]
    second = next(r for r in plans if r.facts.get("date") == "2023-02-14")
    assert second.facts["memories"], "the second day is planned without any memory"
    text = second.messages[-1]["content"]
    assert "remembers that matters today" in text and "(nothing in particular)" not in text


def test_places_are_enums_from_what_the_agent_knows(town, ville3) -> None:
    sim = simulate(ville3, town)
    options = sim.agents[0].mind.known.options()
    assert "Hobbs Cafe:cafe:coffee machine" in options
    assert not any(o.startswith("Dorm for Oak Hill College") for o in options)  # not Isabella's
    schema = task_list(options)
    good = {
        "minutes": 10,
        "description": "brewing coffee",
        "place": options[0],
        "emoji": "☕",
    }
    schema.model_validate({"tasks": [good]})
    with pytest.raises(ValidationError):
        schema.model_validate({"tasks": [{**good, "place": "Hobbs Cafe:cafe:spaceship"}]})
    with pytest.raises(ValidationError):  # the object's state is derived, not the model's
        schema.model_validate({"tasks": [{**good, "object_state": "is has lunch"}]})
    enum = schema.model_json_schema()["$defs"]["Task"]["properties"]["place"]["enum"]
    assert enum == list(options)


# -- react, converse, relationships ------------------------------------------------------------


@pytest.fixture(scope="module")
def social_day(town, ville25):
    model = Recording(seed=ville25.town.seed)
    sim = simulate(ville25, town, model=model)
    talks: list[Conversation] = []

    class Talks:
        def on_tick(self, sim: Simulation, record: TickRecord) -> None:
            talks.extend(record.finished)

    sim.observers.append(Talks())
    sim.run()
    return sim, model, talks


def test_conversations_span_ticks_and_are_remembered(social_day) -> None:
    sim, model, talks = social_day
    assert len(talks) > 20
    for talk in talks:
        ticks = [line.tick for line in talk.lines]
        assert 2 <= len(talk.lines) <= sim.config.conversation_max_turns
        assert ticks == sorted(ticks) and ticks[-1] > ticks[0]  # spans ticks
        by_speaker = Counter((line.tick, line.speaker) for line in talk.lines)
        assert max(by_speaker.values()) == 1  # one utterance per turn
        assert 2 <= len(talk.people) <= sim.config.conversation_max_people
    assert any(len(t.people) > 2 for t in talks), "no group conversation happened"
    talkers = {p for t in talks for p in t.people}
    for name in talkers:
        chats = sim.by_name[name].mind.memory.stream.of_kind(MemoryKind.CHAT)
        assert chats and all(c.text.startswith("Conversation with") for c in chats)
        assert sim.by_name[name].mind.relationships
    assert len(model.of("react")) > 0
    assert all(len(t.people) <= sim.config.conversation_max_people for t in sim.talks.values())


def test_news_passes_from_person_to_person(social_day) -> None:
    sim, _, _ = social_day
    party = "Valentine's Day party at Hobbs Cafe"
    heard = [
        a.name
        for a in sim.agents
        if any(party in m.text for m in a.mind.memory.stream.of_kind(MemoryKind.CHAT))
    ]
    assert len(heard) >= 2, "Isabella's party was never talked about"
    promised = [a.name for a in sim.agents if a.mind.promises_for(dt.date(2023, 2, 14))]
    assert promised, "nobody took up the invitation"


def test_a_pair_does_not_talk_again_before_its_cooldown(social_day) -> None:
    sim, _, talks = social_day
    cooldown = sim.clock.ticks(dt.timedelta(minutes=sim.config.conversation_cooldown_minutes))
    last_end: dict[frozenset[str], int] = {}
    repeats = 0
    for talk in sorted(talks, key=lambda t: t.started):
        pairs = {frozenset((a, b)) for a in talk.people for b in talk.people if a != b}
        for pair in pairs:
            if pair in last_end:
                repeats += 1
                # The pair that opened it must have waited; a joiner meets whoever is there.
                if pair == frozenset(talk.people[:2]):
                    assert talk.started - last_end[pair] >= cooldown
            last_end[pair] = talk.ended or talk.started
    assert repeats > 0


def test_requests_per_agent_day_stay_within_budget(social_day) -> None:
    sim, model, _ = social_day
    per_agent = len(model.requests) / len(sim.agents)
    assert per_agent <= 150
    assert set(Counter(r.purpose for r in model.requests)) >= {
        "plan",
        "act",
        "importance",
        "react",
        "converse",
        "reflect",
    }


def test_the_relationship_graph_has_an_edge_for_each_acquaintance(social_day) -> None:
    sim, _, _ = social_day
    graph = knows_graph(sim.agents)
    assert set(graph.nodes) == {a.name for a in sim.agents}
    for agent in sim.agents:
        for other in agent.mind.memory.acquaintances:
            assert graph.has_edge(agent.name, other)
    isabella = sim.by_name["Isabella Rodriguez"]
    for other, view in isabella.mind.relationships.items():
        assert graph.edges[isabella.name, other]["summary"] == view
    assert 0 < graph.graph["density"] <= 1


# -- reflect -----------------------------------------------------------------------------------


def test_reflection_starts_at_the_threshold_and_cites_its_evidence(social_day) -> None:
    sim, model, _ = social_day
    assert model.of("reflect")
    for agent in sim.agents:
        stream = agent.mind.memory.stream
        for reflection in stream.of_kind(MemoryKind.REFLECTION):
            assert reflection.evidence, reflection.text
            assert all(e in stream for e in reflection.evidence)
            assert all(e < reflection.id for e in reflection.evidence)
    first = model.of("reflect")[0]
    assert len(first.facts["memories"]) <= sim.config.reflection_window


class Fixed:
    async def complete(self, request: Request) -> Reply:
        return await ScriptedModel(scripted_rules()).complete(request)


async def _reflect_on(memory: AgentMemory, model: LanguageModel, sim: Simulation) -> None:
    agent = sim.agents[0]
    await reflect(agent.mind, model, sim._situation(agent))


def test_reflections_may_rest_on_earlier_reflections(town, ville3) -> None:
    import asyncio

    sim = simulate(ville3, town)
    agent = sim.agents[0]
    stream: MemoryStream = agent.mind.memory.stream
    other = "Klaus Mueller"
    first = stream.add(f"{other} is a good friend of Isabella", "observation", 0, 6)
    earlier = stream.add(f"Isabella trusts {other}", "reflection", 0, 7, evidence=[first.id])
    agent.mind.memory.acquaintances.add(other)
    asyncio.run(_reflect_on(agent.mind.memory, Fixed(), sim))
    sim._store_memories()
    new = [r for r in stream.of_kind(MemoryKind.REFLECTION) if r.id != earlier.id]
    assert any(earlier.id in r.evidence for r in new)
    assert agent.mind.memory.since_reflection == sum(r.importance for r in new)


# -- talking to the town -----------------------------------------------------------------------


def test_a_world_event_changes_what_people_nearby_do(town, ville3) -> None:
    sim = simulate(ville3, town)
    isabella = sim.by_name["Isabella Rodriguez"]
    sim.run(until=at(13, 9))
    assert places.split(isabella.state.action.address)[1] == "Hobbs Cafe"
    sim.run(until=at(13, 9, 30))  # she is at the cafe, at work
    before = isabella.state.action
    sim.world_event("Hobbs Cafe:cafe:piano", "on fire")
    sim.run(ticks=3)
    after = isabella.state.action
    assert after != before and "fire" in after.description
    assert any("piano is on fire" in m.text for m in isabella.mind.memory.stream)


def test_a_whisper_changes_where_the_agent_goes_next(town, ville3) -> None:
    sim = simulate(ville3, town)
    sim.run(until=at(13, 10))
    sim.whisper("Klaus Mueller", "Klaus wants to see the fountain at Johnson Park")
    sim.step()
    klaus = sim.by_name["Klaus Mueller"]
    assert places.split(klaus.state.action.address)[1] == "Johnson Park"


def test_interviews_answer_from_memory_and_may_be_remembered(town, ville3) -> None:
    sim = simulate(ville3, town)
    sim.run(until=at(13, 10))
    answer = sim.interview("Isabella Rodriguez", "Are you planning anything special?")
    assert "Valentine's Day party" in answer  # her seed memory, retrieved
    assert not any(m.text.startswith("Someone asked") for m in sim.agents[0].mind.memory.stream)
    sim.interview("Isabella Rodriguez", "What do you think of the new mayor?", remember=True)
    remembered = [m for m in sim.agents[0].mind.memory.stream if m.text.startswith("Someone asked")]
    assert remembered and remembered[0].kind == MemoryKind.CHAT
    with pytest.raises(KeyError, match="no agent named"):
        sim.interview("Nobody", "hello?")


def test_scenario_config_overrides_the_paper_defaults(tmp_path) -> None:
    from tests.support import SCENARIOS
    from town.scenario import load_scenario

    text = (
        (SCENARIOS / "the_ville_3.toml")
        .read_text()
        .replace("[run]", "[config]\nreflection_threshold = 40\nvision_radius = 4\n\n[run]")
    )
    text = text.replace('"../maps/', f'"{SCENARIOS.parent}/maps/')
    path = tmp_path / "s.toml"
    path.write_text(text)
    scenario = load_scenario(path)
    assert scenario.config.reflection_threshold == 40 and scenario.config.vision_radius == 4
    assert scenario.config.retrieve_k == TownConfig().retrieve_k
    assert HashingEmbedder().dim == 384
