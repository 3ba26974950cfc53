"""End to end in a real X window (Xvfb, with real input events from xdotool): click someone,
take screenshots, let the town run, close the window with Ctrl+Q; the simulation's thread
has ended and the run file holds its final checkpoint."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pygame
import pytest

from tests.support import simulate
from tests.viewer.viewing import pixels, record_to, wait_for
from town.scenario import Scenario
from town.viewer.app import Viewer
from town.viewer.camera import Camera
from town.viewer.launch import ViewerError, run_live
from town.viewer.panel import PANEL_BG
from town.viewer.panel import WIDTH as PANEL_WIDTH
from town.viewer.sprites import SpriteSheets
from town.viewer.widgets import INPUT_BAR, TOP_BAR
from town.world import Town

SIZE = (1280, 800)
TITLE = "generative-town end-to-end"


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A fresh X server on a display number it picks itself (-displayfd): no clashes."""
    assert shutil.which("Xvfb"), "install Xvfb (Debian package xvfb)"
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as announced:
        number = announced.readline().strip()  # written once the server is ready
    assert number.isdigit(), "Xvfb did not start"
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=120)


class Operator(threading.Thread):
    """Plays the user from outside the process, with xdotool, while run_live runs."""

    def __init__(self, display: str, work) -> None:
        super().__init__(name="operator", daemon=True)
        self.env = {**os.environ, "DISPLAY": display}
        self.work = work
        self.error: BaseException | None = None
        self.window = ""

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def run(self) -> None:
        try:
            # By process: SDL writes the title as UTF-8, which `xdotool search --name` skips.
            self.window = self.xdotool("search", "--sync", "--pid", str(os.getpid())).split()[0]
            self.work(self)
        except BaseException as err:
            self.error = err
            pygame.event.post(pygame.event.Event(pygame.QUIT))  # never leave the window open


@pytest.mark.slow
def test_a_real_window(xvfb: str, town: Town, ville25: Scenario, tmp_path: Path, monkeypatch):
    assert shutil.which("xdotool"), "install xdotool (Debian package xdotool)"
    pygame.display.quit()  # leave the dummy driver of the other tests
    monkeypatch.setenv("DISPLAY", xvfb)
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    sim = simulate(ville25, town, start=dt.datetime(2023, 2, 13, 9, 0))
    start = sim.tick
    first = sim.agents[0]
    (tx, ty), facing = first.state.tile, first.state.facing  # it stays there while paused
    run = tmp_path / "run"
    shots = tmp_path / "screenshots"
    # Where the first agent is drawn: the window opens centred on it, paused.
    camera = Camera(3840, 2752, 0, TOP_BAR, SIZE[0], SIZE[1] - TOP_BAR - INPUT_BAR)
    camera.center_on((tx + 0.5) * 32, (ty + 0.5) * 32)
    sprite_at = camera.to_screen(tx * 32, ty * 32)

    def ticks_recorded() -> int:
        db = sqlite3.connect(f"file:{run / 'run.sqlite'}?mode=ro", uri=True)
        try:
            return db.execute("SELECT COALESCE(MAX(tick), 0) FROM ticks").fetchone()[0]
        finally:
            db.close()

    # The window reads input once a frame and F12 saves the last frame drawn, so the user
    # waits for what is on screen (never for a while): what each frame drew is noted here.
    drawn: list[tuple[str | None, bool]] = []  # per frame: who is selected; their details in?
    draw = Viewer.draw

    def draw_and_note(viewer: Viewer, now: float) -> None:
        draw(viewer, now)
        details = viewer._shown.details if viewer._shown else None
        drawn.append((viewer.selected, details is not None and details.name == viewer.selected))

    monkeypatch.setattr(Viewer, "draw", draw_and_note)

    def play(op: Operator) -> None:
        # Until a frame has drawn the town (it loads first), a click would hit nobody.
        wait_for(lambda: len(drawn) > 0, timeout=120)
        op.xdotool(
            "mousemove", "--window", op.window, str(sprite_at[0] + 16), str(sprite_at[1] + 16)
        )
        op.xdotool("click", "1")  # select the first agent: the panel opens
        wait_for(lambda: (first.name, True) in drawn, timeout=60)  # with its details
        op.xdotool("key", "F12")
        wait_for(lambda: len(list(shots.glob("*.png"))) == 1, timeout=60)
        op.xdotool("key", "5")  # as fast as possible
        wait_for(
            lambda: run.joinpath("run.sqlite").exists() and ticks_recorded() > start + 60,
            timeout=120,
        )
        op.xdotool("key", "F12")
        wait_for(lambda: len(list(shots.glob("*.png"))) == 2, timeout=60)
        op.xdotool("key", "ctrl+q")

    before = set(threading.enumerate())
    operator = Operator(xvfb, play)
    operator.start()
    run_live(
        sim,
        title=TITLE,
        size=SIZE,
        paused=True,
        prepare=record_to(run, sim),
        screenshots=shots,
    )  # returns when Ctrl+Q closes the window
    operator.join(timeout=120)
    if operator.error is not None:
        raise operator.error

    # The simulation's thread ended with the window, and the run file is complete.
    assert not [t for t in set(threading.enumerate()) - before if t.name == "simulation"]
    db = sqlite3.connect(run / "run.sqlite")
    ended = json.loads(db.execute("SELECT value FROM meta WHERE key = 'ended'").fetchone()[0])
    final = db.execute("SELECT MAX(tick) FROM checkpoints").fetchone()[0]
    db.close()
    assert ended["tick"] == final == sim.tick > start + 60

    # The first screenshot: the town, the clicked agent drawn where it stood, its panel open.
    first_shot, second_shot = sorted(shots.glob("*.png"))
    picture = pygame.image.load(str(first_shot))
    assert picture.get_size() == SIZE
    rgb = pixels(picture)
    assert rgb.reshape(-1, 3).std(axis=0).min() > 20  # not a blank or uniform window
    # The panel narrowed the view around the same middle: where the sprite is drawn now.
    camera.resize(0, TOP_BAR, SIZE[0] - PANEL_WIDTH, SIZE[1] - TOP_BAR - INPUT_BAR)
    x, y = camera.to_screen(tx * 32, ty * 32)
    frame = SpriteSheets(32).frame(first.name, facing, 1, 1.0)
    opaque = pygame.surfarray.array_alpha(frame).T == 255
    want = pygame.surfarray.array3d(frame).transpose(1, 0, 2)
    got = rgb[y : y + 32, x : x + 32]
    assert np.all(got[opaque] == want[opaque], axis=1).mean() > 0.8
    panel = rgb[TOP_BAR + 250 : SIZE[1] - INPUT_BAR, SIZE[0] - PANEL_WIDTH + 8 : SIZE[0] - 8]
    assert np.all(panel == PANEL_BG, axis=2).mean() > 0.3  # the panel is open
    later = pixels(pygame.image.load(str(second_shot)))
    assert not np.array_equal(rgb, later)  # the town moved on


def test_without_a_display_the_error_says_what_to_do(
    town: Town, ville25: Scenario, monkeypatch
) -> None:
    pygame.display.quit()
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    monkeypatch.setenv("DISPLAY", ":4242")  # no X server there
    sim = simulate(ville25, town)
    before = set(threading.enumerate())
    with pytest.raises(ViewerError, match="--headless"):
        run_live(sim, title=TITLE)
    assert set(threading.enumerate()) <= before  # no simulation thread was left behind
