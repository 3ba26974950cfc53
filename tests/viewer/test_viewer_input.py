"""Real pygame events (clicks, keys, typing, the wheel) drive selection, the time controls,
the camera, and talking to the town."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pygame
import pytest

from tests.viewer.viewing import (
    click,
    frames_until,
    press,
    rect_of,
    type_text,
    viewer_on,
    wait_for,
)
from town.agents.persona import Persona
from town.sim import Simulation
from town.viewer.app import Viewer, first_to_wake
from town.viewer.runner import SimRunner
from town.viewer.widgets import SPEEDS


@pytest.fixture
def running(talking: Simulation) -> Iterator[tuple[SimRunner, Viewer]]:
    """A live window on a running simulation, paused, so a test decides when time moves."""
    runner = SimRunner(talking, paused=True)
    viewer = viewer_on(runner)
    runner.start()
    yield runner, viewer
    assert runner.stop(timeout=120)


def on_screen(viewer: Viewer) -> str:
    """Someone drawn wholly inside the map's view (agents just outside are drawn too, for
    their bubbles, but are not there to be clicked)."""
    viewer.frame()
    cam = viewer.camera
    view = pygame.Rect(cam.view_x, cam.view_y, cam.view_w, cam.view_h)
    return next(name for name, rect in viewer.renderer.hitboxes if view.contains(rect))


def test_clicking_an_agent_selects_it_and_opens_the_panel(talking: Simulation) -> None:
    runner = SimRunner(talking)
    viewer = viewer_on(runner)
    name = on_screen(viewer)
    view_width = viewer.camera.view_w
    click(viewer, rect_of(viewer, name).center)
    assert viewer.selected == name
    assert viewer.camera.view_w == view_width - viewer.panel.rect.width  # the panel opened
    runner.publish()
    viewer.frame()
    assert runner.snapshot.details is not None and runner.snapshot.details.name == name
    press(viewer, pygame.K_ESCAPE)
    assert viewer.selected is None
    assert viewer.camera.view_w == view_width


def test_clicking_the_ground_selects_nobody(talking: Simulation) -> None:
    viewer = viewer_on(SimRunner(talking))
    viewer.frame()
    occupied = [rect for _, rect in viewer.renderer.hitboxes]
    spot = next(
        (x, y)
        for y in range(100, 700, 37)
        for x in range(40, 1200, 41)
        if not any(r.inflate(4, 4).collidepoint(x, y) for r in occupied)
    )
    click(viewer, spot)
    assert viewer.selected is None


def test_space_pauses_and_resumes(running: tuple[SimRunner, Viewer]) -> None:
    runner, viewer = running
    assert runner.paused
    press(viewer, pygame.K_SPACE)
    assert not runner.paused
    frames_until(viewer, lambda: not runner.snapshot.paused)
    press(viewer, pygame.K_SPACE)
    assert runner.paused
    frames_until(viewer, lambda: runner.snapshot.paused)
    stopped_at = runner.snapshot.tick
    # And stays there: a command runs between ticks, and the thread goes round its loop
    # between two commands asked one after the other, where a running one would tick.
    for _ in range(2):
        assert runner.call(lambda sim: sim.tick).result(timeout=120) == stopped_at


@pytest.mark.parametrize("key, preset", [(pygame.K_1, 0), (pygame.K_3, 2), (pygame.K_5, 4)])
def test_number_keys_set_the_speed(talking: Simulation, key: int, preset: int) -> None:
    runner = SimRunner(talking, paused=True)
    viewer = viewer_on(runner)
    press(viewer, key)
    multiple = SPEEDS[preset][1]
    expected = None if multiple is None else multiple * talking.clock.seconds_per_tick
    assert runner.speed == expected
    assert not runner.paused  # choosing a speed plays


def test_the_speed_buttons_set_the_speed(talking: Simulation) -> None:
    runner = SimRunner(talking, paused=True)
    viewer = viewer_on(runner)
    viewer.frame()
    ten = next(b for b in viewer.top.speeds if b.label == "10x")
    click(viewer, ten.rect.center)
    assert runner.speed == 10 * talking.clock.seconds_per_tick
    click(viewer, viewer.top.pause.rect.center)
    assert runner.paused


def test_n_steps_one_tick_at_a_time(running: tuple[SimRunner, Viewer]) -> None:
    runner, viewer = running
    start = runner.snapshot.tick
    press(viewer, pygame.K_n)
    frames_until(viewer, lambda: runner.snapshot.tick == start + 1)
    press(viewer, pygame.K_PERIOD)
    frames_until(viewer, lambda: runner.snapshot.tick == start + 2)
    assert runner.paused


def test_the_wheel_zooms_and_a_drag_pans(talking: Simulation) -> None:
    viewer = viewer_on(SimRunner(talking))
    viewer.frame()
    level = viewer.camera.level
    middle = (640, 400)
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=middle, rel=(0, 0), buttons=()))
    pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-1))
    viewer.frame()
    assert viewer.camera.level == level - 1
    x = viewer.camera.x
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=middle, button=1))
    for dx in (10, 40, 80):
        pos = (middle[0] + dx, middle[1])
        pygame.event.post(
            pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(dx, 0), buttons=(1, 0, 0))
        )
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(720, 400), button=1))
    viewer.frame()
    assert viewer.camera.x < x  # dragged right: the view moves left over the map
    assert viewer.selected is None  # a drag is not a click


def test_arrow_keys_pan_while_held(talking: Simulation) -> None:
    viewer = viewer_on(SimRunner(talking))
    viewer.frame(now=10.0)
    y = viewer.camera.y
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_DOWN, mod=0, unicode=""))
    viewer.frame(now=10.05)
    viewer.frame(now=10.10)
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_DOWN, mod=0))
    viewer.frame(now=10.15)
    moved = viewer.camera.y - y
    viewer.frame(now=10.5)
    assert moved > 0
    assert viewer.camera.y - y == moved  # released: no more panning


def test_tab_selects_the_next_person_and_follows(talking: Simulation) -> None:
    viewer = viewer_on(SimRunner(talking))
    viewer.frame()
    press(viewer, pygame.K_TAB)
    names = [a.name for a in viewer.source.snapshot.agents]
    assert viewer.selected == names[0] and viewer.following
    press(viewer, pygame.K_TAB)
    assert viewer.selected == names[1]
    viewer.frame()
    me = viewer.source.snapshot.agent(names[1])
    assert me is not None
    size = viewer.town.tile_size
    expected = dataclasses.replace(viewer.camera)
    expected.center_on((me.tile[0] + 0.5) * size, (me.tile[1] + 0.5) * size)
    assert (viewer.camera.x, viewer.camera.y) == (expected.x, expected.y)


def test_whispering_from_the_text_box(running: tuple[SimRunner, Viewer]) -> None:
    runner, viewer = running
    name = on_screen(viewer)
    click(viewer, rect_of(viewer, name).center)
    press(viewer, pygame.K_RETURN)  # focus the text box
    assert viewer.input is not None and viewer.input.focused and viewer.input.mode == "whisper"
    press(viewer, pygame.K_s)  # a shortcut key while typing: text, not a pan
    type_text(viewer, "The bakery is giving away bread today")
    assert viewer.input.value == "The bakery is giving away bread today"
    assert pygame.K_s not in viewer._held
    press(viewer, pygame.K_RETURN)
    assert viewer.input.value == "" and not viewer.input.focused

    def heard() -> bool:
        future = runner.call(lambda sim: sim.by_name[name].mind.pending.replan)
        return "bakery" in str(future.result(timeout=120))  # one reason, or a list of them

    wait_for(heard)


def test_an_interview_answer_shows_in_the_panel(running: tuple[SimRunner, Viewer]) -> None:
    _, viewer = running
    name = on_screen(viewer)
    click(viewer, rect_of(viewer, name).center)
    assert viewer.input is not None
    click(viewer, next(b for b in viewer.input.modes if b.label == "Interview").rect.center)
    assert viewer.input.mode == "interview" and viewer.input.focused
    type_text(viewer, "What are you doing today?")
    click(viewer, viewer.input.send.rect.center)
    exchange = viewer.exchanges[name][-1]
    assert exchange.said == "What are you doing today?"
    frames_until(viewer, lambda: exchange.answer is not None)  # frames go on meanwhile
    assert not exchange.failed and exchange.answer
    first_line = viewer.text.wrap(exchange.answer, 13, 300)[0].split()[0]
    frames_until(viewer, lambda: any(first_line in line for line in viewer.panel.lines))
    assert "You asked: What are you doing today?" in viewer.panel.lines


def test_a_world_event_on_a_clicked_object(running: tuple[SimRunner, Viewer]) -> None:
    runner, viewer = running
    town = runner.sim.town
    cafe = next(a for a in town.tiles if a.endswith(":Hobbs Cafe:cafe"))
    tile = town.tiles[cafe][0]
    size = town.tile_size
    viewer.camera.center_on(tile[0] * size, tile[1] * size)
    viewer.frame()
    # an object of the cafe with a tile on screen that nobody stands on
    address, spot = next(
        (obj, viewer.camera.to_screen((x + 0.5) * size, (y + 0.5) * size))
        for obj in town.children[cafe]
        for x, y in town.tiles[obj]
        if viewer.camera.in_view(*viewer.camera.to_screen((x + 0.5) * size, (y + 0.5) * size))
        and not viewer.renderer.agent_at(
            *viewer.camera.to_screen((x + 0.5) * size, (y + 0.5) * size)
        )
    )
    click(viewer, spot)
    assert viewer.picked_object == address
    assert viewer.input is not None and viewer.input.mode == "event"
    press(viewer, pygame.K_t)
    type_text(viewer, "on fire")
    press(viewer, pygame.K_RETURN)

    def burning() -> bool:
        return runner.call(lambda sim: sim.objects[address]).result(timeout=120) == "on fire"

    wait_for(burning)
    frames_until(viewer, lambda: runner.snapshot.objects.get(address) == "on fire")


def test_sending_without_a_target_warns_and_keeps_the_text(talking: Simulation) -> None:
    viewer = viewer_on(SimRunner(talking))
    press(viewer, pygame.K_RETURN)
    type_text(viewer, "hello")
    press(viewer, pygame.K_RETURN)
    assert viewer.input is not None and viewer.input.value == "hello"
    assert viewer.notice.warning


def test_ctrl_q_and_the_close_button_end_the_window(talking: Simulation) -> None:
    viewer = viewer_on(SimRunner(talking))
    press(viewer, pygame.K_q, mod=pygame.KMOD_CTRL)
    assert viewer.closed
    other = viewer_on(SimRunner(talking))
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    other.frame()
    assert other.closed


def camera_on(viewer: Viewer, name: str) -> tuple[float, float]:
    """Where the camera would be, centred on where someone stands now."""
    size = viewer.town.tile_size
    x, y = tile_of(viewer, name)
    expected = dataclasses.replace(viewer.camera)
    expected.center_on((x + 0.5) * size, (y + 0.5) * size)
    return expected.x, expected.y


def tile_of(viewer: Viewer, name: str) -> tuple[int, int]:
    me = viewer.source.snapshot.agent(name)
    assert me is not None
    return me.tile


def test_the_window_opens_on_the_first_to_wake_and_follows_them(asleep: Simulation) -> None:
    runner = SimRunner(asleep, speed=None)  # as fast as it goes
    viewer = viewer_on(runner)
    name = viewer.camera.watching
    assert name is not None and viewer.selected is None  # watched, with no panel in the way
    rising = {a.name: a.persona.wake for a in asleep.agents}
    assert rising[name] == min(rising.values())  # 06:00, when the town starts at 05:00
    viewer.frame()
    start, opened = tile_of(viewer, name), (viewer.camera.x, viewer.camera.y)
    assert opened == camera_on(viewer, name)
    runner.start()
    try:
        # Up and about: the camera goes with them, wherever they walk.
        frames_until(viewer, lambda: tile_of(viewer, name) != start)
        press(viewer, pygame.K_SPACE)
        frames_until(viewer, lambda: runner.snapshot.paused)
        frames_until(viewer, lambda: (viewer.camera.x, viewer.camera.y) == camera_on(viewer, name))
        assert viewer.camera.watching == name and (viewer.camera.x, viewer.camera.y) != opened
        # The user picks someone: the window leaves the first riser to them.
        press(viewer, pygame.K_TAB)
        assert viewer.camera.watching is None and viewer.selected is not None
    finally:
        assert runner.stop(timeout=120)


@pytest.mark.parametrize("how", ["click", "pan"])
def test_picking_someone_or_moving_the_view_ends_the_watch(
    running: tuple[SimRunner, Viewer], how: str
) -> None:
    runner, viewer = running
    assert viewer.camera.watching is not None
    if how == "click":
        other = on_screen(viewer)
        click(viewer, rect_of(viewer, other).center)
        assert viewer.selected == other
    else:  # held for a frame or two, as a hand does
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_LEFT, mod=0, unicode=""))
        viewer.frame()
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_LEFT, mod=0))
        viewer.frame()
    assert viewer.camera.watching is None
    held = viewer.camera.x, viewer.camera.y
    tick = runner.snapshot.tick
    for _ in range(5):  # the town goes on; the view stays where the user left it
        press(viewer, pygame.K_n)
    frames_until(viewer, lambda: runner.snapshot.tick == tick + 5)
    assert (viewer.camera.x, viewer.camera.y) == held


def test_who_wakes_first() -> None:
    def person(name: str, wake: dt.time, sleep: dt.time) -> Persona:
        return Persona(
            name=name,
            age=30,
            innate="calm",
            background="lives here",
            currently="living",
            wake=wake,
            sleep=sleep,
            home="Home",
            occupation="none",
        )

    people = [
        person("Early", dt.time(6, 0), dt.time(22, 0)),
        person("Late", dt.time(9, 0), dt.time(1, 0)),
        person("Later", dt.time(9, 30), dt.time(2, 0)),
    ]
    day = dt.datetime(2023, 2, 13)
    assert first_to_wake(people, day.replace(hour=5)) == "Early"  # all in bed: the next up
    assert first_to_wake(people, day.replace(hour=12)) == "Early"  # all up: the earliest riser
    assert first_to_wake(people, day.replace(hour=0, minute=30)) == "Late"  # the night owls
    assert first_to_wake(people, day.replace(hour=3)) == "Early"  # nobody up: 6:00 is next
    assert first_to_wake([], day) is None
