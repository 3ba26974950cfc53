"""Replay: the town rebuilt from a run file's ticks alone matches the run as it happened;
jumping anywhere, playing at a speed, and the same window on top."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygame
import pytest

from tests.support import simulate
from tests.viewer.viewing import click, pixels, press, rect_of, wait_for
from town.agents.state import Action
from town.record import Recorder, RunError, RunFolder
from town.scenario import Scenario
from town.sim import Simulation, TickRecord
from town.viewer.app import Viewer
from town.viewer.launch import run_replay
from town.viewer.replay import KEYFRAME_EVERY, Recording, ReplayPlayer
from town.world import Tile, Town

UNTIL = 1200  # ticks: 05:00 to 08:20, past the first walks and conversations


@dataclass
class Moment:
    tiles: dict[str, Tile]
    facing: dict[str, str]
    actions: dict[str, Action | None]
    objects: dict[str, str]
    said: dict[str, str]


@pytest.fixture(scope="module")
def recorded(town: Town, ville25: Scenario, tmp_path_factory: pytest.TempPathFactory):
    """A run file of the_ville_25's early morning, and the town as it was after each tick."""
    path = tmp_path_factory.mktemp("replay") / "run"
    sim = simulate(ville25, town)
    folder = RunFolder.create(path, ville25.source, ville25.map_path)
    sim.observers.append(Recorder(folder, sim, {"seed": sim.seed}))
    moments: dict[int, Moment] = {}

    class Witness:
        def on_tick(self, sim: Simulation, record: TickRecord) -> None:
            moments[record.tick + 1] = Moment(
                {a.name: a.state.tile for a in sim.agents},
                {a.name: a.state.facing for a in sim.agents},
                {a.name: a.state.action for a in sim.agents},
                sim.objects.busy(),
                dict(record.utterances),
            )

    sim.observers.append(Witness())
    sim.run(ticks=UNTIL)
    sim.close()
    return path, moments


def test_the_town_at_any_tick_is_the_town_that_was(recorded) -> None:
    path, moments = recorded
    recording = Recording(path)
    assert recording.start == 0 and recording.end == UNTIL
    checked = [1, 2, 361, 362, KEYFRAME_EVERY, KEYFRAME_EVERY + 1, 700, 1000, UNTIL]
    checked += [t for t, m in moments.items() if m.said][:20]  # ticks with conversations
    for tick in checked:
        state = recording.state_at(tick)
        want = moments[tick]
        assert {n: w.tile for n, w in state.walkers.items()} == want.tiles, tick
        assert {n: w.facing for n, w in state.walkers.items()} == want.facing, tick
        assert {n: w.action for n, w in state.walkers.items()} == want.actions, tick
        assert state.objects == want.objects, tick
        views = {v.name: v for v in recording.views(state)}
        for name, text in want.said.items():
            assert views[name].utterance == text and views[name].spoke_now
    recording.close()


def test_playing_forward_agrees_with_jumping(recorded) -> None:
    path, _ = recorded
    recording = Recording(path)
    state = recording.state_at(0)
    for tick in range(1, UNTIL + 1, 7):
        recording.advance(state, tick)
        jumped = recording.state_at(tick)
        assert state.walkers == jumped.walkers and state.objects == jumped.objects
    recording.close()


def test_a_listener_is_in_the_conversation_before_it_speaks(recorded) -> None:
    path, moments = recorded
    recording = Recording(path)
    opening = min(t for t, m in moments.items() if m.said)
    speaker = next(iter(moments[opening].said))
    views = {v.name: v for v in recording.views(recording.state_at(opening))}
    partners = views[speaker].talking_with
    assert partners
    assert all(views[p].status == "talking" for p in partners)
    recording.close()


def test_the_playhead_moves_at_the_chosen_speed(recorded) -> None:
    path, _ = recorded
    player = ReplayPlayer(Recording(path), speed=20.0)  # 2 ticks a second with 10 s ticks
    player.update(now=50.0)
    player.update(now=51.0)
    assert player.tick == 2
    player.update(now=56.0)
    assert player.tick == 12
    player.pause()
    player.update(now=60.0)
    assert player.tick == 12
    player.seek(700)
    assert player.tick == 700 and player.snapshot.tick == 700
    assert player.snapshot.interval == 0  # a jump: nobody walks there
    player.step_once()
    assert player.tick == 701 and player.snapshot.interval > 0
    player.step_back()
    assert player.tick == 700
    player.seek(10**9)
    assert player.tick == UNTIL and player.snapshot.ended
    player.recording.close()


def test_the_panel_of_a_replay_has_plan_and_memories(recorded) -> None:
    path, _ = recorded
    player = ReplayPlayer(Recording(path), paused=True)
    player.seek(1000)
    name = player.snapshot.agents[0].name
    player.select(name)
    details = player.snapshot.details
    assert details is not None and details.name == name
    assert details.plan is not None and details.current_block is not None
    assert details.memories and all(m.created <= 1000 for m in details.memories)
    player.recording.close()


def test_the_replay_window_draws_sprites_and_jumps_on_the_timeline(recorded) -> None:
    path, moments = recorded
    player = ReplayPlayer(Recording(path), paused=True)
    viewer = Viewer(
        player,
        player.recording.scenario,
        player.recording.town,
        player.recording.clock,
        title="replay test",
    )
    viewer.frame()
    assert viewer.timeline is not None and viewer.input is None
    x = viewer.timeline.x_of(900)
    click(viewer, (x, viewer.timeline.track.centery))
    assert abs(player.tick - 900) <= 2
    tick = player.tick
    agent = player.snapshot.agents[0]
    assert agent.tile == moments[tick].tiles[agent.name]
    size = viewer.town.tile_size
    viewer.camera.center_on(agent.tile[0] * size, agent.tile[1] * size)
    viewer.frame()
    rect = rect_of(viewer, agent.name)
    assert rect.topleft == viewer.camera.to_screen(agent.tile[0] * size, agent.tile[1] * size)
    frame = viewer.sprites.frame(agent.name, agent.facing, 1, viewer.camera.zoom)
    opaque = pygame.surfarray.array_alpha(frame).T == 255
    want = pygame.surfarray.array3d(frame).transpose(1, 0, 2)
    got = pixels(viewer.screen, rect)
    assert np.all(got[opaque] == want[opaque], axis=1).mean() > 0.8
    press(viewer, pygame.K_HOME)
    assert player.tick == 0
    press(viewer, pygame.K_PAGEDOWN)
    assert player.tick == player.recording.clock.ticks_per_hour
    press(viewer, pygame.K_SPACE)
    assert not player.paused
    player.recording.close()


def test_run_replay_opens_and_closes_a_window(recorded) -> None:
    path, _ = recorded

    def close_when_open() -> None:
        wait_for(lambda: pygame.display.get_surface() is not None, timeout=120)
        pygame.event.post(pygame.event.Event(pygame.QUIT))

    closer = threading.Thread(target=close_when_open)
    closer.start()
    run_replay(Path(path), fps=30)  # returns once the window is closed
    closer.join(timeout=120)
    assert not pygame.display.get_init()


def test_a_folder_that_is_not_a_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="not a run folder"):
        Recording(tmp_path)
