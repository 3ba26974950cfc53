"""Resume, fork and re-simulation: a run killed at any moment goes on as if it never stopped;
a fork leaves its source untouched; a re-simulation finds the first difference."""

from __future__ import annotations

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
from town.record import Recorder, RunFolder
from town.record.reenact import resimulate
from town.record.resume import reopen
from town.scenario import load_scenario
from town.sim import Simulation

UNTIL = "2023-02-13 09:00"


def town_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "town.cli", *args]


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
                "json_extract(call, '$.text') FROM model_calls ORDER BY tick, agent, purpose, 4"
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


def record_run(path: Path, town, scenario, until, crash: bool = False) -> Simulation:
    """A recorded in-process run with injections along the way: a whisper, a world event and
    an interview between ticks, as the window makes them. `crash`: stop without closing."""
    folder = RunFolder.create(path, scenario.source, scenario.map_path)
    sim = simulate(scenario, town)
    recorder = Recorder(folder, sim, {"seed": sim.seed, "backend": "scripted"})
    sim.observers.append(recorder)
    sim.llm.recorder.observer = recorder.record_call
    sim.run(until=at(13, 7))
    sim.whisper("Maria Lopez", "Maria wants to paint the park at sunset.")
    sim.world_event("Hobbs Cafe:cafe:customer seating", "covered in flowers", 30)
    sim.interview("Klaus Mueller", "What are you working on?", remember=True)
    sim.interview("Isabella Rodriguez", "How is the cafe?")
    sim.run(until=until)
    if not crash:
        sim.close()
    else:
        recorder.db.close()  # what it had not committed is lost, as in a crash
    return sim


@pytest.mark.parametrize("thinking", [0, 5])
def test_injections_are_replayed_by_resim_and_resume(tmp_path, town, ville3, thinking) -> None:
    if thinking:
        ville3 = load_scenario(thinking_scenario(tmp_path, thinking))
    whole = record_run(tmp_path / "whole", town, ville3, at(13, 9))
    verdict = resimulate(RunFolder(tmp_path / "whole"))
    assert verdict.identical, str(verdict)
    assert verdict.calls > 0 and verdict.ticks == whole.tick
    # A run that stopped dead at 08:25 (no final checkpoint; its open transaction lost) goes
    # on from its last committed tick to the same end.
    record_run(tmp_path / "crashed", town, ville3, at(13, 8, 25), crash=True)
    folder = RunFolder(tmp_path / "crashed")
    last = committed(folder.path)
    sim = reopen(folder)
    assert sim.tick == last + 1 and at(13, 8) <= sim.now <= at(13, 8, 25)
    assert sim.injected == 4
    resumed = simulate(ville3, town)  # its model: the live one the resumed run goes on with
    sim.use_model(resumed.llm)
    recorder = Recorder(folder, sim, {})
    sim.observers.append(recorder)
    sim.llm.recorder.observer = recorder.record_call
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
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("thinking", [0, 5])
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
