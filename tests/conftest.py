"""Shared fixtures: the real map, the shipped scenarios, simulations on the scripted model."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.support import MAP, SCENARIOS
from town.scenario import Scenario, load_scenario
from town.world import PathFinder, Town, load_town


@pytest.fixture(scope="session")
def town() -> Town:
    return load_town(MAP)


@pytest.fixture(scope="session")
def paths(town: Town) -> PathFinder:
    return PathFinder(town)


@pytest.fixture(scope="session")
def ville3() -> Scenario:
    return load_scenario(SCENARIOS / "the_ville_3.toml")


@pytest.fixture(scope="session")
def ville25() -> Scenario:
    return load_scenario(SCENARIOS / "the_ville_25.toml")
