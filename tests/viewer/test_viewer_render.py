"""Frames of scripted runs drawn with the dummy video driver, checked pixel by pixel."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from tests.viewer.viewing import count_color, pixels, rect_of, viewer_on
from town.sim import Simulation
from town.viewer.app import Viewer
from town.viewer.camera import ZOOMS
from town.viewer.panel import PANEL_BG
from town.viewer.render import (
    BUBBLE_BG,
    BUBBLE_FG,
    BUBBLE_PAD,
    BUBBLE_TEXT,
    EVENT,
    THOUGHT_BG,
    emoji_size,
)
from town.viewer.runner import SimRunner
from town.viewer.snapshot import AgentView
from town.viewer.widgets import FG


def centred_on(viewer: Viewer, agent: AgentView) -> None:
    size = viewer.town.tile_size
    viewer.camera.center_on((agent.tile[0] + 0.5) * size, (agent.tile[1] + 0.5) * size)
    viewer.frame()


def loner(snapshot_agents: tuple[AgentView, ...]) -> AgentView:
    """Someone with nobody within three tiles: no other sprite or label overlaps them."""
    for agent in snapshot_agents:
        x, y = agent.tile
        if all(
            abs(o.tile[0] - x) + abs(o.tile[1] - y) > 3 for o in snapshot_agents if o is not agent
        ):
            return agent
    raise AssertionError("everyone stands next to someone")


def sprite_match(viewer: Viewer, agent: AgentView, rect: pygame.Rect) -> float:
    """The share of the sprite's opaque pixels that the screen shows exactly there."""
    frame = viewer.sprites.frame(agent.name, agent.facing, 1, viewer.camera.zoom)
    want = pygame.surfarray.array3d(frame).transpose(1, 0, 2)
    opaque = pygame.surfarray.array_alpha(frame).T == 255
    got = pixels(viewer.screen, rect)
    return float(np.all(got[opaque] == want[opaque], axis=1).mean())


def test_an_agent_is_drawn_at_its_tile(asleep: Simulation) -> None:
    viewer = viewer_on(SimRunner(asleep))
    agent = loner(viewer.source.snapshot.agents)
    centred_on(viewer, agent)
    rect = rect_of(viewer, agent.name)
    size = viewer.town.tile_size
    assert rect.topleft == viewer.camera.to_screen(agent.tile[0] * size, agent.tile[1] * size)
    assert sprite_match(viewer, agent, rect) > 0.95
    # Not the floor by chance: the map alone looks different there.
    floor = viewer.picture.base.subsurface(
        pygame.Rect(agent.tile[0] * size, agent.tile[1] * size, size, size)
    )
    frame = viewer.sprites.frame(agent.name, agent.facing, 1, 1.0)
    opaque = pygame.surfarray.array_alpha(frame).T == 255
    differs = np.any(pixels(floor)[opaque] != pixels(viewer.screen, rect)[opaque], axis=1)
    assert differs.mean() > 0.5


@pytest.mark.parametrize("level", range(len(ZOOMS)))
def test_sprites_follow_their_tiles_at_every_zoom(asleep: Simulation, level: int) -> None:
    viewer = viewer_on(SimRunner(asleep))
    agent = loner(viewer.source.snapshot.agents)
    viewer.camera.level = level
    centred_on(viewer, agent)
    rect = rect_of(viewer, agent.name)
    size = viewer.town.tile_size
    assert rect.topleft == viewer.camera.to_screen(agent.tile[0] * size, agent.tile[1] * size)
    assert rect.width == round(size * ZOOMS[level])
    if ZOOMS[level] >= 1:  # scaled down, the sprite is averaged; scaled up, exact
        assert sprite_match(viewer, agent, rect) > 0.95


def test_a_walker_glides_between_tiles(asleep: Simulation) -> None:
    sim = asleep
    runner = SimRunner(sim, speed=sim.clock.seconds_per_tick)  # one tick a second
    viewer = viewer_on(runner)
    while True:  # to a tick where someone takes a step
        record = sim.step()
        if record.moved:
            break
    name = next(iter(record.moved))
    runner.publish()
    viewer.frame(now=100.0)
    before = viewer.movements.position(name, 100.0)
    sim.step()
    while name not in sim.step().moved:
        pass
    runner.publish()
    viewer.frame(now=200.0)  # the new snapshot: the glide begins
    after = sim.by_name[name].state.tile
    assert (before[0], before[1]) != after
    viewer.frame(now=200.5)  # halfway through the tick
    x, y, walking = viewer.movements.position(name, 200.5)
    assert walking
    assert x == pytest.approx((before[0] + after[0]) / 2)
    assert y == pytest.approx((before[1] + after[1]) / 2)
    size = viewer.town.tile_size
    assert rect_of(viewer, name).topleft == viewer.camera.to_screen(x * size, y * size)
    viewer.frame(now=201.5)
    assert viewer.movements.position(name, 201.5) == (after[0], after[1], False)


def test_the_panel_shows_the_selected_agents_name(talking: Simulation) -> None:
    runner = SimRunner(talking)
    viewer = viewer_on(runner)
    agent = viewer.source.snapshot.agents[0]
    centred_on(viewer, agent)
    viewer.select(agent.name)
    runner.publish()
    viewer.frame()
    where = viewer.panel.name_rect
    assert where is not None and viewer.panel.rect.contains(where)
    expected = pygame.Surface(where.size)
    expected.fill(PANEL_BG)
    expected.blit(viewer.text.render(agent.name, viewer.panel.name_size, FG, bold=True), (0, 0))
    assert np.array_equal(pixels(viewer.screen, where), pixels(expected))
    # and someone else's name is not what is drawn there
    other = viewer.source.snapshot.agents[1].name
    wrong = pygame.Surface(where.size)
    wrong.fill(PANEL_BG)
    wrong.blit(viewer.text.render(other, viewer.panel.name_size, FG, bold=True), (0, 0))
    assert not np.array_equal(pixels(viewer.screen, where), pixels(wrong))


def test_the_panel_shows_plan_memories_and_the_current_block(talking: Simulation) -> None:
    runner = SimRunner(talking)
    viewer = viewer_on(runner)
    name = next(a.name for a in talking.agents if a.mind.plan is not None)
    viewer.select(name)
    runner.publish()
    viewer.frame()
    details = runner.snapshot.details
    assert details is not None and details.name == name
    assert details.plan is talking.by_name[name].mind.plan
    assert details.current_block is not None
    assert details.plan.blocks[details.current_block].start <= talking.now.hour * 60 + 59
    assert details.memories and details.memories[0].created >= details.memories[-1].created
    assert viewer.panel._layout is not None
    assert viewer.panel._layout.surface.get_height() > viewer.panel.rect.height // 2


def test_a_speech_bubble_shows_what_is_said(talking: Simulation) -> None:
    viewer = viewer_on(SimRunner(talking))
    speaker = next(a for a in viewer.source.snapshot.agents if a.spoke_now)
    centred_on(viewer, speaker)
    rect = rect_of(viewer, speaker.name)
    above = pygame.Rect(rect.centerx - 150, rect.top - 160, 300, 160)
    assert count_color(viewer.screen, above, BUBBLE_BG) > 400
    box = dict(viewer.renderer.bubbles)[speaker.name]
    assert box.bottom <= rect.top
    line = viewer.text.wrap(speaker.utterance or "", BUBBLE_TEXT, 220)[0]
    words = viewer.text.render(line, BUBBLE_TEXT, BUBBLE_FG)
    expected = pygame.Surface(words.get_size())
    expected.fill(BUBBLE_BG)
    expected.blit(words, (0, 0))
    at = pygame.Rect(box.left + BUBBLE_PAD[0], box.top + BUBBLE_PAD[1], *words.get_size())
    assert np.array_equal(pixels(viewer.screen, at), pixels(expected))


def test_no_bubble_while_nobody_talks(asleep: Simulation) -> None:
    viewer = viewer_on(SimRunner(asleep))
    centred_on(viewer, viewer.source.snapshot.agents[0])
    view = pygame.Rect(viewer.camera.view_x, viewer.camera.view_y, viewer.camera.view_w, 600)
    assert count_color(viewer.screen, view, BUBBLE_BG) == 0
    assert viewer.renderer.bubbles == []


def test_a_thinking_agent_has_a_thought_mark(asleep: Simulation) -> None:
    viewer = viewer_on(SimRunner(asleep))
    agent = loner(viewer.source.snapshot.agents)
    centred_on(viewer, agent)
    rect = rect_of(viewer, agent.name)
    around = pygame.Rect(rect.left - 10, rect.top - 50, rect.width + 60, 60)
    assert count_color(viewer.screen, around, THOUGHT_BG) == 0
    asleep.thinking = frozenset({agent.name})  # as the simulation sets it while it waits
    viewer.frame()
    assert count_color(viewer.screen, around, THOUGHT_BG) > 40


def test_emoji_are_drawn_in_colour_above_heads(talking: Simulation) -> None:
    viewer = viewer_on(SimRunner(talking))
    assert viewer.text.has_color_emoji, "install fonts-noto-color-emoji"
    agent = next(a for a in viewer.source.snapshot.agents if a.action and a.action.emoji)
    centred_on(viewer, agent)
    for _ in range(10):  # new emoji are drawn one a frame
        viewer.frame()
    glyph = viewer.text.emoji("🙂", 19, wait=False)  # yellow, in any colour emoji font
    assert glyph is not None
    rgb = pixels(glyph).astype(int)
    solid = pygame.surfarray.array_alpha(glyph).T > 200
    spread = rgb.max(axis=2) - rgb.min(axis=2)
    assert (spread[solid] > 60).mean() > 0.2, "the emoji is grey: no colour emoji font"
    rect = rect_of(viewer, agent.name)
    drawn = viewer.text.emoji(agent.action.emoji, emoji_size(rect), wait=False)
    assert drawn is not None
    at = drawn.get_rect(midbottom=(rect.centerx, rect.top - 1))
    want = pixels(drawn).astype(int)
    opaque = pygame.surfarray.array_alpha(drawn).T >= 250  # scaled: nearly opaque at most
    assert opaque.sum() > 50
    got = pixels(viewer.screen, at).astype(int)
    assert np.all(np.abs(got[opaque] - want[opaque]) <= 6, axis=1).mean() > 0.9


def test_a_world_event_makes_its_object_glow(asleep: Simulation) -> None:
    runner = SimRunner(asleep)
    viewer = viewer_on(runner)
    address = next(a for a in asleep.town.tiles if a.endswith(":Hobbs Cafe:cafe:cafe counter"))
    asleep.world_event(address, "on fire")
    runner.publish()
    tiles = asleep.town.tiles[address]
    size = asleep.town.tile_size
    viewer.camera.center_on(tiles[0][0] * size, tiles[0][1] * size)
    viewer.frame()
    rect = viewer.renderer._screen_rect(viewer.camera, address)
    assert rect is not None
    assert count_color(viewer.screen, rect.inflate(2, 2), EVENT) > rect.width
