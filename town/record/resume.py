"""Resuming a run: the state of its last committed tick, whatever ended it (even SIGKILL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from town.llm.base import Reply
from town.llm.cache import Primer
from town.llm.stack import Stack
from town.record.reenact import Reenactment
from town.record.runfile import RunError, RunFolder, parse_row
from town.sim import Simulation


def reopen(folder: RunFolder) -> Simulation:
    """The run as its last committed tick left it, ready to go on: its latest checkpoint, then
    the ticks committed after it re-enacted on their recorded answers (and checked), then what
    was injected after the last tick. The caller gives it a live model (`use_model`), which
    also answers what thoughts on their way when the run stopped still have to ask."""
    db = folder.reader()
    try:
        act = Reenactment(folder, db, holds=True)
    finally:
        db.close()
    end = act.committed + 1
    found = act.run_to(end)
    if found is not None:
        raise RunError(
            f"{folder.path}: cannot resume: re-enacting the ticks after its last checkpoint "
            f"differs from the record at {found} (recorded by another version?)"
        )
    act.inject(end)
    act.settle()
    return act.sim


def go_live(sim: Simulation, folder: RunFolder, model: Stack) -> None:
    """Go on with `model` from here, its cache holding what the recorded run's held by now, so
    that it answers from the cache what the uninterrupted run would have."""
    if model.cache is not None:
        model.cache.prime(recorded_answers(folder))
    sim.use_model(model)


def recorded_answers(folder: RunFolder) -> Iterator[Primer]:
    """Every recorded call, in the order the agents got their answers, for a cache."""
    db = folder.reader()
    try:
        for n, call in db.execute("SELECT id, call FROM model_calls ORDER BY id"):
            yield primer(parse_row(call, f"model_calls, id {n}"))
    finally:
        db.close()


def primer(call: dict[str, Any]) -> Primer:
    """A recorded call (ModelCall's JSON) as what a cache is primed with."""
    reply = Reply(
        call["text"],
        None,
        call["prompt_tokens"],
        call["completion_tokens"],
        fallback=call["fallback"],
        model=call["model"],
    )
    return call["key"], reply, call["value"], call["cached"]
