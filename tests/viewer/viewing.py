"""Helpers for the viewer's tests: windows on scripted runs, real pygame events, pixels."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pygame

from town.llm.base import LanguageModel, Reply, Request
from town.record import Recorder, RunFolder
from town.sim import Simulation
from town.viewer.app import Viewer
from town.viewer.runner import SimRunner


def viewer_on(runner: SimRunner, size: tuple[int, int] = (1280, 800)) -> Viewer:
    sim = runner.sim
    return Viewer(runner, sim.scenario, sim.town, sim.clock, title="test", size=size)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, poll: float = 0.01) -> None:
    """Wait until `condition()` holds, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {condition}")
        time.sleep(poll)


def frames_until(viewer: Viewer, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Draw frames (as the window's loop does) until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {condition}")
        viewer.frame()
        time.sleep(0.005)


def click(viewer: Viewer, pos: tuple[int, int], button: int = 1) -> None:
    """A real press and release, through pygame's event queue, then a frame."""
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button))
    viewer.frame()


def press(viewer: Viewer, key: int, mod: int = 0, text: str = "") -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=text))
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, mod=mod))
    viewer.frame()


def type_text(viewer: Viewer, text: str) -> None:
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=text))
    viewer.frame()


def rect_of(viewer: Viewer, name: str) -> pygame.Rect:
    """Where the last frame drew someone's sprite."""
    for who, rect in viewer.renderer.hitboxes:
        if who == name:
            return rect
    raise AssertionError(f"{name} was not drawn in the last frame")


def pixels(surface: pygame.Surface, rect: pygame.Rect | None = None) -> np.ndarray:
    """RGB pixels as an array indexed [y, x]."""
    area = surface.subsurface(rect) if rect is not None else surface
    return pygame.surfarray.array3d(area).transpose(1, 0, 2)


def count_color(surface: pygame.Surface, rect: pygame.Rect, color: tuple[int, int, int]) -> int:
    rect = rect.clip(surface.get_rect())
    return int(np.all(pixels(surface, rect) == np.array(color[:3]), axis=2).sum())


def record_to(folder_path: Path, sim: Simulation) -> Callable[[Simulation], None]:
    """A `prepare` that writes the run file from the simulation's own thread."""
    folder = RunFolder.create(folder_path, sim.scenario.source, sim.scenario.map_path)

    def attach(sim: Simulation) -> None:
        sim.observers.append(Recorder(folder, sim, {"seed": sim.seed}))

    return attach


class Stalled:
    """A model that answers only when released: agents wait on it for as long as a test
    likes; cancelling the wait must work."""

    def __init__(self, model: LanguageModel) -> None:
        self.model = model
        self.asked = 0

    async def complete(self, request: Request) -> Reply:
        self.asked += 1
        await asyncio.Event().wait()  # never set: only cancellation ends the wait
        return await self.model.complete(request)
