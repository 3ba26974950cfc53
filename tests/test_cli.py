"""`town` on the command line: a headless run with its progress bar, summary and run folder."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.support import ROOT, SCENARIOS
from town.cli import main, seconds_left, time_left
from town.scenario import load_scenario
from town.world import Town, load_town


@pytest.mark.slow  # (seconds: the whole suite has it, not `make check`)
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


@pytest.mark.slow
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
    assert "Answers valid but degenerate, repaired or replaced: 0; sane so far" in captured.out
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


# -- the newcomer's first minutes: the time left, and a run with no display -------------------

THREE = str(SCENARIOS / "the_ville_3.toml")  # starts at 05:00, everyone in bed until 06:00
LEFT = 3 * 16 * 360  # waking agent-ticks to go: three agents, sixteen waking hours of 10 s


def test_the_time_left_is_not_reckoned_from_sleeping_ticks() -> None:
    # A night (two seconds, nothing to do), then ten minutes at the model's pace: one waking
    # agent-tick a second. Counting ticks, 560 in 602 s, said about 2 h for 8,000 more ticks;
    # 17,280 waking agent-ticks at a second each take 4.8 h.
    night = [(t / 10, 0) for t in range(21)]
    day = [(2.0 + t, t) for t in range(1, 601)]
    assert seconds_left(night + day, LEFT) == pytest.approx(LEFT)
    # Nor does a night after the day make it hopeful: its ticks take nothing off the work.
    evening = [(602.0 + t / 10, 600) for t in range(1, 21)]
    assert seconds_left(night + day + evening, LEFT) == pytest.approx(LEFT, rel=0.01)


def test_the_time_left_follows_the_recent_pace() -> None:
    slow = [(2.0 * t, t) for t in range(301)]  # ten minutes at 2 s a waking agent-tick
    fast = [(600 + 0.5 * t, 300 + t) for t in range(1, 1201)]  # then ten at 0.5 s
    assert seconds_left(slow + fast, LEFT) == pytest.approx(0.5 * LEFT)
    assert seconds_left(slow, LEFT, window=60) == pytest.approx(2 * LEFT)


def test_no_time_left_is_guessed_from_the_first_few_decisions() -> None:
    # A run said "about 40 h left" 32 s in, from its first two requests: under a minute of
    # work is no pace. The night before it is not counted in the minute either.
    night = [(t / 10, 0) for t in range(300)]
    first = [(30.0 + t, t) for t in range(1, 40)]
    assert seconds_left(night + first, LEFT) is None
    more = [(30.0 + t, t) for t in range(40, 70)]
    assert seconds_left(night + first + more, LEFT) == pytest.approx(LEFT, rel=0.05)


def test_no_time_left_is_guessed_before_anyone_wakes() -> None:
    asleep = [(t / 10, 0) for t in range(50)]
    assert seconds_left(asleep, LEFT) is None
    assert seconds_left([], LEFT) is None
    assert seconds_left(asleep, 0) == 0.0  # nothing left to do but sleep
    assert time_left(None, asleep=True) == "time left unknown while everyone sleeps"
    assert time_left(None, asleep=False) == "time left: measuring"
    assert time_left(5400, asleep=False) == "about 1 h 30 min left at the recent pace"
    assert time_left(30, asleep=False) == "under a minute left"


def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)


def test_without_a_display_a_run_goes_headless_and_says_so(tmp_path, capsys, monkeypatch):
    no_display(monkeypatch)

    def no_window(*args: object, **kwargs: object) -> None:
        raise AssertionError("a window nobody can see")

    monkeypatch.setattr("town.viewer.launch.run_live", no_window)
    save = tmp_path / "run"
    until = ["--until", "2023-02-13 06:00"]
    assert main(["run", THREE, "--llm", "scripted", *until, "--save", str(save)]) == 0
    err = capsys.readouterr().err
    assert "Running headless (no display): 1 game hour, to Mon 2023-02-13 06:00." in err
    assert f"Ctrl-C stops it with everything saved; go on with: town resume {save}" in err
    assert "360/360" in err and "under a minute left" in err  # the progress bar, all asleep
    assert main(["resume", str(save), "--hours", "2"]) == 0
    err = capsys.readouterr().err
    assert "Running headless (no display): 2 game hours, to Mon 2023-02-13 08:00." in err
    assert f"go on with: town resume {save}" in err and "720/720" in err


def test_without_a_display_a_replay_prints_the_timeline(tmp_path, capsys, monkeypatch):
    save = tmp_path / "run"
    no_display(monkeypatch)
    assert main(["run", THREE, "--llm", "scripted", "--hours", "2", "--save", str(save)]) == 0
    capsys.readouterr()
    monkeypatch.setattr("town.viewer.run_replay", lambda *a, **k: pytest.fail("a window"))
    assert main(["replay", str(save)]) == 0
    out, err = capsys.readouterr()
    assert "No display: the run's timeline as text" in err
    assert out.splitlines()[0].startswith("2023-02-13 ")


@pytest.mark.parametrize("name, value", [("DISPLAY", ":0"), ("SDL_VIDEODRIVER", "dummy")])
def test_a_display_or_a_chosen_video_driver_opens_the_window(capsys, monkeypatch, name, value):
    no_display(monkeypatch)
    monkeypatch.setenv(name, value)
    opened: list[object] = []
    monkeypatch.setattr("town.viewer.launch.run_live", lambda sim, **kw: opened.append(kw["until"]))
    assert main(["run", THREE, "--llm", "scripted", "--hours", "1", "--no-save"]) == 0
    assert opened == [dt.datetime(2023, 2, 13, 6, 0)]
    assert "headless" not in capsys.readouterr().err


@pytest.mark.slow
def test_what_a_newcomer_reads_on_a_server() -> None:
    """`make run` with no display: what loads, that it runs headless, for how long and how to
    stop it, then the progress bar, and nothing else (no unnamed "Loading weights" bar)."""
    gone = ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")
    env = {k: v for k, v in os.environ.items() if k not in gone}
    run = ["run", THREE, "--llm", "scripted", "--hours", "1", "--no-save"]
    done = subprocess.run(
        [sys.executable, "-m", "town", *run],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,  # it takes seconds; a window nobody sees would never end
    )
    assert done.returncode == 0, done.stderr
    lines = [line.strip() for line in done.stderr.replace("\r", "\n").splitlines()]
    lines = [line for line in lines if line]
    assert lines[:3] == [
        "loading the embedding model (all-MiniLM-L6-v2) ...",
        "Model: scripted (seed 3)",
        "Running headless (no display): 1 game hour, to Mon 2023-02-13 06:00. Ctrl-C stops it.",
    ]
    assert all("%|" in line and "/360 [" in line for line in lines[3:]), lines  # the bar only
    assert "Loading weights" not in done.stderr
