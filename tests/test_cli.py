"""`town` on the command line: a headless run with its progress bar, summary and run folder."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from tests.support import ROOT, SCENARIOS
from town.cli import main


def test_help_lists_the_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "town", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    assert "run" in out and "commands" in out


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
    assert "requests (act" in captured.out and f"Saved to {save}" in captured.out
    assert "4680/4680" in captured.err  # the progress bar reached the end
    assert (save / "scenario.toml").read_text() == (SCENARIOS / "the_ville_3.toml").read_text()
    db = sqlite3.connect(save / "run.sqlite")
    meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
    assert meta["schema_version"] == 1 and meta["seed"] == 3 and meta["backend"] == "scripted"
    assert meta["ended"]["tick"] == 4680
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
