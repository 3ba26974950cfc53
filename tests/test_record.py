"""Run folders: checkpoints restore the exact state; timelines, exports and bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support import at, simulate
from town.cli import main
from town.llm import ScriptedModel
from town.mind import scripted_rules
from town.record import Recorder, RunError, RunFolder, open_run
from town.record.export import RunData, export


def saved_run(tmp_path: Path, town, scenario, until) -> tuple[RunFolder, object]:
    folder = RunFolder.create(tmp_path / "run", scenario.source, scenario.map_path)
    sim = simulate(scenario, town)
    sim.observers.append(Recorder(folder, sim, {"seed": sim.seed, "backend": "scripted"}))
    sim.run(until=until)
    sim.close()
    return folder, sim


def without_loop_noise(state: dict) -> dict:
    return json.loads(json.dumps(state, sort_keys=True))


def test_a_checkpoint_restores_the_exact_state(tmp_path, town, ville3) -> None:
    folder, sim = saved_run(tmp_path, town, ville3, at(13, 12, 30))
    restored = open_run(folder, ScriptedModel(scripted_rules(), seed=ville3.town.seed))
    assert restored.tick == sim.tick
    assert without_loop_noise(restored.get_state()) == without_loop_noise(sim.get_state())
    # An hourly checkpoint, too: the state before 12:00 ran.
    db = sqlite3.connect(folder.database)
    ticks = [t for (t,) in db.execute("SELECT tick FROM checkpoints ORDER BY tick")]
    assert ticks[:3] == [0, 360, 720] and ticks[-1] == sim.tick


def test_timeline_and_export(tmp_path, town, ville3, capsys) -> None:
    folder, sim = saved_run(tmp_path, town, ville3, at(13, 13))
    assert main(["replay", str(folder.path), "--headless"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2023-02-13 05:00:00  Isabella Rodriguez")
    assert any('says: "' in line for line in lines)
    data = RunData(folder)
    actions = data.actions()
    assert set(actions.agent) == {"Isabella Rodriguez", "Maria Lopez", "Klaus Mueller"}
    memories = data.memories()
    assert len(memories) == sum(len(a.mind.memory.stream) for a in sim.agents)
    talks = data.conversations()
    assert len(talks) > 0 and set(talks.columns) >= {"conversation", "speaker", "text"}
    for fmt in ("jsonl", "csv"):
        files = export(folder, fmt, tmp_path / fmt)
        assert [f.name for f in files] == [
            f"{n}.{fmt}" for n in ("ticks", "memories", "conversations", "model_calls")
        ]
        assert all(f.stat().st_size > 0 for f in files[:3])
    first = json.loads((tmp_path / "jsonl" / "memories.jsonl").read_text().splitlines()[0])
    assert "embedding" not in first and first["agent"] in talks.speaker.tolist() + list(
        actions.agent
    )


@pytest.fixture
def run_folder(tmp_path, town, ville3) -> RunFolder:
    folder, _ = saved_run(tmp_path, town, ville3, at(13, 6))
    return folder


def refuse(args: list[str], capsys, *needles: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, err


def test_a_missing_or_foreign_folder_is_refused(tmp_path, capsys) -> None:
    refuse(["replay", str(tmp_path / "none"), "--headless"], capsys, "no such run folder")
    refuse(["replay", str(tmp_path), "--headless"], capsys, "not a run folder")


def test_a_truncated_run_file_is_refused(run_folder, capsys) -> None:
    raw = run_folder.database.read_bytes()
    run_folder.database.write_bytes(raw[: len(raw) // 3])
    for wal in run_folder.path.glob("run.sqlite-*"):
        wal.unlink()
    refuse(["replay", str(run_folder.path), "--headless"], capsys, "run.sqlite")


def test_a_corrupted_run_file_is_refused(run_folder, capsys) -> None:
    raw = bytearray(run_folder.database.read_bytes())
    raw[:16] = b"this is not db!\x00"
    run_folder.database.write_bytes(bytes(raw))
    refuse(["replay", str(run_folder.path), "--headless"], capsys, "damaged or not a run file")


def test_a_run_file_from_a_newer_schema_is_refused(run_folder, capsys) -> None:
    db = sqlite3.connect(run_folder.database)
    with db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.close()
    refuse(["replay", str(run_folder.path), "--headless"], capsys, "schema 99")
    with pytest.raises(RunError, match="schema 99"):
        RunFolder.open(run_folder.path)


def test_no_pickle_anywhere() -> None:
    from tests.support import ROOT

    for path in [*ROOT.glob("town/**/*.py"), *ROOT.glob("memory/**/*.py")]:
        text = path.read_text()
        assert "import pickle" not in text and "pickle.load" not in text, path
