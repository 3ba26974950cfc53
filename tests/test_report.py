"""Reports: every measure on small recorded runs whose answers are known by construction, the
report and batch commands, tracked facts in scenarios, and the ablation flags."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.support import MAP, SCENARIOS, at, simulate
from town.cli import main
from town.clock import Clock
from town.llm import Counters, Price, Prices, ScriptedModel
from town.llm.base import Request
from town.llm.models import LOCAL_MODELS
from town.llm.select import BackendSpec
from town.llm.stub_server import StubServer
from town.mind import scripted_rules
from town.mind.interview import visible_kinds
from town.record import Recorder, RunFolder
from town.report import attendance, batch, network
from town.report import cli as report_cli
from town.report.asking import JSON_DUMP, OFF_QUESTION, PERSONA, Asker, screen
from town.report.facts import first_known, interview_awareness, interview_shares
from town.report.metrics import measure, summary
from town.report.usage import sessions, usage_by_purpose
from town.scenario import load_scenario

GOOD = (SCENARIOS / "the_ville_3.toml").read_text()
# Isabella (seeded by the_ville_3) and Maria (below) know of the party; Klaus does not. Only
# Maria has the "crush" memory, found by similarity (no keywords) rather than by keywords.
SMALL = GOOD.replace(
    'memories = ["Maria Lopez has a crush on Klaus Mueller."]',
    'memories = ["Maria Lopez has a crush on Klaus Mueller.", '
    '"Maria Lopez heard that Isabella is throwing a party at Hobbs Cafe."]',
) + (
    "\n[[facts]]\n"
    'name = "party"\n'
    'text = "Isabella is throwing a Valentine\'s Day party at Hobbs Cafe."\n'
    'question = "Did you know there is a party?"\n'
    'keywords = ["party"]\n'
    "\n[[facts]]\n"
    'name = "crush"\n'
    'text = "Maria Lopez has a crush on Klaus Mueller."\n'
    "similarity = 0.95\n"
)
END = at(13, 6, 30)  # Isabella is up (06:00) and plans; Klaus (07:00) and Maria (08:00) sleep


def write_scenario(folder: Path, text: str, name: str = "small.toml") -> Path:
    path = folder / name
    path.write_text(text.replace('"../maps/', f'"{SCENARIOS.parent}/maps/'))
    return path


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, town) -> RunFolder:
    root = tmp_path_factory.mktemp("report")
    scenario = load_scenario(write_scenario(root, SMALL))
    folder = RunFolder.create(root / "run", scenario.source, scenario.map_path)
    sim = simulate(scenario, town)
    meta = {"seed": sim.seed, "backend": "scripted", "model": "scripted", "scenario": "small.toml"}
    recorder = Recorder(folder, sim, meta)
    sim.observers.append(recorder)
    sim.run(until=END)
    sim.close()
    return folder


NAMES = ["Isabella Rodriguez", "Maria Lopez", "Klaus Mueller"]


# -- tracked facts -----------------------------------------------------------------------------


def test_two_of_three_hold_the_fact_in_memory(small_run) -> None:
    facts = load_scenario(small_run.scenario).facts
    known = first_known(small_run, facts, NAMES).set_index(["fact", "agent"])
    assert known.loc[("party", "Isabella Rodriguez"), "tick"] == 0
    assert known.loc[("party", "Maria Lopez"), "tick"] == 0
    assert pd.isna(known.loc[("party", "Klaus Mueller"), "tick"])
    # By similarity: Maria's own memory, nobody else's.
    crush = known.xs("crush", level="fact").tick
    assert crush.notna().tolist() == [False, True, False]


def test_measures_of_the_small_run(small_run) -> None:
    m = measure(small_run)
    row = summary(m)
    assert row["party_aware_start"] == pytest.approx(2 / 3)
    assert row["party_aware_end"] == pytest.approx(2 / 3)
    assert row["crush_aware_end"] == pytest.approx(1 / 3)
    # Only Maria's seed memory names anyone (Klaus): one edge of the six possible.
    assert row["density_start"] == pytest.approx(1 / 6)
    assert m.first_graph.has_edge("Maria Lopez", "Klaus Mueller")
    assert row["ticks"] == Clock(at(13, 5), 10).tick_of(END)
    # Isabella planned her day and acted; the others slept through.
    assert set(m.spans.agent) >= {"Isabella Rodriguez"}
    by_purpose = m.usage.set_index("purpose").requests
    assert row["requests"] == by_purpose["all"] == by_purpose.drop("all").sum() > 0
    assert by_purpose["plan"] == 1  # Isabella's day


def test_interviews_judge_who_knows(small_run) -> None:
    scenario = load_scenario(small_run.scenario)
    party = [f for f in scenario.facts if f.name == "party"]
    asker = Asker()
    try:
        model = ScriptedModel(scripted_rules(), seed=3)
        asked = interview_awareness(small_run, model, party, [0], asker)
    finally:
        asker.close()
    assert dict(zip(asked.agent, asked.knows, strict=True)) == {
        "Isabella Rodriguez": True,
        "Maria Lopez": True,
        "Klaus Mueller": False,
    }
    shares = interview_shares(asked)
    assert shares.share.tolist() == [pytest.approx(2 / 3)]


# -- relationships, attendance, usage --------------------------------------------------------


def _state(known: dict[str, list[str]], views: dict[str, dict[str, str]] | None = None) -> dict:
    views = views or {}
    return {
        "agents": {
            name: {
                "mind": {"memory": {"acquaintances": people}, "relationships": views.get(name, {})}
            }
            for name, people in known.items()
        }
    }


def test_density_of_a_known_graph() -> None:
    graph = network.graph_at(_state({"A": ["B"], "B": ["A"], "C": ["A"]}))
    assert graph.number_of_edges() == 3
    assert graph.graph["density"] == pytest.approx(3 / 6)
    # A view from a conversation is an edge too, and carries what was thought.
    graph = network.graph_at(_state({"A": [], "B": [], "C": []}, {"A": {"C": "kind"}}))
    assert graph.graph["density"] == pytest.approx(1 / 6)
    assert graph.edges["A", "C"]["summary"] == "kind"
    states = [
        (0, "2023-02-13 05:00:00", _state({"A": [], "B": []})),
        (360, "2023-02-13 06:00:00", _state({"A": ["B"], "B": ["A"]})),
    ]
    frame, first, last = network.density_over_time(states)
    assert frame.density.tolist() == [0.0, 1.0]
    assert first.number_of_edges() == 0 and last.number_of_edges() == 2


class FakeRun:
    """Recorded moves only: what attendance reads of a run."""

    def __init__(self, moves: list[tuple[int, dict[str, list[int]]]]) -> None:
        self.moves = moves

    def changes(self):
        for tick, moved in self.moves:
            yield tick, "", {"moved": moved}


def test_who_came_to_the_party(town, tmp_path) -> None:
    scenario = load_scenario(write_scenario(tmp_path, SMALL_EVENT))
    fact = scenario.facts[0]
    clock = Clock(at(13, 5), 10)
    first = clock.tick_of(fact.at)
    cafe = town.tiles_of("Hobbs Cafe")[0]
    away = town.tiles_of("Oak Hill College")[0]
    start = {"Isabella Rodriguez": cafe, "Maria Lopez": away, "Klaus Mueller": away, "Eve": away}
    run = FakeRun(
        [
            (first - 5, {"Maria Lopez": list(cafe)}),  # there before it began, stays
            (first + 10, {"Eve": list(cafe)}),  # came, though never invited
            (clock.tick_of(fact.until) + 5, {"Klaus Mueller": list(cafe)}),  # too late
        ]
    )
    known = pd.DataFrame(
        [
            {"fact": "party", "agent": "Isabella Rodriguez", "tick": 0, "memory": ""},
            {"fact": "party", "agent": "Maria Lopez", "tick": 50, "memory": ""},
            {"fact": "party", "agent": "Klaus Mueller", "tick": 60, "memory": ""},
            {"fact": "party", "agent": "Eve", "tick": float("nan"), "memory": ""},
        ]
    )
    came = attendance.attendance(fact, run, town, start, known, clock, end=first + 10_000)
    assert came is not None
    assert came.invited == ["Klaus Mueller", "Maria Lopez"]  # the host apart
    assert came.came == ["Maria Lopez"]
    assert came.others == ["Eve"]
    assert came.summary() == "1 of 2"
    # A run that ended before the party: nobody came.
    gone = attendance.attendance(fact, run, town, start, known, clock, end=first - 1)
    assert gone is not None and gone.came == [] and gone.others == []


SMALL_EVENT = SMALL.replace(
    'keywords = ["party"]\n',
    'keywords = ["party"]\nplace = "Hobbs Cafe"\nat = "2023-02-13 17:00"\n'
    'until = "2023-02-13 19:00"\n',
)


def _old_run_file(tmp_path: Path, recorded: list[tuple[str, dict]]) -> RunFolder:
    """A run folder whose file has only these calls, as one written before the usage table."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(GOOD)
    folder = RunFolder.create(tmp_path / "run", scenario, MAP)
    db = folder.connect()
    with db:
        db.execute("DROP TABLE usage")
        db.executemany(
            "INSERT INTO model_calls (tick, agent, purpose, call) VALUES (0, 'A', ?, ?)",
            [(p, json.dumps({"purpose": p, **c})) for p, c in recorded],
        )
    db.close()
    return folder


def _call(tokens: tuple[int, int], seconds: float, **flags: object) -> dict:
    flags = {"fallback": False, "cached": False, "error": None, **flags}
    return {"model": "gpt-4o-mini", "prompt_tokens": tokens[0], "completion_tokens": tokens[1],
            "seconds": seconds, **flags}  # fmt: skip


def test_usage_of_an_old_run_file_comes_from_its_calls(tmp_path) -> None:
    folder = _old_run_file(
        tmp_path,
        [
            ("plan", _call((1000, 500), 2.0)),
            ("plan", _call((0, 0), 4.0, fallback=True, error="ModelTimeout")),
            ("plan", _call((0, 0), 1.0, error="Rejected")),  # no fallback: it raised
            ("act", _call((0, 0), 0.0, cached=True)),
        ],
    )
    assert sessions(folder) is None  # older than the table, and still read
    used = usage_by_purpose(folder)
    table = used.table.set_index("purpose")
    assert table.loc["plan", "requests"] == 3 and table.loc["act", "requests"] == 1
    assert table.loc["plan", "tokens"] == 1500
    assert table.loc["plan", "fallbacks"] == 1 and table.loc["plan", "errors"] == 1
    assert table.loc["plan", "mean_seconds"] == pytest.approx(7 / 3)
    assert table.loc["act", "cache_hits"] == 1
    # gpt-4o-mini: $0.15 and $0.60 per million tokens in and out (the built-in table).
    assert table.loc["all", "cost"] == pytest.approx((1000 * 0.15 + 500 * 0.60) / 1e6)
    assert table.loc["all", "requests"] == 4
    # What the rows cannot tell is shown as unknown, not as 0, and the caption says why.
    assert table[["retries", "timeouts", "repairs"]].isna().all().all()
    assert "keeps no usage of its own" in used.caption and "built-in prices" in used.caption
    prices = tmp_path / "prices.toml"
    prices.write_text('["gpt-4o-mini"]\ninput = 1.0\noutput = 2.0\n')
    again = usage_by_purpose(folder, prices).table.set_index("purpose")
    assert again.loc["all", "cost"] == pytest.approx((1000 * 1.0 + 500 * 2.0) / 1e6)


def test_an_old_run_resumed_adds_its_earlier_calls_to_what_the_session_counted(tmp_path) -> None:
    old = [("plan", _call((1000, 500), 2.0)), ("act", _call((0, 0), 1.0, fallback=True))]
    folder = _old_run_file(tmp_path, old)
    db = folder.connect()  # as a resume by this version: the table is made, a session kept
    counters = Counters(Prices({"gpt-4o-mini": Price(1.0, 2.0)}))  # the resume's own prices
    counters.count("act", "requests", 2)
    counters.count("act", "retries")
    counters.spend("act", "gpt-4o-mini", 300, 100)  # an answer used
    counters.spend("act", "gpt-4o-mini", 200, 50)  # an answer thrown away
    with db:
        db.execute("INSERT INTO usage VALUES (0, 360, 2, ?)", (json.dumps(counters.to_json()),))
        db.execute(  # the session's own call: counted by its meter, not again from its row
            "INSERT INTO model_calls (tick, agent, purpose, call) VALUES (360, 'A', 'act', ?)",
            (json.dumps({"purpose": "act", **_call((300, 100), 1.0)}),),
        )
    db.close()
    used = usage_by_purpose(folder)
    table = used.table.set_index("purpose")
    assert table.loc["act", "requests"] == 1 + 2 and table.loc["plan", "requests"] == 1
    assert table.loc["all", "tokens"] == 1500 + 650 and table.loc["act", "retries"] == 1
    # The session's tokens at its prices; the earlier calls' at the same (the run's own).
    assert table.loc["all", "cost"] == pytest.approx((500 + 150 * 2 + 1000 + 500 * 2) / 1e6)
    assert "Its first 2 calls were recorded before usage was kept" in used.caption
    assert used.sessions == 1


SUMMARY = re.compile(
    r"Model: (?P<requests>\d+) requests, (?P<tokens>[\d,]+) tokens, \$(?P<cost>[\d.]+), .*?; "
    r"(?P<fallbacks>\d+) fallbacks, (?P<retries>\d+) retries \((?P<timeouts>\d+) timeouts, "
    r"(?P<rate_limits>\d+) rate limits, (?P<server_errors>\d+) server errors, .*?"
    r"(?P<repairs>\d+) repairs"
)


def _summary(out: str) -> dict[str, float]:
    """The model figures of the summary `town run` and `town resume` print."""
    found = SUMMARY.search(out)
    assert found is not None, out
    return {k: float(v.replace(",", "")) for k, v in found.groupdict().items()}


@pytest.mark.slow
def test_the_report_shows_what_a_faulty_run_and_its_resume_paid(tmp_path, capsys) -> None:
    """A run on a server failing 30% of the time, then resumed: the report's usage is the sum
    of what the two sessions' summaries said, at the run's own prices."""
    prices, half = tmp_path / "prices.toml", tmp_path / "half.toml"
    prices.write_text('["stub-model"]\ninput = 100.0\noutput = 400.0\n')
    half.write_text('["stub-model"]\ninput = 50.0\noutput = 200.0\n')
    rates = {"rate_limit": 0.05, "server_error": 0.05, "html_json": 0.05, "html": 0.03,
             "no_choices": 0.02, "invalid_json": 0.05, "empty": 0.03, "hang": 0.02}  # fmt: skip
    first = ["html_json", "rate_limit", "hang", "invalid_json", "no_choices", "server_error"]
    save, out = tmp_path / "run", tmp_path / "report"
    with StubServer(faults=first, rates=rates, seed=5, retry_after="0.01") as stub:
        model = ["--llm", "openai", "--base-url", stub.base_url, "--model", "stub-model"]
        model += ["--prices", str(prices), "--timeout", "2", "--headless"]
        ran = main(["run", str(SCENARIOS / "the_ville_3.toml"), *model,
                    "--until", "2023-02-13 07:00", "--save", str(save)])  # fmt: skip
        one = capsys.readouterr()
        assert ran == 0, one.err
        resumed = main(["resume", str(save), *model, "--until", "2023-02-13 08:30"])
        two = capsys.readouterr()
        assert resumed == 0, two.err
    sessions_said = [_summary(one.out), _summary(two.out)]
    said = {k: sum(s[k] for s in sessions_said) for k in sessions_said[0]}
    assert said["retries"] > 0 and said["repairs"] > 0 and said["cost"] > 0
    assert sum(stub.served[k] for k in ("html_json", "html", "no_choices")) > 0

    assert main(["report", str(save), "--no-interviews", "--to", str(out)]) == 0
    total = pd.read_csv(out / "usage.csv").set_index("purpose").loc["all"]
    for name in ("requests", "tokens", "fallbacks", "retries", "timeouts", "rate_limits",
                 "server_errors", "repairs"):  # fmt: skip
        assert total[name] == said[name], name
    assert total.cost == pytest.approx(said["cost"], abs=1e-4)  # each summary rounds to 1e-4
    text = (out / "index.md").read_text()
    assert "As the run's meter counted it, summed over the 2 sessions that wrote it" in text
    assert "at its own prices (stub-model $100 / $400 per million tokens" in text
    assert f"| all | {int(said['requests']):,} |" in text
    assert f" {int(said['tokens']):,} | {total.cost:.4f} |" in text  # tokens, cost (USD)
    assert json.loads((out / "summary.json").read_text())["cost"] == pytest.approx(total.cost)

    # --prices prices the same tokens again, and the caption says so.
    again_args = ["report", str(save), "--no-interviews", "--to", str(out), "--prices", str(half)]
    assert main(again_args) == 0
    again = pd.read_csv(out / "usage.csv").set_index("purpose").loc["all"]
    assert again.tokens == total.tokens and again.cost == pytest.approx(total.cost / 2)
    text = (out / "index.md").read_text()
    assert f"Cost priced again with {half}" in text
    assert f"in / out) it was ${total.cost:.4f}" in text


# -- the report command ------------------------------------------------------------------------


@pytest.mark.slow  # (seconds: the whole suite has it, not `make check`)
def test_report_command_writes_its_files(small_run, tmp_path, capsys) -> None:
    out = tmp_path / "report"
    code = main(
        [
            "report",
            str(small_run.path),
            "--to",
            str(out),
            "--llm",
            "scripted",
            "--believability",
            "full,no-observation-reflection-planning",
            "--believability-agents",
            "2",
            "--questions",
            "2",
        ]
    )
    assert code == 0, capsys.readouterr().err
    for name in ("graph_start", "graph_end", "density", "spread", "timeline", "usage"):
        png = (out / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5_000, name
    numbers = json.loads((out / "summary.json").read_text())
    assert numbers["party_interview_end"] == pytest.approx(2 / 3)
    assert numbers["party_aware_end"] == pytest.approx(2 / 3)
    assert (
        numbers["believability_full"] > numbers["believability_no-observation-reflection-planning"]
    )
    text = (out / "index.md").read_text()
    assert "| aware of the party (interviews) | 4% → 52% | 67% → 67% |" in text
    assert "0.167 → 0.74" in text and "![What each agent did](timeline.png)" in text
    assert "## Believability" in text
    table = pd.read_csv(out / "believability_table.csv")
    assert table.condition.tolist() == ["full", "no-observation-reflection-planning"]
    assert table.answers.tolist() == [2 * 5 * 2, 2 * 5 * 2]  # agents x categories x questions
    # The run file is measured, not changed: no interview was remembered or recorded.
    db = sqlite3.connect(small_run.database)
    assert db.execute("SELECT COUNT(*) FROM model_calls WHERE purpose = 'judge'").fetchone()[0] == 0
    db.close()


def test_report_without_a_model(small_run, tmp_path) -> None:
    out = tmp_path / "quiet"
    assert main(["report", str(small_run.path), "--to", str(out), "--no-interviews"]) == 0
    numbers = json.loads((out / "summary.json").read_text())
    assert "party_interview_end" not in numbers and numbers["party_aware_end"] > 0.6
    assert not (out / "interviews.csv").exists()


def test_unknown_believability_condition_is_refused(small_run, capsys) -> None:
    args = ["report", str(small_run.path), "--llm", "scripted", "--believability", "nonsense"]
    assert main(args) == 2
    assert "no believability condition nonsense" in capsys.readouterr().err


# -- batch runs --------------------------------------------------------------------------------


def test_seeds() -> None:
    assert batch.parse_seeds("1-4,9") == [1, 2, 3, 4, 9]
    assert batch.parse_seeds("3, 1,3") == [3, 1]
    for bad in ("4-1", "x", "1-"):
        with pytest.raises(ValueError):
            batch.parse_seeds(bad)


def test_batch_gathers_every_run(small_run, tmp_path, monkeypatch) -> None:
    """The gathering, with each 'process' a copy of the recorded run (seed 2 fails)."""
    import shutil

    def fake_run(scenario, seed, out, run_args, env):
        log = out / f"seed-{seed}.log"
        log.write_text("")
        if seed == 2:
            return 1, log
        shutil.copytree(small_run.path, out / f"seed-{seed}")
        return 0, log

    monkeypatch.setattr(batch, "run_seed", fake_run)
    frame = batch.batch_run(Path("x.toml"), [1, 2, 3], jobs=2, out=tmp_path, progress=False)
    assert frame.seed.tolist() == [1, 2, 3]
    assert frame.exit.tolist() == [0, 1, 0]
    assert frame.party_aware_end.iloc[[0, 2]].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert pd.isna(frame.party_aware_end.iloc[1])
    assert len(pd.read_csv(tmp_path / "metrics.csv")) == 3
    series = pd.read_csv(tmp_path / "series.csv")
    assert set(series.seed) == {1, 3} and {"density", "party_aware"} <= set(series.measure)


@pytest.mark.slow
def test_batch_command_runs_processes(tmp_path, capsys) -> None:
    """Through the real parts: two `town run` processes at once, then their measures."""
    scenario = write_scenario(tmp_path, SMALL)
    out = tmp_path / "batch"
    args = [
        "batch",
        str(scenario),
        "--seeds",
        "1-2",
        "--jobs",
        "2",
        "--hours",
        "0.5",
        "--llm",
        "scripted",
        "--out",
        str(out),
    ]
    assert main(args) == 0, capsys.readouterr().err
    frame = pd.read_csv(out / "metrics.csv")
    assert frame.seed.tolist() == [1, 2] and frame.exit.tolist() == [0, 0]
    assert frame.party_aware_start.tolist() == pytest.approx([2 / 3, 2 / 3])
    assert (frame.ticks == 180).all()


# -- scenarios and ablations -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('name = "crush"', 'name = "party"', "facts[1].name: duplicate fact 'party'"),
        (
            'keywords = ["party"]\n',
            'keywords = ["party"]\nplace = "Hobbs Cafe"\n',
            "facts[0].at: an event needs place, at and until",
        ),
        (
            'keywords = ["party"]\n',
            'keywords = ["party"]\nplace = "Hobbs Caff"\n'
            'at = "2023-02-13 17:00"\nuntil = "2023-02-13 19:00"\n',
            "facts[0].place: no place",
        ),
        (
            'keywords = ["party"]\n',
            'keywords = ["party"]\nplace = "Hobbs Cafe"\n'
            'at = "2023-02-13 17:00"\nuntil = "2023-02-13 16:00"\n',
            "facts[0].until",
        ),
        ("similarity = 0.95", "similarity = 2", "facts[1].similarity"),
        ('name = "crush"', 'name = "a crush"', "facts[1].name"),
    ],
)
def test_bad_facts_are_named(tmp_path, capsys, old, new, expected) -> None:
    assert old in SMALL
    scenario = write_scenario(tmp_path, SMALL.replace(old, new, 1), "bad.toml")
    assert main(["run", str(scenario), "--headless", "--llm", "scripted", "--no-save"]) == 2
    err = capsys.readouterr().err
    assert expected in err and "bad.toml:" in err


def test_valentine_scenario(town) -> None:
    scenario = load_scenario(SCENARIOS / "valentine_25.toml")
    assert len(scenario.agents) == 25
    assert (scenario.end - scenario.town.start).total_seconds() == 48 * 3600
    party, candidacy = scenario.facts
    assert (party.name, candidacy.name) == ("party", "candidacy")
    assert party.place == "Hobbs Cafe" and party.at.hour == 17
    seeded = {
        fact.name: [
            a.name for a in scenario.agents if any(fact.mentioned_in(m) for m in a.memories)
        ]
        for fact in scenario.facts
    }
    assert seeded == {"party": ["Isabella Rodriguez"], "candidacy": ["Sam Moore"]}


def test_visible_kinds_under_ablations(ville3) -> None:
    config = ville3.config
    assert visible_kinds(config) == {"observation", "reflection", "plan", "chat"}
    assert visible_kinds(config.model_copy(update={"reflect": False})) == {
        "observation",
        "plan",
        "chat",
    }
    none = config.model_copy(update={"observe": False, "reflect": False, "plan": False})
    assert visible_kinds(none) == set()


def test_ablated_run_plans_reflects_and_observes_nothing(town, ville3) -> None:
    config = ville3.config.model_copy(
        update={"observe": False, "reflect": False, "plan": False, "reflection_threshold": 1}
    )
    scenario = ville3.model_copy(update={"config": config})
    scenario._source = ville3.source
    sim = simulate(scenario, town)
    sim.run(until=at(13, 9))
    purposes = set(sim.meter.by_purpose)
    assert "plan" not in purposes and "reflect" not in purposes
    assert sum(a.mind.observations for a in sim.agents) == 0
    assert all(a.mind.plan is not None and a.mind.plan.summary == "" for a in sim.agents)
    assert "act" in purposes  # they still go about a routine
    sim.close()


def test_interview_ticks() -> None:
    from types import SimpleNamespace

    from town.report.metrics import interview_ticks

    hourly = SimpleNamespace(clock=Clock(at(13, 5), 10))  # 360 ticks an hour
    checkpoints = [0, 360, 720, 1080, 1200]
    assert interview_ticks(checkpoints, hourly, None) == [0, 1200]  # first and last
    assert interview_ticks(checkpoints, hourly, 2) == [0, 720, 1200]
    assert interview_ticks([], hourly, 1) == []


def test_recall_of_visible_kinds_only(town, ville3) -> None:
    sim = simulate(ville3, town)
    memory = sim.by_name["Isabella Rodriguez"].mind.memory
    memory.note("Isabella thinks the party will be lovely.", "reflection", 5)
    memory.note("Isabella plans the party for tomorrow.", "plan", 5)
    sim.step()  # notes are stored at the end of a tick
    kinds = {r.kind for r in memory.recall("party", sim.tick, 8)}
    assert kinds == {"observation", "reflection", "plan"}
    hidden = memory.recall("party", sim.tick, 8, kinds={"observation", "plan"})
    assert {r.kind for r in hidden} == {"observation", "plan"}
    assert memory.recall("party", sim.tick, 8, kinds=set()) == []


# -- judged figures: guarded, beside the memories, and who judged -----------------------------


def _says_yes(request: Request, rng: random.Random) -> dict:
    """A judge that says yes to everything and scores every answer 5: what the embedded model
    nearly did, judging its own agents."""
    return {"knows": "yes"} if "fact" in request.facts else {"reason": "fine", "score": 5}


def _as_a_small_model_answered(request: Request, rng: random.Random) -> str:
    """Interview answers like the embedded model's: on the party, the persona pasted back
    (Isabella), the persona as JSON (Maria), a bear (Klaus); on the crush, words about it from
    all three, though only Maria has a memory of it; Maria's other answers, JSON."""
    first, question = request.facts["first_name"], request.facts["question"]
    if "crush" in question:
        return f"A crush? {first} has no idea whom Maria fancies."
    if first == "Maria":
        return json.dumps({"name": "Maria Lopez", "age": 21, "currently": "heard of a party"})
    if "party" in question and first == "Isabella":
        return "Name: Isabella Rodriguez\nInnate traits: friendly\nBackground: plans a party."
    if "party" in question:
        return "I saw a bear down by the river this morning."
    return f"I'm {first}, and I keep busy."


@pytest.mark.slow
def test_a_judge_that_says_yes_is_guarded_and_checked_against_memories(
    small_run, tmp_path, monkeypatch, capsys
) -> None:
    rules = {**scripted_rules(), "interview": _as_a_small_model_answered, "judge": _says_yes}
    monkeypatch.setattr(report_cli, "scripted_rules", lambda: rules)
    out = tmp_path / "report"
    args = ["report", str(small_run.path), "--to", str(out), "--llm", "scripted"]
    args += ["--believability", "full", "--believability-agents", "3", "--questions", "1"]
    assert main(args) == 0, capsys.readouterr().err
    text = (out / "index.md").read_text()
    numbers = json.loads((out / "summary.json").read_text())

    # The guard: no JSON, pasted persona or bear is put to the judge, so none is a yes.
    asked = pd.read_csv(out / "interviews.csv", keep_default_na=False)
    party = asked[asked.fact == "party"]
    assert dict(zip(party.agent, party.screened, strict=True)) == {
        "Isabella Rodriguez": "persona pasted back",
        "Maria Lopez": "JSON dump",
        "Klaus Mueller": "off the question",
    }
    assert not party.knows.any() and numbers["party_interview_end"] == 0
    assert numbers["party_no_answers"] == len(party) == 6  # three agents, two checkpoints
    assert (
        "No answer, so not put to the judge and counted as not knowing: 6 of 6 answers "
        "(JSON dump: 2, off the question: 2, persona pasted back: 2)." in text
    )

    # Beside the memories: on the crush the judge says all three; memories say Maria only.
    crush = asked[asked.fact == "crush"]
    assert crush.knows.all() and crush[crush.by_memory].agent.unique().tolist() == ["Maria Lopez"]
    judged = pd.read_csv(out / "judged.csv", keep_default_na=False).set_index("fact")
    caution = (
        "the judge says 3 of 3 knew it; their memories say 1 of 3: treat the judged figure "
        "with care"
    )
    assert judged.loc["crush"].caution.tolist() == [caution, caution]
    assert judged.loc["crush"].disagree.all() and judged.loc["party"].disagree.all()
    assert (judged.loc["crush"].memory_agents == "Maria Lopez").all()
    assert f"{caution}.**" in text and numbers["crush_judge_disagrees"] is True
    assert "| aware of the crush (interviews) | — | 100% → 100% (memories disagree" in text
    assert (
        "| 3 of 3: Isabella Rodriguez, Klaus Mueller, Maria Lopez | 1 of 3: Maria Lopez | 0 |"
        in text
    )

    # Believability: Maria's JSON scores the least, unjudged; the scripted judge is no weak one.
    scores = pd.read_csv(out / "believability.csv", keep_default_na=False)
    maria = scores[scores.agent == "Maria Lopez"]
    assert (maria.screened == "JSON dump").all() and (maria.score == 1).all()
    assert (scores[scores.agent != "Maria Lopez"].score == 5).all()
    assert pd.read_csv(out / "believability_table.csv").no_answers.tolist() == [5]
    assert "The interviews were judged by scripted (scripted)." in text
    assert "small local model" not in text and numbers["judge_weak"] is False


def test_the_guard_finds_what_is_no_answer() -> None:
    persona = (
        "Name: Klaus Mueller (age 20)\nInnate traits: kind, inquisitive\nOccupation: student\n"
        "Background: Klaus Mueller is a student at Oak Hill College studying sociology; he is "
        "writing a research paper on gentrification."
    )
    party = ["Did you know there is a party?", "Isabella throws a party at Hobbs Cafe.", "party"]
    klaus = {"persona": persona, "topic": party, "name": "Klaus Mueller"}
    assert screen('{"name": "Klaus Mueller", "age": 20}', **klaus) == JSON_DUMP
    assert screen('```json\n[{"knows": "yes"}]\n```', **klaus) == JSON_DUMP
    assert screen(persona, **klaus) == PERSONA
    # The background alone, word for word and without a label, is pasted too.
    pasted = "Klaus Mueller is a student at Oak Hill College studying sociology; he is writing"
    assert screen(pasted, **klaus) == PERSONA
    assert screen("I saw a bear down by the river this morning.", **klaus) == OFF_QUESTION
    # The speaker's own name is not the topic, though the fact names her.
    isabella = {**klaus, "name": "Isabella Rodriguez"}
    assert screen("I'm Isabella, and I saw a bear.", **isabella) == OFF_QUESTION
    # Real answers go to the judge, right or wrong; 'parties' is on 'party'.
    assert screen("Yes, Isabella is having a party at the cafe.", **klaus) == ""
    assert screen("No, I have not heard of any parties.", **klaus) == ""


@pytest.mark.parametrize(
    ("options", "opened"),
    [
        (["--llm", "local"], ["local"]),  # the run's own small model interviews and judges
        (["--llm", "scripted", "--judge-llm", "local:smollm2"], ["scripted", "local:smollm2"]),
    ],
)
@pytest.mark.slow
def test_a_small_local_judge_is_called_weak(
    small_run, tmp_path, monkeypatch, capsys, options, opened
) -> None:
    """A scripted model stands in for the local server, which these tests never start."""
    kinds = []
    real_open = report_cli.open_model

    def open_model(spec: BackendSpec, **kw):
        kinds.append(spec.kind)
        return real_open(BackendSpec("scripted") if spec.kind in LOCAL_MODELS else spec, **kw)

    monkeypatch.setattr(report_cli, "open_model", open_model)
    out = tmp_path / "report"
    assert main(["report", str(small_run.path), "--to", str(out), *options]) == 0, (
        capsys.readouterr().err
    )
    assert kinds == opened
    text = (out / "index.md").read_text()
    assert f"The interviews were judged by {opened[-1]} (scripted)." in text
    assert "**The judge is a small local model: its verdicts are weak.**" in text
    assert "`town report SAVE --judge-llm openai --judge-model NAME`" in text
    assert json.loads((out / "summary.json").read_text())["judge_weak"] is True


@pytest.mark.slow
def test_another_model_judges_apart_from_the_interviews(small_run, tmp_path, capsys) -> None:
    """Interviews on the scripted model, verdicts over HTTP from a server that says yes: it
    gets every real answer and nothing else, and the report names it."""
    out = tmp_path / "report"
    with StubServer(answer=lambda body: '{"knows": "yes"}', model="judge-model") as stub:
        args = ["report", str(small_run.path), "--to", str(out), "--llm", "scripted"]
        args += ["--judge-llm", "openai", "--judge-base-url", stub.base_url]
        code = main([*args, "--judge-model", "judge-model"])
    err = capsys.readouterr().err
    assert code == 0, err
    asked = pd.read_csv(out / "interviews.csv", keep_default_na=False)
    real = asked[asked.screened == ""]
    assert len(real) and real.knows.all() and not asked[asked.screened != ""].knows.any()
    # The interviews' model got the interviews only (2 facts, 3 agents, 2 checkpoints); the
    # server, each distinct real answer once (the stack caches a repeated one).
    assert len(asked) == 12 and "Interviews: 12 requests," in err
    assert len(stub.received) == len(real.drop_duplicates(["agent", "fact", "answer"]))
    assert all("You judge interviews" in b["messages"][0]["content"] for b in stub.received)
    text = (out / "index.md").read_text()
    assert "The interviews were judged by openai (judge-model)." in text
    assert "small local model" not in text
    # A judge's model or endpoint without its backend is refused.
    refused = ["report", str(small_run.path), "--llm", "scripted", "--judge-model", "x"]
    assert main(refused) == 2
    assert "--judge-model and --judge-base-url go with --judge-llm" in capsys.readouterr().err
