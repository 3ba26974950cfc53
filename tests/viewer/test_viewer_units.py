"""The window's arithmetic: the camera, smooth walking, wrapped text, speed presets."""

from __future__ import annotations

import pytest

from town.viewer.app import speed_of
from town.viewer.camera import ZOOMS, Camera
from town.viewer.motion import MAX_GLIDE, Movements, walk_column
from town.viewer.snapshot import AgentView
from town.viewer.text import Text


def camera() -> Camera:
    cam = Camera(3840, 2752, 0, 40, 1000, 700)
    cam.center_on(1900, 1300)
    return cam


def test_screen_and_world_are_inverse() -> None:
    cam = camera()
    for level in range(len(ZOOMS)):
        cam.level = level
        cam.clamp()
        for point in [(1900.0, 1300.0), (1234.0, 987.0), (2500.0, 1800.0)]:
            sx, sy = cam.to_screen(*point)
            wx, wy = cam.to_world(sx, sy)
            assert abs(wx - point[0]) <= 1 / cam.zoom and abs(wy - point[1]) <= 1 / cam.zoom


def test_zooming_keeps_the_spot_under_the_cursor() -> None:
    cam = camera()
    cursor = (700, 300)
    before = cam.to_world(*cursor)
    assert cam.zoom_by(1, *cursor)
    after = cam.to_world(*cursor)
    assert abs(after[0] - before[0]) < 1 and abs(after[1] - before[1]) < 1
    assert cam.zoom == ZOOMS[ZOOMS.index(1.0) + 1]


def test_zoom_stops_at_the_last_step() -> None:
    cam = camera()
    while cam.zoom_by(-1):
        pass
    assert cam.zoom == ZOOMS[0]
    assert not cam.zoom_by(-1)


def test_the_map_stays_on_screen() -> None:
    cam = camera()
    cam.pan(10_000, 10_000)  # far past the top left corner
    left, top, _, _ = cam.visible()
    assert left == pytest.approx(0) and top == pytest.approx(0)
    cam.level = 0  # the whole map is smaller than the view: centred
    cam.clamp()
    assert (cam.x, cam.y) == (1920, 1376)


def test_a_glide_starts_where_the_agent_is_shown() -> None:
    moves = Movements()
    moves.update([AgentView("Ann", (10, 10))], now=0.0, duration=1.0)
    assert moves.position("Ann", 0.0) == (10.0, 10.0, False)
    moves.update([AgentView("Ann", (11, 10))], now=1.0, duration=1.0)
    assert moves.position("Ann", 1.5) == (10.5, 10.0, True)
    # a snapshot that comes early: on from 10.5, never back to 11 first
    moves.update([AgentView("Ann", (12, 10))], now=1.5, duration=1.0)
    x, _, walking = moves.position("Ann", 1.5)
    assert x == pytest.approx(10.5) and walking
    assert moves.position("Ann", 2.5) == (12.0, 10.0, False)


def test_a_long_way_is_not_walked() -> None:
    moves = Movements()
    moves.update([AgentView("Ann", (10, 10))], now=0.0, duration=1.0)
    far = (10 + int(MAX_GLIDE) + 5, 10)
    moves.update([AgentView("Ann", far)], now=1.0, duration=1.0)
    assert moves.position("Ann", 1.0) == (float(far[0]), 10.0, False)


def test_the_walk_cycle_only_while_walking() -> None:
    assert walk_column(False, 12.3) == 1
    assert {walk_column(True, t / 10) for t in range(20)} == {0, 1, 2}


def test_wrapped_text_fits(fresh_display) -> None:
    text = Text()
    words = "Hello there, did you hear about the Valentine's Day party at Hobbs Cafe? " * 3
    lines = text.wrap(words, 13, 200)
    assert len(lines) > 3 and all(text.width(line, 13) <= 200 for line in lines)
    assert " ".join(lines).split() == words.split()
    short = text.wrap(words, 13, 200, max_lines=2)
    assert len(short) == 2 and short[-1].endswith("…")
    assert text.width(text.clip("x" * 500, 12, 100), 12) <= 100


def test_speed_presets() -> None:
    assert speed_of("1x", 10) == 10
    assert speed_of("10x", 10) == 100
    assert speed_of("max", 10) is None
    with pytest.raises(ValueError, match="1x"):
        speed_of("3x", 10)
