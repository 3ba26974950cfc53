"""Resume, fork and re-simulation: a run killed at any moment goes on as if it never stopped;
a fork leaves its source untouched; a re-simulation finds the first difference."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, SCENARIOS, at, simulate, thinking_scenario
from town.cli import main
from town.llm import ScriptedModel
from town.llm.base import Reply, Request, messages
from town.llm.stack import compose
from town.mind import scripted_rules
from town.mind.prompts.schemas import ReactAnswer
from town.record import Recorder, RunFolder
from town.record.reenact import resimulate
from town.record.resume import go_live, primer, reopen
from town.scenario import load_scenario
from town.sim import Simulation

UNTIL = "2023-02-13 09:00"


def town_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "town.cli", *args]


def ticks_of(folder: Path) -> list[tuple]:
    db = sqlite3.connect(folder / "run.sqlite")
    try:
        return db.execute("SELECT * FROM ticks ORDER BY tick").fetchall()
    finally:
        db.close()


def committed(folder: Path) -> int:
    """The last tick the run file holds (-1 before the first)."""
    try:
        db = RunFolder(folder).reader()
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'committed'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return -1
    return json.loads(row[0]) if row else -1


def contents(folder: Path) -> dict[str, object]:
    """What a run file holds, for comparing two runs (not the wall-clock meta)."""
    db = sqlite3.connect(folder / "run.sqlite")
    try:
        last = db.execute("SELECT max(tick) FROM checkpoints").fetchone()[0]
        return {
            "ticks": db.execute("SELECT * FROM ticks ORDER BY tick").fetchall(),
            "memories": db.execute(
                "SELECT id, agent, text, kind, created, last_access, importance, embedding "
                "FROM memory ORDER BY id"
            ).fetchall(),
            "calls": db.execute(
                "SELECT tick, agent, purpose, json_extract(call, '$.key'), "
                "json_extract(call, '$.text'), json_extract(call, '$.cached'), "
                "json_extract(call, '$.fallback'), json_extract(call, '$.prompt_tokens') "
                "FROM model_calls ORDER BY tick, agent, purpose, 4, 5"
            ).fetchall(),
            "final": json.loads(
                db.execute("SELECT state FROM checkpoints WHERE tick = ?", (last,)).fetchone()[0]
            ),
        }
    finally:
        db.close()


def run_and_kill(command: list[str], folder: Path, rng: random.Random) -> None:
    """Start `command`, let it commit a random number of ticks more, then SIGKILL it."""
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    target = committed(folder) + rng.randint(30, 500)
    while committed(folder) < target and process.poll() is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.005)  # then look at the run file again
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("thinking", [0, 5])
def test_a_run_killed_with_sigkill_resumes_to_the_same_run(tmp_path, thinking) -> None:
    """Also with thinking that takes game time: then decisions on their way when it was
    killed land as they would have."""
    path = thinking_scenario(tmp_path, thinking) if thinking else SCENARIOS / "the_ville_3.toml"
    scenario = str(path)
    run = ["run", scenario, "--headless", "--llm", "scripted", "--until", UNTIL]
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    subprocess.run(town_command(*run, "--save", str(whole)), cwd=ROOT, check=True)
    rng = random.Random(7)
    command = town_command(*run, "--save", str(broken))
    kills = []
    for _ in range(3):
        run_and_kill(command, broken, rng)
        kills.append(committed(broken))
        command = town_command("resume", str(broken), "--headless")
    assert kills == sorted(kills) and kills[0] > 0, kills  # each resumed run got further
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    assert committed(broken) == committed(whole)
    expected, got = contents(whole), contents(broken)
    for part in expected:
        assert got[part] == expected[part], part
    assert resimulate(RunFolder(broken)).identical


def record_run(path: Path, town, scenario, until, crashed: bool = False) -> Simulation:
    """A recorded in-process run with injections along the way: a whisper, a world event and
    an interview between ticks, as the window makes them. `crashed`: stop without closing."""
    folder = RunFolder.create(path, scenario.source, scenario.map_path)
    sim = simulate(scenario, town)
    recorder = Recorder(folder, sim, {"seed": sim.seed, "backend": "scripted"})
    sim.observers.append(recorder)
    sim.run(until=at(13, 7))
    sim.whisper("Maria Lopez", "Maria wants to paint the park at sunset.")
    sim.world_event("Hobbs Cafe:cafe:customer seating", "covered in flowers", 30)
    sim.interview("Klaus Mueller", "What are you working on?", remember=True)
    sim.interview("Isabella Rodriguez", "How is the cafe?")
    sim.run(until=until)
    if not crashed:
        sim.close()
    else:
        crash(recorder)
    return sim


def crash(recorder: Recorder) -> None:
    """Stop writing dead, as a killed process does: what was not committed is lost, and the
    kernel lets go of the writer's lock."""
    recorder.db.close()
    recorder.folder.release()


@pytest.mark.parametrize("thinking", [0, 5])
@pytest.mark.slow
def test_injections_are_replayed_by_resim_and_resume(tmp_path, town, ville3, thinking) -> None:
    if thinking:
        ville3 = load_scenario(thinking_scenario(tmp_path, thinking))
    whole = record_run(tmp_path / "whole", town, ville3, at(13, 9))
    verdict = resimulate(RunFolder(tmp_path / "whole"))
    assert verdict.identical, str(verdict)
    assert verdict.calls > 0 and verdict.ticks == whole.tick
    # A run that stopped dead at 08:25 (no final checkpoint; its open transaction lost) goes
    # on from its last committed tick to the same end.
    record_run(tmp_path / "crashed", town, ville3, at(13, 8, 25), crashed=True)
    folder = RunFolder(tmp_path / "crashed")
    last = committed(folder.path)
    sim = reopen(folder)
    assert sim.tick == last + 1 and at(13, 8) <= sim.now <= at(13, 8, 25)
    assert sim.injected == 4
    resumed = simulate(ville3, town)  # its model: the live one the resumed run goes on with
    go_live(sim, folder, resumed.llm)
    recorder = Recorder(folder, sim, {})
    sim.observers.append(recorder)
    sim.run(until=at(13, 9))
    sim.close()
    expected, got = contents(tmp_path / "whole"), contents(tmp_path / "crashed")
    for part in expected:
        assert got[part] == expected[part], part


def test_resim_reports_the_first_difference(tmp_path, town, ville3, capsys) -> None:
    record_run(tmp_path / "run", town, ville3, at(13, 8))
    db = sqlite3.connect(tmp_path / "run" / "run.sqlite")
    tick, changes = db.execute(
        "SELECT tick, changes FROM ticks WHERE tick > 900 ORDER BY tick LIMIT 1"
    ).fetchone()
    moved = json.loads(changes)
    name = next(iter(moved["moved"]))
    moved["moved"][name] = [0, 0]
    db.execute("UPDATE ticks SET changes = ? WHERE tick = ?", (json.dumps(moved), tick))
    db.commit()
    db.close()
    assert main(["resim", str(tmp_path / "run")]) == 1
    out = capsys.readouterr().out
    assert f"first difference at tick {tick}" in out and f"moved.{name}" in out
    assert "recorded [0, 0]" in out


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("thinking", [0, 5])
@pytest.mark.slow
def test_a_fork_starts_from_the_moment_with_its_overlay(
    tmp_path, town, ville3, capsys, thinking
) -> None:
    if thinking:  # decisions on their way at the fork land in the fork as they would have
        ville3 = load_scenario(thinking_scenario(tmp_path, thinking))
    record_run(tmp_path / "a", town, ville3, at(13, 9))
    before = digest(tmp_path / "a")
    overlay = tmp_path / "overlay.toml"
    overlay.write_text(
        '[[events]]\nkind = "whisper"\nat = "2023-02-13 08:30"\nagent = "Klaus Mueller"\n'
        'text = "Klaus heard that the library closes early today."\n'
    )
    args = ["fork", str(tmp_path / "a"), "--at", "2023-02-13 08:00", "--to", str(tmp_path / "b")]
    assert main([*args, "--overlay", str(overlay)]) == 0
    assert digest(tmp_path / "a") == before  # the source: byte for byte as it was
    b = RunFolder.open(tmp_path / "b")
    assert b.meta()["forked_from"] == str(tmp_path / "a")
    assert committed(tmp_path / "b") == 1079
    # Up to the fork, b is a: the same ticks and memories (last accessed as of then).
    a_rows, b_rows = contents(tmp_path / "a"), contents(tmp_path / "b")
    assert b_rows["ticks"] == [t for t in a_rows["ticks"] if t[0] < 1080]
    a_made = [m[:5] + m[6:] for m in a_rows["memories"] if m[4] < 1080]
    assert [m[:5] + m[6:] for m in b_rows["memories"]] == a_made
    # (A thought on its way at the fork recalls as of when it lands, up to 5 minutes on.)
    assert all(m[5] < 1080 + 30 * bool(thinking) for m in b_rows["memories"])
    assert main(["resume", str(tmp_path / "b"), "--headless", "--hours", "1"]) == 0
    klaus = [
        text
        for (text,) in sqlite3.connect(b.database).execute(
            "SELECT text FROM memory WHERE agent = 'Klaus Mueller' AND created >= 1080"
        )
    ]
    assert "Klaus heard that the library closes early today." in klaus
    assert resimulate(b).identical
    capsys.readouterr()


def test_bad_forks_and_resumes_are_refused(tmp_path, town, ville3, capsys) -> None:
    record_run(tmp_path / "a", town, ville3, at(13, 8))
    overlay = tmp_path / "overlay.toml"
    overlay.write_text(
        '[[events]]\nkind = "whisper"\nat = "2023-02-13 07:30"\nagent = "Nobody"\ntext = "hi"\n'
    )
    fork = ["fork", str(tmp_path / "a"), "--to", str(tmp_path / "b")]
    assert main([*fork, "--at", "2023-02-13 07:45", "--overlay", str(overlay)]) == 2
    err = capsys.readouterr().err
    assert f"{overlay}:4: events[0].agent: no agent named 'Nobody'" in err
    assert f"{overlay}:3: events[0].at" in err and "before the fork" in err
    assert main([*fork, "--at", "2023-02-13 12:00"]) == 2
    assert "outside" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
    assert main(["resume", str(tmp_path / "a"), "--headless"]) == 2
    assert "to go on, give --hours or --until" in capsys.readouterr().err


class SeededCommits(Recorder):
    """A recorder that commits at seeded moments (a real one commits by wall time), so a kill
    after any tick leaves a run file that a seed, not the machine's speed, decides."""

    def __init__(self, *args, rng: random.Random, **kwargs) -> None:
        self.rng = rng
        super().__init__(*args, **kwargs)

    def on_tick(self, sim, record) -> None:
        self.since = float("-inf") if self.rng.random() < 0.3 else float("inf")
        super().on_tick(sim, record)


class Unhurried:
    """The scripted model, each answer taking a number of turns of the event loop that its
    request decides (up to about a game hour's ticks): decisions stay on their way over many
    ticks, as with a real model, with no clock involved."""

    def __init__(self, scenario) -> None:
        self.model = ScriptedModel(scripted_rules(), seed=scenario.town.seed)

    async def complete(self, request: Request) -> Reply:
        for _ in range(int(request.key()[:4], 16) % 300):
            await asyncio.sleep(0)
        return await self.model.complete(request)


def cut_off(sim: Simulation, turns: int, end: int, before=lambda: None) -> bool:
    """Close the window after `turns` more turns of the event loop: what the simulation waits
    on is cancelled then, as the window cancels it. Step until that came (or tick `end`):
    whether it cut a tick off halfway (else the run closes after the tick)."""
    loop = sim._event_loop()
    came: list[bool] = []

    def turn(left: int) -> None:
        if left:
            loop.call_soon(turn, left - 1)
        else:
            came.append(True)
            for task in asyncio.all_tasks(loop):
                task.cancel()

    loop.call_soon(turn, turns)
    while sim.tick < end and not came:
        try:
            before()  # (an interview there waits on the model too)
            sim.step()
        except asyncio.CancelledError:
            return True
    return False


def run_with_kills(
    scenario,
    town,
    folder: Path,
    end: int,
    kills: list[int],
    seed: int,
    wait: bool = True,
    cuts: list[bool] | None = None,
) -> list[list[tuple]]:
    """Run to tick `end`, killed dead after each tick in `kills` and resumed every time; a
    whisper, a world event and an interview at 07:00, made by whichever session is live then.
    What the run file held after each kill. With `cuts`, each stop is no kill but a window
    closed as the next tick waits on the model (the run closes); True where that cut it off."""
    rng = random.Random(seed)
    sim = simulate(scenario, town, model=Unhurried(scenario), wait=wait)
    left = []
    run = RunFolder.create(folder, scenario.source, scenario.map_path)
    injected_at = sim.clock.tick_of(at(13, 7))
    for stop in [*kills, end]:
        recorder = SeededCommits(run, sim, {"seed": sim.seed, "backend": "scripted"}, rng=rng)
        sim.observers.append(recorder)

        def inject(sim: Simulation = sim) -> None:
            if sim.tick != injected_at:
                return
            if sim.injected == 0:
                sim.whisper("Maria Lopez", "Maria wants to paint the park at sunset.")
            if sim.injected == 1:
                sim.world_event("Hobbs Cafe:cafe:customer seating", "covered in flowers", 30)
            if sim.injected == 2:  # (asked again if the window closed as it was answered)
                sim.interview("Klaus Mueller", "What are you working on?", remember=True)

        while sim.tick < stop:
            inject()
            sim.step()
        if stop == end:
            sim.close()
            return left
        if cuts is not None:
            cuts.append(cut_off(sim, rng.randrange(60), end, inject))
            sim.close()
        else:
            sim.observers.remove(recorder)
            crash(recorder)
            sim.close()  # its event loop and the thoughts on their way die with it
        left.append(ticks_of(folder))
        run = RunFolder(folder)
        sim = reopen(run)
        go_live(sim, run, simulate(scenario, town, model=Unhurried(scenario)).llm)


@pytest.mark.slow
@pytest.mark.parametrize(("thinking", "seed"), [(0, 1), (5, 2), (10, 3)])
def test_a_run_killed_at_any_moment_resumes_to_the_same_run(tmp_path, town, thinking, seed):
    """Ten seeded kill moments a run (thirty in all), each after any tick, with commits at
    seeded moments: the run that was killed and resumed again and again holds what the
    uninterrupted one does, call for call, and re-simulates identically."""
    scenario = load_scenario(thinking_scenario(tmp_path, thinking)) if thinking else None
    scenario = scenario or load_scenario(SCENARIOS / "the_ville_3.toml")
    end = simulate(scenario, town).clock.tick_of(at(13, 9))
    rng = random.Random(seed)
    kills = sorted(rng.sample(range(1, end), 10))
    run_with_kills(scenario, town, tmp_path / "whole", end, [], seed)
    run_with_kills(scenario, town, tmp_path / "killed", end, kills, seed)
    expected, got = contents(tmp_path / "whole"), contents(tmp_path / "killed")
    for part in expected:
        assert got[part] == expected[part], (part, kills)
    verdict = resimulate(RunFolder(tmp_path / "killed"))
    assert verdict.identical, (str(verdict), kills)


@pytest.mark.slow
@pytest.mark.parametrize(("thinking", "seed"), [(0, 11), (5, 12)])
def test_a_run_closed_as_a_tick_waits_resumes_to_the_same_run(tmp_path, town, thinking, seed):
    """A window closed while a tick waits on the model cuts the tick off halfway: the run file
    ends with the tick before, and the run, closed so ten times and resumed, holds what the
    uninterrupted one does and re-simulates identically."""
    scenario = load_scenario(thinking_scenario(tmp_path, thinking))
    end = simulate(scenario, town).clock.tick_of(at(13, 9))
    rng = random.Random(seed)
    closes = sorted(rng.sample(range(1, end), 10))
    cuts: list[bool] = []
    run_with_kills(scenario, town, tmp_path / "whole", end, [], seed)
    run_with_kills(scenario, town, tmp_path / "closed", end, closes, seed, cuts=cuts)
    assert sum(cuts) >= 3, cuts  # most closes came as a tick waited
    expected, got = contents(tmp_path / "whole"), contents(tmp_path / "closed")
    for part in expected:
        assert got[part] == expected[part], (part, closes, cuts)
    verdict = resimulate(RunFolder(tmp_path / "closed"))
    assert verdict.identical, (str(verdict), closes, cuts)


def test_a_resumed_run_gets_from_its_cache_what_the_uninterrupted_run_did() -> None:
    """The live model's cache, primed with the recorded calls, is in the state the recorded
    run's cache was in: the same answers, least recently used first; a hit serves the answer
    in its shape."""
    calls: list[dict] = []
    first = compose(ScriptedModel(scripted_rules()), cache_size=3)
    first.recorder.observer = lambda call: calls.append(call.to_json())
    asked = [
        Request(messages(f"question {n}", "?"), "test", ReactAnswer, agent="A")
        for n in (0, 1, 0, 2, 3, 0, 1, 4, 4, 2)
    ]

    async def ask(stack, requests):
        return [await stack.complete(r) for r in requests]

    asyncio.run(ask(first, asked))
    assert sum(c["cached"] for c in calls) == 3  # 0 twice, 4 once: 1 and 2 were pushed out
    second = compose(ScriptedModel(scripted_rules()), cache_size=3)
    second.cache.prime(primer(c) for c in calls)
    assert list(second.cache.answers) == list(first.cache.answers)
    again = [r for r in asked if r.key() in first.cache.answers][:1]
    [reply] = asyncio.run(ask(second, again))
    assert reply.cached and isinstance(reply.value, ReactAnswer)
    assert reply.value == asyncio.run(ask(first, again))[0].value
