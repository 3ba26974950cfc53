"""Runs on disk: a folder with the scenario and one SQLite run file."""

from town.record.runfile import Recorder, RunFolder

__all__ = ["Recorder", "RunFolder"]
