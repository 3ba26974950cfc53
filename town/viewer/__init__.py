"""The pygame window: the town live (`run_live`) and recorded runs replayed (`run_replay`).

The only package of the project that imports pygame. The simulation runs in its own thread
(`SimRunner`); the window draws immutable snapshots of it, so it never waits on the model.
"""

from __future__ import annotations

import os

# Before pygame is first imported: its greeting would land in the middle of a CLI's output.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from town.viewer.launch import ViewerError, run_live, run_replay

__all__ = ["ViewerError", "run_live", "run_replay"]
