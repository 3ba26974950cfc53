"""`town` on the command line: a headless run with its progress bar, summary and run folder."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from tests.support import ROOT, SCENARIOS
from town.cli import main
from town.scenario import load_scenario
from town.world import Town, load_town


def test_help_lists_the_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "town", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    assert "run" in out and "commands" in out


def places(town: Town) -> tuple[object, ...]:
    """What a map makes of the town (not where the file was)."""
    return (town.world, town.blocked, town.sector_grid, town.arena_grid, town.object_grid)


def test_a_headless_run_saves_its_ticks(tmp_path, capsys) -> None:
    save = tmp_path / "run1"
    code = main(
        [
            "run",
            str(SCENARIOS / "the_ville_3.toml"),
            "--headless",
            "--llm",
            "scripted",
            "--until",
            "2023-02-13 18:00",
            "--save",
            str(save),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Ran 3 agents from 2023-02-13 05:00 to 2023-02-13 18:00 (4680 ticks)" in captured.out
    assert "Requests by purpose: act" in captured.out and f"Saved to {save}" in captured.out
    requests = int(captured.out.split("Model: ")[1].split(" requests")[0])
    assert "4680/4680" in captured.err  # the progress bar reached the end
    copy, original = (save / "scenario.toml").read_text(), (SCENARIOS / "the_ville_3.toml")
    own = load_scenario(save / "scenario.toml").map_path  # the run's own copy of the map
    assert own.parent == save / "map"
    assert places(load_town(own)) == places(load_town(load_scenario(original).map_path))
    changed = set(copy.splitlines()) ^ set(original.read_text().splitlines())
    assert all(line.startswith("map = ") for line in changed)  # only the map path moved
    db = sqlite3.connect(save / "run.sqlite")
    meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
    assert meta["schema_version"] == 1 and meta["seed"] == 3 and meta["backend"] == "scripted"
    assert meta["ended"]["tick"] == 4680 and meta["embedder"] == "all-MiniLM-L6-v2"
    checkpoints = [t for (t,) in db.execute("SELECT tick FROM checkpoints ORDER BY tick")]
    assert checkpoints == list(range(0, 4681, 360))  # every game hour, and at the end
    memories = db.execute("SELECT count(*), count(DISTINCT agent) FROM memory").fetchone()
    assert memories[0] > 50 and memories[1] == 3
    calls = [json.loads(c) for (c,) in db.execute("SELECT call FROM model_calls")]
    assert len(calls) == requests and {c["purpose"] for c in calls} >= {"plan", "act"}
    assert all(c["messages"] and c["tick"] is not None for c in calls)
    ticks = db.execute("SELECT tick, changes FROM ticks ORDER BY tick").fetchall()
    assert 100 < len(ticks) < 4680  # quiet ticks are not stored
    first = json.loads(ticks[0][1])
    assert set(first["actions"]) == {"Isabella Rodriguez", "Maria Lopez", "Klaus Mueller"}
    assert any(json.loads(c)["moved"] for _, c in ticks)


def test_saving_over_a_run_is_refused(tmp_path, capsys) -> None:
    save = tmp_path / "run"
    args = [
        "run",
        str(SCENARIOS / "the_ville_3.toml"),
        "--headless",
        "--llm",
        "scripted",
        "--hours",
        "1",
        "--save",
        str(save),
    ]
    assert main(args) == 0
    before = (save / "run.sqlite").read_bytes()
    assert main(args) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert (save / "run.sqlite").read_bytes() == before


def test_an_unknown_backend_is_refused(capsys) -> None:
    code = main(["run", str(SCENARIOS / "the_ville_3.toml"), "--llm", "nonsense", "--no-save"])
    assert code == 2
    assert "nonsense" in capsys.readouterr().err


def test_interview_and_whisper_a_saved_run(tmp_path, capsys) -> None:
    save = tmp_path / "run"
    assert (
        main(
            [
                "run",
                str(SCENARIOS / "the_ville_3.toml"),
                "--headless",
                "--llm",
                "scripted",
                "--until",
                "2023-02-13 10:00",
                "--save",
                str(save),
            ]
        )
        == 0
    )
    capsys.readouterr()
    ask = ["interview", str(save), "Isabella Rodriguez", "Are you planning anything special?"]
    assert main([*ask, "--llm", "scripted"]) == 0
    answer = capsys.readouterr().out
    assert answer.startswith("Isabella Rodriguez (2023-02-13 10:00):")
    assert "Valentine's Day party" in answer  # from her memories, restored from the run file
    before = (save / "run.sqlite").stat().st_mtime_ns
    assert main([*ask, "--llm", "scripted", "--remember"]) == 0
    db = sqlite3.connect(save / "run.sqlite")
    kept = db.execute("SELECT text FROM memory WHERE text LIKE 'Someone asked%'").fetchall()
    assert len(kept) == 1 and (save / "run.sqlite").stat().st_mtime_ns >= before
    assert main(["whisper", str(save), "Klaus Mueller", "Klaus should call his mother"]) == 0
    state = json.loads(
        db.execute("SELECT state FROM checkpoints ORDER BY tick DESC LIMIT 1").fetchone()[0]
    )
    klaus = state["agents"]["Klaus Mueller"]["mind"]
    assert "Klaus should call his mother" in klaus["memory"]["unrated"]
    assert any("call his mother" in reason for reason in klaus["pending"]["replan"])
    capsys.readouterr()
    assert main(["interview", str(save), "Nobody Atall", "hi", "--llm", "scripted"]) == 2
    assert "no agent named 'Nobody Atall'" in capsys.readouterr().err


def test_a_folder_that_is_not_a_run_is_refused(tmp_path, capsys) -> None:
    assert main(["whisper", str(tmp_path), "A", "b"]) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert main(["whisper", str(tmp_path / "none"), "A", "b"]) == 2
    assert "no such run folder" in capsys.readouterr().err
