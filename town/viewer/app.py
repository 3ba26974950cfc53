"""The window: one loop that reads input, moves the camera, and draws the newest snapshot.

The same window serves a live run (a `SimRunner`: the simulation steps in its own thread)
and a replay (a `ReplayPlayer` over a run file). Nothing in this loop waits on the model:
commands go to the runner, answers come back as futures polled once a frame.

Mouse: click someone to open their panel; click an object to pick it for a world event;
drag to pan; wheel to zoom (over the panel: scroll it).
Keys: Space pause, 1-5 speeds, N or . one tick (, one back in a replay), arrows/WASD pan,
+/- zoom, F follow, Tab next person, Enter type, Escape close, F12 screenshot, Ctrl+Q quit;
in a replay Home/End and Page Up/Down jump.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

import pygame

from town.agents.persona import Persona
from town.clock import Clock
from town.scenario import Scenario
from town.viewer.camera import ZOOMS, Camera
from town.viewer.motion import Movements
from town.viewer.panel import WIDTH as PANEL_WIDTH
from town.viewer.panel import Exchange, Panel
from town.viewer.render import Scene, WorldRenderer
from town.viewer.replay import ReplayPlayer
from town.viewer.runner import SimRunner
from town.viewer.snapshot import Snapshot
from town.viewer.sprites import MapPicture, SpriteSheets
from town.viewer.text import Text
from town.viewer.widgets import (
    FG,
    INPUT_BAR,
    MUTED,
    SPEEDS,
    TIMELINE_BAR,
    TOP_BAR,
    InputBar,
    Notice,
    Timeline,
    TopBar,
)
from town.world import Town, places

BACKGROUND = (22, 24, 31)
PAN_SPEED = 700  # screen pixels a second, with the keys
DRAG_THRESHOLD = 4  # pixels a press may move and still be a click
EVENT_MINUTES = 30  # how long a world event started from the window lasts (game minutes)
DEFAULT_SPEED = "2x"
PAN_KEYS = {
    pygame.K_LEFT: (1, 0),
    pygame.K_a: (1, 0),
    pygame.K_RIGHT: (-1, 0),
    pygame.K_d: (-1, 0),
    pygame.K_UP: (0, 1),
    pygame.K_w: (0, 1),
    pygame.K_DOWN: (0, -1),
    pygame.K_s: (0, -1),
}
SPEED_KEYS = {pygame.K_1: 0, pygame.K_2: 1, pygame.K_3: 2, pygame.K_4: 3, pygame.K_5: 4}


# Frames a second. Walking sprites look smooth at 30, and each frame costs the model beside it
# on a small machine (about 9 ms of a core in Xvfb): the town's thinking needs the cores more.
FPS = 30


class Source(Protocol):
    """What the window shows and steers: a live run or a replay."""

    mode: str

    @property
    def snapshot(self) -> Snapshot: ...
    @property
    def thinking(self) -> frozenset[str]: ...
    @property
    def in_flight(self) -> int: ...
    @property
    def alive(self) -> bool: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def toggle_pause(self) -> None: ...
    def step_once(self) -> None: ...
    def set_speed(self, speed: float | None) -> None: ...
    def select(self, name: str | None) -> None: ...


def speed_of(label: str, seconds_per_tick: int) -> float | None:
    """A preset's speed in game seconds per real second ('2x' -> 20.0 with 10 s ticks)."""
    for name, multiple in SPEEDS:
        if name == label:
            return None if multiple is None else multiple * seconds_per_tick
    raise ValueError(f"no speed {label!r}; the speeds are {', '.join(n for n, _ in SPEEDS)}")


class Viewer:
    def __init__(
        self,
        source: Source,
        scenario: Scenario,
        town: Town,
        clock: Clock,
        *,
        title: str,
        size: tuple[int, int] = (1280, 800),
        fps: int = FPS,
        screenshots: Path = Path("screenshots"),
    ) -> None:
        self.source = source
        self.live = source.mode == "live"
        self.town, self.clock, self.fps = town, clock, fps
        self.screenshots = screenshots
        pygame.display.init()
        pygame.font.init()
        self.screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.display.set_caption(title)
        self.text = Text()
        self._splash("Drawing the town…")
        self.picture = MapPicture(scenario.map_path)
        self.picture.prepare(ZOOMS)
        self.sprites = SpriteSheets(town.tile_size)
        for spec in scenario.agents:
            self.sprites.register(spec.name, spec.sprite)
        self.sprites.prepare(1.0)
        self.text.prepare()
        self.renderer = WorldRenderer(town, self.picture, self.sprites, self.text)
        self.camera = Camera(self.picture.width, self.picture.height, 0, TOP_BAR, *size)
        self.top = TopBar(self.text, replay=not self.live)
        self.input = InputBar(self.text) if self.live else None
        self.timeline = self._timeline() if isinstance(source, ReplayPlayer) else None
        self.panel = Panel(self.text, self.sprites, {s.name: s for s in scenario.agents}, clock)
        self.notice = Notice()
        self.movements = Movements()
        self.selected: str | None = None
        self.hovered: str | None = None
        self.picked_object: str | None = None
        self.following = False
        self.closed = False
        self.mouse = (0, 0)
        self.exchanges: dict[str, list[Exchange]] = {}
        self.frame_times: list[float] | None = None  # set to a list to record frame times
        self.last_screenshot: Path | None = None
        self._pending: list[tuple[Exchange, Future[str]]] = []
        self._shown: Snapshot | None = None
        self._press: tuple[int, int] | None = None  # where a left press began on the map
        self._dragging = False
        self._held: set[int] = set()
        self._last_frame: float | None = None
        self.layout()
        # A newcomer sees someone go about their day, not an empty street: the window opens on
        # the first to wake and follows them until the user picks someone or moves the view.
        shown = {a.name for a in source.snapshot.agents}
        first = first_to_wake([s for s in scenario.agents if s.name in shown], source.snapshot.time)
        if first is not None:
            me = source.snapshot.agent(first)
            assert me is not None
            size_ = town.tile_size
            self.camera.center_on((me.tile[0] + 0.5) * size_, (me.tile[1] + 0.5) * size_)
            self.camera.watching = first

    # -- the loop --------------------------------------------------------------------------

    def run(self, seconds: float | None = None, until: Callable[[], bool] | None = None) -> None:
        """Frames until the window is closed (or `seconds` pass, or `until()` is true)."""
        ticker = pygame.time.Clock()
        began = time.monotonic()
        while not self.closed:
            self.frame()
            ticker.tick(self.fps)
            if seconds is not None and time.monotonic() - began >= seconds:
                break
            if until is not None and until():
                break

    def frame(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self.frame_times is not None and self._last_frame is not None:
            self.frame_times.append(now - self._last_frame)
        for event in pygame.event.get():
            self.handle(event, now)
        self.update(now)
        self.draw(now)
        pygame.display.flip()
        self._last_frame = now

    def update(self, now: float) -> None:
        dt_ = 0.0 if self._last_frame is None else min(now - self._last_frame, 0.1)
        if isinstance(self.source, ReplayPlayer):
            self.source.update(now)
        elif not self.source.alive:
            error = getattr(self.source, "error", None)
            if error is None:
                self.closed = True  # stopped from outside (Ctrl-C in the terminal)
            elif self.notice.message != _failure(error):
                self.notice.show(_failure(error), now, seconds=1e9, warning=True)
        snapshot = self.source.snapshot
        if snapshot is not self._shown:
            self.movements.update(snapshot.agents, now, snapshot.interval)
            self._shown = snapshot
        self._collect_answers()
        dx = sum(PAN_KEYS[k][0] for k in self._held if k in PAN_KEYS)
        dy = sum(PAN_KEYS[k][1] for k in self._held if k in PAN_KEYS)
        if dx or dy:
            self.following = False
            self.camera.pan(dx * PAN_SPEED * dt_, dy * PAN_SPEED * dt_)
        if self.following and self.selected:
            fx, fy, _ = self.movements.position(self.selected, now)
            size = self.town.tile_size
            self.camera.center_on((fx + 0.5) * size, (fy + 0.5) * size)
        elif self.camera.watching:
            fx, fy, _ = self.movements.position(self.camera.watching, now)
            size = self.town.tile_size
            self.camera.follow((fx + 0.5) * size, (fy + 0.5) * size)
        over_map = self.camera.in_view(*self.mouse) and not self._dragging
        self.hovered = self.renderer.agent_at(*self.mouse) if over_map else None

    def draw(self, now: float) -> None:
        self.text.new_frame()
        snapshot = self._shown or self.source.snapshot
        screen = self.screen
        screen.fill(BACKGROUND)
        scene = Scene(
            snapshot,
            now,
            self.source.thinking,
            self.selected,
            self.hovered,
            self.picked_object,
        )
        self.renderer.draw(screen, self.camera, scene, self.movements)
        view_bottom = self.camera.view_y + self.camera.view_h
        self.notice.draw(screen, self.text, (self.camera.view_x + 10, view_bottom - 10), now)
        self.top.draw(
            screen,
            snapshot,
            self.clock.seconds_per_tick,
            len(self.source.thinking),
            self.source.in_flight,
            self.mouse,
            "" if self.live else "replay",
        )
        if self.input is not None:
            self.input.draw(screen, self._placeholder(), self.mouse, now)
        if self.timeline is not None:
            self.timeline.draw(screen, snapshot.tick, f"{snapshot.time:%a %H:%M}")
        agent = snapshot.agent(self.selected) if self.selected else None
        if agent is not None:
            details = snapshot.details
            if details is not None and details.name != agent.name:
                details = None  # still the previous selection's: the next snapshot brings it
            self.panel.draw(
                screen,
                agent,
                details,
                self.exchanges.get(agent.name, []),
                agent.name in self.source.thinking,
                self.following,
                self.mouse,
                now,
            )

    # -- layout ----------------------------------------------------------------------------

    def layout(self) -> None:
        w, h = self.screen.get_size()
        bottom = INPUT_BAR if self.live else TIMELINE_BAR
        panel = PANEL_WIDTH if self.selected else 0
        self.camera.resize(0, TOP_BAR, max(w - panel, 1), max(h - TOP_BAR - bottom, 1))
        self.top.layout(w)
        if self.input is not None:
            self.input.layout(pygame.Rect(0, h - bottom, w, bottom))
        if self.timeline is not None:
            self.timeline.layout(pygame.Rect(0, h - bottom, w, bottom))
        self.panel.layout(pygame.Rect(w - PANEL_WIDTH, TOP_BAR, PANEL_WIDTH, h - TOP_BAR - bottom))

    def _timeline(self) -> Timeline:
        player = self.source
        assert isinstance(player, ReplayPlayer)
        recording = player.recording
        timeline = Timeline(
            self.text,
            recording.start,
            recording.end,
            recording.clock.ticks_per_hour,
            recording.clock.at(recording.start),
        )
        timeline.talk_ticks = [t for t, c in recording.rows if c.get("utterances")]
        return timeline

    # -- input -----------------------------------------------------------------------------

    def handle(self, event: pygame.event.Event, now: float) -> None:
        kind = event.type
        if kind == pygame.QUIT:
            self.closed = True
        elif kind in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            self.screen = pygame.display.get_surface()
            self.layout()
        elif kind == pygame.MOUSEMOTION:
            self._motion(event)
        elif kind == pygame.MOUSEBUTTONDOWN:
            self.mouse = event.pos
            if event.button in (1, 2, 3):
                self._mouse_down(event.pos, event.button, now)
        elif kind == pygame.MOUSEBUTTONUP:
            self.mouse = event.pos
            if event.button in (1, 2, 3):
                self._mouse_up(event.pos, event.button)
        elif kind == pygame.MOUSEWHEEL:
            self._wheel(event.y)
        elif kind == pygame.KEYDOWN:
            self._key_down(event, now)
        elif kind == pygame.KEYUP:
            self._held.discard(event.key)
        elif kind == pygame.TEXTINPUT and self.input is not None and self.input.focused:
            self.input.type(event.text)

    def _mouse_down(self, pos: tuple[int, int], button: int, now: float) -> None:
        if self.top.rect.collidepoint(pos):
            if button == 1:
                self._control(self.top.click(pos))
            return
        if self.input is not None and self.input.rect.collidepoint(pos):
            if button == 1:
                self._input_click(self.input.click(pos), now)
            return
        if self.input is not None:
            self.input.focused = False
        if self.timeline is not None and self.timeline.rect.collidepoint(pos):
            tick = self.timeline.press(pos)
            if tick is not None:
                self._seek(tick)
            return
        if self.selected and self.panel.rect.collidepoint(pos):
            if button == 1:
                what = self.panel.click(pos)
                if what == "close":
                    self.select(None)
                elif what == "follow":
                    self.following = not self.following
            return
        if self.camera.in_view(*pos):
            self._press, self._dragging = pos, button != 1

    def _mouse_up(self, pos: tuple[int, int], button: int) -> None:
        if self.timeline is not None:
            self.timeline.release()
        if button == 1 and self._press is not None and not self._dragging:
            self._click_map(pos)
        self._press, self._dragging = None, False

    def _motion(self, event: pygame.event.Event) -> None:
        self.mouse = event.pos
        if self.timeline is not None and self.timeline.dragging:
            tick = self.timeline.drag(event.pos)
            if tick is not None:
                self._seek(tick)
            return
        if self._press is None:
            return
        moved = abs(event.pos[0] - self._press[0]) + abs(event.pos[1] - self._press[1])
        if not self._dragging and moved > DRAG_THRESHOLD:
            self._dragging = True
            self.camera.pan(event.pos[0] - self._press[0], event.pos[1] - self._press[1])
            self.following = False
        elif self._dragging:
            self.camera.pan(*event.rel)
            self.following = False

    def _wheel(self, steps: int) -> None:
        if self.selected and self.panel.rect.collidepoint(self.mouse):
            self.panel.scroll_by(-steps * 40)
        elif self.camera.in_view(*self.mouse):
            self.camera.zoom_by(1 if steps > 0 else -1, *self.mouse)

    def _click_map(self, pos: tuple[int, int]) -> None:
        name = self.renderer.agent_at(*pos)
        if name is not None:
            self.select(name)
            return
        x, y = self.camera.tile_at(*pos, self.town.tile_size)
        found = self.town.object_at((x, y)) if self.town.in_bounds((x, y)) else None
        self.picked_object = found
        if found is not None and self.input is not None:
            self.input.mode = "event"
            self.notice.show(
                f"Picked the {places.last(found)}: type what happens to it, then Enter",
                time.monotonic(),
            )

    def _key_down(self, event: pygame.event.Event, now: float) -> None:
        key, mods = event.key, event.mod
        if key == pygame.K_q and mods & pygame.KMOD_CTRL:
            self.closed = True
            return
        if self.input is not None and self.input.focused:
            self._edit(key, mods, now)
            return
        if key in PAN_KEYS:
            self._held.add(key)
        elif key == pygame.K_SPACE:
            self.source.toggle_pause()
        elif key in SPEED_KEYS:
            self._control(("speed", SPEED_KEYS[key]))
        elif key in (pygame.K_n, pygame.K_PERIOD):
            self.source.step_once()
        elif key == pygame.K_COMMA and isinstance(self.source, ReplayPlayer):
            self.source.step_back()
        elif key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
            self.camera.zoom_by(1)
        elif key in (pygame.K_MINUS, pygame.K_KP_MINUS):
            self.camera.zoom_by(-1)
        elif key == pygame.K_f and self.selected:
            self.following = not self.following
        elif key == pygame.K_TAB:
            self._next_agent(-1 if mods & pygame.KMOD_SHIFT else 1)
        elif key == pygame.K_ESCAPE:
            if self.picked_object:
                self.picked_object = None
            else:
                self.select(None)
        elif key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_t) and self.input is not None:
            self.input.focused = True
        elif key == pygame.K_F12:
            self.save_screenshot()
        elif isinstance(self.source, ReplayPlayer):
            self._replay_key(key)

    def _replay_key(self, key: int) -> None:
        player = self.source
        assert isinstance(player, ReplayPlayer)
        hour = player.recording.clock.ticks_per_hour
        jumps = {
            pygame.K_HOME: player.start,
            pygame.K_END: player.end,
            pygame.K_PAGEUP: player.tick - hour,
            pygame.K_PAGEDOWN: player.tick + hour,
        }
        if key in jumps:
            self._seek(jumps[key])

    def _edit(self, key: int, mods: int, now: float) -> None:
        assert self.input is not None
        if key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.submit(now)
        elif key == pygame.K_ESCAPE:
            self.input.focused = False
        elif key == pygame.K_BACKSPACE:
            self.input.backspace()
        elif key == pygame.K_TAB:
            self.input.next_mode(-1 if mods & pygame.KMOD_SHIFT else 1)

    def _input_click(self, what: object, now: float) -> None:
        assert self.input is not None
        if isinstance(what, tuple) and what[0] == "mode":
            self.input.mode = str(what[1])
            self.input.focused = True
        elif what == "send":
            self.submit(now)
        elif what == "focus":
            self.input.focused = True

    def _control(self, what: object) -> None:
        if what == "pause":
            self.source.toggle_pause()
        elif what == "step":
            self.source.step_once()
        elif what == "back" and isinstance(self.source, ReplayPlayer):
            self.source.step_back()
        elif isinstance(what, tuple) and what[0] == "speed":
            multiple = SPEEDS[int(what[1])][1]
            seconds = self.clock.seconds_per_tick
            self.source.set_speed(None if multiple is None else multiple * seconds)

    def _seek(self, tick: int) -> None:
        if isinstance(self.source, ReplayPlayer):
            self.source.seek(tick)

    def _next_agent(self, step: int) -> None:
        names = [a.name for a in self.source.snapshot.agents]
        if not names:
            return
        i = names.index(self.selected) + step if self.selected in names else 0
        self.select(names[i % len(names)])
        self.following = True

    # -- doing things ----------------------------------------------------------------------

    def select(self, name: str | None) -> None:
        changed = (name is None) != (self.selected is None)
        self.selected = name
        self.camera.watching = None  # the user picked: the window stops following its choice
        if name is None:
            self.following = False
        self.source.select(name)
        if changed:
            self.layout()

    def submit(self, now: float) -> None:
        """Send the text box's text as a whisper, an interview question or a world event."""
        assert self.input is not None and isinstance(self.source, SimRunner)
        words = self.input.take()
        if not words:
            return
        runner, mode = self.source, self.input.mode
        if mode in ("whisper", "interview") and self.selected is None:
            self.input.value = words
            self.notice.show("Click someone on the map first", now, warning=True)
            return
        if mode == "event" and self.picked_object is None:
            self.input.value = words
            self.notice.show("Click an object on the map first", now, warning=True)
            return
        if mode == "whisper":
            assert self.selected is not None
            runner.whisper(self.selected, words)
            self.exchanges.setdefault(self.selected, []).append(Exchange("whisper", words))
            self.notice.show(f"Whispered to {self.selected}", now)
        elif mode == "interview":
            assert self.selected is not None
            exchange = Exchange("interview", words)
            self.exchanges.setdefault(self.selected, []).append(exchange)
            self._pending.append((exchange, runner.interview(self.selected, words)))
        else:
            assert self.picked_object is not None
            runner.world_event(self.picked_object, words, EVENT_MINUTES)
            what = places.last(self.picked_object)
            self.notice.show(f"The {what} is now {words} (for {EVENT_MINUTES} game minutes)", now)
        self.input.focused = False

    def _collect_answers(self) -> None:
        waiting = []
        for exchange, future in self._pending:
            if not future.done():
                waiting.append((exchange, future))
            elif future.cancelled():
                exchange.answer, exchange.failed = "(the run ended before an answer)", True
            elif future.exception() is not None:
                exchange.answer, exchange.failed = f"(no answer: {future.exception()})", True
            else:
                exchange.answer = future.result()
        self._pending = waiting

    def save_screenshot(self, path: Path | None = None) -> Path:
        if path is None:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            path = self.screenshots / f"town-{stamp}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.screen, str(path))
        self.last_screenshot = path
        self.notice.show(f"Saved {path}", time.monotonic())
        return path

    def _placeholder(self) -> str:
        assert self.input is not None
        mode = self.input.mode
        if mode == "event":
            if self.picked_object is None:
                return 'Click an object on the map, then say what happens to it ("on fire")'
            return f"What happens to the {places.last(self.picked_object)}? e.g. on fire"
        if self.selected is None:
            return "Click someone on the map to whisper to them or interview them"
        if mode == "whisper":
            return f"Whisper to {self.selected} (an inner voice they will act on)…"
        return f"Ask {self.selected} anything…"

    def _splash(self, message: str) -> None:
        self.screen.fill(BACKGROUND)
        label = self.text.render(message, 18, FG)
        self.screen.blit(label, label.get_rect(center=self.screen.get_rect().center))
        pygame.display.flip()

    def farewell(self, message: str = "Saving the run…") -> None:
        """A last frame while the run closes (a final checkpoint can take a moment)."""
        shade = pygame.Surface(self.screen.get_size(), pygame.SRCALPHA)
        shade.fill((0, 0, 0, 150))
        self.screen.blit(shade, (0, 0))
        label = self.text.render(message, 18, MUTED)
        self.screen.blit(label, label.get_rect(center=self.screen.get_rect().center))
        pygame.display.flip()


def first_to_wake(people: Sequence[Persona], now: dt.datetime) -> str | None:
    """Who the window opens on: of those up at `now`, who rose earliest; with everyone in
    bed, who gets up next. Ties go to the first in the scenario."""
    minute = now.hour * 60 + now.minute

    def order(person: Persona) -> tuple[bool, int]:
        wake = person.wake.hour * 60 + person.wake.minute
        if person.is_awake_at(minute):
            return False, -((minute - wake) % 1440)  # up the longest
        return True, (wake - minute) % 1440  # up the soonest

    return min(people, key=order).name if people else None


def _failure(error: BaseException) -> str:
    return f"The simulation stopped: {type(error).__name__}: {error}"
