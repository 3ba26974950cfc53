"""Runs on disk: a folder with the scenario and one SQLite run file."""

from town.record.recorder import Recorder
from town.record.restore import open_run, restore
from town.record.runfile import RunError, RunFolder

__all__ = ["Recorder", "RunError", "RunFolder", "open_run", "restore"]
