"""The pygame window: the town live (`run_live`) and recorded runs replayed (`run_replay`).

The only package of the project that imports pygame, and only when a window is wanted: the
entry points load on first use, so `town.viewer.errors` costs nothing to import. The
simulation runs in its own thread (`SimRunner`); the window draws immutable snapshots of it,
so it never waits on the model.
"""

from __future__ import annotations

import os
from typing import Any

# Before pygame is first imported: its greeting would land in the middle of a CLI's output.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

__all__ = ["ViewerError", "run_live", "run_replay"]


def __getattr__(name: str) -> Any:
    if name in ("run_live", "run_replay"):
        from town.viewer import launch

        return getattr(launch, name)
    if name == "ViewerError":
        from town.viewer.errors import ViewerError

        return ViewerError
    raise AttributeError(f"module 'town.viewer' has no attribute {name!r}")
