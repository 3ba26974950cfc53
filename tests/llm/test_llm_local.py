"""The embedded default: bundled model files checked and assembled, and the real llama.cpp
server started, used through the openai client, and always stopped (no orphan processes).

The real-model tests check the shape of answers, never their quality."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from tests.llm.conftest import alive, eventually
from tests.support import ROOT
from town.llm import Reply, Request, messages
from town.llm import models as model_files
from town.llm.check import add_check_command
from town.llm.local import LocalServer, LocalServerError
from town.llm.models import QWEN, SMOLLM2, LocalModel, ModelFileError, model_file
from town.llm.openai_backend import GRAMMAR
from town.llm.select import BackendSpec, open_model


class Errand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: Literal["cafe", "park", "library"]
    why: str = Field(min_length=2, max_length=40)


ERRAND = Request(
    messages(
        "You are Klaus Mueller, a student in a small town.",
        'Where do you go this afternoon, and why? Answer in JSON with "place" (cafe, park or '
        'library) and "why" (a few words).',
    ),
    purpose="act",
    schema=Errand,
    max_tokens=60,
)


@pytest.fixture(scope="module")
def smollm2() -> Path:
    return model_file(SMOLLM2)


def fake_model(folder: Path, chunks: list[bytes], sha256: str | None = None) -> LocalModel:
    parts = []
    for i, chunk in enumerate(chunks):
        part = folder / f"part{i}.bin"
        part.write_bytes(chunk)
        parts.append(str(part))
    return LocalModel(
        alias="fake",
        title="Fake model",
        file="fake.gguf",
        sha256=sha256 or hashlib.sha256(b"".join(chunks)).hexdigest(),
        parts=tuple(parts),
        package="fake-model-package",
    )


# -- model files ------------------------------------------------------------------------------


def test_a_model_is_assembled_once_and_verified_again_only_when_it_changed(
    tmp_path, monkeypatch
) -> None:
    model = fake_model(tmp_path, [b"GGUF", b"-part two", b"-part three"])
    cache = tmp_path / "cache"
    path = model_file(model, cache)
    assert path == cache / "fake.gguf" and path.read_bytes() == b"GGUF-part two-part three"
    assembled = []
    real = model_files._assemble
    monkeypatch.setattr(model_files, "_assemble", lambda *a: assembled.append(a) or real(*a))
    assert model_file(model, cache) == path and assembled == []  # the marker vouches for it
    os.utime(path, ns=(0, 0))  # changed since it was verified
    assert model_file(model, cache) == path and len(assembled) == 1


def test_a_wrong_checksum_is_refused_and_nothing_is_left_behind(tmp_path) -> None:
    model = fake_model(tmp_path, [b"GGUF", b"tampered"], sha256="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ModelFileError) as refused:
        model_file(model, cache)
    actual = hashlib.sha256(b"GGUFtampered").hexdigest()
    message = str(refused.value)
    assert "0" * 64 in message and actual in message and "fake.gguf" in message
    assert "reinstall fake-model-package" in message
    assert list(cache.iterdir()) == []  # no model, no half-written temporary, no marker
    single = fake_model(tmp_path / "cache", [b"not the model"], sha256="1" * 64)
    with pytest.raises(ModelFileError, match=r"part0\.bin has sha256 [0-9a-f]{64}, expected 1"):
        model_file(single, tmp_path / "cache")


def test_a_missing_package_is_named(tmp_path) -> None:
    model = LocalModel("x", "Missing model", "x.gguf", "0" * 64, ("no_such_pkg:a.bin",), "no-pkg")
    with pytest.raises(ModelFileError, match="'no_such_pkg', which is not installed"):
        model_file(model, tmp_path)


# -- the server -------------------------------------------------------------------------------


def ask(model, request: Request) -> Reply:
    return asyncio.run(model.complete(request))


@pytest.mark.slow
def test_qwen_end_to_end_gives_a_schema_valid_answer(tmp_path_factory) -> None:
    cache = tmp_path_factory.mktemp("models")
    with open_model(BackendSpec("local"), cache_dir=cache) as stack:
        assert (cache / QWEN.file).stat().st_size == 491_400_064
        pid = _server_pid(stack)
        reply = ask(stack.model, ERRAND)
        assert stack.backend.modes == [GRAMMAR] and stack.cap is not None
        assert stack.cap.limit == 1  # the server answers one request at a time
    assert isinstance(reply.value, Errand) and not reply.fallback
    assert reply.model == QWEN.alias and reply.prompt_tokens > 20
    assert not alive(pid)


@pytest.mark.slow
def test_smollm2_through_town_llm_check(tmp_path, monkeypatch, capsys) -> None:
    import argparse

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    parser = argparse.ArgumentParser()
    add_check_command(parser.add_subparsers())
    args = parser.parse_args(["llm", "check", "--llm", "local:smollm2"])
    assert args.command(args) == 0
    out = capsys.readouterr().out
    assert "backend: local:smollm2: SmolLM2-135M-Instruct" in out
    assert f"model: {SMOLLM2.alias}" in out
    assert "test answer: '" in out and "structured answers: work: '{" in out
    assert "grammar built from the JSON schema" in out
    assert (tmp_path / "generative-town" / "models" / f"{SMOLLM2.file}.verified").is_file()


@pytest.mark.slow
def test_two_servers_run_side_by_side_and_both_stop(smollm2) -> None:
    with LocalServer(smollm2, alias="a") as one, LocalServer(smollm2, alias="b") as two:
        assert one.port != two.port and one.running and two.running
        pids = [one.pid, two.pid]
    assert not any(alive(pid) for pid in pids if pid)


@pytest.mark.slow
def test_an_error_in_the_run_stops_the_server(smollm2) -> None:
    with pytest.raises(RuntimeError, match="the run broke"), LocalServer(smollm2, alias="a") as s:
        pid = s.pid
        raise RuntimeError("the run broke")
    assert pid and not alive(pid) and not s.running


@pytest.mark.slow
def test_a_server_that_cannot_start_says_why_and_leaves_nothing(tmp_path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"this is no model")
    server = LocalServer(broken, alias="broken", start_timeout=60)
    with pytest.raises(LocalServerError, match="exited with status") as failed:
        server.start()
    assert "broken.gguf" in str(failed.value) and "its log ends" in str(failed.value)
    assert server.pid and not alive(server.pid)


# The parent takes Ctrl-C as in a terminal: started from a background job (`make test &`, as
# a shell or nohup starts it), it would inherit SIGINT ignored, and Python then installs no
# KeyboardInterrupt: the SIGINT case hung, in every such run and only there.
PARENT = """
import signal
import sys
from pathlib import Path
from town.llm.local import LocalServer
signal.signal(signal.SIGINT, signal.default_int_handler)
with LocalServer(Path(sys.argv[1]), alias="parent-test") as server:
    print(server.pid, server.log, flush=True)
    sys.stdin.read()  # until the test ends this process
"""


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_the_server_ends_with_the_process_that_started_it(smollm2, how) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(smollm2)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        text=True,
    )
    try:
        assert parent.stdout is not None
        started = parent.stdout.readline().split()
        assert len(started) == 2, "the parent did not start its server"
        server, log = int(started[0]), Path(started[1])
        assert alive(server) and log.is_file()
        parent.send_signal(how)  # Ctrl-C, a polite kill, a brutal one
        # Bounds for a hang, not for speed.
        try:
            parent.wait(timeout=300)
        except subprocess.TimeoutExpired:  # seen only in loaded fresh-clone runs: say why
            pytest.fail(f"the parent outlived {how!r} by 300 s: {_proc(parent.pid)}")
        assert eventually(lambda: not alive(server), within=120)
        assert not log.exists()  # removed by whichever of the two outlived the other
    finally:
        parent.kill()
        parent.wait()


def _proc(pid: int) -> str:
    """What the kernel says of a process that will not go: its state, where it waits."""
    found = []
    for name in ("status", "wchan", "stack", "syscall"):
        try:
            text = Path(f"/proc/{pid}/{name}").read_text(errors="replace")
        except OSError as err:
            text = f"({err.strerror})"
        if name == "status":
            text = " ".join(line for line in text.splitlines() if line.startswith(("State", "Sig")))
        found.append(f"{name}: {text.strip()}")
    return "; ".join(found)


def _server_pid(stack) -> int:
    """The pid of the server listening at the stack's local endpoint."""
    port = stack.backend.endpoints[0].base_url.rsplit(":", 1)[1].split("/")[0]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"town.llm.llama_child" in command and port.encode() in command:
                return int(entry.name)
    raise AssertionError("no local server process found")
