"""Resuming a run: the state of its last committed tick, whatever ended it (even SIGKILL)."""

from __future__ import annotations

from town.record.reenact import Reenactment
from town.record.runfile import RunError, RunFolder
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
