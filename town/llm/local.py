"""The embedded model server: llama-cpp-python's OpenAI-compatible server, started on
127.0.0.1 on a free port for this process only, and always stopped.

It is stopped when its context ends (normally, on an error, on Ctrl-C), at interpreter exit,
and, should this process die without cleaning up (SIGTERM, SIGKILL), by itself: it watches for
its parent (town.llm.llama_child). It runs in its own session, so a Ctrl-C in the terminal
reaches only this process, which stops the run in order and then the server.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from town.llm.errors import BackendError

log = logging.getLogger(__name__)
_RUNNING: set[LocalServer] = set()


class LocalServerError(BackendError):
    """The local model server could not be started."""


THREADS_ENV = "TOWN_LLM_THREADS"


def default_threads() -> int:
    """Threads for the model: one core fewer than there are, up to 8. llama.cpp's threads meet
    at a barrier after every step, so one that loses its core to any other work (the viewer, a
    test run, another machine on the same host) stalls them all. Measured on 2 cores with one
    core kept busy: 2 threads read a prompt at 40 tokens/s and write at 0.3 to 3; 1 thread
    reads at 105 and writes at 21 to 26, as on an idle machine (2 threads idle: 200 and 40).
    TOWN_LLM_THREADS overrides it."""
    wanted = os.environ.get(THREADS_ENV, "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return max(1, min(8, len(os.sched_getaffinity(0)) - 1))


class LocalServer:
    def __init__(
        self,
        model_path: Path,
        *,
        alias: str,
        threads: int | None = None,
        batch_threads: int | None = None,
        context: int = 4096,
        cache_bytes: int = 512 << 20,
        verbose: bool = False,
        start_timeout: float = 120.0,
        grace: float = 5.0,
    ) -> None:
        self.model_path = Path(model_path)
        self.alias = alias
        self.threads = threads or default_threads()  # generating
        self.batch_threads = batch_threads or self.threads  # reading prompts
        self.context = context  # tokens; a plan prompt and its answer need about 1,000
        # The model's state after each request (about 12 KB a token), so that an agent's next
        # request reads only what follows its own unchanging text, whoever asked in between;
        # 512 MiB holds some seventy 600-token states. 0: only the last request's is kept.
        self.cache_bytes = cache_bytes
        self.verbose = verbose  # the server's timings in its log (benchmarks read them)
        self.start_timeout = start_timeout
        self.grace = grace  # seconds between SIGTERM and SIGKILL when stopping
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    def __repr__(self) -> str:
        state = f"pid {self.pid} on port {self.port}" if self.running else "stopped"
        return f"LocalServer({self.model_path.name}, {state})"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def log(self) -> Path | None:
        """The server's log (its stderr) while it runs."""
        return self._log

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalServer:
        """Start the server and wait until it answers; on any failure nothing is left running."""
        if self.process is not None:
            raise RuntimeError("this local server was already started")
        for _ in range(3):  # another process may take the free port before the server binds it
            try:
                self._launch()
                self._wait_until_ready()
                log.info("local model server %s: pid %d, %s", self.alias, self.pid, self.base_url)
                return self
            except _PortTaken:
                self.stop()
                self.process = None
            except BaseException:
                self.stop()
                raise
        raise LocalServerError("the local model server found no free port on 127.0.0.1")

    def _launch(self) -> None:
        self.port = _free_port()
        handle, log_path = tempfile.mkstemp(prefix="town-llama-server-", suffix=".log")
        self._log = Path(log_path)
        command = [
            sys.executable, "-m", "town.llm.llama_child", str(os.getpid()), log_path,
            "--model", str(self.model_path), "--model_alias", self.alias,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(self.context),
            "--n_threads", str(self.threads), "--n_threads_batch", str(self.batch_threads),
            # Logits for the last token only: all of them cost gigabytes at this context size.
            "--logits_all", "False",
            "--use_mlock", "False", "--verbose", str(self.verbose),
        ]  # fmt: skip
        if self.cache_bytes:
            command += ["--cache", "True", "--cache_type", "ram"]
            command += ["--cache_size", str(self.cache_bytes)]
        with os.fdopen(handle, "wb") as stderr:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # its own process group, out of reach of Ctrl-C
            )
        _RUNNING.add(self)

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        while True:
            code = self.process.poll()
            if code is not None:
                tail = self.log_tail()
                if "address already in use" in tail.lower():
                    raise _PortTaken
                raise LocalServerError(
                    f"the local model server ({self.model_path.name}) exited with status {code} "
                    f"while starting; its log ends:\n{tail}"
                )
            if _answers(f"{self.base_url}/models"):
                return
            if time.monotonic() > deadline:
                raise LocalServerError(
                    f"the local model server did not answer within {self.start_timeout:g} s; "
                    f"its log ends:\n{self.log_tail()}"
                )
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(0.1)  # a pause that ends early if the server exits

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self._log.read_text(errors="replace") if self._log else ""
        except OSError:
            return "(no log)"
        return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL after the grace period; reaped."""
        process = self.process
        if process is not None:
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGTERM)
                try:
                    process.wait(self.grace)
                except subprocess.TimeoutExpired:
                    _signal_group(process.pid, signal.SIGKILL)
                    process.wait()
            log.info("local model server %s stopped (pid %d)", self.alias, process.pid)
        _RUNNING.discard(self)
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None


class _PortTaken(Exception):
    pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return False


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()
