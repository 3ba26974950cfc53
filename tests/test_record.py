"""Run folders: checkpoints restore the exact state; timelines, exports and bad input."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.support import at, simulate, talkative_rules
from town.cli import main
from town.llm import ScriptedModel
from town.mind import scripted_rules
from town.record import Recorder, RunError, RunFolder, open_run
from town.record.export import MODEL_CALL_COLUMNS, RunData, export, one_line


def saved_run(tmp_path: Path, town, scenario, until, model=None) -> tuple[RunFolder, object]:
    folder = RunFolder.create(tmp_path / "run", scenario.source, scenario.map_path)
    sim = simulate(scenario, town, model=model)
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
            f"{n}.{fmt}"
            for n in ("ticks", "memories", "conversations", "model_calls", "relationships")
        ]
        assert all(f.stat().st_size > 0 for f in files)
    first = json.loads((tmp_path / "jsonl" / "memories.jsonl").read_text().splitlines()[0])
    assert "embedding" not in first and first["agent"] in talks.speaker.tolist() + list(
        actions.agent
    )


def test_model_calls_have_one_row_per_call_and_no_schema(tmp_path, town, ville3) -> None:
    folder, _ = saved_run(tmp_path, town, ville3, at(13, 9))
    calls = RunData(folder).model_calls()
    assert list(calls.columns) == MODEL_CALL_COLUMNS  # not the flattened JSON schema
    db = sqlite3.connect(folder.database)
    raw = [json.loads(c) for (c,) in db.execute("SELECT call FROM model_calls ORDER BY id")]
    times = dict(db.execute("SELECT tick, time FROM ticks"))
    db.close()
    assert len(calls) == len(raw) > 0
    for row, call in zip(calls.itertuples(), raw, strict=True):
        assert (row.agent, row.purpose, row.answer) == (
            call["agent"],
            call["purpose"],
            call["text"],
        )
        assert all(f"[{m['role']}]\n{m['content']}" in row.messages for m in call["messages"])
        if call["tick"] in times:  # the time of the tick, where the run file keeps it
            assert row.time == times[call["tick"]]
    assert calls.schema_name.notna().any() and calls.prompt_tokens.sum() > 0


def test_relationships_at_every_checkpoint(tmp_path, town, ville3) -> None:
    talkative = ScriptedModel(talkative_rules(), seed=ville3.town.seed)
    folder, sim = saved_run(tmp_path, town, ville3, at(13, 13), talkative)
    views = RunData(folder).relationships()
    assert list(views.columns) == ["tick", "time", "agent", "person", "summary"]
    db = sqlite3.connect(folder.database)
    checkpoints = dict(db.execute("SELECT tick, time FROM checkpoints"))
    db.close()
    assert set(zip(views.tick, views.time, strict=True)) <= set(checkpoints.items())
    # The first talk made them: none at the start, the simulation's own at the end.
    assert views.tick.min() > 0
    last = views[views.tick == max(checkpoints)]
    assert {(r.agent, r.person): r.summary for r in last.itertuples()} == {
        (a.name, person): view for a in sim.agents for person, view in a.mind.relationships.items()
    }
    # A pair known from one checkpoint on is in every later one: their history, hour by hour.
    pair = views.iloc[0]
    since = views[(views.agent == pair.agent) & (views.person == pair.person)].tick.tolist()
    assert since == sorted(t for t in checkpoints if t >= pair.tick) and len(since) > 1
    export(folder, "jsonl", tmp_path / "out")
    lines = (tmp_path / "out" / "relationships.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == views.to_dict("records")


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), text)


def test_csv_files_have_one_line_per_row(tmp_path, town, ville3) -> None:
    folder, _ = saved_run(tmp_path, town, ville3, at(13, 13))
    data = RunData(folder)
    for path in export(folder, "csv", tmp_path / "csv"):
        frame = data.table(path.stem)
        assert path.read_bytes().count(b"\n") == len(frame) + 1, path.name  # `wc -l`
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == len(frame), path.name
    # The prompts have line breaks: written as \n, they read back as they were.
    calls = data.model_calls()
    assert calls.messages.str.contains("\n").all()
    with (tmp_path / "csv" / "model_calls.csv").open(newline="") as f:
        written = [row["messages"] for row in csv.DictReader(f)]
    assert "\\n" in written[0] and [unescape(w) for w in written] == calls.messages.tolist()
    tricky = "a \\n written out, a\nbreak, a\r\nWindows one and a \\"
    escaped = one_line(pd.DataFrame({"text": [tricky], "n": [1]}))
    assert "\n" not in escaped.text[0] and unescape(escaped.text[0]) == tricky


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
