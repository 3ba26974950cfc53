"""Sanity checks and repairs of what the model plans, does and says (town.mind.sanity): each
bad answer a user saw on the small local model is repaired or rejected, and counted, through
the real stack; a good plan passes untouched; the report's sanity measure reads the run file."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path
from typing import Any

import pytest

from memory import MemoryKind
from tests.support import SCENARIOS, at, simulate, talkative_rules
from town.llm import ScriptedModel
from town.llm.base import Request
from town.mind import decompose, sanity
from town.mind.sanity import Context, minute_of
from town.record import Recorder, RunFolder
from town.record.export import RunData
from town.report.metrics import measure, summary
from town.report.report import write_report
from town.scenario import Scenario, load_scenario
from town.sim import Simulation
from town.world import Town

VILLE3 = load_scenario(SCENARIOS / "the_ville_3.toml")
ISABELLA, MARIA, KLAUS = VILLE3.agents
MONDAY = dt.date(2023, 2, 13)  # the party is on Tuesday, February 14
PLACES = ("Hobbs Cafe", "Johnson Park", "Oak Hill College", "Isabella Rodriguez's apartment")
PARTY = frozenset({"party"})  # what Isabella's memories place on another day, on Monday
# The answers a user saw on the default local model (valid JSON, all of them).
BAD_PLAN = [("06:00", "have lunch at Hobbs Cafe"), ("12:00", "go to bed at 23:00")]
BAD_TASK = "Isabella starts her Valentine's Day party at Hobbs Cafe and,"
BAD_KLAUS = "Klaus is at Dorm for Oak Hill College:Klaus Mueller's room:床"


def ctx(persona: Any = ISABELLA, today: dt.date = MONDAY, elsewhere: frozenset = PARTY) -> Context:
    return Context(today, persona.summary(), elsewhere, PLACES)


def plan_of(persona: Any, entries: list[tuple[str, str]], **kw: Any) -> tuple[list, list]:
    wake, sleep = sanity.waking_span(persona)
    return sanity.repair_schedule(sanity.routine(persona), entries, wake, sleep, ctx(persona), **kw)


def failed(items: list[tuple[str, list[str]]]) -> dict[str, list[str]]:
    return {text: kinds for text, kinds in items if kinds}


def activity_at(spans: list, hhmm: str, wake: int = 6 * 60) -> str:
    minute = minute_of(hhmm, wake)
    return next(a for s, e, a in spans if s <= minute < e)


# -- the routine and day plans -------------------------------------------------------------------


GOOD_PLAN = [
    ("06:00", "wake up and get ready"),
    ("06:30", "have breakfast at home"),
    ("07:30", "open Hobbs Cafe and work at the counter"),
    ("12:00", "have lunch at Hobbs Cafe"),
    ("13:00", "work at Hobbs Cafe"),
    ("16:00", "plan the Valentine's Day party at Hobbs Cafe"),  # getting ready for tomorrow
    ("17:00", "serve customers at Hobbs Cafe"),
    ("20:00", "cook dinner at home"),
    ("21:00", "read a book at home"),
    ("22:30", "get ready for bed"),
    ("23:00", "go to bed"),  # bedtime, said aloud: the end of the day
]


def test_a_good_plan_passes_untouched() -> None:
    spans, items = plan_of(ISABELLA, GOOD_PLAN)
    assert failed(items) == {}
    assert len(items) == len(GOOD_PLAN) - 1  # the bedtime entry is the day's end, not a block
    starts = [minute_of(s, 360) for s, _ in GOOD_PLAN[:-1]]
    assert spans == [
        (s, e, a) for s, e, (_, a) in zip(starts, [*starts[1:], 23 * 60], GOOD_PLAN, strict=False)
    ]


def test_a_day_plan_that_stops_early_leaves_the_rest_of_the_day_as_usual() -> None:
    # Klaus's plan on the default model: "07:00 read in the library", "08:00 work at Oak Hill
    # College", "12:00 have lunch at Hobbs Cafe", and no more. Lunch is no eleven-hour block.
    entries = [("07:00", "get ready"), ("07:30", "have breakfast at home")]
    entries += [("08:00", "work at Oak Hill College"), ("12:00", "have lunch at Hobbs Cafe")]
    spans, items = plan_of(KLAUS, entries)
    assert failed(items) == {}
    assert activity_at(spans, "12:30", wake=7 * 60) == "have lunch at Hobbs Cafe"
    rest = [span for span in spans if span[0] >= 13 * 60]
    assert rest == [b for b in sanity.routine(KLAUS).blocks if b[0] >= 13 * 60]


@pytest.mark.parametrize("persona", [ISABELLA, MARIA, KLAUS], ids=lambda p: p.first_name)
def test_the_routine_given_back_as_a_plan_passes(persona: Any) -> None:
    """A small model often copies the usual day: that is a sensible day (the cafe owner's
    afternoon at work, 13:00-20:00, is no block too long)."""
    routine = sanity.routine(persona)
    entries = [(sanity.clock(a), activity) for a, _, activity in routine.blocks]
    spans, items = plan_of(persona, entries)
    assert failed(items) == {}
    assert spans == list(routine.blocks)


def test_the_routine_comes_from_the_persona() -> None:
    routine = sanity.routine(ISABELLA)  # "opens the cafe at eight and closes it at eight ..."
    assert routine.work == (8 * 60, 20 * 60)
    assert routine.blocks[0] == (6 * 60, 6 * 60 + 30, "get up and get ready for the day")
    assert routine.blocks[-1][1] == 23 * 60
    assert activity_at(list(routine.blocks), "10:00") == "work at Hobbs Cafe"
    assert activity_at(list(routine.blocks), "12:30") == "have lunch"
    assert activity_at(list(routine.blocks), "20:30") == "have dinner at home"
    assert sanity.routine(KLAUS).work == (9 * 60, 17 * 60)  # no hours named: nine to five
    nightly = KLAUS.model_copy(update={"wake": dt.time(9), "sleep": dt.time(1)})
    assert sanity.waking_span(nightly) == (9 * 60, 25 * 60)
    assert sanity.routine(nightly).blocks[-1][1] == 25 * 60  # past midnight, no wrapping
    assert sanity.routine(MARIA.model_copy(update={"workplace": None})).work is None


def test_the_plan_a_user_saw_is_repaired_to_the_routine() -> None:
    """ "06:00-12:00 have lunch at Hobbs Cafe", "12:00-23:00 go to bed at 23:00"."""
    spans, items = plan_of(ISABELLA, BAD_PLAN)
    assert failed(items) == {
        "06:00 have lunch at Hobbs Cafe": ["meal_time"],
        "12:00 go to bed at 23:00": ["bed_early"],
    }
    assert spans == list(sanity.routine(ISABELLA).blocks)
    for span in spans:  # whatever the model said: no meal out of time, no early bed
        assert not ("lunch" in span[2] and span[0] < 11 * 60)
        assert not sanity.BED.match(span[2])


@pytest.mark.parametrize(
    ("entries", "kinds", "then"),
    [
        # forward in time: the entries out of order are dropped (the most that are in order
        # kept); a block longer than six hours is cut, the routine goes on
        (
            [("06:00", "get ready"), ("13:00", "work at Hobbs Cafe"), ("09:00", "sweep")],
            {"09:00 sweep": ["backwards"], "06:00 get ready": ["too_long"]},
            {"09:00": "get ready", "12:30": "have lunch", "13:00": "work at Hobbs Cafe"},
        ),
        # begins on waking (an entry a little later is taken to begin then)
        ([("06:20", "get ready"), ("08:00", "work at Hobbs Cafe")], {}, {"06:00": "get ready"}),
        # ends by bedtime; begins on waking
        (
            [("07:00", "have breakfast at home"), ("23:30", "watch TV")],
            {
                "nothing planned from 06:00 to 07:00": ["late_start"],
                "23:30 watch TV": ["outside_day"],
            },
            {"06:10": "get up and get ready for the day", "22:59": "wind down at home"},
        ),
        # a sensible length: a block of minutes joins the one before
        (
            [("06:00", "get ready"), ("08:00", "work at Hobbs Cafe"), ("08:02", "sweep")],
            {"08:00 work at Hobbs Cafe": ["too_short"]},
            {"08:01": "get ready"},
        ),
        # work at the workplace, not elsewhere
        (
            [("06:00", "get ready"), ("08:00", "work at Johnson Park"), ("12:00", "have lunch")],
            {"08:00 work at Johnson Park": ["work_elsewhere"]},
            {"09:00": "work at Hobbs Cafe"},
        ),
        # the persona's lifestyle pasted back is no block; an address is none either
        (
            [
                ("06:00", "opens the cafe at eight and closes it at eight in the evening"),
                ("07:00", "Hobbs Cafe:cafe:counter"),
            ],
            {
                "06:00 opens the cafe at eight and closes it at eight in the evening": ["persona"],
                "07:00 Hobbs Cafe:cafe:counter": ["address"],
            },
            {"06:10": "get up and get ready for the day"},
        ),
        # the party is tomorrow: holding it today is no block (planning it is)
        (
            [("06:00", "get ready"), ("08:00", "host the Valentine's Day party at Hobbs Cafe")],
            {"08:00 host the Valentine's Day party at Hobbs Cafe": ["other_day"]},
            {"09:00": "work at Hobbs Cafe"},
        ),
    ],
)
def test_each_schedule_check_repairs_and_counts(entries, kinds, then) -> None:
    spans, items = plan_of(ISABELLA, entries)
    assert {k: v for k, v in failed(items).items() if k in kinds} == kinds
    for hhmm, activity in then.items():
        assert activity_at(spans, hhmm) == activity
    assert spans[0][0] == 6 * 60 and spans[-1][1] == 23 * 60
    assert all(b[0] == a[1] for a, b in itertools.pairwise(spans))  # end to end


def test_meals_and_work_the_plan_leaves_out_come_from_the_routine() -> None:
    entries = [("06:00", "get ready"), ("07:00", "paint at home"), ("12:30", "read at home")]
    evening = [("18:00", "watch a movie"), ("21:30", "read in bed")]
    spans, items = plan_of(ISABELLA, [*entries, *evening])
    assert failed(items) == {
        "no breakfast between 06:00 and 09:00": ["missing_meal"],
        "no lunch between 11:00 and 15:00": ["missing_meal"],
        "no dinner between 17:00 and 22:00": ["missing_meal"],
        "at work 0.0 of 11.0 working hours from 08:00 to 20:00": ["missing_work"],
    }
    assert activity_at(spans, "06:45") == "have breakfast at home"
    assert activity_at(spans, "12:30") == "have lunch"
    assert activity_at(spans, "10:00") == "work at Hobbs Cafe"
    assert activity_at(spans, "20:30") == "have dinner at home"


def test_a_replan_keeps_to_the_plan_it_changes_and_to_what_came_up() -> None:
    routine = sanity.routine(ISABELLA)
    old = [(10 * 60, 12 * 60, "serve coffee"), (12 * 60, 13 * 60, "have lunch at Hobbs Cafe")]
    old += [(13 * 60, 23 * 60, "work at Hobbs Cafe")]
    entries = [("10:00", "deal with the fire at Hobbs Cafe"), ("11:00", "go to bed")]
    entries += [("13:30", "have lunch at home"), ("14:30", "work at Hobbs Cafe")]
    entries += [("19:00", "read at home")]
    spans, items = sanity.repair_schedule(
        routine, entries, 10 * 60 + 5, 23 * 60, ctx(), old, replan=True
    )
    assert failed(items) == {
        "11:00 go to bed": ["bed_early"],
        "no dinner between 17:00 and 22:00": ["missing_meal"],
    }
    assert spans[0] == (605, 660, "deal with the fire at Hobbs Cafe")  # now, not 10:00
    assert activity_at(spans, "11:30") == "serve coffee"  # the plan it changes fills in
    assert activity_at(spans, "14:00") == "have lunch at home"
    assert activity_at(spans, "20:30") == "have dinner at home"  # the routine's, left out


def test_a_replan_of_one_entry_changes_the_block_it_falls_in() -> None:
    # Klaus, seeing something at 07:30 on the default model: {"start": "07:30", "activity":
    # "Reading in the library"}, and no more. Not reading until bedtime: until his plan goes on.
    routine = sanity.routine(KLAUS)
    plan = [b for b in routine.blocks if b[1] > 7 * 60 + 30]
    entries = [("07:30", "read in the library")]
    spans, items = sanity.repair_schedule(routine, entries, 450, 23 * 60, ctx(KLAUS), plan, True)
    assert failed(items) == {}
    block = next(b for b in plan if b[0] <= 450 < b[1])
    assert spans[0] == (450, block[1], "read in the library")
    assert spans[1:] == [b for b in plan if b[0] >= block[1]]


# -- tasks and lines -----------------------------------------------------------------------------

OPTIONS = [
    "Dorm for Oak Hill College:Klaus Mueller's room:bed",
    "Dorm for Oak Hill College:kitchen:stove",
    "Oak Hill College:classroom:blackboard",
    "Oak Hill College:library:bookshelves",
    "Oak Hill College:library:reading tables",
    "Hobbs Cafe:kitchen:stove",
]
HOME_AND_WORK = ["Oak Hill College:library", "Dorm for Oak Hill College"]


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("work at Oak Hill College", OPTIONS[3:5] + OPTIONS[2:3]),  # the workplace first
        ("reading in the library", OPTIONS[3:5]),
        ("research at the Oak Hill College library", OPTIONS[3:5]),  # both named: closest
        ("cooking in the kitchen", [OPTIONS[1], OPTIONS[5]]),  # home's first
        ("having lunch at home", []),  # no place named: wherever the task is
        ("going to Hobbs Cafe", OPTIONS[5:]),  # any room of it (its name says no room)
    ],
)
def test_the_places_a_task_names(text, places) -> None:
    assert decompose.named_places(text, OPTIONS, HOME_AND_WORK) == places


@pytest.mark.parametrize(
    ("task", "today", "kinds"),
    [
        (BAD_TASK, MONDAY, ["other_day"]),
        (BAD_TASK, MONDAY + dt.timedelta(days=1), []),  # on the day, it is the party
        (BAD_KLAUS, MONDAY, ["address"]),
        ("invite Klaus to the Valentine's Day party", MONDAY, []),  # getting ready: today's
        ("meet Maria on Friday", MONDAY, ["other_day"]),
        ("bake a cake for February 14", MONDAY, []),
        ("celebrate Valentine's Day at the cafe", MONDAY, ["other_day"]),
        ("reads in the library most of the day", MONDAY, ["persona"]),  # Klaus's lifestyle
        ("wipe the counter, as she does every morning", MONDAY, ["habit"]),
        ("brew coffee for the regulars", MONDAY, []),
    ],
)
def test_tasks_that_are_not_tasks_of_now(task, today, kinds) -> None:
    persona = KLAUS if "library" in task else ISABELLA
    elsewhere = PARTY if today == MONDAY else frozenset()
    assert sanity.task_problems(task, ctx(persona, today, elsewhere)) == kinds


def test_the_events_memories_place_on_another_day(town: Town) -> None:
    sim = simulate(VILLE3, town)
    isabella = sim.by_name["Isabella Rodriguez"].mind
    sim._store_memories()
    assert sanity.context(isabella, MONDAY).elsewhere == {"party"}  # February 14
    assert sanity.context(isabella, dt.date(2023, 2, 14)).elsewhere == frozenset()
    assert sanity.context(sim.by_name["Klaus Mueller"].mind, MONDAY).elsewhere == frozenset()


def test_lines_that_repeat_or_paste_the_persona() -> None:
    said = ["Hi Klaus! How are you today?", "I'm doing well, thanks Isabella. Busy day!"]
    check = ctx()
    assert sanity.line_problems("Hi Klaus!  How are you today?", said, check) == ["repeat"]
    assert sanity.line_problems("Great! Want to come to my party?", said, check) == []
    dump = "Name: Isabella Rodriguez (age 34) Innate traits: friendly, outgoing, hospitable"
    assert sanity.line_problems(dump, said, check) == ["persona"]
    background = "Isabella Rodriguez runs Hobbs Cafe. She loves to make people feel welcome."
    assert sanity.line_problems(background, said, check) == ["persona"]
    # What occupies one these days is something to talk about, in its own words or not.
    news = "I'm planning a Valentine's Day party at Hobbs Cafe and inviting everyone I meet!"
    assert sanity.line_problems(news, said, check) == []


def test_what_the_checks_found_is_plain_data_a_checkpoint_keeps() -> None:
    counts = sanity.Sanity()
    assert not counts.record(1, "act", [("task", "brew coffee", [])])
    assert counts.record(2, "act", [("task", BAD_KLAUS, ["address"]), ("task", "x y", [])])
    state = counts.get_state()
    assert state == {
        "checked": {"task": 3},
        "failed": {"task": 1},
        "repairs": {"task:address": 1},
        "degenerate": {"act": 1},
        "failures": [{"n": 1, "tick": 2, "what": "task", "kinds": ["address"], "text": BAD_KLAUS}],
    }
    assert sanity.Sanity.from_state(state) == counts
    assert sanity.Sanity.from_state(None) == sanity.Sanity()  # a checkpoint older than checks
    for n in range(sanity.KEEP + 5):
        counts.record(3 + n, "act", [("task", f"t{n}", ["habit"])])
    assert len(counts.failures) == sanity.KEEP and counts.failed["task"] == sanity.KEEP + 6


# -- through the real stack ----------------------------------------------------------------------


class BadModel(ScriptedModel):
    """The scripted model, but for the answers a user saw on the small local model: Isabella's
    plan and first task, Klaus's tasks, and a line in every conversation that says the last
    one again (asked again, with a note, it answers as the scripted model does); and it talks
    to whoever it meets, so that the day has conversations whatever the seed."""

    def __init__(self, seed: int) -> None:
        rules = talkative_rules()
        plan, act, converse = rules["plan"], rules["act"], rules["converse"]

        def bad_plan(request: Request, rng: random.Random) -> Any:
            if request.agent == ISABELLA.name and request.schema.__name__.endswith("DayPlanAnswer"):
                return {
                    "summary": ISABELLA.summary()[:300],  # her persona, pasted back
                    "schedule": [{"start": s, "activity": a} for s, a in BAD_PLAN],
                }
            return plan(request, rng)

        misplaced: list[int] = []  # once: Maria reading in the library, in bed

        def bad_act(request: Request, rng: random.Random) -> Any:
            prompt = request.messages[-1]["content"]
            if request.agent == KLAUS.name or "It is 06:00." in prompt:
                text = BAD_KLAUS if request.agent == KLAUS.name else BAD_TASK
                place = request.facts["options"][0]
                task = {"minutes": 15, "description": text, "place": place, "emoji": "🛏"}
                return {"tasks": [task] * (3 if request.agent == KLAUS.name else 1)}
            options = request.facts["options"]
            library = any(":library:" in o for o in options)
            if request.agent == MARIA.name and library and not misplaced:  # not where it says
                misplaced.append(request.tick)
                bed = next(o for o in options if o.endswith(":bed"))
                task = {"minutes": 15, "description": "reading in the library", "place": bed}
                return {"tasks": [{**task, "emoji": "📚"}]}
            return act(request, rng)

        def bad_converse(request: Request, rng: random.Random) -> Any:
            lines = request.facts.get("lines", [])
            if request.schema.__name__ == "SpeakAnswer" and lines and not request.facts["note"]:
                return {"utterance": lines[-1][1], "end": False}
            return converse(request, rng)

        rules.update(plan=bad_plan, act=bad_act, converse=bad_converse)
        super().__init__(rules, seed=seed)


def record(folder: Path, scenario: Scenario, town: Town, model: Any = None) -> Simulation:
    run = RunFolder.create(folder, scenario.source, scenario.map_path)
    sim = simulate(scenario, town, model=model)
    sim.observers.append(Recorder(run, sim, {"seed": sim.seed, "backend": "test"}))
    sim.run()
    sim.close()
    return sim


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory, town: Town) -> tuple[Simulation, Path]:
    folder = tmp_path_factory.mktemp("sanity") / "bad"
    return record(folder, VILLE3, town, BadModel(VILLE3.town.seed)), folder


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, town: Town) -> Path:
    folder = tmp_path_factory.mktemp("sanity") / "good"
    record(folder, VILLE3, town)
    return folder


def test_the_bad_answers_are_repaired_and_counted(bad_run) -> None:
    sim, _ = bad_run
    isabella, klaus = sim.by_name[ISABELLA.name].mind, sim.by_name[KLAUS.name].mind
    plan = isabella.plan
    assert plan is not None and plan.day == MONDAY
    for block in plan.blocks:
        assert not ("lunch" in block.activity and block.start < 11 * 60), block
        assert not (sanity.BED.match(block.activity) and block.start < 22 * 60), block
    assert plan.summary == "Isabella has an ordinary day."
    memories = [m.text for m in isabella.memory.stream.of_kind(MemoryKind.PLAN)]
    assert not any("Innate traits" in m for m in memories)
    assert isabella.sanity.repairs["block:meal_time"] == 1
    assert isabella.sanity.repairs["block:bed_early"] == 1
    assert isabella.sanity.repairs["summary:persona"] == 1
    assert isabella.sanity.repairs["task:other_day"] >= 1
    assert klaus.sanity.repairs["task:address"] >= 3
    assert sim.by_name[MARIA.name].mind.sanity.repairs["task:elsewhere"] == 1
    lines = sum(sim.by_name[n].mind.sanity.repairs.get("line:repeat", 0) for n in sim.by_name)
    assert lines >= 1


def test_what_the_agents_did_after_the_bad_answers(bad_run) -> None:
    _, folder = bad_run
    data = RunData(RunFolder.open(folder))
    ticks = data.ticks()
    actions = ticks[ticks.kind == "action"]
    assert not actions.text.str.contains(":").any()  # no address pasted
    assert not actions.text.str.contains("party").any()  # not on Monday
    isabella = actions[actions.agent == ISABELLA.name]
    assert isabella.text.iloc[1] == "getting up and getting ready for the day"  # after sleeping
    # Klaus's tasks were all garbage: each was done as his plan said, where it said, not in
    # whatever place the garbage named (he stayed in bed "working at Oak Hill College").
    klaus = actions[actions.agent == KLAUS.name]
    named = [(text, place) for text, place in zip(klaus.text, klaus.place, strict=True)]
    named = [(t, p) for t, p in named if "Oak Hill College" in t or "Hobbs Cafe" in t]
    assert named
    for text, place in named:
        sector = place.split(":")[1]
        assert sector in text, (text, place)
    maria = actions[(actions.agent == MARIA.name) & actions.text.str.contains("library")]
    assert len(maria) == 1 and ":library:" in maria.place.iloc[0]  # not in her bed
    objects = ticks[(ticks.kind == "object") & ticks.text.notna()].text
    assert objects.str.startswith(("in use: ", "being slept in", "idle")).all()
    lines = data.conversations()
    assert len(lines) > 0 and not lines.duplicated(["conversation", "text"]).any()


def test_the_sanity_measure_of_a_scripted_run_is_whole(good_run) -> None:
    measures = measure(RunFolder.open(good_run))
    row = summary(measures)
    assert row["sanity_blocks"] == row["sanity_tasks"] == row["sanity_lines"] == 1.0
    assert row["degenerate"] == 0 and measures.sanity_failures.empty
    checked = measures.sanity.set_index("agent")
    assert checked.loc[ISABELLA.name, "block_checked"] > 5
    assert checked.loc[ISABELLA.name, "task_checked"] > 20


def test_the_sanity_measure_of_the_bad_run_lists_them(bad_run, tmp_path) -> None:
    _, folder = bad_run
    measures = measure(RunFolder.open(folder))
    row = summary(measures)
    assert row["sanity_blocks"] < 1 and row["sanity_tasks"] < 1 and row["sanity_lines"] < 1
    assert row["degenerate"] >= 5
    listed = measures.sanity_failures
    texts = set(listed.text)
    assert {"06:00 have lunch at Hobbs Cafe", "12:00 go to bed at 23:00", BAD_TASK} <= texts
    assert BAD_KLAUS in texts and set(listed.what) == {"block", "summary", "task", "line"}
    write_report(measures, tmp_path)
    text = (tmp_path / "index.md").read_text()
    section = text[text.index("## Plan sanity") :]
    assert "| plan blocks |" in section and "06:00 have lunch at Hobbs Cafe" in section
    assert "| act |" in section and "meal_time" in section
    assert (tmp_path / "sanity_failures.csv").exists()


class Asked(ScriptedModel):
    """The scripted model, keeping what it was asked; Maria talks to whoever she meets."""

    def __init__(self, seed: int) -> None:
        super().__init__(talkative_rules("Maria Lopez"), seed=seed)
        self.requests: list[Request] = []

    async def complete(self, request: Request) -> Any:
        self.requests.append(request)
        return await super().complete(request)


def test_what_an_agent_meant_to_talk_about_reaches_its_lines(town: Town) -> None:
    model = Asked(VILLE3.town.seed)
    sim = simulate(VILLE3, town, model=model)
    sim.run(until=at(13, 12))
    spoken = [r for r in model.requests if r.schema and r.schema.__name__ == "SpeakAnswer"]
    meant = [r for r in spoken if r.facts["purpose"]]
    assert meant, "no line was written knowing why its speaker started the conversation"
    for request in meant:  # the scripted model's reason for talking: "to catch up"
        assert "wanted to talk: to catch up" in request.messages[-1]["content"]
    assert any(not r.facts["purpose"] for r in spoken)  # the one talked to had no purpose


def test_checkpoints_keep_the_checks_and_older_ones_load(bad_run, town: Town) -> None:
    sim, _ = bad_run
    mind = sim.by_name[ISABELLA.name].mind
    state = mind.get_state()
    assert state["sanity"] == mind.sanity.get_state() and state["sanity"]["failed"]
    fresh = simulate(VILLE3, town).by_name[ISABELLA.name].mind
    fresh.set_state(state)
    assert fresh.sanity == mind.sanity and fresh.purpose == mind.purpose
    older = {k: v for k, v in state.items() if k not in ("sanity", "purpose")}
    fresh.set_state(older)
    assert fresh.sanity == sanity.Sanity() and fresh.purpose is None
