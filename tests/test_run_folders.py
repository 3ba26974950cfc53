"""Run folders in the hands of users and their machines: one writer at a time, a full disk, a
read-only folder, a damaged or moved run, readers that change nothing, impossible lengths."""

from __future__ import annotations

import contextlib
import hashlib
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, SCENARIOS
from tests.test_resume import committed, contents
from town.cli import main
from town.record import RunFolder
from town.record.reenact import resimulate

VILLE3 = str(SCENARIOS / "the_ville_3.toml")
RUN = ["run", VILLE3, "--headless", "--llm", "scripted"]


def town(*args: str) -> list[str]:
    return [sys.executable, "-m", "town.cli", *args]


def digest(folder: Path) -> dict[str, str]:
    """Every file below the folder, by its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> Path:
    """A finished run of the_ville_3, 05:00-08:00, on the scripted model."""
    folder = tmp_path_factory.mktemp("runs") / "ran"
    assert main([*RUN, "--until", "2023-02-13 08:00", "--save", str(folder)]) == 0
    return folder


def wait_for(condition, process: subprocess.Popen) -> None:
    """Until `condition()` holds, while the process runs (no clock: the machine may be busy)."""
    while not condition():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.05)


# -- one writer ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_being_written_is_refused_to_a_second_writer_and_freed_by_its_death(
    tmp_path, capsys
) -> None:
    folder = tmp_path / "live"
    writer = subprocess.Popen(
        town(*RUN, "--until", "2023-02-15 05:00", "--save", str(folder)),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: committed(folder) > 0, writer)
        for command in (
            ["resume", str(folder), "--headless", "--hours", "1"],
            ["whisper", str(folder), "Klaus Mueller", "Klaus wants tea."],
            ["interview", str(folder), "Klaus Mueller", "Hi?", "--remember", "--llm", "scripted"],
        ):
            assert main(command) == 2, command
            err = capsys.readouterr().err
            assert f"error: {folder} is being written by process {writer.pid}" in err, err
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    kept = committed(folder)
    # The dead writer's lock went with it: the run goes on.
    assert main(["resume", str(folder), "--headless", "--hours", "0.5"]) == 0
    assert committed(folder) == kept + 180
    assert resimulate(RunFolder.open(folder)).identical


# -- a full disk -----------------------------------------------------------------------------


def limited_to(size: int):
    """For a child process: files no larger than `size` bytes, a write past it failing
    (EFBIG, an I/O error to SQLite) rather than raising the signal that would kill it."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def on_a_small_disk(args: list[str], save: Path, size: str) -> subprocess.CompletedProcess[str]:
    """`town ARGS --save DISK/run` on a disk of its own of `size` (a tmpfs, so a real ENOSPC),
    the run folder then moved to `save` as it was left, as onto a roomier disk."""
    disk = save.parent / "disk"
    disk.mkdir()
    script = (
        f'mount -t tmpfs -o size={size} tmpfs "{disk}" && "$@" --save "{disk}/run"; '
        f'status=$?; cp -a "{disk}/run" "{save}"; exit $status'
    )
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *town(*args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def can_mount() -> bool:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind -o ro /tmp /tmp"], capture_output=True
    )
    return probe.returncode == 0


MOUNTS = pytest.mark.skipif(
    not shutil.which("unshare") or not can_mount(), reason="needs unshare -m (mount namespaces)"
)


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["full disk", "I/O error"])
def test_a_disk_that_fails_ends_the_run_with_an_error_and_keeps_a_run_that_resumes_exactly(
    tmp_path, failure
) -> None:
    if failure == "full disk" and not (shutil.which("unshare") and can_mount()):
        pytest.skip("needs unshare -m (mount namespaces) for a small disk")
    until = ["--until", "2023-02-13 09:00"]
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    assert main([*RUN, *until, "--save", str(whole)]) == 0
    if failure == "full disk":
        done = on_a_small_disk([*RUN, *until], broken, "700k")
        said = "the disk is full"
    else:
        size = (whole / "run.sqlite").stat().st_size // 2
        done = subprocess.run(
            town(*RUN, *until, "--save", str(broken)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            preexec_fn=limited_to(size),
        )
        said = "disk I/O error"
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert re.search(rf"error: cannot write \S+run.sqlite: {said}", done.stderr), done.stderr
    assert "town resume" in done.stderr
    kept = committed(broken)
    assert 0 < kept < committed(whole)
    # With room again, it goes on to the end, as if nothing had happened.
    assert main(["resume", str(broken), "--headless"]) == 0
    expected, got = contents(whole), contents(broken)
    for part in expected:
        assert got[part] == expected[part], part
    assert resimulate(RunFolder.open(broken)).identical


# -- a read-only folder ----------------------------------------------------------------------


def read_only(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`town ARGS` with `folder` mounted read-only for it alone (a real EROFS, which even
    root cannot write through)."""
    script = f'mount --bind -o ro "{folder}" "{folder}" && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *town(*args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
@MOUNTS
def test_writing_to_a_read_only_folder_is_an_error_not_a_traceback(ran, tmp_path) -> None:
    shelf = tmp_path / "shelf"
    shutil.copytree(ran, shelf / "ran")
    before = digest(shelf)
    attempts = {
        "resume": ["resume", str(shelf / "ran"), "--headless", "--hours", "1"],
        "report": ["report", str(shelf / "ran"), "--no-interviews"],
        "run": [*RUN, "--hours", "1", "--save", str(shelf / "new")],
        "whisper": ["whisper", str(shelf / "ran"), "Klaus Mueller", "Klaus wants tea."],
        "export": ["export", str(shelf / "ran")],
    }
    for what, args in attempts.items():
        done = read_only(shelf, *args)
        assert done.returncode == 2, (what, done.stderr[-2000:])
        assert "Traceback" not in done.stderr, (what, done.stderr[-2000:])
        assert re.search(r"^error: .*(not writable|Read-only file system)", done.stderr, re.M), (
            what,
            done.stderr[-2000:],
        )
    assert digest(shelf) == before


# -- damaged run files -----------------------------------------------------------------------

LAST = "(SELECT max({key}) FROM {table})"
DAMAGE = {
    "a tick's changes": "UPDATE ticks SET changes = '{\"moved\": ' WHERE tick = "
    + LAST.format(key="tick", table="ticks"),
    "a checkpoint": "UPDATE checkpoints SET state = 'not json' WHERE tick = "
    + LAST.format(key="tick", table="checkpoints"),
    "a model call": "UPDATE model_calls SET call = '[1, 2' WHERE id = "
    + LAST.format(key="id", table="model_calls"),
    "the meta": "UPDATE meta SET value = '{' WHERE key = 'until'",
    "a memory": "UPDATE memory SET evidence = '[' WHERE id = "
    + LAST.format(key="id", table="memory"),
    "no injections table": "DROP TABLE injections",
    "no ticks table": "DROP TABLE ticks",
}
READERS = {
    "resume": ["resume", "{run}", "--headless", "--hours", "1"],
    "resim": ["resim", "{run}"],
    "replay": ["replay", "{run}", "--headless"],
    "export": ["export", "{run}", "--to", "{out}"],
    "report": ["report", "{run}", "--to", "{out}", "--no-interviews"],
    "interview": ["interview", "{run}", "Klaus Mueller", "Hi?", "--llm", "scripted"],
}


@pytest.mark.slow
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_run_file_is_an_error_naming_it(ran, tmp_path, capsys, damage) -> None:
    run = tmp_path / "damaged"
    shutil.copytree(ran, run)
    db = sqlite3.connect(run / "run.sqlite")
    db.execute(DAMAGE[damage])
    db.commit()
    db.close()
    for what, args in READERS.items():
        args = [a.format(run=run, out=tmp_path / f"out-{what}") for a in args]
        try:
            status = main(args)
        except SystemExit as exit:
            status = exit.code
        err = capsys.readouterr().err
        if status == 0:  # (what it did not need to read may be damaged)
            continue
        assert status in (1, 2), (what, status, err)
        assert "Traceback" not in err
        if status == 2:
            assert re.search(rf"^error: {re.escape(str(run))}\S*: ", err, re.M), (what, err)


# -- a moved run -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_opens_wherever_it_is_moved(ran, tmp_path, capsys) -> None:
    moved = tmp_path / "somewhere" / "else" / "entirely"
    shutil.copytree(ran, moved)
    text = (moved / "scenario.toml").read_text()
    [line] = [ln for ln in text.splitlines() if ln.startswith("map =")]
    assert ".." not in line  # the map goes with the run
    assert main(["resim", str(moved)]) == 0
    assert main(["replay", str(moved), "--headless"]) == 0
    assert main(["resume", str(moved), "--headless", "--hours", "0.5"]) == 0
    capsys.readouterr()
    assert resimulate(RunFolder.open(moved)).identical


def test_a_run_keeps_its_own_copy_of_the_map(ran) -> None:
    """The run resumes as it ran, even if the map it came from is edited later."""
    copy = ran / "map"
    assert sorted(p.name for p in copy.iterdir()) == [
        "meta.png",
        "meta.tsx",
        "the_ville.tmx",
        "town.png",
        "town.tsx",
    ]
    assert (copy / "town.png").read_bytes() == (ROOT / "assets/tilesets/town.png").read_bytes()


# -- readers ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_reading_a_run_changes_nothing_in_its_folder(ran, tmp_path, capsys) -> None:
    """Also a run copied while it was being written: its log without the log's index."""
    live = tmp_path / "live"
    shutil.copytree(ran, live)
    writer = sqlite3.connect(live / "run.sqlite", isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE meta SET value = value WHERE key = 'until'")  # a log to copy
    copied = tmp_path / "copied"
    shutil.copytree(live, copied, ignore=shutil.ignore_patterns("*-shm"))
    writer.close()
    assert (copied / "run.sqlite-wal").exists() and not (copied / "run.sqlite-shm").exists()
    for run in (ran, copied):
        before = digest(run)
        for what, args in READERS.items():
            if what == "resume":
                continue
            args = [a.format(run=run, out=tmp_path / f"out-{what}") for a in args]
            assert main(args) == 0, (what, capsys.readouterr().err)
            assert digest(run) == before, what
    capsys.readouterr()


def test_a_reader_looks_again_when_the_writer_closes_as_it_copies(tmp_path, monkeypatch) -> None:
    """A writer that closes between the reader's look and its copy takes its log with it
    (the log is in the database then): the reader looks again instead of failing."""
    folder = tmp_path / "run"
    folder.mkdir()
    writer = sqlite3.connect(folder / "run.sqlite", isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    writer.execute("INSERT INTO meta VALUES ('committed', '41')")
    (folder / "run.sqlite-shm").unlink()  # as a log copied apart from its index
    copyfile = shutil.copyfile
    closed = []

    def closing_copy(src, dst, **kw):
        if str(src).endswith("-wal") and not closed:
            writer.close()  # checkpoints and removes the log
            closed.append(True)
        return copyfile(src, dst, **kw)

    monkeypatch.setattr(shutil, "copyfile", closing_copy)
    db = RunFolder(folder).reader()
    try:
        assert closed and db.execute("SELECT value FROM meta").fetchone() == ("41",)
    finally:
        db.close()
    assert sorted(p.name for p in folder.iterdir()) == ["run.sqlite"]


# -- lengths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", ["inf", "nan", "-inf", "1e300", "0", "-3", "lots"])
def test_impossible_hours_on_the_command_line_are_refused(hours, capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        main([*RUN, "--hours", hours, "--no-save"])
    assert exit.value.code == 2
    assert "argument --hours" in capsys.readouterr().err


@pytest.mark.parametrize("hours", ["inf", "nan", "1e300", "200000"])
def test_impossible_hours_in_a_scenario_are_refused_with_the_line(hours, tmp_path, capsys):
    text = (SCENARIOS / "the_ville_3.toml").read_text()
    text = text.replace('map = "../maps/', f'map = "{(SCENARIOS.parent / "maps").as_posix()}/')
    text = re.sub(r"^\[run\]\n(.*\n)*?(?=\n|\[)", f"[run]\nhours = {hours}\n", text, flags=re.M)
    path = tmp_path / "long.toml"
    path.write_text(text)
    line = text.splitlines().index(f"hours = {hours}") + 1
    assert main([*RUN[:1], str(path), "--headless", "--llm", "scripted", "--no-save"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:{line}: run.hours"), err
    assert "Traceback" not in err


def test_a_resumed_run_counts_its_own_ticks(ran, tmp_path, capsys) -> None:
    run = tmp_path / "more"
    shutil.copytree(ran, run)
    capsys.readouterr()
    assert main(["resume", str(run), "--headless", "--hours", "0.5"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"\((\d[\d,]*) ticks\) in ([\d.]+) s \(([\d,]+) ticks/s\)", out)
    assert found, out
    ticks, seconds, rate = int(found[1].replace(",", "")), float(found[2]), found[3]
    assert ticks == 180  # half an hour of 10-second ticks, not the whole run's
    shown = int(rate.replace(",", ""))  # from a wall time that shows rounded to 0.1 s
    assert ticks / (seconds + 0.05) - 1 <= shown <= ticks / max(seconds - 0.05, 1e-3) + 1
    assert committed(run) == committed(ran) + 180
