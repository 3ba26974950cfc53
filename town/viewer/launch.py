"""Opening the window: on a live simulation (`run_live`) or on a recorded run (`run_replay`).

Both return when the window is closed. A live run's simulation steps in its own thread
while the window is open, and is closed (its run file completed) before `run_live` returns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pygame

from town.sim import Simulation
from town.viewer.app import DEFAULT_SPEED, FPS, Viewer, speed_of
from town.viewer.errors import ViewerError
from town.viewer.replay import Recording, ReplayPlayer
from town.viewer.runner import SimRunner

log = logging.getLogger(__name__)
SWITCH_INTERVAL = 0.002  # seconds a thread may hold the interpreter when another waits


def _open_error(err: pygame.error) -> ViewerError:
    return ViewerError(f"cannot open a window ({err}); set DISPLAY, or run with --headless")


def run_live(
    sim: Simulation,
    *,
    title: str,
    fps: int = FPS,
    size: tuple[int, int] = (1280, 800),
    speed: str = DEFAULT_SPEED,
    paused: bool = False,
    until: dt.datetime | None = None,
    prepare: Callable[[Simulation], None] | None = None,
    screenshots: Path = Path("screenshots"),
) -> None:
    """Open the window on a live simulation and return when it is closed.

    The simulation runs in its own thread from here on (do not touch it until this returns);
    it stops at `until` (the window stays open), and when the window closes it stops after
    the current tick, or at once if that tick waits on the model, and `sim.close()` runs, so
    the observers (the run file's Recorder) finish their work. `prepare(sim)` runs in the
    simulation's thread before the first tick. `speed` is one of 1x 2x 5x 10x max.
    """
    runner = SimRunner(
        sim,
        speed=speed_of(speed, sim.clock.seconds_per_tick),
        paused=paused,
        until=until,
        prepare=prepare,
    )
    viewer = None
    try:
        viewer = Viewer(
            runner,
            sim.scenario,
            sim.town,
            sim.clock,
            title=title,
            size=size,
            fps=fps,
            screenshots=screenshots,
        )
        with frames_first():
            runner.start()
            viewer.run()
    except pygame.error as err:
        if viewer is None:
            raise _open_error(err) from err
        raise
    except KeyboardInterrupt:
        log.info("interrupted: closing the run")
    finally:
        if viewer is not None:
            viewer.farewell()
        runner.stop()
        pygame.display.quit()
    if runner.error is not None and not isinstance(runner.error, KeyboardInterrupt):
        raise RuntimeError("the simulation stopped with an error") from runner.error


def run_replay(
    folder: Path,
    *,
    title: str | None = None,
    fps: int = FPS,
    size: tuple[int, int] = (1280, 800),
    speed: str = DEFAULT_SPEED,
    paused: bool = False,
    screenshots: Path = Path("screenshots"),
) -> None:
    """Open the window on a recorded run (a run folder); no model. Returns when closed."""
    recording = Recording(folder)
    player = ReplayPlayer(
        recording, speed=speed_of(speed, recording.clock.seconds_per_tick), paused=paused
    )
    viewer = None
    try:
        viewer = Viewer(
            player,
            recording.scenario,
            recording.town,
            recording.clock,
            title=title or f"generative-town: replay of {folder.name}",
            size=size,
            fps=fps,
            screenshots=screenshots,
        )
        with frames_first():
            viewer.run()
    except pygame.error as err:
        if viewer is None:
            raise _open_error(err) from err
        raise
    except KeyboardInterrupt:
        pass
    finally:
        recording.close()
        pygame.display.quit()


@contextlib.contextmanager
def frames_first() -> Iterator[None]:
    """While the window is open, its thread gets the interpreter back promptly: a shorter
    switch interval between threads, and everything loaded so far (the town, the model's
    libraries) frozen out of the garbage collector, whose full passes over it would
    otherwise stop the window for a tenth of a second now and then."""
    interval = sys.getswitchinterval()
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.unfreeze()
