"""Fixtures for the viewer: scripted runs at a chosen moment, and a clean display per test."""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest

from tests.support import simulate
from town.scenario import Scenario
from town.sim import Simulation
from town.world import Town


@pytest.fixture(autouse=True)
def fresh_display() -> Iterator[None]:
    """Each test opens its own window (dummy driver) and leaves none behind."""
    yield
    pygame.display.quit()


@pytest.fixture
def talking(town: Town, ville25: Scenario) -> Simulation:
    """the_ville_25 at the first tick in which someone says something."""
    sim = simulate(ville25, town)
    while not any(a.state.utterance for a in sim.agents):
        sim.step()
        assert sim.tick < 3000, "nobody talked all morning"
    return sim


@pytest.fixture
def asleep(town: Town, ville25: Scenario) -> Simulation:
    """the_ville_25 before its first tick: everyone in bed, nobody talking."""
    return simulate(ville25, town)
