"""Runs llama-cpp-python's server (`python -m llama_cpp.server ARGS`) in this process, and ends
it as soon as the process that started it is gone, however that one ended: a SIGKILL leaves the
parent no chance to stop its server (or remove its log), so the server watches for itself.
Greedy grammar-constrained sampling checks the model's own choice first (town.llm.fast_grammar).

    python -m town.llm.llama_child PARENT_PID LOG_FILE [llama_cpp.server arguments]
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
import threading
import time

# "0" leaves llama-cpp-python's own grammar sampling (for measuring what check-first gains).
CHECK_FIRST_ENV = "TOWN_LLM_CHECK_FIRST"


def _orphaned(log: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(log)  # nobody is left to read it
    os._exit(0)


def _watch(parent: int, log: str) -> None:
    while os.getppid() == parent:  # an orphan is adopted by another process
        time.sleep(0.5)
    _orphaned(log)


def main() -> None:
    parent, log = int(sys.argv[1]), sys.argv[2]
    if os.getppid() != parent:
        _orphaned(log)  # the parent died before we got here
    watch = threading.Thread(target=_watch, args=(parent, log), daemon=True, name="parent-watch")
    watch.start()
    sys.argv = ["llama_cpp.server", *sys.argv[3:]]
    if os.environ.get(CHECK_FIRST_ENV, "1") != "0":
        from town.llm import fast_grammar

        fast_grammar.install()
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
